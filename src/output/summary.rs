//! Diagnostics on stderr, written in one place after the results: every problem with its
//! file, chunk and record, the per-host summary, the run summary (what was scanned, skipped and
//! could not be read, totals, speed), the "did it run" pass's line and the coverage warning.

use super::sanitize::terminal_safe;
use super::TimeDisplay;
use crate::event::is_sysmon;
use crate::problem::Kind;
use crate::report::{CheckStats, RunReport};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::time::Duration;

const MIB: f64 = 1024.0 * 1024.0;

/// What the diagnostics show.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// No run summary (problems are still shown).
    pub quiet: bool,
    /// List the skipped files.
    pub verbose: bool,
    /// The per-host summary.
    pub hosts: bool,
    /// How times are shown to people.
    pub time: TimeDisplay,
}

/// `n` and the noun, plural unless `n` is 1.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Writes everything `options` asks for, problems always.
pub fn write_diagnostics(
    out: &mut dyn Write,
    report: &RunReport,
    options: &Diagnostics,
) -> io::Result<()> {
    write_problems(out, report)?;
    if options.hosts {
        write_hosts(out, report, &options.time)?;
    }
    if !options.quiet {
        write_summary(out, report, options.verbose)?;
        if let Some(Ok((stats, elapsed))) = &report.execution {
            write_execution_check(out, stats, *elapsed)?;
        }
    }
    write_coverage_warning(out, report)
}

/// Writes every problem, one per line.
fn write_problems(out: &mut dyn Write, report: &RunReport) -> io::Result<()> {
    for problem in &report.problems {
        writeln!(
            out,
            "wmihunt: {}: {}",
            problem.kind.label(),
            terminal_safe(&problem.to_string())
        )?;
    }
    if let Some(Err(message)) = &report.execution {
        writeln!(out, "wmihunt: error: {message}")?;
    }
    Ok(())
}

/// Writes the summary block.
fn write_summary(out: &mut dyn Write, report: &RunReport, verbose: bool) -> io::Result<()> {
    let s = &report.stats;
    let secs = report.elapsed.as_secs_f64();
    let mb = s.bytes as f64 / MIB;
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    let of_kind = |kind| report.problems.iter().filter(|p| p.kind == kind).count();
    let mut failed_files: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.kind == Kind::Read)
        .map(|p| &p.path)
        .collect();
    failed_files.sort();
    failed_files.dedup();
    writeln!(out, "── wmihunt summary ──")?;
    writeln!(
        out,
        "files:    {} scanned, {} with read errors, {} unreadable logs (empty, truncated or not \
         EVTX), {} unreadable paths, {} skipped (not event logs)",
        s.files,
        failed_files.len(),
        of_kind(Kind::UnreadableLog),
        of_kind(Kind::UnreadablePath),
        report.skipped.len(),
    )?;
    writeln!(
        out,
        "data:     {mb:.1} MiB, {} ({} parsed, {} skipped by the pre-filter, {} rendered)",
        count(s.records, "record"),
        count(s.chunks_parsed, "chunk"),
        s.chunks_skipped,
        count(s.rendered, "record"),
    )?;
    let info = report.findings.iter().filter(|f| f.is_info()).count();
    match info {
        0 => writeln!(out, "findings: {}", report.findings.len())?,
        _ => writeln!(
            out,
            "findings: {} (and {info} info: context from --context)",
            report.findings.len() - info
        )?,
    }
    if s.builtin_subscriptions > 0 && info == 0 {
        writeln!(
            out,
            "          {} Windows built-in WMI subscription(s) recognised (info; --context lists them)",
            s.builtin_subscriptions
        )?;
    }
    writeln!(out, "time:     {secs:.2} s ({rate:.1} MiB/s)")?;
    if verbose {
        for skipped in &report.skipped {
            let path = skipped.path.to_string_lossy();
            writeln!(
                out,
                "skipped:  {}: {}",
                terminal_safe(&path),
                skipped.reason
            )?;
        }
    } else if !report.skipped.is_empty() {
        writeln!(out, "          (--verbose lists the skipped files)")?;
    }
    Ok(())
}

