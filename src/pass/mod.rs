//! Passes over the evidence, which the run layer calls in order: `detection` reads the
//! registry events and turns matches into findings; `execution` adds whether each finding's
//! payload ran. Every pass reads through the same machinery: `run_units` spreads runs of
//! chunks of every evidence file over one thread pool and hands each run to a `Reader` with
//! the pass's own pre-filter words and event extractor.

pub mod detection;
pub mod execution;
mod subscriptions;

use crate::evidence::EvidenceFile;
use crate::problem::{error_chain, Problem};
use crate::read::layout::chunk_slots;
use crate::read::{ChunkBatch, Reader};
use rayon::prelude::*;
use std::fmt;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

/// Chunks per unit of work: 2 MiB, small enough to balance two cores on one file, large
/// enough that opening the file per unit costs nothing.
const CHUNKS_PER_UNIT: u64 = 32;

/// Receives progress from the workers.
pub trait Progress: Sync {
    /// A chunk (or a file header) of `bytes` bytes was read.
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

/// A pass could not run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassError {
    /// The worker threads could not be started.
    Threads(String),
    /// The pre-filter could not be built (only absurd word lists do that).
    Prefilter(String),
}

impl fmt::Display for PassError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PassError::Threads(e) => write!(f, "cannot start the worker threads: {e}"),
            PassError::Prefilter(e) => write!(f, "cannot build the pre-filter: {e}"),
        }
    }
}

struct Unit {
    file: usize,
    chunks: Range<u64>,
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
) -> Result<Vec<U>, PassError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| PassError::Threads(format!("{threads} threads: {e}")))?;
    let mut units = Vec::new();
    for (file, evidence) in files.iter().enumerate() {
        let slots = chunk_slots(evidence.len);
        // An archive member is a stream: one unit reads it from start to end.
        let per_unit = if evidence.reads_to_end() {
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

/// Reads one unit; a panic inside the parser is caught and reported against the file, so
/// one hostile file cannot stop the batch.
fn read_unit<T>(
    reader: &Reader<T>,
    evidence: &EvidenceFile,
    unit: &Unit,
    progress: &dyn Progress,
) -> ChunkBatch<T> {
    let label = evidence.label();
    let on_chunk = |bytes| progress.chunk_done(bytes);
    // The size an archive declares is the archive's word: a member is read to its end.
    let (chunks, to_end) = if evidence.reads_to_end() {
        (unit.chunks.start..u64::MAX, true)
    } else {
        (unit.chunks.clone(), false)
    };
    let run = || {
        evidence.with_chunks(chunks.start, |source| {
            reader.read(&label, source, chunks.clone(), to_end, &on_chunk)
        })
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(batch)) => batch,
        Ok(Err(e)) => {
            let what = match (evidence.reads_to_end(), unit.chunks.start) {
                (true, _) => "cannot read from the archive".to_string(),
                (false, 0) => "cannot read".to_string(),
                (false, first) => format!("cannot read chunks {first}..{}", unit.chunks.end),
            };
            let message = format!("{what}: {}", error_chain(&e));
            ChunkBatch::failed(Problem::read(label, None, None, message))
        }
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let message = format!(
                "internal error while reading chunks {}..{} (skipped): {detail}",
                unit.chunks.start, unit.chunks.end
            );
            ChunkBatch::failed(Problem::read(label, Some(unit.chunks.start), None, message))
        }
    }
}
