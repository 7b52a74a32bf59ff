//! End-to-end tests of the ecosystem outputs: ECS (checked against the committed field list),
//! Elasticsearch `_bulk`, Timesketch JSONL, CSV and the Sigma export, each parsed back (the
//! Velociraptor artifact is `velociraptor.rs`'s, the HTML report `report.rs`'s).

use crate::support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use support::{json_lines, scan_as, stdout_of, testdata, wmihunt, write_evtx, Csv};

/// Flattens a JSON document into dotted field names and their values.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// Whether a JSON value fits an ECS field type (arrays of it included).
fn fits(ecs_type: &str, value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().all(|v| fits(ecs_type, v)),
        Value::String(s) => match ecs_type {
            "date" => s.parse::<jiff::Timestamp>().is_ok(),
            "ip" => s.parse::<std::net::IpAddr>().is_ok(),
            "keyword" | "wildcard" | "match_only_text" | "text" => true,
            _ => false,
        },
        Value::Number(n) => match ecs_type {
            "long" => n.is_i64() || n.is_u64(),
            "float" | "scaled_float" | "double" => true,
            _ => false,
        },
        _ => false,
    }
}

#[test]
fn ecs_documents_follow_the_committed_field_list() {
    let list = fs::read_to_string(support::root().join("docs/ecs-fields.tsv")).unwrap();
    let types: BTreeMap<&str, &str> = list
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .collect();
    let docs = json_lines(&scan_as("ecs", &[testdata().to_str().unwrap()]));
    let expected: usize = support::cases::all().iter().map(|f| f.expected.len()).sum();
    assert_eq!(docs.len(), expected);
    for doc in &docs {
        let mut fields = Vec::new();
        flatten("", doc, &mut fields);
        for (name, value) in fields {
            if name.starts_with("wmihunt.") {
                continue;
            }
            let ecs_type = types
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{name} is not in docs/ecs-fields.tsv"));
            assert!(fits(ecs_type, &value), "{name} = {value} is not {ecs_type}");
        }
    }
    let set = docs
        .iter()
        .find(|d| {
            d["registry"]["path"]
                == "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater"
                && d["host"]["name"] == "WS01.corp.example"
        })
        .expect("the first detections.evtx finding");
    for field in [
        "@timestamp",
        "event.code",
        "event.provider",
        "event.kind",
        "event.severity",
        "event.risk_score",
        "host.name",
        "process.executable",
        "process.name",
        "process.pid",
        "process.entity_id",
        "registry.hive",
        "registry.key",
        "registry.value",
        "registry.path",
        "registry.data.strings",
        "rule.id",
        "rule.name",
        "threat.framework",
        "threat.technique.id",
        "threat.technique.name",
        "log.file.path",
        "winlog.record_id",
        "winlog.channel",
        "winlog.computer_name",
    ] {
        let value = field.split('.').fold(set, |v, part| &v[part]);
        let value = if field == "@timestamp" {
            &set["@timestamp"]
        } else {
            value
        };
        assert!(!value.is_null(), "{field} missing in {set}");
    }
    assert_eq!(set["event"]["kind"], "alert");
    assert_eq!(set["registry"]["hive"], "HKLM");
    assert_eq!(
        set["registry"]["key"],
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
    );
    assert_eq!(set["registry"]["value"], "Updater");
    assert_eq!(
        set["registry"]["data"]["strings"][0],
        "C:\\ProgramData\\evil.exe"
    );
    assert_eq!(set["process"]["name"], "wmiprvse.exe");
    assert_eq!(
        set["threat"]["technique"]["name"][0],
        "Registry Run Keys / Startup Folder"
    );
    assert_eq!(set["event"]["risk_score"], 73.0);
}

#[test]
fn ecs_bulk_lines_alternate_action_and_document() {
    let file = testdata().join("actions.evtx");
    let file = file.to_str().unwrap();
    let lines = json_lines(&scan_as("ecs", &["--bulk-index", "wmihunt-alerts", file]));
    assert_eq!(lines.len(), 20);
    for pair in lines.chunks(2) {
        assert_eq!(
            pair[0],
            serde_json::json!({"create": {"_index": "wmihunt-alerts"}})
        );
        assert_eq!(pair[1]["event"]["kind"], "alert");
    }
    // --bulk-index needs --format ecs.
    wmihunt(["scan", "--bulk-index", "x", "--format", "ndjson", file]).assert_code(3);
}

