//! reesim: Monte Carlo simulation of the rare-earth magnet supply chain under export controls
//! and strategic stockpiles.
//!
//! The library does the work; the `reesim` binary parses arguments and prints.
//! - `scenario`: the TOML schema, its validation and diagnostics.
//! - `model`: the validated model and the monthly chain step (stages, trade).
//! - `policy`: export controls and strategic stockpiles.
//! - `sim`: distributions, random streams, parameter sampling, one run, the parallel runner.
//! - `stats`: outcome metrics, time-series catalog, summaries and sketches.
//! - `export`: the output files.
//! - `os_error`: operating-system errors explained.

pub mod app;
pub mod calibration;
pub mod export;
pub mod market;
pub mod model;
pub mod os_error;
pub mod policy;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod tools;
