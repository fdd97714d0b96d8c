//! The one rule that picks a chart from the columns' roles, and the user's
//! overrides (`--x`, `--y`, `--chart`) checked against the columns.
//!
//! The rule sees only each column's [`Role`] (from connecty-arrow's type
//! ladder, see [`crate::data::role`]) and the number of rows; it is pure
//! and table-tested. Case by case, without overrides:
//!
//! | the answer | chart |
//! |---|---|
//! | no rows | none: "the answer has no rows" |
//! | one row, one numeric column | [`Decision::Number`]: the number, big |
//! | one temporal column and 1–4 numeric columns | [`Kind::Line`] over time, one series per numeric column, with a legend |
//! | one temporal column and more than 4 numeric columns | none: more than 4 series |
//! | one text column and one numeric column, at most 50 rows | [`Kind::Bar`], horizontal, in the answer's order |
//! | … more than 50 rows | none: more than 50 bars |
//! | one numeric column alone | [`Kind::Hist`] |
//! | two numeric columns | [`Kind::Scatter`], the first across |
//! | no numeric column | none: nothing to measure |
//! | anything else | none: the columns fit no chart |
//!
//! With overrides, `--x` and `--y` name the columns (by the name the
//! answer sent) and `--chart` the kind; a name that is not a column, a `--y`
//! that is not numeric, or a kind that does not fit the columns is a
//! [`UsageError`] whose text lists the columns that exist.

use std::fmt;

/// What a column can be in a chart, from its Arrow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Timestamps, dates, or text all shaped `YYYY-MM` or `YYYY-MM-DD`.
    Temporal,
    /// Numbers (integers, floats, decimals), or a column of mixed kinds
    /// whose cells are mostly numbers: the rest are counted and skipped.
    Numeric,
    /// Other text: labels.
    Text,
    /// Booleans, nested values, all-null columns: never charted.
    Other,
}

/// A chart kind the user can force with `--chart`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Horizontal bars, one per row, from 0.
    Bar,
    /// Lines over an ordered x (time or numbers), one per `y` column.
    Line,
    /// A histogram of one numeric column.
    Hist,
    /// Points, x against each `y` column.
    Scatter,
}

impl Kind {
    /// Every kind, in `--chart`'s order.
    pub const ALL: [Kind; 4] = [Kind::Bar, Kind::Line, Kind::Hist, Kind::Scatter];

    /// The name `--chart` takes.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bar => "bar",
            Kind::Line => "line",
            Kind::Hist => "hist",
            Kind::Scatter => "scatter",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("{s:?} is not a chart kind: expected bar, line, hist or scatter")
            })
    }
}

/// The most bars a bar chart draws; more rows is no chart.
pub const MAX_BARS: usize = 50;

/// The most series a line or scatter chart draws.
pub const MAX_SERIES: usize = 4;

/// The user's choices; all empty means the rule decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `--x COL`: the column across (labels of a bar chart).
    pub x: Option<String>,
    /// `--y COL[,COL…]`: the columns measured.
    pub y: Vec<String>,
    /// `--chart KIND`.
    pub kind: Option<Kind>,
}

/// Why no chart was drawn: the table is shown instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoChart {
    /// The answer has no rows.
    Empty,
    /// No column holds numbers.
    NoNumeric,
    /// A bar chart would have this many bars, more than [`MAX_BARS`].
    TooManyBars(usize),
    /// This many series, more than [`MAX_SERIES`].
    TooManySeries(usize),
    /// The columns fit none of the rule's cases.
    Shape,
}

impl fmt::Display for NoChart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoChart::Empty => f.write_str("the answer has no rows"),
            NoChart::NoNumeric => f.write_str("no column holds numbers"),
            NoChart::TooManyBars(n) => write!(f, "{n} bars are more than {MAX_BARS}"),
            NoChart::TooManySeries(n) => write!(f, "{n} series are more than {MAX_SERIES}"),
            NoChart::Shape => f.write_str(
                "the columns fit no chart (a time and numbers, a label and a number, \
                 one or two numbers); choose with --x, --y and --chart",
            ),
        }
    }
}

/// The chart the rule picked: which column goes where, by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The kind.
    pub kind: Kind,
    /// The column across: labels (bar), time or numbers (line, scatter);
    /// `None` for a histogram.
    pub x: Option<usize>,
    /// The numeric columns measured, at least one.
    pub y: Vec<usize>,
}

/// What the rule decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Draw this chart.
    Chart(Plan),
    /// A single cell: show the number in column `.0`, big.
    Number(usize),
    /// No chart, and why.
    None(NoChart),
}

/// A column or kind the user named that does not fit the answer (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// What is wrong, then the columns that exist with their roles.
    pub message: String,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Temporal => "time",
        Role::Numeric => "number",
        Role::Text => "text",
        Role::Other => "other",
    }
}

