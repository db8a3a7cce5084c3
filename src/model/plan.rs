//! The planning pass (1)-(5), (3a), (8): what each stage wants this month, from end use
//! upstream to the mines; home production first, then imports placed within the month's
//! limits. docs/model.md gives the equations.

// Index loops over regions read closer to the equations than zipped iterators.
#![allow(clippy::needless_range_loop)]

use crate::model::limits::Limits;
use crate::model::lot::Lot;
use crate::model::state::{
    ChainParams, Circuit, DAYS_PER_MONTH, DYTB, Exogenous, NDPR, Stocks, mine_mix,
};
use crate::model::stockpile::StockpileState;
use crate::model::trade::place_orders_within_controls;
use crate::model::{Commodity, Grade, N_COMMODITIES, Ore};

/// The month's plan of every commodity, and the days of cover buyers want.
#[derive(Debug, Clone, Default)]
pub struct MonthPlan {
    /// Magnets, items `[standard, high_temp]` per region.
    pub mag: Plan,
    /// Oxides, items `[NdPr, Dy/Tb]` per region.
    pub ox: Plan,
    /// `[ore]` concentrate of each ore type, one item per region.
    pub conc: [Plan; 2],
    /// `[region][commodity]` days of cover wanted this month (after speculative stocking (M1b)).
    pub days: Vec<[f64; N_COMMODITIES]>,
    /// `[region][ore]` (NdPr, Dy/Tb) shares the concentrate plan assumed (8).
    pub conc_shares: Vec<[[f64; 2]; 2]>,
}

impl MonthPlan {
    /// Planned flows of commodity `c`, `[o * n + d]`.
    pub fn flows(&self, c: Commodity) -> &[f64] {
        match c {
            Commodity::Concentrate => &self.conc[0].flows[0],
            Commodity::ClayConcentrate => &self.conc[1].flows[0],
            Commodity::LightOxide => &self.ox.flows[0],
            Commodity::HeavyOxide => &self.ox.flows[1],
            Commodity::MagnetStandard => &self.mag.flows[0],
            Commodity::MagnetHighTemp => &self.mag.flows[1],
        }
    }

    /// Planned home use of commodity `c` in region `r`.
    pub fn home_use(&self, r: usize, c: Commodity) -> f64 {
        match c {
            Commodity::Concentrate => self.conc[0].use_[r],
            Commodity::ClayConcentrate => self.conc[1].use_[r],
            Commodity::LightOxide => self.ox.use_[r * 2],
            Commodity::HeavyOxide => self.ox.use_[r * 2 + 1],
            Commodity::MagnetStandard => self.mag.use_[r * 2],
            Commodity::MagnetHighTemp => self.mag.use_[r * 2 + 1],
        }
    }
}

/// The planning pass, downstream to upstream: magnets, then oxides, then concentrate, each
/// step's planned production setting the next step's home use. In month 0 (`init`) every
/// commercial stock is first set to its target (2) and the concentrate pools get the
/// composition they will run on.
pub fn plan_month(
    p: &ChainParams,
    x: &Exogenous,
    limits: &mut Limits,
    stocks: &mut Stocks,
    stockpiles: &[StockpileState],
    init: bool,
) -> MonthPlan {
    use Commodity::*;
    let n = x.magnet_cap.len();
    let days = cover_days(p, x);
    let mut mag_pos = positions(stocks, n, [MagnetStandard, MagnetHighTemp]);
    let mag = plan_magnets(p, x, &days, stocks, stockpiles, &mut mag_pos, init, limits);
    let mut ox_pos = positions(stocks, n, [LightOxide, HeavyOxide]);
    let ox = plan_oxides(p, x, &days, &mag, stockpiles, &mut ox_pos, init, limits);
    let (conc, conc_pos, shares) = plan_concentrates(p, x, &days, stocks, &ox, init, limits);
    if init {
        init_stocks(stocks, &mag_pos, &ox_pos, &conc_pos, &shares);
    }
    MonthPlan {
        mag,
        ox,
        conc,
        days,
        conc_shares: shares,
    }
}

/// Days of cover wanted per region and commodity: the scenario's, times the speculative
/// stocking factor (M1b) when the market sets one.
fn cover_days(p: &ChainParams, x: &Exogenous) -> Vec<[f64; N_COMMODITIES]> {
    (0..x.magnet_cap.len())
        .map(|r| {
            let mut d = p.inventory_days[r];
            if let Some(f) = x.stock_factor.get(r) {
                d.iter_mut().zip(f).for_each(|(d, f)| *d *= f);
            }
            d
        })
        .collect()
}

