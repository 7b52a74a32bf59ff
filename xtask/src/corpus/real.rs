//! Real-chunk corpora: the chunks of the shared real samples' Sysmon or Security logs, copied
//! as they are, their records renumbered so that ids increase across the whole corpus, their
//! CRCs sealed again, behind valid file headers (issue 11).
//!
//! Why: the synthetic corpora are only as realistic as the generator; real chunks carry the
//! templates, string tables, field sets and WmiPrvSE.exe density that Windows and Sysmon
//! really write. Only chunks the `evtx` crate reads completely, checksums included, are used:
//! the samples hold damaged files on purpose, and a benchmark corpus must read without error.

use super::{Kind, Truth};
use crate::error::{Context, Result};
use evtx::{EvtxChunkData, ParserSettings};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wmihunt_testkit::layout::{
    record_offsets, ChunkHeader, FileHeader, RecordHeader, CHUNK_SIZE, FILE_HEADER_BLOCK,
};

/// One usable chunk of the samples.
struct PoolChunk {
    data: Vec<u8>,
    /// Offsets of its records (each renumbered when copied).
    records: Vec<usize>,
    /// Index of its file in [`Pool::sources`].
    source: usize,
}

/// A sample file that gave chunks to the pool.
struct Source {
    /// Its chunks in the pool, all of them (`whole`) or not.
    whole: bool,
    /// Its findings: `index.tsv`'s reference-rule writes and [`wider_positives`].
    positives: Option<u64>,
}

/// The chunks of one channel from every sample file, in path order.
pub(super) struct Pool {
    chunks: Vec<PoolChunk>,
    sources: Vec<Source>,
}

/// The channel each kind takes its chunks from.
fn channel(kind: Kind) -> &'static str {
    match kind {
        Kind::RealSecurity => "Security",
        _ => "Microsoft-Windows-Sysmon/Operational",
    }
}

/// Why a chunk is left out.
enum Verdict {
    Use(Vec<usize>),
    OtherChannel,
    Empty,
    Invalid(String),
}

