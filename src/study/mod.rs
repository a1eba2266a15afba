//! Studies built from many runs of the simulation with common random
//! numbers: paired [`compare`]isons, parameter [`sweep`]s, one-at-a-time
//! [`sensitivity`], and the counterfactual [`blame`] ledger.

pub mod blame;
pub mod compare;
pub mod sensitivity;
pub mod sweep;
