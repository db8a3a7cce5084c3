//! Correlated inputs: `[[correlations]]` sets rank correlations between sampled parameters,
//! imposed per block of runs by the Iman-Conover method, which only rearranges each parameter's
//! draws among the runs (so every marginal is kept exactly).

mod common;

use std::path::Path;

use assert_cmd::Command;
use reesim::stats::rank::spearman;

fn reesim() -> Command {
    Command::cargo_bin("reesim").unwrap()
}

/// The importer-exporter chain with two uniform inputs (ev demand, ev high_temp share), and
/// `extra` appended.
fn scenario(extra: &str) -> String {
    common::importer_exporter(100.0, 3, extra).replace(
        "demand_t = 1200\nhigh_temp_share = 0.5",
        "demand_t = { dist = \"uniform\", min = 1000, max = 2000 }\nhigh_temp_share = { dist = \"triangular\", min = 0, mode = 0.2, max = 1 }",
    )
}

const CORRELATED: &str = "\n[[correlations]]\nparams = [\"regions.a.sectors.ev.demand_t\", \"regions.a.sectors.ev.high_temp_share\"]\nrank_correlation = 0.7\n";

/// Runs `text` and returns runs.csv's columns for the two inputs, and the raw runs.csv.
fn run(dir: &Path, name: &str, text: &str, args: &[&str]) -> (Vec<f64>, Vec<f64>, Vec<u8>) {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    let out = dir.join(name);
    reesim()
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--seed",
            "11",
        ])
        .args(args)
        .assert()
        .success();
    let bytes = std::fs::read(out.join("runs.csv")).unwrap();
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (ca, cb) = (
        col("regions.a.sectors.ev.demand_t"),
        col("regions.a.sectors.ev.high_temp_share"),
    );
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for rec in r.records() {
        let rec = rec.unwrap();
        a.push(rec[ca].parse().unwrap());
        b.push(rec[cb].parse().unwrap());
    }
    (a, b, bytes)
}

/// Kolmogorov-Smirnov distance between two samples' empirical distributions.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let (mut x, mut y) = (a.to_vec(), b.to_vec());
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] <= v {
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / x.len() as f64 - j as f64 / y.len() as f64).abs());
    }
    d
}

#[test]
fn two_inputs_reach_their_target_rank_correlation_with_marginals_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    for sampling in ["mc", "lhs"] {
        let runs = ["--runs", "5000", "--sampling", sampling];
        let (a0, b0, _) = run(
            dir.path(),
            &format!("plain-{sampling}"),
            &scenario(""),
            &runs,
        );
        let (a, b, bytes1) = run(
            dir.path(),
            &format!("corr-{sampling}"),
            &scenario(CORRELATED),
            &[&runs[..], &["--threads", "1"]].concat(),
        );
        let rho = spearman(&a, &b);
        assert!(
            (rho - 0.7).abs() < 0.05,
            "{sampling}: Spearman {rho:.3}, target 0.7"
        );
        assert!(
            spearman(&a0, &b0).abs() < 0.05,
            "{sampling}: independent inputs correlate"
        );
        // Iman-Conover only moves each input's draws between runs: the same values, so the
        // Kolmogorov-Smirnov distance to the uncorrelated sample is 0.
        assert_eq!(ks(&a, &a0), 0.0, "{sampling}: demand marginal changed");
        assert_eq!(ks(&b, &b0), 0.0, "{sampling}: share marginal changed");
        let (_, _, bytes2) = run(
            dir.path(),
            &format!("corr2-{sampling}"),
            &scenario(CORRELATED),
            &[&runs[..], &["--threads", "2"]].concat(),
        );
        assert!(
            bytes1 == bytes2,
            "{sampling}: runs.csv differs between 1 and 2 threads"
        );
        let manifest =
            std::fs::read_to_string(dir.path().join(format!("corr-{sampling}/manifest.json")))
                .unwrap();
        let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        let achieved = m["correlations"][0]["achieved_rank_correlation"]
            .as_f64()
            .unwrap();
        assert!(
            (achieved - rho).abs() < 1e-9,
            "manifest records {achieved}, runs give {rho}"
        );
    }
}

#[test]
fn correlations_that_cannot_hold_together_are_refused_with_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario("")
        + "\n[[correlations]]\nparams = [\"regions.a.sectors.ev.demand_t\", \"regions.a.sectors.ev.high_temp_share\"]\nrank_correlation = 0.9\n[[correlations]]\nparams = [\"regions.a.sectors.ev.demand_t\", \"regions.a.mines.big.capacity_t\"]\nrank_correlation = 0.9\n[[correlations]]\nparams = [\"regions.a.sectors.ev.high_temp_share\", \"regions.a.mines.big.capacity_t\"]\nrank_correlation = -0.9\n";
    let text = text.replace(
        "capacity_t = 1000000\nndpr_share",
        "capacity_t = { dist = \"uniform\", min = 900000, max = 1100000 }\nndpr_share",
    );
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, &text).unwrap();
    let out = reesim()
        .args(["validate", file.to_str().unwrap()])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let line = text
        .lines()
        .position(|l| l == "rank_correlation = -0.9")
        .unwrap()
        + 1;
    assert!(
        err.contains("not a valid correlation matrix")
            || err.contains("do not form a valid correlation matrix"),
        "{err}"
    );
    assert!(
        err.contains(&format!("bad.toml:{line}:")),
        "error not located at line {line}:\n{err}"
    );
    assert!(err.contains("correlations[2].rank_correlation"), "{err}");
    // A fixed number cannot be correlated; an unknown key names the sampled ones.
    let fixed = scenario(
        "\n[[correlations]]\nparams = [\"regions.a.sectors.ev.demand_t\", \"regions.b.sectors.defense.priority\"]\nrank_correlation = 0.5\n",
    );
    std::fs::write(&file, &fixed).unwrap();
    let out = reesim()
        .args(["validate", file.to_str().unwrap()])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("unknown parameter"), "{err}");
    assert!(
        err.contains("regions.a.sectors.ev.high_temp_share"),
        "{err}"
    );
}
