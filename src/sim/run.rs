//! One Monte Carlo run: sample the parameters, draw the control courses, outages and projects,
//! then step the month (sim::month) to the horizon.

use rand::RngExt;

use crate::market;
use crate::model::limits::{Course, WEEKS_PER_MONTH};
use crate::model::param::Values;
use crate::model::record::MonthRecord;
use crate::model::state::{ChainParams, DAYS_PER_MONTH, Stocks};
use crate::model::stockpile::StockpileState;
use crate::model::{Commodity, Scenario, StockpileSize};
use crate::policy::controls::{self, History};
use crate::sim::exogenous::{Assets, demand};
use crate::sim::streams;

pub use crate::model::record::RunOutput;

pub fn chain_params(sc: &Scenario, v: &Values) -> ChainParams {
    let recipes = [
        [v[sc.recipes[0][0]], v[sc.recipes[0][1]]],
        [v[sc.recipes[1][0]], v[sc.recipes[1][1]]],
    ];
    let (mut ndpr, mut dytb, mut total) = ([0.0; 2], [0.0; 2], [0.0; 2]);
    for m in sc.regions.iter().flat_map(|r| &r.mines) {
        let (cap, i) = (v[m.capacity] * v[m.utilisation], m.ore as usize);
        ndpr[i] += cap * v[m.ndpr_share];
        dytb[i] += cap * v[m.dytb_share];
        total[i] += cap;
    }
    ChainParams {
        recipes,
        inventory_days: sc
            .regions
            .iter()
            .map(|r| r.inventory_days.map(|id| v[id]))
            .collect(),
        rebuild_months: v[sc.rebuild_months],
        priority: sc
            .regions
            .iter()
            .map(|r| r.sectors.iter().map(|s| s.priority).collect())
            .collect(),
        sector_ids: sc
            .regions
            .iter()
            .map(|r| r.sectors.iter().map(|s| s.sector).collect())
            .collect(),
        world_shares: std::array::from_fn(|i| {
            if total[i] > 0.0 {
                [ndpr[i] / total[i], dytb[i] / total[i]]
            } else {
                [0.0, 0.0]
            }
        }),
        transit: transit_months(sc, v),
        component_lag: v[sc.logistics.component_months],
    }
}

/// Shipping time of every route, months, `[o * n + d]`: the route's own entry, else the
/// scenario's `transit_weeks`; 0 within a region.
fn transit_months(sc: &Scenario, v: &Values) -> Vec<f64> {
    let n = sc.regions.len();
    let mut t = vec![v[sc.logistics.transit_weeks] / WEEKS_PER_MONTH; n * n];
    for r in 0..n {
        t[r * n + r] = 0.0;
    }
    for &(o, d, w) in &sc.logistics.routes {
        t[o * n + d] = v[w] / WEEKS_PER_MONTH;
    }
    t
}

/// Initial stockpile level: tonnes, or days of the region's month-0 use (magnets: end-use
/// demand for the grade; oxides: the oxide contained in the region's magnet demand), counting
/// only `days_of_sectors` when given.
fn stockpile_initial(sc: &Scenario, v: &Values, p: &ChainParams) -> Vec<f64> {
    (0..sc.stockpiles.len())
        .map(|i| match sc.stockpiles[i].size {
            StockpileSize::Tonnes(t) => v[t],
            StockpileSize::Days(days) => v[days] / DAYS_PER_MONTH * monthly_use(sc, v, p, i),
        })
        .collect()
}

/// Month-0 use (t/month) that stockpile `i`'s days of cover refer to: the region's demand for
/// its magnet grade, or the oxide in the region's magnet demand, counting only
/// `days_of_sectors` when given.
fn monthly_use(sc: &Scenario, v: &Values, p: &ChainParams, i: usize) -> f64 {
    let s = &sc.stockpiles[i];
    let d0 = demand(sc, v, 0);
    let region = &sc.regions[s.region];
    let counted = |ls: usize| {
        s.days_of_sectors.is_empty() || s.days_of_sectors.contains(&region.sectors[ls].sector)
    };
    let per_grade: [f64; 2] = [0, 1].map(|g| {
        d0[s.region]
            .iter()
            .enumerate()
            .filter(|(ls, _)| counted(*ls))
            .map(|(_, x)| x[g])
            .sum()
    });
    match s.commodity {
        Commodity::MagnetStandard => per_grade[0],
        Commodity::MagnetHighTemp => per_grade[1],
        Commodity::LightOxide => per_grade[0] * p.recipes[0][0] + per_grade[1] * p.recipes[1][0],
        Commodity::HeavyOxide => per_grade[0] * p.recipes[0][1] + per_grade[1] * p.recipes[1][1],
        Commodity::Concentrate | Commodity::ClayConcentrate => 0.0,
    }
}

