//! Numbers as every output writes them.

/// Significant digits written to CSV: more than any input is known to, few enough to read.
pub const SIGNIFICANT_DIGITS: usize = 9;

/// Formats a number for CSV with `SIGNIFICANT_DIGITS` significant digits, plain decimal
/// notation, trailing zeros trimmed; empty for undefined values.
pub fn num(v: f64) -> String {
    let mut s = Vec::with_capacity(24);
    write_num(&mut s, v);
    String::from_utf8(s).expect("numbers are written in ASCII")
}

/// Powers of ten exactly representable as f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `10^m` for m = -8..=8 (the nearest f64 below 1), the magnitudes `write_num` tells apart,
/// between 0 and infinity. (A static, not a const: indexed at run time, a const array would be
/// copied to the stack on every call.)
static DECADES: [f64; 19] = [
    0.0,
    1e-8,
    1e-7,
    1e-6,
    1e-5,
    1e-4,
    1e-3,
    1e-2,
    1e-1,
    1e0,
    1e1,
    1e2,
    1e3,
    1e4,
    1e5,
    1e6,
    1e7,
    1e8,
    f64::INFINITY,
];

/// Decimals written for a value of magnitude `|v| = a` (finite, above zero): `SIGNIFICANT_DIGITS
/// - 1 - floor(log10(a))`, within 0..=17.
///
/// The magnitude is looked up among `DECADES`; within a hair of a power of ten (1e-9
/// relative, but not on it) `log10` is asked instead, as it may round across it (it gives 3
/// for the double just below 1000), so the decimals are those of `log10` for every value.
fn decimals(a: f64) -> usize {
    // In 1..=18: 0 <= a < infinity.
    let above = DECADES.partition_point(|&d| d <= a);
    let (lower, upper) = (DECADES[above - 1], DECADES[above]);
    let near = (a != lower && a < lower * (1.0 + 1e-9)) || a > upper * (1.0 - 1e-9);
    let magnitude = if near {
        a.log10().floor() as i64
    } else {
        // floor(log10(a)), or -9 below 1e-8: every magnitude from -9 down writes 17 decimals.
        above as i64 - 10
    };
    (SIGNIFICANT_DIGITS as i64 - 1 - magnitude).clamp(0, 17) as usize
}

/// Appends `v` to `out` as `num` formats it.
///
/// Fast path: the digits are those of the integer nearest to `|v| 10^decimals`, computed in
/// floating point. That product is within 3e-7 of the exact one (it is below 1e9 unless
/// `decimals` is 0, when it is exact), so whenever its fractional part is not within 1e-6 of
/// one half, rounding it gives the correctly rounded digits; otherwise (and for magnitudes
/// beyond 2^53) the exact decimal formatting of the standard library decides.
pub fn write_num(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        return;
    }
    if v == 0.0 {
        out.push(b'0');
        return;
    }
    let decimals = decimals(v.abs());
    let x = v.abs() * POW10[decimals];
    if x >= 9.0e15 {
        return write_exact(out, v, decimals);
    }
    // Below 2^53, so the integer part is exact and so is the fraction.
    let whole = x as i64;
    let frac = x - whole as f64;
    if (frac - 0.5).abs() < 1e-6 {
        return write_exact(out, v, decimals);
    }
    let m = (whole + i64::from(frac > 0.5)) as u64;
    if m == 0 {
        out.push(b'0');
        return;
    }
    let mut text = [0u8; 24];
    let start = write_scaled(&mut text, m, decimals, v < 0.0);
    out.extend_from_slice(&text[start..]);
}

/// Writes `m / 10^decimals` (`m` > 0, below 10^16), negated if `negative`, right-aligned in
/// `text` with the fraction's trailing zeros dropped, and returns where it starts.
fn write_scaled(text: &mut [u8; 24], mut m: u64, mut decimals: usize, negative: bool) -> usize {
    while decimals > 0 && m.is_multiple_of(10) {
        m /= 10;
        decimals -= 1;
    }
    let mut start = text.len();
    if decimals > 0 {
        m = write_digits(text, &mut start, m, decimals);
        start -= 1;
        text[start] = b'.';
    }
    // The integer part: at least one digit.
    let int_digits = m.checked_ilog10().map_or(1, |l| l as usize + 1);
    write_digits(text, &mut start, m, int_digits);
    if negative {
        start -= 1;
        text[start] = b'-';
    }
    start
}

