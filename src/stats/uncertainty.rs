//! Where the spread of an outcome comes from: the share of its variance across runs that each
//! sampled input explains on its own (a first-order, or main-effect, sensitivity index),
//! estimated from the runs already made.
//!
//! Estimator: the runs are put in `B` bins of equal count by the input's rank (or one bin per
//! value when the input takes at most `B` distinct values, e.g. whether a control happens), and
//! the share is the bias-adjusted correlation ratio
//! `1 - (SSW / (n - B)) / (SST / (n - 1))`, clamped to [0, 1], with `SSW` the sum of squares of
//! the outcome within bins and `SST` in total: the part of the variance the bin means explain,
//! less what `B` bins would explain by chance. `B = clamp(floor(n^(1/3)), 2, 50)`.
//! Limits: it measures main effects only (an input that matters only together with another gets
//! little credit, so the shares need not sum to 1); correlated inputs share credit; with few
//! runs the shares are noisy (roughly +-B/n).

/// Bins for `n` runs.
pub fn bins(n: usize) -> usize {
    ((n as f64).cbrt().floor() as usize).clamp(2, 50)
}

/// First-order share of the variance of `y` explained by `x` (pairs with a NaN left out); NaN
/// when `y` does not vary or there are fewer than 2 bins' worth of runs.
pub fn first_order_share(x: &[f64], y: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .collect();
    let Some(total) = Spread::of(pairs.iter().map(|p| p.1)) else {
        return f64::NAN;
    };
    let mut sorted = pairs;
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    share_of_sorted(&sorted, total)
}

/// Count and total sum of squares of an outcome's values (in run order), or None when there
/// are fewer than 2 bins' worth of runs or the values do not vary.
#[derive(Debug, Clone, Copy)]
struct Spread {
    n: usize,
    sst: f64,
}

impl Spread {
    fn of(y: impl Iterator<Item = f64> + Clone) -> Option<Spread> {
        let n = y.clone().count();
        if n < 2 * bins(n) {
            return None;
        }
        let mean = y.clone().sum::<f64>() / n as f64;
        let sst: f64 = y.map(|v| (v - mean).powi(2)).sum();
        (sst > 0.0).then_some(Spread { n, sst })
    }
}

/// The share from the pairs sorted by input, then outcome.
fn share_of_sorted(sorted: &[(f64, f64)], total: Spread) -> f64 {
    let (n, sst) = (total.n, total.sst);
    let b = bins(n);
    // Groups: one per value when there are few, else B bins of (nearly) equal count.
    let few_values = sorted.chunk_by(|a, b| a.0 == b.0).nth(b).is_none();
    let (ssw, g) = if few_values {
        within_groups(sorted.chunk_by(|a, b| a.0 == b.0))
    } else {
        within_groups(
            (0..b)
                .map(|k| &sorted[k * n / b..(k + 1) * n / b])
                .filter(|g| !g.is_empty()),
        )
    };
    if g < 2 {
        return 0.0;
    }
    (1.0 - (ssw / (n - g) as f64) / (sst / (n - 1) as f64)).clamp(0.0, 1.0)
}

/// The sum of squares of the outcome within the groups (summed group by group), and how
/// many groups there are.
fn within_groups<'a>(groups: impl Iterator<Item = &'a [(f64, f64)]>) -> (f64, usize) {
    let mut g = 0;
    let ssw = groups
        .map(|grp| {
            g += 1;
            let m = grp.iter().map(|p| p.1).sum::<f64>() / grp.len() as f64;
            grp.iter().map(|p| (p.1 - m).powi(2)).sum::<f64>()
        })
        .sum();
    (ssw, g)
}

/// An outcome prepared once for every input: its spread and ranks, when it has no NaN.
struct Outcome<'a> {
    y: &'a [f64],
    complete: Option<(Option<Spread>, Vec<f64>)>,
}

impl<'a> Outcome<'a> {
    fn new(y: &'a [f64]) -> Self {
        let complete = (!y.iter().any(|v| v.is_nan()))
            .then(|| (Spread::of(y.iter().copied()), crate::stats::rank::ranks(y)));
        Outcome { y, complete }
    }
}

