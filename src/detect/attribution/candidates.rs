//! The written host's side: what the provider host itself shows (its start, the registry
//! provider's load, the payload's arrival) and the candidate callers in the window — remote
//! sources seen by network logons, inbound RPC/DCOM connections, WMI-Activity client records
//! and payload copies over an admin share, each source split by the accounts that logged on
//! from it.

use super::names::{self, file_name, is_machine_account, same_host, short_host};
use super::{CallerCommand, Evidence, Scene, Seen};
use crate::event::context::ContextEvent;
use crate::event::logon::Logon;
use crate::event::network::Connection;
use crate::event::wmi_activity::WmiActivityKind;
use jiff::Timestamp;
use std::collections::BTreeSet;

/// The registry provider's DLL: its load into the writing process is evidence of a StdRegProv call.
pub const REGISTRY_PROVIDER: &str = "stdprov.dll";

/// Start of Windows' default dynamic port range, where RPC endpoints other than the endpoint
/// mapper (135) listen.
const DYNAMIC_PORTS: u16 = 49152;

/// A kind of fact that links a candidate to the call. The grade counts kinds, not events: ten
/// connections from one address are one kind of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    /// A network logon (4624 type 3) from the source.
    Logon,
    /// An inbound RPC/DCOM connection from the source.
    InboundRpc,
    /// The writing provider host started after the source's first contact.
    ProviderStart,
    /// WMI-Activity names the source as a client.
    WmiClient,
    /// The payload was copied from the source over an admin share.
    PayloadTransfer,
    /// The command that made the call, on the source's host.
    CallerCommand,
    /// Explicit credentials used on the source's host towards this host (4648).
    ExplicitCredentials,
}

impl Kind {
    /// In words, for rules.
    pub(super) fn describe(self) -> &'static str {
        match self {
            Kind::Logon => "network logon",
            Kind::InboundRpc => "inbound RPC/DCOM connection",
            Kind::ProviderStart => "provider host started after it",
            Kind::WmiClient => "WMI-Activity client record",
            Kind::PayloadTransfer => "payload copied over an admin share",
            Kind::CallerCommand => "the calling command on its host",
            Kind::ExplicitCredentials => "explicit credentials used on its host",
        }
    }
}

/// An account a candidate logged on with.
#[derive(Debug, Clone, Default)]
pub(super) struct Account {
    pub domain: Option<String>,
    pub user: String,
    pub logon_id: Option<u64>,
    pub logon_type: Option<u32>,
    pub auth_package: Option<String>,
    pub admin: Option<bool>,
}

/// One possible caller.
#[derive(Debug, Clone, Default)]
pub(super) struct Candidate {
    pub ip: Option<String>,
    pub host: Option<String>,
    pub account: Option<Account>,
    pub kinds: BTreeSet<Kind>,
    pub evidence: Vec<Evidence>,
    /// Its first and last event in the window.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// The command that made the call, from its host's logs.
    pub command: Option<CallerCommand>,
    /// Its host as the collection names it, when its logs are there.
    pub caller_host: Option<String>,
}

impl Candidate {
    fn note(&mut self, kind: Kind, seen: &Seen, role: &'static str) {
        self.kinds.insert(kind);
        self.evidence.push(seen.evidence(role));
        let t = seen.origin.timestamp;
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }
}

/// What the writing provider host shows: evidence, and when it started (if in the window).
#[derive(Debug, Default)]
pub(super) struct WriteSide {
    pub evidence: Vec<Evidence>,
    pub started: Option<Timestamp>,
}

/// Whether `seen` is about the writing process: the same Sysmon GUID, or (without one) the same
/// process id inside the window (ids are reused, GUIDs are not).
fn same_process(scene: &Scene, guid: Option<&str>, pid: Option<u64>, seen: &Seen) -> bool {
    let w = scene.write;
    match (w.process_guid, guid) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => {
            pid.is_some()
                && pid == w.process_id
                && seen.origin.timestamp >= scene.from
                && seen.origin.timestamp <= scene.to
        }
    }
}

/// The provider host's start (Sysmon 1, 4688), the registry provider's load into it (Sysmon 7,
/// WMI-Activity 5857) and the payload's arrival by SMB (Sysmon 11 by `System`).
pub(super) fn write_side(scene: &Scene) -> WriteSide {
    let mut side = WriteSide::default();
    let Some(target) = scene.target else {
        return side;
    };
    for seen in target.until(scene.to) {
        let in_window = seen.origin.timestamp >= scene.from;
        let role = match &seen.event {
            ContextEvent::Process(p)
                if file_name(&p.image) == "wmiprvse.exe"
                    && same_process(scene, p.process_guid.as_deref(), p.process_id, seen) =>
            {
                if in_window {
                    side.started = Some(seen.origin.timestamp);
                }
                "provider_host_start"
            }
            ContextEvent::ImageLoad(l)
                if file_name(&l.image_loaded) == REGISTRY_PROVIDER
                    && same_process(scene, l.process_guid.as_deref(), l.process_id, seen) =>
            {
                "provider_load"
            }
            ContextEvent::Wmi(w) => match &w.kind {
                WmiActivityKind::ProviderStarted {
                    path, process_id, ..
                } if file_name(path) == REGISTRY_PROVIDER
                    && same_process(scene, None, *process_id, seen) =>
                {
                    "provider_load"
                }
                _ => continue,
            },
            ContextEvent::File(f)
                if in_window
                    && f.image.eq_ignore_ascii_case("System")
                    && scene.write.payload == Some(file_name(&f.target).as_str()) =>
            {
                "payload_arrival"
            }
            _ => continue,
        };
        side.evidence.push(seen.evidence(role));
    }
    side
}

