//! The independent-buyers path (each journey simulated whole at capture)
//! against the event-driven reference, on generated scenarios: every
//! scenario whose buyers are independent gives the same counts and the same
//! pipeline counts exactly on both paths, and the same sums (revenue, cycle
//! days, pipeline value) up to the order of floating-point additions.

use crate::common::spec;
use funnelsim::model::scenario::Scenario;
use funnelsim::model::scenario::spec::*;
use funnelsim::sim::engine::{
    Replication, independent_buyers, simulate_replication, simulate_replication_event_driven,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The fast path's replication against the event-driven one.
fn same(fast: &Replication, reference: &Replication, snapshots: usize) -> Result<(), TestCaseError> {
    let (f, r) = (&fast.tally, &reference.tally);
    prop_assert_eq!(&f.leads, &r.leads, "leads");
    prop_assert_eq!(&f.reached, &r.reached, "reached");
    prop_assert_eq!(&f.handoffs_by_stage, &r.handoffs_by_stage, "handoffs");
    prop_assert_eq!(f.outcomes, r.outcomes, "outcomes");
    prop_assert_eq!(f.causes, r.causes, "causes");
    prop_assert_eq!(f.decided, r.decided, "decided");
    prop_assert_eq!(&f.events_in_window, &r.events_in_window, "bursts");
    prop_assert_eq!(&f.cycle_histogram, &r.cycle_histogram, "cycle histogram");
    prop_assert_eq!(f.buyers, r.buyers, "buyers simulated");
    prop_assert!(
        close(f.revenue, r.revenue),
        "revenue {} vs {}",
        f.revenue,
        r.revenue
    );
    prop_assert!(
        close(f.cycle_days_sum, r.cycle_days_sum),
        "cycle days {} vs {}",
        f.cycle_days_sum,
        r.cycle_days_sum
    );
    prop_assert_eq!(&fast.pipeline_count, &reference.pipeline_count, "pipeline counts");
    for (a, b) in fast.pipeline_value.iter().zip(&reference.pipeline_value) {
        prop_assert!(close(*a, *b), "pipeline value {} vs {}", a, b);
    }
    // The fast path really ran: it processes neither snapshot events (there
    // is always one, at day 0) nor the ends of stays.
    prop_assert!(
        f.events_processed + snapshots as u64 <= r.events_processed,
        "events {} (fast path) vs {} (event-driven), {} snapshots",
        f.events_processed,
        r.events_processed,
        snapshots
    );
    Ok(())
}

/// Both paths on replications 0 and 1 of `s`.
fn both_paths_agree(s: &Scenario) -> Result<(), TestCaseError> {
    prop_assert!(independent_buyers(s), "the scenario must take the fast path");
    for rep in 0..2 {
        let (fast, reference) = (
            simulate_replication(s, rep),
            simulate_replication_event_driven(s, rep),
        );
        same(&fast, &reference, s.snapshot_days().len())
            .map_err(|e| TestCaseError::fail(format!("replication {rep}: {e}")))?;
    }
    Ok(())
}

fn probability() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64]
}

fn dwell() -> impl Strategy<Value = DwellSpec> {
    (0.5..40.0f64, 0usize..3, 0.2..3.0f64).prop_map(|(mean_days, kind, p)| match kind {
        0 => DwellSpec::Exponential { mean_days },
        1 => DwellSpec::Gamma { mean_days, shape: p },
        _ => DwellSpec::Lognormal { mean_days, sigma: p },
    })
}

fn values() -> ValuesSpec {
    ValuesSpec {
        solves_problem: 1.0,
        educates: 1.0,
        applies_knowledge: 1.0,
        forthright: 1.0,
        minimises_risk: 1.0,
    }
}

/// A channel: arrivals (Poisson, or bursts repeating every 40 days), fit,
/// and weights of the stage mix and the segment mix.
#[derive(Clone, Debug)]
struct Channel {
    rate: f64,
    bursts: Option<(f64, f64)>,
    fit: f64,
    stage_weights: Vec<f64>,
    segment_weights: [f64; 2],
}

fn channel() -> impl Strategy<Value = Channel> {
    (
        0.05..3.0f64,
        prop::option::of((0.0..40.0f64, 0.0..5.0f64)),
        probability(),
        prop::collection::vec(prop_oneof![Just(0.0), 0.1..1.0f64], 5),
        prop::array::uniform2(0.1..1.0f64),
    )
        .prop_map(|(rate, bursts, fit, stage_weights, segment_weights)| Channel {
            rate,
            bursts,
            fit,
            stage_weights,
            segment_weights,
        })
}

