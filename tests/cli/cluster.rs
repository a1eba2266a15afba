//! Sharded sweeps on the schedulers people already have: a Slurm job array
//! and its merge job, run here on a real one-node cluster; the Kubernetes
//! Indexed Job and merge Job, checked against the Job schema; and the one
//! command line both run, `deploy/shard.sh`.
//!
//! `.ci/run` starts the cluster (`.ci/slurm-up`), installs
//! `kubernetes-validate` and sets `FUNNELSIM_REQUIRE_SLURM=1`, so in CI a
//! missing cluster or validator is a failure; on a developer machine without
//! them (or not as root) these tests say why they skip and pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn required() -> bool {
    std::env::var("FUNNELSIM_REQUIRE_SLURM").is_ok_and(|v| v == "1")
}

/// Skips the test with a message, unless CI requires the cluster tools.
fn skip(why: &str) {
    assert!(!required(), "FUNNELSIM_REQUIRE_SLURM=1 but {why}");
    eprintln!("skipped: {why}");
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `deploy/k8s/config.yaml`'s `data:`: the sweep's environment.
fn config_map() -> BTreeMap<String, String> {
    let text = read("deploy/k8s/config.yaml");
    let mut lines = text.lines().skip_while(|l| *l != "data:").skip(1);
    let mut env = BTreeMap::new();
    for line in lines.by_ref().take_while(|l| l.starts_with("  ")) {
        let (key, value) = line
            .trim()
            .split_once(": ")
            .unwrap_or_else(|| panic!("config.yaml data line {line:?} is not KEY: \"VALUE\""));
        let value: String = serde_json::from_str(value)
            .unwrap_or_else(|_| panic!("config.yaml: {key}'s value {value} is not a quoted string"));
        env.insert(key.to_string(), value);
    }
    assert!(
        env.contains_key("FUNNELSIM_SHARDS"),
        "config.yaml sets no FUNNELSIM_SHARDS"
    );
    env
}

/// The value of the one `key:` line of a manifest.
fn manifest_field(rel: &str, key: &str) -> String {
    let text = read(rel);
    let hits: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .collect();
    assert_eq!(hits.len(), 1, "{rel}: expected one `{key}:` line, found {hits:?}");
    hits[0].to_string()
}

/// A Job's container command (a one-line flow sequence of quoted strings).
fn job_command(rel: &str) -> Vec<String> {
    let value = manifest_field(rel, "command");
    serde_json::from_str(&value).unwrap_or_else(|_| panic!("{rel}: command {value} is not [\"…\", …]"))
}

/// The `deploy/shard.sh` invocation of a batch script: the arguments after
/// `deploy/shard.sh"` on its `exec` line.
fn sbatch_shard_args(rel: &str) -> Vec<String> {
    let text = read(rel);
    let execs: Vec<&str> = text.lines().filter(|l| l.starts_with("exec ")).collect();
    assert_eq!(execs.len(), 1, "{rel}: expected one exec line, found {execs:?}");
    let (_, args) = execs[0]
        .split_once("/deploy/shard.sh\"")
        .unwrap_or_else(|| panic!("{rel}: the exec line does not run deploy/shard.sh"));
    args.split_whitespace().map(str::to_string).collect()
}

/// `deploy/shard.sh ARGS` with exactly the environment `env` (and PATH).
fn shard_sh(env: &BTreeMap<String, String>, args: &[&str]) -> Output {
    Command::new("sh")
        .arg(repo().join("deploy/shard.sh"))
        .args(args)
        .current_dir(repo())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env)
        .output()
        .unwrap()
}

/// The command line `deploy/shard.sh ARGS` would run, as it logs it.
fn dry_run(env: &BTreeMap<String, String>, extra: &[(&str, String)], args: &[&str]) -> String {
    let mut env = env.clone();
    env.insert("FUNNELSIM_DRY_RUN".into(), "1".into());
    for (k, v) in extra {
        env.insert(k.to_string(), v.clone());
    }
    let out = shard_sh(&env, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "shard.sh {args:?} with {extra:?}: {stderr}");
    logged_command(&stderr).unwrap_or_else(|| panic!("shard.sh {args:?} logged no command: {stderr}"))
}

