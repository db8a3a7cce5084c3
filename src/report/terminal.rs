//! Tables and numbers for people reading a terminal: what `reesim run` and the tools print.
//!
//! Numbers follow their unit from the registry: tonnes and other quantities with thousands
//! separators (`1,234,568 t`, `12.3`), shares as percentages (`5.32%`), price indexes with two
//! decimals (`1.85`), US dollars abbreviated (`$1.23 bn`, `$456 M`, `$12,345`), values of
//! 1e15 and more in scientific notation (`1.23e15`), tiny values likewise (`4.2e-5`), never
//! `0.0000`. Columns are as wide as their widest cell or header; colour (bold headers) only
//! when asked for, which callers do on a terminal without `NO_COLOR` ([`colour`]).

use std::io::IsTerminal;

use super::format::{fixed, sig};

/// Values this large or larger are written in scientific notation.
pub const HUGE: f64 = 1e15;

/// Colour on `stream` (stdout or stderr): only on a terminal, and never when `NO_COLOR` is set
/// to anything non-empty (<https://no-color.org>).
pub fn colour(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `v` in scientific notation with three significant digits: `1.23e15`, `-4.5e-7`.
fn scientific(v: f64) -> String {
    let s = format!("{v:.2e}");
    // Rust writes `1.20e15`: drop trailing zeros of the mantissa.
    match s.split_once('e') {
        Some((m, e)) if m.contains('.') => {
            format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => s,
    }
}

/// A plain number: whole with thousands separators from 1,000 up, three significant digits
/// below (`12.3`, `0.0532`), scientific notation from [`HUGE`] up and below 0.001.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        return "-".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..HUGE).contains(&a) {
        scientific(v)
    } else if a >= 1000.0 {
        fixed(v, 0)
    } else {
        sig(v, 3)
    }
}

/// A value in a registry unit, for a table cell (no unit: the header or a unit column says
/// it): shares and probabilities as percentages, price indexes with two decimals, US dollars
/// abbreviated with `$`, everything else as [`number`].
pub fn cell(unit: &str, v: f64) -> String {
    if !v.is_finite() || v.abs() >= HUGE {
        let n = number(v);
        return if unit == "USD" && v.is_finite() {
            format!("${n}")
        } else {
            n
        };
    }
    match unit {
        "share" | "share of runs" => format!("{}%", percent(v * 100.0)),
        "index" => fixed(v, 2),
        "USD" => usd(v),
        _ => number(v),
    }
}

/// A percentage value (already times 100): as [`number`], but never scientific for small
/// shares (`0.001%`), and 0 as `0`.
fn percent(p: f64) -> String {
    if p != 0.0 && p.abs() < 1e-3 {
        "<0.001".into()
    } else {
        number(p)
    }
}

/// US dollars: `$1.23 bn`, `$456 M`, `$12,345`, `-$5 M`.
fn usd(v: f64) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    let body = if a >= 1e9 {
        format!("{} bn", sig(a / 1e9, 3))
    } else if a >= 1e6 {
        format!("{} M", sig(a / 1e6, 3))
    } else {
        number(a)
    };
    format!("{sign}${body}")
}

/// A value with its unit, for prose: `1,234,568 t`, `5.32%`, `$1.23 bn`, `1.85` (an index),
/// `3 months`.
pub fn with_unit(unit: &str, v: f64) -> String {
    let c = cell(unit, v);
    match unit {
        "share" | "share of runs" | "index" | "USD" | "" => c,
        _ if !v.is_finite() => c,
        u => format!("{c} {u}"),
    }
}

/// A column header: the label with its unit in parentheses, if it has one (`mean (t)`); shares
/// read as `%`.
pub fn header(label: &str, unit: &str) -> String {
    match unit {
        "" => label.to_string(),
        "share" => format!("{label} (%)"),
        "share of runs" => format!("{label} (% of runs)"),
        u => format!("{label} ({u})"),
    }
}

