//! The numeric parameters of a spec, read from the same description that
//! overrides walk: what one-at-a-time sensitivity perturbs.

use toml::Value;

use super::node::{Node, Open, entry_name};
use crate::model::scenario::spec::ScenarioSpec;

/// The value of a numeric parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A count (reps, touches).
    Whole(u64),
    /// Any other number.
    Real(f64),
}

impl Number {
    /// The value as a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Whole(n) => n as f64,
            Number::Real(x) => x,
        }
    }

    /// The values one step below and above this one, `delta` of its size
    /// either way (0.1 = ±10%), so that low < value < high whatever its
    /// sign. A count moves by the nearest whole step, at least 1, and has no
    /// value below 0; a real number 0 has no relative step (`(None, None)`).
    pub fn steps(self, delta: f64) -> (Option<Number>, Option<Number>) {
        match self {
            Number::Whole(n) => {
                let step = ((n as f64 * delta).round() as u64).max(1);
                (
                    n.checked_sub(step).map(Number::Whole),
                    n.checked_add(step).map(Number::Whole),
                )
            }
            Number::Real(0.0) => (None, None),
            Number::Real(x) => {
                let step = x.abs() * delta;
                (Some(Number::Real(x - step)), Some(Number::Real(x + step)))
            }
        }
    }

    /// The value as an override gives it.
    pub fn to_value(self) -> Value {
        match self {
            Number::Whole(n) => Value::Integer(i64::try_from(n).unwrap_or(i64::MAX)),
            Number::Real(x) => Value::Float(x),
        }
    }
}

/// Every number in `spec`, as `(path, value)`: keys in alphabetical order,
/// entries of lists of named tables addressed by name
/// (`stages.validating.receptivity`), other list entries by index.
pub fn numbers(spec: &ScenarioSpec) -> Vec<(String, Number)> {
    let mut out = Vec::new();
    collect(&mut spec.clone(), String::new(), &mut out);
    out
}

fn collect(node: &mut dyn Node, path: String, out: &mut Vec<(String, Number)>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match node.open() {
        Open::Leaf(Some(n)) => out.push((path, n)),
        Open::Leaf(None) => {}
        Open::Table(t) => {
            let mut keys: Vec<String> = t.keys().into_iter().map(str::to_owned).collect();
            keys.sort();
            for k in keys {
                if let Some(child) = t.child(&k) {
                    collect(child, join(&k), out);
                }
            }
        }
        Open::Tagged(t) => {
            let mut keys = t.keys();
            keys.sort();
            for k in keys {
                if let Some(field) = t.field(k) {
                    collect(field, join(k), out);
                }
            }
        }
        Open::List(l) => {
            for i in 0..l.len() {
                let key = match entry_name(l.entry(i)) {
                    Some(name) => join(&name),
                    None => format!("{path}[{i}]"),
                };
                collect(l.entry(i), key, out);
            }
        }
    }
}
