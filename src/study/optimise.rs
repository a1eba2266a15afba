//! Sequential ranking and selection over a grid of policies: Kim & Nelson's
//! fully sequential procedure (KN, 2001) with common random numbers, and
//! constraints on other metrics.
//!
//! # The procedure
//! Every configuration first gets `n0` replications. For each pair the
//! variance of the paired differences, S²ᵢₗ, is estimated from those. With
//! k configurations, confidence 1 − α and indifference zone δ > 0,
//! η = ½[(2α/(k−1))^(−2/(n0−1)) − 1] and h² = 2η(n0 − 1) (KN with c = 1).
//! After r replications configuration i is eliminated when its mean falls
//! below another survivor l's by more than the continuation region
//! Wᵢₗ(r) = max(0, δ/(2r)·(h²S²ᵢₗ/δ² − r)). Survivors get one more
//! replication each, and so on, until one survives or every surviving pair's
//! region has closed (then the survivors are tied and the first is chosen).
//!
//! # Guarantee
//! If every configuration's per-replication objective is normal (the
//! procedure's assumption; means over many buyers are close to it), then
//! with probability at least 1 − α the chosen configuration's true mean is
//! within δ of the best one's. Common random numbers are allowed: the
//! procedure only uses paired differences. With constraints, half of α goes
//! to selection and half to feasibility (see [`Constraint`]).
//!
//! # Groups: a tournament that shards
//! KN is sequential: each screening decides which replications come next,
//! so its work cannot be cut into independent shares. With `groups` G > 1
//! the grid is cut into G contiguous groups of configurations instead
//! (sizes differing by at most one). Each group runs KN on its own at
//! indifference δ/2 and confidence 1 − α/2; then the G groups' choices run
//! KN against each other at δ/2 and 1 − α/2, on fresh replications
//! (indices from [`FINAL_ROUND`]), so that the final round's data is
//! independent of the choice of who is in it. The guarantee is the same:
//! the best configuration lies in some group, whose choice is within δ/2
//! of it with probability ≥ 1 − α/2; the final's choice is within δ/2 of
//! the best of the group choices with probability ≥ 1 − α/2; so, with
//! probability ≥ 1 − α (Bonferroni), the final choice is within δ of the
//! best. (The "knockout tournament" of Zhong & Hong, 2022, divides and
//! conquers the same way.) The groups are independent, so each can run on
//! its own machine ([`Runner::map`], one "replication" per group); the
//! final round, over G configurations, runs where they are put together.
//! A budget B is shared in proportion to configurations: group g gets
//! ⌊B·k_g/(k + G)⌋, the final round the rest.
//!
//! # Replications
//! Results depend only on (configuration, replication index) through the
//! evaluation, so configurations share random numbers at the same index.
//! Survivors' replications are simulated in batches large enough to keep
//! every worker busy (a size that depends on the number of survivors, never
//! on threads); the screening still looks at one replication at a time, so
//! the decisions are exactly KN's. A configuration eliminated inside a batch
//! has had the rest of that batch simulated: it is counted as spent.

use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::model::scenario::overrides::Override;
use crate::model::scenario::spec::ScenarioSpec;
use crate::sim::engine::{RunObserver, simulate_replication};
use crate::sim::metrics::{metric_names, metric_row};
use crate::sim::shard::Runner;
use crate::sim::stats::{Estimate, paired_difference};
use crate::study::sweep::{self, Objective, PointError, Vary};

/// Replications simulated per batch, at least (spread over survivors).
const BATCH: usize = 64;

/// The first replication index of a tournament's final round: far beyond
/// any index a group round reaches, so the final round's replications are
/// fresh ones (see the module docs).
pub const FINAL_ROUND: u64 = 1 << 40;

/// Which side of a limit a constraint allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// `metric <= limit`.
    AtMost,
    /// `metric >= limit`.
    AtLeast,
}

/// A limit on a metric's mean, e.g. `cost_per_win <= 30000`.
///
/// A configuration is declared infeasible once its mean's one-sided
/// confidence bound lies on the wrong side of the limit: for `<=`, the lower
/// bound mean − t·sd/√n exceeds the limit (for `>=`, the upper bound falls
/// below it), with t Student's quantile at 1 − α/(2·k·m) for k
/// configurations and m constraints (a Bonferroni share of half of α).
/// It is checked after every replication of the configuration, over the
/// replications where the metric is defined; configurations never shown
/// infeasible stay in contention.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Constraint {
    /// The metric's name.
    pub metric: String,
    /// Which side is allowed.
    pub bound: Bound,
    /// The limit, in the metric's units.
    pub limit: f64,
}

impl std::str::FromStr for Constraint {
    type Err = String;
    /// Parses `METRIC <= NUMBER` or `METRIC >= NUMBER`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (metric, bound, limit) = if let Some((m, l)) = s.split_once("<=") {
            (m, Bound::AtMost, l)
        } else if let Some((m, l)) = s.split_once(">=") {
            (m, Bound::AtLeast, l)
        } else {
            return Err("expected METRIC <= NUMBER or METRIC >= NUMBER".into());
        };
        let metric = metric.trim();
        if metric.is_empty() || metric.contains(char::is_whitespace) {
            return Err(format!("'{metric}' is not a metric name"));
        }
        let limit = limit
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("'{}' is not a number", limit.trim()))?;
        Ok(Self {
            metric: metric.to_owned(),
            bound,
            limit,
        })
    }
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.bound {
            Bound::AtMost => "<=",
            Bound::AtLeast => ">=",
        };
        write!(f, "{} {op} {}", self.metric, self.limit)
    }
}

/// The procedure's settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Procedure {
    /// δ: differences smaller than this (in the objective's units) do not
    /// matter. With 0 nothing is eliminated unless the paired differences
    /// have no variance, so the procedure runs until the budget.
    pub indifference: f64,
    /// 1 − α, strictly between 0 and 1.
    pub confidence: f64,
    /// n0: replications of every configuration before any elimination (at
    /// least 2, to estimate variances).
    pub first_stage: u32,
    /// Most replications over all configurations; `None` for no limit but
    /// the procedure's own end (required when the indifference is 0).
    pub budget: Option<u64>,
}

