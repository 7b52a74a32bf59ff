//! Who made the call behind a WmiPrvSE.exe write. The write is done by the provider host, so
//! the event names the wrong actor; the events around it on the same host (logons, inbound
//! RPC connections, the provider host's start, WMI-Activity, the payload's arrival) and, when
//! its logs are collected, on the caller's host (the command that made the call) say who it
//! was. This module weighs those events and grades the answer (`docs/attribution.md`); it
//! reads nothing: the attribution pass hands it what it read, as a `Collection`.

mod caller;
mod candidates;
mod names;
#[cfg(test)]
mod tests;
mod verdict;

pub use candidates::REGISTRY_PROVIDER;

pub(crate) use names::{call_words, same_host, short_host};

use crate::event::context::ContextEvent;
use crate::event::Origin;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Slack after the write for events on the caller's own host, whose clock may differ.
pub const CLOCK_SKEW: SignedDuration = SignedDuration::from_secs(60);

/// How sure the attribution is (`docs/attribution.md` gives each rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    /// No caller could be named; `rule` and `gaps` say why.
    None,
    /// One kind of evidence, or several competing candidates.
    Weak,
    /// The write names the account, or one candidate seen by two kinds of evidence or more.
    Strong,
    /// The write's own logon session joined to its logon event.
    Direct,
}

impl Grade {
    /// The grade's name, as NDJSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::None => "none",
            Grade::Weak => "weak",
            Grade::Strong => "strong",
            Grade::Direct => "direct",
        }
    }
}

/// The caller: an account, a source, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Caller {
    /// The account's user name.
    pub user: Option<String>,
    /// The account's domain.
    pub domain: Option<String>,
    /// Its logon session on the written host, `0x…` as Windows writes it.
    pub logon_id: Option<String>,
    /// The address the call came from.
    pub source_ip: Option<String>,
    /// The name of the machine it came from.
    pub source_host: Option<String>,
    /// The logon type (3: network).
    pub logon_type: Option<u32>,
    /// The authentication package (`NTLM`, `Kerberos`).
    pub auth_package: Option<String>,
    /// Whether the logon got administrator privileges (4672); `None` when unknown.
    pub admin: Option<bool>,
    /// Whether the call came from another machine; `None` when the evidence does not say.
    pub remote: Option<bool>,
}

/// One event that supports an attribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// What it shows (`logon`, `inbound_rpc`, `provider_host_start`, …; `docs/attribution.md`).
    pub role: &'static str,
    /// The host that logged it.
    pub host: String,
    /// Its channel.
    pub channel: String,
    /// Its event id.
    pub event_id: u16,
    /// Its time (RFC 3339, UTC, in NDJSON).
    #[serde(serialize_with = "as_text")]
    pub timestamp: Timestamp,
    /// Its record id.
    pub record_id: u64,
    /// The evidence file it was read from.
    pub source_path: String,
}

/// The command that made the call, found on the caller's host (or on the written host itself
/// for a local caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallerCommand {
    /// The host it ran on.
    pub host: String,
    /// When (RFC 3339, UTC, in NDJSON).
    #[serde(serialize_with = "as_text")]
    pub timestamp: Timestamp,
    /// 1 (Sysmon), 4688 (Security) or 4104 (PowerShell script block).
    pub event_id: u16,
    /// The process image (`None` for a script block).
    pub image: Option<String>,
    /// The command line, or the script block's text.
    pub command_line: String,
    /// The account it ran as, when the event says.
    pub user: Option<String>,
    /// The evidence file it was read from.
    pub source_path: String,
    /// Its record id.
    pub record_id: u64,
}

/// Who made the call behind one write, how sure that is, and what it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribution {
    /// How sure.
    pub grade: Grade,
    /// The rule that gave the grade, in words; for `none`, why no caller was named.
    pub rule: String,
    /// The most likely caller.
    pub caller: Option<Caller>,
    /// How many candidate callers the window held.
    pub candidates: usize,
    /// The other candidates, most likely first.
    pub alternatives: Vec<Caller>,
    /// The command that made the call, when the caller's host logs are collected.
    pub command: Option<CallerCommand>,
    /// The events it rests on, in time order.
    pub evidence: Vec<Evidence>,
    /// Evidence that was not there and could have said more.
    pub gaps: Vec<String>,
}

