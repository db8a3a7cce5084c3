//! The rules of every scenario key in one table (`RULES`): its unit, allowed range or values,
//! default and a one-line description. Validation (`validate`) takes its ranges and defaults
//! from here, and so do the JSON Schema (`json_schema`) and the parameter table of
//! docs/scenarios.md (`markdown_table`), so the three cannot drift apart.
//!
//! A rule's key is a path of the scenario file: `*` stands for a name of the user's choosing
//! (a region, a sector, a route), `[]` for each entry of a list (`[[regions.*.mines]]`,
//! `schedule = [{ ... }]`), and `{a,b}` for alternatives sharing the rule, e.g.
//! `regions.*.{mines,separation,magnet_plants}[].utilisation`.

use crate::model::dist::number;

/// Allowed range of a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub lo: f64,
    pub hi: f64,
    /// Whether `lo` itself is allowed.
    pub lo_inclusive: bool,
    /// Whether `hi` itself is allowed.
    pub hi_inclusive: bool,
    /// The range in words, as error messages state it.
    pub what: &'static str,
    /// A short name of the range (names the schema's definition of its parameters).
    pub id: &'static str,
}

impl Bounds {
    const fn closed(lo: f64, hi: f64, what: &'static str, id: &'static str) -> Bounds {
        Bounds {
            lo,
            hi,
            lo_inclusive: true,
            hi_inclusive: true,
            what,
            id,
        }
    }

    const fn above(lo: f64, hi: f64, what: &'static str, id: &'static str) -> Bounds {
        Bounds {
            lo_inclusive: false,
            ..Bounds::closed(lo, hi, what, id)
        }
    }

    /// Whether a fixed value lies in the range (never for NaN or an infinity).
    pub fn contains(&self, v: f64) -> bool {
        v.is_finite()
            && (if self.lo_inclusive {
                v >= self.lo
            } else {
                v > self.lo
            })
            && (if self.hi_inclusive {
                v <= self.hi
            } else {
                v < self.hi
            })
    }

    /// Whether every value a distribution with this support can produce is allowed: a
    /// distribution's support may reach the range's ends (even an end a fixed value may not
    /// take, whose probability is 0).
    pub fn holds_support(&self, lo: f64, hi: f64) -> bool {
        !(lo < self.lo || hi > self.hi || lo.is_nan() || hi.is_nan())
    }

    /// The range in interval notation, e.g. `[0, 1e9]` or `(-1, 10]`.
    pub fn interval(&self) -> String {
        format!(
            "{}{}, {}{}",
            if self.lo_inclusive { "[" } else { "(" },
            number(self.lo),
            number(self.hi),
            if self.hi_inclusive { "]" } else { ")" }
        )
    }
}

pub const TONNES: Bounds = Bounds::closed(
    0.0,
    1e9,
    "tonnes between 0 and 1e9 (world magnet demand is ~3e5 t a year)",
    "tonnes",
);
pub const PRICE_USD: Bounds = Bounds::above(
    0.0,
    1e15,
    "US dollars above 0 and at most 1e15",
    "price_usd",
);
pub const USD: Bounds = Bounds::closed(0.0, 1e15, "US dollars between 0 and 1e15", "usd");
pub const RATE: Bounds = Bounds::closed(0.0, 100.0, "a number between 0 and 100", "rate");
pub const SHARE: Bounds = Bounds::closed(0.0, 1.0, "a number between 0 and 1", "share");
pub const GROWTH: Bounds = Bounds::above(
    -1.0,
    10.0,
    "a yearly rate above -1 and at most 10",
    "growth",
);
/// A separation plant recovering less than 1% of its feed would not run: the floor keeps the
/// feed it needs per tonne of oxide (1 / recovery) finite and sane.
pub const RECOVERY: Bounds = Bounds::closed(0.01, 1.0, "a share between 0.01 and 1", "recovery");
pub const REBUILD: Bounds = Bounds::closed(
    1.0,
    1200.0,
    "a number of months between 1 and 1200",
    "rebuild_months",
);
pub const MONTHS: Bounds = Bounds::closed(
    0.0,
    12000.0,
    "a number of months between 0 and 12000",
    "months",
);
pub const POSITIVE: Bounds =
    Bounds::above(0.0, 1e6, "a number above 0 and at most 1e6", "positive");
pub const ELASTICITY: Bounds =
    Bounds::closed(-5.0, 0.0, "an elasticity between -5 and 0", "elasticity");
pub const PRICE_INDEX: Bounds = Bounds::closed(
    1.0,
    1000.0,
    "a price index (1 = starting price) between 1 and 1000",
    "price_index",
);
pub const PRICE_FLOOR: Bounds = Bounds::above(
    0.0,
    1.0,
    "a price index above 0 and at most 1",
    "price_floor",
);
pub const DELAY_WEEKS: Bounds =
    Bounds::closed(0.0, 104.0, "a number of weeks between 0 and 104", "weeks");
pub const LAG_MONTHS: Bounds = Bounds::closed(
    0.0,
    60.0,
    "a number of months between 0 and 60",
    "lag_months",
);
pub const SPEEDUP: Bounds = Bounds::closed(1.0, 100.0, "a multiplier between 1 and 100", "speedup");
pub const DAYS: Bounds =
    Bounds::closed(0.0, 36500.0, "a number of days between 0 and 36500", "days");
