//! The emulator's database: the generated sample workspace, read-only query
//! execution with a time limit, the dataframe's JSON and its statistics.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone as _, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params};

/// One cell of a result, typed as the emulator sends it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(Box<str>),
    Bool(bool),
    /// Sent as a lower-case hex string.
    Blob(Box<[u8]>),
}

/// The full result of one query: every row up to the row cap.
#[derive(Debug)]
pub(crate) struct QueryResult {
    pub(crate) columns: Vec<String>,
    /// Row-major cells, `columns.len()` per row.
    cells: Vec<Value>,
    pub(crate) rows: usize,
    /// Whether rows past the emulator's row cap were dropped.
    pub(crate) capped: bool,
    stats: OnceLock<String>,
}

impl QueryResult {
    /// A result from its parts (used by tests and the query runner).
    pub(crate) fn new(columns: Vec<String>, cells: Vec<Value>, capped: bool) -> Self {
        let width = columns.len().max(1);
        let rows = if columns.is_empty() {
            0
        } else {
            cells.len() / width
        };
        Self {
            columns,
            cells,
            rows,
            capped,
            stats: OnceLock::new(),
        }
    }

    fn row(&self, i: usize) -> &[Value] {
        let w = self.columns.len();
        &self.cells[i * w..(i + 1) * w]
    }

    fn column_values(&self, c: usize) -> impl Iterator<Item = &Value> + '_ {
        (0..self.rows).map(move |r| &self.cells[r * self.columns.len() + c])
    }

    /// Appends the `dataframe` JSON (header row, then at most `max_rows`
    /// rows) to `out`.
    pub(crate) fn write_dataframe(&self, max_rows: usize, out: &mut Vec<u8>) {
        out.push(b'[');
        write_json_str_array(&self.columns, out);
        for r in 0..self.rows.min(max_rows) {
            out.push(b',');
            out.push(b'[');
            for (i, v) in self.row(r).iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(v, out);
            }
            out.push(b']');
        }
        out.push(b']');
    }

    /// The `dataframe_stats` JSON, computed once from every row.
    pub(crate) fn stats_json(&self) -> &str {
        self.stats.get_or_init(|| self.compute_stats())
    }

    fn compute_stats(&self) -> String {
        let mut out = String::from("{");
        let mut seen = HashSet::new();
        let mut first = true;
        for (c, name) in self.columns.iter().enumerate() {
            // A JSON object cannot hold a name twice: the first column wins.
            if !seen.insert(name.as_str()) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&json_string(name));
            out.push(':');
            out.push_str(&column_stats(self.column_values(c)));
        }
        out.push('}');
        out
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn write_json_str_array(items: &[String], out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(json_string(s).as_bytes());
    }
    out.push(b']');
}

fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Real(f) => out.extend_from_slice(json_f64(*f).as_bytes()),
        Value::Text(s) => out.extend_from_slice(json_string(s).as_bytes()),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Blob(b) => {
            out.push(b'"');
            for byte in b.iter() {
                out.extend_from_slice(format!("{byte:02x}").as_bytes());
            }
            out.push(b'"');
        }
    }
}

/// A float as JSON: shortest round-trip text, `null` when not finite.
fn json_f64(f: f64) -> String {
    serde_json::to_string(&f).unwrap_or_else(|_| "null".to_string())
}

