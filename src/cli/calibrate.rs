//! `funnelsim calibrate`: a scenario fitted to CRM history in any layout a
//! CRM exports (told from the header unless `--layout` names it), and a fit
//! report, as text or `--json`, that checks it against the history.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use funnelsim::calibration::costs::Costs;
use funnelsim::calibration::vocabulary::Vocabulary;
use funnelsim::calibration::{estimate as calibrate, history, live};
use funnelsim::input::crm::{self, DateRule, Layout};
use funnelsim::model::scenario::Scenario;
use funnelsim::model::scenario::overrides::Override;
use funnelsim::output::calibration::{self as cal_out, Provenance};
use funnelsim::output::charts::{self, Chart, ImageFormat};
use funnelsim::output::fs::{self, Guard};
use funnelsim::output::{self};
use funnelsim::sim::shard::Shard;

use super::interrupt;
use super::job::{Job, check_size, emit};
use super::load::BadInput;
use super::shard::Source;
use super::term::note;

/// `funnelsim calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// CRM history (CSV, or Parquet if the name ends in .parquet) in any
    /// --layout; formats in docs/calibration.md
    pub history: PathBuf,
    /// The funnel's stage names in journey order, comma-separated, as they
    /// appear in the file (or as --map-stage maps its values)
    #[arg(long, value_delimiter = ',', required = true, value_name = "S1,S2,…")]
    pub stages: Vec<String>,
    /// The file's layout: one row per stage entry (long), Salesforce
    /// OpportunityHistory (salesforce-history), one row per deal with a
    /// "date entered" column per stage (wide), or one row per deal with its
    /// current stage and dates (snapshot) [default: told from the header]
    #[arg(long, value_enum, value_name = "LAYOUT")]
    pub layout: Option<Layout>,
    /// Values of the stage column that are calibrated stages under another
    /// name, e.g. "Needs Analysis=qualification" (comma-separated or
    /// repeated)
    #[arg(long, value_delimiter = ',', value_name = "RAW=STAGE,…")]
    pub map_stage: Vec<String>,
    /// What values of the stage or outcome column mean as outcomes, e.g.
    /// Engaging=open,Won=won,Lost=lost (won, lost, no_decision, went_dark,
    /// disqualified or open)
    #[arg(long, value_delimiter = ',', value_name = "RAW=OUTCOME,…")]
    pub map_outcome: Vec<String>,
    /// The column that holds the date a stage was entered, for one-row-per-deal
    /// layouts whose headers do not say it, e.g. Engaging=engage_date
    #[arg(long, value_delimiter = ',', value_name = "STAGE=COLUMN,…")]
    pub stage_date: Vec<String>,
    /// How the file writes timestamps (chrono strftime, e.g. %d/%m/%Y); also
    /// says whether slashed dates are day or month first
    #[arg(long, value_name = "FMT")]
    pub date_format: Option<String>,
    /// The company's costs (a TOML file with the scenario's cost keys; see
    /// docs/calibration.md) [default: unknown, so spend, profit, ROI and
    /// cost per win are placeholders no command ranks]
    #[arg(long, value_name = "FILE")]
    pub costs: Option<PathBuf>,
    /// Keep the model's policy mechanisms live: the company's current
    /// policy (--set) stays in force, and the buyer's own stalls, pace and
    /// preference for us are fitted so that it reproduces the history
    #[arg(long)]
    pub live: bool,
    /// The company's current policy, with --live: a [marketing], [handoff]
    /// or [outreach] key, e.g. handoff.policy=stage_gate (repeatable)
    #[arg(long = "set", value_name = "KEY.PATH=VALUE", requires = "live")]
    pub set: Vec<String>,
    /// Print the fit report as one JSON object on stdout instead of text
    #[arg(long)]
    pub json: bool,
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
    /// Drop opportunities first seen before this date: cohorts an export cut
    /// at the left (read like --as-of)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Close as no decision every opportunity still open with no stage entry
    /// in the last DAYS days (a stale deal nobody closed)
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    pub stale_after: Option<f64>,
    /// Also draw each stage's fitted dwell curve against its Kaplan–Meier
    /// curve into FILE (.svg or .png; replaced like --out)
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Simulated histories for the fit check
    #[arg(short = 'n', long, value_name = "N", default_value_t = 200)]
    pub replications: u32,
    /// Seed of the fit check
    #[arg(short, long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Worker threads [default: all cores]
    #[arg(short = 'j', long, value_name = "T")]
    pub threads: Option<usize>,
    /// Run only shard K of N (numbered from 1) of the fit check's
    /// replications and write a partial result into the directory --out;
    /// `funnelsim merge PART… --out FILE` then writes the fitted scenario
    /// and prints the report (see docs/cluster.md)
    #[arg(long, value_name = "K/N", requires = "out")]
    pub shard: Option<Shard>,
    /// Opportunity id column [default: the layout's, e.g. opportunity_id,
    /// OpportunityId, Record ID]
    #[arg(long, value_name = "NAME")]
    pub id_col: Option<String>,
    /// Stage column (long, salesforce-history), or the current stage or
    /// outcome (wide, snapshot) [default: the layout's, e.g. stage,
    /// StageName, Deal Stage, deal_stage]
    #[arg(long, value_name = "NAME")]
    pub stage_col: Option<String>,
    /// Stage entry time column (long, salesforce-history) [default:
    /// entered_at, CreatedDate]
    #[arg(long, value_name = "NAME")]
    pub entered_col: Option<String>,
    /// Lead source column (optional in the file) [default: the layout's,
    /// e.g. source, LeadSource]
    #[arg(long, value_name = "NAME")]
    pub source_col: Option<String>,
    /// Segment column (optional in the file) [default: segment]
    #[arg(long, value_name = "NAME")]
    pub segment_col: Option<String>,
    /// Amount column (optional in the file) [default: the layout's, e.g.
    /// amount, Amount, close_value]
    #[arg(long, value_name = "NAME")]
    pub amount_col: Option<String>,
    /// Outcome column (optional in the file) [default: outcome]
    #[arg(long, value_name = "NAME")]
    pub outcome_col: Option<String>,
    /// Closed-at column (optional in the file) [default: the layout's, e.g.
    /// closed_at, Close Date, close_date]
    #[arg(long, value_name = "NAME")]
    pub closed_col: Option<String>,
}

