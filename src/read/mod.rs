//! Reading evidence: the only module that uses the `evtx` crate. It reads a file's chunks
//! itself (so one file's chunks can be spread over the thread pool and memory stays one
//! chunk per worker), asks the pre-filter what to render, renders those records to a few
//! fields (`rendered`) and hands each to an extractor that takes the event it wants. Every
//! problem becomes a `Problem` naming the file, chunk and record; reading goes on after it.
//!
//! The reader knows nothing of what it reads: the event types and their extractors live in
//! `crate::event`, and the evidence file opens its own bytes (a plain file or a zip member).

mod batch;
pub mod census;
pub mod chunk;
pub mod layout;
mod many;
pub mod needle;
mod positions;
pub mod prefilter;
pub mod rendered;
pub mod source;

pub use batch::{ChunkBatch, Extractor, LogIdentity, RecordHeader, SourcedEvent};

use crate::problem::{error_chain, Kind, Problem};
use census::{ChunkEntry, Markers, Tally, Templates};
use chunk::Slot;
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, ParserSettings};
use layout::{chunk_slots, CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_HEADER_SIZE, RECORD_HEADER_SIZE};
use needle::Needle;
use prefilter::ChunkPlan;
use rendered::Rendered;
use source::{ChunkSource, Slices};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// How records are read; shared by every worker.
#[derive(Debug, Clone)]
pub struct Reader<T> {
    settings: Arc<ParserSettings>,
    needle: Option<Needle>,
    recover: bool,
    extractor: Extractor<T>,
    markers: Markers,
}

/// One chunk being read: where it is, for problems.
struct At<'a> {
    path: &'a Path,
    index: u64,
}

impl At<'_> {
    fn problem(&self, record: Option<u64>, message: String) -> Problem {
        Problem::read(self.path, Some(self.index), record, message)
    }
}

impl<T> Reader<T> {
    /// A reader that renders only records that can hold `needle`'s text (every record when
    /// `None`) and keeps what `extractor` takes from them; `recover` also carves records from
    /// chunk slack.
    pub fn new(needle: Option<Needle>, recover: bool, extractor: Extractor<T>) -> Reader<T> {
        // One thread: chunks are spread over the pool by the caller (see EVTX-NOTES: the
        // crate's own threading inside a rayon task can deadlock).
        let settings = ParserSettings::new()
            .num_threads(1)
            .validate_checksums(false)
            .recover_records(recover);
        Reader {
            settings: Arc::new(settings),
            needle,
            recover,
            extractor,
            markers: Markers::new(&[]),
        }
    }

    /// The same reader, also counting the records each of `markers` recognises.
    pub fn with_markers(mut self, markers: &[census::Marker]) -> Reader<T> {
        self.markers = Markers::new(markers);
        self
    }

    /// Reads chunks `chunks` (indices in the file) from `source`, which gives them from the
    /// first on; `path` names the file in problems. With `to_end`, the source's end is the
    /// normal end of the range. `on_chunk` is called with the bytes of each chunk once it is
    /// done, for progress.
    pub fn read(
        &self,
        path: &Path,
        source: &mut dyn ChunkSource,
        chunks: Range<u64>,
        to_end: bool,
        on_chunk: &dyn Fn(u64),
    ) -> ChunkBatch<T> {
        let mut batch = ChunkBatch::default();
        if chunks.start == 0 {
            // The file header is part of what was scanned, as the progress bar counts it.
            batch.bytes += FILE_HEADER_SIZE;
            on_chunk(FILE_HEADER_SIZE);
        }
        // Chunks that are parsed are copied here (the `evtx` crate owns what it parses); the
        // others are only looked at where the source holds them.
        let mut buf = Vec::with_capacity(CHUNK_SIZE);
        let mut templates = Templates::default();
        for index in chunks {
            let at = At { path, index };
            let data = match source.next_chunk() {
                Ok(Some(data)) => data,
                Ok(None) if to_end => break,
                Ok(None) => {
                    // The file shrank since it was found.
                    let message = "file ended early (truncated while scanning?)".to_string();
                    batch.problems.push(at.problem(None, message));
                    break;
                }
                Err(e) => {
                    let message = format!("read failed: {}", error_chain(&e));
                    batch.problems.push(at.problem(None, message));
                    break;
                }
            };
            let read = data.len();
            batch.bytes += read as u64;
            on_chunk(read as u64);
            if read < CHUNK_SIZE {
                let message =
                    format!("truncated chunk: {read} of {CHUNK_SIZE} bytes; reading what is there");
                batch.problems.push(at.problem(None, message));
                if read < CHUNK_HEADER_SIZE {
                    break;
                }
            }
            self.read_chunk(&at, data, &mut buf, &mut batch, &mut templates);
            if source.shrank() {
                let message = "the file shrank while it was read (truncated during the scan?): \
                               this chunk and the rest are not read"
                    .to_string();
                batch.problems.push(at.problem(None, message));
                break;
            }
        }
        batch
    }

