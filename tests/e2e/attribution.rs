//! End-to-end tests of the attribution pass: each scenario of `testkit/src/scenarios.rs` is
//! written to a temporary folder and scanned by the binary, and each finding's `attribution`
//! must be exactly the one asserted here; the real positive in the shared samples must name
//! the remote caller its Sysmon records show.

use crate::support;

use serde_json::{json, Value};
use support::{scan_ndjson, wmihunt, Csv};
use wmihunt_testkit::scenarios::{self, Scenario};

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const SECURITY: &str = "Security";
const WMI: &str = "Microsoft-Windows-WMI-Activity/Operational";

/// Writes `scenario` to a temporary folder and runs `wmihunt scan` on it with `args`: stdout
/// and stderr, with the folder's path taken out of both.
fn run(scenario: &Scenario, args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    scenario.write(dir.path()).unwrap();
    let path = dir.path().display().to_string();
    let mut all: Vec<&str> = vec!["scan", "--no-progress"];
    all.extend(args);
    all.push(&path);
    let out = wmihunt(&all);
    out.assert_code(0);
    let prefix = format!("{path}/");
    (
        out.stdout.replace(&prefix, ""),
        out.stderr.replace(&prefix, ""),
    )
}

/// The attribution of every finding of `scenario`, scanned with `extra` flags (each NDJSON
/// line read strictly first, as `docs/ndjson.md` documents it).
fn attributions(scenario: &Scenario, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--format", "ndjson"];
    args.extend(extra);
    let (out, _) = run(scenario, &args);
    assert!(!out.is_empty(), "{}: no finding", scenario.name);
    out.lines()
        .map(|l| {
            let _: support::Line = serde_json::from_str(l).unwrap();
            serde_json::from_str::<Value>(l).unwrap()["attribution"].clone()
        })
        .collect()
}

/// The one finding's attribution.
fn only(scenario: Scenario) -> Value {
    let mut all = attributions(&scenario, &[]);
    assert_eq!(all.len(), 1, "{}", scenario.name);
    all.remove(0)
}

/// A caller as NDJSON writes it.
#[allow(clippy::too_many_arguments)]
fn caller(
    account: Option<(&str, &str, &str)>,
    source: (Option<&str>, Option<&str>),
    logon: Option<(u32, &str)>,
    admin: Option<bool>,
    remote: Option<bool>,
) -> Value {
    json!({
        "user": account.map(|a| a.1),
        "domain": account.map(|a| a.0),
        "logon_id": account.map(|a| a.2),
        "source_ip": source.0,
        "source_host": source.1,
        "logon_type": logon.map(|l| l.0),
        "auth_package": logon.map(|l| l.1),
        "admin": admin,
        "remote": remote,
    })
}

/// A remote caller that logged on over the network by NTLM, as the scenarios' callers do.
fn ntlm(user: &str, logon_id: &str, from: (&str, &str), admin: bool) -> Value {
    caller(
        Some(("CORP", user, logon_id)),
        (Some(from.0), Some(from.1)),
        Some((3, "NTLM")),
        Some(admin),
        Some(true),
    )
}

/// One evidence item: role, host, channel, event id, time (seconds after 09:29:00 on the
/// day of the write), record id, file.
fn ev(
    role: &str,
    host: &str,
    channel: &str,
    id: u16,
    secs: &str,
    record: u64,
    path: &str,
) -> Value {
    json!({
        "role": role,
        "host": host,
        "channel": channel,
        "event_id": id,
        "timestamp": format!("2024-05-14T09:{secs}Z"),
        "record_id": record,
        "source_path": path,
    })
}

const WS01: &str = "WS01.corp.example";

