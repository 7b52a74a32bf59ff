//! The scan on the fixtures in `testdata/`: exactly the planted findings, every NDJSON field,
//! normalised keys, the second source (Security 4657), the order of the output, triage
//! (payload runs, the score), the time window, exit codes and usage errors, and the rule
//! catalog; and the one finding of the reference sample among the shared real samples.

use crate::support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use support::cases::{self, Expect};
use support::{scan_all, scan_ndjson, testdata, wmihunt, AnyLine, Line};

// ---- Findings ----

/// (file relative to testdata, record id) → (detection, severity, action).
type Keyed = BTreeMap<(String, u64), (String, String, String)>;

fn expected() -> Keyed {
    let mut map = Keyed::new();
    for fixture in cases::all() {
        for (
            record,
            Expect {
                detection,
                severity,
                action,
            },
        ) in fixture.expected
        {
            map.insert(
                (fixture.name.to_string(), record),
                (detection.into(), severity.into(), action.into()),
            );
        }
    }
    map
}

fn keyed(lines: &[AnyLine]) -> Keyed {
    let root = format!("{}/", testdata().display());
    let mut map = Keyed::new();
    for l in lines {
        let (source, record, detection, severity, action) = l.key();
        let file = source.strip_prefix(&root).unwrap_or(source).to_string();
        let old = map.insert(
            (file, record),
            (detection.into(), severity.into(), action.into()),
        );
        assert!(old.is_none(), "one finding per event: {l:?}");
    }
    map
}

#[test]
fn testdata_is_what_the_cases_generate() {
    for fixture in cases::all() {
        let path = testdata().join(fixture.name);
        let on_disk = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == fixture.bytes,
            "{} is stale: run `cargo xtask testdata`",
            fixture.name
        );
    }
}

#[test]
fn fixtures_give_exactly_the_expected_findings() {
    let (lines, out) = scan_all(&[&testdata()], &[]);
    out.assert_code(0);
    assert_eq!(keyed(&lines), expected());
    out.assert_stderr_has(
        "files:    15 scanned, 0 with read errors, 0 unreadable logs (empty, truncated or not \
         EVTX), 0 unreadable paths, 1 skipped (not event logs)",
    );
}

#[test]
fn the_prefilter_changes_nothing_on_fixtures() {
    for context in [&[][..], &["--context"][..]] {
        let (with, _) = scan_all(&[&testdata()], context);
        let without_flags = [context, &["--no-prefilter"]].concat();
        let (without, out) = scan_all(&[&testdata()], &without_flags);
        out.assert_code(0);
        assert_eq!(with, without, "{context:?}");
        assert!(with.iter().any(|l| matches!(l, AnyLine::Subscription(_))));
        assert!(with.iter().any(|l| matches!(l, AnyLine::Registry(_))));
    }
}

#[test]
fn a_finding_carries_every_field() {
    let (lines, _) = scan_ndjson(&[&testdata().join("detections.evtx")], &[]);
    let first = &lines[0];
    let want = Line {
        schema: 2,
        kind: "registry".into(),
        timestamp: "2024-03-01T10:00:00.125Z".into(),
        host: "WS01.corp.example".into(),
        channel: "Microsoft-Windows-Sysmon/Operational".into(),
        provider: "Microsoft-Windows-Sysmon".into(),
        event_id: 13,
        record_id: 1,
        action: "SetValue".into(),
        event_type: "SetValue".into(),
        image: cases::WMI.into(),
        image_unusual_location: false,
        process_id: Some(5580),
        process_guid: Some("{747f3d96-041e-5fd2-0000-001024df3b00}".into()),
        user: Some("NT AUTHORITY\\SYSTEM".into()),
        logon_id: None,
        rule_name: Some("-".into()),
        target_object: "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater".into(),
        new_name: None,
        hive: "HKLM".into(),
        sid: None,
        key: "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run".into(),
        value_name: Some("Updater".into()),
        data: Some("C:\\ProgramData\\evil.exe".into()),
        detection_id: "run_keys".into(),
        detection_title: "Run key written by WMI".into(),
        location: Some("HKLM|HKU\\*\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\*".into()),
        techniques: vec!["T1547.001".into(), "T1047".into()],
        severity: "high".into(),
        risk_score: 73,
        score: 82,
        indicators: vec![support::IndicatorLine {
            name: "staging_folder".into(),
            reason: "payload in a user-writable folder (programdata)".into(),
        }],
        source_path: testdata().join("detections.evtx").display().to_string(),
        duplicate_sources: vec![],
        payload: Some(support::PayloadLine {
            program: "evil.exe".into(),
            argument: None,
        }),
        execution: None,
        attribution: Some(support::AttributionLine {
            grade: "none".into(),
            rule: "no remote logon, inbound RPC/DCOM connection, WMI client or local command \
                   calling the registry provider in the 300 s before the write"
                .into(),
            caller: None,
            candidates: 0,
            alternatives: vec![],
            command: None,
            evidence: vec![],
            gaps: vec![
                "no Security log for WS01.corp.example: logons, accounts and admin rights are \
                 unknown"
                    .into(),
            ],
        }),
        chunk: 0,
        recovered: false,
    };
    assert_eq!(first, &want);
    let user = &lines[1];
    assert_eq!(user.hive, "HKU");
    assert_eq!(
        user.sid.as_deref(),
        Some("S-1-5-21-3623811015-3361044348-30300820-1013")
    );
}

