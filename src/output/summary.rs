//! The run summary on stderr: what was scanned, skipped and could not be read (each problem
//! with its file, chunk and record), totals, and speed.

use super::sanitize::terminal_safe;
use super::TimeDisplay;
use crate::discover::Discovery;
use crate::event::LogIdentity;
use crate::execution::CheckStats;
use crate::scan::ScanResult;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::time::Duration;

const MIB: f64 = 1024.0 * 1024.0;

/// `n` and the noun, plural unless `n` is 1.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Writes every read problem, one per line (always, even with `--quiet`).
pub fn write_problems(
    out: &mut dyn Write,
    discovery: &Discovery,
    result: &ScanResult,
) -> io::Result<()> {
    let lines = [
        ("error", &discovery.errors),
        ("unreadable log", &discovery.unreadable_logs),
        ("note", &discovery.loops),
    ];
    for (label, problems) in lines {
        for e in problems {
            let path = e.path.to_string_lossy();
            writeln!(
                out,
                "wmihunt: {label}: {}: {}",
                terminal_safe(&path),
                terminal_safe(&e.message)
            )?;
        }
    }
    for e in &result.errors {
        writeln!(
            out,
            "wmihunt: read error: {}",
            terminal_safe(&e.to_string())
        )?;
    }
    Ok(())
}

/// Writes the summary block.
pub fn write_summary(
    out: &mut dyn Write,
    discovery: &Discovery,
    result: &ScanResult,
    elapsed: Duration,
    verbose: bool,
) -> io::Result<()> {
    let s = &result.stats;
    let secs = elapsed.as_secs_f64();
    let mb = s.bytes as f64 / MIB;
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    let mut failed_files: Vec<_> = result.errors.iter().map(|e| &e.path).collect();
    failed_files.sort();
    failed_files.dedup();
    writeln!(out, "── wmihunt summary ──")?;
    writeln!(
        out,
        "files:    {} scanned, {} with read errors, {} unreadable logs (empty, truncated or not \
         EVTX), {} unreadable paths, {} skipped (not event logs)",
        s.files,
        failed_files.len(),
        discovery.unreadable_logs.len(),
        discovery.errors.len(),
        discovery.skipped.len(),
    )?;
    writeln!(
        out,
        "data:     {mb:.1} MiB, {} ({} parsed, {} skipped by the pre-filter, {} rendered)",
        count(s.records, "record"),
        count(s.chunks_parsed, "chunk"),
        s.chunks_skipped,
        count(s.rendered, "record"),
    )?;
    writeln!(out, "findings: {}", result.findings.len())?;
    writeln!(out, "time:     {secs:.2} s ({rate:.1} MiB/s)")?;
    if verbose {
        for skipped in &discovery.skipped {
            let path = skipped.path.to_string_lossy();
            writeln!(
                out,
                "skipped:  {}: {}",
                terminal_safe(&path),
                skipped.reason
            )?;
        }
    } else if !discovery.skipped.is_empty() {
        writeln!(out, "          (--verbose lists the skipped files)")?;
    }
    Ok(())
}

/// One line on the execution check: what it searched and what it saw.
pub fn write_execution_check(
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
fn any_sysmon(result: &ScanResult) -> bool {
    result
        .files
        .iter()
        .any(|f| f.identity.as_ref().is_some_and(LogIdentity::is_sysmon))
}

/// Warns when no Sysmon log was scanned and nothing was found: the detections need Sysmon
/// registry events (or Security 4657, rarely audited), so an empty result over, say,
/// Security logs alone is no clean bill of health.
pub fn write_coverage_warning(out: &mut dyn Write, result: &ScanResult) -> io::Result<()> {
    if result.files.is_empty()
        || any_sysmon(result)
        || !result.findings.is_empty()
        || result.stats.registry_events > 0
    {
        return Ok(());
    }
    writeln!(
        out,
        "wmihunt: warning: none of the {} scanned files is a Sysmon log \
         (Microsoft-Windows-Sysmon/Operational) and no registry event was read: the detections \
         need Sysmon registry events (EID 12, 13, 14) or Security 4657 (registry auditing), so \
         no findings here says nothing about WMI persistence",
        result.files.len()
    )
}

/// Per-host totals: findings by detection and severity, first and last finding, and whether
/// the host's Sysmon log was scanned (so that no findings is a real clean result).
pub fn write_hosts(out: &mut dyn Write, result: &ScanResult, time: &TimeDisplay) -> io::Result<()> {
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
        if identity.is_sysmon() {
            host.sysmon_files += 1;
            host.sysmon_records += file.records;
        } else {
            host.other_channels.insert(identity.channel.clone());
        }
    }
    for f in &result.findings {
        let host = hosts.entry(f.event.host.clone()).or_default();
        host.findings += 1;
        *host
            .by_detection
            .entry((f.matched.detection.id, f.severity().as_str()))
            .or_default() += 1;
        let t = f.event.timestamp;
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
