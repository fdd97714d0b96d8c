//! The answer's text formats, one home for their rules: CSV (RFC 4180),
//! JSON and NDJSON, compact JSON, and the text of one cell for people
//! and for a Markdown table. The `connecty` command's `--format csv|json|
//! ndjson|markdown` and the MCP server's `save_as` and tool results write
//! through these, so a rule (how a null differs from an empty string in
//! CSV, which characters a Markdown cell escapes) cannot drift between
//! them.
//!
//! Every writer streams into any [`Write`]; nothing builds the whole
//! output in memory, and no number is parsed into a float: cells are
//! written from their exact JSON text ([`Cell::raw`]), so
//! `12345678901234567890` and `2.50` stay as sent.
//!
//! ```
//! use connecty_proto::DataFrame;
//!
//! let df = DataFrame::from_json(r#"[["country","orders"],["Poland",12],["a,\"b\"",null]]"#)?;
//! let mut csv = Vec::new();
//! connecty_format::write_csv(&mut csv, &df)?;
//! assert_eq!(csv, b"country,orders\r\nPoland,12\r\n\"a,\"\"b\"\"\",\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::io::{self, Write};

use connecty_proto::{Cell, CellKind, is_invisible_format};

mod csv;
mod json;

pub use csv::{write_csv, write_csv_cell};
pub use json::{write_json, write_ndjson};

/// Writes a JSON text without the whitespace between its tokens. Strings are
/// copied byte for byte, so numbers, escapes and non-ASCII text are exactly
/// as sent.
pub fn write_compact_json<W: Write + ?Sized>(out: &mut W, raw: &str) -> io::Result<()> {
    let mut c = Compactor::new(out);
    c.write_all(raw.as_bytes())
}

/// The compact JSON text of `raw` (see [`write_compact_json`]); borrowed when
/// `raw` has no whitespace between tokens.
pub fn compact_json(raw: &str) -> Cow<'_, str> {
    if !raw
        .bytes()
        .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    // Writing to a Vec cannot fail.
    let _ = write_compact_json(&mut out, raw);
    // Only ASCII whitespace outside strings was removed: still UTF-8.
    Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// A [`Write`] adapter that drops JSON whitespace outside strings, so a
/// document the server pretty-printed comes out on one line.
pub struct Compactor<W> {
    inner: W,
    in_string: bool,
    escaped: bool,
}

impl<W: Write> Compactor<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            in_string: false,
            escaped: false,
        }
    }
}

impl<W: Write> Write for Compactor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else if b == b'"' {
                self.in_string = true;
            } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.inner.write_all(&buf[start..i])?;
                start = i + 1;
            }
        }
        self.inner.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The text of a cell for humans and CSV: strings unescaped, numbers and
/// booleans as their exact JSON text, nested values as compact JSON.
/// `None` for `null`.
pub fn cell_text<'a>(cell: &Cell<'a>) -> Option<Cow<'a, str>> {
    match cell.kind() {
        CellKind::Null => None,
        CellKind::String => Some(cell.as_str().unwrap_or(Cow::Borrowed(""))),
        CellKind::Array | CellKind::Object => Some(compact_json(cell.raw())),
        CellKind::Number | CellKind::Bool => Some(Cow::Borrowed(cell.raw())),
    }
}

/// `s` made safe for one cell of a GitHub table, so that the table keeps
/// its shape and a renderer shows the text as it is:
///
/// | in the text | written as | why |
/// |---|---|---|
/// | `\` | `\\` | so that `\|` below is never ambiguous |
/// | `\|` | `\|` (backslash, pipe) | a bare pipe ends the cell |
/// | CR LF, LF, CR | `<br>` | a line break ends the row |
/// | `&`, `<`, `>` | `&amp;`, `&lt;`, `&gt;` | so that text such as `<br>` or `<b>` stays text |
/// | other control and bidirectional-override characters | `\u{..}` | they would scramble the line |
///
/// Other Markdown (`*`, `_`, backticks) is left as is and renders as
/// Markdown; surrounding spaces are trimmed by renderers.
///
/// So `a|b` and a new line read `a\|b<br>`, and `x<br>&` reads
/// `x&lt;br&gt;&amp;` (see the test `markdown_cells_escape_pipes_newlines_and_html`).
pub fn escape_markdown_cell(s: &str) -> Cow<'_, str> {
    let plain = |c: char| {
        !(matches!(c, '\\' | '|' | '&' | '<' | '>') || c.is_control() || is_invisible_format(c))
    };
    if s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            c if c.is_control() || is_invisible_format(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A row with every awkward kind of cell.
    pub(crate) const AWKWARD: &str = r#"[["big","s","n","u","b","nested","e","f"],
        [12345678901234567890,"a,\"b\"\nc",null,"żółw 🐢",true,{"k": [1, 2.50, "x y"]},"",1.0e-7]]"#;

    #[test]
    fn compactor_only_touches_whitespace_outside_strings() {
        assert_eq!(
            compact_json("[ 1 ,\n {\"a b\" : \"c \\\" d\\\\\" } ]"),
            "[1,{\"a b\":\"c \\\" d\\\\\"}]"
        );
        assert!(matches!(compact_json("[1,2]"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_cells_escape_pipes_newlines_and_html() {
        // Once the doc's example.
        assert_eq!(escape_markdown_cell("a|b\nc"), "a\\|b<br>c");
        assert_eq!(escape_markdown_cell("x<br>&"), "x&lt;br&gt;&amp;");
        assert_eq!(
            escape_markdown_cell("a\\|b\r\nc\rd\u{1b}[0m\u{202e}"),
            "a\\\\\\|b<br>c<br>d\\u{1b}[0m\\u{202e}"
        );
        assert!(matches!(
            escape_markdown_cell("plain *text*"),
            Cow::Borrowed(_)
        ));
    }
}
