//! summary.csv: one row per outcome metric and scope.

use std::io::{self, Write};

use super::{Context, Export, num};
use crate::stats::QUANTILES;
use crate::stats::registry::scope;

pub struct SummaryCsv<'a>(pub Context<'a>);

pub const COLUMNS: [&str; 16] = [
    "metric", "region", "sector", "item", "unit", "n", "mean", "sd", "mcse", "p5", "p25", "p50",
    "p75", "p95", "min", "max",
];

impl Export for SummaryCsv<'_> {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let ctx = &self.0;
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(COLUMNS)?;
        debug_assert_eq!(QUANTILES.len(), 5);
        let summaries = ctx.results.summaries()?;
        for (key, s) in ctx.results.outcomes.keys.iter().zip(summaries) {
            let mut row = vec![
                key.metric.to_string(),
                scope(&key.region).to_string(),
                scope(&key.sector).to_string(),
                key.item.clone(),
                key.unit().to_string(),
            ];
            row.push(s.n.to_string());
            row.extend([s.mean, s.sd, s.mcse].map(num));
            row.extend(s.quantiles.map(num));
            row.extend([s.min, s.max].map(num));
            csv.write_record(&row)?;
        }
        csv.flush()
    }
}
