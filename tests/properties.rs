//! Property tests: invariants that must hold for any seed and any admissible inputs.

mod common;

use proptest::prelude::*;
use reesim::model::chain::mass_balance_error;
use reesim::sim::run::simulate;
use reesim::sim::runner::{self, Settings};
use reesim::stats::outcomes::Outcomes;

/// The shipped stockpile scenario with both stockpiles resized to `size_t` tonnes.
fn with_stockpiles(size_t: f64) -> reesim::scenario::Loaded {
    let text = common::repo_scenario("total-ban-12m-stockpile.toml");
    assert_eq!(
        text.matches("initial_days = 60 ").count(),
        2,
        "the shipped scenario changed"
    );
    common::load_at(
        &common::scenarios_dir().join("test-only.toml"),
        &text.replace("initial_days = 60 ", &format!("initial_t = {size_t} ")),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn mass_balance_holds_every_month(seed in any::<u64>(), run in 0u64..1000, start in 0u32..30, dur in 1u32..30, share in 0.0f64..1.0) {
        // The shipped stochastic ban scenario, with the ban turned into a random quota window
        // (merged by name into the inherited control).
        let l = common::extending(
            "total-ban-12m-stockpile.toml",
            &format!("[[controls]]\nname = \"total_ban\"\ntype = \"quota\"\nquota_share = {share}\nstart_month = {start}\nduration_months = {dur}\n"),
        );
        prop_assert_eq!(l.scenario.controls.len(), 1);
        prop_assert!(matches!(l.scenario.controls[0].kind, reesim::model::ControlKind::QuotaShare(_)));
        let out = simulate(&l.scenario, seed, run);
        let sp: Vec<_> = l.scenario.stockpiles.iter().map(|s| s.commodity).collect();
        for (t, rec) in out.records.iter().enumerate() {
            let e = mass_balance_error(&out.params, rec, &sp);
            prop_assert!(e < 1e-6, "month {}: off by {} t", t, e);
        }
    }

    #[test]
    fn more_stockpile_never_increases_unmet_demand(seed in any::<u64>(), run in 0u64..1000, a in 0.0f64..40000.0, extra in 0.0f64..40000.0) {
        let small = with_stockpiles(a);
        let large = with_stockpiles(a + extra);
        let u_small = common::unmet(&simulate(&small.scenario, seed, run));
        let u_large = common::unmet(&simulate(&large.scenario, seed, run));
        prop_assert!(u_large <= u_small + 1e-6, "{} t more stockpile: unmet {} -> {}", extra, u_small, u_large);
    }

    #[test]
    fn ample_deterministic_chain_has_no_unmet_demand(scale in 0.05f64..1.0, seed in any::<u64>()) {
        let text = common::three_regions_ample().replace("demand_t = ", &format!("demand_t = {scale} * "));
        // TOML has no arithmetic: scale the numbers here instead.
        let text = text.lines().map(|l| match l.strip_prefix(&format!("demand_t = {scale} * ")) {
            Some(v) => format!("demand_t = {}", v.parse::<f64>().unwrap() * scale),
            None => l.to_string(),
        }).collect::<Vec<_>>().join("\n");
        let l = common::load_str(&text);
        let out = simulate(&l.scenario, seed, 0);
        prop_assert!(common::unmet(&out) < 1e-6, "unmet {}", common::unmet(&out));
    }

    #[test]
    fn ban_against_stockpile_empties_it_in_ceil_s_over_d_months(s in 1.0f64..5000.0, d in 10.0f64..500.0) {
        let horizon = (s / d).ceil() as usize + 2; // at most 502 months
        let extra = format!("[[controls]]\nname = \"ban\"\norigin = \"a\"\ncommodities = [\"all\"]\ntype = \"ban\"\n[[stockpiles]]\nname = \"r\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = {s}\n");
        let l = common::load_str(&common::importer_exporter(d, horizon, &extra));
        let out = simulate(&l.scenario, 3, 0);
        let o = Outcomes::new(&l.scenario);
        let v = o.compute(&l.scenario, &out);
        let month = v[o.keys.iter().position(|k| k.metric == "stockpile_depleted_month").unwrap()];
        // A remainder below the "empty" threshold counts as empty one month early.
        let expected = ((s - 1e-6) / d).ceil() - 1.0;
        prop_assert_eq!(month, expected);
    }
}

#[test]
fn runner_results_do_not_depend_on_thread_count() {
    let l = common::load_str(&common::repo_scenario("baseline.toml"));
    let run = |threads| {
        let mut rows = Vec::new();
        let r = runner::run(
            &l.scenario,
            Settings::mc(70, 5, threads),
            None,
            &mut |b, _| {
                rows.extend(b.iter().map(|r| (r.run, r.metrics.clone())));
                Ok(())
            },
            &mut |_| {},
        )
        .unwrap();
        let ts: Vec<_> = (0..l.scenario.horizon)
            .flat_map(|t| (0..r.catalog.cells.len()).map(move |c| (t, c)))
            .map(|(t, c)| r.sketches.stats(t, c))
            .collect();
        (rows, format!("{ts:?}"))
    };
    let (rows1, ts1) = run(1);
    let (rows3, ts3) = run(3);
    assert_eq!(rows1.len(), 70);
    assert!(
        rows1.iter().map(|r| r.0).eq(0..70),
        "rows arrive in run order"
    );
    assert_eq!(format!("{rows1:?}"), format!("{rows3:?}"));
    assert_eq!(ts1, ts3);
}

#[test]
fn common_random_numbers_shared_elements_draw_alike() {
    // The same element in two scenarios sees the same draw: the Myanmar capacity is sampled
    // identically in the baseline and in the ban scenario for the same seed and run.
    let a = common::load_str(&common::repo_scenario("baseline.toml"));
    let b = reesim::scenario::load(&common::scenarios_dir().join("total-ban-12m.toml")).unwrap();
    let key = "regions.rest_of_world.mines.myanmar_clays.capacity_t";
    let id = |s: &reesim::model::Scenario| s.params.defs.iter().position(|d| d.key == key).unwrap();
    for run in 0..10 {
        let va = a.scenario.params.sample(42, run);
        let vb = b.scenario.params.sample(42, run);
        assert_eq!(va.0[id(&a.scenario)], vb.0[id(&b.scenario)]);
    }
}
