//! Opportunity stage history as one row per stage entry, the form every
//! layout a CRM exports is read into. This module turns raw rows into clean
//! per-opportunity journeys by the documented rules below, counting
//! everything it fixes or drops so the calibration report can say so. It
//! does no I/O: the file reader lives in `input::crm` and hands over
//! [`RawRow`]s with parsed timestamps.
//!
//! # Cleaning rules
//! 1. A row missing the opportunity id, the stage or the entry time is
//!    dropped (counted, row numbers kept).
//! 2. A row whose stage is not one of the calibrated stages is dropped
//!    (counted per name).
//! 3. Exact duplicates (same id, stage and entry time) are dropped.
//! 4. An opportunity's rows are put in time order (counted when the file
//!    had them out of order).
//! 5. A row that goes back to a stage the opportunity had already reached or
//!    passed is dropped: funnel stages are entered once, in order; the first
//!    entry wins.
//! 6. A jump over stages counts as leaving the earlier stage by advancing;
//!    the skipped stages get no observation (counted per stage).
//! 7. Opportunity-level fields (source, segment, amount, outcome, closed-at)
//!    are taken from the latest row that has them; rows that disagree are
//!    counted.
//! 8. A closed-at with no outcome is closed as `no_decision`; an outcome
//!    other than open with no closed-at (or one before the last stage entry)
//!    keeps the outcome but gives no dwell time for the last stage.
//! 9. Rows entered after the as-of time are dropped, and closings after it
//!    are treated as still open (the history is read as of that time).
//! 10. A stay of zero length (two entries at the same time) gives no dwell
//!     time (counted), but still counts as an advance.
//! 11. A closing row (a stage column that says how the deal ended, such as
//!     Salesforce's `Closed Won`) closes the opportunity at its time with its
//!     outcome; it takes precedence over the stage rows before it. A closing
//!     followed by a later stage entry is void (the deal was reopened), and
//!     an opportunity with closing rows only (it never entered a calibrated
//!     stage) is dropped; both are counted.

use std::collections::{BTreeMap, HashMap};

use crate::model::outcome::Outcome;
use crate::model::stage::StageId;

/// One row as read from the file. Timestamps are in days on any common
/// origin (the reader uses days since 1970-01-01 UTC).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawRow {
    /// Row number in the file, for messages (1 = first data row).
    pub row: usize,
    /// Opportunity id.
    pub id: Option<String>,
    /// Stage name.
    pub stage: Option<String>,
    /// When the stage was entered.
    pub entered_at: Option<f64>,
    /// Lead source / channel.
    pub source: Option<String>,
    /// Segment / persona.
    pub segment: Option<String>,
    /// Opportunity amount.
    pub amount: Option<f64>,
    /// Final outcome as written in the file.
    pub outcome: Option<Outcome>,
    /// When the opportunity closed.
    pub closed_at: Option<f64>,
    /// A closing row: the file's stage column said how the deal ended, at
    /// `closed_at` with `outcome`. It enters no stage (`stage` and
    /// `entered_at` are `None`) and carries the opportunity-level fields.
    pub closing: bool,
}

/// Parses an outcome as CRMs write it: case, spaces and punctuation are
/// ignored, and so is a leading "closed" (`Closed Won`, `closed-lost`,
/// `Closed - No Decision`). `Some(Outcome::Open)` for an explicitly open
/// opportunity; `None` if the word is not recognised.
pub fn parse_outcome(text: &str) -> Option<Outcome> {
    let t: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let word = t.strip_prefix("closed").filter(|w| !w.is_empty()).unwrap_or(&t);
    Some(match word {
        "won" | "win" => Outcome::Won,
        "lost" | "lostcompetitor" | "losttocompetitor" | "competitor" => Outcome::LostCompetitor,
        "nodecision" | "stalled" | "statusquo" => Outcome::NoDecision,
        "wentdark" | "dark" | "unresponsive" | "ghosted" => Outcome::WentDark,
        "disqualified" | "unqualified" | "dq" => Outcome::Disqualified,
        "open" | "inprogress" | "active" => Outcome::Open,
        _ => return None,
    })
}

/// Outcome words accepted by [`parse_outcome`], for error messages.
pub const OUTCOME_WORDS: &str =
    "won, lost, no_decision, went_dark, disqualified, open (or empty), with or without a leading 'closed'";

