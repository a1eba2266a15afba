//! The counterfactual blame ledger: how many of the lost deals each side
//! could have won.
//!
//! The proximate-cause ledger says what happened to each lost lead; it does
//! not say what could have been avoided. This study re-runs the same buyers
//! (common random numbers: replication *k* of every world faces the same
//! arrivals and the same journeys) in four worlds:
//!
//! * **as is**: the scenario;
//! * **marketing perfect**: sales gets only real prospects — marketing
//!   disqualifies every poor-fit lead at capture, so it costs no rep time
//!   (the buyers are the same; none is turned into a prospect) — and each
//!   is handed to sales when it is ready: on entering the stage in which
//!   buyers frame their requirements (a stage gate there: earlier meets the
//!   brick wall, later finds the requirements written), or by the
//!   scenario's own handoff policy where that wins more deals (a buyer who
//!   raises its hand says itself when it is ready). The choice is made
//!   separately with sales as is and with sales perfect, on the ledger's
//!   replications, and reported ([`Timing`]);
//! * **sales perfect**: every touch is made the moment it is due (no first
//!   response delay, no capacity queue) and each persona gets the built-in
//!   approach best aligned with what it values;
//! * **both perfect**.
//!
//! The wins each world recovers over "as is" are paired differences, and
//! the recovered wins of "both perfect" are split between marketing and
//! sales by their Shapley values (the average of each side's contribution
//! over the two orders in which the sides could be fixed), which add up to
//! the total exactly. A side whose "perfect" world wins fewer deals than
//! the scenario gets a negative share: the scenario already does better
//! than that reference.

use serde::Serialize;

use crate::model::handoff::HandoffPolicy;
use crate::model::outcome::Outcome;
use crate::model::outreach::{Approach, ApproachKind};
use crate::model::scenario::Scenario;
use crate::sim::engine::{RunObserver, simulate_replication};
use crate::sim::shard::Runner;
use crate::sim::stats::Estimate;

/// Runs of the scenario the study makes per replication: as is, and each
/// perfect world, marketing's with both of its timings.
pub const WORLDS: u64 = 6;

/// Replications `funnelsim run` gives the study unless told otherwise:
/// enough for paired intervals of a few deals on the shipped scenarios, and
/// few enough that the four worlds cost about as much as the run itself.
pub const DEFAULT_REPLICATIONS: u32 = 40;

/// One of the four worlds of the study.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum World {
    /// The scenario as given.
    AsIs,
    /// Only real prospects handed off, at the framing stage.
    MarketingPerfect,
    /// Instant response, no capacity queue, the best-aligned approach per
    /// persona.
    SalesPerfect,
    /// Both.
    BothPerfect,
}

impl World {
    /// The four worlds, in the order the study reports them.
    pub const ALL: [World; 4] = [
        World::AsIs,
        World::MarketingPerfect,
        World::SalesPerfect,
        World::BothPerfect,
    ];

    /// Short name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            World::AsIs => "as_is",
            World::MarketingPerfect => "marketing_perfect",
            World::SalesPerfect => "sales_perfect",
            World::BothPerfect => "both_perfect",
        }
    }

    /// Label for people.
    pub fn label(self) -> &'static str {
        match self {
            World::AsIs => "as is",
            World::MarketingPerfect => "marketing perfect",
            World::SalesPerfect => "sales perfect",
            World::BothPerfect => "both perfect",
        }
    }

    fn marketing_perfect(self) -> bool {
        matches!(self, World::MarketingPerfect | World::BothPerfect)
    }

    fn sales_perfect(self) -> bool {
        matches!(self, World::SalesPerfect | World::BothPerfect)
    }
}

/// When perfect marketing hands a lead to sales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// On entering the framing stage.
    FramingStage,
    /// By the scenario's own handoff policy.
    OwnPolicy,
}

