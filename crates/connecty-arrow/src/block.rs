//! A frame's rows in blocks, each converted in one pass over
//! connecty-proto's raw cells; then each column's blocks joined.
//!
//! A block is a range of rows. Each block starts every column with the
//! type its first non-null cell suggests ([`ColumnType::first_guess`])
//! and fills it from the cells' text. A column whose later cell does not
//! fit is *given up* in that block (no more work is spent on it there).
//! When every block built a column with the same type, every cell fits
//! that type, which is then the column's type on the ladder, and the
//! blocks' arrays are joined (a copy of the finished values, no parsing).
//! Otherwise the column is decided from all its cells and built again:
//! the rare case, paid only by that column.

use std::ops::Range;

use arrow_array::{Array, ArrayRef};
use connecty_proto::DataFrame;
use connecty_proto::{RawCell, RawRows};

use crate::build::{Builder, Raw, Reject};
use crate::error::Error;
use crate::infer::ColumnType;

/// One block of rows, converted.
pub(crate) struct Converted {
    /// Rows in the block.
    pub rows: usize,
    /// One builder per column; `None` for a column given up.
    pub columns: Vec<Option<Builder>>,
}

/// `rows` rows cut into up to `n` blocks of nearly equal size.
pub(crate) fn even(rows: usize, n: usize) -> Vec<Range<usize>> {
    let n = n.clamp(1, rows.max(1));
    (0..n).map(|i| rows * i / n..rows * (i + 1) / n).collect()
}

/// A cursor's cells as `&str`: the bytes of its rows checked as UTF-8
/// once (the one check a block needs, on the thread that reads it), each
/// cell then a slice of them.
pub(crate) struct Texts<'a> {
    text: Option<&'a str>,
    base: usize,
}

impl<'a> Texts<'a> {
    /// The text of `rows`, a cursor over `df`.
    pub fn of(df: &'a DataFrame, rows: &RawRows<'a>) -> Texts<'a> {
        let span = rows.text_span();
        let text = df
            .raw_json_bytes()
            .get(span.clone())
            .and_then(|b| simdutf8::basic::from_utf8(b).ok());
        Texts {
            text,
            base: span.start,
        }
    }

    /// `cell` as text (checked on its own should it not be in the span,
    /// which it always is).
    #[inline]
    pub fn raw(&self, cell: RawCell<'a>) -> Raw<'a> {
        let own = || {
            let at = cell.start().checked_sub(self.base)?;
            self.text?.get(at..at + cell.bytes().len())
        };
        Raw {
            text: own().unwrap_or_else(|| cell.text()),
            escaped: cell.has_escapes(),
        }
    }
}

/// Column `c`'s cells, from the first row on.
pub(crate) fn column_cells(df: &DataFrame, c: usize) -> impl Iterator<Item = Raw<'_>> + '_ {
    let rows = df.raw_rows(0..df.len());
    let texts = Texts::of(df, &rows);
    rows.filter_map(move |mut row| row.nth(c).map(|cell| texts.raw(cell)))
}

/// Converts block `rows` of `df`. `text_hints` are bytes to reserve for
/// each column of the whole frame, should it be text.
pub(crate) fn convert(
    df: &DataFrame,
    rows: Range<usize>,
    text_hints: &[usize],
) -> Result<Converted, Error> {
    let n = rows.len();
    let cursor = df.raw_rows(rows);
    let texts = Texts::of(df, &cursor);
    let mut columns: Vec<Option<Builder>> =
        (0..df.width()).map(|_| Some(Builder::Null(0))).collect();
    for row in cursor {
        for ((c, cell), slot) in row.enumerate().zip(columns.iter_mut()) {
            let Some(b) = slot else { continue };
            let cell = texts.raw(cell);
            match b.push(cell) {
                Ok(()) => {}
                Err(Reject::TooLarge) => return Err(too_large(c, &df.columns()[c])),
                Err(Reject::Misfit) => *slot = first_fit(b, cell, n, share(df, text_hints[c], n)),
            }
        }
    }
    Ok(Converted { rows: n, columns })
}

/// Bytes of a column's text hint for a block of `n` of `df`'s rows.
fn share(df: &DataFrame, hint: usize, n: usize) -> usize {
    (hint as u128 * n as u128 / df.len().max(1) as u128) as usize
}

/// The builder a column gets when `cell` does not fit `current`: the type
/// the cell suggests when the column held only nulls so far, else `None`
/// (given up in this block).
fn first_fit(current: &Builder, cell: Raw<'_>, rows: usize, text_hint: usize) -> Option<Builder> {
    let Builder::Null(nulls) = current else {
        return None;
    };
    let ty = ColumnType::first_guess(cell.text)?;
    let mut b = Builder::new(ty, rows, text_hint);
    b.push_nulls(*nulls);
    b.push(cell).ok()?;
    Some(b)
}

