//! The pre-filter: decides from a chunk's raw bytes which records can possibly hold a word (for
//! the detection pass, `wmiprvse.exe`), so that the rest are never rendered. See
//! `docs/prefilter.md` for why this loses no finding.
//!
//! Two levels, both byte searches for the words (ASCII case-insensitive) as UTF-16LE and as
//! single bytes (ANSI string values):
//! 1. A chunk without the text is skipped unparsed: everything a record renders comes from
//!    its own chunk.
//! 2. In a chunk with it, records are checked one by one: a record is rendered when it
//!    contains an occurrence, or when a walk of the chunk could not prove that it renders
//!    only its own substitution values and template definitions the walk located. When an
//!    occurrence sits in a template definition (which several records may render), every
//!    record of the chunk is rendered.

use super::layout::{
    self, chunk_header, CHUNK_HEADER_SIZE, RECORD_HEADER_SIZE, RECORD_MAGIC, RECORD_OVERHEAD,
};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::ops::Range;

/// Value type of a nested BinXML fragment.
const BINXML_VALUE: u8 = 0x21;

/// ASCII case-insensitive searcher for words in both encodings.
#[derive(Debug, Clone)]
pub struct Needle {
    searcher: Searcher,
}

#[derive(Debug, Clone)]
enum Searcher {
    /// One word, found with any number of NUL bytes between its letters (see `Spaced`).
    One(Spaced),
    /// A few words, each found as `One` finds its word, grouped by the letter scanned for.
    Several(Vec<(u8, Vec<Spaced>)>),
    /// Several words: Aho-Corasick over a lower-cased copy, which keeps its Teddy SIMD
    /// searcher (ASCII case-insensitive matching of many patterns would lose it).
    Many(AhoCorasick),
}

impl Needle {
    /// A needle for any of `words` (ASCII case-insensitive), each as UTF-16LE and as single
    /// bytes. Building only fails for absurd sizes; the error is passed on, not assumed away.
    pub fn new(words: &[&str]) -> Result<Needle, String> {
        let searcher = match words {
            [word] if word.is_ascii() => Searcher::One(Spaced::new(word)),
            _ => {
                let mut patterns: Vec<Vec<u8>> = Vec::with_capacity(words.len() * 2);
                for word in words.iter().filter(|w| !w.is_empty()) {
                    // Every occurrence of a word holds its tail from its rarest letter on, and
                    // rare first bytes keep the automaton's start-byte scan fast.
                    let word = word.to_ascii_lowercase();
                    let keep = word.len().min(MIN_TAIL);
                    let head = word.get(..=word.len() - keep).unwrap_or_default();
                    let tail = word.get(rarest_letter(head.as_bytes())..).unwrap_or(&word);
                    patterns.push(tail.encode_utf16().flat_map(u16::to_le_bytes).collect());
                    patterns.push(tail.as_bytes().to_vec());
                }
                Searcher::Many(
                    AhoCorasickBuilder::new()
                        .match_kind(MatchKind::LeftmostFirst)
                        .build(&patterns)
                        .map_err(|e| format!("cannot build the pre-filter: {e}"))?,
                )
            }
        };
        Ok(Needle { searcher })
    }

    /// A needle for a few fixed words (the detection pass's), each found as `new` finds one
    /// word: with any number of NUL bytes between its letters.
    pub fn spaced(words: &[&str]) -> Result<Needle, String> {
        let mut groups: Vec<(u8, Vec<Spaced>)> = Vec::new();
        for word in words.iter().map(|w| Spaced::new(w)) {
            let letter = *word.word.get(word.anchor).ok_or("an empty word")?;
            match groups.iter_mut().find(|(l, _)| *l == letter) {
                Some((_, group)) => group.push(word),
                None => groups.push((letter, vec![word])),
            }
        }
        let searcher = Searcher::Several(groups);
        Ok(Needle { searcher })
    }

