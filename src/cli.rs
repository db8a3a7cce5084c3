//! The command line: clap's description of the arguments, and their conversion into validated
//! [`app::Settings`](crate::app::Settings) before any work starts. Numbers are taken as written
//! and checked against their bounds by `app::settings`, so a refused value is echoed as given.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::settings::{
    self, BatchText, CompareSettings, MergeSettings, RunSettings, SensitivitySettings,
    SizeSettings, SweepSettings,
};
use crate::app::{AppError, Batch, Settings};

/// Monte Carlo simulation of the rare-earth magnet supply chain under export controls and
/// strategic stockpiles.
#[derive(Parser)]
#[command(name = "reesim", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Progress and report options of every command that writes an output directory.
#[derive(clap::Args, Clone)]
pub struct OutputArgs {
    /// Show no progress on stderr (by default a bar on a terminal, otherwise a line every 10 s).
    #[arg(long)]
    pub quiet: bool,
    /// Also write report.html (tables and charts of the outputs) into the output directory.
    #[arg(long)]
    pub report: bool,
}

/// Size, seed and threads of a batch of runs, shared by the commands that run batches.
#[derive(clap::Args, Clone)]
pub struct BatchArgs {
    /// Number of Monte Carlo runs, 1 to 100000000 (with --until-mcse: the most to do).
    #[arg(long, default_value_t = crate::app::DEFAULT_RUNS.to_string())]
    pub runs: String,
    /// Random seed, a whole number; the same seed and scenario give byte-identical outputs.
    #[arg(long, default_value_t = crate::app::DEFAULT_SEED.to_string())]
    pub seed: String,
    /// Worker threads, 1 to 256 (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Sampling and stopping options shared by the commands that run batches.
#[derive(clap::Args, Clone)]
pub struct SamplingArgs {
    /// Sampling of the per-run parameters: mc (independent draws) or lhs (Latin hypercube).
    #[arg(long, default_value = "mc")]
    pub sampling: String,
    /// Add runs until the relative Monte Carlo standard error of the watched metrics is at most
    /// this (above 0, at most 1; e.g. 0.01), up to --runs.
    #[arg(long, allow_negative_numbers = true)]
    pub until_mcse: Option<String>,
    /// Metrics watched by --until-mcse, comma-separated runs.csv column names
    /// (default: unmet_demand_t).
    #[arg(long)]
    pub metrics: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a scenario's Monte Carlo batch and write summary.csv, timeseries.csv,
    /// uncertainty.csv, runs.csv and manifest.json.
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        #[command(flatten)]
        batch: BatchArgs,
        /// Output directory (default: reesim-out/<scenario file stem>).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        sampling: SamplingArgs,
        /// Run only shard K (from 0) of N of the batch's runs and write a shard directory for
        /// `reesim merge` (e.g. --shard 0/4).
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// Merge the shard directories of one batch, sweep or size-stockpile grid (`--shard K/N`,
    /// every K) into the outputs of a single unsharded command.
    Merge {
        /// Shard directories, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check a scenario file without running it (exit 0 if valid).
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Compare two scenarios on common random numbers: paired differences B - A for every
    /// outcome metric (compare.csv).
    Compare {
        /// Scenario A (the reference).
        a: PathBuf,
        /// Scenario B.
        b: PathBuf,
        #[command(flatten)]
        batch: BatchArgs,
        /// Output directory (default: reesim-out/<A stem>-vs-<B stem>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// When the scenarios' regions or sectors differ, compare the scopes both have and list
        /// the others (without it, such a comparison is refused).
        #[arg(long)]
        only_common: bool,
        #[command(flatten)]
        sampling: SamplingArgs,
    },
    /// Rank sampled inputs by their influence on outcomes: Spearman and partial rank
    /// correlation (sensitivity.csv, tornado order).
    Sensitivity {
        scenario: PathBuf,
        #[command(flatten)]
        batch: BatchArgs,
        /// Output directory (default: reesim-out/<stem>-sensitivity).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Outcomes, comma-separated runs.csv column names (default: unmet_demand_t,unmet_share).
        #[arg(long)]
        outcomes: Option<String>,
        #[command(flatten)]
        sampling: SamplingArgs,
    },
    /// Find the smallest initial size of a stockpile that meets a target, e.g.
    /// 'P(unmet_share[sector=defense] <= 0.01) >= 0.95' or 'mean(unmet_demand_t) <= 500'
    /// (stockpile_curve.csv).
    SizeStockpile {
        scenario: PathBuf,
        /// Name of the stockpile to size.
        #[arg(long)]
        stockpile: String,
        /// The target.
        #[arg(long)]
        target: String,
        #[command(flatten)]
        batch: BatchArgs,
        /// Largest size tried, tonnes, above 0 and at most 1e9 (default: 365 days of the
        /// stockpile's use).
        #[arg(long, allow_negative_numbers = true)]
        max_t: Option<String>,
        /// Stop bisecting when the bracket is this narrow, tonnes, above 0 and at most 1e9
        /// (default: 0.5% of the cap).
        #[arg(long, allow_negative_numbers = true)]
        tolerance_t: Option<String>,
        /// Evaluate exactly these sizes, tonnes, instead of bisecting: START..END:STEP or a list
        /// (e.g. 0..2000:250); the answer is the smallest of them meeting the target.
        #[arg(long, allow_negative_numbers = true)]
        sizes: Option<String>,
        /// With --sizes: evaluate only shard K (from 0) of N of the sizes and write a shard
        /// directory for `reesim merge` (e.g. --shard 0/4).
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Output directory (default: reesim-out/<stem>-size-<stockpile>).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        sampling: SamplingArgs,
    },
    /// Run a full factorial grid over scenario values addressed by dotted paths, e.g.
    /// --set stockpiles.row_magnet_standard.initial_days=0,30,60 or =0..180:30 (sweep.csv).
    Sweep {
        scenario: PathBuf,
        /// PATH=V1,V2,... or PATH=START..END:STEP; repeat for more axes. Numbers are between
        /// -1e15 and 1e15.
        #[arg(long = "set", required = true)]
        set: Vec<String>,
        #[command(flatten)]
        batch: BatchArgs,
        /// Output directory (default: reesim-out/<stem>-sweep).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        sampling: SamplingArgs,
        /// Evaluate only shard K (from 0) of N of the grid points and write a shard directory
        /// for `reesim merge` (e.g. --shard 0/4).
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// Write DIR/report.html: one offline page with the outputs of DIR as tables and charts.
    Report {
        /// An output directory of `reesim run`, `reesim merge` or a tool.
        dir: PathBuf,
    },
    /// Print the fully resolved scenario (all `extends` merged) as TOML.
    Show {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Print the JSON Schema (draft-07) of scenario files, for editors and other tools.
    Schema,
}

fn text(b: &BatchArgs, s: &SamplingArgs) -> BatchText {
    BatchText {
        runs: b.runs.clone(),
        seed: b.seed.clone(),
        threads: b.threads.clone(),
        sampling: s.sampling.clone(),
        until_mcse: s.until_mcse.clone(),
        metrics: s.metrics.clone(),
    }
}

fn batch(b: Batch, o: &OutputArgs) -> Settings {
    Settings {
        command: settings::Command::Batch(Box::new(b)),
        quiet: o.quiet,
        report: o.report,
    }
}

fn plain(command: settings::Command) -> Settings {
    Settings {
        command,
        quiet: true,
        report: false,
    }
}

impl TryFrom<Command> for Settings {
    type Error = AppError;

    /// Checks every argument; reads no file.
    fn try_from(c: Command) -> Result<Settings, AppError> {
        Ok(match c {
            Command::Validate { scenario } => plain(settings::Command::Validate { scenario }),
            Command::Show { scenario } => plain(settings::Command::Show { scenario }),
            Command::Report { dir } => plain(settings::Command::Report { dir }),
            Command::Schema => plain(settings::Command::Schema),
            Command::Run {
                scenario,
                batch: b,
                out,
                sampling,
                shard,
            } => batch(
                Batch::Run(RunSettings::new(
                    scenario,
                    out,
                    &text(&b, &sampling),
                    shard.as_deref(),
                )?),
                &b.output,
            ),
            Command::Merge { dirs, out, output } => {
                batch(Batch::Merge(MergeSettings { dirs, out }), &output)
            }
            Command::Compare {
                a,
                b: scenario_b,
                batch: b,
                out,
                only_common,
                sampling,
            } => batch(
                Batch::Compare(CompareSettings::new(
                    a,
                    scenario_b,
                    out,
                    &text(&b, &sampling),
                    only_common,
                )?),
                &b.output,
            ),
            Command::Sensitivity {
                scenario,
                batch: b,
                out,
                outcomes,
                sampling,
            } => batch(
                Batch::Sensitivity(SensitivitySettings::new(
                    scenario,
                    out,
                    &text(&b, &sampling),
                    outcomes.as_deref(),
                )?),
                &b.output,
            ),
            Command::SizeStockpile {
                scenario,
                stockpile,
                target,
                batch: b,
                max_t,
                tolerance_t,
                sizes,
                shard,
                out,
                sampling,
            } => batch(
                Batch::SizeStockpile(SizeSettings::new(
                    scenario,
                    out,
                    &text(&b, &sampling),
                    stockpile,
                    target,
                    max_t.as_deref(),
                    tolerance_t.as_deref(),
                    sizes.as_deref(),
                    shard.as_deref(),
                )?),
                &b.output,
            ),
            Command::Sweep {
                scenario,
                set,
                batch: b,
                out,
                sampling,
                shard,
            } => batch(
                Batch::Sweep(SweepSettings::new(
                    scenario,
                    out,
                    &text(&b, &sampling),
                    &set,
                    shard.as_deref(),
                )?),
                &b.output,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn arguments_become_settings_before_any_file_is_read() {
        let cli = Cli::try_parse_from([
            "reesim",
            "size-stockpile",
            "no/such/file.toml",
            "--stockpile",
            "s",
            "--target",
            "mean(unmet_demand_t) <= 5",
            "--max-t",
            "1e308",
        ])
        .unwrap();
        let e = Settings::try_from(cli.command).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("found `1e308`"), "{e}");
        let cli =
            Cli::try_parse_from(["reesim", "merge", "a", "b", "--out", "o", "--report"]).unwrap();
        let s = Settings::try_from(cli.command).unwrap();
        assert!(s.report && !s.quiet);
    }
}
