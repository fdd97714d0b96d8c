//! `DataFrame` (+ `Statistics`) → `RecordBatch`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::extension::Json;
use arrow_schema::{Field, Schema, SchemaRef};
use connecty_proto::ColumnStatistics;
use connecty_proto::{DataFrame, Statistics};

use crate::build::{Builder, Reject};
use crate::cells::Raw;
use crate::infer::{ColumnType, Summary};
use crate::temporal::{parse_date, parse_timestamp};
use crate::{Error, Options, parts, threads};

/// Field metadata key: the column's name as sent, when the field's name
/// differs (a repeated or empty name).
pub const META_NAME: &str = "connecty:name";
/// Field metadata key on timestamp columns: what became of each value's
/// UTC offset.
pub const META_OFFSET: &str = "connecty:offset";
/// The value of [`META_OFFSET`].
pub const OFFSET_NOT_KEPT: &str =
    "not kept: each value's instant is exact, converted from its own UTC offset to UTC";

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
/// A large frame is cut into stretches of rows, one per thread, that are
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

/// The conversion with the rows cut into `stretches`, converted by up to
/// `threads` threads.
fn convert_in(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    stretches: usize,
    threads: usize,
) -> Result<RecordBatch, Error> {
    let Columns { schema, pending } = columns(df, statistics, stretches, threads)?;
    let arrays = threads::run_largest_first(pending, threads, Pending::weight, |p| p.array(df))?;
    let options = RecordBatchOptions::new().with_row_count(Some(df.len()));
    RecordBatch::try_new_with_options(schema, arrays, &options).map_err(|e| Error::Encode {
        format: crate::FileFormat::ArrowIpc,
        message: e.to_string(),
    })
}

/// A frame whose cells are read and whose columns' types are decided: its
/// schema, and each column's array still to be made.
pub(crate) struct Columns {
    /// The batch's schema.
    pub schema: SchemaRef,
    /// One per column, in order.
    pub pending: Vec<Pending>,
}

/// A column whose type is decided, its array not yet made.
pub(crate) struct Pending {
    c: usize,
    ty: ColumnType,
    text_hint: usize,
    from: Source,
}

enum Source {
    /// Every stretch's builder, in row order.
    Parts(Vec<Builder>),
    /// This many nulls.
    Nulls(usize),
    /// Built again from the frame's cells (the stretches disagreed).
    Cells,
}

impl Pending {
    /// Roughly what making and writing the array costs, in bytes.
    pub fn weight(&self) -> usize {
        match &self.from {
            Source::Parts(b) => b.iter().map(Builder::weight).sum(),
            Source::Nulls(_) => 0,
            Source::Cells => usize::MAX,
        }
    }

    /// The column's array: the stretches' arrays joined, or built again
    /// from `df`'s cells.
    pub fn array(self, df: &DataFrame) -> Result<ArrayRef, Error> {
        let name = df.columns().get(self.c).map_or("", String::as_str);
        match self.from {
            Source::Parts(builders) => parts::join(self.ty, builders, self.c, name),
            Source::Nulls(n) => Builder::Null(n)
                .into_type(self.ty)
                .finish()
                .map_err(|e| Error::column(self.c, name, e.to_string())),
            Source::Cells => build_column(df, self.c, self.ty, self.text_hint),
        }
    }
}

