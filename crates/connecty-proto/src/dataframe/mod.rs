//! The result rows: a [`DataFrame`] that keeps every cell's exact JSON text.
//!
//! # Layout
//!
//! A results body of 200,000 rows is tens of megabytes. A
//! `serde_json::Value` per cell costs several times the JSON's size, so the
//! dataframe instead keeps the body itself and one `u32` offset per cell,
//! pointing at where the cell starts. The offsets live in chunks of 64 KiB
//! that never move once full, so the peak during a parse is what the frame
//! keeps (a growing `Vec` would hold its old and new buffers at once). A
//! cell's end is found again when it is read: the value is known to be
//! valid, so it is skipped without checking it again (`memchr` over a
//! string's body). Beside each offset one bit says whether the cell is a
//! string with an escape, as the scanner saw it, so that a reader of every
//! cell (connecty-arrow) need not search each string for a backslash. The
//! parsed dataframe is the body plus four bytes and a bit a cell;
//! `cargo xtask bench` measures the ratio and the peak.
//!
//! The body is kept as bytes. It is valid UTF-8 all the same: the scanner
//! checked every string that has a byte above 0x7F, and JSON outside strings
//! is ASCII. That is what lets a parse skip a separate UTF-8 pass over the
//! whole body; each cell's text is handed out as `&str` after a check of
//! its own few bytes.
//!
//! Every cell keeps its value exactly as sent: integers of any size, floats
//! as written, nested arrays and objects, any Unicode. Serialising a
//! dataframe writes those same bytes back.
//!
//! # Reading every cell
//!
//! [`DataFrame::raw_rows`] is a cursor over a range of rows for code that
//! turns the whole frame into something else (connecty-arrow builds its
//! Arrow columns with it): each [`RawCell`] is the cell's exact bytes, its
//! kind and whether a string holds escapes, its end found from the next
//! cell's offset, so the text is read once by the scanner and never walked
//! again. [`decode_string`] is the string decoder, strict
//! ([`Surrogates::Refuse`]: a lone surrogate is refused) or lenient
//! ([`Surrogates::Replace`], what [`Cell::as_str`] does).
//!
//! # Limits
//!
//! A body larger than 4 GiB (`u32::MAX` bytes) cannot be held this way and
//! is a decode error; the transports' default body limit is 256 MiB.

mod cells;
mod raw;
mod rows;
mod scan;

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeOwned};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize};

use crate::json::{self, Scanner};
use crate::offsets::Offsets;

pub use self::cells::{Cell, Column, Row};
pub use self::raw::{RawCell, RawRow, RawRows, decode_string, decode_string_in};
pub use self::rows::RowError;
pub use crate::json::Surrogates;
pub use crate::json::ValueKind as CellKind;

/// The rows of a result, column names first, with every cell's exact JSON.
#[derive(Clone)]
pub struct DataFrame {
    /// The text the offsets point into (the whole results body), valid
    /// UTF-8: the scanner checked every string, and JSON outside strings
    /// is ASCII.
    text: Arc<Vec<u8>>,
    /// Span of the whole `dataframe` array, for serialising it back as sent.
    span: (u32, u32),
    /// Decoded column names.
    columns: Vec<String>,
    /// Start offset of every cell, header row included, row-major.
    cells: Offsets,
}

impl DataFrame {
    /// Parses a dataframe from its JSON text alone (`[["a","b"],[1,2]]`).
    pub fn from_json(text: &str) -> Result<DataFrame, crate::DecodeError> {
        let text = Arc::new(text.as_bytes().to_vec());
        let mut s = Scanner::new(&text);
        let df = DataFrame::scan(&text, &mut s)
            .map_err(|e| crate::DecodeError::new(e.path, e.message, &text))?;
        if !s.at_end() {
            return Err(crate::DecodeError::new(
                "$.results.dataframe",
                "trailing characters after the dataframe",
                &text,
            ));
        }
        Ok(df)
    }

    /// Builds a dataframe from column names and rows of values.
    ///
    /// Numbers are written as `serde_json` writes them; for exact big
    /// numbers, build the JSON text and use [`from_json`](Self::from_json).
    pub fn from_rows<C, R>(columns: &[C], rows: R) -> Result<DataFrame, crate::DecodeError>
    where
        C: AsRef<str>,
        R: IntoIterator<Item = Vec<serde_json::Value>>,
    {
        let mut all: Vec<serde_json::Value> = vec![serde_json::Value::Array(
            columns
                .iter()
                .map(|c| serde_json::Value::String(c.as_ref().to_string()))
                .collect(),
        )];
        all.extend(rows.into_iter().map(serde_json::Value::Array));
        let text = serde_json::to_string(&all).unwrap_or_default();
        DataFrame::from_json(&text)
    }

