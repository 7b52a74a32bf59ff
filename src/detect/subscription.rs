//! WMI permanent event subscriptions (ATT&CK T1546.003): the events of one subscription — its
//! filter (the WQL trigger), its consumer (what runs) and the binding between them — joined by
//! name per host, judged by what the consumer runs, and Windows' own subscriptions recognised.
//! How partial evidence is joined is documented in `docs/detections.md`. Pure: events in,
//! subscriptions (with the indices of their events) out.

use super::mof::{self, Instance};
use super::Severity;
use crate::event::subscription::{Part, SubscriptionEvent};
use jiff::Timestamp;
use std::collections::BTreeMap;

/// What kind of consumer a subscription runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerKind {
    /// `CommandLineEventConsumer` (Sysmon `Type` `Command Line`): starts a process.
    CommandLine,
    /// `ActiveScriptEventConsumer` (Sysmon `Script`): runs VBScript or JScript.
    ActiveScript,
    /// `NTEventLogEventConsumer`: writes an event log entry.
    NtEventLog,
    /// `LogFileEventConsumer`: appends to a text file.
    LogFile,
    /// `SMTPEventConsumer`: sends mail.
    Smtp,
    /// Another class (a provider of its own) or a type Sysmon names otherwise.
    Other,
}

/// The standard consumer classes and their kinds.
const CLASSES: [(&str, ConsumerKind); 5] = [
    ("CommandLineEventConsumer", ConsumerKind::CommandLine),
    ("ActiveScriptEventConsumer", ConsumerKind::ActiveScript),
    ("NTEventLogEventConsumer", ConsumerKind::NtEventLog),
    ("LogFileEventConsumer", ConsumerKind::LogFile),
    ("SMTPEventConsumer", ConsumerKind::Smtp),
];

impl ConsumerKind {
    /// The kind of a consumer class.
    pub fn from_class(class: &str) -> ConsumerKind {
        CLASSES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(class))
            .map_or(ConsumerKind::Other, |(_, kind)| *kind)
    }

    /// The kind of Sysmon 20's `Type`.
    fn from_sysmon_type(kind: &str) -> ConsumerKind {
        match kind.trim().to_ascii_lowercase().as_str() {
            "command line" => ConsumerKind::CommandLine,
            "script" => ConsumerKind::ActiveScript,
            "log file" => ConsumerKind::LogFile,
            "event log" => ConsumerKind::NtEventLog,
            "smtp" => ConsumerKind::Smtp,
            _ => ConsumerKind::Other,
        }
    }

    /// The standard class of the kind (`None` for `Other`).
    pub fn class(self) -> Option<&'static str> {
        CLASSES.iter().find(|(_, k)| *k == self).map(|(c, _)| *c)
    }

    /// The kind's name in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumerKind::CommandLine => "CommandLine",
            ConsumerKind::ActiveScript => "ActiveScript",
            ConsumerKind::NtEventLog => "NTEventLog",
            ConsumerKind::LogFile => "LogFile",
            ConsumerKind::Smtp => "SMTP",
            ConsumerKind::Other => "Other",
        }
    }

    /// How serious a registered consumer of this kind is: one that runs code is the attack;
    /// one of a class of its own may (its provider is code); the rest only write or send.
    pub fn severity(self) -> Severity {
        match self {
            ConsumerKind::CommandLine | ConsumerKind::ActiveScript => Severity::High,
            ConsumerKind::Other => Severity::Medium,
            ConsumerKind::NtEventLog | ConsumerKind::LogFile | ConsumerKind::Smtp => Severity::Low,
        }
    }
}

/// The filter of a subscription: its name and, when the evidence holds them, its trigger.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Filter {
    /// `Name`.
    pub name: String,
    /// `EventNamespace`: where the query runs (`root\cimv2`).
    pub namespace: Option<String>,
    /// `Query`: the WQL trigger.
    pub query: Option<String>,
}

