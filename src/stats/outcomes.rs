//! Outcome metrics of a run, by scope.
//!
//! Demand metrics are computed for the world, each region, each sector (all regions) and each
//! region x sector. A month is a shortfall month in a scope when unmet demand exceeds
//! `SHORTFALL_THRESHOLD` of the scope's demand that month.

use crate::model::buf::set_from;
use crate::model::record::{RunOutput, Table};
use crate::model::{Commodity, Scenario};
use crate::stats::registry as r;

/// Unmet share of a month's demand above which the month counts as a shortfall month (0.1%).
pub const SHORTFALL_THRESHOLD: f64 = 0.001;

/// A stockpile counts as empty when it holds less than this many tonnes.
pub const EMPTY_T: f64 = 1e-6;

pub const DEMAND_METRICS: [&str; 7] = [
    r::UNMET_DEMAND_T.name,
    r::UNMET_SHARE.name,
    r::SHORTFALL_MONTHS.name,
    r::MAX_MONTHLY_SHORTFALL_SHARE.name,
    r::TIME_TO_RECOVER_MONTHS.name,
    r::LOST_OUTPUT_USD.name,
    r::PRICE_FORGONE_T.name,
];
/// Per region and commodity (item = commodity).
pub const PRICE_METRICS: [&str; 2] = [r::PEAK_PRICE_INDEX.name, r::MONTHS_ABOVE_2X.name];
/// Per region and sector.
pub const RESPONSE_METRICS: [&str; 2] = [r::SUBSTITUTION_SHARE.name, r::HEAVY_FREE_SHARE.name];
/// Per region: oxide recycled over the horizon, and capacity new by its end per stage
/// (item = mine, separation, magnet; t/yr).
pub const SUPPLY_METRICS: [&str; 4] = [
    r::RECYCLED_T.name,
    r::NEW_CAPACITY_T_PER_YR.name,
    r::NEW_CAPACITY_T_PER_YR.name,
    r::NEW_CAPACITY_T_PER_YR.name,
];
pub const STOCKPILE_METRICS: [&str; 8] = [
    r::STOCKPILE_INITIAL_T.name,
    r::STOCKPILE_RELEASED_T.name,
    r::STOCKPILE_MIN_T.name,
    r::STOCKPILE_DEPLETED.name,
    r::STOCKPILE_DEPLETED_MONTH.name,
    r::STOCKPILE_MIN_COVER_MONTHS.name,
    r::STOCKPILE_REFILLED_T.name,
    r::STOCKPILE_HOLDING_COST_USD.name,
];
/// Trade metrics, world totals over the horizon.
pub const TRADE_METRICS: [&str; 2] = [r::LICENSED_SHIPMENTS_T.name, r::DELAYED_SHIPMENTS_T.name];

/// Names one outcome: the metric and its scope (empty strings for "all").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricKey {
    pub metric: &'static str,
    pub region: String,
    pub sector: String,
    /// Stockpile name, commodity or stage, as `item_kind` says; empty otherwise.
    pub item: String,
    pub item_kind: &'static str,
}

impl MetricKey {
    /// The metric's unit (stats::registry).
    pub fn unit(&self) -> &'static str {
        r::metric(self.metric).map_or("", |m| m.unit)
    }

    /// Column name in runs.csv: `metric`, or `metric[region=x,sector=y]`.
    pub fn column(&self) -> String {
        let parts: Vec<String> = [
            ("region", &self.region),
            ("sector", &self.sector),
            (self.item_kind, &self.item),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
        if parts.is_empty() {
            self.metric.to_string()
        } else {
            format!("{}[{}]", self.metric, parts.join(","))
        }
    }
}

#[derive(Debug, Clone)]
enum Scope {
    /// The scope's members: indexes into `Outcomes::members`, in region and sector order.
    Demand(Vec<usize>),
    Stockpile(usize),
    Trade,
    Price(usize, Commodity),
    Response(usize, usize),
    Supply(usize),
}

/// The outcome catalog of a scenario.
#[derive(Debug, Clone)]
pub struct Outcomes {
    pub keys: Vec<MetricKey>,
    scopes: Vec<Scope>,
    /// Every `(region, local sector)` pair, in region and sector order.
    members: Vec<(usize, usize)>,
}

