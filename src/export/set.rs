//! Output sets: a command's files appear in the output directory all together or not at all.
//!
//! Every file is written into a hidden staging directory beside the output directory (same
//! parent, so the same file system): `.<dir>.reesim-staging-<pid>`. manifest.json is written
//! last and names every other file with its size and SHA-256, so a directory whose manifest
//! verifies holds a complete set. The staging directory is then swapped in:
//!
//! - on Linux, one `renameat2(RENAME_EXCHANGE)` swaps staging and output directory atomically
//!   (the output directory is never missing), and the old set, now under the staging name, is
//!   removed;
//! - elsewhere, or on a file system without exchange: output -> `.<dir>.reesim-old-<pid>`,
//!   staging -> output, old removed. A kill between the two renames leaves no output directory
//!   but two complete sets beside it; the next command into that directory restores one.
//!
//! Start-up ([`OutputSet::begin`]) removes the staging and old directories of processes that
//! are no longer alive; when the output directory is missing it first moves the newest complete
//! set among them into place (a staging set whose manifest verifies, else an old set).
//!
//! For tests only: `REESIM_TEST_PAUSE_AT=<point>` makes the process print
//! `reesim-test: paused at <point>` to stderr and wait at that point until killed, and
//! `REESIM_TEST_NO_EXCHANGE=1` forces the two-rename swap. The points are `runs-started`,
//! `runs-batch`, `data-written`, `staged`, `moved-aside` (two-rename swap only), `swapped`
//! and `recovered`.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::manifest::Manifest;

/// The name of the manifest in every output set.
pub const MANIFEST: &str = "manifest.json";

/// Every file name reesim writes into an output directory: a directory holding only these (and
/// reesim's own temporary files) may be replaced.
pub const KNOWN_FILES: [&str; 14] = [
    "summary.csv",
    "timeseries.csv",
    "uncertainty.csv",
    "runs.csv",
    "manifest.json",
    "compare.csv",
    "sweep.csv",
    "stockpile_curve.csv",
    "sensitivity.csv",
    "report.html",
    // A shard directory's own files (export::shard), so a shard can be run again into its
    // directory.
    "rows.bin",
    "histograms.bin",
    "scenario.toml",
    "sizes.bin",
];

const STAGING: &str = "reesim-staging";
const OLD: &str = "reesim-old";

/// Why an output set could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output directory as given cannot be used (an argument error).
    #[error("error: {0}")]
    Unusable(String),
    /// Writing failed; nothing was put under a final name.
    #[error("error: cannot {action} `{}`: {}", path.display(), explain(source))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl OutputError {
    fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| OutputError::Io {
            action,
            path,
            source,
        }
    }
}

/// The OS error inside `e` (a CSV or JSON writer wraps the one it met).
fn innermost(e: &io::Error) -> &io::Error {
    let mut cur = e;
    loop {
        let inner = cur.get_ref().and_then(|i| {
            i.downcast_ref::<io::Error>()
                .or_else(|| match i.downcast_ref::<csv::Error>() {
                    Some(c) => match c.kind() {
                        csv::ErrorKind::Io(io) => Some(io),
                        _ => None,
                    },
                    None => None,
                })
        });
        match inner {
            Some(i) => cur = i,
            None => return cur,
        }
    }
}

/// An OS error as what the user can do about it.
pub fn explain(e: &io::Error) -> String {
    format!(
        "{}; the outputs already in place were left as they were",
        crate::os_error::explain(innermost(e))
    )
}

