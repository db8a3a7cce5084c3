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

/// FNV-1a's starting state and multiplier.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over bytes, then a SplitMix64 finaliser for avalanche.
fn hash_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The FNV-1a state after `(seed, run)`, the part every key of a run starts from.
fn run_state(seed: u64, run: u64) -> u64 {
    let h = hash_bytes(FNV_OFFSET, &seed.to_le_bytes());
    hash_bytes(h, &run.to_le_bytes())
}

/// The 64-bit seed of the stream for `key` in run `run` of a batch seeded with `seed`.
pub fn stream_seed(seed: u64, run: u64, key: &str) -> u64 {
    mix(hash_bytes(run_state(seed, run), key.as_bytes()))
}

/// `stream_seed` of a fixed list of keys, run after run, without hashing the keys each run.
///
/// An FNV-1a step `h -> (h ^ byte) * PRIME` (mod 2^64) carries any multiple of 256 added to
/// the state straight through: `h ^ byte` changes only the low 8 bits, so
/// `(h + 256 m) ^ byte = (h ^ byte) + 256 m`, and the product adds `256 m * PRIME`, again a
/// multiple of 256. Over a whole key of `len` bytes, from the run's state `s`:
/// `hash(s) = hash(s & 0xff) + (s & !0xff) * PRIME^len`. So each key is hashed once from each
/// of the 256 low bytes, and a run's seed of a key is one multiply-add away (then `mix`): the
/// same numbers as `stream_seed`, exactly.
#[derive(Debug, Clone)]
pub struct KeySeeds {
    keys: usize,
    /// `[low byte][key]`: FNV-1a of each key from the state `low byte`, one row per low byte
    /// (a run reads one row, front to back).
    from_low: Vec<u64>,
    /// `[key]`: `PRIME^len`, what a key's hash multiplies the state's upper bits by.
    scale: Vec<u64>,
}

impl KeySeeds {
    pub fn new(keys: &[&str]) -> Self {
        const LOWS: usize = 256;
        /// Low bytes hashed side by side: one FNV-1a chain is a run of dependent
        /// multiplications, several of them fill the multiplier.
        const SIDE: usize = 8;
        let n = keys.len();
        let mut from_low = vec![0; LOWS * n];
        for (k, key) in keys.iter().enumerate() {
            for first in (0..LOWS).step_by(SIDE) {
                let mut hs: [u64; SIDE] = std::array::from_fn(|i| (first + i) as u64);
                for &b in key.as_bytes() {
                    for h in &mut hs {
                        *h = (*h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
                    }
                }
                for (i, h) in hs.into_iter().enumerate() {
                    from_low[(first + i) * n + k] = h;
                }
            }
        }
        let scale = keys
            .iter()
            .map(|key| (0..key.len()).fold(1u64, |p, _| p.wrapping_mul(FNV_PRIME)))
            .collect();
        KeySeeds {
            keys: n,
            from_low,
            scale,
        }
    }

    /// `stream_seed(seed, run, key)` of every key, in the order given to `new`.
    pub fn seeds(&self, seed: u64, run: u64) -> impl Iterator<Item = u64> + '_ {
        let s = run_state(seed, run);
        let (low, high) = ((s & 0xff) as usize, s & !0xff);
        let row = &self.from_low[low * self.keys..(low + 1) * self.keys];
        (row.iter().zip(&self.scale)).map(move |(&h, &p)| mix(h.wrapping_add(high.wrapping_mul(p))))
    }
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
    fn key_seeds_equal_one_by_one() {
        // Every low byte of the run's state comes up over these runs and seeds; keys of
        // every length up to 70, with every byte value.
        let mut keys: Vec<String> = vec![
            String::new(),
            "a".into(),
            "regions.china.mines.bayan_obo.outage".into(),
            "abc".into(),
            "abd".into(),
        ];
        keys.extend((1..70).map(|len| {
            (0..len)
                .map(|i| char::from(((i * 37 + len) % 95 + 32) as u8))
                .collect()
        }));
        keys.push("\u{7f}\u{ff}é".into());
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let table = KeySeeds::new(&refs);
        let mut lows = [false; 256];
        for seed in [0, 9, 2024, u64::MAX] {
            for run in 0..300 {
                lows[(run_state(seed, run) & 0xff) as usize] = true;
                let got: Vec<u64> = table.seeds(seed, run).collect();
                let want: Vec<u64> = refs.iter().map(|k| stream_seed(seed, run, k)).collect();
                assert_eq!(got, want, "seed {seed} run {run}");
            }
        }
        assert!(lows.iter().all(|&l| l), "every low byte tried");
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
