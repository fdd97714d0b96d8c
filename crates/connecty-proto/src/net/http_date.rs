//! HTTP dates (RFC 9110 §5.6.7): the `Date` and `Retry-After` headers.

use chrono::{DateTime, Utc};

/// `at` as an IMF-fixdate, the form servers send: `Wed, 05 Nov 2025
/// 10:00:00 GMT`.
///
/// ```
/// use connecty_proto::net::{format_http_date, parse_http_date};
///
/// let at = "2025-11-05T10:00:00Z".parse().unwrap();
/// assert_eq!(format_http_date(at), "Wed, 05 Nov 2025 10:00:00 GMT");
/// assert_eq!(parse_http_date("Wed, 05 Nov 2025 10:00:00 GMT"), Some(at));
/// ```
pub fn format_http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// An HTTP date read back (any RFC 2822 date-time, of which the
/// IMF-fixdate is one), in UTC; `None` when it is not one.
pub fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_other_text_is_refused() {
        let at: DateTime<Utc> = "1994-11-06T08:49:37Z".parse().unwrap();
        assert_eq!(format_http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date(&format_http_date(at)), Some(at));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 09:49:37 +0100"), Some(at));
        for bad in ["", "120", "yesterday", "2025-11-05T10:00:00Z"] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }
}