/// A mix over `names` from `weights`, normalised to sum to 1 (the first
/// name always has some weight).
fn mix<S: AsRef<str>>(names: &[S], weights: &[f64]) -> std::collections::BTreeMap<String, f64> {
    let w: Vec<f64> = (0..names.len())
        .map(|k| if k == 0 { weights[0].max(0.1) } else { weights[k] })
        .collect();
    let sum: f64 = w.iter().sum();
    names
        .iter()
        .zip(w)
        .map(|(n, w)| (n.as_ref().to_owned(), w / sum))
        .collect()
}

prop_compose! {
    /// A valid scenario whose buyers are independent: nobody calls, nothing
    /// nurtures, and the handoff is immediate or a stage gate (at any stage,
    /// first and last included).
    fn independent_spec()(
        stages in prop::collection::vec((dwell(), probability()), 1..=5),
        segments in 1usize..=2,
        paces in prop::array::uniform2(0.5..2.0f64),
        deal in (100.0..5000.0f64, 0.1..1.0f64),
        channels in prop::collection::vec(channel(), 1..=3),
        gate in prop::option::of(0usize..5),
        (warmup, horizon, runoff) in (0.0..60.0f64, 1.0..200.0f64, 0.0..200.0f64),
        snapshot_every_days in prop_oneof![Just(7.0), Just(30.0), 1.0..40.0f64],
        choice in prop::array::uniform3(-1.0..1.0f64),
        seed in any::<u64>(),
    ) -> ScenarioSpec {
        let n = stages.len();
        let names: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
        let segment_names = ["a", "b"];
        ScenarioSpec {
            name: "independent".into(),
            description: String::new(),
            simulation: SimulationSpec {
                seed,
                replications: 2,
                warmup_days: warmup,
                horizon_days: horizon,
                runoff_days: runoff,
                snapshot_every_days,
            },
            stages: stages.iter().zip(&names).map(|((dwell, stall), name)| StageSpec {
                name: name.clone(),
                dwell: dwell.clone(),
                stall_probability: *stall,
                receptivity: 0.5,
            }).collect(),
            segments: (0..segments).map(|i| SegmentSpec {
                name: segment_names[i].into(),
                pace: paces[i],
                deal_value: if i == 0 {
                    DealValueSpec::Lognormal { median: deal.0, sigma: deal.1 }
                } else {
                    DealValueSpec::Fixed { value: deal.0 }
                },
                values: values(),
            }).collect(),
            channels: channels.iter().enumerate().map(|(i, c)| ChannelSpec {
                name: format!("c{i}"),
                kind: ChannelKind::Referral,
                arrivals: match c.bursts {
                    Some((day, duration_days)) => ArrivalsSpec::Bursts {
                        events: vec![BurstSpec { day, mean_leads: c.rate * 30.0, duration_days }],
                        repeat_every_days: Some(40.0),
                    },
                    None => ArrivalsSpec::Poisson { leads_per_day: c.rate },
                },
                spend: SpendSpec::default(),
                fit: c.fit,
                stage_mix: mix(&names, &c.stage_weights),
                segment_mix: mix(&segment_names[..segments], &c.segment_weights),
                hand_raisers: None,
            }).collect(),
            marketing: MarketingSpec { nurture: false, ..MarketingSpec::default() },
            handoff: match gate {
                Some(g) => HandoffSpec::StageGate { stage: names[g.min(n - 1)].clone() },
                None => HandoffSpec::Immediate,
            },
            outreach: OutreachSpec { reps: 0, ..OutreachSpec::default() },
            response: ResponseSpec::default(),
            decision: DecisionSpec {
                base_us: choice[0],
                base_competitor: choice[1],
                base_no_decision: choice[2],
                ..DecisionSpec::default()
            },
            unknown: Vec::new(),
        }
    }
}

/// The edge cases the generated scenarios must reach (counted over the
/// cases that simulated at least one buyer).
#[derive(Debug, Default)]
struct Coverage {
    cases: u32,
    buyers: u64,
    lognormal_dwell: u32,
    gate_at_first_stage: u32,
    gate_at_last_stage: u32,
    fit_0: u32,
    stall_1: u32,
    one_stage: u32,
    bursts: u32,
    several_poisson_channels: u32,
}

