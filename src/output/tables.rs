//! Results as polars tables, written as CSV or Parquet.

use std::fs::File;
use std::path::Path;

use anyhow::{Context as _, Result};
use polars::prelude::{Column, CsvWriter, DataFrame, NamedFrom, ParquetWriter, SerWriter, Series};

use super::Run;
use crate::model::outcome::{Cause, Outcome};
use crate::sim::stats::Estimate;
use crate::study::blame::Counterfactual;

/// Table file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values.
    #[default]
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

fn col<T>(name: &str, values: T) -> Column
where
    Series: NamedFrom<T, [Option<f64>]>,
{
    Series::new(name.into(), values).into()
}

fn fcol(name: &str, values: Vec<Option<f64>>) -> Column {
    col(name, values)
}

fn scol(name: &str, values: Vec<String>) -> Column {
    Series::new(name.into(), values).into()
}

fn estimate_columns(prefix: &str, es: &[&Estimate]) -> Vec<Column> {
    let pick = |f: fn(&Estimate) -> Option<f64>| es.iter().map(|e| f(e)).collect::<Vec<_>>();
    let p = |s: &str| {
        if prefix.is_empty() {
            s.to_owned()
        } else {
            format!("{prefix}_{s}")
        }
    };
    vec![
        fcol(&p("mean"), pick(|e| e.mean)),
        fcol(&p("sd"), pick(|e| e.sd)),
        fcol(&p("p05"), pick(|e| e.p05)),
        fcol(&p("p50"), pick(|e| e.p50)),
        fcol(&p("p95"), pick(|e| e.p95)),
        fcol(&p("ci_low"), pick(|e| e.ci_low)),
        fcol(&p("ci_high"), pick(|e| e.ci_high)),
    ]
}

fn frame(columns: Vec<Column>) -> Result<DataFrame> {
    DataFrame::new_infer_height(columns).context("cannot build table")
}

