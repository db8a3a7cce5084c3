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

/// Per-origin tonnes, one entry per region (or none), stored inline. Only the first `n`
/// entries mean anything (lots written in place may keep stale values beyond them).
#[derive(Clone, Copy, Default)]
pub struct Tags {
    v: [f64; MAX_REGIONS],
    n: u8,
}

impl Tags {
    /// `n` zeros (`n <= MAX_REGIONS`).
    pub fn zeros(n: usize) -> Tags {
        assert!(n <= MAX_REGIONS, "at most {MAX_REGIONS} regions");
        Tags {
            v: [0.0; MAX_REGIONS],
            n: n as u8,
        }
    }

    /// Tags holding `values` (at most `MAX_REGIONS`).
    pub fn from_slice(values: &[f64]) -> Tags {
        let mut t = Tags::zeros(values.len());
        t.v[..values.len()].copy_from_slice(values);
        t
    }
}

impl PartialEq for Tags {
    fn eq(&self, other: &Tags) -> bool {
        **self == **other
    }
}

impl std::ops::Deref for Tags {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.v[..self.n as usize]
    }
}

impl std::ops::DerefMut for Tags {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.v[..self.n as usize]
    }
}

impl std::fmt::Debug for Tags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Quantity and tags. `q` is `[total, 0, 0]` for oxides and magnets and the content
/// `[NdPr, Dy/Tb, other REO]` for concentrate. `a` and `b` are per-origin-region tonnes:
/// for oxides `a[o]` = separated in `o`; for magnets `a[o]` = made in `o` and `b[o]` = tonnes
/// made with oxide from `o` (at least the de-minimis share). Concentrate carries no tags.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Lot {
    pub q: [f64; 3],
    pub a: Tags,
    pub b: Tags,
}

impl Lot {
    /// An empty lot of commodity `c` with room for the tags that commodity carries (`n`
    /// regions): none for concentrate, `a` for oxides, `a` and `b` for magnets. Lots of one
    /// commodity always have the same shape, so adding them never drops a tag.
    pub fn empty(c: Commodity, n: usize) -> Lot {
        let (a, b) = match c {
            Commodity::Concentrate | Commodity::ClayConcentrate => (0, 0),
            Commodity::LightOxide | Commodity::HeavyOxide => (n, 0),
            Commodity::MagnetStandard | Commodity::MagnetHighTemp => (n, n),
        };
        Lot {
            q: [0.0; 3],
            a: Tags::zeros(a),
            b: Tags::zeros(b),
        }
    }

    /// `t` tonnes of an oxide or magnet without origin tags.
    pub fn plain(c: Commodity, t: f64, n: usize) -> Lot {
        let mut l = Lot::empty(c, n);
        l.q[0] = t;
        l
    }

    /// Concentrate with content `q` (NdPr, Dy/Tb, other).
    pub fn concentrate(q: [f64; 3]) -> Lot {
        Lot {
            q,
            a: Tags::zeros(0),
            b: Tags::zeros(0),
        }
    }

    pub fn total(&self) -> f64 {
        self.q.iter().sum()
    }

