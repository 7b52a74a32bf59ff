//! What reading some chunks gives back: the events an extractor took, with where each was
//! read, the problems, the counts, the chunk index entries and the log's identity; and the
//! types an extractor sees.

use super::census::{ChunkEntry, Tally};
use super::rendered::Rendered;
use crate::problem::Problem;
use jiff::Timestamp;

/// The record header fields used when the rendered event lacks them.
#[derive(Debug, Clone, Copy)]
pub struct RecordHeader {
    /// The record header's event record id.
    pub record_id: u64,
    /// The record header's time.
    pub timestamp: Timestamp,
}

/// Which host and log a file holds, from one of its records: a file is one host's one channel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogIdentity {
    /// `System/Computer`.
    pub host: String,
    /// `System/Channel`.
    pub channel: String,
    /// `System/Provider/@Name`.
    pub provider: String,
}

impl LogIdentity {
    /// Reads the identity from a rendered record.
    pub fn from_rendered(event: &Rendered) -> Option<LogIdentity> {
        if event.provider.is_none() && event.channel.is_none() && event.computer.is_none() {
            return None;
        }
        Some(LogIdentity {
            host: event.computer.clone().unwrap_or_default(),
            channel: event.channel.clone().unwrap_or_default(),
            provider: event.provider.clone().unwrap_or_default(),
        })
    }
}

/// An event and where it was read.
#[derive(Debug, Clone)]
pub struct SourcedEvent<T> {
    /// The event.
    pub event: T,
    /// The chunk's index in the file.
    pub chunk: u64,
    /// Carved from chunk slack rather than read from a live record.
    pub recovered: bool,
}

/// What reading some chunks produced.
#[derive(Debug)]
pub struct ChunkBatch<T> {
    /// The events the reader's extractor took from the rendered records.
    pub events: Vec<SourcedEvent<T>>,
    /// Problems, each naming where it happened.
    pub problems: Vec<Problem>,
    /// Live records in the chunks, from the census (the same whether or not a chunk is parsed).
    pub records: u64,
    /// Records carved from slack (`--recover`), in the chunks that were parsed.
    pub carved: u64,
    /// Records per census marker (the reader's `Markers`, in their order).
    pub tallies: Vec<Tally>,
    /// The chunks read, in order: which markers' records each holds, and their times.
    pub index: Vec<ChunkEntry>,
    /// Records rendered to fields.
    pub rendered: u64,
    /// Chunks parsed.
    pub chunks_parsed: u64,
    /// Chunks the pre-filter skipped unparsed.
    pub chunks_skipped: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Which host and log the chunks belong to, from their first readable record.
    pub identity: Option<LogIdentity>,
}

impl<T> Default for ChunkBatch<T> {
    fn default() -> Self {
        ChunkBatch {
            events: Vec::new(),
            problems: Vec::new(),
            records: 0,
            carved: 0,
            tallies: Vec::new(),
            index: Vec::new(),
            rendered: 0,
            chunks_parsed: 0,
            chunks_skipped: 0,
            bytes: 0,
            identity: None,
        }
    }
}

impl<T> ChunkBatch<T> {
    /// A batch that holds only one problem with the whole range.
    pub fn failed(problem: Problem) -> ChunkBatch<T> {
        ChunkBatch {
            problems: vec![problem],
            ..ChunkBatch::default()
        }
    }
}

/// What a reader takes from the records it renders: the names of the event fields it reads
/// (only those are kept), and the function that makes its event from them, if the record is
/// one.
#[derive(Debug)]
pub struct Extractor<T> {
    /// Event field names (`EventData`, or the element under `UserData`), exact.
    pub fields: &'static [&'static str],
    /// Makes the event.
    pub extract: fn(&Rendered, RecordHeader) -> Option<T>,
}

impl<T> Clone for Extractor<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Extractor<T> {}
