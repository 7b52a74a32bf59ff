//! The caller's side: on the machine a candidate came from, when its logs are collected, the
//! command that made the call (Sysmon 1 or 4688 command lines, PowerShell 4104 script blocks
//! naming `StdRegProv`, `Invoke-WmiMethod`, `wmic /node:` …), its outbound connection to the
//! written host and explicit credentials used towards it (4648). On the written host itself,
//! the same commands name a local caller.

use super::candidates::{Candidate, Kind};
use super::names::{self, call_strength, mentions, named_targets, same_host};
use super::{CallerCommand, Evidence, HostLogs, Scene, Seen, CLOCK_SKEW};
use crate::event::context::ContextEvent;
use crate::event::network::Connection;
use jiff::Timestamp;

/// What the caller's host showed.
#[derive(Debug, Default)]
pub(super) struct CallerSide {
    /// The host, as its logs name it.
    pub host: Option<String>,
    pub command: Option<CallerCommand>,
    pub evidence: Vec<Evidence>,
    pub kinds: Vec<Kind>,
    /// The account's logon session the command ran in (local callers).
    pub logon_id: Option<u64>,
}

/// A command that made a WMI call, and how surely (`names::call_strength`).
struct Call<'a> {
    seen: &'a Seen,
    strength: u8,
    names_target: bool,
}

impl Call<'_> {
    fn command(&self) -> Option<CallerCommand> {
        let (image, text, user) = match &self.seen.event {
            ContextEvent::Process(p) => (
                Some(p.image.clone()),
                p.command_line.clone(),
                p.user.clone(),
            ),
            ContextEvent::Script(s) => (None, s.text.clone(), None),
            _ => return None,
        };
        let o = &self.seen.origin;
        Some(CallerCommand {
            host: o.host.clone(),
            timestamp: o.timestamp,
            event_id: o.event_id,
            image,
            command_line: text,
            user,
            source_path: self.seen.source.clone(),
            record_id: o.record_id,
        })
    }
}

/// The window on a caller's host: the write's, widened by the clock skew after it.
fn caller_window(scene: &Scene) -> (Timestamp, Timestamp) {
    (scene.from - CLOCK_SKEW, scene.to + CLOCK_SKEW)
}

/// Whether `text` names the written host: its name, short name or one of its addresses.
fn names_target(scene: &Scene, text: &str) -> bool {
    let target = scene.write.host;
    mentions(text, target)
        || mentions(text, &names::short_host(target))
        || scene.own.iter().any(|ip| mentions(text, &ip.to_string()))
}

/// The commands on `host` in `from..=to` that made a WMI call.
fn calls<'a>(scene: &Scene, host: &'a HostLogs, from: Timestamp, to: Timestamp) -> Vec<Call<'a>> {
    host.between(from, to)
        .filter_map(|seen| {
            let text = match &seen.event {
                ContextEvent::Process(p) => p.command_line.as_str(),
                ContextEvent::Script(s) => s.text.as_str(),
                _ => return None,
            };
            let strength = call_strength(text);
            (strength > 0).then(|| Call {
                seen,
                strength,
                names_target: names_target(scene, text),
            })
        })
        .collect()
}

/// The likeliest call: one naming the written host, then one naming the registry provider,
/// then a process creation (which names its account) over a script block, then the latest.
fn best<'a, 'b>(calls: &'b [Call<'a>]) -> Option<&'b Call<'a>> {
    calls.iter().max_by_key(|c| {
        let process = matches!(c.seen.event, ContextEvent::Process(_));
        (c.names_target, c.strength, process, c.seen.origin.timestamp)
    })
}

/// Whether `c` is an outbound connection from `ip` to the written host.
fn from_to_target(scene: &Scene, c: &Connection, ip: &str) -> bool {
    let target = scene.write.host;
    let to_target = c
        .remote
        .host
        .as_deref()
        .is_some_and(|h| same_host(h, target))
        || scene.is_own(&c.remote.ip);
    c.inbound == Some(false) && names::address(&c.local.ip) == names::address(ip) && to_target
}

