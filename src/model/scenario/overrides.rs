//! `--set KEY.PATH=VALUE`: overriding any scenario parameter by its key path.
//!
//! Overrides are applied to the *complete* spec (the file with every default
//! filled in), so any parameter can be set whether or not the file mentions
//! it, and an unknown key is caught at once with the closest valid keys. The
//! result is validated exactly like a file.
//!
//! Paths use the file's keys: `outreach.reps`, `handoff.threshold`,
//! `stages[2].receptivity`. Elements of a list of named tables can also be
//! picked by name: `channels.trade_shows.fit`, `stages.validating.receptivity`.
//! A value is read as TOML (`60`, `0.25`, `true`, `"text"`, `{ … }`); a bare
//! word such as `insight_led` is taken as a string.

use toml::Value;

use super::error::{Origin, Problem, ScenarioError, closest, plain_words};
use super::params::{ParamPath, Place, Step};
use super::spec::ScenarioSpec;
use super::tree::strip_inapplicable;

/// One parsed override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The key path as written.
    pub path: String,
    /// The new value.
    pub value: Value,
}

impl Override {
    /// Parses `KEY.PATH=VALUE`.
    ///
    /// # Errors
    /// If there is no `=`, the path is malformed (empty keys, unclosed or
    /// nested brackets, a non-numeric index) or the value is malformed TOML
    /// (e.g. an unterminated quote).
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let fail = |m: String| ScenarioError::from(Origin::Override, text, m);
        let (path, raw) = text
            .split_once('=')
            .ok_or_else(|| fail("expected KEY.PATH=VALUE, e.g. outreach.reps=6".into()))?;
        let path = path.trim();
        ParamPath::parse(path).map_err(fail)?;
        Ok(Self {
            path: path.to_owned(),
            value: parse_value(raw.trim()).map_err(fail)?,
        })
    }
}

/// Reads a command-line value as TOML, falling back to a plain string for a
/// bare word (`insight_led`, `My scenario`).
///
/// # Errors
/// Text that starts like TOML (a quote, `[` or `{`) but is not valid TOML,
/// e.g. an unterminated quote: taking it literally would hide the mistake.
pub fn parse_value(raw: &str) -> Result<Value, String> {
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) if t.len() == 1 => t.remove("v").ok_or_else(|| "no value".to_owned()),
        Ok(_) => Err(format!("'{raw}' is not one value; quote text that contains '='")),
        Err(e) if raw.starts_with(['"', '\'', '[', '{']) => {
            Err(format!("'{raw}' is not a valid value: {}", e.message().trim()))
        }
        // TOML integers are i64: a larger whole number is not text either.
        Err(_) if raw.parse::<u128>().is_ok() => Err(format!(
            "{raw} is too large a whole number (at most {}); a seed this large can only be given as the run's seed",
            i64::MAX
        )),
        Err(_) => Ok(Value::String(raw.to_owned())),
    }
}

/// Checks a key path's syntax (see [`ParamPath`]).
///
/// # Errors
/// A message saying what is malformed and where.
pub fn check_path(path: &str) -> Result<(), String> {
    ParamPath::parse(path).map(|_| ())
}

/// Keys that select a variant of a tagged section; a table holding one of
/// them may gain the keys of its variant (e.g. `handoff.threshold`).
const TAGS: [&str; 3] = ["policy", "distribution", "process"];

