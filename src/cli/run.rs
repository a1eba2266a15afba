//! `funnelsim run`: one scenario, its summary, its tables and charts, and
//! optionally a synthetic CRM history.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use funnelsim::input::crm::{self, Layout};
use funnelsim::model::scenario::Scenario;
use funnelsim::output::fs::{self, Guard};
use funnelsim::output::{self, Run, charts, tables::Format};
use funnelsim::sim::engine;
use funnelsim::study::blame;

use super::args::{OutArgs, SimArgs};
use super::interrupt;
use super::job::{Job, Outputs, check_size, emit, manifest};
use super::load::{BadInput, apply, load, warn};
use super::shard::{ShardArgs, Source, share};
use super::term::note;

/// `funnelsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML; '-' reads it from standard input); see
    /// scenarios/README.md
    pub scenario: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutArgs,
    #[command(flatten)]
    pub shard: ShardArgs,
    /// Also write the stage history of the first replication, as a CRM
    /// export at the end of the window would hold it (CSV, or Parquet if
    /// FILE ends in .parquet); `calibrate` reads it
    #[arg(long, value_name = "FILE")]
    pub export_history: Option<PathBuf>,
    /// The layout of --export-history: one row per stage entry (long),
    /// Salesforce OpportunityHistory (salesforce-history), one row per deal
    /// with a "date entered" column per stage (wide), or one row per deal
    /// with its current stage and dates (snapshot)
    #[arg(long, value_enum, value_name = "LAYOUT", requires = "export_history", default_value_t = Layout::Long)]
    pub layout: Layout,
    /// Replications of the counterfactual blame ledger (the same buyers
    /// re-run with marketing, sales or both perfect); at most the run's, 0
    /// skips it
    #[arg(long, value_name = "N", default_value_t = blame::DEFAULT_REPLICATIONS)]
    pub counterfactual: u32,
}

/// Whether `path` is `dir` or lies inside it, as written or once resolved.
fn inside(path: &Path, dir: &Path) -> bool {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (p, d) = (absolute(path), absolute(dir));
    let (p, d): (PathBuf, PathBuf) = (p.components().collect(), d.components().collect());
    p.starts_with(&d)
        || match (std::fs::canonicalize(&d), p.parent().map(std::fs::canonicalize)) {
            (Ok(d), Some(Ok(parent))) => parent.starts_with(&d),
            _ => false,
        }
}

