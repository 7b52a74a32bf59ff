//! Findings: a registry event that matched a detection, with where it was read, its triage
//! indicators, and what the later passes added (did the payload run). Plain data: the passes
//! fill it in, every output format prints it.

use crate::detect::payload::Payload;
use crate::detect::triage::{self, Indicator};
use crate::detect::{Match, Severity};
use crate::event::registry::RegistryEvent;
use jiff::Timestamp;
use serde::Serialize;
use std::cmp::Ordering;
use std::path::PathBuf;

/// One WmiPrvSE.exe write to a persistence location.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The event as read.
    pub event: RegistryEvent,
    /// What it matched.
    pub matched: Match,
    /// The evidence file it was read from.
    pub source: PathBuf,
    /// The chunk's index in that file.
    pub chunk: u64,
    /// Carved from chunk slack (`--recover`) rather than read from a live record.
    pub recovered: bool,
    /// Why it deserves attention, from the data and the key.
    pub indicators: Vec<Indicator>,
    /// Other evidence files holding the same event (copies of the same log).
    pub also_in: Vec<PathBuf>,
    /// What the value data would run, when it names a program.
    pub payload: Option<Payload>,
    /// The first run of the payload seen in the evidence (`None`: not seen, or not checked).
    pub execution: Option<Execution>,
}

/// The first run of a finding's payload seen in the evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Execution {
    /// When the process started (RFC 3339, UTC, in NDJSON).
    #[serde(serialize_with = "as_text")]
    pub timestamp: Timestamp,
    /// 1 (Sysmon process creation) or 4688 (Security).
    pub event_id: u16,
    /// The process image.
    pub image: String,
    /// Its command line.
    pub command_line: String,
    /// The evidence file it was read from.
    pub source_path: String,
    /// The record's id.
    pub record_id: u64,
}

fn as_text<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ts)
}

/// How findings are ordered in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// By time, then file, then record id.
    Time,
    /// By triage score, highest first, then as `Time`.
    Score,
}

impl Finding {
    /// The finding's severity, from what was done to the key.
    pub fn severity(&self) -> Severity {
        self.matched.severity()
    }

    /// The triage score: severity plus indicators.
    pub fn score(&self) -> u8 {
        triage::score(self.severity().risk_score(), &self.indicators)
    }

    /// The documented output order: by time, then file, then record id (a live record before
    /// a carved copy of it, so deduplication keeps the live one).
    pub fn output_order(&self, other: &Finding) -> Ordering {
        fn key(f: &Finding) -> (jiff::Timestamp, &std::path::Path, u64, bool, u64) {
            (
                f.event.timestamp,
                &f.source,
                f.event.record_id,
                f.recovered,
                f.chunk,
            )
        }
        key(self).cmp(&key(other))
    }

    /// What makes two findings the same event seen in two copies of a log.
    fn identity(&self) -> impl PartialEq + '_ {
        let e = &self.event;
        (
            (&e.host, &e.channel, e.record_id, e.timestamp, e.event_id),
            (
                &e.event_type,
                &e.image,
                &e.target_object,
                &e.details,
                &e.new_name,
            ),
        )
    }
}

/// Sorts findings in `order`.
pub fn sort(findings: &mut [Finding], order: SortOrder) {
    match order {
        SortOrder::Time => findings.sort_by(Finding::output_order),
        SortOrder::Score => {
            findings.sort_by(|a, b| b.score().cmp(&a.score()).then_with(|| a.output_order(b)))
        }
    }
}

/// Folds findings that are the same event (same host, channel, record id, time and content)
/// read from several files into one, which lists the other files in `also_in`. `findings`
/// must be in output order (time first), so copies of an event are among the findings of its
/// instant; the first copy (by path) is kept.
pub fn dedup(findings: Vec<Finding>) -> Vec<Finding> {
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        let twin = kept
            .iter_mut()
            .rev()
            .take_while(|k| k.event.timestamp == finding.event.timestamp)
            .find(|k| k.identity() == finding.identity());
        match twin {
            Some(first) => {
                if first.source != finding.source && !first.also_in.contains(&finding.source) {
                    first.also_in.push(finding.source);
                }
            }
            None => kept.push(finding),
        }
    }
    kept
}
