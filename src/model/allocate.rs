//! Allocation to end use (11), magnet stockpile releases (12) and refills (14): who receives
//! the month's magnets, by sector priority.

// Index loops over regions and sectors read closer to the equations than zipped iterators.
#![allow(clippy::needless_range_loop)]

use crate::model::Commodity;
use crate::model::buf::{copy_rows, fill, fill_like, set_from};
use crate::model::limits::Limits;
use crate::model::lot::Lot;
use crate::model::record::MonthRecord;
use crate::model::state::{ChainParams, Exogenous, Stocks};
use crate::model::stockpile::StockpileState;

/// Buffers of end use and magnet stockpile releases, one entry per region-local sector.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    /// Share of its demand a sector may draw from restricted content (None: unrestricted).
    allowed: Vec<Option<f64>>,
    want: Vec<f64>,
    got: Vec<f64>,
    /// `[level]` the share of its demand each priority level receives (None: not served).
    shares: Vec<Option<f64>>,
    /// Restricting origins, each once, and whether any restriction from it is extraterritorial.
    origins: Vec<(usize, bool)>,
    first: Vec<usize>,
}

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
    s: &mut Scratch,
) {
    use Commodity::*;
    let n = stocks.lots.len();
    copy_rows(&mut rec.demand, &x.demand);
    fill_like(&mut rec.delivered, &x.demand, [0.0; 2]);
    for r in 0..n {
        let demand = &x.demand[r][..];
        let want_of = |s: usize, g: usize| demand[s][g];
        for (g, c) in [(0, MagnetStandard), (1, MagnetHighTemp)] {
            let denials = || limits.denials(r).filter(|d| d.grades[g]);
            // Per sector, the share of its demand it may draw from the restricted content (the
            // smallest of the restrictions naming it); None: unrestricted (empty: all are).
            s.allowed.clear();
            if denials().next().is_some() {
                s.allowed.extend(p.sector_ids[r].iter().map(|id| {
                    denials()
                        .filter(|d| d.sectors.contains(id))
                        .map(|d| d.allowed)
                        .reduce(f64::min)
                }));
            }
            let allowed = &s.allowed;
            let denied = |s: usize| allowed.get(s).is_some_and(Option::is_some);
            let k = demand.len();
            let lot = &mut stocks.lots[r][c as usize];
            if allowed.iter().any(Option::is_some) {
                // Each origin's content counted once (extraterritorially if any restriction
                // from it is).
                let origins = &mut s.origins;
                origins.clear();
                for d in denials() {
                    match origins.iter_mut().find(|(o, _)| *o == d.origin) {
                        Some((_, ext)) => *ext |= d.extraterritorial,
                        None => origins.push((d.origin, d.extraterritorial)),
                    }
                }
                let tagged: f64 = origins.iter().map(|&(o, ext)| lot.tagged(o, ext)).sum();
                let clean = (lot.total() - tagged).max(0.0);
                set_from(
                    &mut s.want,
                    (0..k).map(|i| if denied(i) { want_of(i, g) } else { 0.0 }),
                );
                by_priority(clean, &s.want, &p.priority_order[r], &mut s.got);
                for (i, q) in s.got.iter().enumerate() {
                    rec.delivered[r][i][g] += lot.take_untagged(*q);
                }
                // What they still want, up to the allowed share of their demand, from the rest.
                let got = &s.got;
                set_from(
                    &mut s.want,
                    (0..k).map(|i| {
                        let w = want_of(i, g);
                        match allowed[i] {
                            Some(a) if a > 0.0 => (w - got[i]).min(a * w).max(0.0),
                            _ => 0.0,
                        }
                    }),
                );
                if s.want.iter().any(|&w| w > 0.0) {
                    let (order, want) = (&p.priority_order[r], &s.want);
                    let delivered = &mut rec.delivered[r];
                    serve_from(lot, |i| want[i], order, &mut s.shares, delivered, g);
                }
            }
            let order = &p.priority_order[r];
            let delivered = &mut rec.delivered[r];
            // Without restrictions no sector is denied: each wants its demand.
            if allowed.is_empty() {
                serve_from(lot, |i| demand[i][g], order, &mut s.shares, delivered, g);
            } else {
                let want = |i: usize| if denied(i) { 0.0 } else { demand[i][g] };
                serve_from(lot, want, order, &mut s.shares, delivered, g);
            }
        }
    }
}

