//! The scenario file exactly as written: serde structs with documented
//! defaults. Nothing here is trusted; [`super::Scenario::from_spec`] checks
//! it once and builds the model the engine runs. `scenarios/README.md`
//! documents every key with its unit and valid range.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::closest;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Human-readable name shown in reports.
    pub name: String,
    /// Free text describing the story the scenario tells.
    #[serde(default)]
    pub description: String,
    /// Run length, windows, seed and replications.
    #[serde(default)]
    pub simulation: SimulationSpec,
    /// Decision stages in journey order (default: the seven-stage journey).
    #[serde(default = "default_stages")]
    pub stages: Vec<StageSpec>,
    /// Buyer segments / personas (default: one "typical" segment).
    #[serde(default = "default_segments")]
    pub segments: Vec<SegmentSpec>,
    /// Lead sources. At least one is required.
    pub channels: Vec<ChannelSpec>,
    /// Marketing nurture and lead scoring.
    #[serde(default)]
    pub marketing: MarketingSpec,
    /// When a lead becomes sales' job.
    #[serde(default)]
    pub handoff: HandoffSpec,
    /// How sales works the leads it is handed.
    #[serde(default)]
    pub outreach: OutreachSpec,
    /// How buyers respond to sales touches.
    #[serde(default)]
    pub response: ResponseSpec,
    /// How buyers make the final choice.
    #[serde(default)]
    pub decision: DecisionSpec,
    /// What the scenario's author does not know, e.g. `["costs"]` in a
    /// scenario calibrated from stage history, which records no spend.
    /// Reports label the figures that depend on it, and no command
    /// optimises an objective made of unknown costs (default: nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<Unknown>,
}

/// A group of parameters the scenario's author could not know.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Unknown {
    /// Channel spend, nurture and sales touch costs, rep days: spend, profit,
    /// ROI and cost per win are made of them.
    Costs,
    /// How buyers respond to sales touches (`[response]`).
    Response,
    /// What each persona values (`segments.values`).
    Values,
    /// How receptive buyers are at each stage (`stages.receptivity`).
    Receptivity,
}

impl Unknown {
    /// The name a scenario file uses.
    pub fn name(self) -> &'static str {
        match self {
            Unknown::Costs => "costs",
            Unknown::Response => "response",
            Unknown::Values => "values",
            Unknown::Receptivity => "receptivity",
        }
    }
}

/// Run length, measurement window, seed and replications.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulationSpec {
    /// Master seed (default 1).
    pub seed: u64,
    /// Monte Carlo replications (default 200).
    pub replications: u32,
    /// Days simulated before the measurement window opens, so the pipeline
    /// and the sales queue are in steady state when counting starts (default 180).
    pub warmup_days: f64,
    /// Length of the measurement window in days (≥ 0): leads captured in it are the
    /// cohort every figure describes (default 365).
    pub horizon_days: f64,
    /// Days the cohort is followed after the window closes, so late leads can
    /// still decide; those undecided after it are `open` (default 180).
    pub runoff_days: f64,
    /// Pipeline snapshot interval in days (default 7).
    pub snapshot_every_days: f64,
}

impl Default for SimulationSpec {
    fn default() -> Self {
        Self {
            seed: 1,
            replications: 200,
            warmup_days: 180.0,
            horizon_days: 365.0,
            runoff_days: 180.0,
            snapshot_every_days: 7.0,
        }
    }
}

/// A dwell-time distribution, in days.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum DwellSpec {
    /// Exponential with the given mean (constant hazard).
    Exponential {
        /// Mean dwell in days, > 0.
        mean_days: f64,
    },
    /// Gamma with the given mean and shape (shape 1 = exponential; larger is
    /// more regular).
    Gamma {
        /// Mean dwell in days, > 0.
        mean_days: f64,
        /// Shape k > 0.
        shape: f64,
    },
    /// Lognormal with the given mean and log-scale sigma.
    Lognormal {
        /// Mean dwell in days, > 0.
        mean_days: f64,
        /// Standard deviation of ln(dwell), > 0.
        sigma: f64,
    },
}

