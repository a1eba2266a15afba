//! `funnelsim calibrate` and `run --export-history`, as a user runs them.

use std::path::{Path, PathBuf};

use super::{funnelsim, scenario};

const STAGES: &str = "unaware,problem_defined,exploring_solutions,building_requirements,shortlisting_suppliers,validating,deciding";

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn calibrate(history: &Path, stages: &str, out: &Path) -> std::process::Output {
    funnelsim()
        .arg("calibrate")
        .arg(history)
        .args(["--stages", stages, "-n", "40", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn export_calibrate_and_run_the_fitted_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.csv");
    let text = export_history(&scenario("baseline"), &history);
    assert!(text.starts_with("opportunity_id,stage,entered_at,source,segment,amount,outcome,closed_at\n"));

    let fitted = dir.path().join("fitted.toml");
    let out = calibrate(&history, STAGES, &fitted);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for needle in [
        "Fit check",
        "reached deciding",
        "Decision (",
        "trade_shows",
        "clean: nothing to fix",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }
    let toml = std::fs::read_to_string(&fitted).unwrap();
    assert!(
        toml.contains("# dwell: ") && toml.contains("# stall_probability "),
        "{toml}"
    );

    // Every other command accepts the result.
    let out = funnelsim()
        .arg("run")
        .arg(&fitted)
        .args(["-n", "5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn parquet_history_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.parquet");
    let out = funnelsim()
        .arg("run")
        .arg(scenario("markov_check"))
        .args(["-n", "2", "--export-history"])
        .arg(&history)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = calibrate(&history, STAGES, &dir.path().join("fitted.toml"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Every |z| ≤ 3"));
}

#[test]
fn messy_history_is_cleaned_by_the_documented_rules() {
    let dir = tempfile::tempdir().unwrap();
    let out = calibrate(
        &data("messy_history.csv"),
        "lead,qualified,proposal,negotiation",
        &dir.path().join("m.toml"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "30 rows read, 25 kept",
        "2 rows missing the id, stage or entry time dropped (lines 14, 27)",
        "1 row with unknown stage 'Prospecting' dropped (line 10)",
        "1 exact duplicate row dropped",
        "1 opportunity with rows out of time order (sorted)",
        "1 row going back to an earlier or the same stage dropped",
        "1 opportunity closed without an outcome (taken as no decision)",
        "jumped over a stage (no observation there): qualified 1",
        "too little data (fewer than 30 completed stays)",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }
}

/// Writes `csv` to a file and calibrates it over stages a, b; returns
/// (exit code, stderr, whether the output file exists).
fn refused(csv: &str) -> (i32, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.csv");
    std::fs::write(&history, csv).unwrap();
    let target = dir.path().join("out.toml");
    let out = calibrate(&history, "a,b", &target);
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        target.exists(),
    )
}

#[test]
fn unreadable_values_are_refused_with_line_numbers() {
    let head = "opportunity_id,stage,entered_at,outcome,closed_at\n";
    let (code, err, written) = refused(&format!(
        "{head}x,a,2025-01-01,,\nx,b,2025-02-30,,\ny,a,2025-01-03,maybe,2025-02-01\n"
    ));
    assert_eq!(code, 2, "{err}");
    assert!(!written, "nothing is written on refusal");
    assert!(
        err.contains("line 3: unreadable timestamp '2025-02-30' (column 'entered_at')"),
        "{err}"
    );
    assert!(
        err.contains("column 'outcome': unknown outcome 'maybe' on 1 line (line 4)"),
        "{err}"
    );
}

#[test]
fn missing_columns_and_empty_stages_are_refused() {
    let (code, err, _) = refused("id,stage,when\nx,a,2025-01-01\n");
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot tell its layout from the columns (id, stage, when)"),
        "{err}"
    );
    assert!(
        err.contains("long (one row per stage entry): no column 'opportunity_id'; no column 'entered_at'"),
        "{err}"
    );

    // Stage b is never left: its dwell cannot be estimated.
    let (code, err, _) = refused(
        "opportunity_id,stage,entered_at,outcome,closed_at\nx,a,2025-01-01,,\nx,b,2025-01-05,,\ny,a,2025-01-02,no_decision,2025-01-09\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("no completed stay in stage(s) b"), "{err}");
}

#[test]
fn column_names_are_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.csv");
    std::fs::write(
        &history,
        "Opp,Stage Name,Date,Result,Closed\n\
         x,a,2025-01-01,Closed Won,2025-01-09\nx,b,2025-01-05,Closed Won,2025-01-09\n\
         y,a,2025-01-02,Closed Lost,2025-01-07\ny,b,2025-01-04,Closed Lost,2025-01-07\n\
         z,a,2025-01-03,No Decision,2025-01-06\n",
    )
    .unwrap();
    let fitted = dir.path().join("o.toml");
    let out = funnelsim()
        .arg("calibrate")
        .arg(&history)
        .args([
            "--stages",
            "a,b",
            "-n",
            "5",
            "--id-col",
            "Opp",
            "--stage-col",
            "Stage Name",
        ])
        .args([
            "--entered-col",
            "Date",
            "--outcome-col",
            "Result",
            "--closed-col",
            "Closed",
        ])
        .arg("--out")
        .arg(&fitted)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("Decision (2 decided): won 50.0%"), "{report}");
    assert!(fitted.exists());
}

#[test]
fn a_refusal_lists_what_cleaning_did_as_error_lines() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.csv");
    std::fs::write(
        &history,
        "opportunity_id,stage,entered_at\n1,a,2025-01-01\n1,b,2025-01-02\n2,a,2025-01-03\n,a,2025-01-04\n",
    )
    .unwrap();
    let out = dir.path().join("fitted.toml");
    let o = calibrate(&history, "a,b", &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].contains("no completed stay in stage(s) b") && lines[0].contains("--stages"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("error: ") && lines[1].contains("while cleaning: 1 row missing"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn an_absurd_fit_check_is_refused_before_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fitted.toml");
    let o = funnelsim()
        .arg("calibrate")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/sample_history.csv"))
        .args([
            "--as-of",
            "2025-05-31",
            "--stages",
            STAGES,
            "-n",
            "4000000000",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("would simulate about") && err.contains("--replications"),
        "{err}"
    );
    assert!(!out.exists() && o.stdout.is_empty());
}

/// Writes `text` to `name` in `dir`.
fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `calibrate HISTORY --stages STAGES ARGS… -n 40`, writing the fitted
/// scenario beside the history; returns (exit code, stdout, stderr).
fn calibrate_with(history: &Path, stages: &str, args: &[&str]) -> (i32, String, String) {
    let out = funnelsim()
        // Wide enough that each sentence of the report is one line: these
        // tests read what it says (tests/cli/termout.rs, how it is laid out).
        .env("COLUMNS", "1000")
        .arg("calibrate")
        .arg(history)
        .args(["--stages", stages, "-n", "40", "--force", "--out"])
        .arg(history.with_extension("toml"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The fit report of `calibrate … --json`, which must succeed.
fn fit_json(history: &Path, stages: &str, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let (code, stdout, stderr) = calibrate_with(history, stages, &all);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "one JSON object on one line:\n{stdout}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `value` is within `Z` standard errors of `truth`.
fn near(what: &str, estimate: &serde_json::Value, truth: f64) {
    let (value, se) = (
        estimate["value"].as_f64().unwrap(),
        estimate["se"].as_f64().unwrap(),
    );
    let z = (value - truth) / se;
    assert!(
        z.abs() < crate::common::Z,
        "{what}: {value} ± {se} is {z:.2} standard errors from {truth}"
    );
}

const TRUTH_STAGES: &str = "problem_defined,exploring,requirements,shortlisting,deciding";

#[test]
fn every_layout_round_trips_through_export_and_calibrate() {
    use crate::calibration::{TRUE_MEAN_DAYS, TRUE_STALL, true_decision};
    use funnelsim::input::crm::{format_time, simulation_day};

    let dir = tempfile::tempdir().unwrap();
    let as_of = format_time(simulation_day(400.0));
    for (layout, ext) in [
        ("long", "csv"),
        ("salesforce-history", "csv"),
        ("wide", "csv"),
        ("snapshot", "csv"),
        ("snapshot", "parquet"),
    ] {
        let history = dir.path().join(format!("{layout}.{ext}"));
        let out = funnelsim()
            .arg("run")
            .arg(data("calibration_truth.toml"))
            .args(["-n", "2", "--layout", layout, "--export-history"])
            .arg(&history)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let fit = fit_json(&history, TRUTH_STAGES, &["--as-of", &as_of]);
        assert_eq!(fit["layout"]["name"], layout);
        assert!(fit["layout"]["detected"].is_string(), "{}", fit["layout"]);
        let stages = fit["stages"].as_array().unwrap();
        for (i, st) in stages.iter().enumerate() {
            let what = format!("{layout} {}", st["name"]);
            near(
                &format!("{what} mean days"),
                &st["dwell"]["mean_days"],
                TRUE_MEAN_DAYS[i],
            );
            if i < TRUE_STALL.len() {
                near(&format!("{what} stall"), &st["stall_probability"], TRUE_STALL[i]);
            }
        }
        let shares = true_decision();
        for (k, key) in ["won", "lost", "no_decision"].iter().enumerate() {
            near(&format!("{layout} {key}"), &fit["decision"][key], shares[k]);
        }
        assert_eq!(fit["fit_check"]["reproduces"], true, "{}", fit["fit_check"]);
    }
}

#[test]
fn the_report_says_which_layout_was_detected_and_why() {
    let dir = tempfile::tempdir().unwrap();
    // Salesforce as Data Loader writes it: upper-case headers, closings as
    // stages, timestamps with milliseconds and an offset.
    let history = file(
        dir.path(),
        "sf.csv",
        "OPPORTUNITYID,STAGENAME,CREATEDDATE,AMOUNT,CLOSEDATE\n\
         006A,Qualify,2017-04-05T09:00:00.000+0000,1000,2017-06-01\n\
         006A,Propose,2017-04-09T09:00:00.000+0000,1000,2017-06-01\n\
         006A,Closed Won,2017-04-20T09:00:00.000+0000,1200,2017-04-20\n\
         006B,Qualify,2017-04-06T09:00:00.000+0000,500,2017-06-01\n\
         006B,Propose,2017-04-12T09:00:00.000+0000,500,2017-06-01\n\
         006B,Closed Lost,2017-04-30T09:00:00.000+0000,500,2017-04-30\n\
         006C,Qualify,2017-04-07T09:00:00.000+0000,700,2017-06-01\n",
    );
    let (code, report, err) = calibrate_with(&history, "Qualify,Propose", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        report.contains(
            "Layout: salesforce-history, one row per stage change, closings included (detected: columns OPPORTUNITYID, STAGENAME, CREATEDDATE)"
        ),
        "{report}"
    );
    assert!(report.contains("Decision (2 decided): won 50.0%"), "{report}");

    // Named, it is not detected; named wrongly, the message says what fits.
    let (code, report, _) = calibrate_with(&history, "Qualify,Propose", &["--layout", "salesforce-history"]);
    assert_eq!(code, 0);
    assert!(report.contains("(as --layout says)"), "{report}");
    let (code, _, err) = calibrate_with(&history, "Qualify,Propose", &["--layout", "snapshot"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read it as --layout snapshot")
            && err.contains("it reads as --layout salesforce-history"),
        "{err}"
    );

    // No layout fits: every layout says what it lacks.
    let history = file(dir.path(), "odd.csv", "deal,phase,when\nx,a,2025-01-01\n");
    let (code, _, err) = calibrate_with(&history, "a,b", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot tell its layout from the columns (deal, phase, when); name it with --layout long|salesforce-history|wide|snapshot"),
        "{err}"
    );
    for layout in ["long (", "salesforce-history (", "wide (", "snapshot ("] {
        assert!(err.contains(&format!(":   {layout}")), "{layout}: {err}");
    }
}

#[test]
fn salesforce_closings_are_outcomes_and_unknown_stage_values_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let head = "OpportunityId,StageName,CreatedDate,Amount,CloseDate\n";
    let rows = "A,Qualify,2017-04-05 09:00:00,1000,\n\
                A,Needs Analysis,2017-04-09 09:00:00,1000,\n\
                A,Closed Won,2017-04-20 09:00:00,1000,\n\
                B,Qualify,2017-04-06 09:00:00,500,\n\
                B,Closed Lost,2017-04-08 09:00:00,500,\n\
                B,Needs Analysis,2017-04-12 09:00:00,500,\n\
                B,Closed - Duplicate,2017-04-30 09:00:00,500,\n\
                C,Qualify,2017-04-07 09:00:00,700,\n\
                C,Needs Analysis,2017-04-10 09:00:00,700,\n\
                C,Closed - Duplicate,2017-04-11 09:00:00,700,\n\
                D,Closed Won,2017-04-07 09:00:00,700,\n";
    let history = file(dir.path(), "sf.csv", &format!("{head}{rows}"));
    let (code, _, err) = calibrate_with(&history, "Qualify,Propose", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("column 'StageName': unknown value 'Closed - Duplicate' on 2 lines (lines 8, 11), neither one of --stages nor an outcome word; if it says how deals end, say so with --map-outcome 'Closed - Duplicate=won|lost|no_decision|open'"),
        "{err}"
    );
    assert!(
        err.contains("unknown value 'Needs Analysis' on 3 lines (lines 3, 7, 10)")
            && err.contains("--map-stage 'Needs Analysis=STAGE'"),
        "{err}"
    );
    let closing = err.lines().find(|l| l.contains("Closed - Duplicate")).unwrap();
    assert!(
        !closing.contains("--stages or"),
        "a closing is never a stage to add: {closing}"
    );

    let (code, report, err) = calibrate_with(
        &history,
        "Qualify,Propose",
        &[
            "--map-stage",
            "Needs Analysis=Propose",
            "--map-outcome",
            "Closed - Duplicate=no_decision",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for needle in [
        "1 closing row followed by a later stage entry ignored (the deal was reopened)",
        "1 opportunity closed without entering any of --stages dropped",
        // A won, B no decision at Propose (after reopening), C likewise.
        "Decision (3 decided): won 33.3%",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }
}

/// A one-row-per-deal export as a public CRM data set has it: deals in
/// Prospecting have no date, engaged ones an engage date, closed ones a
/// close date and value.
fn snapshot_export(dir: &Path) -> PathBuf {
    let mut text = String::from(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n",
    );
    for i in 0..60 {
        let engage = chrono_day(i % 28 + 1);
        let close = chrono_day(i % 28 + 1 + (i % 9) + 2);
        let row = match i % 6 {
            0 => format!("P{i},Ann,GTX,Acme,Prospecting,,,"),
            1 | 2 => format!("E{i},Ann,GTX,Acme,Engaging,{engage},,"),
            3 | 4 => format!("W{i},Bo,MG,Acme,Won,{engage},{close},{}", 1000 + i),
            _ => format!("L{i},Bo,MG,Acme,Lost,{engage},{close},0"),
        };
        text.push_str(&row);
        text.push('\n');
    }
    file(dir, "pipeline.csv", &text)
}

/// Day `d` of a month with more than 28 days, as an ISO date.
fn chrono_day(d: usize) -> String {
    format!("2017-0{}-{:02}", 3 + (d - 1) / 31, (d - 1) % 31 + 1)
}

#[test]
fn a_snapshot_needs_a_meaning_for_every_value_of_its_stage_column() {
    let dir = tempfile::tempdir().unwrap();
    let history = snapshot_export(dir.path());

    let (code, _, err) = calibrate_with(&history, "Engaging", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("column 'deal_stage': unknown value 'Prospecting' on 10 lines (lines 2, 8, 14, 20, 26, …), neither one of --stages nor an outcome word: if it is a funnel stage, add it to --stages or map it with --map-stage 'Prospecting=STAGE'; if it says how deals end or that they are open, --map-outcome 'Prospecting=won|lost|no_decision|open'"),
        "{err}"
    );

    // The data set's own words: Engaging means open, Won won, Lost lost.
    let (code, report, err) = calibrate_with(
        &history,
        "Engaging",
        &[
            "--map-outcome",
            "Prospecting=open,Engaging=open,Won=won,Lost=lost",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for needle in [
        "Layout: snapshot, one row per opportunity: its current stage or outcome, and dates (detected: a stage column deal_stage and a date column named after stages)",
        "  stage dates: Engaging ← engage_date",
        "Data: 60 rows read (one per opportunity) as 60 stage entries, 50 kept",
        "10 rows missing the id, stage or entry time dropped",
        "Decision (30 decided): won 66.7%",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }

    // Pointing --outcome-col at the stage column counts every value it
    // cannot read as an outcome, and says what the column looks like.
    let (code, _, err) = calibrate_with(
        &history,
        "Engaging",
        &["--outcome-col", "deal_stage", "--map-outcome", "Prospecting=open"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("column 'deal_stage': unknown outcome 'Engaging' on 20 lines (lines 3, 4, 9, 10, 15, …): say what it means with --map-outcome 'Engaging=won|lost|no_decision|open'; 'Engaging' is one of --stages: if 'deal_stage' holds each deal's current stage, name it with --stage-col (--layout snapshot), not --outcome-col"),
        "{err}"
    );

    // A value cannot be a stage and a closing.
    let (code, _, err) = calibrate_with(&history, "Engaging", &["--map-outcome", "Engaging=won"]);
    assert_eq!(code, 2);
    assert!(err.contains("'Engaging' is a stage"), "{err}");
}

#[test]
fn unknown_outcomes_are_counted_and_can_be_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let history = file(
        dir.path(),
        "h.csv",
        "opportunity_id,stage,entered_at,outcome,closed_at\n\
         x,a,2025-01-01,Pending,\nx,b,2025-01-04,Pending,\n\
         y,a,2025-01-02,won,2025-01-20\ny,b,2025-01-05,won,2025-01-20\n\
         z,a,2025-01-03,Pending,\n",
    );
    let (code, _, err) = calibrate_with(&history, "a,b", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("column 'outcome': unknown outcome 'Pending' on 3 lines (lines 2, 3, 6): say what it means with --map-outcome 'Pending=won|lost|no_decision|open'"),
        "{err}"
    );
    let (code, report, err) = calibrate_with(&history, "a,b", &["--map-outcome", "Pending=open"]);
    assert_eq!(code, 0, "{err}");
    assert!(report.contains("3 opportunities over"), "{report}");
}

#[test]
fn a_column_named_on_the_command_line_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let history = file(
        dir.path(),
        "h.csv",
        "opportunity_id,stage,entered_at,outcome,closed_at\nx,a,2025-01-01,won,2025-01-09\nx,b,2025-01-05,won,2025-01-09\n",
    );
    let (code, out, err) = calibrate_with(&history, "a,b", &["--outcome-col", "outcom"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("no column 'outcom' (named by --outcome-col); the closest header is 'outcome' (columns: opportunity_id, stage, entered_at, outcome, closed_at)"),
        "{err}"
    );
    let pipeline = snapshot_export(dir.path());
    let (code, _, err) = calibrate_with(&pipeline, "Engaging", &["--stage-date", "Engaging=engaged_on"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no column 'engaged_on' (named by --stage-date); the closest header is 'engage_date'"),
        "{err}"
    );
    // A flag that does not apply to the layout is refused, not ignored.
    let (code, _, err) = calibrate_with(
        &pipeline,
        "Engaging",
        &["--layout", "snapshot", "--entered-col", "engage_date"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--entered-col does not apply"), "{err}");
}

#[test]
fn hubspot_headers_with_doubled_quotes_are_unquoted() {
    let dir = tempfile::tempdir().unwrap();
    let head = "\"Record ID\",\"Deal Stage\",\"Amount\",\"Date entered \"\"Engaging (Sales Pipeline)\"\"\",\"Date entered \"\"Negotiating (Sales Pipeline)\"\"\",\"Date entered \"\"Closed Won (Sales Pipeline)\"\"\",\"Date entered \"\"Closed Lost (Sales Pipeline)\"\"\"\n";
    let rows = "1,Closed Won,900,2024-03-01 10:00,2024-03-05 10:00,2024-03-09 10:00,\n\
                2,Closed Lost,500,2024-03-02 10:00,2024-03-06 10:00,,2024-03-12 10:00\n\
                3,Negotiating,700,2024-03-03 10:00,2024-03-08 10:00,,\n\
                4,Engaging,300,2024-03-04 10:00,,,\n";
    let history = file(dir.path(), "deals.csv", &format!("{head}{rows}"));
    let fit = fit_json(&history, "Engaging,Negotiating", &[]);
    assert_eq!(fit["layout"]["name"], "wide");
    assert_eq!(fit["layout"]["detected"], "4 'Date entered <stage>' columns");
    let columns = &fit["layout"]["columns"];
    assert_eq!(
        columns["entered Engaging"],
        "Date entered \"Engaging (Sales Pipeline)\""
    );
    assert_eq!(
        columns["closed won"],
        "Date entered \"Closed Won (Sales Pipeline)\""
    );
    assert_eq!(fit["decision"]["won"]["k"], 1);
    assert_eq!(fit["decision"]["lost"]["k"], 1);

    // A "date entered" column of a stage outside the funnel is refused.
    let odd = head.replace("Negotiating", "Demo");
    let history = file(dir.path(), "odd.csv", &format!("{odd}{rows}"));
    let (code, _, err) = calibrate_with(&history, "Engaging,Negotiating", &["--layout", "wide"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("column 'Date entered \"Demo (Sales Pipeline)\"' is the date of entering 'Demo (Sales Pipeline)', which is neither one of --stages nor a closing"),
        "{err}"
    );
    // One that reads like a closing is offered --map-outcome alone.
    let odd = head.replace("Closed Lost", "Closed Duplicate");
    let history = file(dir.path(), "dup.csv", &format!("{odd}{rows}"));
    let (code, _, err) = calibrate_with(&history, "Engaging,Negotiating", &[]);
    assert_eq!(code, 2);
    // The "date entered" columns make it wide: the refusal says what is
    // wrong with it as such.
    assert!(
        err.starts_with("error: ") && err.contains("its header makes it --layout wide"),
        "{err}"
    );
    assert!(
        err.contains("say which with --map-outcome 'Closed Duplicate (Sales Pipeline)=won|lost|no_decision'")
            && !err.contains("add it to --stages"),
        "{err}"
    );
}

/// A long history of two deals whose stay in stage a lasts from `from` to
/// `to` (as written), with the same later dates for both.
fn dated(dir: &Path, name: &str, from: &str, to: &str, close: &str) -> PathBuf {
    file(
        dir,
        name,
        &format!(
            "opportunity_id,stage,entered_at,outcome,closed_at\n\
             x,a,{from},won,{close}\nx,b,{to},won,{close}\n\
             y,a,{from},lost,{close}\ny,b,{to},lost,{close}\n"
        ),
    )
}

/// The mean stay in stage a that calibrate reads from `history`.
fn stay_in_a(history: &Path, args: &[&str]) -> f64 {
    let fit = fit_json(history, "a,b", args);
    fit["stages"][0]["dwell"]["mean_days"]["value"].as_f64().unwrap()
}

#[test]
fn every_documented_timestamp_form_is_read() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (from, to, close)) in [
        ("2017-04-05", "2017-04-11", "2017-04-20"),
        (
            "2017-04-05 09:00:00",
            "2017-04-11 09:00:00",
            "2017-04-20 09:00:00",
        ),
        (
            "2017-04-05T09:00:00.000+0000",
            "2017-04-11T11:00:00.000+0200",
            "2017-04-20T09:00:00.000+0000",
        ),
        ("10/20/2016", "10/26/2016", "11/02/2016"),
        ("20/10/2016", "26/10/2016", "02/11/2016"),
        ("04/05/2017 9:00 AM", "04/11/2017 9:00 AM", "04/20/2017 9:00 AM"),
    ]
    .into_iter()
    .enumerate()
    {
        let history = dated(dir.path(), &format!("h{i}.csv"), from, to, close);
        let days = stay_in_a(&history, &[]);
        assert!((days - 6.0).abs() < 1e-9, "{from} → {to}: {days} days");
    }
}

#[test]
fn ambiguous_slashed_dates_need_a_date_format() {
    let dir = tempfile::tempdir().unwrap();
    let history = dated(dir.path(), "h.csv", "03/04/2017", "03/10/2017", "12/12/2017");
    let (code, _, err) = calibrate_with(&history, "a,b", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("slashed dates such as '03/04/2017' (line 2, column 'entered_at') could be month first or day first")
            && err.contains("--date-format '%m/%d/%Y' (month first) or '%d/%m/%Y' (day first)"),
        "{err}"
    );
    // March 4 to March 10, or April 3 to October 3.
    assert!((stay_in_a(&history, &["--date-format", "%m/%d/%Y"]) - 6.0).abs() < 1e-9);
    assert!((stay_in_a(&history, &["--date-format", "%d/%m/%Y"]) - 183.0).abs() < 1e-9);
    let (_, report, _) = calibrate_with(&history, "a,b", &["--date-format", "%d/%m/%Y"]);
    assert!(
        report.contains("  dates read with --date-format '%d/%m/%Y'"),
        "{report}"
    );

    // Any chrono format.
    let history = dated(
        dir.path(),
        "dots.csv",
        "05.04.2017 09:00",
        "11.04.2017 09:00",
        "20.04.2017 09:00",
    );
    assert!((stay_in_a(&history, &["--date-format", "%d.%m.%Y %H:%M"]) - 6.0).abs() < 1e-9);

    // Evidence both ways is refused.
    let history = dated(dir.path(), "mixed.csv", "10/20/2016", "26/10/2016", "11/02/2016");
    let (code, _, err) = calibrate_with(&history, "a,b", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("both month first") && err.contains("day first"),
        "{err}"
    );
}

#[test]
fn json_report_holds_estimates_cleaning_and_the_fit_check() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.csv");
    std::fs::copy(data("messy_history.csv"), &history).unwrap();
    let fit = fit_json(&history, "lead,qualified,proposal,negotiation", &[]);
    assert_eq!(fit["layout"]["name"], "long");
    assert_eq!(fit["data"]["rows_read"], 30);
    assert_eq!(fit["data"]["rows_kept"], 25);
    assert_eq!(
        fit["data"]["unknown_stages"]["Prospecting"]["rows"],
        serde_json::json!([10])
    );
    assert_eq!(fit["data"]["missing_required"]["count"], 2);
    let stages = fit["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 4);
    for st in stages {
        let m = &st["dwell"]["mean_days"];
        let (lo, v, hi) = (
            m["ci_low"].as_f64().unwrap(),
            m["value"].as_f64().unwrap(),
            m["ci_high"].as_f64().unwrap(),
        );
        assert!(lo <= v && v <= hi, "{st}");
        assert!(st["dwell"]["family"].is_string());
    }
    assert!(
        stages[3]["stall_probability"].is_null(),
        "the last stage ends in the decision"
    );
    assert!(fit["decision"]["won"]["ci_high"].as_f64().unwrap() <= 1.0);
    let checks = fit["fit_check"]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 4 + 2);
    assert_eq!(checks[0]["name"], "reached lead");
    assert!(checks[0]["simulated"]["mean"].is_number());
    assert!(fit["fit_check"]["reproduces"].is_boolean());
}

/// Runs `scenario` with `--export-history history` (long layout) and
/// returns the file's text.
fn export_history(scenario: &Path, history: &Path) -> String {
    let out = funnelsim()
        .arg("run")
        .arg(scenario)
        .args(["-n", "2", "--export-history"])
        .arg(history)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(history).unwrap()
}

/// A long-layout export of the calibration truth over 400 days, its as-of
/// time, and its rows as fields.
fn truth_export(dir: &Path) -> (String, Vec<Vec<String>>, String) {
    use funnelsim::input::crm::{format_time, simulation_day};
    let text = export_history(&data("calibration_truth.toml"), &dir.join("truth.csv"));
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_owned();
    assert_eq!(
        header,
        "opportunity_id,stage,entered_at,source,segment,amount,outcome,closed_at"
    );
    let rows = lines.map(|l| l.split(',').map(str::to_owned).collect()).collect();
    (header, rows, format_time(simulation_day(400.0)))
}

/// The ids of the opportunities whose rows satisfy `pick`.
fn ids(rows: &[Vec<String>], pick: impl Fn(&[&Vec<String>]) -> bool) -> std::collections::HashSet<String> {
    let mut by_id: std::collections::BTreeMap<&str, Vec<&Vec<String>>> = Default::default();
    for r in rows {
        by_id.entry(&r[0]).or_default().push(r);
    }
    by_id
        .into_iter()
        .filter(|(_, rs)| pick(rs))
        .map(|(id, _)| id.to_owned())
        .collect()
}

fn write_rows(dir: &Path, name: &str, header: &str, rows: &[Vec<String>]) -> PathBuf {
    let mut text = format!("{header}\n");
    for r in rows {
        text.push_str(&r.join(","));
        text.push('\n');
    }
    file(dir, name, &text)
}

#[test]
fn stale_deals_are_warned_about_and_stale_after_closes_them() {
    use crate::calibration::TRUE_MEAN_DAYS;
    let dir = tempfile::tempdir().unwrap();
    let (header, mut rows, as_of) = truth_export(dir.path());
    // Deals that went quiet before day 200 and were never closed in the
    // CRM: 200 days idle at the as-of time, longer than any deal took.
    let zombies = ids(&rows, |rs| {
        matches!(rs[0][6].as_str(), "no_decision" | "went_dark")
            && rs.iter().all(|r| r[2].as_str() < "2025-07-20")
    });
    assert!(zombies.len() > 100, "{}", zombies.len());
    for r in &mut rows {
        if zombies.contains(&r[0]) {
            r[6].clear();
            r[7].clear();
        }
    }
    let history = write_rows(dir.path(), "zombies.csv", &header, &rows);

    let (code, text, err) = calibrate_with(&history, TRUTH_STAGES, &["--as-of", &as_of]);
    assert_eq!(code, 0, "{err}");
    let fit = fit_json(&history, TRUTH_STAGES, &["--as-of", &as_of]);
    let stale = &fit["stale"];
    assert_eq!(stale["many"], true, "{stale}");
    assert!(
        stale["stale"].as_u64().unwrap() >= zombies.len() as u64,
        "{stale}"
    );
    let days = stale["suggested_stale_after"].as_f64().unwrap();
    assert_eq!(days, stale["longest_closed_days"].as_f64().unwrap().floor());
    let warning = format!("--stale-after {days} closes them as no decision");
    assert!(
        fit["warnings"][0].as_str().unwrap().contains(&warning),
        "{}",
        fit["warnings"]
    );
    assert!(
        text.lines().any(|l| l.starts_with("! ") && l.contains(&warning)),
        "{text}"
    );

    let fixed = fit_json(
        &history,
        TRUTH_STAGES,
        &["--as-of", &as_of, "--stale-after", &days.to_string()],
    );
    assert!(fixed["data"]["stale"].as_u64().unwrap() >= zombies.len() as u64);
    assert!(
        fixed["data"]["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("idle longer than --stale-after closed as no decision")),
        "{}",
        fixed["data"]["notes"]
    );
    assert_eq!(fixed["warnings"], serde_json::json!([]));
    assert_eq!(fixed["stale_after"], days);
    let toml = std::fs::read_to_string(history.with_extension("toml")).unwrap();
    assert!(
        toml.contains(&format!("# Read with --stale-after {days} ")),
        "{toml}"
    );
    for (st, truth) in fixed["stages"].as_array().unwrap().iter().zip(TRUE_MEAN_DAYS) {
        near(
            &format!("{} mean days", st["name"]),
            &st["dwell"]["mean_days"],
            truth,
        );
    }
}

#[test]
fn a_left_cut_export_is_warned_about_and_since_drops_its_early_cohorts() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows, as_of) = truth_export(dir.path());
    // The export holds the deals closed on or after 2025-06-01, and the
    // open ones.
    let gone = ids(&rows, |rs| {
        !rs[0][7].is_empty() && rs[0][7].as_str() < "2025-06-01"
    });
    let rows: Vec<Vec<String>> = rows.into_iter().filter(|r| !gone.contains(&r[0])).collect();
    let history = write_rows(dir.path(), "cut.csv", &header, &rows);

    let fit = fit_json(&history, TRUTH_STAGES, &["--as-of", &as_of]);
    let cut = &fit["left_cut"];
    let since = cut["suggested_since"].as_str().unwrap().to_owned();
    assert!(since.as_str() >= "2025-06-01", "{cut}");
    assert!(
        fit["warnings"][0]
            .as_str()
            .unwrap()
            .contains(&format!("--since {since} drops those cohorts")),
        "{}",
        fit["warnings"]
    );
    let early = ids(&rows, |rs| rs.iter().any(|r| r[2].as_str() < since.as_str())).len();
    let kept = fit_json(&history, TRUTH_STAGES, &["--as-of", &as_of, "--since", &since]);
    assert_eq!(kept["data"]["before_since"], early as u64);
    assert_eq!(
        kept["opportunities"].as_u64().unwrap() + early as u64,
        fit["opportunities"].as_u64().unwrap()
    );
    assert!(kept["left_cut"].is_null() && kept["warnings"] == serde_json::json!([]));
}

#[test]
fn bad_since_and_stale_after_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.csv");
    std::fs::copy(data("messy_history.csv"), &history).unwrap();
    let stages = "lead,qualified,proposal,negotiation";
    for (args, says) in [
        (
            &["--since", "2025-13-45"][..],
            "--since '2025-13-45' is not a timestamp",
        ),
        (
            &["--stale-after", "0"][..],
            "--stale-after 0 must be a positive number of days",
        ),
        (
            &["--stale-after", "-3"][..],
            "--stale-after -3 must be a positive number of days",
        ),
        (
            &["--stale-after", "abc"][..],
            "invalid value 'abc' for '--stale-after <DAYS>'",
        ),
        (
            &["--chart", "fit.txt"][..],
            "--chart fit.txt must name an .svg or .png file",
        ),
    ] {
        let (code, stdout, err) = calibrate_with(&history, stages, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            stdout.is_empty() && !history.with_extension("toml").exists(),
            "{args:?}"
        );
    }
}

#[test]
fn the_kaplan_meier_curves_are_reported_and_charted() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.csv");
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/sample_history.csv");
    std::fs::copy(sample, &history).unwrap();
    let chart = dir.path().join("fit.svg");
    let chart_arg = chart.to_str().unwrap();
    let fit = fit_json(&history, STAGES, &["--as-of", "2025-05-31", "--chart", chart_arg]);
    for st in fit["stages"].as_array().unwrap() {
        let km = &st["kaplan_meier"];
        let steps = km["steps"].as_array().unwrap();
        assert!(!steps.is_empty(), "{}", st["name"]);
        // The curve falls, within its interval, and counts every stay.
        let mut last = 1.0;
        for s in steps {
            let (v, lo, hi) = (
                s["survival"].as_f64().unwrap(),
                s["ci_low"].as_f64().unwrap(),
                s["ci_high"].as_f64().unwrap(),
            );
            assert!(v < last && lo <= v && v <= hi && s["fitted"].is_number(), "{s}");
            last = v;
        }
        let ended: u64 = steps.iter().map(|s| s["events"].as_u64().unwrap()).sum();
        assert_eq!(ended, st["stays"].as_u64().unwrap());
        assert_eq!(km["quartiles"].as_array().unwrap().len(), 3, "{}", st["name"]);
        assert!(km["largest_gap"]["departs"].is_boolean());
    }
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<!-- funnelsim calibrate") && svg.contains("</svg>"));
    assert!(svg.contains("deciding: 82 stays, 22 censored"));
    // funnelsim wrote it, so it is replaced without --force; another file
    // is not.
    let (code, _, err) = calibrate_with(&history, STAGES, &["--chart", chart_arg]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("wrote the dwell fits vs Kaplan–Meier chart"),
        "{err}"
    );
    let foreign = file(dir.path(), "mine.svg", "<svg/>");
    let out = funnelsim()
        .arg("calibrate")
        .arg(&history)
        .args(["--stages", STAGES, "-n", "40", "--out"])
        .arg(dir.path().join("other.toml"))
        .arg("--chart")
        .arg(&foreign)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("will not replace"));
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "<svg/>");
    assert!(!dir.path().join("other.toml").exists(), "nothing half-written");
}
