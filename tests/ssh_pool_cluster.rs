//! SSH node pools end to end, through the `sky` binary as a user runs it:
//! a pool file over the namespace test hosts (scripts/testhosts.sh),
//! `sky ssh up`, `sky check ssh`, launches that share hosts, exec, cancel,
//! `sky down` leaving nothing on any host, `sky ssh down`, and clear errors
//! for bad pool files, unreachable hosts and wrong keys. Skipped (with the
//! reason printed) without root/sshd or STIX_TEST_HOSTS.

mod ssh_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ssh_support::TestHosts;
use stix::runner::RunRequest;

struct Sky {
    home: PathBuf,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn all(&self) -> String {
        strip_ansi(&format!("{}{}", self.stdout, self.stderr))
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
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

impl Sky {
    fn new(name: &str) -> Sky {
        let home = std::env::temp_dir().join(format!("stix-sp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(home.join(".sky")).unwrap();
        Sky { home }
    }

    fn run(&self, args: &[&str]) -> Out {
        let out = Command::new(env!("CARGO_BIN_EXE_stix"))
            .args(args)
            .env("HOME", &self.home)
            .env("STIX_AGENT_BIN", env!("CARGO_BIN_EXE_stix"))
            .env("STIX_AGENT_TICK_SECONDS", "0.5")
            .env("USER", "tester")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.code, 0, "sky {args:?} failed:\n{}", out.all());
        out.all()
    }

    fn pool_file(&self, text: &str) {
        std::fs::write(self.home.join(".sky/ssh_node_pools.yaml"), text).unwrap();
    }
}

/// Runs `script` on test host `i` (its login home, not a cluster's).
fn on_host(th: &TestHosts, i: usize, script: &str) -> String {
    let out = th
        .spec(i)
        .runner()
        .run(&RunRequest::bash(script), None)
        .unwrap();
    assert_eq!(out.code, 0, "on host {i}: {script}: {}", out.stderr);
    out.stdout
}

/// Processes on host `i` whose HOME is the cluster's node directory.
fn cluster_procs(th: &TestHosts, i: usize, cluster: &str) -> String {
    let script = format!(
        "for d in /proc/[0-9]*; do tr '\\0' '\\n' < $d/environ 2>/dev/null | \
         grep -qxF \"HOME=$HOME/.sky/clusters/{cluster}\" && cat $d/cmdline | tr '\\0' ' ' \
         && echo; done; true"
    );
    on_host(th, i, &script)
}

fn pool_yaml(th: &TestHosts, name: &str, hosts: &[usize]) -> String {
    let list: Vec<String> = hosts
        .iter()
        .map(|i| format!("    - {}\n", th.hosts[*i].ip))
        .collect();
    format!(
        "{name}:\n  user: {}\n  identity_file: {}\n  hosts:\n{}",
        th.user,
        th.key.display(),
        list.concat()
    )
}

fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn pool_up_launch_share_cancel_down() {
    let Some(th) = ssh_support::hosts("pool_up_launch_share_cancel_down", 2) else {
        return;
    };
    let sky = Sky::new("life");
    let (h0, h1) = (&th.hosts[0].ip, &th.hosts[1].ip);
    sky.pool_file(&pool_yaml(th, "lab", &[0, 1]));
    let up = sky.ok(&["ssh", "up"]);
    assert!(up.contains("Found 1 Node Pool: lab"), "{up}");
    assert!(
        up.contains(&format!("SkyPilot runtime is up on head node {h0}: ")),
        "{up}"
    );
    assert!(
        up.contains(&format!("SkyPilot runtime is up on worker node {h1}: ")),
        "{up}"
    );
    assert!(up.contains("SSH Node Pools set up successfully."), "{up}");
    let check = sky.ok(&["check", "ssh"]);
    assert!(check.contains("SSH: enabled [compute]"), "{check}");
    assert!(check.contains("lab: enabled."), "{check}");

    // Two half-host clusters share the first host; a whole-host one takes
    // the second; nothing fits a fourth.
    let cpus = on_host(th, 0, "nproc").trim().parse::<u32>().unwrap();
    let (half, rest, all) = (
        (cpus / 2).max(1).to_string(),
        (cpus - cpus / 2).to_string(),
        cpus.to_string(),
    );
    let one = sky.ok(&[
        "launch",
        "-y",
        "-c",
        "sp-one",
        "--infra",
        "ssh/lab",
        "--cpus",
        &half,
        "echo hello from $SKYPILOT_NODE_RANK at $SKYPILOT_NODE_IPS; echo home=$HOME",
    ]);
    assert!(one.contains("hello from 0 at "), "{one}");
    assert!(one.contains("home=/root/.sky/clusters/sp-one"), "{one}");
    assert!(one.contains("ssh sp-one"), "{one}");
    let cfg = std::fs::read_to_string(sky.home.join(".sky/generated/ssh/sp-one")).unwrap();
    assert!(
        cfg.contains(&format!("Host sp-one\n  HostName {h0}\n")),
        "{cfg}"
    );
    if cpus >= 2 {
        sky.ok(&[
            "launch", "-y", "-c", "sp-two", "--infra", "ssh/lab", "--cpus", &rest, "true",
        ]);
        assert!(on_host(th, 0, "ls ~/.sky/clusters").contains("sp-two"));
        sky.ok(&[
            "launch", "-y", "-c", "sp-three", "--infra", "ssh/lab", "--cpus", &all, "true",
        ]);
        assert!(on_host(th, 1, "ls ~/.sky/clusters").contains("sp-three"));
        let full = sky.run(&[
            "launch", "-y", "-c", "sp-four", "--infra", "ssh/lab", "--cpus", "1", "true",
        ]);
        assert_ne!(full.code, 0);
        assert!(
            full.all().contains("cannot fit 1 node(s)"),
            "{}",
            full.all()
        );
    }

    // exec + cancel: the job's processes die on the host.
    let exec = sky.ok(&["exec", "-d", "sp-one", "sleep 300"]);
    assert!(exec.contains("Job submitted, ID: 2"), "{exec}");
    wait_for(20, "the sleep to run", || {
        cluster_procs(th, 0, "sp-one").contains("sleep 300")
    });
    sky.ok(&["cancel", "-y", "sp-one", "2"]);
    wait_for(20, "the sleep to die", || {
        !cluster_procs(th, 0, "sp-one").contains("sleep 300")
    });

    // SkyPilot prints the refusal and exits 0 (the cluster loop goes on).
    let stop = sky.run(&["stop", "-y", "sp-one"]);
    assert!(
        stop.all()
            .contains("Stopping is currently not supported for SSH Node Pools"),
        "{}",
        stop.all()
    );

    // A pool in use cannot go down.
    let busy = sky.run(&["ssh", "down"]);
    assert_ne!(busy.code, 0);
    assert!(
        busy.all().contains("Run `sky down sp-one"),
        "{}",
        busy.all()
    );

    sky.ok(&["down", "-y", "-a"]);
    for (i, c) in [(0, "sp-one"), (0, "sp-two"), (1, "sp-three")] {
        assert_eq!(cluster_procs(th, i, c), "", "processes of {c} left");
    }
    for i in 0..2 {
        let left = on_host(
            th,
            i,
            "ls -A ~/.sky/clusters 2>/dev/null | grep -x -e sp-one -e sp-two -e sp-three; true",
        );
        assert_eq!(left.trim(), "", "files left on host {i}");
    }
    assert!(!sky.home.join(".sky/generated/ssh/sp-one").exists());
    let down = sky.ok(&["ssh", "down"]);
    assert!(
        down.contains("SSH Node Pools cleaned up successfully."),
        "{down}"
    );
    let check = sky.ok(&["check", "ssh"]);
    assert!(check.contains("No SSH Node Pools are up."), "{check}");
}

#[test]
fn bad_pool_file_unreachable_host_and_wrong_key_name_the_host() {
    let Some(th) = ssh_support::hosts("bad_pool_file_unreachable_host_and_wrong_key", 1) else {
        return;
    };
    let sky = Sky::new("bad");
    let missing = sky.run(&["ssh", "up"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .all()
            .contains("ValueError: SSH Node Pools file not found: "),
        "{}",
        missing.all()
    );
    // The SDK call (`sky.client.sdk.ssh_up`) says the same.
    let db_path = sky.home.join("sdk-state.db");
    let mut db = stix::state::StateDb::open_at(&db_path).unwrap();
    let body = serde_json::json!({"file": "/nonexistent/pools.yaml", "infra": null});
    let e = stix::requests::calls::run(&mut db, "ssh_up", &body, None, &mut |_| {}).unwrap_err();
    assert_eq!(
        e.message,
        "SSH Node Pools file not found: /nonexistent/pools.yaml"
    );
    sky.pool_file("p:\n  hosts: [10.213.0.9]\n  identity_file: /nonexistent/key\n");
    let nokey = sky.run(&["ssh", "up"]);
    assert!(
        nokey
            .all()
            .contains("SSH Identity File Missing: /nonexistent/key"),
        "{}",
        nokey.all()
    );
    sky.pool_file("p:\n  hosts:\n    - user: x\n");
    assert!(
        sky.run(&["ssh", "up"])
            .all()
            .contains("No hosts defined in cluster p")
    );

    // An address nobody answers at.
    sky.pool_file(&format!(
        "gone:\n  user: root\n  identity_file: {}\n  hosts: [10.213.254.254]\n",
        th.key.display()
    ));
    let gone = sky.run(&["ssh", "up"]);
    assert_eq!(gone.code, 1);
    let text = gone.all();
    assert!(
        text.contains("Failed to SSH to head node (10.213.254.254)"),
        "{text}"
    );
    assert!(text.contains("RuntimeError: Failed to deploy SkyPilot on some Node Pools."));

    // A key the host does not accept.
    let wrong = sky.home.join("wrong_key");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&wrong)
        .status()
        .unwrap();
    assert!(made.success());
    sky.pool_file(&format!(
        "locked:\n  user: root\n  identity_file: {}\n  hosts: [{}]\n",
        wrong.display(),
        th.hosts[0].ip
    ));
    let denied = sky.run(&["ssh", "up", "--infra", "locked"]);
    assert_eq!(denied.code, 1);
    let text = denied.all();
    assert!(
        text.contains(&format!("head node ({})", th.hosts[0].ip)),
        "{text}"
    );
    assert!(text.contains("Permission denied"), "{text}");
    assert!(
        sky.ok(&["check", "ssh"])
            .contains("No SSH Node Pools are up.")
    );

    // A pool that is not set up cannot be launched on.
    let launch = sky.run(&["launch", "-y", "--infra", "ssh/locked", "true"]);
    assert_ne!(launch.code, 0);
    assert!(launch.all().contains("sky check ssh"), "{}", launch.all());
}

fn yaml_file(sky: &Sky, name: &str, text: &str) -> String {
    let p = sky.home.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn two_node_job_setup_env_logs_and_cancel_on_both_hosts() {
    let Some(th) = ssh_support::hosts("two_node_job_setup_env_logs_and_cancel", 2) else {
        return;
    };
    let sky = Sky::new("duo");
    let (h0, h1) = (&th.hosts[0].ip, &th.hosts[1].ip);
    sky.pool_file(&pool_yaml(th, "duo", &[0, 1]));
    sky.ok(&["ssh", "up", "--infra", "duo"]);
    let task = yaml_file(
        &sky,
        "task.yaml",
        "num_nodes: 2\nresources:\n  cpus: 1\nsetup: echo setup-$SKYPILOT_SETUP_NODE_RANK > ~/setup_ran\n\
         run: |\n  echo rank=$SKYPILOT_NODE_RANK num=$SKYPILOT_NUM_NODES ips=$(echo $SKYPILOT_NODE_IPS)\n",
    );
    let out = sky.ok(&["launch", "-y", "-c", "sp-duo", "--infra", "ssh/duo", &task]);
    let ips = format!("ips={h0} {h1}");
    assert!(
        out.contains("(head, rank=0, pid=") && out.contains(&format!("rank=0 num=2 {ips}")),
        "{out}"
    );
    assert!(
        out.contains("(worker1, rank=1, pid=") && out.contains(&format!("rank=1 num=2 {ips}")),
        "{out}"
    );
    assert!(out.contains(&format!("ip={h1})")), "{out}");
    assert!(out.contains("Job finished (status: SUCCEEDED)"), "{out}");
    assert_eq!(
        on_host(th, 0, "cat ~/.sky/clusters/sp-duo/setup_ran"),
        "setup-0\n"
    );
    assert_eq!(
        on_host(th, 1, "cat ~/.sky/clusters/sp-duo/setup_ran"),
        "setup-1\n"
    );

    // Cancel kills the job's processes on both hosts.
    sky.ok(&["exec", "-d", "sp-duo", "--num-nodes", "2", "sleep 302"]);
    wait_for(30, "the sleeps to run on both hosts", || {
        (0..2).all(|i| cluster_procs(th, i, "sp-duo").contains("sleep 302"))
    });
    sky.ok(&["cancel", "-y", "sp-duo", "2"]);
    wait_for(30, "the sleeps to die on both hosts", || {
        (0..2).all(|i| !cluster_procs(th, i, "sp-duo").contains("sleep 302"))
    });
    let q = sky.ok(&["queue", "sp-duo"]);
    assert!(q.contains("CANCELLED"), "{q}");

    sky.ok(&["down", "-y", "sp-duo"]);
    for i in 0..2 {
        assert_eq!(cluster_procs(th, i, "sp-duo"), "");
        let left = on_host(
            th,
            i,
            "ls -A ~/.sky/clusters 2>/dev/null | grep -x sp-duo; true",
        );
        assert_eq!(left, "", "files of sp-duo left on host {i}");
    }
}

/// Two hosts of this test's own (it kills one).
fn own_hosts(dir: &std::path::Path) -> Option<TestHosts> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/testhosts.sh");
    let up = Command::new("timeout")
        .args(["120", "bash", script, "up", "2"])
        .arg(dir)
        .output()
        .ok()?;
    if !up.status.success() {
        eprintln!(
            "SKIPPED host_lost_mid_job: testhosts.sh up failed: {}",
            String::from_utf8_lossy(&up.stderr).trim()
        );
        return None;
    }
    let text = std::fs::read_to_string(dir.join("hosts.json")).ok()?;
    serde_json::from_str(&text).ok()
}

struct Teardown(PathBuf);

impl Drop for Teardown {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/testhosts.sh");
        let _ = Command::new("bash")
            .args([script, "down"])
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn host_lost_mid_job_fails_the_job_and_nothing_hangs() {
    // Only where this process may make hosts (it must not kill shared ones).
    if ssh_support::hosts("host_lost_mid_job", 1).is_none() {
        return;
    }
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("SKIPPED host_lost_mid_job: not root");
        return;
    }
    let dir = std::env::temp_dir().join(format!("stix-sp-hosts-{}", std::process::id()));
    let _down = Teardown(dir.clone());
    let Some(th) = own_hosts(&dir) else { return };
    let sky = Sky::new("lost");
    sky.pool_file(&pool_yaml(&th, "lost", &[0, 1]));
    sky.ok(&["ssh", "up"]);
    sky.ok(&[
        "launch",
        "-d",
        "-y",
        "-c",
        "sp-lost",
        "--infra",
        "ssh/lost",
        "--num-nodes",
        "2",
        "sleep 600",
    ]);
    wait_for(30, "the job to run", || {
        sky.ok(&["queue", "sp-lost"]).contains("RUNNING")
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/testhosts.sh");
    let killed = Command::new("bash")
        .args([script, "kill-host", &th.hosts[1].name])
        .status()
        .unwrap();
    assert!(killed.success());
    let t0 = Instant::now();
    wait_for(30, "the job to fail", || {
        sky.ok(&["queue", "sp-lost"]).contains("FAILED")
    });
    let status = sky.ok(&["status", "-r"]);
    assert!(
        status.contains("sp-lost") && status.contains("INIT"),
        "{status}"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t0.elapsed()
    );
    // Why: the lost host, as the cluster's last event.
    let verbose = sky.ok(&["status", "-v"]);
    let why = format!("Host {} is unreachable", th.hosts[1].ip);
    assert!(verbose.contains(&why), "{verbose}");
    // Down finishes: the lost host is named, --purge forgets it.
    let t1 = Instant::now();
    let down = sky.run(&["down", "-y", "sp-lost"]);
    assert!(down.all().contains(&th.hosts[1].ip), "{}", down.all());
    sky.ok(&["down", "-y", "--purge", "sp-lost"]);
    assert!(
        t1.elapsed() < Duration::from_secs(40),
        "down took {:?}",
        t1.elapsed()
    );
    assert_eq!(cluster_procs(&th, 0, "sp-lost"), "");
    assert!(!sky.ok(&["status"]).contains("sp-lost"));
}
