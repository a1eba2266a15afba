//! `funnelsim calibrate`: a scenario fitted to CRM stage history, and a fit
//! report that checks it against the history.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use funnelsim::calibration::{estimate as calibrate, history};
use funnelsim::input::crm;
use funnelsim::model::scenario::Scenario;
use funnelsim::output::calibration::{self as cal_out, Provenance};
use funnelsim::output::fs::{self, Guard};
use funnelsim::output::{self};

use super::interrupt;
use super::job::{Job, check_size};
use super::load::BadInput;

/// `funnelsim calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Stage history: one row per stage entry (CSV, or Parquet if the name
    /// ends in .parquet); format in docs/calibration.md
    pub history: PathBuf,
    /// The funnel's stage names in journey order, comma-separated, as they
    /// appear in the stage column
    #[arg(long, value_delimiter = ',', required = true, value_name = "S1,S2,…")]
    pub stages: Vec<String>,
    /// Where to write the fitted scenario (written atomically; an existing
    /// file is replaced only if `calibrate` wrote it, or with --force)
    #[arg(short, long, value_name = "FILE", default_value = "calibrated.toml")]
    pub out: PathBuf,
    /// Replace --out even if funnelsim did not write it
    #[arg(long)]
    pub force: bool,
    /// Read the history as of this time (later rows ignored, later closings
    /// open) [default: the latest timestamp in the file]
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Simulated histories for the fit check
    #[arg(short = 'n', long, value_name = "N", default_value_t = 200)]
    pub replications: u32,
    /// Seed of the fit check
    #[arg(short, long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Worker threads [default: all cores]
    #[arg(short = 'j', long, value_name = "T")]
    pub threads: Option<usize>,
    /// Opportunity id column
    #[arg(long, default_value = "opportunity_id", value_name = "NAME")]
    pub id_col: String,
    /// Stage name column
    #[arg(long, default_value = "stage", value_name = "NAME")]
    pub stage_col: String,
    /// Stage entry time column
    #[arg(long, default_value = "entered_at", value_name = "NAME")]
    pub entered_col: String,
    /// Lead source column (optional in the file)
    #[arg(long, default_value = "source", value_name = "NAME")]
    pub source_col: String,
    /// Segment column (optional in the file)
    #[arg(long, default_value = "segment", value_name = "NAME")]
    pub segment_col: String,
    /// Amount column (optional in the file)
    #[arg(long, default_value = "amount", value_name = "NAME")]
    pub amount_col: String,
    /// Outcome column (optional in the file)
    #[arg(long, default_value = "outcome", value_name = "NAME")]
    pub outcome_col: String,
    /// Closed-at column (optional in the file)
    #[arg(long, default_value = "closed_at", value_name = "NAME")]
    pub closed_col: String,
}

/// A fitted scenario is recognised as funnelsim's by its first line.
const CALIBRATED: fs::Ownership = fs::Ownership::StartsWith(output::calibration::HEADER);

/// `funnelsim calibrate`.
pub fn calibrate(args: CalibrateArgs) -> Result<()> {
    let stages: Vec<String> = args
        .stages
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if stages.is_empty() {
        return Err(BadInput("--stages needs at least one stage name".into()).into());
    }
    if let Some(dup) = stages
        .iter()
        .enumerate()
        .find_map(|(i, s)| stages[..i].contains(s).then_some(s))
    {
        return Err(BadInput(format!("--stages names '{dup}' twice")).into());
    }
    if args.replications == 0 {
        return Err(BadInput("--replications must be at least 1".into()).into());
    }
    let as_of = args
        .as_of
        .as_deref()
        .map(|t| {
            crm::parse_time(t).ok_or_else(|| {
                BadInput(format!(
                    "--as-of '{t}' is not a timestamp (YYYY-MM-DD[ HH:MM[:SS]], RFC 3339 or days)"
                ))
            })
        })
        .transpose()?;
    let cols = crm::Columns {
        id: args.id_col,
        stage: args.stage_col,
        entered_at: args.entered_col,
        source: args.source_col,
        segment: args.segment_col,
        amount: args.amount_col,
        outcome: args.outcome_col,
        closed_at: args.closed_col,
    };
    if !args.history.exists() {
        return Err(BadInput(format!("history file {} does not exist", args.history.display())).into());
    }
    let inputs = [args.history.as_path()];
    let owner = Guard {
        inputs: &inputs,
        force: args.force,
    };
    fs::check_file_target(&args.out, owner, CALIBRATED)?;
    let rows = crm::read(&args.history, &cols).map_err(|e| BadInput(format!("{e:#}")))?;
    let (opportunities, cleaning, as_of) = history::clean(&rows, &stages, as_of);
    let unit = if crm::is_parquet(&args.history) {
        "row"
    } else {
        "line"
    };
    let cleaning_lines = cal_out::cleaning_lines(&cleaning, &stages, unit);
    let origin = args.history.display().to_string();
    let estimate = calibrate::estimate(&opportunities, &stages, as_of).map_err(|e| {
        let notes = if cleaning_lines.is_empty() {
            String::new()
        } else {
            // Each follow-on line is an `error:` line of its own, like every
            // other multi-line refusal.
            let each = format!("\nerror: {origin}: while cleaning: ");
            format!("{each}{}", cleaning_lines.join(&each))
        };
        let advice = match e {
            calibrate::CalibrationError::NoStays(_) => "; drop them from --stages or use a longer history",
            _ => "",
        };
        BadInput(format!("{origin}: {e}{advice}{notes}"))
    })?;
    let from = Provenance {
        history: &origin,
        as_of,
    };
    let toml = cal_out::scenario_toml(&estimate, &from);
    // The file must be one every other command accepts: load it as they would.
    let fitted = Scenario::from_toml_str(&toml).map_err(|e| {
        anyhow::anyhow!(
            "internal error: the calibrated scenario does not validate: {}",
            e.render("calibrated scenario", &toml, super::load::flag)
        )
    })?;
    let check = calibrate::check_scenario(&estimate, &fitted, args.replications, args.seed).map_err(|e| {
        anyhow::anyhow!(
            "internal error: fit-check scenario: {}",
            e.render("fit check", &toml, super::load::flag)
        )
    })?;
    check_size(check.expected_buyers_per_replication(), args.replications, 1)?;
    let job = Job::start(
        None,
        owner,
        args.threads,
        u64::from(args.replications),
        "fit check",
    )?;
    let checks = job.simulate(|bar| calibrate::check(&estimate, &check, bar))?;
    interrupt::stop_if_requested()?;
    fs::write_atomic(&args.out, owner, CALIBRATED, |tmp| {
        std::fs::write(tmp, toml.as_bytes()).with_context(|| format!("cannot write {}", tmp.display()))
    })?;
    print!(
        "{}",
        cal_out::report(
            &estimate,
            &cleaning_lines,
            (cleaning.rows_read, cleaning.rows_kept),
            &checks,
            args.replications,
            &from
        )
    );
    eprintln!(
        "\nwrote the fitted scenario to {0}; try: funnelsim run {0}",
        args.out.display()
    );
    Ok(())
}
