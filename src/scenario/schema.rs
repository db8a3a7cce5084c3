//! The scenario file as users write it (TOML). These types mirror the file one-to-one and carry
//! source spans for error messages; `validate` turns them into the engine's `model::Scenario`.
//! Every key is documented in docs/scenarios.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use crate::model::param::Param;

pub type P = Spanned<Param>;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub scenario: Meta,
    pub grades: Grades,
    #[serde(default)]
    pub market: Market,
    #[serde(default, skip_serializing_if = "Logistics::is_empty")]
    pub logistics: Logistics,
    pub regions: BTreeMap<String, Spanned<RegionFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Spanned<ControlFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stockpiles: Vec<Spanned<StockpileFile>>,
    /// Rank correlations between sampled parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub correlations: Vec<Spanned<CorrelationFile>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Calendar month of model month 0, "YYYY-MM".
    pub start: Spanned<String>,
    pub horizon_months: Spanned<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Grades {
    pub standard: Recipe,
    pub high_temp: Recipe,
}

/// Oxide needed per tonne of magnet.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub ndpr_oxide_t: P,
    pub dytb_oxide_t: P,
}

/// Time goods take: shipping on every route, and from magnet to end product.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Logistics {
    /// Shipping time of every route without its own entry, weeks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_weeks: Option<P>,
    /// Months from a magnet leaving the commercial stock to the end product it goes into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_months: Option<P>,
    /// Routes with their own shipping time, by a name of the user's choosing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub routes: BTreeMap<String, Spanned<RouteFile>>,
}

impl Logistics {
    pub fn is_empty(&self) -> bool {
        self.transit_weeks.is_none() && self.component_months.is_none() && self.routes.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub transit_weeks: P,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// Months over which a gap between a commercial inventory and its target is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebuild_months: Option<P>,
    /// Monthly change of log price per unit of log tightness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_response: Option<P>,
    /// Share of the log price gap to the starting price closed each month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_reversion: Option<P>,
    /// How many times faster prices rise than they fall back (traders price tightness within
    /// weeks; prices decay over months). 1: symmetric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_rise_speedup: Option<P>,
    /// Highest and lowest price index (1 = starting price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_ceiling: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_floor: Option<P>,
    /// New capacity triggered by sustained high prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expansion: Option<ExpansionFile>,
    /// Share of a magnet's price that is the cost of its oxide (magnet prices rise at least as
    /// the oxide they are made of does; 0: no pass-through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oxide_cost_share: Option<P>,
    /// Share of a separated oxide's price that is the cost of its concentrate feed (oxide prices
    /// rise at least as their feed does; 0: no pass-through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_cost_share: Option<P>,
    /// Price of Dy/Tb oxide over NdPr oxide per tonne at the start (weights the oxides' costs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dytb_value_ratio: Option<P>,
    /// Speculative stocking: extra share of every buyer's target inventory per unit rise of
    /// the log price over the last `hoarding_months` (0: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hoarding: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hoarding_months: Option<P>,
    /// Demand response of every sector that does not set its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseFile>,
}

/// Demand-response defaults (the same keys a sector may set for itself).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ResponseFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elasticity: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_ceiling: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heavy_free_ceiling: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heavy_free_trend: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_rate: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_lag_months: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_trigger: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_usd_per_t: Option<P>,
}

/// Capacity expansion triggered by sustained high prices, per stage.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpansionFile {
    /// Price index of the stage's output above which the clock runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<P>,
    /// Months the price must stay above the trigger before a decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sustain_months: Option<P>,
    /// Capacity decided each time, as a share of the region's current capacity of the stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_share: Option<P>,
    /// Months from decision to output, per stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine_lead_months: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separation_lead_months: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magnet_lead_months: Option<P>,
    /// Smallest step, t/yr per stage (so that regions without capacity can start some).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine_min_step_t: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separation_min_step_t: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magnet_min_step_t: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFile {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mines: Vec<Spanned<MineFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub separation: Vec<Spanned<SeparationFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub magnet_plants: Vec<Spanned<MagnetPlantFile>>,
    #[serde(default)]
    pub inventory_days: InventoryDays,
    #[serde(default)]
    pub sectors: BTreeMap<String, Spanned<SectorFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recycling: Option<RecyclingFile>,
}

