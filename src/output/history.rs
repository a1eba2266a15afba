//! Writing a simulated replication's stage history as a CRM would export
//! it (`run --export-history [--layout …]`), in each layout
//! [`crate::input::crm`] reads.

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame};

use crate::input::crm::{Layout, Role, format_time, format_time_as, simulation_day};
use crate::model::outcome::Outcome;
use crate::model::scenario::Scenario;
use crate::sim::engine::Journey;

/// How Salesforce writes `CreatedDate`.
// Whole seconds, as the other layouts are written, so every layout holds
// the same history.
const SALESFORCE_TIME: &str = "%Y-%m-%dT%H:%M:%S.000%z";
/// How a spreadsheet in the United States writes a date and time.
const US_TIME: &str = "%m/%d/%Y %H:%M:%S";
/// The pipeline named in HubSpot-style "date entered" headers.
const PIPELINE: &str = "Sales Pipeline";
/// The outcomes a closing stage can name, in column order.
const CLOSINGS: [Outcome; 5] = [
    Outcome::Won,
    Outcome::LostCompetitor,
    Outcome::NoDecision,
    Outcome::WentDark,
    Outcome::Disqualified,
];

/// An outcome as a CRM's closing stage: `Closed Won`, `Closed Lost`, …
fn closing_stage(o: Outcome) -> String {
    format!("Closed {}", outcome_word(o))
}

/// An outcome in a snapshot's stage column: `Won`, `Lost`, `No Decision`, …
fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Won => "Won",
        Outcome::LostCompetitor => "Lost",
        Outcome::NoDecision => "No Decision",
        Outcome::WentDark => "Went Dark",
        Outcome::Disqualified => "Disqualified",
        Outcome::Open => "Open",
    }
}

/// The header `run --export-history` writes for `role` in `layout`.
fn header(role: Role, layout: Layout) -> String {
    role.defaults(layout)[0].to_owned()
}

/// The names a scenario gives its stages, channels and segments.
struct Names<'a> {
    stages: Vec<&'a str>,
    channels: Vec<&'a str>,
    segments: Vec<&'a str>,
}

/// One simulated opportunity, as the table writers need it.
struct Opportunity<'a> {
    id: String,
    journey: &'a Journey,
    /// How and when it closed (`None`: open at the end of the window).
    closed: Option<(Outcome, f64)>,
    amount: f64,
}

/// The stage history of simulated `journeys` as a table in `layout`, read
/// back by [`crate::input::crm::read`] with the default column names. Day
/// 0 of the simulation is [`crate::input::crm::EPOCH`].
pub fn history_table(s: &Scenario, journeys: &[Journey], layout: Layout) -> Result<DataFrame> {
    let names = Names {
        stages: s.stage_names().collect(),
        channels: s.channel_names().collect(),
        segments: s.spec().segments.iter().map(|g| g.name.as_str()).collect(),
    };
    let width = format!("{}", journeys.len()).len().max(5);
    let opportunities: Vec<Opportunity<'_>> = journeys
        .iter()
        .enumerate()
        .map(|(k, j)| Opportunity {
            id: format!("opp-{:0width$}", k + 1),
            journey: j,
            closed: j.closed.filter(|(o, _)| *o != Outcome::Open),
            amount: (j.deal_value * 100.0).round() / 100.0,
        })
        .collect();
    let columns = match layout {
        Layout::Long => long(&names, &opportunities),
        Layout::SalesforceHistory => salesforce(&names, &opportunities),
        Layout::Wide => wide(&names, &opportunities),
        Layout::Snapshot => snapshot(&names, &opportunities),
    };
    DataFrame::new_infer_height(columns).context("cannot build the history table")
}

fn text(name: String, values: Vec<Option<String>>) -> Column {
    Column::new(name.into(), values)
}

fn time(t: f64) -> String {
    format_time(simulation_day(t))
}

