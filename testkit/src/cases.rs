//! The fixture cases: every file in `testdata/`, the events in it, and the finding each
//! event must (or must not) produce. `cargo xtask testdata` writes them; the tests
//! regenerate them in memory to check both the scanner and that `testdata/` is current.

mod subscriptions;
mod wider;

pub use subscriptions::{
    binding, binding_5861, consumer, filter, scm_builtin, Schema, SID_1104, SID_544,
};
pub use wider::{machine_spellings, user_spellings};

use crate::writer::{filetime_from_unix, Event, EvtxWriter, Value};

/// Sysmon's provider and channel.
pub const SYSMON: &str = "Microsoft-Windows-Sysmon";
const CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
/// The real provider host, as Sysmon writes it.
pub const WMI: &str = "C:\\Windows\\system32\\wbem\\wmiprvse.exe";
const SID: &str = "S-1-5-21-3623811015-3361044348-30300820-1013";
/// 2024-03-01T10:00:00Z.
const BASE_TIME: i64 = 1_709_287_200;

/// A finding an event must produce: detection id, severity, action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    pub detection: &'static str,
    pub severity: &'static str,
    pub action: &'static str,
}

const fn expect(
    detection: &'static str,
    severity: &'static str,
    action: &'static str,
) -> Option<Expect> {
    Some(Expect {
        detection,
        severity,
        action,
    })
}

/// One fixture file.
pub struct Fixture {
    /// File name in `testdata/`.
    pub name: &'static str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// (record id, expected finding) for every record that must produce one.
    pub expected: Vec<(u64, Expect)>,
    /// Number of records written.
    pub records: u64,
    /// Every event as written (time and host set), with its record id: what a SIEM would
    /// hold for the file (the Sigma engine test loads them).
    pub events: Vec<(u64, Event)>,
}

/// Sysmon field sets differ by version: which optional fields an event carries.
#[derive(Clone, Copy)]
pub enum Version {
    /// Sysmon 11+: RuleName and User.
    Current,
    /// Sysmon 8–10: RuleName, no User.
    NoUser,
    /// Sysmon 6–7: neither.
    Old,
}

/// A Sysmon registry event (EID 12, 13 or 14) as Sysmon encodes it.
pub fn registry(
    eid: u16,
    event_type: &str,
    image: &str,
    target: &str,
    details: Option<&str>,
    version: Version,
) -> Event {
    let mut e = Event::new(SYSMON, eid, CHANNEL, "WS01.corp.example", 0);
    e.version = 2;
    e.task = eid;
    e.process_id = 2144;
    e.thread_id = 3312;
    e.user_sid = Some("S-1-5-18".into());
    if !matches!(version, Version::Old) {
        e = e.with("RuleName", "-");
    }
    e = e
        .with("EventType", event_type)
        .with("UtcTime", "2024-03-01 10:00:00.000")
        .with("ProcessGuid", "{747f3d96-041e-5fd2-0000-001024df3b00}")
        .with("ProcessId", Value::U32(5580))
        .with("Image", image)
        .with("TargetObject", target);
    if let Some(details) = details {
        e = e.with("Details", details);
    }
    if matches!(version, Version::Current) {
        e = e.with("User", "NT AUTHORITY\\SYSTEM");
    }
    e
}

fn set(target: &str) -> Event {
    registry(
        13,
        "SetValue",
        WMI,
        target,
        Some("C:\\ProgramData\\evil.exe"),
        Version::Current,
    )
}

fn rename(target: &str, new_name: &str) -> Event {
    registry(14, "RenameKey", WMI, target, None, Version::Current).with("NewName", new_name)
}

/// A Sysmon process creation whose parent is WmiPrvSE.exe: names it, is no registry event.
pub fn process_create(image: &str, parent: &str, n: u64) -> Event {
    let mut e = Event::new(SYSMON, 1, CHANNEL, "WS01.corp.example", 0);
    e.version = 5;
    e.user_sid = Some("S-1-5-18".into());
    e.with("RuleName", "-")
        .with("UtcTime", "2024-03-01 10:00:00.000")
        .with("ProcessGuid", "{747f3d96-041e-5fd2-0000-0010aaaaaaaa}")
        .with("ProcessId", Value::U32(1000 + (n % 5000) as u32))
        .with("Image", image)
        .with("CommandLine", format!("{image} /task {n}"))
        .with("CurrentDirectory", "C:\\Windows\\system32\\")
        .with("User", "NT AUTHORITY\\SYSTEM")
        .with(
            "Hashes",
            "SHA256=0000000000000000000000000000000000000000000000000000000000000000",
        )
        .with(
            "ParentProcessGuid",
            "{747f3d96-041e-5fd2-0000-001024df3b00}",
        )
        .with("ParentProcessId", Value::U32(5580))
        .with("ParentImage", parent)
}

