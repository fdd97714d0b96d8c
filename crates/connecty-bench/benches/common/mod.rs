//! The parsers the parse benches compare, shared by `parse.rs` (timings,
//! system allocator) and `parse_heap.rs` (heap, counting allocator).
//!
//! Each parser gets the same body. `prepare` runs before the timer starts
//! (copying the body for the parsers that take or mutate it), `parse` is
//! timed, and what it returns is dropped after the timer stops, so no
//! parser is charged for freeing its result.

#![allow(dead_code)]

#[path = "../../src/data.rs"]
pub mod data;

use serde::Deserialize;

/// Anything a parse returns, kept until after the timer stops.
pub trait Kept {}
impl<T> Kept for T {}

/// One contender.
pub trait Parser {
    /// The name shown in the table.
    fn name(&self) -> &'static str;
    /// Untimed: makes the input ready (a copy, for parsers that need one).
    fn prepare(&mut self, _body: &[u8]) {}
    /// Timed: parses the body; what it returns is dropped untimed.
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a>;
    /// Whether the parser takes ownership of the body and keeps it (its
    /// heap figures then include the body).
    fn keeps_body(&self) -> bool {
        false
    }
}

#[derive(Deserialize)]
struct Body<C> {
    #[allow(dead_code)]
    state: String,
    results: Inner<C>,
}

#[derive(Deserialize)]
struct Inner<C> {
    dataframe: Vec<Vec<C>>,
}

/// `connecty_proto::parse_results_body`, which takes the body by value.
struct Connecty(Option<Vec<u8>>);

impl Parser for Connecty {
    fn name(&self) -> &'static str {
        "connecty `parse_results_body`"
    }
    fn prepare(&mut self, body: &[u8]) {
        self.0 = Some(body.to_vec());
    }
    fn parse<'a>(&'a mut self, _body: &'a [u8]) -> Box<dyn Kept + 'a> {
        let body = self.0.take().expect("prepared");
        let r = connecty_proto::parse_results_body(body).expect("connecty parses the body");
        Box::new(r)
    }
    fn keeps_body(&self) -> bool {
        true
    }
}

struct SerdeValue;

impl Parser for SerdeValue {
    fn name(&self) -> &'static str {
        "serde_json `Value`"
    }
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a> {
        let v: serde_json::Value = serde_json::from_slice(body).expect("serde_json parses");
        Box::new(v)
    }
}

struct SerdeRows;

impl Parser for SerdeRows {
    fn name(&self) -> &'static str {
        "serde_json rows (`Vec<Vec<Value>>`)"
    }
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a> {
        let v: Body<serde_json::Value> = serde_json::from_slice(body).expect("serde_json parses");
        Box::new(v.results.dataframe)
    }
}

struct SerdeRaw;

impl Parser for SerdeRaw {
    fn name(&self) -> &'static str {
        "serde_json raw cells (`Vec<Vec<&RawValue>>`)"
    }
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a> {
        let v: Body<&serde_json::value::RawValue> =
            serde_json::from_slice(body).expect("serde_json parses");
        Box::new(v.results.dataframe)
    }
}

struct SonicValue;

impl Parser for SonicValue {
    fn name(&self) -> &'static str {
        "sonic-rs `Value`"
    }
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a> {
        let v: sonic_rs::Value = sonic_rs::from_slice(body).expect("sonic-rs parses");
        Box::new(v)
    }
}

struct SonicLazy;

impl Parser for SonicLazy {
    fn name(&self) -> &'static str {
        "sonic-rs lazy cells (`Vec<Vec<LazyValue>>`)"
    }
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a> {
        let v: Body<sonic_rs::LazyValue<'a>> = sonic_rs::from_slice(body).expect("sonic-rs parses");
        Box::new(v.results.dataframe)
    }
}

struct SonicRaw;

impl Parser for SonicRaw {
    fn name(&self) -> &'static str {
        "sonic-rs raw `dataframe` (`get_from_slice`)"
    }
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a> {
        let v =
            sonic_rs::get_from_slice(body, ["results", "dataframe"]).expect("sonic-rs finds it");
        Box::new(v)
    }
}

