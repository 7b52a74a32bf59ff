//! Evidence as it arrives: damaged logs (cut short, broken chunks and records, `--recover`
//! carving slack and wiped chunks), odd paths and files that are no logs, copies of one log, zip
//! collections, and the evidence never modified; and the damage in the shared real samples.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};
use support::cases;
use support::{copy_fixture, scan_ndjson, testdata};
use wmihunt_testkit::layout;

// ---- Damaged logs ----

#[test]
fn a_truncated_file_is_reported_and_the_rest_scanned() {
    let dir = tempfile::tempdir().unwrap();
    support::cut_log(dir.path(), "cut.evtx");
    copy_fixture("actions.evtx", &dir.path().join("ok.evtx"));
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    out.assert_code(2)
        .assert_stderr_has("cut.evtx: chunk 4: truncated chunk: 1000 of 65536 bytes");
    let from_cut = lines
        .iter()
        .filter(|l| l.source_path.ends_with("cut.evtx"))
        .count();
    let from_ok = lines
        .iter()
        .filter(|l| l.source_path.ends_with("ok.evtx"))
        .count();
    assert_eq!((from_cut, from_ok), (1, 10));
    let (_, out) = scan_ndjson(&[dir.path()], &["--fail-on-findings"]);
    out.assert_code(1);
}

#[test]
fn a_broken_chunk_between_findings_hides_neither() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(testdata().join("multi_chunk.evtx")).unwrap();
    let (lines, _) = scan_ndjson(&[&testdata().join("multi_chunk.evtx")], &[]);
    let chunks: Vec<u64> = lines.iter().map(|l| l.chunk).collect();
    assert_eq!(chunks.len(), 3);
    // Wreck the chunk right after the first finding's chunk.
    let broken = chunks[0] + 1;
    assert!(broken < chunks[1]);
    let at = 4096 + broken as usize * 65536;
    bytes[at..at + 8].copy_from_slice(b"garbage!");
    fs::write(dir.path().join("broken.evtx"), &bytes).unwrap();
    for flags in [&[][..], &["--no-prefilter"][..]] {
        let (after, out) = scan_ndjson(&[dir.path()], flags);
        out.assert_code(2);
        assert_eq!(after.iter().map(|l| l.chunk).collect::<Vec<_>>(), chunks);
        out.assert_stderr_has(&format!(
            "broken.evtx: chunk {broken}: not a chunk (bad magic"
        ));
    }
}

#[test]
fn damage_reads_the_same_with_and_without_the_prefilter() {
    // A record header broken in a chunk that names no WmiPrvSE.exe, and one in a chunk that
    // does: one wording and one count whichever path reads them.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(testdata().join("multi_chunk.evtx")).unwrap();
    for chunk in [0usize, 1] {
        let base = 4096 + chunk * 65536;
        let first = u32::from_le_bytes(bytes[base + 516..base + 520].try_into().unwrap());
        let second = base + 512 + first as usize;
        bytes[second..second + 4].copy_from_slice(b"XXXX");
    }
    let path = dir.path().join("damaged.evtx");
    fs::write(&path, &bytes).unwrap();
    let problems_and_counts = |flags: &[&str]| {
        let (lines, out) = scan_ndjson(&[&path], flags);
        out.assert_code(2);
        let err = &out.stderr;
        let kept: Vec<String> = err
            .lines()
            .filter(|l| l.starts_with("wmihunt:") || l.starts_with("findings:"))
            .map(String::from)
            .collect();
        let records = err
            .lines()
            .find(|l| l.starts_with("data:"))
            .and_then(|l| l.split(", ").nth(1))
            .and_then(|l| l.split(' ').next())
            .unwrap()
            .to_string();
        (lines.len(), kept, records)
    };
    let with = problems_and_counts(&[]);
    let without = problems_and_counts(&["--no-prefilter"]);
    assert_eq!(with, without);
    assert_eq!(
        with.1
            .iter()
            .filter(|l| l.contains("is damaged (bad magic)"))
            .count(),
        2,
        "{:?}",
        with.1
    );
    assert!(
        with.1.iter().all(|l| !l.contains("deserialize")),
        "{:?}",
        with.1
    );
}

/// A one-chunk log whose third record (the only finding) is left in slack: the header says the
/// chunk ends after record 2.
fn slack_file(dir: &Path) -> PathBuf {
    slack_file_with(dir, "evil.exe")
}

