//! Events with the exact field sets, value types and value shapes Windows writes, for the
//! attribution scenarios (`scenarios.rs`). Each builder follows one real record of the shared
//! samples (named in its comment, from `/work/notes/fieldsets.md`); schema variants are the
//! ones seen there. The writer has no Boolean type: Sysmon 3's `Initiated` is written as the
//! text it renders to (`false`); and no `UserData`: WMI-Activity fields are written under
//! `EventData`, which wmihunt reads the same way (its unit tests read the real `UserData`).

use crate::writer::{guid_from_str, Event, Value};

pub const SYSMON: &str = "Microsoft-Windows-Sysmon";
pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
pub const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
pub const WMI_ACTIVITY: &str = "Microsoft-Windows-WMI-Activity";
pub const WMI_CHANNEL: &str = "Microsoft-Windows-WMI-Activity/Operational";
pub const POWERSHELL: &str = "Microsoft-Windows-PowerShell";
pub const POWERSHELL_CHANNEL: &str = "Microsoft-Windows-PowerShell/Operational";
/// The real provider host as Sysmon writes it in process and image-load events.
pub const WMIPRVSE: &str = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";
/// … and in registry events.
pub const WMIPRVSE_REGISTRY: &str = "C:\\Windows\\system32\\wbem\\wmiprvse.exe";

fn guid(text: &str) -> Value {
    Value::Guid(guid_from_str(text).unwrap_or_default())
}

/// A Sysmon event of `eid` at `time` (FILETIME) on `host`.
fn sysmon(eid: u16, version: u8, host: &str, time: u64) -> Event {
    let mut e = Event::new(SYSMON, eid, SYSMON_CHANNEL, host, time);
    e.provider_guid = guid_from_str("{5770385f-c22a-43e0-bf4c-06f5698ffbd9}");
    e.version = version;
    e.task = eid;
    e.process_id = 3556;
    e.thread_id = 4712;
    e.user_sid = Some("S-1-5-18".into());
    e
}

/// A Security-Auditing event.
fn security(eid: u16, version: u8, task: u16, host: &str, time: u64) -> Event {
    let mut e = Event::new(SECURITY, eid, "Security", host, time);
    e.provider_guid = guid_from_str("{54849625-5478-4994-a5ba-3e3b0328c30d}");
    e.version = version;
    e.task = task;
    e.keywords = 0x8020_0000_0000_0000;
    e.process_id = 584;
    e.thread_id = 2236;
    e
}

/// A process, as Sysmon and Security name it.
#[derive(Debug, Clone)]
pub struct Proc {
    pub guid: String,
    pub pid: u32,
    pub image: String,
    pub command_line: String,
    pub user: String,
    pub logon_id: u64,
    pub parent_image: String,
    pub parent_command_line: String,
}

/// Sysmon 1 field sets: `Full` is variant A (22 fields), `NoOriginalFileName` B (21),
/// `ParentUser` D (23).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessSchema {
    Full,
    NoOriginalFileName,
    ParentUser,
}

/// Sysmon 1 (v5), as `wmi_remote_registry_sysmon.evtx` rec 549600.
pub fn sysmon_process(host: &str, time: u64, p: &Proc, schema: ProcessSchema) -> Event {
    let mut e = sysmon(1, 5, host, time)
        .with("RuleName", "-")
        .with("UtcTime", "2024-03-01 10:00:00.000")
        .with("ProcessGuid", guid(&p.guid))
        .with("ProcessId", Value::U32(p.pid))
        .with("Image", p.image.as_str())
        .with("FileVersion", "10.0.17763.1 (WinBuild.160101.0800)")
        .with("Description", "?")
        .with("Product", "Microsoft® Windows® Operating System")
        .with("Company", "Microsoft Corporation");
    if schema != ProcessSchema::NoOriginalFileName {
        let name = p.image.rsplit('\\').next().unwrap_or_default();
        e = e.with("OriginalFileName", name);
    }
    e = e
        .with("CommandLine", p.command_line.as_str())
        .with("CurrentDirectory", "C:\\Windows\\system32\\")
        .with("User", p.user.as_str())
        .with("LogonGuid", guid("{747f3d96-7e79-5fd2-0000-0020e5030000}"))
        .with("LogonId", Value::Hex64(p.logon_id))
        .with("TerminalSessionId", Value::U32(0))
        .with("IntegrityLevel", "System")
        .with("Hashes", "SHA1=67C25C8F28B5FA7F5BAA85BF1D2726AED48E9CF0")
        .with(
            "ParentProcessGuid",
            guid("{747f3d96-7e78-5fd2-0000-0010e1c40000}"),
        )
        .with("ParentProcessId", Value::U32(832))
        .with("ParentImage", p.parent_image.as_str())
        .with("ParentCommandLine", p.parent_command_line.as_str());
    if schema == ProcessSchema::ParentUser {
        e = e.with("ParentUser", "NT AUTHORITY\\SYSTEM");
    }
    e
}

