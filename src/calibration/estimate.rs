//! Calibration: estimate a scenario's journey, lead sources, deal values and
//! decision from cleaned CRM history ([`crate::calibration::history`]), and check the
//! fitted scenario against the history it came from.
//!
//! # What is estimated, and how
//! * **Dwell per stage**: every stay in a stage is a spell ending when the
//!   opportunity moved on or closed; an opportunity still in the stage at
//!   the as-of time is *right-censored* (it contributes "stayed at least
//!   this long", not a loss). Exponential, gamma and lognormal are fitted by
//!   maximum likelihood and the lowest AIC wins ([`crate::calibration::fit`]).
//! * **Stall probability per stage**: stalls / (advances + stalls) among
//!   stays that have *ended*. Open opportunities are left out of both counts,
//!   so a history full of open deals does not drag advance rates down. In the
//!   model a stay's length does not depend on how it ends, so this is the
//!   maximum-likelihood estimate. Any closing other than a decision at the
//!   last stage (no decision, went dark) counts as a stall; disqualified
//!   leads are counted separately, as the source's fit; their stay is
//!   censored when they are disqualified (a competing risk: qualifying is
//!   sales' decision, not the end of the buyer's own stay).
//! * **Decision**: shares of won / lost / no decision among decided deals
//!   (a deal won or lost before the last stage skipped to the decision);
//!   written as constant choice utilities `ln p`.
//! * **Sources**: per source, the lead rate (a Poisson rate over the
//!   history's span), the fit (share not disqualified among leads whose first
//!   stay ended), the capture-stage mix and the segment mix.
//! * **Deal value** per segment: lognormal fitted to won amounts (to every
//!   opportunity's amount when fewer than [`MIN_STAYS`] were won).
//!
//! What stage history cannot tell — how buyers respond to sales touches,
//! receptivity, the value weights — is written neutral: the fitted scenario
//! reproduces the history's funnel, and changes to policies start from it.

use std::collections::BTreeMap;

use crate::calibration::fit::{self, DwellFits, LognormalFit, Positive, Proportion, Spell};
use crate::calibration::history::Opportunity;
use crate::calibration::survival::KaplanMeier;
use crate::model::outcome::Outcome;
use crate::model::scenario::spec::ArrivalsSpec;
use crate::model::scenario::{Scenario, ScenarioError};
use crate::sim::engine::{self, RunObserver};
use crate::sim::shard::Runner;
use crate::sim::stats::Estimate;

/// Stages with fewer completed stays than this are flagged as having too
/// little data (the estimates are rough and the AIC choice is unreliable).
pub const MIN_STAYS: usize = 30;

/// Why a history cannot be calibrated.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CalibrationError {
    /// Nothing usable survived cleaning.
    #[error("no usable opportunities in the history")]
    Empty,
    /// The history covers no time.
    #[error("the history spans no time (every opportunity starts at the as-of time)")]
    NoSpan,
    /// Some stages have no completed stay, so their dwell cannot be estimated.
    #[error(
        "no completed stay in stage(s) {}: their dwell time cannot be estimated",
        .0.join(", ")
    )]
    NoStays(Vec<String>),
    /// Nobody decided, so the win rate is unknown.
    #[error("no opportunity reached a decision (won, lost or no decision at the last stage)")]
    NoDecisions,
}

/// Estimates for one stage.
#[derive(Clone, Debug, PartialEq)]
pub struct StageEstimate {
    /// Stage name.
    pub name: String,
    /// Opportunities that entered the stage (had a row for it).
    pub entered: u64,
    /// Dwell fits, best first.
    pub dwell: DwellFits,
    /// The Kaplan–Meier curve of the same stays, to judge the fits by.
    pub km: KaplanMeier,
    /// Stays of zero length (no dwell time, still counted as exits).
    pub zero_length: usize,
    /// Stays that ended in an advance (including jumps over stages).
    pub advanced: u64,
    /// Stays that ended in a stall (closed without a decision).
    pub stalled: u64,
    /// Stays that ended in disqualification (censored in the dwell fit).
    pub disqualified: u64,
    /// Stall probability (stalled of advanced + stalled); at the last stage
    /// this is 0 by construction and the decision carries the outcome.
    pub stall: Proportion,
}

