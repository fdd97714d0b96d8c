//! `--format table`: aligned columns for a person to read.

use std::borrow::Cow;
use std::io::{self, Write};

use connecty_proto::Members;
use connecty_proto::{Cell, DataFrame, QuestionResults};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{
    DEFAULT_WIDTH, MIN_WIDTH, TABLE_NULL, cell_text, compact_json, escape_for_block,
    escape_for_line, number_columns,
};

/// The narrowest a column is cut to (before columns are dropped instead).
const MIN_COLUMN: usize = 4;

/// The column separator of tables.
const SEP: &str = " | ";

/// How [`write_table`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// The width to fit, in terminal columns (raised to [`MIN_WIDTH`]);
    /// `None` never cuts (output to a pipe or a file).
    pub width: Option<usize>,
}

impl Default for TableOptions {
    fn default() -> Self {
        Self {
            width: Some(DEFAULT_WIDTH),
        }
    }
}

/// What [`write_table`] had to leave out to fit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableReport {
    /// Rows drawn.
    pub rows: usize,
    /// Whether any cell or header was cut.
    pub cut_cells: bool,
    /// Columns not drawn because the table was too wide.
    pub hidden_columns: usize,
}

fn with_display<R>(cell: &Cell<'_>, f: impl FnOnce(&str) -> R) -> R {
    match cell_text(cell) {
        None => f(TABLE_NULL),
        Some(t) => f(&escape_for_line(&t)),
    }
}

/// The display width of `s` (wide characters count two).
fn width_of(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Writes `s` into exactly `w` columns: padded, or cut with `…`. Returns
/// whether it was cut.
fn write_fitted<W: Write + ?Sized>(
    out: &mut W,
    s: &str,
    w: usize,
    right: bool,
) -> io::Result<bool> {
    let sw = width_of(s);
    if sw <= w {
        let pad = w - sw;
        if right {
            write!(out, "{:pad$}{s}", "")?;
        } else {
            write!(out, "{s}{:pad$}", "")?;
        }
        return Ok(false);
    }
    // Keep characters up to w - 1 columns, then the ellipsis.
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let cw = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w.saturating_sub(1) {
            break;
        }
        used += cw;
        end = i + c.len_utf8();
    }
    out.write_all(&s.as_bytes()[..end])?;
    out.write_all("…".as_bytes())?;
    let pad = w.saturating_sub(used + 1);
    write!(out, "{:pad$}", "")?;
    Ok(true)
}

