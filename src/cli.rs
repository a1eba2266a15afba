//! Command-line interface: argument parsing and wiring. The library does the
//! work; this module reads files, drives progress and writes outputs.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use funnelsim::model::scenario::overrides::Override;
use funnelsim::model::scenario::{Scenario, parse_spec, spec::ScenarioSpec};
use funnelsim::output::charts::{self, Chart, ImageFormat};
use funnelsim::output::fs::{self, Guard, Staging};
use funnelsim::output::{self, Run, tables::Format};
use funnelsim::sim::engine::{self, RunObserver};
use funnelsim::study::compare::{self, KEY_METRICS};
use funnelsim::study::sensitivity;
use funnelsim::study::sweep::{self, Objective, Vary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use polars::prelude::DataFrame;

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
    /// Perturb each numeric parameter down and up and rank them by their
    /// effect on a metric (the data behind a tornado chart).
    Sensitivity(SensitivityArgs),
    /// Write a self-contained HTML report (headline numbers, every chart, a
    /// plain-language narrative and, with several scenarios, the paired
    /// comparison) into DIR/report.html.
    Report(ReportArgs),
    /// Fit a scenario to CRM stage history (CSV or Parquet): dwell times,
    /// stall and win rates, deal values, sources; write it as a commented
    /// TOML file and print a fit report that checks it against the history.
    Calibrate(CalibrateArgs),
}

/// `funnelsim calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Stage history: one row per stage entry (CSV, or Parquet if the name
    /// ends in .parquet); format in docs/calibration.md
    pub history: PathBuf,
    /// The funnel's stage names in journey order, comma-separated, as they
    /// appear in the stage column
    #[arg(long, value_delimiter = ',', required = true, value_name = "S1,S2,…")]
    pub stages: Vec<String>,
    /// Where to write the fitted scenario (written atomically; an existing
    /// file is replaced only if `calibrate` wrote it, or with --force)
    #[arg(short, long, value_name = "FILE", default_value = "calibrated.toml")]
    pub out: PathBuf,
    /// Replace --out even if funnelsim did not write it
    #[arg(long)]
    pub force: bool,
    /// Read the history as of this time (later rows ignored, later closings
    /// open) [default: the latest timestamp in the file]
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Simulated histories for the fit check
    #[arg(short = 'n', long, value_name = "N", default_value_t = 200)]
    pub replications: u32,
    /// Seed of the fit check
    #[arg(short, long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Worker threads [default: all cores]
    #[arg(short = 'j', long, value_name = "T")]
    pub threads: Option<usize>,
    /// Opportunity id column
    #[arg(long, default_value = "opportunity_id", value_name = "NAME")]
    pub id_col: String,
    /// Stage name column
    #[arg(long, default_value = "stage", value_name = "NAME")]
    pub stage_col: String,
    /// Stage entry time column
    #[arg(long, default_value = "entered_at", value_name = "NAME")]
    pub entered_col: String,
    /// Lead source column (optional in the file)
    #[arg(long, default_value = "source", value_name = "NAME")]
    pub source_col: String,
    /// Segment column (optional in the file)
    #[arg(long, default_value = "segment", value_name = "NAME")]
    pub segment_col: String,
    /// Amount column (optional in the file)
    #[arg(long, default_value = "amount", value_name = "NAME")]
    pub amount_col: String,
    /// Outcome column (optional in the file)
    #[arg(long, default_value = "outcome", value_name = "NAME")]
    pub outcome_col: String,
    /// Closed-at column (optional in the file)
    #[arg(long, default_value = "closed_at", value_name = "NAME")]
    pub closed_col: String,
}

/// `funnelsim report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario files ('-' reads one from standard input); with several, the
    /// first is the baseline
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output directory (replaced atomically; an existing one only if it is
    /// empty or funnelsim wrote it, or with --force)
    #[arg(short, long, value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Replace DIR even if funnelsim did not write it
    #[arg(long)]
    pub force: bool,
}