/// A fitted scenario is recognised as funnelsim's by its first line.
const CALIBRATED: fs::Ownership = fs::Ownership::StartsWith(output::calibration::HEADER);

/// Replications per evaluation of the live fit: enough that the simulated
/// moments it matches are a few percent from their means, few enough that
/// the fit's ~150 evaluations take seconds.
const LIVE_FIT_REPLICATIONS: u32 = 40;

/// `--live`: the scenario file with the current policy in force and the
/// intercepts fitted (see `funnelsim::calibration::live`).
fn live_fit(
    estimate: &calibrate::Calibration,
    from: &Provenance<'_>,
    set: &[String],
    seed: u64,
    threads: Option<usize>,
) -> Result<(String, live::LiveFit)> {
    let overrides = set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| super::load::refusal(&e, "", "")))
        .collect::<Result<Vec<_>, _>>()?;
    // Only the policy is the user's to state; the rest is the history's.
    if let Some(o) = overrides.iter().find(|o| o.path.as_str().contains("cost_per_")) {
        return Err(BadInput(format!(
            "--set {}: costs are not policy; give them with --costs FILE",
            o.path
        ))
        .into());
    }
    if let Some(o) = overrides
        .iter()
        .find(|o| !super::load::is_policy(o.path.as_str()))
    {
        return Err(BadInput(format!(
            "--set {}: with --live, --set states the company's current policy, a key of [marketing], [handoff] or [outreach]; the rest is fitted from the history",
            o.path
        ))
        .into());
    }
    let start = cal_out::Live {
        intercepts: live::Intercepts::neutral(estimate),
        policy: None,
        set,
    };
    let text = cal_out::scenario_toml(estimate, from, Some(&start));
    let current = Scenario::from_toml_str_with(&text, &overrides)
        .map_err(|e| BadInput(e.render("the calibrated scenario", &text, super::load::flag)))?;
    let spec = current.spec();
    let policy = cal_out::policy_toml(&spec.marketing, &spec.handoff, &spec.outreach);
    let window = calibrate::check_scenario(estimate, &current, LIVE_FIT_REPLICATIONS, live::fit_seed(seed))
        .map_err(|e| anyhow::anyhow!("internal error: live-fit scenario: {e}"))?;
    let job = Job::start(
        None,
        Guard {
            inputs: &[],
            force: false,
        },
        threads,
        (live::MAX_RUNS as u64) * u64::from(LIVE_FIT_REPLICATIONS),
        "live fit",
    )?;
    let fit = job
        .simulate(|bar| live::fit(window.spec(), estimate, bar))?
        .map_err(|e| anyhow::anyhow!("internal error: live fit: {e}"))?;
    interrupt::stop_if_requested()?;
    let done = cal_out::Live {
        intercepts: fit.intercepts,
        policy: Some(&policy),
        set,
    };
    Ok((cal_out::scenario_toml(estimate, from, Some(&done)), fit))
}

