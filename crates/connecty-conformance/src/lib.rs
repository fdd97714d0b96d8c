//! # connecty-conformance
//!
//! Runs every fixture of `connecty-testkit` against every transport
//! adapter and prints a matrix of fixture by adapter with PASS/FAIL,
//! followed by the first difference of each failure.
//!
//! **What it is for:** proving that every transport (the in-memory mock,
//! connecty-hyper, connecty-ureq) turns the same server behaviour into the
//! same outcome. `cargo run -p connecty-conformance` (or `cargo xtask
//! conformance`) prints the matrix and exits non-zero on any failure; the
//! same matrix runs in `cargo test -p connecty-conformance`.
//!
//! **What it is not:** a published crate, or a test of the real service:
//! every request goes to a loopback [`ScriptedServer`] or stays in memory.
//!
//! ## Adding an adapter
//!
//! Add one entry to [`adapters`]. A blocking transport crate is one line:
//!
//! ```text
//! adapter::blocking("my-transport", |c| configure!(my_transport::ClientBuilder::new(), c).build()),
//! ```
//!
//! [`ScriptedServer`]: connecty_testkit::ScriptedServer

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod adapter;
pub mod matrix;

pub use adapter::{Adapter, Failure};
pub use matrix::{Cell, Matrix};

/// Every adapter the matrix runs, one column each. Adding an adapter is one
/// entry here.
pub fn adapters() -> Vec<Box<dyn Adapter>> {
    vec![
        Box::new(adapter::Mock),
        adapter::asynchronous("hyper", |c| {
            configure!(connecty_hyper::ClientBuilder::new(), c).build()
        }),
        adapter::blocking("ureq", |c| {
            configure!(connecty_ureq::ClientBuilder::new(), c).build()
        }),
    ]
}

/// How many runs go at once: each run has its own server and client, and
/// most of a run is waiting on a socket or a short sleep.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .clamp(2, 8)
}
