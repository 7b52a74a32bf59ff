//! The Velociraptor artifact (`docs/velociraptor/`): it follows the conventions of the
//! community artifacts that run Hayabusa (a tool fetched by hash, results uploaded and parsed
//! into rows), keeps wmihunt's stderr in the results, passes only flags wmihunt has, and
//! `scripts/velociraptor-artifact.sh` sets the tool's hash and URL for a binary.

use crate::support;

use serde_norway::Value;
use sha2::{Digest, Sha256};
use std::fs;
use std::process::Command;
use support::wmihunt;

fn artifact_text() -> String {
    fs::read_to_string(
        support::root().join("docs/velociraptor/Custom.Windows.EventLogs.WmiHunt.yaml"),
    )
    .unwrap()
}

fn query(artifact: &Value) -> String {
    artifact["sources"][0]["query"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_artifact_fetches_by_hash_uploads_parses_and_keeps_stderr() {
    let artifact: Value = serde_norway::from_str(&artifact_text()).unwrap();
    assert_eq!(artifact["type"].as_str(), Some("CLIENT"));
    let tool = &artifact["tools"][0];
    assert_eq!(tool["name"].as_str(), Some("wmihunt"));
    let hash = tool["expected_hash"].as_str().unwrap();
    assert!(
        hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{hash}"
    );
    let q = query(&artifact);
    for needle in [
        "Generic.Utils.FetchBinary(ToolName=\"wmihunt\"",
        "upload(file=Results",
        "parse_jsonl(filename=Results)",
        "upload(file=DiagnosticsFile",
        "log(message=\"wmihunt: %v\", args=Stderr)",
        "\"diagnostic\" AS RowType, Stderr AS Message",
        "ReturnCode FROM Run WHERE Complete",
    ] {
        assert!(q.contains(needle), "the query lacks {needle}");
    }
    // Stderr is never thrown away.
    assert!(!q.contains("2>") && !q.contains("Stderr = ''"));
}

#[test]
fn the_artifact_passes_only_flags_wmihunt_has() {
    let artifact: Value = serde_norway::from_str(&artifact_text()).unwrap();
    let help = wmihunt(["scan", "--help"]).stdout;
    let q = query(&artifact);
    let flags: Vec<&str> = q
        .split('"')
        .filter(|s| s.starts_with('-') && s.len() > 1)
        .collect();
    assert!(flags.len() >= 5, "{flags:?}");
    for flag in flags {
        let long = flag.starts_with("--");
        let listed = if long {
            help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n"))
        } else {
            help.contains(&format!("{flag}, "))
        };
        assert!(listed, "wmihunt scan has no {flag}");
    }
    let levels: Vec<&str> = artifact["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str() == Some("MinLevel"))
        .unwrap()["choices"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(levels, ["info", "low", "medium", "high"]);
    for level in levels {
        let out = wmihunt([
            "scan",
            "--min-level",
            level,
            "--no-progress",
            "-q",
            "/nonexistent",
        ]);
        assert_ne!(out.code, 2, "{level}");
        out.assert_stderr_lacks("invalid value");
    }
}

#[test]
fn the_script_sets_the_tool_s_hash_and_url() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("wmihunt.exe");
    fs::write(&binary, b"MZ not really a binary").unwrap();
    let out = Command::new("bash")
        .arg(support::root().join("scripts/velociraptor-artifact.sh"))
        .arg(&binary)
        .arg("https://releases.example/wmihunt/v0.1.0/wmihunt.exe")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let artifact: Value = serde_norway::from_slice(&out.stdout).unwrap();
    let want: String = Sha256::digest(b"MZ not really a binary")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        artifact["tools"][0]["expected_hash"].as_str(),
        Some(want.as_str())
    );
    assert_eq!(
        artifact["tools"][0]["url"].as_str(),
        Some("https://releases.example/wmihunt/v0.1.0/wmihunt.exe")
    );
    assert_eq!(
        query(&artifact),
        query(&serde_norway::from_str(&artifact_text()).unwrap())
    );
}

#[test]
fn the_velociraptor_artifact_parses_and_runs_real_flags() {
    let doc: Value = serde_norway::from_str(&artifact_text()).unwrap();
    assert_eq!(doc["type"].as_str(), Some("CLIENT"));
    assert_eq!(doc["tools"][0]["name"].as_str(), Some("wmihunt"));
    let query = doc["sources"][0]["query"].as_str().unwrap();
    // Every flag the artifact passes is one wmihunt accepts.
    let help = wmihunt(["scan", "--help"]).stdout;
    for flag in [
        "--format",
        "--no-progress",
        "-q",
        "-o",
        "--from",
        "--no-execution-check",
    ] {
        assert!(
            query.contains(&format!("\"{flag}\"")),
            "{flag} not in the query"
        );
        assert!(help.contains(flag), "{flag} is not a wmihunt flag");
    }
    assert!(query.contains("parse_jsonl"));
}
