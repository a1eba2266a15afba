//! Studies built from many runs of the simulation with common random
//! numbers: paired [`compare`]isons, parameter [`sweep`]s, sequential
//! selection of the best configuration ([`optimise`]), one-at-a-time
//! [`sensitivity`], and the counterfactual [`blame`] ledger.

pub mod blame;
pub mod compare;
pub mod optimise;
pub mod sensitivity;
pub mod sweep;
