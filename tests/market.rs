//! Market response properties (issue: market response and calibration).

mod common;

use common::peak;

use proptest::prelude::*;
use reesim::model::Commodity;
use reesim::sim::run::simulate;

/// Switches off every price-driven response of the baseline but speculative stocking (a key of
/// `[market]`, see `NO_HOARDING`): demand elasticity, substitution, heavy-free designs,
/// recycling and price-driven expansion.
const NO_RESPONSE: &str = "[market.response]\nelasticity = 0\nsubstitution_ceiling = 0\nheavy_free_ceiling = 0\n\
    [market.expansion]\ntrigger_price = 1000\n\
    [regions.china.recycling]\nscrap_share = 0\n[regions.rest_of_world.recycling]\nscrap_share = 0\n";

/// The start of a `[market]` table without speculative stocking.
const NO_HOARDING: &str = "[market]\nhoarding = 0\n";

fn ban_with(extra: &str) -> reesim::scenario::Loaded {
    common::extending("total-ban-12m.toml", extra)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn without_demand_or_supply_response_prices_do_not_change_physical_outcomes(seed in any::<u64>(), k in 0.0f64..2.0, theta in 0.0f64..1.0) {
        // Prices move with any response and reversion, but with zero elasticity, no
        // substitution, no recycling and no speculative stocking, what is delivered is the
        // physical outcome.
        let plain = ban_with(&format!("{NO_RESPONSE}{NO_HOARDING}"));
        let priced = ban_with(&format!("{NO_RESPONSE}{NO_HOARDING}price_response = {k}\nprice_reversion = {theta}\n"));
        let (a, b) = (simulate(&plain.scenario, seed, 0), simulate(&priced.scenario, seed, 0));
        for (ra, rb) in a.records.iter().zip(&b.records) {
            prop_assert_eq!(&ra.delivered, &rb.delivered);
        }
    }
}

#[test]
fn elastic_demand_lowers_the_peak_magnet_price_of_a_ban() {
    // First-order effect of elasticity: demand that gives way to price keeps the spike lower.
    // (Small changes of elasticity need not: with shipping and component lags, stocking and
    // price-triggered substitution, a more elastic demand can shift a later peak by a few
    // percent either way, so the comparison is between no response and a strong one.)
    let inelastic = ban_with("[market.response]\nelasticity = 0\n");
    let elastic = ban_with("[market.response]\nelasticity = -1\n");
    let r = inelastic.scenario.region_index("rest_of_world").unwrap();
    for seed in 1..=8 {
        let (a, b) = (
            simulate(&inelastic.scenario, seed, 0),
            simulate(&elastic.scenario, seed, 0),
        );
        for c in [Commodity::MagnetStandard, Commodity::MagnetHighTemp] {
            assert!(
                peak(&b, r, c) < peak(&a, r, c),
                "seed {seed}, {c:?}: {} with elasticity -1, {} with 0",
                peak(&b, r, c),
                peak(&a, r, c)
            );
        }
    }
}

#[test]
fn recycling_never_exceeds_its_ceiling() {
    let l = ban_with(
        "[regions.rest_of_world.recycling]\nscrap_share = 0.2\nbase_rate = 0.01\nprice_slope = 0.5\nmax_rate = 0.1\nrecovery = 0.6\n",
    );
    let row = l.scenario.region_index("rest_of_world").unwrap();
    for run in 0..5 {
        let out = simulate(&l.scenario, 9, run);
        let mut hit_ceiling = false;
        for rec in &out.records {
            let d: f64 = rec.demand[row].iter().map(|s| s[0] + s[1]).sum();
            let ht: f64 = rec.demand[row].iter().map(|s| s[1]).sum::<f64>() / d;
            for e in 0..2 {
                let content = (1.0 - ht) * out.params.recipes[0][e] + ht * out.params.recipes[1][e];
                let ceiling = d * 0.2 * 0.1 * content * 0.6;
                assert!(
                    rec.recycled[row][e] <= ceiling * (1.0 + 1e-9),
                    "recycled {} > ceiling {ceiling}",
                    rec.recycled[row][e]
                );
                hit_ceiling |= rec.recycled[row][e] >= ceiling * (1.0 - 1e-9) && ceiling > 0.0;
            }
        }
        assert!(
            hit_ceiling,
            "the ban should drive recycling to its ceiling at some point"
        );
    }
}

