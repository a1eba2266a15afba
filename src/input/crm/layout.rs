//! The layouts CRMs export, the columns each is read from, and how a file's
//! layout is told from its header.

use std::fmt::Write as _;

use crate::calibration::vocabulary::{Meaning, Vocabulary, looks_like_outcome};
use crate::model::outcome::Outcome;

use super::table::Table;

/// The shape of a history file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// One row per stage entry (funnelsim's own export).
    Long,
    /// Salesforce `OpportunityHistory`: one row per stage change, closings
    /// (`Closed Won`, `Closed Lost`) included as stages.
    SalesforceHistory,
    /// One row per deal with a "date entered" column per stage (HubSpot's
    /// `Date entered "<stage> (<pipeline>)"`).
    Wide,
    /// One row per deal: its current stage or how it ended, and dates.
    Snapshot,
}

impl Layout {
    /// Every layout, in the order detection tries them.
    pub const ALL: [Layout; 4] = [
        Layout::Wide,
        Layout::SalesforceHistory,
        Layout::Long,
        Layout::Snapshot,
    ];

    /// The name `--layout` takes.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Long => "long",
            Layout::SalesforceHistory => "salesforce-history",
            Layout::Wide => "wide",
            Layout::Snapshot => "snapshot",
        }
    }

    /// What a row of the file is.
    pub fn shape(self) -> &'static str {
        match self {
            Layout::Long => "one row per stage entry",
            Layout::SalesforceHistory => "one row per stage change, closings included",
            Layout::Wide => "one row per opportunity, a date column per stage",
            Layout::Snapshot => "one row per opportunity: its current stage or outcome, and dates",
        }
    }

    /// Whether a row is a whole opportunity (and not one stage entry).
    pub fn per_opportunity(self) -> bool {
        matches!(self, Layout::Wide | Layout::Snapshot)
    }
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Opportunity id.
    Id,
    /// Stage (long, Salesforce), or current stage or outcome (wide, snapshot).
    Stage,
    /// When the stage was entered (long, Salesforce).
    Entered,
    /// Lead source.
    Source,
    /// Segment.
    Segment,
    /// Amount.
    Amount,
    /// Outcome.
    Outcome,
    /// Close time.
    Closed,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Role::Id,
        Role::Stage,
        Role::Entered,
        Role::Source,
        Role::Segment,
        Role::Amount,
        Role::Outcome,
        Role::Closed,
    ];

    /// The flag that names its column.
    pub fn flag(self) -> &'static str {
        match self {
            Role::Id => "--id-col",
            Role::Stage => "--stage-col",
            Role::Entered => "--entered-col",
            Role::Source => "--source-col",
            Role::Segment => "--segment-col",
            Role::Amount => "--amount-col",
            Role::Outcome => "--outcome-col",
            Role::Closed => "--closed-col",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whether `layout` reads this role at all.
    pub fn applies(self, layout: Layout) -> bool {
        !(self == Role::Entered && layout.per_opportunity())
    }

    /// Whether `layout` cannot do without it.
    pub fn required(self, layout: Layout) -> bool {
        match layout {
            Layout::Long | Layout::SalesforceHistory => {
                matches!(self, Role::Id | Role::Stage | Role::Entered)
            }
            Layout::Wide => self == Role::Id,
            Layout::Snapshot => matches!(self, Role::Id | Role::Stage),
        }
    }

    /// The column names looked for when the flag is not given, best first
    /// (matched ignoring case, spaces and punctuation). The first is the
    /// name `run --export-history` writes.
    pub fn defaults(self, layout: Layout) -> &'static [&'static str] {
        use Layout::*;
        match (self, layout) {
            (Role::Id, Long) => &["opportunity_id"],
            (Role::Id, SalesforceHistory) => &["OpportunityId"],
            (Role::Id, Wide) => &["Record ID", "Deal ID", "opportunity_id"],
            (Role::Id, Snapshot) => &["opportunity_id", "Record ID", "Deal ID"],
            (Role::Stage, Long) => &["stage"],
            (Role::Stage, SalesforceHistory) => &["StageName"],
            (Role::Stage, Wide) => &["Deal Stage", "stage"],
            (Role::Stage, Snapshot) => &["deal_stage", "stage", "StageName"],
            (Role::Entered, Long) => &["entered_at"],
            (Role::Entered, SalesforceHistory) => &["CreatedDate"],
            (Role::Entered, _) => &[],
            (Role::Source, Long) => &["source"],
            (Role::Source, SalesforceHistory) => &["LeadSource", "source"],
            (Role::Source, Wide) => &["Original Source", "Original Source Type", "source"],
            (Role::Source, Snapshot) => &["source", "lead_source"],
            (Role::Segment, Long | Snapshot) => &["segment"],
            (Role::Segment, SalesforceHistory | Wide) => &["Segment"],
            (Role::Amount, Long) => &["amount"],
            (Role::Amount, SalesforceHistory | Wide) => &["Amount"],
            (Role::Amount, Snapshot) => &["close_value", "amount", "deal_value"],
            (Role::Outcome, _) => &["outcome"],
            (Role::Closed, Long) => &["closed_at"],
            // OpportunityHistory's CloseDate is the forecast a rep typed in,
            // not when the deal closed: the closing row says that.
            (Role::Closed, SalesforceHistory) => &[],
            (Role::Closed, Wide) => &["Close Date", "closed_at"],
            (Role::Closed, Snapshot) => &["close_date", "closed_at", "Close Date"],
        }
    }
}

