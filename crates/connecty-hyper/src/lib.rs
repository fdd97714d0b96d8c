//! # connecty-hyper
//!
//! The async client of the ConnectyAI Public API: ask a question of a Data
//! Workspace and wait for its results, over hyper 1, rustls and tokio.
//!
//! **What it is for:** services and tools that already run tokio. One
//! [`Client`] is `Clone + Send + Sync` and serves a whole service: its
//! clones share one connection pool (HTTP/1.1, or HTTP/2 when the server
//! offers it over ALPN) and one access token, so fifty questions asked at
//! once against a fresh client make one token request.
//!
//! **What it is not for:** programs without an async runtime; use
//! `connecty-ureq`, which has the same [`ClientBuilder`] and the same
//! methods without `.await`. The request logic (tokens, retries, polling)
//! lives in [`connecty_proto`]; this crate only carries the bytes.
//!
//! ## Example
//!
//! ```no_run
//! use connecty_hyper::{ClientBuilder, WaitOptions};
//!
//! # async fn run() -> Result<(), connecty_hyper::Error> {
//! // CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET, optionally
//! // CONNECTY_REGION (eu1, us1) or CONNECTY_BASE_URL.
//! let client = ClientBuilder::from_env()?.build()?;
//! let answer = client
//!     .ask_and_wait(13, "list the top 5 countries with the most orders", &WaitOptions::new())
//!     .await?;
//! if let Some(df) = answer.results.dataframe {
//!     println!("{}", df.columns().join("\t"));
//!     for row in df.rows() {
//!         let cells: Vec<String> = row.cells().map(|c| c.to_string()).collect();
//!         println!("{}", cells.join("\t"));
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Defaults
//!
//! Every default can be changed on [`ClientBuilder`].
//!
//! | what | default | why |
//! |---|---|---|
//! | connect timeout (TCP, proxy CONNECT, TLS) | 5 s | as the OpenAI Python SDK: a healthy endpoint answers in well under a second, a dead one should fail fast and be retried |
//! | request timeout (headers and whole body) | 60 s | as the Databricks SDK; every call of this API answers at once (asking does not wait for the answer), so a minute means a stalled connection |
//! | overall deadline of `wait` / `ask_and_wait` | 20 min | as the Databricks SDK's Genie waiter; on timeout the question goes on server-side |
//! | response body limit (after gzip decoding) | 256 MiB | a large dataframe fits; a runaway body ends in a typed error, not out of memory |
//! | pool idle timeout | 15 s | below the 60-75 s keep-alive of common proxies and load balancers, so a pooled connection is not closed under a request ("connection closed before message completed"); hyper-util's 90 s races them |
//! | retries | 3 attempts, 1 s doubling to 20 s, full jitter; `Retry-After` honoured | AWS SDK standard mode; asking is retried only when the request certainly never left |
//! | polling | first poll at once, then 250 ms, x1.5 up to 5 s and at most 25% of the time waited | quick answers return at once, long ones cost few requests; the OpenAI, AWS and Databricks waiters also poll at once |
//! | proxy | `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY`, the core's rule ([`connecty_proto::net::ProxyRules`], the same as connecty-ureq's: curl's, lower case first) | corporate networks work without code |
//! | trusted roots | the operating system's store | what the rustls authors recommend; corporate TLS inspection keeps working |
//!
//! ## Transport behaviour
//!
//! - **TLS** is rustls (ring). Certificates are always verified; there is no
//!   switch to turn verification off. Add a private gateway's CA with
//!   [`ClientBuilder::add_root_certificate_pem`].
//! - **Compression:** requests send `Accept-Encoding: gzip`; gzip bodies are
//!   decoded as they arrive, and the body limit applies to the decoded
//!   size, so a small compressed body cannot inflate without bound.
//! - **Redirects are never followed:** a 3xx comes back to the core, which
//!   reports it as an error. The `Authorization` header therefore never goes
//!   to another origin.
//! - **Proxies:** which proxy and how is the core's decision
//!   ([`connecty_proto::net`]); this crate carries it out. https goes
//!   through a `CONNECT` tunnel, http to the proxy in absolute form (one
//!   request per connection, as forward proxies often close after each);
//!   `socks5://`, `socks5h://`, `socks4://` and `socks4a://` proxy URLs work
//!   too. `https://` proxy URLs are not supported. The environment is read
//!   when the client is built.
//! - **Pooling:** a request that fails on a reused connection before it was
//!   written is sent again on a new connection.
//! - **Tracing:** the core opens a span per operation and per request; this
//!   crate adds `trace` events with method, path, status and sizes. Headers,
//!   bodies and tokens are never logged.
//!
//! ## Cargo features
//!
//! - `platform-verifier` (default): trust the operating system's
//!   certificate store, through `rustls-platform-verifier`.
//! - `webpki-roots`: trust the Mozilla root bundle compiled into the binary,
//!   for minimal containers without a CA store. With both features a
//!   certificate trusted by either is accepted.
//!
//! ## Cancellation and resuming
//!
//! Dropping a future (a `tokio::time::timeout`, a `select!`, a cancelled
//! task) stops the polling at once; nothing runs in the background. The
//! question itself goes on server-side: keep its id (from
//! [`Client::ask`], the progress callback's
//! [`Event::Asked`](connecty_proto::Event::Asked), or
//! [`Error::Timeout`]) and resume with
//! [`wait(dw, question_id, ..)`](connecty_proto::AsyncClient::wait).
//!
//! Every request must run inside a tokio runtime (multi-thread or
//! current-thread). Pooled connections live on the runtime that opened
//! them: share a client within one runtime.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod body;
mod connect;
mod error;
mod tls;
mod transport;

