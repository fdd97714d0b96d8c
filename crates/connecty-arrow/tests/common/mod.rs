//! Test oracles written independently of the crate's own code.

#![allow(dead_code)]

/// A JSON number's value as `(negative, digits, exponent)`, digits without
/// leading or trailing zeros; `None` for zero.
pub fn number_value(text: &str) -> Option<(bool, String, i64)> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().unwrap()),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let mut exp = exp - frac.len() as i64;
    let trimmed_end = all.trim_end_matches('0');
    exp += (all.len() - trimmed_end.len()) as i64;
    let digits = trimmed_end.trim_start_matches('0');
    if digits.is_empty() {
        return None;
    }
    Some((neg, digits.to_string(), exp))
}

/// Whether two JSON values mean the same: numbers by decimal value,
/// strings by content, date-times by instant when `instants`.
pub fn same_json(sent: &str, back: &str, instants: bool) -> bool {
    let a: serde_json::Value = match serde_json::from_str(sent) {
        Ok(v) => v,
        Err(_) => return sent == back,
    };
    match a {
        serde_json::Value::Number(_) => number_value(sent) == number_value(back),
        serde_json::Value::String(s) => {
            let Ok(b) = serde_json::from_str::<String>(back) else {
                return false;
            };
            if instants {
                let (Ok(x), Ok(y)) = (
                    chrono::DateTime::parse_from_rfc3339(&s),
                    chrono::DateTime::parse_from_rfc3339(&b),
                ) else {
                    return false;
                };
                x == y
            } else {
                s == b
            }
        }
        _ => sent == back,
    }
}
