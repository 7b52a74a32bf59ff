//! The run summary on stderr: what was scanned, skipped and could not be read (each problem
//! with its file, chunk and record), totals, and speed.

use super::sanitize::terminal_safe;
use crate::discover::Discovery;
use crate::scan::ScanResult;
use std::io::{self, Write};
use std::time::Duration;

const MIB: f64 = 1024.0 * 1024.0;

/// Writes every read problem, one per line (always, even with `--quiet`).
pub fn write_problems(
    out: &mut dyn Write,
    discovery: &Discovery,
    result: &ScanResult,
) -> io::Result<()> {
    for e in &discovery.errors {
        let path = e.path.to_string_lossy();
        writeln!(
            out,
            "wmihunt: error: {}: {}",
            terminal_safe(&path),
            terminal_safe(&e.message)
        )?;
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
        "files:    {} scanned, {} skipped (not EVTX), {} unreadable, {} with read errors",
        s.files,
        discovery.skipped.len(),
        discovery.errors.len(),
        failed_files.len()
    )?;
    writeln!(
        out,
        "data:     {mb:.1} MiB, {} records ({} chunks parsed, {} skipped by the pre-filter, {} records rendered)",
        s.records, s.chunks_parsed, s.chunks_skipped, s.rendered
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
