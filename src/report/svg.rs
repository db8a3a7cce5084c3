//! SVG charts for report.html, written directly: linear scales, "nice" ticks, month axes,
//! paths, and three chart kinds (bands and lines over x, histograms, horizontal bars).
//!
//! Why our own module rather than the `plotters` crate's SVG backend: the report needs few
//! chart kinds, but needs them exactly so: tick labels with thousands separators and `YYYY-MM`
//! dates on a calendar axis, ids and `<title>`s on every chart (the page is checked by them),
//! CSS classes instead of inline colours so the page's one stylesheet styles every chart, and
//! no absolute URLs in the page (plotters writes `xmlns="http://..."`, which inline SVG in HTML
//! does not need). plotters would also measure text through a font back end (or estimate it),
//! and bring a dependency tree into a build shared on two cores. The module is a few hundred
//! lines with unit tests for the parts that can be wrong quietly (ticks, scales, bins, paths,
//! escaping), and every piece of text passes through [`esc`].

use std::fmt::Write as _;

use super::format::{esc, fixed};

/// Tick values of an axis: `values` run from the axis' low end to its high end by `step`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    pub step: f64,
    pub values: Vec<f64>,
}

impl Ticks {
    pub fn lo(&self) -> f64 {
        self.values[0]
    }
    pub fn hi(&self) -> f64 {
        self.values[self.values.len() - 1]
    }
}

/// The smallest of 1, 2 or 5 x 10^k that is at least `raw` (1 for a step that is not positive).
pub fn nice_step(raw: f64) -> f64 {
    if !(raw > 0.0 && raw.is_finite()) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= raw * (1.0 - 1e-9) {
            return m * p;
        }
    }
    10.0 * p
}

/// Decimals needed to write multiples of `step` exactly (0.2 -> 1, 0.05 -> 2, 50 -> 0).
pub fn decimals(step: f64) -> usize {
    if !(step > 0.0 && step.is_finite()) {
        return 0;
    }
    (-(step.log10() + 1e-9).floor()).max(0.0) as usize
}

fn clean(v: f64, step: f64) -> f64 {
    let f = 10f64.powi(decimals(step) as i32);
    let r = (v * f).round() / f;
    if r == 0.0 { 0.0 } else { r }
}

/// Ticks covering `[lo, hi]` with about `target` intervals of a nice step, no smaller than
/// `min_step` (1 for counts). An empty or single-valued range is widened around its value.
pub fn nice_ticks(lo: f64, hi: f64, target: usize, min_step: f64) -> Ticks {
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi == lo {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        if lo >= 0.0 && lo - d < 0.0 {
            (lo, hi) = (0.0, hi + d);
        } else {
            (lo, hi) = (lo - d, hi + d);
        }
    }
    let step = nice_step((hi - lo) / target.max(1) as f64).max(min_step);
    let i0 = (lo / step + 1e-9).floor() as i64;
    let i1 = ((hi / step - 1e-9).ceil() as i64).max(i0 + 1);
    let values = (i0..=i1).map(|i| clean(i as f64 * step, step)).collect();
    Ticks { step, values }
}

/// Labels of numeric ticks: thousands separators, the decimals of the step, and `M` or `bn`
/// for axes that reach ten million or a billion.
pub fn tick_labels(t: &Ticks) -> Vec<String> {
    let m = t.values.iter().fold(0f64, |m, v| m.max(v.abs()));
    let (scale, suffix) = if m >= 1e9 {
        (1e9, " bn")
    } else if m >= 1e7 {
        (1e6, " M")
    } else {
        (1.0, "")
    };
    let d = decimals(t.step / scale);
    t.values
        .iter()
        .map(|&v| {
            if v == 0.0 {
                "0".to_string()
            } else {
                format!("{}{suffix}", fixed(v / scale, d))
            }
        })
        .collect()
}

/// Parses `YYYY-MM` into a month count (year * 12 + month - 1).
pub fn parse_month(s: &str) -> Option<i64> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

/// Which months of a calendar axis get a label: at most `max_labels` of them, at whole steps of
/// 1, 2, 3, 6, 12, 24, 60 or 120 months counted from January (so yearly labels fall on
/// January). Returns (index into `dates`, label). Dates that are not `YYYY-MM` are labelled
/// at even index steps instead.
pub fn month_ticks(dates: &[String], max_labels: usize) -> Vec<(usize, String)> {
    let max_labels = max_labels.max(1);
    let parsed: Option<Vec<i64>> = dates.iter().map(|d| parse_month(d)).collect();
    const STEPS: [i64; 8] = [1, 2, 3, 6, 12, 24, 60, 120];
    match parsed {
        Some(months) => {
            for s in STEPS {
                let hits: Vec<usize> = (0..months.len())
                    .filter(|&i| months[i].rem_euclid(s) == 0)
                    .collect();
                if hits.len() <= max_labels && (!hits.is_empty() || s == STEPS[STEPS.len() - 1]) {
                    return hits.into_iter().map(|i| (i, dates[i].clone())).collect();
                }
            }
            Vec::new()
        }
        None => {
            let s = dates.len().div_ceil(max_labels).max(1);
            (0..dates.len())
                .step_by(s)
                .map(|i| (i, dates[i].clone()))
                .collect()
        }
    }
}

/// A linear map from a data interval to a pixel interval.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn at(&self, v: f64) -> f64 {
        if self.d1 == self.d0 {
            (self.r0 + self.r1) / 2.0
        } else {
            self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
        }
    }
}

/// A polyline through the points; a non-finite point breaks it.
pub fn line_path(pts: &[(f64, f64)]) -> String {
    let mut out = String::new();
    let mut pen_down = false;
    for &(x, y) in pts {
        if !(x.is_finite() && y.is_finite()) {
            pen_down = false;
            continue;
        }
        let _ = write!(out, "{}{x:.1},{y:.1}", if pen_down { " L" } else { " M" });
        pen_down = true;
    }
    out.trim_start().to_string()
}

