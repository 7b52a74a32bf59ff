//! The detection catalog: every persistence location wmihunt knows, as data. Adding a
//! location is adding a line here; matching (`super::Matcher`) and `wmihunt rules` read it.
//!
//! Pattern syntax, compared case-insensitively against the hive-relative key path after
//! normalisation (`WOW6432Node` dropped, `ControlSet00N` read as `CurrentControlSet`):
//! components are separated by `\`; `*` is exactly one component; a final `**` is any number
//! of components (zero included). The value pattern is a value name or `*` for any value.

mod wider;

use super::Severity;
use serde::Serialize;

/// Which hives a location applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HiveScope {
    /// `HKLM` only.
    Machine,
    /// User hives only (`HKU\<SID>`, `HKCU`).
    User,
    /// Both.
    Both,
}

impl HiveScope {
    /// How the hive part of a location is shown to people.
    pub fn label(self) -> &'static str {
        match self {
            HiveScope::Machine => "HKLM",
            HiveScope::User => "HKU\\*",
            HiveScope::Both => "HKLM|HKU\\*",
        }
    }
}

/// One registry location that runs code: a key pattern and the value(s) under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    /// HiveScope the location is in.
    pub hives: HiveScope,
    /// Key pattern below the hive.
    pub key: &'static str,
    /// Value name, or `*` for every value of the key.
    pub value: &'static str,
}

impl Location {
    /// The location as one path, e.g. `HKLM|HKU\*\SOFTWARE\…\Run\*`.
    pub fn pattern(&self) -> String {
        format!("{}\\{}\\{}", self.hives.label(), self.key, self.value)
    }
}

/// One detection: a persistence technique and the locations that implement it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detection {
    /// Stable identifier used in NDJSON and `wmihunt rules`.
    pub id: &'static str,
    /// Human title.
    pub title: &'static str,
    /// MITRE ATT&CK technique ids (always ending with T1047, the WMI part).
    pub techniques: &'static [&'static str],
    /// The severity of a value set with data at one of its locations: how directly the
    /// location runs code. Other actions rank below it (`super::Action::severity`).
    pub severity: Severity,
    /// Locations covered.
    pub locations: &'static [Location],
}

/// WMI permanent event subscriptions (Sysmon 19/20/21, WMI-Activity 5861): not a registry
/// location, so not in `CATALOG`; `wmihunt rules` lists it after the registry detections.
pub static WMI_SUBSCRIPTION: Detection = Detection {
    id: "wmi_subscription",
    title: "WMI permanent event subscription",
    techniques: &["T1546.003", "T1047"],
    severity: Severity::High,
    locations: &[],
};

/// Any other registry write by WmiPrvSE.exe, reported as context with `--context`.
pub static WMI_REGISTRY_WRITE: Detection = Detection {
    id: "wmi_registry_write",
    title: "Registry write by WMI (context)",
    techniques: &["T1047"],
    severity: Severity::Info,
    locations: &[],
};

/// ATT&CK technique names, for outputs that carry them (ECS `threat.technique.name`).
pub const TECHNIQUE_NAMES: &[(&str, &str)] = &[
    ("T1037", "Boot or Logon Initialization Scripts"),
    ("T1037.001", "Logon Script (Windows)"),
    ("T1047", "Windows Management Instrumentation"),
    ("T1137.002", "Office Test"),
    ("T1176", "Browser Extensions"),
    ("T1543.003", "Windows Service"),
    ("T1546", "Event Triggered Execution"),
    ("T1546.001", "Change Default File Association"),
    (
        "T1546.003",
        "Windows Management Instrumentation Event Subscription",
    ),
    ("T1546.007", "Netsh Helper DLL"),
    ("T1546.009", "AppCert DLLs"),
    ("T1546.010", "AppInit DLLs"),
    ("T1546.012", "Image File Execution Options Injection"),
    ("T1546.015", "Component Object Model Hijacking"),
    ("T1547", "Boot or Logon Autostart Execution"),
    ("T1547.001", "Registry Run Keys / Startup Folder"),
    ("T1547.002", "Authentication Package"),
    ("T1547.003", "Time Providers"),
    ("T1547.004", "Winlogon Helper DLL"),
    ("T1547.005", "Security Support Provider"),
    ("T1547.010", "Port Monitors"),
    ("T1547.014", "Active Setup"),
    ("T1556.002", "Password Filter DLL"),
];

