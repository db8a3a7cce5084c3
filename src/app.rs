//! The commands, as library functions: raw arguments arrive already parsed by the binary and
//! are turned into validated settings here before any work starts.

use std::path::{Path, PathBuf};

use crate::export::manifest::ManifestJson;
use crate::export::runs::RunsCsv;
use crate::export::summary::SummaryCsv;
use crate::export::timeseries::TimeseriesCsv;
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
    #[error("error: {context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("error: {0}")]
    Run(#[from] runner::RunError),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Load(_) | AppError::Usage(_) => 2,
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
        if runs == 0 {
            return Err(AppError::Usage("--runs must be at least 1, found 0".into()));
        }
        let threads = match self.threads {
            Some(0) => {
                return Err(AppError::Usage(
                    "--threads must be at least 1, found 0".into(),
                ));
            }
            Some(t) => t,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
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
    let exports: [&dyn Export; 3] = [&SummaryCsv, &TimeseriesCsv, &ManifestJson];
    for e in exports {
        written.push(
            write_file(dir, e, &ctx)
                .map_err(io_err(format!("cannot write `{}`", e.file_name())))?,
        );
    }
    Ok((results, written))
}