#[test]
fn timesketch_lines_import_as_is() {
    let file = testdata().join("actions.evtx");
    let lines = json_lines(&scan_as("timesketch", &[file.to_str().unwrap()]));
    assert_eq!(lines.len(), 10);
    for l in &lines {
        assert!(l["message"]
            .as_str()
            .is_some_and(|m| m.contains("run_keys") || m.contains("service_image")));
        assert!(l["datetime"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok());
        assert!(l["timestamp_desc"]
            .as_str()
            .unwrap()
            .starts_with("Registry "));
        // Every NDJSON field rides along.
        let finding: support::Line = {
            let mut map = l.as_object().unwrap().clone();
            for k in ["message", "datetime", "timestamp_desc"] {
                map.remove(k);
            }
            serde_json::from_value(Value::Object(map)).unwrap()
        };
        assert_eq!(finding.host, "WS03.corp.example");
    }
    let descs: Vec<&str> = lines
        .iter()
        .map(|l| l["timestamp_desc"].as_str().unwrap())
        .collect();
    assert!(descs.contains(&"Registry Key Created") && descs.contains(&"Registry Value Deleted"));
}

#[test]
fn csv_rows_parse_and_formulas_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let event = support::cases::registry(
        13,
        "SetValue",
        support::cases::WMI,
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\=HYPERLINK(\"x\")",
        Some("=cmd|' /C calc'!A0, \"quoted\"\nsecond line"),
        support::cases::Version::Current,
    );
    let path = write_evtx(dir.path(), "formula.evtx", &[event]);
    let actions = testdata().join("actions.evtx");
    let csv = Csv::parse(&scan_as(
        "csv",
        &[path.to_str().unwrap(), actions.to_str().unwrap()],
    ));
    assert_eq!(
        csv.header,
        [
            "timestamp",
            "host",
            "severity",
            "score",
            "detection_id",
            "action",
            "key",
            "value_name",
            "data",
            "image",
            "image_unusual_location",
            "user",
            "event_id",
            "record_id",
            "channel",
            "target_object",
            "new_name",
            "indicators",
            "execution_timestamp",
            "execution_image",
            "source_path",
            "duplicate_sources",
            "chunk",
            "recovered",
            "attribution_grade",
            "caller_user",
            "caller_domain",
            "caller_logon_id",
            "caller_source_ip",
            "caller_source_host",
            "caller_logon_type",
            "caller_admin",
            "attribution_rule",
            "attribution_evidence",
            "kind",
            "filter_name",
            "filter_query",
            "consumer_name",
            "consumer_type",
        ]
    );
    assert_eq!(csv.rows.len(), 11);
    let hostile = csv
        .rows
        .iter()
        .find(|r| csv.cell(r, "data").contains("calc"))
        .unwrap();
    assert_eq!(
        csv.cell(hostile, "data"),
        "'=cmd|' /C calc'!A0, \"quoted\"\nsecond line"
    );
    assert_eq!(csv.cell(hostile, "value_name"), "'=HYPERLINK(\"x\")");
    assert!(csv
        .rows
        .iter()
        .all(|r| !r.iter().any(|cell| cell.starts_with(['=', '+', '-', '@']))));
}

/// A YAML value that is one string or a list of them, as a list.
fn strings(value: &serde_norway::Value) -> Vec<&str> {
    match value.as_sequence() {
        Some(items) => items.iter().filter_map(|v| v.as_str()).collect(),
        None => value.as_str().into_iter().collect(),
    }
}

#[test]
fn sigma_export_is_valid_and_in_step_with_the_catalog() {
    // tests/e2e/sigma/registry.rs runs these rules in a Sigma engine; this checks their shape.
    let text = stdout_of(&["rules", "--format", "sigma"]);
    let docs: Vec<serde_norway::Value> = text
        .split("\n---\n")
        .map(|d| serde_norway::from_str(d).unwrap_or_else(|e| panic!("invalid YAML: {e}\n{d}")))
        .collect();
    // The registry catalog as `wmihunt rules` lists it; the subscription rules come last.
    let catalog: Vec<serde_json::Value> = support::rules()
        .into_iter()
        .filter(|v| v["kind"] == "registry")
        .collect();
    assert_eq!(
        docs.len(),
        2 * catalog.len() + 2,
        "a Sysmon and a Security rule each, and two subscription rules"
    );
    let (docs, subscription) = docs.split_at(2 * catalog.len());
    let sources: Vec<(Option<&str>, Option<&str>)> = subscription
        .iter()
        .map(|d| {
            let ls = &d["logsource"];
            (ls["category"].as_str(), ls["service"].as_str())
        })
        .collect();
    assert_eq!(sources, [(Some("wmi_event"), None), (None, Some("wmi"))]);
    let mut ids: Vec<&str> = docs.iter().filter_map(|d| d["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), docs.len(), "rule ids are distinct");
    for (pair, d) in docs.chunks(2).zip(&catalog) {
        let [sysmon, security] = pair else {
            unreachable!()
        };
        let (id, title) = (d["id"].as_str().unwrap(), d["title"].as_str().unwrap());
        let locations: Vec<&str> = d["locations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(sysmon["title"].as_str(), Some(title));
        assert_eq!(
            security["title"].as_str(),
            Some(format!("{title} (Security 4657)").as_str())
        );
        assert_eq!(
            sysmon["name"].as_str(),
            Some(format!("wmihunt_{id}_sysmon").as_str())
        );
        assert_eq!(
            security["related"][0]["id"].as_str(),
            sysmon["id"].as_str(),
            "the Security rule points at its Sysmon twin"
        );
        assert_eq!(
            sysmon["logsource"]["category"].as_str(),
            Some("registry_event")
        );
        assert_eq!(security["logsource"]["service"].as_str(), Some("security"));
        for (doc, field) in [(sysmon, "Image"), (security, "ProcessName")] {
            assert_eq!(doc["logsource"]["product"].as_str(), Some("windows"));
            assert_eq!(doc["level"].as_str(), Some("high"));
            assert!(doc["id"].as_str().is_some_and(|id| id.len() == 36));
            assert!(doc["description"]
                .as_str()
                .is_some_and(|t| t.contains(id) && t.contains("Unlike wmihunt")));
            assert_eq!(
                doc["detection"]["writer"][0][format!("{field}|endswith")][0].as_str(),
                Some("\\WmiPrvSE.exe")
            );
            let tags: Vec<&str> = doc["tags"]
                .as_sequence()
                .unwrap()
                .iter()
                .filter_map(|t| t.as_str())
                .collect();
            for t in d["techniques"].as_array().unwrap() {
                let t = t.as_str().unwrap().to_ascii_lowercase();
                assert!(tags.contains(&format!("attack.{t}").as_str()), "{tags:?}");
            }
        }
        // One whole-path expression per location (fewer where two share a path), each
        // anchored and ending in the location's value.
        let paths = strings(&sysmon["detection"]["value_path"]["TargetObject|re|i"]);
        assert!(!paths.is_empty() && paths.len() <= locations.len());
        for l in &locations {
            let value = l.rsplit('\\').next().unwrap();
            let tail = if value == "*" {
                "\\\\[^\\\\]*$".to_string()
            } else {
                // As a regular expression: `(Default)` is `\(Default\)`.
                let literal: String = value
                    .chars()
                    .flat_map(|c| {
                        let escape = "\\.^$*+?()[]{}|".contains(c);
                        escape.then_some('\\').into_iter().chain([c])
                    })
                    .collect();
                format!("\\\\{literal}$")
            };
            assert!(
                paths
                    .iter()
                    .any(|p| p.starts_with('^') && p.ends_with(&tail)),
                "{l}"
            );
        }
        assert_eq!(
            security["detection"]["condition"]
                .as_str()
                .map(|c| c.contains("1 of location_*")),
            Some(true)
        );
        for i in 1..=locations.len() {
            assert!(security["detection"][format!("location_{i}")]["ObjectName|re|i"].is_string());
        }
    }
}
