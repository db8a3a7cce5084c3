//! manifest.json: what was run, with what, by which program, and when; the output set adds
//! the list of files with their sizes and checksums (`files`) and writes it last.
//!
//! Every command writes the same typed [`Manifest`]: `run`, a shard (`run --shard`), `merge`
//! and the tools. Fields only some commands have are left out where they do not apply.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::Context;
use super::set::FileEntry;
use crate::sim::runner::Settings;

/// The version of the manifest's layout; it changes when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

/// manifest.json of every output directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`SCHEMA_VERSION`] of the program that wrote it.
    pub schema_version: u32,
    /// `reesim`.
    pub program: String,
    /// The program's version.
    pub version: String,
    /// The command: run, merge, compare, sensitivity, size-stockpile or sweep.
    pub command: String,
    /// The scenario file of a run, shard or merge (for a merge: the first shard's copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_file: Option<String>,
    /// The scenario files of a tool, in argument order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_files: Option<Vec<String>>,
    /// The resolved scenario (all `extends` merged) of a run, shard or merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<serde_json::Value>,
    /// Every numeric parameter with defaults filled in, keyed by its dotted path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Map<String, serde_json::Value>>,
    pub seed: u64,
    /// Runs done (a run or merge; with a stop rule, fewer than requested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
    /// `--runs`: the batch's size (with a stop rule: the most runs).
    pub runs_requested: u64,
    /// `mc` or `lhs`.
    pub sampling: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_mcse: Option<UntilMcse>,
    /// Target and achieved rank correlations of correlated inputs (a run or merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlations: Option<Vec<Correlation>>,
    /// Worker threads (results do not depend on them).
    pub threads: usize,
    /// Runs per batch of the runner (a run, shard or merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u64>,
    /// Which part of the batch a shard holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardPart>,
    /// The shard directories a merge read, in shard order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<String>>,
    /// sweep: the grid, each axis a dotted path with its values in order (the grid points are
    /// every combination, the last axis varying fastest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axes: Option<Vec<AxisEntry>>,
    /// size-stockpile with `--sizes`: the grid of sizes, tonnes, smallest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes_t: Option<Vec<f64>>,
    /// The batches a tool ran: one per scenario, grid point or stockpile size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batches: Option<Vec<BatchEntry>>,
    /// compare: scopes only one scenario has, left out (`--only-common`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped_scopes: Option<Vec<String>>,
    /// compare: stockpiles only one scenario has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpaired_stockpiles: Option<Vec<String>>,
    /// size-stockpile: the stockpile sized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stockpile: Option<String>,
    /// size-stockpile: the target as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// size-stockpile: how the answer is chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// size-stockpile: the smallest size meeting the target with 95% confidence, tonnes
    /// (absent when no size up to the cap does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_t: Option<f64>,
    /// size-stockpile: the smallest size meeting it on the point estimate, tonnes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_estimate_answer_t: Option<f64>,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub started: String,
    pub finished: String,
    /// Every other file of the set with its size and SHA-256 (the output set fills it in).
    #[serde(default)]
    pub files: Vec<FileEntry>,
}

/// `--until-mcse`: the stop rule, and for a run what it reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UntilMcse {
    pub relative_mcse: f64,
    pub metrics: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achieved: Option<Vec<Achieved>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

/// A watched metric's relative Monte Carlo standard error when the batch stopped (null when
/// undefined).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Achieved {
    pub metric: String,
    pub relative_mcse: Option<f64>,
}

/// A pair of correlated inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    pub params: [String; 2],
    pub target_rank_correlation: f64,
    /// Null when undefined.
    pub achieved_rank_correlation: Option<f64>,
}

/// A shard's part: shard `index` of `count`, runs `runs[0]..runs[1]` of the batch; a tool's
/// shard runs every run of each of its grid points `points[0]..points[1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShardPart {
    pub index: u64,
    pub count: u64,
    pub runs: [u64; 2],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<[u64; 2]>,
}

/// One axis of a sweep's grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisEntry {
    pub path: String,
    pub values: Vec<String>,
}

/// One batch of a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchEntry {
    pub batch: String,
    pub runs: u64,
    pub achieved: Vec<Achieved>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Achieved relative MCSEs as the manifest records them.
pub fn achieved(a: &[(String, f64)]) -> Vec<Achieved> {
    a.iter()
        .map(|(m, e)| Achieved {
            metric: m.clone(),
            relative_mcse: finite(*e),
        })
        .collect()
}

