//! Regenerates `testdata/` from the fixture cases in `tests/support/cases.rs`:
//! `cargo run --example gen_testdata`. Every file there is made by this program; the tests
//! fail when `testdata/` and the cases disagree.

#[path = "../tests/support/cases.rs"]
#[allow(dead_code)]
mod cases;

use std::error::Error;
use std::fs;
use std::path::Path;

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    for fixture in cases::all() {
        let path = root.join(fixture.name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, &fixture.bytes)?;
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
    )?;
    println!("{}", note.display());
    Ok(())
}
