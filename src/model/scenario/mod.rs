//! Scenarios: parsed from TOML into [`spec::ScenarioSpec`], checked once into
//! a [`Scenario`] that the engine trusts without re-validating.

pub mod error;
pub mod overrides;
pub mod params;
pub mod spec;
mod tree;
mod validate;

pub use error::{Origin, Problem, ScenarioError};
use spec::ScenarioSpec;

use crate::model::channel::Channel;
use crate::model::decision::DecisionModel;
use crate::model::handoff::HandoffPolicy;
use crate::model::marketing::Marketing;
use crate::model::outreach::{Outreach, Response};
use crate::model::segment::Segment;
use crate::model::stage::Stage;
use crate::sim::rng::Seed;

/// Tolerance on mixes that must sum to 1.
const MIX_TOLERANCE: f64 = 1e-6;

/// Below this many replications, intervals are wide and percentiles rough.
pub const FEW_REPLICATIONS: u32 = 30;

/// A legal but suspicious setting: the scenario runs, but its figures may
/// not mean what the user expects. The front end decides how to show it
/// (and what to suggest); [`Display`](std::fmt::Display) gives the facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// Fewer than [`FEW_REPLICATIONS`] replications.
    FewReplications(u32),
    /// No warm-up while sales has reps: the run starts with an empty
    /// pipeline and an idle team.
    NoWarmup,
    /// No run-off: late leads cannot finish their journey.
    NoRunoff,
    /// No reps: handed-off leads are never contacted.
    NoReps,
    /// A channel whose every lead is a poor fit.
    NoFit {
        /// The channel's name.
        channel: String,
    },
    /// No stage is receptive to sales touches, yet sales has reps.
    NoReceptivity,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FewReplications(n) => write!(
                f,
                "only {n} replication{}: intervals will be wide and percentiles rough",
                if *n == 1 { "" } else { "s" }
            ),
            Self::NoWarmup => f.write_str(
                "simulation.warmup_days = 0: the run starts with an empty pipeline and an idle sales team, so early figures are optimistic",
            ),
            Self::NoRunoff => f.write_str(
                "simulation.runoff_days = 0: leads captured late in the window cannot finish their journey and will show as open",
            ),
            Self::NoReps => f.write_str("outreach.reps = 0: leads handed to sales are never contacted"),
            Self::NoFit { channel } => write!(
                f,
                "channel '{channel}' has fit = 0: every one of its leads will be disqualified"
            ),
            Self::NoReceptivity => {
                f.write_str("every stage has receptivity = 0: no sales touch can ever be welcome")
            }
        }
    }
}

/// Most stages, segments or channels a scenario may have: the engine stores
/// a buyer's stage, segment and channel index in one byte each (0–255).
pub const MAX_LIST_LEN: usize = 256;

/// Most sales reps: every rep has its own schedule in memory, and no sales
/// team modelled here is that large (two billion reps would need 16 GB).
pub const MAX_REPS: u32 = 10_000;

/// Most unanswered touches before sales gives up: the engine counts them in
/// one byte per buyer, so a larger limit would never be reached.
pub const MAX_UNANSWERED_TOUCHES: u32 = 255;

/// Longest span in days (100 years) for the run's windows and a stage's mean
/// dwell: longer spans are unit mistakes, and day arithmetic loses precision.
pub const MAX_DAYS: f64 = 36_500.0;

/// Largest log-scale sigma of a lognormal: sigma is the spread of ln(x), not
/// an amount; above 5 the mean is more than 250,000 times the median and the
/// largest draws overflow to infinity.
pub const MAX_SIGMA: f64 = 5.0;

/// Largest amount of money per deal, lead, touch, rep day, event or year: a
/// trillion is a unit mistake, and totals over a run must stay finite.
pub const MAX_MONEY: f64 = 1e12;

/// Shortest cadence in days (about 15 minutes) between touches of one lead:
/// shorter intervals make the number of simulated events explode.
pub const MIN_CADENCE_DAYS: f64 = 0.01;

/// Largest magnitude of a decision utility term: utilities enter `exp()`,
/// and beyond ±100 one option is certain anyway while sums risk overflow.
pub const MAX_UTILITY: f64 = 100.0;

/// A validated scenario. Build it with [`Scenario::from_toml_str`] or
/// [`Scenario::from_spec`]; every invariant the engine relies on holds.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub(crate) spec: ScenarioSpec,
    pub(crate) seed: Seed,
    pub(crate) replications: u32,
    pub(crate) warmup_days: f64,
    pub(crate) horizon_days: f64,
    pub(crate) runoff_days: f64,
    pub(crate) snapshot_every_days: f64,
    pub(crate) stages: Vec<Stage>,
    pub(crate) segments: Vec<Segment>,
    pub(crate) channels: Vec<Channel>,
    pub(crate) marketing: Marketing,
    pub(crate) handoff: HandoffPolicy,
    pub(crate) outreach: Outreach,
    pub(crate) response: Response,
    pub(crate) decision: DecisionModel,
}

