//! Attribution scenarios: collections of logs from several hosts around one WmiPrvSE.exe write,
//! built from the real field sets (`events.rs`). No public log holds more than a part of the
//! chain (the Sysmon-only `wmi_remote_registry_sysmon.evtx`), so these hold the rest: the
//! Security logons, WMI-Activity, PowerShell and the caller's own logs.
//! `tests/e2e/attribution.rs` scans each and asserts the exact attribution.

use crate::events::*;
use crate::writer::{filetime_from_unix, try_write_to_vec, Event};
use std::io;
use std::path::Path;

/// 2024-05-14T09:30:00Z: the write in every scenario.
pub const WRITE_TIME: &str = "2024-05-14T09:30:00Z";
const BASE: i64 = 1_715_679_000;

/// FILETIME `ms` milliseconds from the write (negative: before it).
pub fn at(ms: i64) -> u64 {
    let t = BASE * 1000 + ms;
    filetime_from_unix(t.div_euclid(1000), (t.rem_euclid(1000) * 1_000_000) as u32)
}

/// One log file of a scenario.
pub struct Log {
    /// Its path below the scenario's folder.
    pub path: String,
    /// Its events (written in time order).
    pub events: Vec<Event>,
}

/// A collection around one write.
pub struct Scenario {
    pub name: &'static str,
    pub logs: Vec<Log>,
}

impl Scenario {
    /// Writes every log below `dir`.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        for log in &self.logs {
            let mut events = log.events.clone();
            events.sort_by_key(|e| e.time);
            let path = dir.join(&log.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, try_write_to_vec(&events)?)?;
        }
        Ok(())
    }
}

fn log(path: &str, events: Vec<Event>) -> Log {
    Log {
        path: path.into(),
        events,
    }
}

const RUN: &str = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
/// An inbound connection to the endpoint mapper of `host` (`ip`) from `from`.
fn to_epmap(host: &str, ip: &str, ms: i64, from: End) -> Event {
    sysmon_connection(host, at(ms), RPCSS, false, from, (ip, 135, host), true)
}

/// The provider host's start, the registry provider's load and the write, on `host`.
fn provider_chain(
    host: &str,
    p: &Proc,
    value: &str,
    data: &str,
    schema: RegistrySchema,
) -> Vec<Event> {
    vec![
        sysmon_process(host, at(-6_000), p, ProcessSchema::Full),
        sysmon_image_load(
            host,
            at(-1_000),
            p,
            "C:\\Windows\\System32\\wbem\\stdprov.dll",
        ),
        sysmon_set_value(host, at(0), p, &format!("{RUN}\\{value}"), data, schema),
    ]
}

/// A remote `wmic /node:` call from ADMIN-PC (10.0.0.52) as CORP\adm-jdoe to WS01
/// (10.0.0.21), which copied its payload over `ADMIN$` first; with or without ADMIN-PC's logs.
pub fn remote_wmic(with_caller: bool) -> Scenario {
    let mut logs = ws01();
    if with_caller {
        logs.extend(admin_pc());
    }
    Scenario {
        name: if with_caller {
            "remote_wmic_with_caller_logs"
        } else {
            "remote_wmic_without_caller_logs"
        },
        logs,
    }
}

/// The written host's side of `remote_wmic`: Security, Sysmon and WMI-Activity.
fn ws01() -> Vec<Log> {
    let (ws01, ip) = ("WS01.corp.example", "10.0.0.21");
    let adm = Account::new(&user_sid(1108), "adm-jdoe", "CORP", 0x4da321f);
    let smb = Account {
        logon_id: 0x4da3000,
        ..adm.clone()
    };
    let via = network("10.0.0.52", "ADMIN-PC");
    let wmi = provider_host("{747f3d96-041e-5fd2-0000-001024df3b00}", 5580);
    let data = "rundll32.exe C:\\Windows\\Temp\\loader.dll,Start";
    let security = vec![
        logon(ws01, at(-31_000), &smb, &via),
        admin_logon(ws01, at(-31_000), &smb),
        share_access(
            ws01,
            at(-30_500),
            &smb,
            "10.0.0.52",
            "\\\\*\\ADMIN$",
            "Temp\\loader.dll",
        ),
        logon(ws01, at(-9_100), &adm, &via),
        admin_logon(ws01, at(-9_100), &adm),
    ];
    let peer = ("10.0.0.52", 50311, "ADMIN-PC.corp.example");
    let mut sysmon = vec![
        sysmon_file(
            ws01,
            at(-30_400),
            "System",
            4,
            "C:\\Windows\\Temp\\loader.dll",
            None,
        ),
        to_epmap(ws01, ip, -9_000, peer),
        sysmon_connection(
            ws01,
            at(-8_700),
            WINMGMT,
            false,
            ("10.0.0.52", 50312, "ADMIN-PC.corp.example"),
            (ip, 49668, ws01),
            true,
        ),
    ];
    sysmon.extend(provider_chain(
        ws01,
        &wmi,
        "Loader",
        data,
        RegistrySchema::Plain,
    ));
    let operation = "Start IWbemServices::ExecMethod - root\\default : StdRegProv::EnumKey";
    let stdprov = "%systemroot%\\system32\\wbem\\stdprov.dll";
    let wmi_activity = vec![
        client_failure(
            ws01,
            at(-2_000),
            "ADMIN-PC",
            "CORP\\adm-jdoe",
            4242,
            operation,
        ),
        provider_started(ws01, at(-1_100), "RegProv", 5580, stdprov),
    ];
    vec![
        log("WS01/Security.evtx", security),
        log("WS01/Sysmon.evtx", sysmon),
        log("WS01/WMI-Activity.evtx", wmi_activity),
    ]
}

