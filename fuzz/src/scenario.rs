//! The byte format of a state-machine scenario: one operation, the
//! client's configuration, and the server's answers with their latencies.
//!
//! This file is the single definition of the format. It depends on `std`
//! only, so the same file is compiled into the fuzz crate (decoding fuzz
//! input), into `crates/connecty-proto/tests/soak.rs` (decoding random
//! bytes from proptest) and into `xtask` (encoding seed scenarios).
//!
//! Every byte string decodes to a scenario (missing bytes read as zero),
//! and `decode(encode(s)) == s` for any scenario whose fields are in range.
//!
//! ```text
//! header, 16 bytes:
//!   0  call            % 6  -> CALLS
//!   1  deadline        % 12 -> DEADLINES (caller's timeout, None = default)
//!   2  request timeout % 7  -> REQUEST_TIMEOUTS_MS
//!   3  max attempts    % 5  + 1
//!   4  retry backoff   % 4  -> RETRY_BACKOFFS_MS (base, cap)
//!   5  poll schedule   % 5  -> POLL_SCHEDULES
//!   6  token lifetime  % 8  -> TOKEN_LIFETIMES_MS
//!   7  flags           bit 0 strict transport (enforces its timeout)
//!                      bit 1 start with a cached token
//!                      bit 2 token exchanges take time (token ages in the cache)
//!                      bit 3 the second token exchange fails
//!                      bit 4 the base URL has a path prefix
//!   8..16 jitter seed, little endian
//! then steps until the input ends, each:
//!   0  kind: low 4 bits % 11 -> Reply; bit 4 replay a stale answer after
//!      this one; bit 5 wake up early (poll before the timeout instant)
//!   1  argument (which body, status, header or error kind)
//!   2..4 latency, u16 little endian: below 0x8000 milliseconds, else
//!      (v & 0x7fff) * 10 ms
//!   a custom body (kind 1) follows as a u16 little-endian length and its
//!   bytes
//! ```

#![allow(dead_code)]

/// Which operation to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// `Operation<AskAndWait>`.
    AskAndWait,
    /// `Operation<Wait>`.
    Wait,
    /// `Operation<Ask>`.
    Ask,
    /// `Operation<Results>`.
    Results,
    /// `Operation<Health>`.
    Health,
    /// `Operation<Token>`.
    Token,
}

/// The calls, in byte order; ask-and-wait and wait come first.
pub const CALLS: [CallKind; 6] = [
    CallKind::AskAndWait,
    CallKind::Wait,
    CallKind::Ask,
    CallKind::Results,
    CallKind::Health,
    CallKind::Token,
];

/// The caller's deadline choices, in milliseconds; `None` is the
/// configured default (20 min), `Some(u64::MAX)` asks for
/// `Duration::MAX`.
pub const DEADLINES_MS: [Option<u64>; 12] = [
    None,
    Some(0),
    Some(1),
    Some(250),
    Some(1_000),
    Some(10_000),
    Some(60_000),
    Some(300_000),
    Some(3_600_000),
    Some(86_400_000),
    Some(100 * 365 * 86_400_000),
    Some(u64::MAX),
];

/// Request timeout choices (`ClientConfig::request_timeout`), ms.
pub const REQUEST_TIMEOUTS_MS: [u64; 7] = [60_000, 1, 100, 1_000, 5_000, 30_000, 120_000];

/// Retry backoff choices (`RetryPolicy::base`, `RetryPolicy::cap`), ms.
pub const RETRY_BACKOFFS_MS: [(u64, u64); 4] = [(1_000, 20_000), (0, 0), (1, 5), (10_000, 600_000)];

/// Poll schedule choices: (first ms, factor, cap ms, max fraction).
pub const POLL_SCHEDULES: [(u64, f64, u64, f64); 5] = [
    (250, 1.5, 5_000, 0.25),
    (1, 1.0, 1, 1.0),
    (10_000, 2.0, 60_000, 0.25),
    (100, f64::NAN, 100, f64::NAN),
    (50, f64::INFINITY, 50_000, 0.0),
];

/// Lifetimes of the tokens the driver hands out, ms (0: the server's
/// `expires_at` is already past, so the core assumes 60 s).
pub const TOKEN_LIFETIMES_MS: [u64; 8] =
    [3_600_000, 0, 1, 1_000, 30_000, 300_000, 864_000_000, 61_000];

