//! The console's routes: the page and its assets (compiled in), the list of
//! scenarios, runs, optimisations (`optimise.rs`) and the scoreboard.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admission, BASELINES_KEPT, Cancel, Console, Entry};
use crate::model::scenario::Scenario;
use crate::model::scenario::overrides::Override;
use crate::output::compare::Versus;
use crate::output::{self, Run, guard};
use crate::sim::engine::{self, Rows, RunResult};
use crate::study::{blame, compare};

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");
const OPTIMISE_SCRIPT: &str = include_str!("page/optimise.js");

/// The console's routes. Nothing else is served: there is no route to a
/// file, so no request can reach one.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", PAGE) }))
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/optimise.js",
            get(|| async { asset("text/javascript; charset=utf-8", OPTIMISE_SCRIPT) }),
        )
        .route(
            "/app.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/api/scenarios", get(scenarios))
        .route("/api/run", post(run))
        .route("/api/optimise", post(super::optimise::optimise))
        .route(
            "/api/tries",
            get(super::scoreboard::list).post(super::scoreboard::add),
        )
        .route("/api/tries.csv", get(super::scoreboard::csv))
        .route("/api/tries/clear", post(super::scoreboard::clear))
        .with_state(console)
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

/// A JSON error: `{"error": message, …extra}` with `status`.
pub(super) fn refuse(status: StatusCode, message: impl Into<String>, extra: Value) -> Response {
    let mut body = json!({ "error": message.into() });
    if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    (status, axum::Json(body)).into_response()
}

async fn scenarios(State(c): State<Arc<Console>>) -> Response {
    let list: Vec<Value> = c
        .entries
        .iter()
        .map(|e| {
            // Validated at start, so this parses.
            let spec = Scenario::from_toml_str(&e.text)
                .map(|s| serde_json::to_value(s.spec()).unwrap_or(Value::Null));
            json!({
                "id": e.id, "file": e.file, "name": e.name, "description": e.description,
                "step": e.step, "spec": spec.unwrap_or(Value::Null),
            })
        })
        .collect();
    axum::Json(json!({ "scenarios": list, "max_replications": c.limits.max_replications })).into_response()
}

/// A run request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    /// The scenario's id (see `/api/scenarios`).
    scenario: String,
    /// `--set` overrides, `KEY.PATH=VALUE`.
    #[serde(default)]
    set: Vec<String>,
    /// Replications (default: the scenario's).
    replications: Option<u32>,
    /// The asking page; its previous run is cancelled.
    page: Option<String>,
    /// Replications of the counterfactual ledger (default as `run`'s; 0
    /// skips it).
    counterfactual: Option<u32>,
    /// Answer with the counterfactual ledger alone (the page asks for it
    /// after the run itself, so the headline numbers come first).
    #[serde(default)]
    counterfactual_only: bool,
}

/// Overrides in longer requests than this are refused (a page sends a
/// dozen).
pub(super) const MAX_OVERRIDES: usize = 200;

async fn run(State(c): State<Arc<Console>>, body: String) -> Response {
    let req: RunRequest = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the request is not a run request: {e}"),
                Value::Null,
            );
        }
    };
    let prepared = match prepare(&c, &req) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match queued(&c, req.page.as_deref(), "run", move |c, flag| {
        simulate(c, prepared, flag)
    })
    .await
    {
        Ok(v) => axum::Json(v).into_response(),
        Err(r) => r,
    }
}