/// Output options shared by every command.
#[derive(Debug, Args)]
pub struct OutArgs {
    /// Write the tables, the JSON summary and a manifest into DIR (replaced
    /// atomically; an existing DIR only if it is empty or funnelsim wrote it)
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace outputs (--out DIR, and run's --export-history FILE) even if
    /// funnelsim did not write them. Inputs are never replaced.
    #[arg(long)]
    pub force: bool,
    /// Table format for --out
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Print the result as one JSON object on stdout instead of text
    #[arg(long)]
    pub json: bool,
    /// With --out, also write every chart as PNG (SVG is always written)
    #[arg(long)]
    pub png: bool,
}

/// `funnelsim compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files ('-' reads one from standard input); the first is the
    /// baseline the others are compared with
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutArgs,
}

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
}

/// `funnelsim sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML; '-' reads it from standard input)
    pub scenario: PathBuf,
    /// Comma-separated parameter paths [default: every numeric parameter
    /// outside [simulation]]
    #[arg(long, value_delimiter = ',', value_name = "P1,P2,…")]
    pub params: Vec<String>,
    /// Relative perturbation, e.g. 10% or 0.1
    #[arg(long, default_value = "10%", value_parser = parse_delta)]
    pub delta: f64,
    /// Metric whose sensitivity is measured (any metric name of `run`)
    #[arg(long, default_value = "close_rate")]
    pub metric: String,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutArgs,
}

fn parse_objective(s: &str) -> Result<Objective, String> {
    s.parse()
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
    /// Override a scenario parameter by key path, e.g. outreach.reps=6 or
    /// channels.trade_shows.fit=0.5 (repeatable)
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
}

impl SimArgs {
    fn overrides(&self) -> Result<Vec<Override>> {
        self.set
            .iter()
            .map(|s| Override::parse(s).map_err(|e| BadInput(e.to_string()).into()))
            .collect()
    }
}

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
    /// Also write the stage history of the first replication, as a CRM
    /// export at the end of the window would hold it (CSV, or Parquet if
    /// FILE ends in .parquet); `calibrate` reads it
    #[arg(long, value_name = "FILE")]
    pub export_history: Option<PathBuf>,
}

/// Set by the SIGINT/SIGTERM handler; the engine stops between chunks of
/// replications when it is set.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the SIGINT/SIGTERM handler: the first signal asks the run to
/// stop (it stops within a chunk of replications, well under a second); the
/// staging directory is then removed and nothing is written.
pub fn install_interrupt_handler() {
    // Failing to install (e.g. a handler already exists) only loses the
    // graceful stop; the default action still ends the process.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            return; // The watchdog is already on its way.
        }
        // Simulations notice the flag within a chunk of replications; a
        // phase that cannot check it (a fit, a chart, a table writer) must
        // not keep the user waiting: past the grace period, the staged
        // outputs are removed and the process ends with the same status.
        std::thread::spawn(|| {
            std::thread::sleep(INTERRUPT_GRACE);
            fs::abandon_staged();
            eprintln!("error: interrupted; nothing was written");
            std::process::exit(130);
        });
    });
}

/// How long an interrupted command may take to stop by itself.
const INTERRUPT_GRACE: std::time::Duration = std::time::Duration::from_millis(700);

/// The command was interrupted; exit status 130.
#[derive(Debug)]
pub struct Interrupted {
    /// Replications finished and requested, when the interrupt came during
    /// a simulation.
    pub progress: Option<(u64, u64)>,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.progress {
            Some((done, total)) => write!(
                f,
                "interrupted: {done} of {total} replications finished; nothing was written"
            ),
            None => write!(f, "interrupted; nothing was written"),
        }
    }
}

impl std::error::Error for Interrupted {}

fn check_interrupted(bar: &Progress) -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        let (done, total) = (bar.0.position(), bar.0.length().unwrap_or(0));
        bar.0.finish_and_clear();
        return Err(Interrupted {
            progress: Some((done, total)),
        }
        .into());
    }
    Ok(())
}

/// Stops before an output is committed if the user interrupted meanwhile.
fn stop_if_interrupted() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Interrupted { progress: None }.into());
    }
    Ok(())
}

/// A scenario file that could not be loaded; exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// The scenario path that means standard input.
const STDIN: &str = "-";

