//! Monthly time series: the catalog of series x region x item, each run's values, and the
//! histograms that summarise them across runs in memory independent of the number of runs.

use crate::model::record::MonthRecord;
use crate::model::record::{RunOutput, Table};
use crate::model::{Commodity, N_COMMODITIES, Scenario};
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
}

/// Every series cell of a scenario, in output order.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub cells: Vec<Cell>,
    layout: Layout,
}

/// What fixes the catalog's cells and their order: `Layout::walk` visits them, so that the
/// cells' names (`Catalog::new`) and each month's values (`Catalog::values`) come from one
/// traversal and cannot disagree on the order.
#[derive(Debug, Clone)]
struct Layout {
    regions: usize,
    /// `[region]` local sectors in the scenario's sector order.
    sectors: Vec<Vec<usize>>,
    /// `[region][local sector]` the sector's place among its region's `sectors`: the month's
    /// values walk the record's sectors in local order and put each in its place.
    slots: Vec<Vec<usize>>,
    /// `[stockpile]` region holding it.
    stockpiles: Vec<usize>,
    /// Whether a licensing control is in play (route series `licensed` and `in_transit`).
    licensing: bool,
}

impl Layout {
    fn new(sc: &Scenario) -> Self {
        let sectors: Vec<Vec<usize>> = (sc.regions.iter())
            .map(|reg| {
                let mut secs: Vec<(usize, usize)> = (reg.sectors.iter().enumerate())
                    .map(|(ls, s)| (s.sector, ls))
                    .collect();
                secs.sort_unstable();
                secs.into_iter().map(|(_, ls)| ls).collect()
            })
            .collect();
        let slots = (sectors.iter())
            .map(|secs| {
                let mut slots = vec![0; secs.len()];
                for (slot, &ls) in secs.iter().enumerate() {
                    slots[ls] = slot;
                }
                slots
            })
            .collect();
        Layout {
            regions: sc.regions.len(),
            sectors,
            slots,
            stockpiles: sc.stockpiles.iter().map(|s| s.region).collect(),
            licensing: sc
                .controls
                .iter()
                .any(|c| matches!(c.kind, crate::model::ControlKind::Licensing { .. })),
        }
    }

    /// Calls `cells.cell(series, region, what)` for every cell in output order.
    fn walk(&self, cells: &mut impl Visit) {
        let n = self.regions;
        for r in 0..n {
            cells.cell(reg::PRODUCTION.name, r, What::Production(0));
            cells.cell(reg::PRODUCTION.name, r, What::Production(1));
            cells.cell(reg::PRODUCTION.name, r, What::Production(2));
            cells.cell(reg::PRODUCTION.name, r, What::Production(3));
            cells.cell(reg::PRODUCTION.name, r, What::Production(4));
        }
        for r in 0..n {
            for c in Commodity::ALL {
                cells.cell(reg::EXPORTS.name, r, What::Exports(c));
            }
        }
        for r in 0..n {
            for c in Commodity::ALL {
                cells.cell(reg::IMPORTS.name, r, What::Imports(c));
            }
        }
        for (series, f) in [
            (reg::DEMAND.name, What::Demand as fn(Option<usize>) -> What),
            (reg::DELIVERED.name, What::Delivered),
            (reg::UNMET.name, What::Unmet),
        ] {
            for (r, secs) in self.sectors.iter().enumerate() {
                for &ls in secs {
                    cells.cell(series, r, f(Some(ls)));
                }
                cells.cell(series, r, f(None));
            }
        }
        for r in 0..n {
            for c in Commodity::ALL {
                cells.cell(reg::INVENTORY.name, r, What::Inventory(c));
            }
        }
        for (i, &r) in self.stockpiles.iter().enumerate() {
            cells.cell(reg::STOCKPILE.name, r, What::Stockpile(i));
        }
        for r in 0..n {
            for c in Commodity::ALL {
                cells.cell(reg::PRICE.name, r, What::Price(c));
            }
        }
        for (r, secs) in self.sectors.iter().enumerate() {
            for &ls in secs {
                cells.cell(reg::SUBSTITUTION.name, r, What::Substitution(ls));
            }
        }
        for r in 0..n {
            cells.cell(reg::RECYCLING.name, r, What::Recycling(0));
            cells.cell(reg::RECYCLING.name, r, What::Recycling(1));
        }
        let routes: &[(&str, RouteCell)] = if self.licensing {
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
                        cells.cell(series, o, f(d, c));
                    }
                }
            }
        }
        if self.licensing {
            for r in 0..n {
                for c in Commodity::ALL {
                    cells.cell(reg::IN_TRANSIT.name, r, What::Transit(c));
                }
            }
        }
    }
}

