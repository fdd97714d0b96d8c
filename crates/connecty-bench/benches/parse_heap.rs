//! Parse heap figures: the same parsers as `parse.rs`, each called once
//! per body size under a counting global allocator, in a process of its
//! own so that the counting never slows a timing.
//!
//! Retained is the heap held after the call by what it returned; peak is
//! the highest heap during the call. Both are relative to the heap before
//! the call; for a parser that takes the body and keeps it (connecty) the
//! body's own allocation is made after that point and so is counted.

mod common;

use common::data;
use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

fn main() {
    let args = common::args();
    let mut out = Vec::new();
    for &(rows, calls) in common::sizes(&args) {
        let body = data::results_body(rows);
        let mut heap = Vec::new();
        for mut p in common::parsers(false) {
            // A warm-up call, so buffers a parser reuses exist already.
            p.prepare(&body);
            drop(p.parse(&body));
            let keeps = p.keeps_body();
            if !keeps {
                p.prepare(&body);
            }
            let before = ALLOC.current_usage();
            ALLOC.reset_peak_usage();
            if keeps {
                p.prepare(&body);
            }
            let kept = p.parse(&body);
            let retained = ALLOC.current_usage().saturating_sub(before);
            let peak = ALLOC.peak_usage().saturating_sub(before);
            drop(kept);
            eprintln!(
                "heap {rows} rows: {:<50} retained {:.2}x, peak {:.2}x of the body",
                p.name(),
                retained as f64 / body.len() as f64,
                peak as f64 / body.len() as f64
            );
            heap.push(data::ParseHeap {
                parser: p.name().to_string(),
                retained,
                peak,
                includes_body: keeps,
            });
        }
        out.push(data::ParseSize {
            rows,
            bytes: body.len(),
            calls_per_round: calls,
            timings: Vec::new(),
            heap,
        });
    }
    common::write(&out, args.json.as_deref());
}
