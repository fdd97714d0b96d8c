//! The terminal renderer: bars of eighth blocks, lines and points of
//! braille dots (or one marker a character when several series share a
//! screen without colour), histograms of vertical eighth blocks, and a big
//! number. Fits a given width and height; colour only when asked.

use std::fmt;

use unicode_width::UnicodeWidthStr;

use crate::cells::{clean, fit, glyph, pad, place};

use crate::axis::{Axis, extent, full_number, short_number};
use crate::canvas::{Canvas, downsample};
use crate::data::time_label;
use crate::model::{Across, Body, Chart, Series};

/// The narrowest chart drawn; narrower is [`TooSmall`].
pub const MIN_WIDTH: usize = 30;

/// The lowest chart drawn, in lines; lower is [`TooSmall`].
pub const MIN_HEIGHT: usize = 8;

/// The height of a line chart or histogram when none is given.
const DEFAULT_HEIGHT: usize = 20;

/// Series colours (ANSI), in order: blue, yellow, green, magenta.
const COLOURS: [u8; 4] = [34, 33, 32, 35];

/// Series markers when several series share a chart without colour.
const MARKERS: [char; 4] = ['•', '×', '+', 'o'];

/// Horizontal eighths: a bar's last character.
const EIGHTHS_H: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// Vertical eighths, from empty to full.
const EIGHTHS_V: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// How to draw a chart as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// The width in terminal columns.
    pub width: usize,
    /// The height in lines: `None` draws bars one a line and other charts
    /// 20 lines high.
    pub height: Option<usize>,
    /// Whether to colour with ANSI escapes (a terminal without
    /// `NO_COLOR`).
    pub colour: bool,
}

/// The chart does not fit the space given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSmall {
    /// The width given.
    pub width: usize,
    /// The height given.
    pub height: usize,
    /// The width needed.
    pub need_width: usize,
    /// The height needed.
    pub need_height: usize,
}

impl fmt::Display for TooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the chart needs {}×{} characters and has {}×{}",
            self.need_width, self.need_height, self.width, self.height
        )
    }
}

impl std::error::Error for TooSmall {}

impl Chart {
    /// The chart as lines of text, each ending in `\n`, at most
    /// `options.width` columns wide.
    ///
    /// # Errors
    ///
    /// [`TooSmall`] when the width or height cannot hold the chart (less
    /// than [`MIN_WIDTH`] × [`MIN_HEIGHT`], or fewer lines than bars).
    pub fn to_text(&self, options: &TextOptions) -> Result<String, TooSmall> {
        let height = options.height.unwrap_or(DEFAULT_HEIGHT);
        let small = |need_width: usize, need_height: usize| TooSmall {
            width: options.width,
            height,
            need_width,
            need_height,
        };
        if options.width < MIN_WIDTH || height < MIN_HEIGHT {
            return Err(small(MIN_WIDTH, MIN_HEIGHT));
        }
        let mut r = Lines {
            width: options.width,
            colour: options.colour,
            out: Vec::new(),
        };
        if let Some(t) = &self.title {
            let first = t.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            r.push(fit(&clean(first.trim()), options.width));
        }
        let rows = height.saturating_sub(r.out.len());
        match &self.body {
            Body::Bars { labels, values } => {
                let need = values.len() + 3;
                if options.height.is_some_and(|_| rows < need) {
                    return Err(small(MIN_WIDTH, need + r.out.len()));
                }
                r.bars(self, labels, values).map_err(|w| small(w, height))?;
            }
            Body::Lines { x, series } => r
                .plot(self, x, series, rows, true)
                .map_err(|w| small(w, height))?,
            Body::Points { x, series } => r
                .plot(self, x, series, rows, false)
                .map_err(|w| small(w, height))?,
            Body::Histogram { lo, hi, counts } => {
                r.histogram(self, *lo, *hi, counts, rows)
                    .map_err(|w| small(w, height))?;
            }
            Body::Number(v) => r.number(&self.y_name, *v),
        }
        let mut text = String::new();
        for line in r.out {
            text.push_str(line.trim_end());
            text.push('\n');
        }
        Ok(text)
    }
}

