//! The room's tries, kept in memory while the server runs: who tried what,
//! their prediction, and what it did. Exported as JSON and CSV, each try
//! marked when it is the best so far of its step.
//!
//! "Best" is per step, by the paired difference in deals won from the
//! step's starting point: steps start from different scenarios, so their
//! absolute deals won do not compare, while the paired difference measures
//! what the try's change did to the same buyers.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Console;
use super::api::refuse;

/// Tries kept at most; a longer workshop is asked to export and clear.
const MAX_TRIES: usize = 2000;

/// Longest text field of a try, in characters.
const MAX_TEXT: usize = 500;

/// One try of the room.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Try {
    /// Who tried it.
    pub who: String,
    /// The scenario (workshop step) id.
    pub scenario: String,
    /// What was changed, as `--set` overrides.
    #[serde(default)]
    pub set: Vec<String>,
    /// The prediction made before running.
    #[serde(default)]
    pub prediction: String,
    /// Deals won (mean).
    pub won: Option<f64>,
    /// Paired difference in deals won from the starting point.
    pub won_difference: Option<f64>,
    /// Its 95% interval.
    pub won_difference_ci: Option<[Option<f64>; 2]>,
    /// Revenue (mean).
    pub revenue: Option<f64>,
    /// The command that reproduces it.
    #[serde(default)]
    pub command: String,
}

/// A try as the scoreboard shows and exports it: the try, and whether it is
/// the best so far of its step.
#[derive(Clone, Debug, Serialize)]
pub struct Ranked {
    /// The try as it was recorded.
    #[serde(flatten)]
    pub recorded: Try,
    /// Whether it is the best of its step (see [`best_of_step`]).
    pub best_of_step: bool,
}

/// Marks, for each try, whether it is the best so far of its step (its
/// `scenario`): the largest paired difference in deals won from the step's
/// starting point, the first of equals (the room saw it first). A try
/// without a finite difference is never the best; a step whose tries all
/// lack one has none.
pub fn best_of_step(tries: &[Try]) -> Vec<bool> {
    // Each step's best so far: (index of the try, its difference).
    let mut best: Vec<(&str, usize, f64)> = Vec::new();
    for (i, t) in tries.iter().enumerate() {
        let Some(d) = t.won_difference.filter(|d| d.is_finite()) else {
            continue;
        };
        match best.iter_mut().find(|(step, ..)| *step == t.scenario) {
            // Strictly larger: ties keep the earlier try.
            Some(b) if d > b.2 => *b = (b.0, i, d),
            Some(_) => {}
            None => best.push((&t.scenario, i, d)),
        }
    }
    let mut marks = vec![false; tries.len()];
    for (_, i, _) in best {
        marks[i] = true;
    }
    marks
}

/// The tries, in the order they were made.
#[derive(Default)]
pub struct Scoreboard(Mutex<Vec<Try>>);

impl Scoreboard {
    /// The tries, each with its mark: computed when asked for, since a new
    /// try can take the mark from an earlier one.
    fn snapshot(&self) -> Vec<Ranked> {
        let tries = self.0.lock().expect("no panics while held").clone();
        let marks = best_of_step(&tries);
        tries
            .into_iter()
            .zip(marks)
            .map(|(recorded, best_of_step)| Ranked {
                recorded,
                best_of_step,
            })
            .collect()
    }
}

/// `GET /api/tries`: the tries as JSON, each with `best_of_step`.
pub async fn list(State(c): State<Arc<Console>>) -> Response {
    axum::Json(json!({ "tries": c.scoreboard.snapshot() })).into_response()
}

/// `POST /api/tries`: records a try.
pub async fn add(State(c): State<Arc<Console>>, body: String) -> Response {
    let t: Try = match serde_json::from_str(&body) {
        Ok(t) => t,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, format!("not a try: {e}"), Value::Null),
    };
    let long = [&t.who, &t.scenario, &t.prediction, &t.command]
        .into_iter()
        .chain(&t.set)
        .any(|s| s.chars().count() > MAX_TEXT);
    if long || t.set.len() > 200 {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("a try's texts are at most {MAX_TEXT} characters"),
            Value::Null,
        );
    }
    let mut tries = c.scoreboard.0.lock().expect("no panics while held");
    if tries.len() >= MAX_TRIES {
        return refuse(
            StatusCode::INSUFFICIENT_STORAGE,
            format!("the scoreboard holds {MAX_TRIES} tries; export it and clear it to go on"),
            Value::Null,
        );
    }
    tries.push(t);
    axum::Json(json!({ "tries": tries.len() })).into_response()
}

/// `POST /api/tries/clear`: empties the scoreboard.
pub async fn clear(State(c): State<Arc<Console>>) -> Response {
    c.scoreboard.0.lock().expect("no panics while held").clear();
    axum::Json(json!({ "tries": 0 })).into_response()
}

/// A CSV field, quoted when it needs to be; a leading `=`, `+`, `-` or `@`
/// is prefixed with `'` so spreadsheets show it instead of evaluating it.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn number(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map_or(String::new(), |v| v.to_string())
}

/// `GET /api/tries.csv`: the tries as CSV, `best_of_step` last (`true` or
/// `false`) so the earlier columns keep their places.
pub async fn csv(State(c): State<Arc<Console>>) -> Response {
    let mut out = String::from(
        "try,who,scenario,changes,prediction,won,won_difference,won_difference_ci_low,won_difference_ci_high,revenue,command,best_of_step\n",
    );
    for (i, r) in c.scoreboard.snapshot().iter().enumerate() {
        let t = &r.recorded;
        let [lo, hi] = t.won_difference_ci.unwrap_or([None, None]);
        let row = [
            (i + 1).to_string(),
            field(&t.who),
            field(&t.scenario),
            field(&t.set.join(" ")),
            field(&t.prediction),
            number(t.won),
            number(t.won_difference),
            number(lo),
            number(hi),
            number(t.revenue),
            field(&t.command),
            r.best_of_step.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"tries.csv\""),
        ],
        out,
    )
        .into_response()
}