/// Chooses how many columns to show and their widths, so the table fits
/// `width`: the widest text columns are cut first (down to a few
/// characters), then number columns, then trailing columns are dropped.
fn fit_columns(natural: &[usize], numeric: &[bool], width: usize) -> Vec<usize> {
    let sep = SEP.len();
    let total = |ws: &[usize]| ws.iter().sum::<usize>() + sep * ws.len().saturating_sub(1);
    if total(natural) <= width {
        return natural.to_vec();
    }
    // How many columns fit at their minimum width.
    let mut shown = 0;
    let mut used = 0;
    for (i, &w) in natural.iter().enumerate() {
        let need = w.min(MIN_COLUMN) + if i > 0 { sep } else { 0 };
        if used + need > width {
            break;
        }
        used += need;
        shown += 1;
    }
    let shown = shown.max(1);
    let cols = &natural[..shown];
    let is_number = |i: usize| numeric.get(i).copied().unwrap_or(false);
    // Cut text columns only, if that is enough; else every column.
    let text_only = {
        let fixed: usize = (0..shown).filter(|&i| is_number(i)).map(|i| cols[i]).sum();
        let text_min: usize = (0..shown)
            .filter(|&i| !is_number(i))
            .map(|i| cols[i].min(MIN_COLUMN))
            .sum();
        fixed + text_min + sep * (shown - 1) <= width
    };
    let cuttable = |i: usize| !text_only || !is_number(i);
    // The largest cap with sum(min(w, cap)) + separators <= width, the cap
    // applying to the cuttable columns.
    let with_cap = |cap: usize| -> Vec<usize> {
        cols.iter()
            .enumerate()
            .map(|(i, &w)| if cuttable(i) { w.min(cap) } else { w })
            .collect()
    };
    let (mut lo, mut hi) = (1usize, cols.iter().copied().max().unwrap_or(1));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if total(&with_cap(mid)) <= width {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut ws = with_cap(lo);
    // Hand the columns left over by rounding to the cut columns, left first.
    let mut spare = width.saturating_sub(total(&ws));
    for (w, &n) in ws.iter_mut().zip(cols) {
        if spare == 0 {
            break;
        }
        if *w < n {
            let add = (n - *w).min(spare);
            *w += add;
            spare -= add;
        }
    }
    if shown == 1 {
        ws[0] = ws[0].min(width);
    }
    ws
}

fn write_block<W: Write + ?Sized>(out: &mut W, title: &str, text: &str) -> io::Result<()> {
    writeln!(out, "{title}:")?;
    let text = escape_for_block(text);
    for line in text.trim_end_matches('\n').split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(out)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Writes results for a person to read: the summary and the SQL when they
/// were included, then the dataframe as aligned columns with a header, a
/// separator and a row count, then the statistics when included.
///
/// - Cells: strings unescaped with control characters made visible
///   (`\n`, `\t`, `\u{1b}`); `null` as `NULL`; numbers as their exact text,
///   right-aligned in columns holding only numbers; nested values as compact
///   JSON.
/// - With a width, the table is fitted to `options.width`: the widest columns are cut
///   first, cut cells end with `…`, and when even that is too wide the
///   trailing columns are left out. A note under the table says so.
pub fn write_table<W: Write + ?Sized>(
    out: &mut W,
    results: &QuestionResults,
    options: &TableOptions,
) -> io::Result<TableReport> {
    let width = options.width;
    if let Some(s) = &results.response_summary {
        write_block(out, "Summary", s)?;
    }
    if let Some(q) = &results.sql_query {
        write_block(out, "SQL", q)?;
    }
    let mut report = TableReport::default();
    if let Some(df) = &results.dataframe {
        report = write_dataframe_table(out, df, width)?;
    }
    let stats = statistics_rows(results);
    if !stats.is_empty() {
        if results.dataframe.is_some() {
            writeln!(out)?;
        }
        writeln!(out, "Statistics:")?;
        let mut last: Option<&str> = None;
        for (column, section, fields) in &stats {
            if last != Some(column.as_str()) {
                writeln!(out, "  {}:", escape_for_line(column))?;
                last = Some(column);
            }
            writeln!(
                out,
                "{}",
                escape_for_line(&format!("    {section}:{fields}"))
            )?;
        }
    }
    if results.dataframe.is_none()
        && results.response_summary.is_none()
        && results.sql_query.is_none()
        && results.dataframe_stats.is_none()
    {
        writeln!(out, "(no results components; see --include)")?;
    }
    Ok(report)
}

/// The statistics as `(column, section, " key=value ...")` lines, in the
/// order sent: every scalar of a section, nested keys joined with `.`.
pub(super) fn statistics_rows(results: &QuestionResults) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    let Some(stats) = &results.dataframe_stats else {
        return rows;
    };
    for (name, column) in stats.iter() {
        let text = serde_json::to_string(column).unwrap_or_default();
        let sections = serde_json::from_str::<Members>(&text).unwrap_or_default();
        for (section, value) in &sections.0 {
            let mut fields = String::new();
            stats_fields(&mut fields, "", value.get());
            rows.push((name.to_string(), section.clone(), fields));
        }
    }
    rows
}

/// Appends ` prefix.key=value` for every scalar in the JSON object `text`,
/// in the order sent, numbers as their exact text, strings unquoted.
fn stats_fields(line: &mut String, prefix: &str, text: &str) {
    let Ok(members) = serde_json::from_str::<Members>(text) else {
        line.push_str(&format!(" {prefix}{}", compact_json(text)));
        return;
    };
    for (key, value) in &members.0 {
        let raw = value.get();
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}{key}")
        };
        if raw.starts_with('{') {
            stats_fields(line, &format!("{path}."), raw);
        } else if raw.starts_with('"') {
            let s = serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_string());
            line.push_str(&format!(" {path}={s}"));
        } else {
            line.push_str(&format!(" {path}={}", compact_json(raw)));
        }
    }
}