/// One file of a set as recorded in its manifest.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Pauses here if the test hook names this point (see the module documentation).
pub fn checkpoint(point: &str) {
    if std::env::var_os("REESIM_TEST_PAUSE_AT").is_some_and(|p| p == point) {
        eprintln!("reesim-test: paused at {point}");
        let _ = io::stderr().flush();
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// A set of output files being written; dropped without [`OutputSet::commit`], it leaves no
/// trace and the output directory as it was.
pub struct OutputSet {
    /// The output directory as the user gave it, for messages and the paths returned.
    shown: PathBuf,
    target: PathBuf,
    parent: PathBuf,
    name: OsString,
    staging: PathBuf,
    files: Vec<FileEntry>,
    committed: bool,
}

/// A file being written into the staging directory, hashed as it is written.
pub struct StagedFile {
    name: String,
    shown: PathBuf,
    w: BufWriter<Hashing>,
}

struct Hashing {
    file: File,
    hash: Sha256,
    bytes: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl StagedFile {
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.w
    }

    /// The path the file will have once the set is in place (for messages).
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// An error while writing this file, for the user.
    pub fn error(&self, source: io::Error) -> OutputError {
        OutputError::Io {
            action: "write",
            path: self.shown.clone(),
            source,
        }
    }
}

/// Whether process `pid` may still be running (unknown: assume it is).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(p) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let r = unsafe { libc::kill(p, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Flushes a directory's entries to disk (best effort: not every file system allows it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Swaps two directory entries atomically; `Ok(false)` if the system cannot.
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    if std::env::var_os("REESIM_TEST_NO_EXCHANGE").is_some() {
        return Ok(false);
    }
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let ca = CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
        let cb = CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
        // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them as given.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if r == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => Ok(false),
            _ => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Reads a set's manifest and checks every file it names against its size and SHA-256.
pub fn verify(dir: &Path) -> Result<Vec<FileEntry>, String> {
    /// The part of a manifest that names the set's files (any manifest version has it).
    #[derive(serde::Deserialize)]
    struct Files {
        files: Vec<FileEntry>,
    }
    let text = fs::read_to_string(dir.join(MANIFEST)).map_err(|e| format!("{MANIFEST}: {e}"))?;
    let m: Files = serde_json::from_str(&text).map_err(|e| format!("{MANIFEST}: {e}"))?;
    let mut out = Vec::new();
    for f in m.files {
        let name = f.name.as_str();
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(format!("{MANIFEST}: `{name}` is not a plain file name"));
        }
        let (n, h) = hash_file(&dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        if n != f.bytes || h != f.sha256 {
            return Err(format!("{name} does not match {MANIFEST}"));
        }
        out.push(f);
    }
    Ok(out)
}

fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    let (mut hash, mut bytes) = (Sha256::new(), 0u64);
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = io::Read::read(&mut f, &mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex(&hash.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A leftover staging or old directory of another process.
struct Leftover {
    path: PathBuf,
    staging: bool,
}

impl OutputSet {
    /// Checks that `out` can hold an output set, tidies what dead processes left beside it
    /// (restoring a complete set if the directory itself went missing), and opens a staging
    /// directory.
    pub fn begin(out: &Path) -> Result<OutputSet, OutputError> {
        let (parent, name) = split(out)?;
        fs::create_dir_all(&parent).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists || e.kind() == io::ErrorKind::NotADirectory
            {
                OutputError::Unusable(format!(
                    "--out `{}`: a part of that path is a file, not a directory",
                    out.display()
                ))
            } else {
                OutputError::io("create the directory", &parent)(e)
            }
        })?;
        let target = parent.join(&name);
        // The directory is named by the user: follow a symbolic link to the real directory.
        let (target, parent, name) = match fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => {
                let real = fs::canonicalize(&target).map_err(|_| {
                    OutputError::Unusable(format!(
                        "--out `{}` is a symbolic link to nothing",
                        out.display()
                    ))
                })?;
                let (p, n) = split(&real)?;
                (real, p, n)
            }
            _ => (target, parent, name),
        };
        let set = OutputSet {
            shown: out.to_path_buf(),
            staging: parent.join(hidden(&name, STAGING, std::process::id())),
            target,
            parent,
            name,
            files: Vec::new(),
            committed: false,
        };
        set.tidy()?;
        checkpoint("recovered");
        set.check_target(out)?;
        if fs::symlink_metadata(&set.staging).is_ok() {
            let _ = fs::remove_dir_all(&set.staging);
        }
        fs::create_dir(&set.staging)
            .map_err(OutputError::io("create the directory", &set.target))?;
        Ok(set)
    }

    /// The final output directory.
    pub fn dir(&self) -> &Path {
        &self.target
    }

    /// Removes dead processes' staging and old directories; if the output directory is
    /// missing, first restores the best complete set among them.
    fn tidy(&self) -> Result<(), OutputError> {
        let mut left = self.leftovers();
        if fs::symlink_metadata(&self.target).is_err() {
            // Newest first, staging before old: a complete staging set is what its process
            // was about to put in place.
            left.sort_by_key(|l| {
                let t = fs::metadata(l.path.join(MANIFEST))
                    .and_then(|m| m.modified())
                    .ok();
                (std::cmp::Reverse(l.staging), std::cmp::Reverse(t))
            });
            if let Some(i) = left.iter().position(|l| verify(&l.path).is_ok()) {
                let l = left.remove(i);
                fs::rename(&l.path, &self.target)
                    .map_err(OutputError::io("restore the directory", &self.target))?;
                sync_dir(&self.parent);
            }
        }
        for l in left {
            let _ = fs::remove_dir_all(&l.path);
        }
        Ok(())
    }

    fn leftovers(&self) -> Vec<Leftover> {
        let Ok(entries) = fs::read_dir(&self.parent) else {
            return Vec::new();
        };
        let prefix = format!(".{}.", self.name.to_string_lossy());
        entries
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().into_string().ok()?;
                let rest = n.strip_prefix(&prefix)?;
                let (kind, pid) = rest.rsplit_once('-')?;
                let pid: u32 = pid.parse().ok()?;
                let staging = match kind {
                    STAGING => true,
                    OLD => false,
                    _ => return None,
                };
                (!alive(pid)).then(|| Leftover {
                    path: e.path(),
                    staging,
                })
            })
            .collect()
    }

    /// The output directory must be missing or a directory holding only reesim's files, and
    /// not the current directory (swapped away, it would leave the shell in a removed one).
    fn check_target(&self, out: &Path) -> Result<(), OutputError> {
        if let (Ok(cwd), Ok(target)) = (
            std::env::current_dir().and_then(fs::canonicalize),
            fs::canonicalize(&self.target),
        ) && cwd == target
        {
            return Err(OutputError::Unusable(format!(
                "--out `{}` is the current directory; reesim replaces the output directory \
                 whole, so give a directory inside it (e.g. --out reesim-out)",
                out.display()
            )));
        }
        match fs::symlink_metadata(&self.target) {
            Err(_) => Ok(()),
            Ok(m) if !m.is_dir() => Err(OutputError::Unusable(format!(
                "--out `{}` is a file, not a directory; give a directory (it is created if \
                 missing, and the files of an earlier run in it are replaced)",
                out.display()
            ))),
            Ok(_) => {
                let foreign = foreign_entries(&self.target)
                    .map_err(OutputError::io("read the directory", &self.target))?;
                if foreign.is_empty() {
                    Ok(())
                } else {
                    Err(OutputError::Unusable(format!(
                        "--out `{}` holds files reesim did not write ({}{}); reesim replaces \
                         the whole directory, so give a new or empty directory",
                        out.display(),
                        foreign
                            .iter()
                            .take(3)
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if foreign.len() > 3 { ", ..." } else { "" }
                    )))
                }
            }
        }
    }

    /// Opens `name` in the staging directory.
    pub fn create(&self, name: &str) -> Result<StagedFile, OutputError> {
        let shown = self.shown.join(name);
        let file =
            File::create(self.staging.join(name)).map_err(OutputError::io("write", &shown))?;
        Ok(StagedFile {
            name: name.to_string(),
            shown,
            w: BufWriter::with_capacity(
                1 << 16,
                Hashing {
                    file,
                    hash: Sha256::new(),
                    bytes: 0,
                },
            ),
        })
    }

    /// Completes a staged file: flushed, synced and recorded for the manifest.
    pub fn finish(&mut self, f: StagedFile) -> Result<PathBuf, OutputError> {
        let StagedFile { name, shown, w } = f;
        let h = w
            .into_inner()
            .map_err(|e| OutputError::io("write", &shown)(e.into_error()))?;
        h.file
            .sync_all()
            .map_err(OutputError::io("write", &shown))?;
        self.files.push(FileEntry {
            name,
            bytes: h.bytes,
            sha256: hex(&h.hash.finalize()),
        });
        Ok(shown)
    }

    /// Writes a whole file with `body`.
    pub fn write(
        &mut self,
        name: &str,
        body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<PathBuf, OutputError> {
        let mut f = self.create(name)?;
        body(f.writer()).map_err(|e| f.error(e))?;
        self.finish(f)
    }

    /// Writes manifest.json (`manifest` with the set's `files`) as the last file of the set and
    /// swaps the set into place. Returns the final paths, manifest last.
    pub fn commit(mut self, mut manifest: Manifest) -> Result<Vec<PathBuf>, OutputError> {
        checkpoint("data-written");
        manifest.files = self.files.clone();
        let shown = self.shown.join(MANIFEST);
        let partial = self.staging.join(".manifest.json.partial");
        {
            let mut f = File::create(&partial).map_err(OutputError::io("write", &shown))?;
            let mut text = serde_json::to_vec_pretty(&manifest)
                .map_err(io::Error::other)
                .map_err(OutputError::io("write", &shown))?;
            text.push(b'\n');
            f.write_all(&text)
                .and_then(|()| f.sync_all())
                .map_err(OutputError::io("write", &shown))?;
        }
        fs::rename(&partial, self.staging.join(MANIFEST))
            .map_err(OutputError::io("write", &shown))?;
        sync_dir(&self.staging);
        checkpoint("staged");
        self.swap()?;
        self.committed = true;
        let mut paths: Vec<PathBuf> = self
            .files
            .iter()
            .map(|f| self.shown.join(&f.name))
            .collect();
        paths.push(shown);
        Ok(paths)
    }

    fn swap(&self) -> Result<(), OutputError> {
        let replace = OutputError::io("replace the directory", &self.target);
        match fs::symlink_metadata(&self.target) {
            Err(_) => {
                fs::rename(&self.staging, &self.target).map_err(replace)?;
                sync_dir(&self.parent);
                checkpoint("swapped");
            }
            Ok(_) => {
                // Files may have appeared since the start: never throw away what is not ours.
                if !foreign_entries(&self.target)
                    .map_err(OutputError::io("read the directory", &self.target))?
                    .is_empty()
                {
                    return Err(OutputError::Unusable(format!(
                        "files reesim did not write appeared in `{}` during the run; it was \
                         left as it was",
                        self.target.display()
                    )));
                }
                if exchange(&self.staging, &self.target)
                    .map_err(OutputError::io("replace the directory", &self.target))?
                {
                    sync_dir(&self.parent);
                    checkpoint("swapped");
                    // The old set is now under the staging name.
                    let _ = fs::remove_dir_all(&self.staging);
                } else {
                    let old = self
                        .parent
                        .join(hidden(&self.name, OLD, std::process::id()));
                    fs::rename(&self.target, &old)
                        .map_err(OutputError::io("replace the directory", &self.target))?;
                    checkpoint("moved-aside");
                    if let Err(e) = fs::rename(&self.staging, &self.target) {
                        // Put the old set back; if even that fails, the next run restores it.
                        let _ = fs::rename(&old, &self.target);
                        return Err(replace(e));
                    }
                    sync_dir(&self.parent);
                    checkpoint("swapped");
                    let _ = fs::remove_dir_all(&old);
                }
            }
        }
        Ok(())
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// `.<name>.<kind>-<pid>`.
fn hidden(name: &OsString, kind: &str, pid: u32) -> OsString {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(format!(".{kind}-{pid}"));
    s
}

/// Parent directory and final name of `out` (`.` and `..` resolved).
fn split(out: &Path) -> Result<(PathBuf, OsString), OutputError> {
    let named = if out.file_name().is_some() {
        out.to_path_buf()
    } else {
        fs::canonicalize(out).map_err(|_| {
            OutputError::Unusable(format!("--out `{}` is not a directory path", out.display()))
        })?
    };
    let Some(name) = named.file_name() else {
        return Err(OutputError::Unusable(format!(
            "--out `{}` cannot be an output directory (it has no parent); give a directory \
             below it",
            out.display()
        )));
    };
    let parent = match named.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_os_string()))
}

