//! The engine agrees with the closed form of the absorbing Markov chain when
//! outreach has no effect (docs/model.md, "Sanity anchors").

use crate::common::{Z, mean_se, run, spec};
use funnelsim::model::markov::closed_form;
use funnelsim::model::scenario::spec::{DwellSpec, ScenarioSpec, SegmentSpec};

fn check(spec: ScenarioSpec, label: &str) {
    let (s, r) = run(spec);
    let cf = closed_form(&s).expect("markov_check variants reduce to a chain");
    let (close, close_se) = mean_se(&r, "close_rate");
    let (cycle, cycle_se) = mean_se(&r, "cycle_days");
    let (open, _) = mean_se(&r, "share.open");
    eprintln!(
        "{label}: close {close:.5} vs {:.5} (z {:.2}); days {cycle:.3} vs {:.3} (z {:.2})",
        cf.win_probability,
        (close - cf.win_probability) / close_se,
        cf.mean_days_to_win,
        (cycle - cf.mean_days_to_win) / cycle_se
    );
    assert!(open < 1e-3, "{label}: runoff too short, {open} still open");
    assert!(
        (close - cf.win_probability).abs() < Z * close_se,
        "{label}: close rate {close:.5} vs closed form {:.5} (SE {close_se:.5})",
        cf.win_probability
    );
    assert!(
        (cycle - cf.mean_days_to_win).abs() < Z * cycle_se,
        "{label}: days to win {cycle:.3} vs closed form {:.3} (SE {cycle_se:.3})",
        cf.mean_days_to_win
    );
    let (nd, nd_se) = mean_se(&r, "share.no_decision");
    assert!(
        (nd - cf.no_decision_probability).abs() < Z * nd_se,
        "{label}: no decision {nd} vs {}",
        cf.no_decision_probability
    );
    let (lost, lost_se) = mean_se(&r, "share.lost_competitor");
    assert!(
        (lost - cf.lost_probability).abs() < Z * lost_se,
        "{label}: lost {lost} vs {}",
        cf.lost_probability
    );
}

#[test]
fn shipped_markov_check_matches_closed_form() {
    check(spec("markov_check"), "shipped");
}

#[test]
fn touches_without_effect_leave_the_chain_alone() {
    // Reps call everyone at once and keep calling, through the capacity
    // queue, but touches change nothing: the chain is the same.
    let mut s = spec("markov_check");
    s.outreach.reps = 5;
    s.simulation.seed = 10;
    check(s, "touches");
}

#[test]
fn other_stall_probabilities_and_choices() {
    let mut s = spec("markov_check");
    for (i, st) in s.stages.iter_mut().enumerate() {
        st.stall_probability = 0.05 * i as f64 % 0.3;
        st.dwell = DwellSpec::Exponential {
            mean_days: 5.0 + 3.0 * i as f64,
        };
    }
    s.decision.base_us = 1.0;
    s.decision.base_no_decision = -0.5;
    s.simulation.seed = 11;
    check(s, "stalls");
}

#[test]
fn late_capture_mix_and_two_paced_segments() {
    let mut s = spec("markov_check");
    let typical = s.segments[0].clone();
    s.segments.push(SegmentSpec {
        name: "slow".into(),
        pace: 2.5,
        ..typical
    });
    let ch = &mut s.channels[0];
    ch.segment_mix = [("typical".to_owned(), 0.3), ("slow".to_owned(), 0.7)].into();
    ch.stage_mix = [
        ("shortlisting_suppliers".to_owned(), 0.5),
        ("unaware".to_owned(), 0.5),
    ]
    .into();
    s.simulation.seed = 12;
    check(s, "segments");
}

#[test]
fn closed_form_refuses_coupled_scenarios() {
    let (sc, _) = (
        funnelsim::model::scenario::Scenario::from_spec(spec("baseline")).unwrap(),
        (),
    );
    assert!(closed_form(&sc).is_err());
}
