//! Trade takes time: shipping time on every route and a lag from magnet to end product, so a
//! ban's onset and its end both reach end users over the months these delays imply.

mod common;

use reesim::model::limits::WEEKS_PER_MONTH;
use reesim::sim::run::simulate;

/// `b` imports all of its 100 t/month from `a`; a ban from month 4 for 3 months; shipping and
/// component lags as given (months).
fn ban_with_lags(transit_months: f64, component_months: f64) -> Vec<f64> {
    let extra = format!(
        "{}\n[logistics]\ntransit_weeks = {}\ncomponent_months = {component_months}\n",
        common::ban_from_a(4, Some(3)),
        transit_months * WEEKS_PER_MONTH
    );
    let l = common::load_str(&common::importer_exporter(100.0, 14, &extra));
    let out = simulate(&l.scenario, 1, 0);
    out.records
        .iter()
        .map(|r| r.unmet[1].iter().map(|s| s[0] + s[1]).sum())
        .collect()
}

fn assert_series(got: &[f64], want: &[f64]) {
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() < 1e-6,
            "month {t}: {g} t unmet, expected {w}\n{got:?}"
        );
    }
}

#[test]
fn without_lags_unmet_demand_starts_and_ends_with_the_ban() {
    let want = [0., 0., 0., 0., 100., 100., 100., 0., 0., 0., 0., 0., 0., 0.];
    assert_series(&ban_with_lags(0.0, 0.0), &want);
}

#[test]
fn shipping_and_component_lags_spread_onset_and_recovery_over_the_months_they_imply() {
    // Shipping 1.5 months: a shipment arrives half after one month, half after two. The pipeline
    // is full at the start, so arrivals run at 100 t until the ban; shipments stop in months
    // 4-6, so arrivals are 100, 50, 0, 0 in months 4-7 and 50, 100 in months 8-9 (orders
    // resume in month 7). Shortfall at the component makers S: 0, 50, 100, 100, 50, 0 in
    // months 4-9. A component lag of 1.5 months gives end use U(t) = S(t-1)/2 + S(t-2)/2:
    // 25, 75, 100, 75, 25 in months 6-10. The same 300 t, later and spread out.
    let want = [0., 0., 0., 0., 0., 0., 25., 75., 100., 75., 25., 0., 0., 0.];
    let got = ban_with_lags(1.5, 1.5);
    assert_series(&got, &want);
    let total: f64 = got.iter().sum();
    assert!((total - 300.0).abs() < 1e-6);
}

#[test]
fn shipping_time_alone_delays_the_shortfall_and_the_recovery() {
    let want = [0., 0., 0., 0., 0., 50., 100., 100., 50., 0., 0., 0., 0., 0.];
    assert_series(&ban_with_lags(1.5, 0.0), &want);
}