impl Procedure {
    /// Checks the settings for `k` configurations.
    ///
    /// # Errors
    /// A message naming the setting that is out of range.
    pub fn check(&self, k: usize) -> Result<(), String> {
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(format!(
                "the confidence must be strictly between 0 and 1, not {}",
                self.confidence
            ));
        }
        if !(self.indifference >= 0.0 && self.indifference.is_finite()) {
            return Err(format!(
                "the indifference zone must be a number ≥ 0, not {}",
                self.indifference
            ));
        }
        if self.first_stage < 2 {
            return Err(format!(
                "the first stage needs at least 2 replications (to estimate variances), not {}",
                self.first_stage
            ));
        }
        let first = k as u64 * u64::from(self.first_stage);
        match self.budget {
            Some(b) if b < first => Err(format!(
                "a budget of {b} replications cannot pay for the first stage ({k} configurations × {} = {first})",
                self.first_stage
            )),
            None if self.indifference == 0.0 => {
                Err("with an indifference zone of 0 the procedure never ends by itself; give a budget".into())
            }
            _ => Ok(()),
        }
    }

    /// Checks the settings for a tournament of `groups` groups over `k`
    /// configurations (see the module docs); one group is plain KN.
    ///
    /// # Errors
    /// A message naming the setting that is out of range.
    pub fn check_groups(&self, k: usize, groups: u32) -> Result<(), String> {
        self.check(k)?;
        let g = groups as usize;
        if g == 0 || g > k {
            return Err(format!(
                "the groups must number from 1 to the {k} configurations, not {groups}"
            ));
        }
        let first = (k + g) as u64 * u64::from(self.first_stage);
        match self.budget {
            Some(b) if g > 1 && b < first => Err(format!(
                "a budget of {b} replications cannot pay for the first stages of {groups} groups and their final: ({k} configurations + {groups} finalists) × {} = {first}",
                self.first_stage
            )),
            _ => Ok(()),
        }
    }

    /// The settings of each round of a tournament: half the indifference,
    /// half the error probability, and `budget`.
    fn round(&self, budget: Option<u64>) -> Procedure {
        Procedure {
            indifference: self.indifference / 2.0,
            confidence: 1.0 - (1.0 - self.confidence) / 2.0,
            first_stage: self.first_stage,
            budget,
        }
    }
}

/// The configurations of group `g` of `groups` over `k`: contiguous, in
/// grid order, sizes differing by at most one.
pub fn group_range(k: usize, groups: usize, g: usize) -> std::ops::Range<usize> {
    g * k / groups..(g + 1) * k / groups
}

/// What happened to a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum Fate {
    /// Still in contention when the procedure stopped.
    Survived,
    /// Eliminated after `at` replications: another survivor's mean was
    /// better by more than the continuation region.
    Dominated {
        /// Replications when eliminated.
        at: u32,
    },
    /// Eliminated after `at` replications: constraint number `constraint`
    /// (0-based) is clearly violated.
    Infeasible {
        /// Replications when eliminated.
        at: u32,
        /// Which constraint.
        constraint: usize,
    },
    /// The objective was undefined (e.g. cost per win without wins) in
    /// replication `at` (1-based); such a configuration cannot be ranked.
    Undefined {
        /// Replication where it happened.
        at: u32,
    },
    /// In a tournament: still in contention when its group's round ended
    /// after `at` replications (tied with the group's choice within δ/2, or
    /// the round's share of the budget spent), but not the choice that went
    /// on to the final round.
    RunnerUp {
        /// Replications when its group's round ended.
        at: u32,
    },
}

/// Why the procedure stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// One configuration survived, or the survivors' regions closed: the
    /// guarantee holds.
    Guarantee,
    /// The budget was spent first: the survivors could not be separated.
    Budget,
    /// Every configuration was infeasible or undefined.
    NoneFeasible,
    /// The observer asked to stop.
    Interrupted,
}

/// One configuration's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// Replications simulated.
    pub replications: u32,
    /// Survived or when and why eliminated.
    pub fate: Fate,
    /// The objective over its replications (in the objective's units).
    pub objective: Estimate,
    /// Each constraint's metric over its replications.
    pub constraints: Vec<Estimate>,
    /// Its objective minus the chosen configuration's, paired replication
    /// by replication over the replications both have: with common random
    /// numbers this, not the two means over different replications, is
    /// the comparison the procedure made.
    pub versus_chosen: Estimate,
}

/// The number of survivors after a screening.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Replications each survivor has been screened on.
    pub stage: u32,
    /// Replications simulated so far, over all configurations.
    pub spent: u64,
    /// Configurations still in contention.
    pub survivors: usize,
}

/// The result of [`select`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Selection {
    /// Every configuration, in input order.
    pub candidates: Vec<Candidate>,
    /// The chosen configuration (none if all were infeasible or undefined).
    pub chosen: Option<usize>,
    /// Survivors other than the chosen one: not separated from it at the
    /// indifference zone when the procedure stopped.
    pub inseparable: Vec<usize>,
    /// Why it stopped.
    pub stop: Stop,
    /// Replications simulated over all configurations.
    pub replications: u64,
    /// What a grid giving every configuration the same replications would
    /// need to resolve each configuration's comparison with the chosen one
    /// c at δ with the same η and first-stage variances:
    /// k · max(n0, maxₗ ⌊h²·S²(c, l)/δ²⌋ + 1), the replications after which every
    /// continuation region with c has closed (`None` without a choice, or
    /// when δ is 0 and some difference varies: no grid is enough).
    pub full_grid: Option<u64>,
    /// KN's η.
    pub eta: f64,
    /// KN's h² = 2η(n0 − 1).
    pub h2: f64,
    /// Survivors after each screening.
    pub trace: Vec<Step>,
}

/// KN's η and h² = 2η(n0 − 1) (c = 1) for `k` configurations, `n0`
/// first-stage replications and a selection error probability `alpha`.
fn kn_constants(k: usize, n0: usize, alpha: f64) -> (f64, f64) {
    let eta = if k > 1 {
        0.5 * ((2.0 * alpha / (k - 1) as f64).powf(-2.0 / (n0 - 1) as f64) - 1.0)
    } else {
        0.0
    };
    (eta, 2.0 * eta * (n0 - 1) as f64)
}

