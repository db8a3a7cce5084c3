//! The decision tools end to end: compare, sensitivity and size-stockpile.

mod common;

use std::path::Path;

use assert_cmd::Command;

fn reesim() -> Command {
    Command::cargo_bin("reesim").unwrap()
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    (
        header,
        lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect(),
    )
}

#[test]
fn comparing_a_scenario_with_itself_gives_zero_differences() {
    let dir = tempfile::tempdir().unwrap();
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/total-ban-12m.toml");
    reesim()
        .args([
            "compare",
            s.to_str().unwrap(),
            s.to_str().unwrap(),
            "--runs",
            "40",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let (h, rows) = csv_rows(&dir.path().join("compare.csv"));
    assert!(rows.len() > 50);
    for col in [
        "mean_diff",
        "ci95_low",
        "ci95_high",
        "p5_diff",
        "p50_diff",
        "p95_diff",
    ] {
        let i = h.iter().position(|c| c == col).unwrap();
        for r in &rows {
            assert!(r[i].is_empty() || r[i] == "0", "{col} = {} in {r:?}", r[i]);
        }
    }
    let sig = h.iter().position(|c| c == "significant").unwrap();
    assert!(rows.iter().all(|r| r[sig] == "0"));
}

#[test]
fn comparing_a_ban_with_its_stockpile_variant_shows_the_stockpile_helping() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let out = reesim()
        .args(["compare"])
        .arg(root.join("total-ban-12m.toml"))
        .arg(root.join("total-ban-12m-stockpile.toml"))
        .args(["--runs", "60", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("P(B better)"), "{text}");
    let (h, rows) = csv_rows(&dir.path().join("compare.csv"));
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let global = rows
        .iter()
        .find(|r| r[0] == "unmet_demand_t" && r[1] == "all" && r[2] == "all")
        .unwrap();
    assert!(global[col("mean_diff")].parse::<f64>().unwrap() < 0.0);
    assert_eq!(global[col("significant")], "1");
    assert_eq!(global[col("p_b_better")], "1");
}

#[test]
fn size_stockpile_finds_the_known_size_and_a_monotone_curve() {
    // b needs 100 t/month and gets nothing for 12 months: unmet = 1200 - S. The target
    // mean(unmet_demand_t) <= 300 needs S = 900 t.
    let dir = tempfile::tempdir().unwrap();
    let text = common::importer_exporter(100.0, 12, &common::ban_from_a(0, None))
        + "[[stockpiles]]\nname = \"reserve\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = 0\n";
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    let out = reesim()
        .args([
            "size-stockpile",
            path.to_str().unwrap(),
            "--stockpile",
            "reserve",
            "--target",
            "mean(unmet_demand_t) <= 300",
        ])
        .args([
            "--runs",
            "4",
            "--max-t",
            "2000",
            "--tolerance-t",
            "5",
            "--out",
        ])
        .arg(dir.path().join("o"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let (h, rows) = csv_rows(&dir.path().join("o/stockpile_curve.csv"));
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let chosen = rows
        .iter()
        .find(|r| r[col("chosen")] == "1")
        .expect("a chosen size");
    let size: f64 = chosen[col("size_t")].parse().unwrap();
    assert!((900.0..=905.0).contains(&size), "{size}\n{stdout}");
    // Days: 100 t/month is 3.285 t/day, so 900 t is ~274 days.
    let days: f64 = chosen[col("size_days")].parse().unwrap();
    assert!((days - size / (100.0 / 30.4375)).abs() < 1e-6);
    // Monotone: the mean unmet never rises with size.
    let stat: Vec<f64> = rows
        .iter()
        .map(|r| r[col("statistic")].parse().unwrap())
        .collect();
    assert!(stat.windows(2).all(|w| w[1] <= w[0] + 1e-9), "{stat:?}");
    // A target no size meets within the cap says so.
    let out = reesim()
        .args([
            "size-stockpile",
            path.to_str().unwrap(),
            "--stockpile",
            "reserve",
            "--target",
            "mean(unmet_demand_t) <= 100",
        ])
        .args(["--runs", "2", "--max-t", "500", "--out"])
        .arg(dir.path().join("p"))
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&out.get_output().stdout)
            .contains("no size of reserve up to the cap")
    );
    // Bad input: unknown stockpile, unreadable target.
    reesim()
        .args([
            "size-stockpile",
            path.to_str().unwrap(),
            "--stockpile",
            "nope",
            "--target",
            "mean(unmet_demand_t) <= 1",
        ])
        .assert()
        .code(2);
    reesim()
        .args([
            "size-stockpile",
            path.to_str().unwrap(),
            "--stockpile",
            "reserve",
            "--target",
            "median(x) < 1",
        ])
        .assert()
        .code(2);
}

#[test]
fn sensitivity_ranks_the_driving_input_first() {
    // The stockpile size drives b's unmet demand; a's own demand barely touches it.
    let dir = tempfile::tempdir().unwrap();
    let text = common::importer_exporter(100.0, 12, &common::ban_from_a(0, None)).replace(
        "demand_t = 1200\nhigh_temp_share = 0.5",
        "demand_t = { dist = \"uniform\", min = 1000, max = 1400 }\nhigh_temp_share = 0.5",
    ) + "[[stockpiles]]\nname = \"reserve\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = { dist = \"uniform\", min = 0, max = 1000 }\n";
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    reesim()
        .args([
            "sensitivity",
            path.to_str().unwrap(),
            "--runs",
            "200",
            "--sampling",
            "lhs",
            "--outcomes",
            "unmet_demand_t",
            "--out",
        ])
        .arg(dir.path().join("o"))
        .assert()
        .success();
    let (h, rows) = csv_rows(&dir.path().join("o/sensitivity.csv"));
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    assert_eq!(rows[0][col("input")], "stockpiles.reserve.initial_t");
    assert_eq!(rows[0][col("rank")], "1");
    let prcc: f64 = rows[0][col("prcc")].parse().unwrap();
    assert!(prcc < -0.99, "{prcc}");
}

#[test]
fn a_sweep_point_reproduces_a_separate_run_with_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    reesim()
        .args(["sweep"])
        .arg(root.join("total-ban-12m-stockpile.toml"))
        .args([
            "--set",
            "stockpiles.row_magnet_high_temp.initial_days=0,60",
            "--runs",
            "40",
            "--out",
        ])
        .arg(dir.path().join("sweep"))
        .assert()
        .success();
    // The shipped stockpile scenario holds 60 days: its own run must match the 60-day point.
    reesim()
        .args(["run"])
        .arg(root.join("total-ban-12m-stockpile.toml"))
        .args(["--runs", "40", "--out"])
        .arg(dir.path().join("run"))
        .assert()
        .success();
    let (sh, sweep) = csv_rows(&dir.path().join("sweep/sweep.csv"));
    let (_, run) = csv_rows(&dir.path().join("run/summary.csv"));
    let at60: Vec<Vec<String>> = sweep
        .iter()
        .filter(|r| r[0] == "60")
        .map(|r| r[1..].to_vec())
        .collect();
    assert_eq!(sh[0], "stockpiles.row_magnet_high_temp.initial_days");
    assert_eq!(
        at60, run,
        "the 60-day sweep point differs from the separate run"
    );
    let at0: Vec<Vec<String>> = sweep
        .iter()
        .filter(|r| r[0] == "0")
        .map(|r| r[1..].to_vec())
        .collect();
    assert_ne!(at0, run);
    // Invalid paths and values are argument errors naming the path.
    let out = reesim()
        .args(["sweep"])
        .arg(root.join("total-ban-12m-stockpile.toml"))
        .args([
            "--set",
            "stockpiles.nope.initial_days=1",
            "--runs",
            "2",
            "--out",
        ])
        .arg(dir.path().join("bad"))
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&out.get_output().stderr).contains("stockpiles.nope.initial_days")
    );
}

