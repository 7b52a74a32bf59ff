//! The synthetic corpora: deterministic Sysmon and Security logs written with the test kit's
//! `EvtxWriter`, whose content is known exactly.
//!
//! Why a generator: a benchmark needs gigabytes of evidence whose content is known (how many
//! chunks name WmiPrvSE.exe, which records are true positives), and real Windows logs can be
//! neither shipped nor described that precisely. This writes real EVTX files (templates,
//! 64 KiB chunks, CRCs), so every reader, wmihunt and the `evtx_dump` baseline alike, does the
//! work it would do on real evidence.
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
//!   spaced chunks; the truth list names them for the benchmark to check the findings against.
//!
//! Everything comes from one seeded splitmix64 generator: the same arguments always give the
//! same bytes.

use super::vocab::*;
use super::{Kind, TruePositive};
use std::fs::File;
use std::io::{self, BufWriter, Cursor, Seek, Write};
use std::path::Path;
use wmihunt_testkit::writer::{filetime_from_unix, Event, EvtxWriter, Value};

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
const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const SCM: &str = "Service Control Manager";
const RESTART_MANAGER: &str = "Microsoft-Windows-RestartManager";

/// Writes the synthetic corpus of `kind` into `files` (path, chunks); returns the records
/// written and the true positives (file index, record ID, TargetObject).
pub(super) fn write(
    kind: Kind,
    seed: u64,
    files: &[(std::path::PathBuf, u64)],
) -> Result<(u64, Vec<TruePositive>), String> {
    let ids = ProviderIds::new()?;
    let mut gen = Gen::new(kind, seed, ids);
    let total: u64 = files.iter().map(|(_, c)| c).sum();
    let tp_chunks = true_positive_chunks(kind, total);
    let mut records = 0;
    let mut truth = Vec::new();
    let mut first_global_chunk = 0;
    for (i, (path, chunks)) in files.iter().enumerate() {
        let mut file = FileJob {
            chunks: *chunks,
            first_global_chunk,
            tp_chunks: &tp_chunks,
            written: Written::default(),
        };
        first_global_chunk += chunks;
        file.write(path, &mut gen)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        records += file.written.records;
        for (record_id, target_object) in file.written.true_positives {
            truth.push(TruePositive {
                file: i,
                record_id,
                target_object,
            });
        }
        if files.len() > 1 && (i + 1) % 500 == 0 {
            eprintln!("xtask corpus: {} of {} files", i + 1, files.len());
        }
    }
    Ok((records, truth))
}

/// Global chunk indices that get a true positive: evenly spaced, centred in their share.
fn true_positive_chunks(kind: Kind, total_chunks: u64) -> Vec<u64> {
    if kind == Kind::Security || total_chunks == 0 {
        return Vec::new();
    }
    let n = (total_chunks / CHUNKS_PER_TRUE_POSITIVE)
        .max(MIN_TRUE_POSITIVES)
        .min(total_chunks);
    (0..n)
        .map(|k| (2 * k + 1) * total_chunks / (2 * n))
        .collect()
}

/// Target fraction of chunks that name WmiPrvSE.exe.
fn wmi_chunk_fraction(kind: Kind) -> f64 {
    match kind {
        Kind::Sysmon30 => 0.30,
        _ => 0.10,
    }
}

struct FileJob<'a> {
    /// Chunks to write (the last one filled as full as the next event allows).
    chunks: u64,
    /// Index of this file's first chunk in the whole corpus.
    first_global_chunk: u64,
    /// Global chunk indices that get a true positive (sorted).
    tp_chunks: &'a [u64],
    written: Written,
}

/// What writing one file produced.
#[derive(Default)]
struct Written {
    records: u64,
    /// (record ID, TargetObject) of each true positive.
    true_positives: Vec<(u64, String)>,
}

