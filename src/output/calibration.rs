//! Calibration edges: the fitted scenario as a commented TOML file, and the
//! fit report people read before trusting it.

use std::fmt::Write;

use serde_json::{Map, Value, json};

use crate::calibration::costs::Costs;
use crate::calibration::estimate::{
    ARRIVAL_PERIOD_DAYS, ArrivalFit, Calibration, Check, MIN_STAYS, POOR_FIT_Z,
};
use crate::calibration::fit::{DwellFit, Positive, Proportion};
use crate::calibration::history::{Cleaning, LeftCut, Staleness, Window};
use crate::calibration::live::{Intercepts, LiveFit};
use crate::calibration::survival::{self, DEPART_Z, KaplanMeier, Point};
use crate::calibration::vocabulary::looks_like_outcome;
use crate::input::crm::{History, Layout, format_time, format_time_as};
use crate::model::scenario::spec::{
    HandoffSpec, MarketingSpec, OutreachSpec, default_segments, default_stages,
};
use crate::output::format::{human, percent};
use crate::output::text::{Column as Col, Style, Table};

/// Where a calibration came from, for the file header and the report.
pub struct Provenance<'a> {
    /// The history file as the user named it.
    pub history: &'a str,
    /// As-of time, days since 1970-01-01.
    pub as_of: f64,
    /// The company's costs and the file they came from, if given
    /// (`--costs`); without them the costs are marked unknown.
    pub costs: Option<(&'a str, &'a Costs)>,
    /// The part of the history trusted (`--since`, `--stale-after`).
    pub window: Window,
}

impl Provenance<'_> {
    /// `--since` and `--stale-after` as given, for the file header and the
    /// report; empty when neither was.
    fn window_flags(&self) -> String {
        let mut flags = Vec::new();
        if let Some(t) = self.window.since {
            // As a shell argument: a date alone when it is one.
            let when = if t.fract() == 0.0 {
                format_time_as(t, "%Y-%m-%d")
            } else {
                format!("'{}'", format_time(t))
            };
            flags.push(format!("--since {when}"));
        }
        if let Some(d) = self.window.stale_after {
            flags.push(format!("--stale-after {d}"));
        }
        flags.join(" ")
    }
}