fn as_text<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ts)
}

/// An event read around the findings, with the file it was read from.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The event.
    pub event: ContextEvent,
    /// Where and when (kept beside the event: every rule reads it).
    pub origin: Origin,
    /// The evidence file.
    pub source: String,
}

impl Seen {
    /// An event read from `source`.
    pub fn new(event: ContextEvent, source: String) -> Seen {
        Seen {
            origin: event.origin(),
            event,
            source,
        }
    }

    /// This event as evidence of `role`.
    fn evidence(&self, role: &'static str) -> Evidence {
        Evidence::of(role, &self.origin, &self.source)
    }
}

impl Evidence {
    /// The record at `origin`, read from `source`, as evidence of `role`.
    fn of(role: &'static str, origin: &Origin, source: &str) -> Evidence {
        Evidence {
            role,
            host: origin.host.clone(),
            channel: origin.channel.clone(),
            event_id: origin.event_id,
            timestamp: origin.timestamp,
            record_id: origin.record_id,
            source_path: source.to_string(),
        }
    }
}

/// Which logs of a host are in the collection: what could have been seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Its Security log.
    pub security: bool,
    /// Its Sysmon log.
    pub sysmon: bool,
    /// Its WMI-Activity/Operational log.
    pub wmi_activity: bool,
    /// Its PowerShell/Operational log.
    pub powershell: bool,
}

/// One host's events, in time order, and its logs.
#[derive(Debug, Default)]
pub struct HostLogs {
    /// The host's name as its logs write it.
    pub name: String,
    /// Which of its logs are in the collection.
    pub coverage: Coverage,
    events: Vec<Seen>,
}

impl HostLogs {
    /// Its events between `from` and `to`, inclusive, in time order.
    fn between(&self, from: Timestamp, to: Timestamp) -> impl Iterator<Item = &Seen> {
        let start = self.events.partition_point(|s| s.origin.timestamp < from);
        self.events
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |s| s.origin.timestamp <= to)
    }

    /// Its events at or before `to`.
    fn until(&self, to: Timestamp) -> impl Iterator<Item = &Seen> {
        self.events
            .iter()
            .take_while(move |s| s.origin.timestamp <= to)
    }

    /// Its own addresses between `from` and `to`: the local end of its connections. Time
    /// bounds them because addresses move (DHCP, lab machines cloned with the same name).
    fn own_addresses(&self, from: Timestamp, to: Timestamp) -> BTreeSet<IpAddr> {
        self.between(from, to)
            .filter_map(|s| match &s.event {
                ContextEvent::Connection(c) => names::address(&c.local.ip),
                _ => None,
            })
            .filter(|a| !names::is_local_address(a))
            .collect()
    }
}

/// Everything read for attribution, by host (case-insensitive).
#[derive(Debug, Default)]
pub struct Collection {
    hosts: BTreeMap<String, HostLogs>,
}

impl Collection {
    /// Notes that `host` has the logs `coverage` says in the collection.
    pub fn cover(&mut self, host: &str, coverage: Coverage) {
        let logs = self.entry(host);
        let c = &mut logs.coverage;
        c.security |= coverage.security;
        c.sysmon |= coverage.sysmon;
        c.wmi_activity |= coverage.wmi_activity;
        c.powershell |= coverage.powershell;
    }

    /// Adds an event (to its host).
    pub fn add(&mut self, seen: Seen) {
        let host = seen.origin.host.clone();
        self.entry(&host).events.push(seen);
    }

    fn entry(&mut self, host: &str) -> &mut HostLogs {
        self.hosts
            .entry(host.to_ascii_lowercase())
            .or_insert_with(|| HostLogs {
                name: host.to_string(),
                ..HostLogs::default()
            })
    }

