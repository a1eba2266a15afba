//! The self-contained HTML report: headline numbers with intervals, every
//! chart as inline SVG, a plain-language narrative generated from the data,
//! and, with several scenarios, the paired comparison.
//!
//! The page loads nothing: CSS is inline, charts are inline SVG, and the font
//! (DejaVu Sans, cut down to the characters the page uses) is embedded as a
//! data URI, so it reads the same from a USB stick on any machine. Every piece of text that comes from a scenario file
//! is HTML-escaped.

use std::fmt::Write as _;

use super::Run;
use super::charts::Chart;
use super::compare::Versus;
use super::format::{self, human, percent};
use super::terminal::window_sentence;
use crate::model::outcome::{Cause, Outcome, Side};
use crate::model::scenario::Scenario;
use crate::sim::metrics::{Metric, Unit};
use crate::sim::stats::Estimate;
use crate::study::blame::{Counterfactual, World};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(x: f64) -> String {
    percent(x, 0)
}

fn pct1(x: f64) -> String {
    percent(x, 1)
}

/// What an estimate's 95% interval (or, without one, its mean) says about
/// the sign of the quantity.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sign {
    Positive,
    Negative,
    /// The interval includes zero, or the mean is zero or undefined.
    Unclear,
}

fn sign(e: &Estimate) -> Sign {
    let (lo, hi) = match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => (lo, hi),
        _ => match e.mean {
            Some(m) => (m, m),
            None => return Sign::Unclear,
        },
    };
    if lo > 0.0 {
        Sign::Positive
    } else if hi < 0.0 {
        Sign::Negative
    } else {
        Sign::Unclear
    }
}

/// "95% CI a – b" of an estimate, each end through `f`; `None` without an
/// interval.
fn ci_text(e: &Estimate, f: impl Fn(f64) -> String) -> Option<String> {
    match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => Some(format!("95% CI {} – {}", f(lo), f(hi))),
        _ => None,
    }
}

/// A signed count: "+12.3", "-4", "0".
fn signed(x: f64) -> String {
    format::difference(Unit::Count, Some(x), 1)
}

/// `x` with its interval in parentheses: "196 (95% CI 193 – 199)"; `x`
/// alone without an interval.
fn with_ci(x: &str, e: &Estimate, f: impl Fn(f64) -> String) -> String {
    match ci_text(e, f) {
        Some(ci) => format!("{x} ({ci})"),
        None => x.to_owned(),
    }
}

/// Whether an estimate is exactly zero in every replication (its mean and
/// interval, when it has one, are all 0).
fn nil(e: &Estimate) -> bool {
    e.mean == Some(0.0) && e.ci_low.unwrap_or(0.0) == 0.0 && e.ci_high.unwrap_or(0.0) == 0.0
}

/// What a perfect world does to the deals won, as the end of "perfect
/// marketing …": "would have won 196 more deals (95% CI 193 – 199)", "… fewer
/// …", "would have made no difference", or "would have made no clear
/// difference (…)" when the interval includes zero. With `elide`, a clear
/// change drops "would have won" and "deals", to follow an earlier clear
/// clause ("and perfect sales 28.2 more").
fn won_clause(e: &Estimate, elide: bool) -> String {
    let m = e.mean.unwrap_or(f64::NAN);
    let (lead, deals) = if elide {
        ("", "")
    } else {
        ("would have won ", " deals")
    };
    match sign(e) {
        Sign::Positive => format!(
            "{lead}{}",
            with_ci(&format!("{} more{deals}", human(m)), e, human)
        ),
        // Fewer: the interval's ends as positive numbers, low to high.
        Sign::Negative => {
            let fewer = format!("{} fewer{deals}", human(-m));
            match (e.ci_low, e.ci_high) {
                (Some(lo), Some(hi)) => {
                    format!("{lead}{fewer} (95% CI {} – {})", human(-hi), human(-lo))
                }
                _ => format!("{lead}{fewer}"),
            }
        }
        Sign::Unclear if nil(e) => "would have made no difference".to_owned(),
        Sign::Unclear => format!(
            "would have made no clear difference ({} deals{})",
            signed(m),
            ci_text(e, signed).map_or(String::new(), |ci| format!(", {ci}"))
        ),
    }
}

