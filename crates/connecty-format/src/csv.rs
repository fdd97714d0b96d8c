//! CSV (RFC 4180): the CLI's `--format csv` and the MCP server's
//! `save_as: "*.csv"`.

use std::io::{self, Write};

use connecty_proto::{Cell, CellKind, DataFrame};

use crate::cell_text;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::AWKWARD;

    fn df(json: &str) -> DataFrame {
        DataFrame::from_json(json).expect("valid dataframe")
    }

    fn csv(json: &str) -> String {
        let mut out = Vec::new();
        write_csv(&mut out, &df(json)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_of_the_module_example() {
        assert_eq!(
            csv(r#"[["country","orders"],["Poland",12],["a,\"b\"",null]]"#),
            "country,orders\r\nPoland,12\r\n\"a,\"\"b\"\"\",\r\n"
        );
    }

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
}