/// A filled band between two lines: one closed outline per run of finite points.
pub fn band_path(x: &[f64], lo: &[f64], hi: &[f64]) -> String {
    let n = x.len().min(lo.len()).min(hi.len());
    let ok = |i: usize| x[i].is_finite() && lo[i].is_finite() && hi[i].is_finite();
    let mut out = String::new();
    let mut i = 0;
    while i < n {
        if !ok(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && ok(i) {
            i += 1;
        }
        let mut pts: Vec<(f64, f64)> = (start..i).map(|j| (x[j], hi[j])).collect();
        pts.extend((start..i).rev().map(|j| (x[j], lo[j])));
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&line_path(&pts));
        out.push_str(" Z");
    }
    out
}

/// Approximate width in pixels of `s` in the charts' 11 px sans-serif.
pub fn text_width(s: &str, px: f64) -> f64 {
    s.chars().count() as f64 * px * 0.6
}

/// Shortens `s` to at most `max` characters with an ellipsis in the middle.
pub fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 5 {
        return s.to_string();
    }
    let keep = max - 1;
    let head: String = s.chars().take(keep / 2).collect();
    let tail: String = s.chars().skip(n - (keep - keep / 2)).collect();
    format!("{head}\u{2026}{tail}")
}

/// Breaks `s` into at most `lines` lines of at most `max` characters at spaces (a word longer
/// than a line is cut); what does not fit ends in an ellipsis.
pub fn wrap(s: &str, max: usize, lines: usize) -> Vec<String> {
    let max = max.max(8);
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let mut word = word.to_string();
        loop {
            let need = if cur.is_empty() { 0 } else { 1 } + word.chars().count();
            if cur.chars().count() + need <= max {
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(&word);
                break;
            }
            if cur.is_empty() {
                // A word longer than a line: cut it.
                let head: String = word.chars().take(max).collect();
                word = word.chars().skip(max).collect();
                out.push(head);
            } else {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    if out.len() > lines {
        let rest = out[lines - 1..].join(" ");
        out.truncate(lines - 1);
        let keep: String = rest.chars().take(max - 1).collect();
        out.push(format!("{keep}\u{2026}"));
    }
    out
}

/// How the x axis reads.
#[derive(Debug, Clone)]
pub enum XAxis {
    /// Plain numbers.
    Numeric,
    /// Calendar months: x values are indices into these `YYYY-MM` dates.
    Months(Vec<String>),
}

/// What a chart draws, in order (later layers on top).
#[derive(Debug, Clone)]
pub enum Layer {
    /// A shaded x range across the whole plot with a label at its top (e.g. a control in force).
    Span { x0: f64, x1: f64, label: String },
    /// A filled band between `lo` and `hi`.
    Band {
        x: Vec<f64>,
        lo: Vec<f64>,
        hi: Vec<f64>,
        class: &'static str,
    },
    Line {
        x: Vec<f64>,
        y: Vec<f64>,
        class: &'static str,
    },
    /// Dots, each with its own class and tooltip.
    Points {
        x: Vec<f64>,
        y: Vec<f64>,
        class: Vec<&'static str>,
        tip: Vec<String>,
    },
    /// A vertical line across the plot, labelled at its top.
    VLine {
        x: f64,
        class: &'static str,
        label: String,
    },
    /// A horizontal line across the plot, labelled at its right end.
    HLine {
        y: f64,
        class: &'static str,
        label: String,
    },
}

/// A legend entry: the class of its swatch, the swatch kind and the text.
#[derive(Debug, Clone)]
pub struct Key {
    pub class: &'static str,
    pub swatch: Swatch,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swatch {
    Area,
    Line,
    Dot,
}

/// A chart of bands, lines and marks over a numeric or calendar x axis.
#[derive(Debug, Clone)]
pub struct XyChart {
    pub id: String,
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    pub x_axis: XAxis,
    pub layers: Vec<Layer>,
    pub legend: Vec<Key>,
    /// Stretch the y axis to include zero.
    pub include_zero: bool,
    pub width: f64,
    pub height: f64,
}

/// Plot area and the common frame of every chart.
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn x_range(&self) -> (f64, f64) {
        (self.left, self.w - self.right)
    }
    fn y_range(&self) -> (f64, f64) {
        (self.h - self.bottom, self.top)
    }
}

/// Opens an `<svg>` with its accessible title, visible title, subtitle and legend; returns the
/// y where the plot may start.
fn open(
    out: &mut String,
    id: &str,
    w: f64,
    h: f64,
    title: &str,
    subtitle: &str,
    legend: &[Key],
) -> f64 {
    let _ = write!(
        out,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{t}</title>"#,
        id = esc(id),
        t = esc(title),
    );
    let mut y = wrapped_text(out, title, "title", w, 13.0, 17.0, 0.0) + 5.0;
    if !subtitle.is_empty() {
        y = wrapped_text(out, subtitle, "subtitle", w, 10.0, 13.0, y) + 4.0;
    }
    if !legend.is_empty() {
        y = legend_row(out, legend, y);
    }
    y
}

/// Writes `text` as at most two `<text class="{class}">` lines wrapped to the chart width `w`
/// at a font of `font_px`, each `line_h` below the last, starting below `y`; returns the
/// baseline of the last line.
fn wrapped_text(
    out: &mut String,
    text: &str,
    class: &str,
    w: f64,
    font_px: f64,
    line_h: f64,
    mut y: f64,
) -> f64 {
    for line in wrap(text, ((w - 16.0) / (font_px * 0.56)) as usize, 2) {
        y += line_h;
        let _ = write!(
            out,
            r#"<text class="{class}" x="8" y="{y}">{}</text>"#,
            esc(&line)
        );
    }
    y
}

/// Writes the legend as one row of swatches and texts below `y`; returns the y below it.
fn legend_row(out: &mut String, legend: &[Key], y: f64) -> f64 {
    let mut x = 8.0;
    let ly = y + 10.0;
    for k in legend {
        swatch(out, k, x, ly);
        let _ = write!(
            out,
            r#"<text class="legend" x="{:.1}" y="{ly:.1}">{}</text>"#,
            x + 18.0,
            esc(&k.text)
        );
        x += 18.0 + text_width(&k.text, 10.0) + 14.0;
    }
    ly + 4.0
}

/// Writes the swatch of a legend entry at `x`, for text on the baseline `ly`.
fn swatch(out: &mut String, k: &Key, x: f64, ly: f64) {
    match k.swatch {
        Swatch::Area => {
            let _ = write!(
                out,
                r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="14" height="9"/>"#,
                k.class,
                ly - 8.0
            );
        }
        Swatch::Line => {
            let _ = write!(
                out,
                r#"<line class="{}" x1="{x:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/>"#,
                k.class,
                x + 14.0,
                ly - 3.5,
                ly - 3.5
            );
        }
        Swatch::Dot => {
            let _ = write!(
                out,
                r#"<circle class="{}" cx="{:.1}" cy="{:.1}" r="3.5"/>"#,
                k.class,
                x + 7.0,
                ly - 3.5
            );
        }
    }
}

/// Grid, axes, tick labels and axis labels. `x_ticks`: (pixel x, label).
fn axes(
    out: &mut String,
    f: &Frame,
    y_scale: &Scale,
    y_ticks: &Ticks,
    x_ticks: &[(f64, String)],
    x_label: &str,
    y_label: &str,
) {
    let (x0, x1) = f.x_range();
    let (y0, y1) = f.y_range();
    out.push_str(r#"<g class="grid">"#);
    for v in &y_ticks.values {
        let y = y_scale.at(*v);
        let _ = write!(
            out,
            r#"<line x1="{x0:.1}" x2="{x1:.1}" y1="{y:.1}" y2="{y:.1}"/>"#
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        r#"<path class="axis" d="M{x0:.1},{y1:.1} L{x0:.1},{y0:.1} L{x1:.1},{y0:.1}"/>"#
    );
    for (v, label) in y_ticks.values.iter().zip(tick_labels(y_ticks)) {
        let y = y_scale.at(*v);
        let _ = write!(
            out,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x0 - 5.0,
            y + 3.5,
            esc(&label)
        );
    }
    for (x, label) in x_ticks {
        let _ = write!(
            out,
            r#"<line class="axis" x1="{x:.1}" x2="{x:.1}" y1="{y0:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            y0 + 4.0,
            y0 + 15.0,
            esc(label)
        );
    }
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        (x0 + x1) / 2.0,
        f.h - 6.0,
        esc(x_label)
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate(12,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (y0 + y1) / 2.0,
        esc(y_label)
    );
}

/// Left margin that fits the y tick labels.
fn left_margin(y_ticks: &Ticks) -> f64 {
    let widest = tick_labels(y_ticks)
        .iter()
        .map(|l| text_width(l, 11.0))
        .fold(0.0, f64::max);
    (widest + 30.0).max(48.0)
}

impl XyChart {
    fn x_values(&self) -> impl Iterator<Item = f64> + '_ {
        self.layers
            .iter()
            .flat_map(|l| -> Box<dyn Iterator<Item = f64> + '_> {
                match l {
                    Layer::Band { x, .. } | Layer::Line { x, .. } | Layer::Points { x, .. } => {
                        Box::new(x.iter().copied())
                    }
                    Layer::VLine { x, .. } => Box::new(std::iter::once(*x)),
                    Layer::Span { .. } | Layer::HLine { .. } => Box::new(std::iter::empty()),
                }
            })
    }

    fn y_values(&self) -> impl Iterator<Item = f64> + '_ {
        self.layers
            .iter()
            .flat_map(|l| -> Box<dyn Iterator<Item = f64> + '_> {
                match l {
                    Layer::Band { lo, hi, .. } => Box::new(lo.iter().chain(hi).copied()),
                    Layer::Line { y, .. } | Layer::Points { y, .. } => Box::new(y.iter().copied()),
                    Layer::HLine { y, .. } => Box::new(std::iter::once(*y)),
                    Layer::Span { .. } | Layer::VLine { .. } => Box::new(std::iter::empty()),
                }
            })
    }

    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let y_ticks = self.y_ticks();
        let mut out = String::new();
        let top = open(
            &mut out,
            &self.id,
            self.width,
            self.height,
            &self.title,
            &self.subtitle,
            &self.legend,
        ) + 8.0;
        let f = self.frame(&y_ticks, top);
        let (px0, px1) = f.x_range();
        let (py0, py1) = f.y_range();
        let ys = Scale {
            d0: y_ticks.lo(),
            d1: y_ticks.hi(),
            r0: py0,
            r1: py1,
        };
        let (xs, x_ticks) = self.x_scale(px0, px1);
        axes(
            &mut out,
            &f,
            &ys,
            &y_ticks,
            &x_ticks,
            &self.x_label,
            &self.y_label,
        );
        let plot = Plot {
            xs,
            ys,
            px0,
            px1,
            py0,
            py1,
        };
        plot.open_clip(&mut out, &self.id);
        let mut labels = Labels {
            svg: String::new(),
            vline_y: py1 + 11.0,
            span_y: py1 - 1.0,
        };
        for l in &self.layers {
            plot.layer(&mut out, &mut labels, l);
        }
        out.push_str("</g>");
        out.push_str(&labels.svg);
        out.push_str("</svg>");
        out
    }

    /// Ticks of the y axis: over every finite y of the layers, and zero if `include_zero`.
    fn y_ticks(&self) -> Ticks {
        let (mut ylo, mut yhi) = finite_range(self.y_values());
        if self.include_zero {
            ylo = ylo.min(0.0);
            yhi = yhi.max(0.0);
        }
        nice_ticks(ylo, yhi, 5, 0.0)
    }

    /// The frame: a left margin that fits the y tick labels, the plot starting at `top`.
    fn frame(&self, y_ticks: &Ticks, top: f64) -> Frame {
        Frame {
            w: self.width,
            h: self.height,
            left: left_margin(y_ticks),
            right: match self.x_axis {
                // Room for half the last tick label.
                XAxis::Numeric => 30.0,
                XAxis::Months(_) => 24.0,
            },
            top,
            bottom: 42.0,
        }
    }

    /// The x scale onto the pixels `px0..px1`, and its ticks as (pixel x, label).
    fn x_scale(&self, px0: f64, px1: f64) -> (Scale, Vec<(f64, String)>) {
        match &self.x_axis {
            XAxis::Months(dates) => month_scale(dates, px0, px1),
            XAxis::Numeric => {
                let (xlo, xhi) = finite_range(self.x_values());
                numeric_scale(xlo, xhi, px0, px1)
            }
        }
    }
}

