//! Numbers for people, one formatter per unit, shared by the terminal text,
//! the sweep and comparison tables, the charts and the report. Missing and
//! non-finite values read "n/a", never NaN or a fake 0.
//!
//! The rules, in one place: thousands separators on every number (money,
//! counts, percentages); about three significant digits; a count that is
//! whole prints without decimals; durations in [`Unit::Days`] under a day
//! in hours ("6 h"), under an hour in minutes; both ends of an interval or
//! a percentile range alike, and an interval end that would read as its
//! neighbour or as a false zero gets more decimals ("-10.5% to +0.03%").

use crate::sim::metrics::Unit;

/// The most decimals an interval end gets to tell itself apart.
const MAX_EXTRA_DECIMALS: usize = 3;

/// Decimals that show about three significant digits of a magnitude.
fn auto_decimals(a: f64) -> usize {
    if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    }
}

/// Whether `x` is a whole number, allowing for floating-point noise.
fn is_whole(x: f64) -> bool {
    (x - x.round()).abs() <= 1e-9 * x.abs().max(1.0)
}

/// Whether formatted text shows a digit other than zero.
fn shows_nonzero(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit() && c != '0')
}

/// `x` with `decimals` decimals and thousands separators; a minus sign only
/// if a digit other than zero shows ("-0.000" reads "0.000").
pub fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if x < 0.0 && shows_nonzero(&s) { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Formats a number for people: thousands separators, about three
/// significant digits, no decimals when it is whole.
pub fn human(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    if is_whole(x) {
        fixed(x.round(), 0)
    } else {
        fixed(x, auto_decimals(x.abs()))
    }
}

/// A number of things that come whole (leads, deals, opportunities):
/// rounded to a whole number with thousands separators; a mean below one
/// half but above zero reads "<1", not a false "0".
pub fn whole(x: f64) -> String {
    if !x.is_finite() {
        "n/a".to_owned()
    } else if x > 0.0 && x < 0.5 {
        "<1".to_owned()
    } else {
        fixed(x.round(), 0)
    }
}

/// A fraction in percent with `decimals` decimals and thousands
/// separators: `0.123` → "12.3%", `10.2` → "1,020%".
pub fn percent(x: f64, decimals: usize) -> String {
    format!("{}%", fixed(x * 100.0, decimals))
}

/// How a value of a unit is shown: as itself or a difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Value,
    Difference,
}

/// The scale a quantity is shown in: days in days, hours or minutes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scale {
    Plain,
    Hours,
    Minutes,
}

impl Scale {
    /// The scale for a magnitude of `unit` (days under one in hours, under
    /// an hour in minutes).
    fn of(unit: Unit, magnitude: f64) -> Scale {
        match unit {
            Unit::Days if magnitude > 0.0 && magnitude * 24.0 < 1.0 => Scale::Minutes,
            Unit::Days if magnitude < 1.0 && magnitude > 0.0 => Scale::Hours,
            _ => Scale::Plain,
        }
    }
}

/// The factor and suffix of a unit on a scale.
fn shape(unit: Unit, mode: Mode, scale: Scale) -> (f64, &'static str) {
    match (unit, mode, scale) {
        (Unit::Rate, Mode::Value, _) => (100.0, "%"),
        (Unit::Rate, Mode::Difference, _) => (100.0, " pp"),
        (_, _, Scale::Hours) => (24.0, " h"),
        (_, _, Scale::Minutes) => (24.0 * 60.0, " min"),
        _ => (1.0, ""),
    }
}

/// The decimals a unit starts with for a shown magnitude: `rate_decimals`
/// for rates, about three significant digits otherwise.
fn start_decimals(unit: Unit, shown: f64, rate_decimals: usize) -> usize {
    if unit == Unit::Rate {
        rate_decimals
    } else {
        auto_decimals(shown)
    }
}

