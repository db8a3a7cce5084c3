//! The table of numeric parameters of a scenario and their per-run sampling.
//!
//! Validation registers every numeric value of the scenario here under its key (its dotted path
//! in the scenario, with list items named, e.g. `regions.china.mines.bayan_obo.capacity_t`) and
//! the model refers to it by `ParamId`. At the start of each run, `sample` turns the table into a
//! plain vector of numbers: fixed values are copied, distributions get one uniform draw from the
//! parameter's own stream. A block design (`Design`) can stratify those draws (Latin hypercube)
//! and rearrange them among the block's runs to impose rank correlations (Iman-Conover).

use rand::{RngExt, SeedableRng};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::model::Correlation;
use crate::model::dist::Dist;
pub use crate::model::param::{Param, ParamDef, ParamId, ParamTable, Values};
use crate::model::param::{cholesky, correlation_matrix};
use crate::sim::streams;
use crate::stats::rank::pearson_matrix;

impl ParamTable {
    /// Values for run `run`: fixed numbers as written, distributions sampled from their own
    /// streams.
    pub fn sample(&self, seed: u64, run: u64) -> Values {
        self.sample_with(seed, run, None)
    }

    /// Values for run `run`, by plain Monte Carlo or with a block design (Latin hypercube
    /// strata, correlations): the design gives the uniform each parameter uses in this run.
    /// One run on its own; `Sampler` gives the same values for many runs at less cost per run.
    pub fn sample_with(&self, seed: u64, run: u64, design: Option<&Design>) -> Values {
        let mut values = fixed_values(self);
        for (id, d) in self.sampled() {
            let Param::Dist(dist) = &d.value else {
                unreachable!("sampled parameters are distributions")
            };
            let own = own_uniform(seed, run, &d.key);
            values[id.0] = dist.quantile(design.map_or(own, |b| b.uniform(id, own, run)));
        }
        Values(values)
    }
}

/// Every parameter's fixed value as written, NaN where it is sampled.
fn fixed_values(table: &ParamTable) -> Vec<f64> {
    (table.defs.iter())
        .map(|d| match d.value {
            Param::Fixed(v) => v,
            Param::Dist(_) => f64::NAN,
        })
        .collect()
}

/// `ParamTable::sample_with` for run after run of one table: what depends only on the table
/// (the fixed values, which parameters are sampled, their keys' hashes) is worked out once.
#[derive(Debug, Clone)]
pub struct Sampler<'a> {
    /// Every parameter's fixed value, NaN where sampled: each run starts from a copy.
    fixed: Vec<f64>,
    /// The sampled parameters in table order.
    sampled: Vec<(ParamId, &'a Dist)>,
    /// The seeds of the sampled parameters' own streams (`streams::stream_seed`).
    seeds: streams::KeySeeds,
}

impl<'a> Sampler<'a> {
    pub fn new(table: &'a ParamTable) -> Self {
        let dist = |d: &'a ParamDef| match &d.value {
            Param::Dist(dist) => dist,
            Param::Fixed(_) => unreachable!("sampled parameters are distributions"),
        };
        let keys: Vec<&str> = table.sampled().map(|(_, d)| d.key.as_str()).collect();
        Sampler {
            fixed: fixed_values(table),
            sampled: table.sampled().map(|(id, d)| (id, dist(d))).collect(),
            seeds: streams::KeySeeds::new(&keys),
        }
    }

    /// `ParamTable::sample_with(seed, run, design)`, the same values.
    pub fn sample(&self, seed: u64, run: u64, design: Option<&Design>) -> Values {
        let mut values = self.fixed.clone();
        for (&(id, dist), s) in self.sampled.iter().zip(self.seeds.seeds(seed, run)) {
            let own = first_uniform(s);
            values[id.0] = dist.quantile(design.map_or(own, |b| b.uniform(id, own, run)));
        }
        Values(values)
    }
}

/// The first uniform draw of the stream seeded with `seed` (`streams::stream_seed`).
fn first_uniform(seed: u64) -> f64 {
    streams::Stream::seed_from_u64(seed).random()
}

/// The first uniform draw of parameter `key`'s own stream in run `run`.
fn own_uniform(seed: u64, run: u64, key: &str) -> f64 {
    first_uniform(streams::stream_seed(seed, run, key))
}

/// A sampling design over a block of runs `start..start + n`, fixed before any run of the block
/// starts (so it does not depend on threads):
/// - Latin hypercube (`lhs`): for every sampled parameter, a random permutation of the `n`
///   strata, drawn from a stream keyed by the seed, the block and the parameter (parameters that
///   two scenarios share get the same strata); run `i` uses `(stratum + u_i) / n` with `u_i` its
///   own draw;
/// - correlations (Iman-Conover): the uniforms of the correlated parameters (plain or
///   stratified) are rearranged among the block's runs so that their rank correlations come
///   close to the targets; every parameter keeps exactly the values it had, so its marginal
///   distribution is unchanged.
///
/// Both tables are indexed by `ParamId` (None for a parameter the design leaves alone), so a
/// run's sampling looks nothing up by name.
#[derive(Debug, Clone)]
pub struct Design {
    start: u64,
    n: u64,
    /// Latin hypercube: each sampled parameter's strata, in run order.
    perms: Vec<Option<Vec<u32>>>,
    /// Correlated parameters: the uniform of each run of the block.
    arranged: Vec<Option<Vec<f64>>>,
}