/// The smallest and largest finite value (infinities when there is none).
fn finite_range(it: impl Iterator<Item = f64>) -> (f64, f64) {
    it.filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        })
}

/// A calendar x scale: index `i` of `dates` onto `px0..px1`, with as many month labels as fit.
fn month_scale(dates: &[String], px0: f64, px1: f64) -> (Scale, Vec<(f64, String)>) {
    let max_labels = (((px1 - px0) / 62.0).floor() as usize).max(2);
    let xs = Scale {
        d0: 0.0,
        d1: (dates.len().max(2) - 1) as f64,
        r0: px0,
        r1: px1,
    };
    let t = month_ticks(dates, max_labels)
        .into_iter()
        .map(|(i, l)| (xs.at(i as f64), l))
        .collect();
    (xs, t)
}

/// A numeric x scale over nice ticks around `xlo..xhi`, as many as the widest label allows.
fn numeric_scale(xlo: f64, xhi: f64, px0: f64, px1: f64) -> (Scale, Vec<(f64, String)>) {
    let widest = [xlo, xhi]
        .iter()
        .map(|v| text_width(&fixed(*v, 0), 11.0))
        .fold(0.0, f64::max);
    let target = (((px1 - px0) / (widest + 36.0)).floor() as usize).clamp(2, 8);
    let t = nice_ticks(xlo, xhi, target, 0.0);
    let xs = Scale {
        d0: t.lo(),
        d1: t.hi(),
        r0: px0,
        r1: px1,
    };
    let labels = tick_labels(&t);
    let ticks = t.values.iter().map(|v| xs.at(*v)).zip(labels).collect();
    (xs, ticks)
}

