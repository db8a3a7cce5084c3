//! `reesim compare A B`: paired differences B - A on common random numbers.
//!
//! Both scenarios run with the same seed and run indices, so every stochastic element they
//! share draws the same numbers in run i of A and run i of B; the difference in run i is then
//! the effect of what differs between the scenarios, not Monte Carlo noise.

use super::{Batch, lower_is_better};
use crate::stats::QUANTILES;
use crate::stats::outcomes::MetricKey;
use crate::stats::summary::{Summary, quantile_sorted};

/// z for a two-sided 95% interval (the normal approximation; runs are many).
pub const Z95: f64 = 1.959_963_985;

#[derive(Debug, Clone)]
pub struct Difference {
    pub metric: &'static str,
    pub region: String,
    pub sector: String,
    pub item: String,
    /// Runs where both values are defined.
    pub n: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// Mean of the paired differences B - A, and its 95% confidence interval.
    pub mean: f64,
    pub ci: (f64, f64),
    /// Quantiles of the paired differences (p5, p50, p95).
    pub quantiles: [f64; 3],
    /// Share of runs in which B is strictly better (None when "better" has no direction).
    pub p_b_better: Option<f64>,
}

impl Difference {
    /// The interval excludes zero.
    pub fn significant(&self) -> bool {
        self.n > 1 && (self.ci.0 > 0.0 || self.ci.1 < 0.0)
    }
}

/// A region, sector or region x sector that only one of two scenarios has.
#[derive(Debug, Clone, PartialEq)]
pub struct OneSided {
    /// `region `x``, `sector `y`` or `region `x`, sector `y``.
    pub scope: String,
    /// "A" or "B": the side that has it.
    pub side: &'static str,
}

impl std::fmt::Display for OneSided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (only in {})", self.scope, self.side)
    }
}

/// The demand scopes (region, sector and region x sector) that exist in one scenario's outcome
/// metrics and not the other's, coarsest first: a region only one side has is named once, not
/// with each of its sectors.
pub fn one_sided_scopes(a: &[MetricKey], b: &[MetricKey]) -> Vec<OneSided> {
    let scopes = |keys: &[MetricKey]| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = keys
            .iter()
            .filter(|k| k.item.is_empty() && !(k.region.is_empty() && k.sector.is_empty()))
            .map(|k| (k.region.clone(), k.sector.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let (sa, sb) = (scopes(a), scopes(b));
    let mut out = Vec::new();
    for (mine, theirs, side) in [(&sa, &sb, "A"), (&sb, &sa, "B")] {
        let has =
            |s: &Vec<(String, String)>, r: &str, c: &str| s.iter().any(|(x, y)| x == r && y == c);
        for (r, c) in mine {
            if has(theirs, r, c) {
                continue;
            }
            // Covered by a coarser one-sided scope already listed.
            let region_gone = !r.is_empty() && !c.is_empty() && !has(theirs, r, "");
            let sector_gone = !r.is_empty() && !c.is_empty() && !has(theirs, "", c);
            if region_gone || sector_gone {
                continue;
            }
            let scope = match (r.is_empty(), c.is_empty()) {
                (false, true) => format!("region `{r}`"),
                (true, false) => format!("sector `{c}`"),
                _ => format!("region `{r}`, sector `{c}`"),
            };
            out.push(OneSided { scope, side });
        }
    }
    out
}

/// Paired differences for every metric the two batches share (matched by column name; see
/// `one_sided_scopes` for the scopes that cannot be matched).
pub fn differences(a: &Batch, b: &Batch) -> Vec<Difference> {
    let mut out = Vec::new();
    for (i, key) in a.outcomes.keys.iter().enumerate() {
        let col = key.column();
        let Some(j) = b.outcomes.keys.iter().position(|k| k.column() == col) else {
            continue;
        };
        let pairs: Vec<(f64, f64)> = a
            .rows
            .iter()
            .zip(&b.rows)
            .map(|(ra, rb)| (ra.metrics[i], rb.metrics[j]))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let d: Vec<f64> = pairs.iter().map(|(x, y)| y - x).collect();
        let s = Summary::of(&d);
        let mut sorted = d.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| quantile_sorted(&sorted, p);
        // With fewer than two pairs there is no interval to give.
        let half = if s.n > 1 { Z95 * s.mcse } else { f64::NAN };
        let better = lower_is_better(key.metric).map(|lower| {
            let wins = pairs
                .iter()
                .filter(|(x, y)| if lower { y < x } else { y > x })
                .count();
            if pairs.is_empty() {
                0.0
            } else {
                wins as f64 / pairs.len() as f64
            }
        });
        let mean_of = |v: Vec<f64>| Summary::of(&v).mean;
        out.push(Difference {
            metric: key.metric,
            region: key.region.clone(),
            sector: key.sector.clone(),
            item: key.item.clone(),
            n: s.n,
            mean_a: mean_of(pairs.iter().map(|p| p.0).collect()),
            mean_b: mean_of(pairs.iter().map(|p| p.1).collect()),
            mean: s.mean,
            ci: (s.mean - half, s.mean + half),
            quantiles: [q(QUANTILES[0].1), q(QUANTILES[2].1), q(QUANTILES[4].1)],
            p_b_better: better,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(scopes: &[(&str, &str)]) -> Vec<MetricKey> {
        scopes
            .iter()
            .map(|(r, s)| MetricKey {
                metric: "unmet_demand_t",
                region: r.to_string(),
                sector: s.to_string(),
                item: String::new(),
                item_kind: "",
            })
            .collect()
    }

    #[test]
    fn one_sided_scopes_are_named_once_at_the_coarsest_level() {
        let a = outcomes(&[
            ("", ""),
            ("x", ""),
            ("y", ""),
            ("", "ev"),
            ("x", "ev"),
            ("y", "ev"),
        ]);
        let b = outcomes(&[
            ("", ""),
            ("x", ""),
            ("z", ""),
            ("", "ev"),
            ("", "wind"),
            ("x", "ev"),
            ("x", "wind"),
            ("z", "ev"),
        ]);
        let got: Vec<String> = one_sided_scopes(&a, &b)
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "region `y` (only in A)",
                "sector `wind` (only in B)",
                "region `z` (only in B)"
            ]
        );
        assert!(one_sided_scopes(&a, &a).is_empty());
    }
}
