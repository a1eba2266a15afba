//! `funnelsim serve`'s HTTP API, in process on loopback: runs agree with
//! `funnelsim run --json`, refusals carry the CLI's messages and key paths,
//! the difference is paired, a page's new request cancels its previous run,
//! the queue answers "busy" beyond its bound, no request reaches a file, and
//! the scoreboard marks each step's best try. The real binary as its own
//! process: a load of 50 clients × 10 runs is answered in full in bounded
//! memory, and the page works in headless Chromium.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use assert_cmd::Command;
use funnelsim::serve::{self, Console, Limits};
use serde_json::{Value, json};

/// A console on a free loopback port, stopped when dropped.
struct Server {
    addr: SocketAddr,
    console: Arc<Console>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().expect("the server thread ends cleanly");
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn never() -> bool {
    false
}

fn start(limits: Limits, stopping: fn() -> bool) -> Server {
    let entries = serve::entries(&[
        root().join("scenarios/baseline.toml"),
        root().join("scenarios/workshop"),
    ])
    .expect("the shipped scenarios load");
    let console = Console::new(entries, limits, stopping).expect("worker pool");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let c = console.clone();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            addr_tx
                .send(listener.local_addr().expect("address"))
                .expect("send");
            serve::serve(listener, c, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
    });
    let addr = addr_rx.recv().expect("the server starts");
    Server {
        addr,
        console,
        stop: Some(tx),
        thread: Some(thread),
    }
}

/// One HTTP/1.1 request; returns the status and the body.
fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let status = out[9..12].parse().expect("status code");
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn post(addr: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    let (status, text) = request(addr, "POST", path, Some(&body));
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn run(addr: SocketAddr, body: Value) -> (u16, Value) {
    post(addr, "/api/run", body)
}

/// `funnelsim run --json` with `args`, from the repository root.
fn cli(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("funnelsim")
        .expect("binary")
        .current_dir(root())
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn a_run_is_the_cli_run_with_its_paired_difference_and_command() {
    let server = start(Limits::default(), never);
    let (status, a) = run(
        server.addr,
        json!({"scenario": "baseline", "set": ["outreach.reps=6"], "replications": 20}),
    );
    assert_eq!(status, 200, "{a}");
    let file = root().join("scenarios/baseline.toml").display().to_string();
    assert_eq!(
        a["command"].as_str().unwrap(),
        format!("funnelsim run {file} --set outreach.reps=6 -n 20")
    );
    // The result is `run --json`'s summary, counterfactual ledger included.
    let out = cli(&["run", &file, "--set", "outreach.reps=6", "-n", "20", "--json"]);
    assert!(out.status.success());
    let expected: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["result"], expected);
    // The starting point is the file as it is, with the same seed and
    // replications, and the difference is paired replication by replication.
    let out = cli(&["run", &file, "-n", "20", "--json", "--counterfactual", "0"]);
    let start: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["start"], start);
    let won = &a["difference"]["metrics"]["won"];
    let diff = won["difference"]["mean"].as_f64().unwrap();
    let means = a["result"]["metrics"]["won"]["mean"].as_f64().unwrap()
        - start["metrics"]["won"]["mean"].as_f64().unwrap();
    assert!((diff - means).abs() < 1e-9, "{diff} vs {means}");
    assert!(
        won["paired_ci_half_width"].as_f64().unwrap() < won["unpaired_ci_half_width"].as_f64().unwrap(),
        "common random numbers narrow the interval: {won}"
    );
    assert!(!a["findings"].as_array().unwrap().is_empty());
    assert!(!a["narrative"].as_array().unwrap().is_empty());
    // The pipeline over time, this run's and the starting point's.
    let days = a["pipeline"]["days"].as_array().unwrap().len();
    assert!(days > 10, "{}", a["pipeline"]);
    assert_eq!(a["pipeline"]["result"].as_array().unwrap().len(), days);
    assert_eq!(a["pipeline"]["start"].as_array().unwrap().len(), days);
    // The page asks for the ledger on its own, after the headline: the same
    // ledger as the whole answer's.
    let (status, ledger) = run(
        server.addr,
        json!({"scenario": "baseline", "set": ["outreach.reps=6"], "replications": 20, "counterfactual_only": true}),
    );
    assert_eq!(status, 200, "{ledger}");
    assert_eq!(ledger["counterfactual"], a["result"]["blame"]["counterfactual"]);

    // The starting point against itself: exactly zero, a zero-width interval.
    let (status, same) = run(server.addr, json!({"scenario": "baseline", "replications": 20}));
    assert_eq!(status, 200);
    let d = &same["difference"]["metrics"]["won"]["difference"];
    assert_eq!(
        (d["mean"].as_f64(), d["ci_low"].as_f64(), d["ci_high"].as_f64()),
        (Some(0.0), Some(0.0), Some(0.0))
    );
    assert_eq!(
        same["command"].as_str().unwrap(),
        format!("funnelsim run {file} -n 20")
    );
}

