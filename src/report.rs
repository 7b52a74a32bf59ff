//! What a run found and did, as plain data: the detection pass's totals and per-file facts,
//! the problems, the "did it run" pass's totals, and the findings. The run layer builds it;
//! outputs and the summary read it and nothing else of the scan's internals.

use crate::detect::Severity;
use crate::finding::Finding;
use crate::problem::Problem;
use crate::read::LogIdentity;
use std::time::Duration;

pub use crate::evidence::Skipped;

/// Totals of the detection pass.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// EVTX files scanned.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Records in the scanned chunks.
    pub records: u64,
    /// Records rendered to fields.
    pub rendered: u64,
    /// Chunks parsed.
    pub chunks_parsed: u64,
    /// Chunks the pre-filter skipped.
    pub chunks_skipped: u64,
    /// Registry events seen (any writer) among the rendered records.
    pub registry_events: u64,
    /// WMI subscription events seen (Sysmon 19/20/21, WMI-Activity 5857/5861).
    pub subscription_events: u64,
    /// Windows' own subscriptions recognised (info: listed only with `--context`).
    pub builtin_subscriptions: u64,
}

impl Stats {
    /// Adds another unit's counts.
    pub fn add(&mut self, other: &Stats) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.records += other.records;
        self.rendered += other.rendered;
        self.chunks_parsed += other.chunks_parsed;
        self.chunks_skipped += other.chunks_skipped;
        self.registry_events += other.registry_events;
        self.subscription_events += other.subscription_events;
        self.builtin_subscriptions += other.builtin_subscriptions;
    }
}

/// What one scanned file was.
#[derive(Debug, Clone, Default)]
pub struct FileSummary {
    /// Its host and log, when a record could be read.
    pub identity: Option<LogIdentity>,
    /// Records in it.
    pub records: u64,
}

/// What the "did it run" pass did, for the summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckStats {
    /// Distinct payload words searched for.
    pub payloads: usize,
    /// Process creations naming a payload that were read.
    pub process_starts: usize,
    /// Findings whose payload was seen running.
    pub seen: usize,
}

/// Everything a run produced.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Every scanned file, in the order scanned.
    pub files: Vec<FileSummary>,
    /// Files that are not event logs.
    pub skipped: Vec<Skipped>,
    /// Everything that could not be read or taken as evidence, in the order found.
    pub problems: Vec<Problem>,
    /// Totals of the detection pass.
    pub stats: Stats,
    /// How long the detection pass took.
    pub elapsed: Duration,
    /// The "did it run" pass: its totals and time, or why it failed; `None` when not run.
    pub execution: Option<Result<(CheckStats, Duration), String>>,
    /// The findings, in output order.
    pub findings: Vec<Finding>,
}

impl RunReport {
    /// Findings of `severity` or above (`--fail-on-findings`; info only when asked).
    pub fn findings_at_least(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity() >= severity)
            .count()
    }

    /// Problems that may have cost evidence (exit code 2), a failed pass included.
    pub fn evidence_problems(&self) -> usize {
        let failed_pass = matches!(self.execution, Some(Err(_)));
        self.problems
            .iter()
            .filter(|p| p.kind.loses_evidence())
            .count()
            + usize::from(failed_pass)
    }
}
