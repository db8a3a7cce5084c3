//! The planning pass (1)-(5), (3a), (8): what each stage wants this month, from end use
//! upstream to the mines; home production first, then imports placed within the month's
//! limits. docs/model.md gives the equations.

// Index loops over regions read closer to the equations than zipped iterators.
#![allow(clippy::needless_range_loop)]

use crate::model::buf::{fill, set_from};
use crate::model::limits::Limits;
use crate::model::lot::Lot;
use crate::model::state::{
    ChainParams, Circuit, DAYS_PER_MONTH, DYTB, Exogenous, NDPR, Stocks, mine_mix,
};
use crate::model::stockpile::StockpileState;
use crate::model::trade::{Orders, place_orders_within_controls};
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
    #[inline]
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
    #[inline]
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

/// Buffers the planning pass reuses from month to month.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    /// Stock positions `[r * 2 + j]` of magnets and oxides, and `[ore][region]` of concentrate.
    mag_pos: Vec<f64>,
    ox_pos: Vec<f64>,
    conc_pos: [Vec<f64>; 2],
    /// Per-item days of cover, capacity and input-limited capacity of the commodity planned.
    days: Vec<f64>,
    cap: Vec<f64>,
    item_cap: Vec<f64>,
    items: Items,
    init: InitScratch,
}

/// The planning pass, downstream to upstream: magnets, then oxides, then concentrate, each
/// step's planned production setting the next step's home use. In month 0 (`init`) every
/// commercial stock is first set to its target (2) and the concentrate pools get the
/// composition they will run on. The month's plan is written into `plan`.
#[allow(clippy::too_many_arguments)]
pub fn plan_month(
    p: &ChainParams,
    x: &Exogenous,
    limits: &mut Limits,
    stocks: &mut Stocks,
    stockpiles: &[StockpileState],
    init: bool,
    plan: &mut MonthPlan,
    s: &mut Scratch,
) {
    use Commodity::*;
    let n = x.magnet_cap.len();
    cover_days(p, x, &mut plan.days);
    positions(stocks, n, [MagnetStandard, MagnetHighTemp], &mut s.mag_pos);
    plan_magnets(p, x, stocks, stockpiles, init, limits, plan, s);
    positions(stocks, n, [LightOxide, HeavyOxide], &mut s.ox_pos);
    plan_oxides(p, x, stockpiles, init, limits, plan, s);
    plan_concentrates(p, x, stocks, init, limits, plan, s);
    if init {
        init_stocks(
            stocks,
            &s.mag_pos,
            &s.ox_pos,
            &s.conc_pos,
            &plan.conc_shares,
        );
    }
}

/// Days of cover wanted per region and commodity: the scenario's, times the speculative
/// stocking factor (M1b) when the market sets one.
fn cover_days(p: &ChainParams, x: &Exogenous, days: &mut Vec<[f64; N_COMMODITIES]>) {
    set_with(days, x.magnet_cap.len(), |r| {
        let mut d = p.inventory_days[r];
        if let Some(f) = x.stock_factor.get(r) {
            d.iter_mut().zip(f).for_each(|(d, f)| *d *= f);
        }
        d
    });
}

/// Stock on hand of two items per region, `[r * 2 + j]`. Orders look at stock on hand only:
/// goods in transit are not counted until they arrive (a buyer facing delays keeps ordering;
/// the pipeline then overshoots and orders fall back, as in 2025).
fn positions(stocks: &Stocks, n: usize, items: [Commodity; 2], out: &mut Vec<f64>) {
    set_pairs(out, n, |r| both(|j| stocks.get(r, items[j])));
}

/// `[f(0), f(1)]`: a region's two items (grades, oxides, ores), written out because
/// `[T; 2]::map` is not always inlined.
fn both<T>(mut f: impl FnMut(usize) -> T) -> [T; 2] {
    [f(0), f(1)]
}

/// Sets `v` to `len` values `f(0), f(1), ...`, reusing its allocation.
fn set_with<T: Copy + Default>(v: &mut Vec<T>, len: usize, mut f: impl FnMut(usize) -> T) {
    v.resize(len, T::default());
    for (i, x) in v.iter_mut().enumerate() {
        *x = f(i);
    }
}

