//! runs.csv: one row per run with its sampled inputs and outcome metrics, streamed as batches
//! complete.

use std::io;
use std::path::PathBuf;

use super::set::{OutputError, OutputSet, StagedFile};
use super::write_num;
use crate::sim::runner::RunRow;
use crate::stats::outcomes::Outcomes;

pub struct RunsCsv {
    file: StagedFile,
    /// The row being written, kept from row to row for its allocation.
    line: Vec<u8>,
}

impl RunsCsv {
    pub const FILE: &'static str = "runs.csv";

    /// Opens the file in the staging directory and writes the header.
    pub fn create(
        set: &OutputSet,
        sampled_keys: &[String],
        outcomes: &Outcomes,
    ) -> Result<Self, OutputError> {
        let mut file = set.create(Self::FILE)?;
        let header = (|| -> io::Result<()> {
            let mut csv = csv::Writer::from_writer(file.writer());
            let mut header = vec!["run".to_string()];
            header.extend(sampled_keys.iter().cloned());
            header.extend(outcomes.keys.iter().map(|k| k.column()));
            csv.write_record(&header)?;
            csv.flush()
        })();
        header.map_err(|e| file.error(e))?;
        Ok(RunsCsv {
            file,
            line: Vec::new(),
        })
    }

    /// Appends finished runs. Cells are numbers only (never quoted), so rows are written
    /// directly rather than through the CSV writer.
    pub fn append(&mut self, rows: &[RunRow]) -> io::Result<()> {
        let line = &mut self.line;
        let mut index = itoa::Buffer::new();
        for r in rows {
            line.clear();
            line.extend_from_slice(index.format(r.run).as_bytes());
            for v in r.sampled.iter().chain(&r.metrics) {
                line.push(b',');
                write_num(line, *v);
            }
            line.push(b'\n');
            self.file.writer().write_all(line)?;
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
