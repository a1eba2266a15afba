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

use crate::model::outcome::{Cause, Outcome, Side};
use crate::model::scenario::Scenario;

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
    pub causes: [u64; 6],
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