/// The name of an ATT&CK technique id used in the catalog ("" for an unknown id).
pub fn technique_name(id: &str) -> &'static str {
    TECHNIQUE_NAMES
        .iter()
        .find(|(known, _)| *known == id)
        .map_or("", |(_, name)| name)
}

const fn loc(hives: HiveScope, key: &'static str, value: &'static str) -> Location {
    Location { hives, key, value }
}

use HiveScope::{Both, Machine, User};
use Severity::High;

/// Every detection, in the order matching tries them (an event yields at most one finding:
/// the first location it matches): the reference rule's, then the wider catalog's.
pub const CATALOG: &[Detection] =
    &concat::<{ REFERENCE.len() + wider::WIDER.len() }>(REFERENCE, wider::WIDER);

/// `a` then `b` as one array, at compile time (`N` is their total length).
const fn concat<const N: usize>(a: &[Detection], b: &[Detection]) -> [Detection; N] {
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

/// The detections of Elastic's reference rule ("Persistence via WMI Standard Registry
/// Provider"), with the hive spellings fixed; kept as the rule has them.
const REFERENCE: &[Detection] = &[
    Detection {
        id: "run_keys",
        title: "Run key written by WMI",
        techniques: &["T1547.001", "T1047"],
        severity: High,
        locations: &[
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnceEx\\**",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunServices",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunServicesOnce",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer\\Run",
                "*",
            ),
            loc(
                User,
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows",
                "Load",
            ),
            loc(
                User,
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows",
                "Run",
            ),
        ],
    },
    Detection {
        id: "service_image",
        title: "Service ImagePath or ServiceDll written by WMI",
        techniques: &["T1543.003", "T1047"],
        severity: High,
        locations: &[
            loc(
                Machine,
                "SYSTEM\\CurrentControlSet\\Services\\*",
                "ImagePath",
            ),
            loc(
                Machine,
                "SYSTEM\\CurrentControlSet\\Services\\*",
                "ServiceDll",
            ),
            loc(
                Machine,
                "SYSTEM\\CurrentControlSet\\Services\\*\\Parameters",
                "ServiceDll",
            ),
        ],
    },
    Detection {
        id: "winlogon_shell",
        title: "Winlogon Shell or Userinit written by WMI",
        techniques: &["T1547.004", "T1047"],
        severity: High,
        locations: &[
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
                "Shell",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
                "Userinit",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\Shell",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System",
                "Shell",
            ),
        ],
    },
    Detection {
        id: "logon_scripts",
        title: "Logon script written by WMI",
        techniques: &["T1037.001", "T1037", "T1047"],
        severity: High,
        locations: &[
            loc(User, "Environment", "UserInitMprLogonScript"),
            loc(
                Both,
                "SOFTWARE\\Policies\\Microsoft\\Windows\\System\\Scripts\\Logon\\**",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Policies\\Microsoft\\Windows\\System\\Scripts\\Logoff\\**",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Policies\\Microsoft\\Windows\\System\\Scripts\\Startup\\**",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Policies\\Microsoft\\Windows\\System\\Scripts\\Shutdown\\**",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Group Policy\\Scripts\\Logon\\**",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Group Policy\\Scripts\\Logoff\\**",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Group Policy\\Scripts\\Startup\\**",
                "*",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Group Policy\\Scripts\\Shutdown\\**",
                "*",
            ),
        ],
    },
    Detection {
        id: "command_processor_autorun",
        title: "Command Processor AutoRun written by WMI",
        techniques: &["T1546", "T1047"],
        severity: High,
        locations: &[loc(
            Both,
            "SOFTWARE\\Microsoft\\Command Processor",
            "Autorun",
        )],
    },
    Detection {
        id: "ctf_langbar_addin",
        title: "CTF language bar add-in written by WMI",
        techniques: &["T1546", "T1047"],
        severity: High,
        locations: &[loc(
            Both,
            "SOFTWARE\\Microsoft\\Ctf\\LangBarAddin\\*",
            "FilePath",
        )],
    },
    Detection {
        id: "ie_extension",
        title: "Internet Explorer extension command written by WMI",
        techniques: &["T1176", "T1047"],
        severity: High,
        locations: &[
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Internet Explorer\\Extensions\\*",
                "Exec",
            ),
            loc(
                Both,
                "SOFTWARE\\Microsoft\\Internet Explorer\\Extensions\\*",
                "Script",
            ),
        ],
    },
];
