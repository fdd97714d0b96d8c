//! JSON number text: which Arrow types hold it exactly, and its value there.
//!
//! Every decision works on the number's decimal value as written, never on
//! a float approximation of it: `0.1` is the decimal 1 × 10⁻¹.

/// The largest precision of `Decimal128`, and so the most digits a
/// `Decimal128(38, s)` value holds.
pub(crate) const DECIMAL_DIGITS: i64 = 38;

/// A JSON number taken apart: sign, significant digits and exponent.
///
/// The value is `(-1)^negative × digits × 10^exp`, with `digits` free of
/// leading and trailing zeros (empty for zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decimal<'a> {
    /// A leading `-` was written (kept for `-0`, whose value is zero).
    pub negative: bool,
    /// Integer-part digits, as written.
    int: &'a [u8],
    /// Fraction digits, as written.
    frac: &'a [u8],
    /// Written exponent (saturated at ±10¹⁸).
    written_exp: i64,
    /// Leading zeros to skip in `int ++ frac`.
    lead: usize,
    /// Trailing zeros to drop from `int ++ frac`.
    trail: usize,
    /// Whether it was written as an integer: no `.`, no exponent.
    pub integer_spelled: bool,
}

impl<'a> Decimal<'a> {
    /// Takes apart a number's JSON text. `None` when it is not JSON number
    /// grammar (which a scanned dataframe never holds).
    pub fn parse(text: &'a str) -> Option<Decimal<'a>> {
        let b = text.as_bytes();
        let mut i = 0;
        let negative = b.first() == Some(&b'-');
        if negative {
            i += 1;
        }
        let int_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let int = &b[int_start..i];
        if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
            return None;
        }
        let mut frac: &[u8] = &[];
        if b.get(i) == Some(&b'.') {
            i += 1;
            let s = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            frac = &b[s..i];
            if frac.is_empty() {
                return None;
            }
        }
        let mut written_exp: i64 = 0;
        let mut has_exp = false;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            has_exp = true;
            i += 1;
            let neg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let s = i;
            while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                written_exp = written_exp
                    .saturating_mul(10)
                    .saturating_add(i64::from(d - b'0'))
                    .min(1_000_000_000_000_000_000);
                i += 1;
            }
            if i == s {
                return None;
            }
            if neg {
                written_exp = -written_exp;
            }
        }
        if i != b.len() {
            return None;
        }
        let all = int.len() + frac.len();
        let at = |k: usize| {
            if k < int.len() {
                int[k]
            } else {
                frac[k - int.len()]
            }
        };
        let lead = (0..all).take_while(|&k| at(k) == b'0').count();
        let trail = if lead == all {
            0
        } else {
            (0..all).rev().take_while(|&k| at(k) == b'0').count()
        };
        Some(Decimal {
            negative,
            int,
            frac,
            written_exp,
            lead,
            trail,
            integer_spelled: frac.is_empty() && !has_exp,
        })
    }

    /// Whether the value is zero (`0`, `-0`, `0.000`, `0e5`).
    pub fn is_zero(&self) -> bool {
        self.lead == self.int.len() + self.frac.len()
    }

    /// Number of significant digits (0 for zero).
    pub fn significant_digits(&self) -> usize {
        (self.int.len() + self.frac.len()).saturating_sub(self.lead + self.trail)
    }

    /// The significant digits, most significant first.
    pub fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        let n = self.significant_digits();
        self.int
            .iter()
            .chain(self.frac.iter())
            .skip(self.lead)
            .take(n)
            .map(|d| d - b'0')
    }

    /// The power of ten of the least significant non-zero digit (0 for
    /// zero): `1.50` → -1, `1200` → 2.
    pub fn low_exp(&self) -> i64 {
        if self.is_zero() {
            return 0;
        }
        self.written_exp - self.frac.len() as i64 + self.trail as i64
    }

    /// The power of ten of the most significant digit (0 for zero):
    /// `123.4` → 2, `0.05` → -2.
    pub fn high_exp(&self) -> i64 {
        if self.is_zero() {
            return 0;
        }
        self.low_exp() + self.significant_digits() as i64 - 1
    }

    /// The smallest scale `s` with `value × 10^s` an integer.
    pub fn min_scale(&self) -> i64 {
        (-self.low_exp()).max(0)
    }

    /// Digits left of the decimal point once written out (0 for |v| < 1).
    pub fn int_digits(&self) -> i64 {
        if self.is_zero() {
            0
        } else {
            (self.high_exp() + 1).max(0)
        }
    }

    /// Whether `value × 10^scale` fits `Decimal128(38, scale)`.
    pub fn fits_decimal(&self, scale: i64) -> bool {
        self.min_scale() <= scale && self.int_digits().saturating_add(scale) <= DECIMAL_DIGITS
    }

    /// `value × 10^scale` as an `i128`, when it is an integer of at most
    /// 38 digits.
    pub fn to_decimal(self, scale: i64) -> Option<i128> {
        if !self.fits_decimal(scale) {
            return None;
        }
        if self.is_zero() {
            return Some(0);
        }
        let mut v: i128 = 0;
        for d in self.digits() {
            v = v * 10 + i128::from(d);
        }
        let shift = self.low_exp() + scale;
        for _ in 0..shift {
            v *= 10;
        }
        Some(if self.negative { -v } else { v })
    }

    /// Whether two numbers have the same decimal value (`-0` equals `0`).
    pub fn same_value(&self, other: &Decimal<'_>) -> bool {
        if self.is_zero() || other.is_zero() {
            return self.is_zero() && other.is_zero();
        }
        self.negative == other.negative
            && self.low_exp() == other.low_exp()
            && self.digits().eq(other.digits())
    }
}

