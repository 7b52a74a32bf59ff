//! A low-level builder of one chunk's bytes: BinXML names, elements, attributes, text,
//! substitutions, template definitions and instances, and record framing.
//!
//! Why one builder: the writer ([`crate::writer`]) and the crafted-chunk tests
//! ([`crate::craft`]) both lay BinXML out by hand, one to write what Windows writes, the other
//! to write what Windows never writes. Sharing the encoding keeps the crafted chunks exactly as
//! real as the writer's except where a test breaks them on purpose (MS-EVEN6 2.2).

use crate::layout::{
    ChunkHeader, RecordHeader, CHUNK_HEADER_SIZE, CHUNK_SIZE, RECORD_HEADER_SIZE, STRING_BUCKETS,
    TEMPLATE_BUCKETS,
};
use std::collections::HashMap;

/// BinXML tokens (MS-EVEN6 2.2.3.1).
pub mod tok {
    /// End of a fragment.
    pub const EOF: u8 = 0x00;
    /// Element start without attributes.
    pub const OPEN: u8 = 0x01;
    /// Element start with attributes.
    pub const OPEN_WITH_ATTRS: u8 = 0x41;
    /// End of an element's start tag; content follows.
    pub const CLOSE_START: u8 = 0x02;
    /// End of an empty element.
    pub const CLOSE_EMPTY: u8 = 0x03;
    /// End of an element with content.
    pub const END_ELEMENT: u8 = 0x04;
    /// Literal value (text).
    pub const VALUE: u8 = 0x05;
    /// Last attribute of a list (0x46 when more follow).
    pub const ATTR: u8 = 0x06;
    /// An attribute that more attributes follow.
    pub const ATTR_MORE: u8 = 0x46;
    /// Template instance.
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    /// Substitution.
    pub const SUBST: u8 = 0x0d;
    /// Optional substitution: the element or attribute is left out when the value is null.
    pub const OPT_SUBST: u8 = 0x0e;
    /// Fragment header: token, major and minor version, flags.
    pub const FRAGMENT: [u8; 4] = [0x0f, 0x01, 0x01, 0x00];
}

/// BinXML value types (MS-EVEN6 2.2.4.1).
pub mod ty {
    /// No value.
    pub const NULL: u8 = 0x00;
    /// UTF-16 string.
    pub const STR: u8 = 0x01;
    /// ANSI string.
    pub const ANSI: u8 = 0x02;
    /// Unsigned 8-bit integer.
    pub const U8: u8 = 0x04;
    /// Unsigned 16-bit integer.
    pub const U16: u8 = 0x06;
    /// Unsigned 32-bit integer.
    pub const U32: u8 = 0x08;
    /// Unsigned 64-bit integer.
    pub const U64: u8 = 0x0a;
    /// GUID.
    pub const GUID: u8 = 0x0f;
    /// FILETIME.
    pub const FILETIME: u8 = 0x11;
    /// Security identifier.
    pub const SID: u8 = 0x13;
    /// 64-bit integer shown in hex.
    pub const HEX64: u8 = 0x15;
    /// Nested BinXML.
    pub const BINXML: u8 = 0x21;
}

/// `s` as UTF-16LE bytes.
pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Appends `s` as UTF-16LE; returns the number of code units.
pub fn put_utf16(buf: &mut Vec<u8>, s: &str) -> usize {
    if s.is_ascii() {
        let start = buf.len();
        buf.resize(start + 2 * s.len(), 0);
        if let Some(dst) = buf.get_mut(start..) {
            for (pair, &b) in dst.chunks_exact_mut(2).zip(s.as_bytes()) {
                if let [lo, _] = pair {
                    *lo = b;
                }
            }
        }
        return s.len();
    }
    let mut units = 0;
    for unit in s.encode_utf16() {
        buf.extend_from_slice(&unit.to_le_bytes());
        units += 1;
    }
    units
}

/// The hash Windows gives a name: h = h * 65599 + unit over its UTF-16 units.
pub fn name_hash(name: &str) -> u32 {
    name.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(65599).wrapping_add(u32::from(unit))
    })
}

