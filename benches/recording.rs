//! The cost of recording outcomes: adding one run's monthly values to the time-series
//! histograms, and merging two workers' histogram sets (baseline scenario).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use reesim::sim::run::simulate;
use reesim::stats::timeseries::{Catalog, Sketches};

fn recording(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let loaded = reesim::scenario::load(&path).expect("baseline is valid");
    let sc = &loaded.scenario;
    let catalog = Catalog::new(sc);
    let runs: Vec<_> = (0..64).map(|i| simulate(sc, 1, i)).collect();
    let mut buf = Vec::new();

    let mut g = c.benchmark_group("recording");
    g.throughput(Throughput::Elements(sc.horizon as u64));
    let mut sketches = Sketches::new(sc.horizon, catalog.cells.len());
    let mut i = 0;
    g.bench_function("add_run_per_run_month", |b| {
        b.iter(|| {
            i = (i + 1) % runs.len();
            sketches.add_run(&catalog, &runs[i], &mut buf);
        })
    });

    let mut a = Sketches::new(sc.horizon, catalog.cells.len());
    let mut other = Sketches::new(sc.horizon, catalog.cells.len());
    for (k, r) in runs.iter().enumerate() {
        let s = if k % 2 == 0 { &mut a } else { &mut other };
        s.add_run(&catalog, r, &mut buf);
    }
    g.throughput(Throughput::Elements(1));
    g.bench_function("merge_two_worker_sets", |b| {
        b.iter(|| {
            let mut total = a.clone();
            total.merge(&other);
            total
        })
    });
    g.finish();
}

criterion_group!(benches, recording);
criterion_main!(benches);
