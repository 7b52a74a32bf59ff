//! Registry events: the fields of a Sysmon registry event (EID 12, 13, 14) or a Security 4657
//! that wmihunt reports. Fields are looked up by `Name` because Sysmon versions differ
//! (`RuleName` and `User` exist only in some).

use super::{event_record_id, event_time, parse_id, SECURITY_PROVIDER, SYSMON_PROVIDER};
use crate::read::census::Marker;
use crate::read::rendered::Rendered;
use crate::read::{Extractor, RecordHeader};
use jiff::Timestamp;

/// Sysmon's registry event ids: 12 key/value created or deleted, 13 value set, 14 renamed.
pub const REGISTRY_EVENT_IDS: [u16; 3] = [12, 13, 14];

/// Security's "a registry value was modified".
pub const SECURITY_REGISTRY_EVENT_ID: u16 = 4657;

/// The templates of Sysmon registry events (12, 13 and 14 all define these fields), for
/// counting them without rendering them.
pub const SYSMON_REGISTRY_TEMPLATE: Marker = Marker {
    name: "sysmon_registry",
    fields: &["TargetObject", "EventType"],
};

/// The template of Security 4657 (no other Security event defines `ObjectValueName`).
pub const SECURITY_4657_TEMPLATE: Marker = Marker {
    name: "security_4657",
    fields: &["ObjectValueName", "OperationType"],
};

/// One registry event, as read from the log: Sysmon EID 12, 13 or 14, or Security 4657.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEvent {
    /// `System/TimeCreated/@SystemTime`, or the record header's time when it is missing.
    pub timestamp: Timestamp,
    /// `System/Computer`.
    pub host: String,
    /// `System/Channel`.
    pub channel: String,
    /// `System/Provider/@Name`.
    pub provider: String,
    /// `System/EventID`.
    pub event_id: u16,
    /// `System/EventRecordID`, or the record header's id when it is missing.
    pub record_id: u64,
    /// `EventType` (`SetValue`, `CreateKey`, `DeleteKey`, `DeleteValue`, `RenameKey`), or
    /// 4657's `OperationType` (`%%1904`, `%%1905`, `%%1906`).
    pub event_type: String,
    /// `Image` (4657: `ProcessName`): the process that wrote.
    pub image: String,
    /// `ProcessId`.
    pub process_id: Option<u64>,
    /// `ProcessGuid`.
    pub process_guid: Option<String>,
    /// `User` (Sysmon 11+), or `SubjectDomainName\SubjectUserName` (4657).
    pub user: Option<String>,
    /// `SubjectLogonId` (4657).
    pub logon_id: Option<String>,
    /// `RuleName` (Sysmon 8+).
    pub rule_name: Option<String>,
    /// `TargetObject`: the key or value path as Sysmon wrote it (4657: `ObjectName\ObjectValueName`).
    pub target_object: String,
    /// `Details`: the data written (EID 13; 4657: `NewValue`).
    pub details: Option<String>,
    /// `NewName`: the new key path (EID 14).
    pub new_name: Option<String>,
}

impl RegistryEvent {
    /// The reader's view of registry events: the fields `from_rendered` reads.
    pub const EXTRACTOR: Extractor<RegistryEvent> = Extractor {
        fields: &[
            "EventType",
            "Image",
            "TargetObject",
            "Details",
            "NewName",
            "ProcessId",
            "ProcessGuid",
            "User",
            "RuleName",
            "ObjectName",
            "ObjectValueName",
            "NewValue",
            "OperationType",
            "ProcessName",
            "SubjectUserName",
            "SubjectDomainName",
            "SubjectLogonId",
        ],
        extract: RegistryEvent::from_rendered,
    };

