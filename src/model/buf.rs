//! Refilling buffers in place: a run's tables keep their shape from month to month and from
//! run to run, so clearing and refilling them reuses their allocations.

/// Sets `v` to `n` copies of `x`, reusing its allocation.
pub fn fill<T: Copy>(v: &mut Vec<T>, n: usize, x: T) {
    v.clear();
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
    fill_shaped(v, like.iter().map(Vec::len), x);
}

/// Sets `v` to the values of `items`, reusing its allocation.
pub fn set_from<T>(v: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    v.clear();
    v.extend(items);
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
        let mut w = vec![9];
        set_from(&mut w, [1, 2]);
        fill(&mut w, 1, 4);
        assert_eq!(w, vec![4]);
    }
}
