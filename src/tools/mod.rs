//! Decision tools built on the runner's common random numbers: compare two scenarios, rank
//! inputs by influence (sensitivity), and size a stockpile to a target.

pub mod compare;
pub mod sensitivity;
pub mod size;
pub mod sweep;

use crate::model::Scenario;
use crate::sim::runner::{self, RunError, RunRow, Settings};
use crate::stats::outcomes::Outcomes;

/// Every run's sampled inputs and metrics, in run order.
pub struct Batch {
    pub outcomes: Outcomes,
    pub sampled_keys: Vec<String>,
    pub rows: Vec<RunRow>,
    /// With a stop rule: each watched metric's relative MCSE when the batch stopped.
    pub achieved: Vec<(String, f64)>,
}

impl Batch {
    /// Values of the metric whose runs.csv column is `column`, by run.
    pub fn metric(&self, column: &str) -> Option<Vec<f64>> {
        let i = self
            .outcomes
            .keys
            .iter()
            .position(|k| k.column() == column)?;
        Some(self.rows.iter().map(|r| r.metrics[i]).collect())
    }
}

/// Runs a batch and keeps every run's row; `progress` hears of the runs as they finish.
pub fn run_batch(
    sc: &Scenario,
    settings: &Settings,
    progress: &mut dyn crate::progress::Progress,
) -> Result<Batch, RunError> {
    let mut rows = Vec::new();
    let r = runner::run(
        sc,
        settings.clone(),
        None,
        &mut |b, _| {
            rows.extend_from_slice(b);
            Ok(())
        },
        &mut |n| progress.advance(n),
    )?;
    Ok(Batch {
        outcomes: r.outcomes,
        sampled_keys: r.sampled_keys,
        rows,
        achieved: r.achieved,
    })
}

/// Whether lower values of a metric are better (Some(true)), higher are (Some(false)), or
/// neither is (None).
pub fn lower_is_better(metric: &str) -> Option<bool> {
    use crate::stats::registry::Better;
    match crate::stats::registry::metric(metric)?.better {
        Better::Lower => Some(true),
        Better::Higher => Some(false),
        Better::Neither => None,
    }
}