#[test]
fn refusals_carry_the_cli_message_and_the_key_path() {
    let server = start(Limits::default(), never);
    let file = root().join("scenarios/baseline.toml").display().to_string();
    for set in [
        "outreach.reps=-1",
        "outreach.repz=6",
        "handoff.policy=sometimes",
        "outreach.reps",
    ] {
        let (status, a) = run(
            server.addr,
            json!({"scenario": "baseline", "set": [set], "replications": 5}),
        );
        assert_eq!(status, 400, "{set}: {a}");
        let out = cli(&["run", &file, "--set", set, "-n", "5"]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            format!("error: {}\n", a["error"].as_str().unwrap()),
            stderr,
            "{set}: the console words a refusal as the command line does"
        );
        let key = set.split('=').next().unwrap();
        assert!(
            a["error"].as_str().unwrap().contains(&format!("--set {key}")),
            "{a}"
        );
        assert!(a["problems"][0]["key"].as_str().is_some(), "{a}");
    }
    let (status, a) = run(server.addr, json!({"scenario": "baseline", "replications": 0}));
    assert_eq!(status, 400, "{a}");
    let (status, a) = run(
        server.addr,
        json!({"scenario": "baseline", "replications": 1_000_000}),
    );
    assert_eq!(status, 400, "{a}");
    // The resource guard, as the command line has it (a smaller bound).
    let (status, a) = run(
        server.addr,
        json!({"scenario": "baseline", "set": ["channels.trade_shows.arrivals.events[0].mean_leads=1e9"]}),
    );
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"].as_str().unwrap().contains("would simulate about"),
        "{a}"
    );
    let (status, a) = run(server.addr, json!({"scenario": "baseline", "sett": []}));
    assert_eq!(status, 400, "{a}");
}

#[test]
fn no_request_reaches_a_file() {
    let server = start(Limits::default(), never);
    for name in [
        "../Cargo.toml",
        "/etc/passwd",
        "scenarios/baseline.toml",
        "baseline.toml",
        "",
    ] {
        let (status, a) = run(server.addr, json!({"scenario": name, "replications": 5}));
        assert_eq!(status, 404, "{name}: {a}");
        assert!(
            a["error"]
                .as_str()
                .unwrap()
                .contains("this console serves: baseline"),
            "{a}"
        );
    }
    for path in [
        "/../Cargo.toml",
        "/scenarios/baseline.toml",
        "/%2e%2e/Cargo.toml",
        "/api/../../Cargo.toml",
        "/src/serve/page/app.js",
    ] {
        let (status, body) = request(server.addr, "GET", path, None);
        assert_ne!(status, 200, "{path}");
        assert!(!body.contains("[package]"), "{path}");
    }
    let (status, list) = request(server.addr, "GET", "/api/scenarios", None);
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&list).unwrap();
    let ids: Vec<&str> = list["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], "baseline");
    assert_eq!(ids.len(), 6, "the baseline and the five workshop steps: {ids:?}");
    let steps: Vec<u64> = list["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["step"].as_u64())
        .collect();
    assert_eq!(steps, [1, 2, 3, 4, 5]);
    let (status, page) = request(server.addr, "GET", "/", None);
    assert_eq!(status, 200);
    assert!(page.contains("funnelsim console"));
}

#[test]
fn a_new_request_from_the_same_page_cancels_the_previous_run() {
    let server = start(
        Limits {
            queued: 1,
            ..Limits::default()
        },
        never,
    );
    let addr = server.addr;
    let first = std::thread::spawn(move || {
        run(
            addr,
            json!({"scenario": "baseline", "replications": 5000, "page": "p1"}),
        )
    });
    while server.console.admitted() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let (status, second) = run(
        addr,
        json!({"scenario": "baseline", "replications": 10, "page": "p1"}),
    );
    assert_eq!(status, 200, "{second}");
    let (status, first) = first.join().unwrap();
    assert_eq!(status, 409, "{first}");
    assert_eq!(first["cancelled"], true);
}

static STOP_BUSY: AtomicBool = AtomicBool::new(false);

fn busy_stopping() -> bool {
    STOP_BUSY.load(Ordering::SeqCst)
}

#[test]
fn beyond_the_queue_the_answer_is_busy() {
    let server = start(
        Limits {
            queued: 0,
            ..Limits::default()
        },
        busy_stopping,
    );
    let addr = server.addr;
    let first = std::thread::spawn(move || run(addr, json!({"scenario": "baseline", "replications": 5000})));
    while server.console.admitted() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let (status, busy) = run(addr, json!({"scenario": "baseline", "replications": 10}));
    assert_eq!(status, 503, "{busy}");
    assert!(busy["error"].as_str().unwrap().starts_with("busy:"), "{busy}");
    // Stopping ends the long run early; the queue is free again.
    STOP_BUSY.store(true, Ordering::SeqCst);
    let (status, _) = first.join().unwrap();
    assert_eq!(status, 409);
    STOP_BUSY.store(false, Ordering::SeqCst);
    assert_eq!(server.console.admitted(), 0);
    let (status, a) = run(addr, json!({"scenario": "baseline", "replications": 10}));
    assert_eq!(status, 200, "{a}");
}

#[test]
fn the_scoreboard_keeps_tries_and_exports_them() {
    let server = start(Limits::default(), never);
    let t = json!({"who": "Table 3", "scenario": "01_blame_game", "set": ["outreach.reps=6"], "prediction": "more, \"about\" +10",
        "won": 101.5, "won_difference": 9.25, "won_difference_ci": [4.0, 14.5], "revenue": 1.0e6, "command": "=cmd"});
    let (status, _) = post(server.addr, "/api/tries", t.clone());
    assert_eq!(status, 200);
    let (status, list) = request(server.addr, "GET", "/api/tries", None);
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&list).unwrap();
    let mut shown = t.clone();
    shown["best_of_step"] = json!(true);
    assert_eq!(list["tries"][0], shown, "the only try is its step's best");
    let (_, csv) = request(server.addr, "GET", "/api/tries.csv", None);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].ends_with(",command,best_of_step"), "{csv}");
    assert_eq!(
        lines[1],
        r#"1,Table 3,01_blame_game,outreach.reps=6,"more, ""about"" +10",101.5,9.25,4,14.5,1000000,'=cmd,true"#
    );
    let (status, _) = post(server.addr, "/api/tries", json!({"who": "x"}));
    assert_eq!(status, 400);
    let (status, _) = post(server.addr, "/api/tries/clear", json!({}));
    assert_eq!(status, 200);
    let (_, csv) = request(server.addr, "GET", "/api/tries.csv", None);
    assert_eq!(csv.lines().count(), 1);
}

