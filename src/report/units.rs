//! Units and readable names of the metrics (summary.csv, runs.csv) and series
//! (timeseries.csv) the report shows. A `unit` column in the files wins; without one the unit
//! follows from the name.

use super::format::{num, pct};
use crate::stats::registry;

/// The unit of a value as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    Tonnes,
    TonnesPerMonth,
    TonnesPerYear,
    Usd,
    /// A fraction, shown as a percentage.
    Share,
    /// A 0/1 outcome whose mean is a probability, shown as a percentage of runs.
    Probability,
    Months,
    /// A month of the horizon (0-based).
    MonthIndex,
    /// A price relative to the start (1 = the price in the first month).
    PriceIndex,
    /// As written in a `unit` column the report does not know.
    Other(String),
}

impl Unit {
    /// From a `unit` cell (None when empty).
    pub fn parse(s: &str) -> Option<Unit> {
        let s = s.trim();
        Some(match s.to_ascii_lowercase().as_str() {
            "" => return None,
            "t" | "tonnes" => Unit::Tonnes,
            "t/month" | "t/mo" => Unit::TonnesPerMonth,
            "t/yr" | "t/year" => Unit::TonnesPerYear,
            "usd" | "$" => Unit::Usd,
            "share" | "fraction" | "ratio" | "1" => Unit::Share,
            "probability" | "share of runs" | "0/1" | "flag" => Unit::Probability,
            "months" => Unit::Months,
            "month" | "month index" => Unit::MonthIndex,
            "index" | "price index" | "x" => Unit::PriceIndex,
            _ => Unit::Other(s.to_string()),
        })
    }

    /// Short label for table headers and axes.
    pub fn label(&self) -> &str {
        match self {
            Unit::Tonnes => "t",
            Unit::TonnesPerMonth => "t/month",
            Unit::TonnesPerYear => "t/yr",
            Unit::Usd => "USD",
            Unit::Share => "%",
            Unit::Probability => "% of runs",
            Unit::Months => "months",
            Unit::MonthIndex => "month (from 0)",
            Unit::PriceIndex => "\u{d7} first-month price",
            Unit::Other(s) => s,
        }
    }

    /// A value in this unit for a table cell: three significant digits, millions and billions
    /// as `M` and `bn`.
    pub fn fmt(&self, v: f64) -> String {
        match self {
            Unit::Share | Unit::Probability => pct(v),
            _ if v.abs() >= 1e9 => format!("{} bn", num(v / 1e9)),
            _ if v.abs() >= 1e6 => format!("{} M", num(v / 1e6)),
            _ => num(v),
        }
    }

    /// Factor from the file's value to the charted one (shares are charted in percent).
    pub fn chart_factor(&self) -> f64 {
        match self {
            Unit::Share | Unit::Probability => 100.0,
            _ => 1.0,
        }
    }
}

/// The unit of a metric from its name: the registry's, else the name's ending.
pub fn metric_unit(metric: &str) -> Unit {
    if let Some(u) = registry::metric(metric).and_then(|m| Unit::parse(m.unit)) {
        return u;
    }
    let ends = |s: &str| metric.ends_with(s);
    if ends("_t_per_yr") {
        Unit::TonnesPerYear
    } else if ends("_t") {
        Unit::Tonnes
    } else if ends("_usd") {
        Unit::Usd
    } else if ends("_share") {
        Unit::Share
    } else if ends("_months") {
        Unit::Months
    } else if ends("_month") {
        Unit::MonthIndex
    } else if ends("_index") {
        Unit::PriceIndex
    } else {
        Unit::Other(String::new())
    }
}

/// A readable name of a metric (the name itself when unknown).
pub fn metric_label(metric: &str) -> String {
    registry::metric(metric).map_or_else(|| metric.replace('_', " "), |m| m.label.to_string())
}

/// The unit of a timeseries.csv series: flows in t/month, stocks in t, prices as an index.
pub fn series_unit(series: &str) -> Unit {
    registry::series(series)
        .and_then(|s| Unit::parse(s.unit))
        .unwrap_or(Unit::TonnesPerMonth)
}