/// Runs `work` (a run or an optimisation, named by `what`) on the
/// console's queue: a place in the bounded queue or "busy" (503), one
/// simulation at a time, and `page`'s previous request cancelled (its flag
/// set). `work` gets the console and this request's flag and returns
/// `None` when it stopped early; the answer is then "cancelled" (409).
pub(super) async fn queued<T: Send + 'static>(
    c: &Arc<Console>,
    page: Option<&str>,
    what: &str,
    work: impl FnOnce(&Console, &AtomicBool) -> Option<T> + Send + 'static,
) -> Result<T, Response> {
    let limit = c.limits.running.max(1) + c.limits.queued;
    if c.admitted.fetch_add(1, Ordering::SeqCst) >= limit {
        c.admitted.fetch_sub(1, Ordering::SeqCst);
        return Err(refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("busy: {limit} runs are already running or waiting; try again in a moment"),
            json!({ "busy": true }),
        ));
    }
    let admission = Admission(&c.admitted);
    let flag = Arc::new(AtomicBool::new(false));
    if let Some(page) = page {
        let mut pages = c.pages.lock().expect("no panics while held");
        // Bounded: pages of a long workshop come and go.
        if pages.len() > 10_000 {
            pages.retain(|_, f| !f.load(Ordering::Relaxed) && Arc::strong_count(f) > 1);
        }
        if let Some(previous) = pages.insert(page.to_owned(), flag.clone()) {
            previous.store(true, Ordering::SeqCst);
        }
    }
    let permit = c.slots.acquire().await.expect("the semaphore is never closed");
    let outcome = if flag.load(Ordering::SeqCst) {
        Ok(None)
    } else {
        let worker = c.clone();
        let job_flag = flag.clone();
        tokio::task::spawn_blocking(move || work(&worker, &job_flag)).await
    };
    drop(permit);
    drop(admission);
    if let Some(page) = page {
        let mut pages = c.pages.lock().expect("no panics while held");
        if pages.get(page).is_some_and(|f| Arc::ptr_eq(f, &flag)) {
            pages.remove(page);
        }
    }
    match outcome {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(cancelled()),
        Err(e) => Err(refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the {what} failed: {e}"),
            Value::Null,
        )),
    }
}

pub(super) fn cancelled() -> Response {
    refuse(
        StatusCode::CONFLICT,
        "cancelled: a newer request from the same page replaced this run",
        json!({ "cancelled": true }),
    )
}

/// A validated run, ready to simulate.
struct Prepared {
    index: usize,
    set: Vec<String>,
    scenario: Scenario,
    start: Scenario,
    counterfactual: u32,
    /// Only the counterfactual ledger is asked for.
    counterfactual_only: bool,
    /// The replications the file asks for (with the overrides): the
    /// reproducing command adds `-n` only when the request changed them.
    file_replications: u32,
}

/// Validates a request as the command line validates `funnelsim run FILE
/// --set … -n N`, with the same messages; the refusal is a 400 response
/// whose `problems` carry each key path, or a 404 for an unknown scenario.
fn prepare(c: &Console, req: &RunRequest) -> Result<Prepared, Box<Response>> {
    let bad = |message: String, problems: Value| {
        Box::new(refuse(
            StatusCode::BAD_REQUEST,
            message,
            json!({ "problems": problems }),
        ))
    };
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
    if req.set.len() > MAX_OVERRIDES {
        return Err(bad(
            format!("at most {MAX_OVERRIDES} overrides per run"),
            Value::Null,
        ));
    }
    let problems = |e: &crate::model::scenario::ScenarioError| {
        Value::Array(
            e.problems
                .iter()
                .map(|p| json!({ "key": p.path, "message": p.message }))
                .collect(),
        )
    };
    let overrides = req
        .set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| bad(e.render("", "", guard::flag), problems(&e))))
        .collect::<Result<Vec<_>, _>>()?;
    let scenario = Scenario::from_toml_str_with(&entry.text, &overrides)
        .map_err(|e| bad(e.render(&entry.file, &entry.text, guard::flag), problems(&e)))?;
    let file_replications = scenario.replications();
    let reps = req.replications.unwrap_or(file_replications);
    if reps == 0 || reps > c.limits.max_replications {
        return Err(bad(
            format!(
                "replications must be between 1 and {} here",
                c.limits.max_replications
            ),
            Value::Null,
        ));
    }
    let seed = scenario.seed().0;
    let scenario = scenario
        .with_replications(reps)
        .map_err(|e| bad(e.render("", "", guard::flag), problems(&e)))?;
    let start = Scenario::from_toml_str(&entry.text)
        .and_then(|s| s.with_seed(seed).with_replications(reps))
        .map_err(|e| bad(e.render(&entry.file, &entry.text, guard::flag), problems(&e)))?;
    let counterfactual = req
        .counterfactual
        .unwrap_or(blame::DEFAULT_REPLICATIONS)
        .min(reps);
    // The run, its starting point and the counterfactual worlds.
    let runs = 2 + (u64::from(counterfactual) * blame::WORLDS).div_ceil(u64::from(reps)) as usize;
    guard::check_size(
        scenario.expected_buyers_per_replication(),
        reps,
        runs,
        c.limits.max_seconds / 3600.0,
    )
    .map_err(|m| bad(m, Value::Null))?;
    Ok(Prepared {
        index,
        set: req.set.clone(),
        scenario,
        start,
        counterfactual,
        counterfactual_only: req.counterfactual_only,
        file_replications,
    })
}

