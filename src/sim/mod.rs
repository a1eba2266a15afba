//! The simulation: random-number streams, the event queue, one
//! [`replication`] (event-driven, or whole journeys of independent buyers on
//! the [`fast_path`]; both apply the model rules of `rules.rs`), what a
//! replication counts ([`metrics`]) and the statistics across replications
//! ([`stats`]). Many replications run in parallel with [`engine::run`];
//! results depend only on (scenario, seed, replications).

pub mod buyer;
pub mod engine;
pub mod event;
pub mod fast_path;
pub mod metrics;
pub mod replication;
pub mod rng;
pub(crate) mod rules;
pub mod shard;
pub mod stats;
