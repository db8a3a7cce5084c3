//! Export controls: when each control is in force in a run, how strong it is, and how it limits
//! the flows on the routes it covers.
//!
//! A control covers (origin, destination, commodity) routes. Its course in a run (`Course`):
//! whether it occurs at all, its start (a month, or a random onset from an annual hazard), its
//! end, and later changes (suspensions, relaxations). While in force, flow controls give the
//! covered routes a limit each month:
//! - `ban`: nothing passes;
//! - `quota` with a share (possibly graduated by a schedule): the share times each covered
//!   commodity's reference flow, its mean covered monthly flow over the (up to) 12 months
//!   before the control started; a control in force from month 0 has no history, so the share
//!   applies to each commodity's uncontrolled planned flow of the month instead;
//! - `quota` in tonnes: a monthly budget across the covered routes, split between the covered
//!   commodities in proportion to their reference flows (with no history, one joint budget
//!   that the commodities planned first use first: magnets, then oxides, then concentrate);
//! - `licensing`: the approved share (a schedule) of the flow importers apply for passes, and
//!   approved shipments arrive `delay_weeks` later. `approvals` give other schedules to some
//!   destinations or end-use sectors (magnet routes pass the demand-weighted mean of their
//!   sectors' shares, and restricted sectors get an end-use `Denial` with that allowed share);
//!   `general_licence` entries exempt routes or sectors from a month on.
//!
//! `leakage` on a ban, quota or licensing control lets that share of the blocked flow through
//! (`Limits::apply`).
//!
//! Planned flows on covered routes are scaled down together to fit. A relaxation raises the
//! allowed share (a relaxed ban becomes a share quota). `end_use_denial` and `technology`
//! controls do not limit flows; the chain and the runner ask for them through
//! `Limits::denials` and `technology_factor`.
//!
//! A `production_quota` caps the origin's own output instead of its exports, with the same
//! share, schedule and tonnage forms: the reference is the origin's mean monthly output of each
//! covered commodity (concentrate: mine output, t REO; light and heavy oxide: separation output)
//! before the control started; with no history a share applies to this month's capacity.
//! `Limits::cap_production` lowers the month's capacities to the caps before the chain runs.

use crate::model::buf::fill;
use crate::model::limits::{Active, Budget, Cap, Course, Denial, Limits, Regions, WEEKS_PER_MONTH};
use crate::model::param::Values;
use crate::model::record::MonthRecord;
use crate::model::{
    Approval, ChangeAction, Commodity, Control, ControlKind, GeneralLicence, N_COMMODITIES, Onset,
    Scenario, Schedule,
};

fn whole_months(x: f64) -> usize {
    x.round().clamp(0.0, 1e9) as usize
}

/// Draws each control's course: occurrence from the uniform `draw("controls.NAME.occurs")`, a
/// random onset from `draw("controls.NAME.onset")` (the runner gives each key its own stream),
/// the rest from its sampled parameters.
pub fn courses(sc: &Scenario, v: &Values, draw: &mut dyn FnMut(&str) -> f64) -> Vec<Course> {
    sc.controls
        .iter()
        .map(|c| {
            let p = v[c.probability];
            let occurs = p >= 1.0 || {
                let u = draw(&format!("controls.{}.occurs", c.name));
                u < p
            };
            let start = match c.onset {
                Onset::Month(m) => whole_months(v[m]),
                Onset::Hazard(h) => onset_month(v[h], draw(&format!("controls.{}.onset", c.name))),
            };
            let end = match c.duration {
                Some(d) => start.saturating_add(whole_months(v[d])),
                None => usize::MAX,
            };
            let mut suspended = Vec::new();
            let mut relaxed = Vec::new();
            for ch in &c.changes {
                let m = whole_months(v[ch.month]);
                match ch.action {
                    ChangeAction::Suspend(months) => suspended.push((
                        m,
                        months.map_or(usize::MAX, |k| m.saturating_add(whole_months(v[k]))),
                    )),
                    ChangeAction::Relax(s) => relaxed.push((m, v[s])),
                }
            }
            Course {
                occurs,
                start,
                end,
                suspended,
                relaxed,
            }
        })
        .collect()
}

