//! Saying when an answer may be cut: the note on stderr and the
//! `completeness` object of `batch` lines.
//!
//! The API cuts every dataframe at `max_rows` and says nothing; the core's
//! [`Completeness`] says what is known. This module words it, saying
//! exactly that much: an exact total, a range, a lower bound, or "there may
//! be more". Nothing is said about a whole answer.
//!
//! | completeness | note |
//! |---|---|
//! | `Complete` | none |
//! | `Cut`, total known | `showing 1000 of 5000 rows (--max-rows 1000, the API's default); add --all-rows for every row` |
//! | `Cut`, a range | `showing 1000 of 1200 to 1500 rows (...); ...` |
//! | `Cut`, a lower bound | `showing 1000 of at least 1200 rows (...); ...` |
//! | `Unknown` | `showing 1000 rows, and there may be more (...); ...` |
//! | `Unknown`, bounded | `showing 1000 rows, and there may be up to 1500 (...); ...` |
//!
//! The parenthesis names the limit that cut it; the advice names the way
//! to get every row in the words of where it is read ([`Knobs`]: a flag,
//! or a shell meta-command). When every row was already asked for and the
//! answer is still not whole (the server sent fewer than it counted), the
//! note says so instead of advising what was done.

use connecty_proto::Completeness;

/// How the note names the row limit and the way to get every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Knobs {
    /// The row limit, such as `--max-rows`.
    pub max_rows: &'static str,
    /// The all-rows setting, such as `--all-rows`.
    pub all_rows: &'static str,
    /// What to do for every row, such as `add --all-rows`.
    pub get_all: &'static str,
}

/// `ask`, `results --wait` and `batch`.
pub const FLAGS: Knobs = Knobs {
    max_rows: "--max-rows",
    all_rows: "--all-rows",
    get_all: "add --all-rows",
};

/// `results` without `--wait`, where `--all-rows` needs `--wait`.
pub const RESULTS_ONCE: Knobs = Knobs {
    max_rows: "--max-rows",
    all_rows: "--all-rows",
    get_all: "add --wait --all-rows",
};

/// The shell's meta-commands.
pub const SHELL: Knobs = Knobs {
    max_rows: "\\max-rows",
    all_rows: "\\all-rows on",
    get_all: "type \\all-rows on",
};

fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".to_string()
    } else {
        format!("{n} rows")
    }
}

/// The note for an answer whose frame was fetched with `max_rows` (`None`:
/// the API's default of 1,000), with `all_rows` asked for or not; `None`
/// when the answer is whole. Pure.
pub fn note(
    completeness: &Completeness,
    max_rows: Option<u32>,
    all_rows: bool,
    knobs: &Knobs,
) -> Option<String> {
    let shown = match *completeness {
        Completeness::Cut {
            rows: n,
            at_least,
            at_most,
        } => match at_most {
            Some(m) if m == at_least => format!("showing {n} of {}", rows(m)),
            Some(m) => format!("showing {n} of {at_least} to {}", rows(m)),
            None => format!("showing {n} of at least {}", rows(at_least)),
        },
        Completeness::Unknown { rows: n, at_most } => match at_most {
            Some(m) => format!("showing {}, and there may be up to {m}", rows(n)),
            None => format!("showing {}, and there may be more", rows(n)),
        },
        // Complete, and anything a later core adds: say nothing unproven.
        _ => return None,
    };
    if all_rows {
        return Some(format!(
            "{shown}, even with {}: the server sent no more",
            knobs.all_rows
        ));
    }
    let limit = match max_rows {
        Some(n) => format!("{} {n}", knobs.max_rows),
        None => format!(
            "{} {}, the API's default",
            knobs.max_rows,
            connecty_proto::DEFAULT_MAX_ROWS
        ),
    };
    Some(format!(
        "{shown} ({limit}); {} for every row",
        knobs.get_all
    ))
}

