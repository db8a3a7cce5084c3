//! `reesim size-stockpile`: the smallest initial size of a stockpile that meets a target.
//!
//! Every size is run with the same seed and run indices (common random numbers), and more
//! stockpile never increases unmet demand in any run (tests/properties.rs), so a target on
//! unmet demand is monotone in the size and bisection finds the smallest size that meets it.

use super::{Batch, run_batch};
use crate::model::param::Param;
use crate::model::{Scenario, StockpileSize};
use crate::sim::runner::{RunError, Settings};
use crate::stats::summary::Summary;

/// A reliability target on one metric (a runs.csv column).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// `P(metric op x) op2 p` (`op2` is `>=` or `>`)
    Probability {
        metric: String,
        op: Op,
        x: f64,
        op2: Op,
        p: f64,
    },
    /// `mean(metric) op x`
    Mean { metric: String, op: Op, x: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Le,
    Lt,
    Ge,
    Gt,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Le => a <= b,
            Op::Lt => a < b,
            Op::Ge => a >= b,
            Op::Gt => a > b,
        }
    }
}

fn split_op(s: &str) -> Option<(&str, Op, &str)> {
    for (tok, op) in [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)] {
        if let Some(i) = s.find(tok) {
            return Some((s[..i].trim(), op, s[i + tok.len()..].trim()));
        }
    }
    None
}

fn number(s: &str, what: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| format!("{what}: `{}` is not a number", s.trim()))
}

impl Target {
    /// Parses `P(METRIC <= X) >= P` or `mean(METRIC) <= X` (`<`, `>=`, `>` work too).
    pub fn parse(s: &str) -> Result<Target, String> {
        let s = s.trim();
        let usage = format!(
            "a target such as `P({}[sector=defense] <= 0.01) >= 0.95` or `mean({}) <= 500`",
            crate::stats::registry::UNMET_SHARE.name,
            crate::stats::registry::UNMET_DEMAND_T.name
        );
        if let Some(rest) = s.strip_prefix("P(").or_else(|| s.strip_prefix("p(")) {
            let close = rest
                .rfind(')')
                .ok_or_else(|| format!("missing `)` in `{s}`; expected {usage}"))?;
            let (inner, after) = (&rest[..close], &rest[close + 1..]);
            let (metric, op, x) = split_op(inner)
                .ok_or_else(|| format!("no comparison inside P(...) in `{s}`; expected {usage}"))?;
            let (_, op2, p) = split_op(after).ok_or_else(|| {
                format!("no `>= probability` after P(...) in `{s}`; expected {usage}")
            })?;
            if !matches!(op2, Op::Ge | Op::Gt) {
                return Err(format!(
                    "a probability target reads `P(...) >= p`, found `{}`",
                    after.trim()
                ));
            }
            let p = number(p, "probability")?;
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("probability {p} is not between 0 and 1"));
            }
            Ok(Target::Probability {
                metric: metric.to_string(),
                op,
                x: number(x, "threshold")?,
                op2,
                p,
            })
        } else if let Some(rest) = s.strip_prefix("mean(") {
            let close = rest
                .rfind(')')
                .ok_or_else(|| format!("missing `)` in `{s}`; expected {usage}"))?;
            let (_, op, x) = split_op(&rest[close + 1..]).ok_or_else(|| {
                format!("no comparison after mean(...) in `{s}`; expected {usage}")
            })?;
            Ok(Target::Mean {
                metric: rest[..close].trim().to_string(),
                op,
                x: number(x, "threshold")?,
            })
        } else {
            Err(format!("cannot read target `{s}`; expected {usage}"))
        }
    }

    pub fn metric(&self) -> &str {
        match self {
            Target::Probability { metric, .. } | Target::Mean { metric, .. } => metric,
        }
    }

    /// Whether the target holds for every value of the statistic in its 95% interval: the
    /// lower bound for `P(...) >= p` and `mean(...) >= x`, the upper bound for
    /// `mean(...) <= x`.
    pub fn holds_surely(&self, interval: (f64, f64)) -> bool {
        match self {
            Target::Probability { op2, p, .. } => op2.holds(interval.0, *p),
            Target::Mean { op, x, .. } => match op {
                Op::Le | Op::Lt => op.holds(interval.1, *x),
                Op::Ge | Op::Gt => op.holds(interval.0, *x),
            },
        }
    }

    /// The target's statistic on a batch (probability or mean) and whether it is met.
    pub fn evaluate(&self, values: &[f64]) -> (f64, bool) {
        match self {
            Target::Probability { op, x, op2, p, .. } => {
                let n = values.len().max(1) as f64;
                let share = values.iter().filter(|v| op.holds(**v, *x)).count() as f64 / n;
                (share, op2.holds(share, *p))
            }
            Target::Mean { op, x, .. } => {
                let m = Summary::of(values).mean;
                (m, op.holds(m, *x))
            }
        }
    }
}

