//! Laying text out for a person's terminal: its width and whether it takes colour (decided by
//! the run layer, which sees the environment), text wrapped to a width at word and path
//! boundaries, paths cut in the middle (the start names the collection or host, the end the
//! log), and severity in colour. Text given here is already terminal-safe (`sanitize`).

use crate::detect::Severity;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use std::io::{self, Write};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// What the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Terminal {
    /// Columns to lay out for (`--width`, else the terminal's); `None` when the output is no
    /// terminal and no width was given: then `DEFAULT_WIDTH`.
    pub width: Option<usize>,
    /// Whether severities are coloured (`ColorChoice::colors`).
    pub color: bool,
}

/// When to colour severities (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (<https://no-color.org>) or `TERM` is `dumb`.
    #[default]
    Auto,
    /// Always (for a pager that shows colour: `less -R`).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is a terminal (`tty`), given the values of `NO_COLOR`
    /// and `TERM`.
    pub fn colors(self, tty: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                tty && no_color.is_none_or(str::is_empty) && term.is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// The width laid out for when there is no terminal to ask (output to a file or a pipe).
pub const DEFAULT_WIDTH: usize = 160;

/// Below this many columns findings are blocks of labelled lines rather than table rows.
pub const BLOCK_BELOW: usize = 100;

/// Below this many columns the summary's per-host tables are wrapped lines instead.
pub const TABLE_FROM: usize = 120;

/// Narrowest layout: below it lines are still wrapped as if it were this wide.
const MIN_WIDTH: usize = 40;

impl Terminal {
    /// The columns to lay out for.
    pub fn columns(&self) -> usize {
        self.width.unwrap_or(DEFAULT_WIDTH).max(MIN_WIDTH)
    }

    /// `text` in its severity's colour, when colour is on.
    pub fn paint(&self, text: &str, severity: Severity) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match severity {
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// A table for `terminal`: comfy-table wraps it to the width when there is one (a log file
/// gets whole lines), never styled (the summary tables carry no colour).
pub fn fitted_table(terminal: &Terminal) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.force_no_tty();
    match terminal.width {
        Some(columns) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(u16::try_from(columns.max(MIN_WIDTH)).unwrap_or(u16::MAX));
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

/// Columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` in lines of at most `max` columns (at least one line). Lines break after a space or
/// a path separator when one is in the line, else where the width runs out; existing line
/// breaks are kept.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut rest = paragraph;
        while width(rest) > max {
            let cut = fitting(rest, max);
            let line = rest.get(..cut).unwrap_or(rest);
            // At the width when a word ends there; else after the last break in the line,
            // unless it is in the first third (it would waste more than it saves).
            let ends_word = rest.get(cut..).is_some_and(|r| r.starts_with(' '));
            let at = line
                .char_indices()
                .rev()
                .filter(|(_, c)| matches!(c, ' ' | '\\' | '/' | ',' | ';'))
                .map(|(i, c)| i + c.len_utf8())
                .next()
                .filter(|&end| !ends_word && width(line.get(..end).unwrap_or("")) * 3 >= max)
                .unwrap_or(cut);
            let (head, tail) = rest.split_at(at.max(first_char_len(rest)));
            lines.push(head.trim_end_matches(' ').to_string());
            rest = tail.trim_start_matches(' ');
        }
        lines.push(rest.to_string());
    }
    lines
}

/// The byte length of the longest start of `text` that fits in `max` columns.
fn fitting(text: &str, max: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > max {
            return i;
        }
        used += w;
    }
    text.len()
}

fn first_char_len(text: &str) -> usize {
    text.chars().next().map_or(0, char::len_utf8)
}

/// Writes `text` wrapped to `columns`: its first line after `first` (already laid out, e.g.
/// a painted badge or a label, taking `indent` columns), the others indented by `indent`.
pub fn write_hanging(
    out: &mut dyn Write,
    first: &str,
    text: &str,
    indent: usize,
    columns: usize,
) -> io::Result<()> {
    for (n, line) in wrap(text, columns.saturating_sub(indent))
        .iter()
        .enumerate()
    {
        match n {
            0 => writeln!(out, "{first}{line}")?,
            _ => writeln!(out, "{:indent$}{line}", "")?,
        }
    }
    Ok(())
}

/// `text` cut to at most `max` columns by taking out its middle (`…` in its place): a path
/// keeps its start (the collection, the host) and as much of its end (the log) as fits.
pub fn middle_cut(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let max = max.max(3);
    // The file name whole when it leaves room for a start; else half and half.
    let name_at = text.rfind(['\\', '/']).map_or(0, |i| i + 1);
    let name = text.get(name_at..).unwrap_or("");
    let tail_room = if width(name) + 8 <= max {
        width(name)
    } else {
        (max - 1) / 2
    };
    let head_room = max - 1 - tail_room;
    let head_end = fitting(text, head_room);
    let head = text.get(..head_end).unwrap_or("");
    let tail: String = {
        let mut kept: Vec<char> = Vec::new();
        let mut used = 0;
        for c in text.chars().rev() {
            let w = c.width().unwrap_or(0);
            if used + w > tail_room {
                break;
            }
            used += w;
            kept.push(c);
        }
        kept.into_iter().rev().collect()
    };
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_words_and_path_separators() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(
            wrap(
                "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                20
            ),
            [
                "HKLM\\SOFTWARE\\",
                "Microsoft\\Windows\\",
                "CurrentVersion\\Run"
            ]
        );
        // A word longer than the line is cut where the width runs out.
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
        assert_eq!(wrap("", 10), [""]);
        // Wide characters count two columns.
        assert_eq!(wrap("日本語テキスト", 6), ["日本語", "テキス", "ト"]);
        for line in wrap("x ".repeat(200).as_str(), 13) {
            assert!(width(&line) <= 13, "{line}");
        }
    }

    #[test]
    fn paths_are_cut_in_the_middle() {
        let path = "C:\\cases\\acme\\WS01\\C\\Windows\\System32\\winevt\\Logs\\Sysmon.evtx";
        let cut = middle_cut(path, 40);
        assert_eq!(cut, "C:\\cases\\acme\\WS01\\C\\Windows…Sysmon.evtx");
        assert_eq!(width(&cut), 40);
        assert_eq!(middle_cut("short.evtx", 40), "short.evtx");
        let long_name = format!("{}.evtx", "x".repeat(60));
        let cut = middle_cut(&long_name, 21);
        assert_eq!(cut, format!("{}…{}", "x".repeat(10), "xxxxx.evtx"));
    }

    #[test]
    fn auto_colour_needs_a_terminal_and_respects_no_color() {
        let auto = ColorChoice::Auto;
        assert!(auto.colors(true, None, Some("xterm-256color")));
        assert!(auto.colors(true, Some(""), None));
        assert!(!auto.colors(false, None, None));
        assert!(!auto.colors(true, Some("1"), None));
        assert!(!auto.colors(true, None, Some("dumb")));
        assert!(ColorChoice::Always.colors(false, Some("1"), None));
        assert!(!ColorChoice::Never.colors(true, None, None));
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = Terminal::default();
        assert_eq!(plain.paint("high", Severity::High), "high");
        let colour = Terminal {
            color: true,
            ..plain
        };
        assert_eq!(
            colour.paint("high", Severity::High),
            "\u{1b}[1;31mhigh\u{1b}[0m"
        );
    }
}
