//! Latin hypercube sampling and stopping at a Monte Carlo error target.

mod common;

use std::path::Path;

use assert_cmd::Command;
use reesim::sim::params::Design;

fn with_uniform() -> reesim::scenario::Loaded {
    let text = common::importer_exporter(100.0, 6, "").replace(
        "demand_t = 1200\nhigh_temp_share = 0.5",
        "demand_t = { dist = \"uniform\", min = 1000, max = 2000 }\nhigh_temp_share = { dist = \"uniform\", min = 0, max = 1 }",
    );
    common::load_str(&text)
}

#[test]
fn every_stratum_of_every_parameter_is_used_once_per_block() {
    let l = with_uniform();
    let table = &l.scenario.params;
    let n = 50;
    for start in [0u64, 50] {
        let lhs = Design::new(table, &[], 7, start, n, true);
        for (id, d) in table.sampled() {
            let mut seen = vec![false; n as usize];
            for run in start..start + n {
                let v = table.sample_with(7, run, Some(&lhs)).0[id.0];
                let (lo, hi) = match d.key.as_str() {
                    k if k.ends_with("demand_t") => (1000.0, 2000.0),
                    _ => (0.0, 1.0),
                };
                let stratum = (((v - lo) / (hi - lo)) * n as f64).floor() as usize;
                assert!(!seen[stratum], "{}: stratum {stratum} used twice", d.key);
                seen[stratum] = true;
            }
            assert!(seen.iter().all(|&s| s), "{}: a stratum unused", d.key);
        }
    }
}

fn reesim() -> Command {
    Command::cargo_bin("reesim").unwrap()
}

#[test]
fn lhs_results_do_not_depend_on_threads_and_differ_from_mc() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/total-ban-12m.toml");
    for (name, threads, sampling) in [("a", "1", "lhs"), ("b", "3", "lhs"), ("c", "2", "mc")] {
        reesim()
            .args([
                "run",
                scenario.to_str().unwrap(),
                "--runs",
                "70",
                "--sampling",
                sampling,
                "--threads",
                threads,
                "--out",
            ])
            .arg(dir.path().join(name))
            .assert()
            .success();
    }
    let read = |d: &str, f: &str| std::fs::read(dir.path().join(d).join(f)).unwrap();
    for f in ["summary.csv", "timeseries.csv", "runs.csv"] {
        assert!(
            read("a", f) == read("b", f),
            "{f} differs between thread counts under LHS"
        );
    }
    assert!(read("a", "runs.csv") != read("c", "runs.csv"));
}

#[test]
fn until_mcse_stops_once_the_target_is_met_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/total-ban-12m.toml");
    reesim()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--runs",
            "5000",
            "--until-mcse",
            "0.01",
            "--out",
        ])
        .arg(dir.path().join("u"))
        .assert()
        .success();
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("u/manifest.json")).unwrap())
            .unwrap();
    let runs = m["runs"].as_u64().unwrap();
    assert!(runs < 5000 && runs.is_multiple_of(256), "{runs}");
    assert_eq!(m["until_mcse"]["met"], true);
    let achieved = m["until_mcse"]["achieved"][0]["relative_mcse"]
        .as_f64()
        .unwrap();
    assert!(achieved <= 0.01);
    // The relative MCSE recomputed from runs.csv agrees.
    let text = std::fs::read_to_string(dir.path().join("u/runs.csv")).unwrap();
    let mut lines = text.lines();
    let col = lines
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "unmet_demand_t")
        .unwrap();
    let v: Vec<f64> = lines
        .map(|l| l.split(',').nth(col).unwrap().parse().unwrap())
        .collect();
    assert_eq!(v.len() as u64, runs);
    assert!((reesim::sim::runner::relative_mcse(&v) - achieved).abs() < 1e-6);
    // A bad metric name is an argument error.
    reesim()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--runs",
            "10",
            "--until-mcse",
            "0.01",
            "--metrics",
            "nonsense",
            "--out",
        ])
        .arg(dir.path().join("bad"))
        .assert()
        .code(2);
}
