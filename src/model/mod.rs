//! The validated model the engine runs on: regions, stages, sectors, controls and stockpiles,
//! with every numeric parameter replaced by an index into the run's sampled values
//! (`ParamId`). Built from a scenario file by `scenario::validate`; never written by users.

pub mod allocate;
pub mod buf;
pub mod chain;
pub mod dist;
pub mod flows;
pub mod limits;
pub mod lot;
pub mod param;
pub mod plan;
pub mod record;
pub mod state;
pub mod stockpile;
pub mod trade;

use crate::model::param::{ParamId, ParamTable};

/// Tradable commodities, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Commodity {
    /// Mixed rare-earth concentrate from hard-rock (light) ores, t REO.
    Concentrate = 0,
    /// Separated NdPr oxide, t.
    LightOxide = 1,
    /// Separated Dy/Tb oxide, t.
    HeavyOxide = 2,
    /// Sintered NdFeB magnet, standard grade, t.
    MagnetStandard = 3,
    /// Sintered NdFeB magnet, high-temperature (Dy/Tb-bearing) grade, t.
    MagnetHighTemp = 4,
    /// Mixed concentrate from ion-adsorption clays (heavy-rich), t REO: a separate stream into
    /// separate separation circuits.
    ClayConcentrate = 5,
}

pub const N_COMMODITIES: usize = 6;

impl Commodity {
    pub const ALL: [Commodity; N_COMMODITIES] = [
        Commodity::Concentrate,
        Commodity::LightOxide,
        Commodity::HeavyOxide,
        Commodity::MagnetStandard,
        Commodity::MagnetHighTemp,
        Commodity::ClayConcentrate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Commodity::Concentrate => "concentrate",
            Commodity::LightOxide => "light_oxide",
            Commodity::HeavyOxide => "heavy_oxide",
            Commodity::MagnetStandard => "magnet_standard",
            Commodity::MagnetHighTemp => "magnet_high_temp",
            Commodity::ClayConcentrate => "clay_concentrate",
        }
    }

    /// The concentrate of an ore type.
    pub fn concentrate(ore: Ore) -> Commodity {
        match ore {
            Ore::HardRock => Commodity::Concentrate,
            Ore::IonicClay => Commodity::ClayConcentrate,
        }
    }

    pub fn parse(s: &str) -> Option<Commodity> {
        Commodity::ALL.into_iter().find(|c| c.name() == s)
    }

    pub fn magnet(grade: Grade) -> Commodity {
        match grade {
            Grade::Standard => Commodity::MagnetStandard,
            Grade::HighTemp => Commodity::MagnetHighTemp,
        }
    }
}

/// Ore types: each is mined into its own concentrate, traded on its own and separated in its
/// own circuits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ore {
    /// Hard-rock (bastnaesite, monazite) ores: light-rich, little Dy/Tb.
    HardRock = 0,
    /// Ion-adsorption clays (southern China, Myanmar): the main Dy/Tb source.
    IonicClay = 1,
}

impl Ore {
    pub const ALL: [Ore; 2] = [Ore::HardRock, Ore::IonicClay];

    pub fn name(self) -> &'static str {
        match self {
            Ore::HardRock => "hard_rock",
            Ore::IonicClay => "ionic_clay",
        }
    }

    pub fn parse(s: &str) -> Option<Ore> {
        Ore::ALL.into_iter().find(|o| o.name() == s)
    }
}

/// Magnet grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    Standard = 0,
    HighTemp = 1,
}

impl Grade {
    pub const ALL: [Grade; 2] = [Grade::Standard, Grade::HighTemp];
}

/// Calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearMonth {
    pub year: i32,
    /// 1..=12
    pub month: u32,
}

