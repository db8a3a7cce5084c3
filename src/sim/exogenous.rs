//! What each month brings from outside the chain: end-use demand before the market's response,
//! and capacities after growth, outages, pipeline projects, price-driven additions and
//! technology controls (docs/model.md, "Exogenous inputs of month t").

use rand_distr::{Bernoulli, Distribution};

use crate::market::Expansion;
use crate::model::buf::{fill, set_from};
use crate::model::limits::Course;
use crate::model::param::{Param, ParamId, Values};
use crate::model::state::{Circuit, Exogenous, mine_mix};
use crate::model::{ControlKind, Ore, Outage, Pipeline, Region, Scenario};
use crate::policy::controls::{technology, technology_factor};
use crate::sim::streams::{self, Stream};

/// The growth of one asset or sector, compounded month by month: the factor `g(t)` of the
/// current month starts at 1 and each month is multiplied by `(1 + rate)^(pace / 12)`, where the
/// pace is 1 on the calendar and the region's growth-clock advance for an asset that follows the
/// clock (docs/model.md, "Exogenous inputs of month t"). Compounding costs one multiplication a
/// month where `(1 + rate)^(t / 12)` cost a `pow`; the two differ only by rounding (a few ulps
/// after a horizon of months).
#[derive(Debug, Clone, Copy)]
struct Growth {
    /// `g(t)`, the factor of the current month.
    factor: f64,
    /// `1 + rate`.
    base: f64,
    /// `(1 + rate)^(1 / 12)`, a month at full pace (exactly 1 for a zero rate).
    monthly: f64,
    /// Whether the factor follows the region's growth clock rather than the calendar.
    clocked: bool,
}

impl Growth {
    fn new(rate: f64, clocked: bool) -> Self {
        let base = 1.0 + rate;
        Growth {
            factor: 1.0,
            base,
            // pow(1, y) is exactly 1: no `pow` for an asset or sector that does not grow.
            monthly: if base == 1.0 {
                1.0
            } else {
                base.powf(1.0 / 12.0)
            },
            clocked,
        }
    }

    /// An asset's growth: additions follow the region's clock, declines the calendar.
    fn asset(rate: f64) -> Self {
        Growth::new(rate, rate > 0.0)
    }

    /// A sector's demand growth, which always follows the calendar.
    fn calendar(rate: f64) -> Self {
        Growth::new(rate, false)
    }

    /// Moves the factor on by a month in which the region's growth clock advanced by `pace`
    /// (in [0, 1]; 1 without technology-export controls).
    #[inline]
    fn advance(&mut self, pace: f64) {
        self.factor *= if !self.clocked || pace == 1.0 {
            self.monthly
        } else {
            self.base.powf(pace / 12.0)
        };
    }
}

/// The per-run terms of every sector's base demand, flat in region-then-sector order, read from
/// the run's values once, and each sector's growth factor of the current month.
#[derive(Debug, Clone, Default)]
pub struct BaseDemand {
    /// `demand_t / 12`, t/month at the start.
    monthly: Vec<f64>,
    growth: Vec<Growth>,
    high_temp_share: Vec<f64>,
}

impl BaseDemand {
    /// Reads the terms of the run with values `v`; the current month is month 0.
    pub fn reset(&mut self, sc: &Scenario, v: &Values) {
        let sectors = || sc.regions.iter().flat_map(|r| &r.sectors);
        set_from(&mut self.monthly, sectors().map(|s| v[s.demand] / 12.0));
        set_from(
            &mut self.growth,
            sectors().map(|s| Growth::calendar(v[s.growth])),
        );
        set_from(
            &mut self.high_temp_share,
            sectors().map(|s| v[s.high_temp_share]),
        );
    }

    /// Base demand of the current month of sector `i` (flat region-then-sector index),
    /// `[standard, high_temp]` t/month.
    #[inline]
    pub fn sector(&self, i: usize) -> [f64; 2] {
        let d = self.monthly[i] * self.growth[i].factor;
        let ht = self.high_temp_share[i];
        [d * (1.0 - ht), d * ht]
    }