/// Shortest text that reads back as the same `f64`, for TOML values.
fn exact(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// Three significant figures, for comments and the report.
fn sig(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    if x.abs() >= 1000.0 {
        human(x.round())
    } else {
        format!("{x:.digits$}")
    }
}

fn positive(p: &Positive) -> String {
    format!(
        "{} ± {} [{}, {}]",
        sig(p.value),
        sig(p.se),
        sig(p.ci_low),
        sig(p.ci_high)
    )
}

fn proportion(p: &Proportion) -> String {
    format!(
        "{} ± {} [{}, {}]",
        sig(p.value),
        sig(p.se),
        sig(p.ci_low),
        sig(p.ci_high)
    )
}

/// A fitted probability as a commented `key = value` pair: the comment
/// gives the estimate, its error, the interval and "k `of` n `what`".
fn fitted_share(t: &mut String, key: &str, p: &Proportion, of: &str, what: &str) {
    let _ = writeln!(t, "# {key} {} ({} {of} {} {what})", proportion(p), p.k, p.n);
    let _ = writeln!(t, "{key} = {}", exact(p.value));
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A channel kind guessed from a source name (kinds only label reports).
fn guess_kind(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if has(&["trade", "show", "event", "conference", "expo"]) {
        "trade_show"
    } else if has(&["referr", "partner"]) {
        "referral"
    } else if has(&["list"]) {
        "rented_list"
    } else if has(&["mail"]) {
        "direct_mail"
    } else if has(&["tele", "call", "outbound", "cold"]) {
        "telemarketing"
    } else if has(&["media", "press", "pr_", "news"]) {
        "media"
    } else {
        "inbound_content"
    }
}

/// `ln p` as a choice utility; a share never observed becomes very unlikely
/// instead of impossible (utilities must be finite).
fn utility(p: &Proportion) -> (f64, &'static str) {
    if p.k == 0 {
        (-30.0, "  # never observed: effectively impossible")
    } else {
        (p.value.ln(), "")
    }
}

/// The first words of every fitted scenario: how `calibrate` recognises a
/// file it wrote (and may replace without `--force`).
pub const HEADER: &str = "# Calibrated by `funnelsim calibrate` from ";

/// A live calibration's parts of the scenario file ([`crate::calibration::live`]).
pub struct Live<'a> {
    /// The fitted intercepts.
    pub intercepts: Intercepts,
    /// The current policy as TOML sections (`[marketing]`, `[handoff]`,
    /// `[outreach]`), once the `--set` assignments are applied; `None` for
    /// the file they are applied to (default policy sections).
    pub policy: Option<&'a str>,
    /// The `--set` assignments that state the current policy.
    pub set: &'a [String],
}

/// The fitted scenario as a commented TOML file that every command accepts:
/// neutral (sales changes nothing, so the journey is the history's), or
/// with the policy mechanisms `live`.
pub fn scenario_toml(cal: &Calibration, from: &Provenance<'_>, live: Option<&Live<'_>>) -> String {
    let mut t = String::new();
    let file_name = std::path::Path::new(from.history)
        .file_name()
        .map_or(from.history.to_owned(), |f| f.to_string_lossy().into_owned());
    let n_stages = cal.stages.len();
    let _ = writeln!(
        t,
        "{HEADER}{} as of {}.\n\
         # {} opportunities over {} days; {} still open were treated as right-censored.\n\
         # Each fitted value has a comment: estimate ± standard error [95% confidence\n\
         # interval] and the sample it came from. What stage history cannot tell —\n\
         # receptivity, what buyers value, how they respond to sales touches — is\n\
         {}\n",
        from.history,
        format_time(from.as_of),
        human(cal.opportunities as f64),
        sig(cal.span_days),
        human(cal.open as f64),
        match live {
            None => "# set neutral, so this scenario reproduces the history's funnel (see the fit\n\
                     # report), and policies have no effect on it: to explore policies, calibrate\n\
                     # with --live."
                .to_owned(),
            Some(l) => format!(
                "# left to the model's mechanisms, which stay live: the company's current policy\n\
                 # ({}) is in force, and the buyer's own stalls, pace and\n\
                 # preference for us are fitted so that it reproduces the history (see the fit\n\
                 # report).",
                if l.set.is_empty() {
                    "the default policy".to_owned()
                } else {
                    format!("--set {}", l.set.join(" --set "))
                }
            ),
        }
    );
    let flags = from.window_flags();
    if !flags.is_empty() {
        let _ = writeln!(t, "# Read with {flags} (see the fit report's cleaning notes).\n");
    }
    let _ = writeln!(t, "name = {}", quoted(&format!("Calibrated: {file_name}")));
    let _ = writeln!(
        t,
        "description = {}",
        quoted(&format!(
            "Fitted to {} ({} opportunities, {} days to {}).",
            file_name,
            human(cal.opportunities as f64),
            sig(cal.span_days),
            format_time(from.as_of)
        ))
    );
    // What stage history cannot identify is said so in the file, where
    // every command sees it: with unknown costs, spend, profit, ROI and
    // cost per win are placeholders that no command ranks or optimises.
    let mut unknown = vec!["\"response\"", "\"values\"", "\"receptivity\""];
    if from.costs.is_none() {
        unknown.insert(0, "\"costs\"");
    }
    let _ = writeln!(
        t,
        "# Not in the history, so set to stated defaults: how buyers respond to sales,\n\
         # what they value, how receptive each stage is{}.\n\
         unknown = [{}]\n",
        if from.costs.is_none() {
            ", and every cost (give them with\n# `funnelsim calibrate --costs FILE`)"
        } else {
            ""
        },
        unknown.join(", ")
    );
    // The history's own window, so `run` speaks of the company as recorded:
    // the pipeline starts empty at the first entry (as the file does), leads
    // arrive for the whole span, and deals still open at the as-of time stay
    // open. Cycle time, wins and the funnel are then comparable with it.
    let _ = writeln!(
        t,
        "# The history's window: {} days from its first entry to the as-of time, with no\n\
         # warm-up (the file starts with an empty pipeline too) and no run-off (deals open\n\
         # at the as-of time stay open), so `run` reports what the history shows. Add a\n\
         # warm-up and a run-off to look past it.\n\
         [simulation]\nseed = 1\nreplications = 200\nwarmup_days = 0.0\nhorizon_days = {}\nrunoff_days = 0.0\nsnapshot_every_days = 7.0",
        sig(cal.span_days),
        exact(cal.span_days.round().max(1.0)),
    );

    // Receptivity: not observable; the default journey's ramp, stretched
    // over however many stages there are.
    let ramp: Vec<f64> = default_stages().iter().map(|s| s.receptivity).collect();
    for (i, st) in cal.stages.iter().enumerate() {
        let pos = if n_stages > 1 {
            i as f64 / (n_stages - 1) as f64
        } else {
            1.0
        };
        let receptivity = ramp[(pos * (ramp.len() - 1) as f64).round() as usize];
        let best = st.dwell.best();
        let _ = writeln!(t, "\n[[stages]]\nname = {}", quoted(&st.name));
        let margin = match (st.dwell.aic_margin(), st.dwell.fits.get(1)) {
            (Some(m), Some(next)) => format!("; AIC {} lower than {}", sig(m), next.family.name()),
            _ => String::new(),
        };
        let _ = writeln!(
            t,
            "# dwell: {} (lowest AIC{margin}); {} completed stays, {} censored (still open, or disqualified)",
            best.family.name(),
            st.dwell.events,
            st.dwell.censored
        );
        if st.sparse() {
            let _ = writeln!(
                t,
                "# WARNING: fewer than {MIN_STAYS} completed stays; a rough estimate"
            );
        }
        let shape_note = match (best.family.shape_key(), best.shape) {
            (Some(k), Some(p)) => format!("; {k} {}", positive(&p)),
            _ => String::new(),
        };
        let _ = writeln!(t, "#   mean_days {}{shape_note}", positive(&best.mean_days));
        let shape = match (best.family.shape_key(), best.shape) {
            (Some(k), Some(p)) => format!(", {k} = {}", exact(p.value)),
            _ => String::new(),
        };
        let x = live.map(|l| l.intercepts);
        if let Some(x) = x {
            let _ = writeln!(t, "#   × {} (the live fit's pace)", sig(x.dwell_scale));
        }
        let _ = writeln!(
            t,
            "dwell = {{ distribution = \"{}\", mean_days = {}{shape} }}",
            best.family.name(),
            exact(best.mean_days.value * x.map_or(1.0, |x| x.dwell_scale))
        );
        if i + 1 < n_stages {
            match x {
                None => fitted_share(&mut t, "stall_probability", &st.stall, "stalls of", "ended stays"),
                Some(x) => {
                    let _ = writeln!(
                        t,
                        "# stall_probability {} of {} ended stays × {} (the live fit's share of stalls\n\
                         # that are the buyer's own, not caused by sales)",
                        proportion(&st.stall),
                        st.stall.n,
                        sig(x.stall_scale)
                    );
                    let _ = writeln!(
                        t,
                        "stall_probability = {}",
                        exact((st.stall.value * x.stall_scale).min(1.0))
                    );
                }
            }
        } else {
            let _ = writeln!(
                t,
                "stall_probability = 0.0  # the last stage ends in the decision below"
            );
        }
        let _ = writeln!(
            t,
            "receptivity = {}  # not in the history: the default early-to-late ramp",
            exact(receptivity)
        );
    }

    let default_values = default_segments()[0].values;
    for seg in &cal.segments {
        let _ = writeln!(t, "\n[[segments]]\nname = {}", quoted(&seg.name));
        match &seg.deal_value {
            Some(d) => {
                let source = if seg.from_won { "won" } else { "all (too few won)" };
                match d.sigma {
                    Some(sigma) => {
                        let _ = writeln!(
                            t,
                            "# deal value: lognormal fitted to {} amounts of {source} deals: median {}; sigma {}",
                            d.n,
                            positive(&d.median),
                            positive(&sigma)
                        );
                        let _ = writeln!(
                            t,
                            "deal_value = {{ distribution = \"lognormal\", median = {}, sigma = {} }}",
                            exact(d.median.value),
                            exact(sigma.value)
                        );
                    }
                    None => {
                        let _ = writeln!(t, "# deal value: every one of {} amounts is the same", d.n);
                        let _ = writeln!(
                            t,
                            "deal_value = {{ distribution = \"fixed\", value = {} }}",
                            exact(d.median.value)
                        );
                    }
                }
            }
            None => {
                t.push_str("# deal value: no amounts in the history; the default\n");
                t.push_str("deal_value = { distribution = \"lognormal\", median = 30000.0, sigma = 0.6 }\n");
            }
        }
        let v = default_values;
        let _ = writeln!(
            t,
            "values = {{ solves_problem = {}, educates = {}, applies_knowledge = {}, forthright = {}, minimises_risk = {} }}  # not in the history: default weights",
            exact(v.solves_problem),
            exact(v.educates),
            exact(v.applies_knowledge),
            exact(v.forthright),
            exact(v.minimises_risk)
        );
    }

    for ch in &cal.channels {
        let _ = writeln!(t, "\n[[channels]]\nname = {}", quoted(&ch.name));
        let _ = writeln!(
            t,
            "kind = \"{}\"  # guessed from the name; kinds only label reports",
            guess_kind(&ch.name)
        );
        let _ = writeln!(
            t,
            "# leads_per_day {} ({} leads over {} days)",
            positive(&ch.rate),
            ch.leads,
            sig(cal.span_days)
        );
        match ch.arrivals.steady.filter(|_| ch.arrivals.varying()) {
            None => {
                if let Some(d) = ch.arrivals.steady {
                    let _ = writeln!(
                        t,
                        "# steady: leads per {ARRIVAL_PERIOD_DAYS} days vary as a Poisson count would (dispersion χ² {} on {} df, p {})",
                        sig(d.chi2),
                        d.df,
                        p_value(d.p)
                    );
                }
                let _ = writeln!(
                    t,
                    "arrivals = {{ process = \"poisson\", leads_per_day = {} }}",
                    exact(ch.rate.value)
                );
            }
            Some(d) => {
                let _ = writeln!(
                    t,
                    "# not steady: leads per {ARRIVAL_PERIOD_DAYS} days vary far more than a Poisson count would\n\
                     # (dispersion χ² {} on {} df, p {}), so each period keeps its own rate; the last\n\
                     # holds after the history ends.",
                    sig(d.chi2),
                    d.df,
                    p_value(d.p)
                );
                let rates: Vec<String> = ch.arrivals.rates().iter().map(|r| exact(*r)).collect();
                let _ = writeln!(
                    t,
                    "arrivals = {{ process = \"schedule\", period_days = {}, leads_per_day = [{}] }}",
                    exact(ARRIVAL_PERIOD_DAYS),
                    rates.join(", ")
                );
            }
        }
        if let Some((file, costs)) = from.costs {
            let s = costs.spend_of(&ch.name);
            let _ = writeln!(
                t,
                "spend = {{ fixed_per_year = {}, per_lead = {}, per_event = {} }}  # from {file}",
                exact(s.fixed_per_year),
                exact(s.per_lead),
                exact(s.per_event)
            );
        }
        if ch.fit.n > 0 {
            fitted_share(
                &mut t,
                "fit",
                &ch.fit,
                "not disqualified of",
                "leads whose first stay ended",
            );
        } else {
            t.push_str("fit = 1.0  # no lead's first stay has ended yet\n");
        }
        let mix = |shares: &[Proportion], names: &[&str]| -> (String, String) {
            let kept: Vec<(usize, &Proportion)> =
                shares.iter().enumerate().filter(|(_, p)| p.k > 0).collect();
            let comment = kept
                .iter()
                .map(|(i, p)| format!("{} {} ± {}", names[*i], sig(p.value), sig(p.se)))
                .collect::<Vec<_>>()
                .join(", ");
            let value = kept
                .iter()
                .map(|(i, p)| format!("{} = {}", quoted(names[*i]), exact(p.value)))
                .collect::<Vec<_>>()
                .join(", ");
            (comment, value)
        };
        let stage_names: Vec<&str> = cal.stages.iter().map(|s| s.name.as_str()).collect();
        let (comment, value) = mix(&ch.stage_mix, &stage_names);
        let _ = writeln!(t, "# capture stage, of {} leads: {comment}", ch.leads);
        let _ = writeln!(t, "stage_mix = {{ {value} }}");
        let segment_names: Vec<&str> = cal.segments.iter().map(|s| s.name.as_str()).collect();
        let (comment, value) = mix(&ch.segment_mix, &segment_names);
        let _ = writeln!(t, "# segment: {comment}");
        let _ = writeln!(t, "segment_mix = {{ {value} }}");
    }

    match live {
        None => t.push_str(
            "\n[marketing]\nnurture = false\ndwell_speedup = 0.0  # trust does not change dwell: the history's pace is the fitted dwell\n",
        ),
        Some(Live { policy: None, .. }) => t.push_str("\n[marketing]\nnurture = false\n"),
        Some(Live { policy: Some(p), .. }) => {
            let _ = write!(
                t,
                "\n# The company's current policy: the defaults, with what --set stated.\n{p}"
            );
        }
    }
    if let Some((file, costs)) = from
        .costs
        .filter(|_| !matches!(live, Some(Live { policy: Some(_), .. })))
    {
        let _ = writeln!(
            t,
            "cost_per_touch = {}  # from {file}\n\n[outreach]\ncost_per_touch = {}  # from {file}\ncost_per_rep_day = {}  # from {file}",
            exact(costs.marketing.cost_per_touch),
            exact(costs.outreach.cost_per_touch),
            exact(costs.outreach.cost_per_rep_day)
        );
    }
    if live.is_none() {
        t.push_str(
            "\n# Neutral: sales touches change nothing, so the journey is the fitted one.\n[response]\ngo_dark_base = 0.0\ngo_dark_per_resistance = 0.0\nadvance_on_welcome = 0.0\n",
        );
    }
    let d = &cal.decision;
    if let Some(l) = live {
        let (them, them_note) = utility(&d.lost);
        let (none, none_note) = utility(&d.no_decision);
        let _ = writeln!(
            t,
            "\n# How buyers respond to sales ([response]) and weigh trust, alignment, contact,\n\
             # resistance and risk are the model's defaults. The history's {} decided deals:\n\
             #   won {}\n#   lost {}\n#   no decision {}\n\
             # The rivals keep ln(share); the utility of choosing us is fitted so that the\n\
             # current policy wins as many deals as the history.\n\
             [decision]\nbase_us = {}\nbase_competitor = {}{them_note}\nbase_no_decision = {}{none_note}",
            d.won.n,
            proportion(&d.won),
            proportion(&d.lost),
            proportion(&d.no_decision),
            exact(l.intercepts.base_us),
            exact(them),
            exact(none),
        );
        return t;
    }
    let decided = d.won.n;
    let (us, us_note) = utility(&d.won);
    let (them, them_note) = utility(&d.lost);
    let (none, none_note) = utility(&d.no_decision);
    let _ = writeln!(
        t,
        "\n# The final choice among {decided} decided deals: won {}; lost {}; no decision {}.\n\
         # Written as constant utilities ln(share), so the choice reproduces those shares;\n\
         # every deal in the history engaged us, so we are on every buyer's list.\n\
         [decision]\nreach_out_base = 1.0\nframing_edge = 0.0\nbase_us = {}{us_note}\nbase_competitor = {}{them_note}\nbase_no_decision = {}{none_note}\n\
         trust_weight = 0.0\nalignment_weight = 0.0\ncontact_weight = 0.0\nresistance_weight = 0.0\nrisk_weight = 0.0",
        proportion(&d.won),
        proportion(&d.lost),
        proportion(&d.no_decision),
        exact(us),
        exact(them),
        exact(none),
    );
    t
}

/// The policy sections of a live calibration, as TOML: `[marketing]`,
/// `[handoff]` and `[outreach]` written out whole, so the file states every
/// value of the company's current policy.
pub fn policy_toml(marketing: &MarketingSpec, handoff: &HandoffSpec, outreach: &OutreachSpec) -> String {
    #[derive(serde::Serialize)]
    struct Policy<'a> {
        marketing: &'a MarketingSpec,
        handoff: &'a HandoffSpec,
        outreach: &'a OutreachSpec,
    }
    toml::to_string(&Policy {
        marketing,
        handoff,
        outreach,
    })
    .expect("a spec's sections serialise")
}

