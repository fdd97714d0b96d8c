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
//! Add one entry to [`adapters`]: the transport type, which builds its
//! client from the fixture's [`Settings`](connecty_proto::Settings) with
//! [`ClientBuilder`](connecty_proto::ClientBuilder), as a user does. A
//! blocking transport is one line:
//!
//! ```text
//! adapter::blocking::<my_transport::MyTransport>("my-transport"),
//! ```
//!
//! Every fixture's proxy setting runs the core's proxy rule on every
//! adapter (an empty proxy environment unless the fixture names one); a
//! fixture that names `{proxy}` gets a loopback proxy whose log is checked
//! against its `route`.
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
        adapter::asynchronous::<connecty_hyper::HyperTransport>("hyper"),
        adapter::blocking::<connecty_ureq::UreqTransport>("ureq"),
    ]
}

/// How many runs go at once: each run has its own server and client, and
/// most of a run is waiting on a socket or a short sleep.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .clamp(2, 8)
}

/// The Rust code blocks of README.md and docs/*.md, compiled (and run,
/// unless marked `no_run`) by `cargo test --doc -p connecty-conformance`:
/// this crate sees both transports and the testkit, as an app and its tests
/// do. A block that is not Rust a user could write is marked `text`.
#[cfg(doctest)]
mod documentation {
    #[doc = include_str!("../../../README.md")]
    struct Readme;

    #[doc = include_str!("../../../docs/architecture.md")]
    struct Architecture;

    #[doc = include_str!("../../../docs/fixtures.md")]
    struct Fixtures;

    #[doc = include_str!("../../../docs/security.md")]
    struct Security;

    #[doc = include_str!("../../../docs/dependencies.md")]
    struct Dependencies;

    #[doc = include_str!("../../../docs/benchmarks.md")]
    struct Benchmarks;
}
