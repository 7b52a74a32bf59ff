//! The census of a chunk: a walk of its live record headers, the way the `evtx` crate walks
//! them (from the chunk header to the free space, each record after the previous one, and
//! past a broken one to the next record that checks out), done on every chunk whether or not
//! the pre-filter has it parsed. It gives, in one wording and one count whichever path reads
//! the chunk:
//! - the records in the chunk;
//! - the damage in its record headers;
//! - how many records use a template whose definition names given fields (a "marker", e.g.
//!   `TargetObject` + `EventType` for Sysmon registry events), with their first and last
//!   record-header times. Template definitions are local to a chunk and hold the `Data Name`
//!   values inline, so this needs no parsing.

use super::layout::{
    chunk_header, record_header, u32_at, u64_at, CHUNK_HEADER_SIZE, RECORD_HEADER_SIZE,
    RECORD_MAGIC, RECORD_OVERHEAD,
};
use jiff::Timestamp;
use memchr::memmem;
use std::collections::HashMap;

/// A kind of record recognised by the field names its template defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// A name for counts and reports.
    pub name: &'static str,
    /// Field names the template must all hold (as `Data Name` values).
    pub fields: &'static [&'static str],
}

/// Markers, compiled: every field name as a UTF-16LE searcher, and per marker the set of
/// names it needs.
#[derive(Debug, Clone)]
pub struct Markers {
    words: Vec<memmem::Finder<'static>>,
    /// Per marker, a bit per word in `words`.
    needs: Vec<u64>,
}

/// What is known of the templates met so far, by their GUID and size: which field names each
/// defines. Windows gives a template the same GUID in every chunk, so each is searched once a
/// unit of chunks, not once a chunk.
#[derive(Debug, Default)]
pub struct Templates {
    known: HashMap<([u8; 16], u32), u64>,
}

impl Markers {
    /// Compiles `markers` (at most 64 markers and 64 distinct field names in all).
    pub fn new(markers: &[Marker]) -> Markers {
        let mut names: Vec<&str> = Vec::new();
        let mut needs = Vec::with_capacity(markers.len());
        for marker in markers.iter().take(64) {
            let mut need = 0u64;
            for field in marker.fields {
                let bit = match names.iter().position(|n| n == field) {
                    Some(bit) => bit,
                    None => {
                        names.push(field);
                        names.len() - 1
                    }
                };
                if bit < 64 {
                    need |= 1 << bit;
                }
            }
            needs.push(need);
        }
        let words = names
            .iter()
            .take(64)
            .map(|n| {
                let utf16: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
                memmem::Finder::new(&utf16).into_owned()
            })
            .collect();
        Markers { words, needs }
    }

    /// How many markers there are.
    pub fn len(&self) -> usize {
        self.needs.len()
    }

    /// Which field names a template definition body holds, as a bit set.
    fn words_in(&self, body: &[u8]) -> u64 {
        let mut set = 0;
        for (bit, finder) in self.words.iter().enumerate() {
            if finder.find(body).is_some() {
                set |= 1 << bit;
            }
        }
        set
    }

    /// The field names of the template defined at `offset` (cached by GUID and size).
    fn template(&self, chunk: &[u8], offset: usize, templates: &mut Templates) -> u64 {
        let key = chunk
            .get(offset + 4..offset + 20)
            .and_then(|g| <[u8; 16]>::try_from(g).ok())
            .zip(u32_at(chunk, offset + 20));
        if let Some(bits) = key.and_then(|k| templates.known.get(&k)) {
            return *bits;
        }
        let bits = body(chunk, offset).map_or(0, |b| self.words_in(b));
        if let Some(key) = key {
            templates.known.insert(key, bits);
        }
        bits
    }
}

/// Records of one marker: how many, and the span of their record-header times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Records whose template satisfies the marker.
    pub records: u64,
    /// The earliest record-header time among them (times before 1970 are left out: exported
    /// logs write 0 into some headers).
    pub first: Option<Timestamp>,
    /// The latest.
    pub last: Option<Timestamp>,
}

