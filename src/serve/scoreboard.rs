//! The room's tries, kept in memory while the server runs: who tried what,
//! their prediction, and what it did. Exported as JSON and CSV.

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

/// The tries, in the order they were made.
#[derive(Default)]
pub struct Scoreboard(Mutex<Vec<Try>>);

impl Scoreboard {
    fn snapshot(&self) -> Vec<Try> {
        self.0.lock().expect("no panics while held").clone()
    }
}

/// `GET /api/tries`: the tries as JSON.
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

/// `GET /api/tries.csv`: the tries as CSV.
pub async fn csv(State(c): State<Arc<Console>>) -> Response {
    let mut out = String::from(
        "try,who,scenario,changes,prediction,won,won_difference,won_difference_ci_low,won_difference_ci_high,revenue,command\n",
    );
    for (i, t) in c.scoreboard.snapshot().iter().enumerate() {
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