impl YearMonth {
    pub fn parse(s: &str) -> Option<YearMonth> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        (1..=12)
            .contains(&month)
            .then_some(YearMonth { year, month })
    }

    /// The calendar month `k` months after this one.
    pub fn plus(self, k: usize) -> YearMonth {
        let idx = self.year as i64 * 12 + (self.month as i64 - 1) + k as i64;
        YearMonth {
            year: (idx.div_euclid(12)) as i32,
            month: (idx.rem_euclid(12) + 1) as u32,
        }
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Random outages of one asset.
#[derive(Debug, Clone)]
pub struct Outage {
    /// Stream key, e.g. `regions.china.mines.bayan_obo.outage`.
    pub key: String,
    pub probability: ParamId,
    /// Sampled afresh for every outage from the asset's stream.
    pub duration: crate::model::param::Param,
    pub loss: ParamId,
}

/// A capacity project that comes online during the run.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Stream key for the success draw, e.g. `regions.rest_of_world.magnet_plants.x.success`.
    pub key: String,
    pub online_month: ParamId,
    pub ramp_months: ParamId,
    pub success: ParamId,
}

#[derive(Debug, Clone)]
pub struct Mine {
    pub name: String,
    pub capacity: ParamId,
    pub utilisation: ParamId,
    pub ndpr_share: ParamId,
    pub dytb_share: ParamId,
    pub growth: ParamId,
    pub ore: Ore,
    pub outage: Option<Outage>,
    pub pipeline: Option<Pipeline>,
}

#[derive(Debug, Clone)]
pub struct Separation {
    pub name: String,
    pub light_capacity: ParamId,
    pub heavy_capacity: ParamId,
    pub recovery: ParamId,
    pub utilisation: ParamId,
    pub growth: ParamId,
    /// The ore type whose concentrate the plant separates.
    pub feed: Ore,
    pub outage: Option<Outage>,
    pub pipeline: Option<Pipeline>,
}

#[derive(Debug, Clone)]
pub struct MagnetPlant {
    pub name: String,
    pub capacity: ParamId,
    pub utilisation: ParamId,
    pub growth: ParamId,
    pub outage: Option<Outage>,
    pub pipeline: Option<Pipeline>,
}

#[derive(Debug, Clone)]
pub struct Sector {
    /// Index into `Scenario::sectors`.
    pub sector: usize,
    pub demand: ParamId,
    pub growth: ParamId,
    pub high_temp_share: ParamId,
    /// 1 is served first; equal priorities share pro rata.
    pub priority: u32,
    pub response: SectorResponse,
}

/// How a sector's demand responds to magnet prices.
#[derive(Debug, Clone)]
pub struct SectorResponse {
    /// Short-run price elasticity (<= 0).
    pub elasticity: ParamId,
    pub substitution_ceiling: ParamId,
    pub heavy_free_ceiling: ParamId,
    /// Share of high_temp demand per year moving to heavy-free designs whatever the price.
    pub heavy_free_trend: ParamId,
    /// Share per year.
    pub substitution_rate: ParamId,
    pub substitution_lag: ParamId,
    pub substitution_trigger: ParamId,
    /// USD per t of magnet not delivered.
    pub value: ParamId,
}

/// Recycling of magnet scrap in a region.
#[derive(Debug, Clone)]
pub struct Recycling {
    pub scrap_share: ParamId,
    pub base_rate: ParamId,
    pub price_slope: ParamId,
    pub max_rate: ParamId,
    pub recovery: ParamId,
}

/// Price dynamics and price-driven capacity expansion.
#[derive(Debug, Clone)]
pub struct Market {
    pub price_response: ParamId,
    pub price_reversion: ParamId,
    /// Multiplier (>= 1) on upward price moves.
    pub price_rise_speedup: ParamId,
    pub price_ceiling: ParamId,
    pub price_floor: ParamId,
    /// Share of a magnet's price that is oxide cost (cost pass-through; 0 = none).
    pub oxide_cost_share: ParamId,
    /// Share of an oxide's price that is concentrate feed cost (cost pass-through; 0 = none).
    pub feed_cost_share: ParamId,
    /// Dy/Tb over NdPr oxide price per tonne at the start.
    pub dytb_value_ratio: ParamId,
    /// Speculative stocking: extra share of target inventories per unit rise of the log price
    /// over the last `hoarding_months` (0 = none).
    pub hoarding: ParamId,
    pub hoarding_months: ParamId,
    pub expansion: Option<Expansion>,
}

