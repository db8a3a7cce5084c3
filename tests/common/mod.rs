//! Small hand-built scenarios shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use reesim::scenario::{self, Loaded};
use reesim::sim::run::RunOutput;

/// Two regions: `a` mines, separates and makes magnets with ample capacity; `b` has nothing but
/// `d` t/month of standard-grade defense demand, so everything `b` uses is imported from `a`.
/// Commercial inventories are zero everywhere. `extra` is appended (controls, stockpiles).
pub fn importer_exporter(d: f64, horizon: usize, extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "importer-exporter"
start = "2030-01"
horizon_months = {horizon}

[grades.standard]
ndpr_oxide_t = 0.25
dytb_oxide_t = 0.0
[grades.high_temp]
ndpr_oxide_t = 0.24
dytb_oxide_t = 0.03

[[regions.a.mines]]
name = "big"
capacity_t = 1000000
ndpr_share = 0.2
dytb_share = 0.01
[[regions.a.separation]]
name = "sep"
light_capacity_t = 100000
heavy_capacity_t = 10000
[[regions.a.magnet_plants]]
name = "mag"
capacity_t = 1000000
[regions.a.sectors.ev]
demand_t = 1200
high_temp_share = 0.5
priority = 2

[regions.b.sectors.defense]
demand_t = {annual}
high_temp_share = 0.0
priority = 1
{extra}
"#,
        annual = d * 12.0
    )
}

/// A deterministic three-region chain with growth, inventories and trade in every commodity and
/// enough capacity everywhere: no disruption, so no unmet demand.
pub fn three_regions_ample() -> String {
    r#"
[scenario]
name = "three-regions"
start = "2025-01"
horizon_months = 36

[grades.standard]
ndpr_oxide_t = 0.2
dytb_oxide_t = 0.0
[grades.high_temp]
ndpr_oxide_t = 0.19
dytb_oxide_t = 0.02

[regions.china.inventory_days]
concentrate = 60
light_oxide = 60
heavy_oxide = 60
magnet_standard = 30
magnet_high_temp = 30
[[regions.china.mines]]
name = "rock"
capacity_t = 120000
ndpr_share = 0.2
dytb_share = 0.004
growth = 0.08
[[regions.china.mines]]
name = "clay"
capacity_t = 40000
ndpr_share = 0.15
dytb_share = 0.06
growth = 0.08
[[regions.china.separation]]
name = "sep"
light_capacity_t = 90000
heavy_capacity_t = 6000
recovery = 0.95
growth = 0.08
[[regions.china.magnet_plants]]
name = "mag"
capacity_t = 400000
growth = 0.08
[regions.china.sectors.ev]
demand_t = 60000
growth = 0.05
high_temp_share = 0.9
priority = 2
[regions.china.sectors.other]
demand_t = 100000
growth = 0.03
high_temp_share = 0.2
priority = 3

[regions.japan.inventory_days]
light_oxide = 60
heavy_oxide = 90
magnet_standard = 45
magnet_high_temp = 45
[[regions.japan.magnet_plants]]
name = "shin_etsu"
capacity_t = 20000
[regions.japan.sectors.ev]
demand_t = 12000
growth = 0.05
high_temp_share = 0.9
priority = 2
[regions.japan.sectors.electronics]
demand_t = 10000
growth = 0.02
high_temp_share = 0.05
priority = 3

[regions.rest.inventory_days]
concentrate = 30
magnet_standard = 25
magnet_high_temp = 25
[[regions.rest.mines]]
name = "pass"
capacity_t = 150000
ndpr_share = 0.16
dytb_share = 0.001
[[regions.rest.separation]]
name = "lynas"
light_capacity_t = 5000
heavy_capacity_t = 50
recovery = 0.95
[regions.rest.sectors.wind]
demand_t = 9000
growth = 0.06
high_temp_share = 0.6
priority = 2
[regions.rest.sectors.defense]
demand_t = 2000
high_temp_share = 0.9
priority = 1
"#
    .to_string()
}

pub fn load_str(text: &str) -> Loaded {
    load_at(Path::new("test.toml"), text)
}

/// Parses `text` as if it were the file `path` (relative `extends` resolve from its directory).
pub fn load_at(path: &Path, text: &str) -> Loaded {
    match scenario::parse(path, text) {
        Ok(l) => l,
        Err(e) => panic!("test scenario invalid:\n{e}"),
    }
}

pub fn repo_scenario(name: &str) -> String {
    std::fs::read_to_string(scenarios_dir().join(name)).expect("shipped scenario")
}

pub fn scenarios_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// A scenario in the shipped scenarios directory that extends `parent` with `extra`.
pub fn extending(parent: &str, extra: &str) -> Loaded {
    let text = format!("extends = \"{parent}\"\n{extra}");
    load_at(&scenarios_dir().join("test-only.toml"), &text)
}

/// Total unmet end-use demand of a run, t.
pub fn unmet(out: &RunOutput) -> f64 {
    out.records
        .iter()
        .flat_map(|r| r.unmet.iter().flatten())
        .map(|u| u[0] + u[1])
        .sum()
}

/// A ban from region `a` on every commodity, from `start` for `duration` months (None: to the
/// horizon).
pub fn ban_from_a(start: usize, duration: Option<usize>) -> String {
    let mut s = format!(
        "\n[[controls]]\nname = \"ban\"\norigin = \"a\"\ncommodities = [\"all\"]\ntype = \"ban\"\nstart_month = {start}\n"
    );
    if let Some(d) = duration {
        s += &format!("duration_months = {d}\n");
    }
    s
}

/// Highest price index of commodity `c` in region `r` over a run.
pub fn peak(out: &RunOutput, r: usize, c: reesim::model::Commodity) -> f64 {
    out.records
        .iter()
        .map(|rec| rec.prices[r][c as usize])
        .fold(0.0, f64::max)
}
