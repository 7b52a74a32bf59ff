//! Findings: a registry event that matched a detection, or a WMI event subscription joined
//! from its events, with where it was read, its triage indicators, and what the later passes
//! added (did the payload run, who made the call). Plain data: the passes fill it in, every output format prints
//! it. What both kinds share sits in `Finding`; what differs, in `FindingKind`.

use crate::detect::attribution::Attribution;
use crate::detect::catalog::{Detection, WMI_SUBSCRIPTION};
use crate::detect::payload::Payload;
use crate::detect::subscription::Subscription;
use crate::detect::triage::{self, Indicator};
use crate::detect::{Match, Severity};
use crate::event::registry::RegistryEvent;
use crate::event::subscription::SubscriptionEvent;
use jiff::Timestamp;
use serde::Serialize;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// One finding: a WmiPrvSE.exe write to a persistence location, a WMI subscription, or (with
/// `--context`, severity info) any other WmiPrvSE.exe write or subscription.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// The evidence file its event (a subscription's anchor event) was read from.
    pub source: PathBuf,
    /// The chunk's index in that file.
    pub chunk: u64,
    /// Carved from chunk slack (`--recover`) rather than read from a live record.
    pub recovered: bool,
    /// Why it deserves attention, from the data (the consumer's command) and the key.
    pub indicators: Vec<Indicator>,
    /// Other evidence files holding the same event (copies of the same log).
    pub also_in: Vec<PathBuf>,
    /// What the value data (the consumer's command line) would run, when it names a program.
    pub payload: Option<Payload>,
    /// The first run of the payload seen in the evidence (`None`: not seen, or not checked).
    pub execution: Option<Execution>,
    /// Who made the call behind the write (`None`: not attributed, `--no-attribution`).
    pub attribution: Option<Attribution>,
}

/// What a finding is. (The variants differ in size; findings are few and made once, so
/// neither is boxed.)
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum FindingKind {
    /// A registry event by WmiPrvSE.exe.
    Registry {
        /// The event as read.
        event: RegistryEvent,
        /// What it matched.
        matched: Match,
    },
    /// A WMI permanent event subscription.
    Subscription(SubscriptionFinding),
}

/// A subscription with the events it was joined from.
#[derive(Debug, Clone)]
pub struct SubscriptionFinding {
    /// The event that times it (`Subscription::anchor`).
    pub anchor: SubscriptionEvent,
    /// The joined subscription.
    pub subscription: Subscription,
    /// Every event it was joined from, in time order, with its file.
    pub evidence: Vec<Evidence>,
    /// The 5857 that shows its consumer's provider loaded afterwards.
    pub fired: Option<Evidence>,
}

/// A subscription event and the file it was read from.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The event.
    pub event: SubscriptionEvent,
    /// Its evidence file.
    pub source: PathBuf,
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
    /// The registry event and its match, for a registry finding.
    pub fn registry(&self) -> Option<(&RegistryEvent, &Match)> {
        match &self.kind {
            FindingKind::Registry { event, matched } => Some((event, matched)),
            FindingKind::Subscription(_) => None,
        }
    }

    /// The subscription, for a subscription finding.
    pub fn subscription(&self) -> Option<&SubscriptionFinding> {
        match &self.kind {
            FindingKind::Subscription(s) => Some(s),
            FindingKind::Registry { .. } => None,
        }
    }

    /// When it happened: the event's time (a subscription's anchor's).
    pub fn timestamp(&self) -> Timestamp {
        match &self.kind {
            FindingKind::Registry { event, .. } => event.timestamp,
            FindingKind::Subscription(s) => s.anchor.timestamp,
        }
    }

    /// The host (`System/Computer`).
    pub fn host(&self) -> &str {
        match &self.kind {
            FindingKind::Registry { event, .. } => &event.host,
            FindingKind::Subscription(s) => &s.anchor.host,
        }
    }

    /// The record id of its event.
    pub fn record_id(&self) -> u64 {
        match &self.kind {
            FindingKind::Registry { event, .. } => event.record_id,
            FindingKind::Subscription(s) => s.anchor.record_id,
        }
    }

    /// What it is about, in one line: the registry path written (its `TargetObject`), or a
    /// subscription's `filter -> consumer`.
    pub fn subject(&self) -> String {
        match &self.kind {
            FindingKind::Registry { event, .. } => event.target_object.clone(),
            FindingKind::Subscription(s) => {
                let sub = &s.subscription;
                let filter = sub.filter.as_ref().map_or("", |f| f.name.as_str());
                let consumer = sub.consumer.as_ref().map_or("", |c| c.name.as_str());
                format!("{filter} -> {consumer}")
            }
        }
    }

    /// The detection it is a finding of.
    pub fn detection(&self) -> &'static Detection {
        match &self.kind {
            FindingKind::Registry { matched, .. } => matched.detection,
            FindingKind::Subscription(_) => &WMI_SUBSCRIPTION,
        }
    }

    /// The finding's severity: a registry finding's from the detection and the action, a
    /// subscription's from what it runs.
    pub fn severity(&self) -> Severity {
        match &self.kind {
            FindingKind::Registry { matched, .. } => matched.severity(),
            FindingKind::Subscription(s) => s.subscription.severity,
        }
    }

    /// Context (`--context`) rather than a finding.
    pub fn is_info(&self) -> bool {
        self.severity() == Severity::Info
    }

    /// The triage score: severity plus indicators.
    pub fn score(&self) -> u8 {
        triage::score(self.severity().risk_score(), &self.indicators)
    }

    /// The documented output order: by time, then file, then record id (a live record before
    /// a carved copy of it, so deduplication keeps the live one).
    pub fn output_order(&self, other: &Finding) -> Ordering {
        fn key(f: &Finding) -> (Timestamp, &Path, u64, bool, u64) {
            (
                f.timestamp(),
                &f.source,
                f.record_id(),
                f.recovered,
                f.chunk,
            )
        }
        key(self).cmp(&key(other))
    }

    /// Whether two findings are the same event seen in two copies of a log.
    fn same_event(&self, other: &Finding) -> bool {
        match (&self.kind, &other.kind) {
            (FindingKind::Registry { event: a, .. }, FindingKind::Registry { event: b, .. }) => {
                registry_identity(a) == registry_identity(b)
            }
            (FindingKind::Subscription(a), FindingKind::Subscription(b)) => {
                a.anchor == b.anchor && a.subscription.members == b.subscription.members
            }
            _ => false,
        }
    }
}

/// What makes two registry events the same event: where it was logged and what it says.
fn registry_identity(e: &RegistryEvent) -> impl PartialEq + '_ {
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
            .take_while(|k| k.timestamp() == finding.timestamp())
            .find(|k| k.same_event(&finding));
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