/// Column names given on the command line (`None`: the layout's default).
#[derive(Clone, Debug, Default)]
pub struct Columns {
    /// `--id-col`.
    pub id: Option<String>,
    /// `--stage-col`.
    pub stage: Option<String>,
    /// `--entered-col`.
    pub entered_at: Option<String>,
    /// `--source-col`.
    pub source: Option<String>,
    /// `--segment-col`.
    pub segment: Option<String>,
    /// `--amount-col`.
    pub amount: Option<String>,
    /// `--outcome-col`.
    pub outcome: Option<String>,
    /// `--closed-col`.
    pub closed_at: Option<String>,
}

impl Columns {
    /// The name given for `role`, if any.
    pub fn named(&self, role: Role) -> Option<&str> {
        match role {
            Role::Id => &self.id,
            Role::Stage => &self.stage,
            Role::Entered => &self.entered_at,
            Role::Source => &self.source,
            Role::Segment => &self.segment,
            Role::Amount => &self.amount,
            Role::Outcome => &self.outcome,
            Role::Closed => &self.closed_at,
        }
        .as_deref()
    }
}

/// A date column of a one-row-per-opportunity layout: when the deal entered
/// a stage, or closed.
#[derive(Clone, Debug, PartialEq)]
pub struct DateColumn {
    /// Its index in the table.
    pub column: usize,
    /// A stage, or a closing outcome.
    pub meaning: Meaning,
}

/// The columns a file is read from, in a layout.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The layout.
    pub layout: Layout,
    roles: [Option<usize>; 8],
    /// Date columns (wide and snapshot).
    pub dates: Vec<DateColumn>,
}

impl Resolved {
    /// The column read for `role`, if any.
    pub fn get(&self, role: Role) -> Option<usize> {
        self.roles[role.index()]
    }
}

/// The stage a "date entered" header names, HubSpot style
/// (`Date entered "Engaging (Sales Pipeline)"`), or as `entered <stage>`,
/// `<stage> entered`, `<stage>_entered_at`: the name as written, quotes
/// removed.
pub fn entered_header(header: &str) -> Option<&str> {
    // ASCII lowercasing keeps byte offsets, so the cut applies to `header`.
    let l: String = header
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == '_' { ' ' } else { c })
        .collect();
    let name = if let Some(p) = ["date entered ", "entered "].iter().find(|p| l.starts_with(**p)) {
        &header[p.len()..]
    } else if let Some(s) = [" entered at", " entered date", " date entered", " entered"]
        .iter()
        .find(|s| l.ends_with(**s))
    {
        &header[..header.len() - s.len()]
    } else {
        return None;
    };
    let name = name.trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .or_else(|| name.strip_prefix('\'').and_then(|n| n.strip_suffix('\'')))
        .unwrap_or(name)
        .trim();
    // `entered_at` is a long history's entry time, not a stage's date.
    let generic = ["", "at", "on", "date", "time"].contains(&normalise(name).as_str());
    (!generic).then_some(name)
}

/// What a "date entered" name means: as written, or without a trailing
/// `(<pipeline>)`.
pub fn entered_meaning(name: &str, vocabulary: &Vocabulary) -> (Meaning, String) {
    let m = vocabulary.stage_value(name);
    if m == Meaning::Unknown
        && let Some((stem, _)) = name.strip_suffix(')').and_then(|n| n.rsplit_once(" ("))
    {
        let stem = stem.trim();
        let m = vocabulary.stage_value(stem);
        if m != Meaning::Unknown {
            return (m, stem.to_owned());
        }
    }
    (m, name.to_owned())
}

