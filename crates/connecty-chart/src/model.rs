//! A chart as data: what the rule picked, read out of the batch, ready for
//! either renderer.

use connecty_arrow::arrow_array::RecordBatch;
use connecty_proto::Statistics;

use crate::axis::Axis;
use crate::data::{self, Grain, Numbers};
use crate::rule::{self, Decision, Kind, NoChart, Plan, Request, Role, UsageError};

/// The bins of a histogram, at most this many.
pub const MAX_BINS: usize = 20;

/// One series of a line or scatter chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The column's name.
    pub name: String,
    /// One value per row; `None` is a gap (a null or a skipped cell).
    pub values: Vec<Option<f64>>,
}

/// The column across a line or scatter chart.
#[derive(Debug, Clone, PartialEq)]
pub enum Across {
    /// Seconds since 1970-01-01 UTC, labelled as fine as the column.
    Time(Vec<Option<f64>>, Grain),
    /// Numbers.
    Numbers(Vec<Option<f64>>),
}

impl Across {
    /// The positions, one per row.
    pub fn values(&self) -> &[Option<f64>] {
        match self {
            Across::Time(v, _) | Across::Numbers(v) => v,
        }
    }

    /// Up to `most` of the distinct positions, evenly picked from first to
    /// last, each with its label: the ticks of a time axis sit on values
    /// the answer has (a month is a month, not a point between two).
    pub fn time_ticks(&self, most: usize) -> Vec<(f64, String)> {
        let Across::Time(v, grain) = self else {
            return Vec::new();
        };
        let mut distinct: Vec<f64> = v.iter().flatten().copied().collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        let (n, picks) = (distinct.len(), most.min(distinct.len()));
        (0..picks)
            .map(|i| {
                let t = distinct[if picks > 1 {
                    i * (n - 1) / (picks - 1)
                } else {
                    0
                }];
                (t, data::time_label(t, *grain))
            })
            .collect()
    }
}

/// What a chart shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Horizontal bars from 0, in the answer's order.
    Bars {
        /// One label per bar (`None`: a null label).
        labels: Vec<Option<String>>,
        /// One value per bar; `None` draws no bar.
        values: Vec<Option<f64>>,
    },
    /// Lines over x, one per series.
    Lines {
        /// The positions.
        x: Across,
        /// The series, 1 to 4.
        series: Vec<Series>,
    },
    /// Points, x against each series.
    Points {
        /// The positions.
        x: Across,
        /// The series, 1 to 4.
        series: Vec<Series>,
    },
    /// A histogram: counts of equal bins from `lo` to `hi`.
    Histogram {
        /// The low edge of the first bin.
        lo: f64,
        /// The high edge of the last bin (which includes it).
        hi: f64,
        /// The count in each bin.
        counts: Vec<u64>,
    },
    /// One number, shown big.
    Number(f64),
}

/// Cells of one column that are not drawn because they are not numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The column.
    pub column: String,
    /// How many cells: text, `NaN`, infinities, numbers beyond `f64`.
    pub cells: usize,
}

/// A chart ready to draw: see [`Chart::from_batch`].
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The title (the summary or the question), if any.
    pub title: Option<String>,
    /// The name of the axis across (the labels' column for bars).
    pub x_name: String,
    /// The name of the measured axis: the measured column, or `count`.
    pub y_name: String,
    /// What is drawn.
    pub body: Body,
    /// Cells not drawn because they are not numbers, per column.
    pub skipped: Vec<Skipped>,
}

/// What [`Chart::from_batch`] made of an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A chart to draw.
    Chart(Chart),
    /// No chart: show the table instead, and say why.
    NoChart(NoChart),
}

