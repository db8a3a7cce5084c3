//! The `reesim` command line: parses arguments, calls the library, prints.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use reesim::app::{self, AppError, RunArgs};
use reesim::progress::{Lines, Progress};
use reesim::sim::runner::{Results, RunError};
use reesim::stats::registry;
use reesim::stats::summary::Summary;

/// Monte Carlo simulation of the rare-earth magnet supply chain under export controls and
/// strategic stockpiles.
#[derive(Parser)]
#[command(name = "reesim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Size, seed and threads of a batch of runs, shared by the commands that run batches.
#[derive(clap::Args, Clone, Copy)]
struct BatchArgs {
    /// Number of Monte Carlo runs (with --until-mcse: the most to do).
    #[arg(long, default_value_t = app::DEFAULT_RUNS)]
    runs: u64,
    /// Random seed; the same seed and scenario give byte-identical outputs.
    #[arg(long, default_value_t = app::DEFAULT_SEED)]
    seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Show no progress on stderr (by default a bar on a terminal, otherwise a line every 10 s).
    #[arg(long)]
    quiet: bool,
    /// Also write report.html (tables and charts of the outputs) into the output directory.
    #[arg(long)]
    report: bool,
}

/// Sampling and stopping options shared by the commands that run batches.
#[derive(clap::Args, Clone)]
struct SamplingArgs {
    /// Sampling of the per-run parameters: mc (independent draws) or lhs (Latin hypercube).
    #[arg(long, default_value = "mc")]
    sampling: String,
    /// Add runs until the relative Monte Carlo standard error of the watched metrics is at most
    /// this (e.g. 0.01), up to --runs.
    #[arg(long)]
    until_mcse: Option<f64>,
    /// Metrics watched by --until-mcse, comma-separated runs.csv column names
    /// (default: unmet_demand_t).
    #[arg(long)]
    metrics: Option<String>,
}

/// Progress on stderr: a bar on a terminal, a periodic line when stderr is piped or redirected
/// (so long runs under a scheduler or `2> log` still show they are alive), nothing with
/// `--quiet`.
enum Reporter {
    Bar(ProgressBar),
    Lines(Lines),
    Quiet,
}

impl Reporter {
    fn new(quiet: bool) -> Self {
        if quiet {
            Reporter::Quiet
        } else if std::io::stderr().is_terminal() {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg}{pos}/{len} runs [{bar:30}] {elapsed} (eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            Reporter::Bar(b)
        } else {
            // For tests and diagnosis only: another interval, in milliseconds.
            let every = std::env::var("REESIM_PROGRESS_EVERY_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .map_or(reesim::progress::EVERY, std::time::Duration::from_millis);
            Reporter::Lines(Lines::new(std::io::stderr(), every))
        }
    }

    /// Clears the bar or stops the lines before the results print.
    fn finish(&mut self) {
        if let Reporter::Bar(b) = self {
            b.finish_and_clear();
        }
        *self = Reporter::Quiet;
    }
}

impl Progress for Reporter {
    fn stage(&mut self, label: &str, total: u64) {
        match self {
            Reporter::Bar(b) => {
                b.set_length(total);
                b.set_position(0);
                b.set_message(if label.is_empty() {
                    String::new()
                } else {
                    format!("{label}: ")
                });
            }
            Reporter::Lines(l) => l.stage(label, total),
            Reporter::Quiet => {}
        }
    }

