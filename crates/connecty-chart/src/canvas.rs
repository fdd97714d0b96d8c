//! Honest downsampling (each pixel column keeps its minimum and maximum)
//! and a dot canvas: braille (2×4 dots a character) or one marker a
//! character.

/// The points of one series that fall in one pixel column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// The first value, in row order.
    pub first: f64,
    /// The last value.
    pub last: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// Whether a gap (a null) came between the previous point and this
    /// column's first: the line is not joined to the previous column.
    pub after_gap: bool,
    /// How many points.
    pub points: usize,
}

/// Downsamples one series to `width` pixel columns spanning `lo..=hi`
/// across: each column keeps its points' first, last, minimum and maximum,
/// so no peak or dip is lost. Rows with no `x` or no `y` are gaps.
///
/// `x` is read in row order; the rows are expected sorted by `x` (answers
/// over time are), and a line joins consecutive rows.
pub fn downsample(
    x: &[Option<f64>],
    y: &[Option<f64>],
    lo: f64,
    hi: f64,
    width: usize,
) -> Vec<Option<Bucket>> {
    let mut out: Vec<Option<Bucket>> = vec![None; width];
    if width == 0 {
        return out;
    }
    let scale = if hi > lo {
        (width - 1) as f64 / (hi - lo)
    } else {
        0.0
    };
    let mut gap = false;
    for (xv, yv) in x.iter().zip(y) {
        let (Some(xv), Some(yv)) = (xv, yv) else {
            gap = true;
            continue;
        };
        let px = (((xv - lo) * scale).round().max(0.0) as usize).min(width - 1);
        match &mut out[px] {
            Some(b) => {
                b.last = *yv;
                b.min = b.min.min(*yv);
                b.max = b.max.max(*yv);
                b.points += 1;
            }
            slot => {
                *slot = Some(Bucket {
                    first: *yv,
                    last: *yv,
                    min: *yv,
                    max: *yv,
                    after_gap: gap,
                    points: 1,
                });
            }
        }
        gap = false;
    }
    out
}

/// A grid of characters, each `dx` × `dy` dots, each dot owned by the
/// series that set it last.
#[derive(Debug, Clone)]
pub struct Canvas {
    /// Characters across.
    pub cols: usize,
    /// Characters down.
    pub rows: usize,
    dx: usize,
    dy: usize,
    bits: Vec<u8>,
    owner: Vec<u8>,
}

/// Braille dot bits, by (column, row) within a character.
const BRAILLE: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];

impl Canvas {
    /// A braille canvas (`braille`: 2×4 dots a character) or a marker
    /// canvas (one dot a character).
    pub fn new(cols: usize, rows: usize, braille: bool) -> Canvas {
        let (dx, dy) = if braille { (2, 4) } else { (1, 1) };
        Canvas {
            cols,
            rows,
            dx,
            dy,
            bits: vec![0; cols * rows],
            owner: vec![0; cols * rows],
        }
    }

    /// Dots across.
    pub fn width(&self) -> usize {
        self.cols * self.dx
    }

    /// Dots down.
    pub fn height(&self) -> usize {
        self.rows * self.dy
    }

    /// Sets the dot at `(x, y)` (y down from the top) for `series`;
    /// outside the canvas, nothing.
    pub fn set(&mut self, x: usize, y: usize, series: u8) {
        if x >= self.width() || y >= self.height() {
            return;
        }
        let i = (y / self.dy) * self.cols + x / self.dx;
        self.bits[i] |= if self.dx == 2 {
            BRAILLE[x % 2][y % 4]
        } else {
            1
        };
        self.owner[i] = series;
    }

    /// A straight line of dots from `a` to `b` (Bresenham).
    pub fn line(&mut self, a: (usize, usize), b: (usize, usize), series: u8) {
        let (mut x, mut y) = (a.0 as i64, a.1 as i64);
        let (x1, y1) = (b.0 as i64, b.1 as i64);
        let (dx, dy) = ((x1 - x).abs(), -(y1 - y).abs());
        let (sx, sy) = (if x < x1 { 1 } else { -1 }, if y < y1 { 1 } else { -1 });
        let mut err = dx + dy;
        loop {
            self.set(x as usize, y as usize, series);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Draws one downsampled series: each column's span from min to max,
    /// joined to the previous column's last point unless a gap came between;
    /// `to_dot` maps a value to a dot row.
    pub fn draw_series(
        &mut self,
        buckets: &[Option<Bucket>],
        to_dot: impl Fn(f64) -> usize,
        series: u8,
        join: bool,
    ) {
        let mut prev: Option<(usize, usize)> = None;
        for (x, b) in buckets.iter().enumerate() {
            let Some(b) = b else { continue };
            let first = (x, to_dot(b.first));
            if let (true, false, Some(p)) = (join, b.after_gap, prev) {
                self.line(p, first, series);
            }
            self.line((x, to_dot(b.min)), (x, to_dot(b.max)), series);
            prev = Some((x, to_dot(b.last)));
        }
    }

    /// Row `r`'s characters, each with the series that owns it (`None`:
    /// blank). A marker canvas shows `markers[series]`.
    pub fn row(&self, r: usize, markers: &[char]) -> Vec<(char, Option<u8>)> {
        (0..self.cols)
            .map(|c| {
                let i = r * self.cols + c;
                match self.bits[i] {
                    0 => (' ', None),
                    bits if self.dx == 2 => (
                        char::from_u32(0x2800 + u32::from(bits)).unwrap_or('?'),
                        Some(self.owner[i]),
                    ),
                    _ => {
                        let s = self.owner[i];
                        (markers.get(usize::from(s)).copied().unwrap_or('*'), Some(s))
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_each_columns_min_and_max() {
        let x: Vec<Option<f64>> = (0..1000).map(|i| Some(f64::from(i))).collect();
        // A spike at row 500 and a dip at row 501, and nulls from 700 to 830.
        let mut y: Vec<Option<f64>> = (0..1000).map(|_| Some(1.0)).collect();
        y[500] = Some(100.0);
        y[501] = Some(-100.0);
        y[700..=830].fill(None);
        let b = downsample(&x, &y, 0.0, 999.0, 10);
        let spike = b[5].unwrap();
        assert_eq!((spike.min, spike.max), (-100.0, 100.0));
        assert_eq!(b.iter().flatten().map(|b| b.points).sum::<usize>(), 869);
        assert!(b[7].unwrap().after_gap, "the nulls are a gap");
        assert!(!b[5].unwrap().after_gap);
    }

    #[test]
    fn braille_dots_and_markers() {
        let mut c = Canvas::new(2, 1, true);
        c.line((0, 0), (3, 3), 1);
        let row: String = c.row(0, &[]).iter().map(|(ch, _)| *ch).collect();
        assert_eq!(row, "⠑⢄");
        let mut c = Canvas::new(3, 1, false);
        c.set(1, 0, 1);
        assert_eq!(
            c.row(0, &['a', 'b']),
            [(' ', None), ('b', Some(1)), (' ', None)]
        );
    }
}
