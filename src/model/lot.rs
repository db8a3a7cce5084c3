//! A quantity of one commodity with its composition and origin tags.
//!
//! Stocks, shipments in transit and flows between stages are `Lot`s, so that composition
//! (for concentrate) and origin content (for oxides and magnets, which end-use denial controls
//! need) follow the material. Every removal takes the same share of quantity and tags (a stock
//! is a well-mixed pool), except `take_untagged`, which end use needs to serve denied sectors
//! from the part of a stock free of the controlled origin.

use crate::model::Commodity;

/// Most regions a scenario may define: origin tags are kept inline, without heap allocation.
pub const MAX_REGIONS: usize = 16;

/// Values per lane of a lot's loops.
const LANE: usize = 4;

/// Room for the values of a lot with the most tags, in whole lanes (with 16 regions, 35
/// values in 9 lanes: the lot is no larger, its 4 bytes of shape took that padding already).
const ROOM: usize = (3 + 2 * MAX_REGIONS).next_multiple_of(LANE);

/// Quantity and tags. `q` is `[total, 0, 0]` for oxides and magnets and the content
/// `[NdPr, Dy/Tb, other REO]` for concentrate. `a` and `b` are per-origin-region tonnes:
/// for oxides `a[o]` = separated in `o`; for magnets `a[o]` = made in `o` and `b[o]` = tonnes
/// made with oxide from `o` (at least the de-minimis share). Concentrate carries no tags.
///
/// The three are packed side by side in one inline array, `v = [q, a, b, unused...]`, so that
/// every removal, addition or copy is a single loop over the `3 + a.len() + b.len()` values
/// the lot holds (entries past them mean nothing: lots written in place may keep stale values
/// there). Those loops run over whole lanes of `LANE` values (the last one padded with unused
/// entries): a fixed-width step the compiler turns into a few vector operations, where a loop
/// over exactly the values held would need a scalar tail. Each value is still computed on its
/// own, by the same operations.
#[derive(Clone, Copy)]
pub struct Lot {
    v: [f64; ROOM],
    /// `a.len()` and `b.len()`, `3 + a.len() + b.len()`, and the lanes those values take,
    /// `len.div_ceil(LANE)` (both kept: every loop over the lot reads its lane count).
    na: u8,
    nb: u8,
    len: u8,
    nl: u8,
}

impl Default for Lot {
    /// An empty lot without tags.
    fn default() -> Lot {
        Lot {
            v: [0.0; ROOM],
            na: 0,
            nb: 0,
            len: 3,
            nl: 1,
        }
    }
}

impl PartialEq for Lot {
    fn eq(&self, other: &Lot) -> bool {
        (self.na, self.nb) == (other.na, other.nb) && self.values() == other.values()
    }
}

impl std::fmt::Debug for Lot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lot")
            .field("q", self.q())
            .field("a", &self.a())
            .field("b", &self.b())
            .finish()
    }
}

impl Lot {
    /// An empty lot with `na` tags `a` and `nb` tags `b`.
    fn shaped(na: usize, nb: usize) -> Lot {
        assert!(
            na <= MAX_REGIONS && nb <= MAX_REGIONS,
            "at most {MAX_REGIONS} regions"
        );
        Lot {
            na: na as u8,
            nb: nb as u8,
            len: (3 + na + nb) as u8,
            nl: (3 + na + nb).div_ceil(LANE) as u8,
            ..Lot::default()
        }
    }

    /// An empty lot of commodity `c` with room for the tags that commodity carries (`n`
    /// regions): none for concentrate, `a` for oxides, `a` and `b` for magnets. Lots of one
    /// commodity always have the same shape, so adding them never drops a tag.
    pub fn empty(c: Commodity, n: usize) -> Lot {
        match c {
            Commodity::Concentrate | Commodity::ClayConcentrate => Lot::shaped(0, 0),
            Commodity::LightOxide | Commodity::HeavyOxide => Lot::shaped(n, 0),
            Commodity::MagnetStandard | Commodity::MagnetHighTemp => Lot::shaped(n, n),
        }
    }