/// Stock on hand of two items per region, `[r * 2 + j]`. Orders look at stock on hand only:
/// goods in transit are not counted until they arrive (a buyer facing delays keeps ordering;
/// the pipeline then overshoots and orders fall back, as in 2025).
fn positions(stocks: &Stocks, n: usize, items: [Commodity; 2]) -> Vec<f64> {
    (0..n)
        .flat_map(|r| items.map(|c| stocks.get(r, c)))
        .collect()
}

/// Tonnes stockpiles of commodity `c` in region `r` want to buy back this month (14).
fn refill_use(stockpiles: &[StockpileState], r: usize, c: Commodity) -> f64 {
    stockpiles
        .iter()
        .filter(|s| s.region == r && s.commodity == c)
        .map(|s| s.refill_wanted())
        .sum()
}

/// Magnets per grade: home use = end-use demand plus stockpile refills; (3a) caps the grades
/// of regions whose oxide imports were rationed last month.
#[allow(clippy::too_many_arguments)]
fn plan_magnets(
    p: &ChainParams,
    x: &Exogenous,
    days: &[[f64; N_COMMODITIES]],
    stocks: &Stocks,
    stockpiles: &[StockpileState],
    position: &mut [f64],
    init: bool,
    limits: &mut Limits,
) -> Plan {
    use Commodity::*;
    let n = x.magnet_cap.len();
    let mag_use: Vec<f64> = (0..n)
        .flat_map(|r| (0..2).map(move |g| x.demand[r].iter().map(|s| s[g]).sum::<f64>()))
        .enumerate()
        .map(|(i, u)| u + refill_use(stockpiles, i / 2, Commodity::magnet(Grade::ALL[i % 2])))
        .collect();
    let mag_days: Vec<f64> = (0..n).flat_map(|r| [days[r][3], days[r][4]]).collect();
    // (3a) Where oxide imports were rationed last month (a quota, a ban, short exporters),
    // plants plan each grade only as far as stock, their region's own separation capacity,
    // last month's imports and the oxide stockpiles serving the region can feed it; orders
    // beyond that go to other regions' magnet makers, as magnet making moved to where the
    // oxide was in 2010-11. Unrationed regions plan freely.
    let item_cap: Vec<f64> = (0..n)
        .flat_map(|r| {
            let Some(imports) = stocks.oxide_imports.get(r) else {
                return [f64::INFINITY; 2];
            };
            if !imports[0].1 && !imports[1].1 {
                return [f64::INFINITY; 2];
            }
            let own = [x.light_cap(r), x.heavy_cap(r)];
            let avail: [f64; 2] = [0, 1].map(|e| {
                let c = if e == 0 { LightOxide } else { HeavyOxide };
                let stockpiled: f64 = stockpiles
                    .iter()
                    .filter(|s| s.commodity == c && s.serves.contains(&r))
                    .map(|s| s.available())
                    .sum();
                stocks.get(r, c) + own[e] + imports[e].0 + stockpiled
            });
            grade_caps(avail, &p.recipes, mag_use[r * 2 + 1])
        })
        .collect();
    plan_items(
        n,
        2,
        &[MagnetStandard, MagnetHighTemp],
        mag_use,
        position,
        &mag_days,
        &x.magnet_cap,
        Some(&item_cap),
        true,
        p.rebuild_months,
        init,
        limits,
    )
}

/// Oxides: home use = planned magnet output times the recipes, plus stockpile refills.
#[allow(clippy::too_many_arguments)]
fn plan_oxides(
    p: &ChainParams,
    x: &Exogenous,
    days: &[[f64; N_COMMODITIES]],
    mag: &Plan,
    stockpiles: &[StockpileState],
    position: &mut [f64],
    init: bool,
    limits: &mut Limits,
) -> Plan {
    use Commodity::*;
    let n = x.magnet_cap.len();
    let ox_use: Vec<f64> = (0..n)
        .flat_map(|r| {
            let pl = &mag.production;
            (0..2).map(move |e| {
                (
                    r,
                    e,
                    pl[r * 2] * p.recipes[0][e] + pl[r * 2 + 1] * p.recipes[1][e],
                )
            })
        })
        .map(|(r, e, u)| {
            u + refill_use(stockpiles, r, if e == 0 { LightOxide } else { HeavyOxide })
        })
        .collect();
    let ox_days: Vec<f64> = (0..n).flat_map(|r| [days[r][1], days[r][2]]).collect();
    let ox_cap: Vec<f64> = (0..n)
        .flat_map(|r| [x.light_cap(r), x.heavy_cap(r)])
        .collect();
    plan_items(
        n,
        2,
        &[LightOxide, HeavyOxide],
        ox_use,
        position,
        &ox_days,
        &ox_cap,
        None,
        false,
        p.rebuild_months,
        init,
        limits,
    )
}

