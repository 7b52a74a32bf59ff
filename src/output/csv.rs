//! CSV output: one row per finding, RFC 4180 quoting by the `csv` crate. Cells a spreadsheet
//! would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a
//! leading `'`, since registry data is attacker-controlled (documented in `docs/formats.md`).

use crate::finding::Finding;
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
];

/// `cell` made safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes findings as CSV with a header row.
pub fn write(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    for f in findings {
        let e = &f.event;
        let m = &f.matched;
        let indicators: Vec<&str> = f.indicators.iter().map(|i| i.name).collect();
        let also: Vec<String> = f
            .also_in
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let row: Vec<String> = vec![
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
        ];
        let row: Vec<String> = row.into_iter().chain(attribution_cells(f)).collect();
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
