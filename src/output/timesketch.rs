//! Timesketch output: JSONL that Timesketch imports as is — `message`, `datetime` (ISO 8601)
//! and `timestamp_desc` on every line — plus every NDJSON field of the finding.

use super::ndjson::Line;
use crate::detect::Action;
use crate::finding::Finding;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Event<'a> {
    message: String,
    datetime: String,
    timestamp_desc: &'static str,
    #[serde(flatten)]
    finding: Line<'a>,
}

/// What the timestamp of a finding means, in Timesketch's words.
fn timestamp_desc(action: &Action) -> &'static str {
    match action {
        Action::SetValue => "Registry Value Set",
        Action::CreateKey => "Registry Key Created",
        Action::DeleteKey => "Registry Key Deleted",
        Action::DeleteValue => "Registry Value Deleted",
        Action::RenameKey => "Registry Key Renamed",
    }
}

/// Writes findings as Timesketch JSONL.
pub fn write(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    for f in findings {
        let m = &f.matched;
        let target = match &m.value_name {
            Some(value) => format!("{}\\{value}", m.key),
            None => m.key.to_string(),
        };
        let data = f
            .event
            .details
            .as_deref()
            .map(|d| format!(" = {d}"))
            .unwrap_or_default();
        let event = Event {
            message: format!(
                "[{}] {} {target}{data} by {} ({})",
                m.detection.id,
                m.action.as_str(),
                f.event.image,
                f.severity().as_str()
            ),
            datetime: f.event.timestamp.to_string(),
            timestamp_desc: timestamp_desc(&m.action),
            finding: Line::new(f),
        };
        serde_json::to_writer(&mut *out, &event)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
