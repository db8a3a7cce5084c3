//! The physical pass (6)-(10): mines produce, separators feed and separate, recycled oxide
//! arrives, magnet plants make magnets; trade (6) runs between the stages (model::trade).
//! docs/model.md gives the equations.

// Index loops over regions read closer to the equations than zipped iterators.
#![allow(clippy::needless_range_loop)]

use crate::model::buf::{fill, set_from};
use crate::model::lot::Lot;
use crate::model::plan::{MonthPlan, circuit_split, feed_need};
use crate::model::record::MonthRecord;
use crate::model::state::{ChainParams, DE_MINIMIS, DYTB, Exogenous, NDPR, OTHER, Stocks};
use crate::model::stockpile::StockpileState;
use crate::model::{Commodity, Ore};

/// Buffers of the physical pass, kept from month to month: a `Lot` is large to zero, and a
/// fresh one per call would be (the lots here are only ever written by `Lot::take_to`, which
/// sets their shape and every value they then hold, before they are read).
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    /// What a separation circuit feeds from its pool (rewritten per circuit).
    fed: Lot,
    /// The oxide each region's plants consume, `[NdPr, Dy/Tb]` (rewritten per region).
    consumed: [Lot; 2],
    /// `[e * m + i]`: oxide stockpile `i`'s release of oxide `e` (rewritten per region).
    releasable: Vec<f64>,
}

/// (7) Mines produce the planned concentrate of each ore, spread over the region's mines of
/// that ore pro rata to capacity; the content enters the region's pool of that concentrate.
pub fn mine(x: &Exogenous, plan: &MonthPlan, stocks: &mut Stocks, rec: &mut MonthRecord) {
    let n = x.mine_cap.len();
    fill(&mut rec.mine_out, n, [0.0; 3]);
    fill(&mut rec.mine_out_by_ore, n, [0.0; 2]);
    for r in 0..n {
        for ore in Ore::ALL {
            let cap = x.ore_cap(r, ore);
            let s = if cap > 0.0 {
                (plan.conc[ore as usize].production[r] / cap).min(1.0)
            } else {
                0.0
            };
            let mut c = [0.0; 3];
            for ((cap, sh), o) in x.mine_cap[r]
                .iter()
                .zip(&x.mine_shares[r])
                .zip(&x.mine_ore[r])
            {
                if *o != ore {
                    continue;
                }
                let q = cap * s;
                c[NDPR] += q * sh[0];
                c[DYTB] += q * sh[1];
                c[OTHER] += q * (1.0 - sh[0] - sh[1]);
            }
            stocks.lots[r][Commodity::concentrate(ore) as usize].add_content(c);
            rec.mine_out_by_ore[r][ore as usize] = c.iter().sum();
            for (t, q) in rec.mine_out[r].iter_mut().zip(c) {
                *t += q;
            }
        }
    }
}

/// (8) Separation, circuit by circuit: the oxide plan is split between the circuits (8a) at
/// the clay pool's actual composition; each circuit feeds from its own ore's pool what its part
/// needs at the pool's actual composition, within the pool; outputs within its part and its
/// capacity; the rest of the feed is residue.
pub fn separate(
    x: &Exogenous,
    plan: &MonthPlan,
    stocks: &mut Stocks,
    rec: &mut MonthRecord,
    s: &mut Scratch,
) {
    let n = x.mine_cap.len();
    fill(&mut rec.feed, n, 0.0);
    fill(&mut rec.feed_by_ore, n, [0.0; 2]);
    fill(&mut rec.sep_out, n, [0.0; 2]);
    fill(&mut rec.residue, n, 0.0);
    let shares_of = |l: &Lot| {
        let total = l.total();
        if total > 0.0 {
            [l.q()[NDPR] / total, l.q()[DYTB] / total]
        } else {
            [0.0, 0.0]
        }
    };
    let fed = &mut s.fed;
    for r in 0..n {
        let planned = [plan.ox.production[r * 2], plan.ox.production[r * 2 + 1]];
        let clay = shares_of(&stocks.lots[r][Commodity::ClayConcentrate as usize]);
        let split = circuit_split(planned, &x.circuits[r], clay);
        for ore in Ore::ALL {
            let (i, k) = (ore as usize, &x.circuits[r][ore as usize]);
            let pool = &mut stocks.lots[r][Commodity::concentrate(ore) as usize];
            let total = pool.total();
            if total <= 0.0 {
                continue;
            }
            let sh = shares_of(pool);
            let feed = feed_need(split[i], sh, k.recovery, k.light, k.heavy).min(total);
            pool.take_to(feed, fed);
            let light = (fed.q()[NDPR] * k.recovery)
                .min(split[i][NDPR])
                .min(k.light);
            let heavy = (fed.q()[DYTB] * k.recovery)
                .min(split[i][DYTB])
                .min(k.heavy);
            rec.feed_by_ore[r][i] = fed.total();
            rec.feed[r] += fed.total();
            rec.sep_out[r][NDPR] += light;
            rec.sep_out[r][DYTB] += heavy;
            rec.residue[r] += fed.total() - light - heavy;
        }
        for (e, c) in [(NDPR, Commodity::LightOxide), (DYTB, Commodity::HeavyOxide)] {
            stocks.lots[r][c as usize].add_own(r, rec.sep_out[r][e]);
        }
    }
}

