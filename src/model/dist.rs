//! Probability distributions for uncertain scenario parameters.
//!
//! Every distribution is sampled through its quantile function (inverse CDF) applied to one
//! uniform draw. That choice keeps one parameter = one uniform number per run, which is what
//! common random numbers and (later) Latin hypercube sampling need: stratifying the uniform
//! stratifies the parameter.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ContinuousCDF, Normal};

/// A distribution as written in a scenario file, e.g.
/// `{ dist = "triangular", min = 1, mode = 2, max = 6 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum Dist {
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Beta-PERT with the usual shape weight of 4.
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Normal, optionally truncated to `[min, max]`.
    Normal {
        mean: f64,
        sd: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// Lognormal given by the mean and standard deviation of the variable itself (not of its
    /// logarithm), optionally truncated to `[min, max]`.
    Lognormal {
        mean: f64,
        sd: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
}

/// A number as people write it: `1e308` rather than its 309 digits, `1e9` rather than `1000000000`, `0.1` rather than
/// `0.1000000000000000055511151231257827`.
pub fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-4..1e9).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Largest magnitude of any number in a distribution. With it (and `LOGNORMAL_CV`) every
/// quantile is finite: widths, `mean + sd * z` and the lognormal's log-scale parameters cannot
/// overflow.
pub const MAX_DIST_NUMBER: f64 = 1e15;
/// Range of `sd / mean` of a lognormal: beyond it the log-scale spread overflows, below it it
/// rounds to 0.
pub const LOGNORMAL_CV: (f64, f64) = (1e-6, 1e6);

