//! Comparisons, sweeps and sensitivity, through the library.

use crate::common::{run, spec};
use funnelsim::model::scenario::parse_spec;
use funnelsim::sim::engine::Silent;
use funnelsim::study::compare::{KEY_METRICS, compare};
use funnelsim::study::sensitivity::run_sensitivity;
use funnelsim::study::sweep::{Objective, Vary, run_sweep};

#[test]
fn comparing_a_scenario_with_itself_is_exactly_zero() {
    let mut sp = spec("baseline");
    sp.simulation.replications = 30;
    let (_, a) = run(sp.clone());
    let (_, b) = run(sp);
    for c in compare(&a, &b, &KEY_METRICS) {
        let d = &c.difference;
        assert_eq!(
            (d.mean, d.ci_low, d.ci_high),
            (Some(0.0), Some(0.0), Some(0.0)),
            "{}",
            c.metric
        );
        assert!(!c.is_clear());
    }
}

#[test]
fn common_random_numbers_narrow_the_interval_of_a_small_policy_change() {
    let mut a = spec("nurture_then_handoff");
    a.simulation.replications = 60;
    let mut b = a.clone();
    b.outreach.reps += 1;
    let (_, ra) = run(a);
    let (_, rb) = run(b);
    let rows = compare(&ra, &rb, &KEY_METRICS);
    for metric in ["won", "revenue", "close_rate"] {
        let c = rows.iter().find(|c| c.metric == metric).unwrap();
        let ratio = c.width_ratio().unwrap();
        eprintln!("{metric}: unpaired / paired CI width = {ratio:.2}");
        // Independent runs would give a ratio near 1 (the ratio of two
        // estimates of the same width): 2 is far outside that.
        assert!(ratio > 2.0, "{metric}: pairing narrowed the CI only {ratio:.2}×");
    }
}

#[test]
fn a_sweep_finds_the_optimum_known_by_construction() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/threshold_optimum.toml"
    ))
    .unwrap();
    let sp = parse_spec(&text).unwrap();
    let vary = [Vary::parse("handoff.threshold=10:100:10").unwrap()];
    let r = run_sweep(&sp, &[], &vary, Objective::CloseRate, &["won"], &Silent).unwrap();
    assert_eq!(r.points.len(), 10);
    assert_eq!(
        r.points[r.best].settings,
        vec![("handoff.threshold".to_owned(), "60".to_owned())]
    );
    let twins: Vec<u32> = r
        .points
        .iter()
        .filter(|p| p.indistinguishable_from_best)
        .map(|p| p.point)
        .collect();
    assert_eq!(
        twins,
        vec![5],
        "only the optimum itself is indistinguishable from it"
    );
}

#[test]
fn sensitivity_ranks_a_parameter_without_effect_last_with_exactly_zero() {
    let mut sp = spec("markov_check");
    sp.simulation.replications = 30;
    let params: Vec<String> = [
        "marketing.cost_per_touch",
        "stages.unaware.stall_probability",
        "decision.base_us",
    ]
    .map(String::from)
    .to_vec();
    let s = run_sensitivity(&sp, &params, 0.1, "close_rate", &Silent).unwrap();
    let last = s.effects.last().unwrap();
    assert_eq!(last.parameter, "marketing.cost_per_touch");
    assert_eq!(
        (last.effect.mean, last.effect.ci_low, last.effect.ci_high),
        (Some(0.0), Some(0.0), Some(0.0))
    );
    assert_eq!(s.effects[0].parameter, "decision.base_us");
    assert!(
        s.effects[0].effect.ci_low.unwrap() > 0.0,
        "raising base_us raises the close rate"
    );
}

#[test]
fn sensitivity_refuses_unknown_parameters_with_suggestions() {
    let sp = spec("markov_check");
    let e = run_sensitivity(&sp, &["outreach.repz".into()], 0.1, "close_rate", &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("outreach.reps"), "{e}");
}
