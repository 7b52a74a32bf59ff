//! The "who did it" pass: for each finding, the caller behind the WmiPrvSE.exe write, from the
//! events around it (`docs/attribution.md`). This file only decides what to read; the
//! weighing is `detect::attribution`, which sees plain events.
//!
//! It reads in two steps, both through `run_units` with the pre-filter, and both only in the
//! chunks the first pass's index says span the findings' windows (`super::window_units`):
//! 1. the written hosts' Security, Sysmon, WMI-Activity and PowerShell logs (and files whose
//!    host and log are unknown), each kind searched for the words its wanted records hold
//!    (`LogKind::words`: logon template field names in Security, whose chunks are then
//!    rendered whole; values such as the provider host's name elsewhere), payload names and
//!    WMI call words; outside the windows (before the last), only records that join by identity,
//!    found by their binary values (the writer's Sysmon process GUID, a 4657 subject's logon
//!    id);
//! 2. when that names remote callers, their hosts' Sysmon, Security and PowerShell logs (by
//!    name; every other host's when a caller is known only by its address), rendering records
//!    that name a WMI call, the written hosts or their addresses.
//!
//! Of what is rendered, only events a finding can use are kept (`Relevant`).
//! With no findings it reads nothing.

use super::{first_holding, run_units, window_units, ChunkIndex, PassError, Pick, Silent, Unit};
use crate::detect::attribution::{
    self, call_words, same_host, short_host, Collection, Coverage, Seen, Write, CLOCK_SKEW,
    REGISTRY_PROVIDER,
};
use crate::event::context::ContextEvent;
use crate::event::{
    is_powershell, is_security, is_sysmon, is_wmi_activity, parse_id, Origin, SECURITY_PROVIDER,
};
use crate::evidence::EvidenceFile;
use crate::finding::{Finding, FindingKind};
use crate::read::needle::Needle;
use crate::read::{LogIdentity, Reader};
use crate::report::{AttributionStats, FileSummary};
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// Options of the pass.
#[derive(Debug, Clone, Copy)]
pub struct AttributionOptions {
    /// Worker threads.
    pub threads: usize,
    /// Also carve records from chunk slack, as the detection pass did.
    pub recover: bool,
    /// How long before each write to look.
    pub window: SignedDuration,
}

/// The logs read on a written host, each searched for its own words (besides payload names and
/// WMI call words, which every kind is searched for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogKind {
    Security,
    Sysmon,
    WmiActivity,
    PowerShell,
    /// A file whose host and log could not be read: searched for every word.
    Unknown,
}

impl LogKind {
    const ALL: [LogKind; 5] = [
        LogKind::Security,
        LogKind::Sysmon,
        LogKind::WmiActivity,
        LogKind::PowerShell,
        LogKind::Unknown,
    ];

    /// Which kind a log is; `None` for logs that hold no attribution evidence.
    fn of(log: Option<&LogIdentity>) -> Option<LogKind> {
        Some(match log {
            None => LogKind::Unknown,
            Some(l) if is_security(l) => LogKind::Security,
            Some(l) if is_sysmon(l) => LogKind::Sysmon,
            Some(l) if is_wmi_activity(l) => LogKind::WmiActivity,
            Some(l) if is_powershell(l) => LogKind::PowerShell,
            Some(_) => return None,
        })
    }

    /// What its wanted records hold. Field names (`TargetLogonId` of 4624, `PrivilegeList` of
    /// 4672, `ClientMachine` of 5858 and 5860) sit in template definitions, so a chunk holding
    /// one is rendered whole (`docs/prefilter.md`); values pick single records: the provider
    /// host (its creation, connections and image loads), the registry provider's DLL (Sysmon 7,
    /// 5857), `svchost.exe` (5156's application path of the RPC endpoints) and, in Sysmon,
    /// `epmap`, the port name Sysmon writes for the endpoint mapper's port 135 (`svchost.exe`
    /// would render most of a Sysmon log).
    fn words(self) -> &'static [&'static str] {
        match self {
            LogKind::Security => &[
                "TargetLogonId",
                "PrivilegeList",
                "wmiprvse.exe",
                "svchost.exe",
            ],
            LogKind::Sysmon => &["wmiprvse.exe", "stdprov.dll", "epmap"],
            LogKind::WmiActivity => &["ClientMachine", "stdprov.dll"],
            LogKind::PowerShell => &[],
            LogKind::Unknown => &[
                "TargetLogonId",
                "PrivilegeList",
                "ClientMachine",
                "wmiprvse.exe",
                "svchost.exe",
                "stdprov.dll",
                "epmap",
            ],
        }
    }
}

