//! wmihunt's project tooling, one small Rust program instead of scripts: regenerating the
//! fixtures, writing benchmark corpora, running the benchmark, and comparing the findings of
//! two revisions. Run it as `cargo xtask <subcommand>` (an alias for
//! `cargo run -p xtask --release -- <subcommand>`).

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
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Testdata => testdata::run(),
        Command::Corpus(args) => corpus::run(args),
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
