//! # funnelsim
//!
//! Monte Carlo simulation of B2B buyers moving through decision stages under
//! different lead-handoff timing and sales outreach policies, with a ledger of
//! who is to blame for every lost deal.
//!
//! ```no_run
//! use funnelsim::{engine, scenario::Scenario};
//! let text = std::fs::read_to_string("scenarios/baseline.toml").unwrap();
//! let scenario = Scenario::from_toml_str(&text).unwrap();
//! let result = engine::run(&scenario, &engine::Silent);
//! let close = result.estimate("close_rate").unwrap();
//! println!("close rate {:?} (95% CI {:?}–{:?})", close.mean, close.ci_low, close.ci_high);
//! ```
//!
//! The simulation core (`scenario`, `stage`, `segment`, `channel`,
//! `marketing`, `handoff`, `outreach`, `decision`, `buyer`, `outcome`,
//! `event`, `engine`, `journey`, `metrics`, `stats`, `markov`, `compare`, `sweep`,
//! `sensitivity`, and calibration: `history`, `fit`, `calibrate`) does no file, terminal or
//! chart I/O. The edges (`output`: tables, JSON, terminal summary, atomic
//! output directories) sit around it; the binary only wires them together.
#![deny(missing_docs)]

pub mod buyer;
pub mod calibrate;
pub mod channel;
pub mod compare;
pub mod decision;
pub mod engine;
pub mod event;
pub mod fit;
pub mod handoff;
pub mod history;
pub mod journey;
pub mod marketing;
pub mod markov;
pub mod metrics;
pub mod outcome;
pub mod output;
pub mod outreach;
pub mod rng;
pub mod scenario;
pub mod segment;
pub mod sensitivity;
pub mod stage;
pub mod stats;
pub mod sweep;
pub mod values;