/// Whether a 4624 is a network logon from another machine.
pub(super) fn remote_logon(scene: &Scene, l: &Logon) -> bool {
    let from_elsewhere = match (&l.ip, &l.workstation) {
        (Some(ip), _) if names::address(ip).is_some() => scene.is_remote(ip),
        (_, Some(ws)) => !same_host(ws, scene.write.host),
        _ => false,
    };
    l.logon_type == Some(3) && from_elsewhere && !l.user.eq_ignore_ascii_case("ANONYMOUS LOGON")
}

/// Whether a connection is inbound RPC/DCOM from another machine: to the endpoint mapper
/// (135), or to a dynamic port of `svchost.exe` or `WmiPrvSE.exe`.
fn inbound_rpc(scene: &Scene, c: &Connection) -> bool {
    let port = c.local.port.unwrap_or(0);
    let rpc = port == 135
        || (port >= DYNAMIC_PORTS
            && matches!(file_name(&c.image).as_str(), "svchost.exe" | "wmiprvse.exe"));
    c.inbound == Some(true) && rpc && scene.is_remote(&c.remote.ip)
}

/// A source of candidates: an address or a machine name, and what it did.
#[derive(Default)]
struct Source {
    ip: Option<String>,
    host: Option<String>,
    /// Its network logons, in time order.
    logons: Vec<(Logon, Seen)>,
    /// Facts about the source that hold whatever account it used.
    facts: Vec<(Kind, &'static str, Seen)>,
    /// An account a share access or WMI client record names, when no logon does.
    named: Option<(Option<String>, String, Option<u64>)>,
}

/// The sources found so far, by address or name.
struct Sources<'a> {
    /// The written host's name: a source by that name is not remote.
    target: &'a str,
    found: Vec<Source>,
}

impl Sources<'_> {
    /// The source with this address (or, without one, this name), added if new.
    fn at(&mut self, ip: Option<&str>, host: Option<&str>) -> &mut Source {
        let ip = ip.and_then(names::address).map(|a| a.to_string());
        let host = host
            .filter(|h| !h.is_empty() && !same_host(h, self.target))
            .map(str::to_string);
        let known = self.found.iter().position(|s| match (&ip, &s.ip) {
            (Some(a), Some(b)) => a == b,
            (None, _) => matches!((&host, &s.host), (Some(a), Some(b)) if same_host(a, b)),
            (Some(_), None) => false,
        });
        let index = known.unwrap_or(self.found.len());
        if known.is_none() {
            self.found.push(Source {
                ip,
                ..Source::default()
            });
        }
        // In range: a known position, or the source just pushed.
        let source = &mut self.found[index];
        if source.host.is_none() {
            source.host = host;
        }
        source
    }
}

/// The sources in the window, merged by address, then by name.
fn sources(scene: &Scene) -> Vec<Source> {
    let mut sources = Sources {
        target: scene.write.host,
        found: Vec::new(),
    };
    for seen in scene.window_events() {
        match &seen.event {
            ContextEvent::Logon(l) if remote_logon(scene, l) => {
                let source = sources.at(l.ip.as_deref(), l.workstation.as_deref());
                source.logons.push((l.clone(), seen.clone()));
            }
            ContextEvent::Connection(c) if inbound_rpc(scene, c) => {
                let source = sources.at(Some(&c.remote.ip), c.remote.host.as_deref());
                source
                    .facts
                    .push((Kind::InboundRpc, "inbound_rpc", seen.clone()));
            }
            ContextEvent::Wmi(w) => {
                let WmiActivityKind::Client { machine, user, .. } = &w.kind else {
                    continue;
                };
                if machine.is_empty() || same_host(machine, scene.write.host) {
                    continue;
                }
                let source = sources.at(None, Some(machine));
                source
                    .facts
                    .push((Kind::WmiClient, "wmi_client", seen.clone()));
                if let Some(user) = user.as_deref().filter(|u| !names::is_service_account(u)) {
                    let (domain, user) = names::split_account(user);
                    source.named.get_or_insert((domain, user, None));
                }
            }
            ContextEvent::Share(s)
                if s.ip.as_deref().is_some_and(|ip| scene.is_remote(ip))
                    && admin_share(&s.share)
                    && scene.write.payload == Some(file_name(&s.target).as_str()) =>
            {
                let source = sources.at(s.ip.as_deref(), None);
                source
                    .facts
                    .push((Kind::PayloadTransfer, "payload_transfer", seen.clone()));
                let (domain, user) = names::split_account(&s.account);
                source.named.get_or_insert((domain, user, s.logon_id));
            }
            _ => {}
        }
    }
    merge_names(sources.found)
}

