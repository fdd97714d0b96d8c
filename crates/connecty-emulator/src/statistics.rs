//! `dataframe_stats`: the statistics of every column of a result, in the
//! API reference's shape, computed once from every row.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde::ser::{SerializeMap as _, Serializer};
use serde_json::value::RawValue;

use crate::values::{QueryResult, Value};

/// The `dataframe_stats` JSON of `result`, made on first use and kept.
pub(crate) fn statistics(result: &QueryResult) -> &RawValue {
    result.stats.get_or_init(|| {
        serde_json::value::to_raw_value(&Columns(result))
            // Nothing here fails to serialize; an empty object is honest
            // if it ever did.
            .unwrap_or_else(|_| RawValue::from_string("{}".to_string()).expect("valid JSON"))
    })
}

/// Every column's statistics, keyed by name. A JSON object cannot hold a
/// name twice: the first column wins.
struct Columns<'a>(&'a QueryResult);

impl Serialize for Columns<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seen = HashSet::new();
        let mut map = s.serialize_map(None)?;
        for (c, name) in self.0.columns.iter().enumerate() {
            if seen.insert(name.as_str()) {
                map.serialize_entry(name, &column_stats(self.0.column_values(c)))?;
            }
        }
        map.end()
    }
}

/// The statistics of one column: `general`, and at most one of the rest.
#[derive(Debug, Serialize)]
struct ColumnStats<'a> {
    general: General,
    #[serde(skip_serializing_if = "Option::is_none")]
    numeric: Option<Numeric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temporal: Option<Temporal<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    string: Option<Strings>,
}

#[derive(Debug, Serialize)]
struct General {
    count: usize,
    nulls_count: usize,
}

#[derive(Debug, Serialize)]
struct Numeric {
    distinct_count: usize,
    min: Number,
    max: Number,
    mean: f64,
    sum: Number,
}

#[derive(Debug, Serialize)]
struct Temporal<'a> {
    distinct_count: usize,
    distinct_approx: bool,
    /// The earliest instant, as its original text.
    min: &'a str,
    /// The latest instant, as its original text.
    max: &'a str,
}

#[derive(Debug, Serialize)]
struct Strings {
    distinct_count: usize,
    distinct_approx: bool,
    empty_string_count: usize,
    min_len: usize,
    /// Rounded to 2 decimals.
    mean_len: f64,
    max_len: usize,
}

/// A JSON number: an exact integer, or a float.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

/// Whether text is an RFC 3339 date-time with an offset.
fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// Rounds to two decimals, as the reference's `mean_len`.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The statistics object of one column.
fn column_stats<'a>(values: impl Iterator<Item = &'a Value>) -> ColumnStats<'a> {
    let values: Vec<&Value> = values.collect();
    let nulls = values.iter().filter(|v| matches!(v, Value::Null)).count();
    let non_null: Vec<&Value> = values
        .iter()
        .copied()
        .filter(|v| !matches!(v, Value::Null))
        .collect();
    let mut out = ColumnStats {
        general: General {
            count: non_null.len(),
            nulls_count: nulls,
        },
        numeric: None,
        temporal: None,
        string: None,
    };
    let all_numeric = non_null
        .iter()
        .all(|v| matches!(v, Value::Int(_) | Value::Real(_)));
    let texts: Option<Vec<&str>> = non_null
        .iter()
        .map(|v| match v {
            Value::Text(s) => Some(&**s),
            _ => None,
        })
        .collect();
    if non_null.is_empty() {
        // General counts only: nothing to describe.
    } else if all_numeric {
        out.numeric = Some(numeric_stats(&non_null));
    } else if let Some(texts) = texts {
        let stamps: Option<Vec<DateTime<FixedOffset>>> =
            texts.iter().map(|t| parse_timestamp(t)).collect();
        match stamps {
            Some(stamps) => out.temporal = Some(temporal_stats(&texts, &stamps)),
            None => out.string = Some(string_stats(&texts)),
        }
    }
    out
}

fn temporal_stats<'a>(texts: &[&'a str], stamps: &[DateTime<FixedOffset>]) -> Temporal<'a> {
    let distinct: HashSet<&str> = texts.iter().copied().collect();
    let mut min = 0;
    let mut max = 0;
    for (i, t) in stamps.iter().enumerate() {
        if *t < stamps[min] {
            min = i;
        }
        if *t > stamps[max] {
            max = i;
        }
    }
    Temporal {
        distinct_count: distinct.len(),
        distinct_approx: false,
        min: texts[min],
        max: texts[max],
    }
}

fn string_stats(texts: &[&str]) -> Strings {
    let distinct: HashSet<&str> = texts.iter().copied().collect();
    let lens: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
    let mean = if lens.is_empty() {
        0.0
    } else {
        lens.iter().sum::<usize>() as f64 / lens.len() as f64
    };
    Strings {
        distinct_count: distinct.len(),
        distinct_approx: false,
        empty_string_count: lens.iter().filter(|l| **l == 0).count(),
        min_len: lens.iter().copied().min().unwrap_or(0),
        mean_len: round2(mean),
        max_len: lens.iter().copied().max().unwrap_or(0),
    }
}

