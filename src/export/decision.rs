//! CSV files of the decision tools: compare.csv, sensitivity.csv, stockpile_curve.csv.

use crate::stats::registry::{scope, unit_of};
use std::path::{Path, PathBuf};

use super::num;
use super::set::{OutputError, OutputSet};
use crate::tools::compare::Difference;
use crate::tools::sensitivity::Influence;
use crate::tools::size::Sizing;

fn write(
    set: &mut OutputSet,
    name: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<PathBuf, OutputError> {
    set.write(name, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(header)?;
        for r in rows {
            csv.write_record(&r)?;
        }
        csv.flush()
    })
}

pub const COMPARE_COLUMNS: [&str; 16] = [
    "metric",
    "region",
    "sector",
    "item",
    "unit",
    "n",
    "mean_a",
    "mean_b",
    "mean_diff",
    "ci95_low",
    "ci95_high",
    "p5_diff",
    "p50_diff",
    "p95_diff",
    "p_b_better",
    "significant",
];

/// compare.csv: one row per metric and scope with the paired difference B - A.
pub fn compare_csv(set: &mut OutputSet, diffs: &[Difference]) -> Result<PathBuf, OutputError> {
    let rows = diffs
        .iter()
        .map(|d| {
            let mut r = vec![
                d.metric.to_string(),
                scope(&d.region).to_string(),
                scope(&d.sector).to_string(),
                d.item.clone(),
                unit_of(d.metric).to_string(),
                d.n.to_string(),
            ];
            r.extend([d.mean_a, d.mean_b, d.mean, d.ci.0, d.ci.1].map(num));
            r.extend(d.quantiles.map(num));
            r.push(d.p_b_better.map_or(String::new(), num));
            r.push(if d.significant() { "1" } else { "0" }.into());
            r
        })
        .collect();
    write(set, "compare.csv", &COMPARE_COLUMNS, rows)
}

pub const SENSITIVITY_COLUMNS: [&str; 6] = ["outcome", "input", "rank", "spearman", "prcc", "note"];

/// sensitivity.csv: per outcome, inputs ranked by |PRCC| (tornado order); undefined
/// correlations are empty cells, unranked, with a note saying why.
pub fn sensitivity_csv(set: &mut OutputSet, rows: &[Influence]) -> Result<PathBuf, OutputError> {
    let mut rank = 0;
    let mut last = String::new();
    let out = rows
        .iter()
        .map(|r| {
            if r.outcome != last {
                last = r.outcome.clone();
                rank = 0;
            }
            let ranked = r.prcc.or(r.spearman).is_some();
            if ranked {
                rank += 1;
            }
            vec![
                r.outcome.clone(),
                r.input.clone(),
                if ranked {
                    rank.to_string()
                } else {
                    String::new()
                },
                r.spearman.map_or(String::new(), num),
                r.prcc.map_or(String::new(), num),
                r.note.clone(),
            ]
        })
        .collect();
    write(set, "sensitivity.csv", &SENSITIVITY_COLUMNS, out)
}

pub const CURVE_COLUMNS: [&str; 9] = [
    "size_t",
    "size_days",
    "statistic",
    "ci95_low",
    "ci95_high",
    "meets_target",
    "meets_target_ci95",
    "chosen",
    "chosen_point_estimate",
];

/// stockpile_curve.csv: every evaluated size, smallest first. `meets_target` judges the point
/// estimate, `meets_target_ci95` the whole 95% interval; `chosen` marks the answer (the
/// smallest size meeting it on the interval), `chosen_point_estimate` the smallest size
/// meeting it on the point estimate.
pub fn curve_csv(set: &mut OutputSet, s: &Sizing) -> Result<PathBuf, OutputError> {
    let chosen = s.answer.as_ref().map(|a| a.tonnes);
    let chosen_point = s.point_answer.as_ref().map(|a| a.tonnes);
    let flag = |b: bool| if b { "1" } else { "0" }.to_string();
    let rows = s
        .curve
        .iter()
        .map(|p| {
            vec![
                num(p.tonnes),
                num(p.days),
                num(p.value),
                num(p.interval.0),
                num(p.interval.1),
                flag(p.met),
                flag(p.met_surely),
                flag(Some(p.tonnes) == chosen),
                flag(Some(p.tonnes) == chosen_point),
            ]
        })
        .collect();
    write(set, "stockpile_curve.csv", &CURVE_COLUMNS, rows)
}

/// sweep.csv: one row per grid point and metric: the swept values, then the metric's summary.
pub fn sweep_csv(
    set: &mut OutputSet,
    paths: &[String],
    points: &[(Vec<String>, crate::sim::runner::Results)],
) -> Result<PathBuf, OutputError> {
    let mut header: Vec<String> = paths.to_vec();
    header.extend(super::summary::COLUMNS.iter().map(|c| c.to_string()));
    let mut rows = Vec::new();
    for (values, r) in points {
        for (m, key) in r.outcomes.keys.iter().enumerate() {
            let per_run = r.metric(m).map_err(|source| OutputError::Io {
                action: "read",
                path: "the temporary file of per-run values".into(),
                source,
            })?;
            let s = crate::stats::summary::Summary::of(&per_run);
            let mut row = values.clone();
            row.extend([
                key.metric.to_string(),
                scope(&key.region).to_string(),
                scope(&key.sector).to_string(),
                key.item.clone(),
                key.unit().to_string(),
            ]);
            row.push(s.n.to_string());
            row.extend([s.mean, s.sd, s.mcse].map(num));
            row.extend(s.quantiles.map(num));
            row.extend([s.min, s.max].map(num));
            rows.push(row);
        }
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    write(set, "sweep.csv", &header, rows)
}

/// manifest.json of a tool command (without `files`, which the output set adds): what ran,
/// with which settings, how many runs each batch needed and the Monte Carlo error it reached,
/// by which program, and when.
pub fn tool_manifest(
    command: &str,
    scenarios: &[&Path],
    settings: &crate::sim::runner::Settings,
    batches: Vec<serde_json::Value>,
    started: std::time::SystemTime,
) -> serde_json::Value {
    serde_json::json!({
        "program": "reesim",
        "version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "scenario_files": scenarios.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "seed": settings.seed,
        "runs_requested": settings.runs,
        "sampling": settings.sampling.name(),
        "until_mcse": settings.until.as_ref().map(|u| serde_json::json!({"relative_mcse": u.rel, "metrics": u.metrics})),
        "threads": settings.threads,
        "batches": batches,
        "started": super::manifest::rfc3339(started),
        "finished": super::manifest::rfc3339(std::time::SystemTime::now()),
    })
}

/// One batch's entry in a tool manifest.
pub fn batch_entry(label: &str, runs: usize, achieved: &[(String, f64)]) -> serde_json::Value {
    serde_json::json!({
        "batch": label,
        "runs": runs,
        "achieved": achieved.iter().map(|(m, e)| serde_json::json!({"metric": m, "relative_mcse": if e.is_finite() { serde_json::json!(e) } else { serde_json::Value::Null }})).collect::<Vec<_>>(),
    })
}
