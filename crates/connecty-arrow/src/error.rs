//! The crate's error: what a caller matches on.
//!
//! [`Error`] is the one error of every conversion and write;
//! [`UnknownFormat`](crate::UnknownFormat) is the error of parsing a
//! format's name. Inside the crate, a cell that does not fit its column
//! is a `build::Reject` (never seen outside: it picks another type, or
//! becomes an [`Error::Column`]), and a write's failure is an `io::Fail`
//! until the watched writer tells whether it was an I/O error.

use std::fmt;

use crate::format::FileFormat;

/// Why a dataframe could not become a record batch or a file.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A column cannot become an Arrow array; the message says why and
    /// what to do.
    Column {
        /// The column's index in the dataframe.
        index: usize,
        /// The column's name as sent.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// Writing to the destination failed: its own I/O error (a full disk,
    /// a closed pipe).
    Io(std::io::Error),
    /// The Arrow IPC or Parquet encoder refused the batch.
    Encode {
        /// The file format being written.
        format: FileFormat,
        /// The encoder's message.
        message: String,
    },
}

impl Error {
    pub(crate) fn column(index: usize, name: &str, message: impl Into<String>) -> Error {
        Error::Column {
            index,
            name: name.to_string(),
            message: message.into(),
        }
    }

    /// Parquet refuses a batch without columns.
    #[cfg(feature = "parquet")]
    pub(crate) fn no_columns() -> Error {
        Error::Encode {
            format: FileFormat::Parquet,
            message: "a Parquet file needs at least one column, and this answer has none".into(),
        }
    }

    pub(crate) fn from_arrow(format: FileFormat, e: arrow_schema::ArrowError) -> Error {
        match e {
            arrow_schema::ArrowError::IoError(_, io) => Error::Io(io),
            e => Error::Encode {
                format,
                message: e.to_string(),
            },
        }
    }

    #[cfg(feature = "parquet")]
    pub(crate) fn from_parquet(e: parquet::errors::ParquetError) -> Error {
        match e {
            parquet::errors::ParquetError::External(inner) => {
                match inner.downcast::<std::io::Error>() {
                    Ok(io) => Error::Io(*io),
                    Err(other) => Error::Encode {
                        format: FileFormat::Parquet,
                        message: other.to_string(),
                    },
                }
            }
            e => Error::Encode {
                format: FileFormat::Parquet,
                message: e.to_string(),
            },
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Column {
                index,
                name,
                message,
            } => write!(f, "column {index} ({name:?}): {message}"),
            Error::Io(e) => write!(f, "could not write the file: {e}"),
            Error::Encode { format, message } => {
                write!(f, "the {format} encoder refused the data: {message}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}