/// The counterfactual findings as plain sentences (unescaped); `None` when
/// the study ran no replication. Claims only what the paired intervals
/// show: a change whose interval includes zero is "no clear difference",
/// and a negative Shapley share means the scenario already does better than
/// that side's perfect reference.
fn counterfactual_sentences(cf: &Counterfactual) -> Option<String> {
    let rec = |w: World| cf.recovered_in(w).filter(|e| e.mean.is_some_and(f64::is_finite));
    let (marketing, sales, both) = (
        rec(World::MarketingPerfect)?,
        rec(World::SalesPerfect)?,
        rec(World::BothPerfect)?,
    );
    let mut text = format!(
        "Re-running the same buyers ({} replication{}), perfect marketing {} and perfect sales {}.",
        cf.replications,
        if cf.replications == 1 { "" } else { "s" },
        won_clause(marketing, false),
        won_clause(sales, sign(marketing) != Sign::Unclear),
    );
    let k = both.mean.unwrap_or(f64::NAN);
    if nil(both) {
        text.push_str(" Even both together would win no more deals than the scenario as is.");
        return Some(text);
    }
    if sign(both) != Sign::Positive {
        let _ = write!(
            text,
            " Even both together would not clearly win more deals than the scenario as is ({} deals{}), so there are no recoverable wins to split.",
            signed(k),
            ci_text(both, signed).map_or(String::new(), |ci| format!(", {ci}"))
        );
        return Some(text);
    }
    let share = |e: &Estimate| with_ci(&e.mean.map_or("n/a".to_owned(), human), e, human);
    let _ = write!(
        text,
        " Of the {} wins both together could recover{}, a Shapley split credits marketing with {} and sales with {}.",
        human(k),
        ci_text(both, human).map_or(String::new(), |ci| format!(" ({ci})")),
        share(&cf.marketing_share),
        share(&cf.sales_share),
    );
    for (side, e) in [("marketing", &cf.marketing_share), ("sales", &cf.sales_share)] {
        if sign(e) == Sign::Negative {
            let _ = write!(
                text,
                " On the {side} side the scenario already does better than the \u{201c}{side} perfect\u{201d} reference."
            );
        }
    }
    Some(text)
}

