//! Reading values the scanner accepted before: their ends and their
//! decoded strings, found again without checking them twice.

use std::borrow::Cow;

use super::Surrogates;

/// The text of a span the scanner accepted (valid UTF-8 by construction;
/// anything else, which would be a bug, reads as empty).
#[inline]
pub(crate) fn text_of(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

/// The end of a string starting at `start` (its `"`) in text the scanner
/// accepted: plain bytes are skipped with `memchr`, without checking them
/// again.
#[inline]
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    loop {
        let rest = b.get(i..).unwrap_or_default();
        match memchr::memchr2(b'"', b'\\', rest) {
            Some(k) if rest.get(k) == Some(&b'"') => return i + k + 1,
            // An escape: skip the backslash and the byte after it (the
            // `XXXX` of `\uXXXX` are plain).
            Some(k) => i += k + 2,
            None => return b.len(),
        }
    }
}

/// Decodes the string at `start..end` (quotes included), which must have
/// been scanned by [`Scanner::string`](super::Scanner::string); a lone
/// surrogate becomes U+FFFD.
pub(crate) fn decode_string(b: &[u8], start: usize, end: usize, escaped: bool) -> Cow<'_, str> {
    let inner = &b[start + 1..end - 1];
    if !escaped {
        // The whole text was valid UTF-8 and quotes are ASCII, so the inner
        // slice is valid UTF-8 as well.
        return Cow::Borrowed(std::str::from_utf8(inner).unwrap_or_default());
    }
    let raw = std::str::from_utf8(&b[start..end]).unwrap_or_default();
    super::unescape::decode(raw, Surrogates::Replace).unwrap_or_default()
}

/// The end of the value starting at `start` in `b`, which the scanner
/// accepted before: nothing is checked again.
pub(crate) fn value_end(b: &[u8], start: usize) -> usize {
    match b.get(start) {
        Some(b'"') => string_end(b, start),
        Some(b'[' | b'{') => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(&c) = b.get(i) {
                match c {
                    b'"' => {
                        i = string_end(b, i);
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            b.len()
        }
        Some(_) => {
            let mut i = start;
            while b
                .get(i)
                .is_some_and(|&c| !matches!(c, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t'))
            {
                i += 1;
            }
            i
        }
        None => start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Scanner;

    #[test]
    fn strings_decode() {
        let t = r#""a\"b\u00e9\ud83d\ude00""#;
        let mut s = Scanner::new(t.as_bytes());
        let (a, b, esc) = s.string().unwrap();
        assert_eq!(decode_string(t.as_bytes(), a, b, esc), "a\"bé😀");
        let lone = r#""x\ud800y""#;
        let mut s = Scanner::new(lone.as_bytes());
        let (a, b, esc) = s.string().unwrap();
        assert_eq!(decode_string(lone.as_bytes(), a, b, esc), "x\u{FFFD}y");
    }

    #[test]
    fn value_end_skips_known_valid_values() {
        let t = br#"["a\"b\\",12.5e3,{"k":["]",{}]},true,"\u00e9",null]"#;
        let mut s = Scanner::new(t);
        s.pos = 1;
        let mut ends = Vec::new();
        loop {
            let (a, b) = s.value(1).unwrap();
            assert_eq!(value_end(t, a), b, "{}", String::from_utf8_lossy(&t[a..]));
            ends.push(b);
            if s.peek() == Some(b']') {
                break;
            }
            s.pos += 1;
        }
        assert_eq!(ends.len(), 6);
    }
}