/// The `i64` of an integer-spelled number, parsed without a float.
#[inline]
pub(crate) fn parse_i64(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = i64::from(d - b'0');
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d)?
        } else {
            v.checked_add(d)?
        };
    }
    Some(v)
}

/// An integer of at most 18 digits at the start of `b` (a cell's text and
/// what follows it), with nothing of a number after it: its value and
/// length. It cannot overflow; longer integers, fractions and exponents
/// are `None`, left to [`parse_i64`] and the rest of the ladder.
#[inline]
pub(crate) fn short_i64(b: &[u8]) -> Option<(i64, usize)> {
    let negative = b.first() == Some(&b'-');
    let start = usize::from(negative);
    let mut i = start;
    let mut v: i64 = 0;
    while let Some(&c) = b.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        if i - start == 18 {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
        i += 1;
    }
    if i == start || matches!(b.get(i), Some(b'.' | b'e' | b'E' | b'+' | b'-')) {
        return None;
    }
    Some((if negative { -v } else { v }, i))
}

/// The `u64` of an integer-spelled non-negative number.
pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.is_empty() || b.len() > 20 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    text.parse().ok()
}

/// The `f64` whose shortest round-trip text has the same decimal value as
/// `text`, if there is one: `0.1`, `1e-7`, `10` and `-0.0` have one;
/// `0.10000000000000000001`, `1e400` and `9007199254740993` do not.
pub(crate) fn exact_f64(text: &str, d: &Decimal<'_>) -> Option<f64> {
    let v: f64 = text.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    if d.is_zero() {
        return Some(v);
    }
    // Any decimal of at most 15 significant digits in the normal range
    // comes back from its nearest f64 (DBL_DIG = 15), so its f64's
    // shortest text is that decimal.
    if d.significant_digits() <= 15 && (-307..=307).contains(&d.high_exp()) {
        return Some(v);
    }
    let mut buf = ryu::Buffer::new();
    let shortest = buf.format_finite(v);
    let back = Decimal::parse(shortest)?;
    back.same_value(d).then_some(v)
}

