//! The human-readable summary printed by `funnelsim run`.

use std::fmt::Write as _;

use super::Run;
use super::format;
use super::text::{Column, Style, Table, pad, width_of};
use crate::model::outcome::{Cause, Outcome, Side};
use crate::model::scenario::Scenario;
use crate::sim::metrics::{Metric, Unit};
use crate::sim::stats::Estimate;
use crate::study::blame::Counterfactual;

/// "figures cover leads captured on days 180–545 …" for a scenario.
pub fn window_sentence(s: &Scenario) -> String {
    let w = s.window();
    format!(
        "figures cover leads captured on days {}–{} ({} days after a {}-day warm-up), followed until day {}",
        w.start_day,
        w.end_day,
        w.end_day - w.start_day,
        w.start_day,
        w.followed_until_day
    )
}

/// Formats a value of a metric, as a percentage for rates.
fn value(name: &str, x: Option<f64>) -> String {
    format::value(Metric::unit_of(name), x, 1)
}

fn pct(x: Option<f64>) -> String {
    format::value(Unit::Rate, x, 1)
}

/// A row of the key metrics: label, mean, 95% CI, p05 … p95.
fn metric_row(name: &str, label: String, e: &Estimate) -> Vec<String> {
    let unit = Metric::unit_of(name);
    let (mean, ci) = match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => {
            let (mean, lo, hi) = format::value_with_interval(unit, e.mean, lo, hi, 1);
            (mean, format!("{lo} – {hi}"))
        }
        _ if e.n == 0 => (value(name, e.mean), "n/a (never defined)".to_owned()),
        // Short enough for its column: the header says what it is.
        _ => (value(name, e.mean), "n/a (needs ≥ 2 runs)".to_owned()),
    };
    let range = match (e.p05, e.p95) {
        (Some(lo), Some(hi)) => {
            let (lo, hi) = format::percentiles(unit, lo, hi, 1);
            format!("{lo} … {hi}")
        }
        _ => "n/a".to_owned(),
    };
    vec![label, mean, ci, range]
}

/// The longest bar of the funnel, in characters.
const BAR: usize = 30;

