//! Progress of long commands on stderr ([`Reporter`]): a bar on a terminal, a periodic line
//! ([`Lines`]) when stderr is piped or redirected, and nothing with `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Receives the progress of a command: stages of work (a batch, a grid point, a stockpile
/// size), each of at most `total` runs, and runs as they finish.
pub trait Progress {
    /// A new stage; `label` names it (empty for a command's only batch).
    fn stage(&mut self, label: &str, total: u64);
    /// `runs` more runs done in the current stage.
    fn advance(&mut self, runs: u64);
}

/// No progress.
pub struct Silent;

impl Progress for Silent {
    fn stage(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: u64) {}
}

/// How often [`Lines`] prints by default.
pub const EVERY: Duration = Duration::from_secs(10);

/// What a progress line reports.
#[derive(Debug, Clone, Default)]
struct Counts {
    label: String,
    total: u64,
    done: u64,
    all: u64,
    stopped: bool,
}

impl Counts {
    /// `reesim: <stage>: 5120/100000 runs; 5120 runs in 10 s (512.0 runs/s)`.
    fn line(&self, elapsed: Duration) -> String {
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.all as f64 / secs
        } else {
            0.0
        };
        let stage = if self.label.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.label)
        };
        format!(
            "reesim: {stage}{}/{} runs; {} runs in {:.0} s ({:.1} runs/s)",
            self.done, self.total, self.all, secs, rate
        )
    }
}

type Shared = Arc<(Mutex<Counts>, Condvar)>;

/// A line every `every` from a timer thread, whether or not runs finished in between (a
/// slow batch still shows the command is alive). Stops when dropped.
pub struct Lines {
    shared: Shared,
    timer: Option<std::thread::JoinHandle<()>>,
}

impl Lines {
    pub fn new<W: Write + Send + 'static>(mut out: W, every: Duration) -> Self {
        let shared: Shared = Arc::default();
        let theirs = Arc::clone(&shared);
        let started = Instant::now();
        let timer = std::thread::spawn(move || {
            let (lock, wake) = &*theirs;
            let mut next = started + every;
            let mut counts = lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                let now = Instant::now();
                if counts.stopped {
                    return;
                }
                if now < next {
                    counts = wake
                        .wait_timeout(counts, next - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    continue;
                }
                let _ = writeln!(out, "{}", counts.line(now - started));
                let _ = out.flush();
                next += every;
            }
        });
        Lines {
            shared,
            timer: Some(timer),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Counts)) {
        let mut c = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut c);
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        self.with(|c| c.stopped = true);
        self.shared.1.notify_all();
        if let Some(t) = self.timer.take() {
            let _ = t.join();
        }
    }
}

impl Progress for Lines {
    fn stage(&mut self, label: &str, total: u64) {
        self.with(|c| {
            c.label = label.to_string();
            c.total = total;
            c.done = 0;
        });
    }

    fn advance(&mut self, runs: u64) {
        self.with(|c| {
            c.done += runs;
            c.all += runs;
        });
    }
}

/// Progress on stderr: a bar on a terminal, a periodic line when stderr is piped or redirected
/// (so long runs under a scheduler or `2> log` still show they are alive), nothing when quiet.
pub enum Reporter {
    Bar(indicatif::ProgressBar),
    Lines(Lines),
    Quiet,
}

impl Reporter {
    pub fn new(quiet: bool) -> Self {
        use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
        if quiet {
            Reporter::Quiet
        } else if std::io::stderr().is_terminal() {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg}{pos}/{len} runs [{bar:30}] {elapsed} (eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            Reporter::Bar(b)
        } else {
            // For tests and diagnosis only: another interval, in milliseconds.
            let every = std::env::var("REESIM_PROGRESS_EVERY_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .map_or(EVERY, Duration::from_millis);
            Reporter::Lines(Lines::new(std::io::stderr(), every))
        }
    }

    /// Clears the bar or stops the lines before the results print.
    pub fn finish(&mut self) {
        if let Reporter::Bar(b) = self {
            b.finish_and_clear();
        }
        *self = Reporter::Quiet;
    }
}

impl Progress for Reporter {
    fn stage(&mut self, label: &str, total: u64) {
        match self {
            Reporter::Bar(b) => {
                b.set_length(total);
                b.set_position(0);
                b.set_message(if label.is_empty() {
                    String::new()
                } else {
                    format!("{label}: ")
                });
            }
            Reporter::Lines(l) => l.stage(label, total),
            Reporter::Quiet => {}
        }
    }

    fn advance(&mut self, runs: u64) {
        match self {
            Reporter::Bar(b) => b.inc(runs),
            Reporter::Lines(l) => l.advance(runs),
            Reporter::Quiet => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_stage_counts_and_rate() {
        let c = Counts {
            label: "point 1/2".into(),
            total: 1000,
            done: 200,
            all: 400,
            stopped: false,
        };
        assert_eq!(
            c.line(Duration::from_secs(20)),
            "reesim: point 1/2: 200/1000 runs; 400 runs in 20 s (20.0 runs/s)"
        );
    }

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_keep_coming_while_no_run_finishes_and_stop_when_dropped() {
        let buf = Buf::default();
        let mut p = Lines::new(buf.clone(), Duration::from_millis(20));
        p.stage("", 10);
        p.advance(3);
        std::thread::sleep(Duration::from_millis(150));
        drop(p);
        let n = String::from_utf8(buf.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .inspect(|l| assert!(l.starts_with("reesim: 3/10 runs; 3 runs in "), "{l}"))
            .count();
        assert!(n >= 2, "{n} lines");
        std::thread::sleep(Duration::from_millis(60));
        let after = buf.0.lock().unwrap().len();
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(buf.0.lock().unwrap().len(), after, "no lines after drop");
    }
}
