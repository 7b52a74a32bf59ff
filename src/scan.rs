//! The scan: spreads every chunk of every evidence file over one thread pool, matches the
//! registry events the reader finds, and gathers findings and errors in a deterministic
//! order. Work is split into runs of chunks, so one huge file keeps every core busy and many
//! small files do too, while memory stays one chunk per worker.

use crate::detect::Matcher;
use crate::discover::EvidenceFile;
use crate::event::{LogIdentity, RegistryEvent};
use crate::finding::Finding;
use crate::reader::{chunk_slots, ChunkBatch, ReadError, Reader};
use jiff::Timestamp;
use rayon::prelude::*;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Chunks per unit of work: 2 MiB, small enough to balance two cores on one file, large
/// enough that opening the file per unit costs nothing.
const CHUNKS_PER_UNIT: u64 = 32;

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
}

/// Receives progress from the workers.
pub trait Progress: Sync {
    /// A chunk of `bytes` bytes was read.
    fn chunk_done(&self, bytes: u64);
    /// A file is finished; `findings` is the number it produced.
    fn file_done(&self, findings: u64);
}

/// Progress that shows nothing, for passes that are not worth a bar.
pub struct Silent;

impl Progress for Silent {
    fn chunk_done(&self, _bytes: u64) {}
    fn file_done(&self, _findings: u64) {}
}

/// Totals of a scan.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// EVTX files scanned.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Records in the scanned chunks.
    pub records: u64,
    /// Records rendered to fields.
    pub rendered: u64,
    /// Chunks parsed.
    pub chunks_parsed: u64,
    /// Chunks the pre-filter skipped.
    pub chunks_skipped: u64,
    /// Sysmon registry events seen (any writer) among the rendered records.
    pub registry_events: u64,
}

impl Stats {
    /// The counts of one unit of work (files are counted by the caller).
    fn of<T>(batch: &ChunkBatch<T>) -> Stats {
        Stats {
            files: 0,
            bytes: batch.bytes,
            records: batch.records,
            rendered: batch.rendered,
            chunks_parsed: batch.chunks_parsed,
            chunks_skipped: batch.chunks_skipped,
            registry_events: batch.events.len() as u64,
        }
    }

    /// Adds another unit's counts.
    fn add(&mut self, other: &Stats) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.records += other.records;
        self.rendered += other.rendered;
        self.chunks_parsed += other.chunks_parsed;
        self.chunks_skipped += other.chunks_skipped;
        self.registry_events += other.registry_events;
    }
}

/// What one scanned file was.
#[derive(Debug, Clone)]
pub struct FileSummary {
    /// The file.
    pub path: std::path::PathBuf,
    /// Its host and log, when a record could be read.
    pub identity: Option<LogIdentity>,
    /// Records in it.
    pub records: u64,
}

/// What one unit of work produced, reduced on the worker.
struct UnitOutput {
    file: usize,
    stats: Stats,
    findings: Vec<Finding>,
    errors: Vec<ReadError>,
    identity: Option<LogIdentity>,
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Every scanned file, in the order given.
    pub files: Vec<FileSummary>,
    /// Findings in output order (time, file, record id).
    pub findings: Vec<Finding>,
    /// Everything that could not be read, in file and chunk order.
    pub errors: Vec<ReadError>,
    /// Totals.
    pub stats: Stats,
}

struct Unit {
    file: usize,
    chunks: Range<u64>,
}

