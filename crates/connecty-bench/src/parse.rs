//! Parse: connecty-proto's results parser against serde_json.

use serde::Deserialize;

use crate::report::{Report, Table};
use crate::{heap, median, reset_peak};

#[derive(Deserialize)]
struct Body {
    #[allow(dead_code)]
    state: String,
    results: Inner,
}

#[derive(Deserialize)]
struct Inner {
    dataframe: Vec<Vec<serde_json::Value>>,
}

fn mb_s(bytes: usize, d: std::time::Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// Retained and peak heap of one call, relative to before it. With
/// `count_input`, the input's own allocation is counted too (the connecty
/// parser keeps the body it is given).
fn measure_heap<O>(body: &[u8], count_input: bool, f: impl FnOnce(Vec<u8>) -> O) -> (usize, usize) {
    let early = (!count_input).then(|| body.to_vec());
    let (before, _) = heap();
    reset_peak();
    let input = early.unwrap_or_else(|| body.to_vec());
    let out = f(input);
    let (after, peak) = heap();
    let retained = after.saturating_sub(before);
    let peak = peak.saturating_sub(before);
    drop(out);
    (retained, peak)
}

pub fn run(report: &mut Report, quick: bool) {
    let sizes: &[(usize, usize)] = if quick {
        &[(1_000, 20), (200_000, 3)]
    } else {
        &[(1_000, 200), (200_000, 15), (1_000_000, 5)]
    };
    let mut rows = Vec::new();
    for &(n, runs) in sizes {
        let body = crate::data::results_body(n);
        let len = body.len();
        // Sanity: all three parse the same rows.
        let parsed = connecty_proto::parse_results_body(body.clone()).expect("valid body");
        let frame = parsed
            .results
            .as_ref()
            .and_then(|r| r.dataframe.as_ref())
            .expect("frame");
        assert_eq!(frame.len(), n);

        let t_connecty = median(
            runs,
            || body.clone(),
            |b| connecty_proto::parse_results_body(b).map(|_| ()),
        );
        let t_value = median(
            runs,
            || (),
            |_| serde_json::from_slice::<serde_json::Value>(&body).map(|_| ()),
        );
        let t_rows = median(
            runs,
            || (),
            |_| serde_json::from_slice::<Body>(&body).map(|b| b.results.dataframe.len()),
        );

        // The connecty parser takes ownership of the body it keeps; the
        // baselines borrow it. Retained heap therefore includes the body for
        // connecty and excludes it for the baselines.
        let (ret_c, peak_c) = measure_heap(&body, true, connecty_proto::parse_results_body);
        let (ret_v, peak_v) = measure_heap(&body, false, |b| {
            serde_json::from_slice::<serde_json::Value>(&b)
        });
        let (ret_r, peak_r) = measure_heap(&body, false, |b| {
            serde_json::from_slice::<Body>(&b).map(|v| v.results.dataframe)
        });

        let speedup = t_value.as_secs_f64() / t_connecty.as_secs_f64();
        let ratio_mem = ret_c as f64 / len as f64;
        rows.push(vec![
            format!("{n}"),
            format!("{:.1} MB", len as f64 / 1e6),
            format!("{:.0}", mb_s(len, t_connecty)),
            format!("{:.0}", mb_s(len, t_value)),
            format!("{:.0}", mb_s(len, t_rows)),
            format!("**{speedup:.2}x**"),
            format!("{:.2}x", t_rows.as_secs_f64() / t_connecty.as_secs_f64()),
            format!("**{ratio_mem:.2}x**"),
            format!("{:.2}x", ret_v as f64 / len as f64),
            format!("{:.2}x", ret_r as f64 / len as f64),
            format!(
                "{:.2}x / {:.2}x / {:.2}x",
                peak_c as f64 / len as f64,
                peak_v as f64 / len as f64,
                peak_r as f64 / len as f64
            ),
        ]);
        if n == 200_000 {
            report.target(
                format!("parse {n} rows: throughput >= 1.5x serde_json::Value"),
                speedup >= 1.5,
                format!("{speedup:.2}x"),
            );
            report.target(
                format!("parse {n} rows: parsed dataframe <= 1.5x body size"),
                ratio_mem <= 1.5,
                format!("{ratio_mem:.2}x"),
            );
        }
        if n == 1_000_000 {
            report.target(
                "parse 1,000,000 rows: throughput >= 1.5x serde_json::Value",
                speedup >= 1.5,
                format!("{speedup:.2}x"),
            );
            report.target(
                "parse 1,000,000 rows: parsed dataframe <= 1.5x body size",
                ratio_mem <= 1.5,
                format!("{ratio_mem:.2}x"),
            );
        }
    }
    report.table(Table {
        title: "Parse: results bodies, 6 mixed columns".into(),
        command: "cargo xtask bench (connecty-bench, parse)".into(),
        notes: vec![
            "Throughput is the body's size over the median parse time. `Value` is `serde_json::from_slice::<serde_json::Value>`; `rows` is serde_json into `Vec<Vec<Value>>`. Retained heap is measured by a counting global allocator (peak_alloc) and divided by the body's size; for connecty it includes the body, which the dataframe keeps (each cell is a 4-byte offset into it); for the baselines it excludes the body.".into(),
        ],
        header: [
            "rows", "body", "connecty MB/s", "Value MB/s", "rows MB/s", "speed vs Value", "speed vs rows",
            "connecty retained / body", "Value retained / body", "rows retained / body", "peak / body (connecty / Value / rows)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
    });
}
