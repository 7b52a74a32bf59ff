//! A small streaming writer of real EVTX (Windows XML Event Log) files.
//!
//! wmihunt reads EVTX evidence, so its tests need fixtures with known content and its benchmark
//! needs gigabytes of realistic logs; neither can ship real Windows logs. This writer produces
//! files laid out the way the Windows event log service lays them out, so the reader sees what it
//! would see on real evidence:
//!
//! * a 4 KiB file header, then 64 KiB chunks, each with its header, CRC32s and its string and
//!   template hash tables (64 and 32 buckets, chained through the entries' next offsets);
//! * one record per event: a BinXML fragment holding a template instance. The template definition
//!   (the `Event` element tree, every value a substitution) is written inline in the first record
//!   of a chunk that uses it and referenced by offset from later records of that chunk; element
//!   and attribute names are written once per chunk and referenced by offset after that;
//! * the `System` element of a Windows event (substitution slots 0 to 17 in the order Windows
//!   uses), then `<EventData>` with one `<Data Name="...">` per field.
//!
//! Template definitions are keyed, per chunk, by provider, event ID, version, the Data names and
//! value types, and whether the event has a user SID, as Windows keys them by manifest template.
//!
//! Output streams to any `Write + Seek`: each chunk is written when full, and the file header,
//! which counts chunks and records, is rewritten by [`EvtxWriter::finish`].
//!
//! The bytes are laid out by [`crate::binxml::ChunkBuilder`] and the headers by
//! [`crate::layout`], which the crafted-chunk tests share; this module decides what goes in.

use std::collections::HashMap;
use std::io::{self, Seek, SeekFrom, Write};

use crate::binxml::{put_utf16, tok, ty, ChunkBuilder, Node};
use crate::layout::{ChunkHeader, FileHeader};
pub use crate::layout::{CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_HEADER_BLOCK};

/// The namespace Windows puts on every `Event` element.
const EVENT_XMLNS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";
/// The namespace of the WMI-Activity `UserData` element, as Windows writes it.
const USER_DATA_XMLNS: &str = "http://manifests.microsoft.com/win/2006/windows/WMI";
/// Seconds from 1601-01-01 (FILETIME epoch) to 1970-01-01 (Unix epoch).
const FILETIME_UNIX_OFFSET_SECS: i128 = 11_644_473_600;
/// The latest record header time readers accept: the `evtx` crate converts it to a
/// `jiff::Timestamp`, whose range ends at 9999-12-30T22:00:00.999999999Z.
const MAX_RECORD_FILETIME: u64 = 2_650_466_808_009_999_999;
/// Number of substitution slots the `System` element uses; EventData values follow.
const SYSTEM_SLOTS: usize = 18;

/// The `System` substitution slots, numbered as in Windows' own event templates.
mod slot {
    pub const LEVEL: u16 = 0;
    pub const OPCODE: u16 = 1;
    pub const TASK: u16 = 2;
    pub const EVENT_ID: u16 = 3;
    pub const QUALIFIERS: u16 = 4;
    pub const KEYWORDS: u16 = 5;
    pub const TIME_CREATED: u16 = 6;
    pub const ACTIVITY_ID: u16 = 7;
    pub const PROCESS_ID: u16 = 8;
    pub const THREAD_ID: u16 = 9;
    pub const RECORD_ID: u16 = 10;
    pub const VERSION: u16 = 11;
    pub const USER_ID: u16 = 12;
    pub const RELATED_ACTIVITY_ID: u16 = 13;
    pub const PROVIDER_NAME: u16 = 14;
    pub const PROVIDER_GUID: u16 = 15;
    pub const CHANNEL: u16 = 16;
    pub const COMPUTER: u16 = 17;
}

/// WHATWG windows-1252 (the `evtx` crate's default ANSI code page) for bytes 0x80..=0x9F.
const WINDOWS_1252_C1: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// A substitution value, one per EVTX value type that Windows providers such as Sysmon use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// No value (type 0x00): rendered as null/empty, as Windows does for absent fields.
    Null,
    /// UTF-16 string (0x01), stored NUL-terminated as ETW payload strings are.
    Str(String),
    /// ANSI string (0x02) in windows-1252, NUL-terminated.
    Ansi(String),
    /// Unsigned 8-bit integer (0x04).
    U8(u8),
    /// Unsigned 16-bit integer (0x06).
    U16(u16),
    /// Unsigned 32-bit integer (0x08).
    U32(u32),
    /// Unsigned 64-bit integer (0x0a).
    U64(u64),
    /// 64-bit integer shown in hex (0x15), as Keywords are.
    Hex64(u64),
    /// GUID (0x0f) in its on-disk (Windows, mixed-endian) byte order; see [`guid_from_str`].
    Guid([u8; 16]),
    /// FILETIME (0x11): 100 ns ticks since 1601-01-01 UTC.
    FileTime(u64),
    /// Security identifier (0x13) in its "S-1-5-18" text form, stored binary.
    Sid(String),
}

