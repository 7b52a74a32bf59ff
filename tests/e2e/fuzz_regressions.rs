//! Regression tests from fuzzing (`docs/fuzzing.md`): hostile EVTX input must not panic, must
//! not hang, and must give the same findings with and without the pre-filter.
//!
//! - Every file in `tests/fuzz_regressions/` (minimized fuzzer inputs) is scanned.
//! - Crafted chunks, built byte by byte (the test kit's `craft`), cover the malformations the fuzzer reaches
//!   (record sizes, free-space offsets, template references, nesting, file header counts),
//!   and the inputs on which the pre-filter was found to lose a finding.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use wmihunt::{scan_buffer, ScanOptions};

/// How long six scans of one small input may take, even in a debug build on a busy machine.
const LIMIT: Duration = Duration::from_secs(20);
/// Stack of a rayon worker (the std default), where the CLI reads chunks.
const WORKER_STACK: usize = 2 << 20;

/// What identifies a finding: record id, chunk, detection id, `TargetObject` (a subscription's
/// `filter -> consumer`), carved or not.
type Key = (u64, u64, &'static str, String, bool);

/// Findings of each (recover, pre-filter) combination.
#[derive(Debug)]
struct Scans {
    plain: (Vec<Key>, Vec<Key>),
    recover: (Vec<Key>, Vec<Key>),
    /// With `--context`: every WmiPrvSE.exe write and subscription event read.
    context: (Vec<Key>, Vec<Key>),
}

fn scan_keys(bytes: &[u8], prefilter: bool, recover: bool) -> Vec<Key> {
    scan_keys_with(bytes, prefilter, recover, false)
}

/// `scan_keys`, with the context findings of `--context` when `context` is set.
fn scan_keys_with(bytes: &[u8], prefilter: bool, recover: bool, context: bool) -> Vec<Key> {
    let options = ScanOptions {
        threads: 1,
        prefilter,
        recover,
        from: None,
        to: None,
        context,
    };
    let result = scan_buffer(Path::new("crafted.evtx"), bytes, &options)
        .unwrap_or_else(|e| panic!("scan failed: {e}"));
    result
        .findings
        .iter()
        .map(|f| {
            (
                f.record_id(),
                f.chunk,
                f.detection().id,
                f.subject(),
                f.recovered,
            )
        })
        .collect()
}

/// Scans `bytes` six ways on a thread with a worker's stack; fails when that panics or takes
/// longer than [`LIMIT`].
fn scans(name: &str, bytes: Vec<u8>) -> Scans {
    let (send, receive) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(name.into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let scans = Scans {
                plain: (
                    scan_keys(&bytes, true, false),
                    scan_keys(&bytes, false, false),
                ),
                recover: (
                    scan_keys(&bytes, true, true),
                    scan_keys(&bytes, false, true),
                ),
                context: (
                    scan_keys_with(&bytes, true, false, true),
                    scan_keys_with(&bytes, false, false, true),
                ),
            };
            let _ = send.send(scans);
        })
        .unwrap_or_else(|e| panic!("{name}: cannot start a thread: {e}"));
    match receive.recv_timeout(LIMIT) {
        Ok(scans) => scans,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let cause = worker.join().err().map(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            });
            panic!("{name}: the scan panicked: {cause:?}")
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{name}: no result within {LIMIT:?}"),
    }
}

/// Scans `bytes`; the findings with and without the pre-filter must be the same. Returns the
/// findings without recovery.
fn consistent(name: &str, bytes: Vec<u8>) -> Vec<Key> {
    let scans = scans(name, bytes);
    assert_eq!(
        scans.plain.0, scans.plain.1,
        "{name}: the pre-filter changed the findings (with it, then without it)"
    );
    assert_eq!(
        scans.recover.0, scans.recover.1,
        "{name}: the pre-filter changed the findings with --recover (with it, then without it)"
    );
    assert_eq!(
        scans.context.0, scans.context.1,
        "{name}: the pre-filter changed the findings with --context (with it, then without it)"
    );
    scans.plain.1
}

fn regressions_dir() -> PathBuf {
    crate::support::root().join("tests/fuzz_regressions")
}

#[test]
fn every_stored_fuzzer_input_scans_the_same_with_and_without_the_prefilter() {
    let Ok(entries) = std::fs::read_dir(regressions_dir()) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    files.sort();
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        consistent(&file.display().to_string(), bytes);
    }
}

use craft::{positive, sysmon, utf16, values, Chunk, Node, ANSI, STR, WMIPRVSE};
use wmihunt_testkit::craft;

#[test]
fn the_crafted_chunks_are_read() {
    let mut c = Chunk::new();
    positive(&mut c, 1);
    let findings = consistent("one valid record", c.file(1, 1, 512));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].2, "run_keys");
}

