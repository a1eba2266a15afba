//! The typed description of a spec's structure: every part of a
//! [`ScenarioSpec`](crate::model::scenario::spec::ScenarioSpec) that a key
//! path can reach is a [`Node`] — a table of keys, a list, a section whose
//! keys depend on a tag, or a leaf value. Overrides walk and set nodes;
//! sensitivity reads their numbers.

use std::any::Any;
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use toml::Value;

use super::numbers::Number;
use super::path::Part;
use super::sections::Parts;
use crate::model::scenario::spec::{ApproachKind, ChannelKind, TaggedSection, Unknown};

/// A value that could not be read as its key's type, with serde's message
/// and where inside the value (empty for the value itself).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ReadError {
    /// Path inside the value.
    pub at: Vec<Part>,
    /// What serde said.
    pub message: String,
}

/// Reads one value as a `T`, exactly as the scenario file reader would.
pub(crate) fn read<T: DeserializeOwned>(value: &Value) -> Result<T, ReadError> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let at = e
            .path()
            .iter()
            .map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Part::Index(*index),
                other => Part::Key(other.to_string()),
            })
            .collect();
        ReadError {
            at,
            message: e.into_inner().message().trim().to_owned(),
        }
    })
}

/// A part of a spec that key paths reach.
pub(crate) trait Node: Any {
    /// What the node is, to step into it or read it.
    fn open(&mut self) -> Open<'_>;
    /// Replaces the value by `value` read as this node's type.
    fn assign(&mut self, value: &Value) -> Result<(), ReadError>;
    /// Whether the key holding this node is written out: an optional key
    /// without a value is not.
    fn present(&self) -> bool {
        true
    }
}

/// A [`Node`] opened for a step or a read.
pub(crate) enum Open<'a> {
    /// A number (for sensitivity), text, flag or word.
    Leaf(Option<Number>),
    /// A section, a list entry or a map: named keys.
    Table(&'a mut dyn Table),
    /// A list.
    List(&'a mut dyn List),
    /// A section whose keys depend on a tag (`[handoff]` with `policy`).
    Tagged(&'a mut dyn Tagged),
}

/// Named keys.
pub(crate) trait Table {
    /// Keys that are written out (a section's keys with a value, a map's keys).
    fn keys(&mut self) -> Vec<&str>;
    /// Every key of a section, in declaration order; `None` for a map,
    /// whose keys are free.
    fn declared(&self) -> Option<&'static [&'static str]>;
    /// The node at `key`, written out or not.
    fn child(&mut self, key: &str) -> Option<&mut dyn Node>;
    /// Adds `key` with `value` to a map; `None` for a section.
    fn add(&mut self, key: &str, value: &Value) -> Option<Result<(), ReadError>>;
    /// The keys serde reads for a section, in its order (for tests of the
    /// description); `None` for a map.
    #[cfg(test)]
    fn serde_keys(&self) -> Option<&'static [&'static str]>;
}

/// A list.
pub(crate) trait List {
    /// Number of entries.
    fn len(&self) -> usize;
    /// Entry `i` (< [`List::len`]).
    fn entry(&mut self, i: usize) -> &mut dyn Node;
}

/// A section whose keys depend on the variant its tag names.
pub(crate) trait Tagged {
    /// The tag and the keys of each variant.
    fn section(&self) -> &'static TaggedSection;
    /// The current variant's name.
    fn variant(&self) -> &'static str;
    /// A key of the current variant.
    fn field(&mut self, key: &str) -> Option<&mut dyn Node>;
    /// Becomes `variant`, its keys taken from `parts`; false if there is
    /// no such variant.
    fn rebuild(&mut self, variant: &str, parts: &mut Parts<'_>) -> bool;
}

impl dyn Tagged + '_ {
    /// The keys written out: the tag, then the variant's keys with a value.
    pub(crate) fn keys(&mut self) -> Vec<&'static str> {
        let section = self.section();
        let mut keys = vec![section.tag];
        for k in section.keys_of(self.variant()).unwrap_or_default() {
            if self.field(k).is_some_and(|n| n.present()) {
                keys.push(k);
            }
        }
        keys
    }
}