impl Catalog {
    pub fn new(sc: &Scenario) -> Self {
        let layout = Layout::new(sc);
        let mut cells = Vec::new();
        let sector = |r: usize, ls: usize| sc.sectors[sc.regions[r].sectors[ls].sector].clone();
        layout.walk(&mut |series, r, what: What| {
            let item = match what {
                What::Production(i) => PRODUCTION_ITEMS[i].to_string(),
                What::Exports(c)
                | What::Imports(c)
                | What::Inventory(c)
                | What::Route(_, c)
                | What::Licensed(_, c)
                | What::Transit(c)
                | What::Price(c) => c.name().to_string(),
                What::Demand(ls) | What::Delivered(ls) | What::Unmet(ls) => {
                    ls.map_or("total".to_string(), |ls| sector(r, ls))
                }
                What::Stockpile(i) => sc.stockpiles[i].name.clone(),
                What::Substitution(ls) => sector(r, ls),
                What::Recycling(e) => ["light_oxide", "heavy_oxide"][e].to_string(),
            };
            let destination = match what {
                What::Route(d, _) | What::Licensed(d, _) => sc.regions[d].name.clone(),
                _ => String::new(),
            };
            cells.push(Cell {
                series,
                region: sc.regions[r].name.clone(),
                item,
                destination,
            })
        });
        Catalog { cells, layout }
    }

    /// Appends every month's values of a run to `buf`, month after month, with the residue
    /// below `ZERO` still in (`Sketches::add_runs` counts it as 0).
    pub fn run_values(&self, out: &RunOutput, buf: &mut Vec<f64>) {
        let start = buf.len();
        buf.resize(start + out.records.len() * self.cells.len(), 0.0);
        self.run_values_into(out, &mut buf[start..]);
    }

    /// Every month's values of a run into `slots` (months x cells, month after month), as
    /// `run_values`.
    pub fn run_values_into(&self, out: &RunOutput, slots: &mut [f64]) {
        let cells = self.cells.len();
        assert_eq!(
            slots.len(),
            out.records.len() * cells,
            "one slot per month x cell"
        );
        for (rec, month) in out.records.iter().zip(slots.chunks_exact_mut(cells)) {
            self.month_values(rec, month);
        }
    }

    /// Values of every cell in one month of a run, appended to `out`, the residue below `ZERO`
    /// set to 0.
    pub fn values(&self, rec: &MonthRecord, out: &mut Vec<f64>) {
        let start = out.len();
        out.resize(start + self.cells.len(), 0.0);
        self.month_values(rec, &mut out[start..]);
        for v in &mut out[start..] {
            *v = if v.abs() < ZERO { 0.0 } else { *v };
        }
    }

    /// `values`, read cell by cell from each cell's definition: slow, for checking `values`.
    pub fn values_by_cell(&self, rec: &MonthRecord) -> Vec<f64> {
        let mut out = vec![f64::NAN; self.cells.len()];
        self.layout.walk(&mut Values {
            rec,
            stocks: rec.stocks_end.as_ref().expect("month recorded"),
            out: out.iter_mut(),
        });
        out
    }

