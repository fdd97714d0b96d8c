//! SQLite access: the database (the sample workspace or a user's file),
//! opened read-only, and one statement at a time run with a time limit and
//! a row cap.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::sample::build_sample;
use crate::values::{QueryResult, Value};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{COUNTRIES, SAMPLE_CUSTOMERS, SAMPLE_ORDERS};

    /// The sample workspace with `large_table_rows` events, a query time
    /// limit and a row cap.
    fn open(large_table_rows: u64, query_timeout: Duration, row_cap: usize) -> Database {
        let source = Source::Sample { large_table_rows };
        Database::open(&source, query_timeout, row_cap, Arc::default()).unwrap()
    }

    fn sample() -> Database {
        open(0, Duration::from_secs(10), 1_000_000)
    }

    fn df(r: &QueryResult, max: usize) -> serde_json::Value {
        serde_json::to_value(r.dataframe(max)).unwrap()
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
        let db = open(0, Duration::from_millis(50), 10);
        let e = db
            .run("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n")
            .unwrap_err();
        assert!(e.contains("longer than"), "{e}");
        // The connection still works afterwards.
        assert!(db.run("SELECT 1").is_ok());
    }

    #[test]
    fn rows_past_the_cap_are_dropped() {
        let db = open(0, Duration::from_secs(10), 7);
        let r = db.run("SELECT id FROM orders").unwrap();
        assert_eq!(r.rows, 7);
        assert!(r.capped);
    }

    #[test]
    fn the_large_table_has_six_mixed_columns() {
        let db = open(50, Duration::from_secs(10), 1_000_000);
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
