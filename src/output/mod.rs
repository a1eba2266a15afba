//! The edges that write: tables (polars), JSON, the terminal summary,
//! charts, the HTML report, the synthetic history export, the calibrated
//! scenario and fit report, numbers for people ([`format`](mod@format)) and atomic
//! output files that replace only what funnelsim wrote ([`fs`]). Everything
//! here formats results the core computed; nothing here simulates.

pub mod calibration;
pub mod charts;
pub mod compare;
pub mod font;
pub mod format;
pub mod fs;
pub mod guard;
pub mod history;
pub mod json;
pub mod optimise;
pub mod report;
pub mod sweep;
pub mod tables;
pub mod terminal;
pub mod text;

use crate::model::scenario::Scenario;
use crate::sim::engine::RunResult;
use crate::study::blame::Counterfactual;

/// A finished run of one scenario, ready to be formatted.
pub struct Run<'a> {
    /// The scenario that was run.
    pub scenario: &'a Scenario,
    /// What the engine produced.
    pub result: &'a RunResult,
    /// The counterfactual blame ledger, if it was estimated.
    pub counterfactual: Option<&'a Counterfactual>,
}