/// What every block built for one column.
pub(crate) enum Agreed {
    /// Every block that holds a value built this type; the column's
    /// builders, one per block in row order (nulls-only ones too).
    Type(ColumnType, Vec<Builder>),
    /// Nothing but nulls, this many.
    Nulls(usize),
    /// The blocks disagree (or one gave the column up).
    No,
}

/// Takes column `c` out of every block: what they agree it is.
pub(crate) fn take_column(blocks: &mut [Converted], c: usize) -> Agreed {
    let mut ty = None;
    for p in blocks.iter() {
        match &p.columns[c] {
            None => return Agreed::No,
            Some(Builder::Null(_)) => {}
            Some(b) => match ty {
                None => ty = Some(b.column_type()),
                Some(t) if t != b.column_type() => return Agreed::No,
                Some(_) => {}
            },
        }
    }
    let Some(ty) = ty else {
        return Agreed::Nulls(blocks.iter().map(|p| p.rows).sum());
    };
    let builders = blocks.iter_mut().filter_map(|p| p.columns[c].take());
    Agreed::Type(ty, builders.collect())
}

/// One column's builders from every block (of type `ty`, or nulls
/// only) finished and joined into one array: a copy of the finished
/// values, no parsing.
pub(crate) fn join(
    ty: ColumnType,
    builders: Vec<Builder>,
    c: usize,
    name: &str,
) -> Result<ArrayRef, Error> {
    let mut arrays = Vec::with_capacity(builders.len());
    let mut text_bytes = 0usize;
    for b in builders {
        let array = b
            .into_type(ty)
            .finish()
            .map_err(|e| Error::column(c, name, e.to_string()))?;
        if let Some(s) = array.as_any().downcast_ref::<arrow_array::StringArray>() {
            text_bytes = text_bytes.saturating_add(s.values().len());
        }
        arrays.push(array);
    }
    if text_bytes > crate::build::MAX_TEXT_BYTES {
        return Err(too_large(c, name));
    }
    if arrays.len() == 1 {
        if let Some(a) = arrays.pop() {
            return Ok(a);
        }
    }
    let refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
    arrow_select::concat::concat(&refs).map_err(|e| Error::column(c, name, e.to_string()))
}

pub(crate) fn too_large(c: usize, name: &str) -> Error {
    Error::column(
        c,
        name,
        "holds more than 2 GiB of text, more than one Arrow Utf8 array can; ask for fewer rows (max_rows) or fewer columns",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each column of a block: given up (`None`), or its type and array.
    fn finished(block: Converted) -> Vec<Option<(ColumnType, ArrayRef)>> {
        block
            .columns
            .into_iter()
            .map(|b| b.map(|b| (b.column_type(), b.finish().unwrap())))
            .collect()
    }

    /// The cells of a block, cell by cell through each cell's own text
    /// (`DataFrame::cell`), into the builders.
    fn cell_by_cell(df: &DataFrame) -> Converted {
        let n = df.len();
        let mut columns: Vec<Option<Builder>> =
            (0..df.width()).map(|_| Some(Builder::Null(0))).collect();
        for r in 0..n {
            for (c, slot) in columns.iter_mut().enumerate() {
                let Some(b) = slot else { continue };
                let text = df.cell(r, c).unwrap().raw();
                let cell = Raw {
                    text,
                    escaped: text.starts_with('"') && text.contains('\\'),
                };
                if b.push(cell).is_err() {
                    *slot = first_fit(b, cell, n, 0);
                }
            }
        }
        Converted { rows: n, columns }
    }

    /// A block read from the cursor builds what the cell accessors build,
    /// cell for cell: the common cells (short numbers, plain strings,
    /// booleans, nulls), the rare ones (escapes, long and exponent
    /// numbers, nested values) and columns given up or typed late after
    /// nulls.
    #[test]
    fn the_cursor_builds_what_the_accessors_build() {
        let texts = [
            r#"[["i","f","s","b","t"],[1,1.5,"a",true,"2024-01-02T03:04:05Z"],[null,-2,"",false,null]]"#,
            r#"[ ["i" , "f"] ,
                [ 123456789012345678901 , 1e300 ] ,
                [ -0 , 0.000000000000000000001 ] ]"#,
            r#"[["s","j","late"],["x\"y\\z\u00e9",{"k":[1,"]"]},null],["plain",[],7],["\ud83d\ude00",3,8.5]]"#,
            r#"[["changes"],[1],["one"],[2.5],[null],[true]]"#,
            r#"[["n"],[null],[null]]"#,
        ];
        for text in texts {
            let df = DataFrame::from_json(text).unwrap();
            let hints = vec![0; df.width()];
            let read = convert(&df, 0..df.len(), &hints).unwrap();
            let want = cell_by_cell(&df);
            assert_eq!(read.rows, want.rows, "{text}");
            assert_eq!(finished(read), finished(want), "{text}");
        }
    }

    #[test]
    fn blocks_cut_rows_evenly() {
        assert_eq!(even(10, 3), [0..3, 3..6, 6..10]);
        assert_eq!(even(2, 5), [0..1, 1..2]);
        assert_eq!(even(0, 4), vec![0..0]);
    }
}
