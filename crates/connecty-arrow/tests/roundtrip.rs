//! The promise, proved on random frames: dataframe → RecordBatch → JSON
//! values, equal cell by cell ("20-digit integers, floats as written"),
//! each column of the narrowest type, and the same batch back from Arrow
//! IPC and Parquet files.

// The fuzz target's oracle: the same JSON value.
#[path = "../../../fuzz/src/arrow.rs"]
#[allow(dead_code)]
mod fuzz_arrow;

use arrow_array::RecordBatch;
use arrow_schema::extension::EXTENSION_TYPE_NAME_KEY;
use arrow_schema::{DataType, TimeUnit};
use connecty_proto::DataFrame;
use proptest::prelude::*;

/// What a generated column holds.
#[derive(Debug, Clone, Copy)]
enum Flavor {
    Bools,
    Ints,
    BigInts,
    Floats,
    DecimalText,
    Timestamps,
    Dates,
    Strings,
    Nested,
    Mixed,
}

fn int_cell() -> impl Strategy<Value = String> {
    any::<i64>().prop_map(|v| v.to_string())
}

fn big_int_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|v| v.to_string()),
        "-?[1-9][0-9]{19,37}",
        any::<i64>().prop_map(|v| v.to_string()),
    ]
}

fn float_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| ryu::Buffer::new().format_finite(f).to_string()),
        (-1_000_000i64..1_000_000, 0u32..4).prop_map(|(v, d)| format!(
            "{:.*}",
            d as usize,
            v as f64 / 10f64.powi(d as i32)
        )),
        Just("1e-7".to_string()),
        Just("-0.0".to_string()),
        Just("1E2".to_string()),
    ]
}

fn decimal_text_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?(0|[1-9][0-9]{0,18})\\.[0-9]{1,19}",
        "-?[1-9][0-9]{0,20}",
        "-?[1-9]\\.[0-9]{1,20}[eE][+-]?[0-9]{1,2}",
        Just("0.10000000000000000001".to_string()),
        Just("1e400".to_string()),
        Just("12345678901234567890123456789012345678901".to_string()),
    ]
}

fn timestamp_cell() -> impl Strategy<Value = String> {
    (
        1900i32..2100,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
        proptest::option::of("[0-9]{1,6}"),
        prop_oneof![Just("Z".to_string()), "[+-](0[0-9]|1[0-3]):(00|30|45)"],
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, off)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!("\"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}\"")
        })
}

fn date_cell() -> impl Strategy<Value = String> {
    (0i32..10_000, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("\"{y:04}-{m:02}-{d:02}\""))
}

fn string_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        "[a-z ]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just(r#""tab\there \"q\" \u00e9 \ud83d\ude00""#.to_string()),
        Just(r#""lone \ud800 surrogate""#.to_string()),
    ]
}

fn nested_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"k":[1,2,{"z":null}]}"#.to_string()),
        Just("[]".to_string()),
        Just(r#"[1, "a", 12345678901234567890123]"#.to_string()),
        "[a-z]{0,5}".prop_map(|s| format!("{{\"{s}\": 1.50}}")),
    ]
}

fn any_cell() -> BoxedStrategy<String> {
    prop_oneof![
        Just("true".to_string()),
        int_cell(),
        big_int_cell(),
        float_cell(),
        decimal_text_cell(),
        timestamp_cell(),
        date_cell(),
        string_cell(),
        nested_cell(),
    ]
    .boxed()
}

fn cell(flavor: Flavor) -> BoxedStrategy<String> {
    let s = match flavor {
        Flavor::Bools => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        Flavor::Ints => int_cell().boxed(),
        Flavor::BigInts => big_int_cell().boxed(),
        Flavor::Floats => float_cell().boxed(),
        Flavor::DecimalText => decimal_text_cell().boxed(),
        Flavor::Timestamps => timestamp_cell().boxed(),
        Flavor::Dates => date_cell().boxed(),
        Flavor::Strings => string_cell().boxed(),
        Flavor::Nested => nested_cell().boxed(),
        Flavor::Mixed => any_cell(),
    };
    prop_oneof![1 => Just("null".to_string()), 5 => s].boxed()
}

fn flavor() -> impl Strategy<Value = Flavor> {
    prop_oneof![
        Just(Flavor::Bools),
        Just(Flavor::Ints),
        Just(Flavor::BigInts),
        Just(Flavor::Floats),
        Just(Flavor::DecimalText),
        Just(Flavor::Timestamps),
        Just(Flavor::Dates),
        Just(Flavor::Strings),
        Just(Flavor::Nested),
        Just(Flavor::Mixed),
    ]
}

/// A frame's JSON text: column names, then `rows` rows.
fn frame() -> impl Strategy<Value = (Vec<Flavor>, String)> {
    (proptest::collection::vec(flavor(), 1..6), 0usize..12).prop_flat_map(|(flavors, rows)| {
        let columns: Vec<_> = flavors
            .iter()
            .map(|f| proptest::collection::vec(cell(*f), rows))
            .collect();
        (Just(flavors), columns).prop_map(|(flavors, columns)| {
            let mut text = String::from("[[");
            let names: Vec<String> = (0..flavors.len()).map(|i| format!("\"c{i}\"")).collect();
            text.push_str(&names.join(","));
            text.push(']');
            for r in 0..columns.first().map_or(0, Vec::len) {
                let row: Vec<&str> = columns.iter().map(|c| c[r].as_str()).collect();
                text.push_str(&format!(",[{}]", row.join(",")));
            }
            text.push(']');
            (flavors, text)
        })
    })
}

