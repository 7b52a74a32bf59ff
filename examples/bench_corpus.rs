//! Generates the deterministic EVTX corpora that `scripts/bench.sh` measures wmihunt on.
//!
//! Why a generator: a benchmark needs gigabytes of evidence whose content is known (how many
//! chunks name WmiPrvSE.exe, which records are true positives), and real Windows logs can be
//! neither shipped nor described that precisely. This writes real EVTX files with the
//! project's own [`EvtxWriter`] (templates, 64 KiB chunks, CRCs), so every reader, wmihunt and
//! the `evtx_dump` baseline alike, does the work it would do on real evidence.
//!
//! What the numbers depend on, and how this controls it:
//! * The pre-filter skips every chunk whose bytes do not contain `WmiPrvSE.exe`, so the
//!   fraction of chunks that name it decides wmihunt's speed. Real WMI activity comes in
//!   bursts (a management agent polls, WMI spawns a provider host, loads its DLLs, spawns a
//!   child), so each chunk is, at random, a "WMI chunk" in which about one event in eight is
//!   WmiPrvSE-related; other chunks never mention it. The probability is steered so that the
//!   running fraction stays at the target (10% or 30%) whatever the layout. The fraction is
//!   measured afterwards by scanning every chunk's bytes (UTF-16LE, case-insensitive).
//! * Event content follows real Sysmon 15 and Security-Auditing schemas (field names, order,
//!   value types and typical lengths), so record sizes and parse costs are realistic.
//! * True positives (WmiPrvSE.exe setting a Run value or a service ImagePath) sit at evenly
//!   spaced chunks; `--truth` lists them for the benchmark to check the findings against.
//!
//! Everything comes from one seeded splitmix64 generator: the same arguments always give the
//! same bytes. The last line on stdout is machine-readable (`key=value` pairs).
//!
//! ```text
//! cargo run --release --example bench_corpus -- --kind sysmon --size-mib 256 bench-out/s256.evtx
//! cargo run --release --example bench_corpus -- --kind sysmon --size-mib 256 --files 2000 bench-out/dir
//! ```

use clap::{Parser, ValueEnum};
use std::cell::Cell;
use std::error::Error;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;
use wmihunt_testkit::writer::{filetime_from_unix, guid_from_str, Event, EvtxWriter, Value};

/// EVTX file header block size; chunks follow it.
const FILE_HEADER: u64 = 4096;
/// EVTX chunk size.
const CHUNK: u64 = 65536;
/// The text whose presence in a chunk makes wmihunt parse it.
const NEEDLE: &str = "wmiprvse.exe";
/// Default seed (any fixed value: only determinism matters).
const DEFAULT_SEED: u64 = 0x5EED_0F3B_1D20_2024;
/// One true positive per this many chunks (128 MiB), and at least `MIN_TRUE_POSITIVES`: an
/// intrusion leaves a few persistence writes, not one per file.
const CHUNKS_PER_TRUE_POSITIVE: u64 = 2048;
const MIN_TRUE_POSITIVES: u64 = 4;
/// In a WMI chunk, about one event in this many is WmiPrvSE-related.
const WMI_EVENT_ONE_IN: u64 = 8;
/// How fast the WMI-chunk probability corrects the running fraction towards its target
/// (in chunks): spills into the next chunk, true positives and file ends are absorbed.
const DENSITY_FEEDBACK_CHUNKS: f64 = 32.0;
/// 2024-03-04T08:00:00Z, when the generated logs start.
const START_UNIX: i64 = 1_709_539_200;

const SYSMON: &str = "Microsoft-Windows-Sysmon";
const SYSMON_GUID: &str = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}";
const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const SECURITY_GUID: &str = "{54849625-5478-4994-A5BA-3E3B0328C30D}";
const SCM: &str = "Service Control Manager";
const SCM_GUID: &str = "{555908d1-a6d7-4695-8e1e-26931d2012f4}";
const RESTART_MANAGER: &str = "Microsoft-Windows-RestartManager";
const RESTART_MANAGER_GUID: &str = "{0888E5EF-9B98-4695-979D-E92CE4247224}";
const COMPUTER: &str = "SRV-APP01.corp.example.com";

const WMIPRVSE: &str = r"C:\Windows\System32\wbem\WmiPrvSE.exe";
const WMIPRVSE_CMD: &str = r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding";
const SVCHOST: &str = r"C:\Windows\System32\svchost.exe";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// Sysmon/Operational noise, ~10% of chunks naming WmiPrvSE.exe, plus true positives.
    Sysmon,
    /// The same with ~30% of chunks naming WmiPrvSE.exe.
    Sysmon30,
    /// Security, System and Application events (WmiPrvSE.exe in 4688); no findings.
    Security,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sysmon => "sysmon",
            Kind::Sysmon30 => "sysmon30",
            Kind::Security => "security",
        }
    }

    /// Target fraction of chunks that name WmiPrvSE.exe.
    fn wmi_chunk_fraction(self) -> f64 {
        match self {
            Kind::Sysmon | Kind::Security => 0.10,
            Kind::Sysmon30 => 0.30,
        }
    }

    fn has_true_positives(self) -> bool {
        self != Kind::Security
    }
}

/// Generate a deterministic EVTX benchmark corpus.
#[derive(Debug, Parser)]
#[command(about, long_about = None)]
struct Args {
    /// What the corpus holds.
    #[arg(long, value_enum)]
    kind: Kind,
    /// Total size in MiB (headers included; rounded to whole chunks).
    #[arg(long, value_name = "MIB")]
    size_mib: u64,
    /// 1: write one file at OUT; more: write that many files into the directory OUT.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    files: u64,
    /// Seed of the generator.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Also write the true positives here, one `file<TAB>record_id<TAB>TargetObject` a line.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Output file (or directory with --files > 1).
    out: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let started = Instant::now();
    let layout = Layout::plan(&args)?;
    let corpus = write_corpus(&args, &layout)?;
    if let Some(path) = &args.truth {
        write_truth(path, &corpus.truth)?;
    }
    corpus.print(&args, started.elapsed().as_secs_f64());
    Ok(())
}

/// What was written, as measured.
struct Corpus {
    kind: Kind,
    files: usize,
    totals: Totals,
    /// One `file<TAB>record_id<TAB>TargetObject` line per true positive.
    truth: Vec<String>,
}

/// Writes every file of `layout`, measuring each one after writing it.
fn write_corpus(args: &Args, layout: &Layout) -> Result<Corpus, Box<dyn Error>> {
    let mut gen = Gen::new(args.kind, args.seed, ProviderIds::new()?);
    let tp_chunks = true_positive_chunks(args.kind, layout.total_chunks());
    let mut corpus = Corpus {
        kind: args.kind,
        files: layout.files.len(),
        totals: Totals::default(),
        truth: Vec::new(),
    };
    let mut first_global_chunk = 0;
    for (i, (path, chunks)) in layout.files.iter().enumerate() {
        let mut file = FileJob {
            path,
            chunks: *chunks,
            first_global_chunk,
            tp_chunks: &tp_chunks,
        };
        first_global_chunk += chunks;
        let written = file.write(&mut gen)?;
        corpus.totals.records += written.records;
        for (record_id, target) in written.true_positives {
            corpus
                .truth
                .push(format!("{}\t{record_id}\t{target}", file_name(path)));
        }
        corpus.totals.add(&measure_file(path)?);
        if corpus.files > 1 && (i + 1) % 500 == 0 {
            eprintln!("bench_corpus: {} of {} files", i + 1, corpus.files);
        }
    }
    Ok(corpus)
}

