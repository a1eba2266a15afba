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
    let out = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "2", "--export-history"])
        .arg(&history)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&history).unwrap();
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
        "{head}x,a,2025-01-01,,\nx,b,01/02/2025,,\ny,a,2025-01-03,maybe,2025-02-01\n"
    ));
    assert_eq!(code, 2, "{err}");
    assert!(!written, "nothing is written on refusal");
    assert!(err.contains("line 3: unreadable timestamp '01/02/2025'"), "{err}");
    assert!(err.contains("line 4: unknown outcome 'maybe'"), "{err}");
}

#[test]
fn missing_columns_and_empty_stages_are_refused() {
    let (code, err, _) = refused("id,stage,when\nx,a,2025-01-01\n");
    assert_eq!(code, 2);
    assert!(
        err.contains("no column 'opportunity_id' (columns: id, stage, when)"),
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
