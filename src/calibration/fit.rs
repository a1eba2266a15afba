//! Maximum-likelihood fits used by calibration: dwell-time distributions
//! with right-censoring, proportions and Poisson rates, each with a standard
//! error and a 95% confidence interval.
//!
//! Dwell fits are parametrised by the **mean** and a shape parameter, the
//! way scenarios are written, so the estimate of `mean_days` and its
//! standard error come straight out of the fit whichever family wins.

use argmin::core::{CostFunction, Error as ArgminError, Executor};
use argmin::solver::neldermead::NelderMead;
use statrs::function::erf::erfc;
use statrs::function::gamma::{checked_gamma_ur, ln_gamma};

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// One dwell observation: time spent in a stage, and whether the stay was
/// cut short by the end of the history (still in the stage: right-censored).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spell {
    /// Days in the stage (> 0).
    pub days: f64,
    /// `true` if the buyer was still in the stage when the history ends.
    pub censored: bool,
}

/// A dwell-time family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Constant hazard; one parameter.
    Exponential,
    /// Gamma with shape `k`.
    Gamma,
    /// Lognormal with log-scale `sigma`.
    Lognormal,
}

impl Family {
    /// All families, in the order they are tried.
    pub const ALL: [Family; 3] = [Family::Exponential, Family::Gamma, Family::Lognormal];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Family::Exponential => "exponential",
            Family::Gamma => "gamma",
            Family::Lognormal => "lognormal",
        }
    }

    /// Free parameters.
    pub fn parameters(self) -> usize {
        match self {
            Family::Exponential => 1,
            _ => 2,
        }
    }

    /// Name of the shape parameter in scenario files, if any.
    pub fn shape_key(self) -> Option<&'static str> {
        match self {
            Family::Exponential => None,
            Family::Gamma => Some("shape"),
            Family::Lognormal => Some("sigma"),
        }
    }
}

/// A positive parameter estimated on the log scale: the interval is
/// `exp(ln θ̂ ± z·se(ln θ̂))`, which never goes below zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Positive {
    /// Point estimate.
    pub value: f64,
    /// Standard error of the estimate (delta method: value × se of its log).
    pub se: f64,
    /// Lower end of the 95% interval.
    pub ci_low: f64,
    /// Upper end of the 95% interval.
    pub ci_high: f64,
}

impl Positive {
    fn from_log(ln_value: f64, se_ln: f64) -> Self {
        let value = ln_value.exp();
        Self {
            value,
            se: value * se_ln,
            ci_low: (ln_value - Z95 * se_ln).exp(),
            ci_high: (ln_value + Z95 * se_ln).exp(),
        }
    }

    /// Whether `x` lies inside the 95% interval.
    pub fn covers(&self, x: f64) -> bool {
        self.ci_low <= x && x <= self.ci_high
    }
}

/// A fitted dwell distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DwellFit {
    /// The family.
    pub family: Family,
    /// Mean dwell in days.
    pub mean_days: Positive,
    /// Gamma shape or lognormal sigma (absent for the exponential).
    pub shape: Option<Positive>,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Akaike information criterion, `2p − 2 ln L` (smaller is better).
    pub aic: f64,
}

/// Dwell fits of every family for one stage, best (lowest AIC) first.
#[derive(Clone, Debug, PartialEq)]
pub struct DwellFits {
    /// Completed stays (events).
    pub events: usize,
    /// Censored stays.
    pub censored: usize,
    /// The fits that converged, sorted by AIC.
    pub fits: Vec<DwellFit>,
}

impl DwellFits {
    /// The chosen fit (lowest AIC).
    pub fn best(&self) -> &DwellFit {
        &self.fits[0]
    }

    /// AIC difference between the chosen fit and the runner-up (how clear the choice was).
    pub fn aic_margin(&self) -> Option<f64> {
        self.fits.get(1).map(|f| f.aic - self.fits[0].aic)
    }
}