/// Wilson score 95% interval for a proportion `p` from `n` runs.
pub fn wilson(p: f64, n: usize) -> (f64, f64) {
    let z = super::compare::Z95;
    let n = n.max(1) as f64;
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / d;
    ((c - h).max(0.0), (c + h).min(1.0))
}

/// One evaluated size.
#[derive(Debug, Clone)]
pub struct Point {
    pub tonnes: f64,
    pub days: f64,
    /// The target's statistic (probability or mean) at this size.
    pub value: f64,
    /// The point estimate meets the target.
    pub met: bool,
    /// The whole 95% interval meets the target (`Target::holds_surely`).
    pub met_surely: bool,
    /// 95% interval of the statistic (Wilson for a probability, mean +/- 1.96 MCSE).
    pub interval: (f64, f64),
    /// Runs behind the statistic.
    pub runs: usize,
}

/// How the answer is chosen, for the user and manifest.json.
pub const RULE: &str = "the answer is the smallest size whose whole 95% interval meets the \
    target (for P(...) >= p: the lower bound of the Wilson interval is at least p); the \
    smallest size whose point estimate meets it is reported beside it";

/// How the answer is chosen on a grid of sizes (`--sizes`): the same interval rule, over the
/// sizes given.
pub const GRID_RULE: &str = "the answer is the smallest size of the grid whose whole 95% \
    interval meets the target (for P(...) >= p: the lower bound of the Wilson interval is at \
    least p); the smallest size of the grid whose point estimate meets it is reported beside it";

#[derive(Debug, Clone)]
pub struct Sizing {
    /// The smallest size found whose 95% interval meets the target (None: none within the
    /// cap).
    pub answer: Option<Point>,
    /// The smallest size found whose point estimate meets the target.
    pub point_answer: Option<Point>,
    pub cap_t: f64,
    /// Every evaluated size, smallest first.
    pub curve: Vec<Point>,
    pub tonnes_per_day: f64,
}

/// The scenario with stockpile `index` set to `tonnes`.
pub fn with_size(sc: &Scenario, index: usize, tonnes: f64) -> Scenario {
    let mut s = sc.clone();
    let key = format!("stockpiles.{}.initial_t", s.stockpiles[index].name);
    let id = s.params.add(key, Param::Fixed(tonnes));
    s.stockpiles[index].size = StockpileSize::Tonnes(id);
    s
}

fn point(target: &Target, batch: &Batch, tonnes: f64, per_day: f64) -> Result<Point, RunError> {
    let values = batch
        .metric(target.metric())
        .ok_or_else(|| RunError::UnknownMetric(target.metric().to_string()))?;
    // A metric undefined in a run means "never" (a stockpile that never ran out, cover with no
    // demand): it counts, as later or larger than any number, so every run stays in.
    let values: Vec<f64> = values
        .into_iter()
        .map(|v| if v.is_nan() { f64::INFINITY } else { v })
        .collect();
    let (value, met) = target.evaluate(&values);
    let interval = match target {
        Target::Probability { .. } => wilson(value, values.len()),
        Target::Mean { .. } => {
            let s = Summary::of(&values);
            (
                s.mean - super::compare::Z95 * s.mcse,
                s.mean + super::compare::Z95 * s.mcse,
            )
        }
    };
    Ok(Point {
        met_surely: target.holds_surely(interval),
        tonnes,
        days: if per_day > 0.0 {
            tonnes / per_day
        } else {
            f64::NAN
        },
        value,
        met,
        interval,
        runs: batch.rows.len(),
    })
}