    /// A lot holding `q`, `a` and `b`.
    pub fn from_parts(q: [f64; 3], a: &[f64], b: &[f64]) -> Lot {
        let mut l = Lot::shaped(a.len(), b.len());
        *l.q_mut() = q;
        l.a_mut().copy_from_slice(a);
        l.b_mut().copy_from_slice(b);
        l
    }

    /// `t` tonnes of an oxide or magnet without origin tags.
    pub fn plain(c: Commodity, t: f64, n: usize) -> Lot {
        let mut l = Lot::empty(c, n);
        l.v[0] = t;
        l
    }

    /// Concentrate with content `q` (NdPr, Dy/Tb, other).
    pub fn concentrate(q: [f64; 3]) -> Lot {
        Lot::from_parts(q, &[], &[])
    }

    /// How many values the lot holds: `3 + a.len() + b.len()`.
    fn len(&self) -> usize {
        self.len as usize
    }

    /// Every value the lot holds: `q`, then `a`, then `b`.
    fn values(&self) -> &[f64] {
        &self.v[..self.len()]
    }

    /// The lanes holding the lot's values (and, past them, unused entries).
    fn lanes(&self) -> &[[f64; LANE]] {
        &self.v.as_chunks::<LANE>().0[..self.nl as usize]
    }

    fn lanes_mut(&mut self) -> &mut [[f64; LANE]] {
        &mut self.v.as_chunks_mut::<LANE>().0[..self.nl as usize]
    }

    /// Quantity: `[total, 0, 0]` or concentrate content.
    pub fn q(&self) -> &[f64; 3] {
        self.v.first_chunk().expect("room for q")
    }

    pub fn q_mut(&mut self) -> &mut [f64; 3] {
        self.v.first_chunk_mut().expect("room for q")
    }

    /// Tags `a` (separated in / made in, per origin region).
    pub fn a(&self) -> &[f64] {
        &self.v[3..3 + self.na as usize]
    }

    pub fn a_mut(&mut self) -> &mut [f64] {
        &mut self.v[3..3 + self.na as usize]
    }

    /// Tags `b` (magnets made with oxide from each origin region).
    pub fn b(&self) -> &[f64] {
        &self.v[3 + self.na as usize..self.len()]
    }

    pub fn b_mut(&mut self) -> &mut [f64] {
        let len = self.len();
        &mut self.v[3 + self.na as usize..len]
    }

    pub fn total(&self) -> f64 {
        self.q().iter().sum()
    }

    /// Adds `other`, a lot of the same shape (the same commodity).
    pub fn add(&mut self, other: &Lot) {
        debug_assert_eq!(
            (self.na, self.nb),
            (other.na, other.nb),
            "lots of one shape"
        );
        for (xs, ys) in self.lanes_mut().iter_mut().zip(other.lanes()) {
            for (x, y) in xs.iter_mut().zip(ys) {
                *x += y;
            }
        }
    }

