//! WMI persistence, whole (issue 12): the wider catalog and WMI event subscriptions on the
//! shared real samples (skipped when they are absent), with the exact findings of each file and
//! of the whole folder, and what `--context` adds.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use support::{
    json_lines, scan_all, scan_as, scan_ndjson, write_evtx, AnyLine, Csv, SubscriptionLine,
};

const REMOTE_REGISTRY: &str =
    "sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/wmi_remote_registry_sysmon.evtx";
const POISON_HANDLER: &str =
    "sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/LM_wmi_PoisonHandler_Mr-Un1k0d3r_sysmon_1_13.evtx";
const COMMAND_LINE: &str =
    "sbousseaden__EVTX-ATTACK-SAMPLES/Persistence/sysmon_20_21_1_CommandLineEventConsumer.evtx";
const WMIGHOST: &str = "sbousseaden__EVTX-ATTACK-SAMPLES/Persistence/wmighost_sysmon_20_21_1.evtx";
const PANACHE: &str =
    "sbousseaden__EVTX-ATTACK-SAMPLES/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx";
const POWERLURK: &str = "mdecrevoisier__EVTX-to-MITRE-Attack/TA0003-Persistence/T1546-Event Triggered Execution/ID19-20-WMI registration via PowerLurk.evtx";
const DEEPBLUE: &str = "sans-blue-team__DeepBlueCLI/evtx/wmi-event-filter-persistance.evtx";
const WMIIMPLANT: &str = "mdecrevoisier__EVTX-to-MITRE-Attack/TA0003-Persistence/T1546-Event Triggered Execution/ID13-WMIimplant registry crash control.evtx";
const ACCESS_VBOM: &str =
    "sbousseaden__EVTX-ATTACK-SAMPLES/Defense Evasion/de_sysmon_13_VBA_Security_AccessVBOM.evtx";

/// (file below the samples, record id, detection, severity, action) of a finding.
type Found = (String, u64, String, String, String);

fn at(file: &str, record: u64, detection: &str, severity: &str, action: &str) -> Found {
    (
        file.to_string(),
        record,
        detection.to_string(),
        severity.to_string(),
        action.to_string(),
    )
}

/// Every finding the whole folder gives, and why each is one.
fn folder_findings() -> BTreeSet<Found> {
    let mut all = BTreeSet::new();
    // The reference rule's one finding: a Run key set by a remote StdRegProv call.
    all.insert(at(REMOTE_REGISTRY, 549609, "run_keys", "high", "SetValue"));
    // PoisonHandler: the ms-browser protocol handler set to `cmd.exe /c notepad.exe`, four
    // times (one per launch method the tool tries), each time by a new WmiPrvSE.
    for record in [335, 339, 343, 347] {
        all.insert(at(
            POISON_HANDLER,
            record,
            "shell_command_handler",
            "high",
            "SetValue",
        ));
    }
    // WMI subscriptions, each on its binding (else its consumer):
    let subscription = "wmi_subscription";
    // winpwnage's BotFilter82 -> cmd.exe, created, then deleted 31 s later.
    all.insert(at(COMMAND_LINE, 16112, subscription, "high", "Created"));
    // WMIGhost's ActiveScript consumer, modified, bound to a filter never logged.
    all.insert(at(WMIGHOST, 7197, subscription, "high", "Modified"));
    // Atomic Red Team's notepad.exe subscription, created, then deleted.
    all.insert(at(PANACHE, 4057, subscription, "high", "Created"));
    // PowerLurk's consumer `Evil` and its filter; no binding logged.
    all.insert(at(POWERLURK, 49256, subscription, "high", "Created"));
    // The attacker's binding among Windows' own eleven (info, not findings).
    all.insert(at(DEEPBLUE, 894, subscription, "high", "Bound"));
    all
}

fn relative(samples: &Path, source: &str) -> String {
    let root = format!("{}/", samples.display());
    source.strip_prefix(&root).unwrap_or(source).to_string()
}

fn found(samples: &Path, lines: &[AnyLine]) -> BTreeSet<Found> {
    lines
        .iter()
        .map(|l| {
            let (source, record, detection, severity, action) = l.key();
            at(
                &relative(samples, source),
                record,
                detection,
                severity,
                action,
            )
        })
        .collect()
}

fn sample(samples: &Path, file: &str) -> PathBuf {
    samples.join(file)
}

