//! The plain configuration a command runs with, checked once by the CLI layer. Nothing below
//! the CLI sees flags.

use crate::finding::SortOrder;
use crate::output::{Format, TimeDisplay};
use crate::scan::ScanOptions;
use std::path::PathBuf;

/// A command to run.
#[derive(Debug, Clone)]
pub enum Command {
    /// Scan evidence.
    Scan(ScanConfig),
    /// List the detection catalog.
    Rules {
        /// Output format.
        format: RulesFormat,
    },
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

/// Everything `wmihunt scan` needs.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Files or folders to scan.
    pub paths: Vec<PathBuf>,
    /// Result format.
    pub format: Format,
    /// With the ECS format: the index named in `_bulk` action lines.
    pub bulk_index: Option<String>,
    /// Where results go (`None`: stdout).
    pub output: Option<PathBuf>,
    /// Replace `output` when it exists (never an input, an event log or an archive).
    pub clobber: bool,
    /// How to scan.
    pub scan: ScanOptions,
    /// Show the progress bar.
    pub progress: bool,
    /// Print no summary (problems are still reported).
    pub quiet: bool,
    /// List skipped files.
    pub verbose: bool,
    /// Exit with code 1 when there are findings.
    pub fail_on_findings: bool,
    /// Order of the findings.
    pub sort: SortOrder,
    /// Fold the same event read from several copies of a log into one finding.
    pub dedup: bool,
    /// Look for process creations that ran each finding's payload.
    pub execution_check: bool,
    /// Print the per-host summary.
    pub host_summary: bool,
    /// How times are shown to people (NDJSON is always UTC).
    pub time_display: TimeDisplay,
}