fn write_truth(path: &Path, lines: &[String]) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

impl Corpus {
    /// A human summary on stderr and the machine-readable line on stdout.
    fn print(&self, args: &Args, seconds: f64) {
        let t = &self.totals;
        let pct = 100.0 * t.wmi_chunks as f64 / t.chunks.max(1) as f64;
        eprintln!(
            "bench_corpus: {} {:.1} MiB in {} file(s), {} records, {pct:.1}% of {} chunks name WmiPrvSE.exe, {} true positives, {seconds:.1} s",
            self.kind.name(),
            t.bytes as f64 / (1024.0 * 1024.0),
            self.files,
            t.records,
            t.chunks,
            self.truth.len(),
        );
        println!(
            "corpus kind={} files={} bytes={} records={} chunks={} wmi_chunks={} wmi_chunk_pct={pct:.2} true_positives={} path={}",
            self.kind.name(),
            self.files,
            t.bytes,
            t.records,
            t.chunks,
            t.wmi_chunks,
            self.truth.len(),
            args.out.display()
        );
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Layout: which files, how many chunks each.

/// The files to write and the number of chunks in each.
struct Layout {
    files: Vec<(PathBuf, u64)>,
}

impl Layout {
    fn plan(args: &Args) -> Result<Layout, Box<dyn Error>> {
        let bytes = args.size_mib.saturating_mul(1024 * 1024);
        let per_file_overhead = FILE_HEADER.saturating_mul(args.files);
        let total_chunks = bytes.saturating_sub(per_file_overhead) / CHUNK;
        if total_chunks < args.files {
            return Err(format!(
                "{} MiB is too small for {} files of at least one 64 KiB chunk",
                args.size_mib, args.files
            )
            .into());
        }
        if args.files == 1 {
            if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)?;
            }
            return Ok(Layout {
                files: vec![(args.out.clone(), total_chunks)],
            });
        }
        fs::create_dir_all(&args.out)?;
        if fs::read_dir(&args.out)?.next().is_some() {
            return Err(format!("{} is not empty", args.out.display()).into());
        }
        // Names as Windows gives archived logs, so the folder looks like collected evidence.
        let (base, extra) = (total_chunks / args.files, total_chunks % args.files);
        let files = (0..args.files)
            .map(|i| {
                let name = format!("Archive-{}-{:04}.evtx", channel_file_stem(args.kind), i + 1);
                (args.out.join(name), base + u64::from(i < extra))
            })
            .collect();
        Ok(Layout { files })
    }

    fn total_chunks(&self) -> u64 {
        self.files.iter().map(|(_, c)| c).sum()
    }
}

fn channel_file_stem(kind: Kind) -> &'static str {
    match kind {
        Kind::Sysmon | Kind::Sysmon30 => "Microsoft-Windows-Sysmon%4Operational",
        Kind::Security => "Security",
    }
}

/// Global chunk indices that get a true positive: evenly spaced, centred in their share.
fn true_positive_chunks(kind: Kind, total_chunks: u64) -> Vec<u64> {
    if !kind.has_true_positives() || total_chunks == 0 {
        return Vec::new();
    }
    let n = (total_chunks / CHUNKS_PER_TRUE_POSITIVE)
        .max(MIN_TRUE_POSITIVES)
        .min(total_chunks);
    (0..n)
        .map(|k| (2 * k + 1) * total_chunks / (2 * n))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Writing one file.

/// A `Write + Seek` that shares its position, so the caller can see how many chunks the
/// [`EvtxWriter`] it is lent to has written (the writer keeps its output to itself).
struct Tracked<W> {
    inner: W,
    pos: Rc<Cell<u64>>,
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pos.set(self.pos.get() + n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Seek> Seek for Tracked<W> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = self.inner.seek(to)?;
        self.pos.set(pos);
        Ok(pos)
    }
}

/// Output that discards bytes but can seek, for dry runs.
#[derive(Default)]
struct Discard {
    pos: u64,
}

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Discard {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
            SeekFrom::End(d) => self.pos.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

/// Chunks a writer has completed, from the position of its output.
fn chunks_done(pos: &Cell<u64>) -> u64 {
    pos.get().saturating_sub(FILE_HEADER) / CHUNK
}

/// An [`EvtxWriter`] plus the position of its output.
struct Counted<W: Write + Seek> {
    writer: EvtxWriter<Tracked<W>>,
    pos: Rc<Cell<u64>>,
}

impl<W: Write + Seek> Counted<W> {
    fn new(out: W) -> io::Result<Self> {
        let pos = Rc::new(Cell::new(0));
        let writer = EvtxWriter::new(Tracked {
            inner: out,
            pos: Rc::clone(&pos),
        })?;
        Ok(Counted { writer, pos })
    }

    fn push(&mut self, ev: &Event) -> io::Result<u64> {
        self.writer.push(ev)
    }

    fn chunks_done(&self) -> u64 {
        chunks_done(&self.pos)
    }
}

struct FileJob<'a> {
    path: &'a Path,
    /// Chunks to write (the last one filled as full as the next event allows).
    chunks: u64,
    /// Index of this file's first chunk in the whole corpus.
    first_global_chunk: u64,
    /// Global chunk indices that get a true positive (sorted).
    tp_chunks: &'a [u64],
}

/// What writing one file produced.
struct Written {
    records: u64,
    /// (record ID, TargetObject) of each true positive.
    true_positives: Vec<(u64, String)>,
}

impl FileJob<'_> {
    /// Writes the file: events until `chunks - 1` chunks are complete, then exactly as many
    /// as still fit in the last chunk, so no file ends in a nearly empty chunk.
    fn write(&mut self, gen: &mut Gen) -> io::Result<Written> {
        let out = BufWriter::with_capacity(1 << 20, File::create(self.path)?);
        let mut w = Counted::new(out)?;
        let mut written = Written {
            records: 0,
            true_positives: Vec::new(),
        };
        // Events in the open chunk, kept only for the dry run of the last chunk.
        let mut held: Vec<Event> = Vec::new();
        let mut open = 0;
        self.begin_chunk(gen, &mut w, open, &mut held, &mut written, false)?;
        while open + 1 < self.chunks {
            let mut ev = gen.next_event();
            push(&mut w, &mut ev, gen, &mut written)?;
            if w.chunks_done() > open {
                // `ev` did not fit and opened the next chunk.
                open = w.chunks_done();
                held.clear();
                held.push(ev);
                let spilled = gen.last_was_wmi;
                self.begin_chunk(gen, &mut w, open, &mut held, &mut written, spilled)?;
            }
        }
        let fit = events_that_fit(gen, &held)?;
        for _ in 0..fit {
            let mut ev = gen.next_event();
            push(&mut w, &mut ev, gen, &mut written)?;
        }
        if w.chunks_done() != open {
            return Err(io::Error::other("the dry run of the last chunk went wrong"));
        }
        let mut out = w.writer.finish()?.inner;
        out.flush()?;
        Ok(written)
    }

    /// A chunk has just opened (holding `held`; `spilled`: its first event names WmiPrvSE.exe):
    /// place its true positive, if it gets one, and decide whether it is a WMI chunk.
    fn begin_chunk(
        &self,
        gen: &mut Gen,
        w: &mut Counted<BufWriter<File>>,
        open: u64,
        held: &mut Vec<Event>,
        written: &mut Written,
        spilled: bool,
    ) -> io::Result<()> {
        let global = self.first_global_chunk + open;
        let has_tp = self.tp_chunks.binary_search(&global).is_ok();
        gen.start_chunk(spilled || has_tp);
        if has_tp {
            let (mut ev, target) = gen.true_positive();
            let id = push(w, &mut ev, gen, written)?;
            written.true_positives.push((id, target));
            held.push(ev);
        }
        Ok(())
    }
}

