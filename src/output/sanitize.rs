//! Making log text safe for a terminal. Registry names and data are attacker-controlled: an
//! escape sequence in a value could rewrite the responder's screen or hide a line. Control
//! characters, bidirectional overrides and invisible characters are shown escaped instead.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// `text` with every unsafe character written as an escape (`\n`, `\t`, `\r`, `\x1b`,
/// `\u{202e}`); borrowed when nothing needed escaping.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text.chars().count() > max => Cow::Owned(format!("{}…", &text[..at])),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_run() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(terminal_safe("x\ny\t\r"), "x\\ny\\t\\r");
        assert_eq!(terminal_safe("evil\u{202e}exe.txt"), "evil\\u{202e}exe.txt");
        assert_eq!(terminal_safe("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(terminal_safe("c1\u{9b}31m"), "c1\\x9b31m");
        assert_eq!(terminal_safe("del\u{7f}"), "del\\x7f");
        assert!(matches!(
            terminal_safe("C:\\Windows\\ünïcode"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn truncates_on_characters() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
        assert_eq!(truncate("ääääää", 3), "ää…");
        assert_eq!(truncate("", 3), "");
    }
}
