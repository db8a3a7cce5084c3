//! A log-linear histogram of one time-series cell (one month of one series) across runs.
//!
//! A nonzero value's bucket is the top bits of its IEEE-754 pattern: the exponent and the first
//! `SUB_BITS` mantissa bits, so each power of two is cut into 128 equal buckets and finding a
//! bucket is a shift, with no logarithm. A bucket `[lo, hi)` has `hi / lo <= 1 + 1/128`, so its
//! midpoint is within 1/256 (0.39%) of every value in it.
//!
//! Counts are integers, so adding runs and merging histograms is exact, associative and
//! commutative: any split of the runs (threads, batches, shards) and any merge order give the
//! same histogram, bit for bit. The sum behind the mean is kept the same way, in fixed point
//! (`FIXED_SCALE`).
//!
//! Each sign keeps a window of at most `MAX_BINS` buckets below its largest magnitude (16
//! powers of two, a factor of 65,536); smaller magnitudes of that sign are counted together
//! ("under the window") and reported as the window's lower edge. The window's final extent
//! depends only on the values added, not on their order.

use std::io::{self, Read, Write};

/// Mantissa bits per bucket index: 2^7 = 128 buckets per power of two.
pub const SUB_BITS: u32 = 7;
const SHIFT: u32 = 52 - SUB_BITS;
/// Most buckets per sign (16 powers of two).
pub const MAX_BINS: u32 = 2048;
/// Fixed-point scale of the exact sum: values are summed as integer multiples of 2^-32.
const FIXED_SCALE: f64 = 4_294_967_296.0;

/// Buckets of one sign: counts of keys `base..=top` (none before the first value), and of keys
/// under `floor` (the window's lower limit, `top + 1 - MAX_BINS`).
#[derive(Debug, Clone, Default)]
struct Side {
    base: u32,
    /// Largest key seen: the last bucket of `counts`.
    top: u32,
    /// `[key - base]`, exactly up to `top`, so that a key lands in the window when
    /// `key - base` indexes `counts` (no separate test against `top`); the vector's spare
    /// capacity is the room to grow upward.
    counts: Vec<u32>,
    /// Values under the window.
    under: u64,
}

/// A side's buckets borrowed for a run of additions: its base and counts held in registers
/// rather than read back from the side after every count (a count's write could, for all the
/// compiler knows, change them).
struct Window<'a> {
    base: u32,
    counts: &'a mut [u32],
}

impl Window<'_> {
    /// The count of `key`, or None outside the buckets (`Side::add_outside`).
    #[inline]
    fn slot(&mut self, key: u32) -> Option<&mut u32> {
        // A key under `base` wraps to far beyond `counts` (keys have 19 bits).
        self.counts.get_mut(key.wrapping_sub(self.base) as usize)
    }
}

/// Least extra buckets allocated below a new lowest key.
const SLACK: u32 = 32;

impl Side {
    fn floor(&self) -> u32 {
        (self.top + 1).saturating_sub(MAX_BINS)
    }

    /// The buckets from `base` up, for adding many values in a row (`Window::slot`).
    #[inline]
    fn window(&mut self) -> Window<'_> {
        Window {
            base: self.base,
            counts: &mut self.counts,
        }
    }

    #[inline]
    fn add(&mut self, key: u32, count: u32) {
        // Within the window (base >= floor always): one increment. A key under `base` wraps
        // to far beyond `counts` (keys have 19 bits).
        match self.counts.get_mut(key.wrapping_sub(self.base) as usize) {
            Some(c) => *c += count,
            None => self.add_outside(key, count),
        }
    }

    #[cold]
    fn add_outside(&mut self, key: u32, count: u32) {
        if self.counts.is_empty() {
            self.base = key.saturating_sub(SLACK);
            self.top = key;
            self.counts = vec![0; (key - self.base + 1) as usize];
        } else if key > self.top {
            self.raise(key);
        }
        if key < self.floor() {
            self.under += u64::from(count);
            return;
        }
        if key < self.base {
            self.lower(key);
        }
        self.counts[(key - self.base) as usize] += count;
    }

    /// New largest key: buckets that fall under the new window's floor are counted as under,
    /// and the buckets reach up to the new key.
    fn raise(&mut self, key: u32) {
        self.top = key;
        let floor = self.floor();
        if floor > self.base {
            let cut = ((floor - self.base) as usize).min(self.counts.len());
            self.under += self.counts[..cut]
                .iter()
                .map(|&c| u64::from(c))
                .sum::<u64>();
            self.counts.drain(..cut);
            self.base = floor;
        }
        // Growing by at least half (`Vec`'s own rule), so a window is reallocated a few
        // times at most.
        self.counts.resize((key - self.base + 1) as usize, 0);
    }

    /// Extends the window down to `key` (which is at or above the floor), with room below.
    fn lower(&mut self, key: u32) {
        let slack = SLACK.max(self.counts.len() as u32 / 2);
        let new_base = key.saturating_sub(slack).max(self.floor());
        let extra = (self.base - new_base) as usize;
        // The counts move up by `extra` in one block move (`splice` moved them one by one).
        let len = self.counts.len();
        self.counts.resize(len + extra, 0);
        self.counts.copy_within(..len, extra);
        self.counts[..extra].fill(0);
        self.base = new_base;
    }

    fn merge(&mut self, other: &Side) {
        if other.counts.is_empty() && other.under == 0 {
            return;
        }
        if self.counts.is_empty() && self.under == 0 {
            *self = other.clone();
            return;
        }
        if other.top > self.top {
            self.raise(other.top);
        }
        self.under += other.under;
        for (i, &c) in other.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            self.add(other.base + i as u32, c);
        }
    }

    fn total(&self) -> u64 {
        self.under + self.counts.iter().map(|&c| u64::from(c)).sum::<u64>()
    }
}

