//! Where and how results are written: the table (the default only on a terminal, never passing
//! terminal controls, times in `--timezone`), `-o` (never over evidence, nothing left behind by
//! a failed run, unwritable destinations), a closed pipe, `-v` and `-q`.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};
use support::cases;
use support::{copy_fixture, scan_ndjson, testdata, wmihunt, write_evtx, Line, Run};

// ---- The table ----

/// A hostile fixture: escape sequences and bidi overrides in every string the table shows.
fn hostile_file(dir: &Path) -> PathBuf {
    let event = cases::registry(
        13,
        "SetValue",
        cases::WMI,
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\\u{1b}]0;pwned\u{7}evil",
        Some("\u{1b}[2J\u{1b}[31mcmd.exe /c calc\u{202e}txt.exe\r\nfake line"),
        cases::Version::Current,
    );
    write_evtx(dir, "hostile.evtx", &[event])
}

#[test]
fn table_output_never_passes_terminal_controls() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_file(dir.path());
    let text = support::stdout_of(&[
        "scan",
        "--format",
        "table",
        "--no-progress",
        path.to_str().unwrap(),
    ]);
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
    let actions = testdata().join("actions.evtx");
    let first = wmihunt(["scan", "--no-progress", actions.to_str().unwrap()]).stdout;
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
        out.stdout,
        "No WmiPrvSE.exe writes to persistence locations and no WMI subscriptions found.\n"
    );
}

#[test]
fn time_zone_changes_the_table_not_ndjson() {
    let file = testdata().join("renamed.log");
    let file = if file.exists() {
        file
    } else {
        testdata().join("collected/HOST2/sysmon-export.dat")
    };
    let text = wmihunt([
        "scan",
        "--no-progress",
        "--format",
        "table",
        "--timezone",
        "Europe/Berlin",
        file.to_str().unwrap(),
    ])
    .stdout;
    assert!(
        text.contains("Time (Europe/Berlin)") && text.contains("2024-03-01 11:00:00.125"),
        "{text}"
    );
    let (lines, _) = scan_ndjson(&[&file], &["--timezone", "Europe/Berlin"]);
    assert_eq!(lines[0].timestamp, "2024-03-01T10:00:00.125Z");
    wmihunt(["scan", "--timezone", "Mars/Olympus", file.to_str().unwrap()]).assert_code(3);
}

// ---- Output files and streams ----

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
    out.assert_code(0);
    assert!(out.stdout.is_empty());
    let written = fs::read_to_string(&dest).unwrap();
    assert_eq!(written.lines().count(), 10);
    for line in written.lines() {
        serde_json::from_str::<Line>(line).unwrap();
    }
    let td = td.to_str().unwrap();
    wmihunt([
        "scan",
        "--no-progress",
        "-o",
        "/nonexistent/dir/out.ndjson",
        td,
    ])
    .assert_code(3)
    .assert_stderr_has("cannot create /nonexistent/dir/out.ndjson");
    #[cfg(target_os = "linux")]
    wmihunt(["scan", "--no-progress", "-o", "/dev/full", td])
        .assert_code(3)
        .assert_stderr_has("cannot write to /dev/full");
}

#[test]
fn output_never_replaces_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    fs::create_dir(&case).unwrap();
    let log = case.join("Sysmon.evtx");
    copy_fixture("actions.evtx", &log);
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
        run(&flags, &[&case])
            .assert_code(3)
            .assert_stderr_has("refusing");
        assert_eq!(fs::read(&log).unwrap(), original, "the log was changed");
    }
    // A zip collection is never replaced either.
    let zip = dir.path().join("collection.zip");
    fs::write(&zip, b"PK\x03\x04 rest of an archive").unwrap();
    run(&["--clobber", "-o", zip.to_str().unwrap()], &[&case]).assert_code(3);
    assert_eq!(fs::read(&zip).unwrap(), b"PK\x03\x04 rest of an archive");
    // An input is never an output, whatever it holds.
    let notes = dir.path().join("notes.txt");
    fs::write(&notes, b"analyst notes").unwrap();
    run(
        &["--clobber", "-o", notes.to_str().unwrap()],
        &[&notes, &case],
    )
    .assert_code(3)
    .assert_stderr_has("one of the inputs");
    assert_eq!(fs::read(&notes).unwrap(), b"analyst notes");
    // An existing results file needs --clobber.
    let old = dir.path().join("findings.ndjson");
    fs::write(&old, b"old results\n").unwrap();
    run(&["-o", old.to_str().unwrap()], &[&case])
        .assert_code(3)
        .assert_stderr_has("--clobber");
    assert_eq!(fs::read(&old).unwrap(), b"old results\n");
    run(&["--clobber", "-o", old.to_str().unwrap()], &[&case]).assert_code(0);
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
    let (dest, empty) = (dest.to_str().unwrap(), empty.to_str().unwrap());
    wmihunt(["scan", "--no-progress", "-o", dest, empty]).assert_code(3);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the input folder"
    );
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
    Run::new("scan … (stdout closed at once)".into(), out)
        .assert_stderr_lacks("panicked")
        .assert_code(0);
}

#[test]
fn verbose_lists_skipped_files_and_quiet_prints_no_summary() {
    wmihunt(["scan", "--no-progress", "-v", testdata().to_str().unwrap()])
        .assert_stderr_has("README.txt: not an EVTX file (no ElfFile signature)");
    let out = wmihunt(["scan", "--no-progress", "-q", testdata().to_str().unwrap()]);
    assert_eq!(out.stderr, "");
}
