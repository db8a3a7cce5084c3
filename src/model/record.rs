//! What a month and a run leave behind: flows, stocks and releases per month (`MonthRecord`),
//! the mass-balance check over them (13), and everything a run produced (`RunOutput`).

use crate::model::Commodity;
use crate::model::N_COMMODITIES;
use crate::model::buf::fill;
use crate::model::limits::Course;
use crate::model::param::Values;
use crate::model::state::{ChainParams, StockTotals};

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub values: Values,
    pub courses: Vec<Course>,
    pub records: Vec<MonthRecord>,
    /// Stockpile levels at the start of month 0.
    pub stockpile_initial: Vec<f64>,
    pub params: ChainParams,
    /// `[region][mine, separation, magnet]` capacity (t/yr) new by the horizon's end: pipeline
    /// projects online and price-driven additions.
    pub new_capacity: Vec<[f64; 3]>,
}

/// A dense table of rows of equal length in one allocation, read and written as `t[row][col]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    rows: usize,
    cols: usize,
    v: Vec<f64>,
}

impl Table {
    pub fn zeros(rows: usize, cols: usize) -> Table {
        Table {
            rows,
            cols,
            v: vec![0.0; rows * cols],
        }
    }

    /// Sets the table to `rows` x `cols` copies of `x`, reusing its allocation.
    pub fn fill(&mut self, rows: usize, cols: usize, x: f64) {
        (self.rows, self.cols) = (rows, cols);
        fill(&mut self.v, rows * cols, x);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = &[f64]> {
        (0..self.rows).map(|r| &self[r])
    }
}

impl std::ops::Index<usize> for Table {
    type Output = [f64];
    fn index(&self, row: usize) -> &[f64] {
        // (A row past the end is out of `v` as well, unless rows are empty: checked in debug
        // builds only, as this is on the month's hot path.)
        debug_assert!(row < self.rows, "row {row} of {}", self.rows);
        &self.v[row * self.cols..(row + 1) * self.cols]
    }
}

impl std::ops::IndexMut<usize> for Table {
    fn index_mut(&mut self, row: usize) -> &mut [f64] {
        debug_assert!(row < self.rows, "row {row} of {}", self.rows);
        &mut self.v[row * self.cols..(row + 1) * self.cols]
    }
}

/// Everything that happened in one month, for outputs and for mass-balance checks.
#[derive(Debug, Clone, Default)]
pub struct MonthRecord {
    /// `[region]` mine output content (NdPr, Dy/Tb, other), t REO.
    pub mine_out: Vec<[f64; 3]>,
    /// `[region][ore]` mine output, t REO.
    pub mine_out_by_ore: Vec<[f64; 2]>,
    /// `[region]` concentrate fed to separation, t REO.
    pub feed: Vec<f64>,
    /// `[region][ore]` concentrate of each ore fed to its circuits, t REO.
    pub feed_by_ore: Vec<[f64; 2]>,
    /// `[region][NDPR | DYTB]` separated oxide.
    pub sep_out: Vec<[f64; 2]>,
    /// `[region]` REO fed but not recovered as NdPr or Dy/Tb oxide (other rare earths, losses,
    /// unseparated content), t REO.
    pub residue: Vec<f64>,
    /// `[region][NDPR | DYTB]` oxide consumed by magnet plants.
    pub oxide_used: Vec<[f64; 2]>,
    /// `[region][grade]` magnets made.
    pub magnet_out: Vec<[f64; 2]>,
    /// `[commodity][o * n + d]` shipped this month (exports).
    pub flows: Table,
    /// `[commodity][o * n + d]` arrived this month (imports); differs from `flows` only when
    /// licensing delays shipments.
    pub arrivals: Table,
    /// `[commodity][o * n + d]` shipped under licence (approved) this month.
    pub licensed: Table,
    /// `[commodity][o * n + d]` shipped this month that arrives in a later month.
    pub delayed: Table,
    /// `[region][local sector][grade]`.
    pub demand: Vec<Vec<[f64; 2]>>,
    /// `[region][local sector][grade]`, including stockpile releases.
    pub delivered: Vec<Vec<[f64; 2]>>,
    /// `[region][local sector][grade]` end-use unmet demand: the shortfall at the component
    /// makers, `max(demand - delivered, 0)`, after the component lag.
    pub unmet: Vec<Vec<[f64; 2]>>,
    /// `[stockpile][region served]` released this month.
    pub released: Table,
    /// `[stockpile][region]` bought back from the commercial stock of its region this month.
    pub refilled: Table,
    pub stocks_start: Option<StockTotals>,
    pub stocks_end: Option<StockTotals>,
    /// `[stockpile]` level at the start and end of the month.
    pub stockpile_start: Vec<f64>,
    pub stockpile_end: Vec<f64>,
    /// `[region][NDPR | DYTB]` oxide from recycling added this month.
    pub recycled: Vec<[f64; 2]>,
    /// `[region][commodity]` planned home use, target stock and home capacity (t/month), which
    /// the market uses to measure tightness.
    pub home_use: Vec<[f64; N_COMMODITIES]>,
    pub target: Vec<[f64; N_COMMODITIES]>,
    pub capacity: Vec<[f64; N_COMMODITIES]>,
    /// `[region][commodity]` price index in force this month (set by the runner).
    pub prices: Vec<[f64; N_COMMODITIES]>,
    /// `[region][local sector]` substituted share of demand this month (set by the runner).
    pub substituted: Vec<Vec<f64>>,
    /// `[region][local sector]` share of high_temp demand moved to standard (set by the runner).
    pub heavy_free: Vec<Vec<f64>>,
    /// `[region][local sector]` t of magnet demand given up this month because the magnet price
    /// differs from its start (M3): negative where lower prices drew extra demand (set by the
    /// runner).
    pub forgone: Vec<Vec<f64>>,
}

impl MonthRecord {
    #[inline]
    pub fn exports(&self, r: usize, c: Commodity) -> f64 {
        let n = self.mine_out.len();
        self.flows[c as usize][r * n..(r + 1) * n].iter().sum()
    }

