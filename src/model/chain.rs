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

use crate::model::trade::place_orders_within_controls;
use crate::model::{Commodity, N_COMMODITIES};
use crate::policy::controls::Limits;
use crate::policy::stockpile::{StockpileState, by_priority, serve};

/// Average days per month (365.25 / 12), converting "days of cover" to months.
pub const DAYS_PER_MONTH: f64 = 30.4375;
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
}

/// Commercial stocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Stocks {
    /// `[region]` concentrate content (NdPr, Dy/Tb, other REO), t REO.
    pub conc: Vec<[f64; 3]>,
    /// `[region][NDPR | DYTB]` t oxide.
    pub oxide: Vec<[f64; 2]>,
    /// `[region][grade]` t magnet.
    pub magnet: Vec<[f64; 2]>,
}

impl Stocks {
    pub fn zero(n: usize) -> Self {
        Stocks {
            conc: vec![[0.0; 3]; n],
            oxide: vec![[0.0; 2]; n],
            magnet: vec![[0.0; 2]; n],
        }
    }

    /// Stock of commodity `c` in region `r` (concentrate as total REO).
    pub fn get(&self, r: usize, c: Commodity) -> f64 {
        match c {
            Commodity::Concentrate => self.conc[r].iter().sum(),
            Commodity::LightOxide => self.oxide[r][NDPR],
            Commodity::HeavyOxide => self.oxide[r][DYTB],
            Commodity::MagnetStandard => self.magnet[r][0],
            Commodity::MagnetHighTemp => self.magnet[r][1],
        }
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
    /// `[commodity][o * n + d]` shipped.
    pub flows: Vec<Vec<f64>>,
    /// `[region][local sector][grade]`.
    pub demand: Vec<Vec<[f64; 2]>>,
    /// `[region][local sector][grade]`, including stockpile releases.
    pub delivered: Vec<Vec<[f64; 2]>>,
    /// `[stockpile]` released this month.
    pub released: Vec<f64>,
    pub stocks_start: Option<Stocks>,
    pub stocks_end: Option<Stocks>,
    /// `[stockpile]` level at the start and end of the month.
    pub stockpile_start: Vec<f64>,
    pub stockpile_end: Vec<f64>,
}

impl MonthRecord {
    pub fn exports(&self, r: usize, c: Commodity) -> f64 {
        let n = self.mine_out.len();
        self.flows[c as usize][r * n..(r + 1) * n].iter().sum()
    }

    pub fn imports(&self, r: usize, c: Commodity) -> f64 {
        let n = self.mine_out.len();
        (0..n).map(|o| self.flows[c as usize][o * n + r]).sum()
    }
}

/// Order-up-to rule (1): orders = use + (target - stock) / rebuild months, never negative.
pub fn orders(use_: f64, target: f64, stock: f64, rebuild_months: f64) -> f64 {
    (use_ + (target - stock) / rebuild_months).max(0.0)
}

/// Target stock (2): days of cover times monthly use.
pub fn target(days: f64, use_: f64) -> f64 {
    days / DAYS_PER_MONTH * use_
}

/// The plan of one commodity: home production, planned exports and the home use it serves.
#[derive(Debug, Clone, Default)]
struct Plan {
    /// `[region]` or `[region][grade]` flattened as `r * k + j`.
    production: Vec<f64>,
    /// `[j][o * n + d]` planned flows per sub-commodity.
    flows: Vec<Vec<f64>>,
    /// Home use per region and sub-commodity, `r * k + j`.
    use_: Vec<f64>,
}

/// Plans `k` sub-commodities (grades or oxides) that share or split producing capacity.
/// `use_[r*k+j]`, `stock[r*k+j]`, `days[r*k+j]`; `cap[r]` shared across the `k` items when
/// `shared`, else `cap[r*k+j]`. Stocks are set to their targets first when `init`.
#[allow(clippy::too_many_arguments)]
fn plan_items(
    n: usize,
    k: usize,
    commodities: &[Commodity],
    use_: Vec<f64>,
    stock: &mut [f64],
    days: &[f64],
    cap: &[f64],
    shared: bool,
    rebuild: f64,
    init: bool,
    limits: &mut Limits,
) -> Plan {
    let mut want = vec![0.0; n * k];
    for i in 0..n * k {
        let t = target(days[i], use_[i]);
        if init {
            stock[i] = t;
        }
        want[i] = orders(use_[i], t, stock[i], rebuild);
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
            for j in 0..k {
                production[r * k + j] = want[r * k + j] * s;
            }
            let left = (cap[r] - total.min(cap[r])).max(0.0);
            // (4) Spare shared capacity is offered to each item in proportion to the world's
            // residual orders for it (decided below once those are known).
            spare[r * k] = left;
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
        }
    }
    // (5) Imports: residual orders placed with other regions' spare capacity within controls.
    let mut flows = Vec::with_capacity(k);
    for (j, &c) in commodities.iter().enumerate() {
        let mut needs: Vec<f64> = (0..n).map(|r| residual[r * k + j]).collect();
        let mut sp: Vec<f64> = (0..n).map(|r| spare[r * k + j]).collect();
        let f = place_orders_within_controls(c, &mut needs, &mut sp, limits);
        for o in 0..n {
            let exported: f64 = f[o * n..(o + 1) * n].iter().sum();
            production[o * k + j] += exported;
            residual[o * k + j] = needs[o];
            if shared {
                // Spare capacity not taken for this item stays available to the next one.
                if j + 1 < k {
                    spare[o * k + j + 1] += sp[o];
                }
            }
        }
        flows.push(f);
    }
    Plan {
        production,
        flows,
        use_,
    }
}

