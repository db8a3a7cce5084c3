//! Output files. Each format lives in its own module behind the `Export` trait; every file is
//! written under a temporary name in the output directory and renamed into place only when
//! complete (`AtomicFile`), so no half-written result is ever left behind.

pub mod decision;
pub mod manifest;
pub mod runs;
pub mod summary;
pub mod timeseries;

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

/// Significant digits written to CSV: more than any input is known to, few enough to read.
pub const SIGNIFICANT_DIGITS: usize = 9;

/// Formats a number for CSV with `SIGNIFICANT_DIGITS` significant digits, plain decimal
/// notation, trailing zeros trimmed; empty for undefined values.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i64;
    let decimals = (SIGNIFICANT_DIGITS as i64 - 1 - magnitude).clamp(0, 17) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_are_rounded_to_significant_digits() {
        assert_eq!(num(22500.000000000004), "22500");
        assert_eq!(num(0.0123456789123), "0.0123456789");
        assert_eq!(num(-1e-20), "0");
        assert_eq!(num(1.5e-7), "0.00000015");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(123456789012.0), "123456789012");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(2.5), "2.5");
    }
}
