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
mod merge;
mod optimise;
mod report;
mod run;
mod sensitivity;
mod serve;
mod shard;
mod sweep;

use anyhow::Result;
use clap::{Parser, Subcommand};
use funnelsim::model::scenario::Scenario;
use funnelsim::sim::engine::{Rows, RunResult};
use funnelsim::sim::shard::Runner;

pub use interrupt::Interrupted;
pub use load::BadInput;

use calibrate::CalibrateArgs;
use compare::CompareArgs;
use merge::MergeArgs;
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
    /// Put the parts of a sharded command (--shard K/N) together: writes
    /// exactly what the command writes when run whole on one machine.
    Merge(MergeArgs),
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
            Command::Merge(a) => merge::merge(a),
        }
    }
}

impl Command {
    /// The options of a command that can be sharded which do not change
    /// its results: output options, `--shard` and `--threads`.
    pub fn sharding(&mut self) -> Option<shard::Sharding<'_>> {
        match self {
            Command::Run(a) => Some((&mut a.output, &mut a.shard.shard, &mut a.sim.threads)),
            Command::Compare(a) => Some((&mut a.output, &mut a.shard.shard, &mut a.sim.threads)),
            Command::Sweep(a) => Some((&mut a.output, &mut a.shard.shard, &mut a.sim.threads)),
            Command::Sensitivity(a) => Some((&mut a.output, &mut a.shard.shard, &mut a.sim.threads)),
            _ => None,
        }
    }
}

/// Runs every scenario of a comparison in `job`, one after the other (each
/// on all workers), keeping each replication's value of the `paired`
/// metrics only, and labels them A, B, C, …
fn run_paired(
    job: &job::Job,
    runner: &dyn Runner,
    scenarios: &[Scenario],
    paired: &[&str],
) -> Result<(Vec<RunResult>, Vec<String>)> {
    let results = job.simulate(|bar| {
        scenarios
            .iter()
            .map(|s| runner.run(s, bar, Rows::Only(paired)))
            .collect()
    })?;
    let labels = (0..scenarios.len()).map(load::scenario_label).collect();
    Ok((results, labels))
}
