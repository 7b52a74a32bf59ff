//! The NDJSON lines wmihunt writes, one struct per kind, exactly as `docs/ndjson.md` documents
//! them: every field typed, unknown fields an error, so that the page and the output cannot
//! drift apart unnoticed.

use serde::Deserialize;

/// One NDJSON registry finding (`kind` `registry`), exactly as `docs/ndjson.md` documents it:
/// unknown fields are an error.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub schema: u32,
    pub kind: String,
    pub timestamp: String,
    pub host: String,
    pub channel: String,
    pub provider: String,
    pub event_id: u16,
    pub record_id: u64,
    pub action: String,
    pub event_type: String,
    pub image: String,
    pub image_unusual_location: bool,
    pub process_id: Option<u64>,
    pub process_guid: Option<String>,
    pub user: Option<String>,
    pub logon_id: Option<String>,
    pub rule_name: Option<String>,
    pub target_object: String,
    pub new_name: Option<String>,
    pub hive: String,
    pub sid: Option<String>,
    pub key: String,
    pub value_name: Option<String>,
    pub data: Option<String>,
    pub detection_id: String,
    pub detection_title: String,
    pub location: Option<String>,
    pub techniques: Vec<String>,
    pub severity: String,
    pub risk_score: u8,
    pub score: u8,
    pub indicators: Vec<IndicatorLine>,
    pub payload: Option<PayloadLine>,
    pub execution: Option<ExecutionLine>,
    pub attribution: Option<AttributionLine>,
    pub source_path: String,
    pub duplicate_sources: Vec<String>,
    pub chunk: u64,
    pub recovered: bool,
}

/// One NDJSON subscription finding (`kind` `subscription`), as `docs/ndjson.md` documents it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionLine {
    pub schema: u32,
    pub kind: String,
    pub timestamp: String,
    pub host: String,
    pub channel: String,
    pub provider: String,
    pub event_id: u16,
    pub record_id: u64,
    pub action: String,
    pub user: Option<String>,
    pub rule_name: Option<String>,
    pub detection_id: String,
    pub detection_title: String,
    pub techniques: Vec<String>,
    pub severity: String,
    pub risk_score: u8,
    pub score: u8,
    pub indicators: Vec<IndicatorLine>,
    pub payload: Option<PayloadLine>,
    pub execution: Option<ExecutionLine>,
    pub attribution: Option<AttributionLine>,
    pub builtin: bool,
    pub bound: bool,
    pub filter: Option<FilterLine>,
    pub consumer: Option<ConsumerLine>,
    pub creator_sid: Option<String>,
    pub registered: Option<String>,
    pub removed: Option<String>,
    pub evidence: Vec<PartLine>,
    pub consumer_loaded: Option<LoadedLine>,
    pub source_path: String,
    pub duplicate_sources: Vec<String>,
    pub chunk: u64,
    pub recovered: bool,
}

/// A subscription's filter.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterLine {
    pub name: String,
    pub namespace: Option<String>,
    pub query: Option<String>,
}

/// A subscription's consumer.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsumerLine {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub class: Option<String>,
    pub command: Option<String>,
}

/// An event a subscription was joined from.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartLine {
    pub event_id: u16,
    pub record_id: u64,
    pub timestamp: String,
    pub part: String,
    pub operation: String,
    pub channel: String,
    pub source_path: String,
}

/// The 5857 that shows a subscription's consumer provider loaded.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoadedLine {
    pub timestamp: String,
    pub provider: String,
    pub host_process: String,
    pub process_id: Option<u64>,
    pub record_id: u64,
    pub source_path: String,
}

/// Any NDJSON line, by its `kind`.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyLine {
    Registry(Line),
    Subscription(SubscriptionLine),
}

impl AnyLine {
    /// Parses a line strictly as the shape its `kind` names.
    pub fn parse(text: &str) -> AnyLine {
        let value: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("bad NDJSON line {text}: {e}"));
        let kind = value["kind"].as_str().map(str::to_string);
        let parsed = match kind.as_deref() {
            Some("registry") => serde_json::from_value(value).map(AnyLine::Registry),
            Some("subscription") => serde_json::from_value(value).map(AnyLine::Subscription),
            other => panic!("NDJSON line of unknown kind {other:?}: {text}"),
        };
        parsed.unwrap_or_else(|e| panic!("bad NDJSON line {text}: {e}"))
    }

    /// (source path, record id, detection id, severity, action): what the fixtures expect.
    pub fn key(&self) -> (&str, u64, &str, &str, &str) {
        match self {
            AnyLine::Registry(l) => (
                &l.source_path,
                l.record_id,
                &l.detection_id,
                &l.severity,
                &l.action,
            ),
            AnyLine::Subscription(l) => (
                &l.source_path,
                l.record_id,
                &l.detection_id,
                &l.severity,
                &l.action,
            ),
        }
    }
}

/// What a finding's data would run.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PayloadLine {
    pub program: String,
    pub argument: Option<String>,
}

/// The first run of a finding's payload.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExecutionLine {
    pub timestamp: String,
    pub event_id: u16,
    pub image: String,
    pub command_line: String,
    pub source_path: String,
    pub record_id: u64,
}

/// Who made the call behind a finding (`docs/attribution.md`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AttributionLine {
    pub grade: String,
    pub rule: String,
    pub caller: Option<CallerLine>,
    pub candidates: usize,
    pub alternatives: Vec<CallerLine>,
    pub command: Option<CommandLine>,
    pub evidence: Vec<EvidenceLine>,
    pub gaps: Vec<String>,
}

/// The caller an attribution names.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CallerLine {
    pub user: Option<String>,
    pub domain: Option<String>,
    pub logon_id: Option<String>,
    pub source_ip: Option<String>,
    pub source_host: Option<String>,
    pub logon_type: Option<u32>,
    pub auth_package: Option<String>,
    pub admin: Option<bool>,
    pub remote: Option<bool>,
}

/// The command that made the call.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CommandLine {
    pub host: String,
    pub timestamp: String,
    pub event_id: u16,
    pub image: Option<String>,
    pub command_line: String,
    pub user: Option<String>,
    pub source_path: String,
    pub record_id: u64,
}

/// One event an attribution rests on.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EvidenceLine {
    pub role: String,
    pub host: String,
    pub channel: String,
    pub event_id: u16,
    pub timestamp: String,
    pub record_id: u64,
    pub source_path: String,
}

/// One triage indicator in a finding.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IndicatorLine {
    pub name: String,
    pub reason: String,
}
