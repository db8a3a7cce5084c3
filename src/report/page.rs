//! The sections of report.html.

use std::fmt::Write as _;

use serde_json::Value;

use crate::stats::registry as reg;

use super::data::{self, Csv, Series, SummaryRow};
use super::format::{esc, num, pct, sig, slug};
use super::svg::{Bar, HBars, Histogram, Key, Layer, Swatch, XAxis, XyChart};
use super::units::{
    Unit, is_all, metric_label, metric_unit, scope_label, series_unit, split_column, unit_or,
};
use super::{Inputs, ReportError};

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1400px;margin:0 auto;padding:12px 24px 40px}
h1{font-size:24px;margin:12px 0 4px}
h2{font-size:19px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}
p.question{font-size:16px;margin:4px 0 8px;max-width:70em}
p.meta,p.note,.small{color:#555;font-size:13px}
nav{font-size:13px;margin:8px 0}
nav a{margin-right:14px;color:#2166ac;text-decoration:none}
table{border-collapse:collapse;font-size:13px;background:#fff;margin:6px 0}
th,td{padding:3px 9px;border-bottom:1px solid #eaeaea;text-align:left;vertical-align:top}
th{background:#f2f2f2;font-weight:600}
#headline td:nth-child(2),#headline td:nth-child(3),#compare td:nth-child(2),#compare td:nth-child(3){white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.group td{background:#f7f7f7;font-weight:600;padding-top:8px}
code{font-size:12px;color:#555}
.share{display:inline-block;height:10px;background:#6baed6;vertical-align:middle;margin-right:6px}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
svg.chart{background:#fff;border:1px solid #e1e1e1;border-radius:4px;max-width:100%;height:auto}
svg.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:11px;fill:#333}
svg.chart .title{font-size:13px;font-weight:600;fill:#111}
svg.chart .subtitle,svg.chart .legend,svg.chart .mark-label,svg.chart .span-label{font-size:10px;fill:#555}
svg.chart .axis-label{font-size:11px;fill:#444}
svg.chart g.grid line{stroke:#ececec;stroke-width:1}
svg.chart .axis{stroke:#777;fill:none;stroke-width:1}
svg.chart .band90{fill:#c6dbef;stroke:none}
svg.chart .band50{fill:#6baed6;stroke:none}
svg.chart .median{fill:none;stroke:#08306b;stroke-width:2}
svg.chart .mean{fill:none;stroke:#d94801;stroke-width:1.3;stroke-dasharray:5 3}
svg.chart .span{fill:#fdae6b;opacity:.18}
svg.chart .hist rect{fill:#6baed6;stroke:#fff;stroke-width:.5}
svg.chart .mark-median{stroke:#08306b;stroke-width:2}
svg.chart .mark-q{stroke:#d94801;stroke-width:1.5;stroke-dasharray:4 3}
svg.chart .mark-chosen{stroke:#238b45;stroke-width:2}
svg.chart .mark-point{stroke:#8c6bb1;stroke-width:1.5;stroke-dasharray:4 3}
svg.chart .bar-pos{fill:#d6604d}
svg.chart .bar-neg{fill:#4393c3}
svg.chart .bar-label{font-size:11px}
svg.chart .bar-value{font-size:10px;fill:#555}
svg.chart .dot-met{fill:#238b45}
svg.chart .dot-not{fill:#cb181d}
svg.chart .dot-median{fill:#08306b}
"#;

/// Chart sizes: small multiples three to a row at 1400 px, wide charts two to a row.
const SMALL: (f64, f64) = (440.0, 270.0);
const WIDE: (f64, f64) = (660.0, 300.0);

/// Headline metrics of the world and of each region and sector, in table order.
const HEADLINE: [&str; 7] = [
    reg::UNMET_DEMAND_T.name,
    reg::UNMET_SHARE.name,
    reg::SHORTFALL_MONTHS.name,
    reg::MAX_MONTHLY_SHORTFALL_SHARE.name,
    reg::TIME_TO_RECOVER_MONTHS.name,
    reg::LOST_OUTPUT_USD.name,
    reg::PRICE_FORGONE_T.name,
];
/// Of those, the ones shown for each region and sector.
const SCOPED: [&str; 3] = [
    reg::UNMET_DEMAND_T.name,
    reg::UNMET_SHARE.name,
    reg::SHORTFALL_MONTHS.name,
];
/// Per-stockpile metrics in the headline table.
const STOCKPILE: [&str; 6] = [
    reg::STOCKPILE_INITIAL_T.name,
    reg::STOCKPILE_RELEASED_T.name,
    reg::STOCKPILE_MIN_T.name,
    reg::STOCKPILE_DEPLETED.name,
    reg::STOCKPILE_DEPLETED_MONTH.name,
    reg::STOCKPILE_MIN_COVER_MONTHS.name,
];
/// Outcomes drawn as histograms: the world's, then these per region and per stockpile.
const HIST_WORLD: [&str; 6] = [
    reg::UNMET_DEMAND_T.name,
    reg::UNMET_SHARE.name,
    reg::SHORTFALL_MONTHS.name,
    reg::TIME_TO_RECOVER_MONTHS.name,
    reg::LOST_OUTPUT_USD.name,
    reg::PRICE_FORGONE_T.name,
];
const HIST_REGION: [&str; 1] = [reg::UNMET_DEMAND_T.name];
const HIST_STOCKPILE: [&str; 2] = [
    reg::STOCKPILE_MIN_T.name,
    reg::STOCKPILE_DEPLETED_MONTH.name,
];
/// The outcome whose running mean shows convergence.
const CONVERGENCE: &str = reg::UNMET_DEMAND_T.name;

struct Page {
    body: String,
    toc: Vec<(String, String)>,
}

impl Page {
    fn section(&mut self, id: &str, title: &str) {
        self.toc.push((id.to_string(), title.to_string()));
        let _ = write!(self.body, r#"<h2 id="{}">{}</h2>"#, esc(id), esc(title));
    }
    fn p(&mut self, class: &str, html: &str) {
        let _ = write!(self.body, r#"<p class="{class}">{html}</p>"#);
    }
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

/// A JSON value of the manifest as text: distributions as `triangular 0.02-0.2 (mode 0.08)`.
fn json_text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), num),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(json_text).collect::<Vec<_>>().join(", "),
        Value::Object(o) => {
            if let Some(d) = o.get("dist").and_then(Value::as_str) {
                let f = |k: &str| o.get(k).and_then(Value::as_f64);
                let mut t = d.to_string();
                if let (Some(a), Some(b)) = (f("min"), f("max")) {
                    let _ = write!(t, " {} to {}", num(a), num(b));
                }
                let rest: Vec<String> = o
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "dist" | "min" | "max"))
                    .map(|(k, v)| format!("{k} {}", json_text(v)))
                    .collect();
                if !rest.is_empty() {
                    let _ = write!(t, " ({})", rest.join(", "));
                }
                t
            } else {
                o.iter()
                    .map(|(k, v)| format!("{k}: {}", json_text(v)))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        }
    }
}

/// Exact quantile of sorted values (linear interpolation, R type 7).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

pub(super) fn render(inp: &Inputs) -> Result<String, ReportError> {
    let m = &inp.manifest;
    let sc = &m["scenario"]["scenario"];
    let command = s(&m["command"]).unwrap_or("run");
    let files: Vec<String> = m["scenario_files"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(stem)).collect())
        .unwrap_or_default();
    let name = s(&sc["name"])
        .map(str::to_string)
        .or_else(|| s(&m["scenario_file"]).map(stem))
        .unwrap_or_else(|| files.join(" vs "));
    let name = if name.is_empty() {
        inp.dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "outputs".into())
    } else {
        name
    };
    let title = if command == "run" {
        name.clone()
    } else {
        format!("{command}: {name}")
    };
    let mut page = Page {
        body: String::new(),
        toc: Vec::new(),
    };
    let mut head = String::new();
    let _ = write!(head, "<h1>{}</h1>", esc(&title));
    if let Some(d) = s(&sc["description"]) {
        let _ = write!(head, r#"<p class="question">{}</p>"#, esc(d));
    }
    let _ = write!(
        head,
        r#"<p class="meta">{}</p>"#,
        esc(&meta_line(m, command))
    );

    if inp.has("summary.csv") {
        run_sections(inp, &mut page)?;
    }
    if inp.has("compare.csv") {
        compare_section(inp, &mut page)?;
    }
    if inp.has("sensitivity.csv") {
        tornado_section(inp, &mut page)?;
    }
    if inp.has("stockpile_curve.csv") {
        curve_section(inp, &mut page)?;
    }
    if inp.has("sweep.csv") {
        sweep_section(inp, &mut page)?;
    }
    about_section(inp, &mut page);

    let mut html = String::with_capacity(page.body.len() + 8192);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>reesim report: {}</title><style>{STYLE}</style></head><body><main>",
        esc(&title)
    );
    html.push_str(&head);
    html.push_str("<nav>");
    for (id, t) in &page.toc {
        let _ = write!(html, r##"<a href="#{}">{}</a>"##, esc(id), esc(t));
    }
    html.push_str("</nav>");
    html.push_str(&page.body);
    html.push_str("</main></body></html>\n");
    Ok(html)
}

fn stem(path: &str) -> String {
    std::path::Path::new(path)
        .file_stem()
        .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned())
}

fn meta_line(m: &Value, command: &str) -> String {
    let mut parts = Vec::new();
    let runs = m["runs"].as_u64().or_else(|| m["runs_requested"].as_u64());
    if let Some(r) = runs {
        let per = if command == "run" { "" } else { " per batch" };
        parts.push(format!("{} runs{per}", sig(r as f64, 1)));
    }
    if let Some(sm) = s(&m["sampling"]) {
        let what = match sm {
            "mc" => "independent draws (mc)",
            "lhs" => "Latin hypercube (lhs)",
            other => other,
        };
        parts.push(format!("sampling: {what}"));
    }
    if let Some(seed) = m["seed"].as_u64() {
        parts.push(format!("seed {seed}"));
    }
    let sc = &m["scenario"]["scenario"];
    if let (Some(h), Some(st)) = (sc["horizon_months"].as_u64(), s(&sc["start"])) {
        parts.push(format!("{h} months from {st}"));
    }
    if let Some(files) = m["scenario_files"].as_array() {
        let f: Vec<&str> = files.iter().filter_map(Value::as_str).collect();
        if !f.is_empty() {
            parts.push(format!("scenario files: {}", f.join(", ")));
        }
    } else if let Some(f) = s(&m["scenario_file"]) {
        parts.push(format!("scenario file: {f}"));
    }
    if let Some(target) = m["until_mcse"]["relative_mcse"].as_f64() {
        let reached: Vec<String> = m["until_mcse"]["achieved"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some(format!(
                    "{} {}",
                    s(&a["metric"])?,
                    num(a["relative_mcse"].as_f64()?)
                ))
            })
            .collect();
        let met = m["until_mcse"]["met"].as_bool() == Some(true);
        parts.push(format!(
            "stop rule: relative MCSE \u{2264} {} ({}; reached: {})",
            num(target),
            if met {
                "met"
            } else {
                "NOT met: run cap reached"
            },
            reached.join(", ")
        ));
    }
    if let Some(v) = s(&m["version"]) {
        parts.push(format!("reesim {v}"));
    }
    if let Some(f) = s(&m["finished"]) {
        parts.push(format!("finished {f}"));
    }
    parts.join(" \u{b7} ")
}

/// A control in force over a month range of the calendar charts (only fixed starts and
/// durations can be drawn).
struct Span {
    x0: f64,
    x1: f64,
    label: String,
}

fn control_spans(m: &Value) -> Vec<Span> {
    let mut out = Vec::new();
    for c in m["scenario"]["controls"].as_array().into_iter().flatten() {
        let (Some(start), name) = (
            c["start_month"].as_f64(),
            s(&c["name"]).unwrap_or("control"),
        ) else {
            continue;
        };
        let dur = c["duration_months"].as_f64();
        let p = c["probability"].as_f64().unwrap_or(1.0);
        let mut label = format!("{name} in force");
        if p < 1.0 {
            label.push_str(&format!(" (p = {})", num(p)));
        }
        out.push(Span {
            x0: start,
            x1: dur.map_or(f64::INFINITY, |d| start + d),
            label,
        });
    }
    out
}

fn run_sections(inp: &Inputs, page: &mut Page) -> Result<(), ReportError> {
    let m = &inp.manifest;
    let summary = data::summary(&inp.dir)?;
    inputs_section(inp, page)?;
    headline_section(&summary, m, page);

    let series = data::timeseries(
        &inp.dir,
        &[reg::UNMET.name, reg::PRICE.name, reg::STOCKPILE.name],
    )?;
    let spans = control_spans(m);
    over_time_section(&series, &spans, page);

    let runs = data::runs(&inp.dir, |c| {
        split_column(c).is_some_and(|(metric, scope)| {
            let kinds: Vec<&str> = scope.iter().map(|(k, _)| *k).collect();
            (scope.is_empty() && HIST_WORLD.contains(&metric))
                || (kinds == ["region"] && HIST_REGION.contains(&metric))
                || (kinds.contains(&"stockpile") && HIST_STOCKPILE.contains(&metric))
        })
    })?;
    histograms_section(&runs, &summary, page);
    convergence_section(&runs, page);
    Ok(())
}

fn inputs_section(inp: &Inputs, page: &mut Page) -> Result<(), ReportError> {
    let m = &inp.manifest;
    page.section("inputs", "Key inputs");
    for (key, title) in [
        ("controls", "Export controls"),
        ("stockpiles", "Stockpiles"),
    ] {
        let Some(items) = m["scenario"][key].as_array().filter(|a| !a.is_empty()) else {
            continue;
        };
        let mut cols: Vec<String> = vec!["name".into()];
        for it in items {
            for k in it.as_object().into_iter().flat_map(|o| o.keys()) {
                if !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
        let _ = write!(page.body, "<h3>{title}</h3><table><tr>");
        for c in &cols {
            let _ = write!(page.body, "<th>{}</th>", esc(&c.replace('_', " ")));
        }
        page.body.push_str("</tr>");
        for it in items {
            page.body.push_str("<tr>");
            for c in &cols {
                let _ = write!(page.body, "<td>{}</td>", esc(&json_text(&it[c.as_str()])));
            }
            page.body.push_str("</tr>");
        }
        page.body.push_str("</table>");
    }
    let params = m["parameters"].as_object();
    let sampled = params.map_or(0, |p| {
        p.values().filter(|v| v.get("dist").is_some()).count()
    });
    if !inp.has("uncertainty.csv") {
        if sampled > 0 {
            page.p(
                "note",
                &format!("{sampled} inputs are sampled per run (manifest.json lists them)."),
            );
        }
        return Ok(());
    }
    let c = Csv::read(
        &inp.dir,
        "uncertainty.csv",
        &["outcome", "input", "first_order_share"],
        |_, _| true,
    )?;
    let (oc, ic, sc, rc) = (
        c.col("outcome"),
        c.col("input"),
        c.col("first_order_share").unwrap_or(0),
        c.col("spearman"),
    );
    let Some(first) = c.rows.first().map(|(_, r)| c.text(r, oc).to_string()) else {
        return Ok(());
    };
    let (metric, _) = split_column(&first).unwrap_or((first.as_str(), Vec::new()));
    let _ = write!(
        page.body,
        "<h3>What drives the spread of {} ({})</h3><p class=\"note\">Of {sampled} inputs \
         sampled per run, the ten that explain most of the variance of <code>{}</code> across \
         runs on their own (first-order share, from uncertainty.csv; correlated inputs share \
         credit, so shares need not add up), with the direction of their effect and the \
         distribution they are drawn from.</p>",
        esc(&metric_label(metric).to_lowercase()),
        esc(&scope_from_column(&first)),
        esc(&first)
    );
    page.body.push_str(
        "<table id=\"drivers\"><tr><th>input</th><th class=\"n\">share of variance</th>\
         <th>when the input is higher</th><th>drawn from</th></tr>",
    );
    let mut shown = 0;
    for (line, r) in &c.rows {
        if c.text(r, oc) != first || shown >= 10 {
            continue;
        }
        let share = c.num(*line, r, sc)?;
        let rho = match rc {
            Some(i) => c.num(*line, r, i)?,
            None => f64::NAN,
        };
        let input = c.text(r, ic);
        let dir = if rho > 0.05 {
            "outcome higher"
        } else if rho < -0.05 {
            "outcome lower"
        } else {
            "no clear direction"
        };
        let dist = params
            .and_then(|p| p.get(input))
            .map_or_else(String::new, json_text);
        let w = (share.clamp(0.0, 1.0) * 160.0).round();
        let _ = write!(
            page.body,
            "<tr><td><code>{}</code></td><td class=\"n\"><span class=\"share\" style=\"width:{w}px\"></span>{}</td><td>{} (Spearman {})</td><td>{}</td></tr>",
            esc(input),
            esc(&pct(share)),
            dir,
            esc(&sig(rho, 2)),
            esc(&dist)
        );
        shown += 1;
    }
    page.body.push_str("</table>");
    Ok(())
}

fn scope_from_column(col: &str) -> String {
    match split_column(col) {
        Some((_, scope)) if !scope.is_empty() => scope
            .iter()
            .map(|(_, v)| *v)
            .collect::<Vec<_>>()
            .join(" / "),
        _ => "world".into(),
    }
}

fn unit_of(r: &SummaryRow) -> Unit {
    unit_or(r.unit.as_deref(), || metric_unit(&r.metric))
}

fn headline_section(summary: &[SummaryRow], m: &Value, page: &mut Page) {
    page.section("headline", "Headline outcomes");
    let runs = m["runs"].as_f64().unwrap_or(f64::NAN);
    page.p(
        "note",
        "Across runs: the mean, the median and the interval that holds the middle 90% of runs \
         (5th to 95th percentile). Shares are percentages of demand; \u{201c}% of runs\u{201d} \
         is how often it happens. Names in <code>code</code> are the rows of summary.csv.",
    );
    page.body.push_str(
        "<table id=\"headline\"><tr><th>outcome</th><th>scope</th><th>unit</th>\
         <th class=\"n\">mean</th><th class=\"n\">median</th><th class=\"n\">90% interval</th>\
         <th class=\"n\">runs</th></tr>",
    );
    let start = s(&m["scenario"]["scenario"]["start"]).and_then(super::svg::parse_month);
    let row = |page: &mut Page, r: &SummaryRow| {
        let u = unit_of(r);
        // A month of the horizon also as its date; a 0/1 outcome only as how often it happens.
        let cell = |v: f64| match (&u, start) {
            (Unit::MonthIndex, Some(s0)) if v.fract() == 0.0 && v.is_finite() => {
                let m = s0 + v as i64;
                format!("{} ({:04}-{:02})", num(v), m / 12, m % 12 + 1)
            }
            (Unit::Probability, _) => "-".to_string(),
            _ => u.fmt(v),
        };
        let scope = scope_label(&r.region, &r.sector, &r.item);
        let n = if r.n.is_finite() && r.n != runs {
            format!("{} of {}", num(r.n), num(runs))
        } else if r.n.is_finite() {
            num(r.n)
        } else {
            "-".into()
        };
        let _ = write!(
            page.body,
            "<tr><td>{} <code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&metric_label(&r.metric)),
            esc(&r.metric),
            esc(&scope),
            esc(u.label()),
            esc(&u.fmt(r.mean)),
            esc(&cell(r.p50)),
            esc(&if u == Unit::Probability {
                "-".to_string()
            } else {
                format!("{} \u{2013} {}", cell(r.p5), cell(r.p95))
            }),
            esc(&n)
        );
    };
    let group = |page: &mut Page, t: &str| {
        let _ = write!(
            page.body,
            "<tr class=\"group\"><td colspan=\"7\">{}</td></tr>",
            esc(t)
        );
    };
    let world = |r: &SummaryRow| r.region.is_empty() && r.sector.is_empty() && r.item.is_empty();
    group(page, "World");
    for metric in HEADLINE {
        for r in summary.iter().filter(|r| r.metric == metric && world(r)) {
            row(page, r);
        }
    }
    let regions: Vec<&SummaryRow> = summary
        .iter()
        .filter(|r| {
            SCOPED.contains(&r.metric.as_str())
                && !r.region.is_empty()
                && r.sector.is_empty()
                && r.item.is_empty()
        })
        .collect();
    if !regions.is_empty() {
        group(page, "By region");
        for r in regions {
            row(page, r);
        }
    }
    let sectors: Vec<&SummaryRow> = summary
        .iter()
        .filter(|r| {
            SCOPED.contains(&r.metric.as_str())
                && r.region.is_empty()
                && !r.sector.is_empty()
                && r.item.is_empty()
        })
        .collect();
    if !sectors.is_empty() {
        group(page, "By sector (all regions)");
        for r in sectors {
            row(page, r);
        }
    }
    let stock: Vec<&SummaryRow> = summary
        .iter()
        .filter(|r| STOCKPILE.contains(&r.metric.as_str()))
        .collect();
    if !stock.is_empty() {
        group(page, "Stockpiles");
        let mut names: Vec<&str> = Vec::new();
        for r in &stock {
            if !names.contains(&r.item.as_str()) {
                names.push(&r.item);
            }
        }
        for n in names {
            for metric in STOCKPILE {
                for r in stock.iter().filter(|r| r.item == n && r.metric == metric) {
                    row(page, r);
                }
            }
        }
    }
    page.body.push_str("</table>");
    page.p(
        "note",
        "Shortfall months: months with more than 0.1% of demand unmet. Time to recover: from the \
         first shortfall month to the end of the last. Value of output lost: unmet tonnes times \
         the sector's value of output. Demand priced out: demand given up because of the price \
         (not counted as unmet). Stockpile months count from 0 at the scenario's start; the \
         month it runs empty is summarised over the runs where it does.",
    );
}

fn fan_chart(s: &Series, id: &str, title: &str, spans: &[Span]) -> String {
    let u = unit_or(s.unit.as_deref(), || series_unit(&s.series));
    let f = u.chart_factor();
    let x: Vec<f64> = (0..s.dates.len()).map(|i| i as f64).collect();
    let sc = |v: &[f64]| v.iter().map(|x| x * f).collect::<Vec<_>>();
    let mut layers: Vec<Layer> = spans
        .iter()
        .map(|sp| Layer::Span {
            x0: sp.x0,
            x1: sp.x1.min(x.len() as f64),
            label: sp.label.clone(),
        })
        .collect();
    layers.push(Layer::Band {
        x: x.clone(),
        lo: sc(&s.p5),
        hi: sc(&s.p95),
        class: "band90",
    });
    layers.push(Layer::Band {
        x: x.clone(),
        lo: sc(&s.p25),
        hi: sc(&s.p75),
        class: "band50",
    });
    layers.push(Layer::Line {
        x,
        y: sc(&s.p50),
        class: "median",
    });
    XyChart {
        id: id.to_string(),
        title: title.to_string(),
        subtitle: String::new(),
        x_label: "month".into(),
        y_label: u.label().to_string(),
        x_axis: XAxis::Months(s.dates.clone()),
        layers,
        legend: fan_legend(),
        include_zero: true,
        width: SMALL.0,
        height: SMALL.1,
    }
    .svg()
}

fn fan_legend() -> Vec<Key> {
    vec![
        Key {
            class: "median",
            swatch: Swatch::Line,
            text: "median".into(),
        },
        Key {
            class: "band50",
            swatch: Swatch::Area,
            text: "25th-75th percentile".into(),
        },
        Key {
            class: "band90",
            swatch: Swatch::Area,
            text: "5th-95th percentile".into(),
        },
    ]
}

fn over_time_section(series: &[Series], spans: &[Span], page: &mut Page) {
    page.section("over-time", "Over time");
    let mut note = String::from(
        "Each chart shows, month by month, the median across runs (line), the middle half of \
         runs (dark band) and the middle 90% (light band); percentiles are taken each month \
         separately, so the line is not one run's path.",
    );
    if let Some(sp) = spans.first() {
        let _ = write!(
            note,
            " The shaded months are when {} (as the scenario sets it).",
            esc(&sp.label)
        );
    }
    page.p("note", &note);

    // Unmet demand: per region, its total then each sector.
    let mut regions: Vec<&str> = Vec::new();
    for s in series.iter().filter(|s| s.series == reg::UNMET.name) {
        if !regions.contains(&s.region.as_str()) {
            regions.push(&s.region);
        }
    }
    let _ = write!(page.body, "<h3>Unmet demand by sector</h3>");
    let mut quiet: Vec<String> = Vec::new();
    for region in &regions {
        let mut group: Vec<&Series> = series
            .iter()
            .filter(|s| s.series == reg::UNMET.name && s.region == *region)
            .collect();
        group.sort_by_key(|s| s.item != "total");
        let charted: Vec<&&Series> = group.iter().filter(|s| !s.all_zero()).collect();
        let rname = if region.is_empty() {
            "all regions"
        } else {
            region
        };
        if charted.is_empty() {
            quiet.push(format!("{rname} (every sector)"));
            continue;
        }
        for s in &group {
            if s.all_zero() {
                quiet.push(format!("{rname} / {}", s.item));
            }
        }
        page.body.push_str(r#"<div class="charts">"#);
        for s in charted {
            let what = if s.item == "total" || s.item.is_empty() {
                "all sectors".to_string()
            } else {
                s.item.clone()
            };
            page.body.push_str(&fan_chart(
                s,
                &format!("fan-unmet-{}-{}", slug(rname), slug(&s.item)),
                &format!("Unmet demand: {rname}, {what}"),
                spans,
            ));
        }
        page.body.push_str("</div>");
    }
    if !quiet.is_empty() {
        page.p(
            "note",
            &format!(
                "Zero in every month at every percentile from the 5th to the 95th (not charted; \
                 shortfalls in fewer than 5% of runs still count in the tables): {}.",
                esc(&quiet.join(", "))
            ),
        );
    }

    let prices: Vec<&Series> = series.iter().filter(|s| s.series == "price").collect();
    if !prices.is_empty() {
        let _ = write!(page.body, "<h3>Prices (relative to the first month)</h3>");
        page.body.push_str(r#"<div class="charts">"#);
        let mut flat = Vec::new();
        for s in &prices {
            let rname = if s.region.is_empty() {
                "all regions"
            } else {
                &s.region
            };
            if s.flat() {
                flat.push(format!("{rname} / {}", s.item));
                continue;
            }
            page.body.push_str(&fan_chart(
                s,
                &format!("fan-price-{}-{}", slug(rname), slug(&s.item)),
                &format!("Price: {}, {rname}", s.item),
                spans,
            ));
        }
        page.body.push_str("</div>");
        if !flat.is_empty() {
            page.p(
                "note",
                &format!(
                    "Unchanged in every month and run (not charted): {}.",
                    esc(&flat.join(", "))
                ),
            );
        }
    }

    let stocks: Vec<&Series> = series
        .iter()
        .filter(|s| s.series == reg::STOCKPILE.name)
        .collect();
    if !stocks.is_empty() {
        let _ = write!(page.body, "<h3>Stockpile levels (month end)</h3>");
        page.body.push_str(r#"<div class="charts">"#);
        for s in stocks {
            let rname = if s.region.is_empty() {
                "all regions"
            } else {
                &s.region
            };
            page.body.push_str(&fan_chart(
                s,
                &format!("fan-stockpile-{}", slug(&s.item)),
                &format!("Stockpile: {} ({rname})", s.item),
                spans,
            ));
        }
        page.body.push_str("</div>");
    }
}

fn histograms_section(runs: &data::RunColumns, summary: &[SummaryRow], page: &mut Page) {
    page.section("distributions", "Distributions across runs");
    page.p(
        "note",
        "How the outcome of one run (the whole horizon) varies across runs, from runs.csv: bars \
         count runs, the solid line marks the median and the dashed lines the 5th and 95th \
         percentiles.",
    );
    page.body.push_str(r#"<div class="charts">"#);
    let mut constant = Vec::new();
    for (name, vals) in runs.names.iter().zip(&runs.values) {
        let Some((metric, scope)) = split_column(name) else {
            continue;
        };
        let unit = summary
            .iter()
            .find(|r| r.metric == metric && r.unit.is_some())
            .map_or_else(|| metric_unit(metric), unit_of);
        let f = unit.chart_factor();
        let mut v: Vec<f64> = vals
            .iter()
            .filter(|x| x.is_finite())
            .map(|x| x * f)
            .collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() || v.first() == v.last() {
            constant.push(format!(
                "{name}{}",
                v.first()
                    .map_or(" (no values)".into(), |x| format!(" = {}", num(*x)))
            ));
            continue;
        }
        let (p5, p50, p95) = (quantile(&v, 0.05), quantile(&v, 0.5), quantile(&v, 0.95));
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let ul = match unit {
            Unit::Share | Unit::Probability => "%",
            _ => unit.label(),
        };
        let w = |x: f64| match unit {
            Unit::Share | Unit::Probability => format!("{}%", num(x)),
            Unit::MonthIndex => format!("month {}", num(x)),
            _ => format!("{} {ul}", unit.fmt(x)),
        };
        let q = |x: f64| match unit {
            Unit::Share | Unit::Probability | Unit::MonthIndex => num(x),
            _ => unit.fmt(x),
        };
        // A stockpile's name says enough; otherwise the region, or the world.
        let scope_text = match scope.iter().find(|(k, _)| *k == "stockpile") {
            Some((_, name)) => name.to_string(),
            None if scope.is_empty() => "world".to_string(),
            None => scope
                .iter()
                .map(|(_, v)| *v)
                .collect::<Vec<_>>()
                .join(" / "),
        };
        let missing = vals.len() - v.len();
        let mut subtitle = format!("mean {} over {} runs", w(mean), v.len());
        if missing > 0 {
            let _ = write!(subtitle, " ({missing} runs without a value)");
        }
        page.body.push_str(
            &Histogram {
                id: format!("hist-{}", slug(name)),
                title: format!("{}: {scope_text}", metric_label(metric)),
                subtitle,
                x_label: format!("{} ({ul})", metric_label(metric).to_lowercase()),
                values: v,
                marks: vec![
                    (p50, "mark-median", format!("median {}", w(p50))),
                    (
                        p5,
                        "mark-q",
                        format!("5th-95th percentile {} \u{2013} {}", q(p5), w(p95)),
                    ),
                    (p95, "mark-q", String::new()),
                ],
                width: SMALL.0,
                height: SMALL.1,
            }
            .svg(),
        );
    }
    page.body.push_str("</div>");
    if !constant.is_empty() {
        page.p(
            "note",
            &format!(
                "The same in every run (not charted): {}.",
                esc(&constant.join(", "))
            ),
        );
    }
}

fn convergence_section(runs: &data::RunColumns, page: &mut Page) {
    let Some(k) = runs.names.iter().position(|n| n == CONVERGENCE) else {
        return;
    };
    let v: Vec<f64> = runs.values[k]
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if v.len() < 2 {
        return;
    }
    page.section("convergence", "Convergence");
    page.p(
        "note",
        "The mean of the world's unmet demand over the first n runs (in run order), with \u{b1}1.96 \
         Monte Carlo standard errors: when the band is narrow against the differences that \
         matter, more runs would not change the answer.",
    );
    let (mut x, mut mean, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut m, mut m2) = (0.0, 0.0);
    for (i, val) in v.iter().enumerate() {
        let n = (i + 1) as f64;
        let d = val - m;
        m += d / n;
        m2 += d * (val - m);
        x.push(n);
        mean.push(m);
        let se = if i == 0 {
            f64::NAN
        } else {
            (m2 / (n - 1.0)).sqrt() / n.sqrt()
        };
        lo.push(m - 1.96 * se);
        hi.push(m + 1.96 * se);
    }
    let last_se = (hi[hi.len() - 1] - lo[lo.len() - 1]) / (2.0 * 1.96);
    let unit = metric_unit(CONVERGENCE);
    page.body.push_str(r#"<div class="charts">"#);
    page.body.push_str(
        &XyChart {
            id: "convergence".into(),
            title: format!(
                "Running mean of {} (world)",
                metric_label(CONVERGENCE).to_lowercase()
            ),
            subtitle: format!(
                "after {} runs: {} \u{b1} {} {} (1.96 MCSE)",
                v.len(),
                num(m),
                num(1.96 * last_se),
                unit.label()
            ),
            x_label: "runs".into(),
            y_label: format!("mean unmet demand ({})", unit.label()),
            x_axis: XAxis::Numeric,
            layers: vec![
                Layer::Band {
                    x: x.clone(),
                    lo,
                    hi,
                    class: "band90",
                },
                Layer::Line {
                    x,
                    y: mean,
                    class: "median",
                },
            ],
            legend: vec![
                Key {
                    class: "median",
                    swatch: Swatch::Line,
                    text: "running mean".into(),
                },
                Key {
                    class: "band90",
                    swatch: Swatch::Area,
                    text: "\u{b1}1.96 MCSE".into(),
                },
            ],
            include_zero: false,
            width: WIDE.0,
            height: WIDE.1,
        }
        .svg(),
    );
    page.body.push_str("</div>");
}

fn compare_section(inp: &Inputs, page: &mut Page) -> Result<(), ReportError> {
    let c = Csv::read(
        &inp.dir,
        "compare.csv",
        &[
            "metric",
            "mean_a",
            "mean_b",
            "mean_diff",
            "ci95_low",
            "ci95_high",
        ],
        |_, _| true,
    )?;
    let files: Vec<String> = inp.manifest["scenario_files"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(stem)).collect())
        .unwrap_or_default();
    let (a, b) = (
        files.first().cloned().unwrap_or_else(|| "A".into()),
        files.get(1).cloned().unwrap_or_else(|| "B".into()),
    );
    page.section("compare", "Comparison");
    page.p(
        "note",
        &format!(
            "B = <b>{}</b> against A = <b>{}</b> on the same random numbers: the difference \
             B \u{2212} A is taken run by run, with its 95% confidence interval. \u{201c}P(B \
             better)\u{201d} is the share of runs where B is strictly better; \u{2605} marks \
             differences whose interval excludes zero.",
            esc(&b),
            esc(&a)
        ),
    );
    let col = |n: &str| c.col(n);
    let (mc, rc, sc, ic, uc) = (
        col("metric"),
        col("region"),
        col("sector"),
        col("item"),
        col("unit"),
    );
    let idx = |n: &str| col(n).unwrap_or(0);
    let pb = col("p_b_better");
    let sg = col("significant");
    let _ = write!(
        page.body,
        "<table id=\"compare\"><tr><th>outcome</th><th>scope</th><th>unit</th>\
         <th class=\"n\">mean A: {}</th><th class=\"n\">mean B: {}</th>\
         <th class=\"n\">B \u{2212} A [95% interval]</th><th class=\"n\">P(B better)</th><th></th></tr>",
        esc(&a),
        esc(&b)
    );
    for (line, r) in &c.rows {
        let metric = c.text(r, mc);
        let (region, sector, item) = (c.text(r, rc), c.text(r, sc), c.text(r, ic));
        let world = is_all(region) && is_all(sector) && is_all(item);
        let shown = (HEADLINE.contains(&metric) && world)
            || (SCOPED.contains(&metric) && (is_all(region) || is_all(sector)))
            || STOCKPILE.contains(&metric);
        if !shown {
            continue;
        }
        let u = unit_or(Some(c.text(r, uc)), || metric_unit(metric));
        let get = |n: &str| c.num(*line, r, idx(n));
        let p = match pb {
            Some(i) => c.num(*line, r, i)?,
            None => f64::NAN,
        };
        let star = sg.is_some_and(|i| c.text(r, Some(i)) == "1");
        // Differences of shares in percentage points.
        let (diff, pp): (Box<dyn Fn(f64) -> String>, &str) = match u {
            Unit::Share | Unit::Probability => (Box::new(|v: f64| sig(v * 100.0, 2)), " pp"),
            _ => (Box::new(|v: f64| u.fmt(v)), ""),
        };
        let _ = write!(
            page.body,
            "<tr><td>{} <code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{} [{}, {}]{pp}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&metric_label(metric)),
            esc(metric),
            esc(&scope_label(region, sector, item)),
            esc(u.label()),
            esc(&u.fmt(get("mean_a")?)),
            esc(&u.fmt(get("mean_b")?)),
            esc(&diff(get("mean_diff")?)),
            esc(&diff(get("ci95_low")?)),
            esc(&diff(get("ci95_high")?)),
            if p.is_nan() { "-".into() } else { pct(p) },
            if star { "\u{2605}" } else { "" }
        );
    }
    page.body.push_str("</table>");
    Ok(())
}

fn tornado_section(inp: &Inputs, page: &mut Page) -> Result<(), ReportError> {
    let c = Csv::read(
        &inp.dir,
        "sensitivity.csv",
        &["outcome", "input", "spearman"],
        |_, _| true,
    )?;
    let (oc, ic) = (c.col("outcome"), c.col("input"));
    let (prcc, spear, note) = (c.col("prcc"), c.col("spearman").unwrap_or(0), c.col("note"));
    page.section("sensitivity", "Sensitivity (tornado)");
    page.p(
        "note",
        "Sampled inputs ranked by their influence on each outcome (sensitivity.csv): the partial \
         rank correlation coefficient (PRCC, the input's effect with the others held fixed), or \
         the Spearman rank correlation where PRCC is undefined. Bars to the right: the outcome \
         rises with the input; to the left: it falls. The 15 strongest per outcome.",
    );
    let mut outcomes: Vec<String> = Vec::new();
    for (_, r) in &c.rows {
        let o = c.text(r, oc).to_string();
        if !outcomes.contains(&o) {
            outcomes.push(o);
        }
    }
    page.body.push_str(r#"<div class="charts">"#);
    for o in &outcomes {
        let rows: Vec<&(u64, csv::StringRecord)> =
            c.rows.iter().filter(|(_, r)| c.text(r, oc) == o).collect();
        let mut use_prcc = false;
        if let Some(p) = prcc {
            for (line, r) in &rows {
                if c.num(*line, r, p)?.is_finite() {
                    use_prcc = true;
                }
            }
        }
        let mut bars = Vec::new();
        for (line, r) in rows.iter().take(15) {
            let v = if use_prcc {
                c.num(*line, r, prcc.unwrap_or(spear))?
            } else {
                c.num(*line, r, spear)?
            };
            bars.push(Bar {
                label: c.text(r, ic).to_string(),
                value: v,
                note: if v.is_finite() {
                    String::new()
                } else {
                    c.text(r, note).to_string()
                },
            });
        }
        let why = rows
            .first()
            .map(|(_, r)| c.text(r, note).to_string())
            .unwrap_or_default();
        let subtitle = if use_prcc {
            format!("{} inputs ranked by |PRCC|", rows.len())
        } else if why.is_empty() {
            "Spearman rank correlation".to_string()
        } else {
            format!("Spearman rank correlation ({why})")
        };
        let (metric, _) = split_column(o).unwrap_or((o.as_str(), Vec::new()));
        page.body.push_str(
            &HBars {
                id: format!("tornado-{}", slug(o)),
                title: format!("{}: {}", metric_label(metric), scope_from_column(o)),
                subtitle,
                x_label: if use_prcc {
                    "partial rank correlation with the outcome (PRCC)".into()
                } else {
                    "Spearman rank correlation with the outcome".into()
                },
                bars,
                symmetric: true,
                width: WIDE.0,
            }
            .svg(),
        );
    }
    page.body.push_str("</div>");
    Ok(())
}

/// One initial size tried by size-stockpile: a row of stockpile_curve.csv.
struct CurveRow {
    size_t: f64,
    size_days: f64,
    statistic: f64,
    ci95_low: f64,
    ci95_high: f64,
    meets_target: bool,
    meets_target_ci95: bool,
    /// The answer: the smallest size meeting the target with 95% confidence.
    chosen: bool,
    /// The smallest size meeting the target on the point estimate.
    chosen_point_estimate: bool,
}

/// The size-stockpile section: what was tried, the curve of the target's statistic by size and
/// the table of sizes.
fn curve_section(inp: &Inputs, page: &mut Page) -> Result<(), ReportError> {
    let rows = curve_rows(inp)?;
    let m = &inp.manifest;
    page.section("stockpile-curve", "Stockpile size");
    let target = s(&m["target"]).unwrap_or("");
    let stockpile = s(&m["stockpile"]).unwrap_or("the stockpile");
    page.p("note", &curve_note(m, target, stockpile));
    page.body.push_str(r#"<div class="charts">"#);
    page.body
        .push_str(&curve_chart(&rows, target, stockpile).svg());
    page.body.push_str("</div>");
    curve_table(&rows, page);
    Ok(())
}

/// The rows of stockpile_curve.csv, by increasing size; missing numbers read as NaN, missing
/// flags as no.
fn curve_rows(inp: &Inputs) -> Result<Vec<CurveRow>, ReportError> {
    let c = Csv::read(
        &inp.dir,
        "stockpile_curve.csv",
        &["size_t", "statistic", "ci95_low", "ci95_high"],
        |_, _| true,
    )?;
    let idx = |n: &str| c.col(n);
    let mut rows = Vec::new();
    for (line, r) in &c.rows {
        let get = |n: &str| idx(n).map_or(Ok(f64::NAN), |i| c.num(*line, r, i));
        let flag = |n: &str| c.text(r, idx(n)) == "1";
        rows.push(CurveRow {
            size_t: get("size_t")?,
            size_days: get("size_days")?,
            statistic: get("statistic")?,
            ci95_low: get("ci95_low")?,
            ci95_high: get("ci95_high")?,
            meets_target: flag("meets_target"),
            meets_target_ci95: flag("meets_target_ci95"),
            chosen: flag("chosen"),
            chosen_point_estimate: flag("chosen_point_estimate"),
        });
    }
    rows.sort_by(|a, b| a.size_t.total_cmp(&b.size_t));
    Ok(rows)
}

/// The note above the curve (HTML): what the chart shows, the target and the rule applied.
fn curve_note(m: &Value, target: &str, stockpile: &str) -> String {
    let mut note = format!(
        "The target's statistic at each initial size of {} tried (stockpile_curve.csv), with its \
         95% interval; green dots meet the target on the point estimate, red ones do not.",
        esc(stockpile)
    );
    if !target.is_empty() {
        let _ = write!(note, " Target: <code>{}</code>.", esc(target));
    }
    if let Some(rule) = s(&m["rule"]) {
        let _ = write!(note, " Rule: {}.", esc(rule));
    }
    note
}

/// The chart of the target's statistic by size, with the target's bound and the answers marked.
fn curve_chart(rows: &[CurveRow], target: &str, stockpile: &str) -> XyChart {
    let bound = target_bound(target);
    let chosen = rows.iter().find(|r| r.chosen);
    let subtitle = match chosen {
        Some(r) => format!(
            "smallest size meeting the target with 95% confidence: {} t ({} days)",
            num(r.size_t),
            num(r.size_days)
        ),
        None => "no size tried meets the target with 95% confidence".to_string(),
    };
    let mut layers = curve_layers(rows);
    layers.extend(curve_marks(rows, bound));
    XyChart {
        id: "stockpile-curve".into(),
        title: format!("Target statistic by initial size of {stockpile}"),
        subtitle,
        x_label: "initial stockpile size (t)".into(),
        y_label: match bound {
            Some((lhs, _, _)) => lhs.to_string(),
            None => "statistic of the target".into(),
        },
        x_axis: XAxis::Numeric,
        layers,
        legend: curve_legend(),
        include_zero: true,
        width: WIDE.0,
        height: WIDE.1,
    }
}

/// The curve itself: its 95% band, the statistic as a line, and a dot per size coloured by
/// whether it meets the target on the point estimate.
fn curve_layers(rows: &[CurveRow]) -> Vec<Layer> {
    let x: Vec<f64> = rows.iter().map(|r| r.size_t).collect();
    vec![
        Layer::Band {
            x: x.clone(),
            lo: rows.iter().map(|r| r.ci95_low).collect(),
            hi: rows.iter().map(|r| r.ci95_high).collect(),
            class: "band90",
        },
        Layer::Line {
            x: x.clone(),
            y: rows.iter().map(|r| r.statistic).collect(),
            class: "median",
        },
        Layer::Points {
            x,
            y: rows.iter().map(|r| r.statistic).collect(),
            class: rows
                .iter()
                .map(|r| if r.meets_target { "dot-met" } else { "dot-not" })
                .collect(),
            tip: rows
                .iter()
                .map(|r| {
                    format!(
                        "{} t ({} days): {} [{}, {}]",
                        num(r.size_t),
                        num(r.size_days),
                        num(r.statistic),
                        num(r.ci95_low),
                        num(r.ci95_high)
                    )
                })
                .collect(),
        },
    ]
}

/// Marks over the curve: the target's bound (a horizontal line), the answer, and the smallest
/// size meeting the target on the point estimate when that is a different size.
fn curve_marks(rows: &[CurveRow], bound: Option<(&str, &'static str, f64)>) -> Vec<Layer> {
    let mut layers = Vec::new();
    if let Some((_, op, v)) = bound {
        let op = match op {
            "<=" => "\u{2264}",
            ">=" => "\u{2265}",
            o => o,
        };
        layers.push(Layer::HLine {
            y: v,
            class: "mark-q",
            label: format!("target {op} {}", num(v)),
        });
    }
    let chosen = rows.iter().find(|r| r.chosen);
    let point = rows.iter().find(|r| r.chosen_point_estimate);
    if let Some(r) = chosen {
        layers.push(Layer::VLine {
            x: r.size_t,
            class: "mark-chosen",
            label: format!("answer: {} t ({} days)", num(r.size_t), num(r.size_days)),
        });
    }
    if let Some(r) = point.filter(|p| chosen.is_none_or(|c| c.size_t != p.size_t)) {
        layers.push(Layer::VLine {
            x: r.size_t,
            class: "mark-point",
            label: format!("on the point estimate: {} t", num(r.size_t)),
        });
    }
    layers
}

/// The legend of the curve chart.
fn curve_legend() -> Vec<Key> {
    vec![
        Key {
            class: "median",
            swatch: Swatch::Line,
            text: "statistic".into(),
        },
        Key {
            class: "band90",
            swatch: Swatch::Area,
            text: "95% interval".into(),
        },
        Key {
            class: "dot-met",
            swatch: Swatch::Dot,
            text: "meets target".into(),
        },
        Key {
            class: "dot-not",
            swatch: Swatch::Dot,
            text: "does not".into(),
        },
    ]
}

/// The table of sizes tried: statistic, 95% interval, and whether each meets the target on the
/// point estimate and with 95% confidence (the answer flagged).
fn curve_table(rows: &[CurveRow], page: &mut Page) {
    page.body.push_str(
        "<table id=\"curve\"><tr><th class=\"n\">size (t)</th><th class=\"n\">days of use</th>\
         <th class=\"n\">statistic</th><th class=\"n\">95% interval</th><th>meets target</th>\
         <th>with 95% confidence</th></tr>",
    );
    let yes = |b: bool| if b { "yes" } else { "no" };
    for r in rows {
        let _ = write!(
            page.body,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{} \u{2013} {}</td><td>{}</td><td>{}{}</td></tr>",
            num(r.size_t),
            num(r.size_days),
            num(r.statistic),
            num(r.ci95_low),
            num(r.ci95_high),
            yes(r.meets_target),
            yes(r.meets_target_ci95),
            if r.chosen { " (answer)" } else { "" }
        );
    }
    page.body.push_str("</table>");
}

/// The outer comparison of a size-stockpile target: `mean(x) <= 500` -> ("mean(x)", "<=", 500),
/// `P(x <= 0.01) >= 0.95` -> ("P(x <= 0.01)", ">=", 0.95).
fn target_bound(target: &str) -> Option<(&str, &'static str, f64)> {
    let mut depth = 0i32;
    let b = target.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'<' | b'>' if depth == 0 => {
                let op = match (b[i], b.get(i + 1)) {
                    (b'<', Some(b'=')) => "<=",
                    (b'>', Some(b'=')) => ">=",
                    (b'<', _) => "<",
                    _ => ">",
                };
                let lhs = target[..i].trim();
                return target[i + op.len()..]
                    .trim()
                    .parse()
                    .ok()
                    .map(|v| (lhs, op, v));
            }
            _ => {}
        }
    }
    None
}

fn sweep_section(inp: &Inputs, page: &mut Page) -> Result<(), ReportError> {
    let c = Csv::read(
        &inp.dir,
        "sweep.csv",
        &["metric", "mean", "p5", "p50", "p95"],
        |_, _| true,
    )?;
    let metric_at = c.col("metric").unwrap_or(0);
    let axes: Vec<String> = c.header()[..metric_at].to_vec();
    let rows = data::summary_rows(&c)?;
    page.section("sweep", "Sweep");
    page.p(
        "note",
        &format!(
            "Each grid point over {} is a batch of runs (sweep.csv); the world's outcomes, \
             median with the 90% interval across runs.",
            esc(&axes.join(", "))
        ),
    );
    // The grid point of each row: the axis cells.
    let points: Vec<Vec<String>> = c
        .rows
        .iter()
        .map(|(_, r)| {
            (0..metric_at)
                .map(|i| c.text(r, Some(i)).to_string())
                .collect()
        })
        .collect();
    let shown = [
        reg::UNMET_DEMAND_T.name,
        reg::UNMET_SHARE.name,
        reg::SHORTFALL_MONTHS.name,
    ];
    let world = |r: &SummaryRow| r.region.is_empty() && r.sector.is_empty() && r.item.is_empty();
    let mut grid: Vec<&Vec<String>> = Vec::new();
    for p in &points {
        if !grid.contains(&p) {
            grid.push(p);
        }
    }
    page.body.push_str("<table id=\"sweep\"><tr>");
    for a in &axes {
        let _ = write!(page.body, "<th><code>{}</code></th>", esc(a));
    }
    for mname in shown {
        let _ = write!(
            page.body,
            "<th class=\"n\">{} ({}), median [90%]</th>",
            esc(&metric_label(mname)),
            esc(metric_unit(mname).label())
        );
    }
    page.body.push_str("</tr>");
    for g in &grid {
        page.body.push_str("<tr>");
        for v in g.iter() {
            let _ = write!(page.body, "<td>{}</td>", esc(v));
        }
        for mname in shown {
            let cell = rows
                .iter()
                .zip(&points)
                .find(|(r, p)| p == g && r.metric == mname && world(r))
                .map(|(r, _)| {
                    let u = unit_of(r);
                    format!(
                        "{} [{} \u{2013} {}]",
                        u.fmt(r.p50),
                        u.fmt(r.p5),
                        u.fmt(r.p95)
                    )
                })
                .unwrap_or_else(|| "-".into());
            let _ = write!(page.body, "<td class=\"n\">{}</td>", esc(&cell));
        }
        page.body.push_str("</tr>");
    }
    page.body.push_str("</table>");
    // One numeric axis: the world's unmet demand along it.
    if axes.len() == 1 {
        let mut pts: Vec<(f64, &SummaryRow)> = rows
            .iter()
            .zip(&points)
            .filter(|(r, _)| r.metric == reg::UNMET_DEMAND_T.name && world(r))
            .filter_map(|(r, p)| p[0].parse::<f64>().ok().map(|x| (x, r)))
            .collect();
        if pts.len() >= 2 {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let x: Vec<f64> = pts.iter().map(|p| p.0).collect();
            let get = |f: fn(&SummaryRow) -> f64| pts.iter().map(|p| f(p.1)).collect::<Vec<_>>();
            page.body.push_str(r#"<div class="charts">"#);
            page.body.push_str(
                &XyChart {
                    id: "sweep-unmet".into(),
                    title: "Unmet demand (world) across the sweep".into(),
                    subtitle: String::new(),
                    x_label: axes[0].clone(),
                    y_label: "unmet demand (t)".into(),
                    x_axis: XAxis::Numeric,
                    layers: vec![
                        Layer::Band {
                            x: x.clone(),
                            lo: get(|r| r.p5),
                            hi: get(|r| r.p95),
                            class: "band90",
                        },
                        Layer::Band {
                            x: x.clone(),
                            lo: get(|r| r.p25),
                            hi: get(|r| r.p75),
                            class: "band50",
                        },
                        Layer::Line {
                            x: x.clone(),
                            y: get(|r| r.p50),
                            class: "median",
                        },
                        Layer::Points {
                            y: get(|r| r.p50),
                            class: vec!["dot-median"; x.len()],
                            tip: pts
                                .iter()
                                .map(|(v, r)| {
                                    format!(
                                        "{} = {}: median {} t [{} \u{2013} {}]",
                                        axes[0],
                                        num(*v),
                                        num(r.p50),
                                        num(r.p5),
                                        num(r.p95)
                                    )
                                })
                                .collect(),
                            x,
                        },
                    ],
                    legend: fan_legend(),
                    include_zero: true,
                    width: WIDE.0,
                    height: WIDE.1,
                }
                .svg(),
            );
            page.body.push_str("</div>");
        }
    }
    Ok(())
}

fn about_section(inp: &Inputs, page: &mut Page) {
    page.section("files", "Files");
    let files: Vec<String> = inp
        .present
        .iter()
        .map(|f| format!("<code>{f}</code>"))
        .collect();
    page.p(
        "note",
        &format!(
            "Made by <code>reesim report</code> from {} and <code>manifest.json</code> in this \
             directory; the files hold every number shown here and more. The page needs no \
             network and no scripts; print it or save it as PDF from the browser.",
            files.join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_r_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.05), 1.2);
        assert_eq!(quantile(&v, 0.95), 4.8);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn target_bounds() {
        assert_eq!(
            target_bound("mean(unmet_demand_t) <= 500"),
            Some(("mean(unmet_demand_t)", "<=", 500.0))
        );
        assert_eq!(
            target_bound("P(unmet_share[region=a,sector=b] <= 0.01) >= 0.95"),
            Some(("P(unmet_share[region=a,sector=b] <= 0.01)", ">=", 0.95))
        );
        assert_eq!(target_bound("nonsense"), None);
    }

    #[test]
    fn distributions_read_as_text() {
        let v: Value =
            serde_json::json!({"dist": "triangular", "min": 0.02, "mode": 0.08, "max": 0.2});
        assert_eq!(json_text(&v), "triangular 0.02 to 0.2 (mode 0.08)");
        assert_eq!(json_text(&serde_json::json!(["a", "b"])), "a, b");
        assert_eq!(json_text(&serde_json::json!(60.0)), "60");
    }
}