/// Concentrates: each ore's home use is the feed its circuits need for their share of the
/// separation plan (8a), (8) at the pool's composition. Returns the plans `[ore]`, the stock
/// positions `[ore][region]` (set to their targets in month 0) and the feed composition
/// planned on, `[region][ore]`.
#[allow(clippy::type_complexity)]
fn plan_concentrates(
    p: &ChainParams,
    x: &Exogenous,
    days: &[[f64; N_COMMODITIES]],
    stocks: &Stocks,
    ox: &Plan,
    init: bool,
    limits: &mut Limits,
) -> ([Plan; 2], [Vec<f64>; 2], Vec<[[f64; 2]; 2]>) {
    let n = x.magnet_cap.len();
    let shares: Vec<[[f64; 2]; 2]> = if init {
        // Month 0 starts from the feed mix the region will actually run on: its own mines
        // plus the concentrate it imports (at the exporters' mine mix), so that the pool it
        // starts with has the composition later months plan on.
        init_shares(p, x, ox, &*limits, n)
    } else {
        (0..n)
            .map(|r| {
                Ore::ALL.map(|ore| {
                    let pool = &stocks.lots[r][Commodity::concentrate(ore) as usize].q;
                    planning_shares(pool, x, r, ore, p.world_shares[ore as usize])
                })
            })
            .collect()
    };
    let uses = feed_uses(x, ox, &shares);
    let mut positions: [Vec<f64>; 2] = Ore::ALL.map(|ore| {
        (0..n)
            .map(|r| stocks.get(r, Commodity::concentrate(ore)))
            .collect()
    });
    let plans = Ore::ALL.map(|ore| {
        let c = Commodity::concentrate(ore);
        let conc_days: Vec<f64> = (0..n).map(|r| days[r][c as usize]).collect();
        let mine_cap: Vec<f64> = (0..n).map(|r| x.ore_cap(r, ore)).collect();
        plan_items(
            n,
            1,
            &[c],
            uses[ore as usize].clone(),
            &mut positions[ore as usize],
            &conc_days,
            &mine_cap,
            None,
            false,
            p.rebuild_months,
            init,
            limits,
        )
    });
    (plans, positions, shares)
}