/// One number of a unit, on a scale, with `decimals` decimals; signed ("+"
/// or "-", none for a zero) as a difference.
fn one(unit: Unit, mode: Mode, scale: Scale, x: f64, decimals: usize) -> String {
    let (k, suffix) = shape(unit, mode, scale);
    let text = fixed(x * k, decimals);
    let plus = if mode == Mode::Difference && x > 0.0 && shows_nonzero(&text) {
        "+"
    } else {
        ""
    };
    format!("{plus}{text}{suffix}")
}

/// A single number of a unit: whole numbers without decimals (rates keep
/// theirs).
fn single(unit: Unit, mode: Mode, x: Option<f64>, rate_decimals: usize) -> String {
    let Some(x) = x.filter(|v| v.is_finite()) else {
        return "n/a".to_owned();
    };
    let scale = Scale::of(unit, x.abs());
    let (k, _) = shape(unit, mode, scale);
    let decimals = if unit != Unit::Rate && is_whole(x * k) {
        0
    } else {
        start_decimals(unit, (x * k).abs(), rate_decimals)
    };
    one(unit, mode, scale, x, decimals)
}

/// A value in its unit: rates in percent with `rate_decimals` decimals,
/// durations in days (hours or minutes under a day), everything else as
/// [`human`] numbers.
pub fn value(unit: Unit, x: Option<f64>, rate_decimals: usize) -> String {
    single(unit, Mode::Value, x, rate_decimals)
}

/// A signed difference in its unit: rates in percentage points with
/// `rate_decimals` decimals ("+1.2 pp"), everything else as signed
/// numbers ("+1,234", "0", "-6 h").
pub fn difference(unit: Unit, x: Option<f64>, rate_decimals: usize) -> String {
    single(unit, Mode::Difference, x, rate_decimals)
}

/// How both ends of an interval are shown: their scale, the decimals
/// they start with, and each end's decimals — more where an end would
/// read as the other end or as a zero it is not.
fn ends_layout(
    unit: Unit,
    mode: Mode,
    lo: f64,
    hi: f64,
    rate_decimals: usize,
) -> (Scale, usize, usize, usize) {
    let magnitude = lo.abs().max(hi.abs());
    let scale = Scale::of(unit, magnitude);
    let (k, _) = shape(unit, mode, scale);
    // Whole ends (a count that never varied) need no decimals.
    let start = if unit != Unit::Rate && is_whole(lo * k) && is_whole(hi * k) {
        0
    } else {
        start_decimals(unit, magnitude * k, rate_decimals)
    };
    let (mut dl, mut dh) = (start, start);
    loop {
        let (a, b) = (one(unit, mode, scale, lo, dl), one(unit, mode, scale, hi, dh));
        let room = |d: usize| d < start + MAX_EXTRA_DECIMALS;
        let false_zero = |text: &str, x: f64| x != 0.0 && !shows_nonzero(text);
        let mut more = false;
        if a == b && lo != hi && room(dl.max(dh)) {
            dl += 1;
            dh += 1;
            more = true;
        } else {
            if false_zero(&a, lo) && room(dl) {
                dl += 1;
                more = true;
            }
            if false_zero(&b, hi) && room(dh) {
                dh += 1;
                more = true;
            }
        }
        if !more {
            return (scale, start, dl, dh);
        }
    }
}

/// Both ends of an interval, alike ([`ends_layout`]).
fn ends(unit: Unit, mode: Mode, lo: f64, hi: f64, rate_decimals: usize) -> (String, String) {
    if !lo.is_finite() || !hi.is_finite() {
        let v = |x: f64| single(unit, mode, Some(x), rate_decimals);
        return (v(lo), v(hi));
    }
    let (scale, _, dl, dh) = ends_layout(unit, mode, lo, hi, rate_decimals);
    (one(unit, mode, scale, lo, dl), one(unit, mode, scale, hi, dh))
}

