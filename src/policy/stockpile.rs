//! Strategic stockpiles: when they release and to whom.
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
    pub max_release: f64,
    pub on_control: bool,
    pub on_shortage: bool,
    /// Set each month by the runner: a relevant control is in force.
    pub control_active: bool,
    /// Region-local sector indices served first, in order.
    pub priority_sectors: Vec<usize>,
}

impl StockpileState {
    pub fn triggered(&self) -> bool {
        self.on_shortage || (self.on_control && self.control_active)
    }

    /// Tonnes to release against `need` this month.
    pub fn release_for(&self, need: f64) -> f64 {
        if !self.triggered() || need <= 0.0 {
            return 0.0;
        }
        need.min(self.max_release).min(self.level).max(0.0)
    }
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
        let share = (left / want).min(1.0);
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

    #[test]
    fn release_respects_trigger_rate_and_level() {
        let mut s = StockpileState {
            region: 0,
            commodity: Commodity::MagnetHighTemp,
            level: 50.0,
            max_release: 20.0,
            on_control: true,
            on_shortage: false,
            control_active: false,
            priority_sectors: vec![],
        };
        assert_eq!(s.release_for(30.0), 0.0);
        s.control_active = true;
        assert_eq!(s.release_for(30.0), 20.0);
        s.level = 5.0;
        assert_eq!(s.release_for(30.0), 5.0);
    }
}
