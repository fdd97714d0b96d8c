//! Soak: the fuzz targets' properties under proptest, and a regression
//! test for every crash the fuzzers found.
//!
//! The properties are the fuzz crate's own code (`fuzz/src/*.rs`, included
//! by path), so libFuzzer and this soak check the same things:
//!
//! - the non-ignored tests run every property over the seed corpus (the
//!   API reference's examples, `fuzz/seeds/`, the testkit's fixtures when
//!   present) and a few hundred random cases, in seconds;
//! - the `#[ignore]`d `soak_*` tests loop on random and mutated inputs for
//!   `CONNECTY_SOAK_SECONDS` seconds each (default 10) and print how many
//!   cases ran. `cargo xtask fuzz --seconds N` runs them when cargo-fuzz
//!   cannot, and they run anywhere with
//!   `CONNECTY_SOAK_SECONDS=60 cargo test -p connecty-proto --release --test soak -- --ignored --nocapture`.

#[path = "../../../fuzz/src/machine.rs"]
mod machine;
#[path = "../../../fuzz/src/parsers.rs"]
mod parsers;
#[path = "../../../fuzz/src/scenario.rs"]
mod scenario;
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Fuzz input, shown as an escaped byte string so a failure can be pasted
/// into a regression test.
#[derive(Clone)]
struct Input(Vec<u8>);

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b\"")?;
        for b in &self.0 {
            for c in std::ascii::escape_default(*b) {
                f.write_str(&(c as char).to_string())?;
            }
        }
        f.write_str("\"")
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The seed corpus, as `cargo xtask fuzz-seeds` writes it, plus the
/// machine module's canned bodies for the body targets.
fn corpus() -> &'static BTreeMap<&'static str, Vec<Vec<u8>>> {
    static CORPUS: OnceLock<BTreeMap<&'static str, Vec<Vec<u8>>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut c = seeds::corpus(
            &repo().join("fuzz/seeds"),
            &repo().join("crates/connecty-testkit/fixtures"),
        );
        let mut extra: Vec<Vec<u8>> = vec![machine::API_EXAMPLE.as_bytes().to_vec()];
        extra.extend((0..16).map(machine::canned_body));
        extra.extend((0..8).map(machine::asked_body));
        let wall = chrono::DateTime::UNIX_EPOCH;
        extra.extend((0..14).map(|i| {
            machine::token_reply(i, "eyJhbGciOiJSUzI1N", wall)
                .0
                .into_bytes()
        }));
        for t in ["results_body", "token", "ask"] {
            if let Some(v) = c.get_mut(t) {
                v.extend(extra.iter().cloned());
            }
        }
        c
    })
}

fn seeds_for(target: &str) -> Vec<Vec<u8>> {
    let mut v = corpus().get(target).cloned().unwrap_or_default();
    if v.is_empty() {
        v.push(Vec::new());
    }
    v
}

const DICTIONARY: [&[u8]; 28] = [
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"null",
    b"true",
    b"-0",
    b"1e999",
    b"-12345678901234567890123",
    b"\\u0000",
    b"\\ud800",
    b"\xff",
    b"\xc3",
    b"\"state\"",
    b"\"COMPLETED\"",
    b"\"results\"",
    b"\"dataframe\"",
    b"\"dataframe_stats\"",
    b"\"access_token\"",
    b"\"expires_at\"",
    b"\"question_id\"",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"\"2025-11-05T11:54:22.793708+01:00\"",
    b"https://user:pw@h",
    b"\xff",
];

/// One edit: (what, where, byte, length).
type Edit = (u8, usize, u8, usize);

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for &(op, at, byte, len) in edits {
        let at = if v.is_empty() { 0 } else { at % (v.len() + 1) };
        match op % 6 {
            0 if at < v.len() => v[at] = byte,
            1 => v.insert(at, byte),
            2 => {
                let end = (at + len).min(v.len());
                v.drain(at..end);
            }
            3 => {
                let end = (at + len * 8).min(v.len());
                let chunk = v[at..end].to_vec();
                let to = (at + usize::from(byte)) % (v.len() + 1);
                v.splice(to..to, chunk);
            }
            4 => {
                let word = DICTIONARY[usize::from(byte) % DICTIONARY.len()];
                v.splice(at..at, word.iter().copied());
            }
            _ => v.truncate(at),
        }
    }
    v
}

