//! `connecty shell`, and tables on a terminal, driven through a real pty.

use super::profiles::ConfigDir;
use super::pty::Terminal;
use super::*;

/// A terminal of `rows` x `cols` on which `connecty` talks to `base`, with
/// its config in `dir` and more environment in `env`.
struct Screen<'a> {
    base: &'a str,
    dir: &'a ConfigDir,
    env: &'a [(&'a str, &'a str)],
    rows: u16,
    cols: u16,
}

impl<'a> Screen<'a> {
    /// 24 x 100, no more environment.
    fn new(base: &'a str, dir: &'a ConfigDir) -> Self {
        Screen {
            base,
            dir,
            env: &[],
            rows: 24,
            cols: 100,
        }
    }

    /// Starts `connecty ARGS` on it.
    fn run(&self, args: &[&str]) -> Terminal {
        let mut env = env_of(self.base).to_vec();
        env.push(("CONNECTY_CONFIG_DIR", self.dir.path()));
        env.extend_from_slice(self.env);
        let mut cmd = command(args, &env);
        cmd.env_remove("COLUMNS").env("TERM", "xterm");
        Terminal::spawn(cmd, self.rows, self.cols)
    }
}

/// `connecty --transport T shell --dw 13 ARGS` on a 40 x 120 terminal.
fn shell_session(transport: &str, base: &str, dir: &ConfigDir, args: &[&str]) -> Terminal {
    let mut all = vec!["--transport", transport, "shell", "--dw", "13"];
    all.extend_from_slice(args);
    let screen = Screen {
        rows: 40,
        cols: 120,
        ..Screen::new(base, dir)
    };
    screen.run(&all)
}

/// The question id of the `or here: \results ID` line the shell prints
/// after a wait that ended without an answer.
fn shell_results_id(shown: &str) -> String {
    let id = shown
        .split("or here: \\results ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no \\results line in {shown}"))
        .to_string();
    assert!(is_uuid(&id), "{shown}");
    id
}

#[test]
fn a_shell_session_on_a_terminal() {
    let base = slow().base_url();
    on_both_transports(|t| {
        let dir = ConfigDir::new();
        let mut term = shell_session(t, &base, &dir, &[]);
        term.expect("\\help for commands, Ctrl-D to leave.");
        term.expect("connecty (dw 13)> ");
        // Meta-commands.
        term.line("\\help");
        term.expect("\\max-rows N");
        term.expect(
            "Now: dw 13, format table, include dataframe, max-rows default (1000), all-rows off.",
        );
        term.expect("connecty (dw 13)> ");
        term.line("\\format csv");
        term.expect("connecty (dw 13)> ");
        term.line("\\frobnicate");
        term.expect("unknown meta-command \\frobnicate");
        // A question answered, with the spinner while it waits.
        term.expect("connecty (dw 13)> ");
        term.line("SELECT 41 + 1 AS answer");
        let shown = term.expect("answer\n42\n");
        assert!(
            shown.contains("question "),
            "the spinner shows the question: {shown}"
        );
        term.expect("connecty (dw 13)> ");
        // A FAILED question prints its error; the shell goes on.
        term.line("what is the meaning of life");
        term.expect(" failed: the ConnectyAI emulator is not a text-to-SQL engine");
        term.expect("connecty (dw 13)> ");
        // Ctrl-C at the prompt clears the line.
        term.send("half a question");
        term.send("\x03");
        term.expect("connecty (dw 13)> ");
        // Ctrl-C while waiting stops the wait, says how to resume, and the
        // shell stays open.
        term.line(TOP5);
        term.expect("question ");
        std::thread::sleep(Duration::from_millis(300));
        term.send("\x03");
        term.expect("interrupted: question ");
        term.expect("resume with: connecty results --dw 13 ");
        let resume = term.expect("connecty (dw 13)> ");
        let id = shell_results_id(&resume);
        // ... and \results collects it.
        term.line(&format!("\\results {id}"));
        term.expect("country,orders\nUnited States,731");
        term.expect("connecty (dw 13)> ");
        // \output sends the next answer to a file.
        let file = dir.0.path().join("next.md");
        term.line("\\format markdown");
        term.expect("connecty (dw 13)> ");
        term.line(&format!("\\output {}", file.display()));
        term.expect("connecty (dw 13)> ");
        term.line("SELECT 7 AS lucky");
        term.expect(&format!("wrote {}", file.display()));
        term.expect("connecty (dw 13)> ");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "| lucky |\n|---:|\n| 7 |\n"
        );
        // Ctrl-D leaves with exit 0.
        term.send("\x04");
        let (status, screen) = term.wait();
        assert_eq!(status.code(), Some(0), "{screen}");
        assert!(!screen.contains(SECRET));
        // The history is private, and a line starting with a space stays out.
        let history = dir.0.path().join("history");
        assert_eq!(dir.mode("history"), 0o600);
        let text = std::fs::read_to_string(&history).unwrap();
        assert!(text.contains("SELECT 41 + 1 AS answer"), "{text}");
        assert!(text.contains("what is the meaning of life"), "{text}");
        assert!(
            !text.contains("half a question"),
            "Ctrl-C cleared it: {text}"
        );
    });
}

