//! Strategic stockpile rules: which triggers hold this month. A stockpile releases only against
//! unmet need for its commodity in the regions it serves (model::flows for oxides,
//! model::allocate for magnets), and only while a trigger holds: `control` (a control whose
//! destinations include a served region is in force, or one of its `release_controls`),
//! `shortage` (unmet need above its threshold, judged by the chain) or `price` (its region's
//! price index of the commodity at or above `release_price_index`).

use crate::model::limits::Limits;
use crate::model::param::Values;
use crate::model::stockpile::StockpileState;
use crate::model::{Commodity, Scenario};

/// Sets each stockpile's control and price triggers for month `t`, and whether its build-up
/// (if any) has started; `price(r, c)` is region `r`'s price index of commodity `c` at the
/// month's start.
pub fn set_triggers(
    sc: &Scenario,
    v: &Values,
    t: usize,
    limits: &Limits,
    price: &dyn Fn(usize, Commodity) -> f64,
    stockpiles: &mut [StockpileState],
) {
    for (sp, def) in stockpiles.iter_mut().zip(&sc.stockpiles) {
        sp.build_started = t as f64 >= v[def.build_start].round();
        sp.control_active = if def.release_controls.is_empty() {
            def.serves.iter().any(|&r| limits.against(sc, r))
        } else {
            def.release_controls.iter().any(|&c| limits.is_active(c))
        };
        sp.price_high = def
            .price_trigger
            .is_some_and(|p| price(def.region, def.commodity) >= v[p]);
    }
}
