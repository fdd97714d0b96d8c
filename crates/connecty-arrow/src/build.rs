//! Column builders: one Arrow array per column, filled cell by cell from
//! each cell's JSON text.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int64Type, TimestampMicrosecondType, UInt64Type,
};
use arrow_array::{ArrayRef, BooleanArray, NullArray, PrimitiveArray};
use arrow_buffer::{ArrowNativeType, BooleanBufferBuilder, NullBufferBuilder, ScalarBuffer};
use arrow_schema::ArrowError;

use crate::cells::{Cells, Raw};
use crate::infer::{ColumnType, UTC};
use crate::number::{
    DECIMAL_DIGITS, Decimal, exact_f64, parse_i64, parse_u64, short_exact_f64, short_f64, short_i64,
};
use crate::temporal::{parse_date, parse_timestamp};
use crate::text;

/// The most bytes one `Utf8` array holds (its offsets are `i32`).
pub(crate) const MAX_TEXT_BYTES: usize = i32::MAX as usize;

/// Why a cell was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reject {
    /// The cell does not fit the column's type: the column needs another.
    Misfit,
    /// The column's text passed what one `Utf8` array holds.
    TooLarge,
}

/// A cell [`Builder::push_next`] did not add.
#[derive(Debug)]
pub(crate) enum Missed<'a> {
    /// The cell, read whole, and why it did not go in.
    Rejected(Reject, Raw<'a>),
    /// The walk met text it does not expect (it never does: the text was
    /// validated when it was parsed).
    Lost,
}

/// Values and validity of a primitive column.
pub(crate) struct Prim<T> {
    values: Vec<T>,
    nulls: NullBufferBuilder,
}

impl<T: ArrowNativeType> Prim<T> {
    fn new(capacity: usize) -> Self {
        Prim {
            values: Vec::with_capacity(capacity),
            nulls: NullBufferBuilder::new(capacity),
        }
    }

    #[inline]
    fn push(&mut self, v: T) {
        self.values.push(v);
        self.nulls.append_non_null();
    }

    #[inline]
    fn push_nulls(&mut self, n: usize) {
        self.values.extend(std::iter::repeat_n(T::default(), n));
        self.nulls.append_n_nulls(n);
    }

    fn finish<P>(mut self) -> PrimitiveArray<P>
    where
        P: arrow_array::ArrowPrimitiveType<Native = T>,
    {
        // A validity buffer only where there are nulls (`append_n_nulls(0)`
        // makes one): a Parquet writer encodes a column with one
        // differently, and the file would depend on the thread count.
        let nulls = self.nulls.finish().filter(|n| n.null_count() > 0);
        PrimitiveArray::<P>::new(ScalarBuffer::from(self.values), nulls)
    }
}

/// A column being built, of one [`ColumnType`].
pub(crate) enum Builder {
    Null(usize),
    Boolean(BooleanBufferBuilder, NullBufferBuilder),
    Int64(Prim<i64>),
    UInt64(Prim<u64>),
    Decimal(Prim<i128>, i8),
    Float64(Prim<f64>),
    Timestamp(Prim<i64>),
    Date32(Prim<i32>),
    Utf8(StringBuilder, String),
    Json(StringBuilder),
}

impl Builder {
    /// An empty builder for `rows` cells of type `ty`; `text_bytes` is a
    /// guess of a text column's size.
    pub fn new(ty: ColumnType, rows: usize, text_bytes: usize) -> Builder {
        let text_bytes = text_bytes.min(MAX_TEXT_BYTES);
        match ty {
            ColumnType::Null => Builder::Null(0),
            ColumnType::Boolean => Builder::Boolean(
                BooleanBufferBuilder::new(rows),
                NullBufferBuilder::new(rows),
            ),
            ColumnType::Int64 => Builder::Int64(Prim::new(rows)),
            ColumnType::UInt64 => Builder::UInt64(Prim::new(rows)),
            ColumnType::Decimal(s) => Builder::Decimal(Prim::new(rows), s),
            ColumnType::Float64 => Builder::Float64(Prim::new(rows)),
            ColumnType::Timestamp => Builder::Timestamp(Prim::new(rows)),
            ColumnType::Date32 => Builder::Date32(Prim::new(rows)),
            ColumnType::Utf8 => Builder::Utf8(
                StringBuilder::with_capacity(rows, text_bytes),
                String::new(),
            ),
            ColumnType::Json => Builder::Json(StringBuilder::with_capacity(rows, text_bytes)),
        }
    }

