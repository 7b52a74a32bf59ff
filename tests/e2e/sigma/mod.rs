//! The Sigma export in a real Sigma engine: the registry rules (`registry.rs`) and the WMI
//! subscription rules (`subscriptions.rs`). Shared by both: which Python has pySigma, events as
//! the flat rows an event store holds, and a run of `tests/sigma/run_rules.py`.

mod registry;
mod subscriptions;

use crate::support;

use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::testdata;
use wmihunt_testkit::writer::{Event, Value};

/// The Python that has pySigma, or `None` (after saying so) when the test cannot run here.
pub fn pysigma_python() -> Option<PathBuf> {
    let [python] = support::tools("sigma", ["WMIHUNT_PYSIGMA_PYTHON"])?;
    Some(python)
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
    let path = dir.join("wmihunt.yml");
    std::fs::write(&path, support::stdout_of(&["rules", "--format", "sigma"])).unwrap();
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

/// What the engine and wmihunt both read: every fixture event, and the probes a test makes,
/// written to one more log (`probes.evtx`); for the engine, every event as a row (`rows.json`).
pub struct Inputs {
    pub probe_file: PathBuf,
    pub rows_path: PathBuf,
    /// How many rows the engine reads.
    pub rows: usize,
    /// Each probe's label, in record order.
    labels: Vec<String>,
}

impl Inputs {
    /// Writes the inputs into `dir`; `probes` are (label, event), each event as it is logged.
    pub fn write(dir: &Path, probes: Vec<(String, Event)>) -> Inputs {
        let mut rows = fixture_rows();
        rows.extend(probes.iter().map(|(label, event)| row(label, event)));
        let (labels, events): (Vec<String>, Vec<Event>) = probes.into_iter().unzip();
        let rows_path = dir.join("rows.json");
        fs::write(&rows_path, serde_json::to_vec(&rows).unwrap()).unwrap();
        Inputs {
            probe_file: support::write_evtx(dir, "probes.evtx", &events),
            rows_path,
            rows: rows.len(),
            labels,
        }
    }

    /// The row of the event wmihunt reports as record `record` of `source`: the probe's label,
    /// or `<fixture>#<record>` as `fixture_rows` names it.
    pub fn row_of(&self, source: &str, record: u64) -> String {
        if Path::new(source) == self.probe_file {
            self.labels[usize::try_from(record - 1).unwrap()].clone()
        } else {
            let root = format!("{}/", testdata().display());
            format!("{}#{record}", source.strip_prefix(&root).unwrap_or(source))
        }
    }
}

/// The rows the rule `name` matched, taken out of `matched`; the rule must be there and match
/// something (a rule that matches nothing proves nothing).
pub fn take_rule(matched: &mut BTreeMap<String, Vec<String>>, name: &str) -> Vec<String> {
    let rows = matched
        .remove(name)
        .unwrap_or_else(|| panic!("no rule {name} in the export"));
    assert!(!rows.is_empty(), "{name} matched no event");
    rows
}

/// Where the engine and wmihunt differ, sorted: `sigma only: …` for what the rules selected and
/// wmihunt did not report, `wmihunt only: …` the other way, each item as `show` says.
pub fn differences<T: Ord>(
    selected: &BTreeSet<T>,
    reported: &BTreeSet<T>,
    show: impl Fn(&T) -> String,
) -> Vec<String> {
    let mut all: Vec<String> = selected
        .difference(reported)
        .map(|x| format!("sigma only: {}", show(x)))
        .chain(
            reported
                .difference(selected)
                .map(|x| format!("wmihunt only: {}", show(x))),
        )
        .collect();
    all.sort();
    all
}

/// A test's pinned differences, sorted as `differences` sorts them.
pub fn pinned(list: &[&str]) -> Vec<String> {
    let mut pinned: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    pinned.sort();
    pinned
}
