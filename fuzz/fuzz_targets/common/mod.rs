//! What both fuzz targets do with a scenario text: load and validate it and, when it is valid,
//! run a short batch (1 run of at most 3 months) and print it back as TOML.

use std::path::{Path, PathBuf};

use reesim::scenario::{self, LoadError};
use reesim::sim::runner::{self, Sampling, Settings};

/// Months simulated at most, so that one input takes milliseconds.
const MONTHS: usize = 3;

/// The input poses as a file in the shipped scenarios' directory, so `extends = "baseline.toml"`
/// resolves.
pub fn input_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/fuzz-input.toml")
}

pub fn check(text: &str) {
    let path = input_path();
    let mut loaded = match scenario::parse(&path, text) {
        Ok(l) => l,
        Err(LoadError::Invalid(d)) => {
            // Rendering must not panic either (spans into any text).
            let _ = d.to_string();
            return;
        }
        Err(e) => panic!("reading from text gave {e}"),
    };
    // What `reesim show` prints must load again.
    let shown = scenario::to_toml(&loaded.file);
    if let Err(e) = scenario::parse(&path, &shown) {
        panic!("the resolved scenario does not load again: {e}\n{shown}");
    }
    let sc = &mut loaded.scenario;
    sc.horizon = sc.horizon.min(MONTHS);
    let mut settings = Settings::mc(1, text.len() as u64, 1);
    if text.len() % 2 == 1 {
        settings.sampling = Sampling::Lhs;
    }
    if let Err(e) = runner::run(sc, settings, &mut |_| Ok(()), &mut |_| {}) {
        panic!("a valid scenario failed to run: {e}");
    }
}
