//! The state of the chain during a run: per-run constants, what each month brings from outside
//! (capacities, demand), and the commercial stocks and goods in transit.

use crate::model::allocate::ServingOrder;
use crate::model::buf::{Slots, fill, set_from};
use crate::model::lot::Lot;
use crate::model::{Commodity, N_COMMODITIES, Ore};

/// Average days per month (365.25 / 12), converting "days of cover" to months.
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// Share of a magnet's oxide (by mass) from an origin at which the magnet counts as containing
/// that origin's material (MOFCOM, October 2025: the rule reached items with >= 0.1% Chinese
/// rare-earth value; mass stands in for value here).
pub const DE_MINIMIS: f64 = 0.001;
pub(crate) const NDPR: usize = 0;
pub(crate) const DYTB: usize = 1;
pub(crate) const OTHER: usize = 2;

/// Per-run constants of the chain, already sampled.
#[derive(Debug, Clone, Default)]
pub struct ChainParams {
    /// `[grade][NDPR | DYTB]` t oxide per t magnet.
    pub recipes: [[f64; 2]; 2],
    /// `[region][commodity]` target commercial inventory, days of use.
    pub inventory_days: Vec<[f64; N_COMMODITIES]>,
    /// Months over which an inventory gap is closed.
    pub rebuild_months: f64,
    /// `[region]` local sectors in the order end use serves them.
    pub priority_order: Vec<ServingOrder>,
    /// `[region][local sector]` index into `Scenario::sectors`.
    pub sector_ids: Vec<Vec<usize>>,
    /// `[ore]` NdPr and Dy/Tb share of the world's mine capacity of that ore, used to plan feed
    /// in a region whose concentrate pool and mines of the ore are empty.
    pub world_shares: [[f64; 2]; 2],
    /// `[o * n + d]` shipping time from `o` to `d`, months.
    pub transit: Vec<f64>,
    /// Months from a magnet leaving the commercial stock to its end product.
    pub component_lag: f64,
}

/// What this month brings from outside the chain (capacities after growth and outages, and
/// end-use demand), in t per month.
#[derive(Debug, Clone, Default)]
pub struct Exogenous {
    /// `[region][mine]` t REO.
    pub mine_cap: Vec<Vec<f64>>,
    /// `[region][mine]` (NdPr share, Dy/Tb share) of the mine's REO.
    pub mine_shares: Vec<Vec<[f64; 2]>>,
    /// `[region][mine]` ore type.
    pub mine_ore: Vec<Vec<Ore>>,
    /// `[region][ore]` the region's mine capacity of each ore (what `ore_cap` returns, read
    /// several times a month): set by `set_ore_caps` whenever `mine_cap` changes.
    pub ore_caps: Vec<[f64; 2]>,
    /// `[region][ore]` separation circuits fed with that ore's concentrate.
    pub circuits: Vec<[Circuit; 2]>,
    /// `[region]` t magnet.
    pub magnet_cap: Vec<f64>,
    /// `[region][local sector][grade]` t magnet.
    pub demand: Vec<Vec<[f64; 2]>>,
    /// `[region][NDPR | DYTB]` oxide recovered from recycled magnets this month.
    pub recycled: Vec<[f64; 2]>,
    /// `[region][commodity]` multiplier on the days of cover buyers want (speculative stocking,
    /// market (M1b)); empty: 1 everywhere.
    pub stock_factor: Vec<[f64; N_COMMODITIES]>,
}

impl Exogenous {
    /// Region `r`'s NdPr oxide capacity this month, all circuits.
    pub fn light_cap(&self, r: usize) -> f64 {
        self.circuits[r][0].light + self.circuits[r][1].light
    }

    /// Region `r`'s Dy/Tb oxide capacity this month, all circuits.
    pub fn heavy_cap(&self, r: usize) -> f64 {
        self.circuits[r][0].heavy + self.circuits[r][1].heavy
    }

    /// Region `r`'s mine capacity of ore `ore` this month, t REO.
    pub fn ore_cap(&self, r: usize, ore: Ore) -> f64 {
        let cap = self.ore_caps[r][ore as usize];
        debug_assert_eq!(
            cap.to_bits(),
            self.sum_ore_cap(r, ore).to_bits(),
            "set_ore_caps after mine_cap changed"
        );
        cap
    }

    /// Sets `ore_caps` from `mine_cap` (and `mine_ore`): one pass over each region's mines,
    /// each ore's capacities added in mine order from -0.0, as `sum` adds them (an empty sum is
    /// -0.0), so each entry is what `sum_ore_cap` returns.
    pub fn set_ore_caps(&mut self) {
        set_from(
            &mut self.ore_caps,
            self.mine_cap
                .iter()
                .zip(&self.mine_ore)
                .map(|(caps, ores)| {
                    let mut sums = [-0.0; 2];
                    for (c, o) in caps.iter().zip(ores) {
                        sums[*o as usize] += c;
                    }
                    sums
                }),
        );
    }