/// The subscription findings of one sample file; without flags, its findings must be the
/// folder list's for it.
fn subscriptions(samples: &Path, file: &str, extra: &[&str]) -> Vec<SubscriptionLine> {
    let (lines, out) = scan_all(&[&sample(samples, file)], extra);
    out.assert_code(0);
    if extra.is_empty() {
        let want: BTreeSet<Found> = folder_findings()
            .into_iter()
            .filter(|f| f.0 == file)
            .collect();
        assert_eq!(found(samples, &lines), want, "{file}");
    }
    lines
        .into_iter()
        .filter_map(|l| match l {
            AnyLine::Subscription(s) => Some(s),
            AnyLine::Registry(_) => None,
        })
        .collect()
}

/// (record id, operation) of a subscription's evidence.
fn evidence(s: &SubscriptionLine) -> Vec<(u64, &str)> {
    s.evidence
        .iter()
        .map(|e| (e.record_id, e.operation.as_str()))
        .collect()
}

#[test]
fn the_poison_handler_protocol_hijack_is_found() {
    let Some(samples) = support::samples() else {
        return;
    };
    let file = sample(&samples, POISON_HANDLER);
    let (all, out) = scan_all(&[&file], &[]);
    out.assert_code(0);
    let want: BTreeSet<Found> = folder_findings()
        .into_iter()
        .filter(|f| f.0 == POISON_HANDLER)
        .collect();
    assert_eq!(found(&samples, &all), want);
    let (lines, _) = scan_ndjson(&[&file], &[]);
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
        assert_eq!((l.hive.as_str(), l.sid.as_deref()), ("HKCR", None));
        assert_eq!(l.key, "HKCR\\ms-browser\\shell\\open\\command");
        assert_eq!(l.value_name.as_deref(), Some("(Default)"));
        assert_eq!(l.data.as_deref(), Some("cmd.exe /c notepad.exe"));
        assert_eq!(l.techniques, ["T1546.001", "T1047"]);
        assert_eq!(l.score, 82, "{l:?}");
        assert_eq!(l.indicators[0].name, "lolbin");
    }
}

#[test]
fn the_command_line_consumer_sample_is_one_subscription_that_ran() {
    let Some(samples) = support::samples() else {
        return;
    };
    let [s] = subscriptions(&samples, COMMAND_LINE, &[])
        .try_into()
        .unwrap();
    assert_eq!(s.host, "IEWIN7");
    assert_eq!((s.bound, s.builtin), (true, false));
    let filter = s.filter.as_ref().unwrap();
    assert_eq!(filter.name, "BotFilter82");
    assert_eq!(filter.namespace.as_deref(), Some("root\\cimv2"));
    assert_eq!(
        filter.query.as_deref(),
        Some("SELECT * FROM __InstanceModificationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'")
    );
    let consumer = s.consumer.as_ref().unwrap();
    assert_eq!(
        (consumer.name.as_str(), consumer.kind.as_str()),
        ("BotConsumer23", "CommandLine")
    );
    assert_eq!(consumer.class.as_deref(), Some("CommandLineEventConsumer"));
    assert_eq!(
        consumer.command.as_deref(),
        Some("c:\\Windows\\System32\\cmd.exe")
    );
    // The filter is logged after the binding; all three are deleted 31 s later.
    assert_eq!(
        evidence(&s),
        [
            (16111, "Created"),
            (16112, "Created"),
            (16115, "Created"),
            (16120, "Deleted"),
            (16121, "Deleted"),
            (16123, "Deleted")
        ]
    );
    assert_eq!(
        s.registered.as_deref(),
        Some("2019-05-11T17:58:23.3406596Z")
    );
    assert_eq!(s.removed.as_deref(), Some("2019-05-11T17:58:54.9031596Z"));
    assert_eq!(s.user.as_deref(), Some("IEWIN7\\IEUser"));
    // It fired: WmiPrvSE started cmd.exe (record 16116) between the two.
    assert_eq!(s.execution.as_ref().map(|x| x.record_id), Some(16116));
    assert_eq!(s.score, 73);
}

