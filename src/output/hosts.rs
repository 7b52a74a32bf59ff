//! Per-host view of a run: findings by detection and severity, and coverage — the registry
//! events the detections could judge for that host, per source, and the time they span. A
//! host is covered when it has registry events of either source; "no findings" on a host
//! that is not covered says nothing.

use super::sanitize::terminal_safe;
use super::summary::count;
use super::terminal::{fitted_table, write_hanging, Terminal, TABLE_FROM};
use super::TimeDisplay;
use crate::report::{Coverage, RunReport, Tally};
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

/// Writes the per-host summary, fitted to the terminal: a table from `TABLE_FROM` columns,
/// else a block of wrapped lines per host.
pub fn write_hosts(
    out: &mut dyn Write,
    report: &RunReport,
    time: &TimeDisplay,
    terminal: &Terminal,
) -> io::Result<()> {
    let hosts = hosts(report);
    writeln!(out, "── per host ──")?;
    if terminal.columns() < TABLE_FROM {
        return write_host_blocks(out, &hosts, time, terminal.columns());
    }
    let mut table = fitted_table(terminal);
    table.set_header(vec![
        "Host".to_string(),
        "Findings".to_string(),
        "By detection (severity)".to_string(),
        format!("Sysmon 12/13/14 ({})", time.label),
        format!("Security 4657 ({})", time.label),
        "Coverage".to_string(),
    ]);
    for (name, h) in &hosts {
        table.add_row(vec![
            shown(name),
            h.findings.to_string(),
            by_detection(h).join("\n"),
            tally_cell(&h.coverage.sysmon, time),
            tally_cell(&h.coverage.security, time),
            verdict(h),
        ]);
    }
    writeln!(out, "{table}")
}

/// Findings by detection and severity: `run_keys (high): 2`.
fn by_detection(h: &Host) -> Vec<String> {
    h.by_detection
        .iter()
        .map(|((id, severity), n)| format!("{id} ({severity}): {n}"))
        .collect()
}

/// One block per host: its name, findings and verdict; the events judged; the findings by
/// detection; each wrapped to `columns`.
fn write_host_blocks(
    out: &mut dyn Write,
    hosts: &BTreeMap<String, Host>,
    time: &TimeDisplay,
    columns: usize,
) -> io::Result<()> {
    let tally = |label: &str, t: &Tally| match (t.first, t.last) {
        (Some(first), Some(last)) if t.records > 0 => format!(
            "{label}: {} ({} – {})",
            t.records,
            time.show(first),
            time.show(last)
        ),
        _ => format!("{label}: {}", t.records),
    };
    for (name, h) in hosts {
        let lines = [
            format!(
                "{}: {} · {}",
                shown(name),
                count(h.findings, "finding"),
                verdict(h)
            ),
            format!(
                "  {} · {}",
                tally("Sysmon 12/13/14", &h.coverage.sysmon),
                tally("Security 4657", &h.coverage.security)
            ),
            format!("  {}", by_detection(h).join(" · ")),
        ];
        for (i, line) in lines.iter().enumerate() {
            if i == 2 && h.by_detection.is_empty() {
                continue;
            }
            write_hanging(out, "", line, if i == 0 { 2 } else { 4 }, columns)?;
        }
    }
    Ok(())
}
