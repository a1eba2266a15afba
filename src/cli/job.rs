//! The skeleton every simulating command shares: check the work's size and
//! the output location before anything runs, simulate on a worker pool with
//! a progress bar that also carries interrupts, then write the outputs
//! atomically and print the result.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result};
use funnelsim::model::scenario::Scenario;
use funnelsim::output::charts::{Chart, ImageFormat};
use funnelsim::output::fs::{Guard, Staging};
use funnelsim::output::guard;
use funnelsim::output::{self};
use funnelsim::sim::engine::RunObserver;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use polars::prelude::DataFrame;

use super::args::OutArgs;
use super::interrupt::{self, Interrupted};
use super::load::BadInput;

/// Refuses runs whose work or memory is absurd for the machine (more than
/// a day), before anything runs, with the estimate and how to shrink it;
/// estimates long runs on stderr.
pub fn check_size(buyers_per_replication: f64, replications: u32, runs: usize) -> Result<()> {
    let note = guard::check_size(buyers_per_replication, replications, runs, 24.0).map_err(BadInput)?;
    if let Some(note) = note {
        eprintln!("{note}");
    }
    Ok(())
}

/// A simulation's progress bar (on stderr when it is a terminal), which
/// also tells the engine when the user interrupted.
pub struct Progress(ProgressBar);

impl RunObserver for Progress {
    fn replication_finished(&self) {
        self.0.inc(1);
    }

    fn cancelled(&self) -> bool {
        interrupt::requested()
    }

    fn planned(&self, replications: u64) {
        self.0.set_length(replications);
    }

    fn status(&self, note: &str) {
        self.0.set_message(format!("· {note}"));
    }
}

impl Progress {
    fn new(len: u64, label: &str) -> Self {
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
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} replications {msg} ({eta} left)")
                .expect("static template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(label);
        Self(bar)
    }
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

/// One command's simulation: the output location checked and staged, the
/// worker pool, and the progress bar. Created after the scenarios are loaded
/// and the work's size checked, before anything is simulated.
pub struct Job {
    staging: Option<Staging>,
    pool: rayon::ThreadPool,
    bar: Progress,
}

impl Job {
    /// Checks and stages `out` (if any; see [`Staging::new`]), starts
    /// `threads` workers and a progress bar of `replications` labelled
    /// `label`.
    pub fn start(
        out: Option<&Path>,
        guard: Guard<'_>,
        threads: Option<usize>,
        replications: u64,
        label: &str,
    ) -> Result<Self> {
        let staging = out.map(|dir| Staging::new(dir, guard)).transpose()?;
        Ok(Self {
            staging,
            pool: pool(threads)?,
            bar: Progress::new(replications, label),
        })
    }

    /// Whether the command writes an output directory.
    pub fn writes(&self) -> bool {
        self.staging.is_some()
    }

    /// Runs `work` on the worker pool, with the progress bar as the
    /// engine's observer. An interrupt during the work ends the command.
    pub fn simulate<T: Send>(&self, work: impl FnOnce(&Progress) -> T + Send) -> Result<T> {
        let out = self.pool.install(|| work(&self.bar));
        if interrupt::requested() {
            let (done, total) = (self.bar.0.position(), self.bar.0.length().unwrap_or(0));
            self.bar.0.finish_and_clear();
            return Err(Interrupted {
                progress: Some((done, total)),
            }
            .into());
        }
        self.bar.0.finish_and_clear();
        Ok(out)
    }

    /// The staging directory of `--out`. Panics if the command has none.
    pub fn staged(&self) -> &Staging {
        self.staging
            .as_ref()
            .expect("the command writes an output directory")
    }

    /// The `--out` directory. Panics if the command has none.
    pub fn target(&self) -> &Path {
        self.staged().target()
    }

    /// Writes `manifest.json` and swaps the staged directory into place
    /// (if the command has one), unless the user interrupted meanwhile.
    pub fn commit(self, manifest: serde_json::Value) -> Result<Option<std::path::PathBuf>> {
        let Some(staging) = self.staging else {
            return Ok(None);
        };
        interrupt::stop_if_requested()?;
        staging.commit(manifest).map(Some)
    }

    /// Writes a command's tables, charts (SVG, and PNG with `--png`) and
    /// `summary.json` into the staged `--out` directory and commits it with
    /// its manifest; does nothing without `--out`. `outputs` is only
    /// computed when there is somewhere to write it.
    pub fn write(self, out: &OutArgs, outputs: impl FnOnce() -> Result<Outputs>) -> Result<()> {
        let Some(staging) = &self.staging else {
            return Ok(());
        };
        let Outputs {
            tables,
            charts,
            summary,
            manifest,
        } = outputs()?;
        let format = out.format;
        // Between files, an interrupt stops the writing (the staged
        // directory is then removed when `self` drops).
        for c in &charts {
            interrupt::stop_if_requested()?;
            c.write(&staging.path(""), ImageFormat::Svg)?;
            if out.png {
                c.write(&staging.path(""), ImageFormat::Png)?;
            }
        }
        for (name, mut df) in tables {
            interrupt::stop_if_requested()?;
            let file = format!("{name}.{}", format.extension());
            output::tables::write(&mut df, &staging.path(&file), format)?;
        }
        staging.write("summary.json", serde_json::to_string_pretty(&summary)?.as_bytes())?;
        if let Some(dir) = self.commit(manifest)? {
            eprintln!(
                "wrote tables ({}), {} charts, summary.json and manifest.json to {}",
                format.extension(),
                charts.len(),
                dir.display()
            );
        }
        Ok(())
    }
}

/// What a command writes into `--out DIR`.
pub struct Outputs {
    /// Tables, by file stem.
    pub tables: Vec<(String, DataFrame)>,
    /// Charts.
    pub charts: Vec<Chart>,
    /// The JSON summary (also what `--json` prints).
    pub summary: serde_json::Value,
    /// The manifest (see [`manifest`]).
    pub manifest: serde_json::Value,
}

/// What produced an output directory: the funnelsim version, the scenario
/// files, the overrides of each (as written: `--set` and its own), the
/// specs, seed, replications and random-number algorithms.
pub fn manifest(files: &[&Path], set: &[Vec<String>], scenarios: &[&Scenario]) -> serde_json::Value {
    serde_json::json!({
        "funnelsim_version": env!("CARGO_PKG_VERSION"),
        "scenario_files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "overrides": set,
        "scenarios": scenarios.iter().map(|s| s.spec()).collect::<Vec<_>>(),
        "seed": scenarios.first().map(|s| s.seed().0),
        "replications": scenarios.first().map(|s| s.replications()),
        "rng": funnelsim::sim::rng::RNG_ALGORITHMS,
        "note": "results depend only on (scenario, seed, replications) and the funnelsim version, not on threads or shards",
    })
}

/// Prints the result: `value` as one line of JSON with `--json`, else the
/// text.
pub fn emit(json: bool, value: &serde_json::Value, text: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        print!("{}", text());
    }
    Ok(())
}
