//! Parameter sweeps: an exact grid of overrides, every point run with the
//! same random numbers, and the best point with the points that cannot be
//! told apart from it.

use serde::Serialize;
use toml::Value;

use crate::sim::metrics::{Direction, Metric};

use crate::model::scenario::overrides::{Override, parse_value};
use crate::model::scenario::params::ParamPath;
use crate::model::scenario::{Origin, Scenario, ScenarioError, spec::ScenarioSpec};
use crate::sim::engine::{Detail, Rows, RunObserver, RunResult};
use crate::sim::shard::Runner;
use crate::sim::stats::{Estimate, paired_difference};

/// Largest grid a sweep accepts.
pub const MAX_POINTS: usize = 10_000;

/// One varied parameter and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// Key path, as for `--set`.
    pub path: ParamPath,
    /// Values in sweep order.
    pub values: Vec<Value>,
}

impl Vary {
    /// Parses `PATH=START:STOP:STEP` (inclusive, generated as
    /// `start + i · step` so there is no drift) or `PATH=v1,v2,…`.
    ///
    /// # Errors
    /// A message naming what is wrong with the range.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let fail = |m: String| ScenarioError::from(Origin::Sweep, text, m);
        let (path, spec) = text
            .split_once('=')
            .ok_or_else(|| fail("expected PATH=START:STOP:STEP or PATH=v1,v2,…".into()))?;
        let path = ParamPath::parse(path.trim()).map_err(fail)?;
        let spec = spec.trim();
        let values = if spec.contains(':') {
            let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
            let [start, stop, step] = parts[..] else {
                return Err(fail("a range needs START:STOP:STEP".into()));
            };
            let num = |s: &str| {
                s.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| fail(format!("'{s}' is not a number")))
            };
            let (a, b, h) = (num(start)?, num(stop)?, num(step)?);
            if h <= 0.0 {
                return Err(fail("the step must be positive".into()));
            }
            if b < a {
                return Err(fail(format!("the range is empty (stop {b} < start {a})")));
            }
            let n = ((b - a) / h + 1e-9).floor() as usize + 1;
            if n > MAX_POINTS {
                return Err(fail(format!("{n} values; at most {MAX_POINTS}")));
            }
            let integral = [start, stop, step].iter().all(|s| s.parse::<i64>().is_ok());
            (0..n)
                .map(|i| {
                    let x = a + i as f64 * h;
                    if integral {
                        Value::Integer(x.round() as i64)
                    } else {
                        // Round to 10 decimals: 0.1 * 3 is 0.3, not 0.30000000000000004.
                        Value::Float((x * 1e10).round() / 1e10)
                    }
                })
                .collect()
        } else {
            spec.split(',')
                .map(|v| parse_value(v.trim()).map_err(fail))
                .collect::<Result<Vec<_>, _>>()?
        };
        if values.is_empty() {
            return Err(fail("nothing to vary".into()));
        }
        Ok(Self { path, values })
    }
}

/// What a sweep optimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Won / leads (maximise).
    CloseRate,
    /// Won / decided (maximise).
    WinRate,
    /// Revenue (maximise).
    Revenue,
    /// Revenue − spend (maximise).
    Profit,
    /// Profit / spend (maximise).
    Roi,
    /// Spend / won (minimise).
    CostPerWin,
}

impl Objective {
    /// The metric name.
    pub fn metric(self) -> &'static str {
        match self {
            Objective::CloseRate => "close_rate",
            Objective::WinRate => "win_rate",
            Objective::Revenue => "revenue",
            Objective::Profit => "profit",
            Objective::Roi => "roi",
            Objective::CostPerWin => "cost_per_win",
        }
    }

    /// Every objective.
    pub const ALL: [Objective; 6] = [
        Objective::CloseRate,
        Objective::WinRate,
        Objective::Revenue,
        Objective::Profit,
        Objective::Roi,
        Objective::CostPerWin,
    ];

    /// Whether larger is better (the metric's direction in the catalogue).
    pub fn maximise(self) -> bool {
        Metric::find(self.metric()).map(|m| m.direction) != Some(Direction::LowerIsBetter)
    }
}

