//! `xtask bench`: wmihunt against the full-parse baseline `evtx_dump`, against reading the
//! bytes (`cat`), and against chainsaw and hayabusa when they are installed, on synthetic and
//! real-chunk corpora (docs/performance.md says how and why).
//!
//! For each corpus: one untimed warm-up (every timed run then reads from the page cache), then
//! rounds in which every configuration runs once, side by side, each on a quiet machine and
//! repeated when other processes got busy during it. Every wmihunt run is checked: the same
//! findings in every configuration, and exactly the corpus' truth. The report is Markdown
//! tables of the medians and the targets, in `bench-out/results-<time>.md`, with the raw runs
//! in `bench-out/raw-<time>.tsv`.

mod report;
mod run;

pub use run::runner_main;

use crate::corpus::{self, file_name, Kind, Summary, Truth};
use crate::error::{Context, Result};
use run::{Invocation, Quiet, Usage};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs under this many seconds are too short to judge other processes' load.
const MIN_JUDGED_WALL: f64 = 0.25;
/// Other processes' load (cores) above which a run is repeated.
const BUSY_CORES: f64 = 0.5;
/// Corpora of this size and more use `--reps-big` rounds.
const BIG_MIB: u64 = 2048;

/// Benchmark wmihunt (see docs/performance.md).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Smoke run: 16 and 64 MiB corpora, 1 round.
    #[arg(long)]
    quick: bool,
    /// Timed rounds per corpus and configuration (default 5; --quick: 1).
    #[arg(long)]
    reps: Option<u32>,
    /// Rounds for corpora of 2 GiB and more (default: --reps).
    #[arg(long)]
    reps_big: Option<u32>,
    /// Keep the generated corpora (default: delete them at the end).
    #[arg(long)]
    keep: bool,
    /// Where binaries, corpora and results go (default: bench-out/ in the checkout).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only the corpora whose name contains this.
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Before each timed run, wait until other processes use fewer cores than this.
    #[arg(long, default_value_t = 0.3)]
    quiet_cores: f64,
    /// ...for at most this many seconds per run (default 120; --quick: 15),
    #[arg(long, value_name = "SECONDS")]
    quiet_max: Option<u64>,
    /// ...and this many in all (default 900; --quick: 120).
    #[arg(long, value_name = "SECONDS")]
    quiet_budget: Option<u64>,
    /// Repeat a run during which others used more than 0.5 cores, up to this many times.
    #[arg(long, default_value_t = 2)]
    retries: u32,
}

/// One corpus of the plan.
#[derive(Debug, Clone)]
struct CorpusPlan {
    name: String,
    kind: Kind,
    mib: u64,
    files: u64,
}

/// Which corpora each target is computed on.
#[derive(Debug, Clone, Default)]
struct Roles {
    /// Real Sysmon single files, smallest first (MB/s flatness, ≥ 4× evtx_dump, cat).
    real_sysmon: Vec<String>,
    /// Real Security single files, smallest first (≥ 6× evtx_dump, cat).
    real_security: Vec<String>,
    /// The folder of small real-chunk files, and the single file of the same size.
    folder: (String, String),
    /// 1 vs 2 threads.
    threads: String,
}

/// A corpus named by its kind, size and layout: `sysmon-64M`, `real-security-4G`,
/// `real-folder-2000x-256M`.
fn corpus(kind: Kind, mib: u64, files: u64) -> CorpusPlan {
    let size = match mib % 1024 {
        0 => format!("{}G", mib / 1024),
        _ => format!("{mib}M"),
    };
    let name = match (files, kind.is_real()) {
        (1, _) => format!("{}-{size}", kind.name()),
        (_, false) => format!("folder-{files}x-{size}"),
        (_, true) => format!("real-folder-{files}x-{size}"),
    };
    CorpusPlan {
        name,
        kind,
        mib,
        files,
    }
}

