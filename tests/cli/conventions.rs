//! The usual conventions of a Rust command line: shell completions, man
//! pages, `--version` on every command, `--quiet`, `--color` with NO_COLOR,
//! and `check` for scenario files.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use super::{funnelsim, scenario};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A file of the bad-scenario corpus.
fn bad(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad_scenarios")
        .join(format!("{name}.toml"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn completions_know_the_commands_for_every_shell() {
    let out = funnelsim().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    let script = text(&out.stdout);
    assert!(script.contains("funnelsim"), "{script}");
    for command in ["run", "check", "calibrate"] {
        assert!(script.contains(command), "bash completion lacks {command}");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = funnelsim().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        assert!(text(&out.stdout).contains("sweep"), "{shell}");
    }
    funnelsim().args(["completions", "tcsh"]).assert().code(2);
}

/// The first line of a man page that is not a comment.
fn title_line(page: &str) -> &str {
    page.lines().find(|l| !l.starts_with(".\\\"")).unwrap_or_default()
}

#[test]
fn man_prints_roff_pages_titled_by_command() {
    let out = funnelsim().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(page.starts_with(".\\\" Written by funnelsim"), "{page}");
    assert!(
        title_line(&page).starts_with(".TH funnelsim 1"),
        "{}",
        title_line(&page)
    );
    assert!(page.contains(".SH SYNOPSIS") && page.contains("check"));
    let run = text(&funnelsim().args(["man", "run"]).output().unwrap().stdout);
    assert!(title_line(&run).starts_with(".TH funnelsim-run 1"), "{run}");
    assert!(run.contains(&format!("funnelsim {VERSION}")), "{run}");
    assert!(run.contains("replications"));
    let out = funnelsim().args(["man", "runn"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no command runn"));
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn man_out_writes_a_page_per_command_and_replaces_only_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    funnelsim().arg("man").arg("--out").arg(&dir).assert().success();
    let pages = listing(&dir);
    for p in [
        "funnelsim.1",
        "funnelsim-run.1",
        "funnelsim-check.1",
        "funnelsim-man.1",
    ] {
        assert!(pages.contains(&p.to_owned()), "{pages:?}");
    }
    assert!(!pages.contains(&"funnelsim-help.1".to_owned()));
    let printed = funnelsim().args(["man", "run"]).output().unwrap().stdout;
    assert_eq!(std::fs::read(dir.join("funnelsim-run.1")).unwrap(), printed);
    // Its own pages are replaced.
    funnelsim().arg("man").arg("--out").arg(&dir).assert().success();
    assert_eq!(listing(&dir), pages);
    // A page funnelsim did not write is not, and then nothing is written.
    std::fs::write(dir.join("funnelsim-run.1"), "my own page").unwrap();
    std::fs::remove_file(dir.join("funnelsim.1")).unwrap();
    let out = funnelsim().arg("man").arg("--out").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("will not replace") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("funnelsim-run.1")).unwrap(),
        "my own page"
    );
    assert!(!dir.join("funnelsim.1").exists(), "all pages or none");
    // --force replaces it.
    funnelsim()
        .arg("man")
        .arg("--out")
        .arg(&dir)
        .arg("--force")
        .assert()
        .success();
    assert_eq!(std::fs::read(dir.join("funnelsim-run.1")).unwrap(), printed);
    assert_eq!(listing(&dir), pages);
}

#[test]
fn every_command_has_version() {
    for command in ["run", "check", "man"] {
        let out = funnelsim().args([command, "--version"]).output().unwrap();
        assert!(out.status.success(), "{command}");
        let line = text(&out.stdout);
        assert!(line.contains(VERSION), "{command}: {line}");
    }
}

#[test]
fn quiet_empties_stderr_and_leaves_stdout_alone() {
    let run = |quiet: &[&str]| {
        funnelsim()
            .args(quiet)
            .arg("run")
            .arg(scenario("baseline"))
            .args(["-n", "20"])
            .output()
            .unwrap()
    };
    let loud = run(&[]);
    assert!(loud.status.success());
    // 20 replications draw a warning, and the timing line follows.
    assert!(text(&loud.stderr).contains("warning:"), "{}", text(&loud.stderr));
    for quiet in [&["-q"][..], &["--quiet"][..]] {
        let out = run(quiet);
        assert!(out.status.success());
        assert_eq!(text(&out.stderr), "", "{quiet:?}");
        assert_eq!(out.stdout, loud.stdout, "{quiet:?}");
    }
    // Global: after the command too.
    let after = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "20", "-q"])
        .output()
        .unwrap();
    assert_eq!(text(&after.stderr), "");
    assert_eq!(after.stdout, loud.stdout);
}

#[test]
fn quiet_still_reports_errors() {
    let out = funnelsim()
        .args(["-q", "run", "no_such_scenario.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("error: cannot read scenario file"));
}

/// `funnelsim ARGS` with the colour variables of the environment `env`
/// only; whether its stdout and stderr hold an ANSI escape.
fn coloured(args: &[&str], env: &[(&str, &str)]) -> bool {
    let mut cmd: Command = funnelsim();
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.args(args).output().unwrap();
    [out.stdout, out.stderr].iter().any(|s| s.contains(&0x1b))
}

#[test]
fn color_option_and_no_color_govern_help_and_errors() {
    let help = ["run", "--help"];
    assert!(coloured(&["--color", "always", "run", "--help"], &[]));
    assert!(coloured(&["run", "--help", "--color=always"], &[]));
    assert!(!coloured(&["--color", "never", "run", "--help"], &[]));
    // Not a terminal: auto means no colour.
    assert!(!coloured(&help, &[]));
    assert!(coloured(&help, &[("CLICOLOR_FORCE", "1")]));
    // NO_COLOR wins over CLICOLOR_FORCE, but not over --color always; an
    // empty NO_COLOR is no NO_COLOR.
    assert!(!coloured(&help, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]));
    assert!(coloured(&help, &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]));
    assert!(coloured(
        &["--color", "always", "run", "--help"],
        &[("NO_COLOR", "1")]
    ));
    assert!(!coloured(
        &["--color", "never", "run", "--help"],
        &[("CLICOLOR_FORCE", "1")]
    ));
    // clap's error messages too.
    assert!(coloured(&["--color", "always", "run", "--bogus"], &[]));
    assert!(!coloured(
        &["--color", "never", "run", "--bogus"],
        &[("CLICOLOR_FORCE", "1")]
    ));
    // Results never carry colour.
    let baseline = scenario("baseline");
    let run = [
        "--color",
        "always",
        "run",
        baseline.to_str().unwrap(),
        "-n",
        "2",
        "--counterfactual",
        "0",
    ];
    let out = funnelsim().args(run).output().unwrap();
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b));
    let out = funnelsim()
        .args(["--color", "purple", "run", baseline.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("purple"));
}