    /// Bytes of values built so far, roughly what writing them costs.
    pub fn weight(&self) -> usize {
        match self {
            Builder::Null(_) => 0,
            Builder::Boolean(v, _) => v.len() / 8,
            Builder::Int64(p) | Builder::Timestamp(p) => p.values.len() * 8,
            Builder::UInt64(p) => p.values.len() * 8,
            Builder::Float64(p) => p.values.len() * 8,
            Builder::Decimal(p, _) => p.values.len() * 16,
            Builder::Date32(p) => p.values.len() * 4,
            Builder::Utf8(b, _) | Builder::Json(b) => {
                b.values_slice().len() + b.offsets_slice().len() * 4
            }
        }
    }

    /// The type being built.
    pub fn column_type(&self) -> ColumnType {
        match self {
            Builder::Null(_) => ColumnType::Null,
            Builder::Boolean(..) => ColumnType::Boolean,
            Builder::Int64(_) => ColumnType::Int64,
            Builder::UInt64(_) => ColumnType::UInt64,
            Builder::Decimal(_, s) => ColumnType::Decimal(*s),
            Builder::Float64(_) => ColumnType::Float64,
            Builder::Timestamp(_) => ColumnType::Timestamp,
            Builder::Date32(_) => ColumnType::Date32,
            Builder::Utf8(..) => ColumnType::Utf8,
            Builder::Json(_) => ColumnType::Json,
        }
    }

    /// This builder as type `ty`: a nulls-only one (`Null(n)`) becomes
    /// `n` nulls of `ty`; any other is returned as it is.
    pub fn into_type(self, ty: ColumnType) -> Builder {
        match self {
            Builder::Null(n) => {
                let mut b = Builder::new(ty, n, 0);
                b.push_nulls(n);
                b
            }
            b => b,
        }
    }

    /// Adds `n` nulls.
    pub fn push_nulls(&mut self, n: usize) {
        match self {
            Builder::Null(k) => *k += n,
            Builder::Boolean(v, nulls) => {
                v.append_n(n, false);
                nulls.append_n_nulls(n);
            }
            Builder::Int64(p) | Builder::Timestamp(p) => p.push_nulls(n),
            Builder::UInt64(p) => p.push_nulls(n),
            Builder::Decimal(p, _) => p.push_nulls(n),
            Builder::Float64(p) => p.push_nulls(n),
            Builder::Date32(p) => p.push_nulls(n),
            Builder::Utf8(b, _) | Builder::Json(b) => {
                for _ in 0..n {
                    b.append_null();
                }
            }
        }
    }

    /// Adds one cell, given its exact JSON text.
    #[inline]
    pub fn push(&mut self, cell: Raw<'_>) -> Result<(), Reject> {
        let raw = cell.text;
        if raw.as_bytes().first() == Some(&b'n') {
            self.push_nulls(1);
            return Ok(());
        }
        match self {
            Builder::Null(_) => return Err(Reject::Misfit),
            Builder::Boolean(v, nulls) => {
                match raw {
                    "true" => v.append(true),
                    "false" => v.append(false),
                    _ => return Err(Reject::Misfit),
                }
                nulls.append_non_null();
            }
            Builder::Int64(p) => p.push(parse_i64(raw).ok_or(Reject::Misfit)?),
            Builder::UInt64(p) => p.push(parse_u64(raw).ok_or(Reject::Misfit)?),
            Builder::Decimal(p, scale) => {
                let d = number(raw)?;
                p.push(d.to_decimal(i64::from(*scale)).ok_or(Reject::Misfit)?);
            }
            Builder::Float64(p) => match short_exact_f64(raw) {
                Some(v) => p.push(v),
                None => {
                    let d = number(raw)?;
                    p.push(exact_f64(raw, &d).ok_or(Reject::Misfit)?);
                }
            },
            Builder::Timestamp(p) => {
                let s = string(cell)?;
                p.push(parse_timestamp(&s).ok_or(Reject::Misfit)?);
            }
            Builder::Date32(p) => {
                let s = string(cell)?;
                p.push(parse_date(&s).ok_or(Reject::Misfit)?);
            }
            Builder::Utf8(b, scratch) => {
                if raw.as_bytes().first() != Some(&b'"') {
                    return Err(Reject::Misfit);
                }
                let s = if cell.escaped {
                    text::decode_with(raw, scratch).ok_or(Reject::Misfit)?
                } else {
                    text::inner(raw)
                };
                append_text(b, s)?;
            }
            Builder::Json(b) => append_text(b, raw)?,
        }
        Ok(())
    }

