//! Arrow IPC files.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_ipc::writer::FileWriter;

use crate::error::Error;
use crate::format::FileFormat;
use crate::io::watched;

/// Writes `batch` as an Arrow IPC file to `out`. The writer makes many
/// small writes: hand it a `BufWriter` for a file or a pipe.
pub fn write_ipc<W: Write>(batch: &RecordBatch, out: W) -> Result<(), Error> {
    let encoder = |e| Error::from_arrow(FileFormat::ArrowIpc, e);
    watched(out, encoder, |out| {
        let mut w = FileWriter::try_new(out, &batch.schema())?;
        w.write(batch)?;
        w.finish()?;
        w.into_inner()?.flush()?;
        Ok(())
    })
}
