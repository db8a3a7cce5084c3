//! The batch commands as [`Job`]s of the pipeline: run (and a shard), compare, sensitivity,
//! size-stockpile and sweep.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::settings::{
    CompareSettings, RunSettings, SensitivitySettings, SizeSettings, SweepSettings,
};
use super::{AppError, Job, check_metrics, print};
use crate::export::decision::{CompareCsv, CurveCsv, SensitivityCsv, SweepCsv};
use crate::export::manifest::{AxisEntry, BatchEntry, Manifest, ShardPart};
use crate::export::runs::RunsCsv;
use crate::export::set::checkpoint;
use crate::export::shard::{HistogramsBin, RowsBin, ScenarioToml, SizesBin};
use crate::export::summary::SummaryCsv;
use crate::export::timeseries::TimeseriesCsv;
use crate::export::uncertainty::UncertaintyCsv;
use crate::export::{Context, Export, OutputSet};
use crate::progress::Progress;
use crate::scenario::{self, Loaded};
use crate::sim::runner::{self, Results};
use crate::tools::compare::{Difference, OneSided, one_sided_scopes};

/// The files of a whole batch's results, or of a shard's part.
pub(super) fn run_exports<'a>(ctx: Context<'a>) -> Vec<Box<dyn Export + 'a>> {
    match ctx.settings.shard {
        Some(_) => vec![
            Box::new(HistogramsBin(ctx)),
            Box::new(ScenarioToml(ctx.loaded)),
        ],
        None => vec![
            Box::new(SummaryCsv(ctx)),
            Box::new(TimeseriesCsv(ctx)),
            Box::new(UncertaintyCsv(ctx)),
        ],
    }
}

/// `reesim run`, whole or one shard.
pub(super) struct RunJob {
    s: RunSettings,
    loaded: Loaded,
    results: Option<Results>,
}

impl RunJob {
    pub fn prepare(s: RunSettings) -> Result<RunJob, AppError> {
        let loaded = scenario::load(&s.scenario)?;
        if let Some(u) = &s.batch.until {
            check_metrics(&loaded.scenario, &u.metrics)?;
        }
        Ok(RunJob {
            s,
            loaded,
            results: None,
        })
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            loaded: &self.loaded,
            results: self.results.as_ref().expect("executed"),
            settings: &self.s.batch,
        }
    }
}

impl Job for RunJob {
    fn out(&self) -> &Path {
        &self.s.out
    }

