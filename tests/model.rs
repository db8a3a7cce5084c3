//! Model tests on hand-built scenarios with hand-computed answers, and invariants.

mod common;

use reesim::model::chain::mass_balance_error;
use reesim::sim::run::{RunOutput, simulate};
use reesim::stats::outcomes::Outcomes;

fn worst_imbalance(sc: &reesim::model::Scenario, out: &RunOutput) -> f64 {
    let sp: Vec<_> = sc.stockpiles.iter().map(|s| s.commodity).collect();
    out.records
        .iter()
        .map(|r| mass_balance_error(&out.params, r, &sp))
        .fold(0.0, f64::max)
}

#[test]
fn no_disruption_means_no_unmet_demand_and_trade_flows() {
    let l = common::load_str(&common::three_regions_ample());
    let out = simulate(&l.scenario, 1, 0);
    assert!(
        common::unmet(&out) < 1e-9,
        "unmet demand {} in an ample deterministic chain",
        common::unmet(&out)
    );
    assert!(worst_imbalance(&l.scenario, &out) < 1e-6);
    // Japan makes magnets from imported oxide; china exports magnets to the rest.
    let last = out.records.last().unwrap();
    let (china, japan, rest) = (0, 1, 2);
    use reesim::model::Commodity::*;
    assert!(last.imports(japan, LightOxide) > 0.0);
    assert!(last.imports(rest, MagnetHighTemp) > 0.0);
    assert!(
        last.exports(rest, Concentrate) > 0.0,
        "rest ships surplus concentrate to china"
    );
    assert!(last.imports(china, Concentrate) > 0.0);
}

#[test]
fn full_ban_against_a_stockpile_empties_it_in_ceil_s_over_d_months() {
    // Hand computation: b needs d = 100 t/month and gets nothing while the ban runs from month
    // 0; the stockpile of S t releases d a month, so it is empty at the end of month
    // ceil(S/d) - 1 (0-based), and total unmet = horizon * d - S.
    for s in [250.0, 300.0, 1.0, 999.0] {
        let d = 100.0;
        let extra = common::ban_from_a(0, None)
            + &format!(
                r#"
[[stockpiles]]
name = "reserve"
region = "b"
commodity = "magnet_standard"
initial_t = {s}
"#
            );
        let l = common::load_str(&common::importer_exporter(d, 24, &extra));
        let out = simulate(&l.scenario, 7, 0);
        let metrics = Outcomes::new(&l.scenario);
        let values = metrics.compute(&l.scenario, &out);
        let get = |m: &str| values[metrics.keys.iter().position(|k| k.metric == m).unwrap()];
        let expected_month = (s / d).ceil() - 1.0;
        assert_eq!(get("stockpile_depleted_month"), expected_month, "S = {s}");
        assert_eq!(get("stockpile_depleted"), 1.0);
        assert!(
            (common::unmet(&out) - (24.0 * d - s)).abs() < 1e-6,
            "S = {s}: unmet {}",
            common::unmet(&out)
        );
        assert!(worst_imbalance(&l.scenario, &out) < 1e-6);
    }
}

#[test]
fn quota_share_of_pre_control_flow_halves_imports() {
    // A 50% quota on all commodities from month 6: the reference is the mean flow of months
    // 0-5, i.e. d t of magnets a month; b then receives d/2 and d/2 goes unmet each month.
    let d = 80.0;
    let extra = r#"
[[controls]]
name = "quota"
origin = "a"
destinations = ["b"]
commodities = ["magnets"]
type = "quota"
quota_share = 0.5
start_month = 6
duration_months = 4
"#;
    let l = common::load_str(&common::importer_exporter(d, 12, extra));
    let out = simulate(&l.scenario, 1, 0);
    for (t, rec) in out.records.iter().enumerate() {
        let got: f64 = rec.delivered[1].iter().map(|s| s[0] + s[1]).sum();
        let expected = if (6..10).contains(&t) { d / 2.0 } else { d };
        assert!(
            (got - expected).abs() < 1e-9,
            "month {t}: delivered {got}, expected {expected}"
        );
    }
}

#[test]
fn quota_in_tonnes_caps_the_flow() {
    let extra = r#"
[[controls]]
name = "quota"
origin = "a"
commodities = ["magnet_standard"]
type = "quota"
quota_t_per_month = 30
"#;
    let l = common::load_str(&common::importer_exporter(100.0, 6, extra));
    let out = simulate(&l.scenario, 1, 0);
    for rec in &out.records {
        assert!((rec.imports(1, reesim::model::Commodity::MagnetStandard) - 30.0).abs() < 1e-9);
    }
}

