//! Ionic-clay feed is its own stream: closing the Myanmar route cuts China's Dy/Tb output and
//! raises its Dy/Tb price, because hard-rock concentrate cannot stand in for it.

mod common;

use reesim::model::Commodity;
use reesim::sim::run::simulate;

#[test]
fn a_myanmar_closure_raises_chinas_dytb_price_and_cuts_its_dytb_output() {
    let closed = common::load_at(
        &common::scenarios_dir().join("history/2021-myanmar-border.toml"),
        &common::repo_scenario("history/2021-myanmar-border.toml"),
    );
    let open = common::load_at(
        &common::scenarios_dir().join("history/test-only.toml"),
        "extends = \"2021-myanmar-border.toml\"\n[[controls]]\nname = \"border_closure\"\nremove = true\n",
    );
    let china = closed.scenario.region_index("china").unwrap();
    let heavy = Commodity::HeavyOxide as usize;
    for seed in [1, 2, 3] {
        let (a, b) = (
            simulate(&open.scenario, seed, 0),
            simulate(&closed.scenario, seed, 0),
        );
        // The closure runs in months 6-10; China's clay stock carries it for a few months, then
        // its clay circuits run short: the lowest monthly Dy/Tb output of months 6-14 falls.
        let low = |o: &reesim::sim::run::RunOutput| -> f64 {
            o.records[6..15]
                .iter()
                .map(|r| r.sep_out[china][1])
                .fold(f64::INFINITY, f64::min)
        };
        let peak = |o: &reesim::sim::run::RunOutput| -> f64 {
            o.records[6..21]
                .iter()
                .map(|r| r.prices[china][heavy])
                .fold(0.0, f64::max)
        };
        assert!(
            low(&b) < low(&a) * 0.8,
            "seed {seed}: China's lowest monthly Dy/Tb output {:.0} t with the closure, {:.0} t without",
            low(&b),
            low(&a)
        );
        assert!(
            peak(&b) > peak(&a) * 1.1,
            "seed {seed}: China's Dy/Tb price peak {:.3} with the closure, {:.3} without",
            peak(&b),
            peak(&a)
        );
        // Hard-rock concentrate keeps flowing: the closure covers only the clay stream.
        let hard = |o: &reesim::sim::run::RunOutput| -> f64 {
            o.records[6..11]
                .iter()
                .map(|r| r.mine_out_by_ore[china][0])
                .sum()
        };
        assert!((hard(&b) - hard(&a)).abs() < 0.05 * hard(&a));
    }
}
