//! Resolving a key path against a spec: each step into a section by key,
//! into a list by index or entry name, into a tagged section by one of its
//! keys — or into a value kept as given, where the rest of the path leads.

use super::given::Given;
use super::node::{List, Node, Open, Table, entry_name};
use super::path::{ParamPath, Part, Place, Step};
use crate::model::scenario::error::closest;
use crate::model::scenario::spec::TAGGED_SECTIONS;

/// What a key path names.
pub(crate) enum Target<'a> {
    /// A value of the spec.
    Node(&'a mut dyn Node),
    /// A key the spec has no value at: a tagged section's tag, a key the
    /// section's variant does not have, or an optional key added to a table.
    New,
    /// A place inside the value kept as given at index `.0`; the path from
    /// step `.1` on leads there.
    Inside(usize, usize),
}

/// A resolved key path.
pub(crate) struct Resolved<'a> {
    /// What it names.
    pub target: Target<'a>,
    /// Where, with list entries by index.
    pub place: Place,
    /// The outermost tagged section on the way, if any.
    pub section: Option<Place>,
}

/// Keys a spec leaves out when they have no value; an override may add
/// them (at the end of a path).
pub(super) fn is_optional(path: &str) -> bool {
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

pub(super) fn cannot_step(step: &Step) -> String {
    format!("cannot step into {step:?}: the value there is not a table or list")
}

pub(super) fn unknown_key<'k>(key: &str, keys: impl Iterator<Item = &'k str>) -> String {
    format!(
        "unknown key '{key}'; closest valid keys: {}",
        closest(key, keys).join(", ")
    )
}

pub(super) fn no_entry<'k>(key: &str, names: impl Iterator<Item = &'k str>) -> String {
    format!(
        "no entry named '{key}'; did you mean {}?",
        closest(key, names).join(", ")
    )
}

/// Whether a map has a key named like a tagged section's tag (a stage
/// named `process`): like any table with a tag, it may gain keys at the end
/// of a path.
fn holds_a_tag(table: &mut dyn Table) -> bool {
    table.declared().is_none() && TAGGED_SECTIONS.iter().any(|s| table.keys().contains(&s.tag))
}

/// The index of the entry named `key` in the list at `at`. An entry, or
/// its name, kept as given is named as given.
fn by_name(list: &mut dyn List, at: &Place, given: &[Given], key: &str) -> Result<usize, String> {
    let given_at = |p: &Place| given.iter().find(|g| g.place == *p).map(|g| &g.value);
    let names: Vec<Option<String>> = (0..list.len())
        .map(|i| {
            let entry = at.index(i);
            if let Some(v) = given_at(&entry) {
                v.get("name").and_then(toml::Value::as_str).map(str::to_owned)
            } else if let Some(v) = given_at(&entry.key("name")) {
                v.as_str().map(str::to_owned)
            } else {
                entry_name(list.entry(i))
            }
        })
        .collect();
    names
        .iter()
        .position(|n| n.as_deref() == Some(key))
        .ok_or_else(|| no_entry(key, names.iter().flatten().map(String::as_str)))
}

/// Walks `path` from `node`, the spec, in which the values `given` are kept.
///
/// # Errors
/// A message saying which step does not resolve and, for an unknown key or
/// entry, the closest valid ones.
pub(crate) fn resolve<'a>(
    mut node: &'a mut dyn Node,
    given: &[Given],
    path: &ParamPath,
) -> Result<Resolved<'a>, String> {
    let steps = path.steps();
    let mut place = Place::default();
    let mut section: Option<Place> = None;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let at = place.clone();
        let mut opened = node.open();
        place = match (step, &mut opened) {
            (Step::Key(key), Open::List(list)) => at.index(by_name(&mut **list, &at, given, key)?),
            (Step::Key(key), _) => at.key(key),
            (Step::Index(k), _) => at.index(*k),
        };
        if matches!(opened, Open::Tagged(_)) {
            section.get_or_insert_with(|| at.clone());
        }
        if let Some(g) = given.iter().position(|g| g.place == place) {
            return found(Target::Inside(g, i + 1), place, section);
        }
        node = match (step, opened) {
            (_, Open::List(list)) => {
                let Some(&Part::Index(k)) = place.0.last() else {
                    unreachable!("a list entry's place ends with its index")
                };
                let n = list.len();
                if k >= n {
                    return Err(format!("index {k} is out of range (the list has {n} entries)"));
                }
                list.entry(k)
            }
            (Step::Key(key), Open::Table(table)) => {
                if table.keys().contains(&key.as_str()) {
                    table.child(key).expect("a key of the table")
                } else if last && (is_optional(path.as_str()) || holds_a_tag(&mut *table)) {
                    let target = table.child(key).map_or(Target::New, Target::Node);
                    return found(target, place, section);
                } else {
                    return Err(unknown_key(key, with_given(table.keys(), given, &at)));
                }
            }
            (Step::Key(key), Open::Tagged(tagged)) => match tagged.field(key).map(|c| c.present()) {
                // A key of the variant without a value yet may be given one.
                Some(present) if present || last => tagged.field(key).expect("a key of the variant"),
                _ if last => return found(Target::New, place, section),
                _ if *key == tagged.section().tag => return Err(cannot_step(&steps[i + 1])),
                _ => return Err(unknown_key(key, with_given(tagged.keys(), given, &at))),
            },
            (step, _) => return Err(cannot_step(step)),
        };
    }
    found(Target::Node(node), place, section)
}

fn found(target: Target<'_>, place: Place, section: Option<Place>) -> Result<Resolved<'_>, String> {
    Ok(Resolved {
        target,
        place,
        section,
    })
}

/// `keys` of the table at `at` and the keys given a value kept as given.
fn with_given<'k>(mut keys: Vec<&'k str>, given: &'k [Given], at: &Place) -> impl Iterator<Item = &'k str> {
    keys.extend(given.iter().filter_map(|g| key_under(&g.place, at)));
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
}

/// The key of `place` if it is a key directly under `parent`.
pub(crate) fn key_under<'p>(place: &'p Place, parent: &Place) -> Option<&'p str> {
    match place.0.split_last() {
        Some((Part::Key(k), rest)) if rest == parent.0.as_slice() => Some(k),
        _ => None,
    }
}