/// Corpus sizes (MiB) of a run.
struct Sizes {
    synthetic: &'static [u64],
    dense: u64,
    real_sysmon: &'static [u64],
    real_security: &'static [u64],
    folder: u64,
    folder_files: u64,
}

/// The corpora of a full or a quick run.
fn plan(quick: bool) -> Vec<CorpusPlan> {
    use Kind::*;
    let sizes = match quick {
        true => Sizes {
            synthetic: &[16],
            dense: 16,
            real_sysmon: &[16, 64],
            real_security: &[16, 64],
            folder: 16,
            folder_files: 100,
        },
        false => Sizes {
            synthetic: &[64, 256, 1024, 2048],
            dense: 256,
            real_sysmon: &[64, 256, 1024, 4096],
            real_security: &[64, 1024, 4096],
            folder: 256,
            folder_files: 2000,
        },
    };
    let mut corpora: Vec<CorpusPlan> = sizes
        .synthetic
        .iter()
        .map(|&m| corpus(Sysmon, m, 1))
        .collect();
    corpora.push(corpus(Sysmon30, sizes.dense, 1));
    corpora.push(corpus(Security, sizes.dense, 1));
    if !quick {
        corpora.push(corpus(Sysmon, sizes.folder, sizes.folder_files));
    }
    corpora.extend(sizes.real_sysmon.iter().map(|&m| corpus(RealSysmon, m, 1)));
    corpora.extend(
        sizes
            .real_security
            .iter()
            .map(|&m| corpus(RealSecurity, m, 1)),
    );
    corpora.push(corpus(RealSysmon, sizes.folder, sizes.folder_files));
    corpora
}

/// Which corpora each target is computed on, from the plan: the real single files by size,
/// the real folder and the real file of its size, and the largest real Sysmon file up to
/// 1 GiB for threads.
fn roles(corpora: &[CorpusPlan]) -> Roles {
    let files_of = |kind: Kind| -> Vec<&CorpusPlan> {
        let mut files: Vec<&CorpusPlan> = corpora
            .iter()
            .filter(|c| c.kind == kind && c.files == 1)
            .collect();
        files.sort_by_key(|c| c.mib);
        files
    };
    let sysmon = files_of(Kind::RealSysmon);
    let folder = corpora
        .iter()
        .find(|c| c.kind == Kind::RealSysmon && c.files > 1);
    let peer = folder.and_then(|f| sysmon.iter().find(|c| c.mib == f.mib));
    let threads = sysmon.iter().rev().find(|c| c.mib <= 1024);
    let name = |c: Option<&CorpusPlan>| c.map(|c| c.name.clone()).unwrap_or_default();
    Roles {
        real_sysmon: sysmon.iter().map(|c| c.name.clone()).collect(),
        real_security: files_of(Kind::RealSecurity)
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        folder: (name(folder), name(peer.copied())),
        threads: name(threads.copied()),
    }
}

/// What a configuration runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tool {
    /// `wmihunt scan --format ndjson`, with `threads`, pre-filter and execution check on or off.
    Wmihunt {
        threads: u32,
        prefilter: bool,
        execution_check: bool,
    },
    /// `evtx_dump -o jsonl -t N`, one process per file.
    EvtxDump { threads: u32 },
    /// `cat FILES > /dev/null`: reading the bytes.
    Cat,
    /// `chainsaw hunt` with the Sigma rule.
    Chainsaw { mapping: PathBuf },
    /// `hayabusa json-timeline` with the Sigma rule.
    Hayabusa,
}

/// One configuration: what runs, and how the report names it.
#[derive(Debug, Clone)]
struct Config {
    id: &'static str,
    label: &'static str,
    tool: Tool,
    program: PathBuf,
}

impl Config {
    fn is_wmihunt(&self) -> bool {
        matches!(self.tool, Tool::Wmihunt { .. })
    }
}

/// One timed run, as the raw TSV has it.
#[derive(Debug, Clone)]
struct RunRecord {
    corpus: usize,
    config: usize,
    round: u32,
    usage: Usage,
    /// NDJSON lines (wmihunt only).
    findings: Option<u64>,
}

