//! Throughput of the baseline scenario: one run on one core (a fresh run with `simulate`, and
//! a run in a reused workspace with `simulate_into`, sampling included), and a 256-run batch on
//! all cores through the full runner (sampling, simulation, metrics, time-series sketches).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use reesim::sim::run::{Workspace, simulate, simulate_into};
use reesim::sim::runner::{self, Settings};

fn baseline(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let loaded = reesim::scenario::load(&path).expect("baseline is valid");
    let sc = &loaded.scenario;

    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(1));
    let mut run = 0;
    g.bench_function("one_run_simulate", |b| {
        b.iter(|| {
            run += 1;
            simulate(sc, 1, run)
        })
    });

    let mut ws = Workspace::new(sc);
    let mut run = 0;
    g.bench_function("one_run_workspace", |b| {
        b.iter(|| {
            run += 1;
            simulate_into(&mut ws, sc.params.sample(1, run), 1, run)
                .records
                .len()
        })
    });

    const RUNS: u64 = 256;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    g.throughput(Throughput::Elements(RUNS));
    g.sample_size(20);
    g.bench_function(format!("runner_{RUNS}_runs_{threads}_threads"), |b| {
        b.iter(|| {
            runner::run(
                sc,
                Settings::mc(RUNS, 1, threads),
                None,
                &mut |_, _| Ok(()),
                &mut |_| {},
            )
            .expect("runs")
        })
    });
    g.finish();
}

criterion_group!(benches, baseline);
criterion_main!(benches);
