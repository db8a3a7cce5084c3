//! Random streams.
//!
//! Run `i` of a batch with seed `s` owns a family of independent streams, one per stochastic
//! element of the scenario, keyed by the element's name (for example
//! `regions.china.mines.bayan_obo.outage`). A stream depends only on `(s, i, key)`: not on the
//! thread that runs it, not on the order elements are visited, and not on which other elements
//! the scenario contains. Two scenarios that share an element therefore see the same draws for it
//! (common random numbers).
//!
//! The generator is xoshiro256++, a fully specified algorithm, seeded through SplitMix64 from a
//! stable 64-bit hash of `(s, i, key)`; so outputs are reproducible across platforms and
//! releases of the `rand` crate.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

pub type Stream = Xoshiro256PlusPlus;

/// FNV-1a over bytes, then a SplitMix64 finaliser for avalanche.
fn hash_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 64-bit seed of the stream for `key` in run `run` of a batch seeded with `seed`.
pub fn stream_seed(seed: u64, run: u64, key: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325;
    h = hash_bytes(h, &seed.to_le_bytes());
    h = hash_bytes(h, &run.to_le_bytes());
    h = hash_bytes(h, key.as_bytes());
    mix(h)
}

/// Hashes computed side by side by `stream_seeds`.
pub const LANES: usize = 8;

/// `stream_seed` of up to `LANES` keys at once, the same numbers. Each FNV-1a hash is a chain
/// of dependent multiplications, so one hash at a time leaves the multiplier mostly idle;
/// stepping several hashes through their bytes together fills it (sampling a run hashes one
/// key per sampled parameter). Lanes past `keys.len()` are left 0.
pub fn stream_seeds(seed: u64, run: u64, keys: &[&[u8]]) -> [u64; LANES] {
    assert!(keys.len() <= LANES, "at most {LANES} keys");
    let mut h = 0xcbf2_9ce4_8422_2325;
    h = hash_bytes(h, &seed.to_le_bytes());
    h = hash_bytes(h, &run.to_le_bytes());
    let mut hs = [h; LANES];
    let common = keys.iter().map(|k| k.len()).min().unwrap_or(0);
    for i in 0..common {
        for (h, k) in hs.iter_mut().zip(keys) {
            *h = (*h ^ u64::from(k[i])).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut out = [0; LANES];
    for ((o, h), k) in out.iter_mut().zip(hs).zip(keys) {
        *o = mix(hash_bytes(h, &k[common..]));
    }
    out
}

/// The stream for `key` in run `run`.
pub fn stream(seed: u64, run: u64, key: &str) -> Stream {
    Stream::seed_from_u64(stream_seed(seed, run, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = stream(7, 3, "x").random();
        let b: u64 = stream(7, 3, "x").random();
        assert_eq!(a, b);
        assert_ne!(a, stream(7, 4, "x").random::<u64>());
        assert_ne!(a, stream(8, 3, "x").random::<u64>());
        assert_ne!(a, stream(7, 3, "y").random::<u64>());
    }

    #[test]
    fn seeds_side_by_side_equal_one_by_one() {
        let keys = [
            "",
            "a",
            "regions.china.mines.bayan_obo.outage",
            "x.y",
            "abc",
            "abd",
        ];
        let bytes: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        for n in 0..=keys.len() {
            let got = stream_seeds(9, 41, &bytes[..n]);
            for i in 0..LANES {
                let want = if i < n {
                    stream_seed(9, 41, keys[i])
                } else {
                    0
                };
                assert_eq!(got[i], want, "{n} keys, lane {i}");
            }
        }
    }

    #[test]
    fn seed_hash_is_stable_across_releases() {
        // Pinned value: if this changes, every published result changes. Do not update it
        // without a release note.
        assert_eq!(stream_seed(2024, 0, "abc"), stream_seed(2024, 0, "abc"));
        let first: u64 = stream(2024, 0, "abc").random();
        assert_eq!(first, PINNED);
    }
    const PINNED: u64 = 1_528_719_540_246_468_882;
}
