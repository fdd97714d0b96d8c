//! What a tool result holds: the structured content (the output schema's
//! shape) and the text block beside it, cut to the context budget.
//!
//! The budget is [`rows_that_fit`], a pure function; the column types are
//! connecty-arrow's ladder ([`type_name`]); completeness is the core's
//! [`Completeness`].

use std::borrow::Cow;
use std::fmt::Write as _;

use connecty_arrow::arrow_schema::{DataType, Field, TimeUnit};
use connecty_format::{cell_text, compact_json, escape_markdown_cell};
use connecty_proto::{
    Answer, Cell, CellKind, Completeness, DataFrame, QuestionId, QuestionResults, State,
};
use serde_json::{Map, Value, json};

/// The most rows and bytes one tool result may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// `--max-result-rows`.
    pub rows: usize,
    /// `--max-result-bytes`.
    pub bytes: usize,
}

/// How many leading rows fit the budget: `fixed` bytes (everything but the
/// rows) are spent first, then row `i` costs `costs[i]` bytes; rows are
/// taken while both the row count and the bytes stay within the budget.
/// Pure.
pub fn rows_that_fit(
    fixed: usize,
    costs: impl IntoIterator<Item = usize>,
    budget: Budget,
) -> usize {
    let mut spent = fixed;
    let mut taken = 0;
    for cost in costs {
        if taken == budget.rows {
            break;
        }
        spent = spent.saturating_add(cost);
        if spent > budget.bytes {
            break;
        }
        taken += 1;
    }
    taken
}

/// The name of a column's type on connecty-arrow's ladder, as the tools
/// report it: `int64`, `decimal128(38,0)`, `timestamp[us, UTC]`, `json`...
pub fn type_name(field: &Field) -> String {
    if field
        .metadata()
        .get("ARROW:extension:name")
        .is_some_and(|n| n == "arrow.json")
    {
        return "json".to_string();
    }
    match field.data_type() {
        DataType::Null => "null".to_string(),
        DataType::Boolean => "bool".to_string(),
        DataType::Int64 => "int64".to_string(),
        DataType::UInt64 => "uint64".to_string(),
        DataType::Float64 => "float64".to_string(),
        DataType::Decimal128(p, s) => format!("decimal128({p},{s})"),
        DataType::Timestamp(unit, tz) => {
            let unit = match unit {
                TimeUnit::Second => "s",
                TimeUnit::Millisecond => "ms",
                TimeUnit::Microsecond => "us",
                TimeUnit::Nanosecond => "ns",
            };
            match tz {
                Some(tz) => format!("timestamp[{unit}, {tz}]"),
                None => format!("timestamp[{unit}]"),
            }
        }
        DataType::Date32 => "date32".to_string(),
        DataType::Utf8 => "utf8".to_string(),
        other => other.to_string().to_ascii_lowercase(),
    }
}

/// How the cells of a column become JSON values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellRule {
    /// Every cell reads back exactly as a JSON value (integers within
    /// 64 bits, floats that read back exactly, strings, booleans).
    Value,
    /// Decimal numbers: their exact text, as a string.
    NumberText,
    /// JSON text: a value when it reads back unchanged, else its text.
    Json,
}

fn rule(type_name: &str) -> CellRule {
    if type_name == "json" {
        CellRule::Json
    } else if type_name.starts_with("decimal") {
        CellRule::NumberText
    } else {
        CellRule::Value
    }
}

