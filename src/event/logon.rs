//! Logons, read from the Security log: 4624 (an account logged on: who, how, from where), 4672
//! (special privileges were assigned to a new logon: an administrator) and 4648 (a process
//! used explicit credentials to log on elsewhere: on a caller's host, the account it used and
//! the server it called). Field names as Windows writes them in every version seen (4624 v0,
//! v1 and v2 share the fields read here).

use super::{number, present, Origin, SECURITY_PROVIDER};
use crate::read::rendered::Rendered;
use crate::read::RecordHeader;

/// A Security 4624: an account logged on to this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logon {
    /// Where and when.
    pub origin: Origin,
    /// `TargetUserName`: the account that logged on.
    pub user: String,
    /// `TargetDomainName`.
    pub domain: String,
    /// `TargetLogonId`: the new logon session, which later events name as `SubjectLogonId`.
    pub logon_id: Option<u64>,
    /// `LogonType`: 2 interactive, 3 network, 5 service, 10 remote interactive, ….
    pub logon_type: Option<u32>,
    /// `IpAddress`, when not `-` or empty.
    pub ip: Option<String>,
    /// `WorkstationName`, when not `-` or empty.
    pub workstation: Option<String>,
    /// `AuthenticationPackageName` (`NTLM`, `Kerberos`, `Negotiate`), when not `-`.
    pub auth_package: Option<String>,
}

/// A Security 4672: special privileges were assigned to a new logon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privileges {
    /// Where and when.
    pub origin: Origin,
    /// `SubjectLogonId`: the logon that received them (a 4624's `TargetLogonId`).
    pub logon_id: Option<u64>,
}

/// A Security 4648: a process logged on with explicit credentials, to `target_server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplicitLogon {
    /// Where and when.
    pub origin: Origin,
    /// `SubjectDomainName\SubjectUserName`: who used the credentials.
    pub subject: String,
    /// `TargetDomainName\TargetUserName`: whose credentials.
    pub account: String,
    /// `TargetServerName`: where they were used.
    pub target_server: String,
    /// `ProcessName`.
    pub process: String,
}

/// `DOMAIN\user`, or `user` alone when the domain is absent.
pub(crate) fn qualified(domain: Option<&str>, user: Option<&str>) -> String {
    let user = user.unwrap_or_default();
    match present(domain) {
        Some(domain) => format!("{domain}\\{user}"),
        None => user.to_owned(),
    }
}

impl Logon {
    /// The fields read.
    pub const FIELDS: &'static [&'static str] = &[
        "TargetUserName",
        "TargetDomainName",
        "TargetLogonId",
        "LogonType",
        "IpAddress",
        "WorkstationName",
        "AuthenticationPackageName",
    ];

    /// Reads a Security 4624.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<Logon> {
        let id = Origin::id_from(event, SECURITY_PROVIDER, &[4624])?;
        let d = &event.data;
        Some(Logon {
            origin: Origin::of(event, header, id),
            user: d.text("TargetUserName").unwrap_or_default(),
            domain: d.text("TargetDomainName").unwrap_or_default(),
            logon_id: number(d.get("TargetLogonId")),
            logon_type: number(d.get("LogonType")).and_then(|t| u32::try_from(t).ok()),
            ip: present(d.get("IpAddress")),
            workstation: present(d.get("WorkstationName")),
            auth_package: present(d.get("AuthenticationPackageName")),
        })
    }
}

impl Privileges {
    /// The fields read.
    pub const FIELDS: &'static [&'static str] = &["SubjectLogonId", "PrivilegeList"];

    /// Reads a Security 4672.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<Privileges> {
        let id = Origin::id_from(event, SECURITY_PROVIDER, &[4672])?;
        Some(Privileges {
            origin: Origin::of(event, header, id),
            logon_id: number(event.data.get("SubjectLogonId")),
        })
    }
}

