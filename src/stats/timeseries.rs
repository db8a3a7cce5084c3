//! Monthly time series: the catalog of series x region x item, each run's values, and the
//! quantile sketches that summarise them across runs in memory independent of the number of
//! runs.

use sketches_ddsketch::{Config, DDSketch};

use crate::model::record::MonthRecord;
use crate::model::record::RunOutput;
use crate::model::{Commodity, Scenario};

/// Relative accuracy of time-series quantiles (0.5%): a reported quantile q~ of a true value q
/// satisfies |q~ - q| <= 0.005 q, and is clamped to the observed min and max.
pub const RELATIVE_ACCURACY: f64 = 0.005;
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
                push("production", r, item.to_string(), What::Production(i));
            }
        }
        for (series, f) in [
            ("exports", What::Exports as fn(Commodity) -> What),
            ("imports", What::Imports),
        ] {
            for r in 0..sc.regions.len() {
                for c in Commodity::ALL {
                    push(series, r, c.name().to_string(), f(c));
                }
            }
        }
        for (series, f) in [
            ("demand", What::Demand as fn(Option<usize>) -> What),
            ("delivered", What::Delivered),
            ("unmet", What::Unmet),
        ] {
            for (r, reg) in sc.regions.iter().enumerate() {
                let mut secs: Vec<(usize, usize)> = reg
                    .sectors
                    .iter()
                    .enumerate()
                    .map(|(ls, s)| (s.sector, ls))
                    .collect();
                secs.sort_unstable();
                for (g, ls) in secs {
                    push(series, r, sc.sectors[g].clone(), f(Some(ls)));
                }
                push(series, r, "total".to_string(), f(None));
            }
        }
        for r in 0..sc.regions.len() {
            for c in Commodity::ALL {
                push("inventory", r, c.name().to_string(), What::Inventory(c));
            }
        }
        for (i, s) in sc.stockpiles.iter().enumerate() {
            push("stockpile", s.region, s.name.clone(), What::Stockpile(i));
        }
        let n = sc.regions.len();
        for r in 0..n {
            for c in Commodity::ALL {
                push("price", r, c.name().to_string(), What::Price(c));
            }
        }
        for (r, reg) in sc.regions.iter().enumerate() {
            let mut secs: Vec<(usize, usize)> = reg
                .sectors
                .iter()
                .enumerate()
                .map(|(ls, s)| (s.sector, ls))
                .collect();
            secs.sort_unstable();
            for (g, ls) in secs {
                push(
                    "substitution",
                    r,
                    sc.sectors[g].clone(),
                    What::Substitution(ls),
                );
            }
        }
        for r in 0..n {
            push(
                "recycling",
                r,
                "light_oxide".to_string(),
                What::Recycling(0),
            );
            push(
                "recycling",
                r,
                "heavy_oxide".to_string(),
                What::Recycling(1),
            );
        }
        let licensing = sc
            .controls
            .iter()
            .any(|c| matches!(c.kind, crate::model::ControlKind::Licensing { .. }));
        for o in 0..n {
            for d in (0..n).filter(|&d| d != o) {
                for c in Commodity::ALL {
                    push("exports_to", o, c.name().to_string(), What::Route(d, c));
                }
            }
        }
        if licensing {
            for o in 0..n {
                for d in (0..n).filter(|&d| d != o) {
                    for c in Commodity::ALL {
                        push("licensed", o, c.name().to_string(), What::Licensed(d, c));
                    }
                }
            }
            for r in 0..n {
                for c in Commodity::ALL {
                    push("in_transit", r, c.name().to_string(), What::Transit(c));
                }
            }
        }
        Catalog { cells }
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

/// `f(ls)` of one local sector, or summed over the region's `sectors` (`ls` None).
fn sector_sum(ls: Option<usize>, sectors: usize, f: impl Fn(usize) -> f64) -> f64 {
    match ls {
        Some(ls) => f(ls),
        None => (0..sectors).map(f).sum(),
    }
}

/// Quantile sketches for every month x cell.
#[derive(Clone)]
pub struct Sketches {
    pub months: usize,
    pub cells: usize,
    sketches: Vec<DDSketch>,
}

fn config() -> Config {
    Config::new(RELATIVE_ACCURACY, 4096, ZERO)
}

impl Sketches {
    pub fn new(months: usize, cells: usize) -> Self {
        Sketches {
            months,
            cells,
            sketches: vec![DDSketch::new(config()); months * cells],
        }
    }

    /// Adds one run.
    pub fn add_run(&mut self, catalog: &Catalog, out: &RunOutput, buf: &mut Vec<f64>) {
        for (t, rec) in out.records.iter().enumerate() {
            buf.clear();
            catalog.values(rec, buf);
            for (c, v) in buf.iter().enumerate() {
                self.sketches[t * self.cells + c].add(*v);
            }
        }
    }

    /// Merges another accumulator into this one. Bin counts merge exactly; the running sums
    /// are floating point, so callers merge in a fixed order for bit-identical means.
    pub fn merge(&mut self, other: &Sketches) {
        for (a, b) in self.sketches.iter_mut().zip(&other.sketches) {
            a.merge(b).expect("all sketches share one configuration");
        }
    }

    /// Mean and quantiles (clamped to the observed range) of one month x cell.
    pub fn stats(&self, month: usize, cell: usize) -> (f64, [f64; 5]) {
        let s = &self.sketches[month * self.cells + cell];
        let n = s.count().max(1) as f64;
        let (lo, hi) = (s.min().unwrap_or(0.0), s.max().unwrap_or(0.0));
        let q = super::QUANTILES
            .map(|(_, q)| s.quantile(q).ok().flatten().unwrap_or(0.0).clamp(lo, hi));
        (s.sum().unwrap_or(0.0) / n, q)
    }
}
