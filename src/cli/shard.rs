//! `--shard K/N` and the parts it writes; `merge` reads them back.
//!
//! A shard runs the command exactly as given, but each configuration the
//! command simulates (the scenario of `run`, every scenario of `compare`,
//! every point of `sweep`, every perturbation of `sensitivity`, the worlds
//! of the blame ledger) gets only the shard's contiguous share of its
//! replications ([`Shard::range`]). Their records go into the partial
//! result directory, one Parquet file per configuration and 4,096
//! replications, beside `manifest.json`, which records the command line,
//! the shard, and each configuration's kind, replication count and
//! scenario hash (SHA-256 of its resolved spec).
//!
//! `merge` checks the parts belong together, then runs the same command
//! line again with a [`Runner`] that reads the records instead of
//! simulating: the command folds exactly the records one machine would
//! have folded, in the same order, and writes what it always writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result, anyhow};
use clap::Args;
use funnelsim::model::scenario::Scenario;
use funnelsim::output::tables::{self, Format};
use funnelsim::sim::engine::{Detail, Fold, Record, Rows, RunObserver, RunResult, simulate_records};
use funnelsim::sim::metrics::{CYCLE_BINS, metric_names};
use funnelsim::sim::shard::{Runner, Shard, Simulate, map_range};
use polars::prelude::{
    Column, DataFrame, DataType, IntoColumn, ListChunked, NamedFrom, ParquetReader, PlSmallStr, SerReader,
    Series,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::job::Job;
use super::load::BadInput;
use super::term::note;

/// `--shard K/N`.
#[derive(Debug, Args)]
pub struct ShardArgs {
    /// Run only shard K of N (numbered from 1) of every configuration's
    /// replications and write a partial result into --out; `funnelsim
    /// merge` puts the parts together (see docs/cluster.md)
    #[arg(long, value_name = "K/N", requires = "out")]
    pub shard: Option<Shard>,
}

/// The options of a sharded command that do not change its results (see
/// [`Command::sharding`](super::Command::sharding)).
pub struct Sharding<'a> {
    /// Where the command writes.
    pub out: Out<'a>,
    /// `--force`.
    pub force: &'a mut bool,
    /// `--shard`.
    pub shard: &'a mut Option<Shard>,
    /// `--threads`.
    pub threads: &'a mut Option<usize>,
}

/// A command's `--out`: a directory most commands may leave out, or
/// `calibrate`'s fitted scenario file.
pub enum Out<'a> {
    /// `--out DIR`.
    Dir(&'a mut Option<PathBuf>),
    /// `--out FILE`.
    File(&'a mut PathBuf),
}

impl Out<'_> {
    /// Sets the output to `path`, or (`None`) to nothing in particular.
    pub fn set(&mut self, path: Option<PathBuf>) {
        match self {
            Out::Dir(out) => **out = path,
            Out::File(out) => **out = path.unwrap_or_default(),
        }
    }
}

/// Replications per Parquet file of a part: bounds the memory of a merge.
const ROWS_PER_FILE: usize = 4096;

/// What a part records of one configuration the command ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// `run` (engine records) or `map` (a study's own numbers).
    pub kind: String,
    /// SHA-256 of the configuration's resolved scenario spec.
    pub scenario_hash: String,
    /// The configuration's replications (all shards together).
    pub replications: u32,
    /// The files holding this shard's share, in replication order.
    pub files: Vec<String>,
    /// The SHA-256 of each file: a file damaged or swapped for another
    /// run's is refused.
    #[serde(default)]
    pub sha256: Vec<String>,
}

/// The `partial` object of a part's `manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partial {
    /// The command line the shard ran (program name first).
    pub command: Vec<String>,
    /// `K/N`.
    pub shard: String,
    /// The configurations, in the order the command ran them.
    pub configs: Vec<Config>,
    /// The directory the shard ran in: `merge` reads the scenario files
    /// from there, as the shard did.
    #[serde(default)]
    pub cwd: String,
}

/// The SHA-256 of a scenario's resolved spec: equal hashes mean the same
/// configuration however it was written.
pub fn scenario_hash(s: &Scenario) -> String {
    sha256(
        serde_json::to_string(s.spec())
            .expect("a spec serialises")
            .as_bytes(),
    )
}

/// The parts a merge reads, sorted by shard; set once by `merge` before it
/// runs the parts' command line.
static PARTS: OnceLock<Vec<(Shard, PathBuf, Partial)>> = OnceLock::new();

