//! Market response: regional prices driven by tightness, demand response (short-run
//! elasticity, substitution and heavy-free designs with a lag and hysteresis), recycling that
//! rises with price, and new capacity decided when prices stay high. docs/model.md, section
//! "Market response", gives the equations; (M1)-(M6) below refer to it.

use crate::model::buf::{fill, fill_shaped, set_from};
use crate::model::param::Values;
use crate::model::record::MonthRecord;
use crate::model::state::Circuit;
use crate::model::{Commodity, N_COMMODITIES, Ore, Scenario, Sector};

/// Price indexes (1 = the scenario's starting price) per region and commodity.
#[derive(Debug, Clone)]
pub struct Prices {
    /// `[region][commodity]` log of the index.
    ln: Vec<[f64; N_COMMODITIES]>,
    /// `[region][commodity]` the index itself, `exp(ln)`, kept with `ln`.
    index: Vec<[f64; N_COMMODITIES]>,
    /// Logs of the run's price floor and ceiling, once known.
    ln_bounds: Option<(f64, f64)>,
    /// `[region][commodity]` tightness in month 0, the reference for later months.
    x0: Vec<[f64; N_COMMODITIES]>,
    /// `ln` after each month so far, oldest first, `[month * n + region]` (for the price trend
    /// of (M1b)).
    past: Vec<[f64; N_COMMODITIES]>,
    /// `[region][commodity]` the last cost floor of the pass-through (M2a), (M2b) and its log:
    /// while the input prices hold (at a bound, say), the floor is the same and its log is not
    /// computed again.
    floor_ln: Vec<[LnOf; N_COMMODITIES]>,
}

/// A value and its natural log, kept to skip `ln` when the value comes back with the same bits.
#[derive(Debug, Clone, Copy)]
struct LnOf {
    x: f64,
    ln: f64,
}

impl LnOf {
    /// ln(1) is exactly 0.
    const ONE: LnOf = LnOf { x: 1.0, ln: 0.0 };

    /// `x.ln()`, from the last value when `x` has its bits.
    #[inline]
    fn ln(&mut self, x: f64) -> f64 {
        if x.to_bits() != self.x.to_bits() {
            *self = LnOf { x, ln: x.ln() };
        }
        self.ln
    }
}

/// Bounds of the speculative stocking multiplier (M1b): buyers keep at least a quarter of
/// their usual cover and want at most four times it (assumption; resilient chains
/// hold 3-6 months of extra inventory).
pub const STOCK_FACTOR_BOUNDS: (f64, f64) = (0.25, 4.0);

impl Prices {
    pub fn new(n: usize) -> Self {
        Prices {
            ln: vec![[0.0; N_COMMODITIES]; n],
            index: vec![[1.0; N_COMMODITIES]; n],
            ln_bounds: None,
            x0: vec![[f64::NAN; N_COMMODITIES]; n],
            past: Vec::new(),
            floor_ln: vec![[LnOf::ONE; N_COMMODITIES]; n],
        }
    }

    /// Back to `new(n)`, reusing the tables.
    pub fn reset(&mut self, n: usize) {
        fill(&mut self.ln, n, [0.0; N_COMMODITIES]);
        fill(&mut self.index, n, [1.0; N_COMMODITIES]);
        self.ln_bounds = None;
        fill(&mut self.x0, n, [f64::NAN; N_COMMODITIES]);
        self.past.clear();
        fill(&mut self.floor_ln, n, [LnOf::ONE; N_COMMODITIES]);
    }

