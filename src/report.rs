//! What a run found and did, as plain data: the detection pass's totals and per-file facts,
//! the problems, the "did it run" and attribution passes' totals, and the findings. The run
//! layer builds it; outputs and the summary read it and nothing else of the scan's internals.

use crate::detect::attribution::Grade;
use crate::detect::Severity;
pub use crate::filter::FilterReport;
use crate::finding::Finding;
use crate::problem::Problem;
pub use crate::read::census::Tally;
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
    /// Records carved from slack (`--recover`).
    pub carved: u64,
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
        self.carved += other.carved;
        self.subscription_events += other.subscription_events;
        self.builtin_subscriptions += other.builtin_subscriptions;
    }
}

/// The registry events a file holds that the detections can judge, whoever wrote them: what
/// makes "no findings" a clean result rather than silence. Counted from the chunks' template
/// definitions (`read::census`), so the pre-filter's speed is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Sysmon registry events (EID 12, 13, 14).
    pub sysmon: Tally,
    /// Security 4657 (a registry value was modified).
    pub security: Tally,
}

impl Coverage {
    /// Adds another file's or unit's coverage.
    pub fn merge(&mut self, other: &Coverage) {
        self.sysmon.merge(&other.sysmon);
        self.security.merge(&other.security);
    }

    /// Registry events of either source.
    pub fn events(&self) -> u64 {
        self.sysmon.records + self.security.records
    }
}

/// What one scanned file was.
#[derive(Debug, Clone, Default)]
pub struct FileSummary {
    /// Its host and log, when a record could be read.
    pub identity: Option<LogIdentity>,
    /// Live records in it.
    pub records: u64,
    /// The registry events in it.
    pub coverage: Coverage,
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
    /// Chunks read (those the chunk index says can hold a process creation after a write).
    pub chunks: u64,
}

/// What the attribution pass did, for the summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AttributionStats {
    /// Files read (both steps).
    pub files: usize,
    /// Of those, files of the callers' hosts (second step).
    pub caller_files: usize,
    /// Records rendered (both steps).
    pub rendered: u64,
    /// Events kept: near a finding in time, or joined to one by identity.
    pub events: usize,
    /// Findings by grade: direct, strong, weak, none.
    pub graded: [usize; 4],
}

impl AttributionStats {
    /// Counts one finding's grade.
    pub fn count(&mut self, grade: Grade) {
        let slot = match grade {
            Grade::Direct => 0,
            Grade::Strong => 1,
            Grade::Weak => 2,
            Grade::None => 3,
        };
        if let Some(n) = self.graded.get_mut(slot) {
            *n += 1;
        }
    }
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
    /// The attribution pass: its totals and time, or why it failed; `None` when not run.
    pub attribution: Option<Result<(AttributionStats, Duration), String>>,
    /// The findings, in output order.
    pub findings: Vec<Finding>,
    /// What the filters (`--min-level`, `--host`, `--allowlist`) left out.
    pub filters: FilterReport,
    /// How the run was started.
    pub invocation: Invocation,
}

/// How a run was started, for a report that must say what produced it.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// The command line, one argument an item.
    pub command_line: Vec<String>,
    /// wmihunt's version.
    pub version: &'static str,
    /// When the run started.
    pub started: jiff::Timestamp,
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
        let failed_attribution = matches!(self.attribution, Some(Err(_)));
        self.problems
            .iter()
            .filter(|p| p.kind.loses_evidence())
            .count()
            + usize::from(failed_pass)
            + usize::from(failed_attribution)
    }
}
