//! CRM history files (CSV or Parquet) in the layouts CRMs export, read into
//! the one form calibration cleans: [`RawRow`]s, one per stage entry.
//! `output::history` writes a simulated replication in each layout.
//!
//! # Layouts
//! | layout | a row is | columns (defaults; matched ignoring case, spaces and punctuation) |
//! |---|---|---|
//! | `long` | a stage entry | `opportunity_id`, `stage`, `entered_at`; optional `source`, `segment`, `amount`, `outcome`, `closed_at` |
//! | `salesforce-history` | a stage change (Salesforce `OpportunityHistory`) | `OpportunityId`, `StageName`, `CreatedDate`; optional `LeadSource`, `Segment`, `Amount`; a closing `StageName` (`Closed Won`) closes the deal at its `CreatedDate` |
//! | `wide` | an opportunity | `Record ID`; one `Date entered "<stage> (<pipeline>)"` column per stage (closings too); optional `Deal Stage`, `Close Date`, `Amount`, `Original Source`, `Segment`, `outcome` |
//! | `snapshot` | an opportunity | `opportunity_id`, `deal_stage` (the current stage, or how it ended); a date column per stage named after it (`<stage>_date`, `engage_date` for Engaging) or given by `--stage-date`; optional `close_date`, `close_value`, `source`, `segment`, `outcome` |
//!
//! Without `--layout`, the header decides ([`layout::detect`]). What a
//! stage or outcome value means is the [`Vocabulary`]'s business; timestamps
//! are read by the rules of [`time`].

pub mod convert;
pub mod layout;
pub mod table;
pub mod time;

use std::path::Path;

use anyhow::{Result, bail};

use crate::calibration::history::RawRow;
use crate::calibration::vocabulary::{Meaning, Vocabulary};
use crate::model::outcome::Outcome;

pub use layout::{Columns, Layout, Role};
pub use time::{DateRule, EPOCH, format_time, format_time_as, parse_time, simulation_day};

use layout::Resolved;
use table::Table;

/// How to read a history file.
#[derive(Clone, Debug)]
pub struct ReadOptions<'a> {
    /// The layout, or `None` to tell it from the header.
    pub layout: Option<Layout>,
    /// Columns named on the command line.
    pub columns: Columns,
    /// What stage and outcome values mean.
    pub vocabulary: &'a Vocabulary,
    /// `--stage-date STAGE=COLUMN` entries.
    pub stage_dates: Vec<String>,
    /// How timestamps are read (`--date-format`).
    pub dates: DateRule,
}

/// A history file, read.
#[derive(Clone, Debug)]
pub struct History {
    /// Its rows, one per stage entry or closing.
    pub rows: Vec<RawRow>,
    /// The layout it was read in.
    pub layout: Layout,
    /// Why that layout, when it was told from the header (`None`: named by
    /// `--layout`).
    pub detected: Option<String>,
    /// Data rows in the file.
    pub records: usize,
    /// Which column was read for what: `(what, header)`, date columns
    /// included (`date entered <stage>`, `date closed <outcome>`).
    pub columns: Vec<(String, String)>,
    /// How its timestamps were read, if that needed saying.
    pub dates: Option<String>,
    /// The rule its timestamps were read by (slashed dates settled), for
    /// reading other timestamps the same way.
    pub date_rule: DateRule,
    /// Rows whose stage column said the deal is open: they enter no stage.
    pub open_rows: usize,
}

/// Whether a path names a Parquet file (by extension; anything else is CSV).
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// What each role's column is called in a report.
fn role_label(role: Role) -> &'static str {
    match role {
        Role::Id => "id",
        Role::Stage => "stage",
        Role::Entered => "entered",
        Role::Source => "source",
        Role::Segment => "segment",
        Role::Amount => "amount",
        Role::Outcome => "outcome",
        Role::Closed => "closed",
    }
}