    /// Reads a whole EVTX file held in memory (`path` only names it in problems): the entry
    /// point the fuzzer drives, with the same code path as files on disk.
    pub fn read_buffer(&self, path: &Path, bytes: &[u8]) -> ChunkBatch<T> {
        let chunks = bytes.get(FILE_HEADER_SIZE as usize..).unwrap_or_default();
        let slots = chunk_slots(bytes.len() as u64);
        self.read(path, &mut Slices::new(chunks), 0..slots, false, &|_| {})
    }

    /// Reads one chunk's records into `batch`; `buf` is where a chunk to parse is copied.
    fn read_chunk(
        &self,
        at: &At<'_>,
        data: &[u8],
        buf: &mut Vec<u8>,
        batch: &mut ChunkBatch<T>,
        templates: &mut Templates,
    ) {
        buf.clear();
        let plan = match chunk::slot(data) {
            Slot::Blank => return,
            Slot::Damaged(message) if !self.recover => {
                batch.problems.push(at.problem(None, message));
                return;
            }
            Slot::Damaged(message) => {
                // A cleared or overwritten chunk header: give it an empty live area so that
                // every record left in it is carved (and marked recovered).
                let message = format!("{message}; carving records from it (--recover)");
                batch.problems.push(at.problem(None, message));
                buf.extend_from_slice(data);
                chunk::as_cleared_chunk(buf);
                ChunkPlan::All
            }
            Slot::Chunk => self.take_census(at, data, batch, templates),
        };
        if plan == ChunkPlan::Skip {
            batch.chunks_skipped += 1;
            if batch.identity.is_some() {
                return;
            }
        }
        if buf.is_empty() {
            buf.extend_from_slice(data);
        }
        if !self.recover {
            // Carved records may point anywhere in the chunk: leave its bytes as they are.
            // While the log's identity is unknown, its first record is left to tell it.
            plan.blank_unwanted(buf, batch.identity.is_none());
        }
        // A skipped chunk is parsed only as far as its first record, to learn which host and
        // log this is.
        let counted = plan != ChunkPlan::Skip;
        *buf = self.parse(at, std::mem::take(buf), &plan, batch, counted);
    }

    /// Counts a chunk's records and reports damage in its record headers (the census), and
    /// plans what to render: a chunk with damage is rendered whole, so that the records around
    /// the damage are read, and reported, the same way whether or not the pre-filter is on.
    fn take_census(
        &self,
        at: &At<'_>,
        buf: &[u8],
        batch: &mut ChunkBatch<T>,
        templates: &mut Templates,
    ) -> ChunkPlan {
        let census = census::census(buf, &self.markers, templates);
        batch.records += census.records;
        batch.index.push(ChunkEntry {
            index: at.index,
            ..census.entry
        });
        if batch.tallies.len() < census.tallies.len() {
            batch.tallies.resize(census.tallies.len(), Tally::default());
        }
        for (sum, tally) in batch.tallies.iter_mut().zip(&census.tallies) {
            sum.merge(tally);
        }
        if let Some(free) = census.free_space_before_records.filter(|_| !self.recover) {
            let message = format!(
                "the header's free space offset ({free}) is before the first record: its \
                 records are not read (--recover carves them)"
            );
            batch.problems.push(at.problem(None, message));
        }
        let damaged = !census.damage.is_empty();
        for message in census.damage {
            batch.problems.push(at.problem(None, message));
        }
        match &self.needle {
            Some(needle) if !damaged => ChunkPlan::for_chunk(buf, needle),
            _ => ChunkPlan::All,
        }
    }