/// Reads `df`'s cells, its rows cut into `stretches` converted by up to
/// `threads` threads, and decides each column's type.
pub(crate) fn columns(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    stretches: usize,
    threads: usize,
) -> Result<Columns, Error> {
    let rows = df.len();
    let names = df.columns();
    let stats: Vec<Option<&ColumnStatistics>> = names
        .iter()
        .map(|n| statistics.and_then(|s| s.column(n)))
        .collect();
    let text_hints: Vec<usize> = stats.iter().map(|s| text_bytes_hint(*s, rows)).collect();
    let mut parts = if df.width() == 0 {
        Vec::new()
    } else {
        let text = df.raw_json_bytes();
        let stretches = parts::stretches(df, text, stretches);
        threads::run(stretches, threads, |stretch| {
            parts::convert(df, text, stretch, &text_hints)
        })?
    };
    let agreed: Vec<parts::Agreed> = (0..df.width())
        .map(|c| parts::take_column(&mut parts, c))
        .collect();
    drop(parts);
    // The columns the stretches disagree on: each decided from all its
    // cells, one thread per column.
    let undecided: Vec<usize> = (0..df.width())
        .filter(|&c| matches!(agreed[c], parts::Agreed::No))
        .collect();
    let mut decided =
        threads::run(undecided, threads, |c| Ok::<_, Error>(decide_type(df, c)))?.into_iter();
    let unique = unique_names(names);
    let mut fields = Vec::with_capacity(df.width());
    let mut pending = Vec::with_capacity(df.width());
    for (c, agreed) in agreed.into_iter().enumerate() {
        let (ty, from) = match agreed {
            parts::Agreed::Type(ty, builders) => (ty, Source::Parts(builders)),
            parts::Agreed::Nulls(n) => {
                let ty = stats[c].and_then(hint).unwrap_or(ColumnType::Null);
                (ty, Source::Nulls(n))
            }
            // `run` gave one type per undecided column, in order; JSON
            // text (which holds anything) should it ever not.
            parts::Agreed::No => (decided.next().unwrap_or(ColumnType::Json), Source::Cells),
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

/// The type of a column that its stretches did not agree on, decided
/// from all its cells.
pub(crate) fn decide_type(df: &DataFrame, c: usize) -> ColumnType {
    let mut summary = Summary::default();
    if let Some(column) = df.column_at(c) {
        for cell in column.cells() {
            summary.add(cell.raw());
        }
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
    let column = df
        .column_at(c)
        .ok_or_else(|| Error::column(c, name, "column out of range"))?;
    let mut b = Builder::new(ty, df.len(), text_hint);
    for (i, cell) in column.cells().enumerate() {
        match b.push(Raw::of(cell.raw())) {
            Ok(()) => {}
            Err(Reject::TooLarge) => return Err(parts::too_large(c, name)),
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

/// The type statistics suggest for a column whose cells say nothing.
pub(crate) fn hint(stats: &ColumnStatistics) -> Option<ColumnType> {
    if let Some(t) = &stats.temporal {
        let ends: Vec<String> = [t.min.as_ref(), t.max.as_ref()]
            .into_iter()
            .flatten()
            .map(|ts| ts.as_str().to_string())
            .chain(
                ["min", "max"]
                    .iter()
                    .filter_map(|k| t.extra.get(k))
                    .filter_map(|raw| serde_json_str(raw.get())),
            )
            .collect();
        if ends.is_empty() {
            return None;
        }
        return Some(if ends.iter().all(|s| parse_timestamp(s).is_some()) {
            ColumnType::Timestamp
        } else if ends.iter().all(|s| parse_date(s).is_some()) {
            ColumnType::Date32
        } else {
            ColumnType::Utf8
        });
    }
    if stats.string.is_some() {
        return Some(ColumnType::Utf8);
    }
    let numeric = stats.other.get("numeric")?.to_value();
    let mut summary = Summary::default();
    for key in ["min", "max"] {
        if let Some(v @ serde_json::Value::Number(_)) = numeric.get(key) {
            summary.add(&v.to_string());
        }
    }
    match summary.decide(None) {
        ColumnType::Null => None,
        ty => Some(ty),
    }
}

fn serde_json_str(raw: &str) -> Option<String> {
    crate::text::decode(raw)
        .filter(|_| raw.starts_with('"'))
        .map(|s| s.into_owned())
}

/// Bytes to reserve for a text column: `string.mean_len` × rows when the
/// statistics say it (lengths are in characters, so it is a floor).
pub(crate) fn text_bytes_hint(stats: Option<&ColumnStatistics>, rows: usize) -> usize {
    stats
        .and_then(|s| s.string.as_ref())
        .and_then(|s| s.mean_len)
        .filter(|m| m.is_finite() && *m >= 0.0)
        .map(|m| (m * rows as f64).min(i32::MAX as f64) as usize)
        .unwrap_or(0)
}

/// Field names that are unique and non-empty: a repeated name gets `_2`,
/// `_3`… (the first suffix not taken), an empty one `column_<index>`.
pub(crate) fn unique_names(names: &[String]) -> Vec<String> {
    let sent: HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut used: HashSet<String> = HashSet::with_capacity(names.len());
    let mut out = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        if !n.is_empty() && used.insert(n.clone()) {
            out.push(n.clone());
            continue;
        }
        let base = if n.is_empty() {
            format!("column_{i}")
        } else {
            n.clone()
        };
        // Bounded: at most `names.len()` candidates are taken.
        let mut k = if n.is_empty() { 1 } else { 2 };
        loop {
            let candidate = if k == 1 {
                base.clone()
            } else {
                format!("{base}_{k}")
            };
            if !sent.contains(candidate.as_str()) && !used.contains(&candidate) {
                used.insert(candidate.clone());
                out.push(candidate);
                break;
            }
            k += 1;
        }
    }
    out
}

pub(crate) fn field(name: &str, sent: &str, ty: ColumnType) -> Field {
    let mut meta = HashMap::new();
    if name != sent {
        meta.insert(META_NAME.to_string(), sent.to_string());
    }
    if ty == ColumnType::Timestamp {
        meta.insert(META_OFFSET.to_string(), OFFSET_NOT_KEPT.to_string());
    }
    let f = Field::new(name, ty.data_type(), true).with_metadata(meta);
    if ty == ColumnType::Json {
        f.with_extension_type(Json::default())
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use arrow_schema::DataType;

    use super::*;

    #[test]
    fn stretches_agree_with_one_pass() {
        // Columns whose stretches guess alike, differ, hold only nulls,
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
        for n in 1..=8 {
            for threads in [1, 3] {
                let got = convert_in(&df, None, n, threads).unwrap();
                assert_eq!(got, one, "{n} stretches");
                // A validity buffer only where there are nulls, whatever
                // the count (a Parquet writer encodes a column with one
                // differently).
                for (c, a) in got.columns().iter().enumerate() {
                    let materialized = a.nulls().is_some() && a.data_type() != &DataType::Null;
                    assert_eq!(
                        materialized,
                        a.null_count() > 0,
                        "{n} stretches, column {c}"
                    );
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

    #[test]
    fn names_are_made_unique() {
        let n = |v: &[&str]| unique_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(n(&["a", "b"]), ["a", "b"]);
        assert_eq!(n(&["id", "id", "id"]), ["id", "id_2", "id_3"]);
        assert_eq!(n(&["id", "id", "id_2"]), ["id", "id_3", "id_2"]);
        assert_eq!(n(&["", "x", ""]), ["column_0", "x", "column_2"]);
        assert_eq!(n(&["column_0", ""]), ["column_0", "column_1"]);
        assert_eq!(n(&["", "column_0"]), ["column_0_2", "column_0"]);
    }
}