impl Tally {
    /// Counts one record written at `time`.
    fn add(&mut self, time: Option<Timestamp>) {
        self.records += 1;
        if let Some(t) = time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &Tally) {
        self.records += other.records;
        for t in [other.first, other.last].into_iter().flatten() {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
}

/// One chunk in a file's index: which markers' records it holds and the span of its record
/// times, so that later passes read only the chunks that can matter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkEntry {
    /// The chunk's index in its file.
    pub index: u64,
    /// Bit `i` set: the chunk holds a record of marker `i`.
    pub kinds: u64,
    /// The earliest record-header time, in whole seconds since 1970 (rounded down).
    pub first: Option<i64>,
    /// The latest, rounded up.
    pub last: Option<i64>,
}

impl ChunkEntry {
    /// Whether the chunk can hold records of `kinds` at or after `from` (seconds since 1970).
    /// A chunk whose times are unknown can.
    pub fn may_hold(&self, kinds: u64, from: i64) -> bool {
        self.kinds & kinds != 0 && self.last.is_none_or(|last| last >= from)
    }
}

/// What the census of one chunk found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    /// Live records (their headers check out; their content may still be damaged).
    pub records: u64,
    /// The chunk's entry in its file's index (`index` is left for the caller).
    pub entry: ChunkEntry,
    /// One tally per marker, in the markers' order.
    pub tallies: Vec<Tally>,
    /// Damage in the record headers, worded for people.
    pub damage: Vec<String>,
    /// The header puts the free space (this offset) before the first record although records
    /// are there: the crate reads none of them, `--recover` carves them.
    pub free_space_before_records: Option<usize>,
}

/// The chunk header fields the walk needs.
struct Header {
    first_id: u64,
    last_id: u64,
    last_offset: usize,
    free: usize,
}

impl Header {
    fn read(chunk: &[u8]) -> Option<Header> {
        let offset = |at| u32_at(chunk, at).and_then(|v| usize::try_from(v).ok());
        Some(Header {
            first_id: u64_at(chunk, chunk_header::FIRST_RECORD_ID)?,
            last_id: u64_at(chunk, chunk_header::LAST_RECORD_ID)?,
            last_offset: offset(chunk_header::LAST_RECORD_OFFSET)?,
            free: offset(chunk_header::FREE_SPACE_OFFSET)?,
        })
    }
}

/// A record header that checks out.
struct Record {
    id: u64,
    time: Option<Timestamp>,
    end: usize,
}

/// The latest FILETIME the `evtx` crate accepts (jiff's range ends in 9999).
const MAX_FILETIME: u64 = 2_650_466_808_009_999_999;
/// Offset of the record header's time (FILETIME, u64).
const RECORD_TIME: usize = 16;
/// FILETIME of 1970-01-01 (100 ns units since 1601).
const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

/// Why a record header does not check out.
enum Broken {
    /// Zeroes or the chunk's end where a record should start: the real end of the records.
    Blank,
    /// Anything else, worded.
    Damaged(String),
}

/// Reads the record header at `pos` as the crate does; `carved` also asks for the copy of the
/// size after the record (how the crate checks a record it resyncs on).
fn record_at(chunk: &[u8], pos: usize, carved: bool) -> Result<Record, Broken> {
    let Some(head) = chunk.get(pos..pos + RECORD_HEADER_SIZE) else {
        return Err(Broken::Blank);
    };
    if head.get(..4) != Some(RECORD_MAGIC.as_slice()) {
        return if head.get(..4) == Some([0u8; 4].as_slice()) {
            Err(Broken::Blank)
        } else {
            Err(Broken::Damaged(format!(
                "record header at offset {pos:#x} is damaged (bad magic)"
            )))
        };
    }
    let size = u32_at(head, record_header::SIZE).unwrap_or(0) as usize;
    let id = u64_at(head, record_header::ID).unwrap_or(0);
    let filetime = u64_at(head, RECORD_TIME).unwrap_or(0);
    let invalid = || {
        Broken::Damaged(format!(
            "record {id} at offset {pos:#x} has an invalid size ({size} bytes)"
        ))
    };
    if size < RECORD_OVERHEAD {
        return Err(invalid());
    }
    let binxml_end = pos + RECORD_HEADER_SIZE + (size - RECORD_OVERHEAD);
    if binxml_end > chunk.len() {
        return Err(invalid());
    }
    if filetime > MAX_FILETIME {
        return Err(Broken::Damaged(format!(
            "record {id} at offset {pos:#x} has an out-of-range time"
        )));
    }
    if carved && u32_at(chunk, binxml_end).map(|v| v as usize) != Some(size) {
        return Err(invalid());
    }
    let time = (filetime >= UNIX_EPOCH_FILETIME).then(|| {
        let nanos = i128::from(filetime - UNIX_EPOCH_FILETIME) * 100;
        Timestamp::from_nanosecond(nanos).ok()
    });
    Ok(Record {
        id,
        time: time.flatten(),
        end: pos + size,
    })
}