    /// (M1b) Speculative stocking: buyers scale the days of cover they want by
    /// `1 + hoarding * (ln P_t - ln P_{t-L})`, the price trend over the last `L` months (before
    /// month 0 prices were at their start), within `STOCK_FACTOR_BOUNDS`: rising prices make
    /// them buy ahead, falling prices make them run stocks down.
    pub fn stock_factors(&self, hoarding: f64, months: usize, out: &mut Vec<[f64; N_COMMODITIES]>) {
        let (lo, hi) = STOCK_FACTOR_BOUNDS;
        let n = self.ln.len();
        let then = (self.past.len() / n.max(1))
            .checked_sub(months + 1)
            .map(|i| &self.past[i * n..(i + 1) * n]);
        out.resize(n, [0.0; N_COMMODITIES]);
        for (r, (factors, now)) in out.iter_mut().zip(&self.ln).enumerate() {
            let before = then.map_or([0.0; N_COMMODITIES], |p| p[r]);
            for ((f, now), before) in factors.iter_mut().zip(now).zip(before) {
                *f = (1.0 + hoarding * (now - before)).clamp(lo, hi);
            }
        }
    }

    pub fn index(&self, r: usize, c: Commodity) -> f64 {
        self.index[r][c as usize]
    }

    /// Every index, `[region][commodity]`, into `out`.
    pub fn all(&self, out: &mut Vec<[f64; N_COMMODITIES]>) {
        out.clone_from(&self.index);
    }

    /// Magnet price index a sector faces: the grades weighted by its high_temp share.
    pub fn magnet(&self, r: usize, high_temp_share: f64) -> f64 {
        (1.0 - high_temp_share) * self.index(r, Commodity::MagnetStandard)
            + high_temp_share * self.index(r, Commodity::MagnetHighTemp)
    }