/// Writes only the dataframe part of [`write_table`].
pub fn write_dataframe_table<W: Write + ?Sized>(
    out: &mut W,
    df: &DataFrame,
    width: Option<usize>,
) -> io::Result<TableReport> {
    // Without a width nothing is cut: every column at its natural width.
    let width = width.map_or(usize::MAX, |w| w.max(MIN_WIDTH));
    let ncols = df.width();
    let mut report = TableReport {
        rows: df.len(),
        ..TableReport::default()
    };
    if ncols == 0 {
        writeln!(out, "(no columns)")?;
        return Ok(report);
    }
    let headers: Vec<Cow<'_, str>> = df.columns().iter().map(|c| escape_for_line(c)).collect();
    let mut natural: Vec<usize> = headers.iter().map(|h| width_of(h)).collect();
    for row in df.rows() {
        for (i, cell) in row.cells().enumerate() {
            let w = with_display(&cell, width_of);
            if w > natural[i] {
                natural[i] = w;
            }
        }
    }
    let right = number_columns(df);
    let widths = fit_columns(&natural, &right, width);
    let shown = widths.len();
    report.hidden_columns = ncols - shown;

    // Header and separator.
    for (i, w) in widths.iter().enumerate() {
        if i > 0 {
            out.write_all(SEP.as_bytes())?;
        }
        let last = i + 1 == shown;
        if last && !right[i] {
            report.cut_cells |= write_fitted_last(out, &headers[i], *w)?;
        } else {
            report.cut_cells |= write_fitted(out, &headers[i], *w, right[i])?;
        }
    }
    out.write_all(b"\n")?;
    for (i, w) in widths.iter().enumerate() {
        if i > 0 {
            out.write_all(b"-+-")?;
        }
        write!(out, "{:-<w$}", "")?;
    }
    out.write_all(b"\n")?;

    for row in df.rows() {
        for (i, w) in widths.iter().enumerate() {
            if i > 0 {
                out.write_all(SEP.as_bytes())?;
            }
            let Some(cell) = row.get(i) else { break };
            let last = i + 1 == shown;
            let cut = with_display(&cell, |text| {
                if last && !right[i] {
                    write_fitted_last(out, text, *w)
                } else {
                    write_fitted(out, text, *w, right[i])
                }
            })?;
            report.cut_cells |= cut;
        }
        out.write_all(b"\n")?;
    }
    writeln!(out, "({})", plural(df.len(), "row", "rows"))?;
    if report.cut_cells {
        writeln!(
            out,
            "note: long cells were cut to fit {width} columns (set COLUMNS to change it); use --format csv or json for full values"
        )?;
    }
    if report.hidden_columns > 0 {
        let names: Vec<&str> = headers[shown..].iter().map(|h| h.as_ref()).collect();
        let list = names.join(", ");
        let mut list = escape_for_line(&list).into_owned();
        if width_of(&list) > width {
            let mut cut = Vec::new();
            let _ = write_fitted(&mut cut, &list, width.saturating_sub(30).max(10), false);
            list = String::from_utf8_lossy(&cut).trim_end().to_string();
        }
        writeln!(
            out,
            "note: {} not shown to fit {width} columns: {list}; use --format csv or json to see all",
            plural(report.hidden_columns, "column", "columns")
        )?;
    }
    Ok(report)
}

