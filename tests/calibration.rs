//! The 2010-2011 hindcast stays calibrated: the simulated medians of the outcomes the price
//! parameters were tuned to stay inside the bands documented in docs/calibration.md.

mod common;

use reesim::calibration::hindcast;

#[test]
fn hindcast_medians_stay_inside_their_bands() {
    let l =
        reesim::scenario::load(&common::scenarios_dir().join("history/2010-quota.toml")).unwrap();
    let rows = hindcast(&l.scenario, 100, reesim::app::DEFAULT_SEED);
    assert!(rows.iter().filter(|r| r.calibrated).count() >= 6);
    for r in rows.iter().filter(|r| r.calibrated) {
        let p50 = r.simulated.quantiles[2];
        assert!(
            (r.band.0..=r.band.1).contains(&p50),
            "{}: simulated median {p50} left its band {:?} (observed {})",
            r.name,
            r.band,
            r.observed
        );
    }
}

#[test]
fn the_baseline_carries_the_calibrated_market_parameters() {
    // The tuned values live in the baseline; the hindcast scenario must use the same ones.
    let base = reesim::scenario::load(&common::scenarios_dir().join("baseline.toml")).unwrap();
    let hist =
        reesim::scenario::load(&common::scenarios_dir().join("history/2010-quota.toml")).unwrap();
    let value = |l: &reesim::scenario::Loaded, key: &str| {
        let d = l
            .scenario
            .params
            .defs
            .iter()
            .find(|d| d.key == key)
            .unwrap_or_else(|| panic!("no {key}"));
        format!("{:?}", d.value)
    };
    for key in [
        "market.price_response",
        "market.price_reversion",
        "market.price_ceiling",
        "market.oxide_cost_share",
        "market.dytb_value_ratio",
        "market.hoarding",
        "market.hoarding_months",
        "market.price_rise_speedup",
        "market.feed_cost_share",
        "market.response.elasticity",
        "market.response.substitution_rate",
        "market.response.substitution_ceiling",
        "market.response.heavy_free_ceiling",
        "market.response.heavy_free_trend",
        "market.response.substitution_lag_months",
        "market.response.substitution_trigger",
    ] {
        assert_eq!(
            value(&base, key),
            value(&hist, key),
            "{key} differs between baseline.toml and 2010-quota.toml"
        );
    }
}
