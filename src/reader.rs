//! Reading evidence: the only module that uses the `evtx` crate. It reads a file's chunks
//! itself (so one file's chunks can be spread over the thread pool and memory stays one
//! chunk per worker), asks the pre-filter what to render, and turns rendered records into
//! registry events. Every problem becomes a `ReadError` naming the file, chunk and record;
//! reading goes on after it.

use crate::archive::Member;
use crate::event::{LogIdentity, RecordHeader, RegistryEvent};
use crate::prefilter::{ChunkPlan, Needle};
use crate::rendered::Rendered;
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxChunkHeader, ParserSettings};
use std::error::Error;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Size of the file header that precedes the chunks.
pub const FILE_HEADER_SIZE: u64 = 4096;
/// Size of one chunk.
pub const CHUNK_SIZE: usize = 65536;
/// The chunk header; records start after it.
pub const CHUNK_HEADER_SIZE: usize = 512;
/// Every record starts with `**\0\0`.
pub const RECORD_MAGIC: &[u8; 4] = b"\x2a\x2a\x00\x00";
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
/// Record header size; `binxml_offset` is this far past the record's start.
const RECORD_HEADER_SIZE: u64 = 24;

/// Number of chunk slots a file of `len` bytes holds, counting a truncated last one.
pub fn chunk_slots(len: u64) -> u64 {
    len.saturating_sub(FILE_HEADER_SIZE)
        .div_ceil(CHUNK_SIZE as u64)
}

/// Something that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The evidence file.
    pub path: PathBuf,
    /// The chunk's index in the file, when the problem is in one chunk.
    pub chunk: Option<u64>,
    /// The record id, when the problem is in one record and its id is known.
    pub record: Option<u64>,
    /// What went wrong, with the full cause chain.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(chunk) = self.chunk {
            write!(f, ": chunk {chunk}")?;
        }
        if let Some(record) = self.record {
            write!(f, ": record {record}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// `err` and all its causes, joined with `: ` (the `evtx` crate keeps the useful part deep in
/// the chain).
pub fn error_chain(err: &dyn Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
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
    /// The events the reader's extractor took from the rendered records (for the registry
    /// reader: Sysmon registry events by any writer; matching is the caller's job).
    pub events: Vec<SourcedEvent<T>>,
    /// Problems, each naming where it happened.
    pub errors: Vec<ReadError>,
    /// Records in the chunks (from the chunk header for chunks the pre-filter skipped).
    pub records: u64,
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
            errors: Vec::new(),
            records: 0,
            rendered: 0,
            chunks_parsed: 0,
            chunks_skipped: 0,
            bytes: 0,
            identity: None,
        }
    }
}

/// Takes the event a reader wants from a rendered record, if it is one.
pub type Extract<T> = fn(&Rendered, RecordHeader) -> Option<T>;

/// How records are read; shared by every worker.
#[derive(Debug, Clone)]
pub struct Reader<T> {
    settings: Arc<ParserSettings>,
    needle: Option<Needle>,
    recover: bool,
    extract: Extract<T>,
}

impl Reader<RegistryEvent> {
    /// The registry reader: `prefilter` skips what cannot name WmiPrvSE.exe, `recover` also
    /// carves records from chunk slack.
    pub fn new(prefilter: bool, recover: bool) -> Result<Reader<RegistryEvent>, String> {
        let needle = if prefilter {
            Some(Needle::wmiprvse()?)
        } else {
            None
        };
        Ok(Reader::with_needle(
            needle,
            recover,
            RegistryEvent::from_rendered,
        ))
    }
}