    pub fn add(&mut self, other: &Lot) {
        for (x, y) in self.q.iter_mut().zip(&other.q) {
            *x += y;
        }
        for (x, y) in self.a.iter_mut().zip(other.a.iter()) {
            *x += y;
        }
        for (x, y) in self.b.iter_mut().zip(other.b.iter()) {
            *x += y;
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

    /// Removes `amount` (at most the total) in proportion to everything the lot holds.
    pub fn take(&mut self, amount: f64) -> Lot {
        let mut out = Lot::default();
        self.take_to(amount, &mut out);
        out
    }

    /// `*out = self.take(amount)`, written in place (a `Lot` is large to move; `out`'s tag
    /// entries beyond this lot's regions are left as they were).
    pub fn take_to(&mut self, amount: f64, out: &mut Lot) {
        let f = self.share(amount);
        out.a.n = self.a.n;
        out.b.n = self.b.n;
        for (x, o) in self.q.iter_mut().zip(out.q.iter_mut()) {
            *o = *x * f;
            *x -= *o;
        }
        for (x, o) in self.a.iter_mut().zip(out.a.iter_mut()) {
            *o = *x * f;
            *x -= *o;
        }
        for (x, o) in self.b.iter_mut().zip(out.b.iter_mut()) {
            *o = *x * f;
            *x -= *o;
        }
    }

    /// Sets this lot to `other` (its shape included), copying only the tags `other` has.
    pub fn copy_from(&mut self, other: &Lot) {
        self.q = other.q;
        self.a.n = other.a.n;
        self.b.n = other.b.n;
        self.a.copy_from_slice(&other.a);
        self.b.copy_from_slice(&other.b);
    }

    /// Applies `f` to every quantity and tag (separate loops: a chained iterator costs more
    /// than the arithmetic).
    fn each(&mut self, mut f: impl FnMut(&mut f64)) {
        self.q.iter_mut().for_each(&mut f);
        self.a.iter_mut().for_each(&mut f);
        self.b.iter_mut().for_each(&mut f);
    }

    /// Removes `amount` as `take` does, without returning it.
    pub fn remove(&mut self, amount: f64) {
        let f = self.share(amount);
        for x in &mut self.q {
            *x -= *x * f;
        }
        for x in self.a.iter_mut() {
            *x -= *x * f;
        }
        for x in self.b.iter_mut() {
            *x -= *x * f;
        }
    }

    /// `*out = self.take(self.total())`, written in place as `take_to` does: everything the
    /// lot holds (for a finite positive total, the lot itself, leaving zeros).
    pub fn take_all_to(&mut self, out: &mut Lot) {
        let total = self.total();
        if total > 0.0 && total.is_finite() {
            out.copy_from(self);
            self.each(|x| *x -= *x);
        } else {
            self.take_to(total, out);
        }
    }

    /// Adds `t` tonnes to the untagged part (`q[0]`): what adding `Lot::plain(c, t, n)` does
    /// (adding its zeros changes nothing: a stock's entries start at +0 and never become -0).
    pub fn add_untagged(&mut self, t: f64) {
        self.q[0] += t;
    }

    /// Adds `t` tonnes made or separated in region `r` (tagged `a[r]`): what adding a plain
    /// lot of `t` with `a[r] = t` does.
    pub fn add_own(&mut self, r: usize, t: f64) {
        self.q[0] += t;
        self.a[r] += t;
    }

    /// Adds concentrate content `q` (NdPr, Dy/Tb, other).
    pub fn add_content(&mut self, q: [f64; 3]) {
        for (x, y) in self.q.iter_mut().zip(q) {
            *x += y;
        }
    }

    /// Multiplies quantity and tags by `f`.
    pub fn scale(&mut self, f: f64) {
        self.each(|x| *x *= f);
    }

    /// Removes `amount` from the untagged part only (tags unchanged). For oxides and magnets.
    pub fn take_untagged(&mut self, amount: f64) -> f64 {
        let q = amount.clamp(0.0, self.q[0]);
        self.q[0] -= q;
        q
    }

    /// Tonnes of a magnet lot that a denial against origin `o` refuses: made in `o`, or, when
    /// extraterritorial, also made elsewhere from `o`'s oxide.
    pub fn tagged(&self, o: usize, extraterritorial: bool) -> f64 {
        let made = self.a.get(o).copied().unwrap_or(0.0);
        if extraterritorial {
            made.max(self.b.get(o).copied().unwrap_or(0.0))
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
        let mut l = Lot {
            q: [6.0, 3.0, 1.0],
            a: Tags::from_slice(&[2.0, 0.0]),
            b: Tags::zeros(0),
        };
        let out = l.take(5.0);
        assert_eq!(out.q, [3.0, 1.5, 0.5]);
        assert_eq!(*out.a, [1.0, 0.0]);
        assert_eq!(l.total(), 5.0);
        let mut back = l;
        back.add(&out);
        assert_eq!(back.q, [6.0, 3.0, 1.0]);
    }

    #[test]
    fn taking_into_a_used_buffer_matches_take() {
        let lot = Lot {
            q: [10.0, 0.0, 0.0],
            a: Tags::from_slice(&[4.0, 1.0]),
            b: Tags::zeros(0),
        };
        // A buffer last holding a lot of another shape.
        let mut buf = Lot {
            q: [1.0; 3],
            a: Tags::from_slice(&[7.0; 5]),
            b: Tags::from_slice(&[7.0; 5]),
        };
        let (mut x, mut y) = (lot, lot);
        x.take_to(2.5, &mut buf);
        assert_eq!(buf, y.take(2.5));
        assert_eq!(x, y);
        x.take_all_to(&mut buf);
        assert_eq!(*buf.a, [3.0, 0.75]);
        assert_eq!(x.total(), 0.0);
    }

    #[test]
    fn untagged_take_leaves_tags() {
        let mut l = Lot {
            q: [10.0, 0.0, 0.0],
            a: Tags::from_slice(&[4.0]),
            b: Tags::from_slice(&[6.0]),
        };
        assert_eq!(l.take_untagged(3.0), 3.0);
        assert_eq!((l.q[0], l.a[0], l.b[0]), (7.0, 4.0, 6.0));
        assert_eq!(l.tagged(0, false), 4.0);
        assert_eq!(l.tagged(0, true), 6.0);
    }
}
