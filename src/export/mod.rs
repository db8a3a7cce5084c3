//! Output files. Each format lives in its own module behind the `Export` trait; every file is
//! written under a temporary name in the output directory and renamed into place only when
//! complete (`AtomicFile`), so no half-written result is ever left behind.

pub mod decision;
pub mod manifest;
pub mod runs;
pub mod shard;
pub mod summary;
pub mod timeseries;
pub mod uncertainty;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::sim::runner::Results;

/// Context every exporter may need.
pub struct Context<'a> {
    pub loaded: &'a crate::scenario::Loaded,
    pub results: &'a Results,
    pub settings: &'a crate::sim::runner::Settings,
}

/// One output file written from finished results.
pub trait Export {
    fn file_name(&self) -> &'static str;
    fn write(&self, ctx: &Context, w: &mut dyn Write) -> io::Result<()>;
}

/// Writes `e`'s file into `dir` atomically.
pub fn write_file(dir: &Path, e: &dyn Export, ctx: &Context) -> io::Result<PathBuf> {
    let mut f = AtomicFile::create(dir, e.file_name())?;
    e.write(ctx, f.writer())?;
    f.commit()
}

/// A file written under a temporary name and renamed into place by `commit`; dropped without
/// commit, the temporary file is removed.
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    w: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(dir: &Path, name: &str) -> io::Result<Self> {
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let w = BufWriter::new(File::create(&tmp)?);
        Ok(AtomicFile {
            tmp,
            dest: dir.join(name),
            w: Some(w),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.w.as_mut().expect("not yet committed")
    }

    pub fn commit(mut self) -> io::Result<PathBuf> {
        let w = self.w.take().expect("commit once");
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&self.tmp, &self.dest)?;
        Ok(self.dest.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.w.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

pub use crate::stats::num::{SIGNIFICANT_DIGITS, num};
