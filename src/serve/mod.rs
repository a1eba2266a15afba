//! `funnelsim serve`: a live console for workshops and strategy meetings.
//!
//! A small HTTP server (axum on tokio, HTTP/1 only) with a page compiled
//! into the binary and a JSON API. The server knows only the scenarios it
//! was started with, read once at start: requests name them by id, never by
//! path, so no request can read or write any other file.
//!
//! A run is the scenario with the request's `--set` overrides (validated as
//! the command line validates them, with the same messages) and its
//! starting point — the scenario as the file has it — with the same seed and
//! replications, so replication *k* of both meets the same buyers and their
//! difference is paired (common random numbers). Simulation runs on a
//! rayon pool; tokio only carries the sockets. Work is bounded three ways:
//! the resource guard refuses runs that are too large, one run simulates at
//! a time with a bounded queue behind it (beyond it: 503, "busy"), and a new
//! request from the same page cancels that page's previous run.
//! `funnelsim optimise` runs in the same queue, bounded the same way
//! (`optimise.rs`).

mod api;
mod optimise;
mod scoreboard;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::model::scenario::Scenario;
use crate::output::guard;
use crate::sim::engine::RunResult;

pub use api::router;

/// One scenario the server was started with.
#[derive(Clone, Debug)]
pub struct Entry {
    /// How requests name it: the file stem, made unique.
    pub id: String,
    /// The file, as given on the command line (for the reproducing command).
    pub file: String,
    /// The scenario's text, read once at start.
    pub text: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Workshop step number, for files named `NN_…` in a directory.
    pub step: Option<u32>,
}

/// Reads the scenarios of `paths` (files, or directories whose `*.toml`
/// files are read in name order), validating each. `Err` carries a message
/// in the command line's words.
pub fn entries(paths: &[PathBuf]) -> Result<Vec<Entry>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("cannot read directory {}: {e}", p.display()))?
                .filter_map(|d| d.ok().map(|d| d.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "toml"))
                .collect();
            inside.sort();
            if inside.is_empty() {
                return Err(format!(
                    "directory {} holds no scenario (*.toml) files",
                    p.display()
                ));
            }
            files.extend(inside.into_iter().map(|f| (f, true)));
        } else {
            files.push((p.clone(), false));
        }
    }
    let mut out: Vec<Entry> = Vec::new();
    for (file, in_dir) in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read scenario file {}: {e}", file.display()))?;
        let origin = file.display().to_string();
        let s = Scenario::from_toml_str(&text).map_err(|e| e.render(&origin, &text, guard::flag))?;
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("scenario");
        let mut id: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut k = 2;
        while out.iter().any(|e| e.id == id) {
            id = format!("{stem}-{k}");
            k += 1;
        }
        out.push(Entry {
            id,
            file: origin,
            name: s.name().to_owned(),
            description: s.spec().description.clone(),
            step: in_dir.then(|| step_number(&file)).flatten(),
            text,
        });
    }
    Ok(out)
}

/// The step of a workshop file named `NN_…`.
fn step_number(file: &Path) -> Option<u32> {
    let stem = file.file_stem()?.to_str()?;
    let (n, _) = stem.split_once('_')?;
    n.parse().ok()
}

/// How much work the server takes on.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Runs simulating at once (each on all workers).
    pub running: usize,
    /// Runs waiting behind them; more are answered "busy" (503).
    pub queued: usize,
    /// Most replications a request may ask for.
    pub max_replications: u32,
    /// Longest a run may take by the resource guard's estimate, seconds.
    pub max_seconds: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            running: 1,
            queued: 16,
            max_replications: 5000,
            max_seconds: 120.0,
        }
    }
}

/// The starting point of a scenario, kept so that each change of a control
/// simulates only the changed scenario. Keyed by entry and replications
/// (the seed is the file's unless overridden).
type BaselineKey = (usize, u64, u32);

/// Runs of starting points kept at most (they are small: one row of metrics
/// per replication).
const BASELINES_KEPT: usize = 64;

/// What the handlers share.
pub struct Console {
    entries: Vec<Entry>,
    limits: Limits,
    /// Requests admitted (running or queued).
    admitted: AtomicUsize,
    slots: tokio::sync::Semaphore,
    /// Each page's current run, to cancel it when the page asks again.
    pages: Mutex<HashMap<String, Arc<AtomicBool>>>,
    baselines: Mutex<HashMap<BaselineKey, Arc<RunResult>>>,
    scoreboard: scoreboard::Scoreboard,
    pool: rayon::ThreadPool,
    /// Whether the whole server is stopping (Ctrl-C).
    stopping: fn() -> bool,
}

impl Console {
    /// A console serving `entries` within `limits`; `stopping` tells runs
    /// to stop early when the server shuts down.
    pub fn new(entries: Vec<Entry>, limits: Limits, stopping: fn() -> bool) -> std::io::Result<Arc<Self>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("funnelsim-serve-{i}"))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Arc::new(Self {
            entries,
            slots: tokio::sync::Semaphore::new(limits.running.max(1)),
            limits,
            admitted: AtomicUsize::new(0),
            pages: Mutex::new(HashMap::new()),
            baselines: Mutex::new(HashMap::new()),
            scoreboard: scoreboard::Scoreboard::default(),
            pool,
            stopping,
        }))
    }

    /// The scenarios served.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Runs admitted now: simulating or waiting in the queue.
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::SeqCst)
    }
}

/// A place in the queue, given back when the request ends however it ends.
struct Admission<'a>(&'a AtomicUsize);

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Tells the engine to stop when the page asked again or the server stops.
struct Cancel<'a> {
    flag: &'a AtomicBool,
    stopping: fn() -> bool,
}

impl crate::sim::engine::RunObserver for Cancel<'_> {
    fn cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed) || (self.stopping)()
    }
}

/// Serves `console` on `listener` until `shutdown` completes; runs in
/// progress then stop at their next chunk of replications.
pub async fn serve(
    listener: tokio::net::TcpListener,
    console: Arc<Console>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(console))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The address a console listens on.
pub fn address(host: &str, port: u16) -> Result<SocketAddr, String> {
    let ip: std::net::IpAddr = if host == "localhost" {
        std::net::Ipv4Addr::LOCALHOST.into()
    } else {
        host.parse().map_err(|_| {
            format!("--host {host} is not an IP address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)")
        })?
    };
    Ok(SocketAddr::new(ip, port))
}