/// WS01's side of `remote_wmic`, common to both scenarios built on it. Its second inbound
/// connection (record 3, to the WMI service's dynamic port) is not rendered: in Sysmon logs
/// the pre-filter looks for the endpoint mapper's `epmap`, not `svchost.exe`.
fn ws01_evidence() -> Vec<Value> {
    let (sec, sys, wmi) = (
        "WS01/Security.evtx",
        "WS01/Sysmon.evtx",
        "WS01/WMI-Activity.evtx",
    );
    vec![
        ev("logon", WS01, SECURITY, 4624, "29:29", 1, sec),
        ev("payload_transfer", WS01, SECURITY, 5145, "29:29.5", 3, sec),
        ev("payload_arrival", WS01, SYSMON, 11, "29:29.6", 1, sys),
        ev("logon", WS01, SECURITY, 4624, "29:50.9", 4, sec),
        ev("admin_logon", WS01, SECURITY, 4672, "29:50.9", 5, sec),
        ev("inbound_rpc", WS01, SYSMON, 3, "29:51", 2, sys),
        ev("provider_host_start", WS01, SYSMON, 1, "29:54", 4, sys),
        ev("wmi_client", WS01, WMI, 5858, "29:58", 1, wmi),
        ev("provider_load", WS01, WMI, 5857, "29:58.9", 2, wmi),
        ev("provider_load", WS01, SYSMON, 7, "29:59", 5, sys),
    ]
}

fn adm_jdoe() -> Value {
    ntlm("adm-jdoe", "0x4da321f", ("10.0.0.52", "ADMIN-PC"), true)
}

#[test]
fn a_remote_wmic_call_is_traced_to_the_command_on_the_callers_host() {
    let pc = "ADMIN-PC.corp.example";
    let mut evidence = ws01_evidence();
    evidence.splice(
        3..3,
        [
            ev(
                "caller_command",
                pc,
                SYSMON,
                1,
                "29:50.5",
                2,
                "ADMIN-PC/Sysmon.evtx",
            ),
            ev(
                "explicit_credentials",
                pc,
                SECURITY,
                4648,
                "29:50.8",
                1,
                "ADMIN-PC/Security.evtx",
            ),
        ],
    );
    evidence.insert(
        7,
        ev(
            "caller_connection",
            pc,
            SYSMON,
            3,
            "29:50.95",
            3,
            "ADMIN-PC/Sysmon.evtx",
        ),
    );
    let command_line = "wmic /node:WS01 /user:CORP\\adm-jdoe /password:******** \
        /namespace:\\\\root\\default path StdRegProv call SetStringValue hDefKey=2147483650 \
        sSubKeyName=\"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\" sValueName=\"Loader\" \
        sValue=\"rundll32.exe C:\\Windows\\Temp\\loader.dll,Start\"";
    assert_eq!(
        only(scenarios::remote_wmic(true)),
        json!({
            "grade": "strong",
            "rule": "one remote source in the 300 s before the write, corroborated by 7 kinds of \
                     evidence: network logon, inbound RPC/DCOM connection, provider host started \
                     after it, WMI-Activity client record, payload copied over an admin share, the \
                     calling command on its host, explicit credentials used on its host",
            "caller": adm_jdoe(),
            "candidates": 1,
            "alternatives": [],
            "command": {
                "host": pc,
                "timestamp": "2024-05-14T09:29:50.5Z",
                "event_id": 1,
                "image": "C:\\Windows\\System32\\wbem\\WMIC.exe",
                "command_line": command_line,
                "user": "CORP\\jdoe",
                "source_path": "ADMIN-PC/Sysmon.evtx",
                "record_id": 2,
            },
            "evidence": evidence,
            "gaps": [],
        })
    );
}

#[test]
fn without_the_callers_logs_the_caller_stands_and_the_gap_is_named() {
    assert_eq!(
        only(scenarios::remote_wmic(false)),
        json!({
            "grade": "strong",
            "rule": "one remote source in the 300 s before the write, corroborated by 5 kinds of \
                     evidence: network logon, inbound RPC/DCOM connection, provider host started \
                     after it, WMI-Activity client record, payload copied over an admin share",
            "caller": adm_jdoe(),
            "candidates": 1,
            "alternatives": [],
            "command": null,
            "evidence": ws01_evidence(),
            "gaps": ["the caller's host ADMIN-PC (10.0.0.52) is not in the collection: the command \
                      that made the call is unknown"],
        })
    );
}

