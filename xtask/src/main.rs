//! wmihunt's project tooling, one small Rust program instead of scripts: regenerating the
//! fixtures, writing benchmark corpora, running the benchmark, and comparing the findings of
//! two revisions. Run it as `cargo xtask <subcommand>` (an alias for
//! `cargo run -p xtask --release -- <subcommand>`).

mod bench;
mod compare;
mod corpus;
mod error;
mod testdata;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// wmihunt's tooling: fixtures, corpora, benchmark, behaviour comparison.
#[derive(Debug, Parser)]
#[command(name = "xtask", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate testdata/ from the fixture cases (testkit/src/cases.rs).
    Testdata,
    /// Write a benchmark corpus (synthetic, or grown from the shared real samples' chunks).
    Corpus(corpus::Args),
    /// Benchmark wmihunt against evtx_dump, cat and (when installed) chainsaw and hayabusa.
    Bench(bench::Args),
    /// Check that the current tree gives byte-identical NDJSON to a git revision.
    Compare(compare::Args),
    /// (Used by `bench`.) Run the commands given on stdin as JSON and print what they cost.
    #[command(hide = true)]
    RunMeasured,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Testdata => testdata::run(),
        Command::Corpus(args) => corpus::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Compare(args) => compare::run(args),
        Command::RunMeasured => bench::runner_main(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository's root (the xtask lives in `xtask/` under it).
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The shared real samples: `$WMIHUNT_SAMPLES`, else `../shared/evtx` beside the checkout (as
/// the tests find them).
fn samples_dir() -> PathBuf {
    match std::env::var_os("WMIHUNT_SAMPLES") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("../shared/evtx"),
    }
}

/// Every file under `dir`, recursively, in path order.
fn files_under(dir: &Path) -> error::Result<Vec<PathBuf>> {
    use error::Context;
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).context(|| dir.display().to_string())? {
            let path = entry.context(|| dir.display().to_string())?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
