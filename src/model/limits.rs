//! What the controls in force do to one month, as data the chain applies: per-route flow
//! budgets and delivery delays, end-use denials, and production caps (`Limits`); and the course
//! of a control in a run (`Course`). policy::controls builds them from the scenario's controls
//! and the flow history; the chain only applies them.

use crate::model::buf::fill;
use crate::model::lot::MAX_REGIONS;
use crate::model::state::Exogenous;
use crate::model::{Commodity, N_COMMODITIES, Ore, Scenario};

/// A control's course in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Course {
    pub occurs: bool,
    /// First month in force (`usize::MAX`: never starts within reach).
    pub start: usize,
    /// First month no longer in force (may exceed the horizon).
    pub end: usize,
    /// Suspended in months `from..to`.
    pub suspended: Vec<(usize, usize)>,
    /// From month `m`, the allowed share is at least `s`.
    pub relaxed: Vec<(usize, f64)>,
}

impl Course {
    pub fn active(&self, month: usize) -> bool {
        self.occurs
            && month >= self.start
            && month < self.end
            && !self.suspended.iter().any(|&(a, b)| month >= a && month < b)
    }

    /// The relaxation floor on the allowed share in `month` (0 when not relaxed).
    pub fn relaxed_share(&self, month: usize) -> f64 {
        self.relaxed
            .iter()
            .filter(|(m, _)| *m <= month)
            .map(|(_, s)| *s)
            .fold(0.0, f64::max)
    }
}

/// How much a flow control lets through this month.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Budget {
    /// Tonnes left per commodity (a share of each commodity's reference flow, or a tonnage
    /// quota split by the reference mix).
    Each([f64; N_COMMODITIES]),
    /// Tonnes left across all covered commodities (a tonnage quota with no reference mix).
    Joint(f64),
    /// A share of each commodity's flow asked for this month (no reference flow).
    Share,
}

/// Regions, in the order given, stored inline (at most `MAX_REGIONS`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Regions {
    v: [usize; MAX_REGIONS],
    n: u8,
}

impl Regions {
    pub(crate) fn from_slice(rs: &[usize]) -> Regions {
        let mut out = Regions::default();
        rs.iter().for_each(|&r| out.push(r));
        out
    }

    pub(crate) fn push(&mut self, r: usize) {
        self.v[self.n as usize] = r;
        self.n += 1;
    }
}

impl std::ops::Deref for Regions {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.v[..self.n as usize]
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Active {
    pub(crate) origin: usize,
    pub(crate) destinations: Regions,
    pub(crate) commodities: [bool; N_COMMODITIES],
    pub(crate) budget: Budget,
    /// Allowed share of each commodity's flow (share-of-flow limits; licensing approval).
    pub(crate) share: [f64; N_COMMODITIES],
    /// For share-of-flow limits: what is left of each commodity's allowance this month once
    /// it has been set (orders placed again later in the month must not get a new share).
    pub(crate) left: [Option<f64>; N_COMMODITIES],
    /// Delivery delay of what passes, months (licensing).
    pub(crate) delay: f64,
    pub(crate) licensing: bool,
    /// Share of the flow the control blocks that still passes (smuggling, transshipment).
    pub(crate) leakage: f64,
    /// Whether the control has already blocked (and leaked) flow of a commodity this month:
    /// orders placed again later in the month do not leak again.
    pub(crate) leaked: [bool; N_COMMODITIES],
}

/// An end-use restriction in force against a destination: the named sectors may take magnets
/// containing the origin's content (made there, or, extraterritorially, made from its oxide)
/// for at most `allowed` times their demand; the rest only from stock free of it. An
/// `end_use_denial` allows 0; a licensing control's sector approvals allow their share.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub origin: usize,
    /// Indices into `Scenario::sectors`.
    pub sectors: Vec<usize>,
    pub extraterritorial: bool,
    /// Share (0..=1) of a named sector's demand it may draw from the origin's content.
    pub allowed: f64,
    /// Grades covered `[standard, high_temp]`.
    pub grades: [bool; 2],
}

/// A production quota in force: the most its origin may produce of each covered commodity.
#[derive(Debug, Clone)]
pub(crate) struct Cap {
    pub(crate) origin: usize,
    pub(crate) commodities: [bool; N_COMMODITIES],
    pub(crate) budget: Budget,
    pub(crate) share: f64,
}