    /// Values of every cell in one month of a run, into `out` (one slot per cell).
    ///
    /// Series by series in `Layout::walk`'s order, each record row read once per region; the
    /// per-cell definition is `values_by_cell`, which a test checks this against. Each series
    /// takes its slots at once (`take`, `rows`: no test per cell for the end of `out`). The
    /// residue below `ZERO` is left in: the histograms count it as 0 as they take each value
    /// (`Histogram::add_all_flushed`), which spares a pass over the values. Plain loops, not
    /// `[T; N]::map`, which was left out of line (a call per row).
    fn month_values(&self, rec: &MonthRecord, out: &mut [f64]) {
        assert_eq!(out.len(), self.cells.len(), "one slot per cell");
        let stocks = rec.stocks_end.as_ref().expect("month recorded");
        let layout = &self.layout;
        let n = layout.regions;
        let mut rest = &mut *out;
        for (r, row) in rows(&mut rest, n).iter_mut().enumerate() {
            let (sep, mag) = (rec.sep_out[r], rec.magnet_out[r]);
            *row = [rec.mine_out[r].iter().sum(), sep[0], sep[1], mag[0], mag[1]];
        }
        // `MonthRecord::exports` and `imports`, summed over the same route rows in the same
        // order, each commodity's row of the table looked up once.
        let flows = commodity_rows(&rec.flows);
        for (r, row) in rows::<N_COMMODITIES>(&mut rest, n).iter_mut().enumerate() {
            for (slot, f) in row.iter_mut().zip(flows) {
                *slot = f[r * n..(r + 1) * n].iter().sum();
            }
        }
        let arrivals = commodity_rows(&rec.arrivals);
        for (r, row) in rows::<N_COMMODITIES>(&mut rest, n).iter_mut().enumerate() {
            for (slot, a) in row.iter_mut().zip(arrivals) {
                *slot = (0..n).map(|o| a[o * n + r]).sum();
            }
        }
        for table in [&rec.demand, &rec.delivered, &rec.unmet] {
            for (grades, slots) in table.iter().zip(&layout.slots) {
                let (total, each) = take(&mut rest, slots.len() + 1)
                    .split_last_mut()
                    .expect("a total slot");
                *total = sector_totals(grades, slots, each);
            }
        }
        rows(&mut rest, n).copy_from_slice(&stocks.held);
        take(&mut rest, rec.stockpile_end.len()).copy_from_slice(&rec.stockpile_end);
        rows(&mut rest, n).copy_from_slice(&rec.prices);
        for (shares, slots) in rec.substituted.iter().zip(&layout.slots) {
            let each = take(&mut rest, slots.len());
            for (&share, &slot) in shares.iter().zip(slots) {
                each[slot] = share;
            }
        }
        rows(&mut rest, n).copy_from_slice(&rec.recycled);
        let routes: &[&Table] = if layout.licensing {
            &[&rec.flows, &rec.licensed]
        } else {
            &[&rec.flows]
        };
        for table in routes {
            let cols = commodity_rows(table);
            let mut route = rows::<N_COMMODITIES>(&mut rest, n * n - n).iter_mut();
            for o in 0..n {
                for d in (0..n).filter(|&d| d != o) {
                    let row = route.next().expect("one row per route");
                    for (slot, col) in row.iter_mut().zip(cols) {
                        *slot = col[o * n + d];
                    }
                }
            }
        }
        if layout.licensing {
            rows(&mut rest, n).copy_from_slice(&stocks.inbound);
        }
        assert!(rest.is_empty(), "every cell written");
    }
}

/// Each commodity's row of a `[commodity][o * n + d]` table.
fn commodity_rows(table: &Table) -> [&[f64]; N_COMMODITIES] {
    std::array::from_fn(|c| &table[c])
}

/// Writes each local sector's demand (both grades) of a region into its slot of `each`
/// (`slots[ls]`, the sector's place in output order) and returns their sum in local sector
/// order, as `Iterator::sum` adds them.
fn sector_totals(grades: &[[f64; 2]], slots: &[usize], each: &mut [f64]) -> f64 {
    debug_assert_eq!(grades.len(), slots.len(), "a slot per local sector");
    let mut total: f64 = std::iter::empty::<f64>().sum();
    for (g, &slot) in grades.iter().zip(slots) {
        let v = g[0] + g[1];
        each[slot] = v;
        total += v;
    }
    total
}

