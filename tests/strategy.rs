//! Comparisons, sweeps and sensitivity, through the library.

use crate::common::{run, spec};
use funnelsim::model::scenario::parse_spec;
use funnelsim::sim::engine::Silent;
use funnelsim::sim::shard::Simulate;
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
    let r = run_sweep(
        &sp,
        &[],
        &vary,
        Objective::CloseRate,
        &["won"],
        &Simulate,
        &Silent,
    )
    .unwrap();
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
    let s = run_sensitivity(&sp, &params, 0.1, "close_rate", &Simulate, &Silent).unwrap();
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

/// `metric` at `a` minus at `b`, replication by replication, from two
/// direct runs: what a two-point sweep of one parameter measures.
fn direct_difference(
    a: funnelsim::model::scenario::spec::ScenarioSpec,
    b: funnelsim::model::scenario::spec::ScenarioSpec,
    metric: &str,
) -> funnelsim::sim::stats::Estimate {
    let col = |sp| {
        let (_, r) = run(sp);
        let i = r.names.iter().position(|n| n == metric).unwrap();
        r.rows.iter().map(|row| row[i]).collect::<Vec<f64>>()
    };
    funnelsim::sim::stats::paired_difference(&col(b), &col(a))
}

#[test]
fn sensitivity_steps_a_whole_number_by_one_and_measures_its_effect() {
    let mut sp = spec("baseline");
    sp.simulation.replications = 30;
    let reps = sp.outreach.reps;
    let s = run_sensitivity(
        &sp,
        &["outreach.reps".into()],
        0.1,
        "close_rate",
        &Simulate,
        &Silent,
    )
    .unwrap();
    assert!(s.skipped.is_empty(), "{:?}", s.skipped);
    let e = &s.effects[0];
    // 10% of a handful of reps rounds to 0: the nearest whole step is 1.
    assert_eq!(
        (e.low, e.high),
        (Some(reps as f64 - 1.0), Some(reps as f64 + 1.0))
    );
    assert!(e.clear(), "more reps change the close rate: {:?}", e.effect);
    let (mut lo, mut hi) = (sp.clone(), sp);
    lo.outreach.reps -= 1;
    hi.outreach.reps += 1;
    assert_eq!(e.effect, direct_difference(hi, lo, "close_rate"));
}

#[test]
fn sensitivity_of_a_negative_parameter_has_the_sign_of_raising_it() {
    let mut sp = spec("markov_check");
    sp.simulation.replications = 30;
    sp.decision.base_us = -0.8;
    let s = run_sensitivity(
        &sp,
        &["decision.base_us".into()],
        0.1,
        "close_rate",
        &Simulate,
        &Silent,
    )
    .unwrap();
    let e = &s.effects[0];
    // Lower means lower in value, not smaller in size.
    assert_eq!(e.low, Some(-0.8 - 0.8 * 0.1));
    assert_eq!(e.high, Some(-0.8 + 0.8 * 0.1));
    assert!(e.low < e.high);
    let (mut lo, mut hi) = (sp.clone(), sp);
    lo.decision.base_us = e.low.unwrap();
    hi.decision.base_us = e.high.unwrap();
    let direct = direct_difference(hi, lo, "close_rate");
    assert_eq!(e.effect, direct);
    assert!(
        e.effect.ci_low.unwrap() > 0.0,
        "raising base_us raises the close rate, whatever its sign: {:?}",
        e.effect
    );
}

#[test]
fn sensitivity_lists_what_it_did_not_measure_as_skipped_never_ranked() {
    let mut sp = spec("markov_check");
    sp.simulation.replications = 10;
    sp.decision.base_us = 0.0;
    let s = run_sensitivity(
        &sp,
        &["decision.base_us".into(), "marketing.cost_per_touch".into()],
        0.1,
        "close_rate",
        &Simulate,
        &Silent,
    )
    .unwrap();
    assert_eq!(s.effects.len(), 1);
    assert_eq!(s.effects[0].parameter, "marketing.cost_per_touch");
    assert_eq!(s.skipped.len(), 1);
    assert_eq!(s.skipped[0].parameter, "decision.base_us");
    assert!(s.skipped[0].reason.contains("value 0"), "{}", s.skipped[0].reason);
}

#[test]
fn a_sweep_of_a_parameter_the_policy_does_not_use_names_no_best_point() {
    // Nobody calls in markov_check, so how many unanswered calls a rep
    // tolerates cannot matter.
    let mut sp = spec("markov_check");
    sp.simulation.replications = 10;
    let vary = [
        Vary::parse("outreach.max_unanswered_touches=1:5:2").unwrap(),
        Vary::parse("decision.base_us=0.2,0.4").unwrap(),
    ];
    let r = run_sweep(&sp, &[], &vary, Objective::CloseRate, &[], &Simulate, &Silent).unwrap();
    assert_eq!(r.inert, vec!["outreach.max_unanswered_touches".to_owned()]);
    assert!(!r.no_effect(), "base_us does matter");
    let r = run_sweep(
        &sp,
        &[],
        &vary[..1],
        Objective::CloseRate,
        &[],
        &Simulate,
        &Silent,
    )
    .unwrap();
    assert!(r.no_effect());
    assert!(r.at_edge.is_empty(), "an inert parameter has no edge to widen");
}

#[test]
fn a_best_point_at_the_end_of_the_range_says_so_unless_nothing_lies_beyond() {
    let mut sp = spec("nurture_then_handoff");
    sp.simulation.replications = 20;
    // Profit rises with the deal value wherever it is: the best is the top.
    let vary = [Vary::parse("segments.enterprise.deal_value.median=50000:70000:10000").unwrap()];
    let r = run_sweep(&sp, &[], &vary, Objective::Profit, &[], &Simulate, &Silent).unwrap();
    assert_eq!(
        r.at_edge,
        vec![(
            "segments.enterprise.deal_value.median".to_owned(),
            "70000".to_owned(),
            "highest".to_owned()
        )]
    );
    assert!(r.inert.is_empty());
    // With nobody calling, no reps is cheapest; fewer than 0 does not exist.
    let mut sp = spec("markov_check");
    sp.simulation.replications = 10;
    let vary = [Vary::parse("outreach.reps=0:4:2").unwrap()];
    let r = run_sweep(&sp, &[], &vary, Objective::Profit, &[], &Simulate, &Silent).unwrap();
    assert_eq!(r.points[r.best].settings[0].1, "0");
    assert!(r.at_edge.is_empty(), "{:?}", r.at_edge);
}

#[test]
fn sensitivity_refuses_unknown_parameters_with_suggestions() {
    let sp = spec("markov_check");
    let e = run_sensitivity(
        &sp,
        &["outreach.repz".into()],
        0.1,
        "close_rate",
        &Simulate,
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("outreach.reps"), "{e}");
}