/// One end of a connection: address, port, resolved name.
pub type End<'a> = (&'a str, u16, &'a str);

/// Sysmon 3 (v5), as `wmi_remote_registry_sysmon.evtx` rec 549597; `rule_name` false gives
/// variant B (no `RuleName`, `omerbenamram__evtx/samples/sysmon.evtx` rec 2061).
#[allow(clippy::too_many_arguments)]
pub fn sysmon_connection(
    host: &str,
    time: u64,
    process: (&str, u32, &str, &str),
    initiated: bool,
    source: End,
    destination: End,
    rule_name: bool,
) -> Event {
    let (guid_text, pid, image, user) = process;
    let mut e = sysmon(3, 5, host, time);
    if rule_name {
        e = e.with("RuleName", "");
    }
    let port_name = |port: u16| match port {
        135 => "epmap",
        445 => "microsoft-ds",
        _ => "",
    };
    e.with("UtcTime", "2024-03-01 10:00:00.000")
        .with("ProcessGuid", guid(guid_text))
        .with("ProcessId", Value::U32(pid))
        .with("Image", image)
        .with("User", user)
        .with("Protocol", "tcp")
        .with("Initiated", if initiated { "true" } else { "false" })
        .with("SourceIsIpv6", "false")
        .with("SourceIp", source.0)
        .with("SourceHostname", source.2)
        .with("SourcePort", Value::U16(source.1))
        .with("SourcePortName", port_name(source.1))
        .with("DestinationIsIpv6", "false")
        .with("DestinationIp", destination.0)
        .with("DestinationHostname", destination.2)
        .with("DestinationPort", Value::U16(destination.1))
        .with("DestinationPortName", port_name(destination.1))
}

/// Sysmon 7 (v3), as `wmi_remote_registry_sysmon.evtx` rec 549608.
pub fn sysmon_image_load(host: &str, time: u64, p: &Proc, loaded: &str) -> Event {
    let name = loaded.rsplit('\\').next().unwrap_or_default();
    sysmon(7, 3, host, time)
        .with("RuleName", "")
        .with("UtcTime", "2024-03-01 10:00:00.000")
        .with("ProcessGuid", guid(&p.guid))
        .with("ProcessId", Value::U32(p.pid))
        .with("Image", p.image.as_str())
        .with("ImageLoaded", loaded)
        .with("FileVersion", "10.0.17763.1 (WinBuild.160101.0800)")
        .with("Description", "WMI")
        .with("Product", "Microsoft® Windows® Operating System")
        .with("Company", "Microsoft Corporation")
        .with("OriginalFileName", name)
        .with("Hashes", "SHA1=59644BBEE85EB3BA82AC50701BAB5259C32DEBFD")
        .with("Signed", "true")
        .with("Signature", "Microsoft Windows")
        .with("SignatureStatus", "Valid")
}

/// Sysmon 11 (v2), variant A (7 fields) or, with `user`, C (8, `User` last).
pub fn sysmon_file(
    host: &str,
    time: u64,
    image: &str,
    pid: u32,
    target: &str,
    user: Option<&str>,
) -> Event {
    let mut e = sysmon(11, 2, host, time)
        .with("RuleName", "-")
        .with("UtcTime", "2024-03-01 10:00:00.000")
        .with(
            "ProcessGuid",
            guid("{747f3d96-7e71-5fd2-0000-0010eb030000}"),
        )
        .with("ProcessId", Value::U32(pid))
        .with("Image", image)
        .with("TargetFilename", target)
        .with("CreationUtcTime", "2024-03-01 10:00:00.000");
    if let Some(user) = user {
        e = e.with("User", user);
    }
    e
}

/// Sysmon 13 field sets: `Plain` is variant A (8 fields), `WithUser` B (9, `User` last),
/// `NoRuleName` C (7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrySchema {
    Plain,
    WithUser(&'static str),
    NoRuleName,
}

