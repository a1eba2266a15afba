//! funnelsim replaces only what it wrote: user files survive every command,
//! inputs are never outputs, and no failure leaves a staging area behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::{funnelsim, scenario};

/// A directory holding a file the user cares about.
fn precious_dir(root: &Path, name: &str) -> PathBuf {
    let d = root.join(name);
    fs::create_dir(&d).unwrap();
    fs::write(d.join("precious.txt"), "keep me").unwrap();
    d
}

fn assert_refused(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in:\n{err}");
    assert!(o.stdout.is_empty(), "refused before printing results");
}

/// Entries of `dir` whose names funnelsim gives its temporary files.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".funnelsim") || n.contains(".funnelsim-old-"))
        .collect()
}

/// Every command that writes an output directory, pointed at `out`.
fn out_commands(out: &Path) -> Vec<Vec<String>> {
    let s = scenario("baseline").display().to_string();
    let o = out.display().to_string();
    vec![
        vec![
            "run".into(),
            s.clone(),
            "-n".into(),
            "2".into(),
            "--out".into(),
            o.clone(),
        ],
        vec![
            "compare".into(),
            s.clone(),
            s.clone(),
            "-n".into(),
            "2".into(),
            "--out".into(),
            o.clone(),
        ],
        vec![
            "sweep".into(),
            s.clone(),
            "--vary".into(),
            "outreach.reps=2,3".into(),
            "-n".into(),
            "2".into(),
            "--out".into(),
            o.clone(),
        ],
        vec![
            "optimise".into(),
            s.clone(),
            "--vary".into(),
            "outreach.reps=2,3".into(),
            "--indifference".into(),
            "1e9".into(),
            "--first-stage".into(),
            "2".into(),
            "--out".into(),
            o.clone(),
        ],
        vec![
            "sensitivity".into(),
            s.clone(),
            "--params".into(),
            "outreach.reps".into(),
            "-n".into(),
            "2".into(),
            "--out".into(),
            o.clone(),
        ],
        vec!["report".into(), s, "-n".into(), "2".into(), "--out".into(), o],
    ]
}

#[test]
fn a_directory_funnelsim_did_not_write_survives_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let d = precious_dir(tmp.path(), "d");
    for args in out_commands(&d) {
        let o = funnelsim().args(&args).output().unwrap();
        assert_refused(&o, "was not written by funnelsim");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--force") && err.contains("precious.txt"), "{err}");
        assert_eq!(
            fs::read_to_string(d.join("precious.txt")).unwrap(),
            "keep me",
            "{args:?}"
        );
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1, "{args:?}");
        assert!(leftovers(tmp.path()).is_empty(), "{args:?}");
    }
}

#[test]
fn force_replaces_a_foreign_directory_and_an_owned_one_is_replaced_freely() {
    let tmp = tempfile::tempdir().unwrap();
    let d = precious_dir(tmp.path(), "d");
    for args in out_commands(&d) {
        let o = funnelsim().args(&args).arg("--force").output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!d.join("precious.txt").exists());
        assert!(d.join("manifest.json").exists());
        // Now funnelsim's: every command may replace it without --force.
        let o = funnelsim().args(&args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(leftovers(tmp.path()).is_empty(), "{args:?}");
    }
}

#[test]
fn a_file_added_to_an_output_directory_is_protected() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("results");
    let run = |extra: &[&str]| {
        funnelsim()
            .arg("run")
            .arg(scenario("baseline"))
            .args(["-n", "2", "--out"])
            .arg(&d)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&[]).status.success());
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("manifest.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"summary.csv") && files.contains(&"funnel.svg"),
        "{files:?}"
    );
    fs::write(d.join("my_notes.md"), "analysis").unwrap();
    assert_refused(&run(&[]), "my_notes.md");
    assert!(d.join("my_notes.md").exists());
}

#[test]
fn an_output_directory_never_swallows_the_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    fs::create_dir(&proj).unwrap();
    let mine = proj.join("my.toml");
    fs::copy(scenario("baseline"), &mine).unwrap();
    for force in [false, true] {
        let mut cmd = funnelsim();
        cmd.arg("run").arg(&mine).args(["-n", "2", "--out"]).arg(&proj);
        if force {
            cmd.arg("--force");
        }
        assert_refused(&cmd.output().unwrap(), "an input of this command");
        assert!(mine.exists());
    }
}