/// Error statuses (and a few odd successes) for [`Reply::Status`].
pub const STATUSES: [u16; 20] = [
    400, 403, 404, 409, 413, 418, 422, 500, 501, 502, 503, 504, 505, 599, 204, 299, 304, 429, 401,
    999,
];

/// `Retry-After` values for 429 and 503.
pub const RETRY_AFTERS: [&[u8]; 16] = [
    b"0",
    b"1",
    b"3",
    b"120",
    b"86400",
    b"18446744073709551615",
    b"1.5",
    b"-1",
    b"NaN",
    b"inf",
    b"1e308",
    b"Wed, 05 Nov 2025 10:10:00 GMT",
    b"Wed, 05 Nov 2025 09:00:00 GMT",
    b"Fri, 31 Dec 9999 23:59:59 GMT",
    b"soon",
    b"\xff\xfe",
];

/// What the server (or the transport) does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 200 with one of the canned bodies (index into the body table).
    Canned(u8),
    /// 200 with this body.
    Custom(Vec<u8>),
    /// An error status (index into the status table), empty body.
    Status(u8),
    /// An error status (index into the status table) with a JSON error body.
    StatusWithMessage(u8),
    /// 429 with a `Retry-After` (index into the header table).
    TooMany(u8),
    /// 503 with a `Retry-After` (index into the header table).
    Unavailable(u8),
    /// A transport failure (index into the error-kind table).
    Fail(u8),
    /// 401: the token was refused.
    Unauthorized,
    /// 200 with a question id (index: valid, or one of a few broken ones).
    Asked(u8),
    /// 200 with a token body (index into the token-body table).
    TokenBody(u8),
    /// A redirect status (index) with a `Location` to another origin.
    Redirect(u8),
}

/// One answer and how long it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The answer.
    pub reply: Reply,
    /// Latency in milliseconds (at most 327,670).
    pub latency_ms: u64,
    /// After this answer, also feed a stale answer for an old request id.
    pub replay_stale: bool,
    /// Poll the operation before the instant it asked to be woken at.
    pub wake_early: bool,
}

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The operation.
    pub call: u8,
    /// Index into [`DEADLINES_MS`].
    pub deadline: u8,
    /// Index into [`REQUEST_TIMEOUTS_MS`].
    pub request_timeout: u8,
    /// Attempts per request, 1..=5.
    pub max_attempts: u8,
    /// Index into [`RETRY_BACKOFFS_MS`].
    pub backoff: u8,
    /// Index into [`POLL_SCHEDULES`].
    pub poll: u8,
    /// Index into [`TOKEN_LIFETIMES_MS`].
    pub token_lifetime: u8,
    /// Flag bits, see the module doc.
    pub flags: u8,
    /// Jitter seed.
    pub seed: u64,
    /// The answers, in order.
    pub steps: Vec<Step>,
}

/// Flag: the transport enforces its timeout (else it may overrun it by up
/// to one request timeout).
pub const STRICT_TRANSPORT: u8 = 1;
/// Flag: the operation starts with a cached token.
pub const CACHED_TOKEN: u8 = 2;
/// Flag: token exchanges take time, so tokens age before use.
pub const SLOW_TOKENS: u8 = 4;
/// Flag: the second token exchange fails.
pub const TOKEN_ERROR: u8 = 8;
/// Flag: the base URL has a path prefix.
pub const PREFIX: u8 = 16;

/// The longest custom body a step can carry.
pub const MAX_CUSTOM_BODY: usize = u16::MAX as usize;

impl Scenario {
    /// A scenario with the defaults of the client and no steps.
    pub fn new(call: CallKind) -> Self {
        Self {
            call: CALLS.iter().position(|c| *c == call).unwrap_or(0) as u8,
            deadline: 0,
            request_timeout: 0,
            max_attempts: 3,
            backoff: 0,
            poll: 0,
            token_lifetime: 0,
            flags: STRICT_TRANSPORT,
            seed: 0,
            steps: Vec::new(),
        }
    }

    /// Appends an answer after `latency_ms`.
    pub fn then(mut self, reply: Reply, latency_ms: u64) -> Self {
        self.steps.push(Step {
            reply,
            latency_ms,
            replay_stale: false,
            wake_early: false,
        });
        self
    }

    /// The operation.
    pub fn call_kind(&self) -> CallKind {
        CALLS[self.call as usize % CALLS.len()]
    }

    /// The caller's deadline in ms (`None`: the default).
    pub fn deadline_ms(&self) -> Option<u64> {
        DEADLINES_MS[self.deadline as usize % DEADLINES_MS.len()]
    }

