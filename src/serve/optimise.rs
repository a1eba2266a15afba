//! `POST /api/optimise`: `funnelsim optimise` from the console. The best
//! configuration of a grid of policies by Kim & Nelson's sequential
//! selection, with its stated probability of being right.
//!
//! A request is validated as the command line validates `funnelsim
//! optimise FILE --set … --vary … --objective … --indifference …`, by the
//! same functions and so with the same messages and key paths. It then
//! takes its place in the console's one queue, like a run: one simulation
//! at a time, "busy" beyond the queue, and a newer request from the same
//! page cancels it (the procedure checks the page's flag between batches
//! of replications, as the command line's checks Ctrl-C).
//!
//! Work is bounded by the resource guard on the procedure's budget: a
//! request's budget beyond what the console simulates for one request is
//! refused, and without one the procedure gets exactly that much. The
//! answer names the budget it ran with in its reproducing command, so the
//! command prints the same choice from the same replications.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{MAX_OVERRIDES, queued, quote, refuse};
use super::{Cancel, Console, Entry};
use crate::model::scenario::overrides::{self, Override, parse_value};
use crate::model::scenario::{Scenario, ScenarioError, parse_spec, spec::ScenarioSpec};
use crate::output::{self, guard};
use crate::study::optimise::{Constraint, Optimisation, Procedure, Stop, run_optimise};
use crate::study::sweep::{self, Objective, Vary};

/// The command line's defaults, so a request that leaves them out is the
/// command that leaves them out.
const DEFAULT_OBJECTIVE: &str = "profit";
const DEFAULT_CONFIDENCE: f64 = 0.95;
const DEFAULT_FIRST_STAGE: u32 = 20;

/// An optimise request: `funnelsim optimise`'s options, as JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptimiseRequest {
    /// The scenario's id (see `/api/scenarios`).
    scenario: String,
    /// `--set` overrides, `KEY.PATH=VALUE`, under every configuration.
    #[serde(default)]
    set: Vec<String>,
    /// `--vary` parameters, `PATH=START:STOP:STEP` or `PATH=v1,v2,…`.
    vary: Vec<String>,
    /// `--objective` (default: profit, as the command line's).
    objective: Option<String>,
    /// `--indifference`, in the objective's units (required, as on the
    /// command line: only the user knows what difference matters).
    indifference: f64,
    /// `--confidence` (default 0.95).
    confidence: Option<f64>,
    /// `--budget`, replications over all configurations (default: as many
    /// as the console allows one request).
    budget: Option<u64>,
    /// `--first-stage` (default 20).
    first_stage: Option<u32>,
    /// `--constraint` limits, `METRIC <= NUMBER` or `METRIC >= NUMBER`.
    #[serde(default)]
    constraint: Vec<String>,
    /// The asking page; its previous request is cancelled.
    page: Option<String>,
}

/// A validated request, ready to run.
struct Prepared {
    index: usize,
    spec: ScenarioSpec,
    overrides: Vec<Override>,
    varies: Vec<Vary>,
    objective: Objective,
    constraints: Vec<Constraint>,
    procedure: Procedure,
}

/// A refusal before anything runs: the response.
type Refusal = Box<Response>;

fn bad(message: String, problems: Value) -> Refusal {
    Box::new(refuse(
        StatusCode::BAD_REQUEST,
        message,
        json!({ "problems": problems }),
    ))
}

/// Each problem's key path and message, for the page to point at.
fn problems(e: &ScenarioError) -> Value {
    Value::Array(
        e.problems
            .iter()
            .map(|p| json!({ "key": p.path, "message": p.message }))
            .collect(),
    )
}

/// A flag's value refused as clap refuses it on the command line.
fn invalid(value: impl std::fmt::Display, flag: &str, why: &str) -> Refusal {
    bad(
        format!("invalid value '{value}' for '{flag}': {why}"),
        Value::Null,
    )
}

/// `POST /api/optimise`.
pub(super) async fn optimise(State(c): State<Arc<Console>>, body: String) -> Response {
    let req: OptimiseRequest = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the request is not an optimise request: {e}"),
                Value::Null,
            );
        }
    };
    let prepared = match prepare(&c, &req) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let (index, seed) = (prepared.index, prepared.spec.simulation.seed);
    let outcome = queued(&c, req.page.as_deref(), "optimisation", move |c, flag| {
        let observer = Cancel {
            flag,
            stopping: c.stopping,
        };
        let result = c.pool.install(|| {
            run_optimise(
                &prepared.spec,
                &prepared.overrides,
                &prepared.varies,
                prepared.objective,
                &prepared.constraints,
                &prepared.procedure,
                1,
                &crate::sim::shard::Simulate,
                &observer,
            )
        });
        match result {
            Ok(o) if o.selection.stop == Stop::Interrupted => None,
            Ok(o) => Some(Ok((o, prepared.varies))),
            Err(e) => Some(Err(e)),
        }
    })
    .await;
    match outcome {
        Ok(Ok((o, varies))) => axum::Json(answer(&c.entries[index], &req, seed, &o, &varies)).into_response(),
        // A grid point that does not validate, found as the command line
        // finds it: when the study builds its grid.
        Ok(Err(e)) => *bad(guard::point_refusal(&c.entries[index].file, &e), problems(&e.1)),
        Err(r) => r,
    }
}

