//! Lead sources (marketing channels).

pub use crate::model::scenario::spec::ChannelKind;

use crate::sim::rng::uniform;

/// How a channel's leads arrive.
#[derive(Clone, Debug)]
pub enum Arrivals {
    /// Poisson process with this many leads per day.
    Poisson {
        /// Mean leads per day (> 0).
        leads_per_day: f64,
    },
    /// Dated bursts, already expanded over the whole simulated period.
    Bursts(Vec<Burst>),
}

/// One dated burst of leads.
#[derive(Clone, Copy, Debug)]
pub struct Burst {
    /// Start day (from the start of the simulation).
    pub day: f64,
    /// Mean number of leads (Poisson count).
    pub mean_leads: f64,
    /// Leads are spread uniformly over this many days.
    pub duration_days: f64,
    /// What the burst stands for.
    pub kind: BurstKind,
}

/// What a [`Burst`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BurstKind {
    /// A dated event (a trade show): a Poisson count of leads, and the
    /// channel's `per_event` spend.
    Event,
    /// A period of a scheduled rate: a Poisson count of leads, no event.
    Period,
    /// A replayed date: exactly `mean_leads` leads, no event.
    Date,
}

/// What a channel costs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Spend {
    /// Fixed spend per year, accrued pro rata over the window.
    pub fixed_per_year: f64,
    /// Spend per captured lead.
    pub per_lead: f64,
    /// Spend per burst event.
    pub per_event: f64,
}

/// A validated lead source.
#[derive(Clone, Debug)]
pub struct Channel {
    /// Unique name.
    pub name: String,
    /// What kind of source it is.
    pub kind: ChannelKind,
    /// Arrival process.
    pub arrivals: Arrivals,
    /// Spend model.
    pub spend: Spend,
    /// Probability that a lead is a real prospect.
    pub fit: f64,
    /// Stage at capture, by stage index.
    pub stage_mix: Categorical,
    /// Segment of the buyer, by segment index.
    pub segment_mix: Categorical,
    /// Whether its leads asked to be contacted when captured.
    pub hand_raisers: bool,
}

/// A distribution over categories `0..n`, drawn by inversion: one uniform
/// `u` in [0, 1) gives the first category whose cumulative probability is
/// above `u`.
#[derive(Clone, Debug, PartialEq)]
pub struct Categorical {
    /// Cumulative probabilities, summed in index order. From the last
    /// category with positive weight on they are exactly 1, so that category
    /// absorbs rounding (weights may sum to 1 ± 1e-6), and a category of zero
    /// weight is never drawn.
    cdf: Vec<f64>,
    /// The leading `cdf` entries that can be at or below a draw (the rest
    /// are 1), in blocks of [`BLOCK`] padded with 1s: the only ones
    /// [`Self::pick`] has to look at, in fixed-size blocks the compiler
    /// turns into a few vector compares.
    thresholds: Vec<[f64; BLOCK]>,
}

/// Block size of [`Categorical::pick`]'s comparisons.
const BLOCK: usize = 4;

impl Categorical {
    /// From non-negative weights that sum to about 1 (validated by the
    /// scenario loader).
    pub fn from_weights(weights: &[f64]) -> Self {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        let last = weights.iter().rposition(|&w| w > 0.0).unwrap_or(0);
        cdf[last..].fill(1.0);
        let thresholds = cdf[..last]
            .chunks(BLOCK)
            .map(|below| {
                let mut block = [1.0; BLOCK];
                block[..below.len()].copy_from_slice(below);
                block
            })
            .collect();
        Self { cdf, thresholds }
    }

    /// The category for a uniform draw `u` in [0, 1).
    #[inline]
    pub fn pick(&self, u: f64) -> usize {
        // The first entry above `u` of a non-decreasing cdf is at the count of
        // entries at or below it. Counting is branch-free; a scan that stops
        // at the first match mispredicts on most draws. Only the entries
        // below 1 can count, which keeps this short (zero entries for a
        // single category): it is on every capture.
        self.thresholds
            .iter()
            .map(|block| block.iter().map(|&c| usize::from(c <= u)).sum::<usize>())
            .sum()
    }

    /// The category of a uniform draw from `rng` ([`Self::pick`]); with a
    /// single possible category the draw is still taken, so the stream
    /// stays aligned, but its arithmetic is skipped.
    #[inline]
    pub fn draw<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> usize {
        if self.thresholds.is_empty() {
            rng.next_u64();
            0
        } else {
            self.pick(uniform(rng))
        }
    }

    /// The probability of each category.
    pub fn probabilities(&self) -> Vec<f64> {
        let mut prev = 0.0;
        self.cdf
            .iter()
            .map(|&x| x - std::mem::replace(&mut prev, x))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_is_the_first_category_above_the_draw() {
        let weights: [&[f64]; 5] = [
            &[1.0],
            &[0.3, 0.3, 0.2, 0.2],
            &[0.0, 0.5, 0.0, 0.5],
            &[0.2, 0.0, 0.7999999999999998],
            &[0.3, 0.3, 0.2, 0.2, 0.0, 0.0, 0.0],
        ];
        for w in weights {
            let mix = Categorical::from_weights(w);
            let mut acc = 0.0;
            let cdf: Vec<f64> = w
                .iter()
                .map(|x| {
                    acc += x;
                    acc
                })
                .collect();
            for i in 0..1000 {
                let u = i as f64 / 1000.0;
                let scan = cdf.iter().position(|&c| u < c).unwrap();
                assert_eq!(mix.pick(u), scan, "{w:?} at {u}");
            }
            // Rounding goes to the last category with positive weight,
            // never to one of zero weight.
            let last = w.iter().rposition(|&x| x > 0.0).unwrap();
            assert_eq!(mix.pick(0.999_999_999_999_999_9), last, "{w:?}");
            let p = mix.probabilities();
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
            for (pi, wi) in p.iter().zip(w) {
                assert_eq!(*wi == 0.0, *pi == 0.0, "{w:?}");
            }
        }
    }
}
