//! Monthly time series: the catalog of series x region x item, each run's values, and the
//! histograms that summarise them across runs in memory independent of the number of runs.

use crate::model::record::MonthRecord;
use crate::model::record::RunOutput;
use crate::model::{Commodity, Scenario};
use crate::stats::histogram::Histogram;
use crate::stats::registry as reg;

/// Values below this magnitude (t) are treated as zero (floating-point residue).
const ZERO: f64 = 1e-9;

const PRODUCTION_ITEMS: [&str; 5] = [
    "mine",
    "light_oxide",
    "heavy_oxide",
    "magnet_standard",
    "magnet_high_temp",
];

#[derive(Debug, Clone, Copy)]
enum What {
    Production(usize),
    Exports(Commodity),
    Imports(Commodity),
    Demand(Option<usize>),
    Delivered(Option<usize>),
    Unmet(Option<usize>),
    Inventory(Commodity),
    Stockpile(usize),
    /// Shipments on one route (origin = the cell's region).
    Route(usize, Commodity),
    /// Shipments under licence on one route.
    Licensed(usize, Commodity),
    /// Tonnes in transit to the region at month end.
    Transit(Commodity),
    /// Price index in force during the month.
    Price(Commodity),
    /// Share of a sector's demand substituted away.
    Substitution(usize),
    /// Oxide recovered from recycled magnets (0 = NdPr, 1 = Dy/Tb).
    Recycling(usize),
}

#[derive(Debug, Clone)]
pub struct Cell {
    pub series: &'static str,
    pub region: String,
    pub item: String,
    /// Destination region of route series (`exports_to`, `licensed`), else empty.
    pub destination: String,
    region_index: usize,
    what: What,
}

/// Every series cell of a scenario, in output order.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub cells: Vec<Cell>,
}

impl Catalog {
    pub fn new(sc: &Scenario) -> Self {
        let mut cells = Vec::new();
        let mut push = |series, r: usize, item: String, what| {
            let destination = match what {
                What::Route(d, _) | What::Licensed(d, _) => sc.regions[d].name.clone(),
                _ => String::new(),
            };
            cells.push(Cell {
                series,
                region: sc.regions[r].name.clone(),
                item,
                destination,
                region_index: r,
                what,
            })
        };
        for r in 0..sc.regions.len() {
            for (i, item) in PRODUCTION_ITEMS.iter().enumerate() {
                push(
                    reg::PRODUCTION.name,
                    r,
                    item.to_string(),
                    What::Production(i),
                );
            }
        }
        for (series, f) in [
            (reg::EXPORTS.name, What::Exports as fn(Commodity) -> What),
            (reg::IMPORTS.name, What::Imports),
        ] {
            for r in 0..sc.regions.len() {
                for c in Commodity::ALL {
                    push(series, r, c.name().to_string(), f(c));
                }
            }
        }
        for (series, f) in [
            (reg::DEMAND.name, What::Demand as fn(Option<usize>) -> What),
            (reg::DELIVERED.name, What::Delivered),
            (reg::UNMET.name, What::Unmet),
        ] {
            for (r, reg) in sc.regions.iter().enumerate() {
                for (g, ls) in sectors_by_name_order(reg) {
                    push(series, r, sc.sectors[g].clone(), f(Some(ls)));
                }
                push(series, r, "total".to_string(), f(None));
            }
        }
        for r in 0..sc.regions.len() {
            for c in Commodity::ALL {
                push(
                    reg::INVENTORY.name,
                    r,
                    c.name().to_string(),
                    What::Inventory(c),
                );
            }
        }
        for (i, s) in sc.stockpiles.iter().enumerate() {
            push(
                reg::STOCKPILE.name,
                s.region,
                s.name.clone(),
                What::Stockpile(i),
            );
        }
        let n = sc.regions.len();
        for r in 0..n {
            for c in Commodity::ALL {
                push(reg::PRICE.name, r, c.name().to_string(), What::Price(c));
            }
        }
        for (r, reg) in sc.regions.iter().enumerate() {
            for (g, ls) in sectors_by_name_order(reg) {
                push(
                    reg::SUBSTITUTION.name,
                    r,
                    sc.sectors[g].clone(),
                    What::Substitution(ls),
                );
            }
        }
        for r in 0..n {
            push(
                reg::RECYCLING.name,
                r,
                "light_oxide".to_string(),
                What::Recycling(0),
            );
            push(
                reg::RECYCLING.name,
                r,
                "heavy_oxide".to_string(),
                What::Recycling(1),
            );
        }
        let licensing = sc
            .controls
            .iter()
            .any(|c| matches!(c.kind, crate::model::ControlKind::Licensing { .. }));
        let routes: &[(&str, RouteCell)] = if licensing {
            &[
                (reg::EXPORTS_TO.name, What::Route),
                (reg::LICENSED.name, What::Licensed),
            ]
        } else {
            &[(reg::EXPORTS_TO.name, What::Route)]
        };
        for &(series, f) in routes {
            for o in 0..n {
                for d in (0..n).filter(|&d| d != o) {
                    for c in Commodity::ALL {
                        push(series, o, c.name().to_string(), f(d, c));
                    }
                }
            }
        }
        if licensing {
            for r in 0..n {
                for c in Commodity::ALL {
                    push(
                        reg::IN_TRANSIT.name,
                        r,
                        c.name().to_string(),
                        What::Transit(c),
                    );
                }
            }
        }
        Catalog { cells }
    }

    /// Appends every month's `values` of a run to `out`, month after month.
    pub fn run_values(&self, out: &RunOutput, buf: &mut Vec<f64>) {
        for rec in &out.records {
            self.values(rec, buf);
        }
    }