/// How a source's leads arrived, when that needs saying: a steady rate
/// rejected (and so a schedule written), or too short a history to test.
fn arrivals_line(a: &ArrivalFit) -> Option<String> {
    let d = a.steady?;
    a.varying().then(|| {
        format!(
            "not steady (dispersion χ² {} on {} df, p {}): per {} days {}",
            sig(d.chi2),
            d.df,
            p_value(d.p),
            ARRIVAL_PERIOD_DAYS,
            a.rates().iter().map(|r| sig(*r)).collect::<Vec<_>>().join(", ")
        )
    })
}

/// A p-value as people read it: `< 0.0001` rather than `1e-37`.
fn p_value(p: f64) -> String {
    if p < 1e-4 { "< 0.0001".into() } else { sig(p) }
}

/// What reading the file did besides rows, one line each (empty if
/// nothing).
pub fn reading_lines(h: &History) -> Vec<String> {
    let mut out = Vec::new();
    if h.open_rows > 0 {
        out.push(format!(
            "{} whose stage column says the deal is open skipped (they enter no stage)",
            plural(h.open_rows, "row")
        ));
    }
    out
}

/// What cleaning did, one line per kind of fix; empty if the file was clean.
pub fn cleaning_lines(c: &Cleaning, stages: &[String], unit: &str) -> Vec<String> {
    let rows = |r: &[usize], total: usize| {
        let list = r.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
        let more = if total > r.len() { ", …" } else { "" };
        let unit = if total == 1 {
            unit.to_owned()
        } else {
            format!("{unit}s")
        };
        format!("{unit} {list}{more}")
    };
    let mut out = Vec::new();
    if c.missing_required_count > 0 {
        out.push(format!(
            "{} missing the id, stage or entry time dropped ({})",
            plural(c.missing_required_count, "row"),
            rows(&c.missing_required, c.missing_required_count)
        ));
    }
    for (name, (n, at)) in &c.unknown_stages {
        // Only suggest a stage that looks like a misspelling, and never
        // --stages for what reads like a closing.
        let hint = match crate::calibration::vocabulary::closest(name, stages) {
            Some(s) => format!("; did you mean '{s}'? (--map-stage '{name}={s}')"),
            None if looks_like_outcome(name) => {
                format!("; if it says how deals end, --map-outcome '{name}=won|lost|no_decision'")
            }
            None => format!(
                "; if it is a funnel stage, add it to --stages or map it with --map-stage '{name}=STAGE'"
            ),
        };
        out.push(format!(
            "{} with unknown stage '{name}' dropped ({}){hint}",
            plural(*n, "row"),
            rows(at, *n)
        ));
    }
    let counts = [
        (c.duplicates, "exact duplicate row", "dropped"),
        (c.reordered, "opportunity", "with rows out of time order (sorted)"),
        (
            c.backward,
            "row",
            "going back to an earlier or the same stage dropped (first entry wins)",
        ),
        (
            c.conflicting_fields,
            "row",
            "disagreeing with a later row on source/segment/amount/outcome/closed-at (latest wins)",
        ),
        (
            c.closed_without_outcome,
            "opportunity",
            "closed without an outcome (taken as no decision)",
        ),
        (
            c.closed_without_time,
            "closed opportunity",
            "without a usable closed-at (no dwell for its last stage)",
        ),
        (c.after_as_of, "row", "entered after the as-of time dropped"),
        (
            c.closed_after_as_of,
            "opportunity",
            "closed after the as-of time (treated as open)",
        ),
        (
            c.reopened,
            "closing row",
            "followed by a later stage entry ignored (the deal was reopened)",
        ),
        (
            c.closed_without_entry,
            "opportunity",
            "closed without entering any of --stages dropped",
        ),
        (
            c.before_since,
            "opportunity",
            "first seen before --since dropped (cohorts the export may have cut at the left)",
        ),
        (
            c.stale,
            "open opportunity",
            "idle longer than --stale-after closed as no decision (stall time unknown: no dwell for the last stage)",
        ),
    ];
    for (n, noun, what) in counts {
        if n > 0 {
            out.push(format!("{} {what}", plural(n, noun)));
        }
    }
    let skipped: Vec<String> = c
        .skipped
        .iter()
        .zip(stages)
        .filter(|(n, _)| **n > 0)
        .map(|(n, s)| format!("{s} {n}"))
        .collect();
    if !skipped.is_empty() {
        out.push(format!(
            "opportunities that jumped over a stage (no observation there): {}",
            skipped.join(", ")
        ));
    }
    out
}