/// Sysmon 13 (v2) `SetValue` by `p`, as `wmi_remote_registry_sysmon.evtx` rec 549609.
pub fn sysmon_set_value(
    host: &str,
    time: u64,
    p: &Proc,
    target: &str,
    details: &str,
    schema: RegistrySchema,
) -> Event {
    let mut e = sysmon(13, 2, host, time);
    if schema != RegistrySchema::NoRuleName {
        e = e.with("RuleName", "");
    }
    e = e
        .with("EventType", "SetValue")
        .with("UtcTime", "2024-03-01 10:00:00.000")
        .with("ProcessGuid", guid(&p.guid))
        .with("ProcessId", Value::U32(p.pid))
        .with("Image", WMIPRVSE_REGISTRY)
        .with("TargetObject", target)
        .with("Details", details);
    if let RegistrySchema::WithUser(user) = schema {
        e = e.with("User", user);
    }
    e
}

/// An account in Security events: SID, user, domain, logon id.
#[derive(Debug, Clone)]
pub struct Account {
    pub sid: String,
    pub user: String,
    pub domain: String,
    pub logon_id: u64,
}

impl Account {
    pub fn new(sid: &str, user: &str, domain: &str, logon_id: u64) -> Account {
        Account {
            sid: sid.into(),
            user: user.into(),
            domain: domain.into(),
            logon_id,
        }
    }

    /// SYSTEM as Security events name it on `host` (machine account `HOST$`).
    pub fn system(host: &str) -> Account {
        let name = host.split('.').next().unwrap_or(host).to_ascii_uppercase();
        Account::new("S-1-5-18", &format!("{name}$"), "CORP", 0x3e7)
    }
}

fn subject(e: Event, a: &Account) -> Event {
    e.with("SubjectUserSid", Value::Sid(a.sid.clone()))
        .with("SubjectUserName", a.user.as_str())
        .with("SubjectDomainName", a.domain.as_str())
        .with("SubjectLogonId", Value::Hex64(a.logon_id))
}

/// How a logon came in: type, source address and name, logon process, package.
#[derive(Debug, Clone)]
pub struct LogonVia<'a> {
    pub logon_type: u32,
    pub ip: &'a str,
    pub workstation: &'a str,
    pub process: &'a str,
    pub package: &'a str,
}

/// Security 4624 v2 (27 fields), as `ID4688,5140,5145-WMIexec execution via SMB (GLOBAL).evtx`
/// rec 462992.
pub fn logon(host: &str, time: u64, who: &Account, via: &LogonVia) -> Event {
    let anonymous = Account::new("S-1-0-0", "-", "-", 0);
    let e = subject(security(4624, 2, 12544, host, time), &anonymous);
    let ntlm = via.package == "NTLM";
    e.with("TargetUserSid", Value::Sid(who.sid.clone()))
        .with("TargetUserName", who.user.as_str())
        .with("TargetDomainName", who.domain.as_str())
        .with("TargetLogonId", Value::Hex64(who.logon_id))
        .with("LogonType", Value::U32(via.logon_type))
        .with("LogonProcessName", via.process)
        .with("AuthenticationPackageName", via.package)
        .with("WorkstationName", via.workstation)
        .with("LogonGuid", guid("{00000000-0000-0000-0000-000000000000}"))
        .with("TransmittedServices", "-")
        .with("LmPackageName", if ntlm { "NTLM V2" } else { "-" })
        .with("KeyLength", Value::U32(if ntlm { 128 } else { 0 }))
        .with("ProcessId", Value::Hex64(0))
        .with("ProcessName", "-")
        .with("IpAddress", via.ip)
        .with("IpPort", if via.ip == "-" { "-" } else { "49852" })
        .with("ImpersonationLevel", "%%1833")
        .with("RestrictedAdminMode", "-")
        .with("TargetOutboundUserName", "-")
        .with("TargetOutboundDomainName", "-")
        .with("VirtualAccount", "%%1843")
        .with("TargetLinkedLogonId", Value::Hex64(0))
        .with("ElevatedToken", "%%1842")
}

/// Security 4672, as the same file's rec 462991.
pub fn admin_logon(host: &str, time: u64, who: &Account) -> Event {
    subject(security(4672, 0, 12548, host, time), who).with(
        "PrivilegeList",
        "SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeImpersonatePrivilege",
    )
}

