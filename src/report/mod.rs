//! `report.html`: one self-contained page that shows what an output directory holds, for
//! reading in any browser without a network or JavaScript.
//!
//! [`render`] reads the files a command wrote (manifest.json, then summary.csv,
//! timeseries.csv, runs.csv and uncertainty.csv of a run, and compare.csv, sensitivity.csv,
//! stockpile_curve.csv or sweep.csv of a tool, whichever are there) and returns the page;
//! [`write`] puts it into the directory as `report.html` (written to a temporary file there and
//! renamed, so a reader never sees half a page). Charts are inline SVG from [`svg`]; numbers are
//! formatted by [`format`]; units come from a `unit` column where the files have one, else from
//! the metric or series name ([`units`]).

pub mod data;
pub mod format;
mod page;
pub mod svg;
pub mod terminal;
pub mod units;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The report's file name.
pub const FILE: &str = "report.html";

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("error: `{}` is not a directory; give an output directory of reesim", .0.display())]
    NotADirectory(PathBuf),
    #[error("error: `{}` does not exist; give an output directory of reesim", .0.display())]
    NoSuchDirectory(PathBuf),
    #[error(
        "error: `{}` has no {file}; give a directory written by `reesim run`, `reesim merge` or \
         one of the tools (compare, sensitivity, size-stockpile, sweep)",
        dir.display()
    )]
    Missing { dir: PathBuf, file: String },
    #[error(
        "error: `{}` is a shard directory (`reesim run --shard`); merge the shards with `reesim \
         merge` and report on the merged directory",
        .0.display()
    )]
    Shard(PathBuf),
    #[error(
        "error: `{}` holds none of the files a report shows (summary.csv, compare.csv, \
         sensitivity.csv, stockpile_curve.csv or sweep.csv)",
        .0.display()
    )]
    Nothing(PathBuf),
    #[error("error: `{}`{}: {msg}", path.display(), at_line(line))]
    Malformed {
        path: PathBuf,
        line: Option<u64>,
        msg: String,
    },
    #[error("error: cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("error: cannot write `{}`: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

fn at_line(line: &Option<u64>) -> String {
    line.map_or(String::new(), |l| format!(" line {l}"))
}

impl ReportError {
    /// 2 for a directory or file that is not what a report needs, 1 for a failure to read or
    /// write.
    pub fn exit_code(&self) -> i32 {
        match self {
            ReportError::Read { .. } | ReportError::Write { .. } => 1,
            _ => 2,
        }
    }
}

/// What a directory holds, from its manifest.
pub(crate) struct Inputs {
    pub dir: PathBuf,
    pub manifest: serde_json::Value,
    /// File names present among those the report reads.
    pub present: Vec<&'static str>,
}

impl Inputs {
    pub fn has(&self, name: &str) -> bool {
        self.present.contains(&name)
    }
}

const DATA_FILES: [&str; 8] = [
    "summary.csv",
    "timeseries.csv",
    "runs.csv",
    "uncertainty.csv",
    "compare.csv",
    "sensitivity.csv",
    "stockpile_curve.csv",
    "sweep.csv",
];

/// Reads the manifest and checks that the files it names, and those a report of its kind
/// needs, are there.
fn inputs(dir: &Path) -> Result<Inputs, ReportError> {
    if !dir.is_dir() {
        return Err(if dir.exists() {
            ReportError::NotADirectory(dir.to_path_buf())
        } else {
            ReportError::NoSuchDirectory(dir.to_path_buf())
        });
    }
    let mpath = dir.join("manifest.json");
    let text = fs::read_to_string(&mpath).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ReportError::Missing {
            dir: dir.to_path_buf(),
            file: "manifest.json".into(),
        },
        io::ErrorKind::InvalidData => ReportError::Malformed {
            path: mpath.clone(),
            line: None,
            msg: "not valid UTF-8".into(),
        },
        _ => ReportError::Read {
            path: mpath.clone(),
            source: e,
        },
    })?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ReportError::Malformed {
            path: mpath.clone(),
            line: Some(e.line() as u64),
            msg: format!("not valid JSON ({e})"),
        })?;
    if !manifest.is_object() {
        return Err(ReportError::Malformed {
            path: mpath,
            line: None,
            msg: "not a JSON object".into(),
        });
    }
    let listed: Vec<String> = manifest["files"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if dir.join("histograms.bin").exists() || listed.iter().any(|f| f == "histograms.bin") {
        return Err(ReportError::Shard(dir.to_path_buf()));
    }
    // A file the manifest names but the directory lacks: the set is incomplete.
    for f in &listed {
        if DATA_FILES.contains(&f.as_str()) && !dir.join(f).is_file() {
            return Err(ReportError::Missing {
                dir: dir.to_path_buf(),
                file: f.clone(),
            });
        }
    }
    let present: Vec<&'static str> = DATA_FILES
        .iter()
        .copied()
        .filter(|f| dir.join(f).is_file())
        .collect();
    if present.contains(&"summary.csv") {
        for f in ["timeseries.csv", "runs.csv"] {
            if !present.contains(&f) {
                return Err(ReportError::Missing {
                    dir: dir.to_path_buf(),
                    file: f.into(),
                });
            }
        }
    } else if !present.iter().any(|f| {
        matches!(
            *f,
            "compare.csv" | "sensitivity.csv" | "stockpile_curve.csv" | "sweep.csv"
        )
    }) {
        return Err(
            if present.contains(&"runs.csv") || present.contains(&"timeseries.csv") {
                ReportError::Missing {
                    dir: dir.to_path_buf(),
                    file: "summary.csv".into(),
                }
            } else {
                ReportError::Nothing(dir.to_path_buf())
            },
        );
    }
    Ok(Inputs {
        dir: dir.to_path_buf(),
        manifest,
        present,
    })
}

/// The report of the output directory `dir`, as HTML.
pub fn render(dir: &Path) -> Result<String, ReportError> {
    let inputs = inputs(dir)?;
    page::render(&inputs)
}

/// Writes `dir/report.html` (through a temporary file in `dir`, renamed into place) and
/// returns its path.
pub fn write(dir: &Path) -> Result<PathBuf, ReportError> {
    let html = render(dir)?;
    let path = dir.join(FILE);
    // The name counts as reesim's own temporary file for the output-set checks.
    let tmp = dir.join(format!(".{FILE}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(html.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    })();
    if let Err(source) = result {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::Write { path, source });
    }
    Ok(path)
}
