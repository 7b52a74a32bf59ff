//! Process creations: Sysmon Event ID 1 and Security 4688, read by field name. The "did it
//! run" pass looks among them for a finding's payload; the attribution pass for the creation of
//! the WmiPrvSE.exe process that wrote, and on a caller's host for the command that made the
//! call.

use super::logon::qualified;
use super::{event_record_id, event_time, number, present, SECURITY_PROVIDER, SYSMON_PROVIDER};
use crate::read::census::Marker;
use crate::read::rendered::Rendered;
use crate::read::{Extractor, RecordHeader};
use jiff::Timestamp;

/// A process creation read from the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessStart {
    /// When it started.
    pub timestamp: Timestamp,
    /// `System/Computer`.
    pub host: String,
    /// 1 (Sysmon) or 4688 (Security).
    pub event_id: u16,
    /// The process image.
    pub image: String,
    /// Its command line ("" when not audited).
    pub command_line: String,
    /// The record's id.
    pub record_id: u64,
    /// `ProcessGuid` (Sysmon).
    pub process_guid: Option<String>,
    /// `ProcessId` (Sysmon) or `NewProcessId` (4688).
    pub process_id: Option<u64>,
    /// The account it runs as: Sysmon `User`; 4688 `TargetDomainName\TargetUserName` when
    /// Windows names one (version 2), else the creator's `SubjectDomainName\SubjectUserName`.
    pub user: Option<String>,
    /// Its logon session: Sysmon `LogonId`, 4688 `TargetLogonId` (version 2, when not 0) or
    /// `SubjectLogonId`.
    pub logon_id: Option<u64>,
    /// `ParentImage` (Sysmon) or `ParentProcessName` (4688 version 2).
    pub parent_image: Option<String>,
}

/// The templates of process creations, for the first pass's chunk index: Sysmon 1 (the only
/// Sysmon event with a parent image and a command line) and Security 4688.
pub const PROCESS_TEMPLATES: [Marker; 2] = [
    Marker {
        name: "sysmon_process_create",
        fields: &["ParentImage", "CommandLine"],
    },
    Marker {
        name: "security_4688",
        fields: &["NewProcessName"],
    },
];

impl ProcessStart {
    /// The reader's view of process creations: the fields `from_rendered` reads.
    pub const EXTRACTOR: Extractor<ProcessStart> = Extractor {
        fields: ProcessStart::FIELDS,
        extract: ProcessStart::from_rendered,
    };

    /// The fields read.
    pub const FIELDS: &'static [&'static str] = &[
        "Image",
        "NewProcessName",
        "CommandLine",
        "ProcessGuid",
        "ProcessId",
        "NewProcessId",
        "User",
        "LogonId",
        "ParentImage",
        "ParentProcessName",
        "SubjectUserName",
        "SubjectDomainName",
        "SubjectLogonId",
        "TargetUserName",
        "TargetDomainName",
        "TargetLogonId",
    ];

    /// Reads a Sysmon EID 1 or Security 4688 event from a rendered record.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<ProcessStart> {
        let provider = event.provider.as_deref()?;
        let event_id = event.event_id()?;
        let d = &event.data;
        let sysmon = match (provider, event_id) {
            (p, 1) if p.eq_ignore_ascii_case(SYSMON_PROVIDER) => true,
            (p, 4688) if p.eq_ignore_ascii_case(SECURITY_PROVIDER) => false,
            _ => return None,
        };
        let start = ProcessStart {
            timestamp: event_time(event, header),
            host: event.computer.clone().unwrap_or_default(),
            event_id,
            image: String::new(),
            command_line: d.text("CommandLine").unwrap_or_default(),
            record_id: event_record_id(event, header),
            process_guid: None,
            process_id: None,
            user: None,
            logon_id: None,
            parent_image: None,
        };
        if sysmon {
            return Some(ProcessStart {
                image: d.text("Image").unwrap_or_default(),
                process_guid: d.text("ProcessGuid"),
                process_id: number(d.get("ProcessId")),
                user: present(d.get("User")),
                logon_id: number(d.get("LogonId")),
                parent_image: present(d.get("ParentImage")),
                ..start
            });
        }
        // 4688 version 2 names the new process's account in Target*; `-` and logon 0 mean
        // "the creator's".
        let target_logon = number(d.get("TargetLogonId")).filter(|&id| id != 0);
        let user = match present(d.get("TargetUserName")) {
            Some(name) => qualified(d.get("TargetDomainName"), Some(&name)),
            None => qualified(d.get("SubjectDomainName"), d.get("SubjectUserName")),
        };
        Some(ProcessStart {
            image: d.text("NewProcessName").unwrap_or_default(),
            process_id: number(d.get("NewProcessId")),
            user: present(Some(&user)),
            logon_id: target_logon.or_else(|| number(d.get("SubjectLogonId"))),
            parent_image: present(d.get("ParentProcessName")),
            ..start
        })
    }
}

