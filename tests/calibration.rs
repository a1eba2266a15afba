//! Calibration against a known truth: simulate a history from
//! `tests/data/calibration_truth.toml`, write it as a CRM export in each
//! layout, read it back, calibrate, and check that every parameter is
//! recovered within the confidence interval calibration reports for it —
//! over several seeds, so the intervals' coverage is checked too, not just
//! one lucky draw.

use std::path::{Path, PathBuf};

use funnelsim::calibration::estimate::{self, Calibration};
use funnelsim::calibration::fit::{Family, Positive, Proportion};
use funnelsim::calibration::history::{self, Opportunity, RawRow, Window};
use funnelsim::calibration::vocabulary::Vocabulary;
use funnelsim::input::crm::{Layout, ReadOptions, read, simulation_day};
use funnelsim::model::outcome::Outcome;
use funnelsim::model::scenario::Scenario;
use funnelsim::model::scenario::overrides::Override;
use funnelsim::output::history::history_table;
use funnelsim::output::tables::{self, Format};
use funnelsim::sim::engine;

const Z: f64 = 4.5;

/// The truth's mean dwell days, stage by stage.
pub const TRUE_MEAN_DAYS: [f64; 5] = [20.0, 15.0, 12.0, 10.0, 8.0];
/// The truth's stall probabilities (the last stage ends in the decision).
pub const TRUE_STALL: [f64; 4] = [0.3, 0.15, 0.1, 0.05];

/// The truth's shares of won, lost and no decision among decided deals.
pub fn true_decision() -> [f64; 3] {
    let e = [0.5f64.exp(), 0.2f64.exp(), (-0.3f64).exp()];
    let total: f64 = e.iter().sum();
    e.map(|x| x / total)
}

fn truth_text() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/calibration_truth.toml");
    std::fs::read_to_string(p).unwrap()
}

fn stage_names(s: &Scenario) -> Vec<String> {
    s.stage_names().map(str::to_owned).collect()
}

/// Simulates one history of `s`, writes it in `layout` (CSV, or Parquet
/// when `parquet`), reads it back as a user would — the layout told from
/// the header — and cleans it as of the end of the window.
fn read_back(s: &Scenario, dir: &Path, layout: Layout, parquet: bool) -> Vec<Opportunity> {
    let (rows, stages, as_of) = raw_rows(s, dir, layout, parquet);
    let (opps, cleaning, _) = history::clean(&rows, &stages, Some(as_of));
    assert_eq!(
        cleaning.rows_kept,
        rows.len(),
        "a simulated history needs no cleaning"
    );
    opps
}

/// Simulates one history of `s`, writes it in `layout` and reads it back
/// as a user would (the layout told from the header): its rows, stages and
/// the end of the window as the as-of time.
fn raw_rows(s: &Scenario, dir: &Path, layout: Layout, parquet: bool) -> (Vec<RawRow>, Vec<String>, f64) {
    let journeys = engine::simulate_history(s, 0);
    let mut df = history_table(s, &journeys, layout).unwrap();
    let (ext, format) = if parquet {
        ("parquet", Format::Parquet)
    } else {
        ("csv", Format::Csv)
    };
    let path = dir.join(format!("history-{}-{}.{ext}", layout.name(), s.seed().0));
    tables::write(&mut df, &path, format).unwrap();
    let stages = stage_names(s);
    let vocabulary = Vocabulary::new(&stages, &[], &[]).unwrap();
    let options = ReadOptions {
        layout: None,
        columns: Default::default(),
        vocabulary: &vocabulary,
        stage_dates: Vec::new(),
        dates: Default::default(),
    };
    let history = read(&path, &options).unwrap();
    assert_eq!(history.layout, layout, "the layout is told from the header");
    (history.rows, stages, simulation_day(s.window().end_day))
}

