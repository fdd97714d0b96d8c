//! A dataframe straight to a file: the conversion and the writer of the
//! format asked for.

use std::io::Write;

use connecty_proto::{DataFrame, Statistics};

use crate::convert::to_record_batch_with;
use crate::error::Error;
use crate::format::FileFormat;
use crate::ipc::write_ipc;
use crate::threads::Options;

/// Converts `df` (see [`to_record_batch`](crate::to_record_batch)) and writes it to `out` in
/// `format`: what `connecty ask --format parquet|arrow` does. Parquet
/// needs the `parquet` feature (on by default).
///
/// ```
/// use connecty_arrow::FileFormat;
/// use connecty_proto::DataFrame;
///
/// let df = DataFrame::from_json(r#"[["country","orders"],["Poland",12],["Chile",7]]"#)?;
/// let mut file = Vec::new();
/// connecty_arrow::write(&df, None, FileFormat::Parquet, &mut file)?;
/// assert_eq!(&file[..4], b"PAR1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write<W: Write + Send>(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    format: FileFormat,
    out: W,
) -> Result<(), Error> {
    write_with(df, statistics, format, &Options::default(), out)
}

/// [`write()`] with [`Options`]: the threads that convert the frame and
/// encode Parquet columns.
pub fn write_with<W: Write + Send>(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    format: FileFormat,
    options: &Options,
    out: W,
) -> Result<(), Error> {
    match format {
        FileFormat::ArrowIpc => write_ipc(&to_record_batch_with(df, statistics, options)?, out),
        #[cfg(feature = "parquet")]
        FileFormat::Parquet => crate::parquet_file::write_frame(df, statistics, out, options),
        #[cfg(not(feature = "parquet"))]
        FileFormat::Parquet => Err(Error::Encode {
            format,
            message: "connecty-arrow was built without its `parquet` feature".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_io_errors() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "closed",
                ))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let df = DataFrame::from_json(r#"[["a"],[1]]"#).unwrap();
        for format in [FileFormat::ArrowIpc, FileFormat::Parquet] {
            match write(&df, None, format, Broken) {
                Err(Error::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe),
                other => panic!("{format}: {other:?}"),
            }
        }
    }
}
