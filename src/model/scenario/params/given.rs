//! Values given on the command line that are not set on the spec at once:
//! a table or list given whole, a value that does not read as its key's
//! type, a tagged section's tag, a key the section's variant does not have
//! or a key added to a table. Each is kept as given until every override is
//! in, then read as its key's type, as the file reader would; a later path
//! into it is resolved in it.

use toml::Value;

use super::path::{Place, Step};
use super::resolve::{cannot_step, is_optional, no_entry, unknown_key};
use crate::model::scenario::spec::TAGGED_SECTIONS;

/// A value kept as given.
#[derive(Clone, Debug)]
pub(crate) struct Given {
    /// Where it goes.
    pub place: Place,
    /// The outermost tagged section around it, if any.
    pub section: Option<Place>,
    /// The value.
    pub value: Value,
}

/// Sets `value` at `steps` inside `root`, which is at `place`; `path` is the
/// whole key path as written. Returns the place set.
///
/// # Errors
/// A message saying which step does not resolve.
pub(crate) fn set_inside(
    root: &mut Value,
    steps: &[Step],
    mut place: Place,
    path: &str,
    value: Value,
) -> Result<Place, String> {
    let mut cur = root;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        cur = match (step, cur) {
            (Step::Index(k), Value::Array(a)) => {
                place = place.index(*k);
                let n = a.len();
                a.get_mut(*k)
                    .ok_or_else(|| format!("index {k} is out of range (the list has {n} entries)"))?
            }
            (Step::Key(key), Value::Array(a)) => {
                let name = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned);
                let names: Vec<Option<String>> = a.iter().map(name).collect();
                let k = names
                    .iter()
                    .position(|n| n.as_deref() == Some(key.as_str()))
                    .ok_or_else(|| no_entry(key, names.iter().flatten().map(String::as_str)))?;
                place = place.index(k);
                &mut a[k]
            }
            (Step::Key(key), Value::Table(t)) => {
                place = place.key(key);
                if !t.contains_key(key.as_str()) {
                    // A table with a tag may gain the keys of its variants.
                    let tagged = TAGGED_SECTIONS.iter().any(|s| t.contains_key(s.tag));
                    if !(last && (tagged || is_optional(path))) {
                        return Err(unknown_key(key, t.keys().map(String::as_str)));
                    }
                    t.insert(key.clone(), Value::Boolean(false));
                }
                t.get_mut(key.as_str()).expect("present or just inserted")
            }
            (step, _) => return Err(cannot_step(step)),
        };
    }
    *cur = value;
    Ok(place)
}
