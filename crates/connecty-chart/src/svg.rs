//! The SVG writer: the same chart as a picture, with a title, axis names,
//! tick labels, a legend and one labelled mark per bar, bin or point.
//!
//! Text is written as SVG `<text>` for the viewer to set in its own
//! sans-serif font, so nothing here needs a font file (see
//! docs/dependencies.md). Marks carry `class` (`bar`, `bin`, `point`,
//! `line`) and a `<title>` child naming what they show.

use std::io::{self, Write};

use crate::axis::{Axis, extent, full_number, short_number};
use crate::canvas::downsample;
use crate::data::time_label;
use crate::model::{Across, Body, Chart, Series};

/// The picture's width in pixels.
const WIDTH: f64 = 800.0;
/// A line or point chart's height.
const HEIGHT: f64 = 450.0;
/// Space above the plot (title), right of it, and below it (ticks, axis
/// name, legend).
const TOP: f64 = 50.0;
const RIGHT: f64 = 30.0;
const BOTTOM: f64 = 80.0;
/// Points drawn one circle each up to this many; more are drawn one
/// circle per occupied pixel (lines: as the downsampled line alone).
const MAX_MARKS: usize = 5_000;
/// Series colours, in order.
const COLOURS: [&str; 4] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"];

/// `s` with XML's special characters escaped, and control characters
/// (which XML 1.0 forbids) dropped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

/// The plot area of a line, point or histogram chart.
const PLOT: Frame = Frame {
    left: 70.0,
    top: TOP,
    width: WIDTH - 70.0 - RIGHT,
    height: HEIGHT - TOP - BOTTOM,
};

impl Frame {
    fn bottom(&self) -> f64 {
        self.top + self.height
    }
}