/// One opportunity's cleaned journey.
#[derive(Clone, Debug, PartialEq)]
pub struct Opportunity {
    /// Opportunity id.
    pub id: String,
    /// Lead source, if the file has the column and the value.
    pub source: Option<String>,
    /// Segment, if the file has the column and the value.
    pub segment: Option<String>,
    /// Amount, if known and positive.
    pub amount: Option<f64>,
    /// Stage entries `(stage, day)`: stages strictly increasing, times
    /// non-decreasing. Never empty.
    pub entries: Vec<(StageId, f64)>,
    /// How it ended (`Open` if it had not by the as-of time).
    pub outcome: Outcome,
    /// When it closed, if it did and the time is usable (not before the
    /// last stage entry).
    pub closed_at: Option<f64>,
}

impl Opportunity {
    /// Time of the first stage entry (capture).
    pub fn first_seen(&self) -> f64 {
        self.entries[0].1
    }

    /// The furthest stage reached; a deal won or lost at an earlier stage
    /// reached the decision.
    pub fn furthest_stage(&self, last: StageId) -> StageId {
        match self.outcome {
            Outcome::Won | Outcome::LostCompetitor => last,
            _ => self.entries.last().map_or(0, |e| e.0),
        }
    }
}

/// What cleaning found and did. Row lists keep the first few row numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cleaning {
    /// Data rows read.
    pub rows_read: usize,
    /// Rows dropped for a missing id, stage or entry time.
    pub missing_required: Vec<usize>,
    /// Count of such rows (the list above is capped).
    pub missing_required_count: usize,
    /// Rows dropped for an unknown stage name: name → (count, first rows).
    pub unknown_stages: BTreeMap<String, (usize, Vec<usize>)>,
    /// Exact duplicate rows dropped.
    pub duplicates: usize,
    /// Opportunities whose rows were out of time order in the file.
    pub reordered: usize,
    /// Rows dropped for going back to an already reached stage.
    pub backward: usize,
    /// Rows whose opportunity-level fields disagreed with a later row.
    pub conflicting_fields: usize,
    /// Opportunities closed without an outcome (closed as no decision).
    pub closed_without_outcome: usize,
    /// Closed opportunities without a usable closed-at time.
    pub closed_without_time: usize,
    /// Rows entered after the as-of time (dropped).
    pub after_as_of: usize,
    /// Closings after the as-of time (treated as open).
    pub closed_after_as_of: usize,
    /// Per stage: opportunities that jumped over it.
    pub skipped: Vec<usize>,
    /// Closing rows followed by a later stage entry of the same opportunity
    /// (reopened deals): ignored.
    pub reopened: usize,
    /// Opportunities with closing rows but no stage entry: dropped.
    pub closed_without_entry: usize,
    /// Rows kept.
    pub rows_kept: usize,
}

/// Row numbers kept per kind of problem in [`Cleaning`].
const KEEP_ROWS: usize = 10;

