//! What the commands print for people: headlines and tables (formatted by
//! `report::terminal`), then the files written.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{AppError, stdout_err};
use crate::export::Context;
use crate::report::terminal::{Align, Table, cell, header, number, with_unit};
use crate::sim::runner::{Results, RunError};
use crate::stats::registry;
use crate::stats::summary::Summary;
use crate::tools::compare::{Difference, OneSided};

/// Writes `text` to `out`.
fn put(out: &mut dyn Write, text: &str) -> Result<(), AppError> {
    out.write_all(text.as_bytes()).map_err(stdout_err)
}

/// Items joined with `, `.
pub(super) fn joined(items: &[impl ToString]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A unit as a unit column shows it.
fn unit_label(unit: &str) -> &str {
    match unit {
        "share" => "%",
        "share of runs" => "% of runs",
        u => u,
    }
}

/// `wrote a, b, c`: every file of the set, manifest last.
pub(super) fn wrote_list(out: &mut dyn Write, written: &[PathBuf]) -> Result<(), AppError> {
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    put(out, &format!("\nwrote {}\n", names.join(", ")))
}

/// `reesim validate`: what the scenario holds and the names a user refers to in overrides,
/// `--set`, `--stockpile` and `--metrics`.
pub(super) fn validated(
    out: &mut dyn Write,
    path: &Path,
    sc: &crate::model::Scenario,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: valid ({} regions, {} sectors, {} controls, {} stockpiles, {} sampled parameters, {} months from {})",
        path.display(),
        sc.regions.len(),
        sc.sectors.len(),
        sc.controls.len(),
        sc.stockpiles.len(),
        sc.params.sampled().count(),
        sc.horizon,
        sc.start
    )?;
    let mut list = |label: &str, names: Vec<String>| -> std::io::Result<()> {
        let mut line = format!("  {label:<16}");
        for (i, n) in names.iter().enumerate() {
            let sep = if i + 1 < names.len() { "," } else { "" };
            if line.len() + n.len() + 2 > 100 && !line.trim_end().ends_with(':') {
                writeln!(out, "{line}")?;
                line = " ".repeat(18);
            }
            line.push_str(&format!(" {n}{sep}"));
        }
        if !names.is_empty() {
            writeln!(out, "{line}")?;
        }
        Ok(())
    };
    for r in &sc.regions {
        let sectors = r.sectors.iter().map(|s| sc.sectors[s.sector].clone());
        list(&format!("{}:", r.name), sectors.collect())?;
    }
    list(
        "controls:",
        sc.controls.iter().map(|c| c.name.clone()).collect(),
    )?;
    list(
        "stockpiles:",
        sc.stockpiles.iter().map(|s| s.name.clone()).collect(),
    )?;
    list(
        "sampled inputs:",
        sc.params.sampled().map(|(_, d)| d.key.clone()).collect(),
    )
}

/// The headline and the table of a run's (or merge's) main metrics, world and per region or
/// sector, and per stockpile.
pub(super) fn run_summary(
    out: &mut dyn Write,
    ctx: &Context,
    colour: bool,
) -> Result<(), AppError> {
    let (sc, r, s) = (&ctx.loaded.scenario, ctx.results, ctx.settings);
    let secs = r
        .finished
        .duration_since(r.started)
        .map_or(0.0, |d| d.as_secs_f64());
    put(
        out,
        &format!(
            "{}: {} runs ({}), seed {}, {} months from {} ({:.2} s)\n\n",
            sc.name,
            r.runs,
            s.sampling.name(),
            s.seed,
            sc.horizon,
            sc.start,
            secs
        ),
    )?;
    let mut t = Table::new(&[
        ("metric", Align::Left),
        ("region", Align::Left),
        ("sector/stockpile", Align::Left),
        ("unit", Align::Left),
        ("mean", Align::Right),
        ("p5", Align::Right),
        ("p50", Align::Right),
        ("p95", Align::Right),
    ]);
    for (m, key) in r.outcomes.keys.iter().enumerate() {
        let stockpile = key.item_kind == "stockpile";
        let show = registry::RUN_TABLE.iter().any(|m| m.name == key.metric)
            && (stockpile || key.sector.is_empty() || key.region.is_empty());
        if !show {
            continue;
        }
        let v = &r.summaries().map_err(RunError::from)?[m];
        let scope = if key.item.is_empty() {
            registry::scope(&key.sector)
        } else {
            key.item.as_str()
        };
        let unit = key.unit();
        let mut row = vec![
            key.metric.to_string(),
            registry::scope(&key.region).to_string(),
            scope.to_string(),
            unit_label(unit).to_string(),
        ];
        row.extend([v.mean, v.quantiles[0], v.quantiles[2], v.quantiles[4]].map(|x| cell(unit, x)));
        t.row(row);
    }
    put(out, &t.render(colour))
}

