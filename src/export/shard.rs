//! A shard directory: what `run --shard K/N` did of a batch, in the form `reesim merge` needs to
//! rebuild the outputs of the whole batch exactly.
//!
//! - runs.csv: the shard's rows, as a plain run writes them;
//! - rows.bin: each run's outcome metrics then sampled inputs, in runs.csv's column order, as
//!   little-endian f64 (runs.csv rounds to 9 digits; exact summaries need the bits);
//! - histograms.bin: the shard's time-series histograms (stats::histogram);
//! - scenario.toml: the resolved scenario, so merging needs no other file;
//! - manifest.json: seed, runs of the whole batch, sampling, and this shard's index and runs.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::set::{OutputError, OutputSet, StagedFile};
use super::{Context, Export};
use crate::sim::runner::RunRow;
use crate::stats::columns::Columns;

pub const ROWS: &str = "rows.bin";
pub const HISTOGRAMS: &str = "histograms.bin";
pub const SCENARIO: &str = "scenario.toml";

/// rows.bin, streamed as batches complete.
pub struct RowsBin {
    file: StagedFile,
}

impl RowsBin {
    pub fn create(set: &OutputSet) -> Result<Self, OutputError> {
        Ok(RowsBin {
            file: set.create(ROWS)?,
        })
    }

    pub fn append(&mut self, rows: &[RunRow]) -> io::Result<()> {
        let w = self.file.writer();
        for r in rows {
            for v in r.metrics.iter().chain(&r.sampled) {
                w.write_all(&v.to_le_bytes())?;
            }
        }
        Ok(())
    }

    /// The error `e` met while appending, for the user.
    pub fn error(&self, e: io::Error) -> OutputError {
        self.file.error(e)
    }

    /// Completes the file in the set.
    pub fn finish(self, set: &mut OutputSet) -> Result<PathBuf, OutputError> {
        set.finish(self.file)
    }
}

/// Reads rows.bin of a shard of `runs` runs into `metrics` and `sampled`.
pub fn read_rows(
    dir: &Path,
    runs: u64,
    metrics: &mut Columns,
    sampled: &mut Columns,
    widths: (usize, usize),
) -> io::Result<()> {
    let path = dir.join(ROWS);
    let f = File::open(&path)?;
    let expected = runs * ((widths.0 + widths.1) as u64) * 8;
    let len = f.metadata()?.len();
    if len != expected {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "`{}` holds {len} bytes, {expected} expected for {runs} runs",
                path.display()
            ),
        ));
    }
    let mut r = BufReader::new(f);
    let mut row = vec![0.0; widths.0 + widths.1];
    let mut b = [0u8; 8];
    for _ in 0..runs {
        for v in row.iter_mut() {
            r.read_exact(&mut b)?;
            *v = f64::from_le_bytes(b);
        }
        metrics.push(&row[..widths.0])?;
        sampled.push(&row[widths.0..])?;
    }
    Ok(())
}

/// histograms.bin.
pub struct HistogramsBin<'a>(pub Context<'a>);

impl Export for HistogramsBin<'_> {
    fn file_name(&self) -> &'static str {
        HISTOGRAMS
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let ctx = &self.0;
        ctx.results.sketches.write_to(w)
    }
}

/// scenario.toml: the resolved scenario.
pub struct ScenarioToml<'a>(pub Context<'a>);

impl Export for ScenarioToml<'_> {
    fn file_name(&self) -> &'static str {
        SCENARIO
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let ctx = &self.0;
        w.write_all(crate::scenario::to_toml(&ctx.loaded.file).as_bytes())
    }
}
