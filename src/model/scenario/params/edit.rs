//! Overrides applied to a copy of a spec. Each path is resolved in turn; a
//! value that reads as its key's type is set at once, anything else is kept
//! as given. Once every override is in, keys that do not apply to their
//! section's variant are refused, the values kept are read, switched
//! sections are rebuilt, and the first value that does not read is reported.

use toml::Value;

use super::faults::Fault;
use super::given::{Given, set_inside};
use super::node::{Open, node_at};
use super::path::{ParamPath, Part, Place};
use super::resolve::{Resolved, Target, resolve};
use super::sections::{SectionGiven, tagged_at};
use crate::model::scenario::error::{Origin, Problem, ScenarioError, plain_words};
use crate::model::scenario::spec::ScenarioSpec;
use crate::model::scenario::tree::strip_inapplicable;

/// A spec with overrides being applied.
pub(crate) struct Edit {
    spec: ScenarioSpec,
    /// Where each override so far landed, with its path as written.
    set: Vec<(Place, String)>,
    /// Paths that do not resolve.
    problems: Vec<Problem>,
    /// Values kept as given.
    given: Vec<Given>,
}

impl Edit {
    /// Starts from `spec`.
    pub(crate) fn new(spec: ScenarioSpec) -> Self {
        Self {
            spec,
            set: Vec::new(),
            problems: Vec::new(),
            given: Vec::new(),
        }
    }

    /// Sets `path` to `value`, or notes why the path does not resolve.
    pub(crate) fn set(&mut self, path: &ParamPath, value: &Value) {
        match self.put(path, value) {
            Ok(place) => self.set.push((place, path.to_string())),
            Err(message) => self.problems.push(Problem {
                origin: Origin::Override,
                path: path.to_string(),
                message,
                span: None,
            }),
        }
    }

    fn put(&mut self, path: &ParamPath, value: &Value) -> Result<Place, String> {
        let Resolved {
            target,
            place,
            section,
        } = resolve(&mut self.spec, &self.given, path)?;
        let node = match target {
            Target::Inside(i, from) => {
                let g = &mut self.given[i];
                return set_inside(
                    &mut g.value,
                    &path.steps()[from..],
                    place,
                    path.as_str(),
                    value.clone(),
                );
            }
            Target::Node(node) => Some(node),
            Target::New => None,
        };
        // A value set again, or inside a table set again, replaces the old one.
        self.given.retain(|g| !g.place.within(&place));
        let scalar = !matches!(value, Value::Table(_) | Value::Array(_));
        if !(scalar && node.is_some_and(|n| n.assign(value).is_ok())) {
            self.given.push(Given {
                place: place.clone(),
                section,
                value: value.clone(),
            });
        }
        Ok(place)
    }

    /// The path as written of the last override that landed at `place`.
    fn written(&self, place: &Place) -> Option<String> {
        self.set
            .iter()
            .rev()
            .find(|(p, _)| p == place)
            .map(|(_, w)| w.clone())
    }

    /// The spec with every override applied, and where each landed (as
    /// validation errors spell paths).
    ///
    /// # Errors
    /// Every path that does not resolve; else every key that does not apply
    /// to its section's variant; else the first value that does not read.
    pub(crate) fn finish(mut self) -> Result<(ScenarioSpec, Vec<String>), ScenarioError> {
        if !self.problems.is_empty() {
            return Err(ScenarioError {
                problems: self.problems,
            });
        }
        let sections = SectionGiven::collect(&mut self.spec, &self.given);
        self.refuse(&sections)?;
        let mut faults = Vec::new();
        for g in &self.given {
            // A switched section takes the values given in it when rebuilt.
            let rebuilt = sections
                .iter()
                .any(|s| s.tag.is_some() && is_key_of(&g.place, &s.place));
            if !rebuilt {
                read_given(&mut self.spec, g, &mut faults);
            }
        }
        for s in &sections {
            if let Some(t) = tagged_at(&mut self.spec, &s.place) {
                s.rebuild(t, &mut faults);
            }
        }
        if let Some(f) = Fault::first(&faults) {
            return Err(ScenarioError::from(
                Origin::Override,
                f.shown.clone(),
                plain_words(&f.message),
            ));
        }
        let set = self.set.iter().map(|(p, _)| p.to_string()).collect();
        Ok((self.spec, set))
    }

    /// Refuses keys that do not apply to their section's variant: in values
    /// given whole (which lose them), and next to a section's tag. Keys of
    /// an old variant that no override set go with it.
    fn refuse(&mut self, sections: &[SectionGiven]) -> Result<(), ScenarioError> {
        let mut refused = Vec::new();
        for g in &mut self.given {
            let key = match g.place.0.last() {
                Some(Part::Key(k)) => Some(k.as_str()),
                _ => None,
            };
            refused.extend(strip_inapplicable(&mut g.value, key, &g.place));
        }
        for s in sections {
            if let Some(t) = tagged_at(&mut self.spec, &s.place) {
                refused.extend(s.refusals(t));
            }
        }
        refused.sort_by(|a, b| a.place.cmp(&b.place));
        refused.dedup_by(|a, b| a.place == b.place);
        let mut problems = Vec::new();
        for r in refused {
            let (origin, path) = match (self.written(&r.place), self.written(&r.tag)) {
                (Some(w), _) => (Origin::Override, w),
                (None, Some(_)) => continue,
                (None, None) => (Origin::File, r.place.to_string()),
            };
            problems.push(Problem {
                origin,
                path,
                message: r.message,
                span: None,
            });
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(ScenarioError { problems }),
        }
    }
}

/// Whether `place` is a key directly in `parent`.
fn is_key_of(place: &Place, parent: &Place) -> bool {
    place.0.len() == parent.0.len() + 1 && place.within(parent)
}

/// Reads a value kept as given into the spec: into the key it names, or as
/// a new key of a map; a key a section does not have is a fault.
fn read_given(spec: &mut ScenarioSpec, g: &Given, faults: &mut Vec<Fault>) {
    let Some((last, parents)) = g.place.0.split_last() else {
        return;
    };
    let Some(parent) = node_at(spec, parents) else {
        return;
    };
    let result = match (last, parent.open()) {
        (Part::Key(k), Open::Table(t)) => match t.child(k) {
            Some(child) => child.assign(&g.value),
            None => match t.add(k, &g.value) {
                Some(r) => r,
                None => {
                    let declared = t.declared().unwrap_or_default();
                    faults.push(Fault::unknown(&g.place, declared));
                    return;
                }
            },
        },
        (Part::Key(k), Open::Tagged(t)) => match t.field(k) {
            Some(field) => field.assign(&g.value),
            None => return,
        },
        (Part::Index(i), Open::List(l)) if *i < l.len() => l.entry(*i).assign(&g.value),
        _ => return,
    };
    if let Err(e) = result {
        faults.push(Fault::read(&g.place, g.section.as_ref(), e));
    }
}