fn read(path: &Path) -> Result<String> {
    if path.as_os_str() == STDIN {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| BadInput(format!("cannot read a scenario from standard input: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| BadInput(format!("cannot read scenario file {}: {e}", path.display())).into())
}

/// Standard input can be read once: at most one scenario may come from it.
fn stdin_once(paths: &[PathBuf]) -> Result<()> {
    if paths.iter().filter(|p| p.as_os_str() == STDIN).count() > 1 {
        return Err(BadInput("standard input ('-') can hold only one of the scenarios".into()).into());
    }
    Ok(())
}

/// How messages name a scenario's source.
fn origin(path: &Path) -> String {
    if path.as_os_str() == STDIN {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads a scenario file, applies `--set` overrides and validates it.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario> {
    let text = read(path)?;
    Ok(Scenario::from_toml_str_with(&text, overrides)
        .map_err(|e| BadInput(e.render(&origin(path), &text)))?)
}

/// Prints a scenario's warnings (legal but suspicious settings) once, on
/// stderr, for the scenario as it will actually run.
fn warn(path: &Path, s: &Scenario) {
    for w in s.warnings() {
        eprintln!("warning: {}: {w}", origin(path));
    }
}

/// Buyers one core simulates per second, roughly (see docs/performance.md).
const BUYERS_PER_CORE_SECOND: f64 = 1.0e6;

/// Runs expected to take longer than this get an estimate before they start.
const LONG_RUN_SECONDS: f64 = 10.0;

/// A rough duration in words: "40 s", "12 min", "3.5 h".
fn duration_words(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0} s")
    } else if seconds < 5400.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// Refuses runs whose work or memory is absurd for the machine, before
/// anything runs, with the estimate and how to shrink it.
fn guard(buyers_per_replication: f64, replications: u32, runs: usize) -> Result<()> {
    // A buyer's state is ~130 bytes and each replication keeps its buyers;
    // pending events add about as much again.
    let bytes_per_replication = buyers_per_replication * 300.0;
    if bytes_per_replication > 4.0 * (1u64 << 30) as f64 {
        return Err(BadInput(format!(
            "one replication would simulate about {:.2e} buyers and need about {:.0} GiB; shorten the horizon or lower the channels' lead rates",
            buyers_per_replication,
            bytes_per_replication / (1u64 << 30) as f64
        ))
        .into());
    }
    let total = buyers_per_replication * f64::from(replications) * runs as f64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let seconds = total / BUYERS_PER_CORE_SECOND / cores;
    let hours = seconds / 3600.0;
    if seconds > LONG_RUN_SECONDS && hours <= 24.0 {
        eprintln!(
            "note: this run simulates about {total:.2e} buyers; expect roughly {} on {cores} cores (Ctrl-C stops it, writing nothing)",
            duration_words(seconds)
        );
    }
    if hours > 24.0 {
        return Err(BadInput(format!(
            "this run would simulate about {total:.2e} buyers ({buyers_per_replication:.2e} per replication × {replications} replications × {runs} runs), roughly {hours:.0} hours on {cores} cores; use fewer --replications, fewer sweep points or a shorter horizon"
        ))
        .into());
    }
    Ok(())
}

/// Reads a scenario file into its raw spec (for sweeps and sensitivity,
/// which build many scenarios from it).
fn load_spec(path: &Path, args: &SimArgs) -> Result<(ScenarioSpec, Vec<Override>)> {
    let text = read(path)?;
    let origin = origin(path);
    let overrides = args.overrides()?;
    // Validate once up front, so file errors carry their line numbers.
    Scenario::from_toml_str_with(&text, &overrides).map_err(|e| BadInput(e.render(&origin, &text)))?;
    let mut spec = parse_spec(&text).map_err(|e| BadInput(e.render(&origin, &text)))?;
    if let Some(seed) = args.seed {
        spec.simulation.seed = seed;
    }
    if let Some(n) = args.replications {
        if n == 0 {
            return Err(BadInput("--replications must be at least 1".into()).into());
        }
        spec.simulation.replications = n;
    }
    Ok((spec, overrides))
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

    fn cancelled(&self) -> bool {
        INTERRUPTED.load(Ordering::Relaxed)
    }
}

fn progress(len: u64, label: &str) -> Progress {
    let label = if label.chars().count() > 40 {
        format!("{}…", label.chars().take(39).collect::<String>())
    } else {
        label.to_owned()
    };
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
    bar.set_prefix(label);
    Progress(bar)
}

/// Checks `--out` before any simulation and prepares its staging directory.
fn staging(out: Option<&Path>, guard: Guard<'_>) -> Result<Option<Staging>> {
    out.map(|dir| Staging::new(dir, guard)).transpose()
}

/// More worker threads than this buy nothing (each replication runs on one
/// thread, and no machine funnelsim targets has more cores) and take long
/// to start; refused as a likely typo.
const MAX_THREADS: usize = 1024;

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 {
            return Err(BadInput("--threads must be at least 1".into()).into());
        }
        if t > MAX_THREADS {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            return Err(BadInput(format!(
                "--threads {t} is more than {MAX_THREADS}; results do not depend on threads, and this machine has {cores} cores (leave -j out to use them all)"
            ))
            .into());
        }
        b = b.num_threads(t);
    }
    b.build().context("cannot start worker threads")
}

/// Writes tables plus `summary.json` and `manifest.json`, then swaps the
/// directory into place.
fn write_outputs(
    staging: Staging,
    out: &OutArgs,
    tables: Vec<(String, DataFrame)>,
    charts: &[Chart],
    summary: &serde_json::Value,
    manifest: serde_json::Value,
) -> Result<()> {
    let format = out.format;
    for c in charts {
        c.write(&staging.path(""), ImageFormat::Svg)?;
        if out.png {
            c.write(&staging.path(""), ImageFormat::Png)?;
        }
    }
    for (name, mut df) in tables {
        let file = format!("{name}.{}", format.extension());
        output::tables::write(&mut df, &staging.path(&file), format)?;
    }
    staging.write("summary.json", serde_json::to_string_pretty(summary)?.as_bytes())?;
    stop_if_interrupted()?;
    let dir = staging.commit(manifest)?;
    eprintln!(
        "wrote tables ({}), {} charts, summary.json and manifest.json to {}",
        format.extension(),
        charts.len(),
        dir.display()
    );
    Ok(())
}

fn manifest(files: &[&Path], scenarios: &[&Scenario], threads: usize) -> serde_json::Value {
    serde_json::json!({
        "funnelsim_version": env!("CARGO_PKG_VERSION"),
        "scenario_files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "scenarios": scenarios.iter().map(|s| s.spec()).collect::<Vec<_>>(),
        "seed": scenarios.first().map(|s| s.seed().0),
        "replications": scenarios.first().map(|s| s.replications()),
        "rng": funnelsim::sim::rng::RNG_ALGORITHMS,
        "threads": threads,
        "note": "results depend only on (scenario, seed, replications) and the funnelsim version; threads is informational",
    })
}

fn emit(json: bool, value: &serde_json::Value, text: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        print!("{}", text());
    }
    Ok(())
}

/// `funnelsim run`.
pub fn run(args: RunArgs) -> Result<()> {
    let scenario = apply(load(&args.scenario, &args.sim.overrides()?)?, &args.sim)?;
    warn(&args.scenario, &scenario);
    guard(
        scenario.expected_buyers_per_replication(),
        scenario.replications(),
        1,
    )?;
    // Check the output location before spending time simulating.
    let inputs = [args.scenario.as_path()];
    let guard = Guard {
        inputs: &inputs,
        force: args.output.force,
    };
    if let Some(path) = &args.export_history {
        fs::check_file_target(path, guard, fs::Ownership::Unmarked)?;
    }
    let staging = staging(args.output.out.as_deref(), guard)?;
    let pool = pool(args.sim.threads)?;
    let bar = progress(u64::from(scenario.replications()), scenario.name());
    let started = Instant::now();
    // Rows are only needed for the replications table; without --out the
    // run's memory stays flat however many replications it makes.
    let rows = if staging.is_some() {
        engine::Rows::Keep
    } else {
        engine::Rows::Drop
    };
    let result = pool.install(|| engine::run_with(&scenario, &bar, rows));
    check_interrupted(&bar)?;
    bar.0.finish_and_clear();
    let elapsed = started.elapsed();
    let run = Run {
        scenario: &scenario,
        result: &result,
    };
    let summary = output::json::summary(&run);
    if let Some(staging) = staging {
        let tables = output::tables::all_tables(&run)?
            .into_iter()
            .map(|(n, df)| (n.to_owned(), df))
            .collect();
        let mut m = manifest(&[&args.scenario], &[&scenario], pool.current_num_threads());
        m["window"] = serde_json::to_value(scenario.window())?;
        let charts = charts::run_charts(&scenario, &result)?;
        write_outputs(staging, &args.output, tables, &charts, &summary, m)?;
    }
    if let Some(path) = &args.export_history {
        export_history(&scenario, path, guard)?;
    }
    emit(args.output.json, &summary, || output::terminal::summary(&run))?;
    if !args.output.json {
        eprintln!(
            "\n{} replications in {:.2} s ({:.1} M events/s)",
            result.completed,
            elapsed.as_secs_f64(),
            result.events as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6
        );
    }
    Ok(())
}

/// Loads the scenarios of a comparison or report. Common random numbers:
/// every scenario runs with the same seed and replication count (the first
/// scenario's unless given), so replication k of each meets the same buyers.
fn load_paired(paths: &[PathBuf], sim: &SimArgs) -> Result<(Vec<Scenario>, u64, u32)> {
    stdin_once(paths)?;
    let overrides = sim.overrides()?;
    let loaded = paths
        .iter()
        .map(|p| load(p, &overrides))
        .collect::<Result<Vec<_>>>()?;
    let seed = sim.seed.unwrap_or(loaded[0].seed().0);
    let reps = sim.replications.unwrap_or(loaded[0].replications());
    let scenarios = loaded
        .into_iter()
        .map(|s| {
            s.with_seed(seed)
                .with_replications(reps)
                .map_err(|_| BadInput("--replications must be at least 1".into()).into())
        })
        .collect::<Result<Vec<_>>>()?;
    for (s, p) in scenarios.iter().zip(paths) {
        warn(p, s);
        guard(s.expected_buyers_per_replication(), reps, scenarios.len())?;
    }
    Ok((scenarios, seed, reps))
}

/// Spreadsheet-style label of the `i`-th scenario: A … Z, AA, AB, …, so
/// labels stay distinct however many scenarios are compared.
fn scenario_label(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        n -= 1;
        s.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII letters")
}

/// Runs every scenario of a comparison or report on `pool` with one
/// progress bar; labels them A, B, C, …
fn run_paired(
    scenarios: &[Scenario],
    reps: u32,
    pool: &rayon::ThreadPool,
    label: &str,
) -> Result<(Vec<engine::RunResult>, Vec<String>)> {
    let bar = progress(u64::from(reps) * scenarios.len() as u64, label);
    let results = scenarios
        .iter()
        .map(|s| pool.install(|| engine::run(s, &bar)))
        .collect();
    check_interrupted(&bar)?;
    bar.0.finish_and_clear();
    let labels = (0..scenarios.len()).map(scenario_label).collect();
    Ok((results, labels))
}

/// `funnelsim compare`.
pub fn compare(args: CompareArgs) -> Result<()> {
    let (scenarios, seed, reps) = load_paired(&args.scenarios, &args.sim)?;
    let inputs: Vec<&Path> = args.scenarios.iter().map(PathBuf::as_path).collect();
    let staging = staging(
        args.output.out.as_deref(),
        Guard {
            inputs: &inputs,
            force: args.output.force,
        },
    )?;
    let pool = pool(args.sim.threads)?;
    let (results, labels) = run_paired(&scenarios, reps, &pool, "compare")?;
    let rows: Vec<_> = results[1..]
        .iter()
        .map(|r| compare::compare(&results[0], r, &KEY_METRICS))
        .collect();
    let versus: Vec<output::compare::Versus<'_>> = rows
        .iter()
        .enumerate()
        .map(|(i, rows)| output::compare::Versus {
            baseline: &labels[0],
            candidate: &labels[i + 1],
            rows,
        })
        .collect();
    let summary = serde_json::json!({
        "seed": seed,
        "replications": reps,
        "scenarios": scenarios.iter().zip(&results).zip(&labels).zip(&args.scenarios).map(|(((s, r), l), p)| serde_json::json!({
            "label": l, "name": s.name(), "file": p.display().to_string(),
            "summary": output::json::summary(&Run { scenario: s, result: r }),
        })).collect::<Vec<_>>(),
        "comparisons": versus.iter().map(output::compare::json).collect::<Vec<_>>(),
    });
    if let Some(staging) = staging {
        let tables = vec![("comparison".to_owned(), output::compare::table(&versus)?)];
        let refs: Vec<&Scenario> = scenarios.iter().collect();
        let files: Vec<&Path> = args.scenarios.iter().map(PathBuf::as_path).collect();
        let charts = versus
            .iter()
            .map(|v| {
                charts::comparison(
                    &format!("comparison_{}", v.candidate),
                    v.baseline,
                    v.candidate,
                    v.rows,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let m = manifest(&files, &refs, pool.current_num_threads());
        write_outputs(staging, &args.output, tables, &charts, &summary, m)?;
    }
    emit(args.output.json, &summary, || {
        let mut text = format!(
            "funnelsim compare · {reps} replications · seed {seed} · common random numbers (replication k of every scenario meets the same buyers)\n"
        );
        for ((s, l), p) in scenarios.iter().zip(&labels).zip(&args.scenarios) {
            text.push_str(&format!("  {l} = {} ({})\n", s.name(), p.display()));
        }
        text.push_str(&format!(
            "  {}\n",
            output::terminal::window_sentence(&scenarios[0])
        ));
        text + &output::compare::text(&versus)
    })
}

/// `funnelsim sweep`.
pub fn sweep(args: SweepArgs) -> Result<()> {
    let (spec, overrides) = load_spec(&args.scenario, &args.sim)?;
    let varies = args
        .vary
        .iter()
        .map(|v| Vary::parse(v).map_err(BadInput))
        .collect::<Result<Vec<_>, _>>()?;
    let points = sweep::grid(&varies).map_err(BadInput)?.len();
    let base = Scenario::from_spec(spec.clone()).map_err(|e| BadInput(e.to_string()))?;
    warn(&args.scenario, &base);
    guard(
        base.expected_buyers_per_replication(),
        spec.simulation.replications,
        points,
    )?;
    let staging = staging(
        args.output.out.as_deref(),
        Guard {
            inputs: &[args.scenario.as_path()],
            force: args.output.force,
        },
    )?;
    let pool = pool(args.sim.threads)?;
    let bar = progress(points as u64 * u64::from(spec.simulation.replications), "sweep");
    let metrics: Vec<&str> = [
        "close_rate",
        "win_rate",
        "won",
        "revenue",
        "profit",
        "roi",
        "cost_per_win",
    ]
    .to_vec();
    let result = pool
        .install(|| sweep::run_sweep(&spec, &overrides, &varies, args.objective, &metrics, &bar))
        .map_err(|(point, e)| {
            let at: Vec<String> = point.iter().map(|o| format!("{}={}", o.path, o.value)).collect();
            BadInput(format!(
                "{}: at sweep point {}: {e}",
                args.scenario.display(),
                at.join(" ")
            ))
        })?;
    check_interrupted(&bar)?;
    bar.0.finish_and_clear();
    let summary = serde_json::json!({
        "scenario": spec.name, "seed": spec.simulation.seed, "replications": spec.simulation.replications,
        "sweep": output::sweep::sweep_json(&result),
    });
    if let Some(staging) = staging {
        let s = Scenario::from_spec(spec.clone())?;
        let tables = vec![("sweep".to_owned(), output::sweep::sweep_table(&result)?)];
        let charts = [charts::sweep(&result)?];
        let m = manifest(&[&args.scenario], &[&s], pool.current_num_threads());
        write_outputs(staging, &args.output, tables, &charts, &summary, m)?;
    }
    emit(args.output.json, &summary, || {
        format!(
            "funnelsim sweep · {} · {} points × {} replications · seed {} (all points share random numbers)\n",
            spec.name, points, spec.simulation.replications, spec.simulation.seed
        ) + &output::sweep::sweep_text(&result)
    })
}

/// `funnelsim sensitivity`.
pub fn sensitivity(args: SensitivityArgs) -> Result<()> {
    let (mut spec, overrides) = load_spec(&args.scenario, &args.sim)?;
    if args.sim.replications.is_none() {
        // Each parameter costs two runs; paired differences are tight, so a
        // smaller default keeps a full analysis to about a minute.
        spec.simulation.replications = spec.simulation.replications.min(50);
    }
    let (spec, _) = funnelsim::model::scenario::overrides::apply(&spec, &overrides)
        .map_err(|e| BadInput(e.to_string()))?;
    let base = Scenario::from_spec(spec.clone()).map_err(|e| BadInput(e.to_string()))?;
    let n_params = if args.params.is_empty() {
        sensitivity::numeric_parameters(&spec).len()
    } else {
        args.params.len()
    };
    warn(&args.scenario, &base);
    guard(
        base.expected_buyers_per_replication(),
        spec.simulation.replications,
        2 * n_params + 1,
    )?;
    let staging = staging(
        args.output.out.as_deref(),
        Guard {
            inputs: &[args.scenario.as_path()],
            force: args.output.force,
        },
    )?;
    let pool = pool(args.sim.threads)?;
    let bar = progress(
        (2 * n_params as u64 + 1) * u64::from(spec.simulation.replications),
        "sensitivity",
    );
    let result = pool
        .install(|| sensitivity::run_sensitivity(&spec, &args.params, args.delta, &args.metric, &bar))
        .map_err(|e| BadInput(format!("{}: {e}", args.scenario.display())))?;
    check_interrupted(&bar)?;
    bar.0.finish_and_clear();
    let summary = serde_json::json!({
        "scenario": spec.name, "seed": spec.simulation.seed, "replications": spec.simulation.replications,
        "sensitivity": output::sweep::sensitivity_json(&result),
    });
    if let Some(staging) = staging {
        let s = Scenario::from_spec(spec.clone())?;
        let tables = vec![(
            "sensitivity".to_owned(),
            output::sweep::sensitivity_table(&result)?,
        )];
        let charts = [charts::tornado(&result)?];
        let m = manifest(&[&args.scenario], &[&s], pool.current_num_threads());
        write_outputs(staging, &args.output, tables, &charts, &summary, m)?;
    }
    emit(args.output.json, &summary, || {
        format!(
            "funnelsim sensitivity · {} · {} replications per run · seed {}\n",
            spec.name, spec.simulation.replications, spec.simulation.seed
        ) + &output::sweep::sensitivity_text(&result)
    })
}

/// `funnelsim report`.
pub fn report(args: ReportArgs) -> Result<()> {
    let (scenarios, _, reps) = load_paired(&args.scenarios, &args.sim)?;
    let inputs: Vec<&Path> = args.scenarios.iter().map(PathBuf::as_path).collect();
    let staging = Staging::new(
        &args.out,
        Guard {
            inputs: &inputs,
            force: args.force,
        },
    )?;
    let pool = pool(args.sim.threads)?;
    let (results, labels) = run_paired(&scenarios, reps, &pool, "report")?;
    let mut sections = Vec::new();
    for ((s, r), l) in scenarios.iter().zip(&results).zip(&labels) {
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
            },
            label: l.clone(),
            charts,
        });
    }
    let rows: Vec<_> = results[1..]
        .iter()
        .map(|r| compare::compare(&results[0], r, &KEY_METRICS))
        .collect();
    let mut comparison = Vec::new();
    for (i, rows) in rows.iter().enumerate() {
        let v = output::compare::Versus {
            baseline: &labels[0],
            candidate: &labels[i + 1],
            rows,
        };
        let chart = charts::comparison(
            &format!("comparison_{}", labels[i + 1]),
            &labels[0],
            &labels[i + 1],
            rows,
        )?;
        comparison.push((v, chart));
    }
    let html = output::report::html(&sections, &comparison);
    staging.write("report.html", html.as_bytes())?;
    for c in sections
        .iter()
        .flat_map(|s| s.charts.iter())
        .chain(comparison.iter().map(|(_, c)| c))
    {
        c.write(&staging.path(""), ImageFormat::Svg)?;
    }
    let refs: Vec<&Scenario> = scenarios.iter().collect();
    let files: Vec<&Path> = args.scenarios.iter().map(PathBuf::as_path).collect();
    let m = manifest(&files, &refs, pool.current_num_threads());
    stop_if_interrupted()?;
    let dir = staging.commit(m)?;
    eprintln!("wrote {}", dir.join("report.html").display());
    Ok(())
}

fn export_history(scenario: &Scenario, path: &Path, guard: Guard<'_>) -> Result<()> {
    let journeys = engine::simulate_history(scenario, 0);
    let mut df = output::history::journeys_table(scenario, &journeys)?;
    let format = if output::history::is_parquet(path) {
        Format::Parquet
    } else {
        Format::Csv
    };
    stop_if_interrupted()?;
    fs::write_atomic(path, guard, fs::Ownership::Unmarked, |tmp| {
        output::tables::write(&mut df, tmp, format)
    })?;
    eprintln!(
        "wrote the stage history of replication 1 ({} opportunities, {} rows, as of day {} = {}) to {}",
        journeys.len(),
        df.height(),
        scenario.window().end_day,
        output::history::format_time(output::history::simulation_day(scenario.window().end_day)),
        path.display()
    );
    Ok(())
}

/// A fitted scenario is recognised as funnelsim's by its first line.
const CALIBRATED: fs::Ownership = fs::Ownership::StartsWith(output::calibration::HEADER);

/// `funnelsim calibrate`.
pub fn calibrate(args: CalibrateArgs) -> Result<()> {
    use funnelsim::calibration::{estimate as calibrate, history};
    use output::calibration::{self as cal_out, Provenance};
    let stages: Vec<String> = args
        .stages
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if stages.is_empty() {
        return Err(BadInput("--stages needs at least one stage name".into()).into());
    }
    if let Some(dup) = stages
        .iter()
        .enumerate()
        .find_map(|(i, s)| stages[..i].contains(s).then_some(s))
    {
        return Err(BadInput(format!("--stages names '{dup}' twice")).into());
    }
    if args.replications == 0 {
        return Err(BadInput("--replications must be at least 1".into()).into());
    }
    let as_of = args
        .as_of
        .as_deref()
        .map(|t| {
            output::history::parse_time(t).ok_or_else(|| {
                BadInput(format!(
                    "--as-of '{t}' is not a timestamp (YYYY-MM-DD[ HH:MM[:SS]], RFC 3339 or days)"
                ))
            })
        })
        .transpose()?;
    let cols = output::history::Columns {
        id: args.id_col,
        stage: args.stage_col,
        entered_at: args.entered_col,
        source: args.source_col,
        segment: args.segment_col,
        amount: args.amount_col,
        outcome: args.outcome_col,
        closed_at: args.closed_col,
    };
    if !args.history.exists() {
        return Err(BadInput(format!("history file {} does not exist", args.history.display())).into());
    }
    let inputs = [args.history.as_path()];
    let owner = Guard {
        inputs: &inputs,
        force: args.force,
    };
    fs::check_file_target(&args.out, owner, CALIBRATED)?;
    let rows = output::history::read(&args.history, &cols).map_err(|e| BadInput(format!("{e:#}")))?;
    let (opportunities, cleaning, as_of) = history::clean(&rows, &stages, as_of);
    let unit = if output::history::is_parquet(&args.history) {
        "row"
    } else {
        "line"
    };
    let cleaning_lines = cal_out::cleaning_lines(&cleaning, &stages, unit);
    let origin = args.history.display().to_string();
    let estimate = calibrate::estimate(&opportunities, &stages, as_of).map_err(|e| {
        let notes = if cleaning_lines.is_empty() {
            String::new()
        } else {
            format!(
                "\n  while cleaning: {}",
                cleaning_lines.join("\n  while cleaning: ")
            )
        };
        BadInput(format!("{origin}: {e}{notes}"))
    })?;
    let from = Provenance {
        history: &origin,
        as_of,
    };
    let toml = cal_out::scenario_toml(&estimate, &from);
    // The file must be one every other command accepts: load it as they would.
    let fitted = Scenario::from_toml_str(&toml).map_err(|e| {
        anyhow::anyhow!(
            "internal error: the calibrated scenario does not validate: {}",
            e.render("calibrated scenario", &toml)
        )
    })?;
    let check = calibrate::check_scenario(&estimate, &fitted, args.replications, args.seed).map_err(|e| {
        anyhow::anyhow!(
            "internal error: fit-check scenario: {}",
            e.render("fit check", &toml)
        )
    })?;
    guard(check.expected_buyers_per_replication(), args.replications, 1)?;
    let pool = pool(args.threads)?;
    let bar = progress(u64::from(args.replications), "fit check");
    let checks = pool.install(|| calibrate::check(&estimate, &check, &bar));
    check_interrupted(&bar)?;
    bar.0.finish_and_clear();
    stop_if_interrupted()?;
    fs::write_atomic(&args.out, owner, CALIBRATED, |tmp| {
        std::fs::write(tmp, toml.as_bytes()).with_context(|| format!("cannot write {}", tmp.display()))
    })?;
    print!(
        "{}",
        cal_out::report(
            &estimate,
            &cleaning_lines,
            (cleaning.rows_read, cleaning.rows_kept),
            &checks,
            args.replications,
            &from
        )
    );
    eprintln!(
        "\nwrote the fitted scenario to {0}; try: funnelsim run {0}",
        args.out.display()
    );
    Ok(())
}