/// The replications a command simulates here, of `total` per
/// configuration, for its size check: the shard's share, all of them
/// unsharded, or `None` in a merge (which reads records, simulating none).
pub fn share(shard: Option<Shard>, total: u32) -> Option<u32> {
    if PARTS.get().is_some() {
        return None;
    }
    Some(shard.map_or(total, |s| s.range(total).len() as u32))
}

/// The command line, as text.
///
/// # Errors
/// An argument that is not UTF-8: a part records its command line as
/// text, so `merge` can read it.
pub fn command_line() -> Result<Vec<String>> {
    std::env::args_os()
        .map(|a| {
            a.into_string().map_err(|a| {
                BadInput(format!(
                    "--shard needs a command line in UTF-8; {} is not (rename the file)",
                    a.to_string_lossy()
                ))
                .into()
            })
        })
        .collect()
}

/// Makes the commands that run next read their records from `parts`.
pub fn read_from(parts: Vec<(Shard, PathBuf, Partial)>) {
    PARTS.set(parts).expect("one merge per process");
}

/// Where a command's replications come from: simulated here, simulated
/// for one shard and stored, or read back from the parts of a merge.
pub enum Source {
    /// Every replication, here.
    Simulate,
    /// One shard's, stored in the staged `--out` directory.
    Write(Writer),
    /// Read from the parts given to `merge`.
    Read(Reader),
}

impl Source {
    /// The source for a command started as `job` with `shard`, reading
    /// `inputs`. Without `force`, a shard checks the other parts of its job
    /// beside its `--out` (see [`Writer`]).
    ///
    /// # Errors
    /// A shard of a scenario read from standard input (the merge could not
    /// read it again), a command line that is not UTF-8, or (without
    /// `force`) an `--out` holding another shard of the same job.
    pub fn new(shard: Option<Shard>, job: &Job, inputs: &[&Path], force: bool) -> Result<Self> {
        if let Some(parts) = PARTS.get() {
            return Ok(Self::Read(Reader {
                parts,
                state: Mutex::new(State::default()),
            }));
        }
        Ok(match shard {
            None => Self::Simulate,
            Some(_) if inputs.iter().any(|p| p.as_os_str() == "-") => {
                return Err(BadInput(
                    "--shard needs scenario files: `funnelsim merge` reads them again, and standard input cannot be read twice".into(),
                )
                .into());
            }
            Some(shard) => {
                let ours = normalised(&command_line()?)?;
                let target = job.target();
                if !force
                    && let Ok(there) = read_partial(target)
                    && there.shard != shard.to_string()
                    && normalised(&there.command).is_ok_and(|c| c == ours)
                {
                    return Err(BadInput(format!(
                        "{} holds shard {} of this command; give shard {shard} a directory of its own (or --force to replace it)",
                        target.display(),
                        there.shard
                    ))
                    .into());
                }
                Self::Write(Writer {
                    shard,
                    dir: job.staged().path(""),
                    siblings: if force {
                        Vec::new()
                    } else {
                        siblings(target, shard, &ours)
                    },
                    state: Mutex::new(State::default()),
                })
            }
        })
    }

    /// Whether the replications are read from a merge's parts rather than
    /// simulated.
    pub fn reads(&self) -> bool {
        matches!(self, Self::Read(_))
    }

    /// The runner commands pass to the studies.
    pub fn runner(&self) -> &dyn Runner {
        match self {
            Self::Simulate => &Simulate,
            Self::Write(w) => w,
            Self::Read(r) => r,
        }
    }

