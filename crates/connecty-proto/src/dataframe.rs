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
//! string's body). The parsed dataframe is the body plus four bytes a cell;
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
//! # Limits
//!
//! A body larger than 4 GiB (`u32::MAX` bytes) cannot be held this way and
//! is a decode error; the transports' default body limit is 256 MiB.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize};

use crate::json::{self, Scanner, ValueKind};
use crate::offsets::{Offsets, OffsetsBuilder};

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

/// Why a dataframe could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameError {
    pub at: usize,
    pub path: String,
    pub message: String,
}

impl DataFrame {
    /// Scans the `dataframe` array whose `[` is at the scanner's position.
    /// `text` is what the scanner reads.
    pub(crate) fn scan(text: &Arc<Vec<u8>>, s: &mut Scanner<'_>) -> Result<DataFrame, FrameError> {
        if text.len() > u32::MAX as usize {
            return Err(FrameError {
                at: 0,
                path: "$.results.dataframe".into(),
                message: "body larger than 4 GiB".into(),
            });
        }
        let scan_err = |e: json::ScanError, path: String| FrameError {
            at: e.at,
            path,
            message: e.message.to_string(),
        };
        let start = s.pos;
        s.expect(b'[', "dataframe must be an array of rows")
            .map_err(|e| scan_err(e, "$.results.dataframe".into()))?;
        let mut cells = OffsetsBuilder::default();
        let mut ncols: Option<usize> = None;
        let mut row = 0usize;
        if s.peek() == Some(b']') {
            s.pos += 1;
        } else {
            loop {
                let row_path = || format!("$.results.dataframe[{row}]");
                if s.peek() != Some(b'[') {
                    return Err(FrameError {
                        at: s.pos,
                        path: row_path(),
                        message: "each row must be an array".into(),
                    });
                }
                s.pos += 1;
                let before = cells.len();
                if s.peek() == Some(b']') {
                    s.pos += 1;
                } else {
                    loop {
                        s.ws();
                        cells.push(s.pos as u32);
                        s.cell(2).map_err(|e| {
                            scan_err(
                                e,
                                format!("$.results.dataframe[{row}][{}]", cells.len() - 1 - before),
                            )
                        })?;
                        match s.peek() {
                            Some(b',') => s.pos += 1,
                            Some(b']') => {
                                s.pos += 1;
                                break;
                            }
                            None => {
                                return Err(FrameError {
                                    at: s.pos,
                                    path: row_path(),
                                    message: "unexpected end of JSON".into(),
                                });
                            }
                            _ => {
                                return Err(FrameError {
                                    at: s.pos,
                                    path: row_path(),
                                    message: "',' or ']' expected".into(),
                                });
                            }
                        }
                    }
                }
                let n = cells.len() - before;
                match ncols {
                    None => ncols = Some(n),
                    Some(want) if want != n => {
                        return Err(FrameError {
                            at: s.pos,
                            path: row_path(),
                            message: format!(
                                "ragged row: row {} (the {} data row) has {n} cells but the header has {want} columns",
                                row,
                                ordinal(row)
                            ),
                        });
                    }
                    _ => {}
                }
                row += 1;
                match s.peek() {
                    Some(b',') => s.pos += 1,
                    Some(b']') => {
                        s.pos += 1;
                        break;
                    }
                    None => {
                        return Err(FrameError {
                            at: s.pos,
                            path: "$.results.dataframe".into(),
                            message: "unexpected end of JSON".into(),
                        });
                    }
                    _ => {
                        return Err(FrameError {
                            at: s.pos,
                            path: "$.results.dataframe".into(),
                            message: "',' or ']' expected between rows".into(),
                        });
                    }
                }
            }
        }
        let ncols = ncols.unwrap_or(0);
        let cells = cells.finish();
        let columns = (0..ncols)
            .map(|i| column_name(text, cells.get(i)))
            .collect();
        Ok(DataFrame {
            text: Arc::clone(text),
            span: (start as u32, s.pos as u32),
            columns,
            cells,
        })
    }

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

fn ordinal(row: usize) -> String {
    let n = row; // row 0 is the header, so row n is the n-th data row
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn column_name(text: &[u8], start: usize) -> String {
    let end = json::value_end(text, start);
    let raw = json::text_of(&text[start..end]);
    match (Cell { raw }).as_str() {
        Some(s) => s.into_owned(),
        // A header cell that is not a string is named by its JSON text.
        None => raw.to_string(),
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

/// One data row.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    df: &'a DataFrame,
    index: usize,
}

impl<'a> Row<'a> {
    /// The row's index among data rows.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The cell in column `col`.
    pub fn get(&self, col: usize) -> Option<Cell<'a>> {
        (col < self.df.width()).then(|| self.df.cell_unchecked(self.index + 1, col))
    }

    /// The cell in the column named `name`.
    pub fn get_by_name(&self, name: &str) -> Option<Cell<'a>> {
        self.df.column_index(name).and_then(|c| self.get(c))
    }

    /// The cells, in column order.
    pub fn cells(&self) -> impl ExactSizeIterator<Item = Cell<'a>> + 'a {
        let df = self.df;
        let row = self.index + 1;
        (0..df.width()).map(move |c| df.cell_unchecked(row, c))
    }

    /// Deserialises this row into `T` by column name.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, RowError> {
        T::deserialize(RowDeserializer { row: *self }).map_err(|mut e| {
            e.row = self.index;
            e
        })
    }
}

