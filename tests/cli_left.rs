//! `sky logs --provision [--worker N]`, `sky queue` and `sky stop/down
//! --graceful` against SkyPilot 0.14.1's recorded CLI output
//! (tests/fixtures/cli_left), and end to end on the local infra: a launch
//! writes its provision.log, `--worker` reads a worker's logs, following
//! ends with the launch, and `--graceful` cancels the jobs first.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{World, plain, wait_for};
use serde_json::{Value, json};
use stix::state::{ClusterUpdate, StateDb};

fn fixture(name: &str) -> Value {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/cli_left/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn args_of(f: &Value) -> Vec<&str> {
    f["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

/// Runs the fixture's command; stdout, stderr and exit code must match
/// (the recording HOME replaced by this world's).
fn assert_matches(w: &World, name: &str) {
    let f = fixture(name);
    let args = args_of(&f);
    let (code, out, err) = w.sky(&args);
    let home = w.home.display().to_string();
    let want = |k: &str| {
        f[k].as_str()
            .unwrap()
            .replace("/tmp/clileft_ref/home", &home)
    };
    assert_eq!(out, want("stdout"), "stdout of sky {args:?}");
    assert_eq!(err, want("stderr"), "stderr of sky {args:?}");
    assert_eq!(
        i64::from(code),
        f["returncode"].as_i64().unwrap(),
        "exit code of sky {args:?}"
    );
}

#[test]
fn errors_match_skypilot() {
    let w = World::new("cli-left-errors");
    for name in [
        "logs_worker_without_provision",
        "logs_worker_zero",
        "logs_worker_not_int",
        "logs_provision_and_status",
        "logs_provision_and_job",
        "logs_provision_and_sync",
        "logs_no_cluster",
        "logs_provision_missing",
        "logs_provision_worker_missing",
        "queue_verbose",
        "queue_verbose_long",
        "queue_bad_output",
        "queue_none",
        "queue_none_json",
        "queue_missing",
        "queue_missing_two",
        "queue_missing_json",
        "down_graceful_timeout_bad",
        "down_graceful_missing",
        "stop_graceful_missing",
        "autostop_graceful",
    ] {
        assert_matches(&w, name);
    }
}

/// A cluster record as SkyPilot's recorder inserted it: UP (or INIT), no
/// instance ids, the provision log at `log` when given.
fn add_cluster(db: &mut StateDb, name: &str, ready: bool, log: Option<&Path>) {
    let handle = json!({
        "cluster_name": name, "cluster_name_on_cloud": format!("{name}-2ea4"),
        "provider_name": "", "provider_config": null, "launched_nodes": 2,
        "launched_resources": {"cloud": "aws", "region": "us-east-1",
            "instance_type": "m6i.2xlarge", "use_spot": false, "ports": []},
        "nodes": [],
    });
    db.add_or_update_cluster(&ClusterUpdate {
        name: name.into(),
        handle,
        requested_resources: Value::Null,
        launched_resources: Value::Null,
        launched_nodes: 2,
        cloud: Some("AWS".into()),
        region: Some("us-east-1".into()),
        zone: None,
        ready,
        is_launch: true,
        last_use: Some("sky launch".into()),
        task_yaml: None,
        user_hash: "abcd1234".into(),
        workspace: "default".into(),
        is_managed: false,
    })
    .unwrap();
    if let Some(log) = log {
        db.set_provision_log_path(name, &log.display().to_string())
            .unwrap();
    }
}

fn recorded_log(w: &World) -> PathBuf {
    let log = w
        .home
        .join("sky_logs/sky-2026-11-29-03-00-00-000000/provision.log");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let lines: String = (0..5)
        .map(|i| format!("I 11-29 03:00:0{i}.000 1 provisioner.py:1] line {i}\n"))
        .collect();
    std::fs::write(&log, lines).unwrap();
    log
}

#[test]
fn provision_logs_stream_as_recorded() {
    let w = World::new("cli-left-plog");
    let log = recorded_log(&w);
    let mut db = w.state();
    add_cluster(&mut db, "pl", true, Some(&log));
    add_cluster(&mut db, "nolog", true, None);
    for name in [
        "logs_provision",
        "logs_provision_no_follow",
        "logs_provision_tail",
        "logs_provision_nolog",
        "logs_provision_worker_noids",
    ] {
        assert_matches(&w, name);
    }
    std::fs::remove_file(&log).unwrap();
    assert_matches(&w, "logs_provision_file_gone");
}

/// `sky logs --provision` follows while the cluster is INIT and its launch
/// holds the cluster lock, then ends by itself.
#[test]
fn following_ends_with_the_launch() {
    let w = World::new("cli-left-follow");
    let log = recorded_log(&w);
    let mut db = w.state();
    add_cluster(&mut db, "f", false, Some(&log));
    let locks = w.home.join(".sky/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let mut holder = std::process::Command::new("flock")
        .arg(locks.join(".f.lock"))
        .args(["sleep", "3"])
        .spawn()
        .expect("flock(1)");
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let tail = w
        .sky_command(&["logs", "--provision", "f"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(b"appended while following\n").unwrap();
    let out = tail.wait_with_output().unwrap();
    let elapsed = start.elapsed();
    let _ = holder.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.ends_with("line 4\nappended while following\n"),
        "{text}"
    );
    assert!(
        elapsed > Duration::from_millis(2200) && elapsed < Duration::from_secs(8),
        "{elapsed:?}"
    );
}

/// A 2-node local launch writes ~/sky_logs/sky-*/provision.log (recorded
/// for the cluster) and a worker log; both stay readable as SkyPilot's.
#[test]
fn a_launch_writes_its_provision_log() {
    let w = World::new("cli-left-launch");
    let (code, out, err) = w.sky(&["launch", "-y", "-c", "pv", "--num-nodes", "2", "echo hi"]);
    assert_eq!(code, 0, "{out}{err}");
    let path = w.state().provision_log_path("pv").unwrap().unwrap();
    let re = regex::Regex::new(r"/sky_logs/sky-\d{4}(-\d\d){5}-\d{6}/provision\.log$").unwrap();
    assert!(
        path.starts_with(&w.home.display().to_string()) && re.is_match(&path),
        "{path}"
    );

    let (code, text, _) = w.sky(&["logs", "--provision", "pv"]);
    assert_eq!(code, 0);
    let text = plain(&text);
    for want in [
        "==================== Provisioning ====================",
        "Provision config:",
        "Launching on Local local.",
        "==================== System Setup After Provision ====================",
        "✓ Cluster launched: pv.",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
    let prefix =
        regex::Regex::new(r"^[DI] \d\d-\d\d \d\d:\d\d:\d\d\.\d{3} PID=\d+ \S+:\d+\] ").unwrap();
    assert!(text.lines().all(|l| prefix.is_match(l)), "{text}");
    let (_, two, _) = w.sky(&["logs", "--provision", "pv", "--tail", "2"]);
    assert_eq!(two.lines().count(), 2);
    assert!(plain(&two).contains("Cluster launched: pv."), "{two}");

    let (code, worker, _) = w.sky(&["logs", "--provision", "pv", "-w", "1"]);
    assert_eq!(code, 0);
    let dir = w
        .home
        .join(".sky/metadata/v1/clusters/pv/instances/node-1/logs");
    let header = format!(
        "\n==> {}/setup_runtime_on_cluster.log <==\n\n",
        dir.display()
    );
    assert!(worker.starts_with(&header), "{worker}");
    assert!(worker.contains("] SkyPilot runtime ready.\n"), "{worker}");
    let (code, _, err) = w.sky(&["logs", "--provision", "pv", "-w", "2"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "sky.exceptions.CommandError: Command tail_provision_logs failed with return code \
         400.\nFailed to stream provision logs\n{\"detail\":\"Worker 2 is out of range. The \
         cluster has 2 nodes.\"}\n"
    );

    let (code, _, _) = w.sky(&["down", "-y", "pv"]);
    assert_eq!(code, 0);
    assert!(!w.home.join(".sky/metadata/v1/clusters/pv").exists());
    // The history keeps the path, as SkyPilot's fallback does.
    let (code, again, _) = w.sky(&["logs", "--provision", "pv", "--no-follow"]);
    assert_eq!((code, plain(&again)), (0, text));
}

fn job_status(w: &World, cluster: &str, job: &str) -> String {
    let (_, out, _) = w.sky(&["queue", cluster]);
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(job))
        .and_then(|l| {
            l.split_whitespace()
                .find(|c| c.chars().all(|c| c.is_ascii_uppercase() || c == '_') && c.len() > 3)
        })
        .unwrap_or("")
        .to_string()
}

/// `sky stop --graceful` cancels the running job before the nodes stop
/// (without it, the restart would mark the job FAILED_DRIVER).
#[test]
fn graceful_stop_cancels_jobs_first() {
    let w = World::new("cli-left-graceful");
    let (code, out, err) = w.sky(&["launch", "-y", "-c", "gs", "echo first"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, _) = w.sky(&["exec", "gs", "-d", "sleep 300"]);
    assert_eq!(code, 0);
    wait_for(30, "job 2 RUNNING", || {
        (job_status(&w, "gs", "2") == "RUNNING").then_some(())
    });
    let (code, out, err) = w.sky(&["stop", "gs", "--graceful", "--graceful-timeout", "5", "-y"]);
    assert_eq!(code, 0, "{out}{err}");
    let out = plain(&out);
    assert!(
        out.contains(
            "Graceful stop enabled. Terminating user jobs on gs...\nFlushing MOUNT_CACHED uploads \
             on all nodes of 'gs'...\n"
        ),
        "{out}"
    );
    assert!(out.contains("Stopping cluster gs...done."), "{out}");
    let (code, _, _) = w.sky(&["start", "-y", "gs"]);
    assert_eq!(code, 0);
    assert_eq!(job_status(&w, "gs", "2"), "CANCELLED");
    let (code, out, _) = w.sky(&["down", "-y", "--graceful", "gs"]);
    assert_eq!(code, 0);
    assert!(
        plain(&out)
            .trim_start()
            .starts_with("Graceful shutdown enabled. Terminating user jobs on gs...\n"),
        "{out}"
    );
}
