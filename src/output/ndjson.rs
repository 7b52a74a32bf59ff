//! NDJSON output: one finding per line, for other tools, in one of two shapes told apart by
//! `kind`: a registry finding (`Line`) or a WMI subscription (`super::ndjson_subscription`). The
//! schema is documented field by field in `docs/ndjson.md`; tests parse it back into structs
//! that reject unknown fields, so a change here that is not a change there fails the tests.

use super::ndjson_subscription::SubscriptionLine;
use crate::detect::attribution::Attribution;
use crate::detect::hive::Hive;
use crate::detect::payload::Payload;
use crate::detect::triage::Indicator;
use crate::detect::Match;
use crate::event::registry::RegistryEvent;
use crate::finding::Execution;
use crate::finding::{Finding, FindingKind};
use serde::Serialize;
use std::io::{self, Write};

/// Schema version, bumped on any incompatible change (2: `kind`, subscription lines, `info`).
pub const SCHEMA_VERSION: u32 = 2;

/// The `kind` of a registry finding's line.
pub const REGISTRY_KIND: &str = "registry";

/// One registry finding's line; Timesketch output embeds it too.
#[derive(Serialize)]
pub(crate) struct Line<'a> {
    schema: u32,
    kind: &'static str,
    timestamp: String,
    host: &'a str,
    channel: &'a str,
    provider: &'a str,
    event_id: u16,
    record_id: u64,
    action: &'static str,
    event_type: &'a str,
    image: &'a str,
    image_unusual_location: bool,
    process_id: Option<u64>,
    process_guid: Option<&'a str>,
    user: Option<&'a str>,
    logon_id: Option<&'a str>,
    rule_name: Option<&'a str>,
    target_object: &'a str,
    new_name: Option<&'a str>,
    hive: &'a str,
    sid: Option<&'a str>,
    key: String,
    value_name: Option<&'a str>,
    data: Option<&'a str>,
    detection_id: &'static str,
    detection_title: &'static str,
    location: Option<String>,
    techniques: &'static [&'static str],
    severity: &'static str,
    risk_score: u8,
    score: u8,
    indicators: &'a [Indicator],
    payload: Option<&'a Payload>,
    execution: Option<&'a Execution>,
    attribution: Option<&'a Attribution>,
    source_path: String,
    duplicate_sources: Vec<String>,
    chunk: u64,
    recovered: bool,
}

impl<'a> Line<'a> {
    /// The line of a registry finding's event and match.
    pub(crate) fn new(f: &'a Finding, e: &'a RegistryEvent, m: &'a Match) -> Line<'a> {
        let severity = f.severity();
        Line {
            schema: SCHEMA_VERSION,
            kind: REGISTRY_KIND,
            timestamp: e.timestamp.to_string(),
            host: &e.host,
            channel: &e.channel,
            provider: &e.provider,
            event_id: e.event_id,
            record_id: e.record_id,
            action: m.action.as_str(),
            event_type: &e.event_type,
            image: &e.image,
            image_unusual_location: m.unusual_image,
            process_id: e.process_id,
            process_guid: e.process_guid.as_deref(),
            user: e.user.as_deref(),
            logon_id: e.logon_id.as_deref(),
            rule_name: e.rule_name.as_deref(),
            target_object: &e.target_object,
            new_name: e.new_name.as_deref(),
            hive: m.key.hive.label(),
            sid: match &m.key.hive {
                Hive::User { sid } | Hive::Classes { sid } => sid.as_deref(),
                _ => None,
            },
            key: m.key.to_string(),
            value_name: m.value_name.as_deref(),
            data: e.details.as_deref(),
            detection_id: m.detection.id,
            detection_title: m.detection.title,
            location: m.location.map(|l| l.pattern()),
            techniques: m.detection.techniques,
            severity: severity.as_str(),
            risk_score: severity.risk_score(),
            score: f.score(),
            indicators: &f.indicators,
            payload: f.payload.as_ref(),
            execution: f.execution.as_ref(),
            attribution: f.attribution.as_ref(),
            source_path: f.source.to_string_lossy().into_owned(),
            duplicate_sources: paths(&f.also_in),
            chunk: f.chunk,
            recovered: f.recovered,
        }
    }
}

/// Paths as text (non-UTF-8 bytes replaced).
pub(crate) fn paths(list: &[std::path::PathBuf]) -> Vec<String> {
    list.iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

/// A finding's line, in the shape of its kind.
#[derive(Serialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)] // one at a time, written at once
pub(crate) enum AnyLine<'a> {
    /// A registry finding.
    Registry(Line<'a>),
    /// A WMI subscription.
    Subscription(SubscriptionLine<'a>),
}

impl<'a> AnyLine<'a> {
    /// The line of any finding.
    pub(crate) fn new(f: &'a Finding) -> AnyLine<'a> {
        match &f.kind {
            FindingKind::Registry { event, matched } => {
                AnyLine::Registry(Line::new(f, event, matched))
            }
            FindingKind::Subscription(s) => AnyLine::Subscription(SubscriptionLine::new(f, s)),
        }
    }
}

/// Writes `findings` as NDJSON.
pub fn write(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *out, &AnyLine::new(f))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
