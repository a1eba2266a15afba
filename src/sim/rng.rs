//! Random-number streams.
//!
//! Results depend only on *(scenario, seed, replications)*. To make that
//! structural rather than accidental, every random draw comes from a stream
//! that is a pure function of the master seed, the replication index, the
//! *purpose* of the draws and (for per-buyer streams) the buyer's arrival
//! index. Nothing depends on thread scheduling, and no ambient generator
//! (`rand::rng()`) is ever used.
//!
//! Two named algorithms are used, so streams do not change with `rand`
//! releases (unlike `StdRng`):
//! * [`SimRng`] = Xoshiro256++ for replication-wide streams (lead arrivals);
//! * [`BuyerRng`] = SplitMix64 for per-buyer streams. It keeps 8 bytes of
//!   state, so each buyer can carry its own streams cheaply. SplitMix64 with
//!   keys derived as below is a counter-based generator; two streams only
//!   overlap if their keys differ by a small multiple of the golden gamma,
//!   which has probability ~`draws / 2^64`.
//!
//! Because buyers are numbered in arrival order and arrivals come from their
//! own stream, buyer *k* of replication *r* is the same person (stage at
//! capture, segment, fit, deal value, dwell times) under every handoff and
//! outreach policy: comparisons use common random numbers.

use rand::SeedableRng;

/// Replication-wide generator (Xoshiro256++). Changing it changes every
/// result and is a breaking change.
pub type SimRng = rand::rngs::Xoshiro256PlusPlus;

/// Per-buyer generator: SplitMix64, 8 bytes of state, the same numbers as
/// `rand_xoshiro::SplitMix64` (tested). Its own type because a buyer's
/// streams are created on every capture and decision, and the crate's
/// `seed_from_u64` cannot be inlined across crates (it is a call, with the
/// caller's registers saved around it, in the hottest loop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuyerRng {
    state: u64,
}

impl BuyerRng {
    /// The stream whose state starts at `key`.
    #[inline(always)]
    pub const fn from_key(key: u64) -> Self {
        Self { state: key }
    }

    /// SplitMix64's Weyl sequence: the next state, to be mixed.
    #[inline(always)]
    fn step(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.state
    }
}