/// The limits in force in one month.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub(crate) active: Vec<Active>,
    pub(crate) caps: Vec<Cap>,
    /// `(destination, denial)` pairs in force.
    pub(crate) denials: Vec<(usize, Denial)>,
    /// Controls in force this month (any kind), by index.
    pub(crate) in_force: Vec<usize>,
    /// Buffers of `apply`; `closed` holds the routes its last call closed.
    work: ApplyWork,
}

#[derive(Debug, Clone, Default)]
struct ApplyWork {
    planned: Vec<f64>,
    route_scale: Vec<f64>,
    closed: Vec<bool>,
    allowed_by: Vec<f64>,
    scale_by: Vec<f64>,
    limits: Vec<bool>,
}

/// Average weeks per month (365.25 / 7 / 12).
pub const WEEKS_PER_MONTH: f64 = 365.25 / 7.0 / 12.0;

impl Limits {
    /// Lowers this month's capacities to the production quotas in force: a mining cap scales
    /// the region's mines of the covered ore together (their output mix is kept), an oxide cap
    /// scales the region's circuits of that oxide together. (Validation admits no magnet grade in a production quota.)
    pub fn cap_production(&self, x: &mut Exogenous) {
        for cap in &self.caps {
            let r = cap.origin;
            for c in Commodity::ALL
                .iter()
                .filter(|c| cap.commodities[**c as usize])
            {
                let capacity = match c {
                    Commodity::Concentrate => x.ore_cap(r, Ore::HardRock),
                    Commodity::ClayConcentrate => x.ore_cap(r, Ore::IonicClay),
                    Commodity::LightOxide => x.light_cap(r),
                    Commodity::HeavyOxide => x.heavy_cap(r),
                    Commodity::MagnetStandard | Commodity::MagnetHighTemp => continue,
                };
                let allowed = match cap.budget {
                    Budget::Each(b) => b[*c as usize],
                    Budget::Joint(t) => t,
                    Budget::Share => cap.share * capacity,
                }
                .max(0.0);
                if allowed >= capacity {
                    continue;
                }
                let f = allowed / capacity;
                match c {
                    Commodity::Concentrate | Commodity::ClayConcentrate => {
                        let ore = if *c == Commodity::Concentrate {
                            Ore::HardRock
                        } else {
                            Ore::IonicClay
                        };
                        for (m, o) in x.mine_cap[r].iter_mut().zip(&x.mine_ore[r]) {
                            if *o == ore {
                                *m *= f;
                            }
                        }
                        x.set_ore_caps();
                    }
                    Commodity::LightOxide => x.circuits[r].iter_mut().for_each(|k| k.light *= f),
                    Commodity::HeavyOxide => x.circuits[r].iter_mut().for_each(|k| k.heavy *= f),
                    Commodity::MagnetStandard | Commodity::MagnetHighTemp => {}
                }
            }
        }
    }

    /// Empties the limits, keeping their buffers.
    pub fn clear(&mut self) {
        self.active.clear();
        self.caps.clear();
        self.denials.clear();
        self.in_force.clear();
    }

    /// Makes these limits a copy of `other`, reusing their buffers.
    pub fn reset_to(&mut self, other: &Limits) {
        self.active.clone_from(&other.active);
        self.caps.clone_from(&other.caps);
        self.denials.clone_from(&other.denials);
        self.in_force.clone_from(&other.in_force);
    }

    /// Whether any control in force limits flows of commodity `c` (else `apply` leaves them
    /// as they are).
    pub fn covers(&self, c: Commodity) -> bool {
        self.active.iter().any(|a| a.commodities[c as usize])
    }

    /// Per route `o * n + d`, whether the last `apply` closed it.
    pub fn closed(&self) -> &[bool] {
        &self.work.closed
    }

    pub fn is_active(&self, control: usize) -> bool {
        self.in_force.contains(&control)
    }