/// Validates a request as `funnelsim optimise` validates its command line,
/// in the same order and words; the refusal is a 400 whose `problems`
/// carry each key path, or a 404 for an unknown scenario.
fn prepare(c: &Console, req: &OptimiseRequest) -> Result<Prepared, Refusal> {
    // What clap checks first on the command line: each option's value.
    let objective_text = req.objective.as_deref().unwrap_or(DEFAULT_OBJECTIVE);
    let objective: Objective = objective_text
        .parse()
        .map_err(|e: String| invalid(objective_text, "--objective <OBJECTIVE>", &e))?;
    let indifference = output::optimise::indifference(req.indifference)
        .map_err(|e| invalid(req.indifference, "--indifference <DELTA>", &e))?;
    let confidence_value = req.confidence.unwrap_or(DEFAULT_CONFIDENCE);
    let confidence = output::optimise::confidence(confidence_value)
        .map_err(|e| invalid(confidence_value, "--confidence <P>", &e))?;
    let constraints = req
        .constraint
        .iter()
        .map(|s| {
            s.parse::<Constraint>()
                .map_err(|e| invalid(s, "--constraint <LIMIT>", &e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let Some(index) = c.entries.iter().position(|e| e.id == req.scenario) else {
        let known: Vec<&str> = c.entries.iter().map(|e| e.id.as_str()).collect();
        return Err(Box::new(refuse(
            StatusCode::NOT_FOUND,
            format!(
                "no scenario {:?} here; this console serves: {}",
                req.scenario,
                known.join(", ")
            ),
            Value::Null,
        )));
    };
    let entry: &Entry = &c.entries[index];
    if req.set.len() > MAX_OVERRIDES || req.vary.len() > MAX_OVERRIDES || req.constraint.len() > MAX_OVERRIDES
    {
        return Err(bad(
            format!("at most {MAX_OVERRIDES} overrides, --vary and --constraint each per request"),
            Value::Null,
        ));
    }
    // The scenario with its overrides, as `load_spec` reads it.
    let overrides = req
        .set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| bad(e.render("", "", guard::flag), problems(&e))))
        .collect::<Result<Vec<_>, _>>()?;
    Scenario::from_toml_str_with(&entry.text, &overrides)
        .map_err(|e| bad(e.render(&entry.file, &entry.text, guard::flag), problems(&e)))?;
    let spec = parse_spec(&entry.text)
        .map_err(|e| bad(e.render(&entry.file, &entry.text, guard::flag), problems(&e)))?;
    // The grid, as `parse_varies` reads it.
    let varies = req
        .vary
        .iter()
        .map(|v| Vary::parse(v).map_err(|e| bad(e.render("", "", guard::flag), problems(&e))))
        .collect::<Result<Vec<_>, _>>()?;
    let k = sweep::grid(&varies)
        .map_err(|e| bad(e.render("", "", guard::flag), problems(&e)))?
        .len();
    let first_stage = req.first_stage.unwrap_or(DEFAULT_FIRST_STAGE);
    let mut procedure = Procedure {
        indifference,
        confidence,
        first_stage,
        budget: req.budget,
    };
    output::optimise::check_procedure(&procedure, k).map_err(|m| bad(m, Value::Null))?;
    // The scenario as the user set it, before the varied parameters
    // (`study_base`).
    let (with_set, _) =
        overrides::apply(&spec, &overrides).map_err(|e| bad(e.render("", "", guard::flag), problems(&e)))?;
    let base = Scenario::from_spec(with_set)
        .map_err(|e| bad(e.render(&entry.file, "", guard::flag), problems(&e)))?;
    output::optimise::check_metrics(&entry.file, &base, objective, &constraints)
        .map_err(|m| bad(m, Value::Null))?;
    // The resource guard: the first stage as the command line checks it,
    // with the console's bound, then the whole budget.
    let buyers = base.expected_buyers_per_replication();
    let max_hours = c.limits.max_seconds / 3600.0;
    guard::check_size(buyers, first_stage, k, max_hours).map_err(|m| bad(m, Value::Null))?;
    let within = guard::replications_within(buyers, max_hours);
    procedure.budget = match req.budget {
        Some(b) if b > within => {
            return Err(bad(
                format!(
                    "--budget {b} could simulate about {:.2e} buyers ({buyers:.2e} per replication), more than this console simulates for one request (about {:.0} seconds of work, {within} replications); give --budget {within} or less, vary fewer values or shorten the horizon",
                    buyers * b as f64,
                    c.limits.max_seconds
                ),
                Value::Null,
            ));
        }
        Some(b) => Some(b),
        // The first stage passed the guard, so it fits (up to rounding).
        None => Some(within.max(k as u64 * u64::from(first_stage))),
    };
    Ok(Prepared {
        index,
        spec,
        overrides,
        varies,
        objective,
        constraints,
        procedure,
    })
}

/// A grid point's settings as `--set` overrides: text values bare when
/// they read back as the same text (as the page's controls hold them),
/// quoted TOML otherwise.
fn as_overrides(point: &[Override]) -> Vec<String> {
    point
        .iter()
        .map(|o| {
            let value = match &o.value {
                toml::Value::String(s) if parse_value(s).as_ref() == Ok(&o.value) => s.clone(),
                v => v.to_string(),
            };
            format!("{}={value}", o.path)
        })
        .collect()
}

/// The answer: the choice and its guarantee as `funnelsim optimise` words
/// them, the chosen configuration and the inseparable ones as overrides,
/// each configuration's replications and when it was eliminated, the
/// replications against the full grid's, the command that reproduces it,
/// and the command line's whole `--json` under `optimise`.
fn answer(entry: &Entry, req: &OptimiseRequest, seed: u64, o: &Optimisation, varies: &[Vary]) -> Value {
    let s = &o.selection;
    // The grid in the study's order (it validated, so it builds).
    let points = sweep::grid(varies).unwrap_or_default();
    let full = |i: usize| -> Vec<String> {
        req.set
            .iter()
            .cloned()
            .chain(points.get(i).map(|p| as_overrides(p)).unwrap_or_default())
            .collect()
    };
    let json = output::optimise::optimise_json(o);
    let configuration = |i: usize| {
        json!({
            "configuration": i,
            "varied": points.get(i).map(|p| as_overrides(p)).unwrap_or_default(),
            "set": full(i),
        })
    };
    let configurations: Vec<Value> = json["configurations"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "configuration": i,
                "varied": points.get(i).map(|p| as_overrides(p)).unwrap_or_default(),
                "replications": c["replications"],
                "eliminated_after": c["eliminated_after"],
                "fate": c["fate"]["fate"],
                "objective": c["objective"],
                "versus_chosen": c["versus_chosen"],
            })
        })
        .collect();
    // The sentences under the command line's table: the choice, the
    // guarantee or why it does not hold, the configurations not separated
    // and the replications against the full grid.
    let sentences = output::optimise::sentences(o, &output::text::Style::default());
    json!({
        "scenario": { "id": entry.id, "file": entry.file, "name": entry.name, "step": entry.step },
        "set": req.set,
        "vary": req.vary,
        "objective": o.objective.metric(),
        "maximise": o.objective.maximise(),
        "indifference": o.procedure.indifference,
        "confidence": o.procedure.confidence,
        "first_stage": o.procedure.first_stage,
        "budget": o.procedure.budget,
        "constraint": req.constraint,
        "seed": seed,
        "command": command(entry, req, o),
        "chosen": s.chosen.map(configuration),
        "inseparable": s.inseparable.iter().map(|&i| configuration(i)).collect::<Vec<_>>(),
        "configurations": configurations,
        "replications": s.replications,
        "full_grid_replications": s.full_grid,
        "stop": s.stop,
        "sentences": sentences,
        "optimise": json,
    })
}