pub use connecty_proto;
pub use connecty_proto::{
    Answer, AsyncClient, AsyncTransport, Error, Hint, Include, IncludeSet, QuestionId, Region,
    ResultsOptions, WaitOptions, WorkspaceId,
};
pub use transport::HyperTransport;

use connecty_proto::Settings;

/// The async ConnectyAI client over [`HyperTransport`].
///
/// Cheap to clone; clones share the connection pool and the access token.
pub type Client = AsyncClient<HyperTransport>;

/// Builds a [`Client`]. The same methods as `connecty_ureq::ClientBuilder`.
///
/// ```
/// use std::time::Duration;
/// use connecty_hyper::{ClientBuilder, Region};
///
/// let client = ClientBuilder::new()
///     .region(Region::Us1)
///     .credentials("my-client", "my-secret")?
///     .request_timeout(Duration::from_secs(30))
///     .build()?;
/// # let _ = client;
/// # Ok::<(), connecty_hyper::Error>(())
/// ```
pub type ClientBuilder = connecty_proto::ClientBuilder<HyperTransport>;

impl connecty_proto::BuildClient for HyperTransport {
    type Client = Client;

    fn build_client(settings: &Settings) -> Result<Client, Error> {
        let config = settings.client_config()?;
        let transport = HyperTransport::new(settings)?;
        Ok(AsyncClient::new(transport, config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_proto::{PollSchedule, ProxySetting, RetryPolicy, redact_userinfo};
    use std::time::Duration;

    #[test]
    fn client_is_clone_send_sync() {
        fn check<T: Clone + Send + Sync + 'static>() {}
        check::<Client>();
        check::<ClientBuilder>();
    }

    #[test]
    fn builder_keeps_every_setting() {
        let b = ClientBuilder::new()
            .base_url("http://127.0.0.1:9/prefix")
            .unwrap()
            .credentials("id", "hunter2")
            .unwrap()
            .connect_timeout(Duration::from_secs(1))
            .request_timeout(Duration::from_secs(2))
            .default_deadline(Duration::from_secs(3))
            .body_limit(4)
            .pool_idle_timeout(Duration::from_secs(5))
            .user_agent_suffix("tests/1")
            .proxy(ProxySetting::Disabled)
            .retry(RetryPolicy::none())
            .poll(PollSchedule {
                first: Duration::from_millis(10),
                factor: 1.0,
                cap: Duration::from_millis(10),
                ..PollSchedule::default()
            });
        let s = b.settings();
        assert_eq!(s.base_url.to_string(), "http://127.0.0.1:9/prefix");
        assert_eq!(s.connect_timeout, Duration::from_secs(1));
        assert_eq!(s.request_timeout, Duration::from_secs(2));
        assert_eq!(s.default_deadline, Duration::from_secs(3));
        assert_eq!(s.body_limit, 4);
        assert_eq!(s.pool_idle_timeout, Duration::from_secs(5));
        assert_eq!(s.proxy, ProxySetting::Disabled);
        assert_eq!(s.retry.max_attempts, 1);
        assert!(!format!("{b:?}").contains("hunter2"));
        let client = b.build().unwrap();
        assert_eq!(
            client.config().user_agent,
            format!("{} tests/1", connecty_proto::default_user_agent())
        );
        assert_eq!(client.transport().body_limit(), 4);
    }

    #[test]
    fn debug_output_hides_the_secret_and_proxy_credentials() {
        let b = ClientBuilder::new()
            .credentials("id", "hunter2")
            .unwrap()
            .proxy(ProxySetting::Url("http://user:pa55word@proxy:3128/".into()));
        let text = format!("{b:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("pa55word"), "{text}");
        assert!(text.contains("http://[redacted]@proxy:3128/"), "{text}");
        assert_eq!(redact_userinfo("http://proxy:1"), "http://proxy:1");
        assert_eq!(redact_userinfo("u:p@proxy:1"), "[redacted]@proxy:1");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = ClientBuilder::new().settings().clone();
        assert_eq!(s.connect_timeout, Duration::from_secs(5));
        assert_eq!(s.request_timeout, Duration::from_secs(60));
        assert_eq!(s.default_deadline, Duration::from_secs(20 * 60));
        assert_eq!(s.body_limit, 256 * 1024 * 1024);
        assert_eq!(s.pool_idle_timeout, Duration::from_secs(15));
        assert_eq!(s.proxy, ProxySetting::FromEnv);
        assert_eq!(s.base_url, Region::Eu1.base_url());
    }

    #[test]
    fn bad_input_is_refused_by_build() {
        let e = ClientBuilder::new()
            .add_root_certificate_pem(b"garbage")
            .build()
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidInput(ref i) if i.field == "root_certificate"),
            "{e}"
        );
        let e = ClientBuilder::new()
            .user_agent_suffix("bad\nsuffix")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{e}");
        let e = ClientBuilder::new()
            .proxy(ProxySetting::Url("ftp://proxy".into()))
            .build()
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidInput(ref i) if i.field == "proxy"),
            "{e}"
        );
        assert!(ClientBuilder::new().base_url("ftp://x").is_err());
        assert!(ClientBuilder::new().credentials("", "s").is_err());
    }
}