/// Whether text is an RFC 3339 date-time with an offset.
fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// Rounds to two decimals, as the reference's `mean_len`.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The statistics object of one column.
fn column_stats<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    let values: Vec<&Value> = values.collect();
    let nulls = values.iter().filter(|v| matches!(v, Value::Null)).count();
    let non_null: Vec<&Value> = values
        .iter()
        .copied()
        .filter(|v| !matches!(v, Value::Null))
        .collect();
    let mut out = format!(
        r#"{{"general":{{"count":{},"nulls_count":{}}}"#,
        non_null.len(),
        nulls
    );
    let all_numeric = non_null
        .iter()
        .all(|v| matches!(v, Value::Int(_) | Value::Real(_)));
    let texts: Option<Vec<&str>> = non_null
        .iter()
        .map(|v| match v {
            Value::Text(s) => Some(&**s),
            _ => None,
        })
        .collect();
    if non_null.is_empty() {
        // General counts only: nothing to describe.
    } else if all_numeric {
        out.push_str(",\"numeric\":");
        out.push_str(&numeric_stats(&non_null));
    } else if let Some(texts) = texts {
        let stamps: Option<Vec<DateTime<FixedOffset>>> =
            texts.iter().map(|t| parse_timestamp(t)).collect();
        match stamps {
            Some(stamps) => {
                out.push_str(",\"temporal\":");
                out.push_str(&temporal_stats(&texts, &stamps));
            }
            None => {
                out.push_str(",\"string\":");
                out.push_str(&string_stats(&texts));
            }
        }
    }
    out.push('}');
    out
}

fn temporal_stats(texts: &[&str], stamps: &[DateTime<FixedOffset>]) -> String {
    let distinct: HashSet<&str> = texts.iter().copied().collect();
    let mut min = 0;
    let mut max = 0;
    for (i, t) in stamps.iter().enumerate() {
        if *t < stamps[min] {
            min = i;
        }
        if *t > stamps[max] {
            max = i;
        }
    }
    format!(
        r#"{{"distinct_count":{},"distinct_approx":false,"min":{},"max":{}}}"#,
        distinct.len(),
        json_string(texts[min]),
        json_string(texts[max])
    )
}

fn string_stats(texts: &[&str]) -> String {
    let distinct: HashSet<&str> = texts.iter().copied().collect();
    let lens: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
    let empty = lens.iter().filter(|l| **l == 0).count();
    let min = lens.iter().copied().min().unwrap_or(0);
    let max = lens.iter().copied().max().unwrap_or(0);
    let mean = if lens.is_empty() {
        0.0
    } else {
        lens.iter().sum::<usize>() as f64 / lens.len() as f64
    };
    format!(
        r#"{{"distinct_count":{},"distinct_approx":false,"empty_string_count":{},"min_len":{},"mean_len":{},"max_len":{}}}"#,
        distinct.len(),
        empty,
        min,
        json_f64(round2(mean)),
        max
    )
}

/// A key under which equal numbers (`1` and `1.0`) count once.
#[derive(Hash, PartialEq, Eq)]
enum NumKey {
    Int(i64),
    Bits(u64),
}

fn num_key(v: &Value) -> NumKey {
    match v {
        Value::Int(i) => NumKey::Int(*i),
        Value::Real(f) => {
            if f.fract() == 0.0 && *f >= -9.2e18 && *f <= 9.2e18 {
                NumKey::Int(*f as i64)
            } else {
                NumKey::Bits(f.to_bits())
            }
        }
        _ => NumKey::Bits(0),
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Real(f) => *f,
        _ => 0.0,
    }
}

fn numeric_text(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Real(f) => json_f64(*f),
        _ => "null".to_string(),
    }
}

/// Orders two numbers exactly when both are integers.
fn num_less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        _ => as_f64(a) < as_f64(b),
    }
}

fn numeric_stats(values: &[&Value]) -> String {
    let distinct: HashSet<NumKey> = values.iter().map(|v| num_key(v)).collect();
    let mut min = values[0];
    let mut max = values[0];
    for v in values {
        if num_less(v, min) {
            min = v;
        }
        if num_less(max, v) {
            max = v;
        }
    }
    let all_int = values.iter().all(|v| matches!(v, Value::Int(_)));
    let (sum_text, sum_f) = if all_int {
        let s: i128 = values
            .iter()
            .map(|v| match v {
                Value::Int(i) => i128::from(*i),
                _ => 0,
            })
            .sum();
        match i64::try_from(s) {
            Ok(i) => (i.to_string(), s as f64),
            Err(_) => (json_f64(s as f64), s as f64),
        }
    } else {
        let s: f64 = values.iter().map(|v| as_f64(v)).sum();
        (json_f64(s), s)
    };
    let mean = sum_f / values.len() as f64;
    format!(
        r#"{{"distinct_count":{},"min":{},"max":{},"mean":{},"sum":{}}}"#,
        distinct.len(),
        numeric_text(min),
        numeric_text(max),
        json_f64(mean),
        sum_text
    )
}

