//! Scenario files: the TOML schema users write (`schema`), its validation into the engine's
//! model (`validate`), and error messages that point into the file (`diagnostic`).

pub mod diagnostic;
pub mod schema;
pub mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use diagnostic::{Diagnostic, Diagnostics};

use crate::model::Scenario;

/// A scenario read and validated from a file.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    /// The file as parsed (the "resolved scenario" recorded in manifests).
    pub file: schema::ScenarioFile,
    pub scenario: Scenario,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("error: cannot read scenario file `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses and validates scenario text; `path` is used in messages only.
pub fn parse(path: &Path, text: &str) -> Result<Loaded, LoadError> {
    let source: Arc<str> = Arc::from(text);
    let file: schema::ScenarioFile = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        let title = match message.lines().next() {
            Some(first) => format!("could not read scenario: {first}"),
            None => "could not read scenario".to_string(),
        };
        let allowed = allowed_from_toml_message(&message);
        LoadError::Invalid(Diagnostics(vec![Diagnostic {
            path: path.to_path_buf(),
            source: source.clone(),
            span: e.span(),
            key: None,
            title,
            found: found_from_toml_message(&message),
            allowed,
        }]))
    })?;
    let scenario = validate::Validator::new(path, source)
        .scenario(&file)
        .map_err(|d| LoadError::Invalid(Diagnostics(d)))?;
    Ok(Loaded {
        path: path.to_path_buf(),
        file,
        scenario,
    })
}

/// serde/toml messages read "unknown field `x`, expected one of `a`, `b`": split them into what
/// was found and what is allowed.
fn found_from_toml_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    match first.split_once(", expected") {
        Some((found, _)) => found.to_string(),
        None => first.to_string(),
    }
}

fn allowed_from_toml_message(message: &str) -> Option<String> {
    let first = message.lines().next().unwrap_or("");
    first
        .split_once(", expected")
        .map(|(_, rest)| rest.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal(extra: &str) -> String {
        format!(
            r#"
[scenario]
name = "t"
start = "2025-01"
horizon_months = 12

[grades.standard]
ndpr_oxide_t = 0.25
dytb_oxide_t = 0.0
[grades.high_temp]
ndpr_oxide_t = 0.25
dytb_oxide_t = 0.02

[regions.a.sectors.ev]
demand_t = 120
high_temp_share = 0.5
priority = 1
{extra}
"#
        )
    }

    fn errors(text: &str) -> Vec<Diagnostic> {
        match parse(Path::new("t.toml"), text) {
            Err(LoadError::Invalid(d)) => d.0,
            Ok(_) => panic!("expected an error"),
            Err(e) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn minimal_scenario_validates() {
        let l = parse(Path::new("t.toml"), &minimal("")).unwrap();
        assert_eq!(l.scenario.regions.len(), 1);
        assert_eq!(l.scenario.sectors, vec!["ev".to_string()]);
    }

    #[test]
    fn negative_capacity_points_at_the_value() {
        let text = minimal(
            "[[regions.a.mines]]\nname = \"m\"\ncapacity_t = -5\nndpr_share = 0.2\ndytb_share = 0.0\n",
        );
        let d = &errors(&text)[0];
        assert_eq!(d.key.as_deref(), Some("regions.a.mines.m.capacity_t"));
        assert_eq!(&text[d.span.clone().unwrap()], "-5");
        let (line, col) = d.line_col().unwrap();
        assert_eq!(text.lines().nth(line - 1).unwrap(), "capacity_t = -5");
        assert_eq!(col, 14);
        let rendered = d.render(false);
        assert!(rendered.contains("t.toml:"), "{rendered}");
        assert!(rendered.contains("found -5"), "{rendered}");
        assert!(rendered.contains("a number >= 0"), "{rendered}");
    }

    #[test]
    fn distribution_with_min_above_max_is_rejected() {
        let text = minimal("[market]\nrebuild_months = { dist = \"uniform\", min = 5, max = 2 }\n");
        let d = &errors(&text)[0];
        assert!(d.found.contains("min = 5 > max = 2"), "{}", d.found);
    }

    #[test]
    fn share_above_one_and_unknown_names_are_reported_together() {
        let text = minimal(
            "[[stockpiles]]\nname = \"s\"\nregion = \"mars\"\ncommodity = \"magnet_standard\"\ninitial_t = 5\n\
             [[controls]]\nname = \"c\"\norigin = \"a\"\ncommodities = [\"all\"]\ntype = \"quota\"\nquota_share = 1.5\n",
        );
        let e = errors(&text);
        assert!(
            e.iter()
                .any(|d| d.title.contains("unknown region \"mars\""))
        );
        assert!(
            e.iter()
                .any(|d| d.key.as_deref() == Some("controls.c.quota_share"))
        );
    }

    #[test]
    fn unknown_key_and_malformed_file_have_spans() {
        let text = minimal("[market]\nrebuild_monthz = 3\n");
        let d = &errors(&text)[0];
        assert!(d.found.contains("rebuild_monthz"), "{}", d.found);
        assert!(d.span.is_some());
        let d = &errors("[scenario\nname = 1")[0];
        assert!(d.span.is_some());
    }

    #[test]
    fn unbounded_normal_for_a_capacity_needs_truncation() {
        let text = minimal(
            "[[regions.a.magnet_plants]]\nname = \"p\"\ncapacity_t = { dist = \"normal\", mean = 10, sd = 2 }\n",
        );
        let d = &errors(&text)[0];
        assert!(d.found.contains("truncate"), "{}", d.found);
    }
}