    /// Byte ranges of every occurrence in `data`, ASCII case-insensitively, sorted.
    pub fn occurrences(&self, data: &[u8]) -> Vec<Range<usize>> {
        match &self.searcher {
            Searcher::One(spaced) => spaced.find_all(data),
            Searcher::Several(groups) => {
                let mut found: Vec<Range<usize>> = Vec::new();
                for (letter, words) in groups {
                    for at in memchr::memchr2_iter(*letter, letter.to_ascii_uppercase(), data) {
                        found.extend(words.iter().filter_map(|w| w.match_at(data, at)));
                    }
                }
                found.sort_unstable_by_key(|r| (r.start, r.end));
                found
            }
            Searcher::Many(ac) => {
                let lower = data.to_ascii_lowercase();
                ac.find_iter(&lower).map(|m| m.range()).collect()
            }
        }
    }
}

/// Shortest tail of a payload word searched for: shorter ones (`.exe`) are everywhere.
const MIN_TAIL: usize = 7;

/// Index of the rarest letter of a lower-case word in event-log text (English letter
/// frequency; anything else counts as common).
fn rarest_letter(word: &[u8]) -> usize {
    // English letter frequency, with `x` moved among the common letters: every `.exe` in
    // an event log has one.
    const BY_RARITY: &[u8] = b"zqjkvbpygfwmuxcldrhsnioate";
    let rank = |b: &u8| {
        BY_RARITY
            .iter()
            .position(|r| r == b)
            .unwrap_or(BY_RARITY.len())
    };
    word.iter()
        .enumerate()
        .min_by_key(|(_, b)| rank(b))
        .map_or(0, |(i, _)| i)
}

/// A word found ASCII case-insensitively with any number of NUL bytes between its letters.
/// That one rule covers UTF-16LE text (one NUL after each ASCII letter), single-byte (ANSI)
/// text, and text that the `evtx` crate renders whole although NULs stand inside it: it
/// drops NUL characters, so adjacent values split by a terminator, or an ANSI value with a
/// NUL inside, still render the word. It scans (SIMD `memchr2`) for the word's rarest
/// letter and checks outwards from there.
#[derive(Debug, Clone)]
struct Spaced {
    /// The word, lower-case.
    word: Vec<u8>,
    /// Index of its rarest letter in event logs, the one scanned for.
    anchor: usize,
}

impl Spaced {
    fn new(word: &str) -> Spaced {
        let word = word.to_ascii_lowercase().into_bytes();
        let anchor = rarest_letter(&word);
        Spaced { word, anchor }
    }

    /// Where the word is, each occurrence from its first letter to its last.
    fn find_all(&self, data: &[u8]) -> Vec<Range<usize>> {
        let Some(&anchor) = self.word.get(self.anchor) else {
            return Vec::new();
        };
        let mut found: Vec<Range<usize>> = Vec::new();
        for at in memchr::memchr2_iter(anchor, anchor.to_ascii_uppercase(), data) {
            if found.last().is_some_and(|last| at < last.end) {
                continue;
            }
            found.extend(self.match_at(data, at));
        }
        found
    }

    /// The occurrence around the anchor letter at `at`, if the rest of the word is there.
    fn match_at(&self, data: &[u8], at: usize) -> Option<Range<usize>> {
        let (before, after) = self.word.split_at(self.anchor);
        let start = before.iter().rev().try_fold(at, |pos, &want| {
            let prev = data.get(..pos)?.iter().rposition(|&b| b != 0)?;
            (data.get(prev)?.to_ascii_lowercase() == want).then_some(prev)
        })?;
        let end = after.iter().skip(1).try_fold(at, |pos, &want| {
            let next = pos + 1 + data.get(pos + 1..)?.iter().position(|&b| b != 0)?;
            (data.get(next)?.to_ascii_lowercase() == want).then_some(next)
        })?;
        Some(start..end + 1)
    }
}

