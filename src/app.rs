//! The commands, as library functions: raw arguments arrive already parsed by the binary and
//! are turned into validated settings here before any work starts.

use std::path::{Path, PathBuf};

use crate::export::runs::RunsCsv;
use crate::export::set::StagedFile;
use crate::export::set::checkpoint;
use crate::export::shard::{self, HistogramsBin, RowsBin, ScenarioToml};
use crate::export::summary::SummaryCsv;
use crate::export::timeseries::TimeseriesCsv;
use crate::export::uncertainty::UncertaintyCsv;
use crate::export::{Context, Export, OutputError, OutputSet, write_file};
use crate::progress::Progress;
use crate::scenario::{self, LoadError, Loaded};
use crate::sim::runner::{self, Results, Settings};
use crate::stats::registry;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 20_250_101;
/// Runs when none are given.
pub const DEFAULT_RUNS: u64 = 1000;

/// How a command failed; decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Invalid input: scenario or arguments (exit 2).
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("error: {0}")]
    Usage(String),
    /// Anything else (exit 1).
    #[error("error: {context}: {}", crate::os_error::explain(source))]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("error: {0}")]
    Run(#[from] runner::RunError),
    #[error("{0}")]
    Sweep(crate::tools::sweep::SweepError),
    /// Writing the output set failed, or `--out` cannot be used (exit 1).
    #[error("{0}")]
    Output(#[from] OutputError),
    /// `reesim report` or `--report` could not read the outputs (exit 2) or write the page (1).
    #[error("{0}")]
    Report(#[from] crate::report::ReportError),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Load(_) | AppError::Usage(_) | AppError::Sweep(_) => 2,
            // An output directory that cannot be used is a failure of the place, like an
            // unwritable one, not a malformed argument.
            AppError::Io { .. } | AppError::Run(_) | AppError::Output(_) => 1,
            AppError::Report(e) => e.exit_code(),
        }
    }
}

/// `reesim run` arguments as given (None: default).
#[derive(Debug, Clone)]
pub struct RunArgs {
    pub scenario: PathBuf,
    pub runs: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    /// "mc" (default) or "lhs".
    pub sampling: Option<String>,
    /// Stop once the watched metrics' relative MCSE is at most this.
    pub until_mcse: Option<f64>,
    /// Metrics watched by `until_mcse` (runs.csv column names); default `unmet_demand_t`.
    pub metrics: Option<Vec<String>>,
    /// `K/N`: run only shard K (from 0) of N of the batch and write a shard directory.
    pub shard: Option<String>,
}

/// Validated settings of a run.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub loaded: Loaded,
    pub settings: Settings,
    pub out: PathBuf,
}

impl RunPlan {
    /// Runs this command does: the whole batch, or its shard's part.
    pub fn runs_here(&self) -> u64 {
        let s = &self.settings;
        s.shard.map_or(s.runs, |sh| {
            let r = sh.runs(s.runs);
            r.end - r.start
        })
    }
}

impl RunArgs {
    /// Checks arguments and loads the scenario.
    pub fn plan(self) -> Result<RunPlan, AppError> {
        let runs = self.runs.unwrap_or(DEFAULT_RUNS);
        check_runs(runs)?;
        if runs == 0 {
            return Err(AppError::Usage("--runs must be at least 1, found 0".into()));
        }
        let threads = threads_or_all(self.threads)?;
        let sampling = parse_sampling(self.sampling.as_deref())?;
        let until = match (self.until_mcse, self.metrics) {
            (Some(rel), metrics) => {
                if !(rel > 0.0 && rel.is_finite()) {
                    return Err(AppError::Usage(format!(
                        "--until-mcse must be a number above 0, found {rel}"
                    )));
                }
                Some(runner::Until {
                    rel,
                    metrics: metrics.unwrap_or_else(|| vec![registry::DEFAULT_WATCHED.name.into()]),
                })
            }
            (None, Some(_)) => {
                return Err(AppError::Usage("--metrics goes with --until-mcse".into()));
            }
            (None, None) => None,
        };
        let shard = match &self.shard {
            Some(s) if until.is_some() => {
                return Err(AppError::Usage(format!(
                    "--shard {s} cannot go with --until-mcse: a stop rule needs every run of the batch"
                )));
            }
            Some(s) => Some(parse_shard(s, runs)?),
            None => None,
        };
        let loaded = scenario::load(&self.scenario)?;
        if let Some(u) = &until {
            check_metrics(&loaded.scenario, &u.metrics)?;
        }
        let out = self.out.unwrap_or_else(|| default_out_dir(&self.scenario));
        Ok(RunPlan {
            loaded,
            settings: Settings {
                runs,
                seed: self.seed.unwrap_or(DEFAULT_SEED),
                threads,
                sampling,
                until,
                block: None,
                shard,
            },
            out,
        })
    }
}

