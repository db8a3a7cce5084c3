//! The commands, as library functions. The binary parses arguments into [`Settings`] (see
//! `cli`), calls [`run`] and prints its error; everything in between is here.
//!
//! Every batch command (run, a shard, merge, compare, sensitivity, size-stockpile, sweep) goes
//! through one [`pipeline`]: read the scenarios and check the arguments against them, open the
//! output set, run with progress, write the files through the `Export` trait, commit the set
//! with one typed manifest, print the tables, and write report.html with `--report`.

mod jobs;
mod merge;
mod print;
pub mod settings;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::export::manifest::Manifest;
use crate::export::{Export, OutputError, OutputSet, write_file};
use crate::progress::{Progress, Reporter};
use crate::scenario::LoadError;
use crate::sim::runner;

pub use settings::{Batch, Command, DEFAULT_RUNS, DEFAULT_SEED, MAX_RUNS, MAX_THREADS, Settings};

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

/// Printing to `out` failed (a closed pipe, a full disk).
fn stdout_err(source: std::io::Error) -> AppError {
    AppError::Io {
        context: "cannot write the results to standard output".into(),
        source,
    }
}

/// What one batch command does between the shared steps of [`pipeline`].
trait Job {
    /// The output directory.
    fn out(&self) -> &Path;
    /// Runs the command's batches (or, for a merge, reads the shards) into `set`, telling
    /// `progress`.
    fn execute(&mut self, set: &mut OutputSet, progress: &mut dyn Progress)
    -> Result<(), AppError>;
    /// The files written from the finished results.
    fn exports(&self) -> Vec<Box<dyn Export + '_>>;
    /// The manifest of the set (without its files).
    fn manifest(&self, started: SystemTime) -> Manifest;
    /// The results for people, after the set is in place.
    fn print(&self, out: &mut dyn Write, written: &[PathBuf], colour: bool)
    -> Result<(), AppError>;
    /// Whether `--report` applies (not to a shard).
    fn reportable(&self) -> bool {
        true
    }
}

/// Runs a command. Tables and messages go to `out`, progress to stderr; `colour` styles the
/// tables (the caller decides: a terminal without `NO_COLOR`).
pub fn run(settings: Settings, out: &mut dyn Write, colour: bool) -> Result<(), AppError> {
    match settings.command {
        Command::Validate { scenario } => {
            let loaded = crate::scenario::load(&scenario)?;
            print::validated(out, &scenario, &loaded.scenario).map_err(stdout_err)
        }
        Command::Show { scenario } => {
            let loaded = crate::scenario::load(&scenario)?;
            write!(out, "{}", crate::scenario::to_toml(&loaded.file)).map_err(stdout_err)
        }
        Command::Schema => write!(out, "{}", crate::scenario::json_schema()).map_err(stdout_err),
        Command::Report { dir } => {
            let path = crate::report::write(&dir)?;
            writeln!(out, "wrote {}", path.display()).map_err(stdout_err)
        }
        Command::Batch(batch) => pipeline(*batch, settings.quiet, settings.report, out, colour),
    }
}

/// The one way every batch command runs: read the scenarios (checking the arguments against
/// them), open the output set, run with progress, export, commit with the manifest, print,
/// and write the report when asked.
pub fn pipeline(
    batch: Batch,
    quiet: bool,
    report: bool,
    out: &mut dyn Write,
    colour: bool,
) -> Result<(), AppError> {
    let started = SystemTime::now();
    let mut job: Box<dyn Job> = match batch {
        Batch::Run(s) => Box::new(jobs::RunJob::prepare(s)?),
        Batch::Merge(s) => merge::prepare(s)?,
        Batch::Compare(s) => Box::new(jobs::CompareJob::prepare(s)?),
        Batch::Sensitivity(s) => Box::new(jobs::SensitivityJob::prepare(s)?),
        Batch::SizeStockpile(s) => Box::new(jobs::SizeJob::prepare(s)?),
        Batch::Sweep(s) => Box::new(jobs::SweepJob::prepare(s)?),
    };
    let mut set = OutputSet::begin(job.out())?;
    let mut progress = Reporter::new(quiet);
    let done = job.execute(&mut set, &mut progress);
    progress.finish();
    done?;
    for e in job.exports() {
        write_file(&mut set, e.as_ref())?;
    }
    let written = set.commit(job.manifest(started))?;
    job.print(out, &written, colour)?;
    if report {
        if job.reportable() {
            let path = crate::report::write(job.out())?;
            writeln!(out, "wrote {}", path.display()).map_err(stdout_err)?;
        } else {
            writeln!(
                out,
                "no report for a shard: run `reesim report` on the merged directory"
            )
            .map_err(stdout_err)?;
        }
    }
    Ok(())
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
                    format!(", e.g. {}", crate::stats::registry::DEFAULT_WATCHED.name)
                } else {
                    format!(", e.g. {}", similar.join(", "))
                }
            )));
        }
    }
    Ok(())
}