/// Security 4648 by RPCSS, as `LM_WMIC_4648_rpcss.evtx` rec 433333.
pub fn explicit_logon(
    host: &str,
    time: u64,
    who: &Account,
    target: (&str, &str),
    server: &str,
) -> Event {
    subject(security(4648, 0, 12544, host, time), who)
        .with("LogonGuid", guid("{3523b8be-1c1a-a740-a8c3-4cc91a5f3b14}"))
        .with("TargetUserName", target.1)
        .with("TargetDomainName", target.0)
        .with(
            "TargetLogonGuid",
            guid("{50419e1a-1c62-023a-239e-78c43a7792ab}"),
        )
        .with("TargetServerName", server)
        .with("TargetInfo", format!("RPCSS/{server}"))
        .with("ProcessId", Value::Hex64(0x304))
        .with("ProcessName", "C:\\Windows\\System32\\svchost.exe")
        .with("IpAddress", "-")
        .with("IpPort", "-")
}

/// Security 4688 v2 (15 fields), as the WMIexec file's rec 463010.
pub fn process_created(
    host: &str,
    time: u64,
    creator: &Account,
    pid: u64,
    image: &str,
    command_line: &str,
    parent: &str,
) -> Event {
    subject(security(4688, 2, 13312, host, time), creator)
        .with("NewProcessId", Value::Hex64(pid))
        .with("NewProcessName", image)
        .with("TokenElevationType", "%%1936")
        .with("ProcessId", Value::Hex64(0x2b4))
        .with("CommandLine", command_line)
        .with("TargetUserSid", Value::Sid("S-1-0-0".into()))
        .with("TargetUserName", "-")
        .with("TargetDomainName", "-")
        .with("TargetLogonId", Value::Hex64(0))
        .with("ParentProcessName", parent)
        .with("MandatoryLabel", Value::Sid("S-1-16-16384".into()))
}

/// Security 4657 (registry auditing) by `process`, as wmihunt's own `security_4657` fixture.
pub fn registry_audit(
    host: &str,
    time: u64,
    who: &Account,
    process: (u64, &str),
    key: &str,
    value: &str,
    data: &str,
) -> Event {
    subject(security(4657, 0, 12801, host, time), who)
        .with("ObjectName", key)
        .with("ObjectValueName", value)
        .with("HandleId", Value::Hex64(0x3c8))
        .with("OperationType", "%%1904")
        .with("OldValueType", "-")
        .with("OldValue", "-")
        .with("NewValueType", "%%1873")
        .with("NewValue", data)
        .with("ProcessId", Value::Hex64(process.0))
        .with("ProcessName", process.1)
}

/// Security 5145, as `ID4624,4688,5140,5145-Eternal Romance…` rec 435115.
pub fn share_access(
    host: &str,
    time: u64,
    who: &Account,
    ip: &str,
    share: &str,
    target: &str,
) -> Event {
    subject(security(5145, 0, 12811, host, time), who)
        .with("ObjectType", "File")
        .with("IpAddress", ip)
        .with("IpPort", "50102")
        .with("ShareName", share)
        .with("ShareLocalPath", "\\??\\C:\\Windows")
        .with("RelativeTargetName", target)
        .with("AccessMask", "0x2")
        .with("AccessList", "%%4417\n\t\t\t\t")
        .with("AccessReason", "-")
}

/// Security 5156 v1, as `DE_RDP_Tunnel_5156.evtx` rec 227694: `local` is `Source*`.
pub fn filtering_connection(
    host: &str,
    time: u64,
    pid: u32,
    application: &str,
    inbound: bool,
    local: (&str, u16),
    remote: (&str, u16),
) -> Event {
    security(5156, 1, 12810, host, time)
        .with("ProcessID", Value::U64(u64::from(pid)))
        .with("Application", application)
        .with("Direction", if inbound { "%%14592" } else { "%%14593" })
        .with("SourceAddress", local.0)
        .with("SourcePort", local.1.to_string())
        .with("DestAddress", remote.0)
        .with("DestPort", remote.1.to_string())
        .with("Protocol", Value::U32(6))
        .with("FilterRTID", Value::U64(65865))
        .with("LayerName", "%%14610")
        .with("LayerRTID", Value::U64(44))
        .with("RemoteUserID", Value::Sid("S-1-0-0".into()))
        .with("RemoteMachineID", Value::Sid("S-1-0-0".into()))
}

fn wmi_activity(eid: u16, host: &str, time: u64, sid: &str) -> Event {
    let mut e = Event::new(WMI_ACTIVITY, eid, WMI_CHANNEL, host, time);
    e.provider_guid = guid_from_str("{1418ef04-b0b4-4623-bf7e-d74ab47bbdaa}");
    e.keywords = 0x4000_0000_0000_0000;
    e.level = if eid == 5858 { 2 } else { 0 };
    e.process_id = 1912;
    e.user_sid = Some(sid.into());
    e
}

