//! Shared by the end-to-end tests: where things are, running the binary and checking how it
//! ended, reading its NDJSON strictly (`ndjson.rs`), writing logs from the test kit's events,
//! and the fixture cases.

mod ndjson;

pub use ndjson::*;
pub use wmihunt_testkit::cases;

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wmihunt_testkit::writer::{try_write_to_vec, Event};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `testdata/`.
pub fn testdata() -> PathBuf {
    root().join("testdata")
}

/// The shared real samples, when present: `WMIHUNT_SAMPLES` or `../shared/evtx`.
pub fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("WMIHUNT_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/evtx"));
    dir.is_dir().then_some(dir)
}

/// The paths the environment variables `vars` name: tools a test drives that `.ci/run` installs
/// (pySigma, Chromium). When one is not set, `None`, after saying on stderr that `test` is
/// skipped; but in CI (`CI=true`) a missing tool fails the test, which must not pass unrun there.
#[track_caller]
pub fn tools<const N: usize>(test: &str, vars: [&str; N]) -> Option<[PathBuf; N]> {
    let found = vars.map(|var| std::env::var_os(var).map(PathBuf::from));
    if found.iter().all(Option::is_some) {
        return Some(found.map(Option::unwrap));
    }
    let missing: Vec<&str> = vars
        .iter()
        .zip(&found)
        .filter(|(_, path)| path.is_none())
        .map(|(var, _)| *var)
        .collect();
    let missing = missing.join(" and ");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {missing} not set: .ci/run sets it up"
    );
    // Straight to stderr: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "{test}: skipped: set {missing} (see .ci/run)"
    );
    None
}

/// A finished run of wmihunt: its exit code and output as text, and its command line, so that
/// a failed check can say which run it was and show the stderr that almost always says why.
#[derive(Debug)]
pub struct Run {
    /// The arguments, as one line for messages.
    pub args: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run `out` of wmihunt with `args`. A run killed by a signal (a stack overflow aborts)
    /// fails the test here, with its stderr: no exit code is right for it.
    pub fn new(args: String, out: Output) -> Run {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let Some(code) = out.status.code() else {
            panic!("wmihunt {args}: {}\n{stderr}", out.status);
        };
        let stdout = String::from_utf8(out.stdout)
            .unwrap_or_else(|e| panic!("wmihunt {args}: stdout is not UTF-8: {e}"));
        Run {
            args,
            code,
            stdout,
            stderr,
        }
    }

    /// Fails unless wmihunt exited with `code`, showing the command line and stderr.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code of wmihunt {}; stderr:\n{}",
            self.args, self.stderr
        );
        self
    }

    /// Fails unless stderr holds `text`, showing the command line and stderr.
    #[track_caller]
    pub fn assert_stderr_has(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "stderr of wmihunt {} lacks {text:?}:\n{}",
            self.args,
            self.stderr
        );
        self
    }

    /// Fails if stderr holds `text`, showing the command line and stderr.
    #[track_caller]
    pub fn assert_stderr_lacks(&self, text: &str) -> &Run {
        assert!(
            !self.stderr.contains(text),
            "stderr of wmihunt {} holds {text:?}:\n{}",
            self.args,
            self.stderr
        );
        self
    }
}

/// Runs `wmihunt` with `args`.
pub fn wmihunt<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().collect();
    let out = Command::new(env!("CARGO_BIN_EXE_wmihunt"))
        .args(&args)
        .output()
        .expect("run wmihunt");
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
    Run::new(shown.join(" "), out)
}

/// The stdout of `wmihunt` with `args`, which must succeed (exit 0).
#[track_caller]
pub fn stdout_of(args: &[&str]) -> String {
    let run = wmihunt(args);
    run.assert_code(0);
    run.stdout
}

/// The stdout of `wmihunt scan -q --format FORMAT` with `args` (flags and inputs), which must
/// succeed: an output format as the tool that imports it would read it.
#[track_caller]
pub fn scan_as(format: &str, args: &[&str]) -> String {
    stdout_of(&[&["scan", "--no-progress", "-q", "--format", format], args].concat())
}

/// Runs `wmihunt scan --format ndjson` on `paths` with `extra` flags; parses stdout, every line
/// strictly, and gives the registry findings (`scan_all` gives the subscriptions too).
pub fn scan_ndjson(paths: &[&Path], extra: &[&str]) -> (Vec<Line>, Run) {
    let (all, run) = scan_all(paths, extra);
    let lines = all
        .into_iter()
        .filter_map(|l| match l {
            AnyLine::Registry(l) => Some(l),
            AnyLine::Subscription(_) => None,
        })
        .collect();
    (lines, run)
}

/// Runs `wmihunt scan --format ndjson` on `paths` with `extra` flags; every line, parsed.
pub fn scan_all(paths: &[&Path], extra: &[&str]) -> (Vec<AnyLine>, Run) {
    let mut args: Vec<&OsStr> = ["scan", "--format", "ndjson", "--no-progress"]
        .iter()
        .chain(extra)
        .map(OsStr::new)
        .collect();
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let run = wmihunt(args);
    let lines = run.stdout.lines().map(AnyLine::parse).collect();
    (lines, run)
}

/// Each line of `text` as JSON (the other formats' lines, `wmihunt rules --format ndjson`).
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// The catalog as `wmihunt rules --format ndjson` lists it, a rule a value.
pub fn rules() -> Vec<serde_json::Value> {
    json_lines(&stdout_of(&["rules", "--format", "ndjson"]))
}

/// A CSV output read back: the header and the rows, and cells by column name.
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<csv::StringRecord>,
}

impl Csv {
    /// Parses `text` (the whole of a `--format csv` output).
    pub fn parse(text: &str) -> Csv {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader.records().map(Result::unwrap).collect();
        Csv { header, rows }
    }

    /// The cell of `row` in the column named `name`.
    pub fn cell<'a>(&self, row: &'a csv::StringRecord, name: &str) -> &'a str {
        let at = self.header.iter().position(|h| h == name);
        &row[at.unwrap_or_else(|| panic!("no column {name}"))]
    }
}

/// Writes `events` as one EVTX file `dir/name` (the test kit's writer) and gives its path.
pub fn write_evtx(dir: &Path, name: &str, events: &[Event]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, try_write_to_vec(events).expect("events fit")).unwrap();
    path
}

/// Copies the fixture `testdata/name` to `to` (evidence laid out as a test needs it).
pub fn copy_fixture(name: &str, to: &Path) {
    fs::copy(testdata().join(name), to)
        .unwrap_or_else(|e| panic!("copy {name} to {}: {e}", to.display()));
}

/// `testdata/multi_chunk.evtx` cut inside chunk 4 (chunks 0-3 whole, then 1000 bytes of
/// chunk 4), written as `dir/name`.
pub fn cut_log(dir: &Path, name: &str) -> PathBuf {
    let full = fs::read(testdata().join("multi_chunk.evtx")).expect("fixture");
    let path = dir.join(name);
    fs::write(&path, &full[..4096 + 4 * 65536 + 1000]).expect("write the cut copy");
    path
}