    /// Parses a chunk and renders what `plan` wants. `counted` says the chunk's problems count
    /// here (not so for a skipped chunk parsed only for the log's identity, which stops at the
    /// first record it can render).
    fn parse(
        &self,
        at: &At<'_>,
        buf: Vec<u8>,
        plan: &ChunkPlan,
        batch: &mut ChunkBatch<T>,
        counted: bool,
    ) -> Vec<u8> {
        let report = |batch: &mut ChunkBatch<T>, record, message| {
            if counted {
                batch.problems.push(at.problem(record, message));
            }
        };
        let mut data = match EvtxChunkData::new(buf, false) {
            Ok(data) => data,
            Err(e) => {
                report(
                    batch,
                    None,
                    format!("bad chunk header: {}", error_chain(&e)),
                );
                return Vec::with_capacity(CHUNK_SIZE);
            }
        };
        data.number = Some(at.index);
        if counted {
            batch.chunks_parsed += 1;
        }
        let mut chunk = match data.parse(Arc::clone(&self.settings)) {
            Ok(chunk) => chunk,
            Err(_) => {
                let message = "its string or template table is damaged: no record can be read";
                report(batch, None, message.to_string());
                return data.data;
            }
        };
        for record in chunk.iter() {
            match record {
                Ok(record) => {
                    let recovered = record.recovered;
                    if counted && recovered {
                        batch.carved += 1;
                    }
                    match self.take(at, record, plan, batch) {
                        Err((id, message)) if recovered => {
                            // Stale data by definition: counted, shown with -v, no exit 2.
                            if counted {
                                let mut problem = at.problem(id, message);
                                problem.kind = Kind::Slack;
                                batch.problems.push(problem);
                            }
                        }
                        Err((id, message)) => report(batch, id, message),
                        Ok(()) => {}
                    }
                    if !counted && batch.identity.is_some() {
                        break;
                    }
                }
                // Damage in the record headers: the census has reported it, in its words.
                Err(EvtxError::FailedToReadRecordAt { .. }) => {}
                Err(EvtxError::FailedToParseRecord { record_id, .. }) => {
                    let message = "its event data is damaged and cannot be decoded".to_string();
                    report(batch, Some(record_id), message);
                }
                Err(e) => report(batch, None, format!("cannot be read: {}", error_chain(&e))),
            }
        }
        drop(chunk);
        data.data
    }
}

impl<T> Reader<T> {
    /// Renders a record when `plan` wants it (or when the log's identity is still unknown)
    /// and keeps the event the extractor takes from it; a record that cannot be rendered is
    /// an error (record id, message) when it was wanted.
    fn take(
        &self,
        at: &At<'_>,
        record: evtx::EvtxRecord<'_>,
        plan: &ChunkPlan,
        batch: &mut ChunkBatch<T>,
    ) -> Result<(), (Option<u64>, String)> {
        let wanted = plan.wants(record_span(&record));
        let need_identity = batch.identity.is_none();
        if !wanted && !need_identity {
            return Ok(());
        }
        let header = RecordHeader {
            record_id: record.event_record_id,
            timestamp: record.timestamp,
        };
        let recovered = record.recovered;
        let json = match render(record, self.extractor.fields) {
            Ok(json) => json,
            Err(message) if wanted => return Err((Some(header.record_id), message)),
            Err(_) => return Ok(()),
        };
        if need_identity {
            batch.identity = LogIdentity::from_rendered(&json);
        }
        if wanted {
            batch.rendered += 1;
            if let Some(event) = (self.extractor.extract)(&json, header) {
                batch.events.push(SourcedEvent {
                    event,
                    chunk: at.index,
                    recovered,
                });
            }
        }
        Ok(())
    }
}

/// A record's byte span in its chunk, header and trailing size copy included.
fn record_span(record: &evtx::EvtxRecord<'_>) -> Range<usize> {
    let start = record
        .binxml_offset
        .saturating_sub(RECORD_HEADER_SIZE as u64);
    let end = record
        .binxml_offset
        .saturating_add(u64::from(record.binxml_size) + 4);
    usize::try_from(start).unwrap_or(usize::MAX)..usize::try_from(end).unwrap_or(usize::MAX)
}

