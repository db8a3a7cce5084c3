//! The catalogue of error messages, one snapshot per kind, as the binary prints them (stderr,
//! no colour). Each scenario is a small file next to copies of shipped scenarios it extends,
//! named relative to the working directory so that snapshots hold no temporary paths.

use std::path::Path;
use std::process::Command;

/// A directory holding copies of the shipped scenarios that snippets extend.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for f in ["baseline.toml", "total-ban-12m.toml"] {
        std::fs::copy(shipped.join(f), dir.path().join(f)).unwrap();
    }
    dir
}

/// Runs `reesim ARGS` in `dir`; returns stderr, checking the exit code.
fn stderr(dir: &Path, args: &[&str], code: i32) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_reesim"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// `reesim validate` on a file with `text`; returns its message (exit 2).
fn validate(text: &[u8]) -> String {
    let dir = workdir();
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    stderr(dir.path(), &["validate", "s.toml"], 2)
}

#[test]
fn misspelled_region_in_an_override() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[regions.rest_of_wrld.sectors.ev]\ndemand_t = 5000\n",
    );
    assert!(err.contains("did you mean `rest_of_world`?"), "{err}");
    assert!(!err.contains("could not read"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn misspelled_mine_in_an_override() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[[regions.china.mines]]\nname = \"hard_rok\"\ncapacity_t = 100\n",
    );
    assert!(err.contains("did you mean `hard_rock`?"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn misspelled_control_in_an_override() {
    let err = validate(
        b"extends = \"total-ban-12m.toml\"\n[[controls]]\nname = \"total_bann\"\nduration_months = 6\n",
    );
    assert!(err.contains("did you mean `total_ban`?"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn new_region_without_a_close_name_says_what_it_lacks() {
    let err =
        validate(b"extends = \"baseline.toml\"\n[regions.india.sectors.ev]\ndemand_t = 5000\n");
    assert!(err.contains("lacks `high_temp_share`"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn remove_with_no_inherited_list() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[[controls]]\nname = \"total_ban\"\nremove = true\n",
    );
    assert!(
        err.contains("nothing named \"total_ban\" to remove"),
        "{err}"
    );
    assert!(!err.contains("unknown field"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn remove_of_a_misspelled_entry() {
    let err = validate(
        b"extends = \"total-ban-12m.toml\"\n[[controls]]\nname = \"total_bann\"\nremove = true\n",
    );
    assert!(err.contains("did you mean `total_ban`?"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn remove_in_a_file_that_extends_nothing() {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap();
    let text = base.replacen(
        "[[regions.china.mines]]\n",
        "[[regions.china.mines]]\nremove = true\n",
        1,
    );
    let err = validate(text.as_bytes());
    assert!(err.contains("extends no other scenario"), "{err}");
}

#[test]
fn empty_destinations_at_their_own_line() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[[controls]]\nname = \"c\"\norigin = \"china\"\ndestinations = []\ncommodities = [\"all\"]\ntype = \"ban\"\n",
    );
    assert!(err.contains("s.toml:5:16"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn huge_number_echoed_as_written() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[[regions.china.mines]]\nname = \"hard_rock\"\ncapacity_t = 1e308\n",
    );
    assert!(err.contains("found 1e308"), "{err}");
    assert!(!err.contains("00000000000"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn distribution_bounds_echoed_short() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[market]\nprice_response = { dist = \"uniform\", min = 0.1, max = 1e12 }\n",
    );
    assert!(err.contains("[0.1, 1e12]"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn distribution_number_beyond_its_bound() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[market]\nprice_response = { dist = \"pert\", min = 0.1, mode = 0.2, max = 1e308 }\n",
    );
    assert!(err.contains("found 1e308"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn fraction_where_a_whole_number_is_needed() {
    let err = validate(b"extends = \"baseline.toml\"\n[scenario]\nhorizon_months = 1e308\n");
    for rust in ["i64", "i128", "f64", "00000000000"] {
        assert!(!err.contains(rust), "{err}");
    }
    insta::assert_snapshot!(err);
}

#[test]
fn integer_too_large() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[scenario]\nhorizon_months = 99999999999999999999\n",
    );
    for rust in ["i64", "i128"] {
        assert!(!err.contains(rust), "{err}");
    }
    insta::assert_snapshot!(err);
}

#[test]
fn value_out_of_range() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[[regions.china.mines]]\nname = \"hard_rock\"\ncapacity_t = -5\n",
    );
    insta::assert_snapshot!(err);
}

#[test]
fn unknown_key() {
    let err = validate(b"extends = \"baseline.toml\"\n[market]\nrebuild_monthz = 3\n");
    insta::assert_snapshot!(err);
}

#[test]
fn invalid_utf8_located() {
    let err = validate(b"extends = \"baseline.toml\"\n[scenario]\nname = \"caf\xe9\"\n");
    assert!(err.contains("s.toml:3:12"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn out_names_an_existing_file() {
    let dir = workdir();
    std::fs::write(dir.path().join("taken"), "").unwrap();
    let err = stderr(
        dir.path(),
        &["run", "baseline.toml", "--runs", "2", "--out", "taken"],
        1,
    );
    assert!(!err.contains("os error"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn scenario_file_missing() {
    let dir = workdir();
    let err = stderr(dir.path(), &["validate", "baseline.tom"], 2);
    assert!(!err.contains("os error"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn extended_file_missing() {
    let err = validate(b"extends = \"baseline.tom\"\n");
    assert!(!err.contains("os error"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn other_empty_lists_at_their_own_line() {
    let err = validate(
        b"extends = \"baseline.toml\"\n[[controls]]\nname = \"c\"\norigin = \"china\"\ncommodities = []\ntype = \"ban\"\n",
    );
    assert!(err.contains("s.toml:5:15"), "{err}");
    let err = validate(
        b"extends = \"baseline.toml\"\n[[stockpiles]]\nname = \"s\"\nregion = \"china\"\ncommodity = \"magnet_standard\"\ninitial_t = 5\nserves = []\nrelease_on = []\n",
    );
    assert!(err.contains("s.toml:7:10"), "{err}");
    assert!(err.contains("s.toml:8:14"), "{err}");
    insta::assert_snapshot!(err);
}
