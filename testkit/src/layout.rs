//! The fixed layout of an EVTX file: the file header, the chunk header and the record header,
//! with named fields and the one table of their offsets.
//!
//! Why: the writer, the crafted-chunk tests, the tests that damage a header on purpose and the
//! benchmark's real-chunk corpora all read or write these headers. With the offsets in one
//! place, a test says `header.free_space_offset = 100` instead of `chunk[48..52]`, and every
//! tool seals CRCs the same way the `evtx` crate checks them.

/// Size of the file header block, before the first chunk.
pub const FILE_HEADER_BLOCK: usize = 4096;
/// Size of one chunk.
pub const CHUNK_SIZE: usize = 65536;
/// Size of a chunk's header (with its string and template tables); records follow it.
pub const CHUNK_HEADER_SIZE: usize = 512;
/// What a file starts with.
pub const FILE_MAGIC: [u8; 8] = *b"ElfFile\0";
/// What a chunk starts with.
pub const CHUNK_MAGIC: [u8; 8] = *b"ElfChnk\0";
/// What a record starts with.
pub const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0, 0];
/// A record's header: magic, size, id, time; its BinXML follows.
pub const RECORD_HEADER_SIZE: usize = 24;
/// Buckets of a chunk's string (name) table.
pub const STRING_BUCKETS: usize = 64;
/// Buckets of a chunk's template table.
pub const TEMPLATE_BUCKETS: usize = 32;
/// The size both headers give for their fixed part (the CRC covers the first 120 bytes).
const HEADER_SIZE_FIELD: u32 = 128;

/// Field offsets in the file header.
mod file_at {
    pub const FIRST_CHUNK: usize = 8;
    pub const LAST_CHUNK: usize = 16;
    pub const NEXT_RECORD_ID: usize = 24;
    pub const HEADER_SIZE: usize = 32;
    pub const MINOR_VERSION: usize = 36;
    pub const MAJOR_VERSION: usize = 38;
    pub const BLOCK_SIZE: usize = 40;
    pub const CHUNK_COUNT: usize = 42;
    pub const FLAGS: usize = 120;
    pub const CRC: usize = 124;
    /// The CRC covers the bytes before this offset.
    pub const CRC_END: usize = 120;
}

/// Field offsets in the chunk header.
mod chunk_at {
    pub const FIRST_RECORD_NUMBER: usize = 8;
    pub const LAST_RECORD_NUMBER: usize = 16;
    pub const FIRST_RECORD_ID: usize = 24;
    pub const LAST_RECORD_ID: usize = 32;
    pub const HEADER_SIZE: usize = 40;
    pub const LAST_RECORD_OFFSET: usize = 44;
    pub const FREE_SPACE_OFFSET: usize = 48;
    pub const RECORDS_CRC: usize = 52;
    pub const FLAGS: usize = 120;
    pub const HEADER_CRC: usize = 124;
    pub const STRING_TABLE: usize = 128;
    pub const TEMPLATE_TABLE: usize = 384;
}

/// Field offsets in a record header (the size is repeated in the record's last 4 bytes).
mod record_at {
    pub const SIZE: usize = 4;
    pub const ID: usize = 8;
    pub const TIME: usize = 16;
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

fn get<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    get(buf, at).map(u16::from_le_bytes)
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    get(buf, at).map(u32::from_le_bytes)
}

fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    get(buf, at).map(u64::from_le_bytes)
}

/// The file header (the first 128 bytes of the 4 KiB block), field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// Number of the oldest chunk (0 unless the log wrapped).
    pub first_chunk: u64,
    /// Number of the newest chunk.
    pub last_chunk: u64,
    /// The record id the log would give next.
    pub next_record_id: u64,
    /// Size of the header's fixed part (128).
    pub header_size: u32,
    /// Format minor version (2 since Windows 10 2004).
    pub minor_version: u16,
    /// Format major version (3).
    pub major_version: u16,
    /// Size of the header block (4096).
    pub block_size: u16,
    /// Chunks in the file; saturates at 65535 (readers count chunks from the file size).
    pub chunk_count: u16,
    /// 1: dirty (the log was not closed), 2: full.
    pub flags: u32,
    /// CRC32 of the first 120 bytes.
    pub crc: u32,
}