/// The consumer of a subscription: its name, class and what it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    /// `Name`.
    pub name: String,
    /// The class, when a binding or 5861 names it (Sysmon 20 gives only a type).
    pub class: Option<String>,
    /// What kind of consumer it is.
    pub kind: ConsumerKind,
    /// What it runs: the command line (`CommandLineTemplate`, else `ExecutablePath`), the
    /// script (`ScriptText`, else `ScriptFileName`), or what it writes or sends.
    pub command: Option<String>,
}

/// One subscription on one host, as far as the evidence goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// `System/Computer` of its first event.
    pub host: String,
    /// Its filter, when an event names it.
    pub filter: Option<Filter>,
    /// Its consumer, when an event names it.
    pub consumer: Option<Consumer>,
    /// A binding event (Sysmon 21, WMI-Activity 5861) was seen.
    pub bound: bool,
    /// One of Windows' own subscriptions (`BUILT_INS`), created by Windows.
    pub builtin: bool,
    /// Who created it (5861's `CreatorSID`), when known.
    pub creator_sid: Option<String>,
    /// Indices of its events in the slice given to `join`, ascending.
    pub members: Vec<usize>,
    /// The event that times the finding: the first binding that is not a deletion, else the
    /// first binding, else the consumer's, else the filter's.
    pub anchor: usize,
    /// When it was first created, modified or seen bound.
    pub registered: Option<Timestamp>,
    /// When it was first deleted (at or after `registered`).
    pub removed: Option<Timestamp>,
    /// A 5857 that loaded the consumer's provider on the host afterwards: it fired.
    pub fired: Option<usize>,
    /// How serious it is (`docs/detections.md`).
    pub severity: Severity,
}

/// One of Windows' own permanent subscriptions.
#[derive(Debug, Clone, Copy)]
pub struct BuiltIn {
    /// The filter's name.
    pub filter: &'static str,
    /// The consumer's class.
    pub consumer_class: &'static str,
    /// The consumer's name.
    pub consumer: &'static str,
}

/// The subscriptions Windows ships (re-bound at every start of the WMI service).
pub const BUILT_INS: &[BuiltIn] = &[BuiltIn {
    filter: "SCM Event Log Filter",
    consumer_class: "NTEventLogEventConsumer",
    consumer: "SCM Event Log Consumer",
}];

/// The creators of Windows' own subscriptions: BUILTIN\Administrators and LocalSystem. A
/// subscription with a built-in's names is built-in only when the evidence shows its creator
/// and every creator shown is one of these.
pub const BUILT_IN_CREATORS: &[&str] = &["S-1-5-32-544", "S-1-5-18"];

/// The operation an event records, as outputs name it: Sysmon's `Operation` (`Created`,
/// `Modified`, `Deleted`), `Bound` for 5861, `Loaded` for 5857.
pub fn operation(event: &SubscriptionEvent) -> String {
    match (&event.part, event.operation.as_deref().map(str::trim)) {
        (Part::ActivityBinding { .. }, _) => "Bound".into(),
        (Part::ProviderLoaded { .. }, _) => "Loaded".into(),
        (_, Some(op)) if !op.is_empty() => op.to_string(),
        _ => "Unknown".into(),
    }
}

fn is_removal(event: &SubscriptionEvent) -> bool {
    event
        .operation
        .as_deref()
        .is_some_and(|op| op.trim().eq_ignore_ascii_case("Deleted"))
}

/// What one event says, read.
enum Read {
    Filter(Filter),
    Consumer(Consumer),
    Binding {
        filter: Filter,
        consumer: Consumer,
        creators: Vec<String>,
    },
    Loaded(String),
}

/// A consumer from a 5861 `CONSUMER` reference and the consumer's MOF instance.
fn consumer_of(reference: &str, instance: Option<&Instance>) -> Consumer {
    let named = mof::object_ref(reference);
    let class = named
        .as_ref()
        .map(|r| r.class.clone())
        .or_else(|| instance.map(|i| i.class.clone()));
    let kind = class
        .as_deref()
        .map_or(ConsumerKind::Other, ConsumerKind::from_class);
    let command = instance.and_then(|i| {
        [
            "CommandLineTemplate",
            "ExecutablePath",
            "ScriptText",
            "ScriptFileName",
            "Text",
            "ToLine",
        ]
        .iter()
        .find_map(|p| i.get(p).filter(|v| !v.is_empty()))
        .map(str::to_string)
    });
    Consumer {
        name: named.map(|r| r.name).unwrap_or_default(),
        class,
        kind,
        command,
    }
}

