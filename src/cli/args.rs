//! Options shared by several commands.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use funnelsim::model::scenario::overrides::Override;
use funnelsim::output::tables::Format;

use super::load::refusal;

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
    /// With --out, also write every chart as PNG at 2× for slides (SVG is
    /// always written)
    #[arg(long)]
    pub png: bool,
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
    /// The `--set` overrides, parsed.
    pub fn overrides(&self) -> Result<Vec<Override>> {
        self.set
            .iter()
            .map(|s| Override::parse(s).map_err(|e| refusal(&e, "", "").into()))
            .collect()
    }
}