/// Sets the two-items-per-region table `v` (`[r * 2 + j]`) to `f(r)` for regions `0..n`.
fn set_pairs(v: &mut Vec<f64>, n: usize, f: impl FnMut(usize) -> [f64; 2]) {
    v.resize(2 * n, 0.0);
    for (pair, items) in v.as_chunks_mut::<2>().0.iter_mut().zip((0..n).map(f)) {
        *pair = items;
    }
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
    stocks: &Stocks,
    stockpiles: &[StockpileState],
    init: bool,
    limits: &mut Limits,
    plan: &mut MonthPlan,
    s: &mut Scratch,
) {
    use Commodity::*;
    let n = x.magnet_cap.len();
    for (r, uses) in rows_mut::<2>(sized(&mut plan.mag.use_, 2 * n))
        .iter_mut()
        .enumerate()
    {
        for (g, u) in uses.iter_mut().enumerate() {
            let demand: f64 = x.demand[r].iter().map(|s| s[g]).sum();
            *u = demand + refill_use(stockpiles, r, Commodity::magnet(Grade::ALL[g]));
        }
    }
    let days = &plan.days;
    set_pairs(&mut s.days, n, |r| [days[r][3], days[r][4]]);
    // (3a) Where oxide imports were rationed last month (a quota, a ban, short exporters),
    // plants plan each grade only as far as stock, their region's own separation capacity,
    // last month's imports and the oxide stockpiles serving the region can feed it; orders
    // beyond that go to other regions' magnet makers, as magnet making moved to where the
    // oxide was in 2010-11. Unrationed regions plan freely.
    let mag_use = &plan.mag.use_;
    set_pairs(&mut s.item_cap, n, |r| {
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
    });
    plan_items(
        Shape::new(n, &[MagnetStandard, MagnetHighTemp], true),
        &mut plan.mag,
        &mut s.mag_pos,
        &s.days,
        &x.magnet_cap,
        Some(&s.item_cap),
        p.rebuild_months,
        init,
        limits,
        &mut s.items,
    );
}

/// Oxides: home use = planned magnet output times the recipes, plus stockpile refills.
fn plan_oxides(
    p: &ChainParams,
    x: &Exogenous,
    stockpiles: &[StockpileState],
    init: bool,
    limits: &mut Limits,
    plan: &mut MonthPlan,
    s: &mut Scratch,
) {
    use Commodity::*;
    let n = x.magnet_cap.len();
    let pl = &plan.mag.production;
    let made = rows::<2>(pl);
    for (r, uses) in rows_mut::<2>(sized(&mut plan.ox.use_, 2 * n))
        .iter_mut()
        .enumerate()
    {
        for (e, (u, c)) in uses.iter_mut().zip([LightOxide, HeavyOxide]).enumerate() {
            let feed = made[r][0] * p.recipes[0][e] + made[r][1] * p.recipes[1][e];
            *u = feed + refill_use(stockpiles, r, c);
        }
    }
    let days = &plan.days;
    set_pairs(&mut s.days, n, |r| [days[r][1], days[r][2]]);
    set_pairs(&mut s.cap, n, |r| [x.light_cap(r), x.heavy_cap(r)]);
    plan_items(
        Shape::new(n, &[LightOxide, HeavyOxide], false),
        &mut plan.ox,
        &mut s.ox_pos,
        &s.days,
        &s.cap,
        None,
        p.rebuild_months,
        init,
        limits,
        &mut s.items,
    );
}