impl FileJob<'_> {
    /// Writes the file: events until `chunks - 1` chunks are complete, then exactly as many
    /// as still fit in the last chunk, so no file ends in a nearly empty chunk.
    fn write(&mut self, path: &Path, gen: &mut Gen) -> io::Result<()> {
        let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let mut w = EvtxWriter::new(out)?;
        // Events in the open chunk, kept only for the dry run of the last chunk.
        let mut held: Vec<Event> = Vec::new();
        let mut open = 0;
        self.begin_chunk(gen, &mut w, open, &mut held, false)?;
        while open + 1 < self.chunks {
            let mut ev = gen.next_event();
            self.push(&mut w, &mut ev, gen)?;
            if w.chunks_written() > open {
                // `ev` did not fit and opened the next chunk.
                open = w.chunks_written();
                held.clear();
                held.push(ev);
                let spilled = gen.last_was_wmi;
                self.begin_chunk(gen, &mut w, open, &mut held, spilled)?;
            }
        }
        for _ in 0..events_that_fit(gen, &held)? {
            let mut ev = gen.next_event();
            self.push(&mut w, &mut ev, gen)?;
        }
        if w.chunks_written() != open {
            return Err(io::Error::other("the dry run of the last chunk went wrong"));
        }
        w.finish()?.flush()
    }

    /// A chunk has just opened (holding `held`; `spilled`: its first event names WmiPrvSE.exe):
    /// place its true positive, if it gets one, and decide whether it is a WMI chunk.
    fn begin_chunk<W: Write + Seek>(
        &mut self,
        gen: &mut Gen,
        w: &mut EvtxWriter<W>,
        open: u64,
        held: &mut Vec<Event>,
        spilled: bool,
    ) -> io::Result<()> {
        let global = self.first_global_chunk + open;
        let has_tp = self.tp_chunks.binary_search(&global).is_ok();
        gen.start_chunk(spilled || has_tp);
        if has_tp {
            let (mut ev, target) = gen.true_positive();
            let id = self.push(w, &mut ev, gen)?;
            self.written.true_positives.push((id, target));
            held.push(ev);
        }
        Ok(())
    }

    /// Pushes `ev` with the next record ID (record IDs run on across the files of a folder, as
    /// in archived logs); returns the ID.
    fn push<W: Write + Seek>(
        &mut self,
        w: &mut EvtxWriter<W>,
        ev: &mut Event,
        gen: &mut Gen,
    ) -> io::Result<u64> {
        ev.record_id = Some(gen.next_record_id);
        gen.next_record_id += 1;
        self.written.records += 1;
        w.push(ev)
    }
}

/// How many of `gen`'s next events fit in a chunk that already holds `held`: a dry run of
/// the same events into a writer in memory (a chunk's layout depends only on its events).
fn events_that_fit(gen: &Gen, held: &[Event]) -> io::Result<u64> {
    let mut gen = gen.clone();
    let mut dry = EvtxWriter::new(Cursor::new(Vec::new()))?;
    for ev in held {
        dry.push(ev)?;
    }
    let mut fit = 0;
    loop {
        let mut ev = gen.next_event();
        ev.record_id = Some(gen.next_record_id);
        gen.next_record_id += 1;
        dry.push(&ev)?;
        if dry.chunks_written() > 0 {
            return Ok(fit);
        }
        fit += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness and time.

/// splitmix64: tiny, fast, and good enough for synthetic logs.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the tiny modulo bias does not matter here).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index into `weights`, chosen in proportion to them.
    pub(super) fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    pub(super) fn hex(&mut self, chars: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        (0..chars)
            .map(|_| char::from(DIGITS[self.below(16) as usize]))
            .collect()
    }

    pub(super) fn guid(&mut self) -> [u8; 16] {
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
        let target = wmi_chunk_fraction(self.kind);
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
            Kind::Security => self.security_event(wmi_event),
            _ if wmi_event => self.sysmon_wmi_event(),
            _ => self.sysmon_event(),
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
