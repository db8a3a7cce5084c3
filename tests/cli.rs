//! End-to-end tests of the `reesim` binary, run as a user would.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn reesim() -> Command {
    Command::cargo_bin("reesim").expect("binary built")
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn header(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect()
}

#[test]
fn run_writes_every_output_with_the_documented_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = reesim()
        .args([
            "run",
            repo("scenarios/total-ban-12m-stockpile.toml")
                .to_str()
                .unwrap(),
            "--runs",
            "40",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("unmet_demand_t"), "{stdout}");

    let s = header(&out.join("summary.csv"));
    for c in [
        "metric", "region", "sector", "mean", "sd", "mcse", "p5", "p25", "p50", "p75", "p95",
        "min", "max",
    ] {
        assert!(s.contains(&c.to_string()), "summary.csv lacks {c}");
    }
    let t = header(&out.join("timeseries.csv"));
    for c in [
        "month", "date", "series", "region", "item", "mean", "p5", "p25", "p50", "p75", "p95",
    ] {
        assert!(t.contains(&c.to_string()), "timeseries.csv lacks {c}");
    }
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    for series in [
        "production",
        "exports",
        "imports",
        "demand",
        "delivered",
        "unmet",
        "inventory",
        "stockpile",
    ] {
        assert!(
            ts.contains(&format!(",{series},")),
            "timeseries.csv lacks series {series}"
        );
    }
    assert!(
        ts.contains("\n6,2025-07,"),
        "dates follow the scenario start"
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    for m in [
        "unmet_demand_t",
        "unmet_share",
        "shortfall_months",
        "max_monthly_shortfall_share",
        "time_to_recover_months",
        "lost_output_usd",
        "price_forgone_t",
        "stockpile_min_t",
        "stockpile_depleted",
    ] {
        assert!(
            summary.contains(&format!("\n{m},")),
            "summary.csv lacks {m}"
        );
    }
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 41, "header + one row per run");
    assert!(runs.lines().next().unwrap().starts_with("run,"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["runs"], 40);
    assert_eq!(
        manifest["scenario"]["scenario"]["name"],
        "total-ban-12m-stockpile"
    );
    assert!(manifest["started"].as_str().unwrap().ends_with('Z'));
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn outputs_are_byte_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/total-ban-12m-stockpile.toml");
    for threads in ["1", "4"] {
        reesim()
            .args([
                "run",
                scenario.to_str().unwrap(),
                "--runs",
                "100",
                "--seed",
                "11",
                "--threads",
                threads,
                "--out",
            ])
            .arg(dir.path().join(threads))
            .assert()
            .success();
    }
    for f in ["summary.csv", "timeseries.csv", "runs.csv"] {
        let a = std::fs::read(dir.path().join("1").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("4").join(f)).unwrap();
        assert!(a == b, "{f} differs between --threads 1 and --threads 4");
    }
}

#[test]
fn a_different_seed_gives_different_draws() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/baseline.toml");
    for seed in ["1", "2"] {
        reesim()
            .args([
                "run",
                scenario.to_str().unwrap(),
                "--runs",
                "8",
                "--seed",
                seed,
                "--out",
            ])
            .arg(dir.path().join(seed))
            .assert()
            .success();
    }
    let a = std::fs::read(dir.path().join("1/runs.csv")).unwrap();
    let b = std::fs::read(dir.path().join("2/runs.csv")).unwrap();
    assert_ne!(a, b);
}

#[test]
fn three_region_scenario_runs_without_code_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("three.toml");
    std::fs::write(&path, common::three_regions_ample()).unwrap();
    reesim()
        .args(["validate", path.to_str().unwrap()])
        .assert()
        .success();
    reesim()
        .args(["run", path.to_str().unwrap(), "--runs", "3", "--out"])
        .arg(dir.path().join("o"))
        .assert()
        .success();
    let ts = std::fs::read_to_string(dir.path().join("o/timeseries.csv")).unwrap();
    assert!(ts.contains(",imports,japan,light_oxide,"));
    let summary = std::fs::read_to_string(dir.path().join("o/summary.csv")).unwrap();
    assert!(summary.contains("unmet_demand_t,japan,all,"));
}