/// One row per stage entry, every opportunity-level field on each.
fn long(n: &Names<'_>, opps: &[Opportunity<'_>]) -> Vec<Column> {
    let l = Layout::Long;
    let rows: usize = opps.iter().map(|o| o.journey.entries.len()).sum();
    let mut cols: [Vec<Option<String>>; 7] = std::array::from_fn(|_| Vec::with_capacity(rows));
    let mut amount = Vec::with_capacity(rows);
    for o in opps {
        let j = o.journey;
        for &(st, t) in &j.entries {
            let row = [
                Some(o.id.clone()),
                Some(n.stages[st].to_owned()),
                Some(time(t)),
                Some(n.channels[j.channel].to_owned()),
                Some(n.segments[j.segment].to_owned()),
                o.closed.map(|(c, _)| c.name().to_owned()),
                o.closed.map(|(_, c)| time(c)),
            ];
            for (col, v) in cols.iter_mut().zip(row) {
                col.push(v);
            }
            amount.push(o.amount);
        }
    }
    let [id, stage, entered, source, segment, outcome, closed] = cols;
    vec![
        text(header(Role::Id, l), id),
        text(header(Role::Stage, l), stage),
        text(header(Role::Entered, l), entered),
        text(header(Role::Source, l), source),
        text(header(Role::Segment, l), segment),
        Column::new(header(Role::Amount, l).into(), amount),
        text(header(Role::Outcome, l), outcome),
        text(header(Role::Closed, l), closed),
    ]
}

/// Salesforce `OpportunityHistory`, joined with the opportunity's lead
/// source and segment: a row per stage change, and a closing stage row
/// (`Closed Won`, …) when the deal closed. `CloseDate` is the day it closed
/// (empty while open).
fn salesforce(n: &Names<'_>, opps: &[Opportunity<'_>]) -> Vec<Column> {
    let l = Layout::SalesforceHistory;
    let mut cols: [Vec<Option<String>>; 6] = std::array::from_fn(|_| Vec::new());
    let mut amount = Vec::new();
    let stamp = |t: f64| format_time_as(simulation_day(t), SALESFORCE_TIME);
    for o in opps {
        let j = o.journey;
        let close_day = o
            .closed
            .map(|(_, c)| format_time_as(simulation_day(c), "%Y-%m-%d"));
        let changes = j
            .entries
            .iter()
            .map(|&(st, t)| (n.stages[st].to_owned(), t))
            .chain(o.closed.map(|(c, t)| (closing_stage(c), t)));
        for (stage, t) in changes {
            let row = [
                Some(o.id.clone()),
                Some(stage),
                Some(stamp(t)),
                close_day.clone(),
                Some(n.channels[j.channel].to_owned()),
                Some(n.segments[j.segment].to_owned()),
            ];
            for (col, v) in cols.iter_mut().zip(row) {
                col.push(v);
            }
            amount.push(o.amount);
        }
    }
    let [id, stage, created, close, source, segment] = cols;
    vec![
        text(header(Role::Id, l), id),
        text(header(Role::Stage, l), stage),
        text(header(Role::Entered, l), created),
        Column::new(header(Role::Amount, l).into(), amount),
        text("CloseDate".to_owned(), close),
        text(header(Role::Source, l), source),
        text(header(Role::Segment, l), segment),
    ]
}

