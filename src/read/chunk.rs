//! Chunk slots: what a 64 KiB slot holds (nothing, a chunk, or damage), and how a chunk whose
//! header was wiped is given to the `evtx` crate so that `--recover` carves its records. The
//! record headers are walked by `census`.

use super::layout::{chunk_header, CHUNK_HEADER_SIZE, CHUNK_MAGIC};

/// What a chunk slot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Zeroes: an unused slot at the end of a log.
    Blank,
    /// A chunk (its magic is there).
    Chunk,
    /// Anything else: damage, described.
    Damaged(String),
}

/// Looks at a slot's first bytes.
pub fn slot(buf: &[u8]) -> Slot {
    if buf.get(..CHUNK_MAGIC.len()) == Some(CHUNK_MAGIC.as_slice()) {
        return Slot::Chunk;
    }
    if buf.iter().all(|&b| b == 0) {
        return Slot::Blank;
    }
    let head: Vec<String> = buf.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Slot::Damaged(format!("not a chunk (bad magic {})", head.join(" ")))
}

/// Rewrites a damaged chunk header as an empty chunk's (magic, header size, free space at the
/// first record, no lookup tables) so the `evtx` crate carves every record in it as slack.
pub fn as_cleared_chunk(chunk: &mut [u8]) {
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(slot) = chunk.get_mut(at..at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
    };
    let first_record = (CHUNK_HEADER_SIZE as u32).to_le_bytes();
    put(0, CHUNK_MAGIC);
    put(chunk_header::FIRST_RECORD_ID, &0u64.to_le_bytes());
    put(chunk_header::LAST_RECORD_ID, &0u64.to_le_bytes());
    put(
        chunk_header::HEADER_SIZE,
        &(chunk_header::TABLES as u32).to_le_bytes(),
    );
    put(chunk_header::LAST_RECORD_OFFSET, &first_record);
    put(chunk_header::FREE_SPACE_OFFSET, &first_record);
    put(chunk_header::FLAGS, &0u32.to_le_bytes());
    // The string and template tables: names are inline, so nothing is lost.
    put(
        chunk_header::TABLES,
        &[0; CHUNK_HEADER_SIZE - chunk_header::TABLES],
    );
}