/// A walk up a side's buckets to the magnitudes of ranks taken in ascending order: each
/// bucket is passed once for all of them.
struct Walk<'a> {
    side: &'a Side,
    /// The next bucket.
    i: usize,
    /// Magnitudes under the window and in the buckets before `i`.
    before: u64,
}

impl<'a> Walk<'a> {
    fn new(side: &'a Side) -> Self {
        Walk {
            side,
            i: 0,
            before: side.under,
        }
    }

    /// Magnitude representing the `k`-th smallest magnitude (0-based) of the side. A rank
    /// below the last one asked starts the walk again.
    fn magnitude(&mut self, k: u64) -> f64 {
        let side = self.side;
        if k < side.under {
            return edge(side.floor());
        }
        if k < self.before {
            *self = Walk::new(side);
        }
        while let Some(&c) = side.counts.get(self.i) {
            if k < self.before + u64::from(c) {
                let key = side.base + self.i as u32;
                return (edge(key) + edge(key + 1)) / 2.0;
            }
            self.before += u64::from(c);
            self.i += 1;
        }
        edge(side.top + 1)
    }
}

impl Side {
    /// The content without layout: the largest key, the count under the window, and the
    /// counts from the first nonzero bucket (with its key) to the last.
    fn content(&self) -> (u32, u64, u32, &[u32]) {
        let first = self.counts.iter().position(|&c| c > 0);
        let last = self.counts.iter().rposition(|&c| c > 0);
        match (first, last) {
            (Some(f), Some(l)) => (
                self.top,
                self.under,
                self.base + f as u32,
                &self.counts[f..=l],
            ),
            _ => (self.top, self.under, 0, &[]),
        }
    }
}

/// Equal when they hold the same counts, however the buckets were allocated.
impl PartialEq for Side {
    fn eq(&self, other: &Side) -> bool {
        self.content() == other.content()
    }
}

impl Side {
    fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(&self.base.to_le_bytes())?;
        w.write_all(&self.top.to_le_bytes())?;
        w.write_all(&self.under.to_le_bytes())?;
        w.write_all(&(self.counts.len() as u32).to_le_bytes())?;
        for c in &self.counts {
            w.write_all(&c.to_le_bytes())?;
        }
        Ok(())
    }

    fn read_from(r: &mut dyn Read) -> io::Result<Side> {
        let (base, top, under, len) = (u32_(r)?, u32_(r)?, u64_(r)?, u32_(r)?);
        if len > 4 * MAX_BINS || (len > 0 && (top < base || top - base >= MAX_BINS)) {
            return Err(corrupt());
        }
        let mut counts: Vec<u32> = (0..len).map(|_| u32_(r)).collect::<io::Result<_>>()?;
        if len > 0 {
            // Buckets up to `top` exactly (earlier releases kept zeros above it).
            let span = (top - base + 1) as usize;
            if counts
                .get(span..)
                .is_some_and(|above| above.iter().any(|&c| c > 0))
            {
                return Err(corrupt());
            }
            counts.resize(span, 0);
        }
        Ok(Side {
            base,
            top,
            counts,
            under,
        })
    }
}

fn corrupt() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "not a histogram written by reesim",
    )
}

