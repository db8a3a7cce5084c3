//! One Monte Carlo run: sample the parameters, draw the control windows and outages, and step
//! the chain month by month.

use rand_distr::{Bernoulli, Distribution};

use crate::market;
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
    /// `[region][mine, separation, magnet]` capacity (t/yr) new by the horizon's end: pipeline
    /// projects online and price-driven additions.
    pub new_capacity: Vec<[f64; 3]>,
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
        Commodity::Concentrate => 0.0,
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
            price_high: false,
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
    // Pipeline projects: whether each succeeds, and when it comes online (technology controls
    // in force against its region by then delay it and stretch its ramp-up).
    let project = |ri: usize, p: &Option<crate::model::Pipeline>| -> Option<Project> {
        p.as_ref().map(|p| {
            let u: f64 = rand::RngExt::random(&mut streams::stream(seed, run, &p.key));
            let planned = v[p.online_month].round().max(0.0) as usize;
            let (delay, slowdown) = technology_before(sc, &v, &courses, ri, planned);
            Project {
                success: u < v[p.success],
                online: planned + delay.round() as usize,
                ramp: v[p.ramp_months] / (1.0 - slowdown).max(1e-6),
            }
        })
    };
    let mine_projects: Vec<Vec<Option<Project>>> = sc
        .regions
        .iter()
        .enumerate()
        .map(|(ri, r)| r.mines.iter().map(|m| project(ri, &m.pipeline)).collect())
        .collect();
    let sep_projects: Vec<Vec<Option<Project>>> = sc
        .regions
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            r.separation
                .iter()
                .map(|m| project(ri, &m.pipeline))
                .collect()
        })
        .collect();
    let mag_projects: Vec<Vec<Option<Project>>> = sc
        .regions
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            r.magnet_plants
                .iter()
                .map(|m| project(ri, &m.pipeline))
                .collect()
        })
        .collect();
    let on = |p: &Option<Project>, t: usize| p.as_ref().map_or(1.0, |p| p.factor(t));

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

    let mut prices = market::Prices::new(n);
    let mut response = market::Response::new(sc);
    let mut expansion = market::Expansion::new(n);
    let mut stocks = Stocks::zero(n);
    let mut history = History::new(sc.controls.len());
    let mut records = Vec::with_capacity(sc.horizon);
    let base = |t: usize| demand(sc, &v, t);
    for t in 0..sc.horizon {
        let base_demand = base(t);
        let mut x = Exogenous::default();
        x.demand = sc
            .regions
            .iter()
            .enumerate()
            .map(|(ri, r)| {
                r.sectors
                    .iter()
                    .enumerate()
                    .map(|(ls, s)| {
                        let d = base_demand[ri][ls][0] + base_demand[ri][ls][1];
                        response.demand(
                            ri,
                            ls,
                            d,
                            v[s.high_temp_share],
                            v[s.response.elasticity],
                            &prices,
                        )
                    })
                    .collect()
            })
            .collect();
        x.recycled = (0..n)
            .map(|ri| market::recycled(sc, &v, ri, &x.demand[ri], &params.recipes, &prices))
            .collect();
        let mut nominal = vec![[0.0; 3]; n];
        for (ri, r) in sc.regions.iter().enumerate() {
            let gm = growth_months[ri];
            let mut caps = Vec::with_capacity(r.mines.len() + 1);
            let mut shares = Vec::with_capacity(r.mines.len() + 1);
            for (mi, (m, o)) in r.mines.iter().zip(mine_out[ri].iter_mut()).enumerate() {
                let avail = o.as_mut().map_or(1.0, |o| o.month(&v));
                let cap = v[m.capacity] * v[m.utilisation] * grown(v[m.growth], t, gm) / 12.0
                    * on(&mine_projects[ri][mi], t);
                nominal[ri][0] += cap * 12.0;
                caps.push(cap * avail);
                shares.push([v[m.ndpr_share], v[m.dytb_share]]);
            }
            // Price-driven new mines produce the region's existing mix (else the world's).
            let added = expansion.online(ri, 0, t);
            if added > 0.0 {
                let mix = mix_of(&caps, &shares).unwrap_or(params.world_shares);
                caps.push(added / 12.0);
                shares.push(mix);
                nominal[ri][0] += added;
            }
            x.mine_cap.push(caps);
            x.mine_shares.push(shares);
            let (mut light, mut heavy, mut rec_w) = (0.0, 0.0, 0.0);
            for (si, (s, o)) in r.separation.iter().zip(sep_out[ri].iter_mut()).enumerate() {
                let f = v[s.utilisation] * grown(v[s.growth], t, gm) / 12.0
                    * on(&sep_projects[ri][si], t);
                let avail = o.as_mut().map_or(1.0, |o| o.month(&v));
                nominal[ri][1] += (v[s.light_capacity] + v[s.heavy_capacity]) * f * 12.0;
                light += v[s.light_capacity] * f * avail;
                heavy += v[s.heavy_capacity] * f * avail;
                rec_w += v[s.recovery] * (v[s.light_capacity] + v[s.heavy_capacity]);
            }
            let added = expansion.online(ri, 1, t);
            if added > 0.0 {
                // New separation keeps the region's light/heavy split (5% heavy where it has none).
                let hs = if light + heavy > 0.0 && heavy > 0.0 {
                    heavy / (light + heavy)
                } else {
                    0.05
                };
                light += added / 12.0 * (1.0 - hs);
                heavy += added / 12.0 * hs;
                nominal[ri][1] += added;
            }
            let nominal_sep: f64 = r
                .separation
                .iter()
                .map(|s| v[s.light_capacity] + v[s.heavy_capacity])
                .sum();
            x.light_cap.push(light);
            x.heavy_cap.push(heavy);
            // Region recovery: capacity-weighted mean of its plants' recoveries.
            x.recovery.push(if nominal_sep > 0.0 {
                rec_w / nominal_sep
            } else {
                0.95
            });
            let mut mag = 0.0;
            for (pi, (m, o)) in r
                .magnet_plants
                .iter()
                .zip(mag_out[ri].iter_mut())
                .enumerate()
            {
                let avail = o.as_mut().map_or(1.0, |o| o.month(&v));
                let cap = v[m.capacity] * v[m.utilisation] * grown(v[m.growth], t, gm) / 12.0
                    * on(&mag_projects[ri][pi], t);
                nominal[ri][2] += cap * 12.0;
                mag += cap * avail;
            }
            let added = expansion.online(ri, 2, t);
            mag += added / 12.0;
            nominal[ri][2] += added;
            x.magnet_cap.push(mag);
            growth_months[ri] += controls::technology_factor(sc, &v, &courses, ri, t);
        }
        let hoarding = v[sc.market.hoarding];
        if hoarding > 0.0 {
            let months = v[sc.market.hoarding_months].round().max(1.0) as usize;
            x.stock_factor = prices.stock_factors(hoarding, months);
        }
        let mut limits = Limits::for_month(sc, &v, &courses, &mut history, t);
        limits.cap_production(&mut x);
        for (sp, def) in stockpiles.iter_mut().zip(&sc.stockpiles) {
            sp.control_active = if def.release_controls.is_empty() {
                def.serves.iter().any(|&r| limits.against(sc, r))
            } else {
                def.release_controls.iter().any(|&c| limits.is_active(c))
            };
            sp.price_high = def
                .price_trigger
                .is_some_and(|p| prices.index(def.region, def.commodity) >= v[p]);
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
        history.record(sc, &rec);
        rec.prices = prices.all();
        rec.forgone = x
            .demand
            .iter()
            .enumerate()
            .map(|(ri, secs)| {
                secs.iter()
                    .enumerate()
                    .map(|(ls, d)| {
                        let b = base_demand[ri][ls][0] + base_demand[ri][ls][1];
                        response.forgone(ri, ls, b, *d)
                    })
                    .collect()
            })
            .collect();
        rec.substituted = response.substituted.clone();
        rec.heavy_free = response.heavy_free.clone();
        prices.update(sc, &v, &rec, &params.recipes);
        response.update(sc, &v, &prices);
        let tech = |r: usize| technology_in_force(sc, &v, &courses, r, t);
        expansion.update(sc, &v, t, &prices, &nominal, &tech);
        records.push(rec);
    }
    // Capacity (t/yr) new by the end: pipeline projects online and price-driven additions.
    let end = sc.horizon.saturating_sub(1);
    let new_capacity: Vec<[f64; 3]> = sc
        .regions
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            let mine: f64 = r
                .mines
                .iter()
                .zip(&mine_projects[ri])
                .filter(|(_, p)| p.is_some())
                .map(|(m, p)| v[m.capacity] * v[m.utilisation] * on(p, end))
                .sum();
            let sep: f64 = r
                .separation
                .iter()
                .zip(&sep_projects[ri])
                .filter(|(_, p)| p.is_some())
                .map(|(s, p)| {
                    (v[s.light_capacity] + v[s.heavy_capacity]) * v[s.utilisation] * on(p, end)
                })
                .sum();
            let mag: f64 = r
                .magnet_plants
                .iter()
                .zip(&mag_projects[ri])
                .filter(|(_, p)| p.is_some())
                .map(|(m, p)| v[m.capacity] * v[m.utilisation] * on(p, end))
                .sum();
            [mine, sep, mag]
                .iter()
                .enumerate()
                .map(|(k, x)| x + expansion.online(ri, k, end))
                .collect::<Vec<f64>>()
                .try_into()
                .expect("three stages")
        })
        .collect();
    RunOutput {
        values: v,
        courses,
        records,
        stockpile_initial: initial,
        params,
        new_capacity,
    }
}