/// (M5) Recycled oxide joins the region's stock, tagged as separated there.
pub fn add_recycled(x: &Exogenous, stocks: &mut Stocks, rec: &mut MonthRecord) {
    let n = x.mine_cap.len();
    if x.recycled.is_empty() {
        fill(&mut rec.recycled, n, [0.0; 2]);
    } else {
        rec.recycled.clone_from(&x.recycled);
    }
    for r in 0..n {
        for (e, c) in [(NDPR, Commodity::LightOxide), (DYTB, Commodity::HeavyOxide)] {
            let q = rec.recycled[r][e];
            if q > 0.0 {
                stocks.lots[r][c as usize].add_own(r, q);
            }
        }
    }
}

/// (9) Planned magnet output per grade cut first to the Dy/Tb available (grades that use
/// Dy/Tb scaled together), then to the NdPr available; `have[e]` is stock plus what oxide
/// stockpiles could release.
pub fn magnet_output(planned: [f64; 2], recipes: &[[f64; 2]; 2], have: [f64; 2]) -> [f64; 2] {
    let mut out = planned;
    for e in [DYTB, NDPR] {
        let need: f64 = (0..2).map(|g| out[g] * recipes[g][e]).sum();
        if need > have[e] && need > 0.0 {
            let s = have[e].max(0.0) / need;
            for (g, o) in out.iter_mut().enumerate() {
                if recipes[g][e] > 0.0 {
                    *o *= s;
                }
            }
        }
    }
    out
}

/// (9)-(10) Magnet plants make what their plan, their oxide stock and the oxide stockpiles
/// serving the region allow; stockpiles release only the oxide that output uses beyond the
/// stock. New magnets are tagged made here, and with every origin that supplied at least
/// `DE_MINIMIS` of a grade's oxide.
pub fn make_magnets(
    p: &ChainParams,
    plan: &MonthPlan,
    stocks: &mut Stocks,
    stockpiles: &mut [StockpileState],
    rec: &mut MonthRecord,
    s: &mut Scratch,
) {
    use Commodity::*;
    let n = stocks.lots.len();
    let m = stockpiles.len();
    fill(&mut rec.oxide_used, n, [0.0; 2]);
    fill(&mut rec.magnet_out, n, [0.0; 2]);
    let Scratch {
        releasable: caps,
        consumed,
        ..
    } = s;
    for r in 0..n {
        let planned = [plan.mag.production[r * 2], plan.mag.production[r * 2 + 1]];
        let wanted: [f64; 2] = [0, 1].map(|e| (0..2).map(|g| planned[g] * p.recipes[g][e]).sum());
        let stock = [stocks.get(r, LightOxide), stocks.get(r, HeavyOxide)];
        // What each oxide stockpile serving the region would release against the whole need
        // beyond the stock, decided once: the output is cut to stock plus these, and the
        // releases below stay within them (no second trigger test on a smaller need).
        // `[e * m + i]`: stockpile `i`'s release of oxide `e`.
        set_from(
            caps,
            [(NDPR, LightOxide), (DYTB, HeavyOxide)]
                .iter()
                .flat_map(|&(e, c)| {
                    stockpiles.iter().map(move |s| {
                        if s.commodity == c && s.serves.contains(&r) {
                            s.release_for((wanted[e] - stock[e]).max(0.0), wanted[e])
                        } else {
                            0.0
                        }
                    })
                }),
        );
        let releasable = [0, 1].map(|e| caps[e * m..(e + 1) * m].iter().sum::<f64>());
        let have = [stock[0] + releasable[0], stock[1] + releasable[1]];
        let out = magnet_output(planned, &p.recipes, have);
        for (e, c) in [(NDPR, LightOxide), (DYTB, HeavyOxide)] {
            let used: f64 = (0..2).map(|g| out[g] * p.recipes[g][e]).sum();
            let short_of_plan = wanted[e] > stock[e];
            release_oxide(
                stockpiles,
                r,
                c,
                used - stock[e],
                short_of_plan,
                &caps[e * m..(e + 1) * m],
                stocks,
                rec,
            );
            let lot = &mut stocks.lots[r][c as usize];
            let used = used.min(lot.total());
            lot.take_to(used, &mut consumed[e]);
            rec.oxide_used[r][e] = used;
        }
        rec.magnet_out[r] = out;
        for (g, c) in [(0, MagnetStandard), (1, MagnetHighTemp)] {
            add_made(
                &mut stocks.lots[r][c as usize],
                r,
                out[g],
                p.recipes[g],
                consumed,
            );
        }
    }
}