/// The `completeness` object of a `batch` line, in this key order:
/// `{"verdict", "rows", "at_least", "at_most", "total"}`, every key always
/// there (`null` when unknown): the rows in the line, and the fewest and
/// most rows the whole answer has. `verdict` is `complete`, `cut` (rows
/// are missing) or `may_be_cut` (the frame is full and nothing tells
/// whether there are more).
pub fn to_json(completeness: &Completeness, rows: u64) -> String {
    let (verdict, at_least, at_most, total) = match *completeness {
        Completeness::Cut {
            at_least, at_most, ..
        } => ("cut", Some(at_least), at_most, completeness.total()),
        Completeness::Unknown { at_most, .. } => ("may_be_cut", Some(rows), at_most, None),
        _ => ("complete", Some(rows), Some(rows), Some(rows)),
    };
    let n = |v: Option<u64>| v.map_or("null".to_string(), |v| v.to_string());
    format!(
        r#"{{"verdict":"{verdict}","rows":{rows},"at_least":{},"at_most":{},"total":{}}}"#,
        n(at_least),
        n(at_most),
        n(total)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_proto::completeness;
    use serde_json::{Value, json};

    fn parsed(c: &Completeness, rows: u64) -> Value {
        serde_json::from_str(&to_json(c, rows)).expect("JSON")
    }

    fn cut(rows: u64, at_least: u64, at_most: Option<u64>) -> Completeness {
        Completeness::Cut {
            rows,
            at_least,
            at_most,
        }
    }

    #[test]
    fn notes_say_exactly_what_is_known() {
        let unknown = |rows, at_most| Completeness::Unknown { rows, at_most };
        // (completeness, max_rows, all_rows, knobs, the note)
        type Case = (
            Completeness,
            Option<u32>,
            bool,
            &'static Knobs,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (Completeness::Complete, None, false, &FLAGS, None),
            (Completeness::Complete, Some(5), true, &SHELL, None),
            (
                cut(1000, 5000, Some(5000)),
                None,
                false,
                &FLAGS,
                Some(
                    "showing 1000 of 5000 rows (--max-rows 1000, the API's default); add --all-rows for every row",
                ),
            ),
            (
                cut(20, 5000, Some(5000)),
                Some(20),
                false,
                &FLAGS,
                Some("showing 20 of 5000 rows (--max-rows 20); add --all-rows for every row"),
            ),
            (
                cut(1000, 1200, Some(1500)),
                Some(1000),
                false,
                &FLAGS,
                Some(
                    "showing 1000 of 1200 to 1500 rows (--max-rows 1000); add --all-rows for every row",
                ),
            ),
            (
                cut(1, 2, None),
                Some(1),
                false,
                &RESULTS_ONCE,
                Some(
                    "showing 1 of at least 2 rows (--max-rows 1); add --wait --all-rows for every row",
                ),
            ),
            (
                unknown(1000, None),
                None,
                false,
                &SHELL,
                Some(
                    "showing 1000 rows, and there may be more (\\max-rows 1000, the API's default); type \\all-rows on for every row",
                ),
            ),
            (
                unknown(1, Some(3)),
                Some(1),
                false,
                &FLAGS,
                Some(
                    "showing 1 row, and there may be up to 3 (--max-rows 1); add --all-rows for every row",
                ),
            ),
            (
                cut(4999, 5000, Some(5000)),
                Some(5000),
                true,
                &FLAGS,
                Some("showing 4999 of 5000 rows, even with --all-rows: the server sent no more"),
            ),
        ];
        for (c, max_rows, all_rows, knobs, want) in cases {
            assert_eq!(
                note(&c, max_rows, all_rows, knobs).as_deref(),
                want,
                "{c:?} {max_rows:?} {all_rows}"
            );
        }
    }

    #[test]
    fn a_short_frame_is_whole_and_says_nothing() {
        // Through the core's own rule: 5 rows of a default 1,000 asked.
        let c = completeness(5, None, None);
        assert_eq!(note(&c, None, false, &FLAGS), None);
    }

    #[test]
    fn batch_objects_carry_every_key() {
        assert_eq!(
            to_json(&Completeness::Complete, 5),
            r#"{"verdict":"complete","rows":5,"at_least":5,"at_most":5,"total":5}"#
        );
        assert_eq!(
            parsed(&Completeness::Complete, 5),
            json!({"verdict": "complete", "rows": 5, "at_least": 5, "at_most": 5, "total": 5})
        );
        assert_eq!(
            parsed(&cut(1000, 5000, Some(5000)), 1000),
            json!({"verdict": "cut", "rows": 1000, "at_least": 5000, "at_most": 5000, "total": 5000})
        );
        assert_eq!(
            parsed(&cut(1000, 1200, Some(1500)), 1000),
            json!({"verdict": "cut", "rows": 1000, "at_least": 1200, "at_most": 1500, "total": null})
        );
        assert_eq!(
            parsed(
                &Completeness::Unknown {
                    rows: 1000,
                    at_most: None
                },
                1000
            ),
            json!({"verdict": "may_be_cut", "rows": 1000, "at_least": 1000, "at_most": null, "total": null})
        );
    }
}
