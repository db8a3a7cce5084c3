//! The JSON Schema of scenario files, checked with a real validator (the `jsonschema` crate):
//! the shipped copy is what `reesim schema` prints, every shipped scenario passes, and for every
//! numeric key of the rules table the schema and `reesim validate` accept and refuse the same
//! values at the ends of its range. docs/scenarios.md's parameter table is the rules table.
//! `UPDATE_SCHEMA=1 cargo test --test schema` rewrites the shipped schema and that table.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use reesim::scenario::rules::{self, IfAbsent, Kind, RULES};
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&reesim::scenario::json_schema()).unwrap();
    assert!(
        jsonschema::draft7::meta::is_valid(&schema),
        "not a valid draft-07 schema"
    );
    jsonschema::draft7::new(&schema).unwrap()
}

/// A scenario's TOML text as the JSON value an editor's validator sees.
fn as_json(text: &str) -> Value {
    let v: toml::Value = toml::from_str(text).unwrap();
    serde_json::to_value(v).unwrap()
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn update() -> bool {
    std::env::var_os("UPDATE_SCHEMA").is_some()
}

#[test]
fn the_shipped_schema_is_what_reesim_schema_prints() {
    let out = Command::cargo_bin("reesim")
        .unwrap()
        .arg("schema")
        .assert()
        .success();
    let printed = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(printed, reesim::scenario::json_schema());
    let path = root().join("schema/reesim-scenario.schema.json");
    if update() {
        std::fs::write(&path, &printed).unwrap();
        return;
    }
    let shipped = std::fs::read_to_string(&path).unwrap();
    assert!(
        shipped == printed,
        "schema/reesim-scenario.schema.json is stale: run UPDATE_SCHEMA=1 cargo test --test schema"
    );
}

const BEGIN: &str = "<!-- rules:begin -->\n";
const END: &str = "<!-- rules:end -->";

#[test]
fn the_parameter_table_of_the_docs_is_the_rules_table() {
    let path = root().join("docs/scenarios.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (a, b) = (
        text.find(BEGIN).expect("begin marker") + BEGIN.len(),
        text.find(END).expect("end marker"),
    );
    let want = rules::markdown_table();
    if update() {
        std::fs::write(&path, format!("{}{want}{}", &text[..a], &text[b..])).unwrap();
        return;
    }
    assert_eq!(
        &text[a..b],
        want,
        "docs/scenarios.md's parameter table is stale: run UPDATE_SCHEMA=1 cargo test --test schema"
    );
    // Every rule is one row.
    assert_eq!(want.lines().count(), RULES.len() + 2);
}

fn scenario_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/history"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_shipped_scenario_passes() {
    let v = validator();
    let files = scenario_files();
    assert!(files.len() >= 20, "{files:?}");
    for f in files {
        let doc = as_json(&std::fs::read_to_string(&f).unwrap());
        let e = errors(&v, &doc);
        assert!(e.is_empty(), "{}: {e:#?}", f.display());
    }
}

/// A complete scenario without `extends` that uses every table.
const FULL: &str = r#"
[scenario]
name = "full"
start = "2025-01"
horizon_months = 24

[grades.standard]
ndpr_oxide_t = 0.3
dytb_oxide_t = 0.0
[grades.high_temp]
ndpr_oxide_t = 0.3
dytb_oxide_t = 0.02

[market]
rebuild_months = 3
price_floor = 0.5
[market.expansion]
trigger_price = 2
[market.response]
elasticity = -0.1

[logistics]
transit_weeks = 4
component_months = 1
[logistics.routes.a_b]
from = "a"
to = "b"
transit_weeks = 2

[regions.a.inventory_days]
concentrate = 30
[regions.a.recycling]
scrap_share = 0.1
[[regions.a.mines]]
name = "m"
capacity_t = 1000
ndpr_share = 0.0
dytb_share = 0.0
online_month = 2
outage = { probability = 0.01, duration_months = 3 }
[[regions.a.separation]]
name = "s"
light_capacity_t = 200
heavy_capacity_t = 10
outage = { probability = 0.01, duration_months = 3 }
[[regions.a.magnet_plants]]
name = "p"
capacity_t = 500
outage = { probability = 0.01, duration_months = 3 }
[regions.a.sectors.ev]
demand_t = 300
high_temp_share = 0.5
priority = 1
growth = { dist = "uniform", min = 0.0, max = 0.1 }
[regions.b.sectors.ev]
demand_t = 300
high_temp_share = 0.5
priority = 1
growth = { dist = "uniform", min = 0.01, max = 0.1 }

