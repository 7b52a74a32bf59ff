//! The registry rules of the Sigma export in a real Sigma engine. Every rule `wmihunt rules
//! --format sigma` writes is converted by pySigma's SQLite backend and run
//! (`tests/sigma/run_rules.py`) over the fixture events and over probes made here from the
//! catalog; what each rule matched is compared with what `wmihunt scan` reports for the same
//! events, and the differences Sigma cannot avoid are pinned one by one, so that any other
//! difference fails.
//!
//! Needs a Python with pySigma (`WMIHUNT_PYSIGMA_PYTHON`, which `.ci/run` sets up); without
//! one the test says it is skipped, except in CI (`CI=true`), where it fails.

use crate::support;

use super::{differences, export_rules, pinned, pysigma_python, run_engine, take_rule, Inputs};
use serde::Deserialize;
use std::collections::BTreeSet;
use support::cases::{self, registry, security_4657, Version, WMI};
use support::{scan_ndjson, testdata};
use wmihunt_testkit::writer::{filetime_from_unix, Event};

const SID: &str = "S-1-5-21-1004336348-1177238915-682003330-512";

/// A catalog location, as `wmihunt rules --format ndjson` gives it.
#[derive(Deserialize)]
struct Location {
    /// `machine`, `user` or `both`.
    hives: String,
    key: String,
    value: String,
}

/// A registry detection, as `wmihunt rules --format ndjson` gives it.
#[derive(Deserialize)]
struct Detection {
    id: String,
    location_parts: Vec<Location>,
}

/// The registry catalog the binary applies.
fn catalog() -> Vec<Detection> {
    support::rules()
        .into_iter()
        .filter(|v| v["kind"] == "registry")
        .map(|v| serde_json::from_value(v).unwrap())
        .collect()
}

/// The hive spellings a location is in, and some it is not in.
fn hives(hives: &str) -> (Vec<String>, Vec<String>) {
    let machine = cases::machine_spellings();
    let user = cases::user_spellings(SID);
    let never = [
        format!("HKU\\{SID}_Classes"),
        "HKCR".into(),
        "\\REGISTRY\\A\\{0f3c4e8a}".into(),
    ];
    match hives {
        "machine" => (machine.into(), [&user[..], &never].concat()),
        "user" => (user.into(), [&machine[..], &never].concat()),
        "both" => ([&machine[..], &user].concat(), never.into()),
        other => panic!("unknown hives {other}"),
    }
}

/// Every spelling of the classes hives: HKCR, and the user's classes under HKU.
fn classes_hives() -> Vec<String> {
    vec![
        "HKCR".into(),
        "HKEY_CLASSES_ROOT".into(),
        format!("HKU\\{SID}_Classes"),
        format!("HKEY_USERS\\{SID}_CLASSES"),
        format!("\\REGISTRY\\USER\\{SID}_Classes"),
        "HKU\\_Classes".into(),
    ]
}

fn set(target: &str) -> Event {
    registry(13, "SetValue", WMI, target, Some("x.exe"), Version::Current)
}

fn key_event(event_type: &str, target: &str) -> Event {
    registry(12, event_type, WMI, target, None, Version::Current)
}

fn rename(from: &str, to: &str) -> Event {
    registry(14, "RenameKey", WMI, from, None, Version::Current).with("NewName", to)
}

fn audit(object: &str, value: &str) -> Event {
    security_4657(
        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        object,
        value,
        "%%1905",
        "x.exe",
    )
}

