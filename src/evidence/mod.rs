//! Evidence files: walks the paths the user gave, recursively, and keeps the files that
//! start with the EVTX magic whatever their name, and the EVTX members of zip archives. A file
//! *named* like a log (`.evtx`) that holds none (empty, cut inside its header, no signature)
//! is itself a fact — a cleared log, a failed collection — so it is reported, not skipped.
//! Other files are counted as skipped with their reason; paths that cannot be read
//! (permissions, vanished files) are reported, symlink loops noted, and the walk goes on.
//!
//! An evidence file opens its own bytes (`EvidenceFile::with_chunks`), a plain file or a
//! member streamed from its archive, so that reading never needs to know about zip.

pub mod archive;

use crate::problem::{Kind, Problem};
use crate::read::layout::{chunk_offset, CHUNK_SIZE, FILE_HEADER_SIZE, FILE_MAGIC};
use crate::read::source::{ChunkSource, Stream};
use archive::{Member, ZIP_MAGIC};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

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
    /// Its size when found (for an archive member: the size the archive declares).
    pub len: u64,
    /// The member, when the log is inside a zip archive.
    pub member: Option<Member>,
}

impl EvidenceFile {
    /// A file on disk.
    #[cfg(test)]
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

    /// Whether the end of its stream is the normal end of its chunks: an archive member's
    /// declared size is the archive's word, so a member is read to its real end.
    pub fn reads_to_end(&self) -> bool {
        self.member.is_some()
    }

