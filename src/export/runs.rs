//! runs.csv: one row per run with its sampled inputs and outcome metrics, streamed as batches
//! complete.

use std::io;
use std::path::{Path, PathBuf};

use super::{AtomicFile, num};
use crate::sim::runner::RunRow;
use crate::stats::outcomes::Outcomes;

pub struct RunsCsv {
    file: AtomicFile,
}

impl RunsCsv {
    pub const FILE: &'static str = "runs.csv";

    /// Opens the temporary file and writes the header.
    pub fn create(dir: &Path, sampled_keys: &[String], outcomes: &Outcomes) -> io::Result<Self> {
        let mut file = AtomicFile::create(dir, Self::FILE)?;
        {
            let mut csv = csv::Writer::from_writer(file.writer());
            let mut header = vec!["run".to_string()];
            header.extend(sampled_keys.iter().cloned());
            header.extend(outcomes.keys.iter().map(|k| k.column()));
            csv.write_record(&header)?;
            csv.flush()?;
        }
        Ok(RunsCsv { file })
    }

    pub fn append(&mut self, rows: &[RunRow]) -> io::Result<()> {
        let mut csv = csv::Writer::from_writer(self.file.writer());
        for r in rows {
            let mut rec = vec![r.run.to_string()];
            rec.extend(r.sampled.iter().map(|v| num(*v)));
            rec.extend(r.metrics.iter().map(|v| num(*v)));
            csv.write_record(&rec)?;
        }
        csv.flush()
    }

    pub fn commit(self) -> io::Result<PathBuf> {
        self.file.commit()
    }
}
