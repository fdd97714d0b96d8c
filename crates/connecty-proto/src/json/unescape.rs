//! Decoding a JSON string literal's escapes: strictly (a lone UTF-16
//! surrogate, which no Unicode text holds, is refused) or leniently (it
//! becomes U+FFFD).

use std::borrow::Cow;

/// What the string decoder does with an escaped lone UTF-16 surrogate
/// (`"\ud800"`): valid JSON, but no Unicode scalar value, so no Rust
/// `String` can hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surrogates {
    /// Each `\u` escape that is not a whole character becomes U+FFFD
    /// (the replacement character), as `Cell::as_str` has always done.
    Replace,
    /// The string is refused: the decoder returns `None`, so that a
    /// caller can keep the cell's exact JSON text instead of changing it.
    Refuse,
}

/// The text between the quotes of the JSON string literal `raw`, as
/// written (escapes not decoded).
#[inline]
pub(crate) fn inner(raw: &str) -> &str {
    raw.get(1..raw.len().saturating_sub(1)).unwrap_or("")
}

/// Decodes the JSON string literal `raw` (quotes included, valid JSON):
/// borrowed when it has no backslash. `None` only with
/// [`Surrogates::Refuse`], on a lone surrogate.
pub(crate) fn decode(raw: &str, surrogates: Surrogates) -> Option<Cow<'_, str>> {
    let inner = inner(raw);
    if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
        return Some(Cow::Borrowed(inner));
    }
    let mut out = String::with_capacity(inner.len());
    if unescape(inner, &mut out) {
        return Some(Cow::Owned(out));
    }
    match surrogates {
        Surrogates::Refuse => None,
        Surrogates::Replace => Some(Cow::Owned(lossy_unescape(inner))),
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b.get(..4)?).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Appends the unescaped `inner` (a string literal without its quotes)
/// to `out`; `false` on a lone surrogate or a malformed escape (which
/// text the scanner accepted never holds).
pub(crate) fn unescape(inner: &str, out: &mut String) -> bool {
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(off) = memchr::memchr(b'\\', &b[i..]) else {
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

/// The lenient reading of a string with a lone surrogate: every `\u`
/// escape that is not a character by itself becomes U+FFFD (a pair
/// included, as this crate has always decoded such a string).
fn lossy_unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let ch = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                out.push(ch);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
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
            r#""\u0000\u001f\uffff""#,
            r#""""#,
        ] {
            let want: String = serde_json::from_str(raw).unwrap();
            for mode in [Surrogates::Replace, Surrogates::Refuse] {
                assert_eq!(decode(raw, mode).unwrap(), want, "{raw}");
            }
        }
        assert!(matches!(
            decode(r#""abc""#, Surrogates::Refuse),
            Some(Cow::Borrowed("abc"))
        ));
    }

    #[test]
    fn lone_surrogates_are_refused_or_replaced() {
        for (raw, replaced) in [
            (r#""\ud800""#, "\u{FFFD}"),
            (r#""x\udc00y""#, "x\u{FFFD}y"),
            (r#""\ud800\u0041""#, "\u{FFFD}A"),
            (r#""\ud800\\""#, "\u{FFFD}\\"),
            // One lone surrogate makes the lenient reading replace a
            // pair too (as serde_json-then-lossy always did).
            (r#""\ud800 \ud83d\ude00""#, "\u{FFFD} \u{FFFD}\u{FFFD}"),
        ] {
            assert_eq!(decode(raw, Surrogates::Refuse), None, "{raw}");
            assert!(serde_json::from_str::<String>(raw).is_err(), "{raw}");
            assert_eq!(decode(raw, Surrogates::Replace).unwrap(), replaced, "{raw}");
        }
        // Not JSON (a string ending in a lone backslash): refused too.
        assert_eq!(decode(r#""\ud800\""#, Surrogates::Refuse), None);
    }
}
