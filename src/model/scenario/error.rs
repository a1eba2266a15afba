//! Scenario errors: every problem names its key path and, where the file has
//! one, the line and column.

use std::fmt;
use std::ops::Range;

/// One thing wrong with a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
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
        Self {
            problems: vec![Problem {
                path: path.into(),
                message: message.into(),
                span,
            }],
        }
    }

    /// Renders the problems as `origin:line:column: path: message` lines,
    /// resolving spans against `source` (the text the scenario was read from).
    pub fn render(&self, origin: &str, source: &str) -> String {
        let mut out = String::new();
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(origin);
            if let Some(span) = &p.span {
                let (line, col) = line_col(source, span.start);
                out.push_str(&format!(":{line}:{col}"));
            }
            out.push_str(": ");
            if !p.path.is_empty() {
                out.push_str(&p.path);
                out.push_str(": ");
            }
            out.push_str(&p.message);
        }
        out
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if p.path.is_empty() {
                write!(f, "{}", p.message)?;
            } else {
                write!(f, "{}: {}", p.path, p.message)?;
            }
        }
        Ok(())
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
