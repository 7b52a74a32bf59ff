//! The "did it run" pass: for each finding whose data names a program (its `Payload`), looks
//! for process creations on the same host after the write: Sysmon Event ID 1 (`Image`,
//! `CommandLine`) and Security 4688 (`NewProcessName`, `CommandLine`). It stays fast the way
//! the detection pass does: the payload names are searched in raw chunk bytes and only records
//! that hold one are rendered (the same pre-filter, with other words).

use super::{run_units, PassError, Silent};
use crate::event::process::ProcessStart;
use crate::event::records_processes;
use crate::evidence::EvidenceFile;
use crate::finding::{Execution, Finding};
use crate::read::prefilter::Needle;
use crate::read::Reader;
use crate::report::{CheckStats, FileSummary};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Options of the pass.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Worker threads.
    pub threads: usize,
    /// Also carve records from chunk slack, as the detection pass did.
    pub recover: bool,
}

/// Fills `execution` for every finding with a payload: the first process creation on the
/// same host, at or after the write, whose image is the payload's program (and whose command
/// line names its argument). Reads again only the Sysmon and Security logs (process creations
/// are nowhere else) of the hosts with findings, and files whose host and log are unknown
/// (`summaries[i]` describes `files[i]`), rendering only records that name a payload.
pub fn find_runs(
    files: &[EvidenceFile],
    summaries: &[FileSummary],
    findings: &mut [Finding],
    options: CheckOptions,
) -> Result<CheckStats, PassError> {
    let words: BTreeSet<String> = findings
        .iter()
        .filter_map(|f| f.payload.as_ref())
        .map(|p| p.needle().to_string())
        .collect();
    let mut stats = CheckStats {
        payloads: words.len(),
        ..CheckStats::default()
    };
    if words.is_empty() {
        return Ok(stats);
    }
    let hosts: Vec<&str> = findings.iter().map(Finding::host).collect();
    let files: Vec<EvidenceFile> = files
        .iter()
        .zip(summaries)
        .filter(|(_, summary)| {
            summary.identity.as_ref().is_none_or(|id| {
                records_processes(id) && hosts.iter().any(|h| h.eq_ignore_ascii_case(&id.host))
            })
        })
        .map(|(file, _)| file.clone())
        .collect();
    let starts = process_starts(&files, &words, options)?;
    stats.process_starts = starts.len();
    stats.seen = attach(findings, &starts);
    Ok(stats)
}

/// Every process creation in `files` whose record names one of `words`, with the file it was
/// read from, in time order.
fn process_starts(
    files: &[EvidenceFile],
    words: &BTreeSet<String>,
    options: CheckOptions,
) -> Result<Vec<(ProcessStart, PathBuf)>, PassError> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let needle = Needle::new(&words).map_err(PassError::Prefilter)?;
    let reader = Reader::new(Some(needle), options.recover, ProcessStart::EXTRACTOR);
    let units = run_units(
        files,
        options.threads,
        &reader,
        &Silent,
        |_, evidence, batch| {
            let label = evidence.label();
            let starts: Vec<(ProcessStart, PathBuf)> = batch
                .events
                .into_iter()
                .map(|e| (e.event, label.clone()))
                .collect();
            (starts, 0)
        },
    )?;
    let mut starts: Vec<(ProcessStart, PathBuf)> = units.into_iter().flatten().collect();
    starts.sort_by(|a, b| {
        (a.0.timestamp, &a.1, a.0.record_id).cmp(&(b.0.timestamp, &b.1, b.0.record_id))
    });
    Ok(starts)
}

/// Gives each finding the first of `starts` (in time order) that ran its payload on its host
/// at or after the write (for a subscription, before its removal); how many findings got one.
fn attach(findings: &mut [Finding], starts: &[(ProcessStart, PathBuf)]) -> usize {
    let mut seen = 0;
    for finding in findings.iter_mut() {
        let Some(payload) = &finding.payload else {
            continue;
        };
        let written = finding.timestamp();
        let host = finding.host().to_string();
        // A subscription runs nothing once it is removed.
        let removed = finding.subscription().and_then(|s| s.subscription.removed);
        finding.execution = starts
            .iter()
            .find(|(s, _)| {
                s.timestamp >= written
                    && removed.is_none_or(|end| s.timestamp <= end)
                    && s.host.eq_ignore_ascii_case(&host)
                    && payload.ran_in(s)
            })
            .map(|(s, path)| Execution {
                timestamp: s.timestamp,
                event_id: s.event_id,
                image: s.image.clone(),
                command_line: s.command_line.clone(),
                source_path: path.to_string_lossy().into_owned(),
                record_id: s.record_id,
            });
        seen += usize::from(finding.execution.is_some());
    }
    seen
}
