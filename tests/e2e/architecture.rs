//! The module map of `docs/architecture.md`, enforced: a source scan of `src/` that fails when
//! a module imports one it may not (data flows one way: paths → evidence → read → events →
//! detect/findings → passes → report → outputs), when a crate is used outside the one module
//! that owns it (`evtx` in `read`, clap in `cli`), or when a file outgrows the size rule.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The modules each module may not use (by `crate::name`). Everything not listed is allowed.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "problem",
        &[
            "cli", "config", "run", "output", "report", "pass", "finding", "detect", "event",
            "read", "evidence", "filter",
        ],
    ),
    (
        "read",
        &[
            "cli", "config", "run", "output", "report", "pass", "finding", "detect", "event",
            "evidence", "filter",
        ],
    ),
    (
        "evidence",
        &[
            "cli", "config", "run", "output", "report", "pass", "finding", "detect", "event",
            "filter",
        ],
    ),
    (
        "event",
        &[
            "cli", "config", "run", "output", "report", "pass", "finding", "detect", "evidence",
            "filter",
        ],
    ),
    (
        "detect",
        &[
            "cli", "config", "run", "output", "report", "pass", "finding", "read", "evidence",
            "filter",
        ],
    ),
    (
        "finding",
        &[
            "cli", "config", "run", "output", "report", "pass", "read", "evidence", "filter",
        ],
    ),
    (
        "filter",
        &[
            "cli", "config", "run", "output", "report", "pass", "read", "evidence",
        ],
    ),
    ("pass", &["cli", "config", "run", "output", "filter"]),
    ("report", &["cli", "config", "run", "output", "pass"]),
    (
        "output",
        &["cli", "config", "run", "pass", "read", "evidence"],
    ),
    ("config", &["cli", "run"]),
    ("run", &["cli"]),
    (
        "exit",
        &[
            "cli", "config", "run", "output", "report", "pass", "finding", "detect", "event",
            "read", "evidence", "filter",
        ],
    ),
];

/// Paths below a forbidden module that a module may still use: the EVTX layout constants are
/// a leaf that evidence needs for the file signature and header size, and evidence files give
/// the reader their chunks through the reader's `ChunkSource`.
const ALLOWED: &[(&str, &str)] = &[("evidence", "read::layout"), ("evidence", "read::source")];

/// External crates and the one module that may use each.
const OWNERS: &[(&str, &str)] = &[("evtx", "read"), ("clap", "cli")];

/// Longest source file, in lines (docs/architecture.md).
const MAX_LINES: usize = 600;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top module a file belongs to: `src/read/prefilter.rs` → `read`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without comments and its `#[cfg(test)] mod tests` (tests may reach
/// further).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Every `crate::a::b…` path in `code`, as `a::b…`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `wmihunt_testkit::…` and the like
        }
        let rest = &code[at + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        paths.push(rest[..end].trim_end_matches(':').to_string());
    }
    paths
}

fn check_sources() -> Vec<String> {
    let src = crate::support::root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let forbidden: BTreeMap<&str, &[&str]> = FORBIDDEN.iter().copied().collect();
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        let text = fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(&src).unwrap().display().to_string();
        if text.lines().count() > MAX_LINES {
            violations.push(format!("{shown}: over {MAX_LINES} lines"));
        }
        let code = code(&text);
        for path in crate_paths(&code) {
            let target = path.split("::").next().unwrap_or_default();
            let banned = forbidden
                .get(module.as_str())
                .is_some_and(|b| b.contains(&target));
            let excepted = ALLOWED
                .iter()
                .any(|(m, allowed)| *m == module && path.starts_with(allowed));
            if banned && !excepted {
                violations.push(format!("{shown}: {module} may not use crate::{path}"));
            }
        }
        for (krate, owner) in OWNERS {
            let uses = code.contains(&format!("use {krate}::"))
                || code.contains(&format!(" {krate}::"))
                || code.contains(&format!("({krate}::"));
            if uses && module != *owner && module != "main" {
                violations.push(format!("{shown}: only {owner} may use the {krate} crate"));
            }
        }
    }
    violations
}

#[test]
fn imports_follow_the_module_map() {
    let violations = check_sources();
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_scan_sees_a_forbidden_import() {
    // The checker itself: a path it must catch, and prefixes it must not mistake for one.
    assert_eq!(
        crate_paths("use crate::read::layout::X;\nlet y = crate::output::z();"),
        ["read::layout::X", "output::z"]
    );
    assert!(crate_paths("use wmihunt_testkit::writer;").is_empty());
    assert_eq!(
        code("a\n#[cfg(test)]\nmod tests { use crate::run; }"),
        "a\n"
    );
}

/// Every end-to-end test is a module of the one test binary, `tests/e2e/main.rs`: a `.rs` file
/// directly in `tests/`, or a folder there with a `main.rs`, would be a test binary of its own
/// (cargo finds them by itself), linking the crate once more and sharing none of `support/`.
#[test]
fn end_to_end_tests_are_modules_of_one_binary() {
    let tests = crate::support::root().join("tests");
    let mut binaries: Vec<String> = fs::read_dir(&tests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "rs") || (p.is_dir() && p.join("main.rs").is_file())
        })
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    binaries.sort();
    assert_eq!(
        binaries,
        ["e2e"],
        "put end-to-end tests in a module of tests/e2e/ (declared in tests/e2e/main.rs)"
    );
    // A module file that main.rs does not declare would never be compiled, its tests never run.
    let e2e = tests.join("e2e");
    let main = fs::read_to_string(e2e.join("main.rs")).unwrap();
    for entry in fs::read_dir(&e2e).unwrap() {
        let path = entry.unwrap().path();
        let module = match (path.is_dir(), path.file_stem()) {
            (true, _) if path.join("mod.rs").is_file() => path.file_name(),
            (false, Some(stem)) if path.extension().is_some_and(|e| e == "rs") => Some(stem),
            _ => None,
        };
        let Some(module) = module.map(|m| m.to_string_lossy().into_owned()) else {
            continue;
        };
        if module != "main" {
            assert!(
                main.lines().any(|l| l.trim() == format!("mod {module};")),
                "tests/e2e/{module} is not declared in tests/e2e/main.rs"
            );
        }
    }
}