impl StageEstimate {
    /// Whether there is too little data for trustworthy estimates.
    pub fn sparse(&self) -> bool {
        self.dwell.events < MIN_STAYS
    }
}

/// The final choice, as shares of decided deals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecisionEstimate {
    /// Won.
    pub won: Proportion,
    /// Lost (to a competitor, or dark at the last stage).
    pub lost: Proportion,
    /// No decision at the last stage.
    pub no_decision: Proportion,
}

/// Estimates for one lead source.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelEstimate {
    /// Source name.
    pub name: String,
    /// Leads (opportunities) from it.
    pub leads: u64,
    /// Leads per day.
    pub rate: Positive,
    /// Share that are real prospects (not disqualified).
    pub fit: Proportion,
    /// Capture stage shares, per stage.
    pub stage_mix: Vec<Proportion>,
    /// Segment shares, per segment of [`Calibration::segments`].
    pub segment_mix: Vec<Proportion>,
    /// Whether its leads arrived at a steady rate.
    pub arrivals: ArrivalFit,
    /// The day each of its leads arrived (first entry), counted from the
    /// history's first entry: the observed arrivals the fit check replays.
    pub arrival_days: Vec<f64>,
}

/// Length of the periods arrivals are counted in: about a month, the
/// cadence campaigns and reports run at.
pub const ARRIVAL_PERIOD_DAYS: f64 = 30.0;

/// A steady rate is rejected when its dispersion test's p-value is below
/// this: strict, because every source is tested and a schedule is only
/// worth its many parameters when the change is plain.
pub const STEADY_REJECT_P: f64 = 0.001;

/// Fewest leads every period must expect for the dispersion test to be
/// run (the usual condition for Pearson's χ² approximation).
pub const MIN_EXPECTED: f64 = 5.0;

/// Leads counted per period, and whether a steady Poisson rate explains
/// them.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrivalFit {
    /// Per period of [`ARRIVAL_PERIOD_DAYS`] from the history's first
    /// entry: (leads, exposure days). A last period shorter than half a
    /// period is merged into the one before.
    pub periods: Vec<(u64, f64)>,
    /// The Poisson dispersion test of the counts about the steady rate, if
    /// there are at least two periods and each expects at least
    /// [`MIN_EXPECTED`] leads.
    pub steady: Option<DispersionTest>,
}

/// Pearson's dispersion test of Poisson counts with known exposures:
/// `χ² = Σ (kᵢ − λ̂Tᵢ)² / (λ̂Tᵢ)` on `m − 1` degrees of freedom, with `λ̂` the
/// steady rate's maximum-likelihood estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DispersionTest {
    /// The statistic.
    pub chi2: f64,
    /// Degrees of freedom.
    pub df: u64,
    /// Upper-tail p-value.
    pub p: f64,
}

impl ArrivalFit {
    /// Counts `days` (arrival days from the start) over `span_days`.
    pub fn of(days: &[f64], span_days: f64) -> Self {
        let mut periods: Vec<(u64, f64)> = Vec::new();
        let n = (span_days / ARRIVAL_PERIOD_DAYS).ceil().max(1.0) as usize;
        for i in 0..n {
            let start = i as f64 * ARRIVAL_PERIOD_DAYS;
            periods.push((0, ARRIVAL_PERIOD_DAYS.min(span_days - start)));
        }
        for &d in days {
            let i = ((d / ARRIVAL_PERIOD_DAYS).floor().max(0.0) as usize).min(n - 1);
            periods[i].0 += 1;
        }
        if periods.len() > 1 && periods[n - 1].1 < 0.5 * ARRIVAL_PERIOD_DAYS {
            let (k, t) = periods.pop().expect("two or more");
            let last = periods.last_mut().expect("one or more");
            last.0 += k;
            last.1 += t;
        }
        let total: u64 = periods.iter().map(|p| p.0).sum();
        let exposure: f64 = periods.iter().map(|p| p.1).sum();
        let rate = total as f64 / exposure;
        // Pearson's χ² is trusted when every period expects at least 5
        // leads; a sparser source keeps its steady rate, untested.
        let testable =
            periods.len() >= 2 && total > 0 && periods.iter().all(|&(_, t)| rate * t >= MIN_EXPECTED);
        let steady = testable.then(|| {
            let chi2: f64 = periods
                .iter()
                .map(|&(k, t)| (k as f64 - rate * t).powi(2) / (rate * t))
                .sum();
            let df = periods.len() as u64 - 1;
            let p = statrs::distribution::ChiSquared::new(df as f64)
                .map_or(f64::NAN, |c| statrs::distribution::ContinuousCDF::sf(&c, chi2));
            DispersionTest { chi2, df, p }
        });
        Self { periods, steady }
    }