/// Simulates one history of `s`, round-trips it through a CSV file in
/// `layout` and calibrates it as of the end of the window.
fn calibrate_history(s: &Scenario, dir: &Path, layout: Layout) -> Calibration {
    let opps = read_back(s, dir, layout, false);
    estimate::estimate(&opps, &stage_names(s), simulation_day(s.window().end_day)).unwrap()
}

/// One parameter check: does the reported 95% interval cover the truth, and
/// how many standard errors away is the estimate?
struct Checked {
    what: String,
    covered: bool,
    z: f64,
}

fn positive(what: String, p: &Positive, truth: f64) -> Checked {
    Checked {
        what,
        covered: p.covers(truth),
        z: (p.value - truth) / p.se,
    }
}

fn proportion(what: String, p: &Proportion, truth: f64) -> Checked {
    Checked {
        what,
        covered: p.covers(truth),
        // A share estimated as exactly 0 or 1 has no spread; it is right
        // when the truth is that share.
        z: if p.se > 0.0 {
            (p.value - truth) / p.se
        } else if p.value == truth {
            0.0
        } else {
            f64::INFINITY
        },
    }
}

#[test]
fn round_trip_recovers_every_parameter_within_its_interval() {
    round_trip(Layout::Long);
}

#[test]
fn salesforce_history_round_trips() {
    round_trip(Layout::SalesforceHistory);
}

#[test]
fn wide_export_round_trips() {
    round_trip(Layout::Wide);
}

#[test]
fn snapshot_round_trips() {
    round_trip(Layout::Snapshot);
}

/// Every parameter of the truth is within its interval, over 20 histories
/// written in `layout`, and the intervals cover it 95% of the time.
fn round_trip(layout: Layout) {
    let dir = tempfile::tempdir().unwrap();
    let base = Scenario::from_toml_str(&truth_text()).unwrap();
    let spec = base.spec().clone();
    let true_family = [
        Family::Exponential,
        Family::Gamma,
        Family::Lognormal,
        Family::Gamma,
        Family::Lognormal,
    ];
    let true_mean = TRUE_MEAN_DAYS;
    let true_shape = [None, Some(3.0), Some(0.5), Some(1.8), Some(0.9)];
    let true_stall = TRUE_STALL;
    let shares = true_decision();

    let mut checks = Vec::new();
    let mut right_family = [0usize; 5];
    let seeds: Vec<u64> = (1..=20).collect();
    for &seed in &seeds {
        let s = base.clone().with_seed(seed);
        let cal = calibrate_history(&s, dir.path(), layout);
        for (i, st) in cal.stages.iter().enumerate() {
            let best = st.dwell.best();
            checks.push(positive(
                format!("seed {seed} {} mean_days", st.name),
                &best.mean_days,
                true_mean[i],
            ));
            if best.family == true_family[i] {
                right_family[i] += 1;
                if let (Some(p), Some(t)) = (best.shape, true_shape[i]) {
                    checks.push(positive(format!("seed {seed} {} shape", st.name), &p, t));
                }
            }
            if i < true_stall.len() {
                checks.push(proportion(
                    format!("seed {seed} {} stall", st.name),
                    &st.stall,
                    true_stall[i],
                ));
            }
        }
        let d = &cal.decision;
        checks.push(proportion(format!("seed {seed} won"), &d.won, shares[0]));
        checks.push(proportion(format!("seed {seed} lost"), &d.lost, shares[1]));
        checks.push(proportion(
            format!("seed {seed} no decision"),
            &d.no_decision,
            shares[2],
        ));
        for ch in &cal.channels {
            let truth = spec.channels.iter().find(|c| c.name == ch.name).unwrap();
            let funnelsim::model::scenario::spec::ArrivalsSpec::Poisson { leads_per_day } = truth.arrivals
            else {
                unreachable!()
            };
            checks.push(positive(
                format!("seed {seed} {} rate", ch.name),
                &ch.rate,
                leads_per_day,
            ));
            checks.push(proportion(
                format!("seed {seed} {} fit", ch.name),
                &ch.fit,
                truth.fit,
            ));
            for (st, p) in cal.stages.iter().zip(&ch.stage_mix) {
                let t = truth.stage_mix.get(&st.name).copied().unwrap_or(0.0);
                checks.push(proportion(
                    format!("seed {seed} {} stage_mix {}", ch.name, st.name),
                    p,
                    t,
                ));
            }
            for (sg, p) in cal.segments.iter().zip(&ch.segment_mix) {
                let t = truth.segment_mix[&sg.name];
                checks.push(proportion(
                    format!("seed {seed} {} segment_mix {}", ch.name, sg.name),
                    p,
                    t,
                ));
            }
        }
        for sg in &cal.segments {
            let truth = spec.segments.iter().find(|g| g.name == sg.name).unwrap();
            let funnelsim::model::scenario::spec::DealValueSpec::Lognormal { median, sigma } =
                truth.deal_value
            else {
                unreachable!()
            };
            let fit = sg.deal_value.as_ref().unwrap();
            assert!(sg.from_won, "enough deals are won to use won amounts");
            checks.push(positive(
                format!("seed {seed} {} median", sg.name),
                &fit.median,
                median,
            ));
            checks.push(positive(
                format!("seed {seed} {} sigma", sg.name),
                fit.sigma.as_ref().unwrap(),
                sigma,
            ));
        }
    }

    // No single estimate is far off (Bonferroni over a few hundred checks at
    // 4.5 sigma leaves a false-alarm chance near 1e-3).
    for c in &checks {
        assert!(
            c.z.abs() < Z,
            "{}: {:.2} standard errors from the truth",
            c.what,
            c.z
        );
    }
    // Coverage of the 95% intervals: binomial over the checks, so the
    // tolerance is 4.5 standard errors of a binomial proportion.
    let n = checks.len() as f64;
    let covered = checks.iter().filter(|c| c.covered).count() as f64 / n;
    let se = (0.95 * 0.05 / n).sqrt();
    let missed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.covered)
        .map(|c| c.what.as_str())
        .collect();
    assert!(
        covered > 0.95 - Z * se,
        "coverage {covered:.3} over {n} checks is too low; missed: {missed:?}"
    );
    // AIC picks the family that generated each distinctly non-exponential
    // stage in most histories.
    for (i, &right) in right_family.iter().enumerate().skip(1) {
        assert!(
            right * 2 > seeds.len(),
            "stage {i}: true family chosen in only {right} of {} histories",
            seeds.len()
        );
    }
}

