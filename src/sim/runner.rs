//! The parallel Monte Carlo runner.
//!
//! Runs are cut into fixed batches of `BATCH` consecutive run indices. Worker threads take
//! batches in order and add each run's time series to their own histograms; the calling thread
//! puts finished batches back in run order for runs.csv and the per-run columns. Histogram
//! merges are exact and order-free and every per-run value depends only on the run index, so
//! the results are bit-identical for any `--threads` (and any split of the runs into shards).
//! Memory is bounded: one histogram set per worker, and per-run values spilled to a temporary
//! file in chunks (stats::columns).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::SystemTime;

use crate::model::param::Param;
use crate::model::{Onset, Scenario};
use crate::sim::params::{Design, Sampler};
use crate::sim::run;
use crate::stats::columns::Columns;
use crate::stats::outcomes::Outcomes;
use crate::stats::rank::spearman;
use crate::stats::timeseries::{Catalog, Sketches};

/// Runs per batch: the unit of work handed to a worker.
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
    /// Run only this part of the `runs` runs.
    pub shard: Option<Shard>,
}

/// Part `index` (0-based) of a batch cut into `count` parts of consecutive run indices: runs
/// `floor(index * runs / count) .. floor((index + 1) * runs / count)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The run indices of this shard of a batch of `runs` runs.
    pub fn runs(&self, runs: u64) -> std::ops::Range<u64> {
        let at = |k: u64| (u128::from(runs) * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }
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
            shard: None,
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
    /// Each run's metrics, in `outcomes.keys` order.
    pub metrics: Columns,
    /// Each run's sampled inputs, in `sampled_keys` order.
    pub sampled: Columns,
    pub started: SystemTime,
    pub finished: SystemTime,
    /// Runs done.
    pub runs: u64,
    /// Shard directories these results were merged from (empty for a plain run).
    pub shards: Vec<String>,
    /// The uncertainty breakdown, once computed (export::uncertainty::drivers).
    pub drivers: std::sync::OnceLock<Vec<crate::stats::uncertainty::Driver>>,
    /// Every metric's summary, once computed (`summaries`).
    pub summaries: std::sync::OnceLock<Vec<crate::stats::summary::Summary>>,
    /// Threads for the work on finished runs (summaries, the uncertainty breakdown): the
    /// batch's worker threads.
    pub threads: usize,
    /// With a stop rule: each watched metric's relative MCSE when the runner stopped.
    pub achieved: Vec<(String, f64)>,
    /// Each `[[correlations]]` entry: the two keys, the target and the Spearman rank
    /// correlation of the sampled values over all runs.
    pub correlations: Vec<CorrelationAchieved>,
}

impl Results {
    /// Every run's value of metric `m` (an index into `outcomes.keys`), in run order.
    pub fn metric(&self, m: usize) -> std::io::Result<Vec<f64>> {
        self.metrics.column(m)
    }

    /// Every run's value of sampled input `j` (an index into `sampled_keys`), in run order.
    pub fn input(&self, j: usize) -> std::io::Result<Vec<f64>> {
        self.sampled.column(j)
    }

    /// Every metric's summary over the runs (exact quantiles), in `outcomes.keys` order:
    /// computed once, metrics in parallel on `threads` threads (each sorts its own column, so
    /// the result does not depend on the thread count).
    pub fn summaries(&self) -> std::io::Result<&[crate::stats::summary::Summary]> {
        use rayon::prelude::*;
        if let Some(s) = self.summaries.get() {
            return Ok(s);
        }
        let s = self.in_pool(|| {
            (0..self.outcomes.keys.len())
                .into_par_iter()
                .map(|m| Ok(crate::stats::summary::Summary::of(&self.metric(m)?)))
                .collect::<std::io::Result<Vec<_>>>()
        })?;
        Ok(self.summaries.get_or_init(|| s))
    }

