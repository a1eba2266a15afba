//! Interrupts, unwritable outputs and absurd runs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{funnelsim, scenario};

/// Starts `funnelsim args…` in `dir`, waits until it announces a long
/// simulation (the note printed before any run estimated to take over 10 s,
/// so the signal lands in the slowest phase), sends `signal` and returns the
/// exit code, stderr and the time from signal to exit.
fn interrupt(dir: &Path, args: &[String], signal: &str) -> (Option<i32>, String, Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_funnelsim"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "{args:?} ended before announcing a long run:\n{seen}"
        );
        seen.push_str(&line);
        if line.starts_with("note: this run simulates") {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    // The signal has been delivered once `kill` returns.
    let sent = Instant::now();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    let took = sent.elapsed();
    std::io::Read::read_to_string(&mut stderr, &mut seen).unwrap();
    (code, seen, took)
}

#[test]
fn every_command_stops_within_a_second_of_an_interrupt_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = scenario("baseline").display().to_string();
    // A history to calibrate from, written before the interrupted commands.
    let o = funnelsim()
        .current_dir(dir)
        .args(["run", &s, "-n", "2", "--export-history", "h.csv"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let stages = "unaware,problem_defined,exploring_solutions,building_requirements,shortlisting_suppliers,validating,deciding";
    let commands: Vec<Vec<&str>> = vec![
        vec!["run", &s, "-n", "200000", "--out", "out"],
        vec!["compare", &s, &s, "-n", "100000", "--out", "out"],
        vec![
            "sweep",
            &s,
            "--vary",
            "outreach.reps=2,3",
            "-n",
            "100000",
            "--out",
            "out",
        ],
        vec![
            "optimise",
            &s,
            "--vary",
            "outreach.reps=2,3",
            "--indifference",
            "1",
            "--first-stage",
            "100000",
            "--out",
            "out",
        ],
        vec![
            "sensitivity",
            &s,
            "--params",
            "outreach.reps",
            "-n",
            "100000",
            "--out",
            "out",
        ],
        vec!["report", &s, "-n", "100000", "--out", "out"],
        vec![
            "calibrate",
            "h.csv",
            "--stages",
            stages,
            "-n",
            "200000",
            "--out",
            "fitted.toml",
        ],
    ];
    // SIGINT (Ctrl-C) for every command; SIGTERM (what a scheduler or
    // `timeout` sends) for the first, which shares the handler.
    let runs = commands
        .iter()
        .map(|c| (c, "-INT"))
        .chain(std::iter::once((&commands[0], "-TERM")));
    for (args, signal) in runs {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (code, stderr, took) = interrupt(dir, &args, signal);
        assert_eq!(code, Some(130), "{args:?} {signal}: {stderr}");
        assert!(
            took < Duration::from_secs(1),
            "{args:?}: stopped {took:?} after {signal}"
        );
        assert!(stderr.contains("nothing was written"), "{stderr}");
        let mut left: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["h.csv"], "{args:?} left files behind");
    }
}

#[test]
fn unwritable_output_is_a_clear_error_before_simulating() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    // A path under a file, and an existing file named as the output
    // directory, are refused as input (2); the file survives.
    for (out, code) in [(file.join("sub"), 2), (file.clone(), 2)] {
        let o = funnelsim()
            .arg("run")
            .arg(scenario("baseline"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("output") && !err.contains("panicked"), "{err}");
        assert!(o.stdout.is_empty(), "nothing was simulated or printed");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    }
}

#[test]
fn absurd_runs_are_refused_with_an_estimate() {
    let o = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["--replications", "4000000000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("would simulate about") && err.contains("use fewer --replications"),
        "{err}"
    );
    let o = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["--set", "channels.rented_lists.arrivals.leads_per_day=1e8"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("GiB"));
}

#[test]
fn suspicious_settings_warn_once() {
    let o = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "5", "--json", "--set", "simulation.warmup_days=0"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("only 5 replications").count(), 1, "{err}");
    assert!(err.contains("warmup_days = 0"), "{err}");
}

#[test]
fn thread_counts_are_bounded_with_the_reason() {
    for j in ["1025", "99999999999"] {
        let o = funnelsim()
            .arg("run")
            .arg(scenario("baseline"))
            .args(["-n", "2", "-j", j])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("more than 1024") && err.contains("do not depend on threads"),
            "{err}"
        );
    }
}

#[test]
fn a_long_run_announces_its_estimated_time_before_starting() {
    let o = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "2", "--set", "simulation.horizon_days=20000"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("expect roughly"), "short runs stay quiet: {err}");
    // Refused runs (over a day) get the estimate in the refusal instead.
    let o = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["--replications", "4000000000"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("expect roughly"));
}

#[test]
fn a_scenario_can_come_from_standard_input() {
    let text = std::fs::read_to_string(scenario("baseline")).unwrap();
    let o = funnelsim()
        .args(["run", "-", "-n", "3", "--json"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let from_stdin: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "3", "--json"])
        .output()
        .unwrap();
    let from_file: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(from_stdin["metrics"], from_file["metrics"]);
    // Errors name standard input; it can be read only once.
    let o = funnelsim()
        .args(["run", "-"])
        .write_stdin("name = 3\n")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("<stdin>:1:"));
    let o = funnelsim()
        .args(["compare", "-", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("only one"));
}