/// Recycling of magnet scrap into oxide in a region.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecyclingFile {
    /// Magnet scrap available each month, as a share of the region's magnet demand.
    pub scrap_share: P,
    /// Share of that scrap recycled at the starting price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_rate: Option<P>,
    /// Increase of the recycled share per unit of magnet price index above 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_slope: Option<P>,
    /// Highest recycled share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rate: Option<P>,
    /// Oxide recovered from recycled magnets, share of their rare-earth content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InventoryDays {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concentrate: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub light_oxide: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heavy_oxide: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magnet_standard: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magnet_high_temp: Option<P>,
    /// Default: the value for `concentrate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clay_concentrate: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutageFile {
    /// Probability per month that an outage starts.
    pub probability: P,
    /// Duration of each outage in months (sampled per outage).
    pub duration_months: P,
    /// Share of capacity lost while the outage lasts (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MineFile {
    pub name: Spanned<String>,
    /// t REO per year.
    pub capacity_t: P,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilisation: Option<P>,
    pub ndpr_share: P,
    pub dytb_share: P,
    /// Ore type: "hard_rock" (default) or "ionic_clay".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ore: Option<Spanned<String>>,
    /// Capacity growth per year (0.05 = +5%/yr, compounding monthly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage: Option<OutageFile>,
    /// Pipeline project: model month it starts producing (default: producing from month 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_month: Option<P>,
    /// Months from first output to full capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_months: Option<P>,
    /// Probability that the project comes online at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_probability: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeparationFile {
    pub name: Spanned<String>,
    /// t NdPr oxide per year.
    pub light_capacity_t: P,
    /// t Dy/Tb oxide per year.
    pub heavy_capacity_t: P,
    /// Ore type whose concentrate the plant separates: "hard_rock" (default) or "ionic_clay".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilisation: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage: Option<OutageFile>,
    /// Pipeline project: model month it starts producing (default: producing from month 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_month: Option<P>,
    /// Months from first output to full capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_months: Option<P>,
    /// Probability that the project comes online at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_probability: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MagnetPlantFile {
    pub name: Spanned<String>,
    /// t magnet per year.
    pub capacity_t: P,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilisation: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage: Option<OutageFile>,
    /// Pipeline project: model month it starts producing (default: producing from month 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_month: Option<P>,
    /// Months from first output to full capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_months: Option<P>,
    /// Probability that the project comes online at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_probability: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SectorFile {
    /// t magnet per year in the start month's year.
    pub demand_t: P,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<P>,
    pub high_temp_share: P,
    /// 1 is served first.
    pub priority: Spanned<i64>,
    /// Short-run price elasticity of demand (<= 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elasticity: Option<P>,
    /// Highest share of demand substituted away (ferrite, induction motors, thrifting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_ceiling: Option<P>,
    /// Highest share of high_temp demand moved to the standard grade (heavy-free designs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heavy_free_ceiling: Option<P>,
    /// Share of high_temp demand per year moving to Dy/Tb-free designs whatever the price
    /// (grain-boundary diffusion and heavy-free designs spreading), within the ceiling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heavy_free_trend: Option<P>,
    /// Share of demand substituted per year once it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_rate: Option<P>,
    /// Months the magnet price must stay above the trigger before substitution starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_lag_months: Option<P>,
    /// Magnet price index that starts the substitution clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_trigger: Option<P>,
    /// Value of output lost per tonne of magnet not delivered, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_usd_per_t: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ControlFile {
    pub name: Spanned<String>,
    pub origin: Spanned<String>,
    /// Default: every region other than the origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Spanned<Vec<Spanned<String>>>>,
    /// Required except for `technology` controls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commodities: Option<Spanned<Vec<Spanned<String>>>>,
    /// ban | quota | licensing | end_use_denial | technology
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_share: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_t_per_month: Option<P>,
    /// Graduated quota (allowed share) or licensing (approval share) over months since start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Spanned<Vec<StepFile>>>,
    /// Licensing: delivery delay of approved shipments, weeks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_weeks: Option<P>,
    /// Licensing: approval schedules for some destinations or end-use sectors (first match;
    /// otherwise `schedule`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Spanned<ApprovalFile>>,
    /// Licensing: general licences exempting routes or sectors from a model month on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub general_licence: Vec<Spanned<GeneralLicenceFile>>,
    /// Ban, quota, licensing: share of the blocked flow that still reaches the destinations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leakage: Option<P>,
    /// End-use denial: sectors refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sectors: Option<Vec<Spanned<String>>>,
    /// End-use denial: also refuse magnets made elsewhere from the origin's oxide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extraterritorial: Option<bool>,
    /// Technology ban: months by which capacity additions outside the origin are delayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_months: Option<P>,
    /// Technology ban: share by which capacity growth outside the origin is slowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowdown: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_month: Option<P>,
    /// Random onset: annual probability that the control starts (instead of `start_month`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset_hazard_per_year: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_months: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<P>,
    /// Later events that suspend or relax the control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Spanned<ChangeFile>>,
}

/// One step of a schedule: from `month` months after the start, `share`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub month: P,
    pub share: P,
}

/// A licensing approval schedule for some destinations and/or end-use sectors.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<Spanned<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sectors: Option<Vec<Spanned<String>>>,
    pub schedule: Spanned<Vec<StepFile>>,
}

/// A general licence: from model `month`, the named destinations and/or sectors are exempt.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GeneralLicenceFile {
    pub month: P,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<Spanned<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sectors: Option<Vec<Spanned<String>>>,
}

/// A later event on a control.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeFile {
    /// Model month (0 = scenario start) of the event.
    pub month: P,
    /// suspend | relax
    pub action: Spanned<String>,
    /// relax: the allowed share from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<P>,
    /// suspend: months the suspension lasts (default: to the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<P>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StockpileFile {
    pub name: Spanned<String>,
    pub region: Spanned<String>,
    pub commodity: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_t: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_days: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_release_t_per_month: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_on: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_controls: Option<Vec<Spanned<String>>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority_sectors: Vec<Spanned<String>>,
    /// `initial_days` counts the demand of these sectors only (default: all of the region's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_of_sectors: Option<Vec<Spanned<String>>>,
    /// `shortage` releases only when unmet need exceeds this share of the need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_threshold: Option<P>,
    /// Regions the stockpile releases to (default: its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serves: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill_t_per_month: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill_delay_months: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill_budget_usd: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_price_usd_per_t: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holding_cost_usd_per_t_year: Option<P>,
    /// Months over which the stockpile is bought from the market from month 0 (0: it already
    /// exists at the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_months: Option<P>,
    /// Month in which the build-up starts (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_start_month: Option<P>,
    /// `price` releases while the region's price index of the commodity is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_price_index: Option<P>,
}

/// A rank correlation between two sampled parameters, named by their keys as in runs.csv.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationFile {
    pub params: Spanned<Vec<Spanned<String>>>,
    pub rank_correlation: Spanned<f64>,
}