/// A time given on the command line, read as the file's own dates are (a
/// slashed date follows the file).
fn time_flag(flag: &str, value: Option<&str>, rule: &DateRule) -> Result<Option<f64>, BadInput> {
    value
        .map(|t| {
            rule.parse(t).ok_or_else(|| {
                BadInput(format!(
                    "{flag} '{t}' is not a timestamp (YYYY-MM-DD[ HH:MM[:SS]], RFC 3339, MM/DD/YYYY, DD/MM/YYYY or days; a slashed date that could be either needs --date-format)"
                ))
            })
        })
        .transpose()
}

/// The first line of an SVG `--chart`, by which a later run recognises it.
const CHART_MARK: &str = "<!-- funnelsim calibrate: dwell fits vs Kaplan–Meier -->\n";

/// The format of `--chart FILE`, told from its name, and how a file there
/// is recognised as one funnelsim wrote (a PNG carries no mark, so an
/// existing one is replaced only with --force).
fn chart_format(path: &Path) -> Result<(ImageFormat, fs::Ownership), BadInput> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("svg") => Ok((ImageFormat::Svg, fs::Ownership::StartsWith(CHART_MARK))),
        Some("png") => Ok((ImageFormat::Png, fs::Ownership::Unmarked)),
        _ => Err(BadInput(format!(
            "--chart {} must name an .svg or .png file",
            path.display()
        ))),
    }
}

