//! `funnelsim report`: a self-contained HTML report of one or more
//! scenarios.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use funnelsim::model::scenario::Scenario;
use funnelsim::output::charts::{self, ImageFormat};
use funnelsim::output::fs::Guard;
use funnelsim::output::{self, Run};
use funnelsim::sim::engine;
use funnelsim::sim::shard::Simulate;
use funnelsim::study::blame;
use funnelsim::study::compare;

use super::args::SimArgs;
use super::interrupt;
use super::job::{Job, manifest};
use super::load::scenario_label;
use super::load::{ScenarioArg, load_paired};
use super::term::note;

/// `funnelsim report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario files ('-' reads one from standard input); with several, the
    /// first is the baseline. FILE?KEY.PATH=VALUE&… gives one scenario
    /// overrides of its own
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Compare each scenario with the one before it (steps of a story)
    /// instead of every one with the first
    #[arg(long)]
    pub chain: bool,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output directory (replaced atomically; an existing one only if it is
    /// empty or funnelsim wrote it, or with --force)
    #[arg(short, long, value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Replace DIR even if funnelsim did not write it
    #[arg(long)]
    pub force: bool,
    /// Also write every chart as PNG at 2× for slides (SVG is always
    /// written)
    #[arg(long)]
    pub png: bool,
}

/// `funnelsim report`.
pub fn report(args: ReportArgs) -> Result<()> {
    let parsed: Vec<ScenarioArg> = args.scenarios.iter().map(|p| ScenarioArg::parse(p)).collect();
    let (scenarios, _, reps) = load_paired(&parsed, &args.sim, None)?;
    let inputs: Vec<&Path> = parsed.iter().map(|a| a.file.as_path()).collect();
    let sets: Vec<Vec<String>> = parsed.iter().map(|a| a.all_set(&args.sim)).collect();
    let job = Job::start(
        Some(&args.out),
        Guard {
            inputs: &inputs,
            force: args.force,
        },
        args.sim.threads,
        u64::from(reps) * scenarios.len() as u64 * (1 + blame::WORLDS),
        "report",
    )?;
    let (results, counterfactuals) = job.simulate(|bar| {
        let results: Vec<_> = scenarios.iter().map(|s| engine::run(s, bar)).collect();
        let counterfactuals: Vec<_> = scenarios
            .iter()
            .map(|s| blame::counterfactual(s, s.replications(), &Simulate, bar))
            .collect();
        (results, counterfactuals)
    })?;
    let labels: Vec<String> = (0..scenarios.len()).map(scenario_label).collect();
    let mut sections = Vec::new();
    for ((((s, r), l), cf), set) in scenarios
        .iter()
        .zip(&results)
        .zip(&labels)
        .zip(&counterfactuals)
        .zip(&sets)
    {
        let mut charts = charts::run_charts(s, r)?;
        if scenarios.len() > 1 {
            for c in &mut charts {
                c.name = format!("{}_{l}", c.name);
            }
        }
        sections.push(output::report::ScenarioSection {
            run: Run {
                scenario: s,
                result: r,
                counterfactual: Some(cf),
            },
            label: l.clone(),
            set: set.clone(),
            charts,
        });
    }
    let metrics = compare::key_metrics(&scenarios.iter().collect::<Vec<_>>());
    // Each candidate's baseline: the first scenario, or with --chain the
    // one before it.
    let baseline = |i: usize| if args.chain { i - 1 } else { 0 };
    let rows: Vec<_> = (1..results.len())
        .map(|i| compare::compare(&results[baseline(i)], &results[i], &metrics))
        .collect();
    let mut comparison = Vec::new();
    for (i, rows) in rows.iter().enumerate() {
        let v = output::compare::Versus {
            baseline: &labels[baseline(i + 1)],
            candidate: &labels[i + 1],
            rows,
        };
        let chart = charts::comparison(
            &format!("comparison_{}", labels[i + 1]),
            v.baseline,
            v.candidate,
            rows,
        )?;
        comparison.push((v, chart));
    }
    let html = output::report::html(&sections, &comparison, args.chain);
    let staging = job.staged();
    staging.write("report.html", html.as_bytes())?;
    for c in sections
        .iter()
        .flat_map(|s| s.charts.iter())
        .chain(comparison.iter().map(|(_, c)| c))
    {
        interrupt::stop_if_requested()?;
        c.write(&staging.path(""), ImageFormat::Svg)?;
        if args.png {
            c.write(&staging.path(""), ImageFormat::Png)?;
        }
    }
    let refs: Vec<&Scenario> = scenarios.iter().collect();
    let m = manifest(&inputs, &sets, &refs);
    if let Some(dir) = job.commit(m)? {
        note!("wrote {}", dir.join("report.html").display());
    }
    Ok(())
}
