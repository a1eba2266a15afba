//! Stage-history files (CSV or Parquet) as CRMs export them: the format,
//! its timestamps, and reading a file into [`RawRow`]s for calibration.
//! `output::history` writes a simulated replication in the same format.
//!
//! # Format
//! One row per stage entry. Columns (names configurable):
//!
//! | column | required | content |
//! |---|---|---|
//! | `opportunity_id` | yes | any text |
//! | `stage` | yes | a stage name given to `--stages` |
//! | `entered_at` | yes | timestamp the stage was entered |
//! | `source` | no | lead source / channel |
//! | `segment` | no | segment / persona |
//! | `amount` | no | opportunity amount (number) |
//! | `outcome` | no | `won`, `lost`, `no_decision`, `went_dark`, `disqualified`, empty = open |
//! | `closed_at` | no | timestamp the opportunity closed |
//!
//! Timestamps: `2025-03-01`, `2025-03-01 14:30[:00]`, `2025-03-01T14:30:00`,
//! RFC 3339 with an offset (`2025-03-01T14:30:00+02:00`), or a plain number
//! of days.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use polars::prelude::{CsvReadOptions, DataType, ParquetReader, SerReader};

use crate::calibration::history::{OUTCOME_WORDS, RawRow, parse_outcome};

/// Column names of a history file.
#[derive(Clone, Debug)]
pub struct Columns {
    /// Opportunity id (required).
    pub id: String,
    /// Stage name (required).
    pub stage: String,
    /// Stage entry time (required).
    pub entered_at: String,
    /// Lead source (optional).
    pub source: String,
    /// Segment (optional).
    pub segment: String,
    /// Amount (optional).
    pub amount: String,
    /// Outcome (optional).
    pub outcome: String,
    /// Close time (optional).
    pub closed_at: String,
}

impl Default for Columns {
    fn default() -> Self {
        Self {
            id: "opportunity_id".into(),
            stage: "stage".into(),
            entered_at: "entered_at".into(),
            source: "source".into(),
            segment: "segment".into(),
            amount: "amount".into(),
            outcome: "outcome".into(),
            closed_at: "closed_at".into(),
        }
    }
}

/// Day 0 of a simulation, as written by `--export-history`.
pub const EPOCH: &str = "2025-01-01";
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn epoch() -> NaiveDateTime {
    NaiveDate::parse_from_str(EPOCH, "%Y-%m-%d")
        .expect("valid constant")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
}

/// Parses a timestamp into days since 1970-01-01 (UTC for offsets; naive
/// times are taken as they are). `None` if no accepted format matches.
pub fn parse_time(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(days) = t.parse::<f64>() {
        return days.is_finite().then_some(days);
    }
    let naive = DateTime::parse_from_rfc3339(t)
        .map(|d| d.naive_utc())
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(naive.and_utc().timestamp_millis() as f64 / 86_400_000.0)
}

/// Formats days since 1970-01-01 as a timestamp (to the second).
pub fn format_time(days: f64) -> String {
    let millis = (days * 86_400_000.0).round() as i64;
    DateTime::from_timestamp_millis(millis)
        .map_or_else(|| format!("{days}"), |d| d.format(TIME_FORMAT).to_string())
}

/// Days since 1970-01-01 of simulation day `day` (day 0 is [`EPOCH`]).
pub fn simulation_day(day: f64) -> f64 {
    epoch().and_utc().timestamp() as f64 / 86_400.0 + day
}

