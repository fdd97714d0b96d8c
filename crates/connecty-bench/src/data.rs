//! Deterministic results bodies for the benchmarks.

/// A results body of `rows` rows and 6 mixed columns: an integer, a float,
/// a string, a timestamp, a boolean and a nullable string.
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
