//! timeseries.csv: tidy long format, one row per month x series x region x item.

use std::io::{self, Write};

use super::{Context, Export, num};

pub struct TimeseriesCsv<'a>(pub Context<'a>);

pub const COLUMNS: [&str; 13] = [
    "month",
    "date",
    "series",
    "region",
    "item",
    "destination",
    "unit",
    "mean",
    "p5",
    "p25",
    "p50",
    "p75",
    "p95",
];

impl Export for TimeseriesCsv<'_> {
    fn file_name(&self) -> &'static str {
        "timeseries.csv"
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let ctx = &self.0;
        let sc = &ctx.loaded.scenario;
        let r = ctx.results;
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(COLUMNS)?;
        for t in 0..sc.horizon {
            let date = sc.start.plus(t).to_string();
            for (c, cell) in r.catalog.cells.iter().enumerate() {
                let (mean, q) = r.sketches.stats(t, c);
                let mut row = vec![
                    t.to_string(),
                    date.clone(),
                    cell.series.to_string(),
                    cell.region.clone(),
                    cell.item.clone(),
                    cell.destination.clone(),
                    crate::stats::registry::series(cell.series)
                        .map_or("", |x| x.unit)
                        .to_string(),
                ];
                row.push(num(mean));
                row.extend(q.map(num));
                csv.write_record(&row)?;
            }
        }
        csv.flush()
    }
}