/// Scans `files`.
pub fn scan(
    files: &[EvidenceFile],
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<ScanResult, String> {
    let reader = Reader::new(options.prefilter, options.recover)?;
    let matcher = Matcher::new();
    // Each unit is reduced to its findings, errors and counts on the worker, so what is kept
    // grows with the number of findings, not with the size of the evidence.
    let outputs = run_units(
        files,
        options.threads,
        &reader,
        progress,
        |file, evidence, batch| {
            let findings = to_findings(&matcher, evidence, &batch, options);
            let found = findings.len() as u64;
            let output = UnitOutput {
                file,
                stats: Stats::of(&batch),
                findings,
                errors: batch.errors,
                identity: batch.identity,
            };
            (output, found)
        },
    )?;

    let mut result = ScanResult {
        files: files
            .iter()
            .map(|f| FileSummary {
                path: f.label(),
                identity: None,
                records: 0,
            })
            .collect(),
        ..ScanResult::default()
    };
    result.stats.files = files.len() as u64;
    for unit in outputs {
        result.stats.add(&unit.stats);
        if let Some(file) = result.files.get_mut(unit.file) {
            file.records += unit.stats.records;
            if file.identity.is_none() {
                file.identity = unit.identity;
            }
        }
        result.errors.extend(unit.errors);
        result.findings.extend(unit.findings);
    }
    result.findings.sort_by(Finding::output_order);
    Ok(result)
}

/// Reads every chunk of `files` with `reader` on a pool of `threads`, in units of
/// `CHUNKS_PER_UNIT` chunks, and reduces each unit with `reduce(file index, file, batch)`,
/// which also says how many findings the unit gave (for progress). Results are in unit
/// order (files in the order given, chunks in file order).
pub fn run_units<T, U: Send>(
    files: &[EvidenceFile],
    threads: usize,
    reader: &Reader<T>,
    progress: &dyn Progress,
    reduce: impl Fn(usize, &EvidenceFile, ChunkBatch<T>) -> (U, u64) + Sync,
) -> Result<Vec<U>, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("cannot start {threads} worker threads: {e}"))?;
    let mut units = Vec::new();
    for (file, evidence) in files.iter().enumerate() {
        let slots = chunk_slots(evidence.len);
        // An archive member is a stream: one unit reads it from start to end.
        let per_unit = if evidence.member.is_some() {
            slots.max(1)
        } else {
            CHUNKS_PER_UNIT
        };
        let mut start = 0;
        while start < slots {
            let end = (start + per_unit).min(slots);
            units.push(Unit {
                file,
                chunks: start..end,
            });
            start = end;
        }
    }
    // Units left per file, counted from the units themselves.
    let remaining: Vec<AtomicU64> = files.iter().map(|_| AtomicU64::new(0)).collect();
    for unit in &units {
        if let Some(left) = remaining.get(unit.file) {
            left.fetch_add(1, Ordering::Relaxed);
        }
    }
    let found: Vec<AtomicU64> = files.iter().map(|_| AtomicU64::new(0)).collect();
    // Files with no chunk (a bare header) are done before they start.
    for left in &remaining {
        if left.load(Ordering::Relaxed) == 0 {
            progress.file_done(0);
        }
    }
    Ok(pool.install(|| {
        units
            .par_iter()
            .filter_map(|unit| {
                let evidence = files.get(unit.file)?;
                let batch = read_unit(reader, evidence, unit, progress);
                let (output, findings) = reduce(unit.file, evidence, batch);
                let (left, found) = (remaining.get(unit.file)?, found.get(unit.file)?);
                found.fetch_add(findings, Ordering::Relaxed);
                if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                    progress.file_done(found.load(Ordering::Relaxed));
                }
                Some(output)
            })
            .collect()
    }))
}

/// Scans one EVTX file held in memory, on the calling thread, through the same reader and
/// matcher as `scan`: the entry point for fuzzing and for tests of crafted files.
pub fn scan_buffer(path: &Path, bytes: &[u8], options: &ScanOptions) -> Result<ScanResult, String> {
    let reader = Reader::new(options.prefilter, options.recover)?;
    let evidence = EvidenceFile::file(path.to_path_buf(), bytes.len() as u64);
    let batch = reader.read_buffer(path, bytes);
    let mut findings = to_findings(&Matcher::new(), &evidence, &batch, options);
    findings.sort_by(Finding::output_order);
    Ok(ScanResult {
        files: vec![FileSummary {
            path: path.to_path_buf(),
            identity: batch.identity.clone(),
            records: batch.records,
        }],
        findings,
        stats: Stats {
            files: 1,
            ..Stats::of(&batch)
        },
        errors: batch.errors,
    })
}

/// Reads one unit; a panic inside the parser is caught and reported against the file, so
/// one hostile file cannot stop the batch.
fn read_unit<T>(
    reader: &Reader<T>,
    evidence: &EvidenceFile,
    unit: &Unit,
    progress: &dyn Progress,
) -> ChunkBatch<T> {
    let on_chunk = |bytes| progress.chunk_done(bytes);
    let run = || match &evidence.member {
        Some(member) => reader.read_member(&evidence.path, member, unit.chunks.clone(), &on_chunk),
        None => reader.read_chunks(&evidence.path, unit.chunks.clone(), &on_chunk),
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        ChunkBatch {
            errors: vec![ReadError {
                path: evidence.label(),
                chunk: Some(unit.chunks.start),
                record: None,
                message: format!(
                    "internal error while reading chunks {}..{} (skipped): {detail}",
                    unit.chunks.start, unit.chunks.end
                ),
            }],
            ..ChunkBatch::default()
        }
    })
}

fn to_findings(
    matcher: &Matcher,
    evidence: &EvidenceFile,
    batch: &ChunkBatch<RegistryEvent>,
    options: &ScanOptions,
) -> Vec<Finding> {
    batch
        .events
        .iter()
        .filter(|e| options.from.is_none_or(|from| e.event.timestamp >= from))
        .filter(|e| options.to.is_none_or(|to| e.event.timestamp <= to))
        .filter_map(|e| {
            let matched = matcher.check(&e.event)?;
            Some(Finding::new(
                e.event.clone(),
                matched,
                evidence.label(),
                e.chunk,
                e.recovered,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
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
        };
        let result = scan(&files, &options, &PanicOnce(AtomicBool::new(false))).unwrap();
        assert_eq!(result.findings.len(), 1);
        assert_eq!(result.errors.len(), 1);
        let error = result.errors[0].to_string();
        assert!(
            error.contains("internal error while reading chunks 0..1 (skipped): boom"),
            "{error}"
        );
    }
}
