//! The human-readable summary printed by `funnelsim run`.

use std::fmt::Write as _;

use super::Run;
use super::format::{self, human};
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

fn metric_line(out: &mut String, name: &str, label: &str, e: &Estimate) {
    let ci = match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => format!("{} – {}", value(name, Some(lo)), value(name, Some(hi))),
        _ if e.n == 0 => "n/a (never defined)".to_owned(),
        // Short enough for its column: the header says what it is.
        _ => "n/a (needs ≥ 2 runs)".to_owned(),
    };
    let range = match (e.p05, e.p95) {
        (Some(lo), Some(hi)) => format!("{} … {}", value(name, Some(lo)), value(name, Some(hi))),
        _ => "n/a".to_owned(),
    };
    let _ = writeln!(out, "  {label:<26}{:>12}   {ci:<26}{range}", value(name, e.mean));
}

/// The summary text.
pub fn summary(run: &Run<'_>) -> String {
    let s = run.scenario;
    let r = run.result;
    let get = |name: &str| r.estimate(name).and_then(|e| e.mean);
    let mut out = String::new();
    let _ = writeln!(out, "funnelsim · {}", s.name());
    let _ = writeln!(
        out,
        "  {} replication{} · seed {} · handoff {} · outreach {}",
        r.completed,
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

    let header = format!(
        "{:<28}{:>12}   {:<26}{}",
        "Key metrics (per window)", "mean", "95% CI of the mean", "p05 … p95 across replications"
    );
    let _ = writeln!(out, "\n{header}");
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
            metric_line(&mut out, name, &m.long_label(), e);
        }
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
    for (i, st) in s.stage_names().enumerate() {
        let reached = r.mean_count(&format!("reached.{st}"));
        let bar = if top > 0.0 {
            "█".repeat(((reached / top) * 30.0).round() as usize)
        } else {
            String::new()
        };
        let conv = if i == 0 {
            String::new()
        } else {
            format!("{:>7}", pct(get(&format!("conversion.{st}"))))
        };
        let handed = r.mean_count(&format!("handoffs.{st}"));
        let _ = writeln!(
            out,
            "  {st:<24}{:>9} {conv:>7}  {:>8} handed off  {bar}",
            human(reached),
            human(handed)
        );
    }

    let _ = writeln!(out, "\nOutcomes (share of cohort leads)");
    for o in Outcome::ALL {
        let share = get(&format!("share.{}", o.name()));
        let count = get(&format!("outcome.{}", o.name()));
        let _ = writeln!(
            out,
            "  {:<18}{:>7}  ({} leads)",
            o.name(),
            pct(share),
            count.map_or("n/a".into(), human)
        );
    }

    let losses: f64 = Cause::ALL
        .iter()
        .filter_map(|c| get(&format!("blame.{}", c.name())))
        .sum();
    let _ = writeln!(
        out,
        "\nWho is to blame: what happened (proximate cause of {} lost leads)",
        human(losses)
    );
    for c in Cause::ALL {
        let n = r.mean_count(&format!("blame.{}", c.name()));
        let share = if losses > 0.0 { Some(n / losses) } else { None };
        let _ = writeln!(
            out,
            "  {:<20}{:<11}{:>9}  {:>6}",
            c.name(),
            c.side().name(),
            human(n),
            pct(share)
        );
    }
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
    out
}

/// A paired estimate as "+12.3 (9.8 – 14.7)".
fn signed_with_ci(e: &Estimate) -> String {
    let d = |x| format::difference(Unit::Count, x, 1);
    match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => format!("{} ({} – {})", d(e.mean), d(Some(lo)), d(Some(hi))),
        _ => d(e.mean),
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
    use super::human;

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