    /// The request timeout in ms.
    pub fn request_timeout_ms(&self) -> u64 {
        REQUEST_TIMEOUTS_MS[self.request_timeout as usize % REQUEST_TIMEOUTS_MS.len()]
    }

    /// Retry base and cap in ms.
    pub fn backoff_ms(&self) -> (u64, u64) {
        RETRY_BACKOFFS_MS[self.backoff as usize % RETRY_BACKOFFS_MS.len()]
    }

    /// The poll schedule.
    pub fn poll_schedule(&self) -> (u64, f64, u64, f64) {
        POLL_SCHEDULES[self.poll as usize % POLL_SCHEDULES.len()]
    }

    /// The token lifetime in ms.
    pub fn token_lifetime_ms(&self) -> u64 {
        TOKEN_LIFETIMES_MS[self.token_lifetime as usize % TOKEN_LIFETIMES_MS.len()]
    }

    /// Whether flag `f` is set.
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

struct Reader<'a> {
    data: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.data.len());
        let (a, b) = self.data.split_at(n);
        self.data = b;
        a.to_vec()
    }
}

/// Decodes any bytes into a scenario.
pub fn decode(data: &[u8]) -> Scenario {
    let mut r = Reader { data };
    let call = r.byte() % CALLS.len() as u8;
    let deadline = r.byte() % DEADLINES_MS.len() as u8;
    let request_timeout = r.byte() % REQUEST_TIMEOUTS_MS.len() as u8;
    let max_attempts = r.byte() % 5 + 1;
    let backoff = r.byte() % RETRY_BACKOFFS_MS.len() as u8;
    let poll = r.byte() % POLL_SCHEDULES.len() as u8;
    let token_lifetime = r.byte() % TOKEN_LIFETIMES_MS.len() as u8;
    let flags = r.byte() & 0x1f;
    let mut seed = [0u8; 8];
    for b in &mut seed {
        *b = r.byte();
    }
    let seed = u64::from_le_bytes(seed);
    let mut steps = Vec::new();
    while !r.data.is_empty() {
        let kind = r.byte();
        let arg = r.byte();
        let lat = u16::from_le_bytes([r.byte(), r.byte()]);
        let latency_ms = if lat & 0x8000 != 0 {
            u64::from(lat & 0x7fff) * 10
        } else {
            u64::from(lat)
        };
        let reply = match (kind & 0x0f) % 11 {
            0 => Reply::Canned(arg),
            1 => {
                let len = u16::from_le_bytes([r.byte(), r.byte()]);
                Reply::Custom(r.take(usize::from(len)))
            }
            2 => Reply::Status(arg),
            3 => Reply::StatusWithMessage(arg),
            4 => Reply::TooMany(arg),
            5 => Reply::Unavailable(arg),
            6 => Reply::Fail(arg),
            7 => Reply::Unauthorized,
            8 => Reply::Asked(arg),
            9 => Reply::TokenBody(arg),
            _ => Reply::Redirect(arg),
        };
        steps.push(Step {
            reply,
            latency_ms,
            replay_stale: kind & 0x10 != 0,
            wake_early: kind & 0x20 != 0,
        });
    }
    Scenario {
        call,
        deadline,
        request_timeout,
        max_attempts,
        backoff,
        poll,
        token_lifetime,
        flags,
        seed,
        steps,
    }
}

/// Encodes a scenario (the inverse of [`decode`] for in-range fields;
/// custom bodies are cut to [`MAX_CUSTOM_BODY`] bytes, latencies to the
/// nearest encodable value).
pub fn encode(s: &Scenario) -> Vec<u8> {
    let mut out = vec![
        s.call,
        s.deadline,
        s.request_timeout,
        s.max_attempts.saturating_sub(1),
        s.backoff,
        s.poll,
        s.token_lifetime,
        s.flags,
    ];
    out.extend_from_slice(&s.seed.to_le_bytes());
    for step in &s.steps {
        let (kind, arg, body): (u8, u8, &[u8]) = match &step.reply {
            Reply::Canned(a) => (0, *a, &[]),
            Reply::Custom(b) => (1, 0, &b[..b.len().min(MAX_CUSTOM_BODY)]),
            Reply::Status(a) => (2, *a, &[]),
            Reply::StatusWithMessage(a) => (3, *a, &[]),
            Reply::TooMany(a) => (4, *a, &[]),
            Reply::Unavailable(a) => (5, *a, &[]),
            Reply::Fail(a) => (6, *a, &[]),
            Reply::Unauthorized => (7, 0, &[]),
            Reply::Asked(a) => (8, *a, &[]),
            Reply::TokenBody(a) => (9, *a, &[]),
            Reply::Redirect(a) => (10, *a, &[]),
        };
        let flags =
            if step.replay_stale { 0x10 } else { 0 } | if step.wake_early { 0x20 } else { 0 };
        let lat: u16 = if step.latency_ms < 0x8000 {
            step.latency_ms as u16
        } else {
            0x8000 | (step.latency_ms / 10).min(0x7fff) as u16
        };
        out.push(kind | flags);
        out.push(arg);
        out.extend_from_slice(&lat.to_le_bytes());
        if let Reply::Custom(_) = step.reply {
            out.extend_from_slice(&(body.len() as u16).to_le_bytes());
            out.extend_from_slice(body);
        }
    }
    out
}

