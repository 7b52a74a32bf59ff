//! End-to-end tests: the binary as a user runs it, on the generated fixtures in `testdata/`
//! (and on the shared real samples when they are present).

use crate::support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use support::cases::{self, Expect};
use support::{code, scan_all, scan_ndjson, stderr, testdata, wmihunt, AnyLine, Line};
use wmihunt_testkit::layout;

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
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(keyed(&lines), expected());
    assert!(
        stderr(&out).contains("files:    15 scanned, 0 with read errors, 0 unreadable logs (empty, truncated or not EVTX), 0 unreadable paths, 1 skipped (not event logs)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_prefilter_changes_nothing_on_fixtures() {
    for context in [&[][..], &["--context"][..]] {
        let (with, _) = scan_all(&[&testdata()], context);
        let without_flags = [context, &["--no-prefilter"]].concat();
        let (without, out) = scan_all(&[&testdata()], &without_flags);
        assert_eq!(code(&out), 0);
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
    let one = wmihunt(
        ["scan", "--format", "ndjson", "-j", "1", "--no-progress"]
            .iter()
            .map(|s| s.to_string())
            .chain([testdata().display().to_string()]),
    );
    let two = wmihunt(
        ["scan", "--format", "ndjson", "-j", "2", "--no-progress"]
            .iter()
            .map(|s| s.to_string())
            .chain([testdata().display().to_string()]),
    );
    assert_eq!(one.stdout, two.stdout);
}

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
    assert_eq!(code(&out), 0);
    let ids: Vec<u64> = lines.iter().map(|l| l.record_id).collect();
    assert_eq!(ids, (11..=20).collect::<Vec<_>>());
    let (lines, _) = scan_ndjson(&[&file], &["--from", "2024-03-02"]);
    assert!(lines.is_empty());
    let bad = wmihunt(["scan", "--from", "yesterday", file.to_str().unwrap()]);
    assert_eq!(code(&bad), 3);
    assert!(stderr(&bad).contains("RFC 3339"));
}

#[test]
fn exit_codes() {
    let td = testdata();
    let run = |args: &[&str]| code(&wmihunt(args));
    assert_eq!(
        run(&["scan", "--no-progress", "-q", td.to_str().unwrap()]),
        0
    );
    assert_eq!(
        run(&[
            "scan",
            "--no-progress",
            "-q",
            "--fail-on-findings",
            td.to_str().unwrap()
        ]),
        1
    );
    let clean = td.join("other_writers.evtx");
    assert_eq!(
        run(&[
            "scan",
            "--no-progress",
            "-q",
            "--fail-on-findings",
            clean.to_str().unwrap()
        ]),
        0
    );
    // Usage errors and nothing readable.
    assert_eq!(run(&["scan"]), 3);
    assert_eq!(run(&["frobnicate"]), 3);
    assert_eq!(run(&["scan", "--format", "xml", td.to_str().unwrap()]), 3);
    assert_eq!(run(&["scan", "/nonexistent/evidence"]), 3);
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(run(&["scan", empty.path().to_str().unwrap()]), 3);
    assert_eq!(run(&["--version"]), 0);
    assert_eq!(run(&["scan", "--help"]), 0);
}

#[test]
fn a_truncated_file_is_reported_and_the_rest_scanned() {
    let dir = tempfile::tempdir().unwrap();
    support::cut_log(dir.path(), "cut.evtx");
    fs::copy(testdata().join("actions.evtx"), dir.path().join("ok.evtx")).unwrap();
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cut.evtx: chunk 4: truncated chunk: 1000 of 65536 bytes"),
        "{}",
        stderr(&out)
    );
    let from_cut = lines
        .iter()
        .filter(|l| l.source_path.ends_with("cut.evtx"))
        .count();
    let from_ok = lines
        .iter()
        .filter(|l| l.source_path.ends_with("ok.evtx"))
        .count();
    assert_eq!((from_cut, from_ok), (1, 10));
    let (_, out) = scan_ndjson(&[dir.path()], &["--fail-on-findings"]);
    assert_eq!(code(&out), 1);
}