/// The summary text, laid out for `style`.
pub fn summary(run: &Run<'_>, style: &Style) -> String {
    let s = run.scenario;
    let r = run.result;
    let get = |name: &str| r.estimate(name).and_then(|e| e.mean);
    let mut out = String::new();
    let _ = writeln!(out, "funnelsim · {}", s.name());
    let _ = writeln!(
        out,
        "  {} replication{} · seed {} · handoff {} · outreach {}",
        format::whole(f64::from(r.completed)),
        if r.completed == 1 { "" } else { "s" },
        s.seed().0,
        s.handoff().name(),
        s.approach_name()
    );
    let _ = writeln!(out, "  {}", window_sentence(s));
    // Fewer replications than asked for (an interrupted run): the
    // scenario's own warning, shown once on stderr, counted what was asked.
    if r.completed < crate::model::scenario::FEW_REPLICATIONS && r.completed < s.replications() {
        let _ = writeln!(
            out,
            "  note: only {} replications; intervals are wide and percentiles rough (try --replications 200)",
            r.completed
        );
    }

    let mut table = Table::new(vec![
        Column::left("Key metrics (per window)", Column::ALWAYS),
        Column::right("mean", Column::ALWAYS),
        Column::left("95% CI of the mean", Column::ALWAYS),
        Column::left("p05 … p95", 1),
    ]);
    table.title_header = true;
    table.gap = 3;
    let rows = [
        "leads",
        "handoffs",
        "touches",
        "welcome_rate",
        "response_days",
        "won",
        "close_rate",
        "win_rate",
        "cycle_days",
        "revenue",
        "marketing_spend",
        "sales_spend",
        "cost_per_win",
        "roi",
    ];
    let costs_known = s.costs_known();
    for name in rows {
        if !costs_known && Metric::made_of_costs(name) {
            continue;
        }
        if let (Some(e), Some(m)) = (r.estimate(name), Metric::find(name)) {
            table.row(metric_row(name, m.long_label(), e));
        }
    }
    let rendered = table.render(style.width);
    let _ = write!(out, "\n{}", rendered.text);
    if !rendered.left_out.is_empty() {
        let _ = writeln!(
            out,
            "  (p05 … p95 across replications: in --json and --out, and here at {}+ columns)",
            rendered.full_width
        );
    }
    if !costs_known {
        let _ = writeln!(
            out,
            "  spend, cost per won deal, ROI  unknown: this scenario's costs are placeholders (unknown = [\"costs\"])"
        );
    }

    let _ = writeln!(
        out,
        "\nFunnel (cohort leads whose journey reached each stage; handed off there)"
    );
    let top = r.mean_count(&format!("reached.{}", s.stage_names().next().unwrap_or_default()));
    // A row per stage: name, reached, conversion, handed off (the last
    // column is the bar, drawn to the room left).
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut reached_n: Vec<f64> = Vec::new();
    for (i, st) in s.stage_names().enumerate() {
        let reached = r.mean_count(&format!("reached.{st}"));
        let conv = if i == 0 {
            String::new()
        } else {
            pct(get(&format!("conversion.{st}")))
        };
        let handed = r.mean_count(&format!("handoffs.{st}"));
        rows.push([
            style.name(st),
            format::whole(reached),
            conv,
            format::whole(handed),
        ]);
        reached_n.push(reached);
    }
    let w: Vec<usize> = (0..4)
        .map(|k| rows.iter().map(|r| width_of(&r[k])).max().unwrap_or(0))
        .collect();
    let before_bar = 2 + w[0] + 2 + w[1] + 2 + w[2] + 2 + w[3] + " handed off  ".len();
    // Bars too short to compare are left out rather than let the rows
    // overflow the width.
    let room = style.width.saturating_sub(before_bar);
    let bar_max = if room >= 10 { room.min(BAR) } else { 0 };
    for (row, n) in rows.iter().zip(&reached_n) {
        let bar = if top > 0.0 {
            "█".repeat(((n / top) * bar_max as f64).round() as usize)
        } else {
            String::new()
        };
        let line = format!(
            "  {}  {}  {}  {} handed off  {bar}",
            pad(&row[0], w[0], false),
            pad(&row[1], w[1], true),
            pad(&row[2], w[2], true),
            pad(&row[3], w[3], true),
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }

    let _ = writeln!(out, "\nOutcomes (share of cohort leads)");
    let w_outcome = Outcome::ALL.iter().map(|o| o.name().len()).max().unwrap_or(0);
    for o in Outcome::ALL {
        let share = get(&format!("share.{}", o.name()));
        let count = get(&format!("outcome.{}", o.name()));
        let _ = writeln!(
            out,
            "  {}  {:>6}  ({} leads)",
            pad(&style.name(o.name()), w_outcome, false),
            pct(share),
            count.map_or("n/a".into(), format::whole)
        );
    }

    let losses: f64 = Cause::ALL
        .iter()
        .filter_map(|c| get(&format!("blame.{}", c.name())))
        .sum();
    let _ = writeln!(
        out,
        "\nWho is to blame: what happened (proximate cause of {} lost leads)",
        format::whole(losses)
    );
    let mut blame = Table::new(vec![
        Column::left("", Column::ALWAYS),
        Column::left("", Column::ALWAYS),
        Column::right("", Column::ALWAYS),
        Column::right("", Column::ALWAYS),
    ]);
    for c in Cause::ALL {
        let n = r.mean_count(&format!("blame.{}", c.name()));
        let share = if losses > 0.0 { Some(n / losses) } else { None };
        blame.row(vec![
            style.name(c.name()),
            c.side().name().to_owned(),
            format::whole(n),
            pct(share),
        ]);
    }
    // The header row is empty: the title above says what the columns are.
    let blame = blame.render(style.width).text;
    out.push_str(blame.split_once('\n').map_or("", |(_, rows)| rows));
    let sides: Vec<String> = Side::ALL
        .iter()
        .map(|side| {
            let n = r.mean_count(&format!("blame_side.{}", side.name()));
            format!(
                "{} side {}",
                side.name(),
                pct(if losses > 0.0 { Some(n / losses) } else { None })
            )
        })
        .collect();
    let _ = writeln!(out, "  {}", sides.join(" · "));
    if let Some(cf) = run.counterfactual {
        counterfactual(&mut out, s, cf);
    }
    style.lay_out(&out)
}

/// A paired estimate as "+12.3 (+9.8 – +14.7)".
fn signed_with_ci(e: &Estimate) -> String {
    match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => {
            let (d, lo, hi) = format::difference_with_interval(Unit::Count, e.mean, lo, hi, 1);
            format!("{d} ({lo} – {hi})")
        }
        _ => format::difference(Unit::Count, e.mean, 1),
    }
}

/// The counterfactual ledger: what was avoidable, and by whom.
fn counterfactual(out: &mut String, s: &Scenario, cf: &Counterfactual) {
    let _ = writeln!(
        out,
        "\nWho could have won them: what was avoidable (the same buyers re-run, {} replication{})",
        cf.replications,
        if cf.replications == 1 { "" } else { "s" }
    );
    let _ = writeln!(out, "  {:<20}{:>9}   recovered (95% CI, paired)", "world", "won");
    for (w, won) in &cf.won {
        let recovered = cf.recovered_in(*w).map(signed_with_ci).unwrap_or_default();
        let line = format!("  {:<20}{:>9}   {recovered}", w.label(), value("won", won.mean));
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(
        out,
        "  split of the wins both could recover (Shapley): marketing {} · sales {}",
        signed_with_ci(&cf.marketing_share),
        signed_with_ci(&cf.sales_share)
    );
    let _ = writeln!(
        out,
        "  marketing perfect: {}; sales perfect: no wait, no queue, the approach each persona values most",
        cf.marketing_perfect_means(s)
    );
}

#[cfg(test)]
mod tests {
    use crate::output::format::human;

    #[test]
    fn human_numbers() {
        assert_eq!(human(1234567.4), "1,234,567");
        assert_eq!(human(-1234.0), "-1,234");
        assert_eq!(human(12.345), "12.3");
        assert_eq!(human(0.5), "0.500");
        assert_eq!(human(0.0), "0");
        assert_eq!(human(f64::NAN), "n/a");
    }
}