/// Replaces `slot` by `value` read as its type.
pub(crate) fn assign<T: DeserializeOwned>(slot: &mut T, value: &Value) -> Result<(), ReadError> {
    *slot = read(value)?;
    Ok(())
}

/// Leaf types, with the number each one is for sensitivity.
macro_rules! leaves {
    ($($ty:ty => $number:expr),* $(,)?) => {$(
        impl Node for $ty {
            fn open(&mut self) -> Open<'_> {
                let number: fn(&$ty) -> Option<Number> = $number;
                Open::Leaf(number(self))
            }
            fn assign(&mut self, value: &Value) -> Result<(), ReadError> {
                assign(self, value)
            }
        }
    )*};
}

leaves! {
    f64 => |x| Some(Number::Real(*x)),
    u32 => |x| Some(Number::Whole(u64::from(*x))),
    u64 => |x| Some(Number::Whole(*x)),
    bool => |_| None,
    String => |_| None,
    ApproachKind => |_| None,
    ChannelKind => |_| None,
    Unknown => |_| None,
}

/// An optional key: written out only with a value.
impl<T: Node + DeserializeOwned> Node for Option<T> {
    fn open(&mut self) -> Open<'_> {
        match self {
            Some(v) => v.open(),
            None => Open::Leaf(None),
        }
    }
    fn assign(&mut self, value: &Value) -> Result<(), ReadError> {
        assign(self, value)
    }
    fn present(&self) -> bool {
        self.is_some()
    }
}

impl<T: Node + DeserializeOwned> Node for Vec<T> {
    fn open(&mut self) -> Open<'_> {
        Open::List(self)
    }
    fn assign(&mut self, value: &Value) -> Result<(), ReadError> {
        assign(self, value)
    }
}

impl<T: Node> List for Vec<T> {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn entry(&mut self, i: usize) -> &mut dyn Node {
        &mut self[i]
    }
}

/// A map from names to values (a mix, approaches by segment).
impl<T: Node + DeserializeOwned> Node for BTreeMap<String, T> {
    fn open(&mut self) -> Open<'_> {
        Open::Table(self)
    }
    fn assign(&mut self, value: &Value) -> Result<(), ReadError> {
        assign(self, value)
    }
}

impl<T: Node + DeserializeOwned> Table for BTreeMap<String, T> {
    fn keys(&mut self) -> Vec<&str> {
        BTreeMap::keys(self).map(String::as_str).collect()
    }
    fn declared(&self) -> Option<&'static [&'static str]> {
        None
    }
    fn child(&mut self, key: &str) -> Option<&mut dyn Node> {
        self.get_mut(key).map(|v| v as &mut dyn Node)
    }
    fn add(&mut self, key: &str, value: &Value) -> Option<Result<(), ReadError>> {
        Some(read(value).map(|v| {
            self.insert(key.to_owned(), v);
        }))
    }
    #[cfg(test)]
    fn serde_keys(&self) -> Option<&'static [&'static str]> {
        None
    }
}

/// The `name` of a list entry, if it is a table with one.
pub(crate) fn entry_name(node: &mut dyn Node) -> Option<String> {
    match node.open() {
        Open::Table(t) => {
            let name = t.child("name")?;
            (name as &mut dyn Any).downcast_mut::<String>().cloned()
        }
        _ => None,
    }
}

/// The node at `parts` under `root`, if the spec has one there.
pub(crate) fn node_at<'a>(mut node: &'a mut dyn Node, parts: &[Part]) -> Option<&'a mut dyn Node> {
    for part in parts {
        node = match (part, node.open()) {
            (Part::Key(k), Open::Table(t)) => t.child(k)?,
            (Part::Key(k), Open::Tagged(t)) => t.field(k)?,
            (Part::Index(i), Open::List(l)) if *i < l.len() => l.entry(*i),
            _ => return None,
        };
    }
    Some(node)
}