/// The `funnelsim optimise …` command that prints the same choice from
/// the same replications: the request's options, the budget the procedure
/// ran with, defaults left out as the user would.
fn command(entry: &Entry, req: &OptimiseRequest, o: &Optimisation) -> String {
    let p = &o.procedure;
    let mut words = vec!["funnelsim".to_owned(), "optimise".to_owned(), quote(&entry.file)];
    let mut option = |flag: &str, value: String| {
        words.push(flag.to_owned());
        words.push(quote(&value));
    };
    for v in &req.vary {
        option("--vary", v.clone());
    }
    if o.objective.metric() != DEFAULT_OBJECTIVE {
        option("--objective", o.objective.metric().to_owned());
    }
    option("--indifference", p.indifference.to_string());
    if p.confidence != DEFAULT_CONFIDENCE {
        option("--confidence", p.confidence.to_string());
    }
    if let Some(b) = p.budget {
        option("--budget", b.to_string());
    }
    if p.first_stage != DEFAULT_FIRST_STAGE {
        option("--first-stage", p.first_stage.to_string());
    }
    for c in &req.constraint {
        option("--constraint", c.clone());
    }
    for s in &req.set {
        option("--set", s.clone());
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_keep_text_bare_when_it_reads_back_the_same() {
        let o = |s: &str| Override::parse(s).unwrap();
        assert_eq!(
            as_overrides(&[
                o("outreach.approach=insight_led"),
                o("outreach.reps=3"),
                o("handoff.threshold=62.5"),
            ]),
            [
                "outreach.approach=insight_led",
                "outreach.reps=3",
                "handoff.threshold=62.5"
            ]
        );
        // Text that would read back as a boolean stays quoted.
        assert_eq!(as_overrides(&[o(r#"name="true""#)]), [r#"name="true""#]);
    }
}