#[test]
fn review_regressions_for_the_tools() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let ban = root.join("total-ban-12m.toml");
    // Compare under LHS with a stop rule still pairs every run: a scenario against itself is 0.
    reesim()
        .args([
            "compare",
            ban.to_str().unwrap(),
            ban.to_str().unwrap(),
            "--runs",
            "600",
            "--sampling",
            "lhs",
            "--until-mcse",
            "0.5",
            "--out",
        ])
        .arg(dir.path().join("c"))
        .assert()
        .success();
    let (h, rows) = csv_rows(&dir.path().join("c/compare.csv"));
    let i = h.iter().position(|c| c == "mean_diff").unwrap();
    assert!(rows.iter().all(|r| r[i].is_empty() || r[i] == "0"));
    // Two paths in one table, and metric names with commas inside brackets.
    reesim()
        .args([
            "sweep",
            root.join("total-ban-12m-stockpile.toml").to_str().unwrap(),
        ])
        .args([
            "--set",
            "market.price_response=0.01,0.1",
            "--set",
            "market.price_reversion=0.05",
            "--runs",
            "4",
            "--out",
        ])
        .arg(dir.path().join("s"))
        .assert()
        .success();
    reesim()
        .args([
            "sweep",
            root.join("total-ban-12m-stockpile.toml").to_str().unwrap(),
        ])
        .args([
            "--set",
            "market.price_response=0.01",
            "--set",
            "market.price_response=0.1",
            "--runs",
            "4",
            "--out",
        ])
        .arg(dir.path().join("s2"))
        .assert()
        .code(2);
    reesim()
        .args([
            "sensitivity",
            ban.to_str().unwrap(),
            "--runs",
            "40",
            "--outcomes",
            "unmet_share[region=rest_of_world,sector=ev],unmet_demand_t",
            "--out",
        ])
        .arg(dir.path().join("t"))
        .assert()
        .success();
    // A depletion month is undefined when the stockpile never runs out, which counts as "later
    // than any month": P(depleted in month 11 or later) >= 0.9 needs S > 1,100 t here.
    let text = common::importer_exporter(100.0, 12, &common::ban_from_a(0, None))
        + "[[stockpiles]]\nname = \"reserve\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = 0\n";
    let path = dir.path().join("d.toml");
    std::fs::write(&path, text).unwrap();
    reesim()
        .args([
            "size-stockpile",
            path.to_str().unwrap(),
            "--stockpile",
            "reserve",
        ])
        .args([
            "--target",
            "P(stockpile_depleted_month[region=b,stockpile=reserve] >= 11) >= 0.9",
        ])
        .args([
            "--runs",
            "2",
            "--max-t",
            "5000",
            "--tolerance-t",
            "5",
            "--out",
        ])
        .arg(dir.path().join("d"))
        .assert()
        .success();
    let (h, rows) = csv_rows(&dir.path().join("d/stockpile_curve.csv"));
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let chosen: f64 = rows
        .iter()
        .find(|r| r[col("chosen_point_estimate")] == "1")
        .unwrap()[col("size_t")]
    .parse()
    .unwrap();
    assert!(chosen > 1100.0 && chosen <= 1106.0, "{chosen}");
    // Two runs cannot show a share of 0.9 with 95% confidence (the Wilson lower bound of 2/2
    // is 0.34): no size is the answer on the interval.
    assert!(rows.iter().all(|r| r[col("chosen")] == "0"), "{rows:?}");
    reesim()
        .args([
            "size-stockpile",
            path.to_str().unwrap(),
            "--stockpile",
            "reserve",
            "--target",
            "mean(unmet_demand_t) <= 1",
        ])
        .args(["--tolerance-t", "-1"])
        .assert()
        .code(2);
}

