//! The rules on plain events: grades, windows, joins and what must not count.

use super::*;
use crate::event::logon::{Logon, Privileges};
use crate::event::network::{Connection, End};
use crate::event::process::ProcessStart;

const HOST: &str = "WS01.corp.example";
const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const WRITER: &str = "{747f3d96-041e-5fd2-0000-001024df3b00}";

/// 2024-05-14T09:30:00Z plus `ms` milliseconds.
fn t(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(1_715_679_000_000 + ms).unwrap()
}

fn origin(channel: &str, event_id: u16, ms: i64, record: u64) -> Origin {
    Origin {
        timestamp: t(ms),
        host: HOST.into(),
        channel: channel.into(),
        event_id,
        record_id: record,
    }
}

fn seen(event: ContextEvent) -> Seen {
    Seen::new(event, "x.evtx".into())
}

fn logon(ms: i64, record: u64, user: &str, id: u64, ip: &str, logon_type: u32) -> Seen {
    seen(ContextEvent::Logon(Logon {
        origin: origin("Security", 4624, ms, record),
        user: user.into(),
        domain: "CORP".into(),
        logon_id: Some(id),
        logon_type: Some(logon_type),
        ip: Some(ip.into()),
        workstation: None,
        auth_package: Some("NTLM".into()),
    }))
}

fn rpc(ms: i64, record: u64, from: &str, port: u16, image: &str) -> Seen {
    seen(ContextEvent::Connection(Connection {
        origin: origin(SYSMON, 3, ms, record),
        image: image.into(),
        process_guid: None,
        process_id: Some(896),
        inbound: Some(true),
        local: End {
            ip: "10.0.0.21".into(),
            port: Some(port),
            host: None,
        },
        remote: End {
            ip: from.into(),
            port: Some(50311),
            host: None,
        },
    }))
}

fn start(ms: i64, record: u64, guid: &str, pid: u64) -> Seen {
    let mut p = ProcessStart::sample("C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", "-Embedding");
    p.timestamp = t(ms);
    p.host = HOST.into();
    p.record_id = record;
    p.process_guid = Some(guid.into());
    p.process_id = Some(pid);
    seen(ContextEvent::Process(p))
}

const SVCHOST: &str = "C:\\Windows\\system32\\svchost.exe";

fn sysmon_write() -> Write<'static> {
    Write {
        host: HOST,
        timestamp: t(0),
        origin: origin(SYSMON, 13, 0, 99),
        source: "x.evtx".into(),
        process_id: Some(5580),
        process_guid: Some(WRITER),
        sysmon_user: None,
        subject: None,
        subject_logon_id: None,
        payload: None,
    }
}

