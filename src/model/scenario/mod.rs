//! Scenarios: parsed from TOML into [`spec::ScenarioSpec`], checked once into
//! a [`Scenario`] that the engine trusts without re-validating.

pub mod error;
pub mod overrides;
pub mod spec;

use std::collections::BTreeMap;

use rand_distr::LogNormal;

pub use error::{Problem, ScenarioError};
use spec::{ArrivalsSpec, DealValueSpec, DwellSpec, HandoffSpec, ScenarioSpec, ValuesSpec};

use crate::model::channel::{Arrivals, Burst, Categorical, Channel, Spend};
use crate::model::decision::DecisionModel;
use crate::model::handoff::HandoffPolicy;
use crate::model::marketing::{MAX_SCORE, Marketing};
use crate::model::outreach::{Approach, Outreach, Response};
use crate::model::segment::{DealValue, Segment};
use crate::model::stage::{Dwell, Stage};
use crate::model::values::{NAMES, Values};
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
                "only {n} replications: intervals will be wide and percentiles rough"
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
                    p.path = format!("--set {}", p.path);
                }
            }
            attach_spans(&mut e, text);
            e
        })
    }

    /// Validates a spec, reporting every problem found.
    pub fn from_spec(spec: ScenarioSpec) -> Result<Self, ScenarioError> {
        Validator::default().run(spec)
    }

    /// The spec this scenario was built from (echoed into manifests).
    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Master seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// Number of replications.
    pub fn replications(&self) -> u32 {
        self.replications
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
                path: String::new(),
                message: format!("TOML syntax error: {}", e.message().trim()),
                span: e.span(),
            });
            return out;
        }
    };
    for bad in overrides::inapplicable_keys(&tree) {
        overrides::remove_at(&mut tree, &bad.path);
        out.removed.push(bad.path.clone());
        out.problems.push(Problem {
            path: bad.path,
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
                overrides::get_at(&tree, &path),
                Some(toml::Value::Table(_) | toml::Value::Array(_))
            )
        });
        out.problems.push(Problem {
            path: at,
            message: error::plain_words(&message),
            span: None,
        });
        let Some(key) = drop else { return out };
        let before = tree.clone();
        match placeholder {
            // A value of the expected type keeps a required key present, so
            // the rest of its table is read too.
            Some(v) => overrides::replace_at(&mut tree, &key, v),
            None => overrides::remove_at(&mut tree, &key),
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
fn attach_spans(err: &mut ScenarioError, text: &str) {
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return;
    };
    for p in &mut err.problems {
        if p.span.is_none() && !p.path.starts_with("--set") && !p.path.is_empty() {
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

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
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

    fn run(mut self, spec: ScenarioSpec) -> Result<Scenario, ScenarioError> {
        let sim = &spec.simulation;
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

        // Stages.
        if spec.stages.is_empty() {
            self.problem("stages", "at least one stage is required");
        }
        self.list_len("stages", spec.stages.len());
        let stage_index = self.unique_names("stages", spec.stages.iter().map(|s| s.name.as_str()));
        let mut stages = Vec::with_capacity(spec.stages.len());
        for (i, s) in spec.stages.iter().enumerate() {
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

        // Segments.
        if spec.segments.is_empty() {
            self.problem("segments", "at least one segment is required");
        }
        self.list_len("segments", spec.segments.len());
        let segment_index = self.unique_names("segments", spec.segments.iter().map(|s| s.name.as_str()));
        let mut segments = Vec::with_capacity(spec.segments.len());
        for (i, s) in spec.segments.iter().enumerate() {
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

        // Channels.
        if spec.channels.is_empty() {
            self.problem("channels", "at least one channel is required");
        }
        self.list_len("channels", spec.channels.len());
        self.unique_names("channels", spec.channels.iter().map(|c| c.name.as_str()));
        let mut channels = Vec::with_capacity(spec.channels.len());
        for (i, c) in spec.channels.iter().enumerate() {
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
                &stage_index,
                spec.stages.len(),
                "stage",
            );
            let segment_mix = if c.segment_mix.is_empty() && spec.segments.len() == 1 {
                Categorical::from_weights(&[1.0])
            } else if c.segment_mix.is_empty() {
                self.problem(
                    format!("{p}.segment_mix"),
                    "is required when the scenario has more than one segment",
                );
                Categorical::from_weights(&vec![1.0; spec.segments.len()])
            } else {
                self.mix(
                    &format!("{p}.segment_mix"),
                    &c.segment_mix,
                    &segment_index,
                    spec.segments.len(),
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
            });
        }

        // Marketing.
        let m = &spec.marketing;
        let marketing = Marketing {
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
        };

        // Handoff.
        let handoff = match &spec.handoff {
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
        };

        // Outreach.
        let o = &spec.outreach;
        let mut approach = Approach::builtin(o.approach);
        if let Some(scores) = o.scores {
            approach.scores = self.unit_scores("outreach.scores", scores);
        }
        if let Some(p) = o.pushiness {
            approach.pushiness = self.probability("outreach.pushiness", p);
        }
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
        let outreach = Outreach {
            approach,
            reps: o.reps,
            touch_duration_days: 1.0 / per_day,
            first_response_days: self.days("outreach.first_response_days", o.first_response_days),
            touch_spacing_days: self.cadence("outreach.touch_spacing_days", o.touch_spacing_days),
            follow_up_every_days: self.cadence("outreach.follow_up_every_days", o.follow_up_every_days),
            max_unanswered_touches: o.max_unanswered_touches,
            cold_after_days: self.positive("outreach.cold_after_days", o.cold_after_days),
            cost_per_touch: self.money("outreach.cost_per_touch", o.cost_per_touch),
            cost_per_rep_day: self.money("outreach.cost_per_rep_day", o.cost_per_rep_day),
        };

        let r = &spec.response;
        let response = Response {
            alignment_weight: self.probability("response.alignment_weight", r.alignment_weight),
            trust_gain: self.probability("response.trust_gain", r.trust_gain),
            resistance_gain: self.probability("response.resistance_gain", r.resistance_gain),
            go_dark_base: self.probability("response.go_dark_base", r.go_dark_base),
            go_dark_per_resistance: self
                .non_negative("response.go_dark_per_resistance", r.go_dark_per_resistance),
            advance_on_welcome: self.probability("response.advance_on_welcome", r.advance_on_welcome),
        };

        let d = &spec.decision;
        let decision = DecisionModel {
            base_us: self.utility("decision.base_us", d.base_us),
            trust_weight: self.utility("decision.trust_weight", d.trust_weight),
            alignment_weight: self.utility("decision.alignment_weight", d.alignment_weight),
            contact_weight: self.utility("decision.contact_weight", d.contact_weight),
            resistance_weight: self.utility("decision.resistance_weight", d.resistance_weight),
            base_competitor: self.utility("decision.base_competitor", d.base_competitor),
            base_no_decision: self.utility("decision.base_no_decision", d.base_no_decision),
            risk_weight: self.utility("decision.risk_weight", d.risk_weight),
        };

        // Semantic checks across sections.
        if let HandoffPolicy::StageGate { stage } = handoff {
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
        if !self.problems.is_empty() {
            return Err(ScenarioError {
                problems: self.problems,
            });
        }
        Ok(Scenario {
            seed: Seed(spec.simulation.seed),
            replications: spec.simulation.replications,
            warmup_days: warmup,
            horizon_days: horizon,
            runoff_days: runoff,
            snapshot_every_days: snap,
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
}