/// Shipping and component lead times.
#[derive(Debug, Clone)]
pub struct Logistics {
    /// Weeks of shipping on routes without their own entry.
    pub transit_weeks: ParamId,
    /// `(origin, destination, weeks)` for routes with their own shipping time.
    pub routes: Vec<(usize, usize, ParamId)>,
    /// Months from magnet to end product.
    pub component_months: ParamId,
}

/// Stages that expansion adds capacity to.
pub const STAGES: [&str; 3] = ["mine", "separation", "magnet"];

#[derive(Debug, Clone)]
pub struct Expansion {
    pub trigger_price: ParamId,
    pub sustain_months: ParamId,
    pub step_share: ParamId,
    /// `[mine, separation, magnet]`.
    pub lead_months: [ParamId; 3],
    pub min_step: [ParamId; 3],
}

#[derive(Debug, Clone)]
pub struct Region {
    pub name: String,
    pub mines: Vec<Mine>,
    pub separation: Vec<Separation>,
    pub magnet_plants: Vec<MagnetPlant>,
    /// Target commercial inventory per commodity, days of use.
    pub inventory_days: [ParamId; N_COMMODITIES],
    pub sectors: Vec<Sector>,
    pub recycling: Option<Recycling>,
}

/// A step function of months since a control started: `(from month, share)` pairs in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule(pub Vec<(ParamId, ParamId)>);

#[derive(Debug, Clone, PartialEq)]
pub enum ControlKind {
    Ban,
    /// Allowed share of the covered pre-control flow, possibly graduated over time.
    QuotaShare(Schedule),
    /// Tonnes per month across the covered commodities and destinations.
    QuotaTonnes(ParamId),
    /// A share of applications (planned flows) is approved; approved shipments arrive late.
    /// `approvals` override `approval` for some destinations or end-use sectors (first match);
    /// `general` licences exempt routes or sectors from a model month on.
    Licensing {
        approval: Schedule,
        delay_weeks: ParamId,
        approvals: Vec<Approval>,
        general: Vec<GeneralLicence>,
    },
    /// Magnets for the named sectors (indices into `Scenario::sectors`) are refused.
    EndUseDenial {
        sectors: Vec<usize>,
        extraterritorial: bool,
    },
    /// The origin's own output of the covered stages (concentrate: mining; light and heavy
    /// oxide: separation) is held to a share of its pre-control output, possibly graduated.
    ProductionShare(Schedule),
    /// The origin's own output of the one covered commodity is held to tonnes per month.
    ProductionTonnes(ParamId),
    /// Capacity additions outside the origin are delayed and slowed.
    Technology {
        delay_months: ParamId,
        slowdown: ParamId,
    },
}

impl ControlKind {
    /// Whether the control caps the origin's own output (a production quota).
    pub fn limits_production(&self) -> bool {
        matches!(
            self,
            ControlKind::ProductionShare(_) | ControlKind::ProductionTonnes(_)
        )
    }
}

/// Whom a licensing override or a general licence applies to: destinations (indices into
/// `Scenario::regions`) and end-use sectors (indices into `Scenario::sectors`); an empty list
/// places no condition. A flow of concentrate or oxide has no sector: only scopes without
/// sectors apply to it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    pub destinations: Vec<usize>,
    pub sectors: Vec<usize>,
}

impl Scope {
    /// Whether the scope covers destination `d` and (for magnets) sector `s`.
    pub fn matches(&self, d: usize, s: Option<usize>) -> bool {
        (self.destinations.is_empty() || self.destinations.contains(&d))
            && match s {
                None => self.sectors.is_empty(),
                Some(s) => self.sectors.is_empty() || self.sectors.contains(&s),
            }
    }
}

/// A licensing approval schedule for some destinations or sectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub scope: Scope,
    pub schedule: Schedule,
}