#[test]
fn a_4657_subject_joined_to_its_logon_is_direct() {
    let (dc, sec) = ("DC03.corp.example", "DC03/Security.evtx");
    assert_eq!(
        only(scenarios::via_4657()),
        json!({
            "grade": "direct",
            "rule": "the write's 4657 subject (logon 0x7a1c3f) joined to its 4624: a type 3 logon \
                     from 10.0.0.77",
            "caller": caller(
                Some(("CORP", "svc-deploy", "0x7a1c3f")),
                (Some("10.0.0.77"), None),
                Some((3, "Kerberos")),
                Some(true),
                Some(true),
            ),
            "candidates": 1,
            "alternatives": [],
            "command": null,
            "evidence": [
                ev("logon", dc, SECURITY, 4624, "29:48", 1, sec),
                ev("admin_logon", dc, SECURITY, 4672, "29:48", 2, sec),
                ev("inbound_rpc", dc, SECURITY, 5156, "29:48.1", 3, sec),
                ev("provider_host_start", dc, SECURITY, 4688, "29:52", 5, sec),
                ev("write", dc, SECURITY, 4657, "30:00", 6, sec),
            ],
            "gaps": [
                "no Sysmon log for DC03.corp.example: connections, the provider host's start and \
                 the provider's load are unknown",
                "the caller's host 10.0.0.77 is not in the collection: the command that made the \
                 call is unknown",
            ],
        })
    );
}

#[test]
fn two_competing_remote_logons_make_the_grade_weak() {
    let (ws02, sec, sys) = (
        "WS02.corp.example",
        "WS02/Security.evtx",
        "WS02/Sysmon.evtx",
    );
    assert_eq!(
        only(scenarios::competing()),
        json!({
            "grade": "weak",
            "rule": "2 candidate callers in the 300 s before the write; the one named has the most \
                     kinds of evidence (network logon, inbound RPC/DCOM connection, provider host \
                     started after it, WMI-Activity client record)",
            "caller": ntlm("alice", "0x51a0f1", ("10.0.0.61", "ALICE-PC"), false),
            "candidates": 2,
            "alternatives": [ntlm("bob", "0x51b3c2", ("10.0.0.62", "BOB-PC"), false)],
            "command": null,
            "evidence": [
                ev("logon", ws02, SECURITY, 4624, "29:20", 1, sec),
                ev("inbound_rpc", ws02, SYSMON, 3, "29:20.1", 1, sys),
                ev("wmi_client", ws02, WMI, 5860, "29:21", 1, "WS02/WMI-Activity.evtx"),
                ev("provider_host_start", ws02, SYSMON, 1, "29:54", 3, sys),
                ev("provider_load", ws02, SYSMON, 7, "29:59", 4, sys),
            ],
            "gaps": ["the caller's host ALICE-PC (10.0.0.61) is not in the collection: the command \
                      that made the call is unknown"],
        })
    );
}

#[test]
fn only_local_activity_names_a_local_caller_and_no_remote_one() {
    let (ws04, sys) = ("WS04.corp.example", "WS04/Sysmon.evtx");
    let command_line = "powershell.exe -NoProfile -Command \"Invoke-CimMethod -Namespace \
        root/default -ClassName StdRegProv -MethodName SetStringValue -Arguments \
        @{hDefKey=[uint32]2147483650; \
        sSubKeyName='SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run'; sValueName='Updater'; \
        sValue='C:\\Users\\Public\\upd.exe'}\"";
    assert_eq!(
        only(scenarios::local_only()),
        json!({
            "grade": "weak",
            "rule": "no remote source in the 300 s before the write; a command on this host \
                     called the registry provider",
            "caller": caller(Some(("CORP", "carol", "0x2a7f01")), (None, None), None, None, Some(false)),
            "candidates": 1,
            "alternatives": [],
            "command": {
                "host": ws04,
                "timestamp": "2024-05-14T09:29:52Z",
                "event_id": 1,
                "image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "command_line": command_line,
                "user": "CORP\\carol",
                "source_path": sys,
                "record_id": 2,
            },
            "evidence": [
                ev("caller_command", ws04, SYSMON, 1, "29:52", 2, sys),
                ev("provider_host_start", ws04, SYSMON, 1, "29:54", 3, sys),
                ev("provider_load", ws04, SYSMON, 7, "29:59", 4, sys),
            ],
            "gaps": [],
        })
    );
}

