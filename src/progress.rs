//! Progress of long commands. The binary shows a bar on a terminal, prints a periodic line
//! ([`Lines`]) when stderr is piped or redirected, and nothing with `--quiet`.

use std::io::Write;
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

/// A line every `every`: `reesim: <stage>: 5120/100000 runs; 5120 runs in 10 s (512 runs/s)`.
pub struct Lines<W: Write> {
    out: W,
    every: Duration,
    started: Instant,
    last: Instant,
    label: String,
    total: u64,
    done: u64,
    all: u64,
}

impl<W: Write> Lines<W> {
    pub fn new(out: W, every: Duration) -> Self {
        let now = Instant::now();
        Lines {
            out,
            every,
            started: now,
            last: now,
            label: String::new(),
            total: 0,
            done: 0,
            all: 0,
        }
    }

    /// Prints a line if `every` has passed since the last one (or the start); the clock is
    /// passed in so tests need not wait.
    pub fn tick(&mut self, now: Instant) {
        if now.duration_since(self.last) < self.every {
            return;
        }
        self.last = now;
        let secs = now.duration_since(self.started).as_secs_f64();
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
        let _ = writeln!(
            self.out,
            "reesim: {stage}{}/{} runs; {} runs in {:.0} s ({:.1} runs/s)",
            self.done, self.total, self.all, secs, rate
        );
        let _ = self.out.flush();
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Progress for Lines<W> {
    fn stage(&mut self, label: &str, total: u64) {
        self.label = label.to_string();
        self.total = total;
        self.done = 0;
        self.tick(Instant::now());
    }

    fn advance(&mut self, runs: u64) {
        self.done += runs;
        self.all += runs;
        self.tick(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_each_interval_with_counts_and_rate() {
        let mut p = Lines::new(Vec::new(), Duration::from_secs(10));
        let t0 = p.started;
        p.label = "point 1/2".into();
        p.total = 1000;
        p.done = 200;
        p.all = 200;
        p.tick(t0 + Duration::from_secs(5));
        assert!(p.out.is_empty(), "nothing before the interval");
        p.tick(t0 + Duration::from_secs(10));
        p.done = 400;
        p.all = 400;
        p.tick(t0 + Duration::from_secs(15));
        p.tick(t0 + Duration::from_secs(20));
        let text = String::from_utf8(p.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "reesim: point 1/2: 200/1000 runs; 200 runs in 10 s (20.0 runs/s)",
                "reesim: point 1/2: 400/1000 runs; 400 runs in 20 s (20.0 runs/s)",
            ]
        );
    }
}
