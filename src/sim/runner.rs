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

use crate::model::{Onset, Scenario};
use crate::scenario::schema::Param;
use crate::sim::run;
use crate::stats::outcomes::Outcomes;
use crate::stats::timeseries::{Catalog, Sketches};

/// Runs per batch. Part of the reproducibility contract: changing it changes the floating-point
/// summation order of time-series means.
pub const BATCH: u64 = 32;

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub runs: u64,
    pub seed: u64,
    pub threads: usize,
}

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
    pub started: SystemTime,
    pub finished: SystemTime,
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
) -> BatchOut {
    let mut sketches = Sketches::new(sc.horizon, catalog.cells.len());
    let mut rows = Vec::with_capacity((runs.end - runs.start) as usize);
    let mut buf = Vec::with_capacity(catalog.cells.len());
    let sampled_ids: Vec<usize> = sc.params.sampled().map(|(id, _)| id.0).collect();
    let events = events(sc);
    for i in runs {
        let out = run::simulate(sc, seed, i);
        sketches.add_run(catalog, &out, &mut buf);
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
            metrics: outcomes.compute(sc, &out),
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
    let mut metric_values = vec![Vec::with_capacity(settings.runs as usize); outcomes.keys.len()];
    let n_batches = settings.runs.div_ceil(BATCH);
    let wave = (threads as u64 * 2).max(1);
    let mut next = 0;
    while next < n_batches {
        let batches: Vec<u64> = (next..(next + wave).min(n_batches)).collect();
        next += batches.len() as u64;
        let outs: Vec<BatchOut> = pool.install(|| {
            batches
                .par_iter()
                .map(|&b| {
                    let range = b * BATCH..((b + 1) * BATCH).min(settings.runs);
                    run_batch(sc, &catalog, &outcomes, settings.seed, range)
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
            }
            on_progress(out.rows.len() as u64);
        }
    }
    Ok(Results {
        catalog,
        sketches: total,
        outcomes,
        sampled_keys: sampled_keys(sc),
        metric_values,
        started,
        finished: SystemTime::now(),
    })
}
