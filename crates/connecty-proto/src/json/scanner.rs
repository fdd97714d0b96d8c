//! The validating scanner: the JSON grammar, depth-limited, over bytes.

use std::borrow::Cow;

use super::spans::decode_string;
use super::swar::{digits, skip_plain, utf8_check};
use super::{MAX_DEPTH, Result, ScanError};

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
    /// cells) handled without its dispatch. Returns whether it was a
    /// string with an escape.
    #[inline]
    pub fn cell(&mut self, depth: usize) -> Result<bool> {
        match self.b.get(self.pos) {
            Some(b'"') => self.string().map(|(_, _, escaped)| escaped),
            Some(b'-' | b'0'..=b'9') => self.number().map(|()| false),
            _ => self.value(depth).map(|_| false),
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
