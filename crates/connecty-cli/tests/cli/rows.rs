//! Cut answers and `--all-rows`: the note on stderr, every row, the
//! batch line's `completeness`, and an answer too large for the body limit.
//! The emulator's `orders` table has 5,000 rows, more than the API's
//! default `max_rows` of 1,000.

use super::*;

const ORDERS: &str = "SELECT * FROM orders";

/// 20,000 rows of about 210 bytes: 4 MB, more than `--body-limit 1`.
const WIDE: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) \
                    SELECT x, printf('%.200c', 'x') AS pad FROM c";

/// The rows of a CSV answer (the header left out).
fn csv_rows(run: &Run) -> usize {
    run.stdout.matches("\r\n").count().saturating_sub(1)
}

#[test]
fn ask_says_how_much_is_missing_and_all_rows_gets_every_row() {
    let base = fast().base_url();
    against_both(&base, |on| {
        // No statistics: the frame is full, and nothing tells the total.
        let run = on.ask(ORDERS, &["--format", "csv"]);
        assert_eq!((run.code, csv_rows(&run)), (0, 1000), "{run:?}");
        assert_eq!(
            run.stderr,
            "note: showing 1000 rows, and there may be more (--max-rows 1000, the API's default); \
             add --all-rows for every row\n"
        );
        // With statistics the total is known.
        let run = on.ask(
            ORDERS,
            &[
                "--format",
                "csv",
                "--max-rows",
                "20",
                "--include",
                "dataframe,statistics",
            ],
        );
        assert_eq!((run.code, csv_rows(&run)), (0, 20), "{run:?}");
        assert_eq!(
            run.stderr,
            "note: showing 20 of 5000 rows (--max-rows 20); add --all-rows for every row\n"
        );
        // --all-rows: every row, and nothing to say.
        let run = on.ask(ORDERS, &["--format", "csv", "--all-rows"]);
        assert_eq!((run.code, csv_rows(&run)), (0, 5000), "{run:?}");
        assert_eq!(run.stderr, "", "{run:?}");
        // The statistics fetched to count the rows are not shown unasked.
        let run = on.ask(
            ORDERS,
            &["--format", "json", "--all-rows", "--max-rows", "100"],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let v: Value = serde_json::from_str(&run.stdout).unwrap();
        let results = v["results"].as_object().unwrap();
        assert_eq!(results.keys().collect::<Vec<_>>(), ["dataframe"], "{v}");
        assert_eq!(results["dataframe"].as_array().unwrap().len(), 5001);
        assert_eq!(run.stderr, "", "{run:?}");
        // A whole answer says nothing.
        let run = on.ask(TOP5, &["--format", "csv"]);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{run:?}");
    });
}

#[test]
fn results_once_points_at_wait_and_results_wait_takes_all_rows() {
    let base = fast().base_url();
    against_both(&base, |on| {
        let id = &on.ask_no_wait(ORDERS);
        let all = on.run(&[
            "results",
            "--dw",
            "13",
            id,
            "--wait",
            "--all-rows",
            "--format",
            "ndjson",
        ]);
        assert_eq!(all.code, 0, "{all:?}");
        assert_eq!(all.stdout.lines().count(), 5000, "{all:?}");
        assert_eq!(all.stderr, "state: COMPLETED\n", "{all:?}");
        // Once, now that it is COMPLETED: --all-rows needs --wait.
        let once = on.run(&[
            "results",
            "--dw",
            "13",
            id,
            "--max-rows",
            "10",
            "--format",
            "csv",
        ]);
        assert_eq!((once.code, csv_rows(&once)), (0, 10), "{once:?}");
        assert_eq!(
            once.stderr,
            "state: COMPLETED\nnote: showing 10 rows, and there may be more (--max-rows 10); \
             add --wait --all-rows for every row\n"
        );
        let refused = on.run(&["results", "--dw", "13", id, "--all-rows"]);
        assert_eq!(refused.code, 2, "{refused:?}");
        assert!(refused.stderr.contains("--wait"), "{refused:?}");
    });
}

#[test]
fn a_range_when_the_statistics_allow_nulls() {
    // Two rows of at most 2; a column counts 3 values and 2 nulls: the
    // answer has 3 to 5 rows, whichever way `count` is read.
    let body = r#"{"state":"COMPLETED","results":{"dataframe":[["a"],[1],[2]],"dataframe_stats":{"a":{"general":{"count":3,"nulls_count":2}}}}}"#;
    on_both_transports(|t| {
        let server = scripted_ask(200, body);
        let run = run_on(
            &server.base_url(),
            t,
            &[
                "ask",
                "--dw",
                "13",
                "how many?",
                "--max-rows",
                "2",
                "--include",
                "dataframe,statistics",
                "--format",
                "csv",
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, "a\r\n1\r\n2\r\n");
        assert_eq!(
            run.stderr,
            "note: showing 2 of 3 to 5 rows (--max-rows 2); add --all-rows for every row\n"
        );
    });
}

#[test]
fn all_rows_too_large_for_the_body_limit_is_refused_and_writes_nothing() {
    let base = fast().base_url();
    against_both(&base, |on| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("wide.csv");
        let run = on.run(&[
            "--body-limit",
            "1",
            "ask",
            "--dw",
            "13",
            WIDE,
            "--all-rows",
            "--format",
            "csv",
            "--output",
            file.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout, "");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{run:?}");
        assert!(
            lines[0].starts_with("error: all rows of question ")
                && lines[0]
                    .contains("do not fit in the body limit of 1048576 bytes: at least 20000 rows"),
            "{run:?}"
        );
        assert_eq!(
            lines[1],
            "hint: ask for fewer rows with --max-rows (without --all-rows), or raise --body-limit MIB (now 1 MiB)"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing written"
        );
    });
}

#[test]
fn batch_lines_carry_completeness_and_stderr_names_cut_answers() {
    let base = fast().base_url();
    let env = env_of(&base);
    let input = format!("{TOP5}\n{ORDERS}\nwhat is the meaning of life\n{ORDERS}\n");
    let lines = |run: &Run| -> Vec<Value> {
        run.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let args = [
        "batch",
        "--dw",
        "13",
        "-",
        "--max-rows",
        "30",
        "--include",
        "dataframe,statistics",
    ];
    let run = connecty_in(&args, &env, Some(&input), false);
    assert_eq!(run.code, 1, "{run:?}");
    let got = lines(&run);
    assert_eq!(
        got[0]["completeness"],
        serde_json::json!({"verdict": "complete", "rows": 5, "at_least": 5, "at_most": 5, "total": 5})
    );
    for i in [1, 3] {
        assert_eq!(
            got[i]["completeness"],
            serde_json::json!({"verdict": "cut", "rows": 30, "at_least": 5000, "at_most": 5000, "total": 5000}),
            "line {i}"
        );
    }
    assert!(got[2].get("completeness").is_none(), "{}", got[2]);
    let notes: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("note: "))
        .collect();
    assert_eq!(
        notes,
        [
            "note: question 2: showing 30 of 5000 rows (--max-rows 30); add --all-rows for every row",
            "note: question 4: showing 30 of 5000 rows (--max-rows 30); add --all-rows for every row",
        ],
        "{run:?}"
    );
    assert!(
        run.stderr.ends_with(
            "did not (see the \"error\" lines); 2 answers may be cut (see their notes)\n"
        ),
        "{run:?}"
    );

    // --all-rows: every answer whole, nothing on stderr but the summary;
    // statistics only when included.
    let run = connecty_in(
        &["batch", "--dw", "13", "-", "--max-rows", "30", "--all-rows"],
        &env,
        Some(&format!("{ORDERS}\n{TOP5}\n")),
        false,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "batch: all 2 questions completed\n", "{run:?}");
    let got = lines(&run);
    assert_eq!(got[0]["completeness"]["verdict"], "complete");
    assert_eq!(got[0]["completeness"]["total"], 5000);
    let results = got[0]["results"].as_object().unwrap();
    assert_eq!(results.keys().collect::<Vec<_>>(), ["dataframe"]);
    assert_eq!(results["dataframe"].as_array().unwrap().len(), 5001);
}
