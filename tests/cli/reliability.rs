//! Interrupts, unwritable outputs and absurd runs.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{funnelsim, scenario};

#[test]
fn sigint_stops_promptly_and_leaves_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("never");
    let mut child = Command::new(env!("CARGO_BIN_EXE_funnelsim"))
        .arg("run")
        .arg(scenario("baseline"))
        .args(["--replications", "200000", "--out"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it get going (past loading and into the replications).
    std::thread::sleep(Duration::from_millis(800));
    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "did not stop within 5 s of SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted:") && stderr.contains("replications finished; nothing was written"),
        "{stderr}"
    );
    assert!(!dir.exists(), "no output directory after an interrupt");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(
        leftovers.is_empty(),
        "staging directory left behind: {leftovers:?}"
    );
}

#[test]
fn unwritable_output_is_a_clear_error_before_simulating() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    // A parent that cannot hold a directory is an environment failure (1);
    // an existing file named as the output directory is refused as input (2)
    // and survives.
    for (out, code) in [(file.join("sub"), 1), (file.clone(), 2)] {
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