impl fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.cells().map(|c| c.raw)).finish()
    }
}

/// One column.
#[derive(Clone, Copy)]
pub struct Column<'a> {
    df: &'a DataFrame,
    index: usize,
}

impl<'a> Column<'a> {
    /// The column's name.
    pub fn name(&self) -> &'a str {
        &self.df.columns[self.index]
    }

    /// The column's index.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The column's cells, one per data row.
    pub fn cells(&self) -> impl ExactSizeIterator<Item = Cell<'a>> + 'a {
        let df = self.df;
        let col = self.index;
        (1..df.len() + 1).map(move |r| df.cell_unchecked(r, col))
    }
}

/// One cell: a view of its exact JSON text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell<'a> {
    raw: &'a str,
}

impl<'a> Cell<'a> {
    /// The cell's JSON text exactly as sent (`12345678901234567890`,
    /// `"a\"b"`, `null`, `[1,2]`).
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The kind of JSON value.
    pub fn kind(&self) -> CellKind {
        ValueKind::of(self.raw.as_bytes().first().copied().unwrap_or(b'n'))
    }

    /// Whether the cell is `null`.
    pub fn is_null(&self) -> bool {
        self.kind() == CellKind::Null
    }

    /// The boolean, if the cell is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.raw {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// The string, unescaped, if the cell is one (borrowed when it has no
    /// escapes).
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        if self.kind() != CellKind::String {
            return None;
        }
        let mut s = Scanner::new(self.raw.as_bytes());
        let (a, b, esc) = s.string().ok()?;
        Some(json::decode_string(self.raw.as_bytes(), a, b, esc))
    }

    /// The number's exact text, if the cell is a number.
    pub fn number_text(&self) -> Option<&'a str> {
        (self.kind() == CellKind::Number).then_some(self.raw)
    }

    /// The number as an `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.number_text()?.parse().ok()
    }

    /// The number as a `u64`, if it is a non-negative integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.number_text()?.parse().ok()
    }

    /// The number as an `i128`, if it is an integer that fits.
    pub fn as_i128(&self) -> Option<i128> {
        self.number_text()?.parse().ok()
    }

    /// The number as the nearest `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        self.number_text()?.parse().ok()
    }

    /// The cell as a `serde_json::Value`. Numbers beyond `u64`/`i64` become
    /// the nearest `f64` there; use [`raw`](Self::raw) or
    /// [`number_text`](Self::number_text) to keep every digit.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.raw).unwrap_or(serde_json::Value::Null)
    }

    /// Deserialises the cell into `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.raw)
    }
}

impl fmt::Debug for Cell<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

impl fmt::Display for Cell<'_> {
    /// Strings unescaped, everything else as its JSON text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => f.write_str(&s),
            None => f.write_str(self.raw),
        }
    }
}

impl Serialize for Cell<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = <&serde_json::value::RawValue>::deserialize(
            &mut serde_json::Deserializer::from_str(self.raw),
        )
        .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// A row that could not be deserialised into the caller's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The data row (0 is the first after the header).
    pub row: usize,
    /// The column, when the failure was in one cell.
    pub column: Option<String>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.row)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RowError {}

impl de::Error for RowError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        RowError {
            row: 0,
            column: None,
            message: msg.to_string(),
        }
    }
}

struct RowDeserializer<'a> {
    row: Row<'a>,
}

