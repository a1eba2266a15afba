//! The summary as one JSON object with stable keys.

use serde_json::{Map, Value, json};

use super::Run;
use crate::model::outcome::{Cause, Outcome, Side};
use crate::sim::stats::Estimate;
use crate::study::blame::Counterfactual;

fn num(x: Option<f64>) -> Value {
    x.filter(|v| v.is_finite()).map_or(Value::Null, |v| json!(v))
}

/// An estimate as `{mean, sd, p05, p50, p95, ci_low, ci_high, n}`; undefined
/// parts are `null`, never NaN or a fake zero.
pub fn estimate(e: &Estimate) -> Value {
    json!({
        "mean": num(e.mean), "sd": num(e.sd),
        "p05": num(e.p05), "p50": num(e.p50), "p95": num(e.p95),
        "ci_low": num(e.ci_low), "ci_high": num(e.ci_high), "n": e.n,
    })
}

/// The summary object of a run.
pub fn summary(run: &Run<'_>) -> Value {
    let s = run.scenario;
    let r = run.result;
    let get = |name: &str| r.estimate(name).and_then(|e| e.mean);
    let mut metrics = Map::new();
    for (name, e) in r.names.iter().zip(&r.estimates) {
        metrics.insert(name.clone(), estimate(e));
    }
    let mut outcomes = Map::new();
    for o in Outcome::ALL {
        outcomes.insert(o.name().to_owned(), num(get(&format!("share.{}", o.name()))));
    }
    let stages: Vec<&str> = s.stage_names().collect();
    let funnel: Vec<Value> = stages
        .iter()
        .enumerate()
        .map(|(i, st)| {
            json!({
                "stage": st,
                "reached": num(get(&format!("reached.{st}"))),
                "conversion_from_previous": if i == 0 { Value::Null } else { num(get(&format!("conversion.{st}"))) },
                "handed_off_at_stage": num(get(&format!("handoffs.{st}"))),
            })
        })
        .collect();
    let losses: f64 = Cause::ALL
        .iter()
        .filter_map(|c| get(&format!("blame.{}", c.name())))
        .sum();
    let mut causes = Map::new();
    for c in Cause::ALL {
        let n = get(&format!("blame.{}", c.name()));
        causes.insert(
            c.name().to_owned(),
            json!({
                "side": c.side().name(),
                "count": num(n),
                "share_of_losses": num(n.filter(|_| losses > 0.0).map(|n| n / losses)),
            }),
        );
    }
    let mut sides = Map::new();
    for side in Side::ALL {
        let n = get(&format!("blame_side.{}", side.name()));
        sides.insert(
            side.name().to_owned(),
            json!({ "count": num(n), "share_of_losses": num(n.filter(|_| losses > 0.0).map(|n| n / losses)) }),
        );
    }
    let w = s.window();
    json!({
        "scenario": s.name(),
        "seed": s.seed().0,
        "replications": r.completed,
        "window": {
            "start_day": w.start_day, "end_day": w.end_day, "followed_until_day": w.followed_until_day,
            "description": super::terminal::window_sentence(s),
        },
        "policies": { "handoff": s.handoff().name(), "approach": s.approach_name() },
        // Groups of parameters the scenario marks unknown: metrics made of
        // them (e.g. profit, with unknown costs) are placeholders.
        "unknown": s.unknown().iter().map(|u| u.name()).collect::<Vec<_>>(),
        "metrics": Value::Object(metrics),
        "outcomes": Value::Object(outcomes),
        "funnel": funnel,
        "blame": {
            "causes": Value::Object(causes),
            "sides": Value::Object(sides),
            "counterfactual": run.counterfactual.map_or(Value::Null, counterfactual),
        },
    })
}

/// The counterfactual ledger: deals won in each world, the wins each
/// perfect world recovers (paired), and the Shapley split.
pub fn counterfactual(cf: &Counterfactual) -> Value {
    let mut worlds = Map::new();
    for (w, won) in &cf.won {
        worlds.insert(
            w.name().to_owned(),
            json!({
                "won": estimate(won),
                "recovered": cf.recovered_in(*w).map_or(Value::Null, estimate),
            }),
        );
    }
    json!({
        "replications": cf.replications,
        "lost_as_is": estimate(&cf.lost),
        "worlds": Value::Object(worlds),
        "shapley": { "marketing": estimate(&cf.marketing_share), "sales": estimate(&cf.sales_share) },
        "marketing_perfect_handoff": { "with_sales_as_is": cf.marketing_timing, "with_sales_perfect": cf.both_timing },
    })
}
