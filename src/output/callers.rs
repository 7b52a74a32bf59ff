//! Who did it, for people: the compact caller of one finding (the table's column), the
//! attribution pass's summary line, and the callers per host (`--summary`). NDJSON and the
//! other formats carry the whole `attribution` object.

use super::sanitize::{terminal_safe, truncate};
use super::summary::count;
use super::terminal::{fitted_table, write_hanging, Terminal, TABLE_FROM};
use super::TimeDisplay;
use crate::detect::attribution::{Attribution, Caller, Grade};

use crate::report::{AttributionStats, RunReport};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

/// Longest caller text shown in a cell.
const MAX_CALLER: usize = 60;

/// `DOMAIN\user`, `user`, or `?` when the account is unknown.
pub(super) fn account(c: &Caller) -> String {
    match (&c.domain, &c.user) {
        (Some(d), Some(u)) => format!("{d}\\{u}"),
        (None, Some(u)) => u.clone(),
        _ => "?".to_string(),
    }
}

/// Where the call came from: `10.0.0.52 ADMIN-PC`, `local`, or `?`.
pub(super) fn source(c: &Caller) -> String {
    match (c.remote, &c.source_ip, &c.source_host) {
        (Some(false), _, _) => "local".to_string(),
        (_, Some(ip), Some(host)) => format!("{ip} {host}"),
        (_, Some(one), None) | (_, None, Some(one)) => one.clone(),
        _ => "?".to_string(),
    }
}

/// One caller in one line of text (log text, not yet made safe): the account, and where the
/// call came from when the evidence says.
pub(super) fn caller_text(c: &Caller) -> String {
    let admin = if c.admin == Some(true) {
        " (admin)"
    } else {
        ""
    };
    match source(c).as_str() {
        "?" => format!("{}{admin}", account(c)),
        from => format!("{}{admin} ← {from}", account(c)),
    }
}

/// A finding's caller as the terminal shows it: the account (with `(admin)`), where the call
/// came from, and the grade (with the number of candidates when several competed); log text
/// made terminal-safe and cut.
pub struct Shown {
    /// The account; `None` when no caller is named.
    pub who: Option<String>,
    /// Where from (`10.0.0.52 ADMIN-PC`, `local`, `?`).
    pub from: Option<String>,
    /// The grade.
    pub grade: String,
}

/// An attribution's caller, for the table and the block layout.
pub fn shown(a: &Attribution) -> Shown {
    let grade = match a.candidates {
        n if n > 1 => format!("{} (1 of {n})", a.grade.as_str()),
        _ => a.grade.as_str().to_string(),
    };
    let cut = |text: String| truncate(&terminal_safe(&text), MAX_CALLER).into_owned();
    match &a.caller {
        Some(c) => {
            let admin = if c.admin == Some(true) {
                " (admin)"
            } else {
                ""
            };
            // Where from, when the evidence says.
            let from = Some(source(c)).filter(|s| s != "?");
            Shown {
                who: Some(cut(format!("{}{admin}", account(c)))),
                from: from.map(cut),
                grade,
            }
        }
        None => Shown {
            who: None,
            from: None,
            grade,
        },
    }
}

/// The pass's line in the run summary.
pub fn write_line(
    out: &mut dyn Write,
    stats: &AttributionStats,
    elapsed: Duration,
) -> io::Result<()> {
    let [direct, strong, weak, none] = stats.graded;
    writeln!(
        out,
        "callers:  {direct} direct, {strong} strong, {weak} weak, {none} none; {} files read \
         ({} of callers' hosts), {} records rendered, {} events kept ({:.2} s)",
        stats.files,
        stats.caller_files,
        stats.rendered,
        stats.events,
        elapsed.as_secs_f64()
    )
}

/// Per host: each caller named, its grade (the best among its findings), how many findings
/// and when.
pub fn write_hosts(
    out: &mut dyn Write,
    report: &RunReport,
    time: &TimeDisplay,
    terminal: &Terminal,
) -> io::Result<()> {
    #[derive(Default)]
    struct Row {
        grade: Option<Grade>,
        findings: u64,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
    }
    let mut rows: BTreeMap<(String, String), Row> = BTreeMap::new();
    for f in &report.findings {
        let Some(a) = &f.attribution else {
            continue;
        };
        let row = rows.entry((f.host().to_string(), named(a))).or_default();
        row.grade = row.grade.max(Some(a.grade));
        row.findings += 1;
        let t = f.timestamp();
        row.first = Some(row.first.map_or(t, |v| v.min(t)));
        row.last = Some(row.last.map_or(t, |v| v.max(t)));
    }
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "── callers per host ──")?;
    if terminal.columns() < TABLE_FROM {
        for ((host, caller), row) in &rows {
            let span = match (row.first, row.last) {
                (Some(first), Some(last)) => {
                    format!(", {} – {}", time.show(first), time.show(last))
                }
                _ => String::new(),
            };
            let line = format!(
                "{}: {} · {} · {}{span}",
                terminal_safe(host),
                truncate(&terminal_safe(caller), 2 * MAX_CALLER),
                row.grade.map(Grade::as_str).unwrap_or_default(),
                count(row.findings, "finding"),
            );
            write_hanging(out, "", &line, 4, terminal.columns())?;
        }
        return Ok(());
    }
    let mut table = fitted_table(terminal);
    table.set_header(vec![
        "Host".to_string(),
        "Caller".to_string(),
        "Grade".to_string(),
        "Findings".to_string(),
        format!("First ({})", time.label),
        format!("Last ({})", time.label),
    ]);
    for ((host, caller), row) in &rows {
        table.add_row(vec![
            terminal_safe(host).into_owned(),
            truncate(&terminal_safe(caller), 2 * MAX_CALLER).into_owned(),
            row.grade.map(Grade::as_str).unwrap_or_default().to_string(),
            row.findings.to_string(),
            row.first.map(|t| time.show(t)).unwrap_or_default(),
            row.last.map(|t| time.show(t)).unwrap_or_default(),
        ]);
    }
    writeln!(out, "{table}")
}

/// The caller an attribution names, in one line; `(none)` without one.
fn named(a: &Attribution) -> String {
    a.caller
        .as_ref()
        .map_or_else(|| "(none)".to_string(), caller_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_escaped() {
        // NTLM lets the caller choose its workstation name.
        let caller = Caller {
            user: Some("eve\u{1b}[2J".into()),
            domain: Some("CORP".into()),
            source_ip: Some("10.0.0.9".into()),
            source_host: Some("PC\u{202e}exe.txt".into()),
            admin: Some(true),
            remote: Some(true),
            ..Caller::default()
        };
        let a = Attribution {
            grade: Grade::Weak,
            rule: String::new(),
            caller: Some(caller),
            candidates: 3,
            alternatives: Vec::new(),
            command: None,
            evidence: Vec::new(),
            gaps: Vec::new(),
        };
        let shown = shown(&a);
        assert_eq!(shown.who.as_deref(), Some("CORP\\eve\\x1b[2J (admin)"));
        assert_eq!(shown.from.as_deref(), Some("10.0.0.9 PC\\u{202e}exe.txt"));
        assert_eq!(shown.grade, "weak (1 of 3)");
    }
}
