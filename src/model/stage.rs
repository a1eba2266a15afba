//! Decision stages and the time buyers spend in them on their own.

use rand::Rng;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal};

use crate::sim::rng::Chance;

/// Index of a stage in journey order.
pub type StageId = usize;

/// A dwell-time sampler with unit mean; the engine scales each draw by the
/// stage mean, the segment's pace and the buyer's trust, so one precomputed
/// sampler serves every buyer.
#[derive(Clone, Debug)]
pub enum Dwell {
    /// Exponential (constant hazard).
    Exponential,
    /// Gamma with unit mean.
    Gamma(Gamma<f64>),
    /// Lognormal with unit mean.
    Lognormal(LogNormal<f64>),
}

impl Dwell {
    /// A unit-mean gamma sampler with shape `shape` (> 0).
    pub fn gamma(shape: f64) -> Option<Self> {
        Gamma::new(shape, 1.0 / shape).ok().map(Dwell::Gamma)
    }

    /// A unit-mean lognormal sampler with log-scale `sigma` (> 0).
    pub fn lognormal(sigma: f64) -> Option<Self> {
        LogNormal::new(-sigma * sigma / 2.0, sigma)
            .ok()
            .map(Dwell::Lognormal)
    }

    /// A draw with mean 1.
    ///
    /// The exponential case (a few instructions) is inlined into the
    /// caller's loop; the shaped ones are calls, so that the large gamma and
    /// lognormal samplers do not make every dwell draw a call with a full
    /// prologue (that was 17% of the floor benchmark).
    #[inline(always)]
    pub fn sample_unit<R: Rng + Clone>(&self, rng: &mut R) -> f64 {
        match self {
            Dwell::Exponential => Exp1.sample(rng),
            shaped => {
                // The call gets a copy: were the caller's generator itself
                // passed by address, it would live in memory for the whole
                // of the caller's loop, not in a register.
                let mut copy = rng.clone();
                let draw = shaped.sample_shaped(&mut copy);
                *rng = copy;
                draw
            }
        }
    }

    #[inline(never)]
    fn sample_shaped<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dwell::Exponential => Exp1.sample(rng),
            Dwell::Gamma(g) => g.sample(rng),
            Dwell::Lognormal(l) => l.sample(rng),
        }
    }
}

/// One decision stage of the buyer's journey.
#[derive(Clone, Debug)]
pub struct Stage {
    /// Unique name.
    pub name: String,
    /// Mean dwell in days (before pace and trust adjustments).
    pub mean_days: f64,
    /// Unit-mean dwell sampler.
    pub dwell: Dwell,
    /// Probability of stalling into "no decision" at the end of the stage.
    pub stall_probability: f64,
    /// Receptivity to sales contact in [0, 1].
    pub receptivity: f64,
}

impl Stage {
    /// The stall at the end of a stay, as a prepared draw.
    pub fn stall(&self) -> Chance {
        Chance::new(self.stall_probability)
    }
}
