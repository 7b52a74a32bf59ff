//! The detection pass: reads every chunk of every evidence file (through `super::run_units`),
//! takes the registry events out of the records that can name WmiPrvSE.exe and the WMI
//! subscription events out of those that can hold one (one read of each chunk for both),
//! matches the registry events against the catalog, joins the subscription events
//! (`super::subscriptions`) and makes findings, gathered with the problems and counts in a
//! deterministic order. What is kept grows with the findings, not with the evidence.

use super::subscriptions::{self, Sourced};
use super::{all_units, run_units, ChunkIndex, PassError, Progress};
use crate::detect::payload;
use crate::detect::triage;
use crate::detect::{Action, Match, Matcher};
use crate::event::registry::{RegistryEvent, SECURITY_4657_TEMPLATE, SYSMON_REGISTRY_TEMPLATE};
use crate::event::scanned::Scanned;
use crate::event::subscription;
use crate::evidence::EvidenceFile;
use crate::finding::{Finding, FindingKind};
use crate::problem::Problem;
use crate::read::census::Marker;
use crate::read::needle::Needle;
use crate::read::{ChunkBatch, LogIdentity, Reader, SourcedEvent};
use crate::report::{Coverage, FileSummary, Stats};
use jiff::Timestamp;
use std::path::Path;

/// The text every WmiPrvSE-written event carries in its writer field: what the pre-filter
/// searches chunks for.
const WRITER_WORD: &str = "wmiprvse.exe";

/// Field names without which a chunk holds no registry event (Sysmon's `TargetObject`, 4657's
/// `ObjectValueName`): a chunk that names WmiPrvSE.exe only in process or image-load events is
/// skipped unparsed.
const REGISTRY_FIELDS: &[&str] = &["TargetObject", "ObjectValueName"];

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Worker threads.
    pub threads: usize,
    /// Skip chunks and records that cannot name WmiPrvSE.exe.
    pub prefilter: bool,
    /// Also carve records from chunk slack.
    pub recover: bool,
    /// Keep events at or after this time.
    pub from: Option<Timestamp>,
    /// Keep events at or before this time.
    pub to: Option<Timestamp>,
    /// Also report every other WmiPrvSE.exe registry write, Windows' own subscriptions and
    /// lone filters, as info (`--context`).
    pub context: bool,
}

/// What the detection pass produced.
#[derive(Debug, Default)]
pub struct Detected {
    /// Every scanned file, in the order given.
    pub files: Vec<FileSummary>,
    /// Findings in output order (time, file, record id).
    pub findings: Vec<Finding>,
    /// Everything that could not be read, in file and chunk order.
    pub problems: Vec<Problem>,
    /// Totals.
    pub stats: Stats,
    /// Which chunks hold which records, for the passes after this one.
    pub index: ChunkIndex,
}

/// What one unit of work produced, reduced on the worker.
struct UnitOutput {
    file: usize,
    stats: Stats,
    findings: Vec<Finding>,
    subscriptions: Vec<Sourced>,
    problems: Vec<Problem>,
    identity: Option<LogIdentity>,
    coverage: Coverage,
    index: Vec<crate::read::census::ChunkEntry>,
}

/// The counts of one unit of work (files are counted by the caller).
fn stats_of(batch: &ChunkBatch<Scanned>) -> Stats {
    let subscription_events = batch
        .events
        .iter()
        .filter(|e| matches!(e.event, Scanned::Subscription(_)))
        .count() as u64;
    Stats {
        files: 0,
        bytes: batch.bytes,
        records: batch.records,
        rendered: batch.rendered,
        chunks_parsed: batch.chunks_parsed,
        chunks_skipped: batch.chunks_skipped,
        carved: batch.carved,
        subscription_events,
        builtin_subscriptions: 0,
    }
}

/// The registry events a unit holds, from the census tallies (in `reader`'s marker order).
fn coverage_of<T>(batch: &ChunkBatch<T>) -> Coverage {
    let tally = |i: usize| batch.tallies.get(i).copied().unwrap_or_default();
    Coverage {
        sysmon: tally(0),
        security: tally(1),
    }
}