/// Probes for one catalog location: the location in every hive spelling and some it is not
/// in, with each event kind, and near it (one key deeper, a sibling, another value), with the
/// views and control sets that normalisation folds. Whether wmihunt reports each one does not
/// matter here: the test compares Sigma with wmihunt on all of them.
fn location_probes(prefix: &str, l: &Location) -> Vec<(String, Event)> {
    let key = l.key.replace("\\**", "").replace('*', "Name");
    let value = if l.value == "*" {
        "Value"
    } else {
        l.value.as_str()
    };
    let (inside, outside) = hives(&l.hives);
    let mut probes = Vec::new();
    let mut add = |label: String, event: Event| probes.push((format!("{prefix} {label}"), event));
    for hive in inside.iter().chain(&outside) {
        add(
            format!("in {hive} set"),
            set(&format!("{hive}\\{key}\\{value}")),
        );
        add(
            format!("in {hive} audit"),
            audit(&format!("{hive}\\{key}"), value),
        );
    }
    // A key under SOFTWARE\Classes is also in the classes hives, below their root.
    if let Some(rest) = key.strip_prefix("SOFTWARE\\Classes\\") {
        for hive in classes_hives() {
            add(
                format!("classes {hive} set"),
                set(&format!("{hive}\\{rest}\\{value}")),
            );
            add(
                format!("classes {hive} create"),
                key_event("CreateKey", &format!("{hive}\\{rest}")),
            );
            add(
                format!("classes {hive} rename to"),
                rename("HKLM\\SOFTWARE\\Staging", &format!("{hive}\\{rest}")),
            );
            add(
                format!("classes {hive} audit"),
                audit(&format!("{hive}\\{rest}"), value),
            );
            add(
                format!("classes {hive} deeper"),
                set(&format!("{hive}\\{rest}\\Extra\\{value}")),
            );
        }
    }
    let h = &inside[0];
    let at = |k: &str| format!("{h}\\{k}");
    let staging = "HKLM\\SOFTWARE\\Staging";
    let classes = format!("HKU\\{SID}_Classes\\Software\\Staging");
    add("create".into(), key_event("CreateKey", &at(&key)));
    add("delete key".into(), key_event("DeleteKey", &at(&key)));
    add(
        "delete value".into(),
        key_event("DeleteValue", &format!("{}\\{value}", at(&key))),
    );
    if l.key.ends_with("**") {
        let deep_key = l.key.replace("**", "Deeper\\Still").replace('*', "Name");
        add(
            "below set".into(),
            set(&format!("{}\\{value}", at(&deep_key))),
        );
        add(
            "below create".into(),
            key_event("CreateKey", &at(&deep_key)),
        );
    }
    add("rename to".into(), rename(staging, &at(&key)));
    add("rename from".into(), rename(&at(&key), staging));
    add("rename from classes".into(), rename(&classes, &at(&key)));
    add("rename to classes".into(), rename(&at(&key), &classes));
    add("other value".into(), set(&format!("{}\\Other", at(&key))));
    add("audit other value".into(), audit(&at(&key), "Other"));
    add(
        "audit deeper".into(),
        audit(&format!("{}\\Extra", at(&key)), value),
    );
    add(
        "value one key deeper".into(),
        set(&format!("{}\\Extra\\{value}", at(&key))),
    );
    add("sibling".into(), set(&format!("{}x\\{value}", at(&key))));
    add(
        "parent create".into(),
        key_event("CreateKey", &at(&key[..key.rfind('\\').unwrap_or(0)])),
    );
    add(
        "lower case".into(),
        set(&format!("{}\\{value}", at(&key)).to_lowercase()),
    );
    let wow = "WOW6432Node";
    let (first, rest) = key.split_once('\\').unwrap_or((&key, ""));
    for (label, k) in [
        ("wow64 first", format!("{wow}\\{key}")),
        ("wow64 second", format!("{first}\\{wow}\\{rest}")),
        ("wow64 last", format!("{key}\\{wow}")),
        ("wow64 twice", format!("{first}\\{wow}\\{wow}\\{rest}")),
    ] {
        add(format!("{label} set"), set(&format!("{}\\{value}", at(&k))));
        add(format!("{label} create"), key_event("CreateKey", &at(&k)));
        add(format!("{label} audit"), audit(&at(&k), value));
    }
    if key.contains("CurrentControlSet") {
        for (label, set_name) in [
            ("control set 001", "ControlSet001"),
            ("control set 999", "ControlSet999"),
            ("control set 4 digits", "ControlSet0001"),
            ("control set letter", "ControlSetX01"),
            ("control set wow64", "WOW6432Node\\ControlSet001"),
        ] {
            let k = key.replace("CurrentControlSet", set_name);
            add(format!("{label} set"), set(&format!("{}\\{value}", at(&k))));
            add(format!("{label} create"), key_event("CreateKey", &at(&k)));
            add(format!("{label} audit"), audit(&at(&k), value));
        }
    }
    probes
}

