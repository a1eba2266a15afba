//! `funnelsim merge`: the parts of a sharded command, put together.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::Args;
use funnelsim::sim::shard::Shard;

use super::Cli;
use super::load::BadInput;
use super::shard::{Partial, normalised, read_from, read_partial};

/// `funnelsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Every shard's partial result directory (written by a command run
    /// with --shard K/N --out PART), in any order
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// Write the merged output into DIR: the tables, charts, JSON summary
    /// and manifest the command writes when run whole with --out DIR (for
    /// `calibrate`, the fitted scenario FILE)
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `funnelsim merge`: checks the parts belong together (one command line,
/// one version, every shard exactly once, the same configurations), then
/// runs the command line again, folding the parts' records instead of
/// simulating. Printed and written output are the command's own.
pub fn merge(args: MergeArgs) -> Result<()> {
    let mut parts: Vec<(Shard, PathBuf, Partial)> = Vec::new();
    for dir in &args.parts {
        let partial = read_partial(dir)?;
        let shard: Shard = partial.shard.parse().map_err(|e| {
            BadInput(format!(
                "{} has a damaged shard {:?}: {e}",
                dir.display(),
                partial.shard
            ))
        })?;
        parts.push((shard, dir.clone(), partial));
    }
    let (first_shard, first_dir, first) = parts[0].clone();
    let (first_shard, first_dir, first) = (&first_shard, &first_dir, &first);
    let command = normalised(&first.command)?;
    for (shard, dir, partial) in &parts[1..] {
        if normalised(&partial.command)? != command {
            return Err(BadInput(format!(
                "{} (shard {shard}) is a part of another command than {} (shard {first_shard}):\n  {}\n  {}",
                dir.display(),
                first_dir.display(),
                shown(&partial.command),
                shown(&first.command)
            ))
            .into());
        }
        if shard.count() != first_shard.count() {
            return Err(BadInput(format!(
                "{} is shard {shard} but {} is shard {first_shard}: every part of a merge comes from one split",
                dir.display(),
                first_dir.display()
            ))
            .into());
        }
        let same = |a: &Partial, b: &Partial| {
            a.configs.len() == b.configs.len()
                && a.configs.iter().zip(&b.configs).all(|(x, y)| {
                    x.kind == y.kind && x.scenario_hash == y.scenario_hash && x.replications == y.replications
                })
        };
        if !same(partial, first) {
            return Err(BadInput(format!(
                "{} (shard {shard}) and {} (shard {first_shard}) ran different scenarios under the same command line: a scenario file changed between shards; rerun the shards",
                dir.display(),
                first_dir.display()
            ))
            .into());
        }
    }
    let count = first_shard.count();
    parts.sort_by_key(|(shard, _, _)| shard.index());
    for pair in parts.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(BadInput(format!(
                "shard {} is given twice: {} and {}",
                pair[0].0,
                pair[0].1.display(),
                pair[1].1.display()
            ))
            .into());
        }
    }
    let have: BTreeSet<u32> = parts.iter().map(|(s, _, _)| s.index()).collect();
    let missing: Vec<String> = (1..=count)
        .filter(|k| !have.contains(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(BadInput(format!(
            "shard{} {} {} missing: run {}, or give {} directory",
            if missing.len() == 1 { "" } else { "s" },
            list(&missing),
            if missing.len() == 1 { "is" } else { "are" },
            if missing.len() == 1 { "it" } else { "them" },
            if missing.len() == 1 { "its" } else { "their" },
        ))
        .into());
    }
    for (_, dir, _) in &parts {
        if overlaps(&args.out, dir) {
            return Err(BadInput(format!(
                "--out {} overlaps the part {}; write the merged output elsewhere",
                args.out.display(),
                dir.display()
            ))
            .into());
        }
    }
    let mut cli = <Cli as clap::Parser>::try_parse_from(&first.command)
        .map_err(|e| anyhow!("cannot read the parts' command line: {e}"))?;
    let mut sharding = cli
        .command
        .sharding()
        .ok_or_else(|| anyhow!("the parts' command cannot be sharded"))?;
    // Relative paths of the command line are the shards' own: the merge
    // runs where they ran (when that directory exists here).
    let out = std::path::absolute(&args.out).unwrap_or_else(|_| args.out.clone());
    for (_, dir, _) in &mut parts {
        *dir = std::path::absolute(&*dir).unwrap_or_else(|_| dir.clone());
    }
    let cwd = Path::new(&first.cwd);
    if !first.cwd.is_empty() && cwd.is_dir() {
        std::env::set_current_dir(cwd)
            .map_err(|e| anyhow!("cannot enter {}, where the shards ran: {e}", cwd.display()))?;
    }
    sharding.out.set(Some(out));
    // Only what the command writes, and only where funnelsim may replace
    // it: a merge never forces (a part names the paths it writes).
    *sharding.force = false;
    *sharding.shard = None;
    *sharding.threads = None;
    read_from(parts);
    cli.run()
}

/// A command line as a person would retype it.
fn shown(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c))
            {
                a.clone()
            } else {
                format!("'{a}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `a, b and c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether one of `a` and `b` is the other or lies inside it.
fn overlaps(a: &Path, b: &Path) -> bool {
    let resolve = |p: &Path| {
        std::fs::canonicalize(p)
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let (a, b) = (resolve(a), resolve(b));
    a.starts_with(&b) || b.starts_with(&a)
}
