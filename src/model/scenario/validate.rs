//! Validation: a [`ScenarioSpec`] checked once, every problem collected
//! with its key path, into the [`Scenario`] the engine trusts. One method per
//! section of the file; [`Validator::run`] assembles them and adds the checks
//! that span sections.

use std::collections::BTreeMap;

use rand_distr::LogNormal;

use super::spec::{
    ArrivalsSpec, ChannelSpec, DealValueSpec, DwellSpec, HandoffSpec, MarketingSpec, OutreachSpec,
    ResponseSpec, ScenarioSpec, SegmentSpec, SimulationSpec, StageSpec, ValuesSpec,
};
use super::{
    MAX_DAYS, MAX_LIST_LEN, MAX_MONEY, MAX_REPS, MAX_SIGMA, MAX_UNANSWERED_TOUCHES, MAX_UTILITY,
    MIN_CADENCE_DAYS, MIX_TOLERANCE, Problem, Scenario, ScenarioError, did_you_mean,
};
use crate::model::channel::{Arrivals, Burst, BurstKind, Categorical, Channel, ChannelKind, Spend};
use crate::model::decision::DecisionModel;
use crate::model::handoff::HandoffPolicy;
use crate::model::marketing::{MAX_SCORE, Marketing};
use crate::model::outreach::{Approach, Outreach, Response};
use crate::model::segment::{DealValue, Segment};

/// Most days a `dates` arrival process may list (a replayed history holds
/// one per lead).
const MAX_DATES: usize = 1_000_000;
use crate::model::stage::{Dwell, Stage};
use crate::model::values::{NAMES, Values};
use crate::sim::rng::Seed;

/// The run's days, validated.
struct Days {
    warmup: f64,
    horizon: f64,
    runoff: f64,
    snapshot_every: f64,
    /// Day the simulation stops.
    end: f64,
}

/// Stage and segment indices by name, for the channels' mixes.
struct Names<'a> {
    stages: &'a BTreeMap<String, usize>,
    stage_count: usize,
    segments: &'a BTreeMap<String, usize>,
    segment_count: usize,
}

