//! `reesim sensitivity`: Spearman rank correlation and partial rank correlation (PRCC) of every
//! sampled input with each chosen outcome.
//!
//! PRCC of input j: rank-transform all inputs and the outcome, regress the ranks of input j and
//! of the outcome on the ranks of the other inputs (least squares with an intercept), and
//! correlate the two residuals. It measures input j's monotone influence with the others held
//! fixed.

use super::Batch;

#[derive(Debug, Clone)]
pub struct Influence {
    pub outcome: String,
    pub input: String,
    /// None: undefined (`note` says why).
    pub spearman: Option<f64>,
    pub prcc: Option<f64>,
    /// Why a correlation is undefined; empty when both are defined.
    pub note: String,
}

/// Fewest runs that give a rank correlation a chance of telling an influence from noise.
pub const MIN_RUNS: u64 = 20;

/// Fewest runs `sensitivity` accepts.
pub fn min_runs() -> u64 {
    MIN_RUNS
}

/// Why `min_runs` is what it is, for the refusal message; `inputs` is the number of sampled
/// inputs of the scenario.
pub fn min_runs_reason(inputs: usize) -> String {
    format!(
        "below {MIN_RUNS} runs a rank correlation cannot tell an influence from noise (at \
         {MIN_RUNS} runs it must exceed 0.45 in size to differ from zero at the 5% level); the \
         partial rank correlation (PRCC) of this scenario's {inputs} sampled inputs needs at \
         least {} runs and is reported as undefined with fewer",
        inputs + 3
    )
}

pub use crate::stats::rank::{pearson, ranks};

/// Residuals of `y` after least-squares regression on `xs` (with an intercept).
// Index loops mirror the textbook normal equations and elimination steps.
#[allow(clippy::needless_range_loop)]
fn residuals(y: &[f64], xs: &[&Vec<f64>]) -> Vec<f64> {
    let n = y.len();
    let k = xs.len() + 1;
    // Normal equations A b = c with A = X'X, X = [1, xs...].
    let col = |j: usize, i: usize| if j == 0 { 1.0 } else { xs[j - 1][i] };
    let mut a = vec![vec![0.0; k + 1]; k];
    for r in 0..k {
        for c in 0..k {
            a[r][c] = (0..n).map(|i| col(r, i) * col(c, i)).sum();
        }
        a[r][k] = (0..n).map(|i| col(r, i) * y[i]).sum();
        a[r][r] += 1e-9 * (1.0 + a[r][r]); // a whisper of ridge for collinear inputs
    }
    // Gaussian elimination with partial pivoting.
    for p in 0..k {
        let piv = (p..k)
            .max_by(|&i, &j| a[i][p].abs().total_cmp(&a[j][p].abs()))
            .unwrap_or(p);
        a.swap(p, piv);
        if a[p][p].abs() < 1e-300 {
            continue;
        }
        for r in 0..k {
            if r != p {
                let f = a[r][p] / a[p][p];
                for c in p..=k {
                    a[r][c] -= f * a[p][c];
                }
            }
        }
    }
    let b: Vec<f64> = (0..k)
        .map(|r| {
            if a[r][r].abs() < 1e-300 {
                0.0
            } else {
                a[r][k] / a[r][r]
            }
        })
        .collect();
    (0..n)
        .map(|i| y[i] - (0..k).map(|j| b[j] * col(j, i)).sum::<f64>())
        .collect()
}