/// Probes written by hand: writers, event shapes, and the cases Sigma cannot express.
fn edge_probes() -> Vec<(String, Event)> {
    let run = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
    let by = |image: &str| {
        registry(
            13,
            "SetValue",
            image,
            &format!("{run}\\x"),
            Some("x.exe"),
            Version::Current,
        )
    };
    let audit_by = |image: &str| {
        security_4657(
            image,
            "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
            "x",
            "%%1904",
            "x.exe",
        )
    };
    let kernel_run = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
    vec![
        ("writer bare name".into(), by("WmiPrvSE.exe")),
        ("writer forward slashes".into(), by("D:/tools/WmiPrvSE.exe")),
        (
            "writer other case".into(),
            by("C:\\WINDOWS\\SYSTEM32\\WBEM\\WMIPRVSE.EXE"),
        ),
        (
            "writer lookalike".into(),
            by("C:\\Windows\\Temp\\fakewmiprvse.exe"),
        ),
        (
            "writer suffixed".into(),
            by("C:\\Windows\\System32\\wbem\\WmiPrvSE.exe.bak"),
        ),
        (
            "writer reg.exe".into(),
            by("C:\\Windows\\System32\\reg.exe"),
        ),
        ("audit writer bare name".into(), audit_by("WmiPrvSE.exe")),
        (
            "audit writer reg.exe".into(),
            audit_by("C:\\Windows\\System32\\reg.exe"),
        ),
        (
            "value name starting with NUL".into(),
            set(&format!("{run}\\")),
        ),
        ("audit value name empty".into(), audit(kernel_run, "")),
        (
            "value name with a wildcard".into(),
            set(&format!("{run}\\*")),
        ),
        (
            "service one key deeper".into(),
            set("HKLM\\SYSTEM\\CurrentControlSet\\Services\\A\\B\\ImagePath"),
        ),
        (
            "service key named WOW6432Node".into(),
            set("HKLM\\SYSTEM\\CurrentControlSet\\Services\\WOW6432Node\\ImagePath"),
        ),
        (
            "audit value name with a backslash".into(),
            audit(kernel_run, "Sub\\x"),
        ),
        (
            "audit value name behind a WOW6432Node".into(),
            audit(kernel_run, "WOW6432Node\\x"),
        ),
        (
            "non-ASCII case folding".into(),
            set("HKLM\\SOFTWARE\\Micro\u{17f}oft\\Windows\\CurrentVersion\\Run\\x"),
        ),
        (
            "set without EventType".into(),
            registry(
                13,
                "",
                WMI,
                &format!("{run}\\x"),
                Some("x.exe"),
                Version::Current,
            ),
        ),
        (
            "create spelled as SetValue".into(),
            registry(12, "SetValue", WMI, run, None, Version::Current),
        ),
        (
            "user hive without a SID".into(),
            set("HKU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x"),
        ),
        (
            "classes hive in another case".into(),
            set(&format!(
                "hkey_users\\{SID}_CLASSES\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x"
            )),
        ),
    ]
}

