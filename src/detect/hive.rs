//! Registry path normalisation: every spelling Sysmon (and other sources) use for a hive is
//! reduced to one hive kind plus a hive-relative path, so that one catalog pattern matches
//! `HKLM\…`, `HKEY_LOCAL_MACHINE\…` and `\REGISTRY\MACHINE\…` alike. Elastic's reference rule
//! misses Sysmon's `HKU\<SID>\…` spelling; this module is where wmihunt gets that right.

use std::fmt;

/// Which hive a key lives in, as far as persistence matching cares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hive {
    /// `HKLM`: machine-wide keys.
    Machine,
    /// A user's hive (`HKU\<SID>` or `HKCU`); `sid` is `None` for `HKCU`.
    User {
        /// The SID (or other hive name, such as `.DEFAULT`) under `HKU`.
        sid: Option<String>,
    },
    /// A classes hive: `HKCR` (`sid` `None`), the merged view whose writes land in
    /// `HKLM\SOFTWARE\Classes` unless the user's own classes already hold the key, or
    /// `HKU\<SID>_Classes`, the user's classes, which Windows mounts at
    /// `HKU\<SID>\Software\Classes`. Matching reads it at that mount point (`CLASSES_MOUNT`),
    /// so only locations under `SOFTWARE\Classes` (file and protocol handlers, COM servers) can
    /// match in it.
    Classes {
        /// The user's SID (without `_Classes`), `None` for `HKCR`.
        sid: Option<String>,
    },
    /// Application hives (`\REGISTRY\A\…`) and anything else: kept for output, never matched
    /// by persistence locations.
    Other {
        /// The prefix as written, e.g. `HKCR` or `\REGISTRY\A`.
        prefix: String,
    },
}

impl Hive {
    /// The short label used in output: `HKLM`, `HKU`, `HKCU`, or the raw prefix.
    pub fn label(&self) -> &str {
        match self {
            Hive::Machine => "HKLM",
            Hive::User { sid: Some(_) } => "HKU",
            Hive::User { sid: None } => "HKCU",
            Hive::Classes { sid: Some(_) } => "HKU",
            Hive::Classes { sid: None } => "HKCR",
            Hive::Other { prefix } => prefix,
        }
    }
}

/// A registry key path split into its hive and hive-relative components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPath {
    /// The hive the path is in.
    pub hive: Hive,
    /// Components below the hive, as written (empty components are kept: a path that ends
    /// in `\` has an empty last component, which is how Sysmon shows a value whose name
    /// starts with NUL).
    pub components: Vec<String>,
}

/// Spellings of `HKLM`, longest first; compared case-insensitively. Public, like the other
/// normalisation facts below, so that the Sigma export spells paths the way matching reads them.
pub const MACHINE_PREFIXES: &[&str] = &["\\REGISTRY\\MACHINE", "HKEY_LOCAL_MACHINE", "HKLM"];
/// Spellings of `HKU`, each followed by the SID component.
pub const USERS_PREFIXES: &[&str] = &["\\REGISTRY\\USER", "HKEY_USERS", "HKU"];
/// Spellings of `HKCU`.
pub const CURRENT_USER_PREFIXES: &[&str] = &["HKEY_CURRENT_USER", "HKCU"];
/// Spellings of `HKCR` (it has no kernel spelling: it is a view, not a hive).
pub const CLASSES_ROOT_PREFIXES: &[&str] = &["HKEY_CLASSES_ROOT", "HKCR"];
/// A hive under `HKU` whose name ends so is the user's classes hive.
pub const CLASSES_HIVE_SUFFIX: &str = "_Classes";
/// Where a classes hive sits in its parent hive: `HKCR\x` and `HKU\<SID>_Classes\x` are read
/// as `SOFTWARE\Classes\x` of the machine and of the user.
pub const CLASSES_MOUNT: [&str; 2] = ["SOFTWARE", "Classes"];
/// The component of the 32-bit view of a key; matching skips it wherever it stands.
pub const WOW64_NODE: &str = "WOW6432Node";
/// The key directly under which a numbered control set is read as `CurrentControlSet`.
pub const SYSTEM_KEY: &str = "SYSTEM";
/// What a numbered control set is read as.
pub const CURRENT_CONTROL_SET: &str = "CurrentControlSet";
/// A numbered control set: this prefix, then `CONTROL_SET_DIGITS` ASCII digits.
pub const CONTROL_SET_PREFIX: &str = "ControlSet";
/// How many digits follow `CONTROL_SET_PREFIX`.
pub const CONTROL_SET_DIGITS: usize = 3;