/// One decision stage.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// Unique stage name, referenced by channels and policies.
    pub name: String,
    /// Time the buyer spends in the stage on their own.
    pub dwell: DwellSpec,
    /// Probability in [0, 1] that at the end of the stage the buyer stalls
    /// into "no decision" instead of moving on.
    #[serde(default)]
    pub stall_probability: f64,
    /// Receptivity to sales contact in [0, 1]: low early, high late.
    pub receptivity: f64,
}

/// Weights or scores on the five things buyers value in a supplier
/// (The Challenger Sale, as quoted in Willis Turner's "Who's to Blame for Poor
/// Sales Performance?").
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ValuesSpec {
    /// Helps solve their business problem.
    pub solves_problem: f64,
    /// Educates them about innovations in the industry.
    pub educates: f64,
    /// Helps them apply that knowledge in new ways.
    pub applies_knowledge: f64,
    /// Is forthright about costs, impacts and expectations.
    pub forthright: f64,
    /// Helps them minimise risk.
    pub minimises_risk: f64,
}

/// A deal-value distribution in currency units.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum DealValueSpec {
    /// Every deal is worth the same.
    Fixed {
        /// Deal value, > 0.
        value: f64,
    },
    /// Lognormal with the given median and log-scale sigma.
    Lognormal {
        /// Median deal value, > 0.
        median: f64,
        /// Standard deviation of ln(value), > 0.
        sigma: f64,
    },
}

/// A buyer segment / persona.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    /// Unique segment name.
    pub name: String,
    /// Multiplier on every stage's dwell time (1 = as configured; 1.5 = 50% slower).
    #[serde(default = "one")]
    pub pace: f64,
    /// Size of a won deal.
    pub deal_value: DealValueSpec,
    /// How much this persona values each of the five dimensions (non-negative;
    /// normalised to sum to 1).
    pub values: ValuesSpec,
}

/// How a channel's leads arrive.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "process", rename_all = "snake_case", deny_unknown_fields)]
pub enum ArrivalsSpec {
    /// A Poisson process with a constant rate.
    Poisson {
        /// Mean leads per day, > 0.
        leads_per_day: f64,
    },
    /// Dated bursts (trade shows, campaigns).
    Bursts {
        /// The events; `day` counts from the start of the simulation (day 0
        /// is the start of the warm-up).
        events: Vec<BurstSpec>,
        /// If set, the events repeat with this period in days (e.g. 365).
        #[serde(default)]
        repeat_every_days: Option<f64>,
    },
    /// A Poisson process whose rate changes from period to period (a
    /// campaign month, a quiet quarter): `leads_per_day[i]` holds over days
    /// `[i × period_days, (i + 1) × period_days)` of the measurement window
    /// (after the warm-up); the first rate holds during the warm-up, the
    /// last after the last period.
    Schedule {
        /// Length of each period in days, > 0.
        period_days: f64,
        /// Mean leads per day in each period, ≥ 0 (at least one).
        leads_per_day: Vec<f64>,
    },
    /// Leads on exactly these days of the measurement window (after the
    /// warm-up), one per entry (a history's own arrivals, replayed).
    Dates {
        /// The days, ≥ 0, in any order (at least one).
        days: Vec<f64>,
    },
}

/// One dated burst of leads.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BurstSpec {
    /// Day of the event, from the start of the simulation.
    pub day: f64,
    /// Mean number of leads captured (the count is Poisson).
    pub mean_leads: f64,
    /// Leads are captured uniformly over this many days (default 1).
    #[serde(default = "one")]
    pub duration_days: f64,
}

/// A channel's spend.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SpendSpec {
    /// Fixed spend per year, accrued pro rata over the measurement window.
    pub fixed_per_year: f64,
    /// Spend per lead captured.
    pub per_lead: f64,
    /// Spend per burst event held during the window.
    pub per_event: f64,
}