impl Value {
    /// The BinXML value type byte, which is part of a template's key.
    fn type_byte(&self) -> u8 {
        match self {
            Value::Null => ty::NULL,
            Value::Str(_) => ty::STR,
            Value::Ansi(_) => ty::ANSI,
            Value::U8(_) => ty::U8,
            Value::U16(_) => ty::U16,
            Value::U32(_) => ty::U32,
            Value::U64(_) => ty::U64,
            Value::Hex64(_) => ty::HEX64,
            Value::Guid(_) => ty::GUID,
            Value::FileTime(_) => ty::FILETIME,
            Value::Sid(_) => ty::SID,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::U32(v)
    }
}

/// One event to write: the `System` fields Windows records, plus the EventData fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Provider name, e.g. "Microsoft-Windows-Sysmon".
    pub provider: String,
    /// Provider GUID (on-disk byte order); `None` leaves the `Guid` attribute out.
    pub provider_guid: Option<[u8; 16]>,
    /// EventID: with the provider, what the event is (Sysmon 13: registry value set).
    pub event_id: u16,
    /// Event (template) version; Sysmon's current events are version 2.
    pub version: u8,
    /// Level: 4 is Information, 2 Error.
    pub level: u8,
    /// Task; Sysmon sets it to the event ID.
    pub task: u16,
    /// Opcode.
    pub opcode: u8,
    /// Keywords bit mask, rendered in hex.
    pub keywords: u64,
    /// FILETIME: 100 ns since 1601-01-01 UTC. Used for TimeCreated and the record header.
    pub time: u64,
    /// `None`: the next sequential ID (starting at 1). IDs must increase.
    pub record_id: Option<u64>,
    /// Execution ProcessID: the process that logged the event (Sysmon's own).
    pub process_id: u32,
    /// Execution ThreadID.
    pub thread_id: u32,
    /// Channel, e.g. "Microsoft-Windows-Sysmon/Operational".
    pub channel: String,
    /// Computer: the host's name.
    pub computer: String,
    /// System/Security UserID in "S-1-5-18" form.
    pub user_sid: Option<String>,
    /// EventData, in order, each written as `<Data Name="name">value</Data>`.
    pub data: Vec<(String, Value)>,
    /// `Some(element)`: the fields go under `<UserData><element xmlns=…>` as `<name>value</name>`
    /// instead, as WMI-Activity and other providers write theirs.
    pub user_data: Option<String>,
}

impl Event {
    /// An event with Sysmon-like defaults (version 0, level 4 "Information", task and opcode
    /// 0, keywords 0x8000000000000000, no GUID, SID or data), so fixtures only state what
    /// matters to them.
    pub fn new(
        provider: impl Into<String>,
        event_id: u16,
        channel: impl Into<String>,
        computer: impl Into<String>,
        time: u64,
    ) -> Self {
        Event {
            provider: provider.into(),
            provider_guid: None,
            event_id,
            version: 0,
            level: 4,
            task: 0,
            opcode: 0,
            keywords: 0x8000_0000_0000_0000,
            time,
            record_id: None,
            process_id: 0,
            thread_id: 0,
            channel: channel.into(),
            computer: computer.into(),
            user_sid: None,
            data: Vec::new(),
            user_data: None,
        }
    }

    /// Append an EventData field, for builder-style fixtures.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.data.push((name.into(), value.into()));
        self
    }
}

/// Convert Unix time to FILETIME (saturating outside FILETIME's range), since events are
/// usually described in Unix time but EVTX stores FILETIMEs.
pub fn filetime_from_unix(secs: i64, nanos: u32) -> u64 {
    let ticks =
        (i128::from(secs) + FILETIME_UNIX_OFFSET_SECS) * 10_000_000 + i128::from(nanos / 100);
    u64::try_from(ticks.max(0)).unwrap_or(u64::MAX)
}