impl FileHeader {
    /// The header Windows 10 2004 and later write for a log of `chunks` chunks (CRC not yet
    /// computed: [`FileHeader::block`] does that).
    pub fn new(chunks: u64, next_record_id: u64, dirty: bool) -> Self {
        FileHeader {
            first_chunk: 0,
            last_chunk: chunks.saturating_sub(1),
            next_record_id,
            header_size: HEADER_SIZE_FIELD,
            minor_version: 2,
            major_version: 3,
            block_size: FILE_HEADER_BLOCK as u16,
            chunk_count: u16::try_from(chunks).unwrap_or(u16::MAX),
            flags: u32::from(dirty),
            crc: 0,
        }
    }

    /// Reads the header from the start of a file; `None` when it is short or not `ElfFile`.
    pub fn read(file: &[u8]) -> Option<Self> {
        if get::<8>(file, 0)? != FILE_MAGIC {
            return None;
        }
        Some(FileHeader {
            first_chunk: u64_at(file, file_at::FIRST_CHUNK)?,
            last_chunk: u64_at(file, file_at::LAST_CHUNK)?,
            next_record_id: u64_at(file, file_at::NEXT_RECORD_ID)?,
            header_size: u32_at(file, file_at::HEADER_SIZE)?,
            minor_version: u16_at(file, file_at::MINOR_VERSION)?,
            major_version: u16_at(file, file_at::MAJOR_VERSION)?,
            block_size: u16_at(file, file_at::BLOCK_SIZE)?,
            chunk_count: u16_at(file, file_at::CHUNK_COUNT)?,
            flags: u32_at(file, file_at::FLAGS)?,
            crc: u32_at(file, file_at::CRC)?,
        })
    }

    /// Writes the magic and every field as it is (the CRC too) over the start of `file`.
    pub fn write(&self, file: &mut [u8]) {
        put(file, 0, &FILE_MAGIC);
        put(file, file_at::FIRST_CHUNK, &self.first_chunk.to_le_bytes());
        put(file, file_at::LAST_CHUNK, &self.last_chunk.to_le_bytes());
        put(
            file,
            file_at::NEXT_RECORD_ID,
            &self.next_record_id.to_le_bytes(),
        );
        put(file, file_at::HEADER_SIZE, &self.header_size.to_le_bytes());
        put(
            file,
            file_at::MINOR_VERSION,
            &self.minor_version.to_le_bytes(),
        );
        put(
            file,
            file_at::MAJOR_VERSION,
            &self.major_version.to_le_bytes(),
        );
        put(file, file_at::BLOCK_SIZE, &self.block_size.to_le_bytes());
        put(file, file_at::CHUNK_COUNT, &self.chunk_count.to_le_bytes());
        put(file, file_at::FLAGS, &self.flags.to_le_bytes());
        put(file, file_at::CRC, &self.crc.to_le_bytes());
    }

    /// Recomputes the CRC of the header at the start of `file` and stores it there.
    pub fn seal(file: &mut [u8]) {
        let crc = crc32fast::hash(file.get(..file_at::CRC_END).unwrap_or(&[]));
        put(file, file_at::CRC, &crc.to_le_bytes());
    }

    /// The whole 4 KiB header block, with its CRC.
    pub fn block(&self) -> Vec<u8> {
        let mut block = vec![0; FILE_HEADER_BLOCK];
        self.write(&mut block);
        FileHeader::seal(&mut block);
        block
    }
}

/// A chunk header (the first 512 bytes of a chunk), field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkHeader {
    /// Record number of the chunk's first record.
    pub first_record_number: u64,
    /// Record number of its last record.
    pub last_record_number: u64,
    /// Id of its first record.
    pub first_record_id: u64,
    /// Id of its last record: readers stop there.
    pub last_record_id: u64,
    /// Size of the header's fixed part (128).
    pub header_size: u32,
    /// Offset of the last record.
    pub last_record_offset: u32,
    /// Offset of the free space after the records: readers stop there too.
    pub free_space_offset: u32,
    /// CRC32 of the records (from the header's end to the free space).
    pub records_crc: u32,
    /// Flags (4: no CRC32).
    pub flags: u32,
    /// CRC32 of bytes 0..120 and 128..512.
    pub header_crc: u32,
    /// Heads of the string (name) hash chains: offsets of entries, 0 for none.
    pub string_table: [u32; STRING_BUCKETS],
    /// Heads of the template hash chains.
    pub template_table: [u32; TEMPLATE_BUCKETS],
}

