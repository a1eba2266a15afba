//! Text for a terminal or a room: how wide it may be and whether names are
//! plain words ([`Style`]), tables that give up their least important
//! columns rather than overflow ([`Table`]) and prose wrapped to the width
//! ([`wrap`]). Widths count characters, not bytes ("–", "…", "·", "█").

use std::fmt::Write as _;

use crate::sim::metrics::Metric;

/// The width text is laid out for when it goes to a file or a pipe.
pub const DEFAULT_WIDTH: usize = 80;

/// The narrowest width text is laid out for, whatever the terminal says.
pub const MIN_WIDTH: usize = 40;

/// How text is laid out: its width in columns and whether names are plain
/// words for a room ("lost to a competitor", "close rate") instead of the
/// snake_case names that scenario files, `--set`, `--json` and the tables
/// use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Columns available (at least [`MIN_WIDTH`]).
    pub width: usize,
    /// Plain words instead of snake_case names.
    pub plain: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            width: DEFAULT_WIDTH,
            plain: false,
        }
    }
}

impl Style {
    /// A style of `width` columns (raised to [`MIN_WIDTH`]).
    pub fn new(width: usize, plain: bool) -> Self {
        Style {
            width: width.max(MIN_WIDTH),
            plain,
        }
    }

    /// A snake_case name (a stage, an outcome, a cause) as shown: with
    /// spaces for a room, as it is otherwise.
    pub fn name(&self, snake: &str) -> String {
        if self.plain {
            snake.replace('_', " ")
        } else {
            snake.to_owned()
        }
    }

    /// A value as shown: without the quotes TOML puts around text, and in
    /// plain words for a room (`"insight_led"` → `insight led`).
    pub fn value(&self, v: &str) -> String {
        self.name(v.trim_matches('"'))
    }

    /// A sentence as shown: for a room, every snake_case word in it
    /// ("building_requirements", "buyer_initiated") in plain words. A word
    /// joined to others by `.`, `/`, `-`, `=` or `|` is a key, a path or a
    /// flag the reader may type (`outreach.max_unanswered_touches`,
    /// `--set`, `x=won|no_decision`), and text in single quotes or
    /// backticks is a value to type as shown: both are kept as they are.
    pub fn prose(&self, text: &str) -> String {
        if !self.plain {
            return text.to_owned();
        }
        // `=` and `|` join a flag's value to its neighbours
        // (`--map-outcome 'x=won|lost|no_decision'`): kept whole.
        let part_of_word =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | '=' | '|');
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            // A word ending a sentence keeps its full stop outside the test.
            let body = word.trim_end_matches('.');
            let snake = body.contains('_')
                && !body.contains(['=', '|'])
                && body.split('_').all(|p| {
                    !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                });
            if snake {
                out.push_str(&body.replace('_', " "));
                out.push_str(&word[body.len()..]);
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        let chars: Vec<char> = text.chars().collect();
        // The quote mark of the quoted text being read: an apostrophe
        // inside a word ("scenario's") neither opens nor closes one.
        let mut quoted: Option<char> = None;
        for (i, &c) in chars.iter().enumerate() {
            if part_of_word(c) {
                word.push(c);
                continue;
            }
            if quoted.is_some() {
                out.push_str(&word);
                word.clear();
            } else {
                flush(&mut word, &mut out);
            }
            let alnum = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
            if matches!(c, '\'' | '`') {
                match quoted {
                    Some(q) if q == c && !alnum(Some(i + 1)) => quoted = None,
                    None if !alnum(i.checked_sub(1)) => quoted = Some(c),
                    _ => {}
                }
            }
            out.push(c);
        }
        if quoted.is_some() {
            out.push_str(&word);
        } else {
            flush(&mut word, &mut out);
        }
        out
    }

    /// Text as shown: its sentences in [`Style::prose`], its lines
    /// [`wrap`]ped to the width.
    pub fn lay_out(&self, text: &str) -> String {
        wrap(&self.prose(text), self.width)
    }

