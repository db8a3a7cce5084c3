//! Progress on stderr when it is not a terminal: a periodic line for `run` (also an open-ended
//! `--until-mcse` with a huge `--runs`) and for the tools, none with `--quiet`.
//!
//! `REESIM_PROGRESS_EVERY_MS` (a test hook) shortens the 10 s interval.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Runs `args` with stderr piped and collects the progress lines seen before `enough` says
/// stop (or the command ends, or `limit` passes); the command is then killed.
fn progress_lines(
    args: &[&str],
    out: &Path,
    limit: Duration,
    enough: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reesim"))
        .args(args)
        .arg("--out")
        .arg(out)
        .env("REESIM_PROGRESS_EVERY_MS", "20")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + limit;
    let mut lines = Vec::new();
    while Instant::now() < deadline && !enough(&lines) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(l) => lines.push(l),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(_) => {}
        }
    }
    let _ = child.kill();
    child.wait().unwrap();
    lines
        .into_iter()
        .filter(|l| l.starts_with("reesim: "))
        .collect()
}

/// Runs done in a progress line `reesim: [stage: ]D/T runs; A runs in ...`.
fn runs_done(line: &str) -> u64 {
    let all = line.split("; ").nth(1).unwrap_or_else(|| panic!("{line}"));
    all.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn an_open_ended_run_shows_progress_when_piped_and_none_when_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let s = repo("scenarios/baseline.toml");
    let args = [
        "run",
        s.to_str().unwrap(),
        "--until-mcse",
        "1e-300",
        "--runs",
        "100000000",
    ];
    let lines = progress_lines(
        &args,
        &tmp.path().join("a"),
        Duration::from_secs(240),
        |l| {
            l.iter().filter(|l| l.starts_with("reesim: ")).count() >= 3
                && l.iter()
                    .any(|l| l.starts_with("reesim: ") && runs_done(l) > 0)
        },
    );
    assert!(lines.len() >= 3, "{lines:?}");
    for l in &lines {
        assert!(l.contains("/100000000 runs; "), "{l}");
        assert!(l.contains("runs/s)"), "{l}");
    }
    let done: Vec<u64> = lines.iter().map(|l| runs_done(l)).collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    assert!(*done.last().unwrap() > 0, "{lines:?}");

    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let lines = progress_lines(
        &quiet,
        &tmp.path().join("b"),
        Duration::from_secs(2),
        |_| false,
    );
    assert_eq!(lines, Vec::<String>::new());
}

#[test]
fn the_tools_show_progress_when_piped() {
    let tmp = tempfile::tempdir().unwrap();
    let s = repo("scenarios/total-ban-12m-stockpile.toml");
    let s = s.to_str().unwrap();
    let cases: [(&str, Vec<&str>, &str); 4] = [
        (
            "sweep",
            vec![
                "sweep",
                s,
                "--set",
                "stockpiles.row_magnet_high_temp.initial_days=0,60",
                "--runs",
                "200",
            ],
            "point 1/2 (0): ",
        ),
        (
            "compare",
            vec!["compare", s, s, "--runs", "200"],
            "A (total-ban",
        ),
        (
            "sensitivity",
            vec!["sensitivity", s, "--runs", "400"],
            "/400 runs",
        ),
        (
            "size-stockpile",
            vec![
                "size-stockpile",
                s,
                "--stockpile",
                "row_magnet_high_temp",
                "--target",
                "mean(unmet_demand_t) <= 1",
                "--runs",
                "200",
            ],
            "0 t (evaluation 1): ",
        ),
    ];
    for (name, args, stage) in cases {
        let lines = progress_lines(
            &args,
            &tmp.path().join(name),
            Duration::from_secs(240),
            |l| l.iter().any(|l| l.contains(stage)),
        );
        assert!(
            lines.iter().any(|l| l.contains(stage)),
            "{name}: no progress line with `{stage}`: {lines:?}"
        );
    }
}
