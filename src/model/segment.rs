//! Buyer segments / personas.

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use crate::model::values::Values;

/// Deal value distribution.
#[derive(Clone, Debug)]
pub enum DealValue {
    /// Every deal is worth this much.
    Fixed(f64),
    /// Lognormal deal values.
    Lognormal(LogNormal<f64>),
}

impl DealValue {
    /// Draws a deal value.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            DealValue::Fixed(v) => *v,
            DealValue::Lognormal(d) => d.sample(rng),
        }
    }
}

/// A segment / persona: its pace, deal sizes and what it values.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Unique name.
    pub name: String,
    /// Multiplier on every stage's dwell time.
    pub pace: f64,
    /// Deal value distribution.
    pub deal_value: DealValue,
    /// Weights on the five value dimensions (non-negative, sum 1).
    pub values: Values,
}
