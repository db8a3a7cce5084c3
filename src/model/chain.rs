//! The monthly step of the magnet chain: mine -> separation -> magnet -> end use, with trade,
//! commercial inventories, export controls and strategic stockpiles.
//!
//! Each month runs a planning pass upstream (end-use demand sets magnet orders, planned magnet
//! output sets oxide orders, planned separation sets concentrate orders; each placed at home
//! first, then with exporters within export controls), then a physical pass downstream in which
//! every stage produces what its plan, its capacity and its inputs allow, ships the planned
//! exports it can spare after home use, and end users are served by priority. docs/model.md
//! gives the equations; the functions here follow its numbering.

// Index loops over regions and elements read closer to the equations in docs/model.md than
// zipped iterators over several parallel arrays.
#![allow(clippy::needless_range_loop)]

use crate::model::lot::Lot;
use crate::model::trade::place_orders_within_controls;
use crate::model::{Commodity, N_COMMODITIES};
use crate::policy::controls::Limits;
use crate::policy::stockpile::{StockpileState, by_priority, serve};

/// Average days per month (365.25 / 12), converting "days of cover" to months.
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// Largest output per grade `[standard, high_temp]` that oxide `avail` (`[NdPr, Dy/Tb]`, t)
/// can feed, high_temp first up to `ht_want` t (it needs the scarcer Dy/Tb), the rest of the
/// oxide to standard.
pub fn grade_caps(avail: [f64; 2], recipes: &[[f64; 2]; 2], ht_want: f64) -> [f64; 2] {
    let per = |a: f64, need: f64| if need > 0.0 { a / need } else { f64::INFINITY };
    let ht_cap = per(avail[NDPR], recipes[1][NDPR]).min(per(avail[DYTB], recipes[1][DYTB]));
    let ht = ht_cap.min(ht_want.max(0.0));
    let left = [
        avail[NDPR] - ht * recipes[1][NDPR],
        avail[DYTB] - ht * recipes[1][DYTB],
    ];
    let std_cap =
        per(left[NDPR].max(0.0), recipes[0][NDPR]).min(per(left[DYTB].max(0.0), recipes[0][DYTB]));
    [std_cap, ht_cap]
}

/// Share of a magnet's oxide (by mass) from an origin at which the magnet counts as containing
/// that origin's material (facts: the October 2025 rule reached items with >= 0.1% Chinese
/// rare-earth value; mass stands in for value here).
pub const DE_MINIMIS: f64 = 0.001;
const NDPR: usize = 0;
const DYTB: usize = 1;
const OTHER: usize = 2;

/// Per-run constants of the chain, already sampled.
#[derive(Debug, Clone)]
pub struct ChainParams {
    /// `[grade][NDPR | DYTB]` t oxide per t magnet.
    pub recipes: [[f64; 2]; 2],
    /// `[region][commodity]` target commercial inventory, days of use.
    pub inventory_days: Vec<[f64; N_COMMODITIES]>,
    /// Months over which an inventory gap is closed.
    pub rebuild_months: f64,
    /// `[region][local sector]` allocation priority (1 first).
    pub priority: Vec<Vec<u32>>,
    /// `[region][local sector]` index into `Scenario::sectors`.
    pub sector_ids: Vec<Vec<usize>>,
    /// NdPr and Dy/Tb share of the world's mine capacity, used to plan feed in a region whose
    /// concentrate pool and mines are empty.
    pub world_shares: [f64; 2],
}

/// What this month brings from outside the chain (capacities after growth and outages, and
/// end-use demand), in t per month.
#[derive(Debug, Clone, Default)]
pub struct Exogenous {
    /// `[region][mine]` t REO.
    pub mine_cap: Vec<Vec<f64>>,
    /// `[region][mine]` (NdPr share, Dy/Tb share) of the mine's REO.
    pub mine_shares: Vec<Vec<[f64; 2]>>,
    /// `[region]` t NdPr oxide.
    pub light_cap: Vec<f64>,
    /// `[region]` t Dy/Tb oxide.
    pub heavy_cap: Vec<f64>,
    /// `[region]` recovery of contained NdPr and Dy/Tb into separated oxide.
    pub recovery: Vec<f64>,
    /// `[region]` t magnet.
    pub magnet_cap: Vec<f64>,
    /// `[region][local sector][grade]` t magnet.
    pub demand: Vec<Vec<[f64; 2]>>,
    /// `[region][NDPR | DYTB]` oxide recovered from recycled magnets this month.
    pub recycled: Vec<[f64; 2]>,
    /// `[region][commodity]` multiplier on the days of cover buyers want (speculative stocking,
    /// market (M1b)); empty: 1 everywhere.
    pub stock_factor: Vec<[f64; N_COMMODITIES]>,
}

/// A shipment in transit (licensing delays).
#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    /// Month it arrives.
    pub due: usize,
    pub commodity: Commodity,
    pub origin: usize,
    pub destination: usize,
    pub lot: Lot,
}

/// Commercial stocks and goods in transit.
#[derive(Debug, Clone, PartialEq)]
pub struct Stocks {
    /// `[region][commodity]`.
    pub lots: Vec<Vec<Lot>>,
    pub transit: Vec<Shipment>,
    /// `[region][NDPR | DYTB]` last month's oxide imports, and whether they were rationed
    /// (less arrived than was ordered abroad); empty before the first month.
    pub oxide_imports: Vec<[(f64, bool); 2]>,
}