/// Fits exponential, gamma and lognormal dwell distributions to `spells` by
/// maximum likelihood (censored stays contribute their survival
/// probability) and orders them by AIC. Returns `None` when there are no
/// completed stays, since then no mean can be estimated.
///
/// Families with a shape parameter need at least two completed stays of
/// different lengths; otherwise only the exponential is returned.
pub fn fit_dwell(spells: &[Spell]) -> Option<DwellFits> {
    let events = spells.iter().filter(|s| !s.censored).count();
    let censored = spells.len() - events;
    if events == 0 {
        return None;
    }
    let total: f64 = spells.iter().map(|s| s.days).sum();
    // Exponential: closed form. mean = total exposure / events.
    let mean = total / events as f64;
    let exp_ll = -(events as f64) * mean.ln() - total / mean;
    let mut fits = vec![DwellFit {
        family: Family::Exponential,
        mean_days: Positive::from_log(mean.ln(), 1.0 / (events as f64).sqrt()),
        shape: None,
        log_likelihood: exp_ll,
        aic: 2.0 - 2.0 * exp_ll,
    }];
    let logs: Vec<f64> = spells
        .iter()
        .filter(|s| !s.censored)
        .map(|s| s.days.ln())
        .collect();
    let ln_mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let ln_var = logs.iter().map(|l| (l - ln_mean).powi(2)).sum::<f64>() / logs.len() as f64;
    if events >= 2 && ln_var > 1e-12 {
        // Starting points from the uncensored stays.
        let sigma0 = ln_var.sqrt();
        let k0 = (1.0 / ln_var).clamp(0.05, 50.0);
        for (family, shape0) in [(Family::Gamma, k0), (Family::Lognormal, sigma0)] {
            if let Some(fit) = fit_two_parameter(family, spells, mean, shape0) {
                fits.push(fit);
            }
        }
    }
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    Some(DwellFits {
        events,
        censored,
        fits,
    })
}

/// Log-likelihood of `spells` under `family` with parameters
/// `(ln mean, ln shape)`.
pub fn log_likelihood(family: Family, spells: &[Spell], ln_mean: f64, ln_shape: f64) -> f64 {
    let (m, a) = (ln_mean.exp(), ln_shape.exp());
    let mut ll = 0.0;
    match family {
        Family::Exponential => {
            for s in spells {
                ll += if s.censored {
                    -s.days / m
                } else {
                    -m.ln() - s.days / m
                };
            }
        }
        Family::Gamma => {
            // shape k = a, scale θ = m / k.
            let theta = m / a;
            let norm = -ln_gamma(a) - a * theta.ln();
            for s in spells {
                ll += if s.censored {
                    checked_gamma_ur(a, s.days / theta).map_or(f64::NEG_INFINITY, f64::ln)
                } else {
                    norm + (a - 1.0) * s.days.ln() - s.days / theta
                };
            }
        }
        Family::Lognormal => {
            // sigma = a, mu chosen so the mean is m.
            let mu = ln_mean - a * a / 2.0;
            let norm = -a.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
            for s in spells {
                let z = (s.days.ln() - mu) / a;
                ll += if s.censored {
                    (0.5 * erfc(z / std::f64::consts::SQRT_2)).ln()
                } else {
                    norm - s.days.ln() - 0.5 * z * z
                };
            }
        }
    }
    if ll.is_nan() { f64::NEG_INFINITY } else { ll }
}

struct NegLogLikelihood<'a> {
    family: Family,
    spells: &'a [Spell],
}

impl CostFunction for NegLogLikelihood<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Self::Param) -> Result<f64, ArgminError> {
        // Keep the optimiser inside a sane box: shape and mean within
        // e^±12 of one day, where every special function is well behaved.
        if p.iter().any(|x| !x.is_finite() || x.abs() > 12.0) {
            return Ok(f64::INFINITY);
        }
        Ok(-log_likelihood(self.family, self.spells, p[0], p[1]))
    }
}

