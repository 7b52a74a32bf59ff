//! Timesketch output: JSONL that Timesketch imports as is — `message`, `datetime` (ISO 8601)
//! and `timestamp_desc` on every line — plus every NDJSON field of the finding.

use super::ndjson::AnyLine;
use crate::detect::subscription;
use crate::detect::{Action, Match};
use crate::event::registry::RegistryEvent;
use crate::finding::{Finding, FindingKind, SubscriptionFinding};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Event<'a> {
    message: String,
    datetime: String,
    timestamp_desc: String,
    #[serde(flatten)]
    finding: AnyLine<'a>,
}

/// What the timestamp of a registry finding means, in Timesketch's words.
fn timestamp_desc(action: &Action) -> &'static str {
    match action {
        Action::SetValue => "Registry Value Set",
        Action::CreateKey => "Registry Key Created",
        Action::DeleteKey => "Registry Key Deleted",
        Action::DeleteValue => "Registry Value Deleted",
        Action::RenameKey => "Registry Key Renamed",
    }
}

/// A registry finding's message and timestamp description.
fn registry_message(f: &Finding, e: &RegistryEvent, m: &Match) -> (String, String) {
    let target = match &m.value_name {
        Some(value) => format!("{}\\{value}", m.key),
        None => m.key.to_string(),
    };
    let data = e
        .details
        .as_deref()
        .map(|d| format!(" = {d}"))
        .unwrap_or_default();
    let message = format!(
        "[{}] {} {target}{data} by {} ({})",
        m.detection.id,
        m.action.as_str(),
        e.image,
        f.severity().as_str()
    );
    (message, timestamp_desc(&m.action).to_string())
}

/// A subscription's message (`[wmi_subscription] Created: filter → consumer: command`) and
/// timestamp description (`WMI Subscription Created`, `… Bound`, `… Deleted`).
fn subscription_message(f: &Finding, s: &SubscriptionFinding) -> (String, String) {
    let operation = subscription::operation(&s.anchor);
    let sub = &s.subscription;
    let filter = sub.filter.as_ref().map_or("?", |x| x.name.as_str());
    let (consumer, kind, command) = sub.consumer.as_ref().map_or(("?", "?", ""), |c| {
        (
            c.name.as_str(),
            c.kind.as_str(),
            c.command.as_deref().unwrap_or(""),
        )
    });
    let message = format!(
        "[{}] {operation}: filter {filter} -> {kind} consumer {consumer}: {command} ({}{})",
        f.detection().id,
        f.severity().as_str(),
        if sub.builtin {
            ", Windows built-in"
        } else {
            ""
        }
    );
    (message, format!("WMI Subscription {operation}"))
}

/// Writes findings as Timesketch JSONL.
pub fn write(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    for f in findings {
        let (message, timestamp_desc) = match &f.kind {
            FindingKind::Registry { event, matched } => registry_message(f, event, matched),
            FindingKind::Subscription(s) => subscription_message(f, s),
        };
        let event = Event {
            message,
            datetime: f.timestamp().to_string(),
            timestamp_desc,
            finding: AnyLine::new(f),
        };
        serde_json::to_writer(&mut *out, &event)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