/// What kind of lead source a channel is (for reporting; behaviour comes
/// from its parameters).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Trade shows and events.
    TradeShow,
    /// Media coverage and PR.
    Media,
    /// Rented mailing lists.
    RentedList,
    /// Direct mail packages.
    DirectMail,
    /// Outbound telemarketing.
    Telemarketing,
    /// Inbound content: search, webinars, downloads.
    InboundContent,
    /// Referrals from customers and partners.
    Referral,
}

/// A lead source.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    /// Unique channel name.
    pub name: String,
    /// What kind of source this is.
    pub kind: ChannelKind,
    /// How leads arrive.
    pub arrivals: ArrivalsSpec,
    /// What the channel costs.
    #[serde(default)]
    pub spend: SpendSpec,
    /// Probability in [0, 1] that a lead is a real prospect at all.
    pub fit: f64,
    /// Stage the buyer is in when captured: stage name → probability (sums to 1).
    pub stage_mix: BTreeMap<String, f64>,
    /// Segment of the buyer: segment name → probability (sums to 1). May be
    /// omitted when there is a single segment.
    #[serde(default)]
    pub segment_mix: BTreeMap<String, f64>,
    /// Whether the channel's leads are hand-raisers: buyers who asked to be
    /// contacted when they were captured (a demo request, a referral's
    /// introduction), whose interest cools within hours. Default: true for
    /// `referral`, false for every other kind (a content download is not a
    /// request to be called; set it for a demo-request form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand_raisers: Option<bool>,
}

/// Marketing nurture and lead scoring.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketingSpec {
    /// Days between marketing touchpoints with a lead it holds: each one is a
    /// nurture touch (if `nurture`) and a fresh lead-score reading (default 14).
    pub touch_every_days: f64,
    /// Whether marketing sends nurture content at each touchpoint (default false).
    pub nurture: bool,
    /// Scores of the nurture content on the five value dimensions, in [0, 1].
    pub content: ValuesSpec,
    /// Cost per nurture touch (default 2).
    pub cost_per_touch: f64,
    /// Trust a fully aligned nurture touch adds (fraction of the remaining
    /// distance to full trust, in [0, 1]; default 0.08).
    pub trust_gain: f64,
    /// How much trust shortens dwell times: dwell is divided by
    /// `1 + dwell_speedup × trust` (≥ 0; default 0.5).
    pub dwell_speedup: f64,
    /// Standard deviation of the lead-score noise, in score points (0–100
    /// scale; default 15).
    pub score_noise_sd: f64,
    /// Days marketing keeps a lead that sales recycled before the handoff
    /// policy applies to it again, as to a lead just captured (≥ 0;
    /// default 30). The same rule holds under every policy.
    pub recycle_hold_days: f64,
}

impl Default for MarketingSpec {
    fn default() -> Self {
        Self {
            touch_every_days: 14.0,
            nurture: false,
            content: ValuesSpec {
                solves_problem: 0.6,
                educates: 0.8,
                applies_knowledge: 0.5,
                forthright: 0.5,
                minimises_risk: 0.4,
            },
            cost_per_touch: 2.0,
            trust_gain: 0.08,
            dwell_speedup: 0.5,
            score_noise_sd: 15.0,
            recycle_hold_days: 30.0,
        }
    }
}

/// When marketing hands a lead to sales.
#[derive(Clone, Debug, Deserialize, Serialize, Default)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum HandoffSpec {
    /// On capture (the "too soon" handoff Willis Turner's article describes).
    #[default]
    Immediate,
    /// When the noisy lead score (0–100) reaches `threshold`.
    ScoreThreshold {
        /// Score threshold in [0, 100].
        threshold: f64,
    },
    /// When the buyer truly reaches `stage` (an oracle; an upper bound).
    StageGate {
        /// Name of the gate stage.
        stage: String,
    },
    /// Only when the buyer raises a hand. At each stage entry and marketing
    /// touchpoint the buyer asks for contact with probability
    /// `propensity × receptivity × (0.5 + trust)`, capped at 1.
    BuyerInitiated {
        /// Propensity in [0, 1] (default 0.5).
        #[serde(default = "half")]
        propensity: f64,
    },
    /// A fixed time after capture.
    Delay {
        /// Days after capture, ≥ 0.
        days: f64,
    },
}

