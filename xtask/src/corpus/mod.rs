//! `xtask corpus`: the EVTX corpora the benchmark measures wmihunt on.
//!
//! Two families. Synthetic (`sysmon`, `sysmon30`, `security`): deterministic logs written with
//! the test kit's writer, whose true positives are known record by record (`synthetic`). Real
//! (`real-sysmon`, `real-security`): chunks of the shared real samples, copied, renumbered and
//! re-sealed up to the size asked for (`real`), so the numbers also hold on what Windows
//! writes. Either way the corpus is measured after writing: bytes, chunks, and the chunks
//! whose bytes name `wmiprvse.exe` (UTF-16LE, ASCII case-insensitive), which is exactly what
//! decides whether wmihunt's pre-filter reads a chunk.

mod real;
mod synthetic;
mod vocab;

use crate::error::{Context, Result};
use clap::ValueEnum;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use wmihunt_testkit::layout::{CHUNK_SIZE, FILE_HEADER_BLOCK};

/// The text whose presence in a chunk makes wmihunt parse it.
const NEEDLE: &str = "wmiprvse.exe";
/// Default seed of the synthetic generator (any fixed value: only determinism matters).
pub const DEFAULT_SEED: u64 = 0x5EED_0F3B_1D20_2024;

/// What a corpus holds. The discriminants seed the synthetic generator: keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Synthetic Sysmon/Operational noise, ~10% of chunks naming WmiPrvSE.exe, plus true
    /// positives.
    Sysmon = 0,
    /// The same with ~30% of chunks naming WmiPrvSE.exe.
    Sysmon30 = 1,
    /// Synthetic Security, System and Application events (WmiPrvSE.exe in 4688); no findings.
    Security = 2,
    /// Chunks of the real Sysmon/Operational samples, replicated.
    RealSysmon = 3,
    /// Chunks of the real Security samples, replicated.
    RealSecurity = 4,
}

impl Kind {
    /// The kind's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sysmon => "sysmon",
            Kind::Sysmon30 => "sysmon30",
            Kind::Security => "security",
            Kind::RealSysmon => "real-sysmon",
            Kind::RealSecurity => "real-security",
        }
    }

    /// Whether the corpus is made of the shared real samples' chunks.
    pub fn is_real(self) -> bool {
        matches!(self, Kind::RealSysmon | Kind::RealSecurity)
    }

    /// How Windows names the channel's archived log files.
    fn file_stem(self) -> &'static str {
        match self {
            Kind::Sysmon | Kind::Sysmon30 | Kind::RealSysmon => {
                "Microsoft-Windows-Sysmon%4Operational"
            }
            Kind::Security | Kind::RealSecurity => "Security",
        }
    }
}

/// Write a deterministic EVTX benchmark corpus.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the corpus holds.
    #[arg(long, value_enum)]
    kind: Kind,
    /// Total size in MiB (headers included; rounded down to whole chunks).
    #[arg(long, value_name = "MIB")]
    size_mib: u64,
    /// 1: write one file at OUT; more: write that many files into the directory OUT.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    files: u64,
    /// Seed of the synthetic generator.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Real samples folder for the real kinds (default: $WMIHUNT_SAMPLES, else ../shared/evtx
    /// beside the checkout).
    #[arg(long, value_name = "DIR")]
    samples: Option<PathBuf>,
    /// Also write the truth here: one `file<TAB>record_id<TAB>TargetObject` line per true
    /// positive (synthetic kinds), or the number of distinct findings expected (real kinds).
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Output file (or directory with --files > 1).
    out: PathBuf,
}

/// One corpus to write, as the benchmark and the command line describe it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// What it holds.
    pub kind: Kind,
    /// Total size in MiB.
    pub size_mib: u64,
    /// Number of files (1: a file at `out`; more: a folder at `out`).
    pub files: u64,
    /// Seed of the synthetic generator.
    pub seed: u64,
    /// The real samples folder (real kinds only).
    pub samples: PathBuf,
    /// Where it goes.
    pub out: PathBuf,
}

/// A synthetic true positive: WmiPrvSE.exe writing a persistence location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruePositive {
    /// Index of the file (in [`Summary::files`]) holding it.
    pub file: usize,
    /// Its record ID.
    pub record_id: u64,
    /// Its `TargetObject`.
    pub target_object: String,
}

/// What wmihunt must find in a corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// Exactly these records (synthetic corpora).
    Records(Vec<TruePositive>),
    /// This many distinct findings (real corpora: the shared samples' `index.tsv`, measured by
    /// three independent parsers, and the wider catalog's known ones, counted over the source
    /// files wholly in the corpus).
    Distinct(u64),
    /// Not known (a source file with positives is only partly in the corpus, or there is no
    /// `index.tsv`): only the agreement between wmihunt's configurations is checked.
    Unknown,
}

impl Truth {
    /// The number of findings expected, when known.
    pub fn count(&self) -> Option<u64> {
        match self {
            Truth::Records(r) => Some(r.len() as u64),
            Truth::Distinct(n) => Some(*n),
            Truth::Unknown => None,
        }
    }
}

