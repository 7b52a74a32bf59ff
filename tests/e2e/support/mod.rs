//! Shared by the end-to-end tests: running the binary, reading its NDJSON strictly
//! (`ndjson.rs`), and the fixture cases.

mod ndjson;

pub use ndjson::*;
pub use wmihunt_testkit::cases;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Runs `wmihunt` with `args`.
pub fn wmihunt<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_wmihunt"))
        .args(args)
        .output()
        .expect("run wmihunt")
}

/// Runs `wmihunt scan --format ndjson` on `paths` with `extra` flags; parses stdout, every line
/// strictly, and gives the registry findings (`scan_all` gives the subscriptions too).
pub fn scan_ndjson(paths: &[&Path], extra: &[&str]) -> (Vec<Line>, Output) {
    let (all, out) = scan_all(paths, extra);
    let lines = all
        .into_iter()
        .filter_map(|l| match l {
            AnyLine::Registry(l) => Some(l),
            AnyLine::Subscription(_) => None,
        })
        .collect();
    (lines, out)
}

/// Runs `wmihunt scan --format ndjson` on `paths` with `extra` flags; every line, parsed.
pub fn scan_all(paths: &[&Path], extra: &[&str]) -> (Vec<AnyLine>, Output) {
    let mut args: Vec<std::ffi::OsString> = vec![
        "scan".into(),
        "--format".into(),
        "ndjson".into(),
        "--no-progress".into(),
    ];
    args.extend(extra.iter().map(Into::into));
    args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    let out = wmihunt(&args);
    let lines = String::from_utf8(out.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(AnyLine::parse)
        .collect();
    (lines, out)
}

/// `testdata/multi_chunk.evtx` cut inside chunk 4 (chunks 0-3 whole, then 1000 bytes of
/// chunk 4), written as `dir/name`.
pub fn cut_log(dir: &Path, name: &str) -> PathBuf {
    let full = std::fs::read(testdata().join("multi_chunk.evtx")).expect("fixture");
    let path = dir.join(name);
    std::fs::write(&path, &full[..4096 + 4 * 65536 + 1000]).expect("write the cut copy");
    path
}

/// Exit code of a finished process.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
