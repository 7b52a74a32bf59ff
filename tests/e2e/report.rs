//! The HTML case report (`--format html`): one file that fetches nothing, a card per finding
//! and a timeline per host, hostile registry data shown as text, 10,000 findings in a small
//! file; and the same reports in a real browser (Debian's Chromium driven by playwright-core,
//! `tests/browser/check_report.mjs`): every card and timeline present, no script from the
//! data run, no network request, screenshots at desktop and laptop widths.
//!
//! The browser part needs `WMIHUNT_CHROMIUM` and `WMIHUNT_BROWSER_MODULES` (`.ci/run` sets
//! them up); without them it says it is skipped, except in CI (`CI=true`), where it fails.
//! `WMIHUNT_SCREENSHOTS=docs` writes the README's screenshots into `docs/`.

use crate::support;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::cases::{self, Version, WMI};
use support::{scan_all, scan_ndjson, testdata, wmihunt, write_evtx, AnyLine};
use wmihunt_testkit::writer::{filetime_from_unix, Event};

/// 2024-03-01T10:00:00Z.
const BASE: i64 = 1_709_287_200;
/// What the hostile fixture's scripts would set the title to, had they run.
const PWNED: &str = "pwned";
const RUN: &str = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";

/// A registry value set by WmiPrvSE.exe on `host` at `secs` after `BASE`.
fn write_event(host: &str, secs: i64, target: &str, data: &str) -> Event {
    let mut e = cases::registry(13, "SetValue", WMI, target, Some(data), Version::Current);
    e.computer = host.to_string();
    e.time = filetime_from_unix(BASE + secs, 125_000_000);
    e
}

/// A Sysmon process creation of `image` on `host`.
fn run_event(host: &str, secs: i64, image: &str, n: u64) -> Event {
    let mut e = cases::process_create(image, "C:\\Windows\\explorer.exe", n);
    e.computer = host.to_string();
    e.time = filetime_from_unix(BASE + secs, 125_000_000);
    e
}

/// Registry data that tries every way out of the page: markup, a script that would set the
/// title and add an element, a style that would hide the findings, `javascript:` links, an
/// iframe that would fetch, bidi overrides, and a host name with markup.
fn hostile_log(dir: &Path) -> PathBuf {
    let payload = format!(
        "document.title='{PWNED}';document.body.appendChild(Object.assign(\
         document.createElement('div'),{{id:'{PWNED}'}}))"
    );
    let events = [
        write_event(
            "WS07.corp.example",
            0,
            &format!("{RUN}\\<img src=x onerror=\"{payload}\">"),
            &format!("</style></title><script>{payload}</script>"),
        ),
        write_event(
            "WS07.corp.example",
            5,
            &format!("{RUN}Once\\javascript:{payload}"),
            "javascript:alert(1) <a href=\"javascript:alert(1)\">x</a>",
        ),
        write_event(
            "WS07.corp.example",
            9,
            &format!("{RUN}\\evil\u{202e}txt.exe"),
            "\"><svg onload=\"alert(1)\"><style>*{display:none}</style><iframe src=\"https://example.invalid/x\"></iframe>",
        ),
        write_event(
            &format!("<b id='{PWNED}'>WS08</b><script>{payload}</script>"),
            12,
            &format!("{RUN}\\x"),
            "C:\\Users\\Public\\x.exe \u{1b}[31m\u{2066}",
        ),
    ];
    write_evtx(dir, "hostile.evtx", &events)
}

/// 10,000 findings on 20 hosts over two days; every tenth payload ran.
fn big_logs(dir: &Path) -> PathBuf {
    let dir = dir.join("big");
    fs::create_dir_all(&dir).unwrap();
    for h in 0..20 {
        let host = format!("WS{h:03}.corp.example");
        let mut events = Vec::new();
        for i in 0..500u64 {
            let secs = (i as i64) * 340 + h;
            let program = format!("C:\\ProgramData\\tool{h}x{i}.exe");
            let data = if i % 3 == 0 {
                format!("powershell.exe -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIAB{i}")
            } else {
                format!("\"{program}\" --service")
            };
            events.push(write_event(&host, secs, &format!("{RUN}\\Value{i}"), &data));
            if i % 10 == 1 {
                events.push(run_event(&host, secs + 30, &program, i));
            }
        }
        write_evtx(&dir, &format!("{host}-Sysmon.evtx"), &events);
    }
    dir
}