    /// The current month's base demand of every sector into `out`, then moves on to the next
    /// month: called once per month, in order from month 0.
    pub fn month_into(&mut self, out: &mut Vec<[f64; 2]>) {
        set_from(out, (0..self.monthly.len()).map(|i| self.sector(i)));
        for g in &mut self.growth {
            g.advance(1.0);
        }
    }
}

/// Outage process of one asset.
struct OutageState<'a> {
    def: &'a Outage,
    stream: Stream,
    remaining: u32,
    /// Whether an outage starts in a month without one (the run's probability).
    starts: Bernoulli,
    /// Share of capacity available during an outage, `1 - loss`.
    available: f64,
}

impl<'a> OutageState<'a> {
    fn new(def: &'a Outage, v: &Values, stream: Stream) -> Self {
        OutageState {
            def,
            stream,
            remaining: 0,
            starts: Bernoulli::new(v[def.probability].clamp(0.0, 1.0))
                .expect("probability clamped to [0, 1]"),
            available: 1.0 - v[def.loss].clamp(0.0, 1.0),
        }
    }

    /// Advances one month; returns the share of capacity available this month.
    fn month(&mut self) -> f64 {
        if self.remaining == 0 && self.starts.sample(&mut self.stream) {
            let months = match &self.def.duration {
                Param::Fixed(m) => *m,
                Param::Dist(d) => d.quantile(rand::RngExt::random(&mut self.stream)),
            };
            self.remaining = months.round().max(1.0) as u32;
        }
        if self.remaining > 0 {
            self.remaining -= 1;
            self.available
        } else {
            1.0
        }
    }
}

/// Share of an asset's capacity available this month: its outage process, if any.
fn available(o: &mut Option<OutageState<'_>>) -> f64 {
    o.as_mut().map_or(1.0, OutageState::month)
}

/// A pipeline project in one run.
#[derive(Debug, Clone, Copy)]
struct Project {
    success: bool,
    online: usize,
    ramp: f64,
}

impl Project {
    /// Share of the project's capacity available in month `t` (M6).
    fn factor(&self, t: usize) -> f64 {
        if !self.success || t < self.online {
            0.0
        } else if self.ramp <= 0.0 {
            1.0
        } else {
            ((t - self.online + 1) as f64 / self.ramp).min(1.0)
        }
    }
}

fn on(p: &Option<Project>, t: usize) -> f64 {
    p.as_ref().map_or(1.0, |p| p.factor(t))
}

/// One asset's random processes (its outages and, for a pipeline project, its success and
/// online month) and its terms for the run, read from the run's values once.
struct Asset<'a, T> {
    outage: Option<OutageState<'a>>,
    project: Option<Project>,
    growth: Growth,
    terms: T,
}

impl<'a, T> Asset<'a, T> {
    /// An asset from its run's outage process, project and growth, and its stage's terms.
    fn new(
        (outage, project, growth): (Option<OutageState<'a>>, Option<Project>, Growth),
        terms: T,
    ) -> Self {
        Asset {
            outage,
            project,
            growth,
            terms,
        }
    }
}

/// A mine's terms for the run.
struct MineTerms {
    /// `capacity_t * utilisation`, t/yr.
    nameplate: f64,
    /// (NdPr share, Dy/Tb share) of its REO.
    shares: [f64; 2],
    ore: Ore,
}

/// A separation plant's terms for the run.
struct SeparationTerms {
    utilisation: f64,
    /// NdPr and Dy/Tb oxide capacity, and their sum, t/yr.
    light: f64,
    heavy: f64,
    total: f64,
    /// The circuit it belongs to (its feed's ore).
    feed: usize,
}

/// A magnet plant's terms for the run: `capacity_t * utilisation`, t/yr.
struct MagnetTerms {
    nameplate: f64,
}

/// The assets of every region, `[region][asset]` per stage, and each region's growth clock.
pub struct Assets<'a> {
    sc: &'a Scenario,
    mines: Vec<Vec<Asset<'a, MineTerms>>>,
    separation: Vec<Vec<Asset<'a, SeparationTerms>>>,
    magnets: Vec<Vec<Asset<'a, MagnetTerms>>>,
    /// `[region][ore]` recovery of each separation circuit, fixed for a run (see `separation`).
    recovery: Vec<[f64; 2]>,
    /// `[region]` whether a technology-export control names the region: only then can its
    /// growth clock advance by less than a month.
    tech_target: Vec<bool>,
}

