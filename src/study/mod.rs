//! Studies built from many runs of the simulation with common random
//! numbers: paired [`compare`]isons, parameter [`sweep`]s and one-at-a-time
//! [`sensitivity`].

pub mod compare;
pub mod sensitivity;
pub mod sweep;