/// Cleans `rows` into opportunities over `stages` (journey order), reading
/// the history as of `as_of` (default: the latest time in the file).
/// Returns the opportunities in order of first appearance in the file, the
/// cleaning report and the as-of time used.
pub fn clean(rows: &[RawRow], stages: &[String], as_of: Option<f64>) -> (Vec<Opportunity>, Cleaning, f64) {
    let mut report = Cleaning {
        rows_read: rows.len(),
        skipped: vec![0; stages.len()],
        ..Cleaning::default()
    };
    let index: HashMap<&str, StageId> = stages.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let latest = rows
        .iter()
        .flat_map(|r| [r.entered_at, r.closed_at])
        .flatten()
        .fold(f64::NEG_INFINITY, f64::max);
    let as_of = as_of.unwrap_or(latest);

    // Group usable rows by opportunity, in order of first appearance.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<(StageId, f64, &RawRow)>> = HashMap::new();
    let mut closings: HashMap<&str, Vec<&RawRow>> = HashMap::new();
    for r in rows {
        if r.closing
            && let (Some(id), Some(_)) = (r.id.as_deref(), r.closed_at)
        {
            closings.entry(id).or_default().push(r);
            continue;
        }
        let (Some(id), Some(stage), Some(at)) = (r.id.as_deref(), r.stage.as_deref(), r.entered_at) else {
            report.missing_required_count += 1;
            if report.missing_required.len() < KEEP_ROWS {
                report.missing_required.push(r.row);
            }
            continue;
        };
        let Some(&s) = index.get(stage.trim()) else {
            let e = report.unknown_stages.entry(stage.to_owned()).or_default();
            e.0 += 1;
            if e.1.len() < KEEP_ROWS {
                e.1.push(r.row);
            }
            continue;
        };
        if at > as_of {
            report.after_as_of += 1;
            continue;
        }
        groups
            .entry(id)
            .or_insert_with(|| {
                order.push(id);
                Vec::new()
            })
            .push((s, at, r));
    }

    let mut opportunities = Vec::with_capacity(order.len());
    for id in order {
        let mut g = groups.remove(id).expect("grouped above");
        if g.windows(2).any(|w| w[1].1 < w[0].1) {
            report.reordered += 1;
        }
        // Stable: rows at the same time keep file order.
        g.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let before = g.len();
        g.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        report.duplicates += before - g.len();

        let mut entries: Vec<(StageId, f64)> = Vec::with_capacity(g.len());
        for &(s, at, _) in &g {
            match entries.last() {
                Some(&(last, _)) if s <= last => report.backward += 1,
                Some(&(last, _)) => {
                    for skipped in &mut report.skipped[last + 1..s] {
                        *skipped += 1;
                    }
                    entries.push((s, at));
                }
                None => entries.push((s, at)),
            }
        }
        report.rows_kept += entries.len();

        // Closing rows, latest last; one before a later stage row was undone
        // by reopening the deal.
        let latest_row = g.iter().map(|e| e.1).fold(f64::NEG_INFINITY, f64::max);
        let mut closed: Vec<&RawRow> = closings.remove(id).unwrap_or_default();
        let before = closed.len();
        closed.retain(|c| c.closed_at.is_some_and(|t| t >= latest_row));
        report.reopened += before - closed.len();
        closed.sort_by(|a, b| a.closed_at.unwrap_or(0.0).total_cmp(&b.closed_at.unwrap_or(0.0)));
        report.rows_kept += closed.len();

        // Opportunity-level fields: the latest row that has each wins (a
        // closing comes after every stage row it closes).
        let mut fields = Fields::default();
        for r in closed.iter().rev().copied().chain(g.iter().rev().map(|e| e.2)) {
            report.conflicting_fields += usize::from(fields.absorb(r));
        }
        let last_entry = entries.last().expect("at least one row").1;
        let mut outcome = fields.outcome.unwrap_or(Outcome::Open);
        let mut closed_at = fields.closed_at;
        if closed_at.is_some_and(|c| c > as_of) {
            report.closed_after_as_of += 1;
            outcome = Outcome::Open;
            closed_at = None;
        }
        if outcome == Outcome::Open && closed_at.is_some() {
            if fields.outcome.is_none() {
                report.closed_without_outcome += 1;
                outcome = Outcome::NoDecision;
            } else {
                // Explicitly open: the closing time is noise.
                closed_at = None;
            }
        }
        if outcome != Outcome::Open && closed_at.is_none_or(|c| c < last_entry) {
            report.closed_without_time += 1;
            closed_at = None;
        }
        opportunities.push(Opportunity {
            id: id.to_owned(),
            source: fields.source,
            segment: fields.segment,
            amount: fields.amount.filter(|a| *a > 0.0),
            entries,
            outcome,
            closed_at,
        });
    }
    // What is left closed deals that never entered a calibrated stage (a
    // closing after the as-of time is a row from the future, like any other).
    for rows in closings.values() {
        if rows.iter().any(|c| c.closed_at.is_some_and(|t| t <= as_of)) {
            report.closed_without_entry += 1;
        } else {
            report.after_as_of += rows.len();
        }
    }
    (opportunities, report, as_of)
}

#[derive(Default)]
struct Fields {
    source: Option<String>,
    segment: Option<String>,
    amount: Option<f64>,
    outcome: Option<Outcome>,
    closed_at: Option<f64>,
}