/// What to render of one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkPlan {
    /// No record of the chunk can name the needle: do not parse it.
    Skip,
    /// Render every record.
    All,
    /// Render the records that contain an occurrence, and any record that does not start
    /// at one of `record_starts` (the walk did not see it or could not prove it renders
    /// only its own bytes).
    Matching {
        /// Occurrences, sorted.
        occurrences: Vec<Range<usize>>,
        /// Starts of the records the walk proved, sorted.
        record_starts: Vec<usize>,
        /// Every live record was proven, so blanking the unwanted ones can change nothing
        /// another record reads (see `blank_unwanted`).
        blank_safe: bool,
    },
}

impl ChunkPlan {
    /// Plans `chunk` (the whole 64 KiB chunk, header included).
    pub fn for_chunk(chunk: &[u8], needle: &Needle) -> ChunkPlan {
        let occurrences = needle.occurrences(chunk);
        if occurrences.is_empty() {
            return ChunkPlan::Skip;
        }
        match walk(chunk) {
            Some(walk) if walk.covers(&occurrences) => ChunkPlan::Matching {
                occurrences,
                blank_safe: walk.complete,
                record_starts: walk.record_starts,
            },
            _ => ChunkPlan::All,
        }
    }

    /// Empties every record this plan does not want rendered (it writes the end-of-stream
    /// token over the start of its BinXML), so the `evtx` crate does not even build it: in
    /// a chunk with a few matching records that is most of the parsing. Template definitions
    /// inside them stay where they are, for the records that refer to them.
    pub fn blank_unwanted(&self, chunk: &mut [u8]) {
        let ChunkPlan::Matching {
            record_starts,
            blank_safe: true,
            ..
        } = self
        else {
            // A record the walk did not prove could read the bytes that blanking changes.
            return;
        };
        for &start in record_starts {
            let Some(size) = u32_at(chunk, start + layout::record_header::SIZE) else {
                continue;
            };
            if !self.wants(start..start + size) {
                if let Some(first) = chunk.get_mut(start + RECORD_HEADER_SIZE) {
                    *first = 0x00;
                }
            }
        }
    }

    /// Whether the record spanning `record` (chunk offsets, header included) must be rendered.
    pub fn wants(&self, record: Range<usize>) -> bool {
        match self {
            ChunkPlan::Skip => false,
            ChunkPlan::All => true,
            ChunkPlan::Matching {
                occurrences,
                record_starts,
                ..
            } => {
                record_starts.binary_search(&record.start).is_err()
                    || occurrences
                        .iter()
                        .any(|o| o.start >= record.start && o.end <= record.end)
            }
        }
    }
}

/// What a walk of a chunk's records proved.
struct Walk {
    /// Starts of the records proven to render only from their own values and from
    /// definitions the walk located, sorted.
    record_starts: Vec<usize>,
    /// The walk reached the free space and proved every record on the way.
    complete: bool,
    /// Byte ranges of every walked record, sorted.
    records: Vec<Range<usize>>,
    /// Byte ranges inside walked records that only their own record renders (substitution
    /// values, or all of an unproven record's values), sorted.
    local_values: Vec<Range<usize>>,
}

impl Walk {
    /// Whether every occurrence inside a walked record lies in one of that record's own
    /// values. Occurrences elsewhere (chunk header, slack, records the walk could not read)
    /// cannot reach a proven record, whose bytes and definitions all lie in walked records.
    fn covers(&self, occurrences: &[Range<usize>]) -> bool {
        let inside = |ranges: &[Range<usize>], o: &Range<usize>| {
            // Sorted and disjoint: the last range starting at or before `o`.
            let i = ranges.partition_point(|r| r.start <= o.start);
            i > 0 && ranges.get(i - 1).is_some_and(|r| o.start < r.end)
        };
        let within = |ranges: &[Range<usize>], o: &Range<usize>| {
            let i = ranges.partition_point(|r| r.start <= o.start);
            i > 0 && ranges.get(i - 1).is_some_and(|r| o.end <= r.end)
        };
        occurrences
            .iter()
            .all(|o| !inside(&self.records, o) || within(&self.local_values, o))
    }
}