    fn execute(
        &mut self,
        set: &mut OutputSet,
        progress: &mut dyn Progress,
    ) -> Result<(), AppError> {
        let sc = &self.loaded.scenario;
        let outcomes = crate::stats::outcomes::Outcomes::new(sc);
        let mut runs_csv = RunsCsv::create(set, &runner::sampled_keys(sc), &outcomes)?;
        checkpoint("runs-started");
        progress.stage("", self.s.runs_here());
        let mut rows_bin = match self.s.batch.shard {
            Some(_) => Some(RowsBin::create(set)?),
            None => None,
        };
        let mut failed: Option<(std::io::Error, bool)> = None;
        let mut appended = 0u64;
        let results = runner::run(
            sc,
            self.s.batch.clone(),
            Some(RunsCsv::row),
            &mut |rows, text| {
                let written = runs_csv.append(text).map_err(|e| (e, true)).and_then(|()| {
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
        runs_csv.finish(set)?;
        if let Some(b) = rows_bin {
            b.finish(set)?;
        }
        self.results = Some(results);
        Ok(())
    }

    fn exports(&self) -> Vec<Box<dyn Export + '_>> {
        run_exports(self.ctx())
    }

    fn manifest(&self, _: SystemTime) -> Manifest {
        Manifest::of_run("run", &self.ctx())
    }

    fn print(
        &self,
        out: &mut dyn Write,
        written: &[PathBuf],
        colour: bool,
    ) -> Result<(), AppError> {
        let ctx = self.ctx();
        if let Some(sh) = self.s.batch.shard {
            let r = sh.runs(self.s.batch.runs);
            return writeln!(
                out,
                "shard {}/{}: runs {}..{} of {} done; merge every shard with `reesim merge`. Wrote {}",
                sh.index,
                sh.count,
                r.start,
                r.end,
                self.s.batch.runs,
                self.s.out.display()
            )
            .map_err(super::stdout_err);
        }
        print::run_summary(out, &ctx, colour)?;
        print::drivers(out, &ctx)?;
        print::mcse(out, &ctx)?;
        print::wrote_list(out, written)
    }

    fn reportable(&self) -> bool {
        self.s.batch.shard.is_none()
    }
}

/// `reesim compare`: both scenarios on common random numbers (same seed, same run indices;
/// with `--until-mcse`, B runs as many runs as A needed).
pub(super) struct CompareJob {
    s: CompareSettings,
    a: Loaded,
    b: Loaded,
    dropped: Vec<OneSided>,
    unpaired_stockpiles: Vec<OneSided>,
    done: Option<(Vec<Difference>, Vec<BatchEntry>, u64)>,
}

impl CompareJob {
    pub fn prepare(s: CompareSettings) -> Result<CompareJob, AppError> {
        let a = scenario::load(&s.a)?;
        let b = scenario::load(&s.b)?;
        if let Some(u) = &s.batch.until {
            check_metrics(&a.scenario, &u.metrics)?;
        }
        let keys_a = crate::stats::outcomes::Outcomes::new(&a.scenario).keys;
        let keys_b = crate::stats::outcomes::Outcomes::new(&b.scenario).keys;
        let dropped = one_sided_scopes(&keys_a, &keys_b);
        if !dropped.is_empty() && !s.only_common {
            return Err(AppError::Usage(format!(
                "cannot compare `{}` with `{}`: their regions and sectors differ: {}. A scope one \
                 side lacks has nothing to pair with, and a name both use may cover different \
                 countries or uses when the lists differ. Give --only-common to compare the scopes \
                 both have (the others are listed), or make the scenarios' regions and sectors agree",
                s.a.display(),
                s.b.display(),
                print::joined(&dropped)
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
        Ok(CompareJob {
            s,
            a,
            b,
            dropped,
            unpaired_stockpiles,
            done: None,
        })
    }
}

impl Job for CompareJob {
    fn out(&self) -> &Path {
        &self.s.out
    }

    fn execute(&mut self, _: &mut OutputSet, progress: &mut dyn Progress) -> Result<(), AppError> {
        let settings = &self.s.batch;
        progress.stage(&format!("A ({})", self.a.scenario.name), settings.runs);
        let ba = crate::tools::run_batch(&self.a.scenario, settings, progress)?;
        // B runs exactly A's runs, in A's blocks, so every run is paired with the same draws.
        let settings_b = runner::Settings {
            runs: ba.rows.len() as u64,
            until: None,
            ..settings.clone()
        };
        progress.stage(&format!("B ({})", self.b.scenario.name), settings_b.runs);
        let bb = crate::tools::run_batch(&self.b.scenario, &settings_b, progress)?;
        let diffs = crate::tools::compare::differences(&ba, &bb);
        let batches = vec![
            BatchEntry::new("a", ba.rows.len() as u64, &ba.achieved),
            BatchEntry::new("b", bb.rows.len() as u64, &bb.achieved),
        ];
        self.done = Some((diffs, batches, ba.rows.len() as u64));
        Ok(())
    }

    fn exports(&self) -> Vec<Box<dyn Export + '_>> {
        let (diffs, _, _) = self.done.as_ref().expect("executed");
        vec![Box::new(CompareCsv(diffs))]
    }

    fn manifest(&self, started: SystemTime) -> Manifest {
        let (_, batches, _) = self.done.as_ref().expect("executed");
        let mut m = Manifest::new("compare", &self.s.batch, started);
        m.scenario_files = Some(vec![
            self.s.a.display().to_string(),
            self.s.b.display().to_string(),
        ]);
        m.batches = Some(batches.clone());
        m.dropped_scopes = Some(self.dropped.iter().map(ToString::to_string).collect());
        m.unpaired_stockpiles = Some(
            self.unpaired_stockpiles
                .iter()
                .map(ToString::to_string)
                .collect(),
        );
        m
    }

    fn print(
        &self,
        out: &mut dyn Write,
        written: &[PathBuf],
        colour: bool,
    ) -> Result<(), AppError> {
        let (diffs, _, runs) = self.done.as_ref().expect("executed");
        print::compare(
            out,
            print::CompareView {
                a: &self.a.scenario.name,
                b: &self.b.scenario.name,
                runs: *runs,
                seed: self.s.batch.seed,
                diffs,
                dropped: &self.dropped,
                unpaired: &self.unpaired_stockpiles,
            },
            colour,
        )?;
        print::wrote_list(out, written)
    }
}

/// `reesim sensitivity`.
pub(super) struct SensitivityJob {
    s: SensitivitySettings,
    loaded: Loaded,
    done: Option<(Vec<crate::tools::sensitivity::Influence>, BatchEntry)>,
}

impl SensitivityJob {
    pub fn prepare(s: SensitivitySettings) -> Result<SensitivityJob, AppError> {
        let loaded = scenario::load(&s.scenario)?;
        check_metrics(&loaded.scenario, &s.outcomes)?;
        if let Some(u) = &s.batch.until {
            check_metrics(&loaded.scenario, &u.metrics)?;
        }
        let inputs = runner::sampled_keys(&loaded.scenario).len();
        let least = crate::tools::sensitivity::min_runs();
        if s.batch.runs < least {
            return Err(AppError::Usage(format!(
                "sensitivity needs at least {least} runs, found --runs {}: {}",
                s.batch.runs,
                crate::tools::sensitivity::min_runs_reason(inputs)
            )));
        }
        Ok(SensitivityJob {
            s,
            loaded,
            done: None,
        })
    }
}

impl Job for SensitivityJob {
    fn out(&self) -> &Path {
        &self.s.out
    }

    fn execute(&mut self, _: &mut OutputSet, progress: &mut dyn Progress) -> Result<(), AppError> {
        progress.stage("", self.s.batch.runs);
        let batch = crate::tools::run_batch(&self.loaded.scenario, &self.s.batch, progress)?;
        let rows = crate::tools::sensitivity::influences(&batch, &self.s.outcomes);
        let entry = BatchEntry::new("scenario", batch.rows.len() as u64, &batch.achieved);
        self.done = Some((rows, entry));
        Ok(())
    }

    fn exports(&self) -> Vec<Box<dyn Export + '_>> {
        let (rows, _) = self.done.as_ref().expect("executed");
        vec![Box::new(SensitivityCsv(rows))]
    }

    fn manifest(&self, started: SystemTime) -> Manifest {
        let (_, entry) = self.done.as_ref().expect("executed");
        let mut m = Manifest::new("sensitivity", &self.s.batch, started);
        m.scenario_files = Some(vec![self.s.scenario.display().to_string()]);
        m.batches = Some(vec![entry.clone()]);
        m
    }

    fn print(
        &self,
        out: &mut dyn Write,
        written: &[PathBuf],
        colour: bool,
    ) -> Result<(), AppError> {
        let (rows, entry) = self.done.as_ref().expect("executed");
        print::sensitivity(out, rows, entry.runs, colour)?;
        print::wrote_list(out, written)
    }
}

/// `reesim size-stockpile`: a bisection, or a given grid of sizes (`--sizes`), whole or one
/// shard of it.
pub(super) struct SizeJob {
    s: SizeSettings,
    loaded: Loaded,
    index: usize,
    cap: f64,
    tolerance: f64,
    done: Option<(crate::tools::size::Sizing, Option<String>)>,
    /// A shard's evaluated sizes (no decision: that needs every size).
    part: Option<Vec<crate::tools::size::Point>>,
}

impl SizeJob {
    pub fn prepare(s: SizeSettings) -> Result<SizeJob, AppError> {
        let loaded = scenario::load(&s.scenario)?;
        let sc = &loaded.scenario;
        check_metrics(sc, &[s.target.metric().to_string()])?;
        if let Some(u) = &s.batch.until {
            check_metrics(sc, &u.metrics)?;
        }
        let index = stockpile_index(sc, &s.stockpile, &s.scenario)?;
        let (cap, tolerance) = match &s.sizes {
            Some(sizes) => (sizes.last().copied().unwrap_or(0.0), 0.0),
            None => {
                let per_day = crate::sim::run::tonnes_per_day(sc, s.batch.seed, 0, index);
                let cap = match s.max_t {
                    Some(c) => c,
                    None if per_day > 0.0 => 365.0 * per_day,
                    None => {
                        return Err(AppError::Usage(
                            "the stockpile serves no demand to size against; give --max-t".into(),
                        ));
                    }
                };
                (cap, s.tolerance_t.unwrap_or(cap * 0.005))
            }
        };
        Ok(SizeJob {
            s,
            loaded,
            index,
            cap,
            tolerance,
            done: None,
            part: None,
        })
    }

    /// The block of `--sizes` this command evaluates: all, or its shard's.
    fn sizes_here(&self) -> &[f64] {
        let sizes = self.s.sizes.as_deref().unwrap_or_default();
        match self.s.shard {
            Some(sh) => {
                let r = sh.runs(sizes.len() as u64);
                &sizes[r.start as usize..r.end as usize]
            }
            None => sizes,
        }
    }
}

/// The position of the stockpile named `name` in `sc`, or a message listing the names.
pub(super) fn stockpile_index(
    sc: &crate::model::Scenario,
    name: &str,
    file: &Path,
) -> Result<usize, AppError> {
    sc.stockpiles
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = sc.stockpiles.iter().map(|s| s.name.as_str()).collect();
            AppError::Usage(format!(
                "no stockpile named `{name}` in {}; {}",
                file.display(),
                if names.is_empty() {
                    "it defines none".to_string()
                } else {
                    format!("it defines: {}", names.join(", "))
                }
            ))
        })
}

/// The size-stockpile fields of a manifest: one batch per evaluated size, what was sized
/// against what, the rule, the grid of `--sizes` and the answers (when decided).
pub(super) fn size_manifest(
    m: &mut Manifest,
    s: &SizeSettings,
    points: &[crate::tools::size::Point],
    sizing: Option<&crate::tools::size::Sizing>,
) {
    m.scenario_files = Some(vec![s.scenario.display().to_string()]);
    m.batches = Some(
        points
            .iter()
            .map(|p| {
                BatchEntry::new(
                    format!("size_t={}", crate::export::num(p.tonnes)),
                    p.runs as u64,
                    &[],
                )
            })
            .collect(),
    );
    m.stockpile = Some(s.stockpile.clone());
    m.target = Some(s.target_text.clone());
    m.rule = Some(
        if s.sizes.is_some() {
            crate::tools::size::GRID_RULE
        } else {
            crate::tools::size::RULE
        }
        .into(),
    );
    m.sizes_t = s.sizes.clone();
    if let Some(sizing) = sizing {
        m.answer_t = sizing.answer.as_ref().map(|a| a.tonnes);
        m.point_estimate_answer_t = sizing.point_answer.as_ref().map(|a| a.tonnes);
    }
}

/// The unit of a target's statistic: a share of runs, or the unit of its metric.
fn target_unit(t: &crate::tools::size::Target) -> &'static str {
    match t {
        crate::tools::size::Target::Probability { .. } => "share of runs",
        crate::tools::size::Target::Mean { .. } => crate::stats::registry::unit_of(t.metric()),
    }
}

/// What size-stockpile (or the merge of its shards) prints of a decided sizing.
pub(super) fn print_sizing(
    out: &mut dyn Write,
    s: &SizeSettings,
    sizing: &crate::tools::size::Sizing,
    zero_reason: Option<&str>,
    colour: bool,
) -> Result<(), AppError> {
    print::sizing(
        out,
        print::SizeView {
            stockpile: &s.stockpile,
            target: &s.target_text,
            unit: target_unit(&s.target),
            runs: s.batch.runs,
            sizing,
            zero_reason,
            grid: s.sizes.is_some(),
        },
        colour,
    )
}

/// The line a tool's shard prints: which grid points it did, and where it wrote them.
fn shard_done(
    out: &mut dyn Write,
    sh: runner::Shard,
    what: &str,
    total: usize,
    dir: &Path,
) -> Result<(), AppError> {
    let r = sh.runs(total as u64);
    writeln!(
        out,
        "shard {}/{}: {what} {}..{} of {total} done; merge every shard with `reesim merge`. Wrote {}",
        sh.index,
        sh.count,
        r.start,
        r.end,
        dir.display()
    )
    .map_err(super::stdout_err)
}

/// The `shard` entry of a tool's shard manifest: every run of grid points `points` of `total`.
fn tool_shard_part(sh: runner::Shard, runs: u64, total: usize) -> ShardPart {
    let r = sh.runs(total as u64);
    ShardPart {
        index: sh.index,
        count: sh.count,
        runs: [0, runs],
        points: Some([r.start, r.end]),
    }
}

impl Job for SizeJob {
    fn out(&self) -> &Path {
        &self.s.out
    }

    fn execute(&mut self, _: &mut OutputSet, progress: &mut dyn Progress) -> Result<(), AppError> {
        let sc = &self.loaded.scenario;
        let sizing = match &self.s.sizes {
            None => crate::tools::size::size(
                sc,
                self.index,
                &self.s.target,
                &self.s.batch,
                self.cap,
                self.tolerance,
                progress,
            )?,
            Some(_) => {
                let points = crate::tools::size::evaluate(
                    sc,
                    self.index,
                    &self.s.target,
                    &self.s.batch,
                    self.sizes_here(),
                    progress,
                )?;
                if self.s.shard.is_some() {
                    self.part = Some(points);
                    return Ok(());
                }
                let per_day = crate::sim::run::tonnes_per_day(sc, self.s.batch.seed, 0, self.index);
                crate::tools::size::decide(points, per_day)
            }
        };
        let zero_reason = crate::tools::size::zero_reason(sc, self.index, &self.s.target, &sizing);
        self.done = Some((sizing, zero_reason));
        Ok(())
    }

    fn exports(&self) -> Vec<Box<dyn Export + '_>> {
        if let Some(part) = &self.part {
            return vec![
                Box::new(SizesBin(part)),
                Box::new(ScenarioToml(&self.loaded)),
            ];
        }
        let (sizing, _) = self.done.as_ref().expect("executed");
        vec![Box::new(CurveCsv(sizing))]
    }

    fn manifest(&self, started: SystemTime) -> Manifest {
        let mut m = Manifest::new("size-stockpile", &self.s.batch, started);
        match (&self.part, self.s.shard) {
            (Some(part), Some(sh)) => {
                size_manifest(&mut m, &self.s, part, None);
                m.shard = Some(tool_shard_part(
                    sh,
                    self.s.batch.runs,
                    self.s.sizes.as_ref().map_or(0, Vec::len),
                ));
            }
            _ => {
                let (sizing, _) = self.done.as_ref().expect("executed");
                size_manifest(&mut m, &self.s, &sizing.curve, Some(sizing));
            }
        }
        m
    }

    fn print(
        &self,
        out: &mut dyn Write,
        written: &[PathBuf],
        colour: bool,
    ) -> Result<(), AppError> {
        if let Some(sh) = self.s.shard {
            let total = self.s.sizes.as_ref().map_or(0, Vec::len);
            return shard_done(out, sh, "sizes", total, &self.s.out);
        }
        let (sizing, zero_reason) = self.done.as_ref().expect("executed");
        print_sizing(out, &self.s, sizing, zero_reason.as_deref(), colour)?;
        print::wrote_list(out, written)
    }

    fn reportable(&self) -> bool {
        self.s.shard.is_none()
    }
}

/// `reesim sweep`: every grid point (or a shard's block of them) with the same seed and runs
/// (common random numbers).
pub(super) struct SweepJob {
    s: SweepSettings,
    base: Loaded,
    grid: Vec<(Vec<String>, Loaded)>,
    /// Grid points in the whole grid.
    total: usize,
    points: Vec<(Vec<String>, Results)>,
    paths: Vec<String>,
}

impl SweepJob {
    pub fn prepare(s: SweepSettings) -> Result<SweepJob, AppError> {
        let base = scenario::load(&s.scenario)?;
        if let Some(u) = &s.batch.until {
            check_metrics(&base.scenario, &u.metrics)?;
        }
        let grid =
            crate::tools::sweep::grid(&s.scenario, &base, &s.axes).map_err(AppError::Sweep)?;
        let paths = s.axes.iter().map(|a| a.path.clone()).collect();
        Ok(SweepJob {
            total: grid.len(),
            s,
            base,
            grid,
            points: Vec::new(),
            paths,
        })
    }
}

impl Job for SweepJob {
    fn out(&self) -> &Path {
        &self.s.out
    }