/// HubSpot style: a row per deal with its current stage (or closing
/// stage), `Close Date`, and `Date entered "<stage> (Sales Pipeline)"` for
/// every stage and every closing stage.
fn wide(n: &Names<'_>, opps: &[Opportunity<'_>]) -> Vec<Column> {
    let l = Layout::Wide;
    let mut fixed: [Vec<Option<String>>; 5] = std::array::from_fn(|_| Vec::with_capacity(opps.len()));
    let mut amount = Vec::with_capacity(opps.len());
    let mut entered: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(opps.len()); n.stages.len()];
    let mut closed: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(opps.len()); CLOSINGS.len()];
    for o in opps {
        let j = o.journey;
        let current = match o.closed {
            Some((c, _)) => closing_stage(c),
            None => n.stages[j.entries.last().map_or(0, |e| e.0)].to_owned(),
        };
        let row = [
            Some(o.id.clone()),
            Some(current),
            Some(n.channels[j.channel].to_owned()),
            Some(n.segments[j.segment].to_owned()),
            o.closed.map(|(_, t)| time(t)),
        ];
        for (col, v) in fixed.iter_mut().zip(row) {
            col.push(v);
        }
        amount.push(o.amount);
        for (st, col) in entered.iter_mut().enumerate() {
            col.push(j.entries.iter().find(|e| e.0 == st).map(|e| time(e.1)));
        }
        for (c, col) in CLOSINGS.iter().zip(&mut closed) {
            col.push(o.closed.filter(|(o, _)| o == c).map(|(_, t)| time(t)));
        }
    }
    let [id, stage, source, segment, close] = fixed;
    let date_entered = |name: &str| format!("Date entered \"{name} ({PIPELINE})\"");
    let mut cols = vec![
        text(header(Role::Id, l), id),
        text(header(Role::Stage, l), stage),
        Column::new(header(Role::Amount, l).into(), amount),
        text(header(Role::Source, l), source),
        text(header(Role::Segment, l), segment),
        text(header(Role::Closed, l), close),
    ];
    for (name, col) in n.stages.iter().zip(entered) {
        cols.push(text(date_entered(name), col));
    }
    for (c, col) in CLOSINGS.iter().zip(closed) {
        cols.push(text(date_entered(&closing_stage(*c)), col));
    }
    cols
}

/// A row per deal: its current stage or how it ended (`Won`, `Lost`, …), a
/// `<stage>_date` per stage, `close_date`, and `close_value` (the amount of
/// a won deal, 0 for any other closed deal, empty while open); dates as a
/// United States spreadsheet writes them.
fn snapshot(n: &Names<'_>, opps: &[Opportunity<'_>]) -> Vec<Column> {
    let l = Layout::Snapshot;
    let mut fixed: [Vec<Option<String>>; 5] = std::array::from_fn(|_| Vec::with_capacity(opps.len()));
    let mut value: Vec<Option<f64>> = Vec::with_capacity(opps.len());
    let mut entered: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(opps.len()); n.stages.len()];
    let us = |t: f64| format_time_as(simulation_day(t), US_TIME);
    for o in opps {
        let j = o.journey;
        let current = match o.closed {
            Some((c, _)) => outcome_word(c).to_owned(),
            None => n.stages[j.entries.last().map_or(0, |e| e.0)].to_owned(),
        };
        let row = [
            Some(o.id.clone()),
            Some(n.channels[j.channel].to_owned()),
            Some(n.segments[j.segment].to_owned()),
            Some(current),
            o.closed.map(|(_, t)| us(t)),
        ];
        for (col, v) in fixed.iter_mut().zip(row) {
            col.push(v);
        }
        value.push(match o.closed {
            Some((Outcome::Won, _)) => Some(o.amount),
            Some(_) => Some(0.0),
            None => None,
        });
        for (st, col) in entered.iter_mut().enumerate() {
            col.push(j.entries.iter().find(|e| e.0 == st).map(|e| us(e.1)));
        }
    }
    let [id, source, segment, stage, close] = fixed;
    let mut cols = vec![
        text(header(Role::Id, l), id),
        text(header(Role::Source, l), source),
        text(header(Role::Segment, l), segment),
        text(header(Role::Stage, l), stage),
    ];
    for (name, col) in n.stages.iter().zip(entered) {
        cols.push(text(format!("{name}_date"), col));
    }
    cols.push(text(header(Role::Closed, l), close));
    cols.push(Column::new(header(Role::Amount, l).into(), value));
    cols
}
