//! Percent-decoding (RFC 3986 §2.1), the one decoder of the workspace: proxy
//! credentials here, query strings in the emulator and the testkit.

/// What a `+` means in the text being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    /// A space, as in a query string (`application/x-www-form-urlencoded`).
    Space,
    /// A plus sign, as in the user information of a URL.
    Literal,
}

/// `s` with every `%XX` escape decoded (and `+` read as `plus` says);
/// `None` for an escape that is not two hex digits or a result that is not
/// UTF-8.
///
/// ```
/// use connecty_proto::net::{Plus, percent_decode};
///
/// assert_eq!(percent_decode("a%20b+c", Plus::Space).as_deref(), Some("a b c"));
/// assert_eq!(percent_decode("pa+ss%21", Plus::Literal).as_deref(), Some("pa+ss!"));
/// assert_eq!(percent_decode("%zz", Plus::Space), None);
/// assert_eq!(percent_decode("%FF", Plus::Space), None);
/// ```
pub fn percent_decode(s: &str, plus: Plus) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let [hi, lo] = *bytes.get(i + 1..i + 3)? else {
                    return None;
                };
                out.push(hex_digit(hi)? << 4 | hex_digit(lo)?);
                i += 3;
            }
            b'+' if plus == Plus::Space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The value of one hex digit (`u8::from_str_radix` would also take a
/// sign, as in `%+1`).
fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_plus_signs_and_refusals() {
        for (text, plus, want) in [
            ("", Plus::Space, Some("")),
            ("plain", Plus::Space, Some("plain")),
            ("a%2Cb%2cc", Plus::Space, Some("a,b,c")),
            ("a+b", Plus::Space, Some("a b")),
            ("a+b", Plus::Literal, Some("a+b")),
            ("%C5%81%C3%B3d%C5%BA", Plus::Literal, Some("Łódź")),
            ("%41%", Plus::Space, None),
            ("%4", Plus::Space, None),
            ("%zz", Plus::Space, None),
            ("%+1", Plus::Space, None),
            ("%é", Plus::Space, None),
            ("%FF", Plus::Space, None),
            ("%C5", Plus::Literal, None),
        ] {
            assert_eq!(percent_decode(text, plus).as_deref(), want, "{text:?}");
        }
    }
}