/// `slack_file`, the carved record's data being `data`.
fn slack_file_with(dir: &Path, data: &str) -> PathBuf {
    let by = |image: &str| {
        cases::registry(
            13,
            "SetValue",
            image,
            "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Slack",
            Some(data),
            cases::Version::Current,
        )
    };
    let events = [
        by("C:\\Windows\\regedit.exe"),
        by("C:\\Windows\\regedit.exe"),
        by(cases::WMI),
    ];
    let mut bytes = wmihunt_testkit::writer::try_write_to_vec(&events).unwrap();
    let chunk = &mut bytes[layout::FILE_HEADER_BLOCK..][..layout::CHUNK_SIZE];
    let [_, second, third] = layout::record_offsets(chunk).unwrap()[..] else {
        panic!("three records")
    };
    let mut header = layout::ChunkHeader::read(chunk).unwrap();
    header.last_record_number = 2;
    header.last_record_id = 2;
    header.last_record_offset = second as u32;
    header.free_space_offset = third as u32;
    header.write(chunk);
    let path = dir.join("slack.evtx");
    fs::write(&path, &bytes).unwrap();
    path
}

#[test]
fn recover_carves_slack_and_marks_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = slack_file(dir.path());
    for flags in [&[][..], &["--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&path], flags);
        out.assert_code(0);
        assert!(lines.is_empty(), "slack is not read without --recover");
    }
    for flags in [&["--recover"][..], &["--recover", "--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&path], flags);
        out.assert_code(0);
        assert_eq!(lines.len(), 1, "{flags:?}");
        assert!(lines[0].recovered);
        assert_eq!(lines[0].record_id, 3);
    }
}

#[test]
fn recover_reads_carved_records_with_control_characters() {
    // The evtx crate writes control characters in carved records' strings unescaped: such a
    // record is read, not dropped (it could be a stale WmiPrvSE write).
    let dir = tempfile::tempdir().unwrap();
    let path = slack_file_with(dir.path(), "evil.exe\r\n-hidden\u{1}");
    for flags in [&["--recover"][..], &["--recover", "--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&path], flags);
        out.assert_code(0).assert_stderr_lacks("wmihunt: ");
        assert_eq!(lines.len(), 1, "{flags:?}");
        assert!(lines[0].recovered);
        assert_eq!(lines[0].data.as_deref(), Some("evil.exe\r\n-hidden\u{1}"));
    }
}

#[test]
fn recover_carves_a_chunk_whose_header_was_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(testdata().join("actions.evtx")).unwrap();
    bytes[4096..4096 + 512].fill(0xee);
    let path = dir.path().join("wiped.evtx");
    fs::write(&path, &bytes).unwrap();
    let (lines, out) = scan_ndjson(&[&path], &[]);
    assert_eq!((out.code, lines.len()), (2, 0));
    out.assert_stderr_has("wiped.evtx: chunk 0: not a chunk (bad magic ee ee");
    let (lines, out) = scan_ndjson(&[&path], &["--recover"]);
    out.assert_code(2);
    out.assert_stderr_has("carving records from it (--recover)");
    assert_eq!(lines.len(), 10, "every finding of actions.evtx, carved");
    assert!(lines.iter().all(|l| l.recovered));
}

// ---- Odd paths and files ----

#[cfg(unix)]
#[test]
fn odd_paths_and_files_are_reported_not_fatal() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"host\xff\xfe.evtx"));
    copy_fixture("actions.evtx", &odd);
    fs::write(dir.path().join("empty.evtx"), b"").unwrap();
    fs::write(
        dir.path().join("header-only.evtx"),
        &fs::read(testdata().join("actions.evtx")).unwrap()[..100],
    )
    .unwrap();
    fs::write(
        dir.path().join("not-evtx.evtx"),
        b"MZ\x90\x00 this is a PE file",
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let (lines, out) = scan_ndjson(&[dir.path()], &["-v"]);
    out.assert_code(2);
    assert_eq!(lines.len(), 10);
    assert!(
        lines[0].source_path.ends_with("host\u{fffd}\u{fffd}.evtx"),
        "{}",
        lines[0].source_path
    );
    out.assert_stderr_has(
        "header-only.evtx: truncated inside the EVTX file header (100 of 4096 bytes)",
    )
    .assert_stderr_has("wmihunt: note: ")
    .assert_stderr_has("loop: symlink loop")
    .assert_stderr_has("empty.evtx: empty file (0 bytes)")
    .assert_stderr_has("not-evtx.evtx: not an EVTX file (no ElfFile signature)")
    .assert_stderr_lacks("panicked");
}

