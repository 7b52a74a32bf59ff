//! Passes over the evidence, which the run layer calls in order: `detection` reads the
//! registry events and turns matches into findings; `execution` adds whether each finding's
//! payload ran; `attribution` who made the call. Every pass reads through the same machinery: `run_units` spreads runs of
//! chunks of every evidence file over one thread pool and hands each run to a `Reader` with
//! the pass's own pre-filter words and event extractor.

pub mod attribution;
pub mod detection;
pub mod execution;
mod subscriptions;

use crate::evidence::EvidenceFile;
use crate::problem::{error_chain, Problem};
use crate::read::census::{ChunkEntry, Marker};
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

/// A run of consecutive chunks of one file, read by one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The file's index in the pass's file list.
    pub file: usize,
    /// Chunk indices in the file.
    pub chunks: Range<u64>,
}

/// Cuts `chunks` of file `file` into units of at most `CHUNKS_PER_UNIT` chunks (an archive
/// member is a stream: one unit reads it from the range's start to its end).
fn cut(file: usize, evidence: &EvidenceFile, chunks: Range<u64>, units: &mut Vec<Unit>) {
    let per_unit = if evidence.reads_to_end() {
        (chunks.end - chunks.start).max(1)
    } else {
        CHUNKS_PER_UNIT
    };
    let mut start = chunks.start;
    while start < chunks.end {
        let end = (start + per_unit).min(chunks.end);
        units.push(Unit {
            file,
            chunks: start..end,
        });
        start = end;
    }
}

/// Every chunk of every file.
pub fn all_units(files: &[EvidenceFile]) -> Vec<Unit> {
    let mut units = Vec::new();
    for (file, evidence) in files.iter().enumerate() {
        cut(file, evidence, 0..chunk_slots(evidence.len), &mut units);
    }
    units
}

/// The chunks of file `file` whose index entries `keep` wants, in units. An archive member
/// is read from its first wanted chunk to its end (it is a stream).
pub fn selected_units(
    file: usize,
    evidence: &EvidenceFile,
    entries: &[ChunkEntry],
    keep: impl Fn(&ChunkEntry) -> bool,
) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut run: Option<Range<u64>> = None;
    for entry in entries.iter().filter(|e| keep(e)) {
        match &mut run {
            Some(r) if r.end == entry.index && !evidence.reads_to_end() => r.end += 1,
            Some(r) if evidence.reads_to_end() => r.end = entry.index + 1,
            _ => {
                if let Some(done) = run.take() {
                    cut(file, evidence, done, &mut units);
                }
                run = Some(entry.index..entry.index + 1);
            }
        }
    }
    if let Some(done) = run {
        cut(file, evidence, done, &mut units);
    }
    units
}

/// How far a chunk's record-header times may be from its records' own times and the chunk still
/// be read for a window: a header's time is when the record was written, normally seconds at
/// most after the event's own time (the shift of exported logs is covered apart, see
/// `window_units`); the margin covers clocks and buffering.
pub const MARGIN_SECS: i64 = 60;

/// The chunks of file `file` that can hold records in one of `windows` (seconds since 1970,
/// inclusive, sorted by start), in units. A chunk's span runs from the previous chunk's last
/// record time (exported logs can hold in a header the next record's time, so a chunk's first
/// record may be older than its first header) to its own last, widened by `MARGIN_SECS`; a
/// chunk whose times are unknown is read with [`Pick::Inside`].
pub fn window_units(
    file: usize,
    evidence: &EvidenceFile,
    entries: &[ChunkEntry],
    windows: &[(i64, i64)],
    pick: Pick,
) -> Vec<Unit> {
    let mut previous_last: Option<i64> = None;
    let spans: Vec<(u64, Option<(i64, i64)>)> = entries
        .iter()
        .map(|e| {
            let span = match (e.first, e.last) {
                (Some(first), Some(last)) => {
                    let start = previous_last.map_or(first, |p| p.min(first));
                    Some((start - MARGIN_SECS, last + MARGIN_SECS))
                }
                _ => None,
            };
            if e.last.is_some() {
                previous_last = e.last;
            }
            (e.index, span)
        })
        .collect();
    let wanted = |span: Option<(i64, i64)>| match span {
        None => true,
        Some((from, to)) => windows.iter().any(|&(a, b)| a <= to && from <= b),
    };
    let last_end = windows.iter().map(|&(_, b)| b).max();
    let chosen: Vec<ChunkEntry> = entries
        .iter()
        .zip(&spans)
        .filter(|(_, (_, span))| match pick {
            Pick::Inside => wanted(*span),
            Pick::Before => {
                !wanted(*span)
                    && span
                        .zip(last_end)
                        .is_some_and(|((from, _), end)| from <= end)
            }
        })
        .map(|(e, _)| *e)
        .collect();
    selected_units(file, evidence, &chosen, |_| true)
}