/// Whether a path names a Parquet file (by extension; anything else is CSV).
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Reads a history file into raw rows. Fails (naming the rows) on
/// timestamps, amounts or outcomes that cannot be read, and on missing
/// required columns (naming the columns there are).
pub fn read(path: &Path, cols: &Columns) -> Result<Vec<RawRow>> {
    let df = if is_parquet(path) {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        ParquetReader::new(file).finish()
    } else {
        // Every column as text: the parsing rules below are ours, not a guess.
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
    }
    .with_context(|| format!("cannot read history file {}", path.display()))?;
    // Row numbers as people count them: CSV line numbers (header = line 1),
    // Parquet rows from 1.
    let parquet = is_parquet(path);
    let (first_row, unit) = if parquet { (1, "row") } else { (2, "line") };

    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let text = |name: &str, required: bool| -> Result<Option<Vec<Option<String>>>> {
        if !names.iter().any(|n| n == name) {
            if required {
                bail!(
                    "{}: no column '{name}' (columns: {}); name it with the matching --…-col option",
                    path.display(),
                    names.join(", ")
                );
            }
            return Ok(None);
        }
        let col = df.column(name)?.cast(&DataType::String)?;
        let values = col
            .str()?
            .iter()
            .map(|v| {
                v.map(str::trim)
                    .filter(|v| !v.is_empty())
                    // Undo the formula escape funnelsim's own CSV exports carry.
                    .map(|v| {
                        if parquet {
                            v
                        } else {
                            crate::output::tables::csv_unescape(v)
                        }
                    })
                    .map(str::to_owned)
            })
            .collect();
        Ok(Some(values))
    };
    let id = text(&cols.id, true)?.expect("required");
    let stage = text(&cols.stage, true)?.expect("required");
    let entered = text(&cols.entered_at, true)?.expect("required");
    let source = text(&cols.source, false)?;
    let segment = text(&cols.segment, false)?;
    let amount = text(&cols.amount, false)?;
    let outcome = text(&cols.outcome, false)?;
    let closed = text(&cols.closed_at, false)?;

    let mut bad: Vec<String> = Vec::new();
    let mut complain = |what: &str, row: usize, value: &str| {
        if bad.len() < 10 {
            bad.push(format!("{unit} {row}: {what} '{value}'"));
        } else if bad.len() == 10 {
            bad.push("…".into());
        }
    };
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let row = i + first_row;
        let cell = |c: &Option<Vec<Option<String>>>| c.as_ref().and_then(|v| v[i].clone());
        let time = |c: &Option<String>, what: &str, complain: &mut dyn FnMut(&str, usize, &str)| {
            c.as_deref().and_then(|v| {
                let t = parse_time(v);
                if t.is_none() {
                    complain(what, row, v);
                }
                t
            })
        };
        let entered_at = time(&entered[i], "unreadable timestamp", &mut complain);
        let closed_at = time(&cell(&closed), "unreadable closed-at timestamp", &mut complain);
        let amount = cell(&amount).and_then(|v| {
            let a = v.replace(',', "").parse::<f64>().ok().filter(|a| a.is_finite());
            if a.is_none() {
                complain("unreadable amount", row, &v);
            }
            a
        });
        let outcome = cell(&outcome).and_then(|v| {
            let o = parse_outcome(&v);
            if o.is_none() {
                complain("unknown outcome", row, &v);
            }
            o
        });
        rows.push(RawRow {
            row,
            id: id[i].clone(),
            stage: stage[i].clone(),
            entered_at,
            source: cell(&source),
            segment: cell(&segment),
            amount,
            outcome,
            closed_at,
        });
    }
    if !bad.is_empty() {
        // One line per bad value, each an `error:` line of its own (the
        // command prefixes the first line).
        let origin = path.display();
        bail!(
            "{origin}: values that cannot be read (timestamps: YYYY-MM-DD[ HH:MM[:SS]], RFC 3339 or a number of days; outcomes: {OUTCOME_WORDS}):\nerror: {origin}: {}",
            bad.join(&format!("\nerror: {origin}: "))
        );
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let d = parse_time("1970-01-02").unwrap();
        assert_eq!(d, 1.0);
        assert_eq!(parse_time("1970-01-02 12:00").unwrap(), 1.5);
        assert_eq!(parse_time("1970-01-02T12:00:00Z").unwrap(), 1.5);
        assert_eq!(parse_time("1970-01-02T14:00:00+02:00").unwrap(), 1.5);
        assert_eq!(parse_time("3.25").unwrap(), 3.25);
        assert!(parse_time("02/01/1970").is_none());
        let t = simulation_day(10.25);
        assert_eq!(format_time(t), "2025-01-11 06:00:00");
        assert_eq!(parse_time(&format_time(t)).unwrap(), t);
    }
}
