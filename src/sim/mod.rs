//! Simulation: distributions, random streams, per-run sampling, one run, and the parallel
//! Monte Carlo runner.

pub mod exogenous;
pub mod month;
pub mod params;
pub mod run;
pub mod runner;
pub mod streams;