impl std::str::FromStr for Objective {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Objective::ALL
            .into_iter()
            .find(|o| o.metric() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Objective::ALL.iter().map(|o| o.metric()).collect();
                format!("unknown objective '{s}'; one of {}", names.join(", "))
            })
    }
}

/// The settings of each grid point: the cartesian product of the varied
/// values, the last `--vary` changing fastest.
///
/// # Errors
/// The same path varied twice (the second would silently win), or more than
/// [`MAX_POINTS`] points.
pub fn grid(varies: &[Vary]) -> Result<Vec<Vec<Override>>, ScenarioError> {
    for (i, v) in varies.iter().enumerate() {
        if varies[..i].iter().any(|w| w.path == v.path) {
            return Err(ScenarioError::from(
                Origin::Sweep,
                v.path.as_str(),
                "the same path is varied twice; give all its values at once",
            ));
        }
    }
    let total = varies
        .iter()
        .try_fold(1usize, |acc, v| acc.checked_mul(v.values.len()));
    match total {
        Some(n) if n <= MAX_POINTS => {}
        _ => {
            return Err(ScenarioError::from(
                Origin::Sweep,
                "",
                format!("the grid has more than {MAX_POINTS} points; vary fewer values"),
            ));
        }
    }
    let mut points = vec![Vec::new()];
    for v in varies {
        points = points
            .into_iter()
            .flat_map(|p| {
                v.values.iter().map(move |x| {
                    let mut q = p.clone();
                    q.push(Override {
                        path: v.path.clone(),
                        value: x.clone(),
                    });
                    q
                })
            })
            .collect();
    }
    Ok(points)
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepPoint {
    /// Stable index of the point in grid order.
    pub point: u32,
    /// `(path, value)` of each varied parameter.
    pub settings: Vec<(String, String)>,
    /// Estimates of the key metrics, by name.
    pub metrics: Vec<(String, Estimate)>,
    /// The objective's estimate.
    pub objective: Estimate,
    /// Paired difference of the objective from the best point.
    pub versus_best: Estimate,
    /// Whether the point cannot be told apart from the best (the 95%
    /// interval of the paired difference contains zero).
    pub indistinguishable_from_best: bool,
}

/// A whole sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepResult {
    /// The objective.
    pub objective: Objective,
    /// Every point, in grid order.
    pub points: Vec<SweepPoint>,
    /// Index of the best point (meaningless when `inert` holds every
    /// varied parameter: then no point is better than another).
    pub best: usize,
    /// Varied parameters that change nothing: wherever only that parameter
    /// differs between points, the objective is identical in every
    /// replication (with shared random numbers, the sign of a parameter the
    /// current policy does not use).
    pub inert: Vec<String>,
    /// Varied numeric parameters whose value at the best point is the
    /// lowest or highest of the grid, as `(path, value, "lowest" or
    /// "highest")`: what lies beyond the range may be better still.
    pub at_edge: Vec<(String, String, String)>,
}

impl SweepResult {
    /// Whether no varied parameter changes anything, so there is no best
    /// point to name.
    pub fn no_effect(&self) -> bool {
        !self.points.is_empty() && self.inert.len() == self.points[0].settings.len()
    }
}

/// The varied parameters (by position in each point's settings) that
/// change nothing: every two points that differ only in that parameter have
/// identical objective columns.
fn inert_parameters(points: &[Vec<Override>], columns: &[Vec<f64>]) -> Vec<usize> {
    let width = points.first().map_or(0, Vec::len);
    (0..width)
        .filter(|&k| {
            // The first point of each group that shares every other setting.
            let mut first: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
            (0..points.len()).all(|i| {
                let rest: Vec<String> = points[i]
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != k)
                    .map(|(_, o)| o.value.to_string())
                    .collect();
                let j = *first.entry(rest.join("\u{1f}")).or_insert(i);
                columns[j] == columns[i]
            })
        })
        .collect()
}

