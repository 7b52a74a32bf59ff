//! WMI-Activity/Operational: 5857 (a provider was loaded into a provider host: which DLL, which
//! WmiPrvSE.exe process) and the two events that name a WMI client, 5858 (an operation failed:
//! `ClientMachine`, `User`, `ClientProcessId`) and 5860 (a temporary subscription: the same
//! through `ClientMachine`, `User`, `Processid`). Windows writes them under `UserData`, in an
//! element named per event; the reader takes that element's children like `EventData`.

use super::{number, present, Origin, WMI_ACTIVITY_PROVIDER};
use crate::read::rendered::Rendered;
use crate::read::RecordHeader;

/// What a WMI-Activity event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WmiActivityKind {
    /// 5857: a provider DLL was loaded into a provider host.
    ProviderStarted {
        /// `ProviderName`.
        provider: String,
        /// `ProviderPath`: the DLL (`%systemroot%\system32\wbem\stdprov.dll`).
        path: String,
        /// `ProcessID`: the provider host.
        process_id: Option<u64>,
    },
    /// 5858 or 5860: an operation of a WMI client.
    Client {
        /// `ClientMachine`: the client's NetBIOS name (the host itself for local clients).
        machine: String,
        /// `User`, when the event names one.
        user: Option<String>,
        /// `ClientProcessId` (5858) or `Processid` (5860).
        process_id: Option<u64>,
        /// `Operation` (5858) or `Query` (5860).
        operation: String,
    },
}

/// A WMI-Activity event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WmiActivity {
    /// Where and when.
    pub origin: Origin,
    /// What it says.
    pub kind: WmiActivityKind,
}

impl WmiActivity {
    /// The fields read (spelled per event, as Windows does: `ProcessID`, `ClientProcessId`,
    /// `Processid`).
    pub const FIELDS: &'static [&'static str] = &[
        "ProviderName",
        "ProviderPath",
        "ProcessID",
        "ClientMachine",
        "User",
        "ClientProcessId",
        "Processid",
        "Operation",
        "Query",
    ];

    /// Reads a WMI-Activity 5857, 5858 or 5860.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<WmiActivity> {
        let id = Origin::id_from(event, WMI_ACTIVITY_PROVIDER, &[5857, 5858, 5860])?;
        let d = &event.data;
        let kind = match id {
            5857 => WmiActivityKind::ProviderStarted {
                provider: d.text("ProviderName").unwrap_or_default(),
                path: d.text("ProviderPath").unwrap_or_default(),
                process_id: number(d.get("ProcessID")),
            },
            _ => WmiActivityKind::Client {
                machine: d.text("ClientMachine").unwrap_or_default(),
                user: present(d.get("User")),
                process_id: number(d.get("ClientProcessId").or_else(|| d.get("Processid"))),
                operation: d
                    .text("Operation")
                    .or_else(|| d.text("Query"))
                    .unwrap_or_default(),
            },
        };
        Some(WmiActivity {
            origin: Origin::of(event, header, id),
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: serde_json::Value) -> Option<WmiActivity> {
        let r = Rendered::from_json(v.to_string().as_bytes(), WmiActivity::FIELDS).unwrap();
        let header = RecordHeader {
            record_id: 1,
            timestamp: "2020-01-01T00:00:00Z".parse().unwrap(),
        };
        WmiActivity::from_rendered(&r, header)
    }

    #[test]
    fn reads_the_user_data_shapes() {
        // DeepBlueCLI `wmi-event-filter-persistance.evtx` rec 890 (5858) and 92 (5857).
        let client = read(json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-WMI-Activity"}},
            "EventID":5858,"EventRecordID":890,"Computer":"DESKTOP-BZ202CP.cybercorp.com"},
            "UserData":{"Operation_ClientFailure":{"#attributes":{"xmlns":"http://manifests.microsoft.com/win/2006/windows/WMI"},
            "Id":"{00000000-0000-0000-0000-000000000000}","ClientMachine":"DESKTOP-BZ202CP",
            "User":"CYBERCORP\\john.goldberg","ClientProcessId":5156,"Component":"Unknown",
            "Operation":"Start IWbemServices::ExecQuery - ROOT\\CIMV2 : SELECT SerialNumber FROM Win32_Bios",
            "ResultCode":"0x80041032","PossibleCause":"Unknown"}}}}))
        .unwrap();
        assert_eq!(
            client.kind,
            WmiActivityKind::Client {
                machine: "DESKTOP-BZ202CP".into(),
                user: Some("CYBERCORP\\john.goldberg".into()),
                process_id: Some(5156),
                operation: "Start IWbemServices::ExecQuery - ROOT\\CIMV2 : SELECT SerialNumber FROM Win32_Bios".into(),
            }
        );
        let started = read(json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-WMI-Activity"}},
            "EventID":5857},"UserData":{"Operation_StartedOperational":{"ProviderName":"CIMWin32","Code":"0x0",
            "HostProcess":"wmiprvse.exe","ProcessID":3928,"ProviderPath":"%systemroot%\\system32\\wbem\\cimwin32.dll"}}}}))
        .unwrap();
        assert!(matches!(
            started.kind,
            WmiActivityKind::ProviderStarted { process_id: Some(3928), ref path, .. } if path.ends_with("cimwin32.dll")
        ));
        // An empty `User` renders as null.
        let anonymous = read(json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-WMI-Activity"}},
            "EventID":5858},"UserData":{"Operation_ClientFailure":{"ClientMachine":"DESKTOP-G38HL7V","User":null,"ClientProcessId":68}}}}))
        .unwrap();
        assert!(matches!(
            anonymous.kind,
            WmiActivityKind::Client { user: None, .. }
        ));
    }
}
