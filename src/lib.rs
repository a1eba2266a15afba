//! # funnelsim
//!
//! Monte Carlo simulation of B2B buyers moving through decision stages under
//! different lead-handoff timing and sales outreach policies, with a ledger of
//! who is to blame for every lost deal.
//!
//! ```no_run
//! use funnelsim::{model::scenario::Scenario, sim::engine};
//! let text = std::fs::read_to_string("scenarios/baseline.toml").unwrap();
//! let scenario = Scenario::from_toml_str(&text).unwrap();
//! let result = engine::run(&scenario, &engine::Silent);
//! let close = result.estimate("close_rate").unwrap();
//! println!("close rate {:?} (95% CI {:?}–{:?})", close.mean, close.ci_low, close.ci_high);
//! ```
//!
//! The crate is in layers, one folder each; the core does no file,
//! terminal or chart I/O:
//!
//! | layer | what it holds |
//! | --- | --- |
//! | [`model`] | the validated scenario and its domain concepts (no randomness) |
//! | [`sim`] | random streams, the event queue, one replication, many replications, statistics |
//! | [`study`] | compare, sweep and sensitivity: many runs with common random numbers |
//! | [`calibration`] | cleaning CRM history, fits, the calibrated scenario |
//! | `input` | the edges that read (feature `cli`): CRM stage-history exports |
//! | `output` | the edges (feature `cli`, on by default): tables, JSON, terminal text, charts, the report, atomic output files |
//!
//! The binary (`src/main.rs`, `src/cli/`) parses arguments and wires the
//! layers together.
#![deny(missing_docs)]

pub mod calibration;
#[cfg(feature = "cli")]
pub mod input;
pub mod model;
#[cfg(feature = "cli")]
pub mod output;
#[cfg(feature = "cli")]
pub mod serve;
pub mod sim;
pub mod study;