impl Pool {
    /// Reads every `.evtx` file under `samples` and keeps the valid, distinct chunks of the
    /// kind's channel. Chunks that are not valid are skipped and counted on stderr.
    pub(super) fn load(samples: &Path, kind: Kind) -> Result<Pool> {
        if !samples.is_dir() {
            return Err(format!(
                "{} kind needs the shared real samples, and {} is not a folder (set \
                 $WMIHUNT_SAMPLES or --samples, or put them at ../shared/evtx)",
                kind.name(),
                samples.display()
            )
            .into());
        }
        let positives = read_index(&samples.join("index.tsv"));
        let paths: Vec<PathBuf> = crate::files_under(samples)?
            .into_iter()
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
            })
            .collect();
        let settings = Arc::new(ParserSettings::new().num_threads(1));
        let mut pool = Pool {
            chunks: Vec::new(),
            sources: Vec::new(),
        };
        let mut seen = HashSet::new();
        let (mut invalid, mut duplicates, mut other) = (Vec::new(), 0, 0);
        for path in &paths {
            let rel = path.strip_prefix(samples).unwrap_or(path);
            let rel = rel.to_string_lossy().into_owned();
            let bytes = fs::read(path).context(|| path.display().to_string())?;
            if FileHeader::read(&bytes).is_none() {
                invalid.push(format!("{rel}: no EVTX file header"));
                continue;
            }
            let source = pool.sources.len();
            let (mut kept, mut left_out) = (0, 0);
            let body = bytes.get(FILE_HEADER_BLOCK..).unwrap_or(&[]);
            for (n, data) in body.chunks_exact(CHUNK_SIZE).enumerate() {
                match judge(data, channel(kind), &settings) {
                    Verdict::Use(records) => {
                        let mut hasher = DefaultHasher::new();
                        data.hash(&mut hasher);
                        if !seen.insert(hasher.finish()) {
                            duplicates += 1;
                            left_out += 1;
                            continue;
                        }
                        pool.chunks.push(PoolChunk {
                            data: data.to_vec(),
                            records,
                            source,
                        });
                        kept += 1;
                    }
                    Verdict::OtherChannel => other += 1,
                    Verdict::Empty => {}
                    Verdict::Invalid(why) => {
                        invalid.push(format!("{rel}: chunk {n}: {why}"));
                        left_out += 1;
                    }
                }
            }
            if kept > 0 {
                pool.sources.push(Source {
                    positives: positives
                        .as_ref()
                        .and_then(|p| p.get(&rel).copied())
                        .map(|n| n + wider_positives(&rel)),
                    whole: left_out == 0,
                });
            }
        }
        eprintln!(
            "xtask corpus: {} chunks of {} from {} of {} sample files ({duplicates} duplicate \
             chunks, {other} of other channels and {} not valid left out)",
            pool.chunks.len(),
            channel(kind),
            pool.sources.len(),
            paths.len(),
            invalid.len()
        );
        for why in &invalid {
            eprintln!("xtask corpus: skipped {why}");
        }
        if pool.chunks.is_empty() {
            return Err(
                format!("no valid {} chunk in {}", channel(kind), samples.display()).into(),
            );
        }
        Ok(pool)
    }

    /// Writes `files` (path, chunks) by cycling through the pool; returns the records written
    /// and what wmihunt must find.
    pub(super) fn write(&self, files: &[(PathBuf, u64)]) -> Result<(u64, Truth)> {
        let mut next_id = 1u64;
        let mut global = 0usize;
        for (path, chunks) in files {
            let mut out = BufWriter::with_capacity(
                1 << 20,
                File::create(path).context(|| path.display().to_string())?,
            );
            out.write_all(&FileHeader::new(0, 1, true).block())
                .context(|| path.display().to_string())?;
            let mut buf = vec![0u8; CHUNK_SIZE];
            for _ in 0..*chunks {
                let chunk = self
                    .chunks
                    .get(global % self.chunks.len())
                    .ok_or("empty pool")?;
                buf.copy_from_slice(&chunk.data);
                next_id = renumber(&mut buf, &chunk.records, next_id)?;
                out.write_all(&buf).context(|| path.display().to_string())?;
                global += 1;
            }
            let header = FileHeader::new(*chunks, next_id, false).block();
            let finish = |out: &mut BufWriter<File>| -> std::io::Result<()> {
                out.seek(SeekFrom::Start(0))?;
                out.write_all(&header)?;
                out.flush()
            };
            finish(&mut out).context(|| path.display().to_string())?;
        }
        Ok((next_id - 1, self.truth(global)))
    }

    /// The distinct findings a corpus of the first `chunks` pool chunks (cycled) must give:
    /// the positives `index.tsv` counts in the source files wholly in it, and those of
    /// [`wider_positives`]. wmihunt reports a
    /// replicated event once, so replicas do not add up.
    fn truth(&self, chunks: usize) -> Truth {
        let included = chunks.min(self.chunks.len());
        // The first and last pool chunk of each source (a source's chunks are contiguous).
        let mut spans: Vec<Option<(usize, usize)>> = vec![None; self.sources.len()];
        for (n, chunk) in self.chunks.iter().enumerate() {
            if let Some(span) = spans.get_mut(chunk.source) {
                *span = Some(span.map_or((n, n), |(first, _)| (first, n)));
            }
        }
        let mut expected = 0;
        for (source, span) in self.sources.iter().zip(spans) {
            let Some((first, last)) = span else {
                continue;
            };
            match source.positives {
                None => return Truth::Unknown,
                Some(0) => {}
                Some(n) if source.whole && last < included => expected += n,
                // Partly in the corpus: some of its positives may be in, some not.
                Some(_) if first < included => return Truth::Unknown,
                Some(_) => {}
            }
        }
        Truth::Distinct(expected)
    }
}