impl rand::TryRng for BuyerRng {
    type Error = core::convert::Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        // `rand_xoshiro`'s 32-bit output has a mixer of its own.
        let mut z = self.step();
        z = (z ^ (z >> 33)).wrapping_mul(0x62A9_D9ED_7997_05F5);
        z = (z ^ (z >> 28)).wrapping_mul(0xCB24_D0A5_C88C_35B3);
        Ok((z >> 32) as u32)
    }

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(mix64(self.step()))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Self::Error> {
        // Little-endian words, the last one cut short.
        for chunk in dest.chunks_mut(8) {
            let word = mix64(self.step()).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

impl SeedableRng for BuyerRng {
    type Seed = [u8; 8];

    #[inline]
    fn from_seed(seed: [u8; 8]) -> Self {
        Self::from_key(u64::from_le_bytes(seed))
    }

    #[inline]
    fn seed_from_u64(state: u64) -> Self {
        Self::from_key(state)
    }
}

/// Name of the generators, written into every output manifest.
pub const RNG_ALGORITHMS: &str = "xoshiro256++ (arrivals), splitmix64 (per buyer)";

/// What a stream of random numbers is used for. Independent purposes get
/// independent streams so that adding a draw in one component never shifts
/// the numbers another component sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Lead arrival times and burst sizes (replication-wide).
    Arrivals = 1,
    /// A buyer's own attributes and journey: capture stage, segment, fit,
    /// deal value, dwell times, stalls.
    Journey = 2,
    /// Marketing's view of a buyer: lead-score noise, hand raising.
    Marketing = 3,
    /// The buyer's responses to sales touches.
    Sales = 4,
    /// The buyer's final choice (us, competitor, no decision).
    Decision = 5,
}

/// The master seed of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Seed(pub u64);

/// SplitMix64's finaliser: a bijective 64-bit mixer with full avalanche.
#[inline]
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Seed {
    /// Key of a stream: a pure function of (seed, replication, purpose, index).
    #[inline]
    fn key(self, replication: u64, stream: Stream, index: u64) -> u64 {
        self.streams(replication, stream).key(index)
    }

    /// The (seed, replication, purpose) part of every key of `stream` in
    /// `replication`, mixed once: a replication derives thousands of buyer
    /// streams, and each then costs one mix instead of four.
    #[inline]
    pub fn streams(self, replication: u64, stream: Stream) -> StreamFamily {
        let a = mix64(self.0 ^ 0x6A09_E667_F3BC_C909);
        let b = mix64(a ^ replication.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        StreamFamily(mix64(b ^ (stream as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)))
    }

    /// The replication-wide stream for `stream`.
    pub fn replication_rng(self, replication: u64, stream: Stream) -> SimRng {
        SimRng::seed_from_u64(self.key(replication, stream, u64::MAX))
    }

    /// The per-buyer stream for `stream`; `buyer` is the arrival index.
    #[inline]
    pub fn buyer_rng(self, replication: u64, stream: Stream, buyer: u64) -> BuyerRng {
        BuyerRng::from_key(self.key(replication, stream, buyer))
    }
}

/// The per-buyer streams of one purpose in one replication
/// ([`Seed::streams`]); `family.buyer_rng(i)` equals
/// `seed.buyer_rng(replication, stream, i)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamFamily(u64);

impl StreamFamily {
    #[inline]
    fn key(self, index: u64) -> u64 {
        mix64(self.0 ^ index.wrapping_mul(0x1656_67B1_9E37_79F9))
    }

    /// The stream of buyer `buyer` (the arrival index).
    #[inline]
    pub fn buyer_rng(self, buyer: u64) -> BuyerRng {
        BuyerRng::from_key(self.key(buyer))
    }
}

/// A Bernoulli draw of a probability computed for this draw (a fixed one is
/// a [`Chance`]): `true` with probability `p`, exactly `uniform(rng) < p`.
/// When `p` makes the outcome certain (`≤ 0` or `≥ 1`, as when a response
/// parameter is switched off) the draw is still taken, so every later draw
/// of the stream is unchanged, but its arithmetic is skipped (the unused
/// output is optimised away).
#[inline]
pub fn chance<R: rand::Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    if p > 0.0 && p < 1.0 {
        uniform(rng) < p
    } else {
        rng.next_u64();
        p >= 1.0
    }
}

/// A Bernoulli draw of fixed probability, prepared once: [`Chance::draw`]
/// equals [`chance`] with the same `p` draw for draw, for one integer
/// comparison and no branch. A uniform is `m / 2^53` for the integer
/// `m = next_u64 >> 11`, and `m / 2^53 < p` exactly when `m < ⌈p · 2^53⌉`
/// (scaling by a power of two is exact), so the threshold is computed once;
/// it is 0 for `p ≤ 0` (never) and 2^53 for `p ≥ 1` (always).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chance {
    /// Draws of `next_u64 >> 11` below this succeed.
    below: u64,
}

impl Chance {
    /// A draw that succeeds with probability `p` (clamped to [0, 1]).
    pub fn new(p: f64) -> Self {
        const SCALE: f64 = (1u64 << 53) as f64;
        let below = if p > 0.0 {
            (p.min(1.0) * SCALE).ceil() as u64
        } else {
            0
        };
        Self { below }
    }

    /// One draw from `rng`: `true` with the probability given.
    #[inline(always)]
    pub fn draw<R: rand::Rng + ?Sized>(self, rng: &mut R) -> bool {
        (rng.next_u64() >> 11) < self.below
    }
}