/// A pipeline project in one run.
#[derive(Debug, Clone, Copy)]
struct Project {
    success: bool,
    online: usize,
    ramp: f64,
}

impl Project {
    /// Share of the project's capacity available in month `t`.
    fn factor(&self, t: usize) -> f64 {
        if !self.success || t < self.online {
            0.0
        } else if self.ramp <= 0.0 {
            1.0
        } else {
            ((t - self.online + 1) as f64 / self.ramp).min(1.0)
        }
    }
}

/// Capacity-weighted (NdPr, Dy/Tb) mix of a region's mines this month.
fn mix_of(caps: &[f64], shares: &[[f64; 2]]) -> Option<[f64; 2]> {
    let total: f64 = caps.iter().sum();
    (total > 0.0).then(|| {
        let mut m = [0.0; 2];
        for (c, s) in caps.iter().zip(shares) {
            m[0] += c * s[0] / total;
            m[1] += c * s[1] / total;
        }
        m
    })
}

/// Largest (delay months, slowdown) of the technology controls against region `r` whose
/// course satisfies `applies`.
fn technology(
    sc: &Scenario,
    v: &Values,
    courses: &[controls::Course],
    r: usize,
    applies: impl Fn(&controls::Course) -> bool,
) -> (f64, f64) {
    let mut out = (0.0f64, 0.0f64);
    for (c, course) in sc.controls.iter().zip(courses) {
        if let crate::model::ControlKind::Technology {
            delay_months,
            slowdown,
        } = c.kind
            && c.destinations.contains(&r)
            && applies(course)
        {
            out = (out.0.max(v[delay_months]), out.1.max(v[slowdown]));
        }
    }
    out
}

/// Technology controls against `r` that occur and start by month `by`.
fn technology_before(
    sc: &Scenario,
    v: &Values,
    courses: &[controls::Course],
    r: usize,
    by: usize,
) -> (f64, f64) {
    technology(sc, v, courses, r, |c| c.occurs && c.start <= by)
}

/// Technology controls in force against `r` in month `t`.
fn technology_in_force(
    sc: &Scenario,
    v: &Values,
    courses: &[controls::Course],
    r: usize,
    t: usize,
) -> (f64, f64) {
    technology(sc, v, courses, r, |c| c.active(t))
}