/// A cell's JSON value under its column's rule; `text` is the cell's text
/// ([`cell_text`]), already decoded for the Markdown line.
fn cell_value(cell: &Cell<'_>, text: Option<&str>, rule: CellRule) -> Value {
    let raw = cell.raw();
    match (rule, cell.kind()) {
        (_, CellKind::Null) => Value::Null,
        (CellRule::NumberText, CellKind::Number) => Value::String(raw.to_string()),
        // The common cells, made directly rather than parsed again.
        (CellRule::Value, CellKind::Bool) => Value::Bool(raw == "true"),
        (CellRule::Value, CellKind::String) => Value::String(text.unwrap_or(raw).to_string()),
        (CellRule::Value, CellKind::Number) => raw
            .parse::<serde_json::Number>()
            .map_or_else(|_| Value::String(raw.to_string()), Value::Number),
        (CellRule::Value, _) => {
            serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
        }
        (_, _) => match serde_json::from_str::<Value>(raw) {
            Ok(v) if serde_json::to_string(&v).is_ok_and(|t| t == *compact_json(raw)) => v,
            _ => Value::String(raw.to_string()),
        },
    }
}

/// The columns of `df` as `{name, type}`, by connecty-arrow's ladder (the
/// statistics type all-null columns). Only the types are decided: no
/// array is built.
pub fn columns(df: &DataFrame, answer: &Completed) -> Vec<(String, String)> {
    let stats = answer.results.dataframe_stats.as_ref();
    let schema = connecty_arrow::schema(df, stats);
    df.columns()
        .iter()
        .zip(schema.fields().iter())
        .map(|(name, field)| (name.clone(), type_name(field)))
        .collect()
}

/// Appends one Markdown table row of `cells` (already as text) to `out`.
fn markdown_row<'a>(out: &mut String, cells: impl Iterator<Item = Cow<'a, str>>) {
    out.push('|');
    for c in cells {
        out.push(' ');
        out.push_str(&escape_markdown_cell(&c));
        out.push_str(" |");
    }
    out.push('\n');
}

/// A `COMPLETED` question's results, as a wait or one read gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct Completed {
    /// The question.
    pub question_id: QuestionId,
    /// Its results.
    pub results: QuestionResults,
    /// The `max_rows` the dataframe was fetched with.
    pub max_rows: Option<u32>,
}

impl From<Answer> for Completed {
    fn from(a: Answer) -> Self {
        Self {
            question_id: a.question_id,
            results: a.results,
            max_rows: a.max_rows,
        }
    }
}

impl Completed {
    /// Whether the dataframe holds every row (the core's rule).
    pub fn completeness(&self) -> Option<Completeness> {
        self.results.completeness(self.max_rows)
    }
}

/// A file the whole answer was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Its path.
    pub path: String,
    /// The rows written.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// What the server knows that the answer does not: the budget and whether
/// `save_as` can be used.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// The budget.
    pub budget: Budget,
    /// Whether `--output-dir` was given.
    pub can_save: bool,
}

fn completeness_json(c: Option<Completeness>, rows: u64) -> Value {
    match c {
        None => Value::Null,
        Some(Completeness::Complete) => {
            json!({"complete": true, "rows": rows, "at_least": rows, "at_most": rows})
        }
        Some(Completeness::Cut {
            rows,
            at_least,
            at_most,
        }) => json!({"complete": false, "rows": rows, "at_least": at_least, "at_most": at_most}),
        Some(Completeness::Unknown { rows, at_most }) => {
            json!({"complete": false, "rows": rows, "at_least": rows, "at_most": at_most})
        }
        Some(_) => json!({"complete": false, "rows": rows, "at_least": rows, "at_most": null}),
    }
}

/// A tool result's two faces: the structured content and the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// `structuredContent`.
    pub structured: Value,
    /// The text block.
    pub text: String,
}

/// The length of `v` as compact JSON text, counted without building it.
fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Counting cannot fail; a failure would count what was written.
    let _ = serde_json::to_writer(&mut count, v);
    count.0
}

