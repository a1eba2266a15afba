//! Formatting an optimisation: the terminal text, JSON and tables; and the
//! checks of its settings in the command line's words, which the console
//! (`POST /api/optimise`) shares so both refuse alike.

use std::fmt::Write as _;

use anyhow::Result;
use polars::prelude::{Column, DataFrame, NamedFrom, Series};
use serde_json::{Value, json};

use super::format::{self, human};
use super::guard;
use super::json::estimate;
use super::sweep::{metric_diff, metric_value, setting_columns};
use super::text::{Column as Col, Style, Table};
use crate::model::scenario::Scenario;
use crate::sim::metrics::{Metric, metric_names};
use crate::sim::stats::Estimate;
use crate::study::optimise::{Constraint, Fate, Optimisation, Procedure, Stop};
use crate::study::sensitivity::unknown_metric;
use crate::study::sweep::Objective;

/// `--indifference`: a number ≥ 0 (`Err`: what it must be).
pub fn indifference(x: f64) -> Result<f64, String> {
    if x >= 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err("must be a number ≥ 0, in the objective's units".into())
    }
}

/// `--confidence`: strictly between 0 and 1 (`Err`: what it must be).
pub fn confidence(x: f64) -> Result<f64, String> {
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err("must be strictly between 0 and 1, e.g. 0.95".into())
    }
}

/// Refuses settings the procedure cannot work with on a grid of `k`
/// configurations, naming the flags: too small a first stage, a budget
/// that cannot pay for it, an indifference of 0 without a budget.
pub fn check_procedure(procedure: &Procedure, k: usize) -> Result<(), String> {
    let n0 = procedure.first_stage;
    if n0 < 2 {
        return Err(format!(
            "--first-stage {n0} is too few: variances need at least 2 replications (10 or more is usual)"
        ));
    }
    let first = k as u64 * u64::from(n0);
    match procedure.budget {
        Some(b) if b < first => {
            return Err(format!(
                "--budget {b} cannot pay for the first stage: {k} configurations × --first-stage {n0} = {first} replications"
            ));
        }
        None if procedure.indifference == 0.0 => {
            return Err(
                "--indifference 0 never ends by itself (no noisy difference is ever small enough to ignore); give --budget N or a positive DELTA".into(),
            );
        }
        _ => {}
    }
    procedure.check(k)
}

/// Refuses an objective or constraint that `base` (the scenario named
/// `origin`, with its overrides) cannot measure: costs it marks unknown, or
/// a constraint on a metric it does not have.
pub fn check_metrics(
    origin: &str,
    base: &Scenario,
    objective: Objective,
    constraints: &[Constraint],
) -> Result<(), String> {
    guard::unknown_costs(origin, base, "--objective", objective.metric())?;
    let names = metric_names(base);
    for c in constraints {
        guard::unknown_costs(origin, base, "--constraint", &c.metric)?;
        if !names.contains(&c.metric) {
            return Err(format!(
                "--constraint '{c}': {}",
                unknown_metric(&c.metric, &names)
            ));
        }
    }
    Ok(())
}

/// Rows of the terminal table; the rest are in `--json` and `--out`.
const SHOWN: usize = 20;

/// When each configuration left contention (`None` if it survived), and
/// why, in words.
fn fate_text(o: &Optimisation, fate: Fate) -> (Option<u32>, String) {
    match fate {
        Fate::Survived => (None, "survived".to_owned()),
        Fate::Dominated { at } => (Some(at), format!("eliminated after {at}")),
        Fate::Infeasible { at, constraint } => (
            Some(at),
            format!("infeasible after {at} ({})", o.constraints[constraint]),
        ),
        Fate::Undefined { at } => (
            Some(at),
            format!("undefined {} in replication {at}", o.objective.metric()),
        ),
        Fate::RunnerUp { at } => (Some(at), format!("its group's runner-up after {at}")),
    }
}