impl<T> Reader<T> {
    /// A reader that renders only records that can hold `needle`'s text (every record when
    /// `None`) and keeps what `extract` takes from them.
    pub fn with_needle(needle: Option<Needle>, recover: bool, extract: Extract<T>) -> Reader<T> {
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
            extract,
        }
    }

    /// Reads chunks `chunks` (indices in the file) of `path`. `on_chunk` is called with the
    /// bytes of each chunk once it is done, for progress.
    pub fn read_chunks(
        &self,
        path: &Path,
        chunks: Range<u64>,
        on_chunk: &dyn Fn(u64),
    ) -> ChunkBatch<T> {
        match open_at(path, chunks.start) {
            Ok(file) => self.read_from(path, file, chunks, on_chunk, false),
            Err(e) => {
                let what = if chunks.start == 0 {
                    format!("cannot read: {}", error_chain(&e))
                } else {
                    let (first, end) = (chunks.start, chunks.end);
                    format!("cannot read chunks {first}..{end}: {}", error_chain(&e))
                };
                let mut batch = ChunkBatch::default();
                batch.errors.push(ReadError {
                    path: path.to_path_buf(),
                    chunk: None,
                    record: None,
                    message: what,
                });
                batch
            }
        }
    }

    /// Reads chunks `chunks` of the EVTX member `member` of the zip archive `archive`, streamed
    /// from the archive (errors name it `archive.zip!/member`).
    pub fn read_member(
        &self,
        archive: &Path,
        member: &Member,
        chunks: Range<u64>,
        on_chunk: &dyn Fn(u64),
    ) -> ChunkBatch<T> {
        let label = crate::archive::label(archive, &member.name);
        let read = crate::archive::with_member(archive, member.index, |stream| {
            // Skip the file header and any chunks before the range.
            let skip = FILE_HEADER_SIZE + chunks.start.saturating_mul(CHUNK_SIZE as u64);
            io::copy(&mut stream.take(skip), &mut io::sink())?;
            // The size an archive declares is the archive's word: read to the member's end.
            let to_end = chunks.start..u64::MAX;
            Ok::<_, io::Error>(self.read_from(&label, stream, to_end, on_chunk, true))
        });
        match read.and_then(|batch| batch) {
            Ok(batch) => batch,
            Err(e) => {
                let mut batch = ChunkBatch::default();
                batch.errors.push(ReadError {
                    path: label,
                    chunk: None,
                    record: None,
                    message: format!("cannot read from the archive: {}", error_chain(&e)),
                });
                batch
            }
        }
    }

    /// Reads a whole EVTX file held in memory (`path` only names it in errors): the entry
    /// point the fuzzer drives, with the same code path as files on disk.
    pub fn read_buffer(&self, path: &Path, bytes: &[u8]) -> ChunkBatch<T> {
        let chunks = bytes.get(FILE_HEADER_SIZE as usize..).unwrap_or_default();
        let slots = chunk_slots(bytes.len() as u64);
        self.read_from(path, chunks, 0..slots, &|_| {}, false)
    }

    /// Reads chunks `chunks` from `source`, which is positioned at the first of them; with
    /// `to_end`, the source's end is the normal end of the range.
    fn read_from(
        &self,
        path: &Path,
        mut source: impl Read,
        chunks: Range<u64>,
        on_chunk: &dyn Fn(u64),
        to_end: bool,
    ) -> ChunkBatch<T> {
        let mut batch = ChunkBatch::default();
        let error = |chunk: Option<u64>, message: String| ReadError {
            path: path.to_path_buf(),
            chunk,
            record: None,
            message,
        };
        if chunks.start == 0 {
            // The file header is part of what was scanned, as the progress bar counts it.
            batch.bytes += FILE_HEADER_SIZE;
            on_chunk(FILE_HEADER_SIZE);
        }
        let mut buf = Vec::with_capacity(CHUNK_SIZE);
        for index in chunks {
            buf.clear();
            let read = match (&mut source).take(CHUNK_SIZE as u64).read_to_end(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    batch.errors.push(error(
                        Some(index),
                        format!("read failed: {}", error_chain(&e)),
                    ));
                    break;
                }
            };
            batch.bytes += read as u64;
            on_chunk(read as u64);
            if read == 0 && to_end {
                break;
            }
            if read == 0 {
                // The file shrank since it was found.
                batch.errors.push(error(
                    Some(index),
                    "file ended early (truncated while scanning?)".into(),
                ));
                break;
            }
            if read < CHUNK_SIZE {
                batch.errors.push(error(
                    Some(index),
                    format!("truncated chunk: {read} of {CHUNK_SIZE} bytes; reading what is there"),
                ));
                if read < CHUNK_HEADER_SIZE {
                    break;
                }
            }
            buf = self.read_chunk(path, index, buf, &mut batch);
        }
        batch
    }

    /// Reads one chunk's records into `batch`; gives the buffer back for reuse.
    fn read_chunk(
        &self,
        path: &Path,
        index: u64,
        mut buf: Vec<u8>,
        batch: &mut ChunkBatch<T>,
    ) -> Vec<u8> {
        let error = |record: Option<u64>, message: String| ReadError {
            path: path.to_path_buf(),
            chunk: Some(index),
            record,
            message,
        };
        let mut plan = None;
        if buf.get(..8) != Some(CHUNK_MAGIC.as_slice()) {
            // Unused chunk slots are zero-filled; anything else is damage.
            if buf.iter().all(|&b| b == 0) {
                return buf;
            }
            let head: Vec<String> = buf.iter().take(8).map(|b| format!("{b:02x}")).collect();
            let mut message = format!("not a chunk (bad magic {})", head.join(" "));
            if !self.recover {
                batch.errors.push(error(None, message));
                return buf;
            }
            // A cleared or overwritten chunk header: give it an empty live area so that
            // every record left in it is carved (and marked recovered).
            message.push_str("; carving records from it (--recover)");
            batch.errors.push(error(None, message));
            as_cleared_chunk(&mut buf);
            plan = Some(ChunkPlan::All);
        }
        let plan = plan.unwrap_or_else(|| match &self.needle {
            Some(needle) => ChunkPlan::for_chunk(&buf, needle),
            None => ChunkPlan::All,
        });
        let skipped = plan == ChunkPlan::Skip;
        if !self.recover {
            // Carved records may point anywhere in the chunk: leave its bytes as they are.
            plan.blank_unwanted(&mut buf);
        }
        if skipped {
            batch.chunks_skipped += 1;
            match EvtxChunkHeader::from_bytes(&buf) {
                Ok(header) => {
                    batch.records += header
                        .last_event_record_number
                        .saturating_sub(header.first_event_record_number)
                        .saturating_add(1)
                        .min(CHUNK_SIZE as u64);
                    if let Err(problem) = check_record_headers(&buf, &header) {
                        batch.errors.push(error(
                            None,
                            format!("{problem} (in a chunk that names no WmiPrvSE.exe: no finding lost)"),
                        ));
                    }
                }
                Err(e) => batch.errors.push(error(
                    None,
                    format!("bad chunk header: {}", error_chain(&e)),
                )),
            }
            if batch.identity.is_some() {
                return buf;
            }
            // Parsed only as far as the first record, to learn which host and log this is.
        }
        let mut data = match EvtxChunkData::new(buf, false) {
            Ok(data) => data,
            Err(e) => {
                if !skipped {
                    batch.errors.push(error(
                        None,
                        format!("bad chunk header: {}", error_chain(&e)),
                    ));
                }
                return Vec::with_capacity(CHUNK_SIZE);
            }
        };
        data.number = Some(index);
        if !skipped {
            batch.chunks_parsed += 1;
            if !self.recover {
                if let Some(problem) = free_space_before_records(&data.header) {
                    batch.errors.push(error(None, problem));
                }
            }
        }
        let mut chunk = match data.parse(Arc::clone(&self.settings)) {
            Ok(chunk) => chunk,
            Err(e) => {
                if !skipped {
                    batch.errors.push(error(
                        None,
                        format!("cannot parse chunk: {}", error_chain(&e)),
                    ));
                }
                return data.data;
            }
        };
        for record in chunk.iter() {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    if !skipped {
                        let record = match &e {
                            EvtxError::FailedToParseRecord { record_id, .. } => Some(*record_id),
                            _ => None,
                        };
                        batch.errors.push(error(record, error_chain(&e)));
                    }
                    continue;
                }
            };
            if !skipped {
                batch.records += 1;
            }
            let wanted = plan.wants(record_span(&record));
            let need_identity = batch.identity.is_none();
            if !wanted && !need_identity {
                continue;
            }
            let header = RecordHeader {
                record_id: record.event_record_id,
                timestamp: record.timestamp,
            };
            let recovered = record.recovered;
            let json = match render(record) {
                Ok(json) => json,
                Err(message) => {
                    if wanted {
                        batch.errors.push(error(Some(header.record_id), message));
                    }
                    continue;
                }
            };
            if need_identity {
                batch.identity = LogIdentity::from_rendered(&json);
            }
            if wanted {
                batch.rendered += 1;
                if let Some(event) = (self.extract)(&json, header) {
                    batch.events.push(SourcedEvent {
                        event,
                        chunk: index,
                        recovered,
                    });
                }
            }
            if skipped && batch.identity.is_some() {
                break;
            }
        }
        drop(chunk);
        data.data
    }
}