/// The sample variance S² of two configurations' paired objective
/// differences over the first `n0` replications (its sign does not matter).
fn first_stage_variance(a: &[Vec<f64>], b: &[Vec<f64>], n0: usize) -> f64 {
    let d: Vec<f64> = (0..n0).map(|r| a[r][0] - b[r][0]).collect();
    let mean = d.iter().sum::<f64>() / n0 as f64;
    d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n0 - 1) as f64
}

/// Replications after which a pair's continuation region has closed, for
/// first-stage variance `v` at indifference `delta` (infinite: never).
fn closing(h2: f64, v: f64, delta: f64) -> f64 {
    if v == 0.0 {
        0.0
    } else if delta == 0.0 {
        f64::INFINITY
    } else {
        h2 * v / (delta * delta)
    }
}

/// [`Selection::full_grid`] for the chosen `c` of `k` configurations, when
/// its comparison with `l` closes after `closes(l)` replications.
fn grid(k: usize, n0: usize, c: usize, closes: impl Fn(usize) -> f64) -> Option<u64> {
    let most = (0..k)
        .filter(|&l| l != c)
        .map(|l| closes(l).floor() + 1.0)
        .fold(n0 as f64, f64::max);
    most.is_finite().then(|| k as u64 * most as u64)
}

/// Runs the KN procedure over `k` configurations. `evaluate(i, r)` gives
/// configuration `i`'s values in replication `r` (0-based): the objective
/// first, then one value per entry of `constraints`; it must be a pure
/// function of `(i, r)`, and values at the same `r` should share random
/// numbers. `maximise` says which way the objective is better.
///
/// # Panics
/// If `procedure` does not pass [`Procedure::check`], or `k` is 0.
pub fn select<F>(
    k: usize,
    procedure: &Procedure,
    maximise: bool,
    constraints: &[(Bound, f64)],
    evaluate: F,
    observer: &dyn RunObserver,
) -> Selection
where
    F: Fn(usize, u64) -> Vec<f64> + Sync,
{
    select_with_values(k, procedure, maximise, constraints, evaluate, observer).0
}