impl Stocks {
    pub fn zero(n: usize) -> Self {
        Stocks {
            lots: (0..n)
                .map(|_| Commodity::ALL.map(|c| Lot::empty(c, n)).to_vec())
                .collect(),
            transit: Vec::new(),
            oxide_imports: Vec::new(),
        }
    }

    /// Stock of commodity `c` in region `r` (concentrate as total REO).
    pub fn get(&self, r: usize, c: Commodity) -> f64 {
        self.lots[r][c as usize].total()
    }
}

/// Tonnes held, by region and commodity, and in transit: what records keep of `Stocks` (the
/// lots themselves, with their tags, stay in the run).
#[derive(Debug, Clone, PartialEq)]
pub struct StockTotals {
    /// `[region][commodity]` commercial stock.
    pub held: Vec<[f64; N_COMMODITIES]>,
    /// `[region][commodity]` in transit to the region.
    pub inbound: Vec<[f64; N_COMMODITIES]>,
}

impl StockTotals {
    pub fn of(s: &Stocks) -> Self {
        let n = s.lots.len();
        let held = (0..n)
            .map(|r| Commodity::ALL.map(|c| s.get(r, c)))
            .collect();
        let mut inbound = vec![[0.0; N_COMMODITIES]; n];
        for sh in &s.transit {
            inbound[sh.destination][sh.commodity as usize] += sh.lot.total();
        }
        StockTotals { held, inbound }
    }

    /// Stock of commodity `c` in region `r`.
    pub fn get(&self, r: usize, c: Commodity) -> f64 {
        self.held[r][c as usize]
    }

    /// Tonnes of `c` in transit to region `d`.
    pub fn inbound(&self, c: Commodity, d: usize) -> f64 {
        self.inbound[d][c as usize]
    }

    /// Tonnes of `c` in transit to any region.
    pub fn in_transit(&self, c: Commodity) -> f64 {
        self.inbound.iter().map(|x| x[c as usize]).sum()
    }
}

/// Everything that happened in one month, for outputs and for mass-balance checks.
#[derive(Debug, Clone, Default)]
pub struct MonthRecord {
    /// `[region]` mine output content (NdPr, Dy/Tb, other), t REO.
    pub mine_out: Vec<[f64; 3]>,
    /// `[region]` concentrate fed to separation, t REO.
    pub feed: Vec<f64>,
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
    pub flows: Vec<Vec<f64>>,
    /// `[commodity][o * n + d]` arrived this month (imports); differs from `flows` only when
    /// licensing delays shipments.
    pub arrivals: Vec<Vec<f64>>,
    /// `[commodity][o * n + d]` shipped under licence (approved) this month.
    pub licensed: Vec<Vec<f64>>,
    /// `[commodity][o * n + d]` shipped this month that arrives in a later month.
    pub delayed: Vec<Vec<f64>>,
    /// `[region][local sector][grade]`.
    pub demand: Vec<Vec<[f64; 2]>>,
    /// `[region][local sector][grade]`, including stockpile releases.
    pub delivered: Vec<Vec<[f64; 2]>>,
    /// `[stockpile][region served]` released this month.
    pub released: Vec<Vec<f64>>,
    /// `[stockpile][region]` bought back from the commercial stock of its region this month.
    pub refilled: Vec<Vec<f64>>,
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
    pub fn exports(&self, r: usize, c: Commodity) -> f64 {
        let n = self.mine_out.len();
        self.flows[c as usize][r * n..(r + 1) * n].iter().sum()
    }

    pub fn imports(&self, r: usize, c: Commodity) -> f64 {
        let n = self.mine_out.len();
        (0..n).map(|o| self.arrivals[c as usize][o * n + r]).sum()
    }

    /// Total released by stockpile `i` this month.
    pub fn released_by(&self, i: usize) -> f64 {
        self.released[i].iter().sum()
    }
}

/// Order-up-to rule (1): orders = use + (target - position) / rebuild months, never negative.
pub fn orders(use_: f64, target: f64, position: f64, rebuild_months: f64) -> f64 {
    (use_ + (target - position) / rebuild_months).max(0.0)
}

/// Target stock (2): days of cover times monthly use.
pub fn target(days: f64, use_: f64) -> f64 {
    days / DAYS_PER_MONTH * use_
}

/// The plan of one commodity: home production, planned exports and the home use it serves.
#[derive(Debug, Clone, Default)]
struct Plan {
    /// `[region][item]` flattened as `r * k + j`.
    production: Vec<f64>,
    /// `[j][o * n + d]` planned flows per item.
    flows: Vec<Vec<f64>>,
    /// Home use per region and item, `r * k + j`.
    use_: Vec<f64>,
    /// Orders each region wanted to place abroad, `r * k + j` (before controls).
    import_orders: Vec<f64>,
}