/// First month in which an event with annual probability `hazard` fires, from one uniform
/// draw `u`: months are independent trials with monthly probability 1 - (1 - hazard)^(1/12),
/// so the waiting time is geometric and `floor(ln(1 - u) / ln(1 - monthly))`.
pub fn onset_month(hazard: f64, u: f64) -> usize {
    if hazard <= 0.0 {
        return usize::MAX;
    }
    if hazard >= 1.0 {
        return 0;
    }
    let monthly = 1.0 - (1.0 - hazard).powf(1.0 / 12.0);
    let k = ((1.0 - u).ln() / (1.0 - monthly).ln()).floor();
    if k.is_finite() && k < 1e9 {
        k as usize
    } else {
        usize::MAX
    }
}

/// The share a schedule gives `since` months after the start: the last step whose month has
/// passed (the first step applies before its month).
pub fn schedule_share(s: &Schedule, v: &Values, since: usize) -> f64 {
    let mut share = s.0.first().map_or(1.0, |&(_, sh)| v[sh]);
    for &(m, sh) in &s.0 {
        if v[m] <= since as f64 {
            share = v[sh];
        }
    }
    share
}

/// Rolling record of each control's covered flow per commodity (for production quotas, the
/// origin's output), for quotas.
#[derive(Debug, Clone)]
pub struct History {
    /// Last 12 months of covered flow per control and commodity, oldest first.
    flows: Vec<Vec<[f64; N_COMMODITIES]>>,
    /// Reference flow per commodity, frozen when the control started (None: no history at
    /// start).
    reference: Vec<Option<Option<[f64; N_COMMODITIES]>>>,
}

impl History {
    pub fn new(n_controls: usize) -> Self {
        History {
            flows: vec![Vec::new(); n_controls],
            reference: vec![None; n_controls],
        }
    }

    /// Back to `new(n_controls)`, reusing the tables.
    pub fn reset(&mut self, n_controls: usize) {
        self.flows.truncate(n_controls);
        self.flows.iter_mut().for_each(Vec::clear);
        self.flows.resize_with(n_controls, Vec::new);
        fill(&mut self.reference, n_controls, None);
    }

    /// Records a month's shipments (and output, for production quotas) for controls not yet
    /// started.
    pub fn record(&mut self, sc: &Scenario, rec: &MonthRecord) {
        let n = rec.mine_out.len();
        for (i, c) in sc.controls.iter().enumerate() {
            if self.reference[i].is_some() {
                continue;
            }
            let mut month = [0.0; N_COMMODITIES];
            for com in Commodity::ALL
                .iter()
                .filter(|com| c.commodities[**com as usize])
            {
                month[*com as usize] = if c.kind.limits_production() {
                    output(rec, c.origin, *com)
                } else {
                    c.destinations
                        .iter()
                        .map(|&d| rec.flows[*com as usize][c.origin * n + d])
                        .sum()
                };
            }
            let h = &mut self.flows[i];
            if h.len() == 12 {
                h.remove(0);
            }
            h.push(month);
        }
    }

    /// Mean monthly covered flow per commodity before control `i` started (frozen on first
    /// call).
    fn reference(&mut self, i: usize) -> Option<[f64; N_COMMODITIES]> {
        let flows = &self.flows[i];
        *self.reference[i].get_or_insert_with(|| {
            (!flows.is_empty()).then(|| {
                let mut mean = [0.0; N_COMMODITIES];
                for m in flows {
                    for (a, x) in mean.iter_mut().zip(m) {
                        *a += x / flows.len() as f64;
                    }
                }
                mean
            })
        })
    }
}

/// A region's own output of a commodity in a month: mine output (t REO) for concentrate,
/// separation output for the oxides (production quotas cover no magnet grade).
fn output(rec: &MonthRecord, r: usize, c: Commodity) -> f64 {
    match c {
        Commodity::Concentrate => rec.mine_out_by_ore[r][0],
        Commodity::ClayConcentrate => rec.mine_out_by_ore[r][1],
        Commodity::LightOxide => rec.sep_out[r][0],
        Commodity::HeavyOxide => rec.sep_out[r][1],
        Commodity::MagnetStandard | Commodity::MagnetHighTemp => 0.0,
    }
}

