//! Summary statistics of per-run values (exact: every run's value is kept).

use super::QUANTILES;

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Runs with a defined value (metrics such as a depletion month are undefined in runs
    /// where the event does not happen).
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    pub sd: f64,
    /// Monte Carlo standard error of the mean, sd / sqrt(n).
    pub mcse: f64,
    /// In the order of `QUANTILES`.
    pub quantiles: [f64; QUANTILES.len()],
    pub min: f64,
    pub max: f64,
}

/// Quantile of sorted data by linear interpolation between order statistics (R's type 7,
/// pandas' default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

impl Summary {
    /// Summary of the finite values in `xs` (NaN marks "undefined in this run").
    pub fn of(xs: &[f64]) -> Summary {
        let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            return Summary {
                n,
                mean: f64::NAN,
                sd: f64::NAN,
                mcse: f64::NAN,
                quantiles: [f64::NAN; 5],
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        // Identical values have mean exactly that value and sd exactly 0 (a plain sum would
        // leave rounding residue in both).
        let mean = if v[0] == v[n - 1] {
            v[0]
        } else {
            v.iter().sum::<f64>() / n as f64
        };
        let sd = if n > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Summary {
            n,
            mean,
            sd,
            mcse: sd / (n as f64).sqrt(),
            quantiles: QUANTILES.map(|(_, q)| quantile_sorted(&v, q)),
            min: v[0],
            max: v[n - 1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_summary() {
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0, f64::NAN]);
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, 2.5);
        // sample variance of 1..4 = 5/3
        assert!((s.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((s.mcse - s.sd / 2.0).abs() < 1e-12);
        // type 7: p25 of [1,2,3,4] = 1 + 0.75 = 1.75; p50 = 2.5
        assert!((s.quantiles[1] - 1.75).abs() < 1e-12);
        assert!((s.quantiles[2] - 2.5).abs() < 1e-12);
        assert_eq!((s.min, s.max), (1.0, 4.0));
    }
}
