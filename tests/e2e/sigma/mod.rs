//! The Sigma export in a real Sigma engine: the registry rules (`registry.rs`) and the WMI
//! subscription rules (`subscriptions.rs`). Shared by both: which Python has pySigma, events as
//! the flat rows an event store holds, and a run of `tests/sigma/run_rules.py`.

mod registry;
mod subscriptions;

use crate::support;

use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use wmihunt_testkit::writer::{Event, Value};

/// The Python that has pySigma, or `None` (after saying so) when the test cannot run here.
pub fn pysigma_python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("WMIHUNT_PYSIGMA_PYTHON") {
        return Some(PathBuf::from(python));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but WMIHUNT_PYSIGMA_PYTHON is not set: .ci/run sets it up"
    );
    // Straight to stderr: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "sigma_engine: skipped: set WMIHUNT_PYSIGMA_PYTHON (see .ci/run)"
    );
    None
}

/// An EventData value as an event store holds it after rendering.
pub fn rendered(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Str(s) | Value::Ansi(s) | Value::Sid(s) => json!(s),
        Value::U8(v) => json!(v),
        Value::U16(v) => json!(v),
        Value::U32(v) => json!(v),
        Value::U64(v) | Value::FileTime(v) => json!(v),
        Value::Hex64(v) => json!(format!("0x{v:x}")),
        Value::Guid(b) => json!(format!(
            "{{{:08X}-{:04X}-{:04X}-{}}}",
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u16::from_le_bytes([b[4], b[5]]),
            u16::from_le_bytes([b[6], b[7]]),
            b[8..]
                .iter()
                .enumerate()
                .map(|(i, x)| format!("{}{x:02X}", if i == 2 { "-" } else { "" }))
                .collect::<String>()
        )),
    }
}

/// An event as one flat row, with the System fields under the names Sigma's Windows
/// taxonomy uses, and `wmihunt_row` naming it.
pub fn row(name: &str, e: &Event) -> Json {
    let mut m = Map::new();
    m.insert("wmihunt_row".into(), json!(name));
    m.insert("Provider_Name".into(), json!(e.provider));
    m.insert("EventID".into(), json!(e.event_id));
    m.insert("Channel".into(), json!(e.channel));
    m.insert("Computer".into(), json!(e.computer));
    for (field, value) in &e.data {
        m.insert(field.clone(), rendered(value));
    }
    Json::Object(m)
}

/// Runs every rule of `rules` over the rows of `rows` in the engine: the rows each rule
/// matched, by rule name.
pub fn run_engine(python: &Path, rules: &Path, rows: &Path) -> BTreeMap<String, Vec<String>> {
    let run = Command::new(python)
        .arg(support::root().join("tests/sigma/run_rules.py"))
        .arg(rules)
        .arg(rows)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        run.status.success(),
        "run_rules.py failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let result: Json = serde_json::from_slice(&run.stdout).unwrap();
    let mut matched: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in result["rules"].as_array().unwrap() {
        let rows = rule["matches"].as_array().unwrap();
        let name = rule["name"].as_str().unwrap().to_string();
        matched.insert(
            name,
            rows.iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect(),
        );
    }
    matched
}

/// The Sigma export, as a user writes it: `wmihunt rules --format sigma` in `dir`.
pub fn export_rules(dir: &Path) -> PathBuf {
    let out = support::wmihunt(["rules", "--format", "sigma"]);
    assert_eq!(support::code(&out), 0, "{}", support::stderr(&out));
    let path = dir.join("wmihunt.yml");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// Every fixture event as a row, named `<file>#<record>`.
pub fn fixture_rows() -> Vec<Json> {
    let mut rows = Vec::new();
    for fixture in support::cases::all() {
        for (record, event) in &fixture.events {
            rows.push(row(&format!("{}#{record}", fixture.name), event));
        }
    }
    rows
}
