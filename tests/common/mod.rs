//! Helpers shared by the integration tests.
#![allow(dead_code)]

use funnelsim::model::scenario::{Scenario, parse_spec, spec::ScenarioSpec};
use funnelsim::sim::engine::{self, RunResult, Silent};

/// Sigmas for statistical assertions: with α ≈ 7e-6 per two-sided check, a
/// correct engine essentially never fails, a wrong one shows up at once.
pub const Z: f64 = 4.5;

/// The raw spec of a shipped scenario.
pub fn spec(name: &str) -> ScenarioSpec {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_spec(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Validates and runs a spec on the current rayon pool.
pub fn run(spec: ScenarioSpec) -> (Scenario, RunResult) {
    let s = Scenario::from_spec(spec).expect("test scenario is valid");
    let r = engine::run(&s, &Silent);
    (s, r)
}

/// Mean and standard error of a metric.
pub fn mean_se(r: &RunResult, name: &str) -> (f64, f64) {
    let e = r.estimate(name).unwrap_or_else(|| panic!("no metric {name}"));
    (e.mean.expect("defined"), e.std_error().expect("n ≥ 2"))
}

/// Asserts `a − b > Z · SE(a − b)` for independent runs.
pub fn assert_greater(a: (f64, f64), b: (f64, f64), what: &str) {
    let se = (a.1 * a.1 + b.1 * b.1).sqrt();
    assert!(
        a.0 - b.0 > Z * se,
        "{what}: expected {:.5} > {:.5} by more than {Z} SE ({:.5})",
        a.0,
        b.0,
        se
    );
}
