//! The sample workspace: a small shop (`countries`, `customers`, `orders`)
//! and an optional `events` table, generated from a fixed seed with a
//! deterministic PRNG, so the data is the same on every run and machine.

use std::fmt::Write as _;

use chrono::{FixedOffset, TimeZone as _, Utc};
use rusqlite::{Connection, params};

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
pub(crate) const COUNTRIES: &[(&str, &str, &str, i32, u32)] = &[
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
pub(crate) fn build_sample(conn: &Connection, large_table_rows: u64) -> rusqlite::Result<()> {
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
