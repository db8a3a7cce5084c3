//! Output files. Each format lives in its own module behind the `Export` trait; a command's
//! files are written as one output set (`set`): into a staging directory, manifest.json last
//! with every file's size and checksum, then swapped in whole, so an output directory holds
//! either the complete previous set or the complete new one.

pub mod decision;
pub mod manifest;
pub mod runs;
pub mod set;
pub mod shard;
pub mod summary;
pub mod timeseries;
pub mod uncertainty;

use std::io::{self, Write};
use std::path::PathBuf;

pub use set::{OutputError, OutputSet};

use crate::sim::runner::Results;

/// What the files of a run are written from.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub loaded: &'a crate::scenario::Loaded,
    pub results: &'a Results,
    pub settings: &'a crate::sim::runner::Settings,
}

/// One output file written from finished results: a run's files hold a [`Context`], a tool's
/// its own results.
pub trait Export {
    fn file_name(&self) -> &'static str;
    fn write(&self, w: &mut dyn Write) -> io::Result<()>;
}

/// Writes `e`'s file into the output set.
pub fn write_file(set: &mut OutputSet, e: &dyn Export) -> Result<PathBuf, OutputError> {
    set.write(e.file_name(), |w| e.write(w))
}

pub use crate::stats::num::{SIGNIFICANT_DIGITS, num, write_num};
