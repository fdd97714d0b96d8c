//! `--format parquet` and `--format arrow`: the dataframe as typed Arrow
//! columns (connecty-arrow's type ladder), written as a zstd Parquet file
//! or an Arrow IPC file.

use std::io::{self, Write};

use connecty_arrow::FileFormat;
use connecty_proto::{DataFrame, Statistics};

/// Writes `df` in `format` to `out`. The statistics, when the answer has
/// them, only type columns whose cells say nothing (no rows, or all
/// `null`); see connecty-arrow.
///
/// An I/O error keeps its kind (a closed pipe stays `BrokenPipe`); a column
/// that cannot become Arrow, or an encoder's refusal, is an
/// [`io::ErrorKind::InvalidData`] error whose text names the column.
pub fn write_file_format(
    out: &mut (dyn Write + Send),
    df: &DataFrame,
    statistics: Option<&Statistics>,
    format: FileFormat,
) -> io::Result<()> {
    connecty_arrow::write(df, statistics, format, out).map_err(|e| match e {
        connecty_arrow::Error::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_start_with_their_magic() {
        let df =
            DataFrame::from_json(r#"[["country","orders"],["Poland",12],["Chile",null]]"#).unwrap();
        let mut parquet = Vec::new();
        write_file_format(&mut parquet, &df, None, FileFormat::Parquet).unwrap();
        assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));
        let mut arrow = Vec::new();
        write_file_format(&mut arrow, &df, None, FileFormat::ArrowIpc).unwrap();
        assert!(arrow.starts_with(b"ARROW1") && arrow.ends_with(b"ARROW1"));
    }

    #[test]
    fn a_frame_without_columns_is_refused_in_words() {
        let df = DataFrame::from_json("[]").unwrap();
        let e = write_file_format(&mut Vec::new(), &df, None, FileFormat::Parquet).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("at least one column"), "{e}");
    }
}
