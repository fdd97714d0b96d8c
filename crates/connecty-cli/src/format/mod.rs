//! The output formats of `connecty`: `table`, `csv`, `json`, `ndjson`,
//! `markdown`, `parquet` and `arrow`, and the charts `chart` and `svg`
//! (drawn by connecty-chart through the crate's `chart` module).
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

use connecty_proto::{CellKind, DataFrame};
use std::borrow::Cow;

mod binary;
mod markdown;
mod table;

pub use binary::write_file_format;
pub use connecty_arrow::FileFormat;
// The portable text formats live in connecty-format, shared with the MCP
// server's `save_as` and tool results.
pub use connecty_format::{
    Compactor, cell_text, compact_json, escape_markdown_cell, write_csv, write_json, write_ndjson,
};
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
    /// A chart picked from the column types, drawn with Unicode blocks and
    /// braille (plain text `--width` wide when piped); the table when no
    /// chart fits, with the reason on stderr.
    Chart,
    /// The same chart as an SVG picture (with --output FILE).
    Svg,
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
            Format::Table
            | Format::Csv
            | Format::Json
            | Format::Ndjson
            | Format::Markdown
            | Format::Chart
            | Format::Svg => None,
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
    fn escapes() {
        assert_eq!(escape_for_line("a\u{202E}b\r"), "a\\u{202e}b\\r");
        assert_eq!(escape_for_block("a\u{7}\nb\r\n"), "a\\u{7}\nb\n");
        assert!(matches!(escape_for_line("plain żółw"), Cow::Borrowed(_)));
    }
}