/// What was read and what cleaning did, for the report.
pub struct Data<'a> {
    /// The file as read (its rows are not used here).
    pub history: &'a History,
    /// What cleaning found.
    pub cleaning: &'a Cleaning,
    /// Reading and cleaning notes, one line each.
    pub notes: &'a [String],
    /// The live fit and the `--set` assignments of the current policy, with
    /// `--live`.
    pub live: Option<(&'a LiveFit, &'a [String])>,
    /// Open deals idle longer than any closed deal took, after cleaning.
    pub stale: Option<Staleness>,
    /// Signs that the export was cut at the left, after cleaning.
    pub left_cut: Option<LeftCut>,
}

impl Data<'_> {
    /// What the history's censoring suggests doing, one line each: many
    /// stale open deals, or a left cut.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = self.stale.filter(Staleness::many) {
            out.push(format!(
                "{} of {} open opportunities have had no stage entry for longer than the longest closed deal took ({} days): left open they count as still in their stage and stretch the fitted stays; if they are dead, --stale-after {} closes them as no decision",
                human(s.stale as f64),
                human(s.open as f64),
                sig(s.longest_closed_days),
                s.suggested_days()
            ));
        }
        if let Some(cut) = self.left_cut {
            out.push(format!(
                "no deal closes before {}, though {} opportunities were first seen earlier and about {} of them would have closed by then: the export looks cut at the left, leaving only the slow deals of early cohorts; --since {} drops those cohorts",
                format_time(cut.first_close),
                human(cut.earlier as f64),
                human(cut.expected.round()),
                since_date(cut.first_close)
            ));
        }
        out
    }

    /// "long, one row per stage entry (detected: …)".
    fn layout(&self) -> String {
        let h = self.history;
        let how = match &h.detected {
            Some(why) => format!("detected: {why}"),
            None => "as --layout says".to_owned(),
        };
        format!("{}, {} ({how})", h.layout.name(), h.layout.shape())
    }

    /// The date columns a snapshot was read from: `Engaging ← engage_date`.
    fn stage_dates(&self) -> Option<String> {
        if self.history.layout != Layout::Snapshot {
            return None;
        }
        let dates: Vec<String> = self
            .history
            .columns
            .iter()
            .filter_map(|(what, header)| Some(format!("{} ← {header}", what.strip_prefix("entered ")?)))
            .collect();
        Some(dates.join(", "))
    }
}