/// A u32 size or offset in chunk bytes.
fn u32_at(data: &[u8], at: usize) -> Option<usize> {
    usize::try_from(layout::u32_at(data, at)?).ok()
}

/// A u16 size in chunk bytes.
fn u16_at(data: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(layout::u16_at(data, at)?))
}

/// Walks the chunk's live records the way the `evtx` crate does (from the header to the
/// free space, each record after the previous one, until one cannot be read). A record is
/// proven when its BinXML is template instances all the way down (top level and nested
/// BinXML values), every definition is inline in it or in an earlier record, and every
/// value has a type the crate reads in exactly its declared size.
fn walk(chunk: &[u8]) -> Option<Walk> {
    let free = u32_at(chunk, chunk_header::FREE_SPACE_OFFSET)?.min(chunk.len());
    let mut walk = Walk {
        record_starts: Vec::new(),
        complete: true,
        records: Vec::new(),
        local_values: Vec::new(),
    };
    let mut definitions: Vec<usize> = Vec::new();
    let mut pos = CHUNK_HEADER_SIZE;
    while pos.checked_add(RECORD_OVERHEAD)? <= free {
        if chunk.get(pos..pos + 4)? != RECORD_MAGIC.as_slice() {
            // Past the last readable record. Whatever the crate still finds later starts at
            // an offset the walk did not prove, so `ChunkPlan::wants` renders it.
            walk.complete = false;
            break;
        }
        let size = u32_at(chunk, pos + 4)?;
        let end = pos.checked_add(size)?;
        if size < RECORD_OVERHEAD || end > free {
            walk.complete = false;
            break;
        }
        let mut record = RecordWalk {
            chunk,
            definitions: &mut definitions,
            locals: &mut walk.local_values,
            depth: 0,
        };
        if record.stream(pos + RECORD_HEADER_SIZE..end - 4) {
            walk.record_starts.push(pos);
        }
        walk.records.push(pos..end);
        pos = end;
    }
    walk.complete &= walk.record_starts.len() == walk.records.len();
    Some(walk)
}

/// The walk of one record.
struct RecordWalk<'a> {
    chunk: &'a [u8],
    definitions: &'a mut Vec<usize>,
    locals: &'a mut Vec<Range<usize>>,
    /// How many nested BinXML values the walk is inside.
    depth: usize,
}

/// Nested BinXML values deeper than this leave their record unproven (rendered), so that a
/// crafted record cannot run the walk's recursion out of stack.
const MAX_NESTING: usize = 16;

