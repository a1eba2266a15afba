//! Every layout into the one form calibration cleans: [`RawRow`]s, one per
//! stage entry, plus closing rows. Values that cannot be read are collected
//! as [`Problems`] and refused together.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::calibration::history::{OUTCOME_WORDS, RawRow};
use crate::calibration::vocabulary::{Meaning, Vocabulary, looks_like_outcome};
use crate::model::outcome::Outcome;
use crate::output::format::human;

use super::layout::{Layout, Resolved, Role};
use super::table::Table;
use super::time::{Cell, DateRule};

/// Unreadable cells shown one by one; the rest are counted.
const SHOWN: usize = 10;
/// Row numbers listed per unknown value.
const ROWS_LISTED: usize = 5;

/// Which kind of column an unknown value was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Stage,
    Outcome,
}

/// Everything that cannot be read, collected over the whole file.
#[derive(Default)]
pub struct Problems {
    cells: Vec<String>,
    cells_total: usize,
    /// (column, kind, value) → (rows carrying it, the first few of them).
    unknown: BTreeMap<(String, Kind, String), (usize, Vec<usize>)>,
}

impl Problems {
    fn cell(&mut self, unit: &str, row: usize, what: &str, value: &str, column: &str) {
        self.cells_total += 1;
        if self.cells.len() < SHOWN {
            self.cells
                .push(format!("{unit} {row}: {what} '{value}' (column '{column}')"));
        }
    }

    fn unknown(&mut self, column: &str, kind: Kind, value: &str, row: usize) {
        let e = self
            .unknown
            .entry((column.to_owned(), kind, value.to_owned()))
            .or_default();
        e.0 += 1;
        if e.1.len() < ROWS_LISTED {
            e.1.push(row);
        }
    }

    /// `Ok` if nothing was wrong; otherwise one message, its first line a
    /// summary and every problem an `error:` line of its own.
    pub fn into_result(self, origin: &str, unit: &str, vocabulary: &Vocabulary) -> Result<()> {
        if self.cells.is_empty() && self.unknown.is_empty() {
            return Ok(());
        }
        let mut lines = self.cells;
        if self.cells_total > SHOWN {
            lines.push(format!(
                "… and {} more unreadable values",
                human((self.cells_total - SHOWN) as f64)
            ));
        }
        for ((column, kind, value), (n, rows)) in &self.unknown {
            let list = rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ");
            let more = if *n > rows.len() { ", …" } else { "" };
            let units = if *n == 1 {
                unit.to_owned()
            } else {
                format!("{unit}s")
            };
            let on = format!("on {} {units} ({units} {list}{more})", human(*n as f64));
            let map = format!("--map-outcome '{value}=won|lost|no_decision|open'");
            lines.push(match kind {
                Kind::Outcome => {
                    let stage = if matches!(vocabulary.stage_value(value), Meaning::Stage(_)) {
                        format!(
                            "; '{value}' is one of --stages: if '{column}' holds each deal's current stage, name it with --stage-col (--layout snapshot), not --outcome-col"
                        )
                    } else {
                        String::new()
                    };
                    format!("column '{column}': unknown outcome '{value}' {on}: say what it means with {map}{stage}")
                }
                Kind::Stage if looks_like_outcome(value) => format!(
                    "column '{column}': unknown value '{value}' {on}, neither one of --stages nor an outcome word; if it says how deals end, say so with {map}"
                ),
                Kind::Stage => {
                    let hint = match vocabulary.likely_stage(value) {
                        Some(s) => format!("did you mean '{s}'? If so, --map-stage '{value}={s}'"),
                        None => format!(
                            "if it is a funnel stage, add it to --stages or map it with --map-stage '{value}=STAGE'; if it says how deals end or that they are open, {map}"
                        ),
                    };
                    format!(
                        "column '{column}': unknown value '{value}' {on}, neither one of --stages nor an outcome word: {hint}"
                    )
                }
            });
        }
        // Say what can be read, for the kinds of value that could not.
        let mut accepted = Vec::new();
        if self.cells_total > 0 {
            accepted.push(
                "timestamps: YYYY-MM-DD[ HH:MM[:SS]], RFC 3339, MM/DD/YYYY or DD/MM/YYYY, a number of days, or --date-format; amounts: numbers".to_owned(),
            );
        }
        if self.unknown.keys().any(|k| k.1 == Kind::Outcome) {
            accepted.push(format!("outcomes: {OUTCOME_WORDS}"));
        }
        if self.unknown.keys().any(|k| k.1 == Kind::Stage) {
            accepted.push(
                "stage values: one of --stages, a --map-stage or --map-outcome value, or an outcome word"
                    .to_owned(),
            );
        }
        let each = format!("\nerror: {origin}: ");
        anyhow::bail!(
            "{origin}: values that cannot be read ({}):{each}{}",
            accepted.join("; "),
            lines.join(&each)
        )
    }
}