/// One line on the execution check: what it searched and what it saw.
fn write_execution_check(
    out: &mut dyn Write,
    stats: &CheckStats,
    elapsed: Duration,
) -> io::Result<()> {
    writeln!(
        out,
        "payloads: {} searched, {} process creations naming them read, {} findings whose payload ran ({:.2} s)",
        stats.payloads,
        stats.process_starts,
        stats.seen,
        elapsed.as_secs_f64()
    )
}

/// Whether any scanned file is a Sysmon log.
fn any_sysmon(report: &RunReport) -> bool {
    report
        .files
        .iter()
        .any(|f| f.identity.as_ref().is_some_and(is_sysmon))
}

/// Warns when no Sysmon log was scanned and nothing was found: the detections need Sysmon
/// registry events (or Security 4657, rarely audited), so an empty result over, say,
/// Security logs alone is no clean bill of health.
fn write_coverage_warning(out: &mut dyn Write, report: &RunReport) -> io::Result<()> {
    if report.files.is_empty()
        || any_sysmon(report)
        || !report.findings.is_empty()
        || report.stats.registry_events > 0
        || report.stats.subscription_events > 0
    {
        return Ok(());
    }
    writeln!(
        out,
        "wmihunt: warning: none of the {} scanned files is a Sysmon log \
         (Microsoft-Windows-Sysmon/Operational) and no registry event was read: the detections \
         need Sysmon registry events (EID 12, 13, 14) or Security 4657 (registry auditing), so \
         no findings here says nothing about WMI persistence",
        report.files.len()
    )
}

/// Per-host totals: findings by detection and severity, first and last finding, and whether
/// the host's Sysmon log was scanned (so that no findings is a real clean result).
fn write_hosts(out: &mut dyn Write, result: &RunReport, time: &TimeDisplay) -> io::Result<()> {
    #[derive(Default)]
    struct Host {
        sysmon_files: u64,
        sysmon_records: u64,
        other_channels: BTreeSet<String>,
        by_detection: BTreeMap<(&'static str, &'static str), u64>,
        findings: u64,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
    }
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    for file in &result.files {
        let Some(identity) = &file.identity else {
            continue;
        };
        let host = hosts.entry(identity.host.clone()).or_default();
        if is_sysmon(identity) {
            host.sysmon_files += 1;
            host.sysmon_records += file.records;
        } else {
            host.other_channels.insert(identity.channel.clone());
        }
    }
    for f in &result.findings {
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
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "Host".to_string(),
        "Findings".to_string(),
        "By detection (severity)".to_string(),
        format!("First ({})", time.label),
        format!("Last ({})", time.label),
        "Sysmon log scanned".to_string(),
    ]);
    for (name, h) in &hosts {
        let detections: Vec<String> = h
            .by_detection
            .iter()
            .map(|((id, severity), n)| format!("{id} ({severity}): {n}"))
            .collect();
        let coverage = if h.sysmon_files > 0 {
            format!(
                "yes: {} file(s), {} records",
                h.sysmon_files, h.sysmon_records
            )
        } else {
            let others: Vec<&str> = h.other_channels.iter().map(String::as_str).collect();
            format!(
                "NO (only {}): not covered unless registry auditing (4657) is on",
                others.join(", ")
            )
        };
        table.add_row(vec![
            terminal_safe(if name.is_empty() { "(unknown)" } else { name }).into_owned(),
            h.findings.to_string(),
            detections.join("\n"),
            h.first.map(|t| time.show(t)).unwrap_or_default(),
            h.last.map(|t| time.show(t)).unwrap_or_default(),
            terminal_safe(&coverage).into_owned(),
        ]);
    }
    writeln!(out, "── per host ──\n{table}")
}
