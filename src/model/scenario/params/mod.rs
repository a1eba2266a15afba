//! Typed key paths over a scenario spec: what `--set`, `sweep --vary` and
//! `sensitivity` address parameters by.
//!
//! A [`ParamPath`] (`outreach.reps`, `stages[2].receptivity`,
//! `channels.trade_shows.fit`) is resolved against the spec's structure,
//! which is described once, struct by struct: each section's keys, the
//! lists of named entries, the tagged sections (`[handoff]` with `policy`)
//! with the keys of each variant, and the optional keys. A value is read as
//! the type of its key and set on the spec directly; a table or list given
//! whole is kept as given, so that later paths reach into it, and read once
//! every override is in. Sensitivity enumerates the [`Number`]s of the same
//! description.

mod describe;
mod edit;
mod faults;
mod given;
mod node;
mod numbers;
mod path;
mod resolve;
mod sections;

pub(crate) use edit::Edit;
pub use numbers::{Number, numbers};
pub(crate) use path::Place;
pub use path::{ParamPath, Step};