/// Whether a log can hold a caller's command, connection or explicit credentials.
fn caller_host_log(log: &LogIdentity) -> bool {
    is_security(log) || is_sysmon(log) || is_powershell(log)
}

/// Fills `attribution` for every finding (`summaries[i]` describes `files[i]`, and `index` their
/// chunks).
pub fn attribute(
    files: &[EvidenceFile],
    summaries: &[FileSummary],
    index: &ChunkIndex,
    findings: &mut [Finding],
    options: AttributionOptions,
) -> Result<AttributionStats, PassError> {
    let mut stats = AttributionStats::default();
    if findings.is_empty() {
        return Ok(stats);
    }
    let writes: Vec<Write> = findings.iter().map(write_of).collect();
    let targets: BTreeSet<String> = writes.iter().map(|w| w.host.to_ascii_lowercase()).collect();
    let window = options.window;
    let mut collection = coverage(summaries);
    let relevant = Relevant::around(&writes, window);
    let payloads: Vec<&str> = writes.iter().filter_map(|w| w.payload).collect();
    // The same for every kind of log: the joins by identity, and the writers' creations.
    let joins = relevant.join_needle();
    let guids = relevant.guid_keys();
    let creations = (!guids.is_empty()).then(|| Needle::raw(&guids));
    for kind in LogKind::ALL {
        let group = select(summaries, |id| {
            LogKind::of(id) == Some(kind)
                && id.is_none_or(|id| targets.contains(&id.host.to_ascii_lowercase()))
        });
        let mut words: Vec<String> = kind
            .words()
            .iter()
            .copied()
            .chain(call_words())
            .map(str::to_string)
            .collect();
        words.extend(payloads.iter().map(|p| p.to_string()));
        let (windowed, joined) = units(files, summaries, index, &group, &relevant);
        stats.files += group.len();
        let created = match kind {
            LogKind::Sysmon | LogKind::Unknown => first_holding(files, &joined, index, |file| {
                writers_on(&writes, summaries, file)
            }),
            _ => Vec::new(),
        };
        let needles = [
            (windowed, Some(text_needle(&words)?)),
            (joined, joins.clone()),
            (created, creations.clone()),
        ];
        for (units, needle) in needles {
            let (around, rendered) = read(files, units, needle, &relevant, options)?;
            stats.rendered += rendered;
            stats.events += around.len();
            around.into_iter().for_each(|s| collection.add(s));
        }
    }
    collection.finish();
    let first_look: Vec<_> = writes
        .iter()
        .map(|w| attribution::attribute(w, &collection, options.window))
        .collect();
    if let Some(second) = caller_files(summaries, &targets, &first_look) {
        let words = caller_words(&collection, &targets, &first_look);
        let relevant = Relevant::callers(&writes, window);
        let (windowed, _) = units(files, summaries, index, &second, &relevant);
        let needle = Some(text_needle(&words)?);
        let (theirs, rendered) = read(files, windowed, needle, &relevant, options)?;
        stats.files += second.len();
        stats.caller_files = second.len();
        stats.rendered += rendered;
        stats.events += theirs.len();
        theirs.into_iter().for_each(|s| collection.add(s));
        collection.finish();
    }
    let results: Vec<_> = writes
        .iter()
        .map(|w| attribution::attribute(w, &collection, options.window))
        .collect();
    for (finding, result) in findings.iter_mut().zip(results) {
        stats.count(result.grade);
        finding.attribution = Some(result);
    }
    Ok(stats)
}

/// The writing processes' GUIDs (as stored in records) of the writes on the host of file
/// `file`; every write's when its host is unknown.
fn writers_on(writes: &[Write], summaries: &[FileSummary], file: usize) -> Vec<Vec<u8>> {
    let host = summaries
        .get(file)
        .and_then(|s| s.identity.as_ref())
        .map(|id| id.host.as_str());
    writes
        .iter()
        .filter(|w| host.is_none_or(|h| same_host(h, w.host)))
        .filter_map(|w| guid_bytes(w.process_guid?))
        .collect()
}

