//! The "did it run" pass: for each finding whose data names a program (its `Payload`), looks
//! for process creations on the same host after the write: Sysmon Event ID 1 (`Image`,
//! `CommandLine`) and Security 4688 (`NewProcessName`, `CommandLine`). It stays fast the way
//! the detection pass does: the payload names are searched in raw chunk bytes and only records
//! that hold one are rendered (the same pre-filter, with other words), and it reads only the
//! chunks the first pass's index says can hold a process creation at or after a write on
//! their host.

use super::{
    all_units, run_units, selected_units, ChunkIndex, PassError, Silent, Unit, MARGIN_SECS,
};
use crate::event::process::{ProcessStart, PROCESS_TEMPLATES};
use crate::event::{is_forwarded, records_processes};
use crate::evidence::EvidenceFile;
use crate::finding::{Execution, Finding};
use crate::read::needle::Needle;
use crate::read::Reader;
use crate::report::{CheckStats, FileSummary};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What the first pass must index for this one: the chunks holding process creations.
pub const MARKERS: [crate::read::census::Marker; 2] = PROCESS_TEMPLATES;

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
    index: &ChunkIndex,
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
    let units = units(files, summaries, index, findings);
    stats.chunks = units.iter().map(|u| u.chunks.end - u.chunks.start).sum();
    let starts = process_starts(files, units, &words, options)?;
    stats.process_starts = starts.len();
    stats.seen = attach(findings, &starts);
    Ok(stats)
}

/// The chunks to read: in the Sysmon and Security logs of the hosts with findings, those the
/// index says hold a process creation at or after the host's first write (all of a file whose
/// host is unknown or that holds forwarded events, as they could be any host's).
fn units(
    files: &[EvidenceFile],
    summaries: &[FileSummary],
    index: &ChunkIndex,
    findings: &[Finding],
) -> Vec<Unit> {
    let kinds = index.kinds(&PROCESS_TEMPLATES);
    let mut units = Vec::new();
    for (i, (file, summary)) in files.iter().zip(summaries).enumerate() {
        let Some(id) = summary.identity.as_ref().filter(|id| !is_forwarded(id)) else {
            units.extend(
                all_units(std::slice::from_ref(file))
                    .into_iter()
                    .map(|u| Unit { file: i, ..u }),
            );
            continue;
        };
        let first_write = findings
            .iter()
            .filter(|f| f.host().eq_ignore_ascii_case(&id.host))
            .map(|f| f.timestamp().as_second())
            .min();
        let (Some(first_write), true) = (first_write, records_processes(id)) else {
            continue;
        };
        let entries = index.files.get(i).map(Vec::as_slice).unwrap_or_default();
        let from = first_write - MARGIN_SECS;
        units.extend(selected_units(i, file, entries, |e| {
            e.may_hold(kinds, from)
        }));
    }
    units
}

/// Every process creation in `units` of `files` whose record names one of `words`, with the
/// file it was read from, in time order.
fn process_starts(
    files: &[EvidenceFile],
    units: Vec<Unit>,
    words: &BTreeSet<String>,
    options: CheckOptions,
) -> Result<Vec<(ProcessStart, PathBuf)>, PassError> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let needle = Needle::new(&words).map_err(PassError::Prefilter)?;
    let reader = Reader::new(Some(needle), options.recover, ProcessStart::EXTRACTOR);
    let units = run_units(
        files,
        units,
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
