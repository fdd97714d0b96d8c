//! `--format parquet` and `--format arrow`: files read back by real
//! readers, pyarrow and DuckDB (`.ci/run` installs both; a missing one
//! fails these tests, never skips them).

use std::path::Path;

use super::*;

const INSTALL: &str = "python3 -m pip install pyarrow duckdb (or run .ci/run)";

/// Prints, for each file, its rows and each column's type as pyarrow and
/// DuckDB read it, and the first row as DuckDB's text.
const READ: &str = r#"
import json, sys
import pyarrow as pa, pyarrow.ipc, pyarrow.parquet as pq, duckdb
out = {}
for path in sys.argv[1:]:
    parquet = path.endswith(".parquet")
    table = pq.read_table(path) if parquet else pa.ipc.open_file(path).read_all()
    con = duckdb.connect()
    if parquet:
        rel = con.sql("SELECT * FROM read_parquet(?)", params=[path])
    else:
        con.register("t", table)
        rel = con.sql("SELECT * FROM t")
    text = ", ".join('CAST("%s" AS VARCHAR)' % c.replace('"', '""') for c in rel.columns)
    first = rel.query("r", "SELECT %s FROM r LIMIT 1" % text).fetchall()
    out[path] = {
        "rows": table.num_rows,
        "pyarrow": [[f.name, str(f.type)] for f in table.schema],
        "duckdb": [[n, str(t)] for n, t in zip(rel.columns, rel.types)],
        "first": list(first[0]) if first else None,
    }
print(json.dumps(out))
"#;

/// What pyarrow and DuckDB make of `paths`, keyed by path.
fn read_back(paths: &[&Path]) -> Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(READ)
        .args(paths)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed ({e}): {INSTALL}"));
    assert!(
        out.status.success(),
        "pyarrow and DuckDB could not read the files ({INSTALL}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

fn pairs(v: &[(&str, &str)]) -> Value {
    Value::Array(v.iter().map(|(a, b)| serde_json::json!([a, b])).collect())
}

#[test]
fn parquet_and_arrow_files_read_back_typed_in_pyarrow_and_duckdb() {
    let base = fast().base_url();
    let orders = "SELECT * FROM orders ORDER BY id";
    let pyarrow = pairs(&[
        ("id", "int64"),
        ("customer_id", "int64"),
        ("ordered_at", "timestamp[us, tz=UTC]"),
        ("amount", "double"),
        ("status", "string"),
        ("is_gift", "bool"),
        ("note", "string"),
    ]);
    let duckdb = pairs(&[
        ("id", "BIGINT"),
        ("customer_id", "BIGINT"),
        ("ordered_at", "TIMESTAMP WITH TIME ZONE"),
        ("amount", "DOUBLE"),
        ("status", "VARCHAR"),
        ("is_gift", "BOOLEAN"),
        ("note", "VARCHAR"),
    ]);
    // The first order as JSON, to compare the files' first row with.
    let json = run_on(
        &base,
        "ureq",
        &[
            "ask",
            "--dw",
            "13",
            orders,
            "--max-rows",
            "1",
            "--format",
            "json",
        ],
    );
    let first: Value = serde_json::from_str(&json.stdout).expect("json");
    let first = &first["results"]["dataframe"][1];
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for t in TRANSPORTS {
        for (format, ext) in [("parquet", "parquet"), ("arrow", "arrow")] {
            // Every row, to a file...
            let file = dir.path().join(format!("{t}-all.{ext}"));
            let run = run_on(
                &base,
                t,
                &[
                    "ask",
                    "--dw",
                    "13",
                    orders,
                    "--all-rows",
                    "--format",
                    format,
                    "--output",
                    file.to_str().unwrap(),
                ],
            );
            assert_eq!(
                (run.code, run.stdout.as_str(), run.stderr.as_str()),
                (0, "", ""),
                "{run:?}"
            );
            files.push((file, 5000));
            // ... and the first 1,000 to a pipe, with the note on stderr.
            let mut cmd = command(
                &with_transport(t, &["ask", "--dw", "13", orders, "--format", format]),
                &[],
            );
            for (k, v) in env_of(&base) {
                cmd.env(k, v);
            }
            let out = cmd.output().expect("the binary runs");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&out.stderr),
                "note: showing 1000 rows, and there may be more (--max-rows 1000, the API's default); \
                 add --all-rows for every row\n"
            );
            let piped = dir.path().join(format!("{t}-piped.{ext}"));
            std::fs::write(&piped, &out.stdout).unwrap();
            files.push((piped, 1000));
        }
    }
    let paths: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let got = read_back(&paths);
    for (path, rows) in &files {
        let file = &got[path.to_str().unwrap()];
        assert_eq!(file["rows"], *rows, "{}: {file}", path.display());
        assert_eq!(file["pyarrow"], pyarrow, "{}", path.display());
        assert_eq!(file["duckdb"], duckdb, "{}", path.display());
        let row = &file["first"];
        assert_eq!(row[0], first[0].to_string(), "id: {file}");
        assert_eq!(row[1], first[1].to_string(), "customer_id: {file}");
        assert_eq!(row[3], first[3].to_string(), "amount: {file}");
        assert_eq!(row[4], first[4], "status: {file}");
    }
}

#[test]
fn a_failed_question_leaves_an_existing_parquet_file_as_it_was() {
    let base = fast().base_url();
    against_both(&base, |on| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("answer.parquet");
        std::fs::write(&file, b"the previous answer").unwrap();
        let run = on.ask(
            "what is the meaning of life",
            &["--format", "parquet", "-o", file.to_str().unwrap()],
        );
        assert_eq!(run.code, 4, "{run:?}");
        assert_eq!(std::fs::read(&file).unwrap(), b"the previous answer");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        // An answer with no columns cannot be a Parquet file: said, and
        // nothing replaced.
        let server = scripted_ask(200, r#"{"state":"COMPLETED","results":{"dataframe":[]}}"#);
        let run = run_on(
            &server.base_url(),
            on.transport,
            &[
                "ask",
                "--dw",
                "13",
                "nothing",
                "--format",
                "parquet",
                "-o",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("at least one column"), "{run:?}");
        assert!(run.stderr.contains("it was left as it was"), "{run:?}");
        assert_eq!(std::fs::read(&file).unwrap(), b"the previous answer");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    });
}