fn is_json(batch: &RecordBatch, c: usize) -> bool {
    batch
        .schema()
        .field(c)
        .metadata()
        .get(EXTENSION_TYPE_NAME_KEY)
        .map(String::as_str)
        == Some("arrow.json")
}

/// Checks every cell and returns nothing; panics name the cell.
fn check_cells(df: &DataFrame, batch: &RecordBatch) {
    assert_eq!(batch.num_rows(), df.len());
    assert_eq!(batch.num_columns(), df.width());
    for c in 0..df.width() {
        let json = is_json(batch, c);
        let ty = batch.schema().field(c).data_type().clone();
        for r in 0..df.len() {
            let sent = df.cell(r, c).unwrap().raw();
            let back = connecty_arrow::cell_json(batch, r, c).expect("a value");
            if json {
                assert_eq!(back, sent, "row {r} column {c} (JSON text)");
            } else {
                assert!(
                    fuzz_arrow::same_value(sent, &back),
                    "row {r} column {c} ({ty}): sent {sent}, back {back}"
                );
            }
        }
    }
}

/// The type a pure column must have, when every cell of one flavor
/// decides it by itself.
fn expected_type(flavor: Flavor, cells: &[&str]) -> Option<DataType> {
    let non_null: Vec<&&str> = cells.iter().filter(|c| **c != "null").collect();
    if non_null.is_empty() {
        return Some(DataType::Null);
    }
    match flavor {
        Flavor::Bools => Some(DataType::Boolean),
        Flavor::Ints => Some(DataType::Int64),
        Flavor::Timestamps => Some(DataType::Timestamp(
            TimeUnit::Microsecond,
            Some("UTC".into()),
        )),
        Flavor::Dates => Some(DataType::Date32),
        Flavor::Nested => Some(DataType::Utf8),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_frames_round_trip_cell_by_cell((flavors, text) in frame()) {
        let df = DataFrame::from_json(&text).unwrap();
        let batch = connecty_arrow::to_record_batch(&df, None).unwrap();
        check_cells(&df, &batch);
        // The schema alone, without a conversion, is the batch's.
        prop_assert_eq!(&connecty_arrow::schema(&df, None), batch.schema_ref().as_ref());
        for (c, f) in flavors.iter().enumerate() {
            let cells: Vec<&str> = df.column_at(c).unwrap().cells().map(|x| x.raw()).collect();
            if let Some(want) = expected_type(*f, &cells) {
                prop_assert_eq!(batch.schema_ref().field(c).data_type(), &want, "column {} {:?}", c, f);
            }
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn files_hold_the_same_batch((_flavors, text) in frame()) {
        let df = DataFrame::from_json(&text).unwrap();
        let batch = connecty_arrow::to_record_batch(&df, None).unwrap();
        let mut ipc = Vec::new();
        connecty_arrow::write_ipc(&batch, &mut ipc).unwrap();
        let reader = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(ipc), None).unwrap();
        let back: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(&back[0], &batch);

        let mut pq = Vec::new();
        connecty_arrow::write_parquet(&batch, &mut pq).unwrap();
        // Parquet straight from the frame: a frame this small is one
        // block, each column one write, so the file is the batch's.
        let mut from_frame = Vec::new();
        connecty_arrow::write(&df, None, connecty_arrow::FileFormat::Parquet, &mut from_frame).unwrap();
        prop_assert!(from_frame == pq, "Parquet from the frame differs from the batch's");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(bytes::Bytes::from(pq), 1 << 20).unwrap();
        let back: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        let rows: usize = back.iter().map(RecordBatch::num_rows).sum();
        prop_assert_eq!(rows, batch.num_rows());
        if let Some(b) = back.first() {
            prop_assert_eq!(b.columns(), batch.columns());
            for (got, want) in b.schema().fields().iter().zip(batch.schema().fields()) {
                prop_assert_eq!(got.data_type(), want.data_type());
                prop_assert_eq!(got.name(), want.name());
            }
        }
    }
}

#[test]
fn twenty_digit_integers_and_floats_as_written() {
    let df = DataFrame::from_json(
        r#"[["big","huge","amount","precise"],
            [12345678901234567890, -123456789012345678901234567890, 12.50, 0.10000000000000000001],
            [1, 5, 0.1, 2],
            [null, null, 1e-7, null]]"#,
    )
    .unwrap();
    let batch = connecty_arrow::to_record_batch(&df, None).unwrap();
    let types: Vec<DataType> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    assert_eq!(
        types,
        [
            DataType::UInt64,
            DataType::Decimal128(38, 0),
            DataType::Float64,
            DataType::Decimal128(38, 20)
        ]
    );
    let cell = |r, c| connecty_arrow::cell_json(&batch, r, c).unwrap();
    assert_eq!(cell(0, 0), "12345678901234567890");
    assert_eq!(cell(0, 1), "-123456789012345678901234567890");
    assert_eq!(cell(0, 2), "12.5");
    assert_eq!(cell(2, 2), "1e-7");
    assert_eq!(cell(0, 3), "0.10000000000000000001");
    assert_eq!(cell(1, 3), "2.00000000000000000000");
    check_cells(&df, &batch);
}
