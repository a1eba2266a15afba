//! Text a person can read: it fits the terminal (80 columns when piped),
//! names read as words with `--plain`, and numbers follow one set of rules
//! (thousands separators, hours under a day, whole leads, percentiles alike
//! at any replication count).

use std::path::PathBuf;

use super::{funnelsim, scenario};

/// What a command prints on stdout (and stderr), at `columns` if given.
fn output(args: &[&str], columns: Option<usize>) -> (String, String) {
    let mut c = funnelsim();
    c.args(args);
    if let Some(n) = columns {
        c.env("COLUMNS", n.to_string());
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

fn stdout(args: &[&str]) -> String {
    output(args, None).0
}

fn workshop(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/workshop")
        .join(format!("{name}.toml"))
        .display()
        .to_string()
}

fn path(name: &str) -> String {
    scenario(name).display().to_string()
}

/// Every line of `text` at most `width` characters (not bytes: "–", "…",
/// "·" and "█" are one each).
fn fits(text: &str, width: usize, what: &str) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= width,
            "{what}: a line of {} characters at {width} columns:\n{line}\n\n{text}",
            line.chars().count()
        );
    }
}

const WORKSHOP: [&str; 5] = [
    "01_blame_game",
    "02_nurture_before_handoff",
    "03_buyer_initiated",
    "04_insight_led",
    "05_all_together",
];

#[test]
fn run_compare_sweep_and_sensitivity_fit_80_columns_when_piped() {
    let mut all = vec![
        path("baseline"),
        path("inbound_insight"),
        path("nurture_then_handoff"),
    ];
    all.extend(WORKSHOP.iter().map(|w| workshop(w)));
    for s in &all {
        fits(&stdout(&["run", s, "-n", "4", "--counterfactual", "2"]), 80, s);
    }
    let mut compare = vec!["compare", "-n", "4"];
    compare.extend(all.iter().map(String::as_str));
    fits(&stdout(&compare), 80, "compare");
    let chain = [
        "compare", "-n", "4", "--chain", &all[3], &all[4], &all[5], &all[6], &all[7],
    ];
    fits(&stdout(&chain), 80, "compare --chain");
    let sweep = [
        "sweep",
        &all[2],
        "--vary",
        "handoff.threshold=40:100:20",
        "--vary",
        "outreach.approach=scripted,insight_led",
        "--objective",
        "profit",
        "-n",
        "4",
    ];
    fits(&stdout(&sweep), 80, "sweep");
    fits(
        &stdout(&["sensitivity", &all[0], "--metric", "profit", "-n", "2"]),
        80,
        "sensitivity",
    );
}

/// The snake_case words of `text` that are not part of a key, a path or a
/// flag (which the reader may type, and which stay as they are).
fn snake_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| w.contains('_') && !w.contains(['.', '/', '-']))
        .map(str::to_owned)
        .collect()
}