/// A mean and both ends of its interval, alike: the mean on the
/// interval's scale with the decimals its ends start with.
fn with_ends(
    unit: Unit,
    mode: Mode,
    mean: Option<f64>,
    lo: f64,
    hi: f64,
    rate_decimals: usize,
) -> (String, String, String) {
    let (l, h) = ends(unit, mode, lo, hi, rate_decimals);
    let m = match mean.filter(|m| m.is_finite()) {
        Some(m) if lo.is_finite() && hi.is_finite() => {
            // Ends that needed more decimals to differ give them to the
            // mean too; an end kept from reading as zero does not.
            let (scale, _, dl, dh) = ends_layout(unit, mode, lo, hi, rate_decimals);
            one(unit, mode, scale, m, dl.min(dh))
        }
        m => single(unit, mode, m, rate_decimals),
    };
    (m, l, h)
}

/// A mean with its confidence interval, all three alike: "16.8", "16.6",
/// "17.0".
pub fn value_with_interval(
    unit: Unit,
    mean: Option<f64>,
    lo: f64,
    hi: f64,
    rate_decimals: usize,
) -> (String, String, String) {
    with_ends(unit, Mode::Value, mean, lo, hi, rate_decimals)
}

/// A mean difference with its confidence interval, signed, all three
/// alike: "-9.2", "-11.8", "-6.6".
pub fn difference_with_interval(
    unit: Unit,
    mean: Option<f64>,
    lo: f64,
    hi: f64,
    rate_decimals: usize,
) -> (String, String, String) {
    with_ends(unit, Mode::Difference, mean, lo, hi, rate_decimals)
}

/// An interval of values of a unit (a confidence interval), both ends
/// alike (see `ends`).
pub fn interval(unit: Unit, lo: f64, hi: f64, rate_decimals: usize) -> (String, String) {
    ends(unit, Mode::Value, lo, hi, rate_decimals)
}

/// An interval of differences of a unit, signed, both ends alike.
pub fn difference_interval(unit: Unit, lo: f64, hi: f64, rate_decimals: usize) -> (String, String) {
    ends(unit, Mode::Difference, lo, hi, rate_decimals)
}

