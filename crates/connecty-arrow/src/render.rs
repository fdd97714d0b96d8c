//! Back from a converted batch to JSON text, cell by cell.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int64Type, TimestampMicrosecondType, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::extension::{EXTENSION_TYPE_NAME_KEY, ExtensionType, Json};
use arrow_schema::{DataType, TimeUnit};

use crate::number::decimal_text;
use crate::temporal::{date_text, timestamp_text};

/// The JSON text of the cell at `row`, `column` of a batch made by
/// [`to_record_batch`](crate::to_record_batch): the value the dataframe's
/// cell had, written canonically (`1.5` for `1.50`, a UTC `Z` timestamp
/// with six fraction digits for any offset, the exact text for `arrow.json`
/// columns). `None` when out of range, or for a type or value this crate
/// never makes (such as a non-finite float).
///
/// ```
/// use connecty_proto::DataFrame;
///
/// let df = DataFrame::from_json(r#"[["n","t"],[12345678901234567890123,"2025-10-24T11:03:05+02:00"]]"#)?;
/// let batch = connecty_arrow::to_record_batch(&df, None)?;
/// assert_eq!(connecty_arrow::cell_json(&batch, 0, 0).unwrap(), "12345678901234567890123");
/// assert_eq!(connecty_arrow::cell_json(&batch, 0, 1).unwrap(), r#""2025-10-24T09:03:05.000000Z""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cell_json(batch: &RecordBatch, row: usize, column: usize) -> Option<String> {
    if row >= batch.num_rows() || column >= batch.num_columns() {
        return None;
    }
    let array = batch.column(column);
    if array.is_null(row) || array.data_type() == &DataType::Null {
        return Some("null".into());
    }
    let schema = batch.schema();
    let field = schema.field(column);
    let quoted = |s: &str| {
        let mut out = String::with_capacity(s.len() + 2);
        write_json_string(s, &mut out);
        out
    };
    Some(match array.data_type() {
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).to_string(),
        DataType::Decimal128(_, s) => decimal_text(
            array.as_primitive::<Decimal128Type>().value(row),
            i64::from(*s),
        ),
        DataType::Float64 => {
            let v = array.as_primitive::<Float64Type>().value(row);
            if !v.is_finite() {
                return None;
            }
            ryu::Buffer::new().format_finite(v).to_string()
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => quoted(&timestamp_text(
            array.as_primitive::<TimestampMicrosecondType>().value(row),
        )),
        DataType::Date32 => quoted(&date_text(array.as_primitive::<Date32Type>().value(row))),
        DataType::Utf8 => {
            let s = array.as_string::<i32>().value(row);
            let json = field
                .metadata()
                .get(EXTENSION_TYPE_NAME_KEY)
                .map(String::as_str)
                == Some(Json::NAME);
            if json { s.to_string() } else { quoted(s) }
        }
        _ => return None,
    })
}

/// Appends `s` to `out` as a JSON string literal, quotes included.
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_read_back() {
        for s in [
            "plain żółw",
            "a\"b\\c/d\u{8}\u{c}\n\r\t",
            "é😀x\u{0}\u{1f}",
            "",
        ] {
            let mut back = String::new();
            write_json_string(s, &mut back);
            assert_eq!(serde_json::from_str::<String>(&back).unwrap(), s);
        }
    }
}
