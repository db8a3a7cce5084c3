//! One Monte Carlo run: sample the parameters, draw the control windows and outages, and step
//! the chain month by month.

use rand_distr::{Bernoulli, Distribution};

use crate::model::chain::{self, ChainParams, DAYS_PER_MONTH, Exogenous, MonthRecord, Stocks};
use crate::model::{Commodity, Outage, Scenario, StockpileSize};
use crate::policy::controls::{self, Course, History, Limits};
use crate::policy::stockpile::StockpileState;
use crate::scenario::schema::Param;
use crate::sim::params::Values;
use crate::sim::streams::{self, Stream};

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub values: Values,
    pub courses: Vec<Course>,
    pub records: Vec<MonthRecord>,
    /// Stockpile levels at the start of month 0.
    pub stockpile_initial: Vec<f64>,
    pub params: ChainParams,
}

/// Outage process of one asset.
struct OutageState<'a> {
    def: &'a Outage,
    stream: Stream,
    remaining: u32,
}

impl OutageState<'_> {
    /// Advances one month; returns the share of capacity available this month.
    fn month(&mut self, v: &Values) -> f64 {
        if self.remaining == 0 {
            let p = v[self.def.probability].clamp(0.0, 1.0);
            let starts = Bernoulli::new(p)
                .expect("probability clamped to [0, 1]")
                .sample(&mut self.stream);
            if starts {
                let months = match &self.def.duration {
                    Param::Fixed(m) => *m,
                    Param::Dist(d) => d.quantile(rand::RngExt::random(&mut self.stream)),
                };
                self.remaining = months.round().max(1.0) as u32;
            }
        }
        if self.remaining > 0 {
            self.remaining -= 1;
            1.0 - v[self.def.loss].clamp(0.0, 1.0)
        } else {
            1.0
        }
    }
}

fn growth_factor(rate: f64, month: usize) -> f64 {
    (1.0 + rate).powf(month as f64 / 12.0)
}

pub fn chain_params(sc: &Scenario, v: &Values) -> ChainParams {
    let recipes = [
        [v[sc.recipes[0][0]], v[sc.recipes[0][1]]],
        [v[sc.recipes[1][0]], v[sc.recipes[1][1]]],
    ];
    let (mut ndpr, mut dytb, mut total) = (0.0, 0.0, 0.0);
    for m in sc.regions.iter().flat_map(|r| &r.mines) {
        let cap = v[m.capacity] * v[m.utilisation];
        ndpr += cap * v[m.ndpr_share];
        dytb += cap * v[m.dytb_share];
        total += cap;
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
        world_shares: if total > 0.0 {
            [ndpr / total, dytb / total]
        } else {
            [0.0, 0.0]
        },
    }
}

/// End-use demand of month `t`, `[region][local sector][grade]`, t/month.
fn demand(sc: &Scenario, v: &Values, t: usize) -> Vec<Vec<[f64; 2]>> {
    sc.regions
        .iter()
        .map(|r| {
            r.sectors
                .iter()
                .map(|s| {
                    let d = v[s.demand] / 12.0 * growth_factor(v[s.growth], t);
                    let ht = v[s.high_temp_share];
                    [d * (1.0 - ht), d * ht]
                })
                .collect()
        })
        .collect()
}

/// Initial stockpile level: tonnes, or days of the region's month-0 use (magnets: end-use
/// demand for the grade; oxides: the oxide contained in the region's magnet demand), counting
/// only `days_of_sectors` when given.
fn stockpile_initial(sc: &Scenario, v: &Values, p: &ChainParams) -> Vec<f64> {
    let d0 = demand(sc, v, 0);
    sc.stockpiles
        .iter()
        .map(|s| match s.size {
            StockpileSize::Tonnes(t) => v[t],
            StockpileSize::Days(days) => {
                let region = &sc.regions[s.region];
                let counted = |ls: usize| {
                    s.days_of_sectors.is_empty()
                        || s.days_of_sectors.contains(&region.sectors[ls].sector)
                };
                let per_grade: [f64; 2] = [0, 1].map(|g| {
                    d0[s.region]
                        .iter()
                        .enumerate()
                        .filter(|(ls, _)| counted(*ls))
                        .map(|(_, x)| x[g])
                        .sum()
                });
                let monthly = match s.commodity {
                    Commodity::MagnetStandard => per_grade[0],
                    Commodity::MagnetHighTemp => per_grade[1],
                    Commodity::LightOxide => {
                        per_grade[0] * p.recipes[0][0] + per_grade[1] * p.recipes[1][0]
                    }
                    Commodity::HeavyOxide => {
                        per_grade[0] * p.recipes[0][1] + per_grade[1] * p.recipes[1][1]
                    }
                    Commodity::Concentrate => 0.0,
                };
                v[days] / DAYS_PER_MONTH * monthly
            }
        })
        .collect()
}

/// Simulates run `run` of a batch seeded with `seed`.
pub fn simulate(sc: &Scenario, seed: u64, run: u64) -> RunOutput {
    let v = sc.params.sample(seed, run);
    simulate_with(sc, v, seed, run)
}