    /// Whether a steady rate is rejected ([`STEADY_REJECT_P`]).
    pub fn varying(&self) -> bool {
        self.steady.is_some_and(|t| t.p < STEADY_REJECT_P)
    }

    /// Leads per day in each period.
    pub fn rates(&self) -> Vec<f64> {
        self.periods.iter().map(|&(k, t)| k as f64 / t).collect()
    }
}

/// Estimates for one segment.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentEstimate {
    /// Segment name.
    pub name: String,
    /// Opportunities in it.
    pub opportunities: u64,
    /// Deal value fit, if there were amounts.
    pub deal_value: Option<LognormalFit>,
    /// Whether the amounts came from won deals (at least [`MIN_STAYS`] of
    /// them; otherwise every opportunity's amount is used).
    pub from_won: bool,
}

/// The observed funnel, censored at the as-of time like the history.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedFunnel {
    /// Opportunities that reached each stage (captured there or later, or
    /// advanced into it).
    pub reached: Vec<u64>,
    /// Won deals.
    pub won: u64,
    /// Mean days from first entry to won, over won deals with a close time.
    pub cycle_days: Option<f64>,
}

/// Everything estimated from a history.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// Per stage, in journey order.
    pub stages: Vec<StageEstimate>,
    /// The final choice.
    pub decision: DecisionEstimate,
    /// Per source (one "all_sources" channel when the file has no source).
    pub channels: Vec<ChannelEstimate>,
    /// Per segment (one "typical" segment when the file has no segment).
    pub segments: Vec<SegmentEstimate>,
    /// Days from the first stage entry to the as-of time.
    pub span_days: f64,
    /// Opportunities used.
    pub opportunities: u64,
    /// Opportunities still open at the as-of time.
    pub open: u64,
    /// The funnel the history shows.
    pub observed: ObservedFunnel,
}

/// Name of the single channel when the history has no source column.
pub const ALL_SOURCES: &str = "all_sources";
/// Name of the single segment when the history has no segment column.
pub const ONE_SEGMENT: &str = "typical";
/// Name used for a missing source or segment value.
pub const UNSPECIFIED: &str = "unspecified";

/// Estimates everything from `opps` (cleaned, over `stages` in journey
/// order) read as of `as_of`.
pub fn estimate(
    opps: &[Opportunity],
    stages: &[String],
    as_of: f64,
) -> Result<Calibration, CalibrationError> {
    if opps.is_empty() {
        return Err(CalibrationError::Empty);
    }
    let start = opps
        .iter()
        .map(Opportunity::first_seen)
        .fold(f64::INFINITY, f64::min);
    let span_days = as_of - start;
    if span_days <= 0.0 {
        return Err(CalibrationError::NoSpan);
    }
    let journeys = Journeys::count(opps, stages.len(), as_of);
    let stage_estimates = journeys.stages(stages)?;
    let decision = journeys.decision()?;
    let segmenting = Segmenting::of(opps);
    let segments = segment_estimates(opps, &segmenting);
    let channels = channel_estimates(opps, &segmenting, &segments, stages.len(), (start, span_days));
    Ok(Calibration {
        stages: stage_estimates,
        decision,
        channels,
        segments,
        span_days,
        opportunities: opps.len() as u64,
        open: journeys.open,
        observed: observed_funnel(opps, stages.len(), journeys.won),
    })
}

/// Stays, exits and decisions counted over every opportunity.
struct Journeys {
    /// Stays per stage (censored when the stay had not ended).
    spells: Vec<Vec<Spell>>,
    entered: Vec<u64>,
    zero: Vec<usize>,
    advanced: Vec<u64>,
    stalled: Vec<u64>,
    disqualified: Vec<u64>,
    won: u64,
    lost: u64,
    no_decision: u64,
    open: u64,
}

