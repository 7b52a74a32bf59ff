//! Finding evidence: walks the paths the user gave, recursively, and keeps the files that
//! start with the EVTX magic whatever their name, and the EVTX members of zip archives. A file
//! *named* like a log (`.evtx`) that holds none (empty, cut inside its header, no signature)
//! is itself a fact — a cleared log, a failed collection — so it is reported, not skipped.
//! Other files are counted as skipped with their reason; paths that cannot be read
//! (permissions, vanished files) are reported, symlink loops noted, and the walk goes on.

use crate::archive::{self, Member, ZIP_MAGIC};
use crate::reader::FILE_HEADER_SIZE;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// The first 8 bytes of every EVTX file.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// Whether a file is named like an event log: such a file is evidence even when it holds no
/// log (a cleared log or a failed collection is itself a fact).
pub fn named_like_a_log(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("evtx"))
}

/// An EVTX file to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    /// Where it is (for an archive member: the archive).
    pub path: PathBuf,
    /// Its size when found (for an archive member: the member's size).
    pub len: u64,
    /// The member, when the log is inside a zip archive.
    pub member: Option<Member>,
}

impl EvidenceFile {
    /// A file on disk.
    pub fn file(path: PathBuf, len: u64) -> EvidenceFile {
        EvidenceFile {
            path,
            len,
            member: None,
        }
    }

    /// How outputs name it: its path, or `archive.zip!/member` inside an archive.
    pub fn label(&self) -> PathBuf {
        match &self.member {
            Some(member) => archive::label(&self.path, &member.name),
            None => self.path.clone(),
        }
    }
}

/// A file that is not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it is not scanned.
    pub reason: String,
}

/// A path that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverError {
    /// The path (or the walk's root when the error names none).
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// Everything found under the given paths.
#[derive(Debug, Default)]
pub struct Discovery {
    /// EVTX files, sorted by path, each once.
    pub files: Vec<EvidenceFile>,
    /// Files that are not event logs (neither named `.evtx` nor signed `ElfFile`).
    pub skipped: Vec<Skipped>,
    /// Files that are logs by name or signature but hold no readable log: empty, cut inside
    /// the file header, or named `.evtx` without the signature.
    pub unreadable_logs: Vec<DiscoverError>,
    /// Paths that could not be read.
    pub errors: Vec<DiscoverError>,
    /// Symlink loops: not followed, and nothing is lost by that.
    pub loops: Vec<DiscoverError>,
}

enum Kind {
    Evtx,
    Zip,
    NotEvtx(String),
}

/// Reads the first bytes of `path` to decide whether it is EVTX.
fn classify(path: &Path, len: u64) -> io::Result<Kind> {
    if len == 0 {
        return Ok(Kind::NotEvtx("empty file (0 bytes)".into()));
    }
    let mut magic = [0u8; 8];
    let mut file = File::open(path)?;
    let mut read = 0;
    while read < magic.len() {
        match file.read(&mut magic[read..])? {
            0 => break,
            n => read += n,
        }
    }
    if read >= 4 && magic.starts_with(ZIP_MAGIC) {
        return Ok(Kind::Zip);
    }
    if read < magic.len() {
        return Ok(Kind::NotEvtx(format!(
            "too short for an EVTX file ({len} bytes)"
        )));
    }
    if &magic != EVTX_MAGIC {
        return Ok(Kind::NotEvtx(
            "not an EVTX file (no ElfFile signature)".into(),
        ));
    }
    Ok(Kind::Evtx)
}

/// Files the walk could not take as evidence: quietly skipped, or reported when they are
/// named like a log.
fn not_evtx(found: &mut Discovery, path: PathBuf, reason: String) {
    if named_like_a_log(&path) {
        found.unreadable_logs.push(DiscoverError {
            path,
            message: reason,
        });
    } else {
        found.skipped.push(Skipped { path, reason });
    }
}

/// The problem with an EVTX file shorter than its file header.
fn truncated_header(len: u64) -> String {
    format!("truncated inside the EVTX file header ({len} of {FILE_HEADER_SIZE} bytes)")
}

