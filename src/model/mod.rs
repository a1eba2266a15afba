//! The model: a validated [`scenario::Scenario`] and the domain concepts it is
//! made of — decision stages, segments, lead channels, marketing, handoff,
//! outreach, what buyers value, the decision, and how stories end (with the
//! blame ledger). Everything here is data and pure rules: no randomness, no
//! I/O. The absorbing-chain closed form ([`markov`]) lives here too: it is a
//! property of the model, not of a simulation.

pub mod channel;
pub mod decision;
pub mod handoff;
pub mod marketing;
pub mod markov;
pub mod outcome;
pub mod outreach;
pub mod scenario;
pub mod segment;
pub mod stage;
pub mod values;
