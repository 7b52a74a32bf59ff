//! The catalog as Sigma rules, so the same detections run in a SIEM: for each detection one
//! rule over Sysmon registry events (logsource `windows` / `registry_event`) and one over
//! Security 4657 (`windows` / `security`). Both are generated from the catalog and from the
//! normalisation facts in `detect::hive`, so they follow every change to either;
//! `tests/e2e/sigma/` runs them in a real Sigma engine and pins every difference.
//!
//! Paths are `|re|i` regular expressions, written with only the metacharacters the Sigma
//! specification allows (`. ^ $ * + ? {n,m} [..] [^..] ( ) |`). Sigma's `*` wildcard also spans
//! `\`, so wildcards cannot say "exactly one key" (`…\Services\*\ImagePath`), "three digits"
//! (`ControlSet001`) or "any number of `WOW6432Node` components"; a regular expression can.

use crate::detect::catalog::{Detection, HiveScope, Location, CATALOG};
use crate::detect::hive::{
    CLASSES_HIVE_SUFFIX, CLASSES_MOUNT, CLASSES_ROOT_PREFIXES, CONTROL_SET_DIGITS,
    CONTROL_SET_PREFIX, CURRENT_CONTROL_SET, CURRENT_USER_PREFIXES, MACHINE_PREFIXES, SYSTEM_KEY,
    USERS_PREFIXES, WOW64_NODE,
};
use std::io::{self, Write};

/// The event source a rule is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Sysmon EID 12, 13, 14: `TargetObject` is the whole path, `EventType` the action.
    Sysmon,
    /// Security 4657: `ObjectName` is the key (kernel spelling), `ObjectValueName` the value.
    Security,
}

impl Source {
    /// Suffix of the rule's `name` (and seed of its id).
    fn tag(self) -> &'static str {
        match self {
            Source::Sysmon => "sysmon",
            Source::Security => "security",
        }
    }
}