    /// The share of the lot that removing `amount` takes (0 from an empty lot).
    fn share(&self, amount: f64) -> f64 {
        let total = self.total();
        if total > 0.0 {
            (amount / total).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Removes `amount` (at most the total) in proportion to everything the lot holds and
    /// writes it into `out`, which takes this lot's shape (a `Lot` is large to move, so it is
    /// written in place; `out`'s entries beyond the values this lot holds are left as they were).
    pub fn take_to(&mut self, amount: f64, out: &mut Lot) {
        let f = self.share(amount);
        (out.na, out.nb, out.len, out.nl) = (self.na, self.nb, self.len, self.nl);
        for (xs, os) in self.lanes_mut().iter_mut().zip(out.lanes_mut()) {
            for (x, o) in xs.iter_mut().zip(os) {
                *o = *x * f;
                *x -= *o;
            }
        }
    }

    /// Sets this lot to `other` (its shape included), copying only the values `other` holds.
    pub fn copy_from(&mut self, other: &Lot) {
        (self.na, self.nb, self.len, self.nl) = (other.na, other.nb, other.len, other.nl);
        let n = other.lanes().len();
        self.v.as_chunks_mut::<LANE>().0[..n].copy_from_slice(other.lanes());
    }

    /// Removes `amount` as `take` does, without returning it.
    pub fn remove(&mut self, amount: f64) {
        let f = self.share(amount);
        for xs in self.lanes_mut() {
            for x in xs {
                *x -= *x * f;
            }
        }
    }

    /// `self.take_to(self.total(), out)`: everything the lot holds (for a finite positive total, the lot itself, leaving zeros).
    pub fn take_all_to(&mut self, out: &mut Lot) {
        let total = self.total();
        if total > 0.0 && total.is_finite() {
            out.copy_from(self);
            for xs in self.lanes_mut() {
                for x in xs {
                    *x -= *x;
                }
            }
        } else {
            self.take_to(total, out);
        }
    }

    /// Adds `t` tonnes to the untagged part (`q[0]`): what adding `Lot::plain(c, t, n)` does
    /// (adding its zeros changes nothing: a stock's entries start at +0 and never become -0).
    pub fn add_untagged(&mut self, t: f64) {
        self.v[0] += t;
    }

    /// Adds `t` tonnes made or separated in region `r` (tagged `a[r]`): what adding a plain
    /// lot of `t` with `a[r] = t` does.
    pub fn add_own(&mut self, r: usize, t: f64) {
        self.v[0] += t;
        self.a_mut()[r] += t;
    }

    /// Adds concentrate content `q` (NdPr, Dy/Tb, other).
    pub fn add_content(&mut self, q: [f64; 3]) {
        for (x, y) in self.q_mut().iter_mut().zip(q) {
            *x += y;
        }
    }

    /// Multiplies quantity and tags by `f`.
    pub fn scale(&mut self, f: f64) {
        for xs in self.lanes_mut() {
            for x in xs {
                *x *= f;
            }
        }
    }

    /// Removes `amount` from the untagged part only (tags unchanged). For oxides and magnets.
    pub fn take_untagged(&mut self, amount: f64) -> f64 {
        let q = amount.clamp(0.0, self.v[0]);
        self.v[0] -= q;
        q
    }

    /// Tonnes of a magnet lot that a denial against origin `o` refuses: made in `o`, or, when
    /// extraterritorial, also made elsewhere from `o`'s oxide.
    pub fn tagged(&self, o: usize, extraterritorial: bool) -> f64 {
        let made = self.a().get(o).copied().unwrap_or(0.0);
        if extraterritorial {
            made.max(self.b().get(o).copied().unwrap_or(0.0))
        } else {
            made
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_is_proportional_and_conserves() {
        let mut l = Lot::from_parts([6.0, 3.0, 1.0], &[2.0, 0.0], &[]);
        let mut out = Lot::default();
        l.take_to(5.0, &mut out);
        assert_eq!(*out.q(), [3.0, 1.5, 0.5]);
        assert_eq!(out.a(), [1.0, 0.0]);
        assert_eq!(l.total(), 5.0);
        let mut back = l;
        back.add(&out);
        assert_eq!(*back.q(), [6.0, 3.0, 1.0]);
    }

    #[test]
    fn taking_into_a_used_buffer_matches_taking_into_a_fresh_one() {
        let lot = Lot::from_parts([10.0, 0.0, 0.0], &[4.0, 1.0], &[]);
        // A buffer last holding a lot of another shape.
        let mut buf = Lot::from_parts([1.0; 3], &[7.0; 5], &[7.0; 5]);
        let (mut x, mut y) = (lot, lot);
        x.take_to(2.5, &mut buf);
        let mut fresh = Lot::default();
        y.take_to(2.5, &mut fresh);
        assert_eq!(buf, fresh);
        assert_eq!(
            (*buf.q(), buf.a(), buf.b()),
            ([2.5, 0.0, 0.0], &[1.0, 0.25][..], &[][..])
        );
        assert_eq!(x, y);
        x.take_all_to(&mut buf);
        assert_eq!(buf.a(), [3.0, 0.75]);
        assert_eq!(x.total(), 0.0);
    }

    #[test]
    fn untagged_take_leaves_tags() {
        let mut l = Lot::from_parts([10.0, 0.0, 0.0], &[4.0], &[6.0]);
        assert_eq!(l.take_untagged(3.0), 3.0);
        assert_eq!((l.q()[0], l.a()[0], l.b()[0]), (7.0, 4.0, 6.0));
        assert_eq!(l.tagged(0, false), 4.0);
        assert_eq!(l.tagged(0, true), 6.0);
    }
}