/// Lowercase letters and digits only: how default column names are matched.
pub fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The stage a snapshot's date column is named after: `<stage>_date`,
/// `<stage>_at`, `date_<stage>`, `<stage>_entered[_at]`, or another form of
/// the word (`engage_date` for `Engaging`, `negotiate_date` for
/// `Negotiation`: the name and the stage share all but the last two letters
/// of the name, and at least four), if only one stage fits.
pub fn stage_of_date_column(header: &str, stages: &[String]) -> Option<usize> {
    let n = normalise(header);
    let bases = ["entereddate", "enteredat", "entered", "date", "at"]
        .iter()
        .filter_map(|s| n.strip_suffix(s))
        .chain(
            ["dateentered", "entered", "date"]
                .iter()
                .filter_map(|p| n.strip_prefix(p)),
        )
        .filter(|b| !b.is_empty());
    let names: Vec<String> = stages.iter().map(|s| normalise(s)).collect();
    for base in bases {
        if let Some(i) = names.iter().position(|s| s == base) {
            return Some(i);
        }
        let shared = |s: &str| s.bytes().zip(base.bytes()).take_while(|(a, b)| a == b).count();
        let stem: Vec<usize> = (0..names.len())
            .filter(|&i| {
                let n = shared(&names[i]);
                n >= 4 && n + 2 >= base.len()
            })
            .collect();
        if let [i] = stem[..] {
            return Some(i);
        }
    }
    None
}

/// Why a file cannot be read in a layout: what is missing, one phrase each.
pub type Missing = Vec<String>;

/// The columns of `table` for `layout`. Named columns must exist (checked
/// before, by [`read`](super::read)); a required column that is missing is a
/// [`Missing`] phrase.
pub fn resolve(
    table: &Table,
    layout: Layout,
    columns: &Columns,
    vocabulary: &Vocabulary,
    stage_dates: &[(String, usize)],
) -> Result<Resolved, Missing> {
    let mut missing = Vec::new();
    let mut roles = [None; 8];
    for role in Role::ALL {
        if !role.applies(layout) {
            continue;
        }
        let found = match columns.named(role) {
            Some(name) => table.find(name),
            None => role.defaults(layout).iter().find_map(|d| table.find(d)),
        };
        if found.is_none() && role.required(layout) {
            let wanted = columns.named(role).unwrap_or(role.defaults(layout)[0]);
            let mut phrase = format!("no column '{wanted}'");
            if let Some(c) = table.closest(wanted, 0.85) {
                let _ = write!(phrase, " (closest: '{c}')");
            }
            missing.push(phrase);
        }
        roles[role.index()] = found;
    }
    let mut dates = Vec::new();
    if layout.per_opportunity() {
        let taken = |i: usize| roles.contains(&Some(i)) || stage_dates.iter().any(|(_, c)| *c == i);
        for (stage, column) in stage_dates {
            dates.push(DateColumn {
                column: *column,
                meaning: vocabulary.stage_value(stage),
            });
        }
        let mut unknown = Vec::new();
        for (i, header) in table.names.iter().enumerate() {
            if taken(i) {
                continue;
            }
            if let Some(name) = entered_header(header) {
                match entered_meaning(name, vocabulary) {
                    (m @ (Meaning::Stage(_) | Meaning::Outcome(_)), _)
                        if m != Meaning::Outcome(Outcome::Open) =>
                    {
                        dates.push(DateColumn {
                            column: i,
                            meaning: m,
                        })
                    }
                    (_, name) => unknown.push((header.clone(), name)),
                }
            } else if layout == Layout::Snapshot
                && let Some(s) = stage_of_date_column(header, vocabulary.stages())
                && !dates.iter().any(|d| d.meaning == Meaning::Stage(s))
            {
                dates.push(DateColumn {
                    column: i,
                    meaning: Meaning::Stage(s),
                });
            }
        }
        for (header, name) in unknown {
            let hint = match vocabulary.likely_stage(&name) {
                Some(s) => format!("did you mean '{s}'? If so, --map-stage '{name}={s}'"),
                None if looks_like_outcome(&name) => {
                    format!("if it is a closing, say which with --map-outcome '{name}=won|lost|no_decision'")
                }
                None => format!(
                    "add it to --stages, map it with --map-stage '{name}=STAGE' or, if it is a closing, --map-outcome '{name}=won|lost|no_decision'"
                ),
            };
            missing.push(format!(
                "column '{header}' is the date of entering '{name}', which is neither one of --stages nor a closing: {hint}"
            ));
        }
        if !dates.iter().any(|d| matches!(d.meaning, Meaning::Stage(_))) {
            missing.push(match layout {
                Layout::Wide => "no 'Date entered <stage>' column".to_owned(),
                _ => "no date column named after a stage (<stage>_date, or --stage-date STAGE=COLUMN)"
                    .to_owned(),
            });
        }
    }
    if missing.is_empty() {
        Ok(Resolved { layout, roles, dates })
    } else {
        Err(missing)
    }
}

