//! How hosts, addresses, accounts and commands are compared: the same machine is `PC01`,
//! `pc01.corp.example` and (NetBIOS, 15 characters) `DESKTOP-BZ202CP` for `DESKTOP-BZ202CP2`;
//! an address may be IPv4-mapped; service accounts are not callers.

use std::net::IpAddr;

/// A host's NetBIOS-style short name: the first DNS label, upper-case, cut to 15 characters
/// (what `WorkstationName` and WMI-Activity's `ClientMachine` hold). An address stays whole.
pub(crate) fn short_host(name: &str) -> String {
    let name = name.trim().trim_start_matches('\\');
    if name.parse::<IpAddr>().is_ok() {
        return name.to_string();
    }
    let label = name.split('.').next().unwrap_or(name);
    label.to_ascii_uppercase().chars().take(15).collect()
}

/// Whether two host names name the same machine (by short name).
pub(crate) fn same_host(a: &str, b: &str) -> bool {
    let (a, b) = (short_host(a), short_host(b));
    !a.is_empty() && a == b
}

/// An address as a comparable text: IPv4-mapped IPv6 as IPv4, brackets and zone kept out;
/// `None` for text that is no address.
pub(crate) fn address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_start_matches('[').trim_end_matches(']');
    let text = text.split('%').next().unwrap_or(text);
    let ip: IpAddr = text.parse().ok()?;
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

/// Whether an address is this machine whatever its name: loopback or unspecified.
pub(crate) fn is_local_address(ip: &IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified()
}

/// The well-known logon sessions of the local service accounts: SYSTEM (0x3e7), LOCAL
/// SERVICE (0x3e5) and NETWORK SERVICE (0x3e4).
pub(crate) fn is_service_logon(id: u64) -> bool {
    matches!(id, 0x3e4 | 0x3e5 | 0x3e7)
}

/// Whether `DOMAIN\user` (or `user`) is a service account: SYSTEM, LOCAL SERVICE, NETWORK
/// SERVICE, or no account at all.
pub(crate) fn is_service_account(account: &str) -> bool {
    let user = account.rsplit('\\').next().unwrap_or(account).trim();
    user.is_empty()
        || user == "-"
        || ["SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE"]
            .iter()
            .any(|s| user.eq_ignore_ascii_case(s))
}

/// `DOMAIN\user` split; `user` alone has no domain.
pub(crate) fn split_account(account: &str) -> (Option<String>, String) {
    match account.split_once('\\') {
        Some((domain, user)) => (
            (!domain.is_empty()).then(|| domain.to_string()),
            user.to_string(),
        ),
        None => (None, account.to_string()),
    }
}

/// Whether two accounts are the same: user names equal, and domains equal by short name when
/// both are known (`CORP` and `corp.example` are one domain).
pub(crate) fn same_account(a: (&Option<String>, &str), b: (&Option<String>, &str)) -> bool {
    a.1.eq_ignore_ascii_case(b.1)
        && match (a.0, b.0) {
            (Some(x), Some(y)) => same_host(x, y),
            _ => true,
        }
}

/// A machine account (`PC01$`): the computer itself, not a person.
pub(crate) fn is_machine_account(user: &str) -> bool {
    user.ends_with('$')
}

/// The file name of a Windows path, lower-case.
pub(crate) fn file_name(path: &str) -> String {
    path.rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .trim()
        .to_ascii_lowercase()
}