impl Journeys {
    fn count(opps: &[Opportunity], n: usize, as_of: f64) -> Self {
        let last = n - 1;
        let mut j = Journeys {
            spells: vec![Vec::new(); n],
            entered: vec![0; n],
            zero: vec![0; n],
            advanced: vec![0; n],
            stalled: vec![0; n],
            disqualified: vec![0; n],
            won: 0,
            lost: 0,
            no_decision: 0,
            open: 0,
        };
        for o in opps {
            for w in o.entries.windows(2) {
                let (s, t) = w[0];
                j.stay(s, w[1].1 - t, false);
                j.advanced[s] += 1;
            }
            for &(s, _) in &o.entries {
                j.entered[s] += 1;
            }
            let (s, t) = *o.entries.last().expect("never empty");
            if o.outcome == Outcome::Open {
                j.open += 1;
                j.stay(s, as_of - t, true);
                continue;
            }
            if let Some(c) = o.closed_at {
                // Disqualifying is sales' decision, not the end of the buyer's
                // own stay: like the end of the history, it censors the stay.
                j.stay(s, c - t, o.outcome == Outcome::Disqualified);
            }
            match o.outcome {
                Outcome::Disqualified => j.disqualified[s] += 1,
                Outcome::Won | Outcome::LostCompetitor if s < last => j.advanced[s] += 1,
                Outcome::NoDecision | Outcome::WentDark if s < last => j.stalled[s] += 1,
                _ => {}
            }
            let decided_here = s == last || matches!(o.outcome, Outcome::Won | Outcome::LostCompetitor);
            if decided_here {
                match o.outcome {
                    Outcome::Won => j.won += 1,
                    Outcome::LostCompetitor | Outcome::WentDark => j.lost += 1,
                    Outcome::NoDecision => j.no_decision += 1,
                    _ => {}
                }
            }
        }
        j
    }

    /// Records a stay of `days` in stage `s`; a zero-length stay that ended
    /// has no dwell time but still counts.
    fn stay(&mut self, s: usize, days: f64, censored: bool) {
        if days > 0.0 {
            self.spells[s].push(Spell { days, censored });
        } else if !censored {
            self.zero[s] += 1;
        }
    }

    /// Dwell fits and exit proportions per stage.
    fn stages(&self, stages: &[String]) -> Result<Vec<StageEstimate>, CalibrationError> {
        let last = stages.len() - 1;
        let mut missing = Vec::new();
        let mut estimates = Vec::with_capacity(stages.len());
        for (s, name) in stages.iter().enumerate() {
            match fit::fit_dwell(&self.spells[s]) {
                Some(dwell) => estimates.push(StageEstimate {
                    name: name.clone(),
                    entered: self.entered[s],
                    dwell,
                    km: KaplanMeier::new(&self.spells[s]),
                    zero_length: self.zero[s],
                    advanced: self.advanced[s],
                    stalled: self.stalled[s],
                    disqualified: self.disqualified[s],
                    stall: if s == last {
                        Proportion::new(0, 0)
                    } else {
                        Proportion::new(self.stalled[s], self.stalled[s] + self.advanced[s])
                    },
                }),
                None => missing.push(name.clone()),
            }
        }
        if missing.is_empty() {
            Ok(estimates)
        } else {
            Err(CalibrationError::NoStays(missing))
        }
    }

    /// How deciders decided.
    fn decision(&self) -> Result<DecisionEstimate, CalibrationError> {
        let decided = self.won + self.lost + self.no_decision;
        if decided == 0 {
            return Err(CalibrationError::NoDecisions);
        }
        Ok(DecisionEstimate {
            won: Proportion::new(self.won, decided),
            lost: Proportion::new(self.lost, decided),
            no_decision: Proportion::new(self.no_decision, decided),
        })
    }
}

/// Which columns the history had, and so how opportunities are grouped.
struct Segmenting {
    has_segments: bool,
    has_sources: bool,
}

impl Segmenting {
    fn of(opps: &[Opportunity]) -> Self {
        Self {
            has_segments: opps.iter().any(|o| o.segment.is_some()),
            has_sources: opps.iter().any(|o| o.source.is_some()),
        }
    }

