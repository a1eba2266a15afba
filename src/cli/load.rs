//! Reading scenarios as the commands need them: from a file or standard
//! input, with `--set` overrides, `--seed` and `--replications` applied,
//! validated once, warnings printed once. Every refusal is a [`BadInput`]
//! (exit status 2).

use std::path::{Path, PathBuf};

use anyhow::Result;
use funnelsim::model::scenario::overrides::Override;
use funnelsim::model::scenario::{Scenario, ScenarioError, Warning, parse_spec, spec::ScenarioSpec};

use super::args::SimArgs;
use super::job::check_size;
use super::term::note;

/// A scenario file that could not be loaded; exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

pub use funnelsim::output::guard::flag;

/// A scenario error in the command line's words, from `origin` (a file
/// name, or empty) whose text is `source`.
pub fn refusal(e: &ScenarioError, origin: &str, source: &str) -> BadInput {
    BadInput(e.render(origin, source, flag))
}

/// The scenario path that means standard input.
pub const STDIN: &str = "-";

fn read(path: &Path) -> Result<String> {
    if path.as_os_str() == STDIN {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| BadInput(format!("cannot read a scenario from standard input: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| BadInput(format!("cannot read scenario file {}: {e}", path.display())).into())
}

/// Standard input can be read once: at most one scenario may come from it.
pub fn stdin_once(paths: &[PathBuf]) -> Result<()> {
    if paths.iter().filter(|p| p.as_os_str() == STDIN).count() > 1 {
        return Err(BadInput("standard input ('-') can hold only one of the scenarios".into()).into());
    }
    Ok(())
}

/// How messages name a scenario's source.
pub fn origin(path: &Path) -> String {
    if path.as_os_str() == STDIN {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads a scenario file, applies `--set` overrides and validates it.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario> {
    let text = read(path)?;
    Ok(Scenario::from_toml_str_with(&text, overrides).map_err(|e| refusal(&e, &origin(path), &text))?)
}

/// Prints a scenario's warnings (legal but suspicious settings) once, on
/// stderr, for the scenario as it will actually run.
pub fn warn(path: &Path, s: &Scenario) {
    for w in s.warnings() {
        let hint = match w {
            Warning::FewReplications(_) => " (try --replications 200)",
            _ => "",
        };
        note!("warning: {}: {w}{hint}", origin(path));
    }
}

/// Reads a scenario file into its raw spec (for sweeps and sensitivity,
/// which build many scenarios from it).
pub fn load_spec(path: &Path, args: &SimArgs) -> Result<(ScenarioSpec, Vec<Override>)> {
    let text = read(path)?;
    let origin = origin(path);
    let overrides = args.overrides()?;
    // Validate once up front, so file errors carry their line numbers.
    Scenario::from_toml_str_with(&text, &overrides).map_err(|e| refusal(&e, &origin, &text))?;
    let mut spec = parse_spec(&text).map_err(|e| refusal(&e, &origin, &text))?;
    if let Some(seed) = args.seed {
        spec.simulation.seed = seed;
    }
    if let Some(n) = args.replications {
        if n == 0 {
            return Err(BadInput("--replications must be at least 1".into()).into());
        }
        spec.simulation.replications = n;
    }
    Ok((spec, overrides))
}

/// The scenario a sweep or sensitivity study starts from: `spec` (read by
/// [`load_spec`]) with the `--set` overrides, validated, its warnings
/// printed. The size check, the warnings and the manifest describe it.
pub fn study_base(path: &Path, spec: &ScenarioSpec, overrides: &[Override]) -> Result<Scenario> {
    let (with_set, _) =
        funnelsim::model::scenario::overrides::apply(spec, overrides).map_err(|e| refusal(&e, "", ""))?;
    let base = Scenario::from_spec(with_set).map_err(|e| refusal(&e, &origin(path), ""))?;
    warn(path, &base);
    Ok(base)
}

/// Refuses to optimise or rank by `metric` (given with `flag`) when it is
/// made of costs that `s` marks unknown: the answer would come from
/// placeholder costs, not the company's.
pub fn refuse_unknown_costs(path: &Path, s: &Scenario, flag: &str, metric: &str) -> Result<()> {
    funnelsim::output::guard::unknown_costs(&origin(path), s, flag, metric).map_err(|m| BadInput(m).into())
}

/// Whether a key path is the company's policy: a key of `[marketing]`,
/// `[handoff]` or `[outreach]`.
pub fn is_policy(path: &str) -> bool {
    ["marketing.", "handoff.", "outreach."]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Warns, once, when a study varies policy keys (`[marketing]`, `[handoff]`,
/// `[outreach]`) of a scenario in which sales cannot change any outcome: its
/// "best" policy is then simply the cheapest.
pub fn warn_if_policies_cannot_matter(path: &Path, s: &Scenario, varied: &[&str]) {
    if !s.sales_moves_outcomes() && varied.iter().any(|v| is_policy(v)) {
        note!(
            "warning: {}: sales touches change no outcome in this scenario (a calibration without --live), so policies move costs only; calibrate with --live to compare policies",
            origin(path)
        );
    }
}

/// `s` with `--seed` and `--replications` applied.
pub fn apply(s: Scenario, args: &SimArgs) -> Result<Scenario> {
    let s = match args.seed {
        Some(seed) => s.with_seed(seed),
        None => s,
    };
    Ok(match args.replications {
        Some(n) => s
            .with_replications(n)
            .map_err(|_| BadInput("--replications must be at least 1".into()))?,
        None => s,
    })
}

/// A scenario argument of `compare` or `report`: a file, optionally
/// followed by overrides for that scenario alone,
/// `FILE?KEY.PATH=VALUE&KEY.PATH=VALUE` (so a scenario can be compared with
/// a changed copy of itself).
#[derive(Clone, Debug)]
pub struct ScenarioArg {
    /// The scenario file.
    pub file: PathBuf,
    /// Its own overrides, as written.
    pub set: Vec<String>,
}

impl ScenarioArg {
    /// Splits `arg` at its first `?` (unless a file of that very name
    /// exists) into the file and its `&`-separated overrides.
    pub fn parse(arg: &Path) -> ScenarioArg {
        let text = arg.to_string_lossy();
        match text.split_once('?') {
            Some((file, set)) if !arg.exists() => ScenarioArg {
                file: PathBuf::from(file),
                set: set
                    .split('&')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            _ => ScenarioArg {
                file: arg.to_path_buf(),
                set: Vec::new(),
            },
        }
    }

    /// Every override of this scenario as written: `--set` ones (which apply
    /// to every scenario) first, then its own.
    pub fn all_set(&self, sim: &SimArgs) -> Vec<String> {
        sim.set.iter().chain(&self.set).cloned().collect()
    }
}

/// Loads the scenarios of a comparison or report (each argument a
/// [`ScenarioArg`]). Common random numbers: every scenario runs with the
/// same seed and replication count (the first scenario's unless given), so
/// replication k of each meets the same buyers.
pub fn load_paired(
    args: &[ScenarioArg],
    sim: &SimArgs,
    shard: Option<funnelsim::sim::shard::Shard>,
) -> Result<(Vec<Scenario>, u64, u32)> {
    let paths: Vec<PathBuf> = args.iter().map(|a| a.file.clone()).collect();
    stdin_once(&paths)?;
    let loaded = args
        .iter()
        .map(|a| {
            let overrides = a
                .all_set(sim)
                .iter()
                .map(|s| Override::parse(s).map_err(|e| refusal(&e, &origin(&a.file), "").into()))
                .collect::<Result<Vec<_>>>()?;
            load(&a.file, &overrides)
        })
        .collect::<Result<Vec<_>>>()?;
    let seed = sim.seed.unwrap_or(loaded[0].seed().0);
    let reps = sim.replications.unwrap_or(loaded[0].replications());
    let scenarios = loaded
        .into_iter()
        .map(|s| {
            s.with_seed(seed)
                .with_replications(reps)
                .map_err(|_| BadInput("--replications must be at least 1".into()).into())
        })
        .collect::<Result<Vec<_>>>()?;
    for (s, p) in scenarios.iter().zip(&paths) {
        warn(p, s);
        if let Some(n) = super::shard::share(shard, reps) {
            check_size(s.expected_buyers_per_replication(), n, scenarios.len())?;
        }
    }
    Ok((scenarios, seed, reps))
}

/// Spreadsheet-style label of the `i`-th scenario: A … Z, AA, AB, …, so
/// labels stay distinct however many scenarios are compared.
pub fn scenario_label(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        n -= 1;
        s.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::scenario_label;

    #[test]
    fn labels_continue_past_z() {
        let l: Vec<String> = [0, 25, 26, 27, 51, 52, 701, 702].map(scenario_label).to_vec();
        assert_eq!(l, ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }
}
