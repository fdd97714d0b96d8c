//! Where to send requests and how: regions, base URLs, credentials and the
//! client configuration with its documented defaults. What a results call
//! asks for is in `query.rs`; when polls and retries go, in `schedule.rs`.

use std::fmt;
use std::time::Duration;

use crate::error::InvalidInput;
use crate::schedule::{PollSchedule, RetryPolicy};
use crate::secret::ClientSecret;

/// Default response body limit: 256 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 256 * 1024 * 1024;

/// The ConnectyAI regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Region {
    /// `https://api.eu1.connecty-ai.com`, for organisations registered in
    /// Europe. The default.
    #[default]
    Eu1,
    /// `https://api.us1.connecty-ai.com`, for organisations registered in the
    /// US.
    Us1,
}

impl Region {
    /// The region's base URL.
    pub fn base_url(self) -> BaseUrl {
        let url = match self {
            Region::Eu1 => "https://api.eu1.connecty-ai.com",
            Region::Us1 => "https://api.us1.connecty-ai.com",
        };
        BaseUrl::parse(url).expect("region URLs are valid")
    }
}

impl std::str::FromStr for Region {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "eu1" => Ok(Region::Eu1),
            "us1" => Ok(Region::Us1),
            other => Err(InvalidInput::new(
                "region",
                format!(
                    "{:?} is not a region: expected eu1 or us1",
                    crate::error::excerpt(other.as_bytes())
                ),
            )),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Region::Eu1 => "eu1",
            Region::Us1 => "us1",
        })
    }
}

/// A validated base URL: `http` or `https`, a host, an optional path prefix,
/// no query, fragment or credentials.
///
/// Endpoint paths join it with exactly one slash:
/// `https://gateway.example/connecty/` + `v1/health` gives
/// `https://gateway.example/connecty/v1/health`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    /// `scheme://authority`, no trailing slash.
    origin: String,
    /// Empty, or `/prefix` without a trailing slash.
    prefix: String,
    https: bool,
}

impl BaseUrl {
    /// Parses and validates a base URL.
    pub fn parse(input: &str) -> Result<Self, InvalidInput> {
        let bad = |why: &str| InvalidInput::new("base_url", why.to_string());
        let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
        if s.is_empty() {
            return Err(bad(
                "is empty: expected a URL such as https://api.eu1.connecty-ai.com",
            ));
        }
        if s.chars().any(|c| c.is_control() || c == ' ') {
            return Err(bad("contains spaces or control characters"));
        }
        if !s.is_ascii() {
            return Err(bad(
                "contains a non-ASCII character: percent-encode it (or use the host's punycode form)",
            ));
        }
        let (scheme, rest) = match s.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => {
                return Err(bad(
                    "has no scheme: write it with http:// or https://, such as https://api.eu1.connecty-ai.com",
                ));
            }
        };
        if scheme != "http" && scheme != "https" {
            return Err(InvalidInput::new(
                "base_url",
                format!(
                    "has scheme {:?}: only http and https are supported",
                    crate::error::excerpt(scheme.as_bytes())
                ),
            ));
        }
        if rest.contains('?') {
            return Err(bad(
                "has a query string: give only scheme, host and an optional path prefix",
            ));
        }
        if rest.contains('#') {
            return Err(bad(
                "has a fragment: give only scheme, host and an optional path prefix",
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            // Never echo the URL: it carries credentials.
            return Err(bad(
                "carries credentials (user:password@): remove them; credentials come from CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET",
            ));
        }
        if authority.is_empty() {
            return Err(bad("has no host"));
        }
        let origin = format!("{scheme}://{authority}");
        origin
            .parse::<http::Uri>()
            .map_err(|_| bad("has an invalid host or port"))?;
        let prefix = path.trim_end_matches('/');
        if prefix.contains("//") {
            return Err(bad("has an empty path segment (//)"));
        }
        let url = Self {
            origin,
            prefix: prefix.to_string(),
            https: scheme == "https",
        };
        url.join("/v1/health")
            .parse::<http::Uri>()
            .map_err(|_| bad("has characters that are not allowed in a URL path"))?;
        Ok(url)
    }

    /// Joins an absolute endpoint path (starting with `/`) to the base.
    pub fn join(&self, path: &str) -> String {
        debug_assert!(path.starts_with('/'));
        let mut s = String::with_capacity(self.origin.len() + self.prefix.len() + path.len());
        s.push_str(&self.origin);
        s.push_str(&self.prefix);
        s.push_str(path);
        s
    }

    /// `scheme://host[:port]`, which is what "same origin" compares.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The path prefix, empty or starting with `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether the scheme is https.
    pub fn is_https(&self) -> bool {
        self.https
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.prefix)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({self})")
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BaseUrl::parse(s)
    }
}

impl From<Region> for BaseUrl {
    fn from(r: Region) -> Self {
        r.base_url()
    }
}

/// The organisation's client credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    client_id: String,
    client_secret: ClientSecret,
}

impl Credentials {
    /// Validates and wraps credentials: neither may be empty or contain
    /// control characters.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, InvalidInput> {
        let client_id = client_id.into();
        let client_secret = client_secret.into();
        check_credential("client_id", &client_id)?;
        check_credential("client_secret", &client_secret)?;
        Ok(Self {
            client_id,
            client_secret: ClientSecret::new(client_secret),
        })
    }

    /// The client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret.
    pub fn client_secret(&self) -> &ClientSecret {
        &self.client_secret
    }
}