/// Renders a record and reads its `System` fields and the event fields named in `fields`.
fn render(record: evtx::EvtxRecord<'_>, fields: &[&str]) -> Result<Rendered, String> {
    let json = record.into_json_bytes().map_err(|e| error_chain(&e))?;
    Rendered::from_json(&json.data, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use wmihunt_testkit::writer::{write_to_vec, Event, Value};

    /// A test reader: the `Image` and `ProcessId` of every rendered record that has them.
    fn reader(prefilter: bool, recover: bool) -> Reader<(String, String)> {
        let needle = prefilter.then(|| Needle::new(&["wmiprvse.exe"]).unwrap());
        let extractor = Extractor {
            fields: &["Image", "ProcessId"],
            extract: |r, _| Some((r.data.text("Image")?, r.data.text("ProcessId")?)),
        };
        Reader::new(needle, recover, extractor)
    }

    fn read_file(reader: &Reader<(String, String)>, path: &Path) -> ChunkBatch<(String, String)> {
        match std::fs::File::open(path) {
            Ok(mut file) => {
                let mut header = vec![0; FILE_HEADER_SIZE as usize];
                std::io::Read::read_exact(&mut file, &mut header).unwrap();
                reader.read(
                    path,
                    &mut source::Stream::new(&mut file),
                    0..1,
                    false,
                    &|_| {},
                )
            }
            Err(e) => {
                ChunkBatch::failed(Problem::read(path, None, None, format!("cannot read: {e}")))
            }
        }
    }

    pub(crate) fn sysmon(image: &str, n: u32) -> Event {
        Event::new(
            "Microsoft-Windows-Sysmon",
            13,
            "Microsoft-Windows-Sysmon/Operational",
            "h",
            133_000_000_000_000_000,
        )
        .with("EventType", "SetValue")
        .with("ProcessId", Value::U32(n))
        .with("Image", image)
        .with(
            "TargetObject",
            "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
        )
        .with("Details", "y")
    }

    pub(crate) fn file(events: &[Event]) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
        let bytes = write_to_vec(events);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.evtx");
        std::fs::write(&path, &bytes).unwrap();
        (dir, path, bytes)
    }

    #[test]
    fn reads_events_with_and_without_the_prefilter() {
        let events: Vec<Event> = (0..50)
            .map(|n| {
                sysmon(
                    if n == 7 {
                        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
                    } else {
                        "C:\\x\\reg.exe"
                    },
                    n,
                )
            })
            .collect();
        let (_dir, path, bytes) = file(&events);
        let all = read_file(&reader(false, false), &path);
        assert_eq!((all.records, all.rendered, all.events.len()), (50, 50, 50));
        // The file header counts, as in the progress bar's total.
        assert_eq!(all.bytes, bytes.len() as u64);
        let some = read_file(&reader(true, false), &path);
        assert_eq!((some.records, some.rendered, some.events.len()), (50, 1, 1));
        assert_eq!(some.events[0].event.1, "7");
        assert!(some.problems.is_empty() && all.problems.is_empty());
    }

    #[test]
    fn a_chunk_without_the_needle_is_counted_not_parsed() {
        let (_dir, path, _) = file(&[sysmon("C:\\x\\reg.exe", 1), sysmon("C:\\x\\reg.exe", 2)]);
        let batch = read_file(&reader(true, false), &path);
        assert_eq!(
            (
                batch.chunks_skipped,
                batch.chunks_parsed,
                batch.records,
                batch.rendered
            ),
            (1, 0, 2, 0)
        );
    }

    #[test]
    fn a_free_space_offset_before_the_records_is_reported() {
        // A chunk the pre-filter skips (reg.exe) and one it parses (WmiPrvSE.exe).
        for image in [
            "C:\\x\\reg.exe",
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        ] {
            let (_dir, path, mut bytes) = file(&[sysmon(image, 1), sysmon(image, 2)]);
            bytes[4096 + 48..4096 + 52].copy_from_slice(&0u32.to_le_bytes());
            std::fs::write(&path, &bytes).unwrap();
            let batch = read_file(&reader(true, false), &path);
            assert_eq!(batch.problems.len(), 1, "{image}: {:?}", batch.problems);
            assert!(batch.problems[0]
                .message
                .contains("free space offset (0) is before the first record"));
            if image.contains("WmiPrvSE") {
                // --recover carves them instead, silently.
                let carved = read_file(&reader(true, true), &path);
                assert!(carved.problems.is_empty(), "{:?}", carved.problems);
                assert_eq!(carved.events.len(), 2);
                assert!(carved.events.iter().all(|e| e.recovered));
            }
        }
    }
}
