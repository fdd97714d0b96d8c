//! Where to send requests and how: regions, base URLs, credentials, options
//! and their documented defaults.

use std::fmt;
use std::time::Duration;

use crate::error::InvalidInput;
use crate::secret::ClientSecret;

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

/// One result component the results endpoint can include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Include {
    /// `dataframe`: the result rows.
    Dataframe,
    /// `statistics`: per-column statistics (`dataframe_stats`).
    Statistics,
    /// `sqlquery`: the SQL that ran (`sql_query`).
    SqlQuery,
    /// `summary`: the prose answer (`response_summary`).
    Summary,
}

impl Include {
    /// All components, in the order they are sent.
    pub const ALL: [Include; 4] = [
        Include::Dataframe,
        Include::Statistics,
        Include::SqlQuery,
        Include::Summary,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Include::Dataframe => "dataframe",
            Include::Statistics => "statistics",
            Include::SqlQuery => "sqlquery",
            Include::Summary => "summary",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Include::Dataframe => 1,
            Include::Statistics => 2,
            Include::SqlQuery => 4,
            Include::Summary => 8,
        }
    }
}

/// A set of [`Include`]s. The default is `dataframe`, as the API's.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IncludeSet(u8);

impl IncludeSet {
    /// Only the dataframe: the API's default.
    pub const DEFAULT: IncludeSet = IncludeSet(1);
    /// Everything.
    pub const ALL: IncludeSet = IncludeSet(15);

    /// The empty set (not valid to send; add at least one component).
    pub const fn empty() -> Self {
        IncludeSet(0)
    }

    /// This set plus `item`.
    #[must_use]
    pub fn with(self, item: Include) -> Self {
        IncludeSet(self.0 | item.bit())
    }

    /// Whether `item` is in the set.
    pub fn contains(self, item: Include) -> bool {
        self.0 & item.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members, in wire order.
    pub fn iter(self) -> impl Iterator<Item = Include> {
        Include::ALL.into_iter().filter(move |i| self.contains(*i))
    }

    /// The query value: comma-separated, no spaces, in a fixed order.
    pub fn to_query_value(self) -> String {
        let mut s = String::new();
        for i in self.iter() {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(i.as_str());
        }
        s
    }

    /// Parses a comma-separated list such as `dataframe,sqlquery` (spaces and
    /// case are forgiven; `all` means everything).
    pub fn parse(list: &str) -> Result<Self, InvalidInput> {
        let mut set = IncludeSet::empty();
        for part in list.split(',') {
            let p = part.trim().to_ascii_lowercase();
            set = match p.as_str() {
                "" => continue,
                "all" => IncludeSet::ALL,
                "dataframe" => set.with(Include::Dataframe),
                "statistics" | "stats" => set.with(Include::Statistics),
                "sqlquery" | "sql" => set.with(Include::SqlQuery),
                "summary" => set.with(Include::Summary),
                _ => {
                    return Err(InvalidInput::new(
                        "include",
                        format!(
                            "{:?} is not a result component: expected dataframe, statistics, sqlquery or summary",
                            crate::error::excerpt(p.as_bytes())
                        ),
                    ));
                }
            };
        }
        if set.is_empty() {
            return Err(InvalidInput::new(
                "include",
                "is empty: name at least one of dataframe, statistics, sqlquery, summary",
            ));
        }
        Ok(set)
    }
}

impl Default for IncludeSet {
    fn default() -> Self {
        IncludeSet::DEFAULT
    }
}

impl FromIterator<Include> for IncludeSet {
    fn from_iter<I: IntoIterator<Item = Include>>(iter: I) -> Self {
        iter.into_iter().fold(IncludeSet::empty(), IncludeSet::with)
    }
}

impl fmt::Debug for IncludeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IncludeSet({})", self.to_query_value())
    }
}

impl fmt::Display for IncludeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query_value())
    }
}

/// The largest question accepted, in bytes of UTF-8: 64 KiB.
pub const MAX_QUESTION_BYTES: usize = 64 * 1024;

/// The largest `max_rows` accepted: 10,000,000. The server's default is
/// 1,000; larger answers need a larger body limit in the transport.
pub const MAX_ROWS_LIMIT: u32 = 10_000_000;

/// What a results call asks for: which components and how many rows.
///
/// The API cuts every dataframe at `max_rows`, **1,000 rows when it is not
/// sent**: ask for more (up to [`MAX_ROWS_LIMIT`]) when a question may
/// return more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResultsOptions {
    /// The components to include. Default: `dataframe`.
    pub include: IncludeSet,
    /// The most rows to return; `None` sends nothing and the server's default
    /// (1,000) applies.
    pub max_rows: Option<u32>,
}