/// `funnelsim run`.
pub fn run(args: RunArgs) -> Result<()> {
    let scenario = apply(load(&args.scenario, &args.sim.overrides()?)?, &args.sim)?;
    let cf_reps = args.counterfactual.min(scenario.replications());
    warn(&args.scenario, &scenario);
    if let Some(n) = share(args.shard.shard, scenario.replications()) {
        check_size(scenario.expected_buyers_per_replication(), n, 1)?;
    }
    // Check the output locations before spending time simulating.
    let inputs = [args.scenario.as_path()];
    let guard = Guard {
        inputs: &inputs,
        force: args.output.force,
    };
    if let Some(path) = &args.export_history {
        if let Some(out) = &args.output.out
            && inside(path, out)
        {
            return Err(BadInput(format!(
                "--export-history {} is inside --out {}, which funnelsim replaces whole; write the history elsewhere",
                path.display(),
                out.display()
            ))
            .into());
        }
        fs::check_file_target(path, guard, fs::Ownership::Unmarked)?;
    }
    let job = Job::start(
        args.output.out.as_deref(),
        guard,
        args.sim.threads,
        // The run, then the four worlds of the counterfactual ledger.
        u64::from(scenario.replications()) + u64::from(cf_reps) * blame::WORLDS,
        scenario.name(),
    )?;
    let source = Source::new(args.shard.shard, &job, &inputs, args.output.force)?;
    let started = Instant::now();
    // Rows are only needed for the replications table; without --out the
    // run's memory stays flat however many replications it makes.
    let rows = if job.writes() {
        engine::Rows::Keep
    } else {
        engine::Rows::Drop
    };
    let (result, counterfactual) = job.simulate(|bar| {
        let runner = source.runner();
        let result = runner.run(&scenario, bar, rows, engine::Detail::Full);
        let counterfactual = (cf_reps > 0).then(|| blame::counterfactual(&scenario, cf_reps, runner, bar));
        (result, counterfactual)
    })?;
    let merged = source.reads();
    let Some(job) = source.finish(job, || {
        manifest(
            &[&args.scenario],
            std::slice::from_ref(&args.sim.set),
            &[&scenario],
        )
    })?
    else {
        return Ok(());
    };
    let elapsed = started.elapsed();
    let run = Run {
        scenario: &scenario,
        result: &result,
        counterfactual: counterfactual.as_ref(),
    };
    let summary = output::json::summary(&run);
    job.write(&args.output, || {
        let mut m = manifest(
            &[&args.scenario],
            std::slice::from_ref(&args.sim.set),
            &[&scenario],
        );
        m["window"] = serde_json::to_value(scenario.window())?;
        Ok(Outputs {
            tables: output::tables::all_tables(&run)?
                .into_iter()
                .map(|(n, df)| (n.to_owned(), df))
                .collect(),
            charts: charts::run_charts(&scenario, &result)?,
            summary: summary.clone(),
            manifest: m,
        })
    })?;
    if let Some(path) = &args.export_history {
        export_history(&scenario, path, args.layout, guard)?;
    }
    emit(args.output.json, &summary, || {
        let style = super::term::style();
        let text = output::terminal::summary(&run, &style);
        // The overrides belong in the header, beside the scenario's name.
        match text.split_once('\n') {
            Some((title, rest)) if !args.sim.set.is_empty() => output::text::wrap(
                &format!("{title}\n  set {}\n{rest}", args.sim.set.join(", ")),
                style.width,
            ),
            _ => text,
        }
    })?;
    if merged {
        note!("\nmerged {} replications from the parts", result.completed);
    } else if !args.output.json {
        // Buyers, warm-up and run-off included: the work the run did,
        // comparable across scenarios and engine paths.
        // Each counterfactual world simulates the buyers of a replication
        // again.
        let per_replication = result.buyers as f64 / f64::from(result.completed.max(1));
        let worlds = counterfactual.as_ref().map_or(0, |cf| cf.replications) * blame::WORLDS as u32;
        let buyers = result.buyers as f64 + per_replication * f64::from(worlds);
        let extra = if worlds > 0 {
            format!(" and {worlds} runs of the counterfactual worlds")
        } else {
            String::new()
        };
        note!(
            "\n{} replication{}{extra} in {:.2} s ({:.2} M buyers/s)",
            result.completed,
            if result.completed == 1 { "" } else { "s" },
            elapsed.as_secs_f64(),
            buyers / elapsed.as_secs_f64().max(1e-9) / 1e6
        );
    }
    Ok(())
}

fn export_history(scenario: &Scenario, path: &Path, layout: Layout, guard: Guard<'_>) -> Result<()> {
    let journeys = engine::simulate_history(scenario, 0);
    let mut df = output::history::history_table(scenario, &journeys, layout)?;
    let format = if crm::is_parquet(path) {
        Format::Parquet
    } else {
        Format::Csv
    };
    interrupt::stop_if_requested()?;
    fs::write_atomic(path, guard, fs::Ownership::Unmarked, |tmp| {
        output::tables::write(&mut df, tmp, format)
    })?;
    let layout = match layout {
        Layout::Long => String::new(),
        other => format!("layout {}: ", other.name()),
    };
    note!(
        "wrote the stage history of replication 1 ({layout}{} opportunities, {} rows, as of day {} = {}) to {}",
        output::format::whole(journeys.len() as f64),
        output::format::whole(df.height() as f64),
        scenario.window().end_day,
        crm::format_time(crm::simulation_day(scenario.window().end_day)),
        path.display()
    );
    Ok(())
}
