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
        Ok(RunsCsv { file })
    }

    /// Writes run `r`'s row (a line of the file) at the end of `line`. Cells are numbers only
    /// (never quoted), so rows are written directly rather than through the CSV writer. The
    /// runner calls this on the worker that ran the batch (`runner::RowText`).
    pub fn row(r: &RunRow, line: &mut Vec<u8>) {
        line.extend_from_slice(itoa::Buffer::new().format(r.run).as_bytes());
        for v in r.sampled.iter().chain(&r.metrics) {
            line.push(b',');
            write_num(line, *v);
        }
        line.push(b'\n');
    }

    /// Appends finished runs' rows, as written by `row`.
    pub fn append(&mut self, text: &[u8]) -> io::Result<()> {
        self.file.writer().write_all(text)
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
