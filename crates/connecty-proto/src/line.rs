//! User text made safe for one line of a terminal.

use std::borrow::Cow;

/// Whether `c` is a bidirectional override, isolate or mark: not a control
/// character, yet it scrambles the line it stands in.
pub fn is_invisible_format(c: char) -> bool {
    // Bidirectional overrides and isolates: they reorder what follows them
    // on the line, so a table cell holding one would scramble its row.
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `s` with control characters made visible for a one-line display:
/// `\n`, `\r`, `\t` as those two characters, other control and
/// bidirectional-override characters as `\u{..}`.
///
/// connecty-settings names profiles and keys a user typed this way in its
/// messages; the `connecty` command uses it for every line it prints.
///
/// ```
/// use connecty_proto::escape_for_line;
/// assert_eq!(escape_for_line("a\tb\u{202E}"), "a\\tb\\u{202e}");
/// assert_eq!(escape_for_line("plain"), "plain");
/// ```
pub fn escape_for_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible_format(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}
