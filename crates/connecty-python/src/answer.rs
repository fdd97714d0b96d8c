//! `connecty.Answer`: a question's results, with its dataframe converted
//! once (off the GIL) to an Arrow record batch by connecty-arrow, and
//! handed to pyarrow, polars or DuckDB through the Arrow PyCapsule
//! interface without a copy.

use std::sync::Arc;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator};
use connecty_proto::{Completeness as Rows, QuestionId, QuestionResults, State};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::Exception;

/// An answer as the worker thread prepared it: everything converted, so
/// the GIL is held only to wrap it.
pub(crate) struct Prepared {
    question_id: Option<QuestionId>,
    state: State,
    results: Option<QuestionResults>,
    completeness: Option<Rows>,
    /// The dataframe as Arrow, or why it could not be converted.
    batch: Result<Option<RecordBatch>, String>,
}

impl Prepared {
    /// Converts `results` (off the GIL: this runs on the worker thread).
    pub(crate) fn new(
        question_id: Option<QuestionId>,
        state: State,
        results: Option<QuestionResults>,
        max_rows: Option<u32>,
    ) -> Self {
        let completeness = results.as_ref().and_then(|r| r.completeness(max_rows));
        let batch = match results.as_ref() {
            Some(QuestionResults {
                dataframe: Some(df),
                dataframe_stats,
                ..
            }) => connecty_arrow::to_record_batch(df, dataframe_stats.as_ref())
                .map(Some)
                .map_err(|e| e.to_string()),
            _ => Ok(None),
        };
        Self {
            question_id,
            state,
            results,
            completeness,
            batch,
        }
    }

    /// A waited-for answer: `COMPLETED`, converted.
    pub(crate) fn completed(answer: connecty_proto::Answer) -> Self {
        Self::new(
            Some(answer.question_id),
            State::Completed,
            Some(answer.results),
            answer.max_rows,
        )
    }

    /// The Python object (or the conversion's failure).
    pub(crate) fn into_answer(self, py: Python<'_>) -> PyResult<Answer> {
        let batch = self.batch.map_err(|e| {
            Exception::new(
                "ConnectyError",
                format!("cannot convert the dataframe: {e}"),
            )
            .into_pyerr(py)
        })?;
        let results = self.results.unwrap_or_default();
        let statistics = match &results.dataframe_stats {
            Some(s) => Some(serde_json::to_string(s).map_err(|e| {
                Exception::new("ConnectyError", format!("cannot read the statistics: {e}"))
                    .into_pyerr(py)
            })?),
            None => None,
        };
        let columns = results
            .dataframe
            .as_ref()
            .map(|df| df.columns().iter().map(|c| c.to_string()).collect())
            .unwrap_or_default();
        Ok(Answer {
            question_id: self.question_id.map(|q| q.to_string()),
            state: self.state.as_str().to_string(),
            summary: results.response_summary,
            sql: results.sql_query,
            statistics,
            completeness: self.completeness.map(|c| {
                let rows = batch.as_ref().map_or(0, |b| b.num_rows() as u64);
                Completeness::new(c, rows)
            }),
            columns,
            batch: batch.map(Arc::new),
        })
    }
}

/// Whether the dataframe holds every row of the answer.
///
/// ``complete`` is True when it provably does; ``rows`` is how many it
/// holds; ``at_least`` and ``at_most`` bound the answer's full row count
/// (``None`` when unknown).
#[pyclass(module = "connecty", frozen, get_all)]
#[derive(Debug, Clone)]
pub struct Completeness {
    /// True when every row of the answer is in the dataframe.
    complete: bool,
    /// Rows in the dataframe.
    rows: u64,
    /// The fewest rows the answer has, when known.
    at_least: Option<u64>,
    /// The most rows the answer has, when known.
    at_most: Option<u64>,
}

impl Completeness {
    /// The core's verdict on a frame of `frame_rows` rows.
    fn new(c: Rows, frame_rows: u64) -> Self {
        match c {
            Rows::Complete => Completeness {
                complete: true,
                rows: frame_rows,
                at_least: Some(frame_rows),
                at_most: Some(frame_rows),
            },
            Rows::Cut {
                rows,
                at_least,
                at_most,
            } => Completeness {
                complete: false,
                rows,
                at_least: Some(at_least),
                at_most,
            },
            Rows::Unknown { rows, at_most } => Completeness {
                complete: false,
                rows,
                at_least: Some(rows),
                at_most,
            },
            // A verdict this version does not know: claim nothing.
            _ => Completeness {
                complete: false,
                rows: frame_rows,
                at_least: Some(frame_rows),
                at_most: None,
            },
        }
    }
}

#[pymethods]
impl Completeness {
    fn __repr__(&self) -> String {
        let opt = |v: Option<u64>| v.map_or("None".to_string(), |v| v.to_string());
        format!(
            "Completeness(complete={}, rows={}, at_least={}, at_most={})",
            if self.complete { "True" } else { "False" },
            self.rows,
            opt(self.at_least),
            opt(self.at_most)
        )
    }
}