#[test]
fn open_opportunities_do_not_bias_advance_probabilities() {
    // A short, busy history: a large share of opportunities is still open
    // in every stage when it ends.
    let overrides: Vec<Override> = [
        "simulation.horizon_days=45",
        "channels.webinars.arrivals.leads_per_day=40",
        "channels.rented_lists.arrivals.leads_per_day=20",
    ]
    .iter()
    .map(|o| Override::parse(o).unwrap())
    .collect();
    let s = Scenario::from_toml_str_with(&truth_text(), &overrides).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cal = calibrate_history(&s, dir.path(), Layout::Long);
    let true_stall = TRUE_STALL;
    let st0 = &cal.stages[0];
    assert!(
        st0.dwell.censored * 5 > st0.dwell.events,
        "the history has many open opportunities: {} open, {} ended",
        st0.dwell.censored,
        st0.dwell.events
    );
    for (st, &truth) in cal.stages.iter().zip(&true_stall) {
        let z = (st.stall.value - truth) / st.stall.se;
        assert!(
            z.abs() < Z,
            "{}: stall {:.4} is {z:.2} SE from {truth}",
            st.name,
            st.stall.value
        );
        // Counting open opportunities as lost would have dragged the
        // advance probability well below the truth.
        let n = (st.advanced + st.stalled) as f64 + st.dwell.censored as f64;
        let naive = st.advanced as f64 / n;
        let naive_se = (naive * (1.0 - naive) / n).sqrt();
        if st.name == "problem_defined" {
            assert!(
                1.0 - truth - naive > Z * naive_se,
                "the naive advance rate {naive:.3} should be clearly below {:.3}",
                1.0 - truth
            );
        }
    }
}

