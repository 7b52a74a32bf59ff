//! Process creations: Sysmon Event ID 1 and Security 4688, read by field name. The "did it
//! run" pass looks among them for a finding's payload.

use super::{event_record_id, event_time, SECURITY_PROVIDER, SYSMON_PROVIDER};
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
        fields: &["Image", "NewProcessName", "CommandLine"],
        extract: ProcessStart::from_rendered,
    };

    /// Reads a Sysmon EID 1 or Security 4688 event from a rendered record.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<ProcessStart> {
        let provider = event.provider.as_deref()?;
        let event_id = event.event_id()?;
        let image = match (provider, event_id) {
            (p, 1) if p.eq_ignore_ascii_case(SYSMON_PROVIDER) => event.data.get("Image"),
            (p, 4688) if p.eq_ignore_ascii_case(SECURITY_PROVIDER) => {
                event.data.get("NewProcessName")
            }
            _ => return None,
        };
        Some(ProcessStart {
            timestamp: event_time(event, header),
            host: event.computer.clone().unwrap_or_default(),
            event_id,
            image: image.unwrap_or_default().to_owned(),
            command_line: event.data.text("CommandLine").unwrap_or_default(),
            record_id: event_record_id(event, header),
        })
    }
}
