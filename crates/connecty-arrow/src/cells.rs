//! The cells of a dataframe, row by row, in one pass over its text.
//!
//! `DataFrame` keeps each cell's start and finds its end by scanning the
//! cell again with connecty-proto's validating scanner. The conversion
//! reads every cell once, in order, so it walks the frame's text
//! (`DataFrame::raw_json_bytes`) itself instead: the text was validated
//! when it was parsed, so this walk only looks for where each value ends,
//! and skips string contents with `memchr`. If the text is ever not what
//! it expects (it always is), the walk says so and the conversion falls
//! back to the cell accessors.
//!
//! A walk can also start at any data row ([`Cells::row_start`]), so that
//! threads can each convert a stretch of rows, each turning only its own
//! stretch of the text into `&str` (the one UTF-8 check a walk needs, on
//! the thread that reads it); and it tells for each string
//! whether it has a backslash, which it finds anyway, so that a string
//! without escapes is taken as it is, without a second look.

/// One cell's exact JSON text, and whether it holds a backslash (only a
/// string can).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raw<'a> {
    pub text: &'a str,
    pub escaped: bool,
}

impl<'a> Raw<'a> {
    /// A cell's text, looked at once for a backslash.
    pub fn of(text: &'a str) -> Raw<'a> {
        Raw {
            text,
            escaped: text.starts_with('"') && memchr::memchr(b'\\', text.as_bytes()).is_some(),
        }
    }
}

/// A walk over the data rows of a dataframe's JSON text.
pub(crate) struct Cells<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cells<'a> {
    /// Starts after the header row of `text` (a whole `[[header],[row]…]`).
    pub fn new(text: &'a str) -> Option<Cells<'a>> {
        let mut c = Cells { text, pos: 0 };
        c.expect(b'[')?;
        c.value()?;
        Some(c)
    }

    /// Where the data row whose first cell starts at byte `first` of `text`
    /// begins: the `,` before its `[` (whitespace allowed around both);
    /// `None` when that is not what precedes `first`.
    pub fn row_start(text: &[u8], first: usize) -> Option<usize> {
        let mut i = first.min(text.len());
        let mut back = |want: u8| {
            while i > 0 && matches!(text[i - 1], b' ' | b'\n' | b'\r' | b'\t') {
                i -= 1;
            }
            (i > 0 && text[i - 1] == want).then(|| i -= 1)
        };
        back(b'[')?;
        back(b',')?;
        Some(i)
    }

    /// Starts before a data row: `text` begins at the row's
    /// [`row_start`](Self::row_start).
    pub fn at_row_start(text: &'a str) -> Cells<'a> {
        Cells { text, pos: 0 }
    }

    fn ws(&mut self) {
        let b = self.text.as_bytes();
        while matches!(b.get(self.pos), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.text.as_bytes().get(self.pos) == Some(&c)).then(|| self.pos += 1)
    }

    /// Opens the next data row: `Some(true)` with the cursor before its
    /// first cell, `Some(false)` after the last row, `None` on text the
    /// walk does not expect.
    #[inline]
    pub fn open_row(&mut self) -> Option<bool> {
        self.ws();
        match self.text.as_bytes().get(self.pos)? {
            b']' => return Some(false),
            b',' => self.pos += 1,
            _ => return None,
        }
        self.expect(b'[')?;
        Some(true)
    }

    /// Moves past the `,` after a cell (`last` false) or the `]` that
    /// closes the row (`last` true).
    #[inline]
    pub fn end_cell(&mut self, last: bool) -> Option<()> {
        self.expect(if last { b']' } else { b',' })
    }

    /// The first byte of the next cell, the cursor moved to it.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.text.as_bytes().get(self.pos).copied()
    }

    /// The text from the cursor on.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.pos..).unwrap_or(&[])
    }

    /// Moves the cursor `n` bytes on (past a value the caller read from
    /// [`Self::rest`]).
    #[inline]
    pub fn skip(&mut self, n: usize) {
        self.pos += n;
    }