/// Why flags on the command line rule `layout` out: `--entered-col` names
/// the one entry-time column of a history with a row per stage entry, and
/// `--stage-date` a date column of one with a row per opportunity.
pub fn ruled_out(layout: Layout, columns: &Columns, stage_dates: &[(String, usize)]) -> Option<String> {
    if layout.per_opportunity() && columns.named(Role::Entered).is_some() {
        Some(format!(
            "--entered-col does not apply ({}: stage dates come from a column per stage; name one with --stage-date STAGE=COLUMN)",
            layout.shape()
        ))
    } else if !layout.per_opportunity() && !stage_dates.is_empty() {
        Some(format!(
            "--stage-date does not apply ({}: the entry time is the --entered-col column)",
            layout.shape()
        ))
    } else {
        None
    }
}

/// Tells the layout of `table` from its header, with the reason: "date
/// entered" columns make it wide; OpportunityId, StageName and CreatedDate
/// Salesforce history; the long columns long; a stage column with dates
/// named after stages a snapshot. `Err` lists, per layout, what is missing
/// — only wide's when the header has "date entered" columns.
pub fn detect(
    table: &Table,
    columns: &Columns,
    vocabulary: &Vocabulary,
    stage_dates: &[(String, usize)],
) -> Result<(Resolved, String), Vec<(Layout, Missing)>> {
    let mut why_not = Vec::new();
    for layout in Layout::ALL {
        if let Some(why) = ruled_out(layout, columns, stage_dates) {
            why_not.push((layout, vec![why]));
            continue;
        }
        if layout == Layout::Wide && !table.names.iter().any(|h| entered_header(h).is_some()) {
            why_not.push((layout, vec!["no 'Date entered <stage>' column".to_owned()]));
            continue;
        }
        match resolve(table, layout, columns, vocabulary, stage_dates) {
            Ok(r) => {
                let why = reason(table, &r);
                return Ok((r, why));
            }
            // "Date entered" columns say what the file is: what is wrong
            // with it as such is the answer, not that nothing else fits.
            Err(missing) if layout == Layout::Wide => return Err(vec![(layout, missing)]),
            Err(missing) => why_not.push((layout, missing)),
        }
    }
    Err(why_not)
}

/// Why a layout fits, in the words of the file's own header.
fn reason(table: &Table, r: &Resolved) -> String {
    let name = |role: Role| r.get(role).map_or("?", |i| table.names[i].as_str());
    match r.layout {
        Layout::Long | Layout::SalesforceHistory => format!(
            "columns {}, {}, {}",
            name(Role::Id),
            name(Role::Stage),
            name(Role::Entered)
        ),
        Layout::Wide => format!(
            "{} 'Date entered <stage>' columns",
            r.dates
                .iter()
                .filter(|d| entered_header(&table.names[d.column]).is_some())
                .count()
        ),
        Layout::Snapshot => format!(
            "a stage column {} and {} named after stages",
            name(Role::Stage),
            match r.dates.len() {
                1 => "a date column".to_owned(),
                n => format!("{n} date columns"),
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entered_headers() {
        assert_eq!(
            entered_header("Date entered \"Engaging (Sales Pipeline)\""),
            Some("Engaging (Sales Pipeline)")
        );
        assert_eq!(entered_header("date_entered_proposal"), Some("proposal"));
        assert_eq!(
            entered_header("problem_defined_entered_at"),
            Some("problem_defined")
        );
        assert_eq!(entered_header("Date exited \"Engaging (Sales Pipeline)\""), None);
        assert_eq!(entered_header("entered_at"), None);
        assert_eq!(entered_header("date_entered"), None);
        let stages: Vec<String> = ["Engaging", "Closing"].map(str::to_owned).to_vec();
        let v = Vocabulary::new(&stages, &[], &[]).unwrap();
        assert_eq!(
            entered_meaning("Engaging (Sales Pipeline)", &v),
            (Meaning::Stage(0), "Engaging".into())
        );
        assert_eq!(
            entered_meaning("Closed Won (Sales Pipeline)", &v).0,
            Meaning::Outcome(Outcome::Won)
        );
        assert_eq!(entered_meaning("Demo (Sales Pipeline)", &v).0, Meaning::Unknown);
    }

    #[test]
    fn snapshot_date_columns_are_named_after_stages() {
        let stages: Vec<String> = ["Prospecting", "Engaging", "problem_defined"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(stage_of_date_column("engage_date", &stages), Some(1));
        assert_eq!(stage_of_date_column("Prospecting Date", &stages), Some(0));
        assert_eq!(stage_of_date_column("problem_defined_at", &stages), Some(2));
        assert_eq!(stage_of_date_column("date_problem_defined", &stages), Some(2));
        assert_eq!(stage_of_date_column("close_date", &stages), None);
        assert_eq!(
            stage_of_date_column("eng_date", &stages),
            None,
            "too short a stem"
        );
        assert_eq!(
            stage_of_date_column("engagement_date", &stages),
            None,
            "too different"
        );
        let two: Vec<String> = ["proposal", "proposition"].map(str::to_owned).to_vec();
        assert_eq!(stage_of_date_column("propose_date", &two), None, "ambiguous");
    }
}
