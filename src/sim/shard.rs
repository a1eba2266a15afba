//! Splitting a command's replications across machines, and where a
//! command's replications come from.
//!
//! Every replication is a pure function of (scenario, seed, replication
//! index), and every result is a serial fold of per-replication records in
//! replication order ([`engine::Fold`]). So work splits exactly: shard
//! `K/N` simulates a contiguous share of the replications of *every*
//! configuration a command runs, stores their records, and a merge feeds
//! all shards' records, in order, to the same fold one machine would have
//! used. Nothing is approximated and the merged result is bit-identical.
//!
//! A command does not simulate directly: it asks a [`Runner`] for each
//! configuration's result. [`Simulate`] simulates everything; the command
//! line provides runners that simulate one shard and store its records, or
//! read stored records back.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use rayon::prelude::*;

use crate::model::scenario::Scenario;
use crate::sim::engine::{self, Detail, Rows, RunObserver, RunResult};

/// One share of a command's work: shard `index` of `count` (1-based, as
/// people and job schedulers count tasks of an array).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// Most shards a command is split into: far more than any replication
/// count worth splitting (a shard with no replications is allowed but
/// wasteful).
pub const MAX_SHARDS: u32 = 1_000_000;

impl Shard {
    /// Shard `index` of `count`.
    ///
    /// # Errors
    /// Unless `1 ≤ index ≤ count ≤` [`MAX_SHARDS`].
    pub fn new(index: u32, count: u32) -> Result<Self, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "the shard count must be between 1 and {MAX_SHARDS}, not {count}"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "shard {index}/{count} does not exist: shards are numbered 1 to {count}"
            ));
        }
        Ok(Self { index, count })
    }

    /// The shard's number, 1 to [`count`](Self::count).
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many shards the work is split into.
    pub fn count(self) -> u32 {
        self.count
    }

    /// The replications of `total` this shard runs: the `index`-th of
    /// `count` contiguous, near-equal ranges (sizes differ by at most one;
    /// concatenated in shard order they are `0..total`).
    pub fn range(self, total: u32) -> Range<u32> {
        let at = |k: u32| (u64::from(k) * u64::from(total) / u64::from(self.count)) as u32;
        at(self.index - 1)..at(self.index)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parses `K/N`, e.g. `3/8`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("expected K/N (shard K of N, numbered from 1, e.g. 3/8), not {text:?}");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k = k.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Self::new(k, n)
    }
}

/// Where a command's replications come from. Commands make their calls in
/// an order fixed by their inputs alone (never by results), so that a
/// runner can number them and match them up across machines.
pub trait Runner: Sync {
    /// The result of all replications of `s`, keeping `keep` per
    /// replication and folding in what `detail` asks for.
    fn run(&self, s: &Scenario, observer: &dyn RunObserver, keep: Rows<'_>, detail: Detail) -> RunResult;

    /// `per_replication(rep)` for replications `0..replications`, in
    /// order, for studies that count their own numbers per replication
    /// (the counterfactual blame ledger); `of` names the scenario studied.
    /// Stops before the first replication the observer cancelled.
    fn map(
        &self,
        of: &Scenario,
        replications: u32,
        observer: &dyn RunObserver,
        per_replication: &(dyn Fn(u64) -> Vec<f64> + Sync),
    ) -> Vec<Vec<f64>>;

    /// Told that values [`Runner::map`] gave do not fit the study that
    /// asked for them (a part written by another version of the study): a
    /// runner that reads parts refuses them with `why`. Values simulated
    /// here always fit, so other runners need do nothing.
    fn damaged(&self, why: &str) {
        let _ = why;
    }
}

/// The runner that simulates every replication here, on the current rayon
/// pool.
pub struct Simulate;

impl Runner for Simulate {
    fn run(&self, s: &Scenario, observer: &dyn RunObserver, keep: Rows<'_>, detail: Detail) -> RunResult {
        engine::run_detailed(s, observer, keep, detail)
    }

    fn map(
        &self,
        _of: &Scenario,
        replications: u32,
        observer: &dyn RunObserver,
        per_replication: &(dyn Fn(u64) -> Vec<f64> + Sync),
    ) -> Vec<Vec<f64>> {
        map_range(0..replications, observer, per_replication)
    }
}

/// `per_replication(rep)` for `range`, in parallel, in order; stops before
/// the first replication the observer cancelled.
pub fn map_range(
    range: Range<u32>,
    observer: &dyn RunObserver,
    per_replication: &(dyn Fn(u64) -> Vec<f64> + Sync),
) -> Vec<Vec<f64>> {
    range
        .into_par_iter()
        .map(|rep| (!observer.cancelled()).then(|| per_replication(u64::from(rep))))
        .collect::<Vec<_>>()
        .into_iter()
        .map_while(|r| r)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_tile_the_replications_in_order() {
        for total in [0, 1, 7, 200, 1001] {
            for count in [1, 2, 3, 4, 7, 16] {
                let mut next = 0;
                for k in 1..=count {
                    let r = Shard::new(k, count).unwrap().range(total);
                    assert_eq!(r.start, next);
                    assert!(r.len() as u32 <= total / count + 1);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn shard_text_is_k_of_n_from_one() {
        assert_eq!("3/8".parse::<Shard>().unwrap(), Shard::new(3, 8).unwrap());
        assert_eq!("3/8".parse::<Shard>().unwrap().to_string(), "3/8");
        for bad in ["0/4", "5/4", "1/0", "3", "a/b", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