#[test]
fn partial_subscriptions_are_found() {
    let Some(samples) = support::samples() else {
        return;
    };
    // WMIGhost: no filter event; the binding names it.
    let [ghost] = subscriptions(&samples, WMIGHOST, &[]).try_into().unwrap();
    let filter = ghost.filter.as_ref().unwrap();
    assert_eq!(
        (filter.name.as_str(), filter.query.as_deref()),
        ("ProbeScriptFint", None)
    );
    let consumer = ghost.consumer.as_ref().unwrap();
    assert_eq!(consumer.kind, "ActiveScript");
    let script = consumer.command.as_deref().unwrap_or("");
    assert!(script.starts_with("var sXmlUrl=\"http://kumardeep.sosblogs.com/"));
    assert!(script.len() > 4000);
    assert_eq!(evidence(&ghost), [(7195, "Modified"), (7197, "Modified")]);
    let names: Vec<&str> = ghost.indicators.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["network_location"]);
    // PowerLurk: consumer and the filter of its name (logged twice), no binding.
    let [lurk] = subscriptions(&samples, POWERLURK, &[]).try_into().unwrap();
    assert!(!lurk.bound);
    let filter = lurk.filter.as_ref().unwrap();
    assert_eq!(filter.namespace.as_deref(), Some("root/cimv2"));
    assert_eq!(
        lurk.consumer.as_ref().and_then(|c| c.command.as_deref()),
        Some("cmd.exe /c echo %ProcessId% >> c:\\\\temp\\\\log.txt")
    );
    assert_eq!(
        evidence(&lurk),
        [(49256, "Created"), (49257, "Created"), (49258, "Created")]
    );
    assert_eq!(
        lurk.rule_name.as_deref(),
        Some("technique_id=T1047,technique_name=Windows Management Instrumentation")
    );
    // Atomic Red Team: filter, consumer, binding, then all three deleted.
    let [atomic] = subscriptions(&samples, PANACHE, &[]).try_into().unwrap();
    assert_eq!(evidence(&atomic).len(), 6);
    assert_eq!(
        atomic.consumer.as_ref().and_then(|c| c.command.as_deref()),
        Some("C:\\Windows\\System32\\notepad.exe")
    );
    assert_eq!(
        atomic.removed.as_deref(),
        Some("2019-07-19T14:57:02.8060455Z")
    );
    // The notepad.exe that runs 15 minutes later (record 4136, opening a .md from explorer)
    // ran after the subscription was removed: not its run.
    assert_eq!(atomic.execution, None);
}

#[test]
fn deepblue_has_one_attackers_binding_among_windows_own() {
    let Some(samples) = support::samples() else {
        return;
    };
    let [attacker] = subscriptions(&samples, DEEPBLUE, &[]).try_into().unwrap();
    assert_eq!(attacker.host, "DESKTOP-BZ202CP.cybercorp.com");
    assert_eq!(attacker.event_id, 5861);
    assert_eq!(
        attacker.creator_sid.as_deref(),
        Some("S-1-5-21-3899523589-2416674273-2941457644-1104")
    );
    let filter = attacker.filter.as_ref().unwrap();
    assert_eq!(filter.name, "LogRotate Event");
    assert_eq!(
        filter.query.as_deref(),
        Some("SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_LoggedOnUser'")
    );
    assert_eq!(
        attacker.consumer.as_ref().and_then(|c| c.command.as_deref()),
        Some("powershell.exe -noP -ep bypass iex -c \"('C:\\Users\\john.goldberg\\AppData\\Roaming\\Microsoft\\Office\\Recent\\tmpA7Z2.ps1')\"")
    );
    // 40 s later WMI loaded the CommandLineEventConsumer provider: it fired.
    let loaded = attacker.consumer_loaded.as_ref().unwrap();
    assert_eq!(
        (
            loaded.record_id,
            loaded.provider.as_str(),
            loaded.process_id
        ),
        (896, "CommandLineEventConsumer", Some(7424))
    );
    assert_eq!(attacker.score, 91);
    // Windows' own binding, logged at eleven starts of WMI under four host names: info, one
    // per host, shown with --context.
    let all = subscriptions(&samples, DEEPBLUE, &["--context"]);
    let builtin: Vec<(u64, &str, usize)> = all
        .iter()
        .filter(|s| s.builtin)
        .map(|s| (s.record_id, s.severity.as_str(), s.evidence.len()))
        .collect();
    assert_eq!(
        builtin,
        [
            (95, "info", 2),
            (170, "info", 2),
            (193, "info", 1),
            (250, "info", 6)
        ]
    );
    assert!(all
        .iter()
        .filter(|s| s.builtin)
        .all(|s| s.creator_sid.as_deref() == Some("S-1-5-32-544")));
    assert_eq!(all.len(), 5);
}

