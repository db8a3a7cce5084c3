//! A strategic stockpile during a run: its level and the arithmetic of release and refill.
//! policy::stockpile sets its triggers each month; the chain releases and refills it.
//!
//! A stockpile releases only against unmet need for its commodity in its region: for a magnet
//! grade, the end-use demand left unserved after commercial supply; for an oxide, what the
//! region's magnet plants planned to use but do not have. It releases when its trigger holds:
//! `control` (an export control against the region, or one of the named controls, is in force)
//! or `shortage` (unmet need exists at all). Release per month is at most the stockpile's
//! `max_release_t_per_month` and what it holds.

use crate::model::Commodity;

/// A stockpile during one run.
#[derive(Debug, Clone)]
pub struct StockpileState {
    pub region: usize,
    pub commodity: Commodity,
    pub level: f64,
    /// Level it is refilled to (its initial size).
    pub capacity: f64,
    pub max_release: f64,
    pub on_control: bool,
    pub on_shortage: bool,
    /// `shortage` releases only when unmet need exceeds this share of the need.
    pub threshold: f64,
    /// Set each month by the runner: a relevant control is in force.
    pub control_active: bool,
    /// Set each month by the runner: the price trigger holds (always false without one).
    pub price_high: bool,
    /// Regions it releases to (its own by default).
    pub serves: Vec<usize>,
    /// Sector indices (into `Scenario::sectors`) served first, in order.
    pub priority_sectors: Vec<usize>,
    /// Refill: t/month, after `refill_delay` quiet months, within `refill_budget` tonnes.
    pub refill_rate: f64,
    pub refill_delay: f64,
    pub refill_budget: f64,
    /// Months since the last month with a crisis (a relevant control or a shortage).
    pub quiet_months: f64,
    /// Unmet need was seen this month (set during the step).
    pub saw_shortage: bool,
    /// While being built up (from empty at month 0): t/month bought until it first reaches
    /// its capacity; 0 once built, or for a stock that exists at the start.
    pub build_rate: f64,
    /// Set each month by the runner: the build-up has started.
    pub build_started: bool,
}

impl StockpileState {
    /// Whether the stockpile may release against `need` out of `wanted` (the full need).
    pub fn triggered(&self, need: f64, wanted: f64) -> bool {
        let share = if wanted > 0.0 { need / wanted } else { 0.0 };
        (self.on_shortage && need > 0.0 && share > self.threshold)
            || (self.on_control && self.control_active)
            || self.price_high
    }

    /// Tonnes to release against `need` (of a total need `wanted`) this month.
    pub fn release_for(&self, need: f64, wanted: f64) -> f64 {
        if need <= 0.0 || !self.triggered(need, wanted) {
            return 0.0;
        }
        need.min(self.max_release).min(self.level).max(0.0)
    }

    /// Tonnes the stockpile wants to buy this month: while it is being built, `build_rate`
    /// outside a crisis; else, after `refill_delay` months without a crisis, up to
    /// `refill_rate`, its capacity and the remaining budget.
    pub fn refill_wanted(&self) -> f64 {
        if self.control_active || self.price_high {
            return 0.0;
        }
        if self.build_rate > 0.0 {
            if !self.build_started {
                return 0.0;
            }
            return self.build_rate.min(self.capacity - self.level).max(0.0);
        }
        if self.quiet_months < self.refill_delay {
            return 0.0;
        }
        self.refill_rate
            .min(self.capacity - self.level)
            .min(self.refill_budget)
            .max(0.0)
    }

    /// Tonnes the stockpile could release this month if the need were there: what it holds,
    /// within its rate, while a trigger could hold (its control or price trigger, or a shortage
    /// trigger, which any rationing would set). (3a) counts it when planning magnet output.
    pub fn available(&self) -> f64 {
        if (self.on_control && self.control_active) || self.price_high || self.on_shortage {
            self.level.min(self.max_release).max(0.0)
        } else {
            0.0
        }
    }

    /// Updates the crisis clock at the end of a month (and ends the build-up once full).
    pub fn end_month(&mut self) {
        if self.build_rate > 0.0 && self.level >= self.capacity * (1.0 - 1e-12) {
            self.build_rate = 0.0;
        }
        if self.control_active || self.saw_shortage || self.price_high {
            self.quiet_months = 0.0;
        } else {
            self.quiet_months += 1.0;
        }
        self.saw_shortage = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> StockpileState {
        StockpileState {
            region: 0,
            commodity: Commodity::MagnetHighTemp,
            level: 50.0,
            capacity: 50.0,
            max_release: 20.0,
            on_control: true,
            on_shortage: false,
            threshold: 0.0,
            control_active: false,
            price_high: false,
            serves: vec![0],
            priority_sectors: vec![],
            refill_rate: 10.0,
            refill_delay: 2.0,
            refill_budget: 15.0,
            quiet_months: f64::INFINITY,
            saw_shortage: false,
            build_rate: 0.0,
            build_started: false,
        }
    }

    #[test]
    fn release_respects_trigger_rate_and_level() {
        let mut s = state();
        assert_eq!(s.release_for(30.0, 100.0), 0.0);
        s.control_active = true;
        assert_eq!(s.release_for(30.0, 100.0), 20.0);
        s.level = 5.0;
        assert_eq!(s.release_for(30.0, 100.0), 5.0);
    }

    #[test]
    fn shortage_trigger_waits_for_the_threshold() {
        let mut s = state();
        s.on_control = false;
        s.on_shortage = true;
        s.threshold = 0.1;
        assert_eq!(
            s.release_for(5.0, 100.0),
            0.0,
            "5% unmet is under the 10% threshold"
        );
        assert_eq!(s.release_for(15.0, 100.0), 15.0);
    }

    #[test]
    fn refill_waits_for_quiet_months_and_respects_budget() {
        let mut s = state();
        s.level = 0.0;
        s.control_active = true;
        s.end_month();
        s.control_active = false;
        assert_eq!(s.refill_wanted(), 0.0);
        s.end_month();
        assert_eq!(s.refill_wanted(), 0.0, "one quiet month of two");
        s.end_month();
        assert_eq!(s.refill_wanted(), 10.0);
        s.refill_budget = 4.0;
        assert_eq!(s.refill_wanted(), 4.0);
    }
}
