//! `reesim merge`: the shard directories of one batch into the outputs a single `run` of the
//! whole batch writes (runs.csv, summary.csv, timeseries.csv and uncertainty.csv byte for byte;
//! the manifest lists the shards). The shards' manifests say which command wrote them: the
//! shards of a `sweep` merge into the sweep.csv of the whole grid, those of a
//! `size-stockpile --sizes` into its stockpile_curve.csv and decision, byte for byte as the
//! command without `--shard` writes them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::settings::{self, MergeSettings, SizeSettings};
use super::{AppError, Job, print};
use crate::export::decision::CurveCsv;
use crate::export::manifest::Manifest;
use crate::export::runs::RunsCsv;
use crate::export::set::{MANIFEST, StagedFile};
use crate::export::shard;
use crate::export::{Context, Export, OutputSet};
use crate::progress::Progress;
use crate::scenario::{self, Loaded};
use crate::sim::runner::{self, Results, Settings};
use crate::tools::size::{Sizing, Target};

/// The file a sweep and each of its shards write.
const SWEEP_CSV: &str = "sweep.csv";

/// A shard directory with what its manifest says of it.
struct ShardInfo {
    dir: PathBuf,
    shard: runner::Shard,
    manifest: Manifest,
}

fn read_shard_info(dir: &Path) -> Result<ShardInfo, AppError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(read_err(path.clone()))?;
    let not_shard = |what: &str| {
        AppError::Usage(format!(
            "`{}` is not the manifest of a shard written with `--shard K/N` by `reesim run`, \
             `sweep` or `size-stockpile` ({what})",
            path.display()
        ))
    };
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| not_shard(&format!("invalid: {e}")))?;
    let part = manifest.shard.ok_or_else(|| not_shard("no `shard`"))?;
    Ok(ShardInfo {
        dir: dir.to_path_buf(),
        shard: runner::Shard {
            index: part.index,
            count: part.count,
        },
        manifest,
    })
}