    /// A metric's name as shown: its catalogue label for a room ("close
    /// rate"), its name otherwise ("close_rate").
    pub fn metric(&self, name: &str) -> String {
        if !self.plain {
            return name.to_owned();
        }
        match crate::sim::metrics::CATALOGUE.iter().find(|m| m.name == name) {
            Some(m) => m.label.to_owned(),
            None => match Metric::find(name) {
                Some(family) => format!(
                    "{} {}",
                    family.label,
                    self.name(name.strip_prefix(family.name).unwrap_or(name))
                ),
                None => self.name(name),
            },
        }
    }
}

/// The display width of text: its characters.
pub fn width_of(s: &str) -> usize {
    s.chars().count()
}

/// `s` padded with spaces to `w` characters, on the right (`right`: on the
/// left, so it is right-aligned).
pub fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width_of(s)));
    if right { fill + s } else { format!("{s}{fill}") }
}

/// Every line of `text` longer than `width` broken at spaces; the
/// continuation lines are indented two more than the line's own
/// indentation. A word longer than a line keeps a line of its own. A table
/// row (two spaces between words after the indentation: aligned columns)
/// is never reflowed: a row that still overflows once its table has left
/// out what it could stays one row, aligned with the others.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if width_of(body) <= width || body.trim_start_matches(' ').contains("  ") {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start_matches(' ').len();
        let hanging = " ".repeat((indent + 2).min(width / 2));
        let mut current = " ".repeat(indent);
        let mut has_word = false;
        for word in words(&body[indent..]) {
            if has_word && width_of(&current) + 1 + width_of(&word) > width {
                let _ = writeln!(out, "{current}");
                current = hanging.clone();
                has_word = false;
            }
            if has_word {
                current.push(' ');
            }
            current.push_str(&word);
            has_word = true;
        }
        out.push_str(&current);
        out.push_str(newline);
    }
    out
}

/// The words of a line, with a dash, an ellipsis or a ± between two
/// numbers kept on the line of both ("3,657 – 3,694" does not break), and a bare
/// number on the line of the word before it ("seed 2026").
fn words(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut glue = false;
    for w in line.split(' ').filter(|w| !w.is_empty()) {
        let joiner = matches!(w, "–" | "…" | "±");
        let number = w
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | ':'));
        match out.last_mut() {
            Some(last) if glue || joiner || number => {
                last.push(' ');
                last.push_str(w);
            }
            _ => out.push(w.to_owned()),
        }
        glue = joiner;
    }
    out
}

/// A column of a [`Table`].
#[derive(Clone, Debug)]
pub struct Column {
    /// Its header.
    pub header: String,
    /// Right-aligned (numbers) or left-aligned (text).
    pub right: bool,
    /// How much it matters: when the table is too wide, columns are left
    /// out, least important first ([`Column::ALWAYS`] never is).
    pub importance: u8,
}

impl Column {
    /// The importance of a column that is never left out.
    pub const ALWAYS: u8 = u8::MAX;

    /// A left-aligned column.
    pub fn left(header: &str, importance: u8) -> Self {
        Column {
            header: header.to_owned(),
            right: false,
            importance,
        }
    }

    /// A right-aligned column.
    pub fn right(header: &str, importance: u8) -> Self {
        Column {
            header: header.to_owned(),
            right: true,
            importance,
        }
    }
}

/// A table for the terminal: columns sized to their widest cell, separated
/// by `gap` spaces, rows indented by `indent`.
#[derive(Clone, Debug)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, a cell per column.
    pub rows: Vec<Vec<String>>,
    /// Spaces before each row.
    pub indent: usize,
    /// Spaces between columns.
    pub gap: usize,
    /// The first header starts at the margin, over the indentation (a
    /// title such as "Key metrics (per window)").
    pub title_header: bool,
}