    /// Scales planned flows of commodity `c` on covered routes down to the limits and gives
    /// what was cut back to the importers' `needs` and exporters' `spare`. Returns, per route,
    /// whether a control now holds it at its limit (closed to further orders).
    pub fn apply(
        &mut self,
        c: Commodity,
        flows: &mut [f64],
        n: usize,
        needs: &mut [f64],
        spare: &mut [f64],
    ) -> &[bool] {
        // Each control's own scale on the planned flows; a route takes the strictest scale of
        // the controls covering it, after leakage. Budgets are then charged with what actually
        // passes legally, so a quota is not used up by flow that another control blocks, nor by
        // flow that leaks past it.
        let ci = c as usize;
        let m = self.active.len();
        if !self.covers(c) {
            // No control covers `c`: every route keeps its scale of 1 and nothing is cut.
            fill(&mut self.work.closed, n * n, false);
            return &self.work.closed;
        }
        let w = &mut self.work;
        w.planned.clear();
        w.planned.extend_from_slice(flows);
        fill(&mut w.route_scale, n * n, 1.0f64);
        fill(&mut w.closed, n * n, false);
        fill(&mut w.allowed_by, m, 0.0);
        fill(&mut w.scale_by, m, 1.0);
        fill(&mut w.limits, m, false);
        let (route_scale, closed) = (&mut w.route_scale, &mut w.closed);
        let (allowed_by, scale_by, limits) = (&mut w.allowed_by, &mut w.scale_by, &mut w.limits);
        for (k, a) in self
            .active
            .iter_mut()
            .enumerate()
            .filter(|(_, a)| a.commodities[ci])
        {
            let o = a.origin;
            let covered: f64 = a.destinations.iter().map(|&d| flows[o * n + d]).sum();
            let allowed = match (a.budget, a.left[ci]) {
                (Budget::Each(b), _) => b[ci].max(0.0),
                (Budget::Joint(b), _) => b.max(0.0),
                (Budget::Share, Some(left)) => left.max(0.0),
                // Full approval (a share of 1) is no limit: the routes stay open.
                (Budget::Share, None) if a.share[ci] >= 1.0 => continue,
                (Budget::Share, None) => a.share[ci] * covered,
            };
            limits[k] = true;
            allowed_by[k] = allowed;
            let scale = if covered > allowed && covered > 0.0 {
                allowed / covered
            } else {
                1.0
            };
            scale_by[k] = scale;
            // Leakage: a share of what the control blocks passes anyway, the first time in the
            // month it blocks this commodity.
            let mut effective = scale;
            if scale < 1.0 && !a.leaked[ci] {
                effective = scale + a.leakage * (1.0 - scale);
                a.leaked[ci] = true;
            }
            for &d in a.destinations.iter() {
                route_scale[o * n + d] = route_scale[o * n + d].min(effective);
                if scale < 1.0 || allowed <= 0.0 || matches!(a.budget, Budget::Share) {
                    closed[o * n + d] = true;
                }
            }
        }
        for o in 0..n {
            for d in 0..n {
                let f = &mut flows[o * n + d];
                let cut = *f * (1.0 - route_scale[o * n + d]);
                *f -= cut;
                needs[d] += cut;
                spare[o] += cut;
            }
        }
        let planned = &w.planned;
        for (k, a) in self
            .active
            .iter_mut()
            .enumerate()
            .filter(|(k, a)| a.commodities[ci] && limits[*k])
        {
            // What passes on a route beyond the control's own scale leaked past it.
            let passed: f64 = a
                .destinations
                .iter()
                .map(|&d| {
                    let r = a.origin * n + d;
                    if route_scale[r] > scale_by[k] {
                        planned[r] * scale_by[k]
                    } else {
                        flows[r]
                    }
                })
                .sum();
            match &mut a.budget {
                Budget::Each(b) => b[ci] = (b[ci] - passed).max(0.0),
                Budget::Joint(b) => *b = (*b - passed).max(0.0),
                // A share of the flow first asked for this month; what remains of it is all a
                // later round of orders in the same month may get.
                Budget::Share => a.left[ci] = Some((allowed_by[k] - passed).max(0.0)),
            }
        }
        closed
    }

    /// Delivery delay (months) of shipments of `c` from `o` to `d`: the longest delay of the
    /// licensing controls covering the route.
    pub fn delay(&self, c: Commodity, o: usize, d: usize) -> f64 {
        self.active
            .iter()
            .filter(|a| a.commodities[c as usize] && a.origin == o && a.destinations.contains(&d))
            .map(|a| a.delay)
            .fold(0.0, f64::max)
    }

    /// Whether shipments of `c` from `o` to `d` need a licence this month.
    pub fn licensed(&self, c: Commodity, o: usize, d: usize) -> bool {
        self.active.iter().any(|a| {
            a.licensing && a.commodities[c as usize] && a.origin == o && a.destinations.contains(&d)
        })
    }

    /// End-use denials in force against region `d`.
    pub fn denials(&self, d: usize) -> impl Iterator<Item = &Denial> {
        self.denials
            .iter()
            .filter(move |(x, _)| *x == d)
            .map(|(_, den)| den)
    }

    /// Whether any control in force covers a route into region `d`.
    pub fn against(&self, sc: &Scenario, d: usize) -> bool {
        self.in_force
            .iter()
            .any(|&i| sc.controls[i].destinations.contains(&d))
    }
}
