//! `--format chart` and `--format svg`: the CLI's side of connecty-chart.
//!
//! connecty-chart picks and draws the chart; this file decides only where
//! and how big:
//!
//! | stdout | width | height | colour |
//! |---|---|---|---|
//! | a terminal | `--width`, else `COLUMNS`, else the terminal's | `LINES`, else the terminal's, less one | unless `NO_COLOR` is set |
//! | a pipe, a file, `--output FILE` | `--width`, else 80 | bars one a line; other charts 20 lines | never |
//!
//! What is said on stderr, each on one line: why no chart was drawn (the
//! table is printed instead, exit 0), cells not drawn because they are not
//! numbers, and that a cut answer's chart shows only the rows received. A
//! `--x`, `--y` or `--chart` that does not fit the answer is exit 2 with
//! the columns listed.

use std::io::{self, IsTerminal};

use connecty_chart::{Chart, Outcome, TextOptions};
use connecty_proto::{DataFrame, QuestionResults, Statistics};

use crate::exit::Failure;
use crate::format::{self, Format, TableOptions};
use crate::output::{self, Output};

/// The width of a chart that is not on a terminal, without `--width`.
pub const PIPED_WIDTH: usize = 80;

/// Whether `format` draws a chart.
pub fn is_chart(format: Format) -> bool {
    matches!(format, Format::Chart | Format::Svg)
}

/// The stderr line for a chart of a cut answer, if `format` draws one.
pub fn cut_note(format: Format, rows: usize) -> Option<String> {
    is_chart(format).then(|| format!("note: the chart shows only the {rows} rows received"))
}

/// The size and colour of a chart in text, from the table in the
/// [module](self) doc; `env` reads the environment.
pub fn text_options(
    on_terminal: bool,
    width_flag: Option<usize>,
    env: &dyn Fn(&str) -> Option<String>,
) -> TextOptions {
    if !on_terminal {
        return TextOptions {
            width: width_flag.unwrap_or(PIPED_WIDTH),
            height: None,
            colour: false,
        };
    }
    let lines = env("LINES")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .or_else(|| terminal_size::terminal_size().map(|(_, h)| usize::from(h.0)));
    TextOptions {
        width: width_flag.unwrap_or_else(output::terminal_width),
        // One line is left for the prompt.
        height: Some(lines.map_or(24, |l| l.saturating_sub(1))),
        colour: env("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Prints (or writes to `--output`) the chart of a question's dataframe,
/// or the table with a line on stderr saying why there is no chart.
pub fn print_chart(
    output: &Output<'_>,
    results: &QuestionResults,
    df: &DataFrame,
    statistics: Option<&Statistics>,
) -> Result<(), Failure> {
    let batch = connecty_arrow::to_record_batch(df, statistics)
        .map_err(|e| Failure::other(format!("could not read the dataframe: {e}")))?;
    let title = results
        .response_summary
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or(output.chart.question);
    let request = output.chart.request();
    let outcome = Chart::from_batch(&batch, statistics, &request, title)
        .map_err(|e| Failure::usage(e.message))?;
    let chart = match outcome {
        Outcome::Chart(c) => c,
        Outcome::NoChart(why) => return table_instead(output, results, &why.to_string()),
    };
    for s in &chart.skipped {
        let (what, verb) = if s.cells == 1 {
            ("cell", "is not a number and is")
        } else {
            ("cells", "are not numbers and are")
        };
        eprintln!(
            "note: {} {what} in column {:?} {verb} not drawn",
            s.cells, s.column
        );
    }
    if output.format == Format::Svg {
        return output.emit(|out, _| chart.write_svg(out));
    }
    let on_terminal = output.file.is_none() && io::stdout().is_terminal();
    let env = |k: &str| std::env::var(k).ok();
    let width = output.chart.args.and_then(|a| a.width);
    match chart.to_text(&text_options(on_terminal, width, &env)) {
        Ok(text) => output.emit(|out, _| out.write_all(text.as_bytes())),
        Err(small) => table_instead(output, results, &small.to_string()),
    }
}

/// The table, after a line on stderr saying why no chart was drawn.
fn table_instead(output: &Output<'_>, results: &QuestionResults, why: &str) -> Result<(), Failure> {
    eprintln!("no chart: {why}; showing the table");
    output.emit(|out, width| {
        format::write_table(out, results, &TableOptions { width })?;
        out.flush()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_and_colour_follow_the_terminal() {
        let env = connecty_settings::env_from;
        let piped = text_options(false, None, &env(&[("COLUMNS", "120"), ("LINES", "50")]));
        assert_eq!(
            piped,
            TextOptions {
                width: 80,
                height: None,
                colour: false
            }
        );
        assert_eq!(text_options(false, Some(72), &env(&[])).width, 72);
        let tty = text_options(true, None, &env(&[("COLUMNS", "120"), ("LINES", "50")]));
        assert_eq!((tty.height, tty.colour), (Some(49), true));
        let tty = text_options(true, Some(60), &env(&[("LINES", "10"), ("NO_COLOR", "1")]));
        assert_eq!((tty.width, tty.height, tty.colour), (60, Some(9), false));
        assert!(text_options(true, None, &env(&[("NO_COLOR", "")])).colour);
    }
}