#[cfg(test)]
impl ProcessStart {
    /// A process start for unit tests, with only what matching looks at.
    pub(crate) fn sample(image: &str, command_line: &str) -> ProcessStart {
        ProcessStart {
            timestamp: Timestamp::UNIX_EPOCH,
            host: "h".into(),
            event_id: 1,
            image: image.into(),
            command_line: command_line.into(),
            record_id: 1,
            process_guid: None,
            process_id: None,
            user: None,
            logon_id: None,
            parent_image: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: serde_json::Value) -> ProcessStart {
        let r = Rendered::from_json(v.to_string().as_bytes(), ProcessStart::FIELDS).unwrap();
        let header = RecordHeader {
            record_id: 1,
            timestamp: "2020-01-01T00:00:00Z".parse().unwrap(),
        };
        ProcessStart::from_rendered(&r, header).unwrap()
    }

    #[test]
    fn a_4688_v2_names_the_new_processs_account() {
        // `ID4688,5140,5145-WMIexec execution via SMB (GLOBAL).evtx` rec 463010.
        let s = read(
            json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},
            "EventID":4688},"EventData":{"SubjectUserSid":"S-1-5-20","SubjectUserName":"SRVDEFENDER01$",
            "SubjectDomainName":"OFFSEC","SubjectLogonId":"0x3e4","NewProcessId":"0xd44",
            "NewProcessName":"C:\\Windows\\System32\\cmd.exe","TokenElevationType":"%%1936","ProcessId":"0xac8",
            "CommandLine":"cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1619425227.894209 2>&1",
            "TargetUserSid":"S-1-0-0","TargetUserName":"admmig","TargetDomainName":"OFFSEC",
            "TargetLogonId":"0x4da32af","ParentProcessName":"C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            "MandatoryLabel":"S-1-16-12288"}}}),
        );
        assert_eq!(s.process_id, Some(0xd44));
        assert_eq!(s.user.as_deref(), Some("OFFSEC\\admmig"));
        assert_eq!(s.logon_id, Some(0x4da32af));
        assert_eq!(
            s.parent_image.as_deref(),
            Some("C:\\Windows\\System32\\wbem\\WmiPrvSE.exe")
        );
        // Version 1: the creator's account; `ProcessId` there is the creator, not the new one.
        let s = read(
            json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},
            "EventID":4688},"EventData":{"SubjectUserName":"WIN-77LTAPHIQ1R$","SubjectDomainName":"EXAMPLE",
            "SubjectLogonId":"0x3e7","NewProcessId":"0xae8","NewProcessName":"C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            "ProcessId":"0x248","CommandLine":""}}}),
        );
        assert_eq!(s.process_id, Some(0xae8));
        assert_eq!(s.user.as_deref(), Some("EXAMPLE\\WIN-77LTAPHIQ1R$"));
        assert_eq!(s.logon_id, Some(0x3e7));
    }

    #[test]
    fn a_sysmon_1_names_guid_user_and_logon() {
        // `wmi_remote_registry_sysmon.evtx` rec 549600, fields read.
        let s = read(
            json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},
            "EventID":1},"EventData":{"ProcessGuid":"{747f3d96-041e-5fd2-0000-001024df3b00}","ProcessId":5580,
            "Image":"C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            "CommandLine":"C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
            "User":"NT AUTHORITY\\LOCAL SERVICE","LogonId":"0x3e5","ParentImage":"?"}}}),
        );
        assert_eq!(
            s.process_guid.as_deref(),
            Some("{747f3d96-041e-5fd2-0000-001024df3b00}")
        );
        assert_eq!((s.process_id, s.logon_id), (Some(5580), Some(0x3e5)));
        assert_eq!(s.user.as_deref(), Some("NT AUTHORITY\\LOCAL SERVICE"));
    }
}
