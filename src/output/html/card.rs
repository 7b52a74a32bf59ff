//! A finding as the report shows it: one card (what was written, where, whether it ran, who
//! called, where the evidence is) and its marks on the host's timeline. `Card::of` is the one
//! place a finding is mapped; a new kind of finding, or a new field (a subscription's
//! consumer, an attribution), is more facts, sections and marks from the same function, and
//! the template needs nothing new.

use super::timeline::{self, Mark};
use super::{visible, TimeDisplay};
use crate::detect::attribution::Grade;
use crate::detect::catalog::technique_name;
use crate::detect::{subscription, Match};
use crate::event::registry::RegistryEvent;
use crate::finding::{Evidence, Execution, Finding, FindingKind, SubscriptionFinding};
use crate::output::callers::{self, account, caller_text};
use crate::output::ndjson_subscription::part_name;

/// A label and a value (log text already made visible; the template escapes it).
#[derive(Debug)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

/// An event that a section rests on, with where to find it.
#[derive(Debug)]
pub struct EvidenceRow {
    /// What it shows (`process creation`, `logon`, `subscription`, …).
    pub role: &'static str,
    pub time: String,
    pub channel: String,
    pub event_id: u16,
    pub file: String,
    pub record: u64,
    /// What it says, in one line.
    pub detail: String,
}

/// A question a card answers (did it run? who called?): the answer, what supports it.
#[derive(Debug)]
pub struct Section {
    pub title: &'static str,
    /// CSS class of the answer: `yes`, `no` or `unknown`.
    pub state: &'static str,
    pub answer: String,
    pub facts: Vec<Fact>,
    pub evidence: Vec<EvidenceRow>,
}

/// An ATT&CK technique.
#[derive(Debug)]
pub struct Technique {
    pub id: &'static str,
    pub name: &'static str,
}

/// One finding's card.
#[derive(Debug)]
pub struct Card {
    /// Element id, the target of the timeline's links.
    pub id: String,
    /// `high`, `medium`, `low` or `info`: the CSS class and the label.
    pub severity: &'static str,
    pub score: u8,
    /// What kind of finding (`registry write`).
    pub kind: &'static str,
    pub detection: &'static str,
    pub title: &'static str,
    pub time: String,
    pub host: String,
    /// The one line that says what it is (the key and value written).
    pub headline: String,
    /// What was written, by whom.
    pub facts: Vec<Fact>,
    /// Triage indicators: name and reason.
    pub indicators: Vec<Fact>,
    /// Did the payload run; who made the call.
    pub sections: Vec<Section>,
    /// The evidence file and record, copies, recovery.
    pub source: Vec<Fact>,
    pub techniques: Vec<Technique>,
}

/// What a later pass did in this run, which decides what a missing answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// It ran: no answer means none was found.
    Yes,
    /// Turned off (`--no-execution-check`, `--no-attribution`).
    Skipped,
    /// It failed (the summary says why).
    Failed,
}

/// What the later passes did in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passes {
    /// The "did it run" pass.
    pub execution: Checked,
    /// The attribution pass.
    pub attribution: Checked,
}

impl Card {
    /// The card of `f`, the `index`th finding shown.
    pub fn of(f: &Finding, index: usize, passes: Passes, time: &TimeDisplay) -> Card {
        let (kind, headline, facts) = match &f.kind {
            FindingKind::Registry { event, matched } => (
                "registry write",
                headline(matched),
                registry_facts(event, matched),
            ),
            FindingKind::Subscription(s) => {
                ("WMI subscription", f.subject(), subscription_facts(s, time))
            }
        };
        let detection = f.detection();
        let mut sections = vec![ran(f, passes.execution, time)];
        if let FindingKind::Subscription(s) = &f.kind {
            sections.push(joined_from(s, time));
        }
        sections.push(caller(f, passes.attribution, time));
        Card {
            id: timeline::card_id(index),
            severity: f.severity().as_str(),
            score: f.score(),
            kind,
            detection: detection.id,
            title: detection.title,
            time: time.show(f.timestamp()),
            host: visible(f.host()),
            headline: visible(&headline),
            facts,
            indicators: f
                .indicators
                .iter()
                .map(|i| Fact {
                    label: i.name,
                    value: visible(&i.reason),
                })
                .collect(),
            sections,
            source: source(f),
            techniques: detection
                .techniques
                .iter()
                .map(|id| Technique {
                    id,
                    name: technique_name(id),
                })
                .collect(),
        }
    }
}

