//! reesim: Monte Carlo simulation of the rare-earth magnet supply chain under export controls
//! and strategic stockpiles.
//!
//! The library does the work; the `reesim` binary parses arguments and prints errors.
//! - `cli`: the command line, turned into validated `app::Settings`.
//! - `app`: the commands; every batch command runs through one pipeline.
//! - `scenario`: the TOML schema, its validation and diagnostics.
//! - `model`: the validated model and the monthly chain step (stages, trade).
//! - `policy`: export controls and strategic stockpiles.
//! - `sim`: distributions, random streams, parameter sampling, one run, the parallel runner.
//! - `stats`: outcome metrics, time-series catalog, summaries and sketches.
//! - `export`: the output files, written as all-or-nothing sets.
//! - `os_error`: operating-system errors explained.
//! - `progress`: progress reports of long commands.
//! - `report`: report.html, tables and inline SVG charts of an output directory.
//! - `tools`: compare, sensitivity, stockpile sizing and sweeps.

pub mod app;
pub mod calibration;
pub mod cli;
pub mod export;
pub mod market;
pub mod model;
pub mod os_error;
pub mod policy;
pub mod progress;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod tools;
