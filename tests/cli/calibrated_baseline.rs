//! A calibrated scenario as a baseline for what-ifs: it runs over the
//! history's own window, says what the history could not tell (costs above
//! all), and refuses to rank anything by costs it does not know.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{funnelsim, scenario};

const STAGES: &str = "unaware,problem_defined,exploring_solutions,building_requirements,shortlisting_suppliers,validating,deciding";

/// One exported history of the baseline, shared by the tests (read only).
fn history() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = funnelsim()
            .arg("run")
            .arg(scenario("baseline"))
            .args(["-n", "1", "--counterfactual", "0", "--export-history"])
            .arg(dir.path().join("history.csv"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        dir
    });
    Box::leak(dir.path().join("history.csv").into_boxed_path())
}

/// `calibrate` of the shared history into `dir/name`, with `args`; returns
/// (exit code, stdout, stderr, the fitted scenario's path).
fn calibrate(dir: &Path, name: &str, args: &[&str]) -> (i32, String, String, PathBuf) {
    let fitted = dir.join(name);
    let out = funnelsim()
        .arg("calibrate")
        .arg(history())
        .args(["--stages", STAGES, "-n", "20", "--out"])
        .arg(&fitted)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        fitted,
    )
}

fn run(args: &[&str], scenario: &Path) -> (i32, String, String) {
    let out = funnelsim()
        .arg(args[0])
        .arg(scenario)
        .args(&args[1..])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SOURCES: [&str; 5] = [
    "direct_mail",
    "media_coverage",
    "rented_lists",
    "telemarketing",
    "trade_shows",
];

fn costs_file(dir: &Path) -> PathBuf {
    let mut text = String::from(
        "[marketing]\ncost_per_touch = 3.0\n\n[outreach]\ncost_per_touch = 25.0\ncost_per_rep_day = 450.0\n",
    );
    for s in SOURCES {
        text.push_str(&format!(
            "\n[[channels]]\nname = \"{s}\"\nspend = {{ per_lead = 40.0 }}\n"
        ));
    }
    let path = dir.join("costs.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_fitted_scenario_runs_over_the_history_s_own_window() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr, fitted) = calibrate(dir.path(), "fitted.toml", &["--json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let span = report["history"]["span_days"]
        .as_f64()
        .or_else(|| report["span_days"].as_f64())
        .unwrap_or_else(|| panic!("no span_days in {report}"));
    let toml: toml::Table = std::fs::read_to_string(&fitted).unwrap().parse().unwrap();
    let sim = toml["simulation"].as_table().unwrap();
    assert_eq!(sim["warmup_days"].as_float(), Some(0.0));
    assert_eq!(sim["runoff_days"].as_float(), Some(0.0));
    assert_eq!(sim["horizon_days"].as_float(), Some(span.round()));

    let (code, stdout, stderr) = run(&["run", "-n", "3", "--counterfactual", "0", "--json"], &fitted);
    assert_eq!(code, 0, "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["window"]["end_day"].as_f64(), Some(span.round()));
    assert_eq!(
        summary["window"]["followed_until_day"].as_f64(),
        Some(span.round())
    );
}

#[test]
fn costs_the_history_cannot_tell_are_unknown_and_never_ranked() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr, fitted) = calibrate(dir.path(), "fitted.toml", &[]);
    assert_eq!(code, 0, "{stderr}");
    let toml: toml::Table = std::fs::read_to_string(&fitted).unwrap().parse().unwrap();
    let unknown: Vec<&str> = toml["unknown"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(unknown, ["costs", "response", "values", "receptivity"]);

    // `run` shows no placeholder money and says why; JSON carries the label.
    let (code, stdout, stderr) = run(&["run", "-n", "3", "--counterfactual", "0"], &fitted);
    assert_eq!(code, 0, "{stderr}");
    for row in [
        "  cost per won deal",
        "  ROI",
        "  marketing spend",
        "  sales spend",
    ] {
        assert!(!stdout.lines().any(|l| l.starts_with(row)), "{row}: {stdout}");
    }
    assert!(stdout.contains("costs are placeholders"), "{stdout}");
    let (_, stdout, _) = run(&["run", "-n", "3", "--counterfactual", "0", "--json"], &fitted);
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["unknown"][0], "costs");

    // Objectives made of costs are refused before anything runs; the rest work.
    for (command, flag, metric) in [
        ("sweep", "--objective", "profit"),
        ("sweep", "--objective", "roi"),
        ("sweep", "--objective", "cost_per_win"),
        ("sensitivity", "--metric", "profit"),
        ("optimise", "--objective", "roi"),
        ("optimise", "--constraint", "cost_per_win"),
    ] {
        let limit;
        let mut args = vec![command, flag];
        if flag == "--constraint" {
            limit = format!("{metric} <= 30000");
            args.extend([limit.as_str(), "--objective", "close_rate"]);
        } else {
            args.push(metric);
        }
        match command {
            "sweep" => args.extend(["-n", "2", "--vary", "outreach.reps=2,3"]),
            "optimise" => args.extend(["--indifference", "1", "--vary", "outreach.reps=2,3"]),
            _ => args.extend(["-n", "2", "--params", "outreach.reps"]),
        }
        let (code, stdout, stderr) = run(&args, &fitted);
        assert_eq!(code, 2, "{command} {metric}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("{flag} {metric}"))
                && stderr.contains("is made of costs")
                && stderr.contains("--costs FILE"),
            "{stderr}"
        );
    }
    let (code, _, stderr) = run(
        &[
            "sweep",
            "--objective",
            "close_rate",
            "-n",
            "2",
            "--vary",
            "outreach.reps=2,3",
        ],
        &fitted,
    );
    assert_eq!(code, 0, "{stderr}");

    // Comparisons and the report leave the placeholders out too, and say so.
    let out = funnelsim()
        .arg("compare")
        .args([&fitted, &fitted])
        .args(["-n", "3", "--set", "outreach.reps=2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("costs are unknown"), "{text}");
    for metric in ["cost per won deal", "profit", "total spend"] {
        assert!(!text.contains(&format!("  {metric} ")), "{metric}: {text}");
    }
    let report = dir.path().join("report");
    let out = funnelsim()
        .arg("report")
        .arg(&fitted)
        .args(["-n", "3", "--out"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        !html.contains(">Cost per won deal<"),
        "the report shows placeholder costs"
    );
    assert!(html.contains(">Costs<") && html.contains(">unknown<"));
}

#[test]
fn a_costs_file_makes_money_figures_the_company_s_own() {
    let dir = tempfile::tempdir().unwrap();
    let costs = costs_file(dir.path());
    let (code, _, stderr, fitted) =
        calibrate(dir.path(), "fitted.toml", &["--costs", costs.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let toml: toml::Table = std::fs::read_to_string(&fitted).unwrap().parse().unwrap();
    assert!(
        !toml["unknown"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_str() == Some("costs"))
    );
    assert_eq!(toml["outreach"]["cost_per_rep_day"].as_float(), Some(450.0));
    assert_eq!(toml["marketing"]["cost_per_touch"].as_float(), Some(3.0));
    for ch in toml["channels"].as_array().unwrap() {
        assert_eq!(ch["spend"]["per_lead"].as_float(), Some(40.0), "{ch}");
    }
    let (code, stdout, stderr) = run(&["run", "-n", "3", "--counterfactual", "0"], &fitted);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("cost per won deal"), "{stdout}");
    let (code, _, stderr) = run(
        &[
            "sweep",
            "--objective",
            "profit",
            "-n",
            "2",
            "--vary",
            "outreach.reps=2,3",
        ],
        &fitted,
    );
    assert_eq!(code, 0, "{stderr}");
    // A neutral calibration: sales changes no outcome, so a policy sweep
    // only compares costs, and says so.
    assert!(stderr.contains("policies move costs only"), "{stderr}");
}

#[test]
fn a_bad_costs_file_is_refused_with_its_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let costs = costs_file(dir.path());
    let text = std::fs::read_to_string(&costs)
        .unwrap()
        .replace("cost_per_rep_day = 450.0", "cost_per_rep_day = -450.0")
        .replace("name = \"trade_shows\"", "name = \"trade_show\"");
    std::fs::write(&costs, text).unwrap();
    let (code, _, stderr, fitted) =
        calibrate(dir.path(), "fitted.toml", &["--costs", costs.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    let name = costs.display().to_string();
    assert!(
        stderr.contains(&format!("{name}:6:")) && stderr.contains("outreach.cost_per_rep_day"),
        "{stderr}"
    );
    assert!(stderr.contains("no lead source 'trade_show'"), "{stderr}");
    assert!(
        stderr.contains("no costs for the lead source 'trade_shows'"),
        "{stderr}"
    );
    assert!(!fitted.exists());
}

/// The baseline's own policy, as a user states the company's current one.
const BASELINE_POLICY: [&str; 8] = [
    "--set",
    "handoff.policy=immediate",
    "--set",
    "outreach.approach=scripted",
    "--set",
    "outreach.reps=3",
    "--set",
    "outreach.touches_per_rep_per_day=10",
];

#[test]
fn a_live_calibration_reproduces_the_history_and_still_responds_to_policy() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--live", "--json"];
    args.extend(BASELINE_POLICY);
    let (code, stdout, stderr, fitted) = calibrate(dir.path(), "live.toml", &args);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["live"]["set"][2], "outreach.reps=3", "{report}");
    // The fit check judges the live scenario on its own replications: the
    // real history must be an ordinary draw from it, stage by stage, in
    // wins and in cycle time.
    for row in report["fit_check"]["checks"].as_array().unwrap() {
        let z = row["z"].as_f64().unwrap_or_else(|| panic!("{row}"));
        assert!(z.abs() <= 3.0, "poor live fit: {row}");
    }
    // The file states the policy and leaves the response to the model.
    let toml: toml::Table = std::fs::read_to_string(&fitted).unwrap().parse().unwrap();
    assert_eq!(toml["outreach"]["reps"].as_integer(), Some(3));
    assert_eq!(toml["handoff"]["policy"].as_str(), Some("immediate"));
    assert!(!toml.contains_key("response"));

    // Policies move it, in the direction the model documents: a team cut
    // from three reps to one answers later and reaches fewer buyers, so it
    // wins fewer deals (paired difference, common random numbers).
    let (code, stdout, stderr) = run(
        &[
            "sweep",
            "--vary",
            "outreach.reps=1,3",
            "--objective",
            "close_rate",
            "-n",
            "20",
            "--json",
        ],
        &fitted,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("policies move costs only"), "{stderr}");
    let sweep: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let points = sweep["sweep"]["points"].as_array().unwrap();
    assert_eq!(sweep["sweep"]["best"], 1, "{sweep}");
    let diff = &points[0]["versus_best"];
    let high = diff["ci_high"].as_f64().unwrap_or_else(|| panic!("{sweep}"));
    assert!(high < 0.0, "one rep is not clearly worse: {diff}");
    assert_eq!(points[0]["indistinguishable_from_best"], false);
}

#[test]
fn a_live_fit_that_cannot_match_the_history_says_so() {
    // With no reps at all, sales never wins anyone over: no preference for
    // us within range makes up the deals the history won.
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr, _) =
        calibrate(dir.path(), "live.toml", &["--live", "--set", "outreach.reps=0"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("the live fit did not match the history"),
        "{stdout}"
    );
    let (_, stdout, _, _) = calibrate(
        dir.path(),
        "live.toml",
        &["--live", "--set", "outreach.reps=0", "--json", "--force"],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["live"]["converged"], false, "{}", report["live"]);
}

#[test]
fn with_live_set_states_only_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr, fitted) = calibrate(
        dir.path(),
        "live.toml",
        &["--live", "--set", "decision.base_us=2"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--set decision.base_us") && stderr.contains("current policy"),
        "{stderr}"
    );
    assert!(!fitted.exists());
    let (code, _, stderr, _) = calibrate(dir.path(), "live.toml", &["--set", "outreach.reps=2"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--live"), "{stderr}");
    let (code, _, stderr, _) = calibrate(
        dir.path(),
        "live.toml",
        &["--live", "--set", "outreach.cost_per_rep_day=1"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("costs are not policy"), "{stderr}");
}

/// Leads per day of the `campaign` source in each 30-day period: a step up
/// and a step down.
const CAMPAIGN: [f64; 12] = [1.0, 1.0, 1.0, 1.0, 8.0, 8.0, 8.0, 8.0, 2.0, 2.0, 2.0, 2.0];

#[test]
fn a_step_change_in_arrivals_is_detected_fitted_and_judged_apart_from_the_journey() {
    let dir = tempfile::tempdir().unwrap();
    let rates: Vec<String> = CAMPAIGN.iter().map(|r| r.to_string()).collect();
    let truth = format!(
        r#"
name = "A step change in arrivals"
[simulation]
seed = 11
replications = 1
warmup_days = 0
horizon_days = 360
runoff_days = 0
[[channels]]
name = "campaign"
kind = "direct_mail"
arrivals = {{ process = "schedule", period_days = 30, leads_per_day = [{}] }}
fit = 0.8
stage_mix = {{ unaware = 1.0 }}
[[channels]]
name = "web"
kind = "inbound_content"
arrivals = {{ process = "poisson", leads_per_day = 3 }}
fit = 0.8
stage_mix = {{ unaware = 1.0 }}
"#,
        rates.join(", ")
    );
    let scenario = dir.path().join("truth.toml");
    std::fs::write(&scenario, truth).unwrap();
    let history = dir.path().join("history.csv");
    let out = funnelsim()
        .arg("run")
        .arg(&scenario)
        .args(["--counterfactual", "0", "--export-history"])
        .arg(&history)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let fitted = dir.path().join("fitted.toml");
    let out = funnelsim()
        .arg("calibrate")
        .arg(&history)
        .args(["--stages", STAGES, "-n", "40", "--json", "--out"])
        .arg(&fitted)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let source = |name: &str| {
        report["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no source {name}: {report}"))
            .clone()
    };
    let campaign = source("campaign");
    assert_eq!(campaign["arrivals"]["steady"], false, "{campaign}");
    assert_eq!(source("web")["arrivals"]["steady"], true);
    // Each period's count is Poisson with mean rate × days: within 4.5 of
    // its standard errors of the truth.
    let periods = campaign["arrivals"]["periods"].as_array().unwrap();
    assert_eq!(periods.len(), CAMPAIGN.len(), "{campaign}");
    for (p, rate) in periods.iter().zip(CAMPAIGN) {
        let (k, days) = (p["leads"].as_f64().unwrap(), p["days"].as_f64().unwrap());
        let mean = rate * days;
        assert!(
            (k - mean).abs() <= 4.5 * mean.sqrt(),
            "{k} leads in {days} days at {rate}/day"
        );
    }
    let toml: toml::Table = std::fs::read_to_string(&fitted).unwrap().parse().unwrap();
    let channels = toml["channels"].as_array().unwrap();
    let arrivals = |name: &str| {
        channels
            .iter()
            .find(|c| c["name"].as_str() == Some(name))
            .unwrap()["arrivals"]
            .clone()
    };
    assert_eq!(arrivals("campaign")["process"].as_str(), Some("schedule"));
    assert_eq!(arrivals("web")["process"].as_str(), Some("poisson"));

    // The schedule counts from the start of the measurement window: a
    // warm-up added in front does not shift it (same leads in the window,
    // within 4.5 standard errors of the difference).
    let leads = |extra: &[&str]| {
        let out = funnelsim()
            .arg("run")
            .arg(&fitted)
            .args(["-n", "20", "--counterfactual", "0", "--json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let m = &v["metrics"]["leads.campaign"];
        (
            m["mean"].as_f64().unwrap(),
            m["sd"].as_f64().unwrap() / 20f64.sqrt(),
        )
    };
    let (plain, se_plain) = leads(&[]);
    let (warmed, se_warmed) = leads(&["--set", "simulation.warmup_days=90"]);
    let se = (se_plain * se_plain + se_warmed * se_warmed).sqrt();
    assert!((plain - warmed).abs() <= 4.5 * se, "{plain} vs {warmed} ± {se}");

    // The fit check runs on the fitted arrivals and on the history's own:
    // with the replayed arrivals every lead arrives, exactly.
    let check = &report["fit_check"];
    assert_eq!(check["reproduces"], true, "{check}");
    assert_eq!(check["journey_reproduces"], true, "{check}");
    let leads = &check["checks"][0];
    assert_eq!(
        leads["observed_arrivals"]["simulated"]["mean"].as_f64(),
        leads["observed"].as_f64(),
        "{leads}"
    );
    assert_eq!(leads["observed_arrivals"]["simulated"]["sd"].as_f64(), Some(0.0));
}