    fn advance(&mut self, runs: u64) {
        match self {
            Reporter::Bar(b) => b.inc(runs),
            Reporter::Lines(l) => l.advance(runs),
            Reporter::Quiet => {}
        }
    }
}

/// A comma-separated list of runs.csv column names; commas inside `[...]` belong to a name.
fn metric_list(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for ch in s.chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    out.push(cur.trim().to_string());
    out.retain(|m| !m.is_empty());
    out
}

impl From<BatchArgs> for app::BatchSize {
    fn from(b: BatchArgs) -> Self {
        app::BatchSize {
            runs: b.runs,
            seed: b.seed,
            threads: b.threads,
        }
    }
}

impl From<SamplingArgs> for app::SamplingChoice {
    fn from(a: SamplingArgs) -> Self {
        app::SamplingChoice {
            sampling: a.sampling,
            until_mcse: a.until_mcse,
            metrics: a.metrics.as_deref().map(metric_list),
        }
    }
}

#[derive(Subcommand)]
enum Command {
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
    /// Merge the shard directories of one batch (`run --shard K/N`, every K) into the outputs of
    /// a single run of the whole batch.
    Merge {
        /// Shard directories, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
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
        /// Largest size tried, tonnes (default: 365 days of the stockpile's use).
        #[arg(long)]
        max_t: Option<f64>,
        /// Stop bisecting when the bracket is this narrow, tonnes (default: 0.5% of the cap).
        #[arg(long)]
        tolerance_t: Option<f64>,
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
        /// PATH=V1,V2,... or PATH=START..END:STEP; repeat for more axes.
        #[arg(long = "set", required = true)]
        set: Vec<String>,
        #[command(flatten)]
        batch: BatchArgs,
        /// Output directory (default: reesim-out/<stem>-sweep).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        sampling: SamplingArgs,
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

/// Colour in diagnostics: only on a terminal, and never when NO_COLOR is set to anything
/// non-empty (https://no-color.org).
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let styled = colour();
            match &e {
                AppError::Load(reesim::scenario::LoadError::Invalid(d)) if styled => {
                    for diag in &d.0 {
                        eprintln!("{}\n", diag.render(true));
                    }
                    eprintln!(
                        "error: scenario is invalid ({} error{})",
                        d.0.len(),
                        if d.0.len() == 1 { "" } else { "s" }
                    );
                }
                _ => eprintln!("{e}"),
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        Command::Validate { scenario } => cmd_validate(scenario),
        Command::Schema => {
            print!("{}", reesim::scenario::json_schema());
            Ok(())
        }
        Command::Compare {
            batch,
            a,
            b,
            out,
            only_common,
            sampling,
        } => cmd_compare(batch, a, b, out, only_common, sampling),
        Command::Sensitivity {
            batch,
            scenario,
            out,
            outcomes,
            sampling,
        } => cmd_sensitivity(batch, scenario, out, outcomes, sampling),
        Command::SizeStockpile {
            batch,
            scenario,
            stockpile,
            target,
            max_t,
            tolerance_t,
            out,
            sampling,
        } => cmd_size_stockpile(
            batch,
            scenario,
            stockpile,
            target,
            max_t,
            tolerance_t,
            out,
            sampling,
        ),
        Command::Sweep {
            batch,
            scenario,
            set,
            out,
            sampling,
        } => cmd_sweep(batch, scenario, set, out, sampling),
        Command::Show { scenario } => cmd_show(scenario),
        Command::Report { dir } => report(true, &dir),
        Command::Run {
            batch,
            scenario,
            out,
            sampling,
            shard,
        } => cmd_run(batch, scenario, out, sampling, shard),
        Command::Merge { dirs, out } => cmd_merge(dirs, out),
    }
}

/// `reesim validate`.
fn cmd_validate(scenario: PathBuf) -> Result<(), AppError> {
    let loaded = reesim::scenario::load(&scenario)?;
    let sc = &loaded.scenario;
    println!(
        "{}: valid ({} regions, {} sectors, {} controls, {} stockpiles, {} sampled parameters, {} months from {})",
        scenario.display(),
        sc.regions.len(),
        sc.sectors.len(),
        sc.controls.len(),
        sc.stockpiles.len(),
        sc.params.sampled().count(),
        sc.horizon,
        sc.start
    );
    // The names a user refers to in overrides, `--set`, `--stockpile` and `--metrics`:
    // each region with its sectors, then controls, stockpiles and sampled inputs.
    let list = |label: &str, names: Vec<String>| {
        let mut line = format!("  {label:<16}");
        for (i, n) in names.iter().enumerate() {
            let sep = if i + 1 < names.len() { "," } else { "" };
            if line.len() + n.len() + 2 > 100 && !line.trim_end().ends_with(':') {
                println!("{line}");
                line = " ".repeat(18);
            }
            line.push_str(&format!(" {n}{sep}"));
        }
        if !names.is_empty() {
            println!("{line}");
        }
    };
    for r in &sc.regions {
        let sectors = r.sectors.iter().map(|s| sc.sectors[s.sector].clone());
        list(&format!("{}:", r.name), sectors.collect());
    }
    list(
        "controls:",
        sc.controls.iter().map(|c| c.name.clone()).collect(),
    );
    list(
        "stockpiles:",
        sc.stockpiles.iter().map(|s| s.name.clone()).collect(),
    );
    list(
        "sampled inputs:",
        sc.params.sampled().map(|(_, d)| d.key.clone()).collect(),
    );
    Ok(())
}

/// `reesim compare`.
fn cmd_compare(
    batch: BatchArgs,
    a: PathBuf,
    b: PathBuf,
    out: Option<PathBuf>,
    only_common: bool,
    sampling: SamplingArgs,
) -> Result<(), AppError> {
    let mut progress = Reporter::new(batch.quiet);
    let r = app::compare(
        app::CompareArgs {
            a,
            b,
            batch: batch.into(),
            out,
            sampling: sampling.sampling,
            until_mcse: sampling.until_mcse,
            metrics: sampling.metrics.as_deref().map(metric_list),
            only_common,
        },
        &mut progress,
    );
    progress.finish();
    let r = r?;
    println!(
        "{} vs {}: {} paired runs (seed {})\n",
        r.a_name, r.b_name, r.runs, batch.seed
    );
    println!(
        "{:<30} {:<14} {:<12} {:>12} {:>12} {:>22} {:>9}",
        "metric", "region", "sector/item", "mean A", "mean B", "B - A [95% CI]", "P(B better)"
    );
    for d in r.diffs.iter().filter(|d| {
        registry::COMPARE_TABLE.iter().any(|m| m.name == d.metric)
            && (d.sector.is_empty() || d.region.is_empty())
    }) {
        let scope = if d.item.is_empty() {
            d.sector.as_str()
        } else {
            d.item.as_str()
        };
        println!(
            "{:<30} {:<14} {:<12} {:>12} {:>12} {:>22} {:>9}{}",
            d.metric,
            if d.region.is_empty() {
                "all"
            } else {
                &d.region
            },
            if scope.is_empty() { "all" } else { scope },
            fmt(d.mean_a),
            fmt(d.mean_b),
            format!("{} [{}, {}]", fmt(d.mean), fmt(d.ci.0), fmt(d.ci.1)),
            d.p_b_better.map_or("-".into(), |p| format!("{:.2}", p)),
            if d.significant() { "  *" } else { "" }
        );
    }
    println!("\n* the 95% interval excludes zero");
    if !r.dropped.is_empty() {
        println!(
            "not compared (--only-common): {}",
            r.dropped
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !r.unpaired_stockpiles.is_empty() {
        println!(
            "no pairs for the metrics of {}",
            r.unpaired_stockpiles
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!("wrote {}", r.written.display());
    report(batch.report, dir_of(&r.written))
}

/// `reesim sensitivity`.
fn cmd_sensitivity(
    batch: BatchArgs,
    scenario: PathBuf,
    out: Option<PathBuf>,
    outcomes: Option<String>,
    sampling: SamplingArgs,
) -> Result<(), AppError> {
    let mut progress = Reporter::new(batch.quiet);
    let r = app::sensitivity(
        app::SensitivityArgs {
            scenario,
            batch: batch.into(),
            out,
            outcomes: outcomes.as_deref().map(metric_list),
            sampling: sampling.into(),
        },
        &mut progress,
    );
    progress.finish();
    let r = r?;
    let mut last = String::new();
    let cell = |v: Option<f64>| v.map_or("undefined".to_string(), |v| format!("{v:.3}"));
    for (k, i) in r.rows.iter().enumerate() {
        if i.outcome != last {
            println!("\n{}: inputs by influence ({} runs)", i.outcome, r.runs);
            println!("{:<64} {:>9} {:>9}", "input", "PRCC", "Spearman");
            last = i.outcome.clone();
        }
        // A note prints where it first applies (sensitivity.csv has it on every row).
        let same = |j: Option<usize>| {
            j.and_then(|j| r.rows.get(j))
                .is_some_and(|o| o.outcome == i.outcome && o.note == i.note)
        };
        let note = if i.note.is_empty() || same(k.checked_sub(1)) {
            String::new()
        } else if same(Some(k + 1)) {
            format!("  ({}; also the rows below)", i.note)
        } else {
            format!("  ({})", i.note)
        };
        println!(
            "{:<64} {:>9} {:>9}{note}",
            i.input,
            cell(i.prcc),
            cell(i.spearman)
        );
    }
    if r.rows.is_empty() {
        println!("no sampled inputs vary in this scenario: nothing to rank");
    }
    println!("\nwrote {}", r.written.display());
    report(batch.report, dir_of(&r.written))
}

/// `reesim size-stockpile`.
#[allow(clippy::too_many_arguments)]
fn cmd_size_stockpile(
    batch: BatchArgs,
    scenario: PathBuf,
    stockpile: String,
    target: String,
    max_t: Option<f64>,
    tolerance_t: Option<f64>,
    out: Option<PathBuf>,
    sampling: SamplingArgs,
) -> Result<(), AppError> {
    let mut progress = Reporter::new(batch.quiet);
    let r = app::size_stockpile(
        app::SizeArgs {
            scenario,
            stockpile,
            target,
            batch: batch.into(),
            max_t,
            tolerance_t,
            out,
            sampling: sampling.into(),
        },
        &mut progress,
    );
    progress.finish();
    let r = r?;
    let s = &r.sizing;
    let describe = |a: &reesim::tools::size::Point| {
        format!(
            "{} t = {} days of use; statistic {} (95% interval {} - {})",
            fmt(a.tonnes),
            fmt(a.days),
            fmt(a.value),
            fmt(a.interval.0),
            fmt(a.interval.1),
        )
    };
    println!("rule: {}\n", reesim::tools::size::RULE);
    match &s.answer {
        Some(a) => println!(
            "smallest {} meeting {} with 95% confidence: {}, {} runs per size",
            r.stockpile,
            r.target,
            describe(a),
            r.runs
        ),
        None => println!(
            "no size of {} up to the cap of {} t ({} days) meets {} with 95% confidence",
            r.stockpile,
            fmt(s.cap_t),
            fmt(s.cap_t / s.tonnes_per_day),
            r.target
        ),
    }
    match (&s.point_answer, &s.answer) {
        (Some(p), Some(a)) if p.tonnes == a.tonnes => {
            println!("on the point estimate alone: the same size")
        }
        (Some(p), a) => println!(
            "on the point estimate alone: {}{}",
            describe(p),
            if a.is_none() {
                "; more --runs narrow the interval"
            } else {
                ""
            }
        ),
        (None, _) => println!("on the point estimate alone: no size up to the cap"),
    }
    if let Some(why) = &r.zero_reason {
        println!("0 t: {why}");
    }
    println!(
        "\n{:>12} {:>10} {:>12} {:>22} {:>6} {:>9}",
        "size t", "days", "statistic", "95% interval", "meets", "meets 95%"
    );
    for p in &s.curve {
        println!(
            "{:>12} {:>10} {:>12} {:>22} {:>6} {:>9}",
            fmt(p.tonnes),
            fmt(p.days),
            fmt(p.value),
            format!("{} - {}", fmt(p.interval.0), fmt(p.interval.1)),
            if p.met { "yes" } else { "no" },
            if p.met_surely { "yes" } else { "no" }
        );
    }
    println!("\nwrote {}", r.written.display());
    report(batch.report, dir_of(&r.written))
}

/// `reesim sweep`.
fn cmd_sweep(
    batch: BatchArgs,
    scenario: PathBuf,
    set: Vec<String>,
    out: Option<PathBuf>,
    sampling: SamplingArgs,
) -> Result<(), AppError> {
    let mut progress = Reporter::new(batch.quiet);
    let r = app::sweep(
        app::SweepArgs {
            scenario,
            set,
            batch: batch.into(),
            out,
            sampling: sampling.into(),
        },
        &mut progress,
    );
    progress.finish();
    let r = r?;
    println!("{} grid points x {} runs\n", r.points.len(), batch.runs);
    println!(
        "{:<60} {:>14} {:>14} {:>14}",
        r.paths.join(", "),
        "unmet t mean",
        "p50",
        "p95"
    );
    for (values, res) in &r.points {
        let i = res
            .outcomes
            .keys
            .iter()
            .position(|k| k.column() == registry::UNMET_DEMAND_T.name)
            .unwrap_or(0);
        let s = reesim::stats::summary::Summary::of(&res.metric(i).map_err(RunError::from)?);
        println!(
            "{:<60} {:>14} {:>14} {:>14}",
            values.join(", "),
            fmt(s.mean),
            fmt(s.quantiles[2]),
            fmt(s.quantiles[4])
        );
    }
    println!("\nwrote {}", r.written.display());
    report(batch.report, dir_of(&r.written))
}

/// `reesim show`.
fn cmd_show(scenario: PathBuf) -> Result<(), AppError> {
    let loaded = reesim::scenario::load(&scenario)?;
    print!("{}", reesim::scenario::to_toml(&loaded.file));
    Ok(())
}

/// `reesim merge`.
fn cmd_merge(dirs: Vec<PathBuf>, out: PathBuf) -> Result<(), AppError> {
    let (plan, results, written) = app::merge(app::MergeArgs { dirs, out })?;
    print_summary(&plan, &results)?;
    println!("\nmerged {} shards; wrote:", results.shards.len());
    for p in &written {
        println!("  {}", p.display());
    }
    Ok(())
}

/// `reesim run`.
fn cmd_run(
    batch: BatchArgs,
    scenario: PathBuf,
    out: Option<PathBuf>,
    sampling: SamplingArgs,
    shard: Option<String>,
) -> Result<(), AppError> {
    let BatchArgs {
        runs,
        seed,
        threads,
        quiet,
        report: with_report,
    } = batch;
    let plan = RunArgs {
        scenario,
        runs: Some(runs),
        seed: Some(seed),
        threads,
        out,
        sampling: Some(sampling.sampling),
        until_mcse: sampling.until_mcse,
        metrics: sampling.metrics.as_deref().map(metric_list),
        shard,
    }
    .plan()?;
    let mut progress = Reporter::new(quiet);
    let done = app::execute(&plan, &mut progress);
    progress.finish();
    let (results, written) = done?;
    if let Some(sh) = plan.settings.shard {
        let r = sh.runs(plan.settings.runs);
        println!(
            "shard {}/{}: runs {}..{} of {} done; merge every shard with `reesim merge`. Wrote {}",
            sh.index,
            sh.count,
            r.start,
            r.end,
            plan.settings.runs,
            plan.out.display()
        );
        if with_report {
            println!("no report for a shard: run `reesim report` on the merged directory");
        }
        return Ok(());
    }
    print_summary(&plan, &results)?;
    print_drivers(&plan, &results)?;
    if let Some(u) = &plan.settings.until {
        let met = results.achieved.iter().all(|(_, e)| *e <= u.rel);
        println!(
            "\n{} after {} runs: {}",
            if met {
                "MCSE target met"
            } else {
                "MCSE target NOT met (run cap reached)"
            },
            results.runs,
            results
                .achieved
                .iter()
                .map(|(m, e)| format!("relative MCSE of {m} = {} (target {})", fmt(*e), u.rel))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    println!(
        "\nwrote {}",
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    report(with_report, &plan.out)
}

/// With `on`: writes report.html into `dir` (after its outputs) and says so.
fn report(on: bool, dir: &std::path::Path) -> Result<(), AppError> {
    if on {
        println!("wrote {}", reesim::report::write(dir)?.display());
    }
    Ok(())
}

/// The written file's directory.
fn dir_of(file: &std::path::Path) -> &std::path::Path {
    file.parent().unwrap_or(std::path::Path::new("."))
}

/// The two or three inputs that explain most of the spread of unmet demand, world and per
/// region (uncertainty.csv has every input).
fn print_drivers(plan: &app::RunPlan, r: &Results) -> Result<(), AppError> {
    let ctx = reesim::export::Context {
        loaded: &plan.loaded,
        results: r,
        settings: &plan.settings,
    };
    let drivers = reesim::export::uncertainty::drivers(&ctx).map_err(RunError::from)?;
    let lines: Vec<String> = drivers
        .iter()
        .map(|d| d.outcome.as_str())
        .filter(|o| o.starts_with(registry::UNMET_DEMAND_T.name))
        .fold(Vec::<&str>::new(), |mut seen, o| {
            if !seen.contains(&o) {
                seen.push(o);
            }
            seen
        })
        .into_iter()
        .filter_map(|o| {
            let top: Vec<String> = drivers
                .iter()
                .filter(|d| d.outcome == o && d.rank <= 3 && d.share >= 0.01)
                .map(|d| format!("{:.0}% {}", 100.0 * d.share, d.input))
                .collect();
            (!top.is_empty()).then(|| format!("  {o}: {}", top.join(", ")))
        })
        .collect();
    if !lines.is_empty() {
        println!(
            "\nWhere the spread comes from (share of each outcome's variance explained by one input alone;\nuncertainty.csv lists every input):"
        );
        for l in lines {
            println!("{l}");
        }
    }
    Ok(())
}

fn print_summary(plan: &app::RunPlan, r: &Results) -> Result<(), AppError> {
    let sc = &plan.loaded.scenario;
    let secs = r
        .finished
        .duration_since(r.started)
        .map_or(0.0, |d| d.as_secs_f64());
    println!(
        "{}: {} runs ({}), seed {}, {} months from {} ({:.2} s)\n",
        sc.name,
        r.runs,
        plan.settings.sampling.name(),
        plan.settings.seed,
        sc.horizon,
        sc.start,
        secs
    );
    println!(
        "{:<32} {:<16} {:<14} {:>12} {:>12} {:>12} {:>12}",
        "metric", "region", "sector/stock", "mean", "p5", "p50", "p95"
    );
    for (m, key) in r.outcomes.keys.iter().enumerate() {
        let stockpile = key.item_kind == "stockpile";
        let show = registry::RUN_TABLE.iter().any(|m| m.name == key.metric)
            && (stockpile || key.sector.is_empty() || key.region.is_empty());
        if !show {
            continue;
        }
        let s = Summary::of(&r.metric(m).map_err(RunError::from)?);
        let scope = if key.item.is_empty() {
            key.sector.as_str()
        } else {
            key.item.as_str()
        };
        let region = if key.region.is_empty() {
            "all"
        } else {
            key.region.as_str()
        };
        let scope = if scope.is_empty() { "all" } else { scope };
        println!(
            "{:<32} {:<16} {:<14} {:>12} {:>12} {:>12} {:>12}",
            key.metric,
            region,
            scope,
            fmt(s.mean),
            fmt(s.quantiles[0]),
            fmt(s.quantiles[2]),
            fmt(s.quantiles[4])
        );
    }
    Ok(())
}

fn fmt(v: f64) -> String {
    if v.is_infinite() {
        return "inf".into();
    }
    if !v.is_finite() {
        "-".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}