/// Writes `chart` to `path` atomically, as an SVG with the font embedded or
/// as a PNG.
fn write_chart(
    chart: &Chart,
    path: &Path,
    format: ImageFormat,
    owner: Guard<'_>,
    ownership: fs::Ownership,
) -> Result<()> {
    fs::write_atomic(path, owner, ownership, |tmp| match format {
        ImageFormat::Svg => {
            let text = format!("{CHART_MARK}{}", chart.standalone_svg());
            std::fs::write(tmp, text).with_context(|| format!("cannot write {}", tmp.display()))
        }
        ImageFormat::Png => {
            // The bitmap encoder picks the format by the file name, which the
            // temporary file lacks: draw beside it, then move it over.
            let dir = tempfile::tempdir_in(tmp.parent().unwrap_or(Path::new(".")))
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            chart.write(dir.path(), ImageFormat::Png)?;
            let drawn = dir.path().join(format!("{}.png", chart.name));
            std::fs::rename(&drawn, tmp).with_context(|| format!("cannot write {}", tmp.display()))
        }
    })
}

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
    let vocabulary =
        Vocabulary::new(&stages, &args.map_stage, &args.map_outcome).map_err(|e| BadInput(e.to_string()))?;
    let dates = match &args.date_format {
        Some(f) => DateRule::with_format(f).map_err(BadInput)?,
        None => DateRule::default(),
    };
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
    // The costs file is an input too: never replaced by --out.
    let inputs: Vec<&std::path::Path> = std::iter::once(args.history.as_path())
        .chain(args.costs.as_deref())
        .collect();
    let owner = Guard {
        inputs: &inputs,
        force: args.force,
    };
    // A shard writes a part directory at --out instead (checked when staged).
    if args.shard.is_none() {
        fs::check_file_target(&args.out, owner, CALIBRATED)?;
    }
    let chart = match &args.chart {
        Some(path) => {
            let (format, ownership) = chart_format(path)?;
            if same_file::is_same_file(path, &args.out).unwrap_or(false) || path == &args.out {
                return Err(BadInput(format!(
                    "--chart {} is also --out; choose another name",
                    path.display()
                ))
                .into());
            }
            fs::check_file_target(path, owner, ownership)?;
            Some((path, format, ownership))
        }
        None => None,
    };
    if let Some(days) = args.stale_after
        && !(days.is_finite() && days > 0.0)
    {
        return Err(BadInput(format!("--stale-after {days} must be a positive number of days")).into());
    }
    let read = crm::read(
        &args.history,
        &crm::ReadOptions {
            layout: args.layout,
            columns: cols,
            vocabulary: &vocabulary,
            stage_dates: args.stage_date,
            dates,
        },
    )
    .map_err(|e| BadInput(format!("{e:#}")))?;
    // Read as the file's own dates are (a slashed --as-of follows the file).
    let as_of = time_flag("--as-of", args.as_of.as_deref(), &read.date_rule)?;
    let since = time_flag("--since", args.since.as_deref(), &read.date_rule)?;
    let window = history::Window {
        since,
        stale_after: args.stale_after,
    };
    let (opportunities, cleaning, as_of) = history::clean_within(&read.rows, &stages, as_of, window);
    let unit = if crm::is_parquet(&args.history) {
        "row"
    } else {
        "line"
    };
    let mut cleaning_lines = cal_out::reading_lines(&read);
    cleaning_lines.extend(cal_out::cleaning_lines(&cleaning, &stages, unit));
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
    let costs = args
        .costs
        .as_deref()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| BadInput(format!("cannot read the costs file {}: {e}", path.display())))?;
            let sources: Vec<String> = estimate.channels.iter().map(|c| c.name.clone()).collect();
            Costs::parse(&text, &sources)
                .map_err(|e| BadInput(e.render(&path.display().to_string(), &text, super::load::flag)))
        })
        .transpose()?;
    let costs_name = args.costs.as_deref().map(|p| p.display().to_string());
    let from = Provenance {
        history: &origin,
        as_of,
        costs: costs_name.as_deref().zip(costs.as_ref()),
        window,
    };
    let (toml, live) = if args.live {
        let (toml, fit) = live_fit(&estimate, &from, &args.set, args.seed, args.threads)?;
        (toml, Some(fit))
    } else {
        (cal_out::scenario_toml(&estimate, &from, None), None)
    };
    // Drawn before anything is written, so a chart that cannot be drawn
    // leaves no scenario behind either.
    let drawn = chart
        .map(|(path, format, ownership)| {
            charts::dwell_survival(&estimate).map(|c| (c, path, format, ownership))
        })
        .transpose()?;
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
    let replay = calibrate::replay_scenario(&estimate, &check)
        .map_err(|e| anyhow::anyhow!("internal error: fit-check scenario on the observed arrivals: {e}"))?;
    if let Some(n) = super::shard::share(args.shard, args.replications) {
        check_size(check.expected_buyers_per_replication(), n, 2)?;
    }
    let job = Job::start(
        args.shard.map(|_| args.out.as_path()),
        owner,
        args.threads,
        2 * u64::from(args.replications),
        "fit check",
    )?;
    let source = Source::new(args.shard, &job, &inputs, args.force)?;
    let checks = job.simulate(|bar| calibrate::check(&estimate, &check, &replay, source.runner(), bar))?;
    let part = || {
        serde_json::json!({
            "funnelsim_version": env!("CARGO_PKG_VERSION"),
            "history": args.history.display().to_string(),
            "scenarios": [fitted.spec()],
            "seed": args.seed,
            "replications": args.replications,
        })
    };
    if source.finish(job, part)?.is_none() {
        return Ok(());
    }
    interrupt::stop_if_requested()?;
    fs::write_atomic(&args.out, owner, CALIBRATED, |tmp| {
        std::fs::write(tmp, toml.as_bytes()).with_context(|| format!("cannot write {}", tmp.display()))
    })?;
    if let Some((c, path, format, ownership)) = &drawn {
        write_chart(c, path, *format, owner, *ownership)?;
    }
    let data = cal_out::Data {
        history: &read,
        cleaning: &cleaning,
        notes: &cleaning_lines,
        live: live.as_ref().map(|f| (f, args.set.as_slice())),
        stale: history::staleness(&opportunities, as_of),
        left_cut: history::left_cut(&opportunities, as_of),
    };
    emit(
        args.json,
        &cal_out::json(&estimate, &data, &checks, args.replications, &from),
        || {
            cal_out::report(
                &estimate,
                &data,
                &checks,
                args.replications,
                &from,
                &super::term::style(),
            )
        },
    )?;
    if let Some((_, path, _, _)) = &drawn {
        note!(
            "\nwrote the dwell fits vs Kaplan–Meier chart to {}",
            path.display()
        );
    }
    note!(
        "\nwrote the fitted scenario to {0}; try: funnelsim run {0}",
        args.out.display()
    );
    Ok(())
}