/// A written corpus, ready to measure.
struct Prepared {
    plan: CorpusPlan,
    path: PathBuf,
    summary: Summary,
}

/// Everything the report needs.
struct Bench {
    corpora: Vec<Prepared>,
    configs: Vec<Config>,
    runs: Vec<RunRecord>,
    roles: Roles,
    reps: u32,
    reps_big: u32,
    repeated: u32,
    quiet: Quiet,
    notes: Vec<String>,
    baseline: String,
    rev: String,
    /// Where the Sigma rule for chainsaw and hayabusa is ([`write_sigma_rule`]).
    sigma: PathBuf,
    /// The copy of the xtask that starts measured commands.
    runner: PathBuf,
}

/// Deletes the corpora and run outputs at the end, also when the run fails, unless kept.
struct Cleanup {
    dirs: Vec<PathBuf>,
    keep: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.keep {
            for dir in &self.dirs {
                let _ = fs::remove_dir_all(dir);
            }
        }
    }
}

/// `xtask bench`.
pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let root = crate::root();
    let out = args.out.clone().unwrap_or_else(|| root.join("bench-out"));
    let (bin, corpora_dir, runs_dir) = (out.join("bin"), out.join("corpora"), out.join("runs"));
    for dir in [&bin, &corpora_dir, &runs_dir] {
        fs::create_dir_all(dir).context(|| dir.display().to_string())?;
    }
    let _cleanup = Cleanup {
        dirs: vec![corpora_dir.clone(), runs_dir.clone()],
        keep: args.keep,
    };
    let mut plans = plan(args.quick);
    let roles = roles(&plans);
    if let Some(only) = &args.only {
        plans.retain(|p| p.name.contains(only.as_str()));
    }
    let samples = crate::samples_dir();
    if plans.iter().any(|p| p.kind.is_real()) && !samples.is_dir() {
        return Err(format!(
            "the real-chunk corpora need the shared samples at {} (set $WMIHUNT_SAMPLES); \
             --only can pick the synthetic corpora alone",
            samples.display()
        )
        .into());
    }
    let reps = args.reps.unwrap_or(if args.quick { 1 } else { 5 });
    let wmihunt = build(&root, &bin)?;
    // The runner that starts each measured command (see `run`), copied aside like wmihunt.
    let runner = bin.join("xtask-runner");
    let exe = std::env::current_exe().context(|| "the xtask's own path".into())?;
    fs::copy(&exe, &runner).context(|| exe.display().to_string())?;
    let mut notes = Vec::new();
    let (evtx_dump, baseline) = baseline(&out, &mut notes);
    let configs = configs(&wmihunt, evtx_dump.as_deref(), &out, &mut notes)?;
    check_disk(&out, &plans)?;

    let mut corpora = Vec::new();
    for plan in plans {
        let path = match plan.files {
            1 => corpora_dir.join(format!("{}.evtx", plan.name)),
            _ => corpora_dir.join(&plan.name),
        };
        let _ = fs::remove_dir_all(&path);
        let _ = fs::remove_file(&path);
        let spec = corpus::Spec {
            kind: plan.kind,
            size_mib: plan.mib,
            files: plan.files,
            seed: corpus::DEFAULT_SEED,
            samples: samples.clone(),
            out: path.clone(),
        };
        let summary = corpus::generate(&spec).context(|| format!("generating {}", plan.name))?;
        eprintln!(
            "bench: generated {}: {} file(s), {} records, {:.2}% of {} chunks name WmiPrvSE.exe, truth {}",
            plan.name,
            summary.files.len(),
            summary.records,
            summary.wmi_chunk_pct(),
            summary.chunks,
            summary.truth.count().map_or("unknown".into(), |n| n.to_string()),
        );
        corpora.push(Prepared {
            plan,
            path,
            summary,
        });
    }
    // Write the corpora out now: otherwise the kernel flushes gigabytes of dirty pages while
    // the first corpora are timed, and those runs come out slower.
    eprintln!("bench: flushing the corpora to disk");
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };

    let mut bench = Bench {
        corpora,
        configs,
        runs: Vec::new(),
        roles,
        reps,
        reps_big: args.reps_big.unwrap_or(reps),
        repeated: 0,
        quiet: Quiet {
            cores: args.quiet_cores,
            max_per_run: Duration::from_secs(args.quiet_max.unwrap_or(if args.quick {
                15
            } else {
                120
            })),
            budget: Duration::from_secs(args.quiet_budget.unwrap_or(if args.quick {
                120
            } else {
                900
            })),
            waited: Duration::ZERO,
        },
        notes,
        baseline,
        rev: git_rev(&root),
        sigma: out.join("sigma"),
        runner,
    };
    for i in 0..bench.corpora.len() {
        bench.measure(i, &runs_dir, args.retries)?;
    }
    let stamp = report::stamp();
    let raw = out.join(format!("raw-{stamp}.tsv"));
    fs::write(&raw, bench.raw_tsv()).context(|| raw.display().to_string())?;
    let text = bench.report(&stamp);
    let path = out.join(format!("results-{stamp}.md"));
    fs::write(&path, &text).context(|| path.display().to_string())?;
    println!("{text}");
    eprintln!(
        "bench: report: {}; raw measurements: {}; total time {:.0} s",
        path.display(),
        raw.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Builds wmihunt in release mode and copies it aside, so that a `cargo build` running at the
/// same time cannot swap it mid-run.
fn build(root: &Path, bin: &Path) -> Result<PathBuf> {
    eprintln!("bench: building wmihunt (release)");
    let status = Command::new("cargo")
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "wmihunt",
            "--bin",
            "wmihunt",
        ])
        .current_dir(root)
        .status()
        .context(|| "cargo build".into())?;
    if !status.success() {
        return Err("cargo build failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let built = target.join("release/wmihunt");
    let copy = bin.join("wmihunt");
    fs::copy(&built, &copy).context(|| built.display().to_string())?;
    Ok(copy)
}

/// Finds `evtx_dump`, installing it when missing; returns it (or `None`: no baseline) and its
/// version with how it came to be there.
fn baseline(out: &Path, notes: &mut Vec<String>) -> (Option<PathBuf>, String) {
    let mut how = "already installed".to_string();
    if run::which("evtx_dump").is_none() {
        eprintln!("bench: installing the baseline: cargo install evtx --locked");
        let started = Instant::now();
        let log = out.join("evtx-install.log");
        let installed = fs::File::create(&log).ok().and_then(|f| {
            let err = f.try_clone().ok()?;
            Command::new("cargo")
                .args(["install", "evtx", "--locked"])
                .stdout(f)
                .stderr(err)
                .status()
                .ok()
        });
        how = format!(
            "installed by this run in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        if !installed.is_some_and(|s| s.success()) {
            notes.push(format!(
                "evtx_dump could not be installed (see {}): no baseline",
                log.display()
            ));
            return (None, "n/a (install failed)".into());
        }
    }
    let Some(path) = run::which("evtx_dump") else {
        notes.push("evtx_dump is not on PATH after installing: no baseline".into());
        return (None, "n/a".into());
    };
    let version = Command::new(&path)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "evtx_dump (version unknown)".into());
    (Some(path), format!("{version} ({how})"))
}

