//! The commands, as library functions: raw arguments arrive already parsed by the binary and
//! are turned into validated settings here before any work starts.

use std::path::{Path, PathBuf};

use crate::export::manifest::ManifestJson;
use crate::export::runs::RunsCsv;
use crate::export::summary::SummaryCsv;
use crate::export::timeseries::TimeseriesCsv;
use crate::export::uncertainty::UncertaintyCsv;
use crate::export::{Context, Export, write_file};
use crate::scenario::{self, LoadError, Loaded};
use crate::sim::runner::{self, Results, Settings};

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
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Load(_) | AppError::Usage(_) | AppError::Sweep(_) => 2,
            AppError::Io { .. } | AppError::Run(_) => 1,
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
}

/// Validated settings of a run.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub loaded: Loaded,
    pub settings: Settings,
    pub out: PathBuf,
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
                    metrics: metrics.unwrap_or_else(|| vec!["unmet_demand_t".into()]),
                })
            }
            (None, Some(_)) => {
                return Err(AppError::Usage("--metrics goes with --until-mcse".into()));
            }
            (None, None) => None,
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

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> AppError {
    let context = context.into();
    move |source| AppError::Io { context, source }
}

/// Runs the plan and writes every output file. `progress` receives runs completed.
pub fn execute(
    plan: &RunPlan,
    progress: &mut dyn FnMut(u64),
) -> Result<(Results, Vec<PathBuf>), AppError> {
    let dir = &plan.out;
    std::fs::create_dir_all(dir).map_err(io_err(format!(
        "cannot create output directory `{}`",
        dir.display()
    )))?;
    let sc = &plan.loaded.scenario;
    let outcomes = crate::stats::outcomes::Outcomes::new(sc);
    let mut runs_csv =
        RunsCsv::create(dir, &runner::sampled_keys(sc), &outcomes).map_err(io_err(format!(
            "cannot write `{}`",
            dir.join(RunsCsv::FILE).display()
        )))?;
    let results = runner::run(
        sc,
        plan.settings.clone(),
        &mut |rows| runs_csv.append(rows),
        progress,
    )?;
    let mut written = vec![runs_csv.commit().map_err(io_err("cannot write runs.csv"))?];
    let ctx = Context {
        loaded: &plan.loaded,
        results: &results,
        settings: &plan.settings,
    };
    let exports: [&dyn Export; 4] = [&SummaryCsv, &TimeseriesCsv, &UncertaintyCsv, &ManifestJson];
    for e in exports {
        written.push(
            write_file(dir, e, &ctx)
                .map_err(io_err(format!("cannot write `{}`", e.file_name())))?,
        );
    }
    Ok((results, written))
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
                let metrics = m.clone().unwrap_or_else(|| vec!["unmet_demand_t".into()]);
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
}

pub struct CompareReport {
    pub a_name: String,
    pub b_name: String,
    pub runs: u64,
    pub diffs: Vec<crate::tools::compare::Difference>,
    pub written: PathBuf,
}

/// Runs both scenarios on common random numbers (same seed, same run indices; with
/// `--until-mcse`, B runs as many runs as A needed) and writes compare.csv.
pub fn compare(args: CompareArgs) -> Result<CompareReport, AppError> {
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
    let ba = crate::tools::run_batch(&a.scenario, &settings)?;
    // B runs exactly A's runs, in A's blocks, so every run is paired with the same draws.
    let settings_b = Settings {
        runs: ba.rows.len() as u64,
        until: None,
        ..settings.clone()
    };
    let bb = crate::tools::run_batch(&b.scenario, &settings_b)?;
    let diffs = crate::tools::compare::differences(&ba, &bb);
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reesim-out").join(format!("{}-vs-{}", stem(&args.a), stem(&args.b)))
    });
    let written = crate::export::decision::compare_csv(&dir, &diffs)
        .map_err(io_err(format!("cannot write `{}`", dir.display())))?;
    crate::export::decision::tool_manifest(
        &dir,
        "compare",
        &[&args.a, &args.b],
        &settings,
        vec![
            crate::export::decision::batch_entry("a", ba.rows.len(), &ba.achieved),
            crate::export::decision::batch_entry("b", bb.rows.len(), &bb.achieved),
        ],
        started,
    )
    .map_err(io_err(format!("cannot write `{}`", dir.display())))?;
    Ok(CompareReport {
        a_name: a.scenario.name,
        b_name: b.scenario.name,
        runs: ba.rows.len() as u64,
        diffs,
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

pub fn sensitivity(args: SensitivityArgs) -> Result<SensitivityReport, AppError> {
    let started = std::time::SystemTime::now();
    let threads = threads_or_all(args.batch.threads)?;
    let l = scenario::load(&args.scenario)?;
    let outcomes = args
        .outcomes
        .unwrap_or_else(|| vec!["unmet_demand_t".into(), "unmet_share".into()]);
    check_metrics(&l.scenario, &outcomes)?;
    let settings =
        args.sampling
            .settings(&l.scenario, args.batch.runs, args.batch.seed, threads)?;
    let batch = crate::tools::run_batch(&l.scenario, &settings)?;
    let rows = crate::tools::sensitivity::influences(&batch, &outcomes);
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reesim-out").join(format!("{}-sensitivity", stem(&args.scenario)))
    });
    let written = crate::export::decision::sensitivity_csv(&dir, &rows)
        .map_err(io_err(format!("cannot write `{}`", dir.display())))?;
    crate::export::decision::tool_manifest(
        &dir,
        "sensitivity",
        &[&args.scenario],
        &settings,
        vec![crate::export::decision::batch_entry(
            "scenario",
            batch.rows.len(),
            &batch.achieved,
        )],
        started,
    )
    .map_err(io_err(format!("cannot write `{}`", dir.display())))?;
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
    pub written: PathBuf,
}

pub fn size_stockpile(args: SizeArgs) -> Result<SizeReport, AppError> {
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
    let sizing = crate::tools::size::size(sc, index, &target, &settings, cap, tolerance)?;
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reesim-out").join(format!(
            "{}-size-{}",
            stem(&args.scenario),
            args.stockpile
        ))
    });
    let written = crate::export::decision::curve_csv(&dir, &sizing)
        .map_err(io_err(format!("cannot write `{}`", dir.display())))?;
    crate::export::decision::tool_manifest(
        &dir,
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
    )
    .map_err(io_err(format!("cannot write `{}`", dir.display())))?;
    Ok(SizeReport {
        stockpile: args.stockpile,
        target: args.target,
        runs: args.batch.runs,
        sizing,
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
pub fn sweep(args: SweepArgs) -> Result<SweepReport, AppError> {
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
    let mut points = Vec::with_capacity(grid.len());
    for (values, loaded) in grid {
        let r = runner::run(
            &loaded.scenario,
            settings.clone(),
            &mut |_| Ok(()),
            &mut |_| {},
        )?;
        points.push((values, r));
    }
    let paths: Vec<String> = axes.iter().map(|a| a.path.clone()).collect();
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reesim-out").join(format!("{}-sweep", stem(&args.scenario)))
    });
    let written = crate::export::decision::sweep_csv(&dir, &paths, &points)
        .map_err(io_err(format!("cannot write `{}`", dir.display())))?;
    crate::export::decision::tool_manifest(
        &dir,
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
    )
    .map_err(io_err(format!("cannot write `{}`", dir.display())))?;
    Ok(SweepReport {
        paths,
        points,
        written,
    })
}
