//! A record batch's row groups, their columns encoded on several threads.
//!
//! arrow-rs's `ArrowWriter` encodes a batch's columns one after another.
//! Parquet encodes each column chunk on its own (its pages, dictionary and
//! statistics depend only on that column), and arrow-rs exposes exactly
//! that: a file writer made by `ArrowWriter` (so the file carries the same
//! Arrow schema metadata), one `ArrowColumnWriter` per leaf column from
//! `ArrowRowGroupWriterFactory`, `compute_leaves` for its input. Here the
//! columns of each row group are encoded at the same time, each thread
//! taking the next column, and the finished chunks are appended in schema
//! order. Row groups are cut where `ArrowWriter` cuts them, so the file is
//! the same, byte for byte, as `ArrowWriter` writes with the same
//! properties (a test in the parent module checks it).

use std::io::Write;

use arrow_array::RecordBatch;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::errors::ParquetError;
use parquet::file::writer::SerializedFileWriter;

use crate::threads;

/// Writes `batch`'s rows as row groups `first_group`, `first_group + 1`…,
/// starting where the groups before it ended, each cut where ArrowWriter
/// cuts them; the columns of each are encoded on up to `threads` threads.
pub(crate) fn write_groups<W: Write + Send>(
    file: &mut SerializedFileWriter<W>,
    factory: &ArrowRowGroupWriterFactory,
    batch: &RecordBatch,
    first_group: usize,
    threads: usize,
) -> Result<(), ParquetError> {
    let props = file.properties().clone();
    let group_rows = props.max_row_group_row_count().unwrap_or(usize::MAX).max(1);
    let schema = batch.schema();
    let mut at = group_rows.saturating_mul(first_group).min(batch.num_rows());
    // As ArrowWriter: no row group for no rows.
    for group in first_group.. {
        if at >= batch.num_rows() {
            break;
        }
        let rows = group_rows.min(batch.num_rows() - at);
        let slice = batch.slice(at, rows);
        let mut writers = factory.create_column_writers(group)?.into_iter();
        let mut jobs = Vec::with_capacity(writers.len());
        for (field, column) in schema.fields().iter().zip(slice.columns()) {
            for leaf in compute_leaves(field, column)? {
                let writer = writers.next().ok_or_else(|| {
                    ParquetError::General("fewer column writers than leaves".into())
                })?;
                jobs.push((writer, leaf));
            }
        }
        let chunks: Vec<ArrowColumnChunk> = threads::run(jobs, threads, |(mut w, leaf)| {
            w.write(&leaf)?;
            w.close()
        })?;
        let mut row_group = file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        at += rows;
    }
    Ok(())
}
