//! Where results go when `--output` names a file. A forensic tool must never harm evidence:
//! an existing file is replaced only with `--clobber`, and never when it is one of the inputs,
//! an event log or a zip archive (the usual evidence containers), whatever the flags. Results
//! are written to a temporary file beside the target and renamed into place only when the run
//! ends well, so a failed run leaves neither a half-written nor an empty file behind.

use crate::evidence::archive::ZIP_MAGIC;
use crate::evidence::named_like_a_log;
use crate::read::layout::FILE_MAGIC;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// The signatures of files that are never replaced: EVTX and zip (local file header).
const EVIDENCE_SIGNATURES: [&[u8]; 2] = [FILE_MAGIC, ZIP_MAGIC];

/// A checked output path.
#[derive(Debug)]
pub struct Destination {
    path: PathBuf,
    /// The path names a device or pipe (`/dev/null`, a FIFO): written in place.
    device: bool,
    clobber: bool,
}

/// Results being written; they reach the destination only through `commit`.
pub struct Pending {
    writer: BufWriter<Target>,
    path: PathBuf,
    clobber: bool,
}

enum Target {
    Temporary(NamedTempFile),
    Device(File),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Temporary(file) => file.write(buf),
            Target::Device(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Temporary(file) => file.flush(),
            Target::Device(file) => file.flush(),
        }
    }
}

/// Whether the file at `path` starts with an evidence signature.
fn looks_like_evidence(path: &Path) -> bool {
    let mut head = [0u8; 8];
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    let head = &head[..read];
    EVIDENCE_SIGNATURES.iter().any(|sig| head.starts_with(sig))
}

impl Destination {
    /// Checks `path` before anything is read or written: an existing file needs `clobber`,
    /// and inputs, event logs and archives are refused even with it.
    pub fn check(path: &Path, clobber: bool, inputs: &[PathBuf]) -> Result<Destination, String> {
        let shown = path.display();
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if named_like_a_log(path) {
                    return Err(format!(
                        "{shown}: refusing to write results to a file named like an event log"
                    ));
                }
                return Ok(Destination {
                    path: path.to_path_buf(),
                    device: false,
                    clobber,
                });
            }
            Err(e) => return Err(format!("cannot use {shown} as the output: {e}")),
        };
        if meta.is_dir() {
            return Err(format!("{shown} is a folder, not a file"));
        }
        if !meta.is_file() {
            // A device or a pipe: nothing there to lose.
            return Ok(Destination {
                path: path.to_path_buf(),
                device: true,
                clobber,
            });
        }
        let canonical = fs::canonicalize(path).ok();
        let is_input = inputs
            .iter()
            .any(|input| canonical.is_some() && fs::canonicalize(input).ok() == canonical);
        if is_input {
            return Err(format!(
                "{shown} is one of the inputs: refusing to write results over evidence"
            ));
        }
        if looks_like_evidence(path) || named_like_a_log(path) {
            return Err(format!(
                "{shown} is an event log or an archive: refusing to overwrite it, even with --clobber"
            ));
        }
        if !clobber {
            return Err(format!(
                "{shown} exists: choose another name, or add --clobber to replace it"
            ));
        }
        Ok(Destination {
            path: path.to_path_buf(),
            device: false,
            clobber,
        })
    }

    /// Opens the temporary file beside the destination (or the device itself).
    pub fn create(&self) -> Result<Pending, String> {
        let target = if self.device {
            let file = File::options()
                .write(true)
                .open(&self.path)
                .map_err(|e| format!("cannot open {}: {e}", self.path.display()))?;
            Target::Device(file)
        } else {
            let dir = match self.path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            let mut builder = tempfile::Builder::new();
            builder.prefix(".wmihunt-").suffix(".partial");
            #[cfg(unix)]
            {
                // As `File::create` would: the process umask decides.
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(fs::Permissions::from_mode(0o666));
            }
            let file = builder
                .tempfile_in(dir)
                .map_err(|e| format!("cannot create {}: {e}", self.path.display()))?;
            Target::Temporary(file)
        };
        Ok(Pending {
            writer: BufWriter::new(target),
            path: self.path.clone(),
            clobber: self.clobber,
        })
    }
}

impl Pending {
    /// The destination, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer results go to.
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    /// Moves the results into place. Without `--clobber`, a file that appeared at the
    /// destination during the run is kept, and the results stay in the temporary file, whose
    /// name the error gives.
    pub fn commit(self) -> Result<(), String> {
        let shown = self.path.display().to_string();
        let target = self
            .writer
            .into_inner()
            .map_err(|e| format!("cannot write to {shown}: {}", e.error()))?;
        match target {
            Target::Device(mut file) => file
                .flush()
                .map_err(|e| format!("cannot write to {shown}: {e}")),
            Target::Temporary(file) => {
                // On disk before it takes the destination's name.
                file.as_file()
                    .sync_all()
                    .map_err(|e| format!("cannot write to {shown}: {e}"))?;
                let placed = if self.clobber {
                    file.persist(&self.path)
                } else {
                    file.persist_noclobber(&self.path)
                };
                placed.map(drop).map_err(|e| {
                    let kept = e.file.into_temp_path().keep();
                    match kept {
                        Ok(temp) => format!(
                            "cannot move the results into {shown} ({}); they are in {}",
                            e.error,
                            temp.display()
                        ),
                        Err(_) => format!("cannot move the results into {shown}: {}", e.error),
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &Path, clobber: bool, inputs: &[PathBuf]) -> Result<(), String> {
        Destination::check(path, clobber, inputs).map(drop)
    }

    #[test]
    fn existing_files_need_clobber_and_evidence_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.ndjson");
        fs::write(&old, b"{}\n").unwrap();
        let log = dir.path().join("Security.log");
        fs::write(&log, b"ElfFile\0rest").unwrap();
        let zip = dir.path().join("collection.bin");
        fs::write(&zip, b"PK\x03\x04rest").unwrap();
        let fake = dir.path().join("cleared.evtx");
        fs::write(&fake, b"").unwrap();

        assert!(check(&dir.path().join("new.ndjson"), false, &[]).is_ok());
        assert!(check(&old, false, &[]).unwrap_err().contains("--clobber"));
        assert!(check(&old, true, &[]).is_ok());
        assert!(check(&old, true, std::slice::from_ref(&old))
            .unwrap_err()
            .contains("one of the inputs"));
        for evidence in [&log, &zip, &fake] {
            let refused = check(evidence, true, &[]).unwrap_err();
            assert!(refused.contains("refusing to overwrite"), "{refused}");
        }
        assert!(check(&dir.path().join("new.evtx"), false, &[]).is_err());
        assert!(check(dir.path(), true, &[]).unwrap_err().contains("folder"));
    }

    #[test]
    fn results_appear_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        let destination = Destination::check(&path, false, &[]).unwrap();
        let mut pending = destination.create().unwrap();
        pending.writer().write_all(b"line\n").unwrap();
        assert!(!path.exists());
        pending.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"line\n");

        // Dropped without commit: nothing is left, not even the temporary file.
        let other = dir.path().join("other.ndjson");
        let mut pending = Destination::check(&other, false, &[])
            .unwrap()
            .create()
            .unwrap();
        pending.writer().write_all(b"half").unwrap();
        drop(pending);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