/// A table laid out for a width.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The lines, each ending in a newline.
    pub text: String,
    /// The headers of the columns left out to fit.
    pub left_out: Vec<String>,
    /// The width the whole table would need.
    pub full_width: usize,
}

impl Rendered {
    /// The line naming the columns left out to fit (those with a header),
    /// where they can be read instead (`elsewhere`: "--json and --out"),
    /// and the width that shows them all; `None` when nothing named was
    /// left out.
    pub fn left_out_note(&self, elsewhere: &str) -> Option<String> {
        let named: Vec<&str> = self
            .left_out
            .iter()
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .collect();
        (!named.is_empty()).then(|| {
            format!(
                "  ({} left out to fit; in {elsewhere}, and here at {} columns)",
                named.join(", "),
                self.full_width
            )
        })
    }
}

impl Table {
    /// A table with the given columns, no rows yet, indented by two and
    /// with two spaces between columns.
    pub fn new(columns: Vec<Column>) -> Self {
        Table {
            columns,
            rows: Vec::new(),
            indent: 2,
            gap: 2,
            title_header: false,
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn column_width(&self, i: usize) -> usize {
        let header = width_of(&self.columns[i].header);
        let header = if i == 0 && self.title_header {
            header.saturating_sub(self.indent)
        } else {
            header
        };
        self.rows
            .iter()
            .map(|r| r.get(i).map_or(0, |c| width_of(c)))
            .max()
            .unwrap_or(0)
            .max(header)
    }

    fn width_of_columns(&self, shown: &[usize]) -> usize {
        self.indent
            + shown.iter().map(|&i| self.column_width(i)).sum::<usize>()
            + self.gap * shown.len().saturating_sub(1)
    }

    /// The table in at most `width` columns if it can be: columns are left
    /// out least important first (all of one importance together), then
    /// any left out that fit again are put back, most important first.
    pub fn render(&self, width: usize) -> Rendered {
        let all: Vec<usize> = (0..self.columns.len()).collect();
        let full_width = self.width_of_columns(&all);
        let mut levels: Vec<u8> = self
            .columns
            .iter()
            .map(|c| c.importance)
            .filter(|&k| k != Column::ALWAYS)
            .collect();
        levels.sort_unstable();
        levels.dedup();
        let shown_with = |out: &[u8]| -> Vec<usize> {
            all.iter()
                .copied()
                .filter(|&i| !out.contains(&self.columns[i].importance))
                .collect()
        };
        let mut out: Vec<u8> = Vec::new();
        for &k in &levels {
            if self.width_of_columns(&shown_with(&out)) <= width {
                break;
            }
            out.push(k);
        }
        for k in out.clone().into_iter().rev() {
            let without: Vec<u8> = out.iter().copied().filter(|&o| o != k).collect();
            if self.width_of_columns(&shown_with(&without)) <= width {
                out = without;
            }
        }
        let shown = shown_with(&out);
        let widths: Vec<usize> = shown.iter().map(|&i| self.column_width(i)).collect();
        let mut text = String::new();
        let line = |cells: &dyn Fn(usize) -> String, title: bool| -> String {
            let mut l = if title {
                String::new()
            } else {
                " ".repeat(self.indent)
            };
            for (k, (&i, &w)) in shown.iter().zip(&widths).enumerate() {
                if k > 0 {
                    l.push_str(&" ".repeat(self.gap));
                }
                let w = if k == 0 && title { w + self.indent } else { w };
                l.push_str(&pad(&cells(i), w, self.columns[i].right));
            }
            l.trim_end().to_owned()
        };
        let _ = writeln!(
            text,
            "{}",
            line(&|i| self.columns[i].header.clone(), self.title_header)
        );
        for r in &self.rows {
            let _ = writeln!(
                text,
                "{}",
                line(&|i| r.get(i).cloned().unwrap_or_default(), false)
            );
        }
        Rendered {
            text,
            left_out: all
                .iter()
                .filter(|i| !shown.contains(i))
                .map(|&i| self.columns[i].header.clone())
                .collect(),
            full_width,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_for_a_room_keeps_keys_paths_and_flags() {
        let room = Style::new(80, true);
        assert_eq!(
            room.prose("handed off on reaching building_requirements; by the buyer_initiated policy."),
            "handed off on reaching building requirements; by the buyer initiated policy."
        );
        let kept = "--set outreach.max_unanswered_touches=3 scenarios/inbound_insight.toml";
        assert_eq!(room.prose(kept), kept);
        assert_eq!(
            room.prose("outreach.approach = \"insight_led\""),
            "outreach.approach = \"insight led\""
        );
        assert_eq!(room.value("\"insight_led\""), "insight led");
        // Values to type as shown stay as they are.
        let typed =
            "did you mean 'building_requirements'? (--map-outcome 'x=won|lost|no_decision') `no_decision`";
        assert_eq!(room.prose(typed), typed);
        assert_eq!(
            room.prose("the scenario's own buyer_initiated policy"),
            "the scenario's own buyer initiated policy"
        );
        let terminal = Style::new(80, false);
        assert_eq!(terminal.prose("building_requirements"), "building_requirements");
        assert_eq!(terminal.value("\"insight_led\""), "insight_led");
    }

    fn table() -> Table {
        let mut t = Table::new(vec![
            Column::left("name", Column::ALWAYS),
            Column::right("mean", Column::ALWAYS),
            Column::left("p05 … p95", 1),
            Column::right("change", 2),
        ]);
        t.row(vec![
            "revenue".into(),
            "3,853,491".into(),
            "3,280,296 … 4,497,901".into(),
            "+12%".into(),
        ]);
        t.row(vec![
            "ROI".into(),
            "378.0%".into(),
            "308.6% … 458.6%".into(),
            "-3%".into(),
        ]);
        t
    }

    #[test]
    fn tables_leave_out_the_least_important_columns_to_fit() {
        let t = table();
        let wide = t.render(80);
        assert!(wide.left_out.is_empty());
        assert_eq!(
            wide.text,
            "  name          mean  p05 … p95              change\n\
             \x20 revenue  3,853,491  3,280,296 … 4,497,901    +12%\n\
             \x20 ROI         378.0%  308.6% … 458.6%           -3%\n"
        );
        assert_eq!(wide.full_width, 51);
        let narrow = t.render(40);
        assert_eq!(narrow.left_out, vec!["p05 … p95".to_owned()]);
        assert!(narrow.text.lines().all(|l| width_of(l) <= 40), "{}", narrow.text);
        assert!(narrow.text.contains("change"));
        let narrower = t.render(20);
        assert_eq!(narrower.left_out.len(), 2);
    }

    #[test]
    fn prose_wraps_with_a_hanging_indent() {
        assert_eq!(wrap("  a b (1 – 2)", 9), "  a b\n    (1 – 2)");
        let text = "  one two three four five six seven\nshort\n";
        assert_eq!(
            wrap(text, 16),
            "  one two three\n    four five\n    six seven\nshort\n"
        );
        assert_eq!(wrap("x", 10), "x");
        for l in wrap("  a verylongwordthatcannotbreak b", 10).lines() {
            assert!(!l.is_empty());
        }
    }

    #[test]
    fn plain_names_for_a_room() {
        let room = Style::new(80, true);
        assert_eq!(room.metric("close_rate"), "close rate");
        assert_eq!(room.metric("share.went_dark"), "share of leads gone dark");
        assert_eq!(room.name("lost_competitor"), "lost competitor");
        let plain = Style::default();
        assert_eq!(plain.metric("close_rate"), "close_rate");
        assert_eq!(Style::new(10, false).width, MIN_WIDTH);
    }
}
