//! Inputs the fuzzer (fuzz/) found that once crashed, kept as they were found in
//! tests/fuzz_regressions/: each must be refused with diagnostics that render, or load and run.

use std::path::{Path, PathBuf};

use reesim::scenario::{self, LoadError};
use reesim::sim::runner::{self, Settings};

/// The fuzz targets pose their input as a file in `scenarios/`, so `extends` resolves there.
fn input_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fuzz-input.toml")
}

/// What a fuzz target does with an input; panics where the program would.
fn check(text: &str) -> Result<(), String> {
    match scenario::parse(&input_path(), text) {
        Ok(mut loaded) => {
            loaded.scenario.horizon = loaded.scenario.horizon.min(3);
            runner::run(
                &loaded.scenario,
                Settings::mc(1, 1, 1),
                None,
                &mut |_, _| Ok(()),
                &mut |_| {},
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        }
        Err(LoadError::Invalid(d)) => Err(d.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn every_found_crash_is_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = check(text);
        }
        n += 1;
    }
    assert!(n > 0, "no regression inputs found");
}

#[test]
fn an_error_just_before_a_multibyte_character_renders() {
    // An error with an empty span right before a byte order mark: the caret must widen to
    // the whole character, not to a byte inside it.
    let err =
        check("[market]\nrebuild_months = { dist = \"uniform\", max \u{feff}# c\n").unwrap_err();
    assert!(err.contains("fuzz-input.toml:2:42"), "{err}");
}

/// The fuzzer found names with a line break or a control character breaking the comment line
/// of `reesim show` (and of a shard's scenario.toml): the resolved text must load again.
#[test]
fn a_scenario_name_with_control_characters_survives_show() {
    for name in ["two\\nlines", "escape \\u001b here", "tab\\there \\\\ \\\""] {
        let text = format!("extends = \"baseline.toml\"\n[scenario]\nname = \"{name}\"\n");
        let loaded = scenario::parse(&input_path(), &text).expect("valid");
        let shown = scenario::to_toml(&loaded.file);
        let again = scenario::parse(&input_path(), &shown)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{shown}"));
        assert_eq!(again.file.scenario.name, loaded.file.scenario.name);
    }
}