fn inputs(target: &str) -> BoxedStrategy<Input> {
    let seeds = Arc::new(seeds_for(target));
    let n = seeds.len();
    let mutated = (
        0..n,
        prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>(), 0usize..8), 0..8),
    )
        .prop_map(move |(i, edits)| Input(mutate(&seeds[i], &edits)));
    let max = if matches!(target, "machine" | "client") {
        400
    } else {
        1024
    };
    let random = prop::collection::vec(any::<u8>(), 0..max).prop_map(Input);
    prop_oneof![3 => mutated, 1 => random].boxed()
}

fn property(target: &str) -> fn(&[u8]) {
    match target {
        "results_body" => parsers::results_body,
        "token" => parsers::token,
        "ask" => parsers::ask,
        "health" => parsers::health,
        "dataframe" => parsers::dataframe,
        "statistics" => parsers::statistics,
        "caller_input" => parsers::caller_input,
        "machine" => machine_bytes,
        "client" => client_bytes,
        other => panic!("no target {other}"),
    }
}

/// How the runs of each target ended: (target, outcome) -> count.
type Outcomes = BTreeMap<(&'static str, &'static str), u64>;
static OUTCOMES: Mutex<Outcomes> = Mutex::new(BTreeMap::new());

fn count(target: &'static str, outcome: &'static str) {
    *OUTCOMES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((target, outcome))
        .or_default() += 1;
}

fn machine_bytes(data: &[u8]) {
    count(
        "machine",
        machine::run_operation(&scenario::decode(data)).outcome,
    );
}

fn client_bytes(data: &[u8]) {
    count(
        "client",
        machine::run_client(&scenario::decode(data)).outcome,
    );
}

/// Every seed, then `cases` random and mutated inputs.
fn quick(target: &str, cases: u32) {
    let f = property(target);
    for seed in seeds_for(target) {
        f(&seed);
    }
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&inputs(target), |i| {
        f(&i.0);
        Ok(())
    }) {
        panic!("{target}: {e}");
    }
}

