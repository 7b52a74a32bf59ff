//! The HTML case report (`--format html`): one self-contained file for people who will not
//! read NDJSON — the case at a glance, coverage per host, a timeline per host (inline SVG),
//! a card per finding, read problems per file, the catalog applied and how the run was made.
//!
//! Log text is hostile. Every value reaches the page through askama, whose HTML escaping is
//! on for every expression of `templates/report.html`; control characters and bidi overrides
//! are shown escaped first (`visible`). The only unescaped text is this module's own style
//! and script, and the page's Content-Security-Policy allows exactly those two, by hash: no
//! other script or style runs, nothing is fetched, even if escaping were ever missed.
//! The page is complete without its script, which only adds a filter box.

mod card;
mod timeline;
mod view;

use super::sanitize::{terminal_safe, truncate};
use super::TimeDisplay;
use crate::report::RunReport;
use askama::Template;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// The page's style (no style is repeated per finding: cards share classes).
const CSS: &str = include_str!("report.css");
/// The optional filter box.
const JS: &str = include_str!("report.js");
/// Longest log text shown in one place; NDJSON has it whole.
const MAX_TEXT: usize = 2000;

#[derive(Template)]
#[template(path = "report.html", whitespace = "minimize")]
struct Page<'a> {
    csp: &'a str,
    css: &'static str,
    js: &'static str,
    case: view::Case,
}

/// Log text as the report shows it: control characters, bidi overrides and invisible
/// characters written as escapes (as on the terminal), cut at `MAX_TEXT` characters. The
/// template HTML-escapes the result.
pub fn visible(text: &str) -> String {
    truncate(&terminal_safe(text), MAX_TEXT).into_owned()
}

/// `'sha256-…'`, a CSP source for an inline element whose text is `text`.
fn hash_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The page's Content-Security-Policy: nothing by default; its own style and script by
/// hash; no base URL, no form target.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; base-uri 'none'; form-action 'none'",
        hash_source(CSS),
        hash_source(JS)
    )
}

/// Writes the report of `report`, times shown in `time`.
pub fn write(out: &mut dyn Write, report: &RunReport, time: &TimeDisplay) -> io::Result<()> {
    let csp = content_security_policy();
    let page = Page {
        csp: &csp,
        css: CSS,
        js: JS,
        case: view::Case::of(report, time),
    };
    page.write_into(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_page_s_own_style_and_script() {
        // The SHA-256 of the empty string, a published test vector.
        assert_eq!(
            hash_source(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(csp.contains(&hash_source(CSS)) && csp.contains(&hash_source(JS)));
    }

    #[test]
    fn log_text_is_made_visible_and_cut() {
        assert_eq!(visible("a\u{202e}b\nc"), "a\\u{202e}b\\nc");
        assert_eq!(visible(&"x".repeat(5000)).chars().count(), MAX_TEXT);
    }

    #[test]
    fn only_the_page_s_own_style_and_script_skip_escaping() {
        let template = include_str!("../../../templates/report.html");
        let unescaped: Vec<&str> = template
            .match_indices("|safe")
            .map(|(at, _)| template[..at].rsplit("{{").next().unwrap_or("").trim())
            .collect();
        assert_eq!(unescaped, ["css", "js"]);
        assert!(!template.contains("escape=\"none\"") && !template.contains("autoescape"));
    }
}