/// Collects every problem of a spec.
#[derive(Default)]
pub(super) struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            origin: super::Origin::File,
            path: path.into(),
            message: message.into(),
            span: None,
        });
    }

    fn probability(&mut self, path: &str, v: f64) -> f64 {
        if !(0.0..=1.0).contains(&v) {
            self.problem(
                path,
                format!("{v} is not a probability (expected a number in [0, 1])"),
            );
        }
        v
    }

    fn positive(&mut self, path: &str, v: f64) -> f64 {
        if !(v > 0.0 && v.is_finite()) {
            self.problem(path, format!("{v} must be a positive number"));
        }
        v
    }

    fn non_negative(&mut self, path: &str, v: f64) -> f64 {
        if !(v >= 0.0 && v.is_finite()) {
            self.problem(path, format!("{v} must be zero or a positive number"));
        }
        v
    }

    /// Refuses a (finite) value above `max`, giving the reason. Call after
    /// the sign check, which reports NaN and infinities.
    fn at_most(&mut self, path: &str, v: f64, max: f64, why: &str) -> f64 {
        if v.is_finite() && v > max {
            self.problem(path, format!("{v} is too large (at most {max}): {why}"));
        }
        v
    }

    /// Refuses a positive value below `min`, giving the reason.
    fn at_least(&mut self, path: &str, v: f64, min: f64, why: &str) -> f64 {
        if v > 0.0 && v < min {
            self.problem(path, format!("{v} is too small (at least {min}): {why}"));
        }
        v
    }

    /// A count of list entries, at most [`MAX_LIST_LEN`].
    fn list_len(&mut self, section: &str, len: usize) {
        if len > MAX_LIST_LEN {
            self.problem(
                section,
                format!(
                    "{len} entries; at most {MAX_LIST_LEN} (the engine stores a buyer's {} index in one byte)",
                    section.trim_end_matches('s')
                ),
            );
        }
    }

    /// An amount of money: zero or positive and at most [`MAX_MONEY`], so
    /// that totals over many leads and days stay finite.
    fn money(&mut self, path: &str, v: f64) -> f64 {
        let v = self.non_negative(path, v);
        self.at_most(path, v, MAX_MONEY, "more than a trillion; check the unit")
    }

    /// A span of days: zero or positive and at most [`MAX_DAYS`].
    fn days(&mut self, path: &str, v: f64) -> f64 {
        let v = self.non_negative(path, v);
        self.at_most(path, v, MAX_DAYS, "longer than 100 years; check the unit (days)")
    }

    /// A touch cadence in days: positive and at least [`MIN_CADENCE_DAYS`].
    fn cadence(&mut self, path: &str, v: f64) -> f64 {
        let v = self.positive(path, v);
        let v = self.at_least(
            path,
            v,
            MIN_CADENCE_DAYS,
            "touching a lead more often than every 15 minutes makes the number of simulated events explode",
        );
        self.at_most(path, v, MAX_DAYS, "longer than 100 years; check the unit (days)")
    }

    /// A lognormal's log-scale sigma: positive and at most [`MAX_SIGMA`].
    fn sigma(&mut self, path: &str, v: f64, of: &str) -> f64 {
        let v = self.positive(path, v);
        self.at_most(
            path,
            v,
            MAX_SIGMA,
            &format!(
                "sigma is the spread of ln({of}), not an amount (typical values 0.3 to 1.5); above {MAX_SIGMA} the largest draws overflow"
            ),
        )
    }

    /// A utility term of the decision logit: finite and at most
    /// [`MAX_UTILITY`] in magnitude.
    fn utility(&mut self, path: &str, v: f64) -> f64 {
        let v = self.finite(path, v);
        if v.is_finite() && v.abs() > MAX_UTILITY {
            self.problem(
                path,
                format!(
                    "{v} is outside [-{MAX_UTILITY}, {MAX_UTILITY}]: utilities enter exp(), and beyond ±{MAX_UTILITY} one choice is certain anyway"
                ),
            );
        }
        v
    }

    fn finite(&mut self, path: &str, v: f64) -> f64 {
        if !v.is_finite() {
            self.problem(path, format!("{v} must be a finite number"));
        }
        v
    }

    fn unit_scores(&mut self, path: &str, v: ValuesSpec) -> Values {
        let values = Values::from(v);
        for (name, x) in NAMES.iter().zip(values.0) {
            self.probability(&format!("{path}.{name}"), x);
        }
        values
    }

    fn weights(&mut self, path: &str, v: ValuesSpec) -> Values {
        let values = Values::from(v);
        for (name, x) in NAMES.iter().zip(values.0) {
            self.non_negative(&format!("{path}.{name}"), x);
        }
        let total: f64 = values.0.iter().sum();
        if total > 0.0 && total.is_finite() {
            Values(values.0.map(|x| x / total))
        } else {
            if values.0.iter().all(|x| *x >= 0.0) {
                self.problem(path, "at least one value weight must be positive");
            }
            values
        }
    }

    fn unique_names<'a>(
        &mut self,
        section: &str,
        names: impl Iterator<Item = &'a str>,
    ) -> BTreeMap<String, usize> {
        let mut index = BTreeMap::new();
        for (i, name) in names.enumerate() {
            if name.trim().is_empty() {
                self.problem(format!("{section}[{i}].name"), "must not be empty");
            } else if index.contains_key(name) {
                self.problem(
                    format!("{section}[{i}].name"),
                    format!(
                        "'{name}' is defined twice; {} names must be unique",
                        section.trim_end_matches('s')
                    ),
                );
            } else {
                index.insert(name.to_owned(), i);
            }
        }
        index
    }

    /// Turns a name → weight mix into a cumulative distribution over `index`.
    fn mix(
        &mut self,
        path: &str,
        mix: &BTreeMap<String, f64>,
        index: &BTreeMap<String, usize>,
        n: usize,
        what: &str,
    ) -> Categorical {
        let mut weights = vec![0.0; n];
        for (name, &w) in mix {
            let p = format!("{path}.{name}");
            self.probability(&p, w);
            match index.get(name) {
                Some(&i) => weights[i] = w,
                // With no valid names at all the section itself was reported.
                None if index.is_empty() => {}
                None => {
                    let mut known: Vec<(&String, &usize)> = index.iter().collect();
                    known.sort_by_key(|(_, i)| **i);
                    let known: Vec<&str> = known.into_iter().map(|(n, _)| n.as_str()).collect();
                    let hint = did_you_mean(name, &known);
                    self.problem(
                        p,
                        format!(
                            "unknown {what} '{name}'; {hint}defined {what}s are: {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        let total: f64 = mix.values().sum();
        if (total - 1.0).abs() > MIX_TOLERANCE && !index.is_empty() {
            self.problem(path, format!("weights sum to {total}, but must sum to 1"));
        }
        Categorical::from_weights(&weights)
    }

    /// Checks `spec` whole: the scenario, or every problem found.
    pub(super) fn run(mut self, spec: ScenarioSpec) -> Result<Scenario, ScenarioError> {
        let window = self.simulation(&spec.simulation);
        let (stages, stage_index) = self.stages(&spec.stages);
        let (segments, segment_index) = self.segments(&spec.segments);
        let names = Names {
            stages: &stage_index,
            stage_count: spec.stages.len(),
            segments: &segment_index,
            segment_count: spec.segments.len(),
        };
        let channels = self.channels(&spec.channels, &names, &window);
        let marketing = self.marketing(&spec.marketing);
        let handoff = self.handoff(&spec, &stage_index);
        let outreach = self.outreach(&spec.outreach, &spec.segments, &segment_index);
        let response = self.response(&spec.response);
        let decision = self.decision(&spec, &stage_index);
        self.gate_reachable(&spec, &stages, &handoff, &stage_index);
        if !self.problems.is_empty() {
            return Err(ScenarioError {
                problems: self.problems,
            });
        }
        Ok(Scenario {
            seed: Seed(spec.simulation.seed),
            replications: spec.simulation.replications,
            warmup_days: window.warmup,
            horizon_days: window.horizon,
            runoff_days: window.runoff,
            snapshot_every_days: window.snapshot_every,
            stages,
            segments,
            channels,
            marketing,
            handoff,
            outreach,
            response,
            decision,
            spec,
        })
    }

    /// A scheduled Poisson rate, as one burst per period: a Poisson count
    /// with the period's mean spread uniformly over it is exactly a Poisson
    /// process of that rate there. Periods count from the start of the
    /// measurement window (as a history's do, so adding a warm-up does not
    /// shift them); the first rate holds during the warm-up and the last
    /// until the run ends.
    fn schedule(&mut self, p: &str, period_days: f64, rates: &[f64], window: &Days) -> Arrivals {
        let period = self.positive(&format!("{p}.arrivals.period_days"), period_days);
        if rates.is_empty() {
            self.problem(
                format!("{p}.arrivals.leads_per_day"),
                "at least one rate is required",
            );
        }
        self.list_len(&format!("{p}.arrivals.leads_per_day"), rates.len());
        let rates: Vec<f64> = rates
            .iter()
            .enumerate()
            .map(|(j, &r)| self.non_negative(&format!("{p}.arrivals.leads_per_day[{j}]"), r))
            .collect();
        let mut bursts = Vec::new();
        let (start, end) = (window.warmup, window.end);
        if !(period > 0.0 && period.is_finite() && end.is_finite()) || rates.is_empty() {
            return Arrivals::Bursts(bursts);
        }
        let periods = ((end - start) / period).ceil().max(0.0);
        if periods > 100_000.0 {
            self.problem(
                format!("{p}.arrivals.period_days"),
                format!("{period} days gives more than 100000 periods; use a longer period"),
            );
            return Arrivals::Bursts(bursts);
        }
        let mut push = |day: f64, rate: f64, length: f64| {
            if rate > 0.0 && length > 0.0 {
                bursts.push(Burst {
                    day,
                    mean_leads: rate * length,
                    duration_days: length,
                    kind: BurstKind::Period,
                });
            }
        };
        push(0.0, rates[0], start);
        for i in 0..periods as usize {
            let day = start + i as f64 * period;
            push(day, rates[i.min(rates.len() - 1)], period.min(end - day));
        }
        Arrivals::Bursts(bursts)
    }

    /// `[simulation]`: the run's days and snapshots.
    fn simulation(&mut self, sim: &SimulationSpec) -> Days {
        if sim.replications == 0 {
            self.problem("simulation.replications", "must be at least 1");
        }
        let warmup = self.days("simulation.warmup_days", sim.warmup_days);
        let horizon = self.days("simulation.horizon_days", sim.horizon_days);
        let runoff = self.days("simulation.runoff_days", sim.runoff_days);
        let snap = self.positive("simulation.snapshot_every_days", sim.snapshot_every_days);
        let end = warmup + horizon + runoff;
        if snap > 0.0 && end / snap > 100_000.0 {
            self.problem(
                "simulation.snapshot_every_days",
                format!("{snap} days gives more than 100000 snapshots; use a longer interval"),
            );
        }
        Days {
            warmup,
            horizon,
            runoff,
            snapshot_every: snap,
            end,
        }
    }

    /// `[[stages]]`, and each stage's index by name.
    fn stages(&mut self, specs: &[StageSpec]) -> (Vec<Stage>, BTreeMap<String, usize>) {
        if specs.is_empty() {
            self.problem("stages", "at least one stage is required");
        }
        self.list_len("stages", specs.len());
        let stage_index = self.unique_names("stages", specs.iter().map(|s| s.name.as_str()));
        let mut stages = Vec::with_capacity(specs.len());
        for (i, s) in specs.iter().enumerate() {
            let p = format!("stages[{i}]");
            let (mean, dwell) = match s.dwell {
                DwellSpec::Exponential { mean_days } => (mean_days, Some(Dwell::Exponential)),
                DwellSpec::Gamma { mean_days, shape } => {
                    let path = format!("{p}.dwell.shape");
                    let shape = self.positive(&path, shape);
                    // Outside this range a gamma dwell is either almost always
                    // zero or a constant; neither is a stage's behaviour.
                    let shape = self.at_least(&path, shape, 1e-3, "below 0.001 nearly every dwell is zero");
                    let shape = self.at_most(&path, shape, 1e5, "above 100000 the dwell is a constant");
                    (mean_days, Dwell::gamma(shape))
                }
                DwellSpec::Lognormal { mean_days, sigma } => {
                    let sigma = self.sigma(&format!("{p}.dwell.sigma"), sigma, "dwell days");
                    (mean_days, Dwell::lognormal(sigma))
                }
            };
            let path = format!("{p}.dwell.mean_days");
            let mean = self.positive(&path, mean);
            let mean = self.at_most(
                &path,
                mean,
                MAX_DAYS,
                "longer than 100 years; check the unit (days)",
            );
            let stall = self.probability(&format!("{p}.stall_probability"), s.stall_probability);
            let receptivity = self.probability(&format!("{p}.receptivity"), s.receptivity);
            stages.push(Stage {
                name: s.name.clone(),
                mean_days: mean,
                dwell: dwell.unwrap_or(Dwell::Exponential),
                stall_probability: stall,
                receptivity,
            });
        }
        (stages, stage_index)
    }

    /// `[[segments]]`, and each segment's index by name.
    fn segments(&mut self, specs: &[SegmentSpec]) -> (Vec<Segment>, BTreeMap<String, usize>) {
        if specs.is_empty() {
            self.problem("segments", "at least one segment is required");
        }
        self.list_len("segments", specs.len());
        let segment_index = self.unique_names("segments", specs.iter().map(|s| s.name.as_str()));
        let mut segments = Vec::with_capacity(specs.len());
        for (i, s) in specs.iter().enumerate() {
            let p = format!("segments[{i}]");
            let pace = self.positive(&format!("{p}.pace"), s.pace);
            let pace = self.at_most(
                &format!("{p}.pace"),
                pace,
                100.0,
                "a segment more than 100 times slower than the stages' dwell times never decides",
            );
            let deal_value = match s.deal_value {
                DealValueSpec::Fixed { value } => {
                    let path = format!("{p}.deal_value.value");
                    let value = self.positive(&path, value);
                    DealValue::Fixed(self.at_most(
                        &path,
                        value,
                        MAX_MONEY,
                        "more than a trillion per deal; check the unit",
                    ))
                }
                DealValueSpec::Lognormal { median, sigma } => {
                    let path = format!("{p}.deal_value.median");
                    let median = self.positive(&path, median);
                    let median = self.at_most(
                        &path,
                        median,
                        MAX_MONEY,
                        "more than a trillion per deal; check the unit",
                    );
                    let sigma = self.sigma(&format!("{p}.deal_value.sigma"), sigma, "deal value");
                    LogNormal::new(median.max(f64::MIN_POSITIVE).ln(), sigma)
                        .map(DealValue::Lognormal)
                        .unwrap_or(DealValue::Fixed(median))
                }
            };
            let values = self.weights(&format!("{p}.values"), s.values);
            segments.push(Segment {
                name: s.name.clone(),
                pace,
                deal_value,
                values,
            });
        }
        (segments, segment_index)
    }

    /// `[[channels]]`: arrivals (bursts expanded up to day `end`), spend,
    /// fit and the stage and segment mixes.
    fn channels(&mut self, specs: &[ChannelSpec], names: &Names<'_>, window: &Days) -> Vec<Channel> {
        let end = window.end;
        if specs.is_empty() {
            self.problem("channels", "at least one channel is required");
        }
        self.list_len("channels", specs.len());
        self.unique_names("channels", specs.iter().map(|c| c.name.as_str()));
        let mut channels = Vec::with_capacity(specs.len());
        for (i, c) in specs.iter().enumerate() {
            let p = format!("channels[{i}]");
            let arrivals = match &c.arrivals {
                ArrivalsSpec::Poisson { leads_per_day } => Arrivals::Poisson {
                    leads_per_day: self.positive(&format!("{p}.arrivals.leads_per_day"), *leads_per_day),
                },
                ArrivalsSpec::Bursts {
                    events,
                    repeat_every_days,
                } => {
                    if events.is_empty() {
                        self.problem(format!("{p}.arrivals.events"), "at least one event is required");
                    }
                    let period = repeat_every_days
                        .map(|d| self.positive(&format!("{p}.arrivals.repeat_every_days"), d));
                    let mut bursts = Vec::new();
                    for (j, e) in events.iter().enumerate() {
                        let ep = format!("{p}.arrivals.events[{j}]");
                        let day = self.non_negative(&format!("{ep}.day"), e.day);
                        let mean_leads = self.positive(&format!("{ep}.mean_leads"), e.mean_leads);
                        let duration = self.positive(&format!("{ep}.duration_days"), e.duration_days);
                        let duration = self.at_most(
                            &format!("{ep}.duration_days"),
                            duration,
                            MAX_DAYS,
                            "longer than 100 years; check the unit (days)",
                        );
                        if day.is_finite() && day >= end {
                            self.problem(
                                format!("{ep}.day"),
                                format!("day {day} is after the simulation ends (day {end}); days count from the start of the warm-up"),
                            );
                        }
                        let mut k = 0u32;
                        loop {
                            let d = day + f64::from(k) * period.unwrap_or(0.0);
                            if !(d < end && d.is_finite()) || (k > 0 && period.is_none_or(|x| x <= 0.0)) {
                                break;
                            }
                            bursts.push(Burst {
                                day: d,
                                mean_leads,
                                duration_days: duration,
                                kind: BurstKind::Event,
                            });
                            k += 1;
                            if k > 10_000 {
                                self.problem(
                                    format!("{p}.arrivals.repeat_every_days"),
                                    "repeats more than 10000 times; use a longer period",
                                );
                                break;
                            }
                        }
                    }
                    bursts.sort_by(|a, b| a.day.total_cmp(&b.day));
                    Arrivals::Bursts(bursts)
                }
                ArrivalsSpec::Schedule {
                    period_days,
                    leads_per_day,
                } => self.schedule(&p, *period_days, leads_per_day, window),
                ArrivalsSpec::Dates { days } => {
                    if days.is_empty() {
                        self.problem(format!("{p}.arrivals.days"), "at least one day is required");
                    }
                    // A replayed history holds a day per lead: far more than
                    // a hand-written list, still bounded.
                    if days.len() > MAX_DATES {
                        self.problem(
                            format!("{p}.arrivals.days"),
                            format!("{} days; at most {MAX_DATES}", days.len()),
                        );
                    }
                    let mut bursts = Vec::with_capacity(days.len());
                    for (j, &d) in days.iter().enumerate() {
                        // Counted from the start of the measurement window,
                        // as a history's days are: a warm-up comes before.
                        let day = window.warmup + self.non_negative(&format!("{p}.arrivals.days[{j}]"), d);
                        // The run's last instant still processes events.
                        if day.is_finite() && day <= end {
                            bursts.push(Burst {
                                day,
                                mean_leads: 1.0,
                                duration_days: 0.0,
                                kind: BurstKind::Date,
                            });
                        }
                    }
                    bursts.sort_by(|a, b| a.day.total_cmp(&b.day));
                    Arrivals::Bursts(bursts)
                }
            };
            let spend = Spend {
                fixed_per_year: self.money(&format!("{p}.spend.fixed_per_year"), c.spend.fixed_per_year),
                per_lead: self.money(&format!("{p}.spend.per_lead"), c.spend.per_lead),
                per_event: self.money(&format!("{p}.spend.per_event"), c.spend.per_event),
            };
            let fit = self.probability(&format!("{p}.fit"), c.fit);
            let stage_mix = self.mix(
                &format!("{p}.stage_mix"),
                &c.stage_mix,
                names.stages,
                names.stage_count,
                "stage",
            );
            let segment_mix = if c.segment_mix.is_empty() && names.segment_count == 1 {
                Categorical::from_weights(&[1.0])
            } else if c.segment_mix.is_empty() {
                self.problem(
                    format!("{p}.segment_mix"),
                    "is required when the scenario has more than one segment",
                );
                Categorical::from_weights(&vec![1.0; names.segment_count])
            } else {
                self.mix(
                    &format!("{p}.segment_mix"),
                    &c.segment_mix,
                    names.segments,
                    names.segment_count,
                    "segment",
                )
            };
            channels.push(Channel {
                name: c.name.clone(),
                kind: c.kind,
                arrivals,
                spend,
                fit,
                stage_mix,
                segment_mix,
                hand_raisers: c.hand_raisers.unwrap_or(c.kind == ChannelKind::Referral),
            });
        }
        channels
    }

    /// `[marketing]`.
    fn marketing(&mut self, m: &MarketingSpec) -> Marketing {
        Marketing {
            touch_every_days: self.cadence("marketing.touch_every_days", m.touch_every_days),
            nurture: m.nurture,
            content: self.unit_scores("marketing.content", m.content),
            cost_per_touch: self.money("marketing.cost_per_touch", m.cost_per_touch),
            trust_gain: self.probability("marketing.trust_gain", m.trust_gain),
            dwell_speedup: {
                let v = self.non_negative("marketing.dwell_speedup", m.dwell_speedup);
                self.at_most(
                    "marketing.dwell_speedup",
                    v,
                    100.0,
                    "trust would cut dwell times more than a hundredfold",
                )
            },
            score_noise_sd: {
                let v = self.non_negative("marketing.score_noise_sd", m.score_noise_sd);
                self.at_most(
                    "marketing.score_noise_sd",
                    v,
                    MAX_SCORE,
                    "the lead score runs from 0 to 100; more noise than that drowns any signal",
                )
            },
            recycle_hold_days: self.cadence("marketing.recycle_hold_days", m.recycle_hold_days),
            screen_poor_fit: false,
        }
    }

    /// `[handoff]`.
    fn handoff(&mut self, spec: &ScenarioSpec, stage_index: &BTreeMap<String, usize>) -> HandoffPolicy {
        match &spec.handoff {
            HandoffSpec::Immediate => HandoffPolicy::Immediate,
            HandoffSpec::ScoreThreshold { threshold } => {
                if !(0.0..=MAX_SCORE).contains(threshold) {
                    self.problem(
                        "handoff.threshold",
                        format!("{threshold} is outside the lead-score range [0, {MAX_SCORE}]"),
                    );
                }
                HandoffPolicy::ScoreThreshold {
                    threshold: *threshold,
                }
            }
            HandoffSpec::StageGate { stage } => match stage_index.get(stage) {
                Some(&i) => HandoffPolicy::StageGate { stage: i },
                None => {
                    let known: Vec<&str> = spec.stages.iter().map(|s| s.name.as_str()).collect();
                    let hint = did_you_mean(stage, &known);
                    self.problem(
                        "handoff.stage",
                        format!(
                            "unknown stage '{stage}'; {hint}defined stages are: {}",
                            known.join(", ")
                        ),
                    );
                    HandoffPolicy::StageGate { stage: 0 }
                }
            },
            HandoffSpec::BuyerInitiated { propensity } => HandoffPolicy::BuyerInitiated {
                propensity: self.probability("handoff.propensity", *propensity),
            },
            HandoffSpec::Delay { days } => HandoffPolicy::Delay {
                days: self.non_negative("handoff.days", *days),
            },
        }
    }

    /// `[outreach]`: the approach (built in, or its scores and pushiness
    /// overridden), capacity, cadence and costs.
    fn outreach(
        &mut self,
        o: &OutreachSpec,
        segments: &[SegmentSpec],
        segment_index: &BTreeMap<String, usize>,
    ) -> Outreach {
        let mut approach = Approach::builtin(o.approach);
        if let Some(scores) = o.scores {
            approach.scores = self.unit_scores("outreach.scores", scores);
        }
        if let Some(p) = o.pushiness {
            approach.pushiness = self.probability("outreach.pushiness", p);
        }
        let mut by_segment = vec![approach.clone(); segments.len()];
        for (name, &kind) in &o.approach_by_segment {
            match segment_index.get(name) {
                Some(&i) => by_segment[i] = Approach::builtin(kind),
                None => {
                    let known: Vec<&str> = segments.iter().map(|s| s.name.as_str()).collect();
                    let hint = did_you_mean(name, &known);
                    self.problem(
                        format!("outreach.approach_by_segment.{name}"),
                        format!(
                            "unknown segment '{name}'; {hint}defined segments are: {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        let cooling_hours = self.positive("outreach.hand_raiser_cooling_hours", o.hand_raiser_cooling_hours);
        let cooling_hours = self.at_most(
            "outreach.hand_raiser_cooling_hours",
            cooling_hours,
            MAX_DAYS * 24.0,
            "longer than the longest run",
        );
        let per_day = self.positive("outreach.touches_per_rep_per_day", o.touches_per_rep_per_day);
        let per_day = self.at_most(
            "outreach.touches_per_rep_per_day",
            per_day,
            1000.0,
            "more than a touch every 90 seconds around the clock",
        );
        if o.max_unanswered_touches == 0 {
            self.problem("outreach.max_unanswered_touches", "must be at least 1");
        } else if o.max_unanswered_touches > MAX_UNANSWERED_TOUCHES {
            self.problem(
                "outreach.max_unanswered_touches",
                format!(
                    "{} is too large (at most {MAX_UNANSWERED_TOUCHES}): the engine counts unanswered touches in one byte, so a larger limit would never be reached",
                    o.max_unanswered_touches
                ),
            );
        }
        if o.reps > MAX_REPS {
            self.problem(
                "outreach.reps",
                format!(
                    "{} is too large (at most {MAX_REPS}): every rep has its own schedule in memory, and no sales team modelled here is that large",
                    o.reps
                ),
            );
        }
        Outreach {
            approach,
            by_segment,
            reps: o.reps,
            touch_duration_days: 1.0 / per_day,
            unlimited_capacity: o.unlimited_capacity,
            first_response_days: self.days("outreach.first_response_days", o.first_response_days),
            touch_spacing_days: self.cadence("outreach.touch_spacing_days", o.touch_spacing_days),
            follow_up_every_days: self.cadence("outreach.follow_up_every_days", o.follow_up_every_days),
            reach_probability: self.probability("outreach.reach_probability", o.reach_probability),
            max_unanswered_touches: o.max_unanswered_touches,
            cooling_days: cooling_hours / 24.0,
            stale_interest: self.probability(
                "outreach.hand_raiser_stale_interest",
                o.hand_raiser_stale_interest,
            ),
            cost_per_touch: self.money("outreach.cost_per_touch", o.cost_per_touch),
            cost_per_rep_day: self.money("outreach.cost_per_rep_day", o.cost_per_rep_day),
        }
    }

    /// `[response]`: how a buyer responds to a sales touch.
    fn response(&mut self, r: &ResponseSpec) -> Response {
        Response {
            alignment_weight: self.probability("response.alignment_weight", r.alignment_weight),
            trust_gain: self.probability("response.trust_gain", r.trust_gain),
            resistance_gain: self.probability("response.resistance_gain", r.resistance_gain),
            go_dark_base: self.probability("response.go_dark_base", r.go_dark_base),
            go_dark_per_resistance: self
                .non_negative("response.go_dark_per_resistance", r.go_dark_per_resistance),
            advance_on_welcome: self.probability("response.advance_on_welcome", r.advance_on_welcome),
        }
    }

    /// `[decision]`: who is on the buyer's list and the utilities of its
    /// final choice.
    fn decision(&mut self, spec: &ScenarioSpec, stage_index: &BTreeMap<String, usize>) -> DecisionModel {
        let d = &spec.decision;
        let framing_stage = match &d.framing_stage {
            None => spec.stages.len() / 2,
            Some(name) => stage_index.get(name).copied().unwrap_or_else(|| {
                let known: Vec<&str> = spec.stages.iter().map(|s| s.name.as_str()).collect();
                let hint = did_you_mean(name, &known);
                self.problem(
                    "decision.framing_stage",
                    format!(
                        "unknown stage '{name}'; {hint}defined stages are: {}",
                        known.join(", ")
                    ),
                );
                0
            }),
        };
        DecisionModel {
            reach_out_base: self.probability("decision.reach_out_base", d.reach_out_base),
            reach_out_per_trust: {
                let v = self.non_negative("decision.reach_out_per_trust", d.reach_out_per_trust);
                self.at_most(
                    "decision.reach_out_per_trust",
                    v,
                    MAX_UTILITY,
                    "the probability it adds to is capped at 1 long before",
                )
            },
            framing_stage,
            framing_edge: self.utility("decision.framing_edge", d.framing_edge),
            base_us: self.utility("decision.base_us", d.base_us),
            trust_weight: self.utility("decision.trust_weight", d.trust_weight),
            alignment_weight: self.utility("decision.alignment_weight", d.alignment_weight),
            contact_weight: self.utility("decision.contact_weight", d.contact_weight),
            resistance_weight: self.utility("decision.resistance_weight", d.resistance_weight),
            base_competitor: self.utility("decision.base_competitor", d.base_competitor),
            base_no_decision: self.utility("decision.base_no_decision", d.base_no_decision),
            risk_weight: self.utility("decision.risk_weight", d.risk_weight),
        }
    }

    /// A stage gate that no buyer can reach hands nobody off.
    fn gate_reachable(
        &mut self,
        spec: &ScenarioSpec,
        stages: &[Stage],
        handoff: &HandoffPolicy,
        stage_index: &BTreeMap<String, usize>,
    ) {
        if let HandoffPolicy::StageGate { stage } = *handoff {
            let reachable = spec
                .channels
                .iter()
                .flat_map(|c| c.stage_mix.iter())
                .filter(|(_, w)| **w > 0.0)
                .filter_map(|(name, _)| stage_index.get(name))
                .any(|&s| s <= stage);
            let blocked = stages.iter().take(stage).any(|s| s.stall_probability >= 1.0);
            if !reachable || blocked {
                self.problem(
                    "handoff.stage",
                    "no buyer can ever reach this stage (check the channels' stage_mix and earlier stages' stall_probability)",
                );
            }
        }
    }
}