/// Gives the records at `records` in `chunk` the ids from `next_id` on, sets the chunk
/// header's first and last record numbers and ids to match, and seals its CRCs; returns the
/// next id.
fn renumber(chunk: &mut [u8], records: &[usize], mut next_id: u64) -> Result<u64> {
    let first = next_id;
    for &at in records {
        let mut record = RecordHeader::read(chunk, at).ok_or("a pool chunk lost a record")?;
        record.id = next_id;
        record.write(chunk, at);
        next_id += 1;
    }
    let mut header = ChunkHeader::read(chunk).ok_or("a pool chunk lost its header")?;
    header.first_record_number = first;
    header.first_record_id = first;
    header.last_record_number = next_id - 1;
    header.last_record_id = next_id - 1;
    header.write(chunk);
    ChunkHeader::seal(chunk);
    Ok(next_id)
}

/// Whether a sample chunk can go into a corpus: the `evtx` crate reads all of its records
/// (checksums checked), the record walk finds exactly those, and every record is of `channel`.
fn judge(data: &[u8], channel: &str, settings: &Arc<ParserSettings>) -> Verdict {
    if data.iter().all(|&b| b == 0) {
        return Verdict::Empty;
    }
    let mut chunk = match EvtxChunkData::new(data.to_vec(), true) {
        Ok(chunk) => chunk,
        Err(e) => return Verdict::Invalid(e.to_string()),
    };
    let offsets = match record_offsets(data) {
        Ok(offsets) => offsets,
        Err(e) => return Verdict::Invalid(e),
    };
    let mut parsed = match chunk.parse(Arc::clone(settings)) {
        Ok(parsed) => parsed,
        Err(e) => return Verdict::Invalid(e.to_string()),
    };
    let mut count = 0;
    let mut same_channel = true;
    for record in parsed.iter() {
        let value = match record.and_then(|r| r.into_json_value()) {
            Ok(r) => r.data,
            Err(e) => return Verdict::Invalid(e.to_string()),
        };
        count += 1;
        same_channel &= value["Event"]["System"]["Channel"].as_str() == Some(channel);
    }
    if count != offsets.len() {
        return Verdict::Invalid(format!(
            "the reader reads {count} records, the walk to the free space finds {}",
            offsets.len()
        ));
    }
    if count == 0 || !same_channel {
        return Verdict::OtherChannel;
    }
    Verdict::Use(offsets)
}

/// The findings of the wider catalog and of WMI subscriptions (issue 12) in a sample file:
/// `index.tsv` counts only the reference rule's locations, and these samples hold the other
/// real WMI persistence the issue names (Sysmon channel only; the end-to-end tests pin each
/// finding exactly). A sample that gains one elsewhere makes the benchmark stop, loudly.
fn wider_positives(rel: &str) -> u64 {
    const WIDER: &[(&str, u64)] = &[
        (
            "sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/LM_wmi_PoisonHandler_Mr-Un1k0d3r_sysmon_1_13.evtx",
            4,
        ),
        (
            "sbousseaden__EVTX-ATTACK-SAMPLES/Persistence/sysmon_20_21_1_CommandLineEventConsumer.evtx",
            1,
        ),
        (
            "sbousseaden__EVTX-ATTACK-SAMPLES/Persistence/wmighost_sysmon_20_21_1.evtx",
            1,
        ),
        (
            "sbousseaden__EVTX-ATTACK-SAMPLES/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
            1,
        ),
        (
            "mdecrevoisier__EVTX-to-MITRE-Attack/TA0003-Persistence/T1546-Event Triggered Execution/ID19-20-WMI registration via PowerLurk.evtx",
            1,
        ),
    ];
    WIDER
        .iter()
        .find(|(path, _)| *path == rel)
        .map_or(0, |(_, n)| *n)
}