/// A record's byte span in its chunk, header and trailing size copy included.
fn record_span(record: &evtx::EvtxRecord<'_>) -> Range<usize> {
    let start = record.binxml_offset.saturating_sub(RECORD_HEADER_SIZE);
    let end = record
        .binxml_offset
        .saturating_add(u64::from(record.binxml_size) + 4);
    usize::try_from(start).unwrap_or(usize::MAX)..usize::try_from(end).unwrap_or(usize::MAX)
}

/// Rewrites a damaged chunk header as an empty chunk's (magic, header size, free space at the
/// first record, no lookup tables) so the `evtx` crate carves every record in it as slack.
fn as_cleared_chunk(chunk: &mut [u8]) {
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(slot) = chunk.get_mut(at..at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
    };
    put(0, CHUNK_MAGIC);
    put(24, &0u64.to_le_bytes()); // first record id
    put(32, &0u64.to_le_bytes()); // last record id
    put(40, &128u32.to_le_bytes()); // header size
    put(44, &(CHUNK_HEADER_SIZE as u32).to_le_bytes()); // last record offset
    put(48, &(CHUNK_HEADER_SIZE as u32).to_le_bytes()); // free space offset
    put(120, &0u32.to_le_bytes()); // flags
    put(128, &[0; CHUNK_HEADER_SIZE - 128]); // string and template tables: names are inline
}