impl Limits {
    /// The limits of the controls in force in `month`. `demand` is the month's end-use demand
    /// `[region][local sector][grade]` (M3): it weights the sector approvals of licensing
    /// controls on magnet routes.
    pub fn for_month(
        sc: &Scenario,
        v: &Values,
        courses: &[Course],
        history: &mut History,
        month: usize,
        demand: &[Vec<[f64; 2]>],
    ) -> Self {
        let mut limits = Limits::default();
        limits.set_month(sc, v, courses, history, month, demand);
        limits
    }

    /// Sets these limits to those of `month` (as `for_month`), reusing their buffers.
    pub fn set_month(
        &mut self,
        sc: &Scenario,
        v: &Values,
        courses: &[Course],
        history: &mut History,
        month: usize,
        demand: &[Vec<[f64; 2]>],
    ) {
        self.clear();
        let limits = self;
        for (i, c) in sc.controls.iter().enumerate() {
            let course = &courses[i];
            if !course.active(month) {
                continue;
            }
            limits.in_force.push(i);
            // The reference flow is frozen in the first month in force, whatever the type, so
            // that a later relaxation measures against the flow before the control.
            let since = month - course.start;
            let floor = course.relaxed_share(month);
            let reference = history.reference(i);
            let leakage = c.leakage.map_or(0.0, |l| v[l]);
            let scaled =
                |x: f64| reference.map_or(Budget::Share, |r| Budget::Each(r.map(|f| x * f)));
            let (budget, share) = match &c.kind {
                ControlKind::Ban if floor <= 0.0 => (Budget::Each([0.0; N_COMMODITIES]), 0.0),
                ControlKind::Ban => (scaled(floor), floor),
                ControlKind::QuotaShare(s) | ControlKind::ProductionShare(s) => {
                    let share = schedule_share(s, v, since).max(floor);
                    (scaled(share), share)
                }
                ControlKind::QuotaTonnes(t) | ControlKind::ProductionTonnes(t) => {
                    // Split by the pre-control mix, so that no commodity takes the others'
                    // tonnes by being planned first.
                    let total: f64 = reference.map_or(0.0, |r| r.iter().sum());
                    let budget = match reference {
                        Some(r) if total > 0.0 => Budget::Each(r.map(|f| v[*t] * f / total)),
                        _ => Budget::Joint(v[*t]),
                    };
                    (budget, 1.0)
                }
                ControlKind::Licensing {
                    approval,
                    delay_weeks,
                    approvals,
                    general,
                } => {
                    let lic = Licence {
                        sc,
                        v,
                        month,
                        since,
                        floor,
                        base: schedule_share(approval, v, since).max(floor),
                        approvals,
                        general,
                    };
                    lic.limits(c, demand, leakage, v[*delay_weeks], limits);
                    continue;
                }
                ControlKind::EndUseDenial {
                    sectors,
                    extraterritorial,
                } => {
                    for &d in &c.destinations {
                        let denial = Denial {
                            origin: c.origin,
                            sectors: sectors.clone(),
                            extraterritorial: *extraterritorial,
                            allowed: 0.0,
                            grades: [true, true],
                        };
                        limits.denials.push((d, denial));
                    }
                    continue;
                }
                ControlKind::Technology { .. } => continue,
            };
            if c.kind.limits_production() {
                limits.caps.push(Cap {
                    origin: c.origin,
                    commodities: c.commodities,
                    budget,
                    share,
                });
                continue;
            }
            limits.active.push(Active {
                origin: c.origin,
                destinations: Regions::from_slice(&c.destinations),
                commodities: c.commodities,
                budget,
                share: [share; N_COMMODITIES],
                left: [None; N_COMMODITIES],
                delay: 0.0,
                licensing: false,
                leakage,
                leaked: [false; N_COMMODITIES],
            });
        }
    }
}

