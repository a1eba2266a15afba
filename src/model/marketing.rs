//! Marketing's side of a lead: nurture and noisy lead scoring.

use crate::model::values::Values;

/// Validated marketing settings.
#[derive(Clone, Debug)]
pub struct Marketing {
    /// Days between touchpoints (nurture touch + score reading).
    pub touch_every_days: f64,
    /// Whether nurture content is sent at each touchpoint.
    pub nurture: bool,
    /// Scores of the nurture content on the five value dimensions.
    pub content: Values,
    /// Cost per nurture touch.
    pub cost_per_touch: f64,
    /// Trust a fully aligned nurture touch adds (fraction of remaining).
    pub trust_gain: f64,
    /// Dwell is divided by `1 + dwell_speedup × trust`.
    pub dwell_speedup: f64,
    /// Lead-score noise (score points).
    pub score_noise_sd: f64,
    /// Days a recycled lead stays with marketing before the handoff policy
    /// applies to it again.
    pub recycle_hold_days: f64,
    /// Whether marketing disqualifies poor-fit leads at capture, before they
    /// cost anything more (only the counterfactual "marketing perfect" world
    /// does; no scenario key sets it).
    pub screen_poor_fit: bool,
}

/// Highest lead score.
pub const MAX_SCORE: f64 = 100.0;

/// The noiseless part of a lead score: how far along the journey the buyer's
/// engagement suggests they are, on a 0–100 scale. Poor-fit accounts engage
/// half as much, which is the only hint scoring gets of fit.
#[inline]
pub fn score_signal(stage: usize, stages: usize, fit: bool) -> f64 {
    let progress = if stages > 1 {
        stage as f64 / (stages - 1) as f64
    } else {
        1.0
    };
    MAX_SCORE * progress * if fit { 1.0 } else { 0.5 }
}