/// Configurations in the order the text lists them: the chosen one, the
/// other survivors, then the latest eliminated first (the closest
/// contenders), ties in grid order.
fn ranked(o: &Optimisation) -> Vec<usize> {
    let s = &o.selection;
    let mut order: Vec<usize> = (0..s.candidates.len()).collect();
    let key = |i: usize| {
        let lasted = fate_text(o, s.candidates[i].fate).0.unwrap_or(u32::MAX);
        (s.chosen != Some(i), std::cmp::Reverse(lasted), i)
    };
    order.sort_by_key(|&i| key(i));
    order
}

/// Terminal text of an optimisation, laid out for `style`: a column per
/// varied parameter, the replications, the objective with its 95% CI, then
/// the paired difference and the fate while they fit.
pub fn optimise_text(o: &Optimisation, style: &Style) -> String {
    style.lay_out(&optimise_body(o, style))
}

fn optimise_body(o: &Optimisation, style: &Style) -> String {
    let s = &o.selection;
    let obj = o.objective.metric();
    let mut out = String::new();
    let order = ranked(o);
    let shown = &order[..order.len().min(SHOWN)];
    let mut columns = vec![Col::right("config", Col::ALWAYS)];
    columns.extend(setting_columns(o.settings.first().map_or(&[][..], Vec::as_slice)));
    columns.extend([
        Col::right("replications", Col::ALWAYS),
        Col::right(&style.metric(obj), Col::ALWAYS),
        Col::left("95% CI", 1),
        Col::right("vs chosen", 2),
        Col::left("fate", Col::ALWAYS),
    ]);
    let mut table = Table::new(columns);
    for &i in shown {
        let c = &s.candidates[i];
        let mut row = vec![i.to_string()];
        row.extend(o.settings[i].iter().map(|(_, v)| style.value(v)));
        row.push(human(f64::from(c.replications)));
        let e = &c.objective;
        // The mean and its interval formatted alike, as `with_ci` does.
        let (mean, ci) = match (e.ci_low, e.ci_high) {
            (Some(lo), Some(hi)) => {
                let (m, lo, hi) = format::value_with_interval(Metric::unit_of(obj), e.mean, lo, hi, 2);
                (m, format!("{lo} – {hi}"))
            }
            _ => (metric_value(obj, e.mean), String::new()),
        };
        row.extend([mean, ci]);
        let chosen = s.chosen == Some(i);
        row.push(if chosen {
            String::new()
        } else {
            metric_diff(obj, c.versus_chosen.mean)
        });
        // The chosen one's fate is to be chosen; the others' in short
        // words, so that the table keeps them at 80 columns.
        row.push(match c.fate {
            _ if chosen => "◀ chosen".to_owned(),
            Fate::Dominated { at } => format!("out after {at}"),
            _ => fate_text(o, c.fate).1,
        });
        table.row(row);
    }
    let rendered = table.render(style.width);
    out.push_str(&rendered.text);
    if let Some(note) = rendered.left_out_note("--json and --out") {
        let _ = writeln!(out, "{note}");
    }
    if order.len() > shown.len() {
        let _ = writeln!(
            out,
            "  … and {} configurations eliminated earlier (every one is in --json and --out)",
            order.len() - shown.len()
        );
    }
    let _ = writeln!(out);
    for line in sentences(o, style) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The sentences under the table, one a line: the choice, the guarantee
/// or why it does not hold, the configurations not separated from the
/// choice, and the replications against the full grid's.
pub fn sentences(o: &Optimisation, style: &Style) -> Vec<String> {
    let s = &o.selection;
    let obj = o.objective.metric();
    let mut out = String::new();
    // A difference: rates in percentage points, without a sign.
    let delta = format::difference(Metric::unit_of(obj), Some(o.procedure.indifference), 2)
        .trim_start_matches('+')
        .to_owned();
    let confidence = format!("{}%", human(o.procedure.confidence * 100.0));
    match s.chosen {
        Some(c) => {
            let _ = writeln!(
                out,
                "Chosen: configuration {c} — {} ({obj} {}).",
                o.settings[c]
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", style.value(v)))
                    .collect::<Vec<_>>()
                    .join(", "),
                metric_value(obj, s.candidates[c].objective.mean)
            );
        }
        None => {
            let _ = writeln!(out, "No configuration chosen.");
        }
    }
    let others = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(", ");
    let _ = match s.stop {
        Stop::Guarantee => writeln!(
            out,
            "Guarantee: with probability at least {confidence}, its {obj} is within {delta} of the best configuration's (if each replication's {obj} is roughly normal)."
        ),
        Stop::Budget if o.groups > 1 => writeln!(
            out,
            "A round's share of the budget of {} replications ran out first: a group's choice or the final choice is the best mean among the configurations still in contention there, without the guarantee.",
            human(o.procedure.budget.unwrap_or(s.replications) as f64)
        ),
        Stop::Budget => writeln!(
            out,
            "The budget of {} replications ran out first: the choice is the best mean among the {} configurations still in contention, without the guarantee.",
            human(o.procedure.budget.unwrap_or(s.replications) as f64),
            s.inseparable.len() + usize::from(s.chosen.is_some())
        ),
        Stop::NoneFeasible => writeln!(
            out,
            "Every configuration was infeasible or had an undefined {obj}."
        ),
        Stop::Interrupted => writeln!(out, "Interrupted before a decision."),
    };
    if s.chosen.is_some() {
        let _ = if s.inseparable.is_empty() {
            writeln!(out, "Not separated from it at {delta}: none.")
        } else {
            writeln!(
                out,
                "Not separated from it at {delta}: configuration{} {}.",
                if s.inseparable.len() == 1 { "" } else { "s" },
                others(&s.inseparable)
            )
        };
    }
    // Runners-up were never compared with the final choice.
    let runners_up: Vec<usize> = (0..s.candidates.len())
        .filter(|&i| matches!(s.candidates[i].fate, Fate::RunnerUp { .. }))
        .collect();
    if !runners_up.is_empty() {
        let _ = writeln!(
            out,
            "Not separated from their group's choice at {}, so not compared with the final choice: configuration{} {}.",
            format::difference(Metric::unit_of(obj), Some(o.procedure.indifference / 2.0), 2)
                .trim_start_matches('+'),
            if runners_up.len() == 1 { "" } else { "s" },
            others(&runners_up)
        );
    }
    // The comparison only means something when the precision was reached.
    let grid = match s.full_grid.filter(|_| s.stop == Stop::Guarantee) {
        Some(g) => {
            let share = s.replications as f64 / g as f64 * 100.0;
            // Small shares keep two significant digits rather than read 0%.
            let decimals = if share < 1.0 { 2 } else { 0 };
            format!(
                ", against {} for a full grid at the same precision ({share:.decimals$}% of it)",
                human(g as f64)
            )
        }
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "Replications: {} in all{grid}.",
        human(s.replications as f64)
    );
    out.lines().map(str::to_owned).collect()
}

/// JSON of an optimisation.
pub fn optimise_json(o: &Optimisation) -> Value {
    let s = &o.selection;
    let settings = |i: usize| -> serde_json::Map<String, Value> {
        o.settings[i].iter().map(|(k, v)| (k.clone(), json!(v))).collect()
    };
    let configurations: Vec<Value> = s
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let constraints: serde_json::Map<String, Value> = o
                .constraints
                .iter()
                .zip(&c.constraints)
                .map(|(k, e)| (k.to_string(), estimate(e)))
                .collect();
            json!({
                "configuration": i, "settings": settings(i), "replications": c.replications,
                "fate": c.fate, "eliminated_after": fate_text(o, c.fate).0,
                "objective": estimate(&c.objective), "versus_chosen": estimate(&c.versus_chosen),
                "constraints": constraints,
            })
        })
        .collect();
    json!({
        "objective": o.objective.metric(), "maximise": o.objective.maximise(),
        "procedure": {
            "method": if o.groups > 1 {
                "a tournament of groups, each round Kim & Nelson (2001) fully sequential at half the indifference and half the error probability, common random numbers, c = 1"
            } else {
                "Kim & Nelson (2001) fully sequential, common random numbers, c = 1"
            },
            "groups": o.groups,
            "indifference": o.procedure.indifference, "confidence": o.procedure.confidence,
            "first_stage": o.procedure.first_stage, "budget": o.procedure.budget,
            "eta": s.eta, "h2": s.h2,
        },
        "constraints": o.constraints.iter().map(|c| json!({"metric": c.metric, "bound": c.bound, "limit": c.limit})).collect::<Vec<_>>(),
        "stop": s.stop,
        "chosen": s.chosen.map(|c| json!({"configuration": c, "settings": settings(c)})),
        "inseparable": s.inseparable,
        "replications": s.replications, "full_grid_replications": s.full_grid,
        "configurations": configurations, "trace": s.trace,
    })
}

