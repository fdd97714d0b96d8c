//! Is this all of it? Whether a dataframe may have been cut at `max_rows`.
//!
//! The API cuts every dataframe at `max_rows` (1,000 when it is not sent)
//! and says nothing about it. Two things tell:
//!
//! - **rows returned vs `max_rows` asked**: fewer rows than asked means the
//!   server had no more (unless the statistics say otherwise);
//! - **the statistics**, computed over the whole result: each column's
//!   `general.count` and `general.nulls_count`.
//!
//! ## What `general.count` means
//!
//! The reference's example has no nulls, so it does not say whether `count`
//! counts every row (SQL's `COUNT(*)`) or only the non-null values
//! (pandas' `count()`, as connecty-emulator computes it). The rule here
//! holds under both readings:
//!
//! - the total is **at least** every column's `count` (pandas: total =
//!   count + nulls >= count; SQL: total = count);
//! - the total is **at most** `count + nulls_count` of every column that
//!   has both (pandas: equal; SQL: count <= count + nulls).
//!
//! So a frame holding fewer rows than some column's `count` is cut, and
//! when the bounds meet (no nulls, or one reading ruled out) the total is
//! known exactly.

use crate::results::QuestionResults;
use crate::stats::Statistics;

/// The server's `max_rows` when none is sent.
pub const DEFAULT_MAX_ROWS: u32 = 1_000;

/// The answer to "is this all of it?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Completeness {
    /// Every row of the answer is in the frame.
    Complete,
    /// Rows are missing: the answer has at least `at_least` rows (more than
    /// the frame's `rows`), and at most `at_most` when the statistics bound
    /// it. [`Completeness::total`] gives the total when the two meet.
    Cut {
        /// Rows in the frame.
        rows: u64,
        /// The fewest rows the answer has (always more than `rows`).
        at_least: u64,
        /// The most rows the answer has, when known.
        at_most: Option<u64>,
    },
    /// The frame holds as many rows as were asked for, and nothing tells
    /// whether there are more (no statistics, or statistics that allow
    /// both). `at_most` bounds the total when the statistics do.
    Unknown {
        /// Rows in the frame.
        rows: u64,
        /// The most rows the answer has, when known.
        at_most: Option<u64>,
    },
}

impl Completeness {
    /// The answer's full row count, when it is known exactly.
    pub fn total(&self) -> Option<u64> {
        match *self {
            Completeness::Cut {
                at_least,
                at_most: Some(m),
                ..
            } if m == at_least => Some(m),
            _ => None,
        }
    }

    /// Whether every row is there.
    pub fn is_complete(&self) -> bool {
        matches!(self, Completeness::Complete)
    }
}

/// What the statistics say about the answer's row count: `(at_least,
/// at_most)`, each `None` when no column tells. See the module doc for why
/// these bounds hold whatever `general.count` means.
pub fn row_bounds(statistics: &Statistics) -> (Option<u64>, Option<u64>) {
    let mut at_least: Option<u64> = None;
    let mut at_most: Option<u64> = None;
    for (_, column) in statistics.iter() {
        let Some(general) = &column.general else {
            continue;
        };
        if let Some(count) = general.count {
            at_least = Some(at_least.map_or(count, |l| l.max(count)));
            if let Some(nulls) = general.nulls_count {
                let most = count.saturating_add(nulls);
                at_most = Some(at_most.map_or(most, |m| m.min(most)));
            }
        }
    }
    (at_least, at_most)
}

/// Whether a frame of `rows` rows, fetched with `max_rows` (`None`: the
/// server's [`DEFAULT_MAX_ROWS`]), holds the whole answer, given the
/// answer's statistics when they were included. Pure.
pub fn completeness(
    rows: u64,
    max_rows: Option<u32>,
    statistics: Option<&Statistics>,
) -> Completeness {
    let asked = u64::from(max_rows.unwrap_or(DEFAULT_MAX_ROWS));
    let (at_least, at_most) = statistics.map_or((None, None), row_bounds);
    match at_least {
        // Some column counts more values than the frame has rows.
        Some(l) if l > rows => Completeness::Cut {
            rows,
            at_least: l,
            // Inconsistent statistics (a bound under the count) bound
            // nothing.
            at_most: at_most.filter(|m| *m >= l),
        },
        // Fewer rows than asked: the server had no more.
        _ if rows < asked => Completeness::Complete,
        // As many as asked: cut unless the statistics rule more out.
        _ => match at_most {
            Some(m) if m <= rows => Completeness::Complete,
            _ => Completeness::Unknown { rows, at_most },
        },
    }
}

