//! The month as a sequence of phases: exogenous inputs (demand after the market's response,
//! recycling, capacities), the policy of the month (controls in force as limits, production
//! caps, stockpile triggers), the chain (plan, trade, physical flows, allocation: model::chain),
//! then the market's update for the next month (docs/model.md, "Sequence of a month").

use crate::market;
use crate::model::chain;
use crate::model::record::MonthRecord;
use crate::model::state::Exogenous;
use crate::policy::controls::technology;
use crate::policy::stockpile::set_triggers;
use crate::sim::exogenous::demand;
use crate::sim::run::RunState;

impl RunState<'_> {
    /// Runs month `t` and appends its record.
    pub(crate) fn month(&mut self, t: usize) {
        let (sc, v) = (self.sc, &self.v);
        let base = demand(sc, v, t);
        let mut x = Exogenous {
            demand: self.demand_response(&base),
            ..Exogenous::default()
        };
        x.recycled = (0..sc.regions.len())
            .map(|ri| {
                let (d, recipes) = (&x.demand[ri], &self.params.recipes);
                market::recycled(sc, v, ri, d, recipes, &self.prices)
            })
            .collect();
        let nominal = self.assets.capacities(
            v,
            &self.courses,
            &self.expansion,
            self.params.world_shares,
            t,
            &mut x,
        );
        let hoarding = v[sc.market.hoarding];
        if hoarding > 0.0 {
            let months = v[sc.market.hoarding_months].round().max(1.0) as usize;
            x.stock_factor = self.prices.stock_factors(hoarding, months);
        }
        let mut limits = crate::model::limits::Limits::for_month(
            sc,
            v,
            &self.courses,
            &mut self.history,
            t,
            &x.demand,
        );
        limits.cap_production(&mut x);
        let prices = &self.prices;
        set_triggers(
            sc,
            v,
            t,
            &limits,
            &|r, c| prices.index(r, c),
            &mut self.stockpiles,
        );
        let mut rec = MonthRecord::default();
        chain::step(
            &self.params,
            &x,
            &mut limits,
            &mut self.stocks,
            &mut self.stockpiles,
            t,
            t == 0,
            &mut rec,
        );
        self.history.record(sc, &rec);
        self.after_month(t, &base, &x, &mut rec, &nominal);
        self.records.push(rec);
    }

    /// (M3) Each sector's demand this month, `[region][local sector][grade]`, from its base
    /// demand and the magnet prices and substitution in force.
    fn demand_response(&self, base: &[Vec<[f64; 2]>]) -> Vec<Vec<[f64; 2]>> {
        let (sc, v) = (self.sc, &self.v);
        sc.regions
            .iter()
            .enumerate()
            .map(|(ri, r)| {
                r.sectors
                    .iter()
                    .enumerate()
                    .map(|(ls, s)| {
                        let d = base[ri][ls][0] + base[ri][ls][1];
                        let (ht, e) = (v[s.high_temp_share], v[s.response.elasticity]);
                        self.response.demand(ri, ls, d, ht, e, &self.prices)
                    })
                    .collect()
            })
            .collect()
    }

    /// Records the month's prices, demand given up because of price and substitution, then
    /// updates the market for the next month: prices (M1)-(M2a), substitution (M4) and
    /// expansion (M6).
    fn after_month(
        &mut self,
        t: usize,
        base: &[Vec<[f64; 2]>],
        x: &Exogenous,
        rec: &mut MonthRecord,
        nominal: &[[f64; 3]],
    ) {
        let (sc, v) = (self.sc, &self.v);
        rec.prices = self.prices.all();
        rec.forgone = x
            .demand
            .iter()
            .enumerate()
            .map(|(ri, secs)| {
                secs.iter()
                    .enumerate()
                    .map(|(ls, d)| {
                        let b = base[ri][ls][0] + base[ri][ls][1];
                        self.response.forgone(ri, ls, b, *d)
                    })
                    .collect()
            })
            .collect();
        rec.substituted = self.response.substituted.clone();
        rec.heavy_free = self.response.heavy_free.clone();
        self.prices.update(
            sc,
            v,
            rec,
            &self.params.recipes,
            &self.stockpile_kinds,
            &x.circuits,
        );
        self.response.update(sc, v, &self.prices);
        let courses = &self.courses;
        let tech = |r: usize| technology(sc, v, courses, r, |c| c.active(t));
        self.expansion
            .update(sc, v, t, &self.prices, nominal, &tech);
    }
}