/// The configurations, in the order each round runs them.
fn configs(
    wmihunt: &Path,
    evtx_dump: Option<&Path>,
    out: &Path,
    notes: &mut Vec<String>,
) -> Result<Vec<Config>> {
    let wm = |id, label, threads, prefilter, execution_check| Config {
        id,
        label,
        tool: Tool::Wmihunt {
            threads,
            prefilter,
            execution_check,
        },
        program: wmihunt.to_path_buf(),
    };
    let mut configs = vec![
        wm("wmihunt-j1", "wmihunt -j1", 1, true, true),
        wm("wmihunt-j2", "wmihunt -j2", 2, true, true),
        wm(
            "noexec-j2",
            "wmihunt -j2 --no-execution-check",
            2,
            true,
            false,
        ),
        wm("nopf-j1", "wmihunt -j1 --no-prefilter", 1, false, true),
        wm("nopf-j2", "wmihunt -j2 --no-prefilter", 2, false, true),
    ];
    if let Some(dump) = evtx_dump {
        for (id, label, threads) in [
            ("evtx_dump-t1", "evtx_dump -t 1", 1),
            ("evtx_dump-t2", "evtx_dump -t 2", 2),
        ] {
            configs.push(Config {
                id,
                label,
                tool: Tool::EvtxDump { threads },
                program: dump.to_path_buf(),
            });
        }
    }
    if let Some(cat) = run::which("cat") {
        configs.push(Config {
            id: "cat",
            label: "cat (reading the bytes)",
            tool: Tool::Cat,
            program: cat,
        });
    }
    let chainsaw = run::which("chainsaw");
    let hayabusa = run::which("hayabusa");
    if chainsaw.is_none() && hayabusa.is_none() {
        notes.push("chainsaw and hayabusa are not on PATH: not compared".into());
        return Ok(configs);
    }
    write_sigma_rule(wmihunt, out)?;
    if let Some(program) = chainsaw {
        match std::env::var_os("CHAINSAW_MAPPING") {
            Some(mapping) => configs.push(Config {
                id: "chainsaw",
                label: "chainsaw hunt (1 Sigma rule)",
                tool: Tool::Chainsaw {
                    mapping: PathBuf::from(mapping),
                },
                program,
            }),
            None => notes.push(
                "chainsaw is on PATH but $CHAINSAW_MAPPING (its sigma-event-logs-all.yml) is \
                 not set: not compared"
                    .into(),
            ),
        }
    }
    if let Some(program) = hayabusa {
        configs.push(Config {
            id: "hayabusa",
            label: "hayabusa json-timeline (1 Sigma rule)",
            tool: Tool::Hayabusa,
            program,
        });
    }
    Ok(configs)
}

