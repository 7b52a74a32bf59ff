//! The EVTX on-disk layout wmihunt relies on, in one place (MS-EVEN6 and the `evtx` crate's
//! reading of it). Sizes and offsets inside a chunk are `usize` (they index chunk bytes);
//! positions in a file are `u64`.

/// The first 8 bytes of every EVTX file.
pub const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";
/// Size of the file header block that precedes the chunks.
pub const FILE_HEADER_SIZE: u64 = 4096;
/// Size of one chunk.
pub const CHUNK_SIZE: usize = 65536;
/// The chunk header, with its string and template tables; records start after it.
pub const CHUNK_HEADER_SIZE: usize = 512;
/// The first 8 bytes of every chunk.
pub const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
/// Every record starts with `**\0\0`.
pub const RECORD_MAGIC: &[u8; 4] = b"\x2a\x2a\x00\x00";
/// Record header: magic, size, id, time; the BinXML follows it.
pub const RECORD_HEADER_SIZE: usize = 24;
/// Record header plus the copy of the record's size that ends it.
pub const RECORD_OVERHEAD: usize = RECORD_HEADER_SIZE + 4;

/// Offsets of the chunk header fields wmihunt reads or writes.
pub mod chunk_header {
    /// First event record id (u64).
    pub const FIRST_RECORD_ID: usize = 24;
    /// Last event record id (u64).
    pub const LAST_RECORD_ID: usize = 32;
    /// Size of the header proper (u32, 128).
    pub const HEADER_SIZE: usize = 40;
    /// Offset of the last record (u32).
    pub const LAST_RECORD_OFFSET: usize = 44;
    /// Offset of the free space after the last record (u32).
    pub const FREE_SPACE_OFFSET: usize = 48;
    /// Flags (u32).
    pub const FLAGS: usize = 120;
    /// The header proper ends here; the string and template tables follow.
    pub const TABLES: usize = 128;
}

/// Offsets of the record header fields.
pub mod record_header {
    /// Size of the whole record (u32).
    pub const SIZE: usize = 4;
    /// Event record id (u64).
    pub const ID: usize = 8;
}

/// Number of chunk slots a file of `len` bytes holds, counting a truncated last one.
pub fn chunk_slots(len: u64) -> u64 {
    len.saturating_sub(FILE_HEADER_SIZE)
        .div_ceil(CHUNK_SIZE as u64)
}

/// Where chunk `index` starts in its file.
pub fn chunk_offset(index: u64) -> Option<u64> {
    index
        .checked_mul(CHUNK_SIZE as u64)?
        .checked_add(FILE_HEADER_SIZE)
}

/// The little-endian u32 at `at`, when `data` holds it.
pub fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// The little-endian u64 at `at`, when `data` holds it.
pub fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    let bytes = data.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// The little-endian u16 at `at`, when `data` holds it.
pub fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_a_truncated_last_chunk() {
        assert_eq!(chunk_slots(0), 0);
        assert_eq!(chunk_slots(4096), 0);
        assert_eq!(chunk_slots(4096 + 65536), 1);
        assert_eq!(chunk_slots(4096 + 65537), 2);
        assert_eq!(chunk_offset(2), Some(4096 + 2 * 65536));
        assert_eq!(chunk_offset(u64::MAX), None);
    }

    #[test]
    fn integers_read_only_inside_the_data() {
        let data = [1, 0, 0, 0, 2, 0, 0, 0, 3];
        assert_eq!(u32_at(&data, 0), Some(1));
        assert_eq!(u64_at(&data, 0), Some(0x0000_0002_0000_0001));
        assert_eq!(u16_at(&data, 8), None);
        assert_eq!(u32_at(&data, usize::MAX), None);
    }
}