/// Checks that metric names are runs.csv columns of the scenario.
pub fn check_metrics(sc: &crate::model::Scenario, metrics: &[String]) -> Result<(), AppError> {
    let keys = crate::stats::outcomes::Outcomes::new(sc).keys;
    for m in metrics {
        if !keys.iter().any(|k| k.column() == *m) {
            let similar: Vec<String> = keys
                .iter()
                .map(|k| k.column())
                .filter(|c| c.starts_with(m.split('[').next().unwrap_or("")))
                .take(5)
                .collect();
            return Err(AppError::Usage(format!(
                "unknown metric `{m}`; metrics are runs.csv column names{}",
                if similar.is_empty() {
                    ", e.g. unmet_demand_t".to_string()
                } else {
                    format!(", e.g. {}", similar.join(", "))
                }
            )));
        }
    }
    Ok(())
}

/// Parses `--sampling`.
pub fn parse_sampling(s: Option<&str>) -> Result<runner::Sampling, AppError> {
    match s {
        None | Some("mc") => Ok(runner::Sampling::Mc),
        Some("lhs") => Ok(runner::Sampling::Lhs),
        Some(other) => Err(AppError::Usage(format!(
            "--sampling must be mc or lhs, found `{other}`"
        ))),
    }
}

/// `reesim-out/<scenario file stem>`.
pub fn default_out_dir(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("reesim-out").join(stem)
}

/// Runs the plan and writes every output file as one set (see `export::set`).
pub fn execute(
    plan: &RunPlan,
    progress: &mut dyn Progress,
) -> Result<(Results, Vec<PathBuf>), AppError> {
    let mut set = OutputSet::begin(&plan.out)?;
    let sc = &plan.loaded.scenario;
    let outcomes = crate::stats::outcomes::Outcomes::new(sc);
    let mut runs_csv = RunsCsv::create(&set, &runner::sampled_keys(sc), &outcomes)?;
    checkpoint("runs-started");
    progress.stage("", plan.runs_here());
    let mut rows_bin = match plan.settings.shard {
        Some(_) => Some(RowsBin::create(&set)?),
        None => None,
    };
    let mut failed: Option<(std::io::Error, bool)> = None;
    let mut appended = 0u64;
    let results = runner::run(
        sc,
        plan.settings.clone(),
        &mut |rows| {
            let written = runs_csv.append(rows).map_err(|e| (e, true)).and_then(|()| {
                rows_bin
                    .as_mut()
                    .map_or(Ok(()), |b| b.append(rows))
                    .map_err(|e| (e, false))
            });
            if let Err((e, in_runs)) = written {
                let kind = e.kind();
                failed = Some((e, in_runs));
                return Err(kind.into());
            }
            appended += 1;
            if appended == 2 {
                checkpoint("runs-batch");
            }
            Ok(())
        },
        &mut |n| progress.advance(n),
    );
    let results = match (results, failed, rows_bin.as_ref()) {
        (Err(_), Some((e, true)), _) => return Err(runs_csv.error(e).into()),
        (Err(_), Some((e, false)), Some(b)) => return Err(b.error(e).into()),
        (r, _, _) => r?,
    };
    runs_csv.finish(&mut set)?;
    if let Some(b) = rows_bin {
        b.finish(&mut set)?;
    }
    let written = write_outputs(&plan.loaded, &plan.settings, &results, set)?;
    Ok((results, written))
}