    /// Ends the simulation part of a command. A shard writes its manifest
    /// (the command's own `manifest`: files, overrides, resolved scenarios,
    /// seed, replications, version; plus the `partial` record), commits its
    /// part and returns `None`: the command stops there. A merge checks it
    /// used every stored configuration. Otherwise the job is handed back to
    /// write the command's outputs.
    pub fn finish(self, job: Job, manifest: impl FnOnce() -> serde_json::Value) -> Result<Option<Job>> {
        match self {
            Self::Simulate => Ok(Some(job)),
            Self::Read(r) => {
                let state = r.state.into_inner().unwrap_or_else(|e| e.into_inner());
                state.failed()?;
                let stored = r.parts[0].2.configs.len();
                if state.next != stored {
                    return Err(BadInput(format!(
                        "the parts hold {stored} configurations but the command ran {}; were they made by another version of the scenario files?",
                        state.next
                    ))
                    .into());
                }
                Ok(Some(job))
            }
            Self::Write(w) => {
                let state = w.state.into_inner().unwrap_or_else(|e| e.into_inner());
                state.failed()?;
                let partial = Partial {
                    command: command_line()?,
                    shard: w.shard.to_string(),
                    configs: state.configs,
                    cwd: std::env::current_dir()
                        .map(|d| d.display().to_string())
                        .unwrap_or_default(),
                };
                let share: Vec<String> = partial
                    .configs
                    .iter()
                    .map(|c| {
                        let r = w.shard.range(c.replications);
                        format!("{}–{}", r.start + 1, r.end)
                    })
                    .collect();
                let mut manifest = manifest();
                manifest["partial"] = serde_json::to_value(&partial)?;
                manifest["note"] =
                    "one shard of a command's replications; `funnelsim merge` puts all shards together"
                        .into();
                if let Some(dir) = job.commit(manifest)? {
                    let share = match share.first() {
                        Some(first) if share.iter().all(|s| s == first) => format!("replications {first}"),
                        _ => "its share of replications".to_owned(),
                    };
                    note!(
                        "shard {}: {share} of {} configuration{} written to {}",
                        w.shard,
                        share_len(&partial.configs),
                        if partial.configs.len() == 1 { "" } else { "s" },
                        dir.display()
                    );
                }
                Ok(None)
            }
        }
    }
}

fn share_len(configs: &[Config]) -> String {
    match configs.len() {
        1 => "its".to_owned(),
        n => format!("each of {n}"),
    }
}

/// The configurations a command has run so far, and the first failure.
#[derive(Default)]
struct State {
    next: usize,
    configs: Vec<Config>,
    error: Option<String>,
}

impl State {
    fn failed(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(BadInput(e.clone()).into()),
            None => Ok(()),
        }
    }

    /// Records the first failure; later calls then do nothing.
    fn fail(&mut self, e: impl std::fmt::Display) {
        if self.error.is_none() {
            self.error = Some(e.to_string());
        }
    }
}

/// Other parts of the same job already in `target`'s directory: parts of
/// the same command line and shard count (their configurations, by
/// directory).
fn siblings(target: &Path, shard: Shard, ours: &str) -> Vec<(PathBuf, Partial)> {
    let Some(parent) = std::path::absolute(target)
        .ok()
        .and_then(|t| t.parent().map(Path::to_path_buf))
    else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return Vec::new();
    };
    let target = std::path::absolute(target).unwrap_or_default();
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| *p != target)
        .filter_map(|p| read_partial(&p).ok().map(|partial| (p, partial)))
        .filter(|(_, partial)| {
            partial
                .shard
                .parse::<Shard>()
                .is_ok_and(|s| s.count() == shard.count())
                && normalised(&partial.command).is_ok_and(|c| c == ours)
        })
        .collect()
}

/// A command line without its `--shard` and `--out` (what every shard of
/// one job shares), as clap understood it.
pub fn normalised(argv: &[String]) -> Result<String> {
    let mut cli = <super::Cli as clap::Parser>::try_parse_from(argv)
        .map_err(|e| anyhow!("cannot read the command line {argv:?}: {e}"))?;
    cli.command
        .sharding()
        .ok_or_else(|| anyhow!("{:?} is not a command that can be sharded", argv.get(1)))
        .map(|mut s| {
            s.out.set(None);
            *s.force = false;
            *s.shard = None;
            *s.threads = None;
        })?;
    Ok(format!("{:?}", cli.command))
}

/// Reads the `partial` object of a part's manifest.
pub fn read_partial(dir: &Path) -> Result<Partial> {
    let path = dir.join("manifest.json");
    if !dir.is_dir() {
        return Err(BadInput(format!(
            "{} is not a directory: give the --out directory of each shard",
            dir.display()
        ))
        .into());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        BadInput(format!(
            "{} is not a part of a sharded command: cannot read its manifest.json ({e})",
            dir.display()
        ))
    })?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| BadInput(format!("{} is not JSON: {e}", path.display())))?;
    let version = manifest["funnelsim_version"].as_str().unwrap_or("unknown");
    let partial = manifest.get("partial").ok_or_else(|| {
        BadInput(format!(
            "{} is not a part of a sharded command (its manifest has no \"partial\")",
            dir.display()
        ))
    })?;
    if version != env!("CARGO_PKG_VERSION") {
        return Err(BadInput(format!(
            "{} was written by funnelsim {version}, this is {}; run every shard and the merge with one version",
            dir.display(),
            env!("CARGO_PKG_VERSION")
        ))
        .into());
    }
    serde_json::from_value(partial.clone())
        .map_err(|e| BadInput(format!("{} has a damaged \"partial\": {e}", path.display())).into())
}

