//! `--format chart` and `--format svg` end to end against the emulator:
//! golden charts of its sample questions, the table and a line on stderr
//! when no chart fits, exit 2 for a column that does not exist, SVG files
//! parsed back, and no escape codes unless on a terminal without NO_COLOR.
//!
//! The goldens in `goldens/` were checked by eye once; to write them again
//! after a deliberate change, run with `CONNECTY_UPDATE_GOLDENS=1` and look
//! at the diff.

use super::*;

/// The emulator's sample questions that chart, and two SQL answers (a
/// histogram and a single number), drawn 72 columns wide.
const GOLDENS: &[(&str, &str, &[&str])] = &[
    ("top5_countries", TOP5, &[]),
    (
        "orders_each_month",
        "how many orders were placed each month",
        &[],
    ),
    (
        "orders_each_month_y_orders",
        "how many orders were placed each month",
        &["--y", "orders"],
    ),
    (
        "orders_by_status",
        "what is the number of orders by status",
        &[],
    ),
    (
        "order_amounts",
        "SELECT amount FROM orders",
        &["--all-rows"],
    ),
    ("order_count", "SELECT COUNT(*) AS orders FROM orders", &[]),
];

fn chart(base: &str, question: &str, extra: &[&str]) -> Run {
    let mut args = vec!["ask", "--dw", "13", question, "--format", "chart"];
    args.extend_from_slice(extra);
    run_on(base, "ureq", &args)
}

#[test]
fn the_sample_questions_draw_their_golden_charts() {
    let base = fast().base_url();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/goldens");
    let update = std::env::var_os("CONNECTY_UPDATE_GOLDENS").is_some();
    for (name, question, extra) in GOLDENS {
        let mut args = vec!["--width", "72"];
        args.extend_from_slice(extra);
        let run = chart(&base, question, &args);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert_eq!(run.stderr, "", "{name}: {run:?}");
        assert!(!run.stdout.contains('\x1b'), "piped: no escape codes");
        assert!(
            run.stdout.lines().all(|l| l.chars().count() <= 72),
            "{name}: {run:?}"
        );
        let path = dir.join(format!("{name}.txt"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &run.stdout).unwrap();
            continue;
        }
        let golden =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(run.stdout, golden, "{name} differs from {}", path.display());
    }
}

