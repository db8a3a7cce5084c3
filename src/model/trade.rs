//! Trade between regions: importers' unmet orders are placed with exporters that have spare
//! supply, pro rata to that spare supply, within export controls.
//!
//! Flows are stored flat as `flows[o * n + d]` (origin `o`, destination `d`).

use crate::model::Commodity;
use crate::model::buf::Slots;
use crate::model::limits::Limits;
use crate::model::lot::Lot;
use crate::model::record::MonthRecord;
use crate::model::state::Stocks;

/// Places `needs[d]` with exporters' `spare[o]` over routes for which `open(o, d)` holds (never
/// `o == d`), pro rata to each open exporter's spare supply; an exporter asked for more than it
/// has scales every request down in proportion. Repeats on what is left (orders that an
/// exporter could not take go to the others) until nothing more moves. Sets `flows` to the
/// flows placed; `needs` and `spare` (one entry per region each) are reduced by them.
pub fn place_orders(
    needs: &mut [f64],
    spare: &mut [f64],
    open: impl Fn(usize, usize) -> bool,
    flows: &mut Vec<f64>,
    r: &mut Requests,
) {
    // Two and four regions (the shipped scenarios) get copies of their own, in which the
    // loops over regions have a known length (unrolled, no bounds checks, no call to clear the
    // flows).
    match needs.len() {
        2 => place(2, needs, spare, &open, flows, r),
        4 => place(4, needs, spare, &open, flows, r),
        n => place(n, needs, spare, &open, flows, r),
    }
}

/// `place_orders` on `n` regions (`needs.len()`).
#[inline(always)]
fn place(
    n: usize,
    needs: &mut [f64],
    spare: &mut [f64],
    open: &impl Fn(usize, usize) -> bool,
    flows: &mut Vec<f64>,
    r: &mut Requests,
) {
    let (needs, spare) = (&mut needs[..n], &mut spare[..n]);
    let flows = zero_flows(flows, n);
    // Nothing to place: the first round would move nothing.
    if needs.iter().any(|&x| x > 0.0) {
        rounds(needs, spare, open, flows, r);
    }
    // Clean rounding residue so that "fully served" reads as exactly zero.
    clean_residue(needs);
    clean_residue(spare);
}

/// Sets `flows` to the `n * n` zero flows of `n` regions, reusing its allocation.
#[inline(always)]
fn zero_flows(flows: &mut Vec<f64>, n: usize) -> &mut [f64] {
    flows.resize(n * n, 0.0);
    let flows = &mut flows[..n * n];
    flows.fill(0.0);
    flows
}

/// The rounds of `place_orders` on `n = needs.len()` regions (`spare` has `n` entries,
/// `flows` `n * n`).
#[inline(always)]
fn rounds(
    needs: &mut [f64],
    spare: &mut [f64],
    open: &impl Fn(usize, usize) -> bool,
    flows: &mut [f64],
    r: &mut Requests,
) {
    let n = needs.len();
    r.req.resize(n * n, 0.0);
    r.asked.resize(n, 0.0);
    r.offered.resize(n, 0.0);
    let (req, asked, offered) = (&mut r.req[..n * n], &mut r.asked[..n], &mut r.offered[..n]);
    for _round in 0..4 {
        // A round in which nothing is asked moves nothing: the last one. Nothing is asked
        // once no need is positive (nor NaN), so the round after the one that met every need
        // is not set up.
        if !request(needs, spare, open, req, asked, offered)
            || serve(needs, spare, flows, req, asked) <= 1e-12
            || needs.iter().all(|&x| x <= 0.0)
        {
            break;
        }
    }
}

/// Sets entries within 1e-9 of zero to exactly zero.
fn clean_residue(v: &mut [f64]) {
    for x in v {
        if x.abs() < 1e-9 {
            *x = 0.0
        }
    }
}

/// Buffers of `place_orders`: one round's requests and what each exporter is asked for.
#[derive(Debug, Clone, Default)]
pub struct Requests {
    /// `[o * n + d]`, every entry set each round.
    req: Vec<f64>,
    /// `[o]`: the sum of exporter `o`'s requests, over importers in order.
    asked: Vec<f64>,
    /// `[o]`: the spare supply exporter `o` offers this round (`spare[o].max(0.0)`).
    offered: Vec<f64>,
}