/// `s` with marketing, sales, or both made perfect (see the module
/// documentation), perfect marketing handing off by `timing`. The
/// scenario's spec is left as it was: the world is a reference, not a
/// scenario a user wrote.
pub fn world(s: &Scenario, w: World, timing: Timing) -> Scenario {
    let mut s = s.clone();
    if w.marketing_perfect() {
        s.marketing.screen_poor_fit = true;
        if timing == Timing::FramingStage {
            s.handoff = HandoffPolicy::StageGate {
                stage: s.decision.framing_stage,
            };
        }
    }
    if w.sales_perfect() {
        let o = &mut s.outreach;
        o.first_response_days = 0.0;
        o.unlimited_capacity = true;
        for (segment, approach) in s.segments.iter().zip(o.by_segment.iter_mut()) {
            *approach = best_aligned(&segment.values);
        }
    }
    s
}

/// The built-in approach best aligned with a persona's values (the first
/// of scripted, insight-led, consultative on a tie).
pub fn best_aligned(values: &crate::model::values::Values) -> Approach {
    [
        ApproachKind::Scripted,
        ApproachKind::InsightLed,
        ApproachKind::Consultative,
    ]
    .into_iter()
    .map(Approach::builtin)
    .fold(None::<(f64, Approach)>, |best, a| {
        let fit = values.alignment(&a.scores);
        match best {
            Some((b, _)) if b >= fit => best,
            _ => Some((fit, a)),
        }
    })
    .map(|(_, a)| a)
    .expect("three approaches")
}

/// What one replication of the study counts.
struct Replication {
    /// Deals won in each world, in [`World::ALL`] order.
    won: [f64; 4],
    /// Deals lost as is.
    lost: f64,
}

/// The counterfactual ledger of a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Counterfactual {
    /// Replications each world ran.
    pub replications: u32,
    /// Deals lost in the scenario as is (cohort leads that did not end won
    /// or still open).
    pub lost: Estimate,
    /// Deals won in each world, in [`World::ALL`] order.
    pub won: Vec<(World, Estimate)>,
    /// Wins each perfect world recovers over "as is" (paired), in
    /// [`World::ALL`] order without "as is".
    pub recovered: Vec<(World, Estimate)>,
    /// Marketing's Shapley share of the wins "both perfect" recovers.
    pub marketing_share: Estimate,
    /// Sales' Shapley share of the wins "both perfect" recovers.
    pub sales_share: Estimate,
    /// When perfect marketing hands off, with sales as is.
    pub marketing_timing: Timing,
    /// When perfect marketing hands off, with sales perfect.
    pub both_timing: Timing,
    /// Deals won in each world ([`World::ALL`] order), per replication: for
    /// paired differences between any two worlds.
    #[serde(skip)]
    pub won_per_replication: Vec<[f64; 4]>,
}

/// Runs the four worlds of `s` on its first `replications` replications
/// (common random numbers: the same buyers as the run's), in parallel on
/// the current rayon pool, and builds the ledger. `observer` hears of every
/// world's replication (four per replication) and may stop the study
/// between replications; the ledger then covers the replications before
/// the first one skipped, whatever the scheduling.
pub fn counterfactual(
    s: &Scenario,
    replications: u32,
    runner: &dyn Runner,
    observer: &dyn RunObserver,
) -> Counterfactual {
    use Timing::{FramingStage, OwnPolicy};
    use World::{AsIs, BothPerfect, MarketingPerfect, SalesPerfect};
    let runs = [
        (AsIs, OwnPolicy),
        (MarketingPerfect, FramingStage),
        (MarketingPerfect, OwnPolicy),
        (SalesPerfect, OwnPolicy),
        (BothPerfect, FramingStage),
        (BothPerfect, OwnPolicy),
    ]
    .map(|(w, t)| world(s, w, t));
    let runs = per_replication_wins(s, &runs, replications, runner, observer);
    // Perfect marketing takes the better timing, by the deals it wins over
    // the ledger's replications (the framing stage on a tie).
    let better = |gate: usize, own: usize| {
        let total = |i: usize| runs.iter().map(|(w, _)| w[i]).sum::<f64>();
        if total(own) > total(gate) {
            (own, OwnPolicy)
        } else {
            (gate, FramingStage)
        }
    };
    let ((m, marketing_timing), (ms, both_timing)) = (better(1, 2), better(4, 5));
    let per_replication: Vec<Replication> = runs
        .iter()
        .map(|(w, lost)| Replication {
            won: [w[0], w[m], w[3], w[ms]],
            lost: *lost,
        })
        .collect();
    let column = |f: &dyn Fn(&Replication) -> f64| -> Estimate {
        Estimate::from_values(&per_replication.iter().map(f).collect::<Vec<_>>())
    };
    // Shapley values of the two-player game v(∅) = 0, v(M), v(S), v(MS),
    // with v = wins recovered over "as is", per replication.
    let gain = |w: &[f64; 4], i: usize| w[i] - w[0];
    let marketing = |w: &[f64; 4]| 0.5 * gain(w, 1) + 0.5 * (gain(w, 3) - gain(w, 2));
    let sales = |w: &[f64; 4]| 0.5 * gain(w, 2) + 0.5 * (gain(w, 3) - gain(w, 1));
    Counterfactual {
        replications: per_replication.len() as u32,
        lost: column(&|r| r.lost),
        won: World::ALL
            .iter()
            .enumerate()
            .map(|(i, &w)| (w, column(&|r| r.won[i])))
            .collect(),
        recovered: World::ALL
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, &w)| (w, column(&|r| gain(&r.won, i))))
            .collect(),
        marketing_share: column(&|r| marketing(&r.won)),
        sales_share: column(&|r| sales(&r.won)),
        marketing_timing,
        both_timing,
        won_per_replication: per_replication.iter().map(|r| r.won).collect(),
    }
}

