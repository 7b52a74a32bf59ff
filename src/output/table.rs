//! Table output for a person at a terminal (comfy-table). Every string from the log goes
//! through `sanitize` first; long values are cut (NDJSON has them whole).

use super::sanitize::{terminal_safe, truncate};
use super::TimeDisplay;
use crate::detect::catalog::CATALOG;
use crate::detect::Action;
use crate::finding::Finding;
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
    let mut label = format!("{shown}\n#{}", f.event.record_id);
    if !f.also_in.is_empty() {
        label.push_str(&format!(" (+{} copies)", f.also_in.len()));
    }
    label
}

/// The value data, and whether its payload was seen running.
fn data_label(f: &Finding, time: &TimeDisplay) -> String {
    let mut label = truncate(
        &terminal_safe(f.event.details.as_deref().unwrap_or("")),
        MAX_DATA,
    )
    .into_owned();
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
            "No WmiPrvSE.exe writes to persistence locations found."
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
        let m = &f.matched;
        let key = match &m.value_name {
            Some(value) => format!("{}\\{value}", m.key),
            None => m.key.to_string(),
        };
        let mut action = m.action.as_str().to_string();
        if m.action == Action::RenameKey {
            if let Some(new) = &f.event.new_name {
                action.push_str(&format!("\n→ {}", truncate(&terminal_safe(new), MAX_KEY)));
            }
        }
        // `action` is already safe: its only log text went through `terminal_safe`.
        let mut severity = format!("{} ({})", f.severity().as_str(), f.score());
        for indicator in &f.indicators {
            severity.push('\n');
            severity.push_str(indicator.name);
        }
        if f.recovered {
            severity.push_str("\nrecovered record");
        }
        table.add_row(vec![
            Cell::new(time.show(f.event.timestamp)),
            log_cell(&f.event.host, 40),
            Cell::new(severity),
            Cell::new(m.detection.id),
            Cell::new(action),
            log_cell(&key, MAX_KEY),
            Cell::new(data_label(f, time)),
            Cell::new(super::callers::caller_cell(f)),
            Cell::new(source_label(f)),
        ]);
    }
    writeln!(out, "{table}")
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
    writeln!(out, "{table}")
}