/// The varied numeric parameters whose best value is an end of the range
/// swept, where one more step beyond it (the step to its neighbour) still
/// makes a valid scenario: a count at 0 or a probability at 1 is an end of
/// what is possible, not only of the grid. Only for parameters with at least
/// three values, where the range had an inside to find an optimum in.
fn edges(
    base: &ScenarioSpec,
    base_overrides: &[Override],
    best: &[Override],
    varies: &[Vary],
    inert: &[usize],
) -> Vec<(String, String, String)> {
    let num = |v: &Value| match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    };
    varies
        .iter()
        .enumerate()
        .filter(|(k, v)| !inert.contains(k) && v.values.len() >= 3)
        .filter_map(|(k, v)| {
            let xs: Vec<f64> = v.values.iter().map(num).collect::<Option<_>>()?;
            let x = num(&best[k].value)?;
            let (end, neighbour) = if xs.iter().all(|&y| x <= y) {
                ("lowest", xs.iter().copied().filter(|&y| y > x).reduce(f64::min)?)
            } else if xs.iter().all(|&y| x >= y) {
                ("highest", xs.iter().copied().filter(|&y| y < x).reduce(f64::max)?)
            } else {
                return None;
            };
            let beyond = match best[k].value {
                Value::Integer(i) => Value::Integer(i + (x - neighbour) as i64),
                _ => Value::Float(x + (x - neighbour)),
            };
            let mut next: Vec<Override> = base_overrides.iter().chain(best).cloned().collect();
            next[base_overrides.len() + k].value = beyond;
            let valid = crate::model::scenario::overrides::apply(base, &next)
                .and_then(|(spec, _)| Scenario::from_spec(spec))
                .is_ok();
            valid.then(|| (v.path.to_string(), best[k].value.to_string(), end.to_owned()))
        })
        .collect()
}

/// A grid point that does not validate: its settings and what is wrong.
pub type PointError = (Vec<Override>, ScenarioError);

/// A point's settings as `(path, value)` text, for tables and JSON.
pub fn settings_text(point: &[Override]) -> Vec<(String, String)> {
    point
        .iter()
        .map(|o| (o.path.to_string(), o.value.to_string()))
        .collect()
}

/// The grid of `varies` on top of `base` and `base_overrides`: each point's
/// settings and its validated scenario (all with the base's seed, so the
/// points share random numbers).
///
/// # Errors
/// The first point that does not validate, with its settings.
pub fn grid_scenarios(
    base: &ScenarioSpec,
    base_overrides: &[Override],
    varies: &[Vary],
) -> Result<(Vec<Vec<Override>>, Vec<Scenario>), PointError> {
    let points = grid(varies).map_err(|e| (Vec::new(), e))?;
    let scenarios: Vec<Scenario> = points
        .iter()
        .map(|p| {
            let all: Vec<Override> = base_overrides.iter().chain(p).cloned().collect();
            crate::model::scenario::overrides::apply(base, &all)
                .and_then(|(spec, set)| {
                    // The same parameter set twice (by --set and --vary, or by two
                    // spellings of one path) would silently keep only the last.
                    for (i, path) in set.iter().enumerate().skip(base_overrides.len()) {
                        if let Some(j) = set[..i].iter().position(|q| q == path) {
                            let also = if j < base_overrides.len() {
                                "set by the override"
                            } else {
                                "varied as"
                            };
                            return Err(ScenarioError::from(
                                Origin::Sweep,
                                all[i].path.as_str(),
                                format!("{path} is also {also} {}; set each parameter once", all[j].path),
                            ));
                        }
                    }
                    Scenario::from_spec(spec)
                })
                .map_err(|mut e| {
                    // Problems with a varied path are the sweep's, not an override's.
                    for pr in &mut e.problems {
                        if pr.origin == Origin::Override && varies.iter().any(|v| pr.path == v.path.as_str())
                        {
                            pr.origin = Origin::Sweep;
                        }
                    }
                    (p.clone(), e)
                })
        })
        .collect::<Result<_, _>>()?;
    Ok((points, scenarios))
}

