//! A small validating JSON scanner over bytes.
//!
//! It finds where values start and end without building them, which is what
//! lets the dataframe keep spans into the body instead of a tree of values.
//!
//! It also checks UTF-8, where it can occur: outside strings the grammar
//! allows ASCII only, so any other byte there is already a syntax error,
//! and inside a string the bytes are checked when the string has any byte
//! above 0x7F (found while looking for its end, at no extra cost for ASCII
//! strings). Text the scanner accepts is therefore valid UTF-8, and the
//! body is never checked as a whole in a separate pass.
//!
//! Speed comes from looking at eight bytes at a time inside strings (SWAR on
//! `u64` words, see [`skip_plain`]), which is where most of a results body's
//! bytes are, and from skipping known-valid values with `memchr`
//! ([`value_end`]). No `unsafe`.

use std::borrow::Cow;

/// The deepest nesting accepted inside a response, arrays and objects
/// counted. Deeper input is a decode error, never a stack overflow.
pub const MAX_DEPTH: usize = 128;

/// A scan failure: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub at: usize,
    pub message: &'static str,
}

type Result<T> = std::result::Result<T, ScanError>;

/// The kind of a JSON value, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `null`
    Null,
    /// `true` or `false`
    Bool,
    /// A number, kept as its exact text.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl ValueKind {
    /// The kind of the value whose text starts with `first`.
    pub(crate) fn of(first: u8) -> ValueKind {
        match first {
            b'n' => ValueKind::Null,
            b't' | b'f' => ValueKind::Bool,
            b'"' => ValueKind::String,
            b'[' => ValueKind::Array,
            b'{' => ValueKind::Object,
            _ => ValueKind::Number,
        }
    }
}