impl<'a> Assets<'a> {
    /// Draws each asset's processes from its own streams: outages from `<asset key>.outage`,
    /// project success from the project's key; a technology control against the region that
    /// occurs and starts by a project's online month delays it and stretches its ramp.
    pub fn new(sc: &'a Scenario, v: &Values, courses: &[Course], seed: u64, run: u64) -> Self {
        let mut a = Assets::empty(sc);
        a.reset(v, courses, seed, run);
        a
    }

    /// No assets drawn yet (`reset` draws them).
    pub fn empty(sc: &'a Scenario) -> Self {
        Assets {
            sc,
            mines: Vec::new(),
            separation: Vec::new(),
            magnets: Vec::new(),
            recovery: Vec::new(),
            tech_target: Vec::new(),
        }
    }

    /// Draws the assets' processes of run `run` (as `new`), reusing the tables.
    pub fn reset(&mut self, v: &Values, courses: &[Course], seed: u64, run: u64) {
        let sc = self.sc;
        let asset = |ri: usize, o: &'a Option<Outage>, p: &Option<Pipeline>, growth: ParamId| {
            let outage = o
                .as_ref()
                .map(|def| OutageState::new(def, v, streams::stream(seed, run, &def.key)));
            let project = p.as_ref().map(|p| {
                let u: f64 = rand::RngExt::random(&mut streams::stream(seed, run, &p.key));
                let planned = v[p.online_month].round().max(0.0) as usize;
                let (delay, slowdown) =
                    technology(sc, v, courses, ri, |c| c.occurs && c.start <= planned);
                Project {
                    success: u < v[p.success],
                    online: planned + delay.round() as usize,
                    ramp: v[p.ramp_months] / (1.0 - slowdown).max(1e-6),
                }
            });
            (outage, project, Growth::asset(v[growth]))
        };
        let n = sc.regions.len();
        self.mines.resize_with(n, Vec::new);
        self.separation.resize_with(n, Vec::new);
        self.magnets.resize_with(n, Vec::new);
        for (ri, r) in sc.regions.iter().enumerate() {
            set_from(
                &mut self.mines[ri],
                r.mines.iter().map(|m| {
                    let parts = asset(ri, &m.outage, &m.pipeline, m.growth);
                    let terms = MineTerms {
                        nameplate: v[m.capacity] * v[m.utilisation],
                        shares: [v[m.ndpr_share], v[m.dytb_share]],
                        ore: m.ore,
                    };
                    Asset::new(parts, terms)
                }),
            );
            set_from(
                &mut self.separation[ri],
                r.separation.iter().map(|s| {
                    let parts = asset(ri, &s.outage, &s.pipeline, s.growth);
                    let (light, heavy) = (v[s.light_capacity], v[s.heavy_capacity]);
                    let terms = SeparationTerms {
                        utilisation: v[s.utilisation],
                        light,
                        heavy,
                        total: light + heavy,
                        feed: s.feed as usize,
                    };
                    Asset::new(parts, terms)
                }),
            );
            set_from(
                &mut self.magnets[ri],
                r.magnet_plants.iter().map(|m| {
                    let parts = asset(ri, &m.outage, &m.pipeline, m.growth);
                    let terms = MagnetTerms {
                        nameplate: v[m.capacity] * v[m.utilisation],
                    };
                    Asset::new(parts, terms)
                }),
            );
        }
        set_from(
            &mut self.recovery,
            sc.regions.iter().map(|r| circuit_recovery(v, r)),
        );
        set_from(
            &mut self.tech_target,
            (0..n).map(|ri| {
                sc.controls.iter().any(|c| {
                    matches!(c.kind, ControlKind::Technology { .. }) && c.destinations.contains(&ri)
                })
            }),
        );
    }

    /// Sets month `t`'s capacities in `x` (t/month, after outages) and each region's nominal
    /// capacity `[mine, separation, magnet]` in t/yr (before outages), which price-driven
    /// expansion scales with, in `nominal`. Advances the regions' growth clocks.
    #[allow(clippy::too_many_arguments)]
    pub fn capacities(
        &mut self,
        v: &Values,
        courses: &[Course],
        expansion: &Expansion,
        world_shares: [[f64; 2]; 2],
        t: usize,
        x: &mut Exogenous,
        nominal: &mut Vec<[f64; 3]>,
    ) {
        let sc = self.sc;
        let n = sc.regions.len();
        fill(nominal, n, [0.0; 3]);
        x.mine_cap.resize_with(n, Vec::new);
        x.mine_shares.resize_with(n, Vec::new);
        x.mine_ore.resize_with(n, Vec::new);
        fill(&mut x.circuits, n, [Circuit::default(); 2]);
        fill(&mut x.magnet_cap, n, 0.0);
        // Capacity after growth: declines follow the calendar, additions the region's growth
        // clock, which advances by `pace` this month (applying from month t + 1).
        for (ri, region_nominal) in nominal.iter_mut().enumerate() {
            let pace = if self.tech_target[ri] {
                technology_factor(sc, v, courses, ri, t)
            } else {
                // No technology control names the region: the clock runs at full pace.
                1.0
            };
            let (caps, shares, ores) = (
                &mut x.mine_cap[ri],
                &mut x.mine_shares[ri],
                &mut x.mine_ore[ri],
            );
            let mines = &mut self.mines[ri];
            caps.clear();
            let mut mine_nominal = 0.0;
            for a in mines.iter_mut() {
                let avail = available(&mut a.outage);
                let cap = a.terms.nameplate * a.growth.factor / 12.0 * on(&a.project, t);
                a.growth.advance(pace);
                mine_nominal += cap * 12.0;
                caps.push(cap * avail);
            }
            // The mines' shares and ores are the run's: written in its month 0, and later
            // months only drop the price-driven mine appended the month before (if any).
            if t == 0 {
                set_from(shares, mines.iter().map(|a| a.terms.shares));
                set_from(ores, mines.iter().map(|a| a.terms.ore));
            } else {
                shares.truncate(mines.len());
                ores.truncate(mines.len());
            }
            // Price-driven new mines are of the region's main ore (hard rock on a tie) and
            // produce its existing mix of that ore (else the world's).
            let added = expansion.online(ri, 0, t);
            if added > 0.0 {
                let of = |o: Ore| -> f64 {
                    caps.iter()
                        .zip(ores.iter())
                        .filter(|(_, x)| **x == o)
                        .map(|(c, _)| c)
                        .sum()
                };
                let ore = if of(Ore::IonicClay) > of(Ore::HardRock) {
                    Ore::IonicClay
                } else {
                    Ore::HardRock
                };
                let mix = mine_mix(caps, shares, ores, ore).unwrap_or(world_shares[ore as usize]);
                caps.push(added / 12.0);
                shares.push(mix);
                ores.push(ore);
                mine_nominal += added;
            }
            let (circuits, sep_nominal) = self.separation(ri, t, pace, expansion);
            x.circuits[ri] = circuits;
            let mut mag = 0.0;
            let mut mag_nominal = 0.0;
            for a in &mut self.magnets[ri] {
                let avail = available(&mut a.outage);
                let cap = a.terms.nameplate * a.growth.factor / 12.0 * on(&a.project, t);
                a.growth.advance(pace);
                mag_nominal += cap * 12.0;
                mag += cap * avail;
            }
            let added = expansion.online(ri, 2, t);
            mag += added / 12.0;
            mag_nominal += added;
            x.magnet_cap[ri] = mag;
            *region_nominal = [mine_nominal, sep_nominal, mag_nominal];
        }
        x.set_ore_caps();
    }

    /// Region `ri`'s separation circuits this month `[ore]`, and its nominal separation
    /// capacity (light + heavy, t/yr, before outages), given the pace of its growth clock this month.
    fn separation(
        &mut self,
        ri: usize,
        t: usize,
        pace: f64,
        expansion: &Expansion,
    ) -> ([Circuit; 2], f64) {
        let mut c = [Circuit::default(); 2];
        let mut nominal = 0.0;
        for a in &mut self.separation[ri] {
            let s = &a.terms;
            let f = s.utilisation * a.growth.factor / 12.0 * on(&a.project, t);
            a.growth.advance(pace);
            let avail = available(&mut a.outage);
            nominal += s.total * f * 12.0;
            let k = &mut c[s.feed];
            k.light += s.light * f * avail;
            k.heavy += s.heavy * f * avail;
        }
        let added = expansion.online(ri, 1, t);
        if added > 0.0 {
            // New separation goes to the larger circuit (hard rock on a tie) and keeps its
            // light/heavy split (5% heavy where it has none).
            let i = usize::from(c[1].light + c[1].heavy > c[0].light + c[0].heavy);
            let (light, heavy) = (c[i].light, c[i].heavy);
            let hs = if light + heavy > 0.0 && heavy > 0.0 {
                heavy / (light + heavy)
            } else {
                0.05
            };
            c[i].light += added / 12.0 * (1.0 - hs);
            c[i].heavy += added / 12.0 * hs;
            nominal += added;
        }
        let recovery = self.recovery[ri];
        c[0].recovery = recovery[0];
        c[1].recovery = recovery[1];
        (c, nominal)
    }

    /// Capacity (t/yr) new by month `end`, per region `[mine, separation, magnet]`: pipeline
    /// projects online and price-driven additions.
    pub fn new_capacity(&self, expansion: &Expansion, end: usize, out: &mut Vec<[f64; 3]>) {
        /// Capacity (t/yr) of the pipeline projects among `assets` online by `end`.
        fn pipeline<T>(assets: &[Asset<T>], end: usize, cap: impl Fn(&T) -> f64) -> f64 {
            assets
                .iter()
                .filter(|a| a.project.is_some())
                .map(|a| cap(&a.terms) * on(&a.project, end))
                .sum()
        }
        set_from(
            out,
            (0..self.sc.regions.len()).map(|ri| {
                let base = [
                    pipeline(&self.mines[ri], end, |m| m.nameplate),
                    pipeline(&self.separation[ri], end, |s| s.total * s.utilisation),
                    pipeline(&self.magnets[ri], end, |m| m.nameplate),
                ];
                std::array::from_fn(|k| base[k] + expansion.online(ri, k, end))
            }),
        );
    }
}

/// Recovery of region `r`'s separation circuits `[ore]`: the mean of its plants' recoveries
/// weighted by their nameplate light + heavy capacity (every listed plant of that feed, whether
/// online or not; 0.95 without plants). Fixed for a run.
fn circuit_recovery(v: &Values, r: &Region) -> [f64; 2] {
    let (mut rec_w, mut nameplate) = ([0.0; 2], [0.0; 2]);
    for s in &r.separation {
        let i = s.feed as usize;
        rec_w[i] += v[s.recovery] * (v[s.light_capacity] + v[s.heavy_capacity]);
        nameplate[i] += v[s.light_capacity] + v[s.heavy_capacity];
    }
    [0, 1].map(|i| {
        if nameplate[i] > 0.0 {
            rec_w[i] / nameplate[i]
        } else {
            0.95
        }
    })
}
