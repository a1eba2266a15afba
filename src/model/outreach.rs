//! Sales outreach: the approach, the cadence, rep capacity, and how a touch
//! lands with the buyer.

pub use crate::model::scenario::spec::ApproachKind;
use crate::model::values::Values;

/// An outreach approach: what it offers on the five value dimensions and how
/// pushy it is.
#[derive(Clone, Debug)]
pub struct Approach {
    /// Which approach.
    pub kind: ApproachKind,
    /// Scores on the five value dimensions, each in [0, 1].
    pub scores: Values,
    /// Pushiness in [0, 1]: pushy approaches are welcome only when the buyer
    /// is ready (receptivity is raised to the power `0.5 + pushiness`).
    pub pushiness: f64,
}

impl Approach {
    /// The built-in profile of an approach, scored on (solves problem,
    /// educates, applies knowledge, forthright, minimises risk). The scores
    /// are stated assumptions in the spirit of The Challenger Sale, chosen
    /// so that no approach is best for every buyer: a features-and-benefits
    /// script is plain about what the product does and costs but teaches
    /// nothing; insight-led selling teaches and reframes the problem but
    /// asks the buyer to take the risk of change; consultative selling
    /// follows the buyer, helps apply what it learnt and lowers risk, and
    /// teaches little. Pushiness: scripts push hardest, consultative least.
    pub fn builtin(kind: ApproachKind) -> Self {
        let (scores, pushiness) = match kind {
            ApproachKind::Scripted => ([0.55, 0.10, 0.25, 0.90, 0.40], 0.6),
            ApproachKind::InsightLed => ([0.65, 0.95, 0.55, 0.45, 0.35], 0.5),
            ApproachKind::Consultative => ([0.55, 0.25, 0.85, 0.55, 0.75], 0.4),
        };
        Self {
            kind,
            scores: Values(scores),
            pushiness,
        }
    }

    /// Short name used in reports.
    pub fn name(&self) -> &'static str {
        match self.kind {
            ApproachKind::Scripted => "scripted",
            ApproachKind::InsightLed => "insight_led",
            ApproachKind::Consultative => "consultative",
        }
    }
}

/// Validated outreach settings.
#[derive(Clone, Debug)]
pub struct Outreach {
    /// The approach the scenario names (reports show it).
    pub approach: Approach,
    /// The approach reps use with each segment, by segment index: `approach`
    /// unless the scenario gives a segment its own.
    pub by_segment: Vec<Approach>,
    /// Number of reps.
    pub reps: u32,
    /// Days of rep time one touch takes (1 / touches per rep per day).
    pub touch_duration_days: f64,
    /// Whether every touch starts when due (no capacity queue).
    pub unlimited_capacity: bool,
    /// Target delay from handoff to first touch when a rep is free.
    pub first_response_days: f64,
    /// Days between touches.
    pub touch_spacing_days: f64,
    /// Days between follow-ups with an engaged buyer.
    pub follow_up_every_days: f64,
    /// Probability that an attempt reaches the buyer.
    pub reach_probability: f64,
    /// Touches in a row without a welcome conversation before the lead is
    /// recycled to marketing.
    pub max_unanswered_touches: u32,
    /// Time constant of a hand-raiser's cooling, in days.
    pub cooling_days: f64,
    /// A hand-raiser's interest once cooled.
    pub stale_interest: f64,
    /// Cost per touch.
    pub cost_per_touch: f64,
    /// Cost per rep per day.
    pub cost_per_rep_day: f64,
}

impl Outreach {
    /// A hand-raiser's interest `wait` days after raising its hand:
    /// `stale + (1 − stale) × exp(−wait / cooling)`, 1 at once, falling
    /// within hours to the stale interest. Buyers who asked to be contacted
    /// are shopping now; whoever answers first gets the conversation
    /// (Oldroyd, McElheran & Elkington, HBR 2011).
    #[inline]
    pub fn interest(&self, wait: f64) -> f64 {
        self.stale_interest + (1.0 - self.stale_interest) * (-wait / self.cooling_days).exp()
    }
}

/// How buyers respond to sales touches.
#[derive(Clone, Debug)]
pub struct Response {
    /// Weight of value alignment in the welcome probability.
    pub alignment_weight: f64,
    /// Trust gained by a welcome touch (fraction of remaining, × alignment).
    pub trust_gain: f64,
    /// Resistance gained by an unwelcome touch (fraction of remaining, × pushiness).
    pub resistance_gain: f64,
    /// P(go dark | unwelcome) at zero resistance.
    pub go_dark_base: f64,
    /// Extra P(go dark | unwelcome) per unit of resistance.
    pub go_dark_per_resistance: f64,
    /// P(advance a stage at once | welcome) for an approach of pushiness
    /// 0.5; scaled by `0.5 + pushiness` (pushy approaches take control).
    pub advance_on_welcome: f64,
}

/// The factors of a conversation's welcome probability. Keeping them apart lets the
/// engine say *why* a touch was unwelcome: the smallest factor is the
/// proximate cause recorded in the blame ledger.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TouchFactors {
    /// Stage readiness: `receptivity^(0.5 + pushiness)`; 1 for the first
    /// conversation with a buyer who raised a hand (it asked for contact).
    pub readiness: f64,
    /// Value fit: `1 − alignment_weight × (1 − alignment)`.
    pub fit: f64,
    /// Speed to lead: a hand-raiser's [`Outreach::interest`] at the first
    /// conversation after it raised its hand; 1 otherwise (a cold lead had
    /// no interest to lose).
    pub warmth: f64,
    /// `1 − resistance`.
    pub openness: f64,
}

impl TouchFactors {
    /// Probability that the touch is welcome.
    #[inline]
    pub fn welcome_probability(&self) -> f64 {
        self.readiness * self.fit * self.warmth * self.openness
    }
}
