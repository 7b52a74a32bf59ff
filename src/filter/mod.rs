//! Filters a responder applies to findings, as the tools they already use have them: a
//! minimum level (`--min-level`), hosts to include or leave out (`--host`, `--exclude-host`,
//! globs) and an allowlist of known-good writes (`--allowlist FILE`, `allowlist.rs`). Pure
//! functions over findings; the run layer applies them once, after deduplication, and every
//! finding left out is counted in the run report, so the summary can say what was not shown.

pub mod allowlist;
mod pattern;

pub use allowlist::Allowlist;
pub use pattern::Glob;

use crate::detect::Severity;
use crate::finding::Finding;
use std::path::PathBuf;

/// How serious a finding must be to be shown, lowest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Everything, context included.
    #[default]
    Info,
    /// Deletions and up.
    Low,
    /// Key creations and renames, and up.
    Medium,
    /// Values written.
    High,
}

impl Level {
    /// The level of a severity: the one place a new severity is placed on the scale.
    pub fn of(severity: Severity) -> Level {
        match severity {
            Severity::Info => Level::Info,
            Severity::Low => Level::Low,
            Severity::Medium => Level::Medium,
            Severity::High => Level::High,
        }
    }

    /// The level's name, as typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// Which hosts to show: those matching any `include` glob (all when there is none) and no
/// `exclude` glob. A glob matches a host's full name or its first label, case-insensitively,
/// so `WS06` and `ws*` both match `WS06.corp.example`.
#[derive(Debug, Clone, Default)]
pub struct HostFilter {
    /// `--host` globs.
    pub include: Vec<Glob>,
    /// `--exclude-host` globs.
    pub exclude: Vec<Glob>,
}

impl HostFilter {
    /// Whether `host` is in scope.
    pub fn matches(&self, host: &str) -> bool {
        let hit = |g: &Glob| g.matches_host(host);
        (self.include.is_empty() || self.include.iter().any(hit)) && !self.exclude.iter().any(hit)
    }

    /// Whether any glob was given.
    pub fn is_set(&self) -> bool {
        !self.include.is_empty() || !self.exclude.is_empty()
    }
}

/// Every filter of a scan.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// `--min-level`.
    pub min_level: Level,
    /// `--host` and `--exclude-host`.
    pub hosts: HostFilter,
    /// `--allowlist`, loaded.
    pub allowlist: Option<Allowlist>,
}

/// How many findings one allowlist entry left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The entry's `name`.
    pub name: String,
    /// The entry's `reason`, when it gives one.
    pub reason: Option<String>,
    /// Findings it matched.
    pub findings: usize,
}

/// What the filters did, for the summary and the report: the filters themselves (outputs
/// keep hosts out of scope out of per-host views too) and what each left out.
#[derive(Debug, Clone, Default)]
pub struct FilterReport {
    /// `--min-level`.
    pub min_level: Level,
    /// `--host` and `--exclude-host`.
    pub hosts: HostFilter,
    /// The allowlist file, when one was given.
    pub allowlist: Option<PathBuf>,
    /// Findings on hosts out of scope.
    pub other_hosts: usize,
    /// Findings below `--min-level`.
    pub below_level: usize,
    /// Findings the allowlist left out, per entry that matched any (in file order).
    pub allowed: Vec<Allowed>,
}

impl FilterReport {
    /// Findings the allowlist left out.
    pub fn allowed_total(&self) -> usize {
        self.allowed.iter().map(|a| a.findings).sum()
    }

    /// Whether any filter was given.
    pub fn is_set(&self) -> bool {
        self.min_level != Level::Info || self.hosts.is_set() || self.allowlist.is_some()
    }
}

/// Keeps the findings every filter lets through, in order, and counts the others under the
/// first filter that left each out: hosts, then level, then the allowlist.
pub fn apply(findings: Vec<Finding>, filters: &Filters) -> (Vec<Finding>, FilterReport) {
    let mut report = FilterReport {
        min_level: filters.min_level,
        hosts: filters.hosts.clone(),
        allowlist: filters.allowlist.as_ref().map(|a| a.path.clone()),
        ..FilterReport::default()
    };
    let mut per_entry = vec![0usize; filters.allowlist.as_ref().map_or(0, |a| a.len())];
    let mut kept = Vec::with_capacity(findings.len());
    for finding in findings {
        if !filters.hosts.matches(finding.host()) {
            report.other_hosts += 1;
        } else if Level::of(finding.severity()) < filters.min_level {
            report.below_level += 1;
        } else if let Some(entry) = filters
            .allowlist
            .as_ref()
            .and_then(|a| a.first_match(&finding))
        {
            if let Some(n) = per_entry.get_mut(entry) {
                *n += 1;
            }
        } else {
            kept.push(finding);
        }
    }
    if let Some(list) = &filters.allowlist {
        report.allowed = list
            .labels()
            .zip(per_entry)
            .filter(|(_, n)| *n > 0)
            .map(|((name, reason), findings)| Allowed {
                name: name.to_string(),
                reason: reason.map(str::to_string),
                findings,
            })
            .collect();
    }
    (kept, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_globs_match_the_full_name_or_the_first_label() {
        let filter = HostFilter {
            include: vec![Glob::new("ws*").unwrap(), Glob::new("DC01").unwrap()],
            exclude: vec![Glob::new("ws05*").unwrap()],
        };
        assert!(filter.matches("WS06.corp.example"));
        assert!(filter.matches("dc01.corp.example"));
        assert!(!filter.matches("WS05.corp.example"));
        assert!(!filter.matches("DC011.corp.example"));
        assert!(!filter.matches("SRV1"));
        assert!(HostFilter::default().matches(""));
    }

    #[test]
    fn levels_are_ordered() {
        assert!(Level::Info < Level::Low && Level::Low < Level::Medium);
        assert!(Level::of(Severity::High) > Level::of(Severity::Medium));
        assert_eq!(Level::of(Severity::Low), Level::Low);
    }
}