pub(crate) struct Scanner<'a> {
    pub b: &'a [u8],
    pub pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Self { b, pos: 0 }
    }

    #[inline]
    fn err<T>(&self, message: &'static str) -> Result<T> {
        Err(ScanError {
            at: self.pos,
            message,
        })
    }

    #[inline]
    pub fn ws(&mut self) {
        // Most values follow their separator directly: one comparison.
        if self.b.get(self.pos).is_some_and(|&c| c > b' ') {
            return;
        }
        while let Some(&c) = self.b.get(self.pos) {
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Skips white space and returns the next byte without consuming it.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    /// Skips white space and consumes `c`.
    #[inline]
    pub fn expect(&mut self, c: u8, message: &'static str) -> Result<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else if self.pos >= self.b.len() {
            self.err("unexpected end of JSON")
        } else {
            self.err(message)
        }
    }

    /// Whether only white space is left.
    pub fn at_end(&mut self) -> bool {
        self.ws();
        self.pos >= self.b.len()
    }

    /// Scans a string starting at the current `"`; returns its span,
    /// quotes included, and whether it has escapes.
    #[inline]
    pub fn string(&mut self) -> Result<(usize, usize, bool)> {
        let start = self.pos;
        debug_assert_eq!(self.b.get(start), Some(&b'"'));
        let b = self.b;
        let mut i = start + 1;
        let mut escaped = false;
        let mut high = 0u64;
        loop {
            i = skip_plain(b, i, &mut high);
            match b.get(i) {
                Some(b'"') => {
                    if high != 0 {
                        let inner = b.get(start + 1..i).unwrap_or_default();
                        if let Err(at) = utf8_check(inner) {
                            self.pos = start + 1 + at;
                            return self.err("invalid UTF-8 in string");
                        }
                    }
                    self.pos = i + 1;
                    return Ok((start, i + 1, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    match b.get(i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                        Some(b'u') => {
                            let hex = b.get(i + 2..i + 6);
                            if hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                i += 6;
                            } else {
                                self.pos = i;
                                return self.err("invalid \\u escape in string");
                            }
                        }
                        _ => {
                            self.pos = i;
                            return self.err("invalid escape in string");
                        }
                    }
                }
                Some(_) => {
                    self.pos = i;
                    return self.err("control character in string");
                }
                None => {
                    self.pos = i;
                    return self.err("unterminated string");
                }
            }
        }
    }

    /// Scans a number at the current position, per the JSON grammar.
    #[inline]
    pub fn number(&mut self) -> Result<()> {
        let b = self.b;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i += digits(b, i),
            _ => {
                self.pos = i;
                return self.err("invalid value");
            }
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let n = digits(b, i);
            if n == 0 {
                self.pos = i;
                return self.err("invalid number: digit expected after '.'");
            }
            i += n;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let n = digits(b, i);
            if n == 0 {
                self.pos = i;
                return self.err("invalid number: digit expected in exponent");
            }
            i += n;
        }
        self.pos = i;
        Ok(())
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<()> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            self.err("invalid literal")
        }
    }

    /// Skips one value at the current position, after white space: the
    /// same as [`value`](Self::value), with strings and numbers (most
    /// cells) handled without its dispatch.
    #[inline]
    pub fn cell(&mut self, depth: usize) -> Result<()> {
        match self.b.get(self.pos) {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.value(depth).map(|_| ()),
        }
    }

    /// Skips one value (after white space); returns its span.
    pub fn value(&mut self, depth: usize) -> Result<(usize, usize)> {
        let Some(c) = self.peek() else {
            return self.err("unexpected end of JSON");
        };
        let start = self.pos;
        match c {
            b'"' => {
                self.string()?;
            }
            b'{' => {
                if depth >= MAX_DEPTH {
                    return self.err("nested too deeply");
                }
                self.pos += 1;
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        if self.peek() != Some(b'"') {
                            return self.err("object key expected");
                        }
                        self.string()?;
                        self.expect(b':', "':' expected after object key")?;
                        self.value(depth + 1)?;
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            None => return self.err("unexpected end of JSON"),
                            _ => return self.err("',' or '}' expected"),
                        }
                    }
                }
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return self.err("nested too deeply");
                }
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.value(depth + 1)?;
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            None => return self.err("unexpected end of JSON"),
                            _ => return self.err("',' or ']' expected"),
                        }
                    }
                }
            }
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            _ => self.number()?,
        }
        Ok((start, self.pos))
    }

    /// Iterates the members of an object whose `{` is next: calls `f` with
    /// each decoded key and leaves the scanner at its value.
    pub fn object<F>(&mut self, mut f: F) -> Result<()>
    where
        F: FnMut(&mut Self, Cow<'a, str>) -> Result<()>,
    {
        self.expect(b'{', "JSON object expected")?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return self.err("object key expected");
            }
            let (s, e, esc) = self.string()?;
            let key = decode_string(self.b, s, e, esc);
            self.expect(b':', "':' expected after object key")?;
            f(self, key)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                None => return self.err("unexpected end of JSON"),
                _ => return self.err("',' or '}' expected"),
            }
        }
    }
}

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
fn utf8_check(b: &[u8]) -> std::result::Result<(), usize> {
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
fn digits(b: &[u8], i: usize) -> usize {
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
pub(crate) fn skip_plain(b: &[u8], mut i: usize, high: &mut u64) -> usize {
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
/// been scanned by [`Scanner::string`].
pub(crate) fn decode_string(b: &[u8], start: usize, end: usize, escaped: bool) -> Cow<'_, str> {
    let inner = &b[start + 1..end - 1];
    if !escaped {
        // The whole text was valid UTF-8 and quotes are ASCII, so the inner
        // slice is valid UTF-8 as well.
        return Cow::Borrowed(std::str::from_utf8(inner).unwrap_or_default());
    }
    let raw = std::str::from_utf8(&b[start..end]).unwrap_or_default();
    match serde_json::from_str::<String>(raw) {
        Ok(s) => Cow::Owned(s),
        // Lone surrogates (`"\ud800"`) are valid JSON syntax but not Unicode:
        // keep what can be kept.
        Err(_) => Cow::Owned(lossy_unescape(inner)),
    }
}

fn lossy_unescape(inner: &[u8]) -> String {
    let mut out = String::with_capacity(inner.len());
    let text = std::str::from_utf8(inner).unwrap_or_default();
    let mut chars = text.chars();
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

    fn skip(t: &str) -> Result<(usize, usize)> {
        let mut s = Scanner::new(t.as_bytes());
        let r = s.value(0)?;
        if !s.at_end() {
            return Err(ScanError {
                at: s.pos,
                message: "trailing",
            });
        }
        Ok(r)
    }

    #[test]
    fn valid_values() {
        for t in [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "12345678901234567890123",
            "-1.5e-10",
            "1E+2",
            r#""a\"b\\c\u00e9\n""#,
            r#"{"a":[1,{"b":null}],"c":"d"}"#,
            " [ ] ",
            "{}",
            "\"żółw 🐢\"",
        ] {
            assert!(skip(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn invalid_values() {
        for t in [
            "",
            "nul",
            "01",
            "1.",
            "-",
            "1e",
            ".5",
            "+1",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "\"abc",
            "\"a\\x\"",
            "\"\\u12\"",
            "\"tab\there\"",
            "[1 2]",
            "{1:2}",
            "NaN",
            "[",
            "tru",
        ] {
            assert!(skip(t).is_err(), "{t:?}");
        }
    }

    #[test]
    fn depth_is_limited() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(skip(&deep).unwrap_err().message, "nested too deeply");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(skip(&ok).is_ok());
        let huge = "[".repeat(100_000);
        assert!(skip(&huge).is_err());
    }

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

    /// What the scanner must accept: valid UTF-8 that serde_json accepts
    /// as one JSON value (serde_json does not pair `\u` surrogates when it
    /// skips a value, and neither does the scanner).
    fn reference_accepts(bytes: &[u8]) -> bool {
        std::str::from_utf8(bytes)
            .is_ok_and(|t| serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok())
    }

    fn scanner_accepts(bytes: &[u8]) -> bool {
        let mut s = Scanner::new(bytes);
        s.value(0).is_ok() && s.at_end()
    }

    /// Pieces of JSON, and of broken JSON, that random documents are made
    /// of: every byte class the scanner treats differently.
    const PIECES: &[&[u8]] = &[
        b"[",
        b"]",
        b"{",
        b"}",
        b",",
        b":",
        b"\"",
        b"\\",
        b"\\u",
        b"00e9",
        b"d83d",
        b"\\n",
        b"\\x",
        b"0",
        b"1",
        b"-",
        b".",
        b"e",
        b"E",
        b"+",
        b"true",
        b"fals",
        b"null",
        b"\"k\"",
        b"\"ab\"",
        b" ",
        b"\n",
        b"\t",
        b"\x01",
        b"\x1f",
        b"\x7f",
        "é".as_bytes(),
        "🐢".as_bytes(),
        b"\xff",
        b"\x80",
        b"\xc3",
        b"\xed\xa0\x80",
        b"\xf0\x9f",
        b"abcdefgh",
        b"\"0123456789abcdef",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 1024, .. Default::default() })]

        /// Random sequences of pieces: accepted exactly when the reference
        /// accepts them.
        #[test]
        fn accepts_exactly_what_serde_json_accepts(pieces in proptest::collection::vec(0..PIECES.len(), 0..24)) {
            let doc: Vec<u8> = pieces.iter().flat_map(|&i| PIECES[i].iter().copied()).collect();
            proptest::prop_assert_eq!(scanner_accepts(&doc), reference_accepts(&doc), "{:?}", String::from_utf8_lossy(&doc));
        }

        /// A valid document with one byte changed, inside strings, numbers
        /// and structure alike (longer strings cross the 8-byte words).
        #[test]
        fn one_changed_byte_is_judged_like_serde_json(
            text in "[a-z0-9 éß🐢]{0,40}",
            num in "-?(0|[1-9][0-9]{0,12})(\\.[0-9]{1,6})?([eE][+-]?[0-9]{1,3})?",
            at in 0usize..200,
            byte in proptest::prelude::any::<u8>(),
        ) {
            let doc = format!(r#"{{"a":["{text}",{num},true,null,{{"b\"\\/\n":[]}}],"{text}":"\u00e9{text}"}}"#);
            let mut doc = doc.into_bytes();
            proptest::prop_assert!(scanner_accepts(&doc));
            let at = at % doc.len();
            doc[at] = byte;
            proptest::prop_assert_eq!(scanner_accepts(&doc), reference_accepts(&doc), "{:?}", String::from_utf8_lossy(&doc));
        }
    }

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

    #[test]
    fn utf8_is_checked_inside_strings_only_where_needed() {
        for (t, ok) in [
            ("\"żółw 🐢 and a longer tail of ASCII\"".as_bytes(), true),
            (b"\"abcdefg\xff\"".as_slice(), false),
            (b"\"\xff\"".as_slice(), false),
            (b"\"0123456789abcdef\xc3\"".as_slice(), false),
            (b"\"\xed\xa0\x80\"".as_slice(), false),
            (b"[1,\xc3\xa9]".as_slice(), false),
        ] {
            assert_eq!(scanner_accepts(t), ok, "{:?}", String::from_utf8_lossy(t));
        }
        let mut s = Scanner::new(b"\"abcdefghij\xff\"");
        let e = s.string().unwrap_err();
        assert_eq!((e.at, e.message), (11, "invalid UTF-8 in string"));
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

    #[test]
    fn every_prefix_of_a_document_fails_cleanly() {
        let doc =
            r#"{"state":"COMPLETED","results":{"dataframe":[["a","b"],[1,"x\"y"],[null,true]]}}"#;
        for i in 0..doc.len() {
            if doc.is_char_boundary(i) {
                assert!(skip(&doc[..i]).is_err(), "prefix {i}");
            }
        }
        assert!(skip(doc).is_ok());
    }
}
