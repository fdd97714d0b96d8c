//! Reading a `dataframe` array: one offset per cell, rows checked for
//! the header's width as they go.

use std::sync::Arc;

use super::{Cell, DataFrame};
use crate::json::{self, Scanner};
use crate::offsets::OffsetsBuilder;

/// Why a dataframe could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameError {
    pub at: usize,
    pub path: String,
    pub message: String,
}
impl DataFrame {
    /// Scans the `dataframe` array whose `[` is at the scanner's position.
    /// `text` is what the scanner reads.
    pub(crate) fn scan(text: &Arc<Vec<u8>>, s: &mut Scanner<'_>) -> Result<DataFrame, FrameError> {
        if text.len() > u32::MAX as usize {
            return Err(FrameError {
                at: 0,
                path: "$.results.dataframe".into(),
                message: "body larger than 4 GiB".into(),
            });
        }
        let scan_err = |e: json::ScanError, path: String| FrameError {
            at: e.at,
            path,
            message: e.message.to_string(),
        };
        let start = s.pos;
        s.expect(b'[', "dataframe must be an array of rows")
            .map_err(|e| scan_err(e, "$.results.dataframe".into()))?;
        let mut cells = OffsetsBuilder::default();
        let mut ncols: Option<usize> = None;
        let mut row = 0usize;
        if s.peek() == Some(b']') {
            s.pos += 1;
        } else {
            loop {
                let row_path = || format!("$.results.dataframe[{row}]");
                if s.peek() != Some(b'[') {
                    return Err(FrameError {
                        at: s.pos,
                        path: row_path(),
                        message: "each row must be an array".into(),
                    });
                }
                s.pos += 1;
                let before = cells.len();
                if s.peek() == Some(b']') {
                    s.pos += 1;
                } else {
                    loop {
                        s.ws();
                        let start = s.pos as u32;
                        let escaped = s.cell(2).map_err(|e| {
                            scan_err(
                                e,
                                format!("$.results.dataframe[{row}][{}]", cells.len() - before),
                            )
                        })?;
                        cells.push_cell(start, escaped);
                        if closed(s, row_path, "',' or ']' expected")? {
                            break;
                        }
                    }
                }
                let n = cells.len() - before;
                match ncols {
                    None => ncols = Some(n),
                    Some(want) if want != n => {
                        return Err(FrameError {
                            at: s.pos,
                            path: row_path(),
                            message: format!(
                                "ragged row: row {} (the {} data row) has {n} cells but the header has {want} columns",
                                row,
                                ordinal(row)
                            ),
                        });
                    }
                    _ => {}
                }
                row += 1;
                if closed(
                    s,
                    || "$.results.dataframe".into(),
                    "',' or ']' expected between rows",
                )? {
                    break;
                }
            }
        }
        let ncols = ncols.unwrap_or(0);
        let cells = cells.finish();
        let columns = (0..ncols)
            .map(|i| column_name(text, cells.get(i)))
            .collect();
        Ok(DataFrame {
            text: Arc::clone(text),
            span: (start as u32, s.pos as u32),
            columns,
            cells,
        })
    }
}

/// After an item of an array: consumes a `,` (`false`, more follow) or the
/// closing `]` (`true`); anything else is an error at `path`.
#[inline]
fn closed(
    s: &mut Scanner<'_>,
    path: impl FnOnce() -> String,
    expected: &str,
) -> Result<bool, FrameError> {
    let message = match s.peek() {
        Some(c @ (b',' | b']')) => {
            s.pos += 1;
            return Ok(c == b']');
        }
        None => "unexpected end of JSON",
        _ => expected,
    };
    Err(FrameError {
        at: s.pos,
        path: path(),
        message: message.into(),
    })
}

fn ordinal(row: usize) -> String {
    let n = row; // row 0 is the header, so row n is the n-th data row
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn column_name(text: &[u8], start: usize) -> String {
    let end = json::value_end(text, start);
    let raw = json::text_of(&text[start..end]);
    match (Cell { raw }).as_str() {
        Some(s) => s.into_owned(),
        // A header cell that is not a string is named by its JSON text.
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::DataFrame;

    #[test]
    fn ragged_row_names_the_row() {
        let e = DataFrame::from_json(r#"[["a","b"],[1,2],[3]]"#).unwrap_err();
        assert_eq!(e.path, "$.results.dataframe[2]");
        assert!(e.message.contains("ragged row: row 2"), "{}", e.message);
        assert!(e.message.contains("has 1 cells but the header has 2"));
    }

    #[test]
    fn malformed_frames_are_errors() {
        for t in [
            "{}",
            "[1]",
            "[[1],2]",
            "[[1,]]",
            "[[1]",
            "[[\"a\"],[\"b\"]",
            "[[1] [2]]",
        ] {
            assert!(DataFrame::from_json(t).is_err(), "{t}");
        }
    }
}
