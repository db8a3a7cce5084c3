//! Settings: the command line's arguments, as written, turned into one validated value before
//! any work starts (no scenario is read and no output directory touched until they are).
//!
//! Numeric arguments have finite bounds ([`Bound`]); a value outside them is refused (exit 2)
//! with the value echoed as the user wrote it.

use std::path::{Path, PathBuf};

use super::AppError;
use crate::model::dist::number;
use crate::scenario::rules::TONNES;
use crate::sim::runner::{self, Sampling, Shard};
use crate::stats::registry;
use crate::tools::size::Target;
use crate::tools::sweep::Axis;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 20_250_101;
/// Runs when none are given.
pub const DEFAULT_RUNS: u64 = 1000;
/// The most runs one command takes (per-run outcome rows are kept in memory).
pub const MAX_RUNS: u64 = 100_000_000;
/// The most worker threads a command starts.
pub const MAX_THREADS: usize = 256;

/// What one invocation does, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub command: Command,
    /// Show no progress on stderr.
    pub quiet: bool,
    /// Also write report.html into the output directory.
    pub report: bool,
}

/// Each command with its validated arguments.
#[derive(Debug, Clone)]
pub enum Command {
    Validate {
        scenario: PathBuf,
    },
    Show {
        scenario: PathBuf,
    },
    Report {
        dir: PathBuf,
    },
    /// Print the JSON Schema of scenario files.
    Schema,
    /// A command that runs batches (or merges them) into an output directory.
    Batch(Box<Batch>),
}

/// The commands that write an output set, each through the one pipeline.
#[derive(Debug, Clone)]
pub enum Batch {
    Run(RunSettings),
    Merge(MergeSettings),
    Compare(CompareSettings),
    Sensitivity(SensitivitySettings),
    SizeStockpile(SizeSettings),
    Sweep(SweepSettings),
}

/// `reesim run`: the batch (with its shard, if any) and where it goes.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub scenario: PathBuf,
    pub out: PathBuf,
    pub batch: runner::Settings,
}

/// `reesim merge`.
#[derive(Debug, Clone)]
pub struct MergeSettings {
    pub dirs: Vec<PathBuf>,
    pub out: PathBuf,
}

/// `reesim compare`.
#[derive(Debug, Clone)]
pub struct CompareSettings {
    pub a: PathBuf,
    pub b: PathBuf,
    pub out: PathBuf,
    pub batch: runner::Settings,
    /// Compare the region/sector scopes both scenarios have and list the others, instead of
    /// refusing scenarios whose scopes differ.
    pub only_common: bool,
}

/// `reesim sensitivity`.
#[derive(Debug, Clone)]
pub struct SensitivitySettings {
    pub scenario: PathBuf,
    pub out: PathBuf,
    pub batch: runner::Settings,
    /// runs.csv column names of the outcomes ranked.
    pub outcomes: Vec<String>,
}

/// `reesim size-stockpile`.
#[derive(Debug, Clone)]
pub struct SizeSettings {
    pub scenario: PathBuf,
    pub out: PathBuf,
    pub batch: runner::Settings,
    pub stockpile: String,
    pub target: Target,
    /// The target as written.
    pub target_text: String,
    /// Largest size tried, tonnes (None: a year of the stockpile's use).
    pub max_t: Option<f64>,
    /// Bracket width that stops the bisection, tonnes (None: 0.5% of the cap).
    pub tolerance_t: Option<f64>,
    /// `--sizes`: evaluate exactly these sizes, tonnes, smallest first, instead of bisecting.
    pub sizes: Option<Vec<f64>>,
    /// `--shard K/N` (only with `sizes`): evaluate only this shard's block of the sizes.
    pub shard: Option<Shard>,
}

/// `reesim sweep`.
#[derive(Debug, Clone)]
pub struct SweepSettings {
    pub scenario: PathBuf,
    pub out: PathBuf,
    pub batch: runner::Settings,
    pub axes: Vec<Axis>,
    /// `--shard K/N`: evaluate only this shard's block of the grid points.
    pub shard: Option<Shard>,
}

/// The batch arguments as written on the command line.
#[derive(Debug, Clone, Default)]
pub struct BatchText {
    pub runs: String,
    pub seed: String,
    /// None: all cores.
    pub threads: Option<String>,
    pub sampling: String,
    pub until_mcse: Option<String>,
    /// Comma-separated runs.csv column names.
    pub metrics: Option<String>,
}

