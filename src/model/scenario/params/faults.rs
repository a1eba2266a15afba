//! Values that do not read as their key's type. Like the scenario file
//! reader, which stops at the first mistake, overrides report one: the first
//! in the order the reader meets keys (alphabetically within a table, list
//! entries in order). Inside a tagged section the reader names the section,
//! not the key.

use super::node::ReadError;
use super::path::{Part, Place};

/// A position in the order the reader meets keys: a tagged section checks
/// its tag before its keys, and a missing key is noticed after every key
/// that is there.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Visit {
    /// Before every key of the table.
    First,
    /// At a key or list entry.
    At(Part),
    /// After every key of the table.
    Last,
}

/// A value that does not read.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    /// Where the value was set: setting it, or a table around it, again
    /// replaces the fault.
    pub place: Place,
    /// When the reader meets it.
    pub order: Vec<Visit>,
    /// The key path the problem names.
    pub shown: String,
    /// What the reader says (serde's words; the caller rewords them).
    pub message: String,
}

fn visits(place: &Place, inner: &[Part]) -> Vec<Visit> {
    place.0.iter().chain(inner).cloned().map(Visit::At).collect()
}

impl Fault {
    /// `value` set at `place` did not read; `section` is the outermost
    /// tagged section around `place`, if any.
    pub(crate) fn read(place: &Place, section: Option<&Place>, e: ReadError) -> Self {
        let inner = Place(place.0.iter().chain(&e.at).cloned().collect());
        Self {
            place: place.clone(),
            order: visits(place, &e.at),
            shown: section.unwrap_or(&inner).to_string(),
            message: e.message,
        }
    }

    /// A problem with a tagged section's tag, which the reader checks first.
    pub(crate) fn tag(section: &Place, tag: &str, message: String) -> Self {
        let mut order = visits(section, &[]);
        order.push(Visit::First);
        Self {
            place: section.key(tag),
            order,
            shown: section.key(tag).to_string(),
            message,
        }
    }

    /// A key `section` requires that nothing gives.
    pub(crate) fn missing(section: &Place, key: &str) -> Self {
        let mut order = visits(section, &[]);
        order.push(Visit::Last);
        Self {
            place: section.clone(),
            order,
            shown: section.to_string(),
            message: format!("missing field `{key}`"),
        }
    }

    /// A key a section does not have, added where an optional key could be.
    pub(crate) fn unknown(place: &Place, declared: &[&str]) -> Self {
        let key = match place.0.last() {
            Some(Part::Key(k)) => k.as_str(),
            _ => "",
        };
        let expected: Vec<String> = declared.iter().map(|k| format!("`{k}`")).collect();
        Self {
            place: place.clone(),
            order: visits(place, &[]),
            shown: place.to_string(),
            message: format!("unknown field `{key}`, expected one of {}", expected.join(", ")),
        }
    }

    /// The fault the reader would report: the first it meets.
    pub(crate) fn first(faults: &[Fault]) -> Option<&Fault> {
        faults.iter().min_by(|a, b| a.order.cmp(&b.order))
    }
}