/// [`select`], with every configuration's values in the order evaluated
/// (`values[i][r]`).
fn select_with_values<F>(
    k: usize,
    procedure: &Procedure,
    maximise: bool,
    constraints: &[(Bound, f64)],
    evaluate: F,
    observer: &dyn RunObserver,
) -> (Selection, Vec<Vec<Vec<f64>>>)
where
    F: Fn(usize, u64) -> Vec<f64> + Sync,
{
    assert!(k > 0, "nothing to select from");
    if let Err(e) = procedure.check(k) {
        panic!("{e}");
    }
    let n0 = procedure.first_stage as usize;
    let delta = procedure.indifference;
    let alpha = 1.0 - procedure.confidence;
    let m = constraints.len();
    let (alpha_select, alpha_feasible) = if m > 0 {
        (alpha / 2.0, alpha / 2.0)
    } else {
        (alpha, 0.0)
    };
    let (eta, h2) = kn_constants(k, n0, alpha_select);
    let budget = procedure.budget.unwrap_or(u64::MAX);
    let sign = if maximise { 1.0 } else { -1.0 };

    // values[i][r] = configuration i's values in replication r.
    let mut values: Vec<Vec<Vec<f64>>> = vec![Vec::new(); k];
    let mut fate = vec![Fate::Survived; k];
    let mut spent = 0u64;
    let mut trace = Vec::new();
    let mut interrupted = false;
    let run = |work: &[(usize, u64)], values: &mut Vec<Vec<Vec<f64>>>, spent: &mut u64| -> bool {
        // Chunks so an interrupt is noticed within a chunk's time; results
        // are appended in work order, whatever the threads.
        for chunk in work.chunks(BATCH) {
            if observer.cancelled() {
                return false;
            }
            let out: Vec<Vec<f64>> = chunk
                .par_iter()
                .map(|&(i, r)| {
                    let v = evaluate(i, r);
                    observer.replication_finished();
                    v
                })
                .collect();
            for (&(i, _), v) in chunk.iter().zip(out) {
                values[i].push(v);
            }
            *spent += chunk.len() as u64;
        }
        true
    };
    observer.planned(k as u64 * n0 as u64);
    let first: Vec<(usize, u64)> = (0..k).flat_map(|i| (0..n0 as u64).map(move |r| (i, r))).collect();
    if !run(&first, &mut values, &mut spent) {
        interrupted = true;
    }

    let score = |values: &[Vec<f64>], r: usize| sign * values[r][0];
    // Pairwise variances of the first-stage differences.
    let mut s2 = vec![0.0; k * k];
    if !interrupted {
        for i in 0..k {
            for l in i + 1..k {
                let v = first_stage_variance(&values[i], &values[l], n0);
                s2[i * k + l] = v;
                s2[l * k + i] = v;
            }
        }
    }
    let closes = |i: usize, l: usize| closing(h2, s2[i * k + l], delta);
    let region = |i: usize, l: usize, r: usize| -> f64 {
        let c = closes(i, l);
        if c.is_infinite() {
            f64::INFINITY
        } else if c == 0.0 {
            0.0
        } else {
            (delta / (2.0 * r as f64) * (c - r as f64)).max(0.0)
        }
    };
    // Each (configuration, constraint) test's share of the feasibility α.
    let share = (m > 0).then(|| alpha_feasible / (k * m) as f64);
    let infeasible = |vals: &[Vec<f64>], r: usize| -> Option<usize> {
        let p = share?;
        constraints.iter().enumerate().find_map(|(j, &(bound, limit))| {
            let x: Vec<f64> = vals[..r]
                .iter()
                .map(|v| v[1 + j])
                .filter(|x| x.is_finite())
                .collect();
            let n = x.len();
            if n < 2 {
                return None;
            }
            let mean = x.iter().sum::<f64>() / n as f64;
            let sd = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt();
            let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
                .map(|d| d.inverse_cdf(1.0 - p))
                .unwrap_or(f64::INFINITY);
            let half = t * sd / (n as f64).sqrt();
            let violated = match bound {
                Bound::AtMost => mean - half > limit,
                Bound::AtLeast => mean + half < limit,
            };
            violated.then_some(j)
        })
    };

    let mut sums = vec![0.0; k];
    let mut stop = Stop::Interrupted;
    if !interrupted {
        // Replications 1..=r have been checked and screened.
        let mut r = n0;
        for i in 0..k {
            sums[i] = (0..n0).map(|q| score(&values[i], q)).sum();
        }
        // First-stage checks: undefined objectives, clear violations.
        for i in 0..k {
            if let Some(q) = (0..n0).find(|&q| !values[i][q][0].is_finite()) {
                fate[i] = Fate::Undefined { at: q as u32 + 1 };
            } else if let Some(j) = infeasible(&values[i], n0) {
                fate[i] = Fate::Infeasible {
                    at: n0 as u32,
                    constraint: j,
                };
            }
        }
        loop {
            // Screening at r.
            let alive: Vec<usize> = (0..k).filter(|&i| fate[i] == Fate::Survived).collect();
            let mean = |i: usize| sums[i] / r as f64;
            for &i in &alive {
                if alive
                    .iter()
                    .any(|&l| l != i && mean(i) < mean(l) - region(i, l, r))
                {
                    fate[i] = Fate::Dominated { at: r as u32 };
                }
            }
            let alive: Vec<usize> = alive.into_iter().filter(|&i| fate[i] == Fate::Survived).collect();
            trace.push(Step {
                stage: r as u32,
                spent,
                survivors: alive.len(),
            });
            observer.status(&format!("{} of {k} in contention", alive.len()));
            if alive.is_empty() {
                stop = Stop::NoneFeasible;
                break;
            }
            let closed = alive
                .iter()
                .all(|&i| alive.iter().all(|&l| l == i || region(i, l, r) == 0.0));
            if alive.len() == 1 || (delta > 0.0 && closed) {
                stop = Stop::Guarantee;
                break;
            }
            if observer.cancelled() {
                stop = Stop::Interrupted;
                break;
            }
            // Survivors all have exactly r replications unless a batch
            // simulated ahead.
            if values[alive[0]].len() <= r {
                let mut batch = BATCH.div_ceil(alive.len());
                // No further than where every surviving region has closed.
                let end = alive
                    .iter()
                    .flat_map(|&i| alive.iter().map(move |&l| (i, l)))
                    .filter(|(i, l)| i != l)
                    .map(|(i, l)| closes(i, l).floor() + 1.0)
                    .fold(0.0, f64::max);
                if end.is_finite() {
                    batch = batch.min((end as usize).saturating_sub(r).max(1));
                }
                let affordable = (budget - spent) / alive.len() as u64;
                batch = batch.min(usize::try_from(affordable).unwrap_or(usize::MAX));
                if batch == 0 {
                    stop = Stop::Budget;
                    break;
                }
                observer.planned(spent + (batch * alive.len()) as u64);
                let work: Vec<(usize, u64)> = alive
                    .iter()
                    .flat_map(|&i| (r..r + batch).map(move |q| (i, q as u64)))
                    .collect();
                if !run(&work, &mut values, &mut spent) {
                    stop = Stop::Interrupted;
                    break;
                }
            }
            r += 1;
            for &i in &alive {
                let v = &values[i][r - 1];
                if !v[0].is_finite() {
                    fate[i] = Fate::Undefined { at: r as u32 };
                    continue;
                }
                sums[i] += sign * v[0];
                if let Some(j) = infeasible(&values[i], r) {
                    fate[i] = Fate::Infeasible {
                        at: r as u32,
                        constraint: j,
                    };
                }
            }
        }
    }
    // Interrupted before the first screening: nothing is known.
    let screened = !trace.is_empty();
    let survivors: Vec<usize> = (0..k)
        .filter(|&i| screened && fate[i] == Fate::Survived)
        .collect();
    let chosen = survivors.iter().copied().reduce(|best, i| {
        // Ties keep the earlier configuration.
        if sums[i] > sums[best] { i } else { best }
    });
    let inseparable = survivors.iter().copied().filter(|&i| Some(i) != chosen).collect();
    // A grid must run every configuration until its comparison with the
    // chosen one is resolved at δ.
    let full_grid = chosen.and_then(|c| grid(k, n0, c, |l| closes(c, l)));
    let objective_of = |i: usize| values[i].iter().map(|x| x[0]).collect::<Vec<f64>>();
    let chosen_values = chosen.map(objective_of);
    let candidates = values
        .iter()
        .zip(&fate)
        .enumerate()
        .map(|(i, (v, &fate))| Candidate {
            versus_chosen: chosen_values.as_ref().map_or_else(Estimate::undefined, |c| {
                let n = c.len().min(v.len());
                paired_difference(&c[..n], &objective_of(i)[..n])
            }),
            replications: v.len() as u32,
            fate,
            objective: Estimate::from_values(&v.iter().map(|x| x[0]).collect::<Vec<_>>()),
            constraints: (0..m)
                .map(|j| Estimate::from_values(&v.iter().map(|x| x[1 + j]).collect::<Vec<_>>()))
                .collect(),
        })
        .collect();
    let selection = Selection {
        candidates,
        chosen,
        inseparable,
        stop,
        replications: spent,
        full_grid,
        eta,
        h2,
        trace,
    };
    (selection, values)
}

/// An optimisation over a grid of scenario settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Optimisation {
    /// The objective.
    pub objective: Objective,
    /// The constraints.
    pub constraints: Vec<Constraint>,
    /// The procedure's settings.
    pub procedure: Procedure,
    /// Groups of the tournament (1: plain KN over the whole grid).
    pub groups: u32,
    /// Each configuration's `(path, value)` settings, in grid order.
    pub settings: Vec<Vec<(String, String)>>,
    /// What the procedure found.
    pub selection: Selection,
}