/// The emulator's SQLite database, shared by every question.
pub(crate) struct Database {
    conn: Mutex<Connection>,
    query_timeout: Duration,
    row_cap: usize,
    stopping: Arc<AtomicBool>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("query_timeout", &self.query_timeout)
            .field("row_cap", &self.row_cap)
            .finish_non_exhaustive()
    }
}

/// Where the data comes from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The generated sample workspace, with an optional `events` table.
    Sample { large_table_rows: u64 },
    /// A user's SQLite file, opened read-only.
    File(std::path::PathBuf),
}

impl Database {
    /// Opens (or builds) the database.
    pub(crate) fn open(
        source: &Source,
        query_timeout: Duration,
        row_cap: usize,
        stopping: Arc<AtomicBool>,
    ) -> Result<Database, String> {
        let conn = match source {
            Source::Sample { large_table_rows } => {
                let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
                build_sample(&conn, *large_table_rows)
                    .map_err(|e| format!("could not build the sample workspace: {e}"))?;
                conn
            }
            Source::File(path) => open_file(path)?,
        };
        conn.execute_batch("PRAGMA query_only = ON;")
            .map_err(|e| e.to_string())?;
        Ok(Database {
            conn: Mutex::new(conn),
            query_timeout,
            row_cap,
            stopping,
        })
    }

    /// Runs one read-only statement and collects every row (up to the row
    /// cap). The error is the message a `FAILED` state carries.
    pub(crate) fn run(&self, sql: &str) -> Result<QueryResult, String> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let deadline = Instant::now() + self.query_timeout;
        let stopping = Arc::clone(&self.stopping);
        conn.progress_handler(
            1_000,
            Some(move || Instant::now() >= deadline || stopping.load(Ordering::Relaxed)),
        );
        let result = collect(&conn, sql, self.row_cap);
        conn.progress_handler(0, None::<fn() -> bool>);
        result.map_err(|e| {
            if is_interrupt(&e) {
                format!(
                    "the query ran longer than the emulator's limit of {:?} and was stopped",
                    self.query_timeout
                )
            } else {
                describe(&e)
            }
        })
    }
}

fn open_file(path: &Path) -> Result<Connection, String> {
    let shown = path.display();
    if !path.is_file() {
        return Err(format!("no SQLite database file at {shown}"));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("could not open {shown}: {}", describe(&e)))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| {
        format!(
            "{shown} is not a readable SQLite database: {}",
            describe(&e)
        )
    })?;
    Ok(conn)
}

fn is_interrupt(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OperationInterrupted)
}

/// SQLite's own message, without the SQL text.
fn describe(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => format!("SQLite error: {m}"),
        rusqlite::Error::SqlInputError { msg, offset, .. } => {
            format!("SQLite error: {msg} (at byte {offset} of the SQL)")
        }
        rusqlite::Error::MultipleStatement => {
            "only one SQL statement can be asked at a time".to_string()
        }
        other => format!("SQLite error: {other}"),
    }
}