/// Where the layers of an [`XyChart`] are drawn: its scales and the plot's pixel edges
/// (`py0` is the bottom, `py1` the top).
struct Plot {
    xs: Scale,
    ys: Scale,
    px0: f64,
    px1: f64,
    py0: f64,
    py1: f64,
}

/// Text drawn after every layer (so no band covers it), and the y of the next label of a span
/// and of a vertical mark: they stack downwards so that near ones do not overlap.
struct Labels {
    svg: String,
    vline_y: f64,
    span_y: f64,
}

impl Plot {
    /// Pixel x of each value.
    fn px(&self, x: &[f64]) -> Vec<f64> {
        x.iter().map(|v| self.xs.at(*v)).collect()
    }

    /// Pixel y of each value.
    fn py(&self, y: &[f64]) -> Vec<f64> {
        y.iter().map(|v| self.ys.at(*v)).collect()
    }

    /// Opens the group that clips the layers to the plot (with 5 px to spare).
    fn open_clip(&self, out: &mut String, id: &str) {
        let clip = format!("{}-plot", esc(id));
        let _ = write!(
            out,
            r#"<clipPath id="{clip}"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/></clipPath><g clip-path="url(#{clip})">"#,
            self.px0 - 5.0,
            self.py1 - 5.0,
            self.px1 - self.px0 + 10.0,
            self.py0 - self.py1 + 10.0
        );
    }

