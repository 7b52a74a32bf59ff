//! What every fuzz target asserts about one input (see `docs/fuzzing.md`).
//!
//! An input is scanned four times through `wmihunt::scan_buffer`, the reader, pre-filter
//! and matcher the CLI uses: with the pre-filter on and off, each without and with record
//! recovery (`--recover`). The scan must not panic (libFuzzer reports a panic as a crash, and
//! a scan slower than `-timeout` as a timeout), and the findings with and without the
//! pre-filter must be the same: the pre-filter may only skip work, never a finding
//! (`docs/prefilter.md`).

use std::path::Path;
use wmihunt_testkit::writer::write_to_vec;
use wmihunt::{scan_buffer, Finding, ScanOptions};

/// Size of the file header block.
pub const FILE_HEADER_SIZE: usize = 4096;
/// Size of one chunk.
pub const CHUNK_SIZE: usize = 65536;

/// What identifies a finding: record id, chunk, detection id, `TargetObject` (a subscription's
/// `filter -> consumer`), carved or not.
pub type Key = (u64, u64, &'static str, String, bool);

/// The identity of each finding, in output order.
pub fn keys(findings: &[Finding]) -> Vec<Key> {
    findings
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

/// Options for one scan of a buffer.
pub fn options(prefilter: bool, recover: bool) -> ScanOptions {
    ScanOptions {
        threads: 1,
        prefilter,
        recover,
        from: None,
        to: None,
        // Context findings too: every WmiPrvSE.exe write and subscription event the reader
        // takes must be seen with and without the pre-filter.
        context: true,
    }
}

/// Scans `bytes` (a whole EVTX file) with the pre-filter on and off, without and with
/// recovery; panics when a scan fails or the pre-filter changes the findings.
pub fn check(bytes: &[u8]) {
    let path = Path::new("fuzz.evtx");
    for recover in [false, true] {
        let with = scan_buffer(path, bytes, &options(true, recover))
            .unwrap_or_else(|e| panic!("scan failed (prefilter, recover={recover}): {e}"));
        let without = scan_buffer(path, bytes, &options(false, recover))
            .unwrap_or_else(|e| panic!("scan failed (no prefilter, recover={recover}): {e}"));
        let (with, without) = (keys(&with.findings), keys(&without.findings));
        assert_eq!(
            with, without,
            "the pre-filter changed the findings (recover={recover}): with it {with:?}, \
             without it {without:?}"
        );
    }
}

/// A valid file header (the project's writer's, for a file of no chunk).
pub fn file_header() -> Vec<u8> {
    let mut header = write_to_vec(&[]);
    header.resize(FILE_HEADER_SIZE, 0);
    header
}

/// `chunk` made a 64 KiB chunk (cut, or padded with zeroes, which is what the free space of
/// a chunk holds) behind a valid file header; the first 8 bytes are forced to the chunk magic
/// so that no execution is spent on inputs the reader rejects at once.
pub fn file_of_one_chunk(header: &[u8], chunk: &[u8]) -> Vec<u8> {
    let mut file = Vec::with_capacity(FILE_HEADER_SIZE + CHUNK_SIZE);
    file.extend_from_slice(header);
    file.extend_from_slice(&chunk[..chunk.len().min(CHUNK_SIZE)]);
    file.resize(FILE_HEADER_SIZE + CHUNK_SIZE, 0);
    file[FILE_HEADER_SIZE..FILE_HEADER_SIZE + 8].copy_from_slice(b"ElfChnk\0");
    file
}
