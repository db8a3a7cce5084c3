//! `reesim sweep`: a full factorial grid over scenario values addressed by dotted paths.
//!
//! A path names a value in the resolved scenario the way its keys read, with list entries by
//! name: `stockpiles.row_magnet_standard.initial_days`, `regions.china.mines.hard_rock.capacity_t`,
//! `market.price_response`. Each grid point is a small scenario that extends the swept file and
//! sets the values, so it is checked by exactly the rules of a file (an invalid value is a
//! diagnostic pointing at the `--set` it came from).

use std::path::Path;

use crate::scenario::{self, LoadError, Loaded};

/// One `--set PATH=V1,V2,...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub path: String,
    /// TOML value texts.
    pub values: Vec<String>,
}

/// Splits on commas outside quotes, braces and brackets.
fn split_values(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for ch in s.chars() {
        match ch {
            '"' => quoted = !quoted,
            '{' | '[' if !quoted => depth += 1,
            '}' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The largest size of a number in `--set` (values, range ends and steps); scenario values are
/// all far smaller.
pub const MAX_SET_NUMBER: f64 = 1e15;

/// A number as written that is beyond [`MAX_SET_NUMBER`] (or not finite): the message, with
/// the number as written.
fn out_of_range(text: &str) -> Option<String> {
    let v: f64 = text.trim().replace('_', "").parse().ok()?;
    (v.is_nan() || v.abs() > MAX_SET_NUMBER).then(|| {
        format!(
            "`{}` is out of range: numbers are between -1e15 and 1e15",
            text.trim()
        )
    })
}

/// `START..END:STEP` as the numbers START, START+STEP, ... up to END (inclusive).
fn range(s: &str) -> Option<Result<Vec<String>, String>> {
    let (a, rest) = s.split_once("..")?;
    let (b, step) = rest.split_once(':')?;
    let parse = |x: &str| match out_of_range(x) {
        Some(m) => Err(m),
        None => x
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("`{}` in range `{s}` is not a number", x.trim())),
    };
    Some((|| {
        let (a, b, step) = (parse(a)?, parse(b)?, parse(step)?);
        if step <= 0.0 || b < a {
            return Err(format!("range `{s}` needs START <= END and STEP > 0"));
        }
        let n = ((b - a) / step + 1e-9).floor() as usize;
        if n > 10_000 {
            return Err(format!("range `{s}` has more than 10,000 values"));
        }
        Ok((0..=n)
            .map(|i| crate::stats::num::num(a + i as f64 * step))
            .collect())
    })())
}

impl Axis {
    /// Parses `PATH=V1,V2,...` or `PATH=START..END:STEP`.
    pub fn parse(s: &str) -> Result<Axis, String> {
        let (path, values) = s.split_once('=').ok_or_else(|| {
            format!("`--set {s}`: expected PATH=V1,V2,... or PATH=START..END:STEP")
        })?;
        let path = path.trim().to_string();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!("`--set {s}`: `{path}` is not a dotted path"));
        }
        let values = values_of(values).map_err(|m| format!("`--set {s}`: {m}"))?;
        Ok(Axis { path, values })
    }
}

/// The values of `V1,V2,...` or `START..END:STEP` (END included), as texts, in order: the
/// value syntax of `--set`, also used by `size-stockpile --sizes`. Numbers beyond
/// [`MAX_SET_NUMBER`] and an empty list are refused.
pub fn values_of(text: &str) -> Result<Vec<String>, String> {
    let values = match range(text) {
        Some(r) => r?,
        None => split_values(text),
    };
    if let Some(m) = values.iter().find_map(|v| out_of_range(v)) {
        return Err(m);
    }
    if values.is_empty() {
        return Err("no values".into());
    }
    Ok(values)
}

/// A TOML value: the text as written if it parses as a value, else the text as a string.
fn value_of(v: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("x = {v}"))
        .ok()
        .and_then(|mut t| t.remove("x"))
        .unwrap_or_else(|| toml::Value::String(v.to_string()))
}

