//! Deterministic results bodies for the benchmarks, and the figures the
//! parse benches hand to the main binary. The `benches/` targets include
//! this file with `#[path]`, so the main binary and they share one body.

/// A results body of `rows` rows and 6 mixed columns: an integer, a float,
/// a string, a timestamp, a boolean and a nullable string.
#[allow(dead_code)] // only the benches/ targets build bodies
pub fn results_body(rows: usize) -> Vec<u8> {
    let mut s = String::with_capacity(rows * 90 + 200);
    s.push_str(r#"{"state":"COMPLETED","results":{"dataframe":[["id","amount","customer","ordered_at","is_gift","note"]"#);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let amount = (x % 1_000_000) as f64 / 100.0;
        let day = 1 + (x % 28);
        let hour = x % 24;
        let note = if x.is_multiple_of(3) {
            "null".to_string()
        } else {
            format!("\"note {} \\\"q\\\" żółw\"", x % 1000)
        };
        s.push_str(&format!(
            ",[{},{amount},\"customer-{:05}\",\"2025-10-{day:02}T{hour:02}:05:01.146+01:00\",{},{note}]",
            1_000_000 + i,
            x % 50_000,
            x.is_multiple_of(2)
        ));
    }
    s.push_str("]}}");
    s.into_bytes()
}

/// The sizes the parse section measures: rows, and timed calls per round
/// for each parser. Shared by the main binary and the `benches/` targets.
pub fn parse_sizes(quick: bool) -> &'static [(usize, usize)] {
    if quick {
        &[(1_000, 50), (200_000, 5)]
    } else {
        &[(1_000, 200), (200_000, 9), (1_000_000, 5)]
    }
}

/// What `benches/parse.rs` measured for one parser at one size.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ParseTiming {
    /// The parser's name, as shown in the table.
    pub parser: String,
    /// Throughput of each round (MB/s): the body's size over the median of
    /// the round's timed calls.
    pub rounds_mb_s: Vec<f64>,
}

/// What `benches/parse_heap.rs` measured for one parser at one size.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ParseHeap {
    /// The parser's name, as shown in the table.
    pub parser: String,
    /// Heap still held by the parsed result after the call, bytes.
    pub retained: usize,
    /// The heap's peak during the call, above the heap before it, bytes.
    pub peak: usize,
    /// Whether the figures include the body (parsers that take ownership
    /// of it and keep it).
    pub includes_body: bool,
}

/// One body size's figures from one of the parse benches.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ParseSize {
    /// Data rows in the body.
    pub rows: usize,
    /// The body's size in bytes.
    pub bytes: usize,
    /// Timed calls per parser and round.
    pub calls_per_round: usize,
    /// Timings, one entry per parser (empty in the heap bench's output).
    pub timings: Vec<ParseTiming>,
    /// Heap figures, one entry per parser (empty in the timing bench's output).
    pub heap: Vec<ParseHeap>,
}