/// A table's columns as text, read once.
struct Cells {
    columns: Vec<Option<Vec<Option<String>>>>,
    names: Vec<String>,
}

impl Cells {
    fn of(table: &Table, r: &Resolved) -> Result<Self> {
        let mut columns: Vec<Option<Vec<Option<String>>>> = vec![None; table.names.len()];
        let wanted = Role::ALL
            .iter()
            .filter_map(|&role| r.get(role))
            .chain(r.dates.iter().map(|d| d.column));
        for i in wanted {
            if columns[i].is_none() {
                columns[i] = Some(table.text(i)?);
            }
        }
        Ok(Cells {
            columns,
            names: table.names.clone(),
        })
    }

    fn get(&self, column: Option<usize>, row: usize) -> Option<&str> {
        column.and_then(|c| self.columns[c].as_ref().and_then(|v| v[row].as_deref()))
    }

    fn name(&self, column: Option<usize>) -> &str {
        column.map_or("", |c| self.names[c].as_str())
    }
}

/// What the conversion saw besides rows, for the report.
#[derive(Default)]
pub struct Seen {
    /// Rows of a stage column that said "open" (they enter no stage).
    pub open_rows: usize,
}

/// Reads `table` in the columns `r` into raw rows, every timestamp with
/// `dates` once the file has settled how its slashed dates read.
pub fn rows(
    table: &Table,
    r: &Resolved,
    vocabulary: &Vocabulary,
    dates: &mut DateRule,
    origin: &str,
) -> Result<(Vec<RawRow>, Seen)> {
    let cells = Cells::of(table, r)?;
    let unit = table.unit();
    let time_columns: Vec<usize> = [r.get(Role::Entered), r.get(Role::Closed)]
        .into_iter()
        .flatten()
        .chain(r.dates.iter().map(|d| d.column))
        .collect();
    let stamps = time_columns.iter().flat_map(|&c| {
        let column = cells.name(Some(c));
        cells.columns[c]
            .iter()
            .flatten()
            .enumerate()
            .filter_map(move |(i, v)| {
                Some(Cell {
                    text: v.as_deref()?,
                    row: i + table.first_row(),
                    column,
                })
            })
    });
    dates
        .settle(stamps, unit)
        .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    let dates = &*dates;
    let mut problems = Problems::default();
    let mut seen = Seen::default();
    let mut out = Vec::with_capacity(table.height());
    for i in 0..table.height() {
        let row = i + table.first_row();
        let mut reader = Row {
            cells: &cells,
            i,
            row,
            unit,
            problems: &mut problems,
            dates,
            vocabulary,
        };
        match r.layout {
            Layout::Long | Layout::SalesforceHistory => reader.entry(r, &mut out, &mut seen),
            Layout::Wide | Layout::Snapshot => reader.opportunity(r, &mut out),
        }
    }
    problems.into_result(origin, unit, vocabulary)?;
    Ok((out, seen))
}

/// One row of the table being read.
struct Row<'a> {
    cells: &'a Cells,
    i: usize,
    row: usize,
    unit: &'a str,
    problems: &'a mut Problems,
    dates: &'a DateRule,
    vocabulary: &'a Vocabulary,
}