/// Entries of `dir` that are neither reesim output files nor reesim temporary files.
fn foreign_entries(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        let n = e.file_name().to_string_lossy().into_owned();
        let ours = KNOWN_FILES.contains(&n.as_str())
            || (n.starts_with('.') && n.contains(".tmp-"))
            || n == ".manifest.json.partial";
        let is_file = e.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !(ours && is_file) {
            out.push(n);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_verifies_and_a_changed_file_does_not() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("o");
        let mut s = OutputSet::begin(&out).unwrap();
        s.write("summary.csv", |w| w.write_all(b"a,b\n1,2\n"))
            .unwrap();
        let settings = crate::sim::runner::Settings {
            runs: 1,
            seed: 1,
            threads: 1,
            sampling: crate::sim::runner::Sampling::Mc,
            until: None,
            block: None,
            shard: None,
        };
        let manifest = Manifest::new("run", &settings, std::time::SystemTime::now());
        let paths = s.commit(manifest).unwrap();
        assert_eq!(paths.last().unwrap(), &out.join(MANIFEST));
        let files = verify(&out).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].bytes, 8);
        // SHA-256 of "a,b\n1,2\n" computed independently (coreutils sha256sum).
        assert_eq!(
            files[0].sha256,
            "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470"
        );
        fs::write(out.join("summary.csv"), b"a,b\n1,3\n").unwrap();
        assert!(verify(&out).is_err());
        // Nothing is left beside the directory.
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("o")]);
    }

    #[test]
    fn a_dropped_set_leaves_the_directory_as_it_was() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("o");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("runs.csv"), b"old\n").unwrap();
        {
            let mut s = OutputSet::begin(&out).unwrap();
            s.write("runs.csv", |w| w.write_all(b"new\n")).unwrap();
        }
        assert_eq!(fs::read(out.join("runs.csv")).unwrap(), b"old\n");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn messages_say_what_to_do() {
        let full = explain(&io::Error::from(io::ErrorKind::StorageFull));
        assert!(
            full.contains("disk is full") && full.contains("--out"),
            "{full}"
        );
        let denied = explain(&io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(denied.contains("permission denied"), "{denied}");
        // As the CSV writer passes it on.
        let wrapped: io::Error =
            csv::Error::from(io::Error::from_raw_os_error(libc::ENOSPC)).into();
        let full = explain(&wrapped);
        assert!(
            full.contains("disk is full") && !full.contains("os error"),
            "{full}"
        );
    }
}