fn read(event: &SubscriptionEvent) -> Read {
    match &event.part {
        Part::Filter {
            namespace,
            name,
            query,
        } => Read::Filter(Filter {
            name: mof::unquote(name),
            namespace: Some(mof::unquote(namespace)),
            query: Some(mof::unquote(query)),
        }),
        Part::Consumer {
            name,
            kind,
            destination,
        } => Read::Consumer(Consumer {
            name: mof::unquote(name),
            class: None,
            kind: ConsumerKind::from_sysmon_type(kind),
            command: Some(mof::unquote(destination)),
        }),
        Part::Binding { consumer, filter } => Read::Binding {
            filter: Filter {
                name: mof::object_ref(&mof::unquote(filter))
                    .map(|r| r.name)
                    .unwrap_or_default(),
                ..Filter::default()
            },
            consumer: consumer_of(&mof::unquote(consumer), None),
            creators: Vec::new(),
        },
        Part::ActivityBinding {
            filter,
            consumer,
            possible_cause,
            ..
        } => {
            let found = mof::instances(possible_cause);
            let filter_mof = found
                .iter()
                .find(|i| i.class.eq_ignore_ascii_case("__EventFilter"));
            let consumer_mof = found
                .iter()
                .find(|i| !i.class.eq_ignore_ascii_case("__EventFilter"));
            let creators = [consumer_mof, filter_mof]
                .into_iter()
                .flatten()
                .filter_map(Instance::creator_sid)
                .collect();
            Read::Binding {
                filter: Filter {
                    name: filter.trim().to_string(),
                    namespace: filter_mof
                        .and_then(|i| i.get("EventNamespace"))
                        .map(str::to_string),
                    query: filter_mof.and_then(|i| i.get("Query")).map(str::to_string),
                },
                consumer: consumer_of(consumer, consumer_mof),
                creators,
            }
        }
        Part::ProviderLoaded { provider, .. } => Read::Loaded(provider.clone()),
    }
}

/// The events of one subscription being joined.
#[derive(Default)]
struct Group {
    host: String,
    filter: Option<Filter>,
    consumer: Option<Consumer>,
    creators: Vec<String>,
    bindings: Vec<usize>,
    consumers: Vec<usize>,
    filters: Vec<usize>,
}

impl Group {
    fn new(host: &str) -> Group {
        Group {
            host: host.to_string(),
            ..Group::default()
        }
    }

    fn add_filter(&mut self, f: &Filter) {
        let mine = self.filter.get_or_insert_with(|| Filter {
            name: f.name.clone(),
            ..Filter::default()
        });
        mine.namespace = mine.namespace.take().or_else(|| f.namespace.clone());
        mine.query = mine.query.take().or_else(|| f.query.clone());
    }

    fn add_consumer(&mut self, c: &Consumer) {
        let mine = self.consumer.get_or_insert_with(|| c.clone());
        if mine.class.is_none() && c.class.is_some() {
            mine.class = c.class.clone();
            mine.kind = c.kind;
        }
        if mine.kind == ConsumerKind::Other {
            mine.kind = c.kind;
        }
        mine.command = mine.command.take().or_else(|| c.command.clone());
    }

    /// Whether a Sysmon 20 consumer of `kind` can be this group's (a class and a name are the
    /// consumer's key: two classes may have consumers of one name).
    fn accepts(&self, kind: ConsumerKind) -> bool {
        let known = self
            .consumer
            .as_ref()
            .map_or(ConsumerKind::Other, |c| c.kind);
        known == ConsumerKind::Other || kind == ConsumerKind::Other || known == kind
    }
}

/// (host, consumer name, filter name), lower-case; a loose consumer's third part is its kind.
type Key = (String, String, String);