fn optimise_args(scenario: &str) -> Vec<String> {
    [
        "optimise",
        scenario,
        "--vary",
        "handoff.threshold=40:80:20",
        "--vary",
        "outreach.approach=scripted,insight_led",
        "--objective",
        "profit",
        "--indifference",
        "200000",
        "--first-stage",
        "10",
        "--budget",
        "200",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn optimise_and_the_calibration_report_use_the_room_they_have() {
    let nurture = path("nurture_then_handoff");
    let args = optimise_args(&nurture);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (narrow, _) = output(&args, None);
    fits(&narrow, 80, "optimise");
    assert!(
        narrow.contains("◀ chosen") && narrow.contains("left out to fit"),
        "{narrow}"
    );
    let (wide, _) = output(&args, Some(200));
    fits(&wide, 200, "optimise at 200 columns");
    assert!(wide.contains("vs chosen") && !wide.contains("left out"), "{wide}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calibrated.toml");
    let history = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/sample_history.csv");
    let calibrate = [
        "calibrate",
        history.to_str().unwrap(),
        "--as-of",
        "2025-05-31",
        "--stages",
        "unaware,problem_defined,exploring_solutions,building_requirements,shortlisting_suppliers,validating,deciding",
        "--replications",
        "10",
        "--out",
        out.to_str().unwrap(),
    ];
    let (narrow, _) = output(&calibrate, None);
    fits(&narrow, 80, "calibrate");
    for section in [
        "stall probability",
        "Kaplan–Meier [95% CI]",
        "Sources:",
        "Segments:",
        "fitted: mean ± sd",
    ] {
        assert!(narrow.contains(section), "{section}:\n{narrow}");
    }
    let (wide, _) = output(&[&calibrate[..], &["--force"]].concat(), Some(200));
    fits(&wide, 200, "calibrate at 200 columns");
    assert!(
        wide.contains("censored") && wide.contains("own days: mean ± sd"),
        "{wide}"
    );
    assert!(!wide.contains("left out"), "{wide}");
}

#[test]
fn plain_sentences_have_no_snake_case() {
    let step5 = workshop("05_all_together");
    let nurture = path("nurture_then_handoff");
    let run = stdout(&["run", &step5, "-n", "4", "--counterfactual", "2", "--plain"]);
    assert!(run.contains("buyer initiated"), "{run}");
    let sweep = stdout(&[
        "sweep",
        &nurture,
        "--vary",
        "outreach.approach=scripted,insight_led",
        "-n",
        "4",
        "--plain",
    ]);
    assert!(sweep.contains("insight led"), "{sweep}");
    let mut optimise = optimise_args(&nurture);
    optimise.push("--plain".to_owned());
    let optimise: Vec<&str> = optimise.iter().map(String::as_str).collect();
    let optimise = stdout(&optimise);
    let compare = stdout(&["compare", "-n", "4", &path("baseline"), &step5, "--plain"]);
    for (what, text) in [
        ("run", &run),
        ("sweep", &sweep),
        ("optimise", &optimise),
        ("compare", &compare),
    ] {
        assert_eq!(snake_words(text), Vec::<String>::new(), "{what}:\n{text}");
    }
    // Without --plain the names are the ones a scenario file uses.
    let terminal = stdout(&["run", &step5, "-n", "4", "--counterfactual", "0"]);
    assert!(terminal.contains("buyer_initiated"), "{terminal}");
}

#[test]
fn tables_use_the_room_they_have() {
    let args = ["run", &path("baseline"), "-n", "8", "--counterfactual", "0"];
    let (narrow, _) = output(&args, None);
    assert!(!narrow.contains("p05 … p95    "), "{narrow}");
    assert!(narrow.contains("(p05 … p95 across replications: in --json and --out"));
    let (wide, _) = output(&args, Some(120));
    fits(&wide, 120, "run at 120 columns");
    let row = wide
        .lines()
        .find(|l| l.trim_start().starts_with("leads "))
        .unwrap();
    assert!(row.contains(" … "), "percentiles at 120 columns: {row}");
    assert!(!wide.contains("left out"), "{wide}");
    let (tight, _) = output(&args, Some(60));
    fits(&tight, 60, "run at 60 columns");
}

#[test]
fn plain_names_for_a_room() {
    let text = stdout(&[
        "run",
        &path("baseline"),
        "-n",
        "4",
        "--counterfactual",
        "0",
        "--plain",
    ]);
    for words in ["lost competitor", "premature handoff", "problem defined"] {
        assert!(text.contains(words), "{words}:\n{text}");
    }
    for snake in ["lost_competitor", "premature_handoff", "problem_defined"] {
        assert!(!text.contains(snake), "{snake}:\n{text}");
    }
    let sweep = stdout(&[
        "sweep",
        &path("nurture_then_handoff"),
        "--vary",
        "handoff.threshold=40,60",
        "--objective",
        "close_rate",
        "-n",
        "4",
        "--plain",
    ]);
    assert!(sweep.contains("close rate (95% CI)"), "{sweep}");
    assert!(sweep.contains("Best close rate"), "{sweep}");
}

#[test]
fn counts_have_thousands_separators() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("history.csv");
    let (_, stderr) = output(
        &[
            "run",
            &path("baseline"),
            "-n",
            "2",
            "--counterfactual",
            "0",
            "--export-history",
            csv.to_str().unwrap(),
        ],
        None,
    );
    let note = stderr.lines().find(|l| l.contains(" opportunities, ")).unwrap();
    let count = note
        .split(" opportunities")
        .next()
        .unwrap()
        .rsplit(['(', ' '])
        .next()
        .unwrap();
    assert!(count.contains(','), "{note}");
    let compare = stdout(&[
        "compare",
        "-n",
        "4",
        &path("baseline"),
        &workshop("05_all_together"),
    ]);
    assert!(
        compare.contains("1,0") || compare.contains("1,1"),
        "ROI above 1,000%: {compare}"
    );
}

/// A deals-won row: its mean and its p05 … p95 (at 120 columns).
fn won_row(replications: &str) -> String {
    let (text, _) = output(
        &[
            "run",
            &workshop("03_buyer_initiated"),
            "--set",
            "outreach.first_response_days=0.25",
            "-n",
            replications,
            "--counterfactual",
            "0",
        ],
        Some(120),
    );
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("deals won"))
        .unwrap();
    row.to_owned()
}

#[test]
fn delays_under_a_day_in_hours_and_percentiles_alike() {
    let (text, _) = output(
        &[
            "run",
            &workshop("03_buyer_initiated"),
            "--set",
            "outreach.first_response_days=0.25",
            "-n",
            "4",
            "--counterfactual",
            "0",
        ],
        None,
    );
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("first response"))
        .unwrap();
    assert!(row.contains(" h ") && !row.contains("0.2"), "{row}");
    // Percentiles of a count read as whole numbers whatever the number of
    // replications (they used to read "28.0 … 47").
    for n in ["40", "41", "57"] {
        let row = won_row(n);
        let range = row.rsplit("   ").next().unwrap();
        let (lo, hi) = range.split_once(" … ").unwrap();
        for end in [lo, hi] {
            assert!(end.chars().all(|c| c.is_ascii_digit()), "{n}: {row}");
        }
    }
}
