//! From the file schema to the validated model. Every rule that a scenario must satisfy lives
//! here, and every violation becomes a `Diagnostic` pointing at the offending value.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;

use super::compose::Sources;
use super::diagnostic::Diagnostic;
use super::schema::{self, P, Param};
use crate::model::{
    Commodity, Control, ControlKind, Grade, MagnetPlant, Mine, N_COMMODITIES, Outage, Region,
    Scenario, Sector, Separation, Stockpile, StockpileSize, YearMonth,
};
use crate::sim::params::{ParamId, ParamTable};

/// Allowed range of a numeric parameter.
#[derive(Clone, Copy)]
struct Bounds {
    lo: f64,
    hi: f64,
    /// Whether `lo` itself is allowed.
    lo_inclusive: bool,
    what: &'static str,
}

const NONNEG: Bounds = Bounds {
    lo: 0.0,
    hi: f64::INFINITY,
    lo_inclusive: true,
    what: "a number >= 0",
};
const SHARE: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_inclusive: true,
    what: "a number between 0 and 1",
};
const GROWTH: Bounds = Bounds {
    lo: -1.0,
    hi: 10.0,
    lo_inclusive: false,
    what: "a yearly rate above -1 and at most 10",
};
const RECOVERY: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_inclusive: false,
    what: "a share above 0 and at most 1",
};
const REBUILD: Bounds = Bounds {
    lo: 1.0,
    hi: 1200.0,
    lo_inclusive: true,
    what: "a number of months between 1 and 1200",
};
const MONTHS: Bounds = Bounds {
    lo: 0.0,
    hi: 12000.0,
    lo_inclusive: true,
    what: "a number of months between 0 and 12000",
};
const DAYS: Bounds = Bounds {
    lo: 0.0,
    hi: 36500.0,
    lo_inclusive: true,
    what: "a number of days between 0 and 36500",
};

impl Bounds {
    fn contains(&self, v: f64) -> bool {
        v.is_finite()
            && (if self.lo_inclusive {
                v >= self.lo
            } else {
                v > self.lo
            })
            && v <= self.hi
    }
}

const REGION_NAME_RULE: &str =
    "a name of ASCII letters, digits, '_' and '-', starting with a letter (at most 64 characters)";

