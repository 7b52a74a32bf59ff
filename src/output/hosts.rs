//! Per-host view of a run: findings by detection and severity, and coverage — the registry
//! events the detections could judge for that host, per source, and the time they span. A
//! host is covered when it has registry events of either source; "no findings" on a host
//! that is not covered says nothing.

use super::sanitize::terminal_safe;
use super::TimeDisplay;
use crate::report::{Coverage, RunReport, Tally};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// One host's totals.
#[derive(Debug, Default)]
pub struct Host {
    /// Files whose records name this host.
    pub files: u64,
    /// The channels of those files.
    pub channels: BTreeSet<String>,
    /// Registry events in them.
    pub coverage: Coverage,
    /// Findings on this host.
    pub findings: u64,
    /// Findings by (detection, severity).
    pub by_detection: BTreeMap<(&'static str, &'static str), u64>,
    /// The first and last finding.
    pub first: Option<Timestamp>,
    /// See `first`.
    pub last: Option<Timestamp>,
}

impl Host {
    /// Whether the detections had registry events to judge on this host.
    pub fn covered(&self) -> bool {
        self.coverage.events() > 0
    }
}

/// Hosts by name (`""` for files whose host is unknown: no record could be read), those
/// that `--host`/`--exclude-host` leave out excepted.
pub fn hosts(report: &RunReport) -> BTreeMap<String, Host> {
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    for file in &report.files {
        let name = file
            .identity
            .as_ref()
            .map(|i| i.host.clone())
            .unwrap_or_default();
        if !report.filters.hosts.matches(&name) {
            continue;
        }
        let host = hosts.entry(name).or_default();
        host.files += 1;
        host.coverage.merge(&file.coverage);
        if let Some(identity) = &file.identity {
            if !identity.channel.is_empty() {
                host.channels.insert(identity.channel.clone());
            }
        }
    }
    for f in &report.findings {
        let host = hosts.entry(f.host().to_string()).or_default();
        // Info context is listed by detection, not counted as findings.
        host.findings += u64::from(!f.is_info());
        *host
            .by_detection
            .entry((f.detection().id, f.severity().as_str()))
            .or_default() += 1;
        let t = f.timestamp();
        host.first = Some(host.first.map_or(t, |v| v.min(t)));
        host.last = Some(host.last.map_or(t, |v| v.max(t)));
    }
    hosts
}

/// A host's name as shown.
pub fn shown(name: &str) -> String {
    if name.is_empty() {
        "(unknown host)".to_string()
    } else {
        terminal_safe(name).into_owned()
    }
}

/// `n` in a column: the count, and the span of record times when there is one.
fn tally_cell(tally: &Tally, time: &TimeDisplay) -> String {
    match (tally.records, tally.first, tally.last) {
        (0, _, _) => "0".to_string(),
        (n, Some(first), Some(last)) => {
            format!("{n}\n{} –\n{}", time.show(first), time.show(last))
        }
        (n, _, _) => n.to_string(),
    }
}

/// What a host's coverage means, in words.
pub fn verdict(host: &Host) -> String {
    if host.covered() {
        return "covered".to_string();
    }
    let has_sysmon = host
        .channels
        .iter()
        .any(|c| c.eq_ignore_ascii_case(crate::event::SYSMON_CHANNEL));
    if has_sysmon {
        "NOT covered: its Sysmon log holds no registry events (EID 12/13/14)".to_string()
    } else {
        "NOT covered: no Sysmon registry events and no Security 4657 in its logs".to_string()
    }
}

/// Writes the per-host table.
pub fn write_hosts(out: &mut dyn Write, report: &RunReport, time: &TimeDisplay) -> io::Result<()> {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "Host".to_string(),
        "Findings".to_string(),
        "By detection (severity)".to_string(),
        format!("Sysmon 12/13/14 ({})", time.label),
        format!("Security 4657 ({})", time.label),
        "Coverage".to_string(),
    ]);
    for (name, h) in &hosts(report) {
        let detections: Vec<String> = h
            .by_detection
            .iter()
            .map(|((id, severity), n)| format!("{id} ({severity}): {n}"))
            .collect();
        table.add_row(vec![
            shown(name),
            h.findings.to_string(),
            detections.join("\n"),
            tally_cell(&h.coverage.sysmon, time),
            tally_cell(&h.coverage.security, time),
            verdict(h),
        ]);
    }
    writeln!(out, "── per host ──\n{table}")
}
