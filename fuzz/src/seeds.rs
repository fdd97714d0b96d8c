//! The seed corpus: the API reference's examples (`fuzz/seeds/`), the
//! hand-picked seeds, and the testkit's fixtures
//! (`crates/connecty-testkit/fixtures/*.json`, read at run time, whatever
//! is there), turned into inputs for each target.
//!
//! `cargo xtask fuzz-seeds` writes them to `fuzz/corpus/<target>/` (not
//! committed) through `fuzz/examples/seed_corpus.rs`; the soak test reads
//! them directly. Depends on `std`, `serde_json` and the sibling module
//! `scenario` only.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

use super::scenario::{self, CallKind, RETRY_AFTERS, Reply, STATUSES, Scenario};

/// Every target, in the order the fuzz command runs them.
pub const TARGETS: [&str; 10] = [
    "results_body",
    "token",
    "ask",
    "health",
    "dataframe",
    "statistics",
    "caller_input",
    "machine",
    "client",
    "arrow",
];

/// One exchange of a fixture: the request's method and path, the answer.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// The request's method.
    pub method: String,
    /// The request's path.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// The answer's headers.
    pub headers: Vec<(String, String)>,
    /// The answer's body, byte for byte.
    pub body: Vec<u8>,
    /// Delay before the answer.
    pub delay_ms: u64,
    /// The connection is reset instead of answered.
    pub reset: bool,
}

/// A fixture, as far as seeding needs it.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    /// The file name without `.json`.
    pub name: String,
    /// The call's `op`.
    pub op: String,
    /// The call's arguments, as text (`dw`, `question`, `question_id`,
    /// `include`, `max_rows`).
    pub args: BTreeMap<String, String>,
    /// The exchanges, in order.
    pub exchanges: Vec<Exchange>,
}

type Obj = HashMap<String, Box<RawValue>>;

fn obj(raw: &RawValue) -> Option<Obj> {
    serde_json::from_str(raw.get()).ok()
}

fn text_of(raw: &RawValue) -> String {
    match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join(","),
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}

/// A fixture's body: a JSON string is the raw text, any other value is
/// sent exactly as written.
fn body_of(raw: &RawValue) -> Vec<u8> {
    match serde_json::from_str::<String>(raw.get()) {
        Ok(s) => s.into_bytes(),
        Err(_) => raw.get().as_bytes().to_vec(),
    }
}

fn read_fixture(path: &Path) -> Option<Fixture> {
    let text = std::fs::read_to_string(path).ok()?;
    let top: Obj = serde_json::from_str(&text).ok()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut f = Fixture {
        name: path.file_stem()?.to_string_lossy().into_owned(),
        ..Fixture::default()
    };
    if let Some(call) = top.get("call").and_then(|c| obj(c)) {
        for (k, v) in call {
            if k == "op" {
                f.op = text_of(&v);
            } else {
                f.args.insert(k, text_of(&v));
            }
        }
    }
    let exchanges: Vec<Box<RawValue>> = top
        .get("exchanges")
        .and_then(|e| serde_json::from_str(e.get()).ok())
        .unwrap_or_default();
    for e in exchanges {
        let Some(e) = obj(&e) else { continue };
        let mut x = Exchange {
            status: 200,
            ..Exchange::default()
        };
        if let Some(req) = e.get("request").and_then(|r| obj(r)) {
            x.method = req.get("method").map(|m| text_of(m)).unwrap_or_default();
            x.path = req.get("path").map(|p| text_of(p)).unwrap_or_default();
        }
        if let Some(resp) = e.get("response").and_then(|r| obj(r)) {
            if let Some(s) = resp.get("status") {
                x.status = s.get().parse().unwrap_or(200);
            }
            if let Some(h) = resp.get("headers").and_then(|h| obj(h)) {
                x.headers = h.into_iter().map(|(k, v)| (k, text_of(&v))).collect();
                x.headers.sort();
            }
            if let Some(b) = resp.get("body") {
                x.body = body_of(b);
            } else if let Some(file) = resp.get("body_file") {
                x.body = std::fs::read(dir.join(text_of(file))).unwrap_or_default();
            }
            x.delay_ms = resp
                .get("delay_ms")
                .and_then(|d| d.get().parse().ok())
                .unwrap_or(0);
            x.reset = resp.get("action").is_some_and(|a| text_of(a) == "reset");
        }
        f.exchanges.push(x);
    }
    Some(f)
}

/// Every `*.json` fixture directly in `dir` (none when it does not exist).
pub fn read_fixtures(dir: &Path) -> Vec<Fixture> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths.iter().filter_map(|p| read_fixture(p)).collect()
}

/// The files under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push(bytes);
        }
    }
    out
}

fn call_kind(op: &str) -> Option<CallKind> {
    Some(match op {
        "ask_and_wait" => CallKind::AskAndWait,
        "wait" => CallKind::Wait,
        "ask" => CallKind::Ask,
        "results" => CallKind::Results,
        "health" => CallKind::Health,
        "token" => CallKind::Token,
        _ => return None,
    })
}

fn retry_after_index(x: &Exchange) -> u8 {
    x.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| RETRY_AFTERS.iter().position(|r| *r == v.as_bytes()))
        .unwrap_or(1) as u8
}

