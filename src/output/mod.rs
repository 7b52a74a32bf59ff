//! Outputs: findings in every format (a table, NDJSON, ECS, Timesketch, CSV), the detection
//! catalog (a table, NDJSON, Sigma rules), and the diagnostics. Results go to the writer the
//! run layer gives (stdout or `--output`); diagnostics go to stderr so that they never mix with
//! results. Outputs see findings and the run report, nothing of the scan's internals.

pub mod callers;
pub mod csv;
pub mod ecs;
pub mod hosts;
pub mod html;
pub mod ndjson;
pub mod ndjson_subscription;
pub mod sanitize;
pub mod sigma;
pub mod sigma_subscription;
pub mod summary;
pub mod table;
pub mod terminal;
pub mod timesketch;

use crate::detect::catalog::{Location, CATALOG, WMI_SUBSCRIPTION};
use crate::detect::Action;
use crate::report::RunReport;
use serde::Serialize;
use std::io::{self, Write};

/// The time zone times are shown in to people; NDJSON always carries UTC.
#[derive(Debug, Clone)]
pub struct TimeDisplay {
    /// The zone.
    pub zone: jiff::tz::TimeZone,
    /// Its name for column headers: `UTC`, `Europe/Berlin`, `local`.
    pub label: String,
}

impl TimeDisplay {
    /// `ts` in the zone, to the millisecond.
    pub fn show(&self, ts: jiff::Timestamp) -> String {
        ts.to_zoned(self.zone.clone())
            .strftime("%Y-%m-%d %H:%M:%S%.3f")
            .to_string()
    }
}

/// How findings are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for a person.
    Table,
    /// One JSON object per line.
    Ndjson,
    /// Elastic Common Schema documents, one per line (optionally as `_bulk` requests).
    Ecs,
    /// JSONL that Timesketch imports.
    Timesketch,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// A self-contained HTML case report (`html/`).
    Html,
}

/// How `wmihunt rules` prints the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulesFormat {
    /// A table for a person.
    Table,
    /// One JSON object per detection.
    Ndjson,
    /// Sigma rules (YAML documents), for running the same detections in a SIEM.
    Sigma,
}

/// Everything an output needs besides the findings.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// The format.
    pub format: Format,
    /// The terminal a table is laid out for.
    pub terminal: terminal::Terminal,
    /// How times are shown to people.
    pub time: TimeDisplay,
    /// With `Format::Ecs`: precede each document with a `_bulk` action for this index.
    pub bulk_index: Option<String>,
}

/// The severity a detection reaches: high for a value written, lower for key operations.
pub const RULE_SEVERITY: &str = "high (value set)\nmedium (key created/renamed)\nlow (deleted)";

/// Writes a run's findings as `options` say (the HTML report shows the rest of the run too).
pub fn write_findings(
    out: &mut dyn Write,
    report: &RunReport,
    options: &OutputOptions,
) -> io::Result<()> {
    let findings = &report.findings;
    match options.format {
        Format::Table => table::write(out, findings, &options.terminal, &options.time),
        Format::Ndjson => ndjson::write(out, findings),
        Format::Ecs => ecs::write(out, findings, options.bulk_index.as_deref()),
        Format::Timesketch => timesketch::write(out, findings),
        Format::Csv => csv::write(out, findings),
        Format::Html => html::write(out, report, &options.time),
    }
}

#[derive(Serialize)]
struct RuleLine {
    kind: &'static str,
    id: &'static str,
    title: &'static str,
    techniques: &'static [&'static str],
    /// The highest severity the detection reaches (a value set with data).
    severity: &'static str,
    risk_score: u8,
    /// Severity by action: set value high; create or rename key medium; delete low.
    severity_by_action: [(&'static str, &'static str); 5],
    locations: Vec<String>,
    /// The same locations as data: which hives, the key pattern, the value pattern.
    location_parts: &'static [Location],
}

/// Writes the detection catalog in `format`.
pub fn write_rules(out: &mut dyn Write, format: RulesFormat, width: Option<u16>) -> io::Result<()> {
    match format {
        RulesFormat::Table => table::write_rules(out, width),
        RulesFormat::Sigma => sigma::write(out),
        RulesFormat::Ndjson => {
            for d in CATALOG {
                let line = RuleLine {
                    kind: "registry",
                    id: d.id,
                    title: d.title,
                    techniques: d.techniques,
                    severity: d.severity.as_str(),
                    risk_score: d.severity.risk_score(),
                    severity_by_action: [
                        Action::SetValue,
                        Action::CreateKey,
                        Action::RenameKey,
                        Action::DeleteValue,
                        Action::DeleteKey,
                    ]
                    .map(|a| (a.as_str(), a.severity_at(d.severity).as_str())),
                    locations: d.locations.iter().map(|l| l.pattern()).collect(),
                    location_parts: d.locations,
                };
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
            serde_json::to_writer(&mut *out, &subscription_rule())?;
            out.write_all(b"\n")
        }
    }
}

/// What each source of a subscription is, for `wmihunt rules`.
pub const SUBSCRIPTION_SOURCES: [&str; 5] = [
    "Sysmon 19 (WmiEventFilter)",
    "Sysmon 20 (WmiEventConsumer)",
    "Sysmon 21 (WmiEventConsumerToFilter)",
    "WMI-Activity 5861 (permanent consumer bound to a filter)",
    "WMI-Activity 5857 (a consumer's provider loaded: the subscription fired)",
];

/// The severity of a subscription, by what the evidence shows it runs.
pub const SUBSCRIPTION_SEVERITY: [(&str, &str); 5] = [
    ("CommandLine or ActiveScript consumer", "high"),
    ("consumer of a class of its own", "medium"),
    (
        "NTEventLog, LogFile or SMTP consumer; only deletions seen",
        "low",
    ),
    ("Windows built-in; a filter alone (with --context)", "info"),
    ("no consumer seen, bound", "medium"),
];

#[derive(Serialize)]
struct SubscriptionRuleLine {
    kind: &'static str,
    id: &'static str,
    title: &'static str,
    techniques: &'static [&'static str],
    severity: &'static str,
    risk_score: u8,
    severity_by_consumer: [(&'static str, &'static str); 5],
    sources: [&'static str; 5],
}

/// The subscription detection's `wmihunt rules` line.
fn subscription_rule() -> SubscriptionRuleLine {
    let d = &WMI_SUBSCRIPTION;
    SubscriptionRuleLine {
        kind: "subscription",
        id: d.id,
        title: d.title,
        techniques: d.techniques,
        severity: d.severity.as_str(),
        risk_score: d.severity.risk_score(),
        severity_by_consumer: SUBSCRIPTION_SEVERITY,
        sources: SUBSCRIPTION_SOURCES,
    }
}