/// The result of a `COMPLETED` question, cut to the budget.
pub fn completed(answer: &Completed, saved: Option<&Saved>, shape: Shape) -> Rendered {
    let r = &answer.results;
    let summary = r.response_summary.as_deref();
    let sql = r.sql_query.as_deref();
    let mut text = format!("Question {} is COMPLETED.\n", answer.question_id);
    if let Some(s) = summary {
        let _ = writeln!(text, "\nSummary: {s}");
    }
    if let Some(s) = sql {
        let _ = writeln!(text, "\nSQL:\n```sql\n{s}\n```");
    }
    let cols = r
        .dataframe
        .as_ref()
        .map_or_else(Vec::new, |df| columns(df, answer));
    let row_count = r.dataframe.as_ref().map_or(0, DataFrame::len);
    let mut header = String::new();
    markdown_row(
        &mut header,
        cols.iter().map(|(n, t)| Cow::Owned(format!("{n} ({t})"))),
    );
    markdown_row(&mut header, cols.iter().map(|_| Cow::Borrowed("---")));
    let fixed =
        2 * (summary.map_or(0, str::len) + sql.map_or(0, str::len)) + 2 * header.len() + 1024;
    // Rows are rendered (a JSON array and a Markdown line each) only while
    // they fit: an answer of a million rows costs the budget's rows, not a
    // million renderings. `rows_that_fit` pulls one row past the last that
    // fits, which is dropped. The lines go straight into one table, and
    // `ends[i]` is where row i's line ends.
    let rules: Vec<CellRule> = cols.iter().map(|(_, t)| rule(t)).collect();
    let mut rows: Vec<Value> = Vec::new();
    let mut table = header;
    let mut ends: Vec<usize> = vec![table.len()];
    let shown = match &r.dataframe {
        Some(df) => {
            let costs = df.rows().map(|row| {
                let start = table.len();
                let mut value = Vec::with_capacity(rules.len());
                table.push('|');
                // One pass over the row's cells: each is located and its
                // string decoded once, for its JSON value and its text.
                for (cell, rule) in row.cells().zip(&rules) {
                    // The CLI's text of a cell; a null reads `null`, as in
                    // JSON.
                    let text = cell_text(&cell);
                    value.push(cell_value(&cell, text.as_deref(), *rule));
                    table.push(' ');
                    table.push_str(&escape_markdown_cell(text.as_deref().unwrap_or("null")));
                    table.push_str(" |");
                }
                table.push('\n');
                ends.push(table.len());
                let value = Value::Array(value);
                let cost = json_len(&value) + 1 + (table.len() - start);
                rows.push(value);
                cost
            });
            rows_that_fit(fixed, costs, shape.budget)
        }
        None => 0,
    };
    rows.truncate(shown);
    table.truncate(ends[shown]);
    let omitted = row_count - shown;
    let completeness = answer.completeness();
    if !cols.is_empty() {
        text.push('\n');
        text.push_str(&table);
    }
    let _ = write!(
        text,
        "\n{}",
        left_out(
            &answer.question_id,
            row_count,
            shown,
            completeness,
            saved,
            shape
        )
    );
    let mut out = Map::new();
    out.insert("question_id".into(), json!(answer.question_id.to_string()));
    out.insert("state".into(), json!("COMPLETED"));
    out.insert("summary".into(), json!(summary));
    out.insert("sql".into(), json!(sql));
    out.insert(
        "columns".into(),
        Value::Array(
            cols.iter()
                .map(|(n, t)| json!({"name": n, "type": t}))
                .collect(),
        ),
    );
    out.insert("rows".into(), Value::Array(rows));
    out.insert("row_count".into(), json!(row_count));
    out.insert(
        "completeness".into(),
        completeness_json(completeness, row_count as u64),
    );
    out.insert("rows_omitted".into(), json!(omitted));
    out.insert(
        "saved".into(),
        saved.map_or(
            Value::Null,
            |s| json!({"path": s.path, "rows": s.rows, "bytes": s.bytes}),
        ),
    );
    Rendered {
        structured: Value::Object(out),
        text,
    }
}

