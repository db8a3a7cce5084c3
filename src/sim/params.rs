//! The table of numeric parameters of a scenario and their per-run sampling.
//!
//! Validation registers every numeric value of the scenario here under its key (its dotted path
//! in the scenario, with list items named, e.g. `regions.china.mines.bayan_obo.capacity_t`) and
//! the model refers to it by `ParamId`. At the start of each run, `sample` turns the table into a
//! plain vector of numbers: fixed values are copied, distributions get one uniform draw from the
//! parameter's own stream.

pub use crate::model::param::{Param, ParamDef, ParamId, ParamTable, Values};
use crate::sim::streams;
use rand::RngExt;

impl ParamTable {
    /// Values for run `run`: fixed numbers as written, distributions sampled from their own
    /// streams.
    pub fn sample(&self, seed: u64, run: u64) -> Values {
        self.sample_with(seed, run, None)
    }

    /// Values for run `run`, by plain Monte Carlo or, with a design, by Latin hypercube: the
    /// run's uniform draw `u` becomes `(stratum + u) / n` with the parameter's stratum for this
    /// run in the design's block.
    pub fn sample_with(&self, seed: u64, run: u64, lhs: Option<&Lhs>) -> Values {
        Values(
            self.defs
                .iter()
                .map(|d| match &d.value {
                    Param::Fixed(v) => *v,
                    Param::Dist(dist) => {
                        let mut u: f64 = streams::stream(seed, run, &d.key).random();
                        if let Some(l) = lhs {
                            u = l.stratify(&d.key, run, u);
                        }
                        dist.quantile(u)
                    }
                })
                .collect(),
        )
    }
}

/// A Latin hypercube design over a block of runs `start..start + n`: for every sampled
/// parameter, a random permutation of the `n` strata, drawn from a stream keyed by the seed,
/// the block and the parameter (so it does not depend on threads, and parameters that two
/// scenarios share get the same strata).
#[derive(Debug, Clone)]
pub struct Lhs {
    start: u64,
    n: u64,
    perms: std::collections::HashMap<String, Vec<u32>>,
}

impl Lhs {
    pub fn new(table: &ParamTable, seed: u64, start: u64, n: u64) -> Lhs {
        let mut perms = std::collections::HashMap::new();
        for (_, d) in table.sampled() {
            perms.entry(d.key.clone()).or_insert_with(|| {
                let mut p: Vec<u32> = (0..n as u32).collect();
                let mut rng = streams::stream(seed, start, &format!("{}#lhs", d.key));
                for i in (1..p.len()).rev() {
                    let j = rng.random_range(0..=i);
                    p.swap(i, j);
                }
                p
            });
        }
        Lhs { start, n, perms }
    }

    /// The stratified uniform for parameter `key` in run `run` (a run of this block).
    pub fn stratify(&self, key: &str, run: u64, u: f64) -> f64 {
        match self.perms.get(key) {
            Some(p) => (p[(run - self.start) as usize] as f64 + u) / self.n as f64,
            None => u,
        }
    }
}
