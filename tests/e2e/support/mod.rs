//! Shared by the end-to-end tests: running the binary, reading its NDJSON strictly, and the
//! fixture cases.

pub use wmihunt_testkit::cases;

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `testdata/`.
pub fn testdata() -> PathBuf {
    root().join("testdata")
}

/// The shared real samples, when present: `WMIHUNT_SAMPLES` or `../shared/evtx`.
pub fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("WMIHUNT_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/evtx"));
    dir.is_dir().then_some(dir)
}

/// Runs `wmihunt` with `args`.
pub fn wmihunt<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_wmihunt"))
        .args(args)
        .output()
        .expect("run wmihunt")
}

/// Runs `wmihunt scan --format ndjson` on `paths` with `extra` flags; parses stdout, every line
/// strictly, and gives the registry findings (`scan_all` gives the subscriptions too).
pub fn scan_ndjson(paths: &[&Path], extra: &[&str]) -> (Vec<Line>, Output) {
    let (all, out) = scan_all(paths, extra);
    let lines = all
        .into_iter()
        .filter_map(|l| match l {
            AnyLine::Registry(l) => Some(l),
            AnyLine::Subscription(_) => None,
        })
        .collect();
    (lines, out)
}

/// Runs `wmihunt scan --format ndjson` on `paths` with `extra` flags; every line, parsed.
pub fn scan_all(paths: &[&Path], extra: &[&str]) -> (Vec<AnyLine>, Output) {
    let mut args: Vec<std::ffi::OsString> = vec![
        "scan".into(),
        "--format".into(),
        "ndjson".into(),
        "--no-progress".into(),
    ];
    args.extend(extra.iter().map(Into::into));
    args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    let out = wmihunt(&args);
    let lines = String::from_utf8(out.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(AnyLine::parse)
        .collect();
    (lines, out)
}

/// `testdata/multi_chunk.evtx` cut inside chunk 4 (chunks 0-3 whole, then 1000 bytes of
/// chunk 4), written as `dir/name`.
pub fn cut_log(dir: &Path, name: &str) -> PathBuf {
    let full = std::fs::read(testdata().join("multi_chunk.evtx")).expect("fixture");
    let path = dir.join(name);
    std::fs::write(&path, &full[..4096 + 4 * 65536 + 1000]).expect("write the cut copy");
    path
}

/// Exit code of a finished process.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