/// Input `x`'s (first-order share, Spearman correlation) for each outcome, the same numbers
/// `first_order_share` and `spearman` give, with the input sorted and ranked once.
fn input_effects(x: &[f64], outcomes: &[Outcome]) -> Vec<(f64, f64)> {
    let x_complete = !x.iter().any(|v| v.is_nan());
    let prepared = x_complete.then(|| {
        let order = crate::stats::rank::ascending(x);
        let ranks = crate::stats::rank::ranks_in_order(x, &order);
        let ties = ties(x, &order);
        (order, ranks, ties)
    });
    outcomes
        .iter()
        .map(|o| match (&prepared, &o.complete) {
            (Some((order, x_ranks, ties)), Some((spread, y_ranks))) => {
                let share = spread.map_or(f64::NAN, |total| {
                    share_of_sorted(&sorted_pairs(x, o.y, order, ties), total)
                });
                (share, crate::stats::rank::pearson(x_ranks, y_ranks))
            }
            _ => (
                first_order_share(x, o.y),
                crate::stats::rank::spearman(x, o.y),
            ),
        })
        .collect()
}

/// The places in `order` (x ascending) of each run of two or more equal x (`f64::total_cmp`):
/// found once per input, not once per outcome.
fn ties(x: &[f64], order: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut ties = Vec::new();
    let mut start = 0;
    for (k, w) in order.windows(2).enumerate() {
        if !x[w[0]].total_cmp(&x[w[1]]).is_eq() {
            if k > start {
                ties.push(start..k + 1);
            }
            start = k + 1;
        }
    }
    if order.len() > start + 1 {
        ties.push(start..order.len());
    }
    ties
}

/// The (x, y) pairs in the order of `order` (x ascending), runs of equal x (`ties`) sorted by
/// y: the order of sorting the pairs by x, then y.
fn sorted_pairs(
    x: &[f64],
    y: &[f64],
    order: &[usize],
    ties: &[std::ops::Range<usize>],
) -> Vec<(f64, f64)> {
    let mut pairs: Vec<(f64, f64)> = order.iter().map(|&i| (x[i], y[i])).collect();
    for run in ties {
        pairs[run.clone()].sort_by(|a, b| a.1.total_cmp(&b.1));
    }
    pairs
}

/// One input's share of one outcome's variance.
#[derive(Debug, Clone)]
pub struct Driver {
    pub outcome: String,
    pub input: String,
    /// 1 = the largest share for this outcome.
    pub rank: usize,
    pub share: f64,
    /// Spearman rank correlation of input and outcome (the direction of the effect).
    pub spearman: f64,
}

/// The outcomes whose spread is broken down: unmet demand (t) and unmet share for the world,
/// and unmet demand (t) for each region, as runs.csv names them.
pub fn headline_outcomes(region_names: &[String]) -> Vec<String> {
    use crate::stats::registry::{BREAKDOWN, UNMET_DEMAND_T};
    let mut out: Vec<String> = BREAKDOWN.iter().map(|m| m.name.to_string()).collect();
    out.extend(
        region_names
            .iter()
            .map(|r| format!("{}[region={r}]", UNMET_DEMAND_T.name)),
    );
    out
}