fn usage(columns: &[(&str, Role)], what: String) -> UsageError {
    let list: Vec<String> = columns
        .iter()
        .map(|(n, r)| format!("{n} ({})", role_name(*r)))
        .collect();
    UsageError {
        message: format!("{what}; the columns are: {}", list.join(", ")),
    }
}

/// Picks the chart: see the [module](self) doc for every case.
pub fn decide(
    columns: &[(&str, Role)],
    rows: usize,
    req: &Request,
) -> Result<Decision, UsageError> {
    let find = |name: &str| -> Result<usize, UsageError> {
        columns
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| usage(columns, format!("there is no column {name:?}")))
    };
    let x = req.x.as_deref().map(find).transpose()?;
    let mut y = Vec::with_capacity(req.y.len());
    for name in &req.y {
        let i = find(name)?;
        if columns[i].1 != Role::Numeric {
            return Err(usage(
                columns,
                format!("column {name:?} does not hold numbers"),
            ));
        }
        y.push(i);
    }
    if rows == 0 {
        return Ok(Decision::None(NoChart::Empty));
    }
    let numeric: Vec<usize> = indices(columns, Role::Numeric);
    if req.x.is_none() && req.y.is_empty() && req.kind.is_none() {
        return Ok(auto(columns, rows, &numeric));
    }
    forced(columns, rows, x, y, req.kind, &numeric)
}

fn indices(columns: &[(&str, Role)], role: Role) -> Vec<usize> {
    (0..columns.len())
        .filter(|i| columns[*i].1 == role)
        .collect()
}

/// The rule without overrides.
fn auto(columns: &[(&str, Role)], rows: usize, numeric: &[usize]) -> Decision {
    let temporal = indices(columns, Role::Temporal);
    let text = indices(columns, Role::Text);
    if numeric.is_empty() {
        return Decision::None(NoChart::NoNumeric);
    }
    if columns.len() == 1 && rows == 1 {
        return Decision::Number(numeric[0]);
    }
    let only = |n: usize| columns.len() == n;
    if temporal.len() == 1 && only(1 + numeric.len()) {
        return series(Kind::Line, temporal[0], numeric.to_vec());
    }
    if text.len() == 1 && numeric.len() == 1 && only(2) {
        return bars(rows, text[0], numeric[0]);
    }
    if numeric.len() == 1 && only(1) {
        return Decision::Chart(Plan {
            kind: Kind::Hist,
            x: None,
            y: numeric.to_vec(),
        });
    }
    if numeric.len() == 2 && only(2) {
        return series(Kind::Scatter, numeric[0], vec![numeric[1]]);
    }
    Decision::None(NoChart::Shape)
}

fn series(kind: Kind, x: usize, y: Vec<usize>) -> Decision {
    if y.len() > MAX_SERIES {
        return Decision::None(NoChart::TooManySeries(y.len()));
    }
    Decision::Chart(Plan {
        kind,
        x: Some(x),
        y,
    })
}

fn bars(rows: usize, x: usize, y: usize) -> Decision {
    if rows > MAX_BARS {
        return Decision::None(NoChart::TooManyBars(rows));
    }
    Decision::Chart(Plan {
        kind: Kind::Bar,
        x: Some(x),
        y: vec![y],
    })
}