/// Bisection on the size of stockpile `index` between 0 and `cap_t` until the bracket is
/// within `tolerance_t`: first for the smallest size whose 95% interval meets the target (the
/// answer), then, within what that search learned, for the smallest whose point estimate does.
pub fn size(
    sc: &Scenario,
    index: usize,
    target: &Target,
    settings: &Settings,
    cap_t: f64,
    tolerance_t: f64,
    progress: &mut dyn crate::progress::Progress,
) -> Result<Sizing, RunError> {
    let per_day = crate::sim::run::tonnes_per_day(sc, settings.seed, 0, index);
    let mut curve: Vec<Point> = Vec::new();
    let mut eval = |t: f64, curve: &mut Vec<Point>| -> Result<Point, RunError> {
        if let Some(p) = curve.iter().find(|p| p.tonnes == t) {
            return Ok(p.clone());
        }
        progress.stage(
            &format!(
                "{} t (evaluation {})",
                crate::stats::num::num(t),
                curve.len() + 1
            ),
            settings.runs,
        );
        let p = point(
            target,
            &run_batch(&with_size(sc, index, t), settings, progress)?,
            t,
            per_day,
        )?;
        curve.push(p.clone());
        Ok(p)
    };
    let mut smallest =
        |meets: fn(&Point) -> bool, curve: &mut Vec<Point>| -> Result<Option<Point>, RunError> {
            let zero = eval(0.0, curve)?;
            if meets(&zero) {
                return Ok(Some(zero));
            }
            let top = eval(cap_t, curve)?;
            if !meets(&top) {
                return Ok(None);
            }
            // Start from the tightest bracket already known (more stockpile never makes a target
            // on unmet demand harder to meet).
            let mut lo = curve
                .iter()
                .filter(|p| !meets(p))
                .map(|p| p.tonnes)
                .fold(0.0, f64::max);
            let mut best = curve
                .iter()
                .filter(|p| meets(p) && p.tonnes > lo)
                .min_by(|a, b| a.tonnes.total_cmp(&b.tonnes))
                .cloned()
                .unwrap_or(top);
            while best.tonnes - lo > tolerance_t {
                let p = eval(0.5 * (lo + best.tonnes), curve)?;
                if meets(&p) {
                    best = p;
                } else {
                    lo = p.tonnes;
                }
            }
            Ok(Some(best))
        };
    let answer = smallest(|p| p.met_surely, &mut curve)?;
    let point_answer = smallest(|p| p.met, &mut curve)?;
    curve.sort_by(|a, b| a.tonnes.total_cmp(&b.tonnes));
    Ok(Sizing {
        answer,
        point_answer,
        cap_t,
        curve,
        tonnes_per_day: per_day,
    })
}

/// Evaluates stockpile `index` at each of `sizes` (tonnes), in order, with the same seed and
/// run indices (common random numbers), as the bisection evaluates a size.
pub fn evaluate(
    sc: &Scenario,
    index: usize,
    target: &Target,
    settings: &Settings,
    sizes: &[f64],
    progress: &mut dyn crate::progress::Progress,
) -> Result<Vec<Point>, RunError> {
    let per_day = crate::sim::run::tonnes_per_day(sc, settings.seed, 0, index);
    sizes
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            progress.stage(
                &format!(
                    "{} t (size {}/{})",
                    crate::stats::num::num(t),
                    i + 1,
                    sizes.len()
                ),
                settings.runs,
            );
            point(
                target,
                &run_batch(&with_size(sc, index, t), settings, progress)?,
                t,
                per_day,
            )
        })
        .collect()
}

