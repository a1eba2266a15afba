//! Writing a simulated replication's stage history as a CRM would export
//! it (`run --export-history`), in the format [`crate::input::crm`] reads.

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame};

use crate::input::crm::{Columns, format_time, simulation_day};
use crate::model::outcome::Outcome;
use crate::model::scenario::Scenario;
use crate::sim::engine::Journey;

/// The stage history of simulated `journeys` as a table in the format
/// [`crate::input::crm::read`] accepts (default column names). Day 0 of the
/// simulation is [`crate::input::crm::EPOCH`].
pub fn journeys_table(s: &Scenario, journeys: &[Journey]) -> Result<DataFrame> {
    let stages: Vec<&str> = s.stage_names().collect();
    let channels: Vec<&str> = s.channel_names().collect();
    let segments: Vec<&str> = s.spec().segments.iter().map(|g| g.name.as_str()).collect();
    let width = format!("{}", journeys.len()).len().max(5);
    let rows: usize = journeys.iter().map(|j| j.entries.len()).sum();
    let (mut id, mut stage, mut entered) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    let (mut source, mut segment, mut amount) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    let (mut outcome, mut closed) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    for (k, j) in journeys.iter().enumerate() {
        let opp = format!("opp-{:0width$}", k + 1);
        let (o, c) = match j.closed {
            Some((o, t)) if o != Outcome::Open => (Some(o.name()), Some(format_time(simulation_day(t)))),
            _ => (None, None),
        };
        for &(st, t) in &j.entries {
            id.push(opp.clone());
            stage.push(stages[st]);
            entered.push(format_time(simulation_day(t)));
            source.push(channels[j.channel]);
            segment.push(segments[j.segment]);
            amount.push((j.deal_value * 100.0).round() / 100.0);
            outcome.push(o);
            closed.push(c.clone());
        }
    }
    let c = Columns::default();
    DataFrame::new_infer_height(vec![
        Column::new(c.id.into(), id),
        Column::new(c.stage.into(), stage),
        Column::new(c.entered_at.into(), entered),
        Column::new(c.source.into(), source),
        Column::new(c.segment.into(), segment),
        Column::new(c.amount.into(), amount),
        Column::new(c.outcome.into(), outcome),
        Column::new(c.closed_at.into(), closed),
    ])
    .context("cannot build the history table")
}
