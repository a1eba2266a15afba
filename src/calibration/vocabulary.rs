//! What the values of a CRM's stage and outcome columns mean.
//!
//! CRMs mix two things in their stage column: the funnel stages a deal moves
//! through, and the closing "stages" that end it (`Closed Won`,
//! `Closed Lost`, or a snapshot's `Won`/`Lost`). A [`Vocabulary`] tells them
//! apart, in this order:
//!
//! 1. a value mapped with `--map-stage RAW=stage` is that stage;
//! 2. a value that is one of the calibrated stages is that stage;
//! 3. a value mapped with `--map-outcome RAW=outcome` is that outcome;
//! 4. an outcome word ([`parse_outcome`]) is that outcome;
//! 5. anything else is unknown, and the reader decides what to do with it.
//!
//! A value cannot be both a stage and a closing: a map that would make it so
//! is refused. Mapping a stage to `open` is allowed and changes nothing in a
//! stage column (a deal in a stage is open); it matters where the same
//! values fill an outcome column. Values and map keys match exactly (after
//! trimming surrounding spaces); outcome words ignore case, spaces and
//! punctuation.

use std::collections::HashMap;

use crate::calibration::history::parse_outcome;
use crate::model::outcome::Outcome;
use crate::model::stage::StageId;

/// What one value means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// A calibrated stage.
    Stage(StageId),
    /// How the deal ended, or that it is still open.
    Outcome(Outcome),
    /// Neither.
    Unknown,
}

/// Why the maps cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VocabularyError {
    /// A map entry is not `RAW=target`.
    #[error("{flag} '{entry}' is not RAW=VALUE")]
    Malformed {
        /// The flag.
        flag: &'static str,
        /// The entry as given.
        entry: String,
    },
    /// A `--map-stage` target is not a calibrated stage.
    #[error("--map-stage '{entry}': '{target}' is not one of --stages ({stages}){hint}")]
    NotAStage {
        /// The entry as given.
        entry: String,
        /// The target.
        target: String,
        /// The calibrated stages, comma-separated.
        stages: String,
        /// A did-you-mean, or empty.
        hint: String,
    },
    /// A `--map-outcome` target is not an outcome word.
    #[error(
        "--map-outcome '{entry}': '{target}' is not an outcome (won, lost, no_decision, went_dark, disqualified or open)"
    )]
    NotAnOutcome {
        /// The entry as given.
        entry: String,
        /// The target.
        target: String,
    },
    /// A value would mean two things.
    #[error("'{raw}' {why}: a value means one thing")]
    Twice {
        /// The raw value.
        raw: String,
        /// What it was given twice as.
        why: String,
    },
}

/// The meaning of stage and outcome values: the calibrated stages, the
/// outcome words, and the user's maps.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    stages: Vec<String>,
    stage_index: HashMap<String, StageId>,
    stage_map: HashMap<String, StageId>,
    outcome_map: HashMap<String, Outcome>,
}

/// Splits `RAW=target` at its last `=` (targets never contain one, raw
/// values might).
fn split_entry(flag: &'static str, entry: &str) -> Result<(String, String), VocabularyError> {
    match entry.rsplit_once('=') {
        Some((raw, target)) if !raw.trim().is_empty() && !target.trim().is_empty() => {
            Ok((raw.trim().to_owned(), target.trim().to_owned()))
        }
        _ => Err(VocabularyError::Malformed {
            flag,
            entry: entry.to_owned(),
        }),
    }
}

impl Vocabulary {
    /// The vocabulary of `stages` (journey order) with `--map-stage` and
    /// `--map-outcome` entries, each `RAW=target`.
    pub fn new(
        stages: &[String],
        map_stage: &[String],
        map_outcome: &[String],
    ) -> Result<Self, VocabularyError> {
        let stage_index: HashMap<String, StageId> =
            stages.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect();
        let mut v = Vocabulary {
            stages: stages.to_vec(),
            stage_index,
            ..Vocabulary::default()
        };
        for entry in map_stage {
            let (raw, target) = split_entry("--map-stage", entry)?;
            let Some(&id) = v.stage_index.get(&target) else {
                let hint = closest(&target, stages)
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                return Err(VocabularyError::NotAStage {
                    entry: entry.clone(),
                    target,
                    stages: stages.join(", "),
                    hint,
                });
            };
            if v.stage_index.get(&raw).is_some_and(|&s| s != id) {
                return Err(VocabularyError::Twice {
                    raw,
                    why: "is one of --stages and mapped to another stage by --map-stage".into(),
                });
            }
            if v.stage_map.insert(raw.clone(), id).is_some_and(|s| s != id) {
                return Err(VocabularyError::Twice {
                    raw,
                    why: "is mapped to two stages by --map-stage".into(),
                });
            }
        }
        for entry in map_outcome {
            let (raw, target) = split_entry("--map-outcome", entry)?;
            let Some(outcome) = parse_outcome(&target) else {
                return Err(VocabularyError::NotAnOutcome {
                    entry: entry.clone(),
                    target,
                });
            };
            let stage = v.stage_index.contains_key(&raw) || v.stage_map.contains_key(&raw);
            if stage && outcome != Outcome::Open {
                return Err(VocabularyError::Twice {
                    raw,
                    why: "is a stage (in --stages or --map-stage) and mapped to a closing by --map-outcome"
                        .into(),
                });
            }
            if v.outcome_map
                .insert(raw.clone(), outcome)
                .is_some_and(|o| o != outcome)
            {
                return Err(VocabularyError::Twice {
                    raw,
                    why: "is mapped to two outcomes by --map-outcome".into(),
                });
            }
        }
        Ok(v)
    }

