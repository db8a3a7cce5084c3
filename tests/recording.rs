//! The time-series values recorded for each month.

mod common;

use reesim::sim::run::simulate;
use reesim::stats::timeseries::Catalog;

/// `Catalog::values` (series by series) gives, bit for bit, each cell's defined value in
/// catalog order, with stockpiles and with licensing.
#[test]
fn month_values_are_the_cells_values_in_catalog_order() {
    for path in [
        "baseline.toml",
        "total-ban-12m-stockpile.toml",
        "history/2025-04-licensing.toml",
    ] {
        let loaded =
            reesim::scenario::load(&common::scenarios_dir().join(path)).expect("shipped scenario");
        let sc = &loaded.scenario;
        let catalog = Catalog::new(sc);
        for run in 0..3 {
            let out = simulate(sc, 7, run);
            for rec in &out.records {
                let mut fast = Vec::new();
                catalog.values(rec, &mut fast);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fast), bits(&catalog.values_by_cell(rec)), "{path}");
            }
        }
    }
}