impl Chart {
    /// Picks the chart for `batch` with the [rule](crate::rule), honouring
    /// `request`, and reads the columns it needs. `statistics` give a
    /// histogram's range where they have the column's `numeric` min and
    /// max.
    ///
    /// # Errors
    ///
    /// A column `request` names that does not exist or does not hold
    /// numbers, or a kind that does not fit the columns: the message lists
    /// the columns.
    pub fn from_batch(
        batch: &RecordBatch,
        statistics: Option<&Statistics>,
        request: &Request,
        title: Option<&str>,
    ) -> Result<Outcome, UsageError> {
        let schema = batch.schema_ref();
        let columns: Vec<(&str, Role)> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(f, a)| (data::sent_name(f), data::role(f, a)))
            .collect();
        let plan = match rule::decide(&columns, batch.num_rows(), request)? {
            Decision::None(why) => return Ok(Outcome::NoChart(why)),
            Decision::Number(i) => Plan {
                kind: Kind::Hist,
                x: None,
                y: vec![i],
            },
            Decision::Chart(p) => p,
        };
        let single = batch.num_rows() == 1 && columns.len() == 1 && request == &Request::default();
        let mut skipped = Vec::new();
        let mut read = |i: usize| -> Series {
            let Numbers { values, skipped: n } =
                data::numbers(schema.field(i), batch.column(i).as_ref());
            if n > 0 {
                skipped.push(Skipped {
                    column: columns[i].0.to_string(),
                    cells: n,
                });
            }
            Series {
                name: columns[i].0.to_string(),
                values,
            }
        };
        let across = |i: usize| match columns[i].1 {
            Role::Temporal => {
                let (v, g) = data::instants(batch.column(i).as_ref());
                Across::Time(v, g)
            }
            _ => Across::Numbers(data::numbers(schema.field(i), batch.column(i).as_ref()).values),
        };
        let x_name = plan
            .x
            .map_or_else(String::new, |i| columns[i].0.to_string());
        let (body, y_name) = match plan.kind {
            _ if single => {
                let s = read(plan.y[0]);
                match s.values[0] {
                    Some(v) => (Body::Number(v), s.name),
                    None => return Ok(Outcome::NoChart(NoChart::NoNumeric)),
                }
            }
            Kind::Bar => {
                let x = plan.x.unwrap_or(0);
                let s = read(plan.y[0]);
                let body = Body::Bars {
                    labels: data::labels(batch, x),
                    values: s.values,
                };
                (body, s.name)
            }
            Kind::Line | Kind::Scatter => {
                let x = across(plan.x.unwrap_or(0));
                let series: Vec<Series> = plan.y.iter().map(|i| read(*i)).collect();
                let y_name = series
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let body = if plan.kind == Kind::Line {
                    Body::Lines { x, series }
                } else {
                    Body::Points { x, series }
                };
                (body, y_name)
            }
            Kind::Hist => {
                let s = read(plan.y[0]);
                let range = statistics
                    .and_then(|st| st.column(&s.name))
                    .and_then(|c| c.section("numeric"))
                    .and_then(|n| Some((n.get("min")?.as_f64()?, n.get("max")?.as_f64()?)));
                let (x_name, body) = (s.name.clone(), histogram(&s.values, range));
                return Ok(Outcome::Chart(Chart {
                    title: title.map(str::to_string),
                    x_name,
                    y_name: "count".to_string(),
                    body,
                    skipped,
                }));
            }
        };
        Ok(Outcome::Chart(Chart {
            title: title.map(str::to_string),
            x_name,
            y_name,
            body,
            skipped,
        }))
    }
}

/// Counts `values` in equal bins with round edges: the range is the
/// statistics' `range` where it holds every value, else the values' own
/// min and max, widened to round numbers ([`Axis`]); about Sturges' number
/// of bins, at most [`MAX_BINS`].
pub fn histogram(values: &[Option<f64>], range: Option<(f64, f64)>) -> Body {
    let (mut lo, mut hi, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0u64);
    for v in values.iter().flatten() {
        lo = lo.min(*v);
        hi = hi.max(*v);
        n += 1;
    }
    if n == 0 {
        return Body::Histogram {
            lo: 0.0,
            hi: 1.0,
            counts: Vec::new(),
        };
    }
    if let Some((a, b)) =
        range.filter(|(a, b)| a.is_finite() && b.is_finite() && *a <= lo && *b >= hi)
    {
        (lo, hi) = (a, b);
    }
    let sturges = ((n as f64).log2().ceil() as usize + 1).clamp(2, MAX_BINS);
    // Twice Sturges' count asked for, as the round step is at least the
    // step asked for; at most MAX_BINS - 2, as rounding adds up to two.
    let axis = Axis::new(lo, hi, (sturges * 2).min(MAX_BINS - 2), false);
    let bins = (axis.ticks.len().saturating_sub(1)).clamp(1, MAX_BINS);
    let width = (axis.hi - axis.lo) / bins as f64;
    let mut counts = vec![0u64; bins];
    for v in values.iter().flatten() {
        let b = if width > 0.0 {
            ((v - axis.lo) / width) as usize
        } else {
            0
        };
        counts[b.min(bins - 1)] += 1;
    }
    Body::Histogram {
        lo: axis.lo,
        hi: axis.hi,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_use_the_statistics_range_when_it_holds_the_values() {
        let v: Vec<Option<f64>> = [1.0, 2.0, 2.5, 9.0, 10.0, 10.0, 3.0, 4.0]
            .into_iter()
            .map(Some)
            .chain([None])
            .collect();
        let Body::Histogram { lo, hi, counts } = histogram(&v, Some((0.0, 20.0))) else {
            unreachable!()
        };
        assert_eq!((lo, hi), (0.0, 20.0));
        assert_eq!(counts, [5, 1, 2, 0], "4 bins of 5: the null is not counted");
        // Without statistics: round edges around the values.
        let Body::Histogram { lo, hi, counts } = histogram(&v, None) else {
            unreachable!()
        };
        assert_eq!((lo, hi), (0.0, 10.0));
        assert_eq!(counts, [1, 3, 1, 0, 3], "bins of 2; 10 falls in the last");
        // A range that leaves values out is not used.
        let Body::Histogram { lo, hi, counts } = histogram(&v, Some((2.0, 3.0))) else {
            unreachable!()
        };
        assert_eq!((lo, hi, counts.iter().sum::<u64>()), (0.0, 10.0, 8));
    }
}