/// Sets `path` to `value` in `doc`, the override document of one grid point, walking the
/// resolved scenario `root` to tell named lists (mines, plants, controls, stockpiles) from
/// tables: a segment after a named list is an entry name. Tables the file leaves out are
/// created; whether keys are allowed is then checked by the scenario rules.
pub fn assign(
    root: &toml::Value,
    doc: &mut toml::Table,
    path: &str,
    value: &str,
) -> Result<(), String> {
    let segs: Vec<&str> = path.split('.').collect();
    if segs.len() < 2 {
        return Err(format!(
            "invalid path `{path}`: name a value inside a table, e.g. market.price_response"
        ));
    }
    let mut resolved = Some(root);
    let mut table = doc;
    let mut i = 0;
    while i + 1 < segs.len() {
        let seg = segs[i];
        let here = resolved.and_then(|r| r.get(seg));
        if let Some(list) = here.and_then(|v| v.as_array()) {
            let name = segs[i + 1];
            let entry = list
                .iter()
                .find(|e| e.get("name").and_then(|n| n.as_str()) == Some(name))
                .ok_or_else(|| {
                    let names: Vec<&str> = list
                        .iter()
                        .filter_map(|e| e.get("name").and_then(|n| n.as_str()))
                        .collect();
                    format!(
                        "invalid path `{path}`: no entry named `{name}` in `{}`; entries: {}",
                        segs[..=i].join("."),
                        names.join(", ")
                    )
                })?;
            if i + 2 >= segs.len() {
                return Err(format!(
                    "invalid path `{path}`: name a key of the entry `{name}`"
                ));
            }
            let arr = table
                .entry(seg)
                .or_insert_with(|| toml::Value::Array(Vec::new()));
            let arr = arr
                .as_array_mut()
                .ok_or_else(|| format!("invalid path `{path}`"))?;
            let pos = match arr
                .iter()
                .position(|e| e.get("name").and_then(|n| n.as_str()) == Some(name))
            {
                Some(p) => p,
                None => {
                    let mut t = toml::Table::new();
                    t.insert("name".into(), toml::Value::String(name.into()));
                    arr.push(toml::Value::Table(t));
                    arr.len() - 1
                }
            };
            table = arr[pos].as_table_mut().expect("entries are tables");
            resolved = Some(entry);
            i += 2;
            continue;
        }
        if let Some(v) = here
            && !v.is_table()
        {
            return Err(format!(
                "invalid path `{path}`: `{}` is a value, not a table",
                segs[..=i].join(".")
            ));
        }
        let t = table
            .entry(seg)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = t
            .as_table_mut()
            .ok_or_else(|| format!("invalid path `{path}`: `{seg}` is set twice"))?;
        resolved = here;
        i += 1;
    }
    let leaf = segs[segs.len() - 1];
    if table.contains_key(leaf) {
        return Err(format!("`{path}` is set twice"));
    }
    table.insert(leaf.to_string(), value_of(value));
    Ok(())
}

/// Every grid point: the values (one per axis) and the scenario with them set.
pub fn grid(
    base_path: &Path,
    base: &Loaded,
    axes: &[Axis],
) -> Result<Vec<(Vec<String>, Loaded)>, SweepError> {
    let mut points: Vec<Vec<String>> = vec![Vec::new()];
    for a in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                a.values
                    .iter()
                    .map(move |v| [p.clone(), vec![v.clone()]].concat())
            })
            .collect();
    }
    // The grid point extends the base file by its absolute path, so nothing in a value's text
    // can change where `extends` looks.
    let base_abs = std::fs::canonicalize(base_path).unwrap_or_else(|_| base_path.to_path_buf());
    let dir = base_path.parent().unwrap_or(Path::new("."));
    let root = toml::Value::try_from(&base.file).map_err(|e| SweepError::Path(e.to_string()))?;
    let mut out = Vec::with_capacity(points.len());
    for p in points {
        let mut doc = toml::Table::new();
        let mut label = Vec::new();
        for (a, v) in axes.iter().zip(&p) {
            assign(&root, &mut doc, &a.path, v).map_err(SweepError::Path)?;
            label.push(format!("{}={v}", a.path));
        }
        let text = format!(
            "extends = {}\n{}",
            toml::Value::String(base_abs.display().to_string()),
            toml::to_string(&doc).map_err(|e| SweepError::Path(e.to_string()))?
        );
        // Messages name the `--set`s; the label never becomes a real path component.
        let virtual_path = dir.join(format!(
            "--set {}",
            label.join(" --set ").replace(['/', '\\'], "_")
        ));
        let loaded = scenario::parse(&virtual_path, &text).map_err(SweepError::Invalid)?;
        out.push((p, loaded));
    }
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("error: {0}")]
    Path(String),
    #[error("{0}")]
    Invalid(LoadError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_lists_ranges_and_tables() {
        let a = Axis::parse("stockpiles.s.initial_days=0,30,60").unwrap();
        assert_eq!(a.values, vec!["0", "30", "60"]);
        let r = Axis::parse("x.y=0..180:30").unwrap();
        assert_eq!(r.values, vec!["0", "30", "60", "90", "120", "150", "180"]);
        let d = Axis::parse("x.y={ dist = \"uniform\", min = 1, max = 2 },3").unwrap();
        assert_eq!(d.values.len(), 2);
        assert!(Axis::parse("novalue").is_err());
        assert!(Axis::parse("x.y=5..1:1").is_err());
    }
}