#[test]
fn every_layout_holds_the_same_history() {
    // One history written in every layout (and once as Parquet) reads back
    // as the same opportunities; only a snapshot's amounts differ, since it
    // records the value of won deals alone.
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::from_toml_str(&truth_text()).unwrap().with_seed(7);
    let long = read_back(&s, dir.path(), Layout::Long, false);
    assert!(long.len() > 1000 && long.iter().any(|o| o.outcome == Outcome::Open));
    let same = |o: &Opportunity| {
        (
            o.id.clone(),
            o.source.clone(),
            o.segment.clone(),
            o.entries.clone(),
            o.outcome,
            o.closed_at,
        )
    };
    for (layout, parquet) in [
        (Layout::SalesforceHistory, false),
        (Layout::Wide, false),
        (Layout::Snapshot, false),
        (Layout::Wide, true),
    ] {
        let other = read_back(&s, dir.path(), layout, parquet);
        assert_eq!(other.len(), long.len(), "{layout:?}");
        for (a, b) in long.iter().zip(&other) {
            assert_eq!(same(a), same(b), "{layout:?}");
            let amount = if layout == Layout::Snapshot && a.outcome != Outcome::Won {
                None
            } else {
                a.amount
            };
            assert_eq!(amount, b.amount, "{layout:?} {}", a.id);
        }
    }
}

/// How far each stage's fitted mean stay is from the truth, in its own
/// standard errors.
fn mean_z(cal: &Calibration) -> Vec<f64> {
    cal.stages
        .iter()
        .zip(TRUE_MEAN_DAYS)
        .map(|(st, truth)| {
            let m = st.dwell.best().mean_days;
            (m.value - truth) / m.se
        })
        .collect()
}

/// The stages' [`mean_z`] pooled: their sum over √(stages), standard
/// normal when no stage is biased (stays in different stages are
/// independent), far above it when they are all stretched a little.
fn pooled(z: &[f64]) -> f64 {
    z.iter().sum::<f64>() / (z.len() as f64).sqrt()
}

/// The opportunities of `rows` that satisfy `keep`, given every row of
/// theirs.
fn ids_where(rows: &[RawRow], keep: impl Fn(&[&RawRow]) -> bool) -> std::collections::HashSet<String> {
    let mut by_id: std::collections::HashMap<&str, Vec<&RawRow>> = Default::default();
    for r in rows {
        by_id.entry(r.id.as_deref().unwrap()).or_default().push(r);
    }
    by_id
        .into_iter()
        .filter(|(_, rs)| keep(rs))
        .map(|(id, _)| id.to_owned())
        .collect()
}

