//! Running one timed command: wall time around it, its own peak RSS and CPU time from
//! `wait4(2)`, and the CPU that other processes used meanwhile, from `/proc/stat`.
//!
//! Why `wait4`: the kernel accounts each child's resources when it is reaped, so the numbers
//! are the command's own. Why a runner process: a child's peak RSS includes what it held
//! before `exec`, a copy of its parent, and the benchmark's own process holds corpora and
//! results; so the commands are started by a fresh, small copy of the xtask
//! (`xtask run-measured`, reading the invocations on stdin), as `/usr/bin/time` would.

use crate::error::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// One process to start: a program, its arguments, and where its stdout goes (`None`:
/// `/dev/null`).
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its stdout's file, or `None` for `/dev/null`.
    pub stdout: Option<PathBuf>,
}

/// What one run (one or more invocations, one after the other) cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Wall time, seconds.
    pub wall: f64,
    /// User plus system CPU time of the run's processes, seconds.
    pub cpu: f64,
    /// The largest peak RSS of its processes, KiB.
    pub peak_rss_kb: u64,
    /// Cores other processes used during the run (their CPU time over the wall time).
    pub other_cores: f64,
}

/// Busy CPU ticks of the whole machine so far (user, nice, system, irq, softirq, steal).
fn busy_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0;
    };
    let Some(cpu) = stat.lines().next() else {
        return 0;
    };
    let fields: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal
    [0, 1, 2, 5, 6, 7]
        .iter()
        .map(|&i| fields.get(i).copied().unwrap_or(0))
        .sum()
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// Starts `inv` and reaps it with `wait4`; returns its exit code, CPU seconds and peak RSS.
fn run_one(inv: &Invocation) -> Result<(i32, f64, u64)> {
    let stdout = match &inv.stdout {
        Some(path) => Stdio::from(File::create(path).context(|| path.display().to_string())?),
        None => Stdio::null(),
    };
    let child = Command::new(&inv.program)
        .args(&inv.args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .context(|| format!("cannot run {}", inv.program.display()))?;
    let pid = child.id() as libc::pid_t;
    // Drain stderr while the child runs, so a chatty child never blocks on a full pipe.
    let mut stderr = child.stderr;
    let drain = thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = stderr.as_mut() {
            let _ = std::io::Read::read_to_string(pipe, &mut text);
        }
        text
    });
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own child's, which
    // nothing else waits for (the `Child` handle was consumed above).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let stderr = drain.join().unwrap_or_default();
    if reaped != pid {
        return Err(format!("wait4 failed for {}", inv.program.display()).into());
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    if code != 0 {
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        return Err(format!(
            "{} {} exited with {code}: {}",
            inv.program.display(),
            inv.args.join(" "),
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        )
        .into());
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    Ok((code, cpu, usage.ru_maxrss.max(0) as u64))
}

/// Runs `invocations` one after the other in this process; returns the wall time from the
/// first start to the last exit, the CPU time and the largest peak RSS of the commands.
fn run_here(invocations: &[Invocation]) -> Result<Usage> {
    let started = Instant::now();
    let mut usage = Usage::default();
    for inv in invocations {
        let (_, cpu, rss) = run_one(inv)?;
        usage.cpu += cpu;
        usage.peak_rss_kb = usage.peak_rss_kb.max(rss);
    }
    usage.wall = started.elapsed().as_secs_f64();
    Ok(usage)
}

/// `xtask run-measured`: runs the invocations given on stdin as JSON and prints their
/// [`Usage`] (or the error) as JSON on stdout.
pub fn runner_main() -> Result<()> {
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)?;
    let list: serde_json::Value =
        serde_json::from_str(&input).context(|| "run-measured: input".into())?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let invocations: Vec<Invocation> = list
        .as_array()
        .ok_or("run-measured: not a list")?
        .iter()
        .map(|inv| Invocation {
            program: PathBuf::from(text(&inv["program"])),
            args: inv["args"]
                .as_array()
                .map_or(Vec::new(), |a| a.iter().map(text).collect()),
            stdout: inv["stdout"].as_str().map(PathBuf::from),
        })
        .collect();
    let result = match run_here(&invocations) {
        Ok(u) => serde_json::json!({"wall": u.wall, "cpu": u.cpu, "rss_kb": u.peak_rss_kb}),
        Err(e) => serde_json::json!({"error": e.to_string()}),
    };
    println!("{result}");
    Ok(())
}