/// A range of percentiles of a unit across replications, formatted the
/// same whatever the replication count: counts as whole numbers (a
/// percentile of counts interpolated between two replications is still a
/// number of leads), other units as an [`interval`].
pub fn percentiles(unit: Unit, lo: f64, hi: f64, rate_decimals: usize) -> (String, String) {
    if unit == Unit::Count {
        (whole(lo), whole(hi))
    } else {
        interval(unit, lo, hi, rate_decimals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_formatter_per_unit() {
        assert_eq!(human(1234567.0), "1,234,567");
        assert_eq!(human(-0.0004), "0.000");
        assert_eq!(human(12.34), "12.3");
        assert_eq!(value(Unit::Rate, Some(0.1234), 1), "12.3%");
        assert_eq!(value(Unit::Money, Some(f64::NAN), 1), "n/a");
        assert_eq!(value(Unit::Count, None, 1), "n/a");
        assert_eq!(difference(Unit::Rate, Some(0.0123), 2), "+1.23 pp");
        assert_eq!(difference(Unit::Count, Some(0.0), 1), "0");
        assert_eq!(difference(Unit::Money, Some(-1500.0), 1), "-1,500");
        assert_eq!(percent(0.5, 0), "50%");
    }

    #[test]
    fn thousands_separators_everywhere() {
        assert_eq!(percent(10.199, 1), "1,019.9%");
        assert_eq!(value(Unit::Rate, Some(10.199), 1), "1,019.9%");
        assert_eq!(difference(Unit::Rate, Some(12.5), 1), "+1,250.0 pp");
        assert_eq!(whole(5535.0), "5,535");
        assert_eq!(human(5535.0), "5,535");
    }

    #[test]
    fn whole_counts_print_whole() {
        assert_eq!(human(12.000000000001), "12");
        assert_eq!(human(71.5), "71.5");
        assert_eq!(whole(71.5), "72");
        assert_eq!(whole(31.4), "31");
        assert_eq!(whole(0.3), "<1");
        assert_eq!(whole(0.0), "0");
        assert_eq!(value(Unit::Count, Some(114.0), 1), "114");
    }

    #[test]
    fn delays_under_a_day_in_hours() {
        assert_eq!(value(Unit::Days, Some(0.25), 1), "6 h");
        assert_eq!(value(Unit::Days, Some(0.5), 1), "12 h");
        assert_eq!(value(Unit::Days, Some(0.012), 1), "17.3 min");
        assert_eq!(value(Unit::Days, Some(16.8), 1), "16.8");
        assert_eq!(value(Unit::Days, Some(0.0), 1), "0");
        assert_eq!(difference(Unit::Days, Some(-0.25), 1), "-6 h");
        assert_eq!(
            interval(Unit::Days, 0.2, 0.3, 1),
            ("4.80 h".to_owned(), "7.20 h".to_owned())
        );
        // Both ends on the scale of the larger.
        assert_eq!(
            interval(Unit::Days, 0.5, 1.5, 1),
            ("0.50".to_owned(), "1.50".to_owned())
        );
    }

    #[test]
    fn interval_ends_tell_themselves_apart() {
        // An end that would read as a false zero gets the decimals it needs.
        assert_eq!(
            difference_interval(Unit::Rate, -0.105, 0.0003, 1),
            ("-10.5 pp".to_owned(), "+0.03 pp".to_owned())
        );
        assert_eq!(
            interval(Unit::Rate, -0.105, 0.0003, 1),
            ("-10.5%".to_owned(), "0.03%".to_owned())
        );
        // Ends that would read alike get more decimals, both of them.
        assert_eq!(
            interval(Unit::Rate, 0.1231, 0.1234, 1),
            ("12.31%".to_owned(), "12.34%".to_owned())
        );
        // Both ends with the same decimals, whole or not.
        assert_eq!(
            interval(Unit::Count, 95.0, 107.2, 1),
            ("95".to_owned(), "107".to_owned())
        );
        assert_eq!(
            interval(Unit::Days, 16.6, 17.0, 1),
            ("16.6".to_owned(), "17.0".to_owned())
        );
        // A real zero stays zero.
        assert_eq!(
            difference_interval(Unit::Count, 0.0, 0.0, 1),
            ("0".to_owned(), "0".to_owned())
        );
    }

    #[test]
    fn a_mean_like_its_interval() {
        assert_eq!(
            difference_with_interval(Unit::Days, Some(-9.24), -11.8, -6.6, 1),
            ("-9.2".to_owned(), "-11.8".to_owned(), "-6.6".to_owned())
        );
        assert_eq!(
            value_with_interval(Unit::Count, Some(5.3), 4.98, 5.62, 1),
            ("5.30".to_owned(), "4.98".to_owned(), "5.62".to_owned())
        );
        assert_eq!(
            value_with_interval(Unit::Rate, Some(0.0311), 0.0309, 0.0313, 1),
            ("3.11%".to_owned(), "3.09%".to_owned(), "3.13%".to_owned())
        );
        assert_eq!(
            value_with_interval(Unit::Count, Some(114.0), 111.2, 117.3, 1),
            ("114".to_owned(), "111".to_owned(), "117".to_owned())
        );
    }

    #[test]
    fn percentiles_alike_at_any_replication_count() {
        // 200 replications: order statistics, whole; 5,000: interpolated.
        assert_eq!(
            percentiles(Unit::Count, 13.0, 29.0, 1),
            ("13".to_owned(), "29".to_owned())
        );
        assert_eq!(
            percentiles(Unit::Count, 12.96, 28.04, 1),
            ("13".to_owned(), "28".to_owned())
        );
        assert_eq!(
            percentiles(Unit::Days, 16.0, 17.74, 1),
            ("16.0".to_owned(), "17.7".to_owned())
        );
    }
}
