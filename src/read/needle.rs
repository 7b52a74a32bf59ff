//! Finding words in raw chunk bytes, for the pre-filter: ASCII case-insensitively, as UTF-16LE
//! and as single bytes (ANSI string values), and with any number of NUL bytes between the
//! letters (see `Spaced`). A needle is one or more groups of words, each optionally counted
//! only in chunks that also hold one of its context words (the field names of the events
//! wanted).

use super::many::Many;
use super::positions::positions;
use std::ops::Range;

/// ASCII case-insensitive searcher for words in both encodings: one or more groups of words,
/// each optionally only in chunks that also hold one of its context words.
#[derive(Debug, Clone)]
pub struct Needle {
    groups: Vec<Group>,
    /// Every group's `Spaced` words by anchor letter: each letter is scanned for once a chunk,
    /// however many words and groups share it.
    letters: Vec<Letter>,
}

/// The words whose anchor is one letter, with their groups' indices, and which of them each
/// neighbour byte allows (`neighbours`): bit `i` of `before[b]` is set when word `i` can have
/// `b` before its anchor letter. Most positions of a letter are ruled out for every word by two
/// table lookups. Words past the 64th have no bit and are always checked.
#[derive(Debug, Clone)]
struct Letter {
    letter: u8,
    words: Vec<(usize, Spaced)>,
    before: Box<[u64; 256]>,
    after: Box<[u64; 256]>,
}

impl Letter {
    fn new(letter: u8) -> Letter {
        Letter {
            letter,
            words: Vec::new(),
            before: Box::new([0; 256]),
            after: Box::new([0; 256]),
        }
    }

    fn add(&mut self, group: usize, word: Spaced) {
        let bit = match self.words.len() {
            i if i < 64 => 1u64 << i,
            _ => 0,
        };
        let next_to = |i: Option<usize>| i.and_then(|i| word.word.get(i)).copied();
        for (table, want) in [
            (&mut self.before, next_to(word.anchor.checked_sub(1))),
            (&mut self.after, next_to(Some(word.anchor + 1))),
        ] {
            match want {
                Some(b) => {
                    for slot in [b, ANY] {
                        if let Some(mask) = table.get_mut(usize::from(slot)) {
                            *mask |= bit;
                        }
                    }
                }
                None => table.iter_mut().for_each(|mask| *mask |= bit),
            }
        }
        self.words.push((group, word));
    }

    /// The words (index into `words`) that the neighbours `(before, after)` allow.
    fn candidates(&self, (before, after): (u8, u8)) -> impl Iterator<Item = usize> + '_ {
        let mut mask = self.before.get(usize::from(before)).copied().unwrap_or(!0)
            & self.after.get(usize::from(after)).copied().unwrap_or(!0);
        let masked = std::iter::from_fn(move || {
            let i = mask.trailing_zeros() as usize;
            mask &= mask.wrapping_sub(1);
            (i < 64).then_some(i)
        });
        masked.chain(64..self.words.len())
    }
}

#[derive(Debug, Clone)]
struct Group {
    words: Words,
    /// A chunk counts for this group only if it holds one of these too.
    context: Vec<Spaced>,
}

#[derive(Debug, Clone)]
enum Words {
    /// A few words, each found with any number of NUL bytes between its letters (see
    /// `Spaced`), by its anchor letter (kept in `Needle::letters`).
    Spaced(Vec<Spaced>),
    /// Many words: a multi-pattern search over a lower-cased copy (ASCII case-insensitive
    /// matching of many patterns would lose the SIMD searchers).
    Many(Many),
    /// Byte strings as they are (binary values: a GUID, a 64-bit logon id).
    Raw(Vec<memchr::memmem::Finder<'static>>),
}

impl Needle {
    /// A needle for any of `words` (ASCII case-insensitive), each as UTF-16LE and as single
    /// bytes. Building only fails for absurd sizes; the error is passed on, not assumed away.
    pub fn new(words: &[&str]) -> Result<Needle, String> {
        Ok(Needle::of(Words::new(words)?))
    }

    /// A needle for binary values, found byte for byte (a record holding a GUID or a 64-bit
    /// logon id as a value holds its bytes).
    pub fn raw(keys: &[Vec<u8>]) -> Needle {
        let finders = keys
            .iter()
            .filter(|k| !k.is_empty())
            .map(|k| memchr::memmem::Finder::new(k).into_owned())
            .collect();
        Needle::of(Words::Raw(finders))
    }

    fn of(words: Words) -> Needle {
        let mut needle = Needle {
            groups: vec![Group {
                words,
                context: Vec::new(),
            }],
            letters: Vec::new(),
        };
        needle.index();
        needle
    }

    /// Either needle: the occurrences of both (each group keeps its context).
    pub fn or(mut self, other: Needle) -> Needle {
        self.groups.extend(other.groups);
        self.index();
        self
    }

