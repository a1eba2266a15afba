//! The command line: argument types, one file per command, and the pieces
//! they share — loading scenarios ([`load`]), the simulate-and-write
//! skeleton ([`job`]), interrupts ([`interrupt`]) and what is said on
//! stderr, in what colour, and how wide text is ([`term`]: `--quiet`,
//! `--color`, `--plain`). The library
//! does the work; this module reads files, drives progress and writes
//! outputs.

mod args;
mod calibrate;
mod check;
mod compare;
mod completions;
pub mod interrupt;
mod job;
mod load;
mod man;
mod merge;
mod optimise;
mod report;
mod run;
mod sensitivity;
mod serve;
mod shard;
mod sweep;
pub mod term;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use funnelsim::model::scenario::Scenario;
use funnelsim::sim::engine::{Detail, Rows, RunResult};
use funnelsim::sim::shard::Runner;

pub use interrupt::Interrupted;
pub use load::BadInput;

use calibrate::CalibrateArgs;
use check::CheckArgs;
use compare::CompareArgs;
use completions::CompletionsArgs;
use man::ManArgs;
use merge::MergeArgs;
use optimise::OptimiseArgs;
use report::ReportArgs;
use run::RunArgs;
use sensitivity::SensitivityArgs;
use serve::ServeArgs;
use sweep::SweepArgs;
use term::ColorWhen;

/// Monte Carlo sales-funnel simulation: lead-handoff timing, outreach
/// policies, and who is to blame for lost deals.
#[derive(Debug, Parser)]
#[command(name = "funnelsim", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Print no progress bar, notes or warnings on stderr (errors still
    /// are); what goes to stdout is unchanged
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colour: auto (on a terminal, unless NO_COLOR is set),
    /// always or never
    #[arg(long, value_enum, value_name = "WHEN", global = true, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Text for a room: metrics, stages, outcomes and causes in plain words
    /// ("close rate", "lost competitor") instead of their snake_case names
    #[arg(long, global = true)]
    pub plain: bool,
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
    /// Check scenario files as `run` would load them, without running
    /// anything: one line per file, exit status 2 if any is invalid.
    Check(CheckArgs),
    /// Print a shell's completion script for funnelsim on stdout.
    Completions(CompletionsArgs),
    /// Print funnelsim's man page (roff) on stdout, or write one page per
    /// command into a directory.
    Man(ManArgs),
}

impl Cli {
    /// Parses the command line `args` (program name first), with clap's
    /// help and error messages coloured as its `--color` (read before
    /// parsing) and the environment say; exits on a bad command line, as
    /// clap does. Applies `--quiet` and `--color`.
    pub fn parse_with_color(args: Vec<std::ffi::OsString>) -> Self {
        let when = ColorWhen::from_args(&args);
        let matches = Self::command().color(when.clap()).get_matches_from(args);
        let cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        term::set_quiet(cli.quiet);
        term::set_color(cli.color);
        term::set_plain(cli.plain);
        cli
    }

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
            Command::Check(a) => check::check(a),
            Command::Completions(a) => completions::completions(a),
            Command::Man(a) => man::man(a),
        }
    }
}

impl Command {
    /// The options of a command that can be sharded which do not change
    /// its results: `--out`, `--force`, `--shard` and `--threads`.
    pub fn sharding(&mut self) -> Option<shard::Sharding<'_>> {
        match self {
            Command::Run(a) => Some(shard::Sharding {
                out: shard::Out::Dir(&mut a.output.out),
                force: &mut a.output.force,
                shard: &mut a.shard.shard,
                threads: &mut a.sim.threads,
            }),
            Command::Compare(a) => Some(shard::Sharding {
                out: shard::Out::Dir(&mut a.output.out),
                force: &mut a.output.force,
                shard: &mut a.shard.shard,
                threads: &mut a.sim.threads,
            }),
            Command::Sweep(a) => Some(shard::Sharding {
                out: shard::Out::Dir(&mut a.output.out),
                force: &mut a.output.force,
                shard: &mut a.shard.shard,
                threads: &mut a.sim.threads,
            }),
            Command::Sensitivity(a) => Some(shard::Sharding {
                out: shard::Out::Dir(&mut a.output.out),
                force: &mut a.output.force,
                shard: &mut a.shard.shard,
                threads: &mut a.sim.threads,
            }),
            Command::Optimise(a) => Some(shard::Sharding {
                out: shard::Out::Dir(&mut a.output.out),
                force: &mut a.output.force,
                shard: &mut a.shard.shard,
                threads: &mut a.sim.threads,
            }),
            Command::Calibrate(a) => Some(shard::Sharding {
                out: shard::Out::File(&mut a.out),
                force: &mut a.force,
                shard: &mut a.shard,
                threads: &mut a.threads,
            }),
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
            .map(|s| runner.run(s, bar, Rows::Only(paired), Detail::Estimates))
            .collect()
    })?;
    let labels = (0..scenarios.len()).map(load::scenario_label).collect();
    Ok((results, labels))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use clap::CommandFactory;

    /// clap checks its definitions only in debug builds, and tests run in
    /// release: no command may have two options with one flag (the global
    /// `-q`, `--quiet` and `--color` included).
    #[test]
    fn no_two_options_of_a_command_share_a_flag() {
        let mut cli = super::Cli::command();
        cli.build();
        for command in std::iter::once(&cli).chain(cli.get_subcommands()) {
            let (mut shorts, mut longs) = (HashSet::new(), HashSet::new());
            for arg in command.get_arguments() {
                if let Some(s) = arg.get_short() {
                    assert!(shorts.insert(s), "{}: -{s} twice", command.get_name());
                }
                if let Some(l) = arg.get_long() {
                    assert!(longs.insert(l), "{}: --{l} twice", command.get_name());
                }
            }
            // clap's own `help` command takes no options.
            if command.get_name() != "help" {
                assert!(
                    longs.contains("quiet") && longs.contains("color"),
                    "{}",
                    command.get_name()
                );
            }
        }
    }
}