fn logged_command(log: &str) -> Option<String> {
    log.lines()
        .find_map(|l| l.strip_prefix("shard.sh: "))
        .map(str::to_string)
}

fn shards(env: &BTreeMap<String, String>) -> u32 {
    env["FUNNELSIM_SHARDS"]
        .parse()
        .expect("FUNNELSIM_SHARDS is a number")
}

#[test]
fn kubernetes_and_slurm_run_the_same_command_line() {
    let env = config_map();
    let n = shards(&env);
    let sweep_job = "deploy/k8s/sweep-job.yaml";
    assert_eq!(manifest_field(sweep_job, "completionMode"), "Indexed");
    assert_eq!(
        manifest_field(sweep_job, "completions"),
        n.to_string(),
        "the Indexed Job's completions must equal FUNNELSIM_SHARDS in config.yaml"
    );
    // Both schedulers start deploy/shard.sh with the same arguments, and it
    // gets the shard from their variables.
    let sh = |sub: &str| -> Vec<String> { ["/bin/sh", "deploy/shard.sh", sub].map(String::from).to_vec() };
    assert_eq!(job_command(sweep_job), sh("sweep"));
    assert_eq!(job_command("deploy/k8s/merge-job.yaml"), sh("merge"));
    assert_eq!(sbatch_shard_args("deploy/slurm/sweep.sbatch"), ["sweep"]);
    assert_eq!(sbatch_shard_args("deploy/slurm/merge.sbatch"), ["merge"]);
    for k in 1..=n {
        let k8s = dry_run(&env, &[("JOB_COMPLETION_INDEX", (k - 1).to_string())], &["sweep"]);
        let slurm = |first: u32| {
            dry_run(
                &env,
                &[
                    ("SLURM_ARRAY_TASK_ID", (first + k - 1).to_string()),
                    ("SLURM_ARRAY_TASK_MIN", first.to_string()),
                    ("SLURM_ARRAY_TASK_MAX", (first + n - 1).to_string()),
                    ("SLURM_ARRAY_TASK_COUNT", n.to_string()),
                ],
                &["sweep"],
            )
        };
        assert_eq!(slurm(1), k8s, "Slurm --array=1-{n}, task {k}");
        assert_eq!(slurm(0), k8s, "Slurm --array=0-{}, task {}", n - 1, k - 1);
        let local = dry_run(&env, &[], &["sweep", &k.to_string(), &n.to_string()]);
        assert_eq!(local, k8s, "xargs/parallel form, shard {k}");
        let parts = &env["FUNNELSIM_PARTS"];
        assert!(
            k8s.ends_with(&format!(" --shard {k}/{n} --out {parts}/{k}")),
            "{k8s}"
        );
        assert!(
            k8s.starts_with(&format!(
                "{} sweep {} ",
                env["FUNNELSIM"], env["FUNNELSIM_SCENARIO"]
            )),
            "{k8s}"
        );
    }
    // The local line of docs/cluster.md runs the same shards.
    let mut dry = env.clone();
    dry.insert("FUNNELSIM_DRY_RUN".into(), "1".into());
    let xargs = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "seq {n} | xargs -P 2 -I{{}} deploy/shard.sh sweep {{}} {n}"
        ))
        .current_dir(repo())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(&dry)
        .output()
        .unwrap();
    assert!(
        xargs.status.success(),
        "{}",
        String::from_utf8_lossy(&xargs.stderr)
    );
    let mut ran: Vec<String> = String::from_utf8_lossy(&xargs.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("shard.sh: ").map(str::to_string))
        .collect();
    ran.sort();
    let mut expected: Vec<String> = (0..n)
        .map(|i| dry_run(&env, &[("JOB_COMPLETION_INDEX", i.to_string())], &["sweep"]))
        .collect();
    expected.sort();
    assert_eq!(ran, expected, "seq | xargs");
    let doc = read("docs/cluster.md");
    assert!(
        doc.contains("seq 4 | xargs -P 2 -I{} deploy/shard.sh sweep {} 4 && deploy/shard.sh merge 4"),
        "docs/cluster.md no longer shows the xargs line this test runs"
    );
    let merge = dry_run(&env, &[], &["merge"]);
    let parts: Vec<String> = (1..=n)
        .map(|k| format!("{}/{k}", env["FUNNELSIM_PARTS"]))
        .collect();
    assert_eq!(
        merge,
        format!(
            "{} merge {} --out {}",
            env["FUNNELSIM"],
            parts.join(" "),
            env["FUNNELSIM_OUT"]
        )
    );
    // A mistaken shard is refused before funnelsim runs.
    let mut bad = env.clone();
    bad.insert("FUNNELSIM_DRY_RUN".into(), "1".into());
    let out = shard_sh(&bad, &["sweep", &(n + 1).to_string(), &n.to_string()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad shard"));
}

/// `name` on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[test]
fn kubernetes_manifests_match_the_job_schema() {
    let Some(validator) = on_path("kubernetes-validate") else {
        skip("kubernetes-validate is not on PATH (pip install kubernetes-validate; CI does)");
        return;
    };
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(repo().join("deploy/k8s"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    manifests.sort();
    assert!(manifests.len() >= 4, "{manifests:?}");
    // The oldest and the newest Kubernetes the validator has schemas for.
    for version in ["1.25.0", "1.37.0"] {
        let out = Command::new(&validator)
            .args(["--strict", "--kubernetes-version", version])
            .args(&manifests)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "Kubernetes {version}:\n{text}");
        for m in &manifests {
            let name = m.file_name().unwrap().to_string_lossy();
            assert!(
                text.lines().any(|l| l.contains(&*name) && l.contains("passed")),
                "{name} not validated against Kubernetes {version}:\n{text}"
            );
        }
    }
}

fn stdout_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

fn job_states(id: &str) -> Vec<String> {
    let text =
        stdout_of(Command::new("scontrol").args(["show", "job", "--oneliner", id])).unwrap_or_default();
    text.lines()
        .map(|l| {
            l.split_whitespace()
                .filter(|f| {
                    ["JobId=", "ArrayTaskId=", "JobState=", "ExitCode=", "Reason="]
                        .iter()
                        .any(|p| f.starts_with(p))
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn logs(dir: &Path) -> String {
    let mut text = String::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        text += &format!(
            "---- {}\n{}",
            f.display(),
            std::fs::read_to_string(&f).unwrap_or_default()
        );
    }
    text
}

/// A 4-task Slurm array of the sweep in `deploy/k8s/config.yaml`, then the
/// merge job after it (`afterok`), on the local cluster; the merged result
/// is byte-identical to the same sweep run unsharded, and every job ran the
/// command line the Kubernetes Jobs run.
#[test]
fn slurm_array_and_merge_equal_the_unsharded_sweep() {
    if stdout_of(Command::new("id").arg("-u")).as_deref() != Some("0") {
        skip("not running as root: .ci/slurm-up starts a local Slurm cluster as root");
        return;
    }
    let node = stdout_of(Command::new("sinfo").args(["--noheader", "--format=%t"]));
    let up = node
        .as_deref()
        .is_some_and(|s| ["idle", "mix", "alloc"].iter().any(|ok| s.starts_with(ok)));
    if !up {
        skip(&format!(
            "no Slurm cluster is up (sinfo: {node:?}); start one with .ci/slurm-up"
        ));
        return;
    }
    let bin = env!("CARGO_BIN_EXE_funnelsim");

    let dir = repo().join("target").join("slurm-test");
    let _ = std::fs::remove_dir_all(&dir);
    let log_dir = dir.join("logs");
    std::fs::create_dir_all(&log_dir).unwrap();
    let mut env = config_map();
    let n = shards(&env);
    // Only the site-specific paths differ from the Kubernetes Jobs.
    let local = |p: &str| dir.join(p).to_string_lossy().into_owned();
    env.insert("FUNNELSIM".into(), bin.into());
    env.insert("FUNNELSIM_PARTS".into(), local("parts"));
    env.insert("FUNNELSIM_OUT".into(), local("merged"));
    let sbatch = |args: &[String]| -> Output {
        let mut c = Command::new("sbatch");
        c.args(args).current_dir(repo());
        for (k, _) in std::env::vars() {
            if k.starts_with("FUNNELSIM") || k.starts_with("SLURM_") {
                c.env_remove(k);
            }
        }
        c.envs(&env);
        c.output().unwrap()
    };
    let repo_dir = repo().to_string_lossy().into_owned();
    let array = sbatch(&[
        "--parsable".into(),
        format!("--array=1-{n}"),
        format!("--chdir={repo_dir}"),
        format!("--output={}/sweep-%a.out", log_dir.display()),
        "deploy/slurm/sweep.sbatch".into(),
    ]);
    assert!(
        array.status.success(),
        "sbatch: {}",
        String::from_utf8_lossy(&array.stderr)
    );
    let array_id = String::from_utf8_lossy(&array.stdout).trim().to_string();
    let merge = sbatch(&[
        "--parsable".into(),
        format!("--dependency=afterok:{array_id}"),
        "--kill-on-invalid-dep=yes".into(),
        format!("--chdir={repo_dir}"),
        format!("--output={}/merge.out", log_dir.display()),
        "deploy/slurm/merge.sbatch".into(),
    ]);
    assert!(
        merge.status.success(),
        "sbatch: {}",
        String::from_utf8_lossy(&merge.stderr)
    );
    let merge_id = String::from_utf8_lossy(&merge.stdout).trim().to_string();
    // Wait until neither job is queued or running (polling squeue: quicker
    // than `sbatch --wait`, which also reports a cancelled job as success).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let queued = stdout_of(Command::new("squeue").args([
            "--noheader",
            "--format=%i %T",
            "--jobs",
            &format!("{array_id},{merge_id}"),
        ]));
        if queued.as_deref() == Some("") {
            break;
        }
        if Instant::now() > deadline {
            let _ = Command::new("scancel").args([&array_id, &merge_id]).status();
            panic!("the jobs did not finish in 300 s: {queued:?}\n{}", logs(&log_dir));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let states = [job_states(&array_id), job_states(&merge_id)].concat();
    assert_eq!(states.len(), n as usize + 1, "{states:?}");
    assert!(
        states
            .iter()
            .all(|s| s.contains("JobState=COMPLETED") && s.contains("ExitCode=0:0")),
        "{states:#?}\n{}",
        logs(&log_dir)
    );

    // Task K ran shard K: the line the Indexed Job's pod K-1 runs.
    for k in 1..=n {
        let log = std::fs::read_to_string(log_dir.join(format!("sweep-{k}.out"))).unwrap();
        let ran = logged_command(&log).unwrap_or_else(|| panic!("task {k} logged no command:\n{log}"));
        let k8s = dry_run(&env, &[("JOB_COMPLETION_INDEX", (k - 1).to_string())], &["sweep"]);
        assert_eq!(ran, k8s, "Slurm task {k} and Kubernetes index {}", k - 1);
    }
    let log = std::fs::read_to_string(log_dir.join("merge.out")).unwrap();
    assert_eq!(logged_command(&log), Some(dry_run(&env, &[], &["merge"])));

    let mut whole = env.clone();
    whole.insert("FUNNELSIM_OUT".into(), local("unsharded"));
    let out = shard_sh(&whole, &["unsharded"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let merged = tree(&dir.join("merged"));
    let unsharded = tree(&dir.join("unsharded"));
    assert!(!unsharded.is_empty());
    assert_eq!(
        merged.keys().collect::<Vec<_>>(),
        unsharded.keys().collect::<Vec<_>>(),
        "merged and unsharded results hold different files"
    );
    for (file, bytes) in &unsharded {
        assert!(
            merged[file] == *bytes,
            "{} differs between the merged and the unsharded result (diff -r {} {})",
            file.display(),
            dir.join("merged").display(),
            dir.join("unsharded").display()
        );
    }
}