#[test]
fn the_whole_folder_gives_exactly_the_listed_findings() {
    let Some(samples) = support::samples() else {
        return;
    };
    let (lines, out) = scan_all(&[&samples], &["--no-execution-check"]);
    out.assert_code(2);
    assert_eq!(found(&samples, &lines), folder_findings());
    // --fail-on-findings counts them; the pre-filter changes nothing.
    let flags = [
        "--no-execution-check",
        "--no-prefilter",
        "--fail-on-findings",
    ];
    let (without, out) = scan_all(&[&samples], &flags);
    out.assert_code(1);
    assert_eq!(lines, without);
}

#[test]
fn context_adds_every_other_wmi_write_and_windows_own_subscriptions_as_info() {
    let Some(samples) = support::samples() else {
        return;
    };
    let flags = ["--no-execution-check", "--context"];
    let (lines, out) = scan_all(&[&samples], &flags);
    out.assert_code(2);
    let info: BTreeSet<Found> = found(&samples, &lines)
        .difference(&folder_findings())
        .cloned()
        .collect();
    let write = "wmi_registry_write";
    let mut want: BTreeSet<Found> = BTreeSet::new();
    // WMIimplant's CrashControl writes (its exfiltration channel), two rounds of eight.
    want.extend((44689..=44704).map(|r| at(WMIIMPLANT, r, write, "info", "SetValue")));
    // A macro security setting (AccessVBOM) set through WMI.
    want.insert(at(ACCESS_VBOM, 17915, write, "info", "SetValue"));
    // The remote StdRegProv session creating its way to the Run key.
    want.extend((549601..=549607).map(|r| at(REMOTE_REGISTRY, r, write, "info", "CreateKey")));
    // Windows' own subscription, once per host name of the DeepBlueCLI log.
    want.extend([95, 170, 193, 250].map(|r| at(DEEPBLUE, r, "wmi_subscription", "info", "Bound")));
    assert_eq!(info, want);
    // Info is no reason to fail, unless asked.
    let implant = sample(&samples, WMIIMPLANT);
    let (_, out) = scan_all(&[&implant], &["--context", "--fail-on-findings"]);
    out.assert_code(0);
    let (_, out) = scan_all(&[&implant], &["--context", "--fail-on-findings=info"]);
    out.assert_code(1);
    let (_, out) = scan_all(&[&implant], &["--all-writes", "--fail-on-findings=high"]);
    out.assert_code(0);
    let (without, _) = scan_all(&[&samples], &[&flags[..], &["--no-prefilter"]].concat());
    assert_eq!(lines, without);
}

// ---- The subscription fixtures (testdata/subscriptions) ----

fn fixtures() -> PathBuf {
    support::testdata().join("subscriptions")
}

fn keys(lines: &[AnyLine]) -> BTreeSet<Found> {
    found(&support::testdata(), lines)
}

#[test]
fn context_shows_lone_filters_and_windows_own_as_info() {
    let (plain, _) = scan_all(&[&fixtures()], &[]);
    let (context, out) = scan_all(&[&fixtures()], &["--context"]);
    out.assert_code(0);
    let info: Vec<Found> = keys(&context).difference(&keys(&plain)).cloned().collect();
    assert_eq!(
        info,
        [
            at(
                "subscriptions/WS08-Sysmon.evtx",
                10,
                "wmi_subscription",
                "info",
                "Created"
            ),
            at(
                "subscriptions/WS09-WMI-Activity.evtx",
                2,
                "wmi_subscription",
                "info",
                "Bound"
            ),
        ]
    );
    // Without --context, Windows' own is counted in the summary.
    let (_, out) = scan_all(&[&fixtures()], &[]);
    out.assert_stderr_has(
        "          1 WMI subscription recognised as Windows' own: info, not findings \
             (--context lists them)\n",
    )
    .assert_stderr_has(
        "findings: 8 (judged 0 Sysmon registry events and 0 Security \
             4657 events on 0 hosts, and 20 WMI subscription events)\n",
    );
    let (_, out) = scan_all(&[&fixtures()], &["--context"]);
    out.assert_stderr_has("findings: 8 and 2 info (--context) (judged 0 Sysmon");
}

