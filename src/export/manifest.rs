//! manifest.json: what was run, with what, by which program, and when; the output set adds
//! the list of files with their sizes and checksums (`files`) and writes it last.

use std::time::{SystemTime, UNIX_EPOCH};

use super::Context;

/// The manifest of `reesim run`, without `files`.
pub fn run(ctx: &Context) -> serde_json::Value {
    let s = ctx.settings;
    serde_json::json!({
        "program": "reesim",
        "version": env!("CARGO_PKG_VERSION"),
        "scenario_file": ctx.loaded.path.display().to_string(),
        "scenario": ctx.loaded.file,
        // Every numeric parameter with defaults filled in, keyed by its dotted path.
        "parameters": ctx
            .loaded
            .scenario
            .params
            .defs
            .iter()
            .map(|d| (d.key.clone(), serde_json::to_value(&d.value).unwrap_or_default()))
            .collect::<serde_json::Map<_, _>>(),
        "seed": s.seed,
        "runs": ctx.results.runs,
        "runs_requested": s.runs,
        "sampling": s.sampling.name(),
        "until_mcse": s.until.as_ref().map(|u| serde_json::json!({
            "relative_mcse": u.rel,
            "metrics": u.metrics,
            "achieved": ctx.results.achieved.iter().map(|(m, e)| serde_json::json!({"metric": m, "relative_mcse": if e.is_finite() { serde_json::json!(e) } else { serde_json::Value::Null }})).collect::<Vec<_>>(),
            "met": ctx.results.achieved.iter().all(|(_, e)| *e <= u.rel),
        })),
        "correlations": ctx.results.correlations.iter().map(|c| serde_json::json!({
            "params": c.params,
            "target_rank_correlation": c.target,
            "achieved_rank_correlation": if c.achieved.is_finite() { serde_json::json!(c.achieved) } else { serde_json::Value::Null },
        })).collect::<Vec<_>>(),
        "threads": s.threads,
        "batch_size": crate::sim::runner::BATCH,
        "shard": s.shard.map(|sh| {
            let runs = sh.runs(s.runs);
            serde_json::json!({"index": sh.index, "count": sh.count, "runs": [runs.start, runs.end]})
        }),
        "merged_from": (!ctx.results.shards.is_empty()).then_some(&ctx.results.shards),
        "started": rfc3339(ctx.results.started),
        "finished": rfc3339(ctx.results.finished),
    })
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
    fn timestamps_by_hand() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2000-03-01T12:34:56Z = 951914096
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_914_096)),
            "2000-03-01T12:34:56Z"
        );
    }
}
