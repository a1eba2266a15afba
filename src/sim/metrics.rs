//! What one replication measures, and its flat row of named metrics.
//!
//! The engine fills a [`Tally`] while it simulates (counters only, nothing
//! per buyer is kept); [`metric_row`] turns it into named values, one row per
//! replication. Names are stable: they are the columns of the replications
//! table and the keys of the JSON summary.
//!
//! Figures describe the *cohort* of leads captured in the measurement window
//! (see [`crate::model::scenario::Window`]), followed until the run ends; rep-day
//! and fixed channel costs accrue over the window.

use serde::Serialize;

use crate::model::outcome::{Cause, Outcome, Side};
use crate::model::scenario::Scenario;

/// How a metric's values read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A count per window.
    Count,
    /// A fraction, shown in percent / percentage points.
    Rate,
    /// Money.
    Money,
    /// Days.
    Days,
}

/// Which way a metric should move for the company.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (wins, revenue, profit).
    HigherIsBetter,
    /// Less is better (costs, cycle time, losses).
    LowerIsBetter,
    /// Neither: context decides (volumes, shares of outcomes).
    Neutral,
}

/// A metric of the catalogue: its stable name (a column of the replications
/// table, a key of the JSON summary), how to speak about it and which way
/// is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Metric {
    /// Stable name, e.g. `close_rate` or, for a family, `share.` + outcome.
    pub name: &'static str,
    /// Short human label, e.g. "close rate".
    pub label: &'static str,
    /// How it is computed, where a label alone is ambiguous, e.g.
    /// "won/leads".
    pub definition: Option<&'static str>,
    /// Unit of its values.
    pub unit: Unit,
    /// Which way is better.
    pub direction: Direction,
}

const fn metric(name: &'static str, label: &'static str, unit: Unit, direction: Direction) -> Metric {
    Metric {
        name,
        label,
        definition: None,
        unit,
        direction,
    }
}

use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower, Neutral};

/// Every scalar metric a replication reports, and the members of a family
/// (below) that have a name of their own.
pub const CATALOGUE: [Metric; 22] = [
    metric("leads", "leads", Unit::Count, Neutral),
    metric("won", "deals won", Unit::Count, Higher),
    metric("decided", "buyers who decided", Unit::Count, Neutral),
    Metric {
        definition: Some("won/leads"),
        ..metric("close_rate", "close rate", Unit::Rate, Higher)
    },
    Metric {
        definition: Some("won/decided"),
        ..metric("win_rate", "win rate", Unit::Rate, Higher)
    },
    metric("revenue", "revenue", Unit::Money, Higher),
    metric("marketing_spend", "marketing spend", Unit::Money, Lower),
    metric("sales_spend", "sales spend", Unit::Money, Lower),
    metric("total_spend", "total spend", Unit::Money, Lower),
    metric("profit", "profit", Unit::Money, Higher),
    metric("roi", "ROI", Unit::Rate, Higher),
    metric("cost_per_win", "cost per won deal", Unit::Money, Lower),
    metric("cycle_days", "sales cycle (days)", Unit::Days, Lower),
    metric("response_days", "first response (days)", Unit::Days, Lower),
    metric("handoffs", "handoffs to sales", Unit::Count, Neutral),
    metric("recycled", "leads recycled to marketing", Unit::Count, Neutral),
    metric("touches", "sales touches", Unit::Count, Neutral),
    metric("touches_welcome", "welcome touches", Unit::Count, Higher),
    metric("touches_unwelcome", "unwelcome touches", Unit::Count, Lower),
    metric("welcome_rate", "touches welcome", Unit::Rate, Higher),
    metric("nurture_touches", "nurture touches", Unit::Count, Neutral),
    metric("share.went_dark", "share of leads gone dark", Unit::Rate, Lower),
];

/// Families of metrics with one member per outcome, cause, side, channel or
/// stage: `prefix` + the member's name.
pub const FAMILIES: [Metric; 8] = [
    metric("outcome.", "leads ending as", Unit::Count, Neutral),
    metric("share.", "share of leads ending as", Unit::Rate, Neutral),
    metric("blame.", "lost leads blamed on", Unit::Count, Lower),
    metric(
        "blame_side.",
        "lost leads blamed on the side of",
        Unit::Count,
        Lower,
    ),
    metric("leads.", "leads from", Unit::Count, Neutral),
    metric("reached.", "leads reaching", Unit::Count, Higher),
    metric("conversion.", "conversion into", Unit::Rate, Higher),
    metric("handoffs.", "handoffs in", Unit::Count, Neutral),
];