/// Ships planned exports of one commodity that exporters can spare after home use (6), scaling
/// every destination's share down alike when short. `avail[r]` is what the region holds now;
/// returns the actual flows.
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

/// Composition (NdPr, Dy/Tb share) used to plan feed: the region's concentrate pool plus what
/// its mines can produce, else the world's mine mix.
fn planning_shares(pool: &[f64; 3], x: &Exogenous, r: usize, world: [f64; 2]) -> [f64; 2] {
    let mut c = *pool;
    for (cap, s) in x.mine_cap[r].iter().zip(&x.mine_shares[r]) {
        c[NDPR] += cap * s[0];
        c[DYTB] += cap * s[1];
        c[OTHER] += cap * (1.0 - s[0] - s[1]);
    }
    let total: f64 = c.iter().sum();
    if total > 0.0 {
        [c[NDPR] / total, c[DYTB] / total]
    } else {
        world
    }
}

/// Feed (t REO) needed for planned oxide output, and the feed the plant can take (8).
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

/// Runs one month. `stocks` and `stockpiles` are updated in place; `rec` receives every flow.
/// When `init`, commercial stocks are first set to their targets (month 0).
#[allow(clippy::too_many_arguments)]
pub fn step(
    p: &ChainParams,
    x: &Exogenous,
    limits: &mut Limits,
    stocks: &mut Stocks,
    stockpiles: &mut [StockpileState],
    init: bool,
    rec: &mut MonthRecord,
) {
    let n = x.magnet_cap.len();
    let days = &p.inventory_days;
    let tau = p.rebuild_months;

    // ---- Planning pass, downstream to upstream ----
    // Magnets: use = end-use demand per grade.
    let mag_use: Vec<f64> = (0..n)
        .flat_map(|r| (0..2).map(move |g| x.demand[r].iter().map(|s| s[g]).sum::<f64>()))
        .collect();
    let mut mag_stock: Vec<f64> = stocks
        .magnet
        .iter()
        .flat_map(|m| m.iter().copied())
        .collect();
    let mag_days: Vec<f64> = (0..n).flat_map(|r| [days[r][3], days[r][4]]).collect();
    let mag_plan = plan_items(
        n,
        2,
        &[Commodity::MagnetStandard, Commodity::MagnetHighTemp],
        mag_use,
        &mut mag_stock,
        &mag_days,
        &x.magnet_cap,
        true,
        tau,
        init,
        limits,
    );
    // Oxide use = planned magnet output times the recipes.
    let ox_use: Vec<f64> = (0..n)
        .flat_map(|r| {
            let pl = &mag_plan.production;
            (0..2).map(move |e| pl[r * 2] * p.recipes[0][e] + pl[r * 2 + 1] * p.recipes[1][e])
        })
        .collect();
    let mut ox_stock: Vec<f64> = stocks
        .oxide
        .iter()
        .flat_map(|m| m.iter().copied())
        .collect();
    let ox_days: Vec<f64> = (0..n).flat_map(|r| [days[r][1], days[r][2]]).collect();
    let ox_cap: Vec<f64> = (0..n)
        .flat_map(|r| [x.light_cap[r], x.heavy_cap[r]])
        .collect();
    let ox_plan = plan_items(
        n,
        2,
        &[Commodity::LightOxide, Commodity::HeavyOxide],
        ox_use,
        &mut ox_stock,
        &ox_days,
        &ox_cap,
        false,
        tau,
        init,
        limits,
    );
    // Concentrate use = feed needed for the separation plan.
    let shares: Vec<[f64; 2]> = (0..n)
        .map(|r| planning_shares(&stocks.conc[r], x, r, p.world_shares))
        .collect();
    let conc_use: Vec<f64> = (0..n)
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
        .collect();
    let mut conc_stock: Vec<f64> = stocks.conc.iter().map(|c| c.iter().sum()).collect();
    let conc_days: Vec<f64> = (0..n).map(|r| days[r][0]).collect();
    let mine_cap: Vec<f64> = x.mine_cap.iter().map(|m| m.iter().sum()).collect();
    let conc_plan = plan_items(
        n,
        1,
        &[Commodity::Concentrate],
        conc_use,
        &mut conc_stock,
        &conc_days,
        &mine_cap,
        false,
        tau,
        init,
        limits,
    );
    if init {
        for r in 0..n {
            stocks.magnet[r] = [mag_stock[r * 2], mag_stock[r * 2 + 1]];
            stocks.oxide[r] = [ox_stock[r * 2], ox_stock[r * 2 + 1]];
            let s = shares[r];
            stocks.conc[r] = [
                conc_stock[r] * s[0],
                conc_stock[r] * s[1],
                conc_stock[r] * (1.0 - s[0] - s[1]),
            ];
        }
    }
    rec.stocks_start = Some(stocks.clone());
    rec.stockpile_start = stockpiles.iter().map(|s| s.level).collect();
    rec.flows = vec![vec![0.0; n * n]; N_COMMODITIES];

    // ---- Physical pass, upstream to downstream ----
    // (7) Mines produce the planned concentrate, spread over sources pro rata to capacity.
    rec.mine_out = (0..n)
        .map(|r| {
            let planned = conc_plan.production[r];
            let s = if mine_cap[r] > 0.0 {
                (planned / mine_cap[r]).min(1.0)
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
        for e in 0..3 {
            stocks.conc[r][e] += rec.mine_out[r][e];
        }
    }
    // Concentrate trade: content moves in the exporter's pool proportions.
    let pool: Vec<f64> = stocks.conc.iter().map(|c| c.iter().sum()).collect();
    let conc_flows = ship(n, &conc_plan.flows[0], &pool, &conc_plan.use_);
    let mut moved = vec![[0.0; 3]; n];
    for o in 0..n {
        let out: f64 = conc_flows[o * n..(o + 1) * n].iter().sum();
        if out <= 0.0 || pool[o] <= 0.0 {
            continue;
        }
        for d in 0..n {
            let f = conc_flows[o * n + d] / pool[o];
            for e in 0..3 {
                let q = stocks.conc[o][e] * f;
                moved[d][e] += q;
                moved[o][e] -= q;
            }
        }
    }
    for r in 0..n {
        for e in 0..3 {
            stocks.conc[r][e] = (stocks.conc[r][e] + moved[r][e]).max(0.0);
        }
    }
    rec.flows[Commodity::Concentrate as usize] = conc_flows;

    // (8) Separation: feed for the plan at the pool's actual composition, within the stock.
    rec.feed = vec![0.0; n];
    rec.sep_out = vec![[0.0; 2]; n];
    rec.residue = vec![0.0; n];
    for r in 0..n {
        let c = stocks.conc[r];
        let total: f64 = c.iter().sum();
        if total <= 0.0 {
            continue;
        }
        let sh = [c[NDPR] / total, c[DYTB] / total];
        let plan = [ox_plan.production[r * 2], ox_plan.production[r * 2 + 1]];
        let feed = feed_need(plan, sh, x.recovery[r], x.light_cap[r], x.heavy_cap[r]).min(total);
        let frac = feed / total;
        let light = (c[NDPR] * frac * x.recovery[r])
            .min(plan[NDPR])
            .min(x.light_cap[r]);
        let heavy = (c[DYTB] * frac * x.recovery[r])
            .min(plan[DYTB])
            .min(x.heavy_cap[r]);
        for e in 0..3 {
            stocks.conc[r][e] -= c[e] * frac;
        }
        rec.feed[r] = feed;
        rec.sep_out[r] = [light, heavy];
        rec.residue[r] = feed - light - heavy;
        stocks.oxide[r][NDPR] += light;
        stocks.oxide[r][DYTB] += heavy;
    }
    // Oxide trade.
    for e in 0..2 {
        let avail: Vec<f64> = (0..n).map(|r| stocks.oxide[r][e]).collect();
        let home: Vec<f64> = (0..n).map(|r| ox_plan.use_[r * 2 + e]).collect();
        let f = ship(n, &ox_plan.flows[e], &avail, &home);
        apply_flows(n, &f, |r, q| stocks.oxide[r][e] += q);
        rec.flows[1 + e] = f;
    }
    // (9) Oxide stockpiles release against the magnet plants' planned use not in stock.
    rec.released = vec![0.0; stockpiles.len()];
    for (i, sp) in stockpiles.iter_mut().enumerate() {
        let e = match sp.commodity {
            Commodity::LightOxide => NDPR,
            Commodity::HeavyOxide => DYTB,
            _ => continue,
        };
        let r = sp.region;
        let need = (ox_plan.use_[r * 2 + e] - stocks.oxide[r][e]).max(0.0);
        let q = sp.release_for(need);
        sp.level -= q;
        stocks.oxide[r][e] += q;
        rec.released[i] += q;
    }

    // (10) Magnet plants: planned output, cut first by Dy/Tb then by NdPr in stock.
    rec.oxide_used = vec![[0.0; 2]; n];
    rec.magnet_out = vec![[0.0; 2]; n];
    for r in 0..n {
        let mut out = [mag_plan.production[r * 2], mag_plan.production[r * 2 + 1]];
        for e in [DYTB, NDPR] {
            let need: f64 = (0..2).map(|g| out[g] * p.recipes[g][e]).sum();
            if need > stocks.oxide[r][e] && need > 0.0 {
                let s = stocks.oxide[r][e].max(0.0) / need;
                for (g, o) in out.iter_mut().enumerate() {
                    if p.recipes[g][e] > 0.0 {
                        *o *= s;
                    }
                }
            }
        }
        for e in 0..2 {
            let used: f64 = (0..2).map(|g| out[g] * p.recipes[g][e]).sum();
            let used = used.min(stocks.oxide[r][e]);
            stocks.oxide[r][e] -= used;
            rec.oxide_used[r][e] = used;
        }
        rec.magnet_out[r] = out;
        stocks.magnet[r][0] += out[0];
        stocks.magnet[r][1] += out[1];
    }
    // Magnet trade.
    for g in 0..2 {
        let avail: Vec<f64> = (0..n).map(|r| stocks.magnet[r][g]).collect();
        let home: Vec<f64> = (0..n).map(|r| mag_plan.use_[r * 2 + g]).collect();
        let f = ship(n, &mag_plan.flows[g], &avail, &home);
        apply_flows(n, &f, |r, q| stocks.magnet[r][g] += q);
        rec.flows[3 + g] = f;
    }

    // (11) End use: each grade served by sector priority, pro rata within a level.
    rec.demand = x.demand.clone();
    rec.delivered = x.demand.iter().map(|s| vec![[0.0; 2]; s.len()]).collect();
    for r in 0..n {
        for g in 0..2 {
            let want: Vec<f64> = x.demand[r].iter().map(|s| s[g]).collect();
            let got = by_priority(stocks.magnet[r][g], &want, &p.priority[r]);
            for (s, q) in got.iter().enumerate() {
                rec.delivered[r][s][g] = *q;
                stocks.magnet[r][g] -= q;
            }
            stocks.magnet[r][g] = stocks.magnet[r][g].max(0.0);
        }
    }
    // (12) Magnet stockpiles release against unmet end-use demand.
    for (i, sp) in stockpiles.iter_mut().enumerate() {
        let g = match sp.commodity {
            Commodity::MagnetStandard => 0,
            Commodity::MagnetHighTemp => 1,
            _ => continue,
        };
        let r = sp.region;
        let unmet: Vec<f64> = x.demand[r]
            .iter()
            .zip(&rec.delivered[r])
            .map(|(d, got)| (d[g] - got[g]).max(0.0))
            .collect();
        let q = sp.release_for(unmet.iter().sum());
        if q <= 0.0 {
            continue;
        }
        let got = serve(q, &unmet, &p.priority[r], &sp.priority_sectors);
        let total: f64 = got.iter().sum();
        for (s, v) in got.iter().enumerate() {
            rec.delivered[r][s][g] += v;
        }
        // Rounding in the pro rata split may exceed the level by a few ulps; never go below 0.
        let taken = total.min(sp.level);
        sp.level -= taken;
        rec.released[i] += taken;
    }
    rec.stocks_end = Some(stocks.clone());
    rec.stockpile_end = stockpiles.iter().map(|s| s.level).collect();
}

fn apply_flows(n: usize, f: &[f64], mut add: impl FnMut(usize, f64)) {
    for o in 0..n {
        for d in 0..n {
            let q = f[o * n + d];
            if q != 0.0 {
                add(o, -q);
                add(d, q);
            }
        }
    }
}

/// Largest mass-balance error of a month, in tonnes, over every stage and region (13):
/// concentrate, separation, each oxide, magnet plants (in contained oxide), each magnet grade,
/// each stockpile, and world trade per commodity.
/// `stockpiles[i]` is the (region, commodity) of stockpile `i`.
pub fn mass_balance_error(
    p: &ChainParams,
    rec: &MonthRecord,
    stockpiles: &[(usize, Commodity)],
) -> f64 {
    let n = rec.mine_out.len();
    let s0 = rec.stocks_start.as_ref().expect("recorded");
    let s1 = rec.stocks_end.as_ref().expect("recorded");
    let mut worst: f64 = 0.0;
    let mut check = |v: f64| worst = worst.max(v.abs());
    // Stockpile releases of commodity `c` in region `r` this month.
    let released_into = |r: usize, c: Commodity| -> f64 {
        rec.released
            .iter()
            .zip(stockpiles)
            .filter(|(_, k)| **k == (r, c))
            .map(|(q, _)| q)
            .sum()
    };
    for r in 0..n {
        let c = Commodity::Concentrate;
        check(
            s1.get(r, c)
                - s0.get(r, c)
                - (rec.mine_out[r].iter().sum::<f64>() + rec.imports(r, c)
                    - rec.exports(r, c)
                    - rec.feed[r]),
        );
        check(rec.feed[r] - rec.sep_out[r][0] - rec.sep_out[r][1] - rec.residue[r]);
        for (e, c) in [(0, Commodity::LightOxide), (1, Commodity::HeavyOxide)] {
            let released = released_into(r, c);
            check(
                s1.get(r, c)
                    - s0.get(r, c)
                    - (rec.sep_out[r][e] + rec.imports(r, c)
                        - rec.exports(r, c)
                        - rec.oxide_used[r][e]
                        + released),
            );
            let made: f64 = (0..2).map(|g| rec.magnet_out[r][g] * p.recipes[g][e]).sum();
            check(made - rec.oxide_used[r][e]);
        }
        for (g, c) in [
            (0, Commodity::MagnetStandard),
            (1, Commodity::MagnetHighTemp),
        ] {
            let delivered: f64 = rec.delivered[r].iter().map(|s| s[g]).sum();
            let released = released_into(r, c);
            check(
                s1.get(r, c)
                    - s0.get(r, c)
                    - (rec.magnet_out[r][g] + rec.imports(r, c)
                        - rec.exports(r, c)
                        - (delivered - released)),
            );
        }
    }
    for i in 0..rec.released.len() {
        check(rec.stockpile_end[i] - rec.stockpile_start[i] + rec.released[i]);
    }
    for c in Commodity::ALL {
        let x: f64 = (0..n).map(|r| rec.exports(r, c)).sum();
        let m: f64 = (0..n).map(|r| rec.imports(r, c)).sum();
        check(x - m);
    }
    worst
}