/// The reply a scenario gives for a fixture's answer.
pub fn reply_for(x: &Exchange) -> Reply {
    if x.reset {
        return Reply::Fail(2);
    }
    match x.status {
        200..=299 => Reply::Custom(x.body.clone()),
        401 => Reply::Unauthorized,
        429 => Reply::TooMany(retry_after_index(x)),
        503 => Reply::Unavailable(retry_after_index(x)),
        301..=308 => Reply::Redirect(0),
        s => {
            let i = STATUSES.iter().position(|c| *c == s).unwrap_or(0) as u8;
            if x.body.is_empty() {
                Reply::Status(i)
            } else {
                Reply::StatusWithMessage(i)
            }
        }
    }
}

/// A fixture as two scenarios: with its token exchanges (for the `client`
/// target) and without (for the `machine` target, which hands tokens over
/// itself).
pub fn fixture_scenarios(f: &Fixture) -> Vec<Scenario> {
    let Some(call) = call_kind(&f.op) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for with_tokens in [true, false] {
        let mut s = Scenario::new(call);
        for x in &f.exchanges {
            if !with_tokens && x.path.ends_with("/auth/token") {
                continue;
            }
            s = s.then(reply_for(x), x.delay_ms.min(300_000));
        }
        out.push(s);
    }
    out
}

fn endpoint_byte(path: &str, method: &str) -> u8 {
    if path.ends_with("/health") {
        0
    } else if path.ends_with("/auth/token") {
        1
    } else if method.eq_ignore_ascii_case("POST") {
        2
    } else {
        3
    }
}

/// A `health` target input: status, endpoint, `Retry-After`, body.
pub fn health_input(x: &Exchange) -> Vec<u8> {
    let v = x.status.saturating_sub(100);
    let mut out = vec![
        (v & 0xff) as u8,
        (v >> 8) as u8,
        endpoint_byte(&x.path, &x.method),
    ];
    if let Some((_, r)) = x
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
    {
        out.extend_from_slice(r.as_bytes());
    }
    out.push(0xFF);
    out.extend_from_slice(&x.body);
    out
}

/// A `caller_input` input from a fixture's call arguments.
pub fn caller_input(f: &Fixture) -> Vec<u8> {
    let arg = |k: &str| f.args.get(k).cloned().unwrap_or_default();
    let fields = [
        "http://127.0.0.1:8080".to_string(),
        arg("include"),
        arg("dw"),
        arg("question_id"),
        "connecty-test-client".to_string(),
        "connecty-test-secret".to_string(),
        arg("question"),
        String::new(),
        String::new(),
        arg("max_rows"),
        "http".to_string(),
        "127.0.0.1:8080".to_string(),
    ];
    let mut out = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(0xFF);
        }
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// The raw text of `results.<key>` in a results body.
fn results_member(body: &[u8], key: &str) -> Option<Vec<u8>> {
    let top: Obj = serde_json::from_slice(body).ok()?;
    let results = obj(top.get("results")?)?;
    Some(results.get(key)?.get().as_bytes().to_vec())
}

/// The corpus of every target: `fuzz/seeds/`, the fixtures under
/// `fixtures`, and the flows of [`scenario::seed_scenarios`].
pub fn corpus(seeds: &Path, fixtures: &Path) -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let fixtures = read_fixtures(fixtures);
    let mut bodies = files_under(&seeds.join("api"));
    let mut token_bodies = Vec::new();
    let mut results_bodies = Vec::new();
    for f in &fixtures {
        for x in &f.exchanges {
            if x.body.is_empty() {
                continue;
            }
            bodies.push(x.body.clone());
            if x.path.ends_with("/auth/token") {
                token_bodies.push(x.body.clone());
            } else if x.path.ends_with("/results") && (200..300).contains(&x.status) {
                results_bodies.push(x.body.clone());
            }
        }
    }
    bodies.sort();
    bodies.dedup();
    let mut out: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    for t in TARGETS {
        let mut v = files_under(&seeds.join(t));
        match t {
            "results_body" | "ask" => v.extend(bodies.iter().cloned()),
            "token" => {
                v.extend(token_bodies.iter().cloned());
                v.extend(bodies.iter().cloned());
            }
            "dataframe" => v.extend(bodies.iter().filter_map(|b| results_member(b, "dataframe"))),
            // A dataframe, then (after a NUL byte) its statistics when the
            // body has them.
            "arrow" => v.extend(bodies.iter().filter_map(|b| {
                let mut input = results_member(b, "dataframe")?;
                if let Some(stats) = results_member(b, "dataframe_stats") {
                    input.push(0);
                    input.extend(stats);
                }
                Some(input)
            })),
            "statistics" => {
                v.extend(
                    bodies
                        .iter()
                        .filter_map(|b| results_member(b, "dataframe_stats")),
                );
                v.extend(bodies.iter().filter_map(|b| {
                    let top: Obj = serde_json::from_slice(b).ok()?;
                    Some(top.get("results")?.get().as_bytes().to_vec())
                }));
            }
            "health" => {
                for f in &fixtures {
                    v.extend(f.exchanges.iter().map(health_input));
                }
            }
            "caller_input" => v.extend(fixtures.iter().map(caller_input)),
            _ => {
                let mut scenarios = scenario::seed_scenarios(&results_bodies);
                for f in &fixtures {
                    scenarios.extend(fixture_scenarios(f));
                }
                v.extend(scenarios.iter().map(scenario::encode));
            }
        }
        v.sort();
        v.dedup();
        out.insert(t, v);
    }
    out
}