/// Plans `k` items (grades or oxides) that share (`shared`: `cap[r]`) or split (`cap[r*k+j]`)
/// producing capacity. `use_`, `position` (stock on hand), `days` are `[r*k+j]`.
/// In month 0 (`init`) positions are first set to their targets and returned that way.
#[allow(clippy::too_many_arguments)]
fn plan_items(
    n: usize,
    k: usize,
    commodities: &[Commodity],
    use_: Vec<f64>,
    position: &mut [f64],
    days: &[f64],
    cap: &[f64],
    item_cap: Option<&[f64]>,
    shared: bool,
    rebuild: f64,
    init: bool,
    limits: &mut Limits,
) -> Plan {
    let mut want = vec![0.0; n * k];
    for i in 0..n * k {
        let t = target(days[i], use_[i]);
        if init {
            position[i] = t;
        }
        want[i] = orders(use_[i], t, position[i], rebuild);
    }
    // (3) Home production first, within capacity (pro rata across items that share it).
    let mut production = vec![0.0; n * k];
    let mut spare = vec![0.0; n * k];
    for r in 0..n {
        if shared {
            let total: f64 = want[r * k..(r + 1) * k].iter().sum();
            let s = if total > cap[r] && total > 0.0 {
                cap[r] / total
            } else {
                1.0
            };
            let mut usable = 0.0;
            for j in 0..k {
                let limit = item_cap.map_or(f64::INFINITY, |c| c[r * k + j]);
                production[r * k + j] = (want[r * k + j] * s).min(limit);
                usable += limit;
            }
            // Capacity that inputs cannot feed is no spare capacity either.
            let made: f64 = production[r * k..(r + 1) * k].iter().sum();
            spare[r * k] = (cap[r].min(usable) - made).max(0.0);
        } else {
            for j in 0..k {
                let i = r * k + j;
                production[i] = want[i].min(cap[i]);
                spare[i] = (cap[i] - production[i]).max(0.0);
            }
        }
    }
    let mut residual: Vec<f64> = want
        .iter()
        .zip(&production)
        .map(|(w, p)| (w - p).max(0.0))
        .collect();
    let import_orders = residual.clone();
    // (4) Spare shared capacity is offered to each item in proportion to the world's residual
    // orders for it.
    let mut pooled: Vec<f64> = vec![0.0; n];
    if shared {
        let per_item: Vec<f64> = (0..k)
            .map(|j| (0..n).map(|r| residual[r * k + j]).sum())
            .collect();
        let total: f64 = per_item.iter().sum();
        for r in 0..n {
            let left = spare[r * k];
            for j in 0..k {
                spare[r * k + j] = if total > 0.0 {
                    left * per_item[j] / total
                } else {
                    0.0
                };
            }
            if total <= 0.0 {
                pooled[r] = left;
            }
        }
    }
    // (5) Imports: residual orders placed with other regions' spare capacity within controls.
    let mut flows = vec![vec![0.0; n * n]; k];
    for (j, &c) in commodities.iter().enumerate() {
        let mut needs: Vec<f64> = (0..n).map(|r| residual[r * k + j]).collect();
        let mut sp: Vec<f64> = (0..n).map(|r| spare[r * k + j]).collect();
        let f = place_orders_within_controls(c, &mut needs, &mut sp, limits);
        for r in 0..n {
            production[r * k + j] += f[r * n..(r + 1) * n].iter().sum::<f64>();
            residual[r * k + j] = needs[r];
            pooled[r] += sp[r];
        }
        flows[j] = f;
    }
    // Shared capacity one item could not use (its routes closed by a control, say) is offered
    // once more to every item's remaining orders.
    if shared && residual.iter().any(|&x| x > 0.0) && pooled.iter().any(|&x| x > 0.0) {
        for (j, &c) in commodities.iter().enumerate() {
            let mut needs: Vec<f64> = (0..n).map(|r| residual[r * k + j]).collect();
            let f = place_orders_within_controls(c, &mut needs, &mut pooled, limits);
            for r in 0..n {
                production[r * k + j] += f[r * n..(r + 1) * n].iter().sum::<f64>();
                residual[r * k + j] = needs[r];
            }
            for (x, y) in flows[j].iter_mut().zip(&f) {
                *x += y;
            }
        }
    }
    Plan {
        production,
        flows,
        use_,
        import_orders,
    }
}

/// Scales planned exports of one commodity to what exporters can spare after home use (6),
/// every destination's share alike. Returns the flows to ship.
fn ship(n: usize, planned: &[f64], avail: &[f64], home_use: &[f64]) -> Vec<f64> {
    let mut flows = planned.to_vec();
    for o in 0..n {
        let asked: f64 = planned[o * n..(o + 1) * n].iter().sum();
        let can = (avail[o] - home_use[o]).max(0.0);
        if asked > can {
            let s = if asked > 0.0 { can / asked } else { 0.0 };
            flows[o * n..(o + 1) * n].iter_mut().for_each(|f| *f *= s);
        }
    }
    flows
}

