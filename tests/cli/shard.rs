//! `--shard K/N` and `merge`: the merged output is byte-identical to the
//! command run whole, for every shardable command (`run`, `compare`,
//! `sweep`, `sensitivity`, `calibrate`'s fit check) and several splits, and
//! parts that do not belong together are refused by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{funnelsim, scenario};

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Runs `args` whole into `work/whole`, then split into `n` shards (every
/// shard with its own thread count) merged into `work/merged-n`, and
/// asserts the two output directories and printed results are identical.
fn assert_merge_identical(work: &Path, args: &[&str], splits: &[u32]) {
    let whole = funnelsim()
        .current_dir(work)
        .args(args)
        .args(["--out", "whole"])
        .assert()
        .success();
    let whole_stdout = whole.get_output().stdout.clone();
    let expected = tree(&work.join("whole"));
    assert!(expected.len() > 3, "{args:?} wrote {:?}", expected.keys());
    for &n in splits {
        let parts = format!("parts-{n}");
        std::fs::create_dir(work.join(&parts)).unwrap();
        for k in 1..=n {
            let threads = (1 + k % 2).to_string();
            funnelsim()
                .current_dir(work)
                .args(args)
                .args(["--shard", &format!("{k}/{n}"), "-j", &threads])
                .args(["--out", &format!("{parts}/{k}")])
                .assert()
                .success();
        }
        let merged = format!("merged-{n}");
        // Parts in reverse order: merge sorts them by shard.
        let part_dirs: Vec<String> = (1..=n).rev().map(|k| format!("{parts}/{k}")).collect();
        let out = funnelsim()
            .current_dir(work)
            .arg("merge")
            .args(&part_dirs)
            .args(["--out", &merged])
            .assert()
            .success();
        let got = tree(&work.join(&merged));
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{args:?} in {n} shards"
        );
        for (file, bytes) in &expected {
            assert!(
                got[file] == *bytes,
                "{args:?} in {n} shards: {} differs",
                file.display()
            );
        }
        assert_eq!(
            String::from_utf8_lossy(&out.get_output().stdout),
            String::from_utf8_lossy(&whole_stdout),
            "{args:?} in {n} shards: printed result differs"
        );
    }
}

fn work_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(scenario("baseline"), dir.path().join("baseline.toml")).unwrap();
    dir
}

#[test]
fn run_merges_byte_identically() {
    let dir = work_dir();
    // 7 shards of 20: some shards hold 2 replications, some 3; the blame
    // ledger is split too.
    assert_merge_identical(dir.path(), &["run", "baseline.toml", "-n", "20"], &[1, 2, 7]);
}

#[test]
fn more_shards_than_replications_merge_identically() {
    let dir = work_dir();
    assert_merge_identical(
        dir.path(),
        &[
            "run",
            "baseline.toml",
            "-n",
            "3",
            "--counterfactual",
            "2",
            "--format",
            "parquet",
        ],
        &[5],
    );
}

#[test]
fn sweep_merges_byte_identically() {
    let dir = work_dir();
    assert_merge_identical(
        dir.path(),
        &[
            "sweep",
            "baseline.toml",
            "--vary",
            "outreach.reps=2:4:1",
            "-n",
            "24",
            "--json",
        ],
        &[2, 4],
    );
}

#[test]
fn optimise_in_groups_merges_byte_identically() {
    let dir = work_dir();
    // Five groups of the twelve configurations: 2 shards hold 3 and 2
    // groups, 5 shards one each; the final round runs in the merge.
    assert_merge_identical(
        dir.path(),
        &[
            "optimise",
            "baseline.toml",
            "--vary",
            "outreach.reps=1:4:1",
            "--vary",
            "outreach.approach=scripted,insight_led,consultative",
            "--objective",
            "close_rate",
            "--indifference",
            "0.003",
            "--first-stage",
            "6",
            "--groups",
            "5",
        ],
        &[2, 5],
    );
    // Fewer groups than shards would leave shards without work.
    let out = funnelsim()
        .current_dir(dir.path())
        .args(["optimise", "baseline.toml", "--vary", "outreach.reps=1:4:1"])
        .args([
            "--indifference",
            "0.01",
            "--groups",
            "2",
            "--shard",
            "1/3",
            "--out",
            "p",
        ])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("--shard 1/3 needs --groups 3 or more"), "{err}");
}

#[test]
fn compare_merges_byte_identically() {
    let dir = work_dir();
    assert_merge_identical(
        dir.path(),
        &[
            "compare",
            "baseline.toml",
            "baseline.toml?outreach.reps=5",
            "-n",
            "24",
            "--chain",
        ],
        &[3],
    );
}

