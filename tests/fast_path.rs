//! The independent-buyers path (each journey simulated whole at capture)
//! against the event-driven reference: same counts exactly, same sums up to
//! the order of floating-point additions.

use crate::common::spec;
use funnelsim::model::scenario::Scenario;
use funnelsim::model::scenario::spec::{HandoffSpec, ScenarioSpec};
use funnelsim::sim::engine::{
    Replication, independent_buyers, simulate_replication, simulate_replication_event_driven,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn assert_same(fast: &Replication, reference: &Replication, label: &str) {
    let (f, r) = (&fast.tally, &reference.tally);
    assert_eq!(f.leads, r.leads, "{label}: leads");
    assert_eq!(f.reached, r.reached, "{label}: reached");
    assert_eq!(f.handoffs_by_stage, r.handoffs_by_stage, "{label}: handoffs");
    assert_eq!(f.outcomes, r.outcomes, "{label}: outcomes");
    assert_eq!(f.causes, r.causes, "{label}: causes");
    assert_eq!(f.decided, r.decided, "{label}: decided");
    assert_eq!(f.events_in_window, r.events_in_window, "{label}: bursts");
    assert_eq!(f.cycle_histogram, r.cycle_histogram, "{label}: cycle histogram");
    // Arrivals, stays and snapshots: the event-driven path's events.
    assert_eq!(f.events_processed, r.events_processed, "{label}: events");
    assert!(
        close(f.revenue, r.revenue),
        "{label}: revenue {} vs {}",
        f.revenue,
        r.revenue
    );
    assert!(close(f.cycle_days_sum, r.cycle_days_sum), "{label}: cycle days");
    assert_eq!(
        fast.pipeline_count, reference.pipeline_count,
        "{label}: pipeline counts"
    );
    for (a, b) in fast.pipeline_value.iter().zip(&reference.pipeline_value) {
        assert!(close(*a, *b), "{label}: pipeline value {a} vs {b}");
    }
}

fn check(sp: ScenarioSpec, label: &str) {
    let s = Scenario::from_spec(sp).unwrap();
    assert!(independent_buyers(&s), "{label} must take the independent path");
    for rep in 0..4 {
        assert_same(
            &simulate_replication(&s, rep),
            &simulate_replication_event_driven(&s, rep),
            &format!("{label} replication {rep}"),
        );
    }
}

#[test]
fn markov_check_agrees_with_the_event_driven_path() {
    check(spec("markov_check"), "markov_check");
}

#[test]
fn stage_gate_bursts_segments_and_poor_fit_agree() {
    // The baseline's sources (trade-show bursts, poor-fit lists, two
    // segments, gamma dwell) with nobody calling and a stage-gate handoff.
    let mut sp = spec("baseline");
    sp.outreach.reps = 0;
    sp.marketing.nurture = false;
    sp.handoff = HandoffSpec::StageGate {
        stage: "building_requirements".into(),
    };
    check(sp, "baseline, no calls, stage gate");
}

#[test]
fn several_poisson_channels_merge_like_the_event_queue() {
    // Without bursts the fast path merges the channels' arrivals without the
    // queue; buyer numbers (and so every stream) must follow the same order.
    // Rates differ so each channel leads the merge some of the time; the
    // poor-fit channel makes a wrong interleaving visible in the outcomes.
    use funnelsim::model::scenario::spec::ArrivalsSpec;
    let mut sp = spec("markov_check");
    let first = sp.channels[0].clone();
    for (i, (rate, fit)) in [(1.5, 0.6), (0.25, 1.0)].into_iter().enumerate() {
        let mut ch = first.clone();
        ch.name = format!("extra_{i}");
        ch.arrivals = ArrivalsSpec::Poisson { leads_per_day: rate };
        ch.fit = fit;
        sp.channels.push(ch);
    }
    check(sp, "markov_check, three Poisson channels");
}

#[test]
fn coupled_scenarios_take_the_event_driven_path() {
    for name in ["baseline", "nurture_then_handoff", "inbound_insight"] {
        let s = Scenario::from_spec(spec(name)).unwrap();
        assert!(!independent_buyers(&s), "{name} has calls or nurture");
        assert_eq!(
            simulate_replication(&s, 0),
            simulate_replication_event_driven(&s, 0)
        );
    }
}