/// The best so far is per step, by the paired difference from the step's
/// starting point, not by deals won (steps start from different scenarios):
/// in the API and in both exports, ties keeping the first.
#[test]
fn the_scoreboard_marks_the_best_try_of_each_step() {
    let server = start(Limits::default(), never);
    // (step, deals won, paired difference): step 2's tries win more deals
    // than any of step 1's, but the best of each step is its own largest
    // difference; try 6 ties try 2 and try 7 has no difference.
    let tries = [
        ("01_blame_game", 96.0, Some(-19.0)),
        ("01_blame_game", 130.0, Some(15.5)),
        ("02_nurture_before_handoff", 190.0, Some(4.0)),
        ("01_blame_game", 120.0, Some(5.0)),
        ("02_nurture_before_handoff", 181.0, Some(-5.0)),
        ("01_blame_game", 130.0, Some(15.5)),
        ("02_nurture_before_handoff", 250.0, None),
        ("02_nurture_before_handoff", 195.0, Some(9.0)),
    ];
    let mut best_so_far = Vec::new();
    for (k, (step, won, diff)) in tries.iter().enumerate() {
        let (status, _) = post(
            server.addr,
            "/api/tries",
            json!({"who": format!("table {k}"), "scenario": step, "won": won, "won_difference": diff}),
        );
        assert_eq!(status, 200);
        let (_, list) = request(server.addr, "GET", "/api/tries", None);
        let list: Value = serde_json::from_str(&list).unwrap();
        let marked: Vec<usize> = list["tries"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, t)| t["best_of_step"] == true)
            .map(|(i, _)| i + 1)
            .collect();
        best_so_far.push(marked);
    }
    // After each try, the tries (numbered from 1) marked best of their step.
    assert_eq!(
        best_so_far,
        [
            vec![1],
            vec![2],
            vec![2, 3],
            vec![2, 3],
            vec![2, 3],
            vec![2, 3],
            vec![2, 3],
            vec![2, 8],
        ]
    );
    let (_, csv) = request(server.addr, "GET", "/api/tries.csv", None);
    let marks: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(
        marks,
        [
            "false", "true", "false", "false", "false", "false", "false", "true"
        ],
        "{csv}"
    );
}

/// `funnelsim serve` as its own process on a free loopback port (`--port
/// 0`: it prints the address it got), killed and reaped when dropped, so a
/// failing test leaves no server behind.
struct Process {
    child: std::process::Child,
    /// Kept open: the server's stdout, after the address line.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    url: String,
    addr: SocketAddr,
}

