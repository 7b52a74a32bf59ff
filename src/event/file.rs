//! How a payload arrived on a host: Security 5145 (a file on a share was accessed, with the
//! account and the address it came from: a copy to `ADMIN$` or `C$`) and Sysmon 11 (a file was
//! created; written by `System` when it came in over SMB).

use super::logon::qualified;
use super::{number, present, Origin, SECURITY_PROVIDER, SYSMON_PROVIDER};
use crate::read::rendered::Rendered;
use crate::read::RecordHeader;

/// A Security 5145: a network share object was checked for access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareAccess {
    /// Where and when.
    pub origin: Origin,
    /// `SubjectDomainName\SubjectUserName`.
    pub account: String,
    /// `SubjectLogonId`.
    pub logon_id: Option<u64>,
    /// `IpAddress`: where the access came from.
    pub ip: Option<String>,
    /// `ShareName` (`\\*\ADMIN$`).
    pub share: String,
    /// `RelativeTargetName`: the file, relative to the share.
    pub target: String,
}

/// A Sysmon 11: a file was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCreate {
    /// Where and when.
    pub origin: Origin,
    /// `Image`: the writer (`System` for files that came in over SMB).
    pub image: String,
    /// `TargetFilename`.
    pub target: String,
}

impl ShareAccess {
    /// The fields read.
    pub const FIELDS: &'static [&'static str] = &[
        "SubjectUserName",
        "SubjectDomainName",
        "SubjectLogonId",
        "IpAddress",
        "ShareName",
        "RelativeTargetName",
    ];

    /// Reads a Security 5145.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<ShareAccess> {
        let id = Origin::id_from(event, SECURITY_PROVIDER, &[5145])?;
        let d = &event.data;
        Some(ShareAccess {
            origin: Origin::of(event, header, id),
            account: qualified(d.get("SubjectDomainName"), d.get("SubjectUserName")),
            logon_id: number(d.get("SubjectLogonId")),
            ip: present(d.get("IpAddress")),
            share: d.text("ShareName").unwrap_or_default(),
            target: d.text("RelativeTargetName").unwrap_or_default(),
        })
    }
}

impl FileCreate {
    /// The fields read.
    pub const FIELDS: &'static [&'static str] = &["Image", "TargetFilename"];

    /// Reads a Sysmon 11.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<FileCreate> {
        let id = Origin::id_from(event, SYSMON_PROVIDER, &[11])?;
        let d = &event.data;
        Some(FileCreate {
            origin: Origin::of(event, header, id),
            image: d.text("Image").unwrap_or_default(),
            target: d.text("TargetFilename").unwrap_or_default(),
        })
    }
}