    /// Puts every host's events in time order and keeps one of each event read from several
    /// copies of a log (the first by file).
    pub fn finish(&mut self) {
        for logs in self.hosts.values_mut() {
            fn key(s: &Seen) -> (Timestamp, u64, &str, u16, &str) {
                let o = &s.origin;
                (o.timestamp, o.record_id, &o.channel, o.event_id, &s.source)
            }
            logs.events.sort_by(|a, b| key(a).cmp(&key(b)));
            logs.events.dedup_by(|b, a| {
                let (x, y) = (&a.origin, &b.origin);
                (x.timestamp, x.record_id, x.event_id, &x.channel)
                    == (y.timestamp, y.record_id, y.event_id, &y.channel)
            });
        }
    }

    /// The host named `name` (case-insensitive).
    fn host(&self, name: &str) -> Option<&HostLogs> {
        self.hosts.get(&name.to_ascii_lowercase())
    }

    /// Every host, by name.
    fn hosts(&self) -> impl Iterator<Item = &HostLogs> {
        self.hosts.values()
    }

    /// Every address `host` was seen with, from its own connections.
    pub fn addresses(&self, host: &str) -> Vec<String> {
        self.host(host)
            .map(|h| {
                let all = h.own_addresses(Timestamp::MIN, Timestamp::MAX);
                all.iter().map(IpAddr::to_string).collect()
            })
            .unwrap_or_default()
    }
}

/// What the attribution needs to know of a write.
#[derive(Debug, Clone)]
pub struct Write<'a> {
    /// The written host.
    pub host: &'a str,
    /// When.
    pub timestamp: Timestamp,
    /// Where the write's own record is, for the evidence list.
    pub origin: Origin,
    /// The file it was read from.
    pub source: String,
    /// The writing process's id.
    pub process_id: Option<u64>,
    /// The writing process's Sysmon GUID.
    pub process_guid: Option<&'a str>,
    /// Sysmon's `User` on the write (newer schemas).
    pub sysmon_user: Option<&'a str>,
    /// Security 4657's `SubjectDomainName\SubjectUserName`.
    pub subject: Option<&'a str>,
    /// Security 4657's `SubjectLogonId`.
    pub subject_logon_id: Option<u64>,
    /// The file name the written value runs (`a.dll`), to spot its arrival.
    pub payload: Option<&'a str>,
}

impl Write<'_> {
    /// The write's own record as evidence of `role`.
    fn evidence(&self, role: &'static str) -> Evidence {
        Evidence::of(role, &self.origin, &self.source)
    }
}

/// Attributes one write: the caller the evidence in `logs` names, looked for in the `window`
/// before it.
pub fn attribute(write: &Write, logs: &Collection, window: SignedDuration) -> Attribution {
    let (from, to) = (write.timestamp - window, write.timestamp);
    let target = logs.host(write.host);
    let scene = Scene {
        write,
        target,
        logs,
        from,
        to,
        window,
        own: target
            .map(|t| t.own_addresses(from, to))
            .unwrap_or_default(),
    };
    verdict::decide(&scene)
}

/// A write and what surrounds it.
struct Scene<'a> {
    write: &'a Write<'a>,
    /// The written host's logs (absent only when nothing of it was read).
    target: Option<&'a HostLogs>,
    logs: &'a Collection,
    from: Timestamp,
    to: Timestamp,
    window: SignedDuration,
    /// The written host's addresses in the window.
    own: BTreeSet<IpAddr>,
}

impl Scene<'_> {
    /// Whether `ip` is another machine's: an address, not loopback or unspecified, and not one
    /// the written host used in the window.
    fn is_remote(&self, ip: &str) -> bool {
        names::address(ip).is_some_and(|a| !names::is_local_address(&a) && !self.own.contains(&a))
    }

    /// Whether `ip` is one of the written host's addresses in the window.
    fn is_own(&self, ip: &str) -> bool {
        names::address(ip).is_some_and(|a| self.own.contains(&a))
    }

    /// The written host's events in the window.
    fn window_events(&self) -> impl Iterator<Item = &Seen> {
        self.target
            .into_iter()
            .flat_map(|t| t.between(self.from, self.to))
    }

    /// The window's length in whole seconds, for rules.
    fn seconds(&self) -> i64 {
        self.window.as_secs()
    }
}
