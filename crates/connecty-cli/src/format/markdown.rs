//! `--format markdown`: a GitHub-flavoured Markdown table.

use std::borrow::Cow;
use std::io::{self, Write};

use connecty_proto::{DataFrame, QuestionResults};

use super::table::statistics_rows;
use super::{TABLE_NULL, cell_text, escape_for_block, escape_markdown_cell, number_columns};

/// The shortest run of backticks that no run in `text` equals or exceeds:
/// a code fence that `text` cannot close.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn write_row<'a, W: Write + ?Sized>(
    out: &mut W,
    cells: impl Iterator<Item = Cow<'a, str>>,
) -> io::Result<()> {
    out.write_all(b"|")?;
    for cell in cells {
        out.write_all(b" ")?;
        out.write_all(escape_markdown_cell(&cell).as_bytes())?;
        out.write_all(b" |")?;
    }
    out.write_all(b"\n")
}

/// Writes only the dataframe part of [`write_markdown`]: a header row, the
/// delimiter row (`---:` for columns holding only numbers, which renderers
/// right-align) and one row per dataframe row. Cells are as in
/// [`write_table`](super::write_table) (exact numbers, `NULL`, nested
/// values as compact JSON), escaped by [`escape_markdown_cell`]. Nothing is
/// ever cut.
pub fn write_markdown_dataframe<W: Write + ?Sized>(out: &mut W, df: &DataFrame) -> io::Result<()> {
    let ncols = df.width();
    if ncols == 0 {
        return writeln!(out, "(no columns)");
    }
    let numeric = number_columns(df);
    write_row(out, df.columns().iter().map(|c| Cow::Borrowed(c.as_str())))?;
    out.write_all(b"|")?;
    for n in numeric {
        out.write_all(if n { b"---:|" } else { b"---|" })?;
    }
    out.write_all(b"\n")?;
    for row in df.rows() {
        write_row(
            out,
            row.cells()
                .map(|c| cell_text(&c).unwrap_or(Cow::Borrowed(TABLE_NULL))),
        )?;
    }
    Ok(())
}

/// Writes results as GitHub-flavoured Markdown: the summary (as the API
/// wrote it, a paragraph under **Summary**) and the SQL (a fenced `sql`
/// block) when included, then the dataframe as a table (see
/// [`write_markdown_dataframe`]), then the statistics as a second table.
pub fn write_markdown<W: Write + ?Sized>(out: &mut W, results: &QuestionResults) -> io::Result<()> {
    let mut first = true;
    let mut gap = |out: &mut W| -> io::Result<()> {
        if !std::mem::take(&mut first) {
            writeln!(out)?;
        }
        Ok(())
    };
    if let Some(s) = &results.response_summary {
        gap(out)?;
        writeln!(out, "**Summary**\n")?;
        writeln!(out, "{}", escape_for_block(s).trim_end())?;
    }
    if let Some(q) = &results.sql_query {
        gap(out)?;
        let q = escape_for_block(q);
        let fence = fence_for(&q);
        writeln!(out, "**SQL**\n\n{fence}sql\n{}\n{fence}", q.trim_end())?;
    }
    if let Some(df) = &results.dataframe {
        gap(out)?;
        write_markdown_dataframe(out, df)?;
    }
    let stats = statistics_rows(results);
    if !stats.is_empty() {
        gap(out)?;
        writeln!(out, "**Statistics**\n")?;
        writeln!(out, "| column | section | values |\n|---|---|---|")?;
        for (column, section, fields) in &stats {
            write_row(
                out,
                [
                    Cow::Borrowed(column.as_str()),
                    Cow::Borrowed(section.as_str()),
                    Cow::Borrowed(fields.trim()),
                ]
                .into_iter(),
            )?;
        }
    }
    if first {
        writeln!(out, "(no results components; see --include)")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::tests::AWKWARD;

    fn md(json: &str) -> String {
        let mut out = Vec::new();
        write_markdown_dataframe(&mut out, &DataFrame::from_json(json).unwrap()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn markdown_table_aligns_numbers_and_shows_null() {
        assert_eq!(
            md(r#"[["country","orders"],["Poland",12],["Chile",null]]"#),
            "| country | orders |\n|---|---:|\n| Poland | 12 |\n| Chile | NULL |\n"
        );
        assert_eq!(md(r#"[["a","b"]]"#), "| a | b |\n|---|---|\n");
        assert_eq!(md(r#"[]"#), "(no columns)\n");
    }

    #[test]
    fn markdown_cells_escape_pipes_newlines_and_html() {
        // The cell rule itself is connecty-format's (tested there).
        let t = md(AWKWARD);
        let row = t.lines().nth(2).unwrap();
        assert_eq!(
            row,
            "| 12345678901234567890 | a,\"b\"<br>c | NULL | żółw 🐢 | true | {\"k\":[1,2.50,\"x y\"]} |  | 1.0e-7 |"
        );
    }

    #[test]
    fn markdown_fence_outlasts_backticks_in_the_sql() {
        assert_eq!(fence_for("SELECT 1"), "```");
        assert_eq!(fence_for("SELECT '````'"), "`````");
    }

    #[test]
    fn markdown_shows_summary_sql_table_and_stats() {
        let body = r#"{"state":"COMPLETED","results":{"response_summary":"Top *countries*.","sql_query":"SELECT 1\nFROM t;\n","dataframe":[["a"],[1]],"dataframe_stats":{"a":{"general":{"count":1,"nulls_count":0}}}}}"#;
        let r = connecty_proto::parse_results_body(body.as_bytes().to_vec()).unwrap();
        let mut out = Vec::new();
        write_markdown(&mut out, r.results.as_ref().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "**Summary**\n\nTop *countries*.\n\n**SQL**\n\n```sql\nSELECT 1\nFROM t;\n```\n\n\
             | a |\n|---:|\n| 1 |\n\n**Statistics**\n\n| column | section | values |\n|---|---|---|\n\
             | a | general | count=1 nulls_count=0 |\n"
        );
    }
}
