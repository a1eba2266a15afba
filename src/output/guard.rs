//! Refusals shared by the command line and the console (`funnelsim serve`):
//! the resource guard, and the words that name where a key path was given.

use crate::model::scenario::{Origin, Scenario};
use crate::study::sweep::PointError;

/// Buyers one core simulates per second, roughly (see docs/performance.md).
const BUYERS_PER_CORE_SECOND: f64 = 3.0e6;

/// Runs expected to take longer than this get an estimate before they start.
const LONG_RUN_SECONDS: f64 = 10.0;

/// The flag a user gives each kind of key path with, for scenario errors.
pub fn flag(origin: Origin) -> Option<&'static str> {
    match origin {
        Origin::File => None,
        Origin::Override => Some("--set"),
        Origin::Sweep => Some("--vary"),
        Origin::Sensitivity => Some("--params"),
        Origin::Metric => Some("--metric"),
    }
}

/// Most replications of `buyers_per_replication` buyers each that the
/// resource guard lets a request simulate in `max_hours`, by the same
/// estimate as [`check_size`]: the console's cap on an optimisation's
/// budget, whose replications the procedure spends one at a time.
pub fn replications_within(buyers_per_replication: f64, max_hours: f64) -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let buyers = max_hours * 3600.0 * BUYERS_PER_CORE_SECOND * cores;
    // A scenario without buyers costs next to nothing per replication.
    (buyers / buyers_per_replication.max(1.0))
        .floor()
        .min(u64::MAX as f64) as u64
}

/// Refuses to optimise or rank by `metric` (given with `flag`) when it is
/// made of costs that `s` marks unknown: the answer would come from
/// placeholder costs, not the company's. `origin` names the scenario.
pub fn unknown_costs(origin: &str, s: &Scenario, flag: &str, metric: &str) -> Result<(), String> {
    if s.costs_known() || !crate::sim::metrics::Metric::made_of_costs(metric) {
        return Ok(());
    }
    Err(format!(
        "{origin}: {flag} {metric}{} is made of costs, and this scenario's costs are unknown \
         (unknown = [\"costs\"]: they are placeholders, not the company's); give the company's \
         costs (`funnelsim calibrate --costs FILE`, or set them in the file and remove \"costs\" \
         from `unknown`), or choose close_rate, win_rate or revenue",
        if flag == "--objective" && metric == "profit" {
            " (given, or the default)"
        } else {
            ""
        }
    ))
}

/// A grid point of the scenario named `origin` that does not validate.
pub fn point_refusal(origin: &str, (point, e): &PointError) -> String {
    let at: Vec<String> = point.iter().map(|o| format!("{}={}", o.path, o.value)).collect();
    format!(
        "{origin}: at sweep point {}: {}",
        at.join(" "),
        e.render("", "", flag)
    )
}

/// The resource guard: refuses work or memory that is absurd for the
/// machine before anything runs (`Err`, with the estimate and how to
/// shrink it), and estimates long runs (`Ok(Some(note))`).
/// `max_hours` is how long a run may take at most.
pub fn check_size(
    buyers_per_replication: f64,
    replications: u32,
    runs: usize,
    max_hours: f64,
) -> Result<Option<String>, String> {
    // A buyer's state is ~130 bytes and each replication keeps its buyers;
    // pending events add about as much again.
    let bytes_per_replication = buyers_per_replication * 300.0;
    if bytes_per_replication > 4.0 * (1u64 << 30) as f64 {
        return Err(format!(
            "one replication would simulate about {:.2e} buyers and need about {:.0} GiB; shorten the horizon or lower the channels' lead rates",
            buyers_per_replication,
            bytes_per_replication / (1u64 << 30) as f64
        ));
    }
    let total = buyers_per_replication * f64::from(replications) * runs as f64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let seconds = total / BUYERS_PER_CORE_SECOND / cores;
    let hours = seconds / 3600.0;
    if hours > max_hours {
        let time = if hours >= 1.0 {
            format!("roughly {hours:.0} hours")
        } else {
            format!("roughly {:.0} seconds", seconds.max(1.0))
        };
        return Err(format!(
            "this run would simulate about {total:.2e} buyers ({buyers_per_replication:.2e} per replication × {replications} replications × {runs} runs), {time} on {cores} cores; use fewer --replications, fewer sweep points or a shorter horizon"
        ));
    }
    Ok((seconds > LONG_RUN_SECONDS).then(|| {
        format!(
            "note: this run simulates about {total:.2e} buyers; expect roughly {} on {cores} cores (Ctrl-C stops it, writing nothing)",
            indicatif::HumanDuration(std::time::Duration::from_secs_f64(seconds))
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_within_the_bound_passes_the_size_check_and_twice_it_does_not() {
        let (buyers, minute) = (7300.0, 1.0 / 60.0);
        let n = replications_within(buyers, minute);
        assert!(n > 1);
        assert!(check_size(buyers, u32::try_from(n - 1).unwrap(), 1, minute).is_ok());
        assert!(check_size(buyers, u32::try_from(2 * n).unwrap(), 1, minute).is_err());
    }
}