fn fit_two_parameter(family: Family, spells: &[Spell], mean0: f64, shape0: f64) -> Option<DwellFit> {
    let x0 = vec![mean0.ln(), shape0.ln()];
    let simplex = vec![x0.clone(), vec![x0[0] + 0.2, x0[1]], vec![x0[0], x0[1] + 0.3]];
    let solver = NelderMead::new(simplex).with_sd_tolerance(1e-12).ok()?;
    let problem = NegLogLikelihood { family, spells };
    let result = Executor::new(problem, solver)
        .configure(|state| state.max_iters(2_000))
        .run()
        .ok()?;
    let best = result.state.best_param?;
    let ll = -result.state.best_cost;
    if !ll.is_finite() {
        return None;
    }
    let cov = inverse_hessian(|p| -log_likelihood(family, spells, p[0], p[1]), &best)?;
    Some(DwellFit {
        family,
        mean_days: Positive::from_log(best[0], cov[0][0].sqrt()),
        shape: Some(Positive::from_log(best[1], cov[1][1].sqrt())),
        log_likelihood: ll,
        aic: 4.0 - 2.0 * ll,
    })
}

/// The inverse of the Hessian of `f` at `x` (two parameters), by central
/// differences: the asymptotic covariance of a maximum-likelihood estimate
/// when `f` is the negative log-likelihood. `None` if it is not positive
/// definite (the maximum is flat or not a maximum).
fn inverse_hessian(f: impl Fn(&[f64; 2]) -> f64, x: &[f64]) -> Option<[[f64; 2]; 2]> {
    let h = 1e-4;
    let at = |di: f64, dj: f64| f(&[x[0] + di, x[1] + dj]);
    let f0 = at(0.0, 0.0);
    let h00 = (at(h, 0.0) - 2.0 * f0 + at(-h, 0.0)) / (h * h);
    let h11 = (at(0.0, h) - 2.0 * f0 + at(0.0, -h)) / (h * h);
    let h01 = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4.0 * h * h);
    let det = h00 * h11 - h01 * h01;
    if !(h00 > 0.0 && det > 0.0 && det.is_finite()) {
        return None;
    }
    Some([[h11 / det, -h01 / det], [-h01 / det, h00 / det]])
}

/// A proportion `k / n` with its standard error and Wilson 95% interval
/// (which behaves near 0 and 1, unlike `p ± z·se`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Proportion {
    /// Successes.
    pub k: u64,
    /// Trials.
    pub n: u64,
    /// Point estimate `k / n` (0 when `n = 0`).
    pub value: f64,
    /// Standard error `sqrt(p(1−p)/n)`.
    pub se: f64,
    /// Lower end of the Wilson 95% interval.
    pub ci_low: f64,
    /// Upper end of the Wilson 95% interval.
    pub ci_high: f64,
}

impl Proportion {
    /// The estimate of a probability from `k` successes in `n` trials.
    pub fn new(k: u64, n: u64) -> Self {
        if n == 0 {
            return Self {
                k,
                n,
                value: 0.0,
                se: f64::NAN,
                ci_low: 0.0,
                ci_high: 1.0,
            };
        }
        let nf = n as f64;
        let p = k as f64 / nf;
        let z2 = Z95 * Z95;
        let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
        let half = Z95 / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
        Self {
            k,
            n,
            value: p,
            se: (p * (1.0 - p) / nf).sqrt(),
            // Exactly 0 and 1 at the extremes (rounding would otherwise
            // leave the bound a hair inside).
            ci_low: if k == 0 { 0.0 } else { (centre - half).max(0.0) },
            ci_high: if k == n { 1.0 } else { (centre + half).min(1.0) },
        }
    }

    /// Whether `x` lies inside the 95% interval.
    pub fn covers(&self, x: f64) -> bool {
        self.ci_low <= x && x <= self.ci_high
    }
}

/// A Poisson rate: `count` events over `exposure` days.
pub fn poisson_rate(count: u64, exposure_days: f64) -> Positive {
    let n = count.max(1) as f64;
    let rate = count as f64 / exposure_days;
    if count == 0 {
        return Positive {
            value: 0.0,
            se: 0.0,
            ci_low: 0.0,
            ci_high: 3.689 / exposure_days,
        };
    }
    let mut p = Positive::from_log(rate.ln(), 1.0 / n.sqrt());
    p.se = n.sqrt() / exposure_days;
    p
}