    /// The same words, counted only in chunks that also hold one of `context` (field names of
    /// the events wanted, found the same way as the words).
    pub fn in_chunks_with(mut self, context: &[&str]) -> Needle {
        for group in &mut self.groups {
            group.context = context.iter().map(|w| Spaced::new(w)).collect();
        }
        self
    }

    /// Rebuilds `letters` from the groups.
    fn index(&mut self) {
        self.letters.clear();
        for (g, group) in self.groups.iter().enumerate() {
            let Words::Spaced(words) = &group.words else {
                continue;
            };
            for word in words {
                let letter = word.letter();
                let i = match self.letters.iter().position(|l| l.letter == letter) {
                    Some(i) => i,
                    None => {
                        self.letters.push(Letter::new(letter));
                        self.letters.len() - 1
                    }
                };
                if let Some(entry) = self.letters.get_mut(i) {
                    entry.add(g, word.clone());
                }
            }
        }
    }

    /// Byte ranges of every occurrence in `chunk` of a group whose context it holds, sorted.
    pub fn occurrences(&self, chunk: &[u8]) -> Vec<Range<usize>> {
        let mut by_group: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.groups.len()];
        let mut at = Vec::new();
        for letter in &self.letters {
            at.clear();
            positions(
                chunk,
                letter.letter,
                letter.letter.to_ascii_uppercase(),
                &mut at,
            );
            for &pos in &at {
                for i in letter.candidates(neighbours(chunk, pos)) {
                    let Some((g, word)) = letter.words.get(i) else {
                        continue;
                    };
                    if let (Some(found), Some(range)) =
                        (by_group.get_mut(*g), word.around(chunk, pos))
                    {
                        found.push(range);
                    }
                }
            }
        }
        let mut all = Vec::new();
        for (group, mut found) in self.groups.iter().zip(by_group) {
            match &group.words {
                Words::Spaced(_) => {}
                Words::Many(many) => {
                    let lower = chunk.to_ascii_lowercase();
                    many.find(&lower, &mut found);
                }
                Words::Raw(finders) => found.extend(
                    finders
                        .iter()
                        .flat_map(|f| f.find_iter(chunk).map(move |at| at..at + f.needle().len())),
                ),
            }
            // The words first: the context only matters where they are, and checking it
            // first costs more (most chunks hold neither context word, so both are scanned).
            if !found.is_empty()
                && (group.context.is_empty() || group.context.iter().any(|c| c.occurs_in(chunk)))
            {
                all.extend(found);
            }
        }
        all.sort_by_key(|r| (r.start, r.end));
        all.dedup();
        all
    }
}

impl Words {
    fn new(words: &[&str]) -> Result<Words, String> {
        // A word with a NUL in it is never found (NULs between letters are skipped, never
        // matched), and an empty one would match everywhere: both are left out.
        let words: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !w.is_empty() && !w.contains('\0'))
            .collect();
        if words.iter().all(|w| w.is_ascii()) && anchor_letters(&words) <= MAX_LETTERS {
            return Ok(Words::Spaced(
                words.iter().map(|w| Spaced::new(w)).collect(),
            ));
        }
        let mut patterns: Vec<Vec<u8>> = Vec::with_capacity(words.len() * 2);
        for word in &words {
            // Every occurrence of a word holds its tail from its rarest letter on, and a rare
            // first byte keeps the multi-pattern search's candidates few.
            let word = word.to_ascii_lowercase();
            let keep = word.len().min(MIN_TAIL);
            let head = word.get(..=word.len() - keep).unwrap_or_default();
            let tail = word.get(rarest_letter(head.as_bytes())..).unwrap_or(&word);
            patterns.push(tail.encode_utf16().flat_map(u16::to_le_bytes).collect());
            patterns.push(tail.as_bytes().to_vec());
        }
        Ok(Words::Many(Many::new(&patterns)?))
    }
}

/// The non-NUL bytes next to `at` in `data`, lower-case, each looked for within two bytes
/// (UTF-16 puts one NUL between letters); `ANY` when there is none that close (the word's
/// letters may be further apart, or `at` is at an end: `around` decides). Most positions of a
/// letter are ruled out for every word by these two alone.
fn neighbours(data: &[u8], at: usize) -> (u8, u8) {
    let near = |first: Option<&u8>, second: Option<&u8>| match (first, second) {
        (Some(&b), _) if b != 0 => b.to_ascii_lowercase(),
        (Some(0), Some(&b)) if b != 0 => b.to_ascii_lowercase(),
        _ => ANY,
    };
    let before = match at {
        0 => ANY,
        1 => near(data.first(), None),
        _ => near(data.get(at - 1), data.get(at - 2)),
    };
    (before, near(data.get(at + 1), data.get(at + 2)))
}

/// A neighbour not found near: fits any letter. (No word has this byte: words are ASCII.)
const ANY: u8 = 0xff;

/// Words are searched by their anchor letters (one scan each) when they have at most this
/// many between them; more go to Aho-Corasick, one scan of a lower-cased copy.
const MAX_LETTERS: usize = 2;