#[test]
fn default_output_directory_is_named_after_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my-case.toml");
    std::fs::write(&path, common::three_regions_ample()).unwrap();
    reesim()
        .current_dir(dir.path())
        .args(["run", "my-case.toml", "--runs", "2"])
        .assert()
        .success();
    assert!(dir.path().join("reesim-out/my-case/summary.csv").exists());
}

#[test]
fn shipped_scenarios_validate() {
    for s in [
        "baseline.toml",
        "total-ban-12m.toml",
        "total-ban-12m-stockpile.toml",
    ] {
        reesim()
            .args(["validate", repo("scenarios").join(s).to_str().unwrap()])
            .assert()
            .success();
    }
}

fn invalid(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let out = reesim()
        .args(["validate", path.to_str().unwrap()])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn invalid_values_get_located_diagnostics_and_exit_2() {
    let base = common::three_regions_ample();
    // Negative capacity: file, line, column, key, found, allowed.
    let e = invalid(&base.replace("capacity_t = 20000", "capacity_t = -20000"));
    assert!(e.contains("bad.toml:"), "{e}");
    assert!(
        e.contains("regions.japan.magnet_plants.shin_etsu.capacity_t"),
        "{e}"
    );
    assert!(e.contains("found -20000"), "{e}");
    assert!(e.contains("tonnes between 0 and 1e9"), "{e}");
    let line = base
        .lines()
        .position(|l| l == "capacity_t = 20000")
        .unwrap()
        + 1;
    assert!(e.contains(&format!("bad.toml:{line}:14")), "{e}");

    // Distribution with min > max.
    let e = invalid(&base.replace(
        "growth = 0.06",
        "growth = { dist = \"uniform\", min = 0.1, max = 0.0 }",
    ));
    assert!(e.contains("min = 0.1 > max = 0"), "{e}");
    // Share above 1.
    let e = invalid(&base.replace("high_temp_share = 0.6", "high_temp_share = 1.2"));
    assert!(e.contains("between 0 and 1"), "{e}");
    // Undefined region and sector.
    let e = invalid(&format!(
        "{base}\n[[stockpiles]]\nname = \"s\"\nregion = \"japan\"\ncommodity = \"magnet_high_temp\"\ninitial_t = 5\npriority_sectors = [\"wind\"]\n[[controls]]\nname = \"c\"\norigin = \"atlantis\"\ncommodities = [\"all\"]\ntype = \"ban\"\n"
    ));
    assert!(e.contains("unknown region \"atlantis\""), "{e}");
    assert!(e.contains("unknown sector \"wind\""), "{e}");
    // Unknown key.
    let e = invalid(&base.replace("growth = 0.06", "growht = 0.06"));
    assert!(e.contains("growht"), "{e}");
    // Malformed TOML.
    let e = invalid("[scenario\nname = ");
    assert!(e.contains("bad.toml:1:"), "{e}");
    // Wrong type.
    let e = invalid(&base.replace("horizon_months = 36", "horizon_months = \"long\""));
    assert!(e.contains("horizon_months") || e.contains("integer"), "{e}");
}

#[test]
fn bad_arguments_and_missing_files_exit_2() {
    reesim().args(["run", "no/such/file.toml"]).assert().code(2);
    reesim()
        .args(["validate", "no/such/file.toml"])
        .assert()
        .code(2);
    let s = repo("scenarios/baseline.toml");
    reesim()
        .args(["run", s.to_str().unwrap(), "--runs", "0"])
        .assert()
        .code(2);
    reesim()
        .args(["run", s.to_str().unwrap(), "--runs", "many"])
        .assert()
        .code(2);
    reesim()
        .args(["run", s.to_str().unwrap(), "--threads", "0"])
        .assert()
        .code(2);
    reesim().args(["frobnicate"]).assert().code(2);
}

#[test]
fn unwritable_output_is_a_failure_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let s = repo("scenarios/baseline.toml");
    reesim()
        .args(["run", s.to_str().unwrap(), "--runs", "2", "--out"])
        .arg(blocker.join("sub"))
        .assert()
        .code(1);
}

