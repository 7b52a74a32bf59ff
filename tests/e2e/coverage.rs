//! What a result rests on: the registry events judged, counted by source with and without the
//! pre-filter, the statement a clean result makes, coverage per host, and the warning when no
//! event could be judged.

use crate::support;

use support::cases;
use support::{scan_all, scan_ndjson, testdata, wmihunt, write_evtx};

/// The warning when one scanned file holds no event a detection can judge.
const NOTHING_JUDGED: &str = "wmihunt: warning: no registry event the detections can judge \
     (Sysmon EID 12/13/14 or Security 4657) in the 1 scanned file, so";

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
        out.assert_stderr_has(&format!(
            "findings: {} (judged {sysmon} Sysmon registry events and {security} Security 4657 \
             events on {hosts} hosts: ",
            lines.len()
        ));
    }
}

#[test]
fn a_clean_result_states_what_it_rests_on() {
    let file = testdata().join("other_writers.evtx");
    let (lines, out) = scan_ndjson(&[&file], &[]);
    assert!(lines.is_empty());
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("findings:"))
        .unwrap();
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
    let path = write_evtx(dir.path(), "Sysmon.evtx", &events);
    wmihunt(["scan", "--no-progress", "--summary", path.to_str().unwrap()])
        .assert_code(0)
        .assert_stderr_has("NOT covered: its Sysmon log holds no registry events (EID 12/13/14)")
        .assert_stderr_has(NOTHING_JUDGED)
        .assert_stderr_has("Sysmon log whose configuration records registry events")
        .assert_stderr_has("'Audit Registry' subcategory plus a SACL")
        .assert_stderr_has("findings: 0 (judged 0 Sysmon registry events");
}

#[test]
fn host_summary_and_coverage_warning() {
    let out = wmihunt([
        "scan",
        "--no-progress",
        "--summary",
        testdata().to_str().unwrap(),
    ]);
    out.assert_stderr_has("── per host ──");
    let err = &out.stderr;
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
    out.assert_stderr_lacks("warning:");
    // A Security log without registry auditing is no clean bill of health.
    let security = testdata().join("execution/WS06-Security.evtx");
    wmihunt([
        "scan",
        "--no-progress",
        "--summary",
        security.to_str().unwrap(),
    ])
    .assert_code(0)
    .assert_stderr_has(NOTHING_JUDGED)
    .assert_stderr_has("NOT covered: no Sysmon registry events and no Security 4657");
}
