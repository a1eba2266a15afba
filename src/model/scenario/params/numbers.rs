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

    /// The value times `factor`; a count is rounded, and `None` if that
    /// leaves it unchanged.
    pub fn scaled(self, factor: f64) -> Option<Number> {
        match self {
            Number::Whole(n) => {
                let x = (n as f64 * factor).round() as u64;
                (x != n).then_some(Number::Whole(x))
            }
            Number::Real(x) => Some(Number::Real(x * factor)),
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