    fn segment_of(&self, o: &Opportunity) -> String {
        match (&o.segment, self.has_segments) {
            (Some(s), _) => s.clone(),
            (None, true) => UNSPECIFIED.to_owned(),
            (None, false) => ONE_SEGMENT.to_owned(),
        }
    }

    fn source_of(&self, o: &Opportunity) -> String {
        if self.has_sources {
            o.source.clone().unwrap_or_else(|| UNSPECIFIED.to_owned())
        } else {
            ALL_SOURCES.to_owned()
        }
    }
}

/// Deal values per segment.
fn segment_estimates(opps: &[Opportunity], by: &Segmenting) -> Vec<SegmentEstimate> {
    let mut by_segment: BTreeMap<String, Vec<&Opportunity>> = BTreeMap::new();
    for o in opps {
        by_segment.entry(by.segment_of(o)).or_default().push(o);
    }
    by_segment
        .iter()
        .map(|(name, members)| {
            let won_amounts: Vec<f64> = members
                .iter()
                .filter(|o| o.outcome == Outcome::Won)
                .filter_map(|o| o.amount)
                .collect();
            // Won amounts are what revenue is made of, but a handful of wins
            // says little about spread: below MIN_STAYS of them, use every
            // opportunity's amount.
            let from_won = won_amounts.len() >= MIN_STAYS;
            let amounts = if from_won {
                won_amounts
            } else {
                members.iter().filter_map(|o| o.amount).collect()
            };
            SegmentEstimate {
                name: name.clone(),
                opportunities: members.len() as u64,
                deal_value: fit::fit_lognormal(&amounts),
                from_won,
            }
        })
        .collect()
}

/// Lead rate, fit and mixes per source.
fn channel_estimates(
    opps: &[Opportunity],
    by: &Segmenting,
    segments: &[SegmentEstimate],
    n_stages: usize,
    (start, span_days): (f64, f64),
) -> Vec<ChannelEstimate> {
    let segment_index: BTreeMap<&str, usize> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut by_source: BTreeMap<String, Vec<&Opportunity>> = BTreeMap::new();
    for o in opps {
        by_source.entry(by.source_of(o)).or_default().push(o);
    }
    by_source
        .into_iter()
        .map(|(name, members)| {
            let leads = members.len() as u64;
            let mut stage_counts = vec![0u64; n_stages];
            let mut segment_counts = vec![0u64; segments.len()];
            let (mut first_ended, mut dq) = (0u64, 0u64);
            for o in &members {
                stage_counts[o.entries[0].0] += 1;
                segment_counts[segment_index[by.segment_of(o).as_str()]] += 1;
                // The first stay has ended if the buyer moved on or closed.
                if o.entries.len() > 1 || o.outcome != Outcome::Open {
                    first_ended += 1;
                    dq += u64::from(o.outcome == Outcome::Disqualified && o.entries.len() == 1);
                }
            }
            let arrival_days: Vec<f64> = members.iter().map(|o| o.first_seen() - start).collect();
            ChannelEstimate {
                arrivals: ArrivalFit::of(&arrival_days, span_days),
                arrival_days,
                name,
                leads,
                rate: fit::poisson_rate(leads, span_days),
                fit: Proportion::new(first_ended - dq, first_ended),
                stage_mix: stage_counts.iter().map(|&k| Proportion::new(k, leads)).collect(),
                segment_mix: segment_counts
                    .iter()
                    .map(|&k| Proportion::new(k, leads))
                    .collect(),
            }
        })
        .collect()
}

/// The history's own funnel, for the fit check.
fn observed_funnel(opps: &[Opportunity], n_stages: usize, won: u64) -> ObservedFunnel {
    let last = n_stages - 1;
    let mut reached = vec![0u64; n_stages];
    let (mut cycle_sum, mut cycle_n) = (0.0, 0u64);
    for o in opps {
        for r in &mut reached[..=o.furthest_stage(last)] {
            *r += 1;
        }
        if o.outcome == Outcome::Won
            && let Some(c) = o.closed_at
        {
            cycle_sum += c - o.first_seen();
            cycle_n += 1;
        }
    }
    ObservedFunnel {
        reached,
        won,
        cycle_days: (cycle_n > 0).then(|| cycle_sum / cycle_n as f64),
    }
}