/// Whether `text` names `word` as a whole token (ASCII case-insensitive): `WS01` is in
/// `/node:WS01` and `\\ws01\root`, not in `WS010`.
pub(crate) fn mentions(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let text = text.to_ascii_lowercase();
    let word = word.to_ascii_lowercase();
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(&word).any(|(at, _)| {
        let before = text.get(..at).and_then(|t| t.chars().next_back());
        let after = text.get(at + word.len()..).and_then(|t| t.chars().next());
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

/// Words of a command that calls the registry provider itself.
const REGISTRY_CALLS: &[&str] = &[
    "stdregprov",
    "setstringvalue",
    "setexpandedstringvalue",
    "setmultistringvalue",
    "setdwordvalue",
    "setqwordvalue",
    "setbinaryvalue",
    "createkey",
];

/// Words of a PowerShell command that calls WMI methods (on this or another machine).
const METHOD_CALLS: &[&str] = &["invoke-wmimethod", "invoke-cimmethod"];

/// Every word the pass searches caller-side logs for: `wmic` stands for `wmic /node:`.
pub(crate) fn call_words() -> impl Iterator<Item = &'static str> {
    REGISTRY_CALLS
        .iter()
        .chain(METHOD_CALLS)
        .copied()
        .chain(["wmic"])
}

/// How surely a command made a WMI registry call: 2 names the registry provider or one of
/// its methods, 1 calls WMI methods (`Invoke-WmiMethod`, `wmic /node:`), 0 not.
pub(crate) fn call_strength(text: &str) -> u8 {
    let lower = text.to_ascii_lowercase();
    if REGISTRY_CALLS.iter().any(|w| lower.contains(w)) {
        2
    } else if METHOD_CALLS.iter().any(|w| lower.contains(w)) || lower.contains("/node:") {
        1
    } else {
        0
    }
}

/// The machines a command names as its WMI target: `/node:X` (wmic, also a list `X,Y` or
/// quoted) and `-ComputerName X` / `-cn X` (PowerShell).
pub(crate) fn named_targets(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut names = Vec::new();
    for (marker, list) in [("/node:", true), ("-computername ", false), ("-cn ", false)] {
        for (at, _) in lower.match_indices(marker) {
            let rest = text
                .get(at + marker.len()..)
                .unwrap_or_default()
                .trim_start();
            // The value runs to the first blank outside quotes.
            let mut quoted = false;
            let value: String = rest
                .chars()
                .take_while(|&c| {
                    if matches!(c, '"' | '\'') {
                        quoted = !quoted;
                    }
                    quoted || !c.is_whitespace()
                })
                .collect();
            let parts: Vec<&str> = if list {
                value.split(',').collect()
            } else {
                vec![value.as_str()]
            };
            names.extend(
                parts
                    .into_iter()
                    .map(|p| p.trim_matches(['"', '\'', '\\']).to_string())
                    .filter(|p| !p.is_empty()),
            );
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_compare_by_netbios_name() {
        assert!(same_host("PC01", "pc01.corp.example"));
        assert!(same_host(
            "DESKTOP-BZ202CP",
            "DESKTOP-BZ202CP2.cybercorp.com"
        ));
        assert!(!same_host("WS01", "WS010"));
        assert!(!same_host("", ""));
        assert_eq!(short_host("10.0.2.17"), "10.0.2.17");
    }

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(address("::ffff:10.0.2.17"), address("10.0.2.17"));
        assert!(address("-").is_none());
        assert!(is_local_address(&address("::1").unwrap()));
        assert!(is_local_address(&address("127.0.0.1").unwrap()));
        assert!(!is_local_address(&address("fe80::1%12").unwrap()));
    }

    #[test]
    fn accounts_and_commands() {
        assert!(is_service_account("NT AUTHORITY\\SYSTEM"));
        assert!(is_service_account("NT AUTHORITY\\NETWORK SERVICE"));
        assert!(!is_service_account("CORP\\eve"));
        assert!(same_account(
            (&Some("CORP".into()), "Eve"),
            (&Some("corp.example".into()), "eve")
        ));
        assert!(mentions("wmic /node:WS01 path", "ws01"));
        assert!(mentions("\\\\ws01\\root\\default:StdRegProv", "WS01"));
        assert!(!mentions("wmic /node:WS010 path", "ws01"));
        assert_eq!(
            named_targets("wmic /node:\"WS01\",10.0.0.9 /user:x path StdRegProv"),
            ["WS01", "10.0.0.9"]
        );
        assert_eq!(
            named_targets("Invoke-WmiMethod -ComputerName ws02.corp -Class StdRegProv"),
            ["ws02.corp"]
        );
        assert_eq!(call_strength("Invoke-CimMethod -ClassName StdRegProv"), 2);
        assert_eq!(call_strength("wmic /node:x process call create calc"), 1);
        assert_eq!(call_strength("notepad.exe"), 0);
    }
}
