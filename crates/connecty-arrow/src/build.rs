//! Column builders: one Arrow array per column, filled cell by cell from
//! each cell's JSON text.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, NullArray};
use arrow_schema::ArrowError;
use connecty_proto::decode_string_in;

use crate::infer::{ColumnType, UTC};
use crate::number::{
    DECIMAL_DIGITS, Decimal, exact_f64, parse_i64, parse_u64, short_exact_f64, short_i64,
};
use crate::temporal::{parse_date, parse_timestamp};

/// The most bytes one `Utf8` array holds (its offsets are `i32`).
pub(crate) const MAX_TEXT_BYTES: usize = i32::MAX as usize;

/// Why a cell was not added: this crate's one failure below [`Error`](crate::Error),
/// which the conversion turns into a new type for the column, or into an
/// `Error::Column`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reject {
    /// The cell does not fit the column's type: the column needs another.
    Misfit,
    /// The column's text passed what one `Utf8` array holds.
    TooLarge,
}

/// One cell's exact JSON text, and whether it is a string with escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raw<'a> {
    pub text: &'a str,
    pub escaped: bool,
}

impl<'a> Raw<'a> {
    /// The text between the quotes, as written.
    #[inline]
    fn inner(&self) -> &'a str {
        self.text
            .get(1..self.text.len().saturating_sub(1))
            .unwrap_or("")
    }

    /// The decoded string: borrowed when it has no escapes, else in
    /// `scratch`; a misfit when it is not a string or escapes a lone
    /// surrogate (no `Utf8` value holds one).
    #[inline]
    fn string<'s>(&self, scratch: &'s mut String) -> Result<&'s str, Reject>
    where
        'a: 's,
    {
        if self.text.as_bytes().first() != Some(&b'"') {
            return Err(Reject::Misfit);
        }
        if !self.escaped {
            return Ok(self.inner());
        }
        decode_string_in(self.text, scratch).ok_or(Reject::Misfit)
    }
}

