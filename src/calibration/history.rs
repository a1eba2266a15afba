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
//! 12. With a `since` time, an opportunity first seen before it is dropped
//!     (counted): an export cut at the left (every closing on or after some
//!     date) keeps only the slow deals of the cohorts that began before the
//!     cut, and their stays would make every stage look slower.
//! 13. With `stale_after` days, an opportunity still open at the as-of time
//!     with no stage entry in the last `stale_after` days is closed as
//!     `no_decision` (counted): a "zombie" nobody closed. When it really
//!     stalled is unknown, so its last stay gives no dwell time (see
//!     [`Window::stale_after`]).

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
    /// Opportunities first seen before [`Window::since`]: dropped.
    pub before_since: usize,
    /// Open opportunities idle longer than [`Window::stale_after`]: closed
    /// as no decision.
    pub stale: usize,
    /// Rows kept.
    pub rows_kept: usize,
}

/// Row numbers kept per kind of problem in [`Cleaning`].
const KEEP_ROWS: usize = 10;

/// Which part of the history to trust, beyond the as-of time (rules 12 and
/// 13 of the [module](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Window {
    /// Drop opportunities first seen before this time (days since
    /// 1970-01-01): cohorts the export cut at the left.
    pub since: Option<f64>,
    /// Close as no decision an opportunity open at the as-of time whose
    /// last stage entry is more than this many days before it.
    ///
    /// Such a deal stalled at some unknown time during its last stay. Left
    /// open, it would be censored at the as-of time ("stayed at least this
    /// long"), and a crowd of them drags the fitted mean stay far out; closed
    /// at the as-of time, or when it became stale, it would add a stay of at
    /// least `stale_after` days that nobody observed. What is known is that
    /// the stay ended somewhere between its start and now: an
    /// interval-censored observation whose likelihood, the chance of a stay
    /// shorter than its whole age, is all but 1 for a stay this long. So the
    /// stay is left out of the dwell fit (exactly like a closing without a
    /// usable time, rule 8), and the deal counts as the stall it was.
    pub stale_after: Option<f64>,
}

/// Cleans `rows` into opportunities over `stages` (journey order), reading
/// the history as of `as_of` (default: the latest time in the file).
/// Returns the opportunities in order of first appearance in the file, the
/// cleaning report and the as-of time used.
pub fn clean(rows: &[RawRow], stages: &[String], as_of: Option<f64>) -> (Vec<Opportunity>, Cleaning, f64) {
    clean_within(rows, stages, as_of, Window::default())
}