/// Tonnes of stockpile `i` per day of cover, with the parameters of run `run` (month-0 use / 30.4375).
pub fn tonnes_per_day(sc: &Scenario, seed: u64, run: u64, i: usize) -> f64 {
    let v = sc.params.sample(seed, run);
    let p = chain_params(sc, &v);
    monthly_use(sc, &v, &p, i) / DAYS_PER_MONTH
}

/// Simulates run `run` of a batch seeded with `seed`.
pub fn simulate(sc: &Scenario, seed: u64, run: u64) -> RunOutput {
    let v = sc.params.sample(seed, run);
    simulate_with(sc, v, seed, run)
}

/// Simulates with given parameter values (outages and control occurrence still draw from the
/// run's streams).
pub fn simulate_with(sc: &Scenario, v: Values, seed: u64, run: u64) -> RunOutput {
    let mut state = RunState::new(sc, v, seed, run);
    for t in 0..sc.horizon {
        state.month(t);
    }
    state.finish()
}

/// Everything a run carries from month to month.
pub(crate) struct RunState<'a> {
    pub sc: &'a Scenario,
    pub v: Values,
    pub courses: Vec<Course>,
    pub params: ChainParams,
    pub initial: Vec<f64>,
    pub stockpiles: Vec<StockpileState>,
    /// The commodity of each stockpile.
    pub stockpile_kinds: Vec<Commodity>,
    pub assets: Assets<'a>,
    pub prices: market::Prices,
    pub response: market::Response,
    pub expansion: market::Expansion,
    pub stocks: Stocks,
    pub history: History,
    pub records: Vec<MonthRecord>,
}

impl<'a> RunState<'a> {
    /// Draws the run's courses, outage processes and projects (each from its own stream) and
    /// sets the stockpiles to their initial levels.
    fn new(sc: &'a Scenario, v: Values, seed: u64, run: u64) -> Self {
        let n = sc.regions.len();
        let mut draw = |key: &str| -> f64 { streams::stream(seed, run, key).random() };
        let courses = controls::courses(sc, &v, &mut draw);
        let params = chain_params(sc, &v);
        let initial = stockpile_initial(sc, &v, &params);
        let stockpiles = sc
            .stockpiles
            .iter()
            .zip(&initial)
            .map(|(s, &size)| StockpileState {
                region: s.region,
                commodity: s.commodity,
                level: if v[s.build_months] > 0.0 { 0.0 } else { size },
                capacity: size,
                max_release: s.max_release.map_or(f64::INFINITY, |id| v[id]),
                on_control: s.on_control,
                on_shortage: s.on_shortage,
                threshold: v[s.threshold],
                control_active: false,
                price_high: false,
                serves: s.serves.clone(),
                priority_sectors: s.priority_sectors.clone(),
                refill_rate: s.refill_rate.map_or(0.0, |id| v[id]),
                refill_delay: v[s.refill_delay],
                refill_budget: s.refill_budget.map_or(f64::INFINITY, |(b, p)| v[b] / v[p]),
                quiet_months: f64::INFINITY,
                saw_shortage: false,
                build_rate: if v[s.build_months] > 0.0 {
                    size / v[s.build_months]
                } else {
                    0.0
                },
                build_started: false,
            })
            .collect();
        let assets = Assets::new(sc, &v, &courses, seed, run);
        RunState {
            sc,
            courses,
            params,
            initial,
            stockpiles,
            stockpile_kinds: sc.stockpiles.iter().map(|s| s.commodity).collect(),
            assets,
            prices: market::Prices::new(n),
            response: market::Response::new(sc),
            expansion: market::Expansion::new(n),
            stocks: Stocks::zero(n),
            history: History::new(sc.controls.len()),
            records: Vec::with_capacity(sc.horizon),
            v,
        }
    }

    /// The run's output, with the capacity new by the horizon's end.
    fn finish(self) -> RunOutput {
        let end = self.sc.horizon.saturating_sub(1);
        let new_capacity = self.assets.new_capacity(&self.v, &self.expansion, end);
        RunOutput {
            values: self.v,
            courses: self.courses,
            records: self.records,
            stockpile_initial: self.initial,
            params: self.params,
            new_capacity,
        }
    }
}