#[test]
fn piped_charts_are_80_columns_by_default_whatever_columns_says() {
    let base = fast().base_url();
    let env = env_of(&base);
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.push(("COLUMNS", "200"));
    let run = connecty(&["ask", "--dw", "13", TOP5, "--format", "chart"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    let widest = run.stdout.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 80 && widest > 72, "{run:?}");
    assert!(!run.stdout.contains('\x1b'));
}

#[test]
fn a_column_that_does_not_exist_is_exit_2_naming_the_columns() {
    let base = fast().base_url();
    for extra in [
        &["--y", "profit"][..],
        &["--x", "continent"],
        &["--y", "country"],
    ] {
        let run = chart(&base, TOP5, extra);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(
            run.stderr
                .contains("the columns are: country (text), orders (number)"),
            "{run:?}"
        );
    }
    let run = chart(&base, TOP5, &["--chart", "line", "--x", "country"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("a line chart needs --x to be time or number, and \"country\" is text"),
        "{run:?}"
    );
    let run = chart(&base, TOP5, &["--chart", "pie"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("bar, line, hist or scatter"), "{run:?}");
}

#[test]
fn no_chart_is_the_table_and_a_line_on_stderr_exit_0() {
    let base = fast().base_url();
    // An empty answer.
    let run = chart(&base, "SELECT 1 AS n WHERE 0", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stderr,
        "no chart: the answer has no rows; showing the table\n"
    );
    assert!(run.stdout.contains("(0 rows)"), "{run:?}");
    // No numbers.
    let run = chart(&base, "SELECT name FROM countries", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stderr,
        "no chart: no column holds numbers; showing the table\n"
    );
    // More than 50 bars.
    let run = chart(
        &base,
        "SELECT id, amount FROM orders LIMIT 60",
        &["--x", "id", "--chart", "bar"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stderr,
        "no chart: 60 bars are more than 50; showing the table\n"
    );
    assert!(run.stdout.contains("(60 rows)"), "{run:?}");
}

#[test]
fn a_tiny_or_zero_width_is_the_table_and_a_line_on_stderr() {
    let base = fast().base_url();
    for width in ["0", "1", "12"] {
        let run = chart(&base, TOP5, &["--width", width]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            run.stderr,
            format!(
                "no chart: the chart needs 30×8 characters and has {width}×20; showing the table\n"
            ),
        );
        assert!(run.stdout.contains("United States  |    731"), "{run:?}");
    }
}

#[test]
fn cells_that_are_not_numbers_are_counted_on_stderr() {
    let base = fast().base_url();
    let sql = "SELECT 'a' AS k, 1 AS v UNION ALL SELECT 'b', 'NaN' UNION ALL SELECT 'c', 'Infinity' \
               UNION ALL SELECT 'd', NULL UNION ALL SELECT 'e', 3";
    let run = chart(&base, sql, &["--width", "40"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stderr,
        "note: 2 cells in column \"v\" are not numbers and are not drawn\n"
    );
    let drawn = run.stdout.lines().filter(|l| l.contains('█')).count();
    assert_eq!(drawn, 2, "only 1 and 3 are bars: {run:?}");
}

#[test]
fn a_cut_answer_says_the_chart_shows_only_the_rows_received() {
    let base = fast().base_url();
    let run = chart(&base, "SELECT amount FROM orders", &["--max-rows", "20"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .ends_with("note: the chart shows only the 20 rows received\n"),
        "{run:?}"
    );
}

#[test]
fn svg_goes_to_an_output_file_with_one_labelled_bar_per_row() {
    let base = fast().base_url();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("top5.svg");
    let file = path.to_str().unwrap();
    let run = run_on(
        &base,
        "ureq",
        &[
            "ask", "--dw", "13", TOP5, "--format", "svg", "--output", file,
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    let svg = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let bars: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("bar"))
        .filter_map(|n| n.children().find(|c| c.has_tag_name("title"))?.text())
        .collect();
    assert_eq!(
        bars,
        [
            "United States: 731",
            "Germany: 548",
            "United Kingdom: 406",
            "Poland: 302",
            "France: 301"
        ]
    );
    let title = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("title"))
        .and_then(|n| n.text());
    assert_eq!(title, Some(TOP5));
    // A bad column leaves the file as it was.
    std::fs::write(&path, "before").unwrap();
    let run = run_on(
        &base,
        "ureq",
        &[
            "ask", "--dw", "13", TOP5, "--format", "svg", "--output", file, "--y", "nope",
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "before");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[cfg(unix)]
#[test]
fn colour_only_on_a_terminal_without_no_color() {
    use super::pty::Terminal;
    let base = fast().base_url();
    let env = env_of(&base);
    for (no_color, coloured) in [(None, true), (Some("1"), false)] {
        let mut env: Vec<(&str, &str)> = env.to_vec();
        if let Some(v) = no_color {
            env.push(("NO_COLOR", v));
        }
        let mut cmd = command(&["ask", "--dw", "13", TOP5, "--format", "chart"], &env);
        cmd.env_remove("COLUMNS")
            .env_remove("LINES")
            .env("TERM", "xterm");
        let mut term = Terminal::spawn(cmd, 30, 90);
        let (status, screen) = term.wait();
        assert_eq!(status.code(), Some(0), "{screen}");
        assert!(screen.contains("United States  │███"), "{screen}");
        let raw = String::from_utf8_lossy(&term.raw()).into_owned();
        assert_eq!(
            raw.contains("\x1b[34m███"),
            coloured,
            "NO_COLOR {no_color:?}: {raw:?}"
        );
        // The terminal's width: 90 columns.
        let widest = screen
            .lines()
            .filter(|l| l.contains('│') || l.contains('└'))
            .map(|l| l.chars().count())
            .max()
            .unwrap();
        assert!(widest > 80 && widest <= 90, "{screen}");
    }
}

#[cfg(unix)]
#[test]
fn a_tiny_terminal_gets_the_table_and_a_line_on_stderr() {
    use super::pty::Terminal;
    let base = fast().base_url();
    let env = env_of(&base);
    let env: Vec<(&str, &str)> = env.to_vec();
    for (columns, lines, why) in [("12", "40", "has 12×39"), ("100", "6", "has 100×5")] {
        let mut cmd = command(&["ask", "--dw", "13", TOP5, "--format", "chart"], &env);
        cmd.env("COLUMNS", columns)
            .env("LINES", lines)
            .env("TERM", "xterm");
        let mut term = Terminal::spawn(cmd, 40, 100);
        let (status, screen) = term.wait();
        assert_eq!(status.code(), Some(0), "{screen}");
        assert!(
            screen.contains("no chart: the chart needs") && screen.contains(why),
            "{screen}"
        );
        assert!(screen.contains("United"), "the table: {screen}");
        assert!(!screen.contains('│'), "no chart: {screen}");
    }
}

#[test]
fn results_draws_the_same_chart_titled_by_the_summary() {
    let base = fast().base_url();
    let id = run_on(&base, "ureq", &["ask", "--dw", "13", TOP5, "--no-wait"]);
    assert_eq!(id.code, 0, "{id:?}");
    let id = id.stdout.trim();
    let args = [
        "results", "--dw", "13", id, "--wait", "--format", "chart", "--width", "72",
    ];
    let run = run_on(&base, "ureq", &args);
    assert_eq!(run.code, 0, "{run:?}");
    let golden = include_str!("goldens/top5_countries.txt");
    // No question to title it: the chart alone.
    let (_, chart) = golden.split_once('\n').unwrap();
    assert_eq!(run.stdout, chart, "{run:?}");
    // With the summary included, the summary is the title.
    let mut args = args.to_vec();
    args.extend(["--include", "dataframe,summary"]);
    let run = run_on(&base, "ureq", &args);
    assert_eq!(run.code, 0, "{run:?}");
    let (title, rest) = run.stdout.split_once('\n').unwrap();
    assert!(title.starts_with("Emulator: 5 rows"), "{run:?}");
    assert_eq!(rest, chart);
}
