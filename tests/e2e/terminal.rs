//! The terminal view as a person sees it (issue 14, part 3): `wmihunt scan --format table`
//! at 80, 120 and 200 columns (`--width`), on findings from the project's writer whose data
//! is hostile and whose evidence file has a long path: every line fits, no word is broken,
//! paths are cut in the middle, log text is escaped, problems come before the findings, and
//! the `--summary` tables keep to the width too.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};
use support::cases::{self, Version, WMI};
use support::{cut_log, wmihunt, write_evtx, Run};

const KEY: &str = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater";

/// Columns `text` takes (the box-drawing characters and `…` count one each).
fn width(text: &str) -> usize {
    text.chars().count()
}

/// A log with two findings, under a long path (a collection's layout): a Run value with
/// hostile data whose Sysmon `User` names the caller, and a service's image path.
fn evidence(dir: &Path) -> PathBuf {
    let named = |mut e: wmihunt_testkit::writer::Event, time: u64| {
        // 2024-03-01 10:00:00 UTC and on.
        e.time = 133_537_608_000_000_000 + time * 10_000_000;
        e.with("User", "CORP\\admin")
    };
    let events = [
        named(
            cases::registry(
                13,
                "SetValue",
                WMI,
                KEY,
                Some("C:\\ProgramData\\evil.exe \u{1b}[2J -k \u{202e}gpj.exe"),
                Version::NoUser,
            ),
            1,
        ),
        named(
            cases::registry(
                13,
                "SetValue",
                WMI,
                "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Svc\\ImagePath",
                Some("C:\\Windows\\Temp\\svc.exe"),
                Version::NoUser,
            ),
            2,
        ),
    ];
    let logs = dir.join("acme-2024/collection/WS01.corp.example/C/Windows/System32/winevt/Logs");
    fs::create_dir_all(&logs).unwrap();
    write_evtx(&logs, "Microsoft-Windows-Sysmon%4Operational.evtx", &events)
}

