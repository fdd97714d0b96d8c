//! RFC 3339 date-times and `YYYY-MM-DD` dates, read strictly.
//!
//! A small hand-written reader rather than chrono's: it runs on every cell
//! of a string column, it must refuse what does not convert exactly (more
//! than microsecond precision, leap seconds), and it needs no allocation.
//! A property test checks it against `chrono::DateTime::parse_from_rfc3339`.

const MICROS_PER_SECOND: i64 = 1_000_000;

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Whether every byte of `b` at `at` is an ASCII digit, checked at once
/// (no early exit per byte).
#[inline]
fn all_digits<const N: usize>(b: &[u8; N], at: &[usize]) -> bool {
    at.iter()
        .fold(0u8, |acc, &i| acc | u8::from(b[i].wrapping_sub(b'0') > 9))
        == 0
}

/// The two-digit number at `i` of `b`, whose digits the caller checked.
#[inline]
fn two<const N: usize>(b: &[u8; N], i: usize) -> u32 {
    u32::from(b[i].wrapping_sub(b'0')) * 10 + u32::from(b[i + 1].wrapping_sub(b'0'))
}

/// `YYYY-MM-DD` at the start of `b`: year, month and day, read in one
/// look. Ranges are the caller's.
#[inline]
fn date_part(b: &[u8]) -> Option<[u32; 3]> {
    let h: &[u8; 10] = b.get(..10)?.try_into().ok()?;
    if !all_digits(h, &[0, 1, 2, 3, 5, 6, 8, 9]) || h[4] != b'-' || h[7] != b'-' {
        return None;
    }
    Some([two(h, 0) * 100 + two(h, 2), two(h, 5), two(h, 8)])
}

/// The fixed head of a date-time, `YYYY-MM-DD?hh:mm:ss` (`?` not
/// checked): year, month, day, hour, minute, second, read in one look.
/// Ranges are the caller's.
#[inline]
fn head(b: &[u8]) -> Option<[u32; 6]> {
    let [y, m, d] = date_part(b)?;
    let h: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    if !all_digits(h, &[11, 12, 14, 15, 17, 18]) || h[13] != b':' || h[16] != b':' {
        return None;
    }
    Some([y, m, d, two(h, 11), two(h, 14), two(h, 17)])
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count from 1970-01-01: `(year, month, day)`.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DD` at the start of `b`: the day count, if a real date.
fn ymd(b: &[u8]) -> Option<i64> {
    let [y, m, d] = date_part(b)?;
    civil_days(y, m, d)
}

/// The day count of year `y`, month `m`, day `d`, if a real date.
#[inline]
fn civil_days(y: u32, m: u32, d: u32) -> Option<i64> {
    let y = i64::from(y);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Days since 1970-01-01 of a string that is exactly `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 {
        return None;
    }
    ymd(b).map(|d| d as i32)
}

/// Microseconds since the Unix epoch (UTC) of an RFC 3339 date-time whose
/// instant is a whole microsecond: `YYYY-MM-DD`, `T` (or `t` or a space),
/// `hh:mm:ss`, an optional fraction, then `Z`, `z` or `±hh:mm`.
///
/// `None` for anything else, including a leap second (`:60`), which has
/// no exact instant on a UTC microsecond clock, and a fraction with a
/// non-zero digit after the sixth.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let [y, m, d, h, mi, sec] = head(b)?;
    if !matches!(b[10], b'T' | b't' | b' ') || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let days = civil_days(y, m, d)?;
    let mut i = 19;
    let mut micros: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            let k = i - start;
            if k < 6 {
                micros = micros * 10 + i64::from(c - b'0');
            } else if c != b'0' {
                return None;
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..6 {
            micros *= 10;
        }
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        &sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (digits(b, i + 1, 2)?, digits(b, i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = i64::from(oh * 3600 + om * 60);
            if sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + sec) - offset_secs;
    Some(secs * MICROS_PER_SECOND + micros)
}

/// RFC 3339 text in UTC for microseconds since the epoch, with six
/// fraction digits: `2025-10-24T09:03:05.196568Z`.
pub(crate) fn timestamp_text(micros: i64) -> String {
    let secs = micros.div_euclid(MICROS_PER_SECOND);
    let frac = micros.rem_euclid(MICROS_PER_SECOND);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// `YYYY-MM-DD` for a day count from 1970-01-01.
pub(crate) fn date_text(days: i32) -> String {
    let (y, m, d) = civil_from_days(i64::from(days));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reference_timestamps() {
        let t = parse_timestamp("2025-10-24T11:03:05.196568+02:00").unwrap();
        assert_eq!(timestamp_text(t), "2025-10-24T09:03:05.196568Z");
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("1969-12-31T23:59:59.999999Z"), Some(-1));
        assert_eq!(
            parse_timestamp("2025-01-01 00:00:00.5z"),
            Some(1_735_689_600_500_000)
        );
        assert_eq!(
            parse_timestamp("2025-01-01T00:00:00.123456000Z"),
            Some(1_735_689_600_123_456)
        );
        for bad in [
            "2025-01-01T00:00:00",
            "2025-01-01T00:00:00.1234567Z",
            "2025-01-01T00:00:60Z",
            "2025-02-29T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:00:00+24:00",
            "2025-01-01T00:00:00.Z",
            "2025-01-01T00:00:00+0100",
            "2025-01-01",
            "2025-01-01T00:00:00Zx",
            "２025-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(date_text(19_782), "2024-02-29");
        assert_eq!(date_text(-1), "1969-12-31");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "2024-01-01 ",
            "0000-00-00",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(date_text(parse_date("0000-01-01").unwrap()), "0000-01-01");
        assert_eq!(date_text(parse_date("9999-12-31").unwrap()), "9999-12-31");
    }

    proptest! {
        #[test]
        fn agrees_with_chrono(
            y in 0u32..10_000, mo in 1u32..13, d in 1u32..32, h in 0u32..24, mi in 0u32..60,
            s in 0u32..61, frac in proptest::option::of("[0-9]{1,9}"),
            off in proptest::option::of((any::<bool>(), 0u32..24, 0u32..60)),
        ) {
            let text = format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{}{}",
                frac.as_ref().map(|f| format!(".{f}")).unwrap_or_default(),
                match off { None => "Z".to_string(), Some((neg, oh, om)) =>
                    format!("{}{oh:02}:{om:02}", if neg { '-' } else { '+' }) },
            );
            let ours = parse_timestamp(&text);
            match chrono::DateTime::parse_from_rfc3339(&text) {
                Ok(t) if s < 60 && t.timestamp_subsec_nanos() % 1000 == 0 => {
                    prop_assert_eq!(ours, Some(t.timestamp_micros()), "{}", text);
                    prop_assert_eq!(parse_timestamp(&timestamp_text(ours.unwrap())), ours);
                }
                _ => prop_assert_eq!(ours, None, "{}", text),
            }
        }

        #[test]
        fn dates_agree_with_chrono(y in 0i32..10_000, mo in 1u32..13, d in 1u32..32) {
            let text = format!("{y:04}-{mo:02}-{d:02}");
            let want = chrono::NaiveDate::from_ymd_opt(y, mo, d)
                .map(|nd| (nd - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32);
            prop_assert_eq!(parse_date(&text), want);
            if let Some(days) = want {
                prop_assert_eq!(date_text(days), text);
            }
        }
    }
}
