//! Table output for a person at a terminal (comfy-table). Every string from the log goes
//! through `sanitize` first; long values are cut (NDJSON has them whole). A registry finding
//! and a subscription each make their row in a function of their own.

use super::sanitize::{terminal_safe, truncate};
use super::TimeDisplay;
use crate::detect::catalog::{CATALOG, WMI_SUBSCRIPTION};
use crate::detect::subscription;
use crate::detect::{Action, Match};
use crate::event::registry::RegistryEvent;
use crate::finding::{Finding, FindingKind, SubscriptionFinding};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use std::io::{self, Write};

/// Longest key shown in a cell.
const MAX_KEY: usize = 120;
/// Longest value data shown in a cell.
const MAX_DATA: usize = 120;
/// Longest source path shown in a cell (cut from the left: the file name matters most).
const MAX_SOURCE: usize = 60;

/// A cell holding log text: made terminal-safe, then cut to `max` characters.
fn log_cell(text: &str, max: usize) -> Cell {
    Cell::new(truncate(&terminal_safe(text), max))
}

fn new_table(interactive: bool) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_content_arrangement(if interactive {
        ContentArrangement::Dynamic
    } else {
        ContentArrangement::Disabled
    });
    table
}

/// The source path, cut from the left to `MAX_SOURCE` characters.
fn source_label(f: &Finding) -> String {
    let path = f.source.to_string_lossy();
    let safe = terminal_safe(&path);
    let count = safe.chars().count();
    let shown: String = if count > MAX_SOURCE {
        let tail: String = safe.chars().skip(count - (MAX_SOURCE - 1)).collect();
        format!("…{tail}")
    } else {
        safe.into_owned()
    };
    let mut label = format!("{shown}\n#{}", f.record_id());
    if !f.also_in.is_empty() {
        label.push_str(&format!(" (+{} copies)", f.also_in.len()));
    }
    label
}

/// The value data (a consumer's command), and whether its payload was seen running.
fn data_label(f: &Finding, data: &str, time: &TimeDisplay) -> String {
    let mut label = truncate(&terminal_safe(data), MAX_DATA).into_owned();
    match (&f.payload, &f.execution) {
        (_, Some(run)) => label.push_str(&format!(
            "\n▶ ran {} (EID {}, #{})",
            time.show(run.timestamp),
            run.event_id,
            run.record_id
        )),
        (Some(_), None) => label.push_str("\nnot seen running"),
        (None, None) => {}
    }
    label
}

/// Writes `findings` as a table; `interactive` wraps to the terminal's width.
pub fn write(
    out: &mut dyn Write,
    findings: &[Finding],
    interactive: bool,
    time: &TimeDisplay,
) -> io::Result<()> {
    if findings.is_empty() {
        return writeln!(
            out,
            "No WmiPrvSE.exe writes to persistence locations and no WMI subscriptions found."
        );
    }
    let mut table = new_table(interactive);
    let time_header = format!("Time ({})", time.label);
    table.set_header(vec![
        time_header.as_str(),
        "Host",
        "Severity (score)",
        "Detection",
        "Action",
        "Key \\ value",
        "Data",
        "Caller",
        "Source #record",
    ]);
    for f in findings {
        let row = match &f.kind {
            FindingKind::Registry { event, matched } => registry_row(f, event, matched, time),
            FindingKind::Subscription(s) => subscription_row(f, s, time),
        };
        table.add_row(row);
    }
    writeln!(out, "{table}")
}

/// The severity cell: severity, score, indicators, and whether the record was carved.
fn severity_cell(f: &Finding) -> Cell {
    let mut severity = format!("{} ({})", f.severity().as_str(), f.score());
    for indicator in &f.indicators {
        severity.push('\n');
        severity.push_str(indicator.name);
    }
    if f.recovered {
        severity.push_str("\nrecovered record");
    }
    Cell::new(severity)
}

/// A registry finding's row.
fn registry_row(f: &Finding, e: &RegistryEvent, m: &Match, time: &TimeDisplay) -> Vec<Cell> {
    let key = match &m.value_name {
        Some(value) => format!("{}\\{value}", m.key),
        None => m.key.to_string(),
    };
    let mut action = m.action.as_str().to_string();
    if m.action == Action::RenameKey {
        if let Some(new) = &e.new_name {
            action.push_str(&format!("\n→ {}", truncate(&terminal_safe(new), MAX_KEY)));
        }
    }
    // `action` is already safe: its only log text went through `terminal_safe`.
    vec![
        Cell::new(time.show(e.timestamp)),
        log_cell(&e.host, 40),
        severity_cell(f),
        Cell::new(m.detection.id),
        Cell::new(action),
        log_cell(&key, MAX_KEY),
        Cell::new(data_label(f, e.details.as_deref().unwrap_or(""), time)),
        Cell::new(super::callers::caller_cell(f)),
        Cell::new(source_label(f)),
    ]
}

/// A subscription's row: the operation as the action; the filter, its query and the consumer
/// where a registry row has its key; what the consumer runs as the data.
fn subscription_row(f: &Finding, s: &SubscriptionFinding, time: &TimeDisplay) -> Vec<Cell> {
    let sub = &s.subscription;
    let mut what = String::new();
    if let Some(filter) = &sub.filter {
        what.push_str(&format!("filter {}", filter.name));
        if let Some(query) = &filter.query {
            what.push_str(&format!(": {query}"));
        }
    }
    if let Some(consumer) = &sub.consumer {
        what.push_str(&format!(
            "\n→ {} consumer {}",
            consumer.kind.as_str(),
            consumer.name
        ));
    }
    if !sub.bound {
        what.push_str("\n(no binding seen)");
    }
    let mut detection = WMI_SUBSCRIPTION.id.to_string();
    if sub.builtin {
        detection.push_str("\nWindows built-in");
    }
    let command = sub
        .consumer
        .as_ref()
        .and_then(|c| c.command.as_deref())
        .unwrap_or("");
    // Each line of `what` is cut on its own, so the consumer line is not lost to the query.
    let what: Vec<String> = what
        .lines()
        .map(|l| truncate(&terminal_safe(l), MAX_KEY).into_owned())
        .collect();
    vec![
        Cell::new(time.show(s.anchor.timestamp)),
        log_cell(&s.anchor.host, 40),
        severity_cell(f),
        Cell::new(detection),
        log_cell(&subscription::operation(&s.anchor), 20),
        Cell::new(what.join("\n")),
        Cell::new(data_label(f, command, time)),
        Cell::new(super::callers::caller_cell(f)),
        Cell::new(source_label(f)),
    ]
}

/// Writes the detection catalog as a table.
pub fn write_rules(out: &mut dyn Write, interactive: bool) -> io::Result<()> {
    let mut table = new_table(interactive);
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