#[test]
fn empty_and_fake_logs_are_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("Sysmon.evtx");
    copy_fixture("actions.evtx", &good);
    let empty = dir.path().join("Security.evtx");
    fs::write(&empty, b"").unwrap();
    let fake = dir.path().join("System.evtx");
    fs::write(&fake, b"this is a text file, not a log").unwrap();
    fs::write(dir.path().join("notes.txt"), b"analyst notes").unwrap();
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    out.assert_code(2);
    assert_eq!(lines.len(), 10);
    out.assert_stderr_has("wmihunt: unreadable log: ")
        .assert_stderr_has("Security.evtx: empty file (0 bytes)")
        .assert_stderr_has("System.evtx: not an EVTX file (no ElfFile signature)")
        // Plain files stay quiet.
        .assert_stderr_lacks("notes.txt")
        .assert_stderr_has(
            "2 unreadable logs (empty, truncated or not EVTX), 0 unreadable paths, 1 skipped \
             (not event logs)",
        );
    // Given explicitly beside a good file, the same.
    let (_, out) = scan_ndjson(&[&good, &empty], &[]);
    out.assert_code(2);
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_a_note_not_lost_evidence() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("actions.evtx", &dir.path().join("a.evtx"));
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    out.assert_code(0);
    assert_eq!(lines.len(), 10);
    out.assert_stderr_has("wmihunt: note: ");
}

#[test]
fn the_evidence_is_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("multi_chunk.evtx", &dir.path().join("a.evtx"));
    slack_file(dir.path());
    let snapshot = |d: &Path| {
        let mut entries: Vec<(String, Vec<u8>, std::time::SystemTime)> = fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let meta = e.metadata().unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                    meta.modified().unwrap(),
                )
            })
            .collect();
        entries.sort();
        entries
    };
    let before = snapshot(dir.path());
    for flags in [&[][..], &["--recover"][..], &["--no-prefilter"][..]] {
        let (_, out) = scan_ndjson(&[dir.path()], flags);
        out.assert_code(0);
    }
    assert!(
        before == snapshot(dir.path()),
        "files added, changed or touched in the evidence folder"
    );
}

// ---- Collections as they arrive ----

#[test]
fn copies_of_a_log_are_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    for copy in [
        "HOST/C/Windows/System32/winevt/Logs",
        "vss1/Logs",
        "collection-2",
    ] {
        let folder = dir.path().join(copy);
        fs::create_dir_all(&folder).unwrap();
        copy_fixture(
            "actions.evtx",
            &folder.join("Microsoft-Windows-Sysmon%4Operational.evtx"),
        );
    }
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    out.assert_code(0);
    assert_eq!(lines.len(), 10);
    for l in &lines {
        assert!(
            l.source_path.contains("HOST/C/Windows"),
            "first copy by path: {}",
            l.source_path
        );
        assert_eq!(l.duplicate_sources.len(), 2, "{l:?}");
    }
    let (lines, _) = scan_ndjson(&[dir.path()], &["--no-dedup"]);
    assert_eq!(lines.len(), 30);
    assert!(lines.iter().all(|l| l.duplicate_sources.is_empty()));
}