    /// (M1)-(M2) Updates every price from the month's tightness
    /// `x = (home use + target stock) / (stock at start + home capacity + imports - exports)`,
    /// relative to month 0: `ln P' = (1 - reversion) ln P + response ln(x / x0)`, within
    /// `[floor, ceiling]`.
    pub fn update(
        &mut self,
        sc: &Scenario,
        v: &Values,
        rec: &MonthRecord,
        recipes: &[[f64; 2]; 2],
        stockpiles: &[Commodity],
        circuits: &[[Circuit; 2]],
    ) {
        let m = &sc.market;
        let (k, theta) = (v[m.price_response], v[m.price_reversion]);
        let speedup = v[m.price_rise_speedup];
        let (lo, hi) = *self
            .ln_bounds
            .get_or_insert_with(|| (v[m.price_floor].ln(), v[m.price_ceiling].ln()));
        let start = rec.stocks_start.as_ref().expect("recorded");
        let (wf, w, rho) = (
            v[m.feed_cost_share],
            v[m.oxide_cost_share],
            v[m.dytb_value_ratio],
        );
        // `[commodity][o * n + d]` shipped this month, each row taken once.
        let n = rec.mine_out.len();
        let flows: [&[f64]; N_COMMODITIES] = std::array::from_fn(|c| &rec.flows[c]);
        for r in 0..self.ln.len() {
            // Bit `c` set: the log price of `c` changed this month. An index is `exp` of its
            // final log price, computed once after the moves and floors below, and only where
            // the log price changed (else the index already is its `exp`).
            let mut changed = 0u32;
            let (home_use, target, capacity) = (&rec.home_use[r], &rec.target[r], &rec.capacity[r]);
            let (held, x0s) = (&start.held[r], &mut self.x0[r]);
            let lns = &mut self.ln[r];
            for ci in 0..N_COMMODITIES {
                let need = home_use[ci] + target[ci];
                // Without stockpiles nothing is released: the sum is a zero, whose sign cannot
                // matter below (`avail` only enters through `max` with a positive `need`).
                let released: f64 = if stockpiles.is_empty() {
                    0.0
                } else {
                    rec.released_into(stockpiles, r, Commodity::ALL[ci])
                };
                // `MonthRecord::shipped_to` and `MonthRecord::exports`, from the row.
                let row = flows[ci];
                let shipped_to: f64 = (0..n).map(|o| row[o * n + r]).sum();
                let exports: f64 = row[r * n..(r + 1) * n].iter().sum();
                let avail = held[ci] + capacity[ci] + shipped_to - exports + released;
                let x = if need > 0.0 {
                    need / avail.max(need * 1e-3)
                } else {
                    0.0
                };
                if x0s[ci].is_nan() {
                    x0s[ci] = x;
                }
                let x0 = x0s[ci];
                let rel = if x > 0.0 && x0 > 0.0 { x / x0 } else { 1.0 };
                // The push `k ln(rel)`, not computed where it is a zero: ln(1) is exactly 0
                // (month 0, and wherever tightness is 0), and with `price_response = 0` (market
                // off) it is `0 * ln(rel)`, a zero (for finite `ln(rel)`) whose sign `adjust`
                // cannot carry.
                let push = if rel == 1.0 || k == 0.0 {
                    0.0
                } else {
                    k * rel.ln()
                };
                let ln = &mut lns[ci];
                let moved = adjust(*ln, push, theta, speedup).clamp(lo, hi);
                if moved.to_bits() != ln.to_bits() {
                    *ln = moved;
                    changed |= 1 << ci;
                }
            }
            // The concentrates take no floor: their indexes now, which (M2b) reads.
            for c in [Commodity::Concentrate, Commodity::ClayConcentrate] {
                self.sync_index(r, c, changed);
            }
            // (M2b) Feed cost pass-through: an oxide costs at least `(1 - w) + w * (the
            // concentrate indexes weighted by the region's capacity for that oxide in the circuit
            // each feeds)`. Applied before (M2a), which passes oxide costs on to magnets.
            if wf > 0.0 {
                let feed = Ore::ALL.map(|o| self.index(r, Commodity::concentrate(o)));
                let k = &circuits[r];
                for (caps, c) in [
                    ([k[0].light, k[1].light], Commodity::LightOxide),
                    ([k[0].heavy, k[1].heavy], Commodity::HeavyOxide),
                ] {
                    let total = caps[0] + caps[1];
                    if total <= 0.0 {
                        continue;
                    }
                    let p = (caps[0] * feed[0] + caps[1] * feed[1]) / total;
                    changed |= self.floor_at(r, c, (1.0 - wf) + wf * p, (lo, hi));
                }
            }
            for c in [Commodity::LightOxide, Commodity::HeavyOxide] {
                self.sync_index(r, c, changed);
            }
            // (M2a) Cost pass-through: a magnet grade costs at least
            // `(1 - w) + w * (its oxides' price index, weighted by their cost in the recipe)`.
            if w > 0.0 {
                let (pl, ph) = (
                    self.index(r, Commodity::LightOxide),
                    self.index(r, Commodity::HeavyOxide),
                );
                for (g, c) in [
                    (0, Commodity::MagnetStandard),
                    (1, Commodity::MagnetHighTemp),
                ] {
                    let (cl, ch) = (recipes[g][0], recipes[g][1] * rho);
                    if cl + ch <= 0.0 {
                        continue;
                    }
                    let cost = (1.0 - w) + w * (cl * pl + ch * ph) / (cl + ch);
                    changed |= self.floor_at(r, c, cost, (lo, hi));
                }
            }
            for c in [Commodity::MagnetStandard, Commodity::MagnetHighTemp] {
                self.sync_index(r, c, changed);
            }
        }
        self.past.extend_from_slice(&self.ln);
    }
}

impl Prices {
    /// Raises region `r`'s log price of `c` to at least `ln(cost)` (within `[lo, hi]`), for the
    /// cost pass-through (M2a), (M2b); the index follows in `sync_index`. Returns bit `c` set
    /// where the log price changed.
    ///
    /// The log price is already within `[lo, hi]` (it left `update`'s move through `clamp`),
    /// so it only changes where `ln(cost)` is above it. As `ln(c) <= c - 1` for every `c`, a
    /// cost with `c - 1` clearly below the log price (by far more than the rounding of `ln`
    /// and of `c - 1`) cannot raise it, and its `ln` is not computed.
    fn floor_at(&mut self, r: usize, c: Commodity, cost: f64, (lo, hi): (f64, f64)) -> u32 {
        let ln = &mut self.ln[r][c as usize];
        let d = cost - 1.0;
        if d + 1e-9 * (1.0 + d.abs()) < *ln {
            return 0;
        }
        let floor = self.floor_ln[r][c as usize].ln(cost);
        let raised = ln.max(floor).clamp(lo, hi);
        if raised.to_bits() == ln.to_bits() {
            return 0;
        }
        *ln = raised;
        1 << c as u32
    }

