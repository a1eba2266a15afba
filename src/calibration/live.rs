//! Calibration with the policy mechanisms live: the company's current
//! policy (given as the scenario's own keys) stays in force, and the few
//! levels stage history cannot separate from it are fitted so that the
//! simulated history reproduces the real one. What-ifs then start from the
//! company as it is, and still respond to policy.
//!
//! # Method
//! Simulation-based calibration by the method of simulated moments, one
//! moment per intercept (an exactly identified system):
//!
//! | intercept | moves | matched to |
//! | --- | --- | --- |
//! | `stall_scale`: every fitted stall probability × k (capped at 1) | how many buyers leave the journey early | opportunities that reached the last stage |
//! | `dwell_scale`: every fitted mean dwell × d | the pace of the journey | mean cycle time of won deals |
//! | `decision.base_us` | the final choice | deals won |
//!
//! The history's stalls include buyers that sales drove away, and its
//! dwell times the pace sales set; with the mechanisms live the model adds
//! those effects itself, so the buyer's own stall and pace must be smaller
//! or larger than the neutral fit — by an amount only the simulation can
//! tell. Each simulated moment is monotone in its intercept, so each is
//! solved by bisection. Stalls and pace are coupled (in a window as short
//! as a history, slower stays leave fewer buyers at the last stage by the
//! as-of time), so they are solved nested: for each pace, the stalls that
//! match the reach; then the pace whose cycle matches. The utility of
//! choosing us, which barely moves either, comes last. Every evaluation
//! uses the same seed (common random numbers), which makes the simulated
//! moments deterministic functions of the intercepts and the bisection
//! exact for them. The result is then judged by the ordinary fit check on
//! independent replications (another seed), and a fit whose figures do not
//! match, or whose levels end at the edge of their ranges, says so.

use crate::calibration::estimate::Calibration;
use crate::model::scenario::spec::{DwellSpec, ScenarioSpec};
use crate::model::scenario::{Scenario, ScenarioError};
use crate::sim::engine::{self, RunObserver};

/// The levels the live fit moves, relative to the neutral fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Intercepts {
    /// Multiplies every stage's fitted stall probability (capped at 1).
    pub stall_scale: f64,
    /// Multiplies every stage's fitted mean dwell.
    pub dwell_scale: f64,
    /// `decision.base_us`.
    pub base_us: f64,
}

impl Intercepts {
    /// The neutral fit: fitted stalls and dwell as they are, and the
    /// utility of choosing us the log of the won share.
    pub fn neutral(cal: &Calibration) -> Self {
        Self {
            stall_scale: 1.0,
            dwell_scale: 1.0,
            base_us: cal.decision.won.value.max(1e-12).ln(),
        }
    }

    /// `base` (whose stalls and dwell are the neutral fit's) with these
    /// intercepts.
    pub fn apply(&self, base: &ScenarioSpec) -> ScenarioSpec {
        let mut spec = base.clone();
        for st in &mut spec.stages {
            st.stall_probability = (st.stall_probability * self.stall_scale).min(1.0);
            match &mut st.dwell {
                DwellSpec::Exponential { mean_days }
                | DwellSpec::Gamma { mean_days, .. }
                | DwellSpec::Lognormal { mean_days, .. } => *mean_days *= self.dwell_scale,
            }
        }
        spec.decision.base_us = self.base_us;
        spec
    }
}

/// The result of a live fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiveFit {
    /// The fitted intercepts.
    pub intercepts: Intercepts,
    /// Simulated against observed: deals won.
    pub won: (f64, f64),
    /// Simulated against observed: opportunities that reached the last stage.
    pub reached_last: (f64, f64),
    /// Simulated against observed: mean cycle days of won deals (observed
    /// `NaN` when no won deal has a close time; the dwell is then kept).
    pub cycle_days: (f64, f64),
    /// Scenario runs the fit took.
    pub runs: usize,
    /// Whether every matched figure is within 5% of the history's and no
    /// intercept ended at the edge of its range: when not, the current
    /// policy cannot reproduce the history with these levels alone.
    pub converged: bool,
}

/// Bisection steps per intercept: the bracket shrinks 2⁻¹⁰.
const STEPS: usize = 10;
/// Rounds of the whole solve; a second only when the first's figures do
/// not match.
const ROUNDS: usize = 2;
/// The most scenario runs a fit takes (for progress bars).
pub const MAX_RUNS: usize = ROUNDS * (STEPS * (STEPS + 1) + STEPS + STEPS + 1);

