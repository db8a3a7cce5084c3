//! Export controls: when each control is in force in a run, and how it limits the flows on the
//! routes it covers.
//!
//! A control covers (origin, destination, commodity) routes. While it is active it gives the
//! covered routes a joint monthly budget in tonnes: 0 for a ban; `quota_t_per_month`; or
//! `quota_share` times the reference flow, the mean covered monthly flow over the (up to) 12
//! months before the control started. A control that starts in month 0 has no history, so its
//! share applies to each commodity's uncontrolled planned flow of the month instead. Planned
//! flows on covered routes are scaled down together to fit the budget. Commodities are planned
//! downstream first (magnets, then oxides, then concentrate), so a budget shared by several
//! commodities is used by magnets first.

use rand::RngExt;

use crate::model::{Commodity, ControlKind, Scenario};
use crate::sim::params::Values;
use crate::sim::streams;

/// When a control is in force in one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub occurs: bool,
    /// First month in force.
    pub start: usize,
    /// First month no longer in force (may exceed the horizon).
    pub end: usize,
}

impl Window {
    pub fn active(&self, month: usize) -> bool {
        self.occurs && month >= self.start && month < self.end
    }
}

/// Draws each control's occurrence from its own stream (`controls.NAME.occurs`) and reads its
/// sampled start and duration (rounded to whole months).
pub fn windows(sc: &Scenario, v: &Values, seed: u64, run: u64) -> Vec<Window> {
    sc.controls
        .iter()
        .map(|c| {
            let p = v[c.probability];
            let occurs = if p >= 1.0 {
                true
            } else {
                let u: f64 =
                    streams::stream(seed, run, &format!("controls.{}.occurs", c.name)).random();
                u < p
            };
            let start = v[c.start].round().max(0.0) as usize;
            let end = match c.duration {
                Some(d) => start + v[d].round().max(0.0) as usize,
                None => usize::MAX,
            };
            Window { occurs, start, end }
        })
        .collect()
}

/// Rolling record of each control's covered flow, for share quotas.
#[derive(Debug, Clone)]
pub struct History {
    /// Last 12 months of covered flow per control, oldest first.
    flows: Vec<Vec<f64>>,
    /// Reference flow frozen when the control started (None: no history at start).
    reference: Vec<Option<Option<f64>>>,
}

impl History {
    pub fn new(n_controls: usize) -> Self {
        History {
            flows: vec![Vec::new(); n_controls],
            reference: vec![None; n_controls],
        }
    }

    /// Records the actual flows of a month (`flows[c][o * n + d]`) for controls not yet started.
    pub fn record(&mut self, sc: &Scenario, flows: &[Vec<f64>], n: usize) {
        for (i, c) in sc.controls.iter().enumerate() {
            if self.reference[i].is_some() {
                continue;
            }
            let mut total = 0.0;
            for com in Commodity::ALL {
                for &d in &c.destinations {
                    if c.covers(com, c.origin, d) {
                        total += flows[com as usize][c.origin * n + d];
                    }
                }
            }
            let h = &mut self.flows[i];
            if h.len() == 12 {
                h.remove(0);
            }
            h.push(total);
        }
    }
}

#[derive(Debug, Clone)]
struct Active {
    control: usize,
    /// Remaining joint budget this month; None for a share of each commodity's own flow.
    budget: Option<f64>,
    share: f64,
}

/// The limits in force in one month.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    active: Vec<Active>,
    routes: Vec<(usize, Vec<usize>, [bool; crate::model::N_COMMODITIES])>,
}

impl Limits {
    /// No controls: every route open.
    pub fn none() -> Self {
        Limits::default()
    }

    pub fn for_month(
        sc: &Scenario,
        v: &Values,
        windows: &[Window],
        history: &mut History,
        month: usize,
    ) -> Self {
        let mut active = Vec::new();
        for (i, c) in sc.controls.iter().enumerate() {
            if !windows[i].active(month) {
                continue;
            }
            let (budget, share) = match c.kind {
                ControlKind::Ban => (Some(0.0), 0.0),
                ControlKind::QuotaTonnes(t) => (Some(v[t]), 1.0),
                ControlKind::QuotaShare(s) => {
                    let reference = *history.reference[i].get_or_insert_with(|| {
                        let h = &history.flows[i];
                        (!h.is_empty()).then(|| h.iter().sum::<f64>() / h.len() as f64)
                    });
                    (reference.map(|r| v[s] * r), v[s])
                }
            };
            active.push(Active {
                control: i,
                budget,
                share,
            });
        }
        let routes = sc
            .controls
            .iter()
            .map(|c| (c.origin, c.destinations.clone(), c.commodities))
            .collect();
        Limits { active, routes }
    }

    pub fn is_active(&self, control: usize) -> bool {
        self.active.iter().any(|a| a.control == control)
    }

    /// Scales planned flows of commodity `c` on covered routes down to the budgets and gives
    /// what was cut back to the importers' `needs` and exporters' `spare`. Returns, per route,
    /// whether a control now holds it at its limit (closed to further orders).
    pub fn apply(
        &mut self,
        c: Commodity,
        flows: &mut [f64],
        n: usize,
        needs: &mut [f64],
        spare: &mut [f64],
    ) -> Vec<bool> {
        let mut closed = vec![false; n * n];
        for a in &mut self.active {
            let (origin, dests, coms) = &self.routes[a.control];
            if !coms[c as usize] {
                continue;
            }
            let covered: f64 = dests.iter().map(|&d| flows[origin * n + d]).sum();
            let allowed = match a.budget {
                Some(b) => b.max(0.0),
                None => a.share * covered,
            };
            let scale = if covered > allowed && covered > 0.0 {
                allowed / covered
            } else {
                1.0
            };
            for &d in dests {
                let f = &mut flows[origin * n + d];
                let cut = *f * (1.0 - scale);
                *f -= cut;
                needs[d] += cut;
                spare[*origin] += cut;
                if scale < 1.0 || allowed <= 0.0 || a.budget.is_none() {
                    closed[origin * n + d] = true;
                }
            }
            if let Some(b) = &mut a.budget {
                *b = (*b - covered.min(allowed)).max(0.0);
            }
        }
        closed
    }

    /// Whether any active control covers a route into region `d`.
    pub fn against(&self, d: usize) -> bool {
        self.active
            .iter()
            .any(|a| self.routes[a.control].1.contains(&d))
    }
}
