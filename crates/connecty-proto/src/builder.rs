//! The client builder shared by every transport crate.
//!
//! `connecty_hyper::ClientBuilder` and `connecty_ureq::ClientBuilder` are
//! this type with their transport plugged in, so their methods are the same
//! by construction, not by care.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use crate::config::{BaseUrl, Credentials, Region};
use crate::error::Error;
use crate::net::proxy::ProxySetting;
use crate::schedule::{PollSchedule, RetryPolicy};
use crate::settings::Settings;

/// A transport that can build a client from [`Settings`].
pub trait BuildClient {
    /// The client it builds (`AsyncClient<Self>` or `BlockingClient<Self>`).
    type Client;

    /// Builds the transport and its client. Fails with
    /// [`Error::InvalidInput`] for a setting the transport cannot use (a root
    /// certificate that is not PEM, an unusable proxy URL).
    fn build_client(settings: &Settings) -> Result<Self::Client, Error>;
}

/// Builds a client over the transport `T`: region or base URL, credentials,
/// timeouts, limits, proxy, retries and polls. Every setting has a
/// documented default (see [`Settings`]).
pub struct ClientBuilder<T> {
    settings: Settings,
    transport: PhantomData<fn() -> T>,
}

impl<T> Clone for ClientBuilder<T> {
    fn clone(&self) -> Self {
        Self {
            settings: self.settings.clone(),
            transport: PhantomData,
        }
    }
}

impl<T> Default for ClientBuilder<T> {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            transport: PhantomData,
        }
    }
}

impl<T> fmt::Debug for ClientBuilder<T> {
    /// The settings; the client secret prints as `[redacted]` and a proxy
    /// URL's credentials are hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        f.debug_struct("ClientBuilder")
            .field("base_url", &s.base_url)
            .field("credentials", &s.credentials)
            .field("connect_timeout", &s.connect_timeout)
            .field("request_timeout", &s.request_timeout)
            .field("default_deadline", &s.default_deadline)
            .field("body_limit", &s.body_limit)
            .field("pool_idle_timeout", &s.pool_idle_timeout)
            .field("extra_root_certificates", &s.extra_root_certificates.len())
            .field("user_agent_suffix", &s.user_agent_suffix)
            .field("proxy", &s.proxy)
            .field("retry", &s.retry)
            .field("poll", &s.poll)
            .finish()
    }
}

impl<T: BuildClient> ClientBuilder<T> {
    /// Every setting at its default; region `eu1`, no credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from `settings`.
    pub fn from_settings(settings: Settings) -> Self {
        Self {
            settings,
            transport: PhantomData,
        }
    }

    /// Reads `CONNECTY_CLIENT_ID`, `CONNECTY_CLIENT_SECRET`, and
    /// `CONNECTY_BASE_URL` or `CONNECTY_REGION` from the environment. A
    /// missing credential is an [`Error::InvalidInput`] naming the variable.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self::from_settings(Settings::from_lookup(|k| {
            std::env::var(k).ok()
        })?))
    }

    /// Sends requests to `region`'s API.
    #[must_use]
    pub fn region(mut self, region: Region) -> Self {
        self.settings.base_url = region.base_url();
        self
    }

    /// Sends requests to `url` (scheme, host and an optional path prefix),
    /// for a private gateway or a test server.
    pub fn base_url(mut self, url: &str) -> Result<Self, Error> {
        self.settings.base_url = BaseUrl::parse(url)?;
        Ok(self)
    }

    /// Sets the client credentials ConnectyAI support issued.
    pub fn credentials(mut self, client_id: &str, client_secret: &str) -> Result<Self, Error> {
        self.settings.credentials = Some(Credentials::new(client_id, client_secret)?);
        Ok(self)
    }

    /// Limits DNS, TCP connect, proxy `CONNECT` and the TLS handshake.
    /// Default 5 s.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Limits one request: headers and the whole body. Default 60 s.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = timeout;
        self
    }

    /// The overall deadline of `wait` and `ask_and_wait` when
    /// [`WaitOptions::timeout`](crate::WaitOptions::timeout) sets none.
    /// Default 20 min.
    #[must_use]
    pub fn default_deadline(mut self, deadline: Duration) -> Self {
        self.settings.default_deadline = deadline;
        self
    }

    /// The largest response body accepted, in bytes after gzip decoding.
    /// Default 256 MiB. It also bounds
    /// [`WaitOptions::all_rows`](crate::WaitOptions::all_rows): all the rows
    /// of an answer that cannot fit end in
    /// [`Error::AnswerTooLarge`] before they are fetched.
    #[must_use]
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.settings.body_limit = bytes;
        self
    }

    /// How long an idle pooled connection is kept. Default 15 s.
    #[must_use]
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.pool_idle_timeout = timeout;
        self
    }

    /// Also trusts the CA certificate(s) in `pem`, for a private gateway.
    /// Checked by [`build`](Self::build).
    #[must_use]
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.settings.extra_root_certificates.push(pem.to_vec());
        self
    }

    /// Appended to the `User-Agent` (`connecty-rs/<version> <suffix>`).
    /// Checked by [`build`](Self::build).
    #[must_use]
    pub fn user_agent_suffix(mut self, suffix: &str) -> Self {
        self.settings.user_agent_suffix = Some(suffix.to_owned());
        self
    }

    /// How to find a proxy. Default: from the environment, as curl.
    #[must_use]
    pub fn proxy(mut self, proxy: ProxySetting) -> Self {
        self.settings.proxy = proxy;
        self
    }

    /// The retry rules. Default: 3 attempts, 1 s doubling to 20 s, full
    /// jitter.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.settings.retry = retry;
        self
    }

    /// The poll schedule. Default: at once, then 250 ms, x1.5, capped at
    /// 5 s and at a quarter of the time waited.
    #[must_use]
    pub fn poll(mut self, poll: PollSchedule) -> Self {
        self.settings.poll = poll;
        self
    }

    /// The settings so far.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Builds the client. Fails with [`Error::InvalidInput`] for a root
    /// certificate that is not PEM, an unusable proxy URL or user agent
    /// suffix.
    pub fn build(self) -> Result<T::Client, Error> {
        T::build_client(&self.settings)
    }
}
