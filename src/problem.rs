//! Problems: everything that could not be read or taken as evidence, and where. One type for
//! every stage (finding the files, reading chunks and records), so each is worded one way and
//! printed in one place, and the exit code follows from what kind of problem it is.

use std::error::Error;
use std::fmt;
use std::path::PathBuf;

/// What kind of problem, which decides how it is shown and whether evidence was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A path that could not be read (permissions, vanished, not UTF-8 on some systems).
    UnreadablePath,
    /// A file that is a log by name or signature but holds no readable log.
    UnreadableLog,
    /// A file, chunk or record that could not be read, wholly or in part.
    Read,
    /// A symlink loop: not followed, and nothing is lost by that.
    Loop,
    /// A record carved from slack (`--recover`) that could not be read: stale data by
    /// definition, so it is counted and shown with `-v`, and does not change the exit code.
    Slack,
}

impl Kind {
    /// The word that starts the line on stderr.
    pub fn label(self) -> &'static str {
        match self {
            Kind::UnreadablePath => "error",
            Kind::UnreadableLog => "unreadable log",
            Kind::Read => "read error",
            Kind::Loop => "note",
            Kind::Slack => "slack",
        }
    }

    /// Whether evidence may have been missed because of it (exit code 2).
    pub fn loses_evidence(self) -> bool {
        !matches!(self, Kind::Loop | Kind::Slack)
    }
}

/// One problem and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem.
    pub kind: Kind,
    /// The evidence file or path (`archive.zip!/member` inside an archive).
    pub path: PathBuf,
    /// The chunk's index in the file, when the problem is in one chunk.
    pub chunk: Option<u64>,
    /// The record id, when the problem is in one record and its id is known.
    pub record: Option<u64>,
    /// What went wrong.
    pub message: String,
}

impl Problem {
    /// A problem with a whole file or path.
    pub fn file(kind: Kind, path: impl Into<PathBuf>, message: impl Into<String>) -> Problem {
        Problem {
            kind,
            path: path.into(),
            chunk: None,
            record: None,
            message: message.into(),
        }
    }

    /// A read problem in chunk `chunk` (and record `record`) of `path`.
    pub fn read(
        path: impl Into<PathBuf>,
        chunk: Option<u64>,
        record: Option<u64>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            kind: Kind::Read,
            path: path.into(),
            chunk,
            record,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    /// `PATH: chunk N: record ID: reason`, the documented form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(chunk) = self.chunk {
            write!(f, ": chunk {chunk}")?;
        }
        if let Some(record) = self.record {
            write!(f, ": record {record}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// `err` and all its causes, joined with `: ` (libraries keep the useful part deep in the
/// chain).
pub fn error_chain(err: &dyn Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_form() {
        let p = Problem::read("/x/a.evtx", Some(3), Some(41), "damaged");
        assert_eq!(p.to_string(), "/x/a.evtx: chunk 3: record 41: damaged");
        let p = Problem::file(Kind::UnreadableLog, "/x/b.evtx", "empty file (0 bytes)");
        assert_eq!(p.to_string(), "/x/b.evtx: empty file (0 bytes)");
        assert!(Kind::Read.loses_evidence() && !Kind::Loop.loses_evidence());
    }
}
