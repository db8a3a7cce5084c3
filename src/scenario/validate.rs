//! From the file schema to the validated model. Every rule that a scenario must satisfy lives
//! here, and every violation becomes a `Diagnostic` pointing at the offending value.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;

use super::compose::Sources;
use super::diagnostic::{Diagnostic, number};
use super::rules::{self, Bounds, bounds, with_default};
use super::schema::{self, P, Param};
use crate::model::param::{ParamId, ParamTable};
use crate::model::{
    Approval, Change, ChangeAction, Commodity, Control, ControlKind, Correlation, Expansion,
    GeneralLicence, Grade, Logistics, MagnetPlant, Market, Mine, N_COMMODITIES, Onset, Ore, Outage,
    Pipeline, Recycling, Region, Scenario, Schedule, Scope, Sector, SectorResponse, Separation,
    Stockpile, StockpileSize, YearMonth,
};

/// What a licensing scope may name.
struct ScopeContext<'a> {
    control: &'a str,
    regions: &'a [String],
    sectors: &'a [String],
    /// The control's destinations (indices into `regions`).
    destinations: &'a [usize],
    /// Whether the control covers a magnet grade (only then may a scope name sectors).
    magnets: bool,
}

const REGION_NAME_RULE: &str = "a name of ASCII letters, digits, '_' and '-', starting with a letter (at most 64 \
     characters), other than `all` (the outputs' word for every region or sector)";

/// Names end up as CSV fields, column names and stream keys: keep them plain.
fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    s != crate::stats::registry::ALL
        && s.len() <= 64
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `[market.response]` parameters shared by sectors that do not set their own.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ResponseDefaults {
    elasticity: Option<ParamId>,
    substitution_ceiling: Option<ParamId>,
    heavy_free_ceiling: Option<ParamId>,
    heavy_free_trend: Option<ParamId>,
    substitution_rate: Option<ParamId>,
    substitution_lag: Option<ParamId>,
    substitution_trigger: Option<ParamId>,
    value: Option<ParamId>,
}

pub(crate) struct Validator<'a> {
    sources: &'a Sources,
    pub(crate) diags: Vec<Diagnostic>,
    params: ParamTable,
}

impl<'a> Validator<'a> {
    pub(crate) fn new(sources: &'a Sources) -> Self {
        Validator {
            sources,
            diags: Vec::new(),
            params: ParamTable::default(),
        }
    }

    pub(crate) fn error(
        &mut self,
        span: Option<Range<usize>>,
        key: &str,
        title: String,
        found: String,
        allowed: Option<String>,
    ) {
        self.diags
            .push(self.sources.diagnostic(span, key, title, found, allowed));
    }

    fn invalid(
        &mut self,
        span: Range<usize>,
        key: &str,
        found: String,
        allowed: impl Into<String>,
    ) {
        self.error(
            Some(span),
            key,
            format!("invalid value for `{key}`"),
            found,
            Some(allowed.into()),
        );
    }

    /// A number as the user wrote it (its source text), else formatted.
    fn written(&self, span: &Range<usize>, v: f64) -> String {
        let (file, local) = self.sources.locate(span.clone());
        match file.text.get(local).map(str::trim) {
            Some(s) if !s.is_empty() && s.len() <= 40 => s.to_string(),
            _ => number(v),
        }
    }

    /// Registers a numeric parameter after checking it against `b`.
    fn param(&mut self, key: &str, p: &P, b: Bounds) -> ParamId {
        let span = p.span();
        match p.get_ref() {
            Param::Fixed(v) => {
                if !b.contains(*v) {
                    let found = format!("found {}", self.written(&span, *v));
                    self.invalid(span, key, found, b.what);
                }
            }
            Param::Dist(d) => {
                if let Err(msg) = d.check() {
                    self.error(
                        Some(span.clone()),
                        key,
                        format!("invalid distribution for `{key}`"),
                        msg,
                        Some(format!(
                            "a {} distribution with consistent parameters, each a number \
                             between -1e15 and 1e15",
                            d.name()
                        )),
                    );
                } else {
                    let (lo, hi) = d.support();
                    if !b.holds_support(lo, hi) {
                        let hint = match d {
                            crate::model::dist::Dist::Normal { .. }
                            | crate::model::dist::Dist::Lognormal { .. } => {
                                " (truncate it with `min` and `max`)"
                            }
                            _ => "",
                        };
                        self.invalid(
                            span,
                            key,
                            format!(
                                "{} distribution can produce values in [{}, {}]{hint}",
                                d.name(),
                                number(lo),
                                number(hi)
                            ),
                            format!("{} for every value the distribution can produce", b.what),
                        );
                    }
                }
            }
        }
        self.params.add(key, p.get_ref().clone())
    }

    /// Registers an optional numeric parameter: checked against its range, else its default.
    fn opt_param(&mut self, key: &str, p: &Option<P>, (b, default): (Bounds, f64)) -> ParamId {
        match p {
            Some(p) => self.param(key, p, b),
            None => self.params.fixed(key, default),
        }
    }

    fn name(&mut self, key: &str, n: &Spanned<String>, seen: &mut BTreeSet<String>) -> String {
        let s = n.get_ref().clone();
        if !valid_name(&s) {
            self.invalid(n.span(), key, format!("found \"{s}\""), REGION_NAME_RULE);
        } else if !seen.insert(s.clone()) {
            self.error(
                Some(n.span()),
                key,
                format!("duplicate name \"{s}\" in `{key}`"),
                "this name is already used".into(),
                Some("names that are unique within their list".into()),
            );
        }
        s
    }

    fn pipeline(
        &mut self,
        k: &str,
        online: &Option<P>,
        ramp: &Option<P>,
        success: &Option<P>,
    ) -> Option<Pipeline> {
        if online.is_none() && ramp.is_none() && success.is_none() {
            return None;
        }
        Some(Pipeline {
            key: format!("{k}.success"),
            online_month: self.opt_param(
                &format!("{k}.online_month"),
                online,
                with_default!("regions.*.{mines,separation,magnet_plants}[].online_month"),
            ),
            ramp_months: self.opt_param(
                &format!("{k}.ramp_months"),
                ramp,
                with_default!("regions.*.{mines,separation,magnet_plants}[].ramp_months"),
            ),
            success: self.opt_param(
                &format!("{k}.success_probability"),
                success,
                with_default!("regions.*.{mines,separation,magnet_plants}[].success_probability"),
            ),
        })
    }

    /// `[market.response]` defaults, registered once.
    fn response_defaults(&mut self, r: Option<&schema::ResponseFile>) -> ResponseDefaults {
        let Some(r) = r else {
            return ResponseDefaults::default();
        };
        let k = "market.response";
        let mut one = |name: &str, p: &Option<P>, b: Bounds| {
            p.as_ref().map(|p| self.param(&format!("{k}.{name}"), p, b))
        };
        ResponseDefaults {
            elasticity: one(
                "elasticity",
                &r.elasticity,
                bounds!("{market.response,regions.*.sectors.*}.elasticity"),
            ),
            substitution_ceiling: one(
                "substitution_ceiling",
                &r.substitution_ceiling,
                bounds!("{market.response,regions.*.sectors.*}.substitution_ceiling"),
            ),
            heavy_free_ceiling: one(
                "heavy_free_ceiling",
                &r.heavy_free_ceiling,
                bounds!("{market.response,regions.*.sectors.*}.heavy_free_ceiling"),
            ),
            heavy_free_trend: one(
                "heavy_free_trend",
                &r.heavy_free_trend,
                bounds!("{market.response,regions.*.sectors.*}.heavy_free_trend"),
            ),
            substitution_rate: one(
                "substitution_rate",
                &r.substitution_rate,
                bounds!("{market.response,regions.*.sectors.*}.substitution_rate"),
            ),
            substitution_lag: one(
                "substitution_lag_months",
                &r.substitution_lag_months,
                bounds!("{market.response,regions.*.sectors.*}.substitution_lag_months"),
            ),
            substitution_trigger: one(
                "substitution_trigger",
                &r.substitution_trigger,
                bounds!("{market.response,regions.*.sectors.*}.substitution_trigger"),
            ),
            value: one(
                "value_usd_per_t",
                &r.value_usd_per_t,
                bounds!("{market.response,regions.*.sectors.*}.value_usd_per_t"),
            ),
        }
    }

    /// A sector's response parameter: its own value, else the `[market.response]` default,
    /// else `fallback`.
    #[allow(clippy::too_many_arguments)]
    fn response_param(
        &mut self,
        k: &str,
        name: &str,
        own: &Option<P>,
        default: Option<ParamId>,
        (b, fallback): (Bounds, f64),
    ) -> ParamId {
        match (own, default) {
            (Some(p), _) => self.param(&format!("{k}.{name}"), p, b),
            (None, Some(id)) => id,
            (None, None) => self.params.fixed(format!("{k}.{name}"), fallback),
        }
    }