fn collect(conn: &Connection, sql: &str, row_cap: usize) -> rusqlite::Result<QueryResult> {
    let mut stmt = conn.prepare(sql)?;
    if !stmt.readonly() {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            Some("the emulator runs read-only SQL only".to_string()),
        ));
    }
    let columns: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let boolean: Vec<bool> = stmt
        .columns()
        .iter()
        .map(|c| {
            c.decl_type()
                .is_some_and(|t| t.to_ascii_uppercase().contains("BOOL"))
        })
        .collect();
    let width = columns.len();
    let mut cells = Vec::new();
    let mut capped = false;
    let mut rows = stmt.query([])?;
    let mut n = 0usize;
    while let Some(row) = rows.next()? {
        if n >= row_cap {
            capped = true;
            break;
        }
        for (i, is_bool) in boolean.iter().enumerate().take(width) {
            let v = match row.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(x) if *is_bool && (x == 0 || x == 1) => Value::Bool(x == 1),
                ValueRef::Integer(x) => Value::Int(x),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into()),
                ValueRef::Blob(b) => Value::Blob(b.into()),
            };
            cells.push(v);
        }
        n += 1;
    }
    Ok(QueryResult::new(columns, cells, capped))
}

/// A small deterministic PRNG (SplitMix64): the sample data is the same on
/// every run and every machine.
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// Code, name, region, UTC offset in minutes, weight among customers.
const COUNTRIES: &[(&str, &str, &str, i32, u32)] = &[
    ("US", "United States", "North America", -300, 120),
    ("DE", "Germany", "Europe", 60, 95),
    ("GB", "United Kingdom", "Europe", 0, 80),
    ("FR", "France", "Europe", 60, 66),
    ("PL", "Poland", "Europe", 60, 55),
    ("CA", "Canada", "North America", -300, 44),
    ("NL", "Netherlands", "Europe", 60, 38),
    ("ES", "Spain", "Europe", 60, 34),
    ("IT", "Italy", "Europe", 60, 31),
    ("BR", "Brazil", "South America", -180, 28),
    ("JP", "Japan", "Asia", 540, 26),
    ("AU", "Australia", "Oceania", 600, 24),
    ("SE", "Sweden", "Europe", 60, 21),
    ("IN", "India", "Asia", 330, 20),
    ("CH", "Switzerland", "Europe", 60, 18),
    ("MX", "Mexico", "North America", -360, 17),
    ("BE", "Belgium", "Europe", 60, 16),
    ("AT", "Austria", "Europe", 60, 15),
    ("DK", "Denmark", "Europe", 60, 14),
    ("NO", "Norway", "Europe", 60, 13),
    ("FI", "Finland", "Europe", 120, 12),
    ("IE", "Ireland", "Europe", 0, 12),
    ("PT", "Portugal", "Europe", 0, 11),
    ("CZ", "Czechia", "Europe", 60, 11),
    ("KR", "South Korea", "Asia", 540, 10),
    ("SG", "Singapore", "Asia", 480, 10),
    ("ZA", "South Africa", "Africa", 120, 9),
    ("AR", "Argentina", "South America", -180, 9),
    ("NZ", "New Zealand", "Oceania", 720, 8),
    ("TR", "Türkiye", "Europe", 180, 8),
    ("CN", "China", "Asia", 480, 8),
    ("CL", "Chile", "South America", -240, 7),
    ("CO", "Colombia", "South America", -300, 7),
    ("GR", "Greece", "Europe", 120, 6),
    ("VN", "Viet Nam", "Asia", 420, 6),
    ("NG", "Nigeria", "Africa", 60, 5),
    ("KE", "Kenya", "Africa", 180, 5),
    ("MA", "Morocco", "Africa", 60, 4),
    ("IS", "Iceland", "Europe", 0, 3),
    ("CI", "Côte d'Ivoire", "Africa", 0, 3),
    ("CW", "Curaçao", "North America", -240, 2),
];