/// The runner of a shard: simulates the shard's replications of every
/// configuration and stores their records.
pub struct Writer {
    shard: Shard,
    dir: PathBuf,
    siblings: Vec<(PathBuf, Partial)>,
    state: Mutex<State>,
}

impl Writer {
    /// Starts configuration `kind` of `s`: checks the other shards ran the
    /// same configuration at this place, and returns its number.
    fn start(&self, kind: &str, s: &Scenario) -> Option<(usize, Config)> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.error.is_some() {
            return None;
        }
        let k = state.next;
        state.next += 1;
        let config = Config {
            kind: kind.to_owned(),
            scenario_hash: scenario_hash(s),
            replications: s.replications(),
            files: Vec::new(),
            sha256: Vec::new(),
        };
        for (dir, other) in &self.siblings {
            if let Some(theirs) = other.configs.get(k)
                && (theirs.scenario_hash != config.scenario_hash
                    || theirs.replications != config.replications
                    || theirs.kind != config.kind)
            {
                state.fail(format_args!(
                    "shard {}'s configuration {} differs from what shard {} recorded in {} (scenario hash {} there, {} here): a scenario file changed between shards. Remove the stale parts (or write every shard into a new directory) and run them all again; --force runs this shard anyway (merge refuses to mix them)",
                    self.shard,
                    k + 1,
                    other.shard,
                    dir.display(),
                    short(&theirs.scenario_hash),
                    short(&config.scenario_hash),
                ));
                return None;
            }
        }
        Some((k, config))
    }

    fn finish_config(&self, config: Config, result: Result<()>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(()) => state.configs.push(config),
            Err(e) => state.fail(format_args!("{e:#}")),
        }
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

impl Runner for Writer {
    fn run(&self, s: &Scenario, observer: &dyn RunObserver, keep: Rows<'_>, detail: Detail) -> RunResult {
        let mut fold = Fold::new(s, keep, detail);
        let Some((k, mut config)) = self.start("run", s) else {
            return fold.finish();
        };
        let names = metric_names(s);
        let mut batch = Vec::with_capacity(ROWS_PER_FILE);
        let mut result = Ok(());
        let mut flush = |batch: &mut Vec<Record>, config: &mut Config| {
            if result.is_ok() && !batch.is_empty() {
                let name = format!("run-{k:05}-{:05}.parquet", config.files.len());
                result = write_frame(records_frame(&names, batch), &self.dir.join(&name), config);
                config.files.push(name);
            }
            batch.clear();
        };
        simulate_records(s, self.shard.range(s.replications()), detail, observer, |r| {
            batch.push(r.clone());
            fold.push(r);
            if batch.len() == ROWS_PER_FILE {
                flush(&mut batch, &mut config);
            }
        });
        flush(&mut batch, &mut config);
        self.finish_config(config, result);
        fold.finish()
    }

    fn map(
        &self,
        of: &Scenario,
        replications: u32,
        observer: &dyn RunObserver,
        per_replication: &(dyn Fn(u64) -> Vec<f64> + Sync),
    ) -> Vec<Vec<f64>> {
        let Some((k, mut config)) = self.start("map", &with_replications(of, replications)) else {
            return Vec::new();
        };
        let range = self.shard.range(replications);
        let values = map_range(range.clone(), observer, per_replication);
        let name = format!("map-{k:05}.parquet");
        let result = write_frame(
            values_frame(range.start, &values),
            &self.dir.join(&name),
            &mut config,
        );
        config.files.push(name);
        self.finish_config(config, result);
        values
    }
}

/// `s` with its replication count set to a study's own (the hash and the
/// count of a `map` configuration are the study's).
fn with_replications(s: &Scenario, replications: u32) -> Scenario {
    s.clone()
        .with_replications(replications.max(1))
        .expect("at least one")
}

/// The runner of a merge: reads every shard's records of each
/// configuration, in shard order.
pub struct Reader {
    parts: &'static [(Shard, PathBuf, Partial)],
    state: Mutex<State>,
}