/// Moves one commodity between regions (6): first the shipments due this month arrive, then
/// exporters ship what the plan asks and they can spare; shipments on licensed routes arrive
/// `delay` months later (a fractional delay splits a shipment over two months).
#[allow(clippy::too_many_arguments)]
fn trade(
    n: usize,
    month: usize,
    c: Commodity,
    planned: &[f64],
    home_use: &[f64],
    stocks: &mut Stocks,
    limits: &Limits,
    rec: &mut MonthRecord,
) {
    let ci = c as usize;
    let mut still = Vec::with_capacity(stocks.transit.len());
    for s in std::mem::take(&mut stocks.transit) {
        if s.due <= month && s.commodity == c {
            rec.arrivals[ci][s.origin * n + s.destination] += s.lot.total();
            stocks.lots[s.destination][ci].add(&s.lot);
        } else {
            still.push(s);
        }
    }
    stocks.transit = still;
    let avail: Vec<f64> = (0..n).map(|r| stocks.lots[r][ci].total()).collect();
    let flows = ship(n, planned, &avail, home_use);
    let mut arriving: Vec<(usize, usize, Lot)> = Vec::new();
    for o in 0..n {
        for d in 0..n {
            let q = flows[o * n + d];
            if q <= 0.0 {
                continue;
            }
            let mut lot = stocks.lots[o][ci].take(q);
            if limits.licensed(c, o, d) {
                rec.licensed[ci][o * n + d] += q;
            }
            let delay = limits.delay(c, o, d);
            if delay <= 0.0 {
                arriving.push((o, d, lot));
                continue;
            }
            let whole = delay.floor();
            let late = delay - whole;
            let first = lot.take(q * (1.0 - late));
            for (due, part) in [
                (month + whole as usize, first),
                (month + whole as usize + 1, lot),
            ] {
                if part.total() <= 0.0 {
                    continue;
                }
                if due == month {
                    arriving.push((o, d, part));
                } else {
                    rec.delayed[ci][o * n + d] += part.total();
                    stocks.transit.push(Shipment {
                        due,
                        commodity: c,
                        origin: o,
                        destination: d,
                        lot: part,
                    });
                }
            }
        }
    }
    for (o, d, lot) in arriving {
        rec.arrivals[ci][o * n + d] += lot.total();
        stocks.lots[d][ci].add(&lot);
    }
    rec.flows[ci] = flows;
}

/// Composition (NdPr, Dy/Tb share) of a region's own mines, or None without mines.
fn mine_shares(x: &Exogenous, r: usize) -> Option<[f64; 2]> {
    let total: f64 = x.mine_cap[r].iter().sum();
    (total > 0.0).then(|| {
        let mut s = [0.0; 2];
        for (cap, sh) in x.mine_cap[r].iter().zip(&x.mine_shares[r]) {
            s[0] += cap * sh[0] / total;
            s[1] += cap * sh[1] / total;
        }
        s
    })
}

/// Composition used to plan feed: the region's concentrate pool (what separation will draw
/// on), else its mines' mix, else the world's mine mix.
fn planning_shares(pool: &[f64; 3], x: &Exogenous, r: usize, world: [f64; 2]) -> [f64; 2] {
    let total: f64 = pool.iter().sum();
    if total > 0.0 {
        [pool[NDPR] / total, pool[DYTB] / total]
    } else {
        mine_shares(x, r).unwrap_or(world)
    }
}

/// Feed (t REO) needed for planned oxide output, within the feed the plant can take (8).
fn feed_need(
    plan: [f64; 2],
    shares: [f64; 2],
    recovery: f64,
    light_cap: f64,
    heavy_cap: f64,
) -> f64 {
    let per = |out: f64, s: f64| {
        if out > 0.0 && s > 0.0 {
            out / (recovery * s)
        } else {
            0.0
        }
    };
    let need = per(plan[NDPR], shares[NDPR]).max(per(plan[DYTB], shares[DYTB]));
    let capacity = per(light_cap, shares[NDPR]).max(per(heavy_cap, shares[DYTB]));
    need.min(capacity)
}

/// Each region's feed need for its planned oxide output at pool shares `shares`.
fn feed_uses(x: &Exogenous, ox_plan: &Plan, shares: &[[f64; 2]]) -> Vec<f64> {
    (0..shares.len())
        .map(|r| {
            let plan = [ox_plan.production[r * 2], ox_plan.production[r * 2 + 1]];
            feed_need(
                plan,
                shares[r],
                x.recovery[r],
                x.light_cap[r],
                x.heavy_cap[r],
            )
        })
        .collect()
}