    /// The next cell, the cursor moved past it.
    #[inline]
    pub fn cell(&mut self) -> Option<Raw<'a>> {
        self.ws();
        let start = self.pos;
        let escaped = self.value()?;
        Some(Raw {
            text: self.text.get(start..self.pos)?,
            escaped,
        })
    }

    /// Moves past one value starting at the current position; whether it
    /// is a string with a backslash.
    #[inline]
    fn value(&mut self) -> Option<bool> {
        self.ws();
        let b = self.text.as_bytes();
        let mut escaped = false;
        match *b.get(self.pos)? {
            b'"' => {
                (self.pos, escaped) = string_end(b, self.pos)?;
            }
            b'[' | b'{' => {
                let mut depth = 0usize;
                loop {
                    match *b.get(self.pos)? {
                        b'"' => {
                            self.pos = string_end(b, self.pos)?.0;
                            continue;
                        }
                        b'[' | b'{' => depth += 1,
                        b']' | b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return Some(false);
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            b't' | b'n' => self.pos += 4,
            b'f' => self.pos += 5,
            _ => {
                let n = b[self.pos..]
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .unwrap_or(b.len() - self.pos);
                if n == 0 {
                    return None;
                }
                self.pos += n;
            }
        }
        (self.pos <= b.len()).then_some(escaped)
    }
}

/// The position after the string whose `"` is at `start`, and whether the
/// string has a backslash.
#[inline]
fn string_end(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[i] == b'"' {
            return Some((i + 1, escaped));
        }
        escaped = true;
        i += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row's cells, as the conversion reads them.
    fn next_row<'a>(cells: &mut Cells<'a>, out: &mut Vec<Raw<'a>>) -> Option<bool> {
        out.clear();
        if !cells.open_row()? {
            return Some(false);
        }
        if cells.peek()? == b']' {
            cells.skip(1);
            return Some(true);
        }
        loop {
            out.push(cells.cell()?);
            if cells.peek()? == b']' {
                cells.skip(1);
                return Some(true);
            }
            cells.end_cell(false)?;
        }
    }

    #[test]
    fn walks_rows_like_the_accessors() {
        let text = r#" [ ["a", "b","c"] , [1, "x\"]y\\", {"k":["]",{}]}],
            [ -1.5e+3 ,true,null] ,[false,"",[ ]]] "#;
        let df = connecty_proto::DataFrame::from_json(text).unwrap();
        let mut cells = Cells::new(df.raw_json()).unwrap();
        let mut row = Vec::new();
        let mut rows = Vec::new();
        while next_row(&mut cells, &mut row).unwrap() {
            rows.push(row.clone());
        }
        let want: Vec<Vec<Raw<'_>>> = df
            .rows()
            .map(|r| r.cells().map(|c| Raw::of(c.raw())).collect())
            .collect();
        assert_eq!(rows, want);
        assert!(rows[0][1].escaped && !rows[0][2].escaped && !rows[1][0].escaped);
        // From the second data row on, as a thread starts its stretch.
        let first = df.cell(1, 0).unwrap().raw();
        let text = df.raw_json();
        let at = first.as_ptr() as usize - text.as_ptr() as usize;
        let start = Cells::row_start(text.as_bytes(), at).unwrap();
        assert_eq!(&text[start..=start], ",");
        let mut cells = Cells::at_row_start(&text[start..]);
        assert_eq!(next_row(&mut cells, &mut row), Some(true));
        assert_eq!(row, want[1]);
        assert!(Cells::row_start(text.as_bytes(), at + 1).is_none());
        assert!(Cells::row_start(text.as_bytes(), 0).is_none());
        assert!(Cells::row_start(text.as_bytes(), usize::MAX).is_none());
    }

    #[test]
    fn unexpected_text_is_none_never_a_panic() {
        for t in [
            "",
            "[",
            "[[]",
            "[[1],x",
            "[[1],[\"",
            "[[1],[1",
            "[[1],[[[",
            "[[1],[-]]",
        ] {
            let mut row = Vec::new();
            if let Some(mut c) = Cells::new(t) {
                while let Some(true) = next_row(&mut c, &mut row) {}
            }
        }
    }
}