    /// Region `r`'s index of `c` set to `exp` of its log price where its log price changed this
    /// month (bit `c` of `changed`).
    #[inline]
    fn sync_index(&mut self, r: usize, c: Commodity, changed: u32) {
        if changed & (1 << c as u32) != 0 {
            self.index[r][c as usize] = self.ln[r][c as usize].exp();
        }
    }
}

/// (M2) One month's move of a log price `ln` under the pull `push = response * ln(x / x0)`
/// and reversion `theta`: `(1 - theta) ln + push`, the partial adjustment toward the level
/// `push / theta`. A rise is `speedup` times faster, never past that level (with `theta = 0`,
/// where the level is unbounded, the rise is simply `speedup` times larger).
pub fn adjust(ln: f64, push: f64, theta: f64, speedup: f64) -> f64 {
    let slow = (1.0 - theta) * ln + push;
    if slow <= ln || speedup <= 1.0 {
        return slow;
    }
    let fast = ln + speedup * (slow - ln);
    if theta > 0.0 {
        fast.min(push / theta)
    } else {
        fast
    }
}

/// Substitution and heavy-free design shares per region and sector, which only grow.
#[derive(Debug, Clone)]
pub struct Response {
    /// `[region][local sector]` share of demand substituted away.
    pub substituted: Vec<Vec<f64>>,
    /// `[region][local sector]` share of high_temp demand moved to standard.
    pub heavy_free: Vec<Vec<f64>>,
    /// Per sector, in region-then-sector order: its terms and what it carries between months.
    sectors: Vec<SectorState>,
}

/// One sector's terms for the run and what it carries from month to month.
#[derive(Debug, Clone, Copy)]
struct SectorState {
    terms: SectorTerms,
    /// The magnet price the sector faces at the current prices (`SectorTerms::magnet_price`):
    /// set at the start prices by `reset` and at each month's new prices by `update`, which
    /// `demand_all` reads the next month (prices only move in `Prices::update`, before it).
    price: f64,
    /// The last magnet price and its `P^elasticity`.
    response: PriceResponse,
    /// Months the magnet price (the high_temp price) has been at or above the trigger.
    high_months: f64,
    high_ht_months: f64,
}

/// A sector's terms of (M3), (M4) for the run, read from the run's values once.
#[derive(Debug, Clone, Copy)]
struct SectorTerms {
    high_temp_share: f64,
    elasticity: f64,
    trigger: f64,
    /// `substitution_rate / 12`, the growth of a share in a month.
    step: f64,
    lag: f64,
    substitution_ceiling: f64,
    heavy_free_ceiling: f64,
    heavy_free_trend: f64,
    /// `heavy_free_trend / 12`.
    heavy_free_step: f64,
}

impl SectorTerms {
    fn of(s: &Sector, v: &Values) -> Self {
        let x = &s.response;
        SectorTerms {
            high_temp_share: v[s.high_temp_share],
            elasticity: v[x.elasticity],
            trigger: v[x.substitution_trigger],
            step: v[x.substitution_rate] / 12.0,
            lag: v[x.substitution_lag],
            substitution_ceiling: v[x.substitution_ceiling],
            heavy_free_ceiling: v[x.heavy_free_ceiling],
            heavy_free_trend: v[x.heavy_free_trend],
            heavy_free_step: v[x.heavy_free_trend] / 12.0,
        }
    }

    /// The magnet price index the sector faces (`Prices::magnet`), from the region's
    /// `[standard, high_temp]` indexes.
    #[inline]
    fn magnet_price(&self, [standard, high_temp]: [f64; 2]) -> f64 {
        (1.0 - self.high_temp_share) * standard + self.high_temp_share * high_temp
    }
}