#[test]
fn normalised_keys_and_renames() {
    let (lines, _) = scan_ndjson(
        &[
            &testdata().join("hives.evtx"),
            &testdata().join("actions.evtx"),
        ],
        &[],
    );
    let by_target = |t: &str| {
        lines
            .iter()
            .find(|l| l.target_object == t)
            .unwrap_or_else(|| panic!("no finding for {t}"))
    };
    let l = by_target("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\EvilSvc\\ImagePath");
    assert_eq!(l.key, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\EvilSvc");
    assert_eq!(l.value_name.as_deref(), Some("ImagePath"));
    let l = by_target("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater");
    assert_eq!((l.hive.as_str(), l.sid.as_deref()), ("HKCU", None));
    let l = by_target("HKLM\\SOFTWARE\\Staging\\Svc");
    assert_eq!(
        l.new_name.as_deref(),
        Some("HKLM\\System\\CurrentControlSet\\Services\\EvilSvc2")
    );
    assert_eq!(l.key, "HKLM\\System\\CurrentControlSet\\Services\\EvilSvc2");
    assert_eq!(
        (l.severity.as_str(), l.risk_score, l.value_name.as_deref()),
        ("medium", 47, None)
    );
    let deleted = lines
        .iter()
        .find(|l| l.action == "DeleteValue")
        .expect("a deletion");
    assert_eq!((deleted.severity.as_str(), deleted.risk_score), ("low", 21));
}

#[test]
fn masquerading_writers_are_marked() {
    let (lines, _) = scan_ndjson(&[&testdata().join("near_misses.evtx")], &[]);
    let unusual: Vec<&str> = lines
        .iter()
        .filter(|l| l.image_unusual_location)
        .map(|l| l.image.as_str())
        .collect();
    assert_eq!(unusual, ["C:\\Users\\Public\\WmiPrvSE.exe"]);
    let empty_name = lines
        .iter()
        .find(|l| l.target_object.ends_with("Run\\"))
        .expect("NUL-named value");
    assert_eq!(empty_name.value_name.as_deref(), Some(""));
}

#[test]
fn security_4657_is_a_second_source() {
    let (lines, out) = scan_ndjson(&[&testdata().join("security_4657")], &[]);
    out.assert_code(0);
    assert_eq!(lines.len(), 4);
    let first = &lines[0];
    assert_eq!(
        (
            first.provider.as_str(),
            first.event_id,
            first.event_type.as_str()
        ),
        ("Microsoft-Windows-Security-Auditing", 4657, "%%1904")
    );
    assert_eq!(
        first.target_object,
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater"
    );
    assert_eq!(
        first.key,
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
    );
    assert_eq!(first.value_name.as_deref(), Some("Updater"));
    assert_eq!(first.data.as_deref(), Some("C:\\ProgramData\\evil.exe"));
    assert_eq!(first.user.as_deref(), Some("CORP\\Administrator"));
    assert_eq!(first.logon_id.as_deref(), Some("0x5e4c1"));
    assert_eq!(first.process_id, Some(0x1a2c));
    let svc = &lines[2];
    assert_eq!(
        svc.key,
        "HKLM\\SYSTEM\\CurrentControlSet\\Services\\EvilSvc"
    );
    assert_eq!(lines[3].action, "DeleteValue");
    assert_eq!(lines[3].severity, "low");
}

#[test]
fn output_is_ordered_by_time_then_file_then_record() {
    let (lines, _) = scan_ndjson(&[&testdata()], &[]);
    let order: Vec<(String, String, u64)> = lines
        .iter()
        .map(|l| (l.timestamp.clone(), l.source_path.clone(), l.record_id))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    // Several threads or one: the same bytes.
    let (_, one) = scan_all(&[&testdata()], &["-j", "1"]);
    let (_, two) = scan_all(&[&testdata()], &["-j", "2"]);
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn real_sample_gives_its_one_finding() {
    let Some(samples) = support::samples() else {
        return;
    };
    let file = samples
        .join("sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/wmi_remote_registry_sysmon.evtx");
    let (lines, out) = scan_ndjson(&[&file], &[]);
    out.assert_code(0);
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(l.record_id, 549609);
    assert_eq!(l.host, "MSEDGEWIN10");
    assert_eq!(
        l.target_object,
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\wmipers"
    );
    assert_eq!(l.data.as_deref(), Some("rundll32.exe a.dll, DllMain"));
    assert_eq!(
        (l.detection_id.as_str(), l.severity.as_str()),
        ("run_keys", "high")
    );
}

// ---- Triage ----

#[test]
fn payload_runs_are_found_in_sysmon_and_security_logs() {
    let dir = testdata().join("execution");
    let (lines, out) = scan_ndjson(&[&dir], &[]);
    out.assert_code(0);
    let ran: BTreeMap<String, Option<(u16, String, u64, String)>> = lines
        .iter()
        .map(|l| {
            let run = l.execution.as_ref().map(|e| {
                let file = Path::new(&e.source_path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (e.event_id, e.image.clone(), e.record_id, file)
            });
            (l.value_name.clone().unwrap(), run)
        })
        .collect();
    let sysmon = "WS06-Sysmon.evtx".to_string();
    let want = BTreeMap::from([
        (
            "Update".to_string(),
            Some((
                1,
                "C:\\Users\\Public\\update.exe".to_string(),
                8,
                sysmon.clone(),
            )),
        ),
        (
            "Loader".to_string(),
            Some((
                1,
                "C:\\Windows\\System32\\rundll32.exe".to_string(),
                9,
                sysmon,
            )),
        ),
        ("Never".to_string(), None),
        ("Late".to_string(), None),
        (
            "Sec".to_string(),
            Some((
                4688,
                "C:\\ProgramData\\sec.exe".to_string(),
                11,
                "WS06-Security.evtx".to_string(),
            )),
        ),
    ]);
    assert_eq!(ran, want);
    let loader = lines
        .iter()
        .find(|l| l.value_name.as_deref() == Some("Loader"))
        .unwrap();
    assert_eq!(
        loader.payload,
        Some(support::PayloadLine {
            program: "rundll32.exe".into(),
            argument: Some("a.dll".into())
        })
    );
    out.assert_stderr_has("3 findings whose payload ran");
    let (lines, _) = scan_ndjson(&[&dir], &["--no-execution-check"]);
    assert!(lines.iter().all(|l| l.execution.is_none()));
    let text = wmihunt([
        "scan",
        "--no-progress",
        "--format",
        "table",
        dir.to_str().unwrap(),
    ])
    .stdout;
    assert!(
        text.contains("▶ ran 2024-03-01 10:00:07.125 (EID 1, #8)")
            && text.contains("not seen running"),
        "{text}"
    );
}

#[test]
fn sort_by_score_puts_the_worst_first() {
    let file = testdata().join("actions.evtx");
    let (lines, _) = scan_ndjson(&[&file], &["--sort", "score"]);
    let scores: Vec<u8> = lines.iter().map(|l| l.score).collect();
    let mut sorted = scores.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(scores, sorted);
    assert!(scores.first() > scores.last());
    for l in &lines {
        assert_eq!(
            l.score,
            (l.risk_score + 9 * l.indicators.len() as u8).min(100)
        );
    }
}

// ---- The time window ----

#[test]
fn time_window_is_inclusive_utc() {
    let file = testdata().join("detections.evtx");
    let (lines, out) = scan_ndjson(
        &[&file],
        &[
            "--from",
            "2024-03-01T10:00:10Z",
            "--to",
            "2024-03-01T11:00:19.125+01:00",
        ],
    );
    out.assert_code(0);
    let ids: Vec<u64> = lines.iter().map(|l| l.record_id).collect();
    assert_eq!(ids, (11..=20).collect::<Vec<_>>());
    let (lines, _) = scan_ndjson(&[&file], &["--from", "2024-03-02"]);
    assert!(lines.is_empty());
    wmihunt(["scan", "--from", "yesterday", file.to_str().unwrap()])
        .assert_code(3)
        .assert_stderr_has("RFC 3339");
}

#[test]
fn an_empty_time_window_is_a_usage_error() {
    let file = testdata().join("detections.evtx");
    let file = file.to_str().unwrap();
    wmihunt(["scan", "--from", "2024-05-03", "--to", "2024-05-01", file])
        .assert_code(3)
        .assert_stderr_has("--from (2024-05-03T00:00:00Z) is later than --to");
}

#[test]
fn a_time_copied_from_the_output_selects_its_event() {
    let file = testdata().join("detections.evtx");
    let (all, _) = scan_ndjson(&[&file], &[]);
    let eleventh = all.iter().find(|l| l.record_id == 11).unwrap();
    assert_eq!(eleventh.timestamp, "2024-03-01T10:00:10.125Z");
    // As NDJSON shows it, and as the table shows it (milliseconds, no offset, in --timezone).
    for (time, zone) in [
        ("2024-03-01T10:00:10.125Z", "UTC"),
        ("2024-03-01 10:00:10.125", "UTC"),
        ("2024-03-01 11:00:10.125", "Europe/Berlin"),
        ("2024-03-01 11:00:10", "Europe/Berlin"),
    ] {
        let (lines, out) = scan_ndjson(
            &[&file],
            &["--timezone", zone, "--from", time, "--to", time],
        );
        out.assert_code(0);
        let ids: Vec<u64> = lines.iter().map(|l| l.record_id).collect();
        assert_eq!(ids, [11], "--from/--to {time} in {zone}");
    }
}

// ---- Exit codes, usage errors and the catalog ----

#[test]
fn exit_codes() {
    let td = testdata();
    let td = td.to_str().unwrap();
    wmihunt(["scan", "--no-progress", "-q", td]).assert_code(0);
    let fail = ["scan", "--no-progress", "-q", "--fail-on-findings"];
    wmihunt([&fail[..], &[td]].concat()).assert_code(1);
    let clean = testdata().join("other_writers.evtx");
    wmihunt([&fail[..], &[clean.to_str().unwrap()]].concat()).assert_code(0);
    // Usage errors and nothing readable.
    wmihunt(["scan"]).assert_code(3);
    wmihunt(["frobnicate"]).assert_code(3);
    wmihunt(["scan", "--format", "xml", td]).assert_code(3);
    wmihunt(["scan", "/nonexistent/evidence"]).assert_code(3);
    let empty = tempfile::tempdir().unwrap();
    wmihunt(["scan", empty.path().to_str().unwrap()]).assert_code(3);
    wmihunt(["--version"]).assert_code(0);
    wmihunt(["scan", "--help"]).assert_code(0);
}

#[test]
fn bulk_index_needs_the_ecs_format() {
    wmihunt([
        "scan",
        "--bulk-index",
        "alerts",
        testdata().to_str().unwrap(),
    ])
    .assert_code(3)
    .assert_stderr_has("--bulk-index goes with --format ecs");
}

#[test]
fn rules_lists_the_catalog() {
    let ids: Vec<String> = support::rules()
        .iter()
        .map(|v| {
            match v["kind"].as_str() {
                Some("registry") => {
                    assert!(v["locations"].as_array().is_some_and(|a| !a.is_empty()))
                }
                Some("subscription") => {
                    assert!(v["sources"].as_array().is_some_and(|a| a.len() == 5))
                }
                other => panic!("a rule of unknown kind {other:?}"),
            }
            assert!(v["techniques"]
                .as_array()
                .is_some_and(|a| a.iter().any(|t| t == "T1047")));
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    // Every detection is exercised by a fixture, and every fixture's detection is listed.
    let mut listed = ids.clone();
    listed.sort();
    let mut exercised: Vec<String> = cases::all()
        .iter()
        .flat_map(|f| f.expected.iter().map(|(_, e)| e.detection.to_string()))
        .collect();
    exercised.sort();
    exercised.dedup();
    assert_eq!(listed, exercised);
    let text = wmihunt(["rules"]).stdout;
    assert!(
        text.contains("service_image") && text.contains("T1543.003") && text.contains("ImagePath")
    );
}