/// `index.tsv`'s `wmiprvse_persistence_writes` by relative path; `None` without the file.
fn read_index(path: &Path) -> Option<HashMap<String, u64>> {
    let text = fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next()?.split('\t').collect();
    let path_col = columns.iter().position(|c| *c == "path")?;
    let count_col = columns
        .iter()
        .position(|c| *c == "wmiprvse_persistence_writes")?;
    let mut map = HashMap::new();
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        if let (Some(path), Some(count)) = (fields.get(path_col), fields.get(count_col)) {
            if let Ok(count) = count.parse() {
                map.insert((*path).to_owned(), count);
            }
        }
    }
    Some(map)
}

#[cfg(test)]
mod tests {
    use super::super::generate;
    use super::super::tests::{read_back, spec};
    use super::*;

    /// A folder of the shared samples holding Sysmon and Security logs (the whole collection
    /// takes half a minute to validate in a debug build).
    fn some_samples() -> Option<PathBuf> {
        let dir = crate::samples_dir().join("sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement");
        if dir.is_dir() {
            Some(dir)
        } else {
            eprintln!("no shared samples: skipped");
            None
        }
    }

    #[test]
    fn real_corpora_read_back_with_increasing_ids() {
        let Some(samples) = some_samples() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        for kind in [Kind::RealSysmon, Kind::RealSecurity] {
            let out = dir.path().join(format!("{}.evtx", kind.name()));
            let mut spec = spec(kind, 3, 1, out.clone());
            spec.samples = samples.clone();
            let summary = generate(&spec).unwrap();
            // More chunks than the folder has: the pool is replicated.
            assert_eq!(summary.chunks, 47);
            assert!(summary.wmi_chunks > 0, "{kind:?}");
            // No index.tsv in a sub-folder.
            assert_eq!(summary.truth, Truth::Unknown);
            let ids = read_back(&out);
            assert_eq!(ids, (1..=summary.records).collect::<Vec<_>>());
            let header = FileHeader::read(&fs::read(&out).unwrap()).unwrap();
            assert_eq!(
                (header.chunk_count, header.next_record_id, header.flags),
                (47, summary.records + 1, 0)
            );
        }
        let mut spec = spec(Kind::RealSysmon, 2, 7, dir.path().join("folder"));
        spec.samples = samples;
        let summary = generate(&spec).unwrap();
        let mut last = 0;
        for file in &summary.files {
            let ids = read_back(file);
            assert_eq!(ids[0], last + 1, "ids run on across the files");
            last = *ids.last().unwrap();
        }
    }

    #[test]
    fn the_truth_counts_the_positives_index_tsv_gives_once() {
        let Some(samples) = some_samples() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("samples");
        fs::create_dir_all(own.join("a")).unwrap();
        let name = "wmi_remote_registry_sysmon.evtx";
        fs::copy(samples.join(name), own.join("a").join(name)).unwrap();
        fs::write(
            own.join("index.tsv"),
            format!("path\tsize\twmiprvse_persistence_writes\na/{name}\t69632\t1\n"),
        )
        .unwrap();
        let mut spec = spec(Kind::RealSysmon, 1, 1, dir.path().join("one.evtx"));
        spec.samples = own;
        let summary = generate(&spec).unwrap();
        // 15 copies of the file's one chunk: one event, found once.
        assert_eq!((summary.chunks, summary.wmi_chunks), (15, 15));
        assert_eq!(summary.truth, Truth::Distinct(1));
        assert_eq!(read_back(&summary.files[0]).len() as u64, summary.records);
    }

    #[test]
    fn a_missing_samples_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(Kind::RealSecurity, 2, 1, dir.path().join("x.evtx"));
        spec.samples = dir.path().join("nowhere");
        let err = generate(&spec).unwrap_err().to_string();
        assert!(err.contains("needs the shared real samples"), "{err}");
        assert!(!dir.path().join("x.evtx").exists());
    }
}