/// The Sigma rule chainsaw and hayabusa run: wmihunt's own Run-key detection, exported by
/// `wmihunt rules --format sigma` (its first document), alone in `out/sigma/`.
fn write_sigma_rule(wmihunt: &Path, out: &Path) -> Result<()> {
    let output = Command::new(wmihunt)
        .args(["rules", "--format", "sigma"])
        .output()
        .context(|| "wmihunt rules --format sigma".into())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.split("\n---\n").next().unwrap_or_default();
    let dir = out.join("sigma");
    fs::create_dir_all(&dir).context(|| dir.display().to_string())?;
    let path = dir.join("wmihunt-run-keys.yml");
    fs::write(&path, format!("{}\n", first.trim_end())).context(|| path.display().to_string())
}

/// Stops before writing corpora that would not fit on the disk (with 10% and 256 MiB spare).
fn check_disk(out: &Path, plans: &[CorpusPlan]) -> Result<()> {
    let need: u64 = plans.iter().map(|p| p.mib).sum();
    let need = need + need / 10 + 256;
    let path = std::ffi::CString::new(out.as_os_str().as_encoded_bytes())
        .map_err(|_| "output path with a NUL")?;
    // SAFETY: statvfs fills in the plain struct for a NUL-terminated path.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return Err(format!("cannot read the free space of {}", out.display()).into());
    }
    let avail = stat.f_bavail as u64 * stat.f_frsize as u64 / (1024 * 1024);
    eprintln!(
        "bench: corpora need ~{need} MiB, {avail} MiB free at {}",
        out.display()
    );
    if avail <= need {
        return Err(format!("not enough free disk space in {}", out.display()).into());
    }
    Ok(())
}

