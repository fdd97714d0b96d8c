//! The type ladder: which Arrow type a column's cells decide.

use arrow_schema::{DataType, TimeUnit};
use connecty_proto::ColumnStatistics;
use connecty_proto::{Surrogates, decode_string};

use crate::number::{DECIMAL_DIGITS, Decimal, exact_f64, parse_i64, parse_u64};
use crate::temporal::{parse_date, parse_timestamp};

/// The time zone of every timestamp column.
pub(crate) const UTC: &str = "UTC";

/// A column's type on the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// No cell says anything (every cell null, or no rows).
    Null,
    /// Only `true` and `false`.
    Boolean,
    /// Integers that fit `i64`.
    Int64,
    /// Non-negative integers, some beyond `i64`.
    UInt64,
    /// Numbers that are all exact at this scale in 38 digits.
    Decimal(i8),
    /// Numbers (some not written as integers) that all read back exactly.
    Float64,
    /// RFC 3339 date-times, µs precision or coarser.
    Timestamp,
    /// `YYYY-MM-DD` dates.
    Date32,
    /// Other strings.
    Utf8,
    /// Each cell's exact JSON text (`arrow.json`).
    Json,
}

impl ColumnType {
    /// The Arrow type that stores it.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Null => DataType::Null,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::UInt64 => DataType::UInt64,
            ColumnType::Decimal(s) => DataType::Decimal128(DECIMAL_DIGITS as u8, s),
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            ColumnType::Date32 => DataType::Date32,
            ColumnType::Utf8 | ColumnType::Json => DataType::Utf8,
        }
    }

    /// The type a column starts with from its first non-null cell, when
    /// that cell alone can tell (the common case: one pass, no look-back).
    /// `None` sends the column through [`Summary`] over all its cells.
    #[inline]
    pub fn first_guess(raw: &str) -> Option<ColumnType> {
        match raw.as_bytes().first()? {
            b't' | b'f' => Some(ColumnType::Boolean),
            b'[' | b'{' => Some(ColumnType::Json),
            b'"' => {
                let s = decode_string(raw, Surrogates::Refuse)?;
                Some(if parse_timestamp(&s).is_some() {
                    ColumnType::Timestamp
                } else if parse_date(&s).is_some() {
                    ColumnType::Date32
                } else {
                    ColumnType::Utf8
                })
            }
            b'n' => None,
            _ => {
                if parse_i64(raw).is_some() {
                    return Some(ColumnType::Int64);
                }
                let d = Decimal::parse(raw)?;
                (!d.integer_spelled && exact_f64(raw, &d).is_some()).then_some(ColumnType::Float64)
            }
        }
    }
}

const BOOL: u8 = 1;
const NUMBER: u8 = 2;
const STRING: u8 = 4;
const NESTED: u8 = 8;

/// What a column's cells say, gathered cell by cell.
#[derive(Debug, Clone, Default)]
pub(crate) struct Summary {
    kinds: u8,
    any_fraction: bool,
    not_i64: bool,
    not_u64: bool,
    not_f64: bool,
    scale: i64,
    int_digits: i64,
    not_timestamp: bool,
    not_date: bool,
    not_text: bool,
}

impl Summary {
    /// Adds one cell's JSON text.
    pub fn add(&mut self, raw: &str) {
        match raw.as_bytes().first() {
            None | Some(b'n') => {}
            Some(b't' | b'f') => self.kinds |= BOOL,
            Some(b'[' | b'{') => self.kinds |= NESTED,
            Some(b'"') => {
                self.kinds |= STRING;
                match decode_string(raw, Surrogates::Refuse) {
                    None => self.not_text = true,
                    Some(s) => {
                        self.not_timestamp |= parse_timestamp(&s).is_none();
                        self.not_date |= parse_date(&s).is_none();
                    }
                }
            }
            Some(_) => {
                self.kinds |= NUMBER;
                let Some(d) = Decimal::parse(raw) else {
                    // Not JSON number grammar: only its text can keep it.
                    self.kinds |= NESTED;
                    return;
                };
                if d.integer_spelled {
                    self.not_i64 |= parse_i64(raw).is_none();
                    self.not_u64 |= parse_u64(raw).is_none();
                } else {
                    self.any_fraction = true;
                }
                if !self.not_f64 {
                    self.not_f64 = exact_f64(raw, &d).is_none();
                }
                self.scale = self.scale.max(d.min_scale().min(i64::from(i16::MAX)));
                self.int_digits = self.int_digits.max(d.int_digits().min(i64::from(i16::MAX)));
            }
        }
    }

    /// The narrowest type on the ladder that holds every cell added.
    /// `hint` is used only when no cell said anything.
    pub fn decide(&self, hint: Option<ColumnType>) -> ColumnType {
        match self.kinds {
            0 => hint.unwrap_or(ColumnType::Null),
            BOOL => ColumnType::Boolean,
            NUMBER => self.number_type(),
            STRING if self.not_text => ColumnType::Json,
            STRING if !self.not_timestamp => ColumnType::Timestamp,
            STRING if !self.not_date => ColumnType::Date32,
            STRING => ColumnType::Utf8,
            _ => ColumnType::Json,
        }
    }

    fn number_type(&self) -> ColumnType {
        let decimal = |scale: i64| {
            if self.int_digits + scale <= DECIMAL_DIGITS {
                ColumnType::Decimal(scale as i8)
            } else {
                ColumnType::Json
            }
        };
        if !self.any_fraction {
            if !self.not_i64 {
                ColumnType::Int64
            } else if !self.not_u64 {
                ColumnType::UInt64
            } else {
                decimal(0)
            }
        } else if !self.not_f64 {
            ColumnType::Float64
        } else {
            decimal(self.scale)
        }
    }
}

