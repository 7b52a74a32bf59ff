//! Shared by the end-to-end tests: running the binary, reading its NDJSON strictly, and the
//! fixture cases.

#![allow(dead_code)]

// Not every test file uses the cases.
#[allow(unused_imports)]
pub use wmihunt_testkit::cases;

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One NDJSON finding, exactly as `docs/ndjson.md` documents it: unknown fields are an error.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub schema: u32,
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
    pub location: String,
    pub techniques: Vec<String>,
    pub severity: String,
    pub risk_score: u8,
    pub score: u8,
    pub indicators: Vec<IndicatorLine>,
    pub payload: Option<PayloadLine>,
    pub execution: Option<ExecutionLine>,
    pub source_path: String,
    pub duplicate_sources: Vec<String>,
    pub chunk: u64,
    pub recovered: bool,
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

/// Runs `wmihunt scan --format ndjson` on `paths` with `extra` flags; parses stdout.
pub fn scan_ndjson(paths: &[&Path], extra: &[&str]) -> (Vec<Line>, Output) {
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
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad NDJSON line {l}: {e}")))
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