fn check_credential(field: &'static str, v: &str) -> Result<(), InvalidInput> {
    if v.trim().is_empty() {
        return Err(InvalidInput::new(field, "is empty"));
    }
    if let Some(pos) = v.chars().position(char::is_control) {
        return Err(InvalidInput::new(
            field,
            format!("contains a control character at position {pos} (a stray newline?)"),
        ));
    }
    Ok(())
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

/// Default overall deadline for waiting on a question: 20 minutes, as the
/// Databricks SDK's Genie waiter.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(20 * 60);

/// Default timeout for one request, headers and body: 60 s, as the
/// Databricks SDK's HTTP timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Everything an operation needs besides its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// Where requests go.
    pub base_url: BaseUrl,
    /// The credentials exchanged for tokens; `None` allows only `health`.
    pub credentials: Option<Credentials>,
    /// The `User-Agent` header value: `connecty-rs/<version>` plus the
    /// caller's suffix.
    pub user_agent: String,
    /// Retry rules.
    pub retry: RetryPolicy,
    /// Poll schedule.
    pub poll: PollSchedule,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// Overall deadline of an operation when the caller sets none.
    pub default_deadline: Duration,
    /// The largest response body the transport accepts (it enforces it
    /// while reading). The core reads it to refuse, before fetching, all
    /// the rows of an answer that could not fit. Default
    /// [`DEFAULT_BODY_LIMIT`](crate::DEFAULT_BODY_LIMIT), 256 MiB.
    pub body_limit: u64,
}

/// The default `User-Agent`: `connecty-rs/<crate version>`.
pub fn default_user_agent() -> String {
    format!("connecty-rs/{}", env!("CARGO_PKG_VERSION"))
}

impl ClientConfig {
    /// A configuration with every default.
    pub fn new(base_url: BaseUrl, credentials: Credentials) -> Self {
        Self::with_optional_credentials(base_url, Some(credentials))
    }

    /// A configuration with every default and maybe no credentials (then
    /// only `health` works; token exchanges fail before anything is sent).
    pub fn with_optional_credentials(base_url: BaseUrl, credentials: Option<Credentials>) -> Self {
        Self {
            base_url,
            credentials,
            user_agent: default_user_agent(),
            retry: RetryPolicy::default(),
            poll: PollSchedule::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            default_deadline: DEFAULT_DEADLINE,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Appends ` suffix` to the user agent (for example `my-app/1.2`).
    /// Control characters are refused.
    pub fn with_user_agent_suffix(mut self, suffix: &str) -> Result<Self, InvalidInput> {
        if suffix.chars().any(char::is_control) || !suffix.is_ascii() {
            return Err(InvalidInput::new(
                "user_agent",
                "the suffix must be printable ASCII",
            ));
        }
        self.user_agent = format!("{} {}", default_user_agent(), suffix.trim());
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_join_with_one_slash() {
        for (input, want) in [
            (
                "https://api.eu1.connecty-ai.com",
                "https://api.eu1.connecty-ai.com/v1/health",
            ),
            (
                "https://api.eu1.connecty-ai.com/",
                "https://api.eu1.connecty-ai.com/v1/health",
            ),
            (
                "https://gateway.example/connecty/",
                "https://gateway.example/connecty/v1/health",
            ),
            (
                "https://gateway.example/connecty",
                "https://gateway.example/connecty/v1/health",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/health"),
            (
                "HTTP://localhost:1/a/b//",
                "http://localhost:1/a/b/v1/health",
            ),
        ] {
            assert_eq!(
                BaseUrl::parse(input).unwrap().join("/v1/health"),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn unusable_base_urls_are_refused_without_echoing_credentials() {
        for input in [
            "",
            "api.eu1.connecty-ai.com",
            "ftp://x",
            "https://x/?a=1",
            "https://x/#f",
            "https://user:hunter2@x/",
            "https:///path",
            "https://x/a//b",
            "https://x y",
            "http://f305/a\u{a0}",
            "https://bücher.example",
        ] {
            let e = BaseUrl::parse(input).unwrap_err();
            assert_eq!(e.field, "base_url");
            assert!(!e.message.contains("hunter2"));
        }
    }

    #[test]
    fn regions() {
        assert_eq!(
            Region::Eu1.base_url().to_string(),
            "https://api.eu1.connecty-ai.com"
        );
        assert_eq!(
            Region::Us1.base_url().to_string(),
            "https://api.us1.connecty-ai.com"
        );
        assert_eq!("US1".parse::<Region>().unwrap(), Region::Us1);
        assert!("ap1".parse::<Region>().is_err());
        assert_eq!(Region::default(), Region::Eu1);
    }

    #[test]
    fn credentials_refuse_control_characters() {
        assert_eq!(
            Credentials::new("id\n", "s").unwrap_err().field,
            "client_id"
        );
        let e = Credentials::new("id", "sec\u{7}ret").unwrap_err();
        assert_eq!(e.field, "client_secret");
        assert!(!e.message.contains("sec"));
        assert!(Credentials::new("", "s").is_err());
        let c = Credentials::new("id", "hunter2").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