/// WMI-Activity 5857, as DeepBlueCLI `wmi-event-filter-persistance.evtx` rec 92.
pub fn provider_started(host: &str, time: u64, provider: &str, pid: u32, path: &str) -> Event {
    wmi_activity(5857, host, time, "S-1-5-20")
        .with("ProviderName", provider)
        .with("Code", "0x0")
        .with("HostProcess", "wmiprvse.exe")
        .with("ProcessID", Value::U32(pid))
        .with("ProviderPath", path)
}

/// WMI-Activity 5858, as the same file's rec 890.
pub fn client_failure(
    host: &str,
    time: u64,
    machine: &str,
    user: &str,
    pid: u32,
    operation: &str,
) -> Event {
    wmi_activity(5858, host, time, "S-1-5-18")
        .with("Id", "{00000000-0000-0000-0000-000000000000}")
        .with("ClientMachine", machine)
        .with("User", user)
        .with("ClientProcessId", Value::U32(pid))
        .with("Component", "Unknown")
        .with("Operation", operation)
        .with("ResultCode", "0x80041002")
        .with("PossibleCause", "Unknown")
}

/// WMI-Activity 5860, as the same file's 5860 records.
pub fn temporary_subscription(
    host: &str,
    time: u64,
    machine: &str,
    user: &str,
    pid: u32,
    query: &str,
) -> Event {
    wmi_activity(5860, host, time, "S-1-5-18")
        .with("NamespaceName", "root\\default")
        .with("Query", query)
        .with("User", user)
        .with("Processid", Value::U32(pid))
        .with("ClientMachine", machine)
        .with("PossibleCause", "Temporary")
}

/// PowerShell 4104 (variant A, with `Path`), as `ID800-4103-4104-WMI registration via
/// PowerLurk.evtx` rec 30204.
pub fn script_block(host: &str, time: u64, user_sid: &str, text: &str) -> Event {
    let mut e = Event::new(POWERSHELL, 4104, POWERSHELL_CHANNEL, host, time);
    e.provider_guid = guid_from_str("{a0c1853b-5c40-4b15-8766-3cf1c58f985a}");
    e.version = 1;
    e.level = 5;
    e.task = 2;
    e.opcode = 15;
    e.keywords = 0;
    e.process_id = 2096;
    e.user_sid = Some(user_sid.into());
    e.with("MessageNumber", Value::U32(1))
        .with("MessageTotal", Value::U32(1))
        .with("ScriptBlockText", text)
        .with("ScriptBlockId", "e0e50dd9-152a-4e73-abef-d419adf732e6")
        .with("Path", "")
}

/// The RPC endpoint mapper's svchost (RPCSS), as Sysmon 3 names it.
pub const RPCSS: (&str, u32, &str, &str) = (
    "{747f3d96-7e78-5fd2-0000-0010e1c40000}",
    896,
    "C:\\Windows\\system32\\svchost.exe",
    "NT AUTHORITY\\NETWORK SERVICE",
);
/// The WMI service's svchost (Winmgmt), which DCOM calls on a dynamic port.
pub const WINMGMT: (&str, u32, &str, &str) = (
    "{747f3d96-ffee-5fd1-0000-00101ddf0100}",
    2784,
    "C:\\Windows\\System32\\svchost.exe",
    "NT AUTHORITY\\SYSTEM",
);

/// The provider host DCOM starts for a WMI call.
pub fn provider_host(guid: &str, pid: u32) -> Proc {
    Proc {
        guid: guid.into(),
        pid,
        image: WMIPRVSE.into(),
        command_line: "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding".into(),
        user: "NT AUTHORITY\\LOCAL SERVICE".into(),
        logon_id: 0x3e5,
        parent_image: "C:\\Windows\\System32\\svchost.exe".into(),
        parent_command_line: "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p".into(),
    }
}

/// A domain account's SID with relative id `rid`.
pub fn user_sid(rid: u32) -> String {
    format!("S-1-5-21-1004336348-1177238915-682003330-{rid}")
}

/// A network logon (type 3) by NTLM from `ip`, `workstation`.
pub fn network(ip: &'static str, workstation: &'static str) -> LogonVia<'static> {
    LogonVia {
        logon_type: 3,
        ip,
        workstation,
        process: "NtLmSsp ",
        package: "NTLM",
    }
}