/// As [`write_fitted`] left-aligned, without trailing padding (the last
/// column of a line).
fn write_fitted_last<W: Write + ?Sized>(out: &mut W, s: &str, w: usize) -> io::Result<bool> {
    if width_of(s) <= w {
        out.write_all(s.as_bytes())?;
        return Ok(false);
    }
    let mut buf = Vec::with_capacity(s.len().min(w * 4 + 4));
    let cut = write_fitted(&mut buf, s, w, false)?;
    let text = String::from_utf8_lossy(&buf);
    out.write_all(text.trim_end_matches(' ').as_bytes())?;
    Ok(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn df(json: &str) -> DataFrame {
        DataFrame::from_json(json).expect("valid dataframe")
    }

    fn table(json: &str, width: usize) -> String {
        let mut out = Vec::new();
        write_dataframe_table(&mut out, &df(json), Some(width)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn table_aligns_and_counts() {
        let t = table(
            r#"[["country","orders"],["Poland",12],["Chile",7],["Ö",null]]"#,
            100,
        );
        assert_eq!(
            t,
            "country | orders\n\
             --------+-------\n\
             Poland  |     12\n\
             Chile   |      7\n\
             Ö       |   NULL\n\
             (3 rows)\n"
        );
        assert_eq!(table(r#"[["a"],[1]]"#, 100), "a\n-\n1\n(1 row)\n");
        assert_eq!(table(r#"[["a","b"]]"#, 100), "a | b\n--+--\n(0 rows)\n");
    }

    #[test]
    fn table_escapes_control_characters() {
        let t = table(r#"[["s","t"],["a\nb\tc\u001b[31m","x"]]"#, 100);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[2], "a\\nb\\tc\\u{1b}[31m | x");
        assert_eq!(lines.len(), 4);
        assert!(!t.contains('\u{1b}'));
    }

    #[test]
    fn table_wide_characters_count_double() {
        let t = table(r#"[["u","v"],["🐢🐢",1],["ab",2]]"#, 100);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[2], "🐢🐢 | 1");
        assert_eq!(lines[3], "ab   | 2");
    }

    #[test]
    fn table_cuts_long_cells_to_the_width_with_a_note() {
        let long = "x".repeat(300);
        let t = table(&format!(r#"[["id","text"],[1,"{long}"]]"#), 40);
        for line in t.lines().take(3) {
            assert!(width_of(line) <= 40, "{line:?}");
        }
        let row = t.lines().nth(2).unwrap();
        assert_eq!(width_of(row), 40);
        assert!(row.ends_with('…'));
        assert!(t.contains("note: long cells were cut to fit 40 columns"));
    }

    #[test]
    fn table_drops_columns_that_cannot_fit() {
        let names: Vec<String> = (0..30).map(|i| format!("\"column_{i}\"")).collect();
        let vals: Vec<String> = (0..30).map(|i| i.to_string()).collect();
        let t = table(&format!("[[{}],[{}]]", names.join(","), vals.join(",")), 40);
        for line in t.lines().take(3) {
            assert!(width_of(line) <= 40, "{line:?}");
        }
        assert!(t.contains("columns not shown to fit 40 columns: "), "{t}");
    }

    #[test]
    fn fit_gives_widest_columns_the_cut() {
        assert_eq!(fit_columns(&[5, 50, 3], &[], 30), vec![5, 16, 3]);
        assert_eq!(fit_columns(&[5, 5], &[], 30), vec![5, 5]);
        let w = fit_columns(&[40, 40, 40], &[], 30);
        assert_eq!(w.iter().sum::<usize>() + 6, 30);
        // Number columns keep their width while text columns can give.
        assert_eq!(
            fit_columns(&[20, 30, 20], &[true, false, true], 50),
            vec![20, 4, 20]
        );
        // When text alone cannot give enough, numbers are cut too.
        let w = fit_columns(&[20, 30, 20], &[true, false, true], 40);
        assert_eq!(w.iter().sum::<usize>() + 6, 40);
        assert!(w[0] < 20 && w[2] < 20, "{w:?}");
    }

    #[test]
    fn table_shows_summary_sql_and_stats() {
        let body = r#"{"state":"COMPLETED","results":{"response_summary":"Top\tcountries.","sql_query":"SELECT 1\nFROM t;\n","dataframe":[["a"],[1]],"dataframe_stats":{"a":{"general":{"count":1,"nulls_count":0}}}}}"#;
        let r = connecty_proto::parse_results_body(body.as_bytes().to_vec()).unwrap();
        let mut out = Vec::new();
        write_table(
            &mut out,
            r.results.as_ref().unwrap(),
            &TableOptions::default(),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Summary:\n  Top  countries.\n\nSQL:\n  SELECT 1\n  FROM t;\n\na\n-\n1\n(1 row)\n\nStatistics:\n  a:\n    general: count=1 nulls_count=0\n"
        );
    }
}