/// Parse a GUID's text form ("{8f1c...}" with or without braces) into the byte order Windows
/// stores (first three groups little-endian), so that it renders back as the same text.
pub fn guid_from_str(text: &str) -> Option<[u8; 16]> {
    let text = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    let groups: Vec<&str> = text.split('-').collect();
    let [a, b, c, d, e] = groups.as_slice() else {
        return None;
    };
    let hex = |g: &&str| g.bytes().all(|b| b.is_ascii_hexdigit());
    if [a.len(), b.len(), c.len(), d.len(), e.len()] != [8, 4, 4, 4, 12] || !groups.iter().all(hex)
    {
        return None;
    }
    let mut out = Vec::with_capacity(16);
    out.extend_from_slice(&u32::from_str_radix(a, 16).ok()?.to_le_bytes());
    out.extend_from_slice(&u16::from_str_radix(b, 16).ok()?.to_le_bytes());
    out.extend_from_slice(&u16::from_str_radix(c, 16).ok()?.to_le_bytes());
    let tail = u64::from_str_radix(&format!("{d}{e}"), 16).ok()?;
    out.extend_from_slice(&tail.to_be_bytes());
    out.try_into().ok()
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Reject strings with NULs: readers stop (UTF-16) or drop (ANSI) at them, changing the value.
fn check_no_nul(s: &str) -> io::Result<()> {
    if s.as_bytes().contains(&0) {
        return Err(invalid(format!(
            "string {s:?} contains NUL, which readers cut at"
        )));
    }
    Ok(())
}

fn put_ansi(buf: &mut Vec<u8>, s: &str) -> io::Result<()> {
    check_no_nul(s)?;
    for c in s.chars() {
        let byte = match u32::from(c) {
            code @ (0..=0x7f | 0xa0..=0xff) => code as u8,
            _ => match WINDOWS_1252_C1.iter().position(|&m| m == c) {
                Some(i) => 0x80 + i as u8,
                None => return Err(invalid(format!("{c:?} is not in windows-1252"))),
            },
        };
        buf.push(byte);
    }
    buf.push(0);
    Ok(())
}

/// Append the binary SID for its "S-R-A-S1-S2..." text form.
fn put_sid(buf: &mut Vec<u8>, text: &str) -> io::Result<()> {
    let bad = || invalid(format!("bad SID {text:?}"));
    let mut parts = text
        .strip_prefix("S-")
        .or_else(|| text.strip_prefix("s-"))
        .ok_or_else(bad)?
        .split('-');
    let revision: u8 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let authority: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    if authority >= 1 << 48 {
        return Err(bad());
    }
    let mut subs = [0u32; 15];
    let mut count = 0usize;
    for part in parts {
        let sub = subs.get_mut(count).ok_or_else(bad)?;
        *sub = part.parse().map_err(|_| bad())?;
        count += 1;
    }
    buf.push(revision);
    buf.push(count as u8);
    buf.extend((0..6).rev().map(|i| (authority >> (8 * i)) as u8));
    for sub in subs.iter().take(count) {
        put_u32(buf, *sub);
    }
    Ok(())
}

/// A value to substitute, borrowed from an [`Event`] (System fields and Data alike).
enum Slot<'a> {
    Null,
    /// A string and whether to NUL-terminate it.
    Str(&'a str, bool),
    Ansi(&'a str),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    Hex64(u64),
    Guid(&'a [u8; 16]),
    FileTime(u64),
    Sid(&'a str),
}

impl<'a> From<&'a Value> for Slot<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Null => Slot::Null,
            Value::Str(s) => Slot::Str(s, true),
            Value::Ansi(s) => Slot::Ansi(s),
            Value::U8(v) => Slot::U8(*v),
            Value::U16(v) => Slot::U16(*v),
            Value::U32(v) => Slot::U32(*v),
            Value::U64(v) => Slot::U64(*v),
            Value::Hex64(v) => Slot::Hex64(*v),
            Value::Guid(g) => Slot::Guid(g),
            Value::FileTime(v) => Slot::FileTime(*v),
            Value::Sid(s) => Slot::Sid(s),
        }
    }
}

/// Append a value's bytes; returns its type byte.
fn put_slot(buf: &mut Vec<u8>, slot: Slot<'_>) -> io::Result<u8> {
    fn raw(buf: &mut Vec<u8>, ty: u8, bytes: &[u8]) -> io::Result<u8> {
        buf.extend_from_slice(bytes);
        Ok(ty)
    }
    match slot {
        Slot::Null => Ok(ty::NULL),
        Slot::Str(s, nul) => {
            check_no_nul(s)?;
            put_utf16(buf, s);
            raw(buf, ty::STR, if nul { &[0, 0] } else { &[] })
        }
        Slot::Ansi(s) => put_ansi(buf, s).map(|()| ty::ANSI),
        Slot::Sid(s) => put_sid(buf, s).map(|()| ty::SID),
        Slot::U8(v) => raw(buf, ty::U8, &[v]),
        Slot::U16(v) => raw(buf, ty::U16, &v.to_le_bytes()),
        Slot::U32(v) => raw(buf, ty::U32, &v.to_le_bytes()),
        Slot::U64(v) => raw(buf, ty::U64, &v.to_le_bytes()),
        Slot::Hex64(v) => raw(buf, ty::HEX64, &v.to_le_bytes()),
        Slot::Guid(g) => raw(buf, ty::GUID, g),
        Slot::FileTime(v) => raw(buf, ty::FILETIME, &v.to_le_bytes()),
    }
}

/// The value of System slot `i` (see [`slot`]) for `ev`.
fn system_slot<'a>(ev: &'a Event, i: u16, record_id: u64) -> Slot<'a> {
    match i {
        slot::LEVEL => Slot::U8(ev.level),
        slot::OPCODE => Slot::U8(ev.opcode),
        slot::TASK => Slot::U16(ev.task),
        slot::EVENT_ID => Slot::U16(ev.event_id),
        slot::KEYWORDS => Slot::Hex64(ev.keywords),
        slot::TIME_CREATED => Slot::FileTime(ev.time),
        slot::PROCESS_ID => Slot::U32(ev.process_id),
        slot::THREAD_ID => Slot::U32(ev.thread_id),
        slot::RECORD_ID => Slot::U64(record_id),
        slot::VERSION => Slot::U8(ev.version),
        slot::USER_ID => ev.user_sid.as_deref().map_or(Slot::Null, Slot::Sid),
        slot::PROVIDER_NAME => Slot::Str(&ev.provider, false),
        slot::PROVIDER_GUID => ev.provider_guid.as_ref().map_or(Slot::Null, Slot::Guid),
        slot::CHANNEL => Slot::Str(&ev.channel, false),
        slot::COMPUTER => Slot::Str(&ev.computer, false),
        // Qualifiers and the activity IDs, which manifest providers such as Sysmon leave unset.
        _ => Slot::Null,
    }
}

/// The FNV-1a 64-bit offset basis.
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over an event's template key, seeded by `basis` (two bases give a 128-bit GUID).
fn key_hash(ev: &Event, basis: u64) -> u64 {
    let mut h = basis;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(ev.provider.as_bytes());
    // 0xff never occurs in UTF-8, so it separates the strings unambiguously.
    eat(&[0xff, ev.version, u8::from(ev.user_sid.is_some())]);
    eat(&ev.event_id.to_le_bytes());
    for (name, value) in &ev.data {
        eat(name.as_bytes());
        eat(&[0xff, value.type_byte()]);
    }
    if let Some(element) = &ev.user_data {
        eat(element.as_bytes());
        eat(&[0xfe]);
    }
    h
}

/// A distinct template: what its definition depends on, and its identity.
struct TemplateSpec {
    provider: String,
    event_id: u16,
    version: u8,
    has_sid: bool,
    fields: Vec<(String, u8)>,
    /// The `UserData` element holding the fields, if not `EventData`.
    user_data: Option<String>,
    /// Deterministic stand-in for the manifest template GUID Windows stores.
    guid: [u8; 16],
}

impl TemplateSpec {
    fn new(ev: &Event) -> io::Result<Self> {
        if ev.data.len() > usize::from(u16::MAX) - SYSTEM_SLOTS {
            return Err(invalid(format!(
                "{} Data fields is too many",
                ev.data.len()
            )));
        }
        let mut guid = [0u8; 16];
        let hi = key_hash(ev, FNV_BASIS).to_le_bytes();
        let lo = key_hash(ev, 0x6c62_272e_07bb_0142).to_le_bytes();
        for (dst, src) in guid.iter_mut().zip(hi.iter().chain(&lo)) {
            *dst = *src;
        }
        Ok(TemplateSpec {
            provider: ev.provider.clone(),
            event_id: ev.event_id,
            version: ev.version,
            has_sid: ev.user_sid.is_some(),
            fields: ev
                .data
                .iter()
                .map(|(n, v)| (n.clone(), v.type_byte()))
                .collect(),
            user_data: ev.user_data.clone(),
            guid,
        })
    }