/// [`clean`], keeping only the [`Window`] of the history that can be
/// trusted (rules 12 and 13).
pub fn clean_within(
    rows: &[RawRow],
    stages: &[String],
    as_of: Option<f64>,
    window: Window,
) -> (Vec<Opportunity>, Cleaning, f64) {
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
        // First seen before the window: the whole opportunity goes, closing
        // rows included, before anything about it is counted.
        if window.since.is_some_and(|since| g.iter().any(|e| e.1 < since)) {
            report.before_since += 1;
            closings.remove(id);
            continue;
        }
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
        if outcome == Outcome::Open && window.stale_after.is_some_and(|days| as_of - last_entry > days) {
            report.stale += 1;
            outcome = Outcome::NoDecision;
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

/// Open opportunities that look abandoned: idle in their stage for longer
/// than any closed deal took from first seen to close.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Staleness {
    /// Opportunities open at the as-of time.
    pub open: usize,
    /// Of those, the ones whose last stage entry is older than
    /// `longest_closed_days` at the as-of time.
    pub stale: usize,
    /// The longest any closed deal took from its first stage entry to its
    /// closing, in days.
    pub longest_closed_days: f64,
}

/// At least this many stale opportunities make [`Staleness::many`]...
pub const STALE_MIN: usize = 10;
/// ...and at least this share of the open ones.
pub const STALE_SHARE: f64 = 0.05;

impl Staleness {
    /// Whether there are enough stale deals to matter. An honest history has
    /// next to none: a deal that sat in one stage longer than any deal ever
    /// took for its whole journey is about as rare as a new longest deal, a
    /// few in a history of hundreds of closings. So 10 of them, and 5% of
    /// the open deals, is far more than chance.
    pub fn many(&self) -> bool {
        self.stale >= STALE_MIN && self.stale as f64 >= STALE_SHARE * self.open as f64
    }

    /// The `stale_after` to suggest: the longest closed deal, in whole days
    /// rounded down, so that every deal counted stale is idle longer than
    /// it (`--stale-after` closes deals idle longer than its value).
    pub fn suggested_days(&self) -> f64 {
        self.longest_closed_days.floor().max(1.0)
    }
}

/// How many open opportunities have been idle in their stage (no stage
/// entry) for longer than any closed deal took from first seen to close, as
/// of `as_of`; `None` if no deal closed with a usable time or none is open.
///
/// Idle time, not age, is what is measured: a deal that moved stage last
/// week is alive however old it is.
pub fn staleness(opps: &[Opportunity], as_of: f64) -> Option<Staleness> {
    let longest_closed_days = opps
        .iter()
        .filter_map(|o| Some(o.closed_at? - o.first_seen()))
        .fold(f64::NEG_INFINITY, f64::max);
    let open: Vec<&Opportunity> = opps.iter().filter(|o| o.outcome == Outcome::Open).collect();
    if !longest_closed_days.is_finite() || open.is_empty() {
        return None;
    }
    let stale = open
        .iter()
        .filter(|o| as_of - o.entries.last().expect("never empty").1 > longest_closed_days)
        .count();
    Some(Staleness {
        open: open.len(),
        stale,
        longest_closed_days,
    })
}

/// Signs that an export was cut at the left: no deal closes before
/// `first_close`, though many were first seen well before it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeftCut {
    /// The earliest closing in the history (days since 1970-01-01).
    pub first_close: f64,
    /// Opportunities first seen before it.
    pub earlier: usize,
    /// How many of those would have closed before it, had they closed as
    /// fast as the deals first seen later.
    pub expected: f64,
}

/// A left cut is reported when at least this many closings are missing
/// before the first one (seeing none where 10 are expected has a chance of
/// e⁻¹⁰ ≈ 5 in 100,000).
pub const LEFT_CUT_EXPECTED: f64 = 10.0;

/// Deals first seen later that serve as the yardstick of how fast deals
/// close: at least this many are needed to tell.
const LEFT_CUT_REFERENCE: usize = 30;

