//! Eight bytes at a time: the word tricks (SWAR on `u64`) behind the
//! scanner's string, digit and UTF-8 loops.

/// Eight copies of a byte, one per byte of a `u64`.
const fn splat(byte: u8) -> u64 {
    0x0101_0101_0101_0101 * byte as u64
}

/// The high bit of every byte of `x` whose byte is below `n` (`n` at most
/// 0x80). Exact for the lowest such byte, which is all the callers use:
/// a borrow can only flag bytes above a byte that is truly below `n`.
#[inline(always)]
const fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(splat(n)) & !x & splat(0x80)
}

/// The high bit of every byte of `x` that equals `byte` (exact for the
/// lowest, as for [`below`]).
#[inline(always)]
const fn equal(x: u64, byte: u8) -> u64 {
    below(x ^ splat(byte), 1)
}

/// Checks that `b` is UTF-8 as `std::str::from_utf8` does (no overlong
/// forms, no surrogates, nothing above U+10FFFF: the Unicode standard's
/// table 3-7); on failure, the offset where the bad sequence starts (its
/// `valid_up_to`). For the short strings of a body this costs a fraction
/// of a call to the standard library's, which is built for long text; a
/// test compares the two on every sequence of up to three bytes, and on
/// four-byte sequences around every boundary.
#[inline]
pub(super) fn utf8_check(b: &[u8]) -> std::result::Result<(), usize> {
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c < 0x80 {
            i += 1;
            continue;
        }
        // The sequence's length and the range its second byte must be in.
        let (len, lo, hi) = match c {
            0xC2..=0xDF => (2, 0x80, 0xBF),
            0xE0 => (3, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
            0xED => (3, 0x80, 0x9F),
            0xF0 => (4, 0x90, 0xBF),
            0xF1..=0xF3 => (4, 0x80, 0xBF),
            0xF4 => (4, 0x80, 0x8F),
            _ => return Err(i),
        };
        if !b.get(i + 1).is_some_and(|c| (lo..=hi).contains(c)) {
            return Err(i);
        }
        for k in 2..len {
            if !b.get(i + k).is_some_and(|c| (0x80..=0xBF).contains(c)) {
                return Err(i);
            }
        }
        i += len;
    }
    Ok(())
}

/// How many ASCII digits `b[i..]` starts with, eight bytes at a time.
#[inline]
pub(super) fn digits(b: &[u8], i: usize) -> usize {
    let mut n = 0;
    while let Some(word) = b.get(i + n..i + n + 8) {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        // A digit becomes 0..=9; adding 0x76 to the low seven bits sets the
        // high bit of any byte above 9 (no carry crosses bytes), and `| t`
        // catches bytes that had it already.
        let t = u64::from_le_bytes(word) ^ splat(b'0');
        let other = (((t & splat(0x7f)) + splat(0x76)) | t) & splat(0x80);
        if other != 0 {
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while b.get(i + n).is_some_and(u8::is_ascii_digit) {
        n += 1;
    }
    n
}

/// The index of the first byte at or after `i` that can end a run of
/// plain string content: `"`, `\`, or a control character (below
/// 0x20); `b.len()` if there is none. Eight bytes at a time (SWAR), so a
/// string's body costs about one step per word. Sets a bit of `high` when
/// a byte it passed is above 0x7F (the string then needs a UTF-8 check).
#[inline]
pub(super) fn skip_plain(b: &[u8], mut i: usize, high: &mut u64) -> usize {
    while let Some(word) = b.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let x = u64::from_le_bytes(word);
        let hits = equal(x, b'"') | equal(x, b'\\') | below(x, 0x20);
        if hits != 0 {
            // The lowest hit is the high bit of byte k: bit 8k + 7.
            let k = hits.trailing_zeros() / 8;
            let passed = (1u64 << (8 * k)).wrapping_sub(1);
            *high |= x & passed & splat(0x80);
            return i + k as usize;
        }
        *high |= x & splat(0x80);
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        *high |= u64::from(c & 0x80);
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_check_agrees_with_the_standard_library() {
        let agree = |seq: &[u8]| {
            let ours = utf8_check(seq);
            let std = std::str::from_utf8(seq)
                .map(|_| ())
                .map_err(|e| e.valid_up_to());
            assert_eq!(ours, std, "{seq:x?}");
        };
        for a in 0..=255u8 {
            agree(&[a]);
            for b in 0..=255u8 {
                agree(&[a, b]);
                agree(&[b'x', a, b]);
                if a >= 0xC0 {
                    for c in 0..=255u8 {
                        agree(&[a, b, c]);
                    }
                }
            }
        }
        let edges = [
            0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF4, 0xFF,
        ];
        for a in 0xE0..=0xFFu8 {
            for b in edges {
                for c in edges {
                    for d in edges {
                        agree(&[a, b, c, d]);
                        agree(&[a, b, c, d, b'x']);
                    }
                }
            }
        }
    }
}