/// Serves `want(s)` (grade `g`, per local sector `s`) from `lot` by priority (sectors in
/// serving order `order`), as `by_priority` allocates: each sector's share counts as
/// delivered, and their sum (added in sector index order) leaves the lot in one well-mixed
/// removal (`shares` is a buffer).
fn serve_from(
    lot: &mut Lot,
    want: impl Fn(usize) -> f64,
    order: &ServingOrder,
    shares: &mut Vec<Option<f64>>,
    delivered: &mut [[f64; 2]],
    g: usize,
) {
    fill(shares, order.level_ends.len(), None);
    by_level(lot.total(), order, &want, |level, _, share| {
        shares[level] = Some(share)
    });
    let mut served = 0.0;
    for ((s, d), &level) in delivered.iter_mut().enumerate().zip(&order.level_of) {
        // What `by_priority` gives the sector (0 at a level not served).
        let q = shares[level].map_or(0.0, |share| want(s).max(0.0) * share);
        served += q;
        d[g] += q;
    }
    // The lot gives up what was served (to rounding: `remove` never takes more than it holds).
    lot.remove(served);
}

/// (12) Magnet stockpiles release against the unmet end-use demand in each region they serve,
/// within their trigger and rate: first to their `priority_sectors` in the order listed, then
/// to the other sectors by priority. Stockpiled magnets carry no origin tags.
pub fn release_magnet_stockpiles(
    p: &ChainParams,
    x: &Exogenous,
    stockpiles: &mut [StockpileState],
    rec: &mut MonthRecord,
    s: &mut Scratch,
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
            set_from(
                &mut s.want,
                x.demand[r]
                    .iter()
                    .zip(&rec.delivered[r])
                    .map(|(d, got)| (d[g] - got[g]).max(0.0)),
            );
            let total_unmet: f64 = s.want.iter().sum();
            if total_unmet > 0.0 {
                sp.saw_shortage = true;
            }
            let q = sp.release_for(total_unmet, wanted);
            if q <= 0.0 {
                continue;
            }
            set_from(
                &mut s.first,
                sp.priority_sectors
                    .iter()
                    .filter_map(|id| p.sector_ids[r].iter().position(|x| x == id)),
            );
            serve(q, &s.want, &p.priority_order[r], &s.first, &mut s.got);
            // Rounding in the pro rata split may exceed the level by a few ulps.
            let total = s.got.iter().sum::<f64>().min(sp.level);
            for (ls, v) in s.got.iter().enumerate() {
                rec.delivered[r][ls][g] += v;
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
            stocks.lots[sp.region][sp.commodity as usize].remove(q);
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
    let (k, f) = (lag.floor() as usize, lag - lag.floor());
    // The last `k + 2` months are kept, in a ring of tables of every local sector (once they
    // are, the oldest table is reused for this month's), followed by a table of zeros: the
    // shortfall of a month before month 0.
    let slots = k + 2;
    let width: usize = rec.demand.iter().map(Vec::len).sum();
    let Stocks {
        shortfalls: past,
        shortfall_months: len,
        shortfall_latest: latest,
        ..
    } = stocks;
    if *len == 0 {
        // A run's first month: the ring takes the run's shape.
        fill(past, (slots + 1) * width, [0.0; 2]);
        *latest = 0;
    } else {
        *latest = if *latest + 1 == slots { 0 } else { *latest + 1 };
    }
    *len = (*len + 1).min(slots);
    let table = |slot: usize| slot * width..(slot + 1) * width;
    let mut shortfall = &mut past[table(*latest)];
    for (d, got) in rec.demand.iter().zip(&rec.delivered) {
        let (row, rest) = shortfall.split_at_mut(d.len());
        for (s, (d, g)) in row.iter_mut().zip(d.iter().zip(got)) {
            *s = [(d[0] - g[0]).max(0.0), (d[1] - g[1]).max(0.0)];
        }
        shortfall = rest;
    }
    // The shortfalls `k` and `k + 1` months ago (zeros if not recorded; the later one only
    // matters for a fractional lag): the slot `j` months before the latest, counted back
    // around the ring.
    let (len, latest) = (*len, *latest);
    let past = &past[..];
    let ago = |j: usize| {
        let slot = if j >= len {
            slots
        } else if j <= latest {
            latest - j
        } else {
            latest + slots - j
        };
        &past[table(slot)]
    };
    let (mut due, mut late) = (ago(k), if f > 0.0 { ago(k + 1) } else { ago(slots) });
    // The rows keep their shape from month to month: each is overwritten in place.
    let unmet = &mut rec.unmet;
    unmet.resize_with(rec.demand.len(), Vec::new);
    let on_time = 1.0 - f;
    for (row, d) in unmet.iter_mut().zip(&rec.demand) {
        let (due_row, late_row);
        ((due_row, due), (late_row, late)) = (due.split_at(d.len()), late.split_at(d.len()));
        row.resize(d.len(), [0.0; 2]);
        for (u, (x, y)) in row.iter_mut().zip(due_row.iter().zip(late_row)) {
            *u = [on_time * x[0] + f * y[0], on_time * x[1] + f * y[1]];
        }
    }
}

/// A region's local sectors in the order end use serves them: by priority (1 first), in index
/// order within a level, with where each level ends (fixed for a run: `by_priority` then
/// never compares priorities).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServingOrder {
    /// Sector indices in serving order.
    pub sectors: Vec<usize>,
    /// End (in `sectors`) of each priority level, in order.
    level_ends: Vec<usize>,
    /// `[sector]` its level's index in `level_ends`.
    level_of: Vec<usize>,
}