/// Plain-language findings for one run, computed from its means. Returned
/// unescaped; the caller escapes.
pub fn narrative(run: &Run<'_>) -> Vec<String> {
    let s = run.scenario;
    let r = run.result;
    // Means of metrics every run reports (a misspelt name panics; an
    // undefined ratio, e.g. a win rate with no decisions, reads 0).
    let get = |n: &str| r.mean_count(n);
    let mut out = Vec::new();
    let leads = get("leads");
    if leads <= 0.0 {
        out.push("No leads were captured in the measurement window.".to_owned());
        return out;
    }

    // Handoffs while buyers were still educating themselves.
    let early: Vec<&crate::model::stage::Stage> = s.stages.iter().filter(|st| st.receptivity < 0.5).collect();
    let early_handoffs: f64 = early.iter().map(|st| get(&format!("handoffs.{}", st.name))).sum();
    let premature = get("blame.premature_handoff");
    if early_handoffs >= 1.0 {
        let names: Vec<String> = early.iter().map(|st| st.name.replace('_', " ")).collect();
        let stage_list = match names.len() {
            1 => names[0].clone(),
            _ => format!(
                "{} or {}",
                names[..names.len() - 1].join(", "),
                names[names.len() - 1]
            ),
        };
        // Handoffs, not leads: a lead recycled to marketing and handed off
        // again counts once per handoff, so this can exceed the leads.
        out.push(format!(
            "{} handoffs reached sales while buyers were still {} (stages where fewer than half of buyers welcome a sales call; {} leads in all, and a lead handed off again after recycling counts again); {} leads ({} of those handoffs) went dark after an unwelcome {} call that came too early.",
            human(early_handoffs),
            stage_list,
            human(leads),
            human(premature),
            pct((premature / early_handoffs).min(1.0)),
            s.approach_name().replace('_', "-"),
        ));
    } else {
        out.push(format!(
            "Almost no lead reached sales before it was ready: {} handoffs in all, none to speak of in the early stages.",
            human(get("handoffs"))
        ));
    }

    // Where the funnel leaks most.
    let names: Vec<&str> = s.stage_names().collect();
    if let Some((i, conv)) = (1..names.len())
        .filter_map(|i| {
            r.estimate(&format!("conversion.{}", names[i]))
                .and_then(|e| e.mean)
                .map(|c| (i, c))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
    {
        out.push(format!(
            "The funnel leaks most between {} and {}: only {} of buyers move on.",
            names[i - 1].replace('_', " "),
            names[i].replace('_', " "),
            pct(conv)
        ));
    }

    // Who is to blame.
    let losses: f64 = Cause::ALL
        .iter()
        .map(|c| get(&format!("blame.{}", c.name())))
        .sum();
    if losses > 0.0 {
        let side = |sd: Side| get(&format!("blame_side.{}", sd.name())) / losses;
        let top = Cause::ALL
            .iter()
            .max_by(|a, b| {
                get(&format!("blame.{}", a.name())).total_cmp(&get(&format!("blame.{}", b.name())))
            })
            .copied()
            .unwrap_or(Cause::BuyerStalled);
        out.push(format!(
            "Of {} lost leads, {} trace back to marketing-side causes, {} to sales-side causes and {} to the buyers' own choices. The largest single cause is {} ({} leads).",
            human(losses),
            pct(side(Side::Marketing)),
            pct(side(Side::Sales)),
            pct(side(Side::Buyer)),
            top.name().replace('_', " "),
            human(get(&format!("blame.{}", top.name())))
        ));
    }
    if let Some(text) = run.counterfactual.and_then(counterfactual_sentences) {
        out.push(text);
    }

    // Speed to lead.
    if get("touches") > 0.0 {
        out.push(format!(
            "Sales made its first touch {} days after handoff on average; {} leads went dark mainly because they had raised a hand and cooled before sales answered, and {} because the approach did not match what they value.",
            human(get("response_days")),
            human(get("blame.slow_response")),
            human(get("blame.approach_mismatch")),
        ));
    }

    // Bottom line: spend only when the costs are the company's own.
    let won = format!(
        "In the end {} deals were won: {} of leads and {} of decided buyers.",
        human(get("won")),
        pct1(get("close_rate")),
        pct1(get("win_rate")),
    );
    out.push(if run.scenario.costs_known() {
        format!(
            "{won} Revenue {} against spend {} (marketing {}, sales {}).",
            human(get("revenue")),
            human(get("total_spend")),
            human(get("marketing_spend")),
            human(get("sales_spend")),
        )
    } else {
        format!(
            "{won} Revenue {}; the costs are unknown, so spend is not shown.",
            human(get("revenue"))
        )
    });
    out
}

fn card(label: &str, e: Option<&Estimate>, percent: bool) -> String {
    let f = |x: f64| if percent { pct1(x) } else { human(x) };
    let (value, ci) = match e {
        Some(e) => (
            e.mean.map_or("n/a".to_owned(), f),
            match (e.ci_low, e.ci_high) {
                (Some(lo), Some(hi)) => format!("95% CI {} – {}", f(lo), f(hi)),
                _ => "interval n/a".to_owned(),
            },
        ),
        None => ("n/a".to_owned(), String::new()),
    };
    card_text(label, &value, &ci)
}

/// A headline card of text: its label, the value and a line beneath.
fn card_text(label: &str, value: &str, beneath: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"ci\">{}</div></div>",
        escape(label),
        escape(value),
        escape(beneath)
    )
}

fn figure(c: &Chart) -> String {
    format!(
        "<figure class=\"chart\" id=\"chart-{}\"><figcaption>{}</figcaption>{}</figure>",
        escape(&c.name),
        escape(&c.title),
        // Drop the XML prolog: the SVG is inlined into HTML.
        c.svg
            .trim_start()
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            .unwrap_or(&c.svg)
    )
}

/// The proximate-cause ledger: what happened to each lost lead, by cause
/// and side (means over replications). `id` is the element id, unique in
/// the page.
fn proximate_ledger(out: &mut String, id: &str, run: &Run<'_>) {
    let r = run.result;
    let n = |name: String| r.mean_count(&name);
    let losses: f64 = Cause::ALL.iter().map(|c| n(format!("blame.{}", c.name()))).sum();
    let share = |x: f64| {
        if losses > 0.0 {
            pct1(x / losses)
        } else {
            "n/a".to_owned()
        }
    };
    let _ = write!(
        out,
        "<div class=\"ledger\" id=\"{}\"><h3>Who is to blame (proximate causes)</h3><p class=\"kicker\">The proximate-cause ledger: what happened</p><p class=\"meta\">The proximate cause of each of the {} lost leads, rolled up to the side that owns it.</p><table><tr><th>cause</th><th>side</th><th>lost leads</th><th>share of losses</th></tr>",
        escape(id),
        escape(&human(losses))
    );
    for c in Cause::ALL {
        let x = n(format!("blame.{}", c.name()));
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.name().replace('_', " ")),
            escape(c.side().name()),
            escape(&human(x)),
            escape(&share(x))
        );
    }
    for side in Side::ALL {
        let x = n(format!("blame_side.{}", side.name()));
        let _ = write!(
            out,
            "<tr class=\"{}\"><td>{} side</td><td></td><td>{}</td><td>{}</td></tr>",
            if side == Side::ALL[0] {
                "total first"
            } else {
                "total"
            },
            escape(side.name()),
            escape(&human(x)),
            escape(&share(x))
        );
    }
    let _ = write!(out, "</table></div>");
}

