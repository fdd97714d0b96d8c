//! Loopback test servers shared by every crate's tests: one API
//! look-alike, one forward proxy, one certificate authority.
//!
//! - [`Server`]: a loopback HTTP server (HTTP/1.1 and HTTP/2, plain or
//!   TLS) answering with a handler, recording requests and connections;
//! - [`FakeApi`]: a scriptable look-alike of the ConnectyAI API on it;
//! - [`TestProxy`]: a forward proxy (`CONNECT`, absolute-form, SOCKS5)
//!   recording what it was asked;
//! - [`TestCa`]: a certificate authority made with rcgen.
//!
//! Everything binds `127.0.0.1` and connects nowhere else. Real
//! third-party servers (nginx, tinyproxy) are in [`crate::real`].
//!
//! ```
//! use std::sync::Arc;
//! use connecty_testkit::net::{FakeApi, TestCa, TestProxy};
//!
//! let api = Arc::new(FakeApi::default());
//! let server = api.serve_tls(TestCa::shared().loopback())?;
//! let proxy = TestProxy::start()?;
//! assert!(server.url().starts_with("https://127.0.0.1:"));
//! assert!(proxy.url().starts_with("http://127.0.0.1:"));
//! # Ok::<(), std::io::Error>(())
//! ```

mod ca;
mod fake_api;
mod proxy;
mod server;

pub use ca::{LOOPBACK_NAMES, ServerCert, TestCa};
pub use fake_api::{FakeApi, completed_body, gzip, token_reply};
pub use proxy::TestProxy;
pub use server::{Body, Handler, Reply, Request, Server};

/// A loopback port nothing listens on (bound, then released).
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_or(9, |a| a.port())
}
