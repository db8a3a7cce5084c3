//! Every numeric key of every shipped scenario, one at a time, set to an extreme value: the
//! binary must either refuse the scenario (exit 2) or validate it and run it (exit 0). Any
//! other exit code (101 is a panic) is a failure.
//!
//! Scenarios are resolved first (every `extends` merged). A key inherited unchanged from an
//! already tested scenario (same path, same value) is tested once: the bounds that make a value
//! safe are per key, and the fuzzer covers combinations.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use toml::{Table, Value};

/// The values every numeric key is set to.
const EXTREMES: [&str; 6] = [
    "0",
    "-1",
    "1e-300",
    "1e308",
    "-1e308",
    "9223372036854775807",
];

/// One step of a path into a TOML document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn path_text(path: &[Step]) -> String {
    path.iter()
        .map(|s| match s {
            Step::Key(k) => format!(".{k}"),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// Every numeric leaf of `v`: its path and its value as TOML text.
fn numeric_leaves(v: &Value, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, String)>) {
    match v {
        Value::Integer(_) | Value::Float(_) => out.push((path.clone(), v.to_string())),
        Value::Table(t) => {
            for (k, x) in t {
                path.push(Step::Key(k.clone()));
                numeric_leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Step::Index(i));
                numeric_leaves(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn set(doc: &mut Value, path: &[Step], value: Value) {
    let mut at = doc;
    for s in path {
        at = match s {
            Step::Key(k) => at.get_mut(k.as_str()).expect("path from the document"),
            Step::Index(i) => at.get_mut(*i).expect("path from the document"),
        };
    }
    *at = value;
}

fn resolved(path: &Path) -> Value {
    let loaded = reesim::scenario::load(path).expect("shipped scenarios are valid");
    let text = reesim::scenario::to_toml(&loaded.file);
    Value::Table(text.parse::<Table>().expect("resolved scenario is TOML"))
}

fn shipped() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

/// Runs the binary; returns its exit code (None: killed by a signal) and stderr.
fn reesim(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reesim"))
        .args(args)
        .output()
        .expect("binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One edited scenario: what it is, and its text.
struct Case {
    name: String,
    text: String,
}

/// Every (key, extreme) edit of every shipped scenario.
fn cases() -> Vec<Case> {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut out = Vec::new();
    for scenario in shipped() {
        let doc = resolved(&scenario);
        let mut leaves = Vec::new();
        numeric_leaves(&doc, &mut Vec::new(), &mut leaves);
        for (path, original) in leaves {
            let key = path_text(&path);
            if !seen.insert((key.clone(), original)) {
                continue;
            }
            for extreme in EXTREMES {
                let value =
                    toml::from_str::<Table>(&format!("v = {extreme}")).unwrap()["v"].clone();
                let mut edited = doc.clone();
                set(&mut edited, &path, value);
                out.push(Case {
                    name: format!("{}: {key} = {extreme}", scenario.display()),
                    text: toml::to_string(&edited).unwrap(),
                });
            }
        }
    }
    out
}

/// Validates each case and runs those that validate; returns the failures and the number of
/// runs.
fn check(cases: &[Case]) -> (Vec<String>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let out = dir.path().join("out");
    let (file_s, out_s) = (file.to_str().unwrap(), out.to_str().unwrap());
    let (mut failures, mut runs) = (Vec::new(), 0);
    for case in cases {
        std::fs::write(&file, &case.text).unwrap();
        match reesim(&["validate", file_s]) {
            (Some(0), _) => {}
            (Some(2), _) => continue,
            (other, err) => {
                failures.push(format!("{}: validate exit {other:?}\n{err}", case.name));
                continue;
            }
        }
        runs += 1;
        let args = [
            "run",
            file_s,
            "--runs",
            "2",
            "--threads",
            "1",
            "--out",
            out_s,
        ];
        let (code, err) = reesim(&args);
        if !matches!(code, Some(0) | Some(2)) {
            failures.push(format!("{}: run exit {code:?}\n{err}", case.name));
        }
    }
    (failures, runs)
}

#[test]
fn extreme_values_are_refused_or_run_never_panic() {
    let cases = cases();
    assert!(
        cases.len() > 1000,
        "only {} cases: were the scenarios read?",
        cases.len()
    );
    // Two workers (CI has two cores); each case is its own process anyway.
    let half = cases.len().div_ceil(2);
    let results: Vec<(Vec<String>, usize)> = std::thread::scope(|s| {
        let workers: Vec<_> = cases.chunks(half).map(|c| s.spawn(|| check(c))).collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let runs: usize = results.iter().map(|r| r.1).sum();
    let failures: Vec<String> = results.into_iter().flat_map(|r| r.0).collect();
    eprintln!("extremes: {} cases, {runs} runs", cases.len());
    assert!(
        runs > 100,
        "only {runs} cases validated: is the run step exercised?"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The extremes that once passed `validate` and then panicked the run (exit 101), each where
/// it bites: a scalar where the shipped scenarios have a distribution, a ban so that demand
/// goes unmet, an expansion that arrives within the horizon.
#[test]
fn extremes_that_once_panicked_the_run_are_refused_or_run() {
    let scenario = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name)
            .display()
            .to_string()
    };
    // (key, parent, override with `{}` for the value, the extreme, a sane value)
    let cases = [
        (
            "demand_t",
            "total-ban-12m.toml",
            "[regions.china.sectors.ev]\ndemand_t = {}\n",
            "1e308",
            "60000",
        ),
        (
            "capacity_t",
            "baseline.toml",
            "[[regions.rest_of_world.mines]]\nname = \"mountain_pass\"\ncapacity_t = {}\n",
            "1e308",
            "45000",
        ),
        (
            "recovery",
            "baseline.toml",
            "[[regions.china.separation]]\nname = \"china_hard_rock_separation\"\nrecovery = {}\n",
            "1e-300",
            "0.95",
        ),
        (
            "mine_min_step_t",
            "total-ban-24m.toml",
            "[market.expansion]\ntrigger_price = 1\nsustain_months = 1\nmine_lead_months = 1\nmine_min_step_t = {}\n",
            "1e308",
            "2000",
        ),
        (
            "price_response",
            "baseline.toml",
            "[market]\nprice_response = { dist = \"pert\", min = 0.05, mode = 0.06, max = {} }\n",
            "1e308",
            "0.08",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let out = dir.path().join("out");
    let (file_s, out_s) = (file.to_str().unwrap(), out.to_str().unwrap());
    let mut failures = Vec::new();
    for (key, parent, edit, extreme, sane) in cases {
        let text = |v: &str| {
            format!(
                "extends = \"{}\"\n{}",
                scenario(parent),
                edit.replace("{}", v)
            )
        };
        // The override itself is right: with a sane value it validates.
        std::fs::write(&file, text(sane)).unwrap();
        let (code, err) = reesim(&["validate", file_s]);
        assert_eq!(code, Some(0), "{key} = {sane}: {err}");
        std::fs::write(&file, text(extreme)).unwrap();
        match reesim(&["validate", file_s]) {
            (Some(2), err) => {
                assert!(
                    err.contains(key),
                    "{key} = {extreme} refused for another reason: {err}"
                );
                continue;
            }
            (Some(0), _) => {}
            (other, err) => {
                failures.push(format!("{key} = {extreme}: validate exit {other:?}\n{err}"));
                continue;
            }
        }
        let (code, err) = reesim(&[
            "run",
            file_s,
            "--runs",
            "2",
            "--threads",
            "1",
            "--out",
            out_s,
        ]);
        if code != Some(0) {
            failures.push(format!(
                "{key} = {extreme}: validated, then run exit {code:?}\n{err}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