/// A paired difference and its interval as table cells: "+196" and
/// "+193 – +199".
fn signed_cells(e: &Estimate) -> (String, String) {
    let d = |x: Option<f64>| format::difference(Unit::Count, x, 1);
    let ci = match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => format!("{} – {}", d(Some(lo)), d(Some(hi))),
        _ => "n/a".to_owned(),
    };
    (d(e.mean), ci)
}

/// The counterfactual ledger: deals won in the four worlds, the wins each
/// perfect world recovers over "as is" (paired), and the Shapley split.
/// `id` is the element id, unique in the page.
fn counterfactual_ledger(out: &mut String, id: &str, s: &Scenario, cf: &Counterfactual) {
    let _ = write!(
        out,
        "<div class=\"ledger\" id=\"{}\"><h3>Who could have won the lost deals (counterfactual)</h3><p class=\"kicker\">The counterfactual ledger: what was avoidable</p><p class=\"meta\">The same buyers re-run in four worlds ({} replications, common random numbers); recovered wins are paired differences from \u{201c}as is\u{201d}.</p><table><tr><th>world</th><th>deals won</th><th>recovered vs as is</th><th>95% CI (paired)</th></tr>",
        escape(id),
        cf.replications
    );
    for (w, won) in &cf.won {
        let (mean, ci) = cf
            .recovered_in(*w)
            .map_or(("\u{2014}".to_owned(), String::new()), signed_cells);
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(w.label()),
            escape(&won.mean.map_or("n/a".to_owned(), human)),
            escape(&mean),
            escape(&ci)
        );
    }
    let _ = write!(
        out,
        "<tr class=\"group\"><th colspan=\"4\">Shapley split of the wins \u{201c}both perfect\u{201d} recovers</th></tr>"
    );
    for (side, e) in [("marketing", &cf.marketing_share), ("sales", &cf.sales_share)] {
        let (mean, ci) = signed_cells(e);
        let _ = write!(
            out,
            "<tr><td>{}</td><td></td><td>{}</td><td>{}</td></tr>",
            escape(side),
            escape(&mean),
            escape(&ci)
        );
    }
    let _ = write!(
        out,
        "</table><p class=\"meta\">{}</p></div>",
        escape(&format!(
            "Marketing perfect: {}. Sales perfect: no wait, no capacity queue, and the approach each persona values most. A negative share means the scenario already does better than that side\u{2019}s perfect reference.",
            cf.marketing_perfect_means(s).replace('_', " ")
        ))
    );
}