    /// Adds the cell at `walk`'s cursor and moves the cursor past it.
    ///
    /// The common cells are read straight from the text in one look: a
    /// null, a boolean, a short integer, a string without escapes into a
    /// text or timestamp column, a short decimal. Any other cell is read
    /// whole and goes through [`Self::push`], so the result is the same.
    #[inline]
    pub fn push_next<'a>(&mut self, walk: &mut Cells<'a>) -> Result<(), Missed<'a>> {
        let first = walk.peek().ok_or(Missed::Lost)?;
        match (first, &mut *self) {
            (b'n', _) if walk.rest().starts_with(b"null") => {
                walk.skip(4);
                self.push_nulls(1);
                return Ok(());
            }
            (b't', Builder::Boolean(v, nulls)) if walk.rest().starts_with(b"true") => {
                walk.skip(4);
                v.append(true);
                nulls.append_non_null();
                return Ok(());
            }
            (b'f', Builder::Boolean(v, nulls)) if walk.rest().starts_with(b"false") => {
                walk.skip(5);
                v.append(false);
                nulls.append_non_null();
                return Ok(());
            }
            (b'-' | b'0'..=b'9', Builder::Int64(p)) => {
                if let Some((v, len)) = short_i64(walk.rest()) {
                    walk.skip(len);
                    p.push(v);
                    return Ok(());
                }
            }
            (b'"', Builder::Utf8(b, scratch)) => {
                let cell = walk.cell().ok_or(Missed::Lost)?;
                let s = if cell.escaped {
                    text::unescaped(text::inner(cell.text), scratch)
                        .ok_or(Missed::Rejected(Reject::Misfit, cell))?
                } else {
                    text::inner(cell.text)
                };
                return append_text(b, s).map_err(|r| Missed::Rejected(r, cell));
            }
            (b'"', Builder::Timestamp(p)) => {
                let cell = walk.cell().ok_or(Missed::Lost)?;
                if !cell.escaped {
                    if let Some(v) = parse_timestamp(text::inner(cell.text)) {
                        p.push(v);
                        return Ok(());
                    }
                }
                return self.push(cell).map_err(|r| Missed::Rejected(r, cell));
            }
            (b'-' | b'0'..=b'9', Builder::Float64(p)) => {
                if let Some((v, len)) = short_f64(walk.rest()) {
                    walk.skip(len);
                    p.push(v);
                    return Ok(());
                }
            }
            _ => {}
        }
        let cell = walk.cell().ok_or(Missed::Lost)?;
        self.push(cell).map_err(|r| Missed::Rejected(r, cell))
    }

    /// The finished array.
    pub fn finish(self) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Builder::Null(n) => Arc::new(NullArray::new(n)),
            Builder::Boolean(mut v, mut nulls) => {
                let nulls = nulls.finish().filter(|n| n.null_count() > 0);
                Arc::new(BooleanArray::new(v.finish(), nulls))
            }
            Builder::Int64(p) => Arc::new(p.finish::<Int64Type>()),
            Builder::UInt64(p) => Arc::new(p.finish::<UInt64Type>()),
            Builder::Decimal(p, s) => Arc::new(
                p.finish::<Decimal128Type>()
                    .with_precision_and_scale(DECIMAL_DIGITS as u8, s)?,
            ),
            Builder::Float64(p) => Arc::new(p.finish::<Float64Type>()),
            Builder::Timestamp(p) => {
                Arc::new(p.finish::<TimestampMicrosecondType>().with_timezone(UTC))
            }
            Builder::Date32(p) => Arc::new(p.finish::<Date32Type>()),
            Builder::Utf8(mut b, _) | Builder::Json(mut b) => Arc::new(b.finish()),
        })
    }
}

#[inline]
fn number(raw: &str) -> Result<Decimal<'_>, Reject> {
    Decimal::parse(raw).ok_or(Reject::Misfit)
}

#[inline]
fn string(cell: Raw<'_>) -> Result<std::borrow::Cow<'_, str>, Reject> {
    if cell.text.as_bytes().first() != Some(&b'"') {
        return Err(Reject::Misfit);
    }
    if cell.escaped {
        text::decode(cell.text).ok_or(Reject::Misfit)
    } else {
        Ok(std::borrow::Cow::Borrowed(text::inner(cell.text)))
    }
}

#[inline]
fn append_text(b: &mut StringBuilder, s: &str) -> Result<(), Reject> {
    if b.values_slice().len() + s.len() > MAX_TEXT_BYTES {
        return Err(Reject::TooLarge);
    }
    b.append_value(s);
    Ok(())
}