#[test]
fn shell_history_skips_lines_starting_with_a_space_and_q_leaves() {
    let base = fast().base_url();
    let dir = ConfigDir::new();
    let mut term = Screen::new(&base, &dir).run(&["shell"]);
    term.expect("no data workspace yet");
    term.expect("connecty> ");
    term.line("SELECT 1");
    term.expect("error: no data workspace yet: choose one with \\dw ID");
    term.expect("connecty> ");
    term.line("\\dw 13");
    term.expect("connecty (dw 13)> ");
    term.line(" SELECT 'private' AS p");
    term.expect("private");
    term.expect("connecty (dw 13)> ");
    term.line("\\q");
    let (status, screen) = term.wait();
    assert_eq!(status.code(), Some(0), "{screen}");
    let text = std::fs::read_to_string(dir.0.path().join("history")).unwrap();
    assert!(!text.contains("private"), "{text}");
    assert!(text.contains("\\dw 13"), "{text}");
}

#[test]
fn tables_on_a_terminal_are_fitted_and_paged() {
    let base = fast().base_url();
    let dir = ConfigDir::new();
    // Cut to the terminal's width, with a note.
    let sql = "SELECT 1 AS id, printf('%.300c', 'x') AS long_text, 'short' AS tail";
    let mut term = Screen {
        cols: 50,
        ..Screen::new(&base, &dir)
    }
    .run(&["ask", "--dw", "13", sql, "--no-pager"]);
    term.expect("note: long cells were cut to fit 50 columns");
    let (status, all) = term.wait();
    assert_eq!(status.code(), Some(0), "{all}");
    let screen = term.screen();
    for line in screen.lines().filter(|l| l.contains('|')) {
        assert!(
            line.trim_end_matches('\r').chars().count() <= 50,
            "{line:?}"
        );
    }
    // Taller than the screen: through $CONNECTY_PAGER (which wins over
    // $PAGER); --no-pager turns it off; short tables never page.
    let tall = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30) SELECT x FROM c";
    let pager = [("CONNECTY_PAGER", "sed 's/^/PAGED:/'"), ("PAGER", "false")];
    let paged = Screen {
        env: &pager,
        rows: 10,
        cols: 80,
        ..Screen::new(&base, &dir)
    };
    for t in TRANSPORTS {
        let mut term = paged.run(&["--transport", t, "ask", "--dw", "13", tall]);
        term.expect("PAGED: x\nPAGED:--\nPAGED: 1\n");
        term.expect("PAGED:(30 rows)");
        assert_eq!(term.wait().0.code(), Some(0));
    }
    let mut term = paged.run(&["ask", "--dw", "13", tall, "--no-pager"]);
    let (status, screen) = term.wait();
    assert_eq!(status.code(), Some(0), "{screen}");
    assert!(
        screen.contains("(30 rows)") && !screen.contains("PAGED:"),
        "{screen}"
    );
    let mut term = paged.run(&["ask", "--dw", "13", "SELECT 1 AS one"]);
    let (_, screen) = term.wait();
    assert!(
        screen.contains("(1 row)") && !screen.contains("PAGED:"),
        "{screen}"
    );
}