/// Runs a prepared request on the worker pool; `None` if it was cancelled.
fn simulate(c: &Console, p: Prepared, flag: &AtomicBool) -> Option<Value> {
    let observer = Cancel {
        flag,
        stopping: c.stopping,
    };
    let stop = || crate::sim::engine::RunObserver::cancelled(&observer);
    if p.counterfactual_only {
        let cf = c.pool.install(|| {
            blame::counterfactual(
                &p.scenario,
                p.counterfactual.max(1),
                &crate::sim::shard::Simulate,
                &observer,
            )
        });
        return (!stop()).then(|| json!({ "counterfactual": output::json::counterfactual(&cf) }));
    }
    let key = (p.index, p.start.seed().0, p.start.replications());
    let (start, result, counterfactual) = c.pool.install(|| {
        let cached = c
            .baselines
            .lock()
            .expect("no panics while held")
            .get(&key)
            .cloned();
        let start = match cached {
            Some(r) => r,
            None => {
                let r = Arc::new(engine::run_with(&p.start, &observer, Rows::Keep));
                if stop() {
                    return None;
                }
                let mut kept = c.baselines.lock().expect("no panics while held");
                if kept.len() >= BASELINES_KEPT {
                    kept.clear();
                }
                kept.insert(key, r.clone());
                r
            }
        };
        let result = engine::run_with(&p.scenario, &observer, Rows::Keep);
        let cf = (p.counterfactual > 0).then(|| {
            blame::counterfactual(
                &p.scenario,
                p.counterfactual,
                &crate::sim::shard::Simulate,
                &observer,
            )
        });
        (!stop()).then_some((start, result, cf))
    })?;
    Some(answer(
        &c.entries[p.index],
        &p,
        &start,
        &result,
        counterfactual.as_ref(),
    ))
}

/// The answer to a run: the `run --json` summary of the run and of its
/// starting point, the paired difference between them, the report's
/// sentences, and the command that reproduces the run.
fn answer(
    entry: &Entry,
    p: &Prepared,
    start: &RunResult,
    result: &RunResult,
    counterfactual: Option<&blame::Counterfactual>,
) -> Value {
    let run = Run {
        scenario: &p.scenario,
        result,
        counterfactual,
    };
    let metrics = compare::key_metrics(&[&p.start, &p.scenario]);
    let rows = compare::compare(start, result, &metrics);
    let versus = Versus {
        baseline: "the starting point",
        candidate: "this run",
        rows: &rows,
    };
    let mut command = vec!["funnelsim".to_owned(), "run".to_owned(), quote(&entry.file)];
    for s in &p.set {
        command.push("--set".to_owned());
        command.push(quote(s));
    }
    if p.scenario.replications() != p.file_replications {
        command.push("-n".to_owned());
        command.push(p.scenario.replications().to_string());
    }
    json!({
        "scenario": { "id": entry.id, "file": entry.file, "name": entry.name, "step": entry.step },
        "set": p.set,
        "seed": p.scenario.seed().0,
        "replications": p.scenario.replications(),
        "command": command.join(" "),
        "result": output::json::summary(&run),
        "start": output::json::summary(&Run { scenario: &p.start, result: start, counterfactual: None }),
        "difference": output::compare::json(&versus),
        "findings": versus.findings(),
        "narrative": output::report::narrative(&run),
        "pipeline": {
            "days": open_pipeline(&p.scenario, result).0,
            "result": open_pipeline(&p.scenario, result).1,
            "start": open_pipeline(&p.start, start).1,
        },
    })
}

/// Snapshot days and the mean number of open deals (all stages) at each:
/// the pipeline over time, as the console draws it.
fn open_pipeline(s: &Scenario, r: &RunResult) -> (Vec<f64>, Vec<f64>) {
    let stages = s.stages.len().max(1);
    r.pipeline
        .chunks(stages)
        .map(|day| (day[0].day, day.iter().map(|b| b.count[0]).sum::<f64>()))
        .unzip()
}

/// `word` quoted for a POSIX shell when it needs it.
pub(super) fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