fn u32_(r: &mut dyn Read) -> io::Result<u32> {
    let mut b = [0; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn u64_(r: &mut dyn Read) -> io::Result<u64> {
    let mut b = [0; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Magnitude `m` (not negative) in units of 2^-32, truncated toward zero and clamped to 2^87
/// (every validated quantity is below 2^55). Through i64 (one instruction) when it fits, not
/// negative, so widened as a u64 (no sign to extend). A negative value adds minus its
/// magnitude's: the same as truncating it toward zero.
#[inline]
fn fixed(m: f64) -> i128 {
    const LIMIT: f64 = 154_742_504_910_672_534_362_390_528.0; // 2^87
    debug_assert!(m >= 0.0 || m.is_nan(), "a magnitude");
    let x = m * FIXED_SCALE;
    if x.abs() < 9.0e18 {
        // SAFETY: `x` is finite (NaN fails the test) and truncates to within i64's range, so
        // the conversion is exact: that of `x as i64`, without the saturating checks (five
        // instructions and two registers in the loop of `add_all_flushed`) that `as` adds for
        // values out of range.
        let t: i64 = unsafe { x.to_int_unchecked() };
        i128::from(t as u64)
    } else {
        x.min(LIMIT) as i128
    }
}

/// Lower edge of bucket `key`.
fn edge(key: u32) -> f64 {
    f64::from_bits(u64::from(key) << SHIFT)
}

/// Bucket of the magnitude with bit pattern `bits`.
fn key_of_bits(bits: u64) -> u32 {
    (bits >> SHIFT) as u32
}

/// The least and greatest bit pattern of the positive doubles seen (ordered as the values);
/// `least > greatest` while none is.
#[derive(Debug, Clone, Copy)]
struct Extremes {
    least: u64,
    greatest: u64,
}

impl Default for Extremes {
    fn default() -> Self {
        Extremes {
            least: u64::MAX,
            greatest: 0,
        }
    }
}

impl Extremes {
    #[inline]
    fn add(&mut self, bits: u64) {
        self.least = self.least.min(bits);
        self.greatest = self.greatest.max(bits);
    }

    fn any(&self) -> bool {
        self.least <= self.greatest
    }
}

/// Histogram of one cell: bucket counts by sign, exact count, minimum, maximum and sum.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    n: u64,
    zeros: u64,
    pos: Side,
    neg: Side,
    min: f64,
    max: f64,
    /// Sum in units of 2^-32, saturating.
    sum: i128,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            n: 0,
            zeros: 0,
            pos: Side::default(),
            neg: Side::default(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0,
        }
    }
}

impl Histogram {
    /// Adds one finite value (NaN is ignored).
    pub fn add(&mut self, v: f64) {
        self.add_all([v]);
    }

    /// Adds each of `values` in order (NaN is ignored; a zero of either sign counts as 0.0).
    #[inline]
    pub fn add_all<I>(&mut self, values: I)
    where
        I: IntoIterator<Item = f64>,
        I::IntoIter: ExactSizeIterator,
    {
        // The least positive double: `v >= SMALLEST` is `v > 0.0`.
        const SMALLEST: f64 = f64::from_bits(1);
        self.add_all_flushed(values, SMALLEST);
    }

    /// Adds each of `values` in order, a magnitude below `residue` (floating-point residue of
    /// a zero quantity) counted as 0.0; NaN is ignored.
    ///
    /// Kept in registers across the values: the sum, the zeros, and each sign's least and
    /// greatest magnitude as bit patterns (which order as the magnitudes do, so each is one
    /// integer compare and move); the extremes are set from these at the end, which gives
    /// those of comparing value by value, as no two values in play are equal with different
    /// bits (zeros are all 0.0). The count is the number of values less the NaNs. A zero only
    /// counts (its bucket and sum term are none).
    #[inline(never)]
    pub fn add_all_flushed<I>(&mut self, values: I, residue: f64)
    where
        I: IntoIterator<Item = f64>,
        I::IntoIter: ExactSizeIterator,
    {
        let values = values.into_iter();
        let len = values.len() as u64;
        let (mut nans, mut zeros, mut sum) = (0, 0, self.sum);
        let mut pos_bits = Extremes::default();
        let mut neg_bits = Extremes::default();
        let mut pos = self.pos.window();
        for v in values {
            // Cannot overflow: each term is at most 2^87 and a batch has fewer than 2^40 runs.
            if v >= residue {
                let bits = v.to_bits();
                match pos.slot(key_of_bits(bits)) {
                    Some(c) => *c += 1,
                    None => {
                        self.pos.add_outside(key_of_bits(bits), 1);
                        pos = self.pos.window();
                    }
                }
                pos_bits.add(bits);
                sum = sum.wrapping_add(fixed(v));
            } else if v > -residue {
                zeros += 1;
            } else if v <= -residue {
                let bits = (-v).to_bits();
                self.neg.add(key_of_bits(bits), 1);
                neg_bits.add(bits);
                sum = sum.wrapping_sub(fixed(-v));
            } else {
                nans += 1;
            }
        }
        let lowest = if neg_bits.any() {
            -f64::from_bits(neg_bits.greatest)
        } else if zeros > 0 {
            0.0
        } else {
            f64::from_bits(pos_bits.least)
        };
        let highest = if pos_bits.any() {
            f64::from_bits(pos_bits.greatest)
        } else if zeros > 0 {
            0.0
        } else {
            -f64::from_bits(neg_bits.least)
        };
        if len > nans {
            if lowest < self.min {
                self.min = lowest;
            }
            if highest > self.max {
                self.max = highest;
            }
        }
        self.n += len - nans;
        self.zeros += zeros;
        self.sum = sum;
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        self.n += other.n;
        self.zeros += other.zeros;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum = self.sum.saturating_add(other.sum);
        self.pos.merge(&other.pos);
        self.neg.merge(&other.neg);
    }

    /// Writes the histogram in a little-endian binary layout that `read_from` reads back.
    pub fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(&self.n.to_le_bytes())?;
        w.write_all(&self.zeros.to_le_bytes())?;
        w.write_all(&self.min.to_le_bytes())?;
        w.write_all(&self.max.to_le_bytes())?;
        w.write_all(&self.sum.to_le_bytes())?;
        self.pos.write_to(w)?;
        self.neg.write_to(w)
    }

    pub fn read_from(r: &mut dyn Read) -> io::Result<Histogram> {
        let (n, zeros) = (u64_(r)?, u64_(r)?);
        let (min, max) = (f64::from_bits(u64_(r)?), f64::from_bits(u64_(r)?));
        let mut sum = [0; 16];
        r.read_exact(&mut sum)?;
        let h = Histogram {
            n,
            zeros,
            min,
            max,
            sum: i128::from_le_bytes(sum),
            pos: Side::read_from(r)?,
            neg: Side::read_from(r)?,
        };
        if h.zeros + h.pos.total() + h.neg.total() != h.n {
            return Err(corrupt());
        }
        Ok(h)
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// Mean of the values added (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum as f64 / FIXED_SCALE / self.n as f64
        }
    }

    /// The `q`-quantile: the value of rank `floor(q (n - 1))` (0-based, ascending) as its
    /// bucket's midpoint, clamped to the observed minimum and maximum (0 when empty).
    pub fn quantile(&self, q: f64) -> f64 {
        self.quantiles([q])[0]
    }

    /// The `quantile` of each of `qs`. For `qs` in ascending order each side's buckets are
    /// walked once for all of them.
    pub fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [f64; N] {
        if self.n == 0 {
            return [0.0; N];
        }
        let last = self.n - 1;
        let ranks = qs.map(|q| ((q.clamp(0.0, 1.0) * last as f64).floor() as u64).min(last));
        let negs = self.neg.total();
        let mut out = [0.0; N];
        // Negative values: the higher the rank, the smaller the magnitude, so from the last.
        let mut neg = Walk::new(&self.neg);
        for (v, &k) in out.iter_mut().zip(&ranks).rev() {
            if k < negs {
                *v = -neg.magnitude(negs - 1 - k);
            }
        }
        let mut pos = Walk::new(&self.pos);
        for (v, &k) in out.iter_mut().zip(&ranks) {
            if k >= negs + self.zeros {
                *v = pos.magnitude(k - negs - self.zeros);
            }
        }
        out.map(|v| v.clamp(self.min, self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(values: &[f64], q: f64) -> f64 {
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        s[(q * (s.len() - 1) as f64).floor() as usize]
    }

    #[test]
    fn quantiles_are_within_the_bucket_accuracy() {
        // Values over four decades with both signs and zeros.
        let values: Vec<f64> = (0..5000)
            .map(|i| {
                let x = 10f64.powf((i % 977) as f64 / 244.0) * 0.37;
                match i % 7 {
                    0 => 0.0,
                    1 => -x,
                    _ => x,
                }
            })
            .collect();
        let mut h = Histogram::default();
        values.iter().for_each(|&v| h.add(v));
        for q in [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0] {
            let (got, want) = (h.quantile(q), exact(&values, q));
            assert!(
                (got - want).abs() <= want.abs() / 256.0,
                "q {q}: {got} vs {want}"
            );
        }
        assert_eq!(h.count(), 5000);
        let mean = values.iter().sum::<f64>() / 5000.0;
        assert!((h.mean() - mean).abs() < 1e-9);
    }

    #[test]
    fn merging_in_any_split_and_order_gives_the_same_histogram() {
        let values: Vec<f64> = (0..3000)
            .map(|i| ((i * 7919) % 3001) as f64 * 1.7 + 0.01)
            .collect();
        let mut whole = Histogram::default();
        values.iter().for_each(|&v| whole.add(v));
        let mut parts = [
            Histogram::default(),
            Histogram::default(),
            Histogram::default(),
        ];
        for (i, &v) in values.iter().rev().enumerate() {
            parts[i % 3].add(v);
        }
        let mut merged = Histogram::default();
        for p in parts.iter().rev() {
            merged.merge(p);
        }
        for q in [0.05, 0.5, 0.95] {
            assert_eq!(merged.quantile(q).to_bits(), whole.quantile(q).to_bits());
        }
        assert_eq!(merged.mean().to_bits(), whole.mean().to_bits());
        assert_eq!(merged.count(), whole.count());
    }

    #[test]
    fn values_far_below_the_largest_fall_under_the_window_in_any_order() {
        // 1e-3 is more than 2^16 below 1e3: it is counted under the window.
        let mut up = Histogram::default();
        let mut down = Histogram::default();
        for v in [1e-3, 2e-3, 1e3] {
            up.add(v);
        }
        for v in [1e3, 2e-3, 1e-3] {
            down.add(v);
        }
        assert_eq!(up.pos.under, 2);
        assert_eq!(down.pos.under, 2);
        assert_eq!(
            up.quantile(0.0),
            up.quantile(0.5),
            "one bucket under the window"
        );
        assert_eq!(up.quantile(1.0), 1e3, "clamped to the maximum");
        assert!(((up.quantile(0.5) - 1e3 / 65536.0) / up.quantile(0.5)).abs() < 0.01);
        assert_eq!(up.quantile(0.5).to_bits(), down.quantile(0.5).to_bits());
    }

    #[test]
    fn a_histogram_reads_back_as_written() {
        let mut h = Histogram::default();
        for v in [0.0, -2.5, 3.0, 1e6, 7.25, 0.0] {
            h.add(v);
        }
        let mut bytes = Vec::new();
        h.write_to(&mut bytes).unwrap();
        let back = Histogram::read_from(&mut bytes.as_slice()).unwrap();
        assert_eq!(back, h);
        assert!(Histogram::read_from(&mut &bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn the_sum_truncates_each_value_toward_zero() {
        let values = [
            -2.7, 2.7, -1.5e-10, 1.5e-10, -3e-10, 0.0, -0.0, 1e30, -1e30, 123.456, -7e15, 5e17,
        ];
        let mut h = Histogram::default();
        h.add_all(values);
        let want: i128 = (values.iter())
            .map(|&v| {
                let x = (v * FIXED_SCALE).trunc();
                x.clamp(-(2f64.powi(87)), 2f64.powi(87)) as i128
            })
            .sum();
        assert_eq!(h.sum, want);
        assert_eq!((h.count(), h.zeros), (12, 2));
    }

    #[test]
    fn buckets_above_the_largest_key_read_back_as_none() {
        // Earlier releases kept empty buckets above the largest key.
        let mut h = Histogram::default();
        for v in [3.0, 5.0, 5.5, 0.25] {
            h.add(v);
        }
        let mut padded = h.clone();
        padded.pos.counts.extend([0; 40]);
        let mut bytes = Vec::new();
        padded.write_to(&mut bytes).unwrap();
        let mut back = Histogram::read_from(&mut bytes.as_slice()).unwrap();
        assert_eq!(back.pos.counts, h.pos.counts);
        back.add(5.7);
        h.add(5.7);
        assert_eq!(back, h);
        padded.pos.counts.push(1);
        let mut bytes = Vec::new();
        padded.write_to(&mut bytes).unwrap();
        assert!(Histogram::read_from(&mut bytes.as_slice()).is_err());
    }

    #[test]
    fn a_constant_cell_is_exact() {
        let mut h = Histogram::default();
        (0..10).for_each(|_| h.add(123.456));
        assert_eq!(h.quantile(0.05), 123.456);
        assert_eq!(h.quantile(0.95), 123.456);
        assert_eq!(Histogram::default().quantile(0.5), 0.0);
    }
}
