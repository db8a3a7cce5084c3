//! All-or-nothing output sets, tested on the real binary: a run killed (SIGKILL) at any moment
//! leaves its output directory with the complete previous set or the complete new one, the
//! next run into that directory removes what the killed one left, a full disk fails cleanly,
//! and `--out` naming a file is a clear argument error.
//!
//! Kill points, named by the binary's test hook `REESIM_TEST_PAUSE_AT` (it waits there to be
//! killed), in the order a run reaches them:
//! - `runs-started`: staging directory made, runs.csv opened with its header;
//! - `runs-batch`: batches of runs streamed into the staged runs.csv;
//! - `data-written`: every data file staged, manifest.json not yet written;
//! - `staged`: manifest.json written, swap not begun;
//! - `moved-aside` (two-rename swap, forced with `REESIM_TEST_NO_EXCHANGE`): the old set
//!   renamed away, the new one not yet in place, so the directory is missing;
//! - `swapped`: the new set in place, the old one not yet removed.
//!
//! Plus kills at a few plain moments after the start, without the hook.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_reesim"));
    c.env_remove("REESIM_TEST_PAUSE_AT")
        .env_remove("REESIM_TEST_NO_EXCHANGE");
    c
}

/// A set's data files, by name with their SHA-256, checked against its manifest independently
/// of the binary's own code: every listed file has the listed size and hash, and the directory
/// holds nothing else.
type Fingerprint = Vec<(String, String)>;

fn verify_set(dir: &Path) -> Result<Fingerprint, String> {
    let text = std::fs::read_to_string(dir.join("manifest.json"))
        .map_err(|e| format!("{}: manifest.json: {e}", dir.display()))?;
    let m: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for f in m["files"].as_array().ok_or("manifest lists no files")? {
        let name = f["name"].as_str().ok_or("file without name")?;
        let bytes = std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if Some(bytes.len() as u64) != f["bytes"].as_u64()
            || Some(sha.as_str()) != f["sha256"].as_str()
        {
            return Err(format!("{name} does not match the manifest"));
        }
        out.push((name.to_string(), sha));
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut listed: Vec<String> = out.iter().map(|(n, _)| n.clone()).collect();
    listed.push("manifest.json".into());
    listed.sort();
    if names != listed {
        return Err(format!(
            "directory holds {names:?}, manifest names {listed:?}"
        ));
    }
    if out.is_empty() {
        return Err("no data files".into());
    }
    Ok(out)
}

/// Hidden entries reesim left beside `dir` (staging or old sets).
fn leftovers(dir: &Path) -> Vec<String> {
    let prefix = format!(".{}.", dir.file_name().unwrap().to_string_lossy());
    std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect()
}

fn run_args(runs: u32, seed: u32, out: &Path) -> Vec<String> {
    vec![
        "run".into(),
        repo("scenarios/total-ban-12m-stockpile.toml")
            .display()
            .to_string(),
        "--runs".into(),
        runs.to_string(),
        "--seed".into(),
        seed.to_string(),
        "--threads".into(),
        "2".into(),
        "--quiet".into(),
        "--out".into(),
        out.display().to_string(),
    ]
}

fn complete_run(runs: u32, seed: u32, out: &Path) {
    let o = bin().args(run_args(runs, seed, out)).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Starts a run that waits at `point`, waits until it says so, and SIGKILLs it.
fn kill_at(args: &[String], point: &str, no_exchange: bool) {
    let mut cmd = bin();
    cmd.args(args)
        .env("REESIM_TEST_PAUSE_AT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if no_exchange {
        cmd.env("REESIM_TEST_NO_EXCHANGE", "1");
    }
    let mut child = cmd.spawn().unwrap();
    let want = format!("reesim-test: paused at {point}");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(l) if l == want => break,
            Ok(l) => seen.push(l),
            Err(_) => {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("run ended ({status}) before reaching {point}: {seen:?}");
                }
                assert!(Instant::now() < deadline, "no pause at {point}: {seen:?}");
            }
        }
    }
    sigkill(&mut child);
}