impl ExplicitLogon {
    /// The fields read.
    pub const FIELDS: &'static [&'static str] = &[
        "SubjectUserName",
        "SubjectDomainName",
        "TargetUserName",
        "TargetDomainName",
        "TargetServerName",
        "ProcessName",
    ];

    /// Reads a Security 4648.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<ExplicitLogon> {
        let id = Origin::id_from(event, SECURITY_PROVIDER, &[4648])?;
        let d = &event.data;
        Some(ExplicitLogon {
            origin: Origin::of(event, header, id),
            subject: qualified(d.get("SubjectDomainName"), d.get("SubjectUserName")),
            account: qualified(d.get("TargetDomainName"), d.get("TargetUserName")),
            target_server: d.text("TargetServerName").unwrap_or_default(),
            process: d.text("ProcessName").unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rendered(v: &serde_json::Value, fields: &[&str]) -> Rendered {
        Rendered::from_json(v.to_string().as_bytes(), fields).unwrap()
    }

    fn header() -> RecordHeader {
        RecordHeader {
            record_id: 1,
            timestamp: "2020-01-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn reads_a_4624_v2_as_windows_writes_it() {
        // `ID4688,5140,5145-WMIexec execution via SMB (GLOBAL).evtx` rec 462992, fields read.
        let v = json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},
            "EventID":4624,"Version":2,"TimeCreated":{"#attributes":{"SystemTime":"2021-04-26T08:25:36.5608816Z"}},
            "EventRecordID":462992,"Channel":"Security","Computer":"srvdefender01.offsec.lan","Security":null},
            "EventData":{"SubjectUserSid":"S-1-0-0","SubjectUserName":"-","SubjectDomainName":"-",
            "SubjectLogonId":"0x0","TargetUserSid":"S-1-5-21-4230534742-2542757381-3142984815-1111",
            "TargetUserName":"admmig","TargetDomainName":"OFFSEC","TargetLogonId":"0x4da321f","LogonType":3,
            "LogonProcessName":"NtLmSsp ","AuthenticationPackageName":"NTLM","WorkstationName":"-",
            "IpAddress":"10.23.123.11","IpPort":"47020"}}});
        let l = Logon::from_rendered(&rendered(&v, Logon::FIELDS), header()).unwrap();
        assert_eq!((l.user.as_str(), l.domain.as_str()), ("admmig", "OFFSEC"));
        assert_eq!(l.logon_id, Some(0x4da321f));
        assert_eq!(l.logon_type, Some(3));
        assert_eq!(l.ip.as_deref(), Some("10.23.123.11"));
        assert_eq!(l.workstation, None);
        assert_eq!(l.auth_package.as_deref(), Some("NTLM"));
        assert_eq!(l.origin.record_id, 462992);
        // The string-typed files write every System value as a string.
        let v = json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},
            "EventID":"4672","EventRecordID":"462991"},"EventData":{"SubjectLogonId":"0x4da321f"}}});
        let p = Privileges::from_rendered(&rendered(&v, Privileges::FIELDS), header()).unwrap();
        assert_eq!((p.logon_id, p.origin.record_id), (Some(0x4da321f), 462991));
        assert!(Logon::from_rendered(&rendered(&v, Logon::FIELDS), header()).is_none());
    }

    #[test]
    fn reads_a_4648() {
        // `LM_WMIC_4648_rpcss.evtx` rec 433333.
        let v = json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},
            "EventID":4648,"Computer":"PC01.example.corp"},"EventData":{"SubjectUserName":"user01",
            "SubjectDomainName":"EXAMPLE","TargetUserName":"administrator","TargetDomainName":"EXAMPLE.CORP",
            "TargetServerName":"WIN-77LTAPHIQ1R.example.corp","ProcessName":"C:\\Windows\\System32\\svchost.exe"}}});
        let e =
            ExplicitLogon::from_rendered(&rendered(&v, ExplicitLogon::FIELDS), header()).unwrap();
        assert_eq!(e.subject, "EXAMPLE\\user01");
        assert_eq!(e.account, "EXAMPLE.CORP\\administrator");
        assert_eq!(e.target_server, "WIN-77LTAPHIQ1R.example.corp");
    }
}