impl Reader {
    /// Starts configuration `kind` of `s`: checks every part holds the
    /// same configuration at this place; returns its number.
    fn start(&self, kind: &str, s: &Scenario) -> Option<usize> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.error.is_some() {
            return None;
        }
        let k = state.next;
        state.next += 1;
        let hash = scenario_hash(s);
        for (shard, dir, partial) in self.parts {
            match partial.configs.get(k) {
                None => {
                    state.fail(format_args!(
                        "{} (shard {shard}) holds {} configurations; the command runs more: the scenario files or the version changed since the shards ran",
                        dir.display(),
                        partial.configs.len()
                    ));
                    return None;
                }
                Some(c)
                    if c.kind != kind || c.scenario_hash != hash || c.replications != s.replications() =>
                {
                    state.fail(format_args!(
                        "configuration {} of {} (shard {shard}) is not what the command runs now (scenario hash {} there, {} here): a scenario file changed since the shards ran; restore it or rerun the shards",
                        k + 1,
                        dir.display(),
                        short(&c.scenario_hash),
                        short(&hash)
                    ));
                    return None;
                }
                Some(_) => {}
            }
        }
        Some(k)
    }

    fn fail(&self, e: impl std::fmt::Display) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).fail(e);
    }
}

impl Runner for Reader {
    fn run(&self, s: &Scenario, observer: &dyn RunObserver, keep: Rows<'_>, detail: Detail) -> RunResult {
        let mut fold = Fold::new(s, keep, detail);
        let Some(k) = self.start("run", s) else {
            return fold.finish();
        };
        let names = metric_names(s);
        let (cells, bins) = match detail {
            Detail::Full => (s.snapshot_days().len() * s.stage_count(), CYCLE_BINS),
            Detail::Estimates => (0, 0),
        };
        let mut next = 0u32;
        for (shard, dir, partial) in self.parts {
            let range = shard.range(s.replications());
            if next != range.start {
                self.fail(format_args!(
                    "{} (shard {shard}) does not start where the shard before it ended",
                    dir.display()
                ));
                return fold.finish();
            }
            let config = &partial.configs[k];
            for (i, f) in config.files.iter().enumerate() {
                let path = dir.join(f);
                let records = match read_frame(dir, config, i).and_then(|df| frame_records(&names, &df)) {
                    Ok(r) => r,
                    Err(e) => {
                        self.fail(format_args!("{e:#}"));
                        return fold.finish();
                    }
                };
                for r in records {
                    if r.pipeline_count.len() != cells
                        || r.pipeline_value.len() != cells
                        || r.cycle_histogram.len() != bins
                    {
                        self.fail(format_args!(
                            "{} holds records of another kind of run: the part is damaged",
                            path.display()
                        ));
                        return fold.finish();
                    }
                    if r.replication != next || !range.contains(&r.replication) {
                        self.fail(format_args!(
                            "{} holds replication {} where {} was due: the part is damaged",
                            path.display(),
                            r.replication + 1,
                            next + 1
                        ));
                        return fold.finish();
                    }
                    next += 1;
                    fold.push(r);
                    observer.replication_finished();
                }
            }
            if next != range.end {
                self.fail(format_args!(
                    "{} (shard {shard}) holds replications up to {} of {}–{}: the part is incomplete",
                    dir.display(),
                    next,
                    range.start + 1,
                    range.end
                ));
                return fold.finish();
            }
        }
        fold.finish()
    }

    fn map(
        &self,
        of: &Scenario,
        replications: u32,
        observer: &dyn RunObserver,
        _per_replication: &(dyn Fn(u64) -> Vec<f64> + Sync),
    ) -> Vec<Vec<f64>> {
        let Some(k) = self.start("map", &with_replications(of, replications)) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(replications as usize);
        for (shard, dir, partial) in self.parts {
            let range = shard.range(replications);
            let config = &partial.configs[k];
            let Some(path) = config.files.first().map(|f| dir.join(f)) else {
                self.fail(format_args!(
                    "{} (shard {shard}) lacks a file: the part is damaged",
                    dir.display()
                ));
                return Vec::new();
            };
            match read_frame(dir, config, 0).and_then(|df| frame_values(&df)) {
                Ok((first, values))
                    if values.len() == range.len() && (values.is_empty() || first == range.start) =>
                {
                    for v in values {
                        observer.replication_finished();
                        out.push(v);
                    }
                }
                Ok(_) => {
                    self.fail(format_args!(
                        "{} (shard {shard}) does not hold its share: the part is damaged",
                        path.display()
                    ));
                    return Vec::new();
                }
                Err(e) => {
                    self.fail(format_args!("{e:#}"));
                    return Vec::new();
                }
            }
        }
        out
    }