    fn matches(&self, ev: &Event) -> bool {
        self.event_id == ev.event_id
            && self.version == ev.version
            && self.has_sid == ev.user_sid.is_some()
            && self.provider == ev.provider
            && self.user_data == ev.user_data
            && self.fields.len() == ev.data.len()
            && self
                .fields
                .iter()
                .zip(&ev.data)
                .all(|((n, t), (name, value))| n == name && *t == value.type_byte())
    }

    /// The template ID of instances: the GUID's first four bytes, as in Windows logs.
    fn id(&self) -> u32 {
        let [a, b, c, d, ..] = self.guid;
        u32::from_le_bytes([a, b, c, d])
    }
}

/// What [`Chunk::append`] did.
enum Appended {
    Yes,
    /// The record did not fit; `size` is what it took.
    NoRoom {
        size: usize,
    },
}

/// The chunk being filled: its bytes and tables (kept by the BinXML builder), where its
/// templates are defined, and its records.
struct Chunk {
    bytes: ChunkBuilder,
    /// Definition offset of each [`TemplateSpec`] in this chunk (0: not written yet).
    template_offsets: Vec<u32>,
    records: u64,
    first_id: u64,
    last_id: u64,
    last_record_offset: u32,
}

impl Chunk {
    fn new() -> Self {
        Chunk {
            bytes: ChunkBuilder::new(),
            template_offsets: Vec::new(),
            records: 0,
            first_id: 0,
            last_id: 0,
            last_record_offset: 0,
        }
    }

    fn reset(&mut self) {
        self.bytes.reset();
        self.template_offsets.fill(0);
        self.records = 0;
    }

    /// Append the record for `ev`. When it does not fit, or on errors, the chunk is left as it
    /// was.
    fn append(
        &mut self,
        ev: &Event,
        spec: &TemplateSpec,
        spec_idx: usize,
        id: u64,
    ) -> io::Result<Appended> {
        let start = self.bytes.buf.len();
        match self.encode_record(ev, spec, spec_idx, id) {
            Ok(()) if self.bytes.buf.len() <= CHUNK_SIZE => {
                if self.records == 0 {
                    self.first_id = id;
                }
                self.records += 1;
                self.last_id = id;
                self.last_record_offset = start as u32;
                Ok(Appended::Yes)
            }
            Ok(()) => {
                let size = self.bytes.buf.len() - start;
                self.rollback(start);
                Ok(Appended::NoRoom { size })
            }
            Err(err) => {
                self.rollback(start);
                Err(err)
            }
        }
    }

    /// Forget everything written from `cutoff` on, templates defined there included.
    fn rollback(&mut self, cutoff: usize) {
        self.bytes.rollback(cutoff);
        for offset in &mut self.template_offsets {
            if *offset >= cutoff as u32 {
                *offset = 0;
            }
        }
    }

    fn encode_record(
        &mut self,
        ev: &Event,
        spec: &TemplateSpec,
        spec_idx: usize,
        id: u64,
    ) -> io::Result<()> {
        let b = &mut self.bytes;
        let start = b.begin_record(id, ev.time);
        b.buf.extend_from_slice(&tok::FRAGMENT);
        b.template_instance(spec.id());
        match self.template_offsets.get_mut(spec_idx) {
            Some(offset) if *offset != 0 => b.u32(*offset),
            // The definition follows inline the first time the chunk uses the template.
            defined => {
                let offset = b.template_definition(&spec.guid, &event_template(spec));
                if let Some(slot) = defined {
                    *slot = offset;
                }
            }
        }

        let descriptors = b.value_descriptors(SYSTEM_SLOTS + ev.data.len());
        let system = (0..SYSTEM_SLOTS as u16).map(|i| system_slot(ev, i, id));
        let data = ev.data.iter().map(|(_, v)| Slot::from(v));
        for (i, value) in system.chain(data).enumerate() {
            let value_start = b.buf.len();
            let ty = put_slot(&mut b.buf, value)?;
            let size = u16::try_from(b.buf.len() - value_start)
                .map_err(|_| invalid(format!("value {i} is over 65535 bytes")))?;
            b.describe(descriptors, i, size, ty);
        }
        b.buf.push(tok::EOF);
        b.end_record(start);
        Ok(())
    }

    /// Fill in the header, pad to 64 KiB and return the finished chunk.
    fn seal(&mut self) -> &[u8] {
        self.bytes
            .finish(self.first_id, self.last_id, self.last_record_offset);
        ChunkHeader::seal(&mut self.bytes.buf);
        &self.bytes.buf
    }
}

