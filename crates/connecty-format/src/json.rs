//! JSON and NDJSON: the CLI's `--format json|ndjson` and the MCP
//! server's `save_as: "*.json"|"*.ndjson"`.

use std::io::{self, Write};

use connecty_proto::Members;
use connecty_proto::{CellKind, DataFrame, QuestionId, QuestionResults, State};

use crate::{Compactor, write_compact_json};

fn write_json_string<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::from)
}

/// Writes one JSON document on one line, then `\n`:
/// `{"question_id": ..., "state": ..., "results": {...}}`, followed by any
/// other top-level fields the API sent (`extra`, such as a `FAILED`
/// question's message).
///
/// `results` is the API's own object (its field names, the dataframe's exact
/// text, every statistic including unknown ones); it is left out when the
/// question has none yet, as the API leaves it out.
pub fn write_json<W: Write + ?Sized>(
    out: &mut W,
    question_id: &QuestionId,
    state: &State,
    results: Option<&QuestionResults>,
    extra: Option<&Members>,
) -> io::Result<()> {
    out.write_all(b"{\"question_id\":")?;
    write_json_string(out, &question_id.to_string())?;
    out.write_all(b",\"state\":")?;
    write_json_string(out, state.as_str())?;
    if let Some(r) = results {
        out.write_all(b",\"results\":")?;
        let mut c = Compactor::new(&mut *out);
        serde_json::to_writer(&mut c, r).map_err(io::Error::from)?;
    }
    if let Some(extra) = extra {
        for (key, value) in &extra.0 {
            if matches!(key.as_str(), "question_id" | "state" | "results") {
                continue;
            }
            out.write_all(b",")?;
            write_json_string(out, key)?;
            out.write_all(b":")?;
            write_compact_json(out, value.get())?;
        }
    }
    out.write_all(b"}\n")
}

/// Writes one JSON object per row, keyed by column name, each on its own
/// line ended by `\n`. Values are the cells' exact JSON (numbers keep every
/// digit); nested values lose only their whitespace. Repeated column names
/// are written as sent (the object then repeats a key).
pub fn write_ndjson<W: Write + ?Sized>(out: &mut W, df: &DataFrame) -> io::Result<()> {
    let keys: Vec<Vec<u8>> = df
        .columns()
        .iter()
        .map(|c| {
            let mut k = serde_json::to_vec(c).unwrap_or_else(|_| b"\"\"".to_vec());
            k.push(b':');
            k
        })
        .collect();
    for row in df.rows() {
        out.write_all(b"{")?;
        for (i, cell) in row.cells().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            if let Some(k) = keys.get(i) {
                out.write_all(k)?;
            }
            match cell.kind() {
                CellKind::Array | CellKind::Object => write_compact_json(out, cell.raw())?,
                _ => out.write_all(cell.raw().as_bytes())?,
            }
        }
        out.write_all(b"}\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::AWKWARD;

    fn df(json: &str) -> DataFrame {
        DataFrame::from_json(json).expect("valid dataframe")
    }

    fn ndjson(json: &str) -> String {
        let mut out = Vec::new();
        write_ndjson(&mut out, &df(json)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ndjson_keeps_raw_values_and_escapes_keys() {
        assert_eq!(
            ndjson(AWKWARD),
            "{\"big\":12345678901234567890,\"s\":\"a,\\\"b\\\"\\nc\",\"n\":null,\"u\":\"żółw 🐢\",\"b\":true,\"nested\":{\"k\":[1,2.50,\"x y\"]},\"e\":\"\",\"f\":1.0e-7}\n"
        );
        assert_eq!(
            ndjson(r#"[["a\"b","\n"],[1,2],[3,4]]"#),
            "{\"a\\\"b\":1,\"\\n\":2}\n{\"a\\\"b\":3,\"\\n\":4}\n"
        );
        assert_eq!(ndjson(r#"[["a"]]"#), "");
    }

    #[test]
    fn json_document_keeps_every_digit_and_unknown_fields() {
        let body = r#"{"state":"COMPLETED","results":{"response_summary":"s","dataframe":[["big"],
            [12345678901234567890]],"dataframe_stats":{"big":{"general":{"count":1,"nulls_count":0},"weird":{"x":1e400}}},"new_field":[1, 2]}}"#;
        let r = connecty_proto::parse_results_body(body.as_bytes().to_vec()).unwrap();
        let q: QuestionId = "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap();
        let mut out = Vec::new();
        write_json(&mut out, &q, &r.state, r.results.as_ref(), Some(&r.extra)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\"question_id\":\"729cb7a4-4b06-449e-a3c9-df40f5e570b8\",\"state\":\"COMPLETED\",\"results\":{\"response_summary\":\"s\",\"dataframe\":[[\"big\"],[12345678901234567890]],\"dataframe_stats\":{\"big\":{\"general\":{\"count\":1,\"nulls_count\":0},\"weird\":{\"x\":1e400}}},\"new_field\":[1,2]}}\n"
        );
    }

    #[test]
    fn json_without_results_has_state_and_extra_fields() {
        let r = connecty_proto::parse_results_body(
            br#"{"state":"FAILED","error":"no such table"}"#.to_vec(),
        )
        .unwrap();
        let q: QuestionId = "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap();
        let mut out = Vec::new();
        write_json(&mut out, &q, &r.state, r.results.as_ref(), Some(&r.extra)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"question_id\":\"729cb7a4-4b06-449e-a3c9-df40f5e570b8\",\"state\":\"FAILED\",\"error\":\"no such table\"}\n"
        );
    }
}