/// Reads a history file into raw rows. Fails, naming the file, the column
/// and the rows, on columns named on the command line that the file lacks,
/// on a layout that cannot be told or does not fit, and on timestamps,
/// amounts, outcomes or stage values that cannot be read.
pub fn read(path: &Path, opts: &ReadOptions<'_>) -> Result<History> {
    let origin = path.display().to_string();
    let table = Table::read(path)?;
    let all = table.names.join(", ");

    // A column named on the command line must be there: a typo is never
    // silently ignored.
    let mut absent = Vec::new();
    for role in Role::ALL {
        if let Some(name) = opts.columns.named(role)
            && table.find(name).is_none()
        {
            let closest = table
                .closest(name, 0.0)
                .map(|c| format!("; the closest header is '{c}'"))
                .unwrap_or_default();
            absent.push(format!("no column '{name}' (named by {}){closest}", role.flag()));
        }
    }
    let mut stage_dates = Vec::new();
    for entry in &opts.stage_dates {
        let Some((stage, column)) = entry.split_once('=').map(|(s, c)| (s.trim(), c.trim())) else {
            bail!("--stage-date '{entry}' is not STAGE=COLUMN");
        };
        match opts.vocabulary.stage_value(stage) {
            Meaning::Stage(_) => {}
            Meaning::Outcome(o) if o != Outcome::Open => {}
            _ => bail!(
                "--stage-date '{entry}': '{stage}' is not one of --stages ({})",
                opts.vocabulary.stages().join(", ")
            ),
        }
        match table.find(column) {
            Some(i) => stage_dates.push((stage.to_owned(), i)),
            None => {
                let closest = table
                    .closest(column, 0.0)
                    .map(|c| format!("; the closest header is '{c}'"))
                    .unwrap_or_default();
                absent.push(format!("no column '{column}' (named by --stage-date){closest}"));
            }
        }
    }
    if !absent.is_empty() {
        bail!("{origin}: {} (columns: {all})", absent.join("; "));
    }

    let (resolved, detected) = match opts.layout {
        Some(layout) => {
            if let Some(why) = layout::ruled_out(layout, &opts.columns, &stage_dates) {
                bail!("{origin}: {why}");
            }
            let r = layout::resolve(&table, layout, &opts.columns, opts.vocabulary, &stage_dates).map_err(
                |missing| {
                    let hint = match layout::detect(&table, &opts.columns, opts.vocabulary, &stage_dates) {
                        Ok((other, _)) if other.layout != layout => format!(
                            "; it reads as --layout {}, or leave --layout out",
                            other.layout.name()
                        ),
                        _ => String::new(),
                    };
                    anyhow::anyhow!(
                        "{origin}: cannot read it as --layout {} ({}): {} (columns: {all}){hint}",
                        layout.name(),
                        layout.shape(),
                        missing.join("; ")
                    )
                },
            )?;
            (r, None)
        }
        None => {
            let (r, why) = layout::detect(&table, &opts.columns, opts.vocabulary, &stage_dates).map_err(
                |why_not| {
                    if let [(layout, missing)] = &why_not[..] {
                        return anyhow::anyhow!(
                            "{origin}: its header makes it --layout {} ({}), but: {} (columns: {all})",
                            layout.name(),
                            layout.shape(),
                            missing.join("; ")
                        );
                    }
                    let each = format!("\nerror: {origin}:   ");
                    let lines: Vec<String> = why_not
                        .iter()
                        .map(|(l, missing)| format!("{} ({}): {}", l.name(), l.shape(), missing.join("; ")))
                        .collect();
                    anyhow::anyhow!(
                        "{origin}: cannot tell its layout from the columns ({all}); name it with --layout long|salesforce-history|wide|snapshot:{each}{}",
                        lines.join(&each)
                    )
                },
            )?;
            (r, Some(why))
        }
    };

    let mut dates = opts.dates.clone();
    let (rows, seen) = convert::rows(&table, &resolved, opts.vocabulary, &mut dates, &origin)?;
    Ok(History {
        rows,
        layout: resolved.layout,
        detected,
        records: table.height(),
        columns: columns_read(&table, &resolved, opts.vocabulary),
        dates: dates.describe(),
        date_rule: dates,
        open_rows: seen.open_rows,
    })
}

/// Which column was read for what, in the file's own words.
fn columns_read(table: &Table, r: &Resolved, vocabulary: &Vocabulary) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Role::ALL
        .iter()
        .filter_map(|&role| Some((role_label(role).to_owned(), table.names[r.get(role)?].clone())))
        .collect();
    for d in &r.dates {
        let what = match d.meaning {
            Meaning::Stage(s) => format!("entered {}", vocabulary.stages()[s]),
            Meaning::Outcome(o) => format!("closed {}", o.name()),
            Meaning::Unknown => continue,
        };
        out.push((what, table.names[d.column].clone()));
    }
    out
}
