//! A frame's rows in stretches, one per thread, each converted in one pass
//! over its text; then each column's stretches joined.
//!
//! Each stretch starts every column with the type its first non-null cell
//! suggests ([`ColumnType::first_guess`]) and fills it from the cells'
//! text. A column whose later cell does not fit is *given up* in that
//! stretch (no more work is spent on it there). When every stretch built
//! a column with the same type, every cell fits that type, which is then
//! the column's type on the ladder, and the stretches' arrays are joined
//! (a copy of the finished values, no parsing), each column on a thread
//! of its own. Otherwise the column is decided from all its cells and
//! built again: the rare case, paid only by that column.

use std::ops::Range;

use arrow_array::{Array, ArrayRef};
use connecty_proto::DataFrame;

use crate::Error;
use crate::build::{Builder, Missed, Reject};
use crate::cells::{Cells, Raw};
use crate::infer::ColumnType;

/// One stretch of rows, converted.
pub(crate) struct Part {
    /// Rows in the stretch.
    pub rows: usize,
    /// One builder per column; `None` for a column given up.
    pub columns: Vec<Option<Builder>>,
}

/// A stretch of rows and the text its walk reads.
pub(crate) struct Stretch {
    /// Its rows.
    pub rows: Range<usize>,
    /// The bytes of the frame's text its walk reads: from its first row's
    /// start (the whole header for the stretch from row 0) to the next
    /// stretch's; `None` when the start cannot be found, and the stretch
    /// then reads its cells through the accessors.
    pub text: Option<Range<usize>>,
}

/// The frame's rows cut into up to `parts` stretches, and where each
/// starts in `text` (`df.raw_json_bytes()`).
pub(crate) fn stretches(df: &DataFrame, text: &[u8], parts: usize) -> Vec<Stretch> {
    let rows = df.len();
    let parts = parts.clamp(1, rows.max(1));
    let cuts: Vec<usize> = (0..=parts).map(|i| rows * i / parts).collect();
    stretches_at(df, text, &cuts)
}

/// The stretches between consecutive `cuts` (row numbers, ascending, the
/// first 0 and the last `df.len()`), and where each starts in `text`.
pub(crate) fn stretches_at(df: &DataFrame, text: &[u8], cuts: &[usize]) -> Vec<Stretch> {
    let parts = cuts.len().saturating_sub(1);
    let cut = |i: usize| cuts[i];
    let starts: Vec<Option<usize>> = (0..parts)
        .map(|i| match cut(i) {
            0 => Some(0),
            row => df
                .cell(row, 0)
                .and_then(|cell| offset_in(text, cell.raw()))
                .and_then(|first| Cells::row_start(text, first)),
        })
        .collect();
    (0..parts)
        .map(|i| {
            // To the next start found (a stretch walks only its own rows).
            let end = starts[i + 1..].iter().flatten().next().copied();
            Stretch {
                rows: cut(i)..cut(i + 1),
                text: starts[i].map(|s| s..end.unwrap_or(text.len())),
            }
        })
        .collect()
}

/// Where `part` (a slice of `whole`'s buffer) starts in `whole`, checked.
fn offset_in(whole: &[u8], part: &str) -> Option<usize> {
    let at = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (whole.get(at..at.checked_add(part.len())?) == Some(part.as_bytes())).then_some(at)
}

/// Converts the stretch of `df`. `text` is `df.raw_json_bytes()`, of which
/// this thread checks only the stretch's own bytes are UTF-8.
/// `text_hints` are bytes to reserve for each column of the whole frame,
/// should it be text.
pub(crate) fn convert(
    df: &DataFrame,
    text: &[u8],
    stretch: Stretch,
    text_hints: &[usize],
) -> Result<Part, Error> {
    let range = stretch.rows;
    let own = stretch
        .text
        .and_then(|bytes| text.get(bytes))
        .and_then(|bytes| simdutf8::basic::from_utf8(bytes).ok());
    let walk = match (range.start, own) {
        (0, Some(own)) => Cells::new(own),
        (_, Some(own)) => Some(Cells::at_row_start(own)),
        (_, None) => None,
    };
    if let Some(walk) = walk {
        if let Some(part) = convert_walking(df, walk, range.clone(), text_hints)? {
            return Ok(part);
        }
    }
    convert_reading(df, range, text_hints)
}

/// Bytes of a column's text hint for a stretch of `n` of `df`'s rows.
fn share(df: &DataFrame, hint: usize, n: usize) -> usize {
    (hint as u128 * n as u128 / df.len().max(1) as u128) as usize
}

