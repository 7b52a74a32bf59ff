//! Diagnostics on stderr, written in one place after the results: every problem with its
//! file, chunk and record, the per-host summary, the run summary (what was scanned, skipped and
//! could not be read, totals, speed), the "did it run" pass's line and the coverage warning.

use super::hosts::{self, shown};
use super::sanitize::terminal_safe;
use super::terminal::Terminal;
use super::TimeDisplay;
use crate::problem::Kind;
use crate::report::{CheckStats, RunReport};
use std::collections::BTreeMap;
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

/// Writes everything `options` asks for after the results (the problems come before them:
/// `write_problems`), the per-host tables laid out for `terminal`.
pub fn write_diagnostics(
    out: &mut dyn Write,
    report: &RunReport,
    options: &Diagnostics,
    terminal: &Terminal,
) -> io::Result<()> {
    if options.hosts {
        hosts::write_hosts(out, report, &options.time, terminal)?;
        super::callers::write_hosts(out, report, &options.time, terminal)?;
    }
    if !options.quiet {
        write_summary(out, report, options.verbose)?;
        if let Some(Ok((stats, elapsed))) = &report.execution {
            write_execution_check(out, stats, *elapsed)?;
        }
        if let Some(Ok((stats, elapsed))) = &report.attribution {
            super::callers::write_line(out, stats, *elapsed)?;
        }
    }
    write_coverage_warning(out, report)
}

/// Writes every problem, one per line; unreadable carved records (stale data) only when
/// `verbose`: the summary counts them per file. Written before the results, so that a
/// table on the terminal is not pushed off screen by them.
pub fn write_problems(out: &mut dyn Write, report: &RunReport, verbose: bool) -> io::Result<()> {
    for problem in report
        .problems
        .iter()
        .filter(|p| verbose || p.kind != Kind::Slack)
    {
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
    if let Some(Err(message)) = &report.attribution {
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
    let carved = if s.carved > 0 {
        format!(", {} carved from slack", s.carved)
    } else {
        String::new()
    };
    writeln!(
        out,
        "data:     {mb:.1} MiB, {}{carved} ({} parsed, {} skipped by the pre-filter, {} rendered)",
        count(s.records, "record"),
        count(s.chunks_parsed, "chunk"),
        s.chunks_skipped,
        count(s.rendered, "record"),
    )?;
    write_slack(out, report, verbose)?;
    write_findings_line(out, report)?;
    write_filtered(out, report)?;
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
        "payloads: {} searched in {} that can hold process creations, {} process creations \
         naming them read, {} findings whose payload ran ({:.2} s)",
        stats.payloads,
        count(stats.chunks, "chunk"),
        stats.process_starts,
        stats.seen,
        elapsed.as_secs_f64()
    )
}

/// Unreadable carved records, counted per file (`-v` lists each).
fn write_slack(out: &mut dyn Write, report: &RunReport, verbose: bool) -> io::Result<()> {
    let mut per_file: BTreeMap<&std::path::Path, u64> = BTreeMap::new();
    for p in report.problems.iter().filter(|p| p.kind == Kind::Slack) {
        *per_file.entry(&p.path).or_default() += 1;
    }
    for (path, n) in &per_file {
        writeln!(
            out,
            "slack:    {}: {} carved from slack could not be read (stale data, no exit 2{})",
            terminal_safe(&path.to_string_lossy()),
            count(*n, "record"),
            if verbose { "" } else { "; -v lists them" }
        )?;
    }
    Ok(())
}

/// Host names, at most a few, for one line.
fn host_list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    const MAX: usize = 5;
    let names: Vec<String> = names.map(|n| shown(n)).collect();
    let mut text = names
        .iter()
        .take(MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX {
        text.push_str(&format!(
            " and {} more (--summary lists them)",
            names.len() - MAX
        ));
    }
    text
}

/// The findings, and what they rest on: how many registry events of each source were judged,
/// on which hosts, and which hosts had none (so "0 findings" never stands alone).
fn write_findings_line(out: &mut dyn Write, report: &RunReport) -> io::Result<()> {
    let hosts = hosts::hosts(report);
    let (covered, uncovered): (Vec<_>, Vec<_>) = hosts.iter().partition(|(_, h)| h.covered());
    let (sysmon, security) = hosts.values().fold((0, 0), |(a, b), h| {
        (
            a + h.coverage.sysmon.records,
            b + h.coverage.security.records,
        )
    });
    let judged = format!(
        "judged {} and {} on {}",
        count(sysmon, "Sysmon registry event"),
        count(security, "Security 4657 event"),
        count(covered.len() as u64, "host"),
    );
    let on = if covered.is_empty() {
        String::new()
    } else {
        format!(": {}", host_list(covered.iter().map(|(n, _)| *n)))
    };
    let s = &report.stats;
    let subscriptions = match s.subscription_events {
        0 => String::new(),
        n => format!(", and {}", count(n, "WMI subscription event")),
    };
    let info = report.findings.iter().filter(|f| f.is_info()).count();
    let also = match info {
        0 => String::new(),
        n => format!(" and {n} info (--context)"),
    };
    let found = report.findings.len() - info;
    writeln!(out, "findings: {found}{also} ({judged}{on}{subscriptions})")?;
    if !uncovered.is_empty() {
        writeln!(
            out,
            "          not covered (no registry events in their logs): {}",
            host_list(uncovered.iter().map(|(n, _)| *n))
        )?;
    }
    if s.builtin_subscriptions > 0 {
        writeln!(
            out,
            "          {} recognised as Windows' own: info, not findings{}",
            count(s.builtin_subscriptions, "WMI subscription"),
            if info == 0 {
                " (--context lists them)"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

/// What the filters left out, when any was given: per filter, and per allowlist entry.
fn write_filtered(out: &mut dyn Write, report: &RunReport) -> io::Result<()> {
    let f = &report.filters;
    if !f.is_set() {
        return Ok(());
    }
    let entries: Vec<String> = f
        .allowed
        .iter()
        .map(|a| format!("{}: {}", terminal_safe(&a.name), a.findings))
        .collect();
    let per_entry = if entries.is_empty() {
        String::new()
    } else {
        format!(" ({})", entries.join(", "))
    };
    writeln!(
        out,
        "filtered: {} left out: {} below --min-level {}, {} on hosts out of scope, {} allowed \
         by the allowlist{per_entry}",
        f.other_hosts + f.below_level + f.allowed_total(),
        f.below_level,
        f.min_level.as_str(),
        f.other_hosts,
        f.allowed_total(),
    )
}

/// Warns when the inputs held no registry event of either source: the detections need Sysmon
/// registry events (EID 12, 13, 14) or Security 4657, so registry persistence through WMI
/// cannot be seen in them, whatever else was found. Says what to turn on (`docs/coverage.md`).
fn write_coverage_warning(out: &mut dyn Write, report: &RunReport) -> io::Result<()> {
    let events: u64 = report.files.iter().map(|f| f.coverage.events()).sum();
    if report.files.is_empty() || events > 0 {
        return Ok(());
    }
    writeln!(
        out,
        "wmihunt: warning: no registry event the detections can judge (Sysmon EID 12/13/14 or \
         Security 4657) in the {}, so registry persistence through WMI cannot be seen in them. \
         Collect a Sysmon log whose configuration records registry events (RegistryEvent rules \
         for the autostart keys), or turn on registry auditing (the 'Audit Registry' \
         subcategory plus a SACL on the keys) for Security 4657; see docs/coverage.md",
        count(report.files.len() as u64, "scanned file")
    )
}