/// The groups being joined: bound subscriptions, consumers no binding names, lone filters.
struct Joiner<'a> {
    events: &'a [SubscriptionEvent],
    bound: BTreeMap<Key, Group>,
    loose: BTreeMap<Key, Group>,
    filters_only: BTreeMap<Key, Group>,
}

impl Joiner<'_> {
    /// The host of event `i`, lower-case (hosts compare case-insensitively).
    fn host(&self, i: usize) -> String {
        self.events
            .get(i)
            .map_or(String::new(), |e| e.host.to_ascii_lowercase())
    }

    /// The group under `key` in `map`, made for event `i`'s host when new.
    fn group<'m>(
        events: &[SubscriptionEvent],
        map: &'m mut BTreeMap<Key, Group>,
        key: Key,
        i: usize,
    ) -> &'m mut Group {
        map.entry(key)
            .or_insert_with(|| Group::new(events.get(i).map_or("", |e| e.host.as_str())))
    }

    fn binding(&mut self, i: usize, filter: &Filter, consumer: &Consumer, creators: &[String]) {
        let key = (
            self.host(i),
            consumer.name.to_ascii_lowercase(),
            filter.name.to_ascii_lowercase(),
        );
        let g = Self::group(self.events, &mut self.bound, key, i);
        g.bindings.push(i);
        g.add_filter(filter);
        g.add_consumer(consumer);
        g.creators.extend(creators.iter().cloned());
    }

    /// A consumer joins every binding on its host that names it (and can be its class);
    /// otherwise it is a subscription of its own.
    fn consumer(&mut self, i: usize, c: &Consumer) {
        let (host, name) = (self.host(i), c.name.to_ascii_lowercase());
        let mut attached = false;
        for ((h, n, _), g) in self.bound.iter_mut() {
            if *h == host && *n == name && g.accepts(c.kind) {
                g.consumers.push(i);
                g.add_consumer(c);
                attached = true;
            }
        }
        if !attached {
            let key = (host, name, c.kind.as_str().to_string());
            let g = Self::group(self.events, &mut self.loose, key, i);
            g.consumers.push(i);
            g.add_consumer(c);
        }
    }

    /// A filter joins every binding on its host that names it, else the unbound consumers of
    /// its name, else it stands alone.
    fn filter(&mut self, i: usize, f: &Filter) {
        let (host, name) = (self.host(i), f.name.to_ascii_lowercase());
        let mut targets: Vec<&mut Group> = self
            .bound
            .iter_mut()
            .filter(|((h, _, n), _)| *h == host && *n == name)
            .map(|(_, g)| g)
            .collect();
        if targets.is_empty() {
            targets = self
                .loose
                .iter_mut()
                .filter(|((h, n, _), _)| *h == host && *n == name)
                .map(|(_, g)| g)
                .collect();
        }
        if targets.is_empty() {
            let key = (host, String::new(), name);
            targets.push(Self::group(self.events, &mut self.filters_only, key, i));
        }
        for g in targets {
            g.filters.push(i);
            g.add_filter(f);
        }
    }
}

/// Joins subscription events into subscriptions, per host (compared case-insensitively):
/// bindings by their consumer and filter names; consumers and filters to the bindings naming
/// them; a consumer no binding names becomes a subscription of its own, with the filter of the
/// same name if one is unbound too (tools name both alike); a filter left alone becomes one of
/// its own. `events` should be in time order; 5857 provider loads only mark a subscription as
/// fired.
pub fn join(events: &[SubscriptionEvent]) -> Vec<Subscription> {
    let reads: Vec<Read> = events.iter().map(read).collect();
    let mut joiner = Joiner {
        events,
        bound: BTreeMap::new(),
        loose: BTreeMap::new(),
        filters_only: BTreeMap::new(),
    };
    // Bindings first, then consumers, then filters: each joins what the ones before made.
    for (i, r) in reads.iter().enumerate() {
        if let Read::Binding {
            filter,
            consumer,
            creators,
        } = r
        {
            joiner.binding(i, filter, consumer, creators);
        }
    }
    for (i, r) in reads.iter().enumerate() {
        if let Read::Consumer(c) = r {
            joiner.consumer(i, c);
        }
    }
    for (i, r) in reads.iter().enumerate() {
        if let Read::Filter(f) = r {
            joiner.filter(i, f);
        }
    }
    let loads: Vec<(usize, &str)> = reads
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Read::Loaded(provider) => Some((i, provider.as_str())),
            _ => None,
        })
        .collect();
    let Joiner {
        bound,
        loose,
        filters_only,
        ..
    } = joiner;
    bound
        .into_values()
        .chain(loose.into_values())
        .chain(filters_only.into_values())
        .filter_map(|g| finish(g, events, &loads))
        .collect()
}

