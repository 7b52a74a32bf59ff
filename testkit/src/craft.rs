//! Crafted chunks for the tests that feed wmihunt what Windows never writes: one chunk built
//! byte by byte from a template [`Node`] tree, raw records, inline definitions, instance values
//! and a hand-given chunk header, behind a valid file header.
//!
//! Why here: the fuzz regression tests need to break exactly one thing at a time (a size, an
//! offset, a reference), so they build every byte themselves; doing it with the same
//! [`ChunkBuilder`] as the writer keeps everything they do not break as real as the writer's.
//! Names are written inline at first use, as Windows and the writer write them; the hash
//! tables are left empty and CRCs are not computed (the reader does not need them).

use crate::binxml::ChunkBuilder;
use crate::layout::{ChunkHeader, FileHeader, CHUNK_SIZE, FILE_HEADER_BLOCK};
use std::ops::{Deref, DerefMut};

pub use crate::binxml::{utf16, Node};

/// UTF-16 string value type.
pub const STR: u8 = crate::binxml::ty::STR;
/// ANSI string value type.
pub const ANSI: u8 = crate::binxml::ty::ANSI;
/// u64 value type.
pub const U64: u8 = crate::binxml::ty::U64;
/// Nested BinXML value.
pub const BINXML: u8 = crate::binxml::ty::BINXML;
/// The template id every crafted instance names.
pub const TEMPLATE_ID: u32 = 0x1234;
/// The GUID of every crafted definition.
const GUID: [u8; 16] = [7; 16];
/// The record header time of every crafted record (2022-06-18).
const TIME: u64 = 133_000_000_000_000_000;

/// A Sysmon Run key write.
pub const RUN_KEY: &str = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\evil";
/// The WMI provider host's image.
pub const WMIPRVSE: &str = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";

/// The `System` part of a Sysmon EID 13: provider, event id, and value 0 as the
/// EventRecordID (u64).
pub fn system() -> Node<'static> {
    use Node::{Elem, Subst, Text};
    Elem(
        "System",
        vec![],
        vec![
            Elem(
                "Provider",
                vec![("Name", vec![Text("Microsoft-Windows-Sysmon")])],
                vec![],
            ),
            Elem("EventID", vec![], vec![Text("13")]),
            Elem("EventRecordID", vec![], vec![Subst(0, U64)]),
        ],
    )
}