/// Sales outreach approaches.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApproachKind {
    /// Features-and-benefits script.
    Scripted,
    /// Challenger: teach, tailor, take control.
    InsightLed,
    /// Consultative / inbound support: follow the buyer's pace.
    Consultative,
}

/// How sales works its leads.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutreachSpec {
    /// The approach (default scripted).
    pub approach: ApproachKind,
    /// Another approach for some personas: segment name → approach (default
    /// none: every rep uses `approach` with every buyer).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub approach_by_segment: BTreeMap<String, ApproachKind>,
    /// Override of the approach's scores on the five value dimensions.
    pub scores: Option<ValuesSpec>,
    /// Override of the approach's pushiness in [0, 1].
    pub pushiness: Option<f64>,
    /// Number of sales reps (≥ 0; 0 means nobody ever calls; default 5).
    pub reps: u32,
    /// Touches (contact attempts, answered or not) one rep can make per day
    /// (> 0; default 20).
    pub touches_per_rep_per_day: f64,
    /// Whether every touch starts the moment it is due, however many are
    /// due (a team that is never busy; default false). Rep costs still
    /// count `reps`.
    pub unlimited_capacity: bool,
    /// Target delay from handoff to first touch in days when reps are free
    /// (default 0.25 = 6 hours).
    pub first_response_days: f64,
    /// Days between touches of a sequence (> 0; default 3).
    pub touch_spacing_days: f64,
    /// Days between follow-up touches once the buyer has welcomed contact
    /// (> 0; default 10).
    pub follow_up_every_days: f64,
    /// Probability in [0, 1] that a contact attempt reaches the buyer at all
    /// (default 0.35): most calls and emails go unanswered. An attempt that
    /// reaches nobody costs rep time, not trust.
    pub reach_probability: f64,
    /// Touches in a row without a welcome conversation — attempts that
    /// reached nobody and conversations where the buyer said "not now" —
    /// after which sales gives up and recycles the lead to marketing
    /// (≥ 1; default 4). Persistence: a few attempts are needed to reach a
    /// buyer at all; pushing on after a "not now" builds resistance.
    pub max_unanswered_touches: u32,
    /// How fast a hand-raiser's interest cools, in hours: the interest left
    /// after a wait `w` is `stale + (1 − stale) × exp(−w / cooling)`
    /// (> 0; default 0.5).
    pub hand_raiser_cooling_hours: f64,
    /// A hand-raiser's interest once it has cooled (in [0, 1]; default
    /// 0.007). With the default cooling, a first conversation within the
    /// hour is about 7× as likely to be welcome as one in the next hour,
    /// and about 60× as one after a day (Oldroyd, McElheran & Elkington,
    /// HBR 2011).
    pub hand_raiser_stale_interest: f64,
    /// Cost of one touch (default 20).
    pub cost_per_touch: f64,
    /// Cost of one rep for one day, accrued over the window (default 400).
    pub cost_per_rep_day: f64,
}

impl Default for OutreachSpec {
    fn default() -> Self {
        Self {
            approach: ApproachKind::Scripted,
            approach_by_segment: BTreeMap::new(),
            scores: None,
            pushiness: None,
            reps: 5,
            touches_per_rep_per_day: 20.0,
            unlimited_capacity: false,
            first_response_days: 0.25,
            touch_spacing_days: 3.0,
            follow_up_every_days: 10.0,
            reach_probability: 0.35,
            max_unanswered_touches: 4,
            hand_raiser_cooling_hours: 0.5,
            hand_raiser_stale_interest: 0.007,
            cost_per_touch: 20.0,
            cost_per_rep_day: 400.0,
        }
    }
}

