//! The monthly step of the magnet chain: mine -> separation -> magnet -> end use, with trade,
//! commercial inventories, export controls (as the month's `Limits`) and strategic stockpiles.
//!
//! The month is a sequence of phases, each in the module that owns it: the planning pass
//! upstream (model::plan: end-use demand sets magnet orders, planned magnet output sets oxide
//! orders, planned separation sets concentrate orders; each placed at home first, then with
//! exporters within the limits), then the physical pass downstream (model::flows, with trade
//! between stages in model::trade), then allocation to end use and stockpiles
//! (model::allocate). docs/model.md gives the equations; the phases follow its numbering.

use crate::model::allocate::{
    self, components, end_use, refill_stockpiles, release_magnet_stockpiles,
};
use crate::model::buf::set_from;
use crate::model::flows::{self, add_recycled, make_magnets, mine, separate};
use crate::model::limits::Limits;
use crate::model::plan::{self, MonthPlan, plan_month, target};
use crate::model::record::MonthRecord;
use crate::model::state::{ChainParams, Exogenous, StockTotals, Stocks};
use crate::model::stockpile::StockpileState;
use crate::model::trade::{Docks, prefill_transit, trade};
use crate::model::{Commodity, N_COMMODITIES, Ore};

pub use crate::model::record::mass_balance_error;
pub use crate::model::state::DAYS_PER_MONTH;

/// Buffers the month reuses (the plan and the phases' scratch tables), kept from month to
/// month and run to run so that a month allocates nothing once their shapes are set.
#[derive(Debug, Clone, Default)]
pub struct Work {
    pub plan: MonthPlan,
    plan_scratch: plan::Scratch,
    docks: Docks,
    pub(crate) alloc: allocate::Scratch,
    flows: flows::Scratch,
    /// The stock totals the last month stepped ended with, and that month (`record_start`).
    last_end: Option<(usize, StockTotals)>,
}

/// Runs one month (`month`, 0-based). `stocks` and `stockpiles` are updated in place; `rec`
/// receives every flow (its tables are refilled in place). In month 0 (`init`) commercial
/// stocks are first set to their targets.
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
    w: &mut Work,
) {
    use Commodity::*;
    let n = x.magnet_cap.len();
    let plan = &mut w.plan;
    plan_month(
        p,
        x,
        limits,
        stocks,
        stockpiles,
        init,
        plan,
        &mut w.plan_scratch,
    );
    let plan = &w.plan;
    if init {
        for c in Commodity::ALL {
            prefill_transit(n, c, plan.flows(c), &p.transit, &plan.conc_shares, stocks);
        }
    }
    record_start(stocks, month, init, &w.last_end, &mut rec.stocks_start);
    begin_record(x, plan, stockpiles, rec);

    // Physical pass, upstream to downstream, each stage's output traded (6) before the next.
    let docks = &mut w.docks;
    let mut ship = |c: Commodity, stocks: &mut Stocks, rec: &mut MonthRecord| {
        let home = |r: usize| plan.home_use(r, c);
        trade(
            n,
            month,
            c,
            plan.flows(c),
            home,
            &p.transit,
            stocks,
            limits,
            rec,
            docks,
        );
    };
    mine(x, plan, stocks, rec);
    ship(Concentrate, stocks, rec);
    ship(ClayConcentrate, stocks, rec);
    separate(x, plan, stocks, rec, &mut w.flows);
    add_recycled(x, stocks, rec);
    ship(LightOxide, stocks, rec);
    ship(HeavyOxide, stocks, rec);
    make_magnets(p, plan, stocks, stockpiles, rec, &mut w.flows);
    ship(MagnetStandard, stocks, rec);
    ship(MagnetHighTemp, stocks, rec);

    end_use(p, x, limits, stocks, rec, &mut w.alloc);
    release_magnet_stockpiles(p, x, stockpiles, rec, &mut w.alloc);
    refill_stockpiles(stocks, stockpiles, rec);
    components(p.component_lag, stocks, rec);
    close_record(plan, stocks, stockpiles, rec);
    keep_end(month, &rec.stocks_end, &mut w.last_end);
}