/// The rule with `--x`, `--y` or `--chart`: what was not named is filled in
/// from the columns, and what was named must fit.
fn forced(
    columns: &[(&str, Role)],
    rows: usize,
    x: Option<usize>,
    y: Vec<usize>,
    kind: Option<Kind>,
    numeric: &[usize],
) -> Result<Decision, UsageError> {
    let misfit = |why: String| usage(columns, why);
    let kind = match (kind, x) {
        (Some(k), _) => k,
        (None, Some(i)) => match columns[i].1 {
            Role::Temporal => Kind::Line,
            Role::Text => Kind::Bar,
            Role::Numeric => Kind::Scatter,
            Role::Other => {
                return Err(misfit(format!(
                    "column {:?} is neither text, time nor numbers",
                    columns[i].0
                )));
            }
        },
        // Only --y: the rule on the columns that are not numbers and these.
        (None, None) => {
            let keep: Vec<usize> = (0..columns.len())
                .filter(|i| columns[*i].1 != Role::Numeric || y.contains(i))
                .collect();
            let sub: Vec<(&str, Role)> = keep.iter().map(|i| columns[*i]).collect();
            let numeric: Vec<usize> = indices(&sub, Role::Numeric);
            return Ok(match auto(&sub, rows, &numeric) {
                Decision::Chart(p) => Decision::Chart(Plan {
                    kind: p.kind,
                    x: p.x.map(|i| keep[i]),
                    // The series in the order named.
                    y: if p.kind == Kind::Line {
                        y
                    } else {
                        p.y.iter().map(|i| keep[*i]).collect()
                    },
                }),
                Decision::Number(i) => Decision::Number(keep[i]),
                none => none,
            });
        }
    };
    let allowed: &[Role] = match kind {
        Kind::Bar => &[Role::Text, Role::Temporal, Role::Numeric],
        Kind::Line => &[Role::Temporal, Role::Numeric],
        Kind::Scatter => &[Role::Numeric, Role::Temporal],
        Kind::Hist => &[Role::Numeric],
    };
    let x = match x {
        Some(i) if allowed.contains(&columns[i].1) => Some(i),
        Some(i) => {
            let roles: Vec<&str> = allowed.iter().map(|r| role_name(*r)).collect();
            return Err(misfit(format!(
                "a {} chart needs --x to be {}, and {:?} is {}",
                kind.name(),
                roles.join(" or "),
                columns[i].0,
                role_name(columns[i].1)
            )));
        }
        None if kind == Kind::Hist => None,
        // The first column of the most fitting role that is not measured.
        None => allowed
            .iter()
            .find_map(|role| (0..columns.len()).find(|i| columns[*i].1 == *role && !y.contains(i))),
    };
    let y: Vec<usize> = if y.is_empty() {
        numeric.iter().copied().filter(|i| Some(*i) != x).collect()
    } else {
        y
    };
    if kind == Kind::Hist {
        return match (x, y.as_slice()) {
            (Some(i), _) => Ok(Decision::Chart(Plan {
                kind,
                x: None,
                y: vec![i],
            })),
            (None, [one]) => Ok(Decision::Chart(Plan {
                kind,
                x: None,
                y: vec![*one],
            })),
            _ => Err(misfit(
                "a histogram measures one numeric column: name it with --y".to_string(),
            )),
        };
    }
    let Some(x) = x else {
        return Err(misfit(format!(
            "a {} chart needs a column across; name it with --x",
            kind.name()
        )));
    };
    if y.is_empty() {
        return Err(misfit("no column holds numbers to measure".to_string()));
    }
    Ok(match kind {
        Kind::Bar if y.len() != 1 => {
            return Err(misfit(
                "a bar chart measures one column: name it with --y".to_string(),
            ));
        }
        Kind::Bar => bars(rows, x, y[0]),
        _ => series(kind, x, y),
    })
}

#[cfg(test)]
mod tests {
    use super::Role::{Numeric as N, Other as O, Temporal as T, Text as S};
    use super::*;

    fn cols(roles: &[Role]) -> Vec<(&'static str, Role)> {
        const NAMES: [&str; 7] = ["a", "b", "c", "d", "e", "f", "g"];
        roles
            .iter()
            .enumerate()
            .map(|(i, r)| (NAMES[i], *r))
            .collect()
    }

    fn chart(kind: Kind, x: Option<usize>, y: &[usize]) -> Decision {
        Decision::Chart(Plan {
            kind,
            x,
            y: y.to_vec(),
        })
    }

    #[test]
    fn the_rule_case_by_case() {
        use Decision::Number;
        use NoChart::*;
        let none = Decision::None;
        let table: &[(&[Role], usize, Decision)] = &[
            // A temporal column and numeric columns: lines over time, up to 4.
            (&[T, N], 12, chart(Kind::Line, Some(0), &[1])),
            (&[T, N, N], 12, chart(Kind::Line, Some(0), &[1, 2])),
            (
                &[N, T, N, N, N],
                12,
                chart(Kind::Line, Some(1), &[0, 2, 3, 4]),
            ),
            (&[T, N, N, N, N, N], 12, none(TooManySeries(5))),
            // One text and one numeric column: bars in the answer's order.
            (&[S, N], 5, chart(Kind::Bar, Some(0), &[1])),
            (&[N, S], 50, chart(Kind::Bar, Some(1), &[0])),
            (&[S, N], 51, none(TooManyBars(51))),
            // One numeric column alone: a histogram.
            (&[N], 1000, chart(Kind::Hist, None, &[0])),
            // Two numeric columns: a scatter plot.
            (&[N, N], 100, chart(Kind::Scatter, Some(0), &[1])),
            // A single cell: the number.
            (&[N], 1, Number(0)),
            // Anything else: the table and why.
            (&[S], 3, none(NoNumeric)),
            (&[T, S, O], 3, none(NoNumeric)),
            (&[S, S, N], 3, none(Shape)),
            (&[T, S, N], 3, none(Shape)),
            (&[N, N, N], 3, none(Shape)),
            (&[S, N, N], 3, none(Shape)),
            (&[S, N], 0, none(Empty)),
            (&[N], 0, none(Empty)),
        ];
        for (roles, rows, want) in table {
            let c = cols(roles);
            assert_eq!(
                &decide(&c, *rows, &Request::default()).unwrap(),
                want,
                "{roles:?} × {rows}"
            );
        }
    }