impl Row<'_> {
    fn text(&self, column: Option<usize>) -> Option<String> {
        self.cells.get(column, self.i).map(str::to_owned)
    }

    fn time(&mut self, column: Option<usize>) -> Option<f64> {
        let v = self.cells.get(column, self.i)?;
        let t = self.dates.parse(v);
        if t.is_none() {
            self.problems.cell(
                self.unit,
                self.row,
                "unreadable timestamp",
                v,
                self.cells.name(column),
            );
        }
        t
    }

    fn amount(&mut self, column: Option<usize>) -> Option<f64> {
        let v = self.cells.get(column, self.i)?;
        let a = v.replace(',', "").parse::<f64>().ok().filter(|a| a.is_finite());
        if a.is_none() {
            self.problems.cell(
                self.unit,
                self.row,
                "unreadable amount",
                v,
                self.cells.name(column),
            );
        }
        a
    }

    fn outcome(&mut self, column: Option<usize>) -> Option<Outcome> {
        let v = self.cells.get(column, self.i)?;
        let o = self.vocabulary.outcome_value(v);
        if o.is_none() {
            self.problems
                .unknown(self.cells.name(column), Kind::Outcome, v, self.row);
        }
        o
    }

    /// The opportunity-level fields every row of a deal carries.
    fn fields(&mut self, r: &Resolved) -> RawRow {
        RawRow {
            row: self.row,
            id: self.text(r.get(Role::Id)),
            source: self.text(r.get(Role::Source)),
            segment: self.text(r.get(Role::Segment)),
            amount: self.amount(r.get(Role::Amount)),
            outcome: self.outcome(r.get(Role::Outcome)),
            closed_at: self.time(r.get(Role::Closed)),
            ..RawRow::default()
        }
    }

    /// A row of a long or Salesforce history: a stage entry, a closing, or
    /// (a stage column saying "open") nothing.
    fn entry(&mut self, r: &Resolved, out: &mut Vec<RawRow>, seen: &mut Seen) {
        let mut raw = self.fields(r);
        let at = self.time(r.get(Role::Entered));
        let column = r.get(Role::Stage);
        let Some(value) = self.text(column) else {
            raw.entered_at = at;
            out.push(raw);
            return;
        };
        match self.vocabulary.stage_value(&value) {
            Meaning::Stage(s) => {
                raw.stage = Some(self.vocabulary.stages()[s].clone());
                raw.entered_at = at;
                out.push(raw);
            }
            Meaning::Outcome(Outcome::Open) => seen.open_rows += 1,
            Meaning::Outcome(o) => {
                raw.outcome = Some(o);
                raw.closed_at = at;
                raw.closing = true;
                out.push(raw);
            }
            // Outcomes have their own column in a long history: a value
            // that is neither is a stage outside the funnel, which cleaning
            // drops and counts.
            Meaning::Unknown if r.layout == Layout::Long => {
                raw.stage = Some(value);
                raw.entered_at = at;
                out.push(raw);
            }
            // Salesforce closes deals in the stage column: an unknown value
            // may be a closing, which must not be dropped unnoticed.
            Meaning::Unknown => {
                self.problems
                    .unknown(self.cells.name(column), Kind::Stage, &value, self.row);
            }
        }
    }

    /// A row of a wide or snapshot export: one raw row per dated stage, all
    /// carrying how the deal ended.
    fn opportunity(&mut self, r: &Resolved, out: &mut Vec<RawRow>) {
        let mut fields = self.fields(r);
        let status_column = r.get(Role::Stage);
        let (mut current, mut status) = (None, None);
        if let Some(value) = self.text(status_column) {
            match self.vocabulary.stage_value(&value) {
                Meaning::Stage(s) => {
                    current = Some(s);
                    status = Some(Outcome::Open);
                }
                Meaning::Outcome(o) => status = Some(o),
                Meaning::Unknown => {
                    self.problems
                        .unknown(self.cells.name(status_column), Kind::Stage, &value, self.row)
                }
            }
        }
        let mut entries: Vec<(usize, f64)> = Vec::new();
        let mut closing: Option<(Outcome, f64)> = None;
        for d in &r.dates {
            let Some(t) = self.time(Some(d.column)) else {
                continue;
            };
            match d.meaning {
                Meaning::Stage(s) => entries.push((s, t)),
                Meaning::Outcome(o) if closing.is_none_or(|(_, c)| t >= c) => closing = Some((o, t)),
                _ => {}
            }
        }
        // An outcome column says it best; then the date a closing stage was
        // entered; then the status column.
        fields.outcome = fields.outcome.or(closing.map(|c| c.0)).or(status);
        fields.closed_at = closing.map(|c| c.1).or(fields.closed_at);
        let stages = self.vocabulary.stages();
        if entries.is_empty() && fields.outcome.is_some_and(|o| o != Outcome::Open) {
            // Closed without ever entering a calibrated stage: cleaning
            // counts it.
            fields.closing = true;
            out.push(fields);
            return;
        }
        // A current stage without its date: the deal is there, since when
        // is unknown (cleaning counts the row as missing its entry time).
        if let Some(s) = current
            && !entries.iter().any(|e| e.0 == s)
        {
            out.push(RawRow {
                stage: Some(stages[s].clone()),
                ..fields.clone()
            });
        }
        if entries.is_empty() && current.is_none() {
            out.push(fields);
            return;
        }
        for (s, t) in entries {
            out.push(RawRow {
                stage: Some(stages[s].clone()),
                entered_at: Some(t),
                ..fields.clone()
            });
        }
    }
}