impl ChunkHeader {
    /// A header for records `first..=last` (numbers and ids alike), with empty tables and
    /// CRCs still to be computed ([`ChunkHeader::seal`]).
    pub fn new(first: u64, last: u64, last_record_offset: u32, free_space_offset: u32) -> Self {
        ChunkHeader {
            first_record_number: first,
            last_record_number: last,
            first_record_id: first,
            last_record_id: last,
            header_size: HEADER_SIZE_FIELD,
            last_record_offset,
            free_space_offset,
            records_crc: 0,
            flags: 0,
            header_crc: 0,
            string_table: [0; STRING_BUCKETS],
            template_table: [0; TEMPLATE_BUCKETS],
        }
    }

    /// Reads the header at the start of `chunk`; `None` when it is short or not `ElfChnk`.
    pub fn read(chunk: &[u8]) -> Option<Self> {
        if get::<8>(chunk, 0)? != CHUNK_MAGIC {
            return None;
        }
        let mut string_table = [0; STRING_BUCKETS];
        for (i, head) in string_table.iter_mut().enumerate() {
            *head = u32_at(chunk, chunk_at::STRING_TABLE + 4 * i)?;
        }
        let mut template_table = [0; TEMPLATE_BUCKETS];
        for (i, head) in template_table.iter_mut().enumerate() {
            *head = u32_at(chunk, chunk_at::TEMPLATE_TABLE + 4 * i)?;
        }
        Some(ChunkHeader {
            first_record_number: u64_at(chunk, chunk_at::FIRST_RECORD_NUMBER)?,
            last_record_number: u64_at(chunk, chunk_at::LAST_RECORD_NUMBER)?,
            first_record_id: u64_at(chunk, chunk_at::FIRST_RECORD_ID)?,
            last_record_id: u64_at(chunk, chunk_at::LAST_RECORD_ID)?,
            header_size: u32_at(chunk, chunk_at::HEADER_SIZE)?,
            last_record_offset: u32_at(chunk, chunk_at::LAST_RECORD_OFFSET)?,
            free_space_offset: u32_at(chunk, chunk_at::FREE_SPACE_OFFSET)?,
            records_crc: u32_at(chunk, chunk_at::RECORDS_CRC)?,
            flags: u32_at(chunk, chunk_at::FLAGS)?,
            header_crc: u32_at(chunk, chunk_at::HEADER_CRC)?,
            string_table,
            template_table,
        })
    }

    /// Writes the magic and every field as it is (CRCs too) over the start of `chunk`.
    pub fn write(&self, chunk: &mut [u8]) {
        use chunk_at::*;
        put(chunk, 0, &CHUNK_MAGIC);
        put(
            chunk,
            FIRST_RECORD_NUMBER,
            &self.first_record_number.to_le_bytes(),
        );
        put(
            chunk,
            LAST_RECORD_NUMBER,
            &self.last_record_number.to_le_bytes(),
        );
        put(chunk, FIRST_RECORD_ID, &self.first_record_id.to_le_bytes());
        put(chunk, LAST_RECORD_ID, &self.last_record_id.to_le_bytes());
        put(chunk, HEADER_SIZE, &self.header_size.to_le_bytes());
        put(
            chunk,
            LAST_RECORD_OFFSET,
            &self.last_record_offset.to_le_bytes(),
        );
        put(
            chunk,
            FREE_SPACE_OFFSET,
            &self.free_space_offset.to_le_bytes(),
        );
        put(chunk, RECORDS_CRC, &self.records_crc.to_le_bytes());
        put(chunk, FLAGS, &self.flags.to_le_bytes());
        put(chunk, HEADER_CRC, &self.header_crc.to_le_bytes());
        for (i, head) in self.string_table.iter().enumerate() {
            put(chunk, STRING_TABLE + 4 * i, &head.to_le_bytes());
        }
        for (i, head) in self.template_table.iter().enumerate() {
            put(chunk, TEMPLATE_TABLE + 4 * i, &head.to_le_bytes());
        }
    }

    /// Recomputes both CRCs of the chunk, as the `evtx` crate checks them: the records' (from
    /// the header to the free-space offset the chunk states, nothing when that is out of
    /// range), then the header's.
    pub fn seal(chunk: &mut [u8]) {
        let free = u32_at(chunk, chunk_at::FREE_SPACE_OFFSET).unwrap_or(0) as usize;
        let records = crc32fast::hash(chunk.get(CHUNK_HEADER_SIZE..free).unwrap_or(&[]));
        put(chunk, chunk_at::RECORDS_CRC, &records.to_le_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(chunk.get(..chunk_at::FLAGS).unwrap_or(&[]));
        crc.update(
            chunk
                .get(chunk_at::STRING_TABLE..CHUNK_HEADER_SIZE)
                .unwrap_or(&[]),
        );
        put(chunk, chunk_at::HEADER_CRC, &crc.finalize().to_le_bytes());
    }
}

/// A record header, field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// The record's size in bytes, header and trailing size copy included.
    pub size: u32,
    /// Its record id.
    pub id: u64,
    /// Its FILETIME.
    pub time: u64,
}