/// The type statistics suggest for a column whose cells say nothing.
pub(crate) fn hint(stats: &ColumnStatistics) -> Option<ColumnType> {
    if let Some(t) = &stats.temporal {
        let ends: Vec<String> = [t.min.as_ref(), t.max.as_ref()]
            .into_iter()
            .flatten()
            .map(|ts| ts.as_str().to_string())
            .chain(
                ["min", "max"]
                    .iter()
                    .filter_map(|k| t.extra.get(k))
                    .filter_map(|raw| serde_json_str(raw.get())),
            )
            .collect();
        if ends.is_empty() {
            return None;
        }
        return Some(if ends.iter().all(|s| parse_timestamp(s).is_some()) {
            ColumnType::Timestamp
        } else if ends.iter().all(|s| parse_date(s).is_some()) {
            ColumnType::Date32
        } else {
            ColumnType::Utf8
        });
    }
    if stats.string.is_some() {
        return Some(ColumnType::Utf8);
    }
    let numeric = stats.other.get("numeric")?.to_value();
    let mut summary = Summary::default();
    for key in ["min", "max"] {
        if let Some(v @ serde_json::Value::Number(_)) = numeric.get(key) {
            summary.add(&v.to_string());
        }
    }
    match summary.decide(None) {
        ColumnType::Null => None,
        ty => Some(ty),
    }
}

fn serde_json_str(raw: &str) -> Option<String> {
    decode_string(raw, Surrogates::Refuse)
        .filter(|_| raw.starts_with('"'))
        .map(|s| s.into_owned())
}

/// Bytes to reserve for a text column: `string.mean_len` × rows when the
/// statistics say it (lengths are in characters, so it is a floor).
pub(crate) fn text_bytes_hint(stats: Option<&ColumnStatistics>, rows: usize) -> usize {
    stats
        .and_then(|s| s.string.as_ref())
        .and_then(|s| s.mean_len)
        .filter(|m| m.is_finite() && *m >= 0.0)
        .map(|m| (m * rows as f64).min(i32::MAX as f64) as usize)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(cells: &[&str]) -> ColumnType {
        let mut s = Summary::default();
        for c in cells {
            s.add(c);
        }
        s.decide(None)
    }

    #[test]
    fn the_ladder() {
        use ColumnType::*;
        assert_eq!(decide(&[]), Null);
        assert_eq!(decide(&["null", "null"]), Null);
        assert_eq!(decide(&["true", "null", "false"]), Boolean);
        assert_eq!(decide(&["1", "-2", "null"]), Int64);
        assert_eq!(decide(&["1", "18446744073709551615"]), UInt64);
        assert_eq!(decide(&["-1", "18446744073709551615"]), Decimal(0));
        assert_eq!(decide(&["123456789012345678901234567890"]), Decimal(0));
        assert_eq!(decide(&["1234567890123456789012345678901234567890"]), Json);
        assert_eq!(decide(&["0.1", "1e-7", "10"]), Float64);
        assert_eq!(decide(&["1", "2.5"]), Float64);
        assert_eq!(decide(&["1.0", "2.0"]), Float64);
        assert_eq!(decide(&["0.10000000000000000001", "2"]), Decimal(20));
        assert_eq!(decide(&["9007199254740993", "0.5"]), Decimal(1));
        assert_eq!(decide(&["1e400"]), Json);
        assert_eq!(decide(&["1e-400"]), Json);
        assert_eq!(
            decide(&[
                r#""2025-10-24T11:03:05.196568+02:00""#,
                r#""2025-10-24T11:03:05Z""#
            ]),
            Timestamp
        );
        assert_eq!(decide(&[r#""2025-10-24""#, "null"]), Date32);
        assert_eq!(
            decide(&[r#""2025-10-24""#, r#""2025-10-24T11:03:05Z""#]),
            Utf8
        );
        assert_eq!(decide(&[r#""2025-10-24T11:03:05.1234567Z""#]), Utf8);
        assert_eq!(decide(&[r#""a""#, r#""\ud800""#]), Json);
        assert_eq!(decide(&["[1]"]), Json);
        assert_eq!(decide(&["1", r#""1""#]), Json);
        assert_eq!(decide(&["true", "1"]), Json);
    }

    #[test]
    fn hints_only_when_cells_say_nothing() {
        let mut s = Summary::default();
        s.add("null");
        assert_eq!(s.decide(Some(ColumnType::Timestamp)), ColumnType::Timestamp);
        s.add("\"x\"");
        assert_eq!(s.decide(Some(ColumnType::Timestamp)), ColumnType::Utf8);
    }

    #[test]
    fn first_guesses() {
        use ColumnType::*;
        assert_eq!(ColumnType::first_guess("12"), Some(Int64));
        assert_eq!(ColumnType::first_guess("1.5"), Some(Float64));
        assert_eq!(ColumnType::first_guess("12345678901234567890"), None);
        assert_eq!(ColumnType::first_guess("0.10000000000000000001"), None);
        assert_eq!(ColumnType::first_guess("\"2025-10-24\""), Some(Date32));
        assert_eq!(ColumnType::first_guess("\"\\ud800\""), None);
        assert_eq!(ColumnType::first_guess("{}"), Some(Json));
    }
}
