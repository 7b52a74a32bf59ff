//! Exit codes, so scripts can tell a clean result from findings and from a scan that could
//! not read everything. Documented in README.md.

/// What the process exit status means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Scan complete; no findings, or findings without `--fail-on-findings`.
    Success = 0,
    /// Findings, with `--fail-on-findings`. Takes precedence over `PartialRead`.
    Findings = 1,
    /// Some inputs, chunks or records could not be read; the rest were scanned.
    PartialRead = 2,
    /// Usage error, nothing readable, or the output could not be written.
    Failure = 3,
}

impl Exit {
    /// The code for a completed scan.
    pub fn for_scan(findings: usize, read_problems: usize, fail_on_findings: bool) -> Exit {
        if fail_on_findings && findings > 0 {
            Exit::Findings
        } else if read_problems > 0 {
            Exit::PartialRead
        } else {
            Exit::Success
        }
    }

    /// The process exit code.
    pub fn code(self) -> i32 {
        self as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        assert_eq!(Exit::for_scan(0, 0, true), Exit::Success);
        assert_eq!(Exit::for_scan(3, 0, false), Exit::Success);
        assert_eq!(Exit::for_scan(3, 0, true), Exit::Findings);
        assert_eq!(Exit::for_scan(3, 1, true), Exit::Findings);
        assert_eq!(Exit::for_scan(3, 1, false), Exit::PartialRead);
        assert_eq!(Exit::for_scan(0, 1, true), Exit::PartialRead);
        assert_eq!(
            [
                Exit::Success,
                Exit::Findings,
                Exit::PartialRead,
                Exit::Failure
            ]
            .map(Exit::code),
            [0, 1, 2, 3]
        );
    }
}