/// The unit of a metric or series: the file's `unit` cell when it has one, else from the name.
pub fn unit_or(cell: Option<&str>, from_name: impl FnOnce() -> Unit) -> Unit {
    cell.and_then(Unit::parse).unwrap_or_else(from_name)
}

/// A runs.csv column name split into metric and scope: `metric[region=a,stockpile=b]` ->
/// ("metric", [("region","a"), ("stockpile","b")]). None for a name that is not of that form.
pub fn split_column(col: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    match col.split_once('[') {
        None => Some((col, Vec::new())),
        Some((m, rest)) => {
            let inner = rest.strip_suffix(']')?;
            let parts = inner
                .split(',')
                .map(|p| p.split_once('='))
                .collect::<Option<Vec<_>>>()?;
            Some((m, parts))
        }
    }
}

/// Whether a scope cell means "all" (empty, or the word `all`).
pub fn is_all(cell: &str) -> bool {
    cell.is_empty() || cell == "all"
}

/// Readable scope: `rest_of_world / electronics`, `all regions`, ...
pub fn scope_label(region: &str, sector: &str, item: &str) -> String {
    let mut parts = Vec::new();
    if !is_all(region) {
        parts.push(region.to_string());
    }
    if !is_all(sector) {
        parts.push(sector.to_string());
    }
    if !is_all(item) {
        parts.push(item.to_string());
    }
    if parts.is_empty() {
        "world".to_string()
    } else {
        parts.join(" / ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_from_names() {
        assert_eq!(metric_unit("unmet_demand_t"), Unit::Tonnes);
        assert_eq!(metric_unit("unmet_share"), Unit::Share);
        assert_eq!(metric_unit("stockpile_depleted"), Unit::Probability);
        assert_eq!(metric_unit("stockpile_depleted_month"), Unit::MonthIndex);
        assert_eq!(metric_unit("lost_output_usd"), Unit::Usd);
        assert_eq!(metric_unit("some_new_t"), Unit::Tonnes);
        assert_eq!(metric_unit("some_new_t_per_yr"), Unit::TonnesPerYear);
        assert_eq!(metric_unit("peak_price_index"), Unit::PriceIndex);
        assert_eq!(series_unit("unmet"), Unit::TonnesPerMonth);
        assert_eq!(series_unit("stockpile"), Unit::Tonnes);
        assert_eq!(series_unit("price"), Unit::PriceIndex);
    }

    #[test]
    fn a_unit_column_wins() {
        assert_eq!(
            unit_or(Some("t/month"), || Unit::Tonnes),
            Unit::TonnesPerMonth
        );
        assert_eq!(unit_or(Some(""), || Unit::Tonnes), Unit::Tonnes);
        assert_eq!(unit_or(None, || Unit::Usd), Unit::Usd);
        assert_eq!(
            unit_or(Some("kg"), || Unit::Usd),
            Unit::Other("kg".to_string())
        );
    }

    #[test]
    fn values_by_unit() {
        assert_eq!(Unit::Tonnes.fmt(9434.83), "9,435");
        assert_eq!(Unit::Share.fmt(0.0053), "0.53%");
        assert_eq!(Unit::Probability.fmt(0.905), "90%");
        assert_eq!(Unit::Usd.fmt(19_626_598_964.0), "19.6 bn");
        assert_eq!(Unit::Usd.fmt(2_004_533.0), "2 M");
        assert_eq!(Unit::Tonnes.fmt(999_999.0), "999,999");
    }

    #[test]
    fn column_names_split() {
        assert_eq!(
            split_column("unmet_demand_t"),
            Some(("unmet_demand_t", vec![]))
        );
        assert_eq!(
            split_column("stockpile_min_t[region=rest_of_world,stockpile=row]"),
            Some((
                "stockpile_min_t",
                vec![("region", "rest_of_world"), ("stockpile", "row")]
            ))
        );
        assert_eq!(split_column("x[region]"), None);
        assert_eq!(scope_label("", "all", ""), "world");
        assert_eq!(scope_label("all", "ev", ""), "ev");
        assert_eq!(
            scope_label("rest_of_world", "", "row"),
            "rest_of_world / row"
        );
    }
}
