//! Charts: connecty-chart drawing 1,000,000 points, against the time to
//! just read the same values out of the Arrow batch (the least any chart
//! must do), measured in the same run.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use connecty_arrow::arrow_array::{
    Array, Float64Array, RecordBatch, TimestampMicrosecondArray,
    cast::AsArray,
    types::{Float64Type, TimestampMicrosecondType},
};
use connecty_arrow::arrow_schema::{DataType, Field, Schema, TimeUnit};
use connecty_chart::{Chart, Outcome, Request, TextOptions};

use crate::report::{Report, Table, spread};

/// The points drawn.
const POINTS: usize = 1_000_000;

/// The target: "well under a second".
const TARGET_MS: f64 = 250.0;

/// The targets this section records, for the report when it cannot run.
pub fn target_names() -> Vec<String> {
    vec![format!(
        "chart: a line of {POINTS} points drawn as text in <= {TARGET_MS:.0} ms"
    )]
}

/// A minute-by-minute series over about two years: a random walk with a
/// spike, a dip and a stretch of nulls, as a time column and a float
/// column; `scatter` makes the first column floats too.
fn batch(scatter: bool) -> RecordBatch {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut walk = 1_000.0f64;
    let values: Float64Array = (0..POINTS)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            walk += (state % 2001) as f64 / 1000.0 - 1.0;
            match i {
                400_000 => Some(5_000.0),
                400_001 => Some(-5_000.0),
                600_000..=600_999 => None,
                _ => Some(walk),
            }
        })
        .collect();
    let start = 1_704_067_200_000_000i64; // 2024-01-01
    let (x, x_type): (Arc<dyn Array>, DataType) = if scatter {
        let v: Float64Array = (0..POINTS).map(|i| Some(i as f64)).collect();
        (Arc::new(v), DataType::Float64)
    } else {
        let v: TimestampMicrosecondArray = (0..POINTS as i64)
            .map(|i| Some(start + i * 60_000_000))
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC");
        (
            Arc::new(v),
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        )
    };
    let schema = Schema::new(vec![
        Field::new("at", x_type, true),
        Field::new("value", DataType::Float64, true),
    ]);
    RecordBatch::try_new(Arc::new(schema), vec![x, Arc::new(values)])
        .expect("the columns fit the schema")
}

fn chart(batch: &RecordBatch) -> Chart {
    match Chart::from_batch(batch, None, &Request::default(), Some("bench")) {
        Ok(Outcome::Chart(c)) => c,
        other => panic!("no chart: {other:?}"),
    }
}

/// The baseline: every value of both columns read once through arrow's
/// typed iterators (nulls checked), as a chart reads them, summed so that
/// nothing is optimised away.
fn read_only(batch: &RecordBatch) -> f64 {
    let mut sum = 0.0;
    let y = batch.column(1).as_primitive::<Float64Type>();
    for v in y.iter().flatten() {
        sum += v;
    }
    let x = batch.column(0);
    match x.data_type() {
        DataType::Float64 => {
            for v in x.as_primitive::<Float64Type>().iter().flatten() {
                sum += v;
            }
        }
        _ => {
            for v in x
                .as_primitive::<TimestampMicrosecondType>()
                .iter()
                .flatten()
            {
                sum += v as f64;
            }
        }
    }
    sum
}

/// Seconds `f` takes, once.
fn time(f: &mut dyn FnMut()) -> f64 {
    let started = Instant::now();
    f();
    started.elapsed().as_secs_f64()
}

pub fn run(report: &mut Report, quick: bool) -> Result<(), String> {
    let runs = if quick { 3 } else { 9 };
    let line = batch(false);
    let points = batch(true);
    let text = TextOptions {
        width: 80,
        height: Some(24),
        colour: false,
    };
    let mut base = || {
        black_box(read_only(black_box(&line)));
    };
    let mut from_batch = || {
        black_box(chart(black_box(&line)));
    };
    let mut line_text = || {
        let c = chart(black_box(&line));
        black_box(c.to_text(&text).map_err(|e| e.to_string()).unwrap());
    };
    let mut line_svg = || {
        let c = chart(black_box(&line));
        let mut out = Vec::new();
        c.write_svg(&mut out).unwrap();
        black_box(out);
    };
    let mut scatter_text = || {
        let c = chart(black_box(&points));
        black_box(c.to_text(&text).map_err(|e| e.to_string()).unwrap());
    };
    let mut cases: Vec<(&str, &mut dyn FnMut())> = vec![
        ("baseline: read both columns once", &mut base),
        (
            "line: pick + read the columns (`Chart::from_batch`)",
            &mut from_batch,
        ),
        (
            "line: pick, read and draw as text, 80×24 (`to_text`)",
            &mut line_text,
        ),
        (
            "line: pick, read and write SVG (`write_svg`)",
            &mut line_svg,
        ),
        (
            "scatter: pick, read and draw as text, 80×24",
            &mut scatter_text,
        ),
    ];
    // One untimed warm-up each, then rounds in which every case runs once,
    // in turn, so that the load of a shared machine falls on all alike.
    for (_, f) in cases.iter_mut() {
        f();
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..runs {
        for (k, (_, f)) in cases.iter_mut().enumerate() {
            times[k].push(time(*f));
        }
    }
    let ratios =
        |k: usize| -> Vec<f64> { times[k].iter().zip(&times[0]).map(|(t, b)| t / b).collect() };
    let (line_ms, ..) = spread(times[2].clone());
    let (line_ratio, ..) = spread(ratios(2));
    report.target(
        target_names().remove(0),
        line_ms * 1e3 <= TARGET_MS,
        format!(
            "{:.1} ms ({line_ratio:.1}x the time to read the values)",
            line_ms * 1e3
        ),
    );
    let rows = cases
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            let (t, lo, hi) = spread(times[k].clone());
            let (r, rlo, rhi) = spread(ratios(k));
            vec![
                name.to_string(),
                format!("{:.1} ms ({:.1}–{:.1})", t * 1e3, lo * 1e3, hi * 1e3),
                format!("**{r:.1}x** ({rlo:.1}–{rhi:.1})"),
            ]
        })
        .collect();
    report.table(Table {
        title: format!("Charts: {POINTS} points"),
        command: "cargo xtask bench --only chart (connecty-bench, chart)".into(),
        notes: vec![
            format!(
                "A batch of {POINTS} rows built in memory: a timestamp a minute apart (floats 0..n for the scatter) and a random walk of floats with a spike, a dip and 1,000 nulls. After one untimed call of each, {runs} rounds in the bench process, each calling every case once in turn; the time is the median round's (min–max in brackets), the ratio the median of each round's time over that round's baseline. The line is downsampled keeping each pixel column's first, last, minimum and maximum; the scatter sets one dot per point. The baseline reads every value of both columns once (nulls checked), the least any chart must do."
            ),
        ],
        header: ["what", "time", "vs reading the values"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows,
    });
    Ok(())
}