/// The period whose leads the figures describe.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Window {
    /// First day of the measurement window (end of warm-up).
    pub start_day: f64,
    /// Last day of the measurement window.
    pub end_day: f64,
    /// Day the simulation stops (window end plus run-off).
    pub followed_until_day: f64,
}

impl Scenario {
    /// Parses and validates TOML text. Errors carry key paths and byte spans;
    /// render them with [`ScenarioError::render`].
    pub fn from_toml_str(text: &str) -> Result<Self, ScenarioError> {
        Self::from_toml_str_with(text, &[])
    }

    /// Parses TOML text, applies command-line overrides and validates the
    /// result. Problems in overridden keys are labelled `--set PATH`; others
    /// carry spans into `text`.
    ///
    /// A file with structural mistakes (unknown keys, wrong types) is still
    /// read as far as possible and validated, so one round reports every
    /// problem: the structural ones and those of the values that could be read.
    pub fn from_toml_str_with(text: &str, overrides: &[overrides::Override]) -> Result<Self, ScenarioError> {
        let lenient = parse_lenient(text);
        if !lenient.problems.is_empty() {
            let mut problems = lenient.problems;
            if let Some(spec) = lenient.spec
                && let Err(e) = Self::from_spec(spec)
            {
                // A problem under a key that was dropped to read on would be
                // about the default that replaced it, not the user's value.
                problems.extend(e.problems.into_iter().filter(|p| {
                    !lenient.removed.iter().any(|r| {
                        p.path == *r
                            || p.path.starts_with(&format!("{r}."))
                            || p.path.starts_with(&format!("{r}["))
                    })
                }));
            }
            let mut e = ScenarioError { problems };
            attach_spans(&mut e, text);
            return Err(e);
        }
        let spec = lenient.spec.expect("no problems means the spec was read");
        let (spec, set_paths) = overrides::apply(&spec, overrides)?;
        Self::from_spec(spec).map_err(|mut e| {
            for p in &mut e.problems {
                if set_paths
                    .iter()
                    .any(|s| p.path == *s || p.path.starts_with(&format!("{s}.")))
                {
                    p.origin = Origin::Override;
                }
            }
            attach_spans(&mut e, text);
            e
        })
    }

    /// Validates a spec, reporting every problem found.
    pub fn from_spec(spec: ScenarioSpec) -> Result<Self, ScenarioError> {
        validate::Validator::default().run(spec)
    }

    /// The spec this scenario was built from (echoed into manifests).
    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// What the scenario's author does not know (`unknown` in the file).
    pub fn unknown(&self) -> &[spec::Unknown] {
        &self.spec.unknown
    }

    /// Whether sales can change how a buyer's journey ends. Not in a
    /// scenario whose response to touches and decision weights are all
    /// neutral, with us on every buyer's list and no framing edge (what
    /// `calibrate` writes without `--live`): there, policies move costs,
    /// never outcomes.
    pub fn sales_moves_outcomes(&self) -> bool {
        let (r, d) = (&self.spec.response, &self.spec.decision);
        let neutral = r.go_dark_base == 0.0
            && r.go_dark_per_resistance == 0.0
            && r.advance_on_welcome == 0.0
            && d.trust_weight == 0.0
            && d.alignment_weight == 0.0
            && d.contact_weight == 0.0
            && d.resistance_weight == 0.0
            && d.risk_weight == 0.0
            && d.reach_out_base >= 1.0
            && d.framing_edge == 0.0;
        !neutral
    }

    /// Whether the costs are the company's own: when they are not, spend,
    /// profit, ROI and cost per win are made of placeholders.
    pub fn costs_known(&self) -> bool {
        !self.spec.unknown.contains(&spec::Unknown::Costs)
    }

    /// Master seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// Number of replications.
    pub fn replications(&self) -> u32 {
        self.replications
    }

    /// Name of the stage in which buyers frame their requirements.
    pub fn framing_stage_name(&self) -> &str {
        &self.stages[self.decision.framing_stage].name
    }