/// The two or three inputs that explain most of the spread of unmet demand, world and per
/// region (uncertainty.csv has every input).
pub(super) fn drivers(out: &mut dyn Write, ctx: &Context) -> Result<(), AppError> {
    let drivers = crate::export::uncertainty::drivers(ctx).map_err(RunError::from)?;
    let mut outcomes: Vec<&str> = Vec::new();
    for d in &drivers {
        let o = d.outcome.as_str();
        if o.starts_with(registry::UNMET_DEMAND_T.name) && !outcomes.contains(&o) {
            outcomes.push(o);
        }
    }
    let lines: Vec<String> = outcomes
        .into_iter()
        .filter_map(|o| {
            let top: Vec<String> = drivers
                .iter()
                .filter(|d| d.outcome == o && d.rank <= 3 && d.share >= 0.01)
                .map(|d| format!("{} {}", cell("share", d.share), d.input))
                .collect();
            (!top.is_empty()).then(|| format!("  {o}: {}\n", top.join(", ")))
        })
        .collect();
    if !lines.is_empty() {
        put(
            out,
            "\nWhere the spread comes from (share of each outcome's variance explained by one input alone;\nuncertainty.csv lists every input):\n",
        )?;
        put(out, &lines.concat())?;
    }
    Ok(())
}

/// Whether a stop rule was met, and the relative MCSE each watched metric reached.
pub(super) fn mcse(out: &mut dyn Write, ctx: &Context) -> Result<(), AppError> {
    let (Some(u), r) = (&ctx.settings.until, ctx.results) else {
        return Ok(());
    };
    let met = r.achieved.iter().all(|(_, e)| *e <= u.rel);
    let each: Vec<String> = r
        .achieved
        .iter()
        .map(|(m, e)| {
            format!(
                "relative MCSE of {m} = {} (target {})",
                cell("share", *e),
                cell("share", u.rel)
            )
        })
        .collect();
    put(
        out,
        &format!(
            "\n{} after {} runs: {}\n",
            if met {
                "MCSE target met"
            } else {
                "MCSE target NOT met (run cap reached)"
            },
            r.runs,
            each.join("; ")
        ),
    )
}

/// What `reesim compare` prints from.
pub(super) struct CompareView<'a> {
    pub a: &'a str,
    pub b: &'a str,
    pub runs: u64,
    pub seed: u64,
    pub diffs: &'a [Difference],
    pub dropped: &'a [OneSided],
    pub unpaired: &'a [OneSided],
}