/// Month 0: every commercial stock at its target, tagged as made or separated at home; each
/// concentrate pool at the composition `shares` it will run on.
fn init_stocks(
    stocks: &mut Stocks,
    mag_pos: &[f64],
    ox_pos: &[f64],
    conc_pos: &[Vec<f64>; 2],
    shares: &[[[f64; 2]; 2]],
) {
    use Commodity::*;
    let n = shares.len();
    for r in 0..n {
        let own = |c: Commodity, v: f64| {
            let mut l = Lot::plain(c, v, n);
            match c {
                LightOxide | HeavyOxide => l.a[r] = v,
                MagnetStandard | MagnetHighTemp => {
                    l.a[r] = v;
                    l.b[r] = v;
                }
                Concentrate | ClayConcentrate => {}
            }
            l
        };
        stocks.lots[r][MagnetStandard as usize] = own(MagnetStandard, mag_pos[r * 2]);
        stocks.lots[r][MagnetHighTemp as usize] = own(MagnetHighTemp, mag_pos[r * 2 + 1]);
        stocks.lots[r][LightOxide as usize] = own(LightOxide, ox_pos[r * 2]);
        stocks.lots[r][HeavyOxide as usize] = own(HeavyOxide, ox_pos[r * 2 + 1]);
        for ore in Ore::ALL {
            let (s, q) = (shares[r][ore as usize], conc_pos[ore as usize][r]);
            stocks.lots[r][Commodity::concentrate(ore) as usize] =
                Lot::concentrate([q * s[0], q * s[1], q * (1.0 - s[0] - s[1])]);
        }
    }
}

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
pub struct Plan {
    /// `[region][item]` flattened as `r * k + j`.
    pub production: Vec<f64>,
    /// `[j][o * n + d]` planned flows per item.
    pub flows: Vec<Vec<f64>>,
    /// Home use per region and item, `r * k + j`.
    pub use_: Vec<f64>,
    /// Orders each region wanted to place abroad, `r * k + j` (before controls).
    pub import_orders: Vec<f64>,
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

/// Composition (NdPr, Dy/Tb share) of a region's mines of ore `ore`, or None without such
/// mines.
pub(crate) fn mine_shares(x: &Exogenous, r: usize, ore: Ore) -> Option<[f64; 2]> {
    mine_mix(&x.mine_cap[r], &x.mine_shares[r], &x.mine_ore[r], ore)
}

/// Composition used to plan the feed of ore `ore`: the region's pool of its concentrate (what
/// separation will draw on), else its mines' mix, else the world's mix of that ore.
fn planning_shares(
    pool: &[f64; 3],
    x: &Exogenous,
    r: usize,
    ore: Ore,
    world: [f64; 2],
) -> [f64; 2] {
    let total: f64 = pool.iter().sum();
    if total > 0.0 {
        [pool[NDPR] / total, pool[DYTB] / total]
    } else {
        mine_shares(x, r, ore).unwrap_or(world)
    }
}

/// Feed (t REO) needed for planned oxide output, within the feed the plant can take (8).
pub(crate) fn feed_need(
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

/// (8a) The region's oxide plan `planned` (`[NdPr, Dy/Tb]`) split between its circuits,
/// `[ore][NdPr, Dy/Tb]`: the ionic-clay circuits take the Dy/Tb plan first, up to their heavy
/// capacity, and make the NdPr that feed carries (at `clay`, the clay feed's shares) up to their
/// light capacity and the plan; the hard-rock circuits make the rest.
pub fn circuit_split(planned: [f64; 2], c: &[Circuit; 2], clay: [f64; 2]) -> [[f64; 2]; 2] {
    let k = &c[Ore::IonicClay as usize];
    let heavy = planned[DYTB].min(k.heavy).max(0.0);
    let feed = feed_need([0.0, heavy], clay, k.recovery, k.light, k.heavy);
    let light = (feed * k.recovery * clay[NDPR])
        .min(k.light)
        .min(planned[NDPR])
        .max(0.0);
    [
        [
            (planned[NDPR] - light).max(0.0),
            (planned[DYTB] - heavy).max(0.0),
        ],
        [light, heavy],
    ]
}

/// Feed (t REO) each circuit of region `r` needs for its part of the oxide plan `planned`, at
/// the feed shares `shares[ore]`, `[ore]`.
pub(crate) fn circuit_feeds(
    planned: [f64; 2],
    c: &[Circuit; 2],
    shares: &[[f64; 2]; 2],
) -> [f64; 2] {
    let split = circuit_split(planned, c, shares[Ore::IonicClay as usize]);
    Ore::ALL.map(|ore| {
        let (k, i) = (&c[ore as usize], ore as usize);
        feed_need(split[i], shares[i], k.recovery, k.light, k.heavy)
    })
}

/// Each ore's feed need per region, `[ore][region]`, for the planned oxide output at the feed
/// shares `shares[region][ore]`.
fn feed_uses(x: &Exogenous, ox_plan: &Plan, shares: &[[[f64; 2]; 2]]) -> [Vec<f64>; 2] {
    let feeds: Vec<[f64; 2]> = (0..shares.len())
        .map(|r| {
            let plan = [ox_plan.production[r * 2], ox_plan.production[r * 2 + 1]];
            circuit_feeds(plan, &x.circuits[r], &shares[r])
        })
        .collect();
    Ore::ALL.map(|ore| feeds.iter().map(|f| f[ore as usize]).collect())
}

/// Month-0 feed composition per ore: the fixed point of "each region's pool is the mix of its
/// own mine output and the concentrate it imports, and imports carry the exporter's pool mix",
/// found by iterating the concentrate plans (a few rounds converge to well under 0.1%).
fn init_shares(
    p: &ChainParams,
    x: &Exogenous,
    ox_plan: &Plan,
    limits: &Limits,
    n: usize,
) -> Vec<[[f64; 2]; 2]> {
    let own: Vec<[[f64; 2]; 2]> = (0..n)
        .map(|r| Ore::ALL.map(|o| mine_shares(x, r, o).unwrap_or(p.world_shares[o as usize])))
        .collect();
    let no_cover = vec![0.0; n];
    let mut shares = own.clone();
    for _ in 0..8 {
        let uses = feed_uses(x, ox_plan, &shares);
        let mut probe = limits.clone();
        let mut next = shares.clone();
        for ore in Ore::ALL {
            let i = ore as usize;
            let mine_cap: Vec<f64> = (0..n).map(|r| x.ore_cap(r, ore)).collect();
            let mut pos = vec![0.0; n];
            let plan = plan_items(
                n,
                1,
                &[Commodity::concentrate(ore)],
                uses[i].clone(),
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
            for d in 0..n {
                let home =
                    (plan.production[d] - f[d * n..(d + 1) * n].iter().sum::<f64>()).max(0.0);
                let mut s = [home * own[d][i][0], home * own[d][i][1]];
                let mut total = home;
                for o in (0..n).filter(|&o| o != d) {
                    s[0] += f[o * n + d] * shares[o][i][0];
                    s[1] += f[o * n + d] * shares[o][i][1];
                    total += f[o * n + d];
                }
                next[d][i] = if total > 0.0 {
                    [s[0] / total, s[1] / total]
                } else {
                    own[d][i]
                };
            }
        }
        shares = next;
    }
    shares
}
