//! A dataframe written as Parquet in blocks of rows, converting the next
//! block while the columns of the one before are encoded.
//!
//! The rows are cut into blocks (about [`BLOCK_CELLS`] cells each, a
//! multiple of 1,024 rows, never across a row group). The write goes in
//! steps, each a fork-join over [`threads::run`]: convert the next block
//! (every column starting with the type its first value suggests, as
//! [`block::convert`] does), and at the same time encode each column of
//! the block converted in the step before, one job per column, each
//! block's array handed to that column's `ArrowColumnWriter` as one
//! write. The first step converts one block per thread, so that no
//! thread waits for the first block.
//!
//! A column is encoded as the type of the first block that holds a
//! value. That type is a guess until the last block is read. A block
//! that built the column as another type (or gave it up) shows the guess
//! wrong: the column's encoding is dropped, and once every block is read
//! the column is decided from all its cells and encoded again, as the
//! conversion does for a column its blocks disagree on. A column with no
//! value in any block gets its type from the statistics (else Null) at
//! the end.
//!
//! The file is the same, byte for byte, whatever the thread count: every
//! column is written in the same blocks, each as one write. It holds the
//! same row groups, types and values as arrow-rs's `ArrowWriter` writes
//! for the converted batch; only the pages may be cut at other rows,
//! since a write ends a mini-batch of the column writer.

use std::collections::VecDeque;
use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_schema::{FieldRef, Schema};
use connecty_proto::ColumnStatistics;
use connecty_proto::{DataFrame, Statistics};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use crate::block::{self, Converted};
use crate::build::Builder;
use crate::convert::{build_column, column_statistics, decide_type};
use crate::error::Error;
use crate::infer::{ColumnType, hint, text_bytes_hint};
use crate::io::{Fail, watched};
use crate::schema::{field, unique_names};
use crate::threads;

/// About how many cells one block holds.
pub(crate) const BLOCK_CELLS: usize = 1 << 19;

/// Rows per block for a frame `width` columns wide: a multiple of 1,024
/// (the column writer's mini-batch for a column with nulls), at least
/// 1,024.
fn block_rows(width: usize) -> usize {
    (BLOCK_CELLS / width.max(1)).max(1024) / 1024 * 1024
}

/// One block: its rows, and the row group they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    rows: Range<usize>,
    group: usize,
}

/// `rows` rows cut into row groups of `group_rows`, each cut into blocks
/// of `block_rows` (the last of each group shorter).
fn blocks(rows: usize, group_rows: usize, block_rows: usize) -> Vec<Block> {
    let (group_rows, block_rows) = (group_rows.max(1), block_rows.max(1));
    let mut out = Vec::new();
    let mut start = 0;
    let mut group = 0;
    while start < rows {
        let group_end = start.saturating_add(group_rows).min(rows);
        let mut at = start;
        while at < group_end {
            let end = at.saturating_add(block_rows).min(group_end);
            out.push(Block {
                rows: at..end,
                group,
            });
            at = end;
        }
        start = group_end;
        group += 1;
    }
    out
}

/// A column's writer and what it has encoded.
struct Encoder {
    field: FieldRef,
    ty: ColumnType,
    /// Makes the column's writer for each row group: from a file writer
    /// (to nowhere) of a schema with this one field, whose column chunks
    /// are then appended to the real file's row groups (Parquet checks
    /// that their descriptors match).
    factory: ArrowRowGroupWriterFactory,
    group: usize,
    writer: ArrowColumnWriter,
    /// The finished chunks of the row groups before `group`.
    chunks: Vec<ArrowColumnChunk>,
}

impl Encoder {
    fn new(
        name: &str,
        sent: &str,
        ty: ColumnType,
        props: &WriterProperties,
    ) -> Result<Encoder, ParquetError> {
        let field: FieldRef = Arc::new(field(name, sent, ty));
        let schema = Arc::new(Schema::new(vec![field.clone()]));
        let (_, factory) = ArrowWriter::try_new(std::io::sink(), schema, Some(props.clone()))?
            .into_serialized_writer()?;
        let writer = one_writer(&factory, 0)?;
        Ok(Encoder {
            field,
            ty,
            factory,
            group: 0,
            writer,
            chunks: Vec::new(),
        })
    }

    /// Writes `b` (as the column's type: a nulls-only builder as nulls),
    /// the rows of a block of row group `group`.
    fn write_builder(&mut self, group: usize, b: Builder) -> Result<(), ParquetError> {
        let array = b.into_type(self.ty).finish()?;
        self.write(group, &array)
    }

