//! The `arrow` target: connecty-arrow's conversion of a dataframe (and
//! statistics) into a `RecordBatch`, and back to JSON cell by cell.
//!
//! Input: a dataframe's JSON text, optionally followed by a NUL byte and a
//! `dataframe_stats` object's JSON text (the hints). Inputs that are not a
//! dataframe are connecty-proto's business (the `dataframe` target).
//!
//! Properties: never a panic; the batch has the frame's rows and columns;
//! every field name is unique and non-empty; every cell comes back as the
//! same JSON value (exact text for `arrow.json` columns, the same string,
//! the same instant, the same number); the batch writes as an Arrow IPC
//! file. Compiled into the fuzz crate and, by path, into
//! `crates/connecty-arrow/tests/soak.rs`.

use std::collections::HashSet;

use connecty_proto::{DataFrame, Statistics};

/// Runs the properties on one input.
pub fn convert(data: &[u8]) {
    let (frame, stats) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(frame) else {
        return;
    };
    let Ok(df) = DataFrame::from_json(text) else {
        return;
    };
    let stats: Option<Statistics> = stats
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| serde_json::from_str(s).ok());
    let batch = match connecty_arrow::to_record_batch(&df, stats.as_ref()) {
        Ok(b) => b,
        Err(e) => {
            // The one documented conversion error: > 2 GiB of text.
            let msg = e.to_string();
            assert!(msg.contains("2 GiB"), "unexpected error: {msg}");
            return;
        }
    };
    assert_eq!(batch.num_rows(), df.len());
    assert_eq!(batch.num_columns(), df.width());
    let schema = batch.schema();
    let mut names = HashSet::new();
    for f in schema.fields() {
        assert!(!f.name().is_empty(), "empty field name");
        assert!(
            names.insert(f.name().clone()),
            "repeated field name {}",
            f.name()
        );
    }
    for c in 0..df.width() {
        let field = schema.field(c);
        let json = field
            .metadata()
            .get("ARROW:extension:name")
            .is_some_and(|n| n == "arrow.json");
        for r in 0..df.len() {
            let sent = df.cell(r, c).map(|x| x.raw()).unwrap_or("null");
            let back = connecty_arrow::cell_json(&batch, r, c)
                .unwrap_or_else(|| panic!("row {r} column {c}: no JSON back"));
            if json {
                assert_eq!(back, sent, "row {r} column {c}");
            } else {
                assert!(
                    same_value(sent, &back),
                    "row {r} column {c} ({}): sent {sent}, back {back}",
                    field.data_type()
                );
            }
        }
    }
    let mut ipc = Vec::new();
    connecty_arrow::write_ipc(&batch, &mut ipc).expect("an Arrow IPC file");
}

/// The same JSON value: numbers by decimal value, strings by content or
/// (date-times) by instant, the rest by text.
pub fn same_value(sent: &str, back: &str) -> bool {
    match (sent.as_bytes().first(), back.as_bytes().first()) {
        (Some(b'"'), Some(b'"')) => {
            let (Ok(a), Ok(b)) = (
                serde_json::from_str::<String>(sent),
                serde_json::from_str::<String>(back),
            ) else {
                return false;
            };
            a == b
                || matches!(
                    (
                        chrono::DateTime::parse_from_rfc3339(&a),
                        chrono::DateTime::parse_from_rfc3339(&b),
                    ),
                    (Ok(x), Ok(y)) if x == y
                )
        }
        (Some(b'-' | b'0'..=b'9'), Some(b'-' | b'0'..=b'9')) => decimal(sent) == decimal(back),
        _ => sent == back,
    }
}

/// A JSON number as `(negative, digits, exponent)` without leading or
/// trailing zeros; zero as `(false, "", 0)`.
fn decimal(text: &str) -> (bool, String, i64) {
    let (neg, rest) = text.strip_prefix('-').map_or((false, text), |r| (true, r));
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().unwrap_or(i64::MAX)),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let kept = digits.trim_end_matches('0');
    let exp = exp
        .saturating_sub(frac.len() as i64)
        .saturating_add((digits.len() - kept.len()) as i64);
    let kept = kept.trim_start_matches('0');
    if kept.is_empty() {
        (false, String::new(), 0)
    } else {
        (neg, kept.to_string(), exp)
    }
}