/// Builds a fixture from (event, expectation) pairs, every event from `host`; `break_before`
/// lists the indices that start a new chunk.
fn build(
    name: &'static str,
    host: &str,
    events: Vec<(Event, Option<Expect>)>,
    break_before: &[usize],
) -> Fixture {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut expected = Vec::new();
    let mut written = Vec::new();
    let records = events.len() as u64;
    {
        let mut writer = EvtxWriter::new(&mut out).expect("writer");
        for (i, (mut event, expect)) in events.into_iter().enumerate() {
            if break_before.contains(&i) {
                writer.break_chunk().expect("break");
            }
            event.time = filetime_from_unix(BASE_TIME + i as i64, 125_000_000);
            event.computer = host.to_string();
            let id = writer.push(&event).expect("push");
            if let Some(expect) = expect {
                expected.push((id, expect));
            }
            written.push((id, event));
        }
        writer.finish().expect("finish");
    }
    Fixture {
        name,
        bytes: out.into_inner(),
        expected,
        records,
        events: written,
    }
}

const RUN: &str = "SOFTWARE\\Microsoft\\Windows\\CurrentVersion";
const NT: &str = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";

/// Every detection and every location, machine and user hive where it applies.
fn detections() -> Fixture {
    let high = |d| expect(d, "high", "SetValue");
    let u = |p: &str| format!("HKU\\{SID}\\{p}");
    let m = |p: &str| format!("HKLM\\{p}");
    let mut events = Vec::new();
    for key in [
        "Run",
        "RunOnce",
        "RunServices",
        "RunServicesOnce",
        "Policies\\Explorer\\Run",
    ] {
        events.push((set(&m(&format!("{RUN}\\{key}\\Updater"))), high("run_keys")));
        events.push((set(&u(&format!("{RUN}\\{key}\\Updater"))), high("run_keys")));
    }
    events.push((
        set(&m(&format!("{RUN}\\RunOnceEx\\0001\\Depend\\1"))),
        high("run_keys"),
    ));
    events.push((
        set(&u(&format!("{RUN}\\RunOnceEx\\Title"))),
        high("run_keys"),
    ));
    events.push((
        set(&m(
            "SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
        )),
        high("run_keys"),
    ));
    events.push((set(&u(&format!("{NT}\\Windows\\Load"))), high("run_keys")));
    events.push((set(&u(&format!("{NT}\\Windows\\Run"))), high("run_keys")));
    events.push((
        set("HKLM\\System\\CurrentControlSet\\Services\\EvilSvc\\ImagePath"),
        high("service_image"),
    ));
    events.push((
        set("HKLM\\System\\CurrentControlSet\\Services\\EvilSvc\\ServiceDll"),
        high("service_image"),
    ));
    events.push((
        set("HKLM\\System\\CurrentControlSet\\Services\\EvilSvc\\Parameters\\ServiceDll"),
        high("service_image"),
    ));
    for p in [
        format!("{NT}\\Winlogon\\Shell"),
        format!("{NT}\\Winlogon\\Userinit"),
        format!("{NT}\\Winlogon\\Shell\\Extra"),
        format!("{RUN}\\Policies\\System\\Shell"),
    ] {
        events.push((set(&m(&p)), high("winlogon_shell")));
        events.push((set(&u(&p)), high("winlogon_shell")));
    }
    events.push((
        set(&u("Environment\\UserInitMprLogonScript")),
        high("logon_scripts"),
    ));
    for kind in ["Logon", "Logoff", "Startup", "Shutdown"] {
        events.push((
            set(&u(&format!(
                "SOFTWARE\\Policies\\Microsoft\\Windows\\System\\Scripts\\{kind}\\Script"
            ))),
            high("logon_scripts"),
        ));
        events.push((
            set(&m(&format!(
                "{RUN}\\Group Policy\\Scripts\\{kind}\\0\\0\\Script"
            ))),
            high("logon_scripts"),
        ));
    }
    events.push((
        set(&u("SOFTWARE\\Microsoft\\Command Processor\\Autorun")),
        high("command_processor_autorun"),
    ));
    events.push((
        set(&m("SOFTWARE\\Microsoft\\Command Processor\\AutoRun")),
        high("command_processor_autorun"),
    ));
    events.push((
        set(&u(
            "SOFTWARE\\Microsoft\\Ctf\\LangBarAddin\\{1234}\\FilePath",
        )),
        high("ctf_langbar_addin"),
    ));
    events.push((
        set(&u(
            "SOFTWARE\\Microsoft\\Internet Explorer\\Extensions\\{5678}\\Exec",
        )),
        high("ie_extension"),
    ));
    events.push((
        set(&u(
            "SOFTWARE\\Microsoft\\Internet Explorer\\Extensions\\{5678}\\Script",
        )),
        high("ie_extension"),
    ));
    build("detections.evtx", "WS01.corp.example", events, &[])
}

