//! The findings for a person at a terminal, laid out for its width (`terminal`): a table of
//! four columns (when and where; the finding; what was written, its data and whether it ran;
//! who called and the evidence file), the two wide ones sharing what the others leave, when
//! that leaves them `MIN_LEFT` columns (from about 110 columns, never below `BLOCK_BELOW`);
//! else one block of labelled lines per finding. Every
//! string from the log is made terminal-safe first and long values are cut (NDJSON has them
//! whole); cells are wrapped here, at word and path boundaries, so nothing breaks mid-word.

use super::callers;
use super::sanitize::{terminal_safe, truncate};
use super::terminal::{middle_cut, width, wrap, write_hanging, Terminal, BLOCK_BELOW};
use super::TimeDisplay;
use crate::detect::catalog::{CATALOG, WMI_SUBSCRIPTION};
use crate::detect::subscription;
use crate::detect::{Action, Severity};
use crate::finding::{Finding, FindingKind};
use comfy_table::{
    presets::{UTF8_FULL, UTF8_FULL_CONDENSED},
    Attribute, Cell, Color, ContentArrangement, Table,
};
use std::io::{self, Write};

/// Longest key, query or command kept (NDJSON has them whole).
const MAX_TEXT: usize = 240;
/// Longest host name shown.
const MAX_HOST: usize = 30;
/// Longest source path shown in the table (cut in the middle).
const MAX_SOURCE: usize = 70;