/// Which chunks [`window_units`] picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Those that can hold records in a window.
    Inside,
    /// Those no window wants that start before the last window ends: where the records joined
    /// to a write by identity can be, since they come before it (the writing process's
    /// creation and its provider load, the logon that made the change).
    Before,
}

/// For each file, the chunk of `units` where each of its `keys` first appears in time order,
/// and the chunk after it, as units of one chunk: for a process GUID, where the process's
/// creation is, the first event to name it (Sysmon makes the GUID when the process starts; the
/// next chunk covers events of the same instant logged across a chunk boundary). Chunks are
/// searched in the order of their times (`index`), so a live log that has wrapped, whose newest
/// chunks come first in the file, is searched from its oldest; a chunk whose times are unknown
/// is chosen whenever it holds a key. The bytes are only searched, not parsed; chunks that
/// cannot be read are kept, so nothing is lost, only not narrowed.
pub fn first_holding(
    files: &[EvidenceFile],
    units: &[Unit],
    index: &ChunkIndex,
    keys: impl Fn(usize) -> Vec<Vec<u8>>,
) -> Vec<Unit> {
    let mut by_file: Vec<Vec<u64>> = vec![Vec::new(); files.len()];
    for unit in units {
        if let Some(chunks) = by_file.get_mut(unit.file) {
            chunks.extend(unit.chunks.clone());
        }
    }
    let mut chosen: Vec<Unit> = Vec::new();
    for (file, chunks) in by_file.into_iter().enumerate() {
        let (Some(evidence), false) = (files.get(file), chunks.is_empty()) else {
            continue;
        };
        let times = index.files.get(file).map(Vec::as_slice).unwrap_or_default();
        let time = |chunk: u64| {
            times
                .binary_search_by_key(&chunk, |e| e.index)
                .ok()
                .and_then(|i| times.get(i))
                .and_then(|e| e.first)
        };
        // Unknown times first (always kept when they hold a key), then oldest first.
        let mut order: Vec<(Option<i64>, u64)> = chunks.iter().map(|&c| (time(c), c)).collect();
        order.sort_unstable_by_key(|&(t, c)| (t.is_some(), t, c));
        let keys = keys(file);
        let finders: Vec<memchr::memmem::Finder> = keys
            .iter()
            .filter(|k| !k.is_empty())
            .map(memchr::memmem::Finder::new)
            .collect();
        let mut found = Vec::new();
        scan_in_order(evidence, &order, &finders, &mut found);
        found.sort_unstable();
        found.dedup();
        chosen.extend(found.into_iter().map(|c| Unit {
            file,
            chunks: c..c + 1,
        }));
    }
    chosen
}

/// `first_holding`'s search of one file, chunks in `order` (time, index): pushes each hit
/// (and the chunk after it) to `found`, and every chunk that could not be read.
fn scan_in_order(
    evidence: &EvidenceFile,
    order: &[(Option<i64>, u64)],
    finders: &[memchr::memmem::Finder],
    found: &mut Vec<u64>,
) {
    let mut left: Vec<usize> = (0..finders.len()).collect();
    let mut at = 0;
    while let (Some(&(_, start)), false) = (order.get(at), left.is_empty()) {
        // A run of chunks consecutive in the file: one read.
        let run = order
            .iter()
            .skip(at)
            .zip(start..)
            .take_while(|((_, c), want)| c == want)
            .count()
            .max(1);
        let span = order.get(at..at + run).unwrap_or_default();
        let read = evidence.with_chunks(start..start + run as u64, |source| {
            let mut done = 0;
            for &(time, chunk) in span {
                let Ok(Some(bytes)) = source.next_chunk() else {
                    break;
                };
                done += 1;
                let hits = |k: &usize| finders.get(*k).is_some_and(|f| f.find(bytes).is_some());
                if left.iter().any(hits) {
                    found.extend([chunk, chunk + 1]);
                    if time.is_some() {
                        left.retain(|k| !hits(k));
                    }
                }
                if left.is_empty() {
                    return span.len();
                }
            }
            done
        });
        let done = read.unwrap_or(0);
        // What was not read is kept whole.
        found.extend(span.iter().skip(done).map(|&(_, c)| c));
        at += run;
    }
}