#[test]
fn without_a_security_log_or_connections_the_grade_is_none_with_the_reason() {
    assert_eq!(
        only(scenarios::no_security_log()),
        json!({
            "grade": "none",
            "rule": "no remote logon, inbound RPC/DCOM connection, WMI client or local command \
                     calling the registry provider in the 300 s before the write",
            "caller": null,
            "candidates": 0,
            "alternatives": [],
            "command": null,
            "evidence": [ev(
                "provider_host_start",
                "WS05.corp.example",
                SYSMON,
                1,
                "29:57",
                2,
                "WS05/Sysmon.evtx"
            )],
            "gaps": ["no Security log for WS05.corp.example: logons, accounts and admin rights \
                      are unknown"],
        })
    );
}

#[test]
fn decoys_do_not_compete_with_the_caller() {
    // Outside the window, after the write, anonymous, loopback, the host's own address, the
    // caller's machine account, and another host's logon at the same time.
    let (ws06, sec, sys) = (
        "WS06.corp.example",
        "WS06/Security.evtx",
        "WS06/Sysmon.evtx",
    );
    assert_eq!(
        only(scenarios::decoys()),
        json!({
            "grade": "strong",
            "rule": "one remote source in the 300 s before the write, corroborated by 3 kinds of \
                     evidence: network logon, inbound RPC/DCOM connection, provider host started \
                     after it",
            "caller": ntlm("dave", "0x61d0a2", ("10.0.0.70", "DAVE-PC"), true),
            "candidates": 1,
            "alternatives": [],
            "command": null,
            "evidence": [
                ev("logon", ws06, SECURITY, 4624, "29:48", 6, sec),
                ev("admin_logon", ws06, SECURITY, 4672, "29:48", 7, sec),
                ev("inbound_rpc", ws06, SYSMON, 3, "29:48.1", 1, sys),
                ev("provider_host_start", ws06, SYSMON, 1, "29:54", 2, sys),
                ev("provider_load", ws06, SYSMON, 7, "29:59", 3, sys),
            ],
            "gaps": ["the caller's host DAVE-PC (10.0.0.70) is not in the collection: the command \
                      that made the call is unknown"],
        })
    );
}

#[test]
fn sysmons_user_on_the_write_picks_the_callers_logon() {
    let (ws08, sec, sys) = (
        "WS08.corp.example",
        "WS08/Security.evtx",
        "WS08/Sysmon.evtx",
    );
    assert_eq!(
        only(scenarios::sysmon_user()),
        json!({
            "grade": "strong",
            "rule": "the write's Sysmon User names CORP\\eve, and a remote network logon of that \
                     account precedes it in the window",
            "caller": ntlm("eve", "0x81e001", ("10.0.0.90", "EVE-PC"), false),
            "candidates": 2,
            "alternatives": [ntlm("mallory", "0x81f001", ("10.0.0.91", "MAL-PC"), false)],
            "command": null,
            "evidence": [
                ev("logon", ws08, SECURITY, 4624, "29:40", 1, sec),
                ev("inbound_rpc", ws08, SYSMON, 3, "29:40.1", 1, sys),
                ev("provider_host_start", ws08, SYSMON, 1, "29:54", 3, sys),
                ev("provider_load", ws08, SYSMON, 7, "29:59", 4, sys),
                ev("write", ws08, SYSMON, 13, "30:00", 5, sys),
            ],
            "gaps": ["the caller's host EVE-PC (10.0.0.90) is not in the collection: the command \
                      that made the call is unknown"],
        })
    );
}

#[test]
fn a_written_host_is_also_a_caller() {
    // ADMIN-PC has its own finding half an hour earlier; its command towards WS01 must still be
    // found, though its logs are read as a written host's, not as a caller's.
    let all = attributions(&scenarios::lateral_chain(), &[]);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["grade"], "none", "ADMIN-PC's own write: {}", all[0]);
    let alone = only(scenarios::remote_wmic(true));
    for field in ["grade", "rule", "caller", "gaps"] {
        assert_eq!(all[1][field], alone[field], "{field}");
    }
    // The same command, one record later in ADMIN-PC's Sysmon log (its write comes first).
    assert_eq!(
        all[1]["command"]["command_line"],
        alone["command"]["command_line"]
    );
    assert_eq!(all[1]["command"]["record_id"], 3);
}

