//! The autostart and hijack locations beyond the reference rule's: every registry location an
//! attacker can plant code in through StdRegProv that Windows (or Office) reads by itself.
//! `docs/detections.md` says for each why it runs code. Matched after the reference rule's
//! detections; no location here overlaps one there.

use super::{Detection, Location};
use crate::detect::catalog::HiveScope::{Both, Machine, User};
use crate::detect::Severity::High;

const fn m(key: &'static str, value: &'static str) -> Location {
    super::loc(Machine, key, value)
}

const fn both(key: &'static str, value: &'static str) -> Location {
    super::loc(Both, key, value)
}

const fn user(key: &'static str, value: &'static str) -> Location {
    super::loc(User, key, value)
}

/// The detections, in matching order.
pub const WIDER: &[Detection] = &[
    Detection {
        id: "image_file_execution_options",
        title: "Image File Execution Options debugger or silent-exit monitor written by WMI",
        techniques: &["T1546.012", "T1047"],
        severity: High,
        locations: &[
            m(
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\*",
                "Debugger",
            ),
            m(
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\*",
                "GlobalFlag",
            ),
            m(
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit\\*",
                "MonitorProcess",
            ),
        ],
    },
    Detection {
        id: "appinit_dlls",
        title: "AppInit_DLLs written by WMI",
        techniques: &["T1546.010", "T1047"],
        severity: High,
        locations: &[
            m(
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows",
                "AppInit_DLLs",
            ),
            m(
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows",
                "LoadAppInit_DLLs",
            ),
        ],
    },
    Detection {
        id: "appcert_dlls",
        title: "AppCertDlls written by WMI",
        techniques: &["T1546.009", "T1047"],
        severity: High,
        locations: &[m(
            "SYSTEM\\CurrentControlSet\\Control\\Session Manager\\AppCertDlls",
            "*",
        )],
    },
    Detection {
        id: "shell_command_handler",
        title: "File type or protocol handler command written by WMI",
        techniques: &["T1546.001", "T1047"],
        severity: High,
        locations: &[
            both("SOFTWARE\\Classes\\*\\shell\\*\\command", "*"),
            both("SOFTWARE\\Classes\\Applications\\*\\shell\\*\\command", "*"),
            both(
                "SOFTWARE\\Classes\\SystemFileAssociations\\*\\shell\\*\\command",
                "*",
            ),
        ],
    },
    Detection {
        id: "com_server_user_hive",
        title: "COM server registered in a user hive by WMI",
        techniques: &["T1546.015", "T1047"],
        severity: High,
        locations: &[
            user("SOFTWARE\\Classes\\CLSID\\*\\InprocServer32", "(Default)"),
            user("SOFTWARE\\Classes\\CLSID\\*\\LocalServer32", "(Default)"),
        ],
    },
    Detection {
        id: "lsa_packages",
        title: "LSA authentication package, security support provider or password filter \
                written by WMI",
        techniques: &["T1547.002", "T1547.005", "T1556.002", "T1047"],
        severity: High,
        locations: &[
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Lsa",
                "Authentication Packages",
            ),
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Lsa",
                "Security Packages",
            ),
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Lsa\\OSConfig",
                "Security Packages",
            ),
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Lsa",
                "Notification Packages",
            ),
        ],
    },
    Detection {
        id: "winlogon_helper_dll",
        title: "Winlogon notification package or Group Policy extension DLL written by WMI",
        techniques: &["T1547.004", "T1047"],
        severity: High,
        locations: &[
            m(
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\Notify\\*",
                "*",
            ),
            m(
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\GPExtensions\\*",
                "DllName",
            ),
        ],
    },
    Detection {
        id: "active_setup",
        title: "Active Setup StubPath written by WMI",
        techniques: &["T1547.014", "T1047"],
        severity: High,
        locations: &[m(
            "SOFTWARE\\Microsoft\\Active Setup\\Installed Components\\*",
            "StubPath",
        )],
    },
    Detection {
        id: "session_manager_execute",
        title: "Session Manager boot-time program written by WMI",
        techniques: &["T1547.001", "T1047"],
        severity: High,
        locations: &[
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Session Manager",
                "BootExecute",
            ),
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Session Manager",
                "SetupExecute",
            ),
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Session Manager",
                "Execute",
            ),
        ],
    },
    Detection {
        id: "netsh_helper",
        title: "Netsh helper DLL written by WMI",
        techniques: &["T1546.007", "T1047"],
        severity: High,
        locations: &[m("SOFTWARE\\Microsoft\\NetSh", "*")],
    },
    Detection {
        id: "print_monitor",
        title: "Print monitor DLL written by WMI",
        techniques: &["T1547.010", "T1047"],
        severity: High,
        locations: &[m(
            "SYSTEM\\CurrentControlSet\\Control\\Print\\Monitors\\*",
            "Driver",
        )],
    },
    Detection {
        id: "time_provider",
        title: "Time provider DLL written by WMI",
        techniques: &["T1547.003", "T1047"],
        severity: High,
        locations: &[m(
            "SYSTEM\\CurrentControlSet\\Services\\W32Time\\TimeProviders\\*",
            "DllName",
        )],
    },
    Detection {
        id: "startup_folder_redirect",
        title: "Startup folder redirected by WMI",
        techniques: &["T1547.001", "T1047"],
        severity: High,
        locations: &[
            both(
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders",
                "Startup",
            ),
            both(
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders",
                "Common Startup",
            ),
            both(
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders",
                "Startup",
            ),
            both(
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders",
                "Common Startup",
            ),
        ],
    },
    Detection {
        id: "office_test",
        title: "Office test DLL written by WMI",
        techniques: &["T1137.002", "T1047"],
        severity: High,
        locations: &[both("SOFTWARE\\Microsoft\\Office test\\Special\\Perf", "*")],
    },
    Detection {
        id: "terminal_server_startup",
        title: "Remote Desktop startup program written by WMI",
        techniques: &["T1547", "T1047"],
        severity: High,
        locations: &[
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\Wds\\rdpwd",
                "StartupPrograms",
            ),
            m(
                "SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp",
                "InitialProgram",
            ),
        ],
    },
];