fn git_rev(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let rev = git(&["rev-parse", "--short", "HEAD"]);
    let dirty = git(&[
        "status",
        "--porcelain",
        "--",
        "src",
        "Cargo.toml",
        "Cargo.lock",
    ]);
    let changes = dirty.lines().count();
    match (rev.is_empty(), changes) {
        (true, _) => "unknown".into(),
        (false, 0) => rev,
        (false, n) => format!("{rev} plus {n} uncommitted change(s) in src/ or Cargo.*"),
    }
}

impl Bench {
    /// Corpus `i` and configuration `c`.
    fn pair(&self, i: usize, c: usize) -> Result<(&Prepared, &Config)> {
        match (self.corpora.get(i), self.configs.get(c)) {
            (Some(corpus), Some(config)) => Ok((corpus, config)),
            _ => Err("no such corpus or configuration".into()),
        }
    }

    /// The processes a configuration runs on a corpus; wmihunt's NDJSON goes to `ndjson`.
    fn invocations(&self, config: &Config, corpus: &Prepared, ndjson: &Path) -> Vec<Invocation> {
        let path = corpus.path.display().to_string();
        let inv = |args: Vec<String>, stdout: Option<PathBuf>| Invocation {
            program: config.program.clone(),
            args,
            stdout,
        };
        let files = || corpus.summary.files.iter().map(|f| f.display().to_string());
        match &config.tool {
            Tool::Wmihunt {
                threads,
                prefilter,
                execution_check,
            } => {
                let mut args: Vec<String> = [
                    "scan",
                    &path,
                    "--format",
                    "ndjson",
                    "--no-progress",
                    "-q",
                    "-j",
                ]
                .map(String::from)
                .into();
                args.push(threads.to_string());
                if !prefilter {
                    args.push("--no-prefilter".into());
                }
                if !execution_check {
                    args.push("--no-execution-check".into());
                }
                vec![inv(args, Some(ndjson.to_path_buf()))]
            }
            // evtx_dump reads one file per run: one run per file, as a user would script it.
            Tool::EvtxDump { threads } => files()
                .map(|f| {
                    let args = ["-o", "jsonl", "-t", &threads.to_string(), &f].map(String::from);
                    inv(args.into(), None)
                })
                .collect(),
            Tool::Cat => vec![inv(files().collect(), None)],
            Tool::Chainsaw { mapping } => {
                let rules = self.sigma.display().to_string();
                let args = [
                    "hunt",
                    &path,
                    "-s",
                    &rules,
                    "--mapping",
                    &mapping.display().to_string(),
                    "--json",
                    "-q",
                ];
                vec![inv(args.map(String::from).into(), None)]
            }
            Tool::Hayabusa => {
                let rules = self.sigma.display().to_string();
                let target = if corpus.plan.files > 1 { "-d" } else { "-f" };
                let output = ndjson
                    .with_file_name("hayabusa.jsonl")
                    .display()
                    .to_string();
                let args = [
                    "json-timeline",
                    target,
                    &path,
                    "-r",
                    &rules,
                    "-o",
                    &output,
                    "-w",
                    "-C",
                ];
                vec![inv(args.map(String::from).into(), None)]
            }
        }
    }

    /// Warm-up, then the rounds, for corpus `i`.
    fn measure(&mut self, i: usize, runs_dir: &Path, retries: u32) -> Result<()> {
        let Some(corpus) = self.corpora.get(i) else {
            return Ok(());
        };
        let name = corpus.plan.name.clone();
        let reps = if corpus.plan.mib >= BIG_MIB && self.reps_big < self.reps {
            self.reps_big
        } else {
            self.reps
        };
        let ndjson = runs_dir.join("out.ndjson");
        eprintln!("bench: {name}: warm-up");
        let mut references: [Option<Vec<String>>; 2] = [None, None];
        let warm = self
            .configs
            .iter()
            .position(|c| c.id == "wmihunt-j2")
            .ok_or("no wmihunt -j2 configuration")?;
        self.run_wmihunt_checked(i, warm, &ndjson, &mut references)?;
        if let Some(dump) = self.configs.iter().position(|c| c.id == "evtx_dump-t2") {
            self.check_baseline(i, dump, runs_dir)?;
        }
        for round in 1..=reps {
            eprintln!("bench: {name}: round {round} of {reps}");
            for c in 0..self.configs.len() {
                let usage = self.run_measured(i, c, &ndjson, retries)?;
                let findings = match self.configs.get(c).is_some_and(Config::is_wmihunt) {
                    true => Some(self.check_wmihunt(i, c, &ndjson, &mut references)?),
                    false => None,
                };
                self.runs.push(RunRecord {
                    corpus: i,
                    config: c,
                    round,
                    usage,
                    findings,
                });
            }
        }
        Ok(())
    }

