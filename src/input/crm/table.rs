//! A history file as a table of text: its header as written, and its cells.

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{CsvReadOptions, DataFrame, DataType, ParquetReader, SerReader};

use super::layout::normalise;

/// A history file's header and cells, every cell as text.
pub struct Table {
    /// Column names as the file writes them (CSV quoting undone).
    pub names: Vec<String>,
    df: DataFrame,
    /// Whether the file is CSV (whose cells may carry funnelsim's formula
    /// escape) rather than Parquet.
    csv: bool,
}

impl Table {
    /// Reads a CSV file, or a Parquet file when the name says so.
    pub fn read(path: &Path) -> Result<Table> {
        let csv = !super::is_parquet(path);
        let df = if csv {
            // Every column as text: the parsing rules are ours, not a guess.
            // The header is read as a data row, so it is unquoted by the
            // same rules as every cell: a header reader keeps doubled quotes
            // (`"Date entered ""Engaging"""`) doubled.
            CsvReadOptions::default()
                .with_has_header(false)
                .with_infer_schema_length(Some(0))
                .try_into_reader_with_file_path(Some(path.to_path_buf()))
                .and_then(|r| r.finish())
        } else {
            let file =
                std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            ParquetReader::new(file).finish()
        }
        .with_context(|| format!("cannot read history file {}", path.display()))?;
        if !csv {
            let names = df.get_column_names().iter().map(|s| s.to_string()).collect();
            return Ok(Table { names, df, csv });
        }
        let header = df.head(Some(1));
        let mut names: Vec<String> = header
            .columns()
            .iter()
            .map(|c| {
                c.str()
                    .ok()
                    .and_then(|s| s.get(0))
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            })
            .collect();
        // A byte-order mark, as spreadsheet programs write, is not part of
        // the first name.
        if let Some(first) = names.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.trim().to_owned();
        }
        let df = df.slice(1, df.height().saturating_sub(1));
        Ok(Table { names, df, csv })
    }

    /// Data rows.
    pub fn height(&self) -> usize {
        self.df.height()
    }

    /// The number people count the first data row by: its CSV line (the
    /// header is line 1), or 1 for a Parquet row.
    pub fn first_row(&self) -> usize {
        if self.csv { 2 } else { 1 }
    }

    /// "line" for CSV, "row" for Parquet.
    pub fn unit(&self) -> &'static str {
        if self.csv { "line" } else { "row" }
    }

    /// The column called `name`: exactly, or else the only one whose name
    /// matches ignoring case, spaces and punctuation.
    pub fn find(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return Some(i);
        }
        let want = normalise(name);
        let alike: Vec<usize> = (0..self.names.len())
            .filter(|&i| !want.is_empty() && normalise(&self.names[i]) == want)
            .collect();
        match alike[..] {
            [i] => Some(i),
            _ => None,
        }
    }

    /// The header most like `name`, if its similarity (Jaro–Winkler,
    /// ignoring case) is at least `at_least`.
    pub fn closest(&self, name: &str, at_least: f64) -> Option<&str> {
        self.names
            .iter()
            .map(|n| (strsim::jaro_winkler(&name.to_lowercase(), &n.to_lowercase()), n))
            .filter(|(score, _)| *score >= at_least)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| n.as_str())
    }

    /// The cells of column `i`: trimmed, empty cells `None`, funnelsim's
    /// CSV formula escape undone.
    pub fn text(&self, i: usize) -> Result<Vec<Option<String>>> {
        let col = self.df.columns()[i].cast(&DataType::String)?;
        Ok(col
            .str()?
            .iter()
            .map(|v| {
                v.map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| {
                        if self.csv {
                            crate::output::tables::csv_unescape(v)
                        } else {
                            v
                        }
                    })
                    .map(str::to_owned)
            })
            .collect())
    }
}