    /// The column names, from the first row.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The number of columns.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// The number of data rows (the header row not counted).
    pub fn len(&self) -> usize {
        if self.columns.is_empty() {
            0
        } else {
            self.cells.len() / self.columns.len() - 1
        }
    }

    /// Whether there are no data rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the column named `name` (the first, if names repeat).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<Column<'_>> {
        self.column_index(name)
            .map(|index| Column { df: self, index })
    }

    /// The column at `index`.
    pub fn column_at(&self, index: usize) -> Option<Column<'_>> {
        (index < self.width()).then_some(Column { df: self, index })
    }

    /// Data row `index` (0 is the first row after the header).
    pub fn row(&self, index: usize) -> Option<Row<'_>> {
        (index < self.len()).then_some(Row { df: self, index })
    }

    /// The cell at data row `row`, column `col`.
    pub fn cell(&self, row: usize, col: usize) -> Option<Cell<'_>> {
        if row >= self.len() || col >= self.width() {
            return None;
        }
        Some(self.cell_unchecked(row + 1, col))
    }

    /// The data rows, in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_>> + '_ {
        (0..self.len()).map(move |index| Row { df: self, index })
    }

    /// Deserialises each row into `T` by column name (a struct's fields
    /// match column names; a tuple or `Vec` takes the cells in order).
    ///
    /// ```
    /// # use connecty_proto::DataFrame;
    /// #[derive(serde::Deserialize)]
    /// struct Country { country: String, orders: u64 }
    /// let df = DataFrame::from_json(r#"[["country","orders"],["Poland",12],["Chile",7]]"#).unwrap();
    /// let rows: Vec<Country> = df.rows_as::<Country>().collect::<Result<_, _>>().unwrap();
    /// assert_eq!(rows[1].country, "Chile");
    /// assert_eq!(rows[0].orders, 12);
    /// ```
    pub fn rows_as<T: DeserializeOwned>(&self) -> impl Iterator<Item = Result<T, RowError>> + '_ {
        self.rows().map(|r| r.deserialize::<T>())
    }

    /// The whole dataframe as sent, including the header row.
    pub fn raw_json(&self) -> &str {
        json::text_of(&self.text[self.span.0 as usize..self.span.1 as usize])
    }

    /// [`Self::raw_json`] as bytes, without the pass over the whole text
    /// that checking it is UTF-8 again costs (it is: the scanner checked
    /// it when it was parsed). For a reader that checks only the part it
    /// needs, or several parts on several threads.
    pub fn raw_json_bytes(&self) -> &[u8] {
        &self.text[self.span.0 as usize..self.span.1 as usize]
    }

    /// Heap bytes held: the text the cells point into plus the offsets and
    /// names.
    pub fn heap_size(&self) -> usize {
        self.text.capacity()
            + self.cells.heap_size()
            + self
                .columns
                .iter()
                .map(|c| c.capacity() + 24)
                .sum::<usize>()
    }

    fn cell_unchecked(&self, row_with_header: usize, col: usize) -> Cell<'_> {
        let start = self.cells.get(row_with_header * self.width() + col);
        let end = json::value_end(&self.text, start);
        Cell {
            raw: json::text_of(&self.text[start..end]),
        }
    }
}

impl PartialEq for DataFrame {
    /// Equal when the columns and every cell's JSON text are equal.
    fn eq(&self, other: &Self) -> bool {
        self.columns == other.columns
            && self.len() == other.len()
            && self
                .rows()
                .zip(other.rows())
                .all(|(a, b)| a.cells().zip(b.cells()).all(|(x, y)| x.raw == y.raw))
    }
}

impl fmt::Debug for DataFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataFrame")
            .field("columns", &self.columns)
            .field("rows", &self.len())
            .finish()
    }
}