/// Whether `host` shows an outbound connection from `ip` to the written host in the window.
fn connects_from(scene: &Scene, host: &HostLogs, ip: &str) -> bool {
    let (from, to) = caller_window(scene);
    host.between(from, to)
        .any(|s| matches!(&s.event, ContextEvent::Connection(c) if from_to_target(scene, c, ip)))
}

/// The hosts in the collection that are the candidate's machine: by name, or by an outbound
/// connection from its address to the written host.
fn caller_hosts<'a>(scene: &'a Scene, c: &Candidate) -> Vec<&'a HostLogs> {
    scene
        .logs
        .hosts()
        .filter(|h| !same_host(&h.name, scene.write.host))
        .filter(|h| {
            c.host.as_deref().is_some_and(|n| same_host(n, &h.name))
                || c.ip
                    .as_deref()
                    .is_some_and(|ip| connects_from(scene, h, ip))
        })
        .collect()
}

/// The caller's side of candidate `c`. With `alone` (it is the only candidate), a host whose
/// command names the written host is taken as its machine even when neither its name nor its
/// address says so (Kerberos logons often carry no workstation name).
pub(super) fn caller_side(scene: &Scene, c: &Candidate, alone: bool) -> CallerSide {
    let (from, to) = caller_window(scene);
    let mut hosts = caller_hosts(scene, c);
    if hosts.is_empty() && alone {
        hosts = scene
            .logs
            .hosts()
            .filter(|h| !same_host(&h.name, scene.write.host))
            .filter(|h| {
                calls(scene, h, from, to)
                    .iter()
                    .any(|call| call.names_target)
            })
            .collect();
    }
    let mut side = CallerSide::default();
    let mut found: Vec<Call> = Vec::new();
    for host in &hosts {
        side.host.get_or_insert_with(|| host.name.clone());
        found.extend(calls(scene, host, from, to));
        for seen in host.between(from, to) {
            let role = match &seen.event {
                ContextEvent::ExplicitLogon(e) if same_host(&e.target_server, scene.write.host) => {
                    side.kinds.push(Kind::ExplicitCredentials);
                    "explicit_credentials"
                }
                ContextEvent::Connection(conn)
                    if c.ip
                        .as_deref()
                        .is_some_and(|ip| from_to_target(scene, conn, ip)) =>
                {
                    "caller_connection"
                }
                _ => continue,
            };
            side.evidence.push(seen.evidence(role));
        }
    }
    if let Some(call) = best(&found) {
        side.kinds.push(Kind::CallerCommand);
        side.evidence.push(call.seen.evidence("caller_command"));
        side.command = call.command();
    }
    side
}

/// A local caller: a command on the written host itself, in the window, that called the
/// registry provider and names no other machine as its target.
pub(super) fn local_call(scene: &Scene) -> Option<CallerSide> {
    let target = scene.target?;
    let local = calls(scene, target, scene.from, scene.to)
        .into_iter()
        .filter(|call| {
            let text = match &call.seen.event {
                ContextEvent::Process(p) => p.command_line.as_str(),
                ContextEvent::Script(s) => s.text.as_str(),
                _ => "",
            };
            named_targets(text)
                .iter()
                .all(|n| is_this_machine(n, target))
        })
        .collect::<Vec<_>>();
    let call = best(&local)?;
    let logon_id = match &call.seen.event {
        ContextEvent::Process(p) => p.logon_id,
        _ => None,
    };
    Some(CallerSide {
        host: Some(target.name.clone()),
        command: call.command(),
        evidence: vec![call.seen.evidence("caller_command")],
        kinds: vec![Kind::CallerCommand],
        logon_id,
    })
}

/// Whether a command's target names the host it runs on.
fn is_this_machine(name: &str, host: &HostLogs) -> bool {
    let local = names::address(name).is_some_and(|a| names::is_local_address(&a));
    local || matches!(name, "." | "localhost") || same_host(name, &host.name)
}
