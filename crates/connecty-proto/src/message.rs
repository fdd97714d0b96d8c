//! The server's own words in an error: its message field, or a bounded
//! excerpt of its body, and whether it only repeats ours.

/// The most bytes of a server body kept in an error, as an excerpt.
pub const EXCERPT_LIMIT: usize = 512;

/// `message` unless it only repeats `ours` (every word of it is a word of
/// `ours`, case and punctuation aside): a server saying "data workspace 9
/// not found" adds nothing to "data workspace 9 was not found".
pub(crate) fn unrepeated(ours: &str, message: &Option<String>) -> Option<String> {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let ours = words(ours);
    match message {
        Some(m) if words(m).iter().all(|w| ours.contains(w)) => None,
        other => other.clone(),
    }
}

/// The start of a body, at most [`EXCERPT_LIMIT`] bytes, cut on a character
/// boundary, with invalid UTF-8 replaced.
pub fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_LIMIT)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if body.len() > EXCERPT_LIMIT && s.ends_with('\u{FFFD}') {
        // The cut may have split a multi-byte character into U+FFFD.
        s.pop();
    }
    // Each invalid byte became U+FFFD (three bytes): trim back to the limit
    // whatever the body's length.
    while s.len() > EXCERPT_LIMIT {
        s.pop();
    }
    s
}

/// The server's own message in an error body: a JSON `error`, `message`,
/// `detail` or `title` field (a string, or an object carrying one of those),
/// else a short excerpt of the raw body; `None` for an empty body.
pub fn server_message(body: &[u8]) -> Option<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(m) = message_field(&map) {
            return Some(m);
        }
    }
    Some(excerpt(body))
}

/// The first of the conventional message fields of a JSON object.
pub(crate) fn message_field(map: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    for key in [
        "error",
        "message",
        "detail",
        "title",
        "reason",
        "error_description",
    ] {
        match map.get(key) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => {
                return Some(excerpt(s.as_bytes()));
            }
            Some(serde_json::Value::Object(inner)) => {
                if let Some(m) = message_field(inner) {
                    return Some(m);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_fields_in_order() {
        assert_eq!(
            server_message(br#"{"error":"bad"}"#).as_deref(),
            Some("bad")
        );
        assert_eq!(server_message(br#"{"detail":"no"}"#).as_deref(), Some("no"));
        assert_eq!(
            server_message(br#"{"error":{"message":"nested"}}"#).as_deref(),
            Some("nested")
        );
        assert_eq!(
            server_message(b"<html>oops</html>").as_deref(),
            Some("<html>oops</html>")
        );
        assert_eq!(server_message(b"  "), None);
    }

    #[test]
    fn server_messages_that_repeat_ours_are_dropped() {
        let ours = "data workspace 999999 was not found";
        for (theirs, kept) in [
            ("data workspace 999999 not found", false),
            ("Data Workspace 999999 not found.", false),
            ("workspace 999999 not found", false),
            ("not found", false),
            ("", false),
            ("Workspace does not exist", true),
            ("data workspace 999999 not found in organisation 4", true),
        ] {
            let m = Some(theirs.to_string());
            assert_eq!(unrepeated(ours, &m).is_some(), kept, "{theirs:?}");
        }
        assert_eq!(unrepeated(ours, &None), None);
    }

    #[test]
    fn excerpt_is_bounded_and_on_char_boundary() {
        let body = "é".repeat(400);
        let e = excerpt(body.as_bytes());
        assert!(e.len() <= EXCERPT_LIMIT);
        assert!(e.chars().all(|c| c == 'é'));
        assert_eq!(excerpt(&[0xff, b'a']), "\u{FFFD}a");
        assert!(excerpt(&[0xff; 300]).len() <= EXCERPT_LIMIT);
    }
}
