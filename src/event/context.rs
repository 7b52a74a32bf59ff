//! The events the attribution pass reads around a write, behind one extractor: a reader keeps
//! one event type, and these families live in the same logs (Security holds logons, share
//! access, connections and process creations; Sysmon holds connections, image loads, file
//! creations and process creations).

use super::file::{FileCreate, ShareAccess};
use super::image_load::ImageLoad;
use super::logon::{ExplicitLogon, Logon, Privileges};
use super::network::Connection;
use super::process::ProcessStart;
use super::script::ScriptBlock;
use super::wmi_activity::WmiActivity;
use super::{Origin, SECURITY_CHANNEL, SYSMON_CHANNEL};
use crate::read::rendered::Rendered;
use crate::read::{Extractor, RecordHeader};

/// One event that can say who called WMI.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextEvent {
    /// Security 4624.
    Logon(Logon),
    /// Security 4672.
    Privileges(Privileges),
    /// Security 4648.
    ExplicitLogon(ExplicitLogon),
    /// Sysmon 3, Security 5156.
    Connection(Connection),
    /// Sysmon 1, Security 4688.
    Process(ProcessStart),
    /// Sysmon 7.
    ImageLoad(ImageLoad),
    /// WMI-Activity 5857, 5858, 5860.
    Wmi(WmiActivity),
    /// PowerShell 4104.
    Script(ScriptBlock),
    /// Security 5145.
    Share(ShareAccess),
    /// Sysmon 11.
    File(FileCreate),
}

/// Each family's fields.
const FAMILIES: &[&[&str]] = &[
    Logon::FIELDS,
    Privileges::FIELDS,
    ExplicitLogon::FIELDS,
    Connection::FIELDS,
    ProcessStart::FIELDS,
    ImageLoad::FIELDS,
    WmiActivity::FIELDS,
    ScriptBlock::FIELDS,
    ShareAccess::FIELDS,
    FileCreate::FIELDS,
];

/// Whether two names are the same (`==` is not yet usable on `str` in a constant).
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `name` is listed before family `family`, name `index`: the first listing counts.
const fn listed_before(name: &str, family: usize, index: usize) -> bool {
    let mut i = 0;
    while i <= family {
        let names = FAMILIES[i];
        let end = if i == family { index } else { names.len() };
        let mut j = 0;
        while j < end {
            if same(names[j], name) {
                return true;
            }
            j += 1;
        }
        i += 1;
    }
    false
}

/// How many distinct names the families read: the reader checks each rendered field against
/// the list, so a name read by two families is listed once.
const COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < FAMILIES.len() {
        let mut j = 0;
        while j < FAMILIES[i].len() {
            if !listed_before(FAMILIES[i][j], i, j) {
                n += 1;
            }
            j += 1;
        }
        i += 1;
    }
    n
};

/// Every field any family reads, once, gathered at compile time.
const FIELDS: [&str; COUNT] = {
    let mut out = [""; COUNT];
    let (mut at, mut i) = (0, 0);
    while i < FAMILIES.len() {
        let mut j = 0;
        while j < FAMILIES[i].len() {
            if !listed_before(FAMILIES[i][j], i, j) {
                out[at] = FAMILIES[i][j];
                at += 1;
            }
            j += 1;
        }
        i += 1;
    }
    out
};

impl ContextEvent {
    /// The reader's view of every family.
    pub const EXTRACTOR: Extractor<ContextEvent> = Extractor {
        fields: &FIELDS,
        extract: ContextEvent::from_rendered,
    };

    /// Reads whichever family the record is, if any.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<ContextEvent> {
        use ContextEvent as C;
        Logon::from_rendered(event, header)
            .map(C::Logon)
            .or_else(|| Privileges::from_rendered(event, header).map(C::Privileges))
            .or_else(|| ExplicitLogon::from_rendered(event, header).map(C::ExplicitLogon))
            .or_else(|| Connection::from_rendered(event, header).map(C::Connection))
            .or_else(|| ProcessStart::from_rendered(event, header).map(C::Process))
            .or_else(|| ImageLoad::from_rendered(event, header).map(C::ImageLoad))
            .or_else(|| WmiActivity::from_rendered(event, header).map(C::Wmi))
            .or_else(|| ScriptBlock::from_rendered(event, header).map(C::Script))
            .or_else(|| ShareAccess::from_rendered(event, header).map(C::Share))
            .or_else(|| FileCreate::from_rendered(event, header).map(C::File))
    }

    /// Where and when it happened.
    pub fn origin(&self) -> Origin {
        match self {
            ContextEvent::Logon(e) => e.origin.clone(),
            ContextEvent::Privileges(e) => e.origin.clone(),
            ContextEvent::ExplicitLogon(e) => e.origin.clone(),
            ContextEvent::Connection(e) => e.origin.clone(),
            ContextEvent::ImageLoad(e) => e.origin.clone(),
            ContextEvent::Wmi(e) => e.origin.clone(),
            ContextEvent::Script(e) => e.origin.clone(),
            ContextEvent::Share(e) => e.origin.clone(),
            ContextEvent::File(e) => e.origin.clone(),
            ContextEvent::Process(p) => Origin {
                timestamp: p.timestamp,
                host: p.host.clone(),
                // The two process creation events live in one channel each.
                channel: if p.event_id == 1 {
                    SYSMON_CHANNEL
                } else {
                    SECURITY_CHANNEL
                }
                .to_string(),
                event_id: p.event_id,
                record_id: p.record_id,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_field_is_listed_once() {
        for family in FAMILIES {
            for name in *family {
                assert_eq!(FIELDS.iter().filter(|f| *f == name).count(), 1, "{name}");
            }
        }
        assert!(FIELDS.len() < FAMILIES.iter().map(|f| f.len()).sum::<usize>());
    }
}
