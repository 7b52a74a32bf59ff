//! Fixture cases for the wider catalog (issue 12): every location beyond the reference rule's,
//! written in every hive spelling it applies to (a finding each), and its whole-component near
//! misses (none): a sibling of its last named key, a value one key deeper, another value name,
//! a hive it is not in. The locations are listed here again, by hand, so that the fixtures test
//! the catalog instead of repeating it.

use super::{build, expect, registry, set, Expect, Fixture, Version, WMI};
use crate::writer::Event;

const SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1105";

/// Which hives a location is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum In {
    Machine,
    User,
    Both,
}

/// (detection, hives, key pattern (`*` one key), value name or `*`, the names put for the
/// `*`s, `|` between them).
type Location = (&'static str, In, String, &'static str, &'static str);

const NT: &str = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";
const CCS: &str = "SYSTEM\\CurrentControlSet";

/// Every location of the wider catalog, as `docs/detections.md` lists them.
fn locations() -> Vec<Location> {
    let owned =
        |(d, hives, key, value, name): (&'static str, In, &str, &'static str, &'static str)| {
            (d, hives, key.to_string(), value, name)
        };
    let mut all: Vec<_> = [
        (
            "shell_command_handler",
            In::Both,
            "SOFTWARE\\Classes\\*\\shell\\*\\command",
            "*",
            "ms-browser|open",
        ),
        (
            "shell_command_handler",
            In::Both,
            "SOFTWARE\\Classes\\Applications\\*\\shell\\*\\command",
            "*",
            "notepad.exe|edit",
        ),
        (
            "shell_command_handler",
            In::Both,
            "SOFTWARE\\Classes\\SystemFileAssociations\\*\\shell\\*\\command",
            "*",
            ".txt|print",
        ),
        (
            "com_server_user_hive",
            In::User,
            "SOFTWARE\\Classes\\CLSID\\*\\InprocServer32",
            "(Default)",
            "{b5f8350b-0548-48b1-a6ee-88bd00b4a5e7}",
        ),
        (
            "com_server_user_hive",
            In::User,
            "SOFTWARE\\Classes\\CLSID\\*\\LocalServer32",
            "(Default)",
            "{0358b920-0ac7-461f-98f4-58e32cd89148}",
        ),
        (
            "netsh_helper",
            In::Machine,
            "SOFTWARE\\Microsoft\\NetSh",
            "*",
            "",
        ),
        (
            "active_setup",
            In::Machine,
            "SOFTWARE\\Microsoft\\Active Setup\\Installed Components\\*",
            "StubPath",
            "{7d5e1a2b-0000-4c3d-9e8f-112233445566}",
        ),
        (
            "startup_folder_redirect",
            In::Both,
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders",
            "Startup",
            "",
        ),
        (
            "startup_folder_redirect",
            In::Both,
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders",
            "Common Startup",
            "",
        ),
        (
            "startup_folder_redirect",
            In::Both,
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders",
            "Startup",
            "",
        ),
        (
            "startup_folder_redirect",
            In::Both,
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders",
            "Common Startup",
            "",
        ),
        (
            "office_test",
            In::Both,
            "SOFTWARE\\Microsoft\\Office test\\Special\\Perf",
            "*",
            "",
        ),
    ]
    .into_iter()
    .map(owned)
    .collect();
    let nt = |d, key: &str, value, name| (d, In::Machine, format!("{NT}\\{key}"), value, name);
    let ccs = |d, key: &str, value, name| (d, In::Machine, format!("{CCS}\\{key}"), value, name);
    all.extend([
        nt(
            "image_file_execution_options",
            "Image File Execution Options\\*",
            "Debugger",
            "sethc.exe",
        ),
        nt(
            "image_file_execution_options",
            "Image File Execution Options\\*",
            "GlobalFlag",
            "notepad.exe",
        ),
        nt(
            "image_file_execution_options",
            "SilentProcessExit\\*",
            "MonitorProcess",
            "notepad.exe",
        ),
        nt("appinit_dlls", "Windows", "AppInit_DLLs", ""),
        nt("appinit_dlls", "Windows", "LoadAppInit_DLLs", ""),
        nt(
            "winlogon_helper_dll",
            "Winlogon\\Notify\\*",
            "*",
            "EvilNotify",
        ),
        nt(
            "winlogon_helper_dll",
            "Winlogon\\GPExtensions\\*",
            "DllName",
            "{8e3f1c2a-0000-4a5b-9c8d-aabbccddeeff}",
        ),
        ccs(
            "appcert_dlls",
            "Control\\Session Manager\\AppCertDlls",
            "*",
            "",
        ),
        ccs(
            "lsa_packages",
            "Control\\Lsa",
            "Authentication Packages",
            "",
        ),
        ccs("lsa_packages", "Control\\Lsa", "Security Packages", ""),
        ccs(
            "lsa_packages",
            "Control\\Lsa\\OSConfig",
            "Security Packages",
            "",
        ),
        ccs("lsa_packages", "Control\\Lsa", "Notification Packages", ""),
        ccs(
            "session_manager_execute",
            "Control\\Session Manager",
            "BootExecute",
            "",
        ),
        ccs(
            "session_manager_execute",
            "Control\\Session Manager",
            "SetupExecute",
            "",
        ),
        ccs(
            "session_manager_execute",
            "Control\\Session Manager",
            "Execute",
            "",
        ),
        ccs(
            "print_monitor",
            "Control\\Print\\Monitors\\*",
            "Driver",
            "Evil Port",
        ),
        ccs(
            "time_provider",
            "Services\\W32Time\\TimeProviders\\*",
            "DllName",
            "EvilTime",
        ),
        ccs(
            "terminal_server_startup",
            "Control\\Terminal Server\\Wds\\rdpwd",
            "StartupPrograms",
            "",
        ),
        ccs(
            "terminal_server_startup",
            "Control\\Terminal Server\\WinStations\\RDP-Tcp",
            "InitialProgram",
            "",
        ),
    ]);
    all
}

/// The location's key with its `*`s replaced by `names` (`|` between them, the last one
/// repeated), and the index of its last named (not `*`) component.
fn concrete(pattern: &str, names: &str) -> (Vec<String>, usize) {
    let mut names = names.split('|').peekable();
    let mut last = "";
    let parts: Vec<String> = pattern
        .split('\\')
        .map(|p| {
            if p != "*" {
                return p.to_string();
            }
            last = names.next().unwrap_or(last);
            last.to_string()
        })
        .collect();
    let pattern_parts: Vec<&str> = pattern.split('\\').collect();
    let last_named = pattern_parts.iter().rposition(|p| *p != "*").unwrap_or(0);
    (parts, last_named)
}

/// Every spelling of the machine hive.
pub fn machine_spellings() -> [String; 3] {
    ["HKLM", "HKEY_LOCAL_MACHINE", "\\REGISTRY\\MACHINE"].map(String::from)
}

/// Every spelling of a user's hive (`HKCU` and `HKEY_CURRENT_USER` without the SID).
pub fn user_spellings(sid: &str) -> [String; 5] {
    [
        format!("HKU\\{sid}"),
        format!("HKEY_USERS\\{sid}"),
        format!("\\REGISTRY\\USER\\{sid}"),
        "HKCU".into(),
        "HKEY_CURRENT_USER".into(),
    ]
}

/// Every spelling of the hives `hives` names, as the prefix a key is written under; a classes
/// hive's spellings are given with `classes: true` and apply to the key below
/// `SOFTWARE\Classes`.
fn spellings(hives: In) -> Vec<(String, bool)> {
    let machine = machine_spellings();
    let user = user_spellings(SID);
    let root = ["HKCR", "HKEY_CLASSES_ROOT"].map(String::from);
    let user_classes = [
        format!("HKU\\{SID}_Classes"),
        format!("HKEY_USERS\\{SID}_CLASSES"),
        format!("\\REGISTRY\\USER\\{SID}_Classes"),
    ];
    let plain = |p: &[String]| p.iter().map(|h| (h.clone(), false)).collect::<Vec<_>>();
    let classes = |p: &[String]| p.iter().map(|h| (h.clone(), true)).collect::<Vec<_>>();
    match hives {
        In::Machine => [plain(&machine), classes(&root)].concat(),
        In::User => [plain(&user), classes(&user_classes)].concat(),
        In::Both => [
            plain(&machine),
            plain(&user),
            classes(&root),
            classes(&user_classes),
        ]
        .concat(),
    }
}

/// The events of one location: hits in every spelling, then the near misses.
fn location_events(
    &(detection, hives, ref pattern, value, name): &Location,
) -> Vec<(Event, Option<Expect>)> {
    let hit = expect(detection, "high", "SetValue");
    let (parts, last_named) = concrete(pattern, name);
    let key = parts.join("\\");
    let classes_rest = key.strip_prefix("SOFTWARE\\Classes\\").map(str::to_string);
    let value = if value == "*" { "Helper" } else { value };
    let mut events = Vec::new();
    for (hive, classes) in spellings(hives) {
        match (&classes_rest, classes) {
            (Some(rest), true) => events.push((set(&format!("{hive}\\{rest}\\{value}")), hit)),
            (_, false) => events.push((set(&format!("{hive}\\{key}\\{value}")), hit)),
            (None, true) => {}
        }
    }
    if key.starts_with("SYSTEM\\CurrentControlSet") {
        let numbered = key.replacen("CurrentControlSet", "ControlSet001", 1);
        events.push((set(&format!("HKLM\\{numbered}\\{value}")), hit));
    }
    let home = if hives == In::User {
        format!("HKU\\{SID}")
    } else {
        "HKLM".to_string()
    };
    let mut sibling = parts.clone();
    if let Some(part) = sibling.get_mut(last_named) {
        part.push('x');
    }
    let mut near = vec![
        format!("{home}\\{}\\{value}", sibling.join("\\")),
        format!("{home}\\{key}\\Sub\\{value}"),
    ];
    if value != "Helper" {
        near.push(format!("{home}\\{key}\\{value}x"));
    }
    near.push(match hives {
        In::Machine => format!("HKU\\{SID}\\{key}\\{value}"),
        In::User => format!("HKLM\\{key}\\{value}"),
        In::Both => format!("\\REGISTRY\\A\\{{0f3c4e8a-1}}\\{key}\\{value}"),
    });
    if let Some(rest) = &classes_rest {
        // The classes hive holds the key below `SOFTWARE\Classes`, not the whole path again.
        near.push(format!("HKU\\{SID}_Classes\\{key}\\{value}"));
        if hives == In::User {
            // HKCR writes land in the machine's classes: no user-hive COM server.
            near.push(format!("HKCR\\{rest}\\{value}"));
        }
    }
    events.extend(near.iter().map(|target| (set(target), None)));
    events
}

/// Every location of the wider catalog: the hits and near misses, and a key created and a
/// value deleted at a few of them (the severity follows the action).
pub fn fixture() -> Fixture {
    let mut events: Vec<(Event, Option<Expect>)> =
        locations().iter().flat_map(location_events).collect();
    let ifeo = format!("HKLM\\{NT}\\Image File Execution Options\\utilman.exe");
    let key = |event_type: &str, target: &str| {
        registry(12, event_type, WMI, target, None, Version::NoUser)
    };
    events.push((
        key("CreateKey", &ifeo),
        expect("image_file_execution_options", "medium", "CreateKey"),
    ));
    events.push((
        key("DeleteValue", &format!("{ifeo}\\Debugger")),
        expect("image_file_execution_options", "low", "DeleteValue"),
    ));
    events.push((
        key("CreateKey", "HKCR\\evil-proto\\shell\\open\\command"),
        expect("shell_command_handler", "medium", "CreateKey"),
    ));
    // Creating the handler's ancestors is not a finding.
    events.push((key("CreateKey", "HKCR\\evil-proto\\shell\\open"), None));
    events.push((
        key(
            "CreateKey",
            "HKU\\S-1-5-21-1_Classes\\CLSID\\{x}\\InprocServer32",
        ),
        expect("com_server_user_hive", "medium", "CreateKey"),
    ));
    build("wider_catalog.evtx", "WS07.corp.example", events, &[])
}