/// One row per configuration: settings, replications, fate, the objective
/// and each constraint's metric.
pub fn optimise_table(o: &Optimisation) -> Result<DataFrame> {
    let s = &o.selection;
    let n = s.candidates.len();
    let mut cols: Vec<Column> =
        vec![Series::new("configuration".into(), (0..n as u32).collect::<Vec<_>>()).into()];
    for (j, (name, _)) in o.settings.first().into_iter().flatten().enumerate() {
        let v: Vec<String> = o.settings.iter().map(|p| p[j].1.clone()).collect();
        cols.push(Series::new(name.as_str().into(), v).into());
    }
    let c = &s.candidates;
    cols.push(
        Series::new(
            "replications".into(),
            c.iter().map(|c| c.replications).collect::<Vec<_>>(),
        )
        .into(),
    );
    let fates: Vec<(Option<u32>, String)> = c.iter().map(|c| fate_text(o, c.fate)).collect();
    cols.push(
        Series::new(
            "eliminated_after".into(),
            fates.iter().map(|f| f.0).collect::<Vec<_>>(),
        )
        .into(),
    );
    cols.push(Series::new("fate".into(), fates.into_iter().map(|f| f.1).collect::<Vec<_>>()).into());
    let mut metric = |name: String, es: Vec<&Estimate>| {
        for (suffix, f) in [
            ("mean", (|e: &Estimate| e.mean) as fn(&Estimate) -> Option<f64>),
            ("ci_low", |e| e.ci_low),
            ("ci_high", |e| e.ci_high),
        ] {
            let v: Vec<Option<f64>> = es.iter().map(|e| f(e).filter(|x| x.is_finite())).collect();
            cols.push(Series::new(format!("{name}_{suffix}").into(), v).into());
        }
    };
    metric(
        o.objective.metric().to_owned(),
        c.iter().map(|c| &c.objective).collect(),
    );
    metric(
        "versus_chosen".to_owned(),
        c.iter().map(|c| &c.versus_chosen).collect(),
    );
    for (j, k) in o.constraints.iter().enumerate() {
        metric(
            format!("constraint_{}", k.metric),
            c.iter().map(|c| &c.constraints[j]).collect(),
        );
    }
    cols.push(
        Series::new(
            "chosen".into(),
            (0..n).map(|i| s.chosen == Some(i)).collect::<Vec<_>>(),
        )
        .into(),
    );
    cols.push(
        Series::new(
            "inseparable".into(),
            (0..n).map(|i| s.inseparable.contains(&i)).collect::<Vec<_>>(),
        )
        .into(),
    );
    Ok(DataFrame::new_infer_height(cols)?)
}

/// The elimination as a table: survivors after each screening.
pub fn elimination_table(o: &Optimisation) -> Result<DataFrame> {
    let t = &o.selection.trace;
    Ok(DataFrame::new_infer_height(vec![
        Series::new("stage".into(), t.iter().map(|s| s.stage).collect::<Vec<_>>()).into(),
        Series::new(
            "replications_spent".into(),
            t.iter().map(|s| s.spent).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "survivors".into(),
            t.iter().map(|s| s.survivors as u64).collect::<Vec<_>>(),
        )
        .into(),
    ])?)
}