/// Runs [`select`] over the grid of `varies` on top of `base` (as
/// [`sweep::grid_scenarios`] builds it), each evaluation one replication of
/// the engine, in a tournament of `groups` groups (see the module docs; 1
/// is plain KN). Every configuration uses the base's seed, so replication r
/// shares its random numbers across configurations. The group rounds come
/// from `runner` (one "replication" of [`Runner::map`] per group), so a
/// shard runs its share of the groups and a merge reads them back; with
/// fewer groups than asked for (a shard's share, or an interrupt) there is
/// no final round and nothing is chosen.
///
/// # Errors
/// The first grid point that does not validate, before anything runs.
///
/// # Panics
/// If `procedure` does not pass [`Procedure::check_groups`] for the grid's
/// size and `groups`.
#[allow(clippy::too_many_arguments)]
pub fn run_optimise(
    base: &ScenarioSpec,
    base_overrides: &[Override],
    varies: &[Vary],
    objective: Objective,
    constraints: &[Constraint],
    procedure: &Procedure,
    groups: u32,
    runner: &dyn Runner,
    observer: &dyn RunObserver,
) -> Result<Optimisation, PointError> {
    let (points, scenarios) = sweep::grid_scenarios(base, base_overrides, varies)?;
    // Columns of the objective and constraint metrics in each scenario's
    // metric row (a missing one reads as undefined).
    let columns: Vec<Vec<Option<usize>>> = scenarios
        .iter()
        .map(|s| {
            let names = metric_names(s);
            std::iter::once(objective.metric())
                .chain(constraints.iter().map(|c| c.metric.as_str()))
                .map(|m| names.iter().position(|n| n == m))
                .collect()
        })
        .collect();
    let bounds: Vec<(Bound, f64)> = constraints.iter().map(|c| (c.bound, c.limit)).collect();
    let evaluate = |i: usize, r: u64| -> Vec<f64> {
        let s = &scenarios[i];
        let row = metric_row(s, &simulate_replication(s, r).tally);
        columns[i]
            .iter()
            .map(|c| c.map_or(f64::NAN, |c| row[c]))
            .collect()
    };
    if let Err(e) = procedure.check_groups(scenarios.len(), groups) {
        panic!("{e}");
    }
    let selection = if groups <= 1 {
        select(
            scenarios.len(),
            procedure,
            objective.maximise(),
            &bounds,
            evaluate,
            observer,
        )
    } else {
        Tournament {
            procedure,
            groups: groups as usize,
            maximise: objective.maximise(),
            constraints: &bounds,
        }
        .run(
            scenarios.len(),
            &evaluate,
            &|count, observer, per_group| runner.map(&scenarios[0], count, observer, per_group),
            &|why| runner.damaged(why),
            observer,
        )
    };
    Ok(Optimisation {
        objective,
        constraints: constraints.to_vec(),
        procedure: procedure.clone(),
        groups: groups.max(1),
        settings: points.iter().map(|p| sweep::settings_text(p)).collect(),
        selection,
    })
}

/// Forwards progress and interrupts, not plans or notes: rounds that run
/// side by side would each announce their own plan.
struct Progress<'a>(&'a dyn RunObserver);

impl RunObserver for Progress<'_> {
    fn replication_finished(&self) {
        self.0.replication_finished();
    }

    fn cancelled(&self) -> bool {
        self.0.cancelled()
    }
}

/// The final round's plans after the group rounds' replications.
struct Offset<'a> {
    observer: &'a dyn RunObserver,
    before: u64,
}

impl RunObserver for Offset<'_> {
    fn replication_finished(&self) {
        self.observer.replication_finished();
    }

    fn cancelled(&self) -> bool {
        self.observer.cancelled()
    }

    fn planned(&self, replications: u64) {
        self.observer.planned(self.before + replications);
    }

    fn status(&self, note: &str) {
        self.observer.status(note);
    }
}

/// Only the interrupts: rounds re-run from values already counted.
struct Interrupts<'a>(&'a dyn RunObserver);

impl RunObserver for Interrupts<'_> {
    fn cancelled(&self) -> bool {
        self.0.cancelled()
    }
}

/// A group round's values as one row of numbers for [`Runner::map`]: per
/// configuration, its count of replications, then each replication's
/// values (the objective, then one per constraint).
fn flatten(values: &[Vec<Vec<f64>>]) -> Vec<f64> {
    let mut out = Vec::new();
    for v in values {
        out.push(v.len() as f64);
        out.extend(v.iter().flatten());
    }
    out
}

/// The inverse of [`flatten`] for `k` configurations of `width` values
/// each (`None`: the row does not hold them, a damaged part).
fn unflatten(row: &[f64], k: usize, width: usize) -> Option<Vec<Vec<Vec<f64>>>> {
    let mut at = 0;
    let mut out = Vec::with_capacity(k);
    for _ in 0..k {
        let n = *row.get(at)?;
        at += 1;
        if !(n >= 0.0 && n.fract() == 0.0) {
            return None;
        }
        let n = n as usize;
        let cells = row.get(at..at + n * width)?;
        out.push(cells.chunks(width).map(<[f64]>::to_vec).collect());
        at += n * width;
    }
    (at == row.len()).then_some(out)
}

/// Runs `count` group rounds, `per_group(g)` for each, as [`Runner::map`].
type RoundRunner<'a> = dyn Fn(u32, &dyn RunObserver, &(dyn Fn(u64) -> Vec<f64> + Sync)) -> Vec<Vec<f64>> + 'a;

/// [`select`] as a tournament of `groups` groups (see the module docs):
/// the group rounds run here, side by side.
///
/// # Panics
/// If `procedure` does not pass [`Procedure::check_groups`].
pub fn select_in_groups<F>(
    k: usize,
    procedure: &Procedure,
    groups: u32,
    maximise: bool,
    constraints: &[(Bound, f64)],
    evaluate: F,
    observer: &dyn RunObserver,
) -> Selection
where
    F: Fn(usize, u64) -> Vec<f64> + Sync,
{
    if let Err(e) = procedure.check_groups(k, groups) {
        panic!("{e}");
    }
    if groups <= 1 {
        return select(k, procedure, maximise, constraints, evaluate, observer);
    }
    Tournament {
        procedure,
        groups: groups as usize,
        maximise,
        constraints,
    }
    .run(
        k,
        &evaluate,
        &|count, observer, per_group| crate::sim::shard::map_range(0..count, observer, per_group),
        // Values simulated here always fit their round.
        &|why| unreachable!("{why}"),
        observer,
    )
}

/// A tournament of groups (see the module docs).
struct Tournament<'a> {
    procedure: &'a Procedure,
    groups: usize,
    maximise: bool,
    constraints: &'a [(Bound, f64)],
}

/// One group's round, re-run from its values.
struct Round {
    configurations: std::ops::Range<usize>,
    selection: Selection,
    values: Vec<Vec<Vec<f64>>>,
}

