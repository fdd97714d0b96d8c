//! A row-by-row cursor over a dataframe's raw cells: each cell's exact
//! JSON bytes, its kind, and whether a string holds escapes, found from
//! the offsets the scanner recorded (the text is never walked again).
//!
//! This is the reader for code that turns a whole frame into something
//! else, cell after cell (connecty-arrow builds Arrow columns with it):
//! one cursor per range of rows, so that threads can each take a range.

use std::borrow::Cow;
use std::ops::Range;

use super::{CellKind, DataFrame};
use crate::json::{self, Surrogates, ValueKind};
use crate::offsets::Offsets;

/// One cell as the scanner found it: a view of its exact JSON bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawCell<'a> {
    bytes: &'a [u8],
    start: usize,
    kind: CellKind,
    escaped: bool,
}

impl<'a> RawCell<'a> {
    /// The cell's JSON text exactly as sent (`12345678901234567890`,
    /// `"a\"b"`, `null`, `[1,2]`), as bytes. It is valid UTF-8 (the
    /// scanner checked it); [`text`](Self::text) checks it again to give
    /// it as `&str`.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The cell's JSON text as `&str` (a UTF-8 check of its bytes).
    pub fn text(&self) -> &'a str {
        json::text_of(self.bytes)
    }

    /// The kind of JSON value.
    pub fn kind(&self) -> CellKind {
        self.kind
    }

    /// Whether the cell is a string with at least one escape (a
    /// backslash). A string without one is its bytes between the quotes.
    pub fn has_escapes(&self) -> bool {
        self.escaped
    }

    /// Where the cell starts in [`DataFrame::raw_json_bytes`].
    pub fn start(&self) -> usize {
        self.start
    }

    /// The string, unescaped, if the cell is one (borrowed when it has no
    /// escapes). With [`Surrogates::Refuse`] a string that escapes a lone
    /// surrogate is `None` as well.
    pub fn decode_str(&self, surrogates: Surrogates) -> Option<Cow<'a, str>> {
        if self.kind != CellKind::String {
            return None;
        }
        json::decode_str(self.text(), surrogates)
    }
}

/// A cursor over a range of a dataframe's data rows: an iterator of
/// [`RawRow`]s, each an iterator of [`RawCell`]s. Made by
/// [`DataFrame::raw_rows`].
///
/// ```
/// use connecty_proto::DataFrame;
/// use connecty_proto::Surrogates;
///
/// let df = DataFrame::from_json(r#"[["id","name"],[1,"Zoë"],[2,"a\"b"]]"#)?;
/// let mut names = Vec::new();
/// for row in df.raw_rows(0..df.len()) {
///     let cells: Vec<_> = row.collect();
///     assert_eq!(cells[0].kind(), connecty_proto::CellKind::Number);
///     names.push((cells[1].text(), cells[1].has_escapes()));
///     assert!(cells[1].decode_str(Surrogates::Refuse).is_some());
/// }
/// assert_eq!(names, [(r#""Zoë""#, false), (r#""a\"b""#, true)]);
/// # Ok::<(), connecty_proto::DecodeError>(())
/// ```
#[derive(Clone)]
pub struct RawRows<'a> {
    cells: Cells<'a>,
    /// The next row's first cell (header row counted).
    next: usize,
    /// One past the last cell of the range.
    end: usize,
    /// Cells in a row (the frame's width; no rows when it is 0).
    width: usize,
}

/// One row of a [`RawRows`] cursor: its cells, in column order.
#[derive(Clone)]
pub struct RawRow<'a> {
    cells: Cells<'a>,
    next: usize,
    end: usize,
    /// Where cell `next` starts.
    start: usize,
    /// The offsets of cells `next..=end` when they lie in one chunk of
    /// offsets (the row's cells, then the next row's first): read without
    /// looking the chunk up cell by cell.
    run: &'a [u32],
}

/// What a cursor reads: the text, the cells' starts, the frame's span.
#[derive(Clone, Copy)]
struct Cells<'a> {
    text: &'a [u8],
    offsets: &'a Offsets,
    /// Where the frame's text starts in `text`.
    base: usize,
}

impl<'a> Cells<'a> {
    /// Cell `i` (header counted), which starts at `start`, and where the
    /// next cell starts (0 after the last).
    #[inline]
    fn cell(&self, i: usize, start: usize) -> (RawCell<'a>, usize) {
        let next = if i + 1 < self.offsets.len() {
            self.offsets.get(i + 1)
        } else {
            0
        };
        (self.between(i, start, next), next)
    }

