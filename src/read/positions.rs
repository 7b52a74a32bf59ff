//! Where a byte occurs in a chunk, fast: the first step of every word search (`needle.rs`).

/// The positions of either of two bytes in `data`, in order, appended to `out`. The anchor
/// letter is common (~150 a chunk in Sysmon logs), and restarting a search after every hit, as
/// an iterator over `memchr2` does, cost more than the scan itself: with AVX2 the whole scan is
/// one loop of vector compares that walks each block's match bits.
pub(super) fn positions(data: &[u8], a: u8, b: u8, out: &mut Vec<usize>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        unsafe { positions_avx2(data, a, b, out) };
        return;
    }
    out.extend(memchr::memchr2_iter(a, b, data));
}

/// `positions` with AVX2: 64 bytes a step, the tail byte by byte.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn positions_avx2(data: &[u8], a: u8, b: u8, out: &mut Vec<usize>) {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };
    let (va, vb) = (_mm256_set1_epi8(a as i8), _mm256_set1_epi8(b as i8));
    let mut blocks = data.chunks_exact(64);
    let mut base = 0;
    for block in blocks.by_ref() {
        let ptr = block.as_ptr().cast::<__m256i>();
        // SAFETY: `block` is 64 readable bytes: two unaligned 256-bit loads.
        let (lo, hi) = unsafe { (_mm256_loadu_si256(ptr), _mm256_loadu_si256(ptr.add(1))) };
        let m_lo = _mm256_or_si256(_mm256_cmpeq_epi8(lo, va), _mm256_cmpeq_epi8(lo, vb));
        let m_hi = _mm256_or_si256(_mm256_cmpeq_epi8(hi, va), _mm256_cmpeq_epi8(hi, vb));
        let mut bits = u64::from(_mm256_movemask_epi8(m_lo) as u32)
            | (u64::from(_mm256_movemask_epi8(m_hi) as u32) << 32);
        while bits != 0 {
            out.push(base + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
        base += 64;
    }
    for (i, &x) in blocks.remainder().iter().enumerate() {
        if x == a || x == b {
            out.push(base + i);
        }
    }
}

#[cfg(test)]
mod positions_tests {
    use super::*;

    #[test]
    fn every_position_of_either_byte_in_order() {
        for len in [0usize, 1, 63, 64, 65, 1000] {
            let data: Vec<u8> = (0..len as u32).map(|i| (i * 7919 % 251) as u8).collect();
            let mut found = Vec::new();
            positions(&data, b'v', b'V', &mut found);
            let want: Vec<usize> = memchr::memchr2_iter(b'v', b'V', &data).collect();
            assert_eq!(found, want, "{len}");
        }
    }
}