    /// Runs `f` (which may use rayon) on a pool of `threads` threads, so that work on the
    /// finished runs keeps to the thread count the user chose.
    pub fn in_pool<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.max(1))
            .build()
        {
            Ok(pool) => pool.install(f),
            // No pool (threads could not start): the global one.
            Err(_) => f(),
        }
    }
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
        "unknown metric `{0}` (use a runs.csv column name such as {total} or {share}[region=rest_of_world])",
        total = crate::stats::registry::UNMET_DEMAND_T.name,
        share = crate::stats::registry::UNMET_SHARE.name
    )]
    UnknownMetric(String),
}

/// Most runs in one sampling block (one Latin hypercube / correlation design), so that a
/// design's memory stays bounded (a block of `n` runs holds a few `n`-long vectors per
/// correlated parameter).
pub const MAX_BLOCK: u64 = 65_536;

/// Writes one run's row as text (a line of runs.csv), appending to the buffer.
pub type RowText = fn(&RunRow, &mut Vec<u8>);

/// Takes finished runs in run order, with their rows as text (empty without a `RowText`).
pub type OnRows<'a> = dyn FnMut(&[RunRow], &[u8]) -> std::io::Result<()> + 'a;

/// Runs the batch. `on_rows` receives finished runs in run order as they complete (for
/// streaming runs.csv), with their rows as text when `row_text` is given: the text is written
/// by the worker that ran the batch, so the calling thread, which shares the cores with the
/// workers, only has to write it out. `on_progress` receives the number of runs done so far.
pub fn run(
    sc: &Scenario,
    settings: Settings,
    row_text: Option<RowText>,
    on_rows: &mut OnRows<'_>,
    on_progress: &mut dyn FnMut(u64),
) -> Result<Results, RunError> {
    let started = SystemTime::now();
    let threads = settings.threads.max(1);
    let catalog = Catalog::new(sc);
    let outcomes = Outcomes::new(sc);
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
    // Runs go in blocks: all runs (at most `MAX_BLOCK` at a time), or `UNTIL_BLOCK` at a time
    // under a stop rule. Each block has its own sampling design; batch boundaries stay those of
    // one long sequence of runs, so results do not depend on the threads.
    let block = settings.block.unwrap_or(if settings.until.is_some() {
        UNTIL_BLOCK
    } else {
        settings.runs.clamp(1, MAX_BLOCK)
    });
    let keys = sampled_keys(sc);
    let mut store = Store {
        metrics: Columns::new(outcomes.keys.len()),
        sampled: Columns::new(keys.len()),
        watched: vec![Vec::new(); watched.len()],
    };
    // One histogram set per worker: histogram merges are exact and order-free, so which worker
    // ran which batch does not change the totals.
    let workers = threads.min(settings.runs.div_ceil(BATCH).max(1) as usize);
    let mut sketches: Vec<Sketches> = (0..workers)
        .map(|_| Sketches::new(sc.horizon, catalog.cells.len()))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("reesim-worker-{i}"))
        .build()
        .map_err(|source| RunError::Pool { threads, source })?;
    let range = settings
        .shard
        .map_or(0..settings.runs, |s| s.runs(settings.runs));
    let mut done = range.start;
    let mut achieved = Vec::new();
    let sampler = Sampler::new(&sc.params);
    while done < range.end {
        // The block holding run `done`: blocks are cut from run 0, whatever part is run here.
        let start = done / block * block;
        let block_end = (start + block).min(settings.runs);
        let end = block_end.min(range.end);
        let lhs = settings.sampling == Sampling::Lhs;
        let design = (lhs || !sc.correlations.is_empty()).then(|| {
            Design::new(
                &sc.params,
                &sc.correlations,
                settings.seed,
                start,
                block_end - start,
                lhs,
            )
        });
        let job = Job {
            sc,
            catalog: &catalog,
            outcomes: &outcomes,
            seed: settings.seed,
            runs: done..end,
            sampler: &sampler,
            design: design.as_ref(),
            row_text,
        };
        job.run(&pool, &mut sketches, &mut |rows: &[RunRow], text: &[u8]| {
            on_rows(rows, text)?;
            store.push(rows, &watched)?;
            on_progress(rows.len() as u64);
            Ok(())
        })?;
        done = end;
        if let Some(u) = &settings.until {
            achieved = watched
                .iter()
                .zip(&store.watched)
                .map(|(&m, v)| (outcomes.keys[m].column(), relative_mcse(v)))
                .collect();
            if achieved.iter().all(|(_, e)| *e <= u.rel) {
                break;
            }
        }
    }
    let mut total = sketches.pop().expect("at least one worker");
    for s in &sketches {
        total.merge(s);
    }
    let correlations = achieved_correlations(sc, &store.sampled)?;
    Ok(Results {
        catalog,
        sketches: total,
        outcomes,
        sampled_keys: keys,
        metrics: store.metrics,
        sampled: store.sampled,
        started,
        finished: SystemTime::now(),
        runs: done - range.start,
        achieved,
        correlations,
        shards: Vec::new(),
        drivers: Default::default(),
        summaries: Default::default(),
        threads,
    })
}

