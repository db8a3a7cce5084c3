//! Splitting a batch into shards (`run --shard K/N`) and merging them (`reesim merge`) gives the
//! outputs of one run of the whole batch, byte for byte; bad shard sets are refused.

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
    let whole = runner::run(sc, settings(None), &mut |_| Ok(()), &mut |_| {}).unwrap();
    let mut sketches = None;
    let mut rows = Vec::new();
    for index in 0..3 {
        let part = runner::run(
            sc,
            settings(Some(Shard { index, count: 3 })),
            &mut |r| {
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