/// The metrics made of costs (channel spend, touches, rep days): mere
/// placeholders in a scenario whose costs are unknown.
pub const MADE_OF_COSTS: [&str; 6] = [
    "marketing_spend",
    "sales_spend",
    "total_spend",
    "profit",
    "roi",
    "cost_per_win",
];

impl Metric {
    /// Whether the metric `name` is made of costs ([`MADE_OF_COSTS`]).
    pub fn made_of_costs(name: &str) -> bool {
        MADE_OF_COSTS.contains(&name)
    }

    /// The catalogue entry of a metric name: a scalar metric, or the family
    /// a per-item name (`share.went_dark`) belongs to. `None` for a name no
    /// replication reports.
    pub fn find(name: &str) -> Option<Metric> {
        CATALOGUE.iter().find(|m| m.name == name).copied().or_else(|| {
            FAMILIES
                .iter()
                .find(|f| name.strip_prefix(f.name).is_some_and(|rest| !rest.is_empty()))
                .copied()
        })
    }

    /// The unit of a metric name; counts for names outside the catalogue.
    pub fn unit_of(name: &str) -> Unit {
        Self::find(name).map_or(Unit::Count, |m| m.unit)
    }

    /// The label with its definition, e.g. "close rate (won/leads)".
    pub fn long_label(&self) -> String {
        match self.definition {
            Some(d) => format!("{} ({d})", self.label),
            None => self.label.to_owned(),
        }
    }
}

/// Counters of one replication (cohort leads only, unless stated).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Leads captured, per channel.
    pub leads: Vec<u64>,
    /// Leads whose journey reached each stage while known to us.
    pub reached: Vec<u64>,
    /// Handoffs to sales, by the buyer's true stage at handoff.
    pub handoffs_by_stage: Vec<u64>,
    /// Leads recycled from sales back to marketing.
    pub recycled: u64,
    /// Sales touches made.
    pub touches: u64,
    /// Of which welcome.
    pub welcome: u64,
    /// Nurture touches sent.
    pub nurture_touches: u64,
    /// Final outcome counts, indexed by [`Outcome`].
    pub outcomes: [u64; 6],
    /// Proximate causes of losses, indexed by [`Cause`].
    pub causes: [u64; 7],
    /// Buyers that reached the decision and chose (us, competitor or status quo).
    pub decided: u64,
    /// Revenue from won deals.
    pub revenue: f64,
    /// Sum of capture-to-won days over won deals.
    pub cycle_days_sum: f64,
    /// First touches made (handoffs that got a first touch).
    pub first_touches: u64,
    /// Sum of handoff-to-first-touch days.
    pub response_days_sum: f64,
    /// Burst events held in the window, per channel.
    pub events_in_window: Vec<u64>,
    /// Events processed (all buyers, whole run): those popped from the
    /// event queue, and on the fast path the Poisson arrivals merged without
    /// it. Journeys walked whole at capture are not events, so the two paths
    /// count differently; [`buyers`](Self::buyers) is the measure of work
    /// that both share.
    pub events_processed: u64,
    /// Buyers simulated (all of them, whole run: warm-up and run-off
    /// included; for throughput figures).
    pub buyers: u64,
    /// Won deals by capture-to-won days, in bins of [`CYCLE_BIN_DAYS`]; the
    /// last bin also holds longer cycles.
    pub cycle_histogram: Vec<u32>,
}

/// Width of a sales-cycle histogram bin, in days.
pub const CYCLE_BIN_DAYS: f64 = 7.0;

/// Number of sales-cycle histogram bins (two years, then overflow).
pub const CYCLE_BINS: usize = 105;

/// The sales-cycle histogram bin of a deal won `cycle_days` after capture.
#[inline]
pub fn cycle_bin(cycle_days: f64) -> usize {
    ((cycle_days / CYCLE_BIN_DAYS) as usize).min(CYCLE_BINS - 1)
}

impl Tally {
    /// A zeroed tally shaped for `s`.
    pub fn new(s: &Scenario) -> Self {
        Self {
            leads: vec![0; s.channels.len()],
            reached: vec![0; s.stages.len()],
            handoffs_by_stage: vec![0; s.stages.len()],
            events_in_window: vec![0; s.channels.len()],
            cycle_histogram: vec![0; CYCLE_BINS],
            ..Self::default()
        }
    }

    /// Total cohort leads.
    pub fn total_leads(&self) -> u64 {
        self.leads.iter().sum()
    }
}

/// Names of the metrics of a scenario, in row order.
pub fn metric_names(s: &Scenario) -> Vec<String> {
    let mut names = Vec::new();
    visit(s, &Tally::new(s), |n, _| names.push(n.to_owned()));
    names
}