/// How buyers respond to a sales touch.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResponseSpec {
    /// How much value alignment matters, in [0, 1]: the welcome probability
    /// is multiplied by `1 − alignment_weight × (1 − alignment)` (default 0.5).
    pub alignment_weight: f64,
    /// Trust a welcome touch adds, as a fraction of the remaining distance to
    /// full trust, scaled by alignment (default 0.2).
    pub trust_gain: f64,
    /// Resistance an unwelcome touch adds, as a fraction of the remaining
    /// distance to full resistance, scaled by pushiness (default 0.25).
    pub resistance_gain: f64,
    /// Probability of going dark after an unwelcome touch at zero
    /// resistance (default 0.02).
    pub go_dark_base: f64,
    /// Extra probability of going dark per unit of resistance (default 0.35).
    pub go_dark_per_resistance: f64,
    /// Probability that a welcome touch moves the buyer to the next stage at
    /// once (sales helps apply knowledge), in [0, 1] (default 0.15).
    pub advance_on_welcome: f64,
}

impl Default for ResponseSpec {
    fn default() -> Self {
        Self {
            alignment_weight: 0.5,
            trust_gain: 0.2,
            resistance_gain: 0.25,
            go_dark_base: 0.02,
            go_dark_per_resistance: 0.35,
            advance_on_welcome: 0.15,
        }
    }
}

/// The final choice among the suppliers the buyer engaged: us, a
/// competitor, or no decision (a multinomial logit).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecisionSpec {
    /// Probability in [0, 1] that a buyer who never had a welcome
    /// conversation with our sales still puts us on its list, because
    /// marketing made us known (default 0.05).
    pub reach_out_base: f64,
    /// Added to that probability per unit of trust that nurture built
    /// (≥ 0; default 0.5); the sum is capped at 1.
    pub reach_out_per_trust: f64,
    /// The stage in which buyers frame their requirements (default: the
    /// middle stage, `building_requirements` in the default journey).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framing_stage: Option<String>,
    /// Utility the supplier who helped frame the requirements gains: us, if
    /// the buyer welcomed a conversation with our sales by the end of the
    /// framing stage; otherwise a competitor, who got there first (default 1).
    pub framing_edge: f64,
    /// Base utility of choosing us, once we are on the list (default 0).
    pub base_us: f64,
    /// Utility of us per unit of trust (default 1.2).
    pub trust_weight: f64,
    /// Utility of us per unit of value alignment with the last supplier
    /// contact (sales approach if engaged, else nurture content) (default 1).
    pub alignment_weight: f64,
    /// Utility of us added once the buyer has had a welcome conversation
    /// with sales (default 0.5).
    pub contact_weight: f64,
    /// Utility of us lost per unit of resistance (default 2).
    pub resistance_weight: f64,
    /// Base utility of choosing a competitor (default 0.8).
    pub base_competitor: f64,
    /// Base utility of making no decision (default 0.2).
    pub base_no_decision: f64,
    /// Reduction of the no-decision utility per unit of risk support received
    /// (the risk score of the sales approach, if engaged) (default 1).
    pub risk_weight: f64,
}

impl Default for DecisionSpec {
    fn default() -> Self {
        Self {
            reach_out_base: 0.05,
            reach_out_per_trust: 0.5,
            framing_stage: None,
            framing_edge: 1.0,
            base_us: 0.0,
            trust_weight: 1.2,
            alignment_weight: 1.0,
            contact_weight: 0.5,
            resistance_weight: 2.0,
            base_competitor: 0.8,
            base_no_decision: 0.2,
            risk_weight: 1.0,
        }
    }
}

fn one() -> f64 {
    1.0
}