/// Runs `invocations` one after the other through `runner` (a copy of the xtask, see
/// [`runner_main`]) and measures them together; a non-zero exit is an error.
pub fn measure(runner: &Path, invocations: &[Invocation]) -> Result<Usage> {
    let list: Vec<serde_json::Value> = invocations
        .iter()
        .map(|inv| {
            serde_json::json!({
                "program": inv.program.display().to_string(),
                "args": inv.args,
                "stdout": inv.stdout.as_ref().map(|p| p.display().to_string()),
            })
        })
        .collect();
    let input = serde_json::Value::from(list).to_string();
    let hz = ticks_per_second();
    let busy0 = busy_ticks();
    let mut child = Command::new(runner)
        .arg("run-measured")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context(|| format!("cannot run {}", runner.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, input.as_bytes())?;
    }
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take();
    let mut status = 0;
    // SAFETY: as in `run_one`; the runner's usage includes the commands it reaped.
    let mut total: libc::rusage = unsafe { std::mem::zeroed() };
    let mut output = String::new();
    if let Some(pipe) = stdout.as_mut() {
        std::io::Read::read_to_string(pipe, &mut output)?;
    }
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut total) };
    let busy = busy_ticks().saturating_sub(busy0) as f64 / hz;
    if reaped != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("the measuring runner failed: {}", output.trim()).into());
    }
    let report: serde_json::Value =
        serde_json::from_str(output.trim()).context(|| "the measuring runner's report".into())?;
    if let Some(error) = report["error"].as_str() {
        return Err(error.to_owned().into());
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let all_cpu = seconds(total.ru_utime) + seconds(total.ru_stime);
    let wall = report["wall"].as_f64().unwrap_or(f64::NAN);
    Ok(Usage {
        wall,
        cpu: report["cpu"].as_f64().unwrap_or(f64::NAN),
        peak_rss_kb: report["rss_kb"].as_u64().unwrap_or(0),
        other_cores: (busy - all_cpu).max(0.0) / wall.max(1e-9),
    })
}

/// Cores other processes use, measured over one second in which nothing of ours runs.
pub fn other_cores_now() -> f64 {
    let b0 = busy_ticks();
    thread::sleep(Duration::from_secs(1));
    busy_ticks().saturating_sub(b0) as f64 / ticks_per_second()
}

/// Waiting for a quiet machine: per run and in all.
pub struct Quiet {
    /// Wait until other processes use fewer cores than this.
    pub cores: f64,
    /// At most this long per run.
    pub max_per_run: Duration,
    /// At most this long in all.
    pub budget: Duration,
    /// Waited so far.
    pub waited: Duration,
}

impl Quiet {
    /// Waits (within the budgets) until other processes leave the CPUs alone.
    pub fn wait(&mut self) {
        let started = Instant::now();
        loop {
            let load = other_cores_now();
            if load < self.cores {
                break;
            }
            if started.elapsed() >= self.max_per_run
                || self.waited + started.elapsed() >= self.budget
            {
                eprintln!("bench: other processes still use {load:.2} cores; measuring anyway");
                break;
            }
            thread::sleep(Duration::from_secs(4));
        }
        self.waited += started.elapsed();
    }
}

/// Whether `program` is on PATH, and where.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_reports_its_own_cpu_and_memory() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let sh = which("sh").unwrap();
        let inv = Invocation {
            program: sh.clone(),
            args: vec![
                "-c".into(),
                "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo done".into(),
            ],
            stdout: Some(out.clone()),
        };
        let usage = run_here(&[inv.clone(), inv]).unwrap();
        assert!(
            usage.cpu > 0.0 && usage.cpu <= usage.wall * 2.0 + 0.05,
            "{usage:?}"
        );
        assert!(usage.peak_rss_kb > 100, "{usage:?}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "done\n");
        let fail = Invocation {
            program: sh,
            args: vec!["-c".into(), "echo oops >&2; exit 3".into()],
            stdout: None,
        };
        let err = run_here(&[fail]).unwrap_err().to_string();
        assert!(
            err.contains("exited with 3") && err.contains("oops"),
            "{err}"
        );
    }
}