impl ResultsOptions {
    /// Validates the options: a non-empty include set and `max_rows` in
    /// `1..=MAX_ROWS_LIMIT`.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.include.is_empty() {
            return Err(InvalidInput::new(
                "include",
                "is empty: name at least one of dataframe, statistics, sqlquery, summary",
            ));
        }
        match self.max_rows {
            Some(0) => Err(InvalidInput::new("max_rows", "must be at least 1")),
            Some(n) if n > MAX_ROWS_LIMIT => Err(InvalidInput::new(
                "max_rows",
                format!("{n} is above the limit of {MAX_ROWS_LIMIT}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Checks a question before it is sent: not blank, at most
/// [`MAX_QUESTION_BYTES`].
pub fn validate_question(question: &str) -> Result<(), InvalidInput> {
    if question.trim().is_empty() {
        return Err(InvalidInput::new("question", "is empty"));
    }
    if question.len() > MAX_QUESTION_BYTES {
        return Err(InvalidInput::new(
            "question",
            format!(
                "is {} bytes long; the limit is {MAX_QUESTION_BYTES} bytes",
                question.len()
            ),
        ));
    }
    Ok(())
}

/// When polls are sent while waiting for a question.
///
/// Default: the first poll as soon as the question is asked (as the OpenAI,
/// AWS and Databricks waiters do), then 250 ms later, then each delay 1.5
/// times the last, capped at 5 s; no jitter (polls of one question are
/// already spread by when it was asked). Each delay is also held to at most
/// a quarter of the time waited so far (but never below `first`), so the
/// client learns of a completed question within 25% of the question's own
/// time: a 10 s question is seen within 2.5 s, a 2 s one within 0.5 s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    /// Delay between the first poll (at once) and the second.
    pub first: Duration,
    /// Growth factor per poll (at least 1).
    pub factor: f64,
    /// The longest delay between two polls.
    pub cap: Duration,
    /// The longest delay as a fraction of the time waited so far (0.25);
    /// 1.0 or more disables this bound.
    pub max_fraction: f64,
}

impl Default for PollSchedule {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(250),
            factor: 1.5,
            cap: Duration::from_secs(5),
            max_fraction: 0.25,
        }
    }
}

impl PollSchedule {
    /// The delay before poll number `n` when `waited` has passed since the
    /// question was asked (or the wait began): [`delay`](Self::delay) held
    /// to `max(first, max_fraction * waited)`.
    pub fn delay_after(&self, n: u32, waited: Duration) -> Duration {
        let d = self.delay(n);
        if !(self.max_fraction.is_finite() && self.max_fraction > 0.0 && self.max_fraction < 1.0) {
            return d;
        }
        d.min(waited.mul_f64(self.max_fraction).max(self.first))
    }

    /// The delay before poll number `n` (0 is the first poll).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let secs = self.first.as_secs_f64() * factor.powi(n.min(64) as i32);
        if !secs.is_finite() || secs >= self.cap.as_secs_f64() {
            self.cap
        } else {
            Duration::from_secs_f64(secs).min(self.cap)
        }
    }
}

/// How failed requests are retried.
///
/// Default, as the AWS SDKs' standard mode: 3 attempts in all, exponential
/// backoff from 1 s doubling to at most 20 s, with full jitter (each delay is
/// uniform in zero to the exponential value). A 429's `Retry-After` replaces
/// the computed delay, clamped to `cap` and to the time left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included. 1 disables retries.
    pub max_attempts: u32,
    /// The backoff base: the ceiling of the first retry's delay.
    pub base: Duration,
    /// The longest delay between two attempts.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff ceiling before retry `retry` (1 for the first retry).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        self.base.saturating_mul(1u32 << exp).min(self.cap)
    }

    /// The jittered delay before retry `retry`, with `fraction` in `[0, 1)`.
    pub fn delay(&self, retry: u32, fraction: f64) -> Duration {
        let f = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.ceiling(retry).mul_f64(f)
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
    fn include_sets() {
        assert_eq!(IncludeSet::default().to_query_value(), "dataframe");
        assert_eq!(
            IncludeSet::ALL.to_query_value(),
            "dataframe,statistics,sqlquery,summary"
        );
        let s = IncludeSet::parse(" sqlquery , DATAFRAME,statistics").unwrap();
        assert_eq!(s.to_query_value(), "dataframe,statistics,sqlquery");
        assert!(IncludeSet::parse("").is_err());
        assert!(IncludeSet::parse("rows").is_err());
    }

    #[test]
    fn options_and_questions_are_validated() {
        let mut o = ResultsOptions::default();
        assert!(o.validate().is_ok());
        o.max_rows = Some(0);
        assert_eq!(o.validate().unwrap_err().field, "max_rows");
        o.max_rows = Some(MAX_ROWS_LIMIT + 1);
        assert!(o.validate().is_err());
        o.max_rows = Some(MAX_ROWS_LIMIT);
        assert!(o.validate().is_ok());
        assert!(validate_question("  \n").is_err());
        assert!(validate_question(&"x".repeat(MAX_QUESTION_BYTES + 1)).is_err());
        assert!(validate_question("top 5 countries").is_ok());
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

    #[test]
    fn schedules() {
        let p = PollSchedule::default();
        assert_eq!(p.delay(0), Duration::from_millis(250));
        assert_eq!(p.delay(1), Duration::from_millis(375));
        assert_eq!(p.delay(100), Duration::from_secs(5));
        assert_eq!(
            p.delay_after(100, Duration::from_secs(4)),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay_after(1, Duration::from_millis(300)),
            Duration::from_millis(250)
        );
        assert_eq!(
            p.delay_after(100, Duration::from_secs(600)),
            Duration::from_secs(5)
        );
        let r = RetryPolicy::default();
        assert_eq!(r.ceiling(1), Duration::from_secs(1));
        assert_eq!(r.ceiling(2), Duration::from_secs(2));
        assert_eq!(r.ceiling(6), Duration::from_secs(20));
        assert_eq!(r.ceiling(1000), Duration::from_secs(20));
        assert_eq!(r.delay(2, 0.5), Duration::from_secs(1));
        assert_eq!(r.delay(2, f64::NAN), Duration::ZERO);
    }
}