/// Tables `Outcomes::compute_with` refills run after run.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Each member's month in one flat table, `[month][member]`, read once from the records.
    cells: Vec<Cell>,
    /// Value of a tonne of each member's unmet demand, USD.
    value: Vec<f64>,
    /// `[month][region][grade]` demand of each region (t), summed over its sectors in sector
    /// order: the monthly use behind a stockpile's months of cover.
    region_demand: Vec<[f64; 2]>,
}

/// One member's month: what every demand scope holding the member adds up.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    /// `[demand standard, unmet standard]` and `[demand high_temp, unmet high_temp]`, t: paired
    /// so that a scope's monthly demand and unmet demand are summed side by side.
    standard: [f64; 2],
    high_temp: [f64; 2],
    /// Unmet demand of each grade times the value of a tonne of the member's unmet demand, USD
    /// (the terms of lost output).
    lost: [f64; 2],
    /// Demand given up for the price, t.
    forgone: f64,
}

impl Outcomes {
    pub fn new(sc: &Scenario) -> Self {
        let members: Vec<(usize, usize)> = sc
            .regions
            .iter()
            .enumerate()
            .flat_map(|(r, reg)| (0..reg.sectors.len()).map(move |ls| (r, ls)))
            .collect();
        // The scope's members: every pair in `region` (all if None) whose global sector is
        // `sector` (all if None).
        let demand = |region: Option<usize>, sector: Option<usize>| {
            let of = |&(r, ls): &(usize, usize)| {
                region.is_none_or(|x| x == r)
                    && sector.is_none_or(|x| x == sc.regions[r].sectors[ls].sector)
            };
            let ids = (0..members.len()).filter(|&j| of(&members[j])).collect();
            (Scope::Demand(ids), region, sector)
        };
        let mut demand_scopes = vec![demand(None, None)];
        demand_scopes.extend((0..sc.regions.len()).map(|r| demand(Some(r), None)));
        demand_scopes.extend((0..sc.sectors.len()).map(|s| demand(None, Some(s))));
        for (r, reg) in sc.regions.iter().enumerate() {
            let mut secs: Vec<usize> = reg.sectors.iter().map(|s| s.sector).collect();
            secs.sort_unstable();
            demand_scopes.extend(secs.into_iter().map(|s| demand(Some(r), Some(s))));
        }
        let mut keys = Vec::new();
        for (_, region, sector) in &demand_scopes {
            for m in DEMAND_METRICS {
                keys.push(MetricKey {
                    metric: m,
                    region: region.map_or(String::new(), |r| sc.regions[r].name.clone()),
                    sector: sector.map_or(String::new(), |s| sc.sectors[s].clone()),
                    item: String::new(),
                    item_kind: "",
                });
            }
        }
        let mut scopes: Vec<Scope> = demand_scopes.into_iter().map(|(s, _, _)| s).collect();
        let first_other = scopes.len();
        scopes.extend((0..sc.stockpiles.len()).map(Scope::Stockpile));
        if sc
            .controls
            .iter()
            .any(|c| matches!(c.kind, crate::model::ControlKind::Licensing { .. }))
        {
            scopes.push(Scope::Trade);
        }
        for r in 0..sc.regions.len() {
            scopes.extend(Commodity::ALL.map(|c| Scope::Price(r, c)));
        }
        for (r, reg) in sc.regions.iter().enumerate() {
            scopes.extend((0..reg.sectors.len()).map(|ls| Scope::Response(r, ls)));
        }
        scopes.extend((0..sc.regions.len()).map(Scope::Supply));
        for sc_ in &scopes[first_other..] {
            match *sc_ {
                Scope::Demand(_) => unreachable!("demand scopes come first"),
                Scope::Trade => {
                    for m in TRADE_METRICS {
                        keys.push(MetricKey {
                            metric: m,
                            region: String::new(),
                            sector: String::new(),
                            item: String::new(),
                            item_kind: "",
                        });
                    }
                }
                Scope::Price(r, c) => {
                    for m in PRICE_METRICS {
                        keys.push(MetricKey {
                            metric: m,
                            region: sc.regions[r].name.clone(),
                            sector: String::new(),
                            item: c.name().to_string(),
                            item_kind: "commodity",
                        });
                    }
                }
                Scope::Response(r, ls) => {
                    for m in RESPONSE_METRICS {
                        keys.push(MetricKey {
                            metric: m,
                            region: sc.regions[r].name.clone(),
                            sector: sc.sectors[sc.regions[r].sectors[ls].sector].clone(),
                            item: String::new(),
                            item_kind: "",
                        });
                    }
                }
                Scope::Supply(r) => {
                    for (m, item) in SUPPLY_METRICS
                        .iter()
                        .zip(["", "mine", "separation", "magnet"])
                    {
                        keys.push(MetricKey {
                            metric: m,
                            region: sc.regions[r].name.clone(),
                            sector: String::new(),
                            item: item.to_string(),
                            item_kind: if item.is_empty() { "" } else { "stage" },
                        });
                    }
                }
                Scope::Stockpile(i) => {
                    for m in STOCKPILE_METRICS {
                        keys.push(MetricKey {
                            metric: m,
                            region: sc.regions[sc.stockpiles[i].region].name.clone(),
                            sector: String::new(),
                            item: sc.stockpiles[i].name.clone(),
                            item_kind: "stockpile",
                        });
                    }
                }
            }
        }
        Outcomes {
            keys,
            scopes,
            members,
        }
    }

