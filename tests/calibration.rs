//! The 2010-2011 hindcast stays calibrated: the simulated medians of the outcomes the price
//! parameters were tuned to stay inside the bands documented in docs/calibration.md.

mod common;

use reesim::calibration::{CALIBRATED, hindcast};

#[test]
fn hindcast_medians_stay_inside_their_bands() {
    let l =
        reesim::scenario::load(&common::scenarios_dir().join("history/2010-quota.toml")).unwrap();
    let rows = hindcast(&l.scenario, 100, reesim::app::DEFAULT_SEED);
    assert_eq!(rows.iter().filter(|r| r.calibrated).count(), CALIBRATED);
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
