//! CRM timestamps: the forms read without being told, `--date-format`, and
//! the rule for slashed dates whose day and month could be swapped.
//!
//! # Forms read without `--date-format`
//! `2017-04-05`, `2017-04-05 09:00[:00[.000]]`, `2017-04-05T09:00[:00[.000]]`,
//! the same with an offset (`+02:00`, `+0000`, `Z`: Salesforce writes
//! `2017-04-05T09:00:00.000+0000`), `2017/04/05[ 09:00[:00]]`, slashed dates
//! `10/20/2016[ 09:00[:00]]` (also with `AM`/`PM`), and a plain number of
//! days.
//!
//! # Slashed dates
//! `A/B/YYYY` is month first or day first. A file is read one way
//! throughout: a date with a number above 12 in one place settles it (month
//! first if `B` > 12, day first if `A` > 12). A file with evidence both ways,
//! or with slashed dates none of which settles it (`03/04/2017`, unless
//! `A` = `B`), is refused until `--date-format` says which; a format with
//! `%d` before `%m` is day first, `%m` before `%d` month first.
//!
//! Times with an offset are converted to UTC; times without one are taken
//! as they are written.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

/// Day 0 of a simulation, as written by `--export-history`.
pub const EPOCH: &str = "2025-01-01";
/// The form timestamps are written in by default (to the second).
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Whether slashed dates (`10/20/2016`) put the month or the day first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashOrder {
    /// `MM/DD/YYYY`, as in the United States.
    MonthFirst,
    /// `DD/MM/YYYY`, as in most of the world.
    DayFirst,
}

impl SlashOrder {
    fn name(self) -> &'static str {
        match self {
            SlashOrder::MonthFirst => "month first",
            SlashOrder::DayFirst => "day first",
        }
    }
}

/// How a file's timestamps are read: an optional `--date-format`, and the
/// order of slashed dates once it is known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DateRule {
    format: Option<String>,
    order: Option<SlashOrder>,
}

/// A timestamp cell and where it is, for [`DateRule::settle`]'s messages.
#[derive(Clone, Copy, Debug)]
pub struct Cell<'a> {
    /// The text.
    pub text: &'a str,
    /// Its line (CSV) or row (Parquet) number.
    pub row: usize,
    /// Its column.
    pub column: &'a str,
}

/// The parts of a slashed date `A/B/YYYY[ time]`.
struct Slashed {
    a: u32,
    b: u32,
    year: i32,
    time: NaiveTime,
}

fn slashed(t: &str) -> Option<Slashed> {
    let (date, time) = match t.split_once(char::is_whitespace) {
        Some((d, rest)) => (d, Some(rest.trim())),
        None => (t, None),
    };
    let parts: Vec<&str> = date.split('/').collect();
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let [a, b, y] = parts[..] else { return None };
    if !(digits(a, 1..=2) && digits(b, 1..=2) && digits(y, 4..=4)) {
        return None;
    }
    let time = match time {
        None => NaiveTime::MIN,
        Some(x) => ["%H:%M:%S%.f", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%I:%M%p"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(x, f).ok())?,
    };
    Some(Slashed {
        a: a.parse().ok()?,
        b: b.parse().ok()?,
        year: y.parse().ok()?,
        time,
    })
}

impl Slashed {
    /// The order this date shows, if it shows one.
    fn evidence(&self) -> Option<SlashOrder> {
        match (self.a > 12, self.b > 12) {
            (true, false) => Some(SlashOrder::DayFirst),
            (false, true) => Some(SlashOrder::MonthFirst),
            _ => None,
        }
    }

    /// Read either way, the same date.
    fn either_way(&self) -> bool {
        self.a == self.b
    }

    fn read(&self, order: SlashOrder) -> Option<NaiveDateTime> {
        let (month, day) = match order {
            SlashOrder::MonthFirst => (self.a, self.b),
            SlashOrder::DayFirst => (self.b, self.a),
        };
        Some(NaiveDate::from_ymd_opt(self.year, month, day)?.and_time(self.time))
    }
}

fn days(naive: NaiveDateTime) -> f64 {
    naive.and_utc().timestamp_millis() as f64 / 86_400_000.0
}

/// `text` read with a chrono format: with an offset, a date and time, or a
/// date alone (midnight).
fn with_format(text: &str, format: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_str(text, format)
        .map(|d| d.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(text, format))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, format)
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        })
}

