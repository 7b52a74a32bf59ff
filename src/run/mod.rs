//! The run layer: carries out a command. For a scan it checks the destination, finds the
//! evidence, runs the passes in order (detection, deduplication, "did it run", who did it),
//! builds the run report, writes the results and then the diagnostics, each in one place, and
//! says how the process should exit.

pub mod destination;
pub mod progress;

use crate::config::{Command, ScanConfig};
use crate::evidence;
use crate::exit::Exit;
use crate::filter;
use crate::finding;
use crate::output;
use crate::output::terminal::{ColorChoice, Terminal};
use crate::pass::{attribution, detection, execution, PassError};
use crate::report::{AttributionStats, CheckStats, Invocation, RunReport};
use destination::{Destination, Pending};
use std::fmt;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::{Duration, Instant};
use terminal_size::terminal_size_of;

/// Why a command could not complete (exit code 3).
#[derive(Debug)]
pub enum Error {
    /// The output path was refused or could not be created or moved into place.
    Destination(String),
    /// A pass could not run at all.
    Pass(PassError),
    /// Nothing readable was found in the given paths.
    NoEvidence,
    /// Results could not be written.
    Write {
        /// Where they were going.
        target: String,
        /// Why they could not be written.
        error: io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Destination(message) => f.write_str(message),
            Error::Pass(e) => write!(f, "{e}"),
            Error::NoEvidence => f.write_str("no readable EVTX file in the given paths"),
            Error::Write { target, error } => write!(f, "cannot write to {target}: {error}"),
        }
    }
}

/// Runs a command and says how the process should exit. Every error is printed here, once.
pub fn run(command: Command) -> Exit {
    let result = match command {
        Command::Rules { format } => rules(format),
        Command::Scan(config) => scan(&config),
    };
    match result {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("wmihunt: error: {e}");
            Exit::Failure
        }
    }
}

/// An output error, unless it is a closed pipe (`| head`), which is a normal end.
fn written(result: io::Result<()>, target: &str) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::Write {
            target: target.to_string(),
            error: e,
        }),
        _ => Ok(()),
    }
}

fn rules(format: output::RulesFormat) -> Result<Exit, Error> {
    let stdout = io::stdout();
    let width = terminal_of(Stream::Stdout, None, ColorChoice::Never)
        .width
        .map(|w| u16::try_from(w).unwrap_or(u16::MAX));
    let mut out = BufWriter::new(stdout.lock());
    let result = output::write_rules(&mut out, format, width).and_then(|()| out.flush());
    written(result, "stdout").map(|()| Exit::Success)
}

fn scan(config: &ScanConfig) -> Result<Exit, Error> {
    // Check the destination first: a path that would replace evidence, or an existing file
    // without --clobber, is refused before anything is read or written.
    let destination = config
        .output
        .as_deref()
        .map(|path| Destination::check(path, config.clobber, &config.paths))
        .transpose()
        .map_err(Error::Destination)?;
    let started = Instant::now();
    let invocation = Invocation {
        command_line: config.command_line.clone(),
        version: env!("CARGO_PKG_VERSION"),
        started: jiff::Timestamp::now(),
    };
    let discovery = evidence::discover(&config.paths);
    // Created after the walk, so that it is never among the files found; still before the
    // scan, so that an unwritable folder fails at once.
    let pending = destination
        .as_ref()
        .map(Destination::create)
        .transpose()
        .map_err(Error::Destination)?;

    // Archive members declare their own sizes, which a crafted zip can make absurd.
    let total_bytes = discovery
        .files
        .iter()
        .fold(0u64, |sum, f| sum.saturating_add(f.len));
    let bar = progress::Bar::new(config.progress, total_bytes, discovery.files.len() as u64);
    // Later passes read only chunks the first pass indexed for them.
    let index_markers = if config.execution_check {
        execution::MARKERS.to_vec()
    } else {
        Vec::new()
    };
    let detected = detection::scan(&discovery.files, &config.scan, &bar, &index_markers);
    bar.finish();
    let mut detected = detected.map_err(Error::Pass)?;
    let index = std::mem::take(&mut detected.index);
    let mut report = RunReport {
        files: detected.files,
        skipped: discovery.skipped,
        problems: discovery.problems,
        stats: detected.stats,
        elapsed: started.elapsed(),
        execution: None,
        attribution: None,
        findings: detected.findings,
        filters: Default::default(),
        invocation,
    };
    report.problems.extend(detected.problems);
    later_passes(config, &discovery.files, &index, &mut report);

    let stderr = io::stderr();
    // Diagnostics are best effort: a closed stderr must not turn into a failure. Problems
    // come first, so that the results on a terminal are what stays on screen.
    let verbose = config.diagnostics.verbose;
    let _ = output::summary::write_problems(&mut stderr.lock(), &report, verbose);
    let results = write_results(config, pending, &report, discovery.files.is_empty());
    let terminal = terminal_of(Stream::Stderr, config.width, ColorChoice::Never);
    let _ = output::summary::write_diagnostics(
        &mut stderr.lock(),
        &report,
        &config.diagnostics,
        &terminal,
    );
    results?;
    if discovery.files.is_empty() {
        return Err(Error::NoEvidence);
    }
    Ok(Exit::for_scan(
        config
            .fail_on_findings
            .map_or(0, |at| report.findings_at_least(at)),
        report.evidence_problems(),
        config.fail_on_findings.is_some(),
    ))
}

