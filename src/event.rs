//! Registry events: the fields of a Sysmon registry event (EID 12, 13, 14) that wmihunt
//! reports, read by name from a record rendered as JSON. Fields are looked up by `Name`
//! because Sysmon versions differ (`RuleName` and `User` exist only in some).

use crate::rendered::Rendered;
use jiff::Timestamp;

/// The Sysmon provider name, compared case-insensitively.
pub const SYSMON_PROVIDER: &str = "Microsoft-Windows-Sysmon";

/// Sysmon's registry event ids: 12 key/value created or deleted, 13 value set, 14 renamed.
pub const REGISTRY_EVENT_IDS: [u16; 3] = [12, 13, 14];

/// One Sysmon registry event, as read from the log.
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
    /// `EventType`: `SetValue`, `CreateKey`, `DeleteKey`, `DeleteValue`, `RenameKey`.
    pub event_type: String,
    /// `Image`: the process that wrote.
    pub image: String,
    /// `ProcessId`.
    pub process_id: Option<u64>,
    /// `ProcessGuid`.
    pub process_guid: Option<String>,
    /// `User` (Sysmon 11+).
    pub user: Option<String>,
    /// `RuleName` (Sysmon 8+).
    pub rule_name: Option<String>,
    /// `TargetObject`: the key or value path as Sysmon wrote it.
    pub target_object: String,
    /// `Details`: the data written (EID 13).
    pub details: Option<String>,
    /// `NewName`: the new key path (EID 14).
    pub new_name: Option<String>,
}

/// Which host and log a file holds, from one of its records: a file is one host's one channel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogIdentity {
    /// `System/Computer`.
    pub host: String,
    /// `System/Channel`.
    pub channel: String,
    /// `System/Provider/@Name`.
    pub provider: String,
}

impl LogIdentity {
    /// Reads the identity from a rendered record.
    pub fn from_rendered(event: &Rendered) -> Option<LogIdentity> {
        if event.provider.is_none() && event.channel.is_none() && event.computer.is_none() {
            return None;
        }
        Some(LogIdentity {
            host: event.computer.clone().unwrap_or_default(),
            channel: event.channel.clone().unwrap_or_default(),
            provider: event.provider.clone().unwrap_or_default(),
        })
    }

    /// Whether this log records process creations (Sysmon 1, Security 4688).
    pub fn records_processes(&self) -> bool {
        self.is_sysmon() || self.channel.eq_ignore_ascii_case("Security")
    }

    /// Whether this is a Sysmon log, where registry events are recorded.
    pub fn is_sysmon(&self) -> bool {
        self.provider.eq_ignore_ascii_case(SYSMON_PROVIDER)
            || self
                .channel
                .eq_ignore_ascii_case("Microsoft-Windows-Sysmon/Operational")
    }
}

/// The record header fields used when the rendered event lacks them.
#[derive(Debug, Clone, Copy)]
pub struct RecordHeader {
    /// The record header's event record id.
    pub record_id: u64,
    /// The record header's time.
    pub timestamp: Timestamp,
}

/// The event's time: `TimeCreated/@SystemTime`, else the record header's.
pub fn event_time(event: &Rendered, header: RecordHeader) -> Timestamp {
    event
        .time_created
        .as_deref()
        .and_then(|s| s.parse::<Timestamp>().ok())
        .unwrap_or(header.timestamp)
}

/// The event's record id: `EventRecordID`, else the record header's.
pub fn event_record_id(event: &Rendered, header: RecordHeader) -> u64 {
    event
        .record_id
        .as_deref()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(header.record_id)
}

impl RegistryEvent {
    /// Reads a registry event from a rendered record; `None` when it is not a Sysmon registry
    /// event.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<RegistryEvent> {
        let sysmon = event
            .provider
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(SYSMON_PROVIDER));
        let event_id = event
            .event_id()
            .filter(|id| REGISTRY_EVENT_IDS.contains(id))?;
        if !sysmon {
            return None;
        }
        let d = &event.data;
        Some(RegistryEvent {
            timestamp: event_time(event, header),
            host: event.computer.clone().unwrap_or_default(),
            channel: event.channel.clone().unwrap_or_default(),
            provider: event.provider.clone().unwrap_or_default(),
            event_id,
            record_id: event_record_id(event, header),
            event_type: d.event_type.clone().unwrap_or_default(),
            image: d.image.clone().unwrap_or_default(),
            process_id: d.process_id.as_deref().and_then(|s| s.trim().parse().ok()),
            process_guid: d.process_guid.clone(),
            user: d.user.clone(),
            rule_name: d.rule_name.clone(),
            target_object: d.target_object.clone().unwrap_or_default(),
            details: d.details.clone(),
            new_name: d.new_name.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: &serde_json::Value, header: RecordHeader) -> Option<RegistryEvent> {
        let rendered = Rendered::from_json(v.to_string().as_bytes()).unwrap();
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