impl Design {
    pub fn new(
        table: &ParamTable,
        correlations: &[Correlation],
        seed: u64,
        start: u64,
        n: u64,
        lhs: bool,
    ) -> Design {
        let mut perms = vec![None; table.defs.len()];
        if lhs {
            for (id, d) in table.sampled() {
                let mut p: Vec<u32> = (0..n as u32).collect();
                let mut rng = streams::stream(seed, start, &format!("{}#lhs", d.key));
                for i in (1..p.len()).rev() {
                    let j = rng.random_range(0..=i);
                    p.swap(i, j);
                }
                perms[id.0] = Some(p);
            }
        }
        let mut design = Design {
            start,
            n,
            perms,
            arranged: vec![None; table.defs.len()],
        };
        if !correlations.is_empty() && n >= 3 {
            let (ids, target) = correlation_matrix(correlations);
            let keys: Vec<&str> = ids.iter().map(|id| table.defs[id.0].key.as_str()).collect();
            let columns: Vec<Vec<f64>> = ids
                .iter()
                .zip(&keys)
                .map(|(&id, k)| {
                    (start..start + n)
                        .map(|run| design.stratified(id, own_uniform(seed, run, k), run))
                        .collect()
                })
                .collect();
            let arranged = iman_conover(&columns, &target, seed, start, &keys);
            for (id, col) in ids.iter().zip(arranged) {
                design.arranged[id.0] = Some(col);
            }
        }
        design
    }

    /// The uniform parameter `id` uses in run `run` (a run of this block), given the first
    /// draw `own` of its own stream in that run.
    pub fn uniform(&self, id: ParamId, own: f64, run: u64) -> f64 {
        match &self.arranged[id.0] {
            Some(col) => col[(run - self.start) as usize],
            None => self.stratified(id, own, run),
        }
    }

    /// `own` moved into the parameter's stratum for run `run` under a Latin hypercube.
    fn stratified(&self, id: ParamId, own: f64, run: u64) -> f64 {
        match &self.perms[id.0] {
            Some(p) => (p[(run - self.start) as usize] as f64 + own) / self.n as f64,
            None => own,
        }
    }
}

/// Iman-Conover (1982): rearranges each column of `columns` (`[param][run]`, `n` runs) so that
/// the rank correlations among the columns come close to `target`. Scores: each column gets a
/// random permutation (stream keyed by the seed, the block start and the parameter) of the van
/// der Waerden scores `Phi^-1(i / (n + 1))`; with `E` their correlation matrix, `E = F F^T` and
/// `target = P P^T` (Cholesky), the scores become `M (F^-1)^T P^T`, and each column's values
/// are put in the rank order of its new scores. Values are only moved between runs, never
/// changed.
fn iman_conover(
    columns: &[Vec<f64>],
    target: &[Vec<f64>],
    seed: u64,
    start: u64,
    keys: &[&str],
) -> Vec<Vec<f64>> {
    let k = columns.len();
    let n = columns[0].len();
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    let scores: Vec<f64> = (1..=n)
        .map(|i| normal.inverse_cdf(i as f64 / (n as f64 + 1.0)))
        .collect();
    // `m[j][i]`: score of run i in column j.
    let m: Vec<Vec<f64>> = keys
        .iter()
        .map(|key| {
            let mut col = scores.clone();
            let mut rng = streams::stream(seed, start, &format!("{key}#ic"));
            for i in (1..n).rev() {
                let j = rng.random_range(0..=i);
                col.swap(i, j);
            }
            col
        })
        .collect();
    let e = pearson_matrix(&m);
    let (Some(f), Some(p)) = (cholesky(&e), cholesky(target)) else {
        return columns.to_vec();
    };
    // Row by row: t = P F^-1 m (column vectors), i.e. solve F y = m, then t = P y.
    let mut t = vec![vec![0.0; n]; k];
    let mut y = vec![0.0; k];
    for i in 0..n {
        for a in 0..k {
            let s: f64 = (0..a).map(|b| f[a][b] * y[b]).sum();
            y[a] = (m[a][i] - s) / f[a][a];
        }
        for a in 0..k {
            t[a][i] = (0..=a).map(|b| p[a][b] * y[b]).sum();
        }
    }
    columns
        .iter()
        .zip(&t)
        .map(|(col, tc)| {
            let mut sorted = col.clone();
            sorted.sort_by(f64::total_cmp);
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| tc[a].total_cmp(&tc[b]).then(a.cmp(&b)));
            let mut out = vec![0.0; n];
            for (rank, &run) in order.iter().enumerate() {
                out[run] = sorted[rank];
            }
            out
        })
        .collect()
}
