//! Command-line interface: argument parsing and wiring. The library does the
//! work; this module reads files, drives progress and writes outputs.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use funnelsim::engine::{self, RunObserver};
use funnelsim::output::{self, Run, fs::Staging, tables::Format};
use funnelsim::scenario::Scenario;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
}

/// Options shared by commands that simulate.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Number of Monte Carlo replications [default: the scenario's]
    #[arg(short = 'n', long, value_name = "N")]
    pub replications: Option<u32>,
    /// Master seed [default: the scenario's]
    #[arg(short, long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; results do not depend on it
    #[arg(short = 'j', long, value_name = "T")]
    pub threads: Option<usize>,
}

/// `funnelsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); see scenarios/README.md
    pub scenario: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Write every table, the JSON summary and a manifest into DIR
    /// (replaced atomically)
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Table format for --out
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Print the summary as one JSON object on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

/// A scenario file that could not be loaded; exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(format!("cannot read scenario file {}: {e}", path.display())))?;
    Scenario::from_toml_str(&text).map_err(|e| BadInput(e.render(&path.display().to_string(), &text)).into())
}

fn apply(s: Scenario, args: &SimArgs) -> Result<Scenario> {
    let s = match args.seed {
        Some(seed) => s.with_seed(seed),
        None => s,
    };
    Ok(match args.replications {
        Some(n) => s
            .with_replications(n)
            .map_err(|_| BadInput("--replications must be at least 1".into()))?,
        None => s,
    })
}

struct Progress(ProgressBar);

impl RunObserver for Progress {
    fn replication_finished(&self) {
        self.0.inc(1);
    }
}

fn progress(len: u64, label: &str) -> Progress {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} replications ({eta} left)")
            .expect("static template is valid")
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_owned());
    Progress(bar)
}

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 {
            return Err(BadInput("--threads must be at least 1".into()).into());
        }
        b = b.num_threads(t);
    }
    b.build().context("cannot start worker threads")
}

/// `funnelsim run`.
pub fn run(args: RunArgs) -> Result<()> {
    let scenario = apply(load(&args.scenario)?, &args.sim)?;
    // Check the output location before spending time simulating.
    let staging = args.out.as_deref().map(Staging::new).transpose()?;
    let pool = pool(args.sim.threads)?;
    let bar = progress(u64::from(scenario.replications()), scenario.name());
    let started = Instant::now();
    let result = pool.install(|| engine::run(&scenario, &bar));
    bar.0.finish_and_clear();
    let elapsed = started.elapsed();
    let run = Run {
        scenario: &scenario,
        result: &result,
    };
    let summary = output::json::summary(&run);
    if let Some(staging) = staging {
        for (name, mut df) in output::tables::all_tables(&run)? {
            let file = format!("{name}.{}", args.format.extension());
            output::tables::write(&mut df, &staging.path(&file), args.format)?;
        }
        staging.write("summary.json", serde_json::to_string_pretty(&summary)?.as_bytes())?;
        let manifest = serde_json::json!({
            "funnelsim_version": env!("CARGO_PKG_VERSION"),
            "scenario_file": args.scenario.display().to_string(),
            "scenario": scenario.spec(),
            "seed": scenario.seed().0,
            "replications": result.completed,
            "rng": funnelsim::rng::RNG_ALGORITHMS,
            "threads": pool.current_num_threads(),
            "window": scenario.window(),
            "note": "results depend only on (scenario, seed, replications) and the funnelsim version; threads is informational",
        });
        staging.write(
            "manifest.json",
            serde_json::to_string_pretty(&manifest)?.as_bytes(),
        )?;
        let dir = staging.commit()?;
        eprintln!(
            "wrote tables ({}), summary.json and manifest.json to {}",
            args.format.extension(),
            dir.display()
        );
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print!("{}", output::terminal::summary(&run));
        eprintln!(
            "\n{} replications in {:.2} s ({:.1} M events/s)",
            result.completed,
            elapsed.as_secs_f64(),
            result.events as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6
        );
    }
    Ok(())
}
