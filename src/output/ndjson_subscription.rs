//! The NDJSON line of a WMI subscription finding (`kind` `subscription`): the fields every
//! finding has, what the subscription is (filter, consumer, binding, creator, times), and the
//! events it was joined from. Documented in `docs/ndjson.md`; Timesketch output embeds it.

use super::ndjson::{paths, SCHEMA_VERSION};
use crate::detect::attribution::Attribution;
use crate::detect::payload::Payload;
use crate::detect::subscription::{self, Filter};
use crate::detect::triage::Indicator;
use crate::event::subscription::{Part, SubscriptionEvent};
use crate::finding::{Evidence, Execution, Finding, SubscriptionFinding};
use serde::Serialize;

/// The `kind` of a subscription's line.
pub const SUBSCRIPTION_KIND: &str = "subscription";

/// The consumer, as the line shows it.
#[derive(Serialize)]
struct ConsumerLine<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    class: Option<&'a str>,
    command: Option<&'a str>,
}

/// One event a subscription was joined from.
#[derive(Serialize)]
struct EvidenceLine<'a> {
    event_id: u16,
    record_id: u64,
    timestamp: String,
    part: &'static str,
    operation: String,
    channel: &'a str,
    source_path: String,
}

/// The 5857 that shows the consumer's provider loaded.
#[derive(Serialize)]
struct LoadedLine<'a> {
    timestamp: String,
    provider: &'a str,
    host_process: &'a str,
    process_id: Option<u64>,
    record_id: u64,
    source_path: String,
}

/// One subscription's line.
#[derive(Serialize)]
pub(crate) struct SubscriptionLine<'a> {
    schema: u32,
    kind: &'static str,
    timestamp: String,
    host: &'a str,
    channel: &'a str,
    provider: &'a str,
    event_id: u16,
    record_id: u64,
    action: String,
    user: Option<&'a str>,
    rule_name: Option<&'a str>,
    detection_id: &'static str,
    detection_title: &'static str,
    techniques: &'static [&'static str],
    severity: &'static str,
    risk_score: u8,
    score: u8,
    indicators: &'a [Indicator],
    payload: Option<&'a Payload>,
    execution: Option<&'a Execution>,
    attribution: Option<&'a Attribution>,
    builtin: bool,
    bound: bool,
    filter: Option<&'a Filter>,
    consumer: Option<ConsumerLine<'a>>,
    creator_sid: Option<&'a str>,
    registered: Option<String>,
    removed: Option<String>,
    evidence: Vec<EvidenceLine<'a>>,
    consumer_loaded: Option<LoadedLine<'a>>,
    source_path: String,
    duplicate_sources: Vec<String>,
    chunk: u64,
    recovered: bool,
}

/// Which part of a subscription an event is about.
pub(crate) fn part_name(event: &SubscriptionEvent) -> &'static str {
    match event.part {
        Part::Filter { .. } => "filter",
        Part::Consumer { .. } => "consumer",
        Part::Binding { .. } | Part::ActivityBinding { .. } => "binding",
        Part::ProviderLoaded { .. } => "provider",
    }
}

fn evidence_line(e: &Evidence) -> EvidenceLine<'_> {
    EvidenceLine {
        event_id: e.event.event_id,
        record_id: e.event.record_id,
        timestamp: e.event.timestamp.to_string(),
        part: part_name(&e.event),
        operation: subscription::operation(&e.event),
        channel: &e.event.channel,
        source_path: e.source.to_string_lossy().into_owned(),
    }
}

fn loaded_line(e: &Evidence) -> Option<LoadedLine<'_>> {
    let Part::ProviderLoaded {
        provider,
        host_process,
        process_id,
    } = &e.event.part
    else {
        return None;
    };
    Some(LoadedLine {
        timestamp: e.event.timestamp.to_string(),
        provider,
        host_process,
        process_id: *process_id,
        record_id: e.event.record_id,
        source_path: e.source.to_string_lossy().into_owned(),
    })
}

impl<'a> SubscriptionLine<'a> {
    /// The line of a subscription finding.
    pub(crate) fn new(f: &'a Finding, s: &'a SubscriptionFinding) -> SubscriptionLine<'a> {
        let a = &s.anchor;
        let sub = &s.subscription;
        let detection = f.detection();
        let severity = f.severity();
        SubscriptionLine {
            schema: SCHEMA_VERSION,
            kind: SUBSCRIPTION_KIND,
            timestamp: a.timestamp.to_string(),
            host: &a.host,
            channel: &a.channel,
            provider: &a.provider,
            event_id: a.event_id,
            record_id: a.record_id,
            action: subscription::operation(a),
            user: a.user.as_deref(),
            rule_name: a.rule_name.as_deref(),
            detection_id: detection.id,
            detection_title: detection.title,
            techniques: detection.techniques,
            severity: severity.as_str(),
            risk_score: severity.risk_score(),
            score: f.score(),
            indicators: &f.indicators,
            payload: f.payload.as_ref(),
            execution: f.execution.as_ref(),
            attribution: f.attribution.as_ref(),
            builtin: sub.builtin,
            bound: sub.bound,
            filter: sub.filter.as_ref(),
            consumer: sub.consumer.as_ref().map(|c| ConsumerLine {
                name: &c.name,
                kind: c.kind.as_str(),
                class: c.class.as_deref(),
                command: c.command.as_deref(),
            }),
            creator_sid: sub.creator_sid.as_deref(),
            registered: sub.registered.map(|t| t.to_string()),
            removed: sub.removed.map(|t| t.to_string()),
            evidence: s.evidence.iter().map(evidence_line).collect(),
            consumer_loaded: s.fired.as_ref().and_then(loaded_line),
            source_path: f.source.to_string_lossy().into_owned(),
            duplicate_sources: paths(&f.also_in),
            chunk: f.chunk,
            recovered: f.recovered,
        }
    }
}