/// Simulates with given parameter values (outages and control occurrence still draw from the
/// run's streams).
pub fn simulate_with(sc: &Scenario, v: Values, seed: u64, run: u64) -> RunOutput {
    let n = sc.regions.len();
    let courses = controls::courses(sc, &v, seed, run);
    let params = chain_params(sc, &v);
    let initial = stockpile_initial(sc, &v, &params);
    let mut stockpiles: Vec<StockpileState> = sc
        .stockpiles
        .iter()
        .zip(&initial)
        .map(|(s, &level)| StockpileState {
            region: s.region,
            commodity: s.commodity,
            level,
            capacity: level,
            max_release: s.max_release.map_or(f64::INFINITY, |id| v[id]),
            on_control: s.on_control,
            on_shortage: s.on_shortage,
            threshold: v[s.threshold],
            control_active: false,
            serves: s.serves.clone(),
            priority_sectors: s.priority_sectors.clone(),
            refill_rate: s.refill_rate.map_or(0.0, |id| v[id]),
            refill_delay: v[s.refill_delay],
            refill_budget: s.refill_budget.map_or(f64::INFINITY, |(b, p)| v[b] / v[p]),
            quiet_months: f64::INFINITY,
            saw_shortage: false,
        })
        .collect();

    // Outage processes, each on its own stream, in a fixed order.
    fn mk(o: &Option<Outage>, seed: u64, run: u64) -> Option<OutageState<'_>> {
        o.as_ref().map(|def| OutageState {
            def,
            stream: streams::stream(seed, run, &def.key),
            remaining: 0,
        })
    }
    let mut mine_out: Vec<Vec<Option<OutageState>>> = Vec::new();
    let mut sep_out: Vec<Vec<Option<OutageState>>> = Vec::new();
    let mut mag_out: Vec<Vec<Option<OutageState>>> = Vec::new();
    for r in &sc.regions {
        mine_out.push(r.mines.iter().map(|m| mk(&m.outage, seed, run)).collect());
        sep_out.push(
            r.separation
                .iter()
                .map(|m| mk(&m.outage, seed, run))
                .collect(),
        );
        mag_out.push(
            r.magnet_plants
                .iter()
                .map(|m| mk(&m.outage, seed, run))
                .collect(),
        );
    }
    // Months of capacity growth each region has had; technology-export controls slow it.
    let mut growth_months = vec![0.0; n];
    // Capacity after growth: declines follow the calendar, additions the region's growth clock.
    let grown = |rate: f64, t: usize, gm: f64| {
        if rate > 0.0 {
            (1.0 + rate).powf(gm / 12.0)
        } else {
            growth_factor(rate, t)
        }
    };

    let mut stocks = Stocks::zero(n);
    let mut history = History::new(sc.controls.len());
    let mut records = Vec::with_capacity(sc.horizon);
    for t in 0..sc.horizon {
        let mut x = Exogenous {
            demand: demand(sc, &v, t),
            ..Default::default()
        };
        for (ri, r) in sc.regions.iter().enumerate() {
            let gm = growth_months[ri];
            let mut caps = Vec::with_capacity(r.mines.len());
            let mut shares = Vec::with_capacity(r.mines.len());
            for (m, o) in r.mines.iter().zip(mine_out[ri].iter_mut()) {
                let avail = o.as_mut().map_or(1.0, |o| o.month(&v));
                caps.push(
                    v[m.capacity] * v[m.utilisation] * grown(v[m.growth], t, gm) / 12.0 * avail,
                );
                shares.push([v[m.ndpr_share], v[m.dytb_share]]);
            }
            x.mine_cap.push(caps);
            x.mine_shares.push(shares);
            let (mut light, mut heavy, mut rec_w) = (0.0, 0.0, 0.0);
            for (s, o) in r.separation.iter().zip(sep_out[ri].iter_mut()) {
                let f = v[s.utilisation] * grown(v[s.growth], t, gm) / 12.0
                    * o.as_mut().map_or(1.0, |o| o.month(&v));
                light += v[s.light_capacity] * f;
                heavy += v[s.heavy_capacity] * f;
                rec_w += v[s.recovery] * (v[s.light_capacity] + v[s.heavy_capacity]);
            }
            let nominal: f64 = r
                .separation
                .iter()
                .map(|s| v[s.light_capacity] + v[s.heavy_capacity])
                .sum();
            x.light_cap.push(light);
            x.heavy_cap.push(heavy);
            // Region recovery: capacity-weighted mean of its plants' recoveries.
            x.recovery
                .push(if nominal > 0.0 { rec_w / nominal } else { 1.0 });
            let mut mag = 0.0;
            for (m, o) in r.magnet_plants.iter().zip(mag_out[ri].iter_mut()) {
                let avail = o.as_mut().map_or(1.0, |o| o.month(&v));
                mag += v[m.capacity] * v[m.utilisation] * grown(v[m.growth], t, gm) / 12.0 * avail;
            }
            x.magnet_cap.push(mag);
            growth_months[ri] += controls::technology_factor(sc, &v, &courses, ri, t);
        }
        let mut limits = Limits::for_month(sc, &v, &courses, &mut history, t);
        for (sp, def) in stockpiles.iter_mut().zip(&sc.stockpiles) {
            sp.control_active = if def.release_controls.is_empty() {
                def.serves.iter().any(|&r| limits.against(sc, r))
            } else {
                def.release_controls.iter().any(|&c| limits.is_active(c))
            };
        }
        let mut rec = MonthRecord::default();
        chain::step(
            &params,
            &x,
            &mut limits,
            &mut stocks,
            &mut stockpiles,
            t,
            t == 0,
            &mut rec,
        );
        history.record(sc, &rec.flows, n);
        records.push(rec);
    }
    RunOutput {
        values: v,
        courses,
        records,
        stockpile_initial: initial,
        params,
    }
}