/// The indices of the files whose identity `keep` accepts (`None`: unknown host and log).
fn select(summaries: &[FileSummary], keep: impl Fn(Option<&LogIdentity>) -> bool) -> Vec<usize> {
    summaries
        .iter()
        .enumerate()
        .filter(|(_, summary)| keep(summary.identity.as_ref()))
        .map(|(i, _)| i)
        .collect()
}

/// The chunks of the files `chosen` to read: those that span one of the windows `relevant`
/// keeps for the file's host, and the others before the last one ends (for records joined by
/// identity, which come before the write).
fn units(
    files: &[EvidenceFile],
    summaries: &[FileSummary],
    index: &ChunkIndex,
    chosen: &[usize],
    relevant: &Relevant,
) -> (Vec<Unit>, Vec<Unit>) {
    let (mut inside, mut before) = (Vec::new(), Vec::new());
    for &i in chosen {
        let (Some(file), Some(entries)) = (files.get(i), index.files.get(i)) else {
            continue;
        };
        let host = summaries
            .get(i)
            .and_then(|s| s.identity.as_ref())
            .map(|id| id.host.to_ascii_lowercase());
        let windows = relevant.seconds(host.as_deref());
        inside.extend(window_units(i, file, entries, &windows, Pick::Inside));
        before.extend(window_units(i, file, entries, &windows, Pick::Before));
    }
    (inside, before)
}

/// The pre-filter for words of text.
fn text_needle(words: &[String]) -> Result<Needle, PassError> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    Needle::new(&words).map_err(PassError::Prefilter)
}

/// Which logs each host has in the collection.
fn coverage(summaries: &[FileSummary]) -> Collection {
    let mut collection = Collection::default();
    for id in summaries.iter().filter_map(|s| s.identity.as_ref()) {
        let logs = Coverage {
            security: is_security(id),
            sysmon: is_sysmon(id),
            wmi_activity: is_wmi_activity(id),
            powershell: is_powershell(id),
        };
        collection.cover(&id.host, logs);
    }
    collection
}

/// The write as the attribution sees it: a registry event, or a subscription's anchor event
/// (a write to the WMI repository, whose Sysmon `User` names its creator).
fn write_of(f: &Finding) -> Write<'_> {
    let payload = f.payload.as_ref().map(|p| p.needle());
    let e = match &f.kind {
        FindingKind::Registry { event, .. } => event,
        FindingKind::Subscription(s) => {
            let a = &s.anchor;
            return Write {
                host: &a.host,
                timestamp: a.timestamp,
                origin: Origin {
                    timestamp: a.timestamp,
                    host: a.host.clone(),
                    channel: a.channel.clone(),
                    event_id: a.event_id,
                    record_id: a.record_id,
                },
                source: f.source.to_string_lossy().into_owned(),
                process_id: None,
                process_guid: None,
                sysmon_user: a.user.as_deref(),
                subject: None,
                subject_logon_id: None,
                payload,
            };
        }
    };
    let security = e.provider.eq_ignore_ascii_case(SECURITY_PROVIDER);
    Write {
        host: &e.host,
        timestamp: e.timestamp,
        origin: Origin {
            timestamp: e.timestamp,
            host: e.host.clone(),
            channel: e.channel.clone(),
            event_id: e.event_id,
            record_id: e.record_id,
        },
        source: f.source.to_string_lossy().into_owned(),
        process_id: e.process_id,
        process_guid: e.process_guid.as_deref(),
        sysmon_user: if security { None } else { e.user.as_deref() },
        subject: if security { e.user.as_deref() } else { None },
        subject_logon_id: if security {
            e.logon_id.as_deref().and_then(parse_id)
        } else {
            None
        },
        payload,
    }
}

/// The other hosts' logs to read for the callers' side, or `None` when no finding names a
/// remote caller. Hosts are taken by the callers' names; a caller known only by its address
/// could be any host, so then every other host's logs are read. A caller whose name no host
/// in the collection has is not looked for (its gap says so).
fn caller_files(
    summaries: &[FileSummary],
    targets: &BTreeSet<String>,
    first_look: &[attribution::Attribution],
) -> Option<Vec<usize>> {
    let callers: Vec<&attribution::Caller> = first_look
        .iter()
        .flat_map(|a| a.caller.iter().chain(&a.alternatives))
        .filter(|c| c.remote == Some(true))
        .collect();
    let anonymous = callers.iter().any(|c| c.source_host.is_none());
    let wanted = |host: &str| {
        anonymous
            || callers
                .iter()
                .any(|c| c.source_host.as_deref().is_some_and(|n| same_host(n, host)))
    };
    let chosen = select(summaries, |id| {
        id.is_some_and(|id| {
            caller_host_log(id)
                && !targets.contains(&id.host.to_ascii_lowercase())
                && wanted(&id.host)
        })
    });
    (!chosen.is_empty()).then_some(chosen)
}

