//! `funnelsim sensitivity`: each numeric parameter moved down and up, ranked
//! by its effect on a metric.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use funnelsim::output::fs::Guard;
use funnelsim::output::{self, charts};
use funnelsim::study::sensitivity;

use super::args::{OutArgs, SimArgs};
use super::job::{Job, Outputs, check_size, emit, manifest};
use super::load::{load_spec, origin, refusal, refuse_unknown_costs, study_base};
use super::shard::{ShardArgs, Source, share};

/// `funnelsim sensitivity`.
#[derive(Debug, Args)]
// Each parameter costs two runs, so the default differs from the other
// commands'; the shared flag's help says so here.
#[command(mut_arg("replications", |a| a.help("Number of Monte Carlo replications per run [default: 50, or the scenario's if fewer]")))]
pub struct SensitivityArgs {
    /// Scenario file (TOML; '-' reads it from standard input)
    pub scenario: PathBuf,
    /// Comma-separated parameter paths [default: every numeric parameter
    /// outside [simulation]]
    #[arg(long, value_delimiter = ',', value_name = "P1,P2,…")]
    pub params: Vec<String>,
    /// Relative perturbation, e.g. 10% or 0.1; whole numbers move by the
    /// nearest whole step, at least 1
    #[arg(long, default_value = "10%", value_parser = parse_delta)]
    pub delta: f64,
    /// Metric whose sensitivity is measured (any metric name of `run`)
    #[arg(long, default_value = "close_rate")]
    pub metric: String,
    /// Largest effects shown in the terminal and the tornado chart (the
    /// JSON and the table hold them all)
    #[arg(long, default_value_t = 20, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub top: u16,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutArgs,
    #[command(flatten)]
    pub shard: ShardArgs,
}

fn parse_delta(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("'{s}' is not a fraction or percentage"))?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("'{s}' must be between 0% and 100% (exclusive)"))
    }
}

/// `funnelsim sensitivity`.
pub fn sensitivity(args: SensitivityArgs) -> Result<()> {
    let (mut spec, overrides) = load_spec(&args.scenario, &args.sim)?;
    if args.sim.replications.is_none() {
        // Each parameter costs two runs; paired differences are tight, so a
        // smaller default keeps a full analysis to about a minute.
        spec.simulation.replications = spec.simulation.replications.min(50);
    }
    let base = study_base(&args.scenario, &spec, &overrides)?;
    refuse_unknown_costs(&args.scenario, &base, "--metric", &args.metric)?;
    // Each parameter is perturbed from the scenario as the user set it.
    let spec = base.spec().clone();
    let n_params = if args.params.is_empty() {
        sensitivity::numeric_parameters(&spec).len()
    } else {
        args.params.len()
    };
    let runs = 2 * n_params + 1;
    if let Some(n) = share(args.shard.shard, spec.simulation.replications) {
        check_size(base.expected_buyers_per_replication(), n, runs)?;
    }
    let job = Job::start(
        args.output.out.as_deref(),
        Guard {
            inputs: &[args.scenario.as_path()],
            force: args.output.force,
        },
        args.sim.threads,
        runs as u64 * u64::from(spec.simulation.replications),
        "sensitivity",
    )?;
    let source = Source::new(
        args.shard.shard,
        &job,
        &[args.scenario.as_path()],
        args.output.force,
    )?;
    let result = job
        .simulate(|bar| {
            sensitivity::run_sensitivity(
                &spec,
                &args.params,
                args.delta,
                &args.metric,
                source.runner(),
                bar,
            )
        })?
        .map_err(|e| refusal(&e, &origin(&args.scenario), ""))?;
    let Some(job) = source.finish(job, || {
        manifest(&[&args.scenario], std::slice::from_ref(&args.sim.set), &[&base])
    })?
    else {
        return Ok(());
    };
    let summary = serde_json::json!({
        "scenario": spec.name, "seed": spec.simulation.seed, "replications": spec.simulation.replications,
        "sensitivity": output::sweep::sensitivity_json(&result),
    });
    job.write(&args.output, || {
        Ok(Outputs {
            tables: vec![(
                "sensitivity".to_owned(),
                output::sweep::sensitivity_table(&result)?,
            )],
            charts: vec![charts::tornado(&result, usize::from(args.top))?],
            summary: summary.clone(),
            manifest: manifest(&[&args.scenario], std::slice::from_ref(&args.sim.set), &[&base]),
        })
    })?;
    emit(args.output.json, &summary, || {
        let style = super::term::style();
        output::text::wrap(
            &format!(
                "funnelsim sensitivity · {} · {} replications per run · seed {}\n",
                spec.name,
                output::format::whole(f64::from(spec.simulation.replications)),
                spec.simulation.seed
            ),
            style.width,
        ) + &output::sweep::sensitivity_text(&result, Some(usize::from(args.top)), &style)
    })
}
