//! Every kind of bad scenario gets one clear error naming the file, the key
//! path and (where TOML has one) the line, and exit status 2; nothing is
//! written.
//!
//! Each file in `tests/bad_scenarios/` starts with `# expect: TEXT` lines:
//! the error message must contain every TEXT.

use std::path::PathBuf;

use super::funnelsim;

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_is_large_enough() {
    assert!(corpus().len() >= 25, "{} bad scenarios", corpus().len());
}

#[test]
fn every_bad_scenario_is_refused_with_a_precise_message() {
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for path in corpus() {
        let text = std::fs::read_to_string(&path).unwrap();
        let expects: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(!expects.is_empty(), "{} has no '# expect:' line", path.display());
        let out_dir = tmp.path().join(path.file_stem().unwrap());
        let out = funnelsim()
            .arg("run")
            .arg(&path)
            .arg("--out")
            .arg(&out_dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let name = path.file_name().unwrap().to_string_lossy();
        if out.status.code() != Some(2) {
            failures.push(format!("{name}: exit {:?}, stderr: {stderr}", out.status.code()));
        }
        if stderr.contains("panicked") {
            failures.push(format!("{name}: panicked: {stderr}"));
        }
        if !stderr.contains(&*name) {
            failures.push(format!("{name}: message does not name the file: {stderr}"));
        }
        for e in expects {
            if !stderr.contains(e) {
                failures.push(format!("{name}: message lacks '{e}': {stderr}"));
            }
        }
        if out_dir.exists() {
            failures.push(format!("{name}: output directory was created"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = funnelsim()
        .args(["run", "scenarios/does_not_exist.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read scenario file scenarios/does_not_exist.toml"),
        "{stderr}"
    );
}

#[test]
fn bad_flags_are_refused() {
    let s = super::scenario("markov_check");
    let out = funnelsim()
        .arg("run")
        .arg(&s)
        .args(["--replications", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--replications must be at least 1"));
    let out = funnelsim()
        .arg("run")
        .arg(&s)
        .args(["--threads", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A file with five mistakes reports all of them in one
/// round, in file order, each line an `error:` line of its own.
#[test]
fn every_mistake_of_a_file_is_reported_at_once() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios/five_mistakes.toml");
    let out = funnelsim().arg("run").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{stderr}");
    let mut last_line = 0;
    for l in &lines {
        assert!(l.starts_with("error: "), "{l}");
        // origin:line:col: — in file order.
        let n: usize = l.split(':').nth(2).unwrap().parse().unwrap();
        assert!(n >= last_line, "{stderr}");
        last_line = n;
    }
}
