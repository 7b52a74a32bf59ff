//! Where a reader's chunks come from. A mapped file gives its chunks in place, with no copy
//! (most chunks are only searched, never parsed); a stream (a zip member, a buffer, a file
//! that cannot be mapped) is read a chunk at a time into a buffer. Evidence files provide
//! them (`crate::evidence`); the reader only asks for the next chunk.

use super::layout::CHUNK_SIZE;
use std::io::{self, Read};

/// Chunk slots, one after another.
pub trait ChunkSource {
    /// The next chunk slot's bytes: 64 KiB, or fewer where the data ends; `None` after the
    /// end.
    fn next_chunk(&mut self) -> io::Result<Option<&[u8]>>;

    /// Whether the data shrank while it was read (a mapped file truncated under the scan):
    /// what was given since then reads as zeroes and proves nothing.
    fn shrank(&self) -> bool {
        false
    }
}

/// Chunks read from a stream into one reused buffer.
pub struct Stream<'r> {
    reader: &'r mut dyn Read,
    buf: Vec<u8>,
}

impl<'r> Stream<'r> {
    /// Chunks of `reader`, from where it stands.
    pub fn new(reader: &'r mut dyn Read) -> Stream<'r> {
        Stream {
            reader,
            buf: Vec::with_capacity(CHUNK_SIZE),
        }
    }
}

impl ChunkSource for Stream<'_> {
    fn next_chunk(&mut self) -> io::Result<Option<&[u8]>> {
        // Filled in place: one read call a chunk, no zeroing but after a short read.
        if self.buf.len() != CHUNK_SIZE {
            self.buf.resize(CHUNK_SIZE, 0);
        }
        let mut filled = 0;
        while let Some(rest) = self.buf.get_mut(filled..).filter(|r| !r.is_empty()) {
            match self.reader.read(rest) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.buf.truncate(filled);
        Ok((filled > 0).then_some(self.buf.as_slice()))
    }
}

/// Chunks of a byte slice held in memory (a whole file's chunks, or a mapping of them).
pub struct Slices<'d> {
    data: &'d [u8],
}

impl<'d> Slices<'d> {
    /// The chunks of `data`, which starts at a chunk.
    pub fn new(data: &'d [u8]) -> Slices<'d> {
        Slices { data }
    }
}

impl ChunkSource for Slices<'_> {
    fn next_chunk(&mut self) -> io::Result<Option<&[u8]>> {
        if self.data.is_empty() {
            return Ok(None);
        }
        let (chunk, rest) = self.data.split_at(CHUNK_SIZE.min(self.data.len()));
        self.data = rest;
        Ok(Some(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths(source: &mut dyn ChunkSource) -> Vec<usize> {
        let mut out = Vec::new();
        while let Some(chunk) = source.next_chunk().unwrap() {
            out.push(chunk.len());
        }
        out
    }

    #[test]
    fn both_sources_cut_the_same_chunks() {
        let data = vec![7u8; 2 * CHUNK_SIZE + 100];
        assert_eq!(
            lengths(&mut Slices::new(&data)),
            [CHUNK_SIZE, CHUNK_SIZE, 100]
        );
        let mut reader = &data[..];
        assert_eq!(
            lengths(&mut Stream::new(&mut reader)),
            [CHUNK_SIZE, CHUNK_SIZE, 100]
        );
        assert!(lengths(&mut Slices::new(&[])).is_empty());
    }
}
