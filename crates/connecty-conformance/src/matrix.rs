//! Running every fixture against every adapter, and printing the result.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connecty_testkit::Fixture;

use crate::adapter::{Adapter, Failure};

/// The result of one fixture on one adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cell {
    /// The run conformed.
    Pass,
    /// It did not.
    Fail(Failure),
}

/// Fixtures (rows) by adapters (columns).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Matrix {
    /// Fixture names, in order.
    pub fixtures: Vec<String>,
    /// Adapter names, in order.
    pub adapters: Vec<String>,
    /// `cells[fixture][adapter]`.
    pub cells: Vec<Vec<Cell>>,
    /// How long the whole run took.
    pub elapsed: Duration,
}

/// Runs every fixture on every adapter, `threads` runs at a time (each run
/// has its own server and client, so runs do not share anything).
pub fn run(fixtures: &[Fixture], adapters: &[Box<dyn Adapter>], threads: usize) -> Matrix {
    let start = Instant::now();
    let jobs: Vec<(usize, usize)> = (0..fixtures.len())
        .flat_map(|f| (0..adapters.len()).map(move |a| (f, a)))
        .collect();
    let results: Mutex<Vec<Vec<Option<Cell>>>> =
        Mutex::new(vec![vec![None; adapters.len()]; fixtures.len()]);
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(f, a)) = jobs.get(i) else { break };
                    let cell = run_one(&fixtures[f], adapters[a].as_ref());
                    results.lock().unwrap_or_else(|e| e.into_inner())[f][a] = Some(cell);
                }
            });
        }
    });
    let cells = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|c| c.unwrap_or_else(|| Cell::Fail(Failure::setup("not run"))))
                .collect()
        })
        .collect();
    Matrix {
        fixtures: fixtures.iter().map(|f| f.name.clone()).collect(),
        adapters: adapters.iter().map(|a| a.name().to_string()).collect(),
        cells,
        elapsed: start.elapsed(),
    }
}

fn run_one(fixture: &Fixture, adapter: &dyn Adapter) -> Cell {
    match catch_unwind(AssertUnwindSafe(|| adapter.run(fixture))) {
        Ok(Ok(())) => Cell::Pass,
        Ok(Err(f)) => Cell::Fail(f),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Cell::Fail(Failure::setup(format!("panicked: {what}")))
        }
    }
}

impl Matrix {
    /// Whether every cell passed.
    pub fn all_passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// Every failure: fixture, adapter, failure.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str, &Failure)> + '_ {
        self.cells.iter().enumerate().flat_map(move |(f, row)| {
            row.iter().enumerate().filter_map(move |(a, c)| match c {
                Cell::Fail(failure) => Some((
                    self.fixtures[f].as_str(),
                    self.adapters[a].as_str(),
                    failure,
                )),
                Cell::Pass => None,
            })
        })
    }

    /// The matrix as text: a row per fixture, a column per adapter, a
    /// summary line, then each failure's first difference.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let width = self
            .fixtures
            .iter()
            .map(String::len)
            .chain(std::iter::once("fixture".len()))
            .max()
            .unwrap_or(7);
        let cols: Vec<usize> = self.adapters.iter().map(|a| a.len().max(4)).collect();
        let _ = write!(out, "{:<width$}", "fixture");
        for (a, w) in self.adapters.iter().zip(&cols) {
            let _ = write!(out, "  {a:<w$}");
        }
        out.push('\n');
        let _ = write!(out, "{}", "-".repeat(width));
        for w in &cols {
            let _ = write!(out, "  {}", "-".repeat(*w));
        }
        out.push('\n');
        for (name, row) in self.fixtures.iter().zip(&self.cells) {
            let _ = write!(out, "{name:<width$}");
            for (cell, w) in row.iter().zip(&cols) {
                let mark = match cell {
                    Cell::Pass => "PASS",
                    Cell::Fail(_) => "FAIL",
                };
                let _ = write!(out, "  {mark:<w$}");
            }
            out.push('\n');
        }
        let runs = self.fixtures.len() * self.adapters.len();
        let failed = self.failures().count();
        let passing_rows = self
            .cells
            .iter()
            .filter(|row| row.iter().all(|c| *c == Cell::Pass))
            .count();
        let _ = writeln!(
            out,
            "\n{passing_rows} of {} fixtures pass on all {} adapters ({} runs, {failed} failed) in {:.1}s",
            self.fixtures.len(),
            self.adapters.len(),
            runs,
            self.elapsed.as_secs_f64()
        );
        if failed > 0 {
            let _ = writeln!(out, "\nFailures (first difference of each):");
            for (fixture, adapter, failure) in self.failures() {
                let _ = writeln!(out, "\n{fixture} on {adapter}:\n  {}", failure.first());
                let more = failure.problems.len().saturating_sub(1);
                if more > 0 {
                    let _ = writeln!(out, "  (and {more} more problem(s))");
                }
            }
        }
        out
    }
}