/// Writes the last `count` decimal digits of `m` (zero-padded) before `text[*start]`, moves
/// `start` to the first of them and returns `m` without them.
fn write_digits(text: &mut [u8; 24], start: &mut usize, mut m: u64, count: usize) -> u64 {
    const PAIRS: &[u8; 200] = b"\
        0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let end = *start;
    let first = end - count;
    let mut i = end;
    while i >= first + 2 {
        let pair = (m % 100) as usize * 2;
        m /= 100;
        i -= 2;
        text[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if i > first {
        i -= 1;
        text[i] = b'0' + (m % 10) as u8;
        m /= 10;
    }
    *start = first;
    m
}

/// `v` with `decimals` decimals by the standard library's exact rounding, trailing zeros
/// trimmed (and "-0" written as "0").
fn write_exact(out: &mut Vec<u8>, v: f64, decimals: usize) {
    use std::io::Write;
    let start = out.len();
    let _ = write!(out, "{v:.decimals$}");
    if out[start..].contains(&b'.') {
        while out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            out.pop();
        }
    }
    if &out[start..] == b"-0" {
        out.truncate(start);
        out.push(b'0');
    }
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

    /// `write_num` as it was before the decades table and the digit pairs (log10 and floor for
    /// the magnitude, the integer and fraction written separately).
    fn previous(v: f64) -> String {
        use super::POW10;
        let mut out = String::new();
        if !v.is_finite() {
            return out;
        }
        if v == 0.0 {
            return "0".into();
        }
        let a = v.abs();
        let magnitude = a.log10().floor() as i64;
        let decimals = (SIGNIFICANT_DIGITS as i64 - 1 - magnitude).clamp(0, 17) as usize;
        let x = a * POW10[decimals];
        let frac = x - x.floor();
        if x >= 9.0e15 || (frac - 0.5).abs() < 1e-6 {
            return exact(v);
        }
        let m = x.round() as u64;
        if m == 0 {
            return "0".into();
        }
        if v < 0.0 {
            out.push('-');
        }
        let unit = 10u64.pow(decimals as u32);
        let (int, mut frac) = (m / unit, m % unit);
        out.push_str(&int.to_string());
        if frac == 0 {
            return out;
        }
        let mut width = decimals;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        out.push('.');
        let f = frac.to_string();
        out.extend(std::iter::repeat_n('0', width - f.len()));
        out.push_str(&f);
        out
    }

    fn check(v: f64) {
        assert_eq!(num(v), previous(v), "{v:e} ({:#x})", v.to_bits());
        assert_eq!(num(-v), previous(-v), "{:e}", -v);
    }

    #[test]
    fn the_decades_table_gives_log10s_magnitude_on_every_power_of_ten() {
        for (m, d) in (-8..=8).zip(&super::DECADES[1..18]) {
            assert_eq!(d.log10().floor() as i64, m, "{d:e}");
        }
    }

    #[test]
    fn writes_what_it_wrote_before_near_every_power_of_ten_and_half() {
        for e in -30..=30 {
            let p = 10f64.powi(e);
            for base in [
                p,
                p * 0.5,
                p * 5.0,
                p * 2.5,
                p * 9.999_999_995,
                p * 1.000_000_005,
            ] {
                // Every double within 3000 ulps, then steps of growing size out to 1e-6.
                for k in 0..3000u64 {
                    check(f64::from_bits(base.to_bits() + k));
                    check(f64::from_bits(base.to_bits() - k));
                }
                for k in 1..2000 {
                    let r = 1e-15 * 1.01f64.powi(k);
                    if r > 1e-6 {
                        break;
                    }
                    check(base * (1.0 + r));
                    check(base * (1.0 - r));
                }
            }
        }
    }

    #[test]
    fn writes_what_it_wrote_before_on_edge_values() {
        for v in [
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::EPSILON,
            5e-324,
            9.0e15,
            8.999_999_999_999_999e15,
            2f64.powi(53),
            1.0 / 3.0,
            2.0 / 3.0,
            0.1 + 0.2,
            123456789.5,
            12345678.95,
            0.000_000_005,
            0.000_000_015,
            4.999_999_999_5e-9,
            f64::NAN,
            f64::INFINITY,
            0.0,
        ] {
            check(v);
        }
        for i in 0..100_000u64 {
            check(i as f64);
            check(i as f64 / 1000.0);
            check(i as f64 * 0.1);
            check(i as f64 * 1e-9);
        }
    }

    #[test]
    fn writes_what_it_wrote_before_on_random_doubles() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..250_000 {
            // Any bit pattern, and values spread over the decades outputs hold.
            check(f64::from_bits(rng.random()));
            let mantissa: f64 = rng.random_range(1.0..10.0);
            check(mantissa * 10f64.powi(rng.random_range(-12..=16)));
        }
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