#[test]
fn show_prints_a_resolved_scenario_that_runs_to_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let original = repo("scenarios/total-ban-12m-stockpile.toml");
    let shown = reesim()
        .args(["show", original.to_str().unwrap()])
        .assert()
        .success();
    let text = String::from_utf8(shown.get_output().stdout.clone()).unwrap();
    assert!(
        !text.lines().any(|l| l.starts_with("extends")),
        "extends is resolved away"
    );
    let resolved = dir.path().join("resolved.toml");
    std::fs::write(&resolved, &text).unwrap();
    reesim()
        .args(["validate", resolved.to_str().unwrap()])
        .assert()
        .success();
    // Showing the resolved file again gives the same text: nothing is lost or added.
    let again = reesim()
        .args(["show", resolved.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8(again.get_output().stdout.clone()).unwrap(),
        text
    );
    for (name, path) in [("a", &original), ("b", &resolved)] {
        reesim()
            .args(["run", path.to_str().unwrap(), "--runs", "50", "--out"])
            .arg(dir.path().join(name))
            .assert()
            .success();
    }
    for f in ["summary.csv", "timeseries.csv", "runs.csv"] {
        assert!(
            std::fs::read(dir.path().join("a").join(f)).unwrap()
                == std::fs::read(dir.path().join("b").join(f)).unwrap(),
            "{f} differs between the scenario and its resolved form"
        );
    }
}

#[test]
fn production_quotas_reject_destinations_magnets_and_mixed_tonnage() {
    let base = common::three_regions_ample();
    let control = |body: &str| {
        format!(
            "{base}\n[[controls]]\nname = \"pq\"\norigin = \"china\"\ntype = \"production_quota\"\n{body}\n"
        )
    };
    let e = invalid(&control(
        "commodities = [\"concentrate\"]\nquota_share = 0.8\ndestinations = [\"japan\"]",
    ));
    assert!(e.contains("controls.pq.destinations"), "{e}");
    assert!(e.contains("destinations on a production quota"), "{e}");
    let e = invalid(&control("commodities = [\"magnets\"]\nquota_share = 0.8"));
    assert!(e.contains("\"magnets\" in a production quota"), "{e}");
    assert!(e.contains("concentrate (mining)"), "{e}");
    let e = invalid(&control(
        "commodities = [\"oxides\"]\nquota_t_per_month = 1000",
    ));
    assert!(e.contains("covering 2 commodities"), "{e}");
    let e = invalid(&control("commodities = [\"oxides\"]\nsectors = [\"ev\"]"));
    assert!(
        e.contains("type = \"production_quota\" with sectors"),
        "{e}"
    );
}