/// Walks `roots` (files or folders) and sorts what it finds.
pub fn discover(roots: &[PathBuf]) -> Discovery {
    let mut found = Discovery::default();
    for root in roots {
        // Follow links so linked folders in collections are scanned; walkdir reports loops.
        for entry in WalkDir::new(root).follow_links(true).sort_by_file_name() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    match e.loop_ancestor() {
                        Some(ancestor) => found.loops.push(DiscoverError {
                            path,
                            message: format!(
                                "symlink loop back to {} (not followed)",
                                ancestor.display()
                            ),
                        }),
                        None => found.errors.push(DiscoverError {
                            path,
                            message: e
                                .io_error()
                                .map(|io| io.to_string())
                                .unwrap_or_else(|| e.to_string()),
                        }),
                    }
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path().to_path_buf();
            let len = match entry.metadata() {
                Ok(meta) => meta.len(),
                Err(e) => {
                    found.errors.push(DiscoverError {
                        path,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            match classify(&path, len) {
                Ok(Kind::Evtx) if len < FILE_HEADER_SIZE => {
                    found.unreadable_logs.push(DiscoverError {
                        path,
                        message: truncated_header(len),
                    })
                }
                Ok(Kind::Evtx) => found.files.push(EvidenceFile::file(path, len)),
                Ok(Kind::Zip) => add_archive(&mut found, path),
                Ok(Kind::NotEvtx(reason)) => not_evtx(&mut found, path, reason),
                Err(e) => found.errors.push(DiscoverError {
                    path,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
    }
    found.files.sort_by_key(EvidenceFile::label);
    found.files.dedup_by(|a, b| a.label() == b.label());
    found
}

/// Adds an archive's EVTX members; its other members are skipped, its damage reported.
fn add_archive(found: &mut Discovery, path: PathBuf) {
    let listing = match archive::list(&path) {
        Ok(listing) => listing,
        Err(e) => {
            found.errors.push(DiscoverError {
                path,
                message: format!("cannot read the zip archive: {e}"),
            });
            return;
        }
    };
    for (name, size, reason) in listing.skipped {
        let reason = if size == 0 {
            "empty file (0 bytes)".to_string()
        } else {
            reason
        };
        not_evtx(found, archive::label(&path, &name), reason);
    }
    for (name, message) in listing.errors {
        found.errors.push(DiscoverError {
            path: archive::label(&path, &name),
            message,
        });
    }
    for (member, len) in listing.evtx {
        if len < FILE_HEADER_SIZE {
            found.unreadable_logs.push(DiscoverError {
                path: archive::label(&path, &member.name),
                message: truncated_header(len),
            });
            continue;
        }
        found.files.push(EvidenceFile {
            path: path.clone(),
            len,
            member: Some(member),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn sorts_files_by_signature_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut evtx = EVTX_MAGIC.to_vec();
        evtx.resize(FILE_HEADER_SIZE as usize + 10, 0);
        fs::write(dir.path().join("renamed.log"), &evtx).unwrap();
        fs::write(dir.path().join("fake.evtx"), b"not an event log").unwrap();
        fs::write(dir.path().join("empty.evtx"), b"").unwrap();
        fs::write(dir.path().join("short.evtx"), &EVTX_MAGIC[..]).unwrap();
        fs::write(dir.path().join("notes.txt"), b"notes").unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub").join("b.evtx"), &evtx).unwrap();

        let found = discover(&[dir.path().to_path_buf()]);
        let names: Vec<_> = found
            .files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["renamed.log", "b.evtx"]);
        let bad: Vec<_> = found
            .unreadable_logs
            .iter()
            .map(|s| (s.path.file_name().unwrap().to_owned(), s.message.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                ("empty.evtx".into(), "empty file (0 bytes)"),
                (
                    "fake.evtx".into(),
                    "not an EVTX file (no ElfFile signature)"
                ),
                (
                    "short.evtx".into(),
                    "truncated inside the EVTX file header (8 of 4096 bytes)"
                ),
            ]
        );
        let skipped: Vec<_> = found
            .skipped
            .iter()
            .map(|s| (s.path.file_name().unwrap().to_owned(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [("notes.txt".into(), "too short for an EVTX file (5 bytes)")]
        );
        assert!(found.errors.is_empty());
    }

    #[test]
    fn missing_paths_are_reported() {
        let found = discover(&[PathBuf::from("/nonexistent/wmihunt")]);
        assert!(found.files.is_empty());
        assert_eq!(found.errors.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a").join("loop")).unwrap();
        let found = discover(&[dir.path().to_path_buf()]);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert!(
            found
                .loops
                .iter()
                .any(|e| e.message.contains("symlink loop")),
            "{:?}",
            found.loops
        );
    }
}