/// Runs `wmihunt scan -o OUT.html` with `args`; the page's text.
fn report(out: &Path, args: &[&str]) -> String {
    let mut all = vec!["scan", "--no-progress", "-q", "-o", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = wmihunt(&all);
    assert!(matches!(run.code, 0 | 2), "{run:?}");
    fs::read_to_string(out).unwrap()
}

/// The text between `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).map(|at| at + open.len()).unwrap();
    let len = text[start..].find(close).unwrap();
    &text[start..start + len]
}

fn sha256_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
    format!("&#39;sha256-{b64}&#39;")
}

/// Every `name="…"` attribute value in `html`.
fn attributes<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[test]
fn the_report_is_one_file_that_fetches_nothing_and_shows_every_finding() {
    let dir = tempfile::tempdir().unwrap();
    let html = report(&dir.path().join("r.html"), &[testdata().to_str().unwrap()]);
    let (lines, _) = scan_all(&[&testdata()], &[]);
    assert_eq!(html.matches("<article class=\"card ").count(), lines.len());
    let hosts: BTreeSet<&str> = lines
        .iter()
        .map(|l| match l {
            AnyLine::Registry(l) => l.host.as_str(),
            AnyLine::Subscription(s) => s.host.as_str(),
        })
        .collect();
    assert_eq!(
        html.matches("<div class=\"timeline\" id=").count(),
        hosts.len()
    );
    let mut subscriptions = 0;
    for l in &lines {
        match l {
            AnyLine::Registry(l) => {
                let shown = format!("{}\\{}", l.key, l.value_name.as_deref().unwrap_or(""));
                assert!(html.contains(shown.trim_end_matches('\\')), "{shown}");
            }
            AnyLine::Subscription(s) => {
                subscriptions += 1;
                let filter = s.filter.as_ref().map(|f| f.name.as_str()).unwrap_or("");
                assert!(
                    html.contains(&format!("<dt>Filter</dt><dd>{filter}</dd>")),
                    "{filter}"
                );
            }
        }
    }
    assert!(subscriptions > 0);
    assert_eq!(
        html.matches(" · WMI subscription · ").count()
            + html.matches(" · registry write · ").count(),
        lines.len()
    );
    // Self-contained: one style, one script, every link inside the page, no source fetched.
    assert_eq!(html.matches("<style>").count(), 1);
    assert_eq!(html.matches("<script").count(), 1);
    assert!(attributes(&html, "href").iter().all(|h| h.starts_with('#')));
    assert!(attributes(&html, "src").is_empty() && !html.contains("url("));
    // The policy allows exactly the page's own style and script.
    let csp = between(
        &html,
        "http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    );
    assert!(csp.starts_with("default-src &#39;none&#39;;"), "{csp}");
    let style = between(&html, "<style>", "</style>");
    let script = between(&html, "<script>", "</script>");
    assert!(
        csp.contains(&format!("style-src {};", sha256_source(style))),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("script-src {};", sha256_source(script))),
        "{csp}"
    );
    // The catalog, the command line and the attribution question are there.
    assert!(html.contains("<td>run_keys</td>") && html.contains("T1547.001"));
    assert!(html.contains(&format!(
        "wmihunt scan --no-progress -q -o {}",
        dir.path().display()
    )));
    // Every card answers who called: the caller the attribution names, or why none is.
    assert_eq!(html.matches("<h4>Who called?</h4>").count(), lines.len());
    let callers: Vec<&support::CallerLine> = lines
        .iter()
        .filter_map(|l| match l {
            AnyLine::Registry(l) => l.attribution.as_ref()?.caller.as_ref(),
            AnyLine::Subscription(s) => s.attribution.as_ref()?.caller.as_ref(),
        })
        .collect();
    assert!(!callers.is_empty());
    for c in callers {
        let account = match (&c.domain, &c.user) {
            (Some(d), Some(u)) => format!("{d}\\{u}"),
            (None, Some(u)) => u.clone(),
            _ => "?".to_string(),
        };
        let shown = format!("<dt>Account</dt><dd>{account}</dd>");
        assert!(html.contains(&shown), "{shown}");
    }
    assert!(html.contains("no caller named (none): "));
}