/// Runs one month (`month`, 0-based). `stocks` and `stockpiles` are updated in place; `rec`
/// receives every flow. In month 0 (`init`) commercial stocks are first set to their targets.
#[allow(clippy::too_many_arguments)]
pub fn step(
    p: &ChainParams,
    x: &Exogenous,
    limits: &mut Limits,
    stocks: &mut Stocks,
    stockpiles: &mut [StockpileState],
    month: usize,
    init: bool,
    rec: &mut MonthRecord,
) {
    let n = x.magnet_cap.len();
    let days: Vec<[f64; N_COMMODITIES]> = (0..n)
        .map(|r| {
            let mut d = p.inventory_days[r];
            if let Some(f) = x.stock_factor.get(r) {
                d.iter_mut().zip(f).for_each(|(d, f)| *d *= f);
            }
            d
        })
        .collect();
    let tau = p.rebuild_months;
    use Commodity::*;

    // ---- Planning pass, downstream to upstream ----
    // Magnets: use = end-use demand per grade, plus what stockpiles of the grade buy back.
    let refill_use = |r: usize, c: Commodity| -> f64 {
        stockpiles
            .iter()
            .filter(|s| s.region == r && s.commodity == c)
            .map(|s| s.refill_wanted())
            .sum()
    };
    let mag_use: Vec<f64> = (0..n)
        .flat_map(|r| (0..2).map(move |g| x.demand[r].iter().map(|s| s[g]).sum::<f64>()))
        .enumerate()
        .map(|(i, u)| u + refill_use(i / 2, Commodity::magnet(crate::model::Grade::ALL[i % 2])))
        .collect();
    // Orders look at stock on hand only: goods delayed in transit are not counted until they
    // arrive (a buyer facing licensing delays keeps ordering; the pipeline then overshoots
    // and orders fall back, as in 2025).
    let position = |c: Commodity, r: usize| stocks.get(r, c);
    let mut mag_pos: Vec<f64> = (0..n)
        .flat_map(|r| [position(MagnetStandard, r), position(MagnetHighTemp, r)])
        .collect();
    let mag_days: Vec<f64> = (0..n).flat_map(|r| [days[r][3], days[r][4]]).collect();
    // (3a) Where oxide imports were rationed last month (a quota, a ban, short exporters),
    // plants plan each grade only as far as stock, their region's own separation capacity and
    // last month's imports can feed it; orders beyond that go to other regions' magnet makers,
    // as magnet making moved to where the oxide was in 2010-11. Unrationed regions plan freely.
    let mag_item_cap: Vec<f64> = (0..n)
        .flat_map(|r| {
            let Some(imports) = stocks.oxide_imports.get(r) else {
                return [f64::INFINITY; 2];
            };
            if !imports[0].1 && !imports[1].1 {
                return [f64::INFINITY; 2];
            }
            let own = [x.light_cap[r], x.heavy_cap[r]];
            let avail: [f64; 2] = [0, 1].map(|e| {
                let c = if e == 0 { LightOxide } else { HeavyOxide };
                stocks.get(r, c) + own[e] + imports[e].0
            });
            grade_caps(avail, &p.recipes, mag_use[r * 2 + 1])
        })
        .collect();
    let mag_plan = plan_items(
        n,
        2,
        &[MagnetStandard, MagnetHighTemp],
        mag_use,
        &mut mag_pos,
        &mag_days,
        &x.magnet_cap,
        Some(&mag_item_cap),
        true,
        tau,
        init,
        limits,
    );
    // Oxide use = planned magnet output times the recipes (+ oxide stockpile refills).
    let ox_use: Vec<f64> = (0..n)
        .flat_map(|r| {
            let pl = &mag_plan.production;
            (0..2).map(move |e| {
                (
                    r,
                    e,
                    pl[r * 2] * p.recipes[0][e] + pl[r * 2 + 1] * p.recipes[1][e],
                )
            })
        })
        .map(|(r, e, u)| u + refill_use(r, if e == 0 { LightOxide } else { HeavyOxide }))
        .collect();
    let mut ox_pos: Vec<f64> = (0..n)
        .flat_map(|r| [position(LightOxide, r), position(HeavyOxide, r)])
        .collect();
    let ox_days: Vec<f64> = (0..n).flat_map(|r| [days[r][1], days[r][2]]).collect();
    let ox_cap: Vec<f64> = (0..n)
        .flat_map(|r| [x.light_cap[r], x.heavy_cap[r]])
        .collect();
    let ox_plan = plan_items(
        n,
        2,
        &[LightOxide, HeavyOxide],
        ox_use,
        &mut ox_pos,
        &ox_days,
        &ox_cap,
        None,
        false,
        tau,
        init,
        limits,
    );
    // Concentrate use = feed needed for the separation plan.
    let pools: Vec<[f64; 3]> = (0..n)
        .map(|r| stocks.lots[r][Concentrate as usize].q)
        .collect();
    let mut shares: Vec<[f64; 2]> = (0..n)
        .map(|r| planning_shares(&pools[r], x, r, p.world_shares))
        .collect();
    if init {
        // Month 0 starts from the feed mix the region will actually run on: its own mines
        // plus the concentrate it imports (at the exporters' mine mix), so that the pool it
        // starts with has the composition later months plan on.
        shares = init_shares(p, x, &ox_plan, &*limits, n);
    }
    let conc_use = feed_uses(x, &ox_plan, &shares);
    let mut conc_pos: Vec<f64> = (0..n).map(|r| position(Concentrate, r)).collect();
    let conc_days: Vec<f64> = (0..n).map(|r| days[r][0]).collect();
    let mine_cap: Vec<f64> = x.mine_cap.iter().map(|m| m.iter().sum()).collect();
    let conc_plan = plan_items(
        n,
        1,
        &[Concentrate],
        conc_use,
        &mut conc_pos,
        &conc_days,
        &mine_cap,
        None,
        false,
        tau,
        init,
        limits,
    );
    if init {
        for r in 0..n {
            let own = |c: Commodity, v: f64| {
                let mut l = Lot::plain(c, v, n);
                match c {
                    LightOxide | HeavyOxide => l.a[r] = v,
                    MagnetStandard | MagnetHighTemp => {
                        l.a[r] = v;
                        l.b[r] = v;
                    }
                    Concentrate => {}
                }
                l
            };
            stocks.lots[r][MagnetStandard as usize] = own(MagnetStandard, mag_pos[r * 2]);
            stocks.lots[r][MagnetHighTemp as usize] = own(MagnetHighTemp, mag_pos[r * 2 + 1]);
            stocks.lots[r][LightOxide as usize] = own(LightOxide, ox_pos[r * 2]);
            stocks.lots[r][HeavyOxide as usize] = own(HeavyOxide, ox_pos[r * 2 + 1]);
            let (s, q) = (shares[r], conc_pos[r]);
            stocks.lots[r][Concentrate as usize] =
                Lot::concentrate([q * s[0], q * s[1], q * (1.0 - s[0] - s[1])]);
        }
    }
    rec.stocks_start = Some(StockTotals::of(stocks));
    rec.home_use = (0..n)
        .map(|r| {
            [
                conc_plan.use_[r],
                ox_plan.use_[r * 2],
                ox_plan.use_[r * 2 + 1],
                mag_plan.use_[r * 2],
                mag_plan.use_[r * 2 + 1],
            ]
        })
        .collect();
    rec.target = (0..n)
        .map(|r| {
            let u = rec.home_use[r];
            [
                conc_days[r],
                ox_days[r * 2],
                ox_days[r * 2 + 1],
                mag_days[r * 2],
                mag_days[r * 2 + 1],
            ]
            .iter()
            .zip(u)
            .map(|(d, u)| target(*d, u))
            .collect::<Vec<_>>()
            .try_into()
            .expect("five commodities")
        })
        .collect();
    rec.capacity = (0..n)
        .map(|r| {
            let (us, uh) = (mag_plan.use_[r * 2], mag_plan.use_[r * 2 + 1]);
            let hs = if us + uh > 0.0 { uh / (us + uh) } else { 0.5 };
            [
                mine_cap[r],
                x.light_cap[r],
                x.heavy_cap[r],
                x.magnet_cap[r] * (1.0 - hs),
                x.magnet_cap[r] * hs,
            ]
        })
        .collect();
    rec.stockpile_start = stockpiles.iter().map(|s| s.level).collect();
    rec.flows = vec![vec![0.0; n * n]; N_COMMODITIES];
    rec.arrivals = vec![vec![0.0; n * n]; N_COMMODITIES];
    rec.licensed = vec![vec![0.0; n * n]; N_COMMODITIES];
    rec.delayed = vec![vec![0.0; n * n]; N_COMMODITIES];
    rec.released = stockpiles.iter().map(|_| vec![0.0; n]).collect();
    rec.refilled = stockpiles.iter().map(|_| vec![0.0; n]).collect();

    // ---- Physical pass, upstream to downstream ----
    // (7) Mines produce the planned concentrate, spread over sources pro rata to capacity.
    rec.mine_out = (0..n)
        .map(|r| {
            let s = if mine_cap[r] > 0.0 {
                (conc_plan.production[r] / mine_cap[r]).min(1.0)
            } else {
                0.0
            };
            let mut c = [0.0; 3];
            for (cap, sh) in x.mine_cap[r].iter().zip(&x.mine_shares[r]) {
                let q = cap * s;
                c[NDPR] += q * sh[0];
                c[DYTB] += q * sh[1];
                c[OTHER] += q * (1.0 - sh[0] - sh[1]);
            }
            c
        })
        .collect();
    for r in 0..n {
        stocks.lots[r][Concentrate as usize].add(&Lot::concentrate(rec.mine_out[r]));
    }
    trade(
        n,
        month,
        Concentrate,
        &conc_plan.flows[0],
        &conc_plan.use_,
        stocks,
        limits,
        rec,
    );

    // (8) Separation: feed for the plan at the pool's actual composition, within the stock.
    rec.feed = vec![0.0; n];
    rec.sep_out = vec![[0.0; 2]; n];
    rec.residue = vec![0.0; n];
    for r in 0..n {
        let pool = &mut stocks.lots[r][Concentrate as usize];
        let total = pool.total();
        if total <= 0.0 {
            continue;
        }
        let sh = [pool.q[NDPR] / total, pool.q[DYTB] / total];
        let plan = [ox_plan.production[r * 2], ox_plan.production[r * 2 + 1]];
        let feed = feed_need(plan, sh, x.recovery[r], x.light_cap[r], x.heavy_cap[r]).min(total);
        let fed = pool.take(feed);
        let light = (fed.q[NDPR] * x.recovery[r])
            .min(plan[NDPR])
            .min(x.light_cap[r]);
        let heavy = (fed.q[DYTB] * x.recovery[r])
            .min(plan[DYTB])
            .min(x.heavy_cap[r]);
        rec.feed[r] = fed.total();
        rec.sep_out[r] = [light, heavy];
        rec.residue[r] = rec.feed[r] - light - heavy;
        for (e, c) in [(NDPR, LightOxide), (DYTB, HeavyOxide)] {
            let mut made = Lot::plain(c, rec.sep_out[r][e], n);
            made.a[r] = rec.sep_out[r][e];
            stocks.lots[r][c as usize].add(&made);
        }
    }
    // Recycled oxide joins the region's stock (tagged as separated there).
    rec.recycled = if x.recycled.is_empty() {
        vec![[0.0; 2]; n]
    } else {
        x.recycled.clone()
    };
    for r in 0..n {
        for (e, c) in [(NDPR, LightOxide), (DYTB, HeavyOxide)] {
            let q = rec.recycled[r][e];
            if q > 0.0 {
                let mut l = Lot::plain(c, q, n);
                l.a[r] = q;
                stocks.lots[r][c as usize].add(&l);
            }
        }
    }
    for (e, c) in [(0, LightOxide), (1, HeavyOxide)] {
        let home: Vec<f64> = (0..n).map(|r| ox_plan.use_[r * 2 + e]).collect();
        trade(n, month, c, &ox_plan.flows[e], &home, stocks, limits, rec);
    }

    // (9)-(10) Magnet plants: planned output, cut first by Dy/Tb then by NdPr available (stock
    // plus what oxide stockpiles could release); stockpiles then release only what that output
    // uses beyond the stock.
    rec.oxide_used = vec![[0.0; 2]; n];
    rec.magnet_out = vec![[0.0; 2]; n];
    for r in 0..n {
        let planned = [mag_plan.production[r * 2], mag_plan.production[r * 2 + 1]];
        let wanted: [f64; 2] = [0, 1].map(|e| (0..2).map(|g| planned[g] * p.recipes[g][e]).sum());
        let stock = [stocks.get(r, LightOxide), stocks.get(r, HeavyOxide)];
        let releasable = [LightOxide, HeavyOxide].map(|c| {
            stockpiles
                .iter()
                .filter(|s| s.commodity == c && s.serves.contains(&r))
                .map(|s| s.release_for(f64::INFINITY, f64::INFINITY))
                .sum::<f64>()
        });
        let mut out = planned;
        for e in [DYTB, NDPR] {
            let need: f64 = (0..2).map(|g| out[g] * p.recipes[g][e]).sum();
            let have = stock[e] + releasable[e];
            if need > have && need > 0.0 {
                let s = have.max(0.0) / need;
                for (g, o) in out.iter_mut().enumerate() {
                    if p.recipes[g][e] > 0.0 {
                        *o *= s;
                    }
                }
            }
        }
        let mut consumed = Vec::with_capacity(2);
        for (e, c) in [(NDPR, LightOxide), (DYTB, HeavyOxide)] {
            let used: f64 = (0..2).map(|g| out[g] * p.recipes[g][e]).sum();
            let mut short = (used - stock[e]).max(0.0);
            for (i, sp) in stockpiles.iter_mut().enumerate() {
                if sp.commodity != c || !sp.serves.contains(&r) || short <= 0.0 {
                    continue;
                }
                if wanted[e] > stock[e] {
                    sp.saw_shortage = true;
                }
                let q = sp.release_for(short, wanted[e]);
                sp.level -= q;
                short -= q;
                rec.released[i][r] += q;
                stocks.lots[r][c as usize].add(&Lot::plain(c, q, n));
            }
            let lot = &mut stocks.lots[r][c as usize];
            let used = used.min(lot.total());
            consumed.push(lot.take(used));
            rec.oxide_used[r][e] = used;
        }
        rec.magnet_out[r] = out;
        // Made here. A grade's output carries origin `o`'s content in full when `o` supplied at
        // least `DE_MINIMIS` of the oxide (by mass) that grade used, as a rule on products
        // containing controlled material would count it.
        let share_of = |l: &Lot, o: usize| {
            if l.total() > 0.0 {
                l.a[o] / l.total()
            } else {
                0.0
            }
        };
        for (g, c) in [(0, MagnetStandard), (1, MagnetHighTemp)] {
            let mut made = Lot::plain(c, out[g], n);
            made.a[r] = out[g];
            let (wl, wh) = (p.recipes[g][NDPR], p.recipes[g][DYTB]);
            if wl + wh > 0.0 {
                for o in 0..n {
                    let share = (wl * share_of(&consumed[0], o) + wh * share_of(&consumed[1], o))
                        / (wl + wh);
                    if share >= DE_MINIMIS {
                        made.b[o] = out[g];
                    }
                }
            }
            stocks.lots[r][c as usize].add(&made);
        }
    }
    for (g, c) in [(0, MagnetStandard), (1, MagnetHighTemp)] {
        let home: Vec<f64> = (0..n).map(|r| mag_plan.use_[r * 2 + g]).collect();
        trade(n, month, c, &mag_plan.flows[g], &home, stocks, limits, rec);
    }

    // (11) End use: each grade served by sector priority, pro rata within a level. Sectors
    // under an end-use denial draw only on the part of the stock free of the origin's content.
    rec.demand = x.demand.clone();
    rec.delivered = x.demand.iter().map(|s| vec![[0.0; 2]; s.len()]).collect();
    for r in 0..n {
        let denials: Vec<_> = limits.denials(r).cloned().collect();
        let denied: Vec<bool> = p.sector_ids[r]
            .iter()
            .map(|id| denials.iter().any(|d| d.sectors.contains(id)))
            .collect();
        for (g, c) in [(0, MagnetStandard), (1, MagnetHighTemp)] {
            let lot = &mut stocks.lots[r][c as usize];
            let want: Vec<f64> = x.demand[r].iter().map(|s| s[g]).collect();
            if denied.iter().any(|&d| d) {
                let tagged: f64 = denials
                    .iter()
                    .map(|d| lot.tagged(d.origin, d.extraterritorial))
                    .sum();
                let clean = (lot.total() - tagged).max(0.0);
                let want_denied: Vec<f64> = want
                    .iter()
                    .zip(&denied)
                    .map(|(w, d)| if *d { *w } else { 0.0 })
                    .collect();
                let got = by_priority(clean, &want_denied, &p.priority[r]);
                for (s, q) in got.iter().enumerate() {
                    rec.delivered[r][s][g] += lot.take_untagged(*q);
                }
            }
            let want_rest: Vec<f64> = want
                .iter()
                .zip(&denied)
                .map(|(w, d)| if *d { 0.0 } else { *w })
                .collect();
            let got = by_priority(lot.total(), &want_rest, &p.priority[r]);
            for (s, q) in got.iter().enumerate() {
                // The lot gives up `q` (to rounding: `take` never takes more than it holds).
                lot.take(*q);
                rec.delivered[r][s][g] += q;
            }
        }
    }
    // (12) Magnet stockpiles release against unmet end-use demand in the regions they serve.
    for (i, sp) in stockpiles.iter_mut().enumerate() {
        let g = match sp.commodity {
            MagnetStandard => 0,
            MagnetHighTemp => 1,
            _ => continue,
        };
        for ri in 0..sp.serves.len() {
            let r = sp.serves[ri];
            let wanted: f64 = x.demand[r].iter().map(|d| d[g]).sum();
            let unmet: Vec<f64> = x.demand[r]
                .iter()
                .zip(&rec.delivered[r])
                .map(|(d, got)| (d[g] - got[g]).max(0.0))
                .collect();
            let total_unmet: f64 = unmet.iter().sum();
            if total_unmet > 0.0 {
                sp.saw_shortage = true;
            }
            let q = sp.release_for(total_unmet, wanted);
            if q <= 0.0 {
                continue;
            }
            let first: Vec<usize> = sp
                .priority_sectors
                .iter()
                .filter_map(|id| p.sector_ids[r].iter().position(|x| x == id))
                .collect();
            let got = serve(q, &unmet, &p.priority[r], &first);
            // Rounding in the pro rata split may exceed the level by a few ulps.
            let total = got.iter().sum::<f64>().min(sp.level);
            for (s, v) in got.iter().enumerate() {
                rec.delivered[r][s][g] += v;
            }
            sp.level -= total;
            rec.released[i][r] += total;
        }
    }
    // (14) Refill: stockpiles buy back from their region's commercial stock, after the crisis.
    for (i, sp) in stockpiles.iter_mut().enumerate() {
        let q = sp.refill_wanted().min(stocks.get(sp.region, sp.commodity));
        if q > 0.0 {
            stocks.lots[sp.region][sp.commodity as usize].take(q);
            sp.level += q;
            sp.refill_budget -= q;
            rec.refilled[i][sp.region] = q;
        }
        sp.end_month();
    }
    stocks.oxide_imports = (0..n)
        .map(|r| {
            [(0, LightOxide), (1, HeavyOxide)].map(|(e, c)| {
                let got = rec.imports(r, c);
                (got, got < ox_plan.import_orders[r * 2 + e] * 0.999)
            })
        })
        .collect();
    // A stage that could not make its plan for want of inputs has no usable spare capacity:
    // the market sees what it made, not what it could have made.
    for r in 0..n {
        let made = [
            rec.sep_out[r][0],
            rec.sep_out[r][1],
            rec.magnet_out[r][0],
            rec.magnet_out[r][1],
        ];
        let planned = [
            ox_plan.production[r * 2],
            ox_plan.production[r * 2 + 1],
            mag_plan.production[r * 2],
            mag_plan.production[r * 2 + 1],
        ];
        for (i, c) in [LightOxide, HeavyOxide, MagnetStandard, MagnetHighTemp]
            .into_iter()
            .enumerate()
        {
            if made[i] < planned[i] * (1.0 - 1e-9) {
                rec.capacity[r][c as usize] = made[i];
            }
        }
    }
    rec.stocks_end = Some(StockTotals::of(stocks));
    rec.stockpile_end = stockpiles.iter().map(|s| s.level).collect();
}

