//! The end-to-end tests: the binary as a user runs it, on the generated fixtures in `testdata/`
//! (and on the shared real samples, pySigma and Chromium when they are there), in one test
//! binary so that the crate is linked into tests once, not once per file. Each module is one
//! theme; `support` holds what they share (running wmihunt and checking how it ended, reading
//! its NDJSON strictly, writing logs). A new test goes in the module of its theme.

/// The module map of `src/`, and this layout of the tests, enforced.
mod architecture;
/// Who made the call: the attribution scenarios and the real positive.
mod attribution;
/// What a result rests on: registry events judged per source and per host.
mod coverage;
/// Damaged logs, odd paths, copies, zip collections, the evidence never modified.
mod evidence;
/// `--min-level`, `--host`, the allowlist, the format named by `-o`, the help.
mod filters;
/// ECS, `_bulk`, Timesketch, CSV and the Sigma export, parsed back.
mod formats;
/// Hostile EVTX from fuzzing and crafted chunks: no panic, no hang, the pre-filter agrees.
mod fuzz_regressions;
/// The table, `-o` and its refusals, a closed pipe, `-v` and `-q`.
mod output;
/// The HTML case report, and the same reports in Chromium.
mod report;
/// The scan on the fixtures: findings, fields, order, triage, time window, exit codes, catalog.
mod scan;
/// The Sigma export's rules run in pySigma, compared with what wmihunt reports.
mod sigma;
mod support;
/// The terminal view at 80, 120 and 200 columns, colour, and the README's triage session.
mod terminal;
/// The Velociraptor artifact and the script that sets its tool.
mod velociraptor;
/// The wider catalog and WMI subscriptions: the real samples' exact findings, the fixtures.
mod wmi_whole;