/// One round's requests `req[o * n + d]` (every entry set): each importer's need split over
/// its open exporters pro rata to their spare supply (`offered`, set here), 0 where nothing is
/// asked. Sums each exporter's requests into `asked[o]`, importer by importer (so exactly as
/// summing its row would; the zeros, left out, change no sum but a zero's sign, and `serve`
/// only tells a positive sum from the others). Returns whether any exporter was asked for
/// more than 0.
#[inline(always)]
fn request(
    needs: &[f64],
    spare: &[f64],
    open: &impl Fn(usize, usize) -> bool,
    req: &mut [f64],
    asked: &mut [f64],
    offered: &mut [f64],
) -> bool {
    let n = needs.len();
    asked.fill(-0.0);
    req.fill(0.0);
    for (o, s) in offered.iter_mut().zip(spare) {
        *o = s.max(0.0);
    }
    let offered = &*offered;
    for (d, &need) in needs.iter().enumerate() {
        if need <= 0.0 {
            continue;
        }
        let total: f64 = (0..n)
            .filter(|&o| o != d && open(o, d))
            .map(|o| offered[o])
            .sum();
        // (A NaN need or total is placed, as it always was.)
        if total <= 0.0 {
            continue;
        }
        for o in 0..n {
            if o != d && open(o, d) {
                let q = need * offered[o] / total;
                req[o * n + d] = q;
                asked[o] += q;
            }
        }
    }
    // (Served unless `asked <= 0.0`, so a NaN counts as asked.)
    asked.iter().any(|&a| a > 0.0 || a.is_nan())
}

/// Serves one round's requests `req`, each exporter scaling its requests down to its spare
/// supply when asked (`asked`) for more: adds the flows to `flows`, takes them from `needs`
/// and `spare`, and returns the tonnes moved.
#[inline(always)]
fn serve(
    needs: &mut [f64],
    spare: &mut [f64],
    flows: &mut [f64],
    req: &[f64],
    asked: &[f64],
) -> f64 {
    let n = needs.len();
    let mut moved = 0.0;
    for (o, &asked) in asked.iter().enumerate() {
        if asked <= 0.0 {
            continue;
        }
        let scale = if asked > spare[o] {
            spare[o].max(0.0) / asked
        } else {
            1.0
        };
        let row = &req[o * n..(o + 1) * n];
        let out = &mut flows[o * n..(o + 1) * n];
        for ((&r, flow), need) in row.iter().zip(out.iter_mut()).zip(needs.iter_mut()) {
            let f = r * scale;
            *flow += f;
            *need -= f;
            spare[o] -= f;
            moved += f;
        }
    }
    moved
}

/// Buffers of `place_orders_within_controls`.
#[derive(Debug, Clone, Default)]
pub struct Orders {
    requests: Requests,
    extra: Vec<f64>,
}

/// Places import orders for commodity `c` within export controls: first freely, then scales
/// controlled routes down to their limits, then offers what the controls cut to exporters whose
/// routes are still open. Sets `flows` to the planned flows; `needs` and `spare` are reduced by
/// them.
#[inline]
pub fn place_orders_within_controls(
    c: Commodity,
    needs: &mut [f64],
    spare: &mut [f64],
    limits: &mut Limits,
    flows: &mut Vec<f64>,
    s: &mut Orders,
) {
    if needs.iter().any(|&x| x > 0.0) {
        place_needs_within_controls(c, needs, spare, limits, flows, s);
    } else {
        placed_nothing(c, needs, spare, limits, flows);
    }
}

/// `place_orders_within_controls` when some need is positive.
fn place_needs_within_controls(
    c: Commodity,
    needs: &mut [f64],
    spare: &mut [f64],
    limits: &mut Limits,
    flows: &mut Vec<f64>,
    s: &mut Orders,
) {
    let n = needs.len();
    place_orders(needs, spare, |_, _| true, flows, &mut s.requests);
    // No control covers `c` (always so without controls in force): `apply` would cut nothing
    // and close no route.
    if !limits.covers(c) {
        return;
    }
    let any_closed = limits.apply(c, flows, n, needs, spare).iter().any(|&x| x);
    if any_closed && needs.iter().any(|&x| x > 0.0) {
        // A quota that was not binding in the first round may bind on the added flow, so
        // the limits apply to it as well.
        let closed = limits.closed();
        place_orders(
            needs,
            spare,
            |o, d| !closed[o * n + d],
            &mut s.extra,
            &mut s.requests,
        );
        limits.apply(c, &mut s.extra, n, needs, spare);
        for (f, e) in flows.iter_mut().zip(&s.extra) {
            *f += e;
        }
    }
}

/// `place_orders_within_controls` when no need is positive: no flow is placed, so only what
/// a placement would still do is done. The spare supply's rounding residue is cleaned and the
/// limits are applied (charged with zero flows), as there; the needs' residue is not: none is
/// positive, and the sign of a zero need is never read.
fn placed_nothing(
    c: Commodity,
    needs: &mut [f64],
    spare: &mut [f64],
    limits: &mut Limits,
    flows: &mut Vec<f64>,
) {
    let n = needs.len();
    if n == 2 {
        // (Two regions, the baseline's: four stores, no call to clear the flows.)
        zero_flows(flows, 2);
    } else {
        zero_flows(flows, n);
    }
    clean_residue(spare);
    if limits.covers(c) {
        limits.apply(c, flows, n, needs, spare);
    }
}

