//! NDJSON output: one finding per line, for other tools. The schema is documented field by
//! field in `docs/ndjson.md`; tests parse it back into a struct that rejects unknown fields,
//! so a change here that is not a change there fails the build's tests.

use crate::detect::hive::Hive;
use crate::detect::payload::Payload;
use crate::detect::triage::Indicator;
use crate::finding::Execution;
use crate::finding::Finding;
use serde::Serialize;
use std::io::{self, Write};

/// Schema version, bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// One NDJSON line; Timesketch output embeds it too.
#[derive(Serialize)]
pub(crate) struct Line<'a> {
    schema: u32,
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
    location: String,
    techniques: &'static [&'static str],
    severity: &'static str,
    risk_score: u8,
    score: u8,
    indicators: &'a [Indicator],
    payload: Option<&'a Payload>,
    execution: Option<&'a Execution>,
    source_path: String,
    duplicate_sources: Vec<String>,
    chunk: u64,
    recovered: bool,
}

impl<'a> Line<'a> {
    /// The line for a finding.
    pub(crate) fn new(f: &'a Finding) -> Line<'a> {
        let e = &f.event;
        let m = &f.matched;
        let severity = f.severity();
        Line {
            schema: SCHEMA_VERSION,
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
            location: m.location.pattern(),
            techniques: m.detection.techniques,
            severity: severity.as_str(),
            risk_score: severity.risk_score(),
            score: f.score(),
            indicators: &f.indicators,
            payload: f.payload.as_ref(),
            execution: f.execution.as_ref(),
            source_path: f.source.to_string_lossy().into_owned(),
            duplicate_sources: f
                .also_in
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            chunk: f.chunk,
            recovered: f.recovered,
        }
    }
}

/// Writes `findings` as NDJSON.
pub fn write(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *out, &Line::new(f))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
