//! The registry of everything reesim measures: each outcome metric (summary.csv, runs.csv) and
//! each time series (timeseries.csv) with its name, unit, meaning and which direction is
//! better. Outputs, terminal tables, tools and the README's tables take names and units from
//! here; no metric name is written anywhere else.

/// Which direction of a metric is better for the region that imports magnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    /// Neither: a quantity to read, not to minimise.
    Neither,
}

impl Better {
    pub fn word(self) -> &'static str {
        match self {
            Better::Lower => "lower",
            Better::Higher => "higher",
            Better::Neither => "",
        }
    }
}

/// An outcome metric: one number per run and scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    /// A short readable name for titles and tables.
    pub label: &'static str,
    pub unit: &'static str,
    pub better: Better,
    pub description: &'static str,
}

macro_rules! metrics {
    ($($id:ident = $name:literal, $label:literal, $unit:literal, $better:ident, $desc:literal;)*) => {
        $(
            #[doc = $desc]
            pub const $id: Metric = Metric {
                name: $name,
                label: $label,
                unit: $unit,
                better: Better::$better,
                description: $desc,
            };
        )*
        /// Every metric, in the order of the README's table.
        pub const METRICS: &[Metric] = &[$($id),*];
    };
}

metrics! {
    UNMET_DEMAND_T = "unmet_demand_t", "Unmet demand", "t", Lower,
        "Magnet demand not met over the horizon (after the component lag).";
    UNMET_SHARE = "unmet_share", "Unmet share of demand", "share", Lower,
        "Unmet demand as a share of demand over the horizon (0-1).";
    SHORTFALL_MONTHS = "shortfall_months", "Shortfall months", "months", Lower,
        "Months in which unmet demand exceeds 0.1% of that month's demand.";
    MAX_MONTHLY_SHORTFALL_SHARE = "max_monthly_shortfall_share", "Worst month's unmet share", "share", Lower,
        "Largest monthly unmet share of demand (0-1).";
    TIME_TO_RECOVER_MONTHS = "time_to_recover_months", "Time to recover", "months", Lower,
        "From the first shortfall month to the end of the last one.";
    LOST_OUTPUT_USD = "lost_output_usd", "Value of output lost", "USD", Lower,
        "Unmet tonnes times the sector's value of output per tonne of magnet.";
    PRICE_FORGONE_T = "price_forgone_t", "Demand priced out", "t", Lower,
        "Demand given up because of the price (not unmet); negative where lower prices drew extra demand.";
    PEAK_PRICE_INDEX = "peak_price_index", "Peak price", "index", Lower,
        "Highest monthly price index of the commodity (1 = the starting price).";
    MONTHS_ABOVE_2X = "months_above_2x", "Months above twice the start price", "months", Lower,
        "Months with the commodity's price index above 2.";
    SUBSTITUTION_SHARE = "substitution_share", "Demand substituted", "share", Neither,
        "Share of the sector's demand substituted away by the horizon's end (0-1).";
    HEAVY_FREE_SHARE = "heavy_free_share", "Heavy-free magnet share", "share", Neither,
        "Share of the sector's high-temperature demand moved to heavy-free designs by the horizon's end (0-1).";
    RECYCLED_T = "recycled_t", "Oxide recycled", "t", Higher,
        "Oxide recovered from recycled magnets over the horizon.";
    NEW_CAPACITY_T_PER_YR = "new_capacity_t_per_yr", "New capacity", "t/yr", Higher,
        "Capacity new by the horizon's end (pipeline projects online and price-driven additions), per stage.";
    STOCKPILE_INITIAL_T = "stockpile_initial_t", "Stockpile at start", "t", Neither,
        "The stockpile's level at the start.";
    STOCKPILE_RELEASED_T = "stockpile_released_t", "Released from the stockpile", "t", Neither,
        "Tonnes the stockpile released over the horizon.";
    STOCKPILE_MIN_T = "stockpile_min_t", "Stockpile at its lowest", "t", Higher,
        "The stockpile's lowest month-end level.";
    STOCKPILE_DEPLETED = "stockpile_depleted", "Stockpile runs empty", "share of runs", Lower,
        "1 if the stockpile ran empty in the run, else 0 (the mean is the probability).";
    STOCKPILE_DEPLETED_MONTH = "stockpile_depleted_month", "Month it runs empty", "month", Neither,
        "Month index in which the stockpile first ran empty (runs where it did).";
    STOCKPILE_MIN_COVER_MONTHS = "stockpile_min_cover_months", "Lowest cover", "months", Higher,
        "Months of the served demand the stockpile held at its worst month end.";
    STOCKPILE_REFILLED_T = "stockpile_refilled_t", "Refilled", "t", Neither,
        "Tonnes bought back into the stockpile over the horizon.";
    STOCKPILE_HOLDING_COST_USD = "stockpile_holding_cost_usd", "Holding cost", "USD", Lower,
        "Cost of holding the stockpile over the horizon.";
    LICENSED_SHIPMENTS_T = "licensed_shipments_t", "Shipped under licence", "t", Neither,
        "Tonnes shipped under licence over the horizon (world).";
    DELAYED_SHIPMENTS_T = "delayed_shipments_t", "Shipments delayed by licensing", "t", Neither,
        "Tonnes whose arrival a licence delayed into a later month (world).";
}

