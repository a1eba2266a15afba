//! The self-contained HTML report: headline numbers with intervals, every
//! chart as inline SVG, a plain-language narrative generated from the data,
//! and, with several scenarios, the paired comparison.
//!
//! The page loads nothing: CSS is inline, charts are inline SVG, and the font
//! (DejaVu Sans) is embedded as a data URI, so it reads the same from a USB
//! stick on any machine. Every piece of text that comes from a scenario file
//! is HTML-escaped.

use std::fmt::Write as _;

use base64::Engine as _;

use super::Run;
use super::charts::Chart;
use super::compare::Versus;
use super::format::{human, percent};
use super::terminal::window_sentence;
use crate::model::outcome::{Cause, Outcome, Side};
use crate::sim::stats::Estimate;

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
        out.push(format!(
            "{} of {} leads reached sales while still {} (stages where fewer than half of buyers welcome a sales call); {} of them went dark after an unwelcome {} call.",
            human(early_handoffs),
            human(leads),
            stage_list,
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

    // Speed to lead.
    if get("touches") > 0.0 {
        out.push(format!(
            "Sales made its first touch {} days after handoff on average; {} leads went dark mainly because they had gone cold waiting, and {} because the approach did not match what they value.",
            human(get("response_days")),
            human(get("blame.slow_response")),
            human(get("blame.approach_mismatch")),
        ));
    }

    // Bottom line.
    out.push(format!(
        "In the end {} deals were won: {} of leads and {} of decided buyers. Revenue {} against spend {} (marketing {}, sales {}).",
        human(get("won")),
        pct1(get("close_rate")),
        pct1(get("win_rate")),
        human(get("revenue")),
        human(get("total_spend")),
        human(get("marketing_spend")),
        human(get("sales_spend")),
    ));
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
    format!(
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"ci\">{}</div></div>",
        escape(label),
        escape(&value),
        escape(&ci)
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

const CSS: &str = r#"
:root { --ink: #1d2433; --muted: #5b6478; --line: #d9dee8; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; font-family: FunnelsimSans, "DejaVu Sans", sans-serif; color: var(--ink); background: #f6f7fb; font-size: 18px; line-height: 1.5; }
svg text { font-family: FunnelsimSans, "DejaVu Sans", sans-serif; }
header { background: var(--ink); color: white; padding: 28px 5vw; }
header h1 { margin: 0 0 6px 0; font-size: 2rem; }
header p { margin: 0; color: #c9d2e3; }
main { padding: 12px 5vw 48px; max-width: 1400px; margin: 0 auto; }
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
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 18px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px; background: white; }
figure.chart figcaption { font-weight: bold; color: var(--muted); margin: 4px 6px 6px; }
figure.chart svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.clear { font-weight: bold; }
footer { color: var(--muted); font-size: 0.85rem; padding: 0 5vw 24px; }
@media (max-width: 700px) { .charts { grid-template-columns: 1fr; } body { font-size: 16px; } }
"#;

/// One scenario's section: its run and its charts.
pub struct ScenarioSection<'a> {
    /// The run.
    pub run: Run<'a>,
    /// Label used in comparisons ("A", "B", …).
    pub label: String,
    /// The charts of the run.
    pub charts: Vec<Chart>,
}

/// The whole report.
pub fn html(sections: &[ScenarioSection<'_>], comparison: &[(Versus<'_>, Chart)]) -> String {
    let mut out = String::new();
    let title = sections
        .iter()
        .map(|s| s.run.scenario.name())
        .collect::<Vec<_>>()
        .join(" vs ");
    let font = base64::engine::general_purpose::STANDARD.encode(dejavu::sans::regular());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>funnelsim report: {}</title>\n<style>\n@font-face {{ font-family: FunnelsimSans; src: url(data:font/ttf;base64,{font}) format(\"truetype\"); }}\n{CSS}</style>\n</head>\n<body>\n",
        escape(&title)
    );
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
                "<li><b>{}</b> = {}</li>",
                escape(&s.label),
                escape(s.run.scenario.name())
            );
        }
        let _ = write!(out, "</ul>");
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
            let _ = write!(out, "</ul><div class=\"charts\">{}</div>", figure(chart));
        }
        let _ = writeln!(out, "</section>");
    }

    for sec in sections {
        let s = sec.run.scenario;
        let r = sec.run.result;
        let _ = write!(
            out,
            "<section class=\"scenario\"><h2>{}{}</h2><p>{}</p><p class=\"meta\">handoff: {} · outreach: {} · {}</p>",
            if sections.len() > 1 {
                format!("{}: ", escape(&sec.label))
            } else {
                String::new()
            },
            escape(s.name()),
            escape(&s.spec().description),
            escape(s.handoff().name()),
            escape(s.approach_name()),
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
            out.push_str(&card(label, r.estimate(name), percent));
        }
        let _ = write!(out, "</div><h3>What happened</h3><ul class=\"story\">");
        for line in narrative(&sec.run) {
            let _ = write!(out, "<li>{}</li>", escape(&line));
        }
        let _ = write!(
            out,
            "</ul><h3>Outcomes and blame</h3><table><tr><th>outcome</th><th>share of leads</th><th>leads</th></tr>"
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
        let _ = write!(out, "</table><div class=\"charts\">");
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
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"
        );
    }
}