/// Every hive spelling, control set and WOW64 view, and hives a location does not apply to.
fn hives() -> Fixture {
    let run = expect("run_keys", "high", "SetValue");
    let svc = expect("service_image", "high", "SetValue");
    let tail = "Microsoft\\Windows\\CurrentVersion\\Run\\Updater";
    let events = vec![
        (set(&format!("HKLM\\SOFTWARE\\{tail}")), run),
        (set(&format!("hklm\\software\\{}", tail.to_lowercase())), run),
        (set(&format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\{tail}")), run),
        (set(&format!("\\REGISTRY\\MACHINE\\SOFTWARE\\{tail}")), run),
        (set(&format!("\\REGISTRY\\MACHINE\\SOFTWARE\\WOW6432Node\\{tail}")), run),
        (set(&format!("HKU\\{SID}\\Software\\{tail}")), run),
        (set(&format!("HKEY_USERS\\{SID}\\Software\\{tail}")), run),
        (set(&format!("\\REGISTRY\\USER\\{SID}\\Software\\{tail}")), run),
        (set(&format!("HKU\\.DEFAULT\\Software\\{tail}")), run),
        (set(&format!("HKCU\\Software\\{tail}")), run),
        (set(&format!("HKEY_CURRENT_USER\\Software\\{tail}")), run),
        (set(&format!("HKU\\{SID}\\Software\\WOW6432Node\\{tail}")), run),
        (set("HKLM\\SYSTEM\\ControlSet001\\Services\\EvilSvc\\ImagePath"), svc),
        (set("HKLM\\SYSTEM\\ControlSet002\\Services\\EvilSvc\\ImagePath"), svc),
        (set("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\EvilSvc\\ImagePath"), svc),
        (set("HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\EvilSvc\\Parameters\\ServiceDll"), svc),
        // Locations that exist only in the other hive.
        (set("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows\\Load"), None),
        (set("HKLM\\Environment\\UserInitMprLogonScript"), None),
        (set(&format!("HKU\\{SID}\\SYSTEM\\CurrentControlSet\\Services\\EvilSvc\\ImagePath")), None),
        // Classes hives, HKCR and application hives hold no autostart locations.
        (set(&format!("HKU\\{SID}_Classes\\Software\\{tail}")), None),
        (set(&format!("HKCR\\Software\\{tail}")), None),
        (set(&format!("\\REGISTRY\\A\\{{0f3c4e8a-0000-0000-0000-000000000000}}\\Software\\{tail}")), None),
        // A numbered set that is not a control set, and a control set not under SYSTEM.
        (set("HKLM\\SYSTEM\\ControlSetX01\\Services\\EvilSvc\\ImagePath"), None),
        (set("HKLM\\SOFTWARE\\ControlSet001\\Services\\EvilSvc\\ImagePath"), None),
    ];
    build("hives.evtx", "WS02.corp.example", events, &[])
}

/// EID 12, 13 and 14 with every action, and the severity each gets.
fn actions() -> Fixture {
    let run_key = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
    let key = |eid, t: &str, target: &str| registry(eid, t, WMI, target, None, Version::Current);
    let events = vec![
        (key(12, "CreateKey", "HKLM\\SOFTWARE"), None),
        (key(12, "CreateKey", "HKLM\\SOFTWARE\\Microsoft"), None),
        (
            key(12, "CreateKey", "HKLM\\SOFTWARE\\Microsoft\\Wbem"),
            None,
        ),
        (
            key(12, "CreateKey", run_key),
            expect("run_keys", "medium", "CreateKey"),
        ),
        (
            key(
                12,
                "CreateKey",
                "HKLM\\System\\CurrentControlSet\\Services\\EvilSvc",
            ),
            expect("service_image", "medium", "CreateKey"),
        ),
        (
            set(&format!("{run_key}\\Updater")),
            expect("run_keys", "high", "SetValue"),
        ),
        (
            key(12, "DeleteValue", &format!("{run_key}\\Updater")),
            expect("run_keys", "low", "DeleteValue"),
        ),
        (
            key(
                12,
                "DeleteKey",
                "HKLM\\System\\CurrentControlSet\\Services\\EvilSvc",
            ),
            expect("service_image", "low", "DeleteKey"),
        ),
        (
            key(
                12,
                "CreateKey",
                "HKLM\\System\\CurrentControlSet\\Services\\Staging",
            ),
            expect("service_image", "medium", "CreateKey"),
        ),
        // A rename onto a persistence path is caught by its new name.
        (
            rename(
                "HKLM\\SOFTWARE\\Staging\\Svc",
                "HKLM\\System\\CurrentControlSet\\Services\\EvilSvc2",
            ),
            expect("service_image", "medium", "RenameKey"),
        ),
        (
            rename(&format!("{run_key}Backup"), run_key),
            expect("run_keys", "medium", "RenameKey"),
        ),
        (
            rename("HKLM\\SOFTWARE\\Staging\\A", "HKLM\\SOFTWARE\\Staging\\B"),
            None,
        ),
        // A value set on a key path alone (no value part matching) is not a finding.
        (
            set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"),
            None,
        ),
        (
            registry(
                13,
                "SetValue",
                WMI,
                &format!("{run_key}\\Legacy"),
                Some("old.exe"),
                Version::NoUser,
            ),
            expect("run_keys", "high", "SetValue"),
        ),
        (
            registry(
                13,
                "SetValue",
                WMI,
                &format!("{run_key}\\Oldest"),
                Some("oldest.exe"),
                Version::Old,
            ),
            expect("run_keys", "high", "SetValue"),
        ),
    ];
    build("actions.evtx", "WS03.corp.example", events, &[])
}

/// Writer spellings, masquerades and key names that look like persistence but are not.
fn near_misses() -> Fixture {
    let run = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater";
    let by = |image: &str| registry(13, "SetValue", image, run, Some("x.exe"), Version::Current);
    let hit = expect("run_keys", "high", "SetValue");
    let events = vec![
        (by("C:\\WINDOWS\\SYSTEM32\\WBEM\\WMIPRVSE.EXE"), hit),
        (by("C:\\Windows\\SysWOW64\\wbem\\WmiPrvSE.exe"), hit),
        (by("\\\\?\\C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"), hit),
        (by("C:\\Users\\Public\\WmiPrvSE.exe"), hit),
        (by("C:\\Windows\\Temp\\fakewmiprvse.exe"), None),
        (by("C:\\Windows\\System32\\wbem\\wmiprvse.exe.bak"), None),
        (by("C:\\Windows\\System32\\wbem\\wmiprvse"), None),
        (
            set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Runner\\x"),
            None,
        ),
        (
            set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnceBackup\\x"),
            None,
        ),
        (
            set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Sub\\x"),
            None,
        ),
        (
            set("HKLM\\System\\CurrentControlSet\\Services\\EvilSvc\\Description"),
            None,
        ),
        (
            set("HKLM\\System\\CurrentControlSet\\Services\\ImagePath"),
            None,
        ),
        (
            set("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\Shellx"),
            None,
        ),
        // A value whose name starts with NUL: Sysmon shows the path ending in `Run\`.
        (
            set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\"),
            hit,
        ),
    ];
    build("near_misses.evtx", "WS04.corp.example", events, &[])
}

/// Other processes writing the same keys, and WmiPrvSE.exe in other events.
fn other_writers() -> Fixture {
    let run = "HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater";
    let by = |image: &str| registry(13, "SetValue", image, run, Some("x.exe"), Version::Current);
    let mut not_sysmon = registry(13, "SetValue", WMI, run, Some("x.exe"), Version::Current);
    not_sysmon.provider = "Microsoft-Windows-Sysmon-Lookalike".into();
    let mut not_registry = registry(13, "SetValue", WMI, run, Some("x.exe"), Version::Current);
    not_registry.event_id = 11;
    let events = vec![
        (by("C:\\Windows\\system32\\reg.exe"), None),
        (
            by("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),
            None,
        ),
        (by("C:\\Windows\\system32\\svchost.exe"), None),
        (by("C:\\Windows\\regedit.exe"), None),
        (
            process_create("C:\\Windows\\System32\\cmd.exe", WMI, 1),
            None,
        ),
        (not_sysmon, None),
        (not_registry, None),
        (
            registry(
                13,
                "SetValue",
                WMI,
                "HKLM\\SOFTWARE\\Microsoft\\Wbem\\CIMOM\\Logging",
                Some("1"),
                Version::Current,
            ),
            None,
        ),
    ];
    build("other_writers.evtx", "WS05.corp.example", events, &[])
}

/// A log of several chunks: noise that names WmiPrvSE.exe in other events, with findings in
/// the first, a middle and the last chunk.
fn multi_chunk() -> Fixture {
    let mut events = Vec::new();
    for n in 0..900u64 {
        let parent = if n % 7 == 0 {
            WMI
        } else {
            "C:\\Windows\\explorer.exe"
        };
        events.push((
            process_create("C:\\Windows\\System32\\notepad.exe", parent, n),
            None,
        ));
        if n == 3 || n == 450 || n == 899 {
            events.push((
                set(&format!(
                    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Chunky{n}"
                )),
                expect("run_keys", "high", "SetValue"),
            ));
        }
    }
    build("multi_chunk.evtx", "SRV01.corp.example", events, &[600])
}

/// An EVTX file without the .evtx name, found by its signature.
fn renamed() -> Fixture {
    let events = vec![(
        set("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce\\Renamed"),
        expect("run_keys", "high", "SetValue"),
    )];
    build(
        "collected/HOST2/sysmon-export.dat",
        "HOST2.corp.example",
        events,
        &[],
    )
}

/// A Security 4688 process creation.
pub fn security_4688(image: &str, command_line: &str) -> Event {
    let mut e = Event::new(
        "Microsoft-Windows-Security-Auditing",
        4688,
        "Security",
        "WS06.corp.example",
        0,
    );
    e.version = 2;
    e.task = 13312;
    e.keywords = 0x8020_0000_0000_0000;
    e.with("SubjectUserSid", Value::Sid("S-1-5-18".into()))
        .with("SubjectUserName", "WS06$")
        .with("SubjectDomainName", "CORP")
        .with("SubjectLogonId", Value::Hex64(0x3e7))
        .with("NewProcessId", Value::Hex64(0x1a2c))
        .with("NewProcessName", image)
        .with("TokenElevationType", "%%1936")
        .with("ProcessId", Value::Hex64(0x2b4))
        .with("CommandLine", command_line)
        .with("ParentProcessName", "C:\\Windows\\System32\\services.exe")
}

/// Payloads written by WMI, and process creations after (and before) the writes: which
/// payloads ran. The same host's Security log is `execution_security`.
fn execution() -> Fixture {
    let run = |name: &str, data: &str| {
        registry(
            13,
            "SetValue",
            WMI,
            &format!("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\{name}"),
            Some(data),
            Version::Current,
        )
    };
    let hit = expect("run_keys", "high", "SetValue");
    let started = |image: &str, n: u64| process_create(image, "C:\\Windows\\explorer.exe", n);
    let mut rundll = process_create(
        "C:\\Windows\\System32\\rundll32.exe",
        "C:\\Windows\\explorer.exe",
        7,
    );
    rundll.data.retain(|(name, _)| name != "CommandLine");
    rundll.data.push((
        "CommandLine".into(),
        "rundll32.exe C:\\ProgramData\\a.dll,Start".into(),
    ));
    let events = vec![
        // 0: late.exe runs before it is written: that run does not count.
        (started("C:\\Users\\Public\\late.exe", 1), None),
        (run("Update", "C:\\Users\\Public\\update.exe"), hit),
        (
            run("Loader", "rundll32.exe C:\\ProgramData\\a.dll,Start"),
            hit,
        ),
        (run("Never", "C:\\ProgramData\\never.exe"), hit),
        (run("Late", "C:\\Users\\Public\\late.exe"), hit),
        (run("Sec", "C:\\ProgramData\\sec.exe -q"), hit),
        // 6: another rundll32 that is not the payload.
        (started("C:\\Windows\\System32\\rundll32.exe", 6), None),
        (started("C:\\Users\\Public\\update.exe", 2), None),
        (rundll, None),
    ];
    build(
        "execution/WS06-Sysmon.evtx",
        "WS06.corp.example",
        events,
        &[],
    )
}

/// The Security log of the host in `execution`: the run of `sec.exe`, seen only as 4688.
fn execution_security() -> Fixture {
    let mut events: Vec<(Event, Option<Expect>)> = (0..10)
        .map(|n| {
            (
                security_4688(
                    "C:\\Windows\\System32\\svchost.exe",
                    &format!("svchost.exe -k {n}"),
                ),
                None,
            )
        })
        .collect();
    events.push((
        security_4688("C:\\ProgramData\\sec.exe", "C:\\ProgramData\\sec.exe -q"),
        None,
    ));
    build(
        "execution/WS06-Security.evtx",
        "WS06.corp.example",
        events,
        &[],
    )
}

/// A Security 4657 "registry value was modified", as written with registry auditing on.
pub fn security_4657(
    process: &str,
    key: &str,
    value: &str,
    operation: &str,
    new_value: &str,
) -> Event {
    let mut e = Event::new(
        "Microsoft-Windows-Security-Auditing",
        4657,
        "Security",
        "DC02.corp.example",
        0,
    );
    e.task = 12801;
    e.keywords = 0x8020_0000_0000_0000;
    e.with("SubjectUserSid", Value::Sid("S-1-5-21-1-2-3-500".into()))
        .with("SubjectUserName", "Administrator")
        .with("SubjectDomainName", "CORP")
        .with("SubjectLogonId", Value::Hex64(0x5e4c1))
        .with("ObjectName", key)
        .with("ObjectValueName", value)
        .with("HandleId", Value::Hex64(0x3c8))
        .with("OperationType", operation)
        .with("OldValueType", "-")
        .with("OldValue", "-")
        .with("NewValueType", "%%1873")
        .with("NewValue", new_value)
        .with("ProcessId", Value::Hex64(0x1a2c))
        .with("ProcessName", process)
}

/// Registry auditing instead of Sysmon: Security 4657 events by WmiPrvSE.exe and others.
fn security_registry() -> Fixture {
    let run = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
    let svc = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\EvilSvc";
    let wmi = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";
    let events = vec![
        (
            security_4657(wmi, run, "Updater", "%%1904", "C:\\ProgramData\\evil.exe"),
            expect("run_keys", "high", "SetValue"),
        ),
        (
            security_4657(wmi, run, "Updater", "%%1905", "C:\\ProgramData\\evil2.exe"),
            expect("run_keys", "high", "SetValue"),
        ),
        (
            security_4657(
                wmi,
                svc,
                "ImagePath",
                "%%1905",
                "C:\\Windows\\Temp\\svc.exe",
            ),
            expect("service_image", "high", "SetValue"),
        ),
        (
            security_4657(wmi, run, "Updater", "%%1906", "-"),
            expect("run_keys", "low", "DeleteValue"),
        ),
        (
            security_4657("C:\\Windows\\regedit.exe", run, "Other", "%%1905", "x.exe"),
            None,
        ),
        (
            security_4657(
                wmi,
                "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Wbem\\CIMOM",
                "Logging",
                "%%1905",
                "1",
            ),
            None,
        ),
    ];
    build(
        "security_4657/DC02-Security.evtx",
        "DC02.corp.example",
        events,
        &[],
    )
}

/// Every fixture.
pub fn all() -> Vec<Fixture> {
    vec![
        security_registry(),
        execution(),
        execution_security(),
        detections(),
        hives(),
        actions(),
        near_misses(),
        other_writers(),
        multi_chunk(),
        renamed(),
        wider::fixture(),
        subscriptions::sysmon_fixture(),
        subscriptions::host_sysmon_fixture(),
        subscriptions::activity_fixture(),
        subscriptions::other_activity_fixture(),
    ]
}