pub const HORIZON: Bounds = Bounds::closed(
    1.0,
    1200.0,
    "a whole number of months between 1 and 1200",
    "horizon",
);
pub const PRIORITY: Bounds = Bounds::closed(
    1.0,
    1000.0,
    "a whole number between 1 (served first) and 1000",
    "priority",
);
pub const CORRELATION: Bounds = Bounds {
    lo: -1.0,
    hi: 1.0,
    lo_inclusive: false,
    hi_inclusive: false,
    what: "a number strictly between -1 and 1",
    id: "correlation",
};

/// Ore types (`ore` of a mine, `feed` of a separation plant).
pub const ORES: &[&str] = &["hard_rock", "ionic_clay"];
/// Control types.
pub const CONTROL_TYPES: &[&str] = &[
    "ban",
    "quota",
    "licensing",
    "end_use_denial",
    "technology",
    "production_quota",
];
/// What a control's `commodities` may name: a commodity or a group of them.
pub const COMMODITY_NAMES: &[&str] = &[
    "concentrate",
    "clay_concentrate",
    "light_oxide",
    "heavy_oxide",
    "magnet_standard",
    "magnet_high_temp",
    "concentrates",
    "oxides",
    "oxide",
    "magnets",
    "magnet",
    "all",
];
/// Commodities a stockpile may hold.
pub const STOCKPILE_COMMODITIES: &[&str] = &[
    "light_oxide",
    "heavy_oxide",
    "magnet_standard",
    "magnet_high_temp",
];
pub const RELEASE_TRIGGERS: &[&str] = &["control", "shortage", "price"];
pub const CHANGE_ACTIONS: &[&str] = &["suspend", "relax"];

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A number or a distribution sampled once per run, in the range.
    Param(Bounds),
    /// A whole number in the range.
    Integer(Bounds),
    /// A plain number (no distribution) in the range.
    Number(Bounds),
    /// Any text.
    Text,
    /// A path to another scenario file.
    Path,
    /// A calendar month "YYYY-MM".
    Month,
    /// A name: ASCII letters, digits, `_` and `-`, starting with a letter, at most 64
    /// characters, other than `all`. Also a reference to a named thing (which has such a name).
    Name,
    /// A list of names; `nonempty`: at least one.
    Names {
        nonempty: bool,
    },
    /// The keys of two sampled parameters.
    ParamPair,
    /// One of the values.
    Choice(&'static [&'static str]),
    /// A list of some of the values; `nonempty`: at least one.
    Choices {
        values: &'static [&'static str],
        nonempty: bool,
    },
    Bool,
    /// `remove = true` on an entry of a named list (only under `extends`).
    Remove,
    /// A table of fixed keys.
    Table,
    /// A table whose keys are names of the user's choosing, each holding a `*` table;
    /// `names`: the keys are checked as names (`Kind::Name`).
    Map {
        names: bool,
    },
    /// A list of tables (`[]`).
    List,
}

/// The value used when a key is left out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IfAbsent {
    /// The key must be given (in a file that extends none: see `json_schema`).
    Required,
    /// Optional; nothing is assumed in its place.
    Optional,
    Number(f64),
    Text(&'static str),
    Bool(bool),
    /// Optional, with this (not a plain value) in its place, e.g. "every region but the origin".
    Note(&'static str),
}

/// The rules of one key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub key: &'static str,
    pub kind: Kind,
    /// Unit of a number, or what the value names; may be empty.
    pub unit: &'static str,
    pub default: IfAbsent,
    pub description: &'static str,
    /// Control types that take the key (empty: every type; only for `controls[]` keys).
    pub types: &'static [&'static str],
}

impl Rule {
    /// The range of a numeric key (a compile error when used on another kind in a constant).
    pub const fn bounds(&self) -> Bounds {
        match self.kind {
            Kind::Param(b) | Kind::Integer(b) | Kind::Number(b) => b,
            _ => panic!("the rule has no numeric range"),
        }
    }

    /// The range and the default of an optional numeric key.
    pub const fn with_default(&self) -> (Bounds, f64) {
        match self.default {
            IfAbsent::Number(d) => (self.bounds(), d),
            _ => panic!("the rule has no numeric default"),
        }
    }

