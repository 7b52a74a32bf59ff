//! wmihunt: find registry persistence written through WMI's StdRegProv in EVTX evidence.
//!
//! Data flows one way (`docs/architecture.md`): paths → evidence files (`evidence`) → chunks
//! and records (`read`) → events (`event`) → findings (`detect`, `finding`) → passes that add
//! to findings (`pass`) → the run report (`report`) → outputs (`output`). `run` carries out a
//! command; `cli` is the only module that knows clap.
//!
//! The library's surface is what the binary, the fuzzer and the tests need: `cli::parse`,
//! `run` and `Exit` for the binary; `scan_buffer` (one EVTX file in memory, through the same
//! reader and matcher as the CLI) with the `Finding` it returns for the fuzzer and the tests
//! of crafted files.

pub mod cli;
mod config;
mod detect;
mod event;
mod evidence;
mod exit;
mod filter;
mod finding;
mod output;
mod pass;
mod problem;
mod read;
mod report;
mod run;

pub use exit::Exit;
pub use finding::Finding;
pub use pass::detection::{scan_buffer, Detected, ScanOptions};
pub use run::run;
