//! The responder's filters end to end: `--min-level`, `--host`/`--exclude-host`, the
//! allowlist (and what the summary says each left out), the format inferred from `-o`, and
//! the help's examples and exit codes.

use crate::support;

use std::collections::BTreeSet;
use std::fs;
use support::{scan_all, scan_ndjson, testdata, wmihunt, AnyLine};

#[test]
fn min_level_keeps_that_level_and_above_and_says_what_it_left_out() {
    let severity = |l: &AnyLine| l.key().3.to_string();
    let (all, _) = scan_all(&[&testdata()], &[]);
    let (high, out) = scan_all(&[&testdata()], &["--min-level", "high"]);
    out.assert_code(0);
    let want: Vec<_> = all
        .iter()
        .filter(|l| severity(l) == "high")
        .cloned()
        .collect();
    // As many as the fixture cases plant at that severity.
    let planted = support::cases::all()
        .iter()
        .flat_map(|f| f.expected.iter())
        .filter(|(_, e)| e.severity == "high")
        .count();
    assert_eq!(want.len(), planted);
    assert!(want.len() < all.len());
    assert_eq!(high, want);
    let left_out = all.len() - want.len();
    out.assert_stderr_has(&format!(
        "filtered: {left_out} left out: {left_out} below --min-level high, 0 on hosts out \
             of scope, 0 allowed by the allowlist"
    ));
    let (medium, _) = scan_all(&[&testdata()], &["--min-level", "medium"]);
    assert!(medium.iter().all(|l| severity(l) != "low"));
    assert!(medium.len() > high.len());
    let (info, out) = scan_all(&[&testdata()], &["--min-level", "info"]);
    assert_eq!(info, all);
    out.assert_stderr_lacks("filtered:");
}

fn hosts_of(lines: &[support::Line]) -> BTreeSet<String> {
    lines.iter().map(|l| l.host.clone()).collect()
}

#[test]
fn host_globs_include_and_exclude() {
    let (all, _) = scan_ndjson(&[&testdata()], &[]);
    let (ws, out) = scan_ndjson(&[&testdata()], &["--host", "ws*", "--exclude-host", "WS01"]);
    out.assert_code(0);
    let want: BTreeSet<String> = hosts_of(&all)
        .into_iter()
        .filter(|h| h.starts_with("WS") && !h.starts_with("WS01."))
        .collect();
    assert!(want.len() >= 3, "{want:?}");
    assert_eq!(hosts_of(&ws), want);
    let others = all.iter().filter(|l| !want.contains(&l.host)).count();
    out.assert_stderr_has(&format!("{others} on hosts out of scope"));
    // The per-host summary and the findings line leave those hosts out too.
    let (_, out) = scan_ndjson(&[&testdata()], &["--host", "DC02", "--summary"]);
    out.assert_stderr_has("DC02.corp.example")
        .assert_stderr_lacks("WS01");
    wmihunt(["scan", "--host", "[", testdata().to_str().unwrap()])
        .assert_code(3)
        .assert_stderr_has("not a valid glob");
}

/// The example allowlist in docs/ must load and mean what it says.
#[test]
fn the_allowlist_leaves_out_known_good_writes_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("known-good.yml");
    fs::write(
        &list,
        "allow:\n\
         \x20 - name: updater-agent\n\
         \x20   reason: the vendor's updater, checked on 2024-03-02\n\
         \x20   host: 'WS01'\n\
         \x20   key: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run'\n\
         \x20   value: 'updater'\n\
         \x20   data: 'C:\\ProgramData\\*.exe'\n",
    )
    .unwrap();
    let (all, _) = scan_ndjson(&[&testdata()], &[]);
    let allowed = |l: &support::Line| {
        l.host.starts_with("WS01.")
            && l.key == "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
            && l.value_name
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case("updater"))
    };
    let n = all.iter().filter(|l| allowed(l)).count();
    assert!(n >= 1);
    let list_arg = list.to_str().unwrap();
    let (kept, out) = scan_ndjson(&[&testdata()], &["--allowlist", list_arg]);
    out.assert_code(0);
    let want: Vec<_> = all.iter().filter(|l| !allowed(l)).cloned().collect();
    assert_eq!(kept, want);
    out.assert_stderr_has(&format!(
        "{n} allowed by the allowlist (updater-agent: {n})"
    ));
    // What is allowed is not a finding for --fail-on-findings either.
    let only = dir.path().join("one.evtx");
    support::copy_fixture("execution/WS06-Sysmon.evtx", &only);
    fs::write(&list, "allow:\n  - name: all-run-keys\n    key: '*\\Run'\n").unwrap();
    wmihunt([
        "scan",
        "-q",
        "--no-progress",
        "--fail-on-findings",
        "--allowlist",
        list_arg,
        only.to_str().unwrap(),
    ])
    .assert_code(0);
}