/// First names as shown, and as written in an e-mail address.
const FIRST_NAMES: &[(&str, &str)] = &[
    ("Anna", "anna"),
    ("Ben", "ben"),
    ("Chloé", "chloe"),
    ("Damian", "damian"),
    ("Elif", "elif"),
    ("François", "francois"),
    ("Grace", "grace"),
    ("Hiro", "hiro"),
    ("Ingrid", "ingrid"),
    ("José", "jose"),
    ("Kai", "kai"),
    ("Łukasz", "lukasz"),
    ("Maya", "maya"),
    ("Nia", "nia"),
    ("Oliver", "oliver"),
    ("Priya", "priya"),
    ("Quinn", "quinn"),
    ("Rosa", "rosa"),
    ("Søren", "soren"),
    ("Tomás", "tomas"),
    ("Uma", "uma"),
    ("Viktor", "viktor"),
    ("Wei", "wei"),
    ("Zoë", "zoe"),
];

const LAST_NAMES: &[(&str, &str)] = &[
    ("Nowak", "nowak"),
    ("Müller", "mueller"),
    ("Smith", "smith"),
    ("García", "garcia"),
    ("Rossi", "rossi"),
    ("Dubois", "dubois"),
    ("Johansson", "johansson"),
    ("Tanaka", "tanaka"),
    ("Kowalczyk", "kowalczyk"),
    ("O'Brien", "obrien"),
    ("Silva", "silva"),
    ("Yılmaz", "yilmaz"),
    ("Kim", "kim"),
    ("Patel", "patel"),
    ("Okafor", "okafor"),
    ("Novák", "novak"),
    ("Jensen", "jensen"),
    ("Van der Berg", "vanderberg"),
    ("Nguyễn", "nguyen"),
    ("Brown", "brown"),
];

const DOMAINS: &[&str] = &["example.com", "example.org", "mail.example.net"];

/// Order statuses and their weights.
const STATUSES: &[(&str, u32)] = &[
    ("delivered", 70),
    ("shipped", 12),
    ("processing", 8),
    ("cancelled", 6),
    ("refunded", 4),
];

/// Order notes: commas, quotes, non-ASCII, an empty one.
const NOTES: &[&str] = &[
    "Leave at the door, please",
    "Gift wrap: \"Happy birthday!\"",
    "Livraison après 18h, merci",
    "Zustellung: Hinterhof, 2. Stock",
    "请在工作日送货",
    "Call before delivery 🙂",
    "",
    "Fragile; handle with care",
    "It's a surprise, don't ring the bell",
    "Entregar na portaria",
];

const CENTS: &[i64] = &[99, 49, 95, 50, 25, 75, 89, 19];

/// Formats a UTC instant at a fixed offset, RFC 3339, with `digits`
/// fractional digits (3 or 6).
fn timestamp(secs: i64, micros: u32, offset_minutes: i32, digits: u8) -> String {
    let offset = FixedOffset::east_opt(offset_minutes * 60);
    match (Utc.timestamp_opt(secs, micros * 1_000).single(), offset) {
        (Some(t), Some(offset)) => {
            let local = t.with_timezone(&offset);
            let fmt = if digits == 6 {
                "%Y-%m-%dT%H:%M:%S%.6f%:z"
            } else {
                "%Y-%m-%dT%H:%M:%S%.3f%:z"
            };
            local.format(fmt).to_string()
        }
        _ => "1970-01-01T00:00:00.000+00:00".to_string(),
    }
}

/// 2022-01-01T00:00:00Z.
const SIGNUPS_FROM: i64 = 1_640_995_200;
/// 2024-01-01T00:00:00Z.
const ORDERS_FROM: i64 = 1_704_067_200;
/// 2025-11-01T00:00:00Z.
const ORDERS_TO: i64 = 1_761_955_200;

/// Number of customers in the sample workspace.
pub(crate) const SAMPLE_CUSTOMERS: u64 = 1_500;
/// Number of orders in the sample workspace.
pub(crate) const SAMPLE_ORDERS: u64 = 5_000;