/// The allowed range of a numeric argument.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub flag: &'static str,
    /// The least value; excluded itself when `above` is set.
    pub min: f64,
    pub above: bool,
    pub max: f64,
    /// What the number is, for the message (`tonnes`).
    pub what: &'static str,
}

/// `--until-mcse`: a relative Monte Carlo standard error above 0 and at most 1 (100%).
pub const UNTIL_MCSE: Bound = Bound {
    flag: "--until-mcse",
    min: 0.0,
    above: true,
    max: 1.0,
    what: "a relative standard error, e.g. 0.01",
};
/// `--max-t`: tonnes above 0 and at most 1e9 (the bound of every tonnage in a scenario).
pub const MAX_T: Bound = Bound {
    flag: "--max-t",
    min: 0.0,
    above: true,
    max: TONNES.hi,
    what: "tonnes",
};
/// `--tolerance-t`: as `--max-t`.
pub const TOLERANCE_T: Bound = Bound {
    flag: "--tolerance-t",
    ..MAX_T
};
/// Each size of `--sizes`: tonnes from 0 to 1e9.
pub const SIZE_T: Bound = Bound {
    flag: "--sizes",
    min: 0.0,
    above: false,
    max: TONNES.hi,
    what: "tonnes",
};

impl Bound {
    fn range(&self) -> String {
        let lo = if self.above { "above" } else { "at least" };
        format!(
            "a number {lo} {} and at most {} ({})",
            number(self.min),
            number(self.max),
            self.what
        )
    }

    /// `text` as a number within the bound, or the message saying what is allowed.
    pub fn parse(&self, text: &str) -> Result<f64, AppError> {
        let v: f64 = text.trim().parse().map_err(|_| self.refuse(text))?;
        let low_ok = if self.above {
            v > self.min
        } else {
            v >= self.min
        };
        if v.is_finite() && low_ok && v <= self.max {
            Ok(v)
        } else {
            Err(self.refuse(text))
        }
    }

    fn refuse(&self, text: &str) -> AppError {
        AppError::Usage(format!(
            "{} must be {}, found `{}`",
            self.flag,
            self.range(),
            text.trim()
        ))
    }
}

/// A whole number from `min` to `max` (`flag` names it in the message).
pub fn whole(flag: &str, text: &str, min: u64, max: u64) -> Result<u64, AppError> {
    match text.trim().parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(AppError::Usage(format!(
            "{flag} must be a whole number from {min} to {max}, found `{}`",
            text.trim()
        ))),
    }
}