/// `rest` after `prefix` when `path` starts with it case-insensitively and the prefix ends at
/// a component boundary (end of string or `\`).
fn strip_prefix_ci<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let head = path.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = &path[prefix.len()..];
    if rest.is_empty() {
        Some(rest)
    } else {
        rest.strip_prefix('\\')
    }
}

fn split_components(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('\\').map(str::to_owned).collect()
    }
}

impl KeyPath {
    /// Parses a registry path as Sysmon writes it in `TargetObject` or `NewName`.
    pub fn parse(path: &str) -> KeyPath {
        for prefix in MACHINE_PREFIXES {
            if let Some(rest) = strip_prefix_ci(path, prefix) {
                return KeyPath {
                    hive: Hive::Machine,
                    components: split_components(rest),
                };
            }
        }
        for (prefixes, hive) in [
            (CURRENT_USER_PREFIXES, Hive::User { sid: None }),
            (CLASSES_ROOT_PREFIXES, Hive::Classes { sid: None }),
        ] {
            for prefix in prefixes {
                if let Some(rest) = strip_prefix_ci(path, prefix) {
                    return KeyPath {
                        hive,
                        components: split_components(rest),
                    };
                }
            }
        }
        for prefix in USERS_PREFIXES {
            if let Some(rest) = strip_prefix_ci(path, prefix) {
                let (sid, below) = rest.split_once('\\').unwrap_or((rest, ""));
                let classes_of = sid
                    .len()
                    .checked_sub(CLASSES_HIVE_SUFFIX.len())
                    .filter(|&at| {
                        sid.get(at..)
                            .is_some_and(|tail| tail.eq_ignore_ascii_case(CLASSES_HIVE_SUFFIX))
                    })
                    .and_then(|at| sid.get(..at));
                let hive = match classes_of {
                    Some(user) => Hive::Classes {
                        sid: Some(user.to_owned()),
                    },
                    None => Hive::User {
                        sid: Some(sid.to_owned()),
                    },
                };
                return KeyPath {
                    hive,
                    components: split_components(below),
                };
            }
        }
        // Anything else (\REGISTRY\A\{GUID}, garbage): keep the first component as the
        // prefix so the output still shows where the write went.
        let (prefix, rest) = match path.strip_prefix("\\REGISTRY\\") {
            Some(after) => {
                let (name, rest) = after.split_once('\\').unwrap_or((after, ""));
                (format!("\\REGISTRY\\{name}"), rest)
            }
            None => {
                let (name, rest) = path.split_once('\\').unwrap_or((path, ""));
                (name.to_owned(), rest)
            }
        };
        KeyPath {
            hive: Hive::Other { prefix },
            components: split_components(rest),
        }
    }