#[test]
fn stale_deals_are_flagged_and_stale_after_undoes_their_bias() {
    // A CRM where stalled deals were never closed: every deal that went
    // quiet (no decision, went dark) and has sat idle longer than any
    // closed deal took stays open for ever. Found as a fixed point: the
    // longest closed deal is taken over the deals that remain closed.
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::from_toml_str(&truth_text()).unwrap().with_seed(4);
    let (mut rows, stages, as_of) = raw_rows(&s, dir.path(), Layout::Long, false);
    let (opps, _, _) = history::clean(&rows, &stages, Some(as_of));
    let stalled = |o: &Opportunity| matches!(o.outcome, Outcome::NoDecision | Outcome::WentDark);
    let idle = |o: &Opportunity| as_of - o.entries.last().unwrap().1;
    let mut longest = f64::INFINITY;
    loop {
        let next = opps
            .iter()
            .filter(|o| !(stalled(o) && idle(o) > longest))
            .filter_map(|o| Some(o.closed_at? - o.first_seen()))
            .fold(0.0, f64::max);
        if next == longest {
            break;
        }
        longest = next;
    }
    let zombies: std::collections::HashSet<&str> = opps
        .iter()
        .filter(|o| stalled(o) && idle(o) > longest)
        .map(|o| o.id.as_str())
        .collect();
    for r in &mut rows {
        if zombies.contains(r.id.as_deref().unwrap()) {
            (r.outcome, r.closed_at) = (None, None);
        }
    }

    let (opps, _, _) = history::clean(&rows, &stages, Some(as_of));
    let found = history::staleness(&opps, as_of).unwrap();
    assert!(found.many(), "{found:?}");
    assert_eq!((found.stale, found.longest_closed_days), (zombies.len(), longest));
    let naive = estimate::estimate(&opps, &stages, as_of).unwrap();
    let z = mean_z(&naive);
    assert!(
        z.iter().any(|z| *z > Z),
        "left open, the stale deals stretch the stays: {z:?}"
    );

    let days = found.suggested_days();
    let idle_longer = opps
        .iter()
        .filter(|o| o.outcome == Outcome::Open && idle(o) > days)
        .count();
    let window = Window {
        since: None,
        stale_after: Some(days),
    };
    let (opps, cleaning, _) = history::clean_within(&rows, &stages, Some(as_of), window);
    assert_eq!(cleaning.stale, idle_longer);
    assert!(!history::staleness(&opps, as_of).unwrap().many());
    let cal = estimate::estimate(&opps, &stages, as_of).unwrap();
    let z = mean_z(&cal);
    assert!(z.iter().all(|z| z.abs() < Z), "closed, they do not: {z:?}");
    for (st, truth) in cal.stages.iter().zip(TRUE_STALL) {
        let z = (st.stall.value - truth) / st.stall.se;
        assert!(z.abs() < Z, "{}: stall {z:.2} SE from the truth", st.name);
    }
}

#[test]
fn a_left_cut_export_is_detected_and_since_undoes_its_bias() {
    // An export of the deals that closed on or after day 150 (and the open
    // ones): the early cohorts keep only their slow deals.
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::from_toml_str(&truth_text()).unwrap().with_seed(5);
    let (rows, stages, as_of) = raw_rows(&s, dir.path(), Layout::Long, false);
    let cut_day = simulation_day(150.0);
    let gone = ids_where(&rows, |rs| {
        rs.iter().any(|r| r.closed_at.is_some_and(|c| c < cut_day))
    });
    let rows: Vec<RawRow> = rows
        .into_iter()
        .filter(|r| !gone.contains(r.id.as_deref().unwrap()))
        .collect();

    let (opps, _, _) = history::clean(&rows, &stages, Some(as_of));
    let (whole, _, _) = history::clean(
        &raw_rows(&s, dir.path(), Layout::Long, false).0,
        &stages,
        Some(as_of),
    );
    assert_eq!(
        history::left_cut(&whole, as_of),
        None,
        "a whole history is not cut"
    );
    let cut = history::left_cut(&opps, as_of).expect("the cut is detected");
    assert!(cut.first_close >= cut_day, "{cut:?}");
    let naive = estimate::estimate(&opps, &stages, as_of).unwrap();
    let z = mean_z(&naive);
    assert!(
        pooled(&z) > Z,
        "the early cohorts' slow deals stretch every stay a little: {z:?}"
    );

    let since = cut.first_close.ceil();
    let window = Window {
        since: Some(since),
        stale_after: None,
    };
    let (kept, cleaning, _) = history::clean_within(&rows, &stages, Some(as_of), window);
    assert_eq!(
        cleaning.before_since,
        opps.iter().filter(|o| o.first_seen() < since).count()
    );
    assert_eq!(kept.len() + cleaning.before_since, opps.len());
    assert_eq!(history::left_cut(&kept, as_of), None);
    let cal = estimate::estimate(&kept, &stages, as_of).unwrap();
    let z = mean_z(&cal);
    assert!(z.iter().all(|z| z.abs() < Z) && pooled(&z).abs() < Z, "{z:?}");
}
