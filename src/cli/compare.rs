//! `funnelsim compare`: scenarios side by side with common random numbers,
//! and each one's paired difference from the first (or, with `--chain`,
//! from the one before it).

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use funnelsim::model::scenario::Scenario;
use funnelsim::output::fs::Guard;
use funnelsim::output::{self, Run, charts};
use funnelsim::study::compare;

use super::args::{OutArgs, SimArgs};
use super::job::{Job, Outputs, emit, manifest};
use super::load::{ScenarioArg, load_paired};
use super::run_paired;
use super::shard::{ShardArgs, Source};

/// `funnelsim compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files ('-' reads one from standard input); the first is the
    /// baseline the others are compared with. FILE?KEY.PATH=VALUE&… gives
    /// one scenario overrides of its own, e.g. 'a.toml?outreach.reps=6'
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Compare each scenario with the one before it (steps of a story)
    /// instead of every one with the first
    #[arg(long)]
    pub chain: bool,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutArgs,
    #[command(flatten)]
    pub shard: ShardArgs,
}

/// `funnelsim compare`.
pub fn compare(args: CompareArgs) -> Result<()> {
    let parsed: Vec<ScenarioArg> = args.scenarios.iter().map(|p| ScenarioArg::parse(p)).collect();
    let (scenarios, seed, reps) = load_paired(&parsed, &args.sim, args.shard.shard)?;
    let inputs: Vec<&Path> = parsed.iter().map(|a| a.file.as_path()).collect();
    let sets: Vec<Vec<String>> = parsed.iter().map(|a| a.all_set(&args.sim)).collect();
    let job = Job::start(
        args.output.out.as_deref(),
        Guard {
            inputs: &inputs,
            force: args.output.force,
        },
        args.sim.threads,
        u64::from(reps) * scenarios.len() as u64,
        "compare",
    )?;
    let source = Source::new(args.shard.shard, &job, &inputs, args.output.force)?;
    let metrics = compare::key_metrics(&scenarios.iter().collect::<Vec<_>>());
    // Only the compared metrics are kept per replication (for the paired
    // differences): memory stays flat in the replication count.
    let (results, labels) = run_paired(&job, source.runner(), &scenarios, &metrics)?;
    let Some(job) = source.finish(job, || {
        manifest(&inputs, &sets, &scenarios.iter().collect::<Vec<_>>())
    })?
    else {
        return Ok(());
    };
    // Each candidate's baseline: the first scenario, or with --chain the
    // one before it.
    let baseline = |i: usize| if args.chain { i - 1 } else { 0 };
    let rows: Vec<_> = (1..results.len())
        .map(|i| compare::compare(&results[baseline(i)], &results[i], &metrics))
        .collect();
    let versus: Vec<output::compare::Versus<'_>> = rows
        .iter()
        .enumerate()
        .map(|(i, rows)| output::compare::Versus {
            baseline: &labels[baseline(i + 1)],
            candidate: &labels[i + 1],
            rows,
        })
        .collect();
    let summary = serde_json::json!({
        "seed": seed,
        "replications": reps,
        "chain": args.chain,
        "scenarios": scenarios.iter().zip(&results).zip(&labels).zip(&parsed).zip(&sets).map(|((((s, r), l), p), set)| serde_json::json!({
            "label": l, "name": s.name(), "file": p.file.display().to_string(), "set": set,
            "summary": output::json::summary(&Run { scenario: s, result: r, counterfactual: None }),
        })).collect::<Vec<_>>(),
        "comparisons": versus.iter().map(output::compare::json).collect::<Vec<_>>(),
    });
    job.write(&args.output, || {
        let refs: Vec<&Scenario> = scenarios.iter().collect();
        Ok(Outputs {
            tables: vec![("comparison".to_owned(), output::compare::table(&versus)?)],
            charts: versus
                .iter()
                .map(|v| {
                    charts::comparison(
                        &format!("comparison_{}", v.candidate),
                        v.baseline,
                        v.candidate,
                        v.rows,
                    )
                })
                .collect::<Result<Vec<_>>>()?,
            summary: summary.clone(),
            manifest: manifest(&inputs, &sets, &refs),
        })
    })?;
    emit(args.output.json, &summary, || {
        let mut text = format!(
            "funnelsim compare · {reps} replications · seed {seed} · common random numbers (replication k of every scenario meets the same buyers)\n"
        );
        for (((s, l), p), set) in scenarios.iter().zip(&labels).zip(&parsed).zip(&sets) {
            text.push_str(&format!(
                "  {l} = {} ({}){}\n",
                s.name(),
                p.file.display(),
                output::report::set_note(set)
            ));
        }
        if args.chain {
            text.push_str("  each scenario is compared with the one before it (--chain)\n");
        }
        if let Some((_, l)) = scenarios.iter().zip(&labels).find(|(s, _)| !s.costs_known()) {
            text.push_str(&format!(
                "  spend, profit, ROI and cost per win are left out: {l}'s costs are unknown (placeholders)\n"
            ));
        }
        text.push_str(&format!(
            "  {}\n",
            output::terminal::window_sentence(&scenarios[0])
        ));
        let style = super::term::style();
        style.lay_out(&text) + &output::compare::text(&versus, &style)
    })
}
