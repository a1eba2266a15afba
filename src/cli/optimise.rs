//! `funnelsim optimise`: the best configuration of a grid, chosen by a
//! sequential procedure that drops clearly worse configurations early and
//! states its probability of being right.

use anyhow::Result;
use clap::Args;
use funnelsim::output::fs::Guard;
use funnelsim::output::{self, charts};
use funnelsim::study::optimise::{self, Constraint, Procedure};
use funnelsim::study::sweep::Objective;
use std::path::PathBuf;

use super::args::{OutArgs, SimArgs};
use super::job::{Job, Outputs, check_size, emit, manifest};
use super::load::{BadInput, load_spec, origin, study_base, warn_if_policies_cannot_matter};
use super::shard::{ShardArgs, Source};
use super::sweep::{parse_objective, parse_varies, point_refusal};

/// `funnelsim optimise`.
#[derive(Debug, Args)]
// The procedure chooses each configuration's replications: --replications
// is refused with a pointer to --first-stage and --budget, so not shown.
#[command(mut_arg("replications", |a| a.hide(true)))]
// Sharded by groups, not by replications.
#[command(mut_arg("shard", |a| a.help("Run only shard K of N of the --groups (each shard whole groups; G ≥ N) and write a partial result into --out; `funnelsim merge` plays the final round (see docs/cluster.md)")))]
pub struct OptimiseArgs {
    /// Scenario file (TOML; '-' reads it from standard input)
    pub scenario: PathBuf,
    /// Parameter to vary: PATH=START:STOP:STEP (inclusive) or PATH=v1,v2,…;
    /// repeat for a grid (as for sweep)
    #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
    pub vary: Vec<String>,
    /// What "best" means: close_rate, win_rate, revenue, profit, roi or
    /// cost_per_win (minimised)
    #[arg(long, default_value = "profit", value_parser = parse_objective)]
    pub objective: Objective,
    /// Differences in the objective smaller than DELTA (in its units: 0.01 is
    /// one percentage point of a rate) do not matter; the choice is within
    /// DELTA of the best. 0 eliminates nothing with any noise: needs --budget
    #[arg(long, value_name = "DELTA", value_parser = parse_indifference, allow_negative_numbers = true)]
    pub indifference: f64,
    /// Probability that the choice is within DELTA of the best
    #[arg(long, value_name = "P", default_value_t = 0.95, value_parser = parse_confidence, allow_negative_numbers = true)]
    pub confidence: f64,
    /// Most replications to spend over all configurations [default: until
    /// the procedure decides]
    #[arg(long, value_name = "N")]
    pub budget: Option<u64>,
    /// Replications of every configuration before any is eliminated (at
    /// least 2; more gives sharper variance estimates)
    #[arg(long, value_name = "N0", default_value_t = 20)]
    pub first_stage: u32,
    /// A limit the chosen configuration must respect, e.g.
    /// "cost_per_win <= 30000" (METRIC <= NUMBER or METRIC >= NUMBER;
    /// repeatable)
    #[arg(long = "constraint", value_name = "LIMIT", value_parser = parse_constraint)]
    pub constraints: Vec<Constraint>,
    /// Cut the grid into G groups, choose within each at DELTA/2, then
    /// among the groups' choices at DELTA/2: the same guarantee, and the
    /// groups can run on separate machines with --shard (docs/cluster.md)
    #[arg(long, value_name = "G", default_value_t = 1)]
    pub groups: u32,
    #[command(flatten)]
    pub shard: ShardArgs,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutArgs,
}

fn parse_indifference(s: &str) -> Result<f64, String> {
    // Not a number is refused with the same words as a negative one.
    output::optimise::indifference(s.parse().unwrap_or(f64::NAN))
}

fn parse_confidence(s: &str) -> Result<f64, String> {
    output::optimise::confidence(s.parse().unwrap_or(f64::NAN))
}

fn parse_constraint(s: &str) -> Result<Constraint, String> {
    s.parse()
}

/// `funnelsim optimise`.
pub fn optimise(args: OptimiseArgs) -> Result<()> {
    if args.sim.replications.is_some() {
        return Err(BadInput(
            "optimise chooses each configuration's replications itself; instead of --replications give --first-stage N0 and, to cap the total, --budget N".into(),
        )
        .into());
    }
    let (spec, overrides) = load_spec(&args.scenario, &args.sim)?;
    let (varies, k) = parse_varies(&args.vary)?;
    let procedure = Procedure {
        indifference: args.indifference,
        confidence: args.confidence,
        first_stage: args.first_stage,
        budget: args.budget,
    };
    output::optimise::check_procedure(&procedure, k).map_err(BadInput)?;
    procedure
        .check_groups(k, args.groups)
        .map_err(|e| BadInput(format!("--groups: {e}")))?;
    if let Some(shard) = args.shard.shard
        && (args.groups < 2 || args.groups < shard.count())
    {
        return Err(BadInput(format!(
            "optimise shards by groups: --shard {shard} needs --groups {} or more (each shard runs whole groups; see docs/cluster.md)",
            shard.count().max(2)
        ))
        .into());
    }
    let first = k as u64 * u64::from(args.first_stage);
    // The scenario as the user set it, before the varied parameters.
    let base = study_base(&args.scenario, &spec, &overrides)?;
    output::optimise::check_metrics(&origin(&args.scenario), &base, args.objective, &args.constraints)
        .map_err(BadInput)?;
    let varied: Vec<&str> = varies.iter().map(|v| v.path.as_str()).collect();
    warn_if_policies_cannot_matter(&args.scenario, &base, &varied);
    check_size(base.expected_buyers_per_replication(), args.first_stage, k)?;
    let job = Job::start(
        args.output.out.as_deref(),
        Guard {
            inputs: &[args.scenario.as_path()],
            force: args.output.force,
        },
        args.sim.threads,
        first,
        "optimise",
    )?;
    let source = Source::new(
        args.shard.shard,
        &job,
        &[args.scenario.as_path()],
        args.output.force,
    )?;
    let result = job
        .simulate(|bar| {
            optimise::run_optimise(
                &spec,
                &overrides,
                &varies,
                args.objective,
                &args.constraints,
                &procedure,
                args.groups,
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
        "scenario": spec.name, "seed": spec.simulation.seed,
        "optimise": output::optimise::optimise_json(&result),
    });
    job.write(&args.output, || {
        Ok(Outputs {
            tables: vec![
                ("optimise".to_owned(), output::optimise::optimise_table(&result)?),
                (
                    "elimination".to_owned(),
                    output::optimise::elimination_table(&result)?,
                ),
            ],
            charts: vec![charts::elimination(&result)?],
            summary: summary.clone(),
            manifest: manifest(&[&args.scenario], std::slice::from_ref(&args.sim.set), &[&base]),
        })
    })?;
    emit(args.output.json, &summary, || {
        let style = super::term::style();
        style.lay_out(&format!(
            "funnelsim optimise · {} · {k} configurations · seed {} (all share random numbers)\nKim–Nelson sequential selection: {} replications of each first, indifference {}, confidence {}\n{}",
            spec.name, spec.simulation.seed, args.first_stage, args.indifference, args.confidence,
            if args.groups > 1 {
                format!(
                    "a tournament of {} groups: each group, then the groups' choices, at indifference {} and confidence {}\n",
                    args.groups,
                    args.indifference / 2.0,
                    1.0 - (1.0 - args.confidence) / 2.0
                )
            } else {
                String::new()
            }
        )) + &output::optimise::optimise_text(&result, &style)
    })
}