impl RecordHeader {
    /// Reads the record header at `at` in `chunk`; `None` when short or without the magic.
    pub fn read(chunk: &[u8], at: usize) -> Option<Self> {
        if get::<4>(chunk, at)? != RECORD_MAGIC {
            return None;
        }
        Some(RecordHeader {
            size: u32_at(chunk, at + record_at::SIZE)?,
            id: u64_at(chunk, at + record_at::ID)?,
            time: u64_at(chunk, at + record_at::TIME)?,
        })
    }

    /// Writes the magic and the fields at `at` in `chunk` (not the trailing size copy).
    pub fn write(&self, chunk: &mut [u8], at: usize) {
        put(chunk, at, &RECORD_MAGIC);
        put(chunk, at + record_at::SIZE, &self.size.to_le_bytes());
        put(chunk, at + record_at::ID, &self.id.to_le_bytes());
        put(chunk, at + record_at::TIME, &self.time.to_le_bytes());
    }
}

/// The offsets of a chunk's records, walked from the header to the free space the header
/// states. Errs, saying where, unless every record there has the magic, a size that fits and
/// the same size in its last 4 bytes: a chunk whose records can be renumbered safely.
pub fn record_offsets(chunk: &[u8]) -> Result<Vec<usize>, String> {
    let header = ChunkHeader::read(chunk).ok_or("no chunk header")?;
    let free = header.free_space_offset as usize;
    if free < CHUNK_HEADER_SIZE || free > chunk.len().min(CHUNK_SIZE) {
        return Err(format!("free space offset {free} out of range"));
    }
    let mut offsets = Vec::new();
    let mut at = CHUNK_HEADER_SIZE;
    while at < free {
        let record = RecordHeader::read(chunk, at).ok_or(format!("no record at {at}"))?;
        let size = record.size as usize;
        if size < RECORD_HEADER_SIZE + 4 || at + size > free {
            return Err(format!("record at {at}: size {size} does not fit"));
        }
        if u32_at(chunk, at + size - 4) != Some(record.size) {
            return Err(format!("record at {at}: its size copy differs"));
        }
        offsets.push(at);
        at += size;
    }
    Ok(offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_through_their_fields() {
        let mut header = ChunkHeader::new(5, 9, 700, 900);
        header.string_table[3] = 0x230;
        header.template_table[31] = 0x300;
        let mut chunk = vec![0u8; CHUNK_SIZE];
        header.write(&mut chunk);
        assert_eq!(ChunkHeader::read(&chunk), Some(header.clone()));
        assert_eq!(&chunk[48..52], &900u32.to_le_bytes());
        ChunkHeader::seal(&mut chunk);
        let sealed = ChunkHeader::read(&chunk).unwrap();
        assert_eq!(sealed.records_crc, crc32fast::hash(&chunk[512..900]));
        assert_ne!(sealed.header_crc, 0);

        let file = FileHeader::new(70_000, 42, true).block();
        let read = FileHeader::read(&file).unwrap();
        assert_eq!(
            (read.chunk_count, read.last_chunk, read.flags),
            (u16::MAX, 69_999, 1)
        );
        assert_eq!(read.crc, crc32fast::hash(&file[..120]));
        assert_eq!(FileHeader::read(&file[..100]), None);
        assert_eq!(ChunkHeader::read(&file), None);
    }

    #[test]
    fn record_walks_stop_at_what_does_not_fit() {
        let mut chunk = vec![0u8; CHUNK_SIZE];
        ChunkHeader::new(1, 2, 540, 568).write(&mut chunk);
        for at in [512, 540] {
            RecordHeader {
                size: 28,
                id: 1,
                time: 0,
            }
            .write(&mut chunk, at);
            chunk[at + 24..at + 28].copy_from_slice(&28u32.to_le_bytes());
        }
        assert_eq!(record_offsets(&chunk), Ok(vec![512, 540]));
        chunk[540 + 24] = 0;
        assert!(record_offsets(&chunk).is_err());
        ChunkHeader::new(1, 2, 540, 70_000).write(&mut chunk);
        assert!(record_offsets(&chunk).is_err());
    }
}