/// An administrative share (`ADMIN$`, `C$`, …; not `IPC$`), where a payload is copied to.
fn admin_share(share: &str) -> bool {
    let name = share.rsplit('\\').next().unwrap_or(share);
    name.ends_with('$') && !name.eq_ignore_ascii_case("IPC$")
}

/// Folds sources known only by name into the source with an address and that name.
fn merge_names(found: Vec<Source>) -> Vec<Source> {
    let (mut with_ip, by_name): (Vec<Source>, Vec<Source>) =
        found.into_iter().partition(|s| s.ip.is_some());
    let mut rest = Vec::new();
    for source in by_name {
        let twin = with_ip.iter_mut().find(|s| match (&s.host, &source.host) {
            (Some(a), Some(b)) => short_host(a) == short_host(b),
            _ => false,
        });
        match twin {
            Some(twin) => {
                twin.logons.extend(source.logons);
                twin.facts.extend(source.facts);
                if twin.named.is_none() {
                    twin.named = source.named;
                }
            }
            None => rest.push(source),
        }
    }
    with_ip.extend(rest);
    with_ip
}

/// The candidates in the window: each source once per account that logged on from it (people
/// before machine accounts: a caller's computer also logs on by itself), or once without an
/// account. `started` is when the writing provider host started, if in the window.
pub(super) fn candidates(scene: &Scene, started: Option<Timestamp>) -> Vec<Candidate> {
    let mut out = Vec::new();
    for source in sources(scene) {
        let people = source
            .logons
            .iter()
            .any(|(l, _)| !is_machine_account(&l.user));
        let mut accounts: Vec<(String, String)> = Vec::new();
        for (l, _) in &source.logons {
            let key = (l.domain.to_ascii_lowercase(), l.user.to_ascii_lowercase());
            if (!people || !is_machine_account(&l.user)) && !accounts.contains(&key) {
                accounts.push(key);
            }
        }
        let base = Candidate {
            ip: source.ip.clone(),
            host: source.host.clone(),
            ..Candidate::default()
        };
        let mut split: Vec<Candidate> = if accounts.is_empty() {
            let mut c = base;
            c.account = source
                .named
                .clone()
                .map(|(domain, user, logon_id)| Account {
                    domain,
                    user,
                    logon_id,
                    ..Account::default()
                });
            vec![c]
        } else {
            accounts
                .iter()
                .map(|key| with_logons(scene, base.clone(), &source.logons, key))
                .collect()
        };
        for c in &mut split {
            for (kind, role, seen) in &source.facts {
                c.note(*kind, seen, role);
            }
            if started.is_some_and(|s| c.first.is_some_and(|f| f <= s)) {
                c.kinds.insert(Kind::ProviderStart);
            }
        }
        out.extend(split);
    }
    out
}

/// A candidate with the logons of one account: the latest is its session; a 4672 for that
/// session makes it an administrator.
fn with_logons(
    scene: &Scene,
    mut c: Candidate,
    logons: &[(Logon, Seen)],
    key: &(String, String),
) -> Candidate {
    let mine = logons
        .iter()
        .filter(|(l, _)| (l.domain.to_ascii_lowercase(), l.user.to_ascii_lowercase()) == *key);
    let mut latest: Option<&Logon> = None;
    for (l, seen) in mine {
        c.note(Kind::Logon, seen, "logon");
        latest = Some(l);
    }
    if let Some(l) = latest {
        let admin = privileges(scene, l, &mut c.evidence);
        c.account = Some(Account {
            domain: (!l.domain.is_empty()).then(|| l.domain.clone()),
            user: l.user.clone(),
            logon_id: l.logon_id,
            logon_type: l.logon_type,
            auth_package: l.auth_package.clone(),
            admin: Some(admin),
        });
    }
    c
}

/// Whether a 4672 gave the logon `l` special privileges (logged right after it, same logon
/// id); its record goes into `evidence`.
pub(super) fn privileges(scene: &Scene, l: &Logon, evidence: &mut Vec<Evidence>) -> bool {
    let (Some(target), Some(id)) = (scene.target, l.logon_id) else {
        return false;
    };
    let found = target
        .between(
            l.origin.timestamp - jiff::SignedDuration::from_secs(1),
            scene.to,
        )
        .find(|s| matches!(&s.event, ContextEvent::Privileges(p) if p.logon_id == Some(id)));
    if let Some(seen) = found {
        evidence.push(seen.evidence("admin_logon"));
    }
    found.is_some()
}

/// The candidate whose source is the address or name of a logon (for a direct attribution,
/// whose logon may be older than the window).
pub(super) fn source_of<'c>(candidates: &'c [Candidate], l: &Logon) -> Option<&'c Candidate> {
    let ip =
        l.ip.as_deref()
            .and_then(names::address)
            .map(|a| a.to_string());
    candidates
        .iter()
        .find(|c| match (&ip, &c.ip, &l.workstation, &c.host) {
            (Some(a), Some(b), _, _) => a == b,
            (_, _, Some(a), Some(b)) => same_host(a, b),
            _ => false,
        })
}