/// A header whose free space starts before the first record says the chunk holds no live
/// record, so the `evtx` crate reads none; records there are only carved with `--recover`.
fn free_space_before_records(header: &EvtxChunkHeader) -> Option<String> {
    let free = header.free_space_offset;
    (free < CHUNK_HEADER_SIZE as u32
        && header.last_event_record_id >= header.first_event_record_id
        && header.last_event_record_id > 0)
        .then(|| {
            format!(
                "the header's free space offset ({free}) is before the first record: its records \
             are not read (--recover carves them)"
            )
        })
}

/// Walks the record headers of a chunk that is not parsed (the pre-filter skipped it), the way
/// the `evtx` crate walks them, so that damage there is still reported.
fn check_record_headers(chunk: &[u8], header: &EvtxChunkHeader) -> Result<(), String> {
    if let Some(problem) = free_space_before_records(header) {
        // Only worth saying when records are there to be missed.
        if chunk.get(CHUNK_HEADER_SIZE..CHUNK_HEADER_SIZE + 4) == Some(RECORD_MAGIC.as_slice()) {
            return Err(problem);
        }
    }
    let live_end = usize::try_from(header.free_space_offset)
        .unwrap_or(usize::MAX)
        .min(chunk.len());
    let mut pos = CHUNK_HEADER_SIZE;
    while pos < live_end {
        let Some(record) = chunk.get(pos..pos + RECORD_HEADER_SIZE as usize) else {
            return Err(format!(
                "record header at offset {pos:#x} is cut off by the chunk's end"
            ));
        };
        if record.get(..4) != Some(RECORD_MAGIC.as_slice()) {
            // Zeroes up to the free space with no record after them: just the end.
            let rest = chunk.get(pos..live_end).unwrap_or_default();
            let blank = record.get(..4) == Some([0u8; 4].as_slice())
                && !rest.windows(4).any(|w| w == RECORD_MAGIC);
            return if blank {
                Ok(())
            } else {
                Err(format!(
                    "record header at offset {pos:#x} is damaged (bad magic)"
                ))
            };
        }
        let word = |at: usize| {
            record
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        let size = word(4).unwrap_or(0) as usize;
        let id = record
            .get(8..16)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .unwrap_or(0);
        if size < RECORD_HEADER_SIZE as usize + 4 || pos + size > chunk.len() {
            return Err(format!(
                "record {id} at offset {pos:#x} has an invalid size ({size} bytes)"
            ));
        }
        if id == header.last_event_record_id {
            break;
        }
        pos += size;
    }
    Ok(())
}

/// Opens `path` read-only, positioned at chunk `first`.
fn open_at(path: &Path, first: u64) -> io::Result<File> {
    let mut file = File::open(path)?;
    let offset = (first)
        .checked_mul(CHUNK_SIZE as u64)
        .and_then(|o| o.checked_add(FILE_HEADER_SIZE))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "chunk offset overflows"))?;
    file.seek(SeekFrom::Start(offset))?;
    Ok(file)
}

