//! `funnelsim check`: scenario files validated exactly as `run` loads them
//! (overrides, replications and the size check included), nothing run.
//! Every file is checked, even after an invalid one.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use funnelsim::model::scenario::Scenario;

use super::args::SimArgs;
use super::job::check_size;
use super::load::{BadInput, apply, load, origin, stdin_once, warn};

/// `funnelsim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files (TOML; '-' reads one from standard input)
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Override a scenario parameter by key path, as `run --set` does
    /// (repeatable; applies to every file)
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Check with this many replications, as `run -n N` would run
    #[arg(short = 'n', long, value_name = "N")]
    pub replications: Option<u32>,
    /// Print the result as one JSON object on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

/// One file's scenario, loaded as `run` loads it.
fn check_one(path: &std::path::Path, sim: &SimArgs) -> Result<Scenario> {
    let scenario = apply(load(path, &sim.overrides()?)?, sim)?;
    check_size(
        scenario.expected_buyers_per_replication(),
        scenario.replications(),
        1,
    )?;
    Ok(scenario)
}

/// `funnelsim check`.
pub fn check(args: CheckArgs) -> Result<()> {
    stdin_once(&args.scenarios)?;
    let sim = SimArgs {
        replications: args.replications,
        seed: None,
        threads: None,
        set: args.set,
    };
    // A malformed --set is the command line's fault, not any file's.
    sim.overrides()?;
    let mut entries = Vec::new();
    let mut invalid = 0;
    for path in &args.scenarios {
        let file = origin(path);
        match check_one(path, &sim) {
            Ok(s) => {
                warn(path, &s);
                let stages = s.stage_count();
                let channels = s.channel_names().count();
                let reps = s.replications();
                let plural = |n: usize| if n == 1 { "" } else { "s" };
                if !args.json {
                    println!(
                        "ok: {file} ({}, {stages} stage{}, {channels} channel{}, {reps} replication{})",
                        s.name(),
                        plural(stages),
                        plural(channels),
                        plural(reps as usize),
                    );
                }
                entries.push(serde_json::json!({
                    "file": file,
                    "valid": true,
                    "name": s.name(),
                    "stages": stages,
                    "channels": channels,
                    "replications": reps,
                    "seed": s.seed().0,
                    "warnings": s.warnings().iter().map(ToString::to_string).collect::<Vec<_>>(),
                }));
            }
            Err(e) => {
                invalid += 1;
                let message = format!("{e:#}");
                if !args.json {
                    // On stderr, as `run` prints it.
                    eprintln!("error: {message}");
                }
                entries.push(serde_json::json!({
                    "file": file,
                    "valid": false,
                    "error": message,
                }));
            }
        }
    }
    let n = args.scenarios.len();
    if args.json {
        let summary = serde_json::json!({ "valid": invalid == 0, "scenarios": entries });
        println!("{}", serde_json::to_string(&summary)?);
    }
    if invalid > 0 {
        return Err(BadInput(format!(
            "{invalid} of {n} scenario file{} {} invalid",
            if n == 1 { "" } else { "s" },
            if invalid == 1 { "is" } else { "are" }
        ))
        .into());
    }
    Ok(())
}