    /// One timed run on a quiet machine, repeated when other processes got busy during it.
    fn run_measured(&mut self, i: usize, c: usize, ndjson: &Path, retries: u32) -> Result<Usage> {
        let (corpus, config) = self.pair(i, c)?;
        let invocations = self.invocations(config, corpus, ndjson);
        let what = format!("{} {}", corpus.plan.name, config.label);
        let mut tries = 0;
        loop {
            self.quiet.wait();
            let usage = run::measure(&self.runner, &invocations).context(|| what.clone())?;
            let busy = usage.wall >= MIN_JUDGED_WALL && usage.other_cores > BUSY_CORES;
            if !busy || tries >= retries {
                return Ok(usage);
            }
            eprintln!(
                "bench: {what}: other processes used {:.2} cores during the run; repeating it",
                usage.other_cores
            );
            self.repeated += 1;
            tries += 1;
        }
    }

    /// The untimed warm-up wmihunt run, checked like the timed ones.
    fn run_wmihunt_checked(
        &mut self,
        i: usize,
        c: usize,
        ndjson: &Path,
        references: &mut [Option<Vec<String>>; 2],
    ) -> Result<u64> {
        let (corpus, config) = self.pair(i, c)?;
        run::measure(&self.runner, &self.invocations(config, corpus, ndjson))
            .context(|| format!("{}: warm-up", corpus.plan.name))?;
        self.check_wmihunt(i, c, ndjson, references)
    }

    /// Checks a wmihunt run's NDJSON: the same lines as every other run of its family on
    /// this corpus (runs without the execution check have their own reference, since their
    /// findings lack its result), and exactly the corpus' truth. Returns the findings.
    fn check_wmihunt(
        &self,
        i: usize,
        c: usize,
        ndjson: &Path,
        references: &mut [Option<Vec<String>>; 2],
    ) -> Result<u64> {
        let (corpus, config) = self.pair(i, c)?;
        let text = fs::read_to_string(ndjson).context(|| ndjson.display().to_string())?;
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        let family = match config.tool {
            Tool::Wmihunt {
                execution_check: false,
                ..
            } => 1,
            _ => 0,
        };
        let name = &corpus.plan.name;
        match references.get_mut(family) {
            Some(Some(reference)) if *reference != lines => {
                return Err(format!(
                    "{name}: {} output differs from the other wmihunt runs ({} vs {} lines)",
                    config.label,
                    lines.len(),
                    reference.len()
                )
                .into());
            }
            Some(Some(_)) => {}
            Some(slot) => {
                check_truth(name, &corpus.summary, &lines)?;
                *slot = Some(lines.clone());
            }
            None => {}
        }
        Ok(lines.len() as u64)
    }

    /// evtx_dump must render every record (this also loads the corpus into the page cache).
    fn check_baseline(&self, i: usize, c: usize, runs_dir: &Path) -> Result<()> {
        let (corpus, config) = self.pair(i, c)?;
        let mut lines = 0u64;
        let out = runs_dir.join("evtx_dump.jsonl");
        for mut inv in self.invocations(config, corpus, &out) {
            inv.stdout = Some(out.clone());
            run::measure(&self.runner, &[inv])
                .context(|| format!("{}: evtx_dump warm-up", corpus.plan.name))?;
            let text = fs::read(&out).context(|| out.display().to_string())?;
            lines += text.iter().filter(|&&b| b == b'\n').count() as u64;
        }
        let _ = fs::remove_file(&out);
        if lines != corpus.summary.records {
            return Err(format!(
                "{}: evtx_dump printed {lines} records, the generator wrote {}",
                corpus.plan.name, corpus.summary.records
            )
            .into());
        }
        Ok(())
    }
}

