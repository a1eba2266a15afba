//! The Kaplan–Meier (product-limit) estimate of how long stays last, and its
//! comparison with a fitted dwell curve.
//!
//! The fitted families (exponential, gamma, lognormal) are assumptions; the
//! Kaplan–Meier curve is not: it is the share of stays still going after
//! `t` days, estimated from the same spells with censored stays counted as
//! at risk until they were cut off, and nothing else assumed. Where the
//! fitted survival curve strays from the Kaplan–Meier curve by more than
//! its sampling error, the family does not describe the data there.

use crate::calibration::fit::{DwellFit, Family, Spell, Z95};
use statrs::function::erf::erfc;
use statrs::function::gamma::checked_gamma_ur;

/// The Kaplan–Meier curve just after one event time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The event time, days.
    pub days: f64,
    /// Stays still going just before it (ended or censored at or after it).
    pub at_risk: u64,
    /// Stays that ended at it.
    pub events: u64,
    /// Stays censored after the previous event time, up to and including
    /// this one (censored at a tie counts as at risk: it outlived the event).
    pub censored: u64,
    /// Share of stays still going just after it.
    pub survival: f64,
    /// Greenwood's standard error of `survival`.
    pub se: f64,
    /// Lower end of the 95% interval (log-log scale, so within 0 to 1).
    pub ci_low: f64,
    /// Upper end of the 95% interval.
    pub ci_high: f64,
}

/// The Kaplan–Meier estimate of a stage's dwell survival.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KaplanMeier {
    /// One step per distinct event time, in time order.
    pub steps: Vec<Step>,
    /// Stays used.
    pub n: u64,
    /// The longest stay, ended or censored: the curve is known up to here.
    pub last_days: f64,
}

/// The curve at one time: the estimate and its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    /// Share still going.
    pub survival: f64,
    /// Greenwood's standard error of `survival`.
    pub se: f64,
    /// Lower end of the 95% interval.
    pub ci_low: f64,
    /// Upper end of the 95% interval.
    pub ci_high: f64,
}

/// Before the first event nobody has left: survival 1, no uncertainty.
const START: Level = Level {
    survival: 1.0,
    se: 0.0,
    ci_low: 1.0,
    ci_high: 1.0,
};

impl Step {
    fn level(&self) -> Level {
        Level {
            survival: self.survival,
            se: self.se,
            ci_low: self.ci_low,
            ci_high: self.ci_high,
        }
    }
}

impl KaplanMeier {
    /// The product-limit estimate from `spells`: at each distinct event time
    /// `t`, `S(t) = S(t−) · (1 − d/n)` with `d` stays ending at `t` and `n`
    /// at risk. The variance is Greenwood's, `S² Σ d / (n (n − d))`; the 95%
    /// interval is taken on the `ln(−ln S)` scale, which keeps it inside 0
    /// to 1 and is better behaved than `S ± 1.96 se` in the tails.
    pub fn new(spells: &[Spell]) -> Self {
        let mut sorted: Vec<Spell> = spells.to_vec();
        // At a tie an event comes before a censoring: the censored stay was
        // still at risk when the other ended.
        sorted.sort_by(|a, b| a.days.total_cmp(&b.days).then(a.censored.cmp(&b.censored)));
        let n = sorted.len() as u64;
        let last_days = sorted.last().map_or(0.0, |s| s.days);
        let mut steps = Vec::new();
        let (mut at_risk, mut survival, mut greenwood, mut censored) = (n, 1.0f64, 0.0f64, 0u64);
        let mut i = 0;
        while i < sorted.len() {
            let t = sorted[i].days;
            let (mut d, mut c) = (0u64, 0u64);
            while i < sorted.len() && sorted[i].days == t {
                if sorted[i].censored {
                    c += 1;
                } else {
                    d += 1;
                }
                i += 1;
            }
            censored += c;
            if d > 0 {
                let (nf, df) = (at_risk as f64, d as f64);
                survival *= 1.0 - df / nf;
                greenwood += if d < at_risk {
                    df / (nf * (nf - df))
                } else {
                    f64::INFINITY
                };
                let (ci_low, ci_high) = log_log_interval(survival, greenwood);
                steps.push(Step {
                    days: t,
                    at_risk,
                    events: d,
                    censored,
                    survival,
                    se: if survival > 0.0 {
                        survival * greenwood.sqrt()
                    } else {
                        0.0
                    },
                    ci_low,
                    ci_high,
                });
                censored = 0;
            }
            at_risk -= d + c;
        }
        Self { steps, n, last_days }
    }

