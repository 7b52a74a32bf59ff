//! The progress bar (indicatif, on stderr, only when stderr is a terminal): bytes read, files
//! done and findings so far. Updated from every worker through atomics.

use crate::pass::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Progress shown to the user, or nothing.
pub struct Bar {
    bar: Option<ProgressBar>,
    files_total: u64,
    files_done: AtomicU64,
    findings: AtomicU64,
}

impl Bar {
    /// A bar over `total_bytes` of `files_total` files; hidden unless `visible`.
    pub fn new(visible: bool, total_bytes: u64, files_total: u64) -> Bar {
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} {elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let this = Bar {
            bar,
            files_total,
            files_done: AtomicU64::new(0),
            findings: AtomicU64::new(0),
        };
        this.update_message();
        this
    }

    fn update_message(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "files {}/{} findings {}",
                self.files_done.load(Ordering::Relaxed),
                self.files_total,
                self.findings.load(Ordering::Relaxed)
            ));
        }
    }

    /// Removes the bar before the results and summary are printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn chunk_done(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn file_done(&self, findings: u64) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        self.findings.fetch_add(findings, Ordering::Relaxed);
        self.update_message();
    }
}
