//! The 2010-2011 hindcast table of docs/calibration.md:
//! `cargo run --release --example hindcast [RUNS] [SCENARIO]` (default 500 runs, seed
//! 20250101, `scenarios/history/2010-quota.toml`; another file with the same three regions can
//! be given to try other parameter values).

use std::path::Path;

fn main() {
    let runs: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let path = std::env::args().nth(2).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/history/2010-quota.toml"),
        std::path::PathBuf::from,
    );
    let loaded = match reesim::scenario::load(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let rows = reesim::calibration::hindcast(&loaded.scenario, runs, reesim::app::DEFAULT_SEED);
    println!(
        "Hindcast of {}, {runs} runs, seed {}:\n",
        path.display(),
        reesim::app::DEFAULT_SEED
    );
    print!("{}", reesim::calibration::table(&rows));
}