/// The decision on a grid of evaluated sizes (`curve`, smallest first), by [`GRID_RULE`]: the
/// answer is the smallest size whose 95% interval meets the target, the point answer the
/// smallest whose point estimate does; the cap is the largest size.
pub fn decide(curve: Vec<Point>, tonnes_per_day: f64) -> Sizing {
    Sizing {
        answer: curve.iter().find(|p| p.met_surely).cloned(),
        point_answer: curve.iter().find(|p| p.met).cloned(),
        cap_t: curve.last().map_or(0.0, |p| p.tonnes),
        curve,
        tonnes_per_day,
    }
}

/// `region` and `sector` of a runs.csv column such as `unmet_share[region=x,sector=y]`.
fn scope_of(column: &str) -> (Option<&str>, Option<&str>) {
    let inner = column
        .split_once('[')
        .and_then(|(_, r)| r.strip_suffix(']'))
        .unwrap_or("");
    let mut region = None;
    let mut sector = None;
    for part in inner.split(',') {
        match part.split_once('=') {
            Some(("region", v)) => region = Some(v.trim()),
            Some(("sector", v)) => sector = Some(v.trim()),
            _ => {}
        }
    }
    (region, sector)
}

/// Why the answer is 0 t, when it is: the target is met without the stockpile, and whether
/// the sector it names is already served first by priority allocation.
pub fn zero_reason(sc: &Scenario, index: usize, target: &Target, s: &Sizing) -> Option<String> {
    let a = s.answer.as_ref().filter(|a| a.tonnes == 0.0)?;
    let num = |v: f64| {
        if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else if v.abs() >= 1.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.3}")
        }
    };
    let mut why = format!(
        "the target is already met without this stockpile: at 0 t the statistic is {} (95% \
         interval {} - {})",
        num(a.value),
        num(a.interval.0),
        num(a.interval.1)
    );
    let (region, sector) = scope_of(target.metric());
    if let Some(sector) = sector
        && let Some(si) = sc.sectors.iter().position(|n| n == sector)
    {
        let regions: Vec<usize> = match region {
            Some(r) => sc.region_index(r).into_iter().collect(),
            None => sc.stockpiles[index].serves.clone(),
        };
        let first: Vec<String> = regions
            .iter()
            .filter_map(|&r| {
                let reg = &sc.regions[r];
                let mine = reg.sectors.iter().find(|x| x.sector == si)?.priority;
                let served_first = reg.sectors.iter().all(|x| x.priority >= mine)
                    && reg.sectors.iter().any(|x| x.priority > mine);
                served_first.then(|| format!("`{}` (priority {mine})", reg.name))
            })
            .collect();
        if !first.is_empty() && first.len() == regions.len() {
            why.push_str(&format!(
                "; priority allocation already protects `{sector}`: it is served before the \
                 other sectors in {}",
                first.join(", ")
            ));
        }
    }
    Some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            Target::parse("P(unmet_share[sector=defense] <= 0.01) >= 0.95").unwrap(),
            Target::Probability {
                metric: "unmet_share[sector=defense]".into(),
                op: Op::Le,
                x: 0.01,
                op2: Op::Ge,
                p: 0.95
            }
        );
        assert_eq!(
            Target::parse("mean(unmet_demand_t) <= 500").unwrap(),
            Target::Mean {
                metric: "unmet_demand_t".into(),
                op: Op::Le,
                x: 500.0
            }
        );
        assert!(Target::parse("P(x <= 1) <= 0.5").is_err());
        assert!(Target::parse("median(x) < 3").is_err());
        assert!(Target::parse("P(x <= 1) >= 1.5").is_err());
        let strict = Target::parse("P(x <= 1) > 0.5").unwrap();
        assert_eq!(strict.evaluate(&[0.0, 2.0]), (0.5, false));
        assert!(strict.evaluate(&[0.0, 0.0, 2.0]).1);
    }

    #[test]
    fn evaluation_and_wilson_by_hand() {
        let t = Target::parse("P(x <= 1) >= 0.75").unwrap();
        assert_eq!(t.evaluate(&[0.0, 1.0, 2.0, 0.5]), (0.75, true));
        let (lo, hi) = wilson(0.5, 100);
        // Wilson 95% for 50/100: 0.4038 - 0.5962
        assert!(
            (lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3,
            "{lo} {hi}"
        );
    }
}
