//! Structure-aware: a shipped scenario (resolved) with a few edits, each setting the value at
//! one path of the document (a key, a table, an array entry) to something arbitrary, or
//! removing it. Then load, validate and, when valid, a short simulation.
#![no_main]

mod common;

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use toml::{Table, Value};

#[derive(Arbitrary, Debug)]
struct Input {
    scenario: u8,
    edits: Vec<Edit>,
}

#[derive(Arbitrary, Debug)]
struct Edit {
    /// Index into the scenario's paths (modulo their number).
    at: u16,
    value: NewValue,
}

#[derive(Arbitrary, Debug)]
enum NewValue {
    Extreme(u8),
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    Remove,
    EmptyArray,
    EmptyTable,
    Uniform(f64, f64),
    Triangular(f64, f64, f64),
    Pert(f64, f64, f64),
    Normal(f64, f64, Option<f64>, Option<f64>),
    Lognormal(f64, f64, Option<f64>, Option<f64>),
}

const EXTREMES: [f64; 10] = [
    0.0,
    -1.0,
    1e-300,
    1e308,
    -1e308,
    f64::MIN_POSITIVE,
    1.0,
    0.5,
    12.0,
    1e9,
];

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// A shipped scenario, resolved, with every path in it.
struct Base {
    doc: Value,
    paths: Vec<Vec<Step>>,
}

fn paths(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                at.push(Step::Key(k.clone()));
                out.push(at.clone());
                paths(x, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(Step::Index(i));
                out.push(at.clone());
                paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn bases() -> &'static [Base] {
    static BASES: OnceLock<Vec<Base>> = OnceLock::new();
    BASES.get_or_init(|| {
        let dir = common::input_path().parent().unwrap().to_path_buf();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let loaded = reesim::scenario::load(f).expect("shipped scenarios load");
                let text = reesim::scenario::to_toml(&loaded.file);
                let doc = Value::Table(text.parse::<Table>().unwrap());
                let mut all = Vec::new();
                paths(&doc, &mut Vec::new(), &mut all);
                Base { doc, paths: all }
            })
            .collect()
    })
}

fn dist(name: &str, keys: &[(&str, Option<f64>)]) -> Value {
    let mut t = Table::new();
    t.insert("dist".into(), Value::String(name.into()));
    for (k, v) in keys {
        if let Some(v) = v {
            t.insert((*k).into(), Value::Float(*v));
        }
    }
    Value::Table(t)
}

fn value(v: &NewValue) -> Option<Value> {
    Some(match v {
        NewValue::Extreme(i) => Value::Float(EXTREMES[*i as usize % EXTREMES.len()]),
        NewValue::Int(i) => Value::Integer(*i),
        NewValue::Float(f) => Value::Float(*f),
        NewValue::Text(s) => Value::String(s.clone()),
        NewValue::Bool(b) => Value::Boolean(*b),
        NewValue::Remove => return None,
        NewValue::EmptyArray => Value::Array(Vec::new()),
        NewValue::EmptyTable => Value::Table(Table::new()),
        NewValue::Uniform(a, b) => dist("uniform", &[("min", Some(*a)), ("max", Some(*b))]),
        NewValue::Triangular(a, m, b) => dist(
            "triangular",
            &[("min", Some(*a)), ("mode", Some(*m)), ("max", Some(*b))],
        ),
        NewValue::Pert(a, m, b) => dist(
            "pert",
            &[("min", Some(*a)), ("mode", Some(*m)), ("max", Some(*b))],
        ),
        NewValue::Normal(m, s, lo, hi) => dist(
            "normal",
            &[
                ("mean", Some(*m)),
                ("sd", Some(*s)),
                ("min", *lo),
                ("max", *hi),
            ],
        ),
        NewValue::Lognormal(m, s, lo, hi) => dist(
            "lognormal",
            &[
                ("mean", Some(*m)),
                ("sd", Some(*s)),
                ("min", *lo),
                ("max", *hi),
            ],
        ),
    })
}

/// Sets (or, with None, removes) the value at `path`; false if the path no longer exists.
fn apply(doc: &mut Value, path: &[Step], new: Option<Value>) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut at = doc;
    for s in parents {
        let next = match s {
            Step::Key(k) => at.get_mut(k.as_str()),
            Step::Index(i) => at.get_mut(*i),
        };
        match next {
            Some(n) => at = n,
            None => return false,
        }
    }
    match (last, at, new) {
        (Step::Key(k), Value::Table(t), Some(v)) => {
            t.insert(k.clone(), v);
        }
        (Step::Key(k), Value::Table(t), None) => {
            t.remove(k);
        }
        (Step::Index(i), Value::Array(a), Some(v)) if *i < a.len() => a[*i] = v,
        (Step::Index(i), Value::Array(a), None) if *i < a.len() => {
            a.remove(*i);
        }
        _ => return false,
    }
    true
}

fuzz_target!(|input: Input| {
    let bases = bases();
    let base = &bases[input.scenario as usize % bases.len()];
    let mut doc = base.doc.clone();
    for e in input.edits.iter().take(4) {
        let path = &base.paths[e.at as usize % base.paths.len()];
        apply(&mut doc, path, value(&e.value));
    }
    // Non-finite floats have no TOML form that `toml` writes back; skip such edits.
    let Ok(text) = toml::to_string(&doc) else {
        return;
    };
    common::check(&text);
});
