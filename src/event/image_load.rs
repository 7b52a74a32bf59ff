//! Image loads: Sysmon Event ID 7. The attribution pass looks for the registry provider
//! (`stdprov.dll`) loaded into the WmiPrvSE.exe process that wrote: the write came through
//! `StdRegProv`.

use super::{number, Origin, SYSMON_PROVIDER};
use crate::read::rendered::Rendered;
use crate::read::RecordHeader;

/// A Sysmon 7: a module was loaded into a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLoad {
    /// Where and when.
    pub origin: Origin,
    /// `ProcessGuid` of the loading process.
    pub process_guid: Option<String>,
    /// `ProcessId`.
    pub process_id: Option<u64>,
    /// `Image`: the loading process.
    pub image: String,
    /// `ImageLoaded`: the module.
    pub image_loaded: String,
}

impl ImageLoad {
    /// The fields read.
    pub const FIELDS: &'static [&'static str] =
        &["ProcessGuid", "ProcessId", "Image", "ImageLoaded"];

    /// Reads a Sysmon 7.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<ImageLoad> {
        let id = Origin::id_from(event, SYSMON_PROVIDER, &[7])?;
        let d = &event.data;
        Some(ImageLoad {
            origin: Origin::of(event, header, id),
            process_guid: d.text("ProcessGuid"),
            process_id: number(d.get("ProcessId")),
            image: d.text("Image").unwrap_or_default(),
            image_loaded: d.text("ImageLoaded").unwrap_or_default(),
        })
    }
}
