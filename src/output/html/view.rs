//! The report's view model: everything the template shows, as plain strings and numbers
//! made from the run report. Log text is made visible here (`visible`) and escaped by the
//! template; nothing here writes HTML.

use super::card::{self, Card, Checked, Passes};
use super::timeline::{self, Mark, Timeline};
use super::{visible, TimeDisplay};
use crate::detect::catalog::{CATALOG, WMI_SUBSCRIPTION};
use crate::finding::Finding;
use crate::output::hosts::{self, shown, Host};
use crate::output::summary::count;
use crate::output::{RULE_SEVERITY, SUBSCRIPTION_SOURCES};
use crate::report::{RunReport, Tally};
use std::collections::BTreeMap;

/// Most read problems listed per file (the rest are counted).
const MAX_PROBLEMS_PER_FILE: usize = 50;

/// The whole report.
pub struct Case {
    pub title: String,
    pub glance: Glance,
    pub hosts: Vec<HostRow>,
    pub timelines: Vec<Timeline>,
    pub cards: Vec<Card>,
    pub problems: Vec<FileProblems>,
    pub rules: Vec<Rule>,
    pub run: RunInfo,
}

/// A number with what it counts.
pub struct Count {
    pub label: String,
    /// CSS class (a severity), or empty.
    pub class: &'static str,
    pub n: usize,
}

/// The case at a glance.
pub struct Glance {
    pub findings: usize,
    pub hosts: usize,
    pub covered: usize,
    pub by_severity: Vec<Count>,
    pub by_detection: Vec<Count>,
    /// First and last finding, or empty.
    pub first: String,
    pub last: String,
    /// Findings whose payload was seen running.
    pub ran: usize,
    /// What was read: files, size, records, skipped.
    pub scanned: String,
    /// Problems that may have cost evidence.
    pub problems: usize,
    /// What the filters left out, one sentence each.
    pub filtered: Vec<String>,
}

/// A host's row in the coverage table.
pub struct HostRow {
    pub name: String,
    /// Its timeline's element id, when it has one.
    pub timeline: Option<String>,
    pub files: u64,
    pub sysmon: String,
    pub security: String,
    pub covered: bool,
    pub verdict: String,
    pub findings: u64,
    pub detections: String,
}

/// The read problems of one file.
pub struct FileProblems {
    pub path: String,
    pub lines: Vec<String>,
    /// Problems not listed.
    pub more: usize,
}

/// A detection of the catalog that was applied.
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub techniques: String,
    pub locations: Vec<String>,
}

/// What produced the report.
pub struct RunInfo {
    pub command_line: String,
    pub version: &'static str,
    pub started: String,
    pub time_zone: String,
    pub elapsed: String,
    pub execution_check: String,
    pub severity_rule: &'static str,
}

impl Case {
    /// The view of `report`, times shown in `time`.
    pub fn of(report: &RunReport, time: &TimeDisplay) -> Case {
        fn checked<T, E>(pass: &Option<Result<T, E>>) -> Checked {
            match pass {
                Some(Ok(_)) => Checked::Yes,
                Some(Err(_)) => Checked::Failed,
                None => Checked::Skipped,
            }
        }
        let passes = Passes {
            execution: checked(&report.execution),
            attribution: checked(&report.attribution),
        };
        let cards: Vec<Card> = report
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| Card::of(f, i, passes, time))
            .collect();
        let hosts = hosts::hosts(report);
        let timelines = timelines(report, time);
        let title = format!(
            "wmihunt report: {} on {}",
            count(report.findings.len() as u64, "finding"),
            count(hosts.len() as u64, "host")
        );
        Case {
            title,
            glance: glance(report, &hosts, time),
            hosts: host_rows(&hosts, &timelines, time),
            timelines,
            cards,
            problems: problems(report),
            rules: rules(),
            run: run_info(report, time),
        }
    }
}

/// One timeline per host that has marks, hosts in name order.
fn timelines(report: &RunReport, time: &TimeDisplay) -> Vec<Timeline> {
    let mut by_host: BTreeMap<&str, Vec<Mark>> = BTreeMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        by_host
            .entry(f.host())
            .or_default()
            .extend(card::marks(f, i));
    }
    by_host
        .into_iter()
        .enumerate()
        .map(|(i, (host, marks))| timeline::build(format!("t{}", i + 1), shown(host), &marks, time))
        .collect()
}

fn glance(report: &RunReport, hosts: &BTreeMap<String, Host>, time: &TimeDisplay) -> Glance {
    let mut by_severity: BTreeMap<_, usize> = BTreeMap::new();
    let mut by_detection: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in &report.findings {
        *by_severity
            .entry(std::cmp::Reverse(f.severity()))
            .or_default() += 1;
        let d = f.detection();
        *by_detection.entry((d.id, d.title)).or_default() += 1;
    }
    let first = report.findings.iter().map(Finding::timestamp).min();
    let last = report.findings.iter().map(Finding::timestamp).max();
    let s = &report.stats;
    Glance {
        findings: report.findings.len(),
        hosts: hosts.len(),
        covered: hosts.values().filter(|h| h.covered()).count(),
        by_severity: by_severity
            .into_iter()
            .map(|(severity, n)| Count {
                label: severity.0.as_str().to_string(),
                class: severity.0.as_str(),
                n,
            })
            .collect(),
        by_detection: by_detection
            .into_iter()
            .map(|((id, title), n)| Count {
                label: format!("{id}: {title}"),
                class: "",
                n,
            })
            .collect(),
        first: first.map(|t| time.show(t)).unwrap_or_default(),
        last: last.map(|t| time.show(t)).unwrap_or_default(),
        ran: report
            .findings
            .iter()
            .filter(|f| f.execution.is_some())
            .count(),
        scanned: format!(
            "{}, {:.1} MiB, {}; {} skipped as not event logs",
            count(s.files, "event log file"),
            s.bytes as f64 / (1024.0 * 1024.0),
            count(s.records, "record"),
            report.skipped.len()
        ),
        problems: report.evidence_problems(),
        filtered: filtered(report),
    }
}