/// A joined group judged: its times, anchor, built-in status and severity.
fn finish(g: Group, events: &[SubscriptionEvent], loads: &[(usize, &str)]) -> Option<Subscription> {
    let at = |i: &usize| events.get(*i);
    // What registers or removes it: its bindings and consumer, else (alone) its filter.
    let main: Vec<usize> = if g.bindings.is_empty() && g.consumers.is_empty() {
        g.filters.clone()
    } else {
        [g.bindings.clone(), g.consumers.clone()].concat()
    };
    let registered = main
        .iter()
        .filter_map(at)
        .filter(|e| !is_removal(e))
        .map(|e| e.timestamp)
        .min();
    let removed = main
        .iter()
        .filter_map(at)
        .filter(|e| is_removal(e) && registered.is_none_or(|r| e.timestamp >= r))
        .map(|e| e.timestamp)
        .min();
    let first_kept = |list: &[usize]| {
        list.iter()
            .copied()
            .find(|i| at(i).is_some_and(|e| !is_removal(e)))
            .or_else(|| list.first().copied())
    };
    let anchor = first_kept(&g.bindings)
        .or_else(|| first_kept(&g.consumers))
        .or_else(|| first_kept(&g.filters))?;
    let mut members = [g.bindings.clone(), g.consumers.clone(), g.filters.clone()].concat();
    members.sort_unstable();
    members.dedup();
    let builtin = is_builtin(&g);
    let bound = !g.bindings.is_empty();
    let severity = match (&g.consumer, registered) {
        _ if builtin => Severity::Info,
        (None, _) if !bound => Severity::Info,
        (_, None) => Severity::Low,
        (Some(c), Some(_)) => c.kind.severity(),
        (None, Some(_)) => Severity::Medium,
    };
    let class = g.consumer.as_ref().and_then(|c| {
        c.class
            .clone()
            .or_else(|| c.kind.class().map(str::to_string))
    });
    let since = registered.or_else(|| at(&anchor).map(|e| e.timestamp));
    let fired = class.and_then(|class| {
        loads
            .iter()
            .find(|(i, provider)| {
                provider.eq_ignore_ascii_case(&class)
                    && at(i).is_some_and(|e| {
                        e.host.eq_ignore_ascii_case(&g.host)
                            && since.is_none_or(|s| e.timestamp >= s)
                    })
            })
            .map(|(i, _)| *i)
    });
    Some(Subscription {
        host: g.host.clone(),
        creator_sid: g.creators.first().cloned(),
        filter: g.filter.clone(),
        consumer: g.consumer.clone(),
        bound,
        builtin,
        members,
        anchor,
        registered,
        removed,
        fired,
        severity,
    })
}

/// Whether a group is one of Windows' own: a built-in's names and class, and a creator shown
/// that is Windows'.
fn is_builtin(g: &Group) -> bool {
    let (Some(filter), Some(consumer)) = (&g.filter, &g.consumer) else {
        return false;
    };
    let names = BUILT_INS.iter().any(|b| {
        b.filter.eq_ignore_ascii_case(&filter.name)
            && b.consumer.eq_ignore_ascii_case(&consumer.name)
            && consumer
                .class
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(b.consumer_class))
    });
    let creators = !g.creators.is_empty()
        && g.creators
            .iter()
            .all(|c| BUILT_IN_CREATORS.iter().any(|b| b.eq_ignore_ascii_case(c)));
    names && creators
}

#[cfg(test)]
mod tests;