    /// Cell `i`, which starts at `start`, the next one at `next` (0 when
    /// it is the last). Its end is found from `next`: only `,`, `[`, `]`
    /// and white space lie between two cells, and no value but an array
    /// ends with one of those. Whether a string has escapes is the bit
    /// the scanner kept.
    #[inline(always)]
    fn between(&self, i: usize, start: usize, next: usize) -> RawCell<'a> {
        let text = self.text;
        let kind = ValueKind::of(text.get(start).copied().unwrap_or(b'n'));
        let end = if kind == ValueKind::Array || next <= start {
            json::value_end(text, start)
        } else {
            let mut end = next;
            while end > start
                && matches!(
                    text.get(end - 1),
                    Some(b',' | b'[' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                )
            {
                end -= 1;
            }
            end
        };
        let bytes = text.get(start..end).unwrap_or_default();
        let escaped = kind == ValueKind::String && self.offsets.is_escaped(i);
        RawCell {
            bytes,
            start: start.saturating_sub(self.base),
            kind,
            escaped,
        }
    }

    /// Where cell `i` starts (0 past the last).
    #[inline]
    fn start(&self, i: usize) -> usize {
        if i < self.offsets.len() {
            self.offsets.get(i)
        } else {
            0
        }
    }
}

impl<'a> RawRows<'a> {
    /// The bytes of [`DataFrame::raw_json_bytes`] that hold the range's
    /// cells: from its first cell's start to its last cell's end (empty
    /// for no rows). For a reader that checks once that they are UTF-8,
    /// then slices cells out of them by [`RawCell::start`].
    pub fn text_span(&self) -> Range<usize> {
        if self.next >= self.end {
            return 0..0;
        }
        let first = self.cells.start(self.next);
        let (last, _) = self
            .cells
            .cell(self.end - 1, self.cells.start(self.end - 1));
        first.saturating_sub(self.cells.base)..last.start + last.bytes.len()
    }
}

impl<'a> Iterator for RawRows<'a> {
    type Item = RawRow<'a>;

    #[inline]
    fn next(&mut self) -> Option<RawRow<'a>> {
        if self.next >= self.end {
            return None;
        }
        let width = self.width.min(self.end - self.next);
        let end = self.next + width;
        let run = self
            .cells
            .offsets
            .run(self.next, width + 1)
            .unwrap_or_default();
        let row = RawRow {
            cells: self.cells,
            next: self.next,
            end,
            start: self.cells.start(self.next),
            run,
        };
        self.next += width;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.end - self.next).div_ceil(self.width.max(1));
        (n, Some(n))
    }
}

impl ExactSizeIterator for RawRows<'_> {}

impl<'a> Iterator for RawRow<'a> {
    type Item = RawCell<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<RawCell<'a>> {
        if self.next >= self.end {
            return None;
        }
        let (cell, next) = match self.run {
            [_, next, ..] => {
                let next = *next as usize;
                self.run = &self.run[1..];
                (self.cells.between(self.next, self.start, next), next)
            }
            _ => self.cells.cell(self.next, self.start),
        };
        self.next += 1;
        self.start = next;
        Some(cell)
    }

    /// Skips `n` cells without reading them.
    #[inline]
    fn nth(&mut self, n: usize) -> Option<RawCell<'a>> {
        if n > 0 {
            self.next = self.next.saturating_add(n).min(self.end);
            self.start = self.cells.start(self.next);
            self.run = &[];
        }
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for RawRow<'_> {}

impl DataFrame {
    /// A cursor over the data rows `rows` (0 is the first after the
    /// header; the range is cut to the frame's rows), row by row, each
    /// cell's raw JSON found from where the scanner saw it start.
    pub fn raw_rows(&self, rows: Range<usize>) -> RawRows<'_> {
        let width = self.width();
        let last = self.len();
        let (first, end) = (rows.start.min(last), rows.end.min(last));
        let end = end.max(first);
        RawRows {
            cells: Cells {
                text: &self.text,
                offsets: &self.cells,
                base: self.span.0 as usize,
            },
            next: (first + 1) * width,
            end: (end + 1) * width,
            width,
        }
    }
}