/// Writes the files computed from finished results into the output set (a shard's histograms
/// and scenario, or the summaries of a whole batch), then commits it with its manifest.
fn write_outputs(
    loaded: &Loaded,
    settings: &Settings,
    results: &Results,
    mut set: OutputSet,
) -> Result<Vec<PathBuf>, AppError> {
    let ctx = Context {
        loaded,
        results,
        settings,
    };
    let exports: Vec<&dyn Export> = match settings.shard {
        Some(_) => vec![&HistogramsBin, &ScenarioToml],
        None => vec![&SummaryCsv, &TimeseriesCsv, &UncertaintyCsv],
    };
    for e in exports {
        write_file(&mut set, e, &ctx)?;
    }
    Ok(set.commit(crate::export::manifest::run(&ctx))?)
}

/// `reesim merge` arguments.
pub struct MergeArgs {
    pub dirs: Vec<PathBuf>,
    pub out: PathBuf,
}

/// What a shard's manifest.json says of it.
struct ShardInfo {
    dir: PathBuf,
    shard: runner::Shard,
    seed: u64,
    runs: u64,
    sampling: String,
}

fn read_shard_info(dir: &Path) -> Result<ShardInfo, AppError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(read_err(path.clone()))?;
    let not_shard = |what: &str| {
        AppError::Usage(format!(
            "`{}` is not the manifest of a shard written by `reesim run --shard K/N` ({what})",
            path.display()
        ))
    };
    let m: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| not_shard(&format!("invalid JSON: {e}")))?;
    let num = |v: &serde_json::Value, key: &str| {
        v[key]
            .as_u64()
            .ok_or_else(|| not_shard(&format!("no `{key}`")))
    };
    let sh = &m["shard"];
    if !sh.is_object() {
        return Err(not_shard("no `shard`"));
    }
    Ok(ShardInfo {
        dir: dir.to_path_buf(),
        shard: runner::Shard {
            index: num(sh, "index")?,
            count: num(sh, "count")?,
        },
        seed: num(&m, "seed")?,
        runs: num(&m, "runs_requested")?,
        sampling: m["sampling"].as_str().unwrap_or("").to_string(),
    })
}