/// A column being built, of one [`ColumnType`], in arrow-rs's builders.
pub(crate) enum Builder {
    Null(usize),
    Boolean(BooleanBuilder),
    Int64(Int64Builder),
    UInt64(UInt64Builder),
    Decimal(Decimal128Builder, i8),
    Float64(Float64Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Date32(Date32Builder),
    /// Strings, and a scratch buffer to unescape them in.
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
            ColumnType::Boolean => Builder::Boolean(BooleanBuilder::with_capacity(rows)),
            ColumnType::Int64 => Builder::Int64(Int64Builder::with_capacity(rows)),
            ColumnType::UInt64 => Builder::UInt64(UInt64Builder::with_capacity(rows)),
            ColumnType::Decimal(s) => Builder::Decimal(Decimal128Builder::with_capacity(rows), s),
            ColumnType::Float64 => Builder::Float64(Float64Builder::with_capacity(rows)),
            ColumnType::Timestamp => {
                Builder::Timestamp(TimestampMicrosecondBuilder::with_capacity(rows))
            }
            ColumnType::Date32 => Builder::Date32(Date32Builder::with_capacity(rows)),
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
            Builder::Boolean(b) => b.values_slice().len(),
            Builder::Int64(b) => b.values_slice().len() * 8,
            Builder::Timestamp(b) => b.values_slice().len() * 8,
            Builder::UInt64(b) => b.values_slice().len() * 8,
            Builder::Float64(b) => b.values_slice().len() * 8,
            Builder::Decimal(b, _) => b.values_slice().len() * 16,
            Builder::Date32(b) => b.values_slice().len() * 4,
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

    /// Adds `n` nulls. None adds no validity buffer: a builder makes one
    /// for its first null, even for `n = 0`, and a Parquet writer encodes
    /// a column with one differently, so the file would depend on where
    /// blocks are cut.
    pub fn push_nulls(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        match self {
            Builder::Null(k) => *k += n,
            Builder::Boolean(b) => b.append_nulls(n),
            Builder::Int64(b) => b.append_nulls(n),
            Builder::Timestamp(b) => b.append_nulls(n),
            Builder::UInt64(b) => b.append_nulls(n),
            Builder::Decimal(b, _) => b.append_nulls(n),
            Builder::Float64(b) => b.append_nulls(n),
            Builder::Date32(b) => b.append_nulls(n),
            Builder::Utf8(b, _) | Builder::Json(b) => {
                for _ in 0..n {
                    b.append_null();
                }
            }
        }
    }

    /// Adds one cell, given its exact JSON text: the common cells (a
    /// null, a boolean, a short integer or decimal, a string without
    /// escapes) read straight from the text.
    #[inline(always)]
    pub fn push(&mut self, cell: Raw<'_>) -> Result<(), Reject> {
        let raw = cell.text;
        if raw.as_bytes().first() == Some(&b'n') {
            self.push_nulls(1);
            return Ok(());
        }
        match self {
            Builder::Null(_) => return Err(Reject::Misfit),
            Builder::Boolean(b) => match raw {
                "true" => b.append_value(true),
                "false" => b.append_value(false),
                _ => return Err(Reject::Misfit),
            },
            Builder::Int64(b) => match short_i64(raw.as_bytes()) {
                Some((v, len)) if len == raw.len() => b.append_value(v),
                _ => b.append_value(parse_i64(raw).ok_or(Reject::Misfit)?),
            },
            Builder::UInt64(b) => b.append_value(parse_u64(raw).ok_or(Reject::Misfit)?),
            Builder::Decimal(b, scale) => {
                let d = number(raw)?;
                b.append_value(d.to_decimal(i64::from(*scale)).ok_or(Reject::Misfit)?);
            }
            Builder::Float64(b) => match short_exact_f64(raw) {
                Some(v) => b.append_value(v),
                None => {
                    let d = number(raw)?;
                    b.append_value(exact_f64(raw, &d).ok_or(Reject::Misfit)?);
                }
            },
            Builder::Timestamp(b) => {
                let mut scratch = String::new();
                let s = cell.string(&mut scratch)?;
                b.append_value(parse_timestamp(s).ok_or(Reject::Misfit)?);
            }
            Builder::Date32(b) => {
                let mut scratch = String::new();
                let s = cell.string(&mut scratch)?;
                b.append_value(parse_date(s).ok_or(Reject::Misfit)?);
            }
            Builder::Utf8(b, scratch) => {
                let s = cell.string(scratch)?;
                append_text(b, s)?;
            }
            Builder::Json(b) => append_text(b, raw)?,
        }
        Ok(())
    }

    /// The finished array (a validity buffer only where there are nulls).
    pub fn finish(self) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Builder::Null(n) => Arc::new(NullArray::new(n)),
            Builder::Boolean(mut b) => Arc::new(b.finish()),
            Builder::Int64(mut b) => Arc::new(b.finish()),
            Builder::UInt64(mut b) => Arc::new(b.finish()),
            Builder::Decimal(mut b, s) => Arc::new(
                b.finish()
                    .with_precision_and_scale(DECIMAL_DIGITS as u8, s)?,
            ),
            Builder::Float64(mut b) => Arc::new(b.finish()),
            Builder::Timestamp(mut b) => Arc::new(b.finish().with_timezone(UTC)),
            Builder::Date32(mut b) => Arc::new(b.finish()),
            Builder::Utf8(mut b, _) | Builder::Json(mut b) => Arc::new(b.finish()),
        })
    }
}

#[inline]
fn number(raw: &str) -> Result<Decimal<'_>, Reject> {
    Decimal::parse(raw).ok_or(Reject::Misfit)
}

#[inline]
fn append_text(b: &mut StringBuilder, s: &str) -> Result<(), Reject> {
    if b.values_slice().len() + s.len() > MAX_TEXT_BYTES {
        return Err(Reject::TooLarge);
    }
    b.append_value(s);
    Ok(())
}
