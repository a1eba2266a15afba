//! `funnelsim serve`: the live console (see [`funnelsim::serve`]) on a
//! local port until Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use funnelsim::serve::{self, Console, Limits};

use super::interrupt;
use super::load::BadInput;
use super::term::note;

/// `funnelsim serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Scenario files, or directories whose *.toml files are served (files
    /// named NN_… in a directory are workshop steps, in order) [default:
    /// scenarios and scenarios/workshop]. No other file can be reached
    /// from the page.
    #[arg(value_name = "SCENARIO|DIR")]
    pub scenarios: Vec<PathBuf>,
    /// Port to listen on (0 picks a free one)
    #[arg(short, long, default_value_t = 8765)]
    pub port: u16,
    /// Address to listen on; the default serves this machine only, 0.0.0.0
    /// serves the room's network
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    pub host: String,
    /// Runs that may wait behind the one simulating; more are answered
    /// "busy"
    #[arg(long, value_name = "N", default_value_t = Limits::default().queued)]
    pub queue: usize,
}

/// `funnelsim serve`.
pub fn serve(args: ServeArgs) -> Result<()> {
    let paths = if args.scenarios.is_empty() {
        let defaults: Vec<PathBuf> = ["scenarios", "scenarios/workshop"]
            .into_iter()
            .map(PathBuf::from)
            .filter(|p| p.is_dir())
            .collect();
        if defaults.is_empty() {
            return Err(BadInput(
                "no scenarios to serve: give scenario files or directories (there is no scenarios/ directory here)".into(),
            )
            .into());
        }
        defaults
    } else {
        args.scenarios.clone()
    };
    let entries = serve::entries(&paths).map_err(BadInput)?;
    let address = serve::address(&args.host, args.port).map_err(BadInput)?;
    let limits = Limits {
        queued: args.queue,
        ..Limits::default()
    };
    let console =
        Console::new(entries, limits, interrupt::requested).context("cannot start worker threads")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .context("cannot start the server")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        let bound = listener.local_addr()?;
        let n = console.entries().len();
        println!("funnelsim console: http://{bound}/ ({n} scenarios; Ctrl-C stops it)");
        if !bound.ip().is_loopback() {
            note!(
                "note: listening on {} — anyone on this network can use the console",
                bound.ip()
            );
        }
        // The interrupt handler sets a flag; poll it.
        let stop = async {
            while !interrupt::requested() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        serve::serve(listener, console, stop)
            .await
            .context("the server failed")
    })?;
    note!("stopped");
    Ok(())
}