/// A sector's demand response `P^elasticity` at its last magnet price `P`: a price held from
/// one month to the next (at a bound, say) needs no new `pow`.
#[derive(Debug, Clone, Copy)]
struct PriceResponse {
    price: f64,
    response: f64,
}

impl PriceResponse {
    /// At the starting price: pow(1, y) is exactly 1.
    const START: PriceResponse = PriceResponse {
        price: 1.0,
        response: 1.0,
    };

    /// `p^elasticity`, from the last value when `p` has its bits.
    #[inline]
    fn at(&mut self, p: f64, elasticity: f64) -> f64 {
        if p.to_bits() != self.price.to_bits() {
            // pow(1, y) is exactly 1.
            let response = if p == 1.0 { 1.0 } else { p.powf(elasticity) };
            *self = PriceResponse { price: p, response };
        }
        self.response
    }
}

/// Region `r`'s magnet indexes `[standard, high_temp]`.
fn magnet_indexes(prices: &Prices, r: usize) -> [f64; 2] {
    [
        prices.index(r, Commodity::MagnetStandard),
        prices.index(r, Commodity::MagnetHighTemp),
    ]
}

impl Response {
    /// Shares at 0 for the sectors of `sc`; `reset` reads a run's terms.
    pub fn new(sc: &Scenario) -> Self {
        let zeros: Vec<Vec<f64>> = sc
            .regions
            .iter()
            .map(|r| vec![0.0; r.sectors.len()])
            .collect();
        Response {
            substituted: zeros.clone(),
            heavy_free: zeros,
            sectors: Vec::new(),
        }
    }

    /// Shares back at 0 and the terms of the run with values `v`, reusing the tables.
    pub fn reset(&mut self, sc: &Scenario, v: &Values) {
        let lens = || sc.regions.iter().map(|r| r.sectors.len());
        fill_shaped(&mut self.substituted, lens(), 0.0);
        fill_shaped(&mut self.heavy_free, lens(), 0.0);
        set_from(
            &mut self.sectors,
            sc.regions.iter().flat_map(|r| &r.sectors).map(|s| {
                let terms = SectorTerms::of(s, v);
                // Every index starts at 1 (`Prices::new`).
                let price = terms.magnet_price([1.0, 1.0]);
                SectorState {
                    terms,
                    price,
                    response: PriceResponse::START,
                    high_months: 0.0,
                    high_ht_months: 0.0,
                }
            }),
        );
    }

    /// (M3) Every sector's demand this month, `[region][local sector][grade]`, into `out`: base
    /// demand (`base`, `[standard, high_temp]` per sector in region-then-sector order) times
    /// `P^elasticity` times `(1 - substituted)`, with `heavy_free` of the high_temp part moved
    /// to standard. Also the demand given up because of price, `[region][local sector]` into
    /// `forgone`: what each sector would buy at its starting price, after substitution, less
    /// what it buys at this month's price.
    pub fn demand_all(
        &mut self,
        base: &[[f64; 2]],
        prices: &Prices,
        out: &mut Vec<Vec<[f64; 2]>>,
        forgone: &mut Vec<Vec<f64>>,
    ) {
        out.resize_with(self.substituted.len(), Vec::new);
        forgone.resize_with(self.substituted.len(), Vec::new);
        let mut start = 0;
        for (r, (((row, lost), subs), hfs)) in out
            .iter_mut()
            .zip(forgone.iter_mut())
            .zip(&self.substituted)
            .zip(&self.heavy_free)
            .enumerate()
        {
            let sectors = start..start + subs.len();
            start = sectors.end;
            let magnet = magnet_indexes(prices, r);
            row.clear();
            lost.clear();
            for ((state, b), (sub, hf)) in self.sectors[sectors.clone()]
                .iter_mut()
                .zip(&base[sectors])
                .zip(subs.iter().zip(hfs))
            {
                let s = &state.terms;
                let p = state.price;
                debug_assert_eq!(p.to_bits(), s.magnet_price(magnet).to_bits());
                let response = state.response.at(p, s.elasticity);
                let d = (b[0] + b[1]) * response * (1.0 - sub);
                let ht = s.high_temp_share * (1.0 - hf);
                let demand = [d * (1.0 - ht), d * ht];
                row.push(demand);
                lost.push((b[0] + b[1]) * (1.0 - sub) - demand[0] - demand[1]);
            }
        }
    }