/// The default propensity of a buyer-initiated handoff.
pub(crate) fn half() -> f64 {
    0.5
}

/// The default seven-stage journey.
pub fn default_stages() -> Vec<StageSpec> {
    // (name, mean dwell days, stall probability, receptivity)
    let rows = [
        ("unaware", 45.0, 0.30, 0.02),
        ("problem_defined", 30.0, 0.15, 0.08),
        ("exploring_solutions", 30.0, 0.12, 0.15),
        ("building_requirements", 25.0, 0.10, 0.35),
        ("shortlisting_suppliers", 20.0, 0.08, 0.75),
        ("validating", 20.0, 0.06, 0.85),
        ("deciding", 14.0, 0.0, 0.90),
    ];
    rows.iter()
        .map(|&(name, mean, stall, recept)| StageSpec {
            name: name.to_owned(),
            dwell: DwellSpec::Gamma {
                mean_days: mean,
                shape: 2.0,
            },
            stall_probability: stall,
            receptivity: recept,
        })
        .collect()
}

/// The default single segment.
pub fn default_segments() -> Vec<SegmentSpec> {
    vec![SegmentSpec {
        name: "typical".to_owned(),
        pace: 1.0,
        deal_value: DealValueSpec::Lognormal {
            median: 30_000.0,
            sigma: 0.6,
        },
        values: ValuesSpec {
            solves_problem: 0.3,
            educates: 0.2,
            applies_knowledge: 0.2,
            forthright: 0.15,
            minimises_risk: 0.15,
        },
    }]
}

/// A section whose keys depend on a variant chosen by a tag key, such as
/// `[handoff]` with `policy`. Serde ignores extra keys next to a variant
/// without fields (`policy = "immediate"`), so the keys each variant takes
/// are listed here and checked by the loader and by `--set`/`--vary`: a key
/// that does not apply to the chosen variant is refused like an unknown key.
#[derive(Clone, Copy, Debug)]
pub struct TaggedSection {
    /// Last key of the section's path (`handoff`, `dwell`, …).
    pub section: &'static str,
    /// The tag key that picks the variant.
    pub tag: &'static str,
    /// Every variant with the keys it takes besides the tag.
    pub variants: &'static [(&'static str, &'static [&'static str])],
}

impl TaggedSection {
    /// The keys `variant` takes, if it is a known variant.
    pub fn keys_of(&self, variant: &str) -> Option<&'static [&'static str]> {
        self.variants.iter().find(|(v, _)| *v == variant).map(|(_, k)| *k)
    }

    /// The variants that take `key`.
    pub fn variants_with(&self, key: &str) -> Vec<&'static str> {
        self.variants
            .iter()
            .filter(|(_, keys)| keys.contains(&key))
            .map(|(v, _)| *v)
            .collect()
    }

    /// Why `key` is refused next to the tag naming `variant` (a known
    /// variant that does not take it): the keys that apply, and the
    /// variants that take `key` or, if none does, the closest key.
    pub fn refusal(&self, variant: &str, key: &str) -> String {
        let keys = self.keys_of(variant).unwrap_or_default();
        let takes = if keys.is_empty() {
            "takes no other keys".to_owned()
        } else {
            format!("takes only {}", keys.join(", "))
        };
        let owners = self.variants_with(key);
        let hint = if owners.is_empty() {
            let all = self.variants.iter().flat_map(|(_, k)| k.iter().copied());
            match closest(key, keys.iter().copied().chain(all)).first() {
                Some(c) => format!("; did you mean {c}?"),
                None => String::new(),
            }
        } else {
            format!("; {key} belongs to {} = {}", self.tag, owners.join(" or "))
        };
        format!(
            "does not apply to {} = \"{variant}\", which {takes}{hint}",
            self.tag
        )
    }
}

