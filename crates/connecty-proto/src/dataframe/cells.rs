//! Views into a [`DataFrame`]: a row, a column and one cell's exact JSON.

use std::borrow::Cow;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{CellKind, DataFrame};
use crate::json::{self, Scanner, ValueKind};

/// One data row.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    pub(super) df: &'a DataFrame,
    pub(super) index: usize,
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
}

impl fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.cells().map(|c| c.raw)).finish()
    }
}

/// One column.
#[derive(Clone, Copy)]
pub struct Column<'a> {
    pub(super) df: &'a DataFrame,
    pub(super) index: usize,
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
    pub(super) raw: &'a str,
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