/// Influence of every sampled input on each outcome (runs.csv column names), sorted by outcome
/// then by |PRCC|, largest first; correlations that are undefined (an outcome or input that is
/// the same in every run, an input determined by the others, too few runs) come last, with a
/// note saying why.
pub fn influences(batch: &Batch, outcomes: &[String]) -> Vec<Influence> {
    let n_in = batch.sampled_keys.len();
    // An undefined value means "never" (a control that never started, a stockpile never
    // empty): later or larger than any number.
    let never = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
    let all: Vec<(usize, Vec<f64>)> = (0..n_in)
        .map(|j| {
            (
                j,
                ranks(
                    &batch
                        .rows
                        .iter()
                        .map(|r| never(r.sampled[j]))
                        .collect::<Vec<_>>(),
                ),
            )
        })
        .collect();
    let varies = |r: &[f64]| r.iter().any(|&x| x != r[0]);
    let inputs: Vec<&(usize, Vec<f64>)> = all.iter().filter(|(_, r)| varies(r)).collect();
    let mut out = Vec::new();
    for name in outcomes {
        let Some(y) = batch.metric(name) else {
            continue;
        };
        // PRCC needs more runs than regression terms; otherwise the residuals are all zero.
        let enough = batch.rows.len() > inputs.len() + 2;
        let y = ranks(&y.iter().map(|v| never(*v)).collect::<Vec<_>>());
        let outcome_varies = !y.is_empty() && varies(&y);
        let finite = |v: f64| v.is_finite().then_some(v);
        let mut rows: Vec<Influence> = all
            .iter()
            .map(|(j, xj)| {
                let input = batch.sampled_keys[*j].clone();
                let undefined = |note: String| Influence {
                    outcome: name.clone(),
                    input: input.clone(),
                    spearman: None,
                    prcc: None,
                    note,
                };
                if !outcome_varies {
                    return undefined(format!(
                        "undefined: {name} is the same in every run, so no input moves it here"
                    ));
                }
                if xj.is_empty() || !varies(xj) {
                    return undefined("undefined: this input is the same in every run".into());
                }
                let spearman = finite(pearson(xj, &y));
                let others: Vec<&Vec<f64>> = inputs
                    .iter()
                    .filter(|(k, _)| k != j)
                    .map(|(_, x)| x)
                    .collect();
                let (prcc, note) = if enough {
                    match finite(pearson(&residuals(xj, &others), &residuals(&y, &others))) {
                        Some(p) => (Some(p), String::new()),
                        None => (
                            None,
                            "PRCC undefined: the other inputs determine this one or the outcome"
                                .into(),
                        ),
                    }
                } else {
                    (
                        None,
                        format!(
                            "PRCC undefined: {} runs for {} varying inputs; it needs at least {}",
                            batch.rows.len(),
                            inputs.len(),
                            inputs.len() + 3
                        ),
                    )
                };
                Influence {
                    outcome: name.clone(),
                    input,
                    spearman,
                    prcc,
                    note,
                }
            })
            .collect();
        // Defined PRCCs by size, then those with only a Spearman, then the undefined.
        let key = |i: &Influence| match (i.prcc, i.spearman) {
            (Some(p), _) => (0, -p.abs()),
            (None, Some(s)) => (1, -s.abs()),
            (None, None) => (2, 0.0),
        };
        rows.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0)
                .then(ka.1.total_cmp(&kb.1))
                .then_with(|| a.input.cmp(&b.input))
        });
        out.extend(rows);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[10.0, 20.0, 10.0, 5.0]), vec![2.5, 4.0, 2.5, 1.0]);
    }

    #[test]
    fn prcc_removes_a_confounder() {
        // y = x1 + x2 exactly, x2 independent of x1: both partial correlations are 1 (ranks are
        // monotone transforms, close to 1), and an unrelated x3 gets ~0.
        let n = 200;
        let x1: Vec<f64> = (0..n).map(|i| ((i * 37) % n) as f64).collect();
        let x2: Vec<f64> = (0..n).map(|i| ((i * 91 + 17) % n) as f64).collect();
        let x3: Vec<f64> = (0..n).map(|i| ((i * 53 + 5) % n) as f64).collect();
        let y: Vec<f64> = x1.iter().zip(&x2).map(|(a, b)| a + 0.3 * b).collect();
        let r = [ranks(&x1), ranks(&x2), ranks(&x3)];
        let ry = ranks(&y);
        let prcc = |j: usize| {
            let others: Vec<&Vec<f64>> = (0..3).filter(|&k| k != j).map(|k| &r[k]).collect();
            pearson(&residuals(&r[j], &others), &residuals(&ry, &others))
        };
        assert!(prcc(0) > 0.9, "{}", prcc(0));
        assert!(prcc(1) > 0.5, "{}", prcc(1));
        assert!(prcc(2).abs() < 0.2, "{}", prcc(2));
        assert!(pearson(&r[0], &ry) > pearson(&r[1], &ry));
    }
}