/// What the filters left out, in sentences.
fn filtered(report: &RunReport) -> Vec<String> {
    let f = &report.filters;
    let mut lines = Vec::new();
    if f.below_level > 0 {
        lines.push(format!(
            "{} below --min-level {}",
            count(f.below_level as u64, "finding"),
            f.min_level.as_str()
        ));
    }
    if f.other_hosts > 0 {
        lines.push(format!(
            "{} on hosts out of scope (--host, --exclude-host)",
            count(f.other_hosts as u64, "finding")
        ));
    }
    for allowed in &f.allowed {
        let reason = allowed
            .reason
            .as_deref()
            .map(|r| format!(" ({})", visible(r)))
            .unwrap_or_default();
        lines.push(format!(
            "{} allowed by the allowlist entry “{}”{reason}",
            count(allowed.findings as u64, "finding"),
            visible(&allowed.name)
        ));
    }
    lines
}

/// A count and the span of its record times.
fn tally(t: &Tally, time: &TimeDisplay) -> String {
    match (t.first, t.last) {
        (Some(first), Some(last)) if t.records > 0 => {
            format!("{} ({} – {})", t.records, time.show(first), time.show(last))
        }
        _ => t.records.to_string(),
    }
}

fn host_rows(
    hosts: &BTreeMap<String, Host>,
    timelines: &[Timeline],
    time: &TimeDisplay,
) -> Vec<HostRow> {
    hosts
        .iter()
        .map(|(name, h)| {
            let name = shown(name);
            let detections: Vec<String> = h
                .by_detection
                .iter()
                .map(|((id, severity), n)| format!("{id} ({severity}): {n}"))
                .collect();
            HostRow {
                timeline: timelines
                    .iter()
                    .find(|t| t.host == name)
                    .map(|t| t.id.clone()),
                name,
                files: h.files,
                sysmon: tally(&h.coverage.sysmon, time),
                security: tally(&h.coverage.security, time),
                covered: h.covered(),
                verdict: hosts::verdict(h),
                findings: h.findings,
                detections: detections.join(", "),
            }
        })
        .collect()
}

/// Read problems grouped by file, in the order first reported.
fn problems(report: &RunReport) -> Vec<FileProblems> {
    let mut files: Vec<FileProblems> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for p in &report.problems {
        let path = visible(&p.path.to_string_lossy());
        let mut line = p.kind.label().to_string();
        if let Some(chunk) = p.chunk {
            line.push_str(&format!(": chunk {chunk}"));
        }
        if let Some(record) = p.record {
            line.push_str(&format!(": record {record}"));
        }
        line.push_str(&format!(": {}", visible(&p.message)));
        match index.get(&path).and_then(|&i| files.get_mut(i)) {
            Some(file) if file.lines.len() >= MAX_PROBLEMS_PER_FILE => file.more += 1,
            Some(file) => file.lines.push(line),
            None => {
                index.insert(path.clone(), files.len());
                files.push(FileProblems {
                    path,
                    lines: vec![line],
                    more: 0,
                });
            }
        }
    }
    if let Some(Err(message)) = &report.execution {
        files.push(FileProblems {
            path: "(execution check)".into(),
            lines: vec![visible(message)],
            more: 0,
        });
    }
    files
}

/// The registry detections with their locations, then the subscription detection with the
/// events it is joined from.
fn rules() -> Vec<Rule> {
    let registry = CATALOG.iter().map(|d| Rule {
        id: d.id,
        title: d.title,
        techniques: d.techniques.join(", "),
        locations: d.locations.iter().map(|l| l.pattern()).collect(),
    });
    let d = &WMI_SUBSCRIPTION;
    let subscription = Rule {
        id: d.id,
        title: d.title,
        techniques: d.techniques.join(", "),
        locations: SUBSCRIPTION_SOURCES.iter().map(|s| s.to_string()).collect(),
    };
    registry.chain([subscription]).collect()
}

/// `arg` as a POSIX shell would need it typed.
fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

fn run_info(report: &RunReport, time: &TimeDisplay) -> RunInfo {
    let inv = &report.invocation;
    let words: Vec<String> = inv.command_line.iter().map(|a| shell_word(a)).collect();
    let execution_check = match &report.execution {
        Some(Ok((stats, elapsed))) => format!(
            "{} payloads searched, {} process creations naming them read, {} findings whose \
             payload ran ({:.2} s)",
            stats.payloads,
            stats.process_starts,
            stats.seen,
            elapsed.as_secs_f64()
        ),
        Some(Err(message)) => visible(message),
        None => "not run (--no-execution-check)".into(),
    };
    RunInfo {
        command_line: visible(&words.join(" ")),
        version: inv.version,
        started: time.show(inv.started),
        time_zone: visible(&time.label),
        elapsed: format!("{:.2} s", report.elapsed.as_secs_f64()),
        execution_check,
        severity_rule: RULE_SEVERITY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_shown_as_typed() {
        assert_eq!(shell_word("--host"), "--host");
        assert_eq!(shell_word("WS*"), "'WS*'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