/// Concentrates: each ore's home use is the feed its circuits need for their share of the
/// separation plan (8a), (8) at the pool's composition. Sets the plans `plan.conc[ore]` and the
/// feed composition planned on, `plan.conc_shares[region][ore]`, and leaves the stock positions
/// `[ore][region]` (set to their targets in month 0) in `s.conc_pos`.
fn plan_concentrates(
    p: &ChainParams,
    x: &Exogenous,
    stocks: &Stocks,
    init: bool,
    limits: &mut Limits,
    plan: &mut MonthPlan,
    s: &mut Scratch,
) {
    let n = x.magnet_cap.len();
    if init {
        // Month 0 starts from the feed mix the region will actually run on: its own mines
        // plus the concentrate it imports (at the exporters' mine mix), so that the pool it
        // starts with has the composition later months plan on.
        init_shares(
            p,
            x,
            &plan.ox,
            &*limits,
            n,
            &mut plan.conc_shares,
            &mut s.init,
        );
    } else {
        set_with(&mut plan.conc_shares, n, |r| {
            both(|i| {
                let ore = Ore::ALL[i];
                let pool = stocks.lots[r][Commodity::concentrate(ore) as usize].q();
                planning_shares(pool, x, r, ore, p.world_shares[ore as usize])
            })
        });
    }
    let [hard, clay] = &mut plan.conc;
    feed_uses(
        x,
        &plan.ox,
        &plan.conc_shares,
        [&mut hard.use_, &mut clay.use_],
    );
    for ore in Ore::ALL {
        let (i, c) = (ore as usize, Commodity::concentrate(ore));
        set_with(&mut s.conc_pos[i], n, |r| stocks.get(r, c));
        let days = &plan.days;
        set_with(&mut s.days, n, |r| days[r][c as usize]);
        set_with(&mut s.cap, n, |r| x.ore_cap(r, ore));
        let conc = &mut plan.conc[i];
        plan_items(
            Shape::new(n, &[c], false),
            conc,
            &mut s.conc_pos[i],
            &s.days,
            &s.cap,
            None,
            p.rebuild_months,
            init,
            limits,
            &mut s.items,
        );
    }
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
                LightOxide | HeavyOxide => l.a_mut()[r] = v,
                MagnetStandard | MagnetHighTemp => {
                    l.a_mut()[r] = v;
                    l.b_mut()[r] = v;
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

/// What `plan_items` plans: `K` items (grades or oxides) per region in `n` regions, which
/// share (`shared`: one capacity per region) or split (one capacity per item) producing
/// capacity. `K` is a constant so that the per-region loops over items unroll.
#[derive(Clone, Copy)]
struct Shape<'c, const K: usize> {
    n: usize,
    commodities: &'c [Commodity; K],
    shared: bool,
}

impl<'c, const K: usize> Shape<'c, K> {
    fn new(n: usize, commodities: &'c [Commodity; K], shared: bool) -> Self {
        Shape {
            n,
            commodities,
            shared,
        }
    }
}

/// Buffers of `plan_items`. `residual` and `spare` are item-major (`[j * n + r]`), so that
/// each item's row is the `needs` and `spare` its placement works on in place.
#[derive(Debug, Clone, Default)]
pub(crate) struct Items {
    spare: Vec<f64>,
    residual: Vec<f64>,
    pooled: Vec<f64>,
    flows: Vec<f64>,
    orders: Orders,
}

/// Plans the items of `shape` into `plan`, from its home use `plan.use_`: capacity `cap[r]`
/// when shared, else `cap[r*K+j]`. `plan.use_`, `position` (stock on hand), `days` are
/// `[r*K+j]`. In month 0 (`init`) positions are first set to their targets and returned that
/// way.
#[allow(clippy::too_many_arguments)]
fn plan_items<const K: usize>(
    shape: Shape<K>,
    plan: &mut Plan,
    position: &mut [f64],
    days: &[f64],
    cap: &[f64],
    item_cap: Option<&[f64]>,
    rebuild: f64,
    init: bool,
    limits: &mut Limits,
    s: &mut Items,
) {
    let Shape {
        n,
        commodities,
        shared,
    } = shape;
    let nk = n * K;
    let (use_, days, position) = (&plan.use_[..nk], &days[..nk], &mut position[..nk]);
    let production = sized(&mut plan.production, nk);
    let import_orders = sized(&mut plan.import_orders, nk);
    let residual = first(&mut s.residual, nk);
    let spare = first(&mut s.spare, nk);
    for r in 0..n {
        // (1), (2) Orders wanted.
        let want: [f64; K] = std::array::from_fn(|j| {
            let i = r * K + j;
            let t = target(days[i], use_[i]);
            if init {
                position[i] = t;
            }
            orders(use_[i], t, position[i], rebuild)
        });
        // (3) Home production first, within capacity (pro rata across items that share it).
        let mut made = [0.0; K];
        let mut free = [0.0; K];
        if shared {
            let total: f64 = want.iter().sum();
            let s = if total > cap[r] && total > 0.0 {
                cap[r] / total
            } else {
                1.0
            };
            let mut usable = 0.0;
            for j in 0..K {
                let limit = item_cap.map_or(f64::INFINITY, |c| c[r * K + j]);
                made[j] = (want[j] * s).min(limit);
                usable += limit;
            }
            // Capacity that inputs cannot feed is no spare capacity either. The region's
            // spare is held in its first item's slot until (4) shares it out.
            let total_made: f64 = made.iter().sum();
            free[0] = (cap[r].min(usable) - total_made).max(0.0);
        } else {
            for j in 0..K {
                let c = cap[r * K + j];
                made[j] = want[j].min(c);
                free[j] = (c - made[j]).max(0.0);
            }
        }
        for j in 0..K {
            let left = (want[j] - made[j]).max(0.0);
            production[r * K + j] = made[j];
            import_orders[r * K + j] = left;
            residual[j * n + r] = left;
            spare[j * n + r] = free[j];
        }
    }
    // (4) Spare shared capacity is offered to each item in proportion to the world's residual
    // orders for it.
    let pooled = &mut s.pooled;
    if shared {
        fill(pooled, n, 0.0);
        let per_item: [f64; K] = std::array::from_fn(|j| residual[j * n..(j + 1) * n].iter().sum());
        let total: f64 = per_item.iter().sum();
        for r in 0..n {
            let left = spare[r];
            for j in 0..K {
                spare[j * n + r] = if total > 0.0 {
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
    // (`place_orders` sets every flow.)
    plan.flows.resize_with(K, Vec::new);
    for (j, &c) in commodities.iter().enumerate() {
        let items = j * n..(j + 1) * n;
        let (needs, sp) = (&mut residual[items.clone()], &mut spare[items]);
        let f = &mut plan.flows[j];
        place_orders_within_controls(c, needs, sp, limits, f, &mut s.orders);
        for r in 0..n {
            production[r * K + j] += f[r * n..(r + 1) * n].iter().sum::<f64>();
        }
        if shared {
            for r in 0..n {
                pooled[r] += sp[r];
            }
        }
    }
    // Shared capacity one item could not use (its routes closed by a control, say) is offered
    // once more to every item's remaining orders.
    if shared && residual.iter().any(|&x| x > 0.0) && pooled.iter().any(|&x| x > 0.0) {
        let f = &mut s.flows;
        for (j, &c) in commodities.iter().enumerate() {
            let needs = &mut residual[j * n..(j + 1) * n];
            place_orders_within_controls(c, needs, pooled, limits, f, &mut s.orders);
            for r in 0..n {
                production[r * K + j] += f[r * n..(r + 1) * n].iter().sum::<f64>();
            }
            for (x, y) in plan.flows[j].iter_mut().zip(f.iter()) {
                *x += y;
            }
        }
    }
}

/// A `[r * K + j]` table as rows `[r][j]` (`v.len()` is a multiple of `K`).
fn rows<const K: usize>(v: &[f64]) -> &[[f64; K]] {
    v.as_chunks::<K>().0
}

/// A `[r * K + j]` table as rows `[r][j]` (`v.len()` is a multiple of `K`).
fn rows_mut<const K: usize>(v: &mut [f64]) -> &mut [[f64; K]] {
    v.as_chunks_mut::<K>().0
}

/// The first `len` entries of the scratch table `v`, all of which the caller sets: it only
/// grows, so that plans of one and of two items per region, which share it, do not shrink and
/// regrow it (writing zeros) every month.
fn first(v: &mut Vec<f64>, len: usize) -> &mut [f64] {
    if v.len() < len {
        v.resize(len, 0.0);
    }
    &mut v[..len]
}

/// `v` as `len` entries, all of which the caller sets: the tables keep their shape from month
/// to month, so they are not cleared first.
fn sized(v: &mut Vec<f64>, len: usize) -> &mut [f64] {
    v.resize(len, 0.0);
    v
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
    both(|i| {
        let k = &c[i];
        feed_need(split[i], shares[i], k.recovery, k.light, k.heavy)
    })
}

/// Each ore's feed need per region, `[ore][region]`, for the planned oxide output at the feed
/// shares `shares[region][ore]`.
fn feed_uses(
    x: &Exogenous,
    ox_plan: &Plan,
    shares: &[[[f64; 2]; 2]],
    [hard, clay]: [&mut Vec<f64>; 2],
) {
    let n = shares.len();
    hard.resize(n, 0.0);
    clay.resize(n, 0.0);
    let planned = &ox_plan.production.as_chunks::<2>().0[..n];
    for r in 0..n {
        let f = circuit_feeds(planned[r], &x.circuits[r], &shares[r]);
        hard[r] = f[0];
        clay[r] = f[1];
    }
}

/// Buffers of `init_shares`.
#[derive(Debug, Clone, Default)]
struct InitScratch {
    own: Vec<[[f64; 2]; 2]>,
    next: Vec<[[f64; 2]; 2]>,
    no_cover: Vec<f64>,
    pos: Vec<f64>,
    cap: Vec<f64>,
    uses: [Vec<f64>; 2],
    probe: Limits,
    plan: Plan,
    items: Items,
}

/// Month-0 feed composition per ore: the fixed point of "each region's pool is the mix of its
/// own mine output and the concentrate it imports, and imports carry the exporter's pool mix",
/// found by iterating the concentrate plans (a few rounds converge to well under 0.1%).
/// Written into `shares` (`[region][ore]`).
fn init_shares(
    p: &ChainParams,
    x: &Exogenous,
    ox_plan: &Plan,
    limits: &Limits,
    n: usize,
    shares: &mut Vec<[[f64; 2]; 2]>,
    s: &mut InitScratch,
) {
    let own = &mut s.own;
    set_from(
        own,
        (0..n)
            .map(|r| Ore::ALL.map(|o| mine_shares(x, r, o).unwrap_or(p.world_shares[o as usize]))),
    );
    fill(&mut s.no_cover, n, 0.0);
    shares.clone_from(own);
    for _ in 0..8 {
        let [hard, clay] = &mut s.uses;
        feed_uses(x, ox_plan, shares, [hard, clay]);
        s.probe.reset_to(limits);
        s.next.clone_from(shares);
        for ore in Ore::ALL {
            let i = ore as usize;
            set_from(&mut s.cap, (0..n).map(|r| x.ore_cap(r, ore)));
            fill(&mut s.pos, n, 0.0);
            s.plan.use_.clone_from(&s.uses[i]);
            plan_items(
                Shape::new(n, &[Commodity::concentrate(ore)], false),
                &mut s.plan,
                &mut s.pos,
                &s.no_cover,
                &s.cap,
                None,
                1.0,
                false,
                &mut s.probe,
                &mut s.items,
            );
            let (plan, f) = (&s.plan, &s.plan.flows[0]);
            for d in 0..n {
                let home =
                    (plan.production[d] - f[d * n..(d + 1) * n].iter().sum::<f64>()).max(0.0);
                let mut sh = [home * own[d][i][0], home * own[d][i][1]];
                let mut total = home;
                for o in (0..n).filter(|&o| o != d) {
                    sh[0] += f[o * n + d] * shares[o][i][0];
                    sh[1] += f[o * n + d] * shares[o][i][1];
                    total += f[o * n + d];
                }
                s.next[d][i] = if total > 0.0 {
                    [sh[0] / total, sh[1] / total]
                } else {
                    own[d][i]
                };
            }
        }
        std::mem::swap(shares, &mut s.next);
    }
}