[[controls]]
name = "ban"
origin = "a"
commodities = ["all"]
type = "ban"
leakage = 0.1
duration_months = 6
changes = [{ month = 3, action = "relax", share = 0.5 }, { month = 5, action = "suspend", months = 2 }]
[[controls]]
name = "quota"
origin = "a"
commodities = ["oxides"]
type = "quota"
quota_share = 0.5
onset_hazard_per_year = 0.1
[[controls]]
name = "licensing"
origin = "a"
commodities = ["magnets"]
type = "licensing"
schedule = [{ month = 0, share = 0.5 }]
delay_weeks = 2
approvals = [{ sectors = ["ev"], schedule = [{ month = 0, share = 0.2 }] }]
general_licence = [{ month = 3, destinations = ["b"] }]
[[controls]]
name = "tech"
origin = "a"
type = "technology"
delay_months = 6
slowdown = 0.5
[[controls]]
name = "tonnes"
origin = "a"
commodities = ["concentrate"]
type = "production_quota"
quota_t_per_month = 50

[[stockpiles]]
name = "t"
region = "b"
commodity = "magnet_standard"
initial_t = 100
release_on = ["control", "shortage", "price"]
refill_t_per_month = 5
refill_budget_usd = 1e6
purchase_price_usd_per_t = 1e5
[[stockpiles]]
name = "d"
region = "b"
commodity = "magnet_high_temp"
initial_days = 30

[[correlations]]
params = ["regions.a.sectors.ev.growth", "regions.b.sectors.ev.growth"]
rank_correlation = 0.5
"#;

fn loads(text: &str) -> Result<(), String> {
    reesim::scenario::parse(Path::new("t.toml"), text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn the_full_scenario_passes_both() {
    let v = validator();
    assert!(loads(FULL).is_ok(), "{:?}", loads(FULL));
    let e = errors(&v, &as_json(FULL));
    assert!(e.is_empty(), "{e:#?}");
}

/// Sets the value at an instance path such as `regions.a.mines.0.capacity_t` (the last table
/// must exist); false when the path does not lead into the document.
fn set(doc: &mut toml::Value, path: &[String], value: toml::Value) -> bool {
    let (last, parents) = path.split_last().unwrap();
    let mut at = doc;
    for p in parents {
        at = match at {
            toml::Value::Table(t) => match t.get_mut(p.as_str()) {
                Some(x) => x,
                None => return false,
            },
            toml::Value::Array(a) => match p.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) => x,
                None => return false,
            },
            _ => return false,
        };
    }
    match at {
        toml::Value::Table(t) => {
            t.insert(last.clone(), value);
            true
        }
        _ => false,
    }
}

