//! The mechanisms of the model, as directional statistical tests with fixed
//! seeds. Each asserts a difference larger than `common::Z` standard errors.

use crate::common::{assert_greater, mean_se, run, spec};
use funnelsim::model::outcome::Outcome;
use funnelsim::model::scenario::spec::{ApproachKind, HandoffSpec, ValuesSpec};

#[test]
fn immediate_handoff_of_early_leads_raises_went_dark_vs_stage_gate() {
    let mut immediate = spec("baseline");
    immediate.simulation.replications = 100;
    let mut gated = immediate.clone();
    gated.handoff = HandoffSpec::StageGate {
        stage: "shortlisting_suppliers".into(),
    };
    let (_, a) = run(immediate);
    let (_, b) = run(gated);
    assert_greater(
        mean_se(&a, "share.went_dark"),
        mean_se(&b, "share.went_dark"),
        "went_dark",
    );
    assert_greater(
        mean_se(&a, "blame.premature_handoff"),
        mean_se(&b, "blame.premature_handoff"),
        "premature handoff",
    );
}

#[test]
fn more_reps_shorten_response_delay() {
    let mut few = spec("baseline");
    few.simulation.replications = 100;
    few.outreach.reps = 2;
    let mut many = few.clone();
    many.outreach.reps = 8;
    let (_, a) = run(few);
    let (_, b) = run(many);
    assert_greater(
        mean_se(&a, "response_days"),
        mean_se(&b, "response_days"),
        "response days",
    );
}

#[test]
fn more_reps_lose_deals_when_unready_leads_meet_scripts() {
    // The baseline hands every lead off at capture and calls with scripts:
    // a bigger team reaches more buyers sooner, while they are still
    // unreceptive, so more conversations hit the brick wall and more
    // buyers go dark. Behind a stage gate the same team changes nothing.
    let mut few = spec("baseline");
    few.simulation.replications = 60;
    few.outreach.reps = 3;
    let mut many = few.clone();
    many.outreach.reps = 8;
    let (_, a) = run(few.clone());
    let (_, b) = run(many.clone());
    assert_greater(
        mean_se(&b, "share.went_dark"),
        mean_se(&a, "share.went_dark"),
        "went dark",
    );
    assert_greater(mean_se(&a, "won"), mean_se(&b, "won"), "won");
    let gate = HandoffSpec::StageGate {
        stage: "shortlisting_suppliers".into(),
    };
    few.handoff = gate.clone();
    many.handoff = gate;
    let (_, a) = run(few);
    let (_, b) = run(many);
    let ((wa, sa), (wb, sb)) = (mean_se(&a, "won"), mean_se(&b, "won"));
    assert!(
        (wa - wb).abs() < crate::common::Z * (sa * sa + sb * sb).sqrt(),
        "behind a stage gate more reps change little: {wa} vs {wb}"
    );
}

#[test]
fn insight_led_beats_scripted_on_win_rate_when_buyers_value_education() {
    let mut scripted = spec("nurture_then_handoff");
    scripted.simulation.replications = 100;
    for seg in &mut scripted.segments {
        seg.values = ValuesSpec {
            solves_problem: 0.15,
            educates: 0.45,
            applies_knowledge: 0.25,
            forthright: 0.05,
            minimises_risk: 0.10,
        };
    }
    let mut insight = scripted.clone();
    insight.outreach.approach = ApproachKind::InsightLed;
    scripted.outreach.approach = ApproachKind::Scripted;
    let (_, a) = run(insight);
    let (_, b) = run(scripted);
    assert_greater(mean_se(&a, "win_rate"), mean_se(&b, "win_rate"), "win rate");
}

#[test]
fn every_lead_ends_in_exactly_one_outcome() {
    for name in [
        "baseline",
        "nurture_then_handoff",
        "inbound_insight",
        "markov_check",
    ] {
        let mut sp = spec(name);
        sp.simulation.replications = 20;
        let (_, r) = run(sp);
        let col = |n: &str| r.names.iter().position(|x| x == n).unwrap();
        let leads = col("leads");
        for row in &r.rows {
            let counted: f64 = Outcome::ALL
                .iter()
                .map(|o| row[col(&format!("outcome.{}", o.name()))])
                .sum();
            assert_eq!(counted, row[leads], "{name}: outcomes must partition the leads");
            let shares: f64 = Outcome::ALL
                .iter()
                .map(|o| row[col(&format!("share.{}", o.name()))])
                .sum();
            assert!((shares - 1.0).abs() < 1e-12, "{name}: shares sum to {shares}");
        }
        // Funnel counts never grow down the journey.
        let reached: Vec<f64> = r
            .names
            .iter()
            .zip(&r.estimates)
            .filter(|(n, _)| n.starts_with("reached."))
            .map(|(_, e)| e.mean.unwrap())
            .collect();
        assert!(
            reached.windows(2).all(|w| w[0] >= w[1]),
            "{name}: funnel not monotone {reached:?}"
        );
    }
}

#[test]
fn no_reps_means_no_touches_and_no_sales_blame() {
    let mut sp = spec("baseline");
    sp.simulation.replications = 10;
    sp.outreach.reps = 0;
    let (_, r) = run(sp);
    assert_eq!(mean_se(&r, "touches").0, 0.0);
    assert_eq!(r.estimate("blame_side.sales").unwrap().mean, Some(0.0));
    // Without a touch no lead ever goes dark.
    assert_eq!(r.estimate("outcome.went_dark").unwrap().mean, Some(0.0));
}

#[test]
fn a_scheduled_rate_brings_its_leads_but_no_event_spend() {
    use funnelsim::model::scenario::spec::{ArrivalsSpec, SpendSpec};
    // One trade-show channel whose every lead and event costs something:
    // as dated events it pays per event, as a schedule of the same mean
    // leads per 30 days it pays only per lead.
    let mut events = spec("baseline");
    events.simulation.replications = 40;
    events.channels.retain(|c| c.name == "trade_shows");
    events.channels[0].spend = SpendSpec {
        fixed_per_year: 0.0,
        per_lead: 0.0,
        per_event: 1_000_000.0,
    };
    let mut schedule = events.clone();
    schedule.channels[0].arrivals = ArrivalsSpec::Schedule {
        period_days: 30.0,
        leads_per_day: vec![5.0],
    };
    let (_, a) = run(events);
    let (_, b) = run(schedule);
    let (with_events, _) = mean_se(&a, "marketing_spend");
    let (leads, se) = mean_se(&b, "leads");
    assert!(with_events >= 1_000_000.0, "events cost {with_events}");
    assert_eq!(
        mean_se(&b, "marketing_spend").0,
        0.0,
        "a schedule's periods are not events"
    );
    // 5 leads a day over the 365-day window, a Poisson count.
    assert!(
        (leads - 5.0 * 365.0).abs() <= crate::common::Z * se,
        "{leads} ± {se}"
    );
}
