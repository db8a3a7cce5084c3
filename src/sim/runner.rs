//! The parallel Monte Carlo runner.
//!
//! Runs are cut into fixed batches of `BATCH` consecutive run indices. Batches run in parallel
//! on a rayon pool, a wave at a time; each batch folds its runs in index order into its own
//! accumulator, and the runner merges batch accumulators into the total in batch order. Since
//! neither the batch boundaries nor the merge order depend on the number of threads, the
//! results are bit-identical for any `--threads`. Memory is bounded by one wave of batch
//! accumulators plus the per-run outcome rows (which summary.csv needs exactly).

use std::time::SystemTime;

use rayon::prelude::*;

use crate::model::param::Param;
use crate::model::{Onset, Scenario};
use crate::sim::params::Design;
use crate::sim::run;
use crate::stats::outcomes::Outcomes;
use crate::stats::rank::spearman;
use crate::stats::timeseries::{Catalog, Sketches};

/// Runs per batch. Part of the reproducibility contract: changing it changes the floating-point
/// summation order of time-series means.
pub const BATCH: u64 = 32;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Runs to do (with `until`: the most to do).
    pub runs: u64,
    pub seed: u64,
    pub threads: usize,
    pub sampling: Sampling,
    /// Stop once these metrics' relative Monte Carlo standard errors are small enough.
    pub until: Option<Until>,
    /// Runs per block (one Latin hypercube design each). Default: all runs, or
    /// `UNTIL_BLOCK` under a stop rule. A paired batch sets it to match the other's blocks.
    pub block: Option<u64>,
}

impl Settings {
    /// Plain Monte Carlo over `runs` runs.
    pub fn mc(runs: u64, seed: u64, threads: usize) -> Self {
        Settings {
            runs,
            seed,
            threads,
            sampling: Sampling::Mc,
            until: None,
            block: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Independent draws per run.
    Mc,
    /// Latin hypercube per block of runs (the whole batch, or each block with `until`).
    Lhs,
}

impl Sampling {
    pub fn name(self) -> &'static str {
        match self {
            Sampling::Mc => "mc",
            Sampling::Lhs => "lhs",
        }
    }
}

/// Stop rule: add blocks of `UNTIL_BLOCK` runs until every listed metric's relative MCSE
/// (`sd / sqrt(n) / |mean|`) is at most `rel`.
#[derive(Debug, Clone)]
pub struct Until {
    pub rel: f64,
    /// runs.csv column names of the metrics watched.
    pub metrics: Vec<String>,
}

/// Runs added at a time under a stop rule (a multiple of `BATCH`).
pub const UNTIL_BLOCK: u64 = 256;

/// One run's row of runs.csv.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub run: u64,
    pub sampled: Vec<f64>,
    pub metrics: Vec<f64>,
}

pub struct Results {
    pub catalog: Catalog,
    pub sketches: Sketches,
    pub outcomes: Outcomes,
    /// Column names of the sampled inputs in `RunRow::sampled`.
    pub sampled_keys: Vec<String>,
    /// `[metric][run]`.
    pub metric_values: Vec<Vec<f64>>,
    /// `[input][run]`: the sampled inputs of `sampled_keys`.
    pub sampled_values: Vec<Vec<f64>>,
    pub started: SystemTime,
    pub finished: SystemTime,
    /// Runs done.
    pub runs: u64,
    /// With a stop rule: each watched metric's relative MCSE when the runner stopped.
    pub achieved: Vec<(String, f64)>,
    /// Each `[[correlations]]` entry: the two keys, the target and the Spearman rank
    /// correlation of the sampled values over all runs.
    pub correlations: Vec<CorrelationAchieved>,
}

/// A target rank correlation and the one the runs achieved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CorrelationAchieved {
    pub params: [String; 2],
    pub target: f64,
    pub achieved: f64,
}

/// Relative Monte Carlo standard error of a metric's mean: 0 when every run gave the same
/// value, infinite when the mean is 0 but runs differ.
pub fn relative_mcse(values: &[f64]) -> f64 {
    let s = crate::stats::summary::Summary::of(values);
    if s.sd == 0.0 || s.n == 0 {
        0.0
    } else if s.mean == 0.0 {
        f64::INFINITY
    } else {
        s.mcse / s.mean.abs()
    }
}

