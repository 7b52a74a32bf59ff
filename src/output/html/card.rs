//! A finding as the report shows it: one card (what was written, where, whether it ran, who
//! called, where the evidence is) and its marks on the host's timeline. `Card::of` is the one
//! place a finding is mapped; a new kind of finding, or a new field (a subscription's
//! consumer, an attribution), is more facts, sections and marks from the same function, and
//! the template needs nothing new.

use super::timeline::{self, Mark};
use super::{visible, TimeDisplay};
use crate::detect::catalog::technique_name;
use crate::finding::{Execution, Finding};

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
    pub channel: &'static str,
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

/// What the "did it run" pass did in this run, which decides what a missing run means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// It ran: no execution means none was seen.
    Yes,
    /// `--no-execution-check`.
    Skipped,
    /// It failed (the summary says why).
    Failed,
}

impl Card {
    /// The card of `f`, the `index`th finding shown.
    pub fn of(f: &Finding, index: usize, checked: Checked, time: &TimeDisplay) -> Card {
        let e = &f.event;
        let m = &f.matched;
        let headline = headline(f);
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
        if e.target_object != headline {
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
        Card {
            id: timeline::card_id(index),
            severity: f.severity().as_str(),
            score: f.score(),
            kind: "registry write",
            detection: m.detection.id,
            title: m.detection.title,
            time: time.show(e.timestamp),
            host: visible(&e.host),
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
            sections: vec![ran(f, checked, time), caller()],
            source: source(f),
            techniques: m
                .detection
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

/// What was written: the normalised key and the value name.
fn headline(f: &Finding) -> String {
    match &f.matched.value_name {
        Some(value) => format!("{}\\{value}", f.matched.key),
        None => f.matched.key.to_string(),
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
            let after = run.timestamp.duration_since(f.event.timestamp);
            section.answer = format!(
                "yes: ran at {}, {:.0} s after the write",
                time.show(run.timestamp),
                after.as_secs_f64()
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
        },
        event_id: run.event_id,
        file: visible(&run.source_path),
        record: run.record_id,
        detail: visible(&format!("{}: {}", run.image, run.command_line)),
    }
}

/// Who made the WMI call. Findings carry no caller yet; this run says so rather than
/// leaving the question out.
fn caller() -> Section {
    Section {
        title: "Who called?",
        state: "unknown",
        answer: "not attributed (no evidence of the caller's account or host in this run)".into(),
        facts: Vec::new(),
        evidence: Vec::new(),
    }
}

/// Where the finding was read.
fn source(f: &Finding) -> Vec<Fact> {
    let mut facts = vec![
        fact("File", f.source.to_string_lossy()),
        Fact {
            label: "Record",
            value: format!("#{} (chunk {})", f.event.record_id, f.chunk),
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

/// The finding's marks on its host's timeline: the write and, when seen, the run.
pub fn marks(f: &Finding, index: usize) -> Vec<Mark> {
    let mut marks = vec![Mark {
        time: f.event.timestamp,
        lane: timeline::WRITES,
        label: visible(&format!("{} {}", f.matched.action.as_str(), headline(f))),
        card: index,
    }];
    if let Some(run) = &f.execution {
        marks.push(Mark {
            time: run.timestamp,
            lane: timeline::RUNS,
            label: visible(&format!("{} ran (EID {})", run.image, run.event_id)),
            card: index,
        });
    }
    marks
}