#[test]
fn sector_priority_serves_defense_first_pro_rata_within_a_level() {
    // b: defense (priority 1) 60 t/month, ev and wind (priority 2) 40 + 20 t/month; a quota of
    // 90 t/month: defense gets 60, ev 20 and wind 10.
    let text = common::importer_exporter(
        60.0,
        3,
        r#"
[regions.b.sectors.ev]
demand_t = 480
high_temp_share = 0.0
priority = 2
[regions.b.sectors.wind]
demand_t = 240
high_temp_share = 0.0
priority = 2
[[controls]]
name = "quota"
origin = "a"
commodities = ["magnets"]
type = "quota"
quota_t_per_month = 90
"#,
    );
    let l = common::load_str(&text);
    let out = simulate(&l.scenario, 1, 0);
    let rec = &out.records[1];
    let sectors = &l.scenario.sectors;
    let got = |name: &str| {
        let gi = sectors.iter().position(|s| s == name).unwrap();
        let li = l.scenario.regions[1]
            .sectors
            .iter()
            .position(|s| s.sector == gi)
            .unwrap();
        rec.delivered[1][li][0]
    };
    assert!((got("defense") - 60.0).abs() < 1e-9);
    assert!((got("ev") - 20.0).abs() < 1e-9);
    assert!((got("wind") - 10.0).abs() < 1e-9);
}

#[test]
fn commercial_inventory_is_drawn_down_then_rebuilt() {
    // b holds 30.4375 days (one month) of cover; a one-month ban from month 2 is fully covered
    // by the inventory, which is then rebuilt over the following months.
    let mut text = common::importer_exporter(100.0, 12, &common::ban_from_a(2, Some(1)));
    text = text.replace(
        "[regions.b.sectors.defense]",
        "[regions.b.inventory_days]\nmagnet_standard = 30.4375\n[regions.b.sectors.defense]",
    );
    let l = common::load_str(&text);
    let out = simulate(&l.scenario, 1, 0);
    assert!(common::unmet(&out) < 1e-9, "unmet {}", common::unmet(&out));
    let stock = |t: usize| {
        out.records[t]
            .stocks_end
            .as_ref()
            .unwrap()
            .get(1, reesim::model::Commodity::MagnetStandard)
    };
    assert!((stock(1) - 100.0).abs() < 1e-9);
    assert!(stock(2).abs() < 1e-9, "drawn down during the ban");
    // Orders = use + gap / 3 (rebuild_months defaults to 3), so the gap shrinks by a third
    // each month: stock(t) = 100 (1 - (2/3)^(t - 2)).
    for t in 3..12 {
        let expected = 100.0 * (1.0 - (2.0f64 / 3.0).powi(t as i32 - 2));
        assert!(
            (stock(t) - expected).abs() < 1e-9,
            "month {t}: {} vs {expected}",
            stock(t)
        );
    }
}

#[test]
fn heavy_ban_cuts_only_high_temp_magnets_made_outside_the_origin() {
    // b makes its own magnets from imported oxide; a heavy-oxide ban stops high_temp output in b
    // while standard output continues.
    let text = common::importer_exporter(100.0, 6, "")
        .replace("high_temp_share = 0.0\npriority = 1", "high_temp_share = 0.5\npriority = 1")
        .replace(
            "[regions.b.sectors.defense]",
            "[[regions.b.magnet_plants]]\nname = \"bmag\"\ncapacity_t = 10000\n[regions.b.sectors.defense]",
        )
        + "[[controls]]\nname = \"heavy\"\norigin = \"a\"\ncommodities = [\"heavy_oxide\", \"magnet_high_temp\"]\ntype = \"ban\"\n";
    let l = common::load_str(&text);
    let out = simulate(&l.scenario, 1, 0);
    let rec = &out.records[3];
    assert!(
        (rec.magnet_out[1][0] - 50.0).abs() < 1e-9,
        "standard made in b"
    );
    assert_eq!(
        rec.magnet_out[1][1], 0.0,
        "no Dy/Tb, no high_temp magnets in b"
    );
    let unmet_ht: f64 = rec.demand[1]
        .iter()
        .zip(&rec.delivered[1])
        .map(|(d, g)| d[1] - g[1])
        .sum();
    assert!((unmet_ht - 50.0).abs() < 1e-9);
}

#[test]
fn random_outages_and_controls_keep_mass_balance() {
    let l = reesim::scenario::load(&common::scenarios_dir().join("total-ban-12m-stockpile.toml"))
        .unwrap();
    for run in 0..20 {
        let out = simulate(&l.scenario, 99, run);
        let e = worst_imbalance(&l.scenario, &out);
        assert!(e < 1e-6, "run {run}: mass balance off by {e} t");
    }
}