    fn logistics(&mut self, l: &schema::Logistics, regions: &[String]) -> Logistics {
        let k = "logistics";
        let transit_weeks = self.opt_param(
            &format!("{k}.transit_weeks"),
            &l.transit_weeks,
            with_default!("logistics.transit_weeks"),
        );
        let component_months = self.opt_param(
            &format!("{k}.component_months"),
            &l.component_months,
            with_default!("logistics.component_months"),
        );
        let mut routes: Vec<(usize, usize, ParamId)> = Vec::new();
        for (name, r) in &l.routes {
            let rk = format!("{k}.routes.{name}");
            let r = r.get_ref();
            let from = self.region_ref(&format!("{rk}.from"), &r.from, regions);
            let to = self.region_ref(&format!("{rk}.to"), &r.to, regions);
            let weeks = self.param(
                &format!("{rk}.transit_weeks"),
                &r.transit_weeks,
                bounds!("logistics.routes.*.transit_weeks"),
            );
            if r.from.get_ref() == r.to.get_ref() {
                self.invalid(
                    r.to.span(),
                    &format!("{rk}.to"),
                    format!("the route's own origin \"{}\"", r.to.get_ref()),
                    "a region other than `from`",
                );
            } else if routes.iter().any(|&(f, t, _)| f == from && t == to) {
                self.invalid(
                    r.to.span(),
                    &format!("{rk}.to"),
                    format!(
                        "a second route from \"{}\" to \"{}\"",
                        r.from.get_ref(),
                        r.to.get_ref()
                    ),
                    "one entry per route",
                );
            }
            routes.push((from, to, weeks));
        }
        Logistics {
            transit_weeks,
            routes,
            component_months,
        }
    }

    fn market(&mut self, m: &schema::Market) -> Market {
        let k = "market";
        Market {
            price_response: self.opt_param(
                &format!("{k}.price_response"),
                &m.price_response,
                with_default!("market.price_response"),
            ),
            price_reversion: self.opt_param(
                &format!("{k}.price_reversion"),
                &m.price_reversion,
                with_default!("market.price_reversion"),
            ),
            price_rise_speedup: self.opt_param(
                &format!("{k}.price_rise_speedup"),
                &m.price_rise_speedup,
                with_default!("market.price_rise_speedup"),
            ),
            price_ceiling: self.opt_param(
                &format!("{k}.price_ceiling"),
                &m.price_ceiling,
                with_default!("market.price_ceiling"),
            ),
            price_floor: self.opt_param(
                &format!("{k}.price_floor"),
                &m.price_floor,
                with_default!("market.price_floor"),
            ),
            oxide_cost_share: self.opt_param(
                &format!("{k}.oxide_cost_share"),
                &m.oxide_cost_share,
                with_default!("market.oxide_cost_share"),
            ),
            feed_cost_share: self.opt_param(
                &format!("{k}.feed_cost_share"),
                &m.feed_cost_share,
                with_default!("market.feed_cost_share"),
            ),
            dytb_value_ratio: self.opt_param(
                &format!("{k}.dytb_value_ratio"),
                &m.dytb_value_ratio,
                with_default!("market.dytb_value_ratio"),
            ),
            hoarding: self.opt_param(
                &format!("{k}.hoarding"),
                &m.hoarding,
                with_default!("market.hoarding"),
            ),
            hoarding_months: self.opt_param(
                &format!("{k}.hoarding_months"),
                &m.hoarding_months,
                with_default!("market.hoarding_months"),
            ),
            expansion: m.expansion.as_ref().map(|e| {
                let k = "market.expansion";
                Expansion {
                    trigger_price: self.opt_param(
                        &format!("{k}.trigger_price"),
                        &e.trigger_price,
                        with_default!("market.expansion.trigger_price"),
                    ),
                    sustain_months: self.opt_param(
                        &format!("{k}.sustain_months"),
                        &e.sustain_months,
                        with_default!("market.expansion.sustain_months"),
                    ),
                    step_share: self.opt_param(
                        &format!("{k}.step_share"),
                        &e.step_share,
                        with_default!("market.expansion.step_share"),
                    ),
                    lead_months: [
                        self.opt_param(
                            &format!("{k}.mine_lead_months"),
                            &e.mine_lead_months,
                            with_default!("market.expansion.mine_lead_months"),
                        ),
                        self.opt_param(
                            &format!("{k}.separation_lead_months"),
                            &e.separation_lead_months,
                            with_default!("market.expansion.separation_lead_months"),
                        ),
                        self.opt_param(
                            &format!("{k}.magnet_lead_months"),
                            &e.magnet_lead_months,
                            with_default!("market.expansion.magnet_lead_months"),
                        ),
                    ],
                    min_step: [
                        self.opt_param(
                            &format!("{k}.mine_min_step_t"),
                            &e.mine_min_step_t,
                            with_default!("market.expansion.{mine,separation,magnet}_min_step_t"),
                        ),
                        self.opt_param(
                            &format!("{k}.separation_min_step_t"),
                            &e.separation_min_step_t,
                            with_default!("market.expansion.{mine,separation,magnet}_min_step_t"),
                        ),
                        self.opt_param(
                            &format!("{k}.magnet_min_step_t"),
                            &e.magnet_min_step_t,
                            with_default!("market.expansion.{mine,separation,magnet}_min_step_t"),
                        ),
                    ],
                }
            }),
        }
    }

    fn outage(&mut self, key: &str, o: &Option<schema::OutageFile>) -> Option<Outage> {
        let o = o.as_ref()?;
        let probability = self.param(
            &format!("{key}.probability"),
            &o.probability,
            bounds!("regions.*.{mines,separation,magnet_plants}[].outage.probability"),
        );
        let dkey = format!("{key}.duration_months");
        // The duration is drawn afresh for every outage, so it is checked here but kept out of
        // the per-run parameter table.
        let before = self.params.defs.len();
        self.param(
            &dkey,
            &o.duration_months,
            bounds!("regions.*.{mines,separation,magnet_plants}[].outage.duration_months"),
        );
        self.params.defs.truncate(before);
        let loss = self.opt_param(
            &format!("{key}.loss"),
            &o.loss,
            with_default!("regions.*.{mines,separation,magnet_plants}[].outage.loss"),
        );
        Some(Outage {
            key: key.to_string(),
            probability,
            duration: o.duration_months.get_ref().clone(),
            loss,
        })
    }