/// A zip collection: two hosts' Sysmon logs (one deflated, one stored), a note and a folder.
fn collection_zip(dir: &Path) -> PathBuf {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let path = dir.join("collection.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.add_directory("HOST1/C/Windows/System32/winevt/Logs/", stored)
        .unwrap();
    zip.start_file(
        "HOST1/C/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx",
        deflated,
    )
    .unwrap();
    zip.write_all(&fs::read(testdata().join("actions.evtx")).unwrap())
        .unwrap();
    zip.start_file("HOST1/notes.txt", deflated).unwrap();
    zip.write_all(b"collected by the IR team").unwrap();
    zip.start_file("HOST2/Sysmon.evtx", stored).unwrap();
    zip.write_all(&fs::read(testdata().join("multi_chunk.evtx")).unwrap())
        .unwrap();
    zip.finish().unwrap();
    path
}

#[test]
fn zip_collections_are_scanned_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let zip = collection_zip(dir.path());
    for flags in [&["-v"][..], &["-v", "--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&zip], flags);
        out.assert_code(0);
        assert_eq!(lines.len(), 13, "{flags:?}");
        let member = format!(
            "{}!/HOST1/C/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx",
            zip.display()
        );
        assert_eq!(lines.iter().filter(|l| l.source_path == member).count(), 10);
        let (direct, _) = scan_ndjson(&[&testdata().join("multi_chunk.evtx")], &[]);
        let in_zip: Vec<(u64, u64)> = lines
            .iter()
            .filter(|l| l.source_path.ends_with("!/HOST2/Sysmon.evtx"))
            .map(|l| (l.record_id, l.chunk))
            .collect();
        assert_eq!(
            in_zip,
            direct
                .iter()
                .map(|l| (l.record_id, l.chunk))
                .collect::<Vec<_>>()
        );
        out.assert_stderr_has(
            "collection.zip!/HOST1/notes.txt: not an EVTX file (no ElfFile signature)",
        )
        .assert_stderr_has("files:    2 scanned");
    }
    // Nothing was extracted next to the evidence.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn corrupt_and_encrypted_archives_are_per_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let zip = collection_zip(dir.path());
    let mut bytes = fs::read(&zip).unwrap();
    fs::write(dir.path().join("truncated.zip"), &bytes[..bytes.len() / 2]).unwrap();
    // Set the "encrypted" flag of every member, in the local and the central headers.
    for signature in [&b"PK\x03\x04"[..], b"PK\x01\x02"] {
        let flag_at = if signature[2] == 3 { 6 } else { 8 };
        let starts: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == signature)
            .map(|(i, _)| i)
            .collect();
        for at in starts {
            bytes[at + flag_at] |= 1;
        }
    }
    fs::write(dir.path().join("encrypted.zip"), &bytes).unwrap();
    fs::remove_file(&zip).unwrap();
    copy_fixture("actions.evtx", &dir.path().join("plain.evtx"));
    let (lines, out) = scan_ndjson(&[dir.path()], &[]);
    out.assert_code(2);
    assert_eq!(lines.len(), 10, "the plain log is still scanned");
    out.assert_stderr_has("truncated.zip: cannot read the zip archive")
        .assert_stderr_has("encrypted.zip!/HOST2/Sysmon.evtx: encrypted member");
}

// ---- The shared real samples (skipped when ../shared/evtx is absent) ----

/// The findings the whole folder gives are listed and justified in `wmi_whole.rs`; this
/// checks the damage reported, and that the pre-filter changes nothing.
#[test]
fn the_whole_sample_folder_reports_damage_and_the_prefilter_changes_nothing() {
    let Some(samples) = support::samples() else {
        return;
    };
    let damaged = [
        "2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        "2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
        "sample-with-zero-data-size-event.evtx",
        "sample_with_a_bad_chunk_magic.evtx",
        "omerbenamram__evtx/samples/sysmon.evtx",
    ];
    let mut outputs = Vec::new();
    for flags in [&[][..], &["--no-prefilter"][..]] {
        let (lines, out) = scan_ndjson(&[&samples], flags);
        let err = &out.stderr;
        out.assert_code(2);
        assert!(lines.iter().any(|l| l.record_id == 549609), "{lines:?}");
        out.assert_stderr_has("files:    604 scanned");
        for name in damaged {
            assert!(
                err.lines()
                    .any(|l| l.starts_with("wmihunt: read error:") && l.contains(name)),
                "{flags:?}: no read error for {name}:\n{err}"
            );
        }
        outputs.push(lines);
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn the_sample_folder_reads_the_same_with_and_without_the_prefilter() {
    let Some(samples) = support::samples() else {
        return;
    };
    let run = |flags: &[&str]| {
        let (lines, out) = scan_ndjson(&[&samples], flags);
        let err = &out.stderr;
        let problems: Vec<String> = err
            .lines()
            .filter(|l| l.starts_with("wmihunt:"))
            .map(String::from)
            .collect();
        let records = err
            .lines()
            .find(|l| l.starts_with("data:"))
            .map(|l| l.split(" (").next().unwrap_or_default().to_string());
        (out.code, lines, problems, records)
    };
    let with = run(&[]);
    let without = run(&["--no-prefilter"]);
    assert_eq!(with, without);
    assert_eq!(with.2.len(), 18, "{:#?}", with.2);
    assert!(
        with.3
            .as_deref()
            .is_some_and(|d| d.ends_with("44931 records")),
        "{:?}",
        with.3
    );
    // --recover: the carved records with control characters are read; what cannot be read in
    // slack is counted per file, listed with -v only, and does not turn clean files into
    // files with read errors.
    let (_, recovered) = scan_ndjson(&[&samples], &["--recover", "--no-prefilter"]);
    recovered
        .assert_stderr_lacks("control character")
        .assert_stderr_lacks("wmihunt: slack:")
        .assert_stderr_has("could not be read (stale data, no exit 2; -v lists them)")
        .assert_stderr_has("5 with read errors");
    let (_, verbose) = scan_ndjson(&[&samples], &["--recover", "--no-prefilter", "-v"]);
    verbose.assert_stderr_has("wmihunt: slack:");
}