/// Each `[[correlations]]` entry with the Spearman rank correlation its two inputs reached over
/// the runs of `sampled` (columns in `sampled_keys` order).
pub fn achieved_correlations(
    sc: &Scenario,
    sampled: &Columns,
) -> std::io::Result<Vec<CorrelationAchieved>> {
    let column_of = |id: crate::model::param::ParamId| {
        sc.params
            .sampled()
            .position(|(x, _)| x == id)
            .expect("correlated parameters are sampled")
    };
    sc.correlations
        .iter()
        .map(|c| {
            Ok(CorrelationAchieved {
                params: [c.a, c.b].map(|id| sc.params.defs[id.0].key.clone()),
                target: c.r,
                achieved: spearman(
                    &sampled.column(column_of(c.a))?,
                    &sampled.column(column_of(c.b))?,
                ),
            })
        })
        .collect()
}

/// Per-run values kept for the summaries: every metric and sampled input (bounded memory), and
/// the metrics a stop rule watches (in memory).
struct Store {
    metrics: Columns,
    sampled: Columns,
    watched: Vec<Vec<f64>>,
}

impl Store {
    fn push(&mut self, rows: &[RunRow], watched: &[usize]) -> std::io::Result<()> {
        for row in rows {
            self.metrics.push(&row.metrics)?;
            self.sampled.push(&row.sampled)?;
            for (&m, col) in watched.iter().zip(&mut self.watched) {
                col.push(row.metrics[m]);
            }
        }
        Ok(())
    }
}

/// What one worker reuses from batch to batch: the run's workspace, the batch's time-series
/// values (added to the histograms at the batch's end, `Sketches::add_runs`) and the outcome
/// metrics' tables.
struct Worker<'a> {
    ws: run::Workspace<'a>,
    /// Time-series values of the runs not yet added to the histograms, run after run.
    values: Vec<f64>,
    /// Runs in `values`.
    pending: usize,
    outcomes: crate::stats::outcomes::Scratch,
    /// The longest batch text so far: the next batch's text is allocated at that size once.
    text_len: usize,
}

/// Runs whose time-series values a worker gathers before adding them to its histograms. The
/// bucket counts of all histograms (about 20 MB for the baseline) do not stay in cache, so each
/// histogram's busy buckets are fetched from memory once per addition: once per 256 runs rather
/// than once per batch of 32. Histograms are order-free, so when values are added does not
/// change any bit.
const RECORD_RUNS: usize = 256;

impl Worker<'_> {
    /// Adds the pending runs' values to `sketches`.
    fn record(&mut self, sketches: &mut Sketches, per_run: usize) {
        sketches.add_runs(&self.values[..self.pending * per_run]);
        self.pending = 0;
    }
}

/// A block of runs with everything its batches share.
struct Job<'a> {
    sc: &'a Scenario,
    catalog: &'a Catalog,
    outcomes: &'a Outcomes,
    seed: u64,
    runs: std::ops::Range<u64>,
    sampler: &'a Sampler<'a>,
    design: Option<&'a Design>,
    row_text: Option<RowText>,
}

/// A batch's finished runs, and their rows as text when the job writes them.
struct Finished {
    rows: Vec<RunRow>,
    text: Vec<u8>,
}

