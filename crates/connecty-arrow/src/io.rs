//! The destination of a file: a writer watched for I/O errors, and what
//! a write can fail with before its I/O error is known.
//!
//! Arrow IPC keeps an I/O error's kind but Parquet keeps only its text;
//! watching the writer gives [`Error::Io`] the error itself, whichever
//! encoder wrapped it.

use std::io::Write;

use arrow_schema::ArrowError;
#[cfg(feature = "parquet")]
use parquet::errors::ParquetError;

use crate::error::Error;

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

/// Why a write failed: in the encoder (`E`: arrow-rs's or Parquet's
/// error, perhaps wrapping an I/O error), or making a column's array.
pub(crate) enum Fail<E> {
    Encoder(E),
    /// Only Parquet from a dataframe converts while it writes.
    #[cfg(feature = "parquet")]
    Frame(Error),
}

impl From<ArrowError> for Fail<ArrowError> {
    fn from(e: ArrowError) -> Self {
        Fail::Encoder(e)
    }
}

impl From<std::io::Error> for Fail<ArrowError> {
    fn from(e: std::io::Error) -> Self {
        Fail::Encoder(e.into())
    }
}

#[cfg(feature = "parquet")]
impl From<ParquetError> for Fail<ParquetError> {
    fn from(e: ParquetError) -> Self {
        Fail::Encoder(e)
    }
}

#[cfg(feature = "parquet")]
impl From<std::io::Error> for Fail<ParquetError> {
    fn from(e: std::io::Error) -> Self {
        Fail::Encoder(e.into())
    }
}

/// Runs `write` on `out` watched for I/O errors: an encoder's failure is
/// then the I/O error itself when there was one, else `encoder(e)`.
pub(crate) fn watched<W: Write, E>(
    out: W,
    encoder: impl FnOnce(E) -> Error,
    write: impl FnOnce(Watched<'_, W>) -> Result<(), Fail<E>>,
) -> Result<(), Error> {
    let mut io_error = None;
    let out = Watched {
        inner: out,
        error: &mut io_error,
    };
    match write(out) {
        Ok(()) => Ok(()),
        #[cfg(feature = "parquet")]
        Err(Fail::Frame(e)) => Err(e),
        Err(Fail::Encoder(e)) => Err(match io_error.take() {
            Some(io) => Error::Io(io),
            None => encoder(e),
        }),
    }
}