    pub(crate) fn scenario(
        mut self,
        f: &schema::ScenarioFile,
    ) -> Result<Scenario, Vec<Diagnostic>> {
        let (start, horizon) = self.calendar(f);
        let recipes = self.recipes(f);
        let rebuild_months = self.opt_param(
            "market.rebuild_months",
            &f.market.rebuild_months,
            with_default!("market.rebuild_months"),
        );
        let market = self.market(&f.market);
        let response_defaults = self.response_defaults(f.market.response.as_ref());

        // Sector names are the union over regions, sorted, so that every region can be looked
        // up by the same sector index.
        let sectors: Vec<String> = f
            .regions
            .values()
            .flat_map(|r| r.get_ref().sectors.keys().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();

        let regions = self.regions(f, &sectors, &response_defaults);
        let region_names: Vec<String> = f.regions.keys().cloned().collect();

        let mut controls = Vec::new();
        let mut seen = BTreeSet::new();
        for c in &f.controls {
            controls.push(self.control(c.get_ref(), &region_names, &sectors, &mut seen));
        }
        let logistics = self.logistics(&f.logistics, &region_names);
        let control_names: Vec<String> =
            controls.iter().map(|c: &Control| c.name.clone()).collect();
        let mut stockpiles = Vec::new();
        let mut seen = BTreeSet::new();
        for s in &f.stockpiles {
            stockpiles.push(self.stockpile(
                s.get_ref(),
                &region_names,
                &regions,
                &sectors,
                &control_names,
                &mut seen,
            ));
        }

        let correlations = self.correlations(&f.correlations);

        if !self.diags.is_empty() {
            // Report in file order, as a compiler would.
            self.diags.sort_by(|a, b| {
                let key = |d: &Diagnostic| {
                    (
                        d.path.clone(),
                        d.span.as_ref().map_or(usize::MAX, |s| s.start),
                    )
                };
                key(a).cmp(&key(b))
            });
            return Err(self.diags);
        }
        Ok(Scenario {
            name: f.scenario.name.clone(),
            description: f.scenario.description.clone(),
            start,
            horizon: horizon as usize,
            regions,
            sectors,
            recipes,
            rebuild_months,
            market,
            logistics,
            controls,
            stockpiles,
            correlations,
            params: self.params,
        })
    }

    /// The start month and the horizon (months), each checked.
    fn calendar(&mut self, f: &schema::ScenarioFile) -> (YearMonth, i64) {
        let start = match YearMonth::parse(f.scenario.start.get_ref()) {
            Some(ym) => ym,
            None => {
                self.invalid(
                    f.scenario.start.span(),
                    "scenario.start",
                    format!("found \"{}\"", f.scenario.start.get_ref()),
                    "a calendar month written \"YYYY-MM\", e.g. \"2025-01\"",
                );
                YearMonth {
                    year: 2025,
                    month: 1,
                }
            }
        };
        let horizon = *f.scenario.horizon_months.get_ref();
        let range = bounds!("scenario.horizon_months");
        if !range.contains(horizon as f64) {
            self.invalid(
                f.scenario.horizon_months.span(),
                "scenario.horizon_months",
                format!("found {horizon}"),
                range.what,
            );
        } else if start.plus(horizon as usize - 1).year > 9999 || start.year < 1 {
            self.invalid(
                f.scenario.start.span(),
                "scenario.start",
                format!(
                    "\"{}\" with {horizon} months ends in {}",
                    f.scenario.start.get_ref(),
                    start.plus(horizon as usize - 1)
                ),
                "a start from 0001-01 whose horizon ends by 9999-12",
            );
        }

        (start, horizon)
    }

    /// Oxide per tonne of magnet, `[grade][NdPr, Dy/Tb]`.
    fn recipes(&mut self, f: &schema::ScenarioFile) -> [[ParamId; 2]; 2] {
        let mut recipes = [[ParamId(0); 2]; 2];
        for (g, name, r) in [
            (Grade::Standard, "standard", &f.grades.standard),
            (Grade::HighTemp, "high_temp", &f.grades.high_temp),
        ] {
            recipes[g as usize] = [
                self.param(
                    &format!("grades.{name}.ndpr_oxide_t"),
                    &r.ndpr_oxide_t,
                    bounds!("grades.{standard,high_temp}.ndpr_oxide_t"),
                ),
                self.param(
                    &format!("grades.{name}.dytb_oxide_t"),
                    &r.dytb_oxide_t,
                    bounds!("grades.{standard,high_temp}.dytb_oxide_t"),
                ),
            ];
        }
        recipes
    }

    /// Every region (at least one, at most `MAX_REGIONS`), in name order.
    fn regions(
        &mut self,
        f: &schema::ScenarioFile,
        sectors: &[String],
        response_defaults: &ResponseDefaults,
    ) -> Vec<Region> {
        if f.regions.is_empty() {
            self.error(
                None,
                "regions",
                "a scenario needs at least one region".into(),
                "no [regions.NAME] table".into(),
                Some("one or more tables such as [regions.china]".into()),
            );
        }
        if f.regions.len() > crate::model::lot::MAX_REGIONS {
            self.error(
                None,
                "regions",
                format!(
                    "a scenario may define at most {} regions",
                    crate::model::lot::MAX_REGIONS
                ),
                format!("{} [regions.NAME] tables", f.regions.len()),
                Some(format!(
                    "at most {} regions (merge small ones into rest_of_world)",
                    crate::model::lot::MAX_REGIONS
                )),
            );
        }
        let mut regions = Vec::new();
        for (rname, r) in &f.regions {
            let rkey = format!("regions.{rname}");
            if !valid_name(rname) {
                self.invalid(
                    r.span(),
                    &rkey,
                    format!("region name \"{rname}\""),
                    REGION_NAME_RULE,
                );
            }
            regions.push(self.region(rname, &rkey, r.get_ref(), sectors, response_defaults));
        }
        regions
    }

    #[allow(clippy::too_many_arguments)]
    fn region(
        &mut self,
        rname: &str,
        rkey: &str,
        r: &schema::RegionFile,
        sectors: &[String],
        d: &ResponseDefaults,
    ) -> Region {
        let mines = self.mines(rkey, r);
        let separation = self.separation_plants(rkey, r);
        let magnet_plants = self.magnet_plants(rkey, r);
        let inventory_days = self.inventory_days(rkey, r);
        let out_sectors = self.sectors(rkey, r, sectors, d);
        Region {
            name: rname.to_string(),
            mines,
            separation,
            magnet_plants,
            inventory_days,
            sectors: out_sectors,
            recycling: r.recycling.as_ref().map(|rc| {
                let k = format!("{rkey}.recycling");
                Recycling {
                    scrap_share: self.param(
                        &format!("{k}.scrap_share"),
                        &rc.scrap_share,
                        bounds!("regions.*.recycling.scrap_share"),
                    ),
                    base_rate: self.opt_param(
                        &format!("{k}.base_rate"),
                        &rc.base_rate,
                        with_default!("regions.*.recycling.base_rate"),
                    ),
                    price_slope: self.opt_param(
                        &format!("{k}.price_slope"),
                        &rc.price_slope,
                        with_default!("regions.*.recycling.price_slope"),
                    ),
                    max_rate: self.opt_param(
                        &format!("{k}.max_rate"),
                        &rc.max_rate,
                        with_default!("regions.*.recycling.max_rate"),
                    ),
                    recovery: self.opt_param(
                        &format!("{k}.recovery"),
                        &rc.recovery,
                        with_default!("regions.*.recycling.recovery"),
                    ),
                }
            }),
        }
    }

    /// A region's mines.
    fn mines(&mut self, rkey: &str, r: &schema::RegionFile) -> Vec<Mine> {
        let mut seen = BTreeSet::new();
        let mut mines = Vec::new();
        for m in &r.mines {
            let m = m.get_ref();
            let name = self.name(&format!("{rkey}.mines.name"), &m.name, &mut seen);
            let k = format!("{rkey}.mines.{name}");
            let ndpr_share = self.param(
                &format!("{k}.ndpr_share"),
                &m.ndpr_share,
                bounds!("regions.*.mines[].{ndpr_share,dytb_share}"),
            );
            let dytb_share = self.param(
                &format!("{k}.dytb_share"),
                &m.dytb_share,
                bounds!("regions.*.mines[].{ndpr_share,dytb_share}"),
            );
            // The largest values the two shares can take must still leave room for the rest.
            let top = |p: &Param| match p {
                Param::Fixed(v) => *v,
                Param::Dist(d) => d.support().1,
            };
            let (a, b) = (top(m.ndpr_share.get_ref()), top(m.dytb_share.get_ref()));
            if a + b > 1.0 {
                self.invalid(
                    m.dytb_share.span(),
                    &format!("{k}.dytb_share"),
                    format!("ndpr_share + dytb_share can reach {}", number(a + b)),
                    "shares of the REO that sum to at most 1 for every value they can take",
                );
            }
            mines.push(Mine {
                capacity: self.param(
                    &format!("{k}.capacity_t"),
                    &m.capacity_t,
                    bounds!("regions.*.mines[].capacity_t"),
                ),
                utilisation: self.opt_param(
                    &format!("{k}.utilisation"),
                    &m.utilisation,
                    with_default!("regions.*.{mines,separation,magnet_plants}[].utilisation"),
                ),
                ndpr_share,
                dytb_share,
                growth: self.opt_param(
                    &format!("{k}.growth"),
                    &m.growth,
                    with_default!(
                        "regions.*.{mines[],separation[],magnet_plants[],sectors.*}.growth"
                    ),
                ),
                ore: self.ore(&format!("{k}.ore"), &m.ore),
                outage: self.outage(&format!("{k}.outage"), &m.outage),
                pipeline: self.pipeline(
                    &k,
                    &m.online_month,
                    &m.ramp_months,
                    &m.success_probability,
                ),
                name,
            });
        }
        mines
    }

    /// A region's separation plants.
    fn separation_plants(&mut self, rkey: &str, r: &schema::RegionFile) -> Vec<Separation> {
        let mut seen = BTreeSet::new();
        let mut separation = Vec::new();
        for s in &r.separation {
            let s = s.get_ref();
            let name = self.name(&format!("{rkey}.separation.name"), &s.name, &mut seen);
            let k = format!("{rkey}.separation.{name}");
            separation.push(Separation {
                light_capacity: self.param(
                    &format!("{k}.light_capacity_t"),
                    &s.light_capacity_t,
                    bounds!("regions.*.separation[].{light_capacity_t,heavy_capacity_t}"),
                ),
                heavy_capacity: self.param(
                    &format!("{k}.heavy_capacity_t"),
                    &s.heavy_capacity_t,
                    bounds!("regions.*.separation[].{light_capacity_t,heavy_capacity_t}"),
                ),
                recovery: self.opt_param(
                    &format!("{k}.recovery"),
                    &s.recovery,
                    with_default!("regions.*.separation[].recovery"),
                ),
                utilisation: self.opt_param(
                    &format!("{k}.utilisation"),
                    &s.utilisation,
                    with_default!("regions.*.{mines,separation,magnet_plants}[].utilisation"),
                ),
                growth: self.opt_param(
                    &format!("{k}.growth"),
                    &s.growth,
                    with_default!(
                        "regions.*.{mines[],separation[],magnet_plants[],sectors.*}.growth"
                    ),
                ),
                feed: self.ore(&format!("{k}.feed"), &s.feed),
                outage: self.outage(&format!("{k}.outage"), &s.outage),
                pipeline: self.pipeline(
                    &k,
                    &s.online_month,
                    &s.ramp_months,
                    &s.success_probability,
                ),
                name,
            });
        }
        separation
    }

    /// A region's magnet plants.
    fn magnet_plants(&mut self, rkey: &str, r: &schema::RegionFile) -> Vec<MagnetPlant> {
        let mut seen = BTreeSet::new();
        let mut magnet_plants = Vec::new();
        for m in &r.magnet_plants {
            let m = m.get_ref();
            let name = self.name(&format!("{rkey}.magnet_plants.name"), &m.name, &mut seen);
            let k = format!("{rkey}.magnet_plants.{name}");
            magnet_plants.push(MagnetPlant {
                capacity: self.param(
                    &format!("{k}.capacity_t"),
                    &m.capacity_t,
                    bounds!("regions.*.magnet_plants[].capacity_t"),
                ),
                utilisation: self.opt_param(
                    &format!("{k}.utilisation"),
                    &m.utilisation,
                    with_default!("regions.*.{mines,separation,magnet_plants}[].utilisation"),
                ),
                growth: self.opt_param(
                    &format!("{k}.growth"),
                    &m.growth,
                    with_default!(
                        "regions.*.{mines[],separation[],magnet_plants[],sectors.*}.growth"
                    ),
                ),
                outage: self.outage(&format!("{k}.outage"), &m.outage),
                pipeline: self.pipeline(
                    &k,
                    &m.online_month,
                    &m.ramp_months,
                    &m.success_probability,
                ),
                name,
            });
        }
        magnet_plants
    }

    /// A region's target commercial inventory per commodity, days of use.
    fn inventory_days(&mut self, rkey: &str, r: &schema::RegionFile) -> [ParamId; N_COMMODITIES] {
        let inv = &r.inventory_days;
        let ik = format!("{rkey}.inventory_days");
        let mut inventory_days: [ParamId; N_COMMODITIES] = [
            self.opt_param(&format!("{ik}.concentrate"), &inv.concentrate, with_default!("regions.*.inventory_days.{concentrate,light_oxide,heavy_oxide,magnet_standard,magnet_high_temp}")),
            self.opt_param(&format!("{ik}.light_oxide"), &inv.light_oxide, with_default!("regions.*.inventory_days.{concentrate,light_oxide,heavy_oxide,magnet_standard,magnet_high_temp}")),
            self.opt_param(&format!("{ik}.heavy_oxide"), &inv.heavy_oxide, with_default!("regions.*.inventory_days.{concentrate,light_oxide,heavy_oxide,magnet_standard,magnet_high_temp}")),
            self.opt_param(
                &format!("{ik}.magnet_standard"),
                &inv.magnet_standard,
                with_default!("regions.*.inventory_days.{concentrate,light_oxide,heavy_oxide,magnet_standard,magnet_high_temp}"),
            ),
            self.opt_param(
                &format!("{ik}.magnet_high_temp"),
                &inv.magnet_high_temp,
                with_default!("regions.*.inventory_days.{concentrate,light_oxide,heavy_oxide,magnet_standard,magnet_high_temp}"),
            ),
            ParamId(0),
        ];
        let clay = Commodity::ClayConcentrate as usize;
        inventory_days[clay] = match &inv.clay_concentrate {
            Some(p) => self.param(
                &format!("{ik}.clay_concentrate"),
                p,
                bounds!("regions.*.inventory_days.clay_concentrate"),
            ),
            None => inventory_days[Commodity::Concentrate as usize],
        };
        inventory_days
    }

    /// A region's end-use sectors with their demand and its response to price.
    fn sectors(
        &mut self,
        rkey: &str,
        r: &schema::RegionFile,
        sectors: &[String],
        d: &ResponseDefaults,
    ) -> Vec<Sector> {
        let mut out_sectors = Vec::new();
        for (sname, s) in &r.sectors {
            let k = format!("{rkey}.sectors.{sname}");
            if !valid_name(sname) {
                self.invalid(
                    s.span(),
                    &k,
                    format!("sector name \"{sname}\""),
                    REGION_NAME_RULE,
                );
            }
            let s = s.get_ref();
            let priority = *s.priority.get_ref();
            let range = bounds!("regions.*.sectors.*.priority");
            if !range.contains(priority as f64) {
                self.invalid(
                    s.priority.span(),
                    &format!("{k}.priority"),
                    format!("found {priority}"),
                    range.what,
                );
            }
            out_sectors.push(Sector {
                sector: sectors
                    .iter()
                    .position(|n| n == sname)
                    .expect("sector list is the union"),
                demand: self.param(
                    &format!("{k}.demand_t"),
                    &s.demand_t,
                    bounds!("regions.*.sectors.*.demand_t"),
                ),
                growth: self.opt_param(
                    &format!("{k}.growth"),
                    &s.growth,
                    with_default!(
                        "regions.*.{mines[],separation[],magnet_plants[],sectors.*}.growth"
                    ),
                ),
                high_temp_share: self.param(
                    &format!("{k}.high_temp_share"),
                    &s.high_temp_share,
                    bounds!("regions.*.sectors.*.high_temp_share"),
                ),
                priority: priority.clamp(1, 1000) as u32,
                response: SectorResponse {
                    elasticity: self.response_param(
                        &k,
                        "elasticity",
                        &s.elasticity,
                        d.elasticity,
                        with_default!("{market.response,regions.*.sectors.*}.elasticity"),
                    ),
                    substitution_ceiling: self.response_param(
                        &k,
                        "substitution_ceiling",
                        &s.substitution_ceiling,
                        d.substitution_ceiling,
                        with_default!("{market.response,regions.*.sectors.*}.substitution_ceiling"),
                    ),
                    heavy_free_ceiling: self.response_param(
                        &k,
                        "heavy_free_ceiling",
                        &s.heavy_free_ceiling,
                        d.heavy_free_ceiling,
                        with_default!("{market.response,regions.*.sectors.*}.heavy_free_ceiling"),
                    ),
                    heavy_free_trend: self.response_param(
                        &k,
                        "heavy_free_trend",
                        &s.heavy_free_trend,
                        d.heavy_free_trend,
                        with_default!("{market.response,regions.*.sectors.*}.heavy_free_trend"),
                    ),
                    substitution_rate: self.response_param(
                        &k,
                        "substitution_rate",
                        &s.substitution_rate,
                        d.substitution_rate,
                        with_default!("{market.response,regions.*.sectors.*}.substitution_rate"),
                    ),
                    substitution_lag: self.response_param(
                        &k,
                        "substitution_lag_months",
                        &s.substitution_lag_months,
                        d.substitution_lag,
                        with_default!(
                            "{market.response,regions.*.sectors.*}.substitution_lag_months"
                        ),
                    ),
                    substitution_trigger: self.response_param(
                        &k,
                        "substitution_trigger",
                        &s.substitution_trigger,
                        d.substitution_trigger,
                        with_default!("{market.response,regions.*.sectors.*}.substitution_trigger"),
                    ),
                    value: self.response_param(
                        &k,
                        "value_usd_per_t",
                        &s.value_usd_per_t,
                        d.value,
                        with_default!("{market.response,regions.*.sectors.*}.value_usd_per_t"),
                    ),
                },
            });
        }
        out_sectors
    }

    fn region_ref(&mut self, key: &str, s: &Spanned<String>, regions: &[String]) -> usize {
        match regions.iter().position(|r| r == s.get_ref()) {
            Some(i) => i,
            None => {
                self.error(
                    Some(s.span()),
                    key,
                    format!("unknown region \"{}\" in `{key}`", s.get_ref()),
                    "this region is not defined under [regions]".into(),
                    Some(format!(
                        "one of the defined regions: {}",
                        regions.join(", ")
                    )),
                );
                0
            }
        }
    }

    /// `[[correlations]]`: each names two sampled parameters by key and a rank correlation in
    /// (-1, 1); together (1 on the diagonal, 0 for pairs not named) they must form a positive
    /// definite matrix.
    fn correlations(&mut self, list: &[Spanned<schema::CorrelationFile>]) -> Vec<Correlation> {
        let mut out: Vec<Correlation> = Vec::new();
        let mut spans: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let k = format!("correlations[{i}]");
            let c = c.get_ref();
            let names = c.params.get_ref();
            if names.len() != 2 {
                self.invalid(
                    c.params.span(),
                    &format!("{k}.params"),
                    format!("{} parameter names", names.len()),
                    "two keys of sampled parameters, as in runs.csv, e.g. [\"regions.china.sectors.ev.growth\", \"regions.rest_of_world.sectors.ev.growth\"]",
                );
                continue;
            }
            let mut ids = Vec::new();
            for n in names {
                match self.params.defs.iter().position(|d| d.key == *n.get_ref()) {
                    Some(id) if matches!(self.params.defs[id].value, Param::Dist(_)) => {
                        ids.push(ParamId(id))
                    }
                    Some(_) => self.error(
                        Some(n.span()),
                        &format!("{k}.params"),
                        format!("`{}` is a fixed number", n.get_ref()),
                        "only parameters with a distribution are sampled, so only they can be correlated".into(),
                        Some("the key of a parameter written as a distribution, e.g. { dist = \"triangular\", min = 0.08, mode = 0.12, max = 0.18 }".into()),
                    ),
                    None => {
                        let sampled: Vec<&str> = self.params.sampled().map(|(_, d)| d.key.as_str()).collect();
                        self.error(
                            Some(n.span()),
                            &format!("{k}.params"),
                            format!("unknown parameter `{}`", n.get_ref()),
                            "no parameter of the scenario has this key".into(),
                            Some(format!("one of the sampled parameters: {}", sampled.join(", "))),
                        )
                    }
                }
            }
            let r = *c.rank_correlation.get_ref();
            let range = bounds!("correlations[].rank_correlation");
            if !range.contains(r) {
                self.invalid(
                    c.rank_correlation.span(),
                    &format!("{k}.rank_correlation"),
                    format!("found {}", self.written(&c.rank_correlation.span(), r)),
                    range.what,
                );
                continue;
            }
            if ids.len() != 2 {
                continue;
            }
            if ids[0] == ids[1] {
                self.invalid(
                    c.params.span(),
                    &format!("{k}.params"),
                    "the same parameter twice".into(),
                    "two different parameters",
                );
                continue;
            }
            if out
                .iter()
                .any(|o| (o.a == ids[0] && o.b == ids[1]) || (o.a == ids[1] && o.b == ids[0]))
            {
                self.invalid(
                    c.params.span(),
                    &format!("{k}.params"),
                    "a pair already correlated by an earlier entry".into(),
                    "each pair of parameters once",
                );
                continue;
            }
            out.push(Correlation {
                a: ids[0],
                b: ids[1],
                r,
            });
            spans.push((c.rank_correlation.span(), k));
        }
        // The matrix must be positive definite as a whole. If it is not, point at the first
        // entry whose removal makes it so (else at the last entry).
        let pd = |cs: &[Correlation]| {
            crate::model::param::is_positive_definite(
                &crate::model::param::correlation_matrix(cs).1,
            )
        };
        if !out.is_empty() && !pd(&out) {
            let culprit = (0..out.len())
                .find(|&i| {
                    let mut rest = out.clone();
                    rest.remove(i);
                    pd(&rest)
                })
                .unwrap_or(out.len() - 1);
            let key = |c: &Correlation| {
                format!(
                    "{} ~ {}: {}",
                    self.params.defs[c.a.0].key, self.params.defs[c.b.0].key, c.r
                )
            };
            let all: Vec<String> = out.iter().map(key).collect();
            let (span, k) = spans[culprit].clone();
            self.error(
                Some(span),
                &format!("{k}.rank_correlation"),
                format!("`{k}.rank_correlation`: the correlations do not form a valid correlation matrix"),
                format!(
                    "{} does not fit with the others: together ({}; 0 for pairs not named) they are not positive definite, so they cannot all hold at once",
                    out[culprit].r,
                    all.join("; ")
                ),
                Some("correlations that can hold together: if a correlates with b and b with c, a and c must correlate too (name that pair), or weaken one".into()),
            );
        }
        out
    }

