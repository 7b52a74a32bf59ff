//! The end-to-end tests: the binary as a user runs it, on the generated fixtures in `testdata/`
//! (and on the shared real samples, pySigma and Chromium when they are there), in one test
//! binary so that the crate is linked into tests once, not once per file. Each module is one
//! theme; `support` holds what they share (running wmihunt, reading its NDJSON strictly).

mod architecture;
mod attribution;
mod coverage;
mod evidence;
mod filters;
mod formats;
mod fuzz_regressions;
mod output;
mod report;
mod scan;
mod sigma;
mod support;
mod velociraptor;
mod wmi_whole;
