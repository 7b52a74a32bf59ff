//! Regenerates `testdata/` from the fixture cases in `testkit/src/cases.rs`:
//! `cargo run --example gen_testdata`. Every file there is made by this program; the tests
//! fail when `testdata/` and the cases disagree.

use std::error::Error;
use std::fs;
use std::path::Path;
use wmihunt_testkit::cases;

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
