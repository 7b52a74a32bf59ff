//! Shell-style globs for host names, keys and data: `*` any text (backslashes included, so
//! `HKLM\SOFTWARE\*` reaches any depth), `?` one character, `[…]` a class; compared without
//! regard to case, as Windows compares these names.

use glob::{MatchOptions, Pattern};
use serde::Deserialize;
use std::fmt;

const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: false,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

/// A compiled glob and the text it was given as.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Glob {
    text: String,
    pattern: Pattern,
}

impl Glob {
    /// Compiles `text`. A run of `*` is one `*` (which already spans `\`), so `**` typed out
    /// of habit means what it says.
    pub fn new(text: &str) -> Result<Glob, String> {
        let mut folded = String::with_capacity(text.len());
        for c in text.chars() {
            if !(c == '*' && folded.ends_with('*')) {
                folded.push(c);
            }
        }
        let pattern =
            Pattern::new(&folded).map_err(|e| format!("'{text}' is not a valid glob: {e}"))?;
        Ok(Glob {
            text: text.to_string(),
            pattern,
        })
    }

    /// Whether `text` matches as a whole.
    pub fn matches(&self, text: &str) -> bool {
        self.pattern.matches_with(text, OPTIONS)
    }

    /// Whether a host name matches: its full name, or its first label (`WS06` of
    /// `WS06.corp.example`).
    pub fn matches_host(&self, host: &str) -> bool {
        self.matches(host)
            || host
                .split_once('.')
                .is_some_and(|(short, _)| self.matches(short))
    }

    /// The glob as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for Glob {
    type Error = String;

    fn try_from(text: String) -> Result<Glob, String> {
        Glob::new(&text)
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_span_backslashes_and_ignore_case() {
        let g = Glob::new(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run").unwrap();
        assert!(g.matches(r"hklm\software\microsoft\windows\currentversion\run"));
        assert!(!g.matches(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce"));
        let g = Glob::new(r"HKLM\SOFTWARE\**").unwrap();
        assert!(g.matches(r"HKLM\SOFTWARE\A\B\C"));
        let g = Glob::new(r#""C:\Windows\CCM\*"#).unwrap();
        assert!(g.matches(r#""C:\Windows\CCM\CcmExec.exe" -service"#));
        assert!(!g.matches(r#"C:\Windows\CCM\CcmExec.exe"#));
        assert!(Glob::new("[").is_err());
    }
}