#[test]
fn a_record_whose_size_is_zero() {
    let mut c = Chunk::new();
    let first = c.raw_record(1, |_| {}) as usize;
    c.patch_u32(first + 4, 0);
    let second = positive(&mut c, 2).start;
    let findings = consistent("record size 0", c.file(1, 2, second));
    assert_eq!(findings.len(), 1, "the record after it is still read");
}

#[test]
fn a_record_whose_size_runs_past_the_chunk() {
    let mut c = Chunk::new();
    let first = positive(&mut c, 1).start as usize;
    c.patch_u32(first + 4, 0xffff_fff0);
    consistent("record size past the chunk", c.file(1, 1, 512));
}

#[test]
fn free_space_offsets_before_the_header_or_past_the_chunk() {
    for free in [0u32, 28, 100, 511, 512, 65535, 65536, 65537, u32::MAX] {
        let mut c = Chunk::new();
        positive(&mut c, 1);
        let mut file = c.file(1, 1, 512);
        file[4096 + 48..4096 + 52].copy_from_slice(&free.to_le_bytes());
        consistent(&format!("free space offset {free}"), file);
    }
}

#[test]
fn last_record_offsets_and_ids_that_lie() {
    for (first, last, last_offset) in [(5, 1, 512), (0, u64::MAX, 0), (1, 1, u32::MAX), (2, 2, 600)]
    {
        let mut c = Chunk::new();
        positive(&mut c, 1);
        positive(&mut c, 2);
        consistent(
            &format!("ids {first}..={last}, last record at {last_offset}"),
            c.file(first, last, last_offset),
        );
    }
}

#[test]
fn a_template_that_instantiates_itself() {
    let mut c = Chunk::new();
    c.raw_record(1, |c| {
        c.buf.extend_from_slice(&[0x0f, 1, 1, 0, 0x0c, 0x01]);
        c.u32(craft::TEMPLATE_ID);
        let definition = c.pos() + 4;
        c.u32(definition);
        c.u32(0);
        c.buf.extend_from_slice(&[7; 16]);
        let size_at = c.buf.len();
        c.u32(0);
        // The body: an instance of this very definition.
        c.buf.extend_from_slice(&[0x0f, 1, 1, 0, 0x0c, 0x01]);
        c.u32(craft::TEMPLATE_ID);
        c.u32(definition);
        c.u32(0);
        c.buf.push(0x00);
        c.patch_u32(size_at, (c.buf.len() - size_at - 4) as u32);
        c.instance_values(&[]);
    });
    let mut file = c.file(1, 1, 512);
    // With the needle in the slack, the pre-filter walks the chunk too.
    let needle = utf16("WMIPRVSE.EXE");
    file[4096 + 60000..4096 + 60000 + needle.len()].copy_from_slice(&needle);
    consistent("template cycle", file);
}

#[test]
fn a_template_reference_to_the_instance_itself_or_the_chunk_header() {
    for target in [None, Some(0u32), Some(4), Some(511), Some(u32::MAX)] {
        let mut c = Chunk::new();
        c.raw_record(1, |c| {
            c.buf.extend_from_slice(&[0x0f, 1, 1, 0]);
            let instance = c.pos();
            c.buf.extend_from_slice(&[0x0c, 0x01]);
            c.u32(craft::TEMPLATE_ID);
            c.u32(target.unwrap_or(instance));
            c.instance_values(&values(1, utf16(WMIPRVSE), vec![]));
        });
        let second = positive(&mut c, 2).start;
        consistent(&format!("definition at {target:?}"), c.file(1, 2, second));
    }
}

#[test]
fn a_template_defined_in_a_later_record() {
    let mut c = Chunk::new();
    let first = c.record_using(1, 0, &values(1, utf16(WMIPRVSE), vec![])) as usize;
    let second = c.pos();
    let definition = c
        .record(
            2,
            &sysmon(vec![Node::Subst(1, STR)]),
            &values(2, utf16("C:\\x\\other.exe"), vec![]),
        )
        .definition;
    // Record 1's definition offset is after its template id.
    c.patch_u32(first + 24 + 4 + 6, definition);
    let findings = consistent("forward template reference", c.file(1, 2, second));
    assert_eq!(findings.len(), 1, "{findings:?}");
}

#[test]
fn nesting_up_to_the_parsers_limit() {
    for depth in [1, 63, 64, 65, 200] {
        consistent(&format!("nested {depth}"), craft::nested(depth));
    }
}