impl Process {
    fn start() -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_funnelsim"))
            .args([
                "serve",
                "scenarios/baseline.toml",
                "scenarios/workshop",
                "--port",
                "0",
            ])
            .current_dir(root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("funnelsim serve starts");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        let read = std::io::BufRead::read_line(&mut stdout, &mut line);
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .map(str::to_owned);
        let Some(url) = url.filter(|_| read.is_ok()) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no URL in {line:?}");
        };
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("an address");
        Self {
            child,
            _stdout: stdout,
            url,
            addr,
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/PID/status` figure in KiB (`VmRSS`, `VmHWM`); `None` where
/// there is no procfs (not Linux).
fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Memory the server may gain under the load beyond its footprint after
/// one run, in KiB. What a request may hold while it is answered is small
/// and bounded by the queue, not by the number of requests: at most 17
/// admitted runs (one simulating, 16 queued), each a validated scenario
/// (tens of KiB) and, for the one simulating, its 10 replications' rows
/// and one answer of about 40 KiB, as the warm-up run already held; the
/// other connections hold a request and a "busy" answer of a few hundred
/// bytes each. Add the allocator: tokio's blocking threads and rayon's
/// workers each get a malloc arena, a few MiB resident at most. Measured:
/// 3.5 to 5.5 MiB of growth over five runs on a loaded 2-core machine.
/// 16 MiB leaves room for about three times that, while keeping one answer
/// per request (500 × about 40 KiB, 20 MiB), let alone its run, would
/// exceed it.
const LOAD_GROWTH_KIB: u64 = 16 * 1024;

/// 50 clients × 10 runs of the baseline (10 replications each, no
/// counterfactual ledger) against `funnelsim serve` as its own process on
/// loopback: every request is answered, with a result or "busy", none
/// lost; afterwards no place in the queue is left taken (as many runs as
/// it admits, sent at once, are all served) and the server answers a
/// normal run; its peak resident memory (Linux: `VmHWM`) stays within
/// [`LOAD_GROWTH_KIB`] of its footprint after one run. Prints the
/// throughput and the memory (`--nocapture`).
#[test]
fn load_of_fifty_clients_is_answered_in_full() {
    let server = Process::start();
    let (addr, pid) = (server.addr, server.child.id());
    // One run first, so the footprint measured includes the worker
    // threads, the cached starting point and one answer.
    let (status, a) = run(
        addr,
        json!({"scenario": "baseline", "replications": 10, "counterfactual": 0}),
    );
    assert_eq!(status, 200, "{a}");
    let warm = proc_status_kib(pid, "VmRSS");
    let started = std::time::Instant::now();
    let clients: Vec<_> = (0..50)
        .map(|i| {
            std::thread::spawn(move || {
                (0..10)
                    .map(|k| {
                        let (status, a) = run(
                            addr,
                            json!({"scenario": "baseline", "replications": 10, "counterfactual": 0,
                                   "set": [format!("outreach.reps={}", 2 + (i + k) % 6)]}),
                        );
                        match status {
                            200 => assert!(a["result"]["metrics"]["won"]["mean"].is_number()),
                            503 => assert_eq!(a["busy"], true),
                            other => panic!("unexpected {other}: {a}"),
                        }
                        status
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let statuses: Vec<u16> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    let elapsed = started.elapsed();
    let peak = proc_status_kib(pid, "VmHWM");
    assert_eq!(statuses.len(), 500);
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    assert!(ok > 0, "some runs were served");
    eprintln!(
        "load: {ok} results and {} busy answers of 500 in {:.1} s ({:.1} results/s)",
        500 - ok,
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64()
    );

    // Every place in the queue was given back: as many runs as the server
    // admits at once are all served.
    let admits = Limits::default().running + Limits::default().queued;
    let at_once: Vec<_> = (0..admits)
        .map(|_| {
            std::thread::spawn(move || {
                run(
                    addr,
                    json!({"scenario": "baseline", "replications": 2, "counterfactual": 0}),
                )
            })
        })
        .collect();
    for c in at_once {
        let (status, a) = c.join().unwrap();
        assert_eq!(status, 200, "a place in the queue was left taken: {a}");
    }
    // Still responsive: a normal run, the headline as the page asks for it
    // (the scenario's 200 replications).
    let (status, a) = run(
        addr,
        json!({"scenario": "baseline", "set": ["outreach.reps=4"], "counterfactual": 0}),
    );
    assert_eq!(status, 200, "still responsive: {a}");

    let (Some(warm), Some(peak)) = (warm, peak) else {
        eprintln!("load: memory not measured (no /proc/PID/status here)");
        return;
    };
    let bound = warm + LOAD_GROWTH_KIB;
    let mib = |kib: u64| kib as f64 / 1024.0;
    eprintln!(
        "load: server resident memory {:.1} MiB after one run, peak {:.1} MiB under the load (bound {:.1} MiB)",
        mib(warm),
        mib(peak),
        mib(bound)
    );
    assert!(
        peak <= bound,
        "peak resident memory {peak} KiB exceeds {bound} KiB ({warm} KiB after one run + {LOAD_GROWTH_KIB} KiB)"
    );
}

/// Frames the console (cross-origin: Chromium runs with web security off
/// for this harness), waits for its first result, changes the reps
/// control, waits for the new result, and reports both.
const HARNESS: &str = r#"<!DOCTYPE html>
<html><body>
<iframe id="f" src="URL" style="width:1920px;height:1080px"></iframe>
<pre id="out">PENDING</pre>
<script>
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function settled(d, before) {
  for (let i = 0; i < 600; i++) {
    const svg = d.querySelector('#funnel svg');
    if (d.body.dataset.state === 'done' && svg && svg.dataset.values !== before) return svg.dataset.values;
    if (d.body.dataset.state === 'error') throw new Error(d.getElementById('error').textContent);
    await sleep(100);
  }
  throw new Error('no result');
}
document.getElementById('f').addEventListener('load', async () => {
  const out = document.getElementById('out');
  try {
    const d = document.getElementById('f').contentDocument;
    const first = await settled(d, undefined);
    const won1 = d.querySelector('.card[data-metric=won] .value').textContent;
    const reps = d.getElementById('c-reps');
    reps.value = '8';
    reps.dispatchEvent(new Event('change'));
    const second = await settled(d, first);
    const won2 = d.querySelector('.card[data-metric=won] .value').textContent;
    const diff = d.querySelector('.card[data-metric=won] .diff').textContent;
    const command = d.getElementById('command').textContent;
    const hash = d.defaultView.location.hash;
    // The counterfactual ledger follows the headline in its own request.
    let ledger = null;
    for (let i = 0; i < 600 && !ledger; i++) {
      const svg = d.querySelector('#counterfactual svg');
      if (d.body.dataset.ledger === 'done' && svg) ledger = svg.dataset.values;
      else await sleep(100);
    }
    out.textContent = 'RESULT' + JSON.stringify({ first, second, won1, won2, diff, command, hash, ledger }) + 'END';
  } catch (e) {
    out.textContent = 'RESULT' + JSON.stringify({ error: String(e) }) + 'END';
  }
});
</script>
</body></html>
"#;

/// Serves `page` to every request on a free loopback port (Chromium lets a
/// page framed from another origin be scripted only between http origins,
/// not from a file); returns its URL.
fn serve_harness(page: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/harness.html", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    url
}

/// How the page shows a count (`fmt(…, "count")` in app.js).
fn count(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// The console in headless Chromium, served by `funnelsim serve`: the page
/// loads and runs, a changed control reruns it, the headline number is the
/// API's, the funnel chart changes, nothing is logged to the console, and
/// screenshots at 1920×1080 are written under target/serve-browser-test.
#[test]
fn console_runs_in_headless_chromium() {
    let Some(browser) = crate::browser::chromium() else {
        assert!(
            std::env::var_os("FUNNELSIM_REQUIRE_BROWSER").is_none(),
            "FUNNELSIM_REQUIRE_BROWSER is set but no chromium is installed"
        );
        eprintln!("skipped: chromium not found (CI installs it)");
        return;
    };
    let target = root().join("target").join("serve-browser-test");
    let _ = std::fs::remove_dir_all(&target);
    std::fs::create_dir_all(&target).unwrap();
    let server = Process::start();
    let (url, addr) = (server.url.clone(), server.addr);
    let profile = target.join("profile");
    let harness = serve_harness(HARNESS.replace("URL", &format!("{url}#scenario=baseline&n=40")));
    let dump = crate::browser::headless(&browser, &profile)
        .args([
            "--disable-web-security",
            "--disable-site-isolation-trials",
            "--window-size=1920,1200",
            "--virtual-time-budget=60000",
            "--dump-dom",
        ])
        .arg(harness)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dump.stdout);
    let log = String::from_utf8_lossy(&dump.stderr);
    let json = dom
        .split_once("RESULT")
        .and_then(|(_, r)| r.split_once("END"))
        .map(|(j, _)| j.replace("&quot;", "\"").replace("&amp;", "&"))
        .unwrap_or_else(|| panic!("harness produced no result:\n{dom}\n{log}"));
    let v: Value = serde_json::from_str(&json).unwrap();
    assert!(v["error"].is_null(), "{v}");
    assert_ne!(v["first"], v["second"], "the funnel chart changed: {v}");
    assert!(
        v["ledger"].as_str().is_some_and(|s| !s.is_empty()),
        "the counterfactual ledger was drawn: {v}"
    );
    assert_eq!(v["hash"], "#scenario=baseline&set=outreach.reps%3D8&n=40", "{v}");
    assert_eq!(
        v["command"],
        "funnelsim run scenarios/baseline.toml --set outreach.reps=8 -n 40"
    );
    // The headline number is the API's for the same request.
    let (status, a) = run(
        addr,
        json!({"scenario": "baseline", "set": ["outreach.reps=8"], "replications": 40}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        v["won2"],
        count(a["result"]["metrics"]["won"]["mean"].as_f64().unwrap()),
        "{v}"
    );
    let (_, a) = run(addr, json!({"scenario": "baseline", "replications": 40}));
    assert_eq!(
        v["won1"],
        count(a["result"]["metrics"]["won"]["mean"].as_f64().unwrap()),
        "{v}"
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Failed to load resource"))
        .collect();
    assert!(
        console.is_empty(),
        "console output from the page:\n{}",
        console.join("\n")
    );

    // Screenshots for people: the explore view and the workshop view.
    for (name, hash) in [
        ("console-explore", "#scenario=baseline&set=outreach.reps%3D8&n=40"),
        (
            "console-workshop",
            "#scenario=02_nurture_before_handoff&n=40&workshop=1",
        ),
    ] {
        let shot = target.join(format!("{name}.png"));
        let run = crate::browser::headless(&browser, &profile)
            .args(["--window-size=1920,1080", "--virtual-time-budget=30000"])
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("{url}{hash}"))
            .output()
            .unwrap();
        assert!(run.status.success());
        let png = std::fs::read(&shot).expect("screenshot written");
        assert!(
            png.len() > 20_000,
            "screenshot of {} bytes is suspiciously small",
            png.len()
        );
        eprintln!("screenshot: {}", shot.display());
    }
}

/// A console serving `paths` within `limits`, for the optimise tests.
fn start_on(paths: &[PathBuf], limits: Limits) -> Server {
    let entries = serve::entries(paths).expect("the scenarios load");
    let console = Console::new(entries, limits, never).expect("worker pool");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let c = console.clone();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            addr_tx
                .send(listener.local_addr().expect("address"))
                .expect("send");
            serve::serve(listener, c, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
    });
    Server {
        addr: addr_rx.recv().expect("the server starts"),
        console,
        stop: Some(tx),
        thread: Some(thread),
    }
}

/// `POST /api/optimise` on the threshold fixture (optimum 60 by
/// construction): the answer's reproducing command, run by the binary with
/// `--json`, prints the same selection replication for replication, and
/// the answer states the choice as overrides, each configuration's
/// replications and when it was dropped, and the replications against the
/// full grid's.
#[test]
fn optimise_chooses_what_the_command_line_chooses() {
    let server = start_on(
        &[root().join("tests/data/threshold_optimum.toml")],
        Limits::default(),
    );
    let (status, a) = post(
        server.addr,
        "/api/optimise",
        json!({"scenario": "threshold_optimum", "vary": ["handoff.threshold=10:100:10"],
               "objective": "close_rate", "indifference": 0.02, "first_stage": 10, "budget": 2000}),
    );
    assert_eq!(status, 200, "{a}");
    let file = root()
        .join("tests/data/threshold_optimum.toml")
        .display()
        .to_string();
    let command = a["command"].as_str().unwrap();
    assert_eq!(
        command,
        format!(
            "funnelsim optimise {file} --vary handoff.threshold=10:100:10 --objective close_rate --indifference 0.02 --budget 2000 --first-stage 10"
        )
    );
    let args: Vec<&str> = command.split(' ').skip(1).chain(["--json"]).collect();
    let out = cli(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        a["optimise"], expected["optimise"],
        "the console's selection is the command line's"
    );
    assert_eq!(a["seed"], expected["seed"]);
    assert_eq!(
        expected["optimise"]["chosen"]["settings"]["handoff.threshold"],
        "60"
    );
    assert_eq!(a["chosen"]["set"], json!(["handoff.threshold=60"]));
    assert_eq!(a["stop"], "guarantee");
    assert_eq!(a["inseparable"], json!([]));
    let configurations = a["configurations"].as_array().unwrap();
    assert_eq!(configurations.len(), 10);
    // The fatal threshold goes at the first screening; replications spent
    // add up, and the full grid's is stated.
    assert_eq!(configurations[0]["varied"], json!(["handoff.threshold=10"]));
    assert_eq!(configurations[0]["eliminated_after"], 10);
    assert_eq!(configurations[0]["fate"], "dominated");
    assert!(configurations[5]["eliminated_after"].is_null());
    let spent: u64 = configurations
        .iter()
        .map(|c| c["replications"].as_u64().unwrap())
        .sum();
    assert_eq!(a["replications"].as_u64(), Some(spent));
    assert!(a["full_grid_replications"].as_u64().unwrap() >= spent, "{a}");
    assert!(
        a["sentences"][0]
            .as_str()
            .unwrap()
            .starts_with("Chosen: configuration 5 — handoff.threshold = 60"),
        "{a}"
    );
}

/// Refusals of `/api/optimise` are the command line's, word for word with
/// the key path; the resource guard refuses an over-large grid or budget;
/// and a page's new optimisation cancels its previous one.
#[test]
fn optimise_refusals_are_the_command_line_s_and_the_work_is_bounded() {
    let threshold = root().join("tests/data/threshold_optimum.toml");
    let server = start_on(
        &[threshold.clone(), root().join("scenarios/baseline.toml")],
        Limits {
            max_seconds: 1.0,
            ..Limits::default()
        },
    );
    let file = threshold.display().to_string();
    for (body, args) in [
        (
            json!({"scenario": "threshold_optimum", "vary": ["handoff.thresold=10:100:10"], "indifference": 0.02}),
            vec!["--vary", "handoff.thresold=10:100:10", "--indifference", "0.02"],
        ),
        (
            json!({"scenario": "threshold_optimum", "vary": ["handoff.threshold=10:100:0"], "indifference": 0.02}),
            vec!["--vary", "handoff.threshold=10:100:0", "--indifference", "0.02"],
        ),
        (
            json!({"scenario": "threshold_optimum", "vary": ["handoff.threshold=10:100:10"], "indifference": 0}),
            vec!["--vary", "handoff.threshold=10:100:10", "--indifference", "0"],
        ),
        (
            json!({"scenario": "threshold_optimum", "vary": ["handoff.threshold=10:100:10"], "indifference": 1, "budget": 50}),
            vec![
                "--vary",
                "handoff.threshold=10:100:10",
                "--indifference",
                "1",
                "--budget",
                "50",
            ],
        ),
        (
            json!({"scenario": "threshold_optimum", "vary": ["handoff.threshold=10:100:10"], "indifference": 1, "objective": "won"}),
            vec![
                "--vary",
                "handoff.threshold=10:100:10",
                "--indifference",
                "1",
                "--objective",
                "won",
            ],
        ),
    ] {
        let (status, a) = post(server.addr, "/api/optimise", body.clone());
        assert_eq!(status, 400, "{body}: {a}");
        let out = cli(&[&["optimise", file.as_str()], args.as_slice()].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let message = format!("error: {}", a["error"].as_str().unwrap());
        assert!(
            stderr.lines().any(|l| l == message),
            "{body}: the console words a refusal as the command line does:\n{message}\n{stderr}"
        );
    }
    // A misspelt key names its path.
    let (_, a) = post(
        server.addr,
        "/api/optimise",
        json!({"scenario": "threshold_optimum", "vary": ["handoff.thresold=10:100:10"], "indifference": 0.02}),
    );
    assert!(
        a["error"].as_str().unwrap().contains("--vary handoff.thresold"),
        "{a}"
    );
    assert_eq!(a["problems"][0]["key"], "handoff.thresold", "{a}");
    // The guard: 5,000 configurations' first stage, or a budget beyond the
    // console's bound, is refused before anything runs.
    let (status, a) = post(
        server.addr,
        "/api/optimise",
        json!({"scenario": "baseline", "vary": ["outreach.reps=1:100:1", "outreach.max_unanswered_touches=1:50:1"],
               "objective": "close_rate", "indifference": 0.01}),
    );
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"].as_str().unwrap().contains("would simulate about"),
        "{a}"
    );
    let (status, a) = post(
        server.addr,
        "/api/optimise",
        json!({"scenario": "baseline", "vary": ["outreach.reps=2:4:1"], "objective": "close_rate",
               "indifference": 0.01, "budget": 1_000_000_000u64}),
    );
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"]
            .as_str()
            .unwrap()
            .contains("more than this console simulates for one request"),
        "{a}"
    );
    assert_eq!(server.console.admitted(), 0);

    // A page's second optimisation cancels its first (an indifference of
    // 0 runs to the budget; the guard's bound is raised for it).
    let server = start_on(&[root().join("scenarios/baseline.toml")], Limits::default());
    let addr = server.addr;
    let first = std::thread::spawn(move || {
        post(
            addr,
            "/api/optimise",
            json!({"scenario": "baseline", "vary": ["outreach.reps=1:10:1"], "objective": "close_rate",
                   "indifference": 0, "budget": 20_000, "page": "p1"}),
        )
    });
    while server.console.admitted() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let (status, second) = post(
        addr,
        "/api/optimise",
        json!({"scenario": "baseline", "vary": ["outreach.reps=2:3:1"], "objective": "close_rate",
               "indifference": 0.05, "first_stage": 5, "page": "p1"}),
    );
    assert_eq!(status, 200, "{second}");
    let (status, first) = first.join().unwrap();
    assert_eq!(status, 409, "{first}");
    assert_eq!(first["cancelled"], true);
}

/// Opens "Find the best policy" from the header's link, varies reps 2–4,
/// runs, and reports the chosen configuration, the table and the command;
/// then "Explore this" and the Explore view's reps and address (at
/// `#shot`, it stops at the answer, scrolled into view, for a screenshot).
const OPTIMISE_HARNESS: &str = r#"<!DOCTYPE html>
<html><body>
<iframe id="f" src="URL" style="width:1920px;height:1080px"></iframe>
<pre id="out">PENDING</pre>
<script>
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(d, key, value) {
  for (let i = 0; i < 600; i++) {
    if (d.body.dataset[key] === value) return;
    if (d.body.dataset[key] === 'error') throw new Error(d.getElementById(key === 'state' ? 'error' : 'o-error').textContent);
    await sleep(100);
  }
  throw new Error('no ' + key);
}
document.getElementById('f').addEventListener('load', async () => {
  const out = document.getElementById('out');
  try {
    const d = document.getElementById('f').contentDocument;
    await until(d, 'state', 'done');
    d.getElementById('optimise-link').click();
    await sleep(200);
    const set = (id, v) => { const el = d.getElementById(id); el.value = v; el.dispatchEvent(new Event('change')); };
    set('o-reps-from', '2'); set('o-reps-to', '4'); set('o-reps-step', '1');
    d.getElementById('o-reps-on').click();
    const count = d.getElementById('o-count').textContent;
    d.getElementById('o-run').click();
    await until(d, 'optimise', 'done');
    const chosen = d.getElementById('o-chosen').textContent;
    const rows = d.querySelectorAll('#o-table tr').length;
    const best = d.querySelector('#o-table tr.best td:nth-child(2)').textContent;
    const command = d.getElementById('o-command').textContent;
    const spent = d.querySelector('#o-spent svg') !== null;
    // For the screenshot: the panel with its answer.
    if (location.hash === '#shot') { d.getElementById('optimise').scrollIntoView(); return; }
    d.getElementById('o-explore').click();
    await sleep(300);
    await until(d, 'state', 'done');
    const reps = d.getElementById('c-reps').value;
    const hash = d.defaultView.location.hash;
    out.textContent = 'RESULT' + JSON.stringify({ count, chosen, rows, best, command, spent, reps, hash }) + 'END';
  } catch (e) {
    out.textContent = 'RESULT' + JSON.stringify({ error: String(e) }) + 'END';
  }
});
</script>
</body></html>
"#;

/// The "Find the best policy" panel in headless Chromium: it runs a small
/// optimisation, shows the API's chosen configuration and command with
/// its table, "Explore this" puts the choice into the Explore controls,
/// and nothing is logged to the console; a screenshot is written under
/// target/serve-browser-test/optimise.
#[test]
fn optimise_panel_runs_in_headless_chromium() {
    let Some(browser) = crate::browser::chromium() else {
        assert!(
            std::env::var_os("FUNNELSIM_REQUIRE_BROWSER").is_none(),
            "FUNNELSIM_REQUIRE_BROWSER is set but no chromium is installed"
        );
        eprintln!("skipped: chromium not found (CI installs it)");
        return;
    };
    // Its own directory: the other browser test clears its own.
    let target = root().join("target").join("serve-browser-test").join("optimise");
    let _ = std::fs::remove_dir_all(&target);
    std::fs::create_dir_all(&target).unwrap();
    let server = start_on(&[root().join("scenarios/baseline.toml")], Limits::default());
    let url = format!("http://{}/", server.addr);
    let profile = target.join("profile");
    let harness = serve_harness(OPTIMISE_HARNESS.replace("URL", &format!("{url}#scenario=baseline&n=20")));
    let dump = crate::browser::headless(&browser, &profile)
        .args([
            "--disable-web-security",
            "--disable-site-isolation-trials",
            "--window-size=1920,1200",
            "--virtual-time-budget=60000",
            "--dump-dom",
        ])
        .arg(&harness)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dump.stdout);
    let log = String::from_utf8_lossy(&dump.stderr);
    let json = dom
        .split_once("RESULT")
        .and_then(|(_, r)| r.split_once("END"))
        .map(|(j, _)| j.replace("&quot;", "\"").replace("&amp;", "&"))
        .unwrap_or_else(|| panic!("harness produced no result:\n{dom}\n{log}"));
    let v: Value = serde_json::from_str(&json).unwrap();
    assert!(v["error"].is_null(), "{v}");
    assert_eq!(v["count"], "3 configurations.", "{v}");
    // The API's answer to the request the page made.
    let (status, a) = post(
        server.addr,
        "/api/optimise",
        json!({"scenario": "baseline", "vary": ["outreach.reps=2:4:1"], "objective": "close_rate", "indifference": 0.01}),
    );
    assert_eq!(status, 200, "{a}");
    let chosen = a["chosen"]["varied"][0].as_str().unwrap();
    let reps = chosen.strip_prefix("outreach.reps=").unwrap();
    assert_eq!(v["chosen"], format!("reps {reps}"), "{v}");
    assert_eq!(v["best"], format!("reps {reps}"), "{v}");
    assert_eq!(v["rows"], 3, "{v}");
    assert_eq!(v["command"], a["command"], "{v}");
    assert_eq!(v["spent"], true, "{v}");
    // "Explore this": the choice is now the Explore view's.
    assert_eq!(v["reps"], reps, "{v}");
    let expected_hash = if reps == "3" {
        "#scenario=baseline&n=20".to_owned()
    } else {
        format!("#scenario=baseline&set=outreach.reps%3D{reps}&n=20")
    };
    assert_eq!(v["hash"], expected_hash, "{v}");
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Failed to load resource"))
        .collect();
    assert!(
        console.is_empty(),
        "console output from the page:\n{}",
        console.join("\n")
    );
    let shot = target.join("console-optimise.png");
    let run = crate::browser::headless(&browser, &profile)
        .args([
            "--disable-web-security",
            "--disable-site-isolation-trials",
            "--window-size=1920,1080",
            "--virtual-time-budget=60000",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("{harness}#shot"))
        .output()
        .unwrap();
    assert!(run.status.success());
    eprintln!("screenshot: {}", shot.display());
}