    /// Runs `read` on the file's chunks `chunks`: a plain file is opened read-only and read
    /// from the first chunk, an archive member is streamed from its archive with the bytes
    /// before the first chunk skipped (and read to its end: the size an archive declares is
    /// the archive's word). (A memory mapping was measured and not kept: page faults cost what
    /// the copy saved, and a file shrinking under a mapping needs a SIGBUS guard; see
    /// docs/performance.md.)
    pub fn with_chunks<T>(
        &self,
        chunks: Range<u64>,
        read: impl FnOnce(&mut dyn ChunkSource) -> T,
    ) -> io::Result<T> {
        let overflow = || io::Error::new(io::ErrorKind::InvalidInput, "chunk offset overflows");
        let offset = chunk_offset(chunks.start).ok_or_else(overflow)?;
        match &self.member {
            None => {
                let mut file = File::open(&self.path)?;
                let len = (chunks.end - chunks.start).saturating_mul(CHUNK_SIZE as u64);
                file.seek(SeekFrom::Start(offset))?;
                let mut bounded = (&mut file).take(len);
                Ok(read(&mut Stream::new(&mut bounded)))
            }
            Some(member) => archive::with_member(&self.path, member.index, |stream| {
                io::copy(&mut stream.take(offset), &mut io::sink())?;
                Ok(read(&mut Stream::new(stream)))
            })
            .and_then(|result| result),
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

/// Everything found under the given paths.
#[derive(Debug, Default)]
pub struct Discovery {
    /// EVTX files, sorted by path, each once.
    pub files: Vec<EvidenceFile>,
    /// Files that are not event logs (neither named `.evtx` nor signed `ElfFile`).
    pub skipped: Vec<Skipped>,
    /// Unreadable paths, files that are logs by name or signature but hold no readable log
    /// (empty, cut inside the file header, named `.evtx` without the signature), and symlink
    /// loops, in the order found.
    pub problems: Vec<Problem>,
}

enum Class {
    Evtx,
    Zip,
    NotEvtx(String),
}

/// Reads the first bytes of `path` to decide whether it is EVTX.
fn classify(path: &Path, len: u64) -> io::Result<Class> {
    if len == 0 {
        return Ok(Class::NotEvtx("empty file (0 bytes)".into()));
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
        return Ok(Class::Zip);
    }
    if read < magic.len() {
        return Ok(Class::NotEvtx(format!(
            "too short for an EVTX file ({len} bytes)"
        )));
    }
    if &magic != FILE_MAGIC {
        return Ok(Class::NotEvtx(
            "not an EVTX file (no ElfFile signature)".into(),
        ));
    }
    Ok(Class::Evtx)
}

impl Discovery {
    /// A file the walk could not take as evidence: quietly skipped, or reported when it is
    /// named like a log.
    fn not_evtx(&mut self, path: PathBuf, reason: String) {
        if named_like_a_log(&path) {
            self.problems
                .push(Problem::file(Kind::UnreadableLog, path, reason));
        } else {
            self.skipped.push(Skipped { path, reason });
        }
    }

    /// An EVTX file of `len` bytes at `path`: scanned, or reported when it is cut inside its
    /// header.
    fn evtx(&mut self, path: PathBuf, len: u64, member: Option<Member>) {
        if len < FILE_HEADER_SIZE {
            let label = match &member {
                Some(member) => archive::label(&path, &member.name),
                None => path,
            };
            self.problems.push(Problem::file(
                Kind::UnreadableLog,
                label,
                format!(
                    "truncated inside the EVTX file header ({len} of {FILE_HEADER_SIZE} bytes)"
                ),
            ));
        } else {
            self.files.push(EvidenceFile { path, len, member });
        }
    }

    /// Adds an archive's EVTX members; its other members are skipped, its damage reported.
    fn archive(&mut self, path: PathBuf) {
        let listing = match archive::list(&path) {
            Ok(listing) => listing,
            Err(e) => {
                self.problems.push(Problem::file(
                    Kind::UnreadablePath,
                    path,
                    format!("cannot read the zip archive: {e}"),
                ));
                return;
            }
        };
        for (name, size, reason) in listing.skipped {
            let reason = if size == 0 {
                "empty file (0 bytes)".to_string()
            } else {
                reason
            };
            self.not_evtx(archive::label(&path, &name), reason);
        }
        for (name, message) in listing.errors {
            self.problems.push(Problem::file(
                Kind::UnreadablePath,
                archive::label(&path, &name),
                message,
            ));
        }
        for (member, len) in listing.evtx {
            self.evtx(path.clone(), len, Some(member));
        }
    }
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
                    let problem = match e.loop_ancestor() {
                        Some(ancestor) => Problem::file(
                            Kind::Loop,
                            path,
                            format!("symlink loop back to {} (not followed)", ancestor.display()),
                        ),
                        None => Problem::file(
                            Kind::UnreadablePath,
                            path,
                            e.io_error()
                                .map(|io| io.to_string())
                                .unwrap_or_else(|| e.to_string()),
                        ),
                    };
                    found.problems.push(problem);
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
                    found
                        .problems
                        .push(Problem::file(Kind::UnreadablePath, path, e.to_string()));
                    continue;
                }
            };
            match classify(&path, len) {
                Ok(Class::Evtx) => found.evtx(path, len, None),
                Ok(Class::Zip) => found.archive(path),
                Ok(Class::NotEvtx(reason)) => found.not_evtx(path, reason),
                Err(e) => found.problems.push(Problem::file(
                    Kind::UnreadablePath,
                    path,
                    format!("cannot read: {e}"),
                )),
            }
        }
    }
    found.files.sort_by_key(EvidenceFile::label);
    found.files.dedup_by(|a, b| a.label() == b.label());
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn sorts_files_by_signature_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut evtx = FILE_MAGIC.to_vec();
        evtx.resize(FILE_HEADER_SIZE as usize + 10, 0);
        fs::write(dir.path().join("renamed.log"), &evtx).unwrap();
        fs::write(dir.path().join("fake.evtx"), b"not an event log").unwrap();
        fs::write(dir.path().join("empty.evtx"), b"").unwrap();
        fs::write(dir.path().join("short.evtx"), &FILE_MAGIC[..]).unwrap();
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
            .problems
            .iter()
            .filter(|p| p.kind == Kind::UnreadableLog)
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
        assert_eq!(found.problems.len(), 3);
    }

    #[test]
    fn missing_paths_are_reported() {
        let found = discover(&[PathBuf::from("/nonexistent/wmihunt")]);
        assert!(found.files.is_empty());
        assert_eq!(found.problems.len(), 1);
        assert_eq!(found.problems[0].kind, Kind::UnreadablePath);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a").join("loop")).unwrap();
        let found = discover(&[dir.path().to_path_buf()]);
        assert!(!found.problems.is_empty());
        assert!(
            found
                .problems
                .iter()
                .all(|p| p.kind == Kind::Loop && p.message.contains("symlink loop")),
            "{:?}",
            found.problems
        );
    }
}