/// The next live record at or after `from`, as the crate finds it after damage: a record magic
/// whose header and size copy check out, that starts by the header's last record and ends in
/// the live area, with an id in the header's range.
fn next_live(chunk: &[u8], header: &Header, from: usize, live_end: usize) -> Option<usize> {
    let search_end = live_end.min(header.last_offset.saturating_add(4));
    let mut at = from;
    while at < search_end {
        let hit = memmem::find(chunk.get(at..search_end)?, RECORD_MAGIC)? + at;
        if let Ok(r) = record_at(chunk, hit, true) {
            if r.end <= live_end && (header.first_id..=header.last_id).contains(&r.id) {
                return Some(hit);
            }
        }
        at = hit + 1;
    }
    None
}

/// Nested BinXML values followed at most this deep: Windows nests one level, the provider's
/// `EventData` template inside the `System` one (deeper nesting only changes which records a
/// marker counts, never a finding).
const MAX_NESTING: usize = 1;
/// Value type of a nested BinXML fragment.
const BINXML_VALUE: u8 = 0x21;

/// The offsets of the template definitions a BinXML stream in `span` instantiates: its own
/// and those of the BinXML fragments among its values (Windows puts the provider's event
/// fields, `EventData`, in such a nested template). Anything it cannot follow is left out.
fn definitions(chunk: &[u8], span: std::ops::Range<usize>, depth: usize, out: &mut Vec<usize>) {
    let mut at = span.start;
    if chunk.get(at) == Some(&0x0f) {
        at += 4;
    }
    if chunk.get(at) != Some(&0x0c) {
        return;
    }
    let Some(offset) = u32_at(chunk, at + 6).and_then(|o| usize::try_from(o).ok()) else {
        return;
    };
    out.push(offset);
    if depth >= MAX_NESTING {
        return;
    }
    at += 10;
    if offset == at {
        // Defined inline: next offset (4), GUID (16), data size (4), data.
        let Some(size) = u32_at(chunk, at + 20).and_then(|s| usize::try_from(s).ok()) else {
            return;
        };
        at = at.saturating_add(24).saturating_add(size);
    }
    let Some(count) = u32_at(chunk, at).and_then(|c| usize::try_from(c).ok()) else {
        return;
    };
    let descriptors = at + 4;
    let mut value = descriptors.saturating_add(count.saturating_mul(4));
    let Some(table) = chunk.get(descriptors..value) else {
        return;
    };
    // Value sizes are summed in one tight loop; only BinXML values are followed.
    for descriptor in table.chunks_exact(4) {
        let &[lo, hi, kind, _] = descriptor else {
            return;
        };
        let end = value + usize::from(u16::from_le_bytes([lo, hi]));
        if end > span.end {
            return;
        }
        if kind == BINXML_VALUE {
            definitions(chunk, value..end, depth + 1, out);
        }
        value = end;
    }
}

/// The body of the template definition at `offset`.
fn body(chunk: &[u8], offset: usize) -> Option<&[u8]> {
    let size = usize::try_from(u32_at(chunk, offset.checked_add(20)?)?).ok()?;
    chunk.get(offset.checked_add(24)?..offset.checked_add(24)?.checked_add(size)?)
}