/// The census markers of this pass (coverage) and then `index_markers` (what later passes
/// look for), each once.
fn markers(index_markers: &[Marker]) -> Vec<Marker> {
    let mut markers = vec![SYSMON_REGISTRY_TEMPLATE, SECURITY_4657_TEMPLATE];
    for m in index_markers {
        if !markers.iter().any(|k| k.name == m.name) {
            markers.push(*m);
        }
    }
    markers
}

/// The reader: with the pre-filter, only records that can name WmiPrvSE.exe (in chunks that
/// hold registry events) or hold a subscription event are rendered.
fn reader(options: &ScanOptions, markers: &[Marker]) -> Result<Reader<Scanned>, PassError> {
    let needle = if options.prefilter {
        let writer = Needle::new(&[WRITER_WORD]).map_err(PassError::Prefilter)?;
        let subscription = subscription::prefilter().map_err(PassError::Prefilter)?;
        Some(writer.in_chunks_with(REGISTRY_FIELDS).or(subscription))
    } else {
        None
    };
    let reader = Reader::new(needle, options.recover, Scanned::EXTRACTOR);
    Ok(reader.with_markers(markers))
}

/// Runs the detection pass over `files`, indexing their chunks by `index_markers` too.
pub fn scan(
    files: &[EvidenceFile],
    options: &ScanOptions,
    progress: &dyn Progress,
    index_markers: &[Marker],
) -> Result<Detected, PassError> {
    let markers = markers(index_markers);
    let reader = reader(options, &markers)?;
    let matcher = Matcher::new();
    let outputs = run_units(
        files,
        all_units(files),
        options.threads,
        &reader,
        progress,
        |file, evidence, batch| {
            let label = evidence.label();
            let findings = to_findings(&matcher, &label, &batch, options);
            let found = findings.len() as u64;
            let output = UnitOutput {
                file,
                stats: stats_of(&batch),
                findings,
                subscriptions: subscription_events(&label, &batch),
                coverage: coverage_of(&batch),
                problems: batch.problems,
                identity: batch.identity,
                index: batch.index,
            };
            (output, found)
        },
    )?;

    let mut result = Detected {
        files: vec![FileSummary::default(); files.len()],
        index: ChunkIndex {
            markers,
            files: vec![Vec::new(); files.len()],
        },
        ..Detected::default()
    };
    result.stats.files = files.len() as u64;
    let mut events = Vec::new();
    for unit in outputs {
        result.stats.add(&unit.stats);
        if let Some(file) = result.files.get_mut(unit.file) {
            file.records += unit.stats.records;
            file.coverage.merge(&unit.coverage);
            if file.identity.is_none() {
                file.identity = unit.identity;
            }
        }
        if let Some(entries) = result.index.files.get_mut(unit.file) {
            entries.extend(unit.index);
        }
        result.problems.extend(unit.problems);
        result.findings.extend(unit.findings);
        events.extend(unit.subscriptions);
    }
    let joined = subscriptions::findings(events, options);
    result.stats.builtin_subscriptions = joined.builtin;
    result.findings.extend(joined.findings);
    result.findings.sort_by(Finding::output_order);
    Ok(result)
}

/// Scans one EVTX file held in memory, on the calling thread, through the same reader and
/// matcher as `scan`: the entry point for fuzzing and for tests of crafted files.
pub fn scan_buffer(
    path: &Path,
    bytes: &[u8],
    options: &ScanOptions,
) -> Result<Detected, PassError> {
    let batch = reader(options, &markers(&[]))?.read_buffer(path, bytes);
    let mut findings = to_findings(&Matcher::new(), path, &batch, options);
    let joined = subscriptions::findings(subscription_events(path, &batch), options);
    findings.extend(joined.findings);
    findings.sort_by(Finding::output_order);
    Ok(Detected {
        files: vec![FileSummary {
            identity: batch.identity.clone(),
            records: batch.records,
            coverage: coverage_of(&batch),
        }],
        findings,
        stats: Stats {
            files: 1,
            builtin_subscriptions: joined.builtin,
            ..stats_of(&batch)
        },
        problems: batch.problems,
        index: ChunkIndex::default(),
    })
}

