//! wmihunt: find registry persistence written through WMI's StdRegProv in EVTX evidence.
//!
//! Data flows one way: paths → evidence files (`discover`) → chunks and records (`reader`,
//! with `prefilter`) → registry events (`event`) → findings (`detect`, `finding`) → outputs
//! (`output`). `scan` runs the middle on a thread pool; `run` ties it together for `main`.

pub mod archive;
pub mod cli;
pub mod config;
pub mod detect;
pub mod discover;
pub mod event;
pub mod execution;
pub mod exit;
pub mod finding;
pub mod output;
pub mod prefilter;
pub mod progress;
pub mod reader;
pub mod rendered;
pub mod scan;
pub mod triage;

use config::{Command, ScanConfig};
use exit::Exit;
use output::destination::Destination;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::Instant;

/// Runs a command and says how the process should exit.
pub fn run(command: Command) -> Exit {
    match command {
        Command::Rules { format } => {
            let stdout = io::stdout();
            let interactive = stdout.is_terminal();
            let mut out = BufWriter::new(stdout.lock());
            let written =
                output::write_rules(&mut out, format, interactive).and_then(|()| out.flush());
            finish_output(written, "stdout")
        }
        Command::Scan(config) => scan_command(&config),
    }
}

/// Maps an output error to an exit code: a closed pipe (`| head`) is a normal end.
fn finish_output(written: io::Result<()>, target: &str) -> Exit {
    match written {
        Ok(()) => Exit::Success,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
        Err(e) => {
            eprintln!("wmihunt: error: cannot write to {target}: {e}");
            Exit::Failure
        }
    }
}

fn scan_command(config: &ScanConfig) -> Exit {
    let started = Instant::now();
    // Check the destination first: a path that would replace evidence, or an existing file
    // without --clobber, is refused before anything is read or written.
    let destination = match &config.output {
        Some(path) => match Destination::check(path, config.clobber, &config.paths) {
            Ok(destination) => Some(destination),
            Err(message) => {
                eprintln!("wmihunt: error: {message}");
                return Exit::Failure;
            }
        },
        None => None,
    };
    let discovery = discover::discover(&config.paths);
    // Created after the walk, so that it is never among the files found; still before the
    // scan, so that an unwritable folder fails at once.
    let mut pending = match destination.as_ref().map(Destination::create).transpose() {
        Ok(pending) => pending,
        Err(message) => {
            eprintln!("wmihunt: error: {message}");
            return Exit::Failure;
        }
    };
    // Archive members declare their own sizes, which a crafted zip can make absurd.
    let total_bytes = discovery
        .files
        .iter()
        .fold(0u64, |sum, f| sum.saturating_add(f.len));
    let bar = progress::Bar::new(config.progress, total_bytes, discovery.files.len() as u64);
    let mut result = match scan::scan(&discovery.files, &config.scan, &bar) {
        Ok(result) => result,
        Err(message) => {
            bar.finish();
            eprintln!("wmihunt: error: {message}");
            return Exit::Failure;
        }
    };
    bar.finish();
    if config.dedup {
        result.findings = finding::dedup(std::mem::take(&mut result.findings));
    }
    let scan_elapsed = started.elapsed();
    let check = config.execution_check.then(|| {
        let check_started = Instant::now();
        let checked = execution::check(
            &discovery.files,
            &result.files,
            &mut result.findings,
            config.scan.threads,
            config.scan.recover,
        );
        checked
            .map(|stats| (stats, check_started.elapsed()))
            .map_err(|message| eprintln!("wmihunt: error: execution check failed: {message}"))
    });
    finding::sort(&mut result.findings, config.sort);

    let stdout = io::stdout();
    let interactive = pending.is_none() && stdout.is_terminal();
    let mut stdout = BufWriter::new(stdout);
    let (out, target): (&mut dyn Write, String) = match (pending.as_mut(), &destination) {
        (Some(pending), Some(destination)) => {
            (pending.writer(), destination.path().display().to_string())
        }
        _ => (&mut stdout, "stdout".into()),
    };
    let options = output::OutputOptions {
        format: config.format,
        interactive,
        time: config.time_display.clone(),
        bulk_index: config.bulk_index.clone(),
    };
    let written =
        output::write_findings(out, &result.findings, &options).and_then(|()| out.flush());
    let mut output_exit = finish_output(written, &target);

    let stderr = io::stderr();
    let mut err = stderr.lock();
    // Diagnostics are best effort: a closed stderr must not turn into a failure.
    let _ = output::summary::write_problems(&mut err, &discovery, &result);
    if config.host_summary {
        let _ = output::summary::write_hosts(&mut err, &result, &config.time_display);
    }
    if !config.quiet {
        let _ = output::summary::write_summary(
            &mut err,
            &discovery,
            &result,
            scan_elapsed,
            config.verbose,
        );
        if let Some(Ok((stats, elapsed))) = &check {
            let _ = output::summary::write_execution_check(&mut err, stats, *elapsed);
        }
    }
    let _ = output::summary::write_coverage_warning(&mut err, &result);

    if discovery.files.is_empty() {
        let _ = writeln!(
            err,
            "wmihunt: error: no readable EVTX file in the given paths"
        );
        // The output is dropped unwritten: a run that read nothing leaves no empty file.
        return Exit::Failure;
    }
    if output_exit != Exit::Failure {
        if let Some(pending) = pending {
            if let Err(message) = pending.commit() {
                let _ = writeln!(err, "wmihunt: error: {message}");
                output_exit = Exit::Failure;
            }
        }
    }
    if output_exit == Exit::Failure {
        return Exit::Failure;
    }
    let check_failed = matches!(check, Some(Err(())));
    let problems = discovery.errors.len()
        + discovery.unreadable_logs.len()
        + result.errors.len()
        + usize::from(check_failed);
    Exit::for_scan(result.findings.len(), problems, config.fail_on_findings)
}