impl Chart {
    /// Writes the chart as one SVG document.
    ///
    /// # Errors
    ///
    /// Only those of `out`.
    pub fn write_svg<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        let height = match &self.body {
            Body::Bars { values, .. } => (TOP + BOTTOM + 24.0 * values.len() as f64).max(240.0),
            Body::Number(_) => 200.0,
            _ => HEIGHT,
        };
        let title = self
            .title
            .as_deref()
            .map(|t| t.lines().next().unwrap_or("").trim())
            .unwrap_or("");
        writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
        )?;
        writeln!(out, "<title>{}</title>", esc(title))?;
        writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#)?;
        writeln!(
            out,
            r#"<text class="title" x="{}" y="28" text-anchor="middle" font-size="16">{}</text>"#,
            WIDTH / 2.0,
            esc(title)
        )?;
        match &self.body {
            Body::Bars { labels, values } => self.svg_bars(out, labels, values, height)?,
            Body::Lines { x, series } => self.svg_plot(out, x, series, true)?,
            Body::Points { x, series } => self.svg_plot(out, x, series, false)?,
            Body::Histogram { lo, hi, counts } => self.svg_histogram(out, *lo, *hi, counts)?,
            Body::Number(v) => {
                writeln!(
                    out,
                    r#"<text class="number" x="{}" y="120" text-anchor="middle" font-size="72">{}</text>"#,
                    WIDTH / 2.0,
                    full_number(*v)
                )?;
                writeln!(
                    out,
                    r#"<text class="axis-name" x="{}" y="170" text-anchor="middle">{}</text>"#,
                    WIDTH / 2.0,
                    esc(&self.y_name)
                )?;
            }
        }
        writeln!(out, "</svg>")
    }

    fn svg_bars<W: Write + ?Sized>(
        &self,
        out: &mut W,
        labels: &[Option<String>],
        values: &[Option<f64>],
        height: f64,
    ) -> io::Result<()> {
        let names: Vec<String> = labels
            .iter()
            .map(|l| {
                let l = l.as_deref().unwrap_or("NULL");
                if l.chars().count() > 40 {
                    format!("{}…", l.chars().take(39).collect::<String>())
                } else {
                    l.to_string()
                }
            })
            .collect();
        let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(4) as f64;
        let left = (longest * 7.0 + 16.0).clamp(60.0, 320.0);
        let f = Frame {
            left,
            top: TOP,
            width: WIDTH - left - RIGHT - 60.0,
            height: height - TOP - BOTTOM,
        };
        let (min, max) = extent(values.iter().flatten());
        let axis = Axis::new(min, max, 6, true);
        let px = |v: f64| f.left + axis.fraction(v) * f.width;
        self.ticks(
            out,
            &f,
            &axis
                .ticks
                .iter()
                .map(|t| (px(*t), axis.label(*t)))
                .collect::<Vec<_>>(),
            true,
        )?;
        let band = f.height / values.len().max(1) as f64;
        for (i, (name, v)) in names.iter().zip(values).enumerate() {
            let y = f.top + band * i as f64;
            writeln!(
                out,
                r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end" dominant-baseline="middle">{}</text>"#,
                f.left - 6.0,
                y + band / 2.0,
                esc(name)
            )?;
            if let Some(v) = v {
                let (a, b) = (px(0.0), px(*v));
                writeln!(
                    out,
                    r#"<rect class="bar" x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}" data-value="{v}"><title>{}: {}</title></rect>"#,
                    a.min(b),
                    y + band * 0.15,
                    (b - a).abs(),
                    band * 0.7,
                    COLOURS[0],
                    esc(name),
                    full_number(*v)
                )?;
                writeln!(
                    out,
                    r#"<text class="value" x="{:.1}" y="{:.1}" dominant-baseline="middle">{}</text>"#,
                    a.max(b) + 4.0,
                    y + band / 2.0,
                    full_number(*v)
                )?;
            }
        }
        self.axes(
            out,
            &f,
            px(0.0),
            &self.x_name,
            &[self.y_name.as_str()],
            true,
        )
    }

    /// Grid lines and tick labels at `ticks` (pixel position, label):
    /// vertical lines labelled under the plot (`across`), else horizontal
    /// ones labelled left of it.
    fn ticks<W: Write + ?Sized>(
        &self,
        out: &mut W,
        f: &Frame,
        ticks: &[(f64, String)],
        across: bool,
    ) -> io::Result<()> {
        for (p, label) in ticks {
            let ((x1, y1, x2, y2), (tx, ty), anchor) = if across {
                (
                    (*p, f.top, *p, f.bottom()),
                    (*p, f.bottom() + 18.0),
                    "middle",
                )
            } else {
                (
                    (f.left, *p, f.left + f.width, *p),
                    (f.left - 6.0, *p),
                    "end",
                )
            };
            writeln!(
                out,
                r##"<line class="grid" x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="#ddd"/>"##
            )?;
            writeln!(
                out,
                r#"<text class="tick" x="{tx:.2}" y="{ty:.2}" text-anchor="{anchor}" dominant-baseline="middle">{}</text>"#,
                esc(label)
            )?;
        }
        Ok(())
    }

    /// The ticks of `axis` up the plot, measured from its bottom.
    fn y_ticks<W: Write + ?Sized>(&self, out: &mut W, f: &Frame, axis: &Axis) -> io::Result<()> {
        let ticks: Vec<(f64, String)> = axis
            .ticks
            .iter()
            .map(|t| (f.bottom() - axis.fraction(*t) * f.height, axis.label(*t)))
            .collect();
        self.ticks(out, f, &ticks, false)
    }

    /// The axis lines, their names, and the legend of `series`.
    fn axes<W: Write + ?Sized>(
        &self,
        out: &mut W,
        f: &Frame,
        zero_x: f64,
        x_name: &str,
        series: &[&str],
        bars: bool,
    ) -> io::Result<()> {
        let x_axis = if bars { zero_x } else { f.left };
        writeln!(
            out,
            r##"<line class="axis" x1="{x_axis:.2}" y1="{:.2}" x2="{x_axis:.2}" y2="{:.2}" stroke="#333"/>"##,
            f.top,
            f.bottom()
        )?;
        writeln!(
            out,
            r##"<line class="axis" x1="{:.2}" y1="{:.2}" x2="{:.2}" y2="{:.2}" stroke="#333"/>"##,
            f.left,
            f.bottom(),
            f.left + f.width,
            f.bottom()
        )?;
        let (across, up) = if bars {
            (self.y_name.as_str(), x_name)
        } else {
            (x_name, self.y_name.as_str())
        };
        writeln!(
            out,
            r#"<text class="axis-name" x="{:.2}" y="{:.2}" text-anchor="middle">{}</text>"#,
            f.left + f.width / 2.0,
            f.bottom() + 40.0,
            esc(across)
        )?;
        writeln!(
            out,
            r#"<text class="axis-name" x="{:.2}" y="{:.2}" text-anchor="start">{}</text>"#,
            8.0,
            f.top - 10.0,
            esc(up)
        )?;
        writeln!(out, r#"<g class="legend">"#)?;
        let mut x = f.left;
        let y = f.bottom() + 62.0;
        for (i, name) in series.iter().enumerate() {
            writeln!(
                out,
                r#"<rect x="{x:.2}" y="{:.2}" width="14" height="4" fill="{}"/>"#,
                y - 2.0,
                COLOURS[i % COLOURS.len()]
            )?;
            writeln!(
                out,
                r#"<text x="{:.2}" y="{y:.2}" dominant-baseline="middle">{}</text>"#,
                x + 20.0,
                esc(name)
            )?;
            x += 40.0 + 7.0 * name.chars().count() as f64;
        }
        writeln!(out, "</g>")
    }

    fn svg_plot<W: Write + ?Sized>(
        &self,
        out: &mut W,
        x: &Across,
        series: &[Series],
        join: bool,
    ) -> io::Result<()> {
        let f = PLOT;
        let xs = x.values();
        let (xmin, xmax) = extent(xs.iter().flatten());
        let (ymin, ymax) = extent(series.iter().flat_map(|s| s.values.iter().flatten()));
        let y_axis = Axis::new(ymin, ymax, 6, false);
        let x_ticks: Vec<f64>;
        let (lo, hi, x_labels): (f64, f64, Vec<String>) = match x {
            Across::Numbers(_) => {
                let a = Axis::new(xmin, xmax, 8, false);
                x_ticks = a.ticks.clone();
                (a.lo, a.hi, a.ticks.iter().map(|t| a.label(*t)).collect())
            }
            Across::Time(..) => {
                let (ticks, labels) = x.time_ticks(8).into_iter().unzip();
                x_ticks = ticks;
                (xmin, xmax, labels)
            }
        };
        let px = |v: f64| {
            if hi > lo {
                f.left + (v - lo) / (hi - lo) * f.width
            } else {
                f.left + f.width / 2.0
            }
        };
        let py = |v: f64| f.bottom() - y_axis.fraction(v) * f.height;
        let ticks: Vec<(f64, String)> = x_ticks.iter().map(|t| px(*t)).zip(x_labels).collect();
        self.ticks(out, &f, &ticks, true)?;
        self.y_ticks(out, &f, &y_axis)?;
        let x_text = |v: f64| match x {
            Across::Time(_, g) => time_label(v, *g),
            Across::Numbers(_) => full_number(v),
        };
        for (i, s) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let points = xs
                .iter()
                .zip(&s.values)
                .filter(|(a, b)| a.is_some() && b.is_some())
                .count();
            if join {
                let width = f.width.round() as usize;
                let mut d = String::new();
                for (k, b) in downsample(xs, &s.values, lo, hi, width).iter().enumerate() {
                    let Some(b) = b else { continue };
                    let x = if width > 1 {
                        f.left + k as f64 * f.width / (width - 1) as f64
                    } else {
                        f.left
                    };
                    let cmd = if d.is_empty() || b.after_gap {
                        'M'
                    } else {
                        'L'
                    };
                    d.push_str(&format!("{cmd}{x:.2},{:.2}", py(b.first)));
                    // Down to the minimum, up to the maximum, to the last:
                    // each only where it moves.
                    let mut at = b.first;
                    for v in [b.min, b.max, b.last] {
                        if v != at {
                            d.push_str(&format!("L{x:.2},{:.2}", py(v)));
                            at = v;
                        }
                    }
                }
                writeln!(
                    out,
                    r#"<path class="line" d="{d}" fill="none" stroke="{colour}" stroke-width="2"><title>{}</title></path>"#,
                    esc(&s.name)
                )?;
            }
            let mut seen = vec![
                false;
                if points > MAX_MARKS {
                    (f.width as usize + 1) * (f.height as usize + 1)
                } else {
                    0
                }
            ];
            if join && points > MAX_MARKS {
                continue;
            }
            for (xv, yv) in xs.iter().zip(&s.values) {
                let (Some(xv), Some(yv)) = (xv, yv) else {
                    continue;
                };
                let (cx, cy) = (px(*xv), py(*yv));
                if !seen.is_empty() {
                    let k = ((cy - f.top).round() as usize) * (f.width as usize + 1)
                        + (cx - f.left).round() as usize;
                    if seen.get(k).copied().unwrap_or(true) {
                        continue;
                    }
                    seen[k] = true;
                }
                writeln!(
                    out,
                    r#"<circle class="point" cx="{cx:.2}" cy="{cy:.2}" r="3" fill="{colour}"><title>{}: {}, {}</title></circle>"#,
                    esc(&s.name),
                    esc(&x_text(*xv)),
                    full_number(*yv)
                )?;
            }
        }
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        self.axes(out, &f, f.left, &self.x_name, &names, false)
    }

    fn svg_histogram<W: Write + ?Sized>(
        &self,
        out: &mut W,
        lo: f64,
        hi: f64,
        counts: &[u64],
    ) -> io::Result<()> {
        let f = PLOT;
        let top = counts.iter().copied().max().unwrap_or(0) as f64;
        let y_axis = Axis::new(0.0, top, 6, true);
        let py = |v: f64| f.bottom() - y_axis.fraction(v) * f.height;
        let bins = counts.len().max(1);
        let step = (hi - lo) / bins as f64;
        let bw = f.width / bins as f64;
        let ticks: Vec<(f64, String)> = (0..=bins)
            .map(|i| {
                (
                    f.left + bw * i as f64,
                    short_number(lo + step * i as f64, step / 10.0),
                )
            })
            .collect();
        self.ticks(out, &f, &ticks, true)?;
        self.y_ticks(out, &f, &y_axis)?;
        for (i, c) in counts.iter().enumerate() {
            let (a, b) = (lo + step * i as f64, lo + step * (i + 1) as f64);
            let close = if i + 1 == bins { ']' } else { ')' };
            writeln!(
                out,
                r#"<rect class="bin" x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}" data-value="{c}"><title>[{}, {}{close}: {c}</title></rect>"#,
                f.left + bw * i as f64 + 1.0,
                py(*c as f64),
                (bw - 2.0).max(0.5),
                f.bottom() - py(*c as f64),
                COLOURS[0],
                full_number(a),
                full_number(b)
            )?;
        }
        let name = format!("count of {}", self.x_name);
        self.axes(out, &f, f.left, &self.x_name, &[name.as_str()], false)
    }
}