/// Checks that `shards` are the shards 0..N of one batch (same N, seed, runs, sampling and
/// resolved scenario) and puts them in shard order.
fn check_shards(shards: &mut [ShardInfo]) -> Result<(), AppError> {
    let first = &shards[0];
    let (count, seed, runs, sampling) = (
        first.shard.count,
        first.seed,
        first.runs,
        first.sampling.clone(),
    );
    for s in shards.iter() {
        let differs = [
            ("number of shards", s.shard.count != count),
            ("seed", s.seed != seed),
            ("runs", s.runs != runs),
            ("sampling", s.sampling != sampling),
        ];
        if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
            return Err(AppError::Usage(format!(
                "`{}` and `{}` are shards of different batches (their {what} differs)",
                shards[0].dir.display(),
                s.dir.display()
            )));
        }
    }
    shards.sort_by_key(|s| s.shard.index);
    let have: Vec<u64> = shards.iter().map(|s| s.shard.index).collect();
    if let Some(w) = have.windows(2).find(|w| w[0] == w[1]) {
        return Err(AppError::Usage(format!(
            "shard {}/{count} is given twice",
            w[0]
        )));
    }
    let missing: Vec<String> = (0..count)
        .filter(|k| !have.contains(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Usage(format!(
            "missing shards: {} (every shard 0..{count} of the batch is needed)",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Merges the shard directories of one batch into the outputs a single `run` of the whole
/// batch writes (runs.csv, summary.csv, timeseries.csv and uncertainty.csv byte for byte; the
/// manifest lists the shards).
pub fn merge(args: MergeArgs) -> Result<(RunPlan, Results, Vec<PathBuf>), AppError> {
    let started = std::time::SystemTime::now();
    if args.dirs.is_empty() {
        return Err(AppError::Usage("merge needs the shard directories".into()));
    }
    let mut shards = args
        .dirs
        .iter()
        .map(|d| read_shard_info(d))
        .collect::<Result<Vec<_>, _>>()?;
    check_shards(&mut shards)?;
    let scenario_path = shards[0].dir.join(shard::SCENARIO);
    let text = |s: &ShardInfo| {
        let p = s.dir.join(shard::SCENARIO);
        std::fs::read(&p).map_err(read_err(p.clone()))
    };
    let text0 = text(&shards[0])?;
    for s in &shards[1..] {
        if text(s)? != text0 {
            return Err(AppError::Usage(format!(
                "`{}` and `{}` are shards of different scenarios",
                shards[0].dir.display(),
                s.dir.display()
            )));
        }
    }
    let loaded = scenario::load(&scenario_path)?;
    let sc = &loaded.scenario;
    let settings = Settings {
        runs: shards[0].runs,
        seed: shards[0].seed,
        threads: 1,
        sampling: parse_sampling(Some(&shards[0].sampling))?,
        until: None,
        block: None,
        shard: None,
    };
    let mut set = OutputSet::begin(&args.out)?;
    let catalog = crate::stats::timeseries::Catalog::new(sc);
    let outcomes = crate::stats::outcomes::Outcomes::new(sc);
    let sampled_keys = runner::sampled_keys(sc);
    let widths = (outcomes.keys.len(), sampled_keys.len());
    let mut sketches = crate::stats::timeseries::Sketches::new(sc.horizon, catalog.cells.len());
    let mut metrics = crate::stats::columns::Columns::new(widths.0);
    let mut sampled = crate::stats::columns::Columns::new(widths.1);
    let mut runs_csv = set.create(RunsCsv::FILE)?;
    for (i, s) in shards.iter().enumerate() {
        let range = s.shard.runs(s.runs);
        let read = |file: &str| read_err(s.dir.join(file));
        copy_runs_csv(&s.dir.join(RunsCsv::FILE), i == 0, &mut runs_csv)?;
        let mut h = std::io::BufReader::new(
            std::fs::File::open(s.dir.join(shard::HISTOGRAMS)).map_err(read(shard::HISTOGRAMS))?,
        );
        let part =
            crate::stats::timeseries::Sketches::read_from(&mut h, sc.horizon, catalog.cells.len())
                .map_err(read(shard::HISTOGRAMS))?;
        sketches.merge(&part);
        shard::read_rows(
            &s.dir,
            range.end - range.start,
            &mut metrics,
            &mut sampled,
            widths,
        )
        .map_err(read(shard::ROWS))?;
    }
    set.finish(runs_csv)?;
    let correlations = runner::achieved_correlations(sc, &sampled)
        .map_err(io_err("cannot read the per-run values back"))?;
    let results = Results {
        catalog,
        sketches,
        outcomes,
        sampled_keys,
        metrics,
        sampled,
        started,
        finished: std::time::SystemTime::now(),
        runs: settings.runs,
        achieved: Vec::new(),
        correlations,
        shards: shards.iter().map(|s| s.dir.display().to_string()).collect(),
        drivers: Default::default(),
    };
    let written = write_outputs(&loaded, &settings, &results, set)?;
    let plan = RunPlan {
        loaded,
        settings,
        out: args.out.clone(),
    };
    Ok((plan, results, written))
}

/// Appends a shard's runs.csv to the merged one, with its header line only for the first shard.
fn copy_runs_csv(path: &Path, header: bool, to: &mut StagedFile) -> Result<(), AppError> {
    use std::io::{BufRead, Read};
    let read = || read_err(path.to_path_buf());
    let mut r = std::io::BufReader::new(std::fs::File::open(path).map_err(read())?);
    if !header {
        let mut line = Vec::new();
        r.read_until(b'\n', &mut line).map_err(read())?;
    }
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = r.read(&mut buf).map_err(read())?;
        if n == 0 {
            return Ok(());
        }
        to.writer()
            .write_all(&buf[..n])
            .map_err(|e| AppError::Output(to.error(e)))?;
    }
}

/// A shard file that cannot be read: an input problem (exit 2), named with its path.
fn read_err(path: PathBuf) -> impl FnOnce(std::io::Error) -> AppError {
    move |e| {
        AppError::Usage(format!(
            "cannot read `{}`: {}",
            path.display(),
            crate::export::set::explain(&e)
        ))
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> AppError {
    let context = context.into();
    move |source| AppError::Io { context, source }
}

/// Parses `--shard K/N` (K from 0) for a batch of `runs` runs.
pub fn parse_shard(s: &str, runs: u64) -> Result<runner::Shard, AppError> {
    let bad = |why: &str| {
        AppError::Usage(format!(
            "--shard must be K/N with 0 <= K < N (e.g. 0/4 for the first of four shards), found `{s}`{why}"
        ))
    };
    let (k, n) = s.split_once('/').ok_or_else(|| bad(""))?;
    let (Ok(index), Ok(count)) = (k.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
        return Err(bad(""));
    };
    if count == 0 || index >= count {
        return Err(bad(""));
    }
    if count > runs {
        return Err(bad(&format!(
            ": {count} shards is more than the {runs} runs"
        )));
    }
    Ok(runner::Shard { index, count })
}

/// The most worker threads a command starts.
pub const MAX_THREADS: usize = 256;

fn threads_or_all(threads: Option<usize>) -> Result<usize, AppError> {
    match threads {
        Some(0) => Err(AppError::Usage(
            "--threads must be at least 1, found 0".into(),
        )),
        Some(t) if t > MAX_THREADS => Err(AppError::Usage(format!(
            "--threads is at most {MAX_THREADS}, found {t}"
        ))),
        Some(t) => Ok(t),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// The most runs one command takes (per-run outcome rows are kept in memory).
pub const MAX_RUNS: u64 = 100_000_000;

fn check_runs(runs: u64) -> Result<(), AppError> {
    if runs > MAX_RUNS {
        return Err(AppError::Usage(format!(
            "--runs is at most {MAX_RUNS}, found {runs}"
        )));
    }
    if runs == 0 {
        Err(AppError::Usage("--runs must be at least 1, found 0".into()))
    } else {
        Ok(())
    }
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
}

/// Runs, seed and threads of a tool command.
#[derive(Debug, Clone, Copy)]
pub struct BatchSize {
    pub runs: u64,
    pub seed: u64,
    /// None: all cores.
    pub threads: Option<usize>,
}

/// `--sampling`, `--until-mcse`, `--metrics` as given to a tool command.
#[derive(Debug, Clone, Default)]
pub struct SamplingChoice {
    pub sampling: String,
    pub until_mcse: Option<f64>,
    pub metrics: Option<Vec<String>>,
}

impl SamplingChoice {
    /// Validated settings for `sc`.
    fn settings(
        &self,
        sc: &crate::model::Scenario,
        runs: u64,
        seed: u64,
        threads: usize,
    ) -> Result<Settings, AppError> {
        check_runs(runs)?;
        let sampling = parse_sampling(Some(if self.sampling.is_empty() {
            "mc"
        } else {
            &self.sampling
        }))?;
        let until = match (self.until_mcse, &self.metrics) {
            (Some(rel), m) => {
                if !(rel > 0.0 && rel.is_finite()) {
                    return Err(AppError::Usage(format!(
                        "--until-mcse must be a number above 0, found {rel}"
                    )));
                }
                let metrics = m
                    .clone()
                    .unwrap_or_else(|| vec![registry::DEFAULT_WATCHED.name.into()]);
                if metrics.is_empty() {
                    return Err(AppError::Usage("--metrics is empty".into()));
                }
                check_metrics(sc, &metrics)?;
                Some(runner::Until { rel, metrics })
            }
            (None, Some(_)) => {
                return Err(AppError::Usage("--metrics goes with --until-mcse".into()));
            }
            (None, None) => None,
        };
        Ok(Settings {
            runs,
            seed,
            threads,
            sampling,
            until,
            block: None,
            shard: None,
        })
    }
}

/// `reesim compare` arguments.
pub struct CompareArgs {
    pub a: PathBuf,
    pub b: PathBuf,
    pub batch: BatchSize,
    pub out: Option<PathBuf>,
    pub sampling: String,
    pub until_mcse: Option<f64>,
    pub metrics: Option<Vec<String>>,
    /// Compare the region/sector scopes both scenarios have and list the others, instead of
    /// refusing scenarios whose scopes differ.
    pub only_common: bool,
}

pub struct CompareReport {
    pub a_name: String,
    pub b_name: String,
    pub runs: u64,
    pub diffs: Vec<crate::tools::compare::Difference>,
    /// Scopes only one scenario has, left out (with `only_common`).
    pub dropped: Vec<crate::tools::compare::OneSided>,
    /// Stockpiles only one scenario has: their metrics have nothing to pair with.
    pub unpaired_stockpiles: Vec<crate::tools::compare::OneSided>,
    pub written: PathBuf,
}

/// Runs both scenarios on common random numbers (same seed, same run indices; with
/// `--until-mcse`, B runs as many runs as A needed) and writes compare.csv.
pub fn compare(args: CompareArgs, progress: &mut dyn Progress) -> Result<CompareReport, AppError> {
    use crate::tools::compare::{OneSided, one_sided_scopes};
    let started = std::time::SystemTime::now();
    let threads = threads_or_all(args.batch.threads)?;
    let a = scenario::load(&args.a)?;
    let b = scenario::load(&args.b)?;
    let choice = SamplingChoice {
        sampling: args.sampling.clone(),
        until_mcse: args.until_mcse,
        metrics: args.metrics.clone(),
    };
    let mut settings = choice.settings(&a.scenario, args.batch.runs, args.batch.seed, threads)?;
    if settings.until.is_some() {
        settings.block = Some(runner::UNTIL_BLOCK);
    }
    let keys_a = crate::stats::outcomes::Outcomes::new(&a.scenario).keys;
    let keys_b = crate::stats::outcomes::Outcomes::new(&b.scenario).keys;
    let dropped = one_sided_scopes(&keys_a, &keys_b);
    if !dropped.is_empty() && !args.only_common {
        return Err(AppError::Usage(format!(
            "cannot compare `{}` with `{}`: their regions and sectors differ: {}. A scope one \
             side lacks has nothing to pair with, and a name both use may cover different \
             countries or uses when the lists differ. Give --only-common to compare the scopes \
             both have (the others are listed), or make the scenarios' regions and sectors agree",
            args.a.display(),
            args.b.display(),
            dropped
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let stockpiles = |sc: &crate::model::Scenario| -> Vec<String> {
        sc.stockpiles.iter().map(|s| s.name.clone()).collect()
    };
    let (sa, sb) = (stockpiles(&a.scenario), stockpiles(&b.scenario));
    let unpaired_stockpiles: Vec<OneSided> = sa
        .iter()
        .filter(|n| !sb.contains(n))
        .map(|n| OneSided {
            scope: format!("stockpile `{n}`"),
            side: "A",
        })
        .chain(sb.iter().filter(|n| !sa.contains(n)).map(|n| OneSided {
            scope: format!("stockpile `{n}`"),
            side: "B",
        }))
        .collect();
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("reesim-out").join(format!("{}-vs-{}", stem(&args.a), stem(&args.b)))
    });
    let mut set = OutputSet::begin(&dir)?;
    progress.stage(&format!("A ({})", a.scenario.name), settings.runs);
    let ba = crate::tools::run_batch(&a.scenario, &settings, progress)?;
    // B runs exactly A's runs, in A's blocks, so every run is paired with the same draws.
    let settings_b = Settings {
        runs: ba.rows.len() as u64,
        until: None,
        ..settings.clone()
    };
    progress.stage(&format!("B ({})", b.scenario.name), settings_b.runs);
    let bb = crate::tools::run_batch(&b.scenario, &settings_b, progress)?;
    let diffs = crate::tools::compare::differences(&ba, &bb);
    let written = crate::export::decision::compare_csv(&mut set, &diffs)?;
    let mut manifest = crate::export::decision::tool_manifest(
        "compare",
        &[&args.a, &args.b],
        &settings,
        vec![
            crate::export::decision::batch_entry("a", ba.rows.len(), &ba.achieved),
            crate::export::decision::batch_entry("b", bb.rows.len(), &bb.achieved),
        ],
        started,
    );
    manifest["dropped_scopes"] = dropped.iter().map(ToString::to_string).collect();
    manifest["unpaired_stockpiles"] = unpaired_stockpiles
        .iter()
        .map(ToString::to_string)
        .collect();
    set.commit(manifest)?;
    Ok(CompareReport {
        a_name: a.scenario.name,
        b_name: b.scenario.name,
        runs: ba.rows.len() as u64,
        diffs,
        dropped,
        unpaired_stockpiles,
        written,
    })
}

/// `reesim sensitivity` arguments.
pub struct SensitivityArgs {
    pub scenario: PathBuf,
    pub batch: BatchSize,
    pub out: Option<PathBuf>,
    pub outcomes: Option<Vec<String>>,
    pub sampling: SamplingChoice,
}

pub struct SensitivityReport {
    pub runs: u64,
    pub rows: Vec<crate::tools::sensitivity::Influence>,
    pub written: PathBuf,
}

pub fn sensitivity(
    args: SensitivityArgs,
    progress: &mut dyn Progress,
) -> Result<SensitivityReport, AppError> {
    let started = std::time::SystemTime::now();
    let threads = threads_or_all(args.batch.threads)?;
    let l = scenario::load(&args.scenario)?;
    let outcomes = args.outcomes.unwrap_or_else(|| {
        vec![
            registry::UNMET_DEMAND_T.name.into(),
            registry::UNMET_SHARE.name.into(),
        ]
    });
    check_metrics(&l.scenario, &outcomes)?;
    let settings =
        args.sampling
            .settings(&l.scenario, args.batch.runs, args.batch.seed, threads)?;
    let inputs = runner::sampled_keys(&l.scenario).len();
    let least = crate::tools::sensitivity::min_runs();
    if settings.runs < least {
        return Err(AppError::Usage(format!(
            "sensitivity needs at least {least} runs, found --runs {}: {}",
            settings.runs,
            crate::tools::sensitivity::min_runs_reason(inputs)
        )));
    }
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reesim-out").join(format!("{}-sensitivity", stem(&args.scenario)))
    });
    let mut set = OutputSet::begin(&dir)?;
    progress.stage("", settings.runs);
    let batch = crate::tools::run_batch(&l.scenario, &settings, progress)?;
    let rows = crate::tools::sensitivity::influences(&batch, &outcomes);
    let written = crate::export::decision::sensitivity_csv(&mut set, &rows)?;
    set.commit(crate::export::decision::tool_manifest(
        "sensitivity",
        &[&args.scenario],
        &settings,
        vec![crate::export::decision::batch_entry(
            "scenario",
            batch.rows.len(),
            &batch.achieved,
        )],
        started,
    ))?;
    Ok(SensitivityReport {
        runs: batch.rows.len() as u64,
        rows,
        written,
    })
}

/// `reesim size-stockpile` arguments.
pub struct SizeArgs {
    pub scenario: PathBuf,
    pub stockpile: String,
    pub target: String,
    pub batch: BatchSize,
    pub max_t: Option<f64>,
    pub tolerance_t: Option<f64>,
    pub out: Option<PathBuf>,
    pub sampling: SamplingChoice,
}

pub struct SizeReport {
    pub stockpile: String,
    pub target: String,
    pub runs: u64,
    pub sizing: crate::tools::size::Sizing,
    /// Why 0 t is enough, when it is.
    pub zero_reason: Option<String>,
    pub written: PathBuf,
}

pub fn size_stockpile(args: SizeArgs, progress: &mut dyn Progress) -> Result<SizeReport, AppError> {
    let started = std::time::SystemTime::now();
    let threads = threads_or_all(args.batch.threads)?;
    let target = crate::tools::size::Target::parse(&args.target).map_err(AppError::Usage)?;
    let l = scenario::load(&args.scenario)?;
    let sc = &l.scenario;
    check_metrics(sc, &[target.metric().to_string()])?;
    let Some(index) = sc.stockpiles.iter().position(|s| s.name == args.stockpile) else {
        let names: Vec<&str> = sc.stockpiles.iter().map(|s| s.name.as_str()).collect();
        return Err(AppError::Usage(format!(
            "no stockpile named `{}` in {}; {}",
            args.stockpile,
            args.scenario.display(),
            if names.is_empty() {
                "it defines none".to_string()
            } else {
                format!("it defines: {}", names.join(", "))
            }
        )));
    };
    let per_day = crate::sim::run::tonnes_per_day(sc, args.batch.seed, 0, index);
    let cap = match args.max_t {
        Some(c) if c > 0.0 && c.is_finite() => c,
        Some(c) => {
            return Err(AppError::Usage(format!(
                "--max-t must be a number above 0, found {c}"
            )));
        }
        None if per_day > 0.0 => 365.0 * per_day,
        None => {
            return Err(AppError::Usage(
                "the stockpile serves no demand to size against; give --max-t".into(),
            ));
        }
    };
    let tolerance = match args.tolerance_t {
        Some(t) if t > 0.0 && t.is_finite() => t,
        Some(t) => {
            return Err(AppError::Usage(format!(
                "--tolerance-t must be a number above 0, found {t}"
            )));
        }
        None => cap * 0.005,
    };
    let settings = args
        .sampling
        .settings(sc, args.batch.runs, args.batch.seed, threads)?;
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reesim-out").join(format!(
            "{}-size-{}",
            stem(&args.scenario),
            args.stockpile
        ))
    });
    let mut set = OutputSet::begin(&dir)?;
    let sizing = crate::tools::size::size(sc, index, &target, &settings, cap, tolerance, progress)?;
    let zero_reason = crate::tools::size::zero_reason(sc, index, &target, &sizing);
    let written = crate::export::decision::curve_csv(&mut set, &sizing)?;
    let mut manifest = crate::export::decision::tool_manifest(
        "size-stockpile",
        &[&args.scenario],
        &settings,
        sizing
            .curve
            .iter()
            .map(|p| {
                crate::export::decision::batch_entry(
                    &format!("size_t={}", crate::export::num(p.tonnes)),
                    p.runs,
                    &[],
                )
            })
            .collect(),
        started,
    );
    manifest["stockpile"] = args.stockpile.as_str().into();
    manifest["target"] = args.target.as_str().into();
    manifest["rule"] = crate::tools::size::RULE.into();
    manifest["answer_t"] = sizing.answer.as_ref().map(|a| a.tonnes).into();
    manifest["point_estimate_answer_t"] = sizing.point_answer.as_ref().map(|a| a.tonnes).into();
    set.commit(manifest)?;
    Ok(SizeReport {
        stockpile: args.stockpile,
        target: args.target,
        runs: args.batch.runs,
        sizing,
        zero_reason,
        written,
    })
}

/// `reesim sweep` arguments.
pub struct SweepArgs {
    pub scenario: PathBuf,
    pub set: Vec<String>,
    pub batch: BatchSize,
    pub out: Option<PathBuf>,
    pub sampling: SamplingChoice,
}

pub struct SweepReport {
    pub paths: Vec<String>,
    pub points: Vec<(Vec<String>, Results)>,
    pub written: PathBuf,
}

/// Runs every grid point with the same seed and runs (common random numbers) and writes
/// sweep.csv.
pub fn sweep(args: SweepArgs, progress: &mut dyn Progress) -> Result<SweepReport, AppError> {
    let started = std::time::SystemTime::now();
    if args.set.is_empty() {
        return Err(AppError::Usage(
            "sweep needs at least one --set PATH=V1,V2,...".into(),
        ));
    }
    let threads = threads_or_all(args.batch.threads)?;
    let axes: Vec<crate::tools::sweep::Axis> = args
        .set
        .iter()
        .map(|s| crate::tools::sweep::Axis::parse(s))
        .collect::<Result<_, _>>()
        .map_err(AppError::Usage)?;
    let base = scenario::load(&args.scenario)?;
    let grid = crate::tools::sweep::grid(&args.scenario, &base, &axes).map_err(AppError::Sweep)?;
    let settings =
        args.sampling
            .settings(&base.scenario, args.batch.runs, args.batch.seed, threads)?;
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reesim-out").join(format!("{}-sweep", stem(&args.scenario)))
    });
    let mut set = OutputSet::begin(&dir)?;
    let mut points = Vec::with_capacity(grid.len());
    let n = grid.len();
    for (i, (values, loaded)) in grid.into_iter().enumerate() {
        progress.stage(
            &format!("point {}/{n} ({})", i + 1, values.join(", ")),
            settings.runs,
        );
        let r = runner::run(
            &loaded.scenario,
            settings.clone(),
            &mut |_| Ok(()),
            &mut |k| progress.advance(k),
        )?;
        points.push((values, r));
    }
    let paths: Vec<String> = axes.iter().map(|a| a.path.clone()).collect();
    let written = crate::export::decision::sweep_csv(&mut set, &paths, &points)?;
    set.commit(crate::export::decision::tool_manifest(
        "sweep",
        &[&args.scenario],
        &settings,
        points
            .iter()
            .map(|(v, r)| {
                crate::export::decision::batch_entry(&v.join(","), r.runs as usize, &r.achieved)
            })
            .collect(),
        started,
    ))?;
    Ok(SweepReport {
        paths,
        points,
        written,
    })
}
