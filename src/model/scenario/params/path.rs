//! Key paths as written (`stages.validating.receptivity`, `stages[2].dwell`)
//! and the places they resolve to in a spec (`stages[5].receptivity`).

use std::fmt;

/// One step of a key path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A key of a table, or the name of an entry of a list of named tables.
    Key(String),
    /// An index into a list.
    Index(usize),
}

/// A parsed key path: keys separated by dots, each optionally followed by
/// `[INDEX]`s. Keys may be entry names (`channels.trade_shows.fit`), so any
/// character but `.`, `[`, `]` and `=` is allowed in them. The text is kept
/// as written, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamPath {
    text: String,
    steps: Vec<Step>,
}

impl ParamPath {
    /// Parses a key path.
    ///
    /// # Errors
    /// A message saying what is malformed and where.
    pub fn parse(path: &str) -> Result<Self, String> {
        let shape = "a key path is KEY.KEY… with optional [INDEX], e.g. stages[2].receptivity";
        let malformed = |what: String| format!("malformed key path '{path}': {what}; {shape}");
        if path.is_empty() {
            return Err("the key path is empty".to_owned());
        }
        let parts: Vec<&str> = path.split('.').collect();
        let mut steps = Vec::new();
        for (n, part) in parts.iter().enumerate() {
            let (key, rest) = part.split_once('[').unwrap_or((part, ""));
            let key = key.trim();
            if key.is_empty() {
                return Err(malformed(if part.is_empty() && n > 0 && n == parts.len() - 1 {
                    "it ends with '.'".to_owned()
                } else if part.is_empty() {
                    "it has an empty key (two dots in a row, or a leading dot)".to_owned()
                } else {
                    format!("it has an index '{part}' with no key before it")
                }));
            }
            if key.contains(']') {
                return Err(malformed("']' without '['".to_owned()));
            }
            steps.push(Step::Key(key.to_owned()));
            if part.contains('[') {
                indices(rest, &mut steps).map_err(malformed)?;
            }
        }
        Ok(Self {
            text: path.to_owned(),
            steps,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

/// The `[INDEX]`s after a key: `rest` is the text after its first `[`.
fn indices(mut rest: &str, steps: &mut Vec<Step>) -> Result<(), String> {
    loop {
        let Some((idx, after)) = rest.split_once(']') else {
            return Err("'[' is never closed".to_owned());
        };
        let i = idx
            .trim()
            .parse::<usize>()
            .map_err(|_| format!("'[{idx}]' is not an index (a whole number ≥ 0)"))?;
        steps.push(Step::Index(i));
        if after.is_empty() {
            return Ok(());
        }
        rest = after
            .strip_prefix('[')
            .ok_or_else(|| format!("unexpected '{after}' after an index"))?;
    }
}

impl fmt::Display for ParamPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One step of a [`Place`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Part {
    /// A key of a table.
    Key(String),
    /// An index into a list.
    Index(usize),
}

/// Where a value sits in a spec, with list entries by index: the spelling
/// of validation errors (`stages[5].receptivity`). Places order as the
/// scenario reader visits them: keys alphabetically, entries in list order.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Place(pub(crate) Vec<Part>);

impl Place {
    /// This place followed by `key`.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Part::Key(key.to_owned()));
        p
    }

    /// This place followed by `[index]`.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Part::Index(index));
        p
    }

    /// Whether `self` is `other` or lies inside it.
    pub(crate) fn within(&self, other: &Place) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.0.iter().enumerate() {
            match part {
                Part::Key(k) if i == 0 => f.write_str(k)?,
                Part::Key(k) => write!(f, ".{k}")?,
                Part::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_keys_and_indices() {
        let p = ParamPath::parse("stages[2][0].x").unwrap();
        assert_eq!(
            p.steps(),
            [
                Step::Key("stages".into()),
                Step::Index(2),
                Step::Index(0),
                Step::Key("x".into())
            ]
        );
        assert_eq!(p.to_string(), "stages[2][0].x");
        let e = ParamPath::parse("outreach.reps.").unwrap_err();
        assert!(e.contains("ends with '.'"), "{e}");
        let e = ParamPath::parse("[0].x").unwrap_err();
        assert!(e.contains("index '[0]' with no key"), "{e}");
    }

    #[test]
    fn places_print_as_validation_spells_them() {
        let p = Place::default().key("stages").index(5).key("receptivity");
        assert_eq!(p.to_string(), "stages[5].receptivity");
        assert!(p.within(&Place::default().key("stages")));
    }
}