/// How many different anchor letters `words` have.
fn anchor_letters(words: &[&str]) -> usize {
    let mut letters: Vec<u8> = words
        .iter()
        .map(|w| Spaced::new(w))
        .filter_map(|w| w.word.get(w.anchor).copied())
        .collect();
    letters.sort_unstable();
    letters.dedup();
    letters.len()
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

    /// Whether the word is in `data` at all (stops at the first occurrence).
    fn occurs_in(&self, data: &[u8]) -> bool {
        let mut at = Vec::new();
        positions(
            data,
            self.letter(),
            self.letter().to_ascii_uppercase(),
            &mut at,
        );
        at.into_iter().any(|pos| self.around(data, pos).is_some())
    }

    /// The letter scanned for (NUL for an empty word, which is never built).
    fn letter(&self) -> u8 {
        self.word.get(self.anchor).copied().unwrap_or(0)
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
    fn several_words_are_each_found_as_one_is() {
        let words = ["wmiprvse.exe", "WmiBindingEvent", "ESStoConsumer"];
        let utf16 = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let mut data = utf16("..WMIBINDINGEVENT..");
        data.extend(b"C:\\WmiPrv\0SE.exe");
        data.extend(utf16("_esstoconsumer_"));
        let found = Needle::new(&words).unwrap().occurrences(&data);
        assert_eq!(found, vec![4..33, 41..54, 56..81]);
        let one = |w| Needle::new(&[w]).unwrap().occurrences(&data);
        let each = [one(words[1]), one(words[0]), one(words[2])];
        assert_eq!(found, each.concat());
    }

    #[test]
    fn many_words_are_each_found() {
        // More anchor letters than the spaced search takes: the many-words searcher.
        let words = [
            "a.dll",
            "notepad.exe",
            "rundll32.exe",
            "evil.ps1",
            "stdregprov",
        ];
        let needle = Needle::new(&words).unwrap();
        let utf16 = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let mut data = utf16("C:\\Temp\\A.DLL,DllMain ");
        data.extend(b"cmd /c NOTEPAD.exe x ");
        data.extend(utf16("-EncodedCommand StdRegProv"));
        assert_eq!(needle.occurrences(&data).len(), 3);
    }

    /// Every occurrence of `word` in `data` by the definition (letters in order, any NULs
    /// between them), the slow way.
    fn naive(word: &str, data: &[u8]) -> Vec<Range<usize>> {
        let word = word.to_ascii_lowercase().into_bytes();
        let mut found = Vec::new();
        for start in 0..data.len() {
            let mut at = start;
            let mut ok = true;
            for (i, &want) in word.iter().enumerate() {
                if i > 0 {
                    at += 1;
                    while data.get(at) == Some(&0) {
                        at += 1;
                    }
                }
                if data.get(at).map(u8::to_ascii_lowercase) != Some(want) {
                    ok = false;
                    break;
                }
            }
            if ok {
                found.push(start..at + 1);
            }
        }
        found
    }

    #[test]
    fn shared_letters_lose_no_occurrence() {
        // Words sharing their anchor letter (`v`), in several groups, planted with 0 to 3 NULs
        // between letters, at both ends of the data and among random bytes full of `v`s.
        let words = [
            "wmiprvse.exe",
            "WmiFilterEvent",
            "WMI-Activity",
            "vvx",
            "xvv",
            "v",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..200 {
            let mut data: Vec<u8> = Vec::new();
            for _ in 0..40 {
                let r = next();
                match r % 4 {
                    0 => data.extend([b'v', b'V', 0, b'e'][(r >> 8) as usize % 4..].iter()),
                    1 => data.push((r >> 16) as u8),
                    _ => {
                        let word = words[(r >> 24) as usize % words.len()];
                        let nuls = (r >> 32) as usize % 4;
                        for (i, b) in word.bytes().enumerate() {
                            if i > 0 {
                                data.extend(std::iter::repeat_n(0, nuls));
                            }
                            data.push(if r >> 40 & 1 == 1 {
                                b.to_ascii_uppercase()
                            } else {
                                b
                            });
                        }
                    }
                }
            }
            let needle = Needle::new(&words[..2])
                .unwrap()
                .or(Needle::new(&words[2..4]).unwrap())
                .or(Needle::new(&words[4..]).unwrap());
            let mut want: Vec<Range<usize>> = words.iter().flat_map(|w| naive(w, &data)).collect();
            want.sort_by_key(|r| (r.start, r.end));
            want.dedup();
            assert_eq!(needle.occurrences(&data), want, "round {round}: {data:?}");
        }
    }

    #[test]
    fn more_than_64_words_on_one_letter_are_all_found() {
        let words: Vec<String> = (0..100).map(|i| format!("zz{i:03}")).collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let needle = Needle::new(&refs).unwrap();
        let data: Vec<u8> = words
            .iter()
            .flat_map(|w| format!("{w};").into_bytes())
            .collect();
        assert_eq!(needle.occurrences(&data).len(), 100);
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
