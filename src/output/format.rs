//! Numbers for people, one formatter per unit, shared by the terminal text,
//! the sweep and comparison tables, the charts and the report. Missing and
//! non-finite values read "n/a", never NaN or a fake 0.

use crate::sim::metrics::Unit;

/// Formats a number for people: thousands separators, sensible decimals.
pub fn human(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    let a = x.abs();
    let decimals = if a >= 100.0 || x == x.trunc() {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{:.*}", decimals, a);
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
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A fraction in percent with `decimals` decimals: `0.123` → "12.3%".
pub fn percent(x: f64, decimals: usize) -> String {
    format!("{:.*}%", decimals, x * 100.0)
}

/// A value in its unit: rates in percent with `rate_decimals` decimals,
/// everything else as [`human`] numbers.
pub fn value(unit: Unit, x: Option<f64>, rate_decimals: usize) -> String {
    match x.filter(|v| v.is_finite()) {
        None => "n/a".to_owned(),
        Some(v) if unit == Unit::Rate => percent(v, rate_decimals),
        Some(v) => human(v),
    }
}

/// A signed difference in its unit: rates in percentage points with
/// `rate_decimals` decimals ("+1.2 pp"), everything else as signed
/// [`human`] numbers ("+1,234", "0").
pub fn difference(unit: Unit, x: Option<f64>, rate_decimals: usize) -> String {
    match x.filter(|v| v.is_finite()) {
        None => "n/a".to_owned(),
        Some(v) if unit == Unit::Rate => format!("{:+.*} pp", rate_decimals, v * 100.0),
        Some(v) => format!("{}{}", if v > 0.0 { "+" } else { "" }, human(v)),
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
}
