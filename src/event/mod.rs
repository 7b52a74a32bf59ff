//! Events: what wmihunt takes from a rendered record, one type per event family, read by field
//! name (Windows versions differ in which fields an event carries). Each type has an extractor
//! (`from_rendered`) that the reader calls on every record it renders. `context` gathers the
//! families the attribution pass reads around a write (logons, connections, image loads,
//! WMI-Activity, script blocks, file arrivals, process creations) behind one extractor.

pub mod context;
pub mod file;
pub mod image_load;
pub mod logon;
pub mod network;
pub mod process;
pub mod registry;
pub mod scanned;
pub mod script;
pub mod subscription;
pub mod wmi_activity;

use crate::read::rendered::Rendered;
use crate::read::{LogIdentity, RecordHeader};
use jiff::Timestamp;

/// The Sysmon provider name, compared case-insensitively.
pub const SYSMON_PROVIDER: &str = "Microsoft-Windows-Sysmon";

/// The Sysmon channel.
pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";

/// The Security auditing provider.
pub const SECURITY_PROVIDER: &str = "Microsoft-Windows-Security-Auditing";

/// The Security channel.
pub const SECURITY_CHANNEL: &str = "Security";

/// The WMI-Activity provider and its channel.
pub const WMI_ACTIVITY_PROVIDER: &str = "Microsoft-Windows-WMI-Activity";

/// The WMI-Activity channel.
pub const WMI_ACTIVITY_CHANNEL: &str = "Microsoft-Windows-WMI-Activity/Operational";

/// The PowerShell provider (script block logging, 4104).
pub const POWERSHELL_PROVIDER: &str = "Microsoft-Windows-PowerShell";

/// The PowerShell channel.
pub const POWERSHELL_CHANNEL: &str = "Microsoft-Windows-PowerShell/Operational";

/// Whether a log is Sysmon's, where registry and process events are recorded.
pub fn is_sysmon(log: &LogIdentity) -> bool {
    log.provider.eq_ignore_ascii_case(SYSMON_PROVIDER)
        || log.channel.eq_ignore_ascii_case(SYSMON_CHANNEL)
}

/// Whether a log holds events forwarded from other hosts (Windows Event Collector): its
/// first record's host is then not every record's host.
pub fn is_forwarded(log: &LogIdentity) -> bool {
    log.channel.eq_ignore_ascii_case("ForwardedEvents")
}

/// Whether a log records process creations (Sysmon 1, Security 4688).
pub fn records_processes(log: &LogIdentity) -> bool {
    is_sysmon(log) || is_security(log)
}

/// Whether a log is the Security log (logons, 4657, 4688, 5145, 5156).
pub fn is_security(log: &LogIdentity) -> bool {
    log.channel.eq_ignore_ascii_case(SECURITY_CHANNEL)
}

/// Whether a log is WMI-Activity/Operational (provider loads, WMI clients).
pub fn is_wmi_activity(log: &LogIdentity) -> bool {
    log.channel.eq_ignore_ascii_case(WMI_ACTIVITY_CHANNEL)
        || log.provider.eq_ignore_ascii_case(WMI_ACTIVITY_PROVIDER)
}

/// Whether a log is PowerShell/Operational (script blocks).
pub fn is_powershell(log: &LogIdentity) -> bool {
    log.channel.eq_ignore_ascii_case(POWERSHELL_CHANNEL)
}

/// Where and when an event happened and which record it is: what an evidence list names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `TimeCreated/@SystemTime`, else the record header's.
    pub timestamp: Timestamp,
    /// `System/Computer`.
    pub host: String,
    /// `System/Channel`.
    pub channel: String,
    /// `System/EventID`.
    pub event_id: u16,
    /// `EventRecordID`, else the record header's.
    pub record_id: u64,
}

impl Origin {
    /// The origin of a rendered record whose event id is `event_id`.
    pub fn of(event: &Rendered, header: RecordHeader, event_id: u16) -> Origin {
        Origin {
            timestamp: event_time(event, header),
            host: event.computer.clone().unwrap_or_default(),
            channel: event.channel.clone().unwrap_or_default(),
            event_id,
            record_id: event_record_id(event, header),
        }
    }

    /// The record's event id when it comes from `provider` (case-insensitive) and is one of
    /// `ids`: how each extractor recognises its events.
    pub fn id_from(event: &Rendered, provider: &str, ids: &[u16]) -> Option<u16> {
        let id = event.event_id()?;
        (event.provider.as_deref()?.eq_ignore_ascii_case(provider) && ids.contains(&id))
            .then_some(id)
    }
}

/// A field's text unless Windows wrote it as absent (`-` or empty): `IpAddress`,
/// `WorkstationName` and many others say "none" that way.
pub(crate) fn present(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty() && *t != "-")
        .map(str::to_owned)
}

/// A number as Windows writes it, decimal or `0x` hex, from a field.
pub(crate) fn number(text: Option<&str>) -> Option<u64> {
    text.and_then(parse_id)
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

/// A process id as Windows writes it: decimal, or hex with `0x` (Security events).
pub(crate) fn parse_id(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}