/// The caller's side of `remote_wmic`: the wmic command, its connection and RPCSS's 4648.
fn admin_pc() -> Vec<Log> {
    let pc = "ADMIN-PC.corp.example";
    let jdoe = Account::new(&user_sid(1107), "jdoe", "CORP", 0x1e2f33);
    let wmic = |guid: &str, pid: u32, command: &str| Proc {
        guid: guid.into(),
        pid,
        image: "C:\\Windows\\System32\\wbem\\WMIC.exe".into(),
        command_line: command.into(),
        user: "CORP\\jdoe".into(),
        logon_id: 0x1e2f33,
        parent_image: "C:\\Windows\\System32\\cmd.exe".into(),
        parent_command_line: "\"C:\\Windows\\system32\\cmd.exe\" ".into(),
    };
    let call = wmic(
        "{5a1c44e0-77aa-6643-2a05-000000000b00}",
        4242,
        "wmic /node:WS01 /user:CORP\\adm-jdoe /password:******** /namespace:\\\\root\\default path \
         StdRegProv call SetStringValue hDefKey=2147483650 \
         sSubKeyName=\"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\" sValueName=\"Loader\" \
         sValue=\"rundll32.exe C:\\Windows\\Temp\\loader.dll,Start\"",
    );
    // Twenty minutes earlier, another wmic: outside the window, it must not be taken.
    let earlier = wmic(
        "{5a1c44e0-7001-6643-2905-000000000b00}",
        3920,
        "wmic /node:WS01 path StdRegProv call EnumKey hDefKey=2147483650 sSubKeyName=\"SOFTWARE\"",
    );
    let sysmon = vec![
        sysmon_process(
            pc,
            at(-1_200_000),
            &earlier,
            ProcessSchema::NoOriginalFileName,
        ),
        sysmon_process(pc, at(-9_500), &call, ProcessSchema::NoOriginalFileName),
        sysmon_connection(
            pc,
            at(-9_050),
            (&call.guid, call.pid, &call.image, "CORP\\jdoe"),
            true,
            ("10.0.0.52", 50311, pc),
            ("10.0.0.21", 135, "WS01.corp.example"),
            true,
        ),
    ];
    let security = vec![explicit_logon(
        pc,
        at(-9_200),
        &jdoe,
        ("CORP", "adm-jdoe"),
        "WS01.corp.example",
    )];
    vec![
        log("ADMIN-PC/Sysmon.evtx", sysmon),
        log("ADMIN-PC/Security.evtx", security),
    ]
}

/// Registry auditing on DC03 (no Sysmon): the 4657 subject's logon joins a Kerberos network
/// logon from 10.0.0.77; another account's logon in the window must not matter.
pub fn via_4657() -> Scenario {
    let dc = "DC03.corp.example";
    let svc = Account::new(&user_sid(1119), "svc-deploy", "CORP", 0x7a1c3f);
    let backup = Account::new(&user_sid(1120), "backup-svc", "CORP", 0x7a2000);
    let kerberos = LogonVia {
        logon_type: 3,
        ip: "10.0.0.77",
        workstation: "-",
        process: "Kerberos",
        package: "Kerberos",
    };
    let events = vec![
        logon(dc, at(-12_000), &svc, &kerberos),
        admin_logon(dc, at(-12_000), &svc),
        filtering_connection(
            dc,
            at(-11_900),
            896,
            "\\device\\harddiskvolume2\\windows\\system32\\svchost.exe",
            true,
            ("10.0.0.3", 135),
            ("10.0.0.77", 51234),
        ),
        logon(dc, at(-11_000), &backup, &network("10.0.0.99", "BACKUP01")),
        process_created(
            dc,
            at(-8_000),
            &Account::system(dc),
            0x15cc,
            WMIPRVSE,
            "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
            "C:\\Windows\\System32\\svchost.exe",
        ),
        registry_audit(
            dc,
            at(0),
            &svc,
            (0x15cc, WMIPRVSE),
            "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
            "Deploy",
            "C:\\ProgramData\\deploy\\agent.exe",
        ),
    ];
    Scenario {
        name: "via_4657",
        logs: vec![log("DC03/Security.evtx", events)],
    }
}