struct Lines {
    width: usize,
    colour: bool,
    out: Vec<String>,
}

impl Lines {
    fn push(&mut self, line: String) {
        self.out.push(line);
    }

    fn paint(&self, s: &str, series: usize) -> String {
        if self.colour && !s.trim().is_empty() {
            format!("\x1b[{}m{s}\x1b[0m", COLOURS[series % COLOURS.len()])
        } else {
            s.to_string()
        }
    }

    /// Horizontal bars; `Err(width needed)` when too narrow.
    fn bars(
        &mut self,
        chart: &Chart,
        labels: &[Option<String>],
        values: &[Option<f64>],
    ) -> Result<(), usize> {
        let texts: Vec<String> = values
            .iter()
            .map(|v| v.map_or_else(|| "—".to_string(), full_number))
            .collect();
        let value_w = texts.iter().map(|t| t.width()).max().unwrap_or(1);
        let names: Vec<String> = labels
            .iter()
            .map(|l| clean(l.as_deref().unwrap_or("NULL")))
            .collect();
        let longest = names
            .iter()
            .map(|n| n.width())
            .chain([chart.x_name.width()])
            .max()
            .unwrap_or(1)
            .max(1);
        let label_w = longest.min((self.width / 3).max(6));
        let area = self.width.saturating_sub(label_w + 3 + value_w);
        if area < 10 {
            return Err(label_w.min(6) + 3 + value_w + 10);
        }
        let (min, max) = extent(values.iter().flatten());
        let axis = Axis::new(min, max, (area / 10).max(2), true);
        let span = axis.hi - axis.lo;
        let zero = (axis.fraction(0.0) * area as f64).round() as usize;
        self.push(format!(
            "{} {}",
            pad(&fit(&clean(&chart.x_name), label_w), label_w),
            fit(&clean(&chart.y_name), area)
        ));
        for ((name, value), text) in names.iter().zip(values).zip(&texts) {
            let mut bar = " ".repeat(zero);
            match value {
                Some(v) if *v >= 0.0 => {
                    let eighths = (v / span * area as f64 * 8.0).round() as usize;
                    let mut b = "█".repeat(eighths / 8);
                    if eighths % 8 > 0 {
                        b.push(EIGHTHS_H[eighths % 8]);
                    }
                    bar.push_str(&self.paint(&b, 0));
                }
                Some(v) => {
                    let n = ((-v / span * area as f64).round() as usize).min(zero);
                    bar = format!("{}{}", " ".repeat(zero - n), self.paint(&"█".repeat(n), 0));
                }
                None => {}
            }
            self.push(format!(
                "{} │{bar} {text}",
                pad(&fit(name, label_w), label_w)
            ));
        }
        let ticks: Vec<(usize, String)> = axis
            .ticks
            .iter()
            .map(|t| {
                (
                    (axis.fraction(*t) * area as f64).round() as usize,
                    axis.label(*t),
                )
            })
            .collect();
        self.axis_lines(label_w, area + 1, &ticks);
        Ok(())
    }

    /// The axis line (`└──┬──`) under a plot and its tick labels.
    fn axis_lines(&mut self, left: usize, len: usize, ticks: &[(usize, String)]) {
        let mut line: Vec<char> = vec!['─'; len];
        for (c, _) in ticks {
            if let Some(ch) = line.get_mut(*c) {
                *ch = '┬';
            }
        }
        self.push(format!(
            "{} └{}",
            " ".repeat(left),
            line.into_iter().collect::<String>()
        ));
        // Labels may hang past the axis's end, not past the width.
        let room = self.width.saturating_sub(left + 2).max(len);
        self.push(format!("{}  {}", " ".repeat(left), place(room, ticks)));
    }