/// The fit report: the layout, data cleaning, estimates per stage,
/// decision, sources, segments, and the observed-vs-simulated check.
pub fn report(
    cal: &Calibration,
    data: &Data<'_>,
    checks: &[Check],
    replications: u32,
    from: &Provenance<'_>,
    style: &Style,
) -> String {
    // Wrapped, but never in room words: its names are the CRM's stages and
    // columns, which the reader types back into --map-stage and --*-col.
    crate::output::text::wrap(
        &report_body(cal, data, checks, replications, from, style),
        style.width,
    )
}

fn report_body(
    cal: &Calibration,
    data: &Data<'_>,
    checks: &[Check],
    replications: u32,
    from: &Provenance<'_>,
    style: &Style,
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Calibrated {} as of {}: {} opportunities over {} days, {} still open (right-censored).",
        from.history,
        format_time(from.as_of),
        human(cal.opportunities as f64),
        sig(cal.span_days),
        human(cal.open as f64)
    );
    let flags = from.window_flags();
    if !flags.is_empty() {
        let _ = writeln!(t, "Read with {flags}");
    }
    let _ = writeln!(t, "Layout: {}", data.layout());
    if let Some(dates) = data.stage_dates() {
        let _ = writeln!(t, "  stage dates: {dates}");
    }
    if let Some(dates) = &data.history.dates {
        let _ = writeln!(t, "  {dates}");
    }
    let c = data.cleaning;
    if data.history.layout.per_opportunity() {
        let _ = writeln!(
            t,
            "\nData: {} rows read (one per opportunity) as {} stage entries, {} kept",
            human(data.history.records as f64),
            human(c.rows_read as f64),
            human(c.rows_kept as f64)
        );
    } else {
        let _ = writeln!(
            t,
            "\nData: {} rows read, {} kept",
            human(data.history.records as f64),
            human(c.rows_kept as f64)
        );
    }
    if data.notes.is_empty() {
        t.push_str("  clean: nothing to fix\n");
    }
    for line in data.notes {
        let _ = writeln!(t, "  {line}");
    }
    for line in data.warnings() {
        let _ = writeln!(t, "! {line}");
    }

    // The stays' counts and the shape go first when the width is short:
    // the family, its mean and the stall probability are the fit.
    let mut table = Table::new(vec![
        Col::left("stage", Col::ALWAYS),
        Col::right("entered", 3),
        Col::right("stays", 2),
        Col::right("censored", 1),
        Col::left("dwell (AIC margin)", Col::ALWAYS),
        Col::left("mean days", Col::ALWAYS),
        Col::left("shape/sigma", 4),
        Col::left("stall probability", Col::ALWAYS),
    ]);
    table.indent = 0;
    let mut sparse = Vec::new();
    for (i, st) in cal.stages.iter().enumerate() {
        let best = st.dwell.best();
        let family = match st.dwell.aic_margin() {
            Some(m) => format!("{} ({})", best.family.name(), sig(m)),
            None => best.family.name().to_owned(),
        };
        let shape = best
            .shape
            .map_or("—".to_owned(), |p| format!("{} ± {}", sig(p.value), sig(p.se)));
        let stall = if i + 1 < cal.stages.len() {
            format!("{} ± {}", sig(st.stall.value), sig(st.stall.se))
        } else {
            "(the decision)".to_owned()
        };
        let flag = if st.sparse() { " !" } else { "" };
        if st.sparse() {
            sparse.push(format!("{} ({})", st.name, st.dwell.events));
        }
        table.row(vec![
            st.name.clone(),
            human(st.entered as f64),
            human(st.dwell.events as f64),
            human(st.dwell.censored as f64),
            family,
            format!("{} ± {}", sig(best.mean_days.value), sig(best.mean_days.se)),
            shape,
            format!("{stall}{flag}"),
        ]);
    }
    t.push('\n');
    put(&mut t, &table, style);
    if !sparse.is_empty() {
        let _ = writeln!(
            t,
            "! too little data (fewer than {MIN_STAYS} completed stays): {}",
            sparse.join(", ")
        );
    }
    km_table(&mut t, cal, style);

    let d = &cal.decision;
    let _ = writeln!(
        t,
        "\nDecision ({} decided): won {} · lost {} · no decision {}",
        human(d.won.n as f64),
        pct(&d.won),
        pct(&d.lost),
        pct(&d.no_decision)
    );
    let _ = writeln!(t, "\nSources:");
    let mut table = Table::new(vec![
        Col::left("", Col::ALWAYS),
        Col::right("leads", Col::ALWAYS),
        Col::left("per day ± se [95% CI]", Col::ALWAYS),
        Col::left("fit", 1),
    ]);
    let mut arrivals = Vec::new();
    for ch in &cal.channels {
        table.row(vec![
            ch.name.clone(),
            human(ch.leads as f64),
            positive(&ch.rate),
            if ch.fit.n > 0 { pct(&ch.fit) } else { "n/a".into() },
        ]);
        if let Some(line) = arrivals_line(&ch.arrivals) {
            arrivals.push(format!("  {}: {line}", ch.name));
        }
    }
    put(&mut t, &table, style);
    for line in arrivals {
        let _ = writeln!(t, "{line}");
    }
    let _ = writeln!(t, "\nSegments:");
    let mut table = Table::new(vec![
        Col::left("", Col::ALWAYS),
        Col::right("opportunities", Col::ALWAYS),
        Col::left("deal value median ± se [95% CI]", Col::ALWAYS),
        Col::right("sigma", 2),
        Col::right("amounts", 1),
    ]);
    for s in &cal.segments {
        let (median, sigma, n) = match &s.deal_value {
            Some(d) => (
                positive(&d.median),
                d.sigma.map_or("—".into(), |p| sig(p.value)),
                human(d.n as f64),
            ),
            None => ("no amounts".into(), String::new(), "0".into()),
        };
        table.row(vec![
            s.name.clone(),
            human(s.opportunities as f64),
            median,
            sigma,
            n,
        ]);
    }
    put(&mut t, &table, style);

    if let Some((fit, set)) = data.live {
        let x = fit.intercepts;
        let policy = if set.is_empty() {
            "the default policy".to_owned()
        } else {
            format!("--set {}", set.join(" --set "))
        };
        let _ = writeln!(
            t,
            "\nLive policy ({policy}), fitted in {} runs with common random numbers:\n  stalls × {}  pace (dwell) × {}  decision.base_us {}",
            fit.runs,
            sig(x.stall_scale),
            sig(x.dwell_scale),
            sig(x.base_us),
        );
        let mut table = Table::new(vec![
            Col::left("", Col::ALWAYS),
            Col::right("observed", Col::ALWAYS),
            Col::right("simulated", Col::ALWAYS),
        ]);
        for (name, (sim, obs)) in [
            ("reached the last stage", fit.reached_last),
            ("won", fit.won),
            ("cycle days (won)", fit.cycle_days),
        ] {
            table.row(vec![name.to_owned(), sig(obs), sig(sim)]);
        }
        put(&mut t, &table, style);
        if !fit.converged {
            let _ = writeln!(
                t,
                "! the live fit did not match the history: a figure is more than 5% off, or a level ended at the edge of its range. The stated policy, with these levels alone, does not reproduce this history: check the --set values (is this the policy the company ran?) before trusting what-ifs from it."
            );
        }
    }
    let _ = writeln!(
        t,
        "\nFit check: the history vs {replications} simulated histories of the fitted scenario (same {} days, deals open at the end stay open; z = (observed − mean) / sd), with leads arriving as the scenario says (fitted), and on the history's own days (own days: the journey alone)",
        sig(cal.span_days)
    );
    // The history's own arrivals go first when the width is short: the
    // fitted arrivals are the scenario's.
    let mut table = Table::new(vec![
        Col::left("", Col::ALWAYS),
        Col::right("observed", Col::ALWAYS),
        Col::right("fitted: mean ± sd", Col::ALWAYS),
        Col::right("z", Col::ALWAYS),
        Col::right("own days: mean ± sd", 1),
        Col::right("z ", 1),
    ]);
    let (mut poor, mut poor_journey) = (Vec::new(), Vec::new());
    let sim = |e: &crate::sim::stats::Estimate| match (e.mean, e.sd) {
        (Some(m), Some(sd)) => format!("{} ± {}", sig(m), sig(sd)),
        _ => "n/a".into(),
    };
    for (i, c) in checks.iter().enumerate() {
        let label = if i < cal.stages.len() {
            format!("reached {}", c.name)
        } else {
            c.name.clone()
        };
        let z = |z: Option<f64>, list: &mut Vec<String>| match z {
            Some(z) if z.abs() > POOR_FIT_Z => {
                list.push(label.clone());
                format!("{z:+.2} !")
            }
            Some(z) => format!("{z:+.2}  "),
            // No spread: the figure is fixed by the replayed arrivals.
            None => "—  ".into(),
        };
        let (z1, z2) = (z(c.z, &mut poor), z(c.z_replayed, &mut poor_journey));
        table.row(vec![
            label.clone(),
            c.observed.map_or("n/a".into(), count_or_sig),
            sim(&c.simulated),
            z1,
            sim(&c.replayed),
            z2,
        ]);
    }
    put(&mut t, &table, style);
    let _ = if poor.is_empty() && poor_journey.is_empty() {
        writeln!(
            t,
            "Every |z| ≤ {POOR_FIT_Z}, with either arrivals: the fitted scenario reproduces the history."
        )
    } else if !poor_journey.is_empty() {
        writeln!(
            t,
            "! |z| > {POOR_FIT_Z} even on the history's own arrivals for {}: the journey does not reproduce these; check the cleaning notes (stale open deals, a history cut at the start).",
            poor_journey.join(", ")
        )
    } else {
        writeln!(
            t,
            "! |z| > {POOR_FIT_Z} only with the fitted arrivals for {}: the journey fits, the arrival process does not (see each source's arrivals above).",
            poor.join(", ")
        )
    };
    t
}

