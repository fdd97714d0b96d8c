//! Honest axes: round ticks, K/M units, thousands separators.

/// An axis range with round ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The low end: the first tick.
    pub lo: f64,
    /// The high end: the last tick.
    pub hi: f64,
    /// The ticks, from `lo` to `hi`, a round step apart.
    pub ticks: Vec<f64>,
    /// The step.
    pub step: f64,
}

impl Axis {
    /// Round ticks covering `min..=max`, about `target` of them (at least
    /// 2); `from_zero` takes 0 in (bars and histograms start at 0).
    pub fn new(min: f64, max: f64, target: usize, from_zero: bool) -> Axis {
        let (mut min, mut max) = if min.is_finite() && max.is_finite() && min <= max {
            (min, max)
        } else {
            (0.0, 1.0)
        };
        if from_zero {
            min = min.min(0.0);
            max = max.max(0.0);
        }
        if max == min {
            // One value: a unit around it (or 0..1).
            let pad = if min == 0.0 { 1.0 } else { min.abs() / 2.0 };
            if from_zero && min >= 0.0 {
                max += pad;
            } else {
                min -= pad;
                max += pad;
            }
        }
        let step = nice_step((max - min) / target.max(2) as f64);
        let lo = (min / step).floor() * step;
        let hi = (max / step).ceil() * step;
        let n = ((hi - lo) / step).round() as usize;
        let ticks = (0..=n).map(|i| clean(lo + i as f64 * step, step)).collect();
        Axis {
            lo,
            hi,
            ticks,
            step,
        }
    }

    /// Where `v` falls, from 0.0 (`lo`) to 1.0 (`hi`).
    pub fn fraction(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }

    /// A tick's label with the axis's unit: `250`, `1.5K`, `20M`.
    pub fn label(&self, v: f64) -> String {
        short_number(v, self.step)
    }
}

/// The smallest and largest of `values` (infinities when there are
/// none, which [`Axis::new`] takes as 0..1).
pub fn extent<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        })
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// `v` rounded to the step's decimals, so that 0.1 + 0.2 shows as 0.3.
fn clean(v: f64, step: f64) -> f64 {
    let decimals = decimals_of(step);
    let p = 10f64.powi(decimals as i32);
    let r = (v * p).round() / p;
    if r == 0.0 { 0.0 } else { r }
}

fn decimals_of(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    }
}

/// A tick label: K (thousands), M (millions) or B (billions) when the step
/// is a whole number of them, else the number with its step's decimals.
pub fn short_number(v: f64, step: f64) -> String {
    for (unit, size) in [("B", 1e9), ("M", 1e6), ("K", 1e3)] {
        if step >= size / 10.0 && v.abs() >= size {
            let scaled = v / size;
            let d = decimals_of(step / size);
            return format!("{}{unit}", trim(format!("{scaled:.d$}")));
        }
    }
    let d = decimals_of(step);
    trim(format!("{v:.d$}"))
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value in full, with thousands separators: `1,234,567`, `-0.25`,
/// `12,345.5`.
pub fn full_number(v: f64) -> String {
    let text = if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        // The shortest text that reads back as v, at most 6 decimals.
        let s = format!("{v}");
        match s.split_once('.') {
            Some((_, frac)) if frac.len() > 6 => trim(format!("{v:.6}")),
            _ => s,
        }
    };
    let (sign, rest) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    if int.len() <= 3 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_bars_start_at_zero() {
        let a = Axis::new(312.0, 1_480.0, 5, true);
        assert_eq!((a.lo, a.hi, a.step), (0.0, 1_500.0, 500.0));
        assert_eq!(a.ticks, [0.0, 500.0, 1_000.0, 1_500.0]);
        let labels: Vec<String> = a.ticks.iter().map(|t| a.label(*t)).collect();
        assert_eq!(labels, ["0", "500", "1K", "1.5K"]);
        let a = Axis::new(0.1, 0.7, 4, false);
        assert_eq!(a.ticks, [0.0, 0.2, 0.4, 0.6, 0.8]);
        let a = Axis::new(-3.0, 12_000_000.0, 4, true);
        let labels: Vec<String> = a.ticks.iter().map(|t| a.label(*t)).collect();
        assert_eq!(labels, ["-5M", "0", "5M", "10M", "15M"]);
        // One value, or none.
        assert_eq!(Axis::new(7.0, 7.0, 4, true).ticks.first(), Some(&0.0));
        assert_eq!(Axis::new(f64::NAN, 1.0, 4, false).ticks, [0.0, 0.5, 1.0]);
    }

    #[test]
    fn full_numbers_have_thousands_separators() {
        assert_eq!(full_number(1_234_567.0), "1,234,567");
        assert_eq!(full_number(-1_234.5), "-1,234.5");
        assert_eq!(full_number(999.0), "999");
        assert_eq!(full_number(0.1 + 0.2), "0.3");
        assert_eq!(full_number(123_456.789), "123,456.789");
    }
}
