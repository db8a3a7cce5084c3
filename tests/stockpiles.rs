//! Strategic stockpiles are part of the market: releases ease the tightness that sets prices,
//! building a stockpile buys from the market, and oxide stockpiles feed magnet makers whose
//! oxide imports are cut.

mod common;

use common::peak;

use reesim::model::Commodity;
use reesim::sim::run::{RunOutput, simulate};
use reesim::stats::outcomes::Outcomes;

const ROW_180D: &str = r#"
[[stockpiles]]
name = "row_magnets"
region = "rest_of_world"
commodity = "magnet_high_temp"
initial_days = 180
[[stockpiles]]
name = "row_magnets_std"
region = "rest_of_world"
commodity = "magnet_standard"
initial_days = 180
"#;

#[test]
fn a_180_day_stockpile_lowers_the_magnet_price_peak_outside_china_in_a_12_month_ban() {
    let without = common::extending("total-ban-12m.toml", "");
    let with = common::extending("total-ban-12m.toml", ROW_180D);
    let r = without.scenario.region_index("rest_of_world").unwrap();
    for seed in [1, 2, 3] {
        let (a, b) = (
            simulate(&without.scenario, seed, 0),
            simulate(&with.scenario, seed, 0),
        );
        for c in [Commodity::MagnetStandard, Commodity::MagnetHighTemp] {
            let (pa, pb) = (peak(&a, r, c), peak(&b, r, c));
            assert!(
                pb < pa * 0.8,
                "seed {seed}, {c:?}: peak {pb:.2} with the stockpile, {pa:.2} without"
            );
        }
        let released: f64 = b
            .records
            .iter()
            .map(|m| m.released_by(0) + m.released_by(1))
            .sum();
        assert!(released > 0.0);
    }
}

/// Region `a` makes 2,000 t of magnets a month for its own 1,000 t and `b`'s 800 t; `b` holds a
/// stockpile of 6,000 t of standard magnets, existing or (with `build`) bought over 6 months.
fn tight_exporter(build: bool) -> String {
    let stock = format!(
        "[[stockpiles]]\nname = \"sp\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = 6000\n{}",
        if build {
            "build_months = 6\nbuild_start_month = 3\n"
        } else {
            ""
        }
    );
    common::importer_exporter(800.0, 12, &stock)
        .replace(
            "name = \"mag\"\ncapacity_t = 1000000",
            "name = \"mag\"\ncapacity_t = 24000",
        )
        .replace(
            "demand_t = 1200\nhigh_temp_share = 0.5",
            "demand_t = 12000\nhigh_temp_share = 0.5",
        )
}

#[test]
fn building_a_stockpile_buys_from_the_market_and_raises_its_price() {
    // Existing at the start, the stockpile buys nothing. Built over 6 months from month 3 it
    // wants 1,000 t a month: that is part of b's home use (what it orders), b's imports are
    // then rationed by a's 200 t of spare capacity, and b's standard magnet price rises.
    let exists = common::load_str(&tight_exporter(false));
    let built = common::load_str(&tight_exporter(true));
    let (a, b) = (
        simulate(&exists.scenario, 1, 0),
        simulate(&built.scenario, 1, 0),
    );
    let (rb, c) = (1, Commodity::MagnetStandard);
    assert!(a.records.iter().all(|m| m.refilled[0][rb] == 0.0));
    assert!((a.records[0].stockpile_end[0] - 6000.0).abs() < 1e-9);
    assert_eq!(b.records[0].stockpile_start[0], 0.0);
    for t in 0..3 {
        assert_eq!(b.records[t].home_use, a.records[t].home_use, "month {t}");
    }
    for t in 3..9 {
        let extra = b.records[t].home_use[rb][c as usize] - a.records[t].home_use[rb][c as usize];
        assert!(
            (extra - 1000.0).abs() < 1e-6,
            "month {t}: home use {extra} t above the existing stockpile's run"
        );
    }
    let bought: f64 = b.records.iter().map(|m| m.refilled[0][rb]).sum();
    assert!(
        bought > 1000.0 && bought <= 6000.0 + 1e-6,
        "bought {bought}"
    );
    assert!(
        peak(&b, rb, c) > peak(&a, rb, c) * 1.05,
        "build-up peak {:.3} vs {:.3}",
        peak(&b, rb, c),
        peak(&a, rb, c)
    );
}

#[test]
fn an_oxide_stockpile_outside_china_is_drawn_in_a_heavy_only_ban_and_lowers_unmet_demand() {
    let stock = "[[stockpiles]]\nname = \"row_dytb\"\nregion = \"rest_of_world\"\ncommodity = \"heavy_oxide\"\ninitial_days = 365\n";
    let without = common::extending("heavy-only-ban-12m.toml", "");
    let with = common::extending("heavy-only-ban-12m.toml", stock);
    let unmet_row = |l: &reesim::scenario::Loaded, out: &RunOutput| -> f64 {
        let o = Outcomes::new(&l.scenario);
        let i = o
            .keys
            .iter()
            .position(|k| k.column() == "unmet_demand_t[region=rest_of_world]")
            .expect("metric");
        o.compute(&l.scenario, out)[i]
    };
    for seed in [1, 2] {
        let (a, b) = (
            simulate(&without.scenario, seed, 0),
            simulate(&with.scenario, seed, 0),
        );
        let released: f64 = b.records.iter().map(|m| m.released_by(0)).sum();
        assert!(
            released > 10.0,
            "seed {seed}: released {released} t of Dy/Tb oxide"
        );
        let (ua, ub) = (unmet_row(&without, &a), unmet_row(&with, &b));
        assert!(
            ub < ua * 0.9,
            "seed {seed}: unmet {ub:.0} t with, {ua:.0} t without"
        );
    }
}
