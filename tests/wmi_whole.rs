//! WMI persistence, whole (issue 12): the wider catalog and WMI event subscriptions on the
//! shared real samples (skipped when they are absent), with the exact findings of each file and
//! of the whole folder.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use support::{code, scan_ndjson, stderr};

const POISON_HANDLER: &str =
    "sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/LM_wmi_PoisonHandler_Mr-Un1k0d3r_sysmon_1_13.evtx";
const REMOTE_REGISTRY: &str =
    "sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/wmi_remote_registry_sysmon.evtx";

/// (file below the samples, record id, detection, severity, action) of a finding.
type Found = (String, u64, String, String, String);

/// Every finding the whole folder gives, and why each is one.
fn folder_findings() -> BTreeSet<Found> {
    let at = |file: &str, record, detection: &str, severity: &str, action: &str| {
        (
            file.to_string(),
            record,
            detection.to_string(),
            severity.to_string(),
            action.to_string(),
        )
    };
    [
        // The reference rule's one finding: a Run key set by a remote StdRegProv call.
        at(REMOTE_REGISTRY, 549609, "run_keys", "high", "SetValue"),
        // PoisonHandler: the ms-browser protocol handler set to `cmd.exe /c notepad.exe`, four
        // times (one per launch method the tool tries), each time by a new WmiPrvSE.
        at(
            POISON_HANDLER,
            335,
            "shell_command_handler",
            "high",
            "SetValue",
        ),
        at(
            POISON_HANDLER,
            339,
            "shell_command_handler",
            "high",
            "SetValue",
        ),
        at(
            POISON_HANDLER,
            343,
            "shell_command_handler",
            "high",
            "SetValue",
        ),
        at(
            POISON_HANDLER,
            347,
            "shell_command_handler",
            "high",
            "SetValue",
        ),
    ]
    .into_iter()
    .collect()
}

fn relative(samples: &Path, source: &str) -> String {
    let root = format!("{}/", samples.display());
    source.strip_prefix(&root).unwrap_or(source).to_string()
}

fn found(samples: &Path, lines: &[support::Line]) -> BTreeSet<Found> {
    lines
        .iter()
        .map(|l| {
            (
                relative(samples, &l.source_path),
                l.record_id,
                l.detection_id.clone(),
                l.severity.clone(),
                l.action.clone(),
            )
        })
        .collect()
}

fn sample(samples: &Path, file: &str) -> PathBuf {
    samples.join(file)
}

#[test]
fn the_poison_handler_protocol_hijack_is_found() {
    let Some(samples) = support::samples() else {
        return;
    };
    let (lines, out) = scan_ndjson(&[&sample(&samples, POISON_HANDLER)], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let want: BTreeSet<Found> = folder_findings()
        .into_iter()
        .filter(|f| f.0 == POISON_HANDLER)
        .collect();
    assert_eq!(found(&samples, &lines), want);
    let ran: Vec<(u64, Option<u64>)> = lines
        .iter()
        .map(|l| (l.record_id, l.execution.as_ref().map(|x| x.record_id)))
        .collect();
    // Three rounds ran `"cmd.exe" /c notepad.exe` (records 337, 341, 345); the fourth opened
    // the handler through explorer, whose `cmd.exe` the log does not hold.
    assert_eq!(
        ran,
        [
            (335, Some(337)),
            (339, Some(341)),
            (343, Some(345)),
            (347, None)
        ]
    );
    for l in &lines {
        assert_eq!(l.host, "MSEDGEWIN10");
        assert_eq!(l.hive, "HKCR");
        assert_eq!(l.key, "HKCR\\ms-browser\\shell\\open\\command");
        assert_eq!(l.value_name.as_deref(), Some("(Default)"));
        assert_eq!(l.data.as_deref(), Some("cmd.exe /c notepad.exe"));
        assert_eq!(l.techniques, ["T1546.001", "T1047"]);
        assert_eq!(l.score, 82, "{l:?}");
        assert_eq!(l.indicators[0].name, "lolbin");
    }
}

#[test]
fn the_whole_folder_gives_exactly_the_listed_findings() {
    let Some(samples) = support::samples() else {
        return;
    };
    let (lines, out) = scan_ndjson(&[&samples], &["--no-execution-check"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(found(&samples, &lines), folder_findings());
}
