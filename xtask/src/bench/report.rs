//! The benchmark's report: the corpora, Markdown tables of the medians, the targets of issue
//! 11 as checks, and the raw runs as TSV.

use super::{Bench, Config, Prepared, RunRecord, Tool, BUSY_CORES, MIN_JUDGED_WALL};
use std::fmt::Write as _;
use std::process::Command;

/// The run's time stamp, UTC, for file names.
pub(super) fn stamp() -> String {
    Command::new("date")
        .args(["-u", "+%Y%m%dT%H%M%SZ"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown-time".into())
}

/// The median of `values` (NaN when empty).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// `x / y`, or NaN.
fn ratio(x: f64, y: f64) -> f64 {
    if y > 0.0 && x.is_finite() {
        x / y
    } else {
        f64::NAN
    }
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "PASS",
        Some(false) => "**FAIL**",
        None => "n/a",
    }
}

/// The smallest and largest finite value of `values`.
fn extremes(values: &[(String, f64)]) -> (Option<f64>, Option<f64>) {
    let finite = || values.iter().map(|(_, v)| *v).filter(|v| v.is_finite());
    (finite().reduce(f64::min), finite().reduce(f64::max))
}

/// `name value` pairs, comma-separated, each value as `show` writes it.
fn listing(values: &[(String, f64)], show: impl Fn(f64) -> String) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|(n, v)| format!("{n} {}", show(*v)))
        .collect();
    items.join(", ")
}

fn fmt2(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "n/a".into()
    }
}

impl Bench {
    fn runs_of(&self, corpus: usize, config: usize) -> impl Iterator<Item = &RunRecord> {
        self.runs
            .iter()
            .filter(move |r| r.corpus == corpus && r.config == config)
    }

    fn median_of(&self, corpus: usize, config: usize, f: impl Fn(&RunRecord) -> f64) -> f64 {
        median(self.runs_of(corpus, config).map(f).collect())
    }

    fn wall(&self, corpus: usize, config: usize) -> f64 {
        self.median_of(corpus, config, |r| r.usage.wall)
    }

    fn corpus_index(&self, name: &str) -> Option<usize> {
        self.corpora.iter().position(|c| c.plan.name == name)
    }

    fn config_index(&self, id: &str) -> Option<usize> {
        self.configs.iter().position(|c| c.id == id)
    }

    /// Median wall time of configuration `id` on corpus `name`.
    fn wall_by(&self, name: &str, id: &str) -> f64 {
        match (self.corpus_index(name), self.config_index(id)) {
            (Some(i), Some(c)) => self.wall(i, c),
            _ => f64::NAN,
        }
    }

    /// MB/s (10^6 bytes) of configuration `id` on corpus `name`.
    fn mbps(&self, name: &str, id: &str) -> f64 {
        let bytes = self
            .corpus_index(name)
            .and_then(|i| self.corpora.get(i))
            .map_or(f64::NAN, |c| c.summary.bytes as f64);
        bytes / self.wall_by(name, id) / 1e6
    }