pub(super) fn compare(out: &mut dyn Write, v: CompareView, colour: bool) -> Result<(), AppError> {
    put(
        out,
        &format!(
            "{} vs {}: {} paired runs (seed {})\n\n",
            v.a, v.b, v.runs, v.seed
        ),
    )?;
    let mut t = Table::new(&[
        ("metric", Align::Left),
        ("region", Align::Left),
        ("sector/item", Align::Left),
        ("unit", Align::Left),
        ("mean A", Align::Right),
        ("mean B", Align::Right),
        ("B - A [95% CI]", Align::Right),
        ("P(B better)", Align::Right),
        ("", Align::Left),
    ]);
    for d in v.diffs.iter().filter(|d| {
        registry::COMPARE_TABLE.iter().any(|m| m.name == d.metric)
            && (d.sector.is_empty() || d.region.is_empty())
    }) {
        let scope = if d.item.is_empty() {
            registry::scope(&d.sector)
        } else {
            d.item.as_str()
        };
        let unit = registry::unit_of(d.metric);
        let c = |x: f64| cell(unit, x);
        t.row(vec![
            d.metric.to_string(),
            registry::scope(&d.region).to_string(),
            scope.to_string(),
            unit_label(unit).to_string(),
            c(d.mean_a),
            c(d.mean_b),
            format!("{} [{}, {}]", c(d.mean), c(d.ci.0), c(d.ci.1)),
            d.p_b_better.map_or("-".into(), |p| format!("{p:.2}")),
            if d.significant() { "*" } else { "" }.into(),
        ]);
    }
    put(out, &t.render(colour))?;
    put(out, "\n* the 95% interval excludes zero\n")?;
    if !v.dropped.is_empty() {
        put(
            out,
            &format!("not compared (--only-common): {}\n", joined(v.dropped)),
        )?;
    }
    if !v.unpaired.is_empty() {
        put(
            out,
            &format!("no pairs for the metrics of {}\n", joined(v.unpaired)),
        )?;
    }
    Ok(())
}

/// `reesim sensitivity`: per outcome, inputs by influence.
pub(super) fn sensitivity(
    out: &mut dyn Write,
    rows: &[crate::tools::sensitivity::Influence],
    runs: u64,
    colour: bool,
) -> Result<(), AppError> {
    let corr = |v: Option<f64>| v.map_or("undefined".to_string(), |v| format!("{v:.3}"));
    let mut k = 0;
    while k < rows.len() {
        let outcome = &rows[k].outcome;
        let end = rows[k..]
            .iter()
            .position(|r| &r.outcome != outcome)
            .map_or(rows.len(), |n| k + n);
        put(
            out,
            &format!("\n{outcome}: inputs by influence ({runs} runs)\n"),
        )?;
        let mut t = Table::new(&[
            ("input", Align::Left),
            ("PRCC", Align::Right),
            ("Spearman", Align::Right),
            ("", Align::Left),
        ]);
        for j in k..end {
            let i = &rows[j];
            // A note prints where it first applies (sensitivity.csv has it on every row).
            let same = |o: Option<usize>| {
                o.filter(|o| (k..end).contains(o))
                    .is_some_and(|o| rows[o].note == i.note)
            };
            let note = if i.note.is_empty() || same(j.checked_sub(1)) {
                String::new()
            } else if same(Some(j + 1)) {
                format!("({}; also the rows below)", i.note)
            } else {
                format!("({})", i.note)
            };
            t.row(vec![i.input.clone(), corr(i.prcc), corr(i.spearman), note]);
        }
        put(out, &t.render(colour))?;
        k = end;
    }
    if rows.is_empty() {
        put(
            out,
            "no sampled inputs vary in this scenario: nothing to rank\n",
        )?;
    }
    Ok(())
}

/// What `reesim size-stockpile` prints from.
pub(super) struct SizeView<'a> {
    pub stockpile: &'a str,
    pub target: &'a str,
    /// The unit of the target's statistic: a probability, or the unit of its metric's mean.
    pub unit: &'a str,
    pub runs: u64,
    pub sizing: &'a crate::tools::size::Sizing,
    pub zero_reason: Option<&'a str>,
    /// The sizes were a given grid (`--sizes`), not a bisection up to a cap.
    pub grid: bool,
}

