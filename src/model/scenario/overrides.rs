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

use super::error::{Problem, ScenarioError};
use super::spec::ScenarioSpec;

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
    /// If there is no `=` or the path is empty.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let (path, raw) = text.split_once('=').ok_or_else(|| {
            ScenarioError::single(
                format!("--set {text}"),
                "expected KEY.PATH=VALUE, e.g. outreach.reps=6",
                None,
            )
        })?;
        let path = path.trim();
        if path.is_empty() {
            return Err(ScenarioError::single(
                format!("--set {text}"),
                "the key path is empty",
                None,
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            value: parse_value(raw.trim()),
        })
    }
}

/// Reads a command-line value as TOML, falling back to a plain string.
pub fn parse_value(raw: &str) -> Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_owned()))
}

/// One step of a key path.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Step::Key(key.to_owned()));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            match idx.trim_end_matches(']').parse::<usize>() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => out.push(Step::Key(idx.trim_end_matches(']').to_owned())),
            }
        }
    }
    out
}

/// Keys that select a variant of a tagged section; a table holding one of
/// them may gain the keys of its variant (e.g. `handoff.threshold`).
const TAGS: [&str; 3] = ["policy", "distribution", "process"];

/// Up to three candidates closest to `wanted` (Jaro–Winkler similarity).
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates.map(|c| (strsim::jaro_winkler(wanted, c), c)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// Sets the value and returns the canonical path (`stages[5].receptivity`
/// for `stages.validating.receptivity`), as validation errors spell it.
fn set(root: &mut Value, ov: &Override) -> Result<String, String> {
    let steps = steps(&ov.path);
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
        "repeat_every_days",
        "segment_mix",
        "description",
    ]
    .iter()
    .any(|k| path.ends_with(k))
}

/// Applies `overrides` to `spec` and returns the new spec with the canonical
/// paths that were set. Errors name the override (`--set PATH`) and what is
/// wrong.
///
/// # Errors
/// Unknown paths (with the closest valid keys) and values of the wrong type.
pub fn apply(
    spec: &ScenarioSpec,
    overrides: &[Override],
) -> Result<(ScenarioSpec, Vec<String>), ScenarioError> {
    if overrides.is_empty() {
        return Ok((spec.clone(), Vec::new()));
    }
    let mut set_paths = Vec::new();
    let mut tree = Value::try_from(spec).map_err(|e| ScenarioError::single("", e.to_string(), None))?;
    let mut problems = Vec::new();
    for ov in overrides {
        match set(&mut tree, ov) {
            Ok(p) => set_paths.push(p),
            Err(message) => problems.push(Problem {
                path: format!("--set {}", ov.path),
                message,
                span: None,
            }),
        }
    }
    if !problems.is_empty() {
        return Err(ScenarioError { problems });
    }
    let spec = serde_path_to_error::deserialize(tree).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ScenarioError::single(format!("--set {path}"), inner.message().trim().to_owned(), None)
    })?;
    Ok((spec, set_paths))
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
        assert!(e.contains("--set outreach.repz") && e.contains("reps"), "{e}");
        let e = set_all(&["channels.webb.fit=0.3"]).unwrap_err().to_string();
        assert!(e.contains("did you mean web"), "{e}");
        let e = set_all(&["outreach.reps=many"]).unwrap_err().to_string();
        assert!(e.contains("--set outreach.reps"), "{e}");
        assert!(Override::parse("outreach.reps").is_err());
    }
}
