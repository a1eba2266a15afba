//! What a user sees of the baseline, pinned: the terminal summary (at 80
//! columns, as piped, and for a room at 120) and the `--json` summary. A deliberate change of wording, layout or numbers is
//! reviewed with `cargo insta review`; an accidental one fails here.

use super::{funnelsim, scenario};

fn stdout(extra: &[&str]) -> String {
    stdout_at(extra, None)
}

fn stdout_at(extra: &[&str], columns: Option<usize>) -> String {
    let mut c = funnelsim();
    c.arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "40"])
        .args(extra);
    if let Some(n) = columns {
        c.env("COLUMNS", n.to_string());
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn baseline_terminal_summary() {
    insta::assert_snapshot!(stdout(&[]));
}

#[test]
fn baseline_terminal_summary_for_a_room_at_120_columns() {
    insta::assert_snapshot!(stdout_at(&["--plain"], Some(120)));
}

#[test]
fn baseline_json_summary() {
    let v: serde_json::Value = serde_json::from_str(&stdout(&["--json"])).unwrap();
    insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
}