    /// The run's value of every metric, in `keys` order (NaN where undefined).
    pub fn compute(&self, sc: &Scenario, out: &RunOutput) -> Vec<f64> {
        self.compute_with(sc, out, &mut Scratch::default())
    }

    /// `compute`, with the tables of `scratch` reused run after run.
    pub fn compute_with(&self, sc: &Scenario, out: &RunOutput, scratch: &mut Scratch) -> Vec<f64> {
        let mut values = Vec::with_capacity(self.keys.len());
        let Scratch {
            cells,
            value,
            region_demand,
        } = scratch;
        let k = self.members.len();
        set_from(
            value,
            (self.members.iter())
                .map(|&(r, ls)| out.values[sc.regions[r].sectors[ls].response.value]),
        );
        fill_cells(cells, value, out);
        region_demand.clear();
        for scope in &self.scopes {
            match scope {
                Scope::Demand(ids) => {
                    values.extend(demand_scope(cells, k, out.records.len(), ids));
                }
                &Scope::Stockpile(i) => {
                    let sp = &sc.stockpiles[i];
                    let initial = out.stockpile_initial[i];
                    let levels = || out.records.iter().map(|r| r.stockpile_end[i]);
                    let released: f64 = out.records.iter().map(|r| r.released_by(i)).sum();
                    let refilled: f64 = out
                        .records
                        .iter()
                        .map(|r| r.refilled[i].iter().sum::<f64>())
                        .sum();
                    let min = levels().fold(initial, f64::min);
                    let depleted_month = levels().position(|l| l < EMPTY_T);
                    // Months of cover: level over the monthly use it stands for (the served
                    // regions' demand for the grade, or the oxide in that demand).
                    if region_demand.is_empty() {
                        fill_region_demand(region_demand, out);
                    }
                    let n = sc.regions.len();
                    let cover = region_demand
                        .chunks_exact(n)
                        .zip(levels())
                        .map(|(month, level)| {
                            let per_grade: [f64; 2] =
                                [0, 1].map(|g| sp.serves.iter().map(|&r| month[r][g]).sum::<f64>());
                            let rc = &out.params.recipes;
                            let monthly = match sp.commodity {
                                Commodity::MagnetStandard => per_grade[0],
                                Commodity::MagnetHighTemp => per_grade[1],
                                Commodity::LightOxide => {
                                    per_grade[0] * rc[0][0] + per_grade[1] * rc[1][0]
                                }
                                Commodity::HeavyOxide => {
                                    per_grade[0] * rc[0][1] + per_grade[1] * rc[1][1]
                                }
                                Commodity::Concentrate | Commodity::ClayConcentrate => 0.0,
                            };
                            if monthly > 0.0 {
                                level / monthly
                            } else {
                                f64::INFINITY
                            }
                        })
                        .fold(f64::INFINITY, f64::min);
                    let holding: f64 = levels().sum::<f64>() * out.values[sp.holding_cost] / 12.0;
                    values.extend([
                        initial,
                        released,
                        min,
                        if depleted_month.is_some() { 1.0 } else { 0.0 },
                        depleted_month.map_or(f64::NAN, |m| m as f64),
                        if cover.is_finite() { cover } else { f64::NAN },
                        refilled,
                        holding,
                    ]);
                }
                &Scope::Trade => {
                    let total = |f: &dyn Fn(&crate::model::record::MonthRecord) -> &Table| -> f64 {
                        out.records
                            .iter()
                            .map(|r| f(r).iter().flatten().sum::<f64>())
                            .sum()
                    };
                    values.extend([total(&|r| &r.licensed), total(&|r| &r.delayed)]);
                }
                &Scope::Price(r, c) => {
                    let (mut peak, mut above_2x) = (0.0, 0);
                    for rec in &out.records {
                        let p = rec.prices[r][c as usize];
                        // `f64::max` from 0.0, as `Shortfall::add` takes the largest share.
                        if p > peak {
                            peak = p;
                        }
                        above_2x += usize::from(p >= 2.0);
                    }
                    values.extend([peak, above_2x as f64]);
                }
                &Scope::Response(r, ls) => {
                    let last = out.records.last();
                    values.push(last.map_or(0.0, |rec| rec.substituted[r][ls]));
                    values.push(last.map_or(0.0, |rec| rec.heavy_free[r][ls]));
                }
                &Scope::Supply(r) => {
                    values.push(
                        out.records
                            .iter()
                            .map(|rec| rec.recycled[r][0] + rec.recycled[r][1])
                            .sum(),
                    );
                    values.extend(out.new_capacity[r]);
                }
            }
        }
        values
    }
}

