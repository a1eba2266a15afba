//! `funnelsim sweep`: a grid of parameter values, every point run with the
//! same random numbers, and the best point for an objective.

use anyhow::Result;
use clap::Args;
use funnelsim::output::fs::Guard;
use funnelsim::output::{self, charts};
use funnelsim::study::sweep::{self, Objective, PointError, Vary};
use std::path::{Path, PathBuf};

use super::args::{OutArgs, SimArgs};
use super::job::{Job, Outputs, check_size, emit, manifest};
use super::load::{
    BadInput, load_spec, origin, refusal, refuse_unknown_costs, study_base, warn_if_policies_cannot_matter,
};
use super::shard::{ShardArgs, Source, share};

/// `funnelsim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML; '-' reads it from standard input)
    pub scenario: PathBuf,
    /// Parameter to vary: PATH=START:STOP:STEP (inclusive) or PATH=v1,v2,…;
    /// repeat for a grid
    #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
    pub vary: Vec<String>,
    /// What "best" means: close_rate, win_rate, revenue, profit, roi or
    /// cost_per_win (minimised)
    #[arg(long, default_value = "profit", value_parser = parse_objective)]
    pub objective: Objective,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutArgs,
    #[command(flatten)]
    pub shard: ShardArgs,
}

/// Parses `--objective`.
pub fn parse_objective(s: &str) -> Result<Objective, String> {
    s.parse()
}

/// A grid point of `scenario` that does not validate, in the command
/// line's words.
pub fn point_refusal(scenario: &Path, e: PointError) -> BadInput {
    BadInput(funnelsim::output::guard::point_refusal(&origin(scenario), &e))
}

/// Parses every `--vary` and builds the grid, refusing a malformed one
/// before anything runs; returns the varies and the number of points.
pub fn parse_varies(vary: &[String]) -> Result<(Vec<Vary>, usize)> {
    let varies = vary
        .iter()
        .map(|v| Vary::parse(v).map_err(|e| refusal(&e, "", "")))
        .collect::<Result<Vec<_>, _>>()?;
    let points = sweep::grid(&varies).map_err(|e| refusal(&e, "", ""))?.len();
    Ok((varies, points))
}

/// The metrics every sweep point reports.
const SWEEP_METRICS: [&str; 7] = [
    "close_rate",
    "win_rate",
    "won",
    "revenue",
    "profit",
    "roi",
    "cost_per_win",
];

/// `funnelsim sweep`.
pub fn sweep(args: SweepArgs) -> Result<()> {
    let (spec, overrides) = load_spec(&args.scenario, &args.sim)?;
    let (varies, points) = parse_varies(&args.vary)?;
    // The scenario as the user set it, before the varied parameters.
    let base = study_base(&args.scenario, &spec, &overrides)?;
    refuse_unknown_costs(&args.scenario, &base, "--objective", args.objective.metric())?;
    let varied: Vec<&str> = varies.iter().map(|v| v.path.as_str()).collect();
    warn_if_policies_cannot_matter(&args.scenario, &base, &varied);
    // Placeholder costs are not shown, as in `run` and `compare`.
    let metrics: Vec<&str> = SWEEP_METRICS
        .into_iter()
        .filter(|m| base.costs_known() || !funnelsim::sim::metrics::Metric::made_of_costs(m))
        .collect();
    if let Some(n) = share(args.shard.shard, spec.simulation.replications) {
        check_size(base.expected_buyers_per_replication(), n, points)?;
    }
    let job = Job::start(
        args.output.out.as_deref(),
        Guard {
            inputs: &[args.scenario.as_path()],
            force: args.output.force,
        },
        args.sim.threads,
        points as u64 * u64::from(spec.simulation.replications),
        "sweep",
    )?;
    let source = Source::new(
        args.shard.shard,
        &job,
        &[args.scenario.as_path()],
        args.output.force,
    )?;
    let result = job
        .simulate(|bar| {
            sweep::run_sweep(
                &spec,
                &overrides,
                &varies,
                args.objective,
                &metrics,
                source.runner(),
                bar,
            )
        })?
        .map_err(|e| point_refusal(&args.scenario, e))?;
    let Some(job) = source.finish(job, || {
        manifest(&[&args.scenario], std::slice::from_ref(&args.sim.set), &[&base])
    })?
    else {
        return Ok(());
    };
    let summary = serde_json::json!({
        "scenario": spec.name, "seed": spec.simulation.seed, "replications": spec.simulation.replications,
        "sweep": output::sweep::sweep_json(&result),
    });
    job.write(&args.output, || {
        Ok(Outputs {
            tables: vec![("sweep".to_owned(), output::sweep::sweep_table(&result)?)],
            charts: vec![charts::sweep(&result)?],
            summary: summary.clone(),
            manifest: manifest(&[&args.scenario], std::slice::from_ref(&args.sim.set), &[&base]),
        })
    })?;
    emit(args.output.json, &summary, || {
        let style = super::term::style();
        style.lay_out(&format!(
                "funnelsim sweep · {} · {} points × {} replications · seed {} (all points share random numbers)\n",
                spec.name,
                output::format::whole(points as f64),
                output::format::whole(f64::from(spec.simulation.replications)),
                spec.simulation.seed
            )) + &output::sweep::sweep_text(&result, &style)
    })
}
