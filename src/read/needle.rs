//! Finding words in raw chunk bytes, for the pre-filter: ASCII case-insensitively, as UTF-16LE
//! and as single bytes (ANSI string values), and with any number of NUL bytes between the
//! letters (see `Spaced`). A needle is one or more groups of words, each optionally counted
//! only in chunks that also hold one of its context words (the field names of the events
//! wanted).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::ops::Range;

/// ASCII case-insensitive searcher for words in both encodings: one or more groups of words,
/// each optionally only in chunks that also hold one of its context words.
#[derive(Debug, Clone)]
pub struct Needle {
    groups: Vec<Group>,
}

#[derive(Debug, Clone)]
struct Group {
    words: Searcher,
    /// A chunk counts for this group only if it holds one of these too.
    context: Vec<Spaced>,
}

#[derive(Debug, Clone)]
enum Searcher {
    /// One word, found with any number of NUL bytes between its letters (see `Spaced`).
    One(Spaced),
    /// Several words: Aho-Corasick over a lower-cased copy, which keeps its Teddy SIMD
    /// searcher (ASCII case-insensitive matching of many patterns would lose it).
    Many(AhoCorasick),
    /// Byte strings as they are (binary values: a GUID, a 64-bit logon id).
    Raw(Vec<memchr::memmem::Finder<'static>>),
}

impl Needle {
    /// A needle for any of `words` (ASCII case-insensitive), each as UTF-16LE and as single
    /// bytes. Building only fails for absurd sizes; the error is passed on, not assumed away.
    pub fn new(words: &[&str]) -> Result<Needle, String> {
        Ok(Needle {
            groups: vec![Group {
                words: Searcher::new(words)?,
                context: Vec::new(),
            }],
        })
    }

    /// A needle for binary values, found byte for byte (a record holding a GUID or a 64-bit
    /// logon id as a value holds its bytes).
    pub fn raw(keys: &[Vec<u8>]) -> Needle {
        let finders = keys
            .iter()
            .filter(|k| !k.is_empty())
            .map(|k| memchr::memmem::Finder::new(k).into_owned())
            .collect();
        Needle {
            groups: vec![Group {
                words: Searcher::Raw(finders),
                context: Vec::new(),
            }],
        }
    }

    /// The same words, counted only in chunks that also hold one of `context` (field names of
    /// the events wanted, found the same way as the words).
    pub fn in_chunks_with(mut self, context: &[&str]) -> Needle {
        for group in &mut self.groups {
            group.context = context.iter().map(|w| Spaced::new(w)).collect();
        }
        self
    }

    /// Byte ranges of every occurrence in `chunk` of a group whose context it holds, sorted.
    pub fn occurrences(&self, chunk: &[u8]) -> Vec<Range<usize>> {
        let mut found = Vec::new();
        for group in &self.groups {
            // The words first: the context only matters where they are, and checking it
            // first costs more (most chunks hold neither context word, so both are scanned).
            let words = group.words.occurrences(chunk);
            if words.is_empty() {
                continue;
            }
            if group.context.is_empty() || group.context.iter().any(|c| c.occurs_in(chunk)) {
                found.extend(words);
            }
        }
        if self.groups.len() > 1 {
            found.sort_by_key(|r| (r.start, r.end));
            found.dedup();
        }
        found
    }
}

impl Searcher {
    fn new(words: &[&str]) -> Result<Searcher, String> {
        Ok(match words {
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
        })
    }