    /// Stage names in journey order.
    pub fn stage_names(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|s| s.name.as_str())
    }

    /// Number of stages.
    pub fn stage_count(&self) -> usize {
        self.stages.len()
    }

    /// Channel names.
    pub fn channel_names(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(|c| c.name.as_str())
    }

    /// The handoff policy.
    pub fn handoff(&self) -> &HandoffPolicy {
        &self.handoff
    }

    /// The outreach approach's name.
    pub fn approach_name(&self) -> &'static str {
        self.outreach.approach.name()
    }

    /// The measurement window.
    pub fn window(&self) -> Window {
        Window {
            start_day: self.warmup_days,
            end_day: self.warmup_days + self.horizon_days,
            followed_until_day: self.end_day(),
        }
    }

    /// Day the simulation stops.
    pub(crate) fn end_day(&self) -> f64 {
        self.warmup_days + self.horizon_days + self.runoff_days
    }

    /// Snapshot days, from 0 to the end of the run.
    pub fn snapshot_days(&self) -> Vec<f64> {
        let n = (self.end_day() / self.snapshot_every_days).floor() as usize;
        // Integer multiples, never repeated float addition.
        (0..=n).map(|k| k as f64 * self.snapshot_every_days).collect()
    }

    /// Expected number of buyers one replication simulates (every channel's
    /// expected leads over the whole run, warm-up and run-off included).
    pub fn expected_buyers_per_replication(&self) -> f64 {
        let end = self.end_day();
        self.channels
            .iter()
            .map(|c| match &c.arrivals {
                crate::model::channel::Arrivals::Poisson { leads_per_day } => leads_per_day * end,
                crate::model::channel::Arrivals::Bursts(b) => b.iter().map(|x| x.mean_leads).sum(),
            })
            .sum()
    }

    /// Legal but suspicious settings of the scenario as it will run, for the
    /// caller to show once.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut w = Vec::new();
        if self.replications < FEW_REPLICATIONS {
            w.push(Warning::FewReplications(self.replications));
        }
        if self.warmup_days == 0.0
            && self.outreach.reps > 0
            && !matches!(self.handoff, HandoffPolicy::StageGate { .. })
        {
            w.push(Warning::NoWarmup);
        }
        if self.runoff_days == 0.0 {
            w.push(Warning::NoRunoff);
        }
        if self.outreach.reps == 0 {
            w.push(Warning::NoReps);
        }
        for c in &self.channels {
            if c.fit == 0.0 {
                w.push(Warning::NoFit {
                    channel: c.name.clone(),
                });
            }
        }
        if self.stages.iter().all(|s| s.receptivity == 0.0) && self.outreach.reps > 0 {
            w.push(Warning::NoReceptivity);
        }
        w
    }

    /// A copy with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Seed(seed);
        self.spec.simulation.seed = seed;
        self
    }

    /// A copy with another replication count.
    ///
    /// # Errors
    /// If `replications` is zero.
    pub fn with_replications(mut self, replications: u32) -> Result<Self, ScenarioError> {
        if replications == 0 {
            return Err(ScenarioError::single(
                "simulation.replications",
                "must be at least 1",
                None,
            ));
        }
        self.replications = replications;
        self.spec.simulation.replications = replications;
        Ok(self)
    }
}

/// Parses TOML into the raw spec; syntax, unknown-key and type errors keep
/// the key path and span.
pub fn parse_spec(text: &str) -> Result<ScenarioSpec, ScenarioError> {
    let lenient = parse_lenient(text);
    match lenient.spec {
        Some(spec) if lenient.problems.is_empty() => Ok(spec),
        _ => {
            let mut e = ScenarioError {
                problems: lenient.problems,
            };
            attach_spans(&mut e, text);
            Err(e)
        }
    }
}

/// What a lenient read of a scenario file found.
struct Lenient {
    /// The spec read after dropping the offending keys, if serde could then
    /// read the rest.
    spec: Option<ScenarioSpec>,
    /// Structural problems: syntax, unknown or inapplicable keys, wrong types.
    problems: Vec<Problem>,
    /// Canonical paths of the keys dropped to read on.
    removed: Vec<String>,
}

