//! Searching a lower-cased chunk for many byte patterns at once (`needle.rs` gives it the
//! words that are too many for its spaced search).

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::ops::Range;

/// The searcher of many words. Teddy (SIMD, up to 64 patterns) whenever it can be built: inside
/// an Aho-Corasick automaton it is only one candidate prefilter, and the automaton prefers a
/// rare-byte scan whose bytes (a letter and the NUL after it) are everywhere in chunks of
/// UTF-16 text: that ran at about 130 instructions per byte on real Sysmon chunks, against a few
/// for Teddy. More patterns, or a CPU without SIMD, fall back to the automaton.
#[derive(Debug, Clone)]
pub(super) enum Many {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Many {
    /// Teddy when it can be built for `patterns`, else the automaton; an error only for
    /// absurd sizes.
    pub(super) fn new(patterns: &[Vec<u8>]) -> Result<Many, String> {
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(patterns)
            .build();
        match teddy {
            Some(searcher) => Ok(Many::Packed(searcher)),
            None => Many::automaton(patterns),
        }
    }

    fn automaton(patterns: &[Vec<u8>]) -> Result<Many, String> {
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(patterns)
            .map(Many::Automaton)
            .map_err(|e| format!("cannot build the pre-filter: {e}"))
    }

    /// Appends the ranges of the patterns' matches in `lower` (a lower-cased chunk) to `found`.
    pub(super) fn find(&self, lower: &[u8], found: &mut Vec<Range<usize>>) {
        match self {
            Many::Packed(searcher) => found.extend(searcher.find_iter(lower).map(|m| m.range())),
            Many::Automaton(ac) => found.extend(ac.find_iter(lower).map(|m| m.range())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teddy_finds_what_the_automaton_finds() {
        let words = [
            "a.dll",
            "notepad.exe",
            "rundll32.exe",
            "evil.ps1",
            "stdregprov",
        ];
        let utf16 = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let patterns: Vec<Vec<u8>> = words
            .iter()
            .flat_map(|w| [utf16(w), w.as_bytes().to_vec()])
            .collect();
        let teddy = Many::new(&patterns).unwrap();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("ssse3") {
            assert!(
                matches!(teddy, Many::Packed(_)),
                "ten patterns should use Teddy here"
            );
        }
        let automaton = Many::automaton(&patterns).unwrap();
        // Data full of the patterns, whole and cut short, in both encodings.
        let mut hay = Vec::new();
        for i in 0..4000u32 {
            let w = words[(i * 7 % 5) as usize];
            match i % 3 {
                0 => hay.extend(w.as_bytes()),
                1 => hay.extend(utf16(w)),
                _ => hay.extend(
                    w.as_bytes()
                        .get(..(i as usize % w.len()))
                        .unwrap_or_default(),
                ),
            }
            hay.push((i % 251) as u8);
        }
        let (mut a, mut t) = (Vec::new(), Vec::new());
        automaton.find(&hay, &mut a);
        teddy.find(&hay, &mut t);
        assert!(a.len() > 2000);
        assert_eq!(a, t);
    }
}