impl QuestionResults {
    /// Whether the dataframe holds every row, given the `max_rows` it was
    /// fetched with (`None`: none was sent, so the server's 1,000 applied).
    /// `None` when the results carry no dataframe. Include `statistics` to
    /// learn the total of a cut frame.
    pub fn completeness(&self, max_rows: Option<u32>) -> Option<Completeness> {
        let df = self.dataframe.as_ref()?;
        Some(completeness(
            df.len() as u64,
            max_rows,
            self.dataframe_stats.as_ref(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column's `(count, nulls_count)`.
    type Counts = (Option<u64>, Option<u64>);

    /// Statistics with one column per `(count, nulls_count)`.
    fn stats(columns: &[Counts]) -> Statistics {
        let mut body = String::from("{");
        for (i, (count, nulls)) in columns.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            let mut general = Vec::new();
            if let Some(c) = count {
                general.push(format!(r#""count":{c}"#));
            }
            if let Some(n) = nulls {
                general.push(format!(r#""nulls_count":{n}"#));
            }
            body.push_str(&format!(
                r#""c{i}":{{"general":{{{}}}}}"#,
                general.join(",")
            ));
        }
        body.push('}');
        serde_json::from_str(&body).unwrap()
    }

    #[test]
    fn bounds_hold_under_both_readings_of_count() {
        // (columns, (at_least, at_most))
        let cases: Vec<(Vec<Counts>, Counts)> = vec![
            (vec![], (None, None)),
            // The reference: no nulls, the total is 100 either way.
            (
                vec![(Some(100), Some(0)), (Some(100), Some(0))],
                (Some(100), Some(100)),
            ),
            // pandas: a column with 3 nulls counts 97 values of 100 rows.
            (
                vec![(Some(97), Some(3)), (Some(100), Some(0))],
                (Some(100), Some(100)),
            ),
            // Alone, (97, 3) allows 97 (SQL) to 100 (pandas).
            (vec![(Some(97), Some(3))], (Some(97), Some(100))),
            // A count without nulls_count bounds only from below.
            (vec![(Some(50), None)], (Some(50), None)),
            (vec![(None, Some(4))], (None, None)),
        ];
        for (columns, want) in cases {
            assert_eq!(row_bounds(&stats(&columns)), want, "{columns:?}");
        }
    }

    #[test]
    fn table_of_verdicts() {
        let none: Option<&Statistics> = None;
        let five_thousand = stats(&[(Some(5000), Some(0))]);
        let thousand = stats(&[(Some(1000), Some(0))]);
        let maybe = stats(&[(Some(1000), Some(5))]);
        let low_only = stats(&[(Some(700), None)]);
        let cases: Vec<(u64, Option<u32>, Option<&Statistics>, Completeness)> = vec![
            // Fewer rows than asked, nothing else known: all there.
            (5, None, none, Completeness::Complete),
            (49, Some(50), none, Completeness::Complete),
            (0, None, none, Completeness::Complete),
            // As many as asked, no statistics: cannot tell.
            (
                1000,
                None,
                none,
                Completeness::Unknown {
                    rows: 1000,
                    at_most: None,
                },
            ),
            (
                50,
                Some(50),
                none,
                Completeness::Unknown {
                    rows: 50,
                    at_most: None,
                },
            ),
            // The issue's case: 1,000 shown, the statistics count 5,000.
            (
                1000,
                None,
                Some(&five_thousand),
                Completeness::Cut {
                    rows: 1000,
                    at_least: 5000,
                    at_most: Some(5000),
                },
            ),
            // Cut below max_rows too, if a count says so.
            (
                10,
                Some(50),
                Some(&five_thousand),
                Completeness::Cut {
                    rows: 10,
                    at_least: 5000,
                    at_most: Some(5000),
                },
            ),
            // Exactly max_rows rows, and the statistics count exactly that.
            (1000, None, Some(&thousand), Completeness::Complete),
            // 1,000 values and 5 nulls: 1,000 rows (SQL) or 1,005 (pandas).
            (
                1000,
                None,
                Some(&maybe),
                Completeness::Unknown {
                    rows: 1000,
                    at_most: Some(1005),
                },
            ),
            // A lower bound only.
            (
                500,
                Some(500),
                Some(&low_only),
                Completeness::Cut {
                    rows: 500,
                    at_least: 700,
                    at_most: None,
                },
            ),
            (
                1000,
                None,
                Some(&low_only),
                Completeness::Unknown {
                    rows: 1000,
                    at_most: None,
                },
            ),
        ];
        for (rows, max_rows, st, want) in cases {
            assert_eq!(
                completeness(rows, max_rows, st),
                want,
                "{rows} rows, max {max_rows:?}"
            );
        }
    }

    #[test]
    fn the_total_is_known_only_when_the_bounds_meet() {
        let cut = |at_most| Completeness::Cut {
            rows: 1,
            at_least: 9,
            at_most,
        };
        assert_eq!(cut(Some(9)).total(), Some(9));
        assert_eq!(cut(Some(12)).total(), None);
        assert_eq!(cut(None).total(), None);
        assert_eq!(Completeness::Complete.total(), None);
        assert!(Completeness::Complete.is_complete());
    }

    #[test]
    fn results_without_a_dataframe_say_nothing() {
        let r = QuestionResults::default();
        assert_eq!(r.completeness(None), None);
        let r: QuestionResults = serde_json::from_str(
            r#"{"dataframe":[["a"],[1],[2]],"dataframe_stats":{"a":{"general":{"count":3,"nulls_count":0}}}}"#,
        )
        .unwrap();
        assert_eq!(
            r.completeness(Some(2)),
            Some(Completeness::Cut {
                rows: 2,
                at_least: 3,
                at_most: Some(3)
            })
        );
    }
}
