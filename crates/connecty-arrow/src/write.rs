//! Arrow IPC and Parquet files.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use arrow_array::RecordBatch;
use arrow_ipc::writer::FileWriter;
use connecty_proto::{DataFrame, Statistics};

use crate::{Error, Options, to_record_batch_with};

/// A file format this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileFormat {
    /// The Arrow IPC file format (`.arrow`, also called Feather v2),
    /// uncompressed: readers map it straight into memory.
    ArrowIpc,
    /// Parquet, zstd-compressed.
    Parquet,
}

impl FileFormat {
    /// The usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::ArrowIpc => "arrow",
            FileFormat::Parquet => "parquet",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileFormat::ArrowIpc => "Arrow IPC",
            FileFormat::Parquet => "Parquet",
        })
    }
}

/// A format name that is not one of `arrow`, `ipc`, `feather` or
/// `parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown file format {:?}: expected arrow (or ipc, feather) or parquet",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for FileFormat {
    type Err = UnknownFormat;

    /// `arrow`, `ipc` or `feather` for Arrow IPC; `parquet`. Any letter
    /// case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "arrow" | "ipc" | "feather" => Ok(FileFormat::ArrowIpc),
            "parquet" => Ok(FileFormat::Parquet),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// Writes `batch` as an Arrow IPC file to `out`. The writer makes many
/// small writes: hand it a `BufWriter` for a file or a pipe.
pub fn write_ipc<W: Write>(batch: &RecordBatch, out: W) -> Result<(), Error> {
    let mut io_error = None;
    let out = Watched {
        inner: out,
        error: &mut io_error,
    };
    let result = (|| {
        let mut w = FileWriter::try_new(out, &batch.schema())?;
        w.write(batch)?;
        w.finish()?;
        w.into_inner()?.flush()?;
        Ok(())
    })();
    result.map_err(|e| match io_error.take() {
        Some(io) => Error::Io(io),
        None => Error::from_arrow(FileFormat::ArrowIpc, e),
    })
}

/// A writer that remembers its first I/O error, which the encoders wrap
/// into their own errors (Parquet keeps only its text).
pub(crate) struct Watched<'a, W> {
    pub inner: W,
    pub error: &'a mut Option<std::io::Error>,
}

impl<W: Write> Watched<'_, W> {
    fn watch<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r {
            if self.error.is_none() {
                *self.error = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        r
    }
}

impl<W: Write> Write for Watched<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.watch(r)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let r = self.inner.write_all(buf);
        self.watch(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.watch(r)
    }
}

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
    fn format_names() {
        for (s, f) in [
            ("parquet", FileFormat::Parquet),
            ("PARQUET", FileFormat::Parquet),
            ("arrow", FileFormat::ArrowIpc),
            ("ipc", FileFormat::ArrowIpc),
            ("feather", FileFormat::ArrowIpc),
        ] {
            assert_eq!(s.parse::<FileFormat>(), Ok(f));
        }
        let e = "csv".parse::<FileFormat>().unwrap_err();
        assert!(e.to_string().contains("\"csv\""));
        assert_eq!(FileFormat::Parquet.extension(), "parquet");
    }

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