/// A unit's subscription events, with where each was read (joined once all are read).
fn subscription_events(source: &Path, batch: &ChunkBatch<Scanned>) -> Vec<Sourced> {
    batch
        .events
        .iter()
        .filter_map(|e| match &e.event {
            Scanned::Subscription(event) => Some(Sourced {
                event: event.clone(),
                source: source.to_path_buf(),
                chunk: e.chunk,
                recovered: e.recovered,
            }),
            Scanned::Registry(_) => None,
        })
        .collect()
}

/// The findings among a unit's registry events, in the time window: writes to a location,
/// and with `--context` every other WmiPrvSE.exe write.
fn to_findings(
    matcher: &Matcher,
    source: &Path,
    batch: &ChunkBatch<Scanned>,
    options: &ScanOptions,
) -> Vec<Finding> {
    batch
        .events
        .iter()
        .filter_map(|e| match &e.event {
            Scanned::Registry(event) => Some((e, event)),
            Scanned::Subscription(_) => None,
        })
        .filter(|(_, e)| options.from.is_none_or(|from| e.timestamp >= from))
        .filter(|(_, e)| options.to.is_none_or(|to| e.timestamp <= to))
        .filter_map(|(sourced, event)| {
            let matched = matcher.find_match(event).or_else(|| {
                options
                    .context
                    .then(|| matcher.context_match(event))
                    .flatten()
            })?;
            Some(finding(sourced, event, matched, source))
        })
        .collect()
}

/// A finding for a matched event, with its triage indicators and payload.
fn finding(
    sourced: &SourcedEvent<Scanned>,
    event: &RegistryEvent,
    matched: Match,
    source: &Path,
) -> Finding {
    Finding {
        indicators: triage::indicators(event, &matched),
        // Only a value written runs anything (a deletion's data is `-` or the old value).
        payload: (matched.action == Action::SetValue)
            .then(|| event.details.as_deref().and_then(payload::payload))
            .flatten(),
        execution: None,
        attribution: None,
        also_in: Vec::new(),
        source: source.to_path_buf(),
        chunk: sourced.chunk,
        recovered: sourced.recovered,
        kind: FindingKind::Registry {
            event: event.clone(),
            matched,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use wmihunt_testkit::writer::{write_to_vec, Event};

    /// Progress that panics the first time it hears of a chunk: stands in for a parser panic.
    struct PanicOnce(AtomicBool);

    impl Progress for PanicOnce {
        fn chunk_done(&self, _bytes: u64) {
            if !self.0.swap(true, Ordering::SeqCst) {
                panic!("boom");
            }
        }
        fn file_done(&self, _findings: u64) {}
    }

    fn write_file(dir: &Path, name: &str) -> EvidenceFile {
        let event = Event::new(
            "Microsoft-Windows-Sysmon",
            13,
            "c",
            "h",
            133_000_000_000_000_000,
        )
        .with("EventType", "SetValue")
        .with("Image", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe")
        .with(
            "TargetObject",
            "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
        )
        .with("Details", "y");
        let bytes = write_to_vec(&[event]);
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        EvidenceFile::file(path, bytes.len() as u64)
    }

    #[test]
    fn a_panic_while_reading_is_reported_and_the_batch_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            write_file(dir.path(), "a.evtx"),
            write_file(dir.path(), "b.evtx"),
        ];
        let options = ScanOptions {
            threads: 1,
            prefilter: true,
            recover: false,
            from: None,
            to: None,
            context: false,
        };
        let result = scan(&files, &options, &PanicOnce(AtomicBool::new(false)), &[]).unwrap();
        assert_eq!(result.findings.len(), 1);
        assert_eq!(result.problems.len(), 1);
        let error = result.problems[0].to_string();
        assert!(
            error.contains("internal error while reading chunks 0..1 (skipped): boom"),
            "{error}"
        );
    }
}