/// What a registry write was: action, data, the path as logged, the writer and the event.
fn registry_facts(e: &RegistryEvent, m: &Match) -> Vec<Fact> {
    let mut facts = vec![fact("Action", m.action.as_str())];
    let optional = [
        ("Value data", e.details.as_deref()),
        ("Renamed to", e.new_name.as_deref()),
    ];
    facts.extend(
        optional
            .into_iter()
            .filter_map(|(l, v)| v.map(|v| fact(l, v))),
    );
    if e.target_object != headline(m) {
        facts.push(fact("Registry path as logged", &e.target_object));
    }
    let writer = if m.unusual_image {
        format!("{} (outside System32\\wbem)", e.image)
    } else {
        e.image.clone()
    };
    facts.push(fact("Written by", writer));
    if let Some(user) = &e.user {
        facts.push(fact("As user", user.clone()));
    }
    facts.push(fact(
        "Event",
        format!("{} event {} ({})", e.channel, e.event_id, e.event_type),
    ));
    facts
}

/// What a subscription is: its operation, filter (trigger), consumer (what it runs), whether
/// it was bound, who created it and when it was registered and removed.
fn subscription_facts(s: &SubscriptionFinding, time: &TimeDisplay) -> Vec<Fact> {
    let sub = &s.subscription;
    let a = &s.anchor;
    let mut facts = vec![fact("Operation", subscription::operation(a))];
    if let Some(filter) = &sub.filter {
        facts.push(fact("Filter", &filter.name));
        if let Some(namespace) = &filter.namespace {
            facts.push(fact("Namespace", namespace));
        }
        if let Some(query) = &filter.query {
            facts.push(fact("Trigger (WQL)", query));
        }
    }
    if let Some(consumer) = &sub.consumer {
        facts.push(fact(
            "Consumer",
            format!("{} consumer {}", consumer.kind.as_str(), consumer.name),
        ));
        if let Some(command) = &consumer.command {
            facts.push(fact("Runs", command));
        }
    }
    if !sub.bound {
        facts.push(fact("Binding", "none seen"));
    }
    if sub.builtin {
        facts.push(fact(
            "Windows built-in",
            "yes: one of Windows' own subscriptions",
        ));
    }
    if let Some(user) = &a.user {
        facts.push(fact("As user", user));
    }
    if let Some(sid) = &sub.creator_sid {
        facts.push(fact("Creator SID", sid));
    }
    let times = [("Registered", sub.registered), ("Removed", sub.removed)];
    for (label, at) in times {
        if let Some(at) = at {
            facts.push(Fact {
                label,
                value: time.show(at),
            });
        }
    }
    facts.push(fact("Event", format!("{} event {}", a.channel, a.event_id)));
    facts
}

/// What was written: the normalised key and the value name.
fn headline(m: &Match) -> String {
    match &m.value_name {
        Some(value) => format!("{}\\{value}", m.key),
        None => m.key.to_string(),
    }
}

/// A fact whose value is log text.
fn fact(label: &'static str, value: impl AsRef<str>) -> Fact {
    Fact {
        label,
        value: visible(value.as_ref()),
    }
}