#[test]
fn a_file_header_counting_more_chunks_than_the_file_has() {
    let mut c = Chunk::new();
    positive(&mut c, 1);
    let mut file = c.file(1, 1, 512);
    file[16..24].copy_from_slice(&999u64.to_le_bytes()); // last chunk number
    file[42..44].copy_from_slice(&1000u16.to_le_bytes()); // chunk count
    let findings = consistent("header counts 1000 chunks", file);
    assert_eq!(findings.len(), 1);
}

#[test]
fn truncated_and_tiny_files() {
    let mut c = Chunk::new();
    positive(&mut c, 1);
    let file = c.file(1, 1, 512);
    for len in [
        0,
        1,
        8,
        4095,
        4096,
        4097,
        4096 + 511,
        4096 + 512,
        4096 + 700,
        60000,
    ] {
        consistent(&format!("first {len} bytes"), file[..len].to_vec());
    }
    // Two chunks, the second cut short.
    let mut two = file.clone();
    two.extend_from_slice(&file[4096..4096 + 30000]);
    consistent("second chunk cut short", two);
}

// The inputs below once made the pre-filter lose a finding, or abort the scan; see
// docs/fuzzing.md ("Findings"). NULs inside the name and deep nesting are fixed and checked
// for consistency. Text assembled from several template nodes is the pre-filter's documented
// limit (docs/prefilter.md): only `--no-prefilter` reads it, which these tests check.

/// Findings of a full parse (`--no-prefilter`), on a worker-sized stack within the time limit.
fn found_without_prefilter(name: &str, bytes: Vec<u8>) -> Vec<Key> {
    scans(name, bytes).plain.1
}

/// `Image` is literal text of the template followed by a substitution: the rendered value is
/// their concatenation, but no byte sequence of the chunk spells the needle.
#[test]
fn image_split_between_template_text_and_a_value_is_found_without_the_prefilter() {
    let mut c = Chunk::new();
    c.record(
        1,
        &sysmon(vec![
            Node::Text("C:\\Windows\\System32\\wbem\\WmiPrv"),
            Node::Subst(1, STR),
        ]),
        &values(1, utf16("SE.exe"), vec![]),
    );
    let findings = found_without_prefilter("image = text + value", c.file(1, 1, 512));
    assert_eq!(findings.len(), 1);
}

/// `Image` is two substitutions whose values are not adjacent in the record.
#[test]
fn image_split_between_two_values_is_found_without_the_prefilter() {
    let mut c = Chunk::new();
    // Values 1 and 3 make the image; value 2 (between them) is the target.
    let mut template = sysmon(vec![Node::Subst(1, STR), Node::Subst(3, STR)]);
    if let Node::Elem(_, _, children) = &mut template {
        if let Some(Node::Elem(_, _, data)) = children.get_mut(1) {
            data[2] = Node::Elem(
                "Data",
                vec![("Name", vec![Node::Text("TargetObject")])],
                vec![Node::Subst(2, STR)],
            );
        }
    }
    c.record(
        1,
        &template,
        &[
            (craft::U64, 1u64.to_le_bytes().to_vec()),
            (STR, utf16("C:\\Windows\\System32\\wbem\\WmiPrv")),
            (STR, utf16(craft::RUN_KEY)),
            (STR, utf16("SE.exe")),
        ],
    );
    let findings = found_without_prefilter("image = value 1 + value 3", c.file(1, 1, 512));
    assert_eq!(findings.len(), 1);
}

/// Two adjacent values, the first NUL-terminated (as Windows stores strings): the parser
/// drops the NUL, the bytes hold `WmiPrv\0\0SE.exe`.
#[test]
fn image_split_by_a_nul_terminator() {
    let mut c = Chunk::new();
    let mut first = utf16("C:\\Windows\\System32\\wbem\\WmiPrv");
    first.extend_from_slice(&[0, 0]);
    c.record(
        1,
        &sysmon(vec![Node::Subst(1, STR), Node::Subst(2, STR)]),
        &values(1, first, utf16("SE.exe")),
    );
    let findings = consistent("image = value + NUL + value", c.file(1, 1, 512));
    assert_eq!(findings.len(), 1);
}

/// One ANSI value with a NUL inside the needle: the parser drops NULs from ANSI strings.
#[test]
fn ansi_image_with_a_nul_inside() {
    let mut c = Chunk::new();
    let mut v = values(1, vec![], vec![]);
    v[1] = (
        ANSI,
        b"C:\\Windows\\System32\\wbem\\WmiPrv\0SE.exe\0".to_vec(),
    );
    c.record(1, &sysmon(vec![Node::Subst(1, ANSI)]), &v);
    let findings = consistent("ANSI image with an inner NUL", c.file(1, 1, 512));
    assert_eq!(findings.len(), 1);
}