#[test]
fn licensing_approvals_general_licences_and_leakage_are_validated() {
    let base = common::three_regions_ample();
    let control = |kind: &str, body: &str| {
        format!(
            "{base}\n[[controls]]\nname = \"lic\"\norigin = \"china\"\ndestinations = [\"japan\"]\ncommodities = [\"magnets\"]\ntype = \"{kind}\"\n{body}\n"
        )
    };
    let lic = |body: &str| {
        control(
            "licensing",
            &format!("schedule = [{{ month = 0, share = 0.5 }}]\n{body}"),
        )
    };
    let step = "schedule = [{ month = 0, share = 0.2 }]";
    // Unknown destination, located: file, line, column, key, found, allowed.
    let text = lic(&format!(
        "approvals = [{{ destinations = [\"atlantis\"], {step} }}]"
    ));
    let e = invalid(&text);
    let line = text
        .lines()
        .position(|l| l.starts_with("approvals"))
        .unwrap()
        + 1;
    assert!(e.contains(&format!("bad.toml:{line}:32")), "{e}");
    assert!(e.contains("controls.lic.approvals.0.destinations"), "{e}");
    assert!(e.contains("unknown destination \"atlantis\""), "{e}");
    assert!(
        e.contains("one of the control's destinations: japan"),
        "{e}"
    );
    // A defined region that is not one of the control's destinations.
    let e = invalid(&lic(&format!(
        "approvals = [{{ destinations = [\"rest\"], {step} }}]"
    )));
    assert!(
        e.contains("\"rest\" is not a destination of `controls.lic`"),
        "{e}"
    );
    // Unknown sector, in a general licence.
    let e = invalid(&lic(
        "general_licence = [{ month = 11, sectors = [\"aerospace\"] }]",
    ));
    assert!(e.contains("controls.lic.general_licence.0.sectors"), "{e}");
    assert!(e.contains("unknown sector \"aerospace\""), "{e}");
    // Shares outside [0, 1].
    let e = invalid(&lic(
        "approvals = [{ sectors = [\"ev\"], schedule = [{ month = 0, share = 1.5 }] }]",
    ));
    assert!(
        e.contains("controls.lic.approvals.0.schedule.0.share"),
        "{e}"
    );
    assert!(
        e.contains("found 1.5") && e.contains("between 0 and 1"),
        "{e}"
    );
    let e = invalid(&lic("leakage = -0.1"));
    assert!(
        e.contains("controls.lic.leakage") && e.contains("found -0.1"),
        "{e}"
    );
    // An entry naming nobody; sectors on a control without magnets.
    let e = invalid(&lic(&format!("approvals = [{{ {step} }}]")));
    assert!(e.contains("neither destinations nor sectors"), "{e}");
    let e = invalid(
        &lic(&format!("approvals = [{{ sectors = [\"ev\"], {step} }}]")).replace(
            "commodities = [\"magnets\"]",
            "commodities = [\"heavy_oxide\"]",
        ),
    );
    assert!(e.contains("on a licensing control without magnets"), "{e}");
    // Keys on types that do not take them.
    let e = invalid(&control(
        "ban",
        "general_licence = [{ month = 3, destinations = [\"japan\"] }]",
    ));
    assert!(e.contains("type = \"ban\" with general_licence"), "{e}");
    assert!(e.contains("for type = \"ban\": leakage"), "{e}");
    let e = invalid(&control(
        "quota",
        &format!("quota_share = 0.5\napprovals = [{{ destinations = [\"japan\"], {step} }}]"),
    ));
    assert!(e.contains("type = \"quota\" with approvals"), "{e}");
    for (kind, body) in [
        ("end_use_denial", "sectors = [\"ev\"]"),
        ("technology", ""),
        ("production_quota", "quota_share = 0.5"),
    ] {
        let text = control(kind, &format!("{body}\nleakage = 0.1"));
        let text = if kind == "production_quota" {
            text.replace("destinations = [\"japan\"]\n", "")
                .replace("[\"magnets\"]", "[\"concentrate\"]")
        } else {
            text
        };
        let e = invalid(&text);
        assert!(
            e.contains(&format!("type = \"{kind}\" with leakage")),
            "{e}"
        );
    }
    // And a valid control with all three passes.
    let ok = lic(
        "approvals = [{ destinations = [\"japan\"], sectors = [\"ev\"], schedule = [{ month = 0, share = 0.3 }] }]\n\
         general_licence = [{ month = 11, destinations = [\"japan\"] }]\n\
         leakage = { dist = \"triangular\", min = 0, mode = 0.05, max = 0.15 }",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.toml");
    std::fs::write(&path, ok).unwrap();
    reesim()
        .args(["validate", path.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn more_regions_than_origin_tags_hold_are_refused() {
    let mut text = common_minimal();
    for i in 0..17 {
        text += &format!(
            "[regions.r{i}.sectors.ev]\ndemand_t = 10\nhigh_temp_share = 0.5\npriority = 1\n"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("many.toml");
    std::fs::write(&f, text).unwrap();
    let out = reesim()
        .args(["validate", f.to_str().unwrap()])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("at most 16 regions"), "{err}");
}

fn common_minimal() -> String {
    "[scenario]\nname = \"many\"\nstart = \"2030-01\"\nhorizon_months = 2\n\
     [grades.standard]\nndpr_oxide_t = 0.2\ndytb_oxide_t = 0.0\n\
     [grades.high_temp]\nndpr_oxide_t = 0.19\ndytb_oxide_t = 0.02\n"
        .to_string()
}

#[test]
fn a_scenario_path_that_is_not_a_regular_file_is_refused_at_once() {
    // A device would be read without end; a directory is no file.
    for path in ["/dev/zero", "/tmp"] {
        let out = reesim()
            .args(["validate", path])
            .timeout(std::time::Duration::from_secs(10))
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains("not a regular file"), "{path}: {err}");
    }
    // The same for a file named by `extends`.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("child.toml");
    std::fs::write(&f, "extends = \"/dev/zero\"\n").unwrap();
    let out = reesim()
        .args(["validate", f.to_str().unwrap()])
        .timeout(std::time::Duration::from_secs(10))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn a_horizon_past_year_9999_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("late.toml");
    std::fs::write(
        &f,
        format!(
            "extends = \"{}\"\n[scenario]\nstart = \"9999-12\"\n",
            repo("scenarios/baseline.toml").display()
        ),
    )
    .unwrap();
    let out = reesim()
        .args(["validate", f.to_str().unwrap()])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("ends in 10004-11") && err.contains("late.toml:3:"),
        "{err}"
    );
}

#[test]
fn too_many_threads_are_refused_with_a_clear_error() {
    let out = reesim()
        .args([
            "run",
            repo("scenarios/baseline.toml").to_str().unwrap(),
            "--threads",
            "100000",
            "--runs",
            "1",
        ])
        // Accepted, the run once spent minutes starting threads.
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("--threads is at most 256, found 100000"),
        "{err}"
    );
}

#[test]
fn tonnages_beyond_any_physical_scale_are_refused_instead_of_crashing_the_run() {
    // A capacity of 1e308 t once passed validation and then panicked in the time-series
    // sketches; tonnes are bounded to 1e9 now.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("huge.toml");
    std::fs::write(
        &f,
        format!(
            "extends = \"{}\"\n[[regions.china.mines]]\nname = \"hard_rock\"\ncapacity_t = 1e308\n",
            repo("scenarios/baseline.toml").display()
        ),
    )
    .unwrap();
    let out = reesim()
        .args([
            "run",
            f.to_str().unwrap(),
            "--runs",
            "2",
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("capacity_t") && err.contains("1e9"), "{err}");
}

#[test]
fn numeric_arguments_out_of_range_are_echoed_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = repo("scenarios/total-ban-12m-stockpile.toml");
    let s = s.to_str().unwrap();
    let cases: [&[&str]; 5] = [
        &[
            "size-stockpile",
            s,
            "--stockpile",
            "row_magnet_standard",
            "--target",
            "mean(unmet_demand_t) <= 5",
            "--max-t",
            "1e308",
        ],
        &["sweep", s, "--set", "market.price_response=1e308"],
        &["sweep", s, "--set", "market.price_response=0..1e308:1e307"],
        &["run", s, "--runs", "1e308"],
        &["run", s, "--until-mcse", "-0.5"],
    ];
    for args in cases {
        let out = reesim()
            .args(args)
            .arg("--out")
            .arg(dir.path().join("o"))
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        let written = args.last().unwrap();
        let value = written.rsplit('=').next().unwrap();
        let value = value
            .split("..")
            .nth(1)
            .map_or(value, |r| r.split(':').next().unwrap());
        assert!(err.contains(&format!("`{value}`")), "{args:?}: {err}");
        assert!(
            err.lines().count() <= 2 && err.len() < 300,
            "{args:?}: {err}"
        );
        for rust in ["f64", "u64", "0000000000"] {
            assert!(!err.contains(rust), "{args:?}: {err}");
        }
        assert!(
            !dir.path().join("o").exists(),
            "nothing written for {args:?}"
        );
    }
}

#[test]
fn merge_takes_report_and_every_tool_prints_a_table_with_units() {
    let dir = tempfile::tempdir().unwrap();
    let s = repo("scenarios/baseline.toml");
    for k in 0..2 {
        reesim()
            .args(["run", s.to_str().unwrap(), "--runs", "6", "--quiet"])
            .args(["--shard", &format!("{k}/2"), "--out"])
            .arg(dir.path().join(format!("s{k}")))
            .assert()
            .success();
    }
    let out = reesim()
        .args(["merge", "--quiet", "--report", "--out"])
        .arg(dir.path().join("m"))
        .arg(dir.path().join("s0"))
        .arg(dir.path().join("s1"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(dir.path().join("m/report.html").is_file(), "{stdout}");
    assert!(stdout.contains("report.html"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("metric") && l.contains(" unit ")),
        "{stdout}"
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("m/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["schema_version"], 1);
    assert_eq!(m["command"], "merge");
    assert_eq!(m["merged_from"].as_array().unwrap().len(), 2);
}
