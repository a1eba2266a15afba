//! Scenario errors: every problem names its key path and, where the file has
//! one, the line and column.

use std::fmt;
use std::ops::Range;

/// Where the key path of a problem was given. The core does not know the
/// command line: a front end words these (`--set`, `--vary`, …).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// The scenario file, or the defaults it leaves in place.
    #[default]
    File,
    /// An override of one parameter, applied on top of the file.
    Override,
    /// A parameter varied over a grid.
    Sweep,
    /// A parameter chosen for one-at-a-time sensitivity.
    Sensitivity,
    /// The metric a study measures (the path is empty).
    Metric,
}

impl Origin {
    /// Neutral words for the origin, for [`Display`](fmt::Display).
    fn words(self) -> Option<&'static str> {
        match self {
            Origin::File => None,
            Origin::Override => Some("override"),
            Origin::Sweep => Some("varied"),
            Origin::Sensitivity => Some("parameter"),
            Origin::Metric => Some("metric"),
        }
    }
}

/// One thing wrong with a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where `path` was given.
    pub origin: Origin,
    /// Key path, e.g. `channels[2].fit` (empty for file-level problems).
    pub path: String,
    /// What is wrong and, where obvious, how to fix it.
    pub message: String,
    /// Byte range in the source text, when known.
    pub span: Option<Range<usize>>,
}

/// Everything wrong with a scenario (validation reports all problems at once).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The problems, in file order where known.
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    pub(crate) fn single(
        path: impl Into<String>,
        message: impl Into<String>,
        span: Option<Range<usize>>,
    ) -> Self {
        let mut e = Self::from(Origin::File, path, message);
        e.problems[0].span = span;
        e
    }

    /// One problem with a key path given outside the file.
    pub(crate) fn from(origin: Origin, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![Problem {
                origin,
                path: path.into(),
                message: message.into(),
                span: None,
            }],
        }
    }

    /// Renders the problems as `origin:line:column: path: message` lines,
    /// resolving spans against `source` (the text the scenario was read from;
    /// an empty `origin` is left out). `words` names each [`Origin`] as the
    /// front end lets users give it (e.g. `--set`), in front of the path.
    /// Lines after the first start with `error: `, so that every line the
    /// command prints (it prefixes the first) reads as an error of its own.
    pub fn render(
        &self,
        origin: &str,
        source: &str,
        words: impl Fn(Origin) -> Option<&'static str>,
    ) -> String {
        let mut out = String::new();
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                out.push_str("\nerror: ");
            }
            out.push_str(origin);
            if let Some(span) = &p.span {
                let (line, col) = line_col(source, span.start);
                out.push_str(&format!(":{line}:{col}"));
            }
            if !origin.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&labelled(words(p.origin), &p.path));
            out.push_str(&p.message);
        }
        out
    }
}

/// One problem a line; lines after the first start with `error: ` (see
/// [`ScenarioError::render`]).
impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                write!(f, "\nerror: ")?;
            }
            write!(f, "{}{}", labelled(p.origin.words(), &p.path), p.message)?;
        }
        Ok(())
    }
}