/// Sets the value and returns the canonical path (`stages[5].receptivity`
/// for `stages.validating.receptivity`), as validation errors spell it.
fn set(root: &mut Value, ov: &Override) -> Result<String, String> {
    let path = ParamPath::parse(&ov.path)?;
    let steps = path.steps();
    let mut canonical = String::new();
    let mut cur = root;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        cur = match (step, cur) {
            (Step::Index(k), Value::Array(a)) => {
                canonical.push_str(&format!("[{k}]"));
                let n = a.len();
                a.get_mut(*k)
                    .ok_or_else(|| format!("index {k} is out of range (the list has {n} entries)"))?
            }
            (Step::Key(key), Value::Array(a)) => {
                // Pick an element of a list of named tables by its name.
                let names: Vec<String> = a
                    .iter()
                    .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect();
                match a
                    .iter_mut()
                    .enumerate()
                    .find(|(_, v)| v.get("name").and_then(Value::as_str) == Some(key.as_str()))
                {
                    Some((k, v)) => {
                        canonical.push_str(&format!("[{k}]"));
                        v
                    }
                    None => {
                        return Err(format!(
                            "no entry named '{key}'; did you mean {}?",
                            closest(key, names.iter().map(String::as_str)).join(", ")
                        ));
                    }
                }
            }
            (Step::Key(key), Value::Table(t)) => {
                if !canonical.is_empty() {
                    canonical.push('.');
                }
                canonical.push_str(key);
                if !t.contains_key(key.as_str()) {
                    let tagged = TAGS.iter().any(|tag| t.contains_key(*tag));
                    if !(last && (tagged || is_optional(&ov.path))) {
                        return Err(format!(
                            "unknown key '{key}'; closest valid keys: {}",
                            closest(key, t.keys().map(String::as_str)).join(", ")
                        ));
                    }
                    t.insert(key.clone(), Value::Boolean(false));
                }
                t.get_mut(key.as_str()).expect("present or just inserted")
            }
            (step, _) => {
                return Err(format!(
                    "cannot step into {step:?}: the value there is not a table or list"
                ));
            }
        };
    }
    *cur = ov.value.clone();
    Ok(canonical)
}

/// Keys the complete spec leaves out because they have no value by default.
fn is_optional(path: &str) -> bool {
    [
        "outreach.scores",
        "outreach.pushiness",
        "outreach.approach_by_segment",
        "decision.framing_stage",
        "hand_raisers",
        "repeat_every_days",
        "segment_mix",
        "description",
    ]
    .iter()
    .any(|k| path.ends_with(k))
}

/// The complete spec as a TOML tree. TOML integers are `i64`, so a seed
/// above `i64::MAX` cannot be in the tree: it is left at 0 there and put
/// back by [`apply`] unless an override sets it.
pub fn to_tree(spec: &ScenarioSpec) -> Result<Value, String> {
    let mut copy = spec.clone();
    copy.simulation.seed = 0;
    Value::try_from(&copy).map_err(|e| e.to_string())
}

