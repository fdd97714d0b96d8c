//! JSON string literals: their text, or the news that they hold no text.
//!
//! JSON can escape a lone UTF-16 surrogate (`"\ud800"`), which is valid
//! JSON but no Unicode scalar value, so no UTF-8 string (and no Arrow
//! `Utf8` value) holds it. connecty-proto's `Cell::as_str` replaces it with
//! U+FFFD; here it is reported instead, so the column can keep the cell's
//! exact JSON text rather than change it.

use std::borrow::Cow;

/// The text between the quotes of the string literal `raw`, as written
/// (its text when it has no backslash).
#[inline]
pub(crate) fn inner(raw: &str) -> &str {
    raw.get(1..raw.len().saturating_sub(1)).unwrap_or("")
}

/// The decoded text of the JSON string literal `raw` (quotes included),
/// borrowed when it has no escapes; `None` when it escapes a lone
/// surrogate.
#[inline]
pub(crate) fn decode(raw: &str) -> Option<Cow<'_, str>> {
    let inner = inner(raw);
    if !inner.as_bytes().contains(&b'\\') {
        return Some(Cow::Borrowed(inner));
    }
    let mut out = String::with_capacity(inner.len());
    unescape(inner, &mut out).then_some(Cow::Owned(out))
}

/// [`decode`] into a buffer the caller reuses: the decoded text, borrowed
/// from `raw` or from `scratch`.
#[inline]
pub(crate) fn decode_with<'a>(raw: &'a str, scratch: &'a mut String) -> Option<&'a str> {
    let inner = inner(raw);
    if !inner.as_bytes().contains(&b'\\') {
        return Some(inner);
    }
    unescaped(inner, scratch)
}

/// The unescaped text of `inner` (a string literal without its quotes,
/// known to hold a backslash), in `scratch`; `None` on a lone surrogate.
#[inline]
pub(crate) fn unescaped<'a>(inner: &str, scratch: &'a mut String) -> Option<&'a str> {
    scratch.clear();
    unescape(inner, scratch).then_some(scratch.as_str())
}

fn hex4(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b.get(..4)?).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Appends the unescaped `inner` (a string literal without its quotes) to
/// `out`; `false` on a lone surrogate or a malformed escape.
fn unescape(inner: &str, out: &mut String) -> bool {
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(off) = b[i..].iter().position(|&c| c == b'\\') else {
            out.push_str(&inner[i..]);
            return true;
        };
        out.push_str(&inner[i..i + off]);
        i += off;
        let c = match b.get(i + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let Some(hi) = b.get(i + 2..).and_then(hex4) else {
                    return false;
                };
                i += 6;
                let ch = match hi {
                    0xD800..=0xDBFF => {
                        let lo = (b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u'))
                            .then(|| b.get(i + 2..).and_then(hex4))
                            .flatten();
                        match lo {
                            Some(lo @ 0xDC00..=0xDFFF) => {
                                i += 6;
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            }
                            _ => None,
                        }
                    }
                    0xDC00..=0xDFFF => None,
                    _ => char::from_u32(hi),
                };
                let Some(ch) = ch else { return false };
                out.push(ch);
                continue;
            }
            _ => return false,
        };
        out.push(c);
        i += 2;
    }
    true
}

/// Appends `s` to `out` as a JSON string literal, quotes included.
pub(crate) fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_serde_json() {
        for raw in [
            r#""plain żółw""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\ud83d\ude00x""#,
            r#""""#,
        ] {
            let want: String = serde_json::from_str(raw).unwrap();
            assert_eq!(decode(raw).unwrap(), want, "{raw}");
            let mut back = String::new();
            write_json_string(&want, &mut back);
            assert_eq!(serde_json::from_str::<String>(&back).unwrap(), want);
        }
        assert!(matches!(decode(r#""abc""#), Some(Cow::Borrowed("abc"))));
    }

    #[test]
    fn lone_surrogates_are_not_text() {
        for raw in [
            r#""\ud800""#,
            r#""x\udc00y""#,
            r#""\ud800\u0041""#,
            r#""\ud800\""#,
        ] {
            assert_eq!(decode(raw), None, "{raw}");
        }
    }
}