pub(super) fn sizing(out: &mut dyn Write, v: SizeView, colour: bool) -> Result<(), AppError> {
    let s = v.sizing;
    let unit = v.unit;
    let t = |x: f64| with_unit("t", x);
    let describe = |a: &crate::tools::size::Point| {
        format!(
            "{} = {} days of use; statistic {} (95% interval {} - {})",
            t(a.tonnes),
            number(a.days),
            with_unit(unit, a.value),
            with_unit(unit, a.interval.0),
            with_unit(unit, a.interval.1),
        )
    };
    let rule = if v.grid {
        crate::tools::size::GRID_RULE
    } else {
        crate::tools::size::RULE
    };
    let mut text = format!("rule: {rule}\n\n");
    let up_to = if v.grid {
        "of the grid, up to"
    } else {
        "up to the cap of"
    };
    text.push_str(&match &s.answer {
        Some(a) => format!(
            "smallest {} meeting {} with 95% confidence: {}, {} runs per size\n",
            v.stockpile,
            v.target,
            describe(a),
            v.runs
        ),
        None => format!(
            "no size of {} {up_to} {} ({} days) meets {} with 95% confidence\n",
            v.stockpile,
            t(s.cap_t),
            number(s.cap_t / s.tonnes_per_day),
            v.target
        ),
    });
    text.push_str(&match (&s.point_answer, &s.answer) {
        (Some(p), Some(a)) if p.tonnes == a.tonnes => {
            "on the point estimate alone: the same size\n".to_string()
        }
        (Some(p), a) => format!(
            "on the point estimate alone: {}{}\n",
            describe(p),
            if a.is_none() {
                "; more --runs narrow the interval"
            } else {
                ""
            }
        ),
        (None, _) => format!(
            "on the point estimate alone: no size {}\n",
            if v.grid {
                "of the grid"
            } else {
                "up to the cap"
            }
        ),
    });
    if let Some(why) = v.zero_reason {
        text.push_str(&format!("0 t: {why}\n"));
    }
    text.push('\n');
    put(out, &text)?;
    let mut table = Table::new(&[
        ("size (t)", Align::Right),
        ("days", Align::Right),
        (&header("statistic", unit), Align::Right),
        ("95% interval", Align::Right),
        ("meets", Align::Right),
        ("meets 95%", Align::Right),
    ]);
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    for p in &s.curve {
        table.row(vec![
            cell("t", p.tonnes),
            number(p.days),
            cell(unit, p.value),
            format!(
                "{} - {}",
                cell(unit, p.interval.0),
                cell(unit, p.interval.1)
            ),
            yes(p.met),
            yes(p.met_surely),
        ]);
    }
    put(out, &table.render(colour))
}

/// `reesim sweep`: unmet demand at each grid point.
pub(super) fn sweep(
    out: &mut dyn Write,
    paths: &[String],
    points: &[(Vec<String>, Results)],
    runs: u64,
    colour: bool,
) -> Result<(), AppError> {
    put(
        out,
        &format!("{} grid points x {runs} runs\n\n", points.len()),
    )?;
    let metric = registry::UNMET_DEMAND_T;
    let mut cols: Vec<(String, Align)> = paths.iter().map(|p| (p.clone(), Align::Left)).collect();
    for stat in ["mean", "p50", "p95"] {
        cols.push((
            header(&format!("{} {stat}", metric.name), metric.unit),
            Align::Right,
        ));
    }
    let cols: Vec<(&str, Align)> = cols.iter().map(|(h, a)| (h.as_str(), *a)).collect();
    let mut t = Table::new(&cols);
    for (values, res) in points {
        let i = res
            .outcomes
            .keys
            .iter()
            .position(|k| k.column() == metric.name)
            .unwrap_or(0);
        let s = Summary::of(&res.metric(i).map_err(RunError::from)?);
        let mut row = values.clone();
        row.extend([s.mean, s.quantiles[2], s.quantiles[4]].map(|x| cell(metric.unit, x)));
        t.row(row);
    }
    put(out, &t.render(colour))
}