/// A table of the report laid out for `style`, with a note naming the
/// columns left out to fit.
fn put(t: &mut String, table: &Table, style: &Style) {
    let rendered = table.render(style.width);
    t.push_str(&rendered.text);
    if let Some(note) = rendered.left_out_note("--json") {
        let _ = writeln!(t, "{note}");
    }
}

/// The `--since` date to suggest for a cut at `first_close`: its day, or
/// the next midnight, so that no deal first seen before the cut is kept.
fn since_date(first_close: f64) -> String {
    format_time_as(first_close.ceil(), "%Y-%m-%d")
}

fn plural(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

/// A count as a whole number, anything else to three significant figures.
fn count_or_sig(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        human(x)
    } else {
        sig(x)
    }
}

fn pct(p: &Proportion) -> String {
    format!("{} ± {:.1}", percent(p.value, 1), 100.0 * p.se)
}

/// Each stage's fitted dwell curve against its Kaplan–Meier curve: the
/// share of stays still going at the Kaplan–Meier quartiles and where the
/// two differ most, and the stages whose fit departs from it there by more
/// than [`DEPART_Z`] standard errors.
fn km_table(t: &mut String, cal: &Calibration, style: &Style) {
    let _ = writeln!(
        t,
        "\nDwell fit vs Kaplan–Meier: the share of stays still going after t days, as the stays show it (Kaplan–Meier, 95% CI) and as the fitted curve has it; ! = more than {DEPART_Z} standard errors apart"
    );
    let mut table = Table::new(vec![
        Col::left("stage", Col::ALWAYS),
        Col::left("at", Col::ALWAYS),
        Col::right("t", Col::ALWAYS),
        Col::left("Kaplan–Meier [95% CI]", Col::ALWAYS),
        Col::left("fitted", Col::ALWAYS),
    ]);
    table.indent = 0;
    let mut departs = Vec::new();
    for st in &cal.stages {
        let c = survival::compare(&st.km, st.dwell.best());
        let rows = c
            .quartiles
            .iter()
            .zip(survival::QUARTILES)
            .map(|(p, q)| (format!("{} ended", percent(1.0 - q, 0)), p))
            .chain(c.largest_gap.as_ref().map(|p| ("largest gap".to_owned(), p)));
        let mut name = st.name.as_str();
        for (at, p) in rows {
            let flag = if p.departs() { " !" } else { "" };
            table.row(vec![
                name.to_owned(),
                at,
                sig(p.days),
                format!("{:.3} [{:.3}, {:.3}]", p.km.survival, p.km.ci_low, p.km.ci_high),
                format!("{:.3}{flag}", p.fitted),
            ]);
            name = "";
        }
        if let Some(p) = c.largest_gap.filter(Point::departs) {
            departs.push(format!("{} (at {} days)", st.name, sig(p.days)));
        }
    }
    put(t, &table, style);
    if departs.is_empty() {
        let _ = writeln!(
            t,
            "Every fitted curve is within {DEPART_Z} standard errors of Kaplan–Meier where they differ most."
        );
    } else {
        let _ = writeln!(
            t,
            "! the fitted curve departs from Kaplan–Meier for {}: the family does not describe those stays there",
            departs.join(", ")
        );
    }
}