/// A template body node, written by [`ChunkBuilder::node`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<'a> {
    /// Element: name, attributes (name, value nodes), children. No attributes: written with
    /// the plain start token; no children: closed empty.
    Elem(&'a str, Vec<(&'a str, Vec<Node<'a>>)>, Vec<Node<'a>>),
    /// Literal UTF-16 text.
    Text(&'a str),
    /// Substitution of value `index` of type `type`.
    Subst(u16, u8),
    /// Optional substitution (left out when the value is null) of value `index`.
    OptSubst(u16, u8),
    /// Raw BinXML bytes, as they are.
    Raw(Vec<u8>),
}

/// An element start being written, whose sizes are patched when it closes.
pub struct Elem {
    start: usize,
    attr_list_size: Option<usize>,
}

/// One chunk's bytes being built, with its name and template hash tables.
///
/// Names are written inline at their first use in the chunk and referenced by offset after
/// that, as Windows writes them. A builder made with [`ChunkBuilder::new`] also chains names
/// and template definitions into the chunk's hash tables, as Windows does; one made with
/// [`ChunkBuilder::without_tables`] leaves the tables empty (readers find everything inline).
pub struct ChunkBuilder {
    /// The chunk so far; records start at [`CHUNK_HEADER_SIZE`].
    pub buf: Vec<u8>,
    names: HashMap<String, u32>,
    tables: bool,
    string_table: [u32; STRING_BUCKETS],
    template_table: [u32; TEMPLATE_BUCKETS],
}

impl Default for ChunkBuilder {
    fn default() -> Self {
        ChunkBuilder::new()
    }
}

