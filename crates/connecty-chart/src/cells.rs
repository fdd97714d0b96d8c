//! Text cells: labels made safe and cut to a width, tick labels placed on
//! a line, and the big number font.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Control characters as spaces: a label never moves the cursor or
/// changes colours.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `s` cut to `width` display columns, with `…` when cut.
pub(crate) fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// `s` padded with spaces to `width` display columns (left-aligned).
pub(crate) fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(s.width())))
}

/// Labels placed on one line of `len` columns, each centred on its column
/// where it fits, skipping any that would touch the one before.
pub(crate) fn place(len: usize, labels: &[(usize, String)]) -> String {
    let mut line = vec![' '; len];
    let mut next_free = 0;
    for (col, text) in labels {
        let w = text.chars().count();
        if w > len {
            continue;
        }
        let start = col.saturating_sub(w / 2).min(len - w);
        if start < next_free {
            continue;
        }
        for (i, c) in text.chars().enumerate() {
            line[start + i] = c;
        }
        next_free = start + w + 1;
    }
    line.into_iter().collect()
}

/// A character of the big number font, five lines high.
pub(crate) fn glyph(c: char) -> Option<&'static [&'static str; 5]> {
    const DIGITS: [[&str; 5]; 10] = [
        ["███", "█ █", "█ █", "█ █", "███"],
        [" █ ", "██ ", " █ ", " █ ", "███"],
        ["███", "  █", "███", "█  ", "███"],
        ["███", "  █", "███", "  █", "███"],
        ["█ █", "█ █", "███", "  █", "  █"],
        ["███", "█  ", "███", "  █", "███"],
        ["███", "█  ", "███", "█ █", "███"],
        ["███", "  █", "  █", "  █", "  █"],
        ["███", "█ █", "███", "█ █", "███"],
        ["███", "█ █", "███", "  █", "███"],
    ];
    const COMMA: [&str; 5] = ["  ", "  ", "  ", " █", "█ "];
    const DOT: [&str; 5] = [" ", " ", " ", " ", "█"];
    const MINUS: [&str; 5] = ["   ", "   ", "███", "   ", "   "];
    match c {
        '0'..='9' => DIGITS.get(c as usize - '0' as usize),
        ',' => Some(&COMMA),
        '.' => Some(&DOT),
        '-' => Some(&MINUS),
        _ => None,
    }
}
