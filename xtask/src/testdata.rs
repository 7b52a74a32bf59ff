//! `xtask testdata`: regenerates `testdata/` from the fixture cases in `testkit/src/cases.rs`.
//! Every file there is made by this command; the tests fail when `testdata/` and the cases
//! disagree.

use crate::error::{Context, Result};
use std::fs;
use wmihunt_testkit::cases;

/// Writes every fixture and the one file that is not an event log.
pub fn run() -> Result<()> {
    let root = crate::root().join("testdata");
    for fixture in cases::all() {
        let path = root.join(fixture.name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).context(|| parent.display().to_string())?;
        }
        fs::write(&path, &fixture.bytes).context(|| path.display().to_string())?;
        println!(
            "{} ({} records, {} findings)",
            path.display(),
            fixture.records,
            fixture.expected.len()
        );
    }
    let note = root.join("collected/HOST2/README.txt");
    fs::write(
        &note,
        "Not an event log: wmihunt counts this file as skipped.\n",
    )
    .context(|| note.display().to_string())?;
    println!("{}", note.display());
    Ok(())
}