/// Per-run random events reported as inputs in runs.csv besides the sampled parameters.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// Whether control `i` happens (controls that may not happen).
    Occurs(usize),
    /// Start month of control `i` (random onset); empty when it never starts.
    Start(usize),
}

fn events(sc: &Scenario) -> Vec<(String, Event)> {
    let mut out = Vec::new();
    for (i, c) in sc.controls.iter().enumerate() {
        if !matches!(sc.params.defs[c.probability.0].value, Param::Fixed(p) if p >= 1.0) {
            out.push((format!("controls.{}.occurs", c.name), Event::Occurs(i)));
        }
        if matches!(c.onset, Onset::Hazard(_)) {
            out.push((format!("controls.{}.start", c.name), Event::Start(i)));
        }
    }
    out
}

/// Names of the per-run sampled inputs: every parameter with a distribution, then the random
/// events (occurrence of controls that may not happen, start of randomly timed controls).
pub fn sampled_keys(sc: &Scenario) -> Vec<String> {
    let mut keys: Vec<String> = sc.params.sampled().map(|(_, d)| d.key.clone()).collect();
    keys.extend(events(sc).into_iter().map(|(k, _)| k));
    keys
}

struct BatchOut {
    sketches: Sketches,
    rows: Vec<RunRow>,
}

fn run_batch(
    sc: &Scenario,
    catalog: &Catalog,
    outcomes: &Outcomes,
    seed: u64,
    runs: std::ops::Range<u64>,
    design: Option<&Design>,
) -> BatchOut {
    let mut sketches = Sketches::new(sc.horizon, catalog.cells.len());
    let mut rows = Vec::with_capacity((runs.end - runs.start) as usize);
    let mut buf = Vec::with_capacity(catalog.cells.len());
    let sampled_ids: Vec<usize> = sc.params.sampled().map(|(id, _)| id.0).collect();
    let events = events(sc);
    let mut ws = run::Workspace::new(sc);
    for i in runs {
        let v = sc.params.sample_with(seed, i, design);
        let out = run::simulate_into(&mut ws, v, seed, i);
        sketches.add_run(catalog, out, &mut buf);
        let mut sampled: Vec<f64> = sampled_ids.iter().map(|&id| out.values.0[id]).collect();
        for (_, e) in &events {
            sampled.push(match *e {
                Event::Occurs(i) => f64::from(u8::from(out.courses[i].occurs)),
                Event::Start(i) => {
                    let s = out.courses[i].start;
                    if s < sc.horizon { s as f64 } else { f64::NAN }
                }
            });
        }
        rows.push(RunRow {
            run: i,
            sampled,
            metrics: outcomes.compute(sc, out),
        });
    }
    BatchOut { sketches, rows }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start {threads} worker threads: {source}")]
    Pool {
        threads: usize,
        source: rayon::ThreadPoolBuildError,
    },
    #[error("{0}")]
    Sink(#[from] std::io::Error),
    #[error(
        "unknown metric `{0}` (use a runs.csv column name such as unmet_demand_t or unmet_share[region=rest_of_world])"
    )]
    UnknownMetric(String),
}

