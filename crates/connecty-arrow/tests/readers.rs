//! Files written here read back in real readers, pyarrow and DuckDB, with
//! the expected types and exact values. `.ci/run` installs both (pinned);
//! a missing one fails these tests, never skips them.

use std::path::{Path, PathBuf};
use std::process::Command;

use connecty_proto::DataFrame;

#[path = "../examples/parquet.rs"]
mod example;

const INSTALL: &str = "python3 -m pip install pyarrow==26.0.1 duckdb==2.0.0";

/// Reads every file with pyarrow and with DuckDB and prints, per file and
/// reader, each column's type and its first row's value as text.
const READ: &str = r#"
import json, sys
import pyarrow as pa, pyarrow.ipc, pyarrow.parquet as pq, duckdb
out = {}
for path in sys.argv[1:]:
    table = pq.read_table(path) if path.endswith(".parquet") else pa.ipc.open_file(path).read_all()
    con = duckdb.connect()
    if path.endswith(".parquet"):
        rel = con.sql("SELECT * FROM read_parquet(?)", params=[path])
    else:
        con.register("t", table)
        rel = con.sql("SELECT * FROM t")
    # Values as DuckDB's own text (no Python conversions, no pytz).
    text = ", ".join('CAST("%s" AS VARCHAR)' % c.replace('"', '""') for c in rel.columns)
    first = rel.query("r", "SELECT %s FROM r LIMIT 1" % text).fetchall()
    row = first[0] if first else [None] * len(rel.columns)
    out[path] = {
        "pyarrow": {f.name: str(f.type) for f in table.schema},
        "duckdb": {n: str(t) for n, t in zip(rel.columns, rel.types)},
        "duckdb_first": {n: (None if v is None else str(v)) for n, v in zip(rel.columns, row)},
        "rows": table.num_rows,
    }
print(json.dumps(out))
"#;

fn read_back(paths: &[&Path]) -> serde_json::Value {
    let check = Command::new("python3")
        .args(["-c", "import pyarrow, duckdb"])
        .output();
    match check {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "pyarrow and DuckDB are needed for this test: run .ci/run, or {INSTALL}\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("python3 is needed for this test ({e}): run .ci/run, or {INSTALL}"),
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(READ)
        .args(paths)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "reading back failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("connecty-arrow-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn types(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, t)| (k.clone(), t.as_str().unwrap().to_string()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_example_writes_parquet_that_pyarrow_and_duckdb_read() {
    let dir = TempDir::new("example");
    let path = dir.0.join("orders.parquet");
    let schema = example::ask_to_parquet("SELECT * FROM orders", &path).unwrap();
    assert_eq!(schema.len(), 7, "{schema:?}");
    let got = read_back(&[&path]);
    let file = &got[path.to_str().unwrap()];
    assert_eq!(file["rows"], 5000);
    assert_eq!(
        types(&file["pyarrow"]),
        pairs(&[
            ("amount", "double"),
            ("customer_id", "int64"),
            ("id", "int64"),
            ("is_gift", "bool"),
            ("note", "string"),
            ("ordered_at", "timestamp[us, tz=UTC]"),
            ("status", "string"),
        ])
    );
    assert_eq!(
        types(&file["duckdb"]),
        pairs(&[
            ("amount", "DOUBLE"),
            ("customer_id", "BIGINT"),
            ("id", "BIGINT"),
            ("is_gift", "BOOLEAN"),
            ("note", "VARCHAR"),
            ("ordered_at", "TIMESTAMP WITH TIME ZONE"),
            ("status", "VARCHAR"),
        ])
    );
}

/// Every rung of the ladder, exact values included, in both file formats.
#[test]
fn every_type_reads_back_in_both_formats() {
    let df = DataFrame::from_json(
        r#"[["i","u","d0","d","f","ts","day","s","b","j","n","id","id"],
            [-7, 18446744073709551615, -123456789012345678901234567890, 0.10000000000000000001, 0.1,
             "2025-10-24T11:03:05.196568+02:00", "2024-02-29", "Zoë \"q\"", true, {"k":[1,2]}, null, 1, 2],
            [null, 1, 5, 2, 1e-7, null, null, null, false, "x", null, 3, 4]]"#,
    )
    .unwrap();
    let dir = TempDir::new("types");
    let pq = dir.0.join("all.parquet");
    let ipc = dir.0.join("all.arrow");
    for (path, format) in [
        (&pq, connecty_arrow::FileFormat::Parquet),
        (&ipc, connecty_arrow::FileFormat::ArrowIpc),
    ] {
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        connecty_arrow::write(&df, None, format, file).unwrap();
    }
    let got = read_back(&[&pq, &ipc]);
    let pyarrow = pairs(&[
        ("i", "int64"),
        ("u", "uint64"),
        ("d0", "decimal128(38, 0)"),
        ("d", "decimal128(38, 20)"),
        ("f", "double"),
        ("ts", "timestamp[us, tz=UTC]"),
        ("day", "date32[day]"),
        ("s", "string"),
        ("b", "bool"),
        ("j", "extension<arrow.json>"),
        ("n", "null"),
        ("id", "int64"),
        ("id_2", "int64"),
    ]);
    let duckdb = pairs(&[
        ("i", "BIGINT"),
        ("u", "UBIGINT"),
        ("d0", "DECIMAL(38,0)"),
        ("d", "DECIMAL(38,20)"),
        ("f", "DOUBLE"),
        ("ts", "TIMESTAMP WITH TIME ZONE"),
        ("day", "DATE"),
        ("s", "VARCHAR"),
        ("b", "BOOLEAN"),
        ("j", "JSON"),
        ("n", "\"NULL\""),
        ("id", "BIGINT"),
        ("id_2", "BIGINT"),
    ]);
    for path in [&pq, &ipc] {
        let file = &got[path.to_str().unwrap()];
        assert_eq!(types(&file["pyarrow"]), pyarrow, "{}", path.display());
        assert_eq!(types(&file["duckdb"]), duckdb, "{}", path.display());
        let first = &file["duckdb_first"];
        assert_eq!(first["u"], "18446744073709551615");
        assert_eq!(first["d0"], "-123456789012345678901234567890");
        assert_eq!(first["d"], "0.10000000000000000001");
        assert_eq!(first["f"], "0.1");
        assert_eq!(first["day"], "2024-02-29");
        assert_eq!(first["s"], "Zoë \"q\"");
        assert_eq!(first["j"], r#"{"k":[1,2]}"#);
        assert_eq!(first["n"], serde_json::Value::Null);
        assert!(
            first["ts"]
                .as_str()
                .unwrap()
                .starts_with("2025-10-24 09:03:05.196568"),
            "{}",
            first["ts"]
        );
    }
}
