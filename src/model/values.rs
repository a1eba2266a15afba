//! The five things buyers value in a supplier (The Challenger Sale, quoted in
//! Willis Turner, "Who's to Blame for Poor Sales Performance?"), and how well
//! an approach or content matches a persona.

use serde::Serialize;

/// Number of value dimensions.
pub const DIMENSIONS: usize = 5;

/// Names of the value dimensions, in the order used everywhere.
pub const NAMES: [&str; DIMENSIONS] = [
    "solves_problem",
    "educates",
    "applies_knowledge",
    "forthright",
    "minimises_risk",
];

/// Index of "helps minimise risk", which also lowers the no-decision utility.
pub const MINIMISES_RISK: usize = 4;

/// Scores or weights on the five dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Values(pub [f64; DIMENSIONS]);

impl Values {
    /// Alignment of `scores` (each in [0, 1]) with these persona weights
    /// (non-negative, summing to 1): the weighted mean score, in [0, 1].
    #[inline]
    pub fn alignment(&self, scores: &Values) -> f64 {
        self.0.iter().zip(scores.0.iter()).map(|(w, s)| w * s).sum()
    }

    /// The risk support a contact with `scores` gives a buyer with these
    /// persona weights: its "minimises risk" score, counted as much as the
    /// buyer cares about risk relative to a buyer who weighs all five
    /// dimensions equally, capped at 1. A buyer who does not care about risk
    /// is not moved off the status quo by reassurance.
    #[inline]
    pub fn risk_support(&self, scores: &Values) -> f64 {
        (DIMENSIONS as f64 * self.0[MINIMISES_RISK] * scores.0[MINIMISES_RISK]).min(1.0)
    }
}

impl From<crate::model::scenario::spec::ValuesSpec> for Values {
    fn from(v: crate::model::scenario::spec::ValuesSpec) -> Self {
        Values([
            v.solves_problem,
            v.educates,
            v.applies_knowledge,
            v.forthright,
            v.minimises_risk,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_is_weighted_mean() {
        let w = Values([0.5, 0.5, 0.0, 0.0, 0.0]);
        let s = Values([1.0, 0.0, 1.0, 1.0, 1.0]);
        assert_eq!(w.alignment(&s), 0.5);
    }
}