    /// The sum of region `r`'s mine capacities of ore `ore`.
    fn sum_ore_cap(&self, r: usize, ore: Ore) -> f64 {
        self.mine_cap[r]
            .iter()
            .zip(&self.mine_ore[r])
            .filter(|(_, o)| **o == ore)
            .map(|(c, _)| c)
            .sum()
    }
}

/// Capacity-weighted (NdPr, Dy/Tb) mix of the mines of ore `ore` among `caps` (t/month),
/// `shares` and `ores`, or None without such capacity.
pub fn mine_mix(caps: &[f64], shares: &[[f64; 2]], ores: &[Ore], ore: Ore) -> Option<[f64; 2]> {
    let of = || {
        caps.iter()
            .zip(shares)
            .zip(ores)
            .filter(|(_, o)| **o == ore)
    };
    let total: f64 = of().map(|((c, _), _)| c).sum();
    (total > 0.0).then(|| {
        let mut m = [0.0; 2];
        for ((c, s), _) in of() {
            m[0] += c * s[0] / total;
            m[1] += c * s[1] / total;
        }
        m
    })
}

/// A region's separation plants for one ore type in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Circuit {
    /// t NdPr oxide per month.
    pub light: f64,
    /// t Dy/Tb oxide per month.
    pub heavy: f64,
    /// Recovery of contained NdPr and Dy/Tb into separated oxide.
    pub recovery: f64,
}

/// A shipment in transit (licensing delays).
#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    /// Month it arrives.
    pub due: usize,
    pub commodity: Commodity,
    pub origin: usize,
    pub destination: usize,
    pub lot: Lot,
}

/// The shipments of one commodity in transit, in the order shipped (slots reused: a `Lot` is
/// large to move).
#[derive(Debug, Clone, Default)]
pub struct InTransit(Slots<Shipment>);

impl InTransit {
    /// The shipments in transit, in the order shipped.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Shipment> + Clone {
        self.0.live()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Adds a shipment of `lot` (copied into a free slot) after the others.
    pub fn push(
        &mut self,
        due: usize,
        commodity: Commodity,
        origin: usize,
        destination: usize,
        lot: &Lot,
    ) {
        self.staged(due, commodity, origin, destination)
            .copy_from(lot);
        self.keep_staged();
    }

    /// The lot of a shipment to be written in place, not yet in transit: `keep_staged` puts it
    /// in transit after the others (as `push` would).
    #[inline]
    pub fn staged(
        &mut self,
        due: usize,
        commodity: Commodity,
        origin: usize,
        destination: usize,
    ) -> &mut Lot {
        let s = self.0.staged(|| Shipment {
            due,
            commodity,
            origin,
            destination,
            lot: Lot::default(),
        });
        (s.due, s.commodity, s.origin, s.destination) = (due, commodity, origin, destination);
        &mut s.lot
    }

    /// Puts the shipment `staged` wrote in transit.
    #[inline]
    pub fn keep_staged(&mut self) {
        self.0.keep_staged();
    }

    /// Takes out the shipments due by `month`, passing each to `arrive` in the order shipped;
    /// the others stay in transit in their order.
    #[inline]
    pub fn arrive(&mut self, month: usize, mut arrive: impl FnMut(&Shipment)) {
        self.0.retain(|s| {
            let due = s.due <= month;
            if due {
                arrive(s);
            }
            !due
        });
    }
}

impl PartialEq for InTransit {
    fn eq(&self, other: &InTransit) -> bool {
        self.iter().eq(other.iter())
    }
}

/// Commercial stocks and goods in transit.
#[derive(Debug, Clone, PartialEq)]
pub struct Stocks {
    /// `[region][commodity]` (a fixed row per region: one bounds check, no second indirection).
    pub lots: Vec<[Lot; N_COMMODITIES]>,
    /// `[commodity]` shipments in transit, in the order shipped.
    pub transit: [InTransit; N_COMMODITIES],
    /// `[region][NDPR | DYTB]` last month's oxide imports, and whether they were rationed
    /// (less was shipped toward the region than it ordered abroad); empty before the first
    /// month.
    pub oxide_imports: Vec<[(f64, bool); 2]>,
    /// Magnet shortfalls at component makers of the last months, for the component lag: a
    /// ring of tables `[slot][sector][grade]`, one slot per month kept, each table the run's
    /// local sectors region after region (`allocate::components` sets the shape).
    pub shortfalls: Vec<[f64; 2]>,
    /// Months recorded in `shortfalls` (at most its slots).
    pub shortfall_months: usize,
    /// The slot of the latest month's table.
    pub shortfall_latest: usize,
}

