//! The 2010-2011 hindcast table of docs/calibration.md:
//! `cargo run --release --example hindcast [RUNS]` (default 500 runs, seed 20250101).

use std::path::Path;

fn main() {
    let runs: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/history/2010-quota.toml");
    let loaded = match reesim::scenario::load(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let rows = reesim::calibration::hindcast(&loaded.scenario, runs, reesim::app::DEFAULT_SEED);
    println!(
        "Hindcast of scenarios/history/2010-quota.toml, {runs} runs, seed {}:\n",
        reesim::app::DEFAULT_SEED
    );
    print!("{}", reesim::calibration::table(&rows));
}