/// A stable UUID for a seed (Sigma requires one): FNV-1a over the seed, shaped as a
/// version-4-style UUID so that validators accept it.
pub(super) fn rule_uuid(seed: &str) -> String {
    let hash = |start: u64| {
        seed.bytes().fold(start, |h, b| {
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

/// The id of a detection's rule for `source`. The Sysmon rule keeps the id it had before the
/// Security rules existed, so SIEMs that imported it see the same rule.
fn rule_id(d: &Detection, source: Source) -> String {
    match source {
        Source::Sysmon => rule_uuid(d.id),
        Source::Security => rule_uuid(&format!("{}/{}", d.id, source.tag())),
    }
}

/// YAML single-quoted scalar (backslashes stay literal).
pub(super) fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `text` as a plain Sigma string that means exactly `text`: `*` and `?` are wildcards unless
/// escaped, and a backslash escapes the next `*`, `?` or `\` (elsewhere it is literal, so
/// `\WmiPrvSE.exe` stays readable).
fn sigma_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => {
                out.push('\\');
                if matches!(chars.peek(), None | Some('*' | '?' | '\\')) {
                    out.push('\\');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `text` as a regular expression that matches it literally.
fn re_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$*+?()[]{}|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One path component: anything but `\`, the empty name included (as matching allows).
const ANY_COMPONENT: &str = "[^\\\\]*";

/// Any number of `WOW6432Node` components, which matching skips wherever they stand.
fn wow64_views() -> String {
    format!("(\\\\{WOW64_NODE})*")
}

fn alternatives<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(re_literal).collect();
    items.join("|")
}

/// The hive part of a path, in every spelling matching accepts for `hives`.
fn hive_re(hives: HiveScope) -> String {
    let machine = alternatives(MACHINE_PREFIXES.iter().copied());
    let user = format!(
        "({})\\\\{ANY_COMPONENT}|{}",
        alternatives(USERS_PREFIXES.iter().copied()),
        alternatives(CURRENT_USER_PREFIXES.iter().copied())
    );
    match hives {
        HiveScope::Machine => format!("({machine})"),
        HiveScope::User => format!("({user})"),
        HiveScope::Both => format!("({machine}|{user})"),
    }
}

/// A user hive that is a classes hive (`HKU\<SID>_Classes`): `hive_re`'s `HKU\<SID>` also
/// matches it, where matching reads a different path (the classes hive is mounted below
/// `SOFTWARE\Classes`), so rules filter it out of those paths.
fn classes_hive_re() -> String {
    format!(
        "^({})\\\\{ANY_COMPONENT}{}(\\\\|$)",
        alternatives(USERS_PREFIXES.iter().copied()),
        re_literal(CLASSES_HIVE_SUFFIX)
    )
}

/// The key below `SOFTWARE\Classes` of a location under it: where a classes hive (`HKCR`,
/// `HKU\<SID>_Classes`) holds the same key.
fn classes_rest(l: &Location) -> Option<&'static str> {
    let mut parts = l.key.splitn(3, '\\');
    let mounted = CLASSES_MOUNT
        .iter()
        .all(|m| parts.next().is_some_and(|p| p.eq_ignore_ascii_case(m)));
    if mounted {
        parts.next()
    } else {
        None
    }
}

/// The classes hives that hold `l`'s key (below `SOFTWARE\Classes`), in every spelling, with
/// the rest of the key: `HKCR` for the machine, `HKU\<SID>_Classes` for users.
fn classes_prefix_re(l: &Location) -> Option<String> {
    let rest = classes_rest(l)?;
    let root = alternatives(CLASSES_ROOT_PREFIXES.iter().copied());
    let user = format!(
        "({})\\\\{ANY_COMPONENT}{}",
        alternatives(USERS_PREFIXES.iter().copied()),
        re_literal(CLASSES_HIVE_SUFFIX)
    );
    let hives = match l.hives {
        HiveScope::Machine => root,
        HiveScope::User => user,
        HiveScope::Both => format!("{root}|{user}"),
    };
    Some(format!("^({hives}){}{}", key_re(rest), trailing_views(l)))
}

/// A key pattern from the catalog as the regular expression of the path below the hive, each
/// component with its leading `\`: `*` is one component, a final `**` any number.
fn key_re(pattern: &str) -> String {
    let component = |part: &str| match part {
        "*" => format!("{}\\\\{ANY_COMPONENT}", wow64_views()),
        "**" => format!("(\\\\{ANY_COMPONENT})*"),
        literal => format!("{}\\\\{}", wow64_views(), re_literal(literal)),
    };
    let parts: Vec<&str> = pattern.split('\\').collect();
    match parts.as_slice() {
        // A numbered control set right after a `SYSTEM` that comes right after the hive is
        // read as `CurrentControlSet`; anywhere else only the literal name is.
        [first, second, rest @ ..]
            if second.eq_ignore_ascii_case(CURRENT_CONTROL_SET)
                && (*first == "*" || first.eq_ignore_ascii_case(SYSTEM_KEY)) =>
        {
            let numbered = format!(
                "\\\\{}\\\\{}{}",
                re_literal(SYSTEM_KEY),
                re_literal(CONTROL_SET_PREFIX),
                "[0-9]".repeat(CONTROL_SET_DIGITS)
            );
            let rest: String = rest.iter().map(|p| component(p)).collect();
            format!(
                "({numbered}|{}{}){rest}",
                component(first),
                component(second)
            )
        }
        _ => parts.iter().map(|p| component(p)).collect(),
    }
}

/// Views skipped after the last key component (none needed after `**`, which takes them).
fn trailing_views(l: &Location) -> String {
    if l.key.ends_with("**") {
        String::new()
    } else {
        wow64_views()
    }
}

/// The key of `l` (for key events and 4657's `ObjectName`), as a whole-string expression.
fn key_path_re(l: &Location) -> String {
    format!(
        "^{}{}{}$",
        hive_re(l.hives),
        key_re(l.key),
        trailing_views(l)
    )
}

/// The value of `l`'s key that `l` names, as a whole-string expression for one component.
fn value_name_re(l: &Location) -> String {
    if l.value == "*" {
        ANY_COMPONENT.to_string()
    } else {
        re_literal(l.value)
    }
}

/// Key and value of `l` as one path (Sysmon's `TargetObject` for value events).
fn value_path_re(l: &Location) -> String {
    format!(
        "^{}{}{}\\\\{}$",
        hive_re(l.hives),
        key_re(l.key),
        trailing_views(l),
        value_name_re(l)
    )
}

/// The key of `l` in a classes hive, as a whole-string expression.
fn classes_key_path_re(l: &Location) -> Option<String> {
    classes_prefix_re(l).map(|prefix| format!("{prefix}$"))
}

/// Key and value of `l` in a classes hive, as one path.
fn classes_value_path_re(l: &Location) -> Option<String> {
    classes_prefix_re(l).map(|prefix| format!("{prefix}\\\\{}$", value_name_re(l)))
}

/// `items` without repeats, in first-seen order.
fn distinct(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn has_user_hives(d: &Detection) -> bool {
    d.locations.iter().any(|l| l.hives != HiveScope::Machine)
}

/// A detection block: `name:` then `field: value` or `field:` with a list.
fn write_selection(
    out: &mut dyn Write,
    name: &str,
    fields: &[(&str, &[String])],
) -> io::Result<()> {
    writeln!(out, "    {name}:")?;
    for (field, values) in fields {
        match values {
            [one] => writeln!(out, "        {field}: {}", quoted(one))?,
            many => {
                writeln!(out, "        {field}:")?;
                for v in *many {
                    writeln!(out, "            - {}", quoted(v))?;
                }
            }
        }
    }
    Ok(())
}

/// The writer: WmiPrvSE.exe as the final component of `field` (`\` or `/` before it, or alone),
/// compared case-insensitively, as `detect::is_wmiprvse` does.
fn write_writer(out: &mut dyn Write, field: &str) -> io::Result<()> {
    let name = "WmiPrvSE.exe";
    let ends = [format!("\\{name}"), format!("/{name}")].map(|p| sigma_literal(&p));
    writeln!(out, "    writer:")?;
    writeln!(out, "        - {field}|endswith:")?;
    for e in ends {
        writeln!(out, "              - {}", quoted(&e))?;
    }
    writeln!(out, "        - {field}: {}", quoted(&sigma_literal(name)))
}

/// The detection over Sysmon events: value events (`SetValue`, `DeleteValue`) name key and
/// value in `TargetObject`; key events (`CreateKey`, `DeleteKey`, `RenameKey`) name a key,
/// and a rename also the new key in `NewName`. Locations under `SOFTWARE\Classes` also match
/// in the classes hives, in selections of their own (the classes-hive filter does not apply).
fn write_sysmon_detection(out: &mut dyn Write, d: &Detection) -> io::Result<()> {
    let value_paths = distinct(d.locations.iter().map(value_path_re));
    let key_paths = distinct(d.locations.iter().map(key_path_re));
    let strings = |items: &[&str]| -> Vec<String> { items.iter().map(|s| s.to_string()).collect() };
    write_writer(out, "Image")?;
    write_selection(
        out,
        "value_event",
        &[("EventType", &strings(&["SetValue", "DeleteValue"]))],
    )?;
    write_selection(out, "value_path", &[("TargetObject|re|i", &value_paths)])?;
    write_selection(
        out,
        "key_event",
        &[(
            "EventType",
            &strings(&["CreateKey", "DeleteKey", "RenameKey"]),
        )],
    )?;
    write_selection(out, "key_path", &[("TargetObject|re|i", &key_paths)])?;
    write_selection(
        out,
        "renamed_to",
        &[
            ("EventType", &strings(&["RenameKey"])),
            ("NewName|re|i", &key_paths),
        ],
    )?;
    let either = "(value_event and value_path) or (key_event and key_path)";
    let mut terms = if has_user_hives(d) {
        let classes = [classes_hive_re()];
        write_selection(out, "classes_hive", &[("TargetObject|re|i", &classes)])?;
        write_selection(out, "classes_hive_new_name", &[("NewName|re|i", &classes)])?;
        vec![
            format!("(({either}) and not classes_hive)"),
            "(renamed_to and not classes_hive_new_name)".to_string(),
        ]
    } else {
        vec![either.to_string(), "renamed_to".to_string()]
    };
    let classes_values = distinct(d.locations.iter().filter_map(classes_value_path_re));
    let classes_keys = distinct(d.locations.iter().filter_map(classes_key_path_re));
    if !classes_keys.is_empty() {
        write_selection(
            out,
            "classes_value_path",
            &[("TargetObject|re|i", &classes_values)],
        )?;
        write_selection(
            out,
            "classes_key_path",
            &[("TargetObject|re|i", &classes_keys)],
        )?;
        write_selection(
            out,
            "classes_renamed_to",
            &[
                ("EventType", &strings(&["RenameKey"])),
                ("NewName|re|i", &classes_keys),
            ],
        )?;
        terms.push(
            "(value_event and classes_value_path) or (key_event and classes_key_path) or \
             classes_renamed_to"
                .to_string(),
        );
    }
    writeln!(out, "    condition: writer and ({})", terms.join(" or "))
}

/// The detection over Security 4657: one selection per location, key in `ObjectName` and
/// value in `ObjectValueName` (and one more for a location under `SOFTWARE\Classes` in the
/// classes hives).
fn write_security_detection(out: &mut dyn Write, d: &Detection) -> io::Result<()> {
    writeln!(out, "    registry_audit:")?;
    writeln!(out, "        EventID: 4657")?;
    write_writer(out, "ProcessName")?;
    let mut classes = false;
    for (i, l) in d.locations.iter().enumerate() {
        let value = [format!("^{}$", value_name_re(l))];
        write_selection(
            out,
            &format!("location_{}", i + 1),
            &[
                ("ObjectName|re|i", &[key_path_re(l)]),
                ("ObjectValueName|re|i", &value),
            ],
        )?;
        if let Some(key) = classes_key_path_re(l) {
            classes = true;
            write_selection(
                out,
                &format!("classes_location_{}", i + 1),
                &[
                    ("ObjectName|re|i", &[key]),
                    ("ObjectValueName|re|i", &value),
                ],
            )?;
        }
    }
    let mut locations = "1 of location_*".to_string();
    if has_user_hives(d) {
        write_selection(
            out,
            "classes_hive",
            &[("ObjectName|re|i", &[classes_hive_re()])],
        )?;
        locations = format!("({locations} and not classes_hive)");
    }
    if classes {
        locations = format!("({locations} or 1 of classes_location_*)");
    }
    writeln!(
        out,
        "    condition: registry_audit and writer and {locations}"
    )
}

/// What each rule says about how closely it follows wmihunt.
fn description(d: &Detection, source: Source) -> String {
    let common = format!(
        "WmiPrvSE.exe (WMI's StdRegProv registry provider) writes a persistence location: {}. \
         Exported from the wmihunt catalog, detection {}: every hive spelling (HKLM, \
         HKEY_LOCAL_MACHINE, \\REGISTRY\\MACHINE, HKU\\<SID>, HKEY_USERS\\<SID>, \
         \\REGISTRY\\USER\\<SID>, HKCU, HKEY_CURRENT_USER; the classes hives HKCR and \
         HKU\\<SID>_Classes only for locations under SOFTWARE\\Classes, read there), \
         WOW6432Node components skipped, ControlSet001-999 directly under SYSTEM read as \
         CurrentControlSet, and each * of a location standing for exactly one key. \
         Unlike wmihunt: a key named WOW6432Node in the place of a * also matches; an event \
         matching two detections fires both rules (wmihunt reports the first); the level does \
         not follow the action (wmihunt: value set high, key created or renamed medium, \
         deletion low).",
        d.title, d.id
    );
    let specific = match source {
        Source::Sysmon => {
            " The action is read from EventType as Sysmon spells it (wmihunt goes by the event id)."
        }
        Source::Security => {
            " Security 4657 from registry auditing: ObjectName is the key, ObjectValueName the \
             value (wmihunt joins them and splits at the last backslash, which differs for a \
             value name containing one)."
        }
    };
    format!("{common}{specific}")
}

fn write_rule(out: &mut dyn Write, d: &Detection, source: Source) -> io::Result<()> {
    let title = match source {
        Source::Sysmon => d.title.to_string(),
        Source::Security => format!("{} (Security 4657)", d.title),
    };
    writeln!(out, "title: {}", quoted(&title))?;
    writeln!(out, "id: {}", rule_id(d, source))?;
    writeln!(out, "name: wmihunt_{}_{}", d.id, source.tag())?;
    if source == Source::Security {
        writeln!(out, "related:")?;
        writeln!(out, "    - id: {}", rule_id(d, Source::Sysmon))?;
        writeln!(out, "      type: similar")?;
    }
    writeln!(out, "status: experimental")?;
    writeln!(out, "description: {}", quoted(&description(d, source)))?;
    writeln!(out, "author: wmihunt")?;
    writeln!(out, "tags:")?;
    writeln!(out, "    - attack.persistence")?;
    for t in d.techniques {
        writeln!(out, "    - attack.{}", t.to_ascii_lowercase())?;
    }
    writeln!(out, "logsource:")?;
    match source {
        Source::Sysmon => writeln!(out, "    category: registry_event\n    product: windows")?,
        Source::Security => writeln!(out, "    product: windows\n    service: security")?,
    }
    writeln!(out, "detection:")?;
    match source {
        Source::Sysmon => write_sysmon_detection(out, d)?,
        Source::Security => write_security_detection(out, d)?,
    }
    writeln!(out, "falsepositives:")?;
    writeln!(
        out,
        "    - Software deployment through WMI (e.g. configuration management agents)"
    )?;
    writeln!(out, "level: high")
}

/// Writes, for every detection, its Sysmon rule then its Security 4657 rule, then the WMI
/// subscription rules (`super::sigma_subscription`), YAML documents separated by `---`.
pub fn write(out: &mut dyn Write) -> io::Result<()> {
    let rules = CATALOG
        .iter()
        .flat_map(|d| [(d, Source::Sysmon), (d, Source::Security)]);
    for (i, (d, source)) in rules.enumerate() {
        if i > 0 {
            writeln!(out, "---")?;
        }
        write_rule(out, d, source)?;
    }
    writeln!(out, "---")?;
    super::sigma_subscription::write(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_distinct() {
        let ids: Vec<String> = CATALOG
            .iter()
            .flat_map(|d| [rule_id(d, Source::Sysmon), rule_id(d, Source::Security)])
            .collect();
        // The Sysmon rule keeps the id the export has always given run_keys.
        assert_eq!(ids[0], "d741c8e8-0ac9-411f-8029-ffac3c15dfa6");
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert!(ids
            .iter()
            .all(|u| u.len() == 36 && u.as_bytes()[14] == b'4'));
    }

    #[test]
    fn sigma_literals_escape_only_what_sigma_would_read_as_special() {
        assert_eq!(sigma_literal("\\WmiPrvSE.exe"), "\\WmiPrvSE.exe");
        assert_eq!(sigma_literal("Run\\*"), "Run\\\\\\*");
        assert_eq!(sigma_literal("a?b"), "a\\?b");
        assert_eq!(sigma_literal("a\\\\b"), "a\\\\\\b");
        assert_eq!(sigma_literal("ends\\"), "ends\\\\");
    }

    #[test]
    fn key_patterns_become_component_exact_expressions() {
        let wow = "(\\\\WOW6432Node)*";
        assert_eq!(
            key_re("SOFTWARE\\Run"),
            format!("{wow}\\\\SOFTWARE{wow}\\\\Run")
        );
        assert_eq!(
            key_re("A\\*\\B\\**"),
            format!("{wow}\\\\A{wow}\\\\[^\\\\]*{wow}\\\\B(\\\\[^\\\\]*)*")
        );
        assert_eq!(
            key_re("SYSTEM\\CurrentControlSet\\Services"),
            format!(
                "(\\\\SYSTEM\\\\ControlSet[0-9][0-9][0-9]|{wow}\\\\SYSTEM{wow}\\\\CurrentControlSet){wow}\\\\Services"
            )
        );
        assert_eq!(re_literal("Windows NT (x.y)"), "Windows NT \\(x\\.y\\)");
    }
}
