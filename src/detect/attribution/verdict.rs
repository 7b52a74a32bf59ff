//! The grade and its rule, in the order the rules are tried (`docs/attribution.md`): the
//! write's own logon session (4657), the account the write names (Sysmon `User`), the remote
//! candidates in the window, a local command, nothing.

use super::caller::{caller_side, local_call, CallerSide};
use super::candidates::{
    candidates, privileges, remote_logon, source_of, write_side, Candidate, WriteSide,
};
use super::names::{self, is_service_account, is_service_logon, same_account, split_account};
use super::{Attribution, Caller, Evidence, Grade, Scene};
use crate::event::context::ContextEvent;
use crate::event::logon::Logon;
use crate::event::SECURITY_CHANNEL;

/// Decides the attribution of the scene's write.
pub(super) fn decide(scene: &Scene) -> Attribution {
    let side = write_side(scene);
    let gaps = coverage_gaps(scene);
    if let Some(id) = scene.write.subject_logon_id {
        return direct(scene, id, side, gaps);
    }
    let mut found = candidates(scene, side.started);
    let alone = found.len() == 1;
    for c in &mut found {
        let theirs = caller_side(scene, c, alone);
        c.kinds.extend(theirs.kinds);
        c.evidence.extend(theirs.evidence);
        c.command = theirs.command;
        c.caller_host = theirs.host;
    }
    found.sort_by_key(|c| std::cmp::Reverse(rank(c)));
    if let Some(user) = scene.write.sysmon_user.filter(|u| !is_service_account(u)) {
        return named_by_sysmon(scene, user, found, side, gaps);
    }
    match found.len() {
        0 => local_or_none(scene, side, gaps),
        n => remote(scene, found, n, side, gaps),
    }
}

/// How likely a candidate is: kinds of evidence, then the latest contact.
fn rank(c: &Candidate) -> (usize, Option<jiff::Timestamp>) {
    (c.kinds.len(), c.last)
}

/// The kinds of a candidate, in words.
fn kinds_text(c: &Candidate) -> String {
    let words: Vec<&str> = c.kinds.iter().map(|k| k.describe()).collect();
    words.join(", ")
}

/// Gaps every attribution of the host shares: its logs that are not in the collection.
fn coverage_gaps(scene: &Scene) -> Vec<String> {
    let host = scene.write.host;
    let coverage = scene.target.map(|t| t.coverage).unwrap_or_default();
    let mut gaps = Vec::new();
    if !coverage.security {
        gaps.push(format!(
            "no Security log for {host}: logons, accounts and admin rights are unknown"
        ));
    } else if !scene
        .window_events()
        .any(|s| s.origin.channel.eq_ignore_ascii_case(SECURITY_CHANNEL))
    {
        gaps.push(format!(
            "no Security event of {host} in the {} s before the write was read: its Security \
             log may not cover this time",
            scene.seconds()
        ));
    }
    if !coverage.sysmon {
        gaps.push(format!(
            "no Sysmon log for {host}: connections, the provider host's start and the \
             provider's load are unknown"
        ));
    }
    gaps
}

/// The caller a candidate names.
fn caller_of(c: &Candidate) -> Caller {
    let account = c.account.as_ref();
    Caller {
        user: account.map(|a| a.user.clone()),
        domain: account.and_then(|a| a.domain.clone()),
        logon_id: account
            .and_then(|a| a.logon_id)
            .map(|id| format!("{id:#x}")),
        source_ip: c.ip.clone(),
        source_host: c.host.clone().or_else(|| c.caller_host.clone()),
        logon_type: account.and_then(|a| a.logon_type),
        auth_package: account.and_then(|a| a.auth_package.clone()),
        admin: account.and_then(|a| a.admin),
        remote: Some(true),
    }
}

/// The gap left when a remote caller's own logs are not (or say nothing) in the collection.
fn caller_gap(c: &Candidate, gaps: &mut Vec<String>) {
    let name = match (&c.host, &c.ip) {
        (Some(h), Some(ip)) => format!("{h} ({ip})"),
        (Some(h), None) => h.clone(),
        (None, Some(ip)) => ip.clone(),
        (None, None) => return,
    };
    match (&c.caller_host, &c.command) {
        (None, _) => gaps.push(format!(
            "the caller's host {name} is not in the collection: the command that made the call \
             is unknown"
        )),
        (Some(host), None) => gaps.push(format!(
            "no command that made the call was found in the logs of {host}"
        )),
        _ => {}
    }
}

