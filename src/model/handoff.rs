//! When a lead becomes sales' job.
//!
//! The policy is consulted at three moments: on capture, when the buyer enters
//! a new stage, and at each marketing touchpoint (when a fresh lead score is
//! read). Leads not handed off stay in marketing nurture.

use crate::model::stage::StageId;

/// A validated handoff policy.
#[derive(Clone, Debug, PartialEq)]
pub enum HandoffPolicy {
    /// Hand off on capture.
    Immediate,
    /// Hand off when the noisy lead score reaches the threshold (0–100).
    ScoreThreshold {
        /// Threshold on the 0–100 score scale.
        threshold: f64,
    },
    /// Hand off when the buyer truly reaches this stage (oracle).
    StageGate {
        /// The gate stage.
        stage: StageId,
    },
    /// Hand off when the buyer raises a hand.
    BuyerInitiated {
        /// Scales the hand-raise probability `propensity × receptivity × (0.5 + trust)`.
        propensity: f64,
    },
    /// Hand off a fixed number of days after capture.
    Delay {
        /// Days after capture.
        days: f64,
    },
}

impl HandoffPolicy {
    /// Short name used in reports.
    pub fn name(&self) -> &'static str {
        match self {
            HandoffPolicy::Immediate => "immediate",
            HandoffPolicy::ScoreThreshold { .. } => "score_threshold",
            HandoffPolicy::StageGate { .. } => "stage_gate",
            HandoffPolicy::BuyerInitiated { .. } => "buyer_initiated",
            HandoffPolicy::Delay { .. } => "delay",
        }
    }

    /// Whether the policy hands a lead that marketing holds to sales, with
    /// no draw, when it is captured at or enters `stage`: always for
    /// `Immediate`, from the gate stage on for `StageGate`, and never for
    /// the others (they draw, or wait for a date). A lead is handed off at
    /// the first stage of its journey where this holds.
    #[inline]
    pub fn gate_open_at(&self, stage: StageId) -> bool {
        match *self {
            HandoffPolicy::Immediate => true,
            HandoffPolicy::StageGate { stage: gate } => stage >= gate,
            _ => false,
        }
    }

    /// Probability that a buyer raises a hand at a check, for
    /// `BuyerInitiated`; grows with the stage's receptivity and the buyer's
    /// trust.
    #[inline]
    pub fn hand_raise_probability(propensity: f64, receptivity: f64, trust: f64) -> f64 {
        (propensity * receptivity * (0.5 + trust)).min(1.0)
    }
}