    /// Draws one layer into `out`, its label (if any) into `labels`.
    fn layer(&self, out: &mut String, labels: &mut Labels, l: &Layer) {
        match l {
            Layer::Span { x0, x1, label } => self.span(out, labels, *x0, *x1, label),
            Layer::Band { x, lo, hi, class } => {
                let _ = write!(
                    out,
                    r#"<path class="{class}" d="{}"/>"#,
                    band_path(&self.px(x), &self.py(lo), &self.py(hi))
                );
            }
            Layer::Line { x, y, class } => {
                let pts: Vec<(f64, f64)> = self.px(x).into_iter().zip(self.py(y)).collect();
                let _ = write!(out, r#"<path class="{class}" d="{}"/>"#, line_path(&pts));
            }
            Layer::Points { x, y, class, tip } => self.points(out, x, y, class, tip),
            Layer::VLine { x, class, label } => self.vline(out, labels, *x, class, label),
            Layer::HLine { y, class, label } => self.hline(out, labels, *y, class, label),
        }
    }

    /// A shaded x range over the plot's full height, labelled at its top left.
    fn span(&self, out: &mut String, labels: &mut Labels, x0: f64, x1: f64, label: &str) {
        let (py0, py1) = (self.py0, self.py1);
        labels.span_y += 12.0;
        let (a, b) = (self.xs.at(x0).max(self.px0), self.xs.at(x1).min(self.px1));
        if b > a {
            let _ = write!(
                out,
                r#"<rect class="span" x="{a:.1}" y="{py1:.1}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
                b - a,
                py0 - py1,
                esc(label)
            );
            let _ = write!(
                labels.svg,
                r#"<text class="span-label" x="{:.1}" y="{:.1}">{}</text>"#,
                a + 3.0,
                labels.span_y,
                esc(label)
            );
        }
    }

    /// Dots with their own classes (default `dot`) and tooltips; non-finite ones are skipped.
    fn points(&self, out: &mut String, x: &[f64], y: &[f64], class: &[&str], tip: &[String]) {
        for i in 0..x.len().min(y.len()) {
            let (cx, cy) = (self.xs.at(x[i]), self.ys.at(y[i]));
            if cx.is_finite() && cy.is_finite() {
                let _ = write!(
                    out,
                    r#"<circle class="{}" cx="{cx:.1}" cy="{cy:.1}" r="3.5"><title>{}</title></circle>"#,
                    class.get(i).copied().unwrap_or("dot"),
                    esc(tip.get(i).map_or("", |s| s.as_str()))
                );
            }
        }
    }

    /// A vertical mark over the plot, labelled at its top on the side towards the middle.
    fn vline(&self, out: &mut String, labels: &mut Labels, x: f64, class: &str, label: &str) {
        let (py0, py1) = (self.py0, self.py1);
        let cx = self.xs.at(x);
        if cx.is_finite() {
            let _ = write!(
                out,
                r#"<line class="{class}" x1="{cx:.1}" x2="{cx:.1}" y1="{py0:.1}" y2="{py1:.1}"/>"#
            );
            let anchor = if cx > (self.px0 + self.px1) / 2.0 {
                ("end", cx - 3.0)
            } else {
                ("start", cx + 3.0)
            };
            let _ = write!(
                labels.svg,
                r#"<text class="mark-label" x="{:.1}" y="{:.1}" text-anchor="{}">{}</text>"#,
                anchor.1,
                labels.vline_y,
                anchor.0,
                esc(label)
            );
            labels.vline_y += 12.0;
        }
    }

    /// A horizontal mark across the plot, labelled above its right end.
    fn hline(&self, out: &mut String, labels: &mut Labels, y: f64, class: &str, label: &str) {
        let (px0, px1) = (self.px0, self.px1);
        let cy = self.ys.at(y);
        if cy.is_finite() {
            let _ = write!(
                out,
                r#"<line class="{class}" x1="{px0:.1}" x2="{px1:.1}" y1="{cy:.1}" y2="{cy:.1}"/>"#
            );
            let _ = write!(
                labels.svg,
                r#"<text class="mark-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                px1 - 3.0,
                cy - 4.0,
                esc(label)
            );
        }
    }
}

/// Bin edges and counts of a histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Bins {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

/// Bins the finite values: one bin per whole number when every value is whole and they span at
/// most 60, else about `target` bins of a nice width starting at a multiple of it. The top
/// edge is closed (the maximum falls in the last bin).
pub fn bins(values: &[f64], target: usize) -> Bins {
    let v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return Bins {
            edges: Vec::new(),
            counts: Vec::new(),
        };
    }
    let (min, max) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let (start, step, n) = if v.iter().all(|x| x.fract() == 0.0) && max - min <= 60.0 {
        (min - 0.5, 1.0, (max - min) as usize + 1)
    } else if max == min {
        let w = nice_step(min.abs() / 10.0);
        (min - w / 2.0, w, 1)
    } else {
        let step = nice_step((max - min) / target.max(1) as f64);
        let start = (min / step + 1e-9).floor() * step;
        let n = (((max - start) / step - 1e-9).ceil() as usize).max(1);
        (start, step, n)
    };
    let mut counts = vec![0u64; n];
    for x in v {
        let i = (((x - start) / step).floor().max(0.0) as usize).min(n - 1);
        counts[i] += 1;
    }
    let edges = (0..=n)
        .map(|i| clean(start + i as f64 * step, step / 2.0))
        .collect();
    Bins { edges, counts }
}

/// A histogram of values with marks (e.g. median and 90% interval).
#[derive(Debug, Clone)]
pub struct Histogram {
    pub id: String,
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub values: Vec<f64>,
    /// (x, class, label) vertical marks.
    pub marks: Vec<(f64, &'static str, String)>,
    pub width: f64,
    pub height: f64,
}

impl Histogram {
    /// The histogram as an `<svg>` element.
    pub fn svg(&self) -> String {
        let b = bins(&self.values, 24);
        let max_count = b.counts.iter().copied().max().unwrap_or(0) as f64;
        let y_ticks = nice_ticks(0.0, max_count.max(1.0), 4, 1.0);
        let mut out = String::new();
        let top = open(
            &mut out,
            &self.id,
            self.width,
            self.height,
            &self.title,
            &self.subtitle,
            &self.legend(),
        ) + 8.0;
        let f = Frame {
            w: self.width,
            h: self.height,
            left: left_margin(&y_ticks),
            right: 30.0,
            top,
            bottom: 42.0,
        };
        let (px0, px1) = f.x_range();
        let (py0, py1) = f.y_range();
        let ys = Scale {
            d0: 0.0,
            d1: y_ticks.hi(),
            r0: py0,
            r1: py1,
        };
        let (xs, x_ticks) = bin_scale(&b, px0, px1);
        axes(&mut out, &f, &ys, &y_ticks, &x_ticks, &self.x_label, "runs");
        bin_rects(&mut out, &b, &xs, &ys, py0);
        for (x, class, _) in &self.marks {
            let cx = xs.at(*x);
            if cx.is_finite() {
                let _ = write!(
                    out,
                    r#"<line class="{class}" x1="{cx:.1}" x2="{cx:.1}" y1="{py0:.1}" y2="{py1:.1}"/>"#
                );
            }
        }
        out.push_str("</svg>");
        out
    }