    /// The calibrated stages, in journey order.
    pub fn stages(&self) -> &[String] {
        &self.stages
    }

    /// What a value of a stage column means.
    pub fn stage_value(&self, raw: &str) -> Meaning {
        let raw = raw.trim();
        if let Some(&s) = self.stage_map.get(raw).or_else(|| self.stage_index.get(raw)) {
            Meaning::Stage(s)
        } else if let Some(&o) = self.outcome_map.get(raw) {
            Meaning::Outcome(o)
        } else if let Some(o) = parse_outcome(raw) {
            Meaning::Outcome(o)
        } else {
            Meaning::Unknown
        }
    }

    /// What a value of an outcome column means: a mapped value, or an
    /// outcome word; `None` if neither.
    pub fn outcome_value(&self, raw: &str) -> Option<Outcome> {
        let raw = raw.trim();
        self.outcome_map.get(raw).copied().or_else(|| parse_outcome(raw))
    }

    /// A calibrated stage that `raw` is probably a misspelling of.
    pub fn likely_stage(&self, raw: &str) -> Option<&str> {
        closest(raw, &self.stages)
    }
}

/// The name among `names` most like `raw`, if it is alike enough to be a
/// misspelling (Jaro–Winkler ≥ 0.85, ignoring case).
pub fn closest<'a>(raw: &str, names: &'a [String]) -> Option<&'a str> {
    names
        .iter()
        .map(|s| (strsim::jaro_winkler(&raw.to_lowercase(), &s.to_lowercase()), s))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s.as_str())
}

/// Whether a value that is neither a stage nor an outcome word still reads
/// like a closing (`Closed - Duplicate`, `Dead`, `Lost (no budget)`), so a
/// message suggests `--map-outcome` and not `--stages`.
pub fn looks_like_outcome(raw: &str) -> bool {
    let t = raw.to_lowercase();
    [
        "won", "lost", "lose", "closed", "dead", "dark", "disqual", "cancel", "churn",
    ]
    .iter()
    .any(|w| t.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages() -> Vec<String> {
        ["Prospecting", "Engaging"].map(str::to_owned).to_vec()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stages_outcomes_and_maps() {
        let v = Vocabulary::new(
            &stages(),
            &strings(&["Qualify=Prospecting"]),
            &strings(&["Dormant=no_decision", "On hold = open"]),
        )
        .unwrap();
        assert_eq!(v.stage_value(" Engaging "), Meaning::Stage(1));
        assert_eq!(v.stage_value("Qualify"), Meaning::Stage(0));
        assert_eq!(v.stage_value("Closed Won"), Meaning::Outcome(Outcome::Won));
        assert_eq!(v.stage_value("Lost"), Meaning::Outcome(Outcome::LostCompetitor));
        assert_eq!(v.stage_value("Dormant"), Meaning::Outcome(Outcome::NoDecision));
        assert_eq!(v.stage_value("On hold"), Meaning::Outcome(Outcome::Open));
        assert_eq!(v.stage_value("Negotiation"), Meaning::Unknown);
        assert_eq!(v.outcome_value("Dormant"), Some(Outcome::NoDecision));
        assert_eq!(v.outcome_value("Engaging"), None);
        assert_eq!(v.likely_stage("Engagng"), Some("Engaging"));

        // "Engaging means open": nothing changes where it is a stage, and an
        // outcome column reads it as open.
        let v = Vocabulary::new(&stages(), &[], &strings(&["Engaging=open", "Won=won"])).unwrap();
        assert_eq!(v.stage_value("Engaging"), Meaning::Stage(1));
        assert_eq!(v.outcome_value("Engaging"), Some(Outcome::Open));
    }

    #[test]
    fn a_value_means_one_thing() {
        let err = |ms: &[&str], mo: &[&str]| {
            Vocabulary::new(&stages(), &strings(ms), &strings(mo))
                .unwrap_err()
                .to_string()
        };
        assert!(err(&["x=Nowhere"], &[]).contains("'Nowhere' is not one of --stages"));
        assert!(err(&["x=Engagng"], &[]).contains("did you mean 'Engaging'"));
        assert!(err(&[], &["x=maybe"]).contains("'maybe' is not an outcome"));
        assert!(err(&[], &["Engaging=won"]).contains("is a stage"));
        assert!(err(&["x=Engaging"], &["x=won"]).contains("is a stage"));
        assert!(err(&[], &["x=won", "x=lost"]).contains("two outcomes"));
        assert!(err(&["noequals"], &[]).contains("is not RAW=VALUE"));
        assert!(err(&["Prospecting=Engaging"], &[]).contains("is one of --stages"));
    }

    #[test]
    fn closings_that_are_not_outcome_words_are_recognised_as_closings() {
        assert!(looks_like_outcome("Closed - Duplicate"));
        assert!(looks_like_outcome("Dead"));
        assert!(!looks_like_outcome("Negotiation"));
    }
}