/// Refills `cells` with every member's months, `[month][member]`: `k` members a month, in
/// the order of `Outcomes::members` (every region's sectors, region after region), `value`
/// holding each member's value of a tonne of unmet demand.
fn fill_cells(cells: &mut Vec<Cell>, value: &[f64], out: &RunOutput) {
    let k = value.len();
    // Every cell is written below: resizing only when the shape changes spares clearing.
    cells.resize(out.records.len() * k, Cell::default());
    for (month, rec) in cells.chunks_exact_mut(k.max(1)).zip(&out.records) {
        let mut slots = month.iter_mut().zip(value);
        let regions = rec.demand.iter().zip(&rec.unmet).zip(&rec.forgone);
        for ((demand, unmet), forgone) in regions {
            for ((d, u), &forgone) in demand.iter().zip(unmet).zip(forgone) {
                let (cell, &value) = slots.next().expect("a cell for every member");
                *cell = Cell {
                    standard: [d[0], u[0]],
                    high_temp: [d[1], u[1]],
                    lost: [u[0] * value, u[1] * value],
                    forgone,
                };
            }
        }
        debug_assert!(slots.next().is_none(), "a member for every cell");
    }
}

/// Refills `region_demand` with each month's demand of each region per grade, `[month][region]`.
fn fill_region_demand(region_demand: &mut Vec<[f64; 2]>, out: &RunOutput) {
    for rec in &out.records {
        region_demand.extend(
            (rec.demand.iter()).map(|secs| [0, 1].map(|g| secs.iter().map(|d| d[g]).sum::<f64>())),
        );
    }
}