    /// The curve at `days` (right-continuous: events at `days` have
    /// happened).
    pub fn at(&self, days: f64) -> Level {
        let k = self.steps.partition_point(|s| s.days <= days);
        if k == 0 { START } else { self.steps[k - 1].level() }
    }

    /// The first event time by which the share still going has fallen to
    /// `share` or below, e.g. the median stay for 0.5; `None` if the curve
    /// never gets that low (too much of the stage is still open).
    pub fn time_to(&self, share: f64) -> Option<f64> {
        self.steps.iter().find(|s| s.survival <= share).map(|s| s.days)
    }
}

/// The 95% interval of a Kaplan–Meier value `s` with Greenwood sum `g`
/// (the variance of `ln S`), on the log-log scale.
fn log_log_interval(s: f64, g: f64) -> (f64, f64) {
    if s <= 0.0 || !g.is_finite() {
        return (0.0, s.max(0.0));
    }
    if s >= 1.0 {
        return (1.0, 1.0);
    }
    let se = g.sqrt() / s.ln().abs();
    (s.powf((Z95 * se).exp()), s.powf((-Z95 * se).exp()))
}

impl DwellFit {
    /// The fitted share of stays lasting longer than `days`.
    pub fn survival(&self, days: f64) -> f64 {
        if days <= 0.0 {
            return 1.0;
        }
        let m = self.mean_days.value;
        let shape = self.shape.map_or(1.0, |p| p.value);
        match self.family {
            Family::Exponential => (-days / m).exp(),
            Family::Gamma => checked_gamma_ur(shape, days * shape / m).unwrap_or(f64::NAN),
            Family::Lognormal => {
                let mu = m.ln() - shape * shape / 2.0;
                0.5 * erfc((days.ln() - mu) / (shape * std::f64::consts::SQRT_2))
            }
        }
    }
}

/// The Kaplan–Meier curve and a fitted one side by side at one time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Days into the stay.
    pub days: f64,
    /// The Kaplan–Meier estimate there (for a gap just before a step, the
    /// value before it).
    pub km: Level,
    /// The fitted curve's share still going.
    pub fitted: f64,
}

/// A fitted curve departs from the Kaplan–Meier curve where they differ by
/// more than this many of its standard errors. Not the 95% band's 1.96:
/// the largest of many gaps is looked at, and a pointwise 5% chance taken
/// at every step would flag a right family most of the time; 3 is also the
/// fit check's line ([`crate::calibration::estimate::POOR_FIT_Z`]).
pub const DEPART_Z: f64 = 3.0;

impl Point {
    /// Whether the fitted curve is more than [`DEPART_Z`] standard errors
    /// from the Kaplan–Meier curve here (never where the Kaplan–Meier
    /// value has no spread: before the first event, or at 0).
    pub fn departs(&self) -> bool {
        self.km.se > 0.0 && self.gap().abs() > DEPART_Z * self.km.se
    }

    /// Fitted minus Kaplan–Meier.
    pub fn gap(&self) -> f64 {
        self.fitted - self.km.survival
    }
}

/// Shares of stays ended at which the curves are compared: the Kaplan–Meier
/// quartiles of the stay.
pub const QUARTILES: [f64; 3] = [0.75, 0.5, 0.25];

