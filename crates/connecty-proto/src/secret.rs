//! Secret values: the client secret and access tokens.
//!
//! Both print as `[redacted]` through `Debug` and `Display`. The only way to
//! read the value is [`ClientSecret::expose`] / [`AccessToken::expose`], which
//! the request builders call when they put the value on the wire.

use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};

const REDACTED: &str = "[redacted]";

/// A client secret, as issued by ConnectyAI support.
///
/// `Debug` and `Display` print `[redacted]`; use [`expose`](Self::expose) to
/// read it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Only the token request builder needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A short-lived access token, as returned by `POST /v1/auth/token`.
///
/// Besides the secret value it records when it expires, both as the
/// server's wall-clock `expires_at` and as a monotonic [`Instant`] computed
/// when the token was received, together with the instant from which it
/// should be refreshed (see [`refresh_margin`]).
///
/// `Debug` and `Display` never show the token.
#[derive(Clone)]
pub struct AccessToken {
    value: String,
    expires_at: DateTime<FixedOffset>,
    expires: Instant,
    refresh_at: Instant,
}

/// How long before expiry a token is refreshed: the smaller of 60 s and a
/// tenth of the token's lifetime.
///
/// A token with a one-hour lifetime is refreshed 60 s before it expires; a
/// token that lives 5 minutes is refreshed 30 s before. No request leaves
/// with a token inside that margin.
pub fn refresh_margin(lifetime: Duration) -> Duration {
    std::cmp::min(Duration::from_secs(60), lifetime / 10)
}

/// The lifetime assumed when the server's `expires_at` is already in the
/// past by our clock (clock skew): 60 seconds. A 401 refreshes it anyway.
pub const SKEWED_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

impl AccessToken {
    /// Builds a token received at `received` (monotonic) that lives for
    /// `lifetime` according to the server, expiring at `expires_at`.
    pub fn new(
        value: impl Into<String>,
        expires_at: DateTime<FixedOffset>,
        received: Instant,
        lifetime: Duration,
    ) -> Self {
        let lifetime = if lifetime.is_zero() {
            SKEWED_TOKEN_LIFETIME
        } else {
            lifetime
        };
        let expires = crate::schedule::later(received, lifetime);
        Self {
            value: value.into(),
            expires_at,
            expires,
            refresh_at: expires - refresh_margin(lifetime),
        }
    }

    /// The token itself, for the `Authorization` header. Handle with care.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The expiry the server announced, with its offset.
    pub fn expires_at(&self) -> DateTime<FixedOffset> {
        self.expires_at
    }

    /// The monotonic instant at which the token expires.
    pub fn expires(&self) -> Instant {
        self.expires
    }

    /// The monotonic instant from which the token is no longer used for new
    /// requests.
    pub fn refresh_at(&self) -> Instant {
        self.refresh_at
    }

    /// Whether a request may still leave with this token at `now`.
    pub fn is_usable(&self, now: Instant) -> bool {
        now < self.refresh_at
    }

    /// Whether two handles hold the same token value.
    pub fn same_token(&self, other: &AccessToken) -> bool {
        self.value == other.value
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.expires_at == other.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &REDACTED)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = ClientSecret::new("s3cr3t-value");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        let t = AccessToken::new(
            "tok-value",
            DateTime::parse_from_rfc3339("2025-11-05T11:54:22.793708+01:00").unwrap(),
            Instant::now(),
            Duration::from_secs(3600),
        );
        let shown = format!("{t:?} {t}");
        assert!(!shown.contains("tok-value"), "{shown}");
    }

    #[test]
    fn margin_is_min_of_60s_and_a_tenth() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(1)),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn usable_until_refresh_point() {
        let t0 = Instant::now();
        let exp = DateTime::parse_from_rfc3339("2025-11-05T11:54:22+01:00").unwrap();
        let t = AccessToken::new("x", exp, t0, Duration::from_secs(600));
        assert!(t.is_usable(t0 + Duration::from_secs(539)));
        assert!(!t.is_usable(t0 + Duration::from_secs(540)));
        let skewed = AccessToken::new("x", exp, t0, Duration::ZERO);
        assert_eq!(skewed.expires(), t0 + SKEWED_TOKEN_LIFETIME);
    }
}
