//! One Monte Carlo run: sample the parameters, draw the control courses, outages and projects,
//! then step the month (sim::month) to the horizon.

use rand::RngExt;

use crate::market;
use crate::model::buf::{fill, set_from};
use crate::model::chain;
use crate::model::limits::Limits;
use crate::model::limits::WEEKS_PER_MONTH;
use crate::model::param::Values;
use crate::model::record::MonthRecord;
use crate::model::state::{ChainParams, DAYS_PER_MONTH, Exogenous, Stocks};
use crate::model::stockpile::StockpileState;
use crate::model::{Commodity, Scenario, StockpileSize};
use crate::policy::controls::{self, History};
use crate::sim::exogenous::{Assets, BaseDemand};
use crate::sim::streams;

pub use crate::model::record::RunOutput;

pub fn chain_params(sc: &Scenario, v: &Values) -> ChainParams {
    let mut p = ChainParams::default();
    chain_params_into(sc, v, &mut p);
    p
}

/// `chain_params`, into `p` (its tables reused).
pub fn chain_params_into(sc: &Scenario, v: &Values, p: &mut ChainParams) {
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
    p.recipes = recipes;
    set_from(
        &mut p.inventory_days,
        sc.regions.iter().map(|r| r.inventory_days.map(|id| v[id])),
    );
    p.rebuild_months = v[sc.rebuild_months];
    p.sector_ids.resize_with(sc.regions.len(), Vec::new);
    p.priority_order
        .resize_with(sc.regions.len(), Default::default);
    for (ri, r) in sc.regions.iter().enumerate() {
        set_from(&mut p.sector_ids[ri], r.sectors.iter().map(|s| s.sector));
        p.priority_order[ri].set(r.sectors.len(), |s| r.sectors[s].priority);
    }
    p.world_shares = std::array::from_fn(|i| {
        if total[i] > 0.0 {
            [ndpr[i] / total[i], dytb[i] / total[i]]
        } else {
            [0.0, 0.0]
        }
    });
    transit_months(sc, v, &mut p.transit);
    p.component_lag = v[sc.logistics.component_months];
}

/// Shipping time of every route, months, `[o * n + d]`: the route's own entry, else the
/// scenario's `transit_weeks`; 0 within a region.
fn transit_months(sc: &Scenario, v: &Values, t: &mut Vec<f64>) {
    let n = sc.regions.len();
    fill(t, n * n, v[sc.logistics.transit_weeks] / WEEKS_PER_MONTH);
    for r in 0..n {
        t[r * n + r] = 0.0;
    }
    for &(o, d, w) in &sc.logistics.routes {
        t[o * n + d] = v[w] / WEEKS_PER_MONTH;
    }
}

/// Initial stockpile level: tonnes, or days of the region's month-0 use (magnets: end-use
/// demand for the grade; oxides: the oxide contained in the region's magnet demand), counting
/// only `days_of_sectors` when given.
fn stockpile_initial(
    sc: &Scenario,
    v: &Values,
    p: &ChainParams,
    base: &BaseDemand,
    out: &mut Vec<f64>,
) {
    set_from(
        out,
        (0..sc.stockpiles.len()).map(|i| match sc.stockpiles[i].size {
            StockpileSize::Tonnes(t) => v[t],
            StockpileSize::Days(days) => v[days] / DAYS_PER_MONTH * monthly_use(sc, p, base, i),
        }),
    );
}

/// Month-0 use (t/month) that stockpile `i`'s days of cover refer to: the region's demand for
/// its magnet grade, or the oxide in the region's magnet demand, counting only
/// `days_of_sectors` when given. `base` is the run's base demand, still at month 0.
fn monthly_use(sc: &Scenario, p: &ChainParams, base: &BaseDemand, i: usize) -> f64 {
    let s = &sc.stockpiles[i];
    let region = &sc.regions[s.region];
    // The region's sectors in the flat region-then-sector order of `base`.
    let first: usize = sc.regions[..s.region].iter().map(|r| r.sectors.len()).sum();
    let counted = |ls: usize| {
        s.days_of_sectors.is_empty() || s.days_of_sectors.contains(&region.sectors[ls].sector)
    };
    let per_grade: [f64; 2] = [0, 1].map(|g| {
        (0..region.sectors.len())
            .filter(|&ls| counted(ls))
            .map(|ls| base.sector(first + ls)[g])
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
    let mut base = BaseDemand::default();
    base.reset(sc, &v);
    monthly_use(sc, &p, &base, i) / DAYS_PER_MONTH
}

/// Simulates run `run` of a batch seeded with `seed`.
pub fn simulate(sc: &Scenario, seed: u64, run: u64) -> RunOutput {
    let v = sc.params.sample(seed, run);
    simulate_with(sc, v, seed, run)
}

/// Simulates with given parameter values (outages and control occurrence still draw from the
/// run's streams).
pub fn simulate_with(sc: &Scenario, v: Values, seed: u64, run: u64) -> RunOutput {
    let mut ws = Workspace::new(sc);
    simulate_into(&mut ws, v, seed, run);
    ws.state.out
}

/// Simulates run `run` with parameter values `v` in the workspace `ws`, and returns the run's
/// output, which stays in the workspace until its next run. Outputs are those of
/// `simulate_with`; a workspace reused run after run allocates (almost) nothing.
pub fn simulate_into<'w>(
    ws: &'w mut Workspace<'_>,
    v: Values,
    seed: u64,
    run: u64,
) -> &'w RunOutput {
    let state = &mut ws.state;
    state.reset(v, seed, run);
    for t in 0..state.sc.horizon {
        state.month(t);
    }
    state.finish();
    &state.out
}

