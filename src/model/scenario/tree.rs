//! The TOML tree of a scenario file being read (and of a table given whole
//! on the command line): keys that do not apply to their section's variant,
//! and values picked, replaced or dropped by key path so that a file with
//! mistakes can be read on.

use toml::Value;

use super::params::{ParamPath, Place, Step};
use super::spec::TAGGED_SECTIONS;

/// A key in a tagged section (`[handoff]`, `dwell`, `deal_value`,
/// `arrivals`) that the chosen variant does not take.
#[derive(Clone, Debug)]
pub(crate) struct Inapplicable {
    /// Where the key is (`handoff.threshold`).
    pub place: Place,
    /// Where the section's tag is (`handoff.policy`).
    pub tag: Place,
    /// Why it is refused, naming the variant and the keys that apply.
    pub message: String,
}

/// Removes from `value`, found at `at` under `key`, every key that does not
/// apply to its section's variant, and lists them in the order a reader
/// meets them. Sections with an unknown variant are left to serde, which
/// names the valid variants.
pub(crate) fn strip_inapplicable(value: &mut Value, key: Option<&str>, at: &Place) -> Vec<Inapplicable> {
    let mut out = Vec::new();
    strip(value, key, at, &mut out);
    out
}

fn strip(value: &mut Value, key: Option<&str>, at: &Place, out: &mut Vec<Inapplicable>) {
    match value {
        Value::Table(t) => {
            let section = key.and_then(|k| TAGGED_SECTIONS.iter().find(|s| s.section == k));
            let mut refused = Vec::new();
            if let Some(s) = section
                && let Some(variant) = t.get(s.tag).and_then(Value::as_str)
                && let Some(takes) = s.keys_of(variant)
            {
                for k in t.keys().filter(|k| *k != s.tag && !takes.contains(&k.as_str())) {
                    refused.push(k.clone());
                    out.push(Inapplicable {
                        place: at.key(k),
                        tag: at.key(s.tag),
                        message: s.refusal(variant, k),
                    });
                }
            }
            for (k, x) in t.iter_mut() {
                strip(x, Some(k), &at.key(k), out);
            }
            for k in refused {
                t.remove(&k);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                strip(x, None, &at.index(i), out);
            }
        }
        _ => {}
    }
}

/// The value at a path (`a.b[2].c`), if it is there.
pub(crate) fn get_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let path = ParamPath::parse(path).ok()?;
    let mut cur = root;
    for step in path.steps() {
        cur = match (step, cur) {
            (Step::Key(k), Value::Table(t)) => t.get(k.as_str())?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The value at a path, mutably, if it is there.
fn get_mut<'a>(root: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    let mut cur = root;
    for step in steps {
        cur = match (step, cur) {
            (Step::Key(k), Value::Table(t)) => t.get_mut(k.as_str())?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Replaces the value at a path, if it is there.
pub(crate) fn replace_at(root: &mut Value, path: &str, value: Value) {
    if let Ok(path) = ParamPath::parse(path)
        && let Some(v) = get_mut(root, path.steps())
    {
        *v = value;
    }
}

/// Removes the value at a path, if it is there.
pub(crate) fn remove_at(root: &mut Value, path: &str) {
    let Ok(path) = ParamPath::parse(path) else { return };
    let Some((last, parents)) = path.steps().split_last() else {
        return;
    };
    match (last, get_mut(root, parents)) {
        (Step::Key(k), Some(Value::Table(t))) => {
            t.remove(k.as_str());
        }
        (Step::Index(i), Some(Value::Array(a))) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}