#[test]
fn a_broken_chunk_between_findings_hides_neither() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(testdata().join("multi_chunk.evtx")).unwrap();
    let (lines, _) = scan_ndjson(&[&testdata().join("multi_chunk.evtx")], &[]);
    let chunks: Vec<u64> = lines.iter().map(|l| l.chunk).collect();
    assert_eq!(chunks.len(), 3);
    // Wreck the chunk right after the first finding's chunk.
    let broken = chunks[0] + 1;
    assert!(broken < chunks[1]);
    let at = 4096 + broken as usize * 65536;
    bytes[at..at + 8].copy_from_slice(b"garbage!");
    fs::write(dir.path().join("broken.evtx"), &bytes).unwrap();
    for flags in [&[][..], &["--no-prefilter"][..]] {
        let (after, out) = scan_ndjson(&[dir.path()], flags);
        assert_eq!(code(&out), 2);
        assert_eq!(after.iter().map(|l| l.chunk).collect::<Vec<_>>(), chunks);
        assert!(
            stderr(&out).contains(&format!(
                "broken.evtx: chunk {broken}: not a chunk (bad magic"
            )),
            "{}",
            stderr(&out)
        );
    }
}

/// A hostile fixture: escape sequences and bidi overrides in every string the table shows.
fn hostile_file(dir: &Path) -> std::path::PathBuf {
    let event = cases::registry(
        13,
        "SetValue",
        cases::WMI,
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\\u{1b}]0;pwned\u{7}evil",
        Some("\u{1b}[2J\u{1b}[31mcmd.exe /c calc\u{202e}txt.exe\r\nfake line"),
        cases::Version::Current,
    );
    let bytes = wmihunt_testkit::writer::try_write_to_vec(&[event]).unwrap();
    let path = dir.join("hostile.evtx");
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn table_output_never_passes_terminal_controls() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_file(dir.path());
    let out = wmihunt([
        "scan",
        "--format",
        "table",
        "--no-progress",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}')
            && !text.contains('\u{202e}')
            && !text.contains('\r')
            && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("\\x1b[31mcmd.exe"), "{text}");
    assert!(text.contains("\\u{202e}"), "{text}");
    assert!(
        text.contains("Time (UTC)") && text.contains("run_keys"),
        "{text}"
    );
    // NDJSON keeps the data exactly, as valid JSON.
    let (lines, _) = scan_ndjson(&[&path], &[]);
    assert_eq!(
        lines[0].data.as_deref(),
        Some("\u{1b}[2J\u{1b}[31mcmd.exe /c calc\u{202e}txt.exe\r\nfake line")
    );
}

#[test]
fn table_is_the_default_only_on_a_terminal() {
    // Tests run with stdout piped: NDJSON unless asked.
    let out = wmihunt([
        "scan",
        "--no-progress",
        testdata().join("actions.evtx").to_str().unwrap(),
    ]);
    let first = String::from_utf8(out.stdout).unwrap();
    assert!(
        first.starts_with("{\"schema\":2,\"kind\":\"registry\","),
        "{first}"
    );
    let out = wmihunt([
        "scan",
        "--no-progress",
        "--format",
        "table",
        testdata().join("other_writers.evtx").to_str().unwrap(),
    ]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "No WmiPrvSE.exe writes to persistence locations and no WMI subscriptions found.\n"
    );
}