/// The next `len` slots of `rest`.
fn take<'a>(rest: &mut &'a mut [f64], len: usize) -> &'a mut [f64] {
    let (head, tail) = std::mem::take(rest).split_at_mut(len);
    *rest = tail;
    head
}

/// The next `rows` x `N` slots of `rest`, row by row.
fn rows<'a, const N: usize>(rest: &mut &'a mut [f64], rows: usize) -> &'a mut [[f64; N]] {
    take(rest, rows * N).as_chunks_mut().0
}

/// What `Layout::walk` calls for each cell.
trait Visit {
    fn cell(&mut self, series: &'static str, region: usize, what: What);
}

/// Naming cells (`Catalog::new`).
impl<F: FnMut(&'static str, usize, What)> Visit for F {
    fn cell(&mut self, series: &'static str, region: usize, what: What) {
        self(series, region, what)
    }
}

/// Reading a month's values cell by cell through `value`: the definition that
/// `Catalog::month_values` is checked against (`Catalog::values_by_cell`).
struct Values<'a> {
    rec: &'a MonthRecord,
    stocks: &'a crate::model::state::StockTotals,
    out: std::slice::IterMut<'a, f64>,
}

impl Visit for Values<'_> {
    fn cell(&mut self, _: &'static str, r: usize, what: What) {
        let v = value(self.rec, self.stocks, r, what);
        *self.out.next().expect("one slot per cell") = if v.abs() < ZERO { 0.0 } else { v };
    }
}

/// The value of cell `what` of region `r` in the month of `rec` (whose end stocks are
/// `stocks`).
fn value(
    rec: &MonthRecord,
    stocks: &crate::model::state::StockTotals,
    r: usize,
    what: What,
) -> f64 {
    let n = rec.mine_out.len();
    let k = rec.demand[r].len();
    match what {
        What::Production(0) => rec.mine_out[r].iter().sum(),
        What::Production(1) => rec.sep_out[r][0],
        What::Production(2) => rec.sep_out[r][1],
        What::Production(i) => rec.magnet_out[r][i - 3],
        What::Exports(com) => rec.exports(r, com),
        What::Imports(com) => rec.imports(r, com),
        What::Demand(ls) => sector_sum(ls, k, |s| rec.demand[r][s][0] + rec.demand[r][s][1]),
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
    }
}

/// The cell of one route (destination) and commodity.
type RouteCell = fn(usize, Commodity) -> What;

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
    /// In blocks of neighbouring histograms, one cache line of each run's values: the block's
    /// lines of up to `RUNS` runs are first copied together (each line of `values` read once;
    /// read in place, the lines of one block, a whole run apart, would compete for the same
    /// few cache sets), then each histogram takes its own values in one go, a magnitude below
    /// `ZERO` as 0 (`Histogram::add_all_flushed`). Each histogram still takes its values in run order, and
    /// histograms are order-free anyway: the bits are those of adding the runs one by one.
    pub fn add_runs(&mut self, values: &[f64]) {
        /// Histograms per block: one cache line of `values` per run.
        const BLOCK: usize = 8;
        /// Runs gathered at a time (16 KB of values per block).
        const RUNS: usize = 256;
        let per_run = self.months * self.cells;
        if per_run == 0 {
            return;
        }
        debug_assert_eq!(values.len() % per_run, 0, "whole runs");
        let mut lines = [[0.0; BLOCK]; RUNS];
        for chunk in values.chunks(per_run * RUNS) {
            let runs = chunk.len() / per_run;
            for (b, block) in self.histograms.chunks_mut(BLOCK).enumerate() {
                let cells = b * BLOCK..b * BLOCK + block.len();
                for (line, run) in lines.iter_mut().zip(chunk.chunks_exact(per_run)) {
                    let part = &run[cells.clone()];
                    match part.try_into() {
                        Ok(whole) => *line = whole,
                        Err(_) => line[..part.len()].copy_from_slice(part),
                    }
                }
                for (j, hist) in block.iter_mut().enumerate() {
                    hist.add_all_flushed(lines[..runs].iter().map(move |line| line[j]), ZERO);
                }
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
        (h.mean(), h.quantiles(super::QUANTILES.map(|(_, q)| q)))
    }
}
