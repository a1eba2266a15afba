//! Lead sources (marketing channels).

pub use crate::scenario::spec::ChannelKind;

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
    /// Cumulative distribution of the stage at capture, by stage index.
    pub stage_cdf: Vec<f64>,
    /// Cumulative distribution of the segment, by segment index.
    pub segment_cdf: Vec<f64>,
}

/// Index into a cumulative distribution for a uniform draw `u` in [0, 1).
#[inline]
pub fn pick(cdf: &[f64], u: f64) -> usize {
    // The first entry above `u` of a non-decreasing cdf is at the count of
    // entries at or below it. Counting is branch-free; a scan that stops at
    // the first match mispredicts on most draws. Mixes are short, and the
    // last index absorbs rounding in the cdf.
    cdf.iter()
        .map(|&c| usize::from(c <= u))
        .sum::<usize>()
        .min(cdf.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_is_the_first_entry_above_the_draw() {
        let cdfs: [&[f64]; 4] = [
            &[1.0],
            &[0.3, 0.6, 0.8, 1.0],
            &[0.0, 0.5, 0.5, 1.0],
            &[0.2, 0.2, 0.9999999999999998],
        ];
        for cdf in cdfs {
            for i in 0..1000 {
                let u = i as f64 / 1000.0;
                let scan = cdf.iter().position(|&c| u < c).unwrap_or(cdf.len() - 1);
                assert_eq!(pick(cdf, u), scan, "{cdf:?} at {u}");
            }
            assert_eq!(pick(cdf, 0.999_999_999_999_999_9), cdf.len() - 1);
        }
    }
}