    /// An ore type ("hard_rock" by default).
    fn ore(&mut self, key: &str, s: &Option<Spanned<String>>) -> Ore {
        let Some(s) = s else {
            return Ore::HardRock;
        };
        Ore::parse(s.get_ref()).unwrap_or_else(|| {
            self.invalid(
                s.span(),
                key,
                format!("found \"{}\"", s.get_ref()),
                "\"hard_rock\" or \"ionic_clay\"",
            );
            Ore::HardRock
        })
    }

    fn schedule(&mut self, key: &str, steps: &Spanned<Vec<schema::StepFile>>) -> Schedule {
        if steps.get_ref().is_empty() {
            self.invalid(
                steps.span(),
                key,
                "an empty schedule".into(),
                "one or more { month = M, share = S } steps",
            );
        }
        let mut out = Vec::new();
        let mut last = f64::NEG_INFINITY;
        for (i, st) in steps.get_ref().iter().enumerate() {
            let m = self.param(
                &format!("{key}.{i}.month"),
                &st.month,
                bounds!("controls[].{schedule,approvals[].schedule}[].month"),
            );
            let sh = self.param(
                &format!("{key}.{i}.share"),
                &st.share,
                bounds!("controls[].{schedule,approvals[].schedule}[].share"),
            );
            if let Param::Fixed(v) = st.month.get_ref() {
                if *v < last {
                    self.invalid(
                        st.month.span(),
                        &format!("{key}.{i}.month"),
                        format!("month {} after month {}", number(*v), number(last)),
                        "steps in increasing order of month",
                    );
                }
                last = *v;
            }
            out.push((m, sh));
        }
        Schedule(out)
    }