/// Every input's first-order share of each outcome's variance, largest first per outcome.
/// `inputs` names the inputs and `column(i)` gives input `i`'s values per run (inputs are
/// loaded a few at a time and worked on in parallel, so memory holds a few input columns
/// besides the outcomes); `outcomes` are `(name, values per run)`. An outcome that does not
/// vary gets no rows.
pub fn breakdown<E: Send>(
    inputs: &[String],
    column: impl Fn(usize) -> Result<Vec<f64>, E> + Sync,
    outcomes: &[(String, Vec<f64>)],
) -> Result<Vec<Driver>, E> {
    use rayon::prelude::*;
    let prepared: Vec<Outcome> = outcomes.iter().map(|(_, y)| Outcome::new(y)).collect();
    let effects: Vec<Vec<(f64, f64)>> = (0..inputs.len())
        .into_par_iter()
        .map(|i| Ok(input_effects(&column(i)?, &prepared)))
        .collect::<Result<_, E>>()?;
    let mut rows = Vec::new();
    for (o, (oname, _)) in outcomes.iter().enumerate() {
        let mut these: Vec<Driver> = inputs
            .iter()
            .zip(&effects)
            .filter(|(_, e)| !e[o].0.is_nan())
            .map(|(iname, e)| Driver {
                outcome: oname.clone(),
                input: iname.clone(),
                rank: 0,
                share: e[o].0,
                spearman: e[o].1,
            })
            .collect();
        these.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.input.cmp(&b.input)));
        for (k, d) in these.iter_mut().enumerate() {
            d.rank = k + 1;
        }
        rows.extend(these);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic uniform sequence (golden-ratio Weyl sequence).
    fn weyl(n: usize, phase: f64, step: f64) -> Vec<f64> {
        (0..n).map(|i| (phase + i as f64 * step).fract()).collect()
    }

    #[test]
    fn an_outcome_of_one_input_is_explained_by_it_alone() {
        let n = 8000;
        let x1 = weyl(n, 0.1, 0.618_033_988_749_894_9);
        let x2 = weyl(n, 0.3, 0.414_213_562_373_095_1);
        let y: Vec<f64> = x1.iter().map(|x| 3.0 * x * x + 1.0).collect();
        let (s1, s2) = (first_order_share(&x1, &y), first_order_share(&x2, &y));
        // 20 bins of x1: what is left is the spread of y within a bin, ~1/400 of the total.
        assert!(s1 > 0.99, "share of the driving input {s1}");
        assert!(s2 < 0.01, "share of an unrelated input {s2}");
    }

    #[test]
    fn two_additive_inputs_split_the_variance_by_their_own_variances() {
        // y = x1 + 2 x2 with independent uniforms: Var = 1/12 + 4/12, shares 0.2 and 0.8.
        let n = 20000;
        let x1 = weyl(n, 0.1, 0.618_033_988_749_894_9);
        let x2 = weyl(n, 0.3, 0.414_213_562_373_095_1);
        let y: Vec<f64> = x1.iter().zip(&x2).map(|(a, b)| a + 2.0 * b).collect();
        let (s1, s2) = (first_order_share(&x1, &y), first_order_share(&x2, &y));
        assert!((s1 - 0.2).abs() < 0.02, "{s1}");
        assert!((s2 - 0.8).abs() < 0.02, "{s2}");
    }

    #[test]
    fn the_shared_sorting_gives_the_pairwise_numbers_bit_for_bit() {
        // Inputs with ties (a few distinct values), NaNs, and continuous values; outcomes with
        // ties, a NaN and a constant.
        let n = 3000;
        let cont = weyl(n, 0.2, 0.618_033_988_749_894_9);
        let few: Vec<f64> = cont.iter().map(|v| (v * 40.0).floor()).collect();
        let mut nan = cont.clone();
        nan[7] = f64::NAN;
        let y1: Vec<f64> = cont.iter().map(|v| (v * 13.0).sin().round()).collect();
        let y2: Vec<f64> = few.iter().zip(&cont).map(|(a, b)| a + b * 0.1).collect();
        let mut y3 = y2.clone();
        y3[11] = f64::NAN;
        let inputs = ["cont", "few", "nan"].map(String::from).to_vec();
        let cols = [cont, few, nan];
        let outcomes: Vec<(String, Vec<f64>)> =
            [("y1", y1), ("y2", y2), ("y3", y3), ("k", vec![4.0; n])]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
        let rows = breakdown(&inputs, |i| Ok::<_, ()>(cols[i].clone()), &outcomes).unwrap();
        let mut checked = 0;
        for d in &rows {
            let x = &cols[inputs.iter().position(|i| *i == d.input).unwrap()];
            let y = &outcomes.iter().find(|o| o.0 == d.outcome).unwrap().1;
            assert_eq!(d.share.to_bits(), first_order_share(x, y).to_bits());
            assert_eq!(
                d.spearman.to_bits(),
                crate::stats::rank::spearman(x, y).to_bits()
            );
            checked += 1;
        }
        assert_eq!(checked, 9, "three inputs x three varying outcomes");
    }

    #[test]
    fn a_yes_no_input_is_grouped_by_its_values_and_a_constant_outcome_has_no_share() {
        let x: Vec<f64> = (0..100).map(|i| f64::from(u8::from(i % 4 == 0))).collect();
        let y: Vec<f64> = x.iter().map(|v| 10.0 * v).collect();
        assert!((first_order_share(&x, &y) - 1.0).abs() < 1e-12);
        assert!(first_order_share(&x, &[5.0; 100]).is_nan());
    }
}