#[test]
fn a_subscription_joins_a_hosts_logs_and_keeps_to_the_window() {
    let attacker = |lines: &[AnyLine]| -> Option<SubscriptionLine> {
        lines.iter().find_map(|l| match l {
            AnyLine::Subscription(s) if s.host == "WS09.corp.example" && !s.builtin => {
                Some(s.clone())
            }
            _ => None,
        })
    };
    let (lines, _) = scan_all(&[&fixtures()], &[]);
    let s = attacker(&lines).unwrap();
    let parts: Vec<(&str, &str, u64)> = s
        .evidence
        .iter()
        .map(|e| {
            let file = e.source_path.rsplit('/').next().unwrap_or("");
            (file, e.part.as_str(), e.record_id)
        })
        .collect();
    // The filter comes from the host's Sysmon log, the binding from its WMI-Activity log.
    assert_eq!(
        parts,
        [
            ("WS09-Sysmon.evtx", "filter", 1),
            ("WS09-WMI-Activity.evtx", "binding", 5)
        ]
    );
    assert_eq!(s.consumer_loaded.as_ref().map(|l| l.record_id), Some(6));
    // The window keeps a subscription by its anchor (the binding, 2024-03-01T10:00:04.125Z),
    // whatever the times of its other events.
    let (lines, _) = scan_all(&[&fixtures()], &["--from", "2024-03-01T10:00:04Z"]);
    assert_eq!(attacker(&lines).map(|s| s.evidence.len()), Some(2));
    let (lines, _) = scan_all(&[&fixtures()], &["--from", "2024-03-01T10:00:05Z"]);
    assert!(attacker(&lines).is_none());
}

#[test]
fn copies_of_a_log_give_one_subscription() {
    let dir = tempfile::tempdir().unwrap();
    for copy in ["a", "b"] {
        std::fs::create_dir(dir.path().join(copy)).unwrap();
        let to = dir.path().join(copy).join("Sysmon.evtx");
        support::copy_fixture("subscriptions/WS08-Sysmon.evtx", &to);
    }
    let (lines, _) = scan_all(&[dir.path()], &[]);
    let subs: Vec<&SubscriptionLine> = lines
        .iter()
        .filter_map(|l| match l {
            AnyLine::Subscription(s) => Some(s),
            AnyLine::Registry(_) => None,
        })
        .collect();
    assert_eq!(subs.len(), 5);
    for s in subs {
        assert!(
            s.source_path.ends_with("a/Sysmon.evtx"),
            "{}",
            s.source_path
        );
        assert_eq!(s.duplicate_sources.len(), 1);
        assert!(s
            .evidence
            .iter()
            .all(|e| e.source_path.ends_with("a/Sysmon.evtx")));
    }
}

