//! A JSON Schema (draft-07) of scenario files, generated from the rules table (`rules::RULES`),
//! for editors and other tools. `reesim schema` prints it; schema/reesim-scenario.schema.json is
//! a copy.
//!
//! What it checks: every table and key (unknown keys are refused, as the loader refuses them),
//! the type of every value, the range of every number (and of every value a distribution can
//! produce), the allowed strings, the keys each control type takes, and the keys that must be
//! given. A file with `extends` inherits tables from the file it extends, so there only the
//! keys that are never inherited are required (an entry's `name`, the keys of a distribution or
//! of an entry of a list that is replaced whole such as `schedule` or `changes`).
//!
//! What only `reesim validate` checks: references to names defined elsewhere in the scenario
//! (regions, sectors, controls, parameter keys), uniqueness of names, orderings between
//! numbers (a distribution's `min <= mode <= max`, a schedule's months, a mine's two shares
//! summing to at most 1), the correlation matrix, the horizon's end date, and whatever a file
//! inherits through `extends`.

use serde_json::{Map, Value, json};

use super::rules::{Bounds, IfAbsent, Kind, RULES, Rule, control_type_keys, control_types_of};
use crate::model::dist::{LOGNORMAL_CV, MAX_DIST_NUMBER, number as number_text};

/// Where the schema's definitions live (draft-07).
const DEFS: &str = "definitions";

/// A name: what `validate` accepts for regions, sectors and named entries.
const NAME_PATTERN: &str = "^[A-Za-z][A-Za-z0-9_-]{0,63}$";

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    /// A key of the user's choosing (`*`).
    Any,
    /// Each entry of a list (`[]`).
    Item,
}

#[derive(Debug, Default)]
struct Node {
    rule: Option<&'static Rule>,
    children: Vec<(Seg, Node)>,
}

impl Node {
    fn child(&self, seg: &Seg) -> Option<&Node> {
        self.children.iter().find(|(s, _)| s == seg).map(|(_, n)| n)
    }

    fn insert(&mut self, segs: &[Seg], rule: &'static Rule) {
        let Some((first, rest)) = segs.split_first() else {
            self.rule = Some(rule);
            return;
        };
        let i = match self.children.iter().position(|(s, _)| s == first) {
            Some(i) => i,
            None => {
                self.children.push((first.clone(), Node::default()));
                self.children.len() - 1
            }
        };
        self.children[i].1.insert(rest, rule);
    }

    /// A list whose entries merge by `name` under `extends`.
    fn is_named_list(&self) -> bool {
        self.child(&Seg::Item)
            .is_some_and(|item| item.child(&Seg::Key("name".into())).is_some())
    }
}

fn segments(key: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in key.split('.') {
        if part == "*" {
            out.push(Seg::Any);
        } else if let Some(name) = part.strip_suffix("[]") {
            out.push(Seg::Key(name.to_string()));
            out.push(Seg::Item);
        } else {
            out.push(Seg::Key(part.to_string()));
        }
    }
    out
}

fn tree() -> Node {
    let mut root = Node::default();
    for r in RULES {
        for key in super::rules::expand(r.key) {
            root.insert(&segments(&key), r);
        }
    }
    root
}

fn path_join(path: &str, seg: &Seg) -> String {
    let s = match seg {
        Seg::Key(k) => k.as_str(),
        Seg::Any => "*",
        Seg::Item => return format!("{path}[]"),
    };
    if path.is_empty() {
        s.to_string()
    } else {
        format!("{path}.{s}")
    }
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/{DEFS}/{name}") })
}

/// A number's range as schema keywords, clipped to `[-clip, clip]`.
fn range(m: &mut Map<String, Value>, b: &Bounds, clip: f64) {
    let lo = b.lo.max(-clip);
    let hi = b.hi.min(clip);
    if b.lo_inclusive || lo > b.lo {
        m.insert("minimum".into(), json!(lo));
    } else {
        m.insert("exclusiveMinimum".into(), json!(lo));
    }
    if b.hi_inclusive || hi < b.hi {
        m.insert("maximum".into(), json!(hi));
    } else {
        m.insert("exclusiveMaximum".into(), json!(hi));
    }
}

fn number(b: &Bounds, ty: &str) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(ty));
    range(&mut m, b, f64::INFINITY);
    Value::Object(m)
}

/// Every value a distribution produces must lie in the key's range, ends included.
fn support(b: &Bounds) -> Bounds {
    Bounds {
        lo_inclusive: true,
        hi_inclusive: true,
        ..*b
    }
}