    /// What a production quota may cover: its origin's own output of concentrate (mining) and
    /// oxides (separation), no destinations, and one commodity when the quota is in tonnes.
    fn production_scope(
        &mut self,
        c: &schema::ControlFile,
        k: &str,
        commodities: &[bool; N_COMMODITIES],
    ) {
        if let Some(d) = c.destinations.as_ref().and_then(|ds| ds.get_ref().first()) {
            self.invalid(
                d.span(),
                &format!("{k}.destinations"),
                "destinations on a production quota".into(),
                "no destinations: a production quota caps the origin's own output",
            );
        }
        let allowed = "concentrate (mining), light_oxide, heavy_oxide or oxides (separation)";
        for s in c.commodities.iter().flat_map(|l| l.get_ref()) {
            let magnets = commodity_group(s.get_ref()).is_some_and(|l| {
                l.iter()
                    .any(|c| matches!(c, Commodity::MagnetStandard | Commodity::MagnetHighTemp))
            });
            if magnets {
                self.invalid(
                    s.span(),
                    &format!("{k}.commodities"),
                    format!("\"{}\" in a production quota", s.get_ref()),
                    allowed,
                );
            }
        }
        let n = commodities.iter().filter(|x| **x).count();
        if c.quota_t_per_month.is_some() && n > 1 {
            self.invalid(
                c.kind.span(),
                &format!("{k}.quota_t_per_month"),
                format!("a production quota in tonnes covering {n} commodities"),
                "one commodity per tonnage production quota (tonnes of concentrate and of oxide \
                 are not comparable); use one control per stage",
            );
        }
    }

    fn control(
        &mut self,
        c: &schema::ControlFile,
        regions: &[String],
        sectors: &[String],
        seen: &mut BTreeSet<String>,
    ) -> Control {
        let name = self.name("controls.name", &c.name, seen);
        let k = format!("controls.{name}");
        let origin = self.region_ref(&format!("{k}.origin"), &c.origin, regions);
        let destinations = self.control_destinations(c, &k, origin, regions);
        let kind_name = c.kind.get_ref().as_str();
        let commodities = self.control_commodities(c, &k, kind_name);
        self.check_control_keys(c, &k, kind_name);
        let ctx = ScopeContext {
            control: &k,
            regions,
            sectors,
            destinations: &destinations,
            magnets: commodities[Commodity::MagnetStandard as usize]
                || commodities[Commodity::MagnetHighTemp as usize],
        };
        let kind = self.control_kind(c, &ctx, kind_name, &commodities);
        let onset = match (&c.start_month, &c.onset_hazard_per_year) {
            (Some(_), Some(h)) => {
                self.invalid(
                    h.span(),
                    &format!("{k}.onset_hazard_per_year"),
                    "both start_month and onset_hazard_per_year".into(),
                    "one of start_month (a month) or onset_hazard_per_year (random onset)",
                );
                Onset::Month(self.params.fixed(format!("{k}.start_month"), 0.0))
            }
            (_, Some(h)) => Onset::Hazard(self.param(
                &format!("{k}.onset_hazard_per_year"),
                h,
                bounds!("controls[].onset_hazard_per_year"),
            )),
            (s, None) => Onset::Month(self.opt_param(
                &format!("{k}.start_month"),
                s,
                with_default!("controls[].start_month"),
            )),
        };
        let duration = c.duration_months.as_ref().map(|p| {
            self.param(
                &format!("{k}.duration_months"),
                p,
                bounds!("controls[].duration_months"),
            )
        });
        let probability = self.opt_param(
            &format!("{k}.probability"),
            &c.probability,
            with_default!("controls[].probability"),
        );
        let leakage = match (&c.leakage, &kind) {
            (
                Some(p),
                ControlKind::Ban
                | ControlKind::QuotaShare(_)
                | ControlKind::QuotaTonnes(_)
                | ControlKind::Licensing { .. },
            ) => Some(self.param(&format!("{k}.leakage"), p, bounds!("controls[].leakage"))),
            _ => None,
        };
        let changes = self.control_changes(c, &k, &kind, kind_name);
        // A production quota acts on its origin's output, not against any importer (so it
        // triggers no stockpile release by itself; a stockpile may name it).
        let destinations = if kind.limits_production() {
            Vec::new()
        } else {
            destinations
        };
        Control {
            name,
            origin,
            destinations,
            commodities,
            kind,
            onset,
            duration,
            probability,
            changes,
            leakage,
        }
    }