    /// Components as persistence matching sees them: `WOW6432Node` dropped (the 32-bit view
    /// of the same autostart key), `ControlSet00N` read as `CurrentControlSet`, and a classes
    /// hive read where it is mounted (`SOFTWARE\Classes\…`).
    pub fn match_components(&self) -> Vec<&str> {
        let mount: &[&str] = match self.hive {
            Hive::Classes { .. } => &CLASSES_MOUNT,
            _ => &[],
        };
        let below = self
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.eq_ignore_ascii_case(WOW64_NODE))
            .map(|(i, c)| {
                if self.is_numbered_control_set(i) {
                    CURRENT_CONTROL_SET
                } else {
                    c.as_str()
                }
            });
        mount.iter().copied().chain(below).collect()
    }

    /// Whether component `i` is a `ControlSet00N` directly under `SYSTEM` at the top of a hive
    /// (a classes hive has no `SYSTEM` key: it is mounted below `SOFTWARE`).
    fn is_numbered_control_set(&self, i: usize) -> bool {
        i == 1
            && !matches!(self.hive, Hive::Classes { .. })
            && self.components.get(1).is_some_and(|c| is_control_set(c))
            && self
                .components
                .first()
                .is_some_and(|c| c.eq_ignore_ascii_case(SYSTEM_KEY))
    }

    /// The canonical hive prefix: `HKLM`, `HKU\<SID>`, `HKCU`, `HKCR`, `HKU\<SID>_Classes`, or
    /// an unknown prefix as written.
    pub fn hive_prefix(&self) -> String {
        match &self.hive {
            Hive::User { sid: Some(sid) } => format!("HKU\\{sid}"),
            Hive::Classes { sid: Some(sid) } => format!("HKU\\{sid}{CLASSES_HIVE_SUFFIX}"),
            other => other.label().to_string(),
        }
    }

    /// The path below the hive prefix, normalised as in `Display` (`""` for the hive itself).
    pub fn below_hive(&self) -> String {
        let shown = self.to_string();
        let prefix = self.hive_prefix();
        shown
            .get(prefix.len()..)
            .map(|rest| rest.strip_prefix('\\').unwrap_or(rest).to_string())
            .unwrap_or_default()
    }

    /// Splits off the last component as a value name, for value-level events (the key stays).
    pub fn split_value(mut self) -> (KeyPath, Option<String>) {
        let value = self.components.pop();
        (self, value)
    }
}

/// `ControlSet001` … `ControlSet999`.
fn is_control_set(component: &str) -> bool {
    let head = CONTROL_SET_PREFIX.len();
    component.len() == head + CONTROL_SET_DIGITS
        && component
            .get(..head)
            .is_some_and(|h| h.eq_ignore_ascii_case(CONTROL_SET_PREFIX))
        && component.bytes().skip(head).all(|b| b.is_ascii_digit())
}