/// Every table of a run, by file stem.
pub fn all_tables(run: &Run<'_>) -> Result<Vec<(&'static str, DataFrame)>> {
    let s = run.scenario;
    let r = run.result;
    let est = |name: &str| {
        r.estimate(name)
            .expect("metric names come from the same scenario")
    };

    // One row per replication.
    let mut cols = vec![Column::new(
        "replication".into(),
        (0..r.rows.len() as u32).collect::<Vec<_>>(),
    )];
    for (j, name) in r.names.iter().enumerate() {
        let v: Vec<Option<f64>> = r
            .rows
            .iter()
            .map(|row| Some(row[j]).filter(|x| x.is_finite()))
            .collect();
        cols.push(fcol(name, v));
    }
    let replications = frame(cols)?;

    let mut cols = vec![scol("metric", r.names.clone())];
    cols.extend(estimate_columns("", &r.estimates.iter().collect::<Vec<_>>()));
    cols.push(Column::new(
        "n".into(),
        r.estimates.iter().map(|e| e.n).collect::<Vec<_>>(),
    ));
    let summary = frame(cols)?;

    let stages: Vec<String> = s.stage_names().map(str::to_owned).collect();
    let mut cols = vec![scol("stage", stages.clone())];
    cols.extend(estimate_columns(
        "reached",
        &stages
            .iter()
            .map(|st| est(&format!("reached.{st}")))
            .collect::<Vec<_>>(),
    ));
    cols.push(fcol(
        "conversion_from_previous",
        stages
            .iter()
            .enumerate()
            .map(|(i, st)| {
                if i == 0 {
                    None
                } else {
                    est(&format!("conversion.{st}")).mean
                }
            })
            .collect(),
    ));
    cols.push(fcol(
        "handed_off_at_stage_mean",
        stages
            .iter()
            .map(|st| est(&format!("handoffs.{st}")).mean)
            .collect(),
    ));
    let funnel = frame(cols)?;

    let names: Vec<String> = Outcome::ALL.iter().map(|o| o.name().to_owned()).collect();
    let mut cols = vec![scol("outcome", names.clone())];
    cols.extend(estimate_columns(
        "count",
        &names
            .iter()
            .map(|o| est(&format!("outcome.{o}")))
            .collect::<Vec<_>>(),
    ));
    cols.extend(estimate_columns(
        "share",
        &names
            .iter()
            .map(|o| est(&format!("share.{o}")))
            .collect::<Vec<_>>(),
    ));
    let outcomes = frame(cols)?;

    let causes: Vec<String> = Cause::ALL.iter().map(|c| c.name().to_owned()).collect();
    let mut cols = vec![
        scol("cause", causes.clone()),
        scol(
            "side",
            Cause::ALL.iter().map(|c| c.side().name().to_owned()).collect(),
        ),
    ];
    cols.extend(estimate_columns(
        "count",
        &causes
            .iter()
            .map(|c| est(&format!("blame.{c}")))
            .collect::<Vec<_>>(),
    ));
    let blame = frame(cols)?;

    let channels: Vec<String> = s.channel_names().map(str::to_owned).collect();
    let mut cols = vec![
        scol("channel", channels.clone()),
        scol(
            "kind",
            s.channels
                .iter()
                .map(|c| {
                    serde_json::to_value(c.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect(),
        ),
    ];
    cols.extend(estimate_columns(
        "leads",
        &channels
            .iter()
            .map(|c| est(&format!("leads.{c}")))
            .collect::<Vec<_>>(),
    ));
    let leads = frame(cols)?;

    let p = &r.pipeline;
    let stage_names: Vec<String> = p.iter().map(|b| stages[b.stage].clone()).collect();
    let g = |f: &dyn Fn(&crate::sim::engine::PipelineBand) -> f64| {
        p.iter()
            .map(|b| Some(f(b)).filter(|x| x.is_finite()))
            .collect::<Vec<_>>()
    };
    let pipeline = frame(vec![
        fcol("day", g(&|b| b.day)),
        scol("stage", stage_names),
        fcol("count_mean", g(&|b| b.count[0])),
        fcol("count_p05", g(&|b| b.count[1])),
        fcol("count_p50", g(&|b| b.count[2])),
        fcol("count_p95", g(&|b| b.count[3])),
        fcol("value_mean", g(&|b| b.value[0])),
        fcol("value_p05", g(&|b| b.value[1])),
        fcol("value_p50", g(&|b| b.value[2])),
        fcol("value_p95", g(&|b| b.value[3])),
    ])?;

    let mut tables = vec![
        ("summary", summary),
        ("replications", replications),
        ("funnel", funnel),
        ("outcomes", outcomes),
        ("blame", blame),
        ("leads_by_source", leads),
        ("pipeline", pipeline),
    ];
    if let Some(cf) = run.counterfactual {
        tables.push(("counterfactual", counterfactual(cf)?));
    }
    Ok(tables)
}

/// The counterfactual ledger, one row per quantity: `won.<world>`,
/// `recovered.<world>` (paired, over "as is"), `shapley.marketing`,
/// `shapley.sales` and `lost.as_is`.
fn counterfactual(cf: &Counterfactual) -> Result<DataFrame> {
    let mut rows: Vec<(String, &Estimate)> = Vec::new();
    rows.extend(cf.won.iter().map(|(w, e)| (format!("won.{}", w.name()), e)));
    rows.extend(
        cf.recovered
            .iter()
            .map(|(w, e)| (format!("recovered.{}", w.name()), e)),
    );
    rows.push(("shapley.marketing".to_owned(), &cf.marketing_share));
    rows.push(("shapley.sales".to_owned(), &cf.sales_share));
    rows.push(("lost.as_is".to_owned(), &cf.lost));
    let mut cols = vec![scol("quantity", rows.iter().map(|(q, _)| q.clone()).collect())];
    cols.extend(estimate_columns(
        "",
        &rows.iter().map(|(_, e)| *e).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "n".into(),
        rows.iter().map(|(_, e)| e.n).collect::<Vec<_>>(),
    ));
    frame(cols)
}

/// Neutralises spreadsheet formula injection in one text cell: text from
/// scenario files or CRM exports that starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return would run as a formula when the CSV is opened in a
/// spreadsheet, so it gets a leading `'` (the usual escape, shown by
/// spreadsheets as plain text). Text that is a plain number (`-0.5`) is left
/// alone: it cannot be a formula.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.trim().parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The inverse of [`csv_safe`] for text read back from a CSV funnelsim
/// wrote (`run --export-history` → `calibrate`): a `'` before a formula
/// character is dropped, so names round-trip.
pub fn csv_unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// `df` with every text cell passed through [`csv_safe`]; numeric columns
/// are untouched, so numbers stay numbers.
fn csv_safe_frame(df: &DataFrame) -> Result<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| -> Result<Column> {
            if c.dtype() != &polars::prelude::DataType::String {
                return Ok(c.clone());
            }
            let cells: Vec<Option<String>> = c
                .str()
                .context("a text column holds text")?
                .iter()
                .map(|v| v.map(|x| csv_safe(x).into_owned()))
                .collect();
            Ok(Series::new(c.name().clone(), cells).into())
        })
        .collect::<Result<Vec<_>>>()?;
    frame(columns)
}

/// Writes `df` to `path` in `format`. Text cells of CSV output are
/// neutralised against formula injection ([`csv_safe`]); Parquet keeps them
/// as they are (it is not opened by spreadsheets as formulas).
pub fn write(df: &mut DataFrame, path: &Path, format: Format) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    match format {
        Format::Csv => CsvWriter::new(file).finish(&mut csv_safe_frame(df)?).map(|_| ()),
        Format::Parquet => ParquetWriter::new(file).finish(df).map(|_| ()),
    }
    .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+1+1"), "'+1+1");
        assert_eq!(csv_safe("-1+cmd|' /C calc'!A0"), "'-1+cmd|' /C calc'!A0");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("\t=1"), "'\t=1");
        assert_eq!(csv_safe("-0.5"), "-0.5");
        assert_eq!(csv_safe("+3"), "+3");
        assert_eq!(csv_safe("trade shows"), "trade shows");
        assert_eq!(csv_safe("a=b"), "a=b");
        for x in ["=1+1", "-x", "plain", "'quoted", "-0.5"] {
            assert_eq!(csv_unescape(&csv_safe(x)), x);
        }
    }

    #[test]
    fn csv_output_escapes_text_cells_only() {
        let mut df = frame(vec![
            scol("name", vec!["=1+1".into(), "web".into()]),
            fcol("value", vec![Some(-2.5), None]),
        ])
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        write(&mut df, &path, Format::Csv).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "name,value\n'=1+1,-2.5\nweb,\n");
    }
}
