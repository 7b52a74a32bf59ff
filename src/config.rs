//! The plain configuration a command runs with, checked once by the CLI layer. Nothing below
//! the CLI sees flags.

use crate::detect::Severity;
use crate::filter::Filters;
use crate::finding::SortOrder;
use crate::output::summary::Diagnostics;
use crate::output::{Format, RulesFormat};
use crate::pass::detection::ScanOptions;
use std::path::PathBuf;

/// A command to run.
#[derive(Debug, Clone)]
pub enum Command {
    /// Scan evidence (boxed: by far the larger variant).
    Scan(Box<ScanConfig>),
    /// List the detection catalog.
    Rules {
        /// Output format.
        format: RulesFormat,
    },
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
    /// Columns to lay a table out for (`--width`; `None`: the terminal's own).
    pub width: Option<u16>,
    /// When to colour severities in a table (`--color`).
    pub color: crate::output::terminal::ColorChoice,
    /// How to scan.
    pub scan: ScanOptions,
    /// Show the progress bar.
    pub progress: bool,
    /// What the diagnostics on stderr show.
    pub diagnostics: Diagnostics,
    /// Exit with code 1 when there are findings of this severity or above.
    pub fail_on_findings: Option<Severity>,
    /// Order of the findings.
    pub sort: SortOrder,
    /// Fold the same event read from several copies of a log into one finding.
    pub dedup: bool,
    /// Look for process creations that ran each finding's payload.
    pub execution_check: bool,
    /// Look for each write's caller in this many seconds before it (`None`: do not).
    pub caller_window: Option<std::num::NonZeroU32>,
    /// Which findings to show (`--min-level`, `--host`, `--allowlist`).
    pub filters: Filters,
    /// The command line as given, for reports.
    pub command_line: Vec<String>,
}
