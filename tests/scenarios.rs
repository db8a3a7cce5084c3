//! Every shipped scenario validates and runs a few hundred runs, with mass balance intact.

mod common;

use std::path::{Path, PathBuf};

use reesim::model::chain::mass_balance_error;
use reesim::sim::run::simulate;
use reesim::sim::runner::{self, Settings};

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            scenario_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let mut files = Vec::new();
    scenario_files(&common::scenarios_dir(), &mut files);
    files.sort();
    for required in [
        "baseline.toml",
        "total-ban-6m.toml",
        "total-ban-12m.toml",
        "total-ban-24m.toml",
        "total-ban-12m-stockpile.toml",
        "heavy-only-ban-12m.toml",
        "defense-denial.toml",
        "graduated-tightening.toml",
        "random-onset-15pct.toml",
        "reciprocal-concentrate-ban.toml",
        "total-ban-12m-stockpile-30d.toml",
        "total-ban-12m-stockpile-60d.toml",
        "total-ban-12m-stockpile-90d.toml",
        "total-ban-12m-stockpile-180d.toml",
        "japan-jogmec-60d.toml",
        "korea-100d.toml",
        "history/2010-quota.toml",
        "history/2021-myanmar-border.toml",
        "history/2025-04-licensing.toml",
        "history/2025-10-expanded.toml",
    ] {
        assert!(
            files.contains(&common::scenarios_dir().join(required)),
            "missing scenarios/{required}"
        );
    }
    for f in &files {
        let l = reesim::scenario::load(f).unwrap_or_else(|e| panic!("{}:\n{e}", f.display()));
        let sc = &l.scenario;
        let r = runner::run(
            sc,
            Settings::mc(200, 1, 2),
            None,
            &mut |_, _| Ok(()),
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for (m, key) in r.outcomes.keys.iter().enumerate() {
            let values = r.metric(m).unwrap();
            assert_eq!(values.len(), 200);
            if key.metric != "stockpile_depleted_month"
                && key.metric != "stockpile_min_cover_months"
            {
                assert!(
                    values.iter().all(|v| v.is_finite()),
                    "{}: {} not finite",
                    f.display(),
                    key.column()
                );
            }
        }
        let commodities: Vec<_> = sc.stockpiles.iter().map(|s| s.commodity).collect();
        for run in 0..3 {
            let out = simulate(sc, 1, run);
            for rec in &out.records {
                let e = mass_balance_error(&out.params, rec, &commodities);
                assert!(
                    e < 1e-6,
                    "{}: run {run}: mass balance off by {e} t",
                    f.display()
                );
            }
        }
    }
}