/// A key under which equal numbers (`1` and `1.0`) count once.
#[derive(Hash, PartialEq, Eq)]
enum NumKey {
    Int(i64),
    Bits(u64),
}

fn num_key(v: &Value) -> NumKey {
    match v {
        Value::Int(i) => NumKey::Int(*i),
        Value::Real(f) => {
            if f.fract() == 0.0 && *f >= -9.2e18 && *f <= 9.2e18 {
                NumKey::Int(*f as i64)
            } else {
                NumKey::Bits(f.to_bits())
            }
        }
        _ => NumKey::Bits(0),
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Real(f) => *f,
        _ => 0.0,
    }
}

fn number(v: &Value) -> Number {
    match v {
        Value::Int(i) => Number::Int(*i),
        other => Number::Float(as_f64(other)),
    }
}

/// Orders two numbers exactly when both are integers.
fn num_less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        _ => as_f64(a) < as_f64(b),
    }
}

fn numeric_stats(values: &[&Value]) -> Numeric {
    let distinct: HashSet<NumKey> = values.iter().map(|v| num_key(v)).collect();
    let mut min = values[0];
    let mut max = values[0];
    for v in values {
        if num_less(v, min) {
            min = v;
        }
        if num_less(max, v) {
            max = v;
        }
    }
    let all_int = values.iter().all(|v| matches!(v, Value::Int(_)));
    let (sum, sum_f) = if all_int {
        let s: i128 = values
            .iter()
            .map(|v| match v {
                Value::Int(i) => i128::from(*i),
                _ => 0,
            })
            .sum();
        match i64::try_from(s) {
            Ok(i) => (Number::Int(i), s as f64),
            Err(_) => (Number::Float(s as f64), s as f64),
        }
    } else {
        let s: f64 = values.iter().map(|v| as_f64(v)).sum();
        (Number::Float(s), s)
    };
    Numeric {
        distinct_count: distinct.len(),
        min: number(min),
        max: number(max),
        mean: sum_f / values.len() as f64,
        sum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_have_the_reference_shape() {
        let r = QueryResult::new(
            vec!["t".into(), "s".into(), "n".into(), "b".into(), "z".into()],
            vec![
                Value::Text("2025-11-04T13:05:01.146+01:00".into()),
                Value::Text("ab".into()),
                Value::Int(3),
                Value::Bool(true),
                Value::Null,
                Value::Text("2025-10-24T11:03:05.196568+02:00".into()),
                Value::Text("".into()),
                Value::Real(1.5),
                Value::Bool(false),
                Value::Null,
                Value::Text("2025-11-04T12:06:01.146+00:00".into()),
                Value::Text("ab".into()),
                Value::Null,
                Value::Null,
                Value::Null,
            ],
            false,
        );
        let s: serde_json::Value = serde_json::from_str(statistics(&r).get()).unwrap();
        assert_eq!(
            s,
            serde_json::json!({
                "t": {"general": {"count": 3, "nulls_count": 0},
                      "temporal": {"distinct_count": 3, "distinct_approx": false,
                                   "min": "2025-10-24T11:03:05.196568+02:00",
                                   "max": "2025-11-04T12:06:01.146+00:00"}},
                "s": {"general": {"count": 3, "nulls_count": 0},
                      "string": {"distinct_count": 2, "distinct_approx": false, "empty_string_count": 1,
                                 "min_len": 0, "mean_len": 1.33, "max_len": 2}},
                "n": {"general": {"count": 2, "nulls_count": 1},
                      "numeric": {"distinct_count": 2, "min": 1.5, "max": 3, "mean": 2.25, "sum": 4.5}},
                "b": {"general": {"count": 2, "nulls_count": 1}},
                "z": {"general": {"count": 0, "nulls_count": 3}}
            })
        );
        // Key order follows the reference.
        assert!(statistics(&r).get().starts_with(r#"{"t":{"general":{"count":3,"nulls_count":0},"temporal":{"distinct_count":3,"distinct_approx":false,"min""#));
    }

    #[test]
    fn numeric_stats_stay_exact_for_integers() {
        let r = QueryResult::new(
            vec!["n".into()],
            vec![
                Value::Int(i64::MAX),
                Value::Int(i64::MAX - 1),
                Value::Int(1),
            ],
            false,
        );
        let s = statistics(&r).get();
        assert!(s.contains(&format!("\"max\":{}", i64::MAX)), "{s}");
        assert!(s.contains("\"min\":1"), "{s}");
        // The sum overflows i64: a float, as before.
        assert!(s.ends_with(r#","sum":1.8446744073709552e+19}}}"#), "{s}");
    }

    #[test]
    fn a_column_name_used_twice_has_its_first_columns_statistics() {
        let r = QueryResult::new(
            vec!["a".into(), "a".into()],
            vec![Value::Int(1), Value::Text("x".into())],
            false,
        );
        assert_eq!(
            statistics(&r).get(),
            r#"{"a":{"general":{"count":1,"nulls_count":0},"numeric":{"distinct_count":1,"min":1,"max":1,"mean":1.0,"sum":1}}}"#
        );
    }
}
