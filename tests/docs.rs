//! The README documents what the program writes: the registry's metric and series tables and
//! the columns of each output file match the code and the files.
//! `UPDATE_README=1 cargo test --test docs` rewrites the generated table.

use std::path::Path;

use assert_cmd::Command;
use reesim::export::{decision, summary, timeseries};
use reesim::stats::registry;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

const BEGIN: &str = "<!-- registry:begin -->\n";
const END: &str = "<!-- registry:end -->";

#[test]
fn the_readme_tables_of_metrics_and_series_come_from_the_registry() {
    let text = readme();
    let (a, b) = (
        text.find(BEGIN).unwrap() + BEGIN.len(),
        text.find(END).unwrap(),
    );
    let want = registry::markdown_tables();
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{want}{}", &text[..a], &text[b..]);
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"),
            updated,
        )
        .unwrap();
        return;
    }
    assert_eq!(
        &text[a..b],
        want,
        "README's registry table is stale: run UPDATE_README=1 cargo test --test docs"
    );
}

/// The backticked names in the first column of the table under `heading`.
fn documented_columns(text: &str, heading: &str) -> Vec<String> {
    let start = text.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    text[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .flat_map(|l| {
            let first = l.split('|').nth(1).unwrap_or("");
            first
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn header(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.headers().unwrap().iter().map(str::to_string).collect()
}

#[test]
fn every_documented_column_is_written_and_every_written_column_documented() {
    let text = readme();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/total-ban-12m-stockpile.toml");
    Command::cargo_bin("reesim")
        .unwrap()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--runs",
            "8",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    for (heading, file, consts) in [
        ("### summary.csv", "summary.csv", summary::COLUMNS.to_vec()),
        (
            "### timeseries.csv",
            "timeseries.csv",
            timeseries::COLUMNS.to_vec(),
        ),
    ] {
        let written = header(&out.join(file));
        assert_eq!(
            written, consts,
            "{file}: header differs from the code's columns"
        );
        let documented = documented_columns(&text, heading);
        assert_eq!(
            documented, written,
            "{file}: README's column table differs from the file"
        );
    }
    let compare = format!("`{}`", decision::COMPARE_COLUMNS.join(", "));
    let compare_doc: String = text
        .split("- `compare.csv`: ")
        .nth(1)
        .unwrap()
        .split(" (differences")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(compare_doc, compare, "README's compare.csv columns");
    // Every metric and series written is in the registry, with its unit in the files.
    let summary_text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut r = csv::Reader::from_reader(summary_text.as_bytes());
    for row in r.records() {
        let row = row.unwrap();
        let m =
            registry::metric(&row[0]).unwrap_or_else(|| panic!("{} not in the registry", &row[0]));
        assert_eq!(&row[4], m.unit);
        assert!(
            !row[1].is_empty() && !row[2].is_empty(),
            "empty scope cell in {row:?}"
        );
    }
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut r = csv::Reader::from_reader(ts.as_bytes());
    for row in r.records() {
        let row = row.unwrap();
        let s =
            registry::series(&row[2]).unwrap_or_else(|| panic!("{} not in the registry", &row[2]));
        assert_eq!(&row[6], s.unit);
    }
}

#[test]
fn validate_lists_the_names_a_user_refers_to() {
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/total-ban-12m-stockpile.toml");
    let out = Command::cargo_bin("reesim")
        .unwrap()
        .args(["validate", scenario.to_str().unwrap()])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let loaded = reesim::scenario::load(&scenario).unwrap();
    let sc = &loaded.scenario;
    let mut names: Vec<String> = sc.regions.iter().map(|r| r.name.clone()).collect();
    names.extend(sc.sectors.iter().cloned());
    names.extend(sc.controls.iter().map(|c| c.name.clone()));
    names.extend(sc.stockpiles.iter().map(|s| s.name.clone()));
    names.extend(sc.params.sampled().map(|(_, d)| d.key.clone()));
    assert!(names.len() > 100);
    for n in names {
        assert!(text.contains(&n), "validate does not list `{n}`:\n{text}");
    }
}

/// Runs `reesim validate FILE` under a pseudo-terminal (util-linux `script`), so stderr is a
/// terminal; None when `script` is missing.
fn on_a_terminal(file: &Path, no_color: Option<&str>) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("reesim");
    let mut cmd = std::process::Command::new("script");
    cmd.args([
        "-qec",
        &format!("{} validate {}", bin.display(), file.display()),
        "/dev/null",
    ]);
    cmd.env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn diagnostics_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = \"x\"\nbogus = 1\n").unwrap();
    let Some(plain_tty) = on_a_terminal(&bad, None) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(plain_tty.contains("bogus"), "{plain_tty}");
    assert!(
        plain_tty.contains("\u{1b}["),
        "colour on a terminal: {plain_tty:?}"
    );
    let no_color = on_a_terminal(&bad, Some("1")).unwrap();
    assert!(no_color.contains("bogus"), "{no_color}");
    assert!(
        !no_color.contains("\u{1b}["),
        "NO_COLOR=1 still coloured: {no_color:?}"
    );
    // Piped (not a terminal): never coloured.
    let piped = Command::cargo_bin("reesim")
        .unwrap()
        .args(["validate", bad.to_str().unwrap()])
        .assert()
        .code(2);
    assert!(!String::from_utf8_lossy(&piped.get_output().stderr).contains("\u{1b}["));
}

#[test]
fn all_is_reserved_for_every_region_or_sector() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap();
    for (from, to) in [("rest_of_world", "all"), ("defense", "all")] {
        let path = dir.path().join(format!("{to}-{from}.toml"));
        std::fs::write(&path, base.replace(from, to)).unwrap();
        let out = Command::cargo_bin("reesim")
            .unwrap()
            .args(["validate", path.to_str().unwrap()])
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains("other than `all`"), "{err}");
    }
}