/// A comparison as a table: each metric's value in the baseline and the
/// candidate beside their paired difference, its interval, the relative
/// change and whether it is better or worse for the company (by the
/// metric's direction: a lower cost per win is better).
fn versus_table(out: &mut String, v: &Versus<'_>) {
    use super::compare::{diff, value};
    let _ = write!(
        out,
        "<table class=\"versus\"><tr><th>metric</th><th>{}</th><th>{}</th><th>difference</th><th>95% CI (paired)</th><th>change</th><th>verdict</th></tr>",
        escape(v.baseline),
        escape(v.candidate)
    );
    for c in v.rows {
        let d = &c.difference;
        let rel = match c.relative {
            Some(r) if r.is_finite() && r.abs() <= 10.0 => format!("{:+.0}%", r * 100.0),
            Some(r) if r > 10.0 => ">+999%".to_owned(),
            Some(r) if r < -10.0 => "<-999%".to_owned(),
            _ => "n/a".to_owned(),
        };
        let (class, verdict) = match super::charts::verdict(c) {
            Some(true) => ("better", "better"),
            Some(false) => ("worse", "worse"),
            None if c.is_clear() => ("", "changed"),
            None => ("", "no clear change"),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{} to {}</td><td class=\"{class}\">{}</td><td class=\"verdict {class}\">{verdict}</td></tr>",
            escape(&c.label),
            escape(&value(c.unit, c.baseline.mean)),
            escape(&value(c.unit, c.candidate.mean)),
            escape(&diff(c.unit, d.mean)),
            escape(&diff(c.unit, d.ci_low)),
            escape(&diff(c.unit, d.ci_high)),
            escape(&rel),
        );
    }
    let _ = write!(out, "</table>");
}

/// Handoffs to sales by the stage the buyer was in (means over
/// replications, with 95% CIs).
fn handoff_table(out: &mut String, run: &Run<'_>) {
    let r = run.result;
    let total = r.mean_count("handoffs");
    let _ = write!(
        out,
        "<h3>Handed off, by stage</h3><table class=\"handoffs\"><tr><th>stage at handoff</th><th>buyers who welcome a sales call</th><th>handoffs</th><th>95% CI</th><th>share of handoffs</th></tr>"
    );
    for st in &run.scenario.stages {
        let Some(e) = r.estimate(&format!("handoffs.{}", st.name)) else {
            continue;
        };
        let m = e.mean.unwrap_or(0.0);
        let ci = match (e.ci_low, e.ci_high) {
            (Some(lo), Some(hi)) => format!("{} – {}", human(lo), human(hi)),
            _ => "n/a".to_owned(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&st.name.replace('_', " ")),
            escape(&pct(st.receptivity)),
            escape(&human(m)),
            escape(&ci),
            escape(&if total > 0.0 {
                pct1(m / total)
            } else {
                "n/a".to_owned()
            }),
        );
    }
    let _ = write!(
        out,
        "<tr class=\"total first\"><td>all stages</td><td></td><td>{}</td><td></td><td></td></tr></table>",
        escape(&human(total))
    );
}