fn dist_number(b: &Bounds) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("number"));
    range(&mut m, &support(b), MAX_DIST_NUMBER);
    Value::Object(m)
}

fn any_dist_number() -> Value {
    json!({ "type": "number", "minimum": -MAX_DIST_NUMBER, "maximum": MAX_DIST_NUMBER })
}

fn dist_table(name: &str, required: &[&str], props: Vec<(&str, Value)>) -> Value {
    let mut p = Map::new();
    p.insert("dist".into(), json!({ "const": name }));
    for (k, v) in props {
        p.insert(k.into(), v);
    }
    json!({
        "type": "object",
        "title": name,
        "properties": p,
        "required": required,
        "additionalProperties": false,
    })
}

/// A number or a distribution whose every value lies in `b`.
fn param_definition(b: &Bounds) -> Value {
    let v = || dist_number(b);
    let sd = json!({ "type": "number", "exclusiveMinimum": 0.0, "maximum": MAX_DIST_NUMBER });
    let lognormal_min = if b.lo > 0.0 { v() } else { any_dist_number() };
    let mut lognormal_required = vec!["dist", "mean", "sd", "max"];
    if b.lo > 0.0 {
        lognormal_required.push("min");
    }
    json!({
        "description": format!(
            "{} (a number or a distribution; a distribution's min <= mode <= max, a truncation's min < max, a lognormal's sd between {} and {} times its mean)",
            b.what,
            number_text(LOGNORMAL_CV.0),
            number_text(LOGNORMAL_CV.1)
        ),
        "oneOf": [
            number(b, "number"),
            dist_table("uniform", &["dist", "min", "max"], vec![("min", v()), ("max", v())]),
            dist_table("triangular", &["dist", "min", "mode", "max"], vec![("min", v()), ("mode", v()), ("max", v())]),
            dist_table("pert", &["dist", "min", "mode", "max"], vec![("min", v()), ("mode", v()), ("max", v())]),
            dist_table("normal", &["dist", "mean", "sd", "min", "max"], vec![("mean", any_dist_number()), ("sd", sd.clone()), ("min", v()), ("max", v())]),
            dist_table("lognormal", &lognormal_required, vec![
                ("mean", json!({ "type": "number", "exclusiveMinimum": 0.0, "maximum": MAX_DIST_NUMBER })),
                ("sd", sd),
                ("min", lognormal_min),
                ("max", v()),
            ]),
        ],
    })
}

struct Gen {
    defs: Map<String, Value>,
}

impl Gen {
    fn describe(r: &Rule, mut m: Map<String, Value>) -> Value {
        let mut d = r.full_description();
        if !r.unit.is_empty() {
            d.push_str(&format!(" Unit: {}.", r.unit));
        }
        match r.default {
            IfAbsent::Number(v) => {
                m.insert("default".into(), json!(v));
            }
            IfAbsent::Text(s) => {
                m.insert("default".into(), json!(s));
            }
            IfAbsent::Bool(b) => {
                m.insert("default".into(), json!(b));
            }
            IfAbsent::Note(s) => d.push_str(&format!(" Default: {s}.")),
            IfAbsent::Required | IfAbsent::Optional => {}
        }
        m.insert("description".into(), json!(d));
        Value::Object(m)
    }

    fn leaf(&mut self, r: &'static Rule) -> Value {
        let names = |nonempty: bool| {
            let mut m = json!({ "type": "array", "items": reference("name") });
            if nonempty {
                m["minItems"] = json!(1);
            }
            m
        };
        let schema = match r.kind {
            Kind::Param(b) => {
                let id = format!("param_{}", b.id);
                self.defs
                    .entry(id.clone())
                    .or_insert_with(|| param_definition(&b));
                json!({ "allOf": [reference(&id)] })
            }
            Kind::Integer(b) => number(&b, "integer"),
            Kind::Number(b) => number(&b, "number"),
            Kind::Text | Kind::Path => json!({ "type": "string" }),
            Kind::Month => json!({ "type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$" }),
            Kind::Name => json!({ "allOf": [reference("name")] }),
            Kind::Names { nonempty } => names(nonempty),
            Kind::ParamPair => {
                json!({ "type": "array", "items": { "type": "string" }, "minItems": 2, "maxItems": 2 })
            }
            Kind::Choice(v) => json!({ "type": "string", "enum": v }),
            Kind::Choices { values, nonempty } => {
                let mut m =
                    json!({ "type": "array", "items": { "type": "string", "enum": values } });
                if nonempty {
                    m["minItems"] = json!(1);
                }
                m
            }
            Kind::Bool => json!({ "type": "boolean" }),
            Kind::Remove => json!({ "type": "boolean", "enum": [true] }),
            Kind::Table | Kind::Map { .. } | Kind::List => {
                unreachable!("containers are not leaves")
            }
        };
        match schema {
            Value::Object(m) => Self::describe(r, m),
            _ => unreachable!("schemas here are objects"),
        }
    }

