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
    /// The built-in profile of an approach. Scores are stated assumptions in
    /// the spirit of The Challenger Sale: a features-and-benefits script does
    /// little beyond describing the product; insight-led selling teaches and
    /// tailors; consultative selling follows the buyer and is forthright.
    pub fn builtin(kind: ApproachKind) -> Self {
        let (scores, pushiness) = match kind {
            ApproachKind::Scripted => ([0.30, 0.10, 0.10, 0.25, 0.20], 0.8),
            ApproachKind::InsightLed => ([0.80, 0.90, 0.70, 0.60, 0.50], 0.5),
            ApproachKind::Consultative => ([0.70, 0.50, 0.80, 0.80, 0.70], 0.2),
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
    /// The approach every rep uses.
    pub approach: Approach,
    /// Number of reps.
    pub reps: u32,
    /// Days of rep time one touch takes (1 / touches per rep per day).
    pub touch_duration_days: f64,
    /// Target delay from handoff to first touch when a rep is free.
    pub first_response_days: f64,
    /// Days between touches.
    pub touch_spacing_days: f64,
    /// Days between follow-ups with an engaged buyer.
    pub follow_up_every_days: f64,
    /// Unwelcome touches in a row before the lead is recycled to marketing.
    pub max_unanswered_touches: u32,
    /// Speed-to-lead decay time constant in days.
    pub cold_after_days: f64,
    /// Cost per touch.
    pub cost_per_touch: f64,
    /// Cost per rep per day.
    pub cost_per_rep_day: f64,
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
    /// P(advance a stage at once | welcome).
    pub advance_on_welcome: f64,
}

/// The factors of a touch's welcome probability. Keeping them apart lets the
/// engine say *why* a touch was unwelcome: the smallest factor is the
/// proximate cause recorded in the blame ledger.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TouchFactors {
    /// Stage readiness: `receptivity^(0.5 + pushiness)`.
    pub readiness: f64,
    /// Value fit: `1 − alignment_weight × (1 − alignment)`.
    pub fit: f64,
    /// Speed-to-lead: `exp(−wait / cold_after_days)`.
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
