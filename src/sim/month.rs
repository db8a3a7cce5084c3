//! The month as a sequence of phases: exogenous inputs (demand after the market's response,
//! recycling, capacities), the policy of the month (controls in force as limits, production
//! caps, stockpile triggers), the chain (plan, trade, physical flows, allocation: model::chain),
//! then the market's update for the next month (docs/model.md, "Sequence of a month").

use crate::model::chain;
use crate::model::record::MonthRecord;
use crate::policy::controls::technology;
use crate::policy::stockpile::set_triggers;
use crate::sim::run::RunState;

impl RunState<'_> {
    /// Runs month `t` into its record.
    pub(crate) fn month(&mut self, t: usize) {
        let (sc, v) = (self.sc, &self.out.values);
        let m = &mut self.month;
        self.base_demand.month_into(&mut m.base);
        let x = &mut m.x;
        // The records leave the run's output for the month (a move of the Vec, not of the
        // large record itself) so that the month's record can be lent alongside the state.
        let mut records = std::mem::take(&mut self.out.records);
        let rec = &mut records[t];
        self.response
            .demand_all(&m.base, &self.prices, &mut x.demand, &mut rec.forgone);
        let recipes = &self.out.params.recipes;
        let prices = &self.prices;
        x.recycled.resize(sc.regions.len(), [0.0; 2]);
        for (ri, out) in x.recycled.iter_mut().enumerate() {
            *out = self.recycling.recycled(ri, &x.demand[ri], recipes, prices);
        }
        self.assets.capacities(
            v,
            &self.out.courses,
            &self.expansion,
            self.out.params.world_shares,
            t,
            x,
            &mut m.nominal,
        );
        let hoarding = v[sc.market.hoarding];
        if hoarding > 0.0 {
            let months = v[sc.market.hoarding_months].round().max(1.0) as usize;
            self.prices
                .stock_factors(hoarding, months, &mut x.stock_factor);
        } else {
            x.stock_factor.clear();
        }
        let limits = &mut m.limits;
        limits.set_month(sc, v, &self.out.courses, &mut self.history, t, &x.demand);
        limits.cap_production(x);
        let prices = &self.prices;
        set_triggers(
            sc,
            v,
            t,
            limits,
            &|r, c| prices.index(r, c),
            &mut self.stockpiles,
        );
        chain::step(
            &self.out.params,
            x,
            limits,
            &mut self.stocks,
            &mut self.stockpiles,
            t,
            t == 0,
            rec,
            &mut m.chain,
        );
        self.history.record(sc, rec);
        self.after_month(t, rec);
        self.out.records = records;
    }

    /// Records the month's prices and substitution (the demand given up because of price is
    /// recorded with the month's demand, `Response::demand_all`), then
    /// updates the market for the next month: prices (M1)-(M2a), substitution (M4) and
    /// expansion (M6).
    fn after_month(&mut self, t: usize, rec: &mut MonthRecord) {
        let (sc, v) = (self.sc, &self.out.values);
        let x = &self.month.x;
        self.prices.all(&mut rec.prices);
        rec.substituted.clone_from(&self.response.substituted);
        rec.heavy_free.clone_from(&self.response.heavy_free);
        self.prices.update(
            sc,
            v,
            rec,
            &self.out.params.recipes,
            &self.stockpile_kinds,
            &x.circuits,
        );
        self.response.update(&self.prices);
        let courses = &self.out.courses;
        let tech = |r: usize| technology(sc, v, courses, r, |c| c.active(t));
        self.expansion
            .update(sc, v, t, &self.prices, &self.month.nominal, &tech);
    }
}
