//! The output formats of `connecty`: `table`, `csv`, `json`, `ndjson`,
//! `markdown`, `parquet` and `arrow`.
//!
//! Every text writer streams into any [`Write`] (the CLI passes a
//! `BufWriter` over stdout or over a temporary file): nothing builds the
//! whole output in memory, and no number is ever parsed into a float: cells
//! are written from their exact JSON text ([`Cell::raw`]). The binary
//! formats ([`write_file_format`]) build typed Arrow columns first
//! (connecty-arrow), where a number is typed only when its type holds it
//! exactly.
//!
//! | format | one cell | null | nested value |
//! |---|---|---|---|
//! | [`write_table`] | strings unescaped, control characters escaped (`\n`, `\t`, `\u{1b}`) | `NULL` | compact JSON |
//! | [`write_csv`] | RFC 4180 field, CRLF line ends | empty field | compact JSON |
//! | [`write_json`] | the API's own JSON | `null` | as sent, whitespace removed |
//! | [`write_ndjson`] | exact JSON value | `null` | as sent, whitespace removed |
//! | [`write_markdown`] | GitHub table cell, `\|` and `<br>` escaped (see there) | `NULL` | compact JSON |
//! | [`write_file_format`] | a typed Arrow value (Int64, Float64, Decimal128, Timestamp, Utf8...) | null | JSON text marked `arrow.json` |
//!
//! For example, `write_csv` writes `[["country","orders"],["Poland",12],
//! ["a,\"b\"",null]]` as `country,orders␍␊Poland,12␍␊"a,""b""",␍␊`
//! (the unit test `csv_of_the_module_example` holds it).

use std::borrow::Cow;
use std::io::{self, Write};

use connecty_proto::{Cell, CellKind, DataFrame};

mod binary;
mod csv;
mod json;
mod markdown;
mod table;

pub use binary::write_file_format;
pub use connecty_arrow::FileFormat;
pub use csv::write_csv;
pub use json::{write_json, write_ndjson};
pub use markdown::write_markdown;
pub use table::{TableOptions, write_table};

/// An output format, as named by `--format`.
///
/// Text formats can go to a terminal; a binary format (Parquet, Arrow) is
/// written only with `--output FILE` or to a pipe, see
/// [`Format::is_binary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, cut to the terminal's width on a terminal (never
    /// when piped or written to a file), with a row count; the summary and
    /// SQL above when included.
    #[default]
    Table,
    /// RFC 4180 CSV with a header row and CRLF line ends.
    Csv,
    /// One JSON document: `{"question_id", "state", "results"}`.
    Json,
    /// One JSON object per row, keyed by column name.
    Ndjson,
    /// A GitHub-flavoured Markdown table (pipes and line breaks in cells
    /// escaped), with the summary and SQL above when included.
    Markdown,
    /// A Parquet file (zstd), one typed column per dataframe column; binary.
    Parquet,
    /// An Arrow IPC file (Feather v2, uncompressed), one typed column per
    /// dataframe column; binary.
    Arrow,
}

impl Format {
    /// Whether the format is bytes for a program rather than text: such
    /// output is refused on a terminal (write it with `--output FILE`).
    pub fn is_binary(self) -> bool {
        self.file_format().is_some()
    }

    /// The connecty-arrow file format a binary format writes.
    pub fn file_format(self) -> Option<FileFormat> {
        match self {
            Format::Parquet => Some(FileFormat::Parquet),
            Format::Arrow => Some(FileFormat::ArrowIpc),
            Format::Table | Format::Csv | Format::Json | Format::Ndjson | Format::Markdown => None,
        }
    }

    /// Whether the format is a table for a person: on a terminal it goes
    /// through the pager when taller than the screen.
    pub fn is_for_people(self) -> bool {
        matches!(self, Format::Table | Format::Markdown)
    }
}

/// What a table shows for a `null` cell.
pub const TABLE_NULL: &str = "NULL";

/// The width assumed on a terminal when neither `COLUMNS` nor the terminal
/// tells it.
pub const DEFAULT_WIDTH: usize = 100;

/// The narrowest table [`write_table`] draws; smaller widths are raised to it.
pub const MIN_WIDTH: usize = 20;

// ---------------------------------------------------------------------------
// Cell text.

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

/// For each column, whether it holds numbers and nulls only, and at least
/// one number: such columns are right-aligned in tables.
pub(crate) fn number_columns(df: &DataFrame) -> Vec<bool> {
    let ncols = df.width();
    let mut numeric = vec![true; ncols];
    let mut any_value = vec![false; ncols];
    for row in df.rows() {
        for (i, cell) in row.cells().enumerate().take(ncols) {
            match cell.kind() {
                CellKind::Null => {}
                CellKind::Number => any_value[i] = true,
                _ => {
                    any_value[i] = true;
                    numeric[i] = false;
                }
            }
        }
    }
    numeric
        .iter()
        .zip(&any_value)
        .map(|(n, a)| *n && *a)
        .collect()
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

// One home for the escaping of a line: connecty-settings names profiles
// and keys the same way in its messages.
pub use connecty_proto::{escape_for_line, is_invisible_format};

/// `s` with control characters other than newline made visible (as in
/// [`escape_for_line`]) and tabs expanded to two spaces: for text blocks
/// such as the summary and the SQL, which keep their lines.
pub fn escape_for_block(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| (c.is_control() && c != '\n') || is_invisible_format(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for line in s.split('\n') {
        if !out.is_empty() || s.starts_with('\n') {
            out.push('\n');
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        for c in line.chars() {
            match c {
                '\t' => out.push_str("  "),
                c if c.is_control() || is_invisible_format(c) => {
                    out.push_str(&format!("\\u{{{:x}}}", c as u32));
                }
                c => out.push(c),
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn escapes() {
        assert_eq!(escape_for_line("a\u{202E}b\r"), "a\\u{202e}b\\r");
        assert_eq!(escape_for_block("a\u{7}\nb\r\n"), "a\\u{7}\nb\n");
        assert!(matches!(escape_for_line("plain żółw"), Cow::Borrowed(_)));
    }
}