impl DateRule {
    /// The rule of `--date-format FORMAT` (chrono's strftime syntax). Fails,
    /// with a message naming the flag, if the format is not one.
    pub fn with_format(format: &str) -> Result<Self, String> {
        if format.trim().is_empty() || StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
            return Err(format!(
                "--date-format '{format}' is not a strftime format (e.g. %d/%m/%Y, %m/%d/%Y %H:%M or %Y-%m-%dT%H:%M:%S%.f%z)"
            ));
        }
        let day = ["%d", "%e"].iter().filter_map(|d| format.find(d)).min();
        let order = match (day, format.find("%m")) {
            (Some(d), Some(m)) if d < m => Some(SlashOrder::DayFirst),
            (Some(_), Some(_)) => Some(SlashOrder::MonthFirst),
            _ => None,
        };
        Ok(Self {
            format: Some(format.to_owned()),
            order,
        })
    }

    /// The `--date-format`, if one was given.
    pub fn format(&self) -> Option<&str> {
        self.format.as_deref()
    }

    /// The order slashed dates are read in, once known.
    pub fn order(&self) -> Option<SlashOrder> {
        self.order
    }

    /// Settles the order of slashed dates from a file's timestamps (see the
    /// module docs). Already settled by `--date-format`: nothing to do.
    /// Fails with a message naming the cells and the flag that decides.
    pub fn settle<'a>(
        &mut self,
        cells: impl IntoIterator<Item = Cell<'a>>,
        unit: &str,
    ) -> Result<(), String> {
        if self.order.is_some() {
            return Ok(());
        }
        let (mut month_first, mut day_first, mut ambiguous) = (None, None, None);
        for cell in cells {
            let text = cell.text.trim();
            if self
                .format
                .as_deref()
                .is_some_and(|f| with_format(text, f).is_some())
            {
                continue;
            }
            let Some(s) = slashed(text) else { continue };
            match s.evidence() {
                Some(SlashOrder::MonthFirst) => month_first = month_first.or(Some(cell)),
                Some(SlashOrder::DayFirst) => day_first = day_first.or(Some(cell)),
                None if !s.either_way() => ambiguous = ambiguous.or(Some(cell)),
                None => {}
            }
        }
        let at = |c: Cell<'_>| format!("'{}' ({unit} {}, column '{}')", c.text.trim(), c.row, c.column);
        match (month_first, day_first, ambiguous) {
            (Some(m), Some(d), _) => Err(format!(
                "dates are written both month first, {}, and day first, {}; say how with --date-format",
                at(m),
                at(d)
            )),
            (Some(_), None, _) => {
                self.order = Some(SlashOrder::MonthFirst);
                Ok(())
            }
            (None, Some(_), _) => {
                self.order = Some(SlashOrder::DayFirst);
                Ok(())
            }
            (None, None, Some(c)) => Err(format!(
                "slashed dates such as {} could be month first or day first, and none has a number above 12 to tell; say which with --date-format '%m/%d/%Y' (month first) or '%d/%m/%Y' (day first)",
                at(c)
            )),
            (None, None, None) => Ok(()),
        }
    }

    /// Parses a timestamp into days since 1970-01-01 (UTC for offsets;
    /// times without one as written). `None` if no form matches, or if a
    /// slashed date's order is not settled and the date does not show it.
    pub fn parse(&self, text: &str) -> Option<f64> {
        let t = text.trim();
        if let Some(naive) = self.format.as_deref().and_then(|f| with_format(t, f)) {
            return Some(days(naive));
        }
        if let Ok(days) = t.parse::<f64>() {
            return days.is_finite().then_some(days);
        }
        let naive = DateTime::parse_from_rfc3339(t)
            .map(|d| d.naive_utc())
            .ok()
            .or_else(|| {
                // Offsets written without a colon (`+0000`, as Salesforce does).
                ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"]
                    .iter()
                    .find_map(|f| DateTime::parse_from_str(t, f).ok())
                    .map(|d| d.naive_utc())
            })
            .or_else(|| {
                [
                    "%Y-%m-%d %H:%M:%S%.f",
                    "%Y-%m-%dT%H:%M:%S%.f",
                    "%Y-%m-%d %H:%M",
                    "%Y-%m-%dT%H:%M",
                    "%Y/%m/%d %H:%M:%S%.f",
                    "%Y/%m/%d %H:%M",
                ]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
            })
            .or_else(|| {
                ["%Y-%m-%d", "%Y/%m/%d"]
                    .iter()
                    .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
                    .map(|d| d.and_time(NaiveTime::MIN))
            })
            .or_else(|| {
                let s = slashed(t)?;
                let order = match (self.order, s.evidence()) {
                    (Some(o), _) | (None, Some(o)) => o,
                    (None, None) if s.either_way() => SlashOrder::MonthFirst,
                    (None, None) => return None,
                };
                s.read(order)
            })?;
        Some(days(naive))
    }

    /// How slashed dates were read, for the report (`None` if the file had
    /// none that needed deciding and no format was given).
    pub fn describe(&self) -> Option<String> {
        match (&self.format, self.order) {
            (Some(f), _) => Some(format!("dates read with --date-format '{f}'")),
            (None, Some(o)) => Some(format!("slashed dates read {}", o.name())),
            (None, None) => None,
        }
    }
}