/// Records the stock totals at the month's start (after month-0 initialisation) into `slot`.
/// After month 0 they are the totals the previous month ended with, copied from `last_end`
/// when that was month `month - 1`: only `step` changes the stocks, and planning changes them
/// in month 0 only.
fn record_start(
    stocks: &Stocks,
    month: usize,
    init: bool,
    last_end: &Option<(usize, StockTotals)>,
    slot: &mut Option<StockTotals>,
) {
    match (last_end, slot.as_mut()) {
        (Some((m, end)), Some(start)) if !init && m + 1 == month => {
            start.copy_from(end);
            debug_assert!(start.match_bits(stocks), "stocks changed between months");
        }
        _ => StockTotals::record(slot, stocks),
    }
}

/// Keeps the month's end totals `end` in `last_end`, for `record_start` next month.
fn keep_end(month: usize, end: &Option<StockTotals>, last_end: &mut Option<(usize, StockTotals)>) {
    let Some(end) = end else { return };
    match last_end {
        Some((m, kept)) => {
            *m = month;
            kept.copy_from(end);
        }
        None => *last_end = Some((month, end.clone())),
    }
}

/// Records the rest of the month's start: planned home use, target
/// stocks and home capacity per commodity (what the market measures tightness on), and empty
/// flow tables. Every table is written in place: a month's record keeps its shape from run to
/// run.
fn begin_record(
    x: &Exogenous,
    plan: &MonthPlan,
    stockpiles: &[StockpileState],
    rec: &mut MonthRecord,
) {
    let n = x.magnet_cap.len();
    let MonthRecord {
        home_use,
        target: targets,
        capacity,
        ..
    } = rec;
    for t in [&mut *home_use, &mut *targets, &mut *capacity] {
        t.resize(n, [0.0; N_COMMODITIES]);
    }
    for r in 0..n {
        let uses = Commodity::ALL.map(|c| plan.home_use(r, c));
        let days = &plan.days[r];
        home_use[r] = uses;
        targets[r] = std::array::from_fn(|c| target(days[c], uses[c]));
        capacity[r] = home_capacity(x, plan, r);
    }
    set_from(&mut rec.stockpile_start, stockpiles.iter().map(|s| s.level));
    for t in [
        &mut rec.flows,
        &mut rec.arrivals,
        &mut rec.licensed,
        &mut rec.delayed,
    ] {
        t.fill(N_COMMODITIES, n * n, 0.0);
    }
    rec.released.fill(stockpiles.len(), n, 0.0);
    rec.refilled.fill(stockpiles.len(), n, 0.0);
}

/// Region `r`'s home capacity per commodity this month (t/month), magnet capacity split
/// between the grades as their planned home use is.
fn home_capacity(x: &Exogenous, plan: &MonthPlan, r: usize) -> [f64; N_COMMODITIES] {
    let (us, uh) = (plan.mag.use_[r * 2], plan.mag.use_[r * 2 + 1]);
    let hs = if us + uh > 0.0 { uh / (us + uh) } else { 0.5 };
    [
        x.ore_cap(r, Ore::HardRock),
        x.light_cap(r),
        x.heavy_cap(r),
        x.magnet_cap[r] * (1.0 - hs),
        x.magnet_cap[r] * hs,
        x.ore_cap(r, Ore::IonicClay),
    ]
}

/// Closes the month: whether each region's oxide imports were rationed (less was shipped toward
/// it than it ordered abroad, by 0.1%; read by (3a) next month), what capacity the market sees (a stage
/// that missed its plan for want of inputs has no usable spare: the market sees what it made),
/// and the stocks at the month's end.
fn close_record(
    plan: &MonthPlan,
    stocks: &mut Stocks,
    stockpiles: &[StockpileState],
    rec: &mut MonthRecord,
) {
    use Commodity::*;
    let n = stocks.lots.len();
    let imports = &mut stocks.oxide_imports;
    imports.resize(n, [(0.0, false); 2]);
    for (r, row) in imports.iter_mut().enumerate() {
        for (e, c) in [(0, LightOxide), (1, HeavyOxide)] {
            let shipped = rec.shipped_to(r, c);
            let rationed = shipped < plan.ox.import_orders[r * 2 + e] * 0.999;
            row[e] = (rec.imports(r, c), rationed);
        }
    }
    for r in 0..n {
        let made = [
            rec.sep_out[r][0],
            rec.sep_out[r][1],
            rec.magnet_out[r][0],
            rec.magnet_out[r][1],
        ];
        let planned = [
            plan.ox.production[r * 2],
            plan.ox.production[r * 2 + 1],
            plan.mag.production[r * 2],
            plan.mag.production[r * 2 + 1],
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
    StockTotals::record(&mut rec.stocks_end, stocks);
    set_from(&mut rec.stockpile_end, stockpiles.iter().map(|s| s.level));
}