impl RecordWalk<'_> {
    /// Walks a BinXML stream (a record's, or a nested value's); whether it is proven. An
    /// unproven stream's bytes all count as its record's own.
    fn stream(&mut self, span: Range<usize>) -> bool {
        let mark = self.locals.len();
        let known = self.definitions.len();
        self.depth += 1;
        let proven = self.depth <= MAX_NESTING
            && self.instance(span.clone()).is_some_and(|end| {
                // Anything after the instance but the end-of-stream token is rendered too.
                end == span.end || self.chunk.get(end) == Some(&0x00)
            });
        self.depth -= 1;
        if !proven {
            // Its bytes are all its own now, definitions included: no other record may be
            // proven through a definition inside it.
            self.definitions.truncate(known);
            self.locals.truncate(mark);
            self.locals.push(span);
        }
        proven
    }

    /// Walks an optional fragment header and one template instance; where it ends.
    fn instance(&mut self, span: Range<usize>) -> Option<usize> {
        let chunk = self.chunk;
        let mut at = span.start;
        if chunk.get(at) == Some(&0x0f) {
            at += 4;
        }
        if chunk.get(at) != Some(&0x0c) {
            return None;
        }
        at += 6; // token, unknown byte, template id
        let definition = u32_at(chunk, at)?;
        at += 4;
        if definition == at {
            // Inline definition: next offset (4), GUID (16), data size (4), data. Its bytes
            // are not local: every record using it renders them.
            let data_size = u32_at(chunk, at + 20)?;
            let body = at.checked_add(24)?..at.checked_add(24)?.checked_add(data_size)?;
            // Literal BinXML in a definition (a value-text token of type 0x21) is parsed as
            // a fragment that may instantiate a template anywhere in the chunk: such a
            // definition proves nothing. A chance byte match only costs speed.
            let nested = chunk
                .get(body.clone())?
                .windows(2)
                .any(|w| matches!(w, [0x05 | 0x45, BINXML_VALUE]));
            if nested {
                return None;
            }
            at = body.end;
            self.definitions.push(definition);
        } else if !self.definitions.contains(&definition) {
            return None;
        }
        let count = u32_at(chunk, at)?;
        let descriptors = at + 4;
        let mut value = descriptors.checked_add(count.checked_mul(4)?)?;
        if value > span.end {
            return None;
        }
        for i in 0..count {
            let d = descriptors + 4 * i;
            let size = u16_at(chunk, d)?;
            let kind = *chunk.get(d + 2)?;
            let range = value..value.checked_add(size)?;
            if range.end > span.end {
                return None;
            }
            if kind == BINXML_VALUE {
                if !self.stream(range.clone()) {
                    return None;
                }
            } else if !value_size_is_exact(kind, size, chunk.get(range.clone())?) {
                return None;
            } else if matches!(kind, 0x01 | 0x02) {
                self.locals.push(range.clone());
            }
            value = range.end;
        }
        Some(value)
    }
}

