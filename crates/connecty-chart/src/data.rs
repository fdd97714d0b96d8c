//! Reading the columns of an Arrow batch (as connecty-arrow typed them)
//! into what a chart draws: each column's [`Role`], numbers with the cells
//! that are not numbers counted, instants, and labels.

use connecty_arrow::arrow_array::cast::AsArray;
use connecty_arrow::arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int64Type, TimestampMicrosecondType, UInt64Type,
};
use connecty_arrow::arrow_array::{Array, RecordBatch};
use connecty_arrow::arrow_schema::{DataType, Field, TimeUnit};

use chrono::{DateTime, NaiveDate};

use crate::rule::Role;

/// The name the answer sent for a column (connecty-arrow renames empty or
/// repeated names and keeps the sent one in its metadata).
pub fn sent_name(field: &Field) -> &str {
    field
        .metadata()
        .get(connecty_arrow::META_NAME)
        .map_or(field.name().as_str(), String::as_str)
}

fn is_json(field: &Field) -> bool {
    field.extension_type_name() == Some("arrow.json")
}

/// A column's role, from its Arrow type (connecty-arrow's ladder):
///
/// | Arrow type | role |
/// |---|---|
/// | `Int64`, `UInt64`, `Float64`, `Decimal128` | [`Role::Numeric`] |
/// | `Timestamp`, `Date32` | [`Role::Temporal`] |
/// | `Utf8`, every cell shaped `YYYY-MM` or `YYYY-MM-DD` | [`Role::Temporal`] |
/// | `Utf8` JSON text (`arrow.json`, mixed kinds), at least half its cells numbers | [`Role::Numeric`]: the other cells are counted and skipped |
/// | other `Utf8` | [`Role::Text`] |
/// | anything else (`Boolean`, `Null`, other JSON text) | [`Role::Other`] |
pub fn role(field: &Field, array: &dyn Array) -> Role {
    match array.data_type() {
        DataType::Int64 | DataType::UInt64 | DataType::Float64 | DataType::Decimal128(..) => {
            Role::Numeric
        }
        DataType::Timestamp(..) | DataType::Date32 => Role::Temporal,
        DataType::Utf8 if is_json(field) => {
            let cells = array.as_string::<i32>();
            let (mut numbers, mut others) = (0usize, 0usize);
            for text in cells.iter().flatten() {
                if looks_numeric(text) {
                    numbers += 1;
                } else {
                    others += 1;
                }
            }
            if numbers > 0 && numbers >= others {
                Role::Numeric
            } else {
                Role::Other
            }
        }
        DataType::Utf8 => {
            let cells = array.as_string::<i32>();
            let mut any = false;
            for text in cells.iter().flatten() {
                if month_or_day(text).is_none() {
                    return Role::Text;
                }
                any = true;
            }
            if any { Role::Temporal } else { Role::Other }
        }
        _ => Role::Other,
    }
}

/// JSON text of a number (not a string, boolean or nested value).
fn looks_numeric(json: &str) -> bool {
    json.as_bytes()
        .first()
        .is_some_and(|b| *b == b'-' || b.is_ascii_digit())
}

/// A numeric column as floats: `None` for a null (a gap) and for a cell
/// that is not a finite number (counted in `skipped`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Numbers {
    /// One value per row.
    pub values: Vec<Option<f64>>,
    /// Cells that were neither null nor a finite number: text, `NaN`,
    /// infinities, booleans, numbers beyond `f64`.
    pub skipped: usize,
}

/// Reads a numeric column (see [`role`]); a column of another type is all
/// skipped cells, nulls aside.
pub fn numbers(field: &Field, array: &dyn Array) -> Numbers {
    let mut skipped = 0;
    let mut finite = |v: f64| {
        if v.is_finite() {
            Some(v)
        } else {
            skipped += 1;
            None
        }
    };
    let values: Vec<Option<f64>> = match array.data_type() {
        DataType::Int64 => array
            .as_primitive::<Int64Type>()
            .iter()
            .map(|v| v.map(|v| v as f64))
            .collect(),
        DataType::UInt64 => array
            .as_primitive::<UInt64Type>()
            .iter()
            .map(|v| v.map(|v| v as f64))
            .collect(),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| v.and_then(&mut finite))
            .collect(),
        DataType::Decimal128(_, scale) => {
            let div = 10f64.powi(i32::from(*scale));
            array
                .as_primitive::<Decimal128Type>()
                .iter()
                .map(|v| v.map(|v| v as f64 / div))
                .collect()
        }
        DataType::Utf8 if is_json(field) => array
            .as_string::<i32>()
            .iter()
            .map(|v| {
                let text = v?;
                match text.parse::<f64>() {
                    Ok(n) if looks_numeric(text) => finite(n),
                    _ => finite(f64::NAN),
                }
            })
            .collect(),
        _ => (0..array.len())
            .map(|i| (!array.is_null(i)).then(|| finite(f64::NAN)).flatten())
            .collect(),
    };
    Numbers { values, skipped }
}

/// How fine a temporal column is: its tick labels show as much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grain {
    /// `YYYY-MM` text.
    Month,
    /// Dates.
    Day,
    /// Instants.
    Instant,
}