impl Stocks {
    pub fn zero(n: usize) -> Self {
        Stocks {
            lots: (0..n)
                .map(|_| Commodity::ALL.map(|c| Lot::empty(c, n)))
                .collect(),
            transit: Default::default(),
            oxide_imports: Vec::new(),
            shortfalls: Vec::new(),
            shortfall_months: 0,
            shortfall_latest: 0,
        }
    }

    /// Back to `zero(n)`, reusing the tables.
    pub fn reset(&mut self, n: usize) {
        fill(&mut self.lots, n, Commodity::ALL.map(|c| Lot::empty(c, n)));
        self.transit.iter_mut().for_each(InTransit::clear);
        self.oxide_imports.clear();
        self.shortfall_months = 0;
    }

    /// Stock of commodity `c` in region `r` (concentrate as total REO).
    pub fn get(&self, r: usize, c: Commodity) -> f64 {
        self.lots[r][c as usize].total()
    }
}

/// Tonnes held, by region and commodity, and in transit: what records keep of `Stocks` (the
/// lots themselves, with their tags, stay in the run).
#[derive(Debug, Clone, PartialEq)]
pub struct StockTotals {
    /// `[region][commodity]` commercial stock.
    pub held: Vec<[f64; N_COMMODITIES]>,
    /// `[region][commodity]` in transit to the region.
    pub inbound: Vec<[f64; N_COMMODITIES]>,
}

impl StockTotals {
    pub fn of(s: &Stocks) -> Self {
        let n = s.lots.len();
        let held = (0..n)
            .map(|r| Commodity::ALL.map(|c| s.get(r, c)))
            .collect();
        let mut inbound = vec![[0.0; N_COMMODITIES]; n];
        for sh in s.transit.iter().flat_map(InTransit::iter) {
            inbound[sh.destination][sh.commodity as usize] += sh.lot.total();
        }
        StockTotals { held, inbound }
    }

    /// Sets `slot` to the totals of `s`, reusing its tables.
    pub fn record(slot: &mut Option<StockTotals>, s: &Stocks) {
        let Some(t) = slot else {
            *slot = Some(StockTotals::of(s));
            return;
        };
        let n = s.lots.len();
        t.held.resize(n, [0.0; N_COMMODITIES]);
        for (held, lots) in t.held.iter_mut().zip(&s.lots) {
            for (h, lot) in held.iter_mut().zip(lots) {
                *h = lot.total();
            }
        }
        fill(&mut t.inbound, n, [0.0; N_COMMODITIES]);
        // Commodity by commodity, shipments in order: each entry sums its shipments in the
        // order `of` does.
        for (c, shipments) in s.transit.iter().enumerate() {
            for sh in shipments.iter() {
                t.inbound[sh.destination][c] += sh.lot.total();
            }
        }
    }

    /// Whether these are, bit for bit, the totals `record` sets from `s` (allocating nothing,
    /// so that debug checks leave allocation counts alone).
    pub fn match_bits(&self, s: &Stocks) -> bool {
        let n = s.lots.len();
        let same = |x: f64, y: f64| x.to_bits() == y.to_bits();
        let held = self
            .held
            .iter()
            .zip(&s.lots)
            .all(|(held, lots)| held.iter().zip(lots).all(|(&h, lot)| same(h, lot.total())));
        let inbound = || {
            (0..n).all(|d| {
                (0..N_COMMODITIES).all(|c| {
                    let sum = s.transit[c]
                        .iter()
                        .filter(|sh| sh.destination == d)
                        .fold(0.0, |sum, sh| sum + sh.lot.total());
                    same(self.inbound[d][c], sum)
                })
            })
        };
        (self.held.len(), self.inbound.len()) == (n, n) && held && inbound()
    }

    /// Sets this to `other`, reusing its tables.
    pub fn copy_from(&mut self, other: &StockTotals) {
        self.held.clone_from(&other.held);
        self.inbound.clone_from(&other.inbound);
    }

    /// Stock of commodity `c` in region `r`.
    pub fn get(&self, r: usize, c: Commodity) -> f64 {
        self.held[r][c as usize]
    }

    /// Tonnes of `c` in transit to region `d`.
    pub fn inbound(&self, c: Commodity, d: usize) -> f64 {
        self.inbound[d][c as usize]
    }

    /// Tonnes of `c` in transit to any region.
    pub fn in_transit(&self, c: Commodity) -> f64 {
        self.inbound.iter().map(|x| x[c as usize]).sum()
    }
}
