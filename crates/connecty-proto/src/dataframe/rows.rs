//! Deserialising a [`Row`] into the caller's type by column name.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};

use super::Row;

impl<'a> Row<'a> {
    /// Deserialises this row into `T` by column name.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, RowError> {
        T::deserialize(RowDeserializer { row: *self }).map_err(|mut e| {
            e.row = self.index;
            e
        })
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

pub(super) struct RowDeserializer<'a> {
    pub(super) row: Row<'a>,
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

/// Deserialises the cell at `*col` of `row` with `seed` and moves `col` on;
/// a failure names the row and the column.
fn next_cell<'a, S: DeserializeSeed<'a>>(
    row: &Row<'a>,
    col: &mut usize,
    seed: S,
) -> Result<S::Value, RowError> {
    let at = *col;
    *col += 1;
    let cell = row.df.cell_unchecked(row.index + 1, at);
    let mut d = serde_json::Deserializer::from_str(cell.raw);
    seed.deserialize(&mut d).map_err(|e| RowError {
        row: row.index,
        column: row.df.columns.get(at).cloned(),
        message: e.to_string(),
    })
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
        next_cell(&self.row, &mut self.col, seed)
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
        next_cell(&self.row, &mut self.col, seed).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.df.width() - self.col)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::super::tests::AWKWARD;
    use crate::DataFrame;

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
}