/// A temporal column as seconds since 1970-01-01 UTC (`None` for a null).
pub fn instants(array: &dyn Array) -> (Vec<Option<f64>>, Grain) {
    const DAY: f64 = 86_400.0;
    match array.data_type() {
        DataType::Timestamp(unit, _) => {
            let per_second = match unit {
                TimeUnit::Second => 1.0,
                TimeUnit::Millisecond => 1e3,
                TimeUnit::Microsecond => 1e6,
                TimeUnit::Nanosecond => 1e9,
            };
            let values = match unit {
                TimeUnit::Microsecond => array
                    .as_primitive::<TimestampMicrosecondType>()
                    .iter()
                    .map(|v| v.map(|v| v as f64 / per_second))
                    .collect(),
                // connecty-arrow makes microseconds only.
                _ => vec![None; array.len()],
            };
            (values, Grain::Instant)
        }
        DataType::Date32 => (
            array
                .as_primitive::<Date32Type>()
                .iter()
                .map(|v| v.map(|d| f64::from(d) * DAY))
                .collect(),
            Grain::Day,
        ),
        DataType::Utf8 => {
            let mut grain = Grain::Month;
            let values = array
                .as_string::<i32>()
                .iter()
                .map(|v| {
                    let (days, g) = month_or_day(v?)?;
                    grain = grain.max(g);
                    Some(days as f64 * DAY)
                })
                .collect();
            (values, grain)
        }
        _ => (vec![None; array.len()], Grain::Instant),
    }
}

/// Days since 1970-01-01 of `YYYY-MM` (the month's first day) or
/// `YYYY-MM-DD`, if a real date.
pub fn month_or_day(s: &str) -> Option<(i64, Grain)> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    if b.len() != 7 && b.len() != 10 || b[4] != b'-' {
        return None;
    }
    let (year, month) = (digits(0..4)?, digits(5..7)?);
    let (day, grain) = if b.len() == 10 {
        (b[7] == b'-').then_some(())?;
        (digits(8..10)?, Grain::Day)
    } else {
        (1, Grain::Month)
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some((
        date.signed_duration_since(NaiveDate::default()).num_days(),
        grain,
    ))
}

/// An instant as a tick label, as fine as the column.
pub fn time_label(seconds: f64, grain: Grain) -> String {
    let Some(t) = DateTime::from_timestamp(seconds.floor() as i64, 0) else {
        return String::new();
    };
    let at_midnight = t.time() == chrono::NaiveTime::MIN;
    let format = match grain {
        Grain::Month => "%Y-%m",
        Grain::Day => "%Y-%m-%d",
        Grain::Instant if at_midnight => "%Y-%m-%d",
        Grain::Instant => "%Y-%m-%d %H:%M",
    };
    t.format(format).to_string()
}

/// Each row's cell as a label: text as it is, other values as their JSON
/// text; `None` for a null.
pub fn labels(batch: &RecordBatch, column: usize) -> Vec<Option<String>> {
    let array = batch.column(column);
    if let (DataType::Utf8, false) = (array.data_type(), is_json(batch.schema_ref().field(column)))
    {
        return array
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
    }
    (0..batch.num_rows())
        .map(|row| connecty_arrow::cell_json(batch, row, column))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_proto::DataFrame;

    fn batch(json: &str) -> RecordBatch {
        connecty_arrow::to_record_batch(&DataFrame::from_json(json).unwrap(), None).unwrap()
    }

    #[test]
    fn roles_follow_the_ladder() {
        let b = batch(
            r#"[["i","f","d","t","day","month","s","mixed","text_nan","flag","nothing","big"],
            [1, 1.5, 0.1000000000000000000001, "2025-01-02T03:04:05Z", "2025-01-02", "2025-01", "x", 1, "NaN", true, null, 1e400],
            [2, 2.5, 2, "2025-01-03T03:04:05Z", "2025-01-03", "2025-02", "y", "NaN", "Infinity", false, null, 1]]"#,
        );
        let roles: Vec<Role> = (0..b.num_columns())
            .map(|i| role(b.schema_ref().field(i), b.column(i)))
            .collect();
        use Role::*;
        assert_eq!(
            roles,
            [
                Numeric, Numeric, Numeric, Temporal, Temporal, Temporal, Text, Numeric, Text,
                Other, Other, Numeric
            ]
        );
        // The mixed column: 1 is plotted, "NaN" counted; 1e400 is not finite.
        let f = b.schema_ref().field(7);
        assert_eq!(
            numbers(f, b.column(7)),
            Numbers {
                values: vec![Some(1.0), None],
                skipped: 1
            }
        );
        let f = b.schema_ref().field(11);
        assert_eq!(
            numbers(f, b.column(11)),
            Numbers {
                values: vec![None, Some(1.0)],
                skipped: 1
            }
        );
    }

    #[test]
    fn months_and_days_read_as_dates() {
        assert_eq!(month_or_day("1970-01"), Some((0, Grain::Month)));
        assert_eq!(month_or_day("2024-02-29"), Some((19_782, Grain::Day)));
        for bad in [
            "2023-02-29",
            "2024-13",
            "2024-1-01",
            "2024/01",
            "24-01-01",
            "",
        ] {
            assert_eq!(month_or_day(bad), None, "{bad}");
        }
        assert_eq!(time_label(19_782.0 * 86_400.0, Grain::Month), "2024-02");
        assert_eq!(
            time_label(19_782.0 * 86_400.0 + 3_660.0, Grain::Instant),
            "2024-02-29 01:01"
        );
    }
}