    /// (M4) After a month: where the sector's magnet price has stayed at or above its trigger
    /// for more than `lag` months, substitution grows by `rate / 12` toward its ceiling (the
    /// high_temp price drives heavy-free designs the same way). Shares never fall.
    pub fn update(&mut self, prices: &Prices) {
        let mut start = 0;
        for (r, (subs, hfs)) in self
            .substituted
            .iter_mut()
            .zip(&mut self.heavy_free)
            .enumerate()
        {
            let sectors = start..start + subs.len();
            start = sectors.end;
            let magnet = magnet_indexes(prices, r);
            let pht = magnet[1];
            for ((state, sub), hf) in self.sectors[sectors]
                .iter_mut()
                .zip(subs.iter_mut())
                .zip(hfs.iter_mut())
            {
                let SectorState {
                    terms: s,
                    price: p,
                    high_months: months,
                    high_ht_months: ht_months,
                    ..
                } = state;
                let grow = |months: &mut f64, share: &mut f64, price: f64, ceiling: f64| {
                    *months = if price >= s.trigger {
                        *months + 1.0
                    } else {
                        0.0
                    };
                    if *months > s.lag {
                        *share = (*share + s.step).min(ceiling.max(*share));
                    }
                };
                *p = s.magnet_price(magnet);
                grow(months, sub, *p, s.substitution_ceiling);
                grow(ht_months, hf, pht, s.heavy_free_ceiling);
                // Designs that drop Dy/Tb spread whatever the price, within the same ceiling.
                let ceiling = s.heavy_free_ceiling;
                if s.heavy_free_trend > 0.0 && *hf < ceiling {
                    *hf = (*hf + s.heavy_free_step).min(ceiling);
                }
            }
        }
    }
}

/// (M5) Recycling terms of every region for a run, read from the run's values once.
#[derive(Debug, Clone, Default)]
pub struct Recycling {
    /// `[region]` its terms, None for a region without recycling.
    terms: Vec<Option<RecyclingTerms>>,
}

/// A region's recycling terms (`model::Recycling`) at the run's values.
#[derive(Debug, Clone, Copy)]
struct RecyclingTerms {
    scrap_share: f64,
    base_rate: f64,
    price_slope: f64,
    max_rate: f64,
    recovery: f64,
}

impl Recycling {
    /// Reads the terms of the run with values `v`, reusing the table.
    pub fn reset(&mut self, sc: &Scenario, v: &Values) {
        set_from(
            &mut self.terms,
            sc.regions.iter().map(|r| {
                r.recycling.as_ref().map(|rc| RecyclingTerms {
                    scrap_share: v[rc.scrap_share],
                    base_rate: v[rc.base_rate],
                    price_slope: v[rc.price_slope],
                    max_rate: v[rc.max_rate],
                    recovery: v[rc.recovery],
                })
            }),
        );
    }