/// Runs the batch. `on_rows` receives finished runs in run order as they complete (for
/// streaming runs.csv); `on_progress` the number of runs done so far.
pub fn run(
    sc: &Scenario,
    settings: Settings,
    on_rows: &mut dyn FnMut(&[RunRow]) -> std::io::Result<()>,
    on_progress: &mut dyn FnMut(u64),
) -> Result<Results, RunError> {
    let started = SystemTime::now();
    let threads = settings.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| RunError::Pool { threads, source })?;
    let catalog = Catalog::new(sc);
    let outcomes = Outcomes::new(sc);
    let mut total = Sketches::new(sc.horizon, catalog.cells.len());
    // Reserve modestly: with a stop rule most of `runs` may never be done.
    let mut metric_values =
        vec![Vec::with_capacity(settings.runs.min(1 << 16) as usize); outcomes.keys.len()];
    let watched: Vec<usize> = match &settings.until {
        Some(u) => u
            .metrics
            .iter()
            .map(|m| {
                outcomes
                    .keys
                    .iter()
                    .position(|k| k.column() == *m)
                    .ok_or_else(|| RunError::UnknownMetric(m.clone()))
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let wave = (threads as u64 * 2).max(1);
    // Runs go in blocks: the whole batch, or `UNTIL_BLOCK` at a time under a stop rule. Each
    // block has its own Latin hypercube design; batch boundaries and merge order stay those of
    // one long sequence of runs, so results do not depend on the threads.
    let block = settings.block.unwrap_or(if settings.until.is_some() {
        UNTIL_BLOCK
    } else {
        settings.runs.max(1)
    });
    let mut done = 0;
    let mut achieved = Vec::new();
    // Sampled values of the correlated parameters, `[correlation][side][run]`.
    let sampled_ids: Vec<usize> = sc.params.sampled().map(|(id, _)| id.0).collect();
    let column_of = |id: crate::model::param::ParamId| {
        sampled_ids
            .iter()
            .position(|&x| x == id.0)
            .expect("correlated parameters are sampled")
    };
    let mut correlated: Vec<[Vec<f64>; 2]> = vec![[Vec::new(), Vec::new()]; sc.correlations.len()];
    let mut sampled_values: Vec<Vec<f64>> = vec![Vec::new(); sampled_keys(sc).len()];
    while done < settings.runs {
        let end = (done + block).min(settings.runs);
        let lhs = settings.sampling == Sampling::Lhs;
        let design = (lhs || !sc.correlations.is_empty()).then(|| {
            Design::new(
                &sc.params,
                &sc.correlations,
                settings.seed,
                done,
                end - done,
                lhs,
            )
        });
        let (first, last) = (done / BATCH, end.div_ceil(BATCH));
        let mut next = first;
        while next < last {
            let batches: Vec<u64> = (next..(next + wave).min(last)).collect();
            next += batches.len() as u64;
            let outs: Vec<BatchOut> = pool.install(|| {
                batches
                    .par_iter()
                    .map(|&b| {
                        let range = (b * BATCH).max(done)..((b + 1) * BATCH).min(end);
                        run_batch(
                            sc,
                            &catalog,
                            &outcomes,
                            settings.seed,
                            range,
                            design.as_ref(),
                        )
                    })
                    .collect()
            });
            for out in outs {
                total.merge(&out.sketches);
                on_rows(&out.rows)?;
                for row in &out.rows {
                    for (m, v) in row.metrics.iter().enumerate() {
                        metric_values[m].push(*v);
                    }
                    for (col, v) in sampled_values.iter_mut().zip(&row.sampled) {
                        col.push(*v);
                    }
                    for (c, cols) in sc.correlations.iter().zip(&mut correlated) {
                        cols[0].push(row.sampled[column_of(c.a)]);
                        cols[1].push(row.sampled[column_of(c.b)]);
                    }
                }
                on_progress(out.rows.len() as u64);
            }
        }
        done = end;
        if let Some(u) = &settings.until {
            achieved = watched
                .iter()
                .map(|&m| (outcomes.keys[m].column(), relative_mcse(&metric_values[m])))
                .collect();
            if achieved.iter().all(|(_, e)| *e <= u.rel) {
                break;
            }
        }
    }
    Ok(Results {
        catalog,
        sketches: total,
        outcomes,
        sampled_keys: sampled_keys(sc),
        metric_values,
        sampled_values,
        started,
        finished: SystemTime::now(),
        runs: done,
        achieved,
        correlations: sc
            .correlations
            .iter()
            .zip(&correlated)
            .map(|(c, cols)| CorrelationAchieved {
                params: [c.a, c.b].map(|id| sc.params.defs[id.0].key.clone()),
                target: c.r,
                achieved: spearman(&cols[0], &cols[1]),
            })
            .collect(),
    })
}
