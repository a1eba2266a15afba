//! Every integration test, in one binary: the crate and polars are linked
//! once instead of once per file. Run one group with a filter, e.g.
//! `cargo test --release --test suite markov_check`.

mod common;

mod browser;
mod calibration;
#[path = "cli/main.rs"]
mod cli;
mod credibility;
mod determinism;
mod docs;
mod fast_path;
mod fuzz_bodies;
mod markov_check;
mod mechanisms;
mod optimise;
mod properties;
mod serve;
mod strategy;