/// The template body: the `Event` element as Windows writes it, every value a substitution.
fn event_template(spec: &TemplateSpec) -> Node<'_> {
    use slot::*;
    use Node::{Elem, OptSubst, Subst, Text};
    // `<name>%slot</name>`, left empty when the value is null.
    let text_element =
        |name, slot, value_type| Elem(name, vec![], vec![OptSubst(slot, value_type)]);
    // `<name a1="%slot1" .../>`, each attribute left out when its value is null.
    let attr_element = |name, attrs: &[(&'static str, u16, u8)]| {
        let attrs = attrs
            .iter()
            .map(|&(attr, slot, value_type)| (attr, vec![OptSubst(slot, value_type)]))
            .collect();
        Elem(name, attrs, vec![])
    };
    let user: &[(&str, u16, u8)] = if spec.has_sid {
        &[("UserID", USER_ID, ty::SID)]
    } else {
        &[]
    };
    let system = vec![
        Elem(
            "Provider",
            vec![
                ("Name", vec![Subst(PROVIDER_NAME, ty::STR)]),
                ("Guid", vec![OptSubst(PROVIDER_GUID, ty::GUID)]),
            ],
            vec![],
        ),
        Elem(
            "EventID",
            vec![("Qualifiers", vec![OptSubst(QUALIFIERS, ty::U16)])],
            vec![OptSubst(EVENT_ID, ty::U16)],
        ),
        text_element("Version", VERSION, ty::U8),
        text_element("Level", LEVEL, ty::U8),
        text_element("Task", TASK, ty::U16),
        text_element("Opcode", OPCODE, ty::U8),
        text_element("Keywords", KEYWORDS, ty::HEX64),
        attr_element("TimeCreated", &[("SystemTime", TIME_CREATED, ty::FILETIME)]),
        text_element("EventRecordID", RECORD_ID, ty::U64),
        attr_element(
            "Correlation",
            &[
                ("ActivityID", ACTIVITY_ID, ty::GUID),
                ("RelatedActivityID", RELATED_ACTIVITY_ID, ty::GUID),
            ],
        ),
        attr_element(
            "Execution",
            &[
                ("ProcessID", PROCESS_ID, ty::U32),
                ("ThreadID", THREAD_ID, ty::U32),
            ],
        ),
        text_element("Channel", CHANNEL, ty::STR),
        text_element("Computer", COMPUTER, ty::STR),
        attr_element("Security", user),
    ];
    let mut children = vec![Elem("System", vec![], system)];
    if let Some(element) = &spec.user_data {
        // `<UserData><element xmlns=…><name>%slot</name>…</element></UserData>`.
        let fields = spec
            .fields
            .iter()
            .enumerate()
            .map(|(i, (name, value_type))| {
                // Checked by `TemplateSpec::new`: at most u16::MAX slots.
                text_element(name, (SYSTEM_SLOTS + i) as u16, *value_type)
            })
            .collect();
        let inner = Elem(
            element,
            vec![("xmlns", vec![Text(USER_DATA_XMLNS)])],
            fields,
        );
        children.push(Elem("UserData", vec![], vec![inner]));
    } else if !spec.fields.is_empty() {
        let data = spec
            .fields
            .iter()
            .enumerate()
            .map(|(i, (name, value_type))| {
                // Checked by `TemplateSpec::new`: at most u16::MAX slots.
                let slot = (SYSTEM_SLOTS + i) as u16;
                Elem(
                    "Data",
                    vec![("Name", vec![Text(name)])],
                    vec![Subst(slot, *value_type)],
                )
            })
            .collect();
        children.push(Elem("EventData", vec![], data));
    }
    Elem("Event", vec![("xmlns", vec![Text(EVENT_XMLNS)])], children)
}

/// Streams events into an EVTX file, so fixtures and benchmark logs need no real Windows log.
///
/// Call [`EvtxWriter::finish`] at the end: until then the file header says the log is dirty and
/// counts no chunks.
pub struct EvtxWriter<W: Write + Seek> {
    out: W,
    /// Where the file starts in `out`.
    base: u64,
    chunk: Chunk,
    chunks_written: u64,
    specs: Vec<TemplateSpec>,
    /// Indices into `specs` by [`key_hash`].
    spec_index: HashMap<u64, Vec<usize>>,
    next_id: u64,
    last_id: Option<u64>,
}

impl<W: Write + Seek> EvtxWriter<W> {
    /// Start a file at the current position of `out` (a placeholder header is written now).
    pub fn new(mut out: W) -> io::Result<Self> {
        let base = out.stream_position()?;
        out.write_all(&file_header(0, 1, true))?;
        Ok(EvtxWriter {
            out,
            base,
            chunk: Chunk::new(),
            chunks_written: 0,
            specs: Vec::new(),
            spec_index: HashMap::new(),
            next_id: 1,
            last_id: None,
        })
    }

    /// Write one event; returns its record ID. Starts a new chunk when the record does not fit.
    ///
    /// Errors (`InvalidInput`, and nothing is written) for an event that cannot be represented:
    /// too large for one chunk, a record ID not above the previous one (readers walk chunks in
    /// ID order and stop at a chunk's last ID), a time past year 9999, a malformed SID, an ANSI
    /// string outside windows-1252, or a string containing NUL.
    pub fn push(&mut self, ev: &Event) -> io::Result<u64> {
        let id = ev.record_id.unwrap_or(self.next_id);
        if self.last_id.is_some_and(|last| id <= last) {
            return Err(invalid(format!(
                "record ID {id} is not above the previous one"
            )));
        }
        if ev.time > MAX_RECORD_FILETIME {
            return Err(invalid(format!(
                "time {} is past what readers accept",
                ev.time
            )));
        }
        let spec_idx = self.spec_for(ev)?;
        let spec = self
            .specs
            .get(spec_idx)
            .ok_or_else(|| invalid("no template".into()))?;
        if self.chunk.template_offsets.len() < self.specs.len() {
            self.chunk.template_offsets.resize(self.specs.len(), 0);
        }
        if let Appended::NoRoom { size } = self.chunk.append(ev, spec, spec_idx, id)? {
            // A record takes no less in an empty chunk (it may need its names and template
            // inline there), so one too big for any chunk leaves this one open.
            if self.chunk.records == 0 || size > CHUNK_SIZE - CHUNK_HEADER_SIZE {
                return Err(too_large());
            }
            write_chunk(&mut self.out, &mut self.chunk)?;
            self.chunks_written += 1;
            if let Appended::NoRoom { .. } = self.chunk.append(ev, spec, spec_idx, id)? {
                return Err(too_large());
            }
        }
        self.last_id = Some(id);
        self.next_id = id.saturating_add(1);
        Ok(id)
    }

    /// Chunks written out so far (the open one not counted), so that a caller laying out a
    /// file of a given size sees when a record opened a new chunk.
    pub fn chunks_written(&self) -> u64 {
        self.chunks_written
    }

    /// Close the current chunk so the next record starts a new one (tests need multi-chunk
    /// files without writing 64 KiB of events). Does nothing on an empty chunk.
    pub fn break_chunk(&mut self) -> io::Result<()> {
        if self.chunk.records > 0 {
            write_chunk(&mut self.out, &mut self.chunk)?;
            self.chunks_written += 1;
        }
        Ok(())
    }

