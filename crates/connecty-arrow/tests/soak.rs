//! The `arrow` fuzz target's properties (`fuzz/src/arrow.rs`, included by
//! path) on its seed corpus and on generated frames, without libFuzzer.
//!
//! `quick::arrow` runs in `cargo test`: every seed of the corpus
//! (`fuzz/seeds/arrow/` and the testkit's fixtures, as `cargo xtask
//! fuzz-seeds` writes them), then 256 generated frames. `soak::arrow` is
//! what `cargo xtask fuzz` runs when cargo-fuzz is missing: generated
//! frames for `CONNECTY_SOAK_SECONDS`.
//!
//! The frames are built from cells chosen to sit on the ladder's edges
//! (integers at the limits of `i64`, `u64` and 38 digits, floats that do
//! and do not read back, timestamps at precision limits, lone surrogates,
//! nesting), so that almost every case reaches the conversion rather than
//! stopping at the JSON parser, which the byte-level libFuzzer target
//! covers.

#[path = "../../../fuzz/src/arrow.rs"]
mod fuzz_arrow;
#[path = "../../../fuzz/src/scenario.rs"]
mod scenario;
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CELLS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-0",
    "-0.0",
    "1",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "100000000000000000000000000000000000000",
    "0.1",
    "1.50",
    "1e-7",
    "1E2",
    "2.5e-324",
    "5e-324",
    "1.7976931348623157e308",
    "1e400",
    "1e-400",
    "0.10000000000000000001",
    "9007199254740993",
    "123456789012345678901234567.89",
    "\"\"",
    "\"text\"",
    "\"a\\\"b\\\\c\\n\"",
    "\"\\ud800\"",
    "\"\\ud83d\\ude00\"",
    "\"żółw 🐢\"",
    "\"2025-10-24T11:03:05.196568+02:00\"",
    "\"2025-10-24T11:03:05Z\"",
    "\"2025-10-24 11:03:05.1234567Z\"",
    "\"2025-10-24T23:59:60Z\"",
    "\"0000-01-01T00:00:00-23:59\"",
    "\"9999-12-31T23:59:59.999999+00:00\"",
    "\"2024-02-29\"",
    "\"2023-02-29\"",
    "[]",
    "{}",
    "[1,\"a\",null]",
    "{\"k\":[1,{\"z\":null}]}",
];

const NAMES: &[&str] = &["a", "a", "", "a_2", "column_0", "id"];

const STATS: &[&str] = &[
    "",
    r#"{"a":{"temporal":{"min":"2025-10-24T11:03:05Z","max":"2025-10-25T00:00:00+01:00"}}}"#,
    r#"{"a":{"temporal":{"min":"2025-10-24","max":"2025-10-25"}},"id":{"string":{"mean_len":1e300}}}"#,
    r#"{"a":{"numeric":{"min":1,"max":18446744073709551616}},"":{"string":{"mean_len":-1}}}"#,
];

/// A frame (and stats) as the target's input bytes.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(0..NAMES.len(), 0..6),
        0usize..8,
        0..STATS.len(),
        // One column in three sticks to one cell, so typed columns happen.
        proptest::collection::vec((0..CELLS.len(), 0u8..3), 64),
        proptest::collection::vec(0..CELLS.len(), 64),
    )
        .prop_map(|(names, rows, stats, columns, cells)| {
            let header: Vec<String> = names.iter().map(|&i| format!("\"{}\"", NAMES[i])).collect();
            let mut text = format!("[[{}]", header.join(","));
            for r in 0..rows {
                let row: Vec<&str> = (0..names.len())
                    .map(|c| {
                        let (fixed, mode) = columns[c % columns.len()];
                        match mode {
                            0 => CELLS[fixed],
                            _ => CELLS[cells[(r * 7 + c) % cells.len()]],
                        }
                    })
                    .collect();
                if !names.is_empty() {
                    text.push_str(&format!(",[{}]", row.join(",")));
                }
            }
            text.push(']');
            let mut bytes = text.into_bytes();
            if !STATS[stats].is_empty() {
                bytes.push(0);
                bytes.extend_from_slice(STATS[stats].as_bytes());
            }
            bytes
        })
}

fn seeds() -> Vec<Vec<u8>> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    seeds::corpus(
        &repo.join("fuzz/seeds"),
        &repo.join("crates/connecty-testkit/fixtures"),
    )
    .remove("arrow")
    .unwrap_or_default()
}

fn run(cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&frame(), |input| {
        fuzz_arrow::convert(&input);
        Ok(())
    }) {
        panic!("arrow: {e}");
    }
}

mod quick {
    #[test]
    fn arrow() {
        let seeds = super::seeds();
        assert!(
            seeds.len() >= 7,
            "the seed corpus is missing: {} seeds",
            seeds.len()
        );
        for seed in &seeds {
            super::fuzz_arrow::convert(seed);
        }
        super::run(256);
    }
}

mod soak {
    #[test]
    #[ignore = "long: run by `cargo xtask fuzz` with CONNECTY_SOAK_SECONDS"]
    fn arrow() {
        let seconds: f64 = std::env::var("CONNECTY_SOAK_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10.0);
        let started = super::Instant::now();
        let until = started + super::Duration::from_secs_f64(seconds.max(0.0));
        let mut cases = 0u64;
        for seed in super::seeds() {
            super::fuzz_arrow::convert(&seed);
            cases += 1;
        }
        while super::Instant::now() < until {
            super::run(512);
            cases += 512;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "soak: arrow: {cases} cases in {secs:.1}s ({:.0}/s)",
            cases as f64 / secs.max(1e-9)
        );
    }
}
