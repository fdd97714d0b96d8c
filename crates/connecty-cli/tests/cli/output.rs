//! `--format markdown` and `--output FILE`.

use super::profiles::ConfigDir;
use super::*;

/// Splits one Markdown table row into its cells, undoing
/// `escape_markdown_cell`.
fn markdown_cells(row: &str) -> Vec<String> {
    let inner = row
        .strip_prefix("| ")
        .and_then(|r| r.strip_suffix(" |"))
        .unwrap_or_else(|| panic!("not a table row: {row:?}"));
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => cells.last_mut().unwrap().push(n),
                None => panic!("a lone backslash ends {row:?}"),
            },
            '|' => {
                let cell = cells.last_mut().unwrap();
                assert!(cell.ends_with(' '), "unescaped pipe inside a cell: {row:?}");
                cell.pop();
                assert_eq!(chars.next(), Some(' '), "{row:?}");
                cells.push(String::new());
            }
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells
        .into_iter()
        .map(|c| {
            c.replace("<br>", "\n")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn markdown_is_a_github_table_that_parses_back() {
    let base = fast().base_url();
    let sql = "SELECT 'a|b' AS \"pi|pe\", 'one' || char(10) || 'two' AS nl, NULL AS n, \
               1234567890123 AS big, '<br> & \\|' AS html, '' AS empty, 2.5 AS f";
    against_both(&base, |on| {
        let md = on.ask(sql, &["--format", "markdown"]);
        assert_eq!(md.code, 0, "{md:?}");
        let json = on.ask(sql, &["--format", "json"]);
        let v: Value = serde_json::from_str(&json.stdout).unwrap();
        let df = v["results"]["dataframe"].as_array().unwrap();
        let lines: Vec<&str> = md.stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{md:?}");
        assert_eq!(lines[1], "|---|---|---|---:|---|---|---:|", "{md:?}");
        let text = |v: &Value| match v {
            Value::Null => "NULL".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let header: Vec<String> = df[0].as_array().unwrap().iter().map(text).collect();
        assert_eq!(markdown_cells(lines[0]), header);
        let row: Vec<String> = df[1].as_array().unwrap().iter().map(text).collect();
        assert_eq!(markdown_cells(lines[2]), row, "{md:?}");
        assert_eq!(row[0], "a|b");
        assert_eq!(row[1], "one\ntwo");
    });
}

#[test]
fn output_is_replaced_only_when_the_question_completes() {
    let (fast_base, slow_base) = (fast().base_url(), slow().base_url());
    on_both_transports(|t| {
        let fast = On {
            base: &fast_base,
            transport: t,
        };
        let slow = On {
            base: &slow_base,
            transport: t,
        };
        let dir = ConfigDir::new();
        let file = dir.0.path().join("answer.csv");
        let file_arg = file.to_str().unwrap();
        std::fs::write(&file, "old contents\n").unwrap();
        let untouched = |run: &Run| {
            assert_eq!(
                std::fs::read_to_string(&file).unwrap(),
                "old contents\n",
                "{run:?}"
            );
            assert_eq!(dir.entries(), ["answer.csv"], "{run:?}");
            assert!(run.stdout.is_empty(), "{run:?}");
        };
        // A FAILED question.
        let run = fast.ask(
            "what is the meaning of life",
            &["--format", "csv", "--output", file_arg],
        );
        assert_eq!(run.code, 4, "{run:?}");
        untouched(&run);
        // A deadline.
        let run = slow.ask(TOP5, &["--timeout", "0.3", "-o", file_arg]);
        assert_eq!(run.code, 5, "{run:?}");
        untouched(&run);
        // Ctrl-C while waiting.
        let run = interrupted_run(&[
            "--transport",
            t,
            "ask",
            "--dw",
            "13",
            TOP5,
            "--output",
            file_arg,
        ]);
        assert_eq!(run.code, 130, "{run:?}");
        assert!(
            run.stderr
                .contains("resume with: connecty results --dw 13 "),
            "{run:?}"
        );
        untouched(&run);
        // `results` on a question still running leaves it too.
        let id = slow.ask_no_wait(TOP5);
        let run = slow.run(&["results", "--dw", "13", &id, "--output", file_arg]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains("answer.csv was not written"), "{run:?}");
        untouched(&run);
        // A completed question replaces it, and nothing goes to stdout.
        let run = fast.ask(TOP5, &["--format", "csv", "--output", file_arg]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(
            std::fs::read_to_string(&file)
                .unwrap()
                .starts_with("country,orders\r\n")
        );
        assert_eq!(dir.entries(), ["answer.csv"]);
        // Every text format goes to a file the same way.
        for format in ["table", "json", "ndjson", "markdown"] {
            let run = fast.ask(TOP5, &["--format", format, "-o", file_arg]);
            assert_eq!(run.code, 0, "{format}: {run:?}");
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(text.contains("United States"), "{format}: {text}");
        }
        // A directory that does not exist is refused before asking.
        let missing = dir.0.path().join("no/such/dir/out.csv");
        let run = fast.ask(TOP5, &["--output", missing.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.starts_with("error: cannot write --output "),
            "{run:?}"
        );
    });
}

#[test]
fn piped_tables_are_never_cut() {
    let base = fast().base_url();
    let sql = "SELECT 1 AS id, printf('%.300c', 'x') AS long_text, 'short' AS tail";
    let env = env_of(&base);
    let mut env = env.to_vec();
    env.push(("COLUMNS", "50"));
    let run = connecty(&["ask", "--dw", "13", sql], &env);
    assert_eq!(run.code, 0, "{run:?}");
    let row = run.stdout.lines().nth(2).unwrap();
    assert!(
        row.contains(&"x".repeat(300)) && row.ends_with("| short"),
        "{run:?}"
    );
    assert!(!run.stdout.contains("note:"), "{run:?}");
}

#[test]
fn a_body_over_the_limit_names_both_ways_out() {
    let base = fast().base_url();
    let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) \
               SELECT printf('%.100c', 'x') AS filler FROM c";
    against_both(&base, |on| {
        let run = on.run(&[
            "--body-limit",
            "1",
            "ask",
            "--dw",
            "13",
            sql,
            "--max-rows",
            "20000",
        ]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr
                .contains("hint: ask for fewer rows with --max-rows, or raise --body-limit"),
            "{run:?}"
        );
        let run = on.run(&[
            "--body-limit",
            "8",
            "ask",
            "--dw",
            "13",
            sql,
            "--max-rows",
            "20000",
            "--format",
            "csv",
        ]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout.lines().count(), 20001);
    });
}