    /// A control's destinations: the listed regions (not the origin, each once), or every
    /// region but the origin.
    fn control_destinations(
        &mut self,
        c: &schema::ControlFile,
        k: &str,
        origin: usize,
        regions: &[String],
    ) -> Vec<usize> {
        match &c.destinations {
            Some(ds) => {
                if ds.get_ref().is_empty() {
                    self.invalid(
                        ds.span(),
                        &format!("{k}.destinations"),
                        "an empty destinations list: the control would cover nothing".into(),
                        "one or more regions other than the origin (leave the key out for all of them)",
                    );
                }
                let mut out = Vec::new();
                for d in ds.get_ref() {
                    let i = self.region_ref(&format!("{k}.destinations"), d, regions);
                    if out.contains(&i) {
                        self.invalid(
                            d.span(),
                            &format!("{k}.destinations"),
                            format!("\"{}\" listed twice", d.get_ref()),
                            "each destination once",
                        );
                        continue;
                    }
                    if i == origin && regions.get(i) == Some(d.get_ref()) {
                        self.invalid(
                            d.span(),
                            &format!("{k}.destinations"),
                            format!("\"{}\" is the origin of this control", d.get_ref()),
                            "regions other than the origin",
                        );
                    }
                    out.push(i);
                }
                out
            }
            None => (0..regions.len()).filter(|&i| i != origin).collect(),
        }
    }

    /// The commodities a control covers (groups expanded); required except for `technology`.
    fn control_commodities(
        &mut self,
        c: &schema::ControlFile,
        k: &str,
        kind_name: &str,
    ) -> [bool; N_COMMODITIES] {
        let name = k.trim_start_matches("controls.");
        let mut commodities = [false; N_COMMODITIES];
        match &c.commodities {
            None if kind_name != "technology" => self.error(
                Some(c.kind.span()),
                &format!("{k}.commodities"),
                format!("control `{name}` has no `commodities`"),
                "`commodities` is missing".into(),
                Some(COMMODITY_GROUPS.into()),
            ),
            None => {}
            Some(list) => {
                if list.get_ref().is_empty() {
                    self.invalid(
                        list.span(),
                        &format!("{k}.commodities"),
                        "an empty list".into(),
                        COMMODITY_GROUPS,
                    );
                }
                for s in list.get_ref() {
                    match commodity_group(s.get_ref()) {
                        Some(l) => l.iter().for_each(|&c| commodities[c as usize] = true),
                        None => self.invalid(
                            s.span(),
                            &format!("{k}.commodities"),
                            format!("found \"{}\"", s.get_ref()),
                            COMMODITY_GROUPS,
                        ),
                    }
                }
            }
        }
        commodities
    }

    /// Refuses keys the control's type does not take (which type takes which key is in
    /// `rules::RULES`).
    fn check_control_keys(&mut self, c: &schema::ControlFile, k: &str, kind_name: &str) {
        let known = rules::CONTROL_TYPES.contains(&kind_name);
        if !known {
            let types: Vec<String> = rules::CONTROL_TYPES
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect();
            let (last, rest) = types.split_last().expect("control types");
            self.invalid(
                c.kind.span(),
                &format!("{k}.type"),
                format!("found \"{kind_name}\""),
                format!("{} or {last}", rest.join(", ")),
            );
        }
        // An unknown type takes every type-specific key (its error is enough).
        let takes = |key: &str| {
            !known || rules::control_types_of(key).is_none_or(|ts| ts.contains(&kind_name))
        };
        let allowed: Vec<&str> = rules::control_type_keys().filter(|k| takes(k)).collect();
        let extra: Vec<&str> = rules::control_type_keys()
            .filter(|key| control_key_given(c, key) && !takes(key))
            .collect();
        if !extra.is_empty() {
            self.invalid(
                c.kind.span(),
                &format!("{k}.type"),
                format!("type = \"{kind_name}\" with {}", extra.join(", ")),
                if allowed.is_empty() {
                    format!("no type-specific keys for type = \"{kind_name}\"")
                } else {
                    format!("for type = \"{kind_name}\": {}", allowed.join(", "))
                },
            );
        }
    }

    /// The control's type with its parameters.
    fn control_kind(
        &mut self,
        c: &schema::ControlFile,
        ctx: &ScopeContext,
        kind_name: &str,
        commodities: &[bool; N_COMMODITIES],
    ) -> ControlKind {
        let (k, sectors) = (ctx.control, ctx.sectors);
        match kind_name {
            "quota" | "production_quota" => {
                let n = [
                    c.quota_share.is_some(),
                    c.quota_t_per_month.is_some(),
                    c.schedule.is_some(),
                ]
                .iter()
                .filter(|x| **x)
                .count();
                if n != 1 {
                    self.invalid(
                        c.kind.span(),
                        &format!("{k}.type"),
                        format!("a quota with {n} of quota_share, quota_t_per_month and schedule"),
                        "exactly one of quota_share (share of the pre-control flow), quota_t_per_month, \
                         or schedule (graduated share)",
                    );
                }
                let production = kind_name == "production_quota";
                if production {
                    self.production_scope(c, k, commodities);
                }
                if let Some(p) = &c.quota_t_per_month {
                    let t = self.param(
                        &format!("{k}.quota_t_per_month"),
                        p,
                        bounds!("controls[].quota_t_per_month"),
                    );
                    if production {
                        ControlKind::ProductionTonnes(t)
                    } else {
                        ControlKind::QuotaTonnes(t)
                    }
                } else {
                    let schedule = if let Some(steps) = &c.schedule {
                        self.schedule(&format!("{k}.schedule"), steps)
                    } else {
                        let share = self.opt_param(
                            &format!("{k}.quota_share"),
                            &c.quota_share,
                            // Used only when no quota is given at all, which is an error.
                            (bounds!("controls[].quota_share"), 0.0),
                        );
                        let zero = self.params.fixed(format!("{k}.schedule.0.month"), 0.0);
                        Schedule(vec![(zero, share)])
                    };
                    if production {
                        ControlKind::ProductionShare(schedule)
                    } else {
                        ControlKind::QuotaShare(schedule)
                    }
                }
            }
            "licensing" => self.licensing_kind(c, ctx),
            "end_use_denial" => {
                let mut idx = Vec::new();
                match &c.sectors {
                    Some(list) if !list.is_empty() => {
                        for s in list {
                            match sectors.iter().position(|n| n == s.get_ref()) {
                                Some(i) => idx.push(i),
                                None => self.error(
                                    Some(s.span()),
                                    &format!("{k}.sectors"),
                                    format!("unknown sector \"{}\" in `{k}.sectors`", s.get_ref()),
                                    "no region defines this sector".into(),
                                    Some(format!("one of: {}", sectors.join(", "))),
                                ),
                            }
                        }
                    }
                    _ => self.invalid(
                        c.kind.span(),
                        &format!("{k}.sectors"),
                        "an end-use denial without sectors".into(),
                        "sectors = [\"defense\"] (sectors whose shipments are refused)",
                    ),
                }
                ControlKind::EndUseDenial {
                    sectors: idx,
                    extraterritorial: c.extraterritorial.unwrap_or(false),
                }
            }
            "technology" => ControlKind::Technology {
                delay_months: self.opt_param(
                    &format!("{k}.delay_months"),
                    &c.delay_months,
                    with_default!("controls[].delay_months"),
                ),
                slowdown: self.opt_param(
                    &format!("{k}.slowdown"),
                    &c.slowdown,
                    with_default!("controls[].slowdown"),
                ),
            },
            _ => ControlKind::Ban,
        }
    }

    /// A licensing control: its approval schedule and delay, the approvals that differ by
    /// destination or sector, and general licences.
    fn licensing_kind(&mut self, c: &schema::ControlFile, ctx: &ScopeContext) -> ControlKind {
        let k = ctx.control;
        let approval = match &c.schedule {
            Some(steps) => self.schedule(&format!("{k}.schedule"), steps),
            None => {
                self.invalid(
                    c.kind.span(),
                    &format!("{k}.schedule"),
                    "licensing without an approval schedule".into(),
                    "schedule = [{ month = 0, share = 0.0 }, { month = 2, share = 0.25 }, ...]",
                );
                Schedule(vec![])
            }
        };
        let delay_weeks = self.opt_param(
            &format!("{k}.delay_weeks"),
            &c.delay_weeks,
            with_default!("controls[].delay_weeks"),
        );
        let mut approvals = Vec::new();
        for (i, a) in c.approvals.iter().enumerate() {
            let ak = format!("{k}.approvals.{i}");
            let scope = self.scope(
                ctx,
                &ak,
                a.span(),
                &a.get_ref().destinations,
                &a.get_ref().sectors,
            );
            let schedule = self.schedule(&format!("{ak}.schedule"), &a.get_ref().schedule);
            approvals.push(Approval { scope, schedule });
        }
        let mut general = Vec::new();
        for (i, g) in c.general_licence.iter().enumerate() {
            let gk = format!("{k}.general_licence.{i}");
            let scope = self.scope(
                ctx,
                &gk,
                g.span(),
                &g.get_ref().destinations,
                &g.get_ref().sectors,
            );
            let month = self.param(
                &format!("{gk}.month"),
                &g.get_ref().month,
                bounds!("controls[].general_licence[].month"),
            );
            general.push(GeneralLicence { month, scope });
        }
        ControlKind::Licensing {
            approval,
            delay_weeks,
            approvals,
            general,
        }
    }

