//! Keyword arguments as the core's types: each check is pure, and a bad
//! value is an `InvalidInput` naming the argument. Wrong types never get
//! here: pyo3 raises `TypeError` when it extracts them.

use std::time::Duration;

use connecty_proto::{IncludeSet, MAX_ROWS_LIMIT, QuestionId, ResultsOptions, WorkspaceId};

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;

use crate::errors::{Exception, Raise};

/// An integer argument: `TypeError` when it is not an int; one beyond 128
/// bits is clamped to `i128::MIN` or `i128::MAX`, which every check
/// refuses, so a huge `dw` is an `InvalidInput` and not an
/// `OverflowError`.
pub(crate) fn int(obj: &Bound<'_, PyAny>) -> PyResult<i128> {
    match obj.extract::<i128>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
            Ok(if obj.lt(0)? { i128::MIN } else { i128::MAX })
        }
        Err(e) => Err(e),
    }
}

/// `n` as a message shows it: a clamped value is "out of range".
fn shown(n: i128) -> String {
    if n == i128::MIN || n == i128::MAX {
        "a number out of range".to_string()
    } else {
        n.to_string()
    }
}

/// `dw`: a workspace id, 0 or more.
pub(crate) fn workspace(dw: i128) -> Result<WorkspaceId, Raise> {
    u64::try_from(dw).map(WorkspaceId).map_err(|_| {
        Exception::invalid(
            "dw",
            format!(
                "must be a workspace id, 0 to {}, got {}",
                u64::MAX,
                shown(dw)
            ),
        )
    })
}

/// `question_id`: the UUID `submit` returned.
pub(crate) fn question_id(id: &str) -> Result<QuestionId, Raise> {
    id.trim().parse::<QuestionId>().map_err(|_| {
        Exception::invalid(
            "question_id",
            format!(
                "{:?} is not a question id: expected the UUID that submit() returned",
                connecty_proto::excerpt(id.as_bytes())
            ),
        )
    })
}

/// `max_rows`: 1 to 10,000,000, or `None` (the server's 1,000).
pub(crate) fn max_rows(max_rows: Option<i128>) -> Result<Option<u32>, Raise> {
    match max_rows {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_ROWS_LIMIT).contains(n))
            .map(Some)
            .ok_or_else(|| {
                Exception::invalid(
                    "max_rows",
                    format!("must be between 1 and {MAX_ROWS_LIMIT}, got {}", shown(n)),
                )
            }),
    }
}

/// `include`: names of result components (`dataframe`, `statistics`,
/// `sqlquery`, `summary`, or `all`); `None` is the default set.
pub(crate) fn include(include: Option<Vec<String>>) -> Result<IncludeSet, Raise> {
    match include {
        None => Ok(IncludeSet::ALL),
        Some(names) => IncludeSet::parse(&names.join(","))
            .map_err(|e| Exception::invalid("include", e.message)),
    }
}

/// `timeout`: seconds, more than 0.
pub(crate) fn timeout(seconds: Option<f64>) -> Result<Option<Duration>, Raise> {
    match seconds {
        None => Ok(None),
        Some(s) => Duration::try_from_secs_f64(s)
            .ok()
            .filter(|d| !d.is_zero())
            .map(Some)
            .ok_or_else(|| {
                Exception::invalid(
                    "timeout",
                    format!("must be a number of seconds above 0, got {s}"),
                )
            }),
    }
}

/// The results options of `ask` and `results`.
pub(crate) fn results_options(
    max_rows_arg: Option<i128>,
    include_arg: Option<Vec<String>>,
) -> Result<ResultsOptions, Raise> {
    Ok(ResultsOptions {
        include: include(include_arg)?,
        max_rows: max_rows(max_rows_arg)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_argument() {
        let cases: Vec<(Raise, &str)> = vec![
            (workspace(-1).unwrap_err(), "dw"),
            (max_rows(Some(0)).unwrap_err(), "max_rows"),
            (max_rows(Some(-5)).unwrap_err(), "max_rows"),
            (max_rows(Some(10_000_001)).unwrap_err(), "max_rows"),
            (max_rows(Some(i128::MAX)).unwrap_err(), "max_rows"),
            (workspace(i128::MIN).unwrap_err(), "dw"),
            (workspace(i128::from(u64::MAX) + 1).unwrap_err(), "dw"),
            (include(Some(vec!["rows".into()])).unwrap_err(), "include"),
            (include(Some(vec![])).unwrap_err(), "include"),
            (timeout(Some(0.0)).unwrap_err(), "timeout"),
            (timeout(Some(-1.0)).unwrap_err(), "timeout"),
            (timeout(Some(f64::NAN)).unwrap_err(), "timeout"),
            (timeout(Some(f64::INFINITY)).unwrap_err(), "timeout"),
            (question_id("nope").unwrap_err(), "question_id"),
        ];
        for (r, arg) in cases {
            assert_eq!(r.class, "InvalidInput");
            assert_eq!(r.argument.as_deref(), Some(arg), "{r:?}");
            assert!(r.message.starts_with(&format!("{arg}: ")), "{r:?}");
        }
    }

    #[test]
    fn good_values_pass() {
        assert_eq!(workspace(13).unwrap(), WorkspaceId(13));
        assert_eq!(workspace(u64::MAX.into()).unwrap(), WorkspaceId(u64::MAX));
        assert_eq!(max_rows(Some(10_000_000)).unwrap(), Some(10_000_000));
        assert_eq!(max_rows(None).unwrap(), None);
        assert_eq!(
            timeout(Some(0.25)).unwrap(),
            Some(Duration::from_millis(250))
        );
        let set = include(Some(vec!["dataframe".into(), "sql".into()])).unwrap();
        assert_eq!(set.to_query_value(), "dataframe,sqlquery");
        assert_eq!(include(None).unwrap(), IncludeSet::ALL);
    }
}
