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
    pub spearman: f64,
    pub prcc: f64,
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
/// then by |PRCC|, largest first. Inputs that do not vary are left out.
pub fn influences(batch: &Batch, outcomes: &[String]) -> Vec<Influence> {
    let n_in = batch.sampled_keys.len();
    // An undefined value means "never" (a control that never started, a stockpile never
    // empty): later or larger than any number.
    let never = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
    let inputs: Vec<(usize, Vec<f64>)> = (0..n_in)
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
        .filter(|(_, r)| r.iter().any(|&x| x != r[0]))
        .collect();
    let mut out = Vec::new();
    for name in outcomes {
        let Some(y) = batch.metric(name) else {
            continue;
        };
        // PRCC needs more runs than regression terms; otherwise the residuals are all zero.
        let enough = batch.rows.len() > inputs.len() + 2;
        let y = ranks(&y.iter().map(|v| never(*v)).collect::<Vec<_>>());
        let mut rows: Vec<Influence> = inputs
            .iter()
            .map(|(j, xj)| {
                let others: Vec<&Vec<f64>> = inputs
                    .iter()
                    .filter(|(k, _)| k != j)
                    .map(|(_, x)| x)
                    .collect();
                let prcc = if enough {
                    pearson(&residuals(xj, &others), &residuals(&y, &others))
                } else {
                    f64::NAN
                };
                Influence {
                    outcome: name.clone(),
                    input: batch.sampled_keys[*j].clone(),
                    spearman: pearson(xj, &y),
                    prcc,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.prcc
                .abs()
                .total_cmp(&a.prcc.abs())
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