    /// Values of every cell in one month of a run, appended to `out`.
    pub fn values(&self, rec: &MonthRecord, out: &mut Vec<f64>) {
        let stocks = rec.stocks_end.as_ref().expect("month recorded");
        let n = rec.mine_out.len();
        for c in &self.cells {
            let r = c.region_index;
            let k = rec.demand[r].len();
            let v = match c.what {
                What::Production(0) => rec.mine_out[r].iter().sum(),
                What::Production(1) => rec.sep_out[r][0],
                What::Production(2) => rec.sep_out[r][1],
                What::Production(i) => rec.magnet_out[r][i - 3],
                What::Exports(com) => rec.exports(r, com),
                What::Imports(com) => rec.imports(r, com),
                What::Demand(ls) => {
                    sector_sum(ls, k, |s| rec.demand[r][s][0] + rec.demand[r][s][1])
                }
                What::Delivered(ls) => {
                    sector_sum(ls, k, |s| rec.delivered[r][s][0] + rec.delivered[r][s][1])
                }
                What::Unmet(ls) => sector_sum(ls, k, |s| rec.unmet[r][s][0] + rec.unmet[r][s][1]),
                What::Inventory(com) => stocks.get(r, com),
                What::Stockpile(i) => rec.stockpile_end[i],
                What::Route(d, com) => rec.flows[com as usize][r * n + d],
                What::Licensed(d, com) => rec.licensed[com as usize][r * n + d],
                What::Transit(com) => stocks.inbound(com, r),
                What::Price(com) => rec.prices[r][com as usize],
                What::Substitution(ls) => rec.substituted[r][ls],
                What::Recycling(e) => rec.recycled[r][e],
            };
            out.push(if v.abs() < ZERO { 0.0 } else { v });
        }
    }
}

/// The cell of one route (destination) and commodity.
type RouteCell = fn(usize, Commodity) -> What;

/// A region's (global sector, local sector) pairs in the scenario's sector order.
fn sectors_by_name_order(region: &crate::model::Region) -> Vec<(usize, usize)> {
    let mut secs: Vec<(usize, usize)> = region
        .sectors
        .iter()
        .enumerate()
        .map(|(ls, s)| (s.sector, ls))
        .collect();
    secs.sort_unstable();
    secs
}

/// `f(ls)` of one local sector, or summed over the region's `sectors` (`ls` None).
fn sector_sum(ls: Option<usize>, sectors: usize, f: impl Fn(usize) -> f64) -> f64 {
    match ls {
        Some(ls) => f(ls),
        None => (0..sectors).map(f).sum(),
    }
}

/// A histogram (stats::histogram) for every month x cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Sketches {
    pub months: usize,
    pub cells: usize,
    histograms: Vec<Histogram>,
}

impl Sketches {
    pub fn new(months: usize, cells: usize) -> Self {
        Sketches {
            months,
            cells,
            histograms: vec![Histogram::default(); months * cells],
        }
    }

    /// Adds one run.
    pub fn add_run(&mut self, catalog: &Catalog, out: &RunOutput, buf: &mut Vec<f64>) {
        buf.clear();
        catalog.run_values(out, buf);
        self.add_runs(buf);
    }

    /// Adds the runs whose values `Catalog::run_values` stacked in `values`, run after run.
    /// Histogram by histogram, so that each takes all the runs' values while its buckets are
    /// in cache (run by run, every value would land in a different cache line). Histograms
    /// are order-free, so this gives the same bits as adding the runs one by one.
    pub fn add_runs(&mut self, values: &[f64]) {
        let per_run = self.months * self.cells;
        if per_run == 0 {
            return;
        }
        debug_assert_eq!(values.len() % per_run, 0, "whole runs");
        let runs = values.len() / per_run;
        for (h, hist) in self.histograms.iter_mut().enumerate() {
            for i in 0..runs {
                hist.add(values[i * per_run + h]);
            }
        }
    }

    /// Adds every run of `other`. Exact and order-free: any split of the runs merged in any
    /// order gives the same bits.
    pub fn merge(&mut self, other: &Sketches) {
        for (a, b) in self.histograms.iter_mut().zip(&other.histograms) {
            a.merge(b);
        }
    }

    /// Writes every histogram (months and cells first) for `read_from`.
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        w.write_all(&(self.months as u64).to_le_bytes())?;
        w.write_all(&(self.cells as u64).to_le_bytes())?;
        self.histograms.iter().try_for_each(|h| h.write_to(w))
    }

    /// Reads histograms written by `write_to` for `months` x `cells`.
    pub fn read_from(
        r: &mut dyn std::io::Read,
        months: usize,
        cells: usize,
    ) -> std::io::Result<Sketches> {
        let mut b = [0; 16];
        r.read_exact(&mut b)?;
        let shape = [&b[..8], &b[8..]].map(|x| u64::from_le_bytes(x.try_into().expect("8")));
        if shape != [months as u64, cells as u64] {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "histograms are for {} months x {} cells, the scenario has {months} x {cells}",
                    shape[0], shape[1]
                ),
            ));
        }
        let histograms = (0..months * cells)
            .map(|_| Histogram::read_from(r))
            .collect::<std::io::Result<_>>()?;
        Ok(Sketches {
            months,
            cells,
            histograms,
        })
    }

    /// Mean and quantiles of one month x cell.
    pub fn stats(&self, month: usize, cell: usize) -> (f64, [f64; 5]) {
        let h = &self.histograms[month * self.cells + cell];
        (h.mean(), super::QUANTILES.map(|(_, q)| h.quantile(q)))
    }
}