    /// Byte ranges of every occurrence in `data`, ASCII case-insensitively, sorted.
    fn occurrences(&self, data: &[u8]) -> Vec<Range<usize>> {
        match self {
            Searcher::One(spaced) => spaced.find_all(data),
            Searcher::Raw(finders) => {
                let mut found: Vec<Range<usize>> = finders
                    .iter()
                    .flat_map(|f| f.find_iter(data).map(move |at| at..at + f.needle().len()))
                    .collect();
                found.sort_by_key(|r| (r.start, r.end));
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
        let mut found: Vec<Range<usize>> = Vec::new();
        for at in self.anchors(data) {
            if found.last().is_some_and(|last| at < last.end) {
                continue;
            }
            found.extend(self.around(data, at));
        }
        found
    }

    /// Whether the word is in `data` at all (stops at the first occurrence).
    fn occurs_in(&self, data: &[u8]) -> bool {
        self.anchors(data)
            .into_iter()
            .any(|at| self.around(data, at).is_some())
    }

    /// Every position of the anchor letter, either case.
    fn anchors(&self, data: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        if let Some(&anchor) = self.word.get(self.anchor) {
            positions(data, anchor, anchor.to_ascii_uppercase(), &mut found);
        }
        found
    }

    /// The occurrence whose anchor letter is at `at`, if the rest of the word is around it.
    fn around(&self, data: &[u8], at: usize) -> Option<Range<usize>> {
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
    fn raw_keys_are_found_byte_for_byte() {
        let key = 0x0000_0000_07a1_c3f0u64.to_le_bytes().to_vec();
        let needle = Needle::raw(std::slice::from_ref(&key));
        let mut data = vec![1u8; 10];
        data.extend(&key);
        data.extend(b"..wmiprvse.exe");
        assert_eq!(needle.occurrences(&data), vec![10..18]);
    }

    #[test]
    fn context_words_gate_a_chunk() {
        let needle = needle().in_chunks_with(&["TargetObject"]);
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let without = utf16("x\\WmiPrvSE.exe Image");
        assert!(needle.occurrences(&without).is_empty());
        let mut with = without.clone();
        with.extend(utf16(" TargetObject"));
        assert_eq!(needle.occurrences(&with), vec![4..27]);
    }
}

/// The positions of either of two bytes in `data`, in order, appended to `out`. The anchor
/// letter is common (~150 a chunk in Sysmon logs), and restarting a search after every hit, as
/// an iterator over `memchr2` does, cost more than the scan itself: with AVX2 the whole scan is
/// one loop of vector compares that walks each block's match bits.
fn positions(data: &[u8], a: u8, b: u8, out: &mut Vec<usize>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        unsafe { positions_avx2(data, a, b, out) };
        return;
    }
    out.extend(memchr::memchr2_iter(a, b, data));
}

/// `positions` with AVX2: 64 bytes a step, the tail byte by byte.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn positions_avx2(data: &[u8], a: u8, b: u8, out: &mut Vec<usize>) {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };
    let (va, vb) = (_mm256_set1_epi8(a as i8), _mm256_set1_epi8(b as i8));
    let mut blocks = data.chunks_exact(64);
    let mut base = 0;
    for block in blocks.by_ref() {
        let ptr = block.as_ptr().cast::<__m256i>();
        // SAFETY: `block` is 64 readable bytes: two unaligned 256-bit loads.
        let (lo, hi) = unsafe { (_mm256_loadu_si256(ptr), _mm256_loadu_si256(ptr.add(1))) };
        let m_lo = _mm256_or_si256(_mm256_cmpeq_epi8(lo, va), _mm256_cmpeq_epi8(lo, vb));
        let m_hi = _mm256_or_si256(_mm256_cmpeq_epi8(hi, va), _mm256_cmpeq_epi8(hi, vb));
        let mut bits = u64::from(_mm256_movemask_epi8(m_lo) as u32)
            | (u64::from(_mm256_movemask_epi8(m_hi) as u32) << 32);
        while bits != 0 {
            out.push(base + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
        base += 64;
    }
    for (i, &x) in blocks.remainder().iter().enumerate() {
        if x == a || x == b {
            out.push(base + i);
        }
    }
}

#[cfg(test)]
mod positions_tests {
    use super::*;

    #[test]
    fn every_position_of_either_byte_in_order() {
        for len in [0usize, 1, 63, 64, 65, 1000] {
            let data: Vec<u8> = (0..len as u32).map(|i| (i * 7919 % 251) as u8).collect();
            let mut found = Vec::new();
            positions(&data, b'v', b'V', &mut found);
            let want: Vec<usize> = memchr::memchr2_iter(b'v', b'V', &data).collect();
            assert_eq!(found, want, "{len}");
        }
    }
}
