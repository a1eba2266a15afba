//! The buyer's final choice: us, a competitor, or no decision.
//!
//! Buyers choose among the suppliers they engaged. Competitors are always
//! on the list; we are on it if the buyer ever welcomed a conversation with
//! our sales, or — with a probability that grows with the trust nurture
//! built — if it reaches out to us itself because marketing made us known.
//! Among the suppliers on the list the choice is a multinomial logit: the
//! utility of us grows with trust and with the value alignment of our
//! contact and falls with resistance; whoever helped the buyer frame its
//! requirements (us, if we had a welcome conversation by the end of the
//! framing stage, otherwise a competitor who got there first) gains an
//! edge; the utility of no decision falls when the supplier helped minimise
//! risk. With every weight zero and us always on the list the choice
//! probabilities are constant, which is what makes the Markov check possible.

use crate::model::outcome::Outcome;

/// Validated decision model.
#[derive(Clone, Debug)]
pub struct DecisionModel {
    /// P(we are on the list) for a buyer who never welcomed our sales.
    pub reach_out_base: f64,
    /// Added to that per unit of trust.
    pub reach_out_per_trust: f64,
    /// Index of the stage in which buyers frame their requirements.
    pub framing_stage: usize,
    /// Utility the supplier who framed the requirements gains.
    pub framing_edge: f64,
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
    /// Whether that conversation came by the end of the framing stage (we
    /// helped frame the requirements).
    pub framed: bool,
}

impl DecisionModel {
    /// Probability that we are on the buyer's list at the decision.
    #[inline]
    pub fn consideration(&self, x: DecisionInputs) -> f64 {
        if x.engaged {
            1.0
        } else {
            (self.reach_out_base + self.reach_out_per_trust * x.trust).min(1.0)
        }
    }

    /// Probabilities of (us, competitor, no decision).
    pub fn probabilities(&self, x: DecisionInputs) -> [f64; 3] {
        let (edge_us, edge_them) = if x.framed {
            (self.framing_edge, 0.0)
        } else {
            (0.0, self.framing_edge)
        };
        let u = [
            self.base_us
                + self.trust_weight * x.trust
                + self.alignment_weight * x.alignment
                + if x.engaged { self.contact_weight } else { 0.0 }
                - self.resistance_weight * x.resistance
                + edge_us,
            self.base_competitor + edge_them,
            self.base_no_decision - self.risk_weight * x.risk_support,
        ];
        let with_us = softmax(u);
        let [_, them, none] = u;
        let [without_them, without_none] = softmax([them, none]);
        let c = self.consideration(x);
        [
            c * with_us[0],
            c * with_us[1] + (1.0 - c) * without_them,
            c * with_us[2] + (1.0 - c) * without_none,
        ]
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

/// The multinomial-logit choice probabilities of utilities `u`.
fn softmax<const N: usize>(u: [f64; N]) -> [f64; N] {
    let m = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = u.map(|v| (v - m).exp());
    let s: f64 = e.iter().sum();
    e.map(|v| v / s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_sum_to_one_and_trust_helps() {
        let m = DecisionModel {
            reach_out_base: 0.1,
            reach_out_per_trust: 0.5,
            framing_stage: 3,
            framing_edge: 1.0,
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
        let engaged = DecisionInputs {
            engaged: true,
            ..Default::default()
        };
        let framed = DecisionInputs {
            framed: true,
            ..engaged
        };
        let [us_engaged, ..] = m.probabilities(engaged);
        let [us_framed, ..] = m.probabilities(framed);
        assert!(us_engaged > high[0], "a conversation puts us on the list");
        assert!(us_framed > us_engaged, "framing the requirements is an edge");
        assert!((m.probabilities(framed).iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
