//! Parse timings: connecty's results parser and its baselines, in one
//! process, with the system allocator (no counting allocator here: it
//! would slow the parsers that allocate most). Run by the main bench
//! binary's parse section (`cargo bench -p connecty-bench --bench parse`),
//! which renders the table; alone it prints the figures as JSON. Under
//! `cargo test` (no `--bench` argument) it is a smoke test: one small body,
//! one call per parser.
//!
//! Protocol, per body size: several rounds; in each round every parser is
//! called `calls_per_round` times, interleaved (call i of every parser,
//! in an order that rotates with i, before call i + 1 of any), after one
//! untimed warm-up call each. A round's figure for a parser is the median
//! of its calls. Ratios are taken round by round, so load that changes
//! during the run shows as spread rather than as a bias.

mod common;

use std::time::{Duration, Instant};

use common::data;

fn main() {
    let args = common::args();
    let rounds = match (args.smoke, args.quick) {
        (true, _) => 1,
        (false, true) => 3,
        (false, false) => 5,
    };
    let mut out = Vec::new();
    for &(rows, calls) in common::sizes(&args) {
        let body = data::results_body(rows);
        let mut parsers = common::parsers(true);
        for p in parsers.iter_mut() {
            p.prepare(&body);
            drop(p.parse(&body));
        }
        let mut timings: Vec<data::ParseTiming> = parsers
            .iter()
            .map(|p| data::ParseTiming {
                parser: p.name().to_string(),
                rounds_mb_s: Vec::new(),
            })
            .collect();
        for _ in 0..rounds {
            let mut times: Vec<Vec<Duration>> = vec![Vec::new(); parsers.len()];
            for call in 0..calls {
                let n = parsers.len();
                for k in 0..n {
                    let i = (k + call) % n;
                    let p = &mut parsers[i];
                    p.prepare(&body);
                    let t = Instant::now();
                    let kept = p.parse(&body);
                    let d = t.elapsed();
                    drop(kept);
                    times[i].push(d);
                }
            }
            for (t, mut ts) in timings.iter_mut().zip(times) {
                ts.sort();
                let median = ts[ts.len() / 2].as_secs_f64().max(1e-9);
                t.rounds_mb_s.push(body.len() as f64 / 1e6 / median);
            }
        }
        for t in &timings {
            eprintln!(
                "parse {rows} rows: {:<50} {}",
                t.parser,
                t.rounds_mb_s
                    .iter()
                    .map(|x| format!("{x:.0}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        out.push(data::ParseSize {
            rows,
            bytes: body.len(),
            calls_per_round: calls,
            timings,
            heap: Vec::new(),
        });
    }
    common::write(&out, args.json.as_deref());
}