/// Validates every point, then runs them one after another (each in
/// parallel over replications) with the same seed and replications, so all
/// points share random numbers. Only the objective's per-replication values
/// are kept per point, to pair each point with the best.
///
/// # Errors
/// The first point that does not validate, before anything runs.
pub fn run_sweep(
    base: &ScenarioSpec,
    base_overrides: &[Override],
    varies: &[Vary],
    objective: Objective,
    key_metrics: &[&str],
    runner: &dyn Runner,
    observer: &dyn RunObserver,
) -> Result<SweepResult, PointError> {
    let (points, scenarios) = grid_scenarios(base, base_overrides, varies)?;
    let mut columns = Vec::with_capacity(points.len());
    let mut out = Vec::with_capacity(points.len());
    for (i, (s, p)) in scenarios.iter().zip(&points).enumerate() {
        let r: RunResult = runner.run(s, observer, Rows::Only(&[objective.metric()]), Detail::Estimates);
        columns.push(r.column(objective.metric()).expect("objective is a metric"));
        out.push(SweepPoint {
            point: i as u32,
            settings: settings_text(p),
            metrics: key_metrics
                .iter()
                .filter_map(|m| r.estimate(m).map(|e| ((*m).to_owned(), e.clone())))
                .collect(),
            objective: r
                .estimate(objective.metric())
                .expect("objective is a metric")
                .clone(),
            versus_best: Estimate::undefined(),
            indistinguishable_from_best: false,
        });
    }
    let score = |p: &SweepPoint| {
        let m = p.objective.mean.unwrap_or(f64::NAN);
        if objective.maximise() { m } else { -m }
    };
    let best = (0..out.len())
        .filter(|&i| score(&out[i]).is_finite())
        .max_by(|&a, &b| score(&out[a]).total_cmp(&score(&out[b])).then(b.cmp(&a)))
        .unwrap_or(0);
    for i in 0..out.len() {
        let d = paired_difference(&columns[best], &columns[i]);
        out[i].indistinguishable_from_best = match (d.ci_low, d.ci_high) {
            (Some(lo), Some(hi)) => lo <= 0.0 && hi >= 0.0,
            _ => i == best,
        };
        out[i].versus_best = d;
    }
    // A parameter given one value varies nothing, so it is not reported.
    let inert: Vec<usize> = inert_parameters(&points, &columns)
        .into_iter()
        .filter(|&k| varies[k].values.len() > 1)
        .collect();
    let at_edge = if points.is_empty() {
        Vec::new()
    } else {
        edges(base, base_overrides, &points[best], varies, &inert)
    };
    Ok(SweepResult {
        objective,
        points: out,
        best,
        inert: inert.iter().map(|&k| varies[k].path.to_string()).collect(),
        at_edge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_exact_and_inclusive() {
        let v = Vary::parse("handoff.threshold=0:1:0.1").unwrap();
        assert_eq!(v.values.len(), 11);
        assert_eq!(v.values[3], Value::Float(0.3));
        let v = Vary::parse("outreach.reps=2:8:2").unwrap();
        assert_eq!(
            v.values,
            vec![
                Value::Integer(2),
                Value::Integer(4),
                Value::Integer(6),
                Value::Integer(8)
            ]
        );
        let v = Vary::parse("outreach.approach=scripted,insight_led").unwrap();
        assert_eq!(v.values[1], Value::String("insight_led".into()));
    }

    #[test]
    fn bad_ranges_are_refused() {
        assert!(Vary::parse("a=1:0:1").unwrap_err().to_string().contains("empty"));
        assert!(
            Vary::parse("a=0:1:0")
                .unwrap_err()
                .to_string()
                .contains("positive")
        );
        assert!(
            Vary::parse("a=0:1e9:1")
                .unwrap_err()
                .to_string()
                .contains("at most")
        );
        assert!(Vary::parse("a").is_err());
        let big = [
            Vary::parse("a=1:200:1").unwrap(),
            Vary::parse("b=1:200:1").unwrap(),
        ];
        assert!(grid(&big).is_err());
    }

    #[test]
    fn grid_is_a_cartesian_product_last_fastest() {
        let g = grid(&[Vary::parse("a=1,2").unwrap(), Vary::parse("b=x,y,z").unwrap()]).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g[1][1].value, Value::String("y".into()));
        assert_eq!(g[3][0].value, Value::Integer(2));
    }
}