/// Deals won in each of `worlds` and deals lost in the first, per
/// replication, for the first `replications` replications — or those
/// before the first one the observer cancelled.
fn per_replication_wins(
    s: &Scenario,
    worlds: &[Scenario],
    replications: u32,
    runner: &dyn Runner,
    observer: &dyn RunObserver,
) -> Vec<(Vec<f64>, f64)> {
    let per_replication = |rep: u64| {
        // The worlds' wins, then the deals lost as is.
        let mut row = vec![0.0; worlds.len() + 1];
        for (i, w) in worlds.iter().enumerate() {
            let r = simulate_replication(w, rep);
            let outcomes = &r.tally.outcomes;
            row[i] = outcomes[Outcome::Won as usize] as f64;
            if i == 0 {
                let leads: u64 = outcomes.iter().sum();
                row[worlds.len()] =
                    (leads - outcomes[Outcome::Won as usize] - outcomes[Outcome::Open as usize]) as f64;
            }
            observer.replication_finished();
        }
        row
    };
    runner
        .map(s, replications, observer, &per_replication)
        .into_iter()
        .map(|mut row| {
            let lost = row.pop().expect("a row holds the deals lost");
            (row, lost)
        })
        .collect()
}

impl Timing {
    /// How perfect marketing hands off under this timing, in words.
    pub fn describe(self, s: &Scenario) -> String {
        match self {
            Timing::FramingStage => format!("on reaching {}", s.framing_stage_name()),
            Timing::OwnPolicy => format!("by the scenario's own {} policy", s.handoff().name()),
        }
    }
}

impl Counterfactual {
    /// What perfect marketing means in this ledger, in words.
    pub fn marketing_perfect_means(&self, s: &Scenario) -> String {
        let timing = self.marketing_timing.describe(s);
        let both = if self.both_timing == self.marketing_timing {
            String::new()
        } else {
            format!(" ({} when sales is perfect too)", self.both_timing.describe(s))
        };
        format!("poor-fit leads screened out at capture, the rest handed off {timing}{both}")
    }

    /// Wins world `w` recovers over "as is" (`None` for "as is").
    pub fn recovered_in(&self, w: World) -> Option<&Estimate> {
        self.recovered.iter().find(|(x, _)| *x == w).map(|(_, e)| e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::values::Values;

    #[test]
    fn best_aligned_follows_the_persona() {
        let educate = Values([0.0, 1.0, 0.0, 0.0, 0.0]);
        let risk = Values([0.0, 0.0, 0.0, 0.0, 1.0]);
        let cost = Values([0.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(best_aligned(&educate).kind, ApproachKind::InsightLed);
        assert_eq!(best_aligned(&risk).kind, ApproachKind::Consultative);
        assert_eq!(best_aligned(&cost).kind, ApproachKind::Scripted);
    }
}
