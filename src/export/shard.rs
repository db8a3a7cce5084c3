//! A shard directory: what `run --shard K/N` did of a batch, in the form `reesim merge` needs to
//! rebuild the outputs of the whole batch exactly.
//!
//! - runs.csv: the shard's rows, as a plain run writes them;
//! - rows.bin: each run's outcome metrics then sampled inputs, in runs.csv's column order, as
//!   little-endian f64 (runs.csv rounds to 9 digits; exact summaries need the bits);
//! - histograms.bin: the shard's time-series histograms (stats::histogram);
//! - scenario.toml: the resolved scenario, so merging needs no other file;
//! - manifest.json: seed, runs of the whole batch, sampling, and this shard's index and runs.
//!
//! A tool's shard (`sweep` or `size-stockpile --sizes` with `--shard K/N`) holds a block of the
//! grid's points instead, each point a whole batch:
//!
//! - sweep: sweep.csv with the rows of its grid points (each row is a summary of one whole
//!   batch, so the text is final), scenario.toml and manifest.json (with the grid's `axes`);
//! - size-stockpile: sizes.bin (each evaluated size exactly, see [`SizesBin`]), scenario.toml
//!   and manifest.json (with the grid's `sizes_t`, the stockpile and the target).

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::set::{OutputError, OutputSet, StagedFile};
use super::{Context, Export};
use crate::scenario::Loaded;
use crate::sim::runner::RunRow;
use crate::stats::columns::Columns;
use crate::tools::size::Point;

pub const ROWS: &str = "rows.bin";
pub const HISTOGRAMS: &str = "histograms.bin";
pub const SCENARIO: &str = "scenario.toml";
pub const SIZES: &str = "sizes.bin";

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
pub struct ScenarioToml<'a>(pub &'a Loaded);

impl Export for ScenarioToml<'_> {
    fn file_name(&self) -> &'static str {
        SCENARIO
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(crate::scenario::to_toml(&self.0.file).as_bytes())
    }
}

/// Bytes of one size in sizes.bin.
const SIZE_RECORD: u64 = 7 * 8;

/// sizes.bin: each evaluated size of a size-stockpile shard, in order, as little-endian
/// tonnes, days, statistic, interval low and high (f64), runs (u64) and flags (u64: 1 the
/// point estimate meets the target, 2 the whole interval does).
pub struct SizesBin<'a>(pub &'a [Point]);

impl Export for SizesBin<'_> {
    fn file_name(&self) -> &'static str {
        SIZES
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        for p in self.0 {
            for v in [p.tonnes, p.days, p.value, p.interval.0, p.interval.1] {
                w.write_all(&v.to_le_bytes())?;
            }
            w.write_all(&(p.runs as u64).to_le_bytes())?;
            let flags = u64::from(p.met) | (u64::from(p.met_surely) << 1);
            w.write_all(&flags.to_le_bytes())?;
        }
        Ok(())
    }
}

/// Reads sizes.bin of a shard that evaluated `n` sizes.
pub fn read_sizes(dir: &Path, n: u64) -> io::Result<Vec<Point>> {
    let path = dir.join(SIZES);
    let bytes = std::fs::read(&path)?;
    if bytes.len() as u64 != n * SIZE_RECORD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "`{}` holds {} bytes, {} expected for {n} sizes",
                path.display(),
                bytes.len(),
                n * SIZE_RECORD
            ),
        ));
    }
    Ok(bytes
        .chunks_exact(SIZE_RECORD as usize)
        .map(|r| {
            let word = |i: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&r[i * 8..i * 8 + 8]);
                b
            };
            let f = |i| f64::from_le_bytes(word(i));
            let flags = u64::from_le_bytes(word(6));
            Point {
                tonnes: f(0),
                days: f(1),
                value: f(2),
                interval: (f(3), f(4)),
                runs: u64::from_le_bytes(word(5)) as usize,
                met: flags & 1 != 0,
                met_surely: flags & 2 != 0,
            }
        })
        .collect())
}