fn check(args: &[&Path]) -> (Option<i32>, String, String) {
    let out = funnelsim().arg("check").args(args).output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn check_accepts_a_good_scenario() {
    let good = scenario("baseline");
    let (code, stdout, stderr) = check(&[&good]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "ok: {} (Baseline: the blame game, 7 stages, 5 channels, 200 replications)\n",
            good.display()
        )
    );
    assert_eq!(stderr, "");
}

#[test]
fn check_gives_runs_messages_for_a_bad_scenario() {
    let file = bad("five_mistakes");
    let (code, stdout, stderr) = check(&[&file]);
    assert_eq!(code, Some(2));
    assert_eq!(stdout, "");
    let run = funnelsim().arg("run").arg(&file).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        stderr,
        format!("{}error: 1 of 1 scenario file is invalid\n", text(&run.stderr))
    );
    assert!(
        stderr.contains(&format!(
            "{}:10:15: simulation.replicatons: unknown key",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn check_goes_on_after_a_bad_file() {
    let (good, other) = (scenario("baseline"), scenario("inbound_insight"));
    let (syntax, unknown) = (bad("syntax_error"), bad("unknown_key"));
    let (code, stdout, stderr) = check(&[&syntax, &good, &unknown, &other]);
    assert_eq!(code, Some(2));
    let ok: Vec<&str> = stdout.lines().collect();
    assert_eq!(ok.len(), 2, "{stdout}");
    assert!(ok[0].starts_with(&format!("ok: {} (", good.display())));
    assert!(ok[1].starts_with(&format!("ok: {} (", other.display())));
    assert!(stderr.contains(&format!("error: {}:2:13: TOML syntax error", syntax.display())));
    assert!(
        stderr.contains(&format!("error: {}:", unknown.display())),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("error: 2 of 4 scenario files are invalid\n"),
        "{stderr}"
    );
}

#[test]
fn check_applies_set_and_replications_as_run_does() {
    let good = scenario("baseline");
    let out = funnelsim()
        .arg("check")
        .arg(&good)
        .args(["--set", "outreach.repz=3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("closest valid keys: reps"));
    let out = funnelsim()
        .arg("check")
        .arg(&good)
        .args(["--set", "outreach.reps=3", "-n", "5"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("5 replications"));
    assert!(text(&out.stderr).contains("warning:"), "few replications");
    let quiet = funnelsim()
        .args(["-q", "check"])
        .arg(&good)
        .args(["-n", "5"])
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert_eq!(text(&quiet.stderr), "");
}

#[test]
fn check_json_lists_every_file() {
    let (good, broken) = (scenario("baseline"), bad("missing_required_key"));
    let out = funnelsim()
        .args(["check", "--json"])
        .arg(&good)
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["valid"], false);
    let files = v["scenarios"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["valid"], true);
    assert_eq!(files[0]["stages"], 7);
    assert_eq!(files[0]["name"], "Baseline: the blame game");
    assert_eq!(files[1]["valid"], false);
    let error = files[1]["error"].as_str().unwrap();
    assert!(error.starts_with(&broken.display().to_string()), "{error}");
    let out = funnelsim().args(["check", "--json"]).arg(&good).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
}

#[test]
fn bad_command_lines_of_the_new_commands_are_refused() {
    let good = scenario("baseline");
    let good = good.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["check"], "<SCENARIO>"),
        (&["check", good, "--set", "outreach..reps=3"], "empty key"),
        (&["check", good, "-n", "0"], "--replications must be at least 1"),
        (&["check", "-", "-"], "only one of the scenarios"),
        (
            &["check", "no_such.toml"],
            "cannot read scenario file no_such.toml",
        ),
        (&["completions"], "<SHELL>"),
        (&["completions", "tcsh"], "tcsh"),
        (&["man", "--force"], "--out"),
        (&["man", "run", "--out", "x"], "cannot be used with"),
        (&["--color", "purple", "check", good], "purple"),
    ];
    for (args, expected) in cases {
        let cwd = tempfile::tempdir().unwrap();
        let out = funnelsim().current_dir(cwd.path()).args(*args).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(listing(cwd.path()).is_empty(), "{args:?} wrote something");
    }
}
