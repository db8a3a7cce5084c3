//! The uncertainty breakdown of `run` (uncertainty.csv and the terminal summary) on a case whose
//! answer is known.

mod common;

use assert_cmd::Command;

#[test]
fn unmet_demand_that_depends_on_one_input_is_attributed_to_it() {
    // `b` imports everything from `a`, and `a` bans all exports from month 0: b's unmet demand
    // is its whole demand, so it depends on b's demand level alone. a's EV demand is sampled
    // too but cannot change b's unmet demand.
    let text = common::importer_exporter(100.0, 6, &common::ban_from_a(0, None))
        .replace(
            "[regions.b.sectors.defense]\ndemand_t = 1200",
            "[regions.b.sectors.defense]\ndemand_t = { dist = \"uniform\", min = 600, max = 1800 }",
        )
        .replace(
            "demand_t = 1200\nhigh_temp_share = 0.5",
            "demand_t = { dist = \"uniform\", min = 1000, max = 2000 }\nhigh_temp_share = 0.5",
        );
    assert!(
        text.contains("min = 600"),
        "the test scenario lost its sampled demand"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one-input.toml");
    std::fs::write(&file, &text).unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::cargo_bin("reesim")
        .unwrap()
        .args([
            "run",
            file.to_str().unwrap(),
            "--runs",
            "2000",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let mut r = csv::Reader::from_path(out_dir.join("uncertainty.csv")).unwrap();
    let mut share = std::collections::HashMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[0] == "unmet_demand_t[region=b]" {
            share.insert(rec[1].to_string(), rec[3].parse::<f64>().unwrap());
        }
    }
    let own = share["regions.b.sectors.defense.demand_t"];
    let other = share["regions.a.sectors.ev.demand_t"];
    assert!(own > 0.97, "b's demand explains {own} of b's unmet demand");
    assert!(
        other < 0.03,
        "a's demand explains {other} of b's unmet demand"
    );
    assert!(
        stdout.contains("unmet_demand_t[region=b]: ")
            && stdout.contains("% regions.b.sectors.defense.demand_t"),
        "{stdout}"
    );
}
