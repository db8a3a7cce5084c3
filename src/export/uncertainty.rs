//! uncertainty.csv: where the spread of the headline outcomes comes from, one row per outcome
//! and sampled input (stats::uncertainty gives the estimator and its limits).

use std::io::{self, Write};

use super::{Context, Export, num};
use crate::stats::uncertainty::{Driver, breakdown, headline_outcomes};

pub struct UncertaintyCsv<'a>(pub Context<'a>);

pub const COLUMNS: [&str; 5] = ["outcome", "input", "rank", "first_order_share", "spearman"];

/// The breakdown of the headline outcomes over the finished runs (computed once per results).
pub fn drivers(ctx: &Context) -> io::Result<Vec<Driver>> {
    let r = ctx.results;
    if let Some(d) = r.drivers.get() {
        return Ok(d.clone());
    }
    let regions: Vec<String> = ctx
        .loaded
        .scenario
        .regions
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let mut outcomes = Vec::new();
    for name in headline_outcomes(&regions) {
        if let Some(m) = r.outcomes.keys.iter().position(|k| k.column() == name) {
            outcomes.push((name, r.metric(m)?));
        }
    }
    let d = r.in_pool(|| breakdown(&r.sampled_keys, |i| r.input(i), &outcomes))?;
    Ok(r.drivers.get_or_init(|| d).clone())
}

impl Export for UncertaintyCsv<'_> {
    fn file_name(&self) -> &'static str {
        "uncertainty.csv"
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let ctx = &self.0;
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(COLUMNS)?;
        for d in drivers(ctx)? {
            csv.write_record([
                d.outcome,
                d.input,
                d.rank.to_string(),
                num(d.share),
                num(d.spearman),
            ])?;
        }
        csv.flush()
    }
}