/// Random and mutated inputs for `CONNECTY_SOAK_SECONDS` seconds.
fn soak(target: &str) {
    let seconds: f64 = std::env::var("CONNECTY_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let f = property(target);
    let strategy = inputs(target);
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds.max(0.0));
    let mut cases = 0u64;
    for seed in seeds_for(target) {
        f(&seed);
        cases += 1;
    }
    const BATCH: u32 = 512;
    while Instant::now() < until {
        let mut runner = TestRunner::new(Config {
            cases: BATCH,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, |i| {
            f(&i.0);
            Ok(())
        }) {
            panic!("soak {target}: {e}");
        }
        cases += u64::from(BATCH);
    }
    let secs = started.elapsed().as_secs_f64();
    let outcomes = if matches!(target, "machine" | "client") {
        let all = OUTCOMES.lock().unwrap_or_else(|e| e.into_inner());
        let mine: BTreeMap<&str, u64> = all
            .iter()
            .filter(|((t, _), _)| *t == target)
            .map(|((_, o), n)| (*o, *n))
            .collect();
        format!(" outcomes {mine:?}")
    } else {
        String::new()
    };
    println!(
        "soak: {target}: {cases} cases in {secs:.1}s ({:.0}/s){outcomes}",
        cases as f64 / secs.max(1e-9)
    );
}

macro_rules! targets {
    ($($name:ident),*) => {
        mod quick {
            $(
                #[test]
                fn $name() {
                    super::quick(stringify!($name), 128);
                }
            )*
        }
        mod soak {
            $(
                #[test]
                #[ignore = "long: run by `cargo xtask fuzz` with CONNECTY_SOAK_SECONDS"]
                fn $name() {
                    super::soak(stringify!($name));
                }
            )*
        }
    };
}

targets!(
    results_body,
    token,
    ask,
    health,
    dataframe,
    statistics,
    caller_input,
    machine,
    client
);

#[test]
fn scenarios_round_trip_through_bytes() {
    let bodies = seeds_for("results_body");
    for s in scenario::seed_scenarios(&bodies) {
        assert_eq!(scenario::decode(&scenario::encode(&s)), s);
    }
}

#[test]
fn the_seed_flows_end_as_the_api_reference_says() {
    use scenario::{CallKind, Reply::*, Scenario};
    let s = Scenario::new(CallKind::AskAndWait)
        .then(Asked(0), 80)
        .then(Canned(0), 20)
        .then(Canned(1), 20)
        .then(Canned(6), 30);
    let r = machine::run_operation(&s);
    assert_eq!((r.outcome, r.requests), ("ok", 4));
    let s = Scenario::new(CallKind::AskAndWait)
        .then(TokenBody(0), 40)
        .then(Asked(0), 80)
        .then(Canned(1), 20)
        .then(Canned(6), 30);
    let r = machine::run_client(&s);
    assert_eq!((r.outcome, r.requests), ("ok", 4));
}

// ---------------------------------------------------------------------------
// Regressions: one test per crash the fuzzers found, with its input inline.
//
// Each asserts the behaviour the fix gives. While a crash is open, the
// fuzz targets may relax their check on it through a `KNOWN_*` switch in
// `fuzz/src/parsers.rs`, turned off with the fix (all are off today).

/// Found by the `machine` and `client` targets (inputs `b"\x8a\xb3"` and
/// `b"\x9c#"`: ask-and-wait with a caller's timeout of `Duration::MAX`):
/// `Operation::new` computes `now + budget` and panics with "overflow
/// when adding duration to instant" (crates/connecty-proto/src/machine/mod.rs,
/// `deadline: now + budget`, now `later`). A caller passing `Duration::MAX` for "no
/// limit" must get a deadline that saturates, not a panic.
#[test]
fn regression_duration_max_deadline_does_not_panic() {
    let outcome = std::panic::catch_unwind(|| {
        machine::run_operation(&scenario::decode(b"\x8a\xb3"));
        machine::run_client(&scenario::decode(b"\x9c#"));
    });
    assert!(
        outcome.is_ok(),
        "a Duration::MAX timeout panics (overflow when adding duration to instant)"
    );
}

/// Found by the `client` target: ask-and-wait with a 1 s timeout whose
/// token exchange takes 5 s ends after 5 s. The blocking and async clients
/// ran the token exchange as an operation of its own
/// (crates/connecty-proto/src/client/, `shared_token`), whose deadline
/// is the configured default (20 min), not what is left of the caller's.
/// A slow or retried token endpoint stretches the caller's timeout by up
/// to 20 minutes.
#[test]
fn regression_token_exchange_keeps_the_callers_deadline() {
    use scenario::{CallKind, Reply::*, Scenario};
    let mut s = Scenario::new(CallKind::AskAndWait)
        .then(TokenBody(0), 5_000)
        .then(Asked(0), 10)
        .then(Canned(2), 10);
    s.deadline = 4; // 1 s
    let r = machine::run_client(&s);
    assert!(
        r.elapsed <= Duration::from_secs(1),
        "ask_and_wait with a 1 s timeout ran {:?} ({})",
        r.elapsed,
        r.outcome
    );
}

/// Found by the `results_body`, `ask` and `health` targets: a short body
/// of invalid UTF-8 gives an excerpt of up to three times `EXCERPT_LIMIT`
/// bytes. `excerpt` (crates/connecty-proto/src/error.rs) replaces each
/// invalid byte with U+FFFD (3 bytes) but only trims bodies longer than
/// the limit; the `while s.len() > EXCERPT_LIMIT` loop must run for every
/// body.
#[test]
fn regression_excerpt_of_invalid_utf8_stays_within_the_limit() {
    use connecty_proto::{EXCERPT_LIMIT, excerpt, parse_results_body, server_message};
    let body = vec![0xFF; 300];
    assert!(excerpt(&body).len() <= EXCERPT_LIMIT, "excerpt");
    assert!(
        server_message(&body).unwrap_or_default().len() <= EXCERPT_LIMIT,
        "server_message"
    );
    let e = parse_results_body(body).unwrap_err();
    assert!(e.excerpt.len() <= EXCERPT_LIMIT, "decode error excerpt");
}

/// Found by the `caller_input` target: `CONNECTY_REGION` set to a long
/// value gives an error that repeats it whole (2,573 bytes in the fuzz
/// case). `Region::from_str` (crates/connecty-proto/src/config.rs) formats
/// `{other:?}` without `excerpt`, unlike every other input error.
#[test]
fn regression_region_error_is_bounded() {
    let long = "x".repeat(10_000);
    let e = long.parse::<connecty_proto::Region>().unwrap_err();
    assert!(
        e.to_string().len() <= parsers::MAX_INPUT_MESSAGE,
        "a region error of {} bytes",
        e.to_string().len()
    );
}

/// Found by the `statistics` target: `"mean_len":
/// 22.4777777777777777777777777777777777777777777774` is read as
/// 22.477777777777774 where the nearest f64 is 22.477777777777778, so the
/// statistics change when serialised and parsed again. serde_json parses
/// floats exactly only with its `float_roundtrip` feature (the workspace
/// enables `raw_value` only).
#[test]
fn regression_statistics_floats_round_trip_exactly() {
    let digits = "22.4777777777777777777777777777777777777777777774";
    let text = format!(r#"{{"user_email":{{"string":{{"mean_len":{digits}}}}}}}"#);
    let st: connecty_proto::Statistics = serde_json::from_str(&text).unwrap();
    let mean = st
        .column("user_email")
        .and_then(|c| c.string.as_ref())
        .and_then(|s| s.mean_len);
    assert_eq!(
        mean,
        digits.parse::<f64>().ok(),
        "mean_len is not the nearest f64"
    );
    let again: connecty_proto::Statistics =
        serde_json::from_str(&serde_json::to_string(&st).unwrap()).unwrap();
    assert_eq!(again, st, "statistics change through serialise and parse");
}

/// Found by the `caller_input` target (libFuzzer, 4 crashes of this kind
/// in 10 minutes; these are the base-URL fields of the crashing inputs):
/// `BaseUrl::parse` (crates/connecty-proto/src/config.rs) refuses ASCII
/// spaces and control characters but accepts U+00A0 and other raw
/// non-ASCII in the path prefix, while `input.trim()` strips Unicode
/// whitespace at the ends. `http://9http:/\u{a0}/` is accepted with the
/// prefix `/\u{a0}`; its `Display`, `http://9http:/\u{a0}`, parses back
/// without it. An accepted base URL must display as text that parses back
/// to itself, and a request line should never carry raw non-ASCII: refuse
/// any `char::is_whitespace` and non-ASCII (or percent-encode them).
#[test]
fn regression_base_url_with_unicode_whitespace_round_trips_or_is_refused() {
    for input in [
        "http://f305/.:/\u{fffd}\u{a0}\u{a0}\u{a0}/",
        "https://nmm1/\u{fffd}\u{a0}/",
        "Http://O063.h:/\u{fffd}ttp:\u{a0}///",
        "http://9http:/\u{a0}/",
    ] {
        if let Ok(b) = connecty_proto::BaseUrl::parse(input) {
            let shown = b.to_string();
            assert_eq!(
                connecty_proto::BaseUrl::parse(&shown).ok().as_ref(),
                Some(&b),
                "{input:?} is accepted, but its Display {shown:?} parses to another base URL"
            );
            assert!(
                shown.is_ascii(),
                "{input:?} is accepted with raw non-ASCII: {shown:?}"
            );
        }
    }
}