impl Tournament<'_> {
    /// Each round's budget: the groups' in order, then the final's.
    fn budgets(&self, k: usize) -> Vec<Option<u64>> {
        let g = self.groups;
        let Some(b) = self.procedure.budget else {
            return vec![None; g + 1];
        };
        let shares: Vec<u64> = (0..g)
            .map(|i| {
                let n = group_range(k, g, i).len() as u128;
                (u128::from(b) * n / (k + g) as u128) as u64
            })
            .collect();
        let rest = b - shares.iter().sum::<u64>();
        shares.into_iter().chain([rest]).map(Some).collect()
    }

    /// The tournament over `k` configurations; `rounds` runs the group
    /// rounds as [`Runner::map`] does (group g its "replication" g).
    /// Values that do not fit their round (read back from a part another
    /// version wrote) are reported to `damaged`, and nothing is chosen.
    fn run<F>(
        &self,
        k: usize,
        evaluate: &F,
        rounds: &RoundRunner<'_>,
        damaged: &dyn Fn(&str),
        observer: &dyn RunObserver,
    ) -> Selection
    where
        F: Fn(usize, u64) -> Vec<f64> + Sync,
    {
        let g = self.groups;
        let width = 1 + self.constraints.len();
        let budgets = self.budgets(k);
        let n0 = u64::from(self.procedure.first_stage);
        observer.planned((k + g) as u64 * n0);
        let progress = Progress(observer);
        let rows = rounds(g as u32, &progress, &|group| {
            let range = group_range(k, g, group as usize);
            let values = select_with_values(
                range.len(),
                &self.procedure.round(budgets[group as usize]),
                self.maximise,
                self.constraints,
                |i, r| evaluate(range.start + i, r),
                &progress,
            )
            .1;
            flatten(&values)
        });
        if rows.len() < g {
            return undecided(k);
        }
        // Each round again from its values: the same decisions whether the
        // values were simulated here or read back from a shard's part.
        let quiet = Interrupts(observer);
        let mut rounds = Vec::with_capacity(g);
        for (group, row) in rows.iter().enumerate() {
            let configurations = group_range(k, g, group);
            let Some(values) = unflatten(row, configurations.len(), width) else {
                damaged(&format!(
                    "group {}'s stored values do not have its shape: the part is damaged",
                    group + 1
                ));
                return undecided(k);
            };
            let missing = std::sync::atomic::AtomicBool::new(false);
            let replayed = select_with_values(
                configurations.len(),
                &self.procedure.round(budgets[group]),
                self.maximise,
                self.constraints,
                |i, r| {
                    values[i].get(r as usize).cloned().unwrap_or_else(|| {
                        missing.store(true, std::sync::atomic::Ordering::Relaxed);
                        vec![f64::NAN; width]
                    })
                },
                &quiet,
            );
            // The round again asks for exactly what it stored (unless
            // interrupted): the same procedure made them.
            let (selection, replayed) = replayed;
            if missing.into_inner()
                || (selection.stop != Stop::Interrupted
                    && replayed.iter().map(Vec::len).ne(values.iter().map(Vec::len)))
            {
                damaged(&format!(
                    "group {}'s stored values do not match its round: another version of optimise wrote them; run every shard again with this funnelsim",
                    group + 1
                ));
                return undecided(k);
            }
            let values = replayed;
            rounds.push(Round {
                configurations,
                selection,
                values,
            });
        }
        let finalists: Vec<usize> = rounds
            .iter()
            .filter_map(|r| r.selection.chosen.map(|c| r.configurations.start + c))
            .collect();
        let interrupted = rounds.iter().any(|r| r.selection.stop == Stop::Interrupted);
        let last = (finalists.len() > 1 && !interrupted).then(|| {
            select_with_values(
                finalists.len(),
                &self.procedure.round(budgets[g]),
                self.maximise,
                self.constraints,
                |j, r| evaluate(finalists[j], FINAL_ROUND + r),
                &Offset {
                    observer,
                    before: rounds.iter().map(|r| r.selection.replications).sum(),
                },
            )
        });
        self.combine(k, &rounds, &finalists, last, interrupted)
    }

    /// [`Selection::full_grid`] as one KN over all of `values`' k
    /// configurations would state it for the chosen `c`.
    fn whole_grid(&self, values: &[Vec<Vec<f64>>], c: usize) -> Option<u64> {
        let k = values.len();
        let n0 = self.procedure.first_stage as usize;
        let alpha = 1.0 - self.procedure.confidence;
        // As in `select`: with constraints, half of α goes to selection.
        let alpha = if self.constraints.is_empty() {
            alpha
        } else {
            alpha / 2.0
        };
        let (_, h2) = kn_constants(k, n0, alpha);
        let delta = self.procedure.indifference;
        grid(k, n0, c, |l| {
            closing(h2, first_stage_variance(&values[c], &values[l], n0), delta)
        })
    }

    /// The tournament's result from its rounds.
    fn combine(
        &self,
        k: usize,
        rounds: &[Round],
        finalists: &[usize],
        last: Option<(Selection, Vec<Vec<Vec<f64>>>)>,
        interrupted: bool,
    ) -> Selection {
        // Every configuration's values and fate over both rounds.
        let mut values: Vec<Vec<Vec<f64>>> = Vec::with_capacity(k);
        let mut fate = Vec::with_capacity(k);
        for round in rounds {
            let s = &round.selection;
            for (i, v) in round.values.iter().enumerate() {
                values.push(v.clone());
                fate.push(match s.candidates[i].fate {
                    Fate::Survived if s.chosen != Some(i) => Fate::RunnerUp { at: v.len() as u32 },
                    other => other,
                });
            }
        }
        // The final round's replications follow the group round's: a fate
        // there counts every replication the configuration had.
        let mut finals: Vec<Vec<Vec<f64>>> = vec![Vec::new(); k];
        let (chosen, inseparable, stop) = match &last {
            Some((s, v)) => {
                for (j, &i) in finalists.iter().enumerate() {
                    let before = values[i].len() as u32;
                    fate[i] = match s.candidates[j].fate {
                        Fate::Survived => Fate::Survived,
                        Fate::Dominated { at } => Fate::Dominated { at: before + at },
                        Fate::Infeasible { at, constraint } => Fate::Infeasible {
                            at: before + at,
                            constraint,
                        },
                        Fate::Undefined { at } => Fate::Undefined { at: before + at },
                        Fate::RunnerUp { at } => Fate::RunnerUp { at: before + at },
                    };
                    finals[i].clone_from(&v[j]);
                }
                let stop = match s.stop {
                    Stop::Guarantee if rounds.iter().any(|r| r.selection.stop == Stop::Budget) => {
                        Stop::Budget
                    }
                    other => other,
                };
                (
                    s.chosen.map(|j| finalists[j]),
                    s.inseparable.iter().map(|&j| finalists[j]).collect(),
                    stop,
                )
            }
            None if interrupted => (None, Vec::new(), Stop::Interrupted),
            None => match finalists.first() {
                None => (None, Vec::new(), Stop::NoneFeasible),
                Some(&only) => {
                    let budget = rounds.iter().any(|r| r.selection.stop == Stop::Budget);
                    (
                        Some(only),
                        Vec::new(),
                        if budget { Stop::Budget } else { Stop::Guarantee },
                    )
                }
            },
        };
        let objective_of =
            |i: usize| -> Vec<f64> { values[i].iter().chain(&finals[i]).map(|x| x[0]).collect() };
        // Paired over the replications both had, in each round.
        let paired = |c: usize, i: usize| -> Estimate {
            let n = values[c].len().min(values[i].len());
            let m = finals[c].len().min(finals[i].len());
            let pick = |x: usize| -> Vec<f64> {
                values[x][..n]
                    .iter()
                    .chain(&finals[x][..m])
                    .map(|v| v[0])
                    .collect()
            };
            paired_difference(&pick(c), &pick(i))
        };
        let width = 1 + self.constraints.len();
        let candidates = (0..k)
            .map(|i| Candidate {
                versus_chosen: chosen.map_or_else(Estimate::undefined, |c| paired(c, i)),
                replications: (values[i].len() + finals[i].len()) as u32,
                fate: fate[i],
                objective: Estimate::from_values(&objective_of(i)),
                constraints: (1..width)
                    .map(|j| {
                        Estimate::from_values(
                            &values[i]
                                .iter()
                                .chain(&finals[i])
                                .map(|x| x[j])
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect(),
            })
            .collect();
        // The grid one KN over the whole grid would be compared with: at δ
        // and α (not a round's halves), from the first-stage variances of
        // the differences with the chosen one, which every configuration
        // has at the same replication indices.
        let full_grid = chosen.and_then(|c| self.whole_grid(&values, c));
        let group_spent: u64 = rounds.iter().map(|r| r.selection.replications).sum();
        let (eta, h2) = last
            .as_ref()
            .map_or((rounds[0].selection.eta, rounds[0].selection.h2), |(s, _)| {
                (s.eta, s.h2)
            });
        Selection {
            candidates,
            chosen,
            inseparable,
            stop,
            replications: group_spent + last.as_ref().map_or(0, |(s, _)| s.replications),
            full_grid,
            eta,
            h2,
            trace: trace(rounds, last.as_ref().map(|(s, _)| s)),
        }
    }
}

/// Survivors over all groups after each screening of the group rounds (a
/// group that has ended keeps its count), then the final round's.
fn trace(rounds: &[Round], last: Option<&Selection>) -> Vec<Step> {
    let mut stages: Vec<u32> = rounds
        .iter()
        .flat_map(|r| r.selection.trace.iter().map(|s| s.stage))
        .collect();
    stages.sort_unstable();
    stages.dedup();
    let mut out: Vec<Step> = stages
        .iter()
        .map(|&stage| {
            let at = |r: &Round| r.selection.trace.iter().rev().find(|s| s.stage <= stage).copied();
            Step {
                stage,
                spent: rounds.iter().filter_map(at).map(|s| s.spent).sum(),
                survivors: rounds.iter().filter_map(at).map(|s| s.survivors).sum(),
            }
        })
        .collect();
    let (stage, spent) = out.last().map_or((0, 0), |s| (s.stage, s.spent));
    if let Some(last) = last {
        out.extend(last.trace.iter().map(|s| Step {
            stage: stage + s.stage,
            spent: spent + s.spent,
            survivors: s.survivors,
        }));
    }
    out
}

/// Nothing decided about `k` configurations: a shard's share of a
/// tournament, or one interrupted before its rounds were in.
fn undecided(k: usize) -> Selection {
    Selection {
        candidates: (0..k)
            .map(|_| Candidate {
                replications: 0,
                fate: Fate::Survived,
                objective: Estimate::undefined(),
                constraints: Vec::new(),
                versus_chosen: Estimate::undefined(),
            })
            .collect(),
        chosen: None,
        inseparable: Vec::new(),
        stop: Stop::Interrupted,
        replications: 0,
        full_grid: None,
        eta: 0.0,
        h2: 0.0,
        trace: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::engine::Silent;
    use crate::sim::rng::{Seed, Stream};
    use rand_distr::{Distribution, StandardNormal};

    fn procedure(delta: f64, budget: Option<u64>) -> Procedure {
        Procedure {
            indifference: delta,
            confidence: 0.95,
            first_stage: 10,
            budget,
        }
    }

    /// A standard normal draw, a pure function of (seed, stream, index).
    fn normal(seed: u64, stream: u64, index: u64) -> f64 {
        StandardNormal.sample(&mut Seed(seed).buyer_rng(index, Stream::Journey, stream))
    }

    #[test]
    fn constraints_parse_and_refuse() {
        let c: Constraint = "cost_per_win <= 30000".parse().unwrap();
        assert_eq!(
            (c.metric.as_str(), c.bound, c.limit),
            ("cost_per_win", Bound::AtMost, 30000.0)
        );
        let c: Constraint = "win_rate>=0.2".parse().unwrap();
        assert_eq!(c.bound, Bound::AtLeast);
        assert!("cost_per_win < 3".parse::<Constraint>().is_err());
        assert!("cost_per_win <= lots".parse::<Constraint>().is_err());
        assert!(" <= 3".parse::<Constraint>().is_err());
    }

    #[test]
    fn settings_are_checked() {
        assert!(procedure(1.0, None).check(5).is_ok());
        assert!(procedure(0.0, None).check(5).is_err());
        assert!(procedure(-1.0, None).check(5).is_err());
        assert!(procedure(1.0, Some(49)).check(5).is_err());
        let mut p = procedure(1.0, None);
        p.confidence = 1.0;
        assert!(p.check(5).is_err());
        p.confidence = 0.9;
        p.first_stage = 1;
        assert!(p.check(5).is_err());
    }

    #[test]
    fn a_clearly_worse_configuration_goes_at_the_first_screening() {
        // Configuration 1 is 10 standard deviations worse.
        let s = select(
            3,
            &procedure(0.5, None),
            true,
            &[],
            |i, r| vec![[1.0, -9.0, 0.9][i] + normal(1, i as u64, r)],
            &Silent,
        );
        assert_eq!(s.candidates[1].fate, Fate::Dominated { at: 10 });
        assert_eq!(s.stop, Stop::Guarantee);
    }

    #[test]
    fn minimising_flips_the_order() {
        let s = select(
            2,
            &procedure(0.5, None),
            false,
            &[],
            |i, r| vec![[5.0, 0.0][i] + normal(2, i as u64, r)],
            &Silent,
        );
        assert_eq!(s.chosen, Some(1));
    }

    #[test]
    fn identical_configurations_at_zero_indifference_run_to_the_budget() {
        let s = select(
            2,
            &procedure(0.0, Some(100)),
            true,
            &[],
            |_, r| vec![normal(3, 0, r)],
            &Silent,
        );
        assert_eq!(s.stop, Stop::Budget);
        assert_eq!(s.replications, 100);
        assert_eq!((s.chosen, s.inseparable.clone()), (Some(0), vec![1]));
    }

    #[test]
    fn a_clear_violation_is_infeasible_and_a_margin_is_not() {
        // Configuration 0 is best but its second value is 20 sd above the
        // limit; configuration 1's sits 20 sd below.
        let s = select(
            2,
            &procedure(0.5, None),
            true,
            &[(Bound::AtMost, 10.0)],
            |i, r| {
                let e = normal(4, i as u64, r);
                vec![[2.0, 0.0][i] + e, [30.0, -10.0][i] + e]
            },
            &Silent,
        );
        assert_eq!(
            s.candidates[0].fate,
            Fate::Infeasible {
                at: 10,
                constraint: 0
            }
        );
        assert_eq!(s.chosen, Some(1));
    }

    #[test]
    fn undefined_objectives_are_not_ranked() {
        let s = select(
            2,
            &procedure(0.5, None),
            true,
            &[],
            |i, r| {
                vec![if i == 0 && r == 3 {
                    f64::NAN
                } else {
                    normal(5, i as u64, r)
                }]
            },
            &Silent,
        );
        assert_eq!(s.candidates[0].fate, Fate::Undefined { at: 4 });
        assert_eq!(s.chosen, Some(1));
    }

    #[test]
    fn groups_tile_the_grid_and_share_the_budget() {
        for k in [2, 7, 18, 1000] {
            for g in [1, 2, 3, 7] {
                if g > k {
                    continue;
                }
                let sizes: Vec<usize> = (0..g).map(|i| group_range(k, g, i).len()).collect();
                assert_eq!(sizes.iter().sum::<usize>(), k);
                assert!(
                    sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
                    "{sizes:?}"
                );
                let budget = (k + g) as u64 * 10 + 3;
                let t = Tournament {
                    procedure: &procedure(1.0, Some(budget)),
                    groups: g,
                    maximise: true,
                    constraints: &[],
                };
                let b = t.budgets(k);
                assert_eq!(b.iter().map(|x| x.unwrap()).sum::<u64>(), budget);
                for (i, share) in b.iter().take(g).enumerate() {
                    assert!(share.unwrap() >= 10 * sizes[i] as u64);
                }
                assert!(b[g].unwrap() >= 10 * g as u64);
            }
        }
    }

    #[test]
    fn group_values_survive_their_row() {
        let values = vec![
            vec![vec![1.0, 2.0], vec![f64::NAN, 4.0]],
            vec![],
            vec![vec![5.0, 6.0]],
        ];
        let row = flatten(&values);
        let back = unflatten(&row, 3, 2).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[0][0], vec![1.0, 2.0]);
        assert!(back[0][1][0].is_nan());
        assert!(back[1].is_empty());
        assert_eq!(back[2], vec![vec![5.0, 6.0]]);
        assert!(unflatten(&row[..row.len() - 1], 3, 2).is_none());
        assert!(unflatten(&row, 2, 2).is_none());
    }

    #[test]
    fn a_tournament_finds_the_clear_best_in_any_group() {
        // Ten configurations, the best (8) far ahead: the group rounds pick
        // it in its group, and the final picks it among the groups' choices.
        let s = select_in_groups(
            10,
            &procedure(0.5, None),
            3,
            true,
            &[],
            |i, r| vec![if i == 8 { 10.0 } else { i as f64 * 0.1 } + normal(11, i as u64, r)],
            &Silent,
        );
        assert_eq!(s.chosen, Some(8));
        assert_eq!(s.stop, Stop::Guarantee);
        // Every configuration of another group was out before the final,
        // as its group's choice, runner-up or eliminated.
        assert!(s.candidates.iter().all(|c| c.replications >= 10));
        assert!(s.trace.last().unwrap().survivors == 1);
    }

    #[test]
    fn values_that_do_not_fit_their_round_are_reported_and_nothing_is_chosen() {
        let p = procedure(0.5, None);
        let t = Tournament {
            procedure: &p,
            groups: 2,
            maximise: true,
            constraints: &[],
        };
        let evaluate = |i: usize, r: u64| vec![i as f64 + normal(3, i as u64, r)];
        // A part holding too few replications of its group: the round asks
        // for more than it stored.
        let short =
            |count: u32, _: &dyn RunObserver, _: &(dyn Fn(u64) -> Vec<f64> + Sync)| -> Vec<Vec<f64>> {
                (0..count)
                    .map(|_| flatten(&[vec![vec![1.0]; 3], vec![vec![2.0]; 3]]))
                    .collect()
            };
        let said = std::sync::Mutex::new(Vec::new());
        let s = t.run(
            4,
            &evaluate,
            &short,
            &|why| said.lock().unwrap().push(why.to_owned()),
            &Silent,
        );
        assert_eq!(s.chosen, None);
        assert_eq!(s.stop, Stop::Interrupted);
        let said = said.into_inner().unwrap();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains("group 1's stored values do not match its round"),
            "{said:?}"
        );
    }
}