fn empty_columns(width: usize) -> Vec<Option<Builder>> {
    (0..width).map(|_| Some(Builder::Null(0))).collect()
}

/// [`convert`] in one walk over the text, each cell added where it is
/// read; `Ok(None)` should the walk meet text it does not expect.
fn convert_walking(
    df: &DataFrame,
    mut walk: Cells<'_>,
    range: Range<usize>,
    text_hints: &[usize],
) -> Result<Option<Part>, Error> {
    let width = df.width();
    let n = range.len();
    let mut columns = empty_columns(width);
    for _ in range {
        if walk.open_row() != Some(true) {
            return Ok(None);
        }
        for (c, slot) in columns.iter_mut().enumerate() {
            let missed = match slot {
                Some(b) => b.push_next(&mut walk).err(),
                None => walk.cell().is_none().then_some(Missed::Lost),
            };
            match missed {
                None => {}
                Some(Missed::Lost) => return Ok(None),
                Some(Missed::Rejected(Reject::TooLarge, _)) => {
                    return Err(too_large(c, &df.columns()[c]));
                }
                Some(Missed::Rejected(Reject::Misfit, cell)) => {
                    *slot = slot
                        .as_ref()
                        .and_then(|b| first_fit(b, cell, n, share(df, text_hints[c], n)));
                }
            }
            if walk.end_cell(c + 1 == width).is_none() {
                return Ok(None);
            }
        }
    }
    Ok(Some(Part { rows: n, columns }))
}

/// [`convert`] through the frame's cell accessors.
fn convert_reading(
    df: &DataFrame,
    range: Range<usize>,
    text_hints: &[usize],
) -> Result<Part, Error> {
    let n = range.len();
    let mut columns = empty_columns(df.width());
    for r in range {
        let Some(row) = df.row(r) else { continue };
        for (c, (cell, slot)) in row.cells().zip(columns.iter_mut()).enumerate() {
            let Some(b) = slot else { continue };
            let cell = Raw::of(cell.raw());
            match b.push(cell) {
                Ok(()) => {}
                Err(Reject::TooLarge) => return Err(too_large(c, &df.columns()[c])),
                Err(Reject::Misfit) => *slot = first_fit(b, cell, n, share(df, text_hints[c], n)),
            }
        }
    }
    Ok(Part { rows: n, columns })
}

/// The builder a column gets when `cell` does not fit `current`: the type
/// the cell suggests when the column held only nulls so far, else `None`
/// (given up in this stretch).
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

/// What every stretch built for one column.
pub(crate) enum Agreed {
    /// Every stretch that holds a value built this type; the column's
    /// builders, one per stretch in row order (nulls-only ones too).
    Type(ColumnType, Vec<Builder>),
    /// Nothing but nulls, this many.
    Nulls(usize),
    /// The stretches disagree (or one gave the column up).
    No,
}

/// Takes column `c` out of every stretch: what they agree it is.
pub(crate) fn take_column(parts: &mut [Part], c: usize) -> Agreed {
    let mut ty = None;
    for p in parts.iter() {
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
        return Agreed::Nulls(parts.iter().map(|p| p.rows).sum());
    };
    let builders = parts.iter_mut().filter_map(|p| p.columns[c].take());
    Agreed::Type(ty, builders.collect())
}

/// One column's builders from every stretch (of type `ty`, or nulls
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

    /// Each column of a part: given up (`None`), or its type and array.
    fn finished(part: Part) -> Vec<Option<(ColumnType, ArrayRef)>> {
        part.columns
            .into_iter()
            .map(|b| b.map(|b| (b.column_type(), b.finish().unwrap())))
            .collect()
    }

    fn both_ways(text: &str) -> (Option<Part>, Part) {
        let df = DataFrame::from_json(text).unwrap();
        let hints = vec![0; df.width()];
        let walk = Cells::new(df.raw_json()).unwrap();
        let walked = convert_walking(&df, walk, 0..df.len(), &hints).unwrap();
        (walked, convert_reading(&df, 0..df.len(), &hints).unwrap())
    }

    /// The fused walk builds what the accessors build, cell for cell:
    /// fast paths (short numbers, plain strings, booleans, nulls), the
    /// slow ones (escapes, long and exponent numbers, nested values) and
    /// columns given up or typed late after nulls.
    #[test]
    fn the_walk_builds_what_the_accessors_build() {
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
            let (walked, read) = both_ways(text);
            let walked = walked.unwrap_or_else(|| panic!("the walk gave up on {text}"));
            assert_eq!(walked.rows, read.rows, "{text}");
            assert_eq!(finished(walked), finished(read), "{text}");
        }
    }
}