/// simd-json's tape with its buffers and the tape's vector reused from
/// call to call; the input copy it parses in place is made untimed.
struct SimdTape {
    input: Vec<u8>,
    buffers: simd_json::Buffers,
    tape: Vec<simd_json::Node<'static>>,
}

/// Empties a vector and gives its allocation back under another lifetime
/// (an in-place collect: no allocation, no `unsafe`).
fn recycle<'b>(mut v: Vec<simd_json::Node<'_>>) -> Vec<simd_json::Node<'b>> {
    v.clear();
    v.into_iter().map(|_| unreachable!()).collect()
}

impl Parser for SimdTape {
    fn name(&self) -> &'static str {
        "simd-json tape (`fill_tape`, buffers reused)"
    }
    fn prepare(&mut self, body: &[u8]) {
        self.input.clear();
        self.input.extend_from_slice(body);
    }
    fn parse<'a>(&'a mut self, _body: &'a [u8]) -> Box<dyn Kept + 'a> {
        let mut tape = simd_json::Tape(recycle(std::mem::take(&mut self.tape)));
        simd_json::fill_tape(&mut self.input, &mut self.buffers, &mut tape)
            .expect("simd-json parses");
        let nodes = tape.0.len();
        self.tape = recycle(tape.0);
        Box::new(nodes)
    }
}

/// Not a parser: `memchr` looking for a byte the body does not hold, the
/// cost of reading the body once.
struct MemchrFloor;

impl Parser for MemchrFloor {
    fn name(&self) -> &'static str {
        "floor: `memchr` over the body"
    }
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a> {
        Box::new(memchr::memchr(0, body))
    }
}

/// Not a parser: the standard library's UTF-8 check of the body.
struct Utf8Floor;

impl Parser for Utf8Floor {
    fn name(&self) -> &'static str {
        "floor: `std::str::from_utf8` over the body"
    }
    fn parse<'a>(&'a mut self, body: &'a [u8]) -> Box<dyn Kept + 'a> {
        Box::new(std::str::from_utf8(body).is_ok())
    }
}

/// The name of the parser every ratio is taken against.
pub const CONNECTY: &str = "connecty `parse_results_body`";

/// Every contender, connecty first; `floors` adds the two non-parsers.
pub fn parsers(floors: bool) -> Vec<Box<dyn Parser>> {
    let mut v: Vec<Box<dyn Parser>> = vec![
        Box::new(Connecty(None)),
        Box::new(SonicValue),
        Box::new(SonicLazy),
        Box::new(SonicRaw),
        Box::new(SimdTape {
            input: Vec::new(),
            buffers: simd_json::Buffers::default(),
            tape: Vec::new(),
        }),
        Box::new(SerdeValue),
        Box::new(SerdeRows),
        Box::new(SerdeRaw),
    ];
    if floors {
        v.push(Box::new(MemchrFloor));
        v.push(Box::new(Utf8Floor));
    }
    v
}

/// How a bench binary was started.
pub struct Args {
    /// `--quick`: fewer sizes and rounds.
    pub quick: bool,
    /// `--json FILE`: where to write the figures.
    pub json: Option<String>,
    /// Started by `cargo test` (cargo passes `--bench` only under `cargo
    /// bench`): one small body, one call per parser, as a smoke test that
    /// every parser accepts the body; no figures worth keeping.
    pub smoke: bool,
}

/// The bench's arguments.
pub fn args() -> Args {
    let args: Vec<String> = std::env::args().skip(1).collect();
    Args {
        quick: args.iter().any(|a| a == "--quick"),
        json: args
            .iter()
            .position(|a| a == "--json")
            .and_then(|i| args.get(i + 1))
            .cloned(),
        smoke: !args.iter().any(|a| a == "--bench"),
    }
}

/// The sizes to measure: rows and timed calls per round.
pub fn sizes(args: &Args) -> &'static [(usize, usize)] {
    if args.smoke {
        &[(200, 1)]
    } else {
        data::parse_sizes(args.quick)
    }
}

/// Writes the figures as JSON to `path`, or prints them.
pub fn write(sizes: &[data::ParseSize], path: Option<&str>) {
    let text = serde_json::to_string_pretty(sizes).expect("figures serialise");
    match path {
        Some(p) => std::fs::write(p, text).unwrap_or_else(|e| panic!("writing {p}: {e}")),
        None => println!("{text}"),
    }
}