/// The two streams a person may be reading.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// The terminal `stream` is: `width` columns when given (`--width`), else the terminal's own
/// width when it is one; coloured as `color` decides from the environment.
fn terminal_of(stream: Stream, width: Option<u16>, color: ColorChoice) -> Terminal {
    let (tty, size) = match stream {
        Stream::Stdout => (io::stdout().is_terminal(), terminal_size_of(io::stdout())),
        Stream::Stderr => (io::stderr().is_terminal(), terminal_size_of(io::stderr())),
    };
    let var = |name| std::env::var(name).ok();
    let measured = size
        .filter(|(w, _)| tty && w.0 > 0)
        .map(|(w, _)| usize::from(w.0));
    Terminal {
        width: width.map(usize::from).or(measured),
        color: color.colors(tty, var("NO_COLOR").as_deref(), var("TERM").as_deref()),
    }
}

/// What follows the detection pass, in order: copies folded, the filters, "did it run", who
/// did it, the output order.
fn later_passes(
    config: &ScanConfig,
    files: &[evidence::EvidenceFile],
    index: &crate::pass::ChunkIndex,
    report: &mut RunReport,
) {
    if config.dedup {
        report.findings = finding::dedup(std::mem::take(&mut report.findings));
    }
    // Before the execution check, so that it searches only for what will be shown.
    (report.findings, report.filters) =
        filter::apply(std::mem::take(&mut report.findings), &config.filters);
    if config.execution_check {
        report.execution = Some(check_runs(config, files, index, report));
    }
    if let Some(window) = config.caller_window {
        report.attribution = Some(attribute(config, window, files, index, report));
    }
    finding::sort(&mut report.findings, config.sort);
}

/// Runs the "did it run" pass on the report's findings: its totals and time, or why it failed.
fn check_runs(
    config: &ScanConfig,
    files: &[evidence::EvidenceFile],
    index: &crate::pass::ChunkIndex,
    report: &mut RunReport,
) -> Result<(CheckStats, Duration), String> {
    let started = Instant::now();
    let options = execution::CheckOptions {
        threads: config.scan.threads,
        recover: config.scan.recover,
    };
    execution::find_runs(files, &report.files, index, &mut report.findings, options)
        .map(|stats| (stats, started.elapsed()))
        .map_err(|e| format!("execution check failed: {e}"))
}

/// Runs the attribution pass on the report's findings: its totals and time, or why it failed.
fn attribute(
    config: &ScanConfig,
    window: std::num::NonZeroU32,
    files: &[evidence::EvidenceFile],
    index: &crate::pass::ChunkIndex,
    report: &mut RunReport,
) -> Result<(AttributionStats, Duration), String> {
    let started = Instant::now();
    let options = attribution::AttributionOptions {
        threads: config.scan.threads,
        recover: config.scan.recover,
        window: jiff::SignedDuration::from_secs(i64::from(window.get())),
    };
    attribution::attribute(files, &report.files, index, &mut report.findings, options)
        .map(|stats| (stats, started.elapsed()))
        .map_err(|e| format!("attribution failed: {e}"))
}

/// Writes the findings to the destination or stdout. The destination gets them only when the
/// run read something and every write succeeded; otherwise it is left as it was.
fn write_results(
    config: &ScanConfig,
    pending: Option<Pending>,
    report: &RunReport,
    nothing_read: bool,
) -> Result<(), Error> {
    let options = output::OutputOptions {
        format: config.format,
        terminal: Terminal::default(),
        time: config.diagnostics.time.clone(),
        bulk_index: config.bulk_index.clone(),
    };
    match pending {
        Some(mut pending) => {
            let target = pending.path().display().to_string();
            let out = pending.writer();
            let result = output::write_findings(out, report, &options).and_then(|()| out.flush());
            written(result, &target)?;
            if nothing_read {
                // Dropped unwritten: a run that read nothing leaves no empty file.
                return Ok(());
            }
            pending.commit().map_err(Error::Destination)
        }
        None => {
            let stdout = io::stdout();
            let options = output::OutputOptions {
                terminal: terminal_of(Stream::Stdout, config.width, config.color),
                ..options
            };
            let mut out = BufWriter::new(stdout.lock());
            let result =
                output::write_findings(&mut out, report, &options).and_then(|()| out.flush());
            written(result, "stdout")
        }
    }
}