/// A worker's buffers for the runs of one scenario: the run's state, its month records and
/// every table the month step fills, sized by the first run and reused by the next ones.
pub struct Workspace<'a> {
    state: RunState<'a>,
}

impl<'a> Workspace<'a> {
    pub fn new(sc: &'a Scenario) -> Self {
        let n = sc.regions.len();
        Workspace {
            state: RunState {
                sc,
                out: RunOutput {
                    values: Values(Vec::new()),
                    courses: Vec::new(),
                    records: Vec::new(),
                    stockpile_initial: Vec::new(),
                    params: ChainParams::default(),
                    new_capacity: Vec::new(),
                },
                stockpiles: Vec::new(),
                stockpile_kinds: sc.stockpiles.iter().map(|s| s.commodity).collect(),
                assets: Assets::empty(sc),
                base_demand: BaseDemand::default(),
                prices: market::Prices::new(n),
                response: market::Response::new(sc),
                recycling: market::Recycling::default(),
                expansion: market::Expansion::new(n),
                stocks: Stocks::zero(n),
                history: History::new(sc.controls.len()),
                month: MonthBuffers::default(),
            },
        }
    }
}

/// Tables one month fills and the next refills.
#[derive(Default)]
pub(crate) struct MonthBuffers {
    /// End-use demand before the market's response, `[standard, high_temp]` per sector in
    /// region-then-sector order.
    pub base: Vec<[f64; 2]>,
    pub x: Exogenous,
    /// `[region][mine, separation, magnet]` nominal capacity, t/yr.
    pub nominal: Vec<[f64; 3]>,
    pub limits: Limits,
    pub chain: chain::Work,
}

/// Everything a run carries from month to month.
pub(crate) struct RunState<'a> {
    pub sc: &'a Scenario,
    /// The run's values, courses, parameters, initial stockpiles and month records.
    pub out: RunOutput,
    pub stockpiles: Vec<StockpileState>,
    /// The commodity of each stockpile.
    pub stockpile_kinds: Vec<Commodity>,
    pub assets: Assets<'a>,
    /// The run's terms of every sector's base demand.
    pub base_demand: BaseDemand,
    pub prices: market::Prices,
    pub response: market::Response,
    /// The run's recycling terms (M5).
    pub recycling: market::Recycling,
    pub expansion: market::Expansion,
    pub stocks: Stocks,
    pub history: History,
    pub month: MonthBuffers,
}

impl RunState<'_> {
    /// Starts run `run` with values `v`: draws the run's courses, outage processes and
    /// projects (each from its own stream) and sets the stockpiles to their initial levels.
    fn reset(&mut self, v: Values, seed: u64, run: u64) {
        let sc = self.sc;
        let n = sc.regions.len();
        let mut draw = |key: &str| -> f64 { streams::stream(seed, run, key).random() };
        let out = &mut self.out;
        out.courses = controls::courses(sc, &v, &mut draw);
        chain_params_into(sc, &v, &mut out.params);
        self.base_demand.reset(sc, &v);
        stockpile_initial(
            sc,
            &v,
            &out.params,
            &self.base_demand,
            &mut out.stockpile_initial,
        );
        self.stockpiles.truncate(sc.stockpiles.len());
        for (i, (s, &size)) in sc.stockpiles.iter().zip(&out.stockpile_initial).enumerate() {
            let (mut serves, mut priority_sectors) = match self.stockpiles.get_mut(i) {
                Some(old) => (
                    std::mem::take(&mut old.serves),
                    std::mem::take(&mut old.priority_sectors),
                ),
                None => (Vec::new(), Vec::new()),
            };
            serves.clone_from(&s.serves);
            priority_sectors.clone_from(&s.priority_sectors);
            let state = StockpileState {
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
                serves,
                priority_sectors,
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
            };
            match self.stockpiles.get_mut(i) {
                Some(old) => *old = state,
                None => self.stockpiles.push(state),
            }
        }
        self.assets.reset(&v, &out.courses, seed, run);
        self.prices.reset(n);
        self.response.reset(sc, &v);
        self.recycling.reset(sc, &v);
        self.expansion.reset(n);
        self.stocks.reset(n);
        self.history.reset(sc.controls.len());
        out.records.resize_with(sc.horizon, MonthRecord::default);
        out.values = v;
    }

    /// Completes the run's output with the capacity new by the horizon's end.
    fn finish(&mut self) {
        let end = self.sc.horizon.saturating_sub(1);
        let out = &mut self.out;
        self.assets
            .new_capacity(&self.expansion, end, &mut out.new_capacity);
    }
}
