//! Allocation to end use (11), magnet stockpile releases (12) and refills (14): who receives
//! the month's magnets, by sector priority.

// Index loops over regions and sectors read closer to the equations than zipped iterators.
#![allow(clippy::needless_range_loop)]

use crate::model::Commodity;
use crate::model::limits::Limits;
use crate::model::record::MonthRecord;
use crate::model::state::{ChainParams, Exogenous, Stocks};
use crate::model::stockpile::StockpileState;

/// (11) End use: per region and grade, the magnet stock serves sectors by `priority` (1 first),
/// pro rata within a level. Sectors under an end-use restriction in force against the region
/// are served first, from the part of the stock free of the restricting origins' content, and
/// then from the rest of the stock up to the share of their demand the restriction allows (0
/// under an end-use denial).
pub fn end_use(
    p: &ChainParams,
    x: &Exogenous,
    limits: &Limits,
    stocks: &mut Stocks,
    rec: &mut MonthRecord,
) {
    use Commodity::*;
    let n = stocks.lots.len();
    rec.demand = x.demand.clone();
    rec.delivered = x.demand.iter().map(|s| vec![[0.0; 2]; s.len()]).collect();
    for r in 0..n {
        for (g, c) in [(0, MagnetStandard), (1, MagnetHighTemp)] {
            let denials: Vec<_> = limits.denials(r).filter(|d| d.grades[g]).collect();
            // Per sector, the share of its demand it may draw from the restricted content (the
            // smallest of the restrictions naming it); None: unrestricted.
            let allowed: Vec<Option<f64>> = p.sector_ids[r]
                .iter()
                .map(|id| {
                    denials
                        .iter()
                        .filter(|d| d.sectors.contains(id))
                        .map(|d| d.allowed)
                        .reduce(f64::min)
                })
                .collect();
            let denied: Vec<bool> = allowed.iter().map(Option::is_some).collect();
            let lot = &mut stocks.lots[r][c as usize];
            let want: Vec<f64> = x.demand[r].iter().map(|s| s[g]).collect();
            if denied.iter().any(|&d| d) {
                // Each origin's content counted once (extraterritorially if any restriction
                // from it is).
                let mut origins: Vec<(usize, bool)> = Vec::new();
                for d in &denials {
                    match origins.iter_mut().find(|(o, _)| *o == d.origin) {
                        Some((_, ext)) => *ext |= d.extraterritorial,
                        None => origins.push((d.origin, d.extraterritorial)),
                    }
                }
                let tagged: f64 = origins.iter().map(|&(o, ext)| lot.tagged(o, ext)).sum();
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
                // What they still want, up to the allowed share of their demand, from the rest.
                let want_tagged: Vec<f64> = want
                    .iter()
                    .zip(&allowed)
                    .zip(&got)
                    .map(|((w, a), q)| match a {
                        Some(a) if *a > 0.0 => (w - q).min(a * w).max(0.0),
                        _ => 0.0,
                    })
                    .collect();
                if want_tagged.iter().any(|&w| w > 0.0) {
                    let got = by_priority(lot.total(), &want_tagged, &p.priority[r]);
                    for (s, q) in got.iter().enumerate() {
                        lot.take(*q);
                        rec.delivered[r][s][g] += q;
                    }
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
}

/// (12) Magnet stockpiles release against the unmet end-use demand in each region they serve,
/// within their trigger and rate: first to their `priority_sectors` in the order listed, then
/// to the other sectors by priority. Stockpiled magnets carry no origin tags.
pub fn release_magnet_stockpiles(
    p: &ChainParams,
    x: &Exogenous,
    stockpiles: &mut [StockpileState],
    rec: &mut MonthRecord,
) {
    for (i, sp) in stockpiles.iter_mut().enumerate() {
        let g = match sp.commodity {
            Commodity::MagnetStandard => 0,
            Commodity::MagnetHighTemp => 1,
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
}

/// (14) Refill: a stockpile buys back from its region's commercial stock, after end use, what
/// `refill_wanted` allows and the stock holds; then its crisis clock advances.
pub fn refill_stockpiles(
    stocks: &mut Stocks,
    stockpiles: &mut [StockpileState],
    rec: &mut MonthRecord,
) {
    for (i, sp) in stockpiles.iter_mut().enumerate() {
        let q = sp.refill_wanted().min(stocks.get(sp.region, sp.commodity));
        if q > 0.0 {
            stocks.lots[sp.region][sp.commodity as usize].take(q);
            sp.level += q;
            if sp.build_rate <= 0.0 {
                sp.refill_budget -= q;
            }
            rec.refilled[i][sp.region] = q;
        }
        sp.end_month();
    }
}

/// End-use unmet demand after the component lag `lag` (months): the month's shortfall at the
/// component makers, `S(t) = max(D - delivered, 0)` per region, sector and grade (after
/// stockpile releases), reaches end products `lag` months later, split as shipments are:
/// `U(t) = (1 - f) S(t - k) + f S(t - k - 1)` with `k = floor(lag)`, `f = lag - k`, and
/// `S = 0` before month 0 (the pipeline starts full). With `lag = 0`, `U = S`.
pub fn components(lag: f64, stocks: &mut Stocks, rec: &mut MonthRecord) {
    let shortfall: Vec<Vec<[f64; 2]>> = rec
        .demand
        .iter()
        .zip(&rec.delivered)
        .map(|(d, got)| {
            d.iter()
                .zip(got)
                .map(|(d, g)| [0, 1].map(|k| (d[k] - g[k]).max(0.0)))
                .collect()
        })
        .collect();
    let (k, f) = (lag.floor() as usize, lag - lag.floor());
    let past = &mut stocks.shortfalls;
    past.push(shortfall);
    if past.len() > k + 2 {
        past.remove(0);
    }
    // `ago(j)`: the shortfall `j` months ago, if recorded.
    let len = past.len();
    let ago = |j: usize| (j < len).then(|| &past[len - 1 - j]);
    let at = |j: usize, r: usize, s: usize, g: usize| ago(j).map_or(0.0, |x| x[r][s][g]);
    rec.unmet = rec
        .demand
        .iter()
        .enumerate()
        .map(|(r, secs)| {
            (0..secs.len())
                .map(|s| {
                    [0, 1].map(|g| {
                        let late = if f > 0.0 { at(k + 1, r, s, g) } else { 0.0 };
                        (1.0 - f) * at(k, r, s, g) + f * late
                    })
                })
                .collect()
        })
        .collect();
}

/// Serves `unmet[s]` (t, per region-local sector) from `amount` t: first the `first` sectors in
/// order, then the rest by `priority` (1 first), pro rata within a priority level. Returns what
/// each sector received; never more than its unmet need or, in total, than `amount`.
pub fn serve(amount: f64, unmet: &[f64], priority: &[u32], first: &[usize]) -> Vec<f64> {
    let mut got = vec![0.0; unmet.len()];
    let mut left = amount.max(0.0);
    for &s in first {
        let g = (unmet[s] - got[s]).min(left).max(0.0);
        got[s] += g;
        left -= g;
    }
    let remaining: Vec<f64> = unmet
        .iter()
        .zip(&got)
        .map(|(u, g)| (u - g).max(0.0))
        .collect();
    let extra = by_priority(left, &remaining, priority);
    for (g, e) in got.iter_mut().zip(extra) {
        *g += e;
    }
    got
}

/// Allocates `supply` to `demand[s]` by priority level (1 first), pro rata within a level.
pub fn by_priority(supply: f64, demand: &[f64], priority: &[u32]) -> Vec<f64> {
    let mut out = vec![0.0; demand.len()];
    let mut left = supply.max(0.0);
    let mut levels: Vec<u32> = priority.to_vec();
    levels.sort_unstable();
    levels.dedup();
    for level in levels {
        if left <= 0.0 {
            break;
        }
        let want: f64 = demand
            .iter()
            .zip(priority)
            .filter(|(_, p)| **p == level)
            .map(|(d, _)| d.max(0.0))
            .sum();
        if want <= 0.0 {
            continue;
        }
        // Supply within rounding of the demand serves it in full (no 1e-14 t shortfalls).
        let share = if left >= want * (1.0 - 1e-12) {
            1.0
        } else {
            left / want
        };
        for (i, (d, p)) in demand.iter().zip(priority).enumerate() {
            if *p == level {
                out[i] = d.max(0.0) * share;
            }
        }
        left -= want.min(left);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_levels_are_served_in_order_and_pro_rata_within() {
        // 100 t for defense (priority 1, 30 t) and ev + wind (priority 2, 60 t + 40 t).
        let got = by_priority(100.0, &[30.0, 60.0, 40.0], &[1, 2, 2]);
        assert!((got[0] - 30.0).abs() < 1e-12);
        assert!((got[1] - 42.0).abs() < 1e-12);
        assert!((got[2] - 28.0).abs() < 1e-12);
    }

    #[test]
    fn named_sectors_come_first() {
        // 10 t; sector 2 is named first even though its priority is lowest.
        let got = serve(10.0, &[5.0, 5.0, 8.0], &[1, 1, 3], &[2]);
        assert_eq!(got, vec![1.0, 1.0, 8.0]);
    }
}