    /// Writes `array`, the rows of a block of row group `group`.
    fn write(&mut self, group: usize, array: &ArrayRef) -> Result<(), ParquetError> {
        while self.group < group {
            self.group += 1;
            let next = one_writer(&self.factory, self.group)?;
            let done = std::mem::replace(&mut self.writer, next);
            self.chunks.push(done.close()?);
        }
        for leaf in compute_leaves(&self.field, array)? {
            self.writer.write(&leaf)?;
        }
        Ok(())
    }

    /// The column's field and every row group's chunk, in order.
    fn finish(mut self) -> Result<(FieldRef, Vec<ArrowColumnChunk>), ParquetError> {
        self.chunks.push(self.writer.close()?);
        Ok((self.field, self.chunks))
    }
}

fn one_writer(
    factory: &ArrowRowGroupWriterFactory,
    group: usize,
) -> Result<ArrowColumnWriter, ParquetError> {
    factory
        .create_column_writers(group)?
        .pop()
        .ok_or_else(|| ParquetError::General("no column writer for a one-column schema".into()))
}

/// Where a column stands between steps.
enum Column {
    /// Every block so far held only nulls (none is written yet).
    Nulls,
    /// Encoded as the type of its first block with a value.
    Typed(Box<Encoder>),
    /// Its encoder is out, in a job of this step.
    Busy,
    /// A block disagreed with the guess: decided and encoded at the end.
    Wrong,
}

/// One job of a step.
enum Job {
    /// Convert block `.0`.
    Convert(usize),
    /// Write column `c`'s blocks (index and builder, oldest first) with
    /// its encoder.
    Encode {
        c: usize,
        encoder: Box<Encoder>,
        blocks: Vec<(usize, Builder)>,
    },
}

/// What a job did.
enum Done {
    Converted(usize, Converted),
    Encoded(usize, Box<Encoder>),
}

type Failure = Fail<ParquetError>;

/// Converts `df` and writes it as Parquet with `props` (which cut row
/// groups by row count only), on up to `threads` threads.
pub(crate) fn write_frame<W: Write + Send>(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    out: W,
    threads: usize,
    props: WriterProperties,
) -> Result<(), Error> {
    write_in_blocks(df, statistics, out, threads, props, block_rows(df.width()))
}