/// `"WORDS PATH: "`, `"WORDS: "`, `"PATH: "` or nothing.
fn labelled(words: Option<&str>, path: &str) -> String {
    match (words, path.is_empty()) {
        (Some(w), false) => format!("{w} {path}: "),
        (Some(w), true) => format!("{w}: "),
        (None, false) => format!("{path}: "),
        (None, true) => String::new(),
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

/// Up to three candidates closest to `wanted` (Jaro–Winkler similarity),
/// closest first.
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates.map(|c| (strsim::jaro_winkler(wanted, c), c)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// Rewrites serde's messages in the user's words, in one place for files,
/// `--set` and `--vary`: `invalid type: string "six", expected u32` becomes
/// `expected a whole number ≥ 0, got six`. Other messages pass unchanged.
pub fn plain_words(message: &str) -> String {
    let message = message.trim();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.rsplit_once(", expected ")
        {
            return format!("expected {}, got {}", expected_words(expected), got_words(got));
        }
    }
    for (prefix, what) in [("unknown field ", "key"), ("unknown variant ", "value")] {
        if let Some(rest) = message.strip_prefix(prefix) {
            return unknown_name(rest, what);
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("missing required key {rest}");
    }
    message.to_owned()
}

/// `` `x`, expected one of `a`, `b` `` → `` unknown key `x`; did you mean
/// `a`? (valid: a, b) ``.
fn unknown_name(rest: &str, what: &str) -> String {
    let mut names = rest.split('`').skip(1).step_by(2);
    let Some(wanted) = names.next() else {
        return format!("unknown {what} {rest}");
    };
    let valid: Vec<&str> = names.collect();
    if valid.is_empty() {
        return format!("unknown {what} `{wanted}`; this table takes no keys");
    }
    let best = valid
        .iter()
        .map(|v| (strsim::jaro_winkler(wanted, v), *v))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match (replaced_by(wanted), best) {
        (Some(note), _) => format!("{note}; "),
        (None, Some((score, v))) if score >= 0.8 => format!("did you mean `{v}`? "),
        _ => String::new(),
    };
    format!(
        "unknown {what} `{wanted}`; {hint}valid {what}s: {}",
        valid.join(", ")
    )
}

/// What replaced a key that older scenario files may still carry.
fn replaced_by(key: &str) -> Option<&'static str> {
    match key {
        "cold_after_days" => Some(
            "speed to lead now applies to hand-raisers only: use `hand_raiser_cooling_hours` and `hand_raiser_stale_interest` (see scenarios/README.md)",
        ),
        _ => None,
    }
}

/// What serde expected, in plain words.
fn expected_words(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number ≥ 0".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a boolean" => "true or false".to_owned(),
        "a string" => "text".to_owned(),
        "a sequence" => "a list".to_owned(),
        "a map" => "a table".to_owned(),
        e if e.starts_with("struct ") || e.starts_with("internally tagged enum") => "a table".to_owned(),
        e if e.starts_with("a map") => "a table".to_owned(),
        e => e.to_owned(),
    }
}

/// The value serde got, as the user typed it.
fn got_words(got: &str) -> String {
    let strip = |s: &str| s.trim_matches('`').to_owned();
    if let Some(s) = got.strip_prefix("string ") {
        return s.trim_matches('"').to_owned();
    }
    for kind in ["integer ", "floating point ", "boolean ", "unsigned integer "] {
        if let Some(s) = got.strip_prefix(kind) {
            return strip(s);
        }
    }
    match got {
        "sequence" => "a list".to_owned(),
        "map" => "a table".to_owned(),
        g => g.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_become_plain_words() {
        assert_eq!(
            plain_words("invalid type: string \"six\", expected u32"),
            "expected a whole number ≥ 0, got six"
        );
        assert_eq!(
            plain_words("invalid value: integer `-1`, expected u32"),
            "expected a whole number ≥ 0, got -1"
        );
        assert_eq!(
            plain_words("invalid type: boolean `true`, expected f64"),
            "expected a number, got true"
        );
        assert_eq!(
            plain_words("invalid type: sequence, expected a string"),
            "expected text, got a list"
        );
        assert_eq!(plain_words("missing field `fit`"), "missing required key `fit`");
        assert_eq!(plain_words("something else"), "something else");
        assert_eq!(
            plain_words("unknown field `replicatons`, expected one of `seed`, `replications`"),
            "unknown key `replicatons`; did you mean `replications`? valid keys: seed, replications"
        );
        assert!(
            plain_words("unknown field `cold_after_days`, expected one of `reps`")
                .starts_with("unknown key `cold_after_days`; speed to lead now applies to hand-raisers only")
        );
    }
}