impl BatchEntry {
    pub fn new(label: impl Into<String>, runs: u64, achieved_mcse: &[(String, f64)]) -> Self {
        BatchEntry {
            batch: label.into(),
            runs,
            achieved: achieved(achieved_mcse),
        }
    }
}

impl Manifest {
    /// The fields every command has, for `command` run with `settings` since `started`
    /// (`finished` is now).
    pub fn new(command: &str, settings: &Settings, started: SystemTime) -> Manifest {
        Manifest {
            schema_version: SCHEMA_VERSION,
            program: "reesim".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            scenario_file: None,
            scenario_files: None,
            scenario: None,
            parameters: None,
            seed: settings.seed,
            runs: None,
            runs_requested: settings.runs,
            sampling: settings.sampling.name().into(),
            until_mcse: settings.until.as_ref().map(|u| UntilMcse {
                relative_mcse: u.rel,
                metrics: u.metrics.clone(),
                achieved: None,
                met: None,
            }),
            correlations: None,
            threads: settings.threads,
            batch_size: None,
            shard: None,
            merged_from: None,
            axes: None,
            sizes_t: None,
            batches: None,
            dropped_scopes: None,
            unpaired_stockpiles: None,
            stockpile: None,
            target: None,
            rule: None,
            answer_t: None,
            point_estimate_answer_t: None,
            started: rfc3339(started),
            finished: rfc3339(SystemTime::now()),
            files: Vec::new(),
        }
    }

    /// The manifest of a run, shard (`command` "run") or merge ("merge").
    pub fn of_run(command: &str, ctx: &Context) -> Manifest {
        let s = ctx.settings;
        let r = ctx.results;
        let mut m = Manifest::new(command, s, r.started);
        m.finished = rfc3339(r.finished);
        m.scenario_file = Some(ctx.loaded.path.display().to_string());
        m.scenario = Some(serde_json::to_value(&ctx.loaded.file).unwrap_or_default());
        m.parameters = Some(
            ctx.loaded
                .scenario
                .params
                .defs
                .iter()
                .map(|d| {
                    (
                        d.key.clone(),
                        serde_json::to_value(&d.value).unwrap_or_default(),
                    )
                })
                .collect(),
        );
        m.runs = Some(r.runs);
        if let (Some(u), Some(until)) = (&mut m.until_mcse, &s.until) {
            u.achieved = Some(achieved(&r.achieved));
            u.met = Some(r.achieved.iter().all(|(_, e)| *e <= until.rel));
        }
        m.correlations = Some(
            r.correlations
                .iter()
                .map(|c| Correlation {
                    params: c.params.clone(),
                    target_rank_correlation: c.target,
                    achieved_rank_correlation: finite(c.achieved),
                })
                .collect(),
        );
        m.batch_size = Some(crate::sim::runner::BATCH);
        m.shard = s.shard.map(|sh| {
            let runs = sh.runs(s.runs);
            ShardPart {
                index: sh.index,
                count: sh.count,
                runs: [runs.start, runs.end],
                points: None,
            }
        });
        m.merged_from = (!r.shards.is_empty()).then(|| r.shards.clone());
        m
    }
}
/// UTC timestamp `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_manifest_reads_back_as_written_and_leaves_out_what_does_not_apply() {
        let settings = crate::sim::runner::Settings {
            runs: 10,
            seed: 7,
            threads: 2,
            sampling: crate::sim::runner::Sampling::Lhs,
            until: None,
            block: None,
            shard: None,
        };
        let mut m = Manifest::new("sweep", &settings, UNIX_EPOCH);
        m.batches = Some(vec![BatchEntry::new(
            "0",
            10,
            &[("unmet_demand_t".into(), f64::NAN)],
        )]);
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.contains("\"schema_version\":1"), "{text}");
        assert!(text.contains("\"relative_mcse\":null"), "{text}");
        for absent in [
            "scenario_file",
            "shard",
            "until_mcse",
            "answer_t",
            "merged_from",
        ] {
            assert!(
                !text.contains(&format!("\"{absent}\"")),
                "{absent} in {text}"
            );
        }
        let back: Manifest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.started, "1970-01-01T00:00:00Z");
    }

    #[test]
    fn timestamps_by_hand() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2000-03-01T12:34:56Z = 951914096
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_914_096)),
            "2000-03-01T12:34:56Z"
        );
    }
}
