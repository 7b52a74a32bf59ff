//! Chunk classification: what a 64 KiB slot holds (nothing, a chunk, or damage), and the
//! checks made on a chunk's header and record headers without parsing its records, so that
//! damage is reported whether or not the pre-filter has the chunk parsed.

use super::layout::{
    chunk_header, record_header, u32_at, u64_at, CHUNK_HEADER_SIZE, CHUNK_MAGIC,
    RECORD_HEADER_SIZE, RECORD_MAGIC, RECORD_OVERHEAD,
};
use evtx::EvtxChunkHeader;

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

/// Records the header says the chunk holds (for chunks that are not parsed).
pub fn declared_records(header: &EvtxChunkHeader) -> u64 {
    header
        .last_event_record_number
        .saturating_sub(header.first_event_record_number)
        .saturating_add(1)
        .min(super::layout::CHUNK_SIZE as u64)
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

/// A header whose free space starts before the first record says the chunk holds no live
/// record, so the `evtx` crate reads none; records there are only carved with `--recover`.
pub fn free_space_before_records(header: &EvtxChunkHeader) -> Option<String> {
    let free = header.free_space_offset;
    (free < CHUNK_HEADER_SIZE as u32
        && header.last_event_record_id >= header.first_event_record_id
        && header.last_event_record_id > 0)
        .then(|| {
            format!(
                "the header's free space offset ({free}) is before the first record: its records \
             are not read (--recover carves them)"
            )
        })
}

/// Walks the record headers of a chunk that is not parsed (the pre-filter skipped it), the way
/// the `evtx` crate walks them, so that damage there is still reported.
pub fn check_record_headers(chunk: &[u8], header: &EvtxChunkHeader) -> Result<(), String> {
    if let Some(problem) = free_space_before_records(header) {
        // Only worth saying when records are there to be missed.
        if chunk.get(CHUNK_HEADER_SIZE..CHUNK_HEADER_SIZE + 4) == Some(RECORD_MAGIC.as_slice()) {
            return Err(problem);
        }
    }
    let live_end = usize::try_from(header.free_space_offset)
        .unwrap_or(usize::MAX)
        .min(chunk.len());
    let mut pos = CHUNK_HEADER_SIZE;
    while pos < live_end {
        let Some(record) = chunk.get(pos..pos + RECORD_HEADER_SIZE) else {
            return Err(format!(
                "record header at offset {pos:#x} is cut off by the chunk's end"
            ));
        };
        if record.get(..RECORD_MAGIC.len()) != Some(RECORD_MAGIC.as_slice()) {
            // Zeroes up to the free space with no record after them: just the end.
            let rest = chunk.get(pos..live_end).unwrap_or_default();
            let blank = record.get(..4) == Some([0u8; 4].as_slice())
                && !rest.windows(4).any(|w| w == RECORD_MAGIC);
            return if blank {
                Ok(())
            } else {
                Err(format!(
                    "record header at offset {pos:#x} is damaged (bad magic)"
                ))
            };
        }
        let size = u32_at(record, record_header::SIZE).unwrap_or(0) as usize;
        let id = u64_at(record, record_header::ID).unwrap_or(0);
        if size < RECORD_OVERHEAD || pos + size > chunk.len() {
            return Err(format!(
                "record {id} at offset {pos:#x} has an invalid size ({size} bytes)"
            ));
        }
        if id == header.last_event_record_id {
            break;
        }
        pos += size;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::layout::CHUNK_SIZE;
    use crate::read::tests::{file, sysmon};

    #[test]
    fn damaged_record_headers_in_skipped_chunks_are_reported() {
        let (_dir, _, bytes) = file(&[sysmon("a", 1), sysmon("b", 2), sysmon("c", 3)]);
        let mut chunk = bytes[4096..4096 + CHUNK_SIZE].to_vec();
        let header = EvtxChunkHeader::from_bytes(&chunk).unwrap();
        assert_eq!(check_record_headers(&chunk, &header), Ok(()));
        let second = 512 + u32::from_le_bytes(chunk[516..520].try_into().unwrap()) as usize;
        chunk[second + 4..second + 8].copy_from_slice(&0u32.to_le_bytes());
        let problem = check_record_headers(&chunk, &header).unwrap_err();
        assert!(problem.contains("invalid size (0 bytes)"), "{problem}");
        chunk[second..second + 4].copy_from_slice(b"XXXX");
        let problem = check_record_headers(&chunk, &header).unwrap_err();
        assert!(problem.contains("damaged (bad magic)"), "{problem}");
    }
}