/// A licensing control in force in one month: its approval shares by destination and sector,
/// and its general licences.
struct Licence<'a> {
    sc: &'a Scenario,
    v: &'a Values,
    month: usize,
    since: usize,
    /// Relaxation floor on every approval share.
    floor: f64,
    /// The control's own approval share (`schedule`).
    base: f64,
    approvals: &'a [Approval],
    general: &'a [GeneralLicence],
}

impl Licence<'_> {
    /// Whether a general licence in effect exempts destination `d` (and sector `s`).
    fn exempt(&self, d: usize, s: Option<usize>) -> bool {
        self.general
            .iter()
            .any(|g| whole_months(self.v[g.month]) <= self.month && g.scope.matches(d, s))
    }

    /// The first approval entry matching destination `d` (and sector `s`).
    fn entry(&self, d: usize, s: Option<usize>) -> Option<&Approval> {
        self.approvals.iter().find(|a| a.scope.matches(d, s))
    }

    /// Approved share for destination `d` (and sector `s`): 1 under a general licence, else
    /// the first matching entry's schedule, else the control's; never below the floor.
    fn share(&self, d: usize, s: Option<usize>) -> f64 {
        if self.exempt(d, s) {
            return 1.0;
        }
        self.entry(d, s).map_or(self.base, |a| {
            schedule_share(&a.schedule, self.v, self.since).max(self.floor)
        })
    }

    /// Approved share of commodity `com` on the route to `d`, and whether the route is exempt.
    /// Magnets: the mean of the sectors' shares weighted by the destination's demand for the
    /// grade this month (sectors without demand do not count); exempt when every sector with
    /// demand is. Without demand for the grade, the destination's own share.
    fn route(&self, com: Commodity, d: usize, demand: &[Vec<[f64; 2]>]) -> (f64, bool) {
        let g = match com {
            Commodity::MagnetStandard => 0,
            Commodity::MagnetHighTemp => 1,
            _ => return (self.share(d, None), self.exempt(d, None)),
        };
        // The sectors with demand: the first one's share, whether all shares are that one,
        // and the demand-weighted sums.
        let (mut first, mut same) = (None, true);
        let (mut total, mut sum) = (0.0, 0.0);
        let mut exempt = true;
        for (ls, sec) in self.sc.regions[d].sectors.iter().enumerate() {
            let q = demand.get(d).and_then(|r| r.get(ls)).map_or(0.0, |x| x[g]);
            if q > 0.0 {
                let a = self.share(d, Some(sec.sector));
                same &= *first.get_or_insert(a) == a;
                total += q;
                sum += q * a;
                exempt &= self.exempt(d, Some(sec.sector));
            }
        }
        match first {
            None => (self.share(d, None), self.exempt(d, None)),
            // One share for every sector: exactly that share.
            Some(a) if same => (a, exempt),
            Some(_) => (sum / total, exempt),
        }
    }

    /// Pushes the control's route limits (one per group of destinations with the same shares;
    /// exempt routes carry no limit) and the end-use restrictions of its sector approvals.
    fn limits(
        &self,
        c: &Control,
        demand: &[Vec<[f64; 2]>],
        leakage: f64,
        delay_weeks: f64,
        limits: &mut Limits,
    ) {
        // This control's route limits are the entries pushed from here on.
        let first = limits.active.len();
        for &d in &c.destinations {
            let mut commodities = c.commodities;
            let mut share = [1.0; N_COMMODITIES];
            for com in Commodity::ALL {
                let ci = com as usize;
                if !c.commodities[ci] {
                    continue;
                }
                let (s, exempt) = self.route(com, d, demand);
                share[ci] = s;
                commodities[ci] = !exempt;
            }
            if !commodities.iter().any(|&x| x) {
                continue;
            }
            match limits.active[first..]
                .iter_mut()
                .find(|a| a.commodities == commodities && a.share == share)
            {
                Some(a) => a.destinations.push(d),
                None => limits.active.push(Active {
                    origin: c.origin,
                    destinations: Regions::from_slice(&[d]),
                    commodities,
                    budget: Budget::Share,
                    share,
                    left: [None; N_COMMODITIES],
                    delay: delay_weeks / WEEKS_PER_MONTH,
                    licensing: true,
                    leakage,
                    leaked: [false; N_COMMODITIES],
                }),
            }
            // Sectors named by a sector approval draw at most their (effective) share of
            // their demand from the origin's magnets at end use.
            let grades = [
                commodities[Commodity::MagnetStandard as usize],
                commodities[Commodity::MagnetHighTemp as usize],
            ];
            if !grades.iter().any(|&g| g) {
                continue;
            }
            for sec in &self.sc.regions[d].sectors {
                let s = sec.sector;
                if self.exempt(d, Some(s)) {
                    continue;
                }
                let Some(a) = self.entry(d, Some(s)) else {
                    continue;
                };
                if a.scope.sectors.is_empty() {
                    continue;
                }
                let share = schedule_share(&a.schedule, self.v, self.since).max(self.floor);
                let allowed = share + leakage * (1.0 - share);
                if allowed < 1.0 {
                    limits.denials.push((
                        d,
                        Denial {
                            origin: c.origin,
                            sectors: vec![s],
                            extraterritorial: false,
                            allowed,
                            grades,
                        },
                    ));
                }
            }
        }
    }
}