/// Month-0 feed composition: the fixed point of "each region's pool is the mix of its own
/// mine output and the concentrate it imports, and imports carry the exporter's pool mix",
/// found by iterating the concentrate plan (a few rounds converge to well under 0.1%).
fn init_shares(
    p: &ChainParams,
    x: &Exogenous,
    ox_plan: &Plan,
    limits: &Limits,
    n: usize,
) -> Vec<[f64; 2]> {
    let own: Vec<[f64; 2]> = (0..n)
        .map(|r| mine_shares(x, r).unwrap_or(p.world_shares))
        .collect();
    let mine_cap: Vec<f64> = x.mine_cap.iter().map(|m| m.iter().sum()).collect();
    let no_cover = vec![0.0; n];
    let mut shares = own.clone();
    for _ in 0..8 {
        let use_ = feed_uses(x, ox_plan, &shares);
        let mut pos = vec![0.0; n];
        let mut probe = limits.clone();
        let plan = plan_items(
            n,
            1,
            &[Commodity::Concentrate],
            use_,
            &mut pos,
            &no_cover,
            &mine_cap,
            None,
            false,
            1.0,
            false,
            &mut probe,
        );
        let f = &plan.flows[0];
        shares = (0..n)
            .map(|d| {
                let home =
                    (plan.production[d] - f[d * n..(d + 1) * n].iter().sum::<f64>()).max(0.0);
                let mut s = [home * own[d][0], home * own[d][1]];
                let mut total = home;
                for o in (0..n).filter(|&o| o != d) {
                    s[0] += f[o * n + d] * shares[o][0];
                    s[1] += f[o * n + d] * shares[o][1];
                    total += f[o * n + d];
                }
                if total > 0.0 {
                    [s[0] / total, s[1] / total]
                } else {
                    own[d]
                }
            })
            .collect();
    }
    shares
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
    let released_into = |r: usize, c: Commodity| -> f64 {
        rec.released
            .iter()
            .zip(stockpiles)
            .filter(|(_, k)| **k == c)
            .map(|(q, _)| q[r])
            .sum()
    };
    let refilled_from = |r: usize, c: Commodity| -> f64 {
        rec.refilled
            .iter()
            .zip(stockpiles)
            .filter(|(_, k)| **k == c)
            .map(|(q, _)| q[r])
            .sum()
    };
    for r in 0..n {
        let c = Concentrate;
        check(
            s1.get(r, c)
                - s0.get(r, c)
                - (rec.mine_out[r].iter().sum::<f64>() + rec.imports(r, c)
                    - rec.exports(r, c)
                    - rec.feed[r]),
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
