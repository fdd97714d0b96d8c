//! A small validating JSON scanner over UTF-8 text.
//!
//! It finds where values start and end without building them, which is what
//! lets the dataframe keep spans into the body instead of a tree of values.
//! Text is assumed to be valid UTF-8 already (the body is checked once).

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
    pub fn new(text: &'a str) -> Self {
        Self {
            b: text.as_bytes(),
            pos: 0,
        }
    }

    pub fn at(text: &'a str, pos: usize) -> Self {
        Self {
            b: text.as_bytes(),
            pos,
        }
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
        let mut i = start + 1;
        let mut escaped = false;
        let b = self.b;
        loop {
            let Some(&c) = b.get(i) else {
                self.pos = i;
                return self.err("unterminated string");
            };
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return Ok((start, i + 1, escaped));
                }
                b'\\' => {
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
                0..=0x1f => {
                    self.pos = i;
                    return self.err("control character in string");
                }
                _ => i += 1,
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
            Some(b'1'..=b'9') => {
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => {
                self.pos = i;
                return self.err("invalid value");
            }
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                self.pos = i;
                return self.err("invalid number: digit expected after '.'");
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                self.pos = i;
                return self.err("invalid number: digit expected in exponent");
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
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

/// The end of the value starting at `start` in `text`, which is known to be
/// valid (it was scanned before).
pub(crate) fn value_end(text: &str, start: usize) -> usize {
    let mut s = Scanner::at(text, start);
    match s.value(0) {
        Ok((_, end)) => end,
        Err(_) => text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(t: &str) -> Result<(usize, usize)> {
        let mut s = Scanner::new(t);
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
        let mut s = Scanner::new(t);
        let (a, b, esc) = s.string().unwrap();
        assert_eq!(decode_string(t.as_bytes(), a, b, esc), "a\"bé😀");
        let lone = r#""x\ud800y""#;
        let mut s = Scanner::new(lone);
        let (a, b, esc) = s.string().unwrap();
        assert_eq!(decode_string(lone.as_bytes(), a, b, esc), "x\u{FFFD}y");
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
