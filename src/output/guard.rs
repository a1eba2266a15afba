//! Refusals shared by the command line and the console (`funnelsim serve`):
//! the resource guard, and the words that name where a key path was given.

use crate::model::scenario::Origin;

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
