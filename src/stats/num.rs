//! Numbers as every output writes them.

/// Significant digits written to CSV: more than any input is known to, few enough to read.
pub const SIGNIFICANT_DIGITS: usize = 9;

/// Formats a number for CSV with `SIGNIFICANT_DIGITS` significant digits, plain decimal
/// notation, trailing zeros trimmed; empty for undefined values.
pub fn num(v: f64) -> String {
    let mut s = String::new();
    write_num(&mut s, v);
    s
}

/// Powers of ten exactly representable as f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Appends `v` to `out` as `num` formats it.
///
/// Fast path: the digits are those of the integer nearest to `|v| 10^decimals`, computed in
/// floating point. That product is within 3e-7 of the exact one (it is below 1e9 unless
/// `decimals` is 0, when it is exact), so whenever its fractional part is not within 1e-6 of
/// one half, rounding it gives the correctly rounded digits; otherwise (and for magnitudes
/// beyond 2^53) the exact decimal formatting of the standard library decides.
pub fn write_num(out: &mut String, v: f64) {
    if !v.is_finite() {
        return;
    }
    if v == 0.0 {
        out.push('0');
        return;
    }
    let a = v.abs();
    let magnitude = a.log10().floor() as i64;
    let decimals = (SIGNIFICANT_DIGITS as i64 - 1 - magnitude).clamp(0, 17) as usize;
    let x = a * POW10[decimals];
    let frac = x - x.floor();
    if x >= 9.0e15 || (frac - 0.5).abs() < 1e-6 {
        let start = out.len();
        {
            use std::fmt::Write;
            let _ = write!(out, "{v:.decimals$}");
        }
        if out[start..].contains('.') {
            let kept = out[start..]
                .trim_end_matches('0')
                .trim_end_matches('.')
                .len();
            out.truncate(start + kept);
        }
        if &out[start..] == "-0" {
            out.truncate(start);
            out.push('0');
        }
        return;
    }
    let m = x.round() as u64;
    if m == 0 {
        out.push('0');
        return;
    }
    if v < 0.0 {
        out.push('-');
    }
    let unit = 10u64.pow(decimals as u32);
    let (int, mut frac) = (m / unit, m % unit);
    let mut digits = itoa::Buffer::new();
    out.push_str(digits.format(int));
    if frac == 0 {
        return;
    }
    // Drop trailing zeros of the fraction, then left-pad it to its width.
    let mut width = decimals;
    while frac % 10 == 0 {
        frac /= 10;
        width -= 1;
    }
    out.push('.');
    let f = digits.format(frac);
    out.extend(std::iter::repeat_n('0', width - f.len()));
    out.push_str(f);
}

#[cfg(test)]
mod tests {
    use super::{SIGNIFICANT_DIGITS, num};

    #[test]
    fn numbers_are_rounded_to_significant_digits() {
        assert_eq!(num(22500.000000000004), "22500");
        assert_eq!(num(0.0123456789123), "0.0123456789");
        assert_eq!(num(-1e-20), "0");
        assert_eq!(num(1.5e-7), "0.00000015");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(123456789012.0), "123456789012");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(-0.5), "-0.5");
        assert_eq!(num(1e15), "1000000000000000");
    }

    /// The formatting before the fast path: the standard library's exact decimal rounding.
    fn exact(v: f64) -> String {
        if !v.is_finite() {
            return String::new();
        }
        if v == 0.0 {
            return "0".into();
        }
        let magnitude = v.abs().log10().floor() as i64;
        let decimals = (SIGNIFICANT_DIGITS as i64 - 1 - magnitude).clamp(0, 17) as usize;
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s == "-0" { "0".into() } else { s }
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_writes_what_exact_rounding_writes(
            mantissa in -1.0e6f64..1.0e6,
            exp in -25i32..20,
        ) {
            let v = mantissa * 10f64.powi(exp);
            proptest::prop_assert_eq!(num(v), exact(v));
        }

        #[test]
        fn ties_and_short_values_match_too(int in 0u64..2_000_000_000, scale in 0usize..12) {
            // Decimal values with few digits and exact halves at the 9th digit.
            let v = int as f64 / 10f64.powi(scale as i32) + 5e-9;
            proptest::prop_assert_eq!(num(v), exact(v));
            let w = int as f64 / 10f64.powi(scale as i32);
            proptest::prop_assert_eq!(num(w), exact(w));
        }
    }
}