    /// A control's later changes (suspensions, relaxations).
    fn control_changes(
        &mut self,
        c: &schema::ControlFile,
        k: &str,
        kind: &ControlKind,
        kind_name: &str,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        for (i, ch) in c.changes.iter().enumerate() {
            let ck = format!("{k}.changes.{i}");
            let ch = ch.get_ref();
            let month = self.param(
                &format!("{ck}.month"),
                &ch.month,
                bounds!("controls[].changes[].month"),
            );
            let action = match ch.action.get_ref().as_str() {
                "suspend" => {
                    if ch.share.is_some() {
                        self.invalid(
                            ch.action.span(),
                            &format!("{ck}.share"),
                            "suspend with a share".into(),
                            "suspend takes `months` (optional), not `share`",
                        );
                    }
                    ChangeAction::Suspend(ch.months.as_ref().map(|p| {
                        self.param(
                            &format!("{ck}.months"),
                            p,
                            bounds!("controls[].changes[].months"),
                        )
                    }))
                }
                "relax" => {
                    if matches!(
                        kind,
                        ControlKind::QuotaTonnes(_)
                            | ControlKind::ProductionTonnes(_)
                            | ControlKind::EndUseDenial { .. }
                            | ControlKind::Technology { .. }
                    ) {
                        self.invalid(
                            ch.action.span(),
                            &format!("{ck}.action"),
                            format!("relax on a {kind_name} control"),
                            "relax applies to ban, share quota, share production quota and licensing controls; \
                             use suspend",
                        );
                    }
                    match &ch.share {
                        Some(p) => ChangeAction::Relax(self.param(
                            &format!("{ck}.share"),
                            p,
                            bounds!("controls[].changes[].share"),
                        )),
                        None => {
                            self.invalid(
                                ch.action.span(),
                                &format!("{ck}.share"),
                                "relax without a share".into(),
                                "relax with share = S (the allowed share from then on)",
                            );
                            ChangeAction::Relax(self.params.fixed(format!("{ck}.share"), 1.0))
                        }
                    }
                }
                other => {
                    self.invalid(
                        ch.action.span(),
                        &format!("{ck}.action"),
                        format!("found \"{other}\""),
                        "\"suspend\" or \"relax\"",
                    );
                    ChangeAction::Suspend(None)
                }
            };
            changes.push(Change { month, action });
        }
        changes
    }