/// The findings must be the corpus' truth: the synthetic true positives exactly (file, record
/// ID, TargetObject), or as many distinct findings as the real samples' index counts.
fn check_truth(name: &str, summary: &Summary, lines: &[String]) -> Result<()> {
    match &summary.truth {
        Truth::Records(_) => {
            let mut got = BTreeSet::new();
            for line in lines {
                let v: serde_json::Value = serde_json::from_str(line)
                    .context(|| format!("{name}: a line that is not JSON"))?;
                let file = file_name(Path::new(v["source_path"].as_str().unwrap_or_default()));
                let target = v["target_object"].as_str().unwrap_or_default();
                got.insert(format!("{file}\t{}\t{target}", v["record_id"]));
            }
            let want: BTreeSet<String> = summary.truth_lines().into_iter().collect();
            if got != want {
                let missing: Vec<_> = want.difference(&got).take(5).collect();
                let extra: Vec<_> = got.difference(&want).take(5).collect();
                return Err(format!(
                    "{name}: findings differ from the generator's {} true positives \
                     (missing {missing:?}, unexpected {extra:?})",
                    want.len()
                )
                .into());
            }
        }
        Truth::Distinct(n) if lines.len() as u64 != *n => {
            return Err(format!(
                "{name}: {} findings, the samples (index.tsv and the wider catalog's known ones) hold {n} in the chunks used",
                lines.len()
            )
            .into());
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::TruePositive;

    #[test]
    fn the_plans_name_their_corpora_and_roles() {
        let full = plan(false);
        let names: Vec<&str> = full.iter().map(|c| c.name.as_str()).collect();
        assert!(names.contains(&"sysmon-2G") && names.contains(&"folder-2000x-256M"));
        assert!(names.contains(&"real-security-4G"));
        let full_roles = roles(&full);
        assert_eq!(full_roles.real_sysmon.len(), 4);
        assert_eq!(
            full_roles.real_sysmon.last().map(String::as_str),
            Some("real-sysmon-4G")
        );
        assert_eq!(
            full_roles.folder,
            ("real-folder-2000x-256M".into(), "real-sysmon-256M".into())
        );
        assert_eq!(full_roles.threads, "real-sysmon-1G");
        let quick = roles(&plan(true));
        assert_eq!(quick.threads, "real-sysmon-64M");
        assert_eq!(quick.folder.1, "real-sysmon-16M");
    }

    #[test]
    fn findings_are_checked_against_the_truth() {
        let summary = |truth| Summary {
            kind: Kind::Sysmon,
            files: vec![PathBuf::from("/c/a.evtx")],
            bytes: 0,
            records: 0,
            chunks: 0,
            wmi_chunks: 0,
            truth,
        };
        let tp = TruePositive {
            file: 0,
            record_id: 7,
            target_object: r"HKLM\Run\x".into(),
        };
        let line =
            r#"{"source_path":"/elsewhere/a.evtx","record_id":7,"target_object":"HKLM\\Run\\x"}"#;
        let exact = summary(Truth::Records(vec![tp]));
        assert!(check_truth("c", &exact, &[line.into()]).is_ok());
        assert!(check_truth("c", &exact, &[]).is_err());
        assert!(check_truth("c", &summary(Truth::Distinct(1)), &[line.into()]).is_ok());
        assert!(check_truth("c", &summary(Truth::Distinct(2)), &[line.into()]).is_err());
        assert!(check_truth("c", &summary(Truth::Unknown), &[]).is_ok());
    }
}