impl ServingOrder {
    /// Sets the order for `n` sectors, sector `s` of priority `priority(s)`, reusing the tables.
    pub fn set(&mut self, n: usize, priority: impl Fn(usize) -> u32) {
        set_from(&mut self.sectors, 0..n);
        self.sectors.sort_by_key(|&s| priority(s));
        self.level_ends.clear();
        for (i, w) in self.sectors.windows(2).enumerate() {
            if priority(w[0]) != priority(w[1]) {
                self.level_ends.push(i + 1);
            }
        }
        if !self.sectors.is_empty() {
            self.level_ends.push(self.sectors.len());
        }
        fill(&mut self.level_of, n, 0);
        let mut start = 0;
        for (level, &end) in self.level_ends.iter().enumerate() {
            for &s in &self.sectors[start..end] {
                self.level_of[s] = level;
            }
            start = end;
        }
    }

    /// The order for sectors of priorities `priority`.
    pub fn of(priority: &[u32]) -> ServingOrder {
        let mut o = ServingOrder::default();
        o.set(priority.len(), |s| priority[s]);
        o
    }

    /// The sectors of each priority level, 1 first.
    fn levels(&self) -> impl Iterator<Item = &[usize]> {
        let mut start = 0;
        self.level_ends.iter().map(move |&end| {
            let level = &self.sectors[start..end];
            start = end;
            level
        })
    }
}