/// Powers of ten that are exact `f64`s.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// [`exact_f64`] for the common short number without an exponent
/// (`1234.56`, `-0.5`): at most 15 digits, so it is exact in the normal
/// range without taking the number apart. `None` when the text needs the
/// full test.
///
/// The value is computed as Clinger's fast path: the digits as an integer
/// `m < 10^15` and the power `10^k` (`k` fraction digits, at most 15) are
/// both exact `f64`s, and IEEE division rounds `m / 10^k` correctly, so
/// the result is the `f64` nearest the decimal: what `str::parse` gives,
/// without its general machinery.
#[inline]
pub(crate) fn short_exact_f64(text: &str) -> Option<f64> {
    match short_f64(text.as_bytes()) {
        Some((v, len)) if len == text.len() => Some(v),
        _ => None,
    }
}

/// [`short_exact_f64`] of the number at the start of `b` (a walk's text
/// from a cell on): the value and the number's length, read in one look.
/// `None` when the number there is not a short decimal (an exponent, more
/// than 15 digits, or no number).
#[inline]
pub(crate) fn short_f64(b: &[u8]) -> Option<(f64, usize)> {
    let negative = b.first() == Some(&b'-');
    let start = usize::from(negative);
    let mut i = start;
    let mut m: u64 = 0;
    let mut digits = 0usize;
    let mut dot = None;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => {
                if digits == 15 {
                    return None;
                }
                m = m * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if dot.is_none() => dot = Some(digits),
            _ => break,
        }
        i += 1;
    }
    if matches!(b.get(i), Some(b'.' | b'e' | b'E' | b'+' | b'-')) {
        return None;
    }
    let k = match dot {
        None if digits > 0 => 0,
        Some(d) if d > 0 && d < digits => digits - d,
        _ => return None,
    };
    let v = m as f64 / POW10[k];
    Some((if negative { -v } else { v }, i))
}