/// A general licence: from model month `month`, the scope is exempt from the licensing control
/// (everything approved, no delay).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneralLicence {
    pub month: ParamId,
    pub scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Onset {
    /// Starts in this month.
    Month(ParamId),
    /// Starts in each month with this annual hazard (first month at which it fires).
    Hazard(ParamId),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChangeAction {
    /// In force again after this many months (None: never).
    Suspend(Option<ParamId>),
    /// The allowed share becomes at least this.
    Relax(ParamId),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// Model month of the event.
    pub month: ParamId,
    pub action: ChangeAction,
}

#[derive(Debug, Clone)]
pub struct Control {
    pub name: String,
    pub origin: usize,
    pub destinations: Vec<usize>,
    pub commodities: [bool; N_COMMODITIES],
    pub kind: ControlKind,
    pub onset: Onset,
    /// None: lasts to the end of the horizon.
    pub duration: Option<ParamId>,
    pub probability: ParamId,
    pub changes: Vec<Change>,
    /// Share of the flow the control blocks that still reaches the destination (ban, quota,
    /// licensing); None: none.
    pub leakage: Option<ParamId>,
}

impl Control {
    pub fn covers(&self, c: Commodity, o: usize, d: usize) -> bool {
        self.commodities[c as usize] && self.origin == o && self.destinations.contains(&d)
    }
}

/// A target rank correlation between two sampled parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    pub a: ParamId,
    pub b: ParamId,
    pub r: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StockpileSize {
    Tonnes(ParamId),
    /// Days of the region's use of the commodity in month 0.
    Days(ParamId),
}

#[derive(Debug, Clone)]
pub struct Stockpile {
    pub name: String,
    pub region: usize,
    /// Oxide or magnet grade (never concentrate).
    pub commodity: Commodity,
    pub size: StockpileSize,
    /// t/month; None means unlimited.
    pub max_release: Option<ParamId>,
    /// Release while one of these controls is active (empty with `on_control`: any control
    /// whose destinations include the region).
    pub on_control: bool,
    pub release_controls: Vec<usize>,
    /// Release whenever there is unmet need for the commodity in the region.
    pub on_shortage: bool,
    /// Sectors served first, in this order (indices into `Scenario::sectors`).
    pub priority_sectors: Vec<usize>,
    /// `Days` sizing counts these sectors' demand (empty: all of the region's sectors).
    pub days_of_sectors: Vec<usize>,
    /// `shortage` releases only above this unmet share.
    pub threshold: ParamId,
    /// Regions it releases to.
    pub serves: Vec<usize>,
    /// Refill rate, t/month (None: never refilled).
    pub refill_rate: Option<ParamId>,
    /// Quiet months after a crisis before refilling.
    pub refill_delay: ParamId,
    /// Refill budget, USD, and the price it buys at, USD/t (None: unlimited).
    pub refill_budget: Option<(ParamId, ParamId)>,
    /// Holding cost, USD per t per year.
    pub holding_cost: ParamId,
    /// Months over which the stockpile is bought from the market from month 0 (0: it exists
    /// at the start).
    pub build_months: ParamId,
    /// Model month in which the build-up starts.
    pub build_start: ParamId,
    /// Release while the region's price index of the commodity is at least this (None: no
    /// price trigger).
    pub price_trigger: Option<ParamId>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub start: YearMonth,
    pub horizon: usize,
    pub regions: Vec<Region>,
    /// Sector names (union over regions, sorted).
    pub sectors: Vec<String>,
    /// Oxide per tonne of magnet, `[grade][0 = NdPr, 1 = Dy/Tb]`.
    pub recipes: [[ParamId; 2]; 2],
    pub rebuild_months: ParamId,
    pub market: Market,
    pub logistics: Logistics,
    pub controls: Vec<Control>,
    pub stockpiles: Vec<Stockpile>,
    /// Target rank correlations between sampled parameters, imposed per block of runs
    /// (Iman-Conover); the matrix they form (1 on the diagonal, 0 elsewhere) is positive
    /// definite.
    pub correlations: Vec<Correlation>,
    pub params: ParamTable,
}

impl Scenario {
    pub fn region_index(&self, name: &str) -> Option<usize> {
        self.regions.iter().position(|r| r.name == name)
    }
}