    /// (M5) Oxide recycled in region `r` this month, `[NdPr, Dy/Tb]` t: scrap (a share of the
    /// region's magnet demand) times the recycled share `min(max, base + slope (P - 1)^+)` times
    /// the scrap's oxide content at the recipes times recovery.
    pub fn recycled(
        &self,
        r: usize,
        demand: &[[f64; 2]],
        recipes: &[[f64; 2]; 2],
        prices: &Prices,
    ) -> [f64; 2] {
        let Some(rc) = &self.terms[r] else {
            return [0.0; 2];
        };
        let total: f64 = demand.iter().map(|d| d[0] + d[1]).sum();
        if total <= 0.0 {
            return [0.0; 2];
        }
        let ht: f64 = demand.iter().map(|d| d[1]).sum::<f64>() / total;
        let p = prices.magnet(r, ht);
        let rate = (rc.base_rate + rc.price_slope * (p - 1.0).max(0.0)).min(rc.max_rate);
        let scrap = total * rc.scrap_share * rate;
        [0, 1].map(|e| scrap * ((1.0 - ht) * recipes[0][e] + ht * recipes[1][e]) * rc.recovery)
    }
}

/// (M6) Capacity decided when a stage's output price stays high, per region and stage
/// (`[mine, separation, magnet]`), arriving after the stage's lead time.
#[derive(Debug, Clone)]
pub struct Expansion {
    high_months: Vec<[f64; 3]>,
    /// `(arrival month, region, stage, t/yr)`.
    pub decided: Vec<(usize, usize, usize, f64)>,
}

impl Expansion {
    pub fn new(n: usize) -> Self {
        Expansion {
            high_months: vec![[0.0; 3]; n],
            decided: Vec::new(),
        }
    }

    /// Back to `new(n)`, reusing the tables.
    pub fn reset(&mut self, n: usize) {
        fill(&mut self.high_months, n, [0.0; 3]);
        self.decided.clear();
    }

    /// Price index of a stage's output in region `r` (the higher of its two outputs).
    pub fn stage_price(prices: &Prices, r: usize, stage: usize) -> f64 {
        match stage {
            0 => prices
                .index(r, Commodity::Concentrate)
                .max(prices.index(r, Commodity::ClayConcentrate)),
            1 => prices
                .index(r, Commodity::LightOxide)
                .max(prices.index(r, Commodity::HeavyOxide)),
            _ => prices
                .index(r, Commodity::MagnetStandard)
                .max(prices.index(r, Commodity::MagnetHighTemp)),
        }
    }

    /// After month `t`: a stage whose price has been at or above the trigger for
    /// `sustain_months` decides `max(min_step, step_share * capacity)` t/yr, arriving after its
    /// lead time plus any technology-control delay (and reduced by its slowdown).
    /// `capacity[r][stage]` is the region's current capacity in t/yr; `tech(r)` gives the
    /// (delay months, slowdown) of technology controls in force against `r`.
    pub fn update(
        &mut self,
        sc: &Scenario,
        v: &Values,
        t: usize,
        prices: &Prices,
        capacity: &[[f64; 3]],
        tech: &dyn Fn(usize) -> (f64, f64),
    ) {
        let Some(e) = &sc.market.expansion else {
            return;
        };
        let (trigger, sustain) = (v[e.trigger_price], v[e.sustain_months].max(1.0));
        for (r, months) in self.high_months.iter_mut().enumerate() {
            let stage_prices: [f64; 3] =
                std::array::from_fn(|stage| Self::stage_price(prices, r, stage));
            for (stage, (h, price)) in months.iter_mut().zip(stage_prices).enumerate() {
                *h = if price >= trigger { *h + 1.0 } else { 0.0 };
                if *h >= sustain {
                    *h = 0.0;
                    let (delay, slowdown) = tech(r);
                    let amount = (v[e.step_share] * capacity[r][stage]).max(v[e.min_step[stage]])
                        * (1.0 - slowdown);
                    let arrive =
                        t + 1 + (v[e.lead_months[stage]] + delay).round().max(0.0) as usize;
                    if amount > 0.0 {
                        self.decided.push((arrive, r, stage, amount));
                    }
                }
            }
        }
    }

    /// Capacity (t/yr) decided for `r`, `stage` that has arrived by month `t`.
    pub fn online(&self, r: usize, stage: usize, t: usize) -> f64 {
        self.decided
            .iter()
            .filter(|d| d.1 == r && d.2 == stage && d.0 <= t)
            .map(|d| d.3)
            .sum()
    }
}