    /// Write the last chunk and the final file header; returns the output, positioned at the
    /// end of the file.
    pub fn finish(mut self) -> io::Result<W> {
        self.break_chunk()?;
        let end = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(self.base))?;
        self.out
            .write_all(&file_header(self.chunks_written, self.next_id, false))?;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The index of the template spec for `ev`, added if new.
    fn spec_for(&mut self, ev: &Event) -> io::Result<usize> {
        let hash = key_hash(ev, FNV_BASIS);
        let candidates = self.spec_index.entry(hash).or_default();
        for &i in candidates.iter() {
            if self.specs.get(i).is_some_and(|spec| spec.matches(ev)) {
                return Ok(i);
            }
        }
        self.specs.push(TemplateSpec::new(ev)?);
        candidates.push(self.specs.len() - 1);
        Ok(self.specs.len() - 1)
    }
}

fn too_large() -> io::Error {
    invalid("event does not fit in one 64 KiB chunk".into())
}

/// Write the chunk out and start the next one (even when writing fails, so the writer stays
/// consistent; that chunk's records are lost then).
fn write_chunk<W: Write>(out: &mut W, chunk: &mut Chunk) -> io::Result<()> {
    let written = out.write_all(chunk.seal());
    chunk.reset();
    written
}

/// The 4 KiB file header block (format version 3.2, as Windows 10 2004 and later write).
fn file_header(chunks: u64, next_record_id: u64, dirty: bool) -> Vec<u8> {
    FileHeader::new(chunks, next_record_id, dirty).block()
}

/// Write `events` to an in-memory EVTX file, for tests. Events the writer rejects (see
/// [`EvtxWriter::push`]) are left out; use [`try_write_to_vec`] to get the error instead.
pub fn write_to_vec(events: &[Event]) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(mut writer) = EvtxWriter::new(io::Cursor::new(&mut bytes)) {
        for ev in events {
            // Rejected events leave the writer as it was.
            let _ = writer.push(ev);
        }
        let _ = writer.finish();
    }
    bytes
}

