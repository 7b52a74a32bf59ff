//! The allowlist: known-good writes (a management agent's Run value, a backup agent's
//! service) that a responder has checked once and does not want to see again. A YAML file
//! (`docs/filters.md`, `docs/allowlist.example.yml`); a finding that matches every field an
//! entry gives is left out of the results and counted, per entry, in the summary.
//!
//! A typo must never widen an allowlist: unknown fields are an error, every entry needs a
//! name and at least one of `key`, `value` and `data`, and every glob must compile.

use super::pattern::Glob;
use crate::finding::{Finding, FindingKind};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A loaded allowlist.
#[derive(Debug, Clone)]
pub struct Allowlist {
    /// The file it was read from.
    pub path: PathBuf,
    entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    allow: Vec<Entry>,
}

/// One known-good write. Every field given must match; fields left out match anything.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// Shown with the count of findings it left out.
    name: String,
    /// Why it is known good: for the reader of the file.
    reason: Option<String>,
    host: Option<Glob>,
    detection: Option<Glob>,
    key: Option<Glob>,
    value: Option<Glob>,
    data: Option<Glob>,
    image: Option<Glob>,
    user: Option<Glob>,
}

/// The fields of a finding an entry can name; the one place a new kind of finding is mapped.
struct Subject<'a> {
    host: &'a str,
    detection: &'a str,
    key: String,
    value: &'a str,
    data: &'a str,
    image: &'a str,
    user: &'a str,
}

impl<'a> Subject<'a> {
    /// A registry finding's fields as written; a subscription's `filter -> consumer` as its
    /// key, its consumer's name as its value and what the consumer runs as its data.
    fn of(f: &'a Finding) -> Subject<'a> {
        match &f.kind {
            FindingKind::Registry { event: e, matched } => Subject {
                host: &e.host,
                detection: matched.detection.id,
                key: matched.key.to_string(),
                value: matched.value_name.as_deref().unwrap_or(""),
                data: e.details.as_deref().unwrap_or(""),
                image: &e.image,
                user: e.user.as_deref().unwrap_or(""),
            },
            FindingKind::Subscription(s) => {
                let consumer = s.subscription.consumer.as_ref();
                Subject {
                    host: &s.anchor.host,
                    detection: f.detection().id,
                    key: f.subject(),
                    value: consumer.map_or("", |c| c.name.as_str()),
                    data: consumer.and_then(|c| c.command.as_deref()).unwrap_or(""),
                    image: "",
                    user: s.anchor.user.as_deref().unwrap_or(""),
                }
            }
        }
    }
}

impl Entry {
    fn matches(&self, s: &Subject<'_>) -> bool {
        let field = |glob: &Option<Glob>, text: &str| glob.as_ref().is_none_or(|g| g.matches(text));
        self.host.as_ref().is_none_or(|g| g.matches_host(s.host))
            && field(&self.detection, s.detection)
            && field(&self.key, &s.key)
            && field(&self.value, s.value)
            && field(&self.data, s.data)
            && field(&self.image, s.image)
            && field(&self.user, s.user)
    }
}

impl Allowlist {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Allowlist, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the allowlist {shown}: {e}"))?;
        Allowlist::parse(&text, path).map_err(|e| format!("allowlist {shown}: {e}"))
    }

    /// Parses and checks allowlist text read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Allowlist, String> {
        let file: File = serde_norway::from_str(text).map_err(|e| e.to_string())?;
        for (i, entry) in file.allow.iter().enumerate() {
            let what = [&entry.key, &entry.value, &entry.data];
            if entry.name.trim().is_empty() {
                return Err(format!("entry {}: needs a name", i + 1));
            }
            if what.iter().all(|g| g.is_none()) {
                return Err(format!(
                    "entry {} ({}): needs at least one of key, value and data (to leave out \
                     whole hosts, use --exclude-host)",
                    i + 1,
                    entry.name
                ));
            }
        }
        Ok(Allowlist {
            path: path.to_path_buf(),
            entries: file.allow,
        })
    }

    /// The index of the first entry `finding` matches.
    pub fn first_match(&self, finding: &Finding) -> Option<usize> {
        let subject = Subject::of(finding);
        self.entries.iter().position(|e| e.matches(&subject))
    }

    /// The entries' names and reasons, in file order.
    pub fn labels(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.entries
            .iter()
            .map(|e| (e.name.as_str(), e.reason.as_deref()))
    }

    /// How many entries it has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Allowlist, String> {
        Allowlist::parse(text, Path::new("a.yml"))
    }

    #[test]
    fn a_typo_never_widens_the_list() {
        assert!(parse("allow:\n  - name: x\n    kye: 'HKLM\\*'\n")
            .unwrap_err()
            .contains("kye"));
        assert!(parse("allow:\n  - name: x\n    host: 'WS*'\n")
            .unwrap_err()
            .contains("at least one of key"));
        assert!(parse("allow:\n  - name: ''\n    key: a\n")
            .unwrap_err()
            .contains("needs a name"));
        assert!(parse("allow:\n  - name: x\n    data: '['\n").is_err());
        let list = parse("allow:\n  - name: x\n    reason: why\n    data: 'C:\\x\\*'\n").unwrap();
        assert_eq!(list.labels().collect::<Vec<_>>(), [("x", Some("why"))]);
    }
}
