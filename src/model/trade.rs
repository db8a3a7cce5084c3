//! Trade between regions: importers' unmet orders are placed with exporters that have spare
//! supply, pro rata to that spare supply, within export controls.
//!
//! Flows are stored flat as `flows[o * n + d]` (origin `o`, destination `d`).

use crate::model::Commodity;
use crate::model::limits::Limits;
use crate::model::lot::Lot;
use crate::model::record::MonthRecord;
use crate::model::state::{Shipment, Stocks};

/// Places `needs[d]` with exporters' `spare[o]` over routes for which `open(o, d)` holds (never
/// `o == d`), pro rata to each open exporter's spare supply; an exporter asked for more than it
/// has scales every request down in proportion. Repeats on what is left (orders that an
/// exporter could not take go to the others) until nothing more moves. Returns the flows
/// placed; `needs` and `spare` are reduced by them.
pub fn place_orders(
    needs: &mut [f64],
    spare: &mut [f64],
    open: &dyn Fn(usize, usize) -> bool,
) -> Vec<f64> {
    let n = needs.len();
    let mut flows = vec![0.0; n * n];
    let mut req = vec![0.0; n * n];
    for _round in 0..4 {
        req.iter_mut().for_each(|x| *x = 0.0);
        for d in 0..n {
            if needs[d] <= 0.0 {
                continue;
            }
            let total: f64 = (0..n)
                .filter(|&o| o != d && open(o, d))
                .map(|o| spare[o].max(0.0))
                .sum();
            if total <= 0.0 {
                continue;
            }
            for o in (0..n).filter(|&o| o != d && open(o, d)) {
                req[o * n + d] = needs[d] * spare[o].max(0.0) / total;
            }
        }
        let mut moved = 0.0;
        for o in 0..n {
            let asked: f64 = req[o * n..(o + 1) * n].iter().sum();
            if asked <= 0.0 {
                continue;
            }
            let scale = if asked > spare[o] {
                spare[o].max(0.0) / asked
            } else {
                1.0
            };
            for d in 0..n {
                let f = req[o * n + d] * scale;
                flows[o * n + d] += f;
                needs[d] -= f;
                spare[o] -= f;
                moved += f;
            }
        }
        if moved <= 1e-12 {
            break;
        }
    }
    // Clean rounding residue so that "fully served" reads as exactly zero.
    needs.iter_mut().chain(spare.iter_mut()).for_each(|x| {
        if x.abs() < 1e-9 {
            *x = 0.0
        }
    });
    flows
}

/// Places import orders for commodity `c` within export controls: first freely, then scales
/// controlled routes down to their limits, then offers what the controls cut to exporters whose
/// routes are still open. Returns planned flows; `needs` and `spare` are reduced by them.
pub fn place_orders_within_controls(
    c: Commodity,
    needs: &mut [f64],
    spare: &mut [f64],
    limits: &mut Limits,
) -> Vec<f64> {
    let n = needs.len();
    let mut flows = place_orders(needs, spare, &|_, _| true);
    let closed = limits.apply(c, &mut flows, n, needs, spare);
    if closed.iter().any(|&x| x) && needs.iter().any(|&x| x > 0.0) {
        // A quota that was not binding in the first round may bind on the added flow, so
        // the limits apply to it as well.
        let mut extra = place_orders(needs, spare, &|o, d| !closed[o * n + d]);
        limits.apply(c, &mut extra, n, needs, spare);
        for (f, e) in flows.iter_mut().zip(&extra) {
            *f += e;
        }
    }
    flows
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
pub fn trade(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_go_to_exporters_pro_rata_to_spare() {
        // Region 2 needs 30; regions 0 and 1 have 40 and 20 spare: 20 and 10.
        let mut needs = vec![0.0, 0.0, 30.0];
        let mut spare = vec![40.0, 20.0, 0.0];
        let f = place_orders(&mut needs, &mut spare, &|_, _| true);
        assert!((f[2] - 20.0).abs() < 1e-9);
        assert!((f[3 + 2] - 10.0).abs() < 1e-9);
        assert_eq!(needs[2], 0.0);
    }

    #[test]
    fn exporter_short_of_supply_rations_and_others_fill_in() {
        // Two importers each need 10 from one exporter with 10 spare, plus a second exporter
        // with 4 spare open only to importer 3.
        let mut needs = vec![0.0, 0.0, 10.0, 10.0];
        let mut spare = vec![10.0, 4.0, 0.0, 0.0];
        let f = place_orders(&mut needs, &mut spare, &|o, d| o == 0 || d == 3);
        let total: f64 = f.iter().sum();
        assert!((total - 14.0).abs() < 1e-9, "{total}");
        assert!(spare.iter().all(|&s| s.abs() < 1e-9));
    }

    #[test]
    fn closed_routes_carry_nothing() {
        let mut needs = vec![0.0, 5.0];
        let mut spare = vec![10.0, 0.0];
        let f = place_orders(&mut needs, &mut spare, &|_, _| false);
        assert!(f.iter().all(|&x| x == 0.0));
        assert_eq!(needs[1], 5.0);
    }
}