/// (10) Oxide stockpiles of `c` serving region `r` release `short` t (what the output uses
/// beyond the stock) into the region's stock, in stockpile order, each at most its `caps[i]`
/// (what it was found to release against the whole need); `short_of_plan` marks a shortage
/// they saw.
#[allow(clippy::too_many_arguments)]
fn release_oxide(
    stockpiles: &mut [StockpileState],
    r: usize,
    c: Commodity,
    short: f64,
    short_of_plan: bool,
    caps: &[f64],
    stocks: &mut Stocks,
    rec: &mut MonthRecord,
) {
    let mut short = short.max(0.0);
    for (i, sp) in stockpiles.iter_mut().enumerate() {
        if sp.commodity != c || !sp.serves.contains(&r) || short <= 0.0 {
            continue;
        }
        if short_of_plan {
            sp.saw_shortage = true;
        }
        let q = short.min(caps[i]).min(sp.level).max(0.0);
        sp.level -= q;
        short -= q;
        rec.released[i][r] += q;
        stocks.lots[r][c as usize].add_untagged(q);
    }
}

/// Adds to the magnet stock `stock` the `out` t of a grade made in region `r` from the oxide
/// lots `consumed` (`[NdPr, Dy/Tb]`): tagged made in `r`, and carrying origin `o` in full when
/// `o` supplied at least `DE_MINIMIS` of the oxide (by mass) the grade used, as a rule on
/// products containing controlled material would count it. (What adding that lot would do:
/// its zero entries change nothing, see `Lot::add_untagged`.)
fn add_made(stock: &mut Lot, r: usize, out: f64, recipe: [f64; 2], consumed: &[Lot; 2]) {
    let n = consumed[0].a().len();
    let share_of = |l: &Lot, o: usize| {
        if l.total() > 0.0 {
            l.a()[o] / l.total()
        } else {
            0.0
        }
    };
    stock.add_own(r, out);
    let (wl, wh) = (recipe[NDPR], recipe[DYTB]);
    if wl + wh > 0.0 {
        for o in 0..n {
            let share =
                (wl * share_of(&consumed[0], o) + wh * share_of(&consumed[1], o)) / (wl + wh);
            if share >= DE_MINIMIS {
                stock.b_mut()[o] += out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::N_COMMODITIES;

    /// One region planning 100 t of high_temp magnets (0.28 t NdPr, 0.03 t Dy/Tb each) with
    /// 20 t NdPr and 2.4 t Dy/Tb oxide in stock and a NdPr stockpile that releases on a
    /// shortage above 10% of the need.
    #[test]
    fn oxide_stockpiles_release_what_the_cut_output_uses_beyond_the_stock() {
        use Commodity::*;
        let p = ChainParams {
            recipes: [[0.2, 0.0], [0.28, 0.03]],
            inventory_days: vec![[0.0; N_COMMODITIES]],
            rebuild_months: 3.0,
            priority_order: vec![Default::default()],
            sector_ids: vec![vec![]],
            world_shares: [[0.0; 2]; 2],
            transit: vec![0.0],
            component_lag: 0.0,
        };
        let mut plan = MonthPlan::default();
        plan.mag.production = vec![0.0, 100.0];
        let mut stocks = Stocks::zero(1);
        stocks.lots[0][LightOxide as usize].add(&Lot::plain(LightOxide, 20.0, 1));
        stocks.lots[0][HeavyOxide as usize].add(&Lot::plain(HeavyOxide, 2.4, 1));
        let mut sp = [StockpileState {
            region: 0,
            commodity: LightOxide,
            level: 1000.0,
            capacity: 1000.0,
            max_release: f64::INFINITY,
            on_control: false,
            on_shortage: true,
            threshold: 0.1,
            control_active: false,
            price_high: false,
            serves: vec![0],
            priority_sectors: vec![],
            refill_rate: 0.0,
            refill_delay: 0.0,
            refill_budget: f64::INFINITY,
            quiet_months: f64::INFINITY,
            saw_shortage: false,
            build_rate: 0.0,
            build_started: false,
        }];
        let mut rec = MonthRecord {
            released: crate::model::record::Table::zeros(1, 1),
            ..MonthRecord::default()
        };
        make_magnets(
            &p,
            &plan,
            &mut stocks,
            &mut sp,
            &mut rec,
            &mut Scratch::default(),
        );
        // Dy/Tb allows 2.4 / 0.03 = 80 t; they use 22.4 t NdPr, 2.4 t beyond the stock. The
        // stockpile qualified against the whole need (8 of 28 t, above 10%), so it releases the
        // 2.4 t even though 2.4 of 28 t alone is under its threshold.
        assert!((rec.magnet_out[0][1] - 80.0).abs() < 1e-9);
        assert!(
            (rec.released[0][0] - 2.4).abs() < 1e-9,
            "{}",
            rec.released[0][0]
        );
        assert!((rec.oxide_used[0][0] - 22.4).abs() < 1e-9);
        assert!(
            (rec.oxide_used[0][0] - 80.0 * 0.28).abs() < 1e-9,
            "magnets made from oxide never used"
        );
        assert!((sp[0].level - 997.6).abs() < 1e-9);
    }
}