impl Serialize for DataFrame {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match <&serde_json::value::RawValue>::deserialize(&mut serde_json::Deserializer::from_str(
            self.raw_json(),
        )) {
            Ok(raw) => raw.serialize(serializer),
            // Unreachable for a scanned dataframe; fall back to cell by cell.
            Err(_) => {
                let mut seq = serializer.serialize_seq(Some(self.len() + 1))?;
                let header: Vec<&str> = self.columns.iter().map(String::as_str).collect();
                seq.serialize_element(&header)?;
                for row in self.rows() {
                    let cells: Vec<serde_json::Value> = row.cells().map(|c| c.to_value()).collect();
                    seq.serialize_element(&cells)?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for DataFrame {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        DataFrame::from_json(raw.get()).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells of every kind, with exact numbers and escapes (shared by the
    /// submodules' tests).
    pub(super) const AWKWARD: &str = r#"[["id","name","score","ok","extra"],
        [12345678901234567890, "Zoë \"the\" 🐢", 1.50, true, null],
        [-9007199254740993, "a,b\nc", 1e400, false, {"k":[1,2,{"z":null}]}]]"#;

    #[test]
    fn cells_keep_exact_json() {
        let df = DataFrame::from_json(AWKWARD).unwrap();
        assert_eq!(df.columns(), ["id", "name", "score", "ok", "extra"]);
        assert_eq!(df.len(), 2);
        assert_eq!(df.cell(0, 0).unwrap().raw(), "12345678901234567890");
        assert_eq!(df.cell(0, 0).unwrap().as_u64(), Some(12345678901234567890));
        assert_eq!(df.cell(0, 0).unwrap().as_i64(), None);
        assert_eq!(df.cell(1, 0).unwrap().as_i64(), Some(-9007199254740993));
        assert_eq!(df.cell(0, 1).unwrap().as_str().unwrap(), "Zoë \"the\" 🐢");
        assert_eq!(df.cell(0, 2).unwrap().raw(), "1.50");
        assert_eq!(df.cell(1, 2).unwrap().raw(), "1e400");
        assert_eq!(df.cell(0, 3).unwrap().as_bool(), Some(true));
        assert!(df.cell(0, 4).unwrap().is_null());
        assert_eq!(df.cell(1, 4).unwrap().kind(), CellKind::Object);
        assert_eq!(df.cell(1, 4).unwrap().raw(), r#"{"k":[1,2,{"z":null}]}"#);
        assert!(df.cell(2, 0).is_none());
        assert!(df.cell(0, 5).is_none());
        let names: Vec<String> = df
            .column("name")
            .unwrap()
            .cells()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(names, ["Zoë \"the\" 🐢", "a,b\nc"]);
        assert_eq!(df.row(1).unwrap().get_by_name("ok").unwrap().raw(), "false");
    }

    #[test]
    fn serialises_back_byte_for_byte() {
        let df = DataFrame::from_json(AWKWARD).unwrap();
        assert_eq!(serde_json::to_string(&df).unwrap(), AWKWARD);
        let again: DataFrame = serde_json::from_str(AWKWARD).unwrap();
        assert_eq!(again, df);
    }

    #[test]
    fn empty_and_header_only() {
        let df = DataFrame::from_json("[]").unwrap();
        assert_eq!((df.width(), df.len()), (0, 0));
        let df = DataFrame::from_json(r#"[["a"]]"#).unwrap();
        assert_eq!((df.width(), df.len()), (1, 0));
        assert!(df.is_empty());
        let df = DataFrame::from_json(r#"[[1, null]]"#).unwrap();
        assert_eq!(df.columns(), ["1", "null"]);
    }

    #[test]
    fn memory_is_body_plus_four_bytes_and_a_bit_a_cell() {
        let mut t = String::from("[[\"a\",\"b\"]");
        for i in 0..1000 {
            t.push_str(&format!(",[{i},\"row {i}\"]"));
        }
        t.push(']');
        let df = DataFrame::from_json(&t).unwrap();
        assert_eq!(df.len(), 1000);
        assert!(
            df.heap_size() <= t.len() + 2002 * 4 + 2002usize.div_ceil(64) * 8 + 100,
            "{}",
            df.heap_size()
        );
    }

    #[test]
    fn from_rows_builds_a_frame() {
        let df = DataFrame::from_rows(
            &["a", "b"],
            vec![vec![serde_json::json!(1), serde_json::json!("x")]],
        )
        .unwrap();
        assert_eq!(df.cell(0, 1).unwrap().as_str().unwrap(), "x");
    }
}