impl Coverage {
    fn count(&mut self, sp: &ScenarioSpec, buyers: u64) {
        let n = sp.stages.len();
        let gate = match &sp.handoff {
            HandoffSpec::StageGate { stage } => sp.stages.iter().position(|st| &st.name == stage),
            _ => None,
        };
        let poisson = sp
            .channels
            .iter()
            .filter(|c| matches!(c.arrivals, ArrivalsSpec::Poisson { .. }))
            .count();
        self.cases += 1;
        self.buyers += buyers;
        self.lognormal_dwell += u32::from(
            sp.stages
                .iter()
                .any(|st| matches!(st.dwell, DwellSpec::Lognormal { .. })),
        );
        self.gate_at_first_stage += u32::from(gate == Some(0) && n > 1);
        self.gate_at_last_stage += u32::from(gate == Some(n - 1) && n > 1);
        self.fit_0 += u32::from(sp.channels.iter().any(|c| c.fit == 0.0));
        self.stall_1 += u32::from(sp.stages.iter().any(|st| st.stall_probability == 1.0));
        self.one_stage += u32::from(n == 1);
        self.bursts += u32::from(poisson < sp.channels.len());
        self.several_poisson_channels += u32::from(poisson == sp.channels.len() && poisson > 1);
    }
}

#[test]
fn independent_scenarios_agree_on_both_paths() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(0xFA57_9A7B),
        failure_persistence: None,
        ..Config::default()
    };
    // Coverage is counted inside this runner only, so it describes exactly
    // the cases this test ran.
    let coverage = std::cell::RefCell::new(Coverage::default());
    TestRunner::new(config)
        .run(&independent_spec(), |sp| {
            // The loader rejects a few combinations (a gate no buyer can
            // reach): those are not scenarios.
            let s = Scenario::from_spec(sp.clone()).map_err(|e| TestCaseError::reject(e.to_string()))?;
            both_paths_agree(&s)?;
            let buyers = simulate_replication(&s, 0).tally.buyers;
            if buyers > 0 {
                coverage.borrow_mut().count(&sp, buyers);
            }
            Ok(())
        })
        .unwrap();
    let c = coverage.into_inner();
    for (what, n) in [
        ("cases with buyers", c.cases),
        ("lognormal dwell", c.lognormal_dwell),
        ("a gate at the first stage", c.gate_at_first_stage),
        ("a gate at the last stage", c.gate_at_last_stage),
        ("a channel of fit 0", c.fit_0),
        ("a stage with stall 1", c.stall_1),
        ("a one-stage funnel", c.one_stage),
        ("bursts (arrivals through the queue)", c.bursts),
        (
            "several Poisson channels (merged arrivals)",
            c.several_poisson_channels,
        ),
    ] {
        assert!(n >= 3, "only {n} generated cases with {what}: {c:?}");
    }
    assert!(c.buyers > 10_000, "the cases simulated only {} buyers", c.buyers);
}

/// Switches on one way buyers affect one another.
type Couple = fn(&mut ScenarioSpec);

#[test]
fn coupled_scenarios_take_the_event_driven_path() {
    // Shipped scenarios in which buyers share reps or are nurtured.
    for name in ["baseline", "nurture_then_handoff", "inbound_insight"] {
        let s = Scenario::from_spec(spec(name)).unwrap();
        assert!(!independent_buyers(&s), "{name} has calls or nurture");
    }
    // Each coupling alone makes buyers dependent ...
    let independent = spec("markov_check");
    let couplings: [(&str, Couple); 5] = [
        ("reps", |sp| sp.outreach.reps = 1),
        ("nurture", |sp| sp.marketing.nurture = true),
        ("score threshold", |sp| {
            sp.handoff = HandoffSpec::ScoreThreshold { threshold: 50.0 }
        }),
        ("hand raising", |sp| {
            sp.handoff = HandoffSpec::BuyerInitiated { propensity: 0.5 }
        }),
        ("delay", |sp| sp.handoff = HandoffSpec::Delay { days: 3.0 }),
    ];
    assert!(independent_buyers(
        &Scenario::from_spec(independent.clone()).unwrap()
    ));
    for (what, couple) in couplings {
        let mut sp = independent.clone();
        couple(&mut sp);
        let s = Scenario::from_spec(sp).unwrap();
        assert!(!independent_buyers(&s), "{what} couples buyers");
    }
    // ... and without any, the baseline's buyers are independent.
    let mut sp = spec("baseline");
    sp.outreach.reps = 0;
    sp.marketing.nurture = false;
    sp.handoff = HandoffSpec::StageGate {
        stage: "building_requirements".into(),
    };
    assert!(independent_buyers(&Scenario::from_spec(sp).unwrap()));
}
