//! Arrow: connecty-proto's parser plus connecty-arrow's conversion against
//! arrow-json's decoder; connecty-arrow's Parquet writer against arrow-rs's
//! `ArrowWriter` on a prebuilt batch; and the whole path a user waits for,
//! from a results body to a Parquet file, against arrow-json plus
//! `ArrowWriter`.
//!
//! Times come from `arrow-timing` (src/bin/arrow-timing.rs), a separate
//! binary on the system allocator; peak heap comes from separate runs in
//! this process, under the counting allocator.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::report::{Report, Table, spread};
use crate::{heap, reset_peak};

// The Parquet workloads run only in `arrow-timing`.
#[path = "arrow_work.rs"]
#[allow(dead_code)]
mod work;

/// The targets this section records, for the report when it cannot run.
pub fn target_names(quick: bool) -> Vec<String> {
    sizes(quick)
        .iter()
        .flat_map(|(n, ..)| {
            [
                format!("arrow {n} rows: parse + convert >= 1.5x arrow-json's throughput"),
                format!("arrow {n} rows: parse + convert peak heap <= arrow-json's"),
                format!("arrow {n} rows: Parquet write <= 1.2x ArrowWriter on a prebuilt batch"),
                format!(
                    "arrow {n} rows: body to Parquet on 2 threads >= 1.5x arrow-json + ArrowWriter"
                ),
                format!(
                    "arrow {n} rows: body to Parquet on 1 thread >= 1.2x arrow-json + ArrowWriter"
                ),
                format!("arrow {n} rows: body to Parquet peak heap <= arrow-json + ArrowWriter's"),
            ]
        })
        .collect()
}

/// `(rows, iterations per run, runs)`.
fn sizes(quick: bool) -> &'static [(usize, usize, usize)] {
    if quick {
        &[(200_000, 3, 3)]
    } else {
        &[(200_000, 5, 5), (1_000_000, 3, 3)]
    }
}