/// Where a rule key's `*` and `[]` point in `FULL`: the first entry of each list that already
/// holds the next key (so that the key is read there, e.g. `leakage` on the ban), else the
/// first.
fn instance_path(doc: &toml::Value, key: &str) -> Vec<String> {
    let names = |at: &toml::Value| -> Vec<String> {
        at.as_table()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    };
    let parts: Vec<String> = key
        .split('.')
        .flat_map(|p| match p.strip_suffix("[]") {
            Some(n) => vec![n.to_string(), "[]".to_string()],
            None => vec![p.to_string()],
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut at = doc.clone();
    for (n, p) in parts.iter().enumerate() {
        let next = parts.get(n + 1).cloned().unwrap_or_default();
        let seg = match p.as_str() {
            "*" => names(&at).first().cloned().unwrap_or_default(),
            "[]" => {
                let a = at.as_array().cloned().unwrap_or_default();
                let i = a.iter().position(|e| e.get(&next).is_some()).unwrap_or(0);
                i.to_string()
            }
            k => k.to_string(),
        };
        at = match &at {
            toml::Value::Table(t) => t.get(&seg).cloned().unwrap_or(toml::Value::Boolean(false)),
            toml::Value::Array(a) => seg
                .parse::<usize>()
                .ok()
                .and_then(|i| a.get(i).cloned())
                .unwrap_or(toml::Value::Boolean(false)),
            _ => toml::Value::Boolean(false),
        };
        out.push(seg);
    }
    out
}

/// Values just inside and just outside a range (numbers as the kind takes them).
fn probes(kind: Kind) -> (Vec<toml::Value>, Vec<toml::Value>) {
    let (b, integer) = match kind {
        Kind::Param(b) | Kind::Number(b) => (b, false),
        Kind::Integer(b) => (b, true),
        _ => unreachable!(),
    };
    if integer {
        let (lo, hi) = (b.lo as i64, b.hi as i64);
        return (
            vec![toml::Value::Integer(lo), toml::Value::Integer(hi)],
            vec![toml::Value::Integer(lo - 1), toml::Value::Integer(hi + 1)],
        );
    }
    let step = |v: f64| 1e-6 * v.abs().max(1.0);
    let f = toml::Value::Float;
    let (lo_in, lo_out) = if b.lo_inclusive {
        (b.lo, b.lo - step(b.lo))
    } else {
        (b.lo + step(b.lo), b.lo)
    };
    let (hi_in, hi_out) = if b.hi_inclusive {
        (b.hi, b.hi + step(b.hi))
    } else {
        (b.hi - step(b.hi), b.hi)
    };
    (vec![f(lo_in), f(hi_in)], vec![f(lo_out), f(hi_out)])
}

/// For every numeric key of the rules table (at every place its key stands for), values just
/// inside its range pass both the schema and the loader, and values just outside fail both;
/// for parameters, so do distributions reaching to (beyond) the ends.
#[test]
fn the_schema_and_validation_agree_at_the_ends_of_every_range() {
    let v = validator();
    let base: toml::Value = toml::from_str(FULL).unwrap();
    let mut checked = 0;
    for r in RULES {
        if !matches!(r.kind, Kind::Param(_) | Kind::Integer(_) | Kind::Number(_)) {
            continue;
        }
        for key in rules::expand(r.key) {
            let path = instance_path(&base, &key);
            let (inside, outside) = probes(r.kind);
            let mut cases: Vec<(toml::Value, bool)> = inside
                .into_iter()
                .map(|x| (x, true))
                .chain(outside.into_iter().map(|x| (x, false)))
                .collect();
            if let Kind::Param(b) = r.kind {
                let dist = |lo: f64, hi: f64| {
                    toml::Value::try_from(json!({ "dist": "uniform", "min": lo, "max": hi }))
                        .unwrap()
                };
                cases.push((dist(b.lo, b.hi), true));
                cases.push((dist(b.lo - 1e-6 * b.lo.abs().max(1.0), b.hi), false));
                cases.push((dist(b.lo, b.hi + 1e-6 * b.hi.abs().max(1.0)), false));
            }
            for (value, ok) in cases {
                let mut doc = base.clone();
                if path.last().is_some_and(|k| k == "growth") {
                    // A fixed growth is no longer sampled, so it cannot be correlated.
                    doc.as_table_mut().unwrap().remove("correlations");
                }
                assert!(set(&mut doc, &path, value.clone()), "{key}: {path:?}");
                let text = toml::to_string(&doc).unwrap();
                let by_schema = errors(&v, &serde_json::to_value(&doc).unwrap());
                let by_loader = loads(&text);
                let shown = format!("{key} = {value} at {}", path.join("."));
                if ok {
                    assert!(
                        by_schema.is_empty(),
                        "{shown}: schema refuses: {by_schema:#?}"
                    );
                    assert!(
                        by_loader.is_ok(),
                        "{shown}: validate refuses: {by_loader:?}"
                    );
                } else {
                    assert!(!by_schema.is_empty(), "{shown}: schema accepts");
                    assert!(by_loader.is_err(), "{shown}: validate accepts");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

fn validate_exit(text: &str) -> i32 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    Command::cargo_bin("reesim")
        .unwrap()
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap()
        .status
        .code()
        .unwrap()
}

/// The same through the command line, for a sample of keys: `reesim validate` exits 0 for a
/// value just inside the range and 2 for one just outside, as the schema accepts and refuses.
#[test]
fn reesim_validate_and_the_schema_agree_on_a_sample() {
    let v = validator();
    for (line, inside, outside) in [
        ("capacity_t = 1000", "capacity_t = 0", "capacity_t = -1"),
        ("price_floor = 0.5", "price_floor = 1e-9", "price_floor = 0"),
        ("leakage = 0.1", "leakage = 1", "leakage = 1.5"),
        (
            "horizon_months = 24",
            "horizon_months = 1200",
            "horizon_months = 1201",
        ),
        (
            "rank_correlation = 0.5",
            "rank_correlation = -0.99",
            "rank_correlation = -1",
        ),
        (
            "purchase_price_usd_per_t = 1e5",
            "purchase_price_usd_per_t = 1e15",
            "purchase_price_usd_per_t = 0",
        ),
    ] {
        assert_eq!(FULL.matches(line).count(), 1, "{line}");
        for (value, ok) in [(inside, true), (outside, false)] {
            let text = FULL.replace(line, value);
            let schema_ok = v.is_valid(&as_json(&text));
            assert_eq!(schema_ok, ok, "schema on {value}");
            assert_eq!(validate_exit(&text), if ok { 0 } else { 2 }, "{value}");
        }
    }
}

#[test]
fn unknown_keys_and_values_out_of_range_fail() {
    let v = validator();
    for (from, to) in [
        ("rebuild_months = 3", "rebuild_monthz = 3"),
        ("[regions.a.recycling]", "[regions.a.recyclin]"),
        ("scrap_share = 0.1", "scrap_share = 1.5"),
        ("capacity_t = 1000", "capacity_t = -5"),
        ("type = \"ban\"", "type = \"embargo\""),
        ("commodities = [\"all\"]", "commodities = [\"gold\"]"),
        ("commodities = [\"all\"]", "commodities = []"),
        (
            "growth = { dist = \"uniform\", min = 0.0, max = 0.1 }",
            "growth = { dist = \"uniform\", min = 0.0, max = 0.1, mode = 0.05 }",
        ),
        (
            "growth = { dist = \"uniform\", min = 0.0, max = 0.1 }",
            "growth = { dist = \"normal\", mean = 0.05, sd = 0.01 }",
        ),
        ("leakage = 0.1", "leakage = 0.1\nquota_share = 0.5"),
        ("name = \"ban\"", "name = \"all\""),
        ("start = \"2025-01\"", "start = \"2025-13\""),
        ("initial_days = 30", "initial_days = 30\ninitial_t = 5"),
        ("slowdown = 0.5", "slowdown = inf"),
    ] {
        assert_eq!(FULL.matches(from).count(), 1, "{from}");
        let text = FULL.replacen(from, to, 1);
        assert!(!v.is_valid(&as_json(&text)), "schema accepts {to}");
        assert!(loads(&text).is_err(), "validate accepts {to}");
    }
}

#[test]
fn required_keys_apply_to_files_without_extends() {
    let v = validator();
    // Without `extends`, the grades are required; with it, they may be inherited.
    let no_grades = FULL.replace("[grades.standard]", "[grades_standard]");
    let doc: toml::Value = toml::from_str(FULL).unwrap();
    let mut t = doc.as_table().unwrap().clone();
    t.remove("grades");
    let without = serde_json::to_value(&t).unwrap();
    assert!(!v.is_valid(&without));
    t.insert(
        "extends".into(),
        toml::Value::String("baseline.toml".into()),
    );
    let with = serde_json::to_value(&t).unwrap();
    assert!(v.is_valid(&with), "{:#?}", errors(&v, &with));
    assert!(!v.is_valid(&as_json(&no_grades)));
    // `remove = true` only under `extends`; an entry's name always.
    let removal = json!({
        "extends": "baseline.toml",
        "stockpiles": [{ "name": "row_magnet_standard", "remove": true }],
    });
    assert!(v.is_valid(&removal), "{:#?}", errors(&v, &removal));
    let mut stray = as_json(FULL);
    stray["stockpiles"][0]["remove"] = json!(true);
    assert!(!v.is_valid(&stray));
    let nameless = json!({ "extends": "baseline.toml", "controls": [{ "duration_months": 3 }] });
    assert!(!v.is_valid(&nameless));
    // Entries of lists replaced whole are complete even under `extends`.
    let step = json!({
        "extends": "baseline.toml",
        "controls": [{ "name": "total_ban", "schedule": [{ "month": 0 }] }],
    });
    assert!(!v.is_valid(&step));
    // A default in the schema is the default validation applies.
    let schema: Value = serde_json::from_str(&reesim::scenario::json_schema()).unwrap();
    let floor = &schema["properties"]["market"]["properties"]["price_floor"];
    assert_eq!(
        floor["default"],
        json!(match rules::get("market.price_floor").default {
            IfAbsent::Number(x) => x,
            _ => unreachable!(),
        })
    );
}
