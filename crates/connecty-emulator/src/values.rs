//! The value model: the cells of a query result, typed as the emulator
//! sends them, and the `dataframe` they make.

use std::sync::OnceLock;

use serde::ser::{Serialize, SerializeSeq as _, Serializer};
use serde_json::value::RawValue;

/// One cell of a result, typed as the emulator sends it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(Box<str>),
    Bool(bool),
    /// Sent as a lower-case hex string.
    Blob(Box<[u8]>),
}

impl Serialize for Value {
    /// `INTEGER` an exact JSON integer, `REAL` the shortest text that reads
    /// back the same (`null` when not finite), a blob lower-case hex.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Real(f) => s.serialize_f64(*f),
            Value::Text(t) => s.serialize_str(t),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Blob(b) => s.collect_str(&Hex(b)),
        }
    }
}

/// Bytes as lower-case hex.
struct Hex<'a>(&'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The full result of one query: every row up to the row cap.
#[derive(Debug)]
pub(crate) struct QueryResult {
    pub(crate) columns: Vec<String>,
    /// Row-major cells, `columns.len()` per row.
    cells: Vec<Value>,
    pub(crate) rows: usize,
    /// Whether rows past the emulator's row cap were dropped.
    pub(crate) capped: bool,
    /// The `dataframe_stats` JSON, made once (by `statistics`) from every
    /// row.
    pub(crate) stats: OnceLock<Box<RawValue>>,
}

impl QueryResult {
    /// A result from its parts (used by tests and the query runner).
    pub(crate) fn new(columns: Vec<String>, cells: Vec<Value>, capped: bool) -> Self {
        let width = columns.len().max(1);
        let rows = if columns.is_empty() {
            0
        } else {
            cells.len() / width
        };
        Self {
            columns,
            cells,
            rows,
            capped,
            stats: OnceLock::new(),
        }
    }

    fn row(&self, i: usize) -> &[Value] {
        let w = self.columns.len();
        &self.cells[i * w..(i + 1) * w]
    }

    /// The values of column `c`, top to bottom.
    pub(crate) fn column_values(&self, c: usize) -> impl Iterator<Item = &Value> + '_ {
        (0..self.rows).map(move |r| &self.cells[r * self.columns.len() + c])
    }

    /// The `dataframe`: the header row, then at most `max_rows` rows.
    pub(crate) fn dataframe(&self, max_rows: usize) -> Dataframe<'_> {
        Dataframe {
            result: self,
            max_rows,
        }
    }
}

/// A result's `dataframe`, as JSON: the header row, then the rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dataframe<'a> {
    result: &'a QueryResult,
    max_rows: usize,
}

impl Serialize for Dataframe<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rows = self.result.rows.min(self.max_rows);
        let mut seq = s.serialize_seq(Some(rows + 1))?;
        seq.serialize_element(&self.result.columns)?;
        for r in 0..rows {
            seq.serialize_element(self.result.row(r))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_written_as_before() {
        let r = QueryResult::new(
            vec!["i".into(), "f".into(), "t".into(), "b".into(), "x".into()],
            vec![
                Value::Int(i64::MAX),
                Value::Real(0.1),
                Value::Text("é \"q\"\n".into()),
                Value::Bool(true),
                Value::Blob(vec![0, 255, 16].into()),
                Value::Null,
                Value::Real(f64::NAN),
                Value::Text("".into()),
                Value::Bool(false),
                Value::Null,
            ],
            false,
        );
        let text = serde_json::to_string(&r.dataframe(10)).unwrap();
        assert_eq!(
            text,
            r#"[["i","f","t","b","x"],[9223372036854775807,0.1,"é \"q\"\n",true,"00ff10"],[null,null,"",false,null]]"#
        );
        let one = serde_json::to_string(&r.dataframe(1)).unwrap();
        assert!(one.ends_with(r#""00ff10"]]"#), "{one}");
        assert_eq!(
            serde_json::to_string(&r.dataframe(0)).unwrap(),
            r#"[["i","f","t","b","x"]]"#
        );
    }
}