fn sigkill(child: &mut Child) {
    // Child::kill sends SIGKILL on Unix.
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_kill_at_any_point_leaves_the_previous_or_the_new_set() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // The complete new set, made separately: data files are byte-identical for a seed.
    let reference = tmp.path().join("reference");
    complete_run(96, 2, &reference);
    let new = verify_set(&reference).unwrap();
    complete_run(40, 1, &out);
    let old = verify_set(&out).unwrap();
    assert_ne!(old, new);
    let b = run_args(96, 2, &out);

    let points: &[(&str, bool)] = &[
        ("runs-started", false),
        ("runs-batch", false),
        ("data-written", false),
        ("staged", false),
        ("swapped", false),
        ("runs-batch", true),
        ("staged", true),
        ("moved-aside", true),
        ("swapped", true),
    ];
    for &(point, no_exchange) in points {
        let mode = if no_exchange {
            "two renames"
        } else {
            "exchange"
        };
        kill_at(&b, point, no_exchange);
        let after = verify_set(&out);
        match point {
            "swapped" => assert_eq!(after.as_ref(), Ok(&new), "killed at {point} ({mode})"),
            // Between the two renames the directory is missing; the next run restores it.
            "moved-aside" => assert!(!out.exists(), "killed at {point} ({mode})"),
            _ => assert_eq!(after.as_ref(), Ok(&old), "killed at {point} ({mode})"),
        }
        assert!(
            !leftovers(&out).is_empty(),
            "killed at {point} ({mode}): nothing left to clean up?"
        );
        // The next run into the directory restores a complete set and removes the leftovers
        // before it starts (killed there, so the restored set is what is seen).
        kill_at(&run_args(40, 1, &out), "recovered", false);
        let restored = verify_set(&out)
            .unwrap_or_else(|e| panic!("after a kill at {point} ({mode}) and restart: {e}"));
        assert!(
            restored == old || restored == new,
            "after a kill at {point} ({mode}): neither set"
        );
        assert_eq!(
            leftovers(&out),
            Vec::<String>::new(),
            "after a kill at {point} ({mode})"
        );
        // Back to the previous set for the next kill point.
        complete_run(40, 1, &out);
        assert_eq!(verify_set(&out).as_ref(), Ok(&old));
        assert_eq!(leftovers(&out), Vec::<String>::new());
    }

    // Kills at plain moments, without the hook.
    for ms in [150, 600, 1500, 3000] {
        let mut child = bin()
            .args(&b)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        sigkill(&mut child);
        let after = verify_set(&out).unwrap_or_else(|e| panic!("killed after {ms} ms: {e}"));
        assert!(
            after == old || after == new,
            "killed after {ms} ms: neither set"
        );
        complete_run(40, 1, &out);
        assert_eq!(leftovers(&out), Vec::<String>::new());
    }
}

#[test]
fn stale_temporary_files_of_dead_runs_are_removed_and_live_ones_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    complete_run(8, 1, &out);
    // Left by processes that no longer run: a pid above the kernel's limit is never alive.
    let dead = tmp.path().join(".o.reesim-staging-4194305");
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("runs.csv"), "run\n1\n").unwrap();
    std::fs::create_dir(tmp.path().join(".o.reesim-old-4194306")).unwrap();
    // A temporary file of the earlier format inside the directory.
    std::fs::write(out.join(".runs.csv.tmp-4194307"), "run\n").unwrap();
    // One of a live process (this test) stays.
    let live = tmp
        .path()
        .join(format!(".o.reesim-staging-{}", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    complete_run(8, 1, &out);
    assert_eq!(
        leftovers(&out),
        vec![live.file_name().unwrap().to_string_lossy().into_owned()]
    );
    verify_set(&out).unwrap();
}

#[test]
fn out_naming_a_file_or_a_directory_of_other_files_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "mine").unwrap();
    let o = bin().args(run_args(4, 1, &file)).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("is a file, not a directory"), "{err}");
    assert!(!err.contains("os error"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    // A directory with someone else's files is not replaced.
    let o = bin().args(run_args(4, 1, tmp.path())).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("`notes.txt`"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    // Nor is the current directory, even an empty one.
    let here = tmp.path().join("here");
    std::fs::create_dir(&here).unwrap();
    let o = bin()
        .args(run_args(4, 1, Path::new(".")))
        .current_dir(&here)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("is the current directory"), "{err}");
    assert_eq!(std::fs::read_dir(&here).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        2,
        "nothing left beside it"
    );
}

/// A small tmpfs, mounted for the test; None (with a message) where mounting is not allowed.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_names_the_file_and_keeps_the_previous_set() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(&tmp.path().join("small"), "2m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let out = fs.0.join("o");
    complete_run(10, 1, &out);
    let old = verify_set(&out).unwrap();
    // runs.csv of 2,000 runs is several MB: it cannot fit.
    let o = bin().args(run_args(2000, 2, &out)).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("disk is full"), "{err}");
    assert!(
        err.contains(&out.join("runs.csv").display().to_string()),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
    assert_eq!(verify_set(&out), Ok(old));
    assert_eq!(leftovers(&out), Vec::<String>::new());
    drop(fs);
}

