//! `xtask compare --against REV`: proves that a change (a restructure, a refactor) changed no
//! behaviour. wmihunt is built at REV, in a temporary git worktree with a target folder of its
//! own, and from the current tree; both scan every fixture file in `testdata/` one by one,
//! `testdata/` as a whole and the shared real samples when present, with several flag sets,
//! and their NDJSON must be byte-identical (and their exit codes the same).

use crate::error::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Check that the current tree gives byte-identical NDJSON to a git revision.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The git revision to compare against (commit, branch or tag).
    #[arg(long, value_name = "REV")]
    against: String,
    /// Target folder for building REV (default: <target>/xtask-compare; kept between runs so
    /// that the next comparison builds incrementally).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
}

/// The flag sets every input is scanned with, after `scan --format ndjson --no-progress`.
const FLAG_SETS: &[&[&str]] = &[
    &[],
    &["--recover"],
    &["--no-prefilter"],
    &["--no-dedup"],
    &["--sort", "score"],
    &["--no-execution-check"],
];

/// A temporary git worktree, removed when dropped.
struct Worktree {
    root: PathBuf,
    path: PathBuf,
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let removed = Command::new("git")
            .args(["worktree", "remove", "--force"])
            .arg(&self.path)
            .current_dir(&self.root)
            .status();
        if !removed.is_ok_and(|s| s.success()) {
            eprintln!(
                "xtask compare: could not remove the worktree {}; `git worktree prune` will",
                self.path.display()
            );
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// What one scan printed.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: Option<i32>,
    ndjson: Vec<u8>,
}

/// `xtask compare`.
pub fn run(args: Args) -> Result<()> {
    let root = crate::root();
    let rev = git(
        &root,
        &[
            "rev-parse",
            "--verify",
            &format!("{}^{{commit}}", args.against),
        ],
    )
    .context(|| format!("{} is not a commit", args.against))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let base_target = args
        .target_dir
        .clone()
        .unwrap_or_else(|| target.join("xtask-compare"));
    let bin = base_target.join("compared");
    fs::create_dir_all(&bin).context(|| bin.display().to_string())?;

    let worktree = Worktree {
        path: std::env::temp_dir().join(format!("wmihunt-compare-{}", std::process::id())),
        root: root.clone(),
    };
    git(
        &root,
        &[
            "worktree",
            "add",
            "--detach",
            &worktree.path.display().to_string(),
            &rev,
        ],
    )?;
    eprintln!(
        "xtask compare: building {} ({rev}) in {}",
        args.against,
        worktree.path.display()
    );
    let base = build(&worktree.path, &base_target, &bin.join("wmihunt-base"))?;
    drop(worktree);
    eprintln!("xtask compare: building the current tree");
    let current = build(&root, &target, &bin.join("wmihunt-current"))?;

    let mut inputs = crate::files_under(&root.join("testdata"))?;
    inputs.push(root.join("testdata"));
    let samples = crate::samples_dir();
    if samples.is_dir() {
        inputs.push(samples);
    } else {
        eprintln!(
            "xtask compare: no shared samples at {}: not compared",
            samples.display()
        );
    }

    let mut differences = Vec::new();
    let mut compared = 0;
    for input in &inputs {
        for flags in FLAG_SETS {
            let (a, b) = (scan(&base, input, flags)?, scan(&current, input, flags)?);
            compared += 1;
            if a != b {
                let what = describe(&a, &b);
                eprintln!(
                    "xtask compare: DIFFERENT: {} {}: {what}",
                    input.display(),
                    flags.join(" ")
                );
                differences.push(what);
            }
        }
    }
    eprintln!(
        "xtask compare: {compared} scans ({} inputs × {} flag sets), {} different",
        inputs.len(),
        FLAG_SETS.len(),
        differences.len()
    );
    if differences.is_empty() {
        println!(
            "identical: {} and the current tree print the same NDJSON",
            args.against
        );
        Ok(())
    } else {
        Err(format!("{} scans differ from {}", differences.len(), args.against).into())
    }
}

/// Builds wmihunt (release) in `dir` with `target`, and copies it to `to`, where a build
/// running meanwhile cannot replace it.
fn build(dir: &Path, target: &Path, to: &Path) -> Result<PathBuf> {
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--bin", "wmihunt"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(dir)
        .status()
        .context(|| format!("cargo build in {}", dir.display()))?;
    if !status.success() {
        return Err(format!("cargo build failed in {}", dir.display()).into());
    }
    let built = target.join("release/wmihunt");
    fs::copy(&built, to).context(|| built.display().to_string())?;
    Ok(to.to_path_buf())
}

fn scan(wmihunt: &Path, input: &Path, flags: &[&str]) -> Result<Outcome> {
    let output = Command::new(wmihunt)
        .args(["scan", "--format", "ndjson", "--no-progress"])
        .args(flags)
        .arg(input)
        .output()
        .context(|| format!("cannot run {}", wmihunt.display()))?;
    Ok(Outcome {
        code: output.status.code(),
        ndjson: output.stdout,
    })
}

/// Where two outcomes part: the exit codes, or the first line that differs, shown around the
/// first byte that differs.
fn describe(a: &Outcome, b: &Outcome) -> String {
    if a.code != b.code {
        return format!("exit code {:?} before, {:?} now", a.code, b.code);
    }
    let (la, lb): (Vec<&[u8]>, Vec<&[u8]>) = (
        a.ndjson.split(|&c| c == b'\n').collect(),
        b.ndjson.split(|&c| c == b'\n').collect(),
    );
    let line = (0..la.len().max(lb.len()))
        .find(|&i| la.get(i) != lb.get(i))
        .unwrap_or(0);
    let (x, y) = (
        la.get(line).copied().unwrap_or_default(),
        lb.get(line).copied().unwrap_or_default(),
    );
    let at = x.iter().zip(y).take_while(|(p, q)| p == q).count();
    let around = |l: &[u8]| {
        let from = at.saturating_sub(60);
        let window = l.get(from..l.len().min(at + 120)).unwrap_or_default();
        format!("…{}…", String::from_utf8_lossy(window))
    };
    format!(
        "{} lines before, {} now; line {}, byte {at}: before {} / now {}",
        la.len().saturating_sub(1),
        lb.len().saturating_sub(1),
        line + 1,
        around(x),
        around(y)
    )
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .context(|| format!("git {}", args.join(" ")))?;
    if !output.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_names_the_first_line_that_differs() {
        let out = |code, text: &str| Outcome {
            code: Some(code),
            ndjson: text.as_bytes().to_vec(),
        };
        assert_eq!(out(0, "a\nb\n"), out(0, "a\nb\n"));
        let d = describe(&out(0, "a\n{\"x\":1}\n"), &out(0, "a\n{\"x\":2}\nd\n"));
        assert_eq!(
            d,
            "2 lines before, 3 now; line 2, byte 5: before …{\"x\":1}… / now …{\"x\":2}…"
        );
        assert_eq!(
            describe(&out(0, ""), &out(2, "")),
            "exit code Some(0) before, Some(2) now"
        );
    }
}