/// Scales planned exports of one commodity to what exporters can spare after home use (6),
/// every destination's share alike: `flows` (the planned flows on entry) become the flows to
/// ship. `avail(o)` is what exporter `o` holds.
fn ship(
    n: usize,
    flows: &mut [f64],
    avail: impl Fn(usize) -> f64,
    home_use: impl Fn(usize) -> f64,
) {
    for o in 0..n {
        let row = &mut flows[o * n..(o + 1) * n];
        let asked: f64 = row.iter().sum();
        let can = (avail(o) - home_use(o)).max(0.0);
        if asked > can {
            let s = if asked > 0.0 { can / asked } else { 0.0 };
            row.iter_mut().for_each(|f| *f *= s);
        }
    }
}

/// Splits a shipment `lot` of `q` t sent in month `sent` with a delay of `delay` months into
/// `1 - frac(delay)` due `floor(delay)` months later and `frac(delay)` one month after that,
/// emptying `lot`: `deliver(due, part)` receives each part in turn (`part` is a buffer).
fn split(
    lot: &mut Lot,
    q: f64,
    delay: f64,
    sent: f64,
    part: &mut Lot,
    mut deliver: impl FnMut(f64, &Lot),
) {
    let whole = delay.floor();
    let late = delay - whole;
    lot.take_to(q * (1.0 - late), part);
    deliver(sent + whole, part);
    lot.take_all_to(part);
    deliver(sent + whole + 1.0, part);
}

/// Month 0: the goods already on their way. Each route carries its month-0 planned flow `F`
/// every month before month 0, so the parts of those past shipments due in month 0 or later
/// (by `transit`, as (6) splits them) are put in transit, at the exporter's stock composition
/// and tags without leaving its stock (an exporter without stock ships what it makes: tagged
/// as its own, concentrate at `shares[region][ore]`, the pool composition it plans on):
/// arrivals then run at `F` from month 0.
pub fn prefill_transit(
    n: usize,
    c: Commodity,
    planned: &[f64],
    transit: &[f64],
    shares: &[[[f64; 2]; 2]],
    stocks: &mut Stocks,
) {
    let ore = usize::from(c == Commodity::ClayConcentrate);
    let ci = c as usize;
    for o in 0..n {
        for d in (0..n).filter(|&d| d != o) {
            let (q, delay) = (planned[o * n + d], transit[o * n + d]);
            if q <= 0.0 || delay <= 0.0 {
                continue;
            }
            let stock = &stocks.lots[o][ci];
            let unit = if stock.total() > 0.0 {
                let mut l = *stock;
                l.scale(1.0 / stock.total());
                l
            } else {
                own_unit(c, o, n, shares[o][ore])
            };
            let mut part = Lot::default();
            for back in 1..=(delay.floor() as usize + 1) {
                let mut lot = unit;
                lot.scale(q);
                split(
                    &mut lot,
                    q,
                    delay,
                    -(back as f64),
                    &mut part,
                    |due, part| {
                        if due >= 0.0 && part.total() > 0.0 {
                            stocks.transit[c as usize].push(due as usize, c, o, d, part);
                        }
                    },
                );
            }
        }
    }
}

/// One tonne of `c` made in region `o` (concentrate: NdPr and Dy/Tb shares `s`).
fn own_unit(c: Commodity, o: usize, n: usize, s: [f64; 2]) -> Lot {
    match c {
        Commodity::Concentrate | Commodity::ClayConcentrate => {
            Lot::concentrate([s[0], s[1], 1.0 - s[0] - s[1]])
        }
        Commodity::LightOxide | Commodity::HeavyOxide => {
            let mut l = Lot::plain(c, 1.0, n);
            l.a_mut()[o] = 1.0;
            l
        }
        Commodity::MagnetStandard | Commodity::MagnetHighTemp => {
            let mut l = Lot::plain(c, 1.0, n);
            l.a_mut()[o] = 1.0;
            l.b_mut()[o] = 1.0;
            l
        }
    }
}

/// Buffers of `trade`, kept from call to call (a `Lot` is large to move or to zero).
#[derive(Debug, Clone, Default)]
pub struct Docks {
    arriving: Arrivals,
    /// A shipment before it is split by due month.
    parcel: Lot,
}

/// Shipments arriving this month, `(origin, destination, lot)`.
#[derive(Debug, Clone, Default)]
struct Arrivals(Slots<(usize, usize, Lot)>);

impl Arrivals {
    /// The lot of a new arrival from `o` to `d`, to be written.
    fn next(&mut self, o: usize, d: usize) -> &mut Lot {
        let slot = self.0.next(Default::default);
        (slot.0, slot.1) = (o, d);
        &mut slot.2
    }