/// One observed figure next to the fitted scenario's simulation of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// What is compared.
    pub name: String,
    /// The history's value.
    pub observed: Option<f64>,
    /// Across simulated histories of the same span.
    pub simulated: Estimate,
    /// `(observed − simulated mean) / simulated sd`: how unusual the real
    /// history would be if the fitted scenario were true. |z| > 3 is a poor fit.
    pub z: Option<f64>,
    /// Across simulated histories whose leads arrive on the history's own
    /// days ([`replay_scenario`]): the journey judged without the arrival
    /// assumption.
    pub replayed: Estimate,
    /// `z` against [`Check::replayed`].
    pub z_replayed: Option<f64>,
}

/// Goodness of fit: |z| above this is flagged.
pub const POOR_FIT_Z: f64 = 3.0;

/// The scenario of the fit check: `fitted` over the calibrated span with no
/// warm-up and no run-off, so opportunities open at the as-of time stay
/// open, as in the real history.
pub fn check_scenario(
    cal: &Calibration,
    fitted: &Scenario,
    replications: u32,
    seed: u64,
) -> Result<Scenario, ScenarioError> {
    let mut spec = fitted.spec().clone();
    spec.simulation.warmup_days = 0.0;
    spec.simulation.horizon_days = cal.span_days;
    spec.simulation.runoff_days = 0.0;
    spec.simulation.snapshot_every_days = cal.span_days;
    spec.simulation.replications = replications;
    spec.simulation.seed = seed;
    Scenario::from_spec(spec)
}

/// `check` (from [`check_scenario`]) with each source's leads arriving on
/// the days they arrived in the history, so that a fit check on it judges
/// the journey alone, and the one on `check` the journey and the fitted
/// arrival process together.
pub fn replay_scenario(cal: &Calibration, check: &Scenario) -> Result<Scenario, ScenarioError> {
    let mut spec = check.spec().clone();
    for ch in &mut spec.channels {
        if let Some(fitted) = cal.channels.iter().find(|c| c.name == ch.name) {
            // The window is half open and the history closed: a lead
            // first seen at the as-of instant (the default as-of is the
            // file's last timestamp) is replayed a moment before it.
            let last = cal.span_days - 1e-9 * cal.span_days.max(1.0);
            ch.arrivals = ArrivalsSpec::Dates {
                days: fitted.arrival_days.iter().map(|&d| d.min(last)).collect(),
            };
        }
    }
    Scenario::from_spec(spec)
}

/// Simulates the histories of `check` (from [`check_scenario`]) and of
/// `replay` (from [`replay_scenario`]) and compares each stage's reach,
/// wins and cycle time with what the history shows (a parametric
/// bootstrap), with the replications `runner` provides. `observer` sees
/// each replication and may cancel the run.
pub fn check(
    cal: &Calibration,
    check: &Scenario,
    replay: &Scenario,
    runner: &dyn Runner,
    observer: &dyn RunObserver,
) -> Vec<Check> {
    let r = runner.run(check, observer, engine::Rows::Drop, engine::Detail::Estimates);
    let replayed = runner.run(replay, observer, engine::Rows::Drop, engine::Detail::Estimates);
    let z = |observed: Option<f64>, e: &Estimate| match (observed, e.mean, e.sd) {
        (Some(o), Some(m), Some(sd)) if sd > 0.0 => Some((o - m) / sd),
        _ => None,
    };
    let compare = |name: String, metric: &str, observed: Option<f64>| {
        let simulated = r.estimate(metric).cloned().unwrap_or_else(Estimate::undefined);
        let replayed = replayed
            .estimate(metric)
            .cloned()
            .unwrap_or_else(Estimate::undefined);
        Check {
            name,
            observed,
            z: z(observed, &simulated),
            z_replayed: z(observed, &replayed),
            simulated,
            replayed,
        }
    };
    let mut checks: Vec<Check> = cal
        .stages
        .iter()
        .zip(&cal.observed.reached)
        .map(|(st, &k)| compare(st.name.clone(), &format!("reached.{}", st.name), Some(k as f64)))
        .collect();
    checks.push(compare("won".into(), "won", Some(cal.observed.won as f64)));
    checks.push(compare(
        "cycle days (won)".into(),
        "cycle_days",
        cal.observed.cycle_days,
    ));
    checks
}