/// Serves `unmet[s]` (t, per region-local sector) from `amount` t: first the `first` sectors in
/// order, then the rest by priority (in serving order `order`), pro rata within a priority
/// level. Sets `got` to what each sector received; never more than its unmet need
/// or, in total, than `amount`.
pub fn serve(
    amount: f64,
    unmet: &[f64],
    order: &ServingOrder,
    first: &[usize],
    got: &mut Vec<f64>,
) {
    fill(got, unmet.len(), 0.0);
    let mut left = amount.max(0.0);
    for &s in first {
        let g = (unmet[s] - got[s]).min(left).max(0.0);
        got[s] += g;
        left -= g;
    }
    // Each sector's remaining need is read before it is served, once, at its own level, so
    // `got` can hold both what it had and what it gets.
    let got = std::cell::Cell::from_mut(got.as_mut_slice()).as_slice_of_cells();
    by_priority_with(
        left,
        order,
        |s| (unmet[s] - got[s].get()).max(0.0),
        |s, e| got[s].set(got[s].get() + e),
    );
}

/// Allocates `supply` to `demand[s]` by priority level (in serving order `order`), pro rata
/// within a level, into `out`.
pub fn by_priority(supply: f64, demand: &[f64], order: &ServingOrder, out: &mut Vec<f64>) {
    fill(out, demand.len(), 0.0);
    by_priority_with(supply, order, |s| demand[s], |s, q| out[s] = q);
}

/// `by_priority` on `demand(s)`, giving each sector's allocation to `give(s, q)` (only sectors
/// of the levels served, each once, after its level's demand was read).
fn by_priority_with(
    supply: f64,
    order: &ServingOrder,
    demand: impl Fn(usize) -> f64,
    mut give: impl FnMut(usize, f64),
) {
    by_level(supply, order, &demand, |_, at_level, share| {
        for &s in at_level {
            give(s, demand(s).max(0.0) * share);
        }
    });
}

/// The priority levels of `by_priority`: `serve(level, sectors, share)` for each level served
/// (its index, its sectors, and the share of its demand `demand(s).max(0.0)` each receives),
/// in order, after its demand was read.
#[inline(always)]
fn by_level(
    supply: f64,
    order: &ServingOrder,
    demand: impl Fn(usize) -> f64,
    mut serve: impl FnMut(usize, &[usize], f64),
) {
    let mut left = supply.max(0.0);
    for (level, at_level) in order.levels().enumerate() {
        if left <= 0.0 {
            break;
        }
        let want: f64 = at_level.iter().map(|&s| demand(s).max(0.0)).sum();
        if want <= 0.0 {
            continue;
        }
        // Supply within rounding of the demand serves it in full (no 1e-14 t shortfalls).
        let share = if left >= want * (1.0 - 1e-12) {
            1.0
        } else {
            left / want
        };
        serve(level, at_level, share);
        left -= want.min(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_levels_are_served_in_order_and_pro_rata_within() {
        // 100 t for defense (priority 1, 30 t) and ev + wind (priority 2, 60 t + 40 t).
        let mut got = Vec::new();
        let order = ServingOrder::of(&[1, 2, 2]);
        by_priority(100.0, &[30.0, 60.0, 40.0], &order, &mut got);
        assert!((got[0] - 30.0).abs() < 1e-12);
        assert!((got[1] - 42.0).abs() < 1e-12);
        assert!((got[2] - 28.0).abs() < 1e-12);
    }

    #[test]
    fn sectors_are_ordered_by_priority_then_index() {
        let order = ServingOrder::of(&[3, 1, 2, 1]);
        assert_eq!(order.sectors, vec![1, 3, 2, 0]);
        assert_eq!(
            order.levels().collect::<Vec<_>>(),
            [&[1, 3][..], &[2], &[0]]
        );
    }

    #[test]
    fn named_sectors_come_first() {
        // 10 t; sector 2 is named first even though its priority is lowest.
        let mut got = Vec::new();
        let order = ServingOrder::of(&[1, 1, 3]);
        serve(10.0, &[5.0, 5.0, 8.0], &order, &[2], &mut got);
        assert_eq!(got, vec![1.0, 1.0, 8.0]);
    }
}