#[test]
fn the_window_is_configurable() {
    // In the last 5 s before the write only WMI-Activity's client record names ADMIN-PC.
    let a = attributions(&scenarios::remote_wmic(false), &["--caller-window", "5s"]);
    assert_eq!(a[0]["grade"], "weak");
    assert_eq!(
        a[0]["rule"],
        "one remote source in the 5 s before the write, seen by one kind of evidence only: \
         WMI-Activity client record"
    );
    assert_eq!(
        a[0]["caller"],
        json!({"user": "adm-jdoe", "domain": "CORP", "logon_id": null, "source_ip": null,
               "source_host": "ADMIN-PC", "logon_type": null, "auth_package": null,
               "admin": null, "remote": true})
    );
    let none = attributions(&scenarios::remote_wmic(false), &["--no-attribution"]);
    assert_eq!(none[0], Value::Null);
    // A usage error.
    wmihunt(["scan", "--caller-window", "0", "x"])
        .assert_code(3)
        .assert_stderr_has("the window must be from 1 s to 24 h");
}

#[test]
fn the_real_positive_names_the_remote_caller_its_sysmon_records_show() {
    // Its Sysmon records: two inbound connections from 10.0.2.17 (MSEDGEWIN10CLON) to the
    // endpoint mapper, the provider host's start, the registry provider's load, the write. (A
    // third connection, to a dynamic port of svchost.exe, names neither `epmap` nor the
    // provider host: the pre-filter does not render it, `docs/attribution.md`.)
    let Some(samples) = support::samples() else {
        eprintln!("skipped: no shared samples");
        return;
    };
    let file = samples
        .join("sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/wmi_remote_registry_sysmon.evtx");
    let (lines, out) = scan_ndjson(&[&file], &[]);
    out.assert_code(0);
    let line: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(line["record_id"], 549609);
    let path = file.display().to_string();
    let host = "MSEDGEWIN10";
    let at = |secs: &str| format!("2020-12-10T11:18:{secs}Z");
    let item = |role: &str, id: u16, secs: &str, record: u64| {
        json!({"role": role, "host": host, "channel": SYSMON, "event_id": id,
               "timestamp": at(secs), "record_id": record, "source_path": path})
    };
    assert_eq!(
        line["attribution"],
        json!({
            "grade": "strong",
            "rule": "one remote source in the 300 s before the write, corroborated by 2 kinds of \
                     evidence: inbound RPC/DCOM connection, provider host started after it",
            "caller": caller(None, (Some("10.0.2.17"), Some("MSEDGEWIN10CLON")), None, None, Some(true)),
            "candidates": 1,
            "alternatives": [],
            "command": null,
            "evidence": [
                item("inbound_rpc", 3, "52.1904964", 549597),
                item("inbound_rpc", 3, "52.1914198", 549598),
                item("provider_host_start", 1, "54.6004133", 549600),
                item("provider_load", 7, "54.8266782", 549608),
            ],
            "gaps": [
                "no Security log for MSEDGEWIN10: logons, accounts and admin rights are unknown",
                "the caller's host MSEDGEWIN10CLON (10.0.2.17) is not in the collection: the \
                 command that made the call is unknown",
            ],
        })
    );
}

#[test]
fn every_format_carries_the_caller() {
    let scenario = scenarios::remote_wmic(true);
    let (table, summary) = run(&scenario, &["--format", "table", "--summary"]);
    for text in ["CORP\\adm-jdoe (admin)", "← 10.0.0.52 ADMIN-PC", "strong"] {
        assert!(table.contains(text), "{text} not in\n{table}");
    }
    assert!(summary.contains("── callers per host ──"), "{summary}");
    assert!(
        summary.contains("CORP\\adm-jdoe (admin) ← 10.0.0.52 ADMIN-PC"),
        "{summary}"
    );
    assert!(
        summary.contains("callers:  0 direct, 1 strong, 0 weak, 0 none"),
        "{summary}"
    );
    let (ecs, _) = run(&scenario, &["--format", "ecs"]);
    let doc: Value = serde_json::from_str(ecs.lines().next().unwrap()).unwrap();
    assert_eq!(
        doc["source"],
        json!({"ip": "10.0.0.52", "domain": "ADMIN-PC"})
    );
    assert_eq!(doc["user"], json!({"name": "adm-jdoe", "domain": "CORP"}));
    assert_eq!(doc["wmihunt"]["attribution"]["grade"], "strong");
    let (csv, _) = run(&scenario, &["--format", "csv"]);
    let csv = Csv::parse(&csv);
    let cell = |name: &str| csv.cell(&csv.rows[0], name);
    assert_eq!(cell("attribution_grade"), "strong");
    assert_eq!(cell("caller_user"), "adm-jdoe");
    assert_eq!(cell("caller_source_ip"), "10.0.0.52");
    assert_eq!(cell("caller_logon_id"), "0x4da321f");
    assert!(cell("attribution_evidence").starts_with("Security 4624 #1 (logon) | Security 5145 #3"));
    let (sketch, _) = run(&scenario, &["--format", "timesketch"]);
    let event: Value = serde_json::from_str(sketch.lines().next().unwrap()).unwrap();
    assert_eq!(event["attribution"]["caller"]["user"], "adm-jdoe");
}

