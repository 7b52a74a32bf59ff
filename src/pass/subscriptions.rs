//! Subscription findings from the subscription events the detection pass read in every file:
//! the same event read from several copies of a log folded into one, the events joined into
//! subscriptions (`detect::subscription::join`, across files, so a host's Sysmon and
//! WMI-Activity logs meet), each given its triage, and kept when its anchor event is in the
//! time window. Windows' own subscriptions and lone filters are info: kept with `--context`,
//! counted always.

use super::detection::ScanOptions;
use crate::detect::payload;
use crate::detect::subscription::{join, ConsumerKind, Subscription};
use crate::detect::triage;
use crate::event::subscription::SubscriptionEvent;
use crate::finding::{Evidence, Finding, FindingKind, SubscriptionFinding};
use std::collections::HashMap;
use std::path::PathBuf;

/// A subscription event and where it was read.
#[derive(Debug, Clone)]
pub(super) struct Sourced {
    pub event: SubscriptionEvent,
    pub source: PathBuf,
    pub chunk: u64,
    pub recovered: bool,
}

/// What the join gave.
#[derive(Debug, Default)]
pub(super) struct Joined {
    /// Subscription findings (info ones only with `--context`), in no particular order.
    pub findings: Vec<Finding>,
    /// Windows' own subscriptions recognised, in the window.
    pub builtin: u64,
}

/// One event per distinct event (first by time, file, record), with the other files holding
/// it; a live record before a carved copy.
fn fold_copies(mut events: Vec<Sourced>) -> Vec<(Sourced, Vec<PathBuf>)> {
    events.sort_by(|a, b| {
        let key = |s: &Sourced| {
            (
                s.event.timestamp,
                s.source.clone(),
                s.event.record_id,
                s.recovered,
                s.chunk,
            )
        };
        key(a).cmp(&key(b))
    });
    let mut seen: HashMap<SubscriptionEvent, usize> = HashMap::new();
    let mut unique: Vec<(Sourced, Vec<PathBuf>)> = Vec::new();
    for sourced in events {
        match seen.get(&sourced.event).and_then(|&i| unique.get_mut(i)) {
            Some((first, copies)) => {
                if first.source != sourced.source && !copies.contains(&sourced.source) {
                    copies.push(sourced.source);
                }
            }
            None => {
                seen.insert(sourced.event.clone(), unique.len());
                unique.push((sourced, Vec::new()));
            }
        }
    }
    unique
}

/// Joins the events into subscription findings.
pub(super) fn findings(events: Vec<Sourced>, options: &ScanOptions) -> Joined {
    let unique = fold_copies(events);
    let plain: Vec<SubscriptionEvent> = unique.iter().map(|(s, _)| s.event.clone()).collect();
    let mut joined = Joined::default();
    for subscription in join(&plain) {
        let Some((anchor, copies)) = unique.get(subscription.anchor) else {
            continue;
        };
        let at = anchor.event.timestamp;
        let in_window =
            options.from.is_none_or(|from| at >= from) && options.to.is_none_or(|to| at <= to);
        if !in_window {
            continue;
        }
        joined.builtin += u64::from(subscription.builtin);
        if subscription.severity == crate::detect::Severity::Info && !options.context {
            continue;
        }
        let evidence = |i: &usize| {
            unique.get(*i).map(|(s, _)| Evidence {
                event: s.event.clone(),
                source: s.source.clone(),
            })
        };
        let (indicators, payload) = triage_of(&subscription);
        joined.findings.push(Finding {
            source: anchor.source.clone(),
            chunk: anchor.chunk,
            recovered: anchor.recovered,
            indicators,
            also_in: copies.clone(),
            payload,
            execution: None,
            attribution: None,
            kind: FindingKind::Subscription(SubscriptionFinding {
                anchor: anchor.event.clone(),
                evidence: subscription.members.iter().filter_map(evidence).collect(),
                fired: subscription.fired.as_ref().and_then(evidence),
                subscription,
            }),
        });
    }
    joined
}

/// The indicators of what a consumer runs (a command line or a script), and the program a
/// command line starts, for the "did it run" pass.
fn triage_of(subscription: &Subscription) -> (Vec<triage::Indicator>, Option<payload::Payload>) {
    let Some(consumer) = &subscription.consumer else {
        return (Vec::new(), None);
    };
    let command = consumer.command.as_deref().unwrap_or("");
    match consumer.kind {
        ConsumerKind::CommandLine => (
            triage::command_indicators(command),
            payload::payload(command),
        ),
        ConsumerKind::ActiveScript => (triage::command_indicators(command), None),
        _ => (Vec::new(), None),
    }
}