/// Every tagged section of a scenario. A unit test checks the lists against
/// what serde writes for each variant, so they cannot drift from the types.
pub static TAGGED_SECTIONS: [TaggedSection; 4] = [
    TaggedSection {
        section: "handoff",
        tag: "policy",
        variants: &[
            ("immediate", &[]),
            ("score_threshold", &["threshold"]),
            ("stage_gate", &["stage"]),
            ("buyer_initiated", &["propensity"]),
            ("delay", &["days"]),
        ],
    },
    TaggedSection {
        section: "dwell",
        tag: "distribution",
        variants: &[
            ("exponential", &["mean_days"]),
            ("gamma", &["mean_days", "shape"]),
            ("lognormal", &["mean_days", "sigma"]),
        ],
    },
    TaggedSection {
        section: "deal_value",
        tag: "distribution",
        variants: &[("fixed", &["value"]), ("lognormal", &["median", "sigma"])],
    },
    TaggedSection {
        section: "arrivals",
        tag: "process",
        variants: &[
            ("poisson", &["leads_per_day"]),
            ("bursts", &["events", "repeat_every_days"]),
            ("schedule", &["period_days", "leads_per_day"]),
            ("dates", &["days"]),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<T: Serialize>(v: &T) -> Vec<String> {
        let toml::Value::Table(t) = toml::Value::try_from(v).unwrap() else {
            panic!("a tagged variant serialises as a table")
        };
        let mut k: Vec<String> = t.keys().cloned().collect();
        k.sort();
        k
    }

    fn check(section: &str, tag: &str, variant: &str, got: Vec<String>) {
        let s = TAGGED_SECTIONS.iter().find(|s| s.section == section).unwrap();
        assert_eq!(s.tag, tag);
        let mut want: Vec<String> = s
            .keys_of(variant)
            .unwrap()
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
        want.push(tag.to_owned());
        want.sort();
        assert_eq!(got, want, "{section} {variant}");
    }

    #[test]
    fn tagged_sections_match_the_types() {
        check("handoff", "policy", "immediate", keys(&HandoffSpec::Immediate));
        let t = HandoffSpec::ScoreThreshold { threshold: 1.0 };
        check("handoff", "policy", "score_threshold", keys(&t));
        let g = HandoffSpec::StageGate { stage: "x".into() };
        check("handoff", "policy", "stage_gate", keys(&g));
        let b = HandoffSpec::BuyerInitiated { propensity: 0.5 };
        check("handoff", "policy", "buyer_initiated", keys(&b));
        check(
            "handoff",
            "policy",
            "delay",
            keys(&HandoffSpec::Delay { days: 1.0 }),
        );
        let e = DwellSpec::Exponential { mean_days: 1.0 };
        check("dwell", "distribution", "exponential", keys(&e));
        let g = DwellSpec::Gamma {
            mean_days: 1.0,
            shape: 2.0,
        };
        check("dwell", "distribution", "gamma", keys(&g));
        let l = DwellSpec::Lognormal {
            mean_days: 1.0,
            sigma: 0.5,
        };
        check("dwell", "distribution", "lognormal", keys(&l));
        check(
            "deal_value",
            "distribution",
            "fixed",
            keys(&DealValueSpec::Fixed { value: 1.0 }),
        );
        let l = DealValueSpec::Lognormal {
            median: 1.0,
            sigma: 0.5,
        };
        check("deal_value", "distribution", "lognormal", keys(&l));
        let p = ArrivalsSpec::Poisson { leads_per_day: 1.0 };
        check("arrivals", "process", "poisson", keys(&p));
        let b = ArrivalsSpec::Bursts {
            events: vec![],
            repeat_every_days: Some(365.0),
        };
        check("arrivals", "process", "bursts", keys(&b));
        let s = ArrivalsSpec::Schedule {
            period_days: 30.0,
            leads_per_day: vec![1.0],
        };
        check("arrivals", "process", "schedule", keys(&s));
        let d = ArrivalsSpec::Dates { days: vec![1.0] };
        check("arrivals", "process", "dates", keys(&d));
    }
}
