//! Statistics: per-run outcome metrics, the time-series catalog with its quantile sketches, and
//! summaries of per-run values.

pub mod columns;
pub mod histogram;
pub mod num;
pub mod outcomes;
pub mod rank;
pub mod registry;
pub mod summary;
pub mod timeseries;
pub mod uncertainty;

/// The quantiles reported everywhere, as (column name, probability).
pub const QUANTILES: [(&str, f64); 5] = [
    ("p5", 0.05),
    ("p25", 0.25),
    ("p50", 0.5),
    ("p75", 0.75),
    ("p95", 0.95),
];
