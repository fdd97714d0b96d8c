//! Parquet files: from a record batch ([`batch`]) or straight from a
//! dataframe, in blocks of rows ([`frame`]).

mod batch;
mod frame;

use std::io::Write;

use arrow_array::RecordBatch;
use connecty_proto::{DataFrame, Statistics};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::convert::to_record_batch_with;
use crate::error::Error;
use crate::io::watched;
use crate::threads::Options;

/// The Parquet settings [`write_parquet`] uses: arrow-rs's defaults
/// (dictionary encoding, page statistics, row groups of up to 1,048,576
/// rows) with zstd level 1 for every column.
pub fn parquet_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by(format!("connecty-arrow {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Writes `batch` as a zstd-compressed Parquet file to `out` (with
/// [`parquet_properties`]), encoding its columns on several threads (see
/// [`write_parquet_with`]). Parquet buffers each row group and writes it
/// whole, so `out` needs no buffering of its own.
pub fn write_parquet<W: Write + Send>(batch: &RecordBatch, out: W) -> Result<(), Error> {
    write_parquet_with(batch, out, &Options::default())
}

/// [`write_parquet`] with [`Options`]: up to `options`' threads encode the
/// columns of each row group at the same time. The file is the same, byte
/// for byte, whatever the count, and the same as arrow-rs's `ArrowWriter`
/// writes with [`parquet_properties`].
pub fn write_parquet_with<W: Write + Send>(
    batch: &RecordBatch,
    out: W,
    options: &Options,
) -> Result<(), Error> {
    write_with_properties(batch, out, options, parquet_properties())
}

fn write_with_properties<W: Write + Send>(
    batch: &RecordBatch,
    out: W,
    options: &Options,
    props: WriterProperties,
) -> Result<(), Error> {
    if batch.num_columns() == 0 {
        return Err(Error::no_columns());
    }
    let threads = options.threads_for(batch.num_rows().saturating_mul(batch.num_columns()));
    watched(out, Error::from_parquet, |out| {
        if !cut_as_arrow_writer(&props) {
            let mut w = ArrowWriter::try_new(out, batch.schema(), Some(props))?;
            w.write(batch)?;
            w.into_inner()?.flush()?;
            return Ok(());
        }
        let writer = ArrowWriter::try_new(out, batch.schema(), Some(props))?;
        let (mut file, factory) = writer.into_serialized_writer()?;
        batch::write_groups(&mut file, &factory, batch, 0, threads)?;
        file.into_inner()?.flush()?;
        Ok(())
    })
}

/// Converts `df` and writes it as Parquet (with [`parquet_properties`]):
/// what [`write_with`](crate::write_with) does for Parquet, in blocks of
/// rows, converting and encoding at the same time (see [`frame`]).
pub(crate) fn write_frame<W: Write + Send>(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    out: W,
    options: &Options,
) -> Result<(), Error> {
    write_frame_with_properties(df, statistics, out, options, parquet_properties())
}

fn write_frame_with_properties<W: Write + Send>(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    out: W,
    options: &Options,
    props: WriterProperties,
) -> Result<(), Error> {
    let threads = options.threads_for(df.len().saturating_mul(df.width()));
    if !cut_as_arrow_writer(&props) {
        let batch = to_record_batch_with(df, statistics, options)?;
        return write_with_properties(&batch, out, options, props);
    }
    frame::write_frame(df, statistics, out, threads, props)
}

/// Whether `props` cut row groups only by their row count, as
/// [`batch::write_groups`] does (else ArrowWriter writes the batch itself).
fn cut_as_arrow_writer(props: &WriterProperties) -> bool {
    props.max_row_group_bytes().is_none() && props.content_defined_chunking().is_none()
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use super::*;

    fn arrow_writer(batch: &RecordBatch, props: WriterProperties) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
        out
    }

    #[test]
    fn the_same_file_as_arrow_writer_at_any_thread_count() {
        let mut text = String::from(r#"[["id","x","s","t","b","j","n"]"#);
        for i in 0..70_000u64 {
            text.push_str(&format!(
                r#",[{i},{}.5,"s{}","2025-10-24T11:03:05+02:00",{},[{i}],null]"#,
                i % 977,
                i % 13,
                i % 2 == 0
            ));
        }
        text.push(']');
        let df = connecty_proto::DataFrame::from_json(&text).unwrap();
        let batch = crate::to_record_batch(&df, None).unwrap();
        let want = arrow_writer(&batch, parquet_properties());
        for n in [1, 2, 5] {
            let options = Options::new().threads(NonZeroUsize::new(n).unwrap());
            let mut got = Vec::new();
            write_parquet_with(&batch, &mut got, &options).unwrap();
            assert!(got == want, "{n} threads: a different file");
        }
        // Several row groups, the last one short.
        let small_groups = || {
            WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .set_max_row_group_row_count(Some(30_000))
                .build()
        };
        let mut got = Vec::new();
        let two = Options::new().threads(NonZeroUsize::new(2).unwrap());
        write_with_properties(&batch, &mut got, &two, small_groups()).unwrap();
        assert!(
            got == arrow_writer(&batch, small_groups()),
            "row groups differ"
        );
        // From the frame: 70,000 rows of 7 columns are one block, and each
        // row group is one block, so each column chunk is one write, as
        // ArrowWriter's (more blocks: parquet_frame's tests).
        for n in [1, 2, 5] {
            let options = Options::new().threads(NonZeroUsize::new(n).unwrap());
            let mut got = Vec::new();
            write_frame(&df, None, &mut got, &options).unwrap();
            assert!(got == want, "from the frame, {n} threads: a different file");
            let mut got = Vec::new();
            write_frame_with_properties(&df, None, &mut got, &options, small_groups()).unwrap();
            assert!(
                got == arrow_writer(&batch, small_groups()),
                "from the frame, {n} threads: row groups differ"
            );
        }
        let empty = batch.slice(0, 0);
        let mut got = Vec::new();
        write_parquet(&empty, &mut got).unwrap();
        assert!(got == arrow_writer(&empty, parquet_properties()));
        let header_only = connecty_proto::DataFrame::from_json(r#"[["a","b"]]"#).unwrap();
        let mut got = Vec::new();
        write_frame(&header_only, None, &mut got, &Options::new()).unwrap();
        let empty = crate::to_record_batch(&header_only, None).unwrap();
        assert!(got == arrow_writer(&empty, parquet_properties()));
    }
}
