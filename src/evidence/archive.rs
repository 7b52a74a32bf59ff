//! Zip archives, as KAPE and Velociraptor collections arrive: their EVTX members are scanned
//! in place, streamed from the archive chunk by chunk, without extracting anything to disk.
//! A corrupt or encrypted archive or member is a per-file error.

use crate::read::layout::FILE_MAGIC;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use zip::ZipArchive;

/// The first 4 bytes of a zip archive (a local file header).
pub const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// An EVTX member of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its index in the archive.
    pub index: usize,
    /// Its name in the archive.
    pub name: String,
}

/// How findings and errors name a member: `archive.zip!/member/path`.
pub fn label(archive: &Path, member: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}!/{}",
        archive.display(),
        member.trim_start_matches('/')
    ))
}

/// What an archive holds.
#[derive(Debug, Default)]
pub struct Listing {
    /// EVTX members and their sizes.
    pub evtx: Vec<(Member, u64)>,
    /// Members that are not EVTX: (name, size, reason).
    pub skipped: Vec<(String, u64, String)>,
    /// Members that cannot be read: (name, reason).
    pub errors: Vec<(String, String)>,
}

fn zip_error(e: zip::result::ZipError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Lists an archive's members, reading the first bytes of each to find the EVTX ones.
pub fn list(path: &Path) -> io::Result<Listing> {
    let mut archive = ZipArchive::new(File::open(path)?).map_err(zip_error)?;
    let mut listing = Listing::default();
    for index in 0..archive.len() {
        // Metadata first, without decompressing: an encrypted member still has a name.
        let (name, is_dir, encrypted, size) = match archive.by_index_raw(index) {
            Ok(member) => (
                member
                    .name()
                    .map(|n| n.into_owned())
                    .unwrap_or_else(|_| format!("#{index}")),
                member.is_dir(),
                member.encrypted(),
                member.size(),
            ),
            Err(e) => {
                listing.errors.push((format!("#{index}"), e.to_string()));
                continue;
            }
        };
        if is_dir {
            continue;
        }
        if encrypted {
            listing
                .errors
                .push((name, "encrypted member: cannot be read".into()));
            continue;
        }
        let mut magic = [0u8; 8];
        let read = archive
            .by_index(index)
            .map_err(zip_error)
            .and_then(|mut member| member.read_exact(&mut magic));
        match read {
            Ok(()) if &magic == FILE_MAGIC => listing.evtx.push((Member { index, name }, size)),
            Ok(()) => {
                listing
                    .skipped
                    .push((name, size, "not an EVTX file (no ElfFile signature)".into()))
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => listing.skipped.push((
                name,
                size,
                format!("too short for an EVTX file ({size} bytes)"),
            )),
            Err(e) => listing.errors.push((name, format!("cannot read: {e}"))),
        }
    }
    Ok(listing)
}

/// Runs `read` on a member's decompressed bytes.
pub fn with_member<T>(
    path: &Path,
    index: usize,
    read: impl FnOnce(&mut dyn Read) -> T,
) -> io::Result<T> {
    let mut archive = ZipArchive::new(File::open(path)?).map_err(zip_error)?;
    let mut member = archive.by_index(index).map_err(zip_error)?;
    Ok(read(&mut member))
}