impl Fields {
    /// Takes the values of an earlier row where none are known yet; returns
    /// whether the row disagrees with what a later row said.
    fn absorb(&mut self, r: &RawRow) -> bool {
        fn take<T: Clone + PartialEq>(slot: &mut Option<T>, v: &Option<T>) -> bool {
            match (slot.as_ref(), v) {
                (None, Some(x)) => {
                    *slot = Some(x.clone());
                    false
                }
                (Some(a), Some(b)) => a != b,
                _ => false,
            }
        }
        let a = take(&mut self.source, &r.source);
        let b = take(&mut self.segment, &r.segment);
        let c = take(&mut self.amount, &r.amount);
        let d = take(&mut self.outcome, &r.outcome);
        let e = take(&mut self.closed_at, &r.closed_at);
        a | b | c | d | e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages() -> Vec<String> {
        ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect()
    }

    fn row(n: usize, id: &str, stage: &str, at: f64) -> RawRow {
        RawRow {
            row: n,
            id: Some(id.into()),
            stage: Some(stage.into()),
            entered_at: Some(at),
            ..RawRow::default()
        }
    }

    #[test]
    fn outcome_words() {
        assert_eq!(parse_outcome(" Closed Won"), Some(Outcome::Won));
        assert_eq!(parse_outcome("closed-lost"), Some(Outcome::LostCompetitor));
        assert_eq!(parse_outcome("No Decision"), Some(Outcome::NoDecision));
        assert_eq!(parse_outcome("Closed - No Decision"), Some(Outcome::NoDecision));
        assert_eq!(parse_outcome("lost_competitor"), Some(Outcome::LostCompetitor));
        assert_eq!(parse_outcome("Closed Went Dark"), Some(Outcome::WentDark));
        assert_eq!(parse_outcome("closed"), None);
        assert_eq!(parse_outcome("maybe"), None);
    }

    #[test]
    fn messy_rows_are_fixed_by_the_rules() {
        let mut rows = vec![
            row(1, "x", "b", 5.0),
            row(2, "x", "a", 1.0),  // out of order
            row(3, "x", "a", 1.0),  // duplicate
            row(4, "x", "d", 9.0),  // skips c
            row(5, "x", "b", 10.0), // goes back
            row(6, "x", "zz", 3.0), // unknown stage
            RawRow {
                row: 7,
                id: None,
                ..row(7, "", "a", 1.0)
            },
            row(8, "y", "a", 2.0),
        ];
        rows[3].outcome = Some(Outcome::Won);
        rows[3].closed_at = Some(12.0);
        rows[7].closed_at = Some(4.0); // closed without outcome
        let (opps, c, as_of) = clean(&rows, &stages(), None);
        assert_eq!(as_of, 12.0);
        assert_eq!(opps.len(), 2);
        assert_eq!(opps[0].entries, vec![(0, 1.0), (1, 5.0), (3, 9.0)]);
        assert_eq!(opps[0].outcome, Outcome::Won);
        assert_eq!(opps[0].closed_at, Some(12.0));
        assert_eq!(opps[1].outcome, Outcome::NoDecision);
        assert_eq!((c.reordered, c.duplicates, c.backward), (1, 1, 1));
        assert_eq!(c.skipped, vec![0, 0, 1, 0]);
        assert_eq!(c.unknown_stages["zz"], (1, vec![6]));
        assert_eq!(
            (c.missing_required_count, c.missing_required.clone()),
            (1, vec![7])
        );
        assert_eq!(c.closed_without_outcome, 1);
        assert_eq!(c.rows_kept, 4);
    }

    fn closing(n: usize, id: &str, outcome: Outcome, at: f64) -> RawRow {
        RawRow {
            row: n,
            id: Some(id.into()),
            outcome: Some(outcome),
            closed_at: Some(at),
            closing: true,
            ..RawRow::default()
        }
    }

    #[test]
    fn closing_rows_close_the_deal_unless_it_reopened() {
        let rows = vec![
            row(1, "x", "a", 1.0),
            row(2, "x", "b", 3.0),
            closing(3, "x", Outcome::Won, 6.0),
            row(4, "y", "a", 1.0),
            closing(5, "y", Outcome::LostCompetitor, 2.0),
            row(6, "y", "b", 4.0),               // reopened after the loss
            closing(7, "z", Outcome::Won, 2.0),  // never entered a stage
            closing(8, "w", Outcome::Won, 20.0), // after the as-of time
        ];
        let (opps, c, _) = clean(&rows, &stages(), Some(10.0));
        assert_eq!(opps.len(), 2);
        assert_eq!((opps[0].outcome, opps[0].closed_at), (Outcome::Won, Some(6.0)));
        assert_eq!((opps[1].outcome, opps[1].closed_at), (Outcome::Open, None));
        assert_eq!(opps[1].entries, vec![(0, 1.0), (1, 4.0)]);
        assert_eq!((c.reopened, c.closed_without_entry, c.after_as_of), (1, 1, 1));
        assert_eq!(c.rows_kept, 5);
    }

    #[test]
    fn as_of_cuts_the_history() {
        let mut rows = vec![row(1, "x", "a", 1.0), row(2, "x", "b", 8.0)];
        for r in &mut rows {
            r.outcome = Some(Outcome::Won);
            r.closed_at = Some(9.0);
        }
        let (opps, c, _) = clean(&rows, &stages(), Some(5.0));
        assert_eq!(opps[0].entries, vec![(0, 1.0)]);
        assert_eq!(opps[0].outcome, Outcome::Open);
        assert_eq!((c.after_as_of, c.closed_after_as_of), (1, 1));
    }
}