/// Per-run `(connecty, baseline, connecty on one thread)` times in seconds
/// from the timing binary.
fn timings(
    bin: &Path,
    what: &str,
    rows: usize,
    k: usize,
    runs: usize,
) -> Result<Vec<(f64, f64, f64)>, String> {
    let out = Command::new(bin)
        .args([what, &rows.to_string(), &k.to_string(), &runs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running arrow-timing: {e}"))?;
    if !out.status.success() {
        return Err(format!("arrow-timing {what} {rows} failed"));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split(' ').filter_map(|x| x.parse().ok()).collect();
            match v[..] {
                [a, b, c] => Ok((a / 1e9, b / 1e9, c / 1e9)),
                _ => Err(format!("arrow-timing printed {l:?}")),
            }
        })
        .collect()
}

/// Peak heap of one call above the heap before it; the input is made
/// inside the measurement, so it counts.
fn peak<I, O>(make: impl FnOnce() -> I, f: impl FnOnce(I) -> O) -> usize {
    let (before, _) = heap();
    reset_peak();
    let out = f(make());
    let (_, peak) = heap();
    drop(out);
    peak.saturating_sub(before)
}

pub fn run(report: &mut Report, quick: bool) -> Result<(), String> {
    let bin = crate::timing::binary("arrow-timing")?;
    let mut rows_out = Vec::new();
    let mut whole_out = Vec::new();
    let mut thread_note = String::new();
    for &(n, k, runs) in sizes(quick) {
        let inputs = work::Inputs::new(n)?;
        let body_mb = inputs.body.len() as f64 / 1e6;
        let text_mb = inputs.rows_text.len() as f64 / 1e6;
        let convert = timings(&bin, "convert", n, k, runs)?;
        let parquet = timings(&bin, "parquet", n, k, runs)?;
        let (speed, speed_lo, speed_hi) = spread(convert.iter().map(|p| p.1 / p.0).collect());
        let (speed1, ..) = spread(convert.iter().map(|p| p.1 / p.2).collect());
        let (t_ours, ..) = spread(convert.iter().map(|p| p.0).collect());
        let (t_json, ..) = spread(convert.iter().map(|p| p.1).collect());
        let (t_one, ..) = spread(convert.iter().map(|p| p.2).collect());
        let (pq, pq_lo, pq_hi) = spread(parquet.iter().map(|p| p.0 / p.1).collect());
        let (pq1, ..) = spread(parquet.iter().map(|p| p.2 / p.1).collect());
        let (p_ours, ..) = spread(parquet.iter().map(|p| p.0).collect());
        let (p_base, ..) = spread(parquet.iter().map(|p| p.1).collect());
        let (p_one, ..) = spread(parquet.iter().map(|p| p.2).collect());
        let whole = timings(&bin, "whole", n, k, runs)?;
        let (w2, w2_lo, w2_hi) = spread(whole.iter().map(|p| p.1 / p.0).collect());
        let (w1, w1_lo, w1_hi) = spread(whole.iter().map(|p| p.1 / p.2).collect());
        let (w_two, ..) = spread(whole.iter().map(|p| p.0).collect());
        let (w_base, ..) = spread(whole.iter().map(|p| p.1).collect());
        let (w_one, ..) = spread(whole.iter().map(|p| p.2).collect());

        let auto = connecty_arrow::Options::new();
        let threads = auto.max_threads();
        let peak_ours = peak(|| inputs.body.clone(), |b| work::connecty(b, &auto));
        let peak_json = peak(|| inputs.rows_text.clone(), |t| inputs.arrow_json(t));
        let mem = peak_ours as f64 / peak_json as f64;
        let mib = |b: usize| format!("{:.0} MiB", b as f64 / 1048576.0);
        let two =
            connecty_arrow::Options::new().threads(std::num::NonZeroUsize::MIN.saturating_add(1));
        let one = connecty_arrow::Options::new().threads(std::num::NonZeroUsize::MIN);
        let peak_whole2 = peak(|| inputs.body.clone(), |b| work::connecty_whole(b, &two));
        let peak_whole1 = peak(|| inputs.body.clone(), |b| work::connecty_whole(b, &one));
        let peak_base = peak(
            || inputs.rows_text.clone(),
            |t| inputs.arrow_json_parquet(t),
        );
        let wmem = peak_whole2.max(peak_whole1) as f64 / peak_base as f64;

        report.target(
            format!("arrow {n} rows: parse + convert >= 1.5x arrow-json's throughput"),
            speed >= 1.5,
            format!("{speed:.2}x ({speed_lo:.2}–{speed_hi:.2}x over {runs} runs)"),
        );
        report.target(
            format!("arrow {n} rows: parse + convert peak heap <= arrow-json's"),
            mem <= 1.0,
            format!("{mem:.2}x ({} vs {})", mib(peak_ours), mib(peak_json)),
        );
        report.target(
            format!("arrow {n} rows: Parquet write <= 1.2x ArrowWriter on a prebuilt batch"),
            pq <= 1.2,
            format!("{pq:.2}x ({pq_lo:.2}–{pq_hi:.2}x over {runs} runs)"),
        );
        report.target(
            format!(
                "arrow {n} rows: body to Parquet on 2 threads >= 1.5x arrow-json + ArrowWriter"
            ),
            w2 >= 1.5,
            format!("{w2:.2}x ({w2_lo:.2}–{w2_hi:.2}x over {runs} runs)"),
        );
        report.target(
            format!("arrow {n} rows: body to Parquet on 1 thread >= 1.2x arrow-json + ArrowWriter"),
            w1 >= 1.2,
            format!("{w1:.2}x ({w1_lo:.2}–{w1_hi:.2}x over {runs} runs)"),
        );
        report.target(
            format!("arrow {n} rows: body to Parquet peak heap <= arrow-json + ArrowWriter's"),
            wmem <= 1.0,
            format!(
                "{wmem:.2}x ({} on 2 threads, {} on 1, vs {})",
                mib(peak_whole2),
                mib(peak_whole1),
                mib(peak_base)
            ),
        );
        whole_out.push(vec![
            format!("{n}"),
            format!("{:.0} ms", w_two * 1e3),
            format!("{:.0} ms", w_one * 1e3),
            format!("{:.0} ms", w_base * 1e3),
            format!("**{w2:.2}x** ({w2_lo:.2}–{w2_hi:.2})"),
            format!("**{w1:.2}x** ({w1_lo:.2}–{w1_hi:.2})"),
            format!(
                "{} / {} / {} = **{wmem:.2}x**",
                mib(peak_whole2),
                mib(peak_whole1),
                mib(peak_base)
            ),
            format!("{pq:.2}x ({pq_lo:.2}–{pq_hi:.2})"),
        ]);
        rows_out.push(vec![
            format!("{n}"),
            format!("{body_mb:.1} MB / {text_mb:.1} MB"),
            format!("{:.0} ms ({:.0} MB/s)", t_ours * 1e3, body_mb / t_ours),
            format!("{:.0} ms ({:.2}x)", t_one * 1e3, speed1),
            format!("{:.0} ms ({:.0} MB/s)", t_json * 1e3, text_mb / t_json),
            format!("**{speed:.2}x** ({speed_lo:.2}–{speed_hi:.2})"),
            format!("{} / {} = **{mem:.2}x**", mib(peak_ours), mib(peak_json)),
            format!("{:.0} ms", p_ours * 1e3),
            format!("{:.0} ms ({pq1:.2}x)", p_one * 1e3),
            format!("{:.0} ms", p_base * 1e3),
            format!("**{pq:.2}x** ({pq_lo:.2}–{pq_hi:.2})"),
        ]);
        thread_note = format!(
            "Threads: connecty used its default, up to `available_parallelism()` = {threads} here (the conversion cuts the rows into one block per thread; the Parquet writer goes in steps, converting the next block of rows while the columns of the block before are encoded, one job per column); \"1 thread\" is connecty held to one thread with `Options::threads(1)`, its ratio in brackets. arrow-json's `Decoder` and `ArrowWriter` are single-threaded."
        );
    }
    report.table(Table {
        title: "Arrow: dataframe to RecordBatch and Parquet".into(),
        command: "cargo xtask bench --only arrow (connecty-bench, arrow; times from target/release/arrow-timing)".into(),
        notes: vec![
            "Rows of the bench's mixed body (6 columns: integer, float, string, RFC 3339 timestamp with offset, boolean, nullable string with escapes). **connecty**: `connecty_proto::parse_results_body` on the whole results body, then `connecty_arrow::to_record_batch`, which infers every column's type. **arrow-json**: its `Decoder` (`StructMode::ListOnly`, one batch of all rows) reading the same data rows as newline-separated JSON arrays, handed the schema connecty-arrow inferred; both produce equal columns (checked). Speed is arrow-json's time over connecty's (same rows; higher is better).".into(),
            "Times: a separate process (`arrow-timing`, system allocator); each run is the median of several calls with the two sides taking turns; the figure is the median run's ratio with the min–max over runs. Peak heap: separate runs in the bench process under the counting allocator, input included (the body for connecty, the rows' text for arrow-json), above the heap before the call.".into(),
            "Parquet: `connecty_arrow::write(.., FileFormat::Parquet, ..)` from the parsed dataframe (conversion included) against arrow-rs's `ArrowWriter` writing a batch built in advance, both with `connecty_arrow::parquet_properties()` (zstd level 1) to `io::sink()`; the files hold the same row groups, types and values (connecty-arrow hands each column to its writer block by block, so pages may end at other rows; its tests check the file reads back as the converted batch, and is the same at any thread count). Ratio is connecty's time over ArrowWriter's (lower is better).".into(),
            thread_note,
        ],
        header: [
            "rows", "body / rows text", "connecty parse + convert", "… on 1 thread (speed)", "arrow-json decode", "speed vs arrow-json",
            "peak heap connecty / arrow-json", "connecty Parquet", "… on 1 thread (ratio)", "ArrowWriter (prebuilt)", "Parquet time ratio",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: rows_out,
    });
    report.table(Table {
        title: "Arrow: a results body to a Parquet file (what a user waits for)".into(),
        command: "cargo xtask bench --only arrow (connecty-bench, arrow; times from target/release/arrow-timing whole)".into(),
        notes: vec![
            "The whole path on both sides, from the bytes as received to a Parquet file (`io::sink()`), with the same writer properties (`connecty_arrow::parquet_properties()`: zstd level 1, arrow-rs's defaults otherwise). **connecty**: `connecty_proto::parse_results_body` on the results body, then `connecty_arrow::write_with(.., FileFormat::Parquet, ..)` (type inference included), on exactly 2 threads (`Options::threads(2)`) and on 1. **Baseline**: arrow-json's `Decoder` reading the same data rows as newline-separated JSON arrays with the schema given (connecty-arrow's inferred schema), then `ArrowWriter` writing that batch. Speed is the baseline's time over connecty's (higher is better), taken run by run: the median, and the min–max over runs in brackets.".into(),
            "Peak heap: separate runs in the bench process under the counting allocator, the input included (the body for connecty, the rows' text for the baseline), above the heap before the call; the ratio takes connecty's larger figure (2 or 1 thread). The last column is the older figure beside it: connecty's Parquet writer from a parsed dataframe against `ArrowWriter` on a batch built in advance (lower is better).".into(),
        ],
        header: [
            "rows", "connecty, 2 threads", "connecty, 1 thread", "arrow-json + ArrowWriter",
            "speed, 2 threads", "speed, 1 thread", "peak heap 2 thr / 1 thr / baseline", "prebuilt-batch ratio",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: whole_out,
    });
    Ok(())
}