/// A written corpus, as measured.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Its kind.
    pub kind: Kind,
    /// Its files, in order.
    pub files: Vec<PathBuf>,
    /// Bytes in all.
    pub bytes: u64,
    /// Records written.
    pub records: u64,
    /// Chunks in all.
    pub chunks: u64,
    /// Chunks whose bytes name `wmiprvse.exe`.
    pub wmi_chunks: u64,
    /// What wmihunt must find.
    pub truth: Truth,
}

impl Summary {
    /// The percentage of chunks naming WmiPrvSE.exe.
    pub fn wmi_chunk_pct(&self) -> f64 {
        100.0 * self.wmi_chunks as f64 / self.chunks.max(1) as f64
    }

    /// The truth as `file<TAB>record_id<TAB>TargetObject` lines (synthetic corpora).
    pub fn truth_lines(&self) -> Vec<String> {
        let Truth::Records(records) = &self.truth else {
            return Vec::new();
        };
        records
            .iter()
            .map(|tp| {
                let file = self.files.get(tp.file).map(|f| file_name(f));
                let file = file.unwrap_or_default();
                format!("{file}\t{}\t{}", tp.record_id, tp.target_object)
            })
            .collect()
    }

    fn truth_text(&self) -> String {
        match self.truth.count() {
            Some(n) => n.to_string(),
            None => "unknown".into(),
        }
    }
}

/// The file name of `path`, for truth lines and reports.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `xtask corpus`: writes the corpus, its truth if asked, and a summary (the last stdout line is
/// machine-readable `key=value` pairs).
pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let spec = Spec {
        kind: args.kind,
        size_mib: args.size_mib,
        files: args.files,
        seed: args.seed,
        samples: args.samples.unwrap_or_else(crate::samples_dir),
        out: args.out,
    };
    let summary = generate(&spec)?;
    if let Some(path) = &args.truth {
        write_truth(path, &summary).context(|| path.display().to_string())?;
    }
    eprintln!(
        "xtask corpus: {} {:.1} MiB in {} file(s), {} records, {:.1}% of {} chunks name WmiPrvSE.exe, {} true positives, {:.1} s",
        summary.kind.name(),
        summary.bytes as f64 / (1024.0 * 1024.0),
        summary.files.len(),
        summary.records,
        summary.wmi_chunk_pct(),
        summary.chunks,
        summary.truth_text(),
        started.elapsed().as_secs_f64(),
    );
    println!(
        "corpus kind={} files={} bytes={} records={} chunks={} wmi_chunks={} wmi_chunk_pct={:.2} true_positives={} path={}",
        summary.kind.name(),
        summary.files.len(),
        summary.bytes,
        summary.records,
        summary.chunks,
        summary.wmi_chunks,
        summary.wmi_chunk_pct(),
        summary.truth_text(),
        spec.out.display()
    );
    Ok(())
}

/// Writes the corpus `spec` describes and measures it.
pub fn generate(spec: &Spec) -> Result<Summary> {
    // Read the samples before creating anything, so a missing folder leaves nothing behind.
    let pool = if spec.kind.is_real() {
        Some(real::Pool::load(&spec.samples, spec.kind)?)
    } else {
        None
    };
    let files = plan(spec)?;
    let (records, truth) = match &pool {
        Some(pool) => pool.write(&files)?,
        None => {
            let (records, truth) = synthetic::write(spec.kind, spec.seed, &files)?;
            (records, Truth::Records(truth))
        }
    };
    let mut summary = Summary {
        kind: spec.kind,
        files: files.iter().map(|(p, _)| p.clone()).collect(),
        bytes: 0,
        records,
        chunks: 0,
        wmi_chunks: 0,
        truth,
    };
    for path in &summary.files {
        let m = measure_file(path).context(|| path.display().to_string())?;
        summary.bytes += m.bytes;
        summary.chunks += m.chunks;
        summary.wmi_chunks += m.wmi_chunks;
    }
    Ok(summary)
}

fn write_truth(path: &Path, summary: &Summary) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    match summary.truth {
        Truth::Records(_) => {
            for line in summary.truth_lines() {
                writeln!(out, "{line}")?;
            }
        }
        Truth::Distinct(n) => writeln!(out, "# distinct findings expected: {n}")?,
        Truth::Unknown => writeln!(out, "# distinct findings expected: unknown")?,
    }
    out.flush()
}