/// The string decoder: the JSON string literal `raw` (quotes included,
/// as a cell's text holds it) unescaped, borrowed when it has no escapes.
/// `None` with [`Surrogates::Refuse`] when it escapes a lone surrogate.
///
/// ```
/// use connecty_proto::{Surrogates, decode_string};
///
/// assert_eq!(decode_string(r#""a\"b\u00e9""#, Surrogates::Refuse).unwrap(), "a\"bé");
/// assert_eq!(decode_string(r#""\ud800""#, Surrogates::Refuse), None);
/// assert_eq!(decode_string(r#""\ud800""#, Surrogates::Replace).unwrap(), "\u{FFFD}");
/// ```
pub fn decode_string(raw: &str, surrogates: Surrogates) -> Option<Cow<'_, str>> {
    json::decode_str(raw, surrogates)
}

/// [`decode_string`] with [`Surrogates::Refuse`] into a buffer the caller
/// reuses from cell to cell: the text borrowed from `raw` when it has no
/// escapes, else unescaped into `scratch`.
pub fn decode_string_in<'s>(raw: &'s str, scratch: &'s mut String) -> Option<&'s str> {
    let inner = json::string_inner(raw);
    if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
        return Some(inner);
    }
    scratch.clear();
    json::unescape(inner, scratch).then_some(scratch.as_str())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Every cell of every row, as the cursor hands them out.
    fn all(df: &DataFrame, rows: Range<usize>) -> Vec<Vec<RawCell<'_>>> {
        df.raw_rows(rows).map(|r| r.collect()).collect()
    }

    #[test]
    fn cells_of_every_kind() {
        let text = r#" [ ["a", "b","c"] , [1, "x\"]y\\", {"k":["]",{}]}],
            [ -1.5e+3 ,true,null] ,[false,"",[ [1] , "]" ]]] "#;
        let df = DataFrame::from_json(text).unwrap();
        let got: Vec<Vec<(&str, CellKind, bool)>> = all(&df, 0..3)
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| (c.text(), c.kind(), c.has_escapes()))
                    .collect()
            })
            .collect();
        use CellKind::*;
        assert_eq!(
            got,
            [
                vec![
                    ("1", Number, false),
                    (r#""x\"]y\\""#, String, true),
                    (r#"{"k":["]",{}]}"#, Object, false)
                ],
                vec![
                    ("-1.5e+3", Number, false),
                    ("true", Bool, false),
                    ("null", Null, false)
                ],
                vec![
                    ("false", Bool, false),
                    (r#""""#, String, false),
                    (r#"[ [1] , "]" ]"#, Array, false)
                ],
            ]
        );
        // Each cell's start is where its bytes are in the frame's text.
        let frame = df.raw_json_bytes();
        for row in all(&df, 0..3) {
            for c in row {
                assert_eq!(&frame[c.start()..c.start() + c.bytes().len()], c.bytes());
            }
        }
        // A range from the middle, and one cut to the frame.
        assert_eq!(all(&df, 1..2)[0][0].text(), "-1.5e+3");
        assert_eq!(all(&df, 2..99).len(), 1);
        assert_eq!(all(&df, 5..9).len(), 0);
        assert_eq!(df.raw_rows(0..3).len(), 3);
        let thirds: Vec<&str> = df
            .raw_rows(0..3)
            .filter_map(|mut r| r.nth(2))
            .map(|c| c.text())
            .collect();
        assert_eq!(thirds, [r#"{"k":["]",{}]}"#, "null", r#"[ [1] , "]" ]"#]);
        assert!(df.raw_rows(0..1).next().unwrap().nth(3).is_none());
        let span = df.raw_rows(1..3).text_span();
        let span = std::str::from_utf8(&frame[span]).unwrap();
        assert!(
            span.starts_with("-1.5e+3") && span.ends_with(r#""]" ]"#),
            "{span}"
        );
        assert_eq!(df.raw_rows(3..3).text_span(), 0..0);
        // Header only and empty frames: no rows.
        for t in ["[]", r#"[["a"]]"#] {
            let df = DataFrame::from_json(t).unwrap();
            assert_eq!(df.raw_rows(0..10).count(), 0);
        }
    }

    #[test]
    fn strings_decode_strictly_or_leniently() {
        let df = DataFrame::from_json(r#"[["s"],["plain"],["a\nb"],["\ud800"],[1]]"#).unwrap();
        let cells: Vec<RawCell<'_>> = df.raw_rows(0..4).flatten().collect();
        let strict: Vec<Option<Cow<'_, str>>> = cells
            .iter()
            .map(|c| c.decode_str(Surrogates::Refuse))
            .collect();
        assert_eq!(
            strict,
            [Some("plain".into()), Some("a\nb".into()), None, None]
        );
        assert_eq!(
            cells[2].decode_str(Surrogates::Replace).unwrap(),
            "\u{FFFD}"
        );
        // The lenient default of `Cell::as_str` is unchanged.
        assert_eq!(df.cell(2, 0).unwrap().as_str().unwrap(), "\u{FFFD}");
        let mut scratch = std::string::String::new();
        assert_eq!(decode_string_in(r#""a\tb""#, &mut scratch), Some("a\tb"));
        assert_eq!(decode_string_in(r#""ab""#, &mut scratch), Some("ab"));
        assert_eq!(decode_string_in(r#""\udc00""#, &mut scratch), None);
    }

    /// A cell's JSON text, made from pieces that cover every kind, escapes
    /// (lone surrogates among them), and UTF-8 of every length.
    fn cell() -> impl Strategy<Value = std::string::String> {
        let piece = prop_oneof![
            Just("a"),
            Just("é"),
            Just("🐢"),
            Just("]"),
            Just(","),
            Just("\\\""),
            Just("\\\\"),
            Just("\\n"),
            Just("\\u00e9"),
            Just("\\ud83d\\ude00"),
            Just("\\ud800"),
            Just("\\udc00"),
            Just("\\u0041"),
        ];
        let string =
            proptest::collection::vec(piece, 0..6).prop_map(|p| format!("\"{}\"", p.concat()));
        let number = "-?(0|[1-9][0-9]{0,22})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?";
        prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            number.prop_map(|s| s),
            string,
            Just(r#"[1, "]", {"k": [null]}]"#.to_string()),
            Just("[]".to_string()),
            Just(r#"{"a":"]","b":[{}]}"#.to_string()),
        ]
    }

    fn kind_by_serde(raw: &str) -> CellKind {
        match serde_json::from_str::<serde::de::IgnoredAny>(raw) {
            _ if raw.starts_with('"') => CellKind::String,
            _ => match serde_json::from_str::<serde_json::Value>(raw) {
                Ok(serde_json::Value::Null) => CellKind::Null,
                Ok(serde_json::Value::Bool(_)) => CellKind::Bool,
                Ok(serde_json::Value::Array(_)) => CellKind::Array,
                Ok(serde_json::Value::Object(_)) => CellKind::Object,
                _ => CellKind::Number,
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

        /// Random frames, with random white space: every cell's bytes,
        /// kind, escapes and strict decoding are what serde_json reads.
        #[test]
        fn the_cursor_reads_what_serde_json_reads(
            width in 1usize..5,
            cells in proptest::collection::vec(cell(), 0..160),
            spaces in proptest::collection::vec(prop_oneof![Just(""), Just(" "), Just("\n\t ")], 8),
            from in 0usize..12,
        ) {
            let rows: Vec<&[std::string::String]> = cells.chunks_exact(width).collect();
            let ws = |i: usize| spaces[i % spaces.len()];
            let mut text = format!("[{}[", ws(0));
            text.push_str(&(0..width).map(|c| format!("\"c{c}\"")).collect::<Vec<_>>().join(","));
            text.push(']');
            for (r, row) in rows.iter().enumerate() {
                text.push_str(&format!("{},{}[{}", ws(r), ws(r + 1), ws(r + 2)));
                for (c, cell) in row.iter().enumerate() {
                    if c > 0 {
                        text.push_str(&format!("{},{}", ws(r + c), ws(r + c + 3)));
                    }
                    text.push_str(cell);
                }
                text.push_str(&format!("{}]", ws(r + 4)));
            }
            text.push_str(&format!("{}]", ws(5)));
            let df = DataFrame::from_json(&text).unwrap();
            prop_assert_eq!(df.len(), rows.len());
            let from = from.min(rows.len());
            let got = all(&df, from..rows.len());
            prop_assert_eq!(got.len(), rows.len() - from);
            for (row, want) in got.iter().zip(&rows[from..]) {
                prop_assert_eq!(row.len(), width);
                for (cell, raw) in row.iter().zip(want.iter()) {
                    prop_assert_eq!(cell.text(), raw.as_str());
                    prop_assert_eq!(cell.kind(), kind_by_serde(raw));
                    prop_assert_eq!(cell.has_escapes(), raw.starts_with('"') && raw.contains('\\'));
                    let strict = cell.decode_str(Surrogates::Refuse).map(Cow::into_owned);
                    let serde = raw.starts_with('"').then(|| serde_json::from_str::<std::string::String>(raw).ok()).flatten();
                    prop_assert_eq!(strict, serde.clone());
                    if let Some(s) = serde {
                        prop_assert_eq!(cell.decode_str(Surrogates::Replace).unwrap(), s);
                    }
                }
            }
        }
    }
}