/// Pushes `ev` with the next record ID (record IDs run on across the files of a folder, as
/// in archived logs); returns the ID.
fn push<W: Write + Seek>(
    w: &mut Counted<W>,
    ev: &mut Event,
    gen: &mut Gen,
    written: &mut Written,
) -> io::Result<u64> {
    ev.record_id = Some(gen.next_record_id);
    gen.next_record_id += 1;
    written.records += 1;
    w.push(ev)
}

/// How many of `gen`'s next events fit in a chunk that already holds `held`: a dry run of
/// the same events into a discarding writer (a chunk's layout depends only on its events).
fn events_that_fit(gen: &Gen, held: &[Event]) -> io::Result<u64> {
    let mut gen = gen.clone();
    let mut dry = Counted::new(Discard::default())?;
    for ev in held {
        dry.push(ev)?;
    }
    let mut fit = 0;
    loop {
        let mut ev = gen.next_event();
        ev.record_id = Some(gen.next_record_id);
        gen.next_record_id += 1;
        dry.push(&ev)?;
        if dry.chunks_done() > 0 {
            return Ok(fit);
        }
        fit += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring what was written.

#[derive(Debug, Default)]
struct Totals {
    bytes: u64,
    records: u64,
    chunks: u64,
    wmi_chunks: u64,
}

impl Totals {
    fn add(&mut self, m: &Measured) {
        self.bytes += m.bytes;
        self.chunks += m.chunks;
        self.wmi_chunks += m.wmi_chunks;
    }
}

struct Measured {
    bytes: u64,
    chunks: u64,
    wmi_chunks: u64,
}

/// Reads the file back and counts the chunks whose bytes contain the needle, UTF-16LE,
/// ASCII case-insensitive: exactly what decides whether wmihunt's pre-filter skips a chunk.
fn measure_file(path: &Path) -> io::Result<Measured> {
    let mut file = File::open(path)?;
    let bytes = file.metadata()?.len();
    file.seek(SeekFrom::Start(FILE_HEADER))?;
    let needle: Vec<u8> = NEEDLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut chunk = vec![0u8; CHUNK as usize];
    let (mut chunks, mut wmi_chunks) = (0, 0);
    loop {
        let n = read_full(&mut file, &mut chunk)?;
        if n == 0 {
            break;
        }
        chunks += 1;
        if contains_ignore_ascii_case(&chunk[..n], &needle) {
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
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Whether `needle` (lowercase ASCII, UTF-16LE) occurs in `hay`, ASCII case-insensitively.
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    hay.windows(needle.len()).any(|w| {
        w[0].to_ascii_lowercase() == first
            && w.iter()
                .zip(needle)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

// ---------------------------------------------------------------------------------------------
// Randomness and time.

/// splitmix64: tiny, fast, and good enough for synthetic logs.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the tiny modulo bias does not matter here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index into `weights`, chosen in proportion to them.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    fn hex(&mut self, chars: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        (0..chars)
            .map(|_| char::from(DIGITS[self.below(16) as usize]))
            .collect()
    }

    fn guid(&mut self) -> [u8; 16] {
        let mut g = [0u8; 16];
        g[..8].copy_from_slice(&self.next().to_le_bytes());
        g[8..].copy_from_slice(&self.next().to_le_bytes());
        g
    }
}

/// The log's clock: events are a few milliseconds to a second apart.
#[derive(Debug, Clone)]
struct Clock {
    /// Milliseconds since the Unix epoch.
    ms: i64,
}

impl Clock {
    fn tick(&mut self, rng: &mut Rng) {
        // Mostly bursts, sometimes a quiet second.
        self.ms += if rng.chance(0.9) {
            rng.range(0, 60) as i64
        } else {
            rng.range(100, 1500) as i64
        };
    }

    fn filetime(&self) -> u64 {
        let nanos = (self.ms.rem_euclid(1000) * 1_000_000) as u32;
        filetime_from_unix(self.ms.div_euclid(1000), nanos)
    }

    /// Sysmon's `UtcTime` text: `2024-03-04 08:00:00.123`.
    fn utc_text(&self) -> String {
        let secs = self.ms.div_euclid(1000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let t = secs.rem_euclid(86_400);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
            t / 3600,
            t % 3600 / 60,
            t % 60,
            self.ms.rem_euclid(1000)
        )
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

// ---------------------------------------------------------------------------------------------
// Vocabulary of a Windows server.

/// (image, command line, user) of long-running server processes.
const SERVER_PROCESSES: &[(&str, &str, &str)] = &[
    (
        SVCHOST,
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        SVCHOST,
        r"C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog",
        r"NT AUTHORITY\LOCAL SERVICE",
    ),
    (
        SVCHOST,
        r"C:\Windows\system32\svchost.exe -k NetworkService -p -s Dnscache",
        r"NT AUTHORITY\NETWORK SERVICE",
    ),
    (
        SVCHOST,
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        SVCHOST,
        r"C:\Windows\System32\svchost.exe -k netsvcs -p -s BITS",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\System32\lsass.exe",
        r"C:\Windows\system32\lsass.exe",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\System32\services.exe",
        r"C:\Windows\system32\services.exe",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\explorer.exe",
        r"C:\Windows\Explorer.EXE",
        r"CORP\svc-admin",
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        r"C:\Windows\system32\msiexec.exe /V",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24020.7-0\MsMpEng.exe",
        r#""C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24020.7-0\MsMpEng.exe""#,
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\Binn\sqlservr.exe",
        r#""C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\Binn\sqlservr.exe" -sMSSQLSERVER"#,
        r"NT SERVICE\MSSQLSERVER",
    ),
    (
        r"C:\Windows\System32\inetsrv\w3wp.exe",
        r#"c:\windows\system32\inetsrv\w3wp.exe -ap "DefaultAppPool" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm7c3f -h "C:\inetpub\temp\apppools\DefaultAppPool\DefaultAppPool.config" -w "" -m 0"#,
        r"IIS APPPOOL\DefaultAppPool",
    ),
    (
        r"C:\Program Files\Microsoft Monitoring Agent\Agent\MonitoringHost.exe",
        r#""C:\Program Files\Microsoft Monitoring Agent\Agent\MonitoringHost.exe" -Embedding"#,
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\System32\taskhostw.exe",
        r"taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
        r"CORP\svc-admin",
    ),
    (
        r"C:\Windows\servicing\TrustedInstaller.exe",
        r"C:\Windows\servicing\TrustedInstaller.exe",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\System32\spoolsv.exe",
        r"C:\Windows\System32\spoolsv.exe",
        r"NT AUTHORITY\SYSTEM",
    ),
];

/// (image, command line template, description, product, company, original name) of processes
/// that come and go; `{n}` in the command line becomes a number.
const SHORT_LIVED: &[(&str, &str, &str, &str)] = &[
    (
        r"C:\Windows\System32\conhost.exe",
        r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
        "Console Window Host",
        "CONHOST.EXE",
    ),
    (
        r"C:\Windows\System32\cmd.exe",
        r#"C:\Windows\system32\cmd.exe /c "C:\Scripts\rotate-logs.cmd {n}""#,
        "Windows Command Processor",
        "Cmd.Exe",
    ),
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r#"powershell.exe -NoProfile -ExecutionPolicy Bypass -File "C:\Program Files\Agent\collect.ps1" -Interval {n}"#,
        "Windows PowerShell",
        "PowerShell.EXE",
    ),
    (
        r"C:\Windows\System32\wevtutil.exe",
        r"wevtutil.exe qe System /c:{n} /rd:true /f:text",
        "Eventing Command Line Utility",
        "wevtutil.exe",
    ),
    (
        r"C:\Windows\System32\net.exe",
        r"net.exe use \\fs01\share{n}",
        "Net Command",
        "net.exe",
    ),
    (
        r"C:\Windows\System32\sc.exe",
        r"sc.exe query wuauserv",
        "Service Control Manager Configuration Tool",
        "sc.exe",
    ),
    (
        r"C:\Windows\System32\tasklist.exe",
        r"tasklist.exe /svc /fo csv",
        "Lists the current running tasks.",
        "tasklist.exe",
    ),
    (
        r"C:\Windows\System32\backgroundTaskHost.exe",
        r#""C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider{n}"#,
        "Background Task Host",
        "backgroundTaskHost.exe",
    ),
    (
        r"C:\Windows\System32\MpCmdRun.exe",
        r#""C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24020.7-0\MpCmdRun.exe" SignatureUpdate -ScheduleJob -RestrictPrivileges -DailyReschedule"#,
        "Microsoft Malware Protection Command Line Utility",
        "MpCmdRun.exe",
    ),
    (
        r"C:\Windows\System32\gpupdate.exe",
        r"gpupdate.exe /target:computer /wait:{n}",
        "Microsoft® Windows Group Policy Refresh Utility",
        "gpupdate.exe",
    ),
];

/// Processes WMI providers typically start (children of WmiPrvSE.exe).
const WMI_CHILDREN: &[(&str, &str, &str, &str)] = &[
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r"powershell.exe -NoP -NonI -C Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID,FreeSpace # {n}",
        "Windows PowerShell",
        "PowerShell.EXE",
    ),
    (
        r"C:\Windows\System32\cmd.exe",
        r"cmd.exe /c C:\Windows\Temp\inventory{n}.cmd",
        "Windows Command Processor",
        "Cmd.Exe",
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        r"msiexec.exe /qn /i C:\Windows\Temp\agent-update-{n}.msi",
        "Windows® installer",
        "msiexec.exe",
    ),
];

const SYSTEM_DLLS: &[&str] = &[
    r"C:\Windows\System32\ntdll.dll",
    r"C:\Windows\System32\kernel32.dll",
    r"C:\Windows\System32\KernelBase.dll",
    r"C:\Windows\System32\advapi32.dll",
    r"C:\Windows\System32\msvcrt.dll",
    r"C:\Windows\System32\sechost.dll",
    r"C:\Windows\System32\rpcrt4.dll",
    r"C:\Windows\System32\combase.dll",
    r"C:\Windows\System32\ole32.dll",
    r"C:\Windows\System32\crypt32.dll",
    r"C:\Windows\System32\ws2_32.dll",
    r"C:\Windows\System32\bcryptprimitives.dll",
    r"C:\Windows\System32\winhttp.dll",
    r"C:\Windows\System32\dnsapi.dll",
    r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\clr.dll",
    r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System\4f0a4d4ab7b3a9e9d8c5b6e1a2f3c4d5\System.ni.dll",
];

/// DLLs WmiPrvSE.exe loads to host WMI providers.
const WMI_DLLS: &[&str] = &[
    r"C:\Windows\System32\wbem\wmiprov.dll",
    r"C:\Windows\System32\wbem\cimwin32.dll",
    r"C:\Windows\System32\wbem\fastprox.dll",
    r"C:\Windows\System32\wbem\wbemprox.dll",
    r"C:\Windows\System32\wbem\wbemsvc.dll",
    r"C:\Windows\System32\wbem\ntevt.dll",
    r"C:\Windows\System32\wbem\stdprov.dll",
    r"C:\Windows\System32\wbem\wmiutils.dll",
];

const DOMAINS: &[&str] = &[
    "settings-win.data.microsoft.com",
    "v10.events.data.microsoft.com",
    "wdcp.microsoft.com",
    "login.microsoftonline.com",
    "dc01.corp.example.com",
    "fs01.corp.example.com",
    "sql02.corp.example.com",
    "wsus.corp.example.com",
    "ctldl.windowsupdate.com",
    "go.microsoft.com",
    "oneocsp.microsoft.com",
    "time.windows.com",
];

const FILE_TARGETS: &[&str] = &[
    r"C:\Windows\Temp\MpCmdRun.log",
    r"C:\Windows\ServiceProfiles\NetworkService\AppData\Local\Microsoft\Windows\DeliveryOptimization\Logs\dosvc.{n}.etl",
    r"C:\inetpub\logs\LogFiles\W3SVC1\u_ex24030{n}.log",
    r"C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\Log\log_{n}.trc",
    r"C:\Windows\Prefetch\CONHOST.EXE-0C6456FB.pf",
    r"C:\Windows\System32\Tasks\Microsoft\Windows\UpdateOrchestrator\Schedule Scan",
    r"C:\Users\svc-admin\AppData\Local\Temp\__PSScriptPolicyTest_{n}.ps1",
    r"C:\ProgramData\Microsoft\Windows Defender\Scans\History\Service\DetectionHistory\{n}",
];

/// Registry writes of ordinary processes: (image, TargetObject template, Details).
const REGISTRY_NOISE: &[(&str, &str, &str)] = &[
    (
        SVCHOST,
        r"HKLM\System\CurrentControlSet\Services\bam\State\UserSettings\S-1-5-21-1004336348-1177238915-682003330-1104\\Device\HarddiskVolume2\Windows\System32\cmd.exe",
        "Binary Data",
    ),
    (
        SVCHOST,
        r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\Microsoft\Windows\UpdateOrchestrator\Schedule Scan\Index",
        "DWORD (0x00000003)",
    ),
    (
        SVCHOST,
        r"HKLM\System\CurrentControlSet\Services\W32Time\Config\LastKnownGoodTime",
        "QWORD (0x01da{n}-0x5c1e2b80)",
    ),
    (
        r"C:\Windows\explorer.exe",
        r"HKU\S-1-5-21-1004336348-1177238915-682003330-1104\Software\Microsoft\Windows\CurrentVersion\Explorer\UserAssist\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\Count\HRZR_PGYFRFFVBA",
        "Binary Data",
    ),
    (
        r"C:\Windows\explorer.exe",
        r"HKU\S-1-5-21-1004336348-1177238915-682003330-1104\Software\Microsoft\Windows\CurrentVersion\Explorer\RecentDocs\.log\{n}",
        "Binary Data",
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        r"HKLM\SOFTWARE\Classes\Installer\Products\{n}A2B3C4D5E6F708192A3B4C5D6E7F8\ProductName",
        "Monitoring Agent",
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\MonitoringAgentTray",
        r#""C:\Program Files\Agent\tray.exe" /background"#,
    ),
    (
        r"C:\Windows\System32\services.exe",
        r"HKLM\System\CurrentControlSet\Services\AgentUpdater{n}\ImagePath",
        r#""C:\Program Files\Agent\updater.exe" --service"#,
    ),
    (
        r"C:\Windows\System32\services.exe",
        r"HKLM\System\CurrentControlSet\Services\TrustedInstaller\Start",
        "DWORD (0x00000003)",
    ),
    (
        r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24020.7-0\MsMpEng.exe",
        r"HKLM\SOFTWARE\Microsoft\Windows Defender\Signature Updates\SignaturesLastUpdated",
        "Binary Data",
    ),
];

/// Keys WMI maintains for itself: benign WmiPrvSE.exe registry events.
const WBEM_KEYS: &[&str] = &[
    r"HKLM\SOFTWARE\Microsoft\Wbem\CIMOM",
    r"HKLM\SOFTWARE\Microsoft\Wbem\Transports\Decoupled\Client\{n}",
    r"HKLM\SOFTWARE\Microsoft\Wbem\ESS\//./root/CIMV2\{n}",
    r"HKLM\SOFTWARE\Microsoft\Wbem\Tracing\{n}",
];

/// Sysmon `RuleName`s of a SwiftOnSecurity/Olaf Hartong-style configuration.
const RULE_NAMES: &[&str] = &[
    "technique_id=T1047,technique_name=Windows Management Instrumentation",
    "technique_id=T1112,technique_name=Modify Registry",
    "technique_id=T1055,technique_name=Process Injection",
];

const PROCESS_ACCESS_CALLTRACE: &str = r"C:\Windows\SYSTEM32\ntdll.dll+9d4c4|C:\Windows\System32\KERNELBASE.dll+2c13e|C:\Windows\system32\lsasrv.dll+{n}|C:\Windows\System32\SspiSrv.dll+11a2|C:\Windows\System32\RPCRT4.dll+7e9b3|C:\Windows\System32\RPCRT4.dll+dc5e6|C:\Windows\System32\KERNEL32.DLL+17034|C:\Windows\SYSTEM32\ntdll.dll+52651";

/// Substitutes `{n}` in `template` with a random number.
fn fill(template: &str, rng: &mut Rng) -> String {
    template.replace("{n}", &rng.range(1, 99_999).to_string())
}

fn hashes(rng: &mut Rng) -> String {
    format!(
        "SHA1={},MD5={},SHA256={},IMPHASH={}",
        rng.hex(40),
        rng.hex(32),
        rng.hex(64),
        rng.hex(32)
    )
}

/// Provider GUIDs, parsed once.
#[derive(Debug, Clone)]
struct ProviderIds {
    sysmon: [u8; 16],
    security: [u8; 16],
    scm: [u8; 16],
    restart_manager: [u8; 16],
}

impl ProviderIds {
    fn new() -> Result<ProviderIds, String> {
        let parse = |g: &str| guid_from_str(g).ok_or_else(|| format!("bad GUID {g}"));
        Ok(ProviderIds {
            sysmon: parse(SYSMON_GUID)?,
            security: parse(SECURITY_GUID)?,
            scm: parse(SCM_GUID)?,
            restart_manager: parse(RESTART_MANAGER_GUID)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The event generator.

/// A running process, as Sysmon identifies it.
#[derive(Debug, Clone)]
struct Proc {
    guid: [u8; 16],
    pid: u32,
    image: &'static str,
    cmd: String,
    user: &'static str,
}

/// State of the synthetic machine: its clock, its processes and whether WMI is busy.
#[derive(Debug, Clone)]
struct Gen {
    kind: Kind,
    rng: Rng,
    clock: Clock,
    ids: ProviderIds,
    /// Server processes that Sysmon events are attributed to.
    procs: Vec<Proc>,
    /// The WmiPrvSE.exe provider host; only WMI events use it.
    wmiprvse: Proc,
    /// Whether the open chunk is a WMI chunk.
    wmi: bool,
    /// Whether the last event generated names WmiPrvSE.exe.
    last_was_wmi: bool,
    /// Chunks begun, and how many of them name WmiPrvSE.exe, for steering the density.
    chunks_begun: u64,
    chunks_named: u64,
    next_record_id: u64,
    true_positives: u64,
}

impl Gen {
    fn new(kind: Kind, seed: u64, ids: ProviderIds) -> Gen {
        let mut rng = Rng(seed ^ (kind as u64).wrapping_mul(0x9E37_79B9));
        let procs = SERVER_PROCESSES
            .iter()
            .map(|&(image, cmd, user)| Proc {
                guid: rng.guid(),
                pid: rng.range(400, 9000) as u32 & !3,
                image,
                cmd: cmd.to_owned(),
                user,
            })
            .collect();
        let wmiprvse = Proc {
            guid: rng.guid(),
            pid: 3316,
            image: WMIPRVSE,
            cmd: WMIPRVSE_CMD.to_owned(),
            user: r"NT AUTHORITY\NETWORK SERVICE",
        };
        Gen {
            kind,
            rng,
            clock: Clock {
                ms: START_UNIX * 1000,
            },
            ids,
            procs,
            wmiprvse,
            wmi: false,
            last_was_wmi: false,
            chunks_begun: 0,
            chunks_named: 0,
            next_record_id: 1,
            true_positives: 0,
        }
    }

    /// A chunk begins; `named` says whether what it already holds names WmiPrvSE.exe (a WMI
    /// event that did not fit in the previous chunk, or a true positive). Such a chunk stays
    /// a WMI chunk (the burst goes on); any other becomes one with a probability that steers
    /// the running fraction towards the target.
    fn start_chunk(&mut self, named: bool) {
        let target = self.kind.wmi_chunk_fraction();
        let deficit = target * self.chunks_begun as f64 - self.chunks_named as f64;
        let p = (target + deficit / DENSITY_FEEDBACK_CHUNKS).clamp(0.0, 1.0);
        self.wmi = named || self.rng.chance(p);
        self.chunks_begun += 1;
        self.chunks_named += u64::from(self.wmi);
    }

    fn next_event(&mut self) -> Event {
        self.clock.tick(&mut self.rng);
        let wmi_event = self.wmi && self.rng.below(WMI_EVENT_ONE_IN) == 0;
        self.last_was_wmi = wmi_event;
        match self.kind {
            Kind::Sysmon | Kind::Sysmon30 if wmi_event => self.sysmon_wmi_event(),
            Kind::Sysmon | Kind::Sysmon30 => self.sysmon_event(),
            Kind::Security => self.security_event(wmi_event),
        }
    }

    // --- Sysmon ---

    fn sysmon(&mut self, event_id: u16, version: u8) -> Event {
        let mut ev = Event::new(
            SYSMON,
            event_id,
            SYSMON_CHANNEL,
            COMPUTER,
            self.clock.filetime(),
        );
        ev.provider_guid = Some(self.ids.sysmon);
        ev.version = version;
        ev.task = event_id;
        ev.process_id = 2956;
        ev.thread_id = *self.rng.pick(&[3864, 4120, 4124, 5020]);
        ev.user_sid = Some("S-1-5-18".into());
        ev
    }

    fn rule_name(&mut self) -> &'static str {
        if self.rng.chance(0.8) {
            "-"
        } else {
            let i = self.rng.below(RULE_NAMES.len() as u64) as usize;
            RULE_NAMES[i]
        }
    }

    fn any_proc(&mut self) -> Proc {
        self.rng.pick(&self.procs).clone()
    }

    /// Ordinary server noise: no WmiPrvSE.exe anywhere.
    fn sysmon_event(&mut self) -> Event {
        // Event IDs 1, 3, 5, 7, 10, 11, 12, 13, 22 in a server-like proportion.
        match self.rng.weighted(&[6, 22, 5, 18, 9, 12, 9, 11, 8]) {
            0 => {
                let parent = self.any_proc();
                let &(image, cmd, desc, orig) = self.rng.pick(SHORT_LIVED);
                let cmd = fill(cmd, &mut self.rng);
                self.process_create(image, &cmd, desc, orig, &parent)
            }
            1 => self.network(),
            2 => {
                let p = self.any_proc();
                self.process_terminate(&p)
            }
            3 => {
                let p = self.any_proc();
                let dll = *self.rng.pick(SYSTEM_DLLS);
                self.image_load(&p, dll)
            }
            4 => {
                let (source, target) = (self.any_proc(), self.any_proc());
                self.process_access(&source, &target)
            }
            5 => self.file_create(),
            6 | 7 => {
                let &(image, target, details) = self.rng.pick(REGISTRY_NOISE);
                let target = fill(target, &mut self.rng);
                let writer = self.procs.iter().find(|p| p.image == image).cloned();
                let p = writer.unwrap_or_else(|| self.any_proc());
                if self.rng.chance(0.45) {
                    let ty = *self.rng.pick(&["CreateKey", "DeleteValue", "DeleteKey"]);
                    self.registry(12, ty, &p, &target, None)
                } else {
                    self.registry(13, "SetValue", &p, &target, Some(details))
                }
            }
            _ => self.dns(),
        }
    }

    /// The WmiPrvSE.exe-related events of a busy WMI period, none of them a finding.
    fn sysmon_wmi_event(&mut self) -> Event {
        let wmi = self.wmiprvse.clone();
        match self.rng.weighted(&[20, 5, 35, 15, 15, 10]) {
            0 => {
                let &(image, cmd, desc, orig) = self.rng.pick(WMI_CHILDREN);
                let cmd = fill(cmd, &mut self.rng);
                self.process_create(image, &cmd, desc, orig, &wmi)
            }
            1 => {
                // DcomLaunch starts a new provider host.
                let dcom = self.procs[3].clone();
                let cmd = r"C:\Windows\system32\wbem\wmiprvse.exe -Embedding";
                self.process_create(WMIPRVSE, cmd, "WMI Provider Host", "Wmiprvse.exe", &dcom)
            }
            2 => {
                let dll = *self.rng.pick(WMI_DLLS);
                self.image_load(&wmi, dll)
            }
            3 => {
                let other = self.any_proc();
                if self.rng.chance(0.5) {
                    self.process_access(&other, &wmi)
                } else {
                    self.process_access(&wmi, &other)
                }
            }
            4 => {
                let template = *self.rng.pick(WBEM_KEYS);
                let key = fill(template, &mut self.rng);
                self.registry(12, "CreateKey", &wmi, &key, None)
            }
            _ => {
                let key = format!(
                    r"{}\{}",
                    WBEM_KEYS[0],
                    self.rng
                        .pick(&["LastServiceStart", "ConfigValueEssNeedsLoading"])
                );
                self.registry(13, "SetValue", &wmi, &key, Some("DWORD (0x00000001)"))
            }
        }
    }

    fn process_create(
        &mut self,
        image: &'static str,
        cmd: &str,
        description: &str,
        original: &str,
        parent: &Proc,
    ) -> Event {
        let child = Proc {
            guid: self.rng.guid(),
            pid: self.rng.range(1000, 30000) as u32 & !3,
            image,
            cmd: cmd.to_owned(),
            user: parent.user,
        };
        let utc = self.clock.utc_text();
        let rule = self.rule_name();
        let logon_id = self.rng.range(0x3e4, 0x3e7);
        self.sysmon(1, 5)
            .with("RuleName", rule)
            .with("UtcTime", utc)
            .with("ProcessGuid", Value::Guid(child.guid))
            .with("ProcessId", child.pid)
            .with("Image", image)
            .with("FileVersion", "10.0.20348.2227 (WinBuild.160101.0800)")
            .with("Description", description)
            .with("Product", "Microsoft® Windows® Operating System")
            .with("Company", "Microsoft Corporation")
            .with("OriginalFileName", original)
            .with("CommandLine", cmd)
            .with("CurrentDirectory", r"C:\Windows\system32\")
            .with("User", child.user)
            .with("LogonGuid", Value::Guid(self.rng.guid()))
            .with("LogonId", Value::Hex64(logon_id))
            .with("TerminalSessionId", 0u32)
            .with("IntegrityLevel", "System")
            .with("Hashes", hashes(&mut self.rng))
            .with("ParentProcessGuid", Value::Guid(parent.guid))
            .with("ParentProcessId", parent.pid)
            .with("ParentImage", parent.image)
            .with("ParentCommandLine", parent.cmd.as_str())
            .with("ParentUser", parent.user)
    }

    fn process_terminate(&mut self, p: &Proc) -> Event {
        let utc = self.clock.utc_text();
        let rule = self.rule_name();
        self.sysmon(5, 3)
            .with("RuleName", rule)
            .with("UtcTime", utc)
            .with("ProcessGuid", Value::Guid(self.rng.guid()))
            .with("ProcessId", self.rng.range(1000, 30000) as u32 & !3)
            .with("Image", self.rng.pick(SHORT_LIVED).0)
            .with("User", p.user)
    }

    fn network(&mut self) -> Event {
        let p = self.any_proc();
        let utc = self.clock.utc_text();
        let rule = self.rule_name();
        let outbound = self.rng.chance(0.7);
        let local_ip = "10.20.4.17";
        let remote_ip = format!(
            "{}.{}.{}.{}",
            self.rng.pick(&[10, 20, 40, 52, 13]),
            self.rng.below(256),
            self.rng.below(256),
            self.rng.range(1, 254)
        );
        let ephemeral = self.rng.range(49152, 65535) as u16;
        let &(service_port, port_name) = self.rng.pick(&[
            (443u16, "https"),
            (445, "microsoft-ds"),
            (1433, "ms-sql-s"),
            (88, "kerberos"),
            (389, "ldap"),
            (135, "epmap"),
        ]);
        let remote_host = if self.rng.chance(0.5) {
            *self.rng.pick(DOMAINS)
        } else {
            "-"
        };
        let (src_ip, src_host, src_port, src_name, dst_ip, dst_host, dst_port, dst_name) =
            if outbound {
                (
                    local_ip.to_owned(),
                    COMPUTER,
                    ephemeral,
                    "-",
                    remote_ip,
                    remote_host,
                    service_port,
                    port_name,
                )
            } else {
                (
                    remote_ip,
                    remote_host,
                    ephemeral,
                    "-",
                    local_ip.to_owned(),
                    COMPUTER,
                    service_port,
                    port_name,
                )
            };
        self.sysmon(3, 5)
            .with("RuleName", rule)
            .with("UtcTime", utc)
            .with("ProcessGuid", Value::Guid(p.guid))
            .with("ProcessId", p.pid)
            .with("Image", p.image)
            .with("User", p.user)
            .with("Protocol", "tcp")
            .with("Initiated", if outbound { "true" } else { "false" })
            .with("SourceIsIpv6", "false")
            .with("SourceIp", src_ip)
            .with("SourceHostname", src_host)
            .with("SourcePort", Value::U16(src_port))
            .with("SourcePortName", src_name)
            .with("DestinationIsIpv6", "false")
            .with("DestinationIp", dst_ip)
            .with("DestinationHostname", dst_host)
            .with("DestinationPort", Value::U16(dst_port))
            .with("DestinationPortName", dst_name)
    }

    fn image_load(&mut self, p: &Proc, dll: &str) -> Event {
        let utc = self.clock.utc_text();
        let rule = self.rule_name();
        let original = dll.rsplit('\\').next().unwrap_or(dll).to_owned();
        self.sysmon(7, 3)
            .with("RuleName", rule)
            .with("UtcTime", utc)
            .with("ProcessGuid", Value::Guid(p.guid))
            .with("ProcessId", p.pid)
            .with("Image", p.image)
            .with("ImageLoaded", dll)
            .with("FileVersion", "10.0.20348.2227 (WinBuild.160101.0800)")
            .with("Description", "Windows component")
            .with("Product", "Microsoft® Windows® Operating System")
            .with("Company", "Microsoft Corporation")
            .with("OriginalFileName", original)
            .with("Hashes", hashes(&mut self.rng))
            .with("Signed", "true")
            .with("Signature", "Microsoft Windows")
            .with("SignatureStatus", "Valid")
            .with("User", p.user)
    }

    fn process_access(&mut self, source: &Proc, target: &Proc) -> Event {
        let utc = self.clock.utc_text();
        let rule = self.rule_name();
        let access = *self
            .rng
            .pick(&["0x1000", "0x1400", "0x1410", "0x101000", "0x40"]);
        let trace = fill(PROCESS_ACCESS_CALLTRACE, &mut self.rng);
        self.sysmon(10, 3)
            .with("RuleName", rule)
            .with("UtcTime", utc)
            .with("SourceProcessGUID", Value::Guid(source.guid))
            .with("SourceProcessId", source.pid)
            .with("SourceThreadId", self.rng.range(100, 20000) as u32)
            .with("SourceImage", source.image)
            .with("TargetProcessGUID", Value::Guid(target.guid))
            .with("TargetProcessId", target.pid)
            .with("TargetImage", target.image)
            .with("GrantedAccess", access)
            .with("CallTrace", trace)
            .with("SourceUser", source.user)
            .with("TargetUser", target.user)
    }

    fn file_create(&mut self) -> Event {
        let p = self.any_proc();
        let utc = self.clock.utc_text();
        let rule = self.rule_name();
        let template = *self.rng.pick(FILE_TARGETS);
        let target = fill(template, &mut self.rng);
        self.sysmon(11, 2)
            .with("RuleName", rule)
            .with("UtcTime", utc.clone())
            .with("ProcessGuid", Value::Guid(p.guid))
            .with("ProcessId", p.pid)
            .with("Image", p.image)
            .with("TargetFilename", target)
            .with("CreationUtcTime", utc)
            .with("User", p.user)
    }

    /// Sysmon 12 (create/delete, no Details) or 13 (set value, with Details).
    fn registry(
        &mut self,
        event_id: u16,
        event_type: &str,
        p: &Proc,
        target: &str,
        details: Option<&str>,
    ) -> Event {
        let utc = self.clock.utc_text();
        let rule = self.rule_name();
        let mut ev = self
            .sysmon(event_id, 2)
            .with("RuleName", rule)
            .with("EventType", event_type)
            .with("UtcTime", utc)
            .with("ProcessGuid", Value::Guid(p.guid))
            .with("ProcessId", p.pid)
            .with("Image", p.image)
            .with("TargetObject", target);
        if let Some(details) = details {
            ev = ev.with("Details", details);
        }
        ev.with("User", p.user)
    }

    fn dns(&mut self) -> Event {
        let p = self.any_proc();
        let utc = self.clock.utc_text();
        let rule = self.rule_name();
        let name = *self.rng.pick(DOMAINS);
        let results = format!(
            "type:  5 {name}.edgekey.net;::ffff:{}.{}.{}.{};",
            self.rng.pick(&[20, 23, 40, 52]),
            self.rng.below(256),
            self.rng.below(256),
            self.rng.range(1, 254)
        );
        self.sysmon(22, 5)
            .with("RuleName", rule)
            .with("UtcTime", utc)
            .with("ProcessGuid", Value::Guid(p.guid))
            .with("ProcessId", p.pid)
            .with("QueryName", name)
            .with("QueryStatus", "0")
            .with("QueryResults", results)
            .with("Image", p.image)
            .with("User", p.user)
    }

    /// WmiPrvSE.exe writing a persistence location, as StdRegProv does for a remote attacker;
    /// returns the event and its TargetObject.
    fn true_positive(&mut self) -> (Event, String) {
        self.clock.tick(&mut self.rng);
        let n = self.true_positives;
        self.true_positives += 1;
        let (target, details) = match n % 3 {
            0 => (
                format!(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\WinUpdate{n}"),
                format!(r"C:\Users\Public\Libraries\upd{n}.exe"),
            ),
            1 => (
                format!(
                    r"HKU\S-1-5-21-1004336348-1177238915-682003330-1104\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce\Helper{n}"
                ),
                format!(r#"powershell.exe -w hidden -enc SQBFAFgAIAAoA{n}"#),
            ),
            _ => (
                format!(r"HKLM\System\CurrentControlSet\Services\WinSvcHelper{n}\ImagePath"),
                format!(r"%SystemRoot%\Temp\svchelper{n}.exe"),
            ),
        };
        let wmi = self.wmiprvse.clone();
        let ev = self.registry(13, "SetValue", &wmi, &target, Some(&details));
        (ev, target)
    }

    // --- Security, System, Application ---

    fn security(&mut self, event_id: u16, version: u8, task: u16) -> Event {
        let mut ev = Event::new(
            SECURITY,
            event_id,
            "Security",
            COMPUTER,
            self.clock.filetime(),
        );
        ev.provider_guid = Some(self.ids.security);
        ev.version = version;
        ev.level = 0;
        ev.task = task;
        ev.keywords = 0x8020_0000_0000_0000;
        ev.process_id = 668;
        ev.thread_id = *self.rng.pick(&[712, 2248, 5136]);
        ev
    }

    /// (SID, user, domain, logon ID) of the account behind an event.
    fn account(&mut self) -> (&'static str, &'static str, &'static str, u64) {
        *self.rng.pick(&[
            ("S-1-5-18", "SRV-APP01$", "CORP", 0x3e7),
            ("S-1-5-20", "NETWORK SERVICE", "NT AUTHORITY", 0x3e4),
            (
                "S-1-5-21-1004336348-1177238915-682003330-1104",
                "svc-admin",
                "CORP",
                0x2c9f1a,
            ),
            (
                "S-1-5-21-1004336348-1177238915-682003330-1131",
                "svc-sql",
                "CORP",
                0x1b0e77,
            ),
            (
                "S-1-5-21-1004336348-1177238915-682003330-2201",
                "jdoe",
                "CORP",
                0x7a3c02,
            ),
        ])
    }

    fn security_event(&mut self, wmi_event: bool) -> Event {
        if wmi_event {
            return self.process_creation_4688(true);
        }
        match self.rng.weighted(&[22, 5, 14, 20, 24, 8, 2, 5]) {
            0 => self.logon_4624(),
            1 => {
                let (sid, user, domain, logon) = self.account();
                self.security(4634, 0, 12545)
                    .with("TargetUserSid", Value::Sid(sid.into()))
                    .with("TargetUserName", user)
                    .with("TargetDomainName", domain)
                    .with("TargetLogonId", Value::Hex64(logon))
                    .with("LogonType", 3u32)
            }
            2 => {
                let (sid, user, domain, logon) = self.account();
                self.security(4672, 0, 12548)
                    .with("SubjectUserSid", Value::Sid(sid.into()))
                    .with("SubjectUserName", user)
                    .with("SubjectDomainName", domain)
                    .with("SubjectLogonId", Value::Hex64(logon))
                    .with("PrivilegeList", "SeAssignPrimaryTokenPrivilege\r\n\t\t\tSeTcbPrivilege\r\n\t\t\tSeSecurityPrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeAuditPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege")
            }
            3 => self.process_creation_4688(false),
            4 => self.object_access_4663(),
            5 | 6 => self.service_event(),
            _ => self.restart_manager_event(),
        }
    }

    fn logon_4624(&mut self) -> Event {
        let (sid, user, domain, logon) = self.account();
        let logon_type = *self.rng.pick(&[3u32, 3, 3, 5, 2, 10]);
        let ip = format!("10.20.{}.{}", self.rng.below(16), self.rng.range(1, 254));
        let port = self.rng.range(49152, 65535).to_string();
        self.security(4624, 2, 12544)
            .with("SubjectUserSid", Value::Sid("S-1-0-0".into()))
            .with("SubjectUserName", "-")
            .with("SubjectDomainName", "-")
            .with("SubjectLogonId", Value::Hex64(0))
            .with("TargetUserSid", Value::Sid(sid.into()))
            .with("TargetUserName", user)
            .with("TargetDomainName", domain)
            .with(
                "TargetLogonId",
                Value::Hex64(logon + self.rng.below(0x10000)),
            )
            .with("LogonType", logon_type)
            .with("LogonProcessName", "Kerberos")
            .with("AuthenticationPackageName", "Kerberos")
            .with("WorkstationName", "-")
            .with("LogonGuid", Value::Guid(self.rng.guid()))
            .with("TransmittedServices", "-")
            .with("LmPackageName", "-")
            .with("KeyLength", 0u32)
            .with("ProcessId", Value::Hex64(0))
            .with("ProcessName", "-")
            .with("IpAddress", ip)
            .with("IpPort", port)
            .with("ImpersonationLevel", "%%1833")
            .with("RestrictedAdminMode", "-")
            .with("TargetOutboundUserName", "-")
            .with("TargetOutboundDomainName", "-")
            .with("VirtualAccount", "%%1843")
            .with("TargetLinkedLogonId", Value::Hex64(0))
            .with("ElevatedToken", "%%1842")
    }

    /// 4688; with `wmi`, WmiPrvSE.exe is the parent or the new process.
    fn process_creation_4688(&mut self, wmi: bool) -> Event {
        let (sid, user, domain, logon) = self.account();
        let (new_name, cmd, parent) = if wmi {
            if self.rng.chance(0.7) {
                let &(image, cmd, _, _) = self.rng.pick(WMI_CHILDREN);
                (image, fill(cmd, &mut self.rng), WMIPRVSE)
            } else {
                (
                    WMIPRVSE,
                    r"C:\Windows\system32\wbem\wmiprvse.exe -Embedding".to_owned(),
                    SVCHOST,
                )
            }
        } else {
            let &(image, cmd, _, _) = self.rng.pick(SHORT_LIVED);
            let parent = self.any_proc().image;
            (image, fill(cmd, &mut self.rng), parent)
        };
        self.security(4688, 2, 13312)
            .with("SubjectUserSid", Value::Sid(sid.into()))
            .with("SubjectUserName", user)
            .with("SubjectDomainName", domain)
            .with("SubjectLogonId", Value::Hex64(logon))
            .with(
                "NewProcessId",
                Value::Hex64(self.rng.range(0x400, 0x8000) & !3),
            )
            .with("NewProcessName", new_name)
            .with("TokenElevationType", "%%1936")
            .with(
                "ProcessId",
                Value::Hex64(self.rng.range(0x200, 0x2000) & !3),
            )
            .with("CommandLine", cmd)
            .with("TargetUserSid", Value::Sid("S-1-0-0".into()))
            .with("TargetUserName", "-")
            .with("TargetDomainName", "-")
            .with("TargetLogonId", Value::Hex64(0))
            .with("ParentProcessName", parent)
            .with("MandatoryLabel", Value::Sid("S-1-16-16384".into()))
    }

    fn object_access_4663(&mut self) -> Event {
        let (sid, user, domain, logon) = self.account();
        let template = *self.rng.pick(FILE_TARGETS);
        let object = fill(template, &mut self.rng);
        let p = self.any_proc();
        self.security(4663, 1, 12800)
            .with("SubjectUserSid", Value::Sid(sid.into()))
            .with("SubjectUserName", user)
            .with("SubjectDomainName", domain)
            .with("SubjectLogonId", Value::Hex64(logon))
            .with("ObjectServer", "Security")
            .with("ObjectType", "File")
            .with("ObjectName", object)
            .with("HandleId", Value::Hex64(self.rng.range(0x100, 0x4000) & !3))
            .with("AccessList", "%%4417\r\n\t\t\t\t")
            .with("AccessMask", "0x2")
            .with("ProcessId", Value::Hex64(u64::from(p.pid)))
            .with("ProcessName", p.image)
            .with("ResourceAttributes", "S:AI")
    }

    fn service_event(&mut self) -> Event {
        let service = *self.rng.pick(&[
            "Windows Update",
            "Background Intelligent Transfer Service",
            "Windows Modules Installer",
            "Microsoft Defender Antivirus Network Inspection Service",
            "WinHTTP Web Proxy Auto-Discovery Service",
        ]);
        let mut ev = Event::new(SCM, 7036, "System", COMPUTER, self.clock.filetime());
        ev.provider_guid = Some(self.ids.scm);
        ev.keywords = 0x8080_0000_0000_0000;
        ev.process_id = 704;
        ev.thread_id = 7420;
        let state = *self.rng.pick(&["running", "stopped"]);
        let binary = format!("{}0000", self.rng.hex(24));
        ev.with("param1", service)
            .with("param2", state)
            .with("Binary", binary)
    }

    fn restart_manager_event(&mut self) -> Event {
        let start = self.rng.chance(0.5);
        let mut ev = Event::new(
            RESTART_MANAGER,
            if start { 10000 } else { 10001 },
            "Application",
            COMPUTER,
            self.clock.filetime(),
        );
        ev.provider_guid = Some(self.ids.restart_manager);
        ev.user_sid = Some("S-1-5-18".into());
        ev.process_id = 5312;
        ev.thread_id = 6120;
        let time_field = if start { "UTCStartTime" } else { "UTCEndTime" };
        ev.with("RmSessionId", self.rng.below(4) as u32)
            .with(time_field, Value::FileTime(self.clock.filetime()))
    }
}
