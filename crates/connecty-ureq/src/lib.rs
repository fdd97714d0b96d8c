//! # connecty-ureq
//!
//! The blocking client of the ConnectyAI Public API: the
//! [`connecty_proto`] core driven over a [ureq 3](https://docs.rs/ureq/3)
//! agent, with rustls and the platform's certificate store.
//!
//! **What it is for:** command-line tools, scripts, batch jobs and threaded
//! services that do not run an async runtime. One [`Client`] is cheap to
//! clone and `Send + Sync`: threads share its connection pool and its access
//! token, so eight threads asking at once make one token exchange.
//!
//! **What it is not for:** async code. Use `connecty-hyper` there; it has
//! the same [`ClientBuilder`] and the same methods, with `.await`. Calls
//! here block the calling thread, including while a question is polled
//! (`ask_and_wait` sleeps between polls), so do not call them from an
//! async task.
//!
//! ## Example
//!
//! ```no_run
//! use connecty_ureq::{ClientBuilder, WaitOptions};
//!
//! // CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET, and CONNECTY_REGION
//! // (eu1, us1) or CONNECTY_BASE_URL.
//! let client = ClientBuilder::from_env()?.build()?;
//! let answer = client.ask_and_wait(13, "list the top 5 countries with the most orders", &WaitOptions::new())?;
//! if let Some(df) = answer.results.dataframe {
//!     println!("{}", df.columns().join("\t"));
//!     for row in df.rows() {
//!         let cells: Vec<String> = row.cells().map(|c| c.to_string()).collect();
//!         println!("{}", cells.join("\t"));
//!     }
//! }
//! # Ok::<(), connecty_ureq::Error>(())
//! ```
//!
//! Configured in code instead of the environment:
//!
//! ```no_run
//! use std::time::Duration;
//! use connecty_ureq::{ClientBuilder, Region};
//!
//! let client = ClientBuilder::new()
//!     .region(Region::Us1)
//!     .credentials("my-client-id", "my-client-secret")?
//!     .request_timeout(Duration::from_secs(30))
//!     .body_limit(64 * 1024 * 1024)
//!     .user_agent_suffix("nightly-report/1.2")
//!     .build()?;
//! client.health()?;
//! # Ok::<(), connecty_ureq::Error>(())
//! ```
//!
//! ## Defaults
//!
//! | what | default | why |
//! |---|---|---|
//! | connect timeout (DNS, TCP, TLS, proxy) | 5 s | as the OpenAI Python SDK: long enough for a slow handshake across an ocean, short enough to retry a dead address quickly ([`DEFAULT_CONNECT_TIMEOUT`](connecty_proto::DEFAULT_CONNECT_TIMEOUT)) |
//! | request timeout (headers and the whole body) | 60 s | as the Databricks SDK's HTTP timeout; a stalled body ends in [`TransportErrorKind::Timeout`](connecty_proto::TransportErrorKind::Timeout) ([`DEFAULT_REQUEST_TIMEOUT`](connecty_proto::DEFAULT_REQUEST_TIMEOUT)) |
//! | response body limit (after gzip decoding) | 256 MiB | a 10-million-row dataframe fits; a runaway or hostile body ends in [`TransportErrorKind::BodyTooLarge`](connecty_proto::TransportErrorKind::BodyTooLarge), not out-of-memory. ureq's own 10 MB limit is replaced ([`DEFAULT_BODY_LIMIT`](connecty_proto::DEFAULT_BODY_LIMIT)) |
//! | pool idle timeout | 15 s | below the 60-75 s keep-alive of common proxies and load balancers, so a pooled connection is dropped before the far end drops it ([`DEFAULT_POOL_IDLE_TIMEOUT`](connecty_proto::DEFAULT_POOL_IDLE_TIMEOUT)) |
//! | overall deadline of `wait`/`ask_and_wait` | 20 min | as the Databricks SDK's Genie waiter ([`DEFAULT_DEADLINE`](connecty_proto::DEFAULT_DEADLINE)) |
//! | retries | 3 attempts, 1 s doubling to 20 s, full jitter | AWS SDK standard mode; `Retry-After` of a 429/503 is honoured up to the cap ([`RetryPolicy`](connecty_proto::RetryPolicy)) |
//! | polls | at once, then 250 ms, x1.5, at most 5 s apart and at most 25% of the time waited | quick answers come back at once, long ones cost few requests ([`PollSchedule`](connecty_proto::PollSchedule)) |
//! | proxy | `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` | the core's rule, the same as connecty-hyper's ([`connecty_proto::net::ProxyRules`]): curl's, lower-case first; `CONNECT` tunnels for https, SOCKS for either. **Limit:** a plain `http://` base URL through an HTTP proxy is refused when the client is built (ureq 3 cannot send the absolute-form request curl sends; see [`ClientBuilder::build`]) |
//! | trusted roots | the platform's (rustls-platform-verifier) | what the rustls authors recommend; extra roots for private gateways come on top (see [`ClientBuilder::add_root_certificate_pem`]) |
//! | redirects | never followed | a 3xx comes back as an error naming its status; the `Authorization` header never leaves the base URL's origin |
//! | compression | `Accept-Encoding: gzip`, decoded | a large dataframe compresses about tenfold |
//!
//! Certificate verification cannot be turned off.
//!
//! ## Logs
//!
//! The transport emits `tracing` events at trace level (method, path,
//! status, body size, elapsed time); the core adds spans per operation and
//! per request. Headers, bodies, tokens and secrets are never logged.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod resolver;
mod tls;
mod transport;

