//! The classes of 64 bytes of JSON text as bit masks, one bit per byte: the first step of reading JSON
//! without parsing it (see [`super::tally`]). On x86-64 it compares 16 bytes at a time with SSE2, which
//! every x86-64 processor has; elsewhere it looks at one byte at a time.

/// The classes of a block's bytes, one bit per byte (bit `i` for byte `i`).
pub struct Masks {
    /// `"`.
    pub quote: u64,
    /// `\`.
    pub backslash: u64,
    /// `{`, `}`, `[`, `]`, `:` and `,`.
    pub structural: u64,
    /// JSON's four whitespace characters.
    pub space: u64,
    /// Bytes below 0x20.
    pub control: u64,
}

/// The classes of `block`'s bytes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub fn of(block: &[u8; 64]) -> Masks {
    // SAFETY: the function only needs SSE2, which this build enables for every x86-64 target (the cfg
    // above), so the processor running it has it. It reads `block` by value, through no pointer.
    unsafe { sse2(block) }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn sse2(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8,
    };
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&block[at..at + 8]);
        i64::from_le_bytes(bytes)
    };
    let mut m = [0u64; 5];
    for lane in 0..4 {
        let v = _mm_set_epi64x(word(lane * 16 + 8), word(lane * 16));
        let is = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
        // `[` and `{`, `]` and `}` differ only in bit 0x20.
        let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let folded_is = |c: u8| _mm_cmpeq_epi8(folded, _mm_set1_epi8(c as i8));
        let classes: [__m128i; 5] = [
            is(b'"'),
            is(b'\\'),
            _mm_or_si128(
                _mm_or_si128(folded_is(b'{'), folded_is(b'}')),
                _mm_or_si128(is(b':'), is(b',')),
            ),
            _mm_or_si128(
                _mm_or_si128(is(b' '), is(b'\t')),
                _mm_or_si128(is(b'\n'), is(b'\r')),
            ),
            _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v),
        ];
        for (bits, class) in m.iter_mut().zip(classes) {
            *bits |= u64::from(_mm_movemask_epi8(class) as u16) << (16 * lane);
        }
    }
    let [quote, backslash, structural, space, control] = m;
    Masks {
        quote,
        backslash,
        structural,
        space,
        control,
    }
}

/// The classes of `block`'s bytes, one byte at a time.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn one_by_one(block: &[u8; 64]) -> Masks {
    let mask = |f: &dyn Fn(u8) -> bool| {
        block
            .iter()
            .enumerate()
            .fold(0u64, |m, (i, &b)| m | (u64::from(f(b)) << i))
    };
    Masks {
        quote: mask(&|b| b == b'"'),
        backslash: mask(&|b| b == b'\\'),
        structural: mask(&|b| matches!(b, b'{' | b'}' | b'[' | b']' | b':' | b',')),
        space: mask(&|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')),
        control: mask(&|b| b < 0x20),
    }
}

/// The classes of `block`'s bytes.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub fn of(block: &[u8; 64]) -> Masks {
    one_by_one(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_value_in_every_position_is_classed_alike_both_ways() {
        for value in 0..=255u8 {
            for at in [0, 1, 15, 16, 31, 32, 47, 48, 63] {
                let mut block = [b'a'; 64];
                block[at] = value;
                let (fast, slow) = (of(&block), one_by_one(&block));
                let pairs = [
                    (fast.quote, slow.quote),
                    (fast.backslash, slow.backslash),
                    (fast.structural, slow.structural),
                    (fast.space, slow.space),
                    (fast.control, slow.control),
                ];
                for (f, s) in pairs {
                    assert_eq!(f, s, "byte {value:#x} at {at}");
                }
            }
        }
    }
}