/// A uniform draw in [0, 1) with 53 random bits.
#[inline]
pub fn uniform<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Value stability: these numbers pin the stream derivation. If this test
    /// fails, every published result changes; only update it deliberately.
    #[test]
    fn streams_are_value_stable() {
        let seed = Seed(42);
        let mut a = seed.replication_rng(0, Stream::Arrivals);
        let mut b = seed.buyer_rng(3, Stream::Sales, 17);
        let got = [a.next_u64(), b.next_u64()];
        let again = [
            seed.replication_rng(0, Stream::Arrivals).next_u64(),
            seed.buyer_rng(3, Stream::Sales, 17).next_u64(),
        ];
        assert_eq!(got, again);
        assert_eq!(got, [17_422_135_565_272_449_560, 1_201_177_144_346_929_530]);
    }

    #[test]
    fn buyer_rng_is_rand_xoshiro_splitmix64() {
        for key in [
            0,
            1,
            42,
            u64::MAX,
            0x9E37_79B9_7F4A_7C15,
            Seed(5).key(3, Stream::Sales, 9),
        ] {
            let (mut ours, mut theirs) = (
                BuyerRng::from_key(key),
                rand_xoshiro::SplitMix64::seed_from_u64(key),
            );
            for _ in 0..100 {
                assert_eq!(ours.next_u64(), theirs.next_u64(), "key {key}");
                assert_eq!(ours.next_u32(), theirs.next_u32(), "key {key}");
            }
            for len in [0, 1, 7, 8, 9, 31] {
                let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
                ours.fill_bytes(&mut a);
                theirs.fill_bytes(&mut b);
                assert_eq!(a, b, "key {key}, {len} bytes");
            }
            assert_eq!(BuyerRng::seed_from_u64(key), BuyerRng::from_key(key));
        }
    }

    #[test]
    fn streams_differ_by_purpose_replication_and_buyer() {
        let s = Seed(7);
        let draws = [
            s.buyer_rng(0, Stream::Journey, 0).next_u64(),
            s.buyer_rng(0, Stream::Sales, 0).next_u64(),
            s.buyer_rng(1, Stream::Journey, 0).next_u64(),
            s.buyer_rng(0, Stream::Journey, 1).next_u64(),
        ];
        for i in 0..draws.len() {
            for j in 0..i {
                assert_ne!(draws[i], draws[j]);
            }
        }
    }

    #[test]
    fn chance_is_a_uniform_below_p_and_keeps_streams_aligned() {
        for p in [-0.5, 0.0, 1e-300, 0.3, 0.999_999_999_999, 1.0, 2.0] {
            let (mut a, mut b) = (
                Seed(3).buyer_rng(0, Stream::Journey, 1),
                Seed(3).buyer_rng(0, Stream::Journey, 1),
            );
            for _ in 0..1000 {
                assert_eq!(chance(&mut a, p), uniform(&mut b) < p, "p {p}");
            }
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn a_prepared_chance_is_the_same_draw() {
        let edge = 0.3f64;
        // Probabilities at and between the 2^-53 steps of a uniform, where
        // a rounded threshold would be off by one.
        let steps = [
            edge.next_down(),
            edge,
            edge.next_up(),
            1.0f64.next_down(),
            2f64.powi(-53),
            2f64.powi(-60),
        ];
        for p in steps
            .into_iter()
            .chain([-0.5, 0.0, 1e-300, 0.5, 1.0, 2.0, f64::NAN])
        {
            let prepared = Chance::new(p);
            let (mut a, mut b) = (
                Seed(3).buyer_rng(0, Stream::Journey, 2),
                Seed(3).buyer_rng(0, Stream::Journey, 2),
            );
            for _ in 0..1000 {
                assert_eq!(prepared.draw(&mut a), chance(&mut b, p), "p {p}");
            }
            // Uniforms on either side of the threshold.
            let m = prepared.below;
            for m in [m.saturating_sub(1), m, m + 1]
                .into_iter()
                .filter(|&m| m < 1 << 53)
            {
                let u = m as f64 / (1u64 << 53) as f64;
                assert_eq!(m < prepared.below, u < p, "p {p}, m {m}");
            }
        }
    }

    #[test]
    fn uniform_is_in_unit_interval() {
        let mut r = Seed(1).buyer_rng(0, Stream::Journey, 0);
        for _ in 0..10_000 {
            let u = uniform(&mut r);
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn stream_families_derive_the_same_streams() {
        let seed = Seed(42);
        for stream in [
            Stream::Journey,
            Stream::Marketing,
            Stream::Sales,
            Stream::Decision,
        ] {
            let family = seed.streams(3, stream);
            for buyer in [0, 1, 17, u64::MAX - 1] {
                assert_eq!(
                    family.buyer_rng(buyer).next_u64(),
                    seed.buyer_rng(3, stream, buyer).next_u64()
                );
            }
        }
    }
}
