//! `funnelsim man`: man pages (roff), generated from the same definition as
//! the parser. Printed on stdout, or written into a directory one page per
//! command, replacing only pages funnelsim wrote.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use funnelsim::output::fs::{self, Guard, Ownership};

use super::Cli;
use super::load::BadInput;
use super::term::note;

/// `funnelsim man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Print the page of this command (e.g. run) instead of funnelsim's
    #[arg(value_name = "COMMAND", conflicts_with = "out")]
    pub command: Option<String>,
    /// Write funnelsim.1 and a funnelsim-COMMAND.1 for every command into
    /// DIR (created if missing) instead of printing; pages there that
    /// funnelsim did not write are not replaced
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out, replace pages even if funnelsim did not write them
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// The first line of every page funnelsim writes: a roff comment that marks
/// the file as funnelsim's (so a later `man --out` may replace it).
const MARK: &str = ".\\\" Written by funnelsim ";

/// Every page: funnelsim's, then one per command (the `help` command has
/// none), as (file name, roff text).
fn pages() -> Result<Vec<(String, String)>> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let commands =
        std::iter::once(root.clone()).chain(root.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    commands
        .map(|c| {
            let man = clap_mangen::Man::new(c).source(format!("funnelsim {}", env!("CARGO_PKG_VERSION")));
            let mut roff = Vec::new();
            man.render(&mut roff)?;
            let text = format!(
                "{MARK}{}; regenerate with `funnelsim man`\n{}",
                env!("CARGO_PKG_VERSION"),
                title_first(&String::from_utf8(roff)?)
            );
            Ok((man.get_filename(), text))
        })
        .collect()
}

/// `roff` with its `.TH` line moved first, before the string definitions
/// clap_mangen opens every page with, as man page checkers expect. The
/// title uses none of those strings (it would be left in place if it did).
fn title_first(roff: &str) -> String {
    let mut lines: Vec<&str> = roff.lines().collect();
    if let Some(at) = lines
        .iter()
        .position(|l| l.starts_with(".TH ") && !l.contains("\\*("))
    {
        let title = lines.remove(at);
        lines.insert(0, title);
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `funnelsim man`.
pub fn man(args: ManArgs) -> Result<()> {
    let pages = pages()?;
    let Some(dir) = &args.out else {
        let file = match &args.command {
            None => "funnelsim.1".to_owned(),
            Some(c) => format!("funnelsim-{c}.1"),
        };
        let Some((_, text)) = pages.iter().find(|(name, _)| *name == file) else {
            let known: Vec<&str> = pages
                .iter()
                .filter_map(|(name, _)| name.strip_prefix("funnelsim-")?.strip_suffix(".1"))
                .collect();
            return Err(BadInput(format!(
                "funnelsim has no command {}; its commands are {}",
                args.command.as_deref().unwrap_or_default(),
                known.join(", ")
            ))
            .into());
        };
        print!("{text}");
        return Ok(());
    };
    write_pages(dir, &pages, args.force)?;
    note!("wrote {} man pages to {}", pages.len(), dir.display());
    Ok(())
}

/// Writes `pages` into `dir` (created if missing), each atomically, after
/// checking that every one may be written: either all are written or none.
fn write_pages(dir: &Path, pages: &[(String, String)], force: bool) -> Result<()> {
    let guard = Guard { inputs: &[], force };
    let ownership = Ownership::StartsWith(MARK);
    if !dir.exists() {
        std::fs::create_dir(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    for (name, _) in pages {
        fs::check_file_target(&dir.join(name), guard, ownership)?;
    }
    for (name, text) in pages {
        fs::write_atomic(&dir.join(name), guard, ownership, |tmp| {
            std::fs::write(tmp, text).with_context(|| format!("cannot write {}", tmp.display()))
        })?;
    }
    Ok(())
}