#[test]
fn a_scan_without_findings_reads_nothing_for_attribution() {
    let Some(log) = scenarios::decoys()
        .logs
        .into_iter()
        .find(|l| l.path.starts_with("WS07"))
    else {
        panic!("the decoys scenario has WS07's log");
    };
    let quiet = Scenario {
        name: "no_findings",
        logs: vec![log],
    };
    let (out, summary) = run(&quiet, &["--format", "ndjson"]);
    assert!(out.is_empty());
    let line = "callers:  0 direct, 0 strong, 0 weak, 0 none; 0 files read (0 of callers' \
                hosts), 0 records rendered, 0 events kept";
    assert!(summary.contains(line), "{summary}");
}

#[test]
fn a_long_lived_provider_hosts_creation_and_load_are_joined_from_hours_before() {
    // The creation (record 1) and the provider load (record 502, five chunks on) are hours
    // before the write, among a thousand records naming the same GUID; the pass reads them by
    // identity, not by window. A copy
    // of the same log as a live log that has wrapped (its newest chunks first in the file)
    // must give the same attribution.
    let scenario = scenarios::long_lived_provider();
    let dir = tempfile::tempdir().unwrap();
    scenario.write(dir.path()).unwrap();
    let log = dir.path().join("WS10/Sysmon.evtx");
    let bytes = std::fs::read(&log).unwrap();
    let (header, chunks) = bytes.split_at(4096);
    let chunks: Vec<&[u8]> = chunks.chunks(65536).collect();
    assert!(chunks.len() >= 4, "{} chunks", chunks.len());
    let wrapped_dir = tempfile::tempdir().unwrap();
    let mut wrapped = header.to_vec();
    let cut = chunks.len() / 2;
    for chunk in chunks[cut..].iter().chain(&chunks[..cut]) {
        wrapped.extend_from_slice(chunk);
    }
    std::fs::write(wrapped_dir.path().join("Sysmon.evtx"), wrapped).unwrap();
    let attribution = |path: &std::path::Path| -> Value {
        let out = wmihunt([
            "scan",
            "--no-progress",
            "--format",
            "ndjson",
            path.to_str().unwrap(),
        ]);
        out.assert_code(0);
        let lines: Vec<Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "{}", out.stdout);
        let mut a = lines[0]["attribution"].clone();
        for e in a["evidence"].as_array_mut().unwrap() {
            e.as_object_mut().unwrap().remove("source_path");
        }
        a
    };
    let straight = attribution(dir.path());
    let roles: Vec<(String, u64)> = straight["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["role"].as_str().unwrap().to_string(),
                e["record_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("provider_host_start".to_string(), 1),
            ("provider_load".to_string(), 502)
        ]
    );
    assert_eq!(attribution(wrapped_dir.path()), straight);
}

#[test]
fn scenarios_write_readable_logs() {
    // Every record a scenario writes is read back, without a problem.
    for scenario in scenarios::all() {
        let (_, summary) = run(&scenario, &["--format", "ndjson"]);
        let records: usize = scenario.logs.iter().map(|l| l.events.len()).sum();
        assert!(
            summary.contains(&format!(" {records} records ")),
            "{}: {summary}",
            scenario.name
        );
    }
}
