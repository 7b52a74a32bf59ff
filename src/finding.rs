//! Findings: a registry event that matched a detection, with where it was read. This is what
//! every output format prints.

use crate::detect::{Match, Severity};
use crate::event::RegistryEvent;
use std::cmp::Ordering;
use std::path::PathBuf;

/// One WmiPrvSE.exe write to a persistence location.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The event as read.
    pub event: RegistryEvent,
    /// What it matched.
    pub matched: Match,
    /// The evidence file it was read from.
    pub source: PathBuf,
    /// The chunk's index in that file.
    pub chunk: u64,
    /// Carved from chunk slack (`--recover`) rather than read from a live record.
    pub recovered: bool,
}

impl Finding {
    /// The finding's severity, from what was done to the key.
    pub fn severity(&self) -> Severity {
        self.matched.action.severity()
    }

    /// The documented output order: by time, then file, then record id.
    pub fn output_order(&self, other: &Finding) -> Ordering {
        (
            self.event.timestamp,
            &self.source,
            self.event.record_id,
            self.chunk,
        )
            .cmp(&(
                other.event.timestamp,
                &other.source,
                other.event.record_id,
                other.chunk,
            ))
    }
}