/// `a` with only `spare` t/month of magnet capacity beyond its own 100 t/month; `b` needs
/// 50 t standard + 50 t high_temp a month from `a`.
fn tight_exporter(spare: f64, extra: &str) -> reesim::scenario::Loaded {
    let text = common::importer_exporter(100.0, 4, extra)
        .replace(
            "name = \"mag\"\ncapacity_t = 1000000",
            &format!("name = \"mag\"\ncapacity_t = {}", (100.0 + spare) * 12.0),
        )
        .replace(
            "high_temp_share = 0.0\npriority = 1",
            "high_temp_share = 0.5\npriority = 1",
        );
    common::load_str(&text)
}

fn delivered_b(out: &RunOutput, month: usize) -> [f64; 2] {
    let d = &out.records[month].delivered[1];
    [d.iter().map(|s| s[0]).sum(), d.iter().map(|s| s[1]).sum()]
}

#[test]
fn spare_capacity_blocked_for_one_grade_serves_the_other() {
    // 50 t/month spare, high_temp banned: all 50 t go to standard (not 25 t, with 25 t idle).
    let l = tight_exporter(
        50.0,
        "[[controls]]\nname = \"ht\"\norigin = \"a\"\ncommodities = [\"magnet_high_temp\"]\ntype = \"ban\"\n",
    );
    let got = delivered_b(&simulate(&l.scenario, 1, 0), 2);
    assert!((got[0] - 50.0).abs() < 1e-9, "{got:?}");
    assert_eq!(got[1], 0.0);
}

#[test]
fn a_quota_is_not_charged_for_flow_another_control_blocks() {
    // A 60 t/month quota on magnets and a ban on standard magnets: 50 t of high_temp passes.
    let l = tight_exporter(
        1000.0,
        "[[controls]]\nname = \"q\"\norigin = \"a\"\ncommodities = [\"magnets\"]\ntype = \"quota\"\nquota_t_per_month = 60\n\
         [[controls]]\nname = \"std\"\norigin = \"a\"\ncommodities = [\"magnet_standard\"]\ntype = \"ban\"\n",
    );
    let got = delivered_b(&simulate(&l.scenario, 1, 0), 2);
    assert_eq!(got[0], 0.0);
    assert!((got[1] - 50.0).abs() < 1e-9, "{got:?}");
}

#[test]
fn an_oxide_stockpile_does_not_release_what_plants_cannot_use() {
    // b makes magnets from imported oxide; oxides and magnets from a are banned; b holds a
    // Dy/Tb stockpile but no NdPr, so no magnets can be made and nothing should be released.
    let text = common::importer_exporter(100.0, 4, "")
        .replace("high_temp_share = 0.0\npriority = 1", "high_temp_share = 1.0\npriority = 1")
        .replace("[regions.b.sectors.defense]", "[[regions.b.magnet_plants]]\nname = \"bmag\"\ncapacity_t = 10000\n[regions.b.sectors.defense]")
        + "[[controls]]\nname = \"ban\"\norigin = \"a\"\ncommodities = [\"oxides\", \"magnets\"]\ntype = \"ban\"\n\
           [[stockpiles]]\nname = \"dy\"\nregion = \"b\"\ncommodity = \"heavy_oxide\"\ninitial_t = 100\n";
    let l = common::load_str(&text);
    let out = simulate(&l.scenario, 1, 0);
    let released: f64 = out.records.iter().map(|r| r.released_by(0)).sum();
    assert_eq!(released, 0.0);
    assert!(out.records.iter().all(|r| r.magnet_out[1] == [0.0, 0.0]));
}

#[test]
fn duplicate_destinations_and_oversized_share_ranges_are_rejected() {
    let text = common::importer_exporter(
        100.0,
        4,
        "[[controls]]\nname = \"q\"\norigin = \"a\"\ndestinations = [\"b\", \"b\"]\ncommodities = [\"all\"]\ntype = \"ban\"\n",
    );
    assert!(reesim::scenario::parse(std::path::Path::new("t.toml"), &text).is_err());
    let text = common::importer_exporter(100.0, 4, "").replace(
        "ndpr_share = 0.2\ndytb_share = 0.01",
        "ndpr_share = { dist = \"uniform\", min = 0.5, max = 0.9 }\ndytb_share = { dist = \"uniform\", min = 0.3, max = 0.6 }",
    );
    match reesim::scenario::parse(std::path::Path::new("t.toml"), &text) {
        Err(reesim::scenario::LoadError::Invalid(d)) => {
            assert!(d.0[0].found.contains("can reach 1.5"), "{}", d.0[0].found)
        }
        _ => panic!("expected a share error"),
    }
}
