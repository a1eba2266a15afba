//! Key paths over a scenario spec: what `--set`, `sweep --vary` and
//! `sensitivity` address parameters by (`outreach.reps`,
//! `stages[2].receptivity`, `channels.trade_shows.fit`).

mod path;

pub(crate) use path::Place;
pub use path::{ParamPath, Step};