/// b has a magnet plant project (online month 6, 6-month ramp) and demand enough to use it.
fn project(extra: &str) -> Vec<f64> {
    let text = common::importer_exporter(1000.0, 24, extra).replace(
        "[regions.b.sectors.defense]",
        "[[regions.b.magnet_plants]]\nname = \"new_plant\"\ncapacity_t = 2400\nonline_month = 6\nramp_months = 6\nsuccess_probability = SUCCESS\n[regions.b.sectors.defense]",
    );
    let text = text
        .replace(
            "SUCCESS",
            if extra.contains("NEVER") {
                "0.0"
            } else {
                "1.0"
            },
        )
        .replace("# NEVER\n", "");
    let l = common::load_str(&text);
    simulate(&l.scenario, 1, 0)
        .records
        .iter()
        .map(|r| r.magnet_out[1][0])
        .collect()
}

#[test]
fn a_project_with_probability_zero_never_comes_online() {
    let never = project("# NEVER\n");
    assert!(never.iter().all(|&x| x == 0.0), "{never:?}");
    let sure = project("");
    // Hand-computed: nothing before month 6, then 1/6 of 200 t/month more each month.
    for (t, &x) in sure.iter().enumerate() {
        let expected = if t < 6 {
            0.0
        } else {
            200.0 * ((t - 5) as f64 / 6.0).min(1.0)
        };
        assert!((x - expected).abs() < 1e-9, "month {t}: {x} vs {expected}");
    }
}

#[test]
fn a_technology_ban_never_brings_capacity_forward() {
    let free = project("");
    let tech = project(
        "[[controls]]\nname = \"tech\"\norigin = \"a\"\ntype = \"technology\"\ndelay_months = 4\nslowdown = 0.5\n",
    );
    assert!(tech.iter().zip(&free).all(|(t, f)| *t <= *f + 1e-12));
    // Delayed by 4 months and ramping over 12 instead of 6.
    assert_eq!(tech[9], 0.0);
    assert!((tech[10] - 200.0 / 12.0).abs() < 1e-9, "{}", tech[10]);
}

#[test]
fn prices_return_to_their_start_after_a_disruption() {
    let l = common::load_str(&common::importer_exporter(
        100.0,
        120,
        &common::ban_from_a(2, Some(6)),
    ));
    let out = simulate(&l.scenario, 1, 0);
    let during = out.records[7].prices[1][Commodity::MagnetStandard as usize];
    assert!(
        during > 1.5,
        "the ban should raise b's magnet price: {during}"
    );
    let last = out.records.last().unwrap();
    for r in 0..2 {
        for c in Commodity::ALL {
            let p = last.prices[r][c as usize];
            assert!((0.9..=1.1).contains(&p), "region {r} {c:?}: {p}");
        }
    }
}

#[test]
fn magnet_prices_pass_on_the_cost_of_their_oxide() {
    // In the 2010-11 hindcast Japan's Dy/Tb oxide price spikes; its high_temp magnet price
    // never falls below (1 - w) + w * (the recipe-cost-weighted oxide price index), and that
    // floor is what sets it at times.
    let l =
        reesim::scenario::load(&common::scenarios_dir().join("history/2010-quota.toml")).unwrap();
    let sc = &l.scenario;
    let v = sc.params.sample(1, 0);
    let (w, rho) = (v[sc.market.oxide_cost_share], v[sc.market.dytb_value_ratio]);
    assert!(w > 0.0, "the hindcast passes oxide costs on");
    let out = simulate(sc, 1, 0);
    let r = sc.region_index("japan").unwrap();
    let (n, h) = (out.params.recipes[1][0], out.params.recipes[1][1] * rho);
    let mut binding = false;
    for rec in &out.records[1..] {
        let p = &rec.prices[r];
        let cost = (1.0 - w)
            + w * (n * p[Commodity::LightOxide as usize] + h * p[Commodity::HeavyOxide as usize])
                / (n + h);
        let mag = p[Commodity::MagnetHighTemp as usize];
        assert!(
            mag >= cost * (1.0 - 1e-9) || mag >= 30.0 * (1.0 - 1e-9),
            "magnet {mag} below cost {cost}"
        );
        binding |= (mag - cost).abs() < 1e-9 && cost > 1.5;
    }
    assert!(binding, "the cost floor should bind during the ban");
}