/// Detects an export cut at the left (every closing on or after some date,
/// deals closed before it missing): `Some` when, among the opportunities
/// first seen before the earliest closing, at least [`LEFT_CUT_EXPECTED`]
/// would have closed before it had they closed like the deals first seen
/// after it. The yardstick is the share of those later deals closed within
/// each number of days (up to half the time after the first closing),
/// among the ones followed for long enough; `None` when fewer than 30
/// later deals were.
pub fn left_cut(opps: &[Opportunity], as_of: f64) -> Option<LeftCut> {
    let first_close = opps
        .iter()
        .filter_map(|o| o.closed_at)
        .fold(f64::INFINITY, f64::min);
    let start = opps
        .iter()
        .map(Opportunity::first_seen)
        .fold(f64::INFINITY, f64::min);
    let lag = first_close - start;
    if !(lag.is_finite() && lag > 0.0) {
        return None;
    }
    // Deals first seen after the first closing and followed for at least
    // `reach` days: how soon they closed (infinite if not yet). Lags beyond
    // `reach` are taken as `reach`, which only lowers the count expected.
    let reach = lag.min((as_of - first_close) / 2.0);
    let mut took: Vec<f64> = opps
        .iter()
        .filter(|o| o.first_seen() >= first_close && as_of - o.first_seen() >= reach)
        .map(|o| o.closed_at.map_or(f64::INFINITY, |c| c - o.first_seen()))
        .collect();
    if took.len() < LEFT_CUT_REFERENCE {
        return None;
    }
    took.sort_by(f64::total_cmp);
    let share_within = |days: f64| took.partition_point(|&t| t < days) as f64 / took.len() as f64;
    let earlier: Vec<f64> = opps
        .iter()
        .map(Opportunity::first_seen)
        .filter(|&t| t < first_close)
        .collect();
    let expected: f64 = earlier
        .iter()
        .map(|&t| share_within((first_close - t).min(reach)))
        .sum();
    (expected >= LEFT_CUT_EXPECTED).then_some(LeftCut {
        first_close,
        earlier: earlier.len(),
        expected,
    })
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

    #[test]
    fn since_drops_early_cohorts_and_stale_deals_close_without_a_stay() {
        let mut rows = vec![
            row(1, "early", "a", 1.0),
            row(2, "early", "b", 3.0),
            row(3, "idle", "a", 10.0),
            row(4, "busy", "a", 10.0),
            row(5, "busy", "b", 95.0),
            row(6, "done", "a", 20.0),
        ];
        rows[5].outcome = Some(Outcome::Won);
        rows[5].closed_at = Some(50.0);
        let window = Window {
            since: Some(5.0),
            stale_after: Some(30.0),
        };
        let (opps, c, _) = clean_within(&rows, &stages(), Some(100.0), window);
        let ids: Vec<&str> = opps.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["idle", "busy", "done"]);
        assert_eq!((c.before_since, c.stale, c.rows_kept), (1, 1, 4));
        // Idle for 90 days: a stall whose time is unknown.
        assert_eq!((opps[0].outcome, opps[0].closed_at), (Outcome::NoDecision, None));
        // Old, but it moved 5 days ago: alive.
        assert_eq!(opps[1].outcome, Outcome::Open);

        let (opps, _, _) = clean(&rows, &stages(), Some(100.0));
        let s = staleness(&opps, 100.0).unwrap();
        // The longest closed deal took 30 days; 'idle' and 'early' have sat
        // longer than that, 'busy' has not.
        assert_eq!((s.open, s.stale, s.longest_closed_days), (3, 2, 30.0));
        assert_eq!(s.suggested_days(), 30.0);
        assert!(!s.many(), "two deals are not many");
    }

    #[test]
    fn a_history_without_its_early_closings_is_cut_at_the_left() {
        // One deal a day for 300 days; every third stays open, the others
        // close 5 to 54 days after they start. The export kept closings
        // from day 100 on only.
        let mut rows = Vec::new();
        for d in 0..300 {
            let mut r = row(d, &format!("o{d}"), "a", d as f64);
            let close = d as f64 + 5.0 + (d * 37 % 50) as f64;
            if d % 3 != 0 && close <= 300.0 {
                r.outcome = Some(Outcome::Won);
                r.closed_at = Some(close);
            }
            rows.push(r);
        }
        let (whole, _, _) = clean(&rows, &stages(), Some(300.0));
        assert_eq!(left_cut(&whole, 300.0), None);
        let cut: Vec<RawRow> = rows
            .into_iter()
            .filter(|r| r.closed_at.is_none_or(|c| c >= 100.0))
            .collect();
        let (opps, _, _) = clean(&cut, &stages(), Some(300.0));
        let found = left_cut(&opps, 300.0).unwrap();
        assert!(
            found.first_close >= 100.0 && found.expected >= LEFT_CUT_EXPECTED,
            "{found:?}"
        );
        let window = Window {
            since: Some(found.first_close.ceil()),
            stale_after: None,
        };
        let (later, c, _) = clean_within(&cut, &stages(), Some(300.0), window);
        assert_eq!(c.before_since, found.earlier);
        assert_eq!(left_cut(&later, 300.0), None);
    }
}