#[test]
fn output_file_and_unwritable_destinations() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("findings.ndjson");
    let td = testdata().join("actions.evtx");
    let out = wmihunt([
        "scan",
        "--no-progress",
        "-o",
        dest.to_str().unwrap(),
        td.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty());
    let written = fs::read_to_string(&dest).unwrap();
    assert_eq!(written.lines().count(), 10);
    for line in written.lines() {
        serde_json::from_str::<Line>(line).unwrap();
    }
    let out = wmihunt([
        "scan",
        "--no-progress",
        "-o",
        "/nonexistent/dir/out.ndjson",
        td.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("cannot create /nonexistent/dir/out.ndjson"),
        "{}",
        stderr(&out)
    );
    #[cfg(target_os = "linux")]
    {
        let out = wmihunt([
            "scan",
            "--no-progress",
            "-o",
            "/dev/full",
            td.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 3);
        assert!(
            stderr(&out).contains("cannot write to /dev/full"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_wmihunt"))
        .args(["scan", "--no-progress", "-q", "--format", "ndjson"])
        .arg(testdata())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code(&out), 0, "{err}");
}

#[test]
fn verbose_lists_skipped_files_and_quiet_prints_no_summary() {
    let out = wmihunt(["scan", "--no-progress", "-v", testdata().to_str().unwrap()]);
    assert!(
        stderr(&out).contains("README.txt: not an EVTX file (no ElfFile signature)"),
        "{}",
        stderr(&out)
    );
    let out = wmihunt(["scan", "--no-progress", "-q", testdata().to_str().unwrap()]);
    assert_eq!(stderr(&out), "");
}

#[test]
fn rules_lists_the_catalog() {
    let out = wmihunt(["rules", "--format", "ndjson"]);
    assert_eq!(code(&out), 0);
    let ids: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
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
    let out = wmihunt(["rules"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("service_image") && text.contains("T1543.003") && text.contains("ImagePath")
    );
}

// ---- The shared real samples (skipped when ../shared/evtx is absent) ----

#[test]
fn real_sample_gives_its_one_finding() {
    let Some(samples) = support::samples() else {
        return;
    };
    let file = samples
        .join("sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/wmi_remote_registry_sysmon.evtx");
    let (lines, out) = scan_ndjson(&[&file], &[]);
    assert_eq!(code(&out), 0);
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

/// The findings the whole folder gives are listed and justified in `tests/e2e/wmi_whole.rs`; this
/// checks the damage reported, and that the pre-filter changes nothing.
#[test]
fn the_whole_sample_folder_reports_damage_and_the_prefilter_changes_nothing() {
    let Some(samples) = support::samples() else {
        return;
    };
    let damaged = [
        "2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        "2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
        "sample-with-zero-data-size-event.evtx",
        "sample_with_a_bad_chunk_magic.evtx",
        "omerbenamram__evtx/samples/sysmon.evtx",
    ];
    let mut outputs = Vec::new();
    for flags in [&[][..], &["--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&samples], flags);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{err}");
        assert!(lines.iter().any(|l| l.record_id == 549609), "{lines:?}");
        assert!(err.contains("files:    604 scanned"), "{err}");
        for name in damaged {
            assert!(
                err.lines()
                    .any(|l| l.starts_with("wmihunt: read error:") && l.contains(name)),
                "{flags:?}: no read error for {name}:\n{err}"
            );
        }
        outputs.push(lines);
    }
    assert_eq!(outputs[0], outputs[1]);
}

// ---- Damaged and hostile evidence ----

/// A one-chunk log whose third record (the only finding) is left in slack: the header says the
/// chunk ends after record 2.
fn slack_file(dir: &Path) -> std::path::PathBuf {
    slack_file_with(dir, "evil.exe")
}

/// `slack_file`, the carved record's data being `data`.
fn slack_file_with(dir: &Path, data: &str) -> std::path::PathBuf {
    let by = |image: &str| {
        cases::registry(
            13,
            "SetValue",
            image,
            "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Slack",
            Some(data),
            cases::Version::Current,
        )
    };
    let events = [
        by("C:\\Windows\\regedit.exe"),
        by("C:\\Windows\\regedit.exe"),
        by(cases::WMI),
    ];
    let mut bytes = wmihunt_testkit::writer::try_write_to_vec(&events).unwrap();
    let chunk = &mut bytes[layout::FILE_HEADER_BLOCK..][..layout::CHUNK_SIZE];
    let [_, second, third] = layout::record_offsets(chunk).unwrap()[..] else {
        panic!("three records")
    };
    let mut header = layout::ChunkHeader::read(chunk).unwrap();
    header.last_record_number = 2;
    header.last_record_id = 2;
    header.last_record_offset = second as u32;
    header.free_space_offset = third as u32;
    header.write(chunk);
    let path = dir.join("slack.evtx");
    fs::write(&path, &bytes).unwrap();
    path
}

#[test]
fn recover_carves_slack_and_marks_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = slack_file(dir.path());
    for flags in [&[][..], &["--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&path], flags);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(lines.is_empty(), "slack is not read without --recover");
    }
    for flags in [&["--recover"][..], &["--recover", "--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&path], flags);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(lines.len(), 1, "{flags:?}");
        assert!(lines[0].recovered);
        assert_eq!(lines[0].record_id, 3);
    }
}

#[test]
fn recover_carves_a_chunk_whose_header_was_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(testdata().join("actions.evtx")).unwrap();
    bytes[4096..4096 + 512].fill(0xee);
    let path = dir.path().join("wiped.evtx");
    fs::write(&path, &bytes).unwrap();
    let (lines, out) = scan_ndjson(&[&path], &[]);
    assert_eq!((code(&out), lines.len()), (2, 0));
    assert!(
        stderr(&out).contains("wiped.evtx: chunk 0: not a chunk (bad magic ee ee"),
        "{}",
        stderr(&out)
    );
    let (lines, out) = scan_ndjson(&[&path], &["--recover"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("carving records from it (--recover)"));
    assert_eq!(lines.len(), 10, "every finding of actions.evtx, carved");
    assert!(lines.iter().all(|l| l.recovered));
}

#[cfg(unix)]
#[test]
fn odd_paths_and_files_are_reported_not_fatal() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"host\xff\xfe.evtx"));
    fs::copy(testdata().join("actions.evtx"), &odd).unwrap();
    fs::write(dir.path().join("empty.evtx"), b"").unwrap();
    fs::write(
        dir.path().join("header-only.evtx"),
        &fs::read(testdata().join("actions.evtx")).unwrap()[..100],
    )
    .unwrap();
    fs::write(
        dir.path().join("not-evtx.evtx"),
        b"MZ\x90\x00 this is a PE file",
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let (lines, out) = scan_ndjson(&[dir.path()], &["-v"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert_eq!(lines.len(), 10);
    assert!(
        lines[0].source_path.ends_with("host\u{fffd}\u{fffd}.evtx"),
        "{}",
        lines[0].source_path
    );
    assert!(
        err.contains("header-only.evtx: truncated inside the EVTX file header (100 of 4096 bytes)"),
        "{err}"
    );
    assert!(
        err.contains("wmihunt: note: ") && err.contains("loop: symlink loop"),
        "{err}"
    );
    assert!(err.contains("empty.evtx: empty file (0 bytes)"), "{err}");
    assert!(
        err.contains("not-evtx.evtx: not an EVTX file (no ElfFile signature)"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn the_evidence_is_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        testdata().join("multi_chunk.evtx"),
        dir.path().join("a.evtx"),
    )
    .unwrap();
    slack_file(dir.path());
    let snapshot = |d: &Path| {
        let mut entries: Vec<(String, Vec<u8>, std::time::SystemTime)> = fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let meta = e.metadata().unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                    meta.modified().unwrap(),
                )
            })
            .collect();
        entries.sort();
        entries
    };
    let before = snapshot(dir.path());
    for flags in [&[][..], &["--recover"][..], &["--no-prefilter"][..]] {
        let (_, out) = scan_ndjson(&[dir.path()], flags);
        assert_eq!(code(&out), 0);
    }
    assert!(
        before == snapshot(dir.path()),
        "files added, changed or touched in the evidence folder"
    );
}

// ---- Triage ----

#[test]
fn payload_runs_are_found_in_sysmon_and_security_logs() {
    let dir = testdata().join("execution");
    let (lines, out) = scan_ndjson(&[&dir], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
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
    assert!(
        stderr(&out).contains("3 findings whose payload ran"),
        "{}",
        stderr(&out)
    );
    let (lines, _) = scan_ndjson(&[&dir], &["--no-execution-check"]);
    assert!(lines.iter().all(|l| l.execution.is_none()));
    let table = wmihunt([
        "scan",
        "--no-progress",
        "--format",
        "table",
        dir.to_str().unwrap(),
    ]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("▶ ran 2024-03-01 10:00:07.125 (EID 1, #8)")
            && text.contains("not seen running"),
        "{text}"
    );
}

#[test]
fn copies_of_a_log_are_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    for copy in [
        "HOST/C/Windows/System32/winevt/Logs",
        "vss1/Logs",
        "collection-2",
    ] {
        let folder = dir.path().join(copy);
        fs::create_dir_all(&folder).unwrap();
        fs::copy(
            testdata().join("actions.evtx"),
            folder.join("Microsoft-Windows-Sysmon%4Operational.evtx"),
        )
        .unwrap();
    }
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    assert_eq!(code(&out), 0);
    assert_eq!(lines.len(), 10);
    for l in &lines {
        assert!(
            l.source_path.contains("HOST/C/Windows"),
            "first copy by path: {}",
            l.source_path
        );
        assert_eq!(l.duplicate_sources.len(), 2, "{l:?}");
    }
    let (lines, _) = scan_ndjson(&[dir.path()], &["--no-dedup"]);
    assert_eq!(lines.len(), 30);
    assert!(lines.iter().all(|l| l.duplicate_sources.is_empty()));
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

#[test]
fn time_zone_changes_the_table_not_ndjson() {
    let file = testdata().join("renamed.log");
    let file = if file.exists() {
        file
    } else {
        testdata().join("collected/HOST2/sysmon-export.dat")
    };
    let out = wmihunt([
        "scan",
        "--no-progress",
        "--format",
        "table",
        "--timezone",
        "Europe/Berlin",
        file.to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Time (Europe/Berlin)") && text.contains("2024-03-01 11:00:00.125"),
        "{text}"
    );
    let (lines, _) = scan_ndjson(&[&file], &["--timezone", "Europe/Berlin"]);
    assert_eq!(lines[0].timestamp, "2024-03-01T10:00:00.125Z");
    let out = wmihunt(["scan", "--timezone", "Mars/Olympus", file.to_str().unwrap()]);
    assert_eq!(code(&out), 3);
}

#[test]
fn host_summary_and_coverage_warning() {
    let out = wmihunt([
        "scan",
        "--no-progress",
        "--summary",
        testdata().to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(err.contains("── per host ──"), "{err}");
    let row = |host: &str| {
        err.lines()
            .find(|l| l.contains(host))
            .unwrap_or_else(|| panic!("{host} is listed: {err}"))
            .to_string()
    };
    // A host with no findings whose Sysmon log holds registry events is covered.
    let ws05 = row("WS05.corp.example");
    assert!(ws05.contains("┆ 0 ") && ws05.contains("covered"), "{ws05}");
    // A host seen only through Security 4657 is covered by it (it has findings too).
    let dc02 = row("DC02.corp.example");
    assert!(
        dc02.contains("┆ 6 ") && dc02.contains("covered") && !dc02.contains("NOT"),
        "{dc02}"
    );
    assert!(!err.contains("warning:"), "{err}");
    // A Security log without registry auditing is no clean bill of health.
    let security = testdata().join("execution/WS06-Security.evtx");
    let out = wmihunt([
        "scan",
        "--no-progress",
        "--summary",
        security.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0);
    assert!(
        err.contains("wmihunt: warning: no registry event the detections can judge (Sysmon EID 12/13/14 or Security 4657) in the 1 scanned file, so"),
        "{err}"
    );
    assert!(
        err.contains("NOT covered: no Sysmon registry events and no Security 4657"),
        "{err}"
    );
}

#[test]
fn security_4657_is_a_second_source() {
    let (lines, out) = scan_ndjson(&[&testdata().join("security_4657")], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
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

// ---- Collections as they arrive ----

/// A zip collection: two hosts' Sysmon logs (one deflated, one stored), a note and a folder.
fn collection_zip(dir: &Path) -> std::path::PathBuf {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let path = dir.join("collection.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.add_directory("HOST1/C/Windows/System32/winevt/Logs/", stored)
        .unwrap();
    zip.start_file(
        "HOST1/C/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx",
        deflated,
    )
    .unwrap();
    zip.write_all(&fs::read(testdata().join("actions.evtx")).unwrap())
        .unwrap();
    zip.start_file("HOST1/notes.txt", deflated).unwrap();
    zip.write_all(b"collected by the IR team").unwrap();
    zip.start_file("HOST2/Sysmon.evtx", stored).unwrap();
    zip.write_all(&fs::read(testdata().join("multi_chunk.evtx")).unwrap())
        .unwrap();
    zip.finish().unwrap();
    path
}

#[test]
fn zip_collections_are_scanned_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let zip = collection_zip(dir.path());
    for flags in [&["-v"][..], &["-v", "--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&zip], flags);
        let err = stderr(&out);
        assert_eq!(code(&out), 0, "{err}");
        assert_eq!(lines.len(), 13, "{flags:?}");
        let member = format!(
            "{}!/HOST1/C/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx",
            zip.display()
        );
        assert_eq!(lines.iter().filter(|l| l.source_path == member).count(), 10);
        let (direct, _) = scan_ndjson(&[&testdata().join("multi_chunk.evtx")], &[]);
        let in_zip: Vec<(u64, u64)> = lines
            .iter()
            .filter(|l| l.source_path.ends_with("!/HOST2/Sysmon.evtx"))
            .map(|l| (l.record_id, l.chunk))
            .collect();
        assert_eq!(
            in_zip,
            direct
                .iter()
                .map(|l| (l.record_id, l.chunk))
                .collect::<Vec<_>>()
        );
        assert!(
            err.contains(
                "collection.zip!/HOST1/notes.txt: not an EVTX file (no ElfFile signature)"
            ),
            "{err}"
        );
        assert!(err.contains("files:    2 scanned"), "{err}");
    }
    // Nothing was extracted next to the evidence.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn corrupt_and_encrypted_archives_are_per_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let zip = collection_zip(dir.path());
    let mut bytes = fs::read(&zip).unwrap();
    fs::write(dir.path().join("truncated.zip"), &bytes[..bytes.len() / 2]).unwrap();
    // Set the "encrypted" flag of every member, in the local and the central headers.
    for signature in [&b"PK\x03\x04"[..], b"PK\x01\x02"] {
        let flag_at = if signature[2] == 3 { 6 } else { 8 };
        let starts: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == signature)
            .map(|(i, _)| i)
            .collect();
        for at in starts {
            bytes[at + flag_at] |= 1;
        }
    }
    fs::write(dir.path().join("encrypted.zip"), &bytes).unwrap();
    fs::remove_file(&zip).unwrap();
    fs::copy(
        testdata().join("actions.evtx"),
        dir.path().join("plain.evtx"),
    )
    .unwrap();
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert_eq!(lines.len(), 10, "the plain log is still scanned");
    assert!(
        err.contains("truncated.zip: cannot read the zip archive"),
        "{err}"
    );
    assert!(
        err.contains("encrypted.zip!/HOST2/Sysmon.evtx: encrypted member"),
        "{err}"
    );
}

// ---- Trust: evidence untouched, no false all-clear ----

#[test]
fn output_never_replaces_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    fs::create_dir(&case).unwrap();
    let log = case.join("Sysmon.evtx");
    fs::copy(testdata().join("actions.evtx"), &log).unwrap();
    let original = fs::read(&log).unwrap();
    let run = |extra: &[&str], inputs: &[&Path]| {
        let mut args: Vec<std::ffi::OsString> = vec!["scan".into(), "--no-progress".into()];
        args.extend(extra.iter().map(Into::into));
        args.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
        wmihunt(&args)
    };
    // The reported case: the output named after the log it scans.
    for clobber in [&[][..], &["--clobber"][..]] {
        let mut flags = vec!["-o", log.to_str().unwrap()];
        flags.extend(clobber);
        let out = run(&flags, &[&case]);
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        assert!(stderr(&out).contains("refusing"), "{}", stderr(&out));
        assert_eq!(fs::read(&log).unwrap(), original, "the log was changed");
    }
    // A zip collection is never replaced either.
    let zip = dir.path().join("collection.zip");
    fs::write(&zip, b"PK\x03\x04 rest of an archive").unwrap();
    let out = run(&["--clobber", "-o", zip.to_str().unwrap()], &[&case]);
    assert_eq!(code(&out), 3);
    assert_eq!(fs::read(&zip).unwrap(), b"PK\x03\x04 rest of an archive");
    // An input is never an output, whatever it holds.
    let notes = dir.path().join("notes.txt");
    fs::write(&notes, b"analyst notes").unwrap();
    let out = run(
        &["--clobber", "-o", notes.to_str().unwrap()],
        &[&notes, &case],
    );
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("one of the inputs"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(&notes).unwrap(), b"analyst notes");
    // An existing results file needs --clobber.
    let old = dir.path().join("findings.ndjson");
    fs::write(&old, b"old results\n").unwrap();
    let out = run(&["-o", old.to_str().unwrap()], &[&case]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("--clobber"), "{}", stderr(&out));
    assert_eq!(fs::read(&old).unwrap(), b"old results\n");
    let out = run(&["--clobber", "-o", old.to_str().unwrap()], &[&case]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let written = fs::read_to_string(&old).unwrap();
    assert_eq!(written.lines().count(), 10);
    // Nothing else appeared: no temporary file is left behind.
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["case", "collection.zip", "findings.ndjson", "notes.txt"]
    );
}

#[test]
fn a_failed_run_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-case");
    fs::create_dir(&empty).unwrap();
    let dest = dir.path().join("findings.ndjson");
    let out = wmihunt([
        "scan",
        "--no-progress",
        "-o",
        dest.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the input folder"
    );
}

#[test]
fn an_empty_time_window_is_a_usage_error() {
    let file = testdata().join("detections.evtx");
    let out = wmihunt([
        "scan",
        "--from",
        "2024-05-03",
        "--to",
        "2024-05-01",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(
        err.contains("--from (2024-05-03T00:00:00Z) is later than --to"),
        "{err}"
    );
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
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let ids: Vec<u64> = lines.iter().map(|l| l.record_id).collect();
        assert_eq!(ids, [11], "--from/--to {time} in {zone}");
    }
}

#[test]
fn empty_and_fake_logs_are_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("Sysmon.evtx");
    fs::copy(testdata().join("actions.evtx"), &good).unwrap();
    let empty = dir.path().join("Security.evtx");
    fs::write(&empty, b"").unwrap();
    let fake = dir.path().join("System.evtx");
    fs::write(&fake, b"this is a text file, not a log").unwrap();
    fs::write(dir.path().join("notes.txt"), b"analyst notes").unwrap();
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert_eq!(lines.len(), 10);
    assert!(
        err.contains("wmihunt: unreadable log: ")
            && err.contains("Security.evtx: empty file (0 bytes)"),
        "{err}"
    );
    assert!(
        err.contains("System.evtx: not an EVTX file (no ElfFile signature)"),
        "{err}"
    );
    assert!(!err.contains("notes.txt"), "plain files stay quiet: {err}");
    assert!(
        err.contains("2 unreadable logs (empty, truncated or not EVTX), 0 unreadable paths, 1 skipped (not event logs)"),
        "{err}"
    );
    // Given explicitly beside a good file, the same.
    let (_, out) = scan_ndjson(&[&good, &empty], &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_a_note_not_lost_evidence() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(testdata().join("actions.evtx"), dir.path().join("a.evtx")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines.len(), 10);
    assert!(stderr(&out).contains("wmihunt: note: "), "{}", stderr(&out));
}

#[test]
fn bulk_index_needs_the_ecs_format() {
    let out = wmihunt([
        "scan",
        "--bulk-index",
        "alerts",
        testdata().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("--bulk-index goes with --format ecs"),
        "{}",
        stderr(&out)
    );
}

/// The registry events the fixtures hold, by source: (Sysmon 12/13/14, Security 4657), and
/// the events that carry Sysmon's registry fields without being one (a lookalike provider,
/// another event id: decoys in other_writers.evtx), which coverage counts as the census
/// counts by template, not by provider.
fn registry_events_in_fixtures() -> (usize, usize, usize, usize) {
    let mut counts = (0, 0, 0);
    let mut hosts = std::collections::BTreeSet::new();
    for fixture in cases::all() {
        for (_, e) in &fixture.events {
            let has = |name: &str| e.data.iter().any(|(n, _)| n == name);
            match (e.provider.as_str(), e.event_id) {
                ("Microsoft-Windows-Sysmon", 12..=14) => counts.0 += 1,
                ("Microsoft-Windows-Security-Auditing", 4657) => counts.1 += 1,
                _ if has("TargetObject") && has("EventType") => counts.2 += 1,
                _ => continue,
            }
            hosts.insert(e.computer.clone());
        }
    }
    (counts.0, counts.1, counts.2, hosts.len())
}

#[test]
fn coverage_counts_every_registry_event_by_source_with_and_without_the_prefilter() {
    let (sysmon, security, decoys, hosts) = registry_events_in_fixtures();
    assert!(sysmon > 100 && security > 0, "{sysmon} {security}");
    assert_eq!(decoys, 2);
    let sysmon = sysmon + decoys;
    for flags in [&[][..], &["--no-prefilter"][..]] {
        let (lines, out) = scan_all(&[&testdata()], flags);
        let err = stderr(&out);
        let want = format!(
            "findings: {} (judged {sysmon} Sysmon registry events and {security} Security 4657 \
             events on {hosts} hosts: ",
            lines.len()
        );
        assert!(err.contains(&want), "{flags:?}: {want}\n{err}");
    }
}

#[test]
fn a_clean_result_states_what_it_rests_on() {
    let file = testdata().join("other_writers.evtx");
    let (lines, out) = scan_ndjson(&[&file], &[]);
    assert!(lines.is_empty());
    let err = stderr(&out);
    let line = err.lines().find(|l| l.starts_with("findings:")).unwrap();
    assert!(
        line.starts_with("findings: 0 (judged ")
            && line.contains("Sysmon registry events and 0 Security 4657 events on 1 host: WS"),
        "{line}"
    );
    assert!(!line.contains("judged 0 Sysmon"), "{line}");
}

#[test]
fn a_sysmon_log_without_registry_events_is_not_coverage() {
    // A Sysmon configuration that leaves out EID 12/13/14 (common): process events only,
    // some of them naming WmiPrvSE.exe.
    let dir = tempfile::tempdir().unwrap();
    let events: Vec<_> = (0..20)
        .map(|n| cases::process_create("C:\\Windows\\notepad.exe", cases::WMI, n))
        .collect();
    let bytes = wmihunt_testkit::writer::try_write_to_vec(&events).unwrap();
    let path = dir.path().join("Sysmon.evtx");
    fs::write(&path, bytes).unwrap();
    let out = wmihunt(["scan", "--no-progress", "--summary", path.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    let err = stderr(&out);
    assert!(
        err.contains("NOT covered: its Sysmon log holds no registry events (EID 12/13/14)"),
        "{err}"
    );
    assert!(
        err.contains("wmihunt: warning: no registry event the detections can judge (Sysmon EID 12/13/14 or Security 4657) in the 1 scanned file, so")
            && err.contains("Sysmon log whose configuration records registry events")
            && err.contains("'Audit Registry' subcategory plus a SACL"),
        "{err}"
    );
    assert!(
        err.contains("findings: 0 (judged 0 Sysmon registry events"),
        "{err}"
    );
}

#[test]
fn recover_reads_carved_records_with_control_characters() {
    // The evtx crate writes control characters in carved records' strings unescaped: such a
    // record is read, not dropped (it could be a stale WmiPrvSE write).
    let dir = tempfile::tempdir().unwrap();
    let path = slack_file_with(dir.path(), "evil.exe\r\n-hidden\u{1}");
    for flags in [&["--recover"][..], &["--recover", "--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&path], flags);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(!stderr(&out).contains("wmihunt: "), "{}", stderr(&out));
        assert_eq!(lines.len(), 1, "{flags:?}");
        assert!(lines[0].recovered);
        assert_eq!(lines[0].data.as_deref(), Some("evil.exe\r\n-hidden\u{1}"));
    }
}

#[test]
fn damage_reads_the_same_with_and_without_the_prefilter() {
    // A record header broken in a chunk that names no WmiPrvSE.exe, and one in a chunk that
    // does: one wording and one count whichever path reads them.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(testdata().join("multi_chunk.evtx")).unwrap();
    for chunk in [0usize, 1] {
        let base = 4096 + chunk * 65536;
        let first = u32::from_le_bytes(bytes[base + 516..base + 520].try_into().unwrap());
        let second = base + 512 + first as usize;
        bytes[second..second + 4].copy_from_slice(b"XXXX");
    }
    let path = dir.path().join("damaged.evtx");
    fs::write(&path, &bytes).unwrap();
    let problems_and_counts = |flags: &[&str]| {
        let (lines, out) = scan_ndjson(&[&path], flags);
        assert_eq!(code(&out), 2);
        let err = stderr(&out);
        let kept: Vec<String> = err
            .lines()
            .filter(|l| l.starts_with("wmihunt:") || l.starts_with("findings:"))
            .map(String::from)
            .collect();
        let records = err
            .lines()
            .find(|l| l.starts_with("data:"))
            .and_then(|l| l.split(", ").nth(1))
            .and_then(|l| l.split(' ').next())
            .unwrap()
            .to_string();
        (lines.len(), kept, records)
    };
    let with = problems_and_counts(&[]);
    let without = problems_and_counts(&["--no-prefilter"]);
    assert_eq!(with, without);
    assert_eq!(
        with.1
            .iter()
            .filter(|l| l.contains("is damaged (bad magic)"))
            .count(),
        2,
        "{:?}",
        with.1
    );
    assert!(
        with.1.iter().all(|l| !l.contains("deserialize")),
        "{:?}",
        with.1
    );
}

#[test]
fn the_sample_folder_reads_the_same_with_and_without_the_prefilter() {
    let Some(samples) = support::samples() else {
        return;
    };
    let run = |flags: &[&str]| {
        let (lines, out) = scan_ndjson(&[&samples], flags);
        let err = stderr(&out);
        let problems: Vec<String> = err
            .lines()
            .filter(|l| l.starts_with("wmihunt:"))
            .map(String::from)
            .collect();
        let records = err
            .lines()
            .find(|l| l.starts_with("data:"))
            .map(|l| l.split(" (").next().unwrap_or_default().to_string());
        (code(&out), lines, problems, records)
    };
    let with = run(&[]);
    let without = run(&["--no-prefilter"]);
    assert_eq!(with, without);
    assert_eq!(with.2.len(), 18, "{:#?}", with.2);
    assert!(
        with.3
            .as_deref()
            .is_some_and(|d| d.ends_with("44931 records")),
        "{:?}",
        with.3
    );
    // --recover: the carved records with control characters are read; what cannot be read in
    // slack is counted per file, listed with -v only, and does not turn clean files into
    // files with read errors.
    let (_, recovered) = scan_ndjson(&[&samples], &["--recover", "--no-prefilter"]);
    let err = stderr(&recovered);
    assert!(!err.contains("control character"), "{err}");
    assert!(!err.contains("wmihunt: slack:"), "{err}");
    assert!(
        err.contains("could not be read (stale data, no exit 2; -v lists them)"),
        "{err}"
    );
    assert!(err.contains("5 with read errors"), "{err}");
    let (_, verbose) = scan_ndjson(&[&samples], &["--recover", "--no-prefilter", "-v"]);
    assert!(stderr(&verbose).contains("wmihunt: slack:"));
}