/// Renders a record and reads the fields wmihunt uses.
fn render(record: evtx::EvtxRecord<'_>) -> Result<Rendered, String> {
    let json = record.into_json_bytes().map_err(|e| error_chain(&e))?;
    Rendered::from_json(&json.data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wmihunt_testkit::writer::{write_to_vec, Event, Value};

    fn sysmon(image: &str, n: u32) -> Event {
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

    fn file(events: &[Event]) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
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
        let all = Reader::new(false, false)
            .unwrap()
            .read_chunks(&path, 0..1, &|_| {});
        assert_eq!((all.records, all.rendered, all.events.len()), (50, 50, 50));
        // The file header counts, as in the progress bar's total.
        assert_eq!(all.bytes, bytes.len() as u64);
        let some = Reader::new(true, false)
            .unwrap()
            .read_chunks(&path, 0..1, &|_| {});
        assert_eq!((some.records, some.rendered, some.events.len()), (50, 1, 1));
        assert_eq!(some.events[0].event.process_id, Some(7));
        assert!(some.errors.is_empty() && all.errors.is_empty());
    }

    #[test]
    fn a_chunk_without_the_needle_is_counted_not_parsed() {
        let (_dir, path, _) = file(&[sysmon("C:\\x\\reg.exe", 1), sysmon("C:\\x\\reg.exe", 2)]);
        let batch = Reader::new(true, false)
            .unwrap()
            .read_chunks(&path, 0..1, &|_| {});
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
    fn damaged_record_headers_in_skipped_chunks_are_reported() {
        let (_dir, _, bytes) = file(&[sysmon("a", 1), sysmon("b", 2), sysmon("c", 3)]);
        let mut chunk = bytes[4096..4096 + CHUNK_SIZE].to_vec();
        let header = EvtxChunkHeader::from_bytes(&chunk).unwrap();
        assert_eq!(check_record_headers(&chunk, &header), Ok(()));
        let second = 512 + u32::from_le_bytes(chunk[516..520].try_into().unwrap()) as usize;
        chunk[second + 4..second + 8].copy_from_slice(&0u32.to_le_bytes());
        let problem = check_record_headers(&chunk, &header).unwrap_err();
        assert!(problem.contains("invalid size (0 bytes)"), "{problem}");
        chunk[second..second + 4].copy_from_slice(b"XXXX");
        let problem = check_record_headers(&chunk, &header).unwrap_err();
        assert!(problem.contains("damaged (bad magic)"), "{problem}");
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
            let batch = Reader::new(true, false)
                .unwrap()
                .read_chunks(&path, 0..1, &|_| {});
            assert_eq!(batch.errors.len(), 1, "{image}: {:?}", batch.errors);
            assert!(batch.errors[0]
                .message
                .contains("free space offset (0) is before the first record"));
            if image.contains("WmiPrvSE") {
                // --recover carves them instead, silently.
                let carved = Reader::new(true, true)
                    .unwrap()
                    .read_chunks(&path, 0..1, &|_| {});
                assert!(carved.errors.is_empty(), "{:?}", carved.errors);
                assert_eq!(carved.events.len(), 2);
                assert!(carved.events.iter().all(|e| e.recovered));
            }
        }
    }

    #[test]
    fn unreadable_files_name_the_path() {
        let reader = Reader::new(true, false).unwrap();
        let batch = reader.read_chunks(Path::new("/nonexistent/x.evtx"), 0..3, &|_| {});
        assert_eq!(batch.errors.len(), 1);
        assert!(batch.errors[0]
            .to_string()
            .starts_with("/nonexistent/x.evtx: cannot read:"));
    }

    #[test]
    fn slots_count_a_truncated_last_chunk() {
        assert_eq!(chunk_slots(0), 0);
        assert_eq!(chunk_slots(4096), 0);
        assert_eq!(chunk_slots(4096 + 65536), 1);
        assert_eq!(chunk_slots(4096 + 65537), 2);
    }
}
