//! The output formats of `connecty`: `table`, `csv`, `json` and `ndjson`.
//!
//! Every writer streams into any [`Write`] (the CLI passes a `BufWriter`
//! over stdout): nothing builds the whole output in memory, and no number
//! is ever parsed into a float: cells are written from their exact JSON
//! text ([`Cell::raw`]).
//!
//! | format | one cell | null | nested value |
//! |---|---|---|---|
//! | [`write_table`] | strings unescaped, control characters escaped (`\n`, `\t`, `\u{1b}`) | `NULL` | compact JSON |
//! | [`write_csv`] | RFC 4180 field, CRLF line ends | empty field | compact JSON |
//! | [`write_json`] | the API's own JSON | `null` | as sent, whitespace removed |
//! | [`write_ndjson`] | exact JSON value | `null` | as sent, whitespace removed |
//!
//! ```
//! use connecty_cli::format::write_csv;
//! use connecty_proto::DataFrame;
//!
//! let df = DataFrame::from_json(r#"[["country","orders"],["Poland",12],["a,\"b\"",null]]"#)?;
//! let mut out = Vec::new();
//! write_csv(&mut out, &df)?;
//! assert_eq!(out, b"country,orders\r\nPoland,12\r\n\"a,\"\"b\"\"\",\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::io::{self, Write};

use connecty_proto::stats::Members;
use connecty_proto::{Cell, CellKind, DataFrame, QuestionId, QuestionResults, State};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// An output format, as named by `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns cut to the terminal width, with a row count; the
    /// summary and SQL above when included.
    #[default]
    Table,
    /// RFC 4180 CSV with a header row and CRLF line ends.
    Csv,
    /// One JSON document: `{"question_id", "state", "results"}`.
    Json,
    /// One JSON object per row, keyed by column name.
    Ndjson,
}

/// What a table shows for a `null` cell.
pub const TABLE_NULL: &str = "NULL";

/// The width assumed when neither `COLUMNS` nor the terminal tells it.
pub const DEFAULT_WIDTH: usize = 100;

/// The narrowest table [`write_table`] draws; smaller widths are raised to it.
pub const MIN_WIDTH: usize = 20;

/// The narrowest a column is cut to (before columns are dropped instead).
const MIN_COLUMN: usize = 4;

/// The column separator of tables.
const SEP: &str = " | ";

// ---------------------------------------------------------------------------
// Cell text.

/// Writes a JSON text without the whitespace between its tokens. Strings are
/// copied byte for byte, so numbers, escapes and non-ASCII text are exactly
/// as sent.
pub fn write_compact_json<W: Write + ?Sized>(out: &mut W, raw: &str) -> io::Result<()> {
    let mut c = Compactor::new(out);
    c.write_all(raw.as_bytes())
}

/// The compact JSON text of `raw` (see [`write_compact_json`]); borrowed when
/// `raw` has no whitespace between tokens.
pub fn compact_json(raw: &str) -> Cow<'_, str> {
    if !raw
        .bytes()
        .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    // Writing to a Vec cannot fail.
    let _ = write_compact_json(&mut out, raw);
    // Only ASCII whitespace outside strings was removed: still UTF-8.
    Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// A [`Write`] adapter that drops JSON whitespace outside strings, so a
/// document the server pretty-printed comes out on one line.
pub struct Compactor<W> {
    inner: W,
    in_string: bool,
    escaped: bool,
}

impl<W: Write> Compactor<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            in_string: false,
            escaped: false,
        }
    }

    /// The wrapped writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Compactor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else if b == b'"' {
                self.in_string = true;
            } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.inner.write_all(&buf[start..i])?;
                start = i + 1;
            }
        }
        self.inner.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The text of a cell for humans and CSV: strings unescaped, numbers and
/// booleans as their exact JSON text, nested values as compact JSON.
/// `None` for `null`.
pub fn cell_text<'a>(cell: &Cell<'a>) -> Option<Cow<'a, str>> {
    match cell.kind() {
        CellKind::Null => None,
        CellKind::String => Some(cell.as_str().unwrap_or(Cow::Borrowed(""))),
        CellKind::Array | CellKind::Object => Some(compact_json(cell.raw())),
        CellKind::Number | CellKind::Bool => Some(Cow::Borrowed(cell.raw())),
    }
}

