//! Splitting a batch into shards (`run --shard K/N`) and merging them (`reesim merge`) gives the
//! outputs of one run of the whole batch, byte for byte; so do the shards of a sweep and of a
//! size-stockpile grid (`--sizes`); bad shard sets are refused.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use reesim::sim::runner::{self, Sampling, Settings, Shard};

fn reesim() -> Command {
    Command::cargo_bin("reesim").expect("binary built")
}

fn scenario(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str], out: &Path) {
    reesim().args(args).arg("--out").arg(out).assert().success();
}

fn shard_dirs(root: &Path, scen: &str, runs: &str, n: usize, extra: &[&str]) -> Vec<PathBuf> {
    (0..n)
        .map(|k| {
            let dir = root.join(format!("shard{k}"));
            let shard = format!("{k}/{n}");
            let mut args = vec!["run", scen, "--runs", runs, "--shard", &shard];
            args.extend_from_slice(extra);
            run(&args, &dir);
            dir
        })
        .collect()
}

#[test]
fn three_shards_merged_equal_one_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = scenario("total-ban-12m-stockpile.toml");
    let extra = ["--seed", "7", "--sampling", "lhs", "--threads", "2"];
    let shards = shard_dirs(tmp.path(), &scen, "100", 3, &extra);
    let single = tmp.path().join("single");
    run(
        &[
            "run",
            &scen,
            "--runs",
            "100",
            "--seed",
            "7",
            "--sampling",
            "lhs",
            "--threads",
            "1",
        ],
        &single,
    );
    let merged = tmp.path().join("merged");
    // Shards in any order.
    reesim()
        .arg("merge")
        .args([&shards[2], &shards[0], &shards[1]])
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    for f in [
        "runs.csv",
        "summary.csv",
        "timeseries.csv",
        "uncertainty.csv",
    ] {
        let (a, b) = (
            std::fs::read(single.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between the merged shards and one run");
    }
    let manifest = std::fs::read_to_string(merged.join("manifest.json")).unwrap();
    assert!(manifest.contains("merged_from") && manifest.contains("shard2"));
}

#[test]
fn a_shard_that_splits_a_sampling_block_uses_the_whole_blocks_design() {
    // Blocks of 50 runs with shards cut at 40 and 80: each shard must draw the design of the
    // blocks it touches, as one run of all 120 does.
    let loaded = reesim::scenario::load(Path::new(&scenario("baseline-regions.toml"))).unwrap();
    let sc = &loaded.scenario;
    assert!(!sc.correlations.is_empty(), "a scenario with a design");
    let settings = |shard| Settings {
        sampling: Sampling::Lhs,
        block: Some(50),
        shard,
        ..Settings::mc(120, 3, 2)
    };
    let whole = runner::run(sc, settings(None), None, &mut |_, _| Ok(()), &mut |_| {}).unwrap();
    let mut sketches = None;
    let mut rows = Vec::new();
    for index in 0..3 {
        let part = runner::run(
            sc,
            settings(Some(Shard { index, count: 3 })),
            None,
            &mut |r, _| {
                rows.extend(r.iter().map(|r| (r.run, r.metrics.clone())));
                Ok(())
            },
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(part.runs, 40);
        match &mut sketches {
            None => sketches = Some(part.sketches),
            Some(s) => s.merge(&part.sketches),
        }
    }
    assert_eq!(sketches.unwrap(), whole.sketches);
    let runs: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(runs, (0..120).collect::<Vec<_>>());
    for (m, _) in whole.outcomes.keys.iter().enumerate() {
        let col = whole.metric(m).unwrap();
        for (i, (_, metrics)) in rows.iter().enumerate() {
            assert_eq!(col[i].to_bits(), metrics[m].to_bits());
        }
    }
}

#[test]
fn incomplete_or_mixed_shard_sets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = scenario("baseline.toml");
    let shards = shard_dirs(tmp.path(), &scen, "40", 2, &[]);
    let out = tmp.path().join("merged");
    let err = reesim()
        .args(["merge", shards[0].to_str().unwrap(), "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&err.get_output().stderr).to_string();
    assert!(stderr.contains("missing shards: 1/2"), "{stderr}");

    let other = tmp.path().join("other");
    run(
        &[
            "run", &scen, "--runs", "40", "--shard", "1/2", "--seed", "9",
        ],
        &other,
    );
    let err = reesim()
        .args([
            "merge",
            shards[0].to_str().unwrap(),
            other.to_str().unwrap(),
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&err.get_output().stderr).to_string();
    assert!(stderr.contains("seed differs"), "{stderr}");
    assert!(!out.join("summary.csv").exists());

    for bad in ["2/2", "1", "a/b", "0/0"] {
        reesim()
            .args(["run", &scen, "--runs", "40", "--shard", bad, "--out"])
            .arg(tmp.path().join("x"))
            .assert()
            .code(2);
    }
    reesim()
        .args([
            "run",
            &scen,
            "--shard",
            "0/2",
            "--until-mcse",
            "0.1",
            "--out",
        ])
        .arg(tmp.path().join("y"))
        .assert()
        .code(2);
}

/// Runs `reesim ARGS --out OUT` and returns its stderr, expecting exit `code`.
fn refused(args: &[&str], out: &Path) -> String {
    let a = reesim().args(args).arg("--out").arg(out).assert().code(2);
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

/// The manifest without what differs between any two invocations (times, threads, files) and
/// the list of merged shards.
fn manifest_core(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
    for k in ["started", "finished", "threads", "files", "merged_from"] {
        m.as_object_mut().unwrap().remove(k);
    }
    m
}

fn merge(dirs: &[&PathBuf], out: &Path) {
    reesim()
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

const SWEEP_SET: &str = "stockpiles.row_magnet_high_temp.initial_days=0..120:30";

fn sweep_args<'a>(scen: &'a str, seed: &'a str) -> Vec<&'a str> {
    vec![
        "sweep", scen, "--set", SWEEP_SET, "--runs", "12", "--seed", seed, "--quiet",
    ]
}

#[test]
fn sweep_shards_merged_equal_one_sweep_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = scenario("total-ban-12m-stockpile.toml");
    let single = tmp.path().join("single");
    run(&sweep_args(&scen, "7"), &single);
    for n in [2usize, 3] {
        let dirs: Vec<PathBuf> = (0..n)
            .map(|k| {
                let dir = tmp.path().join(format!("{n}-shard{k}"));
                let shard = format!("{k}/{n}");
                let mut args = sweep_args(&scen, "7");
                args.extend(["--shard", &shard, "--threads", "1"]);
                run(&args, &dir);
                dir
            })
            .collect();
        let merged = tmp.path().join(format!("merged{n}"));
        // Shards in any order.
        let mut order: Vec<&PathBuf> = dirs.iter().collect();
        order.reverse();
        merge(&order, &merged);
        let (a, b) = (
            std::fs::read(single.join("sweep.csv")).unwrap(),
            std::fs::read(merged.join("sweep.csv")).unwrap(),
        );
        assert!(
            a == b,
            "sweep.csv of {n} merged shards differs from one sweep"
        );
        assert_eq!(manifest_core(&single), manifest_core(&merged), "{n} shards");
        let m = std::fs::read_to_string(merged.join("manifest.json")).unwrap();
        assert!(m.contains("\"command\": \"sweep\"") && m.contains("merged_from"));
    }
}

/// b needs 100 t/month and gets nothing for 12 months: unmet = 1200 - S, so the target
/// mean(unmet_demand_t) <= 300 needs 900 t.
fn reserve_scenario(dir: &Path) -> String {
    let text = common::importer_exporter(100.0, 12, &common::ban_from_a(0, None))
        + "[[stockpiles]]\nname = \"reserve\"\nregion = \"b\"\ncommodity = \"magnet_standard\"\ninitial_t = 0\n";
    let path = dir.join("reserve.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn size_args(scen: &str) -> Vec<&str> {
    vec![
        "size-stockpile",
        scen,
        "--stockpile",
        "reserve",
        "--target",
        "mean(unmet_demand_t) <= 300",
        "--sizes",
        "0..1200:300",
        "--runs",
        "4",
        "--quiet",
    ]
}

#[test]
fn size_stockpile_shards_merged_equal_one_grid_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = reserve_scenario(tmp.path());
    let single = tmp.path().join("single");
    run(&size_args(&scen), &single);
    let dirs: Vec<PathBuf> = (0..2)
        .map(|k| {
            let dir = tmp.path().join(format!("shard{k}"));
            let shard = format!("{k}/2");
            let mut args = size_args(&scen);
            args.extend(["--shard", &shard]);
            run(&args, &dir);
            dir
        })
        .collect();
    let merged = tmp.path().join("merged");
    merge(&[&dirs[1], &dirs[0]], &merged);
    let curve = std::fs::read_to_string(single.join("stockpile_curve.csv")).unwrap();
    assert_eq!(
        curve,
        std::fs::read_to_string(merged.join("stockpile_curve.csv")).unwrap()
    );
    // Every size of the grid, and the answer is the smallest meeting the target.
    assert_eq!(curve.lines().count(), 6, "{curve}");
    let chosen: Vec<&str> = curve
        .lines()
        .filter(|l| l.split(',').nth(7) == Some("1"))
        .collect();
    assert_eq!(chosen.len(), 1, "{curve}");
    assert!(chosen[0].starts_with("900,"), "{curve}");
    let (a, b) = (manifest_core(&single), manifest_core(&merged));
    assert_eq!(a, b);
    assert_eq!(b["answer_t"], 900.0);
    assert_eq!(b["sizes_t"].as_array().unwrap().len(), 5);
}

#[test]
fn tool_shard_sets_that_do_not_fit_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    let scen = scenario("total-ban-12m-stockpile.toml");
    let shard = |args: &[&str], k: &str, dir: &str| {
        let mut a = args.to_vec();
        a.extend(["--shard", k]);
        run(&a, &p.join(dir));
        p.join(dir).display().to_string()
    };
    let s0 = shard(&sweep_args(&scen, "7"), "0/2", "s0");
    // A shard can be run again into its directory (a resubmitted job).
    shard(&sweep_args(&scen, "7"), "0/2", "s0");
    let out = p.join("merged");
    let e = refused(&["merge", &s0], &out);
    assert!(e.contains("missing shards: 1/2"), "{e}");
    let e = refused(&["merge", &s0, &s0], &out);
    assert!(e.contains("given twice"), "{e}");

    // Another grid.
    let mut other = sweep_args(&scen, "7");
    other[3] = "stockpiles.row_magnet_high_temp.initial_days=0..150:30";
    let g1 = shard(&other, "1/2", "g1");
    let e = refused(&["merge", &s0, &g1], &out);
    assert!(e.contains("grid differs"), "{e}");

    // Shards of another command.
    let r1 = shard(
        &["run", &scen, "--runs", "12", "--seed", "7", "--quiet"],
        "1/2",
        "r1",
    );
    let e = refused(&["merge", &s0, &r1], &out);
    assert!(
        e.contains("different commands") && e.contains("`run`"),
        "{e}"
    );
    let reserve = reserve_scenario(p);
    let z1 = shard(&size_args(&reserve), "1/2", "z1");
    let e = refused(&["merge", &s0, &z1], &out);
    assert!(e.contains("different commands"), "{e}");
    assert!(!out.exists());

    // --shard of size-stockpile goes only with --sizes, and no more shards than points.
    let e = refused(
        &[
            "size-stockpile",
            &reserve,
            "--stockpile",
            "reserve",
            "--target",
            "mean(unmet_demand_t) <= 300",
            "--shard",
            "0/2",
        ],
        &p.join("x"),
    );
    assert!(e.contains("--shard 0/2 needs --sizes"), "{e}");
    let mut six = size_args(&reserve);
    six.extend(["--shard", "0/6"]);
    let e = refused(&six, &p.join("x"));
    assert!(e.contains("6 shards is more than the 5 sizes"), "{e}");
    let mut six = sweep_args(&scen, "7");
    six.extend(["--shard", "5/6"]);
    let e = refused(&six, &p.join("x"));
    assert!(e.contains("more than the 5 grid points"), "{e}");
}