    /// Reads a registry event from a rendered record; `None` when it is not a Sysmon registry
    /// event or a Security 4657.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<RegistryEvent> {
        let provider = event.provider.as_deref()?;
        let event_id = event.event_id()?;
        let d = &event.data;
        let base = |event_type: Option<String>,
                    image: Option<String>,
                    target: String,
                    details: Option<String>| RegistryEvent {
            timestamp: event_time(event, header),
            host: event.computer.clone().unwrap_or_default(),
            channel: event.channel.clone().unwrap_or_default(),
            provider: provider.to_string(),
            event_id,
            record_id: event_record_id(event, header),
            event_type: event_type.unwrap_or_default(),
            image: image.unwrap_or_default(),
            process_id: None,
            process_guid: None,
            user: None,
            logon_id: None,
            rule_name: None,
            target_object: target,
            details,
            new_name: None,
        };
        if provider.eq_ignore_ascii_case(SYSMON_PROVIDER) && REGISTRY_EVENT_IDS.contains(&event_id)
        {
            let target = d.text("TargetObject").unwrap_or_default();
            return Some(RegistryEvent {
                process_id: d.get("ProcessId").and_then(parse_id),
                process_guid: d.text("ProcessGuid"),
                user: d.text("User"),
                rule_name: d.text("RuleName"),
                new_name: d.text("NewName"),
                ..base(
                    d.text("EventType"),
                    d.text("Image"),
                    target,
                    d.text("Details"),
                )
            });
        }
        if provider.eq_ignore_ascii_case(SECURITY_PROVIDER)
            && event_id == SECURITY_REGISTRY_EVENT_ID
        {
            let key = d.get("ObjectName").unwrap_or("");
            let target = match d.get("ObjectValueName") {
                Some(value) => format!("{key}\\{value}"),
                None => key.to_string(),
            };
            let user = match (d.get("SubjectDomainName"), d.get("SubjectUserName")) {
                (Some(domain), Some(name)) if !domain.is_empty() => {
                    Some(format!("{domain}\\{name}"))
                }
                (_, name) => name.map(str::to_owned),
            };
            return Some(RegistryEvent {
                process_id: d.get("ProcessId").and_then(parse_id),
                user,
                logon_id: d.text("SubjectLogonId"),
                ..base(
                    d.text("OperationType"),
                    d.text("ProcessName"),
                    target,
                    d.text("NewValue"),
                )
            });
        }
        None
    }
}

#[cfg(test)]
impl RegistryEvent {
    /// A Sysmon registry event for unit tests, with only what matching looks at.
    pub(crate) fn sample(
        event_id: u16,
        event_type: &str,
        image: &str,
        target: &str,
    ) -> RegistryEvent {
        RegistryEvent {
            timestamp: Timestamp::UNIX_EPOCH,
            host: "h".into(),
            channel: "c".into(),
            provider: SYSMON_PROVIDER.into(),
            event_id,
            record_id: 1,
            event_type: event_type.into(),
            image: image.into(),
            process_id: None,
            process_guid: None,
            user: None,
            logon_id: None,
            rule_name: None,
            target_object: target.into(),
            details: None,
            new_name: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: &serde_json::Value, header: RecordHeader) -> Option<RegistryEvent> {
        let fields = RegistryEvent::EXTRACTOR.fields;
        let rendered = Rendered::from_json(v.to_string().as_bytes(), fields).unwrap();
        RegistryEvent::from_rendered(&rendered, header)
    }

    fn header() -> RecordHeader {
        RecordHeader {
            record_id: 7,
            timestamp: "2020-01-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn reads_the_real_sample_shape() {
        let v = json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},
            "EventID":13,"TimeCreated":{"#attributes":{"SystemTime":"2020-12-10T11:18:54.8563115Z"}},
            "EventRecordID":549609,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"MSEDGEWIN10"},
            "EventData":{"RuleName":"","EventType":"SetValue","ProcessId":5580,
            "Image":"C:\\Windows\\system32\\wbem\\wmiprvse.exe",
            "TargetObject":"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\wmipers",
            "Details":"rundll32.exe a.dll, DllMain"}}});
        let e = read(&v, header()).unwrap();
        assert_eq!(e.record_id, 549609);
        assert_eq!(e.event_id, 13);
        assert_eq!(e.process_id, Some(5580));
        assert_eq!(e.user, None);
        assert_eq!(e.rule_name.as_deref(), Some(""));
        assert_eq!(e.timestamp.to_string(), "2020-12-10T11:18:54.8563115Z");
        assert_eq!(e.details.as_deref(), Some("rundll32.exe a.dll, DllMain"));
    }

    #[test]
    fn qualifiers_and_missing_fields() {
        let v = json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"microsoft-windows-sysmon"}},
            "EventID":{"#attributes":{"Qualifiers":0},"#text":12}},"EventData":{"EventType":"CreateKey"}}});
        let e = read(&v, header()).unwrap();
        assert_eq!(e.event_id, 12);
        assert_eq!(e.record_id, 7);
        assert_eq!(e.timestamp, header().timestamp);
        assert_eq!(e.image, "");
    }

    #[test]
    fn other_providers_and_ids_are_ignored() {
        let v = json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1}}});
        assert!(read(&v, header()).is_none());
        let v = json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Fake-Sysmon"}},"EventID":13}}});
        assert!(read(&v, header()).is_none());
        assert!(read(&json!(null), header()).is_none());
    }
}
