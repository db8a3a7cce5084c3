//! Each control form and stockpile rule on a small deterministic scenario with a hand-computed
//! outcome. The base is `common::importer_exporter`: `b` imports everything it uses (d t/month
//! of standard-grade defense demand) from `a`, with no commercial inventories.

mod common;

use reesim::model::Commodity;
use reesim::sim::run::{RunOutput, simulate};
use reesim::stats::outcomes::Outcomes;

fn run(extra: &str, horizon: usize) -> (reesim::scenario::Loaded, RunOutput) {
    let l = common::load_str(&common::importer_exporter(100.0, horizon, extra));
    let out = simulate(&l.scenario, 1, 0);
    (l, out)
}

/// Magnets delivered to `b` per month.
fn delivered_b(out: &RunOutput) -> Vec<f64> {
    out.records
        .iter()
        .map(|r| r.delivered[1].iter().map(|s| s[0] + s[1]).sum())
        .collect()
}

fn assert_series(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() < 1e-6,
            "month {t}: got {g}, want {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

/// Asserts that from month `start` on, `series` holds `share` of its mean over the months
/// before `start` (a quota's reference).
fn assert_share_of_reference(series: &[f64], start: usize, share: f64, what: &str) {
    let reference = series[..start].iter().sum::<f64>() / start as f64;
    assert!(reference > 1.0, "{what}: no reference flow: {series:?}");
    for (t, &x) in series.iter().enumerate().skip(start) {
        assert!(
            (x - share * reference).abs() < 1e-6 * reference,
            "{what} month {t}: {x} against {share} of {reference}: {series:?}"
        );
    }
}

fn metric(l: &reesim::scenario::Loaded, out: &RunOutput, name: &str) -> f64 {
    let o = Outcomes::new(&l.scenario);
    let v = o.compute(&l.scenario, out);
    v[o.keys
        .iter()
        .position(|k| k.column() == name)
        .unwrap_or_else(|| panic!("no metric {name}"))]
}

const LICENSING: &str = r#"
[[controls]]
name = "lic"
origin = "a"
commodities = ["magnets"]
type = "licensing"
start_month = 1
schedule = [{ month = 0, share = 0.0 }, { month = 1, share = 0.25 }, { month = 3, share = 0.6 }]
"#;

#[test]
fn licensing_passes_the_approved_share() {
    // From month 1: 0% approved, then 25% for two months, then 60%.
    let (_, out) = run(LICENSING, 7);
    assert_series(
        &delivered_b(&out),
        &[100.0, 0.0, 25.0, 25.0, 60.0, 60.0, 60.0],
    );
    let licensed: f64 = out
        .records
        .iter()
        .map(|r| r.licensed[Commodity::MagnetStandard as usize][1])
        .sum();
    assert!((licensed - 230.0).abs() < 1e-9);
}

#[test]
fn licensing_delay_splits_arrivals_over_two_months() {
    // Everything approved but 1.5 months late (6.52 weeks): a shipment of month t arrives half
    // in t+1, half in t+2. Orders ignore goods in transit, so b keeps ordering 100 t a month.
    let delay_weeks = 1.5 * 365.25 / 7.0 / 12.0;
    let extra = LICENSING.replace("start_month = 1\n", "").replace(
        "[{ month = 0, share = 0.0 }, { month = 1, share = 0.25 }, { month = 3, share = 0.6 }]",
        "[{ month = 0, share = 1.0 }]",
    ) + &format!("delay_weeks = {delay_weeks}\n");
    let (l, out) = run(&extra, 5);
    assert_series(&delivered_b(&out), &[0.0, 50.0, 100.0, 100.0, 100.0]);
    let in_transit = out.records[4]
        .stocks_end
        .as_ref()
        .unwrap()
        .in_transit(Commodity::MagnetStandard);
    assert!(
        (in_transit - 150.0).abs() < 1e-9,
        "half of month 3 and all of month 4: {in_transit}"
    );
    assert!((metric(&l, &out, "delayed_shipments_t") - 500.0).abs() < 1e-9);
}

#[test]
fn graduated_quota_follows_its_schedule() {
    // Share of the pre-control flow (100 t/month over months 0-3): 80%, then 50% from the
    // third month, then 20% from the fifth.
    let extra = r#"
[[controls]]
name = "grad"
origin = "a"
commodities = ["magnets"]
type = "quota"
start_month = 4
schedule = [{ month = 0, share = 0.8 }, { month = 2, share = 0.5 }, { month = 4, share = 0.2 }]
"#;
    let (_, out) = run(extra, 10);
    assert_series(
        &delivered_b(&out),
        &[
            100.0, 100.0, 100.0, 100.0, 80.0, 80.0, 50.0, 50.0, 20.0, 20.0,
        ],
    );
}

#[test]
fn suspension_and_relaxation_change_a_ban() {
    let extra = r#"
[[controls]]
name = "ban"
origin = "a"
commodities = ["all"]
type = "ban"
start_month = 2
duration_months = 8
changes = [{ month = 4, action = "suspend", months = 2 }, { month = 7, action = "relax", share = 0.5 }]
"#;
    let (_, out) = run(extra, 11);
    // In force 2..10; suspended 4..6; relaxed to 50% of the pre-control flow from 7.
    assert_series(
        &delivered_b(&out),
        &[
            100.0, 100.0, 0.0, 0.0, 100.0, 100.0, 0.0, 50.0, 50.0, 50.0, 100.0,
        ],
    );
}

#[test]
fn end_use_denial_refuses_origin_magnets_for_named_sectors_only() {
    let extra = r#"
[regions.b.sectors.ev]
demand_t = 600
high_temp_share = 0.0
priority = 2
[[controls]]
name = "deny"
origin = "a"
commodities = ["magnets"]
type = "end_use_denial"
sectors = ["defense"]
"#;
    let (l, out) = run(extra, 3);
    let rec = &out.records[1];
    let sector = |name: &str| {
        let id = l.scenario.sectors.iter().position(|s| s == name).unwrap();
        l.scenario.regions[1]
            .sectors
            .iter()
            .position(|s| s.sector == id)
            .unwrap()
    };
    assert_eq!(
        rec.delivered[1][sector("defense")][0],
        0.0,
        "defense gets no magnets made in a"
    );
    assert!(
        (rec.delivered[1][sector("ev")][0] - 50.0).abs() < 1e-9,
        "ev is served"
    );
}

/// b makes its own magnets (standard grade) from oxide imported from a.
fn own_plant(denial: &str) -> Vec<f64> {
    let text = common::importer_exporter(100.0, 4, denial).replace(
        "[regions.b.sectors.defense]",
        "[[regions.b.magnet_plants]]\nname = \"bmag\"\ncapacity_t = 100000\n[regions.b.sectors.defense]",
    );
    let l = common::load_str(&text);
    delivered_b(&simulate(&l.scenario, 1, 0))
}

#[test]
fn extraterritorial_denial_follows_the_origin_oxide_into_foreign_magnets() {
    let denial = |extra: bool| {
        format!(
            "[[controls]]\nname = \"deny\"\norigin = \"a\"\ncommodities = [\"all\"]\ntype = \"end_use_denial\"\nsectors = [\"defense\"]\nextraterritorial = {extra}\n"
        )
    };
    // Magnets made in b are not made in a: a plain denial does not touch them.
    assert_series(&own_plant(&denial(false)), &[100.0, 100.0, 100.0, 100.0]);
    // But they are made from a's oxide: the extraterritorial rule refuses them.
    assert_series(&own_plant(&denial(true)), &[0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn reciprocal_control_stops_concentrate_flowing_to_china() {
    let text = common::three_regions_ample()
        + "[[controls]]\nname = \"recip\"\norigin = \"rest\"\ndestinations = [\"china\"]\ncommodities = [\"concentrate\"]\ntype = \"ban\"\nstart_month = 3\n";
    let l = common::load_str(&text);
    let out = simulate(&l.scenario, 1, 0);
    let china = l.scenario.region_index("china").unwrap();
    assert!(out.records[2].imports(china, Commodity::Concentrate) > 0.0);
    for rec in &out.records[3..] {
        assert_eq!(rec.imports(china, Commodity::Concentrate), 0.0);
    }
}

#[test]
fn technology_ban_pauses_then_slows_capacity_growth() {
    // b's magnet plant (1,200 t/yr, +100%/yr) binds its output; a's technology ban from month
    // 0 pauses growth for 6 months, then halves it: growth clock G(t) = 0.5 (t - 6) for t > 6.
    let base = |tech: &str| {
        let text = common::importer_exporter(1000.0, 12, tech).replace(
            "[regions.b.sectors.defense]",
            "[[regions.b.magnet_plants]]\nname = \"bmag\"\ncapacity_t = 1200\ngrowth = 1.0\n[regions.b.sectors.defense]",
        );
        let l = common::load_str(&text);
        let out = simulate(&l.scenario, 1, 0);
        out.records
            .iter()
            .map(|r| r.magnet_out[1][0])
            .collect::<Vec<f64>>()
    };
    let free = base("");
    let slowed = base(
        "[[controls]]\nname = \"tech\"\norigin = \"a\"\ntype = \"technology\"\ndelay_months = 6\nslowdown = 0.5\n",
    );
    for t in 0..12 {
        let g = if t > 6 { 0.5 * (t - 6) as f64 } else { 0.0 };
        assert!(
            (slowed[t] - 100.0 * 2f64.powf(g / 12.0)).abs() < 1e-9,
            "month {t}: {}",
            slowed[t]
        );
        assert!((free[t] - 100.0 * 2f64.powf(t as f64 / 12.0)).abs() < 1e-9);
        assert!(
            slowed[t] <= free[t] + 1e-12,
            "a technology ban never brings capacity forward"
        );
    }
}

#[test]
fn random_onset_with_certain_hazard_starts_at_once() {
    let extra = "[[controls]]\nname = \"b\"\norigin = \"a\"\ncommodities = [\"all\"]\ntype = \"ban\"\nonset_hazard_per_year = 1.0\nduration_months = 2\n";
    let (_, out) = run(extra, 4);
    assert_series(&delivered_b(&out), &[0.0, 0.0, 100.0, 100.0]);
}

const BAN: &str = "[[controls]]\nname = \"ban\"\norigin = \"a\"\ncommodities = [\"all\"]\ntype = \"ban\"\nstart_month = 1\nduration_months = 3\n";

#[test]
fn stockpile_sized_in_days_of_named_sectors() {
    // 30.4375 days = one month of the defense demand only (100 t), not of ev's too.
    let extra = format!(
        "[regions.b.sectors.ev]\ndemand_t = 1200\nhigh_temp_share = 0.0\npriority = 2\n{BAN}\
         [[stockpiles]]\nname = \"s\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_days = 30.4375\ndays_of_sectors = [\"defense\"]\n"
    );
    let (l, out) = run(&extra, 6);
    assert!((metric(&l, &out, "stockpile_initial_t[region=b,stockpile=s]") - 100.0).abs() < 1e-9);
}

#[test]
fn shortage_threshold_holds_back_small_shortfalls() {
    // A quota cutting b to 95 t: 5% unmet is below a 10% threshold, so nothing is released;
    // with a 1% threshold, the 5 t are.
    let quota = "[[controls]]\nname = \"q\"\norigin = \"a\"\ncommodities = [\"all\"]\ntype = \"quota\"\nquota_t_per_month = 95\n";
    for (threshold, released) in [(0.1, 0.0), (0.01, 5.0 * 4.0)] {
        let extra = format!(
            "{quota}[[stockpiles]]\nname = \"s\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = 1000\nrelease_on = [\"shortage\"]\nrelease_threshold = {threshold}\n"
        );
        let (l, out) = run(&extra, 4);
        assert!(
            (metric(&l, &out, "stockpile_released_t[region=b,stockpile=s]") - released).abs()
                < 1e-9
        );
    }
}

#[test]
fn control_trigger_releases_only_while_the_named_control_is_in_force() {
    // A quota of 50 t for the whole run, and a ban in months 1-3. The stockpile releases on the
    // ban only: 100 t in months 1-3, nothing against the quota's shortfall in months 0 and 4+.
    let extra = format!(
        "{BAN}[[controls]]\nname = \"q\"\norigin = \"a\"\ncommodities = [\"all\"]\ntype = \"quota\"\nquota_t_per_month = 50\n\
         [[stockpiles]]\nname = \"s\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = 1000\nrelease_on = [\"control\"]\nrelease_controls = [\"ban\"]\n"
    );
    let (_, out) = run(&extra, 6);
    let released: Vec<f64> = out.records.iter().map(|r| r.released_by(0)).collect();
    assert_series(&released, &[0.0, 100.0, 100.0, 100.0, 0.0, 0.0]);
}

#[test]
fn a_stockpile_can_serve_another_region_only() {
    // The stockpile sits in a but serves b alone.
    let extra = format!(
        "{BAN}[[stockpiles]]\nname = \"s\"\nregion = \"a\"\ncommodity = \"magnet_standard\"\ninitial_t = 150\nserves = [\"b\"]\n"
    );
    let (_, out) = run(&extra, 5);
    assert_series(&delivered_b(&out), &[100.0, 100.0, 50.0, 0.0, 100.0]);
    assert!(out.records[2].released[0][1] > 0.0 && out.records[2].released[0][0] == 0.0);
}

#[test]
fn refill_starts_after_the_delay_within_rate_and_budget() {
    // 200 t released in the ban's first two months (150 t held ... see below); refill at 30 t a
    // month once two quiet months have passed, with a budget of 45 t (USD 4,500 at 100 USD/t).
    let extra = format!(
        "{BAN}[[stockpiles]]\nname = \"s\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = 150\n\
         refill_t_per_month = 30\nrefill_delay_months = 2\nrefill_budget_usd = 4500\npurchase_price_usd_per_t = 100\n\
         holding_cost_usd_per_t_year = 1200\n"
    );
    let (l, out) = run(&extra, 10);
    let levels: Vec<f64> = out.records.iter().map(|r| r.stockpile_end[0]).collect();
    // Months 1-2 release 100 + 50; the ban (in force 1..4) keeps the crisis clock at 0 through
    // month 3; quiet months 4 and 5; refill 30 t in month 6 and 15 t in month 7 (budget).
    assert_series(
        &levels,
        &[150.0, 50.0, 0.0, 0.0, 0.0, 0.0, 30.0, 45.0, 45.0, 45.0],
    );
    assert!((metric(&l, &out, "stockpile_refilled_t[region=b,stockpile=s]") - 45.0).abs() < 1e-9);
    // Holding cost: 100 USD per t per month on the month-end levels.
    let held: f64 = levels.iter().sum();
    assert!(
        (metric(&l, &out, "stockpile_holding_cost_usd[region=b,stockpile=s]") - 100.0 * held).abs()
            < 1e-6
    );
    // Worst cover: 0 months once empty.
    assert_eq!(
        metric(&l, &out, "stockpile_min_cover_months[region=b,stockpile=s]"),
        0.0
    );
}

#[test]
fn a_quota_on_several_commodities_cuts_each_to_the_share_of_its_own_flow() {
    // `b` makes its own magnets (half high_temp), so it imports light and heavy oxide from `a`.
    // A 50% quota on both oxides from month 4 lets each through at half its own mean flow over
    // months 0-3, whatever order the commodities are planned in (a joint budget used first by
    // light oxide would starve heavy oxide).
    let extra = r#"
[[regions.b.magnet_plants]]
name = "b_mag"
capacity_t = 100000

[[controls]]
name = "q"
origin = "a"
commodities = ["oxides"]
type = "quota"
quota_share = 0.5
start_month = 4
"#;
    let text = common::importer_exporter(100.0, 8, extra)
        .replace("high_temp_share = 0.0", "high_temp_share = 0.5");
    let l = common::load_str(&text);
    let out = simulate(&l.scenario, 1, 0);
    for c in [Commodity::LightOxide, Commodity::HeavyOxide] {
        let exports: Vec<f64> = out.records.iter().map(|r| r.exports(0, c)).collect();
        assert_share_of_reference(&exports, 4, 0.5, &format!("{c:?} exports"));
    }
}

#[test]
fn a_production_quota_holds_mining_to_its_share_of_pre_control_output() {
    // `a` mines for its own ev demand and for `b`; from month 4 it may mine half its mean
    // monthly output of months 0-3. Demand does not change, so the cap binds every month.
    let extra = r#"
[[controls]]
name = "mining_quota"
origin = "a"
commodities = ["concentrate"]
type = "production_quota"
quota_share = 0.5
start_month = 4
"#;
    let (l, out) = run(extra, 8);
    let mined: Vec<f64> = out
        .records
        .iter()
        .map(|r| r.mine_out[0].iter().sum())
        .collect();
    assert_share_of_reference(&mined, 4, 0.5, "mine output");
    // The cut reaches end use: `b` now goes short.
    assert!(metric(&l, &out, "unmet_demand_t") > 1.0);
    // Before the control starts the run is the uncontrolled one.
    let (_, free) = run("", 8);
    for t in 0..4 {
        assert_eq!(
            free.records[t].mine_out[0], out.records[t].mine_out[0],
            "month {t}"
        );
    }
}

#[test]
fn a_tonnage_production_quota_caps_separation_output_from_month_zero() {
    // `a`'s ev sector (100 t/month, half high_temp at 0.03 t Dy/Tb oxide per t) needs 1.5 t of
    // Dy/Tb oxide a month; a 1 t/month cap on heavy separation in force from the start (no
    // history) holds output to exactly 1 t; light oxide is not covered.
    let cap = r#"
[[controls]]
name = "heavy_cap"
origin = "a"
commodities = ["heavy_oxide"]
type = "production_quota"
quota_t_per_month = 1.0
"#;
    let (_, free) = run("", 6);
    let (_, capped) = run(cap, 6);
    for t in 0..6 {
        let (f, c) = (&free.records[t].sep_out[0], &capped.records[t].sep_out[0]);
        assert!(f[1] > 1.2, "month {t}: uncapped heavy output {}", f[1]);
        assert!(
            (c[1] - 1.0).abs() < 1e-9,
            "month {t}: capped heavy output {}",
            c[1]
        );
    }
    // Light oxide is not covered; its output falls only because fewer high_temp magnets
    // can be made, never rises.
    for t in 0..6 {
        assert!(capped.records[t].sep_out[0][0] <= free.records[t].sep_out[0][0] + 1e-9);
    }
}

/// Region `c`: a second importer like `b` (100 t/month of standard-grade defense demand).
const REGION_C: &str =
    "[regions.c.sectors.defense]\ndemand_t = 1200\nhigh_temp_share = 0.0\npriority = 1\n";

/// Magnets delivered to region `r` per month.
fn delivered(out: &RunOutput, r: usize) -> Vec<f64> {
    out.records
        .iter()
        .map(|rec| rec.delivered[r].iter().map(|s| s[0] + s[1]).sum())
        .collect()
}

#[test]
fn licensing_approvals_differ_by_destination() {
    // From month 1, b gets the control's 25%; c its own schedule: 75%, then 50% from the
    // third month of the control (model month 3). Each orders 100 t a month.
    let extra = format!(
        r#"{REGION_C}
[[controls]]
name = "lic"
origin = "a"
commodities = ["magnets"]
type = "licensing"
start_month = 1
schedule = [{{ month = 0, share = 0.25 }}]
approvals = [{{ destinations = ["c"], schedule = [{{ month = 0, share = 0.75 }}, {{ month = 2, share = 0.5 }}] }}]
"#
    );
    let (_, out) = run(&extra, 5);
    assert_series(&delivered(&out, 1), &[100.0, 25.0, 25.0, 25.0, 25.0]);
    assert_series(&delivered(&out, 2), &[100.0, 75.0, 75.0, 50.0, 50.0]);
}

/// `b` with defense (100 t/month, priority 1) and ev (300 t/month, priority 2), standard grade;
/// a licensing control on magnets from month 1 with full approval but `defense` for defense.
fn sector_licensing(defense: f64) -> (reesim::scenario::Loaded, RunOutput) {
    let extra = format!(
        r#"
[regions.b.sectors.ev]
demand_t = 3600
high_temp_share = 0.0
priority = 2
[[controls]]
name = "lic"
origin = "a"
commodities = ["magnets"]
type = "licensing"
start_month = 1
schedule = [{{ month = 0, share = 1.0 }}]
approvals = [{{ sectors = ["defense"], schedule = [{{ month = 0, share = {defense} }}] }}]
"#
    );
    run(&extra, 3)
}

fn sector_of(l: &reesim::scenario::Loaded, r: usize, name: &str) -> usize {
    let id = l.scenario.sectors.iter().position(|s| s == name).unwrap();
    l.scenario.regions[r]
        .sectors
        .iter()
        .position(|s| s.sector == id)
        .unwrap()
}

#[test]
fn a_sector_approval_weights_the_route_and_caps_the_sector_at_end_use() {
    // Route share: (100 * 0.5 + 300 * 1) / 400 = 0.875 of the 400 t b orders: 350 t. At end
    // use all of it is made in a: defense (served first) may take at most half its want, 50 t;
    // ev takes the other 300 t.
    let (l, out) = sector_licensing(0.5);
    let (defense, ev) = (sector_of(&l, 1, "defense"), sector_of(&l, 1, "ev"));
    let ms = Commodity::MagnetStandard as usize;
    for t in 1..3 {
        let rec = &out.records[t];
        assert!(
            (rec.flows[ms][1] - 350.0).abs() < 1e-9,
            "month {t}: {:?}",
            &rec.flows[ms]
        );
        assert!(
            (rec.delivered[1][defense][0] - 50.0).abs() < 1e-9,
            "month {t}"
        );
        assert!((rec.delivered[1][ev][0] - 300.0).abs() < 1e-9, "month {t}");
    }
    // Approval 0 is the end-use denial: the route passes 300 t, all for ev; defense gets none.
    let (l, out) = sector_licensing(0.0);
    let rec = &out.records[2];
    assert!((rec.flows[ms][1] - 300.0).abs() < 1e-9);
    assert_eq!(rec.delivered[1][sector_of(&l, 1, "defense")][0], 0.0);
    assert!((rec.delivered[1][sector_of(&l, 1, "ev")][0] - 300.0).abs() < 1e-9);
}

#[test]
fn a_general_licence_restores_full_flow_without_delay() {
    // 25% approved from month 1, shipments 1.5 months late: month 1's 25 t arrive 12.5 t in
    // month 2 and 12.5 t in month 3, month 2's in months 3 and 4. From model month 3 a general
    // licence for b: its 100 t order ships in full and arrives at once (with the 25 t still
    // due, 125 t; 100 t used, 25 t kept), and nothing is delayed or licensed any more.
    let delay_weeks = 1.5 * 365.25 / 7.0 / 12.0;
    let extra = format!(
        r#"
[[controls]]
name = "lic"
origin = "a"
commodities = ["magnets"]
type = "licensing"
start_month = 1
schedule = [{{ month = 0, share = 0.25 }}]
delay_weeks = {delay_weeks}
general_licence = [{{ month = 3, destinations = ["b"] }}]
"#
    );
    let (_, out) = run(&extra, 6);
    assert_series(&delivered_b(&out), &[100.0, 0.0, 12.5, 100.0, 100.0, 100.0]);
    let ms = Commodity::MagnetStandard as usize;
    assert!((out.records[3].flows[ms][1] - 100.0).abs() < 1e-9);
    assert!((out.records[2].delayed[ms][1] - 25.0).abs() < 1e-9);
    for rec in &out.records[3..] {
        assert_eq!(rec.delayed[ms][1], 0.0);
        assert_eq!(rec.licensed[ms][1], 0.0);
    }
    // Without the general licence month 3 gets only the 25 t in transit.
    let (_, without) = run(&extra.replace("general_licence", "# general_licence"), 4);
    assert!((delivered_b(&without)[3] - 25.0).abs() < 1e-9);
}

#[test]
fn a_schedule_step_to_full_approval_ends_the_cut() {
    // Nothing approved in the control's first two months (model months 1-2), everything from
    // its third.
    let extra = LICENSING.replace(
        "[{ month = 0, share = 0.0 }, { month = 1, share = 0.25 }, { month = 3, share = 0.6 }]",
        "[{ month = 0, share = 0.0 }, { month = 2, share = 1.0 }]",
    );
    let (_, out) = run(&extra, 6);
    assert_series(&delivered_b(&out), &[100.0, 0.0, 0.0, 100.0, 100.0, 100.0]);
}

#[test]
fn leakage_lets_a_share_of_the_blocked_flow_through() {
    // A ban with leakage 0.2: 0 + 0.2 * (1 - 0) = 20% of the 100 t ordered.
    let ban = BAN.replace("duration_months = 3\n", "leakage = 0.2\n");
    let (_, out) = run(&ban, 4);
    assert_series(&delivered_b(&out), &[100.0, 20.0, 20.0, 20.0]);
    // A share quota of 50% of the pre-control flow (100 t) with leakage 0.2: 0.5 + 0.2 * 0.5
    // = 60%.
    let quota = "[[controls]]\nname = \"q\"\norigin = \"a\"\ncommodities = [\"magnets\"]\ntype = \"quota\"\nquota_share = 0.5\nstart_month = 4\nleakage = 0.2\n";
    let (_, out) = run(quota, 7);
    assert_series(
        &delivered_b(&out),
        &[100.0, 100.0, 100.0, 100.0, 60.0, 60.0, 60.0],
    );
}

#[test]
fn a_quota_budget_is_charged_with_the_legal_flow_only() {
    // A share quota of 50% (no history: of the flow asked this month) with leakage 0.2 on
    // routes a -> b and a -> c, and a ban on a -> c. Asked: 100 t each. The quota allows 100 t
    // (scale 0.5, 0.6 with leakage); the ban stops c. b gets 60 t, of which 50 t are legal:
    // the quota keeps 100 - 50 = 50 t, so a later placement of 50 t to b passes in full
    // (charged with the 60 t that passed it would keep 40 t).
    use reesim::model::limits::Limits;
    use reesim::policy::controls::{History, courses};
    let extra = format!(
        "{REGION_C}\
         [[controls]]\nname = \"q\"\norigin = \"a\"\ndestinations = [\"b\", \"c\"]\ncommodities = [\"magnets\"]\ntype = \"quota\"\nquota_share = 0.5\nleakage = 0.2\n\
         [[controls]]\nname = \"ban_c\"\norigin = \"a\"\ndestinations = [\"c\"]\ncommodities = [\"magnets\"]\ntype = \"ban\"\n"
    );
    let l = common::load_str(&common::importer_exporter(100.0, 2, &extra));
    let sc = &l.scenario;
    let v = sc.params.sample(1, 0);
    let cs = courses(sc, &v, &mut |_| 0.5);
    let mut history = History::new(sc.controls.len());
    let mut limits = Limits::for_month(sc, &v, &cs, &mut history, 0, &[]);
    let c = Commodity::MagnetStandard;
    let (mut needs, mut spare) = (vec![0.0; 3], vec![0.0; 3]);
    let mut flows = vec![0.0, 100.0, 100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    limits.apply(c, &mut flows, 3, &mut needs, &mut spare);
    assert!((flows[1] - 60.0).abs() < 1e-9, "{flows:?}");
    assert_eq!(flows[2], 0.0);
    assert!((needs[1] - 40.0).abs() < 1e-9 && (needs[2] - 100.0).abs() < 1e-9);
    let mut later = vec![0.0, 50.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    limits.apply(c, &mut later, 3, &mut needs, &mut spare);
    assert!((later[1] - 50.0).abs() < 1e-9, "{later:?}");
}