#[test]
fn a_subscription_is_allowed_by_its_filter_consumer_and_command() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("known-good.yml");
    fs::write(
        &list,
        "allow:\n\
         \x20 - name: log-echo\n\
         \x20   detection: wmi_subscription\n\
         \x20   key: 'Evil -> Evil'\n\
         \x20   data: 'cmd.exe /c echo *'\n\
         \x20 - name: too-narrow\n\
         \x20   detection: wmi_subscription\n\
         \x20   value: 'Updater'\n\
         \x20   data: 'cmd.exe*'\n",
    )
    .unwrap();
    let input = testdata().join("subscriptions");
    let (all, _) = scan_all(&[&input], &[]);
    let (kept, out) = scan_all(&[&input], &["--allowlist", list.to_str().unwrap()]);
    out.assert_code(0);
    let consumer = |l: &AnyLine| match l {
        AnyLine::Subscription(s) => s.consumer.as_ref().map(|c| c.name.clone()),
        AnyLine::Registry(_) => None,
    };
    let want: Vec<_> = all
        .iter()
        .filter(|l| consumer(l).as_deref() != Some("Evil"))
        .cloned()
        .collect();
    assert_eq!(want.len(), all.len() - 1);
    assert_eq!(kept, want);
    out.assert_stderr_has("1 allowed by the allowlist (log-echo: 1)");
}

#[test]
fn a_bad_allowlist_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("typo.yml");
    fs::write(&list, "allow:\n  - name: x\n    keys: 'HKLM\\*'\n").unwrap();
    for (file, says) in [
        (list.clone(), "unknown field `keys`"),
        (dir.path().join("none.yml"), "cannot read the allowlist"),
    ] {
        wmihunt([
            "scan",
            "--allowlist",
            file.to_str().unwrap(),
            testdata().to_str().unwrap(),
        ])
        .assert_code(3)
        .assert_stderr_has(says);
    }
}

#[test]
fn the_example_allowlist_in_the_docs_loads() {
    let example = support::root().join("docs/allowlist.example.yml");
    let (_, out) = scan_ndjson(&[&testdata()], &["--allowlist", example.to_str().unwrap()]);
    out.assert_code(0).assert_stderr_has("filtered:");
}

#[test]
fn the_output_file_s_extension_names_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = testdata().join("detections.evtx");
    let run = |name: &str| {
        let path = dir.path().join(name);
        let (out, input) = (path.to_str().unwrap(), input.to_str().unwrap());
        wmihunt(["scan", "-q", "--no-progress", "-o", out, input]).assert_code(0);
        fs::read_to_string(path).unwrap()
    };
    let ndjson = run("a.ndjson");
    assert!(
        ndjson.lines().all(|l| l.starts_with("{\"schema\":2")),
        "{ndjson}"
    );
    assert_eq!(run("b.JSONL"), ndjson);
    assert!(run("c.csv").starts_with("timestamp,host,severity"));
    assert!(run("d.html").starts_with("<!DOCTYPE html>"));
    assert_eq!(
        run("e.out"),
        ndjson,
        "an unknown extension keeps the default"
    );
    // --format wins over the extension.
    let path = dir.path().join("f.html");
    wmihunt([
        "scan",
        "-q",
        "--format",
        "csv",
        "-o",
        path.to_str().unwrap(),
        input.to_str().unwrap(),
    ])
    .assert_code(0);
    assert!(fs::read_to_string(path).unwrap().starts_with("timestamp,"));
}

#[test]
fn help_shows_examples_and_exit_codes() {
    for args in [vec!["--help"], vec!["scan", "--help"]] {
        let text = support::stdout_of(&args);
        assert!(
            text.contains("Examples:") && text.contains("-o report.html"),
            "{text}"
        );
        assert!(
            text.contains("Exit codes:") && text.contains("  2  some files"),
            "{text}"
        );
    }
}
