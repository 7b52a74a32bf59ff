//! CSV output: one row per finding, RFC 4180 quoting by the `csv` crate. Cells a spreadsheet
//! would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a
//! leading `'`, since registry data is attacker-controlled (documented in `docs/formats.md`).
//! A registry finding and a subscription fill the columns each has (`registry_row`,
//! `subscription_row`); the subscription columns come last, so the others keep their places.

use crate::detect::subscription;
use crate::detect::Match;
use crate::event::registry::RegistryEvent;
use crate::finding::{Finding, FindingKind, SubscriptionFinding};
use std::borrow::Cow;
use std::io::{self, Write};

/// The columns, in order.
pub const HEADER: &[&str] = &[
    "timestamp",
    "host",
    "severity",
    "score",
    "detection_id",
    "action",
    "key",
    "value_name",
    "data",
    "image",
    "image_unusual_location",
    "user",
    "event_id",
    "record_id",
    "channel",
    "target_object",
    "new_name",
    "indicators",
    "execution_timestamp",
    "execution_image",
    "source_path",
    "duplicate_sources",
    "chunk",
    "recovered",
    "attribution_grade",
    "caller_user",
    "caller_domain",
    "caller_logon_id",
    "caller_source_ip",
    "caller_source_host",
    "caller_logon_type",
    "caller_admin",
    "attribution_rule",
    "attribution_evidence",
    "kind",
    "filter_name",
    "filter_query",
    "consumer_name",
    "consumer_type",
];

/// `cell` made safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The columns every finding fills alike, from `indicators` to `attribution_evidence`.
fn common_tail(f: &Finding) -> Vec<String> {
    let indicators: Vec<&str> = f.indicators.iter().map(|i| i.name).collect();
    let also: Vec<String> = f
        .also_in
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    vec![
        indicators.join(" "),
        f.execution
            .as_ref()
            .map(|x| x.timestamp.to_string())
            .unwrap_or_default(),
        f.execution
            .as_ref()
            .map(|x| x.image.clone())
            .unwrap_or_default(),
        f.source.to_string_lossy().into_owned(),
        also.join(" | "),
        f.chunk.to_string(),
        f.recovered.to_string(),
    ]
    .into_iter()
    .chain(attribution_cells(f))
    .collect()
}

/// A registry finding's row.
fn registry_row(f: &Finding, e: &RegistryEvent, m: &Match) -> Vec<String> {
    let head = vec![
        e.timestamp.to_string(),
        e.host.clone(),
        f.severity().as_str().into(),
        f.score().to_string(),
        m.detection.id.into(),
        m.action.as_str().into(),
        m.key.to_string(),
        m.value_name.clone().unwrap_or_default(),
        e.details.clone().unwrap_or_default(),
        e.image.clone(),
        m.unusual_image.to_string(),
        e.user.clone().unwrap_or_default(),
        e.event_id.to_string(),
        e.record_id.to_string(),
        e.channel.clone(),
        e.target_object.clone(),
        e.new_name.clone().unwrap_or_default(),
    ];
    let tail = ["registry", "", "", "", ""].map(String::from);
    [head, common_tail(f), tail.to_vec()].concat()
}

/// A subscription's row: the operation as `action`, what the consumer runs as `data`, no
/// registry columns, and the filter and consumer in the last columns.
fn subscription_row(f: &Finding, s: &SubscriptionFinding) -> Vec<String> {
    let a = &s.anchor;
    let sub = &s.subscription;
    let filter = sub.filter.as_ref();
    let consumer = sub.consumer.as_ref();
    let head = vec![
        a.timestamp.to_string(),
        a.host.clone(),
        f.severity().as_str().into(),
        f.score().to_string(),
        f.detection().id.into(),
        subscription::operation(a),
        String::new(),
        String::new(),
        consumer.and_then(|c| c.command.clone()).unwrap_or_default(),
        String::new(),
        String::new(),
        a.user.clone().unwrap_or_default(),
        a.event_id.to_string(),
        a.record_id.to_string(),
        a.channel.clone(),
        String::new(),
        String::new(),
    ];
    let tail = vec![
        "subscription".to_string(),
        filter.map(|x| x.name.clone()).unwrap_or_default(),
        filter.and_then(|x| x.query.clone()).unwrap_or_default(),
        consumer.map(|c| c.name.clone()).unwrap_or_default(),
        consumer
            .map(|c| c.kind.as_str().to_string())
            .unwrap_or_default(),
    ];
    [head, common_tail(f), tail].concat()
}

/// Writes findings as CSV with a header row.
pub fn write(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    for f in findings {
        let row = match &f.kind {
            FindingKind::Registry { event, matched } => registry_row(f, event, matched),
            FindingKind::Subscription(s) => subscription_row(f, s),
        };
        writer.write_record(row.iter().map(|c| neutralise(c).into_owned()))?;
    }
    writer.flush()
}

/// The attribution columns: grade, the caller's fields, the rule, and the evidence as
/// `channel event_id #record` items joined with ` | ` (empty when not attributed).
fn attribution_cells(f: &Finding) -> Vec<String> {
    let Some(a) = &f.attribution else {
        return vec![String::new(); 10];
    };
    let c = a.caller.clone().unwrap_or_default();
    let text = |v: Option<String>| v.unwrap_or_default();
    let evidence: Vec<String> = a
        .evidence
        .iter()
        .map(|e| format!("{} {} #{} ({})", e.channel, e.event_id, e.record_id, e.role))
        .collect();
    vec![
        a.grade.as_str().to_string(),
        text(c.user),
        text(c.domain),
        text(c.logon_id),
        text(c.source_ip),
        text(c.source_host),
        text(c.logon_type.map(|t| t.to_string())),
        text(c.admin.map(|b| b.to_string())),
        a.rule.clone(),
        evidence.join(" | "),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-2"), "'-2");
        assert_eq!(neutralise("@SUM(1)"), "'@SUM(1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("C:\\x.exe"), "C:\\x.exe");
        assert_eq!(neutralise(""), "");
    }
}