impl ChunkBuilder {
    /// An empty chunk (a zeroed header) whose names and definitions go into its tables.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(CHUNK_SIZE + 4096);
        buf.resize(CHUNK_HEADER_SIZE, 0);
        ChunkBuilder {
            buf,
            names: HashMap::new(),
            tables: true,
            string_table: [0; STRING_BUCKETS],
            template_table: [0; TEMPLATE_BUCKETS],
        }
    }

    /// An empty chunk whose hash tables stay empty.
    pub fn without_tables() -> Self {
        ChunkBuilder {
            tables: false,
            ..ChunkBuilder::new()
        }
    }

    /// Starts the chunk over, keeping the allocation.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.buf.resize(CHUNK_HEADER_SIZE, 0);
        self.names.clear();
        self.string_table = [0; STRING_BUCKETS];
        self.template_table = [0; TEMPLATE_BUCKETS];
    }

    /// The offset of the next byte.
    pub fn pos(&self) -> u32 {
        self.buf.len() as u32
    }

    /// Appends a little-endian u16.
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Appends a little-endian u32.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Appends a little-endian u64.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Overwrites `buf[at..]` with `bytes` (for sizes known only later); out of range: nothing.
    pub fn patch(&mut self, at: usize, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }

    /// Overwrites the u32 at `at`.
    pub fn patch_u32(&mut self, at: usize, v: u32) {
        self.patch(at, &v.to_le_bytes());
    }

    /// A name reference: the offset of the name's string-table entry, which follows inline
    /// the first time the chunk uses the name.
    pub fn name(&mut self, name: &str) {
        if let Some(&offset) = self.names.get(name) {
            self.u32(offset);
            return;
        }
        let offset = self.pos() + 4;
        self.u32(offset);
        let hash = name_hash(name);
        let next = match self.string_table.get_mut(hash as usize % STRING_BUCKETS) {
            Some(head) if self.tables => std::mem::replace(head, offset),
            _ => 0,
        };
        self.u32(next);
        self.u16(hash as u16);
        let count_at = self.buf.len();
        self.u16(0);
        let units = put_utf16(&mut self.buf, name);
        self.patch(count_at, &(units as u16).to_le_bytes());
        self.u16(0);
        self.names.insert(name.to_owned(), offset);
    }

    /// Opens an element; with `has_attrs`, its attribute list follows.
    pub fn open(&mut self, name: &str, has_attrs: bool) -> Elem {
        let start = self.buf.len();
        self.buf.push(if has_attrs {
            tok::OPEN_WITH_ATTRS
        } else {
            tok::OPEN
        });
        self.u16(0xffff); // no dependency
        self.u32(0); // data size, patched on close
        self.name(name);
        let attr_list_size = has_attrs.then(|| {
            let at = self.buf.len();
            self.u32(0);
            at
        });
        Elem {
            start,
            attr_list_size,
        }
    }

    fn finish_attrs(&mut self, elem: &Elem) {
        if let Some(at) = elem.attr_list_size {
            let size = (self.buf.len() - at - 4) as u32;
            self.patch_u32(at, size);
        }
    }

    /// The element's data size counts everything after its first 7 bytes (token, dependency
    /// ID, size) through its closing token.
    fn patch_elem_size(&mut self, elem: &Elem) {
        let size = (self.buf.len() - elem.start - 7) as u32;
        self.patch_u32(elem.start + 3, size);
    }

    /// Ends the start tag: content follows, then [`ChunkBuilder::end`].
    pub fn close_start(&mut self, elem: &Elem) {
        self.finish_attrs(elem);
        self.buf.push(tok::CLOSE_START);
    }

    /// Closes an element without content.
    pub fn close_empty(&mut self, elem: &Elem) {
        self.finish_attrs(elem);
        self.buf.push(tok::CLOSE_EMPTY);
        self.patch_elem_size(elem);
    }

    /// Ends an element with content.
    pub fn end(&mut self, elem: &Elem) {
        self.buf.push(tok::END_ELEMENT);
        self.patch_elem_size(elem);
    }

    /// An attribute's name; its value nodes follow. `last`: no attribute follows it.
    pub fn attr(&mut self, name: &str, last: bool) {
        self.buf.push(if last { tok::ATTR } else { tok::ATTR_MORE });
        self.name(name);
    }

    /// Static text: a value token holding a counted UTF-16 string.
    pub fn text(&mut self, text: &str) {
        self.buf.extend_from_slice(&[tok::VALUE, ty::STR]);
        let count_at = self.buf.len();
        self.u16(0);
        let units = put_utf16(&mut self.buf, text);
        self.patch(count_at, &(units as u16).to_le_bytes());
    }

    /// A substitution token (`tok::SUBST` or `tok::OPT_SUBST`) of value `slot`.
    pub fn subst(&mut self, token: u8, slot: u16, value_type: u8) {
        self.buf.push(token);
        self.u16(slot);
        self.buf.push(value_type);
    }

    /// Writes a node tree.
    pub fn node(&mut self, node: &Node<'_>) {
        match node {
            Node::Raw(bytes) => self.buf.extend_from_slice(bytes),
            Node::Text(text) => self.text(text),
            Node::Subst(slot, value_type) => self.subst(tok::SUBST, *slot, *value_type),
            Node::OptSubst(slot, value_type) => self.subst(tok::OPT_SUBST, *slot, *value_type),
            Node::Elem(name, attrs, children) => {
                let elem = self.open(name, !attrs.is_empty());
                for (i, (attr, value)) in attrs.iter().enumerate() {
                    self.attr(attr, i + 1 == attrs.len());
                    for v in value {
                        self.node(v);
                    }
                }
                if children.is_empty() {
                    self.close_empty(&elem);
                } else {
                    self.close_start(&elem);
                    for child in children {
                        self.node(child);
                    }
                    self.end(&elem);
                }
            }
        }
    }

    /// A template definition at the current offset, preceded by that offset (inline, as the
    /// first record using a template has it): its chain link, `guid` (whose first four bytes
    /// pick the table bucket), size, and the fragment of `body`. Returns its offset.
    pub fn template_definition(&mut self, guid: &[u8; 16], body: &Node<'_>) -> u32 {
        let offset = self.pos() + 4;
        self.u32(offset);
        let [a, b, c, d, ..] = *guid;
        let id = u32::from_le_bytes([a, b, c, d]);
        let next = match self.template_table.get_mut(id as usize % TEMPLATE_BUCKETS) {
            Some(head) if self.tables => std::mem::replace(head, offset),
            _ => 0,
        };
        self.u32(next);
        self.buf.extend_from_slice(guid);
        let size_at = self.buf.len();
        self.u32(0);
        self.buf.extend_from_slice(&tok::FRAGMENT);
        self.node(body);
        self.buf.push(tok::EOF);
        let size = (self.buf.len() - size_at - 4) as u32;
        self.patch_u32(size_at, size);
        offset
    }

    /// The start of a template instance of `template_id` (its definition offset follows).
    pub fn template_instance(&mut self, template_id: u32) {
        self.buf.extend_from_slice(&[tok::TEMPLATE_INSTANCE, 0x01]);
        self.u32(template_id);
    }

    /// The value count and `count` zeroed descriptors; returns where the descriptors start,
    /// for [`ChunkBuilder::describe`] once each value is written.
    pub fn value_descriptors(&mut self, count: usize) -> usize {
        self.u32(count as u32);
        let at = self.buf.len();
        self.buf.resize(at + 4 * count, 0);
        at
    }

    /// Fills in descriptor `i` (size and type) of the table at `descriptors`.
    pub fn describe(&mut self, descriptors: usize, i: usize, size: u16, value_type: u8) {
        let [lo, hi] = size.to_le_bytes();
        self.patch(descriptors + 4 * i, &[lo, hi, value_type, 0]);
    }

    /// Value count, descriptors and values of a template instance, and the end of the stream.
    pub fn instance_values(&mut self, values: &[(u8, Vec<u8>)]) {
        let descriptors = self.value_descriptors(values.len());
        for (i, (value_type, bytes)) in values.iter().enumerate() {
            self.describe(descriptors, i, bytes.len() as u16, *value_type);
        }
        for (_, bytes) in values {
            self.buf.extend_from_slice(bytes);
        }
        self.buf.push(tok::EOF);
    }

    /// Starts a record: its header (size patched by [`ChunkBuilder::end_record`]); the
    /// BinXML follows. Returns the record's offset.
    pub fn begin_record(&mut self, id: u64, time: u64) -> usize {
        let start = self.buf.len();
        self.buf.resize(start + RECORD_HEADER_SIZE, 0);
        RecordHeader { size: 0, id, time }.write(&mut self.buf, start);
        start
    }

    /// Ends the record begun at `start`: the size copy, and the size in its header.
    pub fn end_record(&mut self, start: usize) -> u32 {
        let size = (self.buf.len() - start + 4) as u32;
        self.u32(size);
        self.patch_u32(start + 4, size);
        start as u32
    }

    /// Forgets everything written from `cutoff` on. Entries are pushed on the front of their
    /// bucket's chain, so each bucket drops its head until the head is older than `cutoff`.
    pub fn rollback(&mut self, cutoff: usize) {
        let cutoff = cutoff as u32;
        for head in self
            .string_table
            .iter_mut()
            .chain(self.template_table.iter_mut())
        {
            while *head >= cutoff {
                let at = *head as usize;
                *head = self
                    .buf
                    .get(at..at + 4)
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, u32::from_le_bytes);
            }
        }
        self.names.retain(|_, offset| *offset < cutoff);
        self.buf.truncate(cutoff as usize);
    }

    /// Ends the chunk: pads it to 64 KiB and writes the header for records `first..=last` (the
    /// last at `last_record_offset`), with the free space after what was built and the hash
    /// tables. CRCs are left zero: [`ChunkHeader::seal`] computes them.
    pub fn finish(&mut self, first: u64, last: u64, last_record_offset: u32) -> ChunkHeader {
        let mut header = ChunkHeader::new(first, last, last_record_offset, self.pos());
        header.string_table = self.string_table;
        header.template_table = self.template_table;
        self.buf.resize(CHUNK_SIZE, 0);
        header.write(&mut self.buf);
        header
    }
}