/// Whether the crate reads a value of type `kind` in exactly `size` bytes and renders it
/// from those bytes alone. Arrays, nested BinXML (0x21) and unknown types are refused.
fn value_size_is_exact(kind: u8, size: usize, bytes: &[u8]) -> bool {
    match kind {
        0x00 | 0x0e => true,                           // null (skipped), binary
        0x01 => size.is_multiple_of(2),                // UTF-16 string
        0x02 => true,                                  // ANSI string
        0x03 | 0x04 => size == 1,                      // int8, uint8
        0x05 | 0x06 => size == 2,                      // int16, uint16
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => size == 4, // int32, uint32, real32, bool, hex32
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => size == 8, // int64, uint64, real64, filetime, hex64
        0x0f | 0x12 => size == 16,                     // GUID, SYSTEMTIME
        0x10 => size == 4 || size == 8,                // size_t
        0x13 => bytes
            .get(1)
            .is_some_and(|&n| size == 8 + 4 * usize::from(n)), // SID
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needle() -> Needle {
        Needle::new(&["wmiprvse.exe"]).unwrap()
    }

    #[test]
    fn finds_both_encodings_in_any_case() {
        let needle = needle();
        let utf16: Vec<u8> = "x\\WmiPrvSE.EXE"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(needle.occurrences(&utf16), vec![4..27]);
        assert_eq!(needle.occurrences(b"..WMIPRVSE.exe.."), vec![2..14]);
        assert!(needle.occurrences(b"wmiprvse.ex").is_empty());
        assert!(needle
            .occurrences(b"w\0m\0i\0p\0r\0v\0s\0e\0.\0e\0x\0")
            .is_empty());
        assert!(needle.occurrences(b"wmiprv-se.exe").is_empty());
    }

    #[test]
    fn nuls_inside_the_word_do_not_hide_it() {
        // The evtx crate drops NUL characters when it renders text, so these all render as
        // the word: a NUL inside an ANSI value, and a UTF-16 value ended by its terminator
        // right before the next value.
        let needle = needle();
        assert_eq!(needle.occurrences(b"C:\\WmiPrv\0SE.exe\0"), vec![3..16]);
        let split: Vec<u8> = "WmiPr\0"
            .encode_utf16()
            .chain("vSE.exe".encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(needle.occurrences(&split), vec![0..25]);
        assert_eq!(needle.occurrences(b"vvvv wmiprvse.exe vvvv"), vec![5..17]);
    }

    #[test]
    fn several_spaced_words_are_each_found_as_one_is() {
        let words = ["wmiprvse.exe", "WmiBindingEvent", "ESStoConsumer"];
        let utf16 = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let mut data = utf16("..WMIBINDINGEVENT..");
        data.extend(b"C:\\WmiPrv\0SE.exe");
        data.extend(utf16("_esstoconsumer_"));
        let found = Needle::spaced(&words).unwrap().occurrences(&data);
        assert_eq!(found, vec![4..33, 41..54, 56..81]);
        let one = |w| Needle::new(&[w]).unwrap().occurrences(&data);
        let each = [one(words[1]), one(words[0]), one(words[2])];
        assert_eq!(found, each.concat());
        assert!(Needle::spaced(&[""]).is_err());
    }

    #[test]
    fn a_chunk_without_the_needle_is_skipped() {
        let chunk = vec![0u8; 65536];
        assert_eq!(ChunkPlan::for_chunk(&chunk, &needle()), ChunkPlan::Skip);
    }

    #[test]
    fn occurrences_outside_records_prove_nothing_about_them() {
        let mut chunk = vec![0u8; 65536];
        chunk[48..52].copy_from_slice(&512u32.to_le_bytes());
        chunk[200..212].copy_from_slice(b"wmiprvse.exe");
        let plan = ChunkPlan::for_chunk(&chunk, &needle());
        assert!(matches!(plan, ChunkPlan::Matching { .. }));
        assert!(
            plan.wants(512..600),
            "a record the walk did not see is rendered"
        );
    }

    #[test]
    fn matching_plan_renders_unproven_records() {
        let plan = ChunkPlan::Matching {
            occurrences: vec![700..712, 1200..1212],
            record_starts: vec![512, 650, 800],
            blank_safe: false,
        };
        assert!(!plan.wants(512..650));
        assert!(plan.wants(650..800));
        assert!(!plan.wants(800..900));
        assert!(plan.wants(900..1000), "a record the walk did not see");
    }

    fn first_chunk(events: &[wmihunt_testkit::writer::Event]) -> Vec<u8> {
        let bytes = wmihunt_testkit::writer::write_to_vec(events);
        bytes[4096..4096 + 65536].to_vec()
    }

    fn event(image: &str) -> wmihunt_testkit::writer::Event {
        wmihunt_testkit::writer::Event::new(
            "Microsoft-Windows-Sysmon",
            13,
            "c",
            "h",
            133_000_000_000_000_000,
        )
        .with("Image", image)
        .with("TargetObject", "HKLM\\x")
    }

    #[test]
    fn only_records_holding_the_text_are_rendered() {
        let chunk = first_chunk(&[event("a.exe"), event("C:\\WmiPrvSE.exe"), event("b.exe")]);
        let plan = ChunkPlan::for_chunk(&chunk, &needle());
        let ChunkPlan::Matching { record_starts, .. } = &plan else {
            panic!("expected a per-record plan, got {plan:?}");
        };
        assert_eq!(record_starts.len(), 3);
        let spans: Vec<Range<usize>> = record_starts
            .iter()
            .map(|&s| s..s + u32_at(&chunk, s + 4).unwrap())
            .collect();
        let wanted: Vec<bool> = spans.into_iter().map(|r| plan.wants(r)).collect();
        assert_eq!(wanted, [false, true, false]);
    }

    #[test]
    fn text_in_a_template_definition_renders_the_whole_chunk() {
        // A field *named* like the needle puts the text in the shared template definition.
        let odd = event("a.exe").with("WmiPrvSE.exe", "x");
        let chunk = first_chunk(&[odd.clone(), odd]);
        assert_eq!(ChunkPlan::for_chunk(&chunk, &needle()), ChunkPlan::All);
    }
}