/// A lognormal fitted to positive values: the median `exp(mean ln x)` and
/// `sigma` (standard deviation of `ln x`), with standard errors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LognormalFit {
    /// Values used.
    pub n: usize,
    /// Median.
    pub median: Positive,
    /// Log-scale standard deviation (`None` when all values are equal).
    pub sigma: Option<Positive>,
}

/// Fits a lognormal to positive `values` by maximum likelihood; `None` if
/// there are none.
pub fn fit_lognormal(values: &[f64]) -> Option<LognormalFit> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let mu = values.iter().map(|v| v.ln()).sum::<f64>() / nf;
    let var = values.iter().map(|v| (v.ln() - mu).powi(2)).sum::<f64>() / nf;
    let sigma = var.sqrt();
    let (median, sigma) = if n >= 2 && sigma > 1e-12 {
        (
            Positive::from_log(mu, sigma / nf.sqrt()),
            Some(Positive::from_log(sigma.ln(), (0.5 / nf).sqrt())),
        )
    } else {
        (Positive::from_log(mu, 0.0), None)
    };
    Some(LognormalFit { n, median, sigma })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Gamma, LogNormal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn censor(draws: Vec<f64>, at: f64) -> Vec<Spell> {
        draws
            .into_iter()
            .map(|d| Spell {
                days: d.min(at),
                censored: d > at,
            })
            .collect()
    }

    #[test]
    fn exponential_closed_form() {
        let spells = [
            Spell {
                days: 1.0,
                censored: false,
            },
            Spell {
                days: 3.0,
                censored: false,
            },
            Spell {
                days: 2.0,
                censored: true,
            },
        ];
        let f = fit_dwell(&spells).unwrap();
        let e = f.fits.iter().find(|f| f.family == Family::Exponential).unwrap();
        assert!((e.mean_days.value - 3.0).abs() < 1e-12);
    }

    #[test]
    fn gamma_with_censoring_is_recovered_and_chosen() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let g = Gamma::new(3.0, 10.0 / 3.0).unwrap();
        let draws: Vec<f64> = (0..4000).map(|_| g.sample(&mut rng)).collect();
        let f = fit_dwell(&censor(draws, 14.0)).unwrap();
        assert!(f.censored > 500, "a real share is censored: {}", f.censored);
        let best = f.best();
        assert_eq!(best.family, Family::Gamma);
        // 4.5 standard errors, from the fit's own information matrix.
        assert!(
            (best.mean_days.value - 10.0).abs() < 4.5 * best.mean_days.se,
            "{best:?}"
        );
        let k = best.shape.unwrap();
        assert!((k.value - 3.0).abs() < 4.5 * k.se, "{best:?}");
    }

    #[test]
    fn lognormal_with_censoring_is_recovered_and_chosen() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
        let sigma: f64 = 0.8;
        let ln = LogNormal::new(20f64.ln() - sigma * sigma / 2.0, sigma).unwrap();
        let draws: Vec<f64> = (0..4000).map(|_| ln.sample(&mut rng)).collect();
        let f = fit_dwell(&censor(draws, 30.0)).unwrap();
        let best = f.best();
        assert_eq!(best.family, Family::Lognormal);
        assert!(
            (best.mean_days.value - 20.0).abs() < 4.5 * best.mean_days.se,
            "{best:?}"
        );
        let s = best.shape.unwrap();
        assert!((s.value - sigma).abs() < 4.5 * s.se, "{best:?}");
    }

    #[test]
    fn no_events_no_fit() {
        assert!(
            fit_dwell(&[Spell {
                days: 5.0,
                censored: true
            }])
            .is_none()
        );
        assert!(fit_dwell(&[]).is_none());
    }

    #[test]
    fn wilson_interval_stays_in_unit_range() {
        let p = Proportion::new(0, 10);
        assert_eq!(p.value, 0.0);
        assert!(p.ci_low == 0.0 && p.ci_high > 0.0 && p.ci_high < 0.4);
        let q = Proportion::new(50, 100);
        assert!(q.covers(0.5) && !q.covers(0.35));
    }
}