    /// Tonnes of `c` shipped toward region `r` this month, arriving now or later.
    pub fn shipped_to(&self, r: usize, c: Commodity) -> f64 {
        let (n, flows) = (self.mine_out.len(), &self.flows[c as usize]);
        (0..n).map(|o| flows[o * n + r]).sum()
    }

    #[inline]
    pub fn imports(&self, r: usize, c: Commodity) -> f64 {
        let (n, arrivals) = (self.mine_out.len(), &self.arrivals[c as usize]);
        (0..n).map(|o| arrivals[o * n + r]).sum()
    }

    /// Total released by stockpile `i` this month.
    pub fn released_by(&self, i: usize) -> f64 {
        self.released[i].iter().sum()
    }

    /// Released this month into region `r` by the stockpiles holding commodity `c`, in
    /// stockpile order; `stockpiles[i]` is the commodity of stockpile `i`.
    pub fn released_into(&self, stockpiles: &[Commodity], r: usize, c: Commodity) -> f64 {
        of_commodity(&self.released, stockpiles, r, c)
    }

    /// Refilled this month out of region `r` by the stockpiles holding commodity `c`, in
    /// stockpile order (as `released_into`).
    pub fn refilled_from(&self, stockpiles: &[Commodity], r: usize, c: Commodity) -> f64 {
        of_commodity(&self.refilled, stockpiles, r, c)
    }
}

/// Region `r`'s column of a `[stockpile][region]` table, summed over the stockpiles holding
/// commodity `c` in stockpile order.
fn of_commodity(table: &Table, stockpiles: &[Commodity], r: usize, c: Commodity) -> f64 {
    table
        .iter()
        .zip(stockpiles)
        .filter(|(_, k)| **k == c)
        .map(|(q, _)| q[r])
        .sum()
}

/// Largest mass-balance error of a month, in tonnes, over every stage and region (13):
/// concentrate, separation, each oxide, magnet plants (in contained oxide), each magnet grade,
/// each stockpile, and world trade per commodity (shipped = arrived + change in transit).
/// `stockpiles[i]` is the commodity of stockpile `i`. NaN anywhere counts as infinite error.
pub fn mass_balance_error(p: &ChainParams, rec: &MonthRecord, stockpiles: &[Commodity]) -> f64 {
    use Commodity::*;
    let n = rec.mine_out.len();
    let s0 = rec.stocks_start.as_ref().expect("recorded");
    let s1 = rec.stocks_end.as_ref().expect("recorded");
    let mut worst: f64 = 0.0;
    let mut check = |v: f64| {
        worst = if v.is_finite() {
            worst.max(v.abs())
        } else {
            f64::INFINITY
        }
    };
    // Stockpile flows of commodity `c` in region `r`: released into it, refilled out of it.
    let released_into = |r: usize, c: Commodity| rec.released_into(stockpiles, r, c);
    let refilled_from = |r: usize, c: Commodity| rec.refilled_from(stockpiles, r, c);
    for r in 0..n {
        for (i, c) in [(0, Concentrate), (1, ClayConcentrate)] {
            check(
                s1.get(r, c)
                    - s0.get(r, c)
                    - (rec.mine_out_by_ore[r][i] + rec.imports(r, c)
                        - rec.exports(r, c)
                        - rec.feed_by_ore[r][i]),
            );
        }
        check(
            rec.mine_out[r].iter().sum::<f64>()
                - rec.mine_out_by_ore[r][0]
                - rec.mine_out_by_ore[r][1],
        );
        check(rec.feed[r] - rec.sep_out[r][0] - rec.sep_out[r][1] - rec.residue[r]);
        for (e, c) in [(0, LightOxide), (1, HeavyOxide)] {
            check(
                s1.get(r, c)
                    - s0.get(r, c)
                    - (rec.sep_out[r][e] + rec.recycled[r][e] + rec.imports(r, c)
                        - rec.exports(r, c)
                        - rec.oxide_used[r][e]
                        + released_into(r, c)
                        - refilled_from(r, c)),
            );
            let made: f64 = (0..2).map(|g| rec.magnet_out[r][g] * p.recipes[g][e]).sum();
            check(made - rec.oxide_used[r][e]);
        }
        for (g, c) in [(0, MagnetStandard), (1, MagnetHighTemp)] {
            let delivered: f64 = rec.delivered[r].iter().map(|s| s[g]).sum();
            check(
                s1.get(r, c)
                    - s0.get(r, c)
                    - (rec.magnet_out[r][g] + rec.imports(r, c)
                        - rec.exports(r, c)
                        - (delivered - released_into(r, c))
                        - refilled_from(r, c)),
            );
        }
    }
    for i in 0..rec.refilled.len() {
        check(
            rec.stockpile_end[i] - rec.stockpile_start[i] + rec.released_by(i)
                - rec.refilled[i].iter().sum::<f64>(),
        );
    }
    for c in Commodity::ALL {
        let x: f64 = (0..n).map(|r| rec.exports(r, c)).sum();
        let m: f64 = (0..n).map(|r| rec.imports(r, c)).sum();
        check(x - m - (s1.in_transit(c) - s0.in_transit(c)));
    }
    worst
}