/// Scenarios that walk the documented flows, for the seed corpus of the
/// `machine` and `client` targets. `bodies` are extra results bodies (the
/// fixtures), each served as the final poll of an ask-and-wait.
///
/// The `machine` target hands tokens over itself, so its flows start with
/// the ask; the `client` target exchanges tokens over the script, so its
/// flows start with a token answer. Both kinds go to both corpora.
pub fn seed_scenarios(bodies: &[Vec<u8>]) -> Vec<Scenario> {
    use CallKind::*;
    use Reply::*;
    let mut v = Vec::new();
    for token_first in [false, true] {
        let start = |call: CallKind| {
            let s = Scenario::new(call);
            if token_first {
                s.then(TokenBody(0), 40)
            } else {
                s
            }
        };
        // The API reference's flow: asked, pending, in progress, completed.
        v.push(
            start(AskAndWait)
                .then(Asked(0), 80)
                .then(Canned(0), 20)
                .then(Canned(1), 20)
                .then(Canned(6), 30),
        );
        v.push(
            start(AskAndWait)
                .then(Asked(0), 80)
                .then(Canned(1), 20)
                .then(Canned(3), 20),
        );
        v.push(start(AskAndWait).then(Asked(0), 80).then(Canned(4), 20));
        // A token refused once, then a fresh one.
        let mut s = start(AskAndWait).then(Asked(0), 80).then(Unauthorized, 10);
        if token_first {
            s = s.then(TokenBody(1), 40);
        }
        v.push(s.then(Canned(2), 20));
        // Rate limited, then unavailable, then answered.
        v.push(
            start(AskAndWait)
                .then(TooMany(2), 10)
                .then(Asked(0), 80)
                .then(Unavailable(1), 10)
                .then(Canned(1), 20)
                .then(Canned(2), 20),
        );
        // A slow poll beyond the request timeout, then a broken connection.
        v.push(
            start(Wait)
                .then(Canned(1), 70_000)
                .then(Fail(2), 10)
                .then(Canned(2), 20),
        );
        // A gateway error to the ask: never asked twice.
        v.push(start(Ask).then(Status(9), 10));
        v.push(start(Results).then(Canned(6), 10));
        v.push(start(Results).then(StatusWithMessage(2), 10));
        v.push(start(AskAndWait).then(Redirect(1), 10));
        for body in bodies {
            v.push(
                start(AskAndWait)
                    .then(Asked(0), 80)
                    .then(Custom(body.clone()), 20),
            );
        }
    }
    v.push(Scenario::new(Health).then(Canned(8), 5));
    v.push(Scenario::new(Health).then(Fail(0), 5).then(Canned(8), 5));
    for i in 0..14 {
        v.push(Scenario::new(Token).then(TokenBody(i), 40));
    }
    let mut tight = Scenario::new(AskAndWait)
        .then(Asked(0), 10)
        .then(Canned(1), 10);
    tight.deadline = 4; // 1 s
    tight.request_timeout = 2; // 100 ms
    tight.flags = 0; // a transport that overruns its timeouts
    v.push(tight);
    let mut aging = Scenario::new(AskAndWait)
        .then(Asked(0), 10)
        .then(Canned(1), 10);
    aging.token_lifetime = 3; // 1 s
    aging.flags = STRICT_TRANSPORT | CACHED_TOKEN | SLOW_TOKENS | TOKEN_ERROR;
    v.push(aging.then(Canned(1), 2_000).then(Canned(2), 10));
    v
}