/// The differences Sigma cannot avoid, as `sigma only|wmihunt only: detection: event`. A
/// change that adds one (or removes one) fails the test; update this list only with the
/// reason, in the rule descriptions and docs/formats.md too.
const PINNED: &[&str] = &[
    // A Sysmon-looking event from another provider in the Sysmon channel: a SIEM maps the log
    // source by channel (as pySigma's Windows pipeline does), wmihunt checks the provider.
    "sigma only: run_keys: other_writers.evtx#6",
    // Python's re folds `ſ` to `s` (Unicode case folding); wmihunt compares ASCII only.
    "sigma only: run_keys: probe non-ASCII case folding",
    // Sigma's regular expressions have no look-ahead to keep a `*` off `WOW6432Node`, which
    // wmihunt skips, so the location `Services\*` is one key short of it.
    "sigma only: service_image: probe service key named WOW6432Node",
    // 4657: wmihunt joins ObjectName and ObjectValueName and splits at the last backslash,
    // then skips the WOW6432Node; the rule reads the value name as a whole.
    "wmihunt only: run_keys: probe audit value name behind a WOW6432Node",
    // The rules read the action from EventType; wmihunt from the event id.
    "wmihunt only: run_keys: probe create spelled as SetValue",
    "wmihunt only: run_keys: probe set without EventType",
];

#[test]
fn sigma_rules_match_what_wmihunt_reports_in_a_real_engine() {
    let Some(python) = pysigma_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    // The rules, as a user exports them.
    let rules_path = export_rules(dir.path());

    // The events: every fixture, and the probes, written to one more EVTX file.
    let catalog = catalog();
    let mut probes: Vec<(String, Event)> = Vec::new();
    for d in &catalog {
        for (i, l) in d.location_parts.iter().enumerate() {
            probes.extend(location_probes(&format!("{}#{i}", d.id), l));
        }
    }
    probes.extend(edge_probes());
    let probes = probes
        .into_iter()
        .enumerate()
        .map(|(n, (label, mut event))| {
            event.time = filetime_from_unix(1_709_287_200 + n as i64, 0);
            event.computer = "PROBE.corp.example".into();
            (format!("probe {label}"), event)
        });
    let inputs = Inputs::write(dir.path(), probes.collect());

    // What wmihunt reports for the same events: (detection, row).
    let (lines, out) = scan_ndjson(
        &[&testdata(), &inputs.probe_file],
        &["--no-execution-check"],
    );
    out.assert_code(0);
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for l in &lines {
        for source in std::iter::once(&l.source_path).chain(&l.duplicate_sources) {
            reported.insert((l.detection_id.clone(), inputs.row_of(source, l.record_id)));
        }
    }

    // What each rule matched in the engine; the subscription rules are checked by
    // tests/e2e/sigma/subscriptions.rs.
    let mut matched = run_engine(&python, &rules_path, &inputs.rows_path);
    matched.retain(|name, _| !name.starts_with("wmihunt_wmi_subscription_"));

    // Every detection has both rules, and each of them selected something.
    let mut selected: BTreeSet<(String, String)> = BTreeSet::new();
    for d in &catalog {
        for source in ["sysmon", "security"] {
            let rows = take_rule(&mut matched, &format!("wmihunt_{}_{source}", d.id));
            selected.extend(rows.into_iter().map(|r| (d.id.to_string(), r)));
        }
    }
    assert!(matched.is_empty(), "rules not in the catalog: {matched:?}");

    assert_eq!(
        differences(&selected, &reported, |(d, r)| format!("{d}: {r}")),
        pinned(PINNED),
        "Sigma and wmihunt differ other than as pinned ({} events, {} agreed findings)",
        inputs.rows,
        selected.intersection(&reported).count()
    );
    // Not vacuous: every fixture finding of a registry detection is among the agreed ones.
    let registry_detections: BTreeSet<&str> = catalog.iter().map(|d| d.id.as_str()).collect();
    let fixture_findings: usize = cases::all()
        .iter()
        .flat_map(|f| f.expected.iter())
        .filter(|(_, e)| registry_detections.contains(e.detection))
        .count();
    let agreed_in_fixtures = selected
        .intersection(&reported)
        .filter(|(_, r)| !r.starts_with("probe "))
        .count();
    assert_eq!(agreed_in_fixtures, fixture_findings);
}
