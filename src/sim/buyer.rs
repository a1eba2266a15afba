//! A buyer (an account's buying group, treated as one decision maker) and the
//! hidden state nobody on the company side sees directly.

use crate::sim::rng::BuyerRng;

/// Who currently owns the relationship with a buyer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Held by marketing (nurture and scoring).
    Marketing,
    /// Handed off to sales.
    Sales,
    /// The buyer's story has ended (outcome recorded).
    Closed,
}

/// Per-buyer state of one replication. Compact on purpose: a replication
/// keeps every buyer it has seen, and the engine touches them at random.
#[derive(Clone, Debug)]
pub struct Buyer {
    /// Day the lead was captured.
    pub captured_at: f64,
    /// Day of the latest handoff to sales.
    pub handoff_at: f64,
    /// Value of the deal if won.
    pub deal_value: f64,
    /// Trust in our company, [0, 1].
    pub trust: f64,
    /// Resistance to our company, [0, 1).
    pub resistance: f64,
    /// Day the buyer last raised a hand (asked to be contacted).
    pub raised_at: f64,
    /// Alignment of the last supplier contact with what the buyer values.
    pub alignment: f64,
    /// Risk support received from sales.
    pub risk_support: f64,
    /// Own journey draws (stage at capture, segment, fit, value, dwell, stall).
    pub journey_rng: BuyerRng,
    /// Marketing's view of the buyer (score noise, hand raising).
    pub marketing_rng: BuyerRng,
    /// Responses to sales touches.
    pub sales_rng: BuyerRng,
    /// Epoch of the pending stage-advance event.
    pub journey_epoch: u32,
    /// Epoch of the pending marketing touchpoint or delayed handoff.
    pub marketing_epoch: u32,
    /// Epoch of the pending sales touch.
    pub sales_epoch: u32,
    /// Current stage.
    pub stage: u8,
    /// Segment index.
    pub segment: u8,
    /// Channel index.
    pub channel: u8,
    /// Unwelcome touches in a row.
    pub unanswered: u8,
    /// Who owns the relationship.
    pub owner: Owner,
    /// Whether the account is a real prospect.
    pub fit: bool,
    /// Whether the lead was captured in the measurement window.
    pub in_cohort: bool,
    /// Whether the buyer has ever welcomed a sales touch.
    pub engaged: bool,
    /// Whether that happened by the end of the framing stage: we helped the
    /// buyer frame its requirements.
    pub framed: bool,
    /// Whether the buyer raised a hand that no conversation has answered
    /// yet.
    pub raise_pending: bool,
    /// Whether the buyer has said "not now" in its current stage: its answer
    /// stands until its situation changes (it enters another stage), so
    /// pushing on only builds resistance.
    pub declined: bool,
    /// Whether marketing holds the lead after sales recycled it, and the
    /// handoff policy does not apply to it until it is released.
    pub held: bool,
    /// Whether the current handoff has had its first touch.
    pub first_touch_done: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_buyer_record_is_as_small_as_the_performance_guide_says() {
        // docs/performance.md quotes this size; a replication keeps every
        // buyer it has seen, so it is the engine's working set per buyer.
        assert_eq!(std::mem::size_of::<super::Buyer>(), 120);
    }
}