impl Dist {
    /// Checks the distribution's own parameters; returns what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() && v.abs() <= MAX_DIST_NUMBER {
                Ok(())
            } else {
                Err(format!(
                    "`{name}` must be a number between -1e15 and 1e15, found {}",
                    number(v)
                ))
            }
        };
        match *self {
            Dist::Uniform { min, max } => {
                finite("min", min)?;
                finite("max", max)?;
                if min > max {
                    return Err(format!(
                        "uniform needs min <= max, found min = {} > max = {}",
                        number(min),
                        number(max)
                    ));
                }
            }
            Dist::Triangular { min, mode, max } | Dist::Pert { min, mode, max } => {
                finite("min", min)?;
                finite("mode", mode)?;
                finite("max", max)?;
                if !(min <= mode && mode <= max) {
                    return Err(format!(
                        "{} needs min <= mode <= max, found min = {}, mode = {}, max = {}",
                        self.name(),
                        number(min),
                        number(mode),
                        number(max)
                    ));
                }
            }
            Dist::Normal { mean, sd, min, max } | Dist::Lognormal { mean, sd, min, max } => {
                finite("mean", mean)?;
                finite("sd", sd)?;
                if sd <= 0.0 {
                    return Err(format!(
                        "{} needs sd > 0, found sd = {}",
                        self.name(),
                        number(sd)
                    ));
                }
                for (name, v) in [("min", min), ("max", max)] {
                    v.map_or(Ok(()), |v| finite(name, v))?;
                }
                if matches!(self, Dist::Lognormal { .. }) && mean <= 0.0 {
                    return Err(format!(
                        "lognormal needs mean > 0, found mean = {}",
                        number(mean)
                    ));
                }
                let (cv_lo, cv_hi) = LOGNORMAL_CV;
                if matches!(self, Dist::Lognormal { .. }) && !(cv_lo..=cv_hi).contains(&(sd / mean))
                {
                    return Err(format!(
                        "lognormal needs sd between 1e-6 and 1e6 times the mean, found mean = {}, sd = {}",
                        number(mean),
                        number(sd)
                    ));
                }
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo >= hi
                {
                    return Err(format!(
                        "{} truncation needs min < max, found min = {}, max = {}",
                        self.name(),
                        number(lo),
                        number(hi)
                    ));
                }
                // A truncation window that holds (numerically) no probability cannot be sampled.
                let (plo, phi) = self.truncation_probs();
                if phi - plo <= 1e-12 {
                    return Err(format!(
                        "{} truncation window [{}, {}] holds no probability mass",
                        self.name(),
                        min.map_or("-inf".into(), number),
                        max.map_or("inf".into(), number),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn name(&self) -> &'static str {
        match self {
            Dist::Uniform { .. } => "uniform",
            Dist::Triangular { .. } => "triangular",
            Dist::Pert { .. } => "pert",
            Dist::Normal { .. } => "normal",
            Dist::Lognormal { .. } => "lognormal",
        }
    }

    /// The smallest and largest values the distribution can produce.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::Uniform { min, max }
            | Dist::Triangular { min, max, .. }
            | Dist::Pert { min, max, .. } => (min, max),
            Dist::Normal { min, max, .. } => (
                min.unwrap_or(f64::NEG_INFINITY),
                max.unwrap_or(f64::INFINITY),
            ),
            Dist::Lognormal { min, max, .. } => {
                (min.unwrap_or(0.0).max(0.0), max.unwrap_or(f64::INFINITY))
            }
        }
    }

    /// Mean of the untruncated distribution (used only for documentation and display).
    pub fn nominal_mean(&self) -> f64 {
        match *self {
            Dist::Uniform { min, max } => 0.5 * (min + max),
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Dist::Normal { mean, .. } | Dist::Lognormal { mean, .. } => mean,
        }
    }

    fn lognormal_params(mean: f64, sd: f64) -> (f64, f64) {
        let s2 = (1.0 + (sd / mean).powi(2)).ln();
        (mean.ln() - 0.5 * s2, s2.sqrt())
    }

    /// CDF values of the standard normal at the truncation bounds (normal and lognormal).
    fn truncation_probs(&self) -> (f64, f64) {
        let n = Normal::standard();
        match *self {
            Dist::Normal { mean, sd, min, max } => (
                min.map_or(0.0, |v| n.cdf((v - mean) / sd)),
                max.map_or(1.0, |v| n.cdf((v - mean) / sd)),
            ),
            Dist::Lognormal { mean, sd, min, max } => {
                let (mu, sigma) = Self::lognormal_params(mean, sd);
                let z = |v: f64| {
                    if v <= 0.0 {
                        0.0
                    } else {
                        n.cdf((v.ln() - mu) / sigma)
                    }
                };
                (min.map_or(0.0, z), max.map_or(1.0, z))
            }
            _ => (0.0, 1.0),
        }
    }

    /// The quantile function: the value below which a share `u` of the probability lies.
    /// `u` is clamped into the open interval (0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        let u = u.clamp(1e-12, 1.0 - 1e-12);
        match *self {
            Dist::Uniform { min, max } => min + u * (max - min),
            Dist::Triangular { min, mode, max } => {
                if max == min {
                    return min;
                }
                let fc = (mode - min) / (max - min);
                if u < fc {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Dist::Pert { min, mode, max } => {
                if max == min {
                    return min;
                }
                let alpha = 1.0 + 4.0 * (mode - min) / (max - min);
                let beta = 1.0 + 4.0 * (max - mode) / (max - min);
                let b = Beta::new(alpha, beta).expect("PERT shapes are >= 1 by construction");
                min + (max - min) * b.inverse_cdf(u)
            }
            Dist::Normal { mean, sd, min, max } => {
                let (plo, phi) = self.truncation_probs();
                let z = Normal::standard().inverse_cdf(plo + u * (phi - plo));
                (mean + sd * z).clamp(min.unwrap_or(f64::MIN), max.unwrap_or(f64::MAX))
            }
            Dist::Lognormal { mean, sd, min, max } => {
                let (mu, sigma) = Self::lognormal_params(mean, sd);
                let (plo, phi) = self.truncation_probs();
                let z = Normal::standard().inverse_cdf(plo + u * (phi - plo));
                (mu + sigma * z)
                    .exp()
                    .clamp(min.unwrap_or(0.0), max.unwrap_or(f64::MAX))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn uniform_and_triangular_quantiles_match_hand_values() {
        let d = Dist::Uniform { min: 2.0, max: 6.0 };
        assert!(close(d.quantile(0.25), 3.0, 1e-12));
        // Triangular(0, 1, 2) is symmetric: median 1, and F(0.5) = 0.125 so Q(0.125) = 0.5.
        let t = Dist::Triangular {
            min: 0.0,
            mode: 1.0,
            max: 2.0,
        };
        assert!(close(t.quantile(0.5), 1.0, 1e-9));
        assert!(close(t.quantile(0.125), 0.5, 1e-9));
        assert!(close(t.quantile(1.0 - 0.125), 1.5, 1e-9));
    }

    #[test]
    fn normal_and_lognormal_quantiles() {
        let n = Dist::Normal {
            mean: 10.0,
            sd: 2.0,
            min: None,
            max: None,
        };
        assert!(close(n.quantile(0.5), 10.0, 1e-9));
        // Phi^-1(0.975) = 1.959964
        assert!(close(n.quantile(0.975), 10.0 + 2.0 * 1.959964, 1e-5));
        let ln = Dist::Lognormal {
            mean: 1.0,
            sd: 0.5,
            min: None,
            max: None,
        };
        // median of a lognormal = exp(mu) = mean / sqrt(1 + cv^2)
        assert!(close(ln.quantile(0.5), 1.0 / (1.25f64).sqrt(), 1e-9));
    }

    #[test]
    fn truncated_normal_stays_inside_its_window() {
        let n = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: Some(0.0),
            max: Some(1.0),
        };
        for i in 0..=100 {
            let x = n.quantile(i as f64 / 100.0);
            assert!((0.0..=1.0).contains(&x), "{x}");
        }
        // Half-normal on [0, inf): median = Phi^-1(0.75) = 0.67449
        let h = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: Some(0.0),
            max: None,
        };
        assert!(close(h.quantile(0.5), 0.674_49, 1e-4));
    }

    #[test]
    fn pert_is_symmetric_when_mode_is_central_and_monotone() {
        let p = Dist::Pert {
            min: 0.0,
            mode: 5.0,
            max: 10.0,
        };
        assert!(close(p.quantile(0.5), 5.0, 1e-6));
        let mut last = f64::NEG_INFINITY;
        for i in 1..100 {
            let x = p.quantile(i as f64 / 100.0);
            assert!(x >= last);
            last = x;
        }
    }

    #[test]
    fn check_rejects_inverted_bounds() {
        assert!(Dist::Uniform { min: 3.0, max: 1.0 }.check().is_err());
        assert!(
            Dist::Triangular {
                min: 0.0,
                mode: 5.0,
                max: 4.0
            }
            .check()
            .is_err()
        );
        assert!(
            Dist::Normal {
                mean: 0.0,
                sd: -1.0,
                min: None,
                max: None
            }
            .check()
            .is_err()
        );
        assert!(
            Dist::Lognormal {
                mean: -1.0,
                sd: 1.0,
                min: None,
                max: None
            }
            .check()
            .is_err()
        );
        assert!(
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                min: Some(50.0),
                max: None
            }
            .check()
            .is_err()
        );
        assert!(
            Dist::Pert {
                min: 1.0,
                mode: 1.0,
                max: 1.0
            }
            .check()
            .is_ok()
        );
    }

    /// Numbers from tiny to huge, both signs: every combination the check accepts must give
    /// finite quantiles inside the support.
    #[test]
    fn every_accepted_distribution_has_finite_quantiles() {
        let xs = [
            -1e308, -1e15, -1.0, -1e-300, 0.0, 5e-324, 1e-300, 0.5, 1.0, 1e15, 1e308,
        ];
        let opts: Vec<Option<f64>> = std::iter::once(None).chain(xs.map(Some)).collect();
        let mut dists = Vec::new();
        for &a in &xs {
            for &b in &xs {
                dists.push(Dist::Uniform { min: a, max: b });
                for &c in &xs {
                    dists.push(Dist::Triangular {
                        min: a,
                        mode: b,
                        max: c,
                    });
                    dists.push(Dist::Pert {
                        min: a,
                        mode: b,
                        max: c,
                    });
                }
                for &lo in &opts {
                    for &hi in &opts {
                        let (mean, sd, min, max) = (a, b, lo, hi);
                        dists.push(Dist::Normal { mean, sd, min, max });
                        dists.push(Dist::Lognormal { mean, sd, min, max });
                    }
                }
            }
        }
        let mut accepted = 0;
        for d in dists.iter().filter(|d| d.check().is_ok()) {
            accepted += 1;
            let (lo, hi) = d.support();
            for u in [0.0, 1e-12, 0.3, 0.5, 0.9, 1.0 - 1e-12, 1.0] {
                let q = d.quantile(u);
                assert!(q.is_finite() && q >= lo && q <= hi, "{d:?} at {u}: {q}");
            }
        }
        assert!(accepted > 1000, "{accepted}");
    }
}