    /// A line swatch for each mark that has a label.
    fn legend(&self) -> Vec<Key> {
        self.marks
            .iter()
            .filter(|(_, _, label)| !label.is_empty())
            .map(|(_, class, label)| Key {
                class,
                swatch: Swatch::Line,
                text: label.clone(),
            })
            .collect()
    }
}

/// The x scale of a histogram onto `px0..px1`, covering every bin, and its ticks as (pixel x,
/// label); whole-number bins get whole-number ticks at their middles.
fn bin_scale(b: &Bins, px0: f64, px1: f64) -> (Scale, Vec<(f64, String)>) {
    let (lo, hi) = match (b.edges.first(), b.edges.last()) {
        (Some(a), Some(z)) => (*a, *z),
        _ => (0.0, 1.0),
    };
    let whole = b.edges.len() >= 2 && (b.edges[1] - b.edges[0] - 1.0).abs() < 1e-12;
    let target = (((px1 - px0) / 70.0).floor() as usize).clamp(2, 8);
    let xt = if whole {
        nice_ticks(lo + 0.5, hi - 0.5, target, 1.0)
    } else {
        nice_ticks(lo, hi, target, 0.0)
    };
    let xs = Scale {
        d0: xt.lo().min(lo),
        d1: xt.hi().max(hi),
        r0: px0,
        r1: px1,
    };
    let x_ticks = xt
        .values
        .iter()
        .map(|v| xs.at(*v))
        .zip(tick_labels(&xt))
        .collect();
    (xs, x_ticks)
}

/// The bars of a histogram down to the baseline `py0`, each with its count and range as a
/// tooltip; empty bins draw nothing.
fn bin_rects(out: &mut String, b: &Bins, xs: &Scale, ys: &Scale, py0: f64) {
    out.push_str(r#"<g class="hist">"#);
    for (i, c) in b.counts.iter().enumerate() {
        if *c == 0 {
            continue;
        }
        let (a, z) = (xs.at(b.edges[i]), xs.at(b.edges[i + 1]));
        let y = ys.at(*c as f64);
        let _ = write!(
            out,
            r#"<rect x="{a:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{} runs in [{}, {}]</title></rect>"#,
            (z - a).max(1.0),
            py0 - y,
            c,
            super::format::num(b.edges[i]),
            super::format::num(b.edges[i + 1])
        );
    }
    out.push_str("</g>");
}

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Text after the value (e.g. why a value is missing).
    pub note: String,
}

/// Horizontal bars from zero, labelled on the left (a tornado chart when values have both
/// signs).
#[derive(Debug, Clone)]
pub struct HBars {
    pub id: String,
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub bars: Vec<Bar>,
    /// The axis from -m to m (correlations) instead of from the data.
    pub symmetric: bool,
    pub width: f64,
}

impl HBars {
    /// Height of the chart: its header, 22 px a bar and the x axis.
    pub fn height(&self) -> f64 {
        let head = if self.subtitle.is_empty() { 30.0 } else { 46.0 };
        head + 22.0 * self.bars.len().max(1) as f64 + 44.0
    }

    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let h = self.height();
        let mut out = String::new();
        let top = open(
            &mut out,
            &self.id,
            self.width,
            h,
            &self.title,
            &self.subtitle,
            &[],
        ) + 8.0;
        let (left, labels) = self.labels();
        let f = Frame {
            w: self.width,
            h,
            left,
            right: 56.0,
            top,
            bottom: 42.0,
        };
        let (px0, px1) = f.x_range();
        let (py0, _) = f.y_range();
        let xt = self.x_ticks();
        let xs = Scale {
            d0: xt.lo(),
            d1: xt.hi(),
            r0: px0,
            r1: px1,
        };
        self.x_axis(&mut out, &f, &xt, &xs);
        let zero = xs.at(0.0);
        for (i, (b, label)) in self.bars.iter().zip(&labels).enumerate() {
            let y = top + 22.0 * i as f64;
            let _ = write!(
                out,
                r#"<text class="bar-label" x="{:.1}" y="{:.1}" text-anchor="end">{}<title>{}</title></text>"#,
                px0 - 6.0,
                y + 14.0,
                esc(label),
                esc(&b.label)
            );
            bar(&mut out, b, &xs, zero, y);
        }
        let _ = write!(
            out,
            r#"<line class="axis" x1="{zero:.1}" x2="{zero:.1}" y1="{top:.1}" y2="{py0:.1}"/>"#
        );
        out.push_str("</svg>");
        out
    }

    /// The left margin and the bar labels that fit it: labels get at most 55% of the width;
    /// longer ones lose their middle.
    fn labels(&self) -> (f64, Vec<String>) {
        let left = (self
            .bars
            .iter()
            .map(|b| text_width(&b.label, 11.0))
            .fold(60.0, f64::max)
            + 16.0)
            .min(self.width * 0.55);
        let fit = ((left - 16.0) / text_width("x", 11.0)).floor() as usize;
        let labels = self.bars.iter().map(|b| shorten(&b.label, fit)).collect();
        (left, labels)
    }

    /// Ticks of the x axis: from -m to m if `symmetric`, else over the values and zero.
    fn x_ticks(&self) -> Ticks {
        let m = self
            .bars
            .iter()
            .map(|b| b.value)
            .filter(|v| v.is_finite())
            .fold(0.0, |m: f64, v| m.max(v.abs()));
        let min = self
            .bars
            .iter()
            .map(|b| b.value)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::min);
        if self.symmetric {
            let t = nice_ticks(0.0, m.max(1e-12), 2, 0.0);
            nice_ticks(-t.hi(), t.hi(), 4, 0.0)
        } else {
            nice_ticks(min, m.max(1e-12), 5, 0.0)
        }
    }

    /// Vertical grid lines at the x ticks, their labels and the x axis label.
    fn x_axis(&self, out: &mut String, f: &Frame, xt: &Ticks, xs: &Scale) {
        let (px0, px1) = f.x_range();
        let (py0, top) = f.y_range();
        out.push_str(r#"<g class="grid">"#);
        for v in &xt.values {
            let x = xs.at(*v);
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" x2="{x:.1}" y1="{top:.1}" y2="{py0:.1}"/>"#
            );
        }
        out.push_str("</g>");
        for (v, l) in xt.values.iter().zip(tick_labels(xt)) {
            let _ = write!(
                out,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                xs.at(*v),
                py0 + 15.0,
                esc(&l)
            );
        }
        let _ = write!(
            out,
            r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            (px0 + px1) / 2.0,
            f.h - 6.0,
            esc(&self.x_label)
        );
    }
}