pub use connecty_proto;
pub use connecty_proto::{
    Answer, BlockingClient, BlockingTransport, Error, Hint, Include, IncludeSet, QuestionId,
    Region, ResultsOptions, WaitOptions, WorkspaceId,
};
pub use transport::UreqTransport;

use connecty_proto::Settings;

/// The blocking client: [`connecty_proto::BlockingClient`] over
/// [`UreqTransport`]. Build one with [`ClientBuilder`].
///
/// Cheap to clone, `Send + Sync`: clones share the connection pool and the
/// access token.
pub type Client = connecty_proto::BlockingClient<UreqTransport>;

/// Builds a [`Client`]. Every setting has a documented default (see the
/// [crate documentation](crate#defaults)); the same builder, with the same
/// method names, builds `connecty-hyper`'s async client.
pub type ClientBuilder = connecty_proto::ClientBuilder<UreqTransport>;

impl connecty_proto::BuildClient for UreqTransport {
    type Client = Client;

    fn build_client(settings: &Settings) -> Result<Client, Error> {
        let config = settings.client_config()?;
        let transport = UreqTransport::new(settings)?;
        Ok(connecty_proto::BlockingClient::new(transport, config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_proto::{PollSchedule, ProxySetting, RetryPolicy};
    use std::time::Duration;

    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

    #[test]
    fn client_is_send_sync_clone() {
        assert_send_sync_clone::<Client>();
        assert_send_sync_clone::<ClientBuilder>();
    }

    #[test]
    fn builder_sets_every_setting() {
        let b = ClientBuilder::new()
            .region(Region::Us1)
            .connect_timeout(Duration::from_secs(1))
            .request_timeout(Duration::from_secs(2))
            .default_deadline(Duration::from_secs(3))
            .body_limit(4)
            .pool_idle_timeout(Duration::from_secs(5))
            .user_agent_suffix("app/1")
            .proxy(ProxySetting::Disabled)
            .retry(RetryPolicy::none())
            .poll(PollSchedule {
                first: Duration::from_millis(6),
                cap: Duration::from_millis(7),
                ..PollSchedule::default()
            });
        let s = b.settings();
        assert_eq!(s.base_url, Region::Us1.base_url());
        assert_eq!(s.connect_timeout, Duration::from_secs(1));
        assert_eq!(s.request_timeout, Duration::from_secs(2));
        assert_eq!(s.default_deadline, Duration::from_secs(3));
        assert_eq!(s.body_limit, 4);
        assert_eq!(s.pool_idle_timeout, Duration::from_secs(5));
        assert_eq!(s.user_agent_suffix.as_deref(), Some("app/1"));
        assert_eq!(s.proxy, ProxySetting::Disabled);
        assert_eq!(s.retry, RetryPolicy::none());
        assert_eq!(s.poll.cap, Duration::from_millis(7));
        let client = b.build().unwrap();
        assert!(client.config().user_agent.ends_with(" app/1"));
        assert_eq!(client.config().request_timeout, Duration::from_secs(2));
        assert_eq!(client.transport().body_limit(), 4);
    }

    #[test]
    fn builder_defaults_match_settings() {
        assert_eq!(ClientBuilder::new().settings(), &Settings::default());
        assert_eq!(ClientBuilder::default().settings(), &Settings::default());
    }

    #[test]
    fn bad_input_is_refused_at_once_or_at_build() {
        assert!(matches!(
            ClientBuilder::new().base_url("ftp://x"),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            ClientBuilder::new().credentials("", "s"),
            Err(Error::InvalidInput(_))
        ));
        let e = ClientBuilder::new()
            .add_root_certificate_pem(b"not a pem")
            .build()
            .unwrap_err();
        match e {
            Error::InvalidInput(i) => assert_eq!(i.field, "root_certificate"),
            other => panic!("{other:?}"),
        }
        let e = ClientBuilder::new()
            .user_agent_suffix("bad\nsuffix")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
        let e = ClientBuilder::new()
            .proxy(ProxySetting::Url("nope://x".into()))
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let b = ClientBuilder::new()
            .credentials("id", "hunter2")
            .unwrap()
            .proxy(ProxySetting::Url(
                "http://user:pw-hunter3@proxy:3128".into(),
            ));
        let debug = format!("{b:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("hunter3"),
            "{debug}"
        );
        let client = b.build().unwrap();
        let debug = format!("{:?}", client.transport());
        assert!(!debug.contains("hunter3"), "{debug}");
    }
}