/// Checks that `shards` are the shards 0..N of one command's batch or grid (same command, N,
/// seed, runs, sampling, stop rule, grid, stockpile and target) and puts them in shard order.
fn check_shards(shards: &mut [ShardInfo]) -> Result<(), AppError> {
    let first = &shards[0];
    let count = first.shard.count;
    for s in shards.iter() {
        let (m, f) = (&s.manifest, &first.manifest);
        if m.command != f.command {
            return Err(AppError::Usage(format!(
                "`{}` and `{}` are shards of different commands (`{}` and `{}`); merge the \
                 shards of one command at a time",
                first.dir.display(),
                s.dir.display(),
                f.command,
                m.command
            )));
        }
        let differs = [
            ("number of shards", s.shard.count != count),
            ("seed", m.seed != f.seed),
            ("runs", m.runs_requested != f.runs_requested),
            ("sampling", m.sampling != f.sampling),
            ("stop rule (--until-mcse)", m.until_mcse != f.until_mcse),
            ("grid", m.axes != f.axes || m.sizes_t != f.sizes_t),
            ("stockpile", m.stockpile != f.stockpile),
            ("target", m.target != f.target),
        ];
        if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
            return Err(AppError::Usage(format!(
                "`{}` and `{}` are shards of different batches (their {what} differs)",
                first.dir.display(),
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

/// Reads and checks the shard directories (one command's shards 0..N of the same scenario) and
/// returns the merge of that command's shards.
pub(super) fn prepare(s: MergeSettings) -> Result<Box<dyn Job>, AppError> {
    if s.dirs.is_empty() {
        return Err(AppError::Usage("merge needs the shard directories".into()));
    }
    let mut shards = s
        .dirs
        .iter()
        .map(|d| read_shard_info(d))
        .collect::<Result<Vec<_>, _>>()?;
    check_shards(&mut shards)?;
    let text = |s: &ShardInfo| {
        let p = s.dir.join(shard::SCENARIO);
        std::fs::read(&p).map_err(read_err(p.clone()))
    };
    let text0 = text(&shards[0])?;
    for sh in &shards[1..] {
        if text(sh)? != text0 {
            return Err(AppError::Usage(format!(
                "`{}` and `{}` are shards of different scenarios",
                shards[0].dir.display(),
                sh.dir.display()
            )));
        }
    }
    match shards[0].manifest.command.as_str() {
        "run" => Ok(Box::new(MergeJob::prepare(s, shards)?)),
        "sweep" => Ok(Box::new(SweepMergeJob::prepare(s, shards)?)),
        "size-stockpile" => Ok(Box::new(SizeMergeJob::prepare(s, shards)?)),
        other => Err(AppError::Usage(format!(
            "`{}` is a shard of `{other}`; reesim merge merges the shards of run, sweep and \
             size-stockpile",
            shards[0].dir.display()
        ))),
    }
}

/// A merge of run shards: the shards, checked, and the scenario they ran.
pub(super) struct MergeJob {
    s: MergeSettings,
    shards: Vec<ShardInfo>,
    loaded: Loaded,
    settings: Settings,
    results: Option<Results>,
}

impl MergeJob {
    fn prepare(s: MergeSettings, shards: Vec<ShardInfo>) -> Result<MergeJob, AppError> {
        let loaded = scenario::load(&shards[0].dir.join(shard::SCENARIO))?;
        let first = &shards[0].manifest;
        let settings = Settings {
            runs: first.runs_requested,
            seed: first.seed,
            threads: 1,
            sampling: settings::sampling(&first.sampling)?,
            until: None,
            block: None,
            shard: None,
        };
        Ok(MergeJob {
            s,
            shards,
            loaded,
            settings,
            results: None,
        })
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            loaded: &self.loaded,
            results: self.results.as_ref().expect("executed"),
            settings: &self.settings,
        }
    }
}

impl Job for MergeJob {
    fn out(&self) -> &Path {
        &self.s.out
    }

    fn execute(
        &mut self,
        set: &mut OutputSet,
        progress: &mut dyn Progress,
    ) -> Result<(), AppError> {
        let started = SystemTime::now();
        let sc = &self.loaded.scenario;
        let catalog = crate::stats::timeseries::Catalog::new(sc);
        let outcomes = crate::stats::outcomes::Outcomes::new(sc);
        let sampled_keys = runner::sampled_keys(sc);
        let widths = (outcomes.keys.len(), sampled_keys.len());
        let mut sketches = crate::stats::timeseries::Sketches::new(sc.horizon, catalog.cells.len());
        let mut metrics = crate::stats::columns::Columns::new(widths.0);
        let mut sampled = crate::stats::columns::Columns::new(widths.1);
        let mut runs_csv = set.create(RunsCsv::FILE)?;
        progress.stage(
            &format!("merging {} shards", self.shards.len()),
            self.settings.runs,
        );
        for (i, s) in self.shards.iter().enumerate() {
            let range = s.shard.runs(self.settings.runs);
            let read = |file: &str| read_err(s.dir.join(file));
            copy_runs_csv(&s.dir.join(RunsCsv::FILE), i == 0, &mut runs_csv)?;
            let mut h = std::io::BufReader::new(
                std::fs::File::open(s.dir.join(shard::HISTOGRAMS))
                    .map_err(read(shard::HISTOGRAMS))?,
            );
            let part = crate::stats::timeseries::Sketches::read_from(
                &mut h,
                sc.horizon,
                catalog.cells.len(),
            )
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
            progress.advance(range.end - range.start);
        }
        set.finish(runs_csv)?;
        let correlations =
            runner::achieved_correlations(sc, &sampled).map_err(|source| AppError::Io {
                context: "cannot read the per-run values back".into(),
                source,
            })?;
        self.results = Some(Results {
            catalog,
            sketches,
            outcomes,
            sampled_keys,
            metrics,
            sampled,
            started,
            finished: SystemTime::now(),
            runs: self.settings.runs,
            achieved: Vec::new(),
            correlations,
            shards: self
                .shards
                .iter()
                .map(|s| s.dir.display().to_string())
                .collect(),
            drivers: Default::default(),
            summaries: Default::default(),
            threads: rayon::current_num_threads(),
        });
        Ok(())
    }

    fn exports(&self) -> Vec<Box<dyn Export + '_>> {
        super::jobs::run_exports(self.ctx())
    }

    fn manifest(&self, _: SystemTime) -> Manifest {
        Manifest::of_run("merge", &self.ctx())
    }

    fn print(
        &self,
        out: &mut dyn Write,
        written: &[PathBuf],
        colour: bool,
    ) -> Result<(), AppError> {
        print::run_summary(out, &self.ctx(), colour)?;
        writeln!(out, "\nmerged {} shards", self.shards.len()).map_err(super::stdout_err)?;
        print::wrote_list(out, written)
    }
}

/// Checks a tool's shard directory against its manifest (every file's size and SHA-256): its
/// outputs are small, and a partly copied shard would merge into wrong results.
fn verify_tool_shard(s: &ShardInfo) -> Result<(), AppError> {
    crate::export::set::verify(&s.dir).map(|_| ()).map_err(|e| {
        AppError::Usage(format!(
            "`{}` is not a complete shard: {e}",
            s.dir.display()
        ))
    })
}

/// The manifest of a merged tool: the first shard's, without its `shard`, with every shard's
/// batches in grid order and the shard directories under `merged_from`.
fn merged_tool_manifest(shards: &[ShardInfo], started: SystemTime) -> Manifest {
    let mut m = shards[0].manifest.clone();
    m.shard = None;
    m.threads = 1;
    m.batches = Some(
        shards
            .iter()
            .flat_map(|s| s.manifest.batches.clone().unwrap_or_default())
            .collect(),
    );
    m.merged_from = Some(shards.iter().map(|s| s.dir.display().to_string()).collect());
    m.started = crate::export::manifest::rfc3339(started);
    m.finished = crate::export::manifest::rfc3339(SystemTime::now());
    m.files = Vec::new();
    m
}

/// A merge of sweep shards: their sweep.csv rows, in grid order, under one header.
struct SweepMergeJob {
    s: MergeSettings,
    shards: Vec<ShardInfo>,
    points: u64,
}

impl SweepMergeJob {
    fn prepare(s: MergeSettings, shards: Vec<ShardInfo>) -> Result<SweepMergeJob, AppError> {
        for sh in &shards {
            verify_tool_shard(sh)?;
        }
        let points = shards[0]
            .manifest
            .axes
            .as_ref()
            .map_or(0, |a| a.iter().map(|a| a.values.len() as u64).product());
        Ok(SweepMergeJob { s, shards, points })
    }
}

impl Job for SweepMergeJob {
    fn out(&self) -> &Path {
        &self.s.out
    }

    fn execute(
        &mut self,
        set: &mut OutputSet,
        progress: &mut dyn Progress,
    ) -> Result<(), AppError> {
        progress.stage(
            &format!("merging {} shards", self.shards.len()),
            self.shards.len() as u64,
        );
        let mut csv = set.create(SWEEP_CSV)?;
        for (i, s) in self.shards.iter().enumerate() {
            copy_runs_csv(&s.dir.join(SWEEP_CSV), i == 0, &mut csv)?;
            progress.advance(1);
        }
        set.finish(csv)?;
        Ok(())
    }

    fn exports(&self) -> Vec<Box<dyn Export + '_>> {
        Vec::new()
    }

    fn manifest(&self, started: SystemTime) -> Manifest {
        merged_tool_manifest(&self.shards, started)
    }

    fn print(
        &self,
        out: &mut dyn Write,
        written: &[PathBuf],
        _colour: bool,
    ) -> Result<(), AppError> {
        writeln!(
            out,
            "merged {} shards of a sweep: {} grid points x {} runs",
            self.shards.len(),
            self.points,
            self.shards[0].manifest.runs_requested
        )
        .map_err(super::stdout_err)?;
        print::wrote_list(out, written)
    }
}

/// A merge of size-stockpile shards: every evaluated size, then the decision on the whole grid.
struct SizeMergeJob {
    s: MergeSettings,
    shards: Vec<ShardInfo>,
    size: SizeSettings,
    loaded: Loaded,
    index: usize,
    done: Option<(Sizing, Option<String>)>,
}

impl SizeMergeJob {
    fn prepare(s: MergeSettings, shards: Vec<ShardInfo>) -> Result<SizeMergeJob, AppError> {
        for sh in &shards {
            verify_tool_shard(sh)?;
        }
        let first = &shards[0];
        let m = &first.manifest;
        let missing = |field: &str| {
            AppError::Usage(format!(
                "`{}` is not a size-stockpile shard: its manifest has no `{field}`",
                first.dir.join(MANIFEST).display()
            ))
        };
        m.sizes_t.as_ref().ok_or_else(|| missing("sizes_t"))?;
        let target_text = m.target.clone().ok_or_else(|| missing("target"))?;
        let stockpile = m.stockpile.clone().ok_or_else(|| missing("stockpile"))?;
        let scenario_path = first.dir.join(shard::SCENARIO);
        let loaded = scenario::load(&scenario_path)?;
        let index = super::jobs::stockpile_index(&loaded.scenario, &stockpile, &scenario_path)?;
        let size = SizeSettings {
            scenario: m
                .scenario_files
                .as_ref()
                .and_then(|f| f.first())
                .map_or_else(|| scenario_path.clone(), PathBuf::from),
            out: s.out.clone(),
            batch: Settings {
                runs: m.runs_requested,
                seed: m.seed,
                threads: 1,
                sampling: settings::sampling(&m.sampling)?,
                until: None,
                block: None,
                shard: None,
            },
            stockpile,
            target: Target::parse(&target_text).map_err(AppError::Usage)?,
            target_text,
            max_t: None,
            tolerance_t: None,
            sizes: Some(Vec::new()),
            shard: None,
        };
        Ok(SizeMergeJob {
            s,
            shards,
            size,
            loaded,
            index,
            done: None,
        })
    }
}

impl Job for SizeMergeJob {
    fn out(&self) -> &Path {
        &self.s.out
    }

    fn execute(&mut self, _: &mut OutputSet, progress: &mut dyn Progress) -> Result<(), AppError> {
        progress.stage(
            &format!("merging {} shards", self.shards.len()),
            self.shards.len() as u64,
        );
        let total = self.shards[0].manifest.sizes_t.as_ref().map_or(0, Vec::len) as u64;
        let mut curve = Vec::new();
        for s in &self.shards {
            let r = s.shard.runs(total);
            let part = shard::read_sizes(&s.dir, r.end - r.start)
                .map_err(read_err(s.dir.join(shard::SIZES)))?;
            curve.extend(part);
            progress.advance(1);
        }
        // The grid as the shards evaluated it, bit for bit.
        self.size.sizes = Some(curve.iter().map(|p| p.tonnes).collect());
        let sc = &self.loaded.scenario;
        let per_day = crate::sim::run::tonnes_per_day(sc, self.size.batch.seed, 0, self.index);
        let sizing = crate::tools::size::decide(curve, per_day);
        let zero = crate::tools::size::zero_reason(sc, self.index, &self.size.target, &sizing);
        self.done = Some((sizing, zero));
        Ok(())
    }

    fn exports(&self) -> Vec<Box<dyn Export + '_>> {
        let (sizing, _) = self.done.as_ref().expect("executed");
        vec![Box::new(CurveCsv(sizing))]
    }

    fn manifest(&self, started: SystemTime) -> Manifest {
        let (sizing, _) = self.done.as_ref().expect("executed");
        let mut m = merged_tool_manifest(&self.shards, started);
        super::jobs::size_manifest(&mut m, &self.size, &sizing.curve, Some(sizing));
        m
    }

    fn print(
        &self,
        out: &mut dyn Write,
        written: &[PathBuf],
        colour: bool,
    ) -> Result<(), AppError> {
        let (sizing, zero) = self.done.as_ref().expect("executed");
        super::jobs::print_sizing(out, &self.size, sizing, zero.as_deref(), colour)?;
        writeln!(out, "\nmerged {} shards", self.shards.len()).map_err(super::stdout_err)?;
        print::wrote_list(out, written)
    }
}

/// Appends a shard's runs.csv (or sweep.csv) to the merged one, with its header line only for
/// the first shard.
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