/// The metric values of one replication, in the order of [`metric_names`].
/// Undefined ratios (0/0) are `NaN` and are left out of estimates.
pub fn metric_row(s: &Scenario, t: &Tally) -> Vec<f64> {
    let mut row = Vec::new();
    visit(s, t, |_, v| row.push(v));
    row
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

/// Calls `f(name, value)` for every metric. The single source of both the
/// names and the values, so the two can never disagree.
fn visit(s: &Scenario, t: &Tally, mut f: impl FnMut(&str, f64)) {
    let leads = t.total_leads() as f64;
    let won = t.outcomes[Outcome::Won as usize] as f64;
    let window_years = s.horizon_days / 365.0;

    // Spend.
    let mut marketing_spend = t.nurture_touches as f64 * s.marketing.cost_per_touch;
    for (i, c) in s.channels.iter().enumerate() {
        marketing_spend += c.spend.fixed_per_year * window_years
            + c.spend.per_lead * t.leads[i] as f64
            + c.spend.per_event * t.events_in_window[i] as f64;
    }
    let sales_spend = t.touches as f64 * s.outreach.cost_per_touch
        + f64::from(s.outreach.reps) * s.outreach.cost_per_rep_day * s.horizon_days;
    let spend = marketing_spend + sales_spend;

    f("leads", leads);
    f("won", won);
    f("decided", t.decided as f64);
    f("close_rate", ratio(won, leads));
    f("win_rate", ratio(won, t.decided as f64));
    f("revenue", t.revenue);
    f("marketing_spend", marketing_spend);
    f("sales_spend", sales_spend);
    f("total_spend", spend);
    f("profit", t.revenue - spend);
    f("roi", ratio(t.revenue - spend, spend));
    f("cost_per_win", ratio(spend, won));
    f("cycle_days", ratio(t.cycle_days_sum, won));
    f(
        "response_days",
        ratio(t.response_days_sum, t.first_touches as f64),
    );
    f("handoffs", t.handoffs_by_stage.iter().sum::<u64>() as f64);
    f("recycled", t.recycled as f64);
    f("touches", t.touches as f64);
    f("touches_welcome", t.welcome as f64);
    f("touches_unwelcome", (t.touches - t.welcome) as f64);
    f("welcome_rate", ratio(t.welcome as f64, t.touches as f64));
    f("nurture_touches", t.nurture_touches as f64);
    for o in Outcome::ALL {
        f(&format!("outcome.{}", o.name()), t.outcomes[o as usize] as f64);
    }
    for o in Outcome::ALL {
        f(
            &format!("share.{}", o.name()),
            ratio(t.outcomes[o as usize] as f64, leads),
        );
    }
    for c in Cause::ALL {
        f(&format!("blame.{}", c.name()), t.causes[c as usize] as f64);
    }
    for side in Side::ALL {
        let n: u64 = Cause::ALL
            .iter()
            .filter(|c| c.side() == side)
            .map(|&c| t.causes[c as usize])
            .sum();
        f(&format!("blame_side.{}", side.name()), n as f64);
    }
    for (i, c) in s.channels.iter().enumerate() {
        f(&format!("leads.{}", c.name), t.leads[i] as f64);
    }
    for (i, st) in s.stages.iter().enumerate() {
        f(&format!("reached.{}", st.name), t.reached[i] as f64);
    }
    for i in 1..s.stages.len() {
        f(
            &format!("conversion.{}", s.stages[i].name),
            ratio(t.reached[i] as f64, t.reached[i - 1] as f64),
        );
    }
    for (i, st) in s.stages.iter().enumerate() {
        f(&format!("handoffs.{}", st.name), t.handoffs_by_stage[i] as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_in_the_catalogue_and_every_entry_is_reported() {
        let s = Scenario::from_toml_str(include_str!("../../scenarios/baseline.toml")).unwrap();
        let names = metric_names(&s);
        for n in &names {
            assert!(Metric::find(n).is_some(), "{n} is not in the catalogue");
        }
        for m in CATALOGUE {
            assert!(names.iter().any(|n| n == m.name), "{} is never reported", m.name);
        }
        assert_eq!(Metric::find("close_rat"), None, "typos are not metrics");
        assert_eq!(Metric::find("share."), None, "a family needs a member");
        assert_eq!(Metric::unit_of("share.won"), Unit::Rate);
        assert_eq!(
            Metric::find("close_rate").unwrap().long_label(),
            "close rate (won/leads)"
        );
    }
}
