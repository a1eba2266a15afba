//! The real `funnelsim` binary, driven as a user would.

mod accepted;
mod bad_args;
mod bad_input;
mod calibrate;
mod calibrated_baseline;
mod cluster;
mod conventions;
mod reliability;
mod report;
mod run;
mod safety;
mod shard;
mod snapshots;
mod strategy;
mod termout;

use std::path::PathBuf;

use assert_cmd::Command;

/// The binary under test.
pub fn funnelsim() -> Command {
    let mut c = Command::cargo_bin("funnelsim").expect("binary is built");
    // Text is laid out for 80 columns when piped, whatever the terminal
    // the tests run from.
    c.env_remove("COLUMNS");
    c
}

/// Path of a shipped scenario.
pub fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}