    /// The schema of a node that holds in every file. `whole`: the node is inside an entry of a
    /// list that is replaced whole under `extends`, so its required keys are always required.
    fn base(&mut self, node: &Node, path: &str, whole: bool) -> Value {
        if let Some(r) = node.rule
            && !matches!(r.kind, Kind::Table | Kind::Map { .. } | Kind::List)
        {
            return self.leaf(r);
        }
        let mut m = Map::new();
        if let Some(item) = node.child(&Seg::Item) {
            let whole = whole || !node.is_named_list();
            m.insert("type".into(), json!("array"));
            m.insert(
                "items".into(),
                self.base(item, &path_join(path, &Seg::Item), whole),
            );
        } else if let Some(any) = node.child(&Seg::Any) {
            m.insert("type".into(), json!("object"));
            if matches!(node.rule.map(|r| r.kind), Some(Kind::Map { names: true })) {
                m.insert("propertyNames".into(), reference("name"));
            }
            if path == "regions" {
                m.insert(
                    "maxProperties".into(),
                    json!(crate::model::lot::MAX_REGIONS),
                );
            }
            m.insert(
                "additionalProperties".into(),
                self.base(any, &path_join(path, &Seg::Any), whole),
            );
        } else {
            m.insert("type".into(), json!("object"));
            let mut props = Map::new();
            let mut required = Vec::new();
            for (seg, child) in &node.children {
                let Seg::Key(k) = seg else { continue };
                props.insert(k.clone(), self.base(child, &path_join(path, seg), whole));
                let always = whole || k == "name" && path.ends_with("[]");
                if always && child.rule.is_some_and(|r| r.default == IfAbsent::Required) {
                    required.push(k.clone());
                }
            }
            m.insert("properties".into(), Value::Object(props));
            m.insert("additionalProperties".into(), json!(false));
            if !required.is_empty() {
                m.insert("required".into(), json!(required));
            }
            if let Some(extra) = base_constraints(path) {
                m.insert("allOf".into(), extra);
            }
        }
        match node.rule {
            Some(r) => Self::describe(r, m),
            None => Value::Object(m),
        }
    }
}