/// [`write_frame`] with blocks of `block_rows` rows.
fn write_in_blocks<W: Write + Send>(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    out: W,
    threads: usize,
    props: WriterProperties,
    block_rows: usize,
) -> Result<(), Error> {
    let width = df.width();
    if width == 0 {
        return Err(Error::no_columns());
    }
    let rows = df.len();
    let names = df.columns();
    let unique = unique_names(names);
    let stats = column_statistics(df, statistics);
    let text_hints: Vec<usize> = stats.iter().map(|s| text_bytes_hint(*s, rows)).collect();
    let group_rows = props.max_row_group_row_count().unwrap_or(usize::MAX);
    let blocks = blocks(rows, group_rows, block_rows);

    let run_job = |job: Job| -> Result<Done, Failure> {
        match job {
            Job::Convert(b) => {
                #[cfg(test)]
                if b == 1 && names.first().map(String::as_str) == Some(tests::PANICS) {
                    panic!("a job panics (test)");
                }
                let converted =
                    block::convert(df, blocks[b].rows.clone(), &text_hints).map_err(Fail::Frame)?;
                Ok(Done::Converted(b, converted))
            }
            Job::Encode {
                c,
                mut encoder,
                blocks: builders,
            } => {
                for (b, builder) in builders {
                    encoder.write_builder(blocks[b].group, builder)?;
                }
                Ok(Done::Encoded(c, encoder))
            }
        }
    };
    // Conversion first: one long job, while the columns' writes share
    // the other threads.
    let weight = |job: &Job| match job {
        Job::Convert(_) => usize::MAX,
        Job::Encode { blocks, .. } => blocks.iter().map(|(_, b)| b.weight()).sum(),
    };

    watched(out, Error::from_parquet, |out| {
        let mut columns: Vec<Column> = (0..width).map(|_| Column::Nulls).collect();
        let mut converted: VecDeque<(usize, Converted)> = VecDeque::new();
        let mut next = 0;
        loop {
            let mut jobs = Vec::new();
            if let Some((b, block)) = converted.pop_front() {
                for (c, built) in block.columns.into_iter().enumerate() {
                    let start = |c: usize, ty: ColumnType| {
                        Encoder::new(&unique[c], &names[c], ty, &props).map(Box::new)
                    };
                    let (state, job) =
                        match (std::mem::replace(&mut columns[c], Column::Wrong), built) {
                            (Column::Wrong, _) | (_, None) => (Column::Wrong, None),
                            (Column::Nulls, Some(Builder::Null(_))) => (Column::Nulls, None),
                            // The first value: the nulls before it are written
                            // now, as the column's type.
                            (Column::Nulls, Some(builder)) => {
                                let held = (0..b).map(|k| (k, Builder::Null(blocks[k].rows.len())));
                                let mut ready: Vec<(usize, Builder)> = held.collect();
                                let encoder = start(c, builder.column_type())?;
                                ready.push((b, builder));
                                (Column::Busy, Some((encoder, ready)))
                            }
                            (Column::Typed(encoder), Some(builder))
                                if matches!(builder, Builder::Null(_))
                                    || builder.column_type() == encoder.ty =>
                            {
                                (Column::Busy, Some((encoder, vec![(b, builder)])))
                            }
                            (Column::Typed(_) | Column::Busy, Some(_)) => (Column::Wrong, None),
                        };
                    columns[c] = state;
                    if let Some((encoder, blocks)) = job {
                        jobs.push(Job::Encode { c, encoder, blocks });
                    }
                }
            }
            let convert = if jobs.is_empty() && converted.is_empty() {
                threads
            } else {
                1
            };
            for _ in 0..convert {
                if next < blocks.len() {
                    jobs.push(Job::Convert(next));
                    next += 1;
                }
            }
            if jobs.is_empty() {
                break;
            }
            for done in threads::run_largest_first(jobs, threads, weight, run_job)? {
                match done {
                    Done::Converted(b, block) => converted.push_back((b, block)),
                    Done::Encoded(c, encoder) => columns[c] = Column::Typed(encoder),
                }
            }
        }
        // The columns whose guess was wrong or that held only nulls,
        // finished here; the others' last row group closed.
        let columns: Vec<(usize, Column)> = columns.into_iter().enumerate().collect();
        let finished = threads::run(columns, threads, |(c, col)| {
            finish_column(df, c, col, &stats, &unique, &blocks, &props)
        })?;
        let fields: Vec<FieldRef> = finished.iter().map(|(f, _)| f.clone()).collect();
        let schema = Arc::new(Schema::new(fields));
        let (mut file, _) =
            ArrowWriter::try_new(out, schema, Some(props.clone()))?.into_serialized_writer()?;
        let groups = blocks.last().map_or(0, |b| b.group + 1);
        let mut chunks: Vec<_> = finished.into_iter().map(|(_, ch)| ch.into_iter()).collect();
        for _ in 0..groups {
            let mut row_group = file.next_row_group()?;
            for column in chunks.iter_mut() {
                let chunk = column.next().ok_or_else(|| {
                    ParquetError::General("a column is missing a row group".into())
                })?;
                chunk.append_to_row_group(&mut row_group)?;
            }
            row_group.close()?;
        }
        file.into_inner()?.flush()?;
        Ok(())
    })
}