#[test]
fn shell_says_when_an_answer_may_be_cut_and_all_rows_gets_every_row() {
    let base = fast().base_url();
    on_both_transports(|t| {
        let dir = ConfigDir::new();
        let mut term = shell_session(t, &base, &dir, &[]);
        term.expect("connecty (dw 13)> ");
        term.line("\\format csv");
        term.expect("connecty (dw 13)> ");
        term.line("\\max-rows 5");
        term.expect("connecty (dw 13)> ");
        let sql = "SELECT id FROM orders WHERE id <= 12 ORDER BY id";
        term.line(sql);
        let shown = term.expect(
            "note: showing 5 rows, and there may be more (\\max-rows 5); type \\all-rows on for every row",
        );
        assert!(shown.contains("id\n1\n2\n3\n4\n5\n"), "{shown}");
        term.expect("connecty (dw 13)> ");
        term.line("\\all-rows on");
        term.expect("connecty (dw 13)> ");
        term.line("\\help");
        term.expect("max-rows 5, all-rows on.");
        term.expect("connecty (dw 13)> ");
        term.line(sql);
        let shown = term.expect("connecty (dw 13)> ");
        assert!(
            shown.contains("id\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"),
            "{shown}"
        );
        assert!(!shown.contains("note:"), "{shown}");
        term.line("\\all-rows maybe");
        term.expect("error: \\all-rows takes on or off, not \"maybe\"");
        term.expect("connecty (dw 13)> ");
        term.send("\x04");
        let (status, screen) = term.wait();
        assert_eq!(status.code(), Some(0), "{screen}");
    });
}

#[test]
fn binary_formats_refuse_a_terminal_before_asking() {
    let base = fast().base_url();
    let dir = ConfigDir::new();
    for (t, format) in TRANSPORTS
        .iter()
        .flat_map(|t| [(t, "parquet"), (t, "arrow")])
    {
        let mut term = Screen::new(&base, &dir).run(&[
            "--transport",
            t,
            "ask",
            "--dw",
            "13",
            TOP5,
            "--format",
            format,
        ]);
        term.expect(&format!(
            "error: --format {format} is binary and stdout is a terminal"
        ));
        term.expect("hint: write it to a file with --output FILE");
        let (status, screen) = term.wait();
        assert_eq!(status.code(), Some(2), "{screen}");
    }
    // In the shell: said, and the session goes on; with \output it works.
    let mut term = Screen::new(&base, &dir).run(&["shell", "--dw", "13"]);
    term.expect("connecty (dw 13)> ");
    term.line("\\format parquet");
    term.expect("connecty (dw 13)> ");
    term.line(TOP5);
    term.expect("is binary and stdout is a terminal");
    term.expect("(in the shell: \\output FILE)");
    term.expect("connecty (dw 13)> ");
    let file = dir.0.path().join("top5.parquet");
    term.line(&format!("\\output {}", file.display()));
    term.expect("connecty (dw 13)> ");
    term.line(TOP5);
    term.expect(&format!("wrote {}", file.display()));
    term.expect("connecty (dw 13)> ");
    term.send("\x04");
    assert_eq!(term.wait().0.code(), Some(0));
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
}

#[test]
fn a_shell_question_past_its_deadline_prints_the_error_and_the_session_goes_on() {
    let base = slow().base_url();
    on_both_transports(|t| {
        let dir = ConfigDir::new();
        let mut term = shell_session(t, &base, &dir, &["--timeout", "0.3"]);
        term.expect("connecty (dw 13)> ");
        // \include changes what each answer holds: the SQL above the table.
        term.line("\\include dataframe,sqlquery");
        term.expect("connecty (dw 13)> ");
        // The question takes 1.5 s: past the deadline, the error names the
        // question and how to collect it; an \output file is not written.
        let file = dir.0.path().join("late.csv");
        term.line(&format!("\\output {}", file.display()));
        term.expect("connecty (dw 13)> ");
        term.line(TOP5);
        term.expect("error: ");
        term.expect("resume with: connecty results --dw 13 ");
        term.expect(&format!("{} was not written", file.display()));
        let shown = term.expect("connecty (dw 13)> ");
        let id = shell_results_id(&shown);
        assert!(!file.exists(), "{shown}");
        // The session goes on: the same deadline, but the question is done
        // server-side by the time \results is typed.
        std::thread::sleep(Duration::from_millis(1600));
        term.line(&format!("\\results {id}"));
        term.expect("SELECT");
        term.expect("United States");
        term.expect("(5 rows)");
        term.expect("connecty (dw 13)> ");
        term.send("\x04");
        let (status, screen) = term.wait();
        assert_eq!(status.code(), Some(0), "{screen}");
    });
}