impl fmt::Display for KeyPath {
    /// The normalised spelling: canonical hive prefix, `CurrentControlSet` for numbered
    /// control sets, the rest as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hive_prefix())?;
        for (i, c) in self.components.iter().enumerate() {
            if self.is_numbered_control_set(i) {
                write!(f, "\\{CURRENT_CONTROL_SET}")?;
            } else {
                write!(f, "\\{c}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &str) -> (Hive, Vec<String>) {
        let k = KeyPath::parse(p);
        (
            k.hive.clone(),
            k.match_components().iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn machine_spellings_are_one_hive() {
        for p in [
            "HKLM\\SOFTWARE\\Microsoft",
            "hklm\\SOFTWARE\\Microsoft",
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft",
            "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft",
            "\\registry\\machine\\SOFTWARE\\WOW6432Node\\Microsoft",
        ] {
            assert_eq!(
                parse(p),
                (Hive::Machine, vec!["SOFTWARE".into(), "Microsoft".into()]),
                "{p}"
            );
        }
    }

    #[test]
    fn user_spellings_keep_the_sid() {
        let sid = Some("S-1-5-21-1-2-3-1001".to_string());
        for p in [
            "HKU\\S-1-5-21-1-2-3-1001\\Software\\X",
            "HKEY_USERS\\S-1-5-21-1-2-3-1001\\Software\\X",
            "\\REGISTRY\\USER\\S-1-5-21-1-2-3-1001\\Software\\X",
        ] {
            assert_eq!(
                parse(p),
                (
                    Hive::User { sid: sid.clone() },
                    vec!["Software".into(), "X".into()]
                ),
                "{p}"
            );
        }
        assert_eq!(parse("HKCU\\Software\\X").0, Hive::User { sid: None });
        assert_eq!(
            parse("HKEY_CURRENT_USER\\Software\\X").0,
            Hive::User { sid: None }
        );
    }

    #[test]
    fn classes_hives_are_read_where_they_are_mounted() {
        let user = Some("S-1-5-21-1".to_string());
        for p in [
            "HKU\\S-1-5-21-1_Classes\\ms-browser\\shell",
            "HKEY_USERS\\S-1-5-21-1_CLASSES\\ms-browser\\shell",
            "\\REGISTRY\\USER\\S-1-5-21-1_Classes\\WOW6432Node\\ms-browser\\shell",
        ] {
            assert_eq!(
                parse(p),
                (
                    Hive::Classes { sid: user.clone() },
                    ["SOFTWARE", "Classes", "ms-browser", "shell"]
                        .map(String::from)
                        .to_vec()
                ),
                "{p}"
            );
        }
        for p in [
            "HKCR\\ms-browser\\shell",
            "hkey_classes_root\\ms-browser\\shell",
        ] {
            assert_eq!(
                parse(p),
                (
                    Hive::Classes { sid: None },
                    ["SOFTWARE", "Classes", "ms-browser", "shell"]
                        .map(String::from)
                        .to_vec()
                ),
                "{p}"
            );
        }
        let k = KeyPath::parse("HKEY_USERS\\S-1-5-21-1_CLASSES\\CLSID\\{x}");
        assert_eq!(k.to_string(), "HKU\\S-1-5-21-1_Classes\\CLSID\\{x}");
        assert_eq!(k.hive.label(), "HKU");
        assert_eq!(k.below_hive(), "CLSID\\{x}");
        let k = KeyPath::parse("HKCR\\SYSTEM\\ControlSet001");
        assert_eq!(k.to_string(), "HKCR\\SYSTEM\\ControlSet001");
        assert_eq!(k.match_components()[3], "ControlSet001");
        // A user hive named only `_Classes` is the classes hive of an empty name.
        assert_eq!(
            parse("HKU\\_Classes\\x").0,
            Hive::Classes {
                sid: Some(String::new())
            }
        );
    }

    #[test]
    fn unknown_hives_are_other() {
        assert!(matches!(
            parse("\\REGISTRY\\A\\{1234}\\Root").0,
            Hive::Other { .. }
        ));
        // A prefix must end at a component boundary.
        assert!(matches!(parse("HKLMX\\SOFTWARE").0, Hive::Other { .. }));
        assert!(matches!(parse("HKUSER\\x").0, Hive::Other { .. }));
        assert!(matches!(parse("HKCRX\\x").0, Hive::Other { .. }));
        let k = KeyPath::parse("\\REGISTRY\\A\\{1234}\\Root");
        assert_eq!(k.hive_prefix(), "\\REGISTRY\\A");
        assert_eq!(k.below_hive(), "{1234}\\Root");
    }

    #[test]
    fn control_sets_read_as_current() {
        let k = KeyPath::parse("HKLM\\System\\ControlSet002\\Services\\x\\ImagePath");
        assert_eq!(k.match_components()[1], "CurrentControlSet");
        assert_eq!(
            k.to_string(),
            "HKLM\\System\\CurrentControlSet\\Services\\x\\ImagePath"
        );
        // Only directly under SYSTEM.
        let k = KeyPath::parse("HKLM\\SOFTWARE\\ControlSet001");
        assert_eq!(k.match_components()[1], "ControlSet001");
    }

    #[test]
    fn trailing_backslash_is_an_empty_value_name() {
        let (key, value) = KeyPath::parse("HKLM\\SOFTWARE\\Run\\").split_value();
        assert_eq!(value.as_deref(), Some(""));
        assert_eq!(key.to_string(), "HKLM\\SOFTWARE\\Run");
    }

    #[test]
    fn user_display_keeps_sid() {
        let k = KeyPath::parse("\\REGISTRY\\USER\\S-1-5-18\\Environment");
        assert_eq!(k.to_string(), "HKU\\S-1-5-18\\Environment");
    }
}