/// Column `c`'s field and chunks, once every block is read: its
/// encoding closed, or (a wrong guess, or nulls only) done here.
fn finish_column(
    df: &DataFrame,
    c: usize,
    col: Column,
    stats: &[Option<&ColumnStatistics>],
    unique: &[String],
    blocks: &[Block],
    props: &WriterProperties,
) -> Result<(FieldRef, Vec<ArrowColumnChunk>), Failure> {
    let name = &df.columns()[c];
    match col {
        Column::Typed(encoder) => return Ok(encoder.finish()?),
        Column::Nulls => {
            // Nulls only (or no rows): the statistics' type, else Null.
            let ty = stats[c].and_then(hint).unwrap_or(ColumnType::Null);
            if blocks.is_empty() {
                // No rows: no row group, only the field.
                return Ok((Arc::new(field(&unique[c], name, ty)), Vec::new()));
            }
            let mut encoder = Encoder::new(&unique[c], name, ty, props)?;
            for b in blocks {
                encoder.write_builder(b.group, Builder::Null(b.rows.len()))?;
            }
            return Ok(encoder.finish()?);
        }
        // An encoder still out (it never is: each step takes them back).
        Column::Wrong | Column::Busy => {}
    }
    let ty = decide_type(df, c);
    let array =
        build_column(df, c, ty, text_bytes_hint(stats[c], df.len())).map_err(Fail::Frame)?;
    let mut encoder = Encoder::new(&unique[c], name, ty, props)?;
    for b in blocks {
        encoder.write(b.group, &array.slice(b.rows.start, b.rows.len()))?;
    }
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cut_row_groups_and_never_cross_them() {
        assert_eq!(blocks(0, 100, 10), vec![]);
        let b = blocks(25, 12, 5);
        let got: Vec<(Range<usize>, usize)> = b.into_iter().map(|b| (b.rows, b.group)).collect();
        assert_eq!(
            got,
            vec![
                (0..5, 0),
                (5..10, 0),
                (10..12, 0),
                (12..17, 1),
                (17..22, 1),
                (22..24, 1),
                (24..25, 2)
            ]
        );
        assert_eq!(
            blocks(3, usize::MAX, usize::MAX),
            vec![Block {
                rows: 0..3,
                group: 0
            }]
        );
        assert_eq!(block_rows(6), 87_040);
        assert_eq!(block_rows(10_000), 1024);
        assert_eq!(block_rows(0), BLOCK_CELLS);
    }

    /// A frame whose first column has this name panics in its second
    /// block's conversion.
    pub(super) const PANICS: &str = "__panics_in_block_1__";

    /// A bug that panics in one worker reaches the caller as a panic,
    /// without the other workers waiting for it for ever.
    #[test]
    fn a_panicking_job_is_a_panic_not_a_hang() {
        let mut text = format!(r#"[["{PANICS}"]"#);
        for i in 0..5_000 {
            text.push_str(&format!(",[{i}]"));
        }
        text.push(']');
        let df = DataFrame::from_json(&text).unwrap();
        for threads in [1, 2, 3] {
            let panicked = std::panic::catch_unwind(|| {
                let props = WriterProperties::builder().build();
                write_in_blocks(&df, None, std::io::sink(), threads, props, 1024)
            });
            assert!(panicked.is_err(), "{threads} threads");
        }
    }

    fn read_back(file: Vec<u8>) -> (Vec<arrow_array::RecordBatch>, Vec<i64>) {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).unwrap();
        let groups = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let batches = reader.build().unwrap().map(|b| b.unwrap()).collect();
        (batches, groups)
    }

    /// Columns that need the end-of-file paths: a guess proved wrong in
    /// a later block, a type known only after blocks of nulls, nulls only
    /// (with and without a statistics hint), and row groups that end
    /// inside a block's stride.
    #[test]
    fn in_blocks_the_file_holds_the_converted_batch_at_any_thread_count() {
        let rows = 7_000u64;
        let mut text =
            String::from(r#"[["id","late_float","late_start","nulls","hinted","mixed","s"]"#);
        for i in 0..rows {
            let late_float = if i == rows - 3 {
                "2.5".to_string()
            } else {
                i.to_string()
            };
            let late_start = if i < 2_500 {
                "null".to_string()
            } else {
                format!("\"2025-10-24T11:03:05.{:03}Z\"", i % 1000)
            };
            let mixed = if i == 4_000 {
                r#""x""#.to_string()
            } else {
                format!("{}", i % 7 == 0)
            };
            text.push_str(&format!(
                r#",[{i},{late_float},{late_start},null,null,{mixed},"s{}"]"#,
                i % 13
            ));
        }
        text.push(']');
        let df = DataFrame::from_json(&text).unwrap();
        let stats: Statistics = serde_json::from_str(
            r#"{"hinted":{"general":{"count":0,"nulls_count":7000},"string":{"mean_len":3}}}"#,
        )
        .unwrap();
        let want = crate::to_record_batch(&df, Some(&stats)).unwrap();
        let props = || {
            WriterProperties::builder()
                .set_max_row_group_row_count(Some(3_000))
                .build()
        };
        let mut files = Vec::new();
        for threads in [1, 2, 5] {
            let mut out = Vec::new();
            write_in_blocks(&df, Some(&stats), &mut out, threads, props(), 1024).unwrap();
            files.push(out);
        }
        assert!(
            files.iter().all(|f| *f == files[0]),
            "the file depends on the thread count"
        );
        let (batches, groups) = read_back(files.swap_remove(0));
        assert_eq!(groups, vec![3_000, 3_000, 1_000]);
        let got = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
        assert_eq!(got.schema(), want.schema());
        assert_eq!(got, want);
        // Booleans, then a string in the fourth block: JSON text.
        assert_eq!(
            want.schema().field(5).extension_type_name(),
            Some("arrow.json")
        );
        let types: Vec<String> = want
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect();
        assert_eq!(
            types,
            [
                "Int64",
                "Float64",
                "Timestamp(µs, \"UTC\")",
                "Null",
                "Utf8",
                "Utf8",
                "Utf8"
            ]
        );
    }
}