#[test]
fn sensitivity_merges_byte_identically() {
    let dir = work_dir();
    assert_merge_identical(
        dir.path(),
        &[
            "sensitivity",
            "baseline.toml",
            "--params",
            "outreach.reps,decision.base_us",
            "-n",
            "20",
        ],
        &[2, 5],
    );
}

/// Writes shards `ks` of `n` of a small run into `work/parts`.
fn shards(work: &Path, ks: &[u32], n: u32) {
    std::fs::create_dir_all(work.join("parts")).unwrap();
    for k in ks {
        funnelsim()
            .current_dir(work)
            .args(["run", "baseline.toml", "-n", "12", "--counterfactual", "0"])
            .args(["--shard", &format!("{k}/{n}"), "--out", &format!("parts/{k}")])
            .assert()
            .success();
    }
}

/// `funnelsim merge parts…` in `work`: exit code and stderr.
fn merge(work: &Path, parts: &[&str]) -> (i32, String) {
    let out = funnelsim()
        .current_dir(work)
        .arg("merge")
        .args(parts)
        .args(["--out", "merged"])
        .output()
        .unwrap();
    assert!(!work.join("merged").exists(), "a refused merge wrote its output");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn missing_and_duplicated_shards_are_named() {
    let dir = work_dir();
    let w = dir.path();
    shards(w, &[1, 2, 4], 4);
    let (code, err) = merge(w, &["parts/1", "parts/2", "parts/4"]);
    assert_eq!(code, 2);
    assert!(err.contains("shard 3/4 is missing"), "{err}");
    std::fs::create_dir(w.join("copy")).unwrap();
    for f in std::fs::read_dir(w.join("parts/2")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, w.join("copy").join(f.file_name().unwrap())).unwrap();
    }
    let (code, err) = merge(w, &["parts/1", "parts/2", "copy", "parts/4"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("shard 2/4 is given twice: parts/2 and copy")
            || err.contains("shard 2/4 is given twice: copy and parts/2"),
        "{err}"
    );
}

#[test]
fn parts_of_other_commands_splits_or_versions_are_refused() {
    let dir = work_dir();
    let w = dir.path();
    shards(w, &[1, 2], 2);
    std::fs::create_dir(w.join("other")).unwrap();
    funnelsim()
        .current_dir(w)
        .args(["run", "baseline.toml", "-n", "14", "--counterfactual", "0"])
        .args(["--shard", "2/2", "--out", "other/2"])
        .assert()
        .success();
    let (code, err) = merge(w, &["parts/1", "other/2"]);
    assert_eq!(code, 2);
    assert!(err.contains("is a part of another command"), "{err}");
    assert!(err.contains("-n 14"), "the command lines are shown: {err}");
    // A part written by another version.
    let manifest = w.join("parts/2/manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace(env!("CARGO_PKG_VERSION"), "0.0.9")).unwrap();
    let (code, err) = merge(w, &["parts/1", "parts/2"]);
    assert_eq!(code, 2);
    assert!(err.contains("written by funnelsim 0.0.9"), "{err}");
    // A directory that is not a part.
    funnelsim()
        .current_dir(w)
        .args([
            "run",
            "baseline.toml",
            "-n",
            "5",
            "--counterfactual",
            "0",
            "--out",
            "whole",
        ])
        .assert()
        .success();
    let (code, err) = merge(w, &["whole"]);
    assert_eq!(code, 2);
    assert!(err.contains("whole is not a part of a sharded command"), "{err}");
}

#[test]
fn a_scenario_changed_between_shards_is_refused() {
    let dir = work_dir();
    let w = dir.path();
    shards(w, &[1], 2);
    let file = w.join("baseline.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let changed = text.replacen("reps = 3", "reps = 4", 1);
    assert_ne!(changed, text, "the baseline sets outreach.reps = 3");
    std::fs::write(&file, &changed).unwrap();
    // The second shard sees the first one's record and refuses to run.
    let out = funnelsim()
        .current_dir(w)
        .args(["run", "baseline.toml", "-n", "12", "--counterfactual", "0"])
        .args(["--shard", "2/2", "--out", "parts/2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("differs from what shard 1/2 recorded"), "{err}");
    assert!(!w.join("parts/2").exists());
    // Both shards from the old file, merged after the file changed.
    std::fs::write(&file, &text).unwrap();
    shards(w, &[2], 2);
    std::fs::write(&file, &changed).unwrap();
    let (code, err) = merge(w, &["parts/1", "parts/2"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("a scenario file changed since the shards ran"),
        "{err}"
    );
}

#[test]
fn shards_need_an_output_and_a_file() {
    let dir = work_dir();
    let w = dir.path();
    funnelsim()
        .current_dir(w)
        .args(["run", "baseline.toml", "--shard", "1/2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--out"));
    funnelsim()
        .current_dir(w)
        .args(["run", "baseline.toml", "--shard", "3/2", "--out", "p"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("shards are numbered 1 to 2"));
    funnelsim()
        .current_dir(w)
        .args(["run", "-", "--shard", "1/2", "--out", "p"])
        .write_stdin(std::fs::read_to_string(w.join("baseline.toml")).unwrap())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("standard input cannot be read twice"));
    shards(w, &[1, 2], 2);
    let (code, err) = {
        let out = funnelsim()
            .current_dir(w)
            .args(["merge", "parts/1", "parts/2", "--out", "parts/1"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, 2);
    assert!(err.contains("overlaps the part parts/1"), "{err}");
}

#[test]
fn calibrates_fit_check_merges_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    let history = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/sample_history.csv");
    std::fs::copy(&history, w.join("history.csv")).unwrap();
    let args = [
        "calibrate",
        "history.csv",
        "--as-of",
        "2025-05-31",
        "--stages",
        "unaware,problem_defined,exploring_solutions,building_requirements,shortlisting_suppliers,validating,deciding",
        "-n",
        "30",
    ];
    let whole = funnelsim()
        .current_dir(w)
        .args(args)
        .args(["--out", "whole.toml"])
        .assert()
        .success();
    std::fs::create_dir(w.join("parts")).unwrap();
    for k in 1..=3 {
        funnelsim()
            .current_dir(w)
            .args(args)
            .args(["--shard", &format!("{k}/3"), "--out", &format!("parts/{k}")])
            .assert()
            .success();
    }
    let merged = funnelsim()
        .current_dir(w)
        .args(["merge", "parts/3", "parts/1", "parts/2", "--out", "merged.toml"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(w.join("merged.toml")).unwrap(),
        std::fs::read(w.join("whole.toml")).unwrap()
    );
    assert_eq!(
        String::from_utf8_lossy(&merged.get_output().stdout),
        String::from_utf8_lossy(&whole.get_output().stdout)
    );
}

#[test]
fn a_shard_is_sized_by_its_share_and_keeps_to_its_own_directory() {
    let dir = work_dir();
    let w = dir.path();
    // A hundred million replications are refused whole, but one shard in
    // a million holds a hundred.
    funnelsim()
        .current_dir(w)
        .args(["run", "baseline.toml", "-n", "100000000", "--counterfactual", "0"])
        .args(["--out", "whole"])
        .assert()
        .code(2);
    funnelsim()
        .current_dir(w)
        .args(["run", "baseline.toml", "-n", "100000000", "--counterfactual", "0"])
        .args(["--shard", "1/1000000", "--out", "big-1"])
        .assert()
        .success();
    // A typo in a shard's --out would replace another shard's part.
    shards(w, &[1], 2);
    let out = funnelsim()
        .current_dir(w)
        .args(["run", "baseline.toml", "-n", "12", "--counterfactual", "0"])
        .args(["--shard", "2/2", "--out", "parts/1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds shard 1/2 of this command"), "{err}");
    assert!(w.join("parts/1/manifest.json").exists());
}

#[test]
fn a_damaged_or_swapped_part_file_is_refused() {
    let dir = work_dir();
    let w = dir.path();
    shards(w, &[1, 2], 2);
    // The same shard of another seed: a file of the right shape.
    funnelsim()
        .current_dir(w)
        .args([
            "run",
            "baseline.toml",
            "-n",
            "12",
            "--counterfactual",
            "0",
            "--seed",
            "9",
        ])
        .args(["--shard", "2/2", "--out", "other-seed"])
        .assert()
        .success();
    let file = "run-00000-00000.parquet";
    std::fs::copy(w.join("other-seed").join(file), w.join("parts/2").join(file)).unwrap();
    let (code, err) = merge(w, &["parts/1", "parts/2"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not the file its shard wrote"), "{err}");
}

#[test]
fn merge_reads_the_scenario_where_the_shards_ran() {
    let dir = work_dir();
    let w = dir.path();
    shards(w, &[1, 2], 2);
    // From another directory, with paths to the parts.
    let elsewhere = tempfile::tempdir().unwrap();
    let parts: Vec<String> = [1, 2]
        .iter()
        .map(|k| w.join(format!("parts/{k}")).display().to_string())
        .collect();
    funnelsim()
        .current_dir(elsewhere.path())
        .arg("merge")
        .args(&parts)
        .args(["--out", "merged"])
        .assert()
        .success();
    assert!(elsewhere.path().join("merged/summary.json").exists());
}
