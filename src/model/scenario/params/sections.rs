//! Overrides of tagged sections (`[handoff]` with `policy`, a stage's
//! `dwell`, a segment's `deal_value`, a channel's `arrivals`). An override
//! may name another variant and set the keys it takes, in any order; the
//! section is rebuilt once every override is in. A key set by an override
//! that the chosen variant does not take is refused; keys of the old variant
//! that no override set are dropped with it.

use std::any::Any;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Visitor};
use toml::Value;

use super::faults::Fault;
use super::given::Given;
use super::node::{Node, Open, Tagged, node_at, read};
use super::path::{Part, Place};
use crate::model::scenario::tree::Inapplicable;

/// The values given directly in one tagged section.
#[derive(Clone, Debug)]
pub(crate) struct SectionGiven {
    /// Where the section is.
    pub place: Place,
    /// The variant an override named, as given.
    pub tag: Option<Value>,
    /// Keys given a value kept as given: keys the current variant does not
    /// have, or whole values for its keys.
    pub keys: BTreeMap<String, Value>,
}

/// The tagged section at `place`, if it is one.
pub(crate) fn tagged_at<'a>(root: &'a mut dyn Node, place: &Place) -> Option<&'a mut dyn Tagged> {
    match node_at(root, &place.0)?.open() {
        Open::Tagged(t) => Some(t),
        _ => None,
    }
}

impl SectionGiven {
    /// The values of `given` that sit directly in a tagged section of
    /// `spec`, by section.
    pub(crate) fn collect(spec: &mut dyn Node, given: &[Given]) -> Vec<SectionGiven> {
        let mut out: Vec<SectionGiven> = Vec::new();
        for g in given {
            let Some((Part::Key(key), parent)) = g.place.0.split_last() else {
                continue;
            };
            let parent = Place(parent.to_vec());
            let Some(tag) = tagged_at(spec, &parent).map(|t| t.section().tag) else {
                continue;
            };
            let i = match out.iter().position(|s| s.place == parent) {
                Some(i) => i,
                None => {
                    out.push(SectionGiven {
                        place: parent,
                        tag: None,
                        keys: BTreeMap::new(),
                    });
                    out.len() - 1
                }
            };
            if key == tag {
                out[i].tag = Some(g.value.clone());
            } else {
                out[i].keys.insert(key.clone(), g.value.clone());
            }
        }
        out
    }

    /// Keys of the section that the chosen variant does not take. A tag
    /// that is not text is left to [`SectionGiven::rebuild`], which reports it.
    pub(crate) fn refusals(&self, section: &mut dyn Tagged) -> Vec<Inapplicable> {
        let s = section.section();
        let variant = match &self.tag {
            None => section.variant(),
            Some(Value::String(v)) => v.as_str(),
            Some(_) => return Vec::new(),
        };
        let Some(takes) = s.keys_of(variant) else {
            return Vec::new();
        };
        let mut keys: Vec<&str> = section.keys();
        keys.extend(self.keys.keys().map(String::as_str));
        keys.into_iter()
            .filter(|k| *k != s.tag && !takes.contains(k))
            .map(|k| Inapplicable {
                place: self.place.key(k),
                tag: self.place.key(s.tag),
                message: s.refusal(variant, k),
            })
            .collect()
    }

    /// Makes the section the variant its given tag names, once refused keys
    /// have been reported. Values that do not read, a missing key and a tag
    /// that names no variant become faults.
    pub(crate) fn rebuild(&self, section: &mut dyn Tagged, faults: &mut Vec<Fault>) {
        let Some(tag) = &self.tag else { return };
        let s = section.section();
        let variant = match read::<VariantName>(tag) {
            Ok(VariantName(v)) => v,
            Err(e) => {
                faults.push(Fault::tag(&self.place, s.tag, e.message));
                return;
            }
        };
        let mut parts = Parts {
            extra: &self.keys,
            place: &self.place,
            faults,
        };
        if !section.rebuild(&variant, &mut parts) {
            let names: Vec<String> = s.variants.iter().map(|(v, _)| format!("`{v}`")).collect();
            let message = format!(
                "unknown variant `{variant}`, expected one of {}",
                names.join(", ")
            );
            faults.push(Fault::tag(&self.place, s.tag, message));
            return;
        }
        // The old variant's keys went with it, and so did what was wrong with them.
        let takes = s.keys_of(&variant).unwrap_or_default();
        let depth = self.place.0.len();
        faults.retain(|f| match f.place.0.get(depth) {
            Some(Part::Key(k)) if f.place.within(&self.place) => takes.contains(&k.as_str()),
            _ => true,
        });
    }
}

/// The keys of a variant being built: given by an override, kept from the
/// old variant, or defaulted.
pub(crate) struct Parts<'a> {
    extra: &'a BTreeMap<String, Value>,
    place: &'a Place,
    faults: &'a mut Vec<Fault>,
}

impl Parts<'_> {
    /// The value of `key`: the one an override gave, else the old
    /// variant's, else `default`. Without any, a fault, and a stand-in.
    pub(crate) fn take<T>(&mut self, old: &mut dyn Tagged, key: &str, default: Option<T>) -> T
    where
        T: DeserializeOwned + Clone + Default + 'static,
    {
        if let Some(v) = self.extra.get(key) {
            return read(v).unwrap_or_else(|e| {
                self.faults
                    .push(Fault::read(&self.place.key(key), Some(self.place), e));
                T::default()
            });
        }
        let kept = old
            .field(key)
            .and_then(|n| (n as &mut dyn Any).downcast_mut::<T>());
        if let Some(v) = kept {
            return v.clone();
        }
        default.unwrap_or_else(|| {
            self.faults.push(Fault::missing(self.place, key));
            T::default()
        })
    }
}

/// A tag read as the name of a variant: anything but text is refused in
/// the reader's words.
struct VariantName(String);

impl<'de> Deserialize<'de> for VariantName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = VariantName;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("variant identifier")
            }
            fn visit_str<E>(self, v: &str) -> Result<VariantName, E> {
                Ok(VariantName(v.to_owned()))
            }
        }
        d.deserialize_identifier(Name)
    }
}