#[test]
fn speculative_stocking_scales_days_of_cover_by_the_price_trend() {
    // (M1b) In month t buyers want base days x clamp(1 + a (ln P[t] - ln P[t-L]), 0.25, 4), with
    // P[t] the price at the start of month t as recorded (1 before month 0).
    let (a, months) = (2.0, 2);
    let l = ban_with(&format!(
        "[market]\nhoarding = {a}\nhoarding_months = {months}\n"
    ));
    let out = simulate(&l.scenario, 3, 0);
    let r = l.scenario.region_index("rest_of_world").unwrap();
    let c = Commodity::MagnetHighTemp as usize;
    let base = out.params.inventory_days[r][c];
    assert!(base > 0.0);
    let ln_p = |t: isize| {
        if t < 0 {
            0.0
        } else {
            out.records[t as usize].prices[r][c].ln()
        }
    };
    let (mut raised, mut lowered) = (false, false);
    for (t, rec) in out.records.iter().enumerate() {
        let u = rec.home_use[r][c];
        if u <= 0.0 {
            continue;
        }
        let days = rec.target[r][c] / u * reesim::model::chain::DAYS_PER_MONTH;
        let t = t as isize;
        let f = (1.0 + a * (ln_p(t) - ln_p(t - months))).clamp(0.25, 4.0);
        assert!(
            (days - base * f).abs() < 1e-6 * base,
            "month {t}: {days} days of cover, want {base} x {f}"
        );
        raised |= f > 1.05;
        lowered |= f < 0.95;
    }
    assert!(raised && lowered, "the ban moves prices both ways");
}

#[test]
fn demand_given_up_because_of_price_follows_the_elasticity() {
    // (M3): a sector buys `base (1 - s) Pm^e`, so what it gives up is its demand times
    // `Pm^-e - 1`, with `Pm` the magnet price in force that month. Checked month by month on the
    // ban, where prices move both ways (up outside China, down inside it).
    let l = ban_with("");
    let sc = &l.scenario;
    let out = simulate(sc, 7, 0);
    let mut up = 0;
    for rec in &out.records {
        for (r, reg) in sc.regions.iter().enumerate() {
            for (ls, s) in reg.sectors.iter().enumerate() {
                let ht = out.values[s.high_temp_share];
                let e = out.values[s.response.elasticity];
                let p = &rec.prices[r];
                let pm = (1.0 - ht) * p[Commodity::MagnetStandard as usize]
                    + ht * p[Commodity::MagnetHighTemp as usize];
                let d = rec.demand[r][ls][0] + rec.demand[r][ls][1];
                let want = d * (pm.powf(-e) - 1.0);
                let got = rec.forgone[r][ls];
                assert!(
                    (got - want).abs() <= 1e-9 * d.max(1.0),
                    "{}/{}: forgone {got}, want {want}",
                    reg.name,
                    sc.sectors[s.sector]
                );
                up += usize::from(want > 1.0);
            }
        }
    }
    assert!(
        up > 0,
        "no month with demand given up: the check tested nothing"
    );
    // With zero elasticity nothing is given up, in any scope.
    let l = ban_with("[market.response]\nelasticity = 0\n");
    let o = reesim::stats::outcomes::Outcomes::new(&l.scenario);
    let v = o.compute(&l.scenario, &simulate(&l.scenario, 7, 0));
    let mut n = 0;
    for (k, x) in o.keys.iter().zip(&v) {
        if k.metric == "price_forgone_t" {
            // Zero up to rounding of the grade split (1e-6 t over the horizon).
            assert!(x.abs() < 1e-6, "{}: {x}", k.column());
            n += 1;
        }
    }
    assert!(n > 0);
}
