//! Every kind of bad input named in the crate docs ends in a documented
//! result: a typed column, or an error naming the column. Never a panic.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_schema::DataType;
use arrow_schema::extension::EXTENSION_TYPE_NAME_KEY;
use connecty_arrow::{Error, FileFormat, META_NAME, META_OFFSET};
use connecty_proto::{DataFrame, Statistics};

fn batch(text: &str) -> arrow_array::RecordBatch {
    connecty_arrow::to_record_batch(&DataFrame::from_json(text).unwrap(), None).unwrap()
}

fn json_marked(b: &arrow_array::RecordBatch, c: usize) -> bool {
    b.schema()
        .field(c)
        .metadata()
        .get(EXTENSION_TYPE_NAME_KEY)
        .map(String::as_str)
        == Some("arrow.json")
}

#[test]
fn a_ragged_row_never_reaches_the_converter() {
    let e = DataFrame::from_json(r#"[["a","b"],[1,2],[3]]"#).unwrap_err();
    assert!(e.to_string().contains("ragged row"), "{e}");
}

#[test]
fn a_cell_that_changes_kind_mid_column_makes_json_text() {
    let b = batch(r#"[["n"],[1],[2],["n/a"],[null],[3.5]]"#);
    assert!(json_marked(&b, 0));
    assert_eq!(b.schema().field(0).data_type(), &DataType::Utf8);
    let col = b.column(0).as_string::<i32>();
    assert_eq!(col.value(2), r#""n/a""#);
    assert!(col.is_null(3));
    assert_eq!(col.value(4), "3.5");
    // Narrower changes move up the ladder instead.
    let b = batch(r#"[["n"],[1],[18446744073709551615],[-1]]"#);
    assert_eq!(
        b.schema().field(0).data_type(),
        &DataType::Decimal128(38, 0)
    );
    let b = batch(r#"[["t"],["2025-01-01"],["2025-01-01T00:00:00Z"]]"#);
    assert_eq!(b.schema().field(0).data_type(), &DataType::Utf8);
    assert!(!json_marked(&b, 0));
}

#[test]
fn a_one_megabyte_string_is_a_value() {
    let big = "ż".repeat(512 * 1024);
    let text = format!(r#"[["s","n"],["{big}",1],["x",2]]"#);
    let b = batch(&text);
    assert_eq!(b.column(0).as_string::<i32>().value(0), big);
    assert_eq!(b.schema().field(1).data_type(), &DataType::Int64);
}

#[test]
fn ten_thousand_columns() {
    let names: Vec<String> = (0..10_000).map(|i| format!("\"c{i}\"")).collect();
    let row: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
    let text = format!(
        "[[{}],[{}],[{}]]",
        names.join(","),
        row.join(","),
        row.join(",")
    );
    let b = batch(&text);
    assert_eq!((b.num_columns(), b.num_rows()), (10_000, 2));
    assert!(
        b.schema()
            .fields()
            .iter()
            .all(|f| f.data_type() == &DataType::Int64)
    );
    let mut out = Vec::new();
    connecty_arrow::write_ipc(&b, &mut out).unwrap();
    // Parquet from the frame: one block of 10,000 one-column writers.
    let df = DataFrame::from_json(&text).unwrap();
    let mut parquet = Vec::new();
    connecty_arrow::write(&df, None, FileFormat::Parquet, &mut parquet).unwrap();
    let mut from_batch = Vec::new();
    connecty_arrow::write_parquet(&b, &mut from_batch).unwrap();
    assert!(parquet == from_batch, "one block: the same file either way");
}

#[test]
fn an_empty_frame_and_a_header_only() {
    let b = batch("[]");
    assert_eq!((b.num_columns(), b.num_rows()), (0, 0));
    let mut out = Vec::new();
    connecty_arrow::write_ipc(&b, &mut out).unwrap();
    match connecty_arrow::write_parquet(&b, &mut out) {
        Err(Error::Encode {
            format: FileFormat::Parquet,
            message,
        }) => {
            assert!(message.contains("at least one column"), "{message}")
        }
        other => panic!("{other:?}"),
    }

    let b = batch(r#"[["a","b"]]"#);
    assert_eq!((b.num_columns(), b.num_rows()), (2, 0));
    assert_eq!(b.schema().field(0).data_type(), &DataType::Null);
    let mut out = Vec::new();
    connecty_arrow::write_parquet(&b, &mut out).unwrap();
}

#[test]
fn statistics_type_columns_the_cells_say_nothing_about() {
    let df = DataFrame::from_json(r#"[["at","name","n","day","x"],[null,null,null,null,null]]"#)
        .unwrap();
    let stats: Statistics = serde_json::from_str(
        r#"{"at":{"general":{"count":0,"nulls_count":1},"temporal":{"min":"2025-10-24T11:03:05.196568+02:00","max":"2025-11-04T13:05:01Z"}},
            "name":{"string":{"min_len":1,"mean_len":3.5,"max_len":9}},
            "n":{"numeric":{"min":1,"max":12}},
            "day":{"temporal":{"min":"2025-10-24","max":"2025-10-25"}},
            "x":{"general":{"count":0,"nulls_count":1}}}"#,
    )
    .unwrap();
    let b = connecty_arrow::to_record_batch(&df, Some(&stats)).unwrap();
    let types: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().to_string())
        .collect();
    assert_eq!(
        types,
        ["Timestamp(µs, \"UTC\")", "Utf8", "Int64", "Date32", "Null"]
    );
    assert_eq!(connecty_arrow::schema(&df, Some(&stats)), *b.schema());
    assert!(b.column(0).is_null(0));
    // The cells decide when they say anything.
    let df = DataFrame::from_json(r#"[["at"],["not a date"]]"#).unwrap();
    let b = connecty_arrow::to_record_batch(&df, Some(&stats)).unwrap();
    assert_eq!(b.schema().field(0).data_type(), &DataType::Utf8);
}

#[test]
fn duplicate_and_empty_names_become_unique() {
    let b = batch(r#"[["id","id","","name"],[1,2,3,"x"]]"#);
    let names: Vec<&str> = b
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["id", "id_2", "column_2", "name"]);
    assert_eq!(b.schema().field(1).metadata().get(META_NAME).unwrap(), "id");
    assert_eq!(b.schema().field(2).metadata().get(META_NAME).unwrap(), "");
    assert!(b.schema().field(0).metadata().get(META_NAME).is_none());
}

#[test]
fn a_lone_surrogate_keeps_its_escape_in_json_text() {
    let b = batch(r#"[["s"],["ok"],["x\ud800y"],[null]]"#);
    assert!(json_marked(&b, 0));
    let col = b.column(0).as_string::<i32>();
    assert_eq!(col.value(0), r#""ok""#);
    assert_eq!(col.value(1), r#""x\ud800y""#);
    // A valid pair is text.
    let b = batch(r#"[["s"],["\ud83d\ude00"]]"#);
    assert_eq!(b.column(0).as_string::<i32>().value(0), "😀");
}

#[test]
fn timestamps_say_the_offset_is_not_kept() {
    let b = batch(r#"[["t"],["2025-10-24T11:03:05.196568+02:00"]]"#);
    let meta = b.schema().field(0).metadata().clone();
    assert!(meta.get(META_OFFSET).unwrap().contains("not kept"));
}

#[test]
fn deep_and_odd_json_survives() {
    let deep = "[".repeat(100) + &"]".repeat(100);
    let text = format!(r#"[["d","e"],[{deep},{{}}],[null,"\u0000"]]"#);
    let b = batch(&text);
    assert_eq!(b.column(0).as_string::<i32>().value(0), deep);
    assert!(json_marked(&b, 1));
}