/// The JSON text of a `Decimal128` value at `scale`, without exponent
/// (`-12.50` for -1250 at scale 2).
pub(crate) fn decimal_text(v: i128, scale: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let scale = scale.max(0) as usize;
    let mut out = String::with_capacity(digits.len() + scale + 3);
    if v < 0 {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        let (a, b) = digits.split_at(digits.len() - scale);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_integers_read_as_parse_i64_reads_them() {
        for (text, after) in [
            ("0", ","),
            ("-0", "]"),
            ("7", ""),
            ("-42", " ,"),
            ("999999999999999999", ","),
            ("-999999999999999999", "]"),
        ] {
            let b = format!("{text}{after}");
            assert_eq!(
                short_i64(b.as_bytes()),
                Some((parse_i64(text).unwrap(), text.len())),
                "{text}"
            );
        }
        for b in [
            "1.5,",
            "1e3]",
            "1E3",
            "-",
            "",
            "x",
            "1000000000000000000",
            "9223372036854775807",
        ] {
            assert_eq!(short_i64(b.as_bytes()), None, "{b}");
        }
    }

    fn d(t: &str) -> Decimal<'_> {
        Decimal::parse(t).unwrap()
    }

    #[test]
    fn parts_of_a_number() {
        let x = d("-12");
        assert!(x.negative);
        let x = d("1.50");
        assert_eq!(
            (x.significant_digits(), x.low_exp(), x.high_exp()),
            (2, -1, 0)
        );
        assert_eq!(x.min_scale(), 1);
        let x = d("1200");
        assert_eq!((x.low_exp(), x.high_exp(), x.int_digits()), (2, 3, 4));
        let x = d("0.05");
        assert_eq!((x.low_exp(), x.high_exp(), x.int_digits()), (-2, -2, 0));
        let x = d("1e-7");
        assert_eq!((x.min_scale(), x.integer_spelled), (7, false));
        assert!(d("-0").is_zero() && d("0.000e5").is_zero());
        assert!(d("12").integer_spelled);
        // Found by the `arrow` fuzz target: a 20-digit exponent overflowed.
        let x = d("-123E567890123456789012345");
        assert_eq!(x.int_digits(), 1_000_000_000_000_000_003);
        assert!(!x.fits_decimal(0));
        assert!(exact_f64("1e-567890123456789012345", &d("1e-567890123456789012345")).is_none());
        for bad in ["", "-", "01", "1.", ".5", "1e", "+1", "1x", "NaN"] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn same_value_ignores_spelling() {
        assert!(d("1.50").same_value(&d("15e-1")));
        assert!(d("-0").same_value(&d("0.0")));
        assert!(d("100").same_value(&d("1E2")));
        assert!(!d("1").same_value(&d("-1")));
        assert!(!d("0.1").same_value(&d("0.10000000000000000001")));
    }

    #[test]
    fn f64_exactness() {
        for t in [
            "0.1",
            "1e-7",
            "10",
            "-0.0",
            "1.5",
            "9007199254740992",
            "5e-324",
            "1.7976931348623157e308",
        ] {
            assert!(exact_f64(t, &d(t)).is_some(), "{t}");
        }
        for t in [
            "0.10000000000000000001",
            "1e400",
            "9007199254740993",
            "1e-400",
            "2.5e-324",
        ] {
            assert!(exact_f64(t, &d(t)).is_none(), "{t}");
        }
        assert!(exact_f64("-0.0", &d("-0.0")).unwrap().is_sign_negative());
        for t in [
            "0.1",
            "-1234.56",
            "123456789012345",
            "0.00000000000001",
            "-0.0",
        ] {
            assert_eq!(short_exact_f64(t), exact_f64(t, &d(t)), "{t}");
        }
        for t in [
            "1e5",
            "1234567890123456",
            "0.000000000000001234",
            "1.",
            ".5",
            "1.2.3",
            "--1",
            "",
        ] {
            assert_eq!(short_exact_f64(t), None, "{t}");
        }
        // From a walk: the number's length, the rest left alone.
        assert_eq!(short_f64(b"-12.5,\"x\"]"), Some((-12.5, 5)));
        assert_eq!(short_f64(b"7]"), Some((7.0, 1)));
        assert_eq!(short_f64(b"1e5,"), None);
        assert_eq!(short_f64(b"1.5.2"), None);
    }

    proptest::proptest! {
        #[test]
        fn short_path_is_what_parse_gives(
            negative: bool, int in 0u64..1_000_000_000_000_000, frac in 0u32..16,
        ) {
            let digits = int.to_string();
            let text = if (frac as usize) < digits.len() && frac > 0 {
                let (a, b) = digits.split_at(digits.len() - frac as usize);
                format!("{}{a}.{b}", if negative { "-" } else { "" })
            } else {
                format!("{}{digits}", if negative { "-" } else { "" })
            };
            let want: f64 = text.parse().unwrap();
            let got = short_exact_f64(&text).unwrap();
            proptest::prop_assert_eq!(got.to_bits(), want.to_bits(), "{}", text);
            proptest::prop_assert_eq!(Some(got), exact_f64(&text, &d(&text)));
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(d("1.50").to_decimal(2), Some(150));
        assert_eq!(d("-12.5").to_decimal(1), Some(-125));
        assert_eq!(d("1e-7").to_decimal(7), Some(1));
        assert_eq!(d("1.05").to_decimal(1), None);
        let big = "12345678901234567890123456789012345678";
        assert_eq!(d(big).to_decimal(0), Some(big.parse().unwrap()));
        assert_eq!(d(big).to_decimal(1), None);
        assert_eq!(
            d("123456789012345678901234567890123456789").to_decimal(0),
            None
        );
        assert_eq!(decimal_text(-1250, 2), "-12.50");
        assert_eq!(decimal_text(5, 3), "0.005");
        assert_eq!(decimal_text(7, 0), "7");
    }

    #[test]
    fn integers() {
        assert_eq!(parse_i64("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64("9223372036854775808"), None);
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64("-1"), None);
        assert_eq!(parse_i64("1.0"), None);
    }
}