/// The metrics `reesim run` prints (world and per-region or per-sector scopes; stockpiles).
pub const RUN_TABLE: [Metric; 5] = [
    UNMET_DEMAND_T,
    UNMET_SHARE,
    SHORTFALL_MONTHS,
    STOCKPILE_MIN_T,
    STOCKPILE_DEPLETED,
];

/// The metrics `reesim compare` prints.
pub const COMPARE_TABLE: [Metric; 6] = [
    UNMET_DEMAND_T,
    UNMET_SHARE,
    SHORTFALL_MONTHS,
    LOST_OUTPUT_USD,
    PRICE_FORGONE_T,
    STOCKPILE_MIN_T,
];

/// The metrics whose spread uncertainty.csv breaks down (world unmet demand and share, and
/// unmet demand per region).
pub const BREAKDOWN: [Metric; 2] = [UNMET_DEMAND_T, UNMET_SHARE];

/// The metric `--until-mcse` watches and the first `sensitivity` outcome by default.
pub const DEFAULT_WATCHED: Metric = UNMET_DEMAND_T;

/// What a region or sector cell holds for "all regions" / "all sectors" (a reserved name).
pub const ALL: &str = "all";

/// A scope cell: the region or sector name, or `ALL` for an empty (all) scope.
pub fn scope(name: &str) -> &str {
    if name.is_empty() { ALL } else { name }
}

/// The unit of a metric by name (with or without a scope), or "" when unknown.
pub fn unit_of(name: &str) -> &'static str {
    metric(name).map_or("", |m| m.unit)
}

/// The metric named `name` (a runs.csv column's name before any `[scope]`).
pub fn metric(name: &str) -> Option<&'static Metric> {
    let base = name.split('[').next().unwrap_or(name);
    METRICS.iter().find(|m| m.name == base)
}

/// A time series of timeseries.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
}

macro_rules! series {
    ($($id:ident = $name:literal, $unit:literal, $desc:literal;)*) => {
        $(
            #[doc = $desc]
            pub const $id: Series = Series { name: $name, unit: $unit, description: $desc };
        )*
        /// Every series, in the order of timeseries.csv.
        pub const SERIES: &[Series] = &[$($id),*];
    };
}

series! {
    PRODUCTION = "production", "t/month",
        "Output by stage (item): mine (t REO), light_oxide, heavy_oxide, magnet_standard, magnet_high_temp.";
    EXPORTS = "exports", "t/month", "Shipments leaving the region, by commodity (item).";
    IMPORTS = "imports", "t/month", "Shipments arriving in the region, by commodity (item).";
    DEMAND = "demand", "t/month", "Magnet demand by sector (item), or `total`.";
    DELIVERED = "delivered", "t/month", "Magnets delivered by sector (item), including stockpile releases.";
    UNMET = "unmet", "t/month", "Unmet magnet demand by sector (item), after the component lag.";
    INVENTORY = "inventory", "t", "Commercial stock at month end, by commodity (item).";
    STOCKPILE = "stockpile", "t", "Strategic stockpile level at month end (item: stockpile).";
    PRICE = "price", "index", "Price index in force during the month, by commodity (item; 1 = the starting price).";
    SUBSTITUTION = "substitution", "share", "Share of the sector's (item) demand substituted away (0-1).";
    RECYCLING = "recycling", "t/month", "Oxide recovered from recycled magnets (item: light_oxide, heavy_oxide).";
    EXPORTS_TO = "exports_to", "t/month", "Shipments on one route (region: origin; destination), by commodity (item).";
    LICENSED = "licensed", "t/month", "Shipments under licence on one route, by commodity (item).";
    IN_TRANSIT = "in_transit", "t", "Tonnes in transit to the region at month end, by commodity (item).";
}

/// The series named `name`.
pub fn series(name: &str) -> Option<&'static Series> {
    SERIES.iter().find(|s| s.name == name)
}

/// The README's tables of metrics and series, generated from the registry (a test keeps the
/// README in sync).
pub fn markdown_tables() -> String {
    let mut s = String::from("| metric | unit | better | meaning |\n|---|---|---|---|\n");
    for m in METRICS {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            m.name,
            m.unit,
            m.better.word(),
            m.description
        ));
    }
    s.push_str("\n| series | unit | meaning |\n|---|---|---|\n");
    for x in SERIES {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            x.name, x.unit, x.description
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found_with_or_without_a_scope() {
        for (i, m) in METRICS.iter().enumerate() {
            assert!(METRICS[..i].iter().all(|o| o.name != m.name), "{}", m.name);
        }
        for (i, x) in SERIES.iter().enumerate() {
            assert!(SERIES[..i].iter().all(|o| o.name != x.name), "{}", x.name);
        }
        assert_eq!(metric("unmet_share[region=a,sector=b]"), Some(&UNMET_SHARE));
        assert_eq!(metric("nonsense"), None);
        assert_eq!(series("price").map(|s| s.unit), Some("index"));
    }
}