/// Words that a caller's command, connection or 4648 holds: WMI calls, the written hosts'
/// names and addresses, and the callers' addresses.
fn caller_words(
    collection: &Collection,
    targets: &BTreeSet<String>,
    first_look: &[attribution::Attribution],
) -> Vec<String> {
    let mut words: BTreeSet<String> = call_words().map(str::to_string).collect();
    for host in targets {
        words.insert(host.clone());
        words.insert(short_host(host).to_ascii_lowercase());
        words.extend(collection.addresses(host));
    }
    for caller in first_look
        .iter()
        .flat_map(|a| a.caller.iter().chain(&a.alternatives))
    {
        words.extend(caller.source_ip.clone());
    }
    words.into_iter().collect()
}

/// Reads `units` of `files` through the pre-filter with `needle` (nothing when `None`),
/// keeping the attribution events `relevant` wants; also how many records were rendered.
fn read(
    files: &[EvidenceFile],
    units: Vec<Unit>,
    needle: Option<Needle>,
    relevant: &Relevant,
    options: AttributionOptions,
) -> Result<(Vec<Seen>, u64), PassError> {
    let Some(needle) = needle.filter(|_| !units.is_empty()) else {
        return Ok((Vec::new(), 0));
    };
    let reader = Reader::new(Some(needle), options.recover, ContextEvent::EXTRACTOR);
    let units = run_units(
        files,
        units,
        options.threads,
        &reader,
        &Silent,
        |_, evidence, batch| {
            let label = evidence.label().to_string_lossy().into_owned();
            let rendered = batch.rendered;
            let seen: Vec<Seen> = batch
                .events
                .into_iter()
                .map(|e| Seen::new(e.event, label.clone()))
                .filter(|s| relevant.keeps(s))
                .collect();
            ((seen, rendered), 0)
        },
    )?;
    let rendered = units.iter().map(|(_, n)| n).sum();
    Ok((
        units.into_iter().flat_map(|(seen, _)| seen).collect(),
        rendered,
    ))
}

/// The events the weighing can use: those in a finding's window (on its host; on a caller's
/// host, any finding's window widened by the clock skew), and those it joins by identity
/// whatever their time: a 4657 subject's logon and its 4672, and the writing process's
/// creation and image loads by Sysmon GUID. Keeping only these, on the workers, bounds memory
/// by the findings rather than by the logs.
struct Relevant {
    /// Merged windows by host (lower-case); `None` for any host.
    windows: BTreeMap<Option<String>, Vec<(Timestamp, Timestamp)>>,
    /// (host, logon id) of 4657 subjects.
    logons: BTreeSet<(String, u64)>,
    /// Writers' Sysmon GUIDs, lower-case.
    guids: BTreeSet<String>,
}

impl Relevant {
    /// For the written hosts' logs.
    /// A written host can also be another write's caller (a chain of lateral movement), so its
    /// events in any finding's caller window are kept too.
    fn around(writes: &[Write], window: SignedDuration) -> Relevant {
        let spans = writes.iter().flat_map(|w| {
            let t = w.timestamp;
            [
                (Some(w.host.to_ascii_lowercase()), t - window, t),
                (None, t - window - CLOCK_SKEW, t + CLOCK_SKEW),
            ]
        });
        let logons = writes
            .iter()
            .filter_map(|w| Some((w.host.to_ascii_lowercase(), w.subject_logon_id?)))
            .collect();
        let guids = writes
            .iter()
            .filter_map(|w| Some(w.process_guid?.to_ascii_lowercase()))
            .collect();
        Relevant {
            windows: merged(spans),
            logons,
            guids,
        }
    }

    /// For the callers' hosts' logs.
    fn callers(writes: &[Write], window: SignedDuration) -> Relevant {
        let spans = writes.iter().map(|w| {
            let t = w.timestamp;
            (None, t - window - CLOCK_SKEW, t + CLOCK_SKEW)
        });
        Relevant {
            windows: merged(spans),
            logons: BTreeSet::new(),
            guids: BTreeSet::new(),
        }
    }