/// A fitted dwell curve against the Kaplan–Meier curve of its spells.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// At the Kaplan–Meier quartiles ([`QUARTILES`] still going), those
    /// the curve reaches.
    pub quartiles: Vec<Point>,
    /// Where the curves are furthest apart, over the time the Kaplan–Meier
    /// curve covers (`None` without an event).
    pub largest_gap: Option<Point>,
}

/// Compares `fit` with `km` at the quartiles and where they differ most.
/// The supremum of `|fitted − KM|` over a step function and a continuous
/// decreasing curve lies at a step, on one side of it, or at the end of the
/// curve, so those are the only times looked at.
pub fn compare(km: &KaplanMeier, fit: &DwellFit) -> Comparison {
    let quartiles = QUARTILES
        .iter()
        .filter_map(|&q| km.time_to(q))
        .map(|days| Point {
            days,
            km: km.at(days),
            fitted: fit.survival(days),
        })
        .collect();
    let mut before = START;
    let mut candidates = Vec::with_capacity(2 * km.steps.len() + 1);
    for s in &km.steps {
        let fitted = fit.survival(s.days);
        candidates.push(Point {
            days: s.days,
            km: before,
            fitted,
        });
        candidates.push(Point {
            days: s.days,
            km: s.level(),
            fitted,
        });
        before = s.level();
    }
    if !km.steps.is_empty() && km.last_days > km.steps[km.steps.len() - 1].days {
        candidates.push(Point {
            days: km.last_days,
            km: before,
            fitted: fit.survival(km.last_days),
        });
    }
    let largest_gap = candidates
        .into_iter()
        .filter(|p| p.fitted.is_finite())
        .max_by(|a, b| a.gap().abs().total_cmp(&b.gap().abs()));
    Comparison {
        quartiles,
        largest_gap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::fit::{Positive, fit_dwell};

    fn spell(days: f64, censored: bool) -> Spell {
        Spell { days, censored }
    }

    /// A textbook example worked by hand: stays of 1, 2, 2, 3+, 4, 5+ days
    /// (+ = censored).
    ///
    /// | t | at risk | ended | S                     | Greenwood Σ d/(n(n−d))   |
    /// |---|---------|-------|-----------------------|--------------------------|
    /// | 1 | 6       | 1     | 5/6                   | 1/30                     |
    /// | 2 | 5       | 2     | 5/6 · 3/5 = 1/2       | 1/30 + 2/15 = 1/6        |
    /// | 4 | 2       | 1     | 1/2 · 1/2 = 1/4       | 1/6 + 1/2 = 2/3          |
    #[test]
    fn a_hand_worked_example_with_censoring() {
        let spells = [
            spell(2.0, false),
            spell(1.0, false),
            spell(3.0, true),
            spell(2.0, false),
            spell(5.0, true),
            spell(4.0, false),
        ];
        let km = KaplanMeier::new(&spells);
        assert_eq!((km.n, km.last_days), (6, 5.0));
        let got: Vec<(f64, u64, u64, u64)> = km
            .steps
            .iter()
            .map(|s| (s.days, s.at_risk, s.events, s.censored))
            .collect();
        assert_eq!(got, vec![(1.0, 6, 1, 0), (2.0, 5, 2, 0), (4.0, 2, 1, 1)]);
        let expected = [(5.0 / 6.0, 1.0 / 30.0), (0.5, 1.0 / 6.0), (0.25, 2.0 / 3.0)];
        for (s, (surv, g)) in km.steps.iter().zip(expected) {
            assert!((s.survival - surv).abs() < 1e-12, "{s:?}");
            assert!((s.se - surv * f64::sqrt(g)).abs() < 1e-12, "{s:?}");
            // log-log interval: S^exp(±z·√g/|ln S|).
            let w = Z95 * g.sqrt() / surv.ln().abs();
            assert!((s.ci_low - surv.powf(w.exp())).abs() < 1e-12, "{s:?}");
            assert!((s.ci_high - surv.powf((-w).exp())).abs() < 1e-12, "{s:?}");
            assert!(s.ci_low < s.survival && s.survival < s.ci_high);
        }
        assert_eq!(km.at(0.5).survival, 1.0);
        assert_eq!(km.at(2.0).survival, 0.5);
        assert_eq!(km.at(3.9).survival, 0.5);
        assert_eq!(km.at(100.0).survival, 0.25);
        assert_eq!(km.time_to(0.75), Some(2.0));
        assert_eq!(km.time_to(0.5), Some(2.0));
        assert_eq!(km.time_to(0.25), Some(4.0));
        assert_eq!(km.time_to(0.1), None);
    }

    #[test]
    fn a_censoring_tied_with_an_event_is_at_risk_at_it() {
        let km = KaplanMeier::new(&[spell(1.0, true), spell(1.0, false), spell(2.0, false)]);
        assert_eq!(km.steps[0].at_risk, 3);
        assert!((km.steps[0].survival - 2.0 / 3.0).abs() < 1e-12);
        // The last one at risk ends: the curve reaches 0.
        assert_eq!(km.steps[1].survival, 0.0);
        assert_eq!((km.steps[1].ci_low, km.steps[1].ci_high), (0.0, 0.0));
    }

    #[test]
    fn no_events_no_steps() {
        let km = KaplanMeier::new(&[spell(3.0, true)]);
        assert!(km.steps.is_empty());
        assert_eq!(km.at(10.0).survival, 1.0);
        assert_eq!(KaplanMeier::new(&[]).n, 0);
    }

    fn fit(family: Family, mean: f64, shape: Option<f64>) -> DwellFit {
        let p = |v: f64| Positive {
            value: v,
            se: 0.0,
            ci_low: v,
            ci_high: v,
        };
        DwellFit {
            family,
            mean_days: p(mean),
            shape: shape.map(p),
            log_likelihood: 0.0,
            aic: 0.0,
        }
    }

    #[test]
    fn fitted_survival_of_each_family() {
        let e = fit(Family::Exponential, 10.0, None);
        assert!((e.survival(10.0) - (-1.0f64).exp()).abs() < 1e-12);
        // Gamma with shape 1 is the exponential.
        let g = fit(Family::Gamma, 10.0, Some(1.0));
        assert!((g.survival(7.0) - (-0.7f64).exp()).abs() < 1e-9);
        // Gamma with shape 2: S(t) = (1 + t/θ) e^{−t/θ}, θ = mean / 2.
        let g2 = fit(Family::Gamma, 10.0, Some(2.0));
        assert!((g2.survival(5.0) - 2.0 * (-1.0f64).exp()).abs() < 1e-9);
        // A lognormal's median is exp(mu) = mean · exp(−σ²/2).
        let l = fit(Family::Lognormal, 10.0, Some(0.8));
        assert!((l.survival(10.0 * (-0.32f64).exp()) - 0.5).abs() < 1e-12);
        assert_eq!(l.survival(0.0), 1.0);
    }

    #[test]
    fn a_right_fit_stays_in_the_band_and_a_wrong_one_leaves_it() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Gamma};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let g = Gamma::new(4.0, 2.5).unwrap();
        let spells: Vec<Spell> = (0..2000)
            .map(|_| {
                let d: f64 = g.sample(&mut rng);
                spell(d.min(15.0), d > 15.0)
            })
            .collect();
        let km = KaplanMeier::new(&spells);
        let fits = fit_dwell(&spells).unwrap();
        let right = fits.fits.iter().find(|f| f.family == Family::Gamma).unwrap();
        let c = compare(&km, right);
        assert_eq!(c.quartiles.len(), 3, "the curve reaches its quartiles");
        assert!(c.quartiles.iter().all(|p| !p.departs()), "{c:?}");
        assert!(!c.largest_gap.unwrap().departs(), "{c:?}");
        let wrong = fits
            .fits
            .iter()
            .find(|f| f.family == Family::Exponential)
            .unwrap();
        let c = compare(&km, wrong);
        let gap = c.largest_gap.unwrap();
        assert!(gap.departs() && gap.gap().abs() > 0.1, "{gap:?}");
    }
}