/// Two remote network logons and RPC connections before the write on WS02; ALICE-PC also made
/// a temporary WMI subscription (5860), so it has the most evidence.
pub fn competing() -> Scenario {
    let (ws02, ip) = ("WS02.corp.example", "10.0.0.22");
    let alice = Account::new(&user_sid(1201), "alice", "CORP", 0x51a0f1);
    let bob = Account::new(&user_sid(1202), "bob", "CORP", 0x51b3c2);
    let wmi = provider_host("{747f3d96-5a10-6643-3c06-000000000c00}", 6120);
    let security = vec![
        logon(ws02, at(-40_000), &alice, &network("10.0.0.61", "ALICE-PC")),
        logon(ws02, at(-20_000), &bob, &network("10.0.0.62", "BOB-PC")),
    ];
    let mut sysmon = vec![
        to_epmap(
            ws02,
            ip,
            -39_900,
            ("10.0.0.61", 50100, "ALICE-PC.corp.example"),
        ),
        to_epmap(
            ws02,
            ip,
            -19_900,
            ("10.0.0.62", 50200, "BOB-PC.corp.example"),
        ),
        sysmon_process(ws02, at(-6_000), &wmi, ProcessSchema::ParentUser),
    ];
    sysmon.extend(
        provider_chain(
            ws02,
            &wmi,
            "Sync",
            "C:\\Users\\Public\\sync.exe",
            RegistrySchema::NoRuleName,
        )
        .into_iter()
        .skip(1),
    );
    let wmi_activity = vec![temporary_subscription(
        ws02,
        at(-39_000),
        "ALICE-PC",
        "CORP\\alice",
        7311,
        "SELECT * FROM RegistryValueChangeEvent",
    )];
    Scenario {
        name: "competing",
        logs: vec![
            log("WS02/Security.evtx", security),
            log("WS02/Sysmon.evtx", sysmon),
            log("WS02/WMI-Activity.evtx", wmi_activity),
        ],
    }
}

/// Only local activity on WS04: carol's PowerShell called StdRegProv on the machine itself;
/// a loopback network logon and a loopback RPC connection must not make a remote caller.
pub fn local_only() -> Scenario {
    let ws04 = "WS04.corp.example";
    let carol = Account::new(&user_sid(1301), "carol", "CORP", 0x2a7f01);
    let loopback = Account {
        logon_id: 0x2a8000,
        ..carol.clone()
    };
    let interactive = LogonVia {
        logon_type: 2,
        ip: "127.0.0.1",
        workstation: "WS04",
        process: "User32 ",
        package: "Negotiate",
    };
    let command = "powershell.exe -NoProfile -Command \"Invoke-CimMethod -Namespace root/default \
                   -ClassName StdRegProv -MethodName SetStringValue -Arguments \
                   @{hDefKey=[uint32]2147483650; sSubKeyName='SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run'; \
                   sValueName='Updater'; sValue='C:\\Users\\Public\\upd.exe'}\"";
    let shell = Proc {
        guid: "{747f3d96-6b20-6643-4a07-000000000d00}".into(),
        pid: 7716,
        image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe".into(),
        command_line: command.into(),
        user: "CORP\\carol".into(),
        logon_id: 0x2a7f01,
        parent_image: "C:\\Windows\\explorer.exe".into(),
        parent_command_line: "C:\\Windows\\Explorer.EXE".into(),
    };
    let wmi = provider_host("{747f3d96-6b22-6643-4b07-000000000d00}", 7840);
    let security = vec![
        logon(ws04, at(-600_000), &carol, &interactive),
        logon(
            ws04,
            at(-30_000),
            &loopback,
            &LogonVia {
                ip: "::1",
                ..network("::1", "WS04")
            },
        ),
    ];
    let mut sysmon = vec![
        sysmon_connection(
            ws04,
            at(-29_900),
            RPCSS,
            false,
            ("127.0.0.1", 50500, ws04),
            ("127.0.0.1", 135, ws04),
            true,
        ),
        sysmon_process(ws04, at(-8_000), &shell, ProcessSchema::ParentUser),
    ];
    sysmon.extend(provider_chain(
        ws04,
        &wmi,
        "Updater",
        "C:\\Users\\Public\\upd.exe",
        RegistrySchema::WithUser("NT AUTHORITY\\SYSTEM"),
    ));
    let script = vec![script_block(ws04, at(-7_500), &carol.sid, command)];
    Scenario {
        name: "local_only",
        logs: vec![
            log("WS04/Security.evtx", security),
            log("WS04/Sysmon.evtx", sysmon),
            log("WS04/PowerShell-Operational.evtx", script),
        ],
    }
}

