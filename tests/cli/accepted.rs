//! Inputs that are valid and must keep working however strict validation
//! gets: the largest seed in a sweep, switching a variant with `--set`,
//! and text that looks like a spreadsheet formula (written neutralised).

use super::funnelsim;

#[test]
fn sweep_accepts_the_largest_seed() {
    let out = funnelsim()
        .arg("sweep")
        .arg(super::scenario("markov_check"))
        .args([
            "-n",
            "2",
            "--seed",
            "18446744073709551615",
            "--vary",
            "outreach.reps=1,2",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["seed"], serde_json::json!(18446744073709551615u64));
}

#[test]
fn switching_the_handoff_policy_with_set_drops_the_old_policys_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        r#"name = "t"
[simulation]
replications = 2
[[channels]]
name = "web"
kind = "inbound_content"
arrivals = { process = "poisson", leads_per_day = 1.0 }
fit = 0.5
stage_mix = { unaware = 1.0 }
[handoff]
policy = "score_threshold"
threshold = 60
"#,
    )
    .unwrap();
    for policy in ["immediate", "delay"] {
        let mut cmd = funnelsim();
        cmd.arg("run")
            .arg(&path)
            .args(["--set", &format!("handoff.policy={policy}"), "--json"]);
        if policy == "delay" {
            cmd.args(["--set", "handoff.days=2"]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn csv_outputs_neutralise_formulas_and_keep_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        r#"name = "=HYPERLINK(\"http://example.com\")"
[simulation]
replications = 3
warmup_days = 0
horizon_days = 60
runoff_days = 0
[[stages]]
name = "+early"
dwell = { distribution = "exponential", mean_days = 10 }
receptivity = 0.2
[[stages]]
name = "@late"
dwell = { distribution = "exponential", mean_days = 10 }
receptivity = 0.9
[[channels]]
name = "-cmd|' /C calc'!A0"
kind = "inbound_content"
arrivals = { process = "poisson", leads_per_day = 2.0 }
fit = 0.8
stage_mix = { "+early" = 1.0 }
"#,
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let history = dir.path().join("history.csv");
    let out = funnelsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out_dir)
        .arg("--export-history")
        .arg(&history)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = 0;
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.push(history.clone());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for cell in text.lines().flat_map(|l| l.split(',')) {
            let cell = cell.trim_matches('"');
            // A dangerous first character is allowed only in a number.
            if cell.starts_with(['=', '+', '-', '@']) {
                assert!(
                    cell.parse::<f64>().is_ok(),
                    "{}: unescaped cell {cell}",
                    f.display()
                );
            }
            if cell.starts_with("'+early") || cell.starts_with("'@late") || cell.starts_with("'-cmd") {
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "no neutralised names found in the CSV outputs");
    // The escape is undone when funnelsim reads its own export back.
    let fitted = dir.path().join("fitted.toml");
    let out = funnelsim()
        .arg("calibrate")
        .arg(&history)
        .args(["--stages=+early,@late", "-n", "5", "--out"])
        .arg(&fitted)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&fitted).unwrap();
    assert!(text.contains("name = \"-cmd|' /C calc'!A0\""), "{text}");
}
