//! What each month brings from outside the chain: end-use demand before the market's response,
//! and capacities after growth, outages, pipeline projects, price-driven additions and
//! technology controls (docs/model.md, "Exogenous inputs of month t").

use rand_distr::{Bernoulli, Distribution};

use crate::market::Expansion;
use crate::model::buf::{fill, set_from};
use crate::model::limits::Course;
use crate::model::param::{Param, Values};
use crate::model::state::{Circuit, Exogenous, mine_mix};
use crate::model::{Ore, Outage, Pipeline, Scenario};
use crate::policy::controls::{technology, technology_factor};
use crate::sim::streams::{self, Stream};

/// Growth over `month` months at `rate` per year.
pub fn growth_factor(rate: f64, month: usize) -> f64 {
    (1.0 + rate).powf(month as f64 / 12.0)
}

/// End-use demand of month `t` before any market response, `[region][local sector][grade]`,
/// t/month.
pub fn demand(sc: &Scenario, v: &Values, t: usize) -> Vec<Vec<[f64; 2]>> {
    let mut d = Vec::new();
    demand_into(sc, v, t, &mut d);
    d
}

/// `demand`, into `out` (its tables reused).
pub fn demand_into(sc: &Scenario, v: &Values, t: usize, out: &mut Vec<Vec<[f64; 2]>>) {
    out.resize_with(sc.regions.len(), Vec::new);
    for (r, row) in sc.regions.iter().zip(out.iter_mut()) {
        set_from(
            row,
            r.sectors.iter().map(|s| {
                let d = v[s.demand] / 12.0 * growth_factor(v[s.growth], t);
                let ht = v[s.high_temp_share];
                [d * (1.0 - ht), d * ht]
            }),
        );
    }
}

/// Outage process of one asset.
struct OutageState<'a> {
    def: &'a Outage,
    stream: Stream,
    remaining: u32,
}

impl OutageState<'_> {
    /// Advances one month; returns the share of capacity available this month.
    fn month(&mut self, v: &Values) -> f64 {
        if self.remaining == 0 {
            let p = v[self.def.probability].clamp(0.0, 1.0);
            let starts = Bernoulli::new(p)
                .expect("probability clamped to [0, 1]")
                .sample(&mut self.stream);
            if starts {
                let months = match &self.def.duration {
                    Param::Fixed(m) => *m,
                    Param::Dist(d) => d.quantile(rand::RngExt::random(&mut self.stream)),
                };
                self.remaining = months.round().max(1.0) as u32;
            }
        }
        if self.remaining > 0 {
            self.remaining -= 1;
            1.0 - v[self.def.loss].clamp(0.0, 1.0)
        } else {
            1.0
        }
    }
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

/// One asset's random processes: its outages and, for a pipeline project, its success and
/// online month.
struct Asset<'a> {
    outage: Option<OutageState<'a>>,
    project: Option<Project>,
}

