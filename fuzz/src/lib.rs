//! Fuzz targets for `connecty-proto`: the response parsers, caller-input
//! validation and the ask-and-wait state machine; and for `connecty-arrow`'s
//! conversion (`arrow`).
//!
//! The properties live in plain functions taking bytes, so the same code
//! runs under libFuzzer (`fuzz_targets/*.rs`, `cargo xtask fuzz`) and
//! under proptest (`crates/connecty-proto/tests/soak.rs` includes these
//! files by path).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod arrow;
pub mod machine;
pub mod parsers;
pub mod scenario;
pub mod seeds;

/// The fuzz targets, by name, with the function each runs.
pub const TARGETS: [(&str, fn(&[u8])); 10] = [
    ("results_body", parsers::results_body),
    ("token", parsers::token),
    ("ask", parsers::ask),
    ("health", parsers::health),
    ("dataframe", parsers::dataframe),
    ("statistics", parsers::statistics),
    ("caller_input", parsers::caller_input),
    ("machine", machine_bytes),
    ("client", client_bytes),
    ("arrow", arrow::convert),
];

/// The `machine` target: decodes a scenario and drives one operation.
pub fn machine_bytes(data: &[u8]) {
    machine::run_operation(&scenario::decode(data));
}

/// The `client` target: decodes a scenario and drives the blocking client.
pub fn client_bytes(data: &[u8]) {
    machine::run_client(&scenario::decode(data));
}
