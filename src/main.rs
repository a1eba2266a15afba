//! The `funnelsim` command. Parsing and wiring live in `cli`; this only maps
//! errors to messages and exit codes: 0 success, 2 bad input (scenario or
//! arguments), 130 interrupted (SIGINT/SIGTERM), 1 anything else.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse_with_color(std::env::args_os().collect());
    cli::interrupt::install_handler();
    match args.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<cli::BadInput>().is_some()
                || err.downcast_ref::<funnelsim::output::fs::Refused>().is_some()
            {
                ExitCode::from(2)
            } else if err.downcast_ref::<cli::Interrupted>().is_some() {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