const CSS: &str = r#"
:root { --ink: #1d2433; --muted: #5b6478; --line: #d9dee8; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; font-family: FunnelsimSans, "DejaVu Sans", sans-serif; color: var(--ink); background: #f6f7fb; font-size: 18px; line-height: 1.5; }
svg text { font-family: FunnelsimSans, "DejaVu Sans", sans-serif; }
header { background: var(--ink); color: white; padding: 28px 5vw; }
header h1 { margin: 0 0 6px 0; font-size: 2rem; }
header p { margin: 0; color: #c9d2e3; }
main { padding: 12px 3vw 48px; margin: 0 auto; }
section { background: white; border: 1px solid var(--line); border-radius: 10px; padding: 20px 28px; margin: 24px 0; }
h2 { margin-top: 0; font-size: 1.6rem; }
.meta { color: var(--muted); font-size: 0.95rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px; margin: 18px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 0.9rem; }
.card .value { font-size: 1.7rem; font-weight: bold; }
.card .ci { color: var(--muted); font-size: 0.85rem; }
.story { font-size: 1.1rem; }
.story li { margin: 8px 0; }
.charts { display: grid; grid-template-columns: 1fr; gap: 18px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px; background: white; }
figure.chart figcaption { font-weight: bold; color: var(--muted); margin: 4px 6px 6px; }
figure.chart svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.clear { font-weight: bold; }
.ledgers { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 28px; margin: 18px 0; }
.ledger h3 { margin-bottom: 0; }
.ledger .kicker { margin: 2px 0 4px; color: var(--accent); font-weight: bold; }
.ledger .meta { margin: 4px 0 10px; }
tr.total td { color: var(--muted); }
tr.first td, tr.group th { border-top: 2px solid var(--line); }
tr.group th { text-align: left; padding-top: 14px; color: var(--muted); }
footer { color: var(--muted); font-size: 0.85rem; padding: 0 5vw 24px; }
.better { color: #007a5a; font-weight: bold; }
.worse { color: #b34700; font-weight: bold; }
.versus td.verdict, .versus th:last-child { text-align: left; }
@media (max-width: 700px) { .ledgers { grid-template-columns: 1fr; } body { font-size: 16px; } }
"#;

/// One scenario's section: its run and its charts.
pub struct ScenarioSection<'a> {
    /// The run.
    pub run: Run<'a>,
    /// Label used in comparisons ("A", "B", …).
    pub label: String,
    /// The overrides it ran with, as written (`--set` and its own).
    pub set: Vec<String>,
    /// The charts of the run.
    pub charts: Vec<Chart>,
}

/// The overrides of a scenario for a header: "" without any, else
/// " · set KEY=VALUE, KEY=VALUE".
pub fn set_note(set: &[String]) -> String {
    if set.is_empty() {
        String::new()
    } else {
        format!(" · set {}", set.join(", "))
    }
}

/// The whole report; `chain` when each scenario is compared with the one
/// before it rather than with the first.
pub fn html(sections: &[ScenarioSection<'_>], comparison: &[(Versus<'_>, Chart)], chain: bool) -> String {
    let mut out = String::new();
    let title = sections
        .iter()
        .map(|s| s.run.scenario.name())
        .collect::<Vec<_>>()
        .join(" vs ");
    let first = &sections[0].run;
    let _ = write!(
        out,
        "<header><h1>funnelsim report</h1><p>{} · {} replications · seed {} · {}</p></header>\n<main>\n",
        escape(&title),
        first.result.completed,
        first.scenario.seed().0,
        escape(&window_sentence(first.scenario))
    );

    if !comparison.is_empty() {
        let _ = write!(
            out,
            "<section id=\"comparison\"><h2>Comparison</h2><p class=\"meta\">Every scenario ran with the same seed and replications: replication k of each met the same buyers, so differences are paired replication by replication.</p><ul class=\"story\">"
        );
        for s in sections {
            let _ = write!(
                out,
                "<li><b>{}</b> = {}{}</li>",
                escape(&s.label),
                escape(s.run.scenario.name()),
                escape(&set_note(&s.set))
            );
        }
        let _ = write!(
            out,
            "</ul><p class=\"meta\">{}</p>",
            if chain {
                "Each scenario is compared with the one before it (--chain): each step of the story on its own."
            } else {
                "Each scenario is compared with the first, A."
            }
        );
        for (v, chart) in comparison {
            let _ = write!(
                out,
                "<h3>{} vs {}</h3><ul class=\"story\">",
                escape(v.candidate),
                escape(v.baseline)
            );
            for line in v.findings() {
                let _ = write!(out, "<li>{}</li>", escape(&line));
            }
            let _ = write!(out, "</ul>");
            versus_table(&mut out, v);
            let _ = write!(out, "<div class=\"charts\">{}</div>", figure(chart));
        }
        let _ = writeln!(out, "</section>");
    }

    for sec in sections {
        let s = sec.run.scenario;
        let r = sec.run.result;
        let _ = write!(
            out,
            "<section class=\"scenario\"><h2>{}{}</h2><p>{}</p><p class=\"meta\">handoff: {} · outreach: {}{} · {}</p>",
            if sections.len() > 1 {
                format!("{}: ", escape(&sec.label))
            } else {
                String::new()
            },
            escape(s.name()),
            escape(&s.spec().description),
            escape(s.handoff().name()),
            escape(s.approach_name()),
            escape(&set_note(&sec.set)),
            escape(&window_sentence(s)),
        );
        let _ = write!(out, "<div class=\"cards\">");
        for (label, name, percent) in [
            ("Leads", "leads", false),
            ("Deals won", "won", false),
            ("Close rate (won / leads)", "close_rate", true),
            ("Win rate (won / decided)", "win_rate", true),
            ("Revenue", "revenue", false),
            ("Cost per won deal", "cost_per_win", false),
            ("ROI", "roi", true),
            ("Sales cycle (days)", "cycle_days", false),
        ] {
            if !s.costs_known() && Metric::made_of_costs(name) {
                continue;
            }
            out.push_str(&card(label, r.estimate(name), percent));
        }
        if !s.costs_known() {
            out.push_str(&card_text(
                "Costs",
                "unknown",
                "placeholders, so spend, ROI and cost per win are not shown",
            ));
        }
        let _ = write!(out, "</div><h3>What the numbers say</h3><ul class=\"story\">");
        for line in narrative(&sec.run) {
            let _ = write!(out, "<li>{}</li>", escape(&line));
        }
        let _ = write!(
            out,
            "</ul><h3>Outcomes</h3><table><tr><th>outcome</th><th>share of leads</th><th>leads</th></tr>"
        );
        for o in Outcome::ALL {
            let share = r.estimate(&format!("share.{}", o.name())).and_then(|e| e.mean);
            let count = r.estimate(&format!("outcome.{}", o.name())).and_then(|e| e.mean);
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                o.name().replace('_', " "),
                share.map_or("n/a".into(), pct1),
                count.map_or("n/a".into(), human)
            );
        }
        let _ = write!(out, "</table>");
        handoff_table(&mut out, &sec.run);
        let _ = write!(out, "<div class=\"ledgers\">");
        // Ids unique in the page, suffixed like the charts' names.
        let suffix = if sections.len() > 1 {
            format!("-{}", sec.label)
        } else {
            String::new()
        };
        proximate_ledger(&mut out, &format!("ledger-proximate{suffix}"), &sec.run);
        if let Some(cf) = sec.run.counterfactual {
            counterfactual_ledger(&mut out, &format!("ledger-counterfactual{suffix}"), s, cf);
        }
        let _ = write!(out, "</div><div class=\"charts\">");
        for c in &sec.charts {
            out.push_str(&figure(c));
        }
        let _ = writeln!(out, "</div></section>");
    }
    let _ = write!(
        out,
        "</main>\n<footer>Generated by funnelsim {}. Figures are means over replications with 95% confidence intervals of the mean; bands are the 5th–95th percentiles across replications.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    // The font is cut down to the characters of the page (its text and the
    // charts' text), after the page is written.
    let face = super::font::face("FunnelsimSans", &super::font::text_chars(&out));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>funnelsim report: {}</title>\n<style>\n{face}\n{CSS}</style>\n</head>\n<body>\n{out}",
        escape(&title)
    )
}

#[cfg(test)]
mod tests {
    use super::escape;
    use super::*;
    use crate::study::blame::Timing;

    /// A ledger whose per-replication wins in the four worlds are `won`.
    fn ledger(won: &[[f64; 4]]) -> Counterfactual {
        let col =
            |f: &dyn Fn(&[f64; 4]) -> f64| Estimate::from_values(&won.iter().map(f).collect::<Vec<_>>());
        let gain = |w: &[f64; 4], i: usize| w[i] - w[0];
        Counterfactual {
            replications: won.len() as u32,
            lost: col(&|_| 100.0),
            won: World::ALL
                .iter()
                .enumerate()
                .map(|(i, &w)| (w, col(&|r| r[i])))
                .collect(),
            recovered: World::ALL
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, &w)| (w, col(&|r| gain(r, i))))
                .collect(),
            marketing_share: col(&|r| 0.5 * gain(r, 1) + 0.5 * (gain(r, 3) - gain(r, 2))),
            sales_share: col(&|r| 0.5 * gain(r, 2) + 0.5 * (gain(r, 3) - gain(r, 1))),
            marketing_timing: Timing::FramingStage,
            both_timing: Timing::FramingStage,
            won_per_replication: won.to_vec(),
        }
    }

    fn sentences(cf: &Counterfactual) -> String {
        counterfactual_sentences(cf).expect("replications")
    }

    #[test]
    fn counterfactual_sentence_states_clear_gains_with_intervals() {
        let text = sentences(&ledger(&[
            [10.0, 30.0, 15.0, 40.0],
            [12.0, 31.0, 18.0, 43.0],
            [11.0, 32.0, 16.0, 41.0],
        ]));
        assert!(text.starts_with("Re-running the same buyers (3 replications), perfect marketing would have won 20 more deals (95% CI "), "{text}");
        assert!(text.contains("and perfect sales 5.33 more (95% CI "), "{text}");
        assert!(
            text.contains("Of the 30.3 wins both together could recover (95% CI "),
            "{text}"
        );
        assert!(
            text.contains("a Shapley split credits marketing with 22.5 (95% CI "),
            "{text}"
        );
        assert!(!text.contains("already does better"), "{text}");
    }

    #[test]
    fn counterfactual_sentence_claims_no_more_than_the_numbers_show() {
        // Sales perfect loses deals; the marketing gain is not clear.
        let text = sentences(&ledger(&[
            [10.0, 13.0, 5.0, 12.0],
            [11.0, 9.0, 5.0, 13.0],
            [12.0, 12.0, 6.0, 14.0],
            [13.0, 15.0, 8.0, 15.0],
            [14.0, 11.0, 9.0, 16.0],
            [15.0, 16.0, 9.0, 17.0],
        ]));
        assert!(
            text.contains("perfect marketing would have made no clear difference (+0.167 deals, 95% CI "),
            "{text}"
        );
        assert!(
            text.contains("perfect sales would have won 5.50 fewer deals (95% CI "),
            "{text}"
        );
        assert!(text.contains("On the sales side the scenario already does better than the \u{201c}sales perfect\u{201d} reference."), "{text}");
        assert!(!text.contains("On the marketing side"), "{text}");
        // Nothing to recover at all.
        let text = sentences(&ledger(&[[10.0; 4], [12.0; 4]]));
        assert!(text.contains("perfect marketing would have made no difference and perfect sales would have made no difference."), "{text}");
        assert!(
            text.contains("Even both together would win no more deals than the scenario as is."),
            "{text}"
        );
        // No clear total: nothing to split.
        let text = sentences(&ledger(&[
            [10.0, 11.0, 10.0, 12.0],
            [12.0, 11.0, 12.0, 11.0],
            [11.0; 4],
        ]));
        assert!(
            text.contains("Even both together would not clearly win more deals than the scenario as is (+0.333 deals, 95% CI "),
            "{text}"
        );
        assert!(!text.contains("Shapley"), "{text}");
        assert!(!text.contains("Shapley"), "{text}");
        // One replication: no intervals, means only.
        let text = sentences(&ledger(&[[10.0, 15.0, 12.0, 20.0]]));
        assert!(
            text.starts_with("Re-running the same buyers (1 replication),"),
            "{text}"
        );
        assert!(!text.contains("CI"), "{text}");
        assert!(
            text.contains("would have won 5 more deals and perfect sales 2 more."),
            "{text}"
        );
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"
        );
    }
}
