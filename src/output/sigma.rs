//! The catalog as Sigma rules (one YAML document per detection, logsource
//! `windows`/`registry_event`), so the same detections run in a SIEM. Generated from the
//! catalog, so they cannot drift from it; a test parses them back.

use crate::detect::catalog::{Detection, Hives, CATALOG};
use std::io::{self, Write};

/// A stable UUID for a detection id (Sigma requires one): FNV-1a over the id, shaped as a
/// version-4-style UUID so that validators accept it.
fn rule_uuid(id: &str) -> String {
    let hash = |seed: u64| {
        id.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// YAML single-quoted scalar (backslashes stay literal).
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The hive prefixes Sysmon writes in `TargetObject`, for each hive a location is in.
fn hive_prefixes(hives: Hives) -> &'static [&'static str] {
    const MACHINE: &[&str] = &["HKLM\\", "\\REGISTRY\\MACHINE\\"];
    const USER: &[&str] = &["HKU\\*\\", "\\REGISTRY\\USER\\*\\", "HKCU\\"];
    const BOTH: &[&str] = &[
        "HKLM\\",
        "\\REGISTRY\\MACHINE\\",
        "HKU\\*\\",
        "\\REGISTRY\\USER\\*\\",
        "HKCU\\",
    ];
    match hives {
        Hives::Machine => MACHINE,
        Hives::User => USER,
        Hives::Both => BOTH,
    }
}

/// `TargetObject` wildcard patterns for a detection: every hive spelling Sysmon uses, the
/// `WOW6432Node` view of `SOFTWARE` keys, any control set.
fn target_patterns(d: &Detection) -> Vec<String> {
    let mut patterns = Vec::new();
    for l in d.locations {
        // A Sigma `*` also spans `\`, so `Key\*` already covers every depth below `Key`.
        let key = l
            .key
            .replace("\\**", "")
            .replace("CurrentControlSet", "*ControlSet*");
        let mut keys = vec![key.clone()];
        if let Some(rest) = key.strip_prefix("SOFTWARE\\") {
            keys.push(format!("SOFTWARE\\WOW6432Node\\{rest}"));
        }
        for prefix in hive_prefixes(l.hives) {
            for key in &keys {
                let pattern = format!("{prefix}{key}\\{}", l.value);
                if !patterns.contains(&pattern) {
                    patterns.push(pattern);
                }
            }
        }
    }
    patterns
}

/// Writes every detection as a Sigma rule, documents separated by `---`.
pub fn write(out: &mut dyn Write) -> io::Result<()> {
    for (i, d) in CATALOG.iter().enumerate() {
        if i > 0 {
            writeln!(out, "---")?;
        }
        writeln!(out, "title: {}", quoted(d.title))?;
        writeln!(out, "id: {}", rule_uuid(d.id))?;
        writeln!(out, "status: experimental")?;
        writeln!(
            out,
            "description: {}",
            quoted(&format!(
                "WmiPrvSE.exe (WMI's StdRegProv registry provider) writes a persistence location: {}. Exported from the wmihunt catalog, detection {}.",
                d.title, d.id
            ))
        )?;
        writeln!(out, "author: wmihunt")?;
        writeln!(out, "tags:")?;
        writeln!(out, "    - attack.persistence")?;
        for t in d.techniques {
            writeln!(out, "    - attack.{}", t.to_ascii_lowercase())?;
        }
        writeln!(out, "logsource:")?;
        writeln!(out, "    category: registry_event")?;
        writeln!(out, "    product: windows")?;
        writeln!(out, "detection:")?;
        writeln!(out, "    selection_writer:")?;
        writeln!(out, "        Image|endswith: {}", quoted("\\WmiPrvSE.exe"))?;
        writeln!(out, "    selection_target:")?;
        writeln!(out, "        TargetObject:")?;
        for p in target_patterns(d) {
            writeln!(out, "            - {}", quoted(&p))?;
        }
        writeln!(out, "    condition: selection_writer and selection_target")?;
        writeln!(out, "falsepositives:")?;
        writeln!(
            out,
            "    - Software deployment through WMI (e.g. configuration management agents)"
        )?;
        writeln!(out, "level: high")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_distinct() {
        let ids: Vec<String> = CATALOG.iter().map(|d| rule_uuid(d.id)).collect();
        assert_eq!(rule_uuid("run_keys"), ids[0]);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert!(ids
            .iter()
            .all(|u| u.len() == 36 && u.as_bytes()[14] == b'4'));
    }
}
