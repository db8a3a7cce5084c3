//! Scenario composition with `extends`.

mod common;

use std::path::Path;

use reesim::scenario::{self, LoadError};

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn errors(path: &Path) -> Vec<reesim::scenario::Diagnostic> {
    match scenario::load(path) {
        Err(LoadError::Invalid(d)) => d.0,
        Ok(_) => panic!("expected an error"),
        Err(e) => panic!("unexpected: {e}"),
    }
}

#[test]
fn chains_merge_tables_and_named_lists() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "base.toml",
        &common::importer_exporter(100.0, 12, &common::ban_from_a(3, Some(2))),
    );
    write(
        dir.path(),
        "mid.toml",
        "extends = \"base.toml\"\n[scenario]\nname = \"mid\"\n[[regions.a.mines]]\nname = \"big\"\ncapacity_t = 5000\n[[regions.a.mines]]\nname = \"small\"\ncapacity_t = 10\nndpr_share = 0.1\ndytb_share = 0.0\n",
    );
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    let leaf = write(
        &dir.path().join("sub"),
        "leaf.toml",
        "extends = \"../mid.toml\"\n[scenario]\nhorizon_months = 24\n[[controls]]\nname = \"ban\"\nduration_months = 5\n",
    );
    let l = scenario::load(&leaf).unwrap();
    let sc = &l.scenario;
    assert_eq!(
        sc.name, "mid",
        "name from mid, the rest of [scenario] from base"
    );
    assert_eq!(sc.horizon, 24);
    assert_eq!(sc.regions[0].mines.len(), 2, "big merged, small appended");
    let v = sc.params.sample(0, 0);
    let big = &sc.regions[0].mines[0];
    assert_eq!(v[big.capacity], 5000.0);
    assert_eq!(
        v[big.ndpr_share], 0.2,
        "inherited key kept in the merged entry"
    );
    assert_eq!(sc.controls.len(), 1);
    assert!(matches!(sc.controls[0].onset, reesim::model::Onset::Month(m) if v[m] == 3.0));
    assert_eq!(v[sc.controls[0].duration.unwrap()], 5.0);
}

#[test]
fn remove_deletes_an_inherited_entry() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "base.toml",
        &common::importer_exporter(100.0, 12, &common::ban_from_a(0, None)),
    );
    let p = write(
        dir.path(),
        "nob.toml",
        "extends = \"base.toml\"\n[[controls]]\nname = \"ban\"\nremove = true\n",
    );
    assert!(scenario::load(&p).unwrap().scenario.controls.is_empty());
    let p = write(
        dir.path(),
        "bad.toml",
        "extends = \"base.toml\"\n[[controls]]\nname = \"nope\"\nremove = true\n",
    );
    let e = errors(&p);
    assert!(
        e[0].title.contains("nothing named \"nope\""),
        "{}",
        e[0].title
    );
}

#[test]
fn cycles_and_missing_parents_are_errors_pointing_at_extends() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    let b = write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
    let e = errors(&b);
    assert!(e[0].title.contains("cycle"), "{}", e[0].title);
    let m = write(dir.path(), "m.toml", "extends = \"missing.toml\"\n");
    let e = errors(&m);
    assert!(e[0].title.contains("missing.toml"));
    assert_eq!(e[0].line_col(), Some((1, 11)));
}

#[test]
fn errors_in_an_extended_file_point_into_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let base = common::importer_exporter(100.0, 12, "")
        .replace("capacity_t = 1000000\nndpr", "capacity_t = -1\nndpr");
    write(dir.path(), "base.toml", &base);
    let child = write(
        dir.path(),
        "child.toml",
        "extends = \"base.toml\"\n[market]\nrebuild_months = 0\n",
    );
    let e = errors(&child);
    assert_eq!(e.len(), 2);
    let in_base = e
        .iter()
        .find(|d| d.key.as_deref() == Some("regions.a.mines.big.capacity_t"))
        .unwrap();
    assert!(in_base.path.ends_with("base.toml"));
    let (line, _) = in_base.line_col().unwrap();
    assert_eq!(base.lines().nth(line - 1).unwrap(), "capacity_t = -1");
    let in_child = e
        .iter()
        .find(|d| d.key.as_deref() == Some("market.rebuild_months"))
        .unwrap();
    assert!(in_child.path.ends_with("child.toml"));
    assert_eq!(in_child.line_col(), Some((3, 18)));
}

#[test]
fn a_distribution_replaces_the_inherited_one_whole() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "base.toml",
        &common::importer_exporter(
            100.0,
            12,
            "[market]\nprice_response = { dist = \"pert\", min = 0.1, mode = 0.3, max = 0.6 }\n",
        ),
    );
    let child = write(
        dir.path(),
        "child.toml",
        "extends = \"base.toml\"\n[market]\nprice_response = { dist = \"uniform\", min = 0.2, max = 0.4 }\n",
    );
    let l = scenario::load(&child).unwrap();
    let p = &l.scenario.params.defs[l.scenario.market.price_response.0].value;
    assert_eq!(
        *p,
        reesim::model::param::Param::Dist(reesim::model::dist::Dist::Uniform {
            min: 0.2,
            max: 0.4
        })
    );
    let fixed = write(
        dir.path(),
        "fixed.toml",
        "extends = \"base.toml\"\n[market]\nprice_response = 0.5\n",
    );
    assert!(scenario::load(&fixed).is_ok());
}