    fn execute(&mut self, _: &mut OutputSet, progress: &mut dyn Progress) -> Result<(), AppError> {
        let n = self.total;
        let here = self.s.shard.map_or(0..n as u64, |sh| sh.runs(n as u64));
        for (i, (values, loaded)) in std::mem::take(&mut self.grid).into_iter().enumerate() {
            if !here.contains(&(i as u64)) {
                continue;
            }
            progress.stage(
                &format!("point {}/{n} ({})", i + 1, values.join(", ")),
                self.s.batch.runs,
            );
            let r = runner::run(
                &loaded.scenario,
                self.s.batch.clone(),
                None,
                &mut |_, _| Ok(()),
                &mut |k| progress.advance(k),
            )?;
            self.points.push((values, r));
        }
        Ok(())
    }

    fn exports(&self) -> Vec<Box<dyn Export + '_>> {
        let csv: Box<dyn Export + '_> = Box::new(SweepCsv {
            paths: &self.paths,
            points: &self.points,
        });
        match self.s.shard {
            Some(_) => vec![csv, Box::new(ScenarioToml(&self.base))],
            None => vec![csv],
        }
    }

    fn manifest(&self, started: SystemTime) -> Manifest {
        let mut m = Manifest::new("sweep", &self.s.batch, started);
        m.scenario_files = Some(vec![self.s.scenario.display().to_string()]);
        m.axes = Some(
            self.s
                .axes
                .iter()
                .map(|a| AxisEntry {
                    path: a.path.clone(),
                    values: a.values.clone(),
                })
                .collect(),
        );
        m.shard = self
            .s
            .shard
            .map(|sh| tool_shard_part(sh, self.s.batch.runs, self.total));
        m.batches = Some(
            self.points
                .iter()
                .map(|(v, r)| BatchEntry::new(v.join(","), r.runs, &r.achieved))
                .collect(),
        );
        m
    }

    fn print(
        &self,
        out: &mut dyn Write,
        written: &[PathBuf],
        colour: bool,
    ) -> Result<(), AppError> {
        if let Some(sh) = self.s.shard {
            return shard_done(out, sh, "grid points", self.total, &self.s.out);
        }
        print::sweep(out, &self.paths, &self.points, self.s.batch.runs, colour)?;
        print::wrote_list(out, written)
    }

    fn reportable(&self) -> bool {
        self.s.shard.is_none()
    }
}
