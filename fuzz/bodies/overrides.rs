// The body of the `overrides` fuzz target, shared with tests/fuzz_bodies.rs
// (which runs it on a seed corpus on every `cargo test`, so the target
// always compiles against the library). Included with `include!`.

/// A small valid scenario the parsed overrides are applied to.
const OVERRIDES_BASE: &str = r#"
name = "fuzz"
[simulation]
replications = 2
[[channels]]
name = "web"
kind = "inbound_content"
arrivals = { process = "poisson", leads_per_day = 1.0 }
fit = 0.5
stage_mix = { unaware = 1.0 }
"#;

/// Parses each line as `--set` and as `--vary`, applies what parses to a
/// valid scenario and validates the result; must never panic.
pub fn fuzz_overrides(data: &[u8]) {
    use funnelsim::model::scenario::overrides::{Override, apply};
    use funnelsim::model::scenario::{Scenario, parse_spec};
    use funnelsim::study::sweep::{Vary, grid};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let spec = parse_spec(OVERRIDES_BASE).expect("the base scenario is valid");
    // Each line is one argument, tried both as --set and as --vary.
    let mut sets = Vec::new();
    let mut varies = Vec::new();
    for line in text.lines().take(8) {
        if let Ok(ov) = Override::parse(line) {
            sets.push(ov);
        }
        if let Ok(v) = Vary::parse(line) {
            varies.push(v);
        }
    }
    if let Ok((spec, _)) = apply(&spec, &sets) {
        let _ = Scenario::from_spec(spec);
    }
    if let Ok(points) = grid(&varies) {
        // Applying every point is what a sweep validates before running.
        for p in points.iter().take(16) {
            let _ = apply(&spec, p).map(|(s, _)| Scenario::from_spec(s));
        }
    }
}