/// Evidence in time order, each record once per role.
fn tidy(mut evidence: Vec<Evidence>) -> Vec<Evidence> {
    evidence.sort_by(|a, b| {
        (a.timestamp, a.record_id, &a.host, a.role).cmp(&(
            b.timestamp,
            b.record_id,
            &b.host,
            b.role,
        ))
    });
    evidence.dedup_by(|b, a| {
        (a.role, &a.host, &a.channel, a.record_id, a.event_id)
            == (b.role, &b.host, &b.channel, b.record_id, b.event_id)
    });
    evidence
}

/// Builds the attribution: `caller` and the `others` are the candidates.
fn verdict(
    grade: Grade,
    rule: String,
    caller: Option<Caller>,
    others: &[&Candidate],
    evidence: Vec<Evidence>,
    gaps: Vec<String>,
) -> Attribution {
    Attribution {
        grade,
        rule,
        candidates: usize::from(caller.is_some()) + others.len(),
        caller,
        alternatives: others.iter().map(|c| caller_of(c)).collect(),
        command: None,
        evidence: tidy(evidence),
        gaps,
    }
}

/// A Security 4657 write: its subject's logon session is the caller's.
fn direct(scene: &Scene, id: u64, side: WriteSide, mut gaps: Vec<String>) -> Attribution {
    let write = scene.write;
    let (domain, user) = split_account(write.subject.unwrap_or_default());
    let mut evidence = side.evidence;
    evidence.push(write.evidence("write"));
    if is_service_logon(id) {
        let account = write.subject.unwrap_or_default();
        let caller = Caller {
            user: Some(user),
            domain,
            logon_id: Some(format!("{id:#x}")),
            remote: Some(false),
            ..Caller::default()
        };
        let rule = format!(
            "the write's 4657 subject is the local service logon {id:#x} ({account}): a process \
             on this host running as that account made the call, not another machine"
        );
        return verdict(Grade::Direct, rule, Some(caller), &[], evidence, gaps);
    }
    let logon = scene.target.and_then(|t| {
        t.until(scene.to)
            .filter_map(|s| match &s.event {
                ContextEvent::Logon(l) if l.logon_id == Some(id) => Some((l, s)),
                _ => None,
            })
            .last()
    });
    let Some((l, seen)) = logon else {
        gaps.push(format!(
            "logon {id:#x} is not among the Security events read for {}: where it came from is \
             unknown",
            write.host
        ));
        let caller = Caller {
            user: Some(user),
            domain,
            logon_id: Some(format!("{id:#x}")),
            ..Caller::default()
        };
        let rule = format!(
            "the write's 4657 subject names the account; its logon {id:#x} has no 4624 among the \
             events read"
        );
        return verdict(Grade::Strong, rule, Some(caller), &[], evidence, gaps);
    };
    evidence.push(seen.evidence("logon"));
    let admin = privileges(scene, l, &mut evidence);
    joined(scene, l, admin, evidence, gaps)
}

/// The attribution of a 4657 whose subject joined its logon `l`.
fn joined(
    scene: &Scene,
    l: &Logon,
    admin: bool,
    mut evidence: Vec<Evidence>,
    mut gaps: Vec<String>,
) -> Attribution {
    let is_remote = remote_logon(scene, l);
    let ip =
        l.ip.as_deref()
            .and_then(names::address)
            .map(|a| a.to_string());
    let mut caller = Caller {
        user: Some(l.user.clone()),
        domain: (!l.domain.is_empty()).then(|| l.domain.clone()),
        logon_id: l.logon_id.map(|id| format!("{id:#x}")),
        logon_type: l.logon_type,
        auth_package: l.auth_package.clone(),
        admin: Some(admin),
        remote: Some(is_remote),
        ..Caller::default()
    };
    let mut command = None;
    if is_remote {
        caller.source_ip = ip.clone();
        caller.source_host = l.workstation.clone();
        let found = candidates(scene, None);
        let mut source = source_of(&found, l).cloned().unwrap_or(Candidate {
            ip,
            host: l.workstation.clone(),
            ..Candidate::default()
        });
        evidence.extend(
            source
                .evidence
                .iter()
                .filter(|e| !matches!(e.role, "logon" | "admin_logon"))
                .cloned(),
        );
        let theirs = caller_side(scene, &source, true);
        evidence.extend(theirs.evidence);
        source.command = theirs.command;
        source.caller_host = theirs.host;
        caller_gap(&source, &mut gaps);
        if caller.source_host.is_none() {
            caller.source_host = source.caller_host.clone();
        }
        command = source.command;
    }
    let from = match (&caller.source_ip, &caller.source_host) {
        (Some(ip), _) => format!(" from {ip}"),
        (None, Some(host)) => format!(" from {host}"),
        _ => String::new(),
    };
    let kind = l
        .logon_type
        .map_or("unknown".to_string(), |t| t.to_string());
    let rule = format!(
        "the write's 4657 subject (logon {}) joined to its 4624: a type {kind} logon{from}",
        caller.logon_id.as_deref().unwrap_or_default()
    );
    Attribution {
        command,
        ..verdict(Grade::Direct, rule, Some(caller), &[], evidence, gaps)
    }
}

