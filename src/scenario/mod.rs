//! Scenario files: the TOML schema users write (`schema`), its validation into the engine's
//! model (`validate`), and error messages that point into the file (`diagnostic`).

pub mod compose;
pub mod diagnostic;
pub mod json_schema;
pub mod rules;
pub mod schema;
pub mod validate;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use json_schema::json_schema;

use crate::model::Scenario;

/// A scenario read and validated from a file.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    /// The file as parsed (the "resolved scenario" recorded in manifests).
    pub file: schema::ScenarioFile,
    pub scenario: Scenario,
    /// The scenario file and the files it extends.
    pub sources: compose::Sources,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "error: cannot read scenario file `{}`: {}",
        path.display(),
        crate::os_error::explain(source)
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Largest scenario file read (16 MiB): shipped scenarios are a few kB.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Why a scenario file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    Io(std::io::Error),
    /// The file is not UTF-8 text; the diagnostic points at the first bad byte.
    NotUtf8(Box<Diagnostic>),
}

/// Reads a scenario file: a regular file (not a device, pipe or directory) of at most
/// `MAX_FILE_BYTES`, so that a wrong path cannot make the program read without end, holding
/// UTF-8 text.
pub(crate) fn read_file(path: &Path) -> Result<String, ReadError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::Io(std::io::Error::other(
            "not a regular file (a scenario is a TOML text file)",
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::Io(std::io::Error::other(format!(
            "{} bytes, more than the {} MiB a scenario file may have",
            meta.len(),
            MAX_FILE_BYTES >> 20
        ))));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(ReadError::Io)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(Box::new(not_utf8(path, &e))))
}

/// A diagnostic at the first byte of a file that is not UTF-8.
fn not_utf8(path: &Path, e: &std::string::FromUtf8Error) -> Diagnostic {
    let bytes = e.as_bytes();
    let at = e.utf8_error().valid_up_to();
    // The lossy text keeps every byte before `at`; the bad bytes become one U+FFFD there.
    let text = String::from_utf8_lossy(bytes).into_owned();
    let end = at + '\u{FFFD}'.len_utf8();
    Diagnostic {
        path: path.to_path_buf(),
        source: text.into(),
        span: Some(at..end),
        key: None,
        title: "scenario file is not UTF-8 text".into(),
        found: format!("byte 0x{:02X}, not UTF-8", bytes[at]),
        allowed: Some(
            "a text file saved as UTF-8 (an accented letter saved as Latin-1 or Windows-1252 \
             is the usual cause)"
                .into(),
        ),
    }
}

/// Reads, parses and validates a scenario file (and the files it extends).
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let text = read_file(path).map_err(|e| match e {
        ReadError::Io(source) => LoadError::Read {
            path: path.to_path_buf(),
            source,
        },
        ReadError::NotUtf8(d) => LoadError::Invalid(Diagnostics(vec![*d])),
    })?;
    parse(path, &text)
}

/// Parses and validates scenario text; `path` names it in messages and anchors relative
/// `extends` paths.
pub fn parse(path: &Path, text: &str) -> Result<Loaded, LoadError> {
    let sources = compose::chain_from(path, text.to_string())
        .map_err(|e| LoadError::Invalid(Diagnostics(e.0)))?;
    let invalid = |d: Diagnostic| LoadError::Invalid(Diagnostics(vec![d]));
    let merged = compose::merged(&sources).map_err(|d| invalid(*d))?;
    let added = merged.added;
    let file = schema::ScenarioFile::deserialize(toml::de::Deserializer::from(merged.doc))
        .map_err(|e| {
            invalid(
                compose::unmatched_override(&sources, &added, e.span(), e.message())
                    .unwrap_or_else(|| compose::toml_diagnostic(&sources, e.span(), e.message())),
            )
        })?;
    let scenario = validate::Validator::new(&sources)
        .scenario(&file)
        .map_err(|d| LoadError::Invalid(Diagnostics(d)))?;
    Ok(Loaded {
        path: path.to_path_buf(),
        file,
        scenario,
        sources,
    })
}

/// The resolved scenario as TOML text, which parses back to the same scenario.
pub fn to_toml(file: &schema::ScenarioFile) -> String {
    let body = toml::to_string(file).expect("a scenario always serialises to TOML");
    // The name goes into a comment line: escape line breaks and control characters, which a
    // TOML comment may not hold.
    format!(
        "# Resolved scenario \"{}\" (every `extends` merged), printed by reesim {}.\n\n{body}",
        file.scenario.name.escape_debug(),
        env!("CARGO_PKG_VERSION")
    )
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
        assert!(rendered.contains("tonnes between 0 and 1e9"), "{rendered}");
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

    #[test]
    fn values_that_would_break_a_run_are_refused() {
        for (extra, key) in [
            (
                "[[regions.a.separation]]\nname = \"s\"\nlight_capacity_t = 10\nheavy_capacity_t = 1\nrecovery = 1e-300\n",
                "regions.a.separation.s.recovery",
            ),
            (
                "[market.expansion]\nmine_min_step_t = 1e308\n",
                "market.expansion.mine_min_step_t",
            ),
            (
                "[market]\nprice_response = { dist = \"pert\", min = 0, mode = 1, max = 1e308 }\n",
                "market.price_response",
            ),
            (
                "[market]\nprice_response = { dist = \"lognormal\", mean = 1e-300, sd = 1, max = 5 }\n",
                "market.price_response",
            ),
        ] {
            let e = errors(&minimal(extra));
            assert!(
                e.iter().any(|d| d.key.as_deref() == Some(key)),
                "{key}: {}",
                e[0]
            );
        }
    }
}