    /// The windows for a file of `host` (lower-case; `None`: unknown), in whole seconds.
    fn seconds(&self, host: Option<&str>) -> Vec<(i64, i64)> {
        let mut spans: Vec<(i64, i64)> = self
            .windows
            .iter()
            .filter(|(key, _)| host.is_none() || key.is_none() || key.as_deref() == host)
            .flat_map(|(_, spans)| spans.iter())
            .map(|(from, to)| (from.as_second(), to.as_second() + 1))
            .collect();
        spans.sort_unstable();
        spans
    }

    /// The records before the windows that still join a finding, found by their binary values
    /// (a GUID, a 64-bit integer) byte for byte: a 4657 subject's logon by its id, and the
    /// writer's registry provider load (Sysmon 7) by its process GUID, in chunks that name the
    /// provider's DLL. The writer's creation, the one other event the weighing joins by GUID,
    /// is read from the first chunk in time naming the GUID (`super::first_holding`):
    /// elsewhere the GUID is mostly in the writer's other loads, accesses and children, every
    /// one rendered for nothing.
    fn join_needle(&self) -> Option<Needle> {
        let loads = (!self.guids.is_empty())
            .then(|| Needle::raw(&self.guid_keys()).in_chunks_with(&[REGISTRY_PROVIDER]));
        let logons: Vec<Vec<u8>> = self
            .logons
            .iter()
            .map(|(_, id)| id.to_le_bytes().to_vec())
            .collect();
        let logons = (!logons.is_empty()).then(|| Needle::raw(&logons));
        match (loads, logons) {
            (Some(a), Some(b)) => Some(a.or(b)),
            (a, b) => a.or(b),
        }
    }

    /// The writers' process GUIDs as stored in records.
    fn guid_keys(&self) -> Vec<Vec<u8>> {
        self.guids.iter().filter_map(|g| guid_bytes(g)).collect()
    }

    fn keeps(&self, seen: &Seen) -> bool {
        let host = seen.origin.host.to_ascii_lowercase();
        let t = seen.origin.timestamp;
        let within = |key: Option<String>| {
            self.windows.get(&key).is_some_and(|spans| {
                let i = spans.partition_point(|(from, _)| *from <= t);
                i > 0 && spans.get(i - 1).is_some_and(|(_, to)| t <= *to)
            })
        };
        let logon =
            |id: Option<u64>| id.is_some_and(|id| self.logons.contains(&(host.clone(), id)));
        let guid = |g: &Option<String>| {
            g.as_deref()
                .is_some_and(|g| self.guids.contains(&g.to_ascii_lowercase()))
        };
        within(None)
            || within(Some(host.clone()))
            || match &seen.event {
                ContextEvent::Logon(l) => logon(l.logon_id),
                ContextEvent::Privileges(p) => logon(p.logon_id),
                ContextEvent::Process(p) => guid(&p.process_guid),
                ContextEvent::ImageLoad(l) => guid(&l.process_guid),
                _ => false,
            }
    }
}

/// Spans by host, sorted and merged where they overlap.
fn merged(
    spans: impl Iterator<Item = (Option<String>, Timestamp, Timestamp)>,
) -> BTreeMap<Option<String>, Vec<(Timestamp, Timestamp)>> {
    let mut by_host: BTreeMap<Option<String>, Vec<(Timestamp, Timestamp)>> = BTreeMap::new();
    for (host, from, to) in spans {
        by_host.entry(host).or_default().push((from, to));
    }
    for spans in by_host.values_mut() {
        spans.sort();
        let mut out: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(spans.len());
        for &(from, to) in spans.iter() {
            match out.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => out.push((from, to)),
            }
        }
        *spans = out;
    }
    by_host
}

/// A GUID as EVTX stores it (`{747f3d96-041e-5fd2-0000-001024df3b00}`: the first three groups
/// little-endian, the last two as written).
fn guid_bytes(text: &str) -> Option<Vec<u8>> {
    let hex: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if hex.len() != 32 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok();
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    order.iter().map(|&i| byte(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_stored_mixed_endian() {
        assert_eq!(
            guid_bytes("{747f3d96-041e-5fd2-0000-001024df3b00}"),
            Some(vec![
                0x96, 0x3d, 0x7f, 0x74, 0x1e, 0x04, 0xd2, 0x5f, 0x00, 0x00, 0x00, 0x10, 0x24, 0xdf,
                0x3b, 0x00
            ])
        );
        assert_eq!(guid_bytes("{not-a-guid}"), None);
    }
}