/// The sentence on what was left out and how to get it.
fn left_out(
    q: &QuestionId,
    row_count: usize,
    shown: usize,
    completeness: Option<Completeness>,
    saved: Option<&Saved>,
    shape: Shape,
) -> String {
    let mut s = format!("Showing {shown} of the {row_count} rows returned.");
    if let Some(saved) = saved {
        let _ = write!(
            s,
            " All {} rows were saved to {} ({} bytes).",
            saved.rows, saved.path, saved.bytes
        );
    }
    if shown < row_count {
        let _ = write!(
            s,
            " {} rows were left out to fit the context budget ({} rows, {} bytes).",
            row_count - shown,
            shape.budget.rows,
            shape.budget.bytes
        );
        if saved.is_none() {
            if shape.can_save {
                let _ = write!(
                    s,
                    " To get every row, call results with question_id {q} and save_as \
                     \"answer.parquet\" (or .csv, .json, .ndjson, .arrow), or ask a narrower \
                     question."
                );
            } else {
                s.push_str(
                    " To get them, ask a narrower question (or aggregate); saving whole answers \
                     to files needs the server started with --output-dir DIR.",
                );
            }
        }
    }
    match completeness {
        Some(Completeness::Cut {
            at_least, at_most, ..
        }) => {
            let total = match at_most {
                Some(m) if m == at_least => format!("{m} rows"),
                Some(m) => format!("{at_least} to {m} rows"),
                None => format!("at least {at_least} rows"),
            };
            let _ = write!(
                s,
                " The API returned only part of the answer, which has {total}: pass all_rows: \
                 true (with save_as) to fetch every row."
            );
        }
        Some(Completeness::Unknown { .. }) => s.push_str(
            " The answer may have more rows than the API returned (as many as max_rows): pass \
             all_rows: true (with save_as) to fetch every row.",
        ),
        _ => {}
    }
    s
}