/// Parses a timestamp in any form read without `--date-format`; slashed
/// dates only if they show their order (see [`DateRule::parse`]).
pub fn parse_time(text: &str) -> Option<f64> {
    DateRule::default().parse(text)
}

/// Formats days since 1970-01-01 as a timestamp (to the second).
pub fn format_time(days: f64) -> String {
    format_time_as(days, TIME_FORMAT)
}

/// Formats days since 1970-01-01 with a chrono format (UTC).
pub fn format_time_as(days: f64, format: &str) -> String {
    let millis = (days * 86_400_000.0).round() as i64;
    DateTime::from_timestamp_millis(millis)
        .map_or_else(|| format!("{days}"), |d| d.format(format).to_string())
}

fn epoch() -> NaiveDateTime {
    NaiveDate::parse_from_str(EPOCH, "%Y-%m-%d")
        .expect("valid constant")
        .and_time(NaiveTime::MIN)
}

/// Days since 1970-01-01 of simulation day `day` (day 0 is [`EPOCH`]).
pub fn simulation_day(day: f64) -> f64 {
    epoch().and_utc().timestamp() as f64 / 86_400.0 + day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32, h: u32) -> f64 {
        days(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap(),
        )
    }

    #[test]
    fn timestamps() {
        let d = parse_time("1970-01-02").unwrap();
        assert_eq!(d, 1.0);
        assert_eq!(parse_time("1970-01-02 12:00").unwrap(), 1.5);
        assert_eq!(parse_time("1970-01-02T12:00:00Z").unwrap(), 1.5);
        assert_eq!(parse_time("1970-01-02T14:00:00+02:00").unwrap(), 1.5);
        assert_eq!(parse_time("3.25").unwrap(), 3.25);
        let t = simulation_day(10.25);
        assert_eq!(format_time(t), "2025-01-11 06:00:00");
        assert_eq!(parse_time(&format_time(t)).unwrap(), t);
    }

    #[test]
    fn the_forms_crms_write() {
        let want = day(2017, 4, 5, 9);
        for text in [
            "2017-04-05 09:00:00",
            "2017-04-05T09:00:00.000+0000",
            "2017-04-05T11:00:00.000+0200",
            "2017-04-05T09:00:00.000Z",
            "2017/04/05 09:00",
            "04/05/2017 9:00 AM",
        ] {
            let rule = DateRule {
                order: Some(SlashOrder::MonthFirst),
                ..DateRule::default()
            };
            assert_eq!(rule.parse(text), Some(want), "{text}");
        }
        assert_eq!(parse_time("2017-04-05"), Some(day(2017, 4, 5, 0)));
        assert_eq!(parse_time("10/20/2016"), Some(day(2016, 10, 20, 0)));
        assert_eq!(parse_time("20/10/2016 09:00"), Some(day(2016, 10, 20, 9)));
        assert_eq!(parse_time("03/03/2016"), Some(day(2016, 3, 3, 0)));
        assert_eq!(parse_time("03/04/2016"), None, "ambiguous until settled");
        assert_eq!(parse_time("13/13/2016"), None);
        let iso = format_time_as(simulation_day(0.5), "%Y-%m-%dT%H:%M:%S%.3f%z");
        assert_eq!(iso, "2025-01-01T12:00:00.000+0000");
        assert_eq!(parse_time(&iso), Some(simulation_day(0.5)));
    }

    #[test]
    fn the_file_settles_the_order_of_slashed_dates() {
        let cells = |texts: &[&'static str]| -> Vec<Cell<'static>> {
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| Cell {
                    text: t,
                    row: i + 2,
                    column: "when",
                })
                .collect()
        };
        let mut rule = DateRule::default();
        rule.settle(cells(&["03/04/2017", "10/20/2016"]), "line").unwrap();
        assert_eq!(rule.order(), Some(SlashOrder::MonthFirst));
        assert_eq!(rule.parse("03/04/2017"), Some(day(2017, 3, 4, 0)));

        let mut rule = DateRule::default();
        rule.settle(cells(&["03/04/2017", "20/10/2016"]), "line").unwrap();
        assert_eq!(rule.parse("03/04/2017"), Some(day(2017, 4, 3, 0)));

        let err = DateRule::default()
            .settle(cells(&["2017-01-01", "03/04/2017"]), "line")
            .unwrap_err();
        assert!(err.contains("'03/04/2017' (line 3, column 'when')"), "{err}");
        assert!(err.contains("--date-format '%m/%d/%Y'"), "{err}");
        let err = DateRule::default()
            .settle(cells(&["10/20/2016", "20/10/2016"]), "line")
            .unwrap_err();
        assert!(
            err.contains("both month first") && err.contains("line 3"),
            "{err}"
        );

        let mut rule = DateRule::with_format("%d/%m/%Y").unwrap();
        rule.settle(cells(&["03/04/2017"]), "line").unwrap();
        assert_eq!(rule.parse("03/04/2017"), Some(day(2017, 4, 3, 0)));
        // Other forms are still read; slashed ones follow the format's order.
        assert_eq!(rule.parse("2017-04-03"), Some(day(2017, 4, 3, 0)));
        assert_eq!(rule.parse("03/04/2017 09:00"), Some(day(2017, 4, 3, 9)));
    }

    #[test]
    fn date_formats_are_checked() {
        assert!(
            DateRule::with_format("%Q")
                .unwrap_err()
                .contains("--date-format '%Q'")
        );
        assert!(DateRule::with_format("").is_err());
        let rule = DateRule::with_format("%d.%m.%Y %H:%M").unwrap();
        assert_eq!(rule.parse("05.04.2017 09:00"), Some(day(2017, 4, 5, 9)));
        assert_eq!(rule.order(), Some(SlashOrder::DayFirst));
    }
}