/// Did the payload run: the answer, the payload, the process creation that shows it.
fn ran(f: &Finding, checked: Checked, time: &TimeDisplay) -> Section {
    let mut section = Section {
        title: "Did it run?",
        state: "unknown",
        answer: String::new(),
        facts: Vec::new(),
        evidence: Vec::new(),
    };
    let Some(payload) = &f.payload else {
        section.answer = "nothing to run: the event names no program".into();
        return section;
    };
    section.facts.push(fact("Payload", &payload.program));
    if let Some(argument) = &payload.argument {
        section.facts.push(fact("Runs", argument));
    }
    match (&f.execution, checked) {
        (Some(run), _) => {
            section.state = "yes";
            let after = run.timestamp.duration_since(f.timestamp());
            section.answer = format!(
                "yes: ran at {}, {:.0} s after the {}",
                time.show(run.timestamp),
                after.as_secs_f64(),
                if f.subscription().is_some() {
                    "subscription"
                } else {
                    "write"
                }
            );
            section.evidence.push(run_evidence(run, time));
        }
        (None, Checked::Yes) => {
            section.state = "no";
            section.answer = "not seen running: no process creation of it in the evidence".into();
        }
        (None, Checked::Skipped) => {
            section.answer = "not checked (--no-execution-check)".into();
        }
        (None, Checked::Failed) => {
            section.answer = "unknown: the execution check failed (see the summary)".into();
        }
    }
    section
}

/// The process creation that ran a payload, as evidence.
fn run_evidence(run: &Execution, time: &TimeDisplay) -> EvidenceRow {
    EvidenceRow {
        role: "process creation",
        time: time.show(run.timestamp),
        channel: if run.event_id == 4688 {
            "Security"
        } else {
            "Sysmon"
        }
        .into(),
        event_id: run.event_id,
        file: visible(&run.source_path),
        record: run.record_id,
        detail: visible(&format!("{}: {}", run.image, run.command_line)),
    }
}

/// The events a subscription was joined from, and the 5857 that shows it fired.
fn joined_from(s: &SubscriptionFinding, time: &TimeDisplay) -> Section {
    let parts: Vec<&str> = s.evidence.iter().map(|e| part_name(&e.event)).collect();
    let mut evidence: Vec<EvidenceRow> = s
        .evidence
        .iter()
        .map(|e| subscription_row(e, part_name(&e.event), time))
        .collect();
    let (state, answer) = match &s.fired {
        Some(fired) => {
            evidence.push(subscription_row(fired, "consumer provider loaded", time));
            (
                "yes",
                format!(
                    "joined from {} events ({}); its consumer's provider loaded afterwards",
                    s.evidence.len(),
                    parts.join(", ")
                ),
            )
        }
        None => (
            "unknown",
            format!(
                "joined from {} events ({})",
                s.evidence.len(),
                parts.join(", ")
            ),
        ),
    };
    Section {
        title: "What is it made of?",
        state,
        answer,
        facts: Vec::new(),
        evidence,
    }
}

/// A subscription event as evidence.
fn subscription_row(e: &Evidence, role: &'static str, time: &TimeDisplay) -> EvidenceRow {
    let ev = &e.event;
    EvidenceRow {
        role,
        time: time.show(ev.timestamp),
        channel: visible(&ev.channel),
        event_id: ev.event_id,
        file: visible(&e.source.to_string_lossy()),
        record: ev.record_id,
        detail: visible(&subscription::operation(ev)),
    }
}