    /// The left-hand tick labels of a plot `rows` high: the label for each
    /// row (empty where no tick falls).
    fn row_labels(axis: &Axis, rows: usize, dots_per_row: usize) -> Vec<String> {
        let mut labels = vec![String::new(); rows];
        let dots = rows * dots_per_row;
        for t in &axis.ticks {
            let dot = ((1.0 - axis.fraction(*t)) * (dots - 1) as f64).round() as usize;
            if let Some(l) = labels.get_mut(dot / dots_per_row) {
                *l = axis.label(*t);
            }
        }
        labels
    }

    /// Lines (`join`) or points over x; `Err(width needed)` when too
    /// narrow.
    fn plot(
        &mut self,
        chart: &Chart,
        x: &Across,
        series: &[Series],
        rows: usize,
        join: bool,
    ) -> Result<(), usize> {
        // y name, axis, x labels, x name, legend.
        let plot_rows = rows.saturating_sub(5);
        if plot_rows < 3 {
            return Err(MIN_WIDTH);
        }
        let (min, max) = extent(series.iter().flat_map(|s| s.values.iter().flatten()));
        let y_axis = Axis::new(min, max, (plot_rows / 3).max(2), false);
        // Points are markers, one a character (a lone braille dot is hard
        // to see); lines are braille when one series or colour tells them
        // apart.
        let braille = join && (self.colour || series.len() == 1);
        let dy = if braille { 4 } else { 1 };
        let labels = Self::row_labels(&y_axis, plot_rows, dy);
        let label_w = labels.iter().map(String::len).max().unwrap_or(1);
        let cols = self.width.saturating_sub(label_w + 2);
        if cols < 10 {
            return Err(label_w + 12);
        }
        let mut canvas = Canvas::new(cols, plot_rows, braille);
        let xs = x.values();
        let (xmin, xmax) = extent(xs.iter().flatten());
        let x_axis = match x {
            Across::Numbers(_) => Some(Axis::new(xmin, xmax, (cols / 12).max(2), false)),
            Across::Time(..) => None,
        };
        let (lo, hi) = x_axis.as_ref().map_or((xmin, xmax), |a| (a.lo, a.hi));
        let (w, h) = (canvas.width(), canvas.height());
        let to_dot = |v: f64| {
            (((1.0 - y_axis.fraction(v)) * (h - 1) as f64)
                .round()
                .max(0.0) as usize)
                .min(h - 1)
        };
        let to_x = |v: f64| {
            if hi > lo {
                (((v - lo) / (hi - lo) * (w - 1) as f64).round().max(0.0) as usize).min(w - 1)
            } else {
                0
            }
        };
        for (i, s) in series.iter().enumerate() {
            let id = i as u8;
            if join {
                canvas.draw_series(&downsample(xs, &s.values, lo, hi, w), to_dot, id, true);
            } else {
                for (xv, yv) in xs.iter().zip(&s.values) {
                    if let (Some(xv), Some(yv)) = (xv, yv) {
                        canvas.set(to_x(*xv), to_dot(*yv), id);
                    }
                }
            }
        }
        self.push(fit(&clean(&chart.y_name), self.width));
        for (r, label) in labels.iter().enumerate() {
            let tick = if label.is_empty() { '│' } else { '┤' };
            let mut line = format!("{label:>label_w$} {tick}");
            let cells = canvas.row(r, &MARKERS);
            let mut k = 0;
            while k < cells.len() {
                let owner = cells[k].1;
                let run: String = cells[k..]
                    .iter()
                    .take_while(|c| c.1 == owner)
                    .map(|c| c.0)
                    .collect();
                k += run.chars().count();
                match owner {
                    Some(s) => line.push_str(&self.paint(&run, usize::from(s))),
                    None => line.push_str(&run),
                }
            }
            self.push(line);
        }
        let dx = if braille { 2 } else { 1 };
        let ticks: Vec<(usize, String)> = match (&x_axis, x) {
            (Some(a), _) => a
                .ticks
                .iter()
                .map(|t| (to_x(*t) / dx, a.label(*t)))
                .collect(),
            (None, Across::Time(_, grain)) => {
                let room = cols / (time_label(xmin, *grain).len() + 2);
                let picked = x.time_ticks(room.max(1));
                picked.into_iter().map(|(t, l)| (to_x(t) / dx, l)).collect()
            }
            (None, Across::Numbers(_)) => Vec::new(),
        };
        self.axis_lines(label_w, cols, &ticks);
        let name = fit(&clean(&chart.x_name), self.width);
        self.push(format!(
            "{}{name}",
            " ".repeat(self.width.saturating_sub(name.width()))
        ));
        let legend: Vec<String> = series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mark = if braille {
                    "━━".to_string()
                } else {
                    MARKERS[i % MARKERS.len()].to_string()
                };
                format!("{} {}", self.paint(&mark, i), clean(&s.name))
            })
            .collect();
        self.push(legend.join("   "));
        Ok(())
    }

    /// A histogram; `Err(width needed)` when too narrow.
    fn histogram(
        &mut self,
        chart: &Chart,
        lo: f64,
        hi: f64,
        counts: &[u64],
        rows: usize,
    ) -> Result<(), usize> {
        // y name, axis, x labels, x name.
        let plot_rows = rows.saturating_sub(4);
        if plot_rows < 3 {
            return Err(MIN_WIDTH);
        }
        let top = counts.iter().copied().max().unwrap_or(0) as f64;
        let axis = Axis::new(0.0, top, (plot_rows / 3).max(2), true);
        let labels = Self::row_labels(&axis, plot_rows, 8);
        let label_w = labels.iter().map(String::len).max().unwrap_or(1);
        let cols = self.width.saturating_sub(label_w + 2);
        let bins = counts.len().max(1);
        let bin_w = cols / bins;
        if bin_w == 0 {
            return Err(label_w + 2 + bins);
        }
        let fill_w = if bin_w >= 3 { bin_w - 1 } else { bin_w };
        let heights: Vec<usize> = counts
            .iter()
            .map(|c| {
                let e = (*c as f64 / axis.hi * (plot_rows * 8) as f64).round() as usize;
                if *c > 0 { e.max(1) } else { 0 }
            })
            .collect();
        self.push(fit(&clean(&chart.y_name), self.width));
        for (r, label) in labels.iter().enumerate() {
            let level = plot_rows - 1 - r;
            let tick = if label.is_empty() { '│' } else { '┤' };
            let mut body = String::new();
            for h in &heights {
                let fill = h.saturating_sub(level * 8).min(8);
                body.push_str(&EIGHTHS_V[fill].to_string().repeat(fill_w));
                body.push_str(&" ".repeat(bin_w - fill_w));
            }
            self.push(format!("{label:>label_w$} {tick}{}", self.paint(&body, 0)));
        }
        let edge_step = (hi - lo) / bins as f64;
        let ticks: Vec<(usize, String)> = (0..=bins)
            .map(|i| {
                (
                    i * bin_w,
                    short_number(lo + i as f64 * edge_step, edge_step / 10.0),
                )
            })
            .collect();
        self.axis_lines(label_w, (bins * bin_w + 1).min(cols), &ticks);
        let name = fit(&clean(&chart.x_name), self.width);
        self.push(format!(
            "{}{name}",
            " ".repeat(self.width.saturating_sub(name.width()))
        ));
        Ok(())
    }

    /// One number, big (five lines of blocks) when it fits, and in full.
    fn number(&mut self, name: &str, v: f64) {
        let text = full_number(v);
        let glyphs: Vec<&[&str; 5]> = text.chars().filter_map(glyph).collect();
        let big_w: usize = glyphs.iter().map(|g| g[0].chars().count() + 1).sum();
        if glyphs.len() == text.chars().count() && big_w <= self.width {
            for row in 0..5 {
                let line: Vec<&str> = glyphs.iter().map(|g| g[row]).collect();
                let line = line.join(" ");
                self.push(self.paint(&line, 0));
            }
        }
        self.push(fit(&format!("{}: {text}", clean(name)), self.width));
    }
}