fn is_invisible_format(c: char) -> bool {
    // Bidirectional overrides and isolates: they reorder what follows them
    // on the line, so a table cell holding one would scramble its row.
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `s` with control characters made visible for a one-line display:
/// `\n`, `\r`, `\t` as those two characters, other control and
/// bidirectional-override characters as `\u{..}`.
pub fn escape_for_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible_format(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` with control characters other than newline made visible (as in
/// [`escape_for_line`]) and tabs expanded to two spaces: for text blocks
/// such as the summary and the SQL, which keep their lines.
pub fn escape_for_block(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| (c.is_control() && c != '\n') || is_invisible_format(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for line in s.split('\n') {
        if !out.is_empty() || s.starts_with('\n') {
            out.push('\n');
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        for c in line.chars() {
            match c {
                '\t' => out.push_str("  "),
                c if c.is_control() || is_invisible_format(c) => {
                    out.push_str(&format!("\\u{{{:x}}}", c as u32));
                }
                c => out.push(c),
            }
        }
    }
    Cow::Owned(out)
}

// ---------------------------------------------------------------------------
// CSV.

fn needs_quotes(s: &str) -> bool {
    s.is_empty() || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

fn write_csv_text<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    if !needs_quotes(s) {
        return out.write_all(s.as_bytes());
    }
    out.write_all(b"\"")?;
    let mut rest = s;
    while let Some(i) = rest.find('"') {
        out.write_all(&rest.as_bytes()[..=i])?;
        out.write_all(b"\"")?;
        rest = &rest[i + 1..];
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\"")
}

/// Writes one CSV field for `cell` (see [`write_csv`] for the rules).
pub fn write_csv_cell<W: Write + ?Sized>(out: &mut W, cell: &Cell<'_>) -> io::Result<()> {
    match cell.kind() {
        CellKind::Null => Ok(()),
        CellKind::Number | CellKind::Bool => out.write_all(cell.raw().as_bytes()),
        _ => match cell_text(cell) {
            Some(text) => write_csv_text(out, &text),
            None => Ok(()),
        },
    }
}

/// Writes the dataframe as CSV (RFC 4180): a header row of column names,
/// then one record per row, every line ended by CRLF as the RFC says.
///
/// - `null` is an empty field; an empty string is `""`, so the two stay
///   apart (as PostgreSQL's `COPY ... CSV` does). A row whose only column
///   is `null` is written as `""`, so no line is blank.
/// - booleans are `true`/`false`; numbers keep their exact JSON text
///   (`12345678901234567890` stays so); nested arrays and objects are
///   compact JSON.
/// - a field holding a comma, a quote, CR or LF is quoted, inner quotes
///   doubled; text is written as UTF-8 with no byte order mark.
pub fn write_csv<W: Write + ?Sized>(out: &mut W, df: &DataFrame) -> io::Result<()> {
    let width = df.width();
    if width == 0 {
        return Ok(());
    }
    for (i, name) in df.columns().iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_csv_text(out, name)?;
    }
    out.write_all(b"\r\n")?;
    for row in df.rows() {
        if width == 1 {
            match row.get(0) {
                Some(c) if !c.is_null() => write_csv_cell(out, &c)?,
                _ => out.write_all(b"\"\"")?,
            }
        } else {
            for (i, cell) in row.cells().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_csv_cell(out, &cell)?;
            }
        }
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// JSON and NDJSON.

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

// ---------------------------------------------------------------------------
// Table.

/// How [`write_table`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// The width to fit, in terminal columns (raised to [`MIN_WIDTH`]).
    pub width: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        Self {
            width: DEFAULT_WIDTH,
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
/// - The table is fitted to `options.width`: the widest columns are cut
///   first, cut cells end with `…`, and when even that is too wide the
///   trailing columns are left out. A note under the table says so.
pub fn write_table<W: Write + ?Sized>(
    out: &mut W,
    results: &QuestionResults,
    options: &TableOptions,
) -> io::Result<TableReport> {
    let width = options.width.max(MIN_WIDTH);
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
    if let Some(stats) = &results.dataframe_stats {
        if !stats.is_empty() {
            if results.dataframe.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "Statistics:")?;
            for (name, column) in stats.iter() {
                writeln!(out, "  {}:", escape_for_line(name))?;
                let text = serde_json::to_string(column).unwrap_or_default();
                let sections = serde_json::from_str::<Members>(&text).unwrap_or_default();
                for (section, value) in &sections.0 {
                    let mut line = format!("    {section}:");
                    stats_fields(&mut line, "", value.get());
                    writeln!(out, "{}", escape_for_line(&line))?;
                }
            }
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
    width: usize,
) -> io::Result<TableReport> {
    let width = width.max(MIN_WIDTH);
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
    let mut numeric = vec![true; ncols];
    let mut any_value = vec![false; ncols];
    for row in df.rows() {
        for (i, cell) in row.cells().enumerate() {
            let w = with_display(&cell, width_of);
            if w > natural[i] {
                natural[i] = w;
            }
            match cell.kind() {
                CellKind::Null => {}
                CellKind::Number => any_value[i] = true,
                _ => {
                    any_value[i] = true;
                    numeric[i] = false;
                }
            }
        }
    }
    let right: Vec<bool> = numeric
        .iter()
        .zip(&any_value)
        .map(|(n, a)| *n && *a)
        .collect();
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

    fn csv(json: &str) -> String {
        let mut out = Vec::new();
        write_csv(&mut out, &df(json)).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn ndjson(json: &str) -> String {
        let mut out = Vec::new();
        write_ndjson(&mut out, &df(json)).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn table(json: &str, width: usize) -> String {
        let mut out = Vec::new();
        write_dataframe_table(&mut out, &df(json), width).unwrap();
        String::from_utf8(out).unwrap()
    }

    const AWKWARD: &str = r#"[["big","s","n","u","b","nested","e","f"],
        [12345678901234567890,"a,\"b\"\nc",null,"żółw 🐢",true,{"k": [1, 2.50, "x y"]},"",1.0e-7]]"#;

    #[test]
    fn csv_rfc4180_quoting_and_exact_numbers() {
        assert_eq!(
            csv(AWKWARD),
            "big,s,n,u,b,nested,e,f\r\n\
             12345678901234567890,\"a,\"\"b\"\"\nc\",,żółw 🐢,true,\"{\"\"k\"\":[1,2.50,\"\"x y\"\"]}\",\"\",1.0e-7\r\n"
        );
    }

    #[test]
    fn csv_header_is_quoted_when_needed_and_empty_frames_have_a_header() {
        assert_eq!(
            csv(r#"[["a b","c,d","e\"f"]]"#),
            "a b,\"c,d\",\"e\"\"f\"\r\n"
        );
        assert_eq!(csv(r#"[]"#), "");
    }

    #[test]
    fn csv_single_null_column_never_writes_a_blank_line() {
        assert_eq!(
            csv(r#"[["x"],[null],[1],[""]]"#),
            "x\r\n\"\"\r\n1\r\n\"\"\r\n"
        );
    }

    #[test]
    fn csv_keeps_carriage_returns_and_unicode_escapes_decoded() {
        assert_eq!(
            csv(r#"[["a"],["x\r\ny"],["\u00e9\ud83d\ude00"],["tab\there"]]"#),
            "a\r\n\"x\r\ny\"\r\né😀\r\ntab\there\r\n"
        );
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

    #[test]
    fn compactor_only_touches_whitespace_outside_strings() {
        assert_eq!(
            compact_json("[ 1 ,\n {\"a b\" : \"c \\\" d\\\\\" } ]"),
            "[1,{\"a b\":\"c \\\" d\\\\\"}]"
        );
        assert!(matches!(compact_json("[1,2]"), Cow::Borrowed(_)));
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

    #[test]
    fn escapes() {
        assert_eq!(escape_for_line("a\u{202E}b\r"), "a\\u{202e}b\\r");
        assert_eq!(escape_for_block("a\u{7}\nb\r\n"), "a\\u{7}\nb\n");
        assert!(matches!(escape_for_line("plain żółw"), Cow::Borrowed(_)));
    }
}