/// A question's answer: its state, summary, SQL, statistics and dataframe.
///
/// The dataframe's columns follow connecty-arrow's type ladder exactly (a
/// 20-digit integer stays exact). Read it with ``to_arrow()``,
/// ``to_pandas()``, ``to_polars()``, ``rows()``, or hand the answer itself
/// to anything that reads the Arrow PyCapsule interface:
/// ``pyarrow.table(answer)``, ``polars.DataFrame(answer)``,
/// ``duckdb.sql("select * from answer")``.
#[pyclass(module = "connecty", frozen)]
pub struct Answer {
    question_id: Option<String>,
    state: String,
    summary: Option<String>,
    sql: Option<String>,
    statistics: Option<String>,
    completeness: Option<Completeness>,
    columns: Vec<String>,
    batch: Option<Arc<RecordBatch>>,
}

impl Answer {
    /// The dataframe, or an empty batch when the answer has none.
    fn batch(&self) -> RecordBatch {
        match &self.batch {
            Some(b) => RecordBatch::clone(b),
            None => RecordBatch::new_empty(Arc::new(arrow_schema::Schema::empty())),
        }
    }

    fn convert<'py>(slf: &Bound<'py, Self>, helper: &str) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("connecty._convert")?
            .getattr(helper)?
            .call1((slf,))
    }
}

#[pymethods]
impl Answer {
    /// The question's id (a UUID string).
    #[getter]
    fn question_id(&self) -> Option<&str> {
        self.question_id.as_deref()
    }

    /// The question's state: ``COMPLETED``, ``FAILED``, ``PENDING`` or
    /// ``IN_PROGRESS`` (the last two from ``results(wait=False)``).
    #[getter]
    fn state(&self) -> &str {
        &self.state
    }

    /// The prose answer (``response_summary``), when included.
    #[getter]
    fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    /// The SQL that ran (``sql_query``), when included.
    #[getter]
    fn sql(&self) -> Option<&str> {
        self.sql.as_deref()
    }

    /// The per-column statistics (``dataframe_stats``) as sent, a dict, or
    /// None.
    #[getter]
    fn statistics<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.statistics {
            Some(json) => Ok(Some(py.import("json")?.call_method1("loads", (json,))?)),
            None => Ok(None),
        }
    }

    /// Whether the dataframe holds every row (None without a dataframe).
    #[getter]
    fn completeness(&self) -> Option<Completeness> {
        self.completeness.clone()
    }

    /// The column names as sent.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.columns.clone()
    }

    /// Rows in the dataframe.
    fn __len__(&self) -> usize {
        self.batch.as_ref().map_or(0, |b| b.num_rows())
    }

    /// The Arrow PyCapsule interface: the dataframe as an Arrow C stream of
    /// one record batch, shared with the consumer without a copy.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is ours to choose; a consumer casts if it wants
        // another (the interface allows ignoring the request).
        let _ = requested_schema;
        let batch = self.batch();
        let schema = batch.schema();
        let reader = RecordBatchIterator::new(vec![Ok(batch)], schema);
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The dataframe as a ``pyarrow.Table`` (no copy).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::convert(slf, "to_arrow")
    }

    /// The dataframe as a ``pandas.DataFrame`` (through pyarrow).
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::convert(slf, "to_pandas")
    }

    /// The dataframe as a ``polars.DataFrame`` (no copy).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::convert(slf, "to_polars")
    }

    /// The rows as tuples of Python values: exact ``int``, ``Decimal`` for
    /// decimals, timezone-aware ``datetime``, ``date``, ``str``, ``bool``,
    /// ``None``, and JSON values (lists, dicts) for nested cells.
    fn rows<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::convert(slf, "rows")
    }

    /// Writes the dataframe to a Parquet file (zstd), as ``connecty ask
    /// --output FILE.parquet`` does.
    fn write_parquet(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let batch = self.batch();
        let r = py.detach(|| -> Result<(), String> {
            let file = std::fs::File::create(&path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            connecty_arrow::write_parquet(&batch, std::io::BufWriter::new(file))
                .map_err(|e| e.to_string())
        });
        r.map_err(|e| Exception::new("ConnectyError", e).into_pyerr(py))
    }

    /// Writes the dataframe to a CSV file with a header row (through
    /// pyarrow.csv).
    fn write_csv(slf: &Bound<'_, Self>, path: Bound<'_, PyAny>) -> PyResult<()> {
        slf.py()
            .import("connecty._convert")?
            .getattr("write_csv")?
            .call1((slf, path))?;
        Ok(())
    }

    /// A short table, as pandas shows one.
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Self::convert(slf, "short_repr")?.extract()
    }
}