#[test]
fn every_format_carries_subscriptions() {
    let path = fixtures();
    let dir = path.to_str().unwrap();
    // ECS: a configuration change, the parts under wmihunt.subscription.
    let doc = json_lines(&scan_as("ecs", &[dir]))
        .into_iter()
        .find(|d| d["winlog"]["record_id"] == "2" && d["host"]["name"] == "WS08.corp.example")
        .unwrap();
    assert_eq!(doc["event"]["category"][0], "configuration");
    assert_eq!(
        (&doc["event"]["type"][0], &doc["event"]["kind"]),
        (&"creation".into(), &"alert".into())
    );
    assert_eq!(doc["rule"]["id"], "wmi_subscription");
    assert_eq!(
        doc["threat"]["technique"]["name"][0],
        "Windows Management Instrumentation Event Subscription"
    );
    let sub = &doc["wmihunt"]["subscription"];
    assert_eq!(sub["filter"]["name"], "UpdaterTrigger");
    assert!(sub["consumer"]["command"]
        .as_str()
        .is_some_and(|c| c.starts_with("powershell.exe -nop")));
    assert_eq!(sub["evidence"].as_array().map(Vec::len), Some(5));
    // Timesketch.
    let descs: BTreeSet<String> = json_lines(&scan_as("timesketch", &[dir]))
        .iter()
        .map(|l| l["timestamp_desc"].as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = ["Created", "Modified", "Deleted", "Bound"]
        .map(|op| format!("WMI Subscription {op}"))
        .into();
    assert_eq!(descs, want);
    // CSV: the subscription columns.
    let csv = Csv::parse(&scan_as("csv", &[dir]));
    let evil = csv
        .rows
        .iter()
        .find(|r| csv.cell(r, "consumer_name") == "Evil")
        .unwrap();
    let cell = |name: &str| csv.cell(evil, name);
    assert_eq!(cell("kind"), "subscription");
    assert_eq!(cell("consumer_type"), "CommandLine");
    assert_eq!(cell("filter_name"), "Evil");
    assert_eq!(
        cell("data"),
        "cmd.exe /c echo %ProcessId% >> c:\\\\temp\\\\log.txt"
    );
    assert_eq!(cell("action"), "Created");
    // The table: filter, query, consumer, and what it runs.
    let table = scan_as("table", &[dir]);
    assert!(
        table.contains("filter: UpdaterTrigger: SELECT * FROM __InstanceModificationEvent"),
        "{table}"
    );
    assert!(table.contains("consumer: CommandLine Evil"), "{table}");
    assert!(table.contains("binding: none seen"), "{table}");
}

#[test]
fn hostile_subscription_text_is_made_safe() {
    let dir = tempfile::tempdir().unwrap();
    let mut consumer = support::cases::consumer(
        "Created",
        support::cases::Schema::Current,
        "=HYPERLINK(\"x\")\u{1b}[2J",
        "Command Line",
        "=cmd|' /C calc'!A0\u{1b}]0;owned\u{7}\u{202e}",
    );
    consumer.computer = "HOST".into();
    let path = write_evtx(dir.path(), "hostile.evtx", &[consumer]);
    let file = path.to_str().unwrap();
    let table = scan_as("table", &[file]);
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}') && !table.contains('\u{202e}'),
        "{table:?}"
    );
    assert!(table.contains("\\x1b]0;owned"), "{table}");
    let row = &Csv::parse(&scan_as("csv", &[file])).rows[0];
    assert!(
        row.iter()
            .all(|cell| !cell.starts_with(['=', '+', '-', '@'])),
        "{row:?}"
    );
    let (lines, _) = scan_all(&[&path], &[]);
    let [AnyLine::Subscription(s)] = lines.as_slice() else {
        panic!("{lines:?}")
    };
    // NDJSON carries it whole.
    assert_eq!(
        s.consumer.as_ref().and_then(|c| c.command.as_deref()),
        Some("=cmd|' /C calc'!A0\u{1b}]0;owned\u{7}\u{202e}")
    );
}

#[test]
fn a_subscription_is_attributed_like_a_write() {
    let (lines, out) = scan_all(&[&fixtures()], &[]);
    out.assert_code(0);
    let mut graded = Vec::new();
    for line in &lines {
        let AnyLine::Subscription(s) = line else {
            panic!("only subscriptions here: {line:?}");
        };
        let a = s.attribution.as_ref().expect("every finding is attributed");
        let caller = a.caller.as_ref().and_then(|c| c.user.as_deref());
        graded.push((s.channel.as_str(), a.grade.as_str(), caller));
        // Sysmon's User names the creator; WMI-Activity names nobody and says so.
        if s.channel == "Microsoft-Windows-Sysmon/Operational" {
            assert!(
                a.rule
                    .starts_with("the write's Sysmon User names CORP\\admin"),
                "{a:?}"
            );
            assert_eq!(a.caller.as_ref().unwrap().domain.as_deref(), Some("CORP"));
        } else {
            assert!(a.caller.is_none() && !a.rule.is_empty(), "{a:?}");
        }
    }
    let sysmon = "Microsoft-Windows-Sysmon/Operational";
    let activity = "Microsoft-Windows-WMI-Activity/Operational";
    let count = |want: (&str, &str, Option<&str>)| graded.iter().filter(|g| **g == want).count();
    assert_eq!(count((sysmon, "strong", Some("admin"))), 5, "{graded:?}");
    assert_eq!(count((activity, "none", None)), 3, "{graded:?}");
    assert_eq!(graded.len(), 8);
    let (lines, _) = scan_all(&[&fixtures()], &["--no-attribution"]);
    assert!(lines.iter().all(|l| match l {
        AnyLine::Subscription(s) => s.attribution.is_none(),
        AnyLine::Registry(r) => r.attribution.is_none(),
    }));
}