/// Creates and fills the sample workspace (and the `events` table when
/// `large_table_rows > 0`).
fn build_sample(conn: &Connection, large_table_rows: u64) -> rusqlite::Result<()> {
    conn.execute_batch(
        "BEGIN;
         CREATE TABLE countries (
             code TEXT PRIMARY KEY,
             name TEXT NOT NULL,
             region TEXT NOT NULL
         );
         CREATE TABLE customers (
             id INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             email TEXT NOT NULL UNIQUE,
             country_code TEXT NOT NULL REFERENCES countries(code),
             signup_at TIMESTAMP NOT NULL
         );
         CREATE TABLE orders (
             id INTEGER PRIMARY KEY,
             customer_id INTEGER NOT NULL REFERENCES customers(id),
             ordered_at TIMESTAMP NOT NULL,
             amount DECIMAL(10, 2) NOT NULL,
             status TEXT NOT NULL,
             is_gift BOOLEAN NOT NULL,
             note TEXT
         );",
    )?;
    let mut rng = Prng(0x00C0_FFEE_2025_0013);
    {
        let mut ins =
            conn.prepare("INSERT INTO countries (code, name, region) VALUES (?1, ?2, ?3)")?;
        for (code, name, region, _, _) in COUNTRIES {
            ins.execute(params![code, name, region])?;
        }
    }
    let weights: Vec<u32> = COUNTRIES.iter().map(|c| c.4).collect();
    let mut customer_offsets = Vec::with_capacity(SAMPLE_CUSTOMERS as usize);
    {
        let mut ins = conn.prepare(
            "INSERT INTO customers (id, name, email, country_code, signup_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for id in 1..=SAMPLE_CUSTOMERS {
            let (first, first_ascii) = *rng.pick(FIRST_NAMES);
            let (last, last_ascii) = *rng.pick(LAST_NAMES);
            let domain = rng.pick(DOMAINS);
            let country = &COUNTRIES[rng.weighted(&weights)];
            let signed_up = SIGNUPS_FROM + rng.below((ORDERS_FROM - SIGNUPS_FROM) as u64) as i64;
            let millis = rng.below(1_000) as u32;
            customer_offsets.push((signed_up, country.3));
            ins.execute(params![
                id as i64,
                format!("{first} {last}"),
                format!("{first_ascii}.{last_ascii}{id}@{domain}"),
                country.0,
                timestamp(signed_up, millis * 1_000, country.3, 3),
            ])?;
        }
    }
    {
        let status_weights: Vec<u32> = STATUSES.iter().map(|s| s.1).collect();
        let mut ins = conn.prepare(
            "INSERT INTO orders (id, customer_id, ordered_at, amount, status, is_gift, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for id in 1..=SAMPLE_ORDERS {
            // Skewed: low customer ids order more.
            let c = ((rng.unit().powf(1.6)) * SAMPLE_CUSTOMERS as f64) as usize;
            let c = c.min(SAMPLE_CUSTOMERS as usize - 1);
            let (signed_up, offset) = customer_offsets[c];
            let from = signed_up.max(ORDERS_FROM);
            let at = from + rng.below((ORDERS_TO - from).max(1) as u64) as i64;
            let micros = rng.below(1_000_000) as u32;
            let dollars = 5 + (rng.unit().powi(2) * 480.0) as i64;
            let cents = *rng.pick(CENTS);
            let amount = (dollars * 100 + cents) as f64 / 100.0;
            let status = STATUSES[rng.weighted(&status_weights)].0;
            let is_gift = rng.below(100) < 12;
            let note: Option<&str> = if rng.below(100) < if is_gift { 60 } else { 15 } {
                Some(*rng.pick(NOTES))
            } else {
                None
            };
            ins.execute(params![
                id as i64,
                (c + 1) as i64,
                timestamp(at, micros, offset, 6),
                amount,
                status,
                is_gift,
                note,
            ])?;
        }
    }
    if large_table_rows > 0 {
        build_events(conn, &mut rng, large_table_rows)?;
    }
    conn.execute_batch("COMMIT;")?;
    Ok(())
}