/// A number for JSON: `null` when it is not finite (never NaN).
fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn positive_json(p: &Positive) -> Value {
    json!({"value": num(p.value), "se": num(p.se), "ci_low": num(p.ci_low), "ci_high": num(p.ci_high)})
}

fn proportion_json(p: &Proportion) -> Value {
    json!({
        "k": p.k, "n": p.n, "value": num(p.value), "se": num(p.se),
        "ci_low": num(p.ci_low), "ci_high": num(p.ci_high),
    })
}

fn dwell_json(f: &DwellFit) -> Value {
    json!({
        "family": f.family.name(),
        "mean_days": positive_json(&f.mean_days),
        "shape_key": f.family.shape_key(),
        "shape": f.shape.as_ref().map_or(Value::Null, positive_json),
        "log_likelihood": num(f.log_likelihood),
        "aic": num(f.aic),
    })
}

fn point_json(p: &Point) -> Value {
    json!({
        "days": num(p.days),
        "km": num(p.km.survival),
        "ci_low": num(p.km.ci_low),
        "ci_high": num(p.km.ci_high),
        "fitted": num(p.fitted),
        "se": num(p.km.se),
        "departs": p.departs(),
    })
}

/// A stage's Kaplan–Meier curve, the chosen fit beside it at every step,
/// and their comparison.
fn km_json(km: &KaplanMeier, fit: &DwellFit) -> Value {
    let c = survival::compare(km, fit);
    let steps: Vec<Value> = km
        .steps
        .iter()
        .map(|s| {
            json!({
                "days": num(s.days),
                "at_risk": s.at_risk,
                "events": s.events,
                "censored": s.censored,
                "survival": num(s.survival),
                "se": num(s.se),
                "ci_low": num(s.ci_low),
                "ci_high": num(s.ci_high),
                "fitted": num(fit.survival(s.days)),
            })
        })
        .collect();
    let quartiles: Vec<Value> = c
        .quartiles
        .iter()
        .zip(survival::QUARTILES)
        .map(|(p, q)| {
            let mut v = point_json(p);
            v["share_ended"] = num(1.0 - q);
            v
        })
        .collect();
    json!({
        "stays": km.n,
        "last_days": num(km.last_days),
        "steps": steps,
        "quartiles": quartiles,
        "largest_gap": c.largest_gap.as_ref().map_or(Value::Null, point_json),
    })
}

fn rows_json(count: usize, rows: &[usize]) -> Value {
    json!({"count": count, "rows": rows})
}

