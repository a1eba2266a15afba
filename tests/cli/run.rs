//! `funnelsim run`: terminal summary, JSON and table outputs.

use serde_json::Value;

use super::{funnelsim, scenario};

fn json_of(name: &str, extra: &[&str]) -> Value {
    let out = funnelsim()
        .arg("run")
        .arg(scenario(name))
        .arg("--json")
        .args(if extra.contains(&"--replications") {
            &[][..]
        } else {
            &["--replications", "20"][..]
        })
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

#[test]
fn json_summary_has_stable_keys() {
    let v = json_of("baseline", &[]);
    for key in [
        "scenario",
        "seed",
        "replications",
        "metrics",
        "outcomes",
        "funnel",
        "blame",
        "window",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["replications"], 20);
    assert_eq!(v["seed"], 2026);
    for m in [
        "leads",
        "won",
        "close_rate",
        "win_rate",
        "revenue",
        "cost_per_win",
        "cycle_days",
    ] {
        for k in ["mean", "sd", "p05", "p50", "p95", "ci_low", "ci_high"] {
            assert!(
                v["metrics"][m][k].is_number(),
                "metrics.{m}.{k} = {}",
                v["metrics"][m][k]
            );
        }
    }
    let total: f64 = v["outcomes"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9, "outcome shares sum to {total}");
    assert_eq!(v["funnel"].as_array().unwrap().len(), 7);
    assert!(v["blame"]["sides"]["marketing"]["count"].is_number());
}

#[test]
fn seed_flag_changes_results_and_threads_do_not() {
    let a = json_of("nurture_then_handoff", &["--threads", "1"]);
    let b = json_of("nurture_then_handoff", &["--threads", "2"]);
    assert_eq!(a, b);
    let c = json_of("nurture_then_handoff", &["--seed", "99"]);
    assert_ne!(a["metrics"], c["metrics"]);
    assert_eq!(c["seed"], 99);
}

#[test]
fn undefined_metrics_are_null_not_nan() {
    // One replication: no spread, no interval.
    let v = json_of("markov_check", &["--replications", "1"]);
    assert!(v["metrics"]["won"]["mean"].is_number());
    assert!(v["metrics"]["won"]["sd"].is_null());
    assert!(v["metrics"]["won"]["ci_low"].is_null());
}

#[test]
fn terminal_summary_reads_well() {
    let out = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "20"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Key metrics",
        "close rate",
        "Funnel",
        "Outcomes",
        "Who is to blame",
        "premature_handoff",
        "figures cover leads captured on days 180–545",
    ] {
        assert!(text.contains(needle), "summary lacks {needle}:\n{text}");
    }
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
}

#[test]
fn out_dir_gets_every_table_as_csv_or_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("results");
    let out = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "10", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for t in [
        "summary",
        "replications",
        "funnel",
        "outcomes",
        "blame",
        "leads_by_source",
        "pipeline",
    ] {
        let p = dir.join(format!("{t}.csv"));
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(text.lines().count() > 1, "{t}.csv is empty");
    }
    let replications = std::fs::read_to_string(dir.join("replications.csv")).unwrap();
    assert_eq!(
        replications.lines().count(),
        11,
        "header + one row per replication"
    );
    assert!(
        replications
            .lines()
            .next()
            .unwrap()
            .starts_with("replication,leads,won,")
    );
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 2026);
    assert!(manifest["rng"].as_str().unwrap().contains("xoshiro256++"));
    // No staging directories are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");

    // Re-running replaces the directory whole, in Parquet this time.
    let out = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "10", "--format", "parquet", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let magic = std::fs::read(dir.join("pipeline.parquet")).unwrap();
    assert_eq!(&magic[..4], b"PAR1");
    assert!(
        !dir.join("pipeline.csv").exists(),
        "old tables were replaced, not mixed"
    );
}

#[test]
fn every_shipped_scenario_loads() {
    // The shipped scenarios and the workshop pack, at any depth.
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")];
    let mut loaded = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&p).unwrap();
                funnelsim::model::scenario::Scenario::from_toml_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                loaded.push(p);
            }
        }
    }
    assert!(
        loaded
            .iter()
            .filter(|p| p.to_string_lossy().contains("workshop"))
            .count()
            >= 5,
        "{loaded:?}"
    );
}

#[test]
fn one_replication_keeps_its_columns_apart_and_warns_once() {
    let s = scenario("baseline");
    let out = funnelsim().arg("run").arg(&s).args(["-n", "1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let both = format!("{stdout}{stderr}");
    assert_eq!(both.matches("only 1 replication").count(), 1, "{both}");
    assert!(!both.contains("1 replications"), "{both}");
    for line in stdout.lines().filter(|l| l.contains("n/a (needs")) {
        let after = line.split(')').nth(1).unwrap_or("");
        assert!(
            after.is_empty() || after.starts_with(' '),
            "columns collide: {line}"
        );
    }
}