/// A Sysmon registry value-set event (EID 13) whose `Image` is `image`; value 0 is the
/// EventRecordID (u64), value 3 the TargetObject.
pub fn sysmon(image: Vec<Node<'static>>) -> Node<'static> {
    use Node::{Elem, Subst, Text};
    Elem(
        "Event",
        vec![],
        vec![
            system(),
            Elem(
                "EventData",
                vec![],
                vec![
                    Elem(
                        "Data",
                        vec![("Name", vec![Text("EventType")])],
                        vec![Text("SetValue")],
                    ),
                    Elem("Data", vec![("Name", vec![Text("Image")])], image),
                    Elem(
                        "Data",
                        vec![("Name", vec![Text("TargetObject")])],
                        vec![Subst(3, STR)],
                    ),
                ],
            ),
        ],
    )
}

/// Values of [`sysmon`]: record id, two image parts (values 1 and 2), the Run key.
pub fn values(id: u64, first: Vec<u8>, second: Vec<u8>) -> Vec<(u8, Vec<u8>)> {
    vec![
        (U64, id.to_le_bytes().to_vec()),
        (STR, first),
        (STR, second),
        (STR, utf16(RUN_KEY)),
    ]
}

/// Where a record was written.
pub struct Record {
    /// The record's offset in the chunk.
    pub start: u32,
    /// Its template definition's offset.
    pub definition: u32,
}

/// One crafted chunk: a [`ChunkBuilder`] without hash tables, plus the record helpers.
pub struct Chunk(ChunkBuilder);

impl Default for Chunk {
    fn default() -> Self {
        Chunk::new()
    }
}

impl Deref for Chunk {
    type Target = ChunkBuilder;

    fn deref(&self) -> &ChunkBuilder {
        &self.0
    }
}

impl DerefMut for Chunk {
    fn deref_mut(&mut self) -> &mut ChunkBuilder {
        &mut self.0
    }
}

impl Chunk {
    /// An empty chunk (its header is written by [`Chunk::file`]).
    pub fn new() -> Chunk {
        Chunk(ChunkBuilder::without_tables())
    }

    /// A record: header, then what `body` writes as its BinXML, then the size copy.
    /// Returns the record's offset.
    pub fn raw_record(&mut self, id: u64, body: impl FnOnce(&mut ChunkBuilder)) -> u32 {
        let start = self.begin_record(id, TIME);
        body(&mut self.0);
        self.end_record(start)
    }

    /// A template definition header and body at the current offset, whose offset is
    /// written just before it (inline, as the first record using a template has it).
    pub fn inline_definition(&mut self, template: &Node<'_>) -> u32 {
        self.template_definition(&GUID, template)
    }

    /// A record instantiating `template` (defined inline) with `values`.
    pub fn record(&mut self, id: u64, template: &Node<'_>, values: &[(u8, Vec<u8>)]) -> Record {
        let mut definition = 0;
        let start = self.raw_record(id, |c| {
            c.buf.extend_from_slice(&crate::binxml::tok::FRAGMENT);
            c.template_instance(TEMPLATE_ID);
            definition = c.template_definition(&GUID, template);
            c.instance_values(values);
        });
        Record { start, definition }
    }

    /// A record using the definition at `definition` with `values`.
    pub fn record_using(&mut self, id: u64, definition: u32, values: &[(u8, Vec<u8>)]) -> u32 {
        self.raw_record(id, |c| {
            c.buf.extend_from_slice(&crate::binxml::tok::FRAGMENT);
            c.template_instance(TEMPLATE_ID);
            c.u32(definition);
            c.instance_values(values);
        })
    }

    /// The whole file: the writer's file header, then this chunk (records `first..=last`,
    /// the last at `last_offset`), zero-padded to 64 KiB, its CRCs left zero.
    pub fn file(mut self, first: u64, last: u64, last_offset: u32) -> Vec<u8> {
        let header: ChunkHeader = self.0.finish(first, last, last_offset);
        debug_assert_eq!(header.records_crc, 0);
        let mut file = FileHeader::new(0, 1, false).block();
        file.extend_from_slice(&self.0.buf);
        debug_assert_eq!(file.len(), FILE_HEADER_BLOCK + CHUNK_SIZE);
        file
    }
}

/// One valid record: a WmiPrvSE.exe write to a Run key, with record id `id`.
pub fn positive(c: &mut Chunk, id: u64) -> Record {
    c.record(
        id,
        &sysmon(vec![Node::Subst(1, STR)]),
        &values(id, utf16(WMIPRVSE), vec![]),
    )
}

/// A chunk whose record 2 holds `depth` template instances each nested in the previous
/// one's only value (type 0x21), all using record 1's definition; the needle sits in the
/// slack so that the pre-filter walks the chunk.
pub fn nested(depth: usize) -> Vec<u8> {
    let mut c = Chunk::new();
    let definition = c
        .record(
            1,
            &sysmon(vec![Node::Subst(1, STR)]),
            &values(1, utf16("a.exe"), vec![]),
        )
        .definition;
    let second = c.raw_record(2, |c| {
        let mut sizes = Vec::new();
        for _ in 0..depth {
            c.template_instance(TEMPLATE_ID);
            c.u32(definition);
            c.u32(1);
            sizes.push(c.buf.len());
            c.buf.extend_from_slice(&[0, 0, BINXML, 0]);
        }
        c.template_instance(TEMPLATE_ID);
        c.u32(definition);
        c.u32(0);
        let end = c.buf.len();
        for at in sizes {
            let size = (end - (at + 4)) as u16;
            c.patch(at, &size.to_le_bytes());
        }
    });
    let mut file = c.file(1, 2, second);
    let needle = utf16("wmiprvse.exe");
    let at = FILE_HEADER_BLOCK + 65000;
    file[at..at + needle.len()].copy_from_slice(&needle);
    file
}