/// The keys that must be given in a file without `extends` (and are not already required by
/// `base`), or None when nothing below the node is.
fn overlay(node: &Node, path: &str) -> Option<Value> {
    let mut m = Map::new();
    if let Some(item) = node.child(&Seg::Item) {
        if !node.is_named_list() {
            return None;
        }
        let mut o = overlay(item, &path_join(path, &Seg::Item))?;
        // `remove = true` only under `extends`.
        o["not"] = json!({ "required": ["remove"] });
        m.insert("items".into(), o);
    } else if let Some(any) = node.child(&Seg::Any) {
        if path == "regions" {
            m.insert("minProperties".into(), json!(1));
        }
        if let Some(o) = overlay(any, &path_join(path, &Seg::Any)) {
            m.insert("additionalProperties".into(), o);
        }
    } else {
        let mut props = Map::new();
        let mut required = Vec::new();
        for (seg, child) in &node.children {
            let Seg::Key(k) = seg else { continue };
            if child.rule.is_some_and(|r| r.default == IfAbsent::Required) {
                required.push(k.clone());
            }
            if let Some(o) = overlay(child, &path_join(path, seg)) {
                props.insert(k.clone(), o);
            }
        }
        if !required.is_empty() {
            m.insert("required".into(), json!(required));
        }
        if !props.is_empty() {
            m.insert("properties".into(), Value::Object(props));
        }
        if let Some(extra) = complete_constraints(path) {
            m.insert("allOf".into(), extra);
        }
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

fn when_type(t: &str, then: Value) -> Value {
    json!({
        "if": { "properties": { "type": { "const": t } }, "required": ["type"] },
        "then": then,
    })
}

/// Rules between keys of one table that hold in every file.
fn base_constraints(path: &str) -> Option<Value> {
    let not_both = |a: &str, b: &str| json!({ "not": { "required": [a, b] } });
    let v = match path {
        "controls[]" => {
            let mut all = vec![not_both("start_month", "onset_hazard_per_year")];
            for t in super::rules::CONTROL_TYPES {
                let refused: Map<String, Value> = control_type_keys()
                    .filter(|k| control_types_of(k).is_some_and(|ts| !ts.contains(t)))
                    .map(|k| (k.to_string(), json!(false)))
                    .collect();
                all.push(when_type(t, json!({ "properties": refused })));
            }
            all
        }
        "controls[].changes[]" => vec![
            json!({
                "if": { "properties": { "action": { "const": "suspend" } }, "required": ["action"] },
                "then": { "properties": { "share": false } },
            }),
            json!({
                "if": { "properties": { "action": { "const": "relax" } }, "required": ["action"] },
                "then": { "required": ["share"] },
            }),
        ],
        "controls[].approvals[]" | "controls[].general_licence[]" => vec![json!({
            "anyOf": [
                { "required": ["destinations"], "properties": { "destinations": { "minItems": 1 } } },
                { "required": ["sectors"], "properties": { "sectors": { "minItems": 1 } } },
            ]
        })],
        "stockpiles[]" => vec![not_both("initial_t", "initial_days")],
        _ => return None,
    };
    Some(json!(v))
}

/// Rules between keys of one table that hold in a file without `extends`.
fn complete_constraints(path: &str) -> Option<Value> {
    let one_of = |keys: &[&str]| json!({ "oneOf": keys.iter().map(|k| json!({ "required": [k] })).collect::<Vec<_>>() });
    let v = match path {
        "controls[]" => vec![
            when_type("licensing", json!({ "required": ["schedule"] })),
            when_type("end_use_denial", json!({ "required": ["sectors"] })),
            json!({
                "if": { "properties": { "type": { "const": "technology" } }, "required": ["type"] },
                "else": { "required": ["commodities"] },
            }),
            when_type(
                "quota",
                one_of(&["quota_share", "quota_t_per_month", "schedule"]),
            ),
            when_type(
                "production_quota",
                one_of(&["quota_share", "quota_t_per_month", "schedule"]),
            ),
        ],
        "stockpiles[]" => vec![
            one_of(&["initial_t", "initial_days"]),
            json!({ "dependencies": {
                "refill_budget_usd": ["purchase_price_usd_per_t"],
                "purchase_price_usd_per_t": ["refill_budget_usd"],
            } }),
        ],
        _ => return None,
    };
    Some(json!(v))
}

/// The JSON Schema (draft-07) of a scenario file, as pretty-printed JSON text ending in a
/// newline.
pub fn json_schema() -> String {
    let root = tree();
    let mut g = Gen { defs: Map::new() };
    let base = g.base(&root, "", false);
    let Value::Object(mut schema) = base else {
        unreachable!("the root is a table")
    };
    g.defs.insert(
        "name".into(),
        json!({
            "description": "ASCII letters, digits, `_` and `-`, starting with a letter, at most 64 characters, other than `all`.",
            "type": "string",
            "pattern": NAME_PATTERN,
            "not": { "const": crate::stats::registry::ALL },
        }),
    );
    schema.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    schema.insert("title".into(), json!("reesim scenario"));
    schema.insert(
        "description".into(),
        json!(format!(
            "A scenario file of reesim {} (docs/scenarios.md). A file with `extends` inherits the tables of the file it extends, so only the keys that are never inherited are required in it.",
            env!("CARGO_PKG_VERSION")
        )),
    );
    schema.insert("if".into(), json!({ "required": ["extends"] }));
    if let Some(o) = overlay(&root, "") {
        schema.insert("else".into(), o);
    }
    schema.insert(DEFS.into(), Value::Object(g.defs));
    let mut text = serde_json::to_string_pretty(&Value::Object(schema))
        .expect("a JSON value always serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_json_with_every_table() {
        let v: Value = serde_json::from_str(&json_schema()).unwrap();
        assert_eq!(v["additionalProperties"], json!(false));
        let mine = &v["properties"]["regions"]["additionalProperties"]["properties"]["mines"]["items"]
            ["properties"];
        assert!(
            mine["capacity_t"]["description"]
                .as_str()
                .unwrap()
                .contains("t REO / year")
        );
        assert_eq!(
            v[DEFS]["param_share"]["oneOf"][0],
            json!({ "type": "number", "minimum": 0.0, "maximum": 1.0 })
        );
        assert_eq!(
            v[DEFS]["param_growth"]["oneOf"][0],
            json!({ "type": "number", "exclusiveMinimum": -1.0, "maximum": 10.0 })
        );
        // Required lists apply to files without `extends` only.
        assert_eq!(v["if"], json!({ "required": ["extends"] }));
        assert_eq!(
            v["else"]["required"],
            json!(["scenario", "grades", "regions"])
        );
        assert!(v.get("required").is_none());
    }
}