/// How a column lines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table of text cells with a header row; columns take the width of their widest cell.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[(&str, Align)]) -> Table {
        Table {
            headers: headers.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty, extra cells are dropped).
    pub fn row(&mut self, cells: Vec<String>) {
        let mut cells = cells;
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as lines (each ending in `\n`), two spaces between columns, no trailing
    /// spaces; headers bold with `colour`.
    pub fn render(&self, colour: bool) -> String {
        let width = |s: &str| s.chars().count();
        let widths: Vec<usize> = self
            .headers
            .iter()
            .enumerate()
            .map(|(i, (h, _))| {
                self.rows
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain([width(h)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &mut dyn Iterator<Item = &str>, bold: bool| {
            let mut s = String::new();
            for (i, c) in cells.enumerate() {
                let (w, align) = (widths[i], self.headers[i].1);
                let pad = " ".repeat(w - width(c));
                if i > 0 {
                    s.push_str("  ");
                }
                let text = if bold && colour {
                    format!("\u{1b}[1m{c}\u{1b}[0m")
                } else {
                    c.to_string()
                };
                match align {
                    Align::Left => {
                        s.push_str(&text);
                        s.push_str(&pad);
                    }
                    Align::Right => {
                        s.push_str(&pad);
                        s.push_str(&text);
                    }
                }
            }
            let mut s = s.trim_end().to_string();
            s.push('\n');
            s
        };
        let mut out = line(&mut self.headers.iter().map(|(h, _)| h.as_str()), true);
        for r in &self.rows {
            out.push_str(&line(&mut r.iter().map(String::as_str), false));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tonnes_by_hand() {
        assert_eq!(with_unit("t", 1_234_567.8), "1,234,568 t");
        assert_eq!(cell("t", 12_345.0), "12,345");
        assert_eq!(cell("t", 999.96), "1,000");
        assert_eq!(cell("t", 12.345), "12.3");
        assert_eq!(cell("t", 0.0), "0");
        assert_eq!(cell("t", -0.0), "0");
        assert_eq!(cell("t", -4_321.4), "-4,321");
        assert_eq!(cell("t", 0.0123), "0.0123");
        // Tiny and huge values in scientific notation, never 0.0000 or 16 digits.
        assert_eq!(cell("t", 0.000042), "4.2e-5");
        assert_eq!(cell("t", 1e308), "1e308");
        assert_eq!(cell("t", 1.234e15), "1.23e15");
        assert_eq!(cell("t", 1e15), "1e15");
        assert_eq!(cell("t", 999_999_999_999_999.0), "999,999,999,999,999");
        assert_eq!(with_unit("t/yr", 2500.0), "2,500 t/yr");
    }

    #[test]
    fn shares_indexes_and_dollars_by_hand() {
        assert_eq!(cell("share", 0.05321), "5.32%");
        assert_eq!(cell("share", 0.5), "50%");
        assert_eq!(cell("share", 1.0), "100%");
        assert_eq!(cell("share", 0.0), "0%");
        assert_eq!(cell("share", 0.000_000_1), "<0.001%");
        assert_eq!(cell("share of runs", 0.25), "25%");
        assert_eq!(cell("index", 1.8549), "1.85");
        assert_eq!(cell("index", 1.0), "1.00");
        assert_eq!(cell("USD", 1_234_567_890.0), "$1.23 bn");
        assert_eq!(cell("USD", 456_000_000.0), "$456 M");
        assert_eq!(cell("USD", 12_345.4), "$12,345");
        assert_eq!(cell("USD", -5_000_000.0), "-$5 M");
        assert_eq!(cell("USD", 2e18), "$2e18");
        assert_eq!(with_unit("months", 3.0), "3 months");
        assert_eq!(cell("months", f64::NAN), "-");
        assert_eq!(cell("months", f64::INFINITY), "inf");
    }

    #[test]
    fn headers_carry_units() {
        assert_eq!(header("mean", "t"), "mean (t)");
        assert_eq!(header("mean", "share"), "mean (%)");
        assert_eq!(header("metric", ""), "metric");
    }

    #[test]
    fn columns_fit_long_names() {
        let mut t = Table::new(&[("metric", Align::Left), ("mean", Align::Right)]);
        t.row(vec![
            "stockpile_min_cover_months_long_name".into(),
            "1,234".into(),
        ]);
        t.row(vec!["x".into(), "5".into()]);
        assert_eq!(
            t.render(false),
            "metric                                 mean\n\
             stockpile_min_cover_months_long_name  1,234\n\
             x                                         5\n"
        );
        assert!(t.render(true).contains("\u{1b}[1mmetric\u{1b}[0m"));
    }
}
