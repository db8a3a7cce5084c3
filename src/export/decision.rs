//! CSV files of the decision tools: compare.csv, sensitivity.csv, stockpile_curve.csv.

use std::io::{self, Write};

use super::{Export, num};
use crate::stats::registry::{scope, unit_of};
use crate::tools::compare::Difference;
use crate::tools::sensitivity::Influence;
use crate::tools::size::Sizing;

fn write(w: &mut dyn Write, header: &[&str], rows: Vec<Vec<String>>) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(header)?;
    for r in rows {
        csv.write_record(&r)?;
    }
    csv.flush()
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
pub struct CompareCsv<'a>(pub &'a [Difference]);

impl Export for CompareCsv<'_> {
    fn file_name(&self) -> &'static str {
        "compare.csv"
    }
    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        compare_csv(w, self.0)
    }
}

fn compare_csv(w: &mut dyn Write, diffs: &[Difference]) -> io::Result<()> {
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
    write(w, &COMPARE_COLUMNS, rows)
}

pub const SENSITIVITY_COLUMNS: [&str; 6] = ["outcome", "input", "rank", "spearman", "prcc", "note"];

/// sensitivity.csv: per outcome, inputs ranked by |PRCC| (tornado order); undefined
/// correlations are empty cells, unranked, with a note saying why.
pub struct SensitivityCsv<'a>(pub &'a [Influence]);

impl Export for SensitivityCsv<'_> {
    fn file_name(&self) -> &'static str {
        "sensitivity.csv"
    }
    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        sensitivity_csv(w, self.0)
    }
}

fn sensitivity_csv(w: &mut dyn Write, rows: &[Influence]) -> io::Result<()> {
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
    write(w, &SENSITIVITY_COLUMNS, out)
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
pub struct CurveCsv<'a>(pub &'a Sizing);

impl Export for CurveCsv<'_> {
    fn file_name(&self) -> &'static str {
        "stockpile_curve.csv"
    }
    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        curve_csv(w, self.0)
    }
}

fn curve_csv(w: &mut dyn Write, s: &Sizing) -> io::Result<()> {
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
    write(w, &CURVE_COLUMNS, rows)
}

/// sweep.csv: one row per grid point and metric: the swept values, then the metric's summary.
pub struct SweepCsv<'a> {
    /// The swept paths, one column each.
    pub paths: &'a [String],
    /// Each grid point's values (in path order) and results.
    pub points: &'a [(Vec<String>, crate::sim::runner::Results)],
}

impl Export for SweepCsv<'_> {
    fn file_name(&self) -> &'static str {
        "sweep.csv"
    }
    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        sweep_csv(w, self.paths, self.points)
    }
}

fn sweep_csv(
    w: &mut dyn Write,
    paths: &[String],
    points: &[(Vec<String>, crate::sim::runner::Results)],
) -> io::Result<()> {
    let mut header: Vec<String> = paths.to_vec();
    header.extend(super::summary::COLUMNS.iter().map(|c| c.to_string()));
    let mut rows = Vec::new();
    for (values, r) in points {
        for (m, key) in r.outcomes.keys.iter().enumerate() {
            let per_run = r.metric(m)?;
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
    write(w, &header, rows)
}