/// The assets of every region, `[region][asset]` per stage, and each region's growth clock.
pub struct Assets<'a> {
    sc: &'a Scenario,
    mines: Vec<Vec<Asset<'a>>>,
    separation: Vec<Vec<Asset<'a>>>,
    magnets: Vec<Vec<Asset<'a>>>,
    /// Months of capacity growth each region has had; technology-export controls slow it.
    growth_months: Vec<f64>,
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
            growth_months: Vec::new(),
        }
    }

    /// Draws the assets' processes of run `run` (as `new`), reusing the tables.
    pub fn reset(&mut self, v: &Values, courses: &[Course], seed: u64, run: u64) {
        let sc = self.sc;
        let asset = |ri: usize, o: &'a Option<Outage>, p: &Option<Pipeline>| Asset {
            outage: o.as_ref().map(|def| OutageState {
                def,
                stream: streams::stream(seed, run, &def.key),
                remaining: 0,
            }),
            project: p.as_ref().map(|p| {
                let u: f64 = rand::RngExt::random(&mut streams::stream(seed, run, &p.key));
                let planned = v[p.online_month].round().max(0.0) as usize;
                let (delay, slowdown) =
                    technology(sc, v, courses, ri, |c| c.occurs && c.start <= planned);
                Project {
                    success: u < v[p.success],
                    online: planned + delay.round() as usize,
                    ramp: v[p.ramp_months] / (1.0 - slowdown).max(1e-6),
                }
            }),
        };
        let n = sc.regions.len();
        for t in [&mut self.mines, &mut self.separation, &mut self.magnets] {
            t.resize_with(n, Vec::new);
        }
        for (ri, r) in sc.regions.iter().enumerate() {
            set_from(
                &mut self.mines[ri],
                r.mines.iter().map(|m| asset(ri, &m.outage, &m.pipeline)),
            );
            set_from(
                &mut self.separation[ri],
                r.separation
                    .iter()
                    .map(|m| asset(ri, &m.outage, &m.pipeline)),
            );
            set_from(
                &mut self.magnets[ri],
                r.magnet_plants
                    .iter()
                    .map(|m| asset(ri, &m.outage, &m.pipeline)),
            );
        }
        fill(&mut self.growth_months, n, 0.0);
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
        for (ri, r) in sc.regions.iter().enumerate() {
            let gm = self.growth_months[ri];
            // Capacity after growth: declines follow the calendar, additions the region's
            // growth clock.
            let grown = |rate: f64| {
                // pow(1, y) is exactly 1: most plants have no growth of their own.
                if rate == 0.0 {
                    1.0
                } else if rate > 0.0 {
                    (1.0 + rate).powf(gm / 12.0)
                } else {
                    growth_factor(rate, t)
                }
            };
            let (caps, shares, ores) = (
                &mut x.mine_cap[ri],
                &mut x.mine_shares[ri],
                &mut x.mine_ore[ri],
            );
            caps.clear();
            shares.clear();
            ores.clear();
            for (m, a) in r.mines.iter().zip(&mut self.mines[ri]) {
                let avail = a.outage.as_mut().map_or(1.0, |o| o.month(v));
                let cap = v[m.capacity] * v[m.utilisation] * grown(v[m.growth]) / 12.0
                    * on(&a.project, t);
                nominal[ri][0] += cap * 12.0;
                caps.push(cap * avail);
                shares.push([v[m.ndpr_share], v[m.dytb_share]]);
                ores.push(m.ore);
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
                nominal[ri][0] += added;
            }
            let (circuits, sep_nominal) = self.separation(v, ri, t, &grown, expansion);
            nominal[ri][1] = sep_nominal;
            x.circuits[ri] = circuits;
            let mut mag = 0.0;
            for (m, a) in r.magnet_plants.iter().zip(&mut self.magnets[ri]) {
                let avail = a.outage.as_mut().map_or(1.0, |o| o.month(v));
                let cap = v[m.capacity] * v[m.utilisation] * grown(v[m.growth]) / 12.0
                    * on(&a.project, t);
                nominal[ri][2] += cap * 12.0;
                mag += cap * avail;
            }
            let added = expansion.online(ri, 2, t);
            mag += added / 12.0;
            nominal[ri][2] += added;
            x.magnet_cap[ri] = mag;
            self.growth_months[ri] += technology_factor(sc, v, courses, ri, t);
        }
    }

    /// Region `ri`'s separation circuits this month `[ore]`, and its nominal separation
    /// capacity (light + heavy, t/yr, before outages). A circuit's recovery is the mean of its
    /// plants' recoveries weighted by their nameplate light + heavy capacity (every listed
    /// plant of that feed, whether online or not; 0.95 without plants).
    fn separation(
        &mut self,
        v: &Values,
        ri: usize,
        t: usize,
        grown: &dyn Fn(f64) -> f64,
        expansion: &Expansion,
    ) -> ([Circuit; 2], f64) {
        let r = &self.sc.regions[ri];
        let mut c = [Circuit::default(); 2];
        let (mut rec_w, mut nameplate, mut nominal) = ([0.0; 2], [0.0; 2], 0.0);
        for (s, a) in r.separation.iter().zip(&mut self.separation[ri]) {
            let i = s.feed as usize;
            let f = v[s.utilisation] * grown(v[s.growth]) / 12.0 * on(&a.project, t);
            let avail = a.outage.as_mut().map_or(1.0, |o| o.month(v));
            nominal += (v[s.light_capacity] + v[s.heavy_capacity]) * f * 12.0;
            c[i].light += v[s.light_capacity] * f * avail;
            c[i].heavy += v[s.heavy_capacity] * f * avail;
            rec_w[i] += v[s.recovery] * (v[s.light_capacity] + v[s.heavy_capacity]);
            nameplate[i] += v[s.light_capacity] + v[s.heavy_capacity];
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
        for i in 0..2 {
            c[i].recovery = if nameplate[i] > 0.0 {
                rec_w[i] / nameplate[i]
            } else {
                0.95
            };
        }
        (c, nominal)
    }

    /// Capacity (t/yr) new by month `end`, per region `[mine, separation, magnet]`: pipeline
    /// projects online and price-driven additions.
    pub fn new_capacity(
        &self,
        v: &Values,
        expansion: &Expansion,
        end: usize,
        out: &mut Vec<[f64; 3]>,
    ) {
        set_from(
            out,
            self.sc.regions.iter().enumerate().map(|(ri, r)| {
                let pipeline = |assets: &[Asset], cap: &dyn Fn(usize) -> f64| -> f64 {
                    assets
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.project.is_some())
                        .map(|(i, a)| cap(i) * on(&a.project, end))
                        .sum()
                };
                let mine = pipeline(&self.mines[ri], &|i| {
                    v[r.mines[i].capacity] * v[r.mines[i].utilisation]
                });
                let sep = pipeline(&self.separation[ri], &|i| {
                    let s = &r.separation[i];
                    (v[s.light_capacity] + v[s.heavy_capacity]) * v[s.utilisation]
                });
                let mag = pipeline(&self.magnets[ri], &|i| {
                    v[r.magnet_plants[i].capacity] * v[r.magnet_plants[i].utilisation]
                });
                let base = [mine, sep, mag];
                std::array::from_fn(|k| base[k] + expansion.online(ri, k, end))
            }),
        );
    }
}