/// `importer_exporter` with `b`'s defense demand uncertain: unmet demand under the ban varies.
fn uncertain_defense(extra: &str) -> String {
    common::importer_exporter(100.0, 12, &common::ban_from_a(0, None)).replace(
        "demand_t = 1200\nhigh_temp_share = 0.0",
        "demand_t = { dist = \"uniform\", min = 600, max = 1800 }\nhigh_temp_share = 0.0",
    ) + extra
}

#[test]
fn size_stockpile_decides_on_the_interval_and_reports_the_point_estimate_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        uncertain_defense(
            "[[stockpiles]]\nname = \"reserve\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = 0\n",
        ),
    )
    .unwrap();
    let out = reesim()
        .args(["size-stockpile", path.to_str().unwrap()])
        .args([
            "--stockpile",
            "reserve",
            "--target",
            "mean(unmet_demand_t) <= 300",
        ])
        .args([
            "--runs",
            "40",
            "--max-t",
            "2000",
            "--tolerance-t",
            "5",
            "--out",
        ])
        .arg(dir.path().join("o"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("with 95% confidence"), "{stdout}");
    assert!(stdout.contains("on the point estimate alone"), "{stdout}");
    let (h, rows) = csv_rows(&dir.path().join("o/stockpile_curve.csv"));
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let pick = |c: &str| {
        rows.iter()
            .find(|r| r[col(c)] == "1")
            .unwrap_or_else(|| panic!("no {c} row: {rows:?}"))
            .clone()
    };
    let (chosen, point) = (pick("chosen"), pick("chosen_point_estimate"));
    let f = |r: &Vec<String>, c: &str| r[col(c)].parse::<f64>().unwrap();
    // The answer's whole interval meets the target; at the point-estimate size only the
    // estimate does, and the answer is the larger, safer size.
    assert!(f(&chosen, "ci95_high") <= 300.0, "{chosen:?}");
    assert!(f(&point, "statistic") <= 300.0, "{point:?}");
    assert!(f(&point, "ci95_high") > 300.0, "{point:?}");
    assert!(
        f(&chosen, "size_t") > f(&point, "size_t") + 20.0,
        "{chosen:?} {point:?}"
    );
    assert_eq!(chosen[col("meets_target_ci95")], "1");
    assert_eq!(point[col("meets_target_ci95")], "0");
    // Every size below the answer fails on the interval (bisection to the tolerance).
    for r in &rows {
        if f(r, "size_t") < f(&chosen, "size_t") {
            assert_eq!(r[col("meets_target_ci95")], "0", "{r:?}");
        }
    }
}