#[test]
fn a_tool_killed_during_its_swap_leaves_a_complete_set() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    let s = repo("scenarios/total-ban-12m.toml").display().to_string();
    let compare = |runs: &str| -> Vec<String> {
        ["compare", &s, &s, "--runs", runs, "--quiet", "--out"]
            .iter()
            .map(|x| x.to_string())
            .chain([out.display().to_string()])
            .collect()
    };
    let o = bin().args(compare("8")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let old = verify_set(&out).unwrap();
    assert_eq!(old.len(), 1, "compare.csv");
    kill_at(&compare("16"), "staged", false);
    assert_eq!(verify_set(&out).as_ref(), Ok(&old));
    kill_at(&compare("16"), "moved-aside", true);
    assert!(!out.exists());
    let o = bin().args(compare("8")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(verify_set(&out).as_ref(), Ok(&old));
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

// Checks that hold for any version of the binary: no `--quiet`, no test hooks, no manifest
// format, only the data files and what lies beside them.

/// `run_args` without `--quiet`.
fn plain_args(runs: u32, seed: u32, out: &Path) -> Vec<String> {
    run_args(runs, seed, out)
        .into_iter()
        .filter(|a| a != "--quiet")
        .collect()
}

fn plain_run(runs: u32, seed: u32, out: &Path) {
    let o = bin().args(plain_args(runs, seed, out)).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The visible files of `dir` but manifest.json (it records the time), with their bytes; None
/// if the directory is missing.
fn data_files(dir: &Path) -> Option<Vec<(String, Vec<u8>)>> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "manifest.json")
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    out.sort();
    Some(out)
}

/// Name, inode, size and modification time of every visible entry of `dir` (empty if it is
/// missing): changes as soon as any file is replaced, not when a temporary file appears.
fn stamp(dir: &Path) -> Vec<(String, u64, u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            if e.file_name().to_string_lossy().starts_with('.') {
                return None;
            }
            let m = e.metadata().ok()?;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                m.ino(),
                m.size(),
                m.mtime(),
                m.mtime_nsec(),
            ))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_run_killed_as_its_first_file_lands_leaves_one_runs_files_not_two() {
    let tmp = tempfile::tempdir().unwrap();
    let (ref_a, ref_b, out) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("o"),
    );
    plain_run(40, 1, &ref_a);
    plain_run(96, 2, &ref_b);
    let (a, b) = (data_files(&ref_a).unwrap(), data_files(&ref_b).unwrap());
    assert!(
        a.len() >= 4,
        "{:?}",
        a.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(
        a.iter().zip(&b).all(|(x, y)| x.1 != y.1),
        "every file differs"
    );
    let mut compared = 0;
    for attempt in 0..3 {
        plain_run(40, 1, &out);
        assert!(data_files(&out).unwrap() == a);
        let before = stamp(&out);
        let mut child = bin()
            .args(plain_args(96, 2, &out))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Killed the moment any entry of the directory changes.
        let changed = loop {
            if stamp(&out) != before {
                break true;
            }
            if child.try_wait().unwrap().is_some() {
                // The run may have swapped its set in and exited between the two checks:
                // look once more now that nothing can change.
                break stamp(&out) != before;
            }
        };
        sigkill(&mut child);
        assert!(changed, "attempt {attempt}: the run ended unseen");
        let Some(after) = data_files(&out) else {
            // Between the two renames of a swap without exchange; nothing mixed.
            continue;
        };
        compared += 1;
        let from = |set: &[(String, Vec<u8>)]| -> Vec<String> {
            after
                .iter()
                .filter(|f| set.contains(f))
                .map(|f| f.0.clone())
                .collect()
        };
        assert!(
            after == a || after == b,
            "attempt {attempt}: files of the previous run {:?}, of the new one {:?}, of neither {:?}",
            from(&a),
            from(&b),
            after
                .iter()
                .filter(|f| !a.contains(f) && !b.contains(f))
                .map(|f| &f.0)
                .collect::<Vec<_>>()
        );
    }
    assert!(compared > 0, "the directory was missing after every kill");
}

/// Hidden entries in `dir` and beside it: what a run may leave while it works.
fn hidden(dir: &Path) -> Vec<String> {
    let inside = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'));
    let mut all: Vec<String> = inside.chain(leftovers(dir)).collect();
    all.sort();
    all
}

#[test]
fn the_next_run_removes_what_a_killed_run_left() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    plain_run(8, 1, &out);
    assert_eq!(hidden(&out), Vec::<String>::new());
    let mut child = bin()
        .args(plain_args(100_000, 2, &out))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while hidden(&out).is_empty() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended without a temporary file"
        );
        assert!(Instant::now() < deadline, "no temporary file");
        std::thread::sleep(Duration::from_millis(5));
    }
    sigkill(&mut child);
    let left = hidden(&out);
    assert!(!left.is_empty());
    plain_run(8, 1, &out);
    assert_eq!(
        hidden(&out),
        Vec::<String>::new(),
        "killed run left {left:?}"
    );
}

#[test]
fn a_full_disk_error_names_the_file_that_did_not_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(&tmp.path().join("small"), "2m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let out = fs.0.join("o");
    plain_run(10, 1, &out);
    let before = data_files(&out).unwrap();
    let o = bin().args(plain_args(2000, 2, &out)).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("runs.csv"), "{err}");
    assert!(data_files(&out).unwrap() == before, "previous data kept");
    drop(fs);
}
