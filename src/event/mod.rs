//! Events: what wmihunt takes from a rendered record, one type per event family, read by field
//! name (Windows versions differ in which fields an event carries). Each type has an extractor
//! (`from_rendered`) that the reader calls on every record it renders.

pub mod process;
pub mod registry;
pub mod scanned;
pub mod subscription;

use crate::read::rendered::Rendered;
use crate::read::{LogIdentity, RecordHeader};
use jiff::Timestamp;

/// The Sysmon provider name, compared case-insensitively.
pub const SYSMON_PROVIDER: &str = "Microsoft-Windows-Sysmon";

/// The Sysmon channel.
pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";

/// The Security auditing provider.
pub const SECURITY_PROVIDER: &str = "Microsoft-Windows-Security-Auditing";

/// Whether a log is Sysmon's, where registry and process events are recorded.
pub fn is_sysmon(log: &LogIdentity) -> bool {
    log.provider.eq_ignore_ascii_case(SYSMON_PROVIDER)
        || log.channel.eq_ignore_ascii_case(SYSMON_CHANNEL)
}

/// Whether a log records process creations (Sysmon 1, Security 4688).
pub fn records_processes(log: &LogIdentity) -> bool {
    is_sysmon(log) || log.channel.eq_ignore_ascii_case("Security")
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
