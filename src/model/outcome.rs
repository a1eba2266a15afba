//! How every buyer's story ends, and who is to blame for each loss.

use serde::Serialize;

/// The single outcome every lead ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Outcome {
    /// Bought from us.
    Won = 0,
    /// Bought from a competitor at the decision.
    LostCompetitor = 1,
    /// Chose the status quo or stalled out of the journey.
    NoDecision = 2,
    /// Stopped responding to us after an unwelcome touch.
    WentDark = 3,
    /// Not a real prospect (poor fit).
    Disqualified = 4,
    /// Still undecided when the run ended.
    Open = 5,
}

impl Outcome {
    /// All outcomes in reporting order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Won,
        Outcome::LostCompetitor,
        Outcome::NoDecision,
        Outcome::WentDark,
        Outcome::Disqualified,
        Outcome::Open,
    ];

    /// The proximate cause of a loss at the decision (`None` when won):
    /// the competitor won, or the buyer stayed with the status quo.
    pub fn decision_cause(self) -> Option<Cause> {
        match self {
            Outcome::LostCompetitor => Some(Cause::CompetitorWon),
            Outcome::NoDecision => Some(Cause::BuyerStalled),
            _ => None,
        }
    }

    /// Snake-case name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Won => "won",
            Outcome::LostCompetitor => "lost_competitor",
            Outcome::NoDecision => "no_decision",
            Outcome::WentDark => "went_dark",
            Outcome::Disqualified => "disqualified",
            Outcome::Open => "open",
        }
    }
}

/// The proximate cause of a lost deal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Cause {
    /// Went dark after an unwelcome touch whose main problem was that the
    /// buyer was still early in the journey (low receptivity).
    PrematureHandoff = 0,
    /// Went dark after an unwelcome touch whose main problem was that the
    /// approach did not match what the buyer values.
    ApproachMismatch = 1,
    /// Went dark after an unwelcome first conversation whose main problem was
    /// that a hand-raiser had cooled before sales answered.
    SlowResponse = 2,
    /// Disqualified: the source delivered an account that was never a prospect.
    PoorFitLead = 3,
    /// No decision: the buyer stalled or kept the status quo.
    BuyerStalled = 4,
    /// The buyer chose a competitor.
    CompetitorWon = 5,
    /// Went dark after sales pushed on past a "not now" in the same stage.
    PushedPastNo = 6,
}

/// Which side of the business a cause rolls up to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Lead sources, scoring and handoff timing.
    Marketing,
    /// Outreach approach, cadence and capacity.
    Sales,
    /// The buyer's own journey and choice.
    Buyer,
}

impl Side {
    /// All sides in reporting order.
    pub const ALL: [Side; 3] = [Side::Marketing, Side::Sales, Side::Buyer];

    /// Snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            Side::Marketing => "marketing",
            Side::Sales => "sales",
            Side::Buyer => "buyer",
        }
    }
}

impl Cause {
    /// All causes in reporting order.
    pub const ALL: [Cause; 7] = [
        Cause::PrematureHandoff,
        Cause::ApproachMismatch,
        Cause::SlowResponse,
        Cause::PushedPastNo,
        Cause::PoorFitLead,
        Cause::BuyerStalled,
        Cause::CompetitorWon,
    ];

    /// Snake-case name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Cause::PrematureHandoff => "premature_handoff",
            Cause::ApproachMismatch => "approach_mismatch",
            Cause::SlowResponse => "slow_response",
            Cause::PushedPastNo => "pushed_past_no",
            Cause::PoorFitLead => "poor_fit_lead",
            Cause::BuyerStalled => "buyer_stalled",
            Cause::CompetitorWon => "competitor_won",
        }
    }

    /// The side the cause rolls up to. Handoff timing and lead quality are
    /// marketing's decisions; approach, response time and persistence are
    /// sales'; stalls and a competitor's win are the buyer's own choices.
    pub fn side(self) -> Side {
        match self {
            Cause::PrematureHandoff | Cause::PoorFitLead => Side::Marketing,
            Cause::ApproachMismatch | Cause::SlowResponse | Cause::PushedPastNo => Side::Sales,
            Cause::BuyerStalled | Cause::CompetitorWon => Side::Buyer,
        }
    }
}