    /// Whom a licensing `approvals` entry or `general_licence` applies to: destinations of the
    /// control and defined sectors (magnet controls only), at least one of the two.
    fn scope(
        &mut self,
        ctx: &ScopeContext,
        key: &str,
        span: Range<usize>,
        destinations: &Option<Vec<Spanned<String>>>,
        sectors: &Option<Vec<Spanned<String>>>,
    ) -> Scope {
        let mut out = Scope::default();
        let empty = |l: &Option<Vec<Spanned<String>>>| l.as_ref().is_none_or(|l| l.is_empty());
        if empty(destinations) && empty(sectors) {
            self.invalid(
                span,
                key,
                "an entry with neither destinations nor sectors".into(),
                "destinations = [...] (some of the control's destinations) and/or \
                 sectors = [...] (end-use sectors)",
            );
        }
        for d in destinations.iter().flatten() {
            let dk = format!("{key}.destinations");
            match ctx.regions.iter().position(|r| r == d.get_ref()) {
                Some(i) if ctx.destinations.contains(&i) => out.destinations.push(i),
                found => {
                    let names: Vec<&str> = ctx
                        .destinations
                        .iter()
                        .map(|&i| ctx.regions[i].as_str())
                        .collect();
                    self.error(
                        Some(d.span()),
                        &dk,
                        format!("unknown destination \"{}\" in `{dk}`", d.get_ref()),
                        if found.is_some() {
                            format!(
                                "\"{}\" is not a destination of `{}`",
                                d.get_ref(),
                                ctx.control
                            )
                        } else {
                            "this region is not defined under [regions]".into()
                        },
                        Some(format!(
                            "one of the control's destinations: {}",
                            names.join(", ")
                        )),
                    );
                }
            }
        }
        for s in sectors.iter().flatten() {
            let sk = format!("{key}.sectors");
            if !ctx.magnets {
                self.invalid(
                    s.span(),
                    &sk,
                    format!(
                        "sector \"{}\" on a licensing control without magnets",
                        s.get_ref()
                    ),
                    "sectors only on a control covering magnet_standard or magnet_high_temp \
                     (oxide and concentrate buyers have no end-use sector)",
                );
                continue;
            }
            match ctx.sectors.iter().position(|n| n == s.get_ref()) {
                Some(i) => out.sectors.push(i),
                None => self.error(
                    Some(s.span()),
                    &sk,
                    format!("unknown sector \"{}\" in `{sk}`", s.get_ref()),
                    "no region defines this sector".into(),
                    Some(format!("one of: {}", ctx.sectors.join(", "))),
                ),
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn stockpile(
        &mut self,
        s: &schema::StockpileFile,
        region_names: &[String],
        regions: &[Region],
        sectors: &[String],
        controls: &[String],
        seen: &mut BTreeSet<String>,
    ) -> Stockpile {
        let name = self.name("stockpiles.name", &s.name, seen);
        let k = format!("stockpiles.{name}");
        let region = self.region_ref(&format!("{k}.region"), &s.region, region_names);
        let commodity = match Commodity::parse(s.commodity.get_ref()) {
            Some(c) if !matches!(c, Commodity::Concentrate | Commodity::ClayConcentrate) => c,
            _ => {
                self.invalid(
                    s.commodity.span(),
                    &format!("{k}.commodity"),
                    format!("found \"{}\"", s.commodity.get_ref()),
                    "light_oxide, heavy_oxide, magnet_standard or magnet_high_temp",
                );
                Commodity::MagnetStandard
            }
        };
        let size = match (&s.initial_t, &s.initial_days) {
            (Some(t), None) => StockpileSize::Tonnes(self.param(
                &format!("{k}.initial_t"),
                t,
                bounds!("stockpiles[].initial_t"),
            )),
            (None, Some(d)) => StockpileSize::Days(self.param(
                &format!("{k}.initial_days"),
                d,
                bounds!("stockpiles[].initial_days"),
            )),
            (t, _) => {
                self.error(
                    t.as_ref().map(|t| t.span()),
                    &k,
                    format!(
                        "stockpile `{name}` needs exactly one of `initial_t` and `initial_days`"
                    ),
                    if t.is_some() {
                        "both are given".into()
                    } else {
                        "neither is given".into()
                    },
                    Some("initial_t (tonnes) or initial_days (days of the region's use)".into()),
                );
                StockpileSize::Tonnes(self.params.fixed(format!("{k}.initial_t"), 0.0))
            }
        };
        let max_release = s.max_release_t_per_month.as_ref().map(|p| {
            self.param(
                &format!("{k}.max_release_t_per_month"),
                p,
                bounds!("stockpiles[].max_release_t_per_month"),
            )
        });
        let (on_control, on_shortage, on_price, release_controls) =
            self.release_triggers(s, &k, controls);
        let serves = match &s.serves {
            Some(list) => {
                if list.get_ref().is_empty() {
                    self.error(
                        Some(list.span()),
                        &format!("{k}.serves"),
                        format!("`{k}.serves` is empty"),
                        "an empty list".into(),
                        Some("one or more defined regions".into()),
                    );
                }
                list.get_ref()
                    .iter()
                    .map(|r| self.region_ref(&format!("{k}.serves"), r, region_names))
                    .collect()
            }
            None => vec![region],
        };
        let (priority_sectors, days_of_sectors) =
            self.stockpile_sectors(s, &k, region, &serves, regions, sectors);
        let threshold = self.opt_param(
            &format!("{k}.release_threshold"),
            &s.release_threshold,
            with_default!("stockpiles[].release_threshold"),
        );
        let (refill_rate, refill_delay, refill_budget) = self.refill(s, &k);
        let holding_cost = self.opt_param(
            &format!("{k}.holding_cost_usd_per_t_year"),
            &s.holding_cost_usd_per_t_year,
            with_default!("stockpiles[].holding_cost_usd_per_t_year"),
        );
        let build_months = self.opt_param(
            &format!("{k}.build_months"),
            &s.build_months,
            with_default!("stockpiles[].build_months"),
        );
        let build_start = self.opt_param(
            &format!("{k}.build_start_month"),
            &s.build_start_month,
            with_default!("stockpiles[].build_start_month"),
        );
        Stockpile {
            name,
            region,
            commodity,
            size,
            build_months,
            build_start,
            max_release,
            on_control,
            release_controls,
            on_shortage,
            priority_sectors,
            days_of_sectors,
            threshold,
            serves,
            refill_rate,
            refill_delay,
            refill_budget,
            holding_cost,
            price_trigger: on_price.then(|| {
                self.opt_param(
                    &format!("{k}.release_price_index"),
                    &s.release_price_index,
                    with_default!("stockpiles[].release_price_index"),
                )
            }),
        }
    }

    /// A stockpile's release triggers (`release_on`, default control and shortage) and the
    /// controls that release it (`release_controls`).
    fn release_triggers(
        &mut self,
        s: &schema::StockpileFile,
        k: &str,
        controls: &[String],
    ) -> (bool, bool, bool, Vec<usize>) {
        let (mut on_control, mut on_shortage, mut on_price) = (true, true, false);
        if let Some(list) = &s.release_on {
            on_control = false;
            on_shortage = false;
            if list.get_ref().is_empty() {
                self.error(
                    Some(list.span()),
                    &format!("{k}.release_on"),
                    format!("`{k}.release_on` is empty: the stockpile would never release"),
                    "an empty list".into(),
                    Some("one or more of \"control\", \"shortage\" and \"price\"".into()),
                );
            }
            for t in list.get_ref() {
                match t.get_ref().as_str() {
                    "control" => on_control = true,
                    "shortage" => on_shortage = true,
                    "price" => on_price = true,
                    other => self.invalid(
                        t.span(),
                        &format!("{k}.release_on"),
                        format!("found \"{other}\""),
                        "\"control\" (while an export control against the region is active), \"shortage\" or \"price\"",
                    ),
                }
            }
        }
        let mut release_controls = Vec::new();
        for c in s.release_controls.iter().flatten() {
            match controls.iter().position(|n| n == c.get_ref()) {
                Some(i) => release_controls.push(i),
                None => self.error(
                    Some(c.span()),
                    &format!("{k}.release_controls"),
                    format!(
                        "unknown control \"{}\" in `{k}.release_controls`",
                        c.get_ref()
                    ),
                    "no [[controls]] entry has this name".into(),
                    Some(if controls.is_empty() {
                        "names of [[controls]] entries (this scenario defines none)".into()
                    } else {
                        format!("one of: {}", controls.join(", "))
                    }),
                ),
            }
        }
        (on_control, on_shortage, on_price, release_controls)
    }

    /// The sectors a stockpile serves first and those its days of cover count, each a sector
    /// of a region it serves.
    fn stockpile_sectors(
        &mut self,
        s: &schema::StockpileFile,
        k: &str,
        region: usize,
        serves: &[usize],
        regions: &[Region],
        sectors: &[String],
    ) -> (Vec<usize>, Vec<usize>) {
        // Sectors named by the stockpile must exist in a region it serves.
        let mut region_sectors: Vec<usize> = Vec::new();
        for &r in serves.iter().chain([&region]) {
            for sec in regions
                .get(r)
                .map(|x| x.sectors.as_slice())
                .unwrap_or_default()
            {
                if !region_sectors.contains(&sec.sector) {
                    region_sectors.push(sec.sector);
                }
            }
        }
        let sector_list = |v: &mut Self, key: &str, list: &[Spanned<String>]| -> Vec<usize> {
            let mut out = Vec::new();
            for p in list {
                match sectors
                    .iter()
                    .position(|n| n == p.get_ref())
                    .filter(|i| region_sectors.contains(i))
                {
                    Some(i) => out.push(i),
                    None => v.error(
                        Some(p.span()),
                        key,
                        format!("unknown sector \"{}\" in `{key}`", p.get_ref()),
                        "no region this stockpile serves has a sector with this name".to_string(),
                        Some(format!(
                            "one of the sectors of the regions it serves: {}",
                            region_sectors
                                .iter()
                                .map(|&i| sectors[i].as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    ),
                }
            }
            out
        };
        let priority_sectors =
            sector_list(self, &format!("{k}.priority_sectors"), &s.priority_sectors);
        let days_of_sectors = match &s.days_of_sectors {
            Some(list) => sector_list(self, &format!("{k}.days_of_sectors"), list),
            None => Vec::new(),
        };
        (priority_sectors, days_of_sectors)
    }

    /// A stockpile's refill: rate, quiet months before it, and budget with purchase price.
    #[allow(clippy::type_complexity)]
    fn refill(
        &mut self,
        s: &schema::StockpileFile,
        k: &str,
    ) -> (Option<ParamId>, ParamId, Option<(ParamId, ParamId)>) {
        let refill_rate = s.refill_t_per_month.as_ref().map(|p| {
            self.param(
                &format!("{k}.refill_t_per_month"),
                p,
                bounds!("stockpiles[].refill_t_per_month"),
            )
        });
        let refill_delay = self.opt_param(
            &format!("{k}.refill_delay_months"),
            &s.refill_delay_months,
            with_default!("stockpiles[].refill_delay_months"),
        );
        let refill_budget = match (&s.refill_budget_usd, &s.purchase_price_usd_per_t) {
            (Some(b), Some(pr)) => Some((
                self.param(
                    &format!("{k}.refill_budget_usd"),
                    b,
                    bounds!("stockpiles[].refill_budget_usd"),
                ),
                self.param(
                    &format!("{k}.purchase_price_usd_per_t"),
                    pr,
                    bounds!("stockpiles[].purchase_price_usd_per_t"),
                ),
            )),
            (None, None) => None,
            (Some(b), None) => {
                self.invalid(
                    b.span(),
                    &format!("{k}.refill_budget_usd"),
                    "a budget without a price".into(),
                    "refill_budget_usd together with purchase_price_usd_per_t",
                );
                None
            }
            (None, Some(pr)) => {
                self.invalid(
                    pr.span(),
                    &format!("{k}.purchase_price_usd_per_t"),
                    "a price without a budget".into(),
                    "purchase_price_usd_per_t together with refill_budget_usd",
                );
                None
            }
        };
        (refill_rate, refill_delay, refill_budget)
    }
}

/// Whether a control gives the type-specific key `key` (a key of `rules::control_type_keys`).
fn control_key_given(c: &schema::ControlFile, key: &str) -> bool {
    match key {
        "quota_share" => c.quota_share.is_some(),
        "quota_t_per_month" => c.quota_t_per_month.is_some(),
        "schedule" => c.schedule.is_some(),
        "delay_weeks" => c.delay_weeks.is_some(),
        "sectors" => c.sectors.is_some(),
        "extraterritorial" => c.extraterritorial.is_some(),
        "delay_months" => c.delay_months.is_some(),
        "slowdown" => c.slowdown.is_some(),
        "approvals" => !c.approvals.is_empty(),
        "general_licence" => !c.general_licence.is_empty(),
        "leakage" => c.leakage.is_some(),
        _ => false,
    }
}

const COMMODITY_GROUPS: &str = "concentrate (hard-rock), clay_concentrate (ionic-clay), light_oxide, \
     heavy_oxide, magnet_standard, magnet_high_temp, or the groups concentrates (both), oxides (or \
     oxide), magnets (or magnet), all";

fn commodity_group(s: &str) -> Option<Vec<Commodity>> {
    use Commodity::*;
    match s {
        "all" => Some(Commodity::ALL.to_vec()),
        "concentrates" => Some(vec![Concentrate, ClayConcentrate]),
        "oxides" | "oxide" => Some(vec![LightOxide, HeavyOxide]),
        "magnets" | "magnet" => Some(vec![MagnetStandard, MagnetHighTemp]),
        other => Commodity::parse(other).map(|c| vec![c]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_specific_key_is_read_from_the_file() {
        let text = r#"
name = "c"
origin = "a"
type = "ban"
quota_share = 0.5
quota_t_per_month = 1
schedule = [{ month = 0, share = 0.5 }]
delay_weeks = 1
sectors = ["ev"]
extraterritorial = true
delay_months = 1
slowdown = 0.5
approvals = [{ sectors = ["ev"], schedule = [{ month = 0, share = 0.5 }] }]
general_licence = [{ month = 1, sectors = ["ev"] }]
leakage = 0.1
"#;
        let c: schema::ControlFile = toml::from_str(text).unwrap();
        let keys: Vec<&str> = rules::control_type_keys().collect();
        assert_eq!(keys.len(), 11);
        for k in keys {
            assert!(control_key_given(&c, k), "{k}");
        }
    }

    #[test]
    fn commodity_names_are_the_groups_the_validator_reads() {
        for name in rules::COMMODITY_NAMES {
            assert!(commodity_group(name).is_some(), "{name}");
        }
        for c in Commodity::ALL {
            assert!(rules::COMMODITY_NAMES.contains(&c.name()));
        }
    }
}