/// A finding as the terminal shows it, in either layout. Log text is terminal-safe and cut.
struct View {
    time: String,
    host: String,
    severity: Severity,
    score: u8,
    detection: &'static str,
    action: String,
    /// Triage indicators, and `recovered record`.
    notes: Vec<&'static str>,
    /// What it is, label and text: the key written; a subscription's filter and consumer.
    what: Vec<(&'static str, String)>,
    /// The value data, or what a consumer runs.
    data: Option<(&'static str, String)>,
    /// Whether the payload ran: `▶ ran …` or `not seen running`.
    ran: Option<String>,
    caller: Option<callers::Shown>,
    source: String,
    /// `#record`, and copies.
    record: String,
}

/// Log text made safe and cut to `max` characters.
fn safe(text: &str, max: usize) -> String {
    truncate(&terminal_safe(text), max).into_owned()
}

impl View {
    fn of(f: &Finding, time: &TimeDisplay) -> View {
        let (action, what, data) = match &f.kind {
            FindingKind::Registry { event, matched } => {
                let key = match &matched.value_name {
                    Some(value) => format!("{}\\{value}", matched.key),
                    None => matched.key.to_string(),
                };
                let mut what = vec![("key", safe(&key, MAX_TEXT))];
                if matched.action == Action::RenameKey {
                    if let Some(new) = &event.new_name {
                        what.push(("renamed", safe(new, MAX_TEXT)));
                    }
                }
                let data = event
                    .details
                    .as_deref()
                    .map(|d| ("data", safe(d, MAX_TEXT)));
                (matched.action.as_str().to_string(), what, data)
            }
            FindingKind::Subscription(s) => {
                let sub = &s.subscription;
                let mut what = Vec::new();
                if let Some(filter) = &sub.filter {
                    let text = match &filter.query {
                        Some(query) => format!("{}: {query}", filter.name),
                        None => filter.name.clone(),
                    };
                    what.push(("filter", safe(&text, MAX_TEXT)));
                }
                if let Some(consumer) = &sub.consumer {
                    let text = format!("{} {}", consumer.kind.as_str(), consumer.name);
                    what.push(("consumer", safe(&text, MAX_TEXT)));
                }
                if !sub.bound {
                    what.push(("binding", "none seen".to_string()));
                }
                if sub.builtin {
                    what.push(("builtin", "one of Windows' own".to_string()));
                }
                let command = sub.consumer.as_ref().and_then(|c| c.command.as_deref());
                let data = command.map(|c| ("runs", safe(c, MAX_TEXT)));
                (subscription::operation(&s.anchor), what, data)
            }
        };
        let ran = match (&f.payload, &f.execution) {
            (_, Some(run)) => Some(format!(
                "▶ ran {} (EID {}, #{})",
                time.show(run.timestamp),
                run.event_id,
                run.record_id
            )),
            (Some(_), None) => Some("not seen running".to_string()),
            (None, None) => None,
        };
        let mut notes: Vec<&'static str> = f.indicators.iter().map(|i| i.name).collect();
        if f.recovered {
            notes.push("recovered record");
        }
        let mut record = format!("#{}", f.record_id());
        match f.also_in.len() {
            0 => {}
            1 => record.push_str(" (+1 copy)"),
            n => record.push_str(&format!(" (+{n} copies)")),
        }
        View {
            time: time.show(f.timestamp()),
            host: middle_cut(&terminal_safe(f.host()), MAX_HOST),
            severity: f.severity(),
            score: f.score(),
            detection: f.detection().id,
            action: safe(&action, 20),
            notes,
            what,
            data,
            ran,
            caller: f.attribution.as_ref().map(callers::shown),
            source: terminal_safe(&f.source.to_string_lossy()).into_owned(),
            record,
        }
    }

    /// The first column's lines: when and where.
    fn when_lines(&self) -> Vec<String> {
        vec![self.time.clone(), self.host.clone()]
    }

    /// The second column's lines: severity and score, detection, action, indicators.
    fn finding_lines(&self) -> Vec<String> {
        let mut lines = vec![
            self.badge(),
            self.detection.to_string(),
            self.action.clone(),
        ];
        lines.extend(self.notes.iter().map(|n| n.to_string()));
        lines
    }

    /// The written column's lines, wrapped to `max`.
    fn written_lines(&self, max: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for (label, text) in self.what.iter().chain(&self.data) {
            let text = match *label {
                "key" => text.clone(),
                _ => format!("{label}: {text}"),
            };
            lines.extend(wrap(&text, max));
        }
        lines.extend(self.ran.iter().flat_map(|r| wrap(r, max)));
        lines
    }

    /// The caller column's lines (the caller, then the evidence file and record), wrapped
    /// to `max`; the path cut in its middle.
    fn caller_lines(&self, max: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        if let Some(c) = &self.caller {
            // No caller named: the grade (`none`) says it.
            lines.extend(c.who.iter().flat_map(|who| wrap(who, max)));
            if let Some(from) = &c.from {
                lines.extend(wrap(&format!("← {from}"), max));
            }
            lines.extend(wrap(&c.grade, max));
        }
        lines.push(middle_cut(&self.source, max.min(MAX_SOURCE)));
        lines.push(self.record.clone());
        lines
    }

    /// Columns the written lines take unwrapped.
    fn written_width(&self) -> usize {
        self.written_lines(usize::MAX)
            .iter()
            .map(|l| width(l))
            .max()
            .unwrap_or(0)
    }

    /// Columns the caller lines take unwrapped.
    fn caller_width(&self) -> usize {
        self.caller_lines(usize::MAX)
            .iter()
            .map(|l| width(l))
            .max()
            .unwrap_or(0)
    }

    /// `HIGH 82`.
    fn badge(&self) -> String {
        format!(
            "{} {}",
            self.severity.as_str().to_ascii_uppercase(),
            self.score
        )
    }

    /// The caller in one line: `CORP\admin (admin) ← 10.0.0.52 ADMIN-PC · strong`.
    fn caller_line(&self) -> Option<String> {
        let c = self.caller.as_ref()?;
        Some(match (&c.who, &c.from) {
            (Some(who), Some(from)) => format!("{who} ← {from} · {}", c.grade),
            (Some(who), None) => format!("{who} · {}", c.grade),
            (None, _) => c.grade.clone(),
        })
    }
}

/// Writes `findings` laid out for `terminal`.
pub fn write(
    out: &mut dyn Write,
    findings: &[Finding],
    terminal: &Terminal,
    time: &TimeDisplay,
) -> io::Result<()> {
    if findings.is_empty() {
        return writeln!(
            out,
            "No WmiPrvSE.exe writes to persistence locations and no WMI subscriptions found."
        );
    }
    let views: Vec<View> = findings.iter().map(|f| View::of(f, time)).collect();
    let columns = terminal.columns();
    let headers = headers(&time.label);
    let widths = (columns >= BLOCK_BELOW)
        .then(|| table_widths(&views, columns, &headers))
        .flatten();
    match widths {
        Some(widths) => write_table(out, &views, widths, &headers, terminal),
        None => write_blocks(out, &views, terminal),
    }
}

/// One block per finding: a headline (severity, detection, action, time, host), then one
/// labelled line per fact, wrapped under its label.
fn write_blocks(out: &mut dyn Write, views: &[View], terminal: &Terminal) -> io::Result<()> {
    const LABEL: usize = 9;
    let columns = terminal.columns();
    for (i, v) in views.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let head = format!("{} {} {} · {}", v.detection, v.action, v.time, v.host);
        let badge = v.badge();
        let painted = format!("{} ", terminal.paint(&badge, v.severity));
        write_hanging(out, &painted, &head, width(&badge) + 1, columns)?;
        let mut facts: Vec<(&str, String)> = v.what.clone();
        facts.extend(v.data.clone());
        facts.extend(v.ran.clone().map(|r| ("ran", r)));
        facts.extend(v.caller_line().map(|c| ("caller", c)));
        if !v.notes.is_empty() {
            facts.push(("why", v.notes.join(" · ")));
        }
        facts.push(("source", format!("{} {}", v.source, v.record)));
        for (label, text) in facts {
            let first = format!("  {label:<LABEL$}");
            write_hanging(out, &first, &text, LABEL + 2, columns)?;
        }
    }
    Ok(())
}

/// The four columns' headers.
fn headers(zone: &str) -> [String; 4] {
    [
        format!("Time ({zone})\nHost"),
        "Finding".to_string(),
        "Written (data, did it run)".to_string(),
        "Caller · evidence file".to_string(),
    ]
}

/// The four columns' widths for `columns`: the first two take what their content needs, the
/// other two share the rest (`share`); `None` when that leaves them less than `MIN_LEFT`.
fn table_widths(views: &[View], columns: usize, headers: &[String; 4]) -> Option<[usize; 4]> {
    let widest = |lines: Vec<String>, header: &str| {
        lines
            .iter()
            .map(String::as_str)
            .chain(header.lines())
            .map(width)
            .max()
            .unwrap_or(0)
    };
    let [h0, h1, ..] = headers;
    let first = widest(views.iter().flat_map(View::when_lines).collect(), h0);
    let second = widest(views.iter().flat_map(View::finding_lines).collect(), h1);
    // Each of four columns has a space either side and a border; one more border closes.
    let left = columns.checked_sub(first + second + 4 * 3 + 1)?;
    if left < MIN_LEFT {
        return None;
    }
    let (written, caller) = share(
        left,
        views.iter().map(View::written_width).max().unwrap_or(0),
        views.iter().map(View::caller_width).max().unwrap_or(0),
    );
    Some([first, second, written, caller])
}

/// The four-column table, at `widths` (`table_widths`); the text of the last two columns is
/// wrapped to theirs here.
fn write_table(
    out: &mut dyn Write,
    views: &[View],
    widths: [usize; 4],
    headers: &[String; 4],
    terminal: &Terminal,
) -> io::Result<()> {
    let [_, _, written_width, caller_width] = widths;
    let mut table = Table::new();
    // A line between findings: a row is several lines.
    table.load_style(UTF8_FULL);
    // Cells are wrapped here; comfy-table must not wrap them again.
    table.set_content_arrangement(ContentArrangement::Disabled);
    if terminal.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let headers = headers
        .iter()
        .zip(widths)
        .map(|(h, w)| Cell::new(wrap(h, w).join("\n")));
    table.set_header(headers);
    for v in views {
        let written = v.written_lines(written_width);
        let caller = v.caller_lines(caller_width);
        let mut finding = Cell::new(v.finding_lines().join("\n"));
        if terminal.color {
            finding = paint(finding, v.severity);
        }
        table.add_row(vec![
            Cell::new(v.when_lines().join("\n")),
            finding,
            Cell::new(written.join("\n")),
            Cell::new(caller.join("\n")),
        ]);
    }
    writeln!(out, "{table}")
}

/// Narrowest the two shared columns get.
const MIN_SHARED: usize = 16;

/// Fewer columns than this left for the two shared ones, and the blocks read better.
const MIN_LEFT: usize = 48;

/// How `left` columns are shared by the written and the caller columns, which need `written`
/// and `caller` columns unwrapped: both whole when they fit; else the caller column gets up to
/// two fifths and the written one the rest, neither below `MIN_SHARED`.
fn share(left: usize, written: usize, caller: usize) -> (usize, usize) {
    if written + caller <= left {
        return (written.max(MIN_SHARED), caller.max(MIN_SHARED));
    }
    let caller = caller.min(left * 2 / 5).max(MIN_SHARED);
    let written = left.saturating_sub(caller).max(MIN_SHARED);
    (written, caller)
}

/// A cell in its severity's colour (as `Terminal::paint`).
fn paint(cell: Cell, severity: Severity) -> Cell {
    match severity {
        Severity::High => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Cyan),
        Severity::Info => cell.add_attribute(Attribute::Dim),
    }
}

/// Writes the detection catalog as a table, wrapped to the terminal's width when there is one.
pub fn write_rules(out: &mut dyn Write, width: Option<u16>) -> io::Result<()> {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    match width {
        Some(w) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(w);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table.set_header(vec!["Id", "Title", "ATT&CK", "Severity", "Locations"]);
    for d in CATALOG {
        let locations: Vec<String> = d.locations.iter().map(|l| l.pattern()).collect();
        table.add_row(vec![
            Cell::new(d.id),
            Cell::new(d.title),
            Cell::new(d.techniques.join("\n")),
            Cell::new(super::RULE_SEVERITY),
            Cell::new(locations.join("\n")),
        ]);
    }
    let d = &WMI_SUBSCRIPTION;
    let severity: Vec<String> = super::SUBSCRIPTION_SEVERITY
        .iter()
        .map(|(when, severity)| format!("{severity} ({when})"))
        .collect();
    table.add_row(vec![
        Cell::new(d.id),
        Cell::new(d.title),
        Cell::new(d.techniques.join("\n")),
        Cell::new(severity.join("\n")),
        Cell::new(super::SUBSCRIPTION_SOURCES.join("\n")),
    ]);
    writeln!(out, "{table}")
}