    fn damaged(&self, why: &str) {
        self.fail(why);
    }
}

/// Writes `df` as Parquet to `path` and records its hash in `config`.
fn write_frame(df: Result<DataFrame>, path: &Path, config: &mut Config) -> Result<()> {
    tables::write(&mut df?, path, Format::Parquet)?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    config.sha256.push(sha256(&bytes));
    Ok(())
}

/// The SHA-256 of `bytes`, in hex.
fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads file `i` of configuration `config` in the part `dir`, checking
/// its hash.
fn read_frame(dir: &Path, config: &Config, i: usize) -> Result<DataFrame> {
    let path = dir.join(&config.files[i]);
    let bytes = std::fs::read(&path).map_err(|e| BadInput(format!("cannot read {}: {e}", path.display())))?;
    if config.sha256.get(i).is_none_or(|h| *h != sha256(&bytes)) {
        return Err(BadInput(format!(
            "{} is not the file its shard wrote (its SHA-256 differs from the manifest's): the part is damaged; run that shard again",
            path.display()
        ))
        .into());
    }
    ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Records as columns: `replication`, `events`, `buyers`, one column per
/// metric (named as in `run`'s replications table), then the pipeline
/// snapshot and sales-cycle histogram as list columns (`pipeline_count`,
/// `pipeline_value`, `cycle_histogram`).
fn records_frame(names: &[String], records: &[Record]) -> Result<DataFrame> {
    let list = |name: &str, lists: Vec<Series>| -> Column {
        ListChunked::from_iter(lists).with_name(name.into()).into_column()
    };
    let mut cols = vec![
        Column::new(
            "replication".into(),
            records.iter().map(|r| r.replication).collect::<Vec<_>>(),
        ),
        Column::new(
            "events".into(),
            records.iter().map(|r| r.events).collect::<Vec<_>>(),
        ),
        Column::new(
            "buyers".into(),
            records.iter().map(|r| r.buyers).collect::<Vec<_>>(),
        ),
    ];
    for (j, name) in names.iter().enumerate() {
        cols.push(Column::new(
            name.into(),
            records.iter().map(|r| r.row[j]).collect::<Vec<_>>(),
        ));
    }
    let series = |f: &dyn Fn(&Record) -> Series| records.iter().map(f).collect::<Vec<_>>();
    // Runs that fold estimates only have no pipeline or histogram to keep.
    if records
        .iter()
        .all(|r| r.pipeline_count.is_empty() && r.cycle_histogram.is_empty())
    {
        return DataFrame::new_infer_height(cols).context("cannot build a part's table");
    }
    cols.push(list(
        "pipeline_count",
        series(&|r| Series::new(PlSmallStr::EMPTY, &r.pipeline_count)),
    ));
    cols.push(list(
        "pipeline_value",
        series(&|r| Series::new(PlSmallStr::EMPTY, &r.pipeline_value)),
    ));
    cols.push(list(
        "cycle_histogram",
        series(&|r| Series::new(PlSmallStr::EMPTY, &r.cycle_histogram)),
    ));
    DataFrame::new_infer_height(cols).context("cannot build a part's table")
}

/// The columns of `df` whose names are `prefix` followed by 0, 1, 2, …
fn numbered<'a>(df: &'a DataFrame, prefix: &str) -> Vec<&'a Column> {
    let mut found = BTreeMap::new();
    for c in df.columns() {
        if let Some(i) = c
            .name()
            .strip_prefix(prefix)
            .and_then(|i| i.parse::<usize>().ok())
        {
            found.insert(i, c);
        }
    }
    found.into_values().collect()
}