    /// The raw runs, one TSV line each.
    pub(super) fn raw_tsv(&self) -> String {
        let mut out = String::from(
            "corpus\tconfig\tround\twall_s\tpeak_rss_kb\tcpu_s\tfindings\tother_cores\n",
        );
        for r in &self.runs {
            let (Some(corpus), Some(config)) =
                (self.corpora.get(r.corpus), self.configs.get(r.config))
            else {
                continue;
            };
            let findings = r.findings.map_or("-".into(), |f| f.to_string());
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{:.4}\t{}\t{:.2}\t{findings}\t{:.2}",
                corpus.plan.name,
                config.id,
                r.round,
                r.usage.wall,
                r.usage.peak_rss_kb,
                r.usage.cpu,
                r.usage.other_cores
            );
        }
        out
    }

    /// The whole Markdown report.
    pub(super) fn report(&self, stamp: &str) -> String {
        let mut out = String::new();
        self.header(&mut out, stamp);
        self.corpora_table(&mut out);
        self.measurements_table(&mut out);
        self.targets_table(&mut out);
        out
    }

    fn header(&self, out: &mut String, stamp: &str) {
        let _ = writeln!(out, "## Results ({stamp})\n");
        let _ = writeln!(
            out,
            "- wmihunt: commit {}; baseline: {}",
            self.rev, self.baseline
        );
        let _ = writeln!(out, "- machine: {}", machine());
        let mut rounds = format!("{} timed rounds", self.reps);
        if self.reps_big != self.reps {
            let _ = write!(rounds, " ({} for corpora of 2 GiB and more)", self.reps_big);
        }
        let _ = writeln!(
            out,
            "- medians of {rounds} after one warm-up run per corpus; MB = 10^6 bytes; peak RSS is \
             the largest of the rounds; other CPU = cores used by other processes during the runs \
             (median)"
        );
        let loaded = self
            .runs
            .iter()
            .filter(|r| r.usage.wall >= MIN_JUDGED_WALL && r.usage.other_cores > BUSY_CORES)
            .count();
        let _ = writeln!(
            out,
            "- shared machine: each run waited for other processes to use < {} cores ({:.0} s of \
             waiting in all); {} run(s) were repeated because others used > {BUSY_CORES} cores \
             during them; {loaded} of the {} kept runs still had such load",
            self.quiet.cores,
            self.quiet.waited.as_secs_f64(),
            self.repeated,
            self.runs.len()
        );
        for note in &self.notes {
            let _ = writeln!(out, "- note: {note}");
        }
        out.push('\n');
    }

    fn corpora_table(&self, out: &mut String) {
        out.push_str("### Corpora\n\n");
        out.push_str("| corpus | kind | files | bytes | records | chunks | chunks naming WmiPrvSE.exe | true positives |\n");
        out.push_str("|---|---|--:|--:|--:|--:|--:|--:|\n");
        for Prepared { plan, summary, .. } in &self.corpora {
            let truth = summary
                .truth
                .count()
                .map_or("unknown".into(), |n| n.to_string());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} ({:.2}%) | {truth} |",
                plan.name,
                plan.kind.name(),
                summary.files.len(),
                summary.bytes,
                summary.records,
                summary.chunks,
                summary.wmi_chunks,
                summary.wmi_chunk_pct()
            );
        }
        out.push('\n');
    }

    fn measurements_table(&self, out: &mut String) {
        out.push_str("### Measurements\n\n");
        out.push_str("| corpus | tool | runs | wall s | MB/s | records/s | CPU s | peak RSS MiB | findings | other CPU | vs evtx_dump -t 2 | × cat time |\n");
        out.push_str("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        let dump = self.config_index("evtx_dump-t2");
        let cat = self.config_index("cat");
        for (i, corpus) in self.corpora.iter().enumerate() {
            let base = dump.map_or(f64::NAN, |d| self.wall(i, d));
            let cat_wall = cat.map_or(f64::NAN, |c| self.wall(i, c));
            for (c, config) in self.configs.iter().enumerate() {
                let wall = self.wall(i, c);
                let runs = self.runs_of(i, c).count();
                let rss = self
                    .runs_of(i, c)
                    .map(|r| r.usage.peak_rss_kb)
                    .max()
                    .unwrap_or(0);
                let findings = match config.is_wmihunt() {
                    true => format!(
                        "{:.0}",
                        self.median_of(i, c, |r| r.findings.unwrap_or(0) as f64)
                    ),
                    false => "-".into(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {runs} | {wall:.3} | {:.0} | {:.0} | {:.2} | {:.1} | {findings} | {:.2} | {}× | {} |",
                    corpus.plan.name,
                    config.label,
                    corpus.summary.bytes as f64 / wall / 1e6,
                    corpus.summary.records as f64 / wall,
                    self.median_of(i, c, |r| r.usage.cpu),
                    rss as f64 / 1024.0,
                    self.median_of(i, c, |r| r.usage.other_cores),
                    fmt2(ratio(base, wall)),
                    fmt2(ratio(wall, cat_wall)),
                );
            }
        }
        out.push_str(
            "\nEvery wmihunt run printed the same findings with and without the pre-filter, with 1 \
             and 2 threads, and exactly the corpus' truth (the generator's true positives; for real \
             corpora, the distinct findings the samples hold: index.tsv's and the wider catalog's \
             known ones). Every evtx_dump \
             warm-up printed every record.\n\n",
        );
    }

    /// The issue 11 targets, on the default mode (`wmihunt -j2`, as a user runs it).
    fn targets_table(&self, out: &mut String) {
        out.push_str("### Targets (issue 11; wmihunt default mode, -j2)\n\n");
        out.push_str("| target | measured | result |\n|---|---|---|\n");
        let roles = &self.roles;
        // `value` of each named corpus that was measured.
        let per_corpus = |names: &[&String], value: &dyn Fn(&str) -> f64| -> Vec<(String, f64)> {
            names
                .iter()
                .filter(|n| self.corpus_index(n).is_some())
                .map(|n| (n.to_string(), value(n)))
                .collect()
        };
        let speedup = |n: &str| {
            ratio(
                self.wall_by(n, "evtx_dump-t2"),
                self.wall_by(n, "wmihunt-j2"),
            )
        };
        let times = |x: f64| format!("{}×", fmt2(x));
        for (names, target, what) in [
            (&roles.real_sysmon, 4.0, "real Sysmon"),
            (&roles.real_security, 6.0, "real Security"),
        ] {
            let values = per_corpus(&names.iter().collect::<Vec<_>>(), &speedup);
            let (worst, _) = extremes(&values);
            let _ = writeln!(
                out,
                "| ≥ {target}× evtx_dump -t 2, {what} corpora | {} | {} |",
                listing(&values, times),
                verdict(worst.map(|w| w >= target))
            );
        }
        let real: Vec<&String> = roles
            .real_sysmon
            .iter()
            .chain(&roles.real_security)
            .collect();
        let of_cat = |n: &str| ratio(self.wall_by(n, "wmihunt-j2"), self.wall_by(n, "cat"));
        let values = per_corpus(&real, &of_cat);
        let (_, worst) = extremes(&values);
        let _ = writeln!(
            out,
            "| within 2× of `cat` (wmihunt time / cat time ≤ 2), real corpora | {} | {} |",
            listing(&values, times),
            verdict(worst.map(|w| w <= 2.0))
        );
        for (names, what) in [
            (&roles.real_sysmon, "real Sysmon"),
            (&roles.real_security, "real Security"),
        ] {
            let rates = per_corpus(&names.iter().collect::<Vec<_>>(), &|n| {
                self.mbps(n, "wmihunt-j2")
            });
            let flat = match extremes(&rates) {
                (Some(lo), Some(hi)) if rates.len() > 1 => Some(ratio(lo, hi)),
                _ => None,
            };
            let _ = writeln!(
                out,
                "| MB/s flat within 15% across sizes (slowest / fastest ≥ 0.85), {what} | {} MB/s; ratio {} | {} |",
                listing(&rates, |v| format!("{v:.0}")),
                flat.map_or("n/a".into(), fmt2),
                verdict(flat.map(|f| f >= 0.85))
            );
        }
        let scaling = ratio(
            self.wall_by(&roles.threads, "wmihunt-j1"),
            self.wall_by(&roles.threads, "wmihunt-j2"),
        );
        let _ = writeln!(
            out,
            "| 2 threads ≥ 1.8 × 1 thread ({}) | {}× | {} |",
            roles.threads,
            fmt2(scaling),
            verdict(scaling.is_finite().then_some(scaling >= 1.8))
        );
        let rss = self
            .runs
            .iter()
            .filter(|r| self.configs.get(r.config).is_some_and(Config::is_wmihunt))
            .map(|r| r.usage.peak_rss_kb)
            .max();
        let _ = writeln!(
            out,
            "| peak RSS < 64 MiB, every corpus and wmihunt mode | {} MiB | {} |",
            rss.map_or("n/a".into(), |r| format!("{:.1}", r as f64 / 1024.0)),
            verdict(rss.map(|r| r < 64 * 1024))
        );
        let (folder, peer) = &roles.folder;
        let (f, p) = (
            self.mbps(folder, "wmihunt-j2"),
            self.mbps(peer, "wmihunt-j2"),
        );
        let share = ratio(f, p);
        let _ = writeln!(
            out,
            "| folder of small files ≥ 0.8 × the MB/s of one file of the same size ({folder} vs {peer}) | {f:.0} vs {p:.0} MB/s = {} | {} |",
            fmt2(share),
            verdict(share.is_finite().then_some(share >= 0.8))
        );
        let noexec: Vec<String> = self
            .corpora
            .iter()
            .map(|c| &c.plan.name)
            .map(|n| {
                format!(
                    "{n} {:.0} MB/s ({}× evtx_dump -t 2)",
                    self.mbps(n, "noexec-j2"),
                    fmt2(ratio(
                        self.wall_by(n, "evtx_dump-t2"),
                        self.wall_by(n, "noexec-j2")
                    ))
                )
            })
            .collect();
        if self.config_index("noexec-j2").is_some() {
            let _ = writeln!(
                out,
                "\nWithout the execution check (the second pass, `--no-execution-check`), -j2: {}.",
                noexec.join("; ")
            );
        }
        let others: Vec<&Config> = self
            .configs
            .iter()
            .filter(|c| matches!(c.tool, Tool::Chainsaw { .. } | Tool::Hayabusa))
            .collect();
        for config in others {
            let _ = writeln!(
                out,
                "\n{}: its findings are not checked (another output format); compare its time in the measurements table.",
                config.label
            );
        }
    }
}

/// CPUs, model, virtual or not, memory and kernel, from /proc.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim);
    let virtual_machine = cpuinfo
        .lines()
        .any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "hypervisor"));
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: f64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpus} CPUs, {model}{}, {:.1} GiB RAM, Linux {}",
        if virtual_machine {
            " (virtual machine)"
        } else {
            ""
        },
        mem_kb / 1_048_576.0,
        kernel.trim()
    )
}