/// `wmihunt scan --format table --width N` on `paths`, with `extra` flags: stdout, stderr.
fn table(columns: usize, paths: &[&Path], extra: &[&str]) -> (String, String) {
    let mut args: Vec<String> = ["scan", "--format", "table", "--no-progress", "--width"]
        .map(String::from)
        .to_vec();
    args.push(columns.to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
    let out = wmihunt(&args);
    assert!(matches!(out.code, 0 | 2), "{out:?}");
    (out.stdout, out.stderr)
}

/// What every width must give: lines that fit, whole words, escaped log text, the caller.
fn check(text: &str, columns: usize, source: &Path) {
    for line in text.lines() {
        assert!(
            width(line) <= columns,
            "{} > {columns}: {line}",
            width(line)
        );
    }
    for word in KEY
        .split('\\')
        .chain(["SetValue", "run_keys", "service_image"])
    {
        assert!(text.contains(word), "{word} broken at {columns}:\n{text}");
    }
    assert!(
        text.contains("\\x1b[2J") && text.contains("\\u{202e}gpj.exe"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
    assert!(text.contains("CORP\\admin"), "{text}");
    // The evidence file keeps its start (the collection) and its end (the log).
    let shown = source.to_string_lossy();
    assert!(text.contains(&shown[..10]), "{text}");
    assert!(text.contains("tional.evtx"), "{text}");
}

#[test]
fn at_80_columns_each_finding_is_a_block() {
    let dir = tempfile::tempdir().unwrap();
    let source = evidence(dir.path());
    let (text, _) = table(80, &[&source], &[]);
    check(&text, 80, &source);
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "HIGH 82 run_keys SetValue 2024-03-01 10:00:01.000 · WS01.corp.example"
    );
    assert!(text.contains("\n  key      HKLM\\SOFTWARE\\Microsoft\\Windows\\"));
    assert!(
        text.contains("\n  caller   CORP\\admin · strong\n"),
        "{text}"
    );
    // One block per finding, a blank line between them.
    assert_eq!(text.matches("\n\nHIGH ").count(), 1, "{text}");
    // The whole path, wrapped at its separators under its label.
    let joined = text.replace("\n           ", "");
    let whole = format!("  source   {} #1", source.display());
    assert!(joined.contains(&whole), "{joined}");
}

#[test]
fn at_120_and_200_columns_findings_are_table_rows() {
    let dir = tempfile::tempdir().unwrap();
    let source = evidence(dir.path());
    for columns in [120, 200] {
        let (text, _) = table(columns, &[&source], &[]);
        check(&text, columns, &source);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with('┌'), "{text}");
        assert!(lines.iter().all(|l| width(l) == width(lines[0])), "{text}");
        assert!(lines[1].contains("Finding"), "{text}");
    }
    let (wide, _) = table(200, &[&source], &[]);
    // At 200 the key and the data are one line each.
    assert!(wide.contains(KEY), "{wide}");
    assert!(
        wide.contains("data: C:\\ProgramData\\evil.exe \\x1b[2J -k"),
        "{wide}"
    );
    // At 120 the path is cut in the middle.
    let (narrow, _) = table(120, &[&source], &[]);
    assert!(narrow.contains("…tional.evtx"), "{narrow}");
}

#[test]
fn problems_come_before_the_findings_and_the_summary_keeps_to_the_width() {
    let dir = tempfile::tempdir().unwrap();
    let source = evidence(dir.path());
    let cut = cut_log(dir.path(), "cut.evtx");
    for columns in [80, 120, 200] {
        let out = {
            let mut args: Vec<String> = vec![
                "scan".into(),
                "--format".into(),
                "table".into(),
                "--no-progress".into(),
                "--summary".into(),
                "--width".into(),
                columns.to_string(),
            ];
            args.push(source.to_string_lossy().into_owned());
            args.push(cut.to_string_lossy().into_owned());
            wmihunt(&args)
        };
        out.assert_code(2);
        let err = &out.stderr;
        // Problems first: the first line of stderr is the cut log's.
        let first = err.lines().next().unwrap();
        assert!(
            first.starts_with("wmihunt: ") && first.contains("cut.evtx"),
            "{err}"
        );
        // Every table line of the summary fits (prose lines are the terminal's to wrap).
        let tables = err
            .lines()
            .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']));
        for line in tables {
            assert!(width(line) <= columns, "{columns}: {line}");
        }
        let hosts = err.split("── per host ──").nth(1).unwrap();
        if columns < 120 {
            assert!(
                hosts.contains("\nWS01.corp.example: 2 findings · covered\n"),
                "{err}"
            );
        } else {
            assert!(hosts.contains("│ WS01.corp.example"), "{err}");
        }
    }
}

/// `text` without its ANSI colour sequences.
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn severity_is_coloured_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let source = evidence(dir.path());
    for columns in [80, 200] {
        // Not a terminal: no colour by default.
        let (plain, _) = table(columns, &[&source], &[]);
        assert!(!plain.contains('\u{1b}'), "{plain}");
        let (never, _) = table(columns, &[&source], &["--color", "never"]);
        assert_eq!(never, plain);
        let (always, _) = table(columns, &[&source], &["--color", "always"]);
        // Red for high; the log's own escape stays escaped as text.
        assert!(
            always.contains("\u{1b}[") && always.contains("\\x1b[2J"),
            "{always}"
        );
        // Colour changes no text and no layout.
        assert_eq!(strip_ansi(&always), plain);
    }
}

/// `text` with run times (`0.01 s`, `56.3 MiB/s`) made `N`: they differ from run to run.
fn without_timings(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive([' ', '(']) {
        let number = word
            .trim_end_matches([' ', '('])
            .trim_start_matches('(')
            .parse::<f64>()
            .is_ok();
        let timing = number && word.contains('.') && !word.contains(':');
        out.push_str(if timing { "N " } else { word });
    }
    out
}

#[test]
fn the_readme_triage_session_is_what_wmihunt_prints() {
    let readme = fs::read_to_string(support::root().join("README.md")).unwrap();
    let session = readme.split("## A triage session").nth(1).unwrap();
    let block = session.split("```console\n").nth(1).unwrap();
    let block = block.split("\n```").next().unwrap();
    let (command, shown) = block.split_once('\n').unwrap();
    let args: Vec<&str> = command
        .strip_prefix("$ wmihunt ")
        .unwrap()
        .split(' ')
        .collect();
    // Run where the README's reader runs it: in the project root, with its relative paths.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wmihunt"))
        .args(&args)
        .current_dir(support::root())
        .output()
        .unwrap();
    let out = Run::new(args.join(" "), out);
    out.assert_code(0);
    let printed = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(
        without_timings(printed.trim_end()),
        without_timings(shown),
        "README.md's triage session is out of date; this is what wmihunt prints now:\n{printed}"
    );
}