/// The `DEMAND_METRICS` of the scope of members `ids` over `months` months of `cells` (`k`
/// members a month). Every total runs month by month, in member order, grade by grade.
fn demand_scope(cells: &[Cell], k: usize, months: usize, ids: &[usize]) -> [f64; 7] {
    let mut shortfall = Shortfall::default();
    let (mut lost, mut forgone) = (0.0, 0.0);
    if k == 0 {
        for _ in 0..months {
            shortfall.add(0.0, 0.0);
        }
    }
    for month in cells.chunks_exact(k.max(1)) {
        // [demand, unmet] this month.
        let mut sums = [0.0; 2];
        for &j in ids {
            let c = &month[j];
            forgone += c.forgone;
            for (sum, v) in sums.iter_mut().zip(c.standard) {
                *sum += v;
            }
            lost += c.lost[0];
            for (sum, v) in sums.iter_mut().zip(c.high_temp) {
                *sum += v;
            }
            lost += c.lost[1];
        }
        shortfall.add(sums[0], sums[1]);
    }
    let m = shortfall.metrics();
    [m[0], m[1], m[2], m[3], m[4], lost, forgone]
}

/// The demand metrics from monthly demand and unmet demand, in `DEMAND_METRICS` order.
pub fn demand_metrics(demand: &[f64], unmet: &[f64]) -> [f64; 5] {
    let mut shortfall = Shortfall::default();
    for (&d, &u) in demand.iter().zip(unmet) {
        shortfall.add(d, u);
    }
    shortfall.metrics()
}

/// A scope's demand metrics, tallied month by month.
#[derive(Debug, Clone, Copy)]
struct Shortfall {
    /// Months added so far.
    month: usize,
    /// Demand and unmet demand, summed as `Iterator::sum` sums the months.
    total_d: f64,
    total_u: f64,
    shortfall_months: usize,
    /// The first and last shortfall month.
    first: Option<usize>,
    last: usize,
    max_share: f64,
}

impl Default for Shortfall {
    fn default() -> Self {
        // `Iterator::sum` starts from the sum of nothing (negative zero), not from 0.0.
        let none: f64 = std::iter::empty::<f64>().sum();
        Shortfall {
            month: 0,
            total_d: none,
            total_u: none,
            shortfall_months: 0,
            first: None,
            last: 0,
            max_share: 0.0,
        }
    }
}

impl Shortfall {
    fn add(&mut self, d: f64, u: f64) {
        self.total_d += d;
        self.total_u += u;
        if d > 0.0 && u > SHORTFALL_THRESHOLD * d {
            self.shortfall_months += 1;
            self.first.get_or_insert(self.month);
            self.last = self.month;
        }
        // As `f64::max` folds the shares from 0.0 (never NaN): a NaN share is passed over,
        // and of equal shares the earlier stays.
        let share = if d > 0.0 { u / d } else { 0.0 };
        if share > self.max_share {
            self.max_share = share;
        }
        self.month += 1;
    }

    /// The metrics in `DEMAND_METRICS` order (without lost output and forgone demand).
    fn metrics(&self) -> [f64; 5] {
        // Time to recover: from the first shortfall month to the end of the last one; a
        // shortfall still running at the horizon counts to the horizon (censored).
        let recover = self
            .first
            .map_or(0.0, |first| (self.last - first + 1) as f64);
        [
            self.total_u,
            if self.total_d > 0.0 {
                self.total_u / self.total_d
            } else {
                0.0
            },
            self.shortfall_months as f64,
            self.max_share,
            recover,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demand_metrics_by_hand() {
        let d = [100.0, 100.0, 100.0, 100.0, 100.0];
        let u = [0.0, 20.0, 0.05, 50.0, 0.0];
        let m = demand_metrics(&d, &u);
        assert!((m[0] - 70.05).abs() < 1e-12);
        assert!((m[1] - 70.05 / 500.0).abs() < 1e-12);
        assert_eq!(m[2], 2.0); // 0.05 t is below 0.1% of 100 t
        assert_eq!(m[3], 0.5);
        assert_eq!(m[4], 3.0); // months 1..=3
    }

    #[test]
    fn column_names() {
        let k = MetricKey {
            metric: "unmet_share",
            region: "a".into(),
            sector: "ev".into(),
            item: String::new(),
            item_kind: "",
        };
        assert_eq!(k.column(), "unmet_share[region=a,sector=ev]");
        let g = MetricKey {
            metric: "unmet_share",
            region: String::new(),
            sector: String::new(),
            item: String::new(),
            item_kind: "",
        };
        assert_eq!(g.column(), "unmet_share");
    }
}
