//! The `sky` CLI end to end on the local infra: launch -> exec -> queue ->
//! logs -> cancel -> stop -> start -> down on a 2-node cluster, and the
//! errors that must leave state unchanged. Each test has its own HOME,
//! passed to the child processes only.

use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let p = std::env::temp_dir().join(format!("stix-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Home(p)
    }

    /// Runs `sky <args>` with `stdin`; (exit code, stdout, stderr), ANSI-free.
    fn sky_in(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        use std::io::Write;
        let bin = env!("CARGO_BIN_EXE_stix");
        let mut child = Command::new(bin)
            .args(args)
            .env("HOME", &self.0)
            .env("STIX_AGENT_BIN", bin)
            .env("STIX_LOCAL_CPUS", "4")
            .env("STIX_LOCAL_MEMORY_GB", "16")
            .env("STIX_LOCAL_ACCELERATORS", "")
            .env("STIX_AGENT_TICK_SECONDS", "0.5")
            .env("USER", "tester")
            .current_dir(&self.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            plain(&String::from_utf8_lossy(&out.stdout)),
            plain(&String::from_utf8_lossy(&out.stderr)),
        )
    }

    fn sky(&self, args: &[&str]) -> (i32, String, String) {
        self.sky_in(args, "")
    }

    fn status_line(&self, cluster: &str) -> String {
        let (_, out, _) = self.sky(&["status"]);
        out.lines()
            .find(|l| l.starts_with(&format!("{cluster} ")))
            .unwrap_or("")
            .to_string()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.sky(&["down", "-a", "-y", "--purge"]);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

const TASK: &str = "name: envs
num_nodes: 2
setup: echo setup-ran
run: |
  echo rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES task=$SKYPILOT_TASK_ID
";

#[test]
fn cluster_lifecycle_through_the_cli() {
    let h = Home::new("life");
    std::fs::write(h.0.join("task.yaml"), TASK).unwrap();

    // A new cluster asks first; "n" aborts and creates nothing.
    let (code, out, err) = h.sky_in(&["launch", "-c", "c2", "task.yaml"], "n\n");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("Launching a new cluster 'c2'. Proceed? [Y/n]: "),
        "{out}"
    );
    // The optimizer's plan comes before the prompt, as `sdk._launch` shows it.
    let plan = out.find("Considered resources (2 nodes):").expect(&out);
    assert!(
        plan < out.find("Launching a new cluster").unwrap_or(0),
        "{out}"
    );
    assert!(out.contains(" Local (local)   2CPU--2GB "), "{out}");
    assert_eq!(err, "Aborted!\n");
    assert_eq!(h.status_line("c2"), "");

    let (code, out, err) = h.sky(&["launch", "-y", "-c", "c2", "task.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Running on cluster: c2\n"), "{out}");
    assert!(out.contains("Job submitted, ID: 1"), "{out}");
    assert!(out.contains("setup-ran"), "{out}");
    assert!(
        out.contains("rank=0 nodes=2") && out.contains("rank=1 nodes=2"),
        "{out}"
    );
    assert!(
        out.contains("Job ID: 1") && out.contains("sky down c2"),
        "{out}"
    );
    assert!(h.status_line("c2").contains("UP"));

    // A failing exec: exit code 100 (JobExitCode.FAILED).
    let (code, out, _) = h.sky(&["exec", "c2", "echo", "failing;", "exit", "7"]);
    assert_eq!(code, 100, "{out}");
    assert!(out.contains("\nSubmitting job to cluster: c2\n"), "{out}");

    // A detached exec returns at once; cancel it.
    let (code, out, _) = h.sky(&["exec", "-d", "c2", "sleep", "60"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Job submitted, ID: 3"), "{out}");
    let (_, out, _) = h.sky(&["queue", "c2"]);
    assert!(
        out.contains("Job queue of current user on cluster c2"),
        "{out}"
    );
    // After "Fetching and parsing job queue..." and the logged cluster list.
    let header = out.lines().nth(4).unwrap_or("");
    assert!(
        header.starts_with("ID  NAME") && header.trim_end().ends_with("GIT COMMIT"),
        "{out}"
    );
    assert!(out.contains("SUCCEEDED") && out.contains("FAILED"), "{out}");
    let (code, out, _) = h.sky(&["cancel", "-y", "c2", "3"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = h.sky(&["logs", "c2", "3", "--status"]);
    assert_eq!((code, out.as_str()), (103, "Job 3: CANCELLED\n"));

    // Logs of a finished job, and of one that does not exist.
    let (code, out, _) = h.sky(&["logs", "c2", "1", "--no-follow"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("rank=1 nodes=2"), "{out}");
    let (code, _, _) = h.sky(&["logs", "c2", "99", "--status"]);
    assert_eq!(code, 102);
    let (code, _, err) = h.sky(&["logs", "c2", "x1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Invalid job ID x1. Job ID must be integers."),
        "{err}"
    );

    // Stop; exec on a stopped cluster fails and changes nothing.
    let (code, out, _) = h.sky(&["stop", "-y", "c2"]);
    assert_eq!(code, 0);
    assert!(out.contains("Stopping cluster c2...done."), "{out}");
    let before = h.status_line("c2");
    assert!(before.contains("STOPPED"), "{before}");
    let (code, _, err) = h.sky(&["exec", "c2", "echo", "hi"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("sky.exceptions.ClusterNotUpError: "),
        "{err}"
    );
    assert_eq!(h.status_line("c2"), before);

    let (code, out, err) = h.sky(&["start", "-y", "c2"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Cluster c2 started."), "{out}");
    let (code, out, _) = h.sky(&["exec", "c2", "echo", "again"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("again"), "{out}");

    // No ports opened: `click.Abort`.
    let (code, _, err) = h.sky(&["endpoints", "c2"]);
    assert_eq!((code, err.as_str()), (1, "Aborted!\n"));

    let (code, out, _) = h.sky(&["down", "-y", "c2"]);
    assert_eq!(code, 0);
    assert!(out.contains("Terminating cluster c2...done."), "{out}");
    assert_eq!(h.status_line("c2"), "");
    assert!(!h.0.join(".sky/local_clusters/c2").exists());

    // Every cluster operation was journaled as a request.
    let (code, out, _) = h.sky(&["api", "status", "-a"]);
    assert_eq!(code, 0);
    let rows: Vec<(String, String)> = out
        .lines()
        .skip(1)
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[2].to_string(), w[w.len() - 1].to_string())
        })
        .collect();
    let has = |n: &str, s: &str| rows.iter().any(|(a, b)| a == n && b == s);
    assert!(
        has("sky.launch", "SUCCEEDED") && has("sky.exec", "FAILED"),
        "{out}"
    );
    for n in ["stop", "start", "down", "cancel"] {
        assert!(has(&format!("sky.{n}"), "SUCCEEDED"), "{n}: {out}");
    }

    let (code, out, _) = h.sky(&["cost-report"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("Clusters (last 30 days)\nNAME  LAUNCHED"),
        "{out}"
    );
    let row = out.lines().find(|l| l.starts_with("c2 ")).unwrap_or("");
    assert!(
        row.contains("2x Local(") && row.contains("TERMINATED"),
        "{out}"
    );
    assert!(out.ends_with("\nTotal Cost: $0.00\n"), "{out}");
}

#[test]
fn bad_input_fails_clearly_and_changes_nothing() {
    let h = Home::new("bad");
    std::fs::write(h.0.join("bad.yaml"), "run: [unclosed\n").unwrap();
    let (code, _, err) = h.sky(&["launch", "-y", "-c", "b", "bad.yaml"]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.is_empty());
    let (_, out, _) = h.sky(&["status"]);
    assert!(out.contains("No existing clusters."), "{out}");

    let (code, _, err) = h.sky(&["exec", "nope", "echo", "hi"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("ClusterDoesNotExist") && err.contains("'nope'"),
        "{err}"
    );
    let (code, _, err) = h.sky(&["logs", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("ClusterDoesNotExist"), "{err}");
    let (code, out, _) = h.sky(&["down", "-y", "nope"]);
    assert_eq!(code, 0);
    // As SkyPilot 0.14.1 prints it (tests/fixtures/cli_left/down_graceful_missing.json).
    assert_eq!(
        out,
        "Cluster(s) not found: nope.\nCluster(s) not found (tip: see `sky status`).\n"
    );
    let (code, _, err) = h.sky(&["cancel", "-y", "nope", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("No clusters match pattern: 'nope'"), "{err}");
    let (code, _, err) = h.sky(&["stop"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`sky stop` requires either a cluster name or glob"),
        "{err}"
    );
}