/// The records of a part's table of a scenario with metrics `names`.
fn frame_records(names: &[String], df: &DataFrame) -> Result<Vec<Record>> {
    let damaged = |what: &str| anyhow!("a part's table has a damaged or missing column {what}");
    let col = |name: &str| df.column(name).map_err(|_| damaged(name));
    let u32s = |name: &str| -> Result<Vec<u32>> {
        Ok(col(name)?
            .u32()
            .map_err(|_| damaged(name))?
            .into_no_null_iter()
            .collect())
    };
    let u64s = |name: &str| -> Result<Vec<u64>> {
        Ok(col(name)?
            .u64()
            .map_err(|_| damaged(name))?
            .into_no_null_iter()
            .collect())
    };
    let f64s = |name: &str| -> Result<Vec<f64>> {
        Ok(col(name)?
            .f64()
            .map_err(|_| damaged(name))?
            .into_no_null_iter()
            .collect())
    };
    // Absent in the parts of runs that fold estimates only: empty lists.
    let lists = |name: &str| -> Result<Vec<Series>> {
        if df.column(name).is_err() {
            return Ok(vec![
                Series::new_empty(PlSmallStr::EMPTY, &DataType::UInt32);
                df.height()
            ]);
        }
        let list = col(name)?.list().map_err(|_| damaged(name))?;
        (0..list.len())
            .map(|i| list.get_as_series(i).ok_or_else(|| damaged(name)))
            .collect()
    };
    let replication = u32s("replication")?;
    let events = u64s("events")?;
    let buyers = u64s("buyers")?;
    let rows = names.iter().map(|n| f64s(n)).collect::<Result<Vec<_>>>()?;
    let counts = lists("pipeline_count")?;
    let values = lists("pipeline_value")?;
    let cycles = lists("cycle_histogram")?;
    (0..df.height())
        .map(|n| {
            Ok(Record {
                replication: replication[n],
                row: rows.iter().map(|c| c[n]).collect(),
                pipeline_count: counts[n]
                    .u32()
                    .map_err(|_| damaged("pipeline_count"))?
                    .into_no_null_iter()
                    .collect(),
                pipeline_value: values[n]
                    .cast(&DataType::Float64)
                    .map_err(|_| damaged("pipeline_value"))?
                    .f64()
                    .map_err(|_| damaged("pipeline_value"))?
                    .into_no_null_iter()
                    .collect(),
                events: events[n],
                buyers: buyers[n],
                cycle_histogram: cycles[n]
                    .u32()
                    .map_err(|_| damaged("cycle_histogram"))?
                    .into_no_null_iter()
                    .collect(),
            })
        })
        .collect()
}

/// A study's per-replication numbers: `replication`, then `v.{j}`; long
/// rows, or rows of differing lengths (an optimisation's groups, one a
/// row), go into one list column, `values`, instead.
fn values_frame(first: u32, values: &[Vec<f64>]) -> Result<DataFrame> {
    let width = values.first().map_or(0, Vec::len);
    let mut cols = vec![Column::new(
        "replication".into(),
        (first..first + values.len() as u32).collect::<Vec<_>>(),
    )];
    // A column per number would not do for long rows (an optimisation's
    // group holds every replication its round ran).
    if width > 64 || values.iter().any(|v| v.len() != width) {
        let lists: Vec<Series> = values.iter().map(|v| Series::new("".into(), v)).collect();
        cols.push(
            ListChunked::from_iter(lists)
                .with_name("values".into())
                .into_column(),
        );
    } else {
        for j in 0..width {
            cols.push(Column::new(
                format!("v.{j}").into(),
                values.iter().map(|v| v[j]).collect::<Vec<_>>(),
            ));
        }
    }
    DataFrame::new_infer_height(cols).context("cannot build a part's table")
}

fn frame_values(df: &DataFrame) -> Result<(u32, Vec<Vec<f64>>)> {
    let damaged = || anyhow!("a part's table has damaged columns");
    let first = if df.height() == 0 {
        0
    } else {
        df.column("replication")
            .and_then(|c| c.u32().cloned())
            .map_err(|_| damaged())?
            .get(0)
            .unwrap_or(0)
    };
    if let Ok(list) = df.column("values") {
        let list = list.list().map_err(|_| damaged())?;
        let rows = (0..list.len())
            .map(|i| {
                let row = list.get_as_series(i).ok_or_else(damaged)?;
                Ok(row.f64().map_err(|_| damaged())?.into_no_null_iter().collect())
            })
            .collect::<Result<Vec<Vec<f64>>>>()?;
        return Ok((first, rows));
    }
    let cols = numbered(df, "v.")
        .into_iter()
        .map(|c| {
            Ok(c.f64()
                .map_err(|_| damaged())?
                .into_no_null_iter()
                .collect::<Vec<f64>>())
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((
        first,
        (0..df.height())
            .map(|n| cols.iter().map(|c| c[n]).collect())
            .collect(),
    ))
}