/// Names end up as CSV fields, column names and stream keys: keep them plain.
fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 64
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
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

    /// Registers a numeric parameter after checking it against `b`.
    fn param(&mut self, key: &str, p: &P, b: Bounds) -> ParamId {
        let span = p.span();
        match p.get_ref() {
            Param::Fixed(v) => {
                if !b.contains(*v) {
                    self.invalid(span, key, format!("found {v}"), b.what);
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
                            "a {} distribution with consistent parameters",
                            d.name()
                        )),
                    );
                } else {
                    let (lo, hi) = d.support();
                    if lo < b.lo || hi > b.hi || lo.is_nan() || hi.is_nan() {
                        let hint = match d {
                            crate::sim::dist::Dist::Normal { .. }
                            | crate::sim::dist::Dist::Lognormal { .. } => {
                                " (truncate it with `min` and `max`)"
                            }
                            _ => "",
                        };
                        self.invalid(
                            span,
                            key,
                            format!(
                                "{} distribution can produce values in [{lo}, {hi}]{hint}",
                                d.name()
                            ),
                            format!("{} for every value the distribution can produce", b.what),
                        );
                    }
                }
            }
        }
        self.params.add(key, p.get_ref().clone())
    }

    fn opt_param(&mut self, key: &str, p: &Option<P>, b: Bounds, default: f64) -> ParamId {
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

    fn outage(&mut self, key: &str, o: &Option<schema::OutageFile>) -> Option<Outage> {
        let o = o.as_ref()?;
        let probability = self.param(&format!("{key}.probability"), &o.probability, SHARE);
        let dkey = format!("{key}.duration_months");
        // The duration is drawn afresh for every outage, so it is checked here but kept out of
        // the per-run parameter table.
        let before = self.params.defs.len();
        self.param(&dkey, &o.duration_months, MONTHS);
        self.params.defs.truncate(before);
        let loss = self.opt_param(&format!("{key}.loss"), &o.loss, SHARE, 1.0);
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
        if !(1..=1200).contains(&horizon) {
            self.invalid(
                f.scenario.horizon_months.span(),
                "scenario.horizon_months",
                format!("found {horizon}"),
                "a whole number of months between 1 and 1200",
            );
        }

        let mut recipes = [[ParamId(0); 2]; 2];
        for (g, name, r) in [
            (Grade::Standard, "standard", &f.grades.standard),
            (Grade::HighTemp, "high_temp", &f.grades.high_temp),
        ] {
            recipes[g as usize] = [
                self.param(
                    &format!("grades.{name}.ndpr_oxide_t"),
                    &r.ndpr_oxide_t,
                    SHARE,
                ),
                self.param(
                    &format!("grades.{name}.dytb_oxide_t"),
                    &r.dytb_oxide_t,
                    SHARE,
                ),
            ];
        }
        let rebuild_months = self.opt_param(
            "market.rebuild_months",
            &f.market.rebuild_months,
            REBUILD,
            3.0,
        );

        // Sector names are the union over regions, sorted, so that every region can be looked
        // up by the same sector index.
        let sectors: Vec<String> = f
            .regions
            .values()
            .flat_map(|r| r.get_ref().sectors.keys().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();

        if f.regions.is_empty() {
            self.error(
                None,
                "regions",
                "a scenario needs at least one region".into(),
                "no [regions.NAME] table".into(),
                Some("one or more tables such as [regions.china]".into()),
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
            regions.push(self.region(rname, &rkey, r.get_ref(), &sectors));
        }
        let region_names: Vec<String> = f.regions.keys().cloned().collect();

        let mut controls = Vec::new();
        let mut seen = BTreeSet::new();
        for c in &f.controls {
            controls.push(self.control(c.get_ref(), &region_names, &mut seen));
        }
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

        if !self.diags.is_empty() {
            // Report in file order, as a compiler would.
            self.diags
                .sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
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
            controls,
            stockpiles,
            params: self.params,
        })
    }

    fn region(
        &mut self,
        rname: &str,
        rkey: &str,
        r: &schema::RegionFile,
        sectors: &[String],
    ) -> Region {
        let mut seen = BTreeSet::new();
        let mut mines = Vec::new();
        for m in &r.mines {
            let m = m.get_ref();
            let name = self.name(&format!("{rkey}.mines.name"), &m.name, &mut seen);
            let k = format!("{rkey}.mines.{name}");
            let ndpr_share = self.param(&format!("{k}.ndpr_share"), &m.ndpr_share, SHARE);
            let dytb_share = self.param(&format!("{k}.dytb_share"), &m.dytb_share, SHARE);
            if let (Param::Fixed(a), Param::Fixed(b)) =
                (m.ndpr_share.get_ref(), m.dytb_share.get_ref())
                && a + b > 1.0
            {
                self.invalid(
                    m.dytb_share.span(),
                    &format!("{k}.dytb_share"),
                    format!("ndpr_share + dytb_share = {}", a + b),
                    "shares of the REO that sum to at most 1",
                );
            }
            mines.push(Mine {
                capacity: self.param(&format!("{k}.capacity_t"), &m.capacity_t, NONNEG),
                utilisation: self.opt_param(
                    &format!("{k}.utilisation"),
                    &m.utilisation,
                    SHARE,
                    1.0,
                ),
                ndpr_share,
                dytb_share,
                growth: self.opt_param(&format!("{k}.growth"), &m.growth, GROWTH, 0.0),
                outage: self.outage(&format!("{k}.outage"), &m.outage),
                name,
            });
        }
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
                    NONNEG,
                ),
                heavy_capacity: self.param(
                    &format!("{k}.heavy_capacity_t"),
                    &s.heavy_capacity_t,
                    NONNEG,
                ),
                recovery: self.opt_param(&format!("{k}.recovery"), &s.recovery, RECOVERY, 1.0),
                utilisation: self.opt_param(
                    &format!("{k}.utilisation"),
                    &s.utilisation,
                    SHARE,
                    1.0,
                ),
                growth: self.opt_param(&format!("{k}.growth"), &s.growth, GROWTH, 0.0),
                outage: self.outage(&format!("{k}.outage"), &s.outage),
                name,
            });
        }
        let mut seen = BTreeSet::new();
        let mut magnet_plants = Vec::new();
        for m in &r.magnet_plants {
            let m = m.get_ref();
            let name = self.name(&format!("{rkey}.magnet_plants.name"), &m.name, &mut seen);
            let k = format!("{rkey}.magnet_plants.{name}");
            magnet_plants.push(MagnetPlant {
                capacity: self.param(&format!("{k}.capacity_t"), &m.capacity_t, NONNEG),
                utilisation: self.opt_param(
                    &format!("{k}.utilisation"),
                    &m.utilisation,
                    SHARE,
                    1.0,
                ),
                growth: self.opt_param(&format!("{k}.growth"), &m.growth, GROWTH, 0.0),
                outage: self.outage(&format!("{k}.outage"), &m.outage),
                name,
            });
        }
        let inv = &r.inventory_days;
        let ik = format!("{rkey}.inventory_days");
        let inventory_days: [ParamId; N_COMMODITIES] = [
            self.opt_param(&format!("{ik}.concentrate"), &inv.concentrate, DAYS, 0.0),
            self.opt_param(&format!("{ik}.light_oxide"), &inv.light_oxide, DAYS, 0.0),
            self.opt_param(&format!("{ik}.heavy_oxide"), &inv.heavy_oxide, DAYS, 0.0),
            self.opt_param(
                &format!("{ik}.magnet_standard"),
                &inv.magnet_standard,
                DAYS,
                0.0,
            ),
            self.opt_param(
                &format!("{ik}.magnet_high_temp"),
                &inv.magnet_high_temp,
                DAYS,
                0.0,
            ),
        ];
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
            if !(1..=1000).contains(&priority) {
                self.invalid(
                    s.priority.span(),
                    &format!("{k}.priority"),
                    format!("found {priority}"),
                    "a whole number between 1 (served first) and 1000",
                );
            }
            out_sectors.push(Sector {
                sector: sectors
                    .iter()
                    .position(|n| n == sname)
                    .expect("sector list is the union"),
                demand: self.param(&format!("{k}.demand_t"), &s.demand_t, NONNEG),
                growth: self.opt_param(&format!("{k}.growth"), &s.growth, GROWTH, 0.0),
                high_temp_share: self.param(
                    &format!("{k}.high_temp_share"),
                    &s.high_temp_share,
                    SHARE,
                ),
                priority: priority.clamp(1, 1000) as u32,
            });
        }
        Region {
            name: rname.to_string(),
            mines,
            separation,
            magnet_plants,
            inventory_days,
            sectors: out_sectors,
        }
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

    fn control(
        &mut self,
        c: &schema::ControlFile,
        regions: &[String],
        seen: &mut BTreeSet<String>,
    ) -> Control {
        let name = self.name("controls.name", &c.name, seen);
        let k = format!("controls.{name}");
        let origin = self.region_ref(&format!("{k}.origin"), &c.origin, regions);
        let destinations = match &c.destinations {
            Some(ds) => {
                let mut out = Vec::new();
                for d in ds {
                    let i = self.region_ref(&format!("{k}.destinations"), d, regions);
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
        };
        let mut commodities = [false; N_COMMODITIES];
        if c.commodities.is_empty() {
            self.error(
                None,
                &format!("{k}.commodities"),
                format!("`{k}.commodities` is empty"),
                "an empty list".into(),
                Some(COMMODITY_GROUPS.into()),
            );
        }
        for s in &c.commodities {
            match commodity_group(s.get_ref()) {
                Some(list) => list.iter().for_each(|&c| commodities[c as usize] = true),
                None => self.invalid(
                    s.span(),
                    &format!("{k}.commodities"),
                    format!("found \"{}\"", s.get_ref()),
                    COMMODITY_GROUPS,
                ),
            }
        }
        let share = c
            .quota_share
            .as_ref()
            .map(|p| self.param(&format!("{k}.quota_share"), p, SHARE));
        let tonnes = c
            .quota_t_per_month
            .as_ref()
            .map(|p| self.param(&format!("{k}.quota_t_per_month"), p, NONNEG));
        let kind = match (c.kind.get_ref().as_str(), share, tonnes) {
            ("ban", None, None) => ControlKind::Ban,
            ("quota", Some(s), None) => ControlKind::QuotaShare(s),
            ("quota", None, Some(t)) => ControlKind::QuotaTonnes(t),
            ("ban", _, _) => {
                self.invalid(
                    c.kind.span(),
                    &format!("{k}.type"),
                    "a ban with a quota_share or quota_t_per_month".into(),
                    "type = \"ban\" without quota keys, or type = \"quota\" with one quota key",
                );
                ControlKind::Ban
            }
            ("quota", _, _) => {
                self.invalid(
                    c.kind.span(),
                    &format!("{k}.type"),
                    format!(
                        "a quota with {} of quota_share and quota_t_per_month",
                        if share.is_some() { "both" } else { "neither" }
                    ),
                    "exactly one of quota_share (share of the pre-control flow) or quota_t_per_month",
                );
                ControlKind::Ban
            }
            (other, _, _) => {
                self.invalid(
                    c.kind.span(),
                    &format!("{k}.type"),
                    format!("found \"{other}\""),
                    "\"ban\" or \"quota\"",
                );
                ControlKind::Ban
            }
        };
        let start = self.opt_param(&format!("{k}.start_month"), &c.start_month, MONTHS, 0.0);
        let duration = c
            .duration_months
            .as_ref()
            .map(|p| self.param(&format!("{k}.duration_months"), p, MONTHS));
        let probability = self.opt_param(&format!("{k}.probability"), &c.probability, SHARE, 1.0);
        Control {
            name,
            origin,
            destinations,
            commodities,
            kind,
            start,
            duration,
            probability,
        }
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
            Some(c) if c != Commodity::Concentrate => c,
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
            (Some(t), None) => {
                StockpileSize::Tonnes(self.param(&format!("{k}.initial_t"), t, NONNEG))
            }
            (None, Some(d)) => {
                StockpileSize::Days(self.param(&format!("{k}.initial_days"), d, DAYS))
            }
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
        let max_release = s
            .max_release_t_per_month
            .as_ref()
            .map(|p| self.param(&format!("{k}.max_release_t_per_month"), p, NONNEG));
        let (mut on_control, mut on_shortage) = (true, true);
        if let Some(list) = &s.release_on {
            on_control = false;
            on_shortage = false;
            for t in list {
                match t.get_ref().as_str() {
                    "control" => on_control = true,
                    "shortage" => on_shortage = true,
                    other => self.invalid(
                        t.span(),
                        &format!("{k}.release_on"),
                        format!("found \"{other}\""),
                        "\"control\" (while an export control against the region is active) or \"shortage\"",
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
        let mut priority_sectors = Vec::new();
        let region_sectors: Vec<usize> = regions
            .get(region)
            .map(|r| r.sectors.iter().map(|s| s.sector).collect())
            .unwrap_or_default();
        for p in &s.priority_sectors {
            match sectors
                .iter()
                .position(|n| n == p.get_ref())
                .filter(|i| region_sectors.contains(i))
            {
                Some(i) => priority_sectors.push(i),
                None => self.error(
                    Some(p.span()),
                    &format!("{k}.priority_sectors"),
                    format!(
                        "unknown sector \"{}\" in `{k}.priority_sectors`",
                        p.get_ref()
                    ),
                    format!(
                        "region \"{}\" has no sector with this name",
                        s.region.get_ref()
                    ),
                    Some(format!(
                        "one of the region's sectors: {}",
                        region_sectors
                            .iter()
                            .map(|&i| sectors[i].as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
            }
        }
        Stockpile {
            name,
            region,
            commodity,
            size,
            max_release,
            on_control,
            release_controls,
            on_shortage,
            priority_sectors,
        }
    }
}

const COMMODITY_GROUPS: &str = "concentrate, light_oxide, heavy_oxide, magnet_standard, magnet_high_temp, \
     or the groups oxides (or oxide), magnets (or magnet), all";

fn commodity_group(s: &str) -> Option<Vec<Commodity>> {
    use Commodity::*;
    match s {
        "all" => Some(Commodity::ALL.to_vec()),
        "oxides" | "oxide" => Some(vec![LightOxide, HeavyOxide]),
        "magnets" | "magnet" => Some(vec![MagnetStandard, MagnetHighTemp]),
        other => Commodity::parse(other).map(|c| vec![c]),
    }
}