/// The result of a question that has not finished: its id and state, with
/// `message` saying how to go on.
pub fn unfinished(question_id: &QuestionId, state: Option<&State>, message: &str) -> Rendered {
    let state = state.map_or("PENDING", State::as_str);
    let structured = json!({
        "question_id": question_id.to_string(),
        "state": state,
        "summary": null,
        "sql": null,
        "columns": [],
        "rows": [],
        "row_count": 0,
        "completeness": null,
        "rows_omitted": 0,
        "saved": null,
        "message": message,
    });
    Rendered {
        structured,
        text: format!("Question {question_id} is {state}. {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(rows: usize, bytes: usize) -> Budget {
        Budget { rows, bytes }
    }

    #[test]
    fn the_budget_takes_rows_while_both_limits_hold() {
        let cases: &[(usize, &[usize], Budget, usize)] = &[
            (0, &[10, 10, 10], budget(100, 1000), 3),
            (0, &[10, 10, 10], budget(2, 1000), 2),
            (0, &[10, 10, 10], budget(100, 25), 2),
            (0, &[10, 10, 10], budget(100, 30), 3),
            (20, &[10, 10, 10], budget(100, 30), 1),
            (40, &[10], budget(100, 30), 0),
            (0, &[], budget(100, 30), 0),
            (0, &[10, 10], budget(0, 1000), 0),
            // A row too big stops the table there: rows stay in order.
            (0, &[10, 500, 10], budget(100, 100), 1),
            (usize::MAX, &[1], budget(100, 100), 0),
        ];
        for (fixed, costs, b, want) in cases {
            assert_eq!(
                rows_that_fit(*fixed, costs.iter().copied(), *b),
                *want,
                "{fixed} {costs:?} {b:?}"
            );
        }
    }

    fn answer(frame: &str) -> Completed {
        let mut results = QuestionResults::default();
        results.dataframe = Some(DataFrame::from_json(frame).unwrap());
        results.response_summary = Some("s".into());
        Completed {
            question_id: "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap(),
            results,
            max_rows: None,
        }
    }

    #[test]
    fn types_come_from_the_ladder_and_cells_stay_exact() {
        let a = answer(
            r#"[["id","big","f","d","at","day","s","b","j"],
                [1, 12345678901234567890, 0.1, 1.50, "2025-10-24T11:03:05Z", "2025-10-24", "zaż", true, {"a": [1, 2]}],
                [2, 3, 2.5, 99999999999999999999.5, "2025-10-25T00:00:00Z", "2025-10-25", "x|y", false, [0.10000000000000000001]]]"#,
        );
        let r = completed(
            &a,
            None,
            Shape {
                budget: budget(100, 32 * 1024),
                can_save: false,
            },
        );
        let types: Vec<&str> = r.structured["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "int64",
                "uint64",
                "float64",
                "decimal128(38,1)",
                "timestamp[us, UTC]",
                "date32",
                "utf8",
                "bool",
                "json"
            ]
        );
        let rows = &r.structured["rows"];
        assert_eq!(rows[0][1].to_string(), "12345678901234567890");
        assert_eq!(rows[0][2].to_string(), "0.1");
        assert_eq!(rows[0][3], json!("1.50"));
        assert_eq!(rows[1][3], json!("99999999999999999999.5"));
        assert_eq!(rows[0][6], json!("zaż"));
        assert_eq!(rows[0][8], json!({"a": [1, 2]}));
        assert_eq!(rows[1][8], json!("[0.10000000000000000001]"));
        assert!(r.text.contains("x\\|y"), "{}", r.text);
        assert!(r.text.contains("| 12345678901234567890 |"), "{}", r.text);
        assert_eq!(r.structured["rows_omitted"], json!(0));
        assert_eq!(r.structured["completeness"]["complete"], json!(true));
    }

    #[test]
    fn rows_over_the_budget_are_counted_and_named() {
        let mut frame = String::from(r#"[["n"]"#);
        for i in 0..500 {
            frame.push_str(&format!(",[{i}]"));
        }
        frame.push(']');
        let a = answer(&frame);
        let shape = Shape {
            budget: budget(100, 32 * 1024),
            can_save: true,
        };
        let r = completed(&a, None, shape);
        assert_eq!(r.structured["rows"].as_array().unwrap().len(), 100);
        assert_eq!(r.structured["rows_omitted"], json!(400));
        assert_eq!(r.structured["row_count"], json!(500));
        assert!(r.text.contains("400 rows were left out"), "{}", r.text);
        assert!(r.text.contains("save_as"), "{}", r.text);
        let small = Shape {
            budget: budget(100, 1024 + 200),
            can_save: false,
        };
        let r = completed(&a, None, small);
        let shown = r.structured["rows"].as_array().unwrap().len();
        assert!(shown < 100, "{shown}");
        assert_eq!(r.structured["rows_omitted"], json!(500 - shown));
        assert!(r.text.contains("--output-dir"), "{}", r.text);
        // The text shows exactly the rows the structured content holds,
        // each once, the first ones.
        let lines = r.text.lines().filter(|l| l.starts_with("| ")).count();
        assert_eq!(lines, 2 + shown, "{}", r.text); // the header is two lines
        assert_eq!(r.structured["rows"][0], json!([0]));
    }

    #[test]
    fn value_cells_are_what_serde_json_reads() {
        let frame = r#"[["s","n","b"],
            ["a\"b\\c\u00e9\n", -12, true],
            ["\ud83d\udc22 żółw", 18446744073709551615, false],
            ["", 0.1, null],
            [null, 1e300, true]]"#;
        let df = DataFrame::from_json(frame).unwrap();
        for row in df.rows() {
            for cell in row.cells() {
                let want: Value = serde_json::from_str(cell.raw()).unwrap();
                let text = cell_text(&cell);
                assert_eq!(
                    cell_value(&cell, text.as_deref(), CellRule::Value),
                    want,
                    "{}",
                    cell.raw()
                );
            }
        }
    }

    #[test]
    fn a_row_costs_its_compact_json_length() {
        for v in [
            json!([1, "a\"b", null, {"k": [1.5, true]}]),
            json!([]),
            json!(["żółw 🐢", 12345678901234567890u64]),
        ] {
            assert_eq!(json_len(&v), v.to_string().len(), "{v}");
        }
    }
}