/// Reads a scenario file, collecting every structural problem instead of
/// stopping at the first: serde stops at the first mistake, so the key at
/// fault is dropped (an optional key then takes its default) and the file is
/// read again, until it reads or a required key is missing.
fn parse_lenient(text: &str) -> Lenient {
    let mut out = Lenient {
        spec: None,
        problems: Vec::new(),
        removed: Vec::new(),
    };
    let mut tree = match toml::from_str::<toml::Table>(text) {
        Ok(t) => toml::Value::Table(t),
        Err(e) => {
            out.problems.push(Problem {
                origin: Origin::File,
                path: String::new(),
                message: format!("TOML syntax error: {}", e.message().trim()),
                span: e.span(),
            });
            return out;
        }
    };
    for bad in tree::strip_inapplicable(&mut tree, None, &params::Place::default()) {
        let path = bad.place.to_string();
        out.removed.push(path.clone());
        out.problems.push(Problem {
            origin: Origin::File,
            path,
            message: bad.message,
            span: None,
        });
    }
    // Each round drops one key, so this ends; the cap only bounds the work
    // for a file made of nothing but mistakes.
    for _ in 0..200 {
        let e = match serde_path_to_error::deserialize::<_, ScenarioSpec>(tree.clone()) {
            Ok(spec) => {
                out.spec = Some(spec);
                return out;
            }
            Err(e) => e,
        };
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = e.into_inner().message().trim().to_owned();
        let join = |k: &str| {
            if path.is_empty() {
                k.to_owned()
            } else {
                format!("{path}.{k}")
            }
        };
        let backticked = |m: &str| m.split('`').nth(1).map(str::to_owned);
        let (at, drop) = if message.starts_with("unknown field") {
            // The path may already end with the unknown key.
            let name = backticked(&message).unwrap_or_default();
            let key = if path == name || path.ends_with(&format!(".{name}")) {
                path.clone()
            } else {
                join(&name)
            };
            (key.clone(), Some(key))
        } else if message.starts_with("missing field") {
            let key = join(&backticked(&message).unwrap_or_default());
            if out.removed.contains(&key) {
                // Missing because it was dropped: already reported.
                return out;
            }
            (path.clone(), None)
        } else if !path.is_empty()
            && ["invalid type", "invalid value", "unknown variant"]
                .iter()
                .any(|p| message.starts_with(p))
        {
            (path.clone(), Some(path.clone()))
        } else {
            (path.clone(), None)
        };
        // A whole section of the wrong shape (a tagged section reports its
        // inner mistakes at the section) is dropped, not replaced by a scalar.
        let placeholder = placeholder_for(&message).filter(|_| {
            !matches!(
                tree::get_at(&tree, &path),
                Some(toml::Value::Table(_) | toml::Value::Array(_))
            )
        });
        out.problems.push(Problem {
            origin: Origin::File,
            path: at,
            message: error::plain_words(&message),
            span: None,
        });
        let Some(key) = drop else { return out };
        let before = tree.clone();
        match placeholder {
            // A value of the expected type keeps a required key present, so
            // the rest of its table is read too.
            Some(v) => tree::replace_at(&mut tree, &key, v),
            None => tree::remove_at(&mut tree, &key),
        }
        if tree == before {
            return out;
        }
        out.removed.push(key);
    }
    out
}

/// A stand-in of the type a serde "invalid type" message expected, for a
/// scalar; the problem is reported and validation of the stand-in ignored.
fn placeholder_for(message: &str) -> Option<toml::Value> {
    if !message.starts_with("invalid type") && !message.starts_with("invalid value") {
        return None;
    }
    match message.rsplit_once(", expected ")?.1 {
        "f64" | "f32" => Some(toml::Value::Float(1.0)),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" => Some(toml::Value::Integer(1)),
        "a boolean" => Some(toml::Value::Boolean(false)),
        "a string" => Some(toml::Value::String("?".to_owned())),
        _ => None,
    }
}

/// Fills in spans for problems found during validation by looking their key
/// path up in the parsed document.
/// Gives each problem found in a file made of scenario keys (a scenario, a
/// costs file) the place of its key path in `text`, and sorts them in file
/// order.
pub fn locate(err: &mut ScenarioError, text: &str) {
    attach_spans(err, text);
}

fn attach_spans(err: &mut ScenarioError, text: &str) {
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return;
    };
    for p in &mut err.problems {
        if p.span.is_none() && p.origin == Origin::File && !p.path.is_empty() {
            p.span = span_of_path(doc.get_ref(), &p.path);
        }
    }
    // File order; problems without a place in the file (overrides) last.
    err.problems
        .sort_by_key(|p| p.span.as_ref().map_or(usize::MAX, |s| s.start));
}

/// Byte span of the value at `path` (`a.b[2].c`), or of the deepest parent
/// that exists.
fn span_of_path(root: &toml::de::DeTable<'_>, path: &str) -> Option<std::ops::Range<usize>> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            segments.push(Err(key));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse::<usize>() {
                segments.push(Ok(i));
            }
        }
    }
    let mut span = None;
    let mut table: Option<&toml::de::DeTable<'_>> = Some(root);
    let mut value: Option<&toml::Spanned<toml::de::DeValue<'_>>> = None;
    for seg in segments {
        let next = match (seg, table, value) {
            (Err(key), Some(t), _) => t.get(key),
            (Ok(i), _, Some(v)) => v.get_ref().as_array().and_then(|a| a.get(i)),
            _ => None,
        };
        let Some(v) = next else { break };
        span = Some(v.span());
        value = Some(v);
        table = v.get_ref().as_table();
    }
    span
}

/// `did you mean 'x'? ` when one of `known` is close to `name` (a typo),
/// else nothing.
fn did_you_mean(name: &str, known: &[&str]) -> String {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(String::new, |(_, k)| format!("did you mean '{k}'? "))
}
