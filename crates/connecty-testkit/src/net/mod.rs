//! Loopback test servers shared by every crate's tests: one API
//! look-alike, one forward proxy, one certificate authority.
//!
//! - [`Server`]: a loopback HTTP server (HTTP/1.1 and HTTP/2, plain or
//!   TLS) answering with a handler, recording requests and connections;
//! - [`FakeApi`]: a scriptable look-alike of the ConnectyAI API on it;
//! - [`TestProxy`]: a forward proxy (`CONNECT`, absolute-form, SOCKS5)
//!   recording what it was asked;
//! - `TestCa`: a certificate authority made with rcgen (feature `tls`, on
//!   by default, as are the TLS servers).
//!
//! Everything binds `127.0.0.1` and connects nowhere else. Real
//! third-party servers (nginx, tinyproxy) are in `real` (feature `real`).
//!
//! ```
//! # #[cfg(feature = "tls")] {
//! use std::sync::Arc;
//! use connecty_testkit::net::{FakeApi, TestCa, TestProxy};
//!
//! let api = Arc::new(FakeApi::default());
//! let server = api.serve_tls(TestCa::shared().loopback())?;
//! let proxy = TestProxy::start()?;
//! assert!(server.url().starts_with("https://127.0.0.1:"));
//! assert!(proxy.url().starts_with("http://127.0.0.1:"));
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```

#[cfg(feature = "tls")]
mod ca;
mod fake_api;
mod proxy;
mod server;

#[cfg(feature = "tls")]
pub use ca::{LOOPBACK_NAMES, ServerCert, TestCa};
pub(crate) use fake_api::completed_body_with;
pub use fake_api::{FakeApi, completed_body, token_reply};
pub use proxy::TestProxy;
#[cfg(not(feature = "tls"))]
pub use server::Never;
pub use server::{Body, Handler, Reply, Request, Server};

/// Client settings for a test server at `base_url`: the test credentials
/// ([`values::CLIENT_ID`](crate::values::CLIENT_ID)), no proxy whatever the
/// environment says, polls every 20 ms and 3 attempts 10 to 50 ms apart,
/// so a test that polls or retries runs in milliseconds. Start a
/// transport's builder from them with `ClientBuilder::from_settings`.
///
/// # Panics
///
/// If `base_url` is not an http(s) URL.
pub fn client_settings(base_url: &str) -> connecty_proto::Settings {
    // Field by field: Settings is non-exhaustive.
    use std::time::Duration;
    let mut s = connecty_proto::Settings::default();
    s.base_url = connecty_proto::BaseUrl::parse(base_url).expect("a test server's base URL");
    s.credentials = Some(
        connecty_proto::Credentials::new(crate::values::CLIENT_ID, crate::values::CLIENT_SECRET)
            .expect("the test credentials are valid"),
    );
    s.proxy = connecty_proto::ProxySetting::Disabled;
    s.poll = connecty_proto::PollSchedule {
        first: Duration::from_millis(20),
        factor: 1.0,
        cap: Duration::from_millis(20),
        ..connecty_proto::PollSchedule::default()
    };
    // The struct update keeps this compiling when the core adds a field.
    #[allow(clippy::needless_update)]
    let retry = connecty_proto::RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
        ..connecty_proto::RetryPolicy::default()
    };
    s.retry = retry;
    s
}

/// Asserts that `answer` is [`FakeApi`]'s: [`QUESTION_ID`](crate::values::QUESTION_ID)
/// and [`DATAFRAME`](crate::values::DATAFRAME).
///
/// # Panics
///
/// When it is not.
pub fn assert_fake_answer(answer: &connecty_proto::Answer) {
    assert_eq!(answer.question_id.to_string(), crate::values::QUESTION_ID);
    let df = answer.results.dataframe.as_ref().expect("a dataframe");
    assert_eq!(df.columns(), ["country", "orders"]);
    assert_eq!(df.len(), 2);
    let country = df
        .cell(0, 0)
        .and_then(|c| c.as_str().map(|s| s.into_owned()));
    assert_eq!(country.as_deref(), Some("Poland"));
    assert_eq!(df.cell(1, 1).and_then(|c| c.as_u64()), Some(7));
}

/// Sends `raw` bytes to `addr` and reads until the server closes (at most
/// 5 s): a unit test's HTTP client that hides nothing.
#[cfg(test)]
pub(crate) fn raw_exchange(addr: std::net::SocketAddr, raw: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the test server");
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    s.write_all(raw.as_bytes()).expect("write the request");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// A loopback port nothing listens on (bound, then released).
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_or(9, |a| a.port())
}