/// The files to write and the number of chunks in each: the size in whole chunks after one
/// file header per file, spread evenly; a folder's files are named like archived logs, so the
/// folder looks like collected evidence.
fn plan(spec: &Spec) -> Result<Vec<(PathBuf, u64)>> {
    let bytes = spec.size_mib.saturating_mul(1024 * 1024);
    let per_file_overhead = (FILE_HEADER_BLOCK as u64).saturating_mul(spec.files);
    let total_chunks = bytes.saturating_sub(per_file_overhead) / CHUNK_SIZE as u64;
    if total_chunks < spec.files {
        return Err(format!(
            "{} MiB is too small for {} files of at least one 64 KiB chunk",
            spec.size_mib, spec.files
        )
        .into());
    }
    if spec.files == 1 {
        if let Some(parent) = spec.out.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).context(|| parent.display().to_string())?;
        }
        return Ok(vec![(spec.out.clone(), total_chunks)]);
    }
    fs::create_dir_all(&spec.out).context(|| spec.out.display().to_string())?;
    let mut entries = fs::read_dir(&spec.out).context(|| spec.out.display().to_string())?;
    if entries.next().is_some() {
        return Err(format!("{} is not empty", spec.out.display()).into());
    }
    let (base, extra) = (total_chunks / spec.files, total_chunks % spec.files);
    Ok((0..spec.files)
        .map(|i| {
            let name = format!("Archive-{}-{:04}.evtx", spec.kind.file_stem(), i + 1);
            (spec.out.join(name), base + u64::from(i < extra))
        })
        .collect())
}

/// A written file, as measured.
struct Measured {
    bytes: u64,
    chunks: u64,
    wmi_chunks: u64,
}

/// Reads the file back and counts the chunks whose bytes contain the needle.
fn measure_file(path: &Path) -> io::Result<Measured> {
    let mut file = File::open(path)?;
    let bytes = file.metadata()?.len();
    file.seek(SeekFrom::Start(FILE_HEADER_BLOCK as u64))?;
    let mut chunk = vec![0u8; CHUNK_SIZE];
    let (mut chunks, mut wmi_chunks) = (0, 0);
    loop {
        let n = read_full(&mut file, &mut chunk)?;
        if n == 0 {
            break;
        }
        chunks += 1;
        if names_wmiprvse(chunk.get(..n).unwrap_or(&[])) {
            wmi_chunks += 1;
        }
    }
    Ok(Measured {
        bytes,
        chunks,
        wmi_chunks,
    })
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Whether `chunk` names `wmiprvse.exe` in UTF-16LE, ASCII case-insensitively: exactly what
/// decides whether wmihunt's pre-filter skips a chunk.
pub fn names_wmiprvse(chunk: &[u8]) -> bool {
    let needle: Vec<u8> = NEEDLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
    chunk.windows(needle.len()).any(|w| {
        w.iter()
            .zip(&needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use evtx::{EvtxParser, ParserSettings};

    /// Reads every record of `path` with the `evtx` crate, checksums on; returns their ids.
    pub(crate) fn read_back(path: &Path) -> Vec<u64> {
        let settings = ParserSettings::new()
            .num_threads(1)
            .validate_checksums(true);
        let mut parser = EvtxParser::from_path(path)
            .unwrap()
            .with_configuration(settings);
        assert!(parser.header().validate_checksum(), "{}", path.display());
        parser
            .records_json_value()
            .map(|r| {
                r.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                    .event_record_id
            })
            .collect()
    }

    /// A corpus of `kind` with the default seed and samples.
    pub(crate) fn spec(kind: Kind, size_mib: u64, files: u64, out: PathBuf) -> Spec {
        Spec {
            kind,
            size_mib,
            files,
            seed: DEFAULT_SEED,
            samples: crate::samples_dir(),
            out,
        }
    }

    #[test]
    fn synthetic_corpora_are_deterministic_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = generate(&spec(Kind::Sysmon, 2, 1, dir.path().join("a.evtx"))).unwrap();
        generate(&spec(Kind::Sysmon, 2, 1, dir.path().join("b.evtx"))).unwrap();
        assert_eq!(
            fs::read(dir.path().join("a.evtx")).unwrap(),
            fs::read(dir.path().join("b.evtx")).unwrap()
        );
        assert_eq!((a.chunks, a.bytes), (31, 4096 + 31 * 65536));
        assert_eq!(a.truth.count(), Some(4));
        assert!(a.wmi_chunks > 0 && a.wmi_chunks < a.chunks);
        let ids = read_back(&a.files[0]);
        assert_eq!(ids.len() as u64, a.records);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        for line in a.truth_lines() {
            let id: u64 = line.split('\t').nth(1).unwrap().parse().unwrap();
            assert!(ids.contains(&id), "{line}");
        }

        let folder = generate(&spec(Kind::Security, 2, 5, dir.path().join("f"))).unwrap();
        assert_eq!(folder.files.len(), 5);
        assert_eq!(folder.truth, Truth::Records(vec![]));
        let mut last = 0;
        for file in &folder.files {
            let ids = read_back(file);
            assert!(ids[0] > last, "record ids run on across the files");
            last = *ids.last().unwrap();
        }
        assert!(generate(&spec(Kind::Sysmon, 2, 5, dir.path().join("f"))).is_err());
    }

    #[test]
    fn the_needle_is_found_in_any_ascii_case() {
        let text = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        assert!(names_wmiprvse(&text(r"C:\x\WmiPrvSE.EXE -Embedding")));
        assert!(!names_wmiprvse(&text("wmiprvse.ex")));
        assert!(!names_wmiprvse(b"wmiprvse.exe"));
    }
}
