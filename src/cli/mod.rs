//! The command line: argument types, one file per command, and the pieces
//! they share — loading scenarios ([`load`]), the simulate-and-write
//! skeleton ([`job`]) and interrupts ([`interrupt`]). The library does the
//! work; this module reads files, drives progress and writes outputs.

mod args;
mod calibrate;
mod compare;
pub mod interrupt;
mod job;
mod load;
mod optimise;
mod report;
mod run;
mod sensitivity;
mod serve;
mod sweep;

use anyhow::Result;
use clap::{Parser, Subcommand};
use funnelsim::model::scenario::Scenario;
use funnelsim::sim::engine::{self, RunResult};

pub use interrupt::Interrupted;
pub use load::BadInput;

use calibrate::CalibrateArgs;
use compare::CompareArgs;
use optimise::OptimiseArgs;
use report::ReportArgs;
use run::RunArgs;
use sensitivity::SensitivityArgs;
use serve::ServeArgs;
use sweep::SweepArgs;

/// Monte Carlo sales-funnel simulation: lead-handoff timing, outreach
/// policies, and who is to blame for lost deals.
#[derive(Debug, Parser)]
#[command(name = "funnelsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and print its summary (key metrics with 95% CIs, the
    /// funnel, outcome shares and the blame ledger).
    Run(RunArgs),
    /// Compare scenarios with common random numbers: key metrics side by side
    /// and each scenario's paired difference from the first.
    Compare(CompareArgs),
    /// Run a grid of parameter values (all points share random numbers) and
    /// find the best point for an objective.
    Sweep(SweepArgs),
    /// Find the best configuration of a grid with a stated probability of
    /// being right: clearly worse configurations are dropped early, close
    /// ones get more replications (Kim & Nelson's sequential procedure).
    Optimise(OptimiseArgs),
    /// Perturb each numeric parameter down and up and rank them by their
    /// effect on a metric (the data behind a tornado chart).
    Sensitivity(SensitivityArgs),
    /// Write a self-contained HTML report (headline numbers, every chart, a
    /// plain-language narrative and, with several scenarios, the paired
    /// comparison) into DIR/report.html.
    Report(ReportArgs),
    /// Fit a scenario to CRM history (CSV or Parquet, in the layouts CRMs
    /// export): dwell times, stall and win rates, deal values, sources;
    /// write it as a commented TOML file and print a fit report that checks
    /// it against the history.
    // Boxed: its many column and map options would make every command's
    // arguments as large as calibrate's.
    Calibrate(Box<CalibrateArgs>),
    /// Start a live console in the browser for workshops and strategy
    /// meetings: change a decision, see the paired difference it makes.
    Serve(ServeArgs),
}

impl Cli {
    /// Runs the chosen command.
    pub fn run(self) -> Result<()> {
        match self.command {
            Command::Run(a) => run::run(a),
            Command::Compare(a) => compare::compare(a),
            Command::Sweep(a) => sweep::sweep(a),
            Command::Optimise(a) => optimise::optimise(a),
            Command::Sensitivity(a) => sensitivity::sensitivity(a),
            Command::Report(a) => report::report(a),
            Command::Calibrate(a) => calibrate::calibrate(*a),
            Command::Serve(a) => serve::serve(a),
        }
    }
}

/// Runs every scenario of a comparison or report in `job`, one after the
/// other (each on all workers), and labels them A, B, C, …
fn run_paired(job: &job::Job, scenarios: &[Scenario]) -> Result<(Vec<RunResult>, Vec<String>)> {
    let results = job.simulate(|bar| scenarios.iter().map(|s| engine::run(s, bar)).collect())?;
    let labels = (0..scenarios.len()).map(load::scenario_label).collect();
    Ok((results, labels))
}