    fn req(x: Option<&str>, y: &[&str], kind: Option<Kind>) -> Request {
        Request {
            x: x.map(str::to_string),
            y: y.iter().map(|s| s.to_string()).collect(),
            kind,
        }
    }

    #[test]
    fn overrides_choose_columns_and_kind() {
        let table: &[(&[Role], Request, Decision)] = &[
            // --y picks the series of a time chart.
            (
                &[T, N, N],
                req(None, &["c"], None),
                chart(Kind::Line, Some(0), &[2]),
            ),
            // --x text: bars; --x numeric: scatter; --x time: line.
            (
                &[S, S, N],
                req(Some("b"), &[], None),
                chart(Kind::Bar, Some(1), &[2]),
            ),
            (
                &[N, N, N],
                req(Some("b"), &["c"], None),
                chart(Kind::Scatter, Some(1), &[2]),
            ),
            (
                &[T, S, N],
                req(Some("a"), &[], None),
                chart(Kind::Line, Some(0), &[2]),
            ),
            // --chart alone fills the columns in.
            (
                &[T, N],
                req(None, &[], Some(Kind::Bar)),
                chart(Kind::Bar, Some(0), &[1]),
            ),
            (
                &[S, N],
                req(None, &[], Some(Kind::Hist)),
                chart(Kind::Hist, None, &[1]),
            ),
            (
                &[N, N],
                req(None, &[], Some(Kind::Line)),
                chart(Kind::Line, Some(0), &[1]),
            ),
            (
                &[N, N, N],
                req(None, &["c"], Some(Kind::Hist)),
                chart(Kind::Hist, None, &[2]),
            ),
            // --y alone on one column: its histogram.
            (
                &[S, N, N],
                req(None, &["b"], None),
                chart(Kind::Bar, Some(0), &[1]),
            ),
            (
                &[N, N, N],
                req(None, &["c"], None),
                chart(Kind::Hist, None, &[2]),
            ),
            (
                &[T, N, N, N],
                req(None, &["d", "b"], None),
                chart(Kind::Line, Some(0), &[3, 1]),
            ),
            // Forced bars still stop at 50.
            (
                &[S, N],
                req(None, &[], Some(Kind::Bar)),
                chart(Kind::Bar, Some(0), &[1]),
            ),
        ];
        for (roles, r, want) in table {
            let c = cols(roles);
            assert_eq!(&decide(&c, 5, r).unwrap(), want, "{roles:?} {r:?}");
        }
        let c = cols(&[S, N]);
        assert_eq!(
            decide(&c, 60, &req(None, &[], Some(Kind::Bar))).unwrap(),
            Decision::None(NoChart::TooManyBars(60))
        );
    }

    #[test]
    fn a_name_or_kind_that_does_not_fit_names_the_columns() {
        let c = [("month", T), ("orders", N), ("country", S), ("ok", O)];
        let list = "the columns are: month (time), orders (number), country (text), ok (other)";
        let cases: &[(Request, &str)] = &[
            (req(Some("day"), &[], None), "there is no column \"day\""),
            (
                req(None, &["orders", "revenue"], None),
                "there is no column \"revenue\"",
            ),
            (
                req(None, &["country"], None),
                "column \"country\" does not hold numbers",
            ),
            (
                req(Some("ok"), &[], None),
                "column \"ok\" is neither text, time nor numbers",
            ),
            (
                req(Some("country"), &[], Some(Kind::Line)),
                "a line chart needs --x to be time or number, and \"country\" is text",
            ),
            (
                req(Some("month"), &[], Some(Kind::Hist)),
                "a hist chart needs --x to be number",
            ),
            (
                req(Some("country"), &["orders"], Some(Kind::Scatter)),
                "a scatter chart needs --x to be number or time, and \"country\" is text",
            ),
        ];
        for (r, want) in cases {
            let e = decide(&c, 3, r).unwrap_err();
            assert!(e.message.starts_with(want), "{r:?}: {e}");
            assert!(e.message.ends_with(list), "{r:?}: {e}");
        }
        // A bad name is an error even for an empty answer.
        assert!(decide(&c, 0, &req(Some("day"), &[], None)).is_err());
    }

    #[test]
    fn kinds_parse_from_their_names() {
        for k in Kind::ALL {
            assert_eq!(k.name().parse::<Kind>(), Ok(k));
        }
        assert!(
            "pie"
                .parse::<Kind>()
                .unwrap_err()
                .contains("bar, line, hist or scatter")
        );
    }
}