impl Job<'_> {
    /// Runs `runs` in index order on the worker's workspace, gathers their time series for
    /// `sketches` (added every `RECORD_RUNS` runs and when the worker stops), and returns their
    /// rows (and their text, with `row_text`).
    fn batch(
        &self,
        runs: std::ops::Range<u64>,
        sketches: &mut Sketches,
        w: &mut Worker,
    ) -> Finished {
        let sc = self.sc;
        let mut rows = Vec::with_capacity((runs.end - runs.start) as usize);
        let per_run = sc.horizon * self.catalog.cells.len();
        let n = (runs.end - runs.start) as usize;
        let Worker {
            ws,
            values: buf,
            pending,
            outcomes: scratch,
            text_len,
        } = w;
        // Every slot is written below: sized for the most runs pending when the worker starts,
        // growing here only if that changes.
        let needed = (*pending + n) * per_run;
        if buf.len() < needed {
            buf.resize(needed, 0.0);
        }
        let (first, offset) = (runs.start, *pending);
        let sampled_ids: Vec<usize> = sc.params.sampled().map(|(id, _)| id.0).collect();
        let events = events(sc);
        for i in runs {
            let v = self.sampler.sample(self.seed, i, self.design);
            let out = run::simulate_into(ws, v, self.seed, i);
            let k = offset + (i - first) as usize;
            self.catalog
                .run_values_into(out, &mut buf[k * per_run..(k + 1) * per_run]);
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
                metrics: self.outcomes.compute_with(sc, out, scratch),
            });
        }
        let mut text = Vec::new();
        if let Some(write) = self.row_text {
            text.reserve_exact(*text_len);
            for r in &rows {
                write(r, &mut text);
            }
            *text_len = (*text_len).max(text.len());
        }
        *pending += n;
        if *pending >= RECORD_RUNS {
            w.record(sketches, per_run);
        }
        Finished { rows, text }
    }

    /// Runs the block's batches on the pool, one job per histogram set. Jobs take batches
    /// in index order from a shared counter; this thread puts finished batches back in order
    /// and hands them to `sink` while the workers go on, so writing runs.csv overlaps with
    /// simulation.
    fn run(
        &self,
        pool: &rayon::ThreadPool,
        sketches: &mut [Sketches],
        sink: &mut OnRows<'_>,
    ) -> Result<(), RunError> {
        let (first, last) = (self.runs.start / BATCH, self.runs.end.div_ceil(BATCH));
        let next = AtomicU64::new(first);
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::sync_channel::<(u64, Finished)>(2 * sketches.len());
        pool.in_place_scope(|scope| {
            for sk in sketches.iter_mut() {
                let (tx, next, stop) = (tx.clone(), &next, &stop);
                scope.spawn(move |_| {
                    // One workspace per worker, reused by all its runs.
                    let per_run = self.sc.horizon * self.catalog.cells.len();
                    let mut w = Worker {
                        ws: run::Workspace::new(self.sc),
                        // The most runs ever pending, allocated zeroed at once: fresh zeroed
                        // pages from the system, where growing run by run would clear
                        // every slot (megabytes) first.
                        values: vec![0.0; (RECORD_RUNS - 1 + BATCH as usize) * per_run],
                        pending: 0,
                        outcomes: Default::default(),
                        text_len: 0,
                    };
                    while !stop.load(Ordering::Relaxed) {
                        let b = next.fetch_add(1, Ordering::Relaxed);
                        if b >= last {
                            break;
                        }
                        let runs =
                            (b * BATCH).max(self.runs.start)..((b + 1) * BATCH).min(self.runs.end);
                        let finished = self.batch(runs, sk, &mut w);
                        if tx.send((b, finished)).is_err() {
                            break;
                        }
                    }
                    w.record(sk, per_run);
                });
            }
            drop(tx);
            let mut pending = BTreeMap::new();
            let mut want = first;
            for (b, finished) in rx {
                pending.insert(b, finished);
                while let Some(f) = pending.remove(&want) {
                    if let Err(e) = sink(&f.rows, &f.text) {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e.into());
                    }
                    want += 1;
                }
            }
            Ok(())
        })
    }
}
