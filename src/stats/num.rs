//! Numbers as every output writes them.

/// Significant digits written to CSV: more than any input is known to, few enough to read.
pub const SIGNIFICANT_DIGITS: usize = 9;

/// Formats a number for CSV with `SIGNIFICANT_DIGITS` significant digits, plain decimal
/// notation, trailing zeros trimmed; empty for undefined values.
pub fn num(v: f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::num;

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
    }
}