/// Multiplier (0..=1) on the capacity growth of region `r` in `month` from technology-export
/// controls: growth is paused for `delay_months` after a control covering the region starts,
/// then slowed by `slowdown` while it is in force.
pub fn technology_factor(
    sc: &Scenario,
    v: &Values,
    courses: &[Course],
    r: usize,
    month: usize,
) -> f64 {
    technology_controls(sc, v, courses, r)
        .filter(|(course, _, _)| course.active(month))
        .map(|(course, delay, slowdown)| {
            let since = (month - course.start) as f64;
            if since < delay { 0.0 } else { 1.0 - slowdown }
        })
        .fold(1.0, f64::min)
}

/// Largest (delay months, slowdown) of the technology controls against region `r` whose
/// course satisfies `applies` (0 and 0 without one).
pub fn technology(
    sc: &Scenario,
    v: &Values,
    courses: &[Course],
    r: usize,
    applies: impl Fn(&Course) -> bool,
) -> (f64, f64) {
    technology_controls(sc, v, courses, r)
        .filter(|(course, _, _)| applies(course))
        .fold((0.0f64, 0.0f64), |(d, s), (_, delay, slowdown)| {
            (d.max(delay), s.max(slowdown))
        })
}

/// The technology controls whose destinations include region `r`: each one's course, delay
/// months and slowdown.
fn technology_controls<'a>(
    sc: &'a Scenario,
    v: &'a Values,
    courses: &'a [Course],
    r: usize,
) -> impl Iterator<Item = (&'a Course, f64, f64)> + 'a {
    sc.controls
        .iter()
        .zip(courses)
        .filter_map(move |(c, course)| match c.kind {
            ControlKind::Technology {
                delay_months,
                slowdown,
            } if c.destinations.contains(&r) => Some((course, v[delay_months], v[slowdown])),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onset_is_geometric_in_months() {
        // Monthly hazard for 15%/yr: 1 - 0.85^(1/12) = 0.013452...; P(start in month 0) = that.
        let m = 1.0 - 0.85f64.powf(1.0 / 12.0);
        assert_eq!(onset_month(0.15, m * 0.999), 0);
        assert_eq!(onset_month(0.15, m * 1.001), 1);
        // P(start within 12 months) = 15%: u just below 0.15 starts in month 11, above in 12.
        assert_eq!(onset_month(0.15, 0.1499), 11);
        assert_eq!(onset_month(0.15, 0.1501), 12);
        assert_eq!(onset_month(0.0, 0.5), usize::MAX);
    }

    #[test]
    fn course_handles_suspension_and_relaxation() {
        let c = Course {
            occurs: true,
            start: 2,
            end: 20,
            suspended: vec![(5, 8)],
            relaxed: vec![(10, 0.6)],
        };
        let active: Vec<bool> = (0..22).map(|m| c.active(m)).collect();
        assert!(
            !active[1]
                && active[2]
                && active[4]
                && !active[5]
                && !active[7]
                && active[8]
                && !active[20]
        );
        assert_eq!(c.relaxed_share(9), 0.0);
        assert_eq!(c.relaxed_share(10), 0.6);
    }
}
