//! Refilling buffers in place: a run's tables keep their shape from month to month and from
//! run to run, so clearing and refilling them reuses their allocations.

/// Sets `v` to `n` copies of `x`, reusing its allocation (overwritten in place when it
/// already has `n` entries, as month tables do after a run's first month).
pub fn fill<T: Copy>(v: &mut Vec<T>, n: usize, x: T) {
    v.truncate(n);
    v.fill(x);
    v.resize(n, x);
}

/// Sets `v` to `rows` rows of `cols` copies of `x`, reusing every allocation it has.
pub fn fill_rows<T: Copy>(v: &mut Vec<Vec<T>>, rows: usize, cols: usize, x: T) {
    v.truncate(rows);
    for row in v.iter_mut() {
        fill(row, cols, x);
    }
    while v.len() < rows {
        v.push(vec![x; cols]);
    }
}

/// Sets `v` to rows of the lengths `lens`, all `x`, reusing every allocation it has.
pub fn fill_shaped<T: Copy>(v: &mut Vec<Vec<T>>, lens: impl IntoIterator<Item = usize>, x: T) {
    let mut rows = 0;
    for (i, len) in lens.into_iter().enumerate() {
        match v.get_mut(i) {
            Some(row) => fill(row, len, x),
            None => v.push(vec![x; len]),
        }
        rows = i + 1;
    }
    v.truncate(rows);
}

/// Sets `v` to rows shaped like `like` (row `i` has `like[i].len()` entries), all `x`.
pub fn fill_like<T: Copy, U>(v: &mut Vec<Vec<T>>, like: &[Vec<U>], x: T) {
    v.resize_with(like.len(), Vec::new);
    for (row, like) in v.iter_mut().zip(like) {
        fill(row, like.len(), x);
    }
}

/// Sets `v` to a copy of `rows`, overwriting in place each row already of its length (as a
/// month's record is from run to run).
pub fn copy_rows<T: Copy>(v: &mut Vec<Vec<T>>, rows: &[Vec<T>]) {
    v.resize_with(rows.len(), Vec::new);
    for (row, src) in v.iter_mut().zip(rows) {
        if row.len() == src.len() {
            row.copy_from_slice(src);
        } else {
            row.clone_from(src);
        }
    }
}

/// Sets `v` to the values of `items`, reusing its allocation.
pub fn set_from<T>(v: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    v.clear();
    v.extend(items);
}

/// A list whose entries keep their storage when removed: entries live in fixed slots and the
/// list is an order of slot indices (the first `live` of `order`; the indices past them are
/// free slots kept for reuse). For entries with large inline data (a `Lot`), which are then
/// written in place instead of built and moved, never allocated again once the list has been
/// as long, and never moved when others are removed (`retain` reorders indices only).
#[derive(Debug, Clone)]
pub struct Slots<T> {
    slots: Vec<T>,
    /// A permutation of the slot indices: the list in order, then the free slots.
    order: Vec<usize>,
    live: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            slots: Vec::new(),
            order: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Slots<T> {
    /// The entries, in order.
    #[inline]
    pub fn live(&self) -> impl ExactSizeIterator<Item = &T> + Clone {
        self.order[..self.live].iter().map(|&i| &self.slots[i])
    }

    #[inline]
    pub fn clear(&mut self) {
        self.live = 0;
    }

    /// A new last entry, to be written by the caller: a reused slot holding stale values, or,
    /// when every slot is in use, `make()`.
    #[inline]
    pub fn next(&mut self, make: impl FnOnce() -> T) -> &mut T {
        let i = self.free_slot(make);
        self.live += 1;
        &mut self.slots[i]
    }

    /// The slot a `next` would return, to be written by the caller without joining the list
    /// yet: `keep_staged` then adds it (a later `next` or `staged` reuses it otherwise).
    #[inline]
    pub fn staged(&mut self, make: impl FnOnce() -> T) -> &mut T {
        let i = self.free_slot(make);
        &mut self.slots[i]
    }

    /// The index of the first free slot (`order[live]`), made by `make()` if there is none.
    #[inline]
    fn free_slot(&mut self, make: impl FnOnce() -> T) -> usize {
        if self.live == self.slots.len() {
            self.order.push(self.slots.len());
            self.slots.push(make());
        }
        self.order[self.live]
    }

    /// Adds the slot `staged` returned as the last entry.
    #[inline]
    pub fn keep_staged(&mut self) {
        debug_assert!(self.live < self.slots.len(), "a slot was staged");
        self.live += 1;
    }

    /// Keeps the entries for which `keep` is true, in their order (removed ones become free
    /// slots; no entry moves).
    #[inline]
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut kept = 0;
        for j in 0..self.live {
            if keep(&self.slots[self.order[j]]) {
                self.order.swap(kept, j);
                kept += 1;
            }
        }
        self.live = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refills_keep_shape_and_allocation() {
        let mut v = vec![vec![1.0, 2.0], vec![3.0]];
        let p = v[0].as_ptr();
        fill_rows(&mut v, 3, 2, 0.5);
        assert_eq!(v, vec![vec![0.5; 2]; 3]);
        assert_eq!(v[0].as_ptr(), p);
        fill_like(&mut v, &[vec![0u8; 1]], 7.0);
        assert_eq!(v, vec![vec![7.0]]);
        copy_rows(&mut v, &[vec![1.0, 2.0], vec![3.0]]);
        assert_eq!(v, vec![vec![1.0, 2.0], vec![3.0]]);
        copy_rows(&mut v, &[vec![4.0]]);
        assert_eq!(v, vec![vec![4.0]]);
        let mut w = vec![9];
        set_from(&mut w, [1, 2]);
        fill(&mut w, 1, 4);
        assert_eq!(w, vec![4]);
    }

    #[test]
    fn slots_keep_order_and_reuse_storage() {
        let mut s = Slots::default();
        for x in 1..=5 {
            *s.next(|| 0) = x;
        }
        s.retain(|&x| x % 2 == 1);
        assert!(s.live().eq(&[1, 3, 5]));
        // A reused slot holds a stale value until written; `make` is not called.
        let reused = *s.next(|| unreachable!("a free slot exists"));
        assert!([2, 4].contains(&reused));
        s.clear();
        assert_eq!(s.live().len(), 0);
    }
}
