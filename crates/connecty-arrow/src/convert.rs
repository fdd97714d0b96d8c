//! `DataFrame` (+ `Statistics`) → `RecordBatch`.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{Schema, SchemaRef};
use connecty_proto::ColumnStatistics;
use connecty_proto::{DataFrame, Statistics};

use crate::block::{self, Agreed};
use crate::build::{Builder, Reject};
use crate::error::Error;
use crate::format::FileFormat;
use crate::infer::{ColumnType, Summary, hint, text_bytes_hint};
use crate::schema::{field, unique_names};
use crate::threads::{self, Options};

/// Converts a dataframe to one record batch with a type per column (see
/// the [crate docs](crate) for the ladder). `statistics`, when the answer
/// has them, only decide the type of columns whose cells say nothing (no
/// rows, or every cell null) and size text buffers.
///
/// ```
/// use arrow_array::cast::AsArray;
/// use arrow_array::types::Int64Type;
/// use arrow_schema::DataType;
/// use connecty_proto::DataFrame;
///
/// let df = DataFrame::from_json(r#"[["id","price"],[1,0.1],[2,null]]"#)?;
/// let batch = connecty_arrow::to_record_batch(&df, None)?;
/// assert_eq!(batch.schema().field(0).data_type(), &DataType::Int64);
/// assert_eq!(batch.schema().field(1).data_type(), &DataType::Float64);
/// assert_eq!(batch.column(0).as_primitive::<Int64Type>().value(1), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_record_batch(
    df: &DataFrame,
    statistics: Option<&Statistics>,
) -> Result<RecordBatch, Error> {
    to_record_batch_with(df, statistics, &Options::default())
}

/// [`to_record_batch`] with [`Options`]: how many threads it may use.
///
/// A large frame is cut into blocks of rows, one per thread, that are
/// converted at the same time; the batch is the same, whatever the count.
///
/// ```
/// use std::num::NonZeroUsize;
/// use connecty_arrow::Options;
/// use connecty_proto::DataFrame;
///
/// let df = DataFrame::from_json(r#"[["id"],[1],[2]]"#)?;
/// let one = Options::new().threads(NonZeroUsize::MIN);
/// let batch = connecty_arrow::to_record_batch_with(&df, None, &one)?;
/// assert_eq!(batch, connecty_arrow::to_record_batch(&df, None)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_record_batch_with(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    options: &Options,
) -> Result<RecordBatch, Error> {
    let threads = options.threads_for(df.len().saturating_mul(df.width()));
    convert_in(df, statistics, threads, threads)
}

/// The schema [`to_record_batch`] gives `df`, decided without building a
/// single array: each column's cells go once through the ladder's
/// summary, on one thread. For callers that need only the types (a
/// listing, an MCP tool result), this costs a fraction of a conversion.
///
/// ```
/// use connecty_proto::DataFrame;
///
/// let df = DataFrame::from_json(r#"[["id","price"],[1,0.1],[2,null]]"#)?;
/// let batch = connecty_arrow::to_record_batch(&df, None)?;
/// assert_eq!(connecty_arrow::schema(&df, None), *batch.schema());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn schema(df: &DataFrame, statistics: Option<&Statistics>) -> Schema {
    let names = df.columns();
    let unique = unique_names(names);
    let stats = column_statistics(df, statistics);
    let fields: Vec<_> = (0..df.width())
        .map(|c| {
            let mut summary = Summary::default();
            for cell in block::column_cells(df, c) {
                summary.add(cell.text);
            }
            let ty = summary.decide(stats[c].and_then(hint));
            field(&unique[c], &names[c], ty)
        })
        .collect();
    Schema::new(fields)
}

/// The conversion with the rows cut into `blocks`, converted by up to
/// `threads` threads.
fn convert_in(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    blocks: usize,
    threads: usize,
) -> Result<RecordBatch, Error> {
    let Columns { schema, pending } = columns(df, statistics, blocks, threads)?;
    let arrays = threads::run_largest_first(pending, threads, Pending::weight, |p| p.array(df))?;
    let options = RecordBatchOptions::new().with_row_count(Some(df.len()));
    RecordBatch::try_new_with_options(schema, arrays, &options).map_err(|e| Error::Encode {
        format: FileFormat::ArrowIpc,
        message: e.to_string(),
    })
}

/// A frame whose cells are read and whose columns' types are decided: its
/// schema, and each column's array still to be made.
struct Columns {
    /// The batch's schema.
    schema: SchemaRef,
    /// One per column, in order.
    pending: Vec<Pending>,
}

/// A column whose type is decided, its array not yet made.
struct Pending {
    c: usize,
    ty: ColumnType,
    text_hint: usize,
    from: Source,
}

enum Source {
    /// Every block's builder, in row order.
    Blocks(Vec<Builder>),
    /// This many nulls.
    Nulls(usize),
    /// Built again from the frame's cells (the blocks disagreed).
    Frame,
}

impl Pending {
    /// Roughly what making the array costs, in bytes.
    fn weight(&self) -> usize {
        match &self.from {
            Source::Blocks(b) => b.iter().map(Builder::weight).sum(),
            Source::Nulls(_) => 0,
            Source::Frame => usize::MAX,
        }
    }

    /// The column's array: the blocks' arrays joined, or built again
    /// from `df`'s cells.
    fn array(self, df: &DataFrame) -> Result<ArrayRef, Error> {
        let name = df.columns().get(self.c).map_or("", String::as_str);
        match self.from {
            Source::Blocks(builders) => block::join(self.ty, builders, self.c, name),
            Source::Nulls(n) => Builder::Null(n)
                .into_type(self.ty)
                .finish()
                .map_err(|e| Error::column(self.c, name, e.to_string())),
            Source::Frame => build_column(df, self.c, self.ty, self.text_hint),
        }
    }
}