/// Fits the intercepts so that `base` — the live scenario over the
/// history's window (see [`crate::calibration::estimate::check_scenario`]),
/// with the neutral fit's stalls and dwell — reproduces `cal`'s history.
/// `observer` may cancel (the result is then whatever was reached).
///
/// # Errors
/// A scenario the intercepts make invalid (not expected: they stay in
/// range by construction).
pub fn fit(
    base: &ScenarioSpec,
    cal: &Calibration,
    observer: &dyn RunObserver,
) -> Result<LiveFit, ScenarioError> {
    let last = cal.stages.last().map_or(String::new(), |s| s.name.clone());
    let target_reached = *cal.observed.reached.last().unwrap_or(&0) as f64;
    let target_won = cal.observed.won as f64;
    let target_cycle = cal.observed.cycle_days.unwrap_or(f64::NAN);
    let runs = std::cell::Cell::new(0);
    let simulate = |x: &Intercepts| -> Result<(f64, f64, f64), ScenarioError> {
        runs.set(runs.get() + 1);
        let s = Scenario::from_spec(x.apply(base))?;
        let r = engine::run_detailed(&s, observer, engine::Rows::Drop, engine::Detail::Estimates);
        let mean = |m: &str| r.estimate(m).and_then(|e| e.mean).unwrap_or(f64::NAN);
        Ok((mean("won"), mean(&format!("reached.{last}")), mean("cycle_days")))
    };
    let mut x = Intercepts::neutral(cal);
    // Brackets: stalls from none to three times the neutral fit's, pace
    // from five times faster to five times slower (on a log scale), and a
    // utility shift of ±12 around the neutral one (a factor e¹² in odds).
    let (k_lo, k_hi) = (0.0, 3.0);
    let (d_lo, d_hi) = (-(5f64.ln()), 5f64.ln());
    let (b_lo, b_hi) = (x.base_us - 12.0, x.base_us + 12.0);
    let mut figures = (f64::NAN, f64::NAN, f64::NAN);
    for _ in 0..ROUNDS {
        if observer.cancelled() {
            break;
        }
        // Stalls and pace are coupled in a window as short as a history:
        // slower stays leave fewer buyers at the last stage by the as-of
        // time, as more stalls do. So they are solved together: for each
        // pace, the stalls that reproduce the reach (fewer buyers reach
        // the last stage as stalls grow); then the pace at which the won
        // deals' cycle is the history's (cycles lengthen as dwell does).
        let stalls_for = |d: f64, x: &Intercepts| {
            bisect(k_lo, k_hi, |k| {
                Ok(simulate(&Intercepts {
                    stall_scale: k,
                    dwell_scale: d,
                    ..*x
                })?
                .1 < target_reached)
            })
        };
        if target_cycle.is_finite() {
            let mut cycle_past = |ln_d: f64| -> Result<bool, ScenarioError> {
                let d = ln_d.exp();
                let k = stalls_for(d, &x)?;
                Ok(simulate(&Intercepts {
                    stall_scale: k,
                    dwell_scale: d,
                    ..x
                })?
                .2 > target_cycle)
            };
            let ln_d = bisect(d_lo, d_hi, &mut cycle_past)?;
            x.dwell_scale = ln_d.exp();
        }
        x.stall_scale = stalls_for(x.dwell_scale, &x)?;
        // More deals are won as the utility of choosing us grows; it
        // barely moves reach or pace, so one more round settles them.
        x.base_us = bisect(b_lo, b_hi, |b| {
            Ok(simulate(&Intercepts { base_us: b, ..x })?.0 > target_won)
        })?;
        figures = simulate(&x)?;
        if matched(figures.0, target_won) && matched(figures.1, target_reached) {
            break;
        }
    }
    let (won, reached, cycle) = figures;
    let width = |lo: f64, hi: f64| 2.0 * (hi - lo) / f64::from(1u32 << STEPS);
    let inside = |v: f64, lo: f64, hi: f64| v - lo > width(lo, hi) && hi - v > width(lo, hi);
    let converged = matched(won, target_won)
        && matched(reached, target_reached)
        && (!target_cycle.is_finite() || matched(cycle, target_cycle))
        && inside(x.stall_scale, k_lo, k_hi)
        && inside(x.base_us, b_lo, b_hi)
        && (!target_cycle.is_finite() || inside(x.dwell_scale.ln(), d_lo, d_hi));
    Ok(LiveFit {
        intercepts: x,
        won: (won, target_won),
        reached_last: (reached, target_reached),
        cycle_days: (cycle, target_cycle),
        runs: runs.get(),
        converged,
    })
}

/// The seed of the fit's own replications, derived from the fit check's
/// `seed` so that the check judges the fit on replications it never saw.
pub fn fit_seed(seed: u64) -> u64 {
    // "live fit" in ASCII: any fixed, documented difference will do.
    seed ^ 0x6c69_7665_2066_6974
}

/// Whether a simulated figure matches the history's: within 5% (and half
/// a deal, for small counts). The moments are means over the fit's
/// replications, so closer than that is noise the fit check judges.
fn matched(simulated: f64, observed: f64) -> bool {
    (simulated - observed).abs() <= (0.05 * observed.abs()).max(0.5)
}

/// The point of `[lo, hi]` where `past(x)` turns true, for a `past` that
/// is false below it and true above (within [`STEPS`] halvings); an end of
/// the bracket when `past` is true or false everywhere.
fn bisect(
    mut lo: f64,
    mut hi: f64,
    mut past: impl FnMut(f64) -> Result<bool, ScenarioError>,
) -> Result<f64, ScenarioError> {
    for _ in 0..STEPS {
        let mid = 0.5 * (lo + hi);
        if past(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::bisect;

    #[test]
    fn bisection_finds_where_a_monotone_test_turns() {
        let x = bisect(0.0, 8.0, |x| Ok(x * x > 2.0)).unwrap();
        assert!((x - 2f64.sqrt()).abs() < 8.0 / 1024.0, "{x}");
        assert!(bisect(0.0, 1.0, |_| Ok(true)).unwrap() < 1.0 / 1024.0);
    }
}