/// Who made the call: the caller the attribution names, with its grade and rule, the other
/// candidates, the caller's command, what was missing, and the events it rests on.
fn caller(f: &Finding, checked: Checked, time: &TimeDisplay) -> Section {
    let mut section = Section {
        title: "Who called?",
        state: "unknown",
        answer: String::new(),
        facts: Vec::new(),
        evidence: Vec::new(),
    };
    let Some(a) = &f.attribution else {
        section.answer = match checked {
            Checked::Skipped => "not attributed (--no-attribution)".into(),
            Checked::Failed => "unknown: the attribution pass failed (see the summary)".into(),
            Checked::Yes => "not attributed".into(),
        };
        return section;
    };
    let grade = a.grade.as_str();
    section.state = match a.grade {
        Grade::Direct | Grade::Strong => "yes",
        Grade::Weak => "unknown",
        Grade::None => "no",
    };
    section.answer = match &a.caller {
        Some(c) => visible(&format!("{} ({grade}): {}", caller_text(c), a.rule)),
        None => visible(&format!("no caller named ({grade}): {}", a.rule)),
    };
    if let Some(c) = &a.caller {
        let optional = [
            ("Account", Some(account(c))),
            ("From", Some(callers::source(c))),
            ("Logon id", c.logon_id.clone()),
            ("Logon type", c.logon_type.map(|t| t.to_string())),
            ("Authentication", c.auth_package.clone()),
            (
                "Administrator",
                c.admin.map(|yes| if yes { "yes" } else { "no" }.into()),
            ),
        ];
        section
            .facts
            .extend(optional.into_iter().filter_map(|(l, v)| Some(fact(l, v?))));
    }
    if a.candidates > 1 {
        section.facts.push(Fact {
            label: "Candidates",
            value: a.candidates.to_string(),
        });
    }
    for other in &a.alternatives {
        section
            .facts
            .push(fact("Also possible", caller_text(other)));
    }
    if let Some(command) = &a.command {
        section.facts.push(fact(
            "Caller's command",
            format!("on {}: {}", command.host, command.command_line),
        ));
    }
    for gap in &a.gaps {
        section.facts.push(fact("Missing", gap));
    }
    section.evidence = a
        .evidence
        .iter()
        .map(|e| EvidenceRow {
            role: e.role,
            time: time.show(e.timestamp),
            channel: visible(&e.channel),
            event_id: e.event_id,
            file: visible(&e.source_path),
            record: e.record_id,
            detail: visible(&format!("logged on {}", e.host)),
        })
        .collect();
    section
}

/// Where the finding was read.
fn source(f: &Finding) -> Vec<Fact> {
    let mut facts = vec![
        fact("File", f.source.to_string_lossy()),
        Fact {
            label: "Record",
            value: format!("#{} (chunk {})", f.record_id(), f.chunk),
        },
    ];
    if f.recovered {
        facts.push(Fact {
            label: "Recovered",
            value: "carved from chunk slack (--recover)".into(),
        });
    }
    for copy in &f.also_in {
        facts.push(fact("Also in", copy.to_string_lossy()));
    }
    facts
}

/// The finding's marks on its host's timeline: the write (or the subscription), the run when
/// seen, and the caller's evidence logged on the same host.
pub fn marks(f: &Finding, index: usize) -> Vec<Mark> {
    let first = match &f.kind {
        FindingKind::Registry { matched, .. } => Mark {
            time: f.timestamp(),
            lane: timeline::WRITES,
            label: visible(&format!(
                "{} {}",
                matched.action.as_str(),
                headline(matched)
            )),
            card: index,
        },
        FindingKind::Subscription(s) => Mark {
            time: f.timestamp(),
            lane: timeline::SUBSCRIPTIONS,
            label: visible(&format!(
                "subscription {}: {}",
                subscription::operation(&s.anchor),
                f.subject()
            )),
            card: index,
        },
    };
    let mut marks = vec![first];
    if let Some(run) = &f.execution {
        marks.push(Mark {
            time: run.timestamp,
            lane: timeline::RUNS,
            label: visible(&format!("{} ran (EID {})", run.image, run.event_id)),
            card: index,
        });
    }
    let callers = f.attribution.iter().flat_map(|a| &a.evidence);
    for e in callers.filter(|e| e.role != "write" && e.host.eq_ignore_ascii_case(f.host())) {
        marks.push(Mark {
            time: e.timestamp,
            lane: timeline::CALLERS,
            label: visible(&format!("{} ({} {})", e.role, e.channel, e.event_id)),
            card: index,
        });
    }
    marks
}