#[test]
fn hostile_registry_data_renders_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let html = report(&dir.path().join("r.html"), &[log.to_str().unwrap()]);
    let body = html.split_once("</style>").unwrap().1;
    let body = body.rsplit_once("<script>").unwrap().0;
    for raw in [
        "<img",
        "<script",
        "<iframe",
        "<svg onload",
        "<b id",
        "</style>",
        "<style>",
        "<a href=\"javascript",
    ] {
        assert!(!body.contains(raw), "{raw} reached the page as markup");
    }
    assert!(!html.contains('\u{202e}') && !html.contains('\u{1b}') && !html.contains('\u{2066}'));
    assert!(body.contains("&#60;img src=x onerror=&#34;document.title=&#39;pwned&#39;"));
    assert!(body.contains("evil\\u{202e}txt.exe") && body.contains("\\x1b[31m\\u{2066}"));
    assert!(body.contains("&#60;/style&#62;&#60;/title&#62;&#60;script&#62;"));
    assert!(attributes(&html, "href").iter().all(|h| h.starts_with('#')));
    let title = between(&html, "<title>", "</title>");
    assert_eq!(title, "wmihunt report: 4 findings on 2 hosts");
}

#[test]
fn ten_thousand_findings_make_a_small_report() {
    let dir = tempfile::tempdir().unwrap();
    let logs = big_logs(dir.path());
    let out = dir.path().join("big.html");
    let started = Instant::now();
    let html = report(&out, &[logs.to_str().unwrap()]);
    let took = started.elapsed();
    let size = html.len();
    let _ = writeln!(
        std::io::stderr(),
        "report: 10,000 findings: {:.1} MiB, scan and report {:.1} s",
        size as f64 / (1024.0 * 1024.0),
        took.as_secs_f64()
    );
    assert_eq!(html.matches("<article class=\"card ").count(), 10_000);
    assert_eq!(html.matches("<div class=\"timeline\" id=").count(), 20);
    assert!(
        html.matches("yes: ran at").count() >= 500,
        "the runs are found"
    );
    // No style repeated per finding: about 1.5 KiB a card.
    assert!(size < 18 * 1024 * 1024, "{size} bytes");
    assert!(!html.contains(" style=\""));
    // Each timeline draws at most one mark per pixel of a lane.
    assert!(html.matches("<circle").count() < 20 * 2 * 800);
}

#[test]
fn filters_are_stated_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("allow.yml");
    fs::write(
        &list,
        "allow:\n  - name: updater\n    reason: known agent\n    value: Updater\n",
    )
    .unwrap();
    let html = report(
        &dir.path().join("r.html"),
        &[
            "--min-level",
            "high",
            "--allowlist",
            list.to_str().unwrap(),
            "--host",
            "WS0*",
            testdata().to_str().unwrap(),
        ],
    );
    assert!(html.contains("below --min-level high"), "level");
    assert!(html.contains("on hosts out of scope"), "hosts");
    assert!(
        html.contains("allowed by the allowlist entry “updater” (known agent)"),
        "allowlist"
    );
    assert!(
        !html.contains("DC02.corp.example"),
        "hosts out of scope are left out everywhere"
    );
}

#[test]
fn read_problems_are_listed_per_file() {
    let dir = tempfile::tempdir().unwrap();
    // A log cut inside chunk 4, and a file named like a log that holds none.
    support::cut_log(dir.path(), "cut.evtx");
    fs::write(dir.path().join("empty.evtx"), b"").unwrap();
    let html = report(&dir.path().join("r.html"), &[dir.path().to_str().unwrap()]);
    let section = between(&html, "<section id=\"problems\">", "</section>");
    let cut = dir.path().join("cut.evtx").display().to_string();
    assert!(section.contains(&format!("<h3>{cut}</h3>")), "{section}");
    assert!(section.contains("read error: chunk 4: truncated chunk: 1000 of 65536 bytes"));
    assert!(section.contains("unreadable log: empty file"), "{section}");
    assert!(html.contains("Read problems (2)"));
}

// ---- In a real browser ----

/// Where screenshots go: `docs/` when asked, else beside the build.
fn screenshot_dir() -> PathBuf {
    if std::env::var("WMIHUNT_SCREENSHOTS").as_deref() == Ok("docs") {
        return support::root().join("docs");
    }
    support::root().join("target/report-screenshots")
}

/// The README's example: the planted run keys of WS06 (three ran), a DC's 4657 writes and a
/// workstation's mixed detections.
fn readme_example(out: &Path) -> (String, usize, usize) {
    let inputs = [
        testdata().join("execution"),
        testdata().join("security_4657"),
        testdata().join("detections.evtx"),
    ];
    let paths: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    let mut args = vec!["--sort", "score", "--timezone", "Europe/Berlin"];
    args.extend(&paths);
    let html = report(out, &args);
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let (lines, _) = scan_ndjson(&refs, &[]);
    let hosts: BTreeSet<&str> = lines.iter().map(|l| l.host.as_str()).collect();
    (html, lines.len(), hosts.len())
}

