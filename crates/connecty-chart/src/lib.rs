//! # connecty-chart
//!
//! Charts of a ConnectyAI answer, picked by one rule and drawn either as
//! terminal text (Unicode blocks and braille) or as an SVG file.
//!
//! **What it is for:** [`Chart::from_batch`] takes the answer's dataframe
//! as the Arrow batch connecty-arrow types it
//! ([`connecty_arrow::to_record_batch`]), picks the chart from the column
//! types ([`rule`], documented case by case there), and reads the columns
//! it needs; [`Chart::to_text`] draws it in a given width and height, with
//! colour only when asked; [`Chart::write_svg`] writes it as SVG. The
//! `connecty` CLI (`--format chart`, `--format svg`) is one caller; the
//! MCP server and the Python package can be others.
//!
//! **What it is not:** a plotting library. It draws the few charts the rule
//! picks (bars, lines, points, a histogram, one big number), with honest
//! axes, and nothing else.
//!
//! ```
//! use connecty_chart::{Chart, Outcome, Request, TextOptions};
//! use connecty_proto::DataFrame;
//!
//! let df = DataFrame::from_json(r#"[["country","orders"],["Poland",120],["Spain",60]]"#)?;
//! let batch = connecty_arrow::to_record_batch(&df, None)?;
//! let Outcome::Chart(chart) = Chart::from_batch(&batch, None, &Request::default(), Some("orders by country"))? else {
//!     panic!("one text and one numeric column make a bar chart");
//! };
//! let text = chart.to_text(&TextOptions { width: 40, height: None, colour: false })?;
//! assert_eq!(text, "\
//! orders by country
//! country orders
//! Poland  │████████████████▎ 120
//! Spain   │████████▏ 60
//!         └┬─────────────┬────────────┬
//!          0            100          200
//! ");
//!
//! let mut svg = Vec::new();
//! chart.write_svg(&mut svg)?;
//! assert_eq!(String::from_utf8(svg)?.matches("<rect class=\"bar\"").count(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Honest axes
//!
//! - Bars and histograms start at 0; ticks are round numbers (1, 2 or 5
//!   times a power of ten) with K, M or B units where they help.
//! - A null is a gap (no bar, a break in the line), never a zero.
//! - A cell that is not a number (text in a mixed column, `NaN`, an
//!   infinity, a number beyond `f64`) is counted in [`Chart::skipped`] and
//!   not drawn.
//! - A line of many points is downsampled keeping each pixel column's
//!   minimum and maximum ([`canvas::downsample`]): no peak is lost.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod axis;
pub mod canvas;
mod cells;
pub mod data;
mod model;
pub mod rule;
mod svg;
mod text;

pub use model::{Across, Body, Chart, MAX_BINS, Outcome, Series, Skipped, histogram};
pub use rule::{Kind, NoChart, Request, Role, UsageError, decide};
pub use text::{MIN_HEIGHT, MIN_WIDTH, TextOptions, TooSmall};
