//! # connecty-testkit
//!
//! Test tools for connecty users and developers:
//!
//! - [`fixture`]: the fixture format, one JSON file per documented behaviour
//!   of the API (described in `docs/fixtures.md`), the fixtures shipped in
//!   [`fixtures_dir`], and the checks of a run against a fixture;
//! - [`MockTransport`]: an in-memory transport with a virtual clock, both
//!   blocking and async, for unit tests that run in microseconds; in one
//!   line, an API whose questions complete with a dataframe
//!   ([`MockTransport::completed`]) or fail ([`MockTransport::failed`]);
//! - [`ScriptedServer`]: a loopback HTTP server playing a script of
//!   exchanges, for testing a real transport;
//! - [`net`]: the loopback test servers every crate's tests share (a
//!   server answering with a handler, an API look-alike, a forward proxy, a
//!   test certificate authority);
//! - [`emulators`]: the emulator (the connecty-emulator crate, on which
//!   this testkit builds) started as tests start it, and what they assert
//!   of its answers;
//! - `real`: real third-party servers (nginx, tinyproxy) started on
//!   loopback for a test and stopped with it (feature `real`);
//! - [`logs`]: a `tracing` subscriber that records every line, for tests
//!   of what a client logs;
//! - [`values`]: the values all of them share, each defined once.
//!
//! ## Cargo features
//!
//! - `tls` (default): TLS test servers and the test CA (rcgen, rustls);
//! - `real` (default, implies `tls`): `real`, Debian's nginx and tinyproxy.
//!
//! The stateful local ConnectyAI is its own crate, connecty-emulator: a
//! program that ships it (the `connecty` CLI) depends on that, never on
//! this testkit. Every HTTP server here runs on its server loop
//! ([`connecty_emulator::loopback`]).
//!
//! **What it is not:** the ConnectyAI service, nor something to ship: it
//! belongs in `[dev-dependencies]`. Nothing here contacts anything but
//! `127.0.0.1`.
//!
//! ```
//! // Every shipped fixture, over the mock transport, with both clients.
//! for fixture in connecty_testkit::Fixture::load_builtin()? {
//!     fixture.check_with_mock()?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod emulators;
pub mod fixture;
pub mod logs;
pub mod mock;
pub mod net;
pub mod progress;
#[cfg(feature = "real")]
pub mod real;
pub mod scripted;
pub mod values;

pub use fixture::{
    CannedResponse, Exchange, Expected, Fixture, FixtureError, Mismatch, MockCheckError,
    Observation, Problem, RecordedRequest, RequestMatcher, Success, fixtures_dir,
};
pub use mock::MockTransport;
pub use scripted::ScriptedServer;