    /// The key's values in words, for the documentation.
    pub fn allowed(&self) -> String {
        let list = |v: &[&str]| {
            v.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let at_least_one = |n: bool| if n { " (at least one)" } else { "" };
        match self.kind {
            Kind::Param(b) => format!("number or distribution in {}", b.interval()),
            Kind::Integer(b) => format!("whole number in {}", b.interval()),
            Kind::Number(b) => format!("number in {}", b.interval()),
            Kind::Text => "text".into(),
            Kind::Path => "file path".into(),
            Kind::Month => "`\"YYYY-MM\"`".into(),
            Kind::Name => "name".into(),
            Kind::Names { nonempty } => format!("list of names{}", at_least_one(nonempty)),
            Kind::ParamPair => "list of two parameter keys".into(),
            Kind::Choice(v) => format!("one of {}", list(v)),
            Kind::Choices { values, nonempty } => {
                format!("list of {}{}", list(values), at_least_one(nonempty))
            }
            Kind::Bool => "`true` or `false`".into(),
            Kind::Remove => "`true`".into(),
            Kind::Table => "table".into(),
            Kind::Map { .. } => "tables by name".into(),
            Kind::List => "list of tables".into(),
        }
    }

    /// The default in words, for the documentation.
    pub fn default_text(&self) -> String {
        match self.default {
            IfAbsent::Required => "required".into(),
            IfAbsent::Optional => "optional".into(),
            IfAbsent::Number(v) => number(v),
            IfAbsent::Text(s) => format!("`\"{s}\"`"),
            IfAbsent::Bool(b) => format!("`{b}`"),
            IfAbsent::Note(s) => s.into(),
        }
    }

    /// The description with the control types that take the key.
    pub fn full_description(&self) -> String {
        if self.types.is_empty() {
            self.description.to_string()
        } else {
            format!(
                "{} Only on type {}.",
                self.description,
                self.types
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

const fn rule(
    key: &'static str,
    kind: Kind,
    unit: &'static str,
    default: IfAbsent,
    description: &'static str,
) -> Rule {
    Rule {
        key,
        kind,
        unit,
        default,
        description,
        types: &[],
    }
}

const fn param(
    key: &'static str,
    b: Bounds,
    unit: &'static str,
    default: IfAbsent,
    description: &'static str,
) -> Rule {
    rule(key, Kind::Param(b), unit, default, description)
}

const fn table(key: &'static str, default: IfAbsent, description: &'static str) -> Rule {
    rule(key, Kind::Table, "", default, description)
}

const fn list(key: &'static str, description: &'static str) -> Rule {
    rule(key, Kind::List, "", IfAbsent::Optional, description)
}

const fn only(r: Rule, types: &'static [&'static str]) -> Rule {
    Rule { types, ..r }
}

use IfAbsent::{Note, Optional, Required};

const fn n(v: f64) -> IfAbsent {
    IfAbsent::Number(v)
}

const QUOTAS: &[&str] = &["quota", "production_quota"];
const SCHEDULED: &[&str] = &["quota", "licensing", "production_quota"];
const LICENSING: &[&str] = &["licensing"];
const LEAKY: &[&str] = &["ban", "quota", "licensing"];
const DENIAL: &[&str] = &["end_use_denial"];
const TECHNOLOGY: &[&str] = &["technology"];

/// The rules of every key of a scenario file, in the order of docs/scenarios.md.
pub const RULES: &[Rule] = &[
    rule(
        "extends",
        Kind::Path,
        "",
        Optional,
        "Scenario file this one builds on, relative to this file's directory: its tables are inherited and this file's values override them.",
    ),
    // [scenario]
    table(
        "scenario",
        Required,
        "The scenario's name, calendar and horizon.",
    ),
    rule(
        "scenario.name",
        Kind::Text,
        "",
        Required,
        "Name of the scenario, recorded in the outputs.",
    ),
    rule(
        "scenario.description",
        Kind::Text,
        "",
        IfAbsent::Text(""),
        "What the scenario is about.",
    ),
    rule(
        "scenario.start",
        Kind::Month,
        "calendar month",
        Required,
        "Calendar month of model month 0, from 0001-01, with the horizon ending by 9999-12.",
    ),
    rule(
        "scenario.horizon_months",
        Kind::Integer(HORIZON),
        "months",
        Required,
        "Months simulated.",
    ),
    // [grades]
    table(
        "grades",
        Required,
        "Oxide needed per tonne of magnet, per magnet grade.",
    ),
    table(
        "grades.{standard,high_temp}",
        Required,
        "Recipe of one magnet grade.",
    ),
    param(
        "grades.{standard,high_temp}.ndpr_oxide_t",
        SHARE,
        "t NdPr oxide / t magnet",
        Required,
        "NdPr oxide per tonne of magnet.",
    ),
    param(
        "grades.{standard,high_temp}.dytb_oxide_t",
        SHARE,
        "t Dy/Tb oxide / t magnet",
        Required,
        "Dy/Tb oxide per tonne of magnet.",
    ),
    // [market]
    table(
        "market",
        Optional,
        "Inventories and prices (docs/model.md (M1)-(M2)).",
    ),
    param(
        "market.rebuild_months",
        REBUILD,
        "months",
        n(3.0),
        "Months over which a gap between a commercial inventory and its target is closed.",
    ),
    param(
        "market.price_response",
        RATE,
        "change of log price per unit of log tightness",
        n(0.3),
        "Monthly change of log price per unit of log tightness.",
    ),
    param(
        "market.price_reversion",
        SHARE,
        "share per month",
        n(0.1),
        "Share of the log price gap to the starting price closed each month.",
    ),
    param(
        "market.price_rise_speedup",
        SPEEDUP,
        "multiplier",
        n(1.0),
        "How many times faster prices rise than they fall back (1: symmetric).",
    ),
    param(
        "market.price_ceiling",
        PRICE_INDEX,
        "price index",
        n(20.0),
        "Highest price index (1 = starting price).",
    ),
    param(
        "market.price_floor",
        PRICE_FLOOR,
        "price index",
        n(0.2),
        "Lowest price index (1 = starting price).",
    ),
    param(
        "market.oxide_cost_share",
        SHARE,
        "share of a magnet's price",
        n(0.0),
        "Share of a magnet's price that is the cost of its oxide (0: no pass-through).",
    ),
    param(
        "market.feed_cost_share",
        SHARE,
        "share of an oxide's price",
        n(0.0),
        "Share of a separated oxide's price that is the cost of its concentrate feed (0: no pass-through).",
    ),
    param(
        "market.dytb_value_ratio",
        POSITIVE,
        "ratio",
        n(6.3),
        "Price of Dy/Tb oxide over NdPr oxide per tonne at the start.",
    ),
    param(
        "market.hoarding",
        RATE,
        "share per unit of log price rise",
        n(0.0),
        "Speculative stocking: extra share of every buyer's target inventory per unit rise of the log price over `hoarding_months` (0: none; docs/model.md (M1b)).",
    ),
    param(
        "market.hoarding_months",
        REBUILD,
        "months",
        n(3.0),
        "Months over which buyers look at the price trend.",
    ),
    table(
        "market.expansion",
        Optional,
        "New capacity when a stage's price stays high (docs/model.md (M6)).",
    ),
    param(
        "market.expansion.trigger_price",
        PRICE_INDEX,
        "price index",
        n(2.0),
        "Price index of the stage's output above which the clock runs.",
    ),
    param(
        "market.expansion.sustain_months",
        MONTHS,
        "months",
        n(6.0),
        "Months the price must stay above the trigger before a decision.",
    ),
    param(
        "market.expansion.step_share",
        RATE,
        "share of current capacity",
        n(0.1),
        "Capacity decided each time, as a share of the region's current capacity of the stage.",
    ),
    param(
        "market.expansion.mine_lead_months",
        MONTHS,
        "months",
        n(84.0),
        "Months from decision to output, mines.",
    ),
    param(
        "market.expansion.separation_lead_months",
        MONTHS,
        "months",
        n(36.0),
        "Months from decision to output, separation.",
    ),
    param(
        "market.expansion.magnet_lead_months",
        MONTHS,
        "months",
        n(24.0),
        "Months from decision to output, magnet plants.",
    ),
    param(
        "market.expansion.{mine,separation,magnet}_min_step_t",
        TONNES,
        "t / year",
        n(0.0),
        "Smallest step of the stage, so that regions without capacity can start some.",
    ),
    table(
        "market.response",
        Optional,
        "Demand response of every sector that does not set its own (the same keys a sector may set).",
    ),
    param(
        "{market.response,regions.*.sectors.*}.elasticity",
        ELASTICITY,
        "short-run price elasticity",
        n(0.0),
        "Short-run price elasticity of demand.",
    ),
    param(
        "{market.response,regions.*.sectors.*}.substitution_rate",
        SHARE,
        "share of demand per year",
        n(0.0),
        "Share of demand substituted per year once substitution runs.",
    ),
    param(
        "{market.response,regions.*.sectors.*}.substitution_ceiling",
        SHARE,
        "share of demand",
        n(0.0),
        "Highest share of demand substituted away (ferrite, induction motors, thrifting).",
    ),
    param(
        "{market.response,regions.*.sectors.*}.heavy_free_ceiling",
        SHARE,
        "share of high_temp demand",
        n(0.0),
        "Highest share of high_temp demand moved to the standard grade (heavy-free designs).",
    ),
    param(
        "{market.response,regions.*.sectors.*}.heavy_free_trend",
        SHARE,
        "share of high_temp demand per year",
        n(0.0),
        "Share of high_temp demand per year moving to Dy/Tb-free designs whatever the price, within the ceiling.",
    ),
    param(
        "{market.response,regions.*.sectors.*}.substitution_lag_months",
        MONTHS,
        "months",
        n(6.0),
        "Months the magnet price must stay above the trigger before substitution starts.",
    ),
    param(
        "{market.response,regions.*.sectors.*}.substitution_trigger",
        PRICE_INDEX,
        "magnet price index",
        n(1.5),
        "Magnet price index that starts the substitution clock.",
    ),
    param(
        "{market.response,regions.*.sectors.*}.value_usd_per_t",
        USD,
        "USD / t magnet",
        n(0.0),
        "Value of output lost per tonne of magnet not delivered.",
    ),
    // [logistics]
    table("logistics", Optional, "Shipping and component times."),
    param(
        "logistics.transit_weeks",
        DELAY_WEEKS,
        "weeks",
        n(0.0),
        "Shipping time of every route between regions without its own entry (one draw per run, shared by those routes).",
    ),
    param(
        "logistics.component_months",
        LAG_MONTHS,
        "months",
        n(0.0),
        "Months from a magnet leaving the commercial stock to the end product it goes into.",
    ),
    rule(
        "logistics.routes",
        Kind::Map { names: false },
        "",
        Optional,
        "Routes with their own shipping time, by a name of the user's choosing.",
    ),
    table("logistics.routes.*", Optional, "One route."),
    rule(
        "logistics.routes.*.{from,to}",
        Kind::Name,
        "region",
        Required,
        "Origin and destination: two different defined regions, one entry per route.",
    ),
    param(
        "logistics.routes.*.transit_weeks",
        DELAY_WEEKS,
        "weeks",
        Required,
        "Shipping time of the route.",
    ),
    // [regions]
    rule(
        "regions",
        Kind::Map { names: true },
        "",
        Required,
        "One to 16 regions, by name.",
    ),
    table(
        "regions.*",
        Optional,
        "One region; every sub-table is optional.",
    ),
    table(
        "regions.*.inventory_days",
        Optional,
        "Target commercial inventory, days of the region's use (concentrate: separation feed; oxides: magnet plants' use; magnets: end-use demand).",
    ),
    param(
        "regions.*.inventory_days.{concentrate,light_oxide,heavy_oxide,magnet_standard,magnet_high_temp}",
        DAYS,
        "days",
        n(0.0),
        "Target inventory of the commodity.",
    ),
    param(
        "regions.*.inventory_days.clay_concentrate",
        DAYS,
        "days",
        Note("the value of `concentrate` (the same draw)"),
        "Target inventory of ionic-clay concentrate.",
    ),
    list("regions.*.mines", "The region's mines."),
    list("regions.*.separation", "The region's separation plants."),
    list("regions.*.magnet_plants", "The region's magnet plants."),
    rule(
        "regions.*.{mines,separation,magnet_plants}[].name",
        Kind::Name,
        "",
        Required,
        "Name, unique among the region's mines (plants).",
    ),
    rule(
        "{regions.*.mines,regions.*.separation,regions.*.magnet_plants,controls,stockpiles}[].remove",
        Kind::Remove,
        "",
        Optional,
        "Only in a file with `extends`: `true` deletes the inherited entry of this name.",
    ),
    param(
        "regions.*.mines[].capacity_t",
        TONNES,
        "t REO / year",
        Required,
        "Mining capacity.",
    ),
    param(
        "regions.*.mines[].{ndpr_share,dytb_share}",
        SHARE,
        "share of REO",
        Required,
        "NdPr (Dy/Tb) share of the mine's REO; with the other share, at most 1 for every value they can take.",
    ),
    rule(
        "regions.*.mines[].ore",
        Kind::Choice(ORES),
        "ore type",
        IfAbsent::Text("hard_rock"),
        "Ore type, which decides the concentrate the mine yields.",
    ),
    param(
        "regions.*.separation[].{light_capacity_t,heavy_capacity_t}",
        TONNES,
        "t oxide / year",
        Required,
        "NdPr (light) and Dy/Tb (heavy) oxide capacity.",
    ),
    rule(
        "regions.*.separation[].feed",
        Kind::Choice(ORES),
        "ore type",
        IfAbsent::Text("hard_rock"),
        "Ore type whose concentrate the plant separates (clay plants take the region's Dy/Tb plan first).",
    ),
    param(
        "regions.*.separation[].recovery",
        RECOVERY,
        "share of contained NdPr, Dy/Tb",
        n(1.0),
        "Oxide recovered from the feed (below 1% no plant runs).",
    ),
    param(
        "regions.*.magnet_plants[].capacity_t",
        TONNES,
        "t magnet / year",
        Required,
        "Magnet capacity.",
    ),
    param(
        "regions.*.{mines,separation,magnet_plants}[].utilisation",
        SHARE,
        "share of capacity",
        n(1.0),
        "Share of capacity used.",
    ),
    param(
        "regions.*.{mines[],separation[],magnet_plants[],sectors.*}.growth",
        GROWTH,
        "per year",
        n(0.0),
        "Growth of capacity (demand) per year, compounding monthly (0.05 = +5%/yr).",
    ),
    param(
        "regions.*.{mines,separation,magnet_plants}[].online_month",
        MONTHS,
        "model month",
        n(0.0),
        "Pipeline project: model month it starts producing (default: producing from month 0).",
    ),
    param(
        "regions.*.{mines,separation,magnet_plants}[].ramp_months",
        MONTHS,
        "months",
        n(0.0),
        "Pipeline project: months from first output to full capacity.",
    ),
    param(
        "regions.*.{mines,separation,magnet_plants}[].success_probability",
        SHARE,
        "probability",
        n(1.0),
        "Pipeline project: probability that it comes online at all.",
    ),
    table(
        "regions.*.{mines,separation,magnet_plants}[].outage",
        Optional,
        "Random outages of the mine or plant.",
    ),
    param(
        "regions.*.{mines,separation,magnet_plants}[].outage.probability",
        SHARE,
        "per month",
        Required,
        "Probability per month that an outage starts (sampled per run).",
    ),
    param(
        "regions.*.{mines,separation,magnet_plants}[].outage.duration_months",
        MONTHS,
        "months",
        Required,
        "Duration of each outage (drawn for each outage; rounded, at least 1).",
    ),
    param(
        "regions.*.{mines,separation,magnet_plants}[].outage.loss",
        SHARE,
        "share of capacity",
        n(1.0),
        "Share of capacity lost while the outage lasts.",
    ),
    rule(
        "regions.*.sectors",
        Kind::Map { names: true },
        "",
        Optional,
        "End-use sectors by name (a sector may exist in some regions only).",
    ),
    table(
        "regions.*.sectors.*",
        Optional,
        "One sector; it may also set any `market.response` key for itself.",
    ),
    param(
        "regions.*.sectors.*.demand_t",
        TONNES,
        "t magnet / year",
        Required,
        "Demand in the start month's year.",
    ),
    param(
        "regions.*.sectors.*.high_temp_share",
        SHARE,
        "share of demand",
        Required,
        "Share of demand in the high_temp grade.",
    ),
    rule(
        "regions.*.sectors.*.priority",
        Kind::Integer(PRIORITY),
        "rank",
        Required,
        "Order of service in a shortage: 1 is served first.",
    ),
    table(
        "regions.*.recycling",
        Optional,
        "Recycling of magnet scrap into oxide.",
    ),
    param(
        "regions.*.recycling.scrap_share",
        SHARE,
        "share of magnet demand",
        Required,
        "Magnet scrap available each month, as a share of the region's magnet demand.",
    ),
    param(
        "regions.*.recycling.base_rate",
        SHARE,
        "share of scrap",
        n(0.0),
        "Share of scrap recycled at the starting price.",
    ),
    param(
        "regions.*.recycling.price_slope",
        RATE,
        "share per unit of price index",
        n(0.0),
        "Increase of the recycled share per unit of magnet price index above 1.",
    ),
    param(
        "regions.*.recycling.max_rate",
        SHARE,
        "share of scrap",
        n(1.0),
        "Highest recycled share.",
    ),
    param(
        "regions.*.recycling.recovery",
        SHARE,
        "share of rare-earth content",
        n(1.0),
        "Oxide recovered from recycled magnets.",
    ),
    // [[controls]]
    list("controls", "Export controls and production quotas."),
    rule(
        "controls[].name",
        Kind::Name,
        "",
        Required,
        "Name, unique among controls.",
    ),
    rule(
        "controls[].origin",
        Kind::Name,
        "region",
        Required,
        "Region imposing the control.",
    ),
    rule(
        "controls[].destinations",
        Kind::Names { nonempty: true },
        "regions",
        Note("every region but the origin"),
        "Regions the control is against: defined regions other than the origin, each once; not on a `production_quota`.",
    ),
    rule(
        "controls[].commodities",
        Kind::Choices {
            values: COMMODITY_NAMES,
            nonempty: true,
        },
        "",
        Note("required (not for `technology`)"),
        "Commodities covered: `concentrate` (hard-rock), `clay_concentrate` (ionic-clay) and the oxides and magnet grades, or the groups `concentrates`, `oxides` (`oxide`), `magnets` (`magnet`), `all`.",
    ),
    rule(
        "controls[].type",
        Kind::Choice(CONTROL_TYPES),
        "",
        Required,
        "What the control does; each type takes only its own type-specific keys.",
    ),
    only(
        param(
            "controls[].quota_share",
            SHARE,
            "share of the pre-control flow",
            Optional,
            "Quota as a share of the mean covered monthly flow (output) over the 12 months before the start; exactly one of `quota_share`, `quota_t_per_month`, `schedule`.",
        ),
        QUOTAS,
    ),
    only(
        param(
            "controls[].quota_t_per_month",
            TONNES,
            "t / month",
            Optional,
            "Quota in tonnes (a production quota: of exactly one commodity).",
        ),
        QUOTAS,
    ),
    only(
        list(
            "controls[].schedule",
            "Graduated quota (allowed share) or licensing approval (approved share) over months since the start; required for `licensing`.",
        ),
        SCHEDULED,
    ),
    only(
        param(
            "controls[].delay_weeks",
            DELAY_WEEKS,
            "weeks",
            n(0.0),
            "Licensing: delivery delay of approved shipments.",
        ),
        LICENSING,
    ),
    only(
        rule(
            "controls[].sectors",
            Kind::Names { nonempty: true },
            "sectors",
            Note("required"),
            "End-use denial: defined sectors whose shipments are refused.",
        ),
        DENIAL,
    ),
    only(
        rule(
            "controls[].extraterritorial",
            Kind::Bool,
            "",
            IfAbsent::Bool(false),
            "End-use denial: also refuse magnets made elsewhere from the origin's oxide.",
        ),
        DENIAL,
    ),
    only(
        param(
            "controls[].delay_months",
            MONTHS,
            "months",
            n(0.0),
            "Technology ban: months by which capacity growth in the destinations pauses after the start.",
        ),
        TECHNOLOGY,
    ),
    only(
        param(
            "controls[].slowdown",
            SHARE,
            "share of growth",
            n(0.0),
            "Technology ban: share by which capacity growth in the destinations is slowed afterwards.",
        ),
        TECHNOLOGY,
    ),
    only(
        list(
            "controls[].approvals",
            "Licensing: approval schedules for some destinations or end-use sectors (the first match; otherwise `schedule`).",
        ),
        LICENSING,
    ),
    only(
        list(
            "controls[].general_licence",
            "Licensing: general licences exempting destinations or sectors from a model month on.",
        ),
        LICENSING,
    ),
    only(
        param(
            "controls[].leakage",
            SHARE,
            "share of the blocked flow",
            n(0.0),
            "Share of the flow the control blocks that still arrives (smuggling, transshipment).",
        ),
        LEAKY,
    ),
    rule(
        "controls[].approvals[].schedule",
        Kind::List,
        "",
        Required,
        "The approval schedule of the destinations and sectors the entry names.",
    ),
    param(
        "controls[].{schedule,approvals[].schedule}[].month",
        MONTHS,
        "months since the start",
        Required,
        "Month from which the step applies; steps in increasing order (the first step applies before its month too).",
    ),
    param(
        "controls[].{schedule,approvals[].schedule}[].share",
        SHARE,
        "share",
        Required,
        "Allowed (approved) share from that month.",
    ),
    rule(
        "controls[].{approvals,general_licence}[].destinations",
        Kind::Names { nonempty: false },
        "regions",
        Optional,
        "Some of the control's destinations (with `sectors`: at least one of the two).",
    ),
    rule(
        "controls[].{approvals,general_licence}[].sectors",
        Kind::Names { nonempty: false },
        "sectors",
        Optional,
        "Defined sectors, only on a control covering a magnet grade.",
    ),
    param(
        "controls[].general_licence[].month",
        MONTHS,
        "model month",
        Required,
        "Model month from which the licence exempts (share 1, no delay).",
    ),
    param(
        "controls[].start_month",
        MONTHS,
        "model month",
        n(0.0),
        "Model month the control starts.",
    ),
    param(
        "controls[].onset_hazard_per_year",
        SHARE,
        "annual probability",
        Optional,
        "Random onset instead of `start_month`: annual probability that the control starts.",
    ),
    param(
        "controls[].duration_months",
        MONTHS,
        "months",
        Note("to the horizon"),
        "How long the control lasts.",
    ),
    param(
        "controls[].probability",
        SHARE,
        "probability",
        n(1.0),
        "Probability that the control happens in a run.",
    ),
    list(
        "controls[].changes",
        "Later events that suspend or relax the control.",
    ),
    param(
        "controls[].changes[].month",
        MONTHS,
        "model month",
        Required,
        "Model month (0 = the scenario start) of the event.",
    ),
    rule(
        "controls[].changes[].action",
        Kind::Choice(CHANGE_ACTIONS),
        "",
        Required,
        "`relax` applies to ban, share quota, share production quota and licensing controls.",
    ),
    param(
        "controls[].changes[].share",
        SHARE,
        "share",
        Note("required with `relax`"),
        "`relax`: the share that at least passes from then on.",
    ),
    param(
        "controls[].changes[].months",
        MONTHS,
        "months",
        Note("to the end"),
        "`suspend`: months the suspension lasts.",
    ),
    // [[stockpiles]]
    list("stockpiles", "Strategic stockpiles."),
    rule(
        "stockpiles[].name",
        Kind::Name,
        "",
        Required,
        "Name, unique among stockpiles.",
    ),
    rule(
        "stockpiles[].region",
        Kind::Name,
        "region",
        Required,
        "Region holding the stockpile.",
    ),
    rule(
        "stockpiles[].commodity",
        Kind::Choice(STOCKPILE_COMMODITIES),
        "",
        Required,
        "Commodity held.",
    ),
    param(
        "stockpiles[].initial_t",
        TONNES,
        "t",
        Note("one of `initial_t`, `initial_days`"),
        "Size in tonnes.",
    ),
    param(
        "stockpiles[].initial_days",
        DAYS,
        "days of use",
        Note("one of `initial_t`, `initial_days`"),
        "Size in days of the region's month-0 use (of `days_of_sectors`).",
    ),
    param(
        "stockpiles[].max_release_t_per_month",
        TONNES,
        "t / month",
        Note("unlimited"),
        "Largest release per month.",
    ),
    rule(
        "stockpiles[].release_on",
        Kind::Choices {
            values: RELEASE_TRIGGERS,
            nonempty: true,
        },
        "",
        Note("`[\"control\", \"shortage\"]`"),
        "When the stockpile releases: while a control against a region it serves is in force, on a shortage, or on a high price.",
    ),
    rule(
        "stockpiles[].release_controls",
        Kind::Names { nonempty: false },
        "controls",
        Note("any control against the region"),
        "Controls whose being in force releases the stockpile.",
    ),
    rule(
        "stockpiles[].priority_sectors",
        Kind::Names { nonempty: false },
        "sectors",
        Optional,
        "Sectors served first, of the regions it serves.",
    ),
    rule(
        "stockpiles[].days_of_sectors",
        Kind::Names { nonempty: false },
        "sectors",
        Note("all the region's sectors"),
        "Sectors whose demand `initial_days` counts.",
    ),
    param(
        "stockpiles[].release_threshold",
        SHARE,
        "share of the need",
        n(0.0),
        "`shortage` releases only when unmet need exceeds this share of the need.",
    ),
    rule(
        "stockpiles[].serves",
        Kind::Names { nonempty: true },
        "regions",
        Note("its own region"),
        "Defined regions the stockpile releases to.",
    ),
    param(
        "stockpiles[].refill_t_per_month",
        TONNES,
        "t / month",
        Note("no refill"),
        "Refill rate from the region's commercial stock, up to the initial size.",
    ),
    param(
        "stockpiles[].refill_delay_months",
        MONTHS,
        "months",
        n(0.0),
        "Months without a crisis before refilling.",
    ),
    param(
        "stockpiles[].refill_budget_usd",
        USD,
        "USD",
        Note("unlimited"),
        "Refill budget; together with `purchase_price_usd_per_t`.",
    ),
    param(
        "stockpiles[].purchase_price_usd_per_t",
        PRICE_USD,
        "USD / t",
        Optional,
        "Purchase price charged to the refill budget; together with `refill_budget_usd`.",
    ),
    param(
        "stockpiles[].holding_cost_usd_per_t_year",
        USD,
        "USD / t / year",
        n(0.0),
        "Cost of holding the stockpile.",
    ),
    param(
        "stockpiles[].build_months",
        MONTHS,
        "months",
        n(0.0),
        "Months over which the stockpile is bought from its region's market (0: it exists at the start).",
    ),
    param(
        "stockpiles[].build_start_month",
        MONTHS,
        "model month",
        n(0.0),
        "Model month the build-up starts.",
    ),
    param(
        "stockpiles[].release_price_index",
        PRICE_INDEX,
        "price index",
        n(2.0),
        "With `release_on` holding `\"price\"`: release while the region's price index of the commodity is at least this.",
    ),
    // [[correlations]]
    list(
        "correlations",
        "Rank correlations between sampled parameters.",
    ),
    rule(
        "correlations[].params",
        Kind::ParamPair,
        "parameter keys, as in runs.csv",
        Required,
        "Two different parameters written as distributions (fixed numbers are not sampled).",
    ),
    rule(
        "correlations[].rank_correlation",
        Kind::Number(CORRELATION),
        "Spearman correlation",
        Required,
        "Target rank correlation; each pair once, and together a positive definite matrix.",
    ),
];

/// The rule whose key is `key` (exactly as written in `RULES`). In a constant, an unknown key
/// is a compile error: use the `rule!`, `bounds!` and `with_default!` macros.
pub const fn get(key: &str) -> &'static Rule {
    let mut i = 0;
    while i < RULES.len() {
        if eq(RULES[i].key.as_bytes(), key.as_bytes()) {
            return &RULES[i];
        }
        i += 1;
    }
    panic!("no rule with this key")
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The range of the rule with this key, checked at compile time.
macro_rules! bounds {
    ($key:literal) => {{
        const B: $crate::scenario::rules::Bounds = $crate::scenario::rules::get($key).bounds();
        B
    }};
}

/// The range and default of the rule with this key, checked at compile time.
macro_rules! with_default {
    ($key:literal) => {{
        const B: ($crate::scenario::rules::Bounds, f64) =
            $crate::scenario::rules::get($key).with_default();
        B
    }};
}

pub(crate) use {bounds, with_default};

/// The keys a path with `{a,b}` alternatives stands for.
pub fn expand(key: &str) -> Vec<String> {
    let Some(open) = key.find('{') else {
        return vec![key.to_string()];
    };
    let close = open + key[open..].find('}').expect("a closing brace");
    key[open + 1..close]
        .split(',')
        .flat_map(|alt| expand(&format!("{}{alt}{}", &key[..open], &key[close + 1..])))
        .collect()
}

/// Control types that take the type-specific key `name` (None: a key every type takes).
pub fn control_types_of(name: &str) -> Option<&'static [&'static str]> {
    RULES
        .iter()
        .find(|r| r.key.strip_prefix("controls[].") == Some(name))
        .filter(|r| !r.types.is_empty())
        .map(|r| r.types)
}

/// The type-specific keys of controls, in table order.
pub fn control_type_keys() -> impl Iterator<Item = &'static str> {
    RULES
        .iter()
        .filter(|r| !r.types.is_empty())
        .filter_map(|r| r.key.strip_prefix("controls[]."))
}

/// The markdown table of every rule (docs/scenarios.md).
pub fn markdown_table() -> String {
    let mut out =
        String::from("| key | unit | allowed | default | description |\n|---|---|---|---|---|\n");
    for r in RULES {
        let cell = |s: &str| s.replace('|', "\\|");
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            r.key,
            cell(r.unit),
            cell(&r.allowed()),
            cell(&r.default_text()),
            cell(&r.full_description())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_alternatives_expand() {
        let mut all: Vec<String> = RULES.iter().flat_map(|r| expand(r.key)).collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "a key is covered by two rules");
        assert_eq!(
            expand("a.{b,c[].d}.e"),
            vec!["a.b.e".to_string(), "a.c[].d.e".to_string()]
        );
        assert!(all.contains(&"regions.*.sectors.*.elasticity".to_string()));
        assert!(all.contains(&"controls[].approvals[].schedule[].share".to_string()));
    }

    #[test]
    fn lookups_and_ranges() {
        assert_eq!(get("market.price_floor").bounds(), PRICE_FLOOR);
        assert_eq!(with_default!("market.price_ceiling"), (PRICE_INDEX, 20.0));
        assert!(!PRICE_FLOOR.contains(0.0) && PRICE_FLOOR.contains(1.0));
        assert!(PRICE_FLOOR.holds_support(0.0, 1.0));
        assert!(!CORRELATION.contains(1.0) && CORRELATION.contains(0.99));
        assert!(!SHARE.contains(f64::NAN) && !SHARE.contains(f64::INFINITY));
        assert_eq!(GROWTH.interval(), "(-1, 10]");
        assert_eq!(TONNES.interval(), "[0, 1e9]");
    }

    #[test]
    fn the_lists_of_values_match_the_model() {
        use crate::model::{Commodity, Ore};
        let ores: Vec<&str> = Ore::ALL.iter().map(|o| o.name()).collect();
        assert_eq!(ores, ORES);
        for c in Commodity::ALL {
            assert!(COMMODITY_NAMES.contains(&c.name()), "{}", c.name());
        }
        for s in STOCKPILE_COMMODITIES {
            assert!(Commodity::parse(s).is_some(), "{s}");
        }
        assert!(
            get("regions")
                .description
                .contains(&format!("{} regions", crate::model::lot::MAX_REGIONS))
        );
        // Every type-specific key is taken by some known type.
        for k in control_type_keys() {
            for t in control_types_of(k).unwrap() {
                assert!(CONTROL_TYPES.contains(t), "{k}: {t}");
            }
        }
    }
}