/// A Sysmon write whose `User` names an account other than a service account.
fn named_by_sysmon(
    scene: &Scene,
    account: &str,
    found: Vec<Candidate>,
    side: WriteSide,
    mut gaps: Vec<String>,
) -> Attribution {
    let (domain, user) = split_account(account);
    let mut evidence = side.evidence;
    evidence.push(scene.write.evidence("write"));
    let theirs = found.iter().position(|c| {
        c.account
            .as_ref()
            .is_some_and(|a| same_account((&a.domain, &a.user), (&domain, &user)))
    });
    let Some(index) = theirs else {
        let caller = Caller {
            user: Some(user),
            domain,
            ..Caller::default()
        };
        let others: Vec<&Candidate> = found.iter().collect();
        let rule = format!(
            "the write's Sysmon User names {account}; no remote logon of that account in the window \
             says where the call came from"
        );
        return verdict(Grade::Strong, rule, Some(caller), &others, evidence, gaps);
    };
    let named = found.get(index);
    let others: Vec<&Candidate> = found
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, c)| c)
        .collect();
    if let Some(c) = named {
        evidence.extend(c.evidence.iter().cloned());
        caller_gap(c, &mut gaps);
    }
    let rule = format!(
        "the write's Sysmon User names {account}, and a remote network logon of that account \
         precedes it in the window"
    );
    Attribution {
        command: named.and_then(|c| c.command.clone()),
        ..verdict(
            Grade::Strong,
            rule,
            named.map(caller_of),
            &others,
            evidence,
            gaps,
        )
    }
}

/// Remote candidates and no account named by the write.
fn remote(
    scene: &Scene,
    found: Vec<Candidate>,
    n: usize,
    side: WriteSide,
    mut gaps: Vec<String>,
) -> Attribution {
    let s = scene.seconds();
    let Some((named, rest)) = found.split_first() else {
        return local_or_none(scene, side, gaps);
    };
    let kinds = kinds_text(named);
    let (grade, rule) = match (n, named.kinds.len()) {
        (1, k) if k >= 2 => (
            Grade::Strong,
            format!(
                "one remote source in the {s} s before the write, corroborated by {k} kinds of \
                 evidence: {kinds}"
            ),
        ),
        (1, _) => (
            Grade::Weak,
            format!(
                "one remote source in the {s} s before the write, seen by one kind of evidence \
                 only: {kinds}"
            ),
        ),
        _ => (
            Grade::Weak,
            format!(
                "{n} candidate callers in the {s} s before the write; the one named has the \
                 most kinds of evidence ({kinds})"
            ),
        ),
    };
    caller_gap(named, &mut gaps);
    let mut evidence = side.evidence;
    evidence.extend(named.evidence.iter().cloned());
    let others: Vec<&Candidate> = rest.iter().collect();
    Attribution {
        command: named.command.clone(),
        ..verdict(grade, rule, Some(caller_of(named)), &others, evidence, gaps)
    }
}

/// No remote candidate: a command on this host that called the registry provider, or nothing.
fn local_or_none(scene: &Scene, side: WriteSide, gaps: Vec<String>) -> Attribution {
    let s = scene.seconds();
    let Some(local) = local_call(scene) else {
        let rule = format!(
            "no remote logon, inbound RPC/DCOM connection, WMI client or local command calling \
             the registry provider in the {s} s before the write"
        );
        return verdict(Grade::None, rule, None, &[], side.evidence, gaps);
    };
    let CallerSide {
        command,
        evidence: theirs,
        logon_id,
        ..
    } = local;
    let (domain, user) = match command.as_ref().and_then(|c| c.user.as_deref()) {
        Some(account) => {
            let (domain, user) = split_account(account);
            (domain, Some(user))
        }
        None => (None, None),
    };
    let caller = Caller {
        user,
        domain,
        logon_id: logon_id.map(|id| format!("{id:#x}")),
        remote: Some(false),
        ..Caller::default()
    };
    let rule = format!(
        "no remote source in the {s} s before the write; a command on this host called the \
         registry provider"
    );
    let mut evidence = side.evidence;
    evidence.extend(theirs);
    Attribution {
        command,
        ..verdict(Grade::Weak, rule, Some(caller), &[], evidence, gaps)
    }
}