/// WS05 has only its Sysmon log, and it shows no connection: no caller can be named.
pub fn no_security_log() -> Scenario {
    let ws05 = "WS05.corp.example";
    let wmi = provider_host("{747f3d96-7c30-6643-5c08-000000000e00}", 4404);
    let events = vec![
        sysmon_file(
            ws05,
            at(-50_000),
            "C:\\Windows\\System32\\svchost.exe",
            1320,
            "C:\\Windows\\Prefetch\\WMIPRVSE.EXE-1628B6A3.pf",
            Some("NT AUTHORITY\\SYSTEM"),
        ),
        sysmon_process(ws05, at(-3_000), &wmi, ProcessSchema::NoOriginalFileName),
        sysmon_set_value(
            ws05,
            at(0),
            &wmi,
            &format!("{RUN}\\Helper"),
            "C:\\ProgramData\\helper.exe",
            RegistrySchema::WithUser("NT AUTHORITY\\SYSTEM"),
        ),
    ];
    Scenario {
        name: "no_security_log",
        logs: vec![log("WS05/Sysmon.evtx", events)],
    }
}

/// One genuine remote caller (dave from DAVE-PC, 10.0.0.70) among decoys: a logon outside the
/// window, one after the write, an anonymous logon, loopback and self logons, the caller's
/// machine account, and a logon at the same time on another host (WS07).
pub fn decoys() -> Scenario {
    let (ws06, ip) = ("WS06.corp.example", "10.0.0.26");
    let dave = Account::new(&user_sid(1401), "dave", "CORP", 0x61d0a2);
    let anonymous = Account::new("S-1-5-7", "ANONYMOUS LOGON", "NT AUTHORITY", 0x61a001);
    let machine = Account::new(&user_sid(1499), "DAVE-PC$", "CORP", 0x61c777);
    let kerberos = LogonVia {
        process: "Kerberos",
        package: "Kerberos",
        ..network("10.0.0.70", "-")
    };
    let wmi = provider_host("{747f3d96-8d40-6643-6d09-000000000f00}", 5012);
    // A type 3 logon on WS06 of `user` from `ip` (`workstation`).
    let from = |ms, rid, user: &str, id, ip: &'static str, workstation: &'static str| {
        let who = Account::new(&user_sid(rid), user, "CORP", id);
        logon(ws06, at(ms), &who, &network(ip, workstation))
    };
    let security = vec![
        from(-600_000, 1402, "frank", 0x5f0001, "10.0.0.82", "FRANK-PC"),
        logon(
            ws06,
            at(-45_000),
            &anonymous,
            &network("10.0.0.83", "SCANNER"),
        ),
        from(-40_000, 1403, "svc-monitor", 0x61b001, "127.0.0.1", "-"),
        from(-35_000, 1404, "svc-backup", 0x61b002, ip, "WS06"),
        logon(ws06, at(-15_000), &machine, &kerberos),
        logon(ws06, at(-12_000), &dave, &network("10.0.0.70", "DAVE-PC")),
        admin_logon(ws06, at(-12_000), &dave),
        from(30_000, 1405, "erin", 0x61f001, "10.0.0.81", "ERIN-PC"),
    ];
    let mut sysmon = vec![to_epmap(
        ws06,
        ip,
        -11_900,
        ("10.0.0.70", 50400, "DAVE-PC.corp.example"),
    )];
    sysmon.extend(provider_chain(
        ws06,
        &wmi,
        "Agent",
        "C:\\ProgramData\\agent.exe",
        RegistrySchema::Plain,
    ));
    let ws07 = "WS07.corp.example";
    let harry = Account::new(&user_sid(1406), "harry", "CORP", 0x70a001);
    let elsewhere = vec![logon(
        ws07,
        at(-12_000),
        &harry,
        &network("10.0.0.84", "HARRY-PC"),
    )];
    Scenario {
        name: "decoys",
        logs: vec![
            log("WS06/Security.evtx", security),
            log("WS06/Sysmon.evtx", sysmon),
            log("WS07/Security.evtx", elsewhere),
        ],
    }
}

