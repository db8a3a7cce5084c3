//! Ranks and correlations over runs.

/// Ranks with ties given their average rank (1-based).
pub fn ranks(x: &[f64]) -> Vec<f64> {
    ranks_in_order(x, &ascending(x))
}

/// The indexes of `x` in ascending order (`f64::total_cmp`), equal values in index order: what
/// a stable sort of the indexes by value gives.
pub fn ascending(x: &[f64]) -> Vec<usize> {
    // Sorting (key, index) pairs, all distinct, gives the stable order without comparing
    // through the indexes. The key orders as `f64::total_cmp` does.
    let mut keyed: Vec<(i64, usize)> = x
        .iter()
        .map(|v| {
            let bits = v.to_bits() as i64;
            bits ^ (((bits >> 63) as u64) >> 1) as i64
        })
        .zip(0..)
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Ranks of `x` (ties given their average rank, 1-based), `idx` being its indexes in ascending
/// order (`ascending`).
pub fn ranks_in_order(x: &[f64], idx: &[usize]) -> Vec<f64> {
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation (NaN when either side is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        f64::NAN
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// Pearson correlation matrix of the columns `[col][row]`.
pub fn pearson_matrix(cols: &[Vec<f64>]) -> Vec<Vec<f64>> {
    (0..cols.len())
        .map(|a| {
            (0..cols.len())
                .map(|b| pearson(&cols[a], &cols[b]))
                .collect()
        })
        .collect()
}

/// Spearman rank correlation of two equally long samples (average ranks for ties; pairs with a
/// NaN left out; NaN when either side is constant).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (x, y): (Vec<f64>, Vec<f64>) = a
        .iter()
        .zip(b)
        .filter(|(x, y)| !x.is_nan() && !y.is_nan())
        .map(|(x, y)| (*x, *y))
        .unzip();
    pearson(&ranks(&x), &ranks(&y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascending_is_the_stable_sort_by_total_order() {
        let mut x: Vec<f64> = (0..2000)
            .map(|i| ((i * 7919) % 97) as f64 / 7.0 - 5.0)
            .collect();
        x.extend([
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            0.0,
            -0.0,
        ]);
        x.extend([
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MIN,
        ]);
        let mut stable: Vec<usize> = (0..x.len()).collect();
        stable.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        assert_eq!(ascending(&x), stable);
    }
}