#[test]
fn size_stockpile_explains_a_zero_answer() {
    let dir = tempfile::tempdir().unwrap();
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/total-ban-12m-stockpile.toml");
    let out = reesim()
        .args(["size-stockpile", s.to_str().unwrap()])
        .args(["--stockpile", "row_magnet_high_temp", "--target"])
        .arg("P(unmet_share[region=rest_of_world,sector=defense] <= 0.01) >= 0.9")
        .args(["--runs", "100", "--out"])
        .arg(dir.path().join("o"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("the target is already met without this stockpile"),
        "{stdout}"
    );
    assert!(
        stdout.contains("priority allocation already protects `defense`"),
        "{stdout}"
    );
    let (h, rows) = csv_rows(&dir.path().join("o/stockpile_curve.csv"));
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let chosen = rows.iter().find(|r| r[col("chosen")] == "1").unwrap();
    assert_eq!(chosen[col("size_t")], "0");
    // Where the sector is not served first, the 0 t answer says only that the target is met.
    let out = reesim()
        .args(["size-stockpile", s.to_str().unwrap()])
        .args(["--stockpile", "row_magnet_high_temp", "--target"])
        .arg("P(unmet_share[region=rest_of_world,sector=ev] <= 1) >= 0.9")
        .args(["--runs", "100", "--out"])
        .arg(dir.path().join("p"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("already met without this stockpile"),
        "{stdout}"
    );
    assert!(!stdout.contains("priority allocation"), "{stdout}");
}

#[test]
fn sensitivity_refuses_too_few_runs_and_marks_undefined_correlations() {
    let dir = tempfile::tempdir().unwrap();
    let ban = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/total-ban-12m.toml");
    let out = reesim()
        .args(["sensitivity", ban.to_str().unwrap(), "--runs", "5", "--out"])
        .arg(dir.path().join("few"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("needs at least"), "{err}");
    assert!(err.contains("--runs 5"), "{err}");
    assert!(err.contains("partial rank correlation"), "{err}");
    assert!(!dir.path().join("few").exists());
    // No ban: `b` always gets what it needs, so its unmet demand is 0 in every run and no
    // input can move it; the sampled demand of `a` does move a's price-driven metrics.
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        common::importer_exporter(100.0, 12, "").replace(
            "demand_t = 1200\nhigh_temp_share = 0.5",
            "demand_t = { dist = \"uniform\", min = 1000, max = 1400 }\nhigh_temp_share = 0.5",
        ),
    )
    .unwrap();
    let out = reesim()
        .args(["sensitivity", path.to_str().unwrap(), "--runs", "30"])
        .args(["--outcomes", "unmet_demand_t", "--out"])
        .arg(dir.path().join("o"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("undefined"), "{stdout}");
    let text = std::fs::read_to_string(dir.path().join("o/sensitivity.csv")).unwrap();
    assert!(!text.to_lowercase().contains("nan"), "{text}");
    let (h, rows) = csv_rows(&dir.path().join("o/sensitivity.csv"));
    assert_eq!(h.last().unwrap(), "note");
    assert!(!rows.is_empty());
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    for r in &rows {
        assert_eq!(r[col("rank")], "", "{r:?}");
        assert_eq!(r[col("spearman")], "", "{r:?}");
        assert_eq!(r[col("prcc")], "", "{r:?}");
        assert!(r[col("note")].contains("same in every run"), "{r:?}");
    }
}

#[test]
fn compare_refuses_scenarios_whose_scopes_differ_unless_asked_and_then_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    let c = dir.path().join("c.toml");
    let w = dir.path().join("w.toml");
    let base = common::importer_exporter(100.0, 12, "");
    std::fs::write(&a, &base).unwrap();
    // The importer under another name: `b` only in A, `c` only in B.
    std::fs::write(&c, base.replace("regions.b.", "regions.c.")).unwrap();
    // One more sector in `b`.
    std::fs::write(
        &w,
        base.clone()
            + "[regions.b.sectors.wind]\ndemand_t = 600\nhigh_temp_share = 0.0\npriority = 2\n",
    )
    .unwrap();
    let out = reesim()
        .arg("compare")
        .args([&a, &c])
        .args(["--runs", "4", "--out"])
        .arg(dir.path().join("ac"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("region `b` (only in A)"), "{err}");
    assert!(err.contains("region `c` (only in B)"), "{err}");
    assert!(err.contains("--only-common"), "{err}");
    assert!(!dir.path().join("ac").exists());
    let out = reesim()
        .arg("compare")
        .args([&a, &w])
        .args(["--runs", "4"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("sector `wind` (only in B)"), "{err}");
    // Asked for, the common scopes are compared and the others listed.
    let out = reesim()
        .arg("compare")
        .args([&a, &c])
        .args(["--runs", "4", "--only-common", "--out"])
        .arg(dir.path().join("ac"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains(
            "not compared (--only-common): region `b` (only in A), region `c` (only in B)"
        ),
        "{stdout}"
    );
    let (h, rows) = csv_rows(&dir.path().join("ac/compare.csv"));
    let region = h.iter().position(|x| x == "region").unwrap();
    assert!(rows.iter().any(|r| r[region] == "a"));
    assert!(rows.iter().all(|r| r[region] != "b" && r[region] != "c"));
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("ac/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        m["dropped_scopes"],
        serde_json::json!(["region `b` (only in A)", "region `c` (only in B)"])
    );
}