/// The statistics of each of `df`'s columns, by name.
pub(crate) fn column_statistics<'s>(
    df: &DataFrame,
    statistics: Option<&'s Statistics>,
) -> Vec<Option<&'s ColumnStatistics>> {
    df.columns()
        .iter()
        .map(|n| statistics.and_then(|s| s.column(n)))
        .collect()
}

/// Reads `df`'s cells, its rows cut into `blocks` converted by up to
/// `threads` threads, and decides each column's type.
fn columns(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    blocks: usize,
    threads: usize,
) -> Result<Columns, Error> {
    let rows = df.len();
    let names = df.columns();
    let stats = column_statistics(df, statistics);
    let text_hints: Vec<usize> = stats.iter().map(|s| text_bytes_hint(*s, rows)).collect();
    let mut converted = if df.width() == 0 {
        Vec::new()
    } else {
        threads::run(block::even(rows, blocks), threads, |block| {
            block::convert(df, block, &text_hints)
        })?
    };
    let agreed: Vec<Agreed> = (0..df.width())
        .map(|c| block::take_column(&mut converted, c))
        .collect();
    drop(converted);
    // The columns the blocks disagree on: each decided from all its
    // cells, one thread per column.
    let undecided: Vec<usize> = (0..df.width())
        .filter(|&c| matches!(agreed[c], Agreed::No))
        .collect();
    let mut decided =
        threads::run(undecided, threads, |c| Ok::<_, Error>(decide_type(df, c)))?.into_iter();
    let unique = unique_names(names);
    let mut fields = Vec::with_capacity(df.width());
    let mut pending = Vec::with_capacity(df.width());
    for (c, agreed) in agreed.into_iter().enumerate() {
        let (ty, from) = match agreed {
            Agreed::Type(ty, builders) => (ty, Source::Blocks(builders)),
            Agreed::Nulls(n) => {
                let ty = stats[c].and_then(hint).unwrap_or(ColumnType::Null);
                (ty, Source::Nulls(n))
            }
            // `run` gave one type per undecided column, in order; JSON
            // text (which holds anything) should it ever not.
            Agreed::No => (decided.next().unwrap_or(ColumnType::Json), Source::Frame),
        };
        fields.push(field(&unique[c], &names[c], ty));
        pending.push(Pending {
            c,
            ty,
            text_hint: text_hints[c],
            from,
        });
    }
    Ok(Columns {
        schema: Arc::new(Schema::new(fields)),
        pending,
    })
}

/// The type of a column that its blocks did not agree on, decided from
/// all its cells.
pub(crate) fn decide_type(df: &DataFrame, c: usize) -> ColumnType {
    let mut summary = Summary::default();
    for cell in block::column_cells(df, c) {
        summary.add(cell.text);
    }
    summary.decide(None)
}

/// Column `c` of `df` built from its cells as type `ty`.
pub(crate) fn build_column(
    df: &DataFrame,
    c: usize,
    ty: ColumnType,
    text_hint: usize,
) -> Result<ArrayRef, Error> {
    let name = df.columns().get(c).map_or("", String::as_str);
    if c >= df.width() {
        return Err(Error::column(c, name, "column out of range"));
    }
    let mut b = Builder::new(ty, df.len(), text_hint);
    for (i, cell) in block::column_cells(df, c).enumerate() {
        match b.push(cell) {
            Ok(()) => {}
            Err(Reject::TooLarge) => return Err(block::too_large(c, name)),
            Err(Reject::Misfit) => {
                return Err(Error::column(
                    c,
                    name,
                    format!(
                        "row {i}: a cell does not fit the type its column decided (a connecty-arrow bug; please report it)"
                    ),
                ));
            }
        }
    }
    b.finish()
        .map_err(|e| Error::column(c, name, e.to_string()))
}

#[cfg(test)]
mod tests {
    use arrow_schema::DataType;

    use super::*;

    #[test]
    fn blocks_agree_with_one_pass() {
        // Columns whose blocks guess alike, differ, hold only nulls,
        // or give up half-way; a lone surrogate; nested values.
        let rows = [
            r#"[1, null, "a", null, "2025-10-24", 1, true]"#,
            r#"[2, null, "b", 7, "2025-10-25", 2, false]"#,
            r#"[3, 1.5, "c\"q", null, "2025-10-26", 3, null]"#,
            r#"[4, 2, "\ud800", null, "x", 18446744073709551615, true]"#,
            r#"[5, null, "e", [1], "2025-10-27", 5, false]"#,
            r#"[6, 0.1, "f", null, null, -1, true]"#,
            r#"[7, null, null, null, "2025-10-28", 7, true]"#,
        ];
        let text = format!(r#"[["a","b","c","d","e","f","g"],{}]"#, rows.join(","));
        let df = DataFrame::from_json(&text).unwrap();
        let one = convert_in(&df, None, 1, 1).unwrap();
        assert_eq!(schema(&df, None), *one.schema());
        for n in 1..=8 {
            for threads in [1, 3] {
                let got = convert_in(&df, None, n, threads).unwrap();
                assert_eq!(got, one, "{n} blocks");
                // A validity buffer only where there are nulls, whatever
                // the count (a Parquet writer encodes a column with one
                // differently).
                for (c, a) in got.columns().iter().enumerate() {
                    let materialized = a.nulls().is_some() && a.data_type() != &DataType::Null;
                    assert_eq!(materialized, a.null_count() > 0, "{n} blocks, column {c}");
                }
            }
        }
        let types: Vec<String> = one
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
                "Utf8",
                "Utf8",
                "Utf8",
                "Decimal128(38, 0)",
                "Boolean"
            ]
        );
    }
}