/// What the first pass learnt of every chunk: per file, which markers' records each chunk
/// holds and the span of its times. Later passes read only the chunks that can matter.
#[derive(Debug, Clone, Default)]
pub struct ChunkIndex {
    /// The markers, bit `i` of an entry's `kinds` standing for `markers[i]`.
    pub markers: Vec<Marker>,
    /// Per file (in the pass's file order), its chunks in order.
    pub files: Vec<Vec<ChunkEntry>>,
}

impl ChunkIndex {
    /// The bits of `wanted` markers (by name) in this index's entries.
    pub fn kinds(&self, wanted: &[Marker]) -> u64 {
        self.markers
            .iter()
            .enumerate()
            .filter(|(_, m)| wanted.iter().any(|w| w.name == m.name))
            .fold(0, |bits, (i, _)| bits | (1 << i))
    }
}

/// Reads `units` of `files` with `reader` on a pool of `threads`, and reduces each unit with
/// `reduce(file index, file, batch)`, which also says how many findings the unit gave (for
/// progress). Results are in unit order.
pub fn run_units<T, U: Send>(
    files: &[EvidenceFile],
    units: Vec<Unit>,
    threads: usize,
    reader: &Reader<T>,
    progress: &dyn Progress,
    reduce: impl Fn(usize, &EvidenceFile, ChunkBatch<T>) -> (U, u64) + Sync,
) -> Result<Vec<U>, PassError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| PassError::Threads(format!("{threads} threads: {e}")))?;
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
        evidence.with_chunks(chunks.clone(), |source| {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64, kinds: u64, last: Option<i64>) -> ChunkEntry {
        ChunkEntry {
            index,
            kinds,
            first: last.map(|l| l - 10),
            last,
        }
    }

    #[test]
    fn later_passes_read_only_the_chunks_that_can_matter() {
        let file = EvidenceFile {
            path: "x.evtx".into(),
            len: 4096 + 100 * 65536,
            member: None,
        };
        let mut entries: Vec<ChunkEntry> = (0..100)
            .map(|i| entry(i, 0b10, Some(1000 + i as i64)))
            .collect();
        entries[40].kinds = 0b01; // no process creation in it
        entries[41].last = None; // times unknown: read
                                 // At or after time 1030 (chunk 30 on), of kind 0b10.
        let units = selected_units(3, &file, &entries, |e| e.may_hold(0b10, 1030));
        let runs: Vec<Range<u64>> = units.iter().map(|u| u.chunks.clone()).collect();
        assert_eq!(runs, [30..40, 41..73, 73..100]);
        assert!(units.iter().all(|u| u.file == 3));
        // An archive member is a stream: from the first wanted chunk to the last, in one unit.
        let member = EvidenceFile {
            member: Some(crate::evidence::archive::Member {
                index: 0,
                name: "m.evtx".into(),
            }),
            ..file
        };
        let units = selected_units(0, &member, &entries, |e| e.may_hold(0b10, 1030));
        let runs: Vec<Range<u64>> = units.iter().map(|u| u.chunks.clone()).collect();
        assert_eq!(
            runs,
            vec![Range {
                start: 30,
                end: 100
            }]
        );
    }

    #[test]
    fn windows_pick_chunks_by_their_time_span() {
        let file = EvidenceFile {
            path: "x.evtx".into(),
            len: 4096 + 10 * 65536,
            member: None,
        };
        // Chunk i spans 10_000 i .. 10_000 i + 5_000 seconds; chunk 5's times are unknown.
        let mut entries: Vec<ChunkEntry> = (0..10)
            .map(|i| ChunkEntry {
                index: i,
                kinds: 1,
                first: Some(10_000 * i as i64),
                last: Some(10_000 * i as i64 + 5_000),
            })
            .collect();
        entries[5].first = None;
        entries[5].last = None;
        let runs = |pick| {
            window_units(0, &file, &entries, &[(31_000, 32_000)], pick)
                .iter()
                .map(|u| u.chunks.clone())
                .collect::<Vec<_>>()
        };
        // Chunk 3 (30 000..35 000) holds the window; chunk 4 starts from chunk 3's last time
        // (its first record may be older than its first header) but not within the window.
        assert_eq!(runs(Pick::Inside), [3..4, 5..6]);
        // Before the window: chunk 4 starts after it ends, and so do the rest.
        assert_eq!(runs(Pick::Before), vec![0..3]);
        // The margin reaches a window just past a chunk's last time (and the next chunk, which
        // starts from that time).
        let near = window_units(
            0,
            &file,
            &entries,
            &[(5_000 + MARGIN_SECS, 5_000 + MARGIN_SECS)],
            Pick::Inside,
        );
        assert_eq!(near.first().map(|u| u.chunks.clone()), Some(0..2));
    }

    #[test]
    fn first_holding_finds_each_key_where_it_first_appears_in_time() {
        use crate::read::layout::chunk_offset;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.evtx");
        let mut bytes = vec![0u8; chunk_offset(10).unwrap() as usize];
        let mut plant = |chunk: u64, key: &[u8]| {
            let at = chunk_offset(chunk).unwrap() as usize + 100;
            bytes[at..at + key.len()].copy_from_slice(key);
        };
        // A wrapped live log: chunks 0 and 1 are newer than 2-4; chunk 5's times are unknown.
        plant(0, b"KEY-A");
        plant(3, b"KEY-A");
        plant(8, b"KEY-B");
        plant(5, b"KEY-C");
        std::fs::write(&path, &bytes).unwrap();
        let times = [500, 600, 100, 200, 300, -1, 700, 800, 900, 1000];
        let entries = (0..10u64)
            .zip(times)
            .map(|(index, t)| ChunkEntry {
                index,
                kinds: 0,
                first: (t >= 0).then_some(t),
                last: (t >= 0).then_some(t + 50),
            })
            .collect();
        let index = ChunkIndex {
            markers: Vec::new(),
            files: vec![entries, Vec::new()],
        };
        let file = |path: &std::path::Path| EvidenceFile {
            path: path.into(),
            len: bytes.len() as u64,
            member: None,
        };
        let files = [file(&path), file(&dir.path().join("gone.evtx"))];
        let unit = |file, chunks| Unit { file, chunks };
        let keys = |_| vec![b"KEY-A".to_vec(), b"KEY-B".to_vec(), b"KEY-C".to_vec()];
        let units = [unit(0, 0..4), unit(0, 4..10), unit(1, 0..2)];
        let chunks = |file| -> Vec<u64> {
            first_holding(&files, &units, &index, keys)
                .iter()
                .filter(|u| u.file == file)
                .inspect(|u| assert_eq!(u.chunks.end - u.chunks.start, 1))
                .map(|u| u.chunks.start)
                .collect()
        };
        // A first in time in chunk 3 (not chunk 0, first in the file), B in 8, C in the chunk of
        // unknown times; each with the chunk after it.
        assert_eq!(chunks(0), [3, 4, 5, 6, 8, 9]);
        // The file that cannot be read keeps every chunk.
        assert_eq!(chunks(1), [0, 1]);
    }

    #[test]
    fn index_bits_are_found_by_marker_name() {
        let marker = |name| Marker { name, fields: &[] };
        let index = ChunkIndex {
            markers: vec![marker("a"), marker("b"), marker("c")],
            files: Vec::new(),
        };
        assert_eq!(index.kinds(&[marker("c"), marker("a")]), 0b101);
        assert_eq!(index.kinds(&[marker("z")]), 0);
    }
}