    /// The lot of an arrival from `o` to `d` to be written, kept by `keep_staged`.
    fn staged(&mut self, o: usize, d: usize) -> &mut Lot {
        let slot = self.0.staged(Default::default);
        (slot.0, slot.1) = (o, d);
        &mut slot.2
    }
}

/// Moves one commodity between regions (6): first the shipments due this month arrive, then
/// exporters ship what the plan asks and they can spare; shipments arrive after the route's
/// shipping time plus any licensing delay (a fractional delay splits a shipment over two
/// months).
// Routes are walked by index (`o * n + d`): zipped row chunks cost more on 2-4 regions.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
pub fn trade(
    n: usize,
    month: usize,
    c: Commodity,
    planned: &[f64],
    home_use: impl Fn(usize) -> f64,
    transit: &[f64],
    stocks: &mut Stocks,
    limits: &Limits,
    rec: &mut MonthRecord,
    docks: &mut Docks,
) {
    let ci = c as usize;
    let Stocks {
        lots,
        transit: on_the_way,
        ..
    } = stocks;
    let on_the_way = &mut on_the_way[ci];
    let MonthRecord {
        flows,
        arrivals,
        licensed,
        delayed,
        ..
    } = rec;
    let (flows, arrivals) = (&mut flows[ci], &mut arrivals[ci]);
    let (licensed, delayed) = (&mut licensed[ci], &mut delayed[ci]);
    on_the_way.arrive(month, |s| {
        arrivals[s.origin * n + s.destination] += s.lot.total();
        lots[s.destination][ci].add(&s.lot);
    });
    flows.copy_from_slice(planned);
    ship(n, flows, |o| lots[o][ci].total(), home_use);
    // Shipments arriving this month join the importers' stocks after every exporter has
    // shipped, in the order shipped.
    let Docks { arriving, parcel } = docks;
    arriving.0.clear();
    let (flows, transit) = (&flows[..n * n], &transit[..n * n]);
    for o in 0..n {
        for d in 0..n {
            let route = o * n + d;
            let (q, time) = (flows[route], transit[route]);
            if q <= 0.0 {
                continue;
            }
            if limits.licensed(c, o, d) {
                licensed[route] += q;
            }
            let licence = limits.delay(c, o, d);
            let delay = time + licence;
            if delay <= 0.0 {
                lots[o][ci].take_to(q, arriving.next(o, d));
                continue;
            }
            lots[o][ci].take_to(q, parcel);
            // Split as `split` does, each part written straight into its arrival or transit
            // slot, which is kept if the part holds anything.
            let whole = delay.floor();
            let late = delay - whole;
            let first = month as f64 + whole;
            for (due, share) in [(first, Some(q * (1.0 - late))), (first + 1.0, None)] {
                let arrives = due == month as f64;
                let slot = if arrives {
                    arriving.staged(o, d)
                } else {
                    on_the_way.staged(due as usize, c, o, d)
                };
                match share {
                    Some(amount) => parcel.take_to(amount, slot),
                    None => parcel.take_all_to(slot),
                }
                let t = slot.total();
                if t <= 0.0 {
                    continue;
                }
                if arrives {
                    arriving.0.keep_staged();
                } else {
                    if licence > 0.0 {
                        delayed[route] += t;
                    }
                    on_the_way.keep_staged();
                }
            }
        }
    }
    for (o, d, lot) in arriving.0.live() {
        arrivals[o * n + d] += lot.total();
        lots[*d][ci].add(lot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(
        needs: &mut [f64],
        spare: &mut [f64],
        open: impl Fn(usize, usize) -> bool,
    ) -> Vec<f64> {
        let (mut f, mut req) = (Vec::new(), Requests::default());
        place_orders(needs, spare, open, &mut f, &mut req);
        f
    }

    #[test]
    fn orders_go_to_exporters_pro_rata_to_spare() {
        // Region 2 needs 30; regions 0 and 1 have 40 and 20 spare: 20 and 10.
        let mut needs = vec![0.0, 0.0, 30.0];
        let mut spare = vec![40.0, 20.0, 0.0];
        let f = placed(&mut needs, &mut spare, |_, _| true);
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
        let f = placed(&mut needs, &mut spare, |o, d| o == 0 || d == 3);
        let total: f64 = f.iter().sum();
        assert!((total - 14.0).abs() < 1e-9, "{total}");
        assert!(spare.iter().all(|&s| s.abs() < 1e-9));
    }

    #[test]
    fn closed_routes_carry_nothing() {
        let mut needs = vec![0.0, 5.0];
        let mut spare = vec![10.0, 0.0];
        let f = placed(&mut needs, &mut spare, |_, _| false);
        assert!(f.iter().all(|&x| x == 0.0));
        assert_eq!(needs[1], 5.0);
    }
}