/// Applies `overrides` to `spec` and returns the new spec with the canonical
/// paths that were set. Errors name the override (`--set PATH`) and what is
/// wrong.
///
/// A key set by an override that does not apply to its section's variant
/// (`handoff.threshold` under `policy = "immediate"`) is refused. When an
/// override switches the variant, keys of the old variant that no override
/// set are dropped, so `--set handoff.policy=immediate` works on a file with
/// a threshold.
///
/// # Errors
/// Unknown paths (with the closest valid keys), keys that do not apply to
/// the chosen variant and values of the wrong type.
pub fn apply(
    spec: &ScenarioSpec,
    overrides: &[Override],
) -> Result<(ScenarioSpec, Vec<String>), ScenarioError> {
    if overrides.is_empty() {
        return Ok((spec.clone(), Vec::new()));
    }
    let mut set_paths = Vec::new();
    let mut tree = to_tree(spec).map_err(|e| ScenarioError::single("", e, None))?;
    let mut problems = Vec::new();
    for ov in overrides {
        match set(&mut tree, ov) {
            Ok(p) => set_paths.push(p),
            Err(message) => problems.push(Problem {
                origin: Origin::Override,
                path: ov.path.clone(),
                message,
                span: None,
            }),
        }
    }
    if problems.is_empty() {
        for bad in strip_inapplicable(&mut tree, None, &Place::default()) {
            let written = |canonical: &str| {
                set_paths
                    .iter()
                    .zip(overrides)
                    .rev()
                    .find(|(p, _)| *p == canonical)
                    .map(|(_, o)| o.path.clone())
            };
            let (path, tag) = (bad.place.to_string(), bad.tag.to_string());
            match (written(&path), written(&tag)) {
                (Some(w), _) => problems.push(Problem {
                    origin: Origin::Override,
                    path: w,
                    message: bad.message,
                    span: None,
                }),
                // The user switched the variant: the old variant's keys go.
                (None, Some(_)) => {}
                (None, None) => problems.push(Problem {
                    origin: Origin::File,
                    path,
                    message: bad.message,
                    span: None,
                }),
            }
        }
    }
    if !problems.is_empty() {
        return Err(ScenarioError { problems });
    }
    let mut new: ScenarioSpec = serde_path_to_error::deserialize(tree).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ScenarioError::from(Origin::Override, path, plain_words(inner.message()))
    })?;
    if !set_paths.iter().any(|p| p == "simulation.seed") {
        new.simulation.seed = spec.simulation.seed;
    }
    Ok((new, set_paths))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::parse_spec;

    fn base() -> ScenarioSpec {
        parse_spec(
            r#"
name = "t"
[[channels]]
name = "web"
kind = "inbound_content"
arrivals = { process = "poisson", leads_per_day = 1.0 }
fit = 0.5
stage_mix = { unaware = 1.0 }
"#,
        )
        .unwrap()
    }

    fn set_all(items: &[&str]) -> Result<ScenarioSpec, ScenarioError> {
        let ov: Vec<Override> = items.iter().map(|s| Override::parse(s).unwrap()).collect();
        apply(&base(), &ov).map(|(s, _)| s)
    }

    #[test]
    fn sets_defaults_lists_by_index_and_by_name() {
        let s = set_all(&[
            "outreach.reps=9",
            "channels[0].fit=0.7",
            "stages.validating.receptivity=0.5",
            "outreach.approach=insight_led",
            "handoff.policy=score_threshold",
            "handoff.threshold=60",
        ])
        .unwrap();
        assert_eq!(s.outreach.reps, 9);
        assert_eq!(s.channels[0].fit, 0.7);
        assert_eq!(s.stages[5].receptivity, 0.5);
        assert_eq!(
            s.outreach.approach,
            crate::model::scenario::spec::ApproachKind::InsightLed
        );
        assert!(
            matches!(s.handoff, crate::model::scenario::spec::HandoffSpec::ScoreThreshold { threshold } if threshold == 60.0)
        );
    }

    #[test]
    fn unknown_paths_name_the_closest_keys() {
        let e = set_all(&["outreach.repz=3"]).unwrap_err().to_string();
        assert!(e.contains("override outreach.repz") && e.contains("reps"), "{e}");
        let e = set_all(&["channels.webb.fit=0.3"]).unwrap_err().to_string();
        assert!(e.contains("did you mean web"), "{e}");
        let e = set_all(&["outreach.reps=many"]).unwrap_err().to_string();
        assert!(e.contains("override outreach.reps"), "{e}");
        assert!(Override::parse("outreach.reps").is_err());
    }

    #[test]
    fn malformed_paths_and_values_are_refused() {
        for bad in [
            "outreach..reps=3",
            "outreach.reps.=3",
            ".outreach.reps=3",
            "stages[0.receptivity=1",
            "stages[[0]].receptivity=1",
            "stages[x].receptivity=1",
            "stages[0]x.receptivity=1",
            "[0].x=1",
            "name=\"abc",
            "name='abc",
            "name=[1,",
            "=1",
        ] {
            assert!(Override::parse(bad).is_err(), "{bad}");
        }
        let ok = Override::parse("stages[2][0].x=My scenario").unwrap();
        assert_eq!(ok.value, Value::String("My scenario".into()));
        assert_eq!(
            ParamPath::parse("stages[2][0].x").unwrap().steps(),
            [
                Step::Key("stages".into()),
                Step::Index(2),
                Step::Index(0),
                Step::Key("x".into())
            ]
        );
    }

    #[test]
    fn keys_of_another_variant_are_refused_unless_the_variant_is_switched() {
        let e = set_all(&["handoff.threshold=60"]).unwrap_err().to_string();
        assert!(
            e.contains("override handoff.threshold") && e.contains("policy = \"immediate\""),
            "{e}"
        );
        let e = set_all(&["handoff.policy=delay", "handoff.threshold=60"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("takes only days"), "{e}");
        // Switching away from a variant drops its keys the user did not set.
        let s = set_all(&["handoff.policy=score_threshold", "handoff.threshold=60"]).unwrap();
        let (back, _) = apply(&s, &[Override::parse("handoff.policy=immediate").unwrap()]).unwrap();
        assert!(matches!(
            back.handoff,
            crate::model::scenario::spec::HandoffSpec::Immediate
        ));
    }

    #[test]
    fn seeds_above_i64_max_survive_overrides() {
        let mut spec = base();
        spec.simulation.seed = u64::MAX;
        let (s, _) = apply(&spec, &[Override::parse("outreach.reps=2").unwrap()]).unwrap();
        assert_eq!(s.simulation.seed, u64::MAX);
        let (s, _) = apply(&spec, &[Override::parse("simulation.seed=7").unwrap()]).unwrap();
        assert_eq!(s.simulation.seed, 7);
    }
}
