//! Numbers and text as the report shows them: thousands separators, a sensible number of
//! significant digits, percentages, and escaping for HTML and SVG.

/// Escapes text for HTML and SVG (element content and quoted attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; nothing a user means is lost.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A string usable in an `id` attribute: ASCII letters, digits, `-` and `_` only.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Inserts `,` between groups of three digits of the integer part of a formatted number
/// (`-1234567.5` -> `-1,234,567.5`).
pub fn group(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !int.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out.push_str(frac);
    out
}

/// `v` with `decimals` decimals and thousands separators; `-0` shows as `0`.
pub fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
        s[1..].to_string()
    } else {
        s
    };
    group(&s)
}

/// `v` with `sig` significant digits (never fewer than its integer digits, so 12,345 stays
/// whole), trailing zeros after the point dropped, and thousands separators: 9434.8 -> `9,435`,
/// 86.72 -> `86.7`, 0.000773 -> `0.000773`, 6.0 -> `6` (with 3). Not-a-number shows as `-`.
pub fn sig(v: f64, sig: u32) -> String {
    if v.is_nan() {
        return "-".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let decimals = |mag: i32| (sig as i32 - 1 - mag).max(0) as usize;
    let mag = v.abs().log10().floor() as i32;
    let d = decimals(mag);
    // Rounding may carry into the next power of ten (99.96 -> 100.0): one digit fewer then.
    let rounded: f64 = format!("{v:.d$}").parse().unwrap_or(v);
    let s = if rounded.abs() >= 10f64.powi(mag + 1) {
        fixed(v, decimals(mag + 1))
    } else {
        fixed(v, d)
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value of a table: three significant digits.
pub fn num(v: f64) -> String {
    sig(v, 3)
}

/// A share (0.0053) as a percentage with two significant digits (`0.53%`).
pub fn pct(share: f64) -> String {
    if share.is_nan() {
        return "-".into();
    }
    format!("{}%", sig(share * 100.0, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x & 'y'")</script>"#),
            "&lt;script&gt;alert(&quot;x &amp; &#39;y&#39;&quot;)&lt;/script&gt;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{fffd}b");
        assert_eq!(esc("plain text"), "plain text");
    }

    #[test]
    fn slugs_are_plain_ascii() {
        assert_eq!(
            slug("unmet_demand_t[region=rest_of_world]"),
            "unmet_demand_t-region-rest_of_world"
        );
        assert_eq!(slug("A b/c"), "a-b-c");
        assert_eq!(slug("<x>"), "x");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(group("0"), "0");
        assert_eq!(group("999"), "999");
        assert_eq!(group("1000"), "1,000");
        assert_eq!(group("-1234567.25"), "-1,234,567.25");
        assert_eq!(group("123456789012"), "123,456,789,012");
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(fixed(12345.678, 1), "12,345.7");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(num(9434.83063), "9,435");
        assert_eq!(num(86.72), "86.7");
        assert_eq!(num(5.965), "5.96"); // 5.965 is 5.96499... in binary
        assert_eq!(num(0.000773293987), "0.000773");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-1298.9), "-1,299");
        assert_eq!(num(99.96), "100");
        assert_eq!(num(9.999), "10");
        assert_eq!(num(6.0), "6");
        assert_eq!(num(0.02), "0.02");
        assert_eq!(num(1.05), "1.05");
        assert_eq!(num(f64::NAN), "-");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(123456789012.0), "123,456,789,012");
    }

    #[test]
    fn percentages() {
        assert_eq!(pct(0.00530228546), "0.53%");
        assert_eq!(pct(0.0260), "2.6%");
        assert_eq!(pct(0.905), "90%");
        assert_eq!(pct(1.0), "100%");
        assert_eq!(pct(0.0), "0%");
    }
}
