//! `reesim merge`: the shard directories of one batch into the outputs a single `run` of the
//! whole batch writes (runs.csv, summary.csv, timeseries.csv and uncertainty.csv byte for byte;
//! the manifest lists the shards).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::settings::{self, MergeSettings};
use super::{AppError, Job, print};
use crate::export::manifest::Manifest;
use crate::export::runs::RunsCsv;
use crate::export::set::{MANIFEST, StagedFile};
use crate::export::shard;
use crate::export::{Context, Export, OutputSet};
use crate::progress::Progress;
use crate::scenario::{self, Loaded};
use crate::sim::runner::{self, Results, Settings};

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
            "`{}` is not the manifest of a shard written by `reesim run --shard K/N` ({what})",
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

/// Checks that `shards` are the shards 0..N of one batch (same N, seed, runs, sampling and
/// resolved scenario) and puts them in shard order.
fn check_shards(shards: &mut [ShardInfo]) -> Result<(), AppError> {
    let first = &shards[0];
    let count = first.shard.count;
    for s in shards.iter() {
        let (m, f) = (&s.manifest, &first.manifest);
        let differs = [
            ("number of shards", s.shard.count != count),
            ("seed", m.seed != f.seed),
            ("runs", m.runs_requested != f.runs_requested),
            ("sampling", m.sampling != f.sampling),
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

/// A merge: the shards, checked, and the scenario they ran.
pub(super) struct MergeJob {
    s: MergeSettings,
    shards: Vec<ShardInfo>,
    loaded: Loaded,
    settings: Settings,
    results: Option<Results>,
}

impl MergeJob {
    pub fn prepare(s: MergeSettings) -> Result<MergeJob, AppError> {
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