/// Walks the live records of `chunk` (a whole chunk, header included), using and adding to
/// what `templates` knows.
pub fn census(chunk: &[u8], markers: &Markers, templates: &mut Templates) -> Census {
    let mut census = Census {
        tallies: vec![Tally::default(); markers.len()],
        ..Census::default()
    };
    let Some(header) = Header::read(chunk) else {
        return census;
    };
    let live_end = header.free.min(chunk.len());
    if header.free < CHUNK_HEADER_SIZE && header.last_id >= header.first_id && header.last_id > 0 {
        // Only worth saying when records are there to be missed.
        if chunk.get(CHUNK_HEADER_SIZE..CHUNK_HEADER_SIZE + 4) == Some(RECORD_MAGIC.as_slice()) {
            census.free_space_before_records = Some(header.free);
        }
        return census;
    }
    // Field names of each definition met in this chunk, by offset (the cheap first look).
    let mut seen: Vec<(usize, u64)> = Vec::new();
    let mut offsets = Vec::new();
    let mut pos = Some(CHUNK_HEADER_SIZE);
    while let Some(at) = pos.filter(|&p| p < live_end) {
        match record_at(chunk, at, false) {
            Ok(record) => {
                census.records += 1;
                if markers.len() > 0 {
                    offsets.clear();
                    let binxml = at + RECORD_HEADER_SIZE..record.end.saturating_sub(4);
                    definitions(chunk, binxml, 0, &mut offsets);
                    let mut words = 0;
                    for &offset in &offsets {
                        words |= match seen.iter().find(|(o, _)| *o == offset) {
                            Some(&(_, bits)) => bits,
                            None => {
                                let bits = markers.template(chunk, offset, templates);
                                seen.push((offset, bits));
                                bits
                            }
                        };
                    }
                    let marked = markers.needs.iter().zip(census.tallies.iter_mut());
                    for (bit, (need, tally)) in marked.enumerate() {
                        if *need != 0 && words & need == *need {
                            tally.add(record.time);
                            census.entry.kinds |= 1 << bit;
                        }
                    }
                }
                if let Some(t) = record.time {
                    let (down, up) = (t.as_second(), t.as_second() + 1);
                    let entry = &mut census.entry;
                    entry.first = Some(entry.first.map_or(down, |f| f.min(down)));
                    entry.last = Some(entry.last.map_or(up, |l| l.max(up)));
                }
                pos = (record.id != header.last_id).then_some(record.end);
            }
            Err(broken) => {
                let next = next_live(chunk, &header, at + 1, live_end);
                if let Broken::Damaged(message) = broken {
                    census.damage.push(message);
                } else if next.is_some() {
                    census.damage.push(format!(
                        "record header at offset {at:#x} is damaged (zeroed)"
                    ));
                }
                pos = next;
            }
        }
    }
    census
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::layout::CHUNK_SIZE;
    use crate::read::tests::{file, sysmon};
    use wmihunt_testkit::writer::Event;

    const REGISTRY: Marker = Marker {
        name: "sysmon_registry",
        fields: &["TargetObject", "EventType"],
    };

    fn chunk_of(events: &[Event]) -> Vec<u8> {
        let (_dir, _, bytes) = file(events);
        bytes[4096..4096 + CHUNK_SIZE].to_vec()
    }

    fn process(n: u32) -> Event {
        Event::new(
            "Microsoft-Windows-Sysmon",
            1,
            "c",
            "h",
            133_000_000_000_000_000,
        )
        .with("Image", "C:\\x.exe")
        .with("CommandLine", format!("x {n}"))
    }

    #[test]
    fn counts_records_and_the_ones_a_marker_names() {
        let chunk = chunk_of(&[
            sysmon("a", 1),
            process(1),
            sysmon("b", 2),
            process(2),
            process(3),
        ]);
        let c = census(
            &chunk,
            &Markers::new(&[REGISTRY]),
            &mut Templates::default(),
        );
        assert_eq!(c.records, 5);
        assert_eq!(c.tallies[0].records, 2);
        assert!(c.damage.is_empty());
        assert_eq!(
            c.tallies[0].first.map(|t| t.to_string()).as_deref(),
            Some("2022-06-18T04:26:40Z")
        );
    }

    #[test]
    fn damage_is_reported_and_the_walk_resyncs() {
        let mut chunk = chunk_of(&[sysmon("a", 1), sysmon("b", 2), sysmon("c", 3)]);
        let clean = census(&chunk, &Markers::new(&[]), &mut Templates::default());
        assert_eq!((clean.records, clean.damage.len()), (3, 0));
        let second = 512 + u32_at(&chunk, 516).unwrap() as usize;
        chunk[second..second + 4].copy_from_slice(b"XXXX");
        let c = census(&chunk, &Markers::new(&[]), &mut Templates::default());
        assert_eq!(
            c.damage,
            [format!(
                "record header at offset {second:#x} is damaged (bad magic)"
            )]
        );
        assert_eq!(c.records, 2, "the walk goes on at the third record");
        chunk[second..second + 4].copy_from_slice(RECORD_MAGIC);
        chunk[second + 4..second + 8].copy_from_slice(&0u32.to_le_bytes());
        let c = census(&chunk, &Markers::new(&[]), &mut Templates::default());
        assert!(
            c.damage[0].contains("invalid size (0 bytes)"),
            "{:?}",
            c.damage
        );
    }

    #[test]
    fn zeroes_where_the_free_space_should_start_are_the_end() {
        let mut chunk = chunk_of(&[sysmon("a", 1)]);
        // The header says more than there is (evtx issue #197): zeroes end the records.
        chunk[48..52].copy_from_slice(&(CHUNK_SIZE as u32).to_le_bytes());
        chunk[32..40].copy_from_slice(&9u64.to_le_bytes());
        let c = census(&chunk, &Markers::new(&[]), &mut Templates::default());
        assert_eq!((c.records, c.damage.len()), (1, 0));
    }
}