/// `--threads`, or every core.
pub fn threads(text: Option<&str>) -> Result<usize, AppError> {
    match text {
        Some(t) => match t.trim().parse::<u64>() {
            Ok(0) => Err(AppError::Usage(
                "--threads must be at least 1, found 0".into(),
            )),
            Ok(n) if n <= MAX_THREADS as u64 => Ok(n as usize),
            Ok(_) => Err(AppError::Usage(format!(
                "--threads is at most {MAX_THREADS}, found {}",
                t.trim()
            ))),
            Err(_) => Err(AppError::Usage(format!(
                "--threads must be a whole number from 1 to {MAX_THREADS}, found `{}`",
                t.trim()
            ))),
        },
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// `--runs`: 1 to [`MAX_RUNS`].
pub fn runs(text: &str) -> Result<u64, AppError> {
    if text.trim() == "0" {
        return Err(AppError::Usage("--runs must be at least 1, found 0".into()));
    }
    match text.trim().parse::<u64>() {
        Ok(n) if n > MAX_RUNS => Err(AppError::Usage(format!(
            "--runs is at most {MAX_RUNS}, found {}",
            text.trim()
        ))),
        _ => whole("--runs", text, 1, MAX_RUNS),
    }
}

/// Parses `--sampling`.
pub fn sampling(s: &str) -> Result<Sampling, AppError> {
    match s.trim() {
        "" | "mc" => Ok(Sampling::Mc),
        "lhs" => Ok(Sampling::Lhs),
        other => Err(AppError::Usage(format!(
            "--sampling must be mc or lhs, found `{other}`"
        ))),
    }
}

/// A comma-separated list of runs.csv column names; commas inside `[...]` belong to a name.
pub fn metric_list(s: &str) -> Vec<String> {
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

/// Checks that every name is a metric of the registry (with or without a `[scope]`; whether
/// the scope exists is checked against the scenario once it is read).
pub fn known_metrics(flag: &str, names: &[String]) -> Result<(), AppError> {
    if names.is_empty() {
        return Err(AppError::Usage(format!("{flag} is empty")));
    }
    for n in names {
        if registry::metric(n).is_none() {
            let all: Vec<&str> = registry::METRICS.iter().map(|m| m.name).collect();
            return Err(AppError::Usage(format!(
                "unknown metric `{n}` in {flag}; metrics are runs.csv column names: {}",
                all.join(", ")
            )));
        }
    }
    Ok(())
}

/// The validated batch: runs, seed, threads, sampling and stop rule (no shard).
pub fn batch(t: &BatchText) -> Result<runner::Settings, AppError> {
    let runs = runs(&t.runs)?;
    let seed = whole("--seed", &t.seed, 0, u64::MAX)?;
    let threads = threads(t.threads.as_deref())?;
    let sampling = sampling(&t.sampling)?;
    let until = match (&t.until_mcse, &t.metrics) {
        (Some(rel), metrics) => {
            let rel = UNTIL_MCSE.parse(rel)?;
            let metrics = metrics
                .as_deref()
                .map_or_else(|| vec![registry::DEFAULT_WATCHED.name.into()], metric_list);
            known_metrics("--metrics", &metrics)?;
            Some(runner::Until { rel, metrics })
        }
        (None, Some(_)) => {
            return Err(AppError::Usage("--metrics goes with --until-mcse".into()));
        }
        (None, None) => None,
    };
    Ok(runner::Settings {
        runs,
        seed,
        threads,
        sampling,
        until,
        block: None,
        shard: None,
    })
}

/// Parses `--shard K/N` (K from 0) for a batch of `runs` runs.
pub fn shard(s: &str, runs: u64) -> Result<Shard, AppError> {
    shard_of(s, runs, "runs")
}

/// Parses `--shard K/N` (K from 0) of `total` items (`what`: runs, grid points, sizes).
pub fn shard_of(s: &str, total: u64, what: &str) -> Result<Shard, AppError> {
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
    if count > total {
        return Err(bad(&format!(
            ": {count} shards is more than the {total} {what}"
        )));
    }
    Ok(Shard { index, count })
}

/// Parses `--sizes`: `START..END:STEP` (END included) or `V1,V2,...`, tonnes from 0 to 1e9,
/// as the sizes smallest first (a size given twice is evaluated once).
pub fn sizes(text: &str) -> Result<Vec<f64>, AppError> {
    let values = crate::tools::sweep::values_of(text).map_err(|m| {
        AppError::Usage(format!(
            "--sizes `{}`: {m}; give tonnes as START..END:STEP (e.g. 0..2000:250) or a list \
             (e.g. 0,500,1000)",
            text.trim()
        ))
    })?;
    let mut out = values
        .iter()
        .map(|v| SIZE_T.parse(v))
        .collect::<Result<Vec<f64>, _>>()?;
    out.sort_by(f64::total_cmp);
    out.dedup();
    Ok(out)
}

/// A file's stem, for default output directories.
pub fn stem(p: &Path) -> String {
    p.file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
}

/// `reesim-out/<name>`.
pub fn default_out(name: String) -> PathBuf {
    PathBuf::from("reesim-out").join(name)
}

impl RunSettings {
    pub fn new(
        scenario: PathBuf,
        out: Option<PathBuf>,
        batch_text: &BatchText,
        shard_text: Option<&str>,
    ) -> Result<RunSettings, AppError> {
        let mut batch = batch(batch_text)?;
        batch.shard = match shard_text {
            Some(s) if batch.until.is_some() => {
                return Err(AppError::Usage(format!(
                    "--shard {s} cannot go with --until-mcse: a stop rule needs every run of the batch"
                )));
            }
            Some(s) => Some(shard(s, batch.runs)?),
            None => None,
        };
        Ok(RunSettings {
            out: out.unwrap_or_else(|| default_out(stem(&scenario))),
            scenario,
            batch,
        })
    }

    /// Runs this command does: the whole batch, or its shard's part.
    pub fn runs_here(&self) -> u64 {
        let s = &self.batch;
        s.shard.map_or(s.runs, |sh| {
            let r = sh.runs(s.runs);
            r.end - r.start
        })
    }
}

impl CompareSettings {
    pub fn new(
        a: PathBuf,
        b: PathBuf,
        out: Option<PathBuf>,
        batch_text: &BatchText,
        only_common: bool,
    ) -> Result<CompareSettings, AppError> {
        let mut batch = batch(batch_text)?;
        if batch.until.is_some() {
            batch.block = Some(runner::UNTIL_BLOCK);
        }
        let out = out.unwrap_or_else(|| default_out(format!("{}-vs-{}", stem(&a), stem(&b))));
        Ok(CompareSettings {
            a,
            b,
            out,
            batch,
            only_common,
        })
    }
}

impl SensitivitySettings {
    pub fn new(
        scenario: PathBuf,
        out: Option<PathBuf>,
        batch_text: &BatchText,
        outcomes: Option<&str>,
    ) -> Result<SensitivitySettings, AppError> {
        let batch = batch(batch_text)?;
        let outcomes = outcomes.map_or_else(
            || {
                vec![
                    registry::UNMET_DEMAND_T.name.into(),
                    registry::UNMET_SHARE.name.into(),
                ]
            },
            metric_list,
        );
        known_metrics("--outcomes", &outcomes)?;
        Ok(SensitivitySettings {
            out: out.unwrap_or_else(|| default_out(format!("{}-sensitivity", stem(&scenario)))),
            scenario,
            batch,
            outcomes,
        })
    }
}

impl SizeSettings {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        scenario: PathBuf,
        out: Option<PathBuf>,
        batch_text: &BatchText,
        stockpile: String,
        target: String,
        max_t: Option<&str>,
        tolerance_t: Option<&str>,
        grid: Option<&str>,
        shard_text: Option<&str>,
    ) -> Result<SizeSettings, AppError> {
        let batch = batch(batch_text)?;
        let parsed = Target::parse(&target).map_err(AppError::Usage)?;
        known_metrics("--target", &[parsed.metric().to_string()])?;
        let max_t = max_t.map(|t| MAX_T.parse(t)).transpose()?;
        let tolerance_t = tolerance_t.map(|t| TOLERANCE_T.parse(t)).transpose()?;
        let sizes = grid.map(sizes).transpose()?;
        if let Some(g) = grid {
            let flag = match (max_t, tolerance_t) {
                (Some(_), _) => Some("--max-t"),
                (None, Some(_)) => Some("--tolerance-t"),
                (None, None) => None,
            };
            if let Some(flag) = flag {
                return Err(AppError::Usage(format!(
                    "{flag} cannot go with --sizes {g}: it bounds the bisection, and with \
                     --sizes exactly the sizes given are evaluated"
                )));
            }
        }
        let shard = match (shard_text, &sizes) {
            (Some(s), None) => {
                return Err(AppError::Usage(format!(
                    "--shard {s} needs --sizes: the bisection is sequential, so a sharded \
                     size-stockpile evaluates a fixed grid of sizes (e.g. --sizes 0..2000:250)"
                )));
            }
            (Some(s), Some(g)) => Some(shard_of(s, g.len() as u64, "sizes")?),
            (None, _) => None,
        };
        Ok(SizeSettings {
            out: out
                .unwrap_or_else(|| default_out(format!("{}-size-{}", stem(&scenario), stockpile))),
            scenario,
            batch,
            stockpile,
            target: parsed,
            target_text: target,
            max_t,
            tolerance_t,
            sizes,
            shard,
        })
    }
}

impl SweepSettings {
    pub fn new(
        scenario: PathBuf,
        out: Option<PathBuf>,
        batch_text: &BatchText,
        set: &[String],
        shard_text: Option<&str>,
    ) -> Result<SweepSettings, AppError> {
        let batch = batch(batch_text)?;
        if set.is_empty() {
            return Err(AppError::Usage(
                "sweep needs at least one --set PATH=V1,V2,...".into(),
            ));
        }
        let axes = set
            .iter()
            .map(|s| Axis::parse(s))
            .collect::<Result<Vec<Axis>, _>>()
            .map_err(AppError::Usage)?;
        let shard = shard_text
            .map(|s| shard_of(s, grid_points(&axes), "grid points"))
            .transpose()?;
        Ok(SweepSettings {
            out: out.unwrap_or_else(|| default_out(format!("{}-sweep", stem(&scenario)))),
            scenario,
            batch,
            axes,
            shard,
        })
    }
}

/// The number of points of the full factorial grid of `axes`.
pub fn grid_points(axes: &[Axis]) -> u64 {
    axes.iter()
        .fold(1u64, |n, a| n.saturating_mul(a.values.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> BatchText {
        BatchText {
            runs: "10".into(),
            seed: "1".into(),
            threads: Some("2".into()),
            sampling: "mc".into(),
            until_mcse: None,
            metrics: None,
        }
    }

    fn message(e: AppError) -> String {
        e.to_string()
    }

    #[test]
    fn numbers_out_of_bounds_are_echoed_as_written() {
        let e = message(MAX_T.parse("1e308").unwrap_err());
        assert_eq!(
            e,
            "error: --max-t must be a number above 0 and at most 1e9 (tonnes), found `1e308`"
        );
        assert!(MAX_T.parse("0").is_err());
        assert!(MAX_T.parse("nan").is_err());
        assert_eq!(MAX_T.parse("2000").unwrap(), 2000.0);
        let e = message(
            batch(&BatchText {
                runs: "1e308".into(),
                ..text()
            })
            .unwrap_err(),
        );
        assert!(e.contains("found `1e308`") && !e.contains("u64"), "{e}");
        let e = message(
            batch(&BatchText {
                until_mcse: Some("2".into()),
                ..text()
            })
            .unwrap_err(),
        );
        assert!(e.contains("--until-mcse") && e.contains("`2`"), "{e}");
    }

    #[test]
    fn metrics_come_from_the_registry() {
        let ok = batch(&BatchText {
            until_mcse: Some("0.1".into()),
            metrics: Some("unmet_share[region=a,sector=b], shortfall_months".into()),
            ..text()
        })
        .unwrap();
        assert_eq!(
            ok.until.unwrap().metrics,
            ["unmet_share[region=a,sector=b]", "shortfall_months"]
        );
        let e = message(
            batch(&BatchText {
                until_mcse: Some("0.1".into()),
                metrics: Some("unmet_tonnes".into()),
                ..text()
            })
            .unwrap_err(),
        );
        assert!(e.contains("unknown metric `unmet_tonnes`"), "{e}");
    }

    #[test]
    fn sizes_are_a_sorted_grid_within_bounds() {
        assert_eq!(
            sizes("0..1000:250").unwrap(),
            [0.0, 250.0, 500.0, 750.0, 1000.0]
        );
        assert_eq!(sizes("500, 0,500").unwrap(), [0.0, 500.0]);
        let e = message(sizes("0,2e9").unwrap_err());
        assert!(e.contains("--sizes") && e.contains("`2e9`"), "{e}");
        assert!(sizes("-5").is_err() && sizes("10..0:5").is_err() && sizes("").is_err());
        let size = |max_t: Option<&str>, grid: Option<&str>, shard: Option<&str>| {
            SizeSettings::new(
                "s.toml".into(),
                None,
                &text(),
                "s".into(),
                "mean(unmet_demand_t) <= 5".into(),
                max_t,
                None,
                grid,
                shard,
            )
        };
        let e = message(size(None, None, Some("0/2")).unwrap_err());
        assert!(e.contains("needs --sizes"), "{e}");
        let e = message(size(Some("100"), Some("0,50"), None).unwrap_err());
        assert!(e.contains("--max-t cannot go with --sizes"), "{e}");
        let e = message(size(None, Some("0,50"), Some("0/3")).unwrap_err());
        assert!(e.contains("3 shards is more than the 2 sizes"), "{e}");
        let ok = size(None, Some("0..100:50"), Some("1/2")).unwrap();
        assert_eq!(ok.shard.map(|s| s.runs(3)), Some(1..3));
    }

    #[test]
    fn threads_are_capped() {
        assert_eq!(threads(Some("4")).unwrap(), 4);
        assert!(message(threads(Some("100000")).unwrap_err()).contains("at most 256"));
        assert!(threads(Some("0")).is_err());
    }
}