#[test]
fn the_report_in_a_real_browser() {
    // Chromium, and the folder holding playwright-core.
    let tools = ["WMIHUNT_CHROMIUM", "WMIHUNT_BROWSER_MODULES"];
    let Some([chromium, modules]) = support::tools("report: browser test", tools) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let example = dir.path().join("example.html");
    let (_, example_cards, example_hosts) = readme_example(&example);
    let hostile = dir.path().join("hostile.html");
    report(&hostile, &[hostile_log(dir.path()).to_str().unwrap()]);
    let big = dir.path().join("big.html");
    report(&big, &[big_logs(dir.path()).to_str().unwrap()]);
    // The README's pictures go to docs/ when asked; the others always beside the build.
    let shots = screenshot_dir();
    let shot = |name: &str| shots.join(name).display().to_string();
    let work = support::root().join("target/report-screenshots");
    fs::create_dir_all(&work).unwrap();
    let work_shot = |name: &str| work.join(name).display().to_string();
    let spec = serde_json::json!({
        "chromium": chromium, "modules": modules,
        "pages": [
            {"name": "example", "file": example, "filter": "lolbin", "card": shot("report-card.png"),
             "screenshots": [
                {"width": 1920, "height": 1080, "path": shot("report-desktop.png")},
                {"width": 1366, "height": 768, "path": shot("report-laptop.png"), "clip": 1500}]},
            {"name": "hostile", "file": hostile, "filter": "", "screenshots": [
                {"width": 1366, "height": 768, "path": work_shot("report-hostile.png")}]},
            {"name": "big", "file": big, "filter": "WS007", "screenshots": [
                {"width": 1920, "height": 1080, "path": work_shot("report-big.png")}]},
        ]
    });
    let spec_path = dir.path().join("spec.json");
    fs::write(&spec_path, spec.to_string()).unwrap();
    let started = Instant::now();
    let out = Command::new("node")
        .arg(support::root().join("tests/browser/check_report.mjs"))
        .arg(&spec_path)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    let _ = writeln!(
        std::io::stderr(),
        "report: browser checks took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let page = |name: &str| results.get(name).cloned().unwrap();
    check_page(
        &page("example"),
        example_cards,
        example_hosts,
        "wmihunt report: ",
    );
    assert_eq!(
        page("example")["filtered"],
        1,
        "the filter box finds the one lolbin finding"
    );
    check_page(
        &page("hostile"),
        4,
        2,
        "wmihunt report: 4 findings on 2 hosts",
    );
    let big = page("big");
    check_page(
        &big,
        10_000,
        20,
        "wmihunt report: 10000 findings on 20 hosts",
    );
    let load_ms = big["loadMs"].as_u64().unwrap();
    let _ = writeln!(
        std::io::stderr(),
        "report: 10,000 findings loaded in {load_ms} ms"
    );
    assert!(load_ms < 15_000, "{big}");
    assert_eq!(big["filtered"], 500, "the filter box over 10,000 cards");
    for name in ["report-desktop.png", "report-laptop.png", "report-card.png"] {
        let bytes = fs::metadata(shots.join(name)).unwrap().len();
        assert!(
            (20_000..1_500_000).contains(&bytes),
            "{name}: {bytes} bytes"
        );
    }
    for name in ["report-hostile.png", "report-big.png"] {
        let bytes = fs::metadata(work.join(name)).unwrap().len();
        assert!(
            (20_000..1_500_000).contains(&bytes),
            "{name}: {bytes} bytes"
        );
    }
}

/// What every page must show, with and without JavaScript.
fn check_page(page: &Value, cards: usize, timelines: usize, title: &str) {
    for run in ["js", "nojs"] {
        let dom = &page[run];
        assert!(dom["title"].as_str().unwrap().starts_with(title), "{page}");
        assert_eq!(dom["cards"], cards, "{run}: {page}");
        assert_eq!(dom["timelines"], timelines, "{run}: {page}");
        assert_eq!(
            dom["injected"], 0,
            "{run}: an element from the data: {page}"
        );
        assert_eq!(
            dom["overflowX"], false,
            "{run}: the page scrolls sideways: {page}"
        );
        let requests = dom["requests"].as_array().unwrap();
        assert_eq!(requests.len(), 1, "{run}: only the file itself: {page}");
        assert!(requests[0].as_str().unwrap().starts_with("file://"));
        assert_eq!(dom["errors"].as_array().unwrap().len(), 0, "{run}: {page}");
    }
    assert_eq!(page["js"]["filterHidden"], false);
    assert_eq!(page["nojs"]["filterHidden"], true);
}
