//! PowerShell script blocks: PowerShell/Operational 4104. On a caller's host a block naming
//! `StdRegProv` (or `Invoke-WmiMethod`, `Invoke-CimMethod`) is the command that made the call.
//! Long blocks are logged in parts (`MessageNumber` of `MessageTotal`); each part is read as
//! logged.

use super::{number, Origin, POWERSHELL_PROVIDER};
use crate::read::rendered::Rendered;
use crate::read::RecordHeader;

/// A PowerShell 4104.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptBlock {
    /// Where and when.
    pub origin: Origin,
    /// `ScriptBlockText` (this part of it).
    pub text: String,
    /// `ScriptBlockId`: the parts of one block share it.
    pub id: String,
    /// `MessageNumber`.
    pub part: Option<u64>,
    /// `MessageTotal`.
    pub parts: Option<u64>,
}

impl ScriptBlock {
    /// The fields read.
    pub const FIELDS: &'static [&'static str] = &[
        "ScriptBlockText",
        "ScriptBlockId",
        "MessageNumber",
        "MessageTotal",
    ];

    /// Reads a PowerShell 4104.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<ScriptBlock> {
        let id = Origin::id_from(event, POWERSHELL_PROVIDER, &[4104])?;
        let d = &event.data;
        Some(ScriptBlock {
            origin: Origin::of(event, header, id),
            text: d.text("ScriptBlockText").unwrap_or_default(),
            id: d.text("ScriptBlockId").unwrap_or_default(),
            part: number(d.get("MessageNumber")),
            parts: number(d.get("MessageTotal")),
        })
    }
}
