//! The buyer's final choice: us, a competitor, or no decision.
//!
//! A multinomial logit. The utility of choosing us grows with trust and with
//! the value alignment of the supplier contact the buyer had, and falls with
//! resistance; the utility of no decision falls when the supplier helped
//! minimise risk, and once the buyer has talked with sales (buyers rarely
//! choose a supplier they never spoke to). With all weights zero the choice probabilities are
//! constant, which is what makes the Markov check possible.

use crate::model::outcome::Outcome;

/// Validated decision model.
#[derive(Clone, Debug)]
pub struct DecisionModel {
    /// Base utility of us.
    pub base_us: f64,
    /// Utility per unit of trust.
    pub trust_weight: f64,
    /// Utility per unit of alignment.
    pub alignment_weight: f64,
    /// Utility added once the buyer has welcomed a sales conversation.
    pub contact_weight: f64,
    /// Utility lost per unit of resistance.
    pub resistance_weight: f64,
    /// Base utility of a competitor.
    pub base_competitor: f64,
    /// Base utility of no decision.
    pub base_no_decision: f64,
    /// Reduction of the no-decision utility per unit of risk support.
    pub risk_weight: f64,
}

/// What the buyer brings to the decision.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecisionInputs {
    /// Trust in us, [0, 1].
    pub trust: f64,
    /// Resistance to us, [0, 1).
    pub resistance: f64,
    /// Alignment of our last contact with what the buyer values, [0, 1].
    pub alignment: f64,
    /// Risk support received, [0, 1].
    pub risk_support: f64,
    /// Whether the buyer has had a welcome sales conversation.
    pub engaged: bool,
}

impl DecisionModel {
    /// Probabilities of (us, competitor, no decision).
    pub fn probabilities(&self, x: DecisionInputs) -> [f64; 3] {
        let u = [
            self.base_us
                + self.trust_weight * x.trust
                + self.alignment_weight * x.alignment
                + if x.engaged { self.contact_weight } else { 0.0 }
                - self.resistance_weight * x.resistance,
            self.base_competitor,
            self.base_no_decision - self.risk_weight * x.risk_support,
        ];
        let m = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e = u.map(|v| (v - m).exp());
        let s: f64 = e.iter().sum();
        e.map(|v| v / s)
    }

    /// The outcome for a uniform draw `u` in [0, 1).
    #[inline]
    pub fn choose(&self, x: DecisionInputs, u: f64) -> Outcome {
        Self::choose_with(self.probabilities(x), u)
    }

    /// The outcome for a uniform draw `u` in [0, 1) given the
    /// [`probabilities`](Self::probabilities) (for callers that reuse them).
    #[inline]
    pub fn choose_with(p: [f64; 3], u: f64) -> Outcome {
        let [p_us, p_comp, _] = p;
        if u < p_us {
            Outcome::Won
        } else if u < p_us + p_comp {
            Outcome::LostCompetitor
        } else {
            Outcome::NoDecision
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_sum_to_one_and_trust_helps() {
        let m = DecisionModel {
            base_us: 0.0,
            trust_weight: 2.0,
            alignment_weight: 1.0,
            contact_weight: 1.0,
            resistance_weight: 3.0,
            base_competitor: 0.5,
            base_no_decision: 0.0,
            risk_weight: 1.0,
        };
        let low = m.probabilities(DecisionInputs::default());
        let high = m.probabilities(DecisionInputs {
            trust: 0.8,
            ..Default::default()
        });
        assert!((low.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(high[0] > low[0]);
    }
}