fn security_write(logon_id: u64, subject: &'static str) -> Write<'static> {
    Write {
        origin: origin("Security", 4657, 0, 99),
        process_guid: None,
        subject: Some(subject),
        subject_logon_id: Some(logon_id),
        ..sysmon_write()
    }
}

fn collection(events: Vec<Seen>, coverage: Coverage) -> Collection {
    let mut c = Collection::default();
    c.cover(HOST, coverage);
    events.into_iter().for_each(|s| c.add(s));
    c.finish();
    c
}

const BOTH: Coverage = Coverage {
    security: true,
    sysmon: true,
    wmi_activity: false,
    powershell: false,
};

fn five_minutes() -> SignedDuration {
    SignedDuration::from_secs(300)
}

#[test]
fn a_service_logon_subject_is_a_local_caller() {
    let logs = collection(vec![], BOTH);
    let a = attribute(&security_write(0x3e7, "CORP\\WS01$"), &logs, five_minutes());
    assert_eq!(a.grade, Grade::Direct);
    let c = a.caller.unwrap();
    assert_eq!((c.user.as_deref(), c.remote), (Some("WS01$"), Some(false)));
    assert_eq!(c.logon_id.as_deref(), Some("0x3e7"));
    assert!(a.rule.contains("not another machine"), "{}", a.rule);
}

#[test]
fn a_subject_whose_logon_is_not_read_names_the_account_only() {
    let logs = collection(vec![logon(-5_000, 1, "other", 0x99, "10.0.0.9", 3)], BOTH);
    let a = attribute(&security_write(0x5e4c1, "CORP\\adm"), &logs, five_minutes());
    assert_eq!(a.grade, Grade::Strong);
    let c = a.caller.unwrap();
    assert_eq!(
        (c.user.as_deref(), c.domain.as_deref()),
        (Some("adm"), Some("CORP"))
    );
    assert_eq!((c.source_ip, c.remote), (None, None));
    assert!(a
        .gaps
        .iter()
        .any(|g| g.starts_with("logon 0x5e4c1 is not among")));
}

#[test]
fn a_subject_joins_its_logon_however_old() {
    // Two hours before the write, far outside the window: a logon session lasts.
    let events = vec![
        logon(-7_200_000, 1, "adm", 0x5e4c1, "10.0.0.52", 3),
        seen(ContextEvent::Privileges(Privileges {
            origin: origin("Security", 4672, -7_200_000, 2),
            logon_id: Some(0x5e4c1),
        })),
    ];
    let a = attribute(
        &security_write(0x5e4c1, "CORP\\adm"),
        &collection(events, BOTH),
        five_minutes(),
    );
    assert_eq!(a.grade, Grade::Direct);
    let c = a.caller.unwrap();
    assert_eq!(c.source_ip.as_deref(), Some("10.0.0.52"));
    assert_eq!((c.admin, c.remote), (Some(true), Some(true)));
}

#[test]
fn the_window_is_inclusive_and_ends_at_the_write() {
    let at_edges = vec![
        logon(-300_000, 1, "early", 0x1, "10.0.0.1", 3),
        logon(0, 2, "late", 0x2, "10.0.0.2", 3),
    ];
    let a = attribute(&sysmon_write(), &collection(at_edges, BOTH), five_minutes());
    assert_eq!(a.candidates, 2);
    let outside = vec![
        logon(-300_001, 1, "early", 0x1, "10.0.0.1", 3),
        logon(1, 2, "late", 0x2, "10.0.0.2", 3),
    ];
    let a = attribute(&sysmon_write(), &collection(outside, BOTH), five_minutes());
    assert_eq!((a.grade, a.candidates), (Grade::None, 0));
}

#[test]
fn one_kind_of_evidence_is_weak_two_are_strong() {
    let one = vec![rpc(-9_000, 1, "10.0.0.52", 135, SVCHOST)];
    let a = attribute(&sysmon_write(), &collection(one, BOTH), five_minutes());
    assert_eq!(a.grade, Grade::Weak);
    assert!(
        a.rule.ends_with("only: inbound RPC/DCOM connection"),
        "{}",
        a.rule
    );
    let two = vec![
        rpc(-9_000, 1, "10.0.0.52", 135, SVCHOST),
        logon(-9_100, 1, "adm", 0x5, "::ffff:10.0.0.52", 3),
    ];
    let a = attribute(&sysmon_write(), &collection(two, BOTH), five_minutes());
    // One source: the IPv4-mapped address is the same machine.
    assert_eq!((a.grade, a.candidates), (Grade::Strong, 1));
    assert_eq!(a.caller.unwrap().source_ip.as_deref(), Some("10.0.0.52"));
}

#[test]
fn the_provider_host_counts_only_when_it_started_after_the_contact() {
    let before = vec![
        start(-20_000, 1, WRITER, 5580),
        rpc(-9_000, 2, "10.0.0.52", 135, SVCHOST),
    ];
    let a = attribute(&sysmon_write(), &collection(before, BOTH), five_minutes());
    assert_eq!(a.grade, Grade::Weak, "{}", a.rule);
    let after = vec![
        rpc(-9_000, 1, "10.0.0.52", 135, SVCHOST),
        start(-6_000, 2, WRITER, 5580),
    ];
    let a = attribute(&sysmon_write(), &collection(after, BOTH), five_minutes());
    assert_eq!(a.grade, Grade::Strong, "{}", a.rule);
    // Another provider host (another GUID, the same reused process id) is not the writer.
    let other = vec![
        rpc(-9_000, 1, "10.0.0.52", 135, SVCHOST),
        start(-6_000, 2, "{747f3d96-0000-0000-0000-000000000001}", 5580),
    ];
    let a = attribute(&sysmon_write(), &collection(other, BOTH), five_minutes());
    assert_eq!(a.grade, Grade::Weak, "{}", a.rule);
    assert!(a.evidence.iter().all(|e| e.role != "provider_host_start"));
}

#[test]
fn only_rpc_ports_count_as_rpc() {
    let events = vec![
        rpc(-9_000, 1, "10.0.0.52", 3389, SVCHOST),
        rpc(
            -8_000,
            2,
            "10.0.0.53",
            49668,
            "C:\\Windows\\system32\\notepad.exe",
        ),
        rpc(-7_000, 3, "10.0.0.54", 49668, SVCHOST),
    ];
    let a = attribute(&sysmon_write(), &collection(events, BOTH), five_minutes());
    assert_eq!(a.candidates, 1);
    assert_eq!(a.caller.unwrap().source_ip.as_deref(), Some("10.0.0.54"));
}

#[test]
fn a_person_is_named_before_the_machine_account_of_the_same_source() {
    let events = vec![
        logon(-15_000, 1, "PC7$", 0x7, "10.0.0.70", 3),
        logon(-12_000, 2, "dave", 0x8, "10.0.0.70", 3),
    ];
    let a = attribute(&sysmon_write(), &collection(events, BOTH), five_minutes());
    assert_eq!(a.candidates, 1);
    assert_eq!(a.caller.unwrap().user.as_deref(), Some("dave"));
    // Alone, the machine account is the candidate.
    let alone = vec![logon(-15_000, 1, "PC7$", 0x7, "10.0.0.70", 3)];
    let a = attribute(&sysmon_write(), &collection(alone, BOTH), five_minutes());
    assert_eq!(a.caller.unwrap().user.as_deref(), Some("PC7$"));
}

#[test]
fn the_hosts_own_address_counts_only_in_the_window() {
    // 10.0.0.52 was this host's own address a day earlier (a cloned lab machine): now it is a
    // remote source. In the window, an address the host used is its own.
    let mut earlier = rpc(-86_400_000, 1, "10.0.0.9", 135, SVCHOST);
    if let ContextEvent::Connection(c) = &mut earlier.event {
        c.local.ip = "10.0.0.52".into();
    }
    let events = vec![earlier, rpc(-9_000, 2, "10.0.0.52", 135, SVCHOST)];
    let a = attribute(&sysmon_write(), &collection(events, BOTH), five_minutes());
    assert_eq!(a.caller.unwrap().source_ip.as_deref(), Some("10.0.0.52"));
    let own = vec![
        rpc(-9_000, 1, "10.0.0.9", 135, SVCHOST),
        logon(-8_000, 2, "svc", 0x9, "10.0.0.21", 3),
    ];
    let a = attribute(&sysmon_write(), &collection(own, BOTH), five_minutes());
    assert_eq!(a.candidates, 1, "10.0.0.21 is the host itself");
}

#[test]
fn a_command_aimed_at_another_machine_is_not_a_local_caller() {
    let command = |ms, record, line: &str| {
        let mut p = ProcessStart::sample("C:\\Windows\\System32\\wbem\\WMIC.exe", line);
        p.timestamp = t(ms);
        p.host = HOST.into();
        p.record_id = record;
        p.user = Some("CORP\\carol".into());
        seen(ContextEvent::Process(p))
    };
    let remote = vec![command(
        -5_000,
        1,
        "wmic /node:FS01 path StdRegProv call CreateKey",
    )];
    let a = attribute(&sysmon_write(), &collection(remote, BOTH), five_minutes());
    assert_eq!(a.grade, Grade::None);
    let local = vec![command(
        -5_000,
        1,
        "wmic /node:localhost path StdRegProv call CreateKey",
    )];
    let a = attribute(&sysmon_write(), &collection(local, BOTH), five_minutes());
    assert_eq!(a.grade, Grade::Weak);
    assert_eq!(a.caller.unwrap().remote, Some(false));
}

#[test]
fn gaps_name_the_missing_logs() {
    let a = attribute(
        &sysmon_write(),
        &collection(vec![], Coverage::default()),
        five_minutes(),
    );
    assert_eq!(a.grade, Grade::None);
    assert_eq!(a.gaps.len(), 2, "{:?}", a.gaps);
    assert!(a.gaps[0].starts_with("no Security log for WS01.corp.example"));
    assert!(a.gaps[1].starts_with("no Sysmon log for WS01.corp.example"));
    let a = attribute(&sysmon_write(), &collection(vec![], BOTH), five_minutes());
    assert_eq!(
        a.gaps,
        [
            "no Security event of WS01.corp.example in the 300 s before the write was read: its \
          Security log may not cover this time"
        ]
    );
}
