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

/// `START..END:STEP` as the numbers START, START+STEP, ... up to END (inclusive).
fn range(s: &str) -> Option<Result<Vec<String>, String>> {
    let (a, rest) = s.split_once("..")?;
    let (b, step) = rest.split_once(':')?;
    let parse = |x: &str| {
        x.trim()
            .parse::<f64>()
            .map_err(|_| format!("`{}` in range `{s}` is not a number", x.trim()))
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
            .map(|i| crate::export::num(a + i as f64 * step))
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
        let values = match range(values) {
            Some(r) => r?,
            None => split_values(values),
        };
        if values.is_empty() {
            return Err(format!("`--set {s}`: no values"));
        }
        Ok(Axis { path, values })
    }
}

/// A TOML value text: as written if it parses as a value, else as a string.
fn value_text(v: &str) -> String {
    if toml::from_str::<toml::Table>(&format!("x = {v}")).is_ok() {
        v.to_string()
    } else {
        format!("{v:?}")
    }
}

/// TOML text setting `path` to `value`, walking the resolved scenario to tell tables from
/// named lists.
pub fn assignment(
    file: &scenario::schema::ScenarioFile,
    path: &str,
    value: &str,
) -> Result<String, String> {
    let root = toml::Value::try_from(file).map_err(|e| e.to_string())?;
    let segs: Vec<&str> = path.split('.').collect();
    let mut cur = &root;
    let mut header: Vec<String> = Vec::new(); // dotted table path so far
    let mut out = String::new();
    let mut i = 0;
    while i + 1 < segs.len() {
        let seg = segs[i];
        let table = cur.as_table().ok_or_else(|| {
            format!(
                "invalid path `{path}`: `{}` is not a table",
                header.join(".")
            )
        })?;
        let next = match table.get(seg) {
            Some(v) => v,
            None => {
                // A table the file does not spell out yet (all its keys defaulted) is fine as
                // long as it is the last table on the path.
                if i + 2 == segs.len() {
                    header.push(seg.to_string());
                    out += &format!(
                        "[{}]\n{} = {}\n",
                        header.join("."),
                        segs[i + 1],
                        value_text(value)
                    );
                    return Ok(out);
                }
                let known: Vec<&String> = table.keys().collect();
                return Err(format!(
                    "invalid path `{path}`: no `{seg}` under `{}`; there: {}",
                    if header.is_empty() {
                        "the scenario".to_string()
                    } else {
                        header.join(".")
                    },
                    known
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        };
        header.push(seg.to_string());
        if let Some(list) = next.as_array() {
            let name = segs.get(i + 1).copied().unwrap_or("");
            let names: Vec<&str> = list
                .iter()
                .filter_map(|e| e.get("name").and_then(|n| n.as_str()))
                .collect();
            let entry = list
                .iter()
                .find(|e| e.get("name").and_then(|n| n.as_str()) == Some(name))
                .ok_or_else(|| {
                    format!(
                        "invalid path `{path}`: no entry named `{name}` in `{}`; entries: {}",
                        header.join("."),
                        names.join(", ")
                    )
                })?;
            out += &format!("[[{}]]\nname = {name:?}\n", header.join("."));
            cur = entry;
            i += 2;
            if i + 1 == segs.len() {
                out += &format!("{} = {}\n", segs[i], value_text(value));
                return Ok(out);
            }
            // Deeper tables inside a list entry: `[a.b.c]` after `[[a.b]]` is the entry's table.
            while i + 1 < segs.len() {
                let sub = cur.get(segs[i]).ok_or_else(|| {
                    format!("invalid path `{path}`: no `{}` in that entry", segs[i])
                })?;
                if !sub.is_table() {
                    return Err(format!(
                        "invalid path `{path}`: `{}` is not a table",
                        segs[i]
                    ));
                }
                header.push(segs[i].to_string());
                cur = sub;
                i += 1;
            }
            out += &format!(
                "[{}]\n{} = {}\n",
                header.join("."),
                segs[i],
                value_text(value)
            );
            return Ok(out);
        }
        cur = next;
        i += 1;
    }
    if header.is_empty() {
        return Err(format!(
            "invalid path `{path}`: name a value inside a table, e.g. market.price_response"
        ));
    }
    out += &format!(
        "[{}]\n{} = {}\n",
        header.join("."),
        segs[segs.len() - 1],
        value_text(value)
    );
    Ok(out)
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
    let file_name = base_path.file_name().map_or_else(
        || "scenario.toml".into(),
        |f| f.to_string_lossy().into_owned(),
    );
    let dir = base_path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::with_capacity(points.len());
    for p in points {
        let mut text = format!("extends = {file_name:?}\n");
        let mut label = Vec::new();
        for (a, v) in axes.iter().zip(&p) {
            text += &assignment(&base.file, &a.path, v).map_err(SweepError::Path)?;
            label.push(format!("{}={v}", a.path));
        }
        let virtual_path = dir.join(format!("--set {}", label.join(" --set ")));
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