/// One bar from `zero` (pixel x) in the row at `y`, with its value (and note) at its end; a
/// non-finite value draws only its note, or "undefined".
fn bar(out: &mut String, b: &Bar, xs: &Scale, zero: f64, y: f64) {
    if !b.value.is_finite() {
        let _ = write!(
            out,
            r#"<text class="bar-value" x="{:.1}" y="{:.1}">{}</text>"#,
            zero + 4.0,
            y + 14.0,
            esc(if b.note.is_empty() {
                "undefined"
            } else {
                &b.note
            })
        );
        return;
    }
    let x = xs.at(b.value);
    let (a, z) = if x < zero { (x, zero) } else { (zero, x) };
    let class = if b.value < 0.0 { "bar-neg" } else { "bar-pos" };
    let _ = write!(
        out,
        r#"<rect class="{class}" x="{a:.1}" y="{:.1}" width="{:.1}" height="15"><title>{}: {}</title></rect>"#,
        y + 3.0,
        (z - a).max(0.5),
        esc(&b.label),
        super::format::sig(b.value, 3)
    );
    let (tx, anchor) = if b.value < 0.0 {
        (a - 4.0, "end")
    } else {
        (z + 4.0, "start")
    };
    let _ = write!(
        out,
        r#"<text class="bar-value" x="{tx:.1}" y="{:.1}" text-anchor="{anchor}">{}{}</text>"#,
        y + 14.0,
        esc(&super::format::sig(b.value, 2)),
        esc(&b.note)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(t: &Ticks) -> Vec<f64> {
        t.values.clone()
    }

    #[test]
    fn nice_steps_are_1_2_5_times_a_power_of_ten() {
        assert_eq!(nice_step(7.4), 10.0);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.2), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(0.18), 0.2);
        assert_eq!(nice_step(4400.0), 5000.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }

    #[test]
    fn ticks_for_hand_computed_ranges() {
        // (37 - 0) / 5 = 7.4 -> step 10.
        assert_eq!(
            vals(&nice_ticks(0.0, 37.0, 5, 0.0)),
            [0., 10., 20., 30., 40.]
        );
        // 1 / 5 = 0.2; multiples written exactly (no 0.6000000000000001).
        assert_eq!(
            vals(&nice_ticks(0.0, 1.0, 5, 0.0)),
            [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        );
        // 0.6 / 0.2 is 2.9999999999999996 in binary: still starts at 0.6.
        assert_eq!(vals(&nice_ticks(0.6, 1.0, 2, 0.0)), [0.6, 0.8, 1.0]);
        // (17208 - 1299) / 5 = 3181.8 -> 5000: 0, 5000, 10000, 15000, 20000.
        assert_eq!(
            vals(&nice_ticks(1299.0, 17208.0, 5, 0.0)),
            [0., 5000., 10000., 15000., 20000.]
        );
        // Negative to positive: -0.6 .. 0.4 by 0.2.
        assert_eq!(
            vals(&nice_ticks(-0.59, 0.39, 5, 0.0)),
            [-0.6, -0.4, -0.2, 0.0, 0.2, 0.4]
        );
        // Counts: never a step below 1.
        assert_eq!(vals(&nice_ticks(0.0, 3.0, 5, 1.0)), [0., 1., 2., 3.]);
        // A single value is widened; zero to 1.
        assert_eq!(vals(&nice_ticks(0.0, 0.0, 5, 0.0)).first(), Some(&0.0));
        assert_eq!(vals(&nice_ticks(0.0, 0.0, 5, 0.0)).last(), Some(&1.0));
        let t = nice_ticks(5.0, 5.0, 4, 0.0);
        assert!(t.lo() < 5.0 && t.hi() > 5.0, "{t:?}");
        // Reversed and non-finite input.
        assert_eq!(
            vals(&nice_ticks(37.0, 0.0, 5, 0.0)),
            [0., 10., 20., 30., 40.]
        );
        assert_eq!(vals(&nice_ticks(f64::NAN, 1.0, 5, 0.0)).last(), Some(&1.0));
    }

    #[test]
    fn tick_labels_group_thousands_and_use_the_steps_decimals() {
        let t = nice_ticks(0.0, 17208.0, 5, 0.0);
        assert_eq!(
            tick_labels(&t),
            ["0", "5,000", "10,000", "15,000", "20,000"]
        );
        let t = nice_ticks(0.0, 1.0, 5, 0.0);
        assert_eq!(tick_labels(&t), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        let t = nice_ticks(0.0, 3.2e9, 4, 0.0);
        assert_eq!(t.step, 1e9);
        assert_eq!(tick_labels(&t), ["0", "1 bn", "2 bn", "3 bn", "4 bn"]);
        let t = nice_ticks(0.0, 2.3e7, 4, 0.0);
        assert_eq!(tick_labels(&t), ["0", "10 M", "20 M", "30 M"]);
        let t = nice_ticks(0.0, 3.2e10, 4, 0.0);
        assert_eq!(tick_labels(&t), ["0", "10 bn", "20 bn", "30 bn", "40 bn"]);
        let t = nice_ticks(-0.5, 0.5, 4, 0.0);
        assert_eq!(tick_labels(&t), ["-0.5", "0", "0.5"]);
    }

    #[test]
    fn decimals_of_steps() {
        assert_eq!(decimals(10.0), 0);
        assert_eq!(decimals(1.0), 0);
        assert_eq!(decimals(0.2), 1);
        assert_eq!(decimals(0.05), 2);
        assert_eq!(decimals(0.001), 3);
    }

    fn dates(start_year: i64, start_month: i64, n: usize) -> Vec<String> {
        (0..n as i64)
            .map(|i| {
                let m = start_year * 12 + start_month - 1 + i;
                format!("{:04}-{:02}", m / 12, m % 12 + 1)
            })
            .collect()
    }

    #[test]
    fn month_axis_labels_january_of_each_year_for_five_years() {
        let d = dates(2025, 1, 60);
        let t = month_ticks(&d, 7);
        assert_eq!(
            t,
            [
                (0, "2025-01".to_string()),
                (12, "2026-01".to_string()),
                (24, "2027-01".to_string()),
                (36, "2028-01".to_string()),
                (48, "2029-01".to_string()),
            ]
        );
        // Two years from March: quarters would be 8 labels, so half-years (January, July).
        let d = dates(2025, 3, 24);
        let t: Vec<String> = month_ticks(&d, 7).into_iter().map(|(_, l)| l).collect();
        assert_eq!(t, ["2025-07", "2026-01", "2026-07", "2027-01"]);
        // Short: every month.
        let d = dates(2025, 11, 4);
        assert_eq!(month_ticks(&d, 7).len(), 4);
        // Not dates: evenly spaced indices.
        let d: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
        let t: Vec<usize> = month_ticks(&d, 5).into_iter().map(|(i, _)| i).collect();
        assert_eq!(t, [0, 2, 4, 6, 8]);
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("2025-01"), Some(2025 * 12));
    }

    #[test]
    fn scale_maps_linearly_and_flips_for_y() {
        let s = Scale {
            d0: 0.0,
            d1: 40.0,
            r0: 200.0,
            r1: 0.0,
        };
        assert_eq!(s.at(0.0), 200.0);
        assert_eq!(s.at(40.0), 0.0);
        assert_eq!(s.at(10.0), 150.0);
        let flat = Scale {
            d0: 1.0,
            d1: 1.0,
            r0: 0.0,
            r1: 10.0,
        };
        assert_eq!(flat.at(1.0), 5.0);
    }

    #[test]
    fn paths_break_at_missing_points() {
        assert_eq!(
            line_path(&[(0.0, 1.0), (2.0, 3.0), (f64::NAN, 1.0), (4.0, 5.0)]),
            "M0.0,1.0 L2.0,3.0 M4.0,5.0"
        );
        assert_eq!(
            band_path(&[0.0, 1.0], &[0.0, 0.5], &[2.0, 3.0]),
            "M0.0,2.0 L1.0,3.0 L1.0,0.5 L0.0,0.0 Z"
        );
        assert_eq!(
            band_path(&[0.0, 1.0, 2.0], &[0.0, f64::NAN, 1.0], &[1.0, 1.0, 2.0]),
            "M0.0,1.0 L0.0,0.0 Z M2.0,2.0 L2.0,1.0 Z"
        );
        assert_eq!(line_path(&[]), "");
    }

    #[test]
    fn whole_numbers_get_one_bin_each() {
        let b = bins(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0], 24);
        assert_eq!(b.edges, [0.5, 1.5, 2.5, 3.5]);
        assert_eq!(b.counts, [1, 2, 3]);
        let b = bins(&[0.0; 5], 24);
        assert_eq!(b.edges, [-0.5, 0.5]);
        assert_eq!(b.counts, [5]);
    }

    #[test]
    fn fractional_values_get_nice_bins_with_the_top_edge_closed() {
        // Range 1 / 5 = 0.2: [0, .2) [.2, .4) [.4, .6) [.6, .8) [.8, 1].
        let b = bins(&[0.0, 0.15, 0.35, 0.95, 1.0, f64::NAN], 5);
        assert_eq!(b.edges, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(b.counts, [2, 1, 0, 0, 2]);
        assert_eq!(b.counts.iter().sum::<u64>(), 5);
        let b = bins(&[0.25; 3], 5);
        assert_eq!(b.counts, [3]);
        assert!(b.edges[0] < 0.25 && b.edges[1] > 0.25, "{b:?}");
        assert!(bins(&[], 5).counts.is_empty());
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_what_does_not_fit() {
        assert_eq!(wrap("a short title", 40, 2), ["a short title"]);
        // 5+1+2+1+4+1+6 = 20 chars; adding " rest_of_world" would make 34 > 30. The third line
        // does not fit in two: the second is cut to 29 characters and an ellipsis.
        assert_eq!(
            wrap(
                "Month it runs empty: rest_of_world / row_magnet_standard",
                30,
                2
            ),
            [
                "Month it runs empty:",
                "rest_of_world / row_magnet_st\u{2026}"
            ]
        );
        assert_eq!(wrap("abcdefghijkl", 8, 2), ["abcdefgh", "ijkl"]);
        assert_eq!(wrap("", 8, 2), [""]);
    }

    #[test]
    fn shortening_keeps_both_ends() {
        assert_eq!(shorten("abcdefghij", 20), "abcdefghij");
        assert_eq!(shorten("abcdefghij", 7), "abc\u{2026}hij");
    }

    #[test]
    fn charts_escape_text_and_carry_ids_and_titles() {
        let c = XyChart {
            id: "fan-x".into(),
            title: "Unmet <demand> & \"more\"".into(),
            subtitle: String::new(),
            x_label: "month".into(),
            y_label: "t/month".into(),
            x_axis: XAxis::Months(dates(2025, 1, 3)),
            layers: vec![Layer::Line {
                x: vec![0.0, 1.0, 2.0],
                y: vec![0.0, 5.0, 37.0],
                class: "median",
            }],
            legend: vec![],
            include_zero: true,
            width: 400.0,
            height: 240.0,
        };
        let s = c.svg();
        assert!(s.starts_with(r#"<svg id="fan-x""#), "{s}");
        assert!(s.contains(
            "<title id=\"fan-x-title\">Unmet &lt;demand&gt; &amp; &quot;more&quot;</title>"
        ));
        assert!(!s.contains("<demand>"));
        assert!(!s.contains("http"));
        // y ticks 0..40 by 10 are labelled.
        for l in ["0", "10", "20", "30", "40"] {
            assert!(s.contains(&format!(">{l}</text>")), "tick {l} in {s}");
        }
        assert!(s.contains(">2025-01</text>"));
        assert!(s.ends_with("</svg>"));
    }

    #[test]
    fn histogram_and_bars_render() {
        let h = Histogram {
            id: "hist-a".into(),
            title: "t".into(),
            subtitle: String::new(),
            x_label: "x".into(),
            values: vec![1.0, 2.0, 2.0],
            marks: vec![(2.0, "mark-median", "median 2".into())],
            width: 400.0,
            height: 240.0,
        };
        let s = h.svg();
        assert_eq!(s.matches("<rect x=").count(), 2, "{s}");
        assert!(s.contains("median 2"));
        let b = HBars {
            id: "tornado".into(),
            title: "t".into(),
            subtitle: String::new(),
            x_label: "PRCC".into(),
            bars: vec![
                Bar {
                    label: "a".into(),
                    value: -0.5,
                    note: String::new(),
                },
                Bar {
                    label: "b".into(),
                    value: f64::NAN,
                    note: "undefined: constant".into(),
                },
            ],
            symmetric: true,
            width: 600.0,
        };
        let s = b.svg();
        assert_eq!(s.matches("class=\"bar-neg\"").count(), 1);
        assert!(s.contains("undefined: constant"));
        assert!(
            s.contains(">-0.5</text>") || s.contains(">-0.50</text>"),
            "{s}"
        );
    }
}