/// [`write_to_vec`], failing on the first event the writer rejects.
pub fn try_write_to_vec(events: &[Event]) -> io::Result<Vec<u8>> {
    let mut writer = EvtxWriter::new(io::Cursor::new(Vec::new()))?;
    for ev in events {
        writer.push(ev)?;
    }
    Ok(writer.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
    use serde_json::{json, Value as Json};

    const SYSMON: &str = "Microsoft-Windows-Sysmon";
    const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
    const SYSMON_GUID: &str = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}";
    const PROCESS_GUID: &str = "{9a0a9b6e-1c2d-65f0-2b01-000000002a00}";

    fn read_back(bytes: Vec<u8>) -> Vec<(u64, Json)> {
        let settings = ParserSettings::new()
            .num_threads(1)
            .validate_checksums(true);
        let mut parser = EvtxParser::from_buffer(bytes)
            .unwrap()
            .with_configuration(settings);
        assert!(parser.header().validate_checksum());
        parser
            .records_json_value()
            .map(|r| {
                let r = r.unwrap();
                (r.event_record_id, r.data)
            })
            .collect()
    }

    fn t0() -> u64 {
        filetime_from_unix(1_700_000_000, 123_456_700)
    }

    fn sysmon_13(time: u64) -> Event {
        let mut ev = Event::new(SYSMON, 13, SYSMON_CHANNEL, "WS01.corp.local", time);
        ev.provider_guid = guid_from_str(SYSMON_GUID);
        ev.version = 2;
        ev.task = 13;
        ev.process_id = 3084;
        ev.thread_id = 4512;
        ev.user_sid = Some("S-1-5-18".into());
        ev.with("RuleName", "technique_id=T1547.001")
            .with("EventType", "SetValue")
            .with("UtcTime", "2023-11-14 22:13:20.123")
            .with(
                "ProcessGuid",
                Value::Guid(guid_from_str(PROCESS_GUID).unwrap()),
            )
            .with("ProcessId", 2316u32)
            .with("Image", r"C:\Windows\system32\wbem\WmiPrvSE.exe")
            .with(
                "TargetObject",
                r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\evil",
            )
            .with("Details", r"C:\Users\Public\evil.exe")
            .with("User", r"NT AUTHORITY\SYSTEM")
    }

    fn sysmon_12(time: u64) -> Event {
        let mut ev = Event::new(SYSMON, 12, SYSMON_CHANNEL, "WS01.corp.local", time);
        ev.version = 2;
        ev.task = 12;
        ev.with("EventType", "CreateKey")
            .with("UtcTime", "2023-11-14 22:13:21.000")
            .with(
                "ProcessGuid",
                Value::Guid(guid_from_str(PROCESS_GUID).unwrap()),
            )
            .with("ProcessId", 2316u32)
            .with("Image", r"C:\Windows\system32\wbem\WmiPrvSE.exe")
            .with("TargetObject", r"HKLM\SOFTWARE\Classes\CLSID\{x}")
    }

    fn every_type(time: u64) -> Event {
        let mut ev = Event::new("Test-Provider", 4242, "Application", "HOST-é", time);
        ev.user_sid = Some("S-1-5-21-3623811015-3361044348-30300820-1013".into());
        ev.level = 2;
        ev.opcode = 7;
        ev.keywords = 0x8020_0000_0000_0001;
        ev.with("Null", Value::Null)
            .with("Str", "päth → 漢字 🦀 <&\"'>")
            .with("Empty", "")
            .with("Ansi", Value::Ansi("café €".into()))
            .with("U8", Value::U8(255))
            .with("U16", Value::U16(65535))
            .with("U32", Value::U32(u32::MAX))
            .with("U64", Value::U64(u64::MAX))
            .with("Hex64", Value::Hex64(0xdead_beef))
            .with("Guid", Value::Guid(guid_from_str(PROCESS_GUID).unwrap()))
            .with("FileTime", Value::FileTime(time))
            .with("Sid", Value::Sid("S-1-5-32-544".into()))
    }

    #[test]
    fn values_read_back_exactly() {
        let t = t0();
        let events = vec![
            sysmon_13(t),
            sysmon_12(t + 1),
            every_type(t + 2),
            sysmon_13(t + 3),
        ];
        let records = read_back(try_write_to_vec(&events).unwrap());
        assert_eq!(
            records.iter().map(|r| r.0).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );

        let ev = &records[0].1["Event"];
        assert_eq!(ev["#attributes"]["xmlns"], EVENT_XMLNS);
        let sys = &ev["System"];
        assert_eq!(sys["EventID"], 13);
        assert_eq!(sys["Version"], 2);
        assert_eq!(sys["Level"], 4);
        assert_eq!(sys["Task"], 13);
        assert_eq!(sys["Opcode"], 0);
        assert_eq!(sys["Keywords"], "0x8000000000000000");
        assert_eq!(sys["Computer"], "WS01.corp.local");
        assert_eq!(sys["Channel"], SYSMON_CHANNEL);
        assert_eq!(sys["EventRecordID"], 1);
        assert_eq!(
            sys["Provider"]["#attributes"],
            json!({"Name": SYSMON, "Guid": SYSMON_GUID})
        );
        assert_eq!(
            sys["TimeCreated"]["#attributes"]["SystemTime"],
            "2023-11-14T22:13:20.1234567Z"
        );
        assert_eq!(
            sys["Execution"]["#attributes"],
            json!({"ProcessID": 3084, "ThreadID": 4512})
        );
        assert_eq!(sys["Security"]["#attributes"]["UserID"], "S-1-5-18");
        let data = &ev["EventData"];
        assert_eq!(
            *data,
            json!({
                "RuleName": "technique_id=T1547.001",
                "EventType": "SetValue",
                "UtcTime": "2023-11-14 22:13:20.123",
                "ProcessGuid": PROCESS_GUID,
                "ProcessId": 2316,
                "Image": r"C:\Windows\system32\wbem\WmiPrvSE.exe",
                "TargetObject": r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\evil",
                "Details": r"C:\Users\Public\evil.exe",
                "User": r"NT AUTHORITY\SYSTEM",
            })
        );
        // The second EID 13 reuses the chunk's template: same rendering, its own values.
        assert_eq!(records[3].1["Event"]["EventData"], *data);
        assert_eq!(records[3].1["Event"]["System"]["EventRecordID"], 4);

        let ev12 = &records[1].1["Event"];
        assert_eq!(ev12["System"]["EventID"], 12);
        assert!(ev12["System"]["Provider"]["#attributes"]
            .get("Guid")
            .is_none());
        assert_eq!(ev12["EventData"]["EventType"], "CreateKey");
        assert!(ev12["EventData"].get("RuleName").is_none());
        assert!(ev12["EventData"].get("User").is_none());

        let all = &records[2].1["Event"];
        assert_eq!(all["System"]["Computer"], "HOST-é");
        assert_eq!(all["System"]["Level"], 2);
        assert_eq!(all["System"]["Opcode"], 7);
        assert_eq!(all["System"]["Keywords"], "0x8020000000000001");
        assert_eq!(
            all["System"]["Security"]["#attributes"]["UserID"],
            "S-1-5-21-3623811015-3361044348-30300820-1013"
        );
        assert_eq!(
            all["EventData"],
            json!({
                "Null": "",
                "Str": "päth → 漢字 🦀 <&\"'>",
                "Empty": "",
                "Ansi": "café €",
                "U8": 255,
                "U16": 65535,
                "U32": u32::MAX,
                "U64": u64::MAX,
                "Hex64": "0xdeadbeef",
                "Guid": PROCESS_GUID,
                "FileTime": "2023-11-14T22:13:20.1234569Z",
                "Sid": "S-1-5-32-544",
            })
        );
    }

    /// Chunk `i` of an EVTX file.
    fn chunk(bytes: &[u8], i: usize) -> &[u8] {
        &bytes[FILE_HEADER_BLOCK + i * CHUNK_SIZE..FILE_HEADER_BLOCK + (i + 1) * CHUNK_SIZE]
    }

    /// Check a chunk's string and template tables the way a strict reader would: every chain
    /// entry is in its hash bucket, and every name and template the records use is reachable.
    fn check_tables(data: &[u8]) {
        let u32_at = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
        let header = crate::layout::ChunkHeader::read(data).unwrap();
        let mut strings = std::collections::HashSet::new();
        for (bucket, &head) in header.string_table.iter().enumerate() {
            let mut offset = head as usize;
            while offset != 0 {
                let hash = u16::from_le_bytes([data[offset + 4], data[offset + 5]]);
                let len = u16::from_le_bytes([data[offset + 6], data[offset + 7]]) as usize;
                let units: Vec<u16> = data[offset + 8..offset + 8 + 2 * len]
                    .chunks(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let full = units.iter().fold(0u32, |h, &u| {
                    h.wrapping_mul(65599).wrapping_add(u32::from(u))
                });
                assert_eq!(hash, full as u16);
                assert_eq!(full as usize % 64, bucket);
                assert!(
                    strings.insert(offset as u32),
                    "string {offset} chained twice"
                );
                offset = u32_at(offset) as usize;
            }
        }
        let mut templates = std::collections::HashSet::new();
        for (bucket, &head) in header.template_table.iter().enumerate() {
            let mut offset = head as usize;
            while offset != 0 {
                let id = u32_at(offset + 4);
                assert_eq!(id as usize % 32, bucket);
                assert!(templates.insert(offset as u32));
                offset = u32_at(offset) as usize;
            }
        }
        // Every record's instance refers to a chained template whose names are chained too.
        let records = crate::layout::record_offsets(data).unwrap();
        assert!(!records.is_empty());
        for at in records {
            assert_eq!(&data[at + 24..at + 30], &[0x0f, 1, 1, 0, 0x0c, 1]);
            let def = u32_at(at + 34);
            assert!(templates.contains(&def), "template {def} not in the table");
        }
        assert!(!strings.is_empty());
    }

    #[test]
    fn multi_chunk_files_read_back_in_order() {
        let t = t0();
        let mut writer = EvtxWriter::new(io::Cursor::new(Vec::new())).unwrap();
        let mut expected = Vec::new();
        for i in 0..5000u64 {
            let mut ev = match i % 3 {
                0 => sysmon_13(t + i),
                1 => sysmon_12(t + i),
                _ => every_type(t + i),
            };
            ev.process_id = i as u32;
            if i == 1234 {
                ev.record_id = Some(100_000);
            }
            let id = writer.push(&ev).unwrap();
            expected.push((id, i));
            if i % 700 == 1 {
                writer.break_chunk().unwrap();
                writer.break_chunk().unwrap(); // a second break on an empty chunk is a no-op
            }
        }
        assert_eq!(expected[1233].0, 1234);
        assert_eq!(expected[1234].0, 100_000);
        assert_eq!(expected[1235].0, 100_001);
        let bytes = writer.finish().unwrap().into_inner();
        assert_eq!((bytes.len() - FILE_HEADER_BLOCK) % CHUNK_SIZE, 0);
        let chunks = (bytes.len() - FILE_HEADER_BLOCK) / CHUNK_SIZE;
        assert!(chunks > 20, "{chunks} chunks");

        let header = evtx::EvtxFileHeader::from_bytes(&bytes).unwrap();
        assert!(header.validate_checksum());
        assert_eq!(header.chunk_count as usize, chunks);
        assert_eq!(header.last_chunk_number as usize, chunks - 1);
        assert_eq!(header.next_record_id, expected.last().unwrap().0 + 1);
        assert_eq!((header.major_version, header.minor_version), (3, 2));
        assert!(header.flags.is_empty());

        let mut last_id = 0;
        for i in 0..chunks {
            let data = chunk(&bytes, i).to_vec();
            check_tables(&data);
            let chunk = EvtxChunkData::new(data, true).unwrap();
            assert!(chunk.header.first_event_record_id > last_id);
            last_id = chunk.header.last_event_record_id;
        }

        let records = read_back(bytes);
        assert_eq!(records.len(), expected.len());
        for ((id, json), (want_id, i)) in records.iter().zip(&expected) {
            assert_eq!(id, want_id);
            let sys = &json["Event"]["System"];
            assert_eq!(sys["EventRecordID"], *want_id);
            assert_eq!(sys["Execution"]["#attributes"]["ProcessID"], *i);
            assert_eq!(sys["EventID"], [13, 12, 4242][*i as usize % 3]);
        }
    }

    #[test]
    fn rejected_events_leave_the_writer_usable() {
        let t = t0();
        let mut writer = EvtxWriter::new(io::Cursor::new(Vec::new())).unwrap();
        writer.push(&sysmon_13(t)).unwrap();
        let huge = sysmon_12(t).with("Blob", "x".repeat(40_000));
        let err = writer.push(&huge).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let over_u16 = sysmon_12(t).with("Blob", "x".repeat(70_000));
        assert_eq!(
            writer.push(&over_u16).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        let bad = [
            sysmon_12(t).with("Sid", Value::Sid("S-1-x".into())),
            sysmon_12(t).with(
                "Sid",
                Value::Sid("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16".into()),
            ),
            sysmon_12(t).with("Ansi", Value::Ansi("漢".into())),
            sysmon_12(t).with("Nul", "a\0b"),
            Event {
                record_id: Some(1),
                ..sysmon_12(t)
            },
            Event {
                time: MAX_RECORD_FILETIME + 1,
                ..sysmon_12(t)
            },
        ];
        for ev in &bad {
            assert_eq!(
                writer.push(ev).unwrap_err().kind(),
                io::ErrorKind::InvalidInput,
                "{ev:?}"
            );
        }
        // An event just small enough still fits, alone in its chunk.
        let big = sysmon_12(t).with("Blob", "y".repeat(31_000));
        assert_eq!(writer.push(&big).unwrap(), 2);
        writer.push(&sysmon_13(t)).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        // The rejected events did not close chunk 0; the big one needed a chunk of its own.
        assert_eq!(bytes.len(), FILE_HEADER_BLOCK + 3 * CHUNK_SIZE);
        for i in 0..3 {
            check_tables(chunk(&bytes, i));
        }
        let records = read_back(bytes);
        assert_eq!(records.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(
            records[1].1["Event"]["EventData"]["Blob"],
            "y".repeat(31_000)
        );
        // write_to_vec leaves out what the writer rejects.
        let records = read_back(write_to_vec(&[sysmon_13(t), huge, sysmon_12(t)]));
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn empty_file_and_helpers() {
        let bytes = write_to_vec(&[]);
        assert_eq!(bytes.len(), FILE_HEADER_BLOCK);
        assert!(read_back(bytes).is_empty());
        assert_eq!(filetime_from_unix(0, 0), 116_444_736_000_000_000);
        assert_eq!(filetime_from_unix(i64::MIN, 0), 0);
        let max = evtx::Timestamp::MAX;
        let ft = filetime_from_unix(max.as_second(), max.subsec_nanosecond() as u32);
        assert_eq!(ft, MAX_RECORD_FILETIME);
        assert_eq!(guid_from_str("not-a-guid"), None);
        assert_eq!(guid_from_str("+0112233-4455-6677-8899-aabbccddeeff"), None);
        assert_eq!(
            guid_from_str("00112233-4455-6677-8899-aabbccddeeff"),
            Some([
                0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ])
        );
    }
}