/// Sysmon's `User` on the write (newer schema) names CORP\eve: of two remote logons in the
/// window it picks hers, though mallory's is later.
pub fn sysmon_user() -> Scenario {
    let (ws08, ip) = ("WS08.corp.example", "10.0.0.28");
    let eve = Account::new(&user_sid(1501), "eve", "CORP", 0x81e001);
    let mallory = Account::new(&user_sid(1502), "mallory", "CORP", 0x81f001);
    let wmi = provider_host("{747f3d96-9e50-6643-7e0a-000000001000}", 6644);
    let security = vec![
        logon(ws08, at(-20_000), &eve, &network("10.0.0.90", "EVE-PC")),
        logon(ws08, at(-10_000), &mallory, &network("10.0.0.91", "MAL-PC")),
    ];
    let mut sysmon = vec![
        to_epmap(
            ws08,
            ip,
            -19_900,
            ("10.0.0.90", 50600, "EVE-PC.corp.example"),
        ),
        to_epmap(
            ws08,
            ip,
            -9_900,
            ("10.0.0.91", 50700, "MAL-PC.corp.example"),
        ),
    ];
    sysmon.extend(provider_chain(
        ws08,
        &wmi,
        "Helper",
        "C:\\Users\\Public\\helper.exe",
        RegistrySchema::WithUser("CORP\\eve"),
    ));
    Scenario {
        name: "sysmon_user",
        logs: vec![
            log("WS08/Security.evtx", security),
            log("WS08/Sysmon.evtx", sysmon),
        ],
    }
}

/// `remote_wmic` with ADMIN-PC's logs, where ADMIN-PC was itself written to through WMI half an
/// hour earlier: a written host that is also a caller (lateral movement in a chain).
pub fn lateral_chain() -> Scenario {
    let mut scenario = remote_wmic(true);
    let wmi = provider_host("{5a1c44e0-6e00-6643-2805-000000000b00}", 2210);
    let write = sysmon_set_value(
        "ADMIN-PC.corp.example",
        at(-1_800_000),
        &wmi,
        &format!("{RUN}\\Tools"),
        "C:\\Tools\\agent.exe",
        RegistrySchema::Plain,
    );
    if let Some(log) = scenario
        .logs
        .iter_mut()
        .find(|l| l.path == "ADMIN-PC/Sysmon.evtx")
    {
        log.events.push(write);
    }
    scenario.name = "lateral_chain";
    scenario
}

/// A provider host started three hours before the write on WS10, which has named its GUID in a
/// thousand image loads since, across many chunks, and loaded the registry provider in the
/// middle of them: its creation and its provider load, in chunks of their own, are joined by
/// GUID from long before the window.
pub fn long_lived_provider() -> Scenario {
    let ws10 = "WS10.corp.example";
    let wmi = provider_host("{747f3d96-0a0a-6643-7c08-000000001000}", 5120);
    let start = -3 * 3_600_000;
    let mut events = vec![sysmon_process(ws10, at(start), &wmi, ProcessSchema::Full)];
    events.extend((1..1_000).map(|i| {
        sysmon_image_load(
            ws10,
            at(start + i * 10_000),
            &wmi,
            "C:\\Windows\\System32\\wbem\\wmiutils.dll",
        )
    }));
    events.push(sysmon_image_load(
        ws10,
        at(start + 500 * 10_000 + 5_000),
        &wmi,
        "C:\\Windows\\System32\\wbem\\stdprov.dll",
    ));
    events.push(sysmon_set_value(
        ws10,
        at(0),
        &wmi,
        &format!("{RUN}\\Updater"),
        "C:\\ProgramData\\updater.exe",
        RegistrySchema::WithUser("NT AUTHORITY\\SYSTEM"),
    ));
    Scenario {
        name: "long_lived_provider",
        logs: vec![log("WS10/Sysmon.evtx", events)],
    }
}

/// Every scenario.
pub fn all() -> Vec<Scenario> {
    vec![
        remote_wmic(true),
        remote_wmic(false),
        via_4657(),
        competing(),
        local_only(),
        no_security_log(),
        decoys(),
        sysmon_user(),
        lateral_chain(),
        long_lived_provider(),
    ]
}