/// The record-level pre-filter: the chunk names WmiPrvSE.exe (record 1), so it is walked, and
/// record 2, whose image is split between template text and a value, is skipped.
#[test]
fn split_image_in_a_walked_chunk_is_found_without_the_prefilter() {
    let mut c = Chunk::new();
    c.record(
        1,
        &sysmon(vec![Node::Subst(1, STR)]),
        &values(1, utf16("C:\\Temp\\WmiPrvSE.exe"), vec![]),
    );
    let second = c.record(
        2,
        &sysmon(vec![
            Node::Text("C:\\Windows\\System32\\wbem\\WmiPrv"),
            Node::Subst(1, STR),
        ]),
        &values(2, utf16("SE.exe"), vec![]),
    );
    let findings = found_without_prefilter("split image, record level", c.file(1, 2, second.start));
    assert_eq!(findings.len(), 2);
}

/// ~3,500 nested BinXML values: the pre-filter's record walk recurses once per level with no
/// limit and overflows a worker's 2 MiB stack (a debug build; an abort, which no
/// `catch_unwind` stops).
#[test]
fn deeply_nested_values_do_not_overflow_the_stack() {
    consistent("nested 3560", craft::nested(3560));
}

/// The same input through the CLI: a read problem (exit 2), not an abort.
#[test]
fn the_cli_reports_deep_nesting_as_a_read_problem() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let file = dir.path().join("nested.evtx");
    std::fs::write(&file, craft::nested(3560)).unwrap_or_else(|e| panic!("write: {e}"));
    let (_, out) = crate::support::scan_all(&[&file], &[]);
    out.assert_code(2)
        .assert_stderr_lacks("panicked")
        .assert_stderr_lacks("overflow");
}

/// An unproven record (it holds an empty BinXML value) defines a template whose literal text
/// names WmiPrvSE.exe; a later record uses that definition. Found in review: the walk once
/// kept the unproven record's definition as located and proved the later record through it.
#[test]
fn a_definition_inside_an_unproven_record_proves_nothing() {
    let mut c = Chunk::new();
    let template = sysmon(vec![Node::Text(
        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
    )]);
    let mut v1 = values(1, utf16("a.exe"), vec![]);
    v1.push((craft::BINXML, vec![]));
    let first = c.record(1, &template, &v1);
    let second = c.record_using(2, first.definition, &values(2, utf16("b.exe"), vec![]));
    let findings = consistent("definition in an unproven record", c.file(1, 2, second));
    assert_eq!(findings.len(), 2);
}

/// A chunk whose only record's template holds literal BinXML (value text of type 0x21) that
/// instantiates a definition left in the chunk's slack, where `Image` is literal text naming
/// WmiPrvSE.exe. Found in review: the walk proved the record without looking inside its
/// definition.
fn slack_definition_chunk(slack_definition: u32) -> (Vec<u8>, u32) {
    use Node::{Elem, Raw, Subst, Text};
    let mut nested = vec![0x0c, 0x01];
    nested.extend_from_slice(&craft::TEMPLATE_ID.to_le_bytes());
    nested.extend_from_slice(&slack_definition.to_le_bytes());
    nested.extend_from_slice(&0u32.to_le_bytes());
    nested.push(0x00);
    let mut value_text = vec![0x05, craft::BINXML];
    value_text.extend_from_slice(&(nested.len() as u16).to_le_bytes());
    value_text.extend_from_slice(&nested);
    let definition = Elem(
        "Event",
        vec![],
        vec![
            craft::system(),
            Elem(
                "EventData",
                vec![],
                vec![
                    Elem(
                        "Data",
                        vec![("Name", vec![Text("EventType")])],
                        vec![Text("SetValue")],
                    ),
                    Raw(value_text),
                    Elem(
                        "Data",
                        vec![("Name", vec![Text("TargetObject")])],
                        vec![Subst(3, STR)],
                    ),
                ],
            ),
        ],
    );
    let mut c = Chunk::new();
    c.record(1, &definition, &values(1, utf16("a.exe"), vec![]));
    let live_end = c.pos();
    let image = Elem(
        "Data",
        vec![("Name", vec![Text("Image")])],
        vec![Text(WMIPRVSE)],
    );
    let placed = c.inline_definition(&image);
    let mut file = c.file(1, 1, 512);
    file[4096 + 48..4096 + 52].copy_from_slice(&live_end.to_le_bytes());
    (file, placed)
}

#[test]
fn a_definition_reaching_into_slack_proves_nothing() {
    let (_, placed) = slack_definition_chunk(0);
    let (file, again) = slack_definition_chunk(placed);
    assert_eq!(again, placed);
    consistent("definition reaching into slack", file);
}