impl<'a> de::Deserializer<'a> for RowDeserializer<'a> {
    type Error = RowError;

    fn deserialize_any<V: de::Visitor<'a>>(self, visitor: V) -> Result<V::Value, RowError> {
        visitor.visit_map(RowMap {
            row: self.row,
            col: 0,
        })
    }

    fn deserialize_seq<V: de::Visitor<'a>>(self, visitor: V) -> Result<V::Value, RowError> {
        visitor.visit_seq(RowSeq {
            row: self.row,
            col: 0,
        })
    }

    fn deserialize_tuple<V: de::Visitor<'a>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, RowError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: de::Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, RowError> {
        self.deserialize_seq(visitor)
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct map struct enum
        identifier ignored_any
    }
}

fn cell_error(row: &Row<'_>, col: usize, e: serde_json::Error) -> RowError {
    RowError {
        row: row.index,
        column: row.df.columns.get(col).cloned(),
        message: e.to_string(),
    }
}

struct RowMap<'a> {
    row: Row<'a>,
    col: usize,
}

impl<'a> MapAccess<'a> for RowMap<'a> {
    type Error = RowError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, RowError> {
        if self.col >= self.row.df.width() {
            return Ok(None);
        }
        let name: &str = &self.row.df.columns[self.col];
        seed.deserialize(name.to_string().into_deserializer())
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, RowError> {
        let col = self.col;
        self.col += 1;
        let cell = self.row.df.cell_unchecked(self.row.index + 1, col);
        let mut d = serde_json::Deserializer::from_str(cell.raw);
        seed.deserialize(&mut d)
            .map_err(|e| cell_error(&self.row, col, e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.df.width() - self.col)
    }
}

struct RowSeq<'a> {
    row: Row<'a>,
    col: usize,
}

impl<'a> SeqAccess<'a> for RowSeq<'a> {
    type Error = RowError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, RowError> {
        if self.col >= self.row.df.width() {
            return Ok(None);
        }
        let col = self.col;
        self.col += 1;
        let cell = self.row.df.cell_unchecked(self.row.index + 1, col);
        let mut d = serde_json::Deserializer::from_str(cell.raw);
        seed.deserialize(&mut d)
            .map(Some)
            .map_err(|e| cell_error(&self.row, col, e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.df.width() - self.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWKWARD: &str = r#"[["id","name","score","ok","extra"],
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
    fn ragged_row_names_the_row() {
        let e = DataFrame::from_json(r#"[["a","b"],[1,2],[3]]"#).unwrap_err();
        assert_eq!(e.path, "$.results.dataframe[2]");
        assert!(e.message.contains("ragged row: row 2"), "{}", e.message);
        assert!(e.message.contains("has 1 cells but the header has 2"));
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
    fn rows_as_structs_tuples_and_errors() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct R {
            id: u128,
            name: String,
            ok: bool,
        }
        let df = DataFrame::from_json(AWKWARD).unwrap();
        let first: R = df.row(0).unwrap().deserialize().unwrap();
        assert_eq!(first.id, 12345678901234567890);
        assert_eq!(first.name, "Zoë \"the\" 🐢");
        let errs: Vec<_> = df.rows_as::<R>().collect();
        let e = errs[1].as_ref().unwrap_err();
        assert_eq!(e.row, 1);
        assert_eq!(e.column.as_deref(), Some("id"));
        let t: (String, Option<u8>) = DataFrame::from_json(r#"[["a","b"],["x",null]]"#)
            .unwrap()
            .row(0)
            .unwrap()
            .deserialize()
            .unwrap();
        assert_eq!(t, ("x".to_string(), None));
    }

    #[test]
    fn malformed_frames_are_errors() {
        for t in [
            "{}",
            "[1]",
            "[[1],2]",
            "[[1,]]",
            "[[1]",
            "[[\"a\"],[\"b\"]",
            "[[1] [2]]",
        ] {
            assert!(DataFrame::from_json(t).is_err(), "{t}");
        }
    }

    #[test]
    fn memory_is_body_plus_four_bytes_a_cell() {
        let mut t = String::from("[[\"a\",\"b\"]");
        for i in 0..1000 {
            t.push_str(&format!(",[{i},\"row {i}\"]"));
        }
        t.push(']');
        let df = DataFrame::from_json(&t).unwrap();
        assert_eq!(df.len(), 1000);
        assert!(
            df.heap_size() <= t.len() + 2002 * 4 + 100,
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