/// The fit report as one JSON object: the layout and columns read, what
/// cleaning did, every estimate with its standard error and 95% interval,
/// and the fit check.
pub fn json(
    cal: &Calibration,
    data: &Data<'_>,
    checks: &[Check],
    replications: u32,
    from: &Provenance<'_>,
) -> Value {
    let h = data.history;
    let c = data.cleaning;
    let stage_names: Vec<&str> = cal.stages.iter().map(|s| s.name.as_str()).collect();
    let segment_names: Vec<&str> = cal.segments.iter().map(|s| s.name.as_str()).collect();
    let columns: Map<String, Value> = h
        .columns
        .iter()
        .map(|(what, header)| (what.clone(), json!(header)))
        .collect();
    let unknown: Map<String, Value> = c
        .unknown_stages
        .iter()
        .map(|(name, (n, rows))| (name.clone(), rows_json(*n, rows)))
        .collect();
    let skipped: Map<String, Value> = stage_names
        .iter()
        .zip(&c.skipped)
        .map(|(s, n)| ((*s).to_owned(), json!(n)))
        .collect();
    let last = cal.stages.len().saturating_sub(1);
    let stages: Vec<Value> = cal
        .stages
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let best = st.dwell.best();
            json!({
                "name": st.name,
                "entered": st.entered,
                "stays": st.dwell.events,
                "censored": st.dwell.censored,
                "zero_length": st.zero_length,
                "advanced": st.advanced,
                "stalled": st.stalled,
                "disqualified": st.disqualified,
                "sparse": st.sparse(),
                "dwell": dwell_json(best),
                "aic_margin": st.dwell.aic_margin().map_or(Value::Null, num),
                "fits": st.dwell.fits.iter().map(dwell_json).collect::<Vec<_>>(),
                "kaplan_meier": km_json(&st.km, best),
                "stall_probability": if i < last { proportion_json(&st.stall) } else { Value::Null },
            })
        })
        .collect();
    let mix = |shares: &[Proportion], names: &[&str]| -> Value {
        Value::Object(
            names
                .iter()
                .zip(shares)
                .map(|(n, p)| ((*n).to_owned(), proportion_json(p)))
                .collect(),
        )
    };
    let sources: Vec<Value> = cal
        .channels
        .iter()
        .map(|ch| {
            json!({
                "name": ch.name,
                "leads": ch.leads,
                "leads_per_day": positive_json(&ch.rate),
                "arrivals": {
                    "period_days": ARRIVAL_PERIOD_DAYS,
                    "periods": ch.arrivals.periods.iter().map(|&(k, t)| json!({"leads": k, "days": num(t)})).collect::<Vec<_>>(),
                    "steady_test": ch.arrivals.steady.map_or(Value::Null, |d| json!({"chi2": num(d.chi2), "df": d.df, "p": num(d.p)})),
                    "steady": !ch.arrivals.varying(),
                },
                "fit": if ch.fit.n > 0 { proportion_json(&ch.fit) } else { Value::Null },
                "stage_mix": mix(&ch.stage_mix, &stage_names),
                "segment_mix": mix(&ch.segment_mix, &segment_names),
            })
        })
        .collect();
    let segments: Vec<Value> = cal
        .segments
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "opportunities": s.opportunities,
                "deal_value": s.deal_value.as_ref().map_or(Value::Null, |d| json!({
                    "median": positive_json(&d.median),
                    "sigma": d.sigma.as_ref().map_or(Value::Null, positive_json),
                    "amounts": d.n,
                    "from_won": s.from_won,
                })),
            })
        })
        .collect();
    let checks_json: Vec<Value> = checks
        .iter()
        .enumerate()
        .map(|(i, ch)| {
            let name = if i < cal.stages.len() {
                format!("reached {}", ch.name)
            } else {
                ch.name.clone()
            };
            json!({
                "name": name,
                "observed": ch.observed.map_or(Value::Null, num),
                "simulated": crate::output::json::estimate(&ch.simulated),
                "z": ch.z.map_or(Value::Null, num),
                "poor": ch.z.is_some_and(|z| z.abs() > POOR_FIT_Z),
                "observed_arrivals": {
                    "simulated": crate::output::json::estimate(&ch.replayed),
                    "z": ch.z_replayed.map_or(Value::Null, num),
                    "poor": ch.z_replayed.is_some_and(|z| z.abs() > POOR_FIT_Z),
                },
            })
        })
        .collect();
    let d = &cal.decision;
    json!({
        "history": from.history,
        "as_of": format_time(from.as_of),
        "since": from.window.since.map(format_time),
        "stale_after": from.window.stale_after,
        "layout": {
            "name": h.layout.name(),
            "rows_are": h.layout.shape(),
            "detected": h.detected,
            "columns": columns,
            "dates": h.dates,
        },
        "opportunities": cal.opportunities,
        "span_days": num(cal.span_days),
        "open": cal.open,
        "data": {
            "rows_read": h.records,
            "entries": c.rows_read,
            "rows_kept": c.rows_kept,
            "notes": data.notes,
            "missing_required": rows_json(c.missing_required_count, &c.missing_required),
            "unknown_stages": unknown,
            "duplicates": c.duplicates,
            "reordered": c.reordered,
            "backward": c.backward,
            "conflicting_fields": c.conflicting_fields,
            "closed_without_outcome": c.closed_without_outcome,
            "closed_without_time": c.closed_without_time,
            "after_as_of": c.after_as_of,
            "closed_after_as_of": c.closed_after_as_of,
            "reopened": c.reopened,
            "closed_without_entry": c.closed_without_entry,
            "before_since": c.before_since,
            "stale": c.stale,
            "skipped": skipped,
        },
        "warnings": data.warnings(),
        "stale": data.stale.map_or(Value::Null, |s| json!({
            "open": s.open,
            "stale": s.stale,
            "longest_closed_days": num(s.longest_closed_days),
            "many": s.many(),
            "suggested_stale_after": num(s.suggested_days()),
        })),
        "left_cut": data.left_cut.map_or(Value::Null, |c| json!({
            "first_close": format_time(c.first_close),
            "earlier": c.earlier,
            "expected_closings": num(c.expected),
            "suggested_since": since_date(c.first_close),
        })),
        "stages": stages,
        "decision": {
            "decided": d.won.n,
            "won": proportion_json(&d.won),
            "lost": proportion_json(&d.lost),
            "no_decision": proportion_json(&d.no_decision),
        },
        "sources": sources,
        "segments": segments,
        "live": data.live.map_or(Value::Null, |(fit, set)| json!({
            "set": set,
            "stall_scale": num(fit.intercepts.stall_scale),
            "dwell_scale": num(fit.intercepts.dwell_scale),
            "base_us": num(fit.intercepts.base_us),
            "runs": fit.runs,
            "converged": fit.converged,
            "matched": {
                "reached_last_stage": { "observed": num(fit.reached_last.1), "simulated": num(fit.reached_last.0) },
                "won": { "observed": num(fit.won.1), "simulated": num(fit.won.0) },
                "cycle_days": { "observed": num(fit.cycle_days.1), "simulated": num(fit.cycle_days.0) },
            },
        })),
        "fit_check": {
            "replications": replications,
            "days": num(cal.span_days),
            "poor_fit_z": POOR_FIT_Z,
            "checks": checks_json,
            "reproduces": !checks.iter().any(|c| c.z.is_some_and(|z| z.abs() > POOR_FIT_Z)),
            "journey_reproduces": !checks.iter().any(|c| c.z_replayed.is_some_and(|z| z.abs() > POOR_FIT_Z)),
        },
    })
}