const EVENT_LABELS: &[&str] = &[
    "page_view",
    "add_to_cart",
    "checkout",
    "login",
    "logout",
    "search",
    "refund_request",
    "newsletter_signup",
];

const EVENT_COMMENTS: &[&str] = &[
    "retry after timeout",
    "mobile, app v2.3",
    "élevé: priorité haute",
    "quoted \"value\"",
];

/// `events`: `n` rows of six mixed columns, for benchmarks.
fn build_events(conn: &Connection, rng: &mut Prng, n: u64) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE events (
             id INTEGER PRIMARY KEY,
             value REAL NOT NULL,
             label TEXT NOT NULL,
             occurred_at TIMESTAMP NOT NULL,
             flag BOOLEAN NOT NULL,
             comment TEXT
         );",
    )?;
    let mut ins = conn.prepare(
        "INSERT INTO events (id, value, label, occurred_at, flag, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let span = (ORDERS_TO - ORDERS_FROM) as u64;
    let mut label = String::new();
    for id in 1..=n {
        let value = rng.below(100_000_000) as f64 / 10_000.0 + 0.0001;
        label.clear();
        let _ = write!(
            label,
            "{}-{:05}",
            rng.pick(EVENT_LABELS),
            rng.below(100_000)
        );
        let at = ORDERS_FROM + rng.below(span) as i64;
        let micros = rng.below(1_000) as u32 * 1_000;
        let flag = rng.below(2) == 1;
        let comment = if rng.below(10) < 3 {
            Some(*rng.pick(EVENT_COMMENTS))
        } else {
            None
        };
        ins.execute(params![
            id as i64,
            value,
            label,
            timestamp(at, micros, 0, 3),
            flag,
            comment
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Database {
        Database::open(
            &Source::Sample {
                large_table_rows: 0,
            },
            Duration::from_secs(10),
            1_000_000,
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap()
    }

    fn df(r: &QueryResult, max: usize) -> serde_json::Value {
        let mut out = Vec::new();
        r.write_dataframe(max, &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn the_sample_has_the_documented_sizes() {
        let db = sample();
        let r = db
            .run("SELECT (SELECT count(*) FROM countries), (SELECT count(*) FROM customers), (SELECT count(*) FROM orders)")
            .unwrap();
        assert_eq!(
            df(&r, 10),
            serde_json::json!([
                [
                    "(SELECT count(*) FROM countries)",
                    "(SELECT count(*) FROM customers)",
                    "(SELECT count(*) FROM orders)"
                ],
                [COUNTRIES.len(), SAMPLE_CUSTOMERS, SAMPLE_ORDERS]
            ])
        );
    }

    #[test]
    fn the_sample_is_deterministic() {
        let a = sample().run("SELECT * FROM orders ORDER BY id").unwrap();
        let b = sample().run("SELECT * FROM orders ORDER BY id").unwrap();
        assert_eq!(df(&a, usize::MAX), df(&b, usize::MAX));
    }

    #[test]
    fn cells_are_typed_as_json() {
        let db = sample();
        let r = db
            .run("SELECT id, amount, status, is_gift, note, x'00ff' AS raw FROM orders WHERE note IS NULL ORDER BY id LIMIT 1")
            .unwrap();
        let v = df(&r, 10);
        let row = &v[1];
        assert!(row[0].is_i64());
        assert!(row[1].is_f64());
        assert!(row[2].is_string());
        assert!(row[3].is_boolean());
        assert!(row[4].is_null());
        assert_eq!(row[5], "00ff");
    }

    #[test]
    fn writes_are_refused() {
        let db = sample();
        let e = db
            .run("WITH x AS (SELECT 1) DELETE FROM orders")
            .unwrap_err();
        assert!(e.contains("read-only") || e.contains("readonly"), "{e}");
        let e = db.run("SELECT 1; SELECT 2").unwrap_err();
        assert!(e.contains("one SQL statement"), "{e}");
    }

    #[test]
    fn a_slow_query_is_stopped() {
        let db = Database::open(
            &Source::Sample {
                large_table_rows: 0,
            },
            Duration::from_millis(50),
            10,
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        let e = db
            .run("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n")
            .unwrap_err();
        assert!(e.contains("longer than"), "{e}");
        // The connection still works afterwards.
        assert!(db.run("SELECT 1").is_ok());
    }

    #[test]
    fn rows_past_the_cap_are_dropped() {
        let db = Database::open(
            &Source::Sample {
                large_table_rows: 0,
            },
            Duration::from_secs(10),
            7,
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        let r = db.run("SELECT id FROM orders").unwrap();
        assert_eq!(r.rows, 7);
        assert!(r.capped);
    }

    #[test]
    fn stats_have_the_reference_shape() {
        let r = QueryResult::new(
            vec!["t".into(), "s".into(), "n".into(), "b".into(), "z".into()],
            vec![
                Value::Text("2025-11-04T13:05:01.146+01:00".into()),
                Value::Text("ab".into()),
                Value::Int(3),
                Value::Bool(true),
                Value::Null,
                Value::Text("2025-10-24T11:03:05.196568+02:00".into()),
                Value::Text("".into()),
                Value::Real(1.5),
                Value::Bool(false),
                Value::Null,
                Value::Text("2025-11-04T12:06:01.146+00:00".into()),
                Value::Text("ab".into()),
                Value::Null,
                Value::Null,
                Value::Null,
            ],
            false,
        );
        let s: serde_json::Value = serde_json::from_str(r.stats_json()).unwrap();
        assert_eq!(
            s,
            serde_json::json!({
                "t": {"general": {"count": 3, "nulls_count": 0},
                      "temporal": {"distinct_count": 3, "distinct_approx": false,
                                   "min": "2025-10-24T11:03:05.196568+02:00",
                                   "max": "2025-11-04T12:06:01.146+00:00"}},
                "s": {"general": {"count": 3, "nulls_count": 0},
                      "string": {"distinct_count": 2, "distinct_approx": false, "empty_string_count": 1,
                                 "min_len": 0, "mean_len": 1.33, "max_len": 2}},
                "n": {"general": {"count": 2, "nulls_count": 1},
                      "numeric": {"distinct_count": 2, "min": 1.5, "max": 3, "mean": 2.25, "sum": 4.5}},
                "b": {"general": {"count": 2, "nulls_count": 1}},
                "z": {"general": {"count": 0, "nulls_count": 3}}
            })
        );
        // Key order follows the reference.
        assert!(r.stats_json().starts_with(r#"{"t":{"general":{"count":3,"nulls_count":0},"temporal":{"distinct_count":3,"distinct_approx":false,"min""#));
    }

    #[test]
    fn numeric_stats_stay_exact_for_integers() {
        let r = QueryResult::new(
            vec!["n".into()],
            vec![
                Value::Int(i64::MAX),
                Value::Int(i64::MAX - 1),
                Value::Int(1),
            ],
            false,
        );
        let s = r.stats_json();
        assert!(s.contains(&format!("\"max\":{}", i64::MAX)), "{s}");
        assert!(s.contains("\"min\":1"), "{s}");
    }

    #[test]
    fn the_large_table_has_six_mixed_columns() {
        let db = Database::open(
            &Source::Sample {
                large_table_rows: 50,
            },
            Duration::from_secs(10),
            1_000_000,
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        let r = db.run("SELECT * FROM events").unwrap();
        assert_eq!(r.rows, 50);
        assert_eq!(
            r.columns,
            ["id", "value", "label", "occurred_at", "flag", "comment"]
        );
        let v = df(&r, 1);
        assert!(v[1][4].is_boolean());
    }
}
