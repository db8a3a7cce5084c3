//! The undisrupted baseline is a credible "nothing happens" world: with no export control, no
//! price runs away and no commercial stock runs dry over the 60-month horizon.
//!
//! Criteria, on the median path of 200 runs (default seed), for every region x commodity and
//! every month:
//! - the price index stays within [2/3, 3/2] of its start;
//! - the commercial stock at month end stays at or above a quarter of its month-0 level (about
//!   two weeks of cover for concentrate and oxides, one week for magnets, whose targets are 60
//!   and 25-30 days): below that a stage is effectively running from hand to mouth.

// Clippy lints newer than this file (the triple of medians, the month index loop).
#![allow(clippy::type_complexity, clippy::needless_range_loop)]

mod common;

use reesim::app::DEFAULT_SEED;
use reesim::model::{Commodity, N_COMMODITIES};
use reesim::sim::run::simulate;

const RUNS: u64 = 200;
const PRICE_BAND: (f64, f64) = (2.0 / 3.0, 1.5);
const STOCK_FLOOR: f64 = 0.25;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// `[month][region][commodity]` medians over runs of the price index and of the commercial
/// stock at month end.
fn medians(
    file: &str,
) -> (
    Vec<String>,
    Vec<Vec<[f64; N_COMMODITIES]>>,
    Vec<Vec<[f64; N_COMMODITIES]>>,
) {
    let l = reesim::scenario::load(&common::scenarios_dir().join(file)).unwrap();
    let sc = &l.scenario;
    let outs: Vec<_> = (0..RUNS)
        .map(|run| simulate(sc, DEFAULT_SEED, run))
        .collect();
    let names: Vec<String> = sc.regions.iter().map(|r| r.name.clone()).collect();
    let (mut prices, mut stocks) = (Vec::new(), Vec::new());
    for t in 0..sc.horizon {
        let (mut p, mut s) = (Vec::new(), Vec::new());
        for r in 0..names.len() {
            let (mut pr, mut st) = ([0.0; N_COMMODITIES], [0.0; N_COMMODITIES]);
            for c in Commodity::ALL {
                pr[c as usize] = median(
                    outs.iter()
                        .map(|o| o.records[t].prices[r][c as usize])
                        .collect(),
                );
                st[c as usize] = median(
                    outs.iter()
                        .map(|o| o.records[t].stocks_end.as_ref().unwrap().get(r, c))
                        .collect(),
                );
            }
            p.push(pr);
            s.push(st);
        }
        prices.push(p);
        stocks.push(s);
    }
    (names, prices, stocks)
}

fn check(file: &str) {
    let (names, prices, stocks) = medians(file);
    let mut failures = Vec::new();
    for (r, region) in names.iter().enumerate() {
        for c in Commodity::ALL {
            let k = c as usize;
            let floor = STOCK_FLOOR * stocks[0][r][k];
            for t in 0..prices.len() {
                let p = prices[t][r][k];
                if !(PRICE_BAND.0..=PRICE_BAND.1).contains(&p) {
                    failures.push(format!(
                        "{file}: median price index of {} in {region} is {p:.3} in month {t}, \
                         outside [{:.3}, {:.3}]",
                        c.name(),
                        PRICE_BAND.0,
                        PRICE_BAND.1
                    ));
                    break;
                }
            }
            for (t, s) in stocks.iter().enumerate() {
                if s[r][k] < floor {
                    failures.push(format!(
                        "{file}: median commercial stock of {} in {region} is {:.1} t in month \
                         {t}, below {STOCK_FLOOR} x its month-0 level {:.1} t",
                        c.name(),
                        s[r][k],
                        stocks[0][r][k]
                    ));
                    break;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the undisrupted scenario is out of balance (first month out per series):\n{}",
        failures.join("\n")
    );
}

#[test]
fn baseline_median_prices_stay_in_band_and_stocks_never_run_dry() {
    check("baseline.toml");
}

/// Known to fail: with Japan split off, the small rest_of_world light-oxide market (its own
/// separators feed Japan's plants and the growing pipeline plants) tightens from about month 25
/// (light oxide ~2.2x by month 59, concentrate ~1.6-1.9x, magnet_standard ~1.6x), as it did
/// before the baseline was rebalanced. Run with `--ignored` when working on that scenario.
#[test]
#[ignore = "baseline-regions rest_of_world light oxide still drifts out of the band"]
fn baseline_regions_median_prices_stay_in_band_and_stocks_never_run_dry() {
    check("baseline-regions.toml");
}