#[test]
fn current_and_parent_directories_are_refused_without_leftovers() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join("work");
    fs::create_dir(&cwd).unwrap();
    for out in [".", "..", "./", "../work"] {
        let o = funnelsim()
            .current_dir(&cwd)
            .arg("run")
            .arg(scenario("baseline"))
            .args(["-n", "2", "--force", "--out", out])
            .output()
            .unwrap();
        assert_refused(&o, "current directory");
        assert!(
            leftovers(&cwd).is_empty() && leftovers(tmp.path()).is_empty(),
            "{out}"
        );
    }
}

#[test]
fn stale_staging_from_a_killed_run_is_cleared_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    // Process ids on Linux stay below 2^22: this writer is certainly gone.
    let stale = tmp.path().join(".funnelsim-staging-4000000000-abc123");
    fs::create_dir(&stale).unwrap();
    fs::write(stale.join("summary.csv"), "half").unwrap();
    let aside = tmp.path().join(".results.funnelsim-old-4000000000");
    fs::create_dir(&aside).unwrap();
    let user = tmp.path().join(".funnelsim-staging-is-my-folder");
    fs::create_dir(&user).unwrap();
    let o = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "2", "--out"])
        .arg(tmp.path().join("results"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if cfg!(target_os = "linux") {
        assert!(!stale.exists() && !aside.exists());
    }
    assert!(user.exists(), "a name without a process id is not funnelsim's");
}

#[test]
fn file_outputs_never_replace_inputs_or_foreign_files() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = tmp.path().join("s.toml");
    fs::copy(scenario("baseline"), &scen).unwrap();
    let original = fs::read(&scen).unwrap();
    let history = tmp.path().join("h.csv");
    let export = |to: &Path, force: bool| {
        let mut c = funnelsim();
        c.arg("run")
            .arg(&scen)
            .args(["-n", "2", "--export-history"])
            .arg(to);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    // The scenario is not replaced by its own export, even forced.
    for force in [false, true] {
        assert_refused(&export(&scen, force), "an input of this command");
        assert_eq!(fs::read(&scen).unwrap(), original);
    }
    assert!(export(&history, false).status.success());
    let exported = fs::read(&history).unwrap();
    // A CSV carries no mark of its writer: replacing it takes --force.
    assert_refused(&export(&history, false), "--force");
    assert!(export(&history, true).status.success());

    let stages = "unaware,problem_defined,exploring_solutions,building_requirements,shortlisting_suppliers,validating,deciding";
    let calibrate = |out: &Path, force: bool| {
        let mut c = funnelsim();
        c.arg("calibrate")
            .arg(&history)
            .args(["--stages", stages, "-n", "5", "--out"])
            .arg(out);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    // The history is not replaced by the fitted scenario, even forced.
    for force in [false, true] {
        assert_refused(&calibrate(&history, force), "an input of this command");
        assert_eq!(fs::read(&history).unwrap().len(), exported.len());
    }
    // A hand-written scenario is not replaced silently.
    let mine = tmp.path().join("mine.toml");
    fs::write(&mine, "# my scenario\n").unwrap();
    assert_refused(&calibrate(&mine, false), "funnelsim did not write it");
    assert_eq!(fs::read_to_string(&mine).unwrap(), "# my scenario\n");
    // A fitted scenario is funnelsim's: calibrating again replaces it.
    let fitted = tmp.path().join("fitted.toml");
    assert!(calibrate(&fitted, false).status.success());
    assert!(calibrate(&fitted, false).status.success());
    assert!(calibrate(&mine, true).status.success());
    assert!(fs::read_to_string(&mine).unwrap().starts_with("# Calibrated by"));
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn a_symlink_is_refused_however_it_is_spelt() {
    let tmp = tempfile::tempdir().unwrap();
    let real = precious_dir(tmp.path(), "real");
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    for out in ["link", "link/", "link/."] {
        let o = funnelsim()
            .current_dir(tmp.path())
            .arg("run")
            .arg(scenario("baseline"))
            .args(["-n", "2", "--force", "--out", out])
            .output()
            .unwrap();
        assert_refused(&o, "symbolic link");
        assert!(real.join("precious.txt").exists() && link.exists(), "{out}");
    }
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn a_history_export_inside_the_output_directory_is_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results");
    for export in [out.clone(), out.join("h.csv")] {
        let o = funnelsim()
            .arg("run")
            .arg(scenario("baseline"))
            .args(["-n", "2", "--out"])
            .arg(&out)
            .arg("--export-history")
            .arg(&export)
            .output()
            .unwrap();
        assert_refused(&o, "inside --out");
        assert!(!out.exists());
    }
}
