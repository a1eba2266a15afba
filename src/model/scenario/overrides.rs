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
//! word such as `insight_led` is taken as a string. It is then read as the
//! type of the key it sets, as the file reader would read it.

use toml::Value;

use super::error::{Origin, ScenarioError};
use super::params::{Edit, ParamPath};
use super::spec::ScenarioSpec;

/// One parsed override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The key path.
    pub path: ParamPath,
    /// The new value, as given.
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
        Ok(Self {
            path: ParamPath::parse(path.trim()).map_err(fail)?,
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

/// Applies `overrides` to a copy of `spec`, in order, and returns it with
/// the paths that were set as validation errors spell them
/// (`stages[5].receptivity` for `stages.validating.receptivity`). Errors
/// name the override (`--set PATH`) and what is wrong.
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
    let mut edit = Edit::new(spec.clone());
    for ov in overrides {
        edit.set(&ov.path, &ov.value);
    }
    let (mut new, set_paths) = edit.finish()?;
    // A `[simulation]` table given whole does not reset the seed.
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
        assert_eq!(ok.path.as_str(), "stages[2][0].x");
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
    fn tables_given_whole_are_read_like_a_file_section() {
        let e = set_all(&["handoff.policy=stage_gate"]).unwrap_err().to_string();
        assert!(
            e.contains("override handoff: missing required key `stage`"),
            "{e}"
        );
        let s = set_all(&["outreach={ reps = 3 }"]).unwrap();
        assert_eq!((s.outreach.reps, s.outreach.touches_per_rep_per_day), (3, 20.0));
        let e = set_all(&["outreach={ reps = 3 }", "outreach.approach=insight_led"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown key 'approach'; closest valid keys: reps"),
            "{e}"
        );
        let shape = r#"stages[0].dwell={ distribution = "exponential", mean_days = 5, shape = 2 }"#;
        let e = set_all(&[shape]).unwrap_err().to_string();
        assert!(e.contains("stages[0].dwell.shape: does not apply"), "{e}");
    }

    #[test]
    fn the_first_value_that_does_not_read_is_reported_in_file_order() {
        let e = set_all(&["outreach.reps=six", "name=3"]).unwrap_err().to_string();
        assert_eq!(e, "override name: expected text, got 3");
        let e = set_all(&["handoff.policy=score_threshold", "handoff.threshold=x"])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "override handoff: expected a number, got x");
        assert!(set_all(&["outreach.reps=six", "outreach.reps=3"]).is_ok());
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
